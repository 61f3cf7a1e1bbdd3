"""Benchmark: the batch job end to end (registry file → engine → SQLite), with baselines in the same run.

Workload: a generated Shanxi registry of ``--n`` firms (default 1,000,000) against ~1,000 items:
the bundled reviewed rules (647 items) plus copies of the 南沙 and 鹿城 policy sets placed in
太原 and 长治 (as a provincial platform has many prefecture-level policy sets; each firm sees the
national items and those of its own area). As-of 2021-06-30 (the bundled dated policies in force).

Figures printed:
- end to end: ``run_batch`` with ``--workers`` processes (rules compiled once, sent once per worker),
  and how the rows were stored (per-firm rows, shared patterns, firm links; see ``match_patterns``);
- a second run over the same inputs into the same database (the daily rerun: every row rewritten);
- baseline 1: the engine alone over the same chunks, one process, nothing stored (what the
  store and the process pool add or save);
- baseline 2: writing the same match rows of one chunk with a naive loop (sqlite-utils
  ``upsert`` row by row, one transaction) against ``Store.write_matches``.

    python3 benchmarks/bench_batch.py                 # 1 M firms, 2 workers
    python3 benchmarks/bench_batch.py --n 100000      # quicker
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlite_utils  # noqa: E402

from policymatch.batch import evaluate_chunk, run_batch  # noqa: E402
from policymatch.engine import compile_rules  # noqa: E402
from policymatch.model import load_rules  # noqa: E402
from policymatch.registry import generate_registry, read_registry, write_registry  # noqa: E402
from policymatch.store import MATCH_COLUMNS, Store  # noqa: E402

AS_OF = "2021-06-30"
#: policy sets copied to a Shanxi prefecture: source ids → new region
COPIES = {("009", "011", "045", "047", "049", "050"): "140100", ("020", "021", "022"): "140400"}


def workload_rules() -> list:
    docs = load_rules(ROOT / "rules")
    extra = [
        dataclasses.replace(d, id=f"{d.id}@{region}", region=region)
        for ids, region in COPIES.items()
        for d in docs
        if d.id in ids
    ]
    return docs + extra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    docs = workload_rules()
    n_items = sum(len(d.items) for d in docs)
    n_force = sum(len(d.items) for d in docs if d.in_force(AS_OF))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reg = tmp / "registry.parquet"
        t = time.perf_counter()
        write_registry(generate_registry(a.n, a.seed), reg)
        print(f"registry: {a.n:,} firms generated in {time.perf_counter() - t:.1f} s (not timed below)")
        print(f"rules: {len(docs)} documents, {n_items} items, {n_force} in force on {AS_OF}; cpus={os.cpu_count()}")

        # baseline 1: the engine alone, one process, nothing stored
        compiled = compile_rules(docs)
        t = time.perf_counter()
        rows = 0
        first = None
        for k, chunk in enumerate(read_registry(reg, a.chunk)):
            res = evaluate_chunk(compiled, chunk.firms, AS_OF, 1)
            rows += len(res)
            if k == 0:
                first = res
        t_engine = time.perf_counter() - t
        print(f"baseline engine only (1 process, no store): {t_engine:.1f} s, {rows:,} match rows "
              f"({rows / a.n:.1f} per firm), {a.n / t_engine:,.0f} firms/s")

        # end to end
        db = tmp / "out.db"
        t = time.perf_counter()
        s = run_batch(reg, docs, db, AS_OF, chunk=a.chunk, workers=a.workers)
        t_e2e = time.perf_counter() - t
        print(f"end to end ({a.workers} workers, into SQLite): {t_e2e:.1f} s, {s.n_matches:,} rows, "
              f"{a.n / t_e2e:,.0f} firms/s, {s.n_matches / t_e2e:,.0f} rows/s; "
              f"ratio vs engine only {t_e2e / t_engine:.2f}; target ≤ 60 s: {'met' if t_e2e <= 60 else 'NOT met'}")
        st = Store(db)
        run = st.run(s.run_id)
        print(f"  of which (summed over chunks) evaluate {run['seconds_evaluate']:.1f} s, write {run['seconds_write']:.1f} s")
        n_pat, n_pat_rows = st.db.execute("SELECT COUNT(*), COALESCE(SUM(n_rows), 0) FROM patterns").fetchone()
        n_own = st.db.execute("SELECT COUNT(*) FROM match_rows").fetchone()[0]
        print(f"  stored as {n_own:,} per-firm rows + {n_pat:,} shared patterns ({n_pat_rows:,} rows) "
              f"+ {a.n:,} firm links; database {db.stat().st_size / 2**20:,.0f} MiB")
        st.close()

        # the daily case: the same registry and rules again into the same database (every row rewritten, none new)
        t = time.perf_counter()
        s2 = run_batch(reg, docs, db, AS_OF, chunk=a.chunk, workers=a.workers)
        t_rerun = time.perf_counter() - t
        print(f"second run over the same inputs into the same database: {t_rerun:.1f} s, {s2.n_matches:,} rows, "
              f"{s2.n_removed:,} removed")

        # baseline 2: one chunk's rows, naive row-by-row upsert vs Store.write_matches
        sample = first.head(100_000)
        naive = sqlite_utils.Database(tmp / "naive.db")
        recs = sample[[c for c in MATCH_COLUMNS if c in sample.columns]].astype(object).where(sample.notna(), None)
        recs = recs.to_dict("records")
        t = time.perf_counter()
        with naive.atomic():
            for r in recs:
                naive["matches"].upsert(r, pk=("uscc", "policy_id", "item_id"))
        t_naive = time.perf_counter() - t
        st = Store(tmp / "fast.db")
        run_id = st.start_run(as_of=AS_OF, rules_hash="b", source="b", fingerprint="b", chunk_size=1)
        t = time.perf_counter()
        st.write_matches(sample, run_id, 0)
        t_fast = time.perf_counter() - t
        print(f"write {len(sample):,} rows: naive row-by-row upsert {t_naive:.2f} s, Store.write_matches {t_fast:.2f} s "
              f"(×{t_naive / t_fast:.1f} faster)")


if __name__ == "__main__":
    main()
