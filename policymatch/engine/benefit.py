"""What an item gives a firm, in integer yuan, and which item of an exclusive group it gets.

Why exact: money is integer yuan end to end. ``rate × base`` is rounded to the yuan half up
(Decimal ``ROUND_HALF_UP``: 0.5 yuan rounds away from zero), then capped. The vectorised form
does the same in integer arithmetic (the rate as a decimal fraction p / 10^k), falling back to
Python integers when int64 could overflow.

RULES.md: ``amount`` if stated; else ``rate × base`` (base a profile field), capped by ``cap``;
else ``cap``; else (per-unit items, or nothing computable) ``max_amount``; else unknown.
In one exclusive group a firm gets the eligible item with the highest amount (ties: higher
``max_amount``, then the item listed first; an unknown amount ranks lowest).

>>> from policymatch.model import Benefit
>>> amount_for(Benefit(rate=0.1, base="rd_expense", cap=2_000_000), {"rd_expense": 1_234_565})
123457
>>> amount_for(Benefit(rate=0.1, base="rd_expense", cap=100_000), {"rd_expense": 1_234_565})
100000
>>> import numpy as np
>>> amounts_for(Benefit(rate=0.1, base="rd_expense"), np.array([1_234_565, 5]), np.array([True, False]))[0].tolist()
[123457, 0]
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from ..fields import FIELDS
from ..model import Benefit
from .values import to_number

__all__ = ["round_yuan", "amount_for", "amounts_for", "rate_base_field", "group_key"]

_INT64_SAFE = 2**62


def round_yuan(x: Decimal) -> int:
    """Round a Decimal sum to whole yuan, half up (away from zero)."""
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rate_base_field(b: Benefit) -> str | None:
    """The profile field a rate applies to, when the base is one (else the rate cannot be applied)."""
    if b.rate is None or b.base not in FIELDS:
        return None
    return b.base if FIELDS[b.base].kind in ("money", "int") else None


def _fallback(b: Benefit) -> int | None:
    return b.cap if b.cap is not None else b.max_amount


def amount_for(b: Benefit, firm: dict[str, Any]) -> int | None:
    """One firm's amount for a benefit (``firm`` maps field → value; missing base → None)."""
    if b.amount is not None:
        return b.amount
    base_field = rate_base_field(b)
    if base_field is None:
        return _fallback(b)
    base = to_number(firm.get(base_field))
    if base is None:
        return None
    v = round_yuan(Decimal(str(b.rate)) * Decimal(str(base)))
    return v if b.cap is None else min(v, b.cap)


def amounts_for(b: Benefit, base: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`amount_for` for a rate item: (int64 amounts, known mask) over ``base`` values.

    ``base`` holds the base field as int64 (or float64 for non-money fields), ``known`` its mask.
    """
    rate = Decimal(str(b.rate))
    sign, digits, exp = rate.as_tuple()
    p = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    q = 10 ** max(0, -int(exp))
    p = p * 10 ** max(0, int(exp))
    x = np.where(known, base, 0).astype(np.int64)
    biggest = int(np.abs(x).max(initial=0))
    if biggest * abs(p) * 2 + q < _INT64_SAFE:
        num = x * p
        mag = (np.abs(num) * 2 + q) // (2 * q)  # half up on magnitudes
        out = np.sign(num) * mag
    else:  # pragma: no cover - sums beyond 4.6e18 fen-equivalents; exact with Python ints
        obj = x.astype(object) * p
        out = np.array([(-1 if v < 0 else 1) * ((abs(v) * 2 + q) // (2 * q)) for v in obj], dtype=np.int64)
    if b.cap is not None:
        out = np.minimum(out, b.cap)
    return out.astype(np.int64), known.copy()


def group_key(amount: int | None, max_amount: int | None) -> tuple[int, int]:
    """Order of items within an exclusive group (higher wins; unknown ranks lowest)."""
    return (-1 if amount is None else amount, -1 if max_amount is None else max_amount)
