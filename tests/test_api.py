"""The library surface: every public name exists, is documented, and functions show a runnable example."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import policymatch
from policymatch.api import explain_policy, get_policy, load_firm, rules_from, search_policies
from policymatch.errors import InputError, PolicymatchError

from conftest import ROOT, RULES


@pytest.mark.parametrize("name", [n for n in policymatch.__all__ if n != "__version__"])
def test_every_public_name_exists_and_is_documented(name):
    obj = getattr(policymatch, name)
    doc = inspect.getdoc(obj)
    assert doc and len(doc.splitlines()[0]) > 5, name
    if inspect.isfunction(obj):
        assert ">>>" in doc, f"{name}: a public function shows a runnable example"
        assert inspect.signature(obj).return_annotation is not inspect.Signature.empty, f"{name} is typed"


def test_public_names_are_listed_by_dir_and_unknown_names_fail():
    assert set(policymatch.__all__) <= set(dir(policymatch))
    with pytest.raises(AttributeError):
        policymatch.no_such_thing  # noqa: B018


def test_errors_are_one_family():
    for name in ("InputError", "RuleError", "RegistryError", "ParseError", "StoreError"):
        assert issubclass(getattr(policymatch, name), PolicymatchError)


def test_import_is_light():
    code = "import sys, policymatch; print('sklearn' in sys.modules, 'jieba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_rules_from_accepts_none_a_folder_or_documents_and_caches_loading():
    bundled = rules_from()
    assert rules_from(RULES) == bundled
    assert rules_from(bundled[:2]) == bundled[:2]
    assert rules_from(RULES)[0] is rules_from(str(RULES))[0]  # cached on paths and mtimes
    with pytest.raises(InputError):
        rules_from([{"id": "x"}])


def test_get_policy_names_what_exists():
    with pytest.raises(InputError, match="可用编号"):
        get_policy("nope")


def test_search_and_explain_through_the_facade():
    hit = search_policies("研发 补助", limit=1)[0]
    r = explain_policy(hit.policy_id, hit.items[0].item_id)
    assert r.items[0].item_id == hit.items[0].item_id


def test_load_firm_from_a_registry_database(tmp_path):
    import sqlite3

    db = tmp_path / "firms.db"
    con = sqlite3.connect(db)
    con.execute('CREATE TABLE firms (uscc TEXT PRIMARY KEY, name TEXT, region TEXT, revenue INTEGER, '
                '"certs.hitech" TEXT, loaded_at TEXT)')
    con.execute("INSERT INTO firms VALUES (?, ?, ?, ?, ?, ?)",
                ("914403001922038216", "华为技术有限公司", "440300", None, "2020-01-01", "x"))
    con.commit()
    con.close()
    firm = load_firm("914403001922038216", db)
    assert firm.loc[0, ["name", "region", "certs.hitech"]].tolist() == ["华为技术有限公司", "440300", "2020-01-01"]
    # explain for that firm: the 高企 condition of 043 2-3 is met, the revenue one lacks data
    r = explain_policy("043", "2-3", firm="914403001922038216", db=db, as_of="2025-01-01")
    assert [ln.status for ln in r.items[0].section("conditions")] == ["met", "unknown"]
    with pytest.raises(InputError, match="找不到"):
        load_firm("91440300708461136T", db)
    with pytest.raises(InputError):
        load_firm("914403001922038216", tmp_path / "missing.db")
    with pytest.raises(InputError, match="--db"):
        load_firm("914403001922038216")
