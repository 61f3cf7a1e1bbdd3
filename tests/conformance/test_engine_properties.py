"""Hypothesis: the vectorised engine and the one-firm path agree with the reference on random rules and firms.

Random documents mix every operator (missing values, ``any`` groups, crosses, since dated /
undated / null, within on region and industry codes, tax_credit order, boolean spellings, exclusive
groups and rate amounts); random firm frames leave columns out and values missing.
"""

from __future__ import annotations

import os

import pandas as pd
from engine_paths import frame_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.engine import compile_rules, evaluate, match_firm
from policymatch.engine.reference import evaluate_firm
from policymatch.model import document_from_dict

AS_OF = "2024-06-30"
REGIONS = ["140105", "140100", "140302", "140000", "220524", "110101"]
INDUSTRIES = ["3562", "1311", "6513", "5211", "0111", "4411"]
DATES = ["2022-06-01", "2023-01-01", "2023-06-01", "2024-03-01"]
MONEY = [0, 50, 99, 100, 101, 150, 200, 1_234_565]

maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731

ATOMS = st.one_of(
    st.builds(lambda f, op, v: {"field": f, "op": op, "value": v},
              st.sampled_from(["revenue", "revenue_prev", "rd_expense", "employees", "investment"]),
              st.sampled_from(["gt", "gte", "lt", "lte", "eq", "ne", "crosses"]), st.sampled_from(MONEY)),
    st.builds(lambda f, lo, hi: {"field": f, "op": "between", "value": [lo, hi]},
              st.sampled_from(["revenue", "employees"]), maybe(st.sampled_from(MONEY)), maybe(st.sampled_from(MONEY))),
    st.builds(lambda f, op, v: {"field": f, "op": op, "value": v},
              st.sampled_from(["revenue_growth", "rd_ratio"]), st.sampled_from(["gte", "lt"]),
              st.sampled_from([0.0, 0.1, 0.2, 0.5])),
    st.builds(lambda op, v: {"field": "tax_credit", "op": op, "value": v},
              st.sampled_from(["gte", "lt", "eq"]), st.sampled_from(list("ABMCD"))),
    st.builds(lambda f, op, v: {"field": f, "op": op, "value": v},
              st.sampled_from(["dishonest", "above_scale"]), st.sampled_from(["eq", "ne"]), st.booleans()),
    st.builds(lambda op, v: {"field": "size", "op": op, "value": v},
              st.sampled_from(["in", "not_in"]), st.lists(st.sampled_from(["large", "medium", "small", "micro"]),
                                                          min_size=1, max_size=3, unique=True)),
    st.builds(lambda v: {"field": "region", "op": "within", "value": v},
              st.one_of(st.sampled_from(REGIONS), st.lists(st.sampled_from(REGIONS), min_size=1, max_size=2))),
    st.builds(lambda v: {"field": "industry", "op": "within", "value": v},
              st.one_of(st.sampled_from(["C", "D", "I", "35", "356", "3562", "I65", "13"]),
                        st.lists(st.sampled_from(["B", "C", "D", "65"]), min_size=1, max_size=3))),
    st.builds(lambda c, op, v: {"field": f"certs.{c}", "op": op, "value": v},
              st.sampled_from(["hitech", "srdi"]), st.sampled_from(["has", "since", "since"]), maybe(st.sampled_from(DATES))),
    st.just({"field": "other", "op": "text", "value": None, "text": "经专家评审"}),
)
NODES = st.one_of(ATOMS, ATOMS, st.builds(lambda xs: {"any": xs}, st.lists(ATOMS, min_size=2, max_size=3)))
BENEFITS = st.one_of(
    st.builds(lambda a: {"kind": "award", "amount": a}, st.sampled_from([100_000, 200_000, 500_000])),
    st.builds(lambda r, cap: {"kind": "subsidy", "rate": r, "base": "rd_expense", "cap": cap},
              st.sampled_from([0.1, 0.05, 0.333, 0.5]), maybe(st.sampled_from([10, 100_000]))),
    st.builds(lambda m: {"kind": "subsidy", "unit_amount": 1000, "unit": "件", "max_amount": m}, maybe(st.just(50_000))),
    st.just({"kind": "service"}),
)
ITEMS = st.lists(
    st.builds(lambda c, b, g, mode: {"conditions": c, "benefit": b, "exclusive_group": g, "apply_mode": mode},
              st.lists(NODES, max_size=4), BENEFITS, maybe(st.sampled_from(["g1", "g2"])), st.sampled_from(["auto", "apply"])),
    min_size=1, max_size=5,
)
DOCS = st.lists(
    st.builds(lambda items, region, vf: {"region": region, "valid_from": vf, "valid_to": None,
                                         "items": [{**it, "id": str(k)} for k, it in enumerate(items)]},
              ITEMS, maybe(st.sampled_from(["140100", "140000", "220524"])), maybe(st.sampled_from(["2023-01-01", "2025-01-01"]))),
    min_size=1, max_size=2,
)

_FIRM_VALUES = {
    "region": st.sampled_from(REGIONS),
    "industry": st.sampled_from(INDUSTRIES),
    "revenue": st.sampled_from(MONEY),
    "revenue_prev": st.sampled_from(MONEY),
    "rd_expense": st.sampled_from(MONEY),
    "employees": st.sampled_from([0, 10, 100, 150]),
    "investment": st.sampled_from(MONEY),
    "tax_credit": st.sampled_from(list("ABMCD")),
    "size": st.sampled_from(["large", "medium", "small", "micro"]),
    "certs.hitech": st.sampled_from([*DATES, "true"]),
    "certs.srdi": st.sampled_from([*DATES, "true"]),
}
_BOOL_SPELLINGS = {True: ["true", "1", "是"], False: ["false", "0", "否"]}


@st.composite
def firm_frames(draw):
    """A frame of firms: each column present or absent; values missing or not; booleans maybe spelled."""
    n = draw(st.integers(1, 6))
    columns = draw(st.lists(st.sampled_from([*_FIRM_VALUES, "dishonest", "above_scale"]), unique=True, max_size=13))
    spelled = draw(st.booleans())
    firms = [{} for _ in range(n)]
    for c in columns:
        for f in firms:
            if c in ("dishonest", "above_scale"):
                b = draw(maybe(st.booleans()))
                f[c] = None if b is None else (draw(st.sampled_from(_BOOL_SPELLINGS[b])) if spelled else b)
            else:
                f[c] = draw(maybe(_FIRM_VALUES[c]))
    return firms


def _docs(raw):
    return [document_from_dict(d, f"p{k}") for k, d in enumerate(raw)]


def _reference(docs, firms):
    out = {}
    for k, f in enumerate(firms):
        for r in evaluate_firm(docs, f, AS_OF):
            v = r["verdict"]
            out[(str(k), r["policy_id"], r["item_id"])] = (v.status, v.amount, r["granted"], v.n_met, v.n_unmet, v.n_unknown)
    return out


SETTINGS = settings(max_examples=int(os.environ.get("ENGINE_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(raw=DOCS, firms=firm_frames())
def test_vectorised_equals_reference(raw, firms):
    docs = _docs(raw)
    frame = frame_of(firms)
    frame["uscc"] = [str(k) for k in range(len(firms))]
    got = evaluate(compile_rules(docs), frame, AS_OF)
    vec = {
        (r.uscc, r.policy_id, r.item_id): (
            r.status, None if pd.isna(r.amount) else int(r.amount), bool(r.granted), int(r.n_met), int(r.n_unmet), int(r.n_unknown))
        for r in got.itertuples(index=False)
    }
    # reference reads each row of the same frame (present columns are known; NA = missing / not held)
    rows = [{c: (None if pd.isna(v) else v) for c, v in frame.drop(columns="uscc").iloc[k].items()} for k in range(len(firms))]
    assert vec == _reference(docs, rows)


@SETTINGS
@given(raw=DOCS, firms=firm_frames())
def test_one_firm_equals_reference(raw, firms):
    docs = _docs(raw)
    compiled = compile_rules(docs)
    frame = frame_of(firms)
    for k in range(len(firms)):
        row = frame.iloc[[k]]
        r = match_firm(compiled, row, AS_OF)
        one = {(str(k), i.policy_id, i.item_id): (i.status, i.amount, i.granted, i.n_met, i.n_unmet, i.n_unknown) for i in r.items}
        plain = {c: (None if pd.isna(v) else v) for c, v in row.iloc[0].items()}
        ref = {(str(k), p, i): v for (_, p, i), v in _reference(docs, [plain]).items()}
        assert one == ref
