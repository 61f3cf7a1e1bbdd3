"""Shared match patterns: whatever rows go in, the ``matches`` view gives back exactly the current rows.

The store keeps most rows as patterns shared by many firms (``policymatch.match_patterns``);
these tests check it against the plain meaning of the batch contract, on random runs: after
each finished run, ``matches`` holds the kept rows of that run and nothing else, and
``n_removed`` is the number of (firm, item) pairs that were there before and are gone now.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policymatch.match_patterns import compact_matches
from policymatch.store import MATCH_COLUMNS, Store

CONTENT = [c for c in MATCH_COLUMNS if c != "run_id"]
KEY = ["uscc", "policy_id", "item_id"]
FIRMS = ["A", "B", "C", "D", "E", "F"]
ITEMS = [("P1", "1"), ("P1", "2"), ("P2", "1"), ("P2", "10"), ("P3", "x")]


@st.composite
def run_rows(draw):
    """Rows of one run: each (firm, item) at most once; values drawn from small sets so that firms share rows."""
    rows = []
    for firm in FIRMS:
        for pid, iid in ITEMS:
            status = draw(st.sampled_from(["eligible", "unknown", "ineligible", None]))
            if status is None:
                continue
            amount = draw(st.sampled_from([None, 100_000, 300_000, 12_345]))
            met = draw(st.integers(0, 3))
            rows.append(
                {
                    "uscc": firm,
                    "policy_id": pid,
                    "item_id": iid,
                    "status": status,
                    "amount": amount,
                    "granted": status == "eligible" and draw(st.booleans()),
                    "score": met * 25.0,
                    "near_miss": draw(st.sampled_from([None, None, None, '["差一点"]'])),
                    "n_met": met,
                    "n_unmet": 0,
                    "n_unknown": 4 - met,
                }
            )
    return pd.DataFrame(rows, columns=CONTENT)


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["amount"] = out["amount"].astype("Int64")
    return out


def _kept(df: pd.DataFrame) -> pd.DataFrame:
    k = df[df["status"].isin(["eligible", "unknown"])]
    return _normalise(k)


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    out = df[CONTENT].copy()
    out["amount"] = pd.array(out["amount"], dtype="Int64")
    out["granted"] = out["granted"].astype(bool)
    out["score"] = out["score"].astype(float)
    for c in ("n_met", "n_unmet", "n_unknown"):
        out[c] = out[c].astype("int64")
    out["near_miss"] = out["near_miss"].astype(object).where(out["near_miss"].notna(), None)
    for c in ("uscc", "policy_id", "item_id", "status"):
        out[c] = out[c].astype(str)
    return out.sort_values(KEY).reset_index(drop=True)


def _write_run(store: Store, df: pd.DataFrame, n_chunks: int, by_firm: bool, tag: str) -> dict:
    run = store.start_run(as_of="2021-06-30", rules_hash=tag, source="t", fingerprint=tag, chunk_size=1)
    if by_firm:  # how the batch splits: a firm's rows all in one chunk
        parts = [df[df["uscc"].isin(FIRMS[k::n_chunks])] for k in range(n_chunks)]
    else:  # a caller splitting one firm's rows over chunks
        parts = [df.iloc[k::n_chunks] for k in range(n_chunks)]
    firms = pd.DataFrame({"uscc": FIRMS, "name": [f"{f}公司" for f in FIRMS], "region": "140105"})
    for k, part in enumerate(parts):
        store.write_matches(_frame(part), run, chunk_id=k, firms=firms)
    return store.finish_run(run)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=st.lists(st.tuples(run_rows(), st.integers(1, 3), st.booleans()), min_size=1, max_size=3))
def test_matches_view_is_exactly_the_last_runs_kept_rows(tmp_path_factory, runs):
    db = tmp_path_factory.mktemp("store") / "o.db"
    store = Store(db)
    before: set[tuple] = set()
    try:
        for k, (rows, n_chunks, by_firm) in enumerate(runs):
            info = _write_run(store, rows, n_chunks, by_firm, f"r{k}")
            expected = _kept(rows)
            got = _normalise(store.matches())
            pd.testing.assert_frame_equal(got, expected, check_dtype=False)
            now = set(map(tuple, expected[KEY].to_numpy().tolist()))
            assert info["n_matches"] == len(expected)
            assert info["n_removed"] == len(before - now)
            assert info["n_eligible"] == int((expected["status"] == "eligible").sum())
            before = now
    finally:
        store.close()


def test_identical_firms_share_one_pattern_and_firm_specific_amounts_stay_rows(tmp_path):
    rows = []
    for firm in ("A", "B", "C"):
        rows += [
            (firm, "P1", "1", "unknown", 300_000, False),
            (firm, "P1", "2", "eligible", 50_000, True),
            # a rate benefit: the amount is the firm's own
            (firm, "P2", "1", "eligible", {"A": 1000, "B": 2000, "C": 3000}[firm], True),
        ]
    df = pd.DataFrame(rows, columns=["uscc", "policy_id", "item_id", "status", "amount", "granted"])
    df["amount"] = df["amount"].astype("Int64")
    s = Store(tmp_path / "o.db")
    run = s.start_run(as_of="2021-06-30", rules_hash="h", source="t", fingerprint="f", chunk_size=1)
    s.write_matches(df, run, chunk_id=0)
    s.finish_run(run)
    assert s.db.execute("SELECT COUNT(*), SUM(n_rows) FROM patterns").fetchone() == (1, 2)
    assert s.db.execute("SELECT COUNT(*) FROM match_rows").fetchone()[0] == 3
    assert len(s.matches()) == 9
    s.close()


def test_signatures_do_not_depend_on_row_order_or_chunk_composition():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "uscc": np.repeat(["A", "B", "C", "D"], 5),
            "policy_id": ["P"] * 20,
            "item_id": [str(i) for i in range(5)] * 4,
            "status": ["unknown"] * 20,
            "amount": pd.array([100] * 20, dtype="Int64"),
            "n_met": [1, 2, 0, 1, 1] * 4,
        }
    )
    a = compact_matches(df)
    b = compact_matches(df.iloc[rng.permutation(20)])
    c = compact_matches(df[df["uscc"].isin(["C"])])
    assert len(a.signatures) == 1 and set(a.signatures) == set(b.signatures) == set(c.signatures)


def test_a_database_of_the_old_layout_is_upgraded_in_place(tmp_path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TABLE matches (uscc TEXT, policy_id TEXT, item_id TEXT, status TEXT, amount INTEGER, granted INTEGER, "
        "score REAL, near_miss TEXT, n_met INTEGER, n_unmet INTEGER, n_unknown INTEGER, run_id INTEGER, "
        "PRIMARY KEY (uscc, policy_id, item_id))"
    )
    conn.execute("CREATE TABLE match_firms (uscc TEXT PRIMARY KEY, name TEXT, region TEXT, run_id INTEGER)")
    conn.execute("INSERT INTO matches VALUES ('A', 'P1', '1', 'eligible', 300000, 1, 100.0, NULL, 1, 0, 0, 1)")
    conn.execute("INSERT INTO match_firms VALUES ('A', '甲公司', '140105', 1)")
    conn.execute("CREATE TABLE runs (run_id INTEGER PRIMARY KEY, as_of TEXT, status TEXT)")
    conn.execute("INSERT INTO runs VALUES (1, '2021-06-30', 'done')")
    conn.execute(
        "CREATE TABLE pushes (uscc TEXT, policy_id TEXT, item_id TEXT, status TEXT, amount INTEGER, granted INTEGER, "
        "withdrawn INTEGER, push_id INTEGER, pushed_at TEXT, PRIMARY KEY (uscc, policy_id, item_id))"
    )
    conn.execute("INSERT INTO pushes VALUES ('A', 'P1', '1', 'eligible', 300000, 1, 0, 1, '2021-07-01')")
    conn.commit()
    conn.close()
    s = Store(db)
    got = s.matches()
    assert got[KEY + ["status", "amount"]].values.tolist() == [["A", "P1", "1", "eligible", 300000]]
    assert "pattern_id" in s.db["match_firms"].columns_dict and "matches" in s.db.view_names()
    run = s.start_run(as_of="2021-06-30", rules_hash="h", source="t", fingerprint="f", chunk_size=1)
    s.finish_run(run)  # an empty run: A's match goes
    s.close()
    from policymatch.push import push, read_push_file

    assert push(db, tmp_path / "p.jsonl").n_withdrawn == 1
    assert [x["event"] for x in read_push_file(tmp_path / "p.jsonl")] == ["withdrawn"]


@pytest.mark.parametrize("split", [False, True])
def test_a_firm_split_over_chunks_keeps_all_its_rows(tmp_path, split):
    # chunk 0 gives A a pattern; chunk 1 brings more shareable rows of A in the same run
    df = pd.DataFrame(
        {
            "uscc": ["A", "B", "A", "B"],
            "policy_id": ["P"] * 4,
            "item_id": ["1", "1", "2", "2"],
            "status": ["unknown"] * 4,
            "amount": pd.array([1, 1, 2, 2], dtype="Int64"),
        }
    )
    s = Store(tmp_path / "o.db")
    run = s.start_run(as_of="2021-06-30", rules_hash="h", source="t", fingerprint="f", chunk_size=1)
    parts = [df.iloc[:2], df.iloc[2:]] if split else [df]
    for k, p in enumerate(parts):
        s.write_matches(p, run, chunk_id=k)
    info = s.finish_run(run)
    assert info["n_matches"] == 4 and len(s.matches()) == 4
    s.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=st.lists(st.tuples(run_rows(), st.integers(1, 3), st.booleans(), st.booleans()), min_size=1, max_size=4))
def test_pushes_folded_in_order_rebuild_the_current_matches_with_no_redundant_line(tmp_path_factory, runs):
    """Whatever the runs, applying every pushed line in order gives exactly ``matches``; a line is
    only ever pushed for a real difference from what the firm was last told."""
    from policymatch.push import push, read_push_file

    tmp = tmp_path_factory.mktemp("push")
    db = tmp / "o.db"
    told: dict[tuple, tuple] = {}
    for k, (rows, n_chunks, by_firm, do_push) in enumerate(runs):
        store = Store(db)
        try:
            _write_run(store, rows, n_chunks, by_firm, f"r{k}")
            now = {
                tuple(r[:3]): (r[3], None if pd.isna(r[4]) else int(r[4]), bool(r[5]))
                for r in _normalise(store.matches())[KEY + ["status", "amount", "granted"]].itertuples(index=False)
            }
        finally:
            store.close()
        if not do_push and k < len(runs) - 1:
            continue
        out = tmp / f"p{k}.jsonl"
        summary = push(db, out)
        lines = read_push_file(out) if summary.written else []
        assert summary.written == bool(lines)
        for x in lines:
            key = (x["uscc"], x["policy_id"], x["item_id"])
            if x["event"] == "withdrawn":
                assert key in told
                del told[key]
            else:
                value = (x["status"], x["benefit"]["amount"], x["granted"])
                assert (x["event"] == "new") == (key not in told)
                assert told.get(key) != value
                told[key] = value
        assert told == now
