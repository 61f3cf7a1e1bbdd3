"""Chinese wording of one condition or one benefit, generated from the rule (never hand-written).

Why a table per operator: every explanation (search, interpret, match reasons) must say the same
condition the same way, and a new operator is one row. Money reads as 万元/亿元, ratios as percent,
codes and enums by their Chinese names.

>>> from policymatch.model.types import Condition, Benefit
>>> describe_condition(Condition("revenue", "crosses", 100000000))
'上年度营业收入首次达到1亿元'
>>> describe_condition(Condition("size", "in", ["medium", "small", "micro"]))
'企业规模为中型、小型或微型'
>>> describe_benefit(Benefit(kind="subsidy", rate=0.1, base="rd_expense", cap=2000000))
'按研发费用的10%给予补助，最高200万元'
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .fields import CERT_LABELS, ENUMS, FIELDS, cert_code, field_label, is_cert_field
from .model.types import AnyGroup, Benefit, Condition
from .reference import industries, regions

__all__ = ["describe_condition", "describe_benefit", "format_value", "format_yuan", "code_name", "BENEFIT_KIND_LABELS"]

BENEFIT_KIND_LABELS: dict[str, str] = {
    "award": "奖励",
    "subsidy": "补助",
    "interest_subsidy": "贴息",
    "tax_reduction": "税费减免",
    "rent_subsidy": "租金补贴",
    "loan": "融资支持",
    "service": "服务支持",
    "other": "支持",
}

#: how a yes/no field reads when it must be true / false ("无失信记录" rather than "失信记录为否")
_BOOL_WORDS: dict[str, tuple[str, str]] = {
    "above_scale": ("为规模以上企业", "不是规模以上企业"),
    "dishonest": ("有失信记录", "无失信记录"),
    "major_violation": ("有重大违法违规记录", "无重大违法违规记录"),
}


def format_yuan(v: int | float) -> str:
    """Yuan as a reader says it: 100000000 → 1亿元, 300000 → 30万元, 5000 → 5000元.

    >>> format_yuan(150000000), format_yuan(25000), format_yuan(800)
    ('1.5亿元', '2.5万元', '800元')
    """
    d = Decimal(str(v))
    for unit, size in (("亿元", Decimal(100000000)), ("万元", Decimal(10000))):
        if abs(d) >= size:
            return f"{(d / size).normalize():f}{unit}"
    return f"{d.normalize():f}元"


def _percent(v: float) -> str:
    return f"{(Decimal(str(v)) * 100).normalize():f}%"


def format_value(field: str, v: Any) -> str:
    """A condition value in words, by the field's kind (money, ratio, enum, count …).

    >>> format_value("rd_ratio", 0.03), format_value("tax_credit", "A"), format_value("employees", 50)
    ('3%', 'A级', '50人')
    """
    if v is None:
        return "（未定）"
    f = FIELDS.get(field)
    kind = f.kind if f else ""
    if field in ENUMS:
        return ENUMS[field].get(str(v), str(v))
    if kind == "money" and isinstance(v, (int, float)):
        return format_yuan(v)
    if kind == "ratio" and isinstance(v, (int, float)):
        return _percent(v)
    if isinstance(v, bool):
        return "是" if v else "否"
    return f"{v}{f.unit if f else ''}"


def _join(words: list[str], last: str = "或") -> str:
    return words[0] if len(words) == 1 else "、".join(words[:-1]) + last + words[-1]


def _values(c: Condition) -> list[Any]:
    return list(c.value) if isinstance(c.value, (tuple, list)) else [c.value]


def _eq(c: Condition, label: str) -> str:
    if c.field in _BOOL_WORDS and isinstance(c.value, bool):
        return _BOOL_WORDS[c.field][0 if c.value else 1]
    return f"{label}为{format_value(c.field, c.value)}"


def _ne(c: Condition, label: str) -> str:
    if c.field in _BOOL_WORDS and isinstance(c.value, bool):
        return _BOOL_WORDS[c.field][1 if c.value else 0]
    return f"{label}不为{format_value(c.field, c.value)}"


def _between(c: Condition, label: str) -> str:
    lo, hi = _values(c)
    if lo is None:
        return f"{label}不高于{format_value(c.field, hi)}"
    if hi is None:
        return f"{label}不低于{format_value(c.field, lo)}"
    return f"{label}在{format_value(c.field, lo)}至{format_value(c.field, hi)}之间（含）"


def code_name(field: str, code: str) -> str:
    """A region or industry code with its name: ``140171`` → ``山西转型综合改革示范区（140171）``.

    >>> code_name("industry", "I65")
    '软件和信息技术服务业（I65）'
    """
    table = regions() if field == "region" else industries()
    key = str(code)
    if field == "industry" and key[:1].isalpha() and len(key) > 1:
        key = key[1:]  # "I65": the letter repeats what the digits already say
    return f"{table.loc[key, 'name']}（{code}）" if key in table.index else str(code)


def _within(c: Condition, label: str) -> str:
    names = _join([code_name(c.field, v) for v in _values(c)])
    return f"注册地位于{names}" if c.field == "region" else f"所属行业为{names}"


def _since(c: Condition, label: str) -> str:
    if c.value is None:
        return f"新认定为{label}（政策有效期内认定）"
    return f"{c.value}以后新认定为{label}"


def _compare(words: str) -> Callable[[Condition, str], str]:
    return lambda c, label: f"{label}{words}{format_value(c.field, c.value)}"


#: op → wording; the comparison words follow 民法典 第1259条 (以上/不低于 include the number)
_WORDING: dict[str, Callable[[Condition, str], str]] = {
    "eq": _eq,
    "ne": _ne,
    "gt": _compare("高于"),
    "gte": _compare("不低于"),
    "lt": _compare("低于"),
    "lte": _compare("不高于"),
    "between": _between,
    "in": lambda c, label: f"{label}为{_join([format_value(c.field, v) for v in _values(c)])}",
    "not_in": lambda c, label: f"{label}不为{_join([format_value(c.field, v) for v in _values(c)])}",
    "within": _within,
    "has": lambda c, label: f"已认定为{label}",
    "since": _since,
    # PROFILE.md: revenue & co. are the last full year, *_prev the year before it
    "crosses": lambda c, label: f"上年度{label}首次达到{format_value(c.field, c.value)}",
    "text": lambda c, label: f"“{c.text}”",
}


def describe_condition(cond: Condition | AnyGroup) -> str:
    """One condition (or an ``any`` group) in plain Chinese."""
    if isinstance(cond, AnyGroup):
        return "满足其一：" + "；或".join(describe_condition(c) for c in cond.any)
    label = CERT_LABELS.get(cert_code(cond.field), cond.field) if is_cert_field(cond.field) else field_label(cond.field)
    wording = _WORDING.get(cond.op)
    return wording(cond, label) if wording else f"{label} {cond.op} {cond.value}"


def describe_benefit(benefit: Benefit) -> str:
    """What a firm gets, in words: amount; rate of a base with its cap; cap; per unit; else the text."""
    kind = BENEFIT_KIND_LABELS.get(benefit.kind, "支持")
    if benefit.amount is not None:
        return f"给予{kind}{format_yuan(benefit.amount)}"
    cap = f"，最高{format_yuan(benefit.cap)}" if benefit.cap is not None else ""
    if benefit.rate is not None:
        base = field_label(benefit.base) if benefit.base in FIELDS else (benefit.base or "相关投入")
        return f"按{base}的{_percent(benefit.rate)}给予{kind}{cap}"
    if benefit.unit_amount is not None:
        top = f"，最高{format_yuan(benefit.max_amount)}" if benefit.max_amount is not None else ""
        return f"每{benefit.unit or '单位'}给予{kind}{format_yuan(benefit.unit_amount)}{top}"
    if benefit.cap is not None:
        return f"给予{kind}，最高{format_yuan(benefit.cap)}"
    return f"给予{kind}（金额以原文为准）"
