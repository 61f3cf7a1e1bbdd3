"""Benchmark: the batch job embedded vs on a Dask LocalCluster, side by side (firms/s, peak memory per worker).

Run:  python3 benchmarks/bench_dask.py                       # 2 000 000 generated firms (the issue's figure)
      python3 benchmarks/bench_dask.py --n 20000             # a quick run
      python3 benchmarks/bench_dask.py --n 2000000 --no-sqlite   # only the Parquet-output pair

Two pairs, each embedded vs Dask on the same generated Parquet registry, bundled rules, as-of date:
- into SQLite: ``run_batch`` (1 and N processes) vs ``run_batch_dask`` (N workers, then the merge);
- to Parquet (no SQLite, the ``--out-parquet`` case): ``read_registry`` chunks + ``evaluate_chunk`` written
  as Parquet parts in one process vs ``run_batch_dask(out_parquet=...)``.
Every run starts in its own fresh (spawned) process so that its peak resident memory is its own; ratios
are against the embedded single-process run of the same pair, measured by this same script. Each pair
must end with identical matches (checked and printed).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = "2021-06-30"
RULES = ROOT / "rules"
KEY = ["uscc", "policy_id", "item_id"]


def _peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (pool processes, Dask workers): fair under load."""
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def _generate(n: int, path: str) -> None:
    from policymatch.registry import generate_registry, write_registry

    write_registry(generate_registry(n, seed=7), path)


def _embedded_sqlite(registry: str, out: str, workers: int) -> dict:
    from policymatch.batch import run_batch

    c0 = _cpu_seconds()
    s = run_batch(registry, RULES, out, AS_OF, workers=workers)
    peak = _peak_mib(resource.RUSAGE_CHILDREN) if workers > 1 else _peak_mib()
    return {"seconds": s.seconds, "cpu": _cpu_seconds() - c0, "firms": s.n_firms, "peak": peak, "client": _peak_mib()}


def _embedded_parquet(registry: str, out: str, workers: int) -> dict:
    from policymatch.batch import evaluate_chunk
    from policymatch.engine import compile_rules
    from policymatch.model import load_rules
    from policymatch.registry import read_registry

    t0, c0 = time.perf_counter(), _cpu_seconds()
    compiled = compile_rules(load_rules(RULES))
    Path(out).mkdir()
    firms = 0
    for i, chunk in enumerate(read_registry(registry)):
        evaluate_chunk(compiled, chunk.firms, AS_OF, 0).to_parquet(f"{out}/part-{i:05d}.parquet", index=False)
        firms += len(chunk.firms)
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    return {"seconds": seconds, "cpu": cpu, "firms": firms, "peak": _peak_mib(), "client": _peak_mib()}


def _dask(registry: str, out: str, workers: int, partitions: int | None, parquet: bool) -> dict:
    from policymatch.dask_run import run_batch_dask

    kw = {"out_parquet": out, "db": None} if parquet else {"db": out}
    c0 = _cpu_seconds()
    s = run_batch_dask(registry, RULES, as_of=AS_OF, n_workers=workers, partitions=partitions, **kw)
    return {
        "seconds": s.seconds,
        "cpu": _cpu_seconds() - c0,  # the cluster is closed by now: its workers are reaped children
        "cluster": s.seconds_cluster,
        "firms": s.n_firms,
        "peak": max(s.worker_peak_bytes.values()) / 2**20,
        "client": _peak_mib(),
        "partitions": s.partitions,
    }


def _in_fresh_process(fn, *args) -> dict:
    # not multiprocessing.Pool: its workers are daemonic and may not start the run's own processes
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _sqlite_matches(db: str) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute(
            "SELECT uscc, policy_id, item_id, status, amount, granted, score, near_miss FROM matches "
            "ORDER BY uscc, policy_id, item_id"
        ).fetchall()


def _parquet_digest(path: str) -> tuple[int, int]:
    """(rows, order-independent sum of row hashes) over all part files: streams, so 2 M firms (~100 M rows) fit."""
    import pandas as pd

    cols = [*KEY, "status", "amount", "granted", "score", "near_miss"]
    rows = total = 0
    for p in Path(path).glob("part-*.parquet"):
        df = pd.read_parquet(p, columns=cols)
        rows += len(df)
        total = (total + int(pd.util.hash_pandas_object(df, index=False).sum())) % 2**64
    return rows, total


def _table(title: str, runs: dict[str, dict]) -> None:
    base = next(iter(runs.values()))
    base_rate = base["firms"] / base["seconds"]
    print(f"\n{title}")
    print(f"{'run':<36}{'seconds':>8}{'firms/s':>9}{'vs base':>8}{'CPU s':>8}{'firms/CPU s':>12}"
          f"{'peak MiB/worker':>16}{'client MiB':>11}")
    for name, r in runs.items():
        rate = r["firms"] / r["seconds"]
        print(f"{name:<36}{r['seconds']:>8.1f}{rate:>9,.0f}{rate / base_rate:>7.2f}x{r['cpu']:>8.1f}"
              f"{r['firms'] / r['cpu']:>12,.0f}{r['peak']:>16,.0f}{r['client']:>11,.0f}")
        if "cluster" in r:
            print(f"{'':<40}({r['partitions']} partitions; {r['cluster']:.1f} s on the cluster)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000, help="generated firms")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (embedded pool and Dask)")
    ap.add_argument("--partitions", type=int, default=None, help="Dask partitions (default: Dask's split)")
    ap.add_argument("--no-sqlite", action="store_true", help="skip the SQLite pair (its writes dominate at large n)")
    args = ap.parse_args()
    w = args.workers
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        registry = str(Path(tmp) / "registry.parquet")
        t = time.perf_counter()
        _in_fresh_process(_generate, args.n, registry)
        print(f"generated {args.n:,} firms in {time.perf_counter() - t:.1f} s; rules {RULES.name}/ as of {AS_OF}; "
              f"{mp.cpu_count()} cores", flush=True)
        pq = {
            "embedded -> Parquet, 1 process": _in_fresh_process(_embedded_parquet, registry, f"{tmp}/ep", 1),
            f"dask -> Parquet, {w} workers": _in_fresh_process(_dask, registry, f"{tmp}/dp", w, args.partitions, True),
        }
        _table("to Parquet (evaluation only)", pq)
        digest = _parquet_digest(f"{tmp}/ep")
        same = digest == _parquet_digest(f"{tmp}/dp")
        print(f"matches identical (row-hash digest): {same} ({digest[0]:,} rows)", flush=True)
        ok &= same
        if not args.no_sqlite:
            sq = {
                "embedded -> SQLite, 1 process": _in_fresh_process(_embedded_sqlite, registry, f"{tmp}/e1.db", 1),
                f"embedded -> SQLite, {w} processes": _in_fresh_process(_embedded_sqlite, registry, f"{tmp}/e2.db", w),
                f"dask -> SQLite, {w} workers": _in_fresh_process(
                    _dask, registry, f"{tmp}/d.db", w, args.partitions, False
                ),
            }
            _table("into SQLite (the whole batch job)", sq)
            rows = _sqlite_matches(f"{tmp}/e1.db")
            same = rows == _sqlite_matches(f"{tmp}/e2.db") == _sqlite_matches(f"{tmp}/d.db")
            print(f"matches identical: {same} ({len(rows):,} rows)")
            ok &= same
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
