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
    assert [ln.words for ln in it.section("conditions")] == ["具有高新技术企业资质", "营业收入不低于2000万元"]
    assert [ln.source for ln in it.section("conditions")] == ["国家高新技术企业", "上一年度营收2000万元(含)以上"]
    assert [ln.words for ln in it.section("manual")] == ["“年度重新认定通过”"]


def test_crossing_a_threshold_reads_as_first_reaching_it(docs):
    lines = [ln for d in docs.values() for it in interpret(d).items for ln in it.section("conditions")]
    crossing = [ln.words for ln in lines if "首次达到" in ln.words]
    assert "营业收入首次达到1亿元（上年未达到）" in crossing


def test_support_standard_covers_amount_rate_cap_and_no_stacking(docs):
    # 043 2-1/2-2/2-3 share one exclusive group; 2-2 is a fixed 35万元
    support = [ln.words for ln in interpret(docs["043"], "2-2").items[0].section("support")]
    assert support[0] == "奖励35万元"
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


def test_cli_explain_text_end_to_end():
    r = run_cli("explain", "027", "--item", "2-1")
    assert r.returncode == 0, r.stderr
    for heading in ("适用对象", "申请条件", "支持标准", "办理方式", "有效期", "原文："):
        assert heading in r.stdout


def test_cli_explain_json_and_errors_in_process():
    from typer.testing import CliRunner

    from policymatch.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["explain", "043", "--format", "json"])
    data = json.loads(r.output)
    assert data["policy_id"] == "043" and data["items"][2]["lines"][0]["source"]
    r = runner.invoke(app, ["explain", "999"])
    assert r.exit_code == 2 and "错误：" in r.output and "999" in r.output


FIRMS = [
    {"uscc": "914403001922038216", "region": "140171", "industry": "3562", "size": "small", "revenue": 120_000_000,
     "revenue_prev": 80_000_000, "rd_expense": 6_000_000, "dishonest": False,
     "certs": {"hitech": "2025-02-01", "srdi": "2024-06-01", "srdi_giant": "2025-03-01"}},
    {"region": "330302", "industry": "5211", "revenue": 300_000_000, "tax_paid": 20_000_000, "above_scale": True},
    {"region": "440115", "ownership": "foreign", "registered_capital": 100_000_000, "certs": {}},
    {"region": "220524", "investment": 30_000_000, "listed": "main_board", "invention_patents": 3},
]


@pytest.mark.parametrize("firm", FIRMS, ids=lambda f: f["region"])
def test_firm_explain_marks_each_condition_as_the_one_firm_engine_does(docs, firm):
    from policymatch.api import match_one
    from policymatch.firm import Firm

    as_of = "2020-06-30"  # the Guangzhou and Wenzhou documents are in force then, and the undated ones
    result = match_one(firm, list(docs.values()), as_of=as_of)
    assert result.items
    checked = Firm.from_dict(firm)
    worded = {(pid, it.item_id): it for pid in {m.policy_id for m in result.items}
              for it in interpret(docs[pid], firm=checked, as_of=as_of).items}
    seen = set()
    for m in result.items:
        it = worded[(m.policy_id, m.item_id)]
        assert it.status == m.status and (m.status != "eligible" or it.amount == m.amount)
        marked = {ln.node: ln.status for ln in it.lines if ln.node is not None}
        assert [marked[k] for k in sorted(marked)] == [c.result for c in m.conditions], (m.policy_id, m.item_id)
        seen.update(marked.values())
    assert seen == {"met", "unmet", "unknown"}


def test_firm_explain_text_says_met_unmet_and_missing(docs):
    firm = {"region": "140171", "revenue": 10_000_000, "certs": {"hitech": "2025-02-01"}}
    r = interpret(docs["043"], "2-2", firm=firm, as_of="2025-06-30")
    cond = {ln.words: ln.status for ln in r.items[0].section("conditions")}
    # 043 states no valid_from, so "新认定" reads as "holds" (RULES.md since null)
    assert cond == {"政策有效期内新认定为高新技术企业": "met", "营业收入不低于2000万元": "unmet"}
    text = r.to_text()
    assert "不符合条件" in text and "【不符合】" in text and "【符合】" in text
    # the firm's own figures, as the one-firm engine words them, beside each condition
    assert [ln.value for ln in r.items[0].section("conditions")] == ["已认定（2025-02-01）", "1000万元"]
    assert "【不符合】（企业：1000万元）" in text
    r = interpret(docs["043"], "2-2", firm={"region": "140171"}, as_of="2025-06-30")
    assert [ln.status for ln in r.items[0].section("conditions")] == ["unknown", "unknown"]
    assert "待核实" in r.to_text() and "【缺少数据或需人工核实】" in r.to_text()


def test_firm_explain_outside_validity_is_not_evaluated(docs):
    r = interpret(docs["013"], firm={"region": "440115"}, as_of="2025-01-01")
    assert r.items[0].status == "not_in_force" and "不在有效期内" in r.to_text()
    assert all(ln.status is None for ln in r.items[0].lines)


def test_cli_explain_for_a_firm_file(tmp_path):
    from typer.testing import CliRunner

    from policymatch.cli import app

    f = tmp_path / "firm.json"
    f.write_text(json.dumps({"name": "示例企业", "region": "140171", "certs": {"srdi_giant": "2025-03-01"}}), "utf-8")
    r = CliRunner().invoke(app, ["explain", "027", "--item", "2-1", "--firm", str(f), "--as-of", "2025-06-30"])
    assert r.exit_code == 0, r.output
    assert "示例企业" in r.output and "符合条件" in r.output and "【符合】" in r.output
