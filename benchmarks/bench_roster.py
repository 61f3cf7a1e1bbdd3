"""Benchmark: a large 免申即享 roster (公示名单) written to Excel, against a plain openpyxl baseline.

Workload: ``--n`` generated firms (default 200,000) × the batch benchmark's ~1,000 items, with the
items of policy 017 (融资担保, matched by most firms) marked ``apply_mode: auto`` for the run, so the
roster is large; as-of 2021-06-30. Printed:

- ``policymatch.roster.roster`` to ``.xlsx`` (query + rows + XlsxWriter, constant memory);
- baseline, same process, same rows: openpyxl's ordinary workbook, one ``append`` per row, then the
  same column formats applied cell by cell (what the roster did before);
- the roster to ``.csv`` for reference.

    python3 benchmarks/bench_roster.py
    python3 benchmarks/bench_roster.py --n 50000
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import AS_OF, workload_rules  # noqa: E402

from policymatch.batch import run_batch  # noqa: E402
from policymatch.registry import generate_registry, write_registry  # noqa: E402
from policymatch.roster import ROSTER_COLUMNS, _rows, roster  # noqa: E402
from policymatch.store import Store  # noqa: E402

AUTO_POLICY = "017"


def _openpyxl_baseline(out: Path, title: str, rows: list[list]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.append([title])
    ws.append(list(ROSTER_COLUMNS))
    for c in ws[2]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(vertical="top")
    ws.freeze_panes = "A3"
    wb.save(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=3)
    a = ap.parse_args()
    docs = [
        dataclasses.replace(d, items=tuple(dataclasses.replace(it, apply_mode="auto") for it in d.items))
        if d.id == AUTO_POLICY else d
        for d in workload_rules()
    ]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reg, db = tmp / "registry.parquet", tmp / "out.db"
        write_registry(generate_registry(a.n, a.seed), reg)
        run_batch(reg, docs, db, AS_OF, chunk=50_000, workers=2)

        t = time.perf_counter()
        s = roster(db, tmp / "roster.xlsx", policy=AUTO_POLICY)
        t_xlsx = time.perf_counter() - t
        print(f"roster {AUTO_POLICY} → .xlsx: {s.n_rows:,} rows (firm × item) in {t_xlsx:.1f} s ({s.n_rows / t_xlsx:,.0f} rows/s), "
              f"{(tmp / 'roster.xlsx').stat().st_size / 2**20:,.0f} MiB")

        store = Store(db)
        rows, title = _rows(store, AUTO_POLICY, None)
        store.close()
        t = time.perf_counter()
        _openpyxl_baseline(tmp / "baseline.xlsx", title, rows)
        t_base = time.perf_counter() - t
        print(f"baseline, openpyxl ordinary workbook, rows already built: {t_base:.1f} s; "
              f"the whole roster command is {t_base / t_xlsx:.1f}× faster")

        t = time.perf_counter()
        roster(db, tmp / "roster.csv", policy=AUTO_POLICY)
        print(f"roster → .csv: {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
