"""Benchmark: push after a batch run — the first push (every line new) and a push with nothing new.

Workload: ``--n`` generated firms (default 100,000) × the batch benchmark's ~1,000 items
(``bench_batch.workload_rules``), as-of 2021-06-30, 2 processes. Figures printed:

- first push: lines/s into ``.jsonl.gz`` (JSON records with Chinese reasons, one per (firm, item));
- the batch again on the same inputs, then a push with nothing new: seconds;
- baseline, same process, same database: the same "is anything new?" question asked the flat way,
  one join of every (firm, item) row of ``matches`` against a flat copy of the pushed state (the
  copy is built untimed), which is what push did before the push state mirrored shared patterns.

    python3 benchmarks/bench_push.py              # 100,000 firms
    python3 benchmarks/bench_push.py --n 20000    # quicker
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import AS_OF, workload_rules  # noqa: E402

from policymatch.batch import run_batch  # noqa: E402
from policymatch.push import push  # noqa: E402
from policymatch.registry import generate_registry, write_registry  # noqa: E402
from policymatch.store import Store  # noqa: E402

_FLAT_DIFF = """
SELECT COUNT(*) FROM matches m LEFT JOIN flat_pushed p
  ON p.uscc = m.uscc AND p.policy_id = m.policy_id AND p.item_id = m.item_id
WHERE p.uscc IS NULL OR p.status IS NOT m.status OR p.amount IS NOT m.amount OR p.granted IS NOT m.granted
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=3)
    a = ap.parse_args()
    docs = workload_rules()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reg, db = tmp / "registry.parquet", tmp / "out.db"
        write_registry(generate_registry(a.n, a.seed), reg)
        s = run_batch(reg, docs, db, AS_OF, chunk=50_000, workers=2)
        print(f"batch: {a.n:,} firms, {s.n_matches:,} match rows (untimed here)")

        t = time.perf_counter()
        p1 = push(db, tmp / "p1.jsonl.gz")
        t_first = time.perf_counter() - t
        size = (tmp / "p1.jsonl.gz").stat().st_size / 2**20
        print(f"first push: {p1.n_rows:,} lines in {t_first:.1f} s ({p1.n_rows / t_first:,.0f} lines/s), {size:,.0f} MiB gzip")

        run_batch(reg, docs, db, AS_OF, chunk=50_000, workers=2)
        t = time.perf_counter()
        p2 = push(db, tmp / "p2.jsonl.gz")
        t_empty = time.perf_counter() - t
        print(f"push with nothing new: {t_empty:.2f} s, written={p2.written}")

        st = Store(db)
        st.db.execute("CREATE TABLE flat_pushed AS SELECT uscc, policy_id, item_id, status, amount, granted FROM matches")
        st.db.execute("CREATE UNIQUE INDEX flat_pushed_key ON flat_pushed (uscc, policy_id, item_id)")
        t = time.perf_counter()
        n = st.db.execute(_FLAT_DIFF).fetchone()[0]
        t_flat = time.perf_counter() - t
        st.close()
        print(f"baseline, flat diff of every row: {t_flat:.2f} s ({n} differences); "
              f"push with nothing new is {t_flat / t_empty:,.0f}× faster")


if __name__ == "__main__":
    main()
