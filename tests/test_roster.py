"""Roster: only eligible + granted rows of auto items; the totals row equals the database sums (read back)."""

from __future__ import annotations

import csv
import sqlite3

import pytest
from openpyxl import load_workbook
from test_push import BASE, DOCS, run_once

from policymatch.errors import InputError
from policymatch.roster import ROSTER_COLUMNS, roster

ROWS = BASE + [
    ("C", "P1", "1", "eligible", 250000, True, 100.0, None),
    ("D", "P1", "1", "unknown", None, False, 50.0, None),  # unknown: never on a roster
    ("E", "P1", "1", "eligible", 300000, False, 100.0, None),  # not granted (e.g. exclusive group)
]


def db_sum(db):
    with sqlite3.connect(db) as c:
        return c.execute(
            "SELECT COUNT(*), SUM(amount) FROM matches WHERE policy_id='P1' AND item_id='1' "
            "AND status='eligible' AND granted=1"
        ).fetchone()


def test_xlsx_roster_totals_match_database(tmp_path):
    db = tmp_path / "o.db"
    run_once(db, ROWS)
    s = roster(db, tmp_path / "r.xlsx", policy="P1")
    n, total = db_sum(db)
    assert (s.n_rows, s.total_amount) == (n, total) == (3, 850000)
    ws = load_workbook(tmp_path / "r.xlsx").active
    assert [c.value for c in ws[2]] == list(ROSTER_COLUMNS)
    assert ws.freeze_panes == "A3" and ws[2][0].font.bold
    data = [[c.value for c in r] for r in ws.iter_rows(min_row=3, max_row=ws.max_row - 1)]
    assert sorted(r[1] for r in data) == ["A", "B", "C"]
    amount = ROSTER_COLUMNS.index("兑现金额（元）")
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "合计" and last[amount] == sum(r[amount] for r in data) == total
    assert ws.cell(3, amount + 1).number_format == "#,##0"
    assert "国家高新技术企业" in data[0][-1]


def test_csv_roster_for_one_item(tmp_path):
    db = tmp_path / "o.db"
    run_once(db, ROWS)
    roster(db, tmp_path / "r.csv", item="P1:1")
    rows = list(csv.reader((tmp_path / "r.csv").open(encoding="utf-8-sig")))
    assert rows[0] == list(ROSTER_COLUMNS) and rows[-1][0] == "合计" and rows[-1][6] == "850000"


def test_roster_refuses_apply_items_and_bad_arguments(tmp_path):
    db = tmp_path / "o.db"
    run_once(db, ROWS)
    with pytest.raises(InputError, match="不是免申即享"):
        roster(db, tmp_path / "r.xlsx", item="P1:2")
    with pytest.raises(InputError):
        roster(db, tmp_path / "r.xlsx", item="P1-1")
    with pytest.raises(InputError):
        roster(db, tmp_path / "r.pdf", policy="P1")
    with pytest.raises(InputError, match="没有政策事项"):
        roster(db, tmp_path / "r.xlsx", policy="NOPE")


def test_a_roster_longer_than_a_sheet_continues_on_more_sheets_with_the_total_at_the_end(tmp_path):
    from policymatch.roster import ROSTER_COLUMNS, _write_xlsx

    rows = [[k, f"9114{k:014d}", f"企业{k}", "太原市小店区", "政策", "1 事项", 1000 * k, "条件"] for k in range(1, 8)]
    totals = ["合计", "7 家", "", "", "", "", sum(r[6] for r in rows), ""]
    _write_xlsx(tmp_path / "r.xlsx", "标题", rows, totals, max_rows=6)  # 3 firms per sheet
    wb = load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames == ["公示名单", "公示名单（2）", "公示名单（3）"]
    seen = []
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A3" and [c.value for c in ws[2]] == list(ROSTER_COLUMNS)
        seen += [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    assert seen[:-1] == rows and seen[-1][0] == "合计" and seen[-1][6] == 28000
    assert all(ws.max_row <= 6 for ws in wb.worksheets)


def test_a_policy_roster_counts_firms_and_items_apart(tmp_path):
    import dataclasses

    import pandas as pd

    from policymatch.store import Store

    docs = [dataclasses.replace(DOCS[0], items=tuple(dataclasses.replace(it, apply_mode="auto") for it in DOCS[0].items))]
    rows = pd.DataFrame(
        [("A", "P1", "1", "eligible", 300000, True), ("A", "P1", "2", "eligible", 200000, True),
         ("B", "P1", "1", "eligible", 300000, True)],
        columns=["uscc", "policy_id", "item_id", "status", "amount", "granted"],
    )
    s = Store(tmp_path / "o.db")
    s.register_rules(docs, "h")
    run = s.start_run(as_of="2021-06-30", rules_hash="h", source="t", fingerprint="f", chunk_size=1)
    s.write_matches(rows, run, chunk_id=0)
    s.finish_run(run)
    s.close()
    summary = roster(tmp_path / "o.db", tmp_path / "r.csv", policy="P1")
    assert (summary.n_firms, summary.n_rows, summary.total_amount) == (2, 3, 800000)
    assert "2 家企业、3 项" in summary.to_text()
    last = (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()[-1].split(",")
    assert last[:2] == ["合计", "2 家 3 项"] and last[6] == "800000"
