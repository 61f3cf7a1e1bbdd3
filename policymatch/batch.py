"""The batch job: stream the registry in chunks, evaluate every rule in force, write current matches to SQLite.

Why chunks with their own ids: 6 million firms never fit in memory at once, and a run
killed at any point must be resumable without writing anything twice. Each chunk is
evaluated by a pure function (``evaluate_chunk``, also used by the Dask path) and
committed with its progress row in one transaction (``Store.write_matches``); a rerun
over the same inputs resumes the unfinished run and skips committed chunks. When all
chunks are in, ``Store.finish_run`` removes every match the run did not produce again,
which push then reports once as withdrawn.

>>> RunSummary(run_id=1, as_of="2021-06-30", rules_hash="abc", db="o.db").to_text().splitlines()[0]
'批量匹配 #1 完成（评估日期 2021-06-30，规则版本 abc）'
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError
from .match_patterns import CompactMatches, compact_matches
from .model import load_rules
from .store import Store

__all__ = ["run_batch", "evaluate_chunk", "evaluate_chunk_compact", "RunSummary", "registry_fingerprint", "DEFAULT_CHUNK", "prepare_run"]

DEFAULT_CHUNK = 100_000
KEEP = ("eligible", "unknown")
#: columns of a firm that name it in rosters and pushes (kept for matched firms only)
NAME_COLUMNS = ("uscc", "name", "region")


@dataclass
class RunSummary:
    """What one batch run did (also stored in the ``runs`` table)."""

    run_id: int
    as_of: str
    rules_hash: str
    db: str
    n_firms: int = 0
    n_rejects: int = 0
    n_matches: int = 0
    n_eligible: int = 0
    n_unknown: int = 0
    n_granted: int = 0
    n_auto: int = 0
    n_removed: int = 0
    n_items_in_force: int = 0
    seconds: float = 0.0
    resumed: bool = False
    chunks_skipped: int = 0

    @property
    def firms_per_s(self) -> float:
        return self.n_firms / self.seconds if self.seconds else 0.0

    def to_text(self) -> str:
        """A short Chinese report for the CLI."""
        lines = [f"批量匹配 #{self.run_id} 完成（评估日期 {self.as_of}，规则版本 {self.rules_hash[:12]}）"]
        if self.resumed:
            lines.append(f"  接续上次中断的运行，跳过已完成的 {self.chunks_skipped} 个分块")
        lines += [
            f"  企业 {self.n_firms:,} 家，坏行 {self.n_rejects:,} 行，有效事项 {self.n_items_in_force} 项",
            f"  当前匹配 {self.n_matches:,} 条：符合条件 {self.n_eligible:,}（其中免申即享 {self.n_auto:,}），"
            f"待核实 {self.n_unknown:,}；本次移除 {self.n_removed:,} 条",
            f"  用时 {self.seconds:.1f} 秒（{self.firms_per_s:,.0f} 家/秒）→ {self.db}",
        ]
        return "\n".join(lines)


def evaluate_chunk(compiled: Any, firms_df: pd.DataFrame, as_of: str, run_id: int) -> pd.DataFrame:
    """Match rows (eligible or unknown) of one chunk of firms, with ``run_id`` added. Pure: no I/O.

    The unit of work of every batch path (processes here, Dask partitions elsewhere); its
    output goes to ``Store.write_matches`` unchanged.
    """
    from .engine import evaluate

    res = evaluate(compiled, firms_df, as_of, keep=KEEP, near_misses=True)
    return res.assign(run_id=run_id)


def evaluate_chunk_compact(compiled: Any, firms_df: pd.DataFrame, as_of: str, run_id: int) -> CompactMatches:
    """``evaluate_chunk`` compacted where it ran (``match_patterns``): what a worker sends to the store's writer."""
    return compact_matches(evaluate_chunk(compiled, firms_df, as_of, run_id))


def registry_fingerprint(path: str | Path) -> str:
    """Identity of a registry input (path, size, modification time): a changed file is a new input."""
    p = Path(path).resolve()
    st = p.stat()
    return hashlib.sha256(f"{p}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]


def _chunks(registry: Path, from_db: bool, chunk: int) -> Iterator[tuple[pd.DataFrame, pd.DataFrame | None]]:
    """(firms, rejects) per chunk, in a deterministic order (chunk ids are positions)."""
    if from_db:
        from .registry import iter_db_firms

        for firms in iter_db_firms(registry, chunk):
            yield firms, None
    else:
        from .registry import read_registry

        for c in read_registry(registry, chunk):
            yield c.firms, c.rejects


def _names(firms: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: (firms[c] if c in firms.columns else pd.NA) for c in NAME_COLUMNS})


# ------------------------------------------------------------------ process pool
_WORKER_RULES: Any = None


def _init_worker(compiled: Any) -> None:
    """Each worker process receives the compiled rules once, at start."""
    global _WORKER_RULES
    _WORKER_RULES = compiled


def _work(chunk_id: int, firms: pd.DataFrame, as_of: str, run_id: int) -> tuple[int, CompactMatches, float]:
    """Evaluate one chunk in a worker and compact it there: only the compact form is sent back."""
    t0 = time.perf_counter()
    res = evaluate_chunk_compact(_WORKER_RULES, firms, as_of, run_id)
    return chunk_id, res, time.perf_counter() - t0


@dataclass
class PreparedRun:
    """A registered run: the store, the compiled rules and what is already done (for any executor)."""

    store: Store
    run_id: int
    compiled: Any
    as_of: str
    done: set[int]
    resumed: bool
    n_items_in_force: int


def prepare_run(
    registry: str | Path,
    rules_dir: str | Path | list,
    db: str | Path,
    as_of: str | None = None,
    chunk: int = DEFAULT_CHUNK,
    workers: int = 1,
) -> PreparedRun:
    """Load and compile the rules, snapshot them into the store and register (or resume) the run.

    Shared by every executor (this module's process pool, the Dask path): they then evaluate
    chunks with ``evaluate_chunk``, write with ``Store.write_matches`` and close with
    ``Store.finish_run``.
    """
    from .engine import compile_rules

    as_of = as_of or date.today().isoformat()
    try:
        date.fromisoformat(as_of)
    except ValueError:
        raise InputError(f"评估日期应为 YYYY-MM-DD，而不是 {as_of!r}", field="--as-of") from None
    if chunk < 1:
        raise InputError("分块大小应为正整数", field="--chunk")
    registry = Path(registry)
    if not registry.exists():
        raise InputError("企业库文件不存在", file=str(registry))
    docs = rules_dir if isinstance(rules_dir, list) else load_rules(rules_dir)
    compiled = compile_rules(docs)
    store = Store(db)
    from .explain import describe_benefit, describe_condition

    store.register_rules(docs, compiled.rules_hash, describe=describe_condition, describe_benefit=describe_benefit)
    run_id = store.start_run(
        as_of=as_of,
        rules_hash=compiled.rules_hash,
        source=str(registry),
        fingerprint=registry_fingerprint(registry),
        chunk_size=chunk,
        workers=workers,
    )
    n_items = sum(len(d.items) for d in docs if d.in_force(as_of))
    return PreparedRun(store, run_id, compiled, as_of, store.done_chunks(run_id), store.last_start_resumed, n_items)


def run_batch(
    registry: str | Path,
    rules_dir: str | Path | list = "rules",
    db: str | Path = "out.db",
    as_of: str | None = None,
    chunk: int = DEFAULT_CHUNK,
    workers: int = 1,
    *,
    from_db: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """Evaluate a registry (file, or the ``firms`` table of a loaded database with ``from_db``) against the rules.

    ``rules_dir`` is a directory/file of rule files or a list of Documents. Only items in
    force on ``as_of`` (today when None) are evaluated. ``workers`` > 1 evaluates chunks in
    that many processes; the main process alone writes. ``progress(firms_done, rows_done)``
    is called after each chunk. Rerunning after a crash resumes; rerunning after success
    changes nothing.
    """
    t0 = time.perf_counter()
    prep = prepare_run(registry, rules_dir, db, as_of, chunk, workers)
    store, run_id = prep.store, prep.run_id
    counters = {"firms": 0, "rows": 0, "skipped": 0}

    def commit(chunk_id: int, firms: pd.DataFrame, rejects: pd.DataFrame | None, res: pd.DataFrame | CompactMatches, secs: float) -> None:
        counters["rows"] += store.write_matches(
            res, run_id, chunk_id, n_firms=len(firms), rejects=rejects, firms=_names(firms), seconds_evaluate=secs
        )
        counters["firms"] += len(firms)
        if progress:
            progress(counters["firms"], counters["rows"])

    try:
        source = enumerate(_chunks(Path(registry), from_db, chunk))
        if workers <= 1:
            for chunk_id, (firms, rejects) in source:
                if chunk_id in prep.done:
                    counters["skipped"] += 1
                    continue
                t1 = time.perf_counter()
                res = evaluate_chunk(prep.compiled, firms, prep.as_of, run_id)
                commit(chunk_id, firms, rejects, res, time.perf_counter() - t1)
        else:
            _run_pool(prep, source, workers, commit, counters)
        seconds = time.perf_counter() - t0
        info = store.finish_run(run_id, seconds=seconds)
    finally:
        store.close()
    return RunSummary(
        run_id=run_id,
        as_of=prep.as_of,
        rules_hash=prep.compiled.rules_hash,
        db=str(db),
        n_firms=int(info["n_firms"] or 0),
        n_rejects=int(info["n_rejects"] or 0),
        n_matches=int(info["n_matches"] or 0),
        n_eligible=int(info["n_eligible"] or 0),
        n_unknown=int(info["n_unknown"] or 0),
        n_granted=int(info["n_granted"] or 0),
        n_auto=int(info["n_auto"] or 0),
        n_removed=int(info["n_removed"] or 0),
        n_items_in_force=prep.n_items_in_force,
        seconds=seconds,
        resumed=prep.resumed,
        chunks_skipped=counters["skipped"],
    )


def _run_pool(prep: PreparedRun, source: Iterator, workers: int, commit: Callable, counters: dict) -> None:
    """Evaluate chunks in ``workers`` processes, at most 2 per worker in flight (bounded memory)."""
    pending: dict[Future, tuple[int, pd.DataFrame, pd.DataFrame | None]] = {}
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(prep.compiled,)) as pool:
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < 2 * workers:
                nxt = next(source, None)
                if nxt is None:
                    exhausted = True
                    break
                chunk_id, (firms, rejects) = nxt
                if chunk_id in prep.done:
                    counters["skipped"] += 1
                    continue
                pending[pool.submit(_work, chunk_id, firms, prep.as_of, prep.run_id)] = (chunk_id, firms, rejects)
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                chunk_id, firms, rejects = pending.pop(fut)
                _, res, secs = fut.result()
                commit(chunk_id, firms, rejects, res, secs)
