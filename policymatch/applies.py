"""Does a policy or item apply to a region, an industry, 免申即享 only? (the search filters)

Why a module of its own: search narrows by where a firm is and what it does before it knows
anything else about the firm. A document applies when its region covers the code or it has
none (national); an item applies unless one of its region/industry conditions rules the code
out — conditions on anything else are unknown for such a probe and never exclude.

>>> from policymatch.model.types import Document, Item, Condition
>>> it = Item("1", conditions=(Condition("industry", "within", "C"),))
>>> doc = Document("d", region="140100", items=(it,))
>>> applies(doc, it, region="140105", industry="3562"), applies(doc, it, industry="5211")
(True, False)
>>> applies(doc, None, region="330302")
False
"""

from __future__ import annotations

from ._codes import overlaps
from .model.types import AnyGroup, Condition, Document, Item

__all__ = ["applies"]

#: ops that can rule a code out (others on region/industry are equality tests handled the same way)
_CODE_OPS = ("within", "eq", "in")


def _atom_false(atom: Condition, probe: dict[str, str]) -> bool:
    """True only when the atom is known false for the probe (its field is in the probe)."""
    code = probe.get(atom.field)
    if code is None or atom.op not in _CODE_OPS + ("ne", "not_in"):
        return False
    values = atom.value if isinstance(atom.value, tuple) else (atom.value,)
    inside = any(overlaps(atom.field, v, code) for v in values)
    return inside if atom.op in ("ne", "not_in") else not inside


def _node_false(node: Condition | AnyGroup, probe: dict[str, str]) -> bool:
    if isinstance(node, AnyGroup):
        return all(_atom_false(a, probe) for a in node.any)
    return _atom_false(node, probe)


def applies(
    doc: Document,
    item: Item | None,
    region: str | None = None,
    industry: str | None = None,
    auto_only: bool = False,
) -> bool:
    """True when ``doc`` (``item`` None) or ``item`` of it may apply to a firm in ``region``/``industry``."""
    if item is None:
        return region is None or doc.region is None or overlaps("region", doc.region, region)
    if auto_only and item.apply_mode != "auto":
        return False
    probe = {k: v for k, v in (("region", region), ("industry", industry)) if v is not None}
    return not any(_node_false(n, probe) for n in item.conditions)
