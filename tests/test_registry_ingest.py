"""Registry ingest: the broken 55-row registry in UTF-8 and GBK, every reject kind, every format, streaming."""

from __future__ import annotations

import importlib.util
import sqlite3

import numpy as np
import pandas as pd
import pytest
from conftest import TEST_DATA

from policymatch.errors import RegistryError, StoreError
from policymatch.registry import generate_registry, iter_db_firms, load_registry, read_registry, write_registry

_spec = importlib.util.spec_from_file_location("make_broken_registry", TEST_DATA / "make_broken_registry.py")
broken = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(broken)

BROKEN = {"utf8": TEST_DATA / "registry_broken_utf8.csv", "gbk": TEST_DATA / "registry_broken_gbk.csv"}


def _read_all(path, chunk_size=200_000):
    chunks = list(read_registry(path, chunk_size=chunk_size))
    firms = pd.concat([c.firms for c in chunks], ignore_index=True)
    rejects = pd.concat([c.rejects for c in chunks], ignore_index=True)
    return firms, rejects, chunks


@pytest.mark.parametrize("encoding", ["utf8", "gbk"])
def test_broken_registry_loads_40_and_rejects_15_with_reasons(encoding, tmp_path):
    path = BROKEN[encoding]
    raw = path.read_bytes()
    assert ("统一社会信用代码".encode("gbk") in raw) == (encoding == "gbk")  # the fixture really is that encoding
    db = tmp_path / "r.db"
    summary = load_registry(path, db)
    assert (summary.read, summary.loaded, summary.rejected) == (55, 40, 15)
    assert summary.encoding == ("gb18030" if encoding == "gbk" else "utf-8-sig")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM firms").fetchone()[0] == 40
        rejects = conn.execute("SELECT file, row, column, value, reason FROM rejects ORDER BY row").fetchall()
    assert len(rejects) == 15
    expected = {pos + 2: (words, value) for pos, _, value, words in broken.BAD}  # header is row 1
    assert [r[1] for r in rejects] == sorted(expected)
    for file, row, _column, value, reason in rejects:
        words, bad_value = expected[row]
        assert file == str(path)
        assert words in reason, (row, reason)
        if bad_value not in ("CHECK", "SHORT", "DUP"):
            assert value == bad_value


def test_both_encodings_give_identical_firms():
    a, ra, _ = _read_all(BROKEN["utf8"])
    b, rb, _ = _read_all(BROKEN["gbk"])
    pd.testing.assert_frame_equal(a, b)
    assert ra["reason"].tolist() == rb["reason"].tolist()


def test_loaded_values_are_the_generated_ones_in_yuan():
    firms, _, _ = _read_all(BROKEN["utf8"])
    source = generate_registry(100, seed=55).set_index("uscc")
    for _, f in firms.iterrows():
        s = source.loc[f["uscc"]]
        for col in ("revenue", "revenue_prev", "total_assets", "registered_capital", "employees"):
            if col == "revenue" and pd.isna(f[col]):
                continue
            assert (pd.isna(f[col]) and pd.isna(s[col])) or f[col] == s[col], col
        assert f["name"] == s["name"] and f["region"] == s["region"] and f["industry"] == s["industry"]
        assert (pd.isna(f["tax_credit"]) and pd.isna(s["tax_credit"])) or f["tax_credit"] == s["tax_credit"]
    # an empty cell stays missing, never 0 or ""
    assert firms["revenue_prev"].isna().any() and not (firms["revenue_prev"] == 0).any()


def test_the_later_duplicate_wins():
    firms, rejects, _ = _read_all(BROKEN["utf8"])
    rows = pd.read_csv(BROKEN["utf8"], dtype=str, keep_default_na=False)
    winner = rows.iloc[50]  # data row 52
    assert firms["uscc"].is_unique
    assert firms.loc[firms["uscc"] == winner["统一社会信用代码"], "name"].item() == winner["企业名称"]
    dup = rejects[rejects["row"] == 46]
    assert dup["value"].item() == winner["统一社会信用代码"] and "第52行" in dup["reason"].item()


def test_small_chunks_give_the_same_result(tmp_path):
    whole, rw, _ = _read_all(BROKEN["gbk"])
    parts, rp, chunks = _read_all(BROKEN["gbk"], chunk_size=7)
    assert len(chunks) == 8 and all(c.read <= 7 for c in chunks)
    pd.testing.assert_frame_equal(whole, parts)
    pd.testing.assert_frame_equal(rw, rp)


def test_size_is_derived_when_not_given():
    firms, _, _ = _read_all(BROKEN["utf8"])
    source = generate_registry(100, seed=55).set_index("uscc")
    known = firms["size"].notna()
    assert known.mean() > 0.8
    assert (firms.loc[known, "size"].to_numpy() == source.loc[firms.loc[known, "uscc"], "size"].to_numpy()).all()


HEAD = "统一社会信用代码,企业名称,营业收入（万元）,从业人员,成立日期,纳税信用等级,是否失信,所有制类型,企业规模,上市情况,行政区划代码,行业代码,高新技术企业\n"
GOOD = "914403001922038216,华为,100,10,2020-01-01,A,否,民营,小型,未上市,140105,6513,2021-01-01\n"
COLS = HEAD.strip().split(",")


def _bad_row(column: str, value: str) -> str:
    cells = GOOD.strip().split(",")
    cells[0] = "91140106713678575D"
    cells[COLS.index(column)] = value
    return ",".join(cells) + "\n"


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("统一社会信用代码", "91140106713678575E", "统一社会信用代码校验位错误"),
        ("统一社会信用代码", "9114010671367857", "统一社会信用代码应为18位（实为16位）"),
        ("统一社会信用代码", "9114O106713678575D", "统一社会信用代码含非法字符"),
        ("统一社会信用代码", "", "缺少统一社会信用代码"),
        ("营业收入（万元）", "abc", "营业收入不是数字"),
        ("营业收入（万元）", "-1", "营业收入不能为负数"),
        ("营业收入（万元）", "1e300", "营业收入数值过大"),
        ("营业收入（万元）", "inf", "营业收入不是有限数值"),
        ("从业人员", "十", "从业人员不是数字"),
        ("从业人员", "-2", "从业人员不能为负数"),
        ("从业人员", "2.5", "从业人员应为整数"),
        ("成立日期", "2020-13-01", "成立日期不是有效日期"),
        ("成立日期", "1899-12-31", "成立日期不可能"),
        ("纳税信用等级", "AA", "纳税信用等级未知（应为 A/B/M/C/D）"),
        ("是否失信", "也许", "失信记录无法识别"),
        ("所有制类型", "合资", "所有制类型未知"),
        ("企业规模", "巨型", "企业规模未知"),
        ("上市情况", "纳斯达克", "上市情况未知"),
        ("行政区划代码", "140199", "行政区划代码未知"),
        ("行业代码", "C35", "行业代码未知"),
        ("高新技术企业", "待定", "高新技术企业取值无法识别"),
        ("高新技术企业", "2999-01-01", "高新技术企业认定日期不可能"),
    ],
)
def test_every_reject_kind(tmp_path, column, value, reason):
    p = tmp_path / "one.csv"
    p.write_text(HEAD + GOOD + _bad_row(column, value), encoding="utf-8")
    firms, rejects, _ = _read_all(p)
    assert len(firms) == 1 and firms["uscc"].item() == "914403001922038216"
    assert len(rejects) == 1
    r = rejects.iloc[0]
    assert r["row"] == 3 and reason in r["reason"]
    assert r["value"] == value or column == "统一社会信用代码"


def test_reject_kinds_that_are_not_cells(tmp_path):
    p = tmp_path / "lines.csv"
    dup = GOOD.replace("华为", "华为（更正）")
    p.write_text(HEAD + GOOD + "914403001922038216,只有三列,1\n" + dup, encoding="utf-8")
    firms, rejects, _ = _read_all(p)
    assert firms["name"].tolist() == ["华为（更正）"]
    assert rejects["row"].tolist() == [2, 3]
    assert "已被第4行取代" in rejects["reason"].iloc[0]
    assert "列数不对（表头13列，本行3列）" == rejects["reason"].iloc[1]


def test_several_problems_in_one_row_are_one_reject(tmp_path):
    p = tmp_path / "multi.csv"
    p.write_text(HEAD + GOOD.replace(",10,", ",-1,").replace(",A,", ",Z,"), encoding="utf-8")
    _, rejects, _ = _read_all(p)
    assert len(rejects) == 1
    assert rejects["column"].item() == "employees"
    assert "另有1处问题" in rejects["reason"].item() and "纳税信用等级" in rejects["reason"].item()


def test_accepted_spellings(tmp_path):
    p = tmp_path / "spell.csv"
    head = "社会信用代码,营业收入(亿元),是否失信,高新技术企业,纳税信用等级,成立日期,企业规模,行业代码\n"
    p.write_text(head + " 914403001922038216 ,1.5,1,是,b级,2020年1月5日,中型企业,C3562\n", encoding="utf-8")
    firms, rejects, _ = _read_all(p)
    assert rejects.empty
    f = firms.iloc[0]
    assert f["revenue"] == 150_000_000 and f["dishonest"] == True  # noqa: E712
    assert f["certs.hitech"] == "true" and f["tax_credit"] == "B" and f["established"] == "2020-01-05"
    assert f["size"] == "medium" and f["industry"] == "3562"


def test_file_level_problems(tmp_path):
    (tmp_path / "nouscc.csv").write_text("企业名称,营业收入\n甲,1\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="找不到统一社会信用代码列"):
        list(read_registry(tmp_path / "nouscc.csv"))
    (tmp_path / "twice.csv").write_text("uscc,营业收入（万元）,营业收入（元）\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="两列都表示"):
        list(read_registry(tmp_path / "twice.csv"))
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    with pytest.raises(RegistryError, match="不支持的文件类型"):
        list(read_registry(tmp_path / "x.json"))
    with pytest.raises(RegistryError, match="文件不存在"):
        list(read_registry(tmp_path / "missing.csv"))
    (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(RegistryError):
        list(read_registry(tmp_path / "bin.csv"))
    with pytest.raises(StoreError):
        list(iter_db_firms(tmp_path / "none.db"))


def test_ignored_columns_are_reported(tmp_path):
    p = tmp_path / "extra.csv"
    p.write_text("统一社会信用代码,备注,法定代表人\n914403001922038216,x,y\n", encoding="utf-8")
    chunks = list(read_registry(p))
    assert chunks[0].ignored_columns == ["备注", "法定代表人"]
    assert list(chunks[0].firms.columns) == ["uscc", "size"]


@pytest.mark.parametrize("suffix", [".parquet", ".db", ".xlsx", ".csv"])
def test_every_format_round_trips_a_generated_registry(tmp_path, suffix):
    df = generate_registry(300, seed=3)
    path = tmp_path / f"r{suffix}"
    if suffix == ".xlsx":
        df.astype(object).where(df.notna(), None).to_excel(path, index=False)
    else:
        write_registry(df, path)
    firms, rejects, _ = _read_all(path, chunk_size=120)
    assert rejects.empty, rejects.head().to_dict("records")
    pd.testing.assert_frame_equal(firms[df.columns], df, check_dtype=True)


def test_load_then_iterate_db(tmp_path):
    df = generate_registry(500, seed=4)
    src = tmp_path / "r.parquet"
    write_registry(df, src)
    s = load_registry(src, tmp_path / "r.db", chunk_size=200)
    assert (s.read, s.loaded, s.rejected) == (500, 500, 0)
    back = pd.concat(list(iter_db_firms(tmp_path / "r.db", chunk_size=128)), ignore_index=True)
    pd.testing.assert_frame_equal(back[df.columns], df)
    # loading again replaces, it does not append
    assert load_registry(src, tmp_path / "r.db").loaded == 500
    with sqlite3.connect(tmp_path / "r.db") as conn:
        assert conn.execute("SELECT count(*) FROM firms").fetchone()[0] == 500


def test_missing_cert_columns_stay_absent(tmp_path):
    p = tmp_path / "nocerts.csv"
    p.write_text("统一社会信用代码,高新技术企业\n914403001922038216,\n", encoding="utf-8")
    load_registry(p, tmp_path / "c.db")
    frame = next(iter_db_firms(tmp_path / "c.db"))
    assert "certs.hitech" in frame.columns and "certs.srdi" not in frame.columns
    assert frame["certs.hitech"].isna().all()  # known: not held


def test_header_only_file_creates_empty_tables(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("统一社会信用代码,营业收入\n", encoding="utf-8")
    s = load_registry(p, tmp_path / "e.db")
    assert (s.read, s.loaded, s.rejected) == (0, 0, 0)
    assert sum(len(f) for f in iter_db_firms(tmp_path / "e.db")) == 0


def test_rows_read_equal_loaded_plus_rejected_on_a_big_messy_file(tmp_path):
    df = generate_registry(3000, seed=9).astype(object)
    rng = np.random.default_rng(0)
    bad = rng.choice(len(df), 300, replace=False)
    df.loc[bad[:100], "revenue"] = "n/a"
    df.loc[bad[100:200], "region"] = "999999"
    df.loc[bad[200:], "uscc"] = df.loc[bad[200:], "uscc"].str.slice(0, 17)
    p = tmp_path / "messy.csv"
    df.to_csv(p, index=False, encoding="gb18030")
    s = load_registry(p, tmp_path / "m.db", chunk_size=500)
    assert (s.read, s.loaded, s.rejected) == (3000, 2700, 300)


def test_blank_header_cells_and_trailing_delimiters(tmp_path):
    p = tmp_path / "trailing.csv"
    p.write_text("统一社会信用代码,,营业收入,\n914403001922038216,x,5,\n91140106713678575D,,7\n", encoding="utf-8")
    firms, rejects, chunks = _read_all(p)
    assert rejects.empty and firms["revenue"].tolist() == [5, 7]
    assert chunks[0].ignored_columns == ["未命名列2"]


def test_utf16_tab_separated_export(tmp_path):
    p = tmp_path / "unicode.txt"
    p.write_text("统一社会信用代码\t企业名称\t营业收入（万元）\n914403001922038216\t华为\t2.5\n", encoding="utf-16")
    firms, rejects, chunks = _read_all(p)
    assert rejects.empty and chunks[0].encoding == "utf-16"
    assert firms["name"].tolist() == ["华为"] and firms["revenue"].tolist() == [25_000]
