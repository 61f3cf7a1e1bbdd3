"""The batch job's evaluation on a Dask cluster: Parquet partitions in, Parquet partitions out.

Why: a national registry (180 million entities) does not fit one machine. Dask reads the registry
as Parquet partitions, every worker applies the same pure per-chunk function (``evaluate_chunk``
of the batch job) with the compiled rules broadcast once, and each partition's matches are
written as one Parquet file ``part-NNNNN.parquet`` (with ``firms-NNNNN`` naming the matched firms
and ``rejects-NNNNN`` holding bad rows). A file appears only when complete (written
under a temporary name, then renamed), so a worker killed mid-run leaves no half file behind,
and Dask may rerun its task anywhere. Merging into SQLite is the caller's step
(:mod:`policymatch.dask_run`).

Dask is optional: it is imported only here, lazily, and :func:`require_dask` names the extra
to install when it is missing.

>>> partition_file(7)
'part-00007.parquet'
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .errors import InputError, PolicymatchError
from .match_patterns import CompactMatches
from .profiles import conform

__all__ = [
    "DASK_MISSING",
    "PartStats",
    "require_dask",
    "dask_client",
    "read_partitions",
    "total_threads",
    "conform_partition",
    "REJECTS_PREFIX",
    "LINKS_PREFIX",
    "PATTERNS_PREFIX",
    "evaluate_partitions",
    "partition_file",
    "matched_firms",
    "read_compact",
    "FIRM_COLUMNS",
    "FIRMS_PREFIX",
    "worker_peak_memory",
]

DASK_MISSING = (
    '未安装 Dask：分布式运行需要可选依赖，请执行 pip install "policymatch[dask]"（集群的每个节点都要安装同一版本）'
)

#: firm columns written for every matched firm (``firms-NNNNN.parquet``; the store's ``match_firms``)
FIRM_COLUMNS = ("name", "region")

#: part files of partition N: matches ``part-N``, its matched firms ``firms-N``, its bad rows ``rejects-N``;
#: when the per-chunk function returns the compact form (``match_patterns.CompactMatches``, for a merge into
#: SQLite) ``part-N`` holds only the per-firm rows, ``links-N`` each firm's pattern and ``patterns-N`` the rows
#: of the partition's distinct patterns (with their signatures), and the counts ride in ``links-N``'s metadata
FIRMS_PREFIX = "firms"
REJECTS_PREFIX = "rejects"
LINKS_PREFIX = "links"
PATTERNS_PREFIX = "patterns"
_META_KEY = b"policymatch"

#: the per-chunk function: (compiled rules, firms frame, as_of, run_id) -> matches frame (or its compact form)
ChunkFn = Callable[[Any, pd.DataFrame, "str | None", Any], pd.DataFrame]
#: the per-partition input step: (raw partition, file label) -> (firms in the contract, rejects)
PrepareFn = Callable[[pd.DataFrame, str], "tuple[pd.DataFrame, pd.DataFrame]"]


def require_dask() -> tuple[Any, Any, Any]:
    """Import ``dask``, ``dask.dataframe`` and ``distributed``, or raise a Chinese error naming the extra."""
    try:
        import dask
        import dask.dataframe as dd
        import distributed
    except ImportError as e:  # the package works without Dask; only this engine needs it
        raise PolicymatchError(f"{DASK_MISSING}（{e}）") from None
    return dask, dd, distributed


def partition_file(number: int, prefix: str = "part") -> str:
    """File name of partition ``number``'s matches (or rejects); sorted names = partition order."""
    return f"{prefix}-{number:05d}.parquet"


@dataclass(frozen=True)
class PartStats:
    """What one partition's task did: firms read, match rows written, seconds spent."""

    number: int
    firms: int
    rows: int
    rejects: int
    seconds: float


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, n_workers: int | None = None) -> Iterator[Any]:
    """A Client on the cluster at ``scheduler``, or on a LocalCluster sized to this machine.

    Local: one worker process per core (``n_workers`` overrides), one thread each, the machine's
    memory split evenly between them as each worker's limit (Dask pauses/spills before it). The
    cluster lives as long as the ``with`` block; a remote cluster is left running.
    """
    dask, _, distributed = require_dask()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise InputError(f"无法连接 Dask 调度器 {scheduler}：{e}", field="--scheduler") from None
        with client:
            yield client
        return
    n = n_workers or dask.system.CPU_COUNT
    with (
        distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            memory_limit="auto",
            dashboard_address=":0",  # a free port: never collides with another run
            silence_logs=40,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client


def total_threads(client: Any) -> int:
    """Worker threads of the whole cluster (at least 1)."""
    return sum(w["nthreads"] for w in client.scheduler_info(n_workers=-1)["workers"].values()) or 1


def _count_rows(path: str) -> int | None:
    """Rows of a Parquet file or directory from the footers alone (None when that is not possible, e.g. a glob)."""
    import fsspec
    import pyarrow.dataset as ds

    try:
        fs, root = fsspec.core.url_to_fs(path)
        return ds.dataset(root, format="parquet", filesystem=fs).count_rows()
    except (OSError, ValueError, TypeError):
        return None


def read_partitions(
    path: str, partitions: int | None = None, min_partitions: int = 1, partition_rows: int = 100_000
) -> Any:
    """The registry at ``path`` (a Parquet file, a directory or glob of them, or a URL) as a Dask frame.

    One partition per row group is read; ``partitions`` then fixes the number of partitions.
    Otherwise there are about ``partition_rows`` firms per partition (memory per task stays
    bounded, as the embedded job's chunks) and at least ``min_partitions`` (every worker busy).
    """
    _, dd, _ = require_dask()
    if "://" not in str(path) and not any(ch in str(path) for ch in "*?[") and not os.path.exists(path):
        raise InputError("企业库文件或目录不存在", file=str(path))
    if partitions is not None and partitions < 1:
        raise InputError(f"分区数必须为正整数，得到 {partitions}", field="--partitions")
    try:
        ddf = dd.read_parquet(str(path), dtype_backend="pyarrow", split_row_groups=True)
    except (OSError, ValueError) as e:
        why = f"无法按 Parquet 读取企业库（分布式运行只接受 Parquet 文件或目录）：{e}"
        raise InputError(why, file=str(path)) from None
    if partitions is None:
        rows = _count_rows(str(path))
        partitions = max(min_partitions, -(-rows // partition_rows) if rows else ddf.npartitions)
    return ddf if partitions == ddf.npartitions else ddf.repartition(npartitions=partitions)


def matched_firms(matches: Any, firms: pd.DataFrame) -> pd.DataFrame:
    """``uscc`` and the naming columns (``FIRM_COLUMNS``) of the firms that have at least one match.

    Rosters and pushes name the firm; one small frame per partition is much cheaper than
    repeating the name on every match row.

    >>> m = pd.DataFrame({"uscc": ["B", "B"], "item_id": ["1", "2"]})
    >>> f = pd.DataFrame({"uscc": ["A", "B"], "name": ["甲", "乙"], "region": ["140105", "140106"], "revenue": [1, 2]})
    >>> matched_firms(m, f).to_dict("records")
    [{'uscc': 'B', 'name': '乙', 'region': '140106'}]
    """
    cols = ["uscc", *[c for c in FIRM_COLUMNS if c in firms.columns]]
    keys = matches.firm_uscc if isinstance(matches, CompactMatches) else matches["uscc"].unique()
    return firms.loc[firms["uscc"].isin(keys), cols].reset_index(drop=True)


def _write_parquet(df: pd.DataFrame, out_dir: str, name: str, meta: dict | None = None) -> None:
    """Write ``out_dir/name`` atomically: a temporary name first, then a rename (local, shared or object store).

    ``meta`` (JSON-able) is kept in the file's schema metadata.
    """
    import fsspec
    import pyarrow as pa
    import pyarrow.parquet as pq

    fs, root = fsspec.core.url_to_fs(out_dir)
    final = f"{root.rstrip('/')}/{name}"
    tmp = f"{final}.{uuid.uuid4().hex}.tmp"
    table = pa.Table.from_pandas(df, preserve_index=False)
    if meta is not None:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()})
    pq.write_table(table, tmp, filesystem=fs)
    fs.mv(tmp, final)


def _write_compact(compact: CompactMatches, out_dir: str, number: int) -> None:
    """The compact form of a partition's matches as three files (``part-N`` last: it marks completeness)."""
    patterns = compact.pattern_rows.assign(
        signature=[compact.signatures[k].hex() for k in compact.pattern_rows["pattern"].tolist()]
    )
    links = pd.DataFrame({"uscc": pd.array(compact.firm_uscc, dtype="string"), "pattern": compact.firm_pattern})
    _write_parquet(patterns, out_dir, partition_file(number, PATTERNS_PREFIX))
    _write_parquet(links, out_dir, partition_file(number, LINKS_PREFIX), {"n_rows": compact.n_rows, "stats": compact.stats})
    _write_parquet(compact.explicit.reset_index(drop=True), out_dir, partition_file(number))


def read_compact(out_dir: str, number: int) -> CompactMatches | None:
    """A partition's compact matches as written by a worker, or None when its files are not there."""
    import pyarrow.parquet as pq

    path = f"{out_dir.rstrip('/')}/{partition_file(number, LINKS_PREFIX)}"
    if not os.path.exists(path):
        return None
    links = pq.read_table(path)
    meta = json.loads(links.schema.metadata[_META_KEY])
    links = links.to_pandas()
    patterns = pd.read_parquet(f"{out_dir.rstrip('/')}/{partition_file(number, PATTERNS_PREFIX)}", dtype_backend="pyarrow")
    explicit = pd.read_parquet(f"{out_dir.rstrip('/')}/{partition_file(number)}", dtype_backend="pyarrow")
    first = patterns.drop_duplicates("pattern").sort_values("pattern")
    signatures = [bytes.fromhex(h) for h in first["signature"].tolist()]
    return CompactMatches(
        explicit=explicit,
        firm_uscc=links["uscc"].astype(object).to_numpy(),
        firm_pattern=links["pattern"].to_numpy("int64"),
        signatures=signatures,
        pattern_rows=patterns.drop(columns="signature").assign(pattern=patterns["pattern"].astype("int64")),
        n_rows=int(meta["n_rows"]),
        stats={k: int(v) for k, v in meta["stats"].items()},
    )


def conform_partition(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Firms of a partition already in the contract's columns: cast only, nothing rejected."""
    return conform(raw.reset_index(drop=True)), pd.DataFrame()


def _evaluate_part(
    raw: pd.DataFrame,
    compiled: Any,
    as_of: str | None,
    run_id: Any,
    out_dir: str,
    chunk_fn: ChunkFn,
    prepare: PrepareFn,
    file: str,
    partition_info: dict | None = None,
) -> pd.DataFrame:
    """Task body for one partition: check → evaluate → write its part files; returns one stats row."""
    start = time.perf_counter()
    number = partition_info["number"] if partition_info else 0
    firms, rejects = prepare(raw, f"{file}#{number}")
    matches = chunk_fn(compiled, firms, as_of, run_id)
    if len(rejects):
        _write_parquet(rejects, out_dir, partition_file(number, REJECTS_PREFIX))
    _write_parquet(matched_firms(matches, firms), out_dir, partition_file(number, FIRMS_PREFIX))
    if isinstance(matches, CompactMatches):
        _write_compact(matches, out_dir, number)
        n_rows = matches.n_rows
    else:
        _write_parquet(matches, out_dir, partition_file(number))  # last: its presence means the partition is complete
        n_rows = len(matches)
    return _stats_frame([PartStats(number, len(firms), n_rows, len(rejects), time.perf_counter() - start)])


_STATS_DTYPES = {"number": "int64", "firms": "int64", "rows": "int64", "rejects": "int64", "seconds": "float64"}


def _stats_frame(stats: list[PartStats]) -> pd.DataFrame:
    return pd.DataFrame({f: pd.Series([getattr(s, f) for s in stats], dtype=t) for f, t in _STATS_DTYPES.items()})


#: what a Dask exception means to a user (anything else raised by a task: 任务出错)
_FAILURE_REASONS = {
    "KilledWorker": "工作进程在计算时反复退出（被杀、内存超限或节点掉线），重试次数已用尽",
    "CommClosedError": "与工作进程或调度器的连接中断",
    "FutureCancelledError": "任务被取消（集群关闭或调度器重启）",
}


def _failure(e: BaseException) -> PolicymatchError:
    """A failed distributed run as one Chinese message (the store has not been touched yet).

    >>> str(_failure(ZeroDivisionError("x")))
    '分布式运行失败：任务出错（ZeroDivisionError: x）。结果库未被改动，修复后重新运行即可。'
    """
    name = type(e).__name__
    why = _FAILURE_REASONS.get(name, "任务出错")
    return PolicymatchError(f"分布式运行失败：{why}（{name}: {e}）。结果库未被改动，修复后重新运行即可。")


def evaluate_partitions(
    client: Any,
    ddf: Any,
    compiled: Any,
    as_of: str | None,
    run_id: Any,
    out_dir: str,
    chunk_fn: ChunkFn,
    *,
    prepare: PrepareFn = conform_partition,
    file: str = "registry",
    on_progress: Callable[[PartStats, int], None] | None = None,
) -> list[PartStats]:
    """Evaluate every partition of ``ddf`` on the cluster and write its matches (and rejects) to ``out_dir``.

    The compiled rules are scattered to every worker once (``broadcast=True``) and passed to the
    tasks as a delayed reference, never re-sent per partition. Each task runs
    ``prepare(raw, file) -> (firms, rejects)`` then ``chunk_fn``. Returns the stats of every
    partition in partition order; ``on_progress(stats, total)`` is called as each one finishes.
    A task that still fails after Dask's own retries (e.g. its worker died too often) cancels
    the rest and raises one PolicymatchError; part files already written are complete files.
    """
    dask, _, distributed = require_dask()
    with client.as_current():
        # in a list: scatter would spread a dict's values; hash=False: tokenizing a large compiled
        # rule set costs seconds, a random key nothing
        (scattered,) = client.scatter([compiled], broadcast=True, hash=False)
        rules = dask.delayed(scattered)
        stats = ddf.map_partitions(
            _evaluate_part, rules, as_of, run_id, out_dir, chunk_fn, prepare, file,
            meta=_stats_frame([]), enforce_metadata=False,
        )
        futures = client.compute(stats.to_delayed())
    done: list[PartStats] = []
    try:
        for future in distributed.as_completed(futures, loop=client.loop):
            for row in future.result().itertuples(index=False):
                done.append(PartStats(*row))
                if on_progress:
                    on_progress(done[-1], len(futures))
    except PolicymatchError:
        client.cancel(futures)
        raise
    except Exception as e:  # noqa: BLE001 - whatever Dask raises, the user gets one clear line
        client.cancel(futures)
        raise _failure(e) from e
    return sorted(done, key=lambda s: s.number)


def _peak_rss_bytes() -> int:
    """This process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if os.uname().sysname == "Darwin" else peak * 1024


def worker_peak_memory(client: Any) -> dict[str, int]:
    """Peak resident memory of every worker process so far, in bytes, by worker address."""
    return client.run(_peak_rss_bytes)
