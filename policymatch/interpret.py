"""A policy in plain Chinese (看得懂), generated from its rules, each line citing its source clause.

Why generated, never hand-written: a summary typed by a person drifts from the rules the engine
applies; this one is the rules, worded. Each item reads as 适用对象 / 申请条件 / 支持标准 /
办理方式 / 有效期 / 待人工核实的条件 (the ``other`` conditions, quoted), and every line carries
the clause it came from (the condition's or benefit's span, else the item text). Given a firm,
each condition line also says whether the firm meets it, misses it or lacks the data — taken from
the engine's reference evaluator, never re-derived here.

>>> from policymatch.model import load_rules
>>> from policymatch.bundled import bundled_rules_dir
>>> doc = {d.id: d for d in load_rules(bundled_rules_dir())}["027"]
>>> text = interpret(doc, "2-1").to_text()
>>> "首次认定" in text and "支持标准" in text
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from .engine import compile_rules, match_firm
from .engine.onefirm import firm_row
from .engine.reference import evaluate_item
from .errors import InputError
from .explain import describe_benefit, describe_condition, format_threshold, yuan
from .model.types import AnyGroup, Condition, ConditionNode, Document, Item

__all__ = ["Interpretation", "ItemInterpretation", "Line", "interpret", "SECTIONS", "STATUS_WORDS"]

#: section key → heading, in reading order
SECTIONS: dict[str, str] = {
    "subject": "适用对象",
    "conditions": "申请条件",
    "support": "支持标准",
    "mode": "办理方式",
    "validity": "有效期",
    "manual": "待人工核实的条件",
}
#: fields that say *who* a policy is for rather than what the firm must achieve
_SUBJECT_FIELDS = frozenset({"region", "industry", "size", "ownership", "above_scale", "listed"})
#: per-condition result of the engine → (key, mark, words)
STATUS_WORDS: dict[bool | None, tuple[str, str, str]] = {
    True: ("met", "✓", "符合"),
    False: ("unmet", "✗", "不符合"),
    None: ("unknown", "?", "缺少数据或需人工核实"),
}
_ITEM_STATUS = {"eligible": "符合条件", "ineligible": "不符合条件", "unknown": "待核实", "not_in_force": "不在有效期内"}
_MODE_WORDS = {
    "auto": "免申即享：符合条件的企业无需申报，直接兑现",
    "apply": "需企业申报：按通知要求提交申请材料，经审核后兑现",
}


@dataclass(frozen=True)
class Line:
    """One statement of the summary, the clause it came from, and (with a firm) the firm's result."""

    section: str
    words: str
    source: str
    status: str | None = None
    #: position among the item's condition nodes as the engine counts them (document region first), or None
    node: int | None = None
    #: the firm's value for this condition as the one-firm engine words it ("4200万元", "未知"), with a firm
    value: str | None = None


@dataclass(frozen=True)
class ItemInterpretation:
    """One item worded: its lines in section order, and with a firm its verdict and amount."""

    item_id: str
    name: str
    text: str
    lines: tuple[Line, ...]
    status: str | None = None
    amount: int | None = None

    def section(self, key: str) -> list[Line]:
        return [ln for ln in self.lines if ln.section == key]


@dataclass(frozen=True)
class Interpretation:
    """The plain-Chinese summary of one policy (or one item of it), optionally for one firm."""

    policy_id: str
    title: str
    issuer: str | None
    doc_number: str | None
    region: str | None
    validity: str
    items: tuple[ItemInterpretation, ...]
    firm: str | None = None
    as_of: str | None = None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: sections keyed by English names, headings in ``sections``."""
        d = asdict(self)
        d["sections"] = dict(SECTIONS)
        return d

    def to_text(self) -> str:
        """Plain text (no markup) that reads well in a terminal or a rich console."""
        head = [f"《{self.title}》"]
        meta = "  ".join(x for x in (self.issuer, self.doc_number) if x)
        if meta:
            head.append(meta)
        head.append(f"适用地区：{self.region or '未限定（全国或原文未载明）'}    有效期：{self.validity}")
        if self.firm:
            head.append(f"企业：{self.firm}    判断日期：{self.as_of}")
        head.extend(self.notes)
        out = ["\n".join(head)]
        for it in self.items:
            out.append(_item_text(it, with_firm=self.firm is not None))
        return "\n\n".join(out) + "\n"


def _item_text(it: ItemInterpretation, with_firm: bool) -> str:
    title = f"【{it.item_id}】{it.name}"
    if with_firm and it.status:
        amount = f"，预计{yuan(it.amount)}" if it.status == "eligible" and it.amount is not None else ""
        title += f"  —— {_ITEM_STATUS.get(it.status, it.status)}{amount}"
    rows = [title]
    for key, heading in SECTIONS.items():
        lines = it.section(key)
        if not lines:
            continue
        rows.append(f"  {heading}")
        for ln in lines:
            mark = next((m for k, m, _ in STATUS_WORDS.values() if k == ln.status), "·")
            verdict = next((w for k, _, w in STATUS_WORDS.values() if k == ln.status), "")
            seen = f"（企业：{ln.value}）" if with_firm and ln.value and ln.value != "—" else ""
            rows.append(f"    {mark} {ln.words}" + (f"【{verdict}】{seen}" if with_firm and verdict else ""))
            rows.append(f"      原文：{ln.source}")
    return "\n".join(rows)


def region_name(code: str | None) -> str | None:
    """``140100`` → ``太原市（140100）``; None stays None.

    >>> region_name("140171")
    '山西转型综合改革示范区（140171）'
    """
    return format_threshold(Condition("region", "within", code)) if code else None


def _validity(doc: Document) -> str:
    if not doc.valid_from and not doc.valid_to:
        return "原文未载明"
    return f"{doc.valid_from or '（未载明）'} 至 {doc.valid_to or '（未载明）'}"


def _section_of(node: ConditionNode) -> str:
    atoms = node.any if isinstance(node, AnyGroup) else (node,)
    if all(a.field == "other" for a in atoms):
        return "manual"
    if all(a.field in _SUBJECT_FIELDS for a in atoms):
        return "subject"
    return "conditions"


def _source(node: ConditionNode, item: Item) -> str:
    if isinstance(node, AnyGroup):
        return node.text or "；".join(a.text for a in node.any if a.text) or item.text
    return node.text or item.text


def _manual_words(node: ConditionNode) -> str:
    """What the engine cannot check, quoted from the policy for a reviewer."""
    atoms = node.any if isinstance(node, AnyGroup) else (node,)
    quoted = "；或".join(f"“{a.text}”" for a in atoms if a.text) or "（原文未摘出具体表述）"
    return ("满足其一：" if len(atoms) > 1 else "") + quoted


def _exclusive_words(doc: Document, item: Item) -> str | None:
    if item.exclusive_group is None:
        return None
    siblings = [o for o in doc.items if o.exclusive_group == item.exclusive_group and o.id != item.id]
    if not siblings:
        return None
    names = "、".join(f"{o.id}（{o.name}）" for o in siblings)
    return f"与{names}不重复享受，同时符合的按就高原则只享受其中一项"


def _item_lines(
    doc: Document, item: Item, results: tuple[bool | None, ...] | None, values: tuple[str, ...] = ()
) -> tuple[Line, ...]:
    """Lines of one item; ``results`` are the engine's per-node results (document region first),
    ``values`` the firm's value per node as the one-firm match words it."""

    def status(k: int) -> str | None:
        return None if results is None else STATUS_WORDS[results[k]][0]

    def value(k: int) -> str | None:
        return values[k] if k < len(values) else None

    lines: list[Line] = []
    offset = 0
    if doc.region:
        offset = 1
        source = f"发文机关：{doc.issuer}" if doc.issuer else f"《{doc.title}》"
        lines.append(Line("subject", f"注册地在{region_name(doc.region)}的企业", source, status(0), 0, value(0)))
    for k, node in enumerate(item.conditions):
        section = _section_of(node)
        words = _manual_words(node) if section == "manual" else describe_condition(node)
        lines.append(Line(section, words, _source(node, item), status(k + offset), k + offset, value(k + offset)))
    if not any(ln.section == "subject" for ln in lines):
        lines.append(Line("subject", "原文未限定企业类型或地区", item.text))
    b = item.benefit
    lines.append(Line("support", describe_benefit(b), b.text or item.text))
    if b.max_amount is not None and b.amount is None:
        lines.append(Line("support", f"顶格（单个企业最高）{yuan(b.max_amount)}", b.text or item.text))
    exclusive = _exclusive_words(doc, item)
    if exclusive:
        lines.append(Line("support", exclusive, item.text))
    lines.append(Line("mode", _MODE_WORDS.get(item.apply_mode, item.apply_mode), item.text))
    lines.append(Line("validity", _validity(doc), f"《{doc.title}》"))
    order = list(SECTIONS)
    return tuple(sorted(lines, key=lambda ln: order.index(ln.section)))


def interpret(
    doc: Document,
    item_id: str | None = None,
    firm: Any = None,
    as_of: str | None = None,
) -> Interpretation:
    """Word one policy (or one of its items); with ``firm`` (Firm, PROFILE.md dict or one-row frame), mark its results.

    ``as_of`` (ISO date, today when None) decides validity for the firm; an item outside its
    document's validity is reported ``not_in_force`` and its conditions are not evaluated.

    >>> from policymatch.model import load_rules
    >>> from policymatch.bundled import bundled_rules_dir
    >>> doc = {d.id: d for d in load_rules(bundled_rules_dir())}["027"]
    >>> [ln.words for ln in interpret(doc, "2-1").items[0].section("subject")]
    ['注册地在山西省（140000）的企业', '注册地行政区划属于山西转型综合改革示范区（140171）']
    >>> firm = {"region": "140171", "certs": {"srdi_giant": "2024-05-01"}}
    >>> r = interpret(doc, "2-1", firm=firm, as_of="2025-01-01")
    >>> r.items[0].status, r.items[0].amount, [ln.status for ln in r.items[0].lines if ln.status]
    ('eligible', 500000, ['met', 'met', 'met'])
    """
    items = doc.items
    if item_id is not None:
        items = tuple(it for it in doc.items if it.id == item_id)
        if not items:
            known = "、".join(it.id for it in doc.items[:20]) or "（无）"
            raise InputError(f"政策 {doc.id} 中没有事项 {item_id}；可选：{known}", field="item")
    firm_dict, firm_name = _firm_dict(firm)
    when = as_of or (dt.date.today().isoformat() if firm is not None else None)
    notes: list[str] = []
    if not doc.items:
        notes.append("本政策未提取出面向企业的具体支持事项（可能为工作方案或机制类文件）。")
    if when is not None and not doc.in_force(when):
        notes.append(f"截至 {when}，本政策不在有效期内。")
    values = _firm_values(doc, firm, when) if firm is not None and when is not None and doc.in_force(when) else {}
    worded = tuple(_interpret_item(doc, it, firm_dict, when, values.get(it.id, ())) for it in items)
    return Interpretation(
        policy_id=doc.id,
        title=doc.title,
        issuer=doc.issuer,
        doc_number=doc.doc_number,
        region=region_name(doc.region),
        validity=_validity(doc),
        items=worded,
        firm=firm_name,
        as_of=when,
        notes=tuple(notes),
    )


def _firm_dict(firm: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The engine's flat row of the firm (Firm, PROFILE.md dict or one-row frame) and its display name."""
    if firm is None:
        return None, None
    row = firm_row(firm)
    return row, str(row.get("name") or row.get("uscc") or "（未命名企业）")


def _firm_values(doc: Document, firm: Any, as_of: str) -> dict[str, tuple[str, ...]]:
    """Per item, the firm's value of each condition node, worded by the one-firm engine (``match_firm``)."""
    result = match_firm(compile_rules([doc]), firm, as_of)
    return {m.item_id: tuple(c.value for c in m.conditions) for m in result.items}


def _interpret_item(
    doc: Document, item: Item, firm: dict[str, Any] | None, as_of: str | None, values: tuple[str, ...] = ()
) -> ItemInterpretation:
    if firm is None:
        return ItemInterpretation(item.id, item.name, item.text, _item_lines(doc, item, None))
    assert as_of is not None
    if not doc.in_force(as_of):
        return ItemInterpretation(item.id, item.name, item.text, _item_lines(doc, item, None), "not_in_force")
    verdict = evaluate_item(item, doc, firm, as_of)
    return ItemInterpretation(
        item.id, item.name, item.text, _item_lines(doc, item, verdict.results, values), verdict.status, verdict.amount
    )

