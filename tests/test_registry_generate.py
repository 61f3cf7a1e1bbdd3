"""Synthetic registry invariants: valid consistent codes, size by the standard, realistic rates, determinism."""

from __future__ import annotations

import pandas as pd
import pytest
from stdnum.cn import uscc as stdnum_uscc

from policymatch.errors import InputError
from policymatch.fields import CERT_CODES, INPUT_FIELDS
from policymatch.profiles import FRAME_DTYPES
from policymatch.reference import industry_classes, region_codes, shanxi_regions
from policymatch.registry import generate_registry, write_registry
from policymatch.registry.generate import BASE_POPULATION, GENERATOR_AS_OF, INDICATOR_FIELDS
from policymatch.size import derive_size, size_group_of

N = 20_000


@pytest.fixture(scope="module")
def reg() -> pd.DataFrame:
    return generate_registry(N, seed=11)


def test_contract_columns_and_dtypes(reg):
    assert list(reg.columns) == INPUT_FIELDS + [f"certs.{c}" for c in CERT_CODES]
    for c in reg.columns:
        assert reg[c].dtype == FRAME_DTYPES[c], c


def test_every_uscc_passes_python_stdnum_and_is_unique(reg):
    codes = reg["uscc"].tolist()
    assert all(stdnum_uscc.is_valid(c) for c in codes)
    assert len(set(codes)) == N


def test_registrar_code_is_the_firms_county_city_or_province(reg):
    reg6 = reg["uscc"].str.slice(2, 8)
    r = reg["region"]
    same = (reg6 == r) | (reg6 == r.str.slice(0, 4) + "00") | (reg6 == r.str.slice(0, 2) + "0000")
    assert same.all()
    assert (reg6 == r).mean() > 0.8  # most firms register with their county


def test_codes_are_real(reg):
    assert reg["region"].isin(region_codes()).all()
    assert reg["industry"].isin(industry_classes()).all()
    assert reg["region"].str.startswith("14").all()


def test_size_agrees_with_the_2017_standard(reg):
    derived = derive_size(reg)
    known = derived.notna()
    assert known.mean() > 0.85
    assert (derived[known] == reg.loc[known, "size"]).all()
    # where the standard cannot decide with every metric present, the industry is not covered by it
    full = reg[["employees", "revenue", "total_assets"]].notna().all(axis=1)
    undecided = reg.loc[~known & full, "industry"]
    assert all(size_group_of(code) is None for code in undecided)


def test_sizes_and_metrics_are_realistic(reg):
    shares = reg["size"].value_counts(normalize=True)
    assert shares["micro"] > 0.7 and shares["large"] < 0.02
    rev = reg["revenue"].dropna().astype("float64")
    assert rev.mean() > 5 * rev.median()  # heavy tail
    top = rev.sort_values(ascending=False)
    assert top.iloc[: len(top) // 100].sum() > 0.4 * top.sum()
    med = reg.groupby("size")["employees"].median()
    assert med["micro"] < med["small"] < med["medium"] < med["large"]
    both = reg[["revenue", "revenue_prev"]].dropna().astype("float64")
    growth = both["revenue"] / both["revenue_prev"] - 1
    assert -0.1 < growth.median() < 0.2 and growth.std() > 0.05


def test_shanxi_regions_weighted_by_city_size(reg):
    city = reg["region"].str.slice(0, 4)
    share = city.value_counts(normalize=True)
    assert 0.24 < share["1401"] < 0.32  # 太原 28 %
    assert share["1401"] > share["1408"] > share["1406"]  # 太原 > 运城 > 朔州
    kinds = shanxi_regions()["kind"]
    district = reg["region"].map(kinds).eq("市辖区").mean()
    assert district > 0.35  # urban districts hold more firms than their count (26 of 117) suggests


def test_qualification_rates_follow_shanxi_counts(reg):
    hitech = reg["certs.hitech"].notna().sum()
    expected = 4155 * N / BASE_POPULATION
    assert 0.75 * expected < hitech < 1.25 * expected
    # 专精特新 is a subset of 创新型中小企业, 小巨人 of 专精特新; none of them is large
    srdi, innov, giant = (reg[f"certs.{c}"].notna() for c in ("srdi", "innovative_sme", "srdi_giant"))
    assert (srdi <= innov).all() and (giant <= srdi).all()
    assert not (srdi & (reg["size"] == "large")).any()
    # high-tech firms concentrate in manufacturing and tech services, and meet the R&D share
    ht = reg[reg["certs.hitech"].notna()]
    assert ht["industry"].str.slice(0, 2).isin([f"{d:02d}" for d in range(13, 44)] + ["63", "64", "65", "73", "74", "75"]).mean() > 0.6
    both = ht[["rd_expense", "revenue"]].dropna().astype("float64")
    assert (both["rd_expense"] / both["revenue"] >= 0.03 - 1e-9).all()


def test_cert_dates_are_possible(reg):
    for code in CERT_CODES:
        dated = reg[[f"certs.{code}", "established"]].dropna()
        dated = dated[dated[f"certs.{code}"] != "true"]
        assert (dated[f"certs.{code}"] >= dated["established"]).all(), code
        assert (dated[f"certs.{code}"] <= str(GENERATOR_AS_OF)).all(), code


def test_missing_rate_between_5_and_10_percent(reg):
    industrial = reg["industry"].map(lambda c: size_group_of(c) == "工业*")
    for f in INDICATOR_FIELDS:
        col = reg.loc[industrial, f] if f.startswith("output_value") else reg[f]
        assert 0.05 <= col.isna().mean() <= 0.10, f
    for f in ("uscc", "name", "region", "industry", "business_scope"):
        assert reg[f].notna().all()


def test_flags_and_names(reg):
    assert 0.002 < reg["dishonest"].mean() < 0.02 and 0.001 < reg["major_violation"].mean() < 0.01
    assert reg["name"].str.endswith("公司").all()
    assert reg["business_scope"].str.contains("依法须经批准的项目").all()
    assert reg["name"].str.contains("太原|山西").mean() > 0.3


def test_same_seed_same_frame_and_bytes(tmp_path):
    a, b = generate_registry(3000, seed=5), generate_registry(3000, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(generate_registry(3000, seed=6))
    for suffix in (".parquet", ".csv"):
        write_registry(a, tmp_path / f"a{suffix}")
        write_registry(b, tmp_path / f"b{suffix}")
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()


def test_extra_regions():
    df = generate_registry(5000, seed=2, extra_regions={"110108": 0.1, "310000": 0.05})
    beijing = (df["region"] == "110108").mean()
    shanghai = df["region"].str.startswith("31").mean()
    assert 0.08 < beijing < 0.12 and 0.03 < shanghai < 0.07
    sh = df[df["region"].str.startswith("31")]
    assert (sh["uscc"].str.slice(2, 4) == "31").all()
    assert sh["name"].str.startswith("上海").mean() > 0.9
    with pytest.raises(InputError):
        generate_registry(10, seed=1, extra_regions={"999999": 0.1})
    with pytest.raises(InputError):
        generate_registry(10, seed=1, extra_regions={"110108": 1.0})


def test_bad_arguments(tmp_path):
    with pytest.raises(InputError):
        generate_registry(-1, seed=1)
    with pytest.raises(InputError, match="不支持的输出类型"):
        write_registry(generate_registry(5, seed=1), tmp_path / "x.json")
    assert len(generate_registry(0, seed=1)) == 0
