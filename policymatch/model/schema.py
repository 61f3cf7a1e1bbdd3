"""Plain dict (from JSON or YAML) → typed Document, collecting every problem with its path.

Why collect instead of raising at the first problem: a reviewer fixing a rule file wants
the whole list (``items[2].conditions[0].op: 应为 eq, gte, …; 实际为 'ge'``) in one pass.
Unknown keys are allowed and ignored, as RULES.md says.

>>> doc = document_from_dict({"title": "t", "items": [{"id": "1", "conditions": [
...     {"field": "revenue", "op": "gte", "value": 1e8}], "benefit": {"kind": "award", "amount": 300000}}]}, "x")
>>> doc.items[0].benefit.max_amount
300000
>>> validate_dict({"items": [{"id": "1", "conditions": [{"field": "revenue", "op": "ge", "value": 1}]}]})[0]
"items[0].conditions[0].op: 应为 eq, ne, gt, gte, lt, lte, between, in, not_in, within, has, since, crosses, text 之一; 实际为 'ge'"
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..errors import RuleError
from ..fields import ENUMS, FIELDS, TAX_CREDIT_ORDER, is_cert_field, is_known_field
from .ops import OPS
from .types import AnyGroup, Benefit, Condition, ConditionNode, Document, Item

__all__ = ["document_from_dict", "validate_dict", "BENEFIT_KINDS", "APPLY_MODES"]

BENEFIT_KINDS = (
    "award",
    "subsidy",
    "interest_subsidy",
    "tax_reduction",
    "rent_subsidy",
    "loan",
    "service",
    "other",
)
APPLY_MODES = ("auto", "apply")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REGION = re.compile(r"^\d{6}$")
_INDUSTRY = re.compile(r"^(?:[A-T]|\d{2,4}|[A-T]\d{2,4})$")


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, expected: str, found: Any) -> None:
        self.items.append(f"{path}: 应为 {expected}; 实际为 {found!r}")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v))


def _yuan(v: Any, path: str, p: _Problems) -> int | None:
    """Money to integer yuan, rounded half up (amounts like 1.5万 arrive as 15000.0)."""
    if v is None:
        return None
    if not _is_number(v) or v < 0 or (isinstance(v, float) and math.isinf(v)):
        p.add(path, "非负金额（元）", v)
        return None
    return int(Decimal(str(v)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check_value(field: str, op: str, v: Any, path: str, p: _Problems) -> Any:
    kind = OPS[op].value_kind
    if kind == "number":
        if field == "tax_credit" and isinstance(v, str) and v in TAX_CREDIT_ORDER:
            return v
        if not _is_number(v):
            p.add(path, "数值", v)
    elif kind == "pair":
        if not (isinstance(v, list) and len(v) == 2 and all(x is None or _is_number(x) for x in v)):
            if not (field == "tax_credit" and isinstance(v, list) and len(v) == 2):
                p.add(path, "[下限, 上限]（可为 null）", v)
    elif kind == "list":
        if not isinstance(v, list) or not v:
            p.add(path, "非空列表", v)
    elif kind == "code":
        codes = v if isinstance(v, list) else [v]
        pattern = _REGION if field == "region" else _INDUSTRY
        if field not in ("region", "industry"):
            p.add(path.rsplit(".", 1)[0] + ".field", "region 或 industry（within 只用于代码）", field)
        else:
            for c in codes:
                if not isinstance(c, str) or not pattern.match(c):
                    p.add(path, "6位行政区划代码" if field == "region" else "GB/T 4754 行业代码", c)
    elif kind == "date_or_null":
        if v is not None and not (isinstance(v, str) and _DATE.match(v)):
            p.add(path, "ISO 日期 YYYY-MM-DD 或 null", v)
    if field in ENUMS and op in ("eq", "ne", "in", "not_in"):
        allowed = ENUMS[field]
        for x in v if isinstance(v, list) else [v]:
            if x not in allowed:
                p.add(path, " / ".join(allowed), x)
    if field in FIELDS and FIELDS[field].kind == "bool" and op in ("eq", "ne") and not isinstance(v, bool):
        p.add(path, "true 或 false", v)
    return v


def _condition(d: Any, path: str, p: _Problems) -> ConditionNode | None:
    if not isinstance(d, dict):
        p.add(path, "条件对象", d)
        return None
    if "any" in d or "all" in d:
        key = "any" if "any" in d else "all"
        members = d[key]
        if not isinstance(members, list) or not members:
            p.add(f"{path}.{key}", "非空条件列表", members)
            return None
        atoms = []
        for k, m in enumerate(members):
            c = _condition(m, f"{path}.{key}[{k}]", p)
            if isinstance(c, AnyGroup):
                atoms.extend(c.any)  # nested OR flattens
            elif c is not None:
                atoms.append(c)
        if key == "all":  # an explicit AND group is just more AND atoms, spliced into the parent list
            return _AllMarker(tuple(atoms))  # type: ignore[return-value]
        return AnyGroup(tuple(atoms), text=str(d.get("text") or ""))
    field, op = d.get("field"), d.get("op")
    ok = True
    if not isinstance(field, str) or not is_known_field(field):
        p.add(f"{path}.field", "PROFILE.md 字段、certs.<资质代码> 或 other", field)
        ok = False
    if op not in OPS:
        p.add(f"{path}.op", " ".join([", ".join(OPS), "之一"]), op)
        return None
    if ok and is_cert_field(field) and op not in ("has", "since", "eq"):
        p.add(f"{path}.op", f"{field} 只能用 has / since", op)
    if ok and field == "other" and op != "text":
        p.add(f"{path}.op", "other 条件只能用 text", op)
    value = d.get("value")
    if ok and op != "text":
        value = _check_value(field, op, value, f"{path}.value", p)
    text = d.get("text")
    if text is not None and not isinstance(text, str):
        p.add(f"{path}.text", "字符串", text)
        text = str(text)
    if not ok:
        return None
    return Condition(field=field, op=op, value=value, text=text or "")


class _AllMarker(tuple):
    """Internal: an explicit ``all`` group, spliced into the parent AND list."""

    def __new__(cls, atoms: tuple[Condition, ...]) -> "_AllMarker":
        return super().__new__(cls, atoms)


def _benefit(d: Any, path: str, p: _Problems) -> Benefit:
    if d is None:
        return Benefit()
    if not isinstance(d, dict):
        p.add(path, "benefit 对象", d)
        return Benefit()
    kind = d.get("kind") or "other"
    if kind not in BENEFIT_KINDS:
        p.add(f"{path}.kind", " / ".join(BENEFIT_KINDS), kind)
        kind = "other"
    rate = d.get("rate")
    if rate is not None and (not _is_number(rate) or rate < 0):
        p.add(f"{path}.rate", "比例（小数，如 0.1）", rate)
        rate = None
    base = d.get("base")
    if base is not None and not isinstance(base, str):
        p.add(f"{path}.base", "字段名或短语", base)
        base = None
    amount = _yuan(d.get("amount"), f"{path}.amount", p)
    cap = _yuan(d.get("cap"), f"{path}.cap", p)
    unit_amount = _yuan(d.get("unit_amount"), f"{path}.unit_amount", p)
    max_amount = _yuan(d.get("max_amount"), f"{path}.max_amount", p)
    if "max_amount" not in d:  # RULES.md: max_amount = amount, else cap, else null
        max_amount = amount if amount is not None else cap
    unit = d.get("unit")
    return Benefit(
        kind=kind,
        amount=amount,
        rate=float(rate) if rate is not None else None,
        base=base,
        cap=cap,
        unit_amount=unit_amount,
        unit=str(unit) if unit is not None else None,
        max_amount=max_amount,
        text=str(d.get("text") or ""),
    )


def _item(d: Any, k: int, p: _Problems) -> Item | None:
    path = f"items[{k}]"
    if not isinstance(d, dict):
        p.add(path, "item 对象", d)
        return None
    conds: list[ConditionNode] = []
    raw = d.get("conditions") or []
    if not isinstance(raw, list):
        p.add(f"{path}.conditions", "条件列表", raw)
        raw = []
    for j, c in enumerate(raw):
        node = _condition(c, f"{path}.conditions[{j}]", p)
        if isinstance(node, _AllMarker):
            conds.extend(node)
        elif node is not None:
            conds.append(node)
    mode = d.get("apply_mode") or "apply"
    if mode not in APPLY_MODES:
        p.add(f"{path}.apply_mode", "auto 或 apply", mode)
        mode = "apply"
    group = d.get("exclusive_group")
    span = d.get("span")
    item_id = d.get("id")
    if item_id is None or str(item_id).strip() == "":
        item_id = str(k + 1)
    return Item(
        id=str(item_id),
        name=str(d.get("name") or ""),
        text=str(d.get("text") or ""),
        conditions=tuple(conds),
        benefit=_benefit(d.get("benefit"), f"{path}.benefit", p),
        apply_mode=mode,
        exclusive_group=None if group is None else str(group),
        span=tuple(span) if isinstance(span, list) and len(span) == 2 else None,  # type: ignore[arg-type]
    )


def _build(d: Any, doc_id: str, source: str | None) -> tuple[Document | None, list[str]]:
    p = _Problems()
    if not isinstance(d, dict):
        p.add("(document)", "JSON/YAML 对象", type(d).__name__)
        return None, p.items
    for key in ("valid_from", "valid_to"):
        v = d.get(key)
        if v is not None and not (isinstance(v, str) and _DATE.match(v)):
            p.add(key, "ISO 日期 YYYY-MM-DD 或 null", v)
    region = d.get("region")
    if region is not None and not (isinstance(region, str) and _REGION.match(region)):
        p.add("region", "6位行政区划代码或 null", region)
        region = None
    raw_items = d.get("items")
    if not isinstance(raw_items, list):
        p.add("items", "item 列表", raw_items)
        raw_items = []
    items = [it for k, x in enumerate(raw_items) if (it := _item(x, k, p)) is not None]
    seen: set[str] = set()
    for k, it in enumerate(items):
        if it.id in seen:
            p.add(f"items[{k}].id", "文件内唯一的 id", it.id)
        seen.add(it.id)

    def _s(key: str) -> str | None:
        v = d.get(key)
        return None if v is None else str(v)

    doc = Document(
        id=str(d.get("id") or doc_id),
        title=str(d.get("title") or ""),
        issuer=_s("issuer"),
        doc_number=_s("doc_number"),
        valid_from=_s("valid_from") if not any(x.startswith("valid_from") for x in p.items) else None,
        valid_to=_s("valid_to") if not any(x.startswith("valid_to") for x in p.items) else None,
        region=region,
        items=tuple(items),
        source=source,
    )
    return doc, p.items


def validate_dict(d: Any) -> list[str]:
    """Every problem of a rule document as ``path: 应为 …; 实际为 …`` lines (empty when valid)."""
    return _build(d, "doc", None)[1]


def document_from_dict(d: Any, doc_id: str, source: str | None = None) -> Document:
    """Build a Document, raising one RuleError that lists every problem when it is invalid."""
    doc, problems = _build(d, doc_id, source)
    if problems or doc is None:
        raise RuleError(
            f"规则文件有 {len(problems)} 处问题：" + "；".join(problems[:5]) + ("……" if len(problems) > 5 else ""),
            file=source,
            problems=problems,
        )
    return doc
