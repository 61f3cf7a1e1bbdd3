"""Store and push on hand-made match frames: idempotent chunk writes, diffing, withdrawn once, exactly once under crashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT

from policymatch.errors import InputError, StoreError
from policymatch.model.types import Benefit, Condition, Document, Item
from policymatch.push import push
from policymatch.store import Store

DOCS = [
    Document(
        id="P1",
        title="测试政策",
        valid_from="2020-01-01",
        valid_to="2022-12-31",
        items=(
            Item(
                id="1",
                name="高企奖励",
                conditions=(Condition("certs.hitech", "has", None, "国家高新技术企业"),),
                benefit=Benefit(kind="award", amount=300000, max_amount=300000, text="奖励30万元"),
                apply_mode="auto",
            ),
            Item(id="2", name="研发补助", benefit=Benefit(kind="subsidy", cap=500000, max_amount=500000)),
        ),
    )
]


def frame(rows):
    cols = ["uscc", "policy_id", "item_id", "status", "amount", "granted", "score", "near_miss"]
    df = pd.DataFrame(rows, columns=cols)
    df["amount"] = df["amount"].astype("Int64")
    return df


def run_once(db, rows, *, as_of="2021-06-30", rules_hash="h1", chunks=1):
    """One complete run writing ``rows`` split over ``chunks`` chunks."""
    s = Store(db)
    s.register_rules(DOCS, rules_hash)
    run = s.start_run(as_of=as_of, rules_hash=rules_hash, source="t", fingerprint=str(rows), chunk_size=1)
    df = frame(rows)
    parts = [df.iloc[i::chunks] for i in range(chunks)]
    firms = pd.DataFrame({"uscc": df["uscc"].unique(), "name": "某公司", "region": "140105"})
    for k, part in enumerate(parts):
        s.write_matches(part, run, chunk_id=k, n_firms=len(part), firms=firms)
    info = s.finish_run(run)
    s.close()
    return info


def read_lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


BASE = [
    ("A", "P1", "1", "eligible", 300000, True, 100.0, None),
    ("A", "P1", "2", "unknown", None, False, 60.0, '["研发费用未知"]'),
    ("B", "P1", "1", "eligible", 300000, True, 100.0, None),
]


def test_chunk_write_is_idempotent_and_finish_removes_stale(tmp_path):
    db = tmp_path / "o.db"
    s = Store(db)
    run = s.start_run(as_of="2021-06-30", rules_hash="h", source="t", fingerprint="f", chunk_size=2)
    df = frame(BASE + [("C", "P1", "2", "ineligible", None, False, 0.0, None)])
    assert s.write_matches(df, run, chunk_id=0) == 3  # ineligible row not kept
    assert s.write_matches(df, run, chunk_id=0) == 0
    assert s.done_chunks(run) == {0}
    # resuming: same inputs → same run id; other inputs → a new run, the old one abandoned
    assert s.start_run(as_of="2021-06-30", rules_hash="h", source="t", fingerprint="f", chunk_size=2) == run
    run2 = s.start_run(as_of="2021-06-30", rules_hash="h", source="t", fingerprint="g", chunk_size=2)
    assert run2 != run and s.run(run)["status"] == "abandoned"
    s.write_matches(frame(BASE[:1]), run2, chunk_id=0)
    info = s.finish_run(run2)
    assert info["n_matches"] == 1 and info["n_removed"] == 2
    assert s.matches()["uscc"].tolist() == ["A"]


def test_write_matches_rejects_frames_without_key_columns(tmp_path):
    s = Store(tmp_path / "o.db")
    with pytest.raises(StoreError):
        s.write_matches(pd.DataFrame({"uscc": ["A"]}), 1)


def test_push_new_then_nothing_then_changed_and_withdrawn_once(tmp_path):
    db = tmp_path / "o.db"
    run_once(db, BASE)
    s1 = push(db, tmp_path / "p1.jsonl")
    lines = read_lines(tmp_path / "p1.jsonl")
    assert (s1.n_new, s1.n_changed, s1.n_withdrawn) == (3, 0, 0)
    assert {(x["uscc"], x["item_id"], x["event"]) for x in lines} == {("A", "1", "new"), ("A", "2", "new"), ("B", "1", "new")}
    a1 = next(x for x in lines if x["uscc"] == "A" and x["item_id"] == "1")
    assert a1["status_label"] == "符合条件" and a1["benefit"]["amount"] == 300000 and a1["granted"] is True
    assert "国家高新技术企业" in a1["reasons"][0] and a1["firm_name"] == "某公司"

    # same inputs again: nothing to push, no file written
    run_once(db, BASE)
    s2 = push(db, tmp_path / "p2.jsonl")
    assert not s2.written and not (tmp_path / "p2.jsonl").exists()

    # A's item 2 becomes eligible with an amount; B disappears
    changed = [BASE[0], ("A", "P1", "2", "eligible", 200000, False, 100.0, None)]
    run_once(db, changed)
    s3 = push(db, tmp_path / "p3.jsonl")
    lines = read_lines(tmp_path / "p3.jsonl")
    assert {(x["uscc"], x["item_id"], x["event"]) for x in lines} == {("A", "2", "changed"), ("B", "1", "withdrawn")}
    ch = next(x for x in lines if x["event"] == "changed")
    assert ch["previous"]["status"] == "unknown" and ch["benefit"]["amount"] == 200000
    wd = next(x for x in lines if x["event"] == "withdrawn")
    assert wd["status"] == "withdrawn" and wd["reasons"]

    # withdrawn only once; a later reappearance is new again
    run_once(db, changed)
    assert not push(db, tmp_path / "p4.jsonl").written
    run_once(db, BASE)
    lines = read_lines(tmp_path / "p5.jsonl") if push(db, tmp_path / "p5.jsonl").written else []
    assert {(x["uscc"], x["item_id"], x["event"]) for x in lines} == {("A", "2", "changed"), ("B", "1", "new")}


def test_push_refuses_unfinished_run_and_existing_file(tmp_path):
    db = tmp_path / "o.db"
    run_once(db, BASE)
    push(db, tmp_path / "p1.jsonl")
    with pytest.raises(InputError):
        push(db, tmp_path / "p1.jsonl")
    s = Store(db)
    s.start_run(as_of="2021-06-30", rules_hash="h1", source="t", fingerprint="other", chunk_size=1)
    s.close()
    with pytest.raises(StoreError, match="尚未完成"):
        push(db, tmp_path / "p2.jsonl")


def _push_subprocess(db, out, crash_at):
    env = dict(os.environ, PYTHONPATH=str(ROOT), POLICYMATCH_CRASH_AT=crash_at)
    code = f"from policymatch.push import push; push({str(db)!r}, {str(out)!r})"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("crash_at", ["push:before_commit", "push:after_commit", "push:after_rename"])
def test_push_killed_at_each_point_delivers_every_change_exactly_once(tmp_path, crash_at):
    db = tmp_path / "o.db"
    run_once(db, BASE, chunks=2)
    first = tmp_path / "first.jsonl"
    r = _push_subprocess(db, first, crash_at)
    assert r.returncode == -9, r.stderr
    # the next push completes whatever the killed one committed, then pushes the rest
    second = tmp_path / "second.jsonl"
    push(db, second)
    third = tmp_path / "third.jsonl"
    assert not push(db, third).written
    delivered = [read_lines(p) for p in (first, second) if p.exists()]
    keys = [(x["uscc"], x["item_id"], x["event"]) for lines in delivered for x in lines]
    assert sorted(keys) == sorted({("A", "1", "new"), ("A", "2", "new"), ("B", "1", "new")})
    assert not list(tmp_path.glob(".*.tmp"))


def test_gzip_push_reads_back(tmp_path):
    from policymatch.push import read_push_file

    db = tmp_path / "o.db"
    run_once(db, BASE)
    s = push(db, tmp_path / "p.jsonl.gz")
    assert s.n_new == 3 and len(read_push_file(tmp_path / "p.jsonl.gz")) == 3
    with pytest.raises(InputError):
        push(db, tmp_path / "p.txt")
