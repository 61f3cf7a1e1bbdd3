"""Reading one firm's raw values the way every evaluation path must: missing, booleans, ranks.

Why shared: "missing is never 0 or false" and "true / 1 / 是 all mean true" are declarations
of PROFILE.md, not engine logic; the reference, the one-firm path and the vectorised engine
read them from here so that they cannot drift apart.

>>> to_bool("是"), to_bool("0"), to_bool("maybe"), to_bool(None)
(True, False, None, None)
>>> is_missing(float("nan")), is_missing(0)
(True, False)
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..fields import CERT_CODES, FIELDS, TAX_CREDIT_ORDER

__all__ = [
    "BOOL_SPELLINGS",
    "NUMERIC_KINDS",
    "is_missing",
    "to_bool",
    "to_number",
    "tax_rank",
    "flat_firm",
    "field_kind",
]

#: PROFILE.md "In files": booleans are true/false, also 1/0, 是/否 (and the obvious English spellings)
BOOL_SPELLINGS: dict[str, bool] = {
    "true": True, "1": True, "是": True, "yes": True, "y": True, "t": True,
    "false": False, "0": False, "否": False, "no": False, "n": False, "f": False,
}  # fmt: skip

#: field kinds compared as numbers
NUMERIC_KINDS = frozenset({"money", "int", "ratio", "float"})


def field_kind(field: str) -> str:
    """The kind of a profile field (``cert`` for ``certs.X``, ``other`` for unknown names)."""
    if field.startswith("certs."):
        return "cert"
    f = FIELDS.get(field)
    return f.kind if f else "other"


def is_missing(v: Any) -> bool:
    """None, pd.NA, NaN and NaT are missing; 0, False and "" are values (PROFILE.md)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def to_bool(v: Any) -> bool | None:
    """A boolean from any accepted spelling; None when missing or not a boolean."""
    if is_missing(v):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        return BOOL_SPELLINGS.get(v.strip().lower())
    try:  # numpy bool
        return bool(v) if type(v).__name__ == "bool_" else None
    except (TypeError, ValueError):  # pragma: no cover
        return None


def to_number(v: Any) -> float | int | None:
    """An int or float from a value; None when missing or not numeric (bools are not numbers)."""
    if is_missing(v) or isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else (int(f) if f.is_integer() and not isinstance(v, float) else f)


def tax_rank(v: Any) -> int | None:
    """纳税信用等级 as a rank, A > B > M > C > D; None when missing or not a grade."""
    if is_missing(v):
        return None
    return TAX_CREDIT_ORDER.get(str(v).strip().upper())


def flat_firm(firm: dict[str, Any]) -> dict[str, Any]:
    """One firm as a flat row: PROFILE.md JSON (``certs`` object) or a frame row (``certs.X`` keys).

    With a ``certs`` object, every known code is present (None = not held); without one,
    only the ``certs.X`` keys given are known — an absent key is unknown, as an absent column.

    >>> sorted(k for k, v in flat_firm({"certs": {"hitech": "2023-01-01"}}).items() if v)
    ['certs.hitech']
    >>> "certs.hitech" in flat_firm({"revenue": 1})
    False
    """
    certs = firm.get("certs")
    out = {k: v for k, v in firm.items() if k != "certs"}
    if isinstance(certs, dict):
        for code in CERT_CODES:
            out[f"certs.{code}"] = None
        for code, v in certs.items():
            out[f"certs.{code}"] = None if v is False or is_missing(v) else ("true" if v is True else str(v))
    return out
