"""Issue 7: the batch job on Dask gives the embedded run's matches, survives a killed worker, feeds push/roster."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time

import pytest

from conftest import RULES, run_cli

pytest.importorskip("distributed")

from policymatch.batch import run_batch  # noqa: E402
from policymatch.dask_run import MANIFEST, run_batch_dask  # noqa: E402
from policymatch.errors import InputError, PolicymatchError  # noqa: E402

pytestmark = pytest.mark.issue(7)

AS_OF = "2021-06-30"
#: three bundled policies (two without end date, one in force on AS_OF): real rules, quick to evaluate
RULE_FILES = ("002.yaml", "017.yaml", "021.yaml")
MATCH_SQL = (
    "SELECT uscc, policy_id, item_id, status, amount, granted, score, near_miss, n_met, n_unmet, n_unknown "
    "FROM matches ORDER BY uscc, policy_id, item_id"
)


def _rows(db, sql=MATCH_SQL) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute(sql).fetchall()


#: a 免申即享 (auto) item, so that a roster can be compared (the bundled reviewed rules have none)
AUTO_RULE = """\
id: T7
title: 测试用免申即享政策（issue 7）
issuer: 测试
doc_number: null
valid_from: null
valid_to: null
region: '140000'
items:
- id: '1'
  name: 规上企业稳岗奖励
  text: 对上年营业收入达到2000万元以上的企业，免申即享给予10万元奖励。
  conditions:
  - field: revenue
    op: gte
    value: 20000000
    text: 上年营业收入达到2000万元以上
  benefit:
    kind: award
    amount: 100000
    rate: null
    base: null
    cap: null
    unit_amount: null
    unit: null
    max_amount: null
    text: 给予10万元奖励
  apply_mode: auto
  exclusive_group: null
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    d = tmp_path_factory.mktemp("rules")
    for name in RULE_FILES:
        (d / name).write_bytes((RULES / name).read_bytes())
    (d / "T7.yaml").write_text(AUTO_RULE, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes (nanny-restarted when killed), shared by the tests of this module."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        yield c


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    from policymatch.registry import generate_registry, write_registry

    d = tmp_path_factory.mktemp("dask")
    path = d / "registry.parquet"
    write_registry(generate_registry(1000, seed=11), path)
    return path


@pytest.fixture(scope="module")
def embedded(registry, rules, tmp_path_factory):
    db = tmp_path_factory.mktemp("embedded") / "out.db"
    run_batch(registry, rules, db, AS_OF, chunk=300)
    rows = _rows(db)
    assert len(rows) > 100, "the generated registry must produce matches for the comparison to mean anything"
    return db, rows


def test_local_cluster_of_two_workers_gives_the_embedded_matches(registry, rules, embedded, cluster, tmp_path):
    from policymatch.push import push
    from policymatch.roster import roster

    db_e, expected = embedded
    db = tmp_path / "dask.db"
    seen = []
    s = run_batch_dask(
        registry, rules, db, AS_OF, scheduler=cluster.scheduler_address, partitions=5,
        progress=lambda f, r: seen.append(f),
    )
    assert s.workers == 2 and s.partitions == 5
    assert _rows(db) == expected
    firm_sql = "SELECT uscc, name, region FROM match_firms ORDER BY uscc"
    assert _rows(db, firm_sql) == _rows(db_e, firm_sql)
    assert seen[-1] == s.n_firms == s.run.n_firms
    assert len(s.worker_peak_bytes) == 2 and all(v > 0 for v in s.worker_peak_bytes.values())
    assert not (tmp_path / "dask.db.dask-parts").exists()  # staging removed after the merge
    # push works unchanged on the store filled by Dask, and says the same
    for d, name in ((db_e, "e"), (db, "d")):
        push(d, tmp_path / f"{name}.jsonl")
    pushed = [
        sorted(json.loads(line)["uscc"] + json.loads(line)["item_id"] for line in (tmp_path / f"{n}.jsonl").open())
        for n in "ed"
    ]
    assert pushed[0] == pushed[1] and pushed[0]
    # and the 免申即享 roster (names and districts come from the parts' firm columns)
    rosters = []
    for d, name in ((db_e, "e"), (db, "d")):
        roster(d, tmp_path / f"{name}.csv", policy="T7")
        rosters.append((tmp_path / f"{name}.csv").read_text(encoding="utf-8-sig"))
    assert rosters[0] == rosters[1] and rosters[0].count("\n") > 2


def test_cli_engine_dask_keeps_parquet_partitions(registry, rules, embedded, tmp_path):
    """No --scheduler: the command starts its own LocalCluster sized to the machine."""
    import pandas as pd

    out = tmp_path / "parts"
    r = run_cli(
        "batch", "--registry", str(registry), "--rules", str(rules), "--as-of", AS_OF,
        "--engine", "dask", "--partitions", "3", "--out-parquet", out.as_uri(),  # a URL, as for an object store
    )
    assert r.returncode == 0, r.stderr
    assert "Dask" in r.stdout
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("part-")) == [
        f"part-{i:05d}.parquet" for i in range(3)
    ]
    assert (out / MANIFEST).exists()
    got = pd.concat([pd.read_parquet(p) for p in sorted(out.glob("part-*.parquet"))])
    named = pd.concat([pd.read_parquet(p) for p in sorted(out.glob("firms-*.parquet"))])
    assert set(named["uscc"]) == set(got["uscc"]) and named["name"].notna().all()
    keys = sorted(zip(got["uscc"], got["policy_id"], got["item_id"], got["status"], strict=True))
    assert keys == sorted(row[:3] + (row[3],) for row in embedded[1])


def test_dask_only_options_are_refused_with_the_embedded_engine(registry, tmp_path):
    r = run_cli("batch", "--registry", str(registry), "--db", str(tmp_path / "o.db"), "--partitions", "3")
    assert r.returncode == 2
    assert "--partitions 只能与 --engine dask 一起使用" in r.stderr


def test_registry_db_is_refused_by_the_dask_engine(tmp_path):
    with pytest.raises(InputError, match="Parquet"):
        run_batch_dask(tmp_path / "firms.db", RULES, tmp_path / "o.db", AS_OF, from_db=True)


def test_cli_without_dask_names_the_extra(registry, tmp_path):
    code = (
        "import sys; sys.modules['distributed'] = None; from policymatch.cli import main; "
        f"sys.argv = ['policymatch', 'batch', '--registry', {str(registry)!r}, '--db', {str(tmp_path / 'o.db')!r}, "
        "'--engine', 'dask']; main()"
    )
    import subprocess
    import sys

    from conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2
    assert 'pip install "policymatch[dask]"' in r.stderr
    assert "Traceback" not in r.stderr


# --------------------------------------------------------------------------- a worker killed mid-run


def _kill_a_busy_worker(address: str, stop: threading.Event) -> str | None:
    """Wait until a partition task is running on some worker, then SIGKILL that worker's process."""
    from distributed import Client

    with Client(address, set_as_default=False) as c:
        pids = c.run(os.getpid)
        while not stop.is_set():
            busy = [w for w, keys in c.processing().items() if any("_evaluate_part" in str(k) for k in keys)]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                return busy[0]
            time.sleep(0.002)
    return None


def _run_while_killing(registry, rules, db, address):
    """Run the Dask batch on ``address`` while another client kills one busy worker; returns (result, killed)."""
    stop = threading.Event()
    out: dict = {}

    def kill() -> None:
        out["killed"] = _kill_a_busy_worker(address, stop)

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        out["result"] = run_batch_dask(registry, rules, db, AS_OF, scheduler=address, partitions=PARTS)
    except PolicymatchError as e:
        out["result"] = e
    finally:
        stop.set()
        killer.join()
    return out["result"], out.get("killed")


PARTS = 8


def _store_is_sound(db) -> None:
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_killed_worker_is_retried_and_matches_are_the_same(registry, rules, embedded, cluster, tmp_path):
    db = tmp_path / "killed.db"
    cluster.wait_for_workers(2, timeout=30)
    result, killed = _run_while_killing(registry, rules, db, cluster.scheduler_address)
    assert killed is not None, "no partition task was seen running: the test did not kill anything"
    assert not isinstance(result, Exception), result
    _store_is_sound(db)
    assert _rows(db) == embedded[1]


def test_killed_worker_without_retries_fails_cleanly_and_a_rerun_gives_the_same_matches(
    registry, rules, embedded, cluster, tmp_path, monkeypatch
):
    db = tmp_path / "failed.db"
    cluster.wait_for_workers(2, timeout=30)
    with monkeypatch.context() as m:
        m.setattr(cluster.scheduler, "allowed_failures", 0)  # the first lost task fails the run
        result, killed = _run_while_killing(registry, rules, db, cluster.scheduler_address)
        assert killed is not None, "no partition task was seen running: the test did not kill anything"
        assert isinstance(result, PolicymatchError), result
        assert "分布式运行失败" in str(result) and "结果库未被改动" in str(result)
        _store_is_sound(db)
        assert _rows(db) == []  # nothing merged from a failed run
        (run,) = _rows(db, "SELECT run_id, status FROM runs")
        assert run[1] == "running"
        cluster.wait_for_workers(2, timeout=30)  # the nanny has restarted the killed worker
    again = run_batch_dask(registry, rules, db, AS_OF, scheduler=cluster.scheduler_address, partitions=PARTS)
    assert again.run.run_id == run[0] and again.run.resumed
    _store_is_sound(db)
    assert _rows(db) == embedded[1]


def test_partition_check_rejects_bad_and_repeated_codes_like_the_loader(registry):
    import pandas as pd

    from policymatch.dask_run import check_partition

    raw = pd.read_parquet(registry, dtype_backend="pyarrow").head(5).reset_index(drop=True)
    codes = raw["uscc"].tolist()
    raw["uscc"] = pd.array([codes[0], codes[1], "91140000BAD", codes[3], codes[0]], dtype=raw["uscc"].dtype)
    firms, rejects = check_partition(raw, "reg.parquet#0")
    assert firms["uscc"].tolist() == [codes[1], codes[3], codes[0]]  # the later row of a repeated code wins
    assert rejects["row"].tolist() == [1, 3]
    assert rejects["column"].tolist() == ["uscc", "uscc"]
    assert "重复" in rejects["reason"].iloc[0] and rejects["file"].eq("reg.parquet#0").all()
    assert firms["size"].notna().any()  # size class derived as the loader does


def test_a_staging_directory_left_by_a_killed_run_is_reused(tmp_path):
    """Every kind of part file a worker writes (compact parts included, finished or not) is ours to clear."""
    from policymatch.dask_run import _fresh_dir

    staging = tmp_path / "out.db.dask-parts" / "run-1"
    staging.mkdir(parents=True)
    for name in ("part-00000.parquet", "firms-00000.parquet", "links-00001.parquet",
                 "patterns-00001.parquet.0f3a.tmp", "rejects-00002.parquet"):
        (staging / name).write_bytes(b"x")
    _fresh_dir(staging)
    assert staging.is_dir() and not list(staging.iterdir())
    (staging / "notes.txt").write_text("someone else's", encoding="utf-8")
    with pytest.raises(InputError):
        _fresh_dir(staging)
