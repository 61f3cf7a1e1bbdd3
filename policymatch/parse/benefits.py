"""The benefit span of a sentence → amounts, rates, caps, per-unit sums and the benefit kind, per tier.

Why tiers here: "分别给予50万元、100万元、200万元" is three benefits of one sentence; this module
returns them as a list (one :class:`BenefitTier` each) and ``items`` pairs them with the
threshold list of the condition span.

>>> [(t.amount, t.cap, t.rate) for t in benefit_tiers("分别给予50万元、100万元奖励")]
[(500000, None, None), (1000000, None, None)]
>>> t = benefit_tiers("按实际投资额的10%给予补助，最高不超过200万元")[0]
>>> (t.rate, t.base, t.cap, t.max_amount)
(0.1, 'investment', 2000000, 2000000)
>>> t = benefit_tiers("每件给予资助1万元")[0]
>>> (t.unit_amount, t.unit, t.max_amount)
(10000, '件', None)
>>> benefit_kind("给予贷款贴息")
'interest_subsidy'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from ._lexicon import sorted_phrases, table, words
from .numbers import Mention, scan

__all__ = ["BenefitTier", "benefit_tiers", "benefit_kind", "benefit_start"]


@dataclass(frozen=True)
class BenefitTier:
    """One benefit of a sentence: money in yuan, rate a fraction."""

    amount: int | None = None
    rate: float | None = None
    base: str | None = None
    cap: int | None = None
    unit_amount: int | None = None
    unit: str | None = None
    floor: int | None = None

    @property
    def max_amount(self) -> int | None:
        if self.amount is not None:
            return self.amount
        return self.cap


@cache
def _cap_regex() -> re.Pattern[str]:
    return re.compile("(?:" + "|".join(re.escape(w) for w in words("caps")) + r")[^，,；;。]{0,12}$")


@cache
def _unit_table() -> tuple[tuple[str, str], ...]:
    return tuple((r["pattern"], r["unit"]) for r in sorted(table("per_unit"), key=lambda r: -len(r["pattern"])))


@cache
def _trigger_regex() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in words("triggers")))


_STRONG = re.compile(r"给予|予以|给与|奖励|补助|补贴|资助|贴息|奖补|额度分别为|标准分别为")
_CLAUSE = re.compile(r"[，,：:]")
_STANDARD = re.compile(r"^\s*(?:可|均|将|并)?(?:按|按照|依照|参照)")
_BENEFIT_HEAD = re.compile(r"按|以[^上下内外]|每|最高|不超过|不高于|给予|予以|%|元")
_BASE = re.compile(r"(?:按照?|以)(?:其|企业|项目)?(?P<base>[^，,；;。按以]{1,24}?)(?:的|为基数[，,]?\s*给予)\s*(?:\d|百分之|最高|不超过|不高于)")
_FLOOR = re.compile(r"^\s*(?:以上|及以上)")
_CEIL_AFTER = re.compile(r"^\s*(?:以下|以内)")
_MODIFIER = re.compile(r"提高|提升|增加|上浮")


@lru_cache(maxsize=8192)
def benefit_start(sentence: str) -> int | None:
    """Offset where the benefit span begins: the clause holding the first 给予/奖励… with a sum or rate."""
    pos = 0
    clauses = []
    for m in _CLAUSE.finditer(sentence + "，"):
        clauses.append((pos, m.start()))
        pos = m.end()
    trig = _trigger_regex()
    for k, (s, e) in enumerate(clauses):
        c = sentence[s:e]
        m = _STRONG.search(c)
        if m and (scan(c) or re.search(r"给予|予以|给与", c)):
            head = c[:m.start()]
            # "评为优秀的楼宇物业公司给予3万元": the clause holds its own condition before the verb,
            # unless the words before the verb belong to the benefit ("按投资额的10%给予")
            if head.strip() and not _BENEFIT_HEAD.search(head):
                return s + m.start()
            while k > 0 and _STANDARD.match(sentence[clauses[k - 1][0]:clauses[k - 1][1]]):
                k -= 1  # "可按每平方米不超过1000元的标准，给予购房补助": the standard belongs to the benefit
                s = clauses[k][0]
            return s
    for s, e in clauses:
        c = sentence[s:e]
        if trig.search(c):
            return s
    return None


def _unit_of(span_before: str, span_after: str) -> str | None:
    for pat, unit in _unit_table():
        if pat.startswith("元"):
            if span_after.startswith(pat[1:]) or span_after.startswith(pat):
                return unit
        elif pat in span_before[-12:] and not re.search(r"\d", span_before[span_before.rfind(pat):]):
            return unit
    return None


_PER_LEAD = re.compile(r"每(?:新设|新增|增加|实现|引进|吸纳|建成|开设|达到)?(?P<u>[^，,；;。]{1,16})[，,]?\s*$")


def benefit_tiers(part: str, lead: str = "") -> list[BenefitTier]:
    """Benefits stated in a benefit span; several when it lists sums or rates (tiers).

    ``lead`` is the clause just before the span: "每新设一家门店，给予1万元" makes the sum per unit.
    """
    per = _PER_LEAD.search(lead) if lead else None
    ms = [m for m in scan(part) if m.kind in ("money", "percent", "points")]
    inside = [m for m in ms if _in_brackets(part, m.start)]
    if inside and len(inside) < len(ms):  # "给予10万元奖励(第一年5万元，第二年3万元…)": the breakdown is not tiers
        ms = [m for m in ms if m not in inside]
    buckets: dict[str, list] = {"amount": [], "cap": [], "rate": [], "unit": [], "floor": [], "pool": []}
    order: list[tuple[str, float | int]] = []  # amounts and rates in text order (mixed tiers)
    prev: tuple[str, int] | None = None  # (role, end) of the previous money mention
    skip: set[int] = set()
    for k in range(len(ms) - 1):  # "按投资额的5%—20%给予奖励": a range states its top
        a, b = ms[k], ms[k + 1]
        if a.kind == b.kind and a.kind in ("percent", "money") and _RANGE.match(part[a.end:b.start]):
            skip.add(k)
    for k, m in enumerate(ms):
        if k in skip:
            continue
        before = part[:m.start]
        after = part[m.end:]
        clause_before = _CLAUSE.split(before)[-1]
        if m.kind == "points" or (m.kind == "percent" and _MODIFIER.search(clause_before[-8:])):
            continue
        if k - 1 in skip and m.kind == "money":
            buckets["cap"].append(int(m.value))  # "给予10万—50万元": at most the top of the range
            prev = ("cap", m.end)
            continue
        if m.kind == "percent":
            if 0 < m.value <= 1:
                buckets["rate"].append(m.value)
                order.append(("rate", m.value))
            continue
        if prev is not None and _LIST_JOIN.match(part[prev[1]:m.start]) and prev[0] != "unit":
            role = prev[0]  # "最高给予600万元、1000万元、1500万元": a list keeps its role
        else:
            role = _money_role(clause_before, after, per)
        if role == "unit":
            each = _EACH_NEW.search(clause_before)
            unit = _unit_of(clause_before, after) or _per_unit(per) or (each.group()[3:] if each else None)
            buckets["unit"].append((int(m.value), unit))
        else:
            buckets[role].append(int(m.value))
            if role == "amount":
                order.append(("amount", int(m.value)))
        prev = (role, m.end)
    amounts, caps, rates, units, floors = (buckets[k] for k in ("amount", "cap", "rate", "unit", "floor"))
    base = None
    if rates:
        mb = _BASE.search(part)
        if mb:
            base = _base_field(mb.group("base"))
    mixed = amounts and rates and len(order) > 2 and "分别" in part
    n = len(order) if mixed else max(len(amounts), len(rates), len(caps), len(units), 1)
    tiers = []
    for k in range(n):
        if mixed:
            kind, v = order[k]
            amount, rate = (v, None) if kind == "amount" else (None, v)
        else:
            amount, rate = _pick(amounts, k), _pick(rates, k)
        t = BenefitTier(
            amount=amount,
            rate=rate,
            base=base if rate is not None else None,
            cap=_pick(caps, k),
            unit_amount=_pick([u for u, _ in units], k),
            unit=_pick([u for _, u in units], k),
            floor=_pick(floors, k),
        )
        if t.amount is not None and t.rate is not None:  # "给予X%、最高Y万元": the sum is the ceiling
            t = replace(t, cap=t.cap if t.cap is not None else t.amount, amount=None)
        if t.amount is not None and t.unit_amount is not None:
            t = replace(t, cap=t.cap if t.cap is not None else t.amount, amount=None)
        if t.amount is not None and t.cap is not None and t.cap > t.amount and t.rate is None:
            # "给予5万元，每个企业最高不超过20万元": the sum is per unit, the ceiling per firm
            t = replace(t, unit_amount=t.amount, amount=None)
        tiers.append(t)
    return tiers


def _in_brackets(text: str, i: int) -> bool:
    """True when position i lies inside (…) or （…）."""
    head = text[:i]
    return max(head.rfind("("), head.rfind("（")) > max(head.rfind(")"), head.rfind("）"))


_RANGE = re.compile(r"^\s*(?:-|—|~|至|到)\s*$")
_LIST_JOIN = re.compile(r"^\s*(?:、|和|或|及)\s*$")


def _per_unit(per: re.Match[str] | None) -> str | None:
    if per is None:
        return None
    return re.sub(r"^[一1]\s*(?:家|个|件|项|台|套|名)?", "", per.group("u")).strip() or per.group("u")


_POOL = re.compile(r"安排[^，,；;。]{0,6}$|每年安排|资金池")
_EACH_NEW = re.compile(r"每(?:新设|新增|设立|开设|引进|建成|实现|增加)[^，,；;。]{1,20}$")
_EXTRA = re.compile(r"另(?:行)?给予|另奖励|额外给予")


def _money_role(clause_before: str, after: str, per: re.Match[str] | None) -> str:
    """amount | cap | unit | floor | pool for one sum, from the words around it.

    "每家企业最高20万元" is a ceiling per recipient; "每辆3000元", "100元/亩" and "每新设一家门店，给予1万元"
    are per-unit sums; "安排200万元专项资金" is a pool for many firms, not what one firm gets.
    """
    capped = bool(_cap_regex().search(clause_before))
    if _POOL.search(clause_before):
        return "pool"
    if _EXTRA.search(clause_before[-6:]):
        return "amount"
    if _unit_of(clause_before, after) or ((per is not None or _EACH_NEW.search(clause_before)) and not capped):
        return "unit"
    if _FLOOR.match(after):
        return "floor"
    if capped or _CEIL_AFTER.match(after):
        return "cap"
    return "amount"


def _pick(values: list, k: int):
    """k-th value of a tier list; a single value is shared by every tier."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return values[k] if k < len(values) else None


def _base_field(phrase: str) -> str:
    phrase = re.sub(r"^(?:实际|上年度|上一年度|年度|当年|其)", "", phrase.strip())
    for p, row in sorted_phrases("fields"):
        if p in phrase:
            if any(b in phrase for b, _ in sorted_phrases("not_fields")):
                break
            return row["field"]
    return phrase


@cache
def _kind_table() -> tuple[tuple[str, str, int], ...]:
    return tuple(sorted(((r["word"], r["kind"], int(r["priority"])) for r in table("benefit_kinds")),
                        key=lambda x: (x[2], -len(x[0]))))


def benefit_kind(text: str) -> str:
    """Benefit kind from its words (贴息 → interest_subsidy, 奖励 → award …), by the table's priority."""
    for word, kind, _ in _kind_table():
        if word in text:
            return kind
    return "other"
