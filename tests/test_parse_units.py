"""Parser building blocks on hand-written policy Chinese: numbers, boundaries, fields, qualifications, benefits."""

from __future__ import annotations

import pytest

from policymatch.parse.benefits import benefit_kind, benefit_tiers
from policymatch.parse.conditions import Definitions, exclusion_atoms, growth_atoms, term_atoms, thresholds
from policymatch.parse.meta import definitions, validity
from policymatch.parse.numbers import iso_date, scan, to_yuan
from policymatch.parse.text import decode, normalise


def atoms(text, defs=Definitions()):
    return [(a.field, a.op, a.value) for t in thresholds(text, defs) for a in t.atoms]


@pytest.mark.parametrize(
    "text, yuan",
    [("30万元", 300_000), ("1.5亿元", 150_000_000), ("五十万元", 500_000), ("一千万元", 10_000_000),
     ("两亿元", 200_000_000), ("8千元", 8_000), ("200 万元", 2_000_000), ("１２万元", 120_000)],
)
def test_money_to_yuan(text, yuan):
    assert to_yuan(normalise(text)) == yuan


def test_rates_permille_and_points():
    kinds = [(m.kind, m.value) for m in scan("按销售额的3%给予奖励，另按6‰计，比例再提高2个百分点，百分之十五")]
    assert kinds == [("percent", 0.03), ("percent", 0.006), ("points", 0.02), ("percent", 0.15)]


def test_usd_is_not_yuan():
    assert [m.kind for m in scan("实到外资1000万美元")] == ["usd"]


@pytest.mark.parametrize(
    "text, expected",
    [
        # 民法典 第1259条: 以上/以下/不低于/达到 include the number; 超过/低于/不满 exclude it
        ("年营业收入2000万元以上", [("revenue", "gte", 20_000_000)]),
        ("年纳税额超过500万元", [("tax_paid", "gt", 5_000_000)]),
        ("固定资产投资不低于3000万元", [("investment", "gte", 30_000_000)]),
        ("注册资本不满100万元", [("registered_capital", "lt", 1_000_000)]),
        ("上年度营业收入低于1亿元", [("revenue", "lt", 100_000_000)]),
        ("设备投资达到500万元", [("investment", "gte", 5_000_000)]),
        ("营业收入首次突破5亿元", [("revenue", "crosses", 500_000_000)]),
        ("营业收入同比增长15%以上", [("revenue_growth", "gte", 0.15)]),
        ("研发投入占营业收入比例不低于3%", [("rd_ratio", "gte", 0.03)]),
        ("实际经营年限在3年以上", [("age_years", "gte", 3)]),
    ],
)
def test_boundary_words(text, expected):
    assert atoms(text) == expected


def test_ranges_and_local_definition():
    assert atoms("项目投资100万元以上至500万元以下") == [("investment", "between", (1_000_000, 5_000_000))]
    local = definitions("本办法所称“以上”均包含本数，“以下”均不含本数。")
    assert local == Definitions(above_inclusive=True, below_inclusive=False)
    assert atoms("项目投资100万元以上至500万元以下", local) == [
        ("investment", "gte", 1_000_000), ("investment", "lt", 5_000_000)]
    # an explicit "(含)" on the lower end makes the open upper end exclusive
    assert atoms("注册资本1000万元(含)至5000万元") == [
        ("registered_capital", "gte", 10_000_000), ("registered_capital", "lt", 50_000_000)]


def test_threshold_list_keeps_one_group_per_list():
    ts = thresholds("年销售额达到1亿元、3亿元、5亿元")
    assert [t.atoms[0].value for t in ts] == [100_000_000, 300_000_000, 500_000_000]
    assert len({t.group for t in ts}) == 1


def test_non_field_words_block_a_field():
    assert atoms("单品种销售收入超过2000万元") == []
    assert atoms("亩均税收达到30万元以上") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("对新认定的高新技术企业", [("certs.hitech", "since", None)]),
        ("对重新认定的高新技术企业", [("certs.hitech", "has", None)]),
        ("对首次认定为国家级、省级企业技术中心的企业",
         [("certs.tech_center_national", "since", None), ("certs.tech_center_provincial", "since", None)]),
        ("对国家级专精特新“小巨人”企业", [("certs.srdi_giant", "has", None)]),
        ("对规模以上工业企业", [("industry", "within", ("B", "C", "D")), ("above_scale", "eq", True)]),
        ("对中小微企业", [("size", "in", ("medium", "small", "micro"))]),
        ("在创业板、科创板上市的企业", [("listed", "in", ("chinext", "star"))]),
        ("对制造业和建筑业企业", [("industry", "within", ("C", "E"))]),
        ("制造业与互联网融合发展示范企业", []),
        ("在全国中小企业股份转让系统挂牌的企业", [("listed", "eq", "neeq")]),
    ],
)
def test_terms(text, expected):
    assert [(c.field, c.op, c.value) for c in term_atoms(normalise(text))] == expected


def test_positive_growth_and_exclusions():
    assert [(c.field, c.op, c.value) for c in growth_atoms("当年营业收入实现正增长")] == [("revenue_growth", "gt", 0)]
    ex = exclusion_atoms("有严重违法失信行为或发生重大安全生产事故的企业，不予支持。")
    assert {(c.field, c.value) for c in ex} == {("dishonest", False), ("major_violation", False)}
    assert exclusion_atoms("企业诚信经营，无失信记录的给予奖励") != []
    assert exclusion_atoms("加强失信联合惩戒宣传") == []


def test_benefits():
    t = benefit_tiers("按设备投资额的8%给予补助，单个项目最高不超过300万元")[0]
    assert (t.rate, t.base, t.cap, t.max_amount, t.amount) == (0.08, "investment", 3_000_000, 3_000_000, None)
    assert [t.amount for t in benefit_tiers("分别给予一次性奖励20万元、10万元、5万元")] == [200_000, 100_000, 50_000]
    t = benefit_tiers("按每月每平方米20元给予租金补贴，每家企业每年最高不超过30万元")[0]
    assert (t.unit_amount, t.unit, t.cap, t.max_amount) == (20, "平方米·月", 300_000, 300_000)
    t = benefit_tiers("给予不超过50万元的补助")[0]
    assert (t.amount, t.cap) == (None, 500_000)
    assert [t.amount for t in benefit_tiers("市财政每年安排500万元专项资金，给予每家10万元奖励")] == [100_000]
    assert benefit_kind("给予贷款贴息") == "interest_subsidy"
    assert benefit_kind("给予一次性奖励") == "award"
    assert benefit_kind("减半征收房产税") == "tax_reduction"


def test_validity_and_dates():
    assert validity("本办法自2024年3月1日起施行，有效期3年。") == ("2024-03-01", "2027-02-28")
    assert validity("本措施自印发之日起施行，有效期至2026年12月31日。", issued="2024-05-06") == ("2024-05-06", "2026-12-31")
    assert iso_date("2023年2月30日") is None


def test_decode_encodings_and_normalise():
    text = "對年營業收入１億元以上的企業，給予獎勵５０萬元。"
    for enc in ("utf-8", "gb18030", "big5"):
        try:
            raw = text.encode(enc)
        except UnicodeEncodeError:
            continue
        assert normalise(decode(raw)).startswith("对年营业收入1亿元以上的企业")
    annotated = "企業(yè)營收增速"
    assert normalise(annotated).replace(" ", "") == "企业营收增速"
    assert len(normalise(annotated)) == len(annotated)
