"""Named conformance checks: one per rule of RULES.md "Evaluation semantics", run on every path.

Each check is a tiny document and a few firms with the outcome the spec demands. The same
check runs on the reference evaluator, the vectorised engine and the one-firm match.
"""

from __future__ import annotations

import pytest
from engine_paths import PATHS

from policymatch.model import document_from_dict

AS_OF = "2024-06-30"


def _doc(conditions, *, region=None, valid_from=None, valid_to=None, benefit=None, more_items=(), **item):
    items = [{"id": "1", "conditions": conditions, "benefit": benefit or {"kind": "award", "amount": 100000}, **item}]
    return document_from_dict(
        {"region": region, "valid_from": valid_from, "valid_to": valid_to, "items": items + list(more_items)}, "p"
    )


def _c(field, op, value=None):
    return {"field": field, "op": op, "value": value}


# name → (document, firms, expected per firm: status of item "1", or a dict of item_id → status/attrs)
CHECKS = {
    "missing_is_unknown": (_doc([_c("revenue", "gte", 100)]), [{}], ["unknown"]),
    "missing_is_not_zero": (_doc([_c("revenue", "lt", 100)]), [{}, {"revenue": 0}], ["unknown", "eligible"]),
    "missing_bool_is_not_false": (_doc([_c("dishonest", "eq", False)]), [{}], ["unknown"]),
    "derived_missing_input_is_unknown": (
        _doc([_c("revenue_growth", "gte", 0.1)]), [{"revenue": 120}], ["unknown"]),
    "derived_zero_divisor_is_unknown": (
        _doc([_c("revenue_growth", "gte", 0.1)]), [{"revenue": 120, "revenue_prev": 0}], ["unknown"]),
    "derived_growth_exact": (
        _doc([_c("revenue_growth", "gte", 0.2)]),
        [{"revenue": 120, "revenue_prev": 100}, {"revenue": 119, "revenue_prev": 100}], ["eligible", "ineligible"]),
    "rd_ratio_derived": (
        _doc([_c("rd_ratio", "gte", 0.03)]), [{"rd_expense": 3, "revenue": 100}, {"rd_expense": 3, "revenue": 0}],
        ["eligible", "unknown"]),
    "other_is_unknown": (
        _doc([_c("other", "text"), _c("revenue", "gte", 10)]), [{"revenue": 20}, {"revenue": 5}],
        ["unknown", "ineligible"]),
    "crosses_first_time": (
        _doc([_c("revenue", "crosses", 100)]), [{"revenue": 120, "revenue_prev": 90}], ["eligible"]),
    "crosses_below_is_false_without_prev": (_doc([_c("revenue", "crosses", 100)]), [{"revenue": 90}], ["ineligible"]),
    "crosses_over_without_prev_is_unknown": (_doc([_c("revenue", "crosses", 100)]), [{"revenue": 120}], ["unknown"]),
    "crosses_already_over_last_year": (
        _doc([_c("revenue", "crosses", 100)]), [{"revenue": 120, "revenue_prev": 100}], ["ineligible"]),
    "has_unknown_when_certs_not_carried": (_doc([_c("certs.hitech", "has")]), [{"revenue": 1}], ["unknown"]),
    "has_false_when_not_held": (_doc([_c("certs.hitech", "has")]), [{"certs": {"srdi": "2020-01-01"}}], ["ineligible"]),
    "has_true_held_without_date": (_doc([_c("certs.hitech", "has")]), [{"certs": {"hitech": True}}], ["eligible"]),
    "since_dated": (
        _doc([_c("certs.hitech", "since", "2023-01-01")]),
        [{"certs": {"hitech": "2023-01-01"}}, {"certs": {"hitech": "2022-12-31"}}, {"certs": {}}],
        ["eligible", "ineligible", "ineligible"]),
    "since_undated_is_unknown": (
        _doc([_c("certs.hitech", "since", "2023-01-01")]), [{"certs": {"hitech": True}}], ["unknown"]),
    "since_null_uses_valid_from": (
        _doc([_c("certs.hitech", "since")], valid_from="2023-01-01"),
        [{"certs": {"hitech": "2023-03-01"}}, {"certs": {"hitech": "2022-06-01"}}], ["eligible", "ineligible"]),
    "since_null_without_valid_from_is_has": (
        _doc([_c("certs.hitech", "since")]), [{"certs": {"hitech": True}}, {"certs": {}}], ["eligible", "ineligible"]),
    "tax_credit_order": (
        _doc([_c("tax_credit", "gte", "B")]), [{"tax_credit": "A"}, {"tax_credit": "B"}, {"tax_credit": "M"}, {}],
        ["eligible", "eligible", "ineligible", "unknown"]),
    "tax_credit_between": (
        _doc([_c("tax_credit", "between", ["C", "M"])]), [{"tax_credit": "M"}, {"tax_credit": "A"}],
        ["eligible", "ineligible"]),
    "boolean_spellings": (
        _doc([_c("dishonest", "eq", False)]),
        [{"dishonest": "否"}, {"dishonest": "是"}, {"dishonest": "0"}, {"dishonest": "true"}, {"dishonest": False}],
        ["eligible", "ineligible", "eligible", "ineligible", "eligible"]),
    "within_region_prefix": (
        _doc([_c("region", "within", "140100")]), [{"region": "140105"}, {"region": "140302"}, {"region": "140100"}],
        ["eligible", "ineligible", "eligible"]),
    "within_region_province": (
        _doc([_c("region", "within", ["140000", "110000"])]), [{"region": "140105"}, {"region": "220524"}],
        ["eligible", "ineligible"]),
    "within_industry_letter": (
        _doc([_c("industry", "within", "C")]), [{"industry": "3562"}, {"industry": "5211"}, {"industry": "1311"}],
        ["eligible", "ineligible", "eligible"]),
    "within_industry_digits": (
        _doc([_c("industry", "within", ["356", "I65"])]), [{"industry": "3562"}, {"industry": "6513"}, {"industry": "3511"}],
        ["eligible", "eligible", "ineligible"]),
    "any_group": (
        _doc([{"any": [_c("certs.hitech", "has"), _c("revenue", "gte", 100)]}]),
        [{"revenue": 200}, {"revenue": 50, "certs": {}}, {"revenue": 50}, {"certs": {}}],
        ["eligible", "ineligible", "unknown", "unknown"]),
    "document_region_applies_to_every_item": (
        _doc([], region="140100"), [{"region": "140105"}, {"region": "220524"}, {}],
        ["eligible", "ineligible", "unknown"]),
    "in_and_not_in": (
        _doc([_c("size", "in", ["small", "micro"]), _c("ownership", "not_in", ["foreign", "hmt"])]),
        [{"size": "small", "ownership": "private"}, {"size": "large", "ownership": "private"},
         {"size": "micro", "ownership": "foreign"}, {"size": "micro"}],
        ["eligible", "ineligible", "ineligible", "unknown"]),
    "between_inclusive": (
        _doc([_c("investment", "between", [100, 200])]), [{"investment": 100}, {"investment": 200}, {"investment": 201}],
        ["eligible", "eligible", "ineligible"]),
}

OUTCOME_CHECKS = {
    "not_in_force_is_not_evaluated": (
        _doc([], valid_from="2025-01-01"), [{}], {"1": None}),
    "auto_only_when_eligible": (
        _doc([_c("revenue", "gte", 100)], apply_mode="auto"), [{"revenue": 200}, {}],
        [{"1": {"status": "eligible", "auto": True}}, {"1": {"status": "unknown", "auto": False}}]),
    "exclusive_group_best_item": (
        _doc(
            [_c("revenue", "gte", 100)], exclusive_group="g", benefit={"kind": "award", "amount": 500000},
            more_items=[
                {"id": "2", "conditions": [_c("revenue", "gte", 500)], "exclusive_group": "g",
                 "benefit": {"kind": "award", "amount": 1000000}},
                {"id": "3", "conditions": [_c("revenue", "gte", 1000)], "exclusive_group": "g",
                 "benefit": {"kind": "award", "amount": 2000000}},
            ]),
        [{"revenue": 600}],
        [{"1": {"status": "eligible", "granted": False}, "2": {"status": "eligible", "granted": True},
          "3": {"status": "ineligible", "granted": False}}]),
    "rate_rounded_half_up_to_yuan": (
        _doc([], benefit={"kind": "subsidy", "rate": 0.1, "base": "rd_expense", "cap": 2000000}),
        [{"rd_expense": 1234565}, {"rd_expense": 50_000_000}, {}],
        [{"1": {"amount": 123457}}, {"1": {"amount": 2000000}}, {"1": {"amount": None}}]),
    "per_unit_reported_at_max_amount": (
        _doc([], benefit={"kind": "subsidy", "unit_amount": 10000, "unit": "件", "max_amount": 500000}),
        [{}], [{"1": {"amount": 500000}}]),
    "score_counts_document_region": (
        _doc([_c("revenue", "gte", 100), _c("other", "text")], region="140100"), [{"region": "140105", "revenue": 200}],
        [{"1": {"counts": (2, 0, 1)}}]),
}


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("check", list(CHECKS))
def test_status_check(check, path):
    doc, firms, expected = CHECKS[check]
    got = PATHS[path]([doc], firms, AS_OF)
    assert [got[(k, "p", "1")].status for k in range(len(firms))] == expected


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("check", list(OUTCOME_CHECKS))
def test_outcome_check(check, path):
    doc, firms, expected = OUTCOME_CHECKS[check]
    got = PATHS[path]([doc], firms, AS_OF)
    if isinstance(expected, dict):  # items that must not appear at all
        assert all((0, "p", i) not in got for i in expected)
        return
    for k, per_item in enumerate(expected):
        for item_id, attrs in per_item.items():
            outcome = got[(k, "p", item_id)]
            assert {a: getattr(outcome, a) for a in attrs} == attrs, (check, path, k, item_id)


@pytest.mark.issue(4)
def test_crosses_false_on_prev_alone_is_not_a_near_miss():
    # found by hypothesis: revenue missing, revenue_prev already at the threshold → crosses is false,
    # and the one-firm near-miss search must not subtract from a missing value
    import pandas as pd

    from policymatch.engine import compile_rules, match_firm
    from policymatch.model import document_from_dict

    doc = document_from_dict(
        {"items": [{"id": "1", "conditions": [{"field": "revenue", "op": "crosses", "value": 0}],
                    "benefit": {"kind": "award", "amount": 100}}]},
        "d",
    )
    result = match_firm(compile_rules([doc]), pd.DataFrame([{"uscc": "x", "revenue_prev": 0}]), "2025-01-01")
    d = result.to_dict(statuses=("eligible", "unknown", "ineligible"), full=True)
    assert [it["status"] for it in d["items"]] == ["ineligible"]
    assert d["near_misses"] == []
