"""Find and normalise the numbers of policy Chinese: money (元/千元/万元/亿元), percent, ‰, 个百分点, dates.

Why one scanner: conditions and benefits read the same mentions; scanning a sentence once and
classifying each mention by its neighbours is both faster and easier to test than many regexes.
Money comes out in integer yuan, rates as fractions, dates as ISO strings.

>>> to_yuan("1.5亿元")
150000000
>>> to_yuan("五十万元"), to_yuan("两亿"), to_yuan("3千元")
(500000, 200000000, 3000)
>>> [(m.kind, m.value) for m in scan("营业收入增长20%以上，给予8‰的奖励，再提高2个百分点")]
[('percent', 0.2), ('percent', 0.008), ('points', 0.02)]
>>> iso_date("2019年4月30日"), iso_date("2023年1月")
('2019-04-30', '2023-01-01')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

__all__ = ["Mention", "scan", "to_yuan", "cn_number", "iso_date", "DATE_RE"]

_CN_DIGITS = "零〇一二两三四五六七八九十百千"
_NUM = rf"(?:\d+(?:\.\d+)?|[{_CN_DIGITS}]+(?:点[{_CN_DIGITS}]+)?)"
_MAG = {"": 1, "千": 1000, "万": 10_000, "亿": 100_000_000, "千万": 10_000_000, "百万": 1_000_000, "万亿": 10**12}
# A mention: 百分之N | N % | N ‰ | N 个百分点 | N [千|万|百万|千万|亿] [美元|元] ; spaces allowed inside.
_MENTION = re.compile(
    rf"百分之(?P<pct_cn>{_NUM})"
    rf"|(?P<num>{_NUM})\s*(?:"
    r"(?P<pct>%)|(?P<permille>‰)|(?P<points>个百分点)"
    r"|(?P<mag>万亿|千万|百万|亿|万|千)?\s*(?P<cur>美元|港元|欧元|元)?"
    r")"
)


#: "50万-100万（不含）美元", "100万（含）美元": the currency after a bracket or a range still applies
_LATER_USD = re.compile(r"\s*(?:[(（][^)）]{0,6}[)）])?\s*(?:[-—~至到]\s*[\d.]+\s*[万亿千]?\s*(?:[(（][^)）]{0,6}[)）])?\s*)?(?:美元|港元|欧元)")


_BARE = re.compile(r"(?<=[过超破])(?P<mag>亿|千万|百万)元?")


@dataclass(frozen=True)
class Mention:
    """One number in a sentence: kind is money | usd | percent | points | count, value normalised."""

    kind: str
    value: float | int
    start: int
    end: int
    text: str


_MAX_DIGITS = 15


@lru_cache(maxsize=4096)
def cn_number(s: str) -> float | None:
    """Chinese or Arabic numeral string → number (``'五十'`` → 50); None when it is not a number.

    Numerals of more than 15 digits are not amounts a policy states (they are page junk or
    concatenated figures) and would overflow exact decimal arithmetic later: None.

    >>> cn_number("五十"), cn_number("1000100001000010000000")
    (50, None)
    """
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        if len(s.split(".")[0].lstrip("0")) > _MAX_DIGITS:
            return None
        return float(s) if "." in s else int(s)
    try:
        import cn2an

        v = cn2an.cn2an(s, "smart")
    except Exception:  # cn2an raises ValueError and others on non-numerals
        return None
    if v is None or abs(v) >= 10**_MAX_DIGITS:
        return None
    return v


def _as_int_yuan(v: float | int, mag: int) -> int:
    return int((Decimal(str(v)) * mag).to_integral_value())


def to_yuan(text: str) -> int | None:
    """A money expression → integer yuan (``'1.5亿元'`` → 150000000); None if it is not money."""
    for m in scan(text):
        if m.kind == "money":
            return int(m.value)
    return None


def scan(sentence: str) -> list[Mention]:
    """Every number mention in a sentence, classified by its unit (a fresh list; cached underneath)."""
    return list(_scan(sentence))


@lru_cache(maxsize=8192)
def _scan(sentence: str) -> tuple[Mention, ...]:
    out: list[Mention] = []
    for m in _MENTION.finditer(sentence):
        if m.group("pct_cn"):
            v = cn_number(m.group("pct_cn"))
            if v is not None:
                out.append(Mention("percent", _frac(v, 100), m.start(), m.end(), m.group()))
            continue
        raw = m.group("num")
        is_cn = not raw[0].isdigit()
        v = cn_number(raw)
        if v is None:
            continue
        if m.group("pct"):
            out.append(Mention("percent", _frac(v, 100), m.start(), m.end(), m.group()))
        elif m.group("permille"):
            out.append(Mention("percent", _frac(v, 1000), m.start(), m.end(), m.group()))
        elif m.group("points"):
            out.append(Mention("points", _frac(v, 100), m.start(), m.end(), m.group()))
        elif m.group("mag") or m.group("cur"):
            if is_cn and not m.group("cur") and len(raw) == 1 and raw in "千万亿":
                continue
            mag = _MAG[m.group("mag") or ""]
            cur = m.group("cur") or ("美元" if _LATER_USD.match(sentence, m.end()) else "元")
            kind = "money" if cur == "元" else "usd"
            end = m.end() if sentence[m.end() - 1] != " " else m.end() - 1
            out.append(Mention(kind, _as_int_yuan(v, mag), m.start(), end, sentence[m.start():end].rstrip()))
        elif not is_cn:
            end = m.start() + len(raw)
            out.append(Mention("count", v, m.start(), end, raw))
    for m in _BARE.finditer(sentence):  # "年产值过亿元": a magnitude with no digits is one of it
        if not any(x.start <= m.start() < x.end for x in out):
            out.append(Mention("money", _MAG[m.group("mag")], m.start(), m.end(), m.group()))
    return tuple(sorted(out, key=lambda x: x.start))


def _frac(v: float | int, base: int) -> float:
    return float(round(Decimal(str(v)) / base, 8))


DATE_RE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?:(?P<m>\d{1,2})\s*月\s*(?:(?P<d>\d{1,2})\s*日)?)?")


def iso_date(text: str, end_of_period: bool = False) -> str | None:
    """First date in ``text`` as ISO; a missing month/day is the period's first (or last) day."""
    m = DATE_RE.search(text)
    if not m:
        return None
    y = int(m.group("y"))
    mo = int(m.group("m")) if m.group("m") else (12 if end_of_period else 1)
    if not 1 <= mo <= 12:
        return None
    if m.group("d"):
        d = int(m.group("d"))
    else:
        d = _month_days(y, mo) if end_of_period else 1
    if not 1 <= d <= _month_days(y, mo):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _month_days(y: int, mo: int) -> int:
    if mo == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if mo in (4, 6, 9, 11) else 31
