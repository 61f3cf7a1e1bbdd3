"""Cached loaders for the bundled reference tables (regions, industries, size thresholds, …).

Why package data: ``pip install .`` must give a working loader, so the CSVs live in
``policymatch/data/reference/`` (the repository's ``data/reference`` is a symlink to it, one
copy only). Codes are read as text so leading zeros survive (``0111``, ``140105``).

>>> regions().loc["140105", "name"]
'小店区'
>>> industries().loc["3562", "level"], "3562" in industry_classes()
('class', True)
>>> "140171" in region_codes()     # NBS statistical zone 山西转型综合改革示范区
True
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

__all__ = [
    "reference_path",
    "read_table",
    "regions",
    "region_codes",
    "shanxi_regions",
    "industries",
    "industry_classes",
    "size_thresholds",
    "tax_credit_levels",
    "qualifications",
    "shanxi_stats",
    "classes_by_scope",
]

_PACKAGE = "policymatch"
_DIR = ("data", "reference")


def reference_path(name: str):
    """Path (a ``Traversable``) of one bundled reference file, e.g. ``admin_divisions_china.csv``."""
    return resources.files(_PACKAGE).joinpath(*_DIR, name)


@lru_cache(maxsize=None)
def read_table(name: str) -> pd.DataFrame:
    """One bundled CSV as text columns (empty cells → NA); cached, do not mutate the result."""
    with reference_path(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False).replace("", pd.NA)


@lru_cache(maxsize=1)
def regions() -> pd.DataFrame:
    """Every region code of China (GB/T 2260 as NBS 2022) plus Shanxi's NBS statistical zones.

    Index ``code``; columns ``name level parent_code`` (province / prefecture / county).
    """
    china = read_table("admin_divisions_china.csv")[["code", "name", "level", "parent_code"]]
    shanxi = read_table("admin_divisions_shanxi.csv")[["code", "name", "level", "parent_code"]]
    extra = shanxi[~shanxi["code"].isin(china["code"])]
    return pd.concat([china, extra], ignore_index=True).drop_duplicates("code").set_index("code")


@lru_cache(maxsize=1)
def region_codes() -> frozenset[str]:
    """All accepted 6-digit region codes (provinces, prefectures, counties)."""
    return frozenset(regions().index)


@lru_cache(maxsize=1)
def shanxi_regions() -> pd.DataFrame:
    """Shanxi's 133 codes with kind (市辖区/县/县级市/统计用功能区) and ``in_gbt2260``."""
    return read_table("admin_divisions_shanxi.csv").set_index("code")


@lru_cache(maxsize=1)
def industries() -> pd.DataFrame:
    """GB/T 4754-2017 codes (门类 letters, 2/3/4 digits); index ``code``."""
    return read_table("gbt4754_2017_industry.csv").set_index("code")


@lru_cache(maxsize=1)
def industry_classes() -> frozenset[str]:
    """The 1,381 four-digit 小类 codes, the only industry codes a firm carries."""
    ind = industries()
    return frozenset(ind.index[ind["level"] == "class"])


@lru_cache(maxsize=1)
def size_thresholds() -> pd.DataFrame:
    """统计上大中小微型企业划分办法（2017）: one row per (industry_group, metric), bounds as float.

    Columns ``industry_group gbt4754_scope excludes metric unit large_min medium_min small_min``.
    """
    t = read_table("enterprise_size_thresholds_2017.csv").copy()
    for c in ("large_min", "medium_min", "small_min"):
        t[c] = t[c].astype(float)
    return t


@lru_cache(maxsize=1)
def tax_credit_levels() -> pd.DataFrame:
    """纳税信用等级 A/B/M/C/D with criteria; index ``level``."""
    return read_table("tax_credit_levels.csv").set_index("level")


@lru_cache(maxsize=1)
def qualifications() -> pd.DataFrame:
    """Common qualifications (高新技术企业 …) with issuer, validity and Shanxi counts; index ``id``."""
    return read_table("enterprise_qualifications.csv").set_index("id")


@lru_cache(maxsize=1)
def shanxi_stats() -> pd.DataFrame:
    """Published Shanxi enterprise counts (census 2018, 2024 press conferences)."""
    return read_table("shanxi_enterprise_stats.csv")


def classes_by_scope(scopes: dict[str, tuple[str, str | None]]) -> dict[str, str]:
    """Assign each 4-digit industry class to the key whose scope covers it most specifically.

    ``scopes`` maps a key to (``;``-list of 门类 letters / 2-, 3-, 4-digit codes, excluded codes);
    this is how the size and "above scale" tables name their industries.

    >>> m = classes_by_scope({"industry": ("B;C;D", None), "retail": ("52", "5211"), "shop": ("5212", None)})
    >>> m["3562"], m["5221"], m["5212"], "5211" in m
    ('industry', 'retail', 'shop', False)
    """
    scope: dict[str, str] = {}
    excluded: list[str] = []
    for key, (codes, excludes) in scopes.items():
        for code in str(codes).split(";"):
            scope[code.strip()] = key
        if excludes is not None and pd.notna(excludes) and str(excludes).strip():
            excluded += [c.strip() for c in str(excludes).split(";")]
    ind = industries()
    out = {}
    for code, section in ind.loc[ind["level"] == "class", "section"].items():
        if any(code.startswith(x) for x in excluded):
            continue
        for key in (code, code[:3], code[:2], section):
            if key in scope:
                out[code] = scope[key]
                break
    return out
