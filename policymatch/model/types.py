"""Typed rule model of RULES.md: Document → Item → Condition / AnyGroup, Benefit.

Why frozen dataclasses: rules are compiled once and shared across chunks, threads and
Dask workers; immutability makes that safe and makes them hashable for deduplicating
identical predicates across items. ``to_dict`` gives back the canonical JSON shape.

>>> c = Condition(field="revenue", op="gte", value=100000000, text="营业收入1亿元以上")
>>> c.to_dict()["op"]
'gte'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

__all__ = ["Condition", "AnyGroup", "Benefit", "Item", "Document", "ConditionNode"]


def _freeze(v: Any) -> Any:
    """Lists become tuples so conditions stay hashable."""
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    return v


def _thaw(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_thaw(x) for x in v]
    return v


@dataclass(frozen=True)
class Condition:
    """One atom: ``field op value``; ``text`` is the verbatim source span."""

    field: str
    op: str
    value: Any = None
    text: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _freeze(self.value))

    @property
    def key(self) -> tuple[str, str, Any]:
        """Identity of the predicate, ignoring wording: shared across items by the engine."""
        return (self.field, self.op, self.value)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "value": _thaw(self.value), "text": self.text}


@dataclass(frozen=True)
class AnyGroup:
    """An OR of atoms: true if any member is true, false if all are false, else unknown."""

    any: tuple[Condition, ...]
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"any": [c.to_dict() for c in self.any]}
        if self.text:
            d["text"] = self.text
        return d


ConditionNode = Union[Condition, AnyGroup]


@dataclass(frozen=True)
class Benefit:
    """What an eligible firm gets. Money in integer yuan; ``rate`` a fraction."""

    kind: str = "other"
    amount: int | None = None
    rate: float | None = None
    base: str | None = None
    cap: int | None = None
    unit_amount: int | None = None
    unit: str | None = None
    max_amount: int | None = None
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "amount": self.amount,
            "rate": self.rate,
            "base": self.base,
            "cap": self.cap,
            "unit_amount": self.unit_amount,
            "unit": self.unit,
            "max_amount": self.max_amount,
            "text": self.text,
        }


@dataclass(frozen=True)
class Item:
    """One benefit with the conditions (AND) a firm must meet to get it."""

    id: str
    name: str = ""
    text: str = ""
    conditions: tuple[ConditionNode, ...] = ()
    benefit: Benefit = field(default_factory=Benefit)
    apply_mode: str = "apply"
    exclusive_group: str | None = None
    #: character offsets [start, end) of ``text`` in the source, when the parser knows them
    span: tuple[int, int] | None = None

    def atoms(self) -> list[Condition]:
        """All atoms, with those inside ``any`` groups flattened."""
        out: list[Condition] = []
        for c in self.conditions:
            out.extend(c.any if isinstance(c, AnyGroup) else (c,))
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "text": self.text,
            "conditions": [c.to_dict() for c in self.conditions],
            "benefit": self.benefit.to_dict(),
            "apply_mode": self.apply_mode,
            "exclusive_group": self.exclusive_group,
        }
        if self.span is not None:
            d["span"] = list(self.span)
        return d


@dataclass(frozen=True)
class Document:
    """One policy document: metadata applying to all its items, and the items."""

    id: str
    title: str = ""
    issuer: str | None = None
    doc_number: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    region: str | None = None
    items: tuple[Item, ...] = ()
    #: where the rules came from (a rule file path), for error messages and tracing
    source: str | None = None

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def in_force(self, as_of: str | None) -> bool:
        """True when ``as_of`` (ISO date) lies in [valid_from, valid_to]; None means always."""
        if as_of is None:
            return True
        if self.valid_from and as_of < self.valid_from:
            return False
        if self.valid_to and as_of > self.valid_to:
            return False
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "issuer": self.issuer,
            "doc_number": self.doc_number,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "region": self.region,
            "items": [it.to_dict() for it in self.items],
        }
