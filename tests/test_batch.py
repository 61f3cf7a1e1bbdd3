"""Batch job end to end on a generated registry: rerun idempotence, incremental push, workers, SIGKILL resume."""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import RULES, ROOT, run_cli

from policymatch.batch import run_batch
from policymatch.errors import StoreError
from policymatch.demo import DEMO_REGIONS
from policymatch.model import load_rules
from policymatch.push import push, read_push_file
from policymatch.registry import generate_registry, write_registry
from policymatch.store import MATCH_COLUMNS, Store

AS_OF = "2021-06-30"
CONTENT = [c for c in MATCH_COLUMNS if c != "run_id"]
N = 600  # ~80 eligible-or-unknown (firm, item) pairs per firm with the bundled rules


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    path = tmp_path_factory.mktemp("reg") / "registry.parquet"
    write_registry(generate_registry(N, 7, extra_regions=DEMO_REGIONS), path)
    return path


@pytest.fixture(scope="module")
def docs():
    return load_rules(RULES)


def current(db):
    s = Store(db)
    try:
        return s.matches(columns=tuple(CONTENT))
    finally:
        s.close()


def lines(path):
    return read_push_file(path) if path.exists() else []


def test_rerun_changes_nothing_and_pushes_nothing(tmp_path, registry, docs):
    db = tmp_path / "o.db"
    s1 = run_batch(registry, docs, db, AS_OF, chunk=300)
    assert s1.n_firms == N and s1.n_eligible > 0 and s1.n_unknown > 0
    first = current(db)
    assert set(first["status"]) <= {"eligible", "unknown"}
    p1 = push(db, tmp_path / "p1.jsonl")
    assert p1.n_new == len(first) and p1.n_changed == p1.n_withdrawn == 0
    s2 = run_batch(registry, docs, db, AS_OF, chunk=300)
    assert s2.run_id == s1.run_id + 1 and s2.n_removed == 0
    pd.testing.assert_frame_equal(current(db), first)
    p2 = push(db, tmp_path / "p2.jsonl")
    assert not p2.written and not (tmp_path / "p2.jsonl").exists()


def test_one_rule_changed_pushes_only_what_changed(tmp_path, registry, docs):
    db = tmp_path / "o.db"
    run_batch(registry, docs, db, AS_OF, chunk=400)
    before = current(db)
    push(db, tmp_path / "p1.jsonl")
    # the item with most eligible firms and a fixed amount gets a new amount
    elig = before[before["status"] == "eligible"]
    fixed = {(d.id, it.id) for d in docs for it in d.items if it.benefit.amount}
    counts = elig.groupby(["policy_id", "item_id"]).size()
    pid, iid = max((k for k in counts.index if k in fixed), key=lambda k: counts[k])
    changed_docs = [
        dataclasses.replace(
            d,
            items=tuple(
                dataclasses.replace(it, benefit=dataclasses.replace(it.benefit, amount=it.benefit.amount + 1))
                if (d.id, it.id) == (pid, iid)
                else it
                for it in d.items
            ),
        )
        for d in docs
    ]
    s = run_batch(registry, changed_docs, db, AS_OF, chunk=400)
    assert s.rules_hash != Store(db).run(s.run_id - 1)["rules_hash"]
    p = push(db, tmp_path / "p2.jsonl")
    got = lines(tmp_path / "p2.jsonl")
    assert got and all((x["policy_id"], x["item_id"]) == (pid, iid) and x["event"] == "changed" for x in got)
    # the amount shows on eligible and 待核实 rows alike: every row of that item changed, nothing else
    rows = before[(before["policy_id"] == pid) & (before["item_id"] == iid) & before["amount"].notna()]
    assert len(got) == len(rows) == p.n_changed and p.n_new == p.n_withdrawn == 0
    assert all(x["benefit"]["amount"] == x["previous"]["amount"] + 1 for x in got)


def test_expired_policies_are_withdrawn_once(tmp_path, registry, docs):
    db = tmp_path / "o.db"
    run_batch(registry, docs, db, "2021-06-30", chunk=600)
    push(db, tmp_path / "p1.jsonl")
    run_batch(registry, docs, db, "2023-06-30", chunk=600)
    got = lines(tmp_path / "p2.jsonl") if push(db, tmp_path / "p2.jsonl").written else []
    withdrawn = [x for x in got if x["event"] == "withdrawn"]
    expired = {d.id for d in docs if d.valid_to and d.valid_to < "2023-06-30"}
    assert withdrawn and all(x["policy_id"] in expired and "到期" in x["reasons"][0] for x in withdrawn)
    assert not push(db, tmp_path / "p3.jsonl").written


def test_workers_give_the_same_matches(tmp_path, registry, docs):
    run_batch(registry, docs, tmp_path / "a.db", AS_OF, chunk=200, workers=1)
    run_batch(registry, docs, tmp_path / "b.db", AS_OF, chunk=200, workers=2)
    pd.testing.assert_frame_equal(current(tmp_path / "a.db"), current(tmp_path / "b.db"))


def _start_batch(registry, db):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    args = ["batch", "--registry", str(registry), "--rules", str(RULES), "--db", str(db), "--as-of", AS_OF, "--chunk", "50"]
    return subprocess.Popen(
        [sys.executable, "-m", "policymatch", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_sigkill_at_random_points_then_rerun_gives_the_same_matches_and_no_duplicate_push(tmp_path, docs):
    reg1, reg2 = tmp_path / "r1.parquet", tmp_path / "r2.parquet"
    write_registry(generate_registry(400, 11, extra_regions=DEMO_REGIONS), reg1)
    write_registry(generate_registry(400, 12, extra_regions=DEMO_REGIONS), reg2)
    db = tmp_path / "k.db"
    t0 = time.perf_counter()
    p = _start_batch(reg1, db)
    assert p.wait(timeout=300) == 0
    full = time.perf_counter() - t0  # one whole run, interpreter start included
    push(db, tmp_path / "p0.jsonl")  # a push of the first complete state
    # new inputs (another registry file): kill the runs over it at random points, several times
    ref2 = tmp_path / "ref2.db"
    run_batch(reg2, docs, ref2, AS_OF, chunk=50)
    rng = random.Random(20240601)
    killed = 0
    for _ in range(4):
        proc = _start_batch(reg2, db)
        time.sleep(rng.uniform(0.2, full))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
        # a push while a run is unfinished is refused, never half-emitted
        if Store(db).latest_run()["status"] != "done":
            with pytest.raises(StoreError, match="尚未完成"):
                push(db, tmp_path / "never.jsonl")
    assert killed >= 2
    final = _start_batch(reg2, db)
    assert final.wait(timeout=300) == 0
    pd.testing.assert_frame_equal(current(db), current(ref2))
    # every (firm, item) change since p0 is pushed exactly once
    push(db, tmp_path / "p1.jsonl")
    assert not push(db, tmp_path / "p2.jsonl").written
    events = [(x["uscc"], x["policy_id"], x["item_id"]) for x in lines(tmp_path / "p1.jsonl")]
    assert len(events) == len(set(events))
    state0 = {
        (x["uscc"], x["policy_id"], x["item_id"]): (x["status"], x["benefit"]["amount"], x["granted"])
        for x in lines(tmp_path / "p0.jsonl")
    }
    now = {
        (r.uscc, r.policy_id, r.item_id): (r.status, None if pd.isna(r.amount) else int(r.amount), bool(r.granted))
        for r in current(db).itertuples()
    }
    expected = {k for k in now if state0.get(k) != now[k]} | {k for k in state0 if k not in now}
    assert set(events) == expected


def test_batch_cli_reports_and_errors(tmp_path, registry):
    r = run_cli("batch", "--registry", str(registry), "--rules", str(RULES), "--db", str(tmp_path / "o.db"), "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    assert "批量匹配 #1 完成" in r.stdout and "家/秒" in r.stdout
    r = run_cli("batch", "--registry", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "o.db"))
    assert r.returncode == 2 and r.stderr.startswith("错误：") and "Traceback" not in r.stderr
    r = run_cli("batch", "--registry", str(registry), "--db", str(tmp_path / "o.db"), "--as-of", "2021/06/30")
    assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr
