"""Rules → one deduplicated predicate table and, per in-force-able item, its condition nodes.

Why compile: a registry is evaluated against hundreds of documents; identical predicates
(``region within 140100``, ``dishonest eq false``, every ``other``) recur across items and are
computed once per chunk. Each item keeps its nodes in policy order (for explanations) and an
evaluation order with cheap, selective predicates first (region, industry, qualifications,
flags, then numbers, derived fields, and ``other`` last), so undecided work can be skipped.

>>> from policymatch.model import document_from_dict
>>> doc = document_from_dict({"region": "140100", "items": [
...     {"id": "1", "conditions": [{"field": "revenue", "op": "gte", "value": 1}]},
...     {"id": "2", "conditions": [{"field": "revenue", "op": "gte", "value": 1}, {"field": "other", "op": "text"}]}]}, "d")
>>> c = compile_rules([doc])
>>> c.items, len(c.predicates)
([('d', '1'), ('d', '2')], 3)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..fields import DERIVED_INPUTS, FIELDS
from ..model import AnyGroup, Condition, Document, Item
from .reference import document_region_condition
from .values import NUMERIC_KINDS, field_kind

__all__ = ["Predicate", "CompiledItem", "CompiledRules", "compile_rules", "predicate_of"]


@dataclass(frozen=True)
class Predicate:
    """A condition reduced to what decides it: ``since null`` resolved against the document."""

    field: str
    op: str
    value: Any

    @property
    def cost(self) -> int:
        """Evaluation rank: smaller first (selective, cheap code and flag tests before numbers)."""
        return _COST.get(self.field, _COST.get(field_kind(self.field), 5))


# region and industry first (most selective), qualifications, flags/enums, numbers, derived, other
_COST = {"region": 0, "industry": 1, "cert": 2, "bool": 3, "enum": 3, "money": 4, "int": 4, "date": 4}
for _d in (*DERIVED_INPUTS, "age_years"):
    _COST[_d] = 6
_COST["other"] = 9


def predicate_of(c: Condition, doc: Document) -> Predicate:
    """The shared predicate of an atom in a document (all ``other`` atoms are one predicate)."""
    if c.field == "other" or c.op == "text":
        return Predicate("other", "text", None)
    if c.op == "since" and c.value is None:
        return Predicate(c.field, "since", doc.valid_from) if doc.valid_from else Predicate(c.field, "has", None)
    if c.op == "eq" and c.field.startswith("certs."):
        return Predicate(c.field, "has", None) if c.value else Predicate(c.field, "lacks", None)
    return Predicate(c.field, c.op, c.value)


@dataclass(frozen=True)
class CompiledItem:
    """One item ready to evaluate: nodes (tuples of predicate ids; >1 = an ``any`` group)."""

    index: int
    policy_id: str
    item_id: str
    doc: Document
    item: Item
    order: int  # position in its document (exclusive-group tie-break)
    nodes: tuple[tuple[int, ...], ...]  # in policy order, the document region first when set
    node_conds: tuple[Condition | AnyGroup, ...]
    eval_order: tuple[int, ...]  # node positions, cheap and selective first
    group: tuple[str, str] | None

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)


@dataclass
class CompiledRules:
    """Documents compiled for evaluation; build with :func:`compile_rules`."""

    docs: list[Document]
    predicates: list[Predicate]
    entries: list[CompiledItem]
    rules_hash: str
    _index: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    @property
    def items(self) -> list[tuple[str, str]]:
        """(policy_id, item_id) of every item, in document and item order."""
        return [(e.policy_id, e.item_id) for e in self.entries]

    def entry(self, policy_id: str, item_id: str) -> CompiledItem:
        return self.entries[self._index[(policy_id, item_id)]]

    def in_force(self, as_of: str) -> list[CompiledItem]:
        """The items whose document is in force on ``as_of`` (the others are not evaluated)."""
        return [e for e in self.entries if e.doc.in_force(as_of)]

    @cached_property
    def relevance(self):  # noqa: ANN201
        """TF-IDF model over the item texts (fitted on first use; see ``engine.relevance``)."""
        from .relevance import Relevance

        return Relevance(self.item_texts)

    def in_force_cached(self, as_of: str) -> list[CompiledItem]:
        """:meth:`in_force`, memoised per date (the one-firm path asks for the same date repeatedly)."""
        cache = self.__dict__.setdefault("_in_force", {})
        if as_of not in cache:
            cache[as_of] = self.in_force(as_of)
        return cache[as_of]

    @cached_property
    def item_texts(self) -> list[str]:
        """Per entry, the text used for relevance ranking (name, item text, policy title)."""
        return [" ".join(x for x in (e.item.name, e.item.text, e.doc.title) if x) for e in self.entries]


def _hash(docs: list[Document]) -> str:
    blob = json.dumps([d.to_dict() for d in docs], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def compile_rules(docs: list[Document]) -> CompiledRules:
    """Compile documents once; the result is immutable in use and shared across chunks and workers."""
    preds: dict[Predicate, int] = {}
    plist: list[Predicate] = []

    def pid(c: Condition, doc: Document) -> int:
        p = predicate_of(c, doc)
        if p not in preds:
            preds[p] = len(plist)
            plist.append(p)
        return preds[p]

    entries: list[CompiledItem] = []
    for doc in docs:
        region = document_region_condition(doc)
        for order, item in enumerate(doc.items):
            conds: list[Condition | AnyGroup] = ([region] if region else []) + list(item.conditions)
            nodes = tuple(
                tuple(pid(a, doc) for a in c.any) if isinstance(c, AnyGroup) else (pid(c, doc),) for c in conds
            )
            cost = [min(plist[p].cost for p in n) for n in nodes]
            entries.append(
                CompiledItem(
                    index=len(entries),
                    policy_id=doc.id,
                    item_id=item.id,
                    doc=doc,
                    item=item,
                    order=order,
                    nodes=nodes,
                    node_conds=tuple(conds),
                    eval_order=tuple(sorted(range(len(nodes)), key=lambda k: (cost[k], k))),
                    group=None if item.exclusive_group is None else (doc.id, item.exclusive_group),
                )
            )
    out = CompiledRules(docs=list(docs), predicates=plist, entries=entries, rules_hash=_hash(docs))
    out._index = {(e.policy_id, e.item_id): e.index for e in entries}
    return out


def is_numeric_field(name: str) -> bool:
    """Fields whose conditions can be closed by a shortfall (near misses): money, counts, ratios, years."""
    f = FIELDS.get(name)
    return f is not None and f.kind in NUMERIC_KINDS
