"""Sentences → Items: split a benefit sentence into its condition and benefit spans, expand tiers, add context.

Why here: the rules of *assembly* of policy Chinese live in one place — "X的，分别给予A、B" is one item per
tier sharing an exclusive group; "X的，给予A；Y的，给予B" is two items; an exclusion or a scope
clause elsewhere (附则, 申请条件) applies to every item; an article heading that names an industry
("促进建筑业发展") applies to the items under it that name none.

>>> from .text import normalise, segment
>>> src = "对首次认定的高新技术企业，给予一次性奖励30万元。"
>>> its = build_items(segment(normalise(src)), src)
>>> [(c.field, c.op) for c in its[0].conditions], its[0].benefit.amount
([('certs.hitech', 'since'), ('other', 'text')], 300000)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from ..model.types import Benefit, Condition, Item
from ._lexicon import words
from .benefits import BenefitTier, benefit_kind, benefit_start, benefit_tiers
from .classify import item_probability, kind_prediction
from .conditions import Definitions, exclusion_atoms, growth_atoms, other_atom, term_atoms, term_spans, thresholds
from .numbers import scan
from .text import Sentence

__all__ = ["build_items", "Context"]

_INDIVIDUAL = re.compile(r"人才|个人|高管|子女|家属|安家|自然人|购房补贴|博士|硕士|院士|专家")
#: benefits that are unmistakably for persons, whoever else the sentence names
_PERSON = re.compile(r"个人经济贡献|个人所得税|骨干人才|高管人员|高级管理人员|子女入学|安家费|人才公寓|个人奖励")
#: a bare title such as "【固定资产投资补助】" or "三、支持企业上市"
_TITLE_ONLY = re.compile(r"^(?:【[^】]{1,30}】|[^，,。；;]{1,15}[。]?)$")
_ORG = re.compile(r"企业|机构|单位|平台|公司|项目|园区|基地|中心|协会|商会|工作站|组织|团队")
_SCOPE_HEAD = re.compile(r"申请条件|申报条件|支持对象|扶持对象|适用范围|申报主体|基本条件|申报对象|资助对象|奖励对象")
_SCOPE_SENT = re.compile(r"(?:享受|适用)本(?:办法|政策|措施|意见|细则)|本(?:办法|政策|措施|意见|细则)(?:所称|适用|支持|扶持)的?(?:企业|对象)")
_NO_STACK = re.compile(r"仅给予一次|只给予一次|不重复享受|不得重复|就高|择一|只享受一次|按最高|以最高|不重复支持|不重复奖励|取其高")
_COND_CLAUSE_END = re.compile(r"的\s*$")
_SPLIT = re.compile(r"[，,]")
_MODIFIER_ONLY = re.compile(r"再提高|提高\d|上浮|再增加")


@dataclass(frozen=True)
class Context:
    """Document-wide facts that shape every item."""

    defs: Definitions = Definitions()
    doc_conditions: tuple[Condition, ...] = ()  # exclusions and scope conditions (申请条件, 附则)
    scope_industry: tuple[Condition, ...] = ()  # "享受本办法的企业须是…制造业企业": for items naming no industry
    region: str | None = None  # the issuer's own area (the document's region)
    #: industry codes the text itself gives ("住宿业（行业代码61）"): stem → code, overriding the lexicon
    local_industry: tuple[tuple[str, str], ...] = ()


@cache
def _auto_regex() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in words("apply_auto")))


def _sub_sentences(text: str, loose: bool = False) -> list[tuple[int, int]]:
    """Split "X的，给予A，Y的，给予B" into one span per (condition, benefit) pair; usually one span.

    ``loose`` (soft measures): any clause with a number closes a measure, and "，对…" opens the next one.
    """
    bounds = [0] + [m.end() for m in _SPLIT.finditer(text)] + [len(text) + 1]
    clauses = [(bounds[i], bounds[i + 1] - 1 if i + 1 < len(bounds) - 1 else len(text)) for i in range(len(bounds) - 1)]
    spans: list[tuple[int, int]] = []
    start = 0
    seen_benefit = False
    for k, (s, e) in enumerate(clauses):
        c = text[s:e]
        has_b = (loose or bool(re.search(r"给予|予以|奖励|补助|补贴|资助", c))) and any(
            m.kind in ("money", "percent") for m in scan(c))
        opens = _COND_CLAUSE_END.search(c.rstrip("，, ")) or (loose and c.lstrip().startswith("对"))
        if seen_benefit and opens and k + 1 < len(clauses):
            spans.append((start, s))
            start = s
            seen_benefit = False
        if has_b:
            seen_benefit = True
    spans.append((start, len(text)))
    return spans


#: "奖励金额最高500万元。" / "上述奖励金额以1000万元为上限": a ceiling for the items around it, not an item
_CAP_ONLY = re.compile(r"^(?:上述|以上|前述)?[^，,。；]{0,6}(?:奖励|补助|补贴|扶持|资助|支持)(?:金额|资金|总额)"
                       r"[^，,。；]{0,14}(?:最高|上限|不超过|封顶)")
_DENIED = re.compile(r"(?:不|不再|不得|不能|不予|取消|停止)(?:给予|予以|享受|安排|补助|奖励|支持)")


@lru_cache(maxsize=8192)
def is_benefit_sentence(text: str) -> bool:
    """A sentence grants something to an organisation (rule of thumb; see classify for the learnt view)."""
    b = benefit_start(text)
    if b is None or _PERSON.search(text):
        return False
    part = text[b:]
    if _DENIED.search(text) or _CAP_ONLY.match(text):
        return False
    ms = [m for m in scan(part) if m.kind in ("money", "percent")]
    if _INDIVIDUAL.search(text) and not _ORG.search(text):
        return False
    if ms:
        return not (_MODIFIER_ONLY.search(part) and not any(m.kind == "money" for m in ms))
    return bool(re.search(r"给予|予以|给与", part)) and benefit_kind(part) != "other"


#: a soft measure still needs a verb of granting or of support
_MEASURE = re.compile(r"给予|予以|支持|奖励|补助|补贴|资助|扶持|优先|提供|减免|免收|免征|降低|返还|享受|安排|贴息|担保"
                      r"|贷款|奖补|激励|保障|服务|一事一议|研究确定|注资|补偿|减半|让利|下调|调降")
_TABLE_ROW = re.compile(r"\t|\S\s{3,}\S")

#: a sentence with no sum is an item when the learnt model is at least this sure
LEARNT_THRESHOLD = 0.5


def is_item_sentence(text: str) -> tuple[bool, bool]:
    """(is an item, by the rules) — the rules first, then the learnt classifier for soft measures."""
    if is_benefit_sentence(text):
        return True, True
    if (len(text) < 10 or _DENIED.search(text) or (_INDIVIDUAL.search(text) and not _ORG.search(text))
            or not _MEASURE.search(text) or _MODIFIER_ONLY.search(text) or "个百分点" in text
            or _TITLE_ONLY.match(text) or _NO_STACK.search(text) or _PERSON.search(text)):
        return False, False
    return item_probability(text) >= LEARNT_THRESHOLD, False


def _source_span(norm_sent: str, src_sent: str, text: str) -> str:
    """The source characters of a normalised span (normalisation keeps offsets)."""
    i = norm_sent.find(text)
    return src_sent[i:i + len(text)] if i >= 0 else text


def _restore(c: Condition, norm_sent: str, src_sent: str) -> Condition:
    return replace(c, text=_source_span(norm_sent, src_sent, c.text)) if c.text else c


def lead_atoms(text: str, defs: Definitions) -> list[Condition]:
    """Conditions a lead-in states for what follows ("对内资企业：", "限上商贸企业：批发企业…")."""
    atoms: list[Condition] = []
    for t in thresholds(text, defs):
        atoms.extend(t.atoms)
    return [*term_atoms(text), *growth_atoms(text), *atoms]


_PREAMBLE = re.compile(r"(?:以下|如下)(?:意见|措施|政策|规定|办法)|通知如下|现提出|现将|特制定|各有关单位")
_LEAD = re.compile(r"^(?P<lead>[^：:]{2,60})[：:]")


def build_items(sentences: list[Sentence], source: str, ctx: Context = Context()) -> list[Item]:
    """Every item of a document, in source order, ids unique."""
    items: list[Item] = []
    used_ids: set[str] = set()
    group_no = 0
    leads: list[tuple[tuple[str, ...], list[Condition]]] = []  # lines ending in "：" and their atoms
    line_ctx: dict = {}  # atoms carried from earlier sentences of the same line
    heads = _lead_paragraphs(sentences)
    consumed: set[int] = set()  # route paragraphs read into their "之一" head
    for idx, s in enumerate(sentences):
        if idx in consumed or _TABLE_ROW.search(source[s.start:s.end]):
            continue
        leads = [(n, a) for n, a in leads if len(s.number) > len(n) and s.number[:len(n)] == n
                 or (s.number == n and not s.line_start)]
        benefit, by_rule = is_item_sentence(s.text)
        forced = False
        if not benefit and line_ctx.get(("list", s.line)) and any(m.kind == "money" for m in scan(s.text)):
            benefit = by_rule = forced = True  # "…额度分别为工业类项目30万元以上；农业类项目20万元以上；"
        if idx in heads:  # "(二)对…的项目，予以资金补助。" followed by "1. 按…4%给予补助": a lead-in
            own = lead_atoms(s.text[:benefit_start(s.text) or len(s.text)], ctx.defs)
            if _ANY_OF.search(s.text):  # "满足以下条件之一的…给予奖励": one item per route below
                routes, used = _routes(sentences, idx, ctx.defs)
                consumed.update(used)
                for route in routes:
                    its, group_no = _items_of(s.text, s, source[s.start:s.end], ctx, group_no, route,
                                              override=True)
                    for it in its:
                        items.append(replace(it, id=_new_id(s, used_ids), span=(s.start, s.end),
                                             exclusive_group=f"r{idx}"))
                continue
            leads.append((s.number, own))
            continue
        m = _LEAD.match(s.text)
        if m and not is_benefit_sentence(m.group("lead")):
            atoms = lead_atoms(m.group("lead"), ctx.defs)
            if s.text.rstrip().endswith((":", "：")):
                if len(s.text) <= 40 and not _PREAMBLE.search(s.text):  # not "现提出以下意见："
                    leads.append((s.number, atoms))
            else:  # a later lead on the same line replaces the earlier one
                line_ctx[s.line] = atoms
        if not benefit:
            if s.line_start:  # a paragraph title ("3.建立重点建筑业企业的评价体系。") names the sector below
                inds = [c for c in term_atoms(s.text) if c.field == "industry"]
                if inds:
                    line_ctx[("industry", s.line)] = inds
            continue
        src_sent = source[s.start:s.end]
        inherited = [c for _, a in leads for c in a] + line_ctx.get(s.line, [])
        if not term_atoms(s.text):  # a later sentence with no subject of its own keeps the line's sector
            inherited += line_ctx.get(("industry", s.line), [])
        if "分别为" in s.text and s.text.endswith((";", "；")):
            line_ctx[("list", s.line)] = True
        earlier: list[Condition] = []  # "X的，给予A，（X中）Y的，另给予B": Y keeps what X said
        for a, b in _sub_sentences(s.text, loose=not by_rule):
            sub = s.text[a:b]
            if by_rule and not forced and not is_benefit_sentence(sub):
                continue
            tiers_items, group_no = _items_of(sub, s, src_sent, ctx, group_no,
                                              _merge_inherited(earlier, inherited), by_rule)
            if tiers_items:
                earlier = [c for c in tiers_items[0].conditions if c.field != "other"]
            for it in tiers_items:
                items.append(replace(it, id=_new_id(s, used_ids), span=(s.start, s.end)))
            if tiers_items:
                inds = [c for c in tiers_items[0].conditions if c.field == "industry"]
                if inds and not any(c.field == "industry" for c in line_ctx.get(s.line, [])):
                    line_ctx.setdefault(("industry", s.line), []).extend(inds)
    return _no_stack_groups(_shared_caps(items, sentences, source), sentences)


_SHARED_CAP = re.compile(r"(?:上述|以上|奖励金额|补助金额|奖励资金|补贴金额|扶持资金|累计)[^。；]{0,24}(?:最高|上限|不超过|封顶)")


def _shared_caps(items: list[Item], sentences: list[Sentence], source: str) -> list[Item]:
    """"上述奖励金额以1000万元为上限" / "奖励金额最高500万元" caps the uncapped items of its paragraph."""
    caps: dict[tuple[str, ...], int] = {}
    for s in sentences:
        if _SHARED_CAP.search(s.text) and not is_benefit_sentence(s.text):
            money = [m for m in scan(s.text) if m.kind == "money"]
            if len(money) == 1:
                caps[s.number[:-1] if s.line_start and s.number and not s.text.startswith("上述")
                     else s.number] = int(money[0].value)
    if not caps:
        return items
    out = []
    for it, num in _with_numbers(items, sentences):
        cap = next((v for p, v in caps.items() if num[:len(p)] == p), None)
        b = it.benefit
        if cap is not None and b.amount is None and b.cap is None and (b.rate is not None or b.unit_amount is not None):
            it = replace(it, benefit=replace(b, cap=cap, max_amount=cap))
        out.append(it)
    return out


_ANY_OF = re.compile(r"(?:以下|下列|如下)[^。；]{0,16}之一")


def _new_id(s: Sentence, used: set[str]) -> str:
    base = ".".join(s.number) or "p"
    iid, k = base, 1
    while iid in used:
        k += 1
        iid = f"{base}-{k}"
    used.add(iid)
    return iid


def _routes(sentences: list[Sentence], head: int, defs: Definitions) -> tuple[list[list[Condition]], set[int]]:
    """Alternative condition sets listed under a "满足以下条件之一" head: one per leaf paragraph."""
    top = sentences[head].number
    paras: dict[tuple[str, ...], str] = {}
    used = set()
    for k, t in enumerate(sentences[head + 1:], head + 1):
        if len(t.number) <= len(top) or t.number[:len(top)] != top:
            break
        paras[t.number] = paras.get(t.number, "") + t.text
        used.add(k)
    leaves = [n for n in paras if not any(len(m) > len(n) and m[:len(n)] == n for m in paras)]
    routes = []
    for leaf in leaves:
        atoms: list[Condition] = []
        for k in range(len(top) + 1, len(leaf) + 1):
            atoms.extend(lead_atoms(paras.get(leaf[:k], ""), defs))
        routes.append(_dedupe(atoms))
    return routes or [[]], used


def _lead_paragraphs(sentences: list[Sentence]) -> set[int]:
    """Sentences that open a numbered paragraph, state a benefit without any sum, and have numbered children."""
    out = set()
    for i, s in enumerate(sentences):
        if not s.number or not is_benefit_sentence(s.text):
            continue
        b = benefit_start(s.text) or 0
        if any(m.kind in ("money", "percent") for m in scan(s.text[b:])):
            continue
        nxt = next((sentences[j] for j in range(i + 1, len(sentences)) if sentences[j].line != s.line), None)
        if nxt is not None and len(nxt.number) > len(s.number) and nxt.number[:len(s.number)] == s.number:
            out.add(i)
    return out


def _merge_inherited(own: list[Condition], inherited: list[Condition]) -> list[Condition]:
    """Inherited atoms fill in fields the sentence does not state itself."""
    fields = {c.field for c in own}
    return [*own, *(c for c in inherited if c.field not in fields)]


def _items_of(sub: str, s: Sentence, src_sent: str, ctx: Context, group_no: int,
              inherited: list[Condition] = (), by_rule: bool = True,
              override: bool = False) -> tuple[list[Item], int]:
    b = benefit_start(sub) or 0
    cond, part = sub[:b], sub[b:]
    lead = re.split(r"[，,]", cond.rstrip("，, "))[-1] if cond.rstrip().endswith(("，", ",")) else ""
    tiers = benefit_tiers(part, lead) if by_rule else [_soft_tier(sub)]
    if len(tiers) == 1 and "分别" in sub:  # "对国家、省、市认定的…分别给予1:1配套": one item per element
        k = _enumeration_size(cond)
        if k > 1:
            tiers = tiers * k
    if not by_rule:  # a soft measure: the whole sentence says who; no sum is read from it
        cond, part = sub, sub
    m = _LEAD.match(cond)
    if m and not is_benefit_sentence(m.group("lead")):
        cond_own = cond[m.end():]
    else:
        cond_own = cond
    ths = thresholds(cond_own, ctx.defs) if by_rule else []
    terms = term_atoms(cond_own) + growth_atoms(cond_own)
    excl = exclusion_atoms(sub)
    n = len(tiers)
    per_tier: list[list[Condition]] = [[] for _ in range(n)]
    shared: list[Condition] = []
    groups: dict[int, list] = {}
    for t in ths:
        groups.setdefault(t.group, []).append(t)
    tier_group = next((g for g, ts in groups.items() if len(ts) == n and n > 1), None)
    for g, ts in groups.items():
        for k, t in enumerate(ts):
            if g == tier_group:
                per_tier[k].extend(t.atoms)
            else:
                shared.extend(t.atoms)
    # level-aware qualifications listed for tiers ("国家级、省级企业技术中心…分别给予")
    cert_atoms = [c for c in terms if c.field.startswith("certs.")]
    other_terms = [c for c in terms if not c.field.startswith("certs.")]
    placed = None
    if n > 1 and tier_group is None and cert_atoms:
        placed = _level_tiers(cond_own, n)  # "国家级、省级企业技术中心…分别": read each level on its own
    if placed is None and n > 1 and tier_group is None:
        placed = _enumeration_tiers(cond_own, n)
    if placed is not None:  # "对首次入选“瞪羚”“潜在独角兽”“独角兽”…分别给予": each name its own tier
        for k, c in placed:
            per_tier[k].append(c)
    elif n > 1 and len(cert_atoms) == n and tier_group is None:
        for k, c in enumerate(cert_atoms):
            per_tier[k].append(c)
    else:
        shared.extend(cert_atoms)
    shared = [_local_codes(c, ctx) for c in other_terms] + shared + _heading_region(s, ctx)
    kind = _kind(sub, part)
    auto = _auto_regex()
    apply_mode = "auto" if auto.search(sub) or any(auto.search(h) for h in s.headings) else "apply"
    group = None
    if n > 1:
        group_no += 1
        group = f"g{group_no}"
    rest = other_atom(cond_own) if cond_own.strip(" ，,") else None
    out = []
    for k, tier in enumerate(tiers):
        own = [*shared, *per_tier[k], *excl]
        conds = _dedupe(_merge_inherited(list(inherited), own) if override else _merge_inherited(own, list(inherited)))
        if not any(c.field == "industry" for c in conds):
            conds = [*conds, *ctx.scope_industry]
        conds = _dedupe([*conds, *ctx.doc_conditions])
        if rest is not None:
            conds.append(rest)
        conds = [_restore(c, s.text, src_sent) for c in conds]
        out.append(Item(
            id="",
            name=_name(s, part),
            text=src_sent,
            conditions=tuple(conds),
            benefit=_benefit(tier, kind, _source_span(s.text, src_sent, part.strip())),
            apply_mode=apply_mode,
            exclusive_group=group,
        ))
    return out, group_no


def _soft_tier(sub: str) -> BenefitTier:
    """A soft measure states at most a ceiling ("贷款额度最高不超过600万元"); anything else is not a sum."""
    caps = [t.cap for t in benefit_tiers(sub) if t.cap is not None]
    return BenefitTier(cap=caps[0]) if caps and re.search(r"最高|上限|最多", sub) else BenefitTier()


_ENUM_SEP = re.compile(r"”\s*“|、|和|及|或")


def _enumeration_tiers(cond: str, n: int) -> list[tuple[int, Condition]] | None:
    """Place each qualification in the tier of the list element naming it, when the list has exactly n elements."""
    spans = [(i, c) for i, c in term_spans(cond) if c.field.startswith("certs.")]
    if not spans or len({i for i, _ in spans}) < len(spans):  # one word naming several levels: by order instead
        return None
    start = max([m.end() for m in re.finditer(r"[，,；;]", cond[:spans[0][0]])] or [0])
    stop = next((m.start() for m in re.finditer(r"[，,；;]", cond) if m.start() > spans[-1][0]), len(cond))
    bounds = [start] + [m.end() for m in _ENUM_SEP.finditer(cond, start, stop)]
    if len(bounds) != n:
        return None
    return [(max(j for j, b in enumerate(bounds) if b <= i), c) for i, c in spans]


def _local_codes(c: Condition, ctx: Context) -> Condition:
    """"住宿餐饮企业" → 61, 62 when the text defined 住宿业 as 61 and 餐饮业 as 62."""
    if c.field != "industry" or not ctx.local_industry:
        return c
    codes = [code for stem, code in ctx.local_industry if stem in c.text]
    return replace(c, value=tuple(codes) if len(codes) > 1 else codes[0]) if codes else c


_LEVEL_LIST = re.compile(r"(?:国家|省|市|区|县)级?(?:\s*[、和及与]\s*(?:国家|省|市|区|县)级?)+")


def _level_tiers(cond: str, n: int) -> list[tuple[int, Condition]] | None:
    """Qualifications per tier when the span lists exactly n levels: each level read as if it stood alone."""
    m = _LEVEL_LIST.search(cond)
    if not m:
        return None
    levels = re.findall(r"(?:国家|省|市|区|县)级?", m.group())
    if len(levels) != n:
        return None
    out = []
    for k, lv in enumerate(levels):
        alone = cond[:m.start()] + lv + cond[m.end():]
        out.extend((k, c) for c in term_atoms(alone) if c.field.startswith("certs."))
    return out


def _enumeration_size(cond: str) -> int:
    """How many elements the condition span enumerates: qualifications in a list, or levels (国家、省、市)."""
    spans = [i for i, c in term_spans(cond) if c.field.startswith("certs.")]
    if len(set(spans)) > 1:
        return len(set(spans))
    m = _LEVEL_LIST.search(cond)
    return len(re.findall(r"国家|省|市|区|县", m.group())) if m else 1


def _heading_region(s: Sentence, ctx: Context) -> list[Condition]:
    """A heading that is a place ("二、山西综改区") restricts its items to that area, when it is not the issuer's."""
    from .meta import region_codes

    for h in reversed(s.headings):
        if len(h) > 12:
            continue
        found = region_codes(h)
        if len(found) == 1 and found[0][0] != ctx.region and len(h) - (found[0][2] - found[0][1]) <= 4:
            return [Condition("region", "within", found[0][0], h)]
    return []


#: the learnt kind replaces the word rule's broad answers (奖励/补助/other) when it is at least this sure
KIND_MODEL_THRESHOLD = 0.7


def _kind(sub: str, part: str) -> str:
    """Benefit kind: the word table first; the learnt model settles the broad cases (award, subsidy, other)."""
    kind = benefit_kind(part) if benefit_kind(part) != "other" else benefit_kind(sub)
    if kind in ("award", "subsidy", "other"):
        pred = kind_prediction(f"{part} {sub}")
        if pred is not None and pred[1] >= KIND_MODEL_THRESHOLD:
            return pred[0]
    return kind


def _dedupe(conds: list[Condition]) -> list[Condition]:
    seen, out = set(), []
    for c in conds:
        key = c.key if c.field != "other" else ("other", c.text)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _name(s: Sentence, part: str) -> str:
    head = s.headings[-1] if s.headings else ""
    name = head if head and len(head) <= 30 else part.strip(" ，,。；;")[:30]
    return name


def _benefit(t: BenefitTier, kind: str, text: str) -> Benefit:
    return Benefit(kind=kind, amount=t.amount, rate=t.rate, base=t.base, cap=t.cap, unit_amount=t.unit_amount,
                   unit=t.unit, max_amount=t.max_amount, text=text)


def _with_numbers(items: list[Item], sentences: list[Sentence]) -> list[tuple[Item, tuple[str, ...]]]:
    """Each item with the paragraph number of the sentence it came from."""
    by_span = {(s.start, s.end): s.number for s in sentences}
    return [(it, by_span.get(it.span or (-1, -1), ())) for it in items]


def _no_stack_groups(items: list[Item], sentences: list[Sentence]) -> list[Item]:
    """"同一企业…就高不重复享受" in a paragraph puts that paragraph's items in one exclusive group."""
    paragraphs = {s.number for s in sentences if s.number and _NO_STACK.search(s.text)}
    if not paragraphs:
        return items
    out = []
    for it, num in _with_numbers(items, sentences):
        hit = next((p for p in paragraphs if num[:len(p)] == p), None)
        if hit is not None and it.exclusive_group is None:
            it = replace(it, exclusive_group="x" + ".".join(hit))
        out.append(it)
    return out
