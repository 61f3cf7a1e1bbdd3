"""certs import: USCC, exact-normalised and fuzzy name links set certs.<code>; ambiguous/missing rows go to review."""

from __future__ import annotations

import json

import pytest
import sqlite_utils
from openpyxl import Workbook

from policymatch.certs_import import import_certs, normalise_name
from policymatch.errors import InputError

FIRMS = [
    {"uscc": "91140105MA0GRKWX1A", "name": "山西晋韵古建筑有限公司", "region": "140105"},
    {"uscc": "91140105MA0GRKWX2B", "name": "太原市鑫达精密机械制造有限公司", "region": "140105"},
    {"uscc": "91140105MA0GRKWX3C", "name": "太原华宇科技有限公司", "region": "140106"},
    {"uscc": "91140105MA0GRKWX4D", "name": "太原华宇科技股份有限公司", "region": "140107"},  # same normalised name
    {"uscc": "91140105MA0GRKWX5E", "name": "山西龙城新材料研究院有限公司", "region": "140108", "certs.hitech": "2019-10-01"},
    {"uscc": "91140105MA0GRKWX6F", "name": "山西省太原市晋源区金胜镇鑫源精密铸造机械制造厂", "region": "140110"},
]


def make_db(path, with_column=True):
    db = sqlite_utils.Database(path)
    rows = [dict(r) for r in FIRMS]
    if not with_column:
        for r in rows:
            r.pop("certs.hitech", None)
    db["firms"].insert_all(rows, pk="uscc", alter=True)
    return db


def write_xlsx(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["2023年山西省第一批拟认定高新技术企业名单"])  # a title line before the header, as published
    ws.append(["序号", "企业名称", "统一社会信用代码", "认定日期"])
    for r in rows:
        ws.append(r)
    wb.save(path)


def test_links_by_uscc_exact_and_fuzzy_name_and_reviews_the_rest(tmp_path):
    db_path = tmp_path / "f.db"
    make_db(db_path)
    write_xlsx(
        tmp_path / "list.xlsx",
        [
            [1, "山西晋韵古建筑有限公司", "91140105MA0GRKWX1A", "2023-11-30"],  # by USCC
            [2, "太原市鑫达精密机械制造（山西）有限责任公司", None, "2023年11月30日"],  # exact after normalising
            [3, "太原市鑫达精密机械制造有限公司", None, None],  # same firm again: date from --date, earliest kept
            [4, "太原华宇科技有限公司", None, None],  # two firms normalise to this: ambiguous
            [5, "大同市完全不同的企业有限公司", None, None],  # missing
            [6, "山西龍城新材料研究院", None, "2023-11-30"],  # fuzzy (one traditional character): ratio ≥ 95? no → review
            [7, "某某公司", "91110000600037341L", None],  # valid USCC not in the registry
        ],
    )
    s = import_certs(tmp_path / "list.xlsx", "hitech", db_path, date_="2023-12-15")
    assert s.n_rows == 7
    assert s.linked == {"uscc": 1, "name_exact": 2, "name_fuzzy": 0}
    db = sqlite_utils.Database(db_path)
    held = {r["uscc"]: r["certs.hitech"] for r in db["firms"].rows}
    assert held["91140105MA0GRKWX1A"] == "2023-11-30"
    assert held["91140105MA0GRKWX2B"] == "2023-11-30"  # the earlier of 2023-11-30 and 2023-12-15
    assert held["91140105MA0GRKWX3C"] is None and held["91140105MA0GRKWX4D"] is None  # ambiguous: untouched
    assert held["91140105MA0GRKWX5E"] == "2019-10-01"  # not linked: untouched
    review = {r["row"]: r for r in db["cert_review"].rows}
    assert set(review) == {6, 7, 8, 9}
    amb = json.loads(review[6]["candidates"])
    assert {c["uscc"] for c in amb} >= {"91140105MA0GRKWX3C", "91140105MA0GRKWX4D"}
    assert "2 家" in review[6]["reason"] and "不在企业库" in review[9]["reason"]
    assert any(c["uscc"] == "91140105MA0GRKWX5E" for c in json.loads(review[8]["candidates"]))
    # importing the same list again changes nothing and does not duplicate review rows
    s2 = import_certs(tmp_path / "list.xlsx", "hitech", db_path, date_="2023-12-15")
    assert s2.n_updated == 0 and db["cert_review"].count == 4 and db["cert_links"].count == 3


def test_fuzzy_link_only_when_confident(tmp_path):
    db_path = tmp_path / "f.db"
    make_db(db_path, with_column=False)
    # one character different in a long name: ratio ≥ 95 with a clear margin → linked, logged with its score
    write_xlsx(tmp_path / "l.xlsx", [[1, "山西省太原市晋源区金胜镇鑫源精密铸件机械制造厂", None, None]])
    s = import_certs(tmp_path / "l.xlsx", "srdi", db_path, date_="2024-01-05")
    assert s.linked["name_fuzzy"] == 1 and s.created_column
    db = sqlite_utils.Database(db_path)
    assert db["firms"].get("91140105MA0GRKWX6F")["certs.srdi"] == "2024-01-05"
    link = next(iter(db["cert_links"].rows))
    assert link["method"] == "name_fuzzy" and 95 <= link["score"] < 100
    assert "名单之外的企业将被视为未持有" in s.to_text()


def test_gbk_csv_without_title_line(tmp_path):
    db_path = tmp_path / "f.db"
    make_db(db_path)
    (tmp_path / "l.csv").write_bytes("企业名称,统一社会信用代码\n太原华宇科技股份有限公司,91140105MA0GRKWX4D\n".encode("gbk"))
    s = import_certs(tmp_path / "l.csv", "gazelle", db_path)
    assert s.linked["uscc"] == 1
    assert sqlite_utils.Database(db_path)["firms"].get("91140105MA0GRKWX4D")["certs.gazelle"] == "true"


def test_bad_inputs_are_one_line_errors(tmp_path):
    db_path = tmp_path / "f.db"
    make_db(db_path)
    with pytest.raises(InputError, match="未知的资质代码"):
        import_certs(tmp_path / "x.xlsx", "nope", db_path)
    (tmp_path / "n.csv").write_text("甲,乙\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="找不到表头"):
        import_certs(tmp_path / "n.csv", "hitech", db_path)


def test_normalisation_table():
    assert normalise_name("ＡＢＣ科技（太原）有限公司") == normalise_name("abc科技有限公司") == "abc科技"
    assert normalise_name("某某投资（有限合伙）") == "某某投资有限合伙"
