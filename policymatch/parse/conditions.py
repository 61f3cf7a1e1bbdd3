"""Condition spans of a policy sentence → Condition atoms (RULES.md), with boundary words per 民法典 第1259条.

Why tables: the words that name a field (营业收入, 纳税总额 …), a qualification (高新技术企业 …), a size,
ownership, listing or industry, and the boundary words (以上 gte, 超过 gt …) all come from
``lexicon/*.csv``; this module only reads sentences with them. A threshold list (``1亿元、5亿元、10亿元``)
comes back as one :class:`Threshold` per element so that tiers can be expanded by ``items``.

>>> [(c.field, c.op, c.value) for c in term_atoms("对首次认定的国家高新技术企业")]
[('certs.hitech', 'since', None)]
>>> [(t.atoms[0].field, t.atoms[0].op, t.atoms[0].value) for t in thresholds("营业收入首次突破1亿元")]
[('revenue', 'crosses', 100000000)]
>>> [[(a.op, a.value) for a in t.atoms] for t in thresholds("设备投资50万元以上至100万元以下、100万元以上")]
[[('between', (500000, 1000000))], [('gte', 1000000)]]
>>> [[(a.op, a.value) for a in t.atoms] for t in thresholds("投资50万元以上至100万元以下", Definitions(below_inclusive=False))]
[[('gte', 500000), ('lt', 1000000)]]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from ..model.types import Condition
from ._lexicon import sorted_phrases, table, words
from .numbers import Mention, scan

__all__ = ["term_spans", "growth_atoms", "Definitions", "Threshold", "term_atoms", "level_certs", "thresholds", "exclusion_atoms", "other_atom",
           "GROWTH_FIELDS"]

#: fields whose growth rate is a derived profile field (PROFILE.md)
GROWTH_FIELDS = {"revenue": "revenue_growth", "output_value": "output_value_growth",
                 "rd_expense": "rd_expense_growth", "tax_paid": "tax_paid_growth"}
_LEVELS = re.compile(r"国家级|国家|省级|省|市级|市|区级|县级|区|县")
_GROWTH = re.compile(r"增长|增速|增幅|增长率")
_RATIO = re.compile(r"占.{0,12}(?:比例|比重)")
_LIST_SEP = re.compile(r"^\s*(?:、|和|或|及|,|，)\s*$")
_RANGE_SEP = re.compile(r"^\s*(?:至|到|-|~|－|—|－)\s*$")
_NEGATION = re.compile(r"不给予|不予|不得|不享受|不能|取消|不列入|禁止|除外|一票否决|不再|不支持|不属于|不适用|追回|收回")
_PAREN = re.compile(r"\([^()]{0,30}\)|（[^（）]{0,30}）")
_UNIT_AFTER = re.compile(r"^\s*(?:年|件|人|名|个)")


@dataclass(frozen=True)
class Definitions:
    """Document-local boundary definitions ("'以上'均包含本数，'以下'均不含本数" overrides the defaults)."""

    above_inclusive: bool = True
    below_inclusive: bool = True


@dataclass(frozen=True)
class Threshold:
    """One element of a threshold list: its atoms (one, or two for an open range) and source span."""

    atoms: tuple[Condition, ...]
    start: int
    end: int
    group: int = 0  # elements of one list ("1亿元、5亿元、10亿元") share a group number


@cache
def _boundaries() -> tuple[tuple[re.Pattern[str], str], tuple[re.Pattern[str], str]]:
    rows = table("boundaries")
    before = sorted((r for r in rows if r["position"] == "before"), key=lambda r: -len(r["word"]))
    after = sorted((r for r in rows if r["position"] == "after"), key=lambda r: -len(r["word"]))
    b = re.compile("(?:" + "|".join(re.escape(r["word"]) for r in before) + r")\s*(?:为|在)?\s*$")
    a = re.compile(r"^\s*(?:" + "|".join(re.escape(r["word"].replace("（", "(").replace("）", ")")) for r in after) + ")")
    return (b, {r["word"]: r["op"] for r in before}), (a, {r["word"].replace("（", "(").replace("）", ")"): r["op"]
                                                           for r in after})


def _op_before(text: str) -> str | None:
    (b, ops), _ = _boundaries()
    m = b.search(text[-8:])
    if not m:
        return None
    word = re.sub(r"\s*(?:为|在)?\s*$", "", m.group()).strip()
    return ops.get(word)


def _op_after(text: str, defs: Definitions) -> tuple[str | None, int]:
    _, (a, ops) = _boundaries()
    m = a.match(text[:10])
    if not m:
        return None, 0
    word = m.group().strip()
    op = ops.get(word)
    if word.startswith("(含") or word.startswith("(不含"):  # "(含)以上" etc.: explicit marks win
        rest_op, n = _op_after(text[m.end():], defs)
        if word == "(含)" and rest_op in ("gte", "lte", "lt", "gt"):
            return ("gte" if rest_op in ("gte", "gt") else "lte"), m.end() + n
        return op, m.end() + n
    if op == "gte" and word.endswith("以上") and not word.startswith("及") and not defs.above_inclusive:
        op = "gt"
    if op == "lte" and word.endswith("以下") and not word.startswith("及") and not defs.below_inclusive:
        op = "lt"
    return op, m.end()


@cache
def _field_regex() -> tuple[re.Pattern[str], dict[str, str]]:
    fields = {p: r["field"] for p, r in sorted_phrases("fields")}
    blocks = {p: "" for p, _ in sorted_phrases("not_fields")}
    allp = sorted({**fields, **blocks}, key=len, reverse=True)
    return re.compile("|".join(re.escape(p) for p in allp)), {**blocks, **fields}


def _field_before(text: str) -> str | None:
    """The nearest field phrase before a number (within its clause); '' for a blocking non-field phrase."""
    rx, fmap = _field_regex()
    clause = re.split(r"[，,；;。：:]", text)[-1]
    found = list(rx.finditer(clause))
    if not found:
        return None
    last = found[-1]
    # a non-field word right before the field word qualifies it ("单品种销售收入", "亩均投资强度")
    if len(found) > 1 and fmap[found[-2].group()] == "" and last.start() - found[-2].end() <= 3:
        return ""
    return fmap[last.group()]


def thresholds(cond: str, defs: Definitions = Definitions(), offset: int = 0,
               mentions: list[Mention] | None = None) -> list[Threshold]:
    """Numeric conditions of a condition span, one Threshold per list element (in order)."""
    ms = [m for m in (mentions if mentions is not None else scan(cond))
          if m.kind in ("money", "percent", "usd") or (m.kind == "count" and _UNIT_AFTER.match(cond[m.end:m.end + 2]))]
    out: list[Threshold] = []
    i = gid = 0
    group: list[tuple[Mention, Mention | None]] = []
    while i < len(ms):
        m = ms[i]
        hi = None
        if i + 1 < len(ms):
            between = cond[m.end:ms[i + 1].start]
            op_mid, n = _op_after(between, defs)
            if _RANGE_SEP.match(between[n:]) and ms[i + 1].kind == m.kind:
                hi = ms[i + 1]
                i += 1
        group.append((m, hi))
        last = hi or m
        nxt = ms[i + 1] if i + 1 < len(ms) else None
        tail = cond[last.end:nxt.start] if nxt else cond[last.end:]
        op_tail, n = _op_after(tail, defs)
        if nxt is not None and nxt.kind == m.kind and _LIST_SEP.match(_PAREN.sub("", tail[n:])):
            i += 1
            continue
        out.extend(_list_thresholds(cond, group, defs, offset, gid))
        gid += 1
        group = []
        i += 1
    return out


def _list_thresholds(cond: str, group: list[tuple[Mention, Mention | None]], defs: Definitions,
                     offset: int, gid: int) -> list[Threshold]:
    first = group[0][0]
    before = cond[:first.start]
    op_b = _op_before(before)
    # the list shares its field and its last boundary word ("达到10%、20%、30%以上")
    last = group[-1][1] or group[-1][0]
    op_last, _ = _op_after(cond[_skip_unit(cond, last.end):], defs)
    field = _field_for(first, before, cond)
    if field is None:
        return []
    out = []
    for lo, hi in group:
        span_end = _skip_unit(cond, (hi or lo).end)
        op_lo, n_lo = _op_after(cond[_skip_unit(cond, lo.end):], defs)
        text = cond[lo.start:span_end + _op_after(cond[span_end:], defs)[1]]
        if hi is not None:
            op_hi, _ = _op_after(cond[span_end:], defs)
            explicit_lo = cond[lo.end:lo.end + 4].lstrip().startswith("(含")
            op_hi = op_hi or ("lt" if explicit_lo else "lte")
            op_lo = op_lo or "gte"
            if op_lo == "gte" and op_hi == "lte":
                atoms = (_atom(field, "between", [lo.value, hi.value], lo, text),)
            else:
                atoms = (_atom(field, op_lo, lo.value, lo, text), _atom(field, op_hi, hi.value, hi, text))
        else:
            op = op_b if op_b is not None else (op_lo or op_last)
            if op_b == "crosses" or (op_b in ("gte", "gt") and op_lo in ("gte", "gt")):
                op = op_b if op_b == "crosses" else (op_lo or op_b)
            if op is None:
                continue
            atoms = (_atom(field, op, lo.value, lo, text),)
        if any(a is None for a in atoms):
            continue
        out.append(Threshold(tuple(a for a in atoms if a is not None), offset + lo.start, offset + span_end, gid))
    return out


def _skip_unit(cond: str, end: int) -> int:
    """Offset after a count's unit ("2年以上" → after 年) so the boundary word is found."""
    m = _UNIT_AFTER.match(cond[end:end + 3])
    return end + m.end() if m and not cond[end - 1:end].isalpha() else end


_POSITIVE_GROWTH = re.compile(r"(?P<f>营业收入|销售收入|营收|产值|纳税|研发投入|研发费用)[^，,；;。]{0,8}?正增长")


def growth_atoms(cond: str) -> list[Condition]:
    """"营业收入同比正增长" → ``revenue_growth gt 0``.

    >>> [(c.field, c.op, c.value) for c in growth_atoms("年度营业收入同比正增长")]
    [('revenue_growth', 'gt', 0)]
    """
    out = []
    rx, fmap = _field_regex()
    for m in _POSITIVE_GROWTH.finditer(cond):
        field = GROWTH_FIELDS.get(fmap.get(m.group("f"), "revenue") or "revenue")
        if field:
            out.append(Condition(field, "gt", 0, m.group()))
    return out


def _field_for(m: Mention, before: str, cond: str) -> str | None:
    field = _field_before(before)
    if m.kind == "usd" or field == "":
        return None
    clause = re.split(r"[，,；;。]", before)[-1]
    if m.kind == "percent":
        if _RATIO.search(clause) and re.search("研发|研究开发", clause):
            return "rd_ratio"
        if _GROWTH.search(clause):
            if field is None:  # "出口额…以上，且增长10%": the growth of the noun named before
                field = _field_before(re.sub(r"[，,]", "", before))
            return GROWTH_FIELDS.get(field) if field is not None else "revenue_growth"
        return None
    if m.kind == "count":
        after = cond[m.end:m.end + 3]
        if field == "age_years" and after.lstrip().startswith("年"):
            return field
        if field in ("employees", "new_employees") and re.match(r"\s*(?:人|名)", after):
            return field
        if field == "invention_patents" and re.match(r"\s*(?:件|项)", after):
            return field
        return None
    if field in ("age_years", "employees", "new_employees", "invention_patents"):
        return None
    return field


def _atom(field: str, op: str, value, m: Mention, text: str) -> Condition | None:
    if op not in ("gte", "gt", "lte", "lt", "between", "crosses"):
        return None
    if isinstance(value, float) and value.is_integer() and field not in GROWTH_FIELDS.values() and field != "rd_ratio":
        value = int(value)
    return Condition(field=field, op=op, value=value, text=text.strip())


@cache
def _term_regex() -> tuple[re.Pattern[str], dict[str, list[dict[str, str]]]]:
    rows: dict[str, list[dict[str, str]]] = {}
    for r in table("terms"):
        rows.setdefault(r["phrase"], []).append(r)
    for r in table("certs"):
        rows.setdefault(r["phrase"], []).append({"field": "certs." + r["cert"], "op": "cert", "value": "",
                                                 "level_map": r["level_map"]})
    alt = "|".join(re.escape(p) for p in sorted(rows, key=len, reverse=True))
    return re.compile(alt), rows


def _value(row: dict[str, str]):
    v = row["value"]
    if v.isdigit() and row["field"] != "industry":
        return int(v)
    if row["op"] in ("in", "not_in") or (row["field"] == "industry" and ";" in v):
        return v.split(";")
    if v in ("true", "false"):
        return v == "true"
    return v


@cache
def _since_regex() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in words("cert_since")))


def level_certs(row: dict[str, str], before: str) -> list[str]:
    """Cert codes a level-aware qualification names ("国家级和省级企业技术中心" → national, provincial)."""
    lm = dict(x.split("=") for x in row.get("level_map", "").split(";") if "=" in x)
    if not lm:
        return [row["field"][len("certs."):]]
    clause = re.split(r"[，,；;。:：]|的", before)[-1][-16:]
    default = row["field"][len("certs."):]
    codes: list[str] = []
    levels = [m.group() for m in _LEVELS.finditer(clause)]
    for lv in levels:
        c = lm.get(lv, default)  # an empty mapping: that level has no code ("省级单项冠军" is not the national title)
        if c and c not in codes:
            codes.append(c)
    return codes if levels else [default]


_JOIN = re.compile(r"^\s*(?:、|和|及|与|或|以及|,|，)?\s*$")
#: an industry word followed by these names a theme ("制造业与互联网融合"), not the firm's sector
_THEME_AFTER = re.compile(r"^(?:与|融合|转型|数字化|高质量|服务化|智能化|领域|创新|[“\"]|单项|示范|发展|和信息化)")


def _industry_parent(code: str) -> str | None:
    from .meta import industry_section

    if len(code) > 1 and code[0].isalpha():
        return code[0]
    return industry_section(code[:2]) if code.isdigit() else None


def _covers(wide, narrow) -> bool:
    """True when every code of ``narrow`` lies under some code of ``wide`` (51 under F, I65 under I)."""
    ws = wide if isinstance(wide, (list, tuple)) else [wide]
    ns = narrow if isinstance(narrow, (list, tuple)) else [narrow]

    def under(n: str, w: str) -> bool:
        n2 = n[1:] if len(n) > 1 and n[0].isalpha() else n
        if w.isalpha():
            return n == w or _industry_parent(n) == w
        w2 = w[1:] if w[0].isalpha() else w
        return n2.startswith(w2) and n2 != w2

    return all(any(under(n, w) for w in ws) for n in ns) and list(ws) != list(ns)


def term_atoms(text: str, strict: bool = True) -> list[Condition]:
    """Atoms named by words (see ``_term_atoms``); a fresh list, cached underneath."""
    return [c for _, c in _term_atoms(text, strict)]


def term_spans(text: str, strict: bool = True) -> list[tuple[int, Condition]]:
    """(offset of the naming word, atom) pairs, for placing atoms in the elements of a list."""
    return list(_term_atoms(text, strict))


@lru_cache(maxsize=8192)
def _term_atoms(text: str, strict: bool = True) -> tuple[tuple[int, Condition], ...]:
    """Atoms named by words: qualifications, size, ownership, listing, above-scale, industry.

    Adjacent words of one field joined by 、/和/或 merge into one atom ("制造业和建筑业企业" → C, E);
    a broader industry next to a narrower one gives way to it ("商贸企业：批发企业" → 51).

    >>> [(c.field, c.op, c.value) for c in term_atoms("对在创业板、科创板上市企业")]
    [('listed', 'in', ('chinext', 'star'))]
    >>> [(c.field, c.value) for c in term_atoms("制造业和建筑业企业")]
    [('industry', ('C', 'E'))]
    """
    rx, rows = _term_regex()
    found: list[tuple[int, int, Condition | None]] = []
    for m in rx.finditer(text):
        for row in rows[m.group()]:
            if not row["field"]:
                found.append((m.start(), m.end(), None))
                continue
            if row["op"] == "cert":
                before = text[:m.start()]
                clause = re.split(r"[；;。]", before)[-1].replace("重新认定", "")  # 重新认定 is not 新认定
                op = "since" if _since_regex().search(clause) else "has"
                span = text[max(0, m.start() - 8):m.end()]
                span = re.split(r"[，,；;。:：]|的|对", span)[-1]
                for code in level_certs(row, before):
                    found.append((m.start(), m.end(), Condition(f"certs.{code}", op, None, span or m.group())))
                continue
            if row["field"] == "industry" and strict and _THEME_AFTER.match(text[m.end():m.end() + 3]):
                continue
            found.append((m.start(), m.end(), Condition(row["field"], row["op"], _value(row), m.group())))
    merged: list[tuple[int, int, Condition]] = []
    for s, e, c in found:
        prev = merged[-1] if merged else None
        if c is None:  # a word that names nothing checkable ("中小板") still joins a list
            if prev and _JOIN.match(text[prev[1]:s]):
                merged[-1] = (prev[0], e, prev[2])
            continue
        if (prev and prev[2].field == c.field and c.field in ("industry", "listed") and _JOIN.match(text[prev[1]:s])
                and prev[2].key != c.key):
            if c.field == "listed" and c.op == "in" and prev[2].op in ("eq", "in"):
                continue  # "创业板、科创板上市企业": the boards say which listing
            vals = list(prev[2].value) if isinstance(prev[2].value, tuple) else [prev[2].value]
            vals += [v for v in (c.value if isinstance(c.value, tuple) else [c.value]) if v not in vals]
            op = "within" if c.field == "industry" else "in"
            merged[-1] = (prev[0], e, Condition(c.field, op, vals, text[prev[0]:e]))
            continue
        merged.append((s, e, c))
    inds = [c for _, _, c in merged if c.field == "industry"]
    out: list[tuple[int, Condition]] = []
    seen = set()
    for start, _, c in merged:
        if c.field == "industry" and any(_covers(c.value, o.value) for o in inds):
            continue
        if c.key not in seen:
            seen.add(c.key)
            out.append((start, c))
    return tuple(out)


@cache
def _exclusion_regex() -> tuple[re.Pattern[str], dict[str, dict[str, str]]]:
    rows = {r["pattern"]: r for r in table("exclusions")}
    return re.compile("|".join(re.escape(p) for p in sorted(rows, key=len, reverse=True))), rows


def exclusion_atoms(sentence: str) -> list[Condition]:
    """Exclusion clauses (有失信记录的不予支持) → ``dishonest eq false`` / ``major_violation eq false``."""
    if not _NEGATION.search(sentence) and not re.search(r"(?:无|未发生|没有|未出现|未列入)", sentence):
        return []
    rx, rows = _exclusion_regex()
    out: list[Condition] = []
    for m in rx.finditer(sentence):
        r = rows[m.group()]
        c = Condition(field=r["field"], op=r["op"], value=r["value"] == "true", text=sentence.strip())
        if all(c.key != o.key for o in out):
            out.append(c)
    return out


def other_atom(text: str) -> Condition | None:
    """What no profile field expresses, kept verbatim for a reviewer (never dropped)."""
    t = re.sub(r"^(?:对于|对|凡|经|凡是)", "", text.strip(" ，,;；。"))
    t = re.sub(r"的$", "", t)
    if len(t) < 2:
        return None
    return Condition(field="other", op="text", value=None, text=t)
