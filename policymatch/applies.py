"""Does a policy or item apply to a region, an industry, 免申即享 only? (the search filters)

Why a module of its own: search narrows by where a firm is and what it does before it knows
anything else about it. The question is put to the engine's reference evaluator with a probe
firm that has only those two fields: everything else is unknown for it, so an item is left out
only when its document's region or its own region/industry conditions rule the probe out
(RULES.md ``within``), never because of a condition the probe cannot answer.

>>> from policymatch.model.types import Document, Item, Condition
>>> it = Item("1", conditions=(Condition("industry", "within", "C"),))
>>> doc = Document("d", region="140100", items=(it,))
>>> applies(doc, it, region="140105", industry="3562"), applies(doc, it, industry="5211")
(True, False)
>>> applies(doc, None, region="330302"), applies(doc, None)
(False, True)
"""

from __future__ import annotations

import datetime as dt

from .engine.reference import document_region_condition, evaluate_condition, evaluate_item
from .model.types import Document, Item

__all__ = ["applies"]


def applies(
    doc: Document,
    item: Item | None,
    region: str | None = None,
    industry: str | None = None,
    auto_only: bool = False,
    as_of: str | None = None,
) -> bool:
    """True when ``doc`` (``item`` None) or its ``item`` may apply to a firm in ``region``/``industry``."""
    if item is not None and auto_only and item.apply_mode != "auto":
        return False
    probe = {k: v for k, v in (("region", region), ("industry", industry)) if v}
    if not probe:
        return True
    if item is None:
        cond = document_region_condition(doc)
        when = as_of or dt.date.today().isoformat()
        return cond is None or region is None or evaluate_condition(cond, doc, probe, when) is not False
    return evaluate_item(item, doc, probe, as_of).status != "ineligible"
