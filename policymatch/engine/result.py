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


@dataclass(frozen=True)
class ConditionCheck:
    """One condition of an item for this firm: the firm's value against the rule, and the policy's words."""

    field: str  # profile field, "any" for an OR group, "other" for a manual check
    label: str
    op: str
    description: str  # the condition in plain Chinese (explain.describe_condition)
    threshold: str
    value: str  # the firm's value, formatted ("4200万元", "未知")
    result: str  # met | unmet | unknown
    policy_text: str  # the policy's own words (the condition's source span)

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "op": self.op,
            "description": self.description,
            "threshold": self.threshold,
            "value": self.value,
            "result": self.result,
            "result_label": RESULT_LABELS[self.result],
            "policy_text": self.policy_text,
        }


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


@dataclass(frozen=True)
class ItemMatch:
    """One item for one firm."""

    policy_id: str
    item_id: str
    policy_title: str
    item_name: str
    status: str
    amount: int | None
    granted: bool
    auto: bool
    apply_mode: str
    benefit_kind: str
    benefit: str  # explain.describe_benefit
    benefit_text: str  # the policy's words
    max_amount: int | None
    exclusive_group: str | None
    n_met: int
    n_unmet: int
    n_unknown: int
    conditions: tuple[ConditionCheck, ...]
    needed: tuple[dict[str, str], ...]  # fields to supply for an unknown item: {"field", "label"}
    manual_checks: tuple[str, ...]  # conditions only a person can check (field "other")
    near_miss: NearMiss | None
    similarity: float

    @property
    def score(self) -> float:
        total = self.n_met + self.n_unmet + self.n_unknown
        return 100.0 if total == 0 else round(self.n_met * 100.0 / total, 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "item_id": self.item_id,
            "policy_title": self.policy_title,
            "item_name": self.item_name,
            "status": self.status,
            "status_label": STATUS_LABELS[self.status],
            "amount": self.amount,
            "granted": self.granted,
            "auto": self.auto,
            "apply_mode": self.apply_mode,
            "benefit": {
                "kind": self.benefit_kind,
                "description": self.benefit,
                "text": self.benefit_text,
                "max_amount": self.max_amount,
                "exclusive_group": self.exclusive_group,
            },
            "score": {
                "met": self.n_met,
                "unmet": self.n_unmet,
                "unknown": self.n_unknown,
                "total": self.n_met + self.n_unmet + self.n_unknown,
                "percent": self.score,
                "text": score_text(self.n_met, self.n_unmet, self.n_unknown),
            },
            "conditions": [c.to_dict() for c in self.conditions],
            "needed": list(self.needed),
            "manual_checks": list(self.manual_checks),
            "near_miss": None if self.near_miss is None else self.near_miss.to_dict(),
            "similarity": round(self.similarity, 4),
        }


@dataclass(frozen=True)
class FirmResult:
    """All in-force items for one firm, best first (status, benefit, score, relevance)."""

    uscc: str | None
    name: str | None
    as_of: str
    rules_hash: str
    items: tuple[ItemMatch, ...] = field(default=())

    def by_status(self, status: str) -> list[ItemMatch]:
        return [i for i in self.items if i.status == status]

    @property
    def near_misses(self) -> list[ItemMatch]:
        """Ineligible items missed only on numbers, smallest worst relative shortfall first."""
        return sorted((i for i in self.items if i.near_miss), key=lambda i: i.near_miss.worst)  # type: ignore[union-attr]

    def summary(self) -> dict[str, Any]:
        counts = {s: 0 for s in STATUS_LABELS}
        for i in self.items:
            counts[i.status] += 1
        granted = [i.amount for i in self.items if i.granted and i.amount is not None]
        return {
            **counts,
            "total": len(self.items),
            "granted_amount": sum(granted),
            "auto": sum(1 for i in self.items if i.auto),
            "near_misses": sum(1 for i in self.items if i.near_miss),
        }

    def to_dict(self, statuses: tuple[str, ...] = ("eligible", "unknown", "ineligible")) -> dict[str, Any]:
        """The stable JSON form (README "匹配结果 JSON"); ``statuses`` limits the items listed."""
        return {
            "version": JSON_VERSION,
            "uscc": self.uscc,
            "name": self.name,
            "as_of": self.as_of,
            "rules_hash": self.rules_hash,
            "summary": self.summary(),
            "items": [i.to_dict() for i in self.items if i.status in statuses],
            "near_misses": [
                {"policy_id": i.policy_id, "item_id": i.item_id, "text": i.near_miss.text}  # type: ignore[union-attr]
                for i in self.near_misses
            ],
        }
