"""Chinese explanations of a match: firm values against thresholds, reasons, near misses, match scores.

Why one module: the one-firm match (CLI and platform JSON) and the batch job explain results to
the same users. The wording of a condition or a benefit itself is ``_wording`` (shared with search
and interpretation); ``describe_condition`` and ``describe_benefit`` are re-exported here.

>>> from policymatch.model import Benefit, Condition
>>> describe_condition(Condition("revenue", "gte", 50_000_000))
'营业收入不低于5000万元'
>>> describe_benefit(Benefit(kind="subsidy", rate=0.1, base="rd_expense", cap=2_000_000))
'按研发费用的10%给予补助，最高200万元'
>>> yuan(8_000_000), yuan(150_000_000), yuan(None), format_value("certs.hitech", "2023-05-01")
('800万元', '1.5亿元', '未知', '已认定（2023-05-01）')
>>> score_text(4, 0, 1)
'满足 4/5 条，1 条待核实'
"""

from __future__ import annotations

from typing import Any

from ._wording import BENEFIT_KIND_LABELS, code_name, describe_benefit, describe_condition, format_yuan
from ._wording import format_value as _format_value
from .fields import FIELDS, field_label, is_cert_field
from .model import Condition

__all__ = [
    "yuan",
    "format_value",
    "format_threshold",
    "describe_condition",
    "describe_benefit",
    "score_text",
    "gap_text",
    "RESULT_LABELS",
    "STATUS_LABELS",
    "BENEFIT_KIND_LABELS",
]

STATUS_LABELS = {"eligible": "符合", "unknown": "待核实", "ineligible": "不符合"}
RESULT_LABELS = {"met": "满足", "unmet": "不满足", "unknown": "待核实"}


def yuan(v: int | float | None) -> str:
    """Money for people (``_wording.format_yuan``); ``未知`` when missing."""
    return "未知" if v is None else format_yuan(v)


def format_value(field: str, v: Any) -> str:
    """A firm's value of a field in words (``4200万元``, ``已认定（2023-05-01）``); ``未知`` when missing."""
    if v is None or (isinstance(v, float) and v != v):
        return "未知"
    if is_cert_field(field):
        return "未认定" if v is False else ("已认定" if v in (True, "true") else f"已认定（{v}）")
    if field == "age_years":
        return f"{float(v):.1f}年"
    if isinstance(v, float) and FIELDS.get(field) is not None and FIELDS[field].kind == "money":
        v = int(round(v))
    return _format_value(field, v)


def format_threshold(c: Condition) -> str:
    """The rule side of a condition in words (``5000万元``, ``制造业（C）``, ``中型、小型``)."""
    v = c.value
    if c.op == "within":
        return "、".join(code_name(c.field, x) for x in ([v] if isinstance(v, str) else v))
    if c.op in ("in", "not_in"):
        return "、".join(format_value(c.field, x) for x in v)
    if c.op == "between":
        lo, hi = v
        return f"{'不限' if lo is None else format_value(c.field, lo)}至{'不限' if hi is None else format_value(c.field, hi)}"
    if c.op in ("has", "text") or v is None:
        return ""
    return str(v) if c.op == "since" else format_value(c.field, v)


def score_text(n_met: int, n_unmet: int, n_unknown: int) -> str:
    """The match score as users see it: ``满足 4/5 条，1 条待核实`` (``，1 条不满足`` when any)."""
    total = n_met + n_unmet + n_unknown
    parts = [f"满足 {n_met}/{total} 条"]
    if n_unknown:
        parts.append(f"{n_unknown} 条待核实")
    if n_unmet:
        parts.append(f"{n_unmet} 条不满足")
    return "，".join(parts)


def gap_text(field: str, op: str, threshold: Any, g: float, gain: int | None, more: bool) -> str:
    """One near miss: ``营业收入还差800万元即可达到5000万元档，可多得30万元``.

    >>> gap_text("revenue", "gte", 50_000_000, 8_000_000, 300_000, True)
    '营业收入还差800万元即可达到5000万元档，可多得30万元'
    >>> gap_text("investment", "lt", 3_000_000, 300_000, None, False)
    '投资额需减少30万元才能低于300万元'
    """
    label = field_label(field)
    amount = format_value(field, g)
    thr = format_value(field, threshold)
    if op in ("lt", "lte"):
        text = f"{label}需减少{amount}才能{'低于' if op == 'lt' else '不高于'}{thr}"
    else:
        verb = "超过" if op == "gt" else "达到"
        text = f"{label}还差{amount}即可{verb}{thr}档"
    if gain:
        text += f"，{'可多得' if more else '可得'}{yuan(gain)}"
    return text
