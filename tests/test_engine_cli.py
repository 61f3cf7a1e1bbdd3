"""``policymatch match`` end to end: JSON form, table, USCC lookup in a registry DB, one-line errors."""

from __future__ import annotations

import json
import sqlite3

from conftest import RULES, run_cli

FIRM = {
    "name": "太原示例科技有限公司",
    "region": "140105",
    "industry": "6513",
    "revenue": 42_000_000,
    "revenue_prev": 30_000_000,
    "employees": 80,
    "dishonest": False,
    "certs": {"hitech": "2023-05-01"},
    "business_scope": "软件开发；信息技术咨询服务",
}
RULE = {
    "title": "太原市测试政策",
    "region": "140100",
    "items": [
        {"id": "1", "name": "营收5000万元档", "exclusive_group": "rev",
         "conditions": [{"field": "revenue", "op": "gte", "value": 50_000_000, "text": "营业收入5000万元以上"}],
         "benefit": {"kind": "award", "amount": 500_000}},
        {"id": "2", "name": "营收3000万元档", "exclusive_group": "rev",
         "conditions": [{"field": "revenue", "op": "gte", "value": 30_000_000, "text": "营业收入3000万元以上"}],
         "benefit": {"kind": "award", "amount": 200_000}},
        {"id": "3", "name": "小巨人", "apply_mode": "auto",
         "conditions": [{"field": "certs.srdi_giant", "op": "has", "text": "国家级专精特新小巨人"}],
         "benefit": {"kind": "award", "amount": 1_000_000}},
    ],
}


def _setup(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "t.json").write_text(json.dumps(RULE, ensure_ascii=False), encoding="utf-8")
    f = tmp_path / "firm.json"
    f.write_text(json.dumps(FIRM, ensure_ascii=False), encoding="utf-8")
    return f, tmp_path / "rules"


def test_match_json_is_ranked_and_explained(tmp_path):
    firm, rules = _setup(tmp_path)
    r = run_cli("match", "--firm", str(firm), "--rules", str(rules), "--as-of", "2024-06-30", "--format", "json", "--all")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [(i["item_id"], i["status"]) for i in out["items"]] == [("2", "eligible"), ("3", "ineligible"), ("1", "ineligible")]
    assert out["summary"]["granted_amount"] == 200_000
    tier = out["items"][2]
    assert tier["near_miss"]["text"] == "营业收入还差800万元即可达到5000万元档，可多得30万元"
    cond = tier["conditions"][1]
    assert (cond["value"], cond["threshold"], cond["result"], cond["policy_text"]) == (
        "4200万元", "5000万元", "unmet", "营业收入5000万元以上")
    assert tier["score"]["text"] == "满足 1/2 条，1 条不满足"


def test_match_table_in_chinese(tmp_path):
    firm, rules = _setup(tmp_path)
    r = run_cli("match", "--firm", str(firm), "--rules", str(rules), "--as-of", "2024-06-30", "--all")
    assert r.returncode == 0, r.stderr
    assert "符合" in r.stdout and "差一点" in r.stdout and "逐条核对" in r.stdout


def test_match_by_uscc_from_registry_db(tmp_path):
    _, rules = _setup(tmp_path)
    db = tmp_path / "reg.db"
    con = sqlite3.connect(db)
    con.execute('CREATE TABLE firms (uscc TEXT PRIMARY KEY, name TEXT, region TEXT, revenue INTEGER, "certs.srdi_giant" TEXT)')
    con.execute("INSERT INTO firms VALUES (?, ?, ?, ?, ?)", ("914403001922038216", "示例", "140105", 60_000_000, "2022-01-01"))
    con.commit()
    con.close()
    r = run_cli("match", "--firm", "914403001922038216", "--db", str(db), "--rules", str(rules), "--format", "json",
                "--as-of", "2024-06-30")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    got = {i["item_id"]: (i["status"], i["granted"], i["auto"]) for i in out["items"]}
    assert got == {"1": ("eligible", True, False), "2": ("eligible", False, False), "3": ("eligible", True, True)}
    missing = run_cli("match", "--firm", "91440300708461136T", "--db", str(db), "--rules", str(rules))
    assert missing.returncode == 2 and missing.stderr.startswith("错误：") and "找不到" in missing.stderr


def test_match_errors_are_one_chinese_line(tmp_path):
    firm, rules = _setup(tmp_path)
    no_db = run_cli("match", "--firm", "914403001922038216", "--rules", str(rules))
    assert no_db.returncode == 2 and "--db" in no_db.stderr and "Traceback" not in no_db.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"revenue": "很多"}', encoding="utf-8")
    r = run_cli("match", "--firm", str(bad), "--rules", str(rules))
    assert r.returncode == 2 and r.stderr.startswith("错误：") and "revenue" in r.stderr
    r = run_cli("match", "--firm", str(firm), "--rules", str(rules), "--as-of", "2024/06/30")
    assert r.returncode == 2 and "--as-of" in r.stderr


def test_match_bundled_rules_end_to_end(tmp_path):
    firm, _ = _setup(tmp_path)
    r = run_cli("match", "--firm", str(firm), "--rules", str(RULES), "--as-of", "2024-06-30", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["summary"]["eligible"] >= 1 and out["items"][0]["status"] == "eligible"
