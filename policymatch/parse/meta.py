"""Document metadata: title, issuer, 文号, validity period (附则), region, and local boundary definitions.

Why separate from items: these facts come from the head and the tail of a document (the title block,
"本办法自2017年1月1日起施行，有效期5年", "'以下'均不含本数") and apply to every item.

>>> validity("本办法自2017年1月1日起施行，有效期5年。")
('2017-01-01', '2021-12-31')
>>> validity("自发布之日起施行，有效期至2025年12月31日。", issued="2023-02-08")
('2023-02-08', '2025-12-31')
>>> definitions("本意见所称“以上”均包含本数，“以下”均不含本数。")
Definitions(above_inclusive=True, below_inclusive=False)
>>> doc_number("并政发〔2023〕5号")
'并政发〔2023〕5号'
"""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path

from .conditions import Definitions
from .numbers import DATE_RE, cn_number, iso_date

__all__ = ["title_of", "doc_number", "issuer_of", "validity", "definitions", "region_of", "region_codes",
           "region_names"]

_DOCNO = re.compile(r"[\u4e00-\u9fa5]{1,12}[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*第?\s*\d{1,4}\s*号")
_TITLE_WORDS = re.compile(r"关于|办法|措施|意见|细则|通知|指南|方案|政策|规定|决定|问答")
_ISSUER = re.compile(r"[\u4e00-\u9fa5、 ]{2,40}?(?:人民政府|委员会|管委会|管理委员会|办公厅|办公室|局|厅|委|部|中心)$")


def title_of(lines: list[str]) -> str:
    """The title: the first short head line that reads like one (关于…的通知, …办法), else the first line."""
    heads = [x.strip() for x in lines[:12] if x.strip()]
    for x in heads:
        if len(x) <= 90 and _TITLE_WORDS.search(x) and not x.endswith(("。", "：", ":")):
            return x
    return heads[0][:90] if heads else ""


def doc_number(text: str) -> str | None:
    """The 文号 (并政发〔2023〕5号) in the head of the text, if any."""
    m = _DOCNO.search(text[:3000])
    return re.sub(r"\s+", "", m.group()) if m else None


def issuer_of(lines: list[str], title: str) -> str | None:
    """The issuing body: a line of the head or tail that is an organ name, else the organ opening the title."""
    for x in [y.strip() for y in lines[:8] + lines[-8:]]:
        if 2 < len(x) <= 40 and _ISSUER.search(x) and not _TITLE_WORDS.search(x):
            return x
    m = re.match(r"^(.{2,30}?(?:人民政府办公厅|人民政府|管理委员会|管委会|委员会|财政厅|局))(?:关于|印发)", title)
    return m.group(1) if m else None


_START = re.compile(r"自\s*(?P<d>(?:19|20)\d{2}\s*年[^，。；]{0,10}?)\s*(?:起|开始)\s*(?:施行|实施|执行|生效)")
_PUBLISHED = re.compile(r"自\s*(?:发布|印发|公布)之日起\s*(?:施行|实施|执行|生效)")
_UNTIL = re.compile(r"(?:有效期至|执行至|实施至|截至|至)\s*(?P<d>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)")
_YEARS = re.compile(r"有效期(?:为|暂定)?\s*(?P<n>[\d一二三四五六七八九十两]{1,3})\s*年")
_PERIOD = re.compile(r"(?P<a>(?:19|20)\d{2})\s*(?:年)?\s*(?:至|-|—|~)\s*(?P<b>(?:19|20)\d{2})\s*年")


def validity(text: str, issued: str | None = None) -> tuple[str | None, str | None]:
    """(valid_from, valid_to) from the 施行/有效期 clauses; years-long periods end the day before."""
    start = None
    m = _START.search(text)
    if m:
        start = iso_date(m.group("d"))
    elif _PUBLISHED.search(text) and issued:
        start = issued
    end = None
    mu = _UNTIL.search(text, m.end() if m else 0)
    if mu and re.search(r"有效|执行|实施|施行", text[max(0, mu.start() - 20):mu.end() + 4]):
        end = iso_date(mu.group("d"), end_of_period=True)
    my = _YEARS.search(text)
    if end is None and my and start:
        n = cn_number(my.group("n"))
        if isinstance(n, (int, float)) and 0 < n < 50:
            d0 = date.fromisoformat(start)
            try:
                end = (d0.replace(year=d0.year + int(n)) - timedelta(days=1)).isoformat()
            except ValueError:
                end = None
    if start is None and end is None:
        mp = _PERIOD.search(text[-2000:]) if re.search(r"执行期|实施期|有效期|适用于", text[-2000:]) else None
        if mp and int(mp.group("a")) <= int(mp.group("b")):
            start, end = f"{mp.group('a')}-01-01", f"{mp.group('b')}-12-31"
    return start, end


def issued_date(lines: list[str]) -> str | None:
    """The date printed under the title or above the signature (a line that is only a date)."""
    for x in lines[:10] + lines[-10:]:
        x = x.strip()
        m = DATE_RE.fullmatch(x)
        if m and m.group("d"):
            return iso_date(x)
    return None


_ABOVE = re.compile(r"[“\"]?以上[”\"]?[^。；]{0,12}?(?P<neg>不)?(?:包含|包括|含)本数")
_BELOW = re.compile(r"[“\"]?以下[”\"]?[^。；]{0,12}?(?P<neg>不)?(?:包含|包括|含)本数")


def definitions(text: str) -> Definitions:
    """Document-local definitions of 以上/以下 (民法典 第1259条 defaults: both include the number)."""
    a = _ABOVE.search(text)
    b = _BELOW.search(text)
    return Definitions(above_inclusive=not (a and a.group("neg")), below_inclusive=not (b and b.group("neg")))


@cache
def _regions() -> tuple[dict[str, str], dict[str, str]]:
    """Unambiguous region name → code, from data/reference and the lexicon's zone aliases; code → level."""
    root = Path(__file__).resolve().parents[2] / "data" / "reference"
    names: dict[str, set[str]] = {}
    levels: dict[str, str] = {}
    path = root / "admin_divisions_china.csv"
    if path.exists():
        with open(path, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                names.setdefault(r["name"], set()).add(r["code"])
                levels[r["code"]] = r["level"]
    lex = Path(__file__).resolve().parent / "lexicon" / "regions.csv"
    with open(lex, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            names.setdefault(r["name"], set()).add(r["code"])
            levels.setdefault(r["code"], r["level"])
    unique = {n: next(iter(c)) for n, c in names.items() if len(c) == 1 and len(n) >= 3}
    return unique, levels


def region_names() -> dict[str, str]:
    return _regions()[0]


@cache
def _region_regex() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(n) for n in sorted(region_names(), key=len, reverse=True)))


@lru_cache(maxsize=4096)
def region_codes(text: str) -> tuple[tuple[str, int, int], ...]:
    """(code, start, end) of every unambiguous region name in the text."""
    names = region_names()
    return tuple((names[m.group()], m.start(), m.end()) for m in _region_regex().finditer(text))


_RANK = {"province": 0, "city": 1, "prefecture": 1, "county": 2, "zone": 2}


def region_of(title: str, issuer: str | None, head: str) -> str | None:
    """The issuer's own area: the most specific region named by the issuer, title or head of the text."""
    levels = _regions()[1]
    for text in (issuer or "", title, head):
        found = region_codes(text)
        if found:
            best = max(found, key=lambda x: (_RANK.get(levels.get(x[0], ""), 0), -x[1]))
            return best[0]
    return None


@cache
def _industry_sections() -> dict[str, str]:
    root = Path(__file__).resolve().parents[2] / "data" / "reference" / "gbt4754_2017_industry.csv"
    out: dict[str, str] = {}
    if root.exists():
        with open(root, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                if r["level"] == "division":
                    out[r["code"]] = r["section"]
    return out


def industry_section(division: str) -> str | None:
    """GB/T 4754 门类 letter of a 大类 (``'51'`` → ``'F'``)."""
    return _industry_sections().get(division)
