"""The plain evaluator: one firm, one item, straight from RULES.md "Evaluation semantics".

Why it exists: it is the oracle. It is written for reading, not speed — one small function
per operator, Kleene logic spelled out — and the vectorised engine and the one-firm path are
tested against it (hypothesis properties and the conformance suite). Do not optimise it.

A firm is a dict: PROFILE.md JSON (``certs`` object) or a frame row (``certs.X`` keys).

>>> from policymatch.model import document_from_dict
>>> doc = document_from_dict({"region": "140100", "valid_from": "2024-01-01", "items": [{"id": "1",
...     "conditions": [{"field": "revenue", "op": "gte", "value": 50000000}],
...     "benefit": {"kind": "award", "amount": 300000}}]}, "d")
>>> v = evaluate_item(doc.items[0], doc, {"region": "140105", "revenue": 60000000}, "2025-01-01")
>>> v.status, v.amount, v.n_met
('eligible', 300000, 2)
>>> evaluate_item(doc.items[0], doc, {"region": "140105"}, "2025-01-01").status
'unknown'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..fields import DERIVED_INPUTS, FIELDS
from ..model import AnyGroup, Condition, Document, Item
from .codes import industry_within, region_within
from .values import flat_firm, is_missing, tax_rank, to_bool, to_number

__all__ = ["ItemVerdict", "evaluate_item", "evaluate_firm", "document_region_condition", "kleene_and", "kleene_or"]

Tri = bool | None  # True / False / None (unknown)


@dataclass(frozen=True)
class ItemVerdict:
    """What the oracle says about one firm and one item."""

    status: str  # eligible | ineligible | unknown
    results: tuple[Tri, ...]  # per condition node, the document region first when the document has one
    amount: int | None
    n_met: int
    n_unmet: int
    n_unknown: int


def kleene_and(values: list[Tri]) -> Tri:
    """False if any is false, else unknown if any is unknown, else true."""
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def kleene_or(values: list[Tri]) -> Tri:
    """True if any is true, else false if all are false, else unknown."""
    if any(v is True for v in values):
        return True
    if all(v is False for v in values):
        return False
    return None


def document_region_condition(doc: Document) -> Condition | None:
    """The document's region as the condition it is for every item (None when it has none)."""
    if not doc.region:
        return None
    return Condition(field="region", op="within", value=doc.region, text="政策适用地区")


# ---- reading a field ------------------------------------------------------------------


def _value(firm: dict[str, Any], field: str, as_of: str) -> Any:
    """The firm's value of a field (derived fields computed), None when missing."""
    if field in DERIVED_INPUTS:
        num, den = DERIVED_INPUTS[field]
        if num in firm and den in firm:
            n, d = to_number(firm[num]), to_number(firm[den])
            if n is None or d is None or d == 0:
                return None
            n, d = float(n), float(d)
            return (n - d) / d if field.endswith("_growth") else n / d
    if field == "age_years" and "established" in firm:
        est = firm["established"]
        if is_missing(est):
            return None
        try:
            days = (dt.date.fromisoformat(as_of) - dt.date.fromisoformat(str(est))).days
        except ValueError:
            return None
        return days / 365.25
    v = firm.get(field)
    return None if is_missing(v) else v


def _number(firm: dict[str, Any], field: str, as_of: str) -> float | int | None:
    v = _value(firm, field, as_of)
    if field == "tax_credit":
        return tax_rank(v)
    return to_number(v)


def _threshold(field: str, v: Any) -> Any:
    return tax_rank(v) if field == "tax_credit" and isinstance(v, str) else v


def _same(field: str, x: Any, v: Any) -> bool | None:
    """Equality of a firm value and a rule value, by the field's kind."""
    kind = FIELDS[field].kind if field in FIELDS else "str"
    if kind == "bool":
        b = to_bool(x)
        return None if b is None else b == v
    if kind in ("money", "int", "ratio", "float"):
        n = to_number(x)
        return None if n is None else n == v
    return str(x) == str(v)


# ---- one function per operator ----------------------------------------------------------


def _compare(firm, c, as_of, test) -> Tri:
    x = _number(firm, c.field, as_of)
    if x is None:
        return None
    return test(x, _threshold(c.field, c.value))


def _eq(firm, c, as_of, doc) -> Tri:
    if c.field.startswith("certs."):
        held = _has(firm, c, as_of, doc)
        return None if held is None else held == bool(c.value)
    x = _value(firm, c.field, as_of)
    return None if x is None else _same(c.field, x, c.value)


def _ne(firm, c, as_of, doc) -> Tri:
    r = _eq(firm, c, as_of, doc)
    return None if r is None else not r


def _in(firm, c, as_of, doc) -> Tri:
    x = _value(firm, c.field, as_of)
    if x is None:
        return None
    results = [_same(c.field, x, v) for v in c.value]
    return kleene_or(results)


def _not_in(firm, c, as_of, doc) -> Tri:
    r = _in(firm, c, as_of, doc)
    return None if r is None else not r


def _between(firm, c, as_of, doc) -> Tri:
    lo, hi = c.value
    x = _number(firm, c.field, as_of)
    if x is None:
        return None
    lo, hi = _threshold(c.field, lo), _threshold(c.field, hi)
    return (lo is None or lo <= x) and (hi is None or x <= hi)


def _within(firm, c, as_of, doc) -> Tri:
    x = _value(firm, c.field, as_of)
    if x is None:
        return None
    test = region_within if c.field == "region" else industry_within
    return test(str(x), c.value)


def _cert(firm, c) -> tuple[bool, Any]:
    """(column known, value): value None = not held, "true" = held with no date, else the date."""
    key = c.field
    if key not in firm:
        return False, None
    v = firm[key]
    return True, (None if is_missing(v) or v is False else ("true" if v is True else str(v)))


def _has(firm, c, as_of, doc) -> Tri:
    known, v = _cert(firm, c)
    if not known:
        return None
    return v is not None


def _since(firm, c, as_of, doc) -> Tri:
    date = c.value if c.value is not None else doc.valid_from
    if date is None:
        return _has(firm, c, as_of, doc)
    known, v = _cert(firm, c)
    if not known:
        return None
    if v is None:
        return False
    if v.lower() == "true":
        return None
    return v >= date


def _crosses(firm, c, as_of, doc) -> Tri:
    now = _compare(firm, c, as_of, lambda x, v: x >= v)
    prev = Condition(field=f"{c.field}_prev", op="lt", value=c.value)
    before = _compare(firm, prev, as_of, lambda x, v: x < v) if prev.field in FIELDS else None
    return kleene_and([now, before])


def _text(firm, c, as_of, doc) -> Tri:
    return None


_OPS = {
    "eq": _eq,
    "ne": _ne,
    "gt": lambda f, c, a, d: _compare(f, c, a, lambda x, v: x > v),
    "gte": lambda f, c, a, d: _compare(f, c, a, lambda x, v: x >= v),
    "lt": lambda f, c, a, d: _compare(f, c, a, lambda x, v: x < v),
    "lte": lambda f, c, a, d: _compare(f, c, a, lambda x, v: x <= v),
    "between": _between,
    "in": _in,
    "not_in": _not_in,
    "within": _within,
    "has": _has,
    "since": _since,
    "crosses": _crosses,
    "text": _text,
}


def evaluate_condition(c: Condition, doc: Document, firm: dict[str, Any], as_of: str) -> Tri:
    """One atom → True / False / None; ``other`` and unknown fields are always unknown."""
    if c.field == "other":
        return None
    return _OPS[c.op](firm, c, as_of, doc)


def _amount(item: Item, firm: dict[str, Any], as_of: str) -> int | None:
    """RULES.md: amount; else rate × base (rounded half up to the yuan), capped; else cap; else max_amount."""
    b = item.benefit
    if b.amount is not None:
        return b.amount
    if b.rate is not None and b.base in FIELDS and FIELDS[b.base].kind in ("money", "int"):
        base = to_number(_value(firm, b.base, as_of))
        if base is None:
            return None
        v = int((Decimal(str(b.rate)) * Decimal(str(base))).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return v if b.cap is None else min(v, b.cap)
    if b.cap is not None:
        return b.cap
    return b.max_amount


def evaluate_item(item: Item, doc: Document, firm_dict: dict[str, Any], as_of: str | None = None) -> ItemVerdict:
    """One firm × one item → status, per-condition results, amount and counts."""
    as_of = as_of or dt.date.today().isoformat()
    firm = flat_firm(firm_dict)
    nodes: list[Any] = []
    region = document_region_condition(doc)
    if region is not None:
        nodes.append(region)
    nodes.extend(item.conditions)
    results: list[Tri] = []
    for node in nodes:
        if isinstance(node, AnyGroup):
            results.append(kleene_or([evaluate_condition(c, doc, firm, as_of) for c in node.any]))
        else:
            results.append(evaluate_condition(node, doc, firm, as_of))
    verdict = kleene_and(results)
    status = {True: "eligible", False: "ineligible", None: "unknown"}[verdict]
    return ItemVerdict(
        status=status,
        results=tuple(results),
        amount=_amount(item, firm, as_of),
        n_met=sum(r is True for r in results),
        n_unmet=sum(r is False for r in results),
        n_unknown=sum(r is None for r in results),
    )


def evaluate_firm(docs: list[Document], firm_dict: dict[str, Any], as_of: str | None = None) -> list[dict[str, Any]]:
    """Every in-force item for one firm, with ``granted`` per exclusive group (highest amount wins).

    In a group (per document) the firm gets the eligible item with the highest amount; ties go to
    the higher ``max_amount``, then to the item listed first. Unknown amounts rank lowest.
    """
    as_of = as_of or dt.date.today().isoformat()
    rows = []
    for doc in docs:
        if not doc.in_force(as_of):
            continue
        best: dict[str, tuple[tuple[int, int], int]] = {}
        start = len(rows)
        for order, item in enumerate(doc.items):
            v = evaluate_item(item, doc, firm_dict, as_of)
            rows.append({"policy_id": doc.id, "item_id": item.id, "verdict": v, "granted": v.status == "eligible"})
            if v.status == "eligible" and item.exclusive_group is not None:
                key = (-1 if v.amount is None else v.amount, -1 if item.benefit.max_amount is None else item.benefit.max_amount)
                g = item.exclusive_group
                if g not in best or key > best[g][0]:
                    best[g] = (key, start + order)
        for order, item in enumerate(doc.items):
            g = item.exclusive_group
            if g is not None and rows[start + order]["granted"]:
                rows[start + order]["granted"] = best[g][1] == start + order
    return rows
