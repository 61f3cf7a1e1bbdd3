"""push / roster / certs import through the real CLI: Chinese results on stdout, one-line errors on stderr."""

from __future__ import annotations

from conftest import run_cli
from test_certs_import import make_db, write_xlsx
from test_push import BASE, run_once


def one_line_error(r):
    return r.returncode == 2 and r.stderr.startswith("错误：") and "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_push_and_roster_cli(tmp_path):
    db = tmp_path / "o.db"
    run_once(db, BASE)
    r = run_cli("push", "--db", str(db), "--out", str(tmp_path / "p1.jsonl"))
    assert r.returncode == 0 and "新增 3 条" in r.stdout
    r = run_cli("push", "--db", str(db), "--out", str(tmp_path / "p2.jsonl"))
    assert r.returncode == 0 and "没有新的变化" in r.stdout and not (tmp_path / "p2.jsonl").exists()
    assert one_line_error(run_cli("push", "--db", str(db), "--out", str(tmp_path / "p1.jsonl")))  # exists
    assert one_line_error(run_cli("push", "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "x.jsonl")))
    r = run_cli("roster", "--db", str(db), "--policy", "P1", "--out", str(tmp_path / "r.xlsx"))
    assert r.returncode == 0 and "2 家企业" in r.stdout and "600,000 元" in r.stdout
    assert one_line_error(run_cli("roster", "--db", str(db), "--item", "P1:2", "--out", str(tmp_path / "r.xlsx")))
    assert one_line_error(run_cli("roster", "--db", str(db), "--out", str(tmp_path / "r.xlsx")))


def test_certs_import_cli(tmp_path):
    db = tmp_path / "f.db"
    make_db(db)
    write_xlsx(tmp_path / "l.xlsx", [[1, "山西晋韵古建筑有限公司", "91140105MA0GRKWX1A", "2023-11-30"], [2, "查无此企业", None, None]])
    r = run_cli("certs", "import", str(tmp_path / "l.xlsx"), "--cert", "hitech", "--db", str(db))
    assert r.returncode == 0 and "已关联 1 家" in r.stdout and "待人工核对 1 行" in r.stdout
    assert one_line_error(run_cli("certs", "import", str(tmp_path / "l.xlsx"), "--cert", "nope", "--db", str(db)))
    assert one_line_error(run_cli("certs", "import", str(tmp_path / "l.xlsx"), "--cert", "hitech", "--db", str(tmp_path / "x.db")))
