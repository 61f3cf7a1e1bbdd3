"""Near misses: how far a firm is from a numeric threshold that alone keeps it out of an item.

Why a table: the vectorised engine (whole columns) and the one-firm path (scalars) must agree on
which failures can be closed and on the shortfall. A failure is closable when its condition is a
numeric comparison (``gt gte lt lte between crosses`` on a money, count, ratio or years field)
and the relative shortfall (gap / |threshold|) is at most ``within``. An item is a near miss
when it is ineligible and every false condition is closable.

>>> from policymatch.engine.compile import Predicate
>>> gap(Predicate("revenue", "gte", 50_000_000), 42_000_000)
(8000000.0, 0.16)
>>> gap(Predicate("investment", "lt", 3_000_000), 3_300_000)[0]
300000.0
"""

from __future__ import annotations

import numpy as np

from ..fields import FIELDS
from .compile import Predicate
from .values import NUMERIC_KINDS

__all__ = ["CLOSABLE_OPS", "NEAR_MISS_WITHIN", "closable", "gap", "gap_arrays"]

CLOSABLE_OPS = frozenset({"gt", "gte", "lt", "lte", "between", "crosses"})
#: default bound on the relative shortfall of a near miss (30 %: 4200万 is near 5000万, 2000万 is not)
NEAR_MISS_WITHIN = 0.3


def closable(p: Predicate) -> bool:
    """True for predicates a firm can meet by growing (or reducing) a number."""
    f = FIELDS.get(p.field)
    return p.op in CLOSABLE_OPS and f is not None and f.kind in NUMERIC_KINDS


def _target(p: Predicate, x):  # noqa: ANN001, ANN202
    """The threshold the value must reach and the sign of the move (+1 up, −1 down)."""
    if p.op in ("gt", "gte", "crosses"):
        return p.value, 1
    if p.op in ("lt", "lte"):
        return p.value, -1
    lo, hi = p.value
    if lo is not None and x < lo:
        return lo, 1
    return hi, -1


def gap(p: Predicate, x: float) -> tuple[float, float]:
    """(shortfall, relative shortfall) of one value; relative is inf when the threshold is 0."""
    target, sign = _target(p, x)
    g = float((target - x) * sign)
    scale = abs(float(target))
    return g, (g / scale if scale else float("inf"))


def gap_arrays(p: Predicate, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gap` over an array (where the value is below/above the threshold)."""
    if p.op == "between":
        lo, hi = p.value
        low = np.zeros(x.shape, bool) if lo is None else x < lo
        target = np.where(low, np.nan if lo is None else lo, np.nan if hi is None else hi)
        sign = np.where(low, 1.0, -1.0)
    else:
        target_s, sign_s = _target(p, 0)
        target = np.full(x.shape, float(target_s))
        sign = float(sign_s)
    g = (target - x) * sign
    scale = np.abs(target)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, g / np.where(scale > 0, scale, 1), np.inf)
    return g, rel
