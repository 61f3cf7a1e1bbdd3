"""End to end through the real entry point: generate → load, the broken registry, one-line errors."""

from __future__ import annotations

import sqlite3

from conftest import TEST_DATA, run_cli
from stdnum.cn import uscc as stdnum_uscc


def test_generate_then_load_all_firms(tmp_path):
    # the check uses 100,000 firms; 10,000 keeps the suite fast and exercises the same path
    out = run_cli("registry", "generate", "--n", "10000", "--seed", "1", "--out", "r.parquet", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "已生成 10000 家企业" in out.stdout
    res = run_cli("registry", "load", "r.parquet", "--db", "r.db", "--chunk", "3500", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "读取 10000 行 = 入库 10000 行 + 拒收 0 行" in res.stdout
    with sqlite3.connect(tmp_path / "r.db") as conn:
        codes = [r[0] for r in conn.execute("SELECT uscc FROM firms")]
    assert len(codes) == 10000 == len(set(codes))
    assert all(stdnum_uscc.is_valid(c) for c in codes)


def test_load_broken_gbk_registry(tmp_path):
    res = run_cli("registry", "load", str(TEST_DATA / "registry_broken_gbk.csv"), "--db", "b.db", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "读取 55 行 = 入库 40 行 + 拒收 15 行" in res.stdout
    assert "gb18030" in res.stdout and "校验位错误" in res.stdout
    assert "另有 5 行（5 种原因），详见数据库 b.db 的 rejects 表" in res.stdout


def test_generate_csv_and_db_with_extra_regions(tmp_path):
    res = run_cli("registry", "generate", "--n", "500", "--seed", "3", "--out", "r.db", "--extra-regions", "110108=0.2", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    with sqlite3.connect(tmp_path / "r.db") as conn:
        n_bj = conn.execute("SELECT count(*) FROM firms WHERE region = '110108'").fetchone()[0]
    assert 60 < n_bj < 140
    res = run_cli("registry", "load", "r.db", "--db", "loaded.db", cwd=tmp_path)
    assert "读取 500 行 = 入库 500 行 + 拒收 0 行" in res.stdout


def test_user_errors_are_one_chinese_line(tmp_path):
    cases = [
        ("registry", "load", "missing.csv", "--db", "x.db"),
        ("registry", "generate", "--n", "10", "--out", "x.json"),
        ("registry", "generate", "--n", "10", "--out", "x.parquet", "--extra-regions", "beijing"),
        ("registry", "generate", "--n", "10", "--out", "x.parquet", "--extra-regions", "999999=0.1"),
    ]
    for args in cases:
        res = run_cli(*args, cwd=tmp_path)
        assert res.returncode == 2, (args, res.stderr)
        lines = [line for line in res.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("错误："), (args, res.stderr)
        assert "Traceback" not in res.stderr


def test_help_is_chinese():
    res = run_cli("registry", "--help")
    assert res.returncode == 0 and "生成" in res.stdout and "导入" in res.stdout
    res = run_cli("registry", "load", "--help")
    assert "rejects" in res.stdout and "GBK" in res.stdout
