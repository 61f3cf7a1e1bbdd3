"""The one-firm model: JSON semantics of PROFILE.md, field-named errors, and the one-row frame."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from policymatch.errors import InputError
from policymatch.fields import CERT_CODES, INPUT_FIELDS
from policymatch.firm import Firm
from policymatch.profiles import FRAME_DTYPES

GOOD = {
    "uscc": "91140106713678575D",
    "name": "山西晋韵古建筑有限公司",
    "region": "140106",
    "industry": "4891",
    "established": "1999-05-20",
    "registered_capital": 10_000_000,
    "ownership": "private",
    "above_scale": True,
    "employees": 45,
    "revenue": 30_000_000,
    "revenue_prev": 25_000_000,
    "tax_credit": "A",
    "dishonest": False,
}


def test_fields_match_the_profile_table():
    names = [f.name for f in dataclasses.fields(Firm)]
    assert names == INPUT_FIELDS + ["certs"]


def test_round_trip_keeps_values_and_types():
    f = Firm.from_dict(GOOD)
    assert f.to_dict() == GOOD
    assert isinstance(f.revenue, int) and f.above_scale is True and f.dishonest is False
    assert Firm.from_dict(f.to_dict()) == f


def test_certs_absent_means_unknown_present_means_rest_not_held():
    unknown = Firm.from_dict(GOOD)
    assert unknown.certs is None and unknown.held("hitech") is None
    assert not any(c.startswith("certs.") for c in unknown.to_frame().columns)

    known = Firm.from_dict({**GOOD, "certs": {"hitech": "2022-11-01", "srdi": True}})
    assert known.certs == {"hitech": "2022-11-01", "srdi": "true"}
    assert known.held("hitech") and known.held("srdi") and known.held("gazelle") is False
    row = known.to_frame().iloc[0]
    assert row["certs.hitech"] == "2022-11-01" and row["certs.srdi"] == "true"
    assert all(pd.isna(row[f"certs.{c}"]) for c in CERT_CODES if c not in ("hitech", "srdi"))


def test_flat_cert_keys_and_false_values():
    f = Firm.from_dict({"uscc": GOOD["uscc"], "certs.hitech": "是", "certs.srdi": False})
    assert f.certs == {"hitech": "true"}


def test_frame_follows_the_contract_and_derives_size():
    frame = Firm.from_dict(GOOD).to_frame()
    assert len(frame) == 1
    for col in INPUT_FIELDS:
        assert frame[col].dtype == FRAME_DTYPES[col], col
    # 4891 园林绿化工程施工 → 建筑业: revenue 3000万 ≥ 300万 but assets unknown → not decidable
    assert pd.isna(frame.loc[0, "size"])
    small = Firm.from_dict({**GOOD, "total_assets": 40_000_000}).to_frame()
    assert small.loc[0, "size"] == "small"
    given = Firm.from_dict({**GOOD, "size": "大型"})
    assert given.size == "large" and given.to_frame().loc[0, "size"] == "large"
    assert pd.isna(frame.loc[0, "rd_expense"]) and pd.isna(frame.loc[0, "listed"])


@pytest.mark.parametrize(
    ("patch", "field", "words"),
    [
        ({"uscc": "91140106713678575E"}, "uscc", "校验位"),
        ({"uscc": "9114010671367857"}, "uscc", "18位"),
        ({"revenue": -1}, "revenue", "负数"),
        ({"employees": "many"}, "employees", "不是数字"),
        ({"employees": 2.5}, "employees", "整数"),
        ({"region": "149999"}, "region", "行政区划"),
        ({"industry": "9999"}, "industry", "行业代码"),
        ({"established": "2021-02-30"}, "established", "日期"),
        ({"tax_credit": "E"}, "tax_credit", "纳税信用"),
        ({"dishonest": "maybe"}, "dishonest", "无法识别"),
        ({"certs": {"hitech": "yesterday"}}, "certs.hitech", "高新技术企业"),
        ({"certs": {"nobel": True}}, "certs.nobel", "未知资质"),
        ({"certs": ["hitech"]}, "certs", "对象"),
        ({"revenu": 1}, "revenu", "未知字段"),
        ({"revenue_growth": 0.2}, "revenue_growth", "派生"),
        ({"revenue": [1, 2]}, "revenue", "单个值"),
    ],
)
def test_bad_values_raise_input_error_naming_the_field(patch, field, words):
    with pytest.raises(InputError) as e:
        Firm.from_dict({**GOOD, **patch}, source="firm.json")
    assert e.value.field == field
    assert words in str(e.value) and str(e.value).startswith("firm.json")


def test_not_a_dict():
    with pytest.raises(InputError):
        Firm.from_dict(["x"])  # type: ignore[arg-type]


def test_from_json_file(tmp_path):
    p = tmp_path / "f.json"
    p.write_text(json.dumps({**GOOD, "certs": {}}, ensure_ascii=False), encoding="utf-8")
    f = Firm.from_json_file(p)
    assert f.certs == {} and f.held("hitech") is False
    bad = tmp_path / "bad.json"
    bad.write_text('{"uscc": ', encoding="utf-8")
    with pytest.raises(InputError, match="JSON"):
        Firm.from_json_file(bad)
    with pytest.raises(InputError, match="不存在"):
        Firm.from_json_file(tmp_path / "missing.json")
