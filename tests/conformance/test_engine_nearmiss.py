"""Near misses: shortfall per numeric condition, the benefit it unlocks, the same in both paths."""

from __future__ import annotations

import json

import pandas as pd
from engine_paths import frame_of
from hypothesis import HealthCheck, given, settings
from test_engine_properties import AS_OF, DOCS, _docs, firm_frames

from policymatch.engine import compile_rules, evaluate, match_firm
from policymatch.model import document_from_dict

TIERS = document_from_dict(
    {"region": "140100", "items": [
        {"id": "t1", "exclusive_group": "rev", "conditions": [{"field": "revenue", "op": "gte", "value": 30_000_000}],
         "benefit": {"kind": "award", "amount": 200_000}},
        {"id": "t2", "exclusive_group": "rev", "conditions": [{"field": "revenue", "op": "gte", "value": 50_000_000}],
         "benefit": {"kind": "award", "amount": 500_000}},
        {"id": "two", "conditions": [{"field": "revenue", "op": "gte", "value": 50_000_000},
                                     {"field": "employees", "op": "gte", "value": 100}],
         "benefit": {"kind": "award", "amount": 100_000}},
        {"id": "flag", "conditions": [{"field": "revenue", "op": "gte", "value": 50_000_000},
                                      {"field": "dishonest", "op": "eq", "value": False}],
         "benefit": {"kind": "award", "amount": 100_000}},
    ]}, "tiers")
FIRM = {"region": "140105", "revenue": 42_000_000, "employees": 95, "dishonest": True}


def test_tier_near_miss_says_how_much_more():
    r = match_firm(compile_rules([TIERS]), FIRM, AS_OF)
    items = {i.item_id: i for i in r.items}
    assert items["t1"].granted and items["t2"].status == "ineligible"
    assert items["t2"].near_miss.text == "营业收入还差800万元即可达到5000万元档，可多得30万元"
    assert items["t2"].near_miss.gain == 300_000


def test_gaps_ranked_by_relative_shortfall():
    two = {i.item_id: i for i in match_firm(compile_rules([TIERS]), FIRM, AS_OF).items}["two"]
    assert [g.field for g in two.near_miss.gaps] == ["employees", "revenue"]  # 5 % short before 16 %
    assert [g.gap for g in two.near_miss.gaps] == [5, 8_000_000]


def test_non_numeric_failure_is_not_a_near_miss():
    items = {i.item_id: i for i in match_firm(compile_rules([TIERS]), FIRM, AS_OF).items}
    assert items["flag"].status == "ineligible" and items["flag"].near_miss is None


def test_far_from_threshold_is_not_a_near_miss():
    items = {i.item_id: i for i in match_firm(compile_rules([TIERS]), {**FIRM, "revenue": 22_000_000}, AS_OF).items}
    assert items["t2"].near_miss is None and items["t1"].near_miss is not None


def test_vectorised_near_miss_json():
    frame = frame_of([FIRM])
    frame["uscc"] = ["A"]
    out = evaluate(compile_rules([TIERS]), frame, AS_OF).set_index("item_id")
    nm = json.loads(out.loc["t2", "near_miss"])
    assert nm == {"then": "eligible", "amount": 500000, "gaps": [
        {"field": "revenue", "op": "gte", "threshold": 50000000, "value": 42000000, "gap": 8000000, "relative": 0.16}]}
    assert [g["field"] for g in json.loads(out.loc["two", "near_miss"])["gaps"]] == ["employees", "revenue"]
    assert pd.isna(out.loc["flag", "near_miss"])
    only = evaluate(compile_rules([TIERS]), frame, AS_OF, keep=("eligible", "near_miss"))
    assert sorted(only["item_id"].astype(str)) == ["t1", "t2", "two"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=DOCS, firms=firm_frames())
def test_near_misses_agree_between_paths(raw, firms):
    docs = _docs(raw)
    compiled = compile_rules(docs)
    frame = frame_of(firms)
    frame["uscc"] = [str(k) for k in range(len(firms))]
    vec = {
        (r.uscc, r.policy_id, r.item_id): json.loads(r.near_miss)
        for r in evaluate(compiled, frame, AS_OF).itertuples(index=False)
        if not pd.isna(r.near_miss)
    }
    one = {}
    for k in range(len(firms)):
        for i in match_firm(compiled, frame.drop(columns="uscc").iloc[[k]], AS_OF).items:
            if i.near_miss is not None:
                one[(str(k), i.policy_id, i.item_id)] = {
                    "then": i.near_miss.then,
                    "gaps": [(g.field, g.op, round(float(g.gap), 3)) for g in i.near_miss.gaps],
                }
    assert set(vec) == set(one)
    for key, nm in vec.items():
        assert nm["then"] == one[key]["then"]
        assert [(g["field"], g["op"], round(float(g["gap"]), 3)) for g in nm["gaps"]] == one[key]["gaps"]


def test_relevance_equals_sklearn_transform():
    """The fast one-scope similarity gives sklearn's TF-IDF cosine similarity."""
    from policymatch.engine.relevance import Relevance

    texts = ["对软件和信息技术服务企业给予研发补助", "煤炭开采企业技术改造奖励", "软件企业首次认定奖励", ""]
    r = Relevance(texts)
    scope = "软件开发；信息技术咨询服务；技术改造"
    q = r._vec.transform([scope])
    expected = (r._vec.transform(texts) @ q.T).toarray().ravel()
    assert r.similarity(scope) == __import__("pytest").approx(expected)
