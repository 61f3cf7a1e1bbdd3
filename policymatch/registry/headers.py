"""Column headers of registry files → canonical profile fields and the factor to yuan.

Why a table: office exports name columns in Chinese with units (营业收入（万元）, 从业人员（人）);
the accepted spellings live in ``data/headers.csv`` and the units in ``data/units.csv``, so
adding a spelling is a data change. Every field's Chinese label (fields.py) and canonical name is
accepted too, with or without a unit in brackets; headers compare width- and case-insensitively.

>>> m = map_headers(["统一社会信用代码", "营业收入（万元）", "资产总额(亿元)", "备注", "certs.hitech"])
>>> m.rename
{'统一社会信用代码': 'uscc', '营业收入（万元）': 'revenue', '资产总额(亿元)': 'total_assets', 'certs.hitech': 'certs.hitech'}
>>> m.scales["revenue"], m.scales["total_assets"], m.ignored
(10000.0, 100000000.0, ['备注'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import pandas as pd

from ..errors import RegistryError
from ..fields import CERT_LABELS, FIELDS, INPUT_FIELDS
from .validate import _norm

__all__ = ["HeaderMap", "map_headers", "header_aliases", "unit_factors"]

_UNIT = re.compile(r"^(?P<base>.+?)\((?P<unit>[^()]+)\)$")


def _csv(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath("data", name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def unit_factors() -> dict[str, float]:
    """Unit written in a header (元, 万元, 亿元, 人 …) → factor to the field's base unit."""
    return {_norm(r.unit): float(r.factor) for r in _csv("units.csv").itertuples(index=False)}


@lru_cache(maxsize=1)
def header_aliases() -> dict[str, tuple[str, float]]:
    """Normalised header → (canonical field, factor)."""
    table: dict[str, tuple[str, float]] = {}
    for name in INPUT_FIELDS:
        table[_norm(name)] = (name, 1.0)
        table.setdefault(_norm(FIELDS[name].label), (name, 1.0))
    for code, label in CERT_LABELS.items():
        table[_norm(f"certs.{code}")] = (f"certs.{code}", 1.0)
        table.setdefault(_norm(label), (f"certs.{code}", 1.0))
    for r in _csv("headers.csv").itertuples(index=False):
        table[_norm(r.header)] = (r.field, float(r.scale))
    return table


def _lookup(header: str) -> tuple[str, float] | None:
    key = _norm(str(header))
    aliases = header_aliases()
    if key in aliases:
        return aliases[key]
    m = _UNIT.match(key)
    if m and m["base"] in aliases and m["unit"] in unit_factors():
        name, factor = aliases[m["base"]]
        return name, factor * unit_factors()[m["unit"]]
    return None


@dataclass
class HeaderMap:
    """How a file's columns map: original header → field, field → factor, and headers not used."""

    rename: dict[str, str]
    scales: dict[str, float]
    ignored: list[str] = field(default_factory=list)


def map_headers(columns: list[str], file: str | None = None) -> HeaderMap:
    """Map a file's headers; two headers naming the same field or no USCC column is a RegistryError."""
    rename: dict[str, str] = {}
    scales: dict[str, float] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for col in columns:
        hit = _lookup(col)
        if hit is None:
            ignored.append(str(col))
            continue
        name, factor = hit
        if name in seen:
            raise RegistryError(f"两列都表示“{FIELDS[name].label if name in FIELDS else name}”：{seen[name]}、{col}", file=file)
        seen[name] = str(col)
        rename[col] = name
        scales[name] = factor
    if "uscc" not in seen:
        shown = "、".join(str(c) for c in columns[:12])
        raise RegistryError(f"找不到统一社会信用代码列（表头：{shown}）", file=file)
    return HeaderMap(rename, scales, ignored)
