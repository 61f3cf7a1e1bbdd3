"""The in-force items of a compiled rule set as arrays, for evaluating one firm in microseconds.

Why: a platform matches one firm against ~1,000 items per request. Predicate results are coded
False 0 / unknown 1 / True 2, so Kleene OR is ``max`` and Kleene AND is ``min``; an item's nodes
become a padded index matrix (items × nodes × atoms) into the firm's predicate codes, and every
status and count comes from two numpy reductions. Built once per compiled set and date.

>>> import numpy as np
>>> codes = np.array([0, 2, 1, 0, 2], np.int8)     # three predicates, then the False / True pads
>>> idx = np.array([[[0, 1], [2, 3]]])             # one item: (p0 OR p1) AND (p2)
>>> node = codes[idx].max(axis=2); node.min(axis=1).tolist()
[1]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..explain import describe_benefit, describe_condition, format_threshold
from ..fields import field_label
from ..model import AnyGroup
from .benefit import rate_base_field
from .compile import CompiledItem, CompiledRules
from .nearmiss import closable

__all__ = ["ItemInfo", "ItemTable", "item_table"]

_NODE_KEYS = ("field", "label", "op", "description", "threshold", "policy_text")


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """What a result needs to know about an item that does not depend on the firm."""

    entry: CompiledItem
    statics: tuple[dict[str, str], ...]  # per node: field, label, op, description, threshold, policy_text
    benefit_words: str
    base: dict[str, Any]  # the firm-independent part of the item's JSON

    @classmethod
    def of(cls, e: CompiledItem) -> ItemInfo:
        statics = []
        for c in e.node_conds:
            if isinstance(c, AnyGroup):
                words = ("any", "或条件", "any", describe_condition(c), "", c.text or "；".join(a.text for a in c.any if a.text))
            else:
                words = (c.field, field_label(c.field), c.op, describe_condition(c), format_threshold(c), c.text)
            statics.append(dict(zip(_NODE_KEYS, words, strict=True)))
        b = e.item.benefit
        words = describe_benefit(b)
        base = {
            "policy_id": e.policy_id,
            "item_id": e.item_id,
            "policy_title": e.doc.title,
            "item_name": e.item.name,
            "apply_mode": e.item.apply_mode,
            "benefit": {"kind": b.kind, "description": words, "text": b.text, "max_amount": b.max_amount,
                        "exclusive_group": e.item.exclusive_group},
        }
        return cls(e, tuple(statics), words, base)


@dataclass
class ItemTable:
    """Arrays over the items in force on one date (see the module docstring)."""

    entries: list[CompiledItem]
    index: np.ndarray  # position of each entry among all compiled items
    infos: list[ItemInfo]
    atoms: np.ndarray  # (items, nodes, atoms) predicate indices; pads point at FALSE / TRUE
    n_pad: np.ndarray  # padded nodes per item
    n_nodes: np.ndarray
    closable: np.ndarray  # (items, nodes): a single numeric atom a shortfall can close
    amount: np.ndarray  # fixed amount per item (-1 when none)
    amount_known: np.ndarray
    rate_items: list[int]  # items whose amount depends on the firm (rate × base field)
    auto: np.ndarray  # apply_mode auto (免申即享 when granted)
    n_preds: int

    @property
    def false_index(self) -> int:
        return self.n_preds

    @property
    def true_index(self) -> int:
        return self.n_preds + 1


def _fixed_amount(e: CompiledItem) -> int | None:
    b = e.item.benefit
    return b.amount if b.amount is not None else (b.cap if b.cap is not None else b.max_amount)


def item_table(compiled: CompiledRules, as_of: str) -> ItemTable:
    """The table for ``as_of`` (cached on the compiled rules)."""
    cache = compiled.__dict__.setdefault("_item_tables", {})
    if as_of in cache:
        return cache[as_of]
    entries = compiled.in_force(as_of)
    infos_cache = compiled.__dict__.setdefault("_item_infos", {})
    infos = []
    for e in entries:
        if e.index not in infos_cache:
            infos_cache[e.index] = ItemInfo.of(e)
        infos.append(infos_cache[e.index])
    P = len(compiled.predicates)
    n_items = len(entries)
    max_nodes = max((len(e.nodes) for e in entries), default=0) or 1
    max_atoms = max((len(n) for e in entries for n in e.nodes), default=0) or 1
    atoms = np.full((n_items, max_nodes, max_atoms), P, np.int32)  # atom pads: False (neutral for OR)
    n_pad = np.zeros(n_items, np.int16)
    clos = np.zeros((n_items, max_nodes), bool)
    for i, e in enumerate(entries):
        for k, node in enumerate(e.nodes):
            atoms[i, k, : len(node)] = node
            clos[i, k] = len(node) == 1 and closable(compiled.predicates[node[0]])
        atoms[i, len(e.nodes):, :] = P + 1  # node pads: True (neutral for AND)
        n_pad[i] = max_nodes - len(e.nodes)
    fixed = [_fixed_amount(e) for e in entries]
    table = ItemTable(
        entries=entries,
        index=np.array([e.index for e in entries], np.int64),
        infos=infos,
        atoms=atoms,
        n_pad=n_pad,
        n_nodes=np.array([len(e.nodes) for e in entries], np.int16),
        closable=clos,
        amount=np.array([-1 if a is None else a for a in fixed], np.int64),
        amount_known=np.array([a is not None for a in fixed], bool),
        rate_items=[i for i, e in enumerate(entries) if e.item.benefit.amount is None and rate_base_field(e.item.benefit)],
        n_preds=P,
        auto=np.array([e.item.apply_mode == "auto" for e in entries], bool),
    )
    cache[as_of] = table
    return table
