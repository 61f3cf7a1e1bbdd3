"""The one-firm result: per item status, benefit, conditions with reasons, near miss, score.

Why typed: ``FirmResult.to_dict()`` is the JSON the Taiyuan platform builds on (documented in the
README, "匹配结果 JSON"); its keys are stable. Add keys, never rename or remove them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..explain import RESULT_LABELS, STATUS_LABELS, score_text

__all__ = ["ConditionCheck", "Gap", "NearMiss", "ItemMatch", "FirmResult", "JSON_VERSION"]

#: bumped only when a key changes meaning (keys are only ever added)
JSON_VERSION = 1


class ConditionCheck:
    """One condition of an item for this firm: the firm's value against the rule, and the policy's words.

    ``static`` holds what does not depend on the firm (field, label, op, description, threshold,
    policy_text), shared by every firm matched against the same compiled rules.
    """

    __slots__ = ("static", "value", "result")

    def __init__(self, static: dict[str, str], value: str, result: str) -> None:
        self.static = static
        self.value = value  # the firm's value, formatted ("4200万元", "未知")
        self.result = result  # met | unmet | unknown

    field = property(lambda self: self.static["field"])  # profile field, "any" for an OR group, "other"
    label = property(lambda self: self.static["label"])
    op = property(lambda self: self.static["op"])
    description = property(lambda self: self.static["description"])  # explain.describe_condition
    threshold = property(lambda self: self.static["threshold"])
    policy_text = property(lambda self: self.static["policy_text"])  # the condition's source span

    def __repr__(self) -> str:
        return f"ConditionCheck({self.description!r}, value={self.value!r}, result={self.result!r})"

    def to_dict(self) -> dict[str, Any]:
        return {**self.static, "value": self.value, "result": self.result, "result_label": RESULT_LABELS[self.result]}


@dataclass(frozen=True)
class Gap:
    """How far one numeric condition is from being met."""

    field: str
    op: str
    threshold: float | int
    value: float | int
    gap: float | int
    relative: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "op": self.op,
            "threshold": self.threshold,
            "value": self.value,
            "gap": self.gap,
            "relative": round(self.relative, 4),
            "text": self.text,
        }


@dataclass(frozen=True)
class NearMiss:
    """An ineligible item the firm misses only on numbers: the gaps (smallest relative first) and the gain."""

    then: str  # status once the gaps are closed: eligible | unknown
    gain: int | None  # what the firm would get (more, when it already gets a lower tier)
    gaps: tuple[Gap, ...]
    text: str

    @property
    def worst(self) -> float:
        return max(g.relative for g in self.gaps) if self.gaps else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"then": self.then, "gain": self.gain, "gaps": [g.to_dict() for g in self.gaps], "text": self.text}


class ItemMatch:
    """One item for one firm. ``conditions`` are built on first access (most items are never shown).

    The firm-independent facts (policy, item, benefit wording) come from ``info`` (``itemtable.ItemInfo``).
    """

    __slots__ = ("info", "status", "amount", "granted", "auto", "n_met", "n_unmet", "n_unknown", "needed",
                 "manual_checks", "near_miss", "similarity", "score", "_codes", "_explainer", "_conditions")  # fmt: skip

    def __init__(self, info, status, amount, granted, auto, n_met, n_unmet, n_unknown,  # noqa: ANN001
                 needed, manual_checks, near_miss, similarity, codes, explainer) -> None:  # noqa: ANN001
        self.info = info
        self.status: str = status
        self.amount: int | None = amount
        self.granted: bool = granted
        self.auto: bool = auto
        self.n_met: int = n_met
        self.n_unmet: int = n_unmet
        self.n_unknown: int = n_unknown
        self.needed: tuple[dict[str, str], ...] = needed  # fields to supply for an unknown item
        self.manual_checks: tuple[str, ...] = manual_checks  # conditions only a person can check
        self.near_miss: NearMiss | None = near_miss
        self.similarity: float = similarity
        total = n_met + n_unmet + n_unknown
        self.score: float = 100.0 if total == 0 else round(n_met * 100.0 / total, 1)
        self._codes = codes  # per node 0 false / 1 unknown / 2 true (may be padded)
        self._explainer = explainer  # .value_text(condition) → the firm's value, formatted
        self._conditions: tuple[ConditionCheck, ...] | None = None

    policy_id = property(lambda self: self.info.entry.policy_id)
    item_id = property(lambda self: self.info.entry.item_id)
    policy_title = property(lambda self: self.info.entry.doc.title)
    item_name = property(lambda self: self.info.entry.item.name)
    apply_mode = property(lambda self: self.info.entry.item.apply_mode)
    exclusive_group = property(lambda self: self.info.entry.item.exclusive_group)
    benefit = property(lambda self: self.info.benefit_words)  # explain.describe_benefit
    benefit_kind = property(lambda self: self.info.entry.item.benefit.kind)
    benefit_text = property(lambda self: self.info.entry.item.benefit.text)
    max_amount = property(lambda self: self.info.entry.item.benefit.max_amount)

    def __repr__(self) -> str:
        return f"ItemMatch({self.policy_id}/{self.item_id} {self.status}, amount={self.amount}, score={self.score})"

    @property
    def conditions(self) -> tuple[ConditionCheck, ...]:
        """Every condition (the document's region first): firm value, threshold, result, policy words."""
        if self._conditions is None:
            vt = self._explainer.value_text
            conds = self.info.entry.node_conds
            self._conditions = tuple(
                ConditionCheck(st, vt(c), _RESULTS[r]) for st, c, r in zip(self.info.statics, conds, self._codes)
            )
        return self._conditions

    @property
    def results(self) -> list[bool | None]:
        """Per condition node (the document's region first): True / False / None (unknown)."""
        return [_TRI[r] for r in self._codes[: len(self.info.statics)]]

    @property
    def score_text(self) -> str:
        return score_text(self.n_met, self.n_unmet, self.n_unknown)

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        """JSON form of the item. ``conditions`` lists every condition for eligible, unknown and near-miss
        items (or always with ``full``); for other ineligible items only the unmet ones (the reasons)."""
        if self._conditions is not None and (full or self.status != "ineligible" or self.near_miss is not None):
            conds = [c.to_dict() for c in self._conditions]
        elif full or self.status != "ineligible" or self.near_miss is not None:
            # same dicts as ConditionCheck.to_dict, built without the intermediate objects (hot in one-firm JSON)
            vt = self._explainer.value_text
            conds = [
                {**st, "value": vt(c), "result": _RESULTS[r], "result_label": RESULT_LABELS[_RESULTS[r]]}
                for st, c, r in zip(self.info.statics, self.info.entry.node_conds, self._codes)
            ]
        else:
            vt = self._explainer.value_text
            conds = [{**st, "value": vt(c), "result": "unmet", "result_label": "不满足"}
                     for st, c, r in zip(self.info.statics, self.info.entry.node_conds, self._codes) if r == 0]
        base = self.info.base
        return {
            **base,
            "benefit": dict(base["benefit"]),
            "status": self.status,
            "status_label": STATUS_LABELS[self.status],
            "amount": self.amount,
            "granted": self.granted,
            "auto": self.auto,
            "score": {
                "met": self.n_met,
                "unmet": self.n_unmet,
                "unknown": self.n_unknown,
                "total": self.n_met + self.n_unmet + self.n_unknown,
                "percent": self.score,
                "text": self.score_text,
            },
            "conditions": conds,
            "needed": list(self.needed),
            "manual_checks": list(self.manual_checks),
            "near_miss": None if self.near_miss is None else self.near_miss.to_dict(),
            "similarity": round(self.similarity, 4),
        }


_RESULTS = ("unmet", "unknown", "met")  # by code 0 / 1 / 2
_TRI = (False, None, True)


class FirmResult:
    """All in-force items for one firm, best first (status, benefit, score, relevance).

    Items are built on demand: ``items`` builds them all; ``to_dict`` builds only those it lists.
    ``make(k)`` returns the item at rank ``k``; ``statuses`` holds each rank's status.
    """

    def __init__(self, uscc: str | None, name: str | None, as_of: str, rules_hash: str, *,
                 statuses: list[str], make, near_ranks: list[int], totals: dict[str, int]) -> None:  # noqa: ANN001
        self.uscc, self.name, self.as_of, self.rules_hash = uscc, name, as_of, rules_hash
        self.statuses = statuses
        self._make = make
        self._built: dict[int, ItemMatch] = {}
        self._near_ranks = near_ranks
        self._totals = totals

    def item(self, rank: int) -> ItemMatch:
        if rank not in self._built:
            self._built[rank] = self._make(rank)
        return self._built[rank]

    @property
    def items(self) -> tuple[ItemMatch, ...]:
        return tuple(self.item(k) for k in range(len(self.statuses)))

    def by_status(self, status: str) -> list[ItemMatch]:
        return [self.item(k) for k, s in enumerate(self.statuses) if s == status]

    @property
    def near_misses(self) -> list[ItemMatch]:
        """Ineligible items missed only on numbers, smallest worst relative shortfall first."""
        return sorted((self.item(k) for k in self._near_ranks), key=lambda i: i.near_miss.worst)  # type: ignore[union-attr]

    def summary(self) -> dict[str, Any]:
        counts = {s: 0 for s in STATUS_LABELS}
        for s in self.statuses:
            counts[s] += 1
        return {**counts, "total": len(self.statuses), **self._totals, "near_misses": len(self._near_ranks)}

    def to_dict(self, statuses: tuple[str, ...] = ("eligible", "unknown"), full: bool = False) -> dict[str, Any]:
        """The stable JSON form (README "匹配结果 JSON").

        ``items`` lists the items of the given statuses, best first (pass all three for every item;
        an ineligible item then lists only its unmet conditions unless ``full``); ``near_misses``
        lists the ineligible items missed only on numbers, smallest shortfall first.
        """
        return {
            "version": JSON_VERSION,
            "uscc": self.uscc,
            "name": self.name,
            "as_of": self.as_of,
            "rules_hash": self.rules_hash,
            "summary": self.summary(),
            "items": [self.item(k).to_dict(full) for k, s in enumerate(self.statuses) if s in statuses],
            "near_misses": [
                {"policy_id": i.policy_id, "item_id": i.item_id, "item_name": i.item_name, "amount": i.amount,
                 **i.near_miss.to_dict()}  # type: ignore[union-attr]
                for i in self.near_misses
            ],
        }
