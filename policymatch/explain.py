"""Chinese wording of conditions, benefits, firm values, reasons, near misses and match scores.

Why one module: the one-firm match (CLI and platform JSON), the policy interpretation and the
search area all describe the same rules to the same users; the wording lives here once.
Operator words come from ``model.ops``; field labels and units from ``fields``.

>>> from policymatch.model import Benefit, Condition
>>> describe_condition(Condition("revenue", "gte", 50_000_000))
'营业收入不低于5000万元'
>>> describe_benefit(Benefit(kind="subsidy", rate=0.1, base="rd_expense", cap=2_000_000))
'按研发费用的10%给予补助，最高200万元'
>>> yuan(8_000_000), yuan(150_000_000), yuan(1234)
('800万元', '1.5亿元', '1234元')
>>> score_text(4, 0, 1)
'满足 4/5 条，1 条待核实'
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .fields import CERT_LABELS, ENUMS, FIELDS, cert_code, field_label, is_cert_field
from .model import AnyGroup, Benefit, Condition
from .model.ops import OPS

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
BENEFIT_KIND_LABELS = {
    "award": "奖励",
    "subsidy": "补助",
    "interest_subsidy": "贴息",
    "tax_reduction": "税费减免",
    "rent_subsidy": "租金补贴",
    "loan": "融资支持",
    "service": "服务支持",
    "other": "其他支持",
}


def _trim(d: Decimal) -> str:
    s = f"{d:.2f}".rstrip("0").rstrip(".")
    return s or "0"


def yuan(v: int | float | None) -> str:
    """Money for people: 元 below 1万, 万元 below 1亿 (up to two decimals), else 亿元."""
    if v is None:
        return "未知"
    d = Decimal(str(v))
    sign = "-" if d < 0 else ""
    d = abs(d)
    if d >= 100_000_000:
        return f"{sign}{_trim(d / 100_000_000)}亿元"
    if d >= 10_000:
        return f"{sign}{_trim(d / 10_000)}万元"
    return f"{sign}{_trim(d)}元"


def _percent(v: float) -> str:
    return f"{_trim(Decimal(str(v)) * 100)}%"


_KIND_FORMAT = {
    "money": yuan,
    "ratio": _percent,
    "int": lambda v: f"{int(v)}",
    "float": lambda v: f"{float(v):.1f}",
    "bool": lambda v: "是" if v else "否",
}


def format_value(field: str, v: Any) -> str:
    """A firm's value (or a rule's threshold) of a field, with unit; ``未知`` when missing."""
    if v is None or (isinstance(v, float) and v != v):
        return "未知"
    if is_cert_field(field):
        return "未认定" if v is False else ("已认定" if v in (True, "true") else f"已认定（{v}）")
    f = FIELDS.get(field)
    if f is None:
        return str(v)
    if f.name in ENUMS:
        return ENUMS[f.name].get(str(v), str(v))
    fmt = _KIND_FORMAT.get(f.kind)
    if fmt is None:
        return str(v)
    try:
        return fmt(v) + (f.unit if f.kind in ("int", "float") else "")
    except (TypeError, ValueError):
        return str(v)


def _code_name(field: str, code: str) -> str:
    try:
        from .reference import industries, regions

        table = regions() if field == "region" else industries()
        key = code if field == "region" or code.isalpha() else code.lstrip("ABCDEFGHIJKLMNOPQRST")
        return f"{table.loc[key, 'name']}（{code}）" if key in table.index else code
    except Exception:  # pragma: no cover - reference tables missing: the code alone is still right
        return code


def format_threshold(c: Condition) -> str:
    """The rule side of a condition in words (``5000万元``, ``制造业（C）``, ``中型、小型``)."""
    v = c.value
    if c.op == "within":
        codes = [v] if isinstance(v, str) else list(v)
        return "、".join(_code_name(c.field, x) for x in codes)
    if c.op in ("in", "not_in"):
        return "、".join(format_value(c.field, x) for x in v)
    if c.op == "between":
        lo, hi = v
        return f"{format_value(c.field, lo) if lo is not None else '不限'}至{format_value(c.field, hi) if hi is not None else '不限'}"
    if c.op in ("has", "text") or v is None:
        return ""
    if c.op == "since":
        return str(v)
    return format_value(c.field, v)


def _describe_atom(c: Condition) -> str:
    label = field_label(c.field)
    if c.field == "other" or c.op == "text":
        return f"需人工核实：{c.text}" if c.text else "需人工核实的条件"
    if is_cert_field(c.field):
        name = CERT_LABELS.get(cert_code(c.field), label)
        if c.op == "since":
            return f"{c.value}及以后新认定为{name}" if c.value else f"政策有效期内新认定为{name}"
        if c.op == "eq" and c.value is False:
            return f"不是{name}"
        return f"具有{name}资质"
    if FIELDS.get(c.field) is not None and FIELDS[c.field].kind == "bool" and c.op in ("eq", "ne"):
        positive = bool(c.value) == (c.op == "eq")
        return f"{'有' if positive else '无'}{label}" if c.field in ("dishonest", "major_violation") else (
            f"{'是' if positive else '不是'}{label}"
        )
    if c.op == "within":
        return f"{label}属于{format_threshold(c)}"
    if c.op == "crosses":
        return f"{label}首次达到{format_threshold(c)}（上年未达到）"
    return f"{label}{OPS[c.op].words}{format_threshold(c)}"


def describe_condition(cond: Condition | AnyGroup) -> str:
    """A condition (or an ``any`` group) in plain Chinese, as a user reads it.

    >>> describe_condition(Condition("industry", "within", ["B", "C", "D"]))
    '国民经济行业属于采矿业（B）、制造业（C）、电力、热力、燃气及水生产和供应业（D）'
    >>> describe_condition(Condition("certs.hitech", "since", None))
    '政策有效期内新认定为高新技术企业'
    """
    if isinstance(cond, AnyGroup):
        return "或".join(_describe_atom(c) for c in cond.any) + "（满足其一）"
    return _describe_atom(cond)


def describe_benefit(benefit: Benefit) -> str:
    """What an item gives, in words: fixed sum, rate of a base with cap, per unit, or the kind.

    >>> describe_benefit(Benefit(kind="award", amount=300_000))
    '奖励30万元'
    >>> describe_benefit(Benefit(kind="subsidy", unit_amount=10_000, unit="件", max_amount=500_000))
    '每件补助1万元，最高50万元'
    """
    b = benefit
    kind = BENEFIT_KIND_LABELS.get(b.kind, "支持")
    if b.amount is not None:
        return f"{kind}{yuan(b.amount)}"
    cap = f"，最高{yuan(b.cap if b.cap is not None else b.max_amount)}" if (b.cap or b.max_amount) else ""
    if b.rate is not None:
        base = field_label(b.base) if b.base in FIELDS else (b.base or "相关费用")
        return f"按{base}的{_percent(b.rate)}给予{kind}{cap}"
    if b.unit_amount is not None:
        return f"每{b.unit or '单位'}{kind}{yuan(b.unit_amount)}{cap}"
    if b.cap is not None:
        return f"{kind}最高{yuan(b.cap)}"
    return b.text or kind


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
