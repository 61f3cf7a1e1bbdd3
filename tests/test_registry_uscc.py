"""USCC check: published samples, python-stdnum agreement, single-character changes."""

from __future__ import annotations

import csv

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from policymatch.registry.uscc import USCC_CHARSET, is_valid_uscc, normalise_uscc, uscc_problems

from conftest import TEST_DATA


def _vector_ok(codes: list[str]) -> list[bool]:
    return [p is None for p in uscc_problems(normalise_uscc(pd.Series(codes, dtype=object)))]


def test_published_samples():
    with (TEST_DATA / "uscc_verification_samples.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 9
    expected = [r["check_ok"] == "True" for r in rows]
    assert [is_valid_uscc(r["uscc"]) for r in rows] == expected
    assert _vector_ok([r["uscc"] for r in rows]) == expected
    assert sum(expected) == 7  # two published negatives: a real anomaly and a changed Huawei code


def _check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_CHARSET[(31 - total % 31) % 31]


body = st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9)
valid_codes = st.builds(
    lambda prefix, region, b: prefix + region + b + _check_char(prefix + region + b),
    st.sampled_from(["91", "92", "93", "11", "12", "51", "52"]),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    body,
)


@settings(max_examples=120, deadline=None)
@given(valid_codes, st.data())
def test_one_changed_character_is_caught(code, data):
    assert is_valid_uscc(code) and _vector_ok([code]) == [True]
    pos = data.draw(st.integers(0, 17))
    new = data.draw(st.sampled_from([c for c in USCC_CHARSET if c != code[pos]]))
    changed = code[:pos] + new + code[pos + 1 :]
    assert not is_valid_uscc(changed)
    assert _vector_ok([changed]) == [False]


@settings(max_examples=120, deadline=None)
@given(st.lists(st.one_of(valid_codes, st.text(alphabet=USCC_CHARSET + "IOSVZa -中", min_size=0, max_size=20)), min_size=1, max_size=20))
def test_vectorised_check_agrees_with_python_stdnum(codes):
    """Random strings, and valid codes, agree between the numpy check and python-stdnum."""
    expected = []
    for c in codes:
        c2 = c.strip().upper()
        expected.append(len(c2) == 18 and stdnum_uscc.is_valid(c2))
    assert _vector_ok(codes) == expected


def test_reasons_say_what_is_wrong():
    got = uscc_problems(normalise_uscc(pd.Series(["", None, "9114010671367857", "91140106713678575d", "9114O106713678575D"])))
    assert got.tolist() == [
        "缺少统一社会信用代码",
        "缺少统一社会信用代码",
        "统一社会信用代码应为18位（实为16位）",
        None,  # lower case is normalised
        "统一社会信用代码含非法字符（前8位须为数字，不含I、O、S、V、Z）",
    ]
