"""Bundled reference tables and the 2017 size standard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from policymatch.reference import industries, industry_classes, region_codes, regions, size_thresholds
from policymatch.size import derive_size, size_group_of


def test_tables_cover_the_country_and_the_standard():
    r = regions()
    assert (r["level"] == "province").sum() == 31
    assert {"140105", "110101", "650102", "140171"} <= region_codes()
    assert len(industry_classes()) == 1381
    assert industries().loc["C", "level"] == "section"
    assert len(size_thresholds()) == 30


@pytest.mark.parametrize(
    ("industry", "employees", "revenue_wan", "assets_wan", "expected"),
    [
        # the published cases re-run by the reference's verify_reference.py
        ("6513", 103, 15735.28, None, "medium"),  # 软件业 public complaint text
        ("3562", 19, 50000, None, "micro"),  # 工业: 19 人 < 20 → 微型 whatever the revenue
        ("3562", 1200, 50000, None, "large"),
        ("5211", 60, 300, None, "small"),  # 零售 60 人 300 万
        # 工业 1000 人 but revenue 1999 万: medium needs ≥2000 万 → small
        ("3562", 1000, 1999, None, "small"),
        # unknown revenue, 500 人: could be large/medium/small → unknown
        ("3562", 500, None, None, None),
        # 房地产开发 7010 uses revenue and assets
        ("7010", None, 200000, 10000, "large"),
        # 金融 66xx: not covered by the standard
        ("6620", 10, 100, 100, None),
    ],
)
def test_derive_size_follows_the_2017_table(industry, employees, revenue_wan, assets_wan, expected):
    df = pd.DataFrame(
        {
            "industry": [industry],
            "employees": [employees],
            "revenue": [None if revenue_wan is None else round(revenue_wan * 10_000)],
            "total_assets": [None if assets_wan is None else assets_wan * 10_000],
        }
    )
    got = derive_size(df).iloc[0]
    assert (pd.isna(got) and expected is None) or got == expected


def test_size_groups_respect_excludes_and_specific_scopes():
    assert size_group_of("5311") is None  # 53 铁路运输 excluded from 交通运输业
    assert size_group_of("5411") == "交通运输业*"
    assert size_group_of("5920") == "仓储业*"  # 3-digit scope inside division 59
    assert size_group_of("7040") is None
    assert size_group_of("7020") == "物业管理"


def test_derive_size_is_vectorised_and_aligned():
    df = pd.DataFrame({"industry": ["3562", "5211", "9999"] * 3, "employees": [10, 400, 5] * 3,
                       "revenue": [1, 300_000_000, 1] * 3}, index=np.arange(9) * 7)
    s = derive_size(df)
    assert list(s.index) == list(df.index)
    assert s.iloc[0] == "micro" and s.iloc[1] == "large" and pd.isna(s.iloc[2])
    assert s.iloc[3:6].tolist()[:2] == ["micro", "large"]
