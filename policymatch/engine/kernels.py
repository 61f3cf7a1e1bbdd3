"""One vectorised kernel per operator: a predicate over a chunk → (true mask, false mask).

Why two masks: three-valued logic on whole columns needs no Python loop over firms —
Kleene AND is (T1 & T2, F1 | F2), OR is (T1 | T2, F1 & F2), and unknown is neither.
The table ``KERNELS`` is keyed by the operator names of ``model.ops`` (plus ``lacks``, the
compiled form of ``certs.X eq false``); the reference evaluator is the scalar twin.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..fields import FIELDS
from .codes import industry_prefixes, region_prefixes
from .columns import Columns, _np_bool
from .compile import Predicate
from .values import NUMERIC_KINDS, field_kind

__all__ = ["KERNELS", "evaluate_predicate", "Tri"]

Tri = tuple[np.ndarray, np.ndarray]


def _unknown(cols: Columns) -> Tri:
    z = np.zeros(cols.n, bool)
    return z, z


def _from_bool(cols: Columns, ok: np.ndarray, known: np.ndarray) -> Tri:
    return ok & known, ~ok & known


def _numeric(test: Callable[[np.ndarray, float], np.ndarray]) -> Callable[[Columns, Predicate], Tri]:
    def kernel(cols: Columns, p: Predicate) -> Tri:
        x = cols.number(p.field)
        v = _threshold(p.field, p.value)
        with np.errstate(invalid="ignore"):
            return _from_bool(cols, test(x, v), ~np.isnan(x))

    return kernel


def _threshold(field: str, v):  # noqa: ANN001, ANN202
    from ..fields import TAX_CREDIT_ORDER

    return TAX_CREDIT_ORDER.get(v, np.nan) if field == "tax_credit" and isinstance(v, str) else v


def _between(cols: Columns, p: Predicate) -> Tri:
    lo, hi = (_threshold(p.field, b) for b in p.value)
    x = cols.number(p.field)
    ok = np.ones(cols.n, bool)
    with np.errstate(invalid="ignore"):
        if lo is not None:
            ok &= lo <= x
        if hi is not None:
            ok &= x <= hi
    return _from_bool(cols, ok, ~np.isnan(x))


def _equal_any(cols: Columns, field: str, values: tuple) -> Tri:
    """Field equals one of ``values``, compared by the field's kind."""
    kind = field_kind(field)
    if kind == "bool":
        t, f = cols.flags(field)
        want = {bool(v) for v in values if isinstance(v, bool)}
        ok = np.zeros(cols.n, bool)
        for w in want:
            ok |= t if w else f
        return ok, (t | f) & ~ok
    if kind in NUMERIC_KINDS:
        x = cols.number(field)
        nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return _from_bool(cols, np.isin(x, nums), ~np.isnan(x))
    a = cols.strings(field)
    if a is None:
        return _unknown(cols)
    hit = _np_bool(pc.is_in(a, value_set=pa.array([str(v) for v in values], pa.string())))
    return _from_bool(cols, hit, _np_bool(a.is_valid()))


def _not(t: Tri) -> Tri:
    return t[1], t[0]


def _within(cols: Columns, p: Predicate) -> Tri:
    a = cols.strings(p.field)
    if a is None:
        return _unknown(cols)
    if p.field == "region":
        prefixes = region_prefixes(p.value)
    else:
        prefixes = industry_prefixes(p.value)
        # a leading 门类 letter before the digits is redundant (C3562 = 3562), as codes.normalise_industry
        a = pc.replace_substring_regex(a, pattern=r"^\s*[A-Za-z](\d+)\s*$", replacement=r"\1")
    hit = np.zeros(cols.n, bool)
    for length in sorted({len(x) for x in prefixes}):
        same = pa.array([x for x in prefixes if len(x) == length], pa.string())
        hit |= _np_bool(pc.is_in(pc.utf8_slice_codeunits(a, 0, length), value_set=same))
    return _from_bool(cols, hit, _np_bool(a.is_valid()))


def _has(cols: Columns, p: Predicate) -> Tri:
    a = cols.cert(p.field)
    if a is None:
        return _unknown(cols)
    held = _np_bool(a.is_valid())
    return held, ~held


def _since(cols: Columns, p: Predicate) -> Tri:
    a = cols.cert(p.field)
    if a is None:
        return _unknown(cols)
    held = _np_bool(a.is_valid())
    undated = _np_bool(pc.equal(pc.utf8_lower(a), "true"))
    recent = _np_bool(pc.greater_equal(a, p.value))
    dated = held & ~undated
    return dated & recent, ~held | (dated & ~recent)


def _crosses(cols: Columns, p: Predicate) -> Tri:
    now = KERNELS["gte"](cols, p)
    prev_field = f"{p.field}_prev"
    if prev_field in FIELDS:
        before = KERNELS["lt"](cols, Predicate(prev_field, "lt", p.value))
    else:
        before = _unknown(cols)
    return now[0] & before[0], now[1] | before[1]


KERNELS: dict[str, Callable[[Columns, Predicate], Tri]] = {
    "eq": lambda c, p: _equal_any(c, p.field, (p.value,)),
    "ne": lambda c, p: _not(_equal_any(c, p.field, (p.value,))),
    "gt": _numeric(lambda x, v: x > v),
    "gte": _numeric(lambda x, v: x >= v),
    "lt": _numeric(lambda x, v: x < v),
    "lte": _numeric(lambda x, v: x <= v),
    "between": _between,
    "in": lambda c, p: _equal_any(c, p.field, tuple(p.value)),
    "not_in": lambda c, p: _not(_equal_any(c, p.field, tuple(p.value))),
    "within": _within,
    "has": _has,
    "lacks": lambda c, p: _not(_has(c, p)),
    "since": _since,
    "crosses": _crosses,
    "text": lambda c, p: _unknown(c),
}


def evaluate_predicate(cols: Columns, p: Predicate) -> Tri:
    """(true, false) masks of one predicate over the chunk; ``other`` is always unknown."""
    if p.field == "other":
        return _unknown(cols)
    return KERNELS[p.op](cols, p)
