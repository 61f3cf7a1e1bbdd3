"""Enterprise size class (大/中/小/微) by the 2017 statistical standard, vectorised.

Why here (not in the registry): the one-firm model, the registry loader and the generator all
need it, and the thresholds are reference data, not code. Rule (附表注): 大型、中型、小型 must
meet every listed lower bound of the firm's industry group, otherwise the firm drops a tier;
anything that does not reach 小型 on every metric is 微型. A missing metric gives NA unless the
class is the same whatever that metric is. Industries the table does not cover (金融, 铁路,
教育, 卫生, 公共管理, 7040) get NA.

>>> import pandas as pd
>>> df = pd.DataFrame({"industry": ["6513", "3562", "6513"], "employees": [103, 19, None],
...                    "revenue": [157_352_800, 500_000_000, 1_000]})
>>> derive_size(df).tolist()
['medium', 'micro', 'micro']
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa

from .reference import classes_by_scope, size_thresholds

__all__ = ["derive_size", "size_group_of", "SIZE_METRIC_FIELDS", "TIERS"]

#: threshold-table metric → (profile field, factor from the table's unit to the field's unit)
SIZE_METRIC_FIELDS: dict[str, tuple[str, float]] = {
    "从业人员": ("employees", 1.0),
    "营业收入": ("revenue", 10_000.0),
    "资产总额": ("total_assets", 10_000.0),
}
#: tiers from the top, with the threshold column each must reach
TIERS: tuple[tuple[str, str], ...] = (("large", "large_min"), ("medium", "medium_min"), ("small", "small_min"))


@lru_cache(maxsize=1)
def _class_to_group() -> dict[str, str]:
    """Each 4-digit industry class → its size-table group (most specific scope code wins)."""
    th = size_thresholds().drop_duplicates("industry_group")
    return classes_by_scope({r.industry_group: (r.gbt4754_scope, r.excludes) for r in th.itertuples(index=False)})


def size_group_of(industry: str) -> str | None:
    """The size-table group of one industry class, or None when the standard does not cover it.

    >>> size_group_of("3562"), size_group_of("6620")
    ('工业*', None)
    """
    return _class_to_group().get(industry)


def _tier(values: dict[str, np.ndarray], rows: pd.DataFrame) -> np.ndarray:
    """Tier index (0 large … 3 micro) for complete values of one group."""
    n = len(next(iter(values.values())))
    out = np.full(n, 3, dtype=np.int8)
    for i, (_, col) in reversed(list(enumerate(TIERS))):
        ok = np.ones(n, dtype=bool)
        for _, r in rows.iterrows():
            field, factor = SIZE_METRIC_FIELDS[r["metric"]]
            ok &= values[field] >= r[col] * factor
        out[ok] = i
    return out


def derive_size(df: pd.DataFrame) -> pd.Series:
    """Size class per row from ``industry``, ``employees``, ``revenue``, ``total_assets`` (yuan).

    Returns a pyarrow string Series (``large``/``medium``/``small``/``micro``, NA when unknown)
    aligned with ``df``. Absent metric columns count as missing.
    """
    names = np.array([t for t, _ in TIERS] + ["micro"], dtype=object)
    result = np.full(len(df), None, dtype=object)
    if "industry" in df.columns and len(df):
        groups = df["industry"].astype("object").map(_class_to_group()).to_numpy()
        metric = {}
        for field, _ in SIZE_METRIC_FIELDS.values():
            col = df[field] if field in df.columns else pd.Series(np.nan, index=df.index)
            metric[field] = pd.to_numeric(col, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
        th = size_thresholds()
        for group, rows in th.groupby("industry_group", sort=False):
            idx = np.flatnonzero(groups == group)
            if not len(idx):
                continue
            sub = {f: v[idx] for f, v in metric.items()}
            hi = _tier({f: np.where(np.isnan(v), np.inf, v) for f, v in sub.items()}, rows)
            lo = _tier({f: np.where(np.isnan(v), -np.inf, v) for f, v in sub.items()}, rows)
            known = hi == lo
            result[idx[known]] = names[hi[known]]
    return pd.Series(result, index=df.index, dtype=pd.ArrowDtype(pa.string()), name="size")
