"""Item assembly on hand-written policy texts: tiers, several items per sentence, lead-ins, document context."""

from __future__ import annotations

from policymatch.parse import parse_text


def conds(item):
    return [(c.field, c.op, c.value) for c in item.atoms() if c.field != "other"]


def test_tiers_expand_into_one_item_per_tier_in_one_group():
    doc = parse_text("对年主营业务收入首次突破1亿元、5亿元、10亿元的企业，分别给予一次性奖励20万元、50万元、100万元。")
    assert [it.benefit.amount for it in doc.items] == [200_000, 500_000, 1_000_000]
    assert [conds(it) for it in doc.items] == [[("revenue", "crosses", v)] for v in (1e8, 5e8, 1e9)]
    groups = {it.exclusive_group for it in doc.items}
    assert len(groups) == 1 and None not in groups
    assert len({it.id for it in doc.items}) == 3
    assert all(it.text == doc.items[0].text for it in doc.items)


def test_level_tiers_of_a_qualification():
    doc = parse_text("对新认定为国家级、省级企业技术中心的企业，分别给予奖励100万元、50万元。")
    assert [(conds(it), it.benefit.amount) for it in doc.items] == [
        ([("certs.tech_center_national", "since", None)], 1_000_000),
        ([("certs.tech_center_provincial", "since", None)], 500_000),
    ]


def test_two_items_in_one_sentence_and_across_semicolons():
    doc = parse_text("首次认定的高新技术企业，给予奖励20万元；重新认定的，给予奖励10万元。")
    assert [it.benefit.amount for it in doc.items] == [200_000, 100_000]
    doc = parse_text("对纳税额超过1000万元的企业，给予奖励30万元，纳税额超过5000万元的，给予奖励80万元。")
    assert [(conds(it), it.benefit.amount) for it in doc.items] == [
        ([("tax_paid", "gt", 10_000_000)], 300_000), ([("tax_paid", "gt", 50_000_000)], 800_000)]


def test_rate_base_and_cap():
    (it,) = parse_text("对技术改造项目，按设备投资额的10%给予补助，单个项目最高不超过200万元。").items
    b = it.benefit
    assert (b.rate, b.base, b.cap, b.max_amount, b.amount, b.kind) == (0.1, "investment", 2_000_000, 2_000_000,
                                                                      None, "subsidy")


def test_conditions_before_a_colon_apply_to_the_list_below():
    text = "三、支持外资企业\n对外资企业：\n1.实缴注册资本1亿元以上的，奖励500万元；\n2.实缴注册资本5亿元以上的，奖励1000万元。\n"
    doc = parse_text(text)
    assert [conds(it) for it in doc.items] == [
        [("registered_capital", "gte", 100_000_000), ("ownership", "in", ("foreign", "hmt"))],
        [("registered_capital", "gte", 500_000_000), ("ownership", "in", ("foreign", "hmt"))],
    ]


def test_document_exclusions_and_definitions_apply_to_every_item():
    text = (
        "关于支持工业企业发展的若干措施\n"
        "一、对设备投资500万元以上至1000万元以下的项目，给予补助30万元。\n"
        "二、对新认定的专精特新中小企业，给予奖励20万元。\n"
        "三、本措施所称“以上”包含本数，“以下”不含本数。有严重失信行为的企业不予支持。\n"
        "四、本措施自2024年1月1日起施行，有效期2年。\n"
    )
    doc = parse_text(text, doc_id="t1")
    assert (doc.id, doc.valid_from, doc.valid_to) == ("t1", "2024-01-01", "2025-12-31")
    first, second = doc.items
    assert conds(first) == [("investment", "gte", 5_000_000), ("investment", "lt", 10_000_000),
                            ("dishonest", "eq", False)]
    assert ("dishonest", "eq", False) in conds(second)


def test_apply_mode_auto_only_when_stated():
    auto = parse_text("对首次纳入规模以上统计的工业企业，免申即享，直接给予奖励10万元。").items[0]
    normal = parse_text("对首次纳入规模以上统计的工业企业，经申请给予奖励10万元。").items[0]
    assert (auto.apply_mode, normal.apply_mode) == ("auto", "apply")


def test_benefits_to_persons_and_modifiers_are_not_items():
    assert parse_text("对引进的博士，给予安家补贴10万元。").items == ()
    assert parse_text("获评功勋企业的，补助比例再提高2个百分点。").items == ()
    assert parse_text("对有失信记录的企业，不给予奖励。").items == ()


def test_verbatim_source_text_for_traditional_and_full_width():
    src = "對首次認定的國家高新技術企業，給予一次性獎勵３０萬元。"
    (it,) = parse_text(src).items
    assert it.text == src
    assert conds(it) == [("certs.hitech", "since", None)]
    assert it.benefit.amount == 300_000
    assert it.span == (0, len(src))


def test_unit_sums():
    (it,) = parse_text("对租用办公用房的企业，按每月每平方米20元给予租金补贴，每年最高不超过50万元。").items
    b = it.benefit
    assert (b.kind, b.unit_amount, b.unit, b.max_amount) == ("rent_subsidy", 20, "平方米·月", 500_000)
