"""Search over the bundled reviewed rules: relevance, filters, typo tolerance, caching, CLI."""

from __future__ import annotations

import dataclasses
import json

import pytest

from policymatch.errors import InputError
from policymatch.model import load_rules
from policymatch.search import _index, search

from conftest import RULES, run_cli


@pytest.fixture(scope="module")
def docs():
    return load_rules(RULES)


def by_id(docs):
    return {d.id: d for d in docs}


def first_items(hits, n):
    return [(h.policy_id, h.items[0].item_id) for h in hits[:n] if h.items]


# Hand-chosen from rules/*.yaml: the items whose benefit is a subsidy (补助/资助/支持) for R&D (研发).
RD_SUBSIDY = {("021", "1.7"), ("002", "2"), ("052", "2-2")}
# The items that reward a firm for being (first) recognised as a 高新技术企业.
HITECH_AWARD = {
    ("001", "9-2"), ("002", "6-3"), ("002", "6-4"), ("036", "2"), ("013", "4"),
    ("043", "2-1"), ("043", "2-2"), ("043", "2-3"),
}


def test_rd_subsidy_items_come_first(docs):
    hits = search("研发 补助", docs)
    assert set(first_items(hits, 3)) == RD_SUBSIDY


def test_hitech_award_items_come_first(docs):
    hits = search("高新技术企业 奖励", docs)
    assert set(first_items(hits, 5)) <= HITECH_AWARD
    assert len(first_items(hits, 5)) == 5


def test_synonyms_and_traditional_characters_meet_the_same_items(docs):
    assert set(first_items(search("高企 奖励", docs), 5)) <= HITECH_AWARD
    plain = first_items(search("高新技术企业 奖励", docs), 5)
    assert first_items(search("高新技術企業 獎勵", docs), 5) == plain


def test_hit_carries_title_issuer_items_top_amount_and_auto(docs):
    hit = search("研发 补助", docs, limit=1)[0]
    doc = by_id(docs)[hit.policy_id]
    assert (hit.title, hit.issuer, hit.doc_number) == (doc.title, doc.issuer, doc.doc_number)
    listed = [doc.item(i.item_id) for i in hit.items]
    assert hit.top_amount == max(it.benefit.max_amount for it in listed if it.benefit.max_amount is not None)
    assert hit.auto is False
    d = hit.to_dict()
    assert d["items"][0]["name"] == listed[0].name and d["top_amount"] == hit.top_amount


def test_items_are_listed_best_first(docs):
    for hit in search("专精特新 奖励", docs):
        scores = [i.score for i in hit.items]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("专精特新中小企业奖历政策汇总", "027"),  # 奖历 for 奖励
        ("苏州工业圆区服务业企业营收增长", "034"),  # 圆 for 园; the document itself is in traditional characters
        ("昆山市人民正府", "038"),  # issuer with 正 for 政
    ],
)
def test_typos_in_titles_and_issuers_still_find_the_policy(docs, query, expected):
    assert search(query, docs, limit=1)[0].policy_id == expected


def test_region_filter_keeps_covering_and_national_documents_only(docs):
    hits = search("", docs, region="140105", limit=500)
    ids = {h.policy_id for h in hits}
    assert {"027", "017", "018"} <= ids  # Shanxi-wide, and two national State Council documents
    assert not ids & {"021", "009", "024"}  # Wenzhou, Guangzhou and the 综改区 (140171) are elsewhere
    for h in hits:
        assert h.region is None or "140105".startswith(h.region.rstrip("0")[:4] if h.region.endswith("00") else h.region)


def test_region_filter_drops_items_whose_own_region_excludes_the_code(docs):
    # 027 item 2-1 is for the 综改区 (region within 140171) only
    in_zone = {i.item_id for i in search("专精特新", docs, region="140171")[0].items}
    in_xiaodian = {i.item_id for h in search("专精特新", docs, region="140105") if h.policy_id == "027" for i in h.items}
    assert "2-1" in in_zone and "2-1" not in in_xiaodian
    assert "1-1" in in_zone and "1-1" in in_xiaodian


def test_industry_filter_drops_items_for_other_industries(docs):
    # 001 item 2-1: industrial projects (industry within C, D)
    def listed(industry):
        return {(h.policy_id, i.item_id) for h in search("", docs, industry=industry, limit=500) for i in h.items}

    assert ("001", "2-1") in listed("3562")  # manufacturing
    assert ("001", "2-1") not in listed("5211")  # retail
    assert ("001", "9-2") in listed("5211")  # the 高企 award has no industry condition


def test_in_force_filter(docs):
    ids = {h.policy_id for h in search("", docs, in_force="2018-06-20", limit=500)}
    assert "013" in ids  # valid 2018-06-13 … 2018-07-04
    assert "001" not in ids  # valid from 2023
    assert "027" in ids  # no validity stated: always
    assert "013" not in {h.policy_id for h in search("", docs, in_force="2019-01-01", limit=500)}


def test_auto_only_keeps_only_no_application_items(docs):
    assert search("奖励", docs, auto_only=True) == []  # no bundled item is 免申即享
    doc = by_id(docs)["013"]
    auto_doc = dataclasses.replace(doc, items=(dataclasses.replace(doc.items[0], apply_mode="auto"),))
    others = [d for d in docs if d.id != "013"]
    hits = search("高新技术企业 奖励", [*others, auto_doc], auto_only=True)
    assert [(h.policy_id, [i.item_id for i in h.items], h.auto) for h in hits] == [("013", ["4"], True)]


def test_index_is_built_once_per_rules_set(docs):
    search("研发", docs)
    before = _index.cache_info()
    search("补助", docs)
    search("奖励", list(docs))
    after = _index.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 2
    search("奖励", docs[:3])
    assert _index.cache_info().misses == before.misses + 1


def test_bad_queries_are_input_errors(docs):
    with pytest.raises(InputError):
        search("研发" * 200, docs)
    with pytest.raises(InputError):
        search("研发", docs, limit=0)


def test_cli_search_json_end_to_end():
    r = run_cli("search", "研发", "补助", "--format", "json", "--limit", "3")
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert {(h["policy_id"], h["items"][0]["item_id"]) for h in hits} == RD_SUBSIDY


def test_cli_search_table_and_errors_in_process(tmp_path):
    from typer.testing import CliRunner

    from policymatch.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["search", "高新技术企业", "奖励", "--limit", "2"])
    assert r.exit_code == 0 and "顶格金额" in r.output and "…" not in r.output
    assert "001" in r.output and "30万元" in r.output  # 001: its matching items reach 30万元 (item 7)
    r = runner.invoke(app, ["search", "研发", "--rules", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "错误：" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["search", "研发", "--format", "xml"])
    assert r.exit_code == 2
