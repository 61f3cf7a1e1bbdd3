"""The evaluation paths every conformance check runs through, reduced to one comparable form.

Each path takes rule documents, firms as PROFILE.md dicts and an as-of date, and returns
``{(firm_index, policy_id, item_id): Outcome}``; items not in force are simply absent.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from policymatch.engine import compile_rules, evaluate, match_firm
from policymatch.engine.reference import evaluate_firm
from policymatch.engine.values import field_kind, flat_firm
from policymatch.profiles import conform


@dataclass(frozen=True)
class Outcome:
    status: str
    amount: int | None
    granted: bool
    auto: bool
    counts: tuple[int, int, int]


def frame_of(firms: list[dict]) -> pd.DataFrame:
    """Firms → a frame in the profiles contract; boolean columns spelled as text stay text."""
    rows = [flat_firm(f) for f in firms]
    cols = sorted({k for r in rows for k in r})
    raw = pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object) for c in cols}, index=range(len(rows)))
    for k, r in enumerate(rows):  # an absent key in one row but not another: make it a missing value
        for c in cols:
            if c not in r:
                raw.loc[k, c] = None
    spelled = [c for c in cols if field_kind(c) == "bool" and raw[c].map(lambda v: isinstance(v, str)).any()]
    out = conform(raw.drop(columns=spelled))
    for c in spelled:
        out[c] = raw[c].astype("string[pyarrow]")
    return out[cols]


def run_reference(docs, firms, as_of):
    out = {}
    for k, f in enumerate(firms):
        for r in evaluate_firm(docs, f, as_of):
            v = r["verdict"]
            item = next(d for d in docs if d.id == r["policy_id"]).item(r["item_id"])
            auto = r["granted"] and item.apply_mode == "auto"
            out[(k, r["policy_id"], r["item_id"])] = Outcome(
                v.status, v.amount, r["granted"], auto, (v.n_met, v.n_unmet, v.n_unknown)
            )
    return out


def run_vectorised(docs, firms, as_of):
    """Firms with the same keys share a frame (a column is known for every row or for none)."""
    compiled = compile_rules(docs)
    groups: dict[tuple, list[int]] = {}
    for k, f in enumerate(firms):
        groups.setdefault(tuple(sorted(flat_firm(f))), []).append(k)
    parts = []
    for members in groups.values():
        frame = frame_of([firms[k] for k in members])
        frame["uscc"] = [str(k) for k in members]
        parts.append(evaluate(compiled, frame, as_of))
    out = {}
    for row in pd.concat(parts).itertuples(index=False):
        amount = None if pd.isna(row.amount) else int(row.amount)
        out[(int(row.uscc), row.policy_id, row.item_id)] = Outcome(
            row.status, amount, bool(row.granted), bool(row.auto), (int(row.n_met), int(row.n_unmet), int(row.n_unknown))
        )
    return out


def run_one_firm(docs, firms, as_of, *, as_frame: bool = False):
    compiled = compile_rules(docs)
    out = {}
    for k, f in enumerate(firms):
        firm = frame_of([f]) if as_frame else f
        r = match_firm(compiled, firm, as_of)
        for i in r.items:
            out[(k, i.policy_id, i.item_id)] = Outcome(
                i.status, i.amount, i.granted, i.auto, (i.n_met, i.n_unmet, i.n_unknown)
            )
    return out


PATHS = {"reference": run_reference, "vectorised": run_vectorised, "one_firm": run_one_firm}
