"""Enterprise profiles as columns: the dtypes every table of firms has, and the derived fields.

Why one contract: the registry loader writes it, the generator produces it, the engine and
the batch job consume it. Explicit nullable dtypes keep "missing" (pd.NA) apart from 0,
and money stays integer yuan end to end (int64, never float32).

The frame (one row per firm, columns named as in PROFILE.md):

- text and codes (``uscc name region industry ownership size listed tax_credit business_scope``):
  pyarrow strings;
- ``established``: ISO date string ``YYYY-MM-DD``;
- money and counts: pyarrow int64 (yuan, persons, patents);
- booleans (``above_scale dishonest major_violation``): pyarrow bool;
- qualifications: one column ``certs.<code>`` per known code, holding the grant date as an ISO
  string, ``"true"`` when held with no known date, NA when not held. A code whose column is
  absent is *unknown* for every row. ISO dates compare correctly as strings.

>>> import pandas as pd
>>> df = conform(pd.DataFrame({"uscc": ["x"], "revenue": [120], "revenue_prev": [100], "rd_expense": [None]}))
>>> d = derive(df, as_of="2025-01-01")
>>> float(d["revenue_growth"].iloc[0]), bool(d["rd_ratio"].isna().iloc[0])
(0.2, True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .fields import CERT_CODES, DERIVED_INPUTS, FIELDS, INPUT_FIELDS

__all__ = ["FRAME_DTYPES", "frame_dtype", "conform", "derive", "empty_frame", "CERT_HELD_NO_DATE"]

CERT_HELD_NO_DATE = "true"

_STRING = pd.ArrowDtype(pa.string())
_INT = pd.ArrowDtype(pa.int64())
_BOOL = pd.ArrowDtype(pa.bool_())
_FLOAT = pd.ArrowDtype(pa.float64())

_KIND_DTYPE = {
    "str": _STRING,
    "code_region": _STRING,
    "code_industry": _STRING,
    "enum": _STRING,
    "date": _STRING,
    "money": _INT,
    "int": _INT,
    "bool": _BOOL,
    "ratio": _FLOAT,
    "float": _FLOAT,
}

#: column name → dtype for every input column (derived ones are float64 when computed)
FRAME_DTYPES: dict[str, pd.api.extensions.ExtensionDtype] = {
    **{name: _KIND_DTYPE[FIELDS[name].kind] for name in INPUT_FIELDS},
    **{f"certs.{code}": _STRING for code in CERT_CODES},
}


def frame_dtype(column: str) -> pd.api.extensions.ExtensionDtype:
    """The dtype of a column of the firms frame (derived fields included)."""
    if column in FRAME_DTYPES:
        return FRAME_DTYPES[column]
    f = FIELDS.get(column)
    return _KIND_DTYPE[f.kind] if f else _STRING


def empty_frame(columns: list[str] | None = None) -> pd.DataFrame:
    """A zero-row frame with the contract's dtypes (all input columns unless given)."""
    cols = columns if columns is not None else list(FRAME_DTYPES)
    return pd.DataFrame({c: pd.Series([], dtype=frame_dtype(c)) for c in cols})


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Cast the known columns of ``df`` to the contract's dtypes; unknown columns are left as they are.

    Values must already be clean (the registry loader rejects bad rows before this); this only
    fixes representation, e.g. object columns from JSON or float columns holding whole yuan.
    """
    out = {}
    for c in df.columns:
        s = df[c]
        dt = FRAME_DTYPES.get(c)
        if dt is None or s.dtype == dt:
            out[c] = s
            continue
        if dt == _INT and s.dtype.kind == "f":
            s = s.round()
        if dt == _STRING and s.dtype == object:
            s = s.map(lambda v: v if v is None or isinstance(v, str) or (isinstance(v, float) and np.isnan(v)) else str(v))
        out[c] = s.astype(dt)
    return pd.DataFrame(out, index=df.index)


def _float(s: pd.Series) -> np.ndarray:
    """Column as float64 with NaN for missing (for ratios only; money stays int64 elsewhere)."""
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(na_value=np.nan)


def derive(df: pd.DataFrame, as_of: str | None = None) -> pd.DataFrame:
    """Add the derived fields of PROFILE.md that the frame's columns allow.

    A derived value is missing whenever an input is missing or the divisor is 0.
    ``age_years`` is computed against ``as_of`` (ISO date; today when None).
    Returns a new frame; the input is not modified.
    """
    out = df.copy()
    for name, (num, den) in DERIVED_INPUTS.items():
        if num not in df.columns or den not in df.columns:
            continue
        n, d = _float(df[num]), _float(df[den])
        with np.errstate(divide="ignore", invalid="ignore"):
            # (n - d) / d, not n / d - 1: exact 20 % growth must compare equal to 0.2
            v = (n - d) / d if name.endswith("_growth") else n / d
        v[~np.isfinite(v) | (d == 0)] = np.nan
        out[name] = pd.array(v, dtype=_FLOAT)
        out.loc[np.isnan(v), name] = pd.NA
    if "established" in df.columns:
        ref = pd.Timestamp(as_of) if as_of else pd.Timestamp.today().normalize()
        est = pd.to_datetime(df["established"].astype("object"), errors="coerce", format="%Y-%m-%d")
        years = ((ref - est).dt.days / 365.25).to_numpy(dtype="float64", na_value=np.nan)
        out["age_years"] = pd.array(years, dtype=_FLOAT)
        out.loc[np.isnan(years), "age_years"] = pd.NA
    return out
