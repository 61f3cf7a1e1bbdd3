"""Batch job end to end on a generated registry: rerun idempotence, incremental push, workers, SIGKILL resume."""

from __future__ import annotations

import dataclasses
import json
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
from policymatch.demo import DEMO_REGIONS
from policymatch.model import load_rules
from policymatch.push import push
from policymatch.registry import generate_registry, write_registry
from policymatch.store import MATCH_COLUMNS, Store

AS_OF = "2021-06-30"
CONTENT = [c for c in MATCH_COLUMNS if c != "run_id"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    path = tmp_path_factory.mktemp("reg") / "registry.parquet"
    write_registry(generate_registry(3000, 7, extra_regions=DEMO_REGIONS), path)
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
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_rerun_changes_nothing_and_pushes_nothing(tmp_path, registry, docs):
    db = tmp_path / "o.db"
    s1 = run_batch(registry, docs, db, AS_OF, chunk=700)
    assert s1.n_firms == 3000 and s1.n_eligible > 0 and s1.n_unknown > 0
    first = current(db)
    assert set(first["status"]) <= {"eligible", "unknown"}
    p1 = push(db, tmp_path / "p1.jsonl")
    assert p1.n_new == len(first) and p1.n_changed == p1.n_withdrawn == 0
    s2 = run_batch(registry, docs, db, AS_OF, chunk=700)
    assert s2.run_id == s1.run_id + 1 and s2.n_removed == 0
    pd.testing.assert_frame_equal(current(db), first)
    p2 = push(db, tmp_path / "p2.jsonl")
    assert not p2.written and not (tmp_path / "p2.jsonl").exists()


def test_one_rule_changed_pushes_only_what_changed(tmp_path, registry, docs):
    db = tmp_path / "o.db"
    run_batch(registry, docs, db, AS_OF, chunk=1000)
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
    s = run_batch(registry, changed_docs, db, AS_OF, chunk=1000)
    assert s.rules_hash != Store(db).run(s.run_id - 1)["rules_hash"]
    p = push(db, tmp_path / "p2.jsonl")
    got = lines(tmp_path / "p2.jsonl")
    assert got and all((x["policy_id"], x["item_id"]) == (pid, iid) and x["event"] == "changed" for x in got)
    assert len(got) == counts[(pid, iid)] == p.n_changed
    assert all(x["benefit"]["amount"] == x["previous"]["amount"] + 1 for x in got)


def test_expired_policies_are_withdrawn_once(tmp_path, registry, docs):
    db = tmp_path / "o.db"
    run_batch(registry, docs, db, "2021-06-30", chunk=1500)
    push(db, tmp_path / "p1.jsonl")
    run_batch(registry, docs, db, "2023-06-30", chunk=1500)
    got = lines(tmp_path / "p2.jsonl") if push(db, tmp_path / "p2.jsonl").written else []
    withdrawn = [x for x in got if x["event"] == "withdrawn"]
    expired = {d.id for d in docs if d.valid_to and d.valid_to < "2023-06-30"}
    assert withdrawn and all(x["policy_id"] in expired and "到期" in x["reasons"][0] for x in withdrawn)
    assert not push(db, tmp_path / "p3.jsonl").written


def test_workers_give_the_same_matches(tmp_path, registry, docs):
    run_batch(registry, docs, tmp_path / "a.db", AS_OF, chunk=500, workers=1)
    run_batch(registry, docs, tmp_path / "b.db", AS_OF, chunk=500, workers=2)
    pd.testing.assert_frame_equal(current(tmp_path / "a.db"), current(tmp_path / "b.db"))


def _start_batch(registry, db):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    args = ["batch", "--registry", str(registry), "--rules", str(RULES), "--db", str(db), "--as-of", AS_OF, "--chunk", "300"]
    return subprocess.Popen(
        [sys.executable, "-m", "policymatch", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_sigkill_at_random_points_then_rerun_gives_the_same_matches_and_no_duplicate_push(tmp_path, registry, docs):
    ref = tmp_path / "ref.db"
    run_batch(registry, docs, ref, AS_OF, chunk=300)
    db = tmp_path / "k.db"
    t0 = time.perf_counter()
    p = _start_batch(registry, db)
    assert p.wait(timeout=300) == 0
    full = time.perf_counter() - t0  # one whole run, interpreter start included
    push(db, tmp_path / "p0.jsonl")  # a push of the first complete state
    # new inputs (a later registry file) → kill the reruns at random points several times
    registry2 = tmp_path / "registry2.parquet"
    write_registry(generate_registry(3000, 8, extra_regions=DEMO_REGIONS), registry2)
    ref2 = tmp_path / "ref2.db"
    run_batch(registry2, docs, ref2, AS_OF, chunk=300)
    rng = random.Random(20240601)
    killed = 0
    for _ in range(5):
        proc = _start_batch(registry2, db)
        time.sleep(rng.uniform(0.1, full))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
        # push while a run is unfinished is refused, never half-emitted
        if Store(db).latest_run()["status"] != "done":
            with pytest.raises(Exception, match="尚未完成"):
                push(db, tmp_path / "never.jsonl")
    assert killed >= 3
    final = _start_batch(registry2, db)
    assert final.wait(timeout=300) == 0
    pd.testing.assert_frame_equal(current(db), current(ref2))
    # every (firm, item) change since p0 is pushed exactly once
    push(db, tmp_path / "p1.jsonl")
    assert not push(db, tmp_path / "p2.jsonl").written
    events = [(x["uscc"], x["policy_id"], x["item_id"]) for x in lines(tmp_path / "p1.jsonl")]
    assert len(events) == len(set(events))
    state0 = {(x["uscc"], x["policy_id"], x["item_id"]): (x["status"], x["benefit"]["amount"]) for x in lines(tmp_path / "p0.jsonl")}
    now = {(r.uscc, r.policy_id, r.item_id): (r.status, None if pd.isna(r.amount) else int(r.amount)) for r in current(db).itertuples()}
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
