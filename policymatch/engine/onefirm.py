"""Match one firm against compiled rules, with reasons: the interactive path (CLI, platform API).

Why separate from the vectorised engine: one firm needs explanations, not columns. Each shared
predicate is evaluated once on values read once (``scalar``), items combine node results with
Kleene logic, exclusive groups and near misses follow the same definitions as the vectorised
path (``benefit.group_key``, ``nearmiss``), and items are ranked best first.

>>> from policymatch.model import document_from_dict
>>> from policymatch.engine import compile_rules
>>> doc = document_from_dict({"region": "140100", "items": [{"id": "1", "name": "营收奖励",
...     "conditions": [{"field": "revenue", "op": "gte", "value": 50000000, "text": "营业收入5000万元以上"}],
...     "benefit": {"kind": "award", "amount": 300000}}]}, "d")
>>> r = match_firm(compile_rules([doc]), {"region": "140105", "revenue": 42_000_000}, "2025-01-01")
>>> r.items[0].status, r.items[0].near_miss.text
('ineligible', '营业收入还差800万元即可达到5000万元档，可得30万元')
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..explain import format_value, gap_text
from ..fields import DERIVED_INPUTS, field_label
from ..model import AnyGroup, Condition
from .benefit import amount_for, group_key
from .compile import CompiledItem, CompiledRules, Predicate
from .itemtable import item_table
from .nearmiss import NEAR_MISS_WITHIN, gap
from .result import FirmResult, Gap, ItemMatch, NearMiss
from .scalar import FirmValues, evaluate_scalar
from .values import flat_firm, is_missing

__all__ = ["match_firm", "firm_row"]


def firm_row(firm: Any) -> dict[str, Any]:
    """A Firm, a PROFILE.md dict or a one-row frame → a flat row (``certs.X`` keys; absent = unknown).

    A dict is checked by ``Firm.from_dict`` (a bad field raises InputError naming it); ``size`` is
    derived from employees / revenue / total assets when not given, as the registry does.
    """
    if isinstance(firm, pd.DataFrame):
        if len(firm) != 1:
            raise InputError(f"match_firm 需要恰好一行企业数据；实际 {len(firm)} 行")
        return {k: (None if is_missing(v) else v) for k, v in firm.iloc[0].to_dict().items()}
    from ..firm import Firm

    if isinstance(firm, dict):
        firm = Firm.from_dict(firm)
    if not isinstance(firm, Firm):
        raise InputError(f"企业应为 Firm、dict 或单行 DataFrame；实际为 {type(firm).__name__}")
    row = flat_firm(firm.to_dict())
    if firm.size is None and any(row.get(k) is not None for k in ("employees", "revenue", "total_assets")):
        size = firm.to_frame()["size"].iloc[0]
        row["size"] = None if is_missing(size) else size
    return row


class _Explainer:
    """Formats the firm's values for explanations, once per condition (shared by all its items)."""

    __slots__ = ("fv", "memo")

    def __init__(self, fv: FirmValues) -> None:
        self.fv = fv
        self.memo: dict = {}

    def value_text(self, c: Condition | AnyGroup) -> str:
        key = id(c)
        text = self.memo.get(key)
        if text is None:
            text = self.memo[key] = _value_text_new(self.fv, c, self.memo)
        return text


def _value_text_new(fv: FirmValues, c: Condition | AnyGroup, memo: dict) -> str:
    atoms = c.any if isinstance(c, AnyGroup) else (c,)
    out = []
    for a in atoms:
        if a.field == "other":
            continue
        if a.field not in memo:
            if a.field.startswith("certs."):
                known, v = fv.cert(a.field)
                memo[a.field] = "未知" if not known else format_value(a.field, False if v is None else v)
            elif a.field in DERIVED_INPUTS or a.field == "age_years":
                memo[a.field] = format_value(a.field, fv.number(a.field))
            else:
                memo[a.field] = format_value(a.field, fv.value(a.field))
        out.append(memo[a.field] if len(atoms) == 1 else f"{field_label(a.field)}：{memo[a.field]}")
    return "；".join(out) if out else "—"


def _needed(fv: FirmValues, c: Condition, p: Predicate) -> list[tuple[str, str]]:
    """Fields to supply so an unknown condition can be decided."""
    if p.field == "other":
        return []
    if p.field.startswith("certs."):
        known, _ = fv.cert(p.field)
        return [(p.field, field_label(p.field) + ("认定情况" if not known else "认定日期"))]
    inputs = DERIVED_INPUTS.get(p.field) or (("established",) if p.field == "age_years" else (p.field,))
    if p.op == "crosses":
        inputs = (p.field, f"{p.field}_prev")
    return [(f, field_label(f)) for f in inputs if fv.value(f) is None] or [(p.field, field_label(p.field))]


def match_firm(compiled: CompiledRules, firm: Any, as_of: str | None = None, *, near_miss_within: float = NEAR_MISS_WITHIN) -> FirmResult:
    """Every item in force on ``as_of`` for one firm, ranked best first, with reasons."""
    as_of = as_of or dt.date.today().isoformat()
    row = firm_row(firm)
    fv = FirmValues(row, as_of)
    table = item_table(compiled, as_of)
    preds = compiled.predicates
    # every predicate once: False 0 / unknown 1 / True 2, then the two pads (False, True)
    codes = np.fromiter((_CODE[evaluate_scalar(fv, p)] for p in preds), np.int8, len(preds))
    codes = np.concatenate([codes, _PADS])
    nodes = codes[table.atoms].max(axis=2)  # Kleene OR = max
    item = nodes.min(axis=1)  # Kleene AND = min
    n_met = (nodes == 2).sum(axis=1) - table.n_pad
    n_unmet = (nodes == 0).sum(axis=1)
    amounts = table.amount.copy()
    known = table.amount_known.copy()
    for i in table.rate_items:
        a = amount_for(table.entries[i].item.benefit, row)
        amounts[i], known[i] = (-1, False) if a is None else (a, True)
    # exclusive groups: the best eligible item per (document, group), in document order
    granted = item == 2
    best: dict[tuple[str, str], tuple[tuple[int, int], int]] = {}
    for i in np.flatnonzero(granted):
        e = table.entries[i]
        if e.group is not None:
            key = group_key(int(amounts[i]) if known[i] else None, e.item.benefit.max_amount)
            if e.group not in best or key > best[e.group][0]:
                best[e.group] = (key, int(i))
    for g, (_, winner) in best.items():
        for i in np.flatnonzero(granted):
            if table.entries[i].group == g and i != winner:
                granted[i] = False
    # near misses: ineligible, and every false node closable
    candidates = np.flatnonzero((item == 0) & ~((nodes == 0) & ~table.closable).any(axis=1))
    sims = compiled.relevance.similarity(row.get("business_scope")) if row.get("business_scope") else None
    if sims is not None:  # the model covers every compiled item; keep those in force
        sims = sims[table.index]
    score = np.where(table.n_nodes > 0, n_met * 100.0 / np.maximum(table.n_nodes, 1), 100.0)
    order = np.lexsort((
        -(sims if sims is not None else np.zeros(len(item))),
        -score,
        -np.where(known, amounts, -1),
        _RANK[item],
    ))
    near_of = {int(i): _near_miss(compiled, table, int(i), nodes[i], fv, amounts, known, best, near_miss_within)
               for i in candidates}
    explainer = _Explainer(fv)
    order_list = order.tolist()
    pred_codes = codes.tolist()
    needed_cache: dict[int, list[tuple[str, str]]] = {}

    def make(rank: int) -> ItemMatch:
        i = order_list[rank]
        e = table.entries[i]
        status = _STATUS[item[i]]
        needed, manual = (
            _unknowns(fv, e, nodes[i], preds, pred_codes, needed_cache) if status == "unknown" else ((), ())
        )
        g = bool(granted[i])
        return ItemMatch(
            table.infos[i], status, int(amounts[i]) if known[i] else None, g, g and e.item.apply_mode == "auto",
            int(n_met[i]), int(n_unmet[i]), int(table.n_nodes[i] - n_met[i] - n_unmet[i]), needed, manual,
            near_of.get(i), 0.0 if sims is None else float(sims[i]), nodes[i], explainer,
        )

    rank_of = {i: r for r, i in enumerate(order_list)}
    auto = granted & table.auto
    return FirmResult(
        row.get("uscc"), row.get("name"), as_of, compiled.rules_hash,
        statuses=[_STATUS[c] for c in item[order].tolist()],
        make=make,
        near_ranks=sorted(rank_of[i] for i, nm in near_of.items() if nm is not None),
        totals={"granted_amount": int(amounts[granted & known].sum()), "auto": int(auto.sum())},
    )


_CODE = {False: 0, None: 1, True: 2}
_TRI = (False, None, True)
_PADS = np.array([0, 2], np.int8)
_STATUS = ("ineligible", "unknown", "eligible")
#: ranking position of a status code (eligible first)
_RANK = np.array([2, 1, 0])


def _unknowns(
    fv: FirmValues, e: CompiledItem, codes: np.ndarray, preds: list[Predicate], pred_codes: list[int], cache: dict
) -> tuple[tuple, tuple]:
    """(fields to supply, manual checks) of an unknown item.

    ``pred_codes`` are the predicate results already computed for this firm (1 = unknown), and
    ``cache`` keeps each predicate's needed fields, so ranking hundreds of unknown items costs
    no second evaluation.
    """
    needed: dict[str, str] = {}
    manual = []
    for c, r, node in zip(e.node_conds, codes.tolist(), e.nodes):
        if r != 1:
            continue
        for a, pid in zip(c.any if isinstance(c, AnyGroup) else (c,), node, strict=True):
            if preds[pid].field == "other":
                manual.append(a.text or "需人工核实的条件")
            elif pred_codes[pid] == 1:
                fields = cache.get(pid)
                if fields is None:
                    fields = cache[pid] = _needed(fv, a, preds[pid])
                needed.update(fields)
    return tuple({"field": f, "label": lab} for f, lab in needed.items()), tuple(manual)


def _near_miss(compiled, table, i, node_codes, fv, amounts, known, best, within) -> NearMiss | None:  # noqa: ANN001
    """Same definition as the vectorised path: every false node a closable numeric atom within ``within``."""
    e = table.entries[i]
    gaps = []
    for node, code in zip(e.nodes, node_codes[: len(e.nodes)].tolist(), strict=True):
        if code != 0:
            continue
        p = compiled.predicates[node[0]]
        x = fv.number(p.field)
        if x is None:  # `crosses` is false on field_prev alone; nothing to close (the vectorised path sees NaN)
            return None
        g, rel = gap(p, x)
        if not (g >= 0 and rel <= within):
            return None
        if p.op == "crosses":
            prev = fv.number(f"{p.field}_prev")
            if prev is not None and prev >= p.value:
                return None
        gaps.append((p, x, g, rel))
    gaps.sort(key=lambda t: t[3])
    then = "unknown" if 1 in node_codes[: len(e.nodes)].tolist() else "eligible"
    amount = int(amounts[i]) if known[i] else None
    current = None
    if e.group is not None and e.group in best:
        w = best[e.group][1]
        current = int(amounts[w]) if known[w] else None
    gain = amount if current is None or amount is None else amount - current
    more = current is not None
    out = []
    for k, (p, x, g, rel) in enumerate(gaps):
        thr = p.value if p.op != "between" else (p.value[0] if p.value[0] is not None and x < p.value[0] else p.value[1])
        text = gap_text(p.field, p.op, thr, g, gain if k == len(gaps) - 1 else None, more)
        out.append(Gap(p.field, p.op, thr, x, g, rel, text))
    text = "；".join(g.text for g in out)
    if then == "unknown":
        text += "（其余条件待核实）"
    return NearMiss(then=then, gain=gain, gaps=tuple(out), text=text)
