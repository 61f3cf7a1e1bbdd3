"""Benchmark: the batch job embedded vs on a Dask LocalCluster, side by side (firms/s, peak memory per worker).

Run:  python3 benchmarks/bench_dask.py            # 2 000 000 generated firms (the issue's figure)
      python3 benchmarks/bench_dask.py --n 100000 # a quick run

Every run starts in its own fresh process (spawned) so that its peak resident memory is its own;
the ratios are taken against the embedded single-process run measured by this same script.
All runs read the same generated Parquet registry, use the bundled rules and the same as-of
date, and must end with identical matches (checked at the end).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = "2021-06-30"
RULES = ROOT / "rules"


def _peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _generate(n: int, path: str) -> None:
    from policymatch.registry import generate_registry, write_registry

    write_registry(generate_registry(n, seed=7), path)


def _embedded(registry: str, db: str, workers: int) -> dict:
    from policymatch.batch import run_batch

    s = run_batch(registry, RULES, db, AS_OF, workers=workers)
    peak_workers = _peak_mib(resource.RUSAGE_CHILDREN) if workers > 1 else _peak_mib()
    return {"seconds": s.seconds, "firms": s.n_firms, "matches": s.n_matches, "peak": peak_workers, "client": _peak_mib()}


def _dask(registry: str, db: str, workers: int, partitions: int | None) -> dict:
    from policymatch.dask_run import run_batch_dask

    s = run_batch_dask(registry, RULES, db, AS_OF, n_workers=workers, partitions=partitions)
    peak = max(s.worker_peak_bytes.values()) / 2**20
    return {
        "seconds": s.seconds,
        "cluster": s.seconds_cluster,
        "firms": s.n_firms,
        "matches": s.run.n_matches,
        "peak": peak,
        "client": _peak_mib(),
        "partitions": s.partitions,
    }


def _in_fresh_process(fn, *args):
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def _matches(db: str) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute(
            "SELECT uscc, policy_id, item_id, status, amount, granted, score, near_miss FROM matches "
            "ORDER BY uscc, policy_id, item_id"
        ).fetchall()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000, help="generated firms")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (embedded pool and Dask)")
    ap.add_argument("--partitions", type=int, default=None, help="Dask partitions (default: Dask's split)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        registry = str(Path(tmp) / "registry.parquet")
        t = time.perf_counter()
        _in_fresh_process(_generate, args.n, registry)
        print(f"生成企业库 {args.n:,} 家：{time.perf_counter() - t:.1f} 秒", flush=True)
        runs = {
            "embedded, 1 process": _in_fresh_process(_embedded, registry, f"{tmp}/e1.db", 1),
            f"embedded, {args.workers} processes": _in_fresh_process(_embedded, registry, f"{tmp}/e2.db", args.workers),
            f"dask, LocalCluster {args.workers} workers": _in_fresh_process(
                _dask, registry, f"{tmp}/d.db", args.workers, args.partitions
            ),
        }
        base = runs["embedded, 1 process"]
        print(f"\nn = {args.n:,} firms, rules = {RULES.name}/ (as of {AS_OF}), {mp.cpu_count()} cores")
        print(f"{'run':<34}{'seconds':>9}{'firms/s':>11}{'vs base':>9}{'peak MiB/worker':>17}{'client MiB':>12}")
        for name, r in runs.items():
            rate = r["firms"] / r["seconds"]
            speed = rate / (base["firms"] / base["seconds"])
            print(f"{name:<34}{r['seconds']:>9.1f}{rate:>11,.0f}{speed:>8.2f}x{r['peak']:>17,.0f}{r['client']:>12,.0f}")
        d = runs[f"dask, LocalCluster {args.workers} workers"]
        print(f"(dask: {d['partitions']} partitions, {d['cluster']:.1f} s on the cluster, rest = start-up + SQLite merge)")
        same = _matches(f"{tmp}/e1.db") == _matches(f"{tmp}/d.db") == _matches(f"{tmp}/e2.db")
        print(f"matches identical across runs: {same} ({base['matches']:,} rows)")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
