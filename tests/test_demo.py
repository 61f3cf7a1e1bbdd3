"""The README's first command, end to end on a small registry: files written, roster totals equal the database."""

from __future__ import annotations

import sqlite3

from conftest import run_cli
from openpyxl import load_workbook

from policymatch.push import read_push_file
from policymatch.roster import ROSTER_COLUMNS


def test_demo_runs_end_to_end_and_is_rerunnable(tmp_path):
    out = tmp_path / "demo"
    r = run_cli("demo", "--out", str(out), "--n", "1000")
    assert r.returncode == 0, r.stderr
    for phrase in ("生成企业库", "导入企业库", "解析政策文本", "评估日期 2021-06-30", "评估日期 2023-06-30", "按政策", "按区县"):
        assert phrase in r.stdout
    assert "没有新的变化" in r.stdout  # the third push: same inputs, nothing written
    assert not (out / "push_3.jsonl.gz").exists()
    second = read_push_file(out / "push_2.jsonl.gz")
    events = {x["event"] for x in second}
    assert {"new", "withdrawn"} <= events  # 柳河 comes into force, 南沙/鹿城 expire
    assert all(x["policy_id"] in {"009", "011", "020", "021", "022", "045", "047", "049", "050"} for x in second if x["event"] == "withdrawn")

    ws = load_workbook(out / "roster.xlsx").active
    assert [c.value for c in ws[2]] == list(ROSTER_COLUMNS)
    amount = ROSTER_COLUMNS.index("兑现金额（元）")
    total = ws.cell(ws.max_row, amount + 1).value
    policy = ws.cell(3, ROSTER_COLUMNS.index("政策") + 1).value
    with sqlite3.connect(out / "matches.db") as c:
        n, s = c.execute(
            "SELECT COUNT(*), COALESCE(SUM(m.amount), 0) FROM matches m JOIN items i USING (policy_id, item_id) "
            "WHERE i.apply_mode = 'auto' AND m.status = 'eligible' AND m.granted = 1"
        ).fetchone()
    assert n == ws.max_row - 3 and total == s and n > 0 and policy.startswith("【演示·假设免申即享】")

    again = run_cli("demo", "--out", str(out), "--n", "300")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("推送 #1") == 1  # a fresh state each time: rerunnable
