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

import pandas as pd

from ..errors import InputError
from ..explain import describe_benefit, describe_condition, format_threshold, format_value, gap_text
from ..fields import DERIVED_INPUTS, field_label
from ..model import AnyGroup, Condition
from .benefit import amount_for, group_key
from .compile import CompiledItem, CompiledRules, Predicate
from .nearmiss import NEAR_MISS_WITHIN, closable, gap
from .result import ConditionCheck, FirmResult, Gap, ItemMatch, NearMiss
from .scalar import FirmValues, evaluate_scalar
from .values import flat_firm, is_missing

__all__ = ["match_firm", "firm_row"]

_RESULT = {True: "met", False: "unmet", None: "unknown"}
_STATUS_RANK = {"eligible": 0, "unknown": 1, "ineligible": 2}


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


def _static(compiled: CompiledRules, e: CompiledItem) -> tuple:
    """Per item, the wording that does not depend on the firm (computed once per compiled set)."""
    cache = compiled.__dict__.setdefault("_static", {})
    if e.index not in cache:
        nodes = []
        for c in e.node_conds:
            if isinstance(c, AnyGroup):
                nodes.append(("any", "或条件", "any", describe_condition(c), "", c.text or "；".join(a.text for a in c.any if a.text)))
            else:
                nodes.append((c.field, field_label(c.field), c.op, describe_condition(c), format_threshold(c), c.text))
        b = e.item.benefit
        cache[e.index] = (tuple(nodes), describe_benefit(b))
    return cache[e.index]


def _value_text(fv: FirmValues, c: Condition | AnyGroup, memo: dict[str, str]) -> str:
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
    preds = compiled.predicates
    cache: dict[int, bool | None] = {}

    def pred(pid: int) -> bool | None:
        if pid not in cache:
            cache[pid] = evaluate_scalar(fv, preds[pid])
        return cache[pid]

    entries = compiled.in_force_cached(as_of)
    evaluated = []
    for e in entries:
        results = []
        for node in e.nodes:
            if len(node) == 1:
                results.append(pred(node[0]))
            else:
                vals = [pred(p) for p in node]
                results.append(True if True in vals else (False if all(v is False for v in vals) else None))
        status = "ineligible" if False in results else ("unknown" if None in results else "eligible")
        evaluated.append((e, results, status, amount_for(e.item.benefit, row)))
    # exclusive groups: the best eligible item per (document, group)
    best: dict[tuple[str, str], tuple[tuple[int, int], int]] = {}
    for k, (e, _, status, amount) in enumerate(evaluated):
        if e.group is not None and status == "eligible":
            key = group_key(amount, e.item.benefit.max_amount)
            if e.group not in best or key > best[e.group][0]:
                best[e.group] = (key, k)
    sims = compiled.relevance.similarity(row.get("business_scope")) if row.get("business_scope") else None
    memo: dict[str, str] = {}
    items = []
    for k, (e, results, status, amount) in enumerate(evaluated):
        granted = status == "eligible" and (e.group is None or best[e.group][1] == k)
        static_nodes, benefit_words = _static(compiled, e)
        checks = []
        needed: dict[str, str] = {}
        manual = []
        for (fld, label, op, words, thr, ptext), c, r, node in zip(static_nodes, e.node_conds, results, e.nodes, strict=True):
            checks.append(ConditionCheck(fld, label, op, words, thr, _value_text(fv, c, memo), _RESULT[r], ptext))
            if r is None:
                atoms = c.any if isinstance(c, AnyGroup) else (c,)
                for a, pid in zip(atoms, node, strict=True):
                    if preds[pid].field == "other":
                        manual.append(a.text or "需人工核实的条件")
                    elif pred(pid) is None:
                        needed.update(_needed(fv, a, preds[pid]))
        near = _near_miss(compiled, e, results, status, amount, fv, best, evaluated, near_miss_within)
        items.append(
            ItemMatch(
                policy_id=e.policy_id,
                item_id=e.item_id,
                policy_title=e.doc.title,
                item_name=e.item.name,
                status=status,
                amount=amount,
                granted=granted,
                auto=granted and e.item.apply_mode == "auto",
                apply_mode=e.item.apply_mode,
                benefit_kind=e.item.benefit.kind,
                benefit=benefit_words,
                benefit_text=e.item.benefit.text,
                max_amount=e.item.benefit.max_amount,
                exclusive_group=e.item.exclusive_group,
                n_met=sum(r is True for r in results),
                n_unmet=sum(r is False for r in results),
                n_unknown=sum(r is None for r in results),
                conditions=tuple(checks),
                needed=tuple({"field": f, "label": lab} for f, lab in needed.items()),
                manual_checks=tuple(manual),
                near_miss=near,
                similarity=0.0 if sims is None else float(sims[e.index]),
            )
        )
    items.sort(key=lambda i: (_STATUS_RANK[i.status], -(i.amount if i.amount is not None else -1), -i.score, -i.similarity))
    return FirmResult(uscc=row.get("uscc"), name=row.get("name"), as_of=as_of, rules_hash=compiled.rules_hash, items=tuple(items))


def _near_miss(compiled, e, results, status, amount, fv, best, evaluated, within) -> NearMiss | None:  # noqa: ANN001
    """Same definition as the vectorised path: every false node a closable numeric atom within ``within``."""
    if status != "ineligible":
        return None
    gaps = []
    for node, r in zip(e.nodes, results, strict=True):
        if r is not False:
            continue
        p = compiled.predicates[node[0]]
        if len(node) != 1 or not closable(p):
            return None
        x = fv.number(p.field)
        g, rel = gap(p, x)
        if not (g >= 0 and rel <= within):
            return None
        if p.op == "crosses":
            prev = fv.number(f"{p.field}_prev")
            if prev is not None and prev >= p.value:
                return None
        gaps.append((p, x, g, rel))
    gaps.sort(key=lambda t: t[3])
    then = "unknown" if None in results else "eligible"
    current = None
    if e.group is not None and e.group in best:
        current = evaluated[best[e.group][1]][3]
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
