"""The batch job with ``--engine dask``: evaluate on a Dask cluster, then merge into the same SQLite store.

Why a separate path and not a faster loop: when the registry outgrows one machine the work must
run on an existing distributed engine. This module only orchestrates; the per-chunk work is the
batch job's own pure ``evaluate_chunk`` and the store is the batch job's ``Store``, so ``push``,
``roster`` and the run summary work unchanged on a store filled this way.

Steps: register (or resume) the run exactly as the embedded job does (``batch.prepare_run``) →
evaluate the registry's Parquet partitions on the cluster, each writing complete part files, already
compacted into per-firm rows and shared patterns (:mod:`policymatch.dask_engine`,
:mod:`policymatch.match_patterns`) → merge the parts in partition order with the idempotent
``Store.write_matches(df, run_id, chunk_id=partition)`` → ``Store.finish_run``. Nothing touches
the store until every partition has succeeded, so a worker lost mid-run either is retried by
Dask or fails the run with one Chinese line and an untouched store; rerunning resumes the same run.

With ``out_parquet`` the parts are the result: they stay in that directory with a ``_run.json``
manifest and SQLite is not written (for when SQLite would be the bottleneck).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from .batch import DEFAULT_CHUNK, RunSummary, evaluate_chunk, evaluate_chunk_compact, prepare_run
from .dask_engine import (
    FIRMS_PREFIX,
    LINKS_PREFIX,
    PATTERNS_PREFIX,
    REJECTS_PREFIX,
    PartStats,
    dask_client,
    evaluate_partitions,
    partition_file,
    read_compact,
    read_partitions,
    require_dask,
    total_threads,
    worker_peak_memory,
)
from .errors import InputError

__all__ = ["run_batch_dask", "check_partition", "DaskRunSummary", "MANIFEST"]

MANIFEST = "_run.json"


@dataclass
class DaskRunSummary:
    """What a Dask run did: the store's run summary (None with ``out_parquet``) plus the cluster figures."""

    run: RunSummary | None
    partitions: int
    workers: int
    n_firms: int
    n_rows: int
    n_rejects: int
    seconds: float
    seconds_cluster: float
    worker_peak_bytes: dict[str, int] = field(default_factory=dict)
    out_parquet: str | None = None

    @property
    def firms_per_s(self) -> float:
        return self.n_firms / self.seconds if self.seconds else 0.0

    def to_text(self) -> str:
        """A short Chinese report for the CLI."""
        peak = max(self.worker_peak_bytes.values(), default=0) / 2**20
        head = self.run.to_text() if self.run else (
            f"分布式匹配完成：企业 {self.n_firms:,} 家，匹配 {self.n_rows:,} 条，坏行 {self.n_rejects:,} 行，"
            f"用时 {self.seconds:.1f} 秒（{self.firms_per_s:,.0f} 家/秒）→ {self.out_parquet}"
        )
        return f"{head}\n  Dask：{self.workers} 个工作线程，{self.partitions} 个分区，单个工作进程内存峰值 {peak:,.0f} MiB"


def _absolute(path: str | Path) -> str:
    """A local path made absolute (workers do not share our working directory); URLs unchanged."""
    return str(path) if "://" in str(path) else str(Path(path).resolve())


def _staging_dir(db: Path, run_id: int) -> Path:
    """Where the workers write a run's parts before the merge (beside the store: shared storage on a cluster)."""
    return db.parent / f"{db.name}.dask-parts" / f"run-{run_id}"


def _fresh_dir(path: str | Path) -> tuple[Any, str]:
    """Make ``path`` (local, shared or a URL) an empty directory of ours; returns (fsspec filesystem, its path there).

    A non-empty directory we did not write (no manifest, files other than parts) is refused.
    """
    import fsspec

    fs, root = fsspec.core.url_to_fs(str(path))
    if fs.exists(root):
        names = [PurePosixPath(p).name for p in fs.ls(root, detail=False)]
        if not (MANIFEST in names or all(n.startswith(("part-", FIRMS_PREFIX, REJECTS_PREFIX, LINKS_PREFIX, PATTERNS_PREFIX)) for n in names)):
            raise InputError("输出目录非空且不是 policymatch 的分区结果，拒绝覆盖", file=str(path))
        fs.rm(root, recursive=True)
    fs.makedirs(root, exist_ok=True)
    return fs, root.rstrip("/")


def _read_part(out_dir: Path, number: int, prefix: str = "part") -> pd.DataFrame | None:
    p = out_dir / partition_file(number, prefix)
    return pd.read_parquet(p, dtype_backend="pyarrow") if p.exists() else None


def _merge(prep: Any, out_dir: Path, stats: list[PartStats]) -> None:
    """Write every partition's parts into the store as chunk ``partition number`` (skips chunks already in)."""
    for s in stats:
        if s.number in prep.done:
            continue
        compact = read_compact(str(out_dir), s.number)
        prep.store.write_matches(
            compact if compact is not None else _read_part(out_dir, s.number),
            prep.run_id,
            s.number,
            n_firms=s.firms,
            rejects=_read_part(out_dir, s.number, REJECTS_PREFIX),
            firms=_read_part(out_dir, s.number, FIRMS_PREFIX),
            seconds_evaluate=s.seconds,
        )


def check_partition(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One registry partition checked as ``read_registry`` checks a chunk: (firms in the contract, rejects).

    Same header mapping, cell checks and 2017 size class as the embedded run, so both see the
    same firms. Rows are numbered within the partition (``file`` names it). A USCC repeated in
    two different partitions is not detected here (it is within one partition's checks only).
    """
    from .registry.headers import map_headers
    from .registry.validate import validate_frame
    from .size import derive_size

    hm = map_headers(list(raw.columns), file)
    checked = validate_frame(raw[list(hm.rename)].rename(columns=hm.rename), hm.scales)
    records = [(pos + 1, p[0][0], p[0][1], "；".join(x[2] for x in p)) for pos, p in checked.problems.items()]
    good = ~checked.bad
    codes = checked.values["uscc"].where(good)
    replaced = (codes.duplicated(keep="last") & codes.notna()).to_numpy()
    for pos in replaced.nonzero()[0]:
        records.append((int(pos) + 1, "uscc", codes.iloc[pos], "统一社会信用代码重复：同一分区中后面的行取代了它（以后出现的行为准）"))
    rejects = pd.DataFrame(sorted(records), columns=["row", "column", "value", "reason"])
    rejects.insert(0, "file", file)
    firms = checked.values[good & ~replaced].reset_index(drop=True)
    derived = derive_size(firms)
    firms["size"] = firms["size"].fillna(derived) if "size" in firms.columns else derived
    return firms, rejects


def run_batch_dask(
    registry: str | Path,
    rules_dir: str | Path | list = "rules",
    db: str | Path | None = "out.db",
    as_of: str | None = None,
    *,
    scheduler: str | None = None,
    partitions: int | None = None,
    out_parquet: str | Path | None = None,
    n_workers: int | None = None,
    from_db: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> DaskRunSummary:
    """Run the batch job on Dask: a LocalCluster sized to this machine, or the cluster at ``scheduler``.

    ``registry`` is a Parquet file, a directory of them or a glob, readable by every worker.
    ``partitions`` fixes the number of partitions (the unit of work and of resumption).
    ``progress(firms_done, rows_done)`` is called as partitions finish, like ``run_batch``'s.
    """
    require_dask()
    t0 = time.perf_counter()
    if from_db:
        raise InputError("分布式运行读取 Parquet 企业库（--registry x.parquet 或目录），不读取 --registry-db 数据库")
    if out_parquet is None and db is None:
        raise InputError("请给出结果数据库 --db，或用 --out-parquet 保留 Parquet 结果")
    registry = _absolute(registry)
    counters = {"firms": 0, "rows": 0}

    def on_part(s: PartStats, total: int) -> None:
        counters["firms"] += s.firms
        counters["rows"] += s.rows
        if progress:
            progress(counters["firms"], counters["rows"])

    with dask_client(scheduler, n_workers) as client:
        threads = total_threads(client)
        ddf = read_partitions(str(registry), partitions, min_partitions=2 * threads, partition_rows=DEFAULT_CHUNK)
        if out_parquet is not None:
            return _to_parquet(client, ddf, registry, rules_dir, as_of, _absolute(out_parquet), threads, on_part, t0)
        prep = prepare_run(registry, rules_dir, db, as_of, chunk=ddf.npartitions, workers=threads)
        try:
            out_dir = _staging_dir(Path(db).resolve(), prep.run_id)
            _fresh_dir(out_dir)
            t1 = time.perf_counter()
            stats = evaluate_partitions(  # compacted on the workers: the merge only writes
                client, ddf, prep.compiled, prep.as_of, prep.run_id, str(out_dir), evaluate_chunk_compact,
                prepare=check_partition, file=str(registry), on_progress=on_part,
            )
            seconds_cluster = time.perf_counter() - t1
            peaks = worker_peak_memory(client)
            _merge(prep, out_dir, stats)
            seconds = time.perf_counter() - t0
            info = prep.store.finish_run(prep.run_id, seconds=seconds)
        finally:
            prep.store.close()
    shutil.rmtree(out_dir.parent, ignore_errors=True)
    run = RunSummary(
        run_id=prep.run_id,
        as_of=prep.as_of,
        rules_hash=prep.compiled.rules_hash,
        db=str(db),
        n_items_in_force=prep.n_items_in_force,
        seconds=seconds,
        resumed=prep.resumed,
        chunks_skipped=len(prep.done),
        **{k: int(info[k] or 0) for k in _RUN_COUNTS},
    )
    return _summary(run, stats, threads, seconds, seconds_cluster, peaks)


_RUN_COUNTS = ("n_firms", "n_rejects", "n_matches", "n_eligible", "n_unknown", "n_granted", "n_removed")


def _summary(run, stats, threads, seconds, seconds_cluster, peaks, out_parquet=None) -> DaskRunSummary:
    return DaskRunSummary(
        run=run,
        partitions=len(stats),
        workers=threads,
        n_firms=sum(s.firms for s in stats),
        n_rows=sum(s.rows for s in stats),
        n_rejects=sum(s.rejects for s in stats),
        seconds=seconds,
        seconds_cluster=seconds_cluster,
        worker_peak_bytes=peaks,
        out_parquet=None if out_parquet is None else str(out_parquet),
    )


def _compile(rules_dir: str | Path | list, as_of: str | None) -> tuple[Any, str]:
    """Compiled rules and the as-of date, for a run that has no store (``out_parquet``)."""
    from .engine import compile_rules
    from .model import load_rules

    as_of = as_of or date.today().isoformat()
    try:
        date.fromisoformat(as_of)
    except ValueError:
        raise InputError(f"评估日期应为 YYYY-MM-DD，而不是 {as_of!r}", field="--as-of") from None
    return compile_rules(rules_dir if isinstance(rules_dir, list) else load_rules(rules_dir)), as_of


def _to_parquet(client, ddf, registry, rules_dir, as_of, out_dir: str, threads, on_part, t0) -> DaskRunSummary:
    """Keep the results as Parquet partitions in ``out_dir`` (path or URL) with a ``_run.json`` manifest; no SQLite."""
    compiled, as_of = _compile(rules_dir, as_of)
    fs, root = _fresh_dir(out_dir)
    run_id = int(time.time())
    t1 = time.perf_counter()
    stats = evaluate_partitions(
        client, ddf, compiled, as_of, run_id, out_dir, evaluate_chunk,
        prepare=check_partition, file=str(registry), on_progress=on_part,
    )
    seconds = time.perf_counter() - t0
    summary = _summary(None, stats, threads, seconds, time.perf_counter() - t1, worker_peak_memory(client), out_dir)
    manifest = {
        "run_id": run_id,
        "as_of": as_of,
        "rules_hash": compiled.rules_hash,
        "registry": str(registry),
        "partitions": [asdict(s) for s in stats],
        "n_firms": summary.n_firms,
        "n_rows": summary.n_rows,
        "seconds": seconds,
    }
    with fs.open(f"{root}/{MANIFEST}", "w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, ensure_ascii=False, indent=1))
    return summary
