"""CLI of the parser area: ``parse`` writes the RULES.md shape, ``rules check`` validates rule files."""

from __future__ import annotations

import json

from conftest import RULES, run_cli


def test_parse_one_file_prints_json(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("关于支持企业发展的若干措施\n一、对年营业收入首次突破1亿元的企业，给予一次性奖励20万元。\n", encoding="utf-8")
    r = run_cli("parse", str(f))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    (item,) = doc["items"]
    assert item["benefit"]["amount"] == 200000
    assert {"field": "revenue", "op": "crosses", "value": 100000000} in [
        {k: c[k] for k in ("field", "op", "value")} for c in item["conditions"]
    ]


def test_parse_dir_to_yaml(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "001.txt").write_text("对高新技术企业给予奖励10万元。", encoding="utf-8")
    (src / "ignore.md").write_text("不是政策", encoding="utf-8")
    r = run_cli("parse", str(src), "--format", "yaml", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["001.yaml"]
    check = run_cli("rules", "check", str(tmp_path / "out"))
    assert check.returncode == 0, check.stdout + check.stderr


def test_rules_check_accepts_bundled_rules():
    r = run_cli("rules", "check", str(RULES))
    assert r.returncode == 0, r.stdout
    assert "无问题" in r.stdout


def test_rules_check_reports_every_problem(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"items": [{"id": "1", "conditions": [{"field": "revenue", "op": "ge", "value": 1},
                                                                   {"field": "size", "op": "in", "value": ["huge"]}]}]}),
                   encoding="utf-8")
    r = run_cli("rules", "check", str(bad))
    assert r.returncode == 1
    lines = [x for x in r.stdout.splitlines() if x.strip()]
    assert any("items[0].conditions[0].op" in x and "'ge'" in x for x in lines)
    assert any("items[0].conditions[1]" in x and "huge" in x for x in lines)


def test_parse_missing_file_is_one_chinese_line(tmp_path):
    r = run_cli("parse", str(tmp_path / "nope.txt"))
    assert r.returncode == 2
    assert r.stderr.startswith("错误：") and "Traceback" not in r.stderr
