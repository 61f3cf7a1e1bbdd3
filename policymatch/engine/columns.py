"""A chunk of firms as the numpy / Arrow arrays the vectorised kernels read, built once per field.

Why a cache: many predicates read the same field (``revenue`` in a dozen tiers); the column is
converted once per chunk. Conversions follow PROFILE.md: missing stays missing (NaN or null),
booleans accept every spelling of ``values.BOOL_SPELLINGS``, ``tax_credit`` becomes its rank,
derived fields are computed from their inputs (missing when an input is missing or the divisor is 0).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..fields import DERIVED_INPUTS, TAX_CREDIT_ORDER
from .values import BOOL_SPELLINGS

__all__ = ["Columns"]

_TAX_LETTERS = pa.array(sorted(TAX_CREDIT_ORDER, key=TAX_CREDIT_ORDER.get))  # index = rank
_TRUE = pa.array([k for k, v in BOOL_SPELLINGS.items() if v])
_FALSE = pa.array([k for k, v in BOOL_SPELLINGS.items() if not v])


def _arrow(s: pd.Series) -> pa.Array:
    a = pa.array(s, from_pandas=True)
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _np_bool(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(a.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


class Columns:
    """Lazily converted columns of one frame of firms (as of a date, for ``age_years``)."""

    def __init__(self, df: pd.DataFrame, as_of: str) -> None:
        self.df = df
        self.as_of = as_of
        self.n = len(df)
        self._cache: dict[tuple[str, str], object] = {}

    def has(self, field: str) -> bool:
        return field in self.df.columns

    def _memo(self, kind: str, field: str, build):  # noqa: ANN001, ANN202
        key = (kind, field)
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    # ---- numbers ------------------------------------------------------------------------

    def number(self, field: str) -> np.ndarray:
        """float64 values with NaN for missing (``tax_credit`` as its rank D=0 … A=4)."""
        return self._memo("num", field, lambda: self._number(field))

    def _number(self, field: str) -> np.ndarray:
        if field in DERIVED_INPUTS and all(self.has(f) for f in DERIVED_INPUTS[field]):
            num, den = (self.number(f) for f in DERIVED_INPUTS[field])
            with np.errstate(divide="ignore", invalid="ignore"):
                v = (num - den) / den if field.endswith("_growth") else num / den
            v[~np.isfinite(v) | (den == 0)] = np.nan
            return v
        if field == "age_years" and self.has("established"):
            est = pd.to_datetime(self.df["established"].astype("object"), errors="coerce", format="%Y-%m-%d")
            days = (pd.Timestamp(dt.date.fromisoformat(self.as_of)) - est).dt.days
            return days.to_numpy(dtype="float64", na_value=np.nan) / 365.25
        if not self.has(field):
            return np.full(self.n, np.nan)
        s = self.df[field]
        if field == "tax_credit":
            a = pc.utf8_upper(pc.utf8_trim_whitespace(_arrow(s).cast(pa.string())))
            return pc.index_in(a, value_set=_TAX_LETTERS).to_numpy(zero_copy_only=False).astype("float64")
        if s.dtype.kind in "biuf":
            return s.to_numpy(dtype="float64", na_value=np.nan)
        if s.dtype == "bool[pyarrow]":
            return np.full(self.n, np.nan)  # booleans are not numbers
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)

    def integers(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """int64 values (0 where missing) and the known mask: exact money for benefit amounts."""

        def build() -> tuple[np.ndarray, np.ndarray]:
            if not self.has(field):
                return np.zeros(self.n, np.int64), np.zeros(self.n, bool)
            s = pd.to_numeric(self.df[field], errors="coerce")
            known = ~s.isna().to_numpy()
            if s.dtype.kind == "f" or str(s.dtype).startswith("double"):
                vals = s.round().to_numpy(dtype="float64", na_value=0).astype(np.int64)
            else:
                vals = s.to_numpy(dtype="int64", na_value=0)
            return vals, known

        return self._memo("int", field, build)  # type: ignore[return-value]

    # ---- text, flags, qualifications ------------------------------------------------------

    def strings(self, field: str) -> pa.Array | None:
        """Arrow string array (None when the column is absent)."""

        def build() -> pa.Array | None:
            if not self.has(field):
                return None
            a = _arrow(self.df[field])
            return a if _is_text(a.type) else a.cast(pa.string())

        return self._memo("str", field, build)  # type: ignore[return-value]

    def flags(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """(true mask, false mask) of a boolean field in any accepted spelling; neither = unknown."""

        def build() -> tuple[np.ndarray, np.ndarray]:
            if not self.has(field):
                z = np.zeros(self.n, bool)
                return z, z
            a = _arrow(self.df[field])
            if pa.types.is_boolean(a.type):
                return _np_bool(a), _np_bool(pc.invert(a))
            if pa.types.is_integer(a.type) or pa.types.is_floating(a.type):
                return _np_bool(pc.equal(a, 1)), _np_bool(pc.equal(a, 0))
            low = pc.utf8_lower(pc.utf8_trim_whitespace(a.cast(pa.string())))
            return _np_bool(pc.is_in(low, value_set=_TRUE)), _np_bool(pc.is_in(low, value_set=_FALSE))

        return self._memo("flag", field, build)  # type: ignore[return-value]

    def cert(self, field: str) -> pa.Array | None:
        """A ``certs.X`` column: null = not held, "true" = held with no date, else the ISO date."""

        def build() -> pa.Array | None:
            if not self.has(field):
                return None
            a = _arrow(self.df[field])
            if pa.types.is_boolean(a.type):
                return pc.if_else(a, pa.scalar("true"), pa.scalar(None, pa.string()))
            return a if _is_text(a.type) else a.cast(pa.string())

        return self._memo("cert", field, build)  # type: ignore[return-value]

    def subset(self, rows: np.ndarray) -> Columns:
        """The same columns restricted to ``rows`` (positions), converted from this chunk's cache."""
        return _Subset(self, rows)


class _Subset(Columns):
    """Rows of a parent chunk (e.g. the firms inside a document's region): reads go through the parent."""

    def __init__(self, parent: Columns, rows: np.ndarray) -> None:
        self.parent, self.rows = parent, rows
        self.df = parent.df
        self.as_of = parent.as_of
        self.n = len(rows)
        self._cache = {}
        self._take = pa.array(rows)

    def has(self, field: str) -> bool:
        return self.parent.has(field)

    def number(self, field: str) -> np.ndarray:
        return self._memo("num", field, lambda: self.parent.number(field)[self.rows])

    def integers(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        def build() -> tuple[np.ndarray, np.ndarray]:
            v, k = self.parent.integers(field)
            return v[self.rows], k[self.rows]

        return self._memo("int", field, build)  # type: ignore[return-value]

    def strings(self, field: str) -> pa.Array | None:
        def build() -> pa.Array | None:
            a = self.parent.strings(field)
            return None if a is None else a.take(self._take)

        return self._memo("str", field, build)  # type: ignore[return-value]

    def flags(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        def build() -> tuple[np.ndarray, np.ndarray]:
            t, f = self.parent.flags(field)
            return t[self.rows], f[self.rows]

        return self._memo("flag", field, build)  # type: ignore[return-value]

    def cert(self, field: str) -> pa.Array | None:
        def build() -> pa.Array | None:
            a = self.parent.cert(field)
            return None if a is None else a.take(self._take)

        return self._memo("cert", field, build)  # type: ignore[return-value]
