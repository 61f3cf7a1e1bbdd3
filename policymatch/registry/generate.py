"""A realistic synthetic Shanxi enterprise registry, vectorised with numpy (1 M firms in seconds).

Why synthetic: demos, tests and benchmarks need millions of plausible firms without personal
data. Why "realistic": a uniform registry hides every interesting case. The shapes come from
declared tables in ``data/gen_*.csv`` (city weights from the 2018 census, a GB/T 4754 division
mix with Shanxi's coal/coking weight, size shares, qualification counts published for Shanxi,
ownership shares) and from the reference tables (real county and industry codes, the 2017 size
thresholds, the "above scale" thresholds). Consistency that rules rely on holds by construction:
USCCs are valid and their registrar code (chars 3–8) is the firm's county, city or province;
employees/revenue/assets fall in the band of the firm's size class for its industry; high-tech
firms spend at least the R&D share the 认定办法 requires; qualification grant dates are after
establishment and within their validity. Money is int64 yuan; 5–10 % of every indicator is NA.
Same ``seed`` → same frame, same file bytes.

>>> df = generate_registry(200, seed=7)
>>> len(df), df["uscc"].is_unique, df["region"].str.startswith("14").all()
(200, True, True)
>>> bool((derive_size(df).dropna() == df["size"][derive_size(df).notna()]).all())
True
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..fields import CERT_CODES, FIELDS
from ..profiles import FRAME_DTYPES
from ..reference import classes_by_scope, industries, read_table, regions, shanxi_regions, size_thresholds
from ..size import SIZE_METRIC_FIELDS, TIERS, derive_size, size_group_of
from .uscc import _LOOKUP, check_chars

__all__ = ["generate_registry", "write_registry", "generate_file", "parse_extra_regions", "GENERATOR_AS_OF", "BASE_POPULATION", "INDICATOR_FIELDS"]

#: the generator's "today": fixed so the same seed gives the same file on any day
GENERATOR_AS_OF = np.datetime64("2025-12-31", "D")
#: Shanxi enterprises the published qualification counts refer to (2018 census: 36.61万 企业法人, grown since)
BASE_POPULATION = 400_000
#: fields that receive 5–10 % missing values
INDICATOR_FIELDS = (
    "registered_capital", "employees", "new_employees", "revenue", "revenue_prev", "output_value",
    "output_value_prev", "rd_expense", "rd_expense_prev", "tax_paid", "tax_paid_prev", "export_value",
    "investment", "total_assets", "invention_patents", "tax_credit", "above_scale", "established",
)  # fmt: skip
#: proxy group for industries the 2017 standard does not cover (金融, 教育, 卫生 …): size stays given
_PROXY_GROUP = "其他未列明行业*"
_MISSING_RATE = (0.055, 0.095)
_SIZE_NAMES = ("large", "medium", "small", "micro")
_SIZE_CERT_WEIGHT = {"micro": 0.15, "small": 1.0, "medium": 4.0, "large": 8.0}
_MEAN_AGE_YEARS = {"micro": 6.0, "small": 9.0, "medium": 13.0, "large": 18.0}
_TAX_CREDIT = {"A": 0.28, "B": 0.45, "M": 0.17, "C": 0.07, "D": 0.03}
#: size → (listed code, probability)
_LISTED = {
    "large": {"main_board": 0.08, "star": 0.01, "chinext": 0.01, "neeq": 0.03, "overseas": 0.01},
    "medium": {"neeq": 0.015, "bse": 0.003, "chinext": 0.002},
    "small": {"neeq": 0.002},
    "micro": {},
}
_NAME_CHARS = list("鑫晋华泰恒源盛通达宏昌瑞丰德利安汇金龙兴隆博远诚信永嘉明新天正和方圆海阳光中北润祥福康华宇鼎峰卓越凯腾")
_FORMS = {"有限公司": 0.72, "有限责任公司": 0.2, "股份有限公司": 0.05, "集团有限公司": 0.03}
_SCOPE_EXTRAS = np.array(
    ["", "", "；货物进出口；技术进出口", "；技术开发、技术咨询、技术服务", "；信息咨询服务（不含许可类信息咨询服务）",
     "；会议及展览服务", "；普通货物仓储服务（不含危险化学品等需许可审批的项目）", "；软件开发"],
    dtype=object,
)  # fmt: skip
_SCOPE_TAIL = "。（依法须经批准的项目，经相关部门批准后方可开展经营活动）"


def _data(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath("data", name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


# ---------------------------------------------------------------- tables (cached)


@lru_cache(maxsize=1)
def _shanxi_region_weights() -> tuple[np.ndarray, np.ndarray]:
    """County-level Shanxi codes and their weights (city share × kind weight, normalised per city)."""
    sx = shanxi_regions().reset_index()
    counties = sx[sx["level"] == "county"]
    city_w = {r.prefecture: float(r.weight) for r in _data("gen_cities.csv").itertuples(index=False)}
    kind_w = {r.kind: float(r.weight) for r in _data("gen_county_kinds.csv").itertuples(index=False)}
    w = counties["kind"].map(kind_w).fillna(1.0).to_numpy(dtype=float).copy()
    parent = counties["parent_code"].to_numpy()
    for city in np.unique(parent):
        m = parent == city
        w[m] = w[m] / w[m].sum() * city_w.get(city, 0.0)
    return counties["code"].to_numpy(dtype=object), w / w.sum()


def _region_choices(extra: dict[str, float] | None) -> tuple[np.ndarray, np.ndarray]:
    codes, w = _shanxi_region_weights()
    if not extra:
        return codes, w
    reg = regions()
    total = float(sum(extra.values()))
    if any(s < 0 for s in extra.values()) or total >= 1:
        raise InputError("extra_regions 的份额须非负且合计小于 1", field="extra_regions")
    all_codes, all_w = [codes], [w * (1 - total)]
    for code, share in extra.items():
        if code not in reg.index:
            raise InputError(f"未知行政区划代码 {code}", field="extra_regions")
        if reg.loc[code, "level"] == "county":
            kids = np.array([code], dtype=object)
        else:  # a city or province: spread over its counties
            prefix = code[:4] if reg.loc[code, "level"] == "prefecture" else code[:2]
            kids = np.array([c for c in reg.index[reg["level"] == "county"] if c.startswith(prefix)], dtype=object)
            if not len(kids):
                kids = np.array([code], dtype=object)
        all_codes.append(kids)
        all_w.append(np.full(len(kids), share / len(kids)))
    return np.concatenate(all_codes), np.concatenate(all_w)


@lru_cache(maxsize=1)
def _industry_table() -> pd.DataFrame:
    """Industry classes with their sampling weight, name word, tech affinity and size group."""
    ind = industries()
    classes = ind[ind["level"] == "class"].copy()
    div = _data("gen_divisions.csv").set_index("division")
    classes = classes[classes["division"].isin(div.index)]
    boost = {r.code: float(r.factor) for r in _data("gen_classes.csv").itertuples(index=False)}
    per_div = classes.groupby("division")["name"].transform("size").astype(float)
    w = classes["division"].map(div["weight"].astype(float)) / per_div
    classes["weight"] = w * classes.index.map(lambda c: boost.get(c, 1.0))
    classes["name_word"] = classes["division"].map(div["name_word"])
    classes["tech"] = classes["division"].map(div["tech"].astype(float))
    classes["group"] = [size_group_of(c) or _PROXY_GROUP for c in classes.index]
    div_names = ind["name"]
    classes["scope"] = [
        f"{name}；{div_names[d]}相关技术咨询、技术服务" for name, d in zip(classes["name"], classes["division"])
    ]
    classes["weight"] /= classes["weight"].sum()
    return classes


@lru_cache(maxsize=1)
def _above_scale_minimum() -> dict[str, float]:
    """Industry class → revenue (yuan) from which a firm is 规模以上/限额以上 (0 = all, by 'has')."""
    t = read_table("above_scale_thresholds.csv")
    keys = {str(i): (r.gbt4754_scope, None) for i, r in enumerate(t.itertuples(index=False))}
    by_class = classes_by_scope(keys)
    minimum = {
        str(i): (float(r.threshold) * 10_000 if r.op == ">=" else 0.0) for i, r in enumerate(t.itertuples(index=False))
    }
    return {c: minimum[k] for c, k in by_class.items()}


# ---------------------------------------------------------------- helpers


def _pick(rng: np.random.Generator, table: dict, n: int) -> np.ndarray:
    """n draws of the table's keys with the table's values as (unnormalised) probabilities."""
    keys = np.array(list(table), dtype=object)
    p = np.array(list(table.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _take(values, idx: np.ndarray) -> pa.Array:
    """Strings by index, built in Arrow (no Python string objects per row)."""
    return pa.array(list(values), type=pa.string()).take(pa.array(idx))


def _band_values(rng: np.random.Generator, tier: np.ndarray, bounds: dict[str, float], floor: float) -> np.ndarray:
    """One metric for firms of one group: a value inside the band of each firm's tier.

    micro: below small_min, log-normally spread downwards; small/medium: log-uniform in the
    band; large: Pareto tail above large_min (heavy-tailed revenue overall).
    """
    n = len(tier)
    out = np.empty(n)
    lo_small, lo_medium, lo_large = bounds["small_min"], bounds["medium_min"], bounds["large_min"]
    m = tier == 3  # micro
    out[m] = np.maximum(floor, lo_small * np.exp(-np.abs(rng.normal(0.0, 1.3, m.sum())) - 1e-6))
    for t, lo, hi in ((2, lo_small, lo_medium), (1, lo_medium, lo_large)):
        m = tier == t
        out[m] = np.exp(rng.uniform(np.log(lo), np.log(hi), m.sum()))
    m = tier == 0
    out[m] = lo_large * np.minimum(1 + rng.pareto(1.2, m.sum()), 200.0)
    return out


def _metrics(rng: np.random.Generator, group: np.ndarray, tier: np.ndarray) -> dict[str, np.ndarray]:
    """employees, revenue, total_assets (yuan) consistent with each firm's size tier and group."""
    n = len(group)
    vals = {f: np.full(n, np.nan) for f, _ in SIZE_METRIC_FIELDS.values()}
    th = size_thresholds()
    for g, rows in th.groupby("industry_group", sort=False):
        idx = np.flatnonzero(group == g)
        if not len(idx):
            continue
        for r in rows.itertuples(index=False):
            field, factor = SIZE_METRIC_FIELDS[r.metric]
            bounds = {col: getattr(r, col) * factor for _, col in TIERS}
            floor = 1.0 if field == "employees" else bounds["small_min"] / 200
            vals[field][idx] = _band_values(rng, tier[idx], bounds, floor)
    emp, rev, assets = vals["employees"], vals["revenue"], vals["total_assets"]
    productivity = np.exp(rng.normal(np.log(400_000), 0.7, n))  # revenue per employee, yuan
    m = np.isnan(rev)
    rev[m] = np.where(np.isnan(assets[m]), emp[m] * productivity[m], assets[m] * np.exp(rng.normal(-0.2, 0.6, m.sum())))
    m = np.isnan(emp)
    emp[m] = np.maximum(1, rev[m] / productivity[m])
    m = np.isnan(assets)
    assets[m] = rev[m] * np.exp(rng.normal(0.0, 0.6, m.sum()))
    return {"employees": np.floor(emp), "revenue": np.floor(rev), "total_assets": np.floor(assets)}


def _uscc(rng: np.random.Generator, codes: np.ndarray, ridx: np.ndarray, established: np.ndarray) -> pa.Array:
    """Valid, unique USCCs: 91 + registrar region (county / its city / province) + body + check."""
    n = len(ridx)
    out = np.zeros((n, 18), dtype=np.uint8)
    out[:, 0], out[:, 1] = ord("9"), ord("1")
    level = rng.choice(3, size=n, p=[0.88, 0.065, 0.055])
    table = np.array([c.encode("ascii") for c in codes], dtype="S6").view(np.uint8).reshape(len(codes), 6)
    reg = table[ridx]
    reg[level >= 1, 4:] = ord("0")  # city registrar SSCC00
    reg[level == 2, 2:] = ord("0")  # province registrar SS0000
    out[:, 2:8] = reg
    # a bijection of 0..n-1 keeps bodies unique: u = (k·a + b) mod M, a coprime to M
    k = rng.permutation(n).astype(np.int64)
    new = (established >= np.datetime64("2015-10-01")) | (rng.random(n) < 0.1)
    charset = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRTUWXY", dtype=np.uint8)
    u = (k * 7_919 + int(rng.integers(31**6))) % 31**6
    body = np.zeros((n, 8), dtype=np.uint8)
    body[:, 0], body[:, 1] = ord("M"), ord("A")
    for j in range(7, 1, -1):
        body[:, j] = charset[u % 31]
        u //= 31
    legacy = (k * 7_919 + int(rng.integers(10**8))) % 10**8
    old = np.zeros((n, 8), dtype=np.uint8)
    for j in range(7, -1, -1):
        old[:, j] = ord("0") + legacy % 10
        legacy //= 10
    body = np.where(new[:, None], body, old)
    # GB 11714 check of the 8-char body: digits 0-9, letters A-Z = 10-35
    v = np.where(body >= ord("A"), body - ord("A") + 10, body - ord("0")).astype(np.int64)
    c9 = 11 - (v * np.array([3, 7, 9, 10, 5, 8, 4, 2])).sum(axis=1) % 11
    out[:, 8:16] = body
    out[:, 16] = np.where(c9 == 10, ord("X"), np.where(c9 == 11, ord("0"), ord("0") + c9 % 10))
    out[:, 17] = check_chars(_LOOKUP[out[:, :17]]).view(np.uint8)
    return pa.array(out.view("S18").ravel(), type=pa.binary(18)).cast(pa.string())


def _iso(days: np.ndarray) -> pa.Array:
    """datetime64[D] → ISO strings (pyarrow's cast is ~10× faster than numpy's)."""
    return pa.array(days.astype("datetime64[D]")).cast(pa.string())


def _arrow(values: np.ndarray | pa.Array, missing: np.ndarray | None, dtype: pd.ArrowDtype) -> pd.arrays.ArrowExtensionArray:
    if isinstance(values, pa.Array):
        arr = values if missing is None else pc.if_else(pa.array(missing), pa.nulls(len(values), values.type), values)
    else:
        arr = pa.array(values, type=dtype.pyarrow_dtype, mask=missing, from_pandas=True)
    return pd.arrays.ArrowExtensionArray(arr)


def _names(rng: np.random.Generator, codes: np.ndarray, ridx: np.ndarray, ci: np.ndarray, words: np.ndarray,
           large: np.ndarray) -> pa.Array:
    """地名 + 两字字号 + 行业词 + 组织形式, e.g. 太原鑫晋信息技术有限公司."""
    reg = regions()
    short, province = [], []
    for code in codes:
        name = reg["name"].get(code[:4] + "00", "")
        if not name or name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            name = reg["name"].get(code[:2] + "0000", "")
        short.append(name.removesuffix("市").removesuffix("省").removesuffix("地区").removesuffix("盟")[:4])
        province.append("山西" if code.startswith("14") else short[-1])
    n = len(ridx)
    pidx = ridx + len(codes) * (rng.random(n) < 0.3)
    forms = list(_FORMS)
    fidx = rng.choice(len(forms), size=n, p=np.array(list(_FORMS.values())) / sum(_FORMS.values()))
    fidx = np.where(large & (rng.random(n) < 0.4), forms.index("集团有限公司"), fidx)
    parts = [
        _take(short + province, pidx),
        _take(_NAME_CHARS, rng.integers(len(_NAME_CHARS), size=n)),
        _take(_NAME_CHARS, rng.integers(len(_NAME_CHARS), size=n)),
        _take(words, ci),
        _take(forms, fidx),
    ]
    return pc.binary_join_element_wise(*parts, "")


# ---------------------------------------------------------------- main


def generate_registry(n: int, seed: int, extra_regions: dict[str, float] | None = None) -> pd.DataFrame:
    """``n`` synthetic firms in the profiles contract (all input fields, every ``certs.<code>``).

    ``extra_regions`` maps region codes anywhere in China (county, city or province) to the share
    of firms placed there; the rest are in Shanxi, weighted by city size.
    """
    if not isinstance(n, int | np.integer) or n < 0:
        raise InputError(f"企业数量须为非负整数（实为 {n}）", field="n")
    rng = np.random.default_rng(seed)
    codes, w = _region_choices(extra_regions)
    ridx = rng.choice(len(codes), size=n, p=w)
    ind = _industry_table()
    ci = rng.choice(len(ind), size=n, p=ind["weight"].to_numpy())
    group = ind["group"].to_numpy(dtype=object)[ci]
    tech = ind["tech"].to_numpy(dtype=float)[ci]
    sizes = _data("gen_sizes.csv")
    size = _pick(rng, dict(zip(sizes["size"], sizes["share"].astype(float))), n)
    tier = pd.Series(size).map({s: i for i, s in enumerate(_SIZE_NAMES)}).to_numpy(dtype=np.int8)
    m = _metrics(rng, group, tier)
    employees, revenue, assets = m["employees"], m["revenue"], m["total_assets"]

    mean_age = pd.Series(size).map(_MEAN_AGE_YEARS).to_numpy(dtype=float)
    age_days = np.minimum(rng.exponential(mean_age * 365.25), 45 * 365.25).astype(np.int64) + 30
    established = GENERATOR_AS_OF - age_days

    growth = np.clip(rng.normal(0.05, 0.25, n), -0.8, 3.0)
    revenue_prev = np.floor(revenue / (1 + growth))
    industrial = np.isin(ind["section"].to_numpy(dtype=object)[ci], ["B", "C", "D"])
    output_value = np.floor(revenue * rng.uniform(0.9, 1.25, n))
    output_prev = np.floor(output_value / (1 + np.clip(growth + rng.normal(0, 0.05, n), -0.8, 3.0)))
    tax_paid = np.floor(revenue * np.exp(rng.normal(np.log(0.03), 0.5, n)))
    tax_prev = np.floor(tax_paid / (1 + np.clip(growth + rng.normal(0, 0.1, n), -0.8, 3.0)))
    exporter = rng.random(n) < 0.06
    export_value = np.where(exporter, np.floor(revenue * rng.uniform(0.05, 0.6, n)), 0)
    invests = rng.random(n) < 0.3
    investment = np.where(invests, np.floor(revenue * np.exp(rng.normal(np.log(0.1), 1.0, n))), 0)
    capital = np.maximum(1, np.round(np.exp(rng.normal(np.log(np.maximum(revenue, 1e5) * 0.3), 1.2)) / 10_000)) * 10_000
    new_employees = rng.binomial(employees.astype(np.int64), 0.08)

    # qualifications: weighted by the industry's tech affinity and by size, at Shanxi's published rates
    certs_tab = _data("gen_certs.csv").set_index("code")
    size_w = pd.Series(size).map(_SIZE_CERT_WEIGHT).to_numpy(dtype=float)
    held: dict[str, np.ndarray] = {}
    cert_dates: dict[str, np.ndarray] = {}
    for code in CERT_CODES:
        r = certs_tab.loc[code]
        weight = tech * size_w * (np.where(size == "large", 0.0, 1.0) if r["sme_only"] == "true" else 1.0)
        expected = float(r["shanxi_count"]) * n / BASE_POPULATION
        if r["requires"]:
            parent = held[r["requires"]]
            weight = weight * parent
            expected = float(r["shanxi_count"]) / float(certs_tab.loc[r["requires"], "shanxi_count"]) * parent.sum()
        total = weight.sum()
        p = np.minimum(1.0, weight * (expected / total)) if total > 0 else np.zeros(n)
        held[code] = rng.random(n) < p
        years = int(r["valid_years"])
        start = np.maximum(established, GENERATOR_AS_OF - years * 365) if years else established
        span = (GENERATOR_AS_OF - start).astype(np.int64)
        cert_dates[code] = start + (rng.random(n) * span).astype(np.int64)

    # R&D: high-tech firms meet the 认定办法 ratio (5 % / 4 % / 3 % by revenue band), others mostly small
    required = np.where(revenue <= 5e7, 0.05, np.where(revenue <= 2e8, 0.04, 0.03))
    rd_other = np.where(rng.random(n) < np.minimum(0.9, 0.15 + 0.2 * tech), np.exp(rng.normal(np.log(0.015), 0.8, n)), 0.0)
    rd_ratio = np.where(held["hitech"], required + np.abs(rng.normal(0, 0.02, n)), rd_other)
    rd_expense = np.floor(revenue * np.minimum(rd_ratio, 0.6))
    rd_prev = np.floor(rd_expense / (1 + np.clip(growth + rng.normal(0, 0.1, n), -0.8, 3.0)))
    patents = np.where(held["hitech"], rng.poisson(4, n) + 1, rng.poisson(0.15 * tech, n))

    above_min = ind.index.map(lambda c: _above_scale_minimum().get(c, np.nan)).to_numpy(dtype=float)[ci]
    construction = ind["section"].to_numpy(dtype=object)[ci] == "E"
    above_scale = np.where(construction, size != "micro", ~np.isnan(above_min) & (revenue >= np.nan_to_num(above_min, nan=np.inf)))
    dishonest = rng.random(n) < 0.008
    violation = rng.random(n) < 0.004
    tax_credit = _pick(rng, _TAX_CREDIT, n)
    tax_credit = np.where(dishonest & (rng.random(n) < 0.7), "D", tax_credit)
    listed = np.full(n, "none", dtype=object)
    for s, table in _LISTED.items():
        idx = np.flatnonzero(size == s)
        if table and len(idx):
            probs = {**table, "none": 1 - sum(table.values())}
            listed[idx] = _pick(rng, probs, len(idx))
    owner_tab = _data("gen_ownership.csv")
    ownership = _pick(rng, dict(zip(owner_tab["ownership"], owner_tab["share"].astype(float))), n)
    large = np.flatnonzero(size == "large")
    ownership[large] = _pick(rng, dict(zip(owner_tab["ownership"], owner_tab["large_share"].astype(float))), len(large))

    name = _names(rng, codes, ridx, ci, ind["name_word"].to_numpy(dtype=object), size == "large")
    scope = pc.binary_join_element_wise(
        _take(ind["scope"], ci), _take(_SCOPE_EXTRAS, rng.integers(len(_SCOPE_EXTRAS), size=n)), _SCOPE_TAIL, ""
    )
    uscc = _uscc(rng, codes, ridx, established)

    values: dict[str, np.ndarray] = {
        "uscc": uscc, "name": name, "region": _take(codes, ridx), "industry": _take(ind.index, ci), "established": _iso(established),
        "registered_capital": capital, "ownership": ownership, "size": size, "above_scale": above_scale,
        "listed": listed, "employees": employees, "new_employees": new_employees, "revenue": revenue,
        "revenue_prev": revenue_prev, "output_value": output_value, "output_value_prev": output_prev,
        "rd_expense": rd_expense, "rd_expense_prev": rd_prev, "tax_paid": tax_paid, "tax_paid_prev": tax_prev,
        "export_value": export_value, "investment": investment, "total_assets": assets,
        "invention_patents": patents, "tax_credit": tax_credit, "dishonest": dishonest,
        "major_violation": violation, "business_scope": scope,
    }  # fmt: skip
    structural = {"output_value": ~industrial, "output_value_prev": ~industrial}
    cols: dict[str, pd.arrays.ArrowExtensionArray] = {}
    for field in FIELDS:
        if field not in values:
            continue
        missing = structural.get(field, np.zeros(n, dtype=bool))
        if field in INDICATOR_FIELDS:
            missing = missing | (rng.random(n) < rng.uniform(*_MISSING_RATE))
        v = values[field]
        if FRAME_DTYPES[field].pyarrow_dtype == pa.int64():
            v = np.asarray(v, dtype=np.float64).astype(np.int64)
        cols[field] = _arrow(v, missing if missing.any() else None, FRAME_DTYPES[field])
    for code in CERT_CODES:
        no_date = pa.array(rng.random(n) < 0.04)
        v = pc.if_else(no_date, pa.scalar("true"), _iso(cert_dates[code]))
        cols[f"certs.{code}"] = _arrow(v, ~held[code], FRAME_DTYPES[f"certs.{code}"])
    return pd.DataFrame(cols)


def write_registry(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a firms frame as .parquet, .csv (UTF-8) or .db (SQLite ``firms`` table); returns the path."""
    from .store import write_firms_db

    p = Path(path)
    writers = {
        ".parquet": lambda: df.to_parquet(p, index=False, row_group_size=100_000, compression="zstd"),
        ".csv": lambda: df.to_csv(p, index=False, encoding="utf-8"),
        ".db": lambda: write_firms_db(df, p),
        ".sqlite": lambda: write_firms_db(df, p),
    }
    writer = writers.get(p.suffix.lower())
    if writer is None:
        raise InputError(f"不支持的输出类型 {p.suffix or '（无后缀）'}（支持 .parquet、.csv、.db）", file=str(p))
    if p.parent and not p.parent.exists():
        raise InputError("输出目录不存在", file=str(p.parent))
    writer()
    return p


def generate_file(n: int, seed: int, out: str | Path, extra_regions: dict[str, float] | None = None) -> Path:
    """Generate ``n`` firms and write them to ``out`` (.parquet/.csv/.db) — the CLI's one call."""
    return write_registry(generate_registry(n, seed, extra_regions), out)


def parse_extra_regions(items: list[str] | None) -> dict[str, float] | None:
    """``["110108=0.05", "310115=0.02"]`` → ``{"110108": 0.05, "310115": 0.02}`` (CLI syntax).

    >>> parse_extra_regions(["110108=0.05"])
    {'110108': 0.05}
    """
    if not items:
        return None
    out: dict[str, float] = {}
    for item in items:
        for part in str(item).replace("，", ",").split(","):
            code, sep, share = part.strip().partition("=")
            try:
                out[code.strip()] = float(share)
            except ValueError:
                raise InputError(f"应写成 代码=份额，如 110108=0.05（实为 {part.strip()}）", field="--extra-regions") from None
            if not sep:
                raise InputError(f"应写成 代码=份额，如 110108=0.05（实为 {part.strip()}）", field="--extra-regions")
    return out
