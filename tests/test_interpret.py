"""Plain-Chinese interpretation: generated from the rules, every line citing its clause."""

from __future__ import annotations

import json
import re

import pytest

from policymatch.errors import InputError
from policymatch.interpret import SECTIONS, interpret
from policymatch.model import load_rules
from policymatch.model.types import AnyGroup
from policymatch.text_tokens import normalize

from conftest import DATA, RULES, run_cli


@pytest.fixture(scope="module")
def docs():
    return {d.id: d for d in load_rules(RULES)}


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", normalize(s))


def test_every_bundled_policy_renders_and_cites_its_source_text(docs):
    for doc in docs.values():
        source = _squash((DATA / "policies" / f"{doc.id}.txt").read_text(encoding="utf-8"))
        r = interpret(doc)
        text = r.to_text()
        assert doc.title in text and len(r.items) == len(doc.items)
        json.dumps(r.to_dict(), ensure_ascii=False)
        for it in r.items:
            assert {ln.section for ln in it.lines} >= {"subject", "support", "mode", "validity"}
            for ln in it.lines:
                assert ln.words and ln.source, (doc.id, it.item_id, ln)
                assert f"原文：{ln.source}" in text
                if ln.source.startswith(("发文机关：", "《")):
                    continue  # document-level lines cite the document itself
                for part in ln.source.split("；"):  # an 'any' group cites each member's span
                    assert _squash(part) in source, (doc.id, it.item_id, part)


def test_conditions_are_worded_and_other_conditions_are_quoted_for_review(docs):
    doc = docs["043"]
    it = interpret(doc, "2-3").items[0]
    assert [ln.words for ln in it.section("conditions")] == ["已认定为高新技术企业", "营业收入不低于2000万元"]
    assert [ln.source for ln in it.section("conditions")] == ["国家高新技术企业", "上一年度营收2000万元(含)以上"]
    assert [ln.words for ln in it.section("manual")] == ["“年度重新认定通过”"]


def test_crossing_a_threshold_reads_as_first_reaching_it(docs):
    lines = [ln for d in docs.values() for it in interpret(d).items for ln in it.section("conditions")]
    crossing = [ln.words for ln in lines if "首次达到" in ln.words]
    assert "上年度营业收入首次达到1亿元" in crossing


def test_support_standard_covers_amount_rate_cap_and_no_stacking(docs):
    # 043 2-1/2-2/2-3 share one exclusive group; 2-2 is a fixed 35万元
    support = [ln.words for ln in interpret(docs["043"], "2-2").items[0].section("support")]
    assert support[0] == "给予奖励35万元"
    assert "2-1" in support[1] and "2-3" in support[1] and "就高" in support[1]
    # 043 1-2: 20% of a base, capped at 40万元
    support = [ln.words for ln in interpret(docs["043"], "1-2").items[0].section("support")]
    assert support[0] == "按当期创新券兑付金额的20%给予奖励，最高40万元"
    assert support[1] == "顶格（单个企业最高）40万元"


def test_mode_validity_and_subject_lines(docs):
    it = interpret(docs["001"], "9-2").items[0]
    assert it.section("mode")[0].words.startswith("需企业申报")
    assert it.section("validity")[0].words == "2023-02-08 至 2026-02-07"
    assert it.section("subject")[0].words == "注册地在柳河县（220524）的企业"


def test_any_group_of_conditions_reads_as_one_of(docs):
    groups = [(d, it) for d in docs.values() for it in d.items for c in it.conditions if isinstance(c, AnyGroup)]
    doc, item = groups[0]
    words = [ln.words for ln in interpret(doc, item.id).items[0].lines]
    assert any(w.startswith("满足其一：") for w in words)


def test_policy_without_items_says_so(docs):
    r = interpret(docs["063"])
    assert r.items == () and "未提取出" in r.to_text()


def test_unknown_item_is_an_input_error_listing_the_choices(docs):
    with pytest.raises(InputError, match="可选：1-1"):
        interpret(docs["027"], "9-9")


def test_sections_are_in_reading_order(docs):
    order = list(SECTIONS)
    for it in interpret(docs["021"]).items:
        keys = [order.index(ln.section) for ln in it.lines]
        assert keys == sorted(keys)


def test_cli_explain_text_and_json():
    r = run_cli("explain", "027", "--item", "2-1")
    assert r.returncode == 0, r.stderr
    for heading in ("适用对象", "申请条件", "支持标准", "办理方式", "有效期", "原文："):
        assert heading in r.stdout
    r = run_cli("explain", "043", "--format", "json")
    data = json.loads(r.stdout)
    assert data["policy_id"] == "043" and data["items"][2]["lines"][0]["source"]


def test_cli_explain_unknown_policy_is_one_line():
    r = run_cli("explain", "999")
    assert r.returncode == 2 and r.stderr.startswith("错误：") and "999" in r.stderr
