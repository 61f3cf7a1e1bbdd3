"""Rule model: the bundled rules and the gold files load; every problem is reported with its path."""

from __future__ import annotations

import pytest
from conftest import RULES, SHARED, run_cli

from policymatch.errors import RuleError
from policymatch.model import check_rule_paths, document_from_dict, load_rules, validate_dict


def test_bundled_rules_load_and_have_items():
    docs = load_rules(RULES)
    assert len(docs) >= 30
    assert sum(len(d.items) for d in docs) > 500
    assert len({d.id for d in docs}) == len(docs)


@pytest.mark.skipif(not (SHARED / "corpus/dev").is_dir(), reason="../shared not present")
def test_gold_files_are_valid_rules():
    assert check_rule_paths(SHARED / "corpus/dev") == []


def test_all_problems_reported_with_paths():
    doc = {
        "valid_from": "2023/01/01",
        "items": [
            {"id": "1", "conditions": [{"field": "revenue", "op": "ge", "value": 1}]},
            {"id": "1", "conditions": [{"field": "revnue", "op": "gte", "value": "1亿"}], "apply_mode": "maybe"},
        ],
    }
    problems = validate_dict(doc)
    paths = [p.split(":")[0] for p in problems]
    assert "valid_from" in paths
    assert "items[0].conditions[0].op" in paths
    assert "items[1].conditions[0].field" in paths
    assert "items[1].apply_mode" in paths
    assert "items[1].id" in paths


def test_invalid_document_raises_one_error_listing_all():
    with pytest.raises(RuleError) as e:
        document_from_dict({"items": [{"conditions": [{"field": "x", "op": "y"}]}]}, "d", source="r/d.yaml")
    assert e.value.file == "r/d.yaml"
    assert len(e.value.problems) == 2


def test_money_is_integer_yuan_and_max_amount_defaults():
    doc = document_from_dict({"items": [{"id": "a", "benefit": {"kind": "subsidy", "cap": 1.5e6, "rate": 0.1}}]}, "d")
    b = doc.items[0].benefit
    assert b.cap == 1_500_000 and isinstance(b.cap, int)
    assert b.max_amount == 1_500_000


def test_any_and_all_groups():
    doc = document_from_dict(
        {
            "items": [
                {
                    "id": "a",
                    "conditions": [
                        {"any": [{"field": "certs.hitech", "op": "has"}, {"field": "certs.tech_sme", "op": "has"}]},
                        {"all": [{"field": "revenue", "op": "gte", "value": 1}, {"field": "size", "op": "eq", "value": "small"}]},
                    ],
                }
            ]
        },
        "d",
    )
    assert len(doc.items[0].conditions) == 3
    assert len(doc.items[0].atoms()) == 4


def test_yaml_bomb_and_bad_syntax_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("items: [\n  - {", encoding="utf-8")
    with pytest.raises(RuleError) as e:
        load_rules(bad)
    assert "bad.yaml" in str(e.value)
    tag = tmp_path / "tag.yaml"
    tag.write_text("!!python/object/apply:os.system ['echo hi']", encoding="utf-8")
    with pytest.raises(RuleError):
        load_rules(tag)


def test_cli_help_lists_in_chinese():
    r = run_cli("--help")
    assert r.returncode == 0 and "政策" in r.stdout


def test_cli_unknown_command_is_not_a_traceback():
    r = run_cli("no-such-command")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
