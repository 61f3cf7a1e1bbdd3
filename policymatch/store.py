"""The results database of the batch job: runs, per-chunk progress, current matches, rules snapshot, push state.

Why one module: the batch job, the Dask path, push, roster and certs import all read and
write the same SQLite file, and exactly-once behaviour depends on every writer following
the same rules:

- a chunk's match rows, its rejects and its progress row are written in ONE transaction,
  keyed by (run_id, chunk_id); a chunk already recorded is skipped, so a killed run that is
  started again resumes where it stopped and never writes a chunk twice;
- ``matches`` holds the *current* state (primary key ``uscc, policy_id, item_id``; rows are
  eligible or unknown); a row is upserted with the run that last produced it, and when a
  run finishes every row not produced by it is deleted (the firm changed, the firm left the
  registry, or the item is no longer in force) – push then reports it once as withdrawn;
- the rules of every run are snapshotted (``rulesets``, ``items``), so push and roster work
  from the database alone and any result can be traced to its rules and as-of date.

>>> import tempfile, pathlib, pandas as pd
>>> s = Store(pathlib.Path(tempfile.mkdtemp()) / "out.db")
>>> run = s.start_run(as_of="2021-06-30", rules_hash="h", source="demo", fingerprint="f", chunk_size=10)
>>> rows = pd.DataFrame({"uscc": ["A"], "policy_id": ["021"], "item_id": ["1"], "status": ["eligible"],
...                      "amount": [300000], "granted": [False], "score": [100.0], "near_miss": [None]})
>>> s.write_matches(rows, run, chunk_id=0, n_firms=1)
1
>>> s.write_matches(rows, run, chunk_id=0, n_firms=1)   # the same chunk again: skipped
0
>>> s.finish_run(run)["n_matches"]
1
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlite_utils

from .errors import StoreError

__all__ = ["Store", "MATCH_COLUMNS", "REJECT_COLUMNS", "RunInfo", "now_iso"]

#: columns of the ``matches`` table, in order (the engine's output plus ``run_id``)
MATCH_COLUMNS: tuple[str, ...] = (
    "uscc",
    "policy_id",
    "item_id",
    "status",
    "amount",
    "granted",
    "score",
    "near_miss",
    "n_met",
    "n_unmet",
    "n_unknown",
    "run_id",
)
#: columns a writer must provide (the rest are optional and stored as NULL; extra columns are ignored)
REQUIRED_MATCH_COLUMNS = ("uscc", "policy_id", "item_id", "status")
MATCH_KEY = ("uscc", "policy_id", "item_id")
KEPT_STATUSES = ("eligible", "unknown")
REJECT_COLUMNS: tuple[str, ...] = ("file", "row", "column", "value", "reason")

# Table layouts, declared once: name → (columns, primary key). Created with sqlite-utils.
_TABLES: dict[str, tuple[dict[str, type], Any]] = {
    "runs": (
        {
            "run_id": int,
            "as_of": str,
            "rules_hash": str,
            "source": str,
            "fingerprint": str,
            "chunk_size": int,
            "workers": int,
            "status": str,
            "started": str,
            "finished": str,
            "n_chunks": int,
            "n_firms": int,
            "n_rejects": int,
            "n_matches": int,
            "n_eligible": int,
            "n_unknown": int,
            "n_granted": int,
            "n_auto": int,
            "n_removed": int,
            "seconds": float,
            "seconds_evaluate": float,
            "seconds_write": float,
            "firms_per_s": float,
        },
        "run_id",
    ),
    "chunks": (
        {
            "run_id": int,
            "chunk_id": int,
            "n_firms": int,
            "n_rows": int,
            "n_eligible": int,
            "n_unknown": int,
            "n_granted": int,
            "n_auto": int,
            "n_rejects": int,
            "seconds_evaluate": float,
            "seconds_write": float,
            "done_at": str,
        },
        ("run_id", "chunk_id"),
    ),
    "matches": (
        {
            "uscc": str,
            "policy_id": str,
            "item_id": str,
            "status": str,
            "amount": int,
            "granted": int,
            "score": float,
            "near_miss": str,
            "n_met": int,
            "n_unmet": int,
            "n_unknown": int,
            "run_id": int,
        },
        MATCH_KEY,
    ),
    "match_firms": ({"uscc": str, "name": str, "region": str, "run_id": int}, "uscc"),
    "rulesets": ({"rules_hash": str, "created": str, "n_docs": int, "n_items": int, "docs": str}, "rules_hash"),
    "items": (
        {
            "policy_id": str,
            "item_id": str,
            "title": str,
            "doc_number": str,
            "issuer": str,
            "doc_region": str,
            "valid_from": str,
            "valid_to": str,
            "name": str,
            "text": str,
            "apply_mode": str,
            "exclusive_group": str,
            "benefit_kind": str,
            "benefit_amount": int,
            "benefit_max_amount": int,
            "benefit_text": str,
            "benefit_desc": str,
            "conditions": str,
            "rules_hash": str,
        },
        ("policy_id", "item_id"),
    ),
    "pushes": (
        {
            "uscc": str,
            "policy_id": str,
            "item_id": str,
            "status": str,
            "amount": int,
            "granted": int,
            "withdrawn": int,
            "push_id": int,
            "pushed_at": str,
        },
        MATCH_KEY,
    ),
    "push_log": (
        {
            "push_id": int,
            "created": str,
            "out": str,
            "tmp": str,
            "sha256": str,
            "n_rows": int,
            "n_new": int,
            "n_changed": int,
            "n_withdrawn": int,
            "run_id": int,
            "state": str,
        },
        "push_id",
    ),
}
# ``matches`` has no secondary index on purpose: each one costs on every row written (the
# bottleneck of a run); the end-of-run sweep and rosters scan instead.
_INDEXES: list[tuple[str, list[str]]] = []


def now_iso() -> str:
    """UTC timestamp, second precision, ISO 8601."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class RunInfo:
    """One row of ``runs`` as read back."""

    run_id: int
    as_of: str
    rules_hash: str
    status: str
    resumed: bool = False


def _column_values(s: pd.Series, kind: type) -> list[Any]:
    """A column as plain Python values for sqlite3 (NA → None), vectorised per dtype (the write path is hot)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        values = np.asarray(s.cat.categories.astype(object), dtype=object)
        codes = s.cat.codes.to_numpy()
        out = values[np.where(codes < 0, 0, codes)] if len(values) else np.full(len(s), None, dtype=object)
        if (codes < 0).any():
            out = out.copy()
            out[codes < 0] = None
        return [None if v is None else kind(v) for v in out.tolist()] if kind is not str else out.tolist()
    if s.dtype == object:
        return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else kind(v) for v in s.tolist()]
    if s.dtype.kind in "biuf" and not s.hasnans and not isinstance(s.dtype, pd.api.extensions.ExtensionDtype):
        arr = s.to_numpy()
        return arr.astype(kind if kind is not str else object).tolist()
    arr = pa.array(s, from_pandas=True)
    if kind is int and pa.types.is_boolean(arr.type):
        arr = arr.cast(pa.int64())
    return arr.to_pylist()


def _rows(df: pd.DataFrame, columns: tuple[str, ...], kinds: dict[str, type]) -> list[tuple]:
    """Frame → list of tuples in ``columns`` order; absent optional columns become NULL."""
    n = len(df)
    cols = [_column_values(df[c], kinds[c]) if c in df.columns else [None] * n for c in columns]
    return list(zip(*cols, strict=True))


def _key_of(row: tuple) -> tuple:
    return row[:3]


class Store:
    """The results database (SQLite via sqlite-utils, WAL mode).

    ``Store(path)`` creates the tables it needs when absent; it never drops anything.
    Writers: ``start_run`` → ``write_matches`` per chunk (any process order, idempotent) →
    ``finish_run``. Readers: push, roster, reports.
    """

    def __init__(self, path: str | Path, *, must_exist: bool = False) -> None:
        self.path = Path(path)
        if must_exist and not self.path.is_file():
            raise StoreError("结果数据库不存在（请先运行 policymatch batch）", file=str(self.path))
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.conn.execute("PRAGMA busy_timeout = 30000")
            with self.db.ensure_autocommit_on():
                self.db.enable_wal()
            self.db.conn.execute("PRAGMA synchronous = NORMAL")
            self.db.conn.execute("PRAGMA cache_size = -131072")  # 128 MB page cache: the matches B-tree
            self._ensure_tables()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"无法打开结果数据库：{e}", file=str(self.path)) from None

    # ----------------------------------------------------------------- schema
    def _ensure_tables(self) -> None:
        for name, (columns, pk) in _TABLES.items():
            self.db[name].create(columns, pk=pk, if_not_exists=True)
        for table, cols in _INDEXES:
            self.db[table].create_index(cols, if_not_exists=True)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------- runs
    def start_run(
        self,
        *,
        as_of: str,
        rules_hash: str,
        source: str,
        fingerprint: str,
        chunk_size: int,
        workers: int = 1,
    ) -> int:
        """Register a run, or resume the unfinished one over the same inputs; returns its ``run_id``.

        "Same inputs" = same registry fingerprint, rules hash, as-of date and chunk size (so the
        chunk numbering is the same). An unfinished run over other inputs is marked abandoned:
        the new run's ``finish_run`` replaces whatever it left behind.
        """
        with self.db.atomic():
            for row in self.db.query("SELECT * FROM runs WHERE status = 'running' ORDER BY run_id DESC"):
                same = (row["fingerprint"], row["rules_hash"], row["as_of"], row["chunk_size"]) == (
                    fingerprint,
                    rules_hash,
                    as_of,
                    chunk_size,
                )
                if same:
                    self._resumed = True
                    return int(row["run_id"])
                self.db["runs"].update(row["run_id"], {"status": "abandoned", "finished": now_iso()})
            last = self.db.execute("SELECT COALESCE(MAX(run_id), 0) FROM runs").fetchone()[0]
            run_id = int(last) + 1
            self.db["runs"].insert(
                {
                    "run_id": run_id,
                    "as_of": as_of,
                    "rules_hash": rules_hash,
                    "source": source,
                    "fingerprint": fingerprint,
                    "chunk_size": chunk_size,
                    "workers": workers,
                    "status": "running",
                    "started": now_iso(),
                }
            )
        self._resumed = False
        return run_id

    @property
    def last_start_resumed(self) -> bool:
        """True when the last ``start_run`` resumed an unfinished run."""
        return bool(getattr(self, "_resumed", False))

    def run(self, run_id: int) -> dict[str, Any]:
        """The ``runs`` row of ``run_id``."""
        try:
            return dict(self.db["runs"].get(run_id))
        except sqlite_utils.db.NotFoundError:
            raise StoreError(f"运行编号 {run_id} 不存在", file=str(self.path)) from None

    def latest_run(self) -> dict[str, Any] | None:
        """The most recent run (any status), or None."""
        rows = list(self.db.query("SELECT * FROM runs ORDER BY run_id DESC LIMIT 1"))
        return rows[0] if rows else None

    def done_chunks(self, run_id: int) -> set[int]:
        """Chunk ids already committed for ``run_id``."""
        return {r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE run_id = ?", [run_id])}

    # ------------------------------------------------------------------ rules
    def register_rules(self, docs: Iterable[Any], rules_hash: str, describe=None, describe_benefit=None) -> int:
        """Snapshot the rules of a run: the documents as JSON (once per hash) and one ``items`` row per item.

        ``describe(cond) -> str`` words a condition in Chinese for push/roster (defaults to the
        condition's own policy text); ``describe_benefit(benefit) -> str`` likewise the benefit. Items that later disappear from the rules stay in the table,
        so a withdrawn match can still be named. Returns the number of items.
        """
        docs = list(docs)
        describe = describe or (lambda c: getattr(c, "text", "") or "")
        describe_benefit = describe_benefit or (lambda b: b.text or "")
        rows = []
        for d in docs:
            for it in d.items:
                b = it.benefit
                rows.append(
                    {
                        "policy_id": d.id,
                        "item_id": it.id,
                        "title": d.title,
                        "doc_number": d.doc_number,
                        "issuer": d.issuer,
                        "doc_region": d.region,
                        "valid_from": d.valid_from,
                        "valid_to": d.valid_to,
                        "name": it.name,
                        "text": it.text,
                        "apply_mode": it.apply_mode,
                        "exclusive_group": it.exclusive_group,
                        "benefit_kind": b.kind,
                        "benefit_amount": b.amount,
                        "benefit_max_amount": b.max_amount,
                        "benefit_text": b.text,
                        "benefit_desc": describe_benefit(b),
                        "conditions": json.dumps([describe(c) for c in it.conditions], ensure_ascii=False),
                        "rules_hash": rules_hash,
                    }
                )
        with self.db.atomic():
            if not self.db["rulesets"].count_where("rules_hash = ?", [rules_hash]):
                self.db["rulesets"].insert(
                    {
                        "rules_hash": rules_hash,
                        "created": now_iso(),
                        "n_docs": len(docs),
                        "n_items": len(rows),
                        "docs": json.dumps([d.to_dict() for d in docs], ensure_ascii=False),
                    }
                )
            if rows:
                self.db["items"].upsert_all(rows, pk=("policy_id", "item_id"))
        return len(rows)

    def item_meta(self) -> pd.DataFrame:
        """The ``items`` table as a frame (policy_id, item_id, title, name, apply_mode, …)."""
        return pd.DataFrame(list(self.db.query("SELECT * FROM items")))

    # ---------------------------------------------------------------- matches
    def write_matches(
        self,
        df: pd.DataFrame,
        run_id: int,
        chunk_id: int | None = None,
        *,
        n_firms: int | None = None,
        rejects: pd.DataFrame | None = None,
        firms: pd.DataFrame | None = None,
        seconds_evaluate: float = 0.0,
    ) -> int:
        """Upsert one chunk's match rows (from any writer) and record the chunk, in one transaction.

        ``df`` has the engine's columns (``uscc, policy_id, item_id, status`` required; ``amount,
        granted, score, near_miss, n_met, n_unmet, n_unknown`` optional, others ignored); ineligible rows are
        dropped. With ``chunk_id`` the write is idempotent: a chunk already recorded for the run
        is skipped (returns 0). ``firms`` (``uscc, name, region``) names the matched firms for
        rosters; ``rejects`` are the chunk's bad rows. Returns the number of match rows written.
        """
        missing = [c for c in REQUIRED_MATCH_COLUMNS if c not in df.columns]
        if missing:
            raise StoreError(f"匹配结果缺少列：{', '.join(missing)}", file=str(self.path))
        t0 = time.perf_counter()
        kept = df[df["status"].astype("object").isin(KEPT_STATUSES)] if len(df) else df
        kinds = _TABLES["matches"][0]
        kept = kept.assign(run_id=run_id)
        rows = _rows(kept, MATCH_COLUMNS, kinds)
        # key order: consecutive rows land in the same B-tree pages (engine output is item-major,
        # which touches a different page per row: 8× slower on a large table)
        rows.sort(key=_key_of)
        status = kept["status"].astype("object")
        granted = kept["granted"].fillna(False).astype(bool) if "granted" in kept.columns else pd.Series(False, index=kept.index)
        auto = kept["auto"].fillna(False).astype(bool) if "auto" in kept.columns else pd.Series(False, index=kept.index)
        stats = {
            "n_eligible": int((status == "eligible").sum()),
            "n_unknown": int((status == "unknown").sum()),
            "n_granted": int(granted.sum()),
            "n_auto": int((granted & auto & (status == "eligible")).sum()),
        }
        cols = ", ".join(MATCH_COLUMNS)
        marks = ", ".join("?" * len(MATCH_COLUMNS))
        updates = ", ".join(f"{c} = excluded.{c}" for c in MATCH_COLUMNS if c not in MATCH_KEY)
        sql = (
            f"INSERT INTO matches ({cols}) VALUES ({marks}) "
            f"ON CONFLICT(uscc, policy_id, item_id) DO UPDATE SET {updates}"
        )
        with self.db.atomic():
            if chunk_id is not None and self.db.execute(
                "SELECT 1 FROM chunks WHERE run_id = ? AND chunk_id = ?", [run_id, chunk_id]
            ).fetchone():
                return 0
            self.db.conn.executemany(sql, rows)
            if firms is not None and len(kept):
                named = firms[firms["uscc"].isin(kept["uscc"].unique())]
                frows = _rows(named.assign(run_id=run_id), ("uscc", "name", "region", "run_id"), _TABLES["match_firms"][0])
                self.db.conn.executemany(
                    "INSERT INTO match_firms (uscc, name, region, run_id) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(uscc) DO UPDATE SET name = excluded.name, region = excluded.region, "
                    "run_id = excluded.run_id",
                    frows,
                )
            n_rej = 0
            if rejects is not None and len(rejects):
                rej = rejects.assign(run_id=run_id, chunk_id=chunk_id)
                recs = [
                    {k: (None if pd.isna(v) else v) for k, v in r.items()}
                    for r in rej[[c for c in (*REJECT_COLUMNS, "run_id", "chunk_id") if c in rej.columns]].to_dict("records")
                ]
                self.db["rejects"].insert_all(recs, alter=True)
                n_rej = len(recs)
            if chunk_id is not None:
                self.db["chunks"].insert(
                    {
                        "run_id": run_id,
                        "chunk_id": chunk_id,
                        "n_firms": n_firms if n_firms is not None else int(df["uscc"].nunique()),
                        "n_rows": len(rows),
                        **stats,
                        "n_rejects": n_rej,
                        "seconds_evaluate": seconds_evaluate,
                        "seconds_write": time.perf_counter() - t0,
                        "done_at": now_iso(),
                    }
                )
        return len(rows)

    def finish_run(self, run_id: int, *, seconds: float | None = None) -> dict[str, Any]:
        """Close a run: drop every match (and batch reject) not produced by it, record counts; returns the run row.

        Idempotent: finishing a finished run recomputes the same counts.
        """
        with self.db.atomic():
            removed = self.db.execute("DELETE FROM matches WHERE run_id < ? OR run_id > ?", [run_id, run_id]).rowcount
            if "run_id" in self.db["rejects"].columns_dict:
                self.db.execute("DELETE FROM rejects WHERE run_id IS NOT NULL AND run_id <> ?", [run_id])
            c = self.db.execute(
                "SELECT COUNT(*), COALESCE(SUM(n_firms), 0), COALESCE(SUM(n_rejects), 0), "
                "COALESCE(SUM(seconds_evaluate), 0), COALESCE(SUM(seconds_write), 0), COALESCE(SUM(n_rows), 0), "
                "COALESCE(SUM(n_eligible), 0), COALESCE(SUM(n_unknown), 0), COALESCE(SUM(n_granted), 0), "
                "COALESCE(SUM(n_auto), 0) FROM chunks WHERE run_id = ?",
                [run_id],
            ).fetchone()
            # after the sweep only this run's rows remain, each written by exactly one chunk
            m = c[5:]
            prev = self.run(run_id)
            secs = seconds if seconds is not None else prev.get("seconds")
            update = {
                "status": "done",
                "finished": now_iso(),
                "n_chunks": c[0],
                "n_firms": c[1],
                "n_rejects": c[2],
                "seconds_evaluate": c[3],
                "seconds_write": c[4],
                "n_matches": m[0],
                "n_eligible": m[1],
                "n_unknown": m[2],
                "n_granted": m[3],
                "n_auto": m[4],
                # a second finish must not forget what the first one removed
                "n_removed": (prev.get("n_removed") or 0) + removed,
                "seconds": secs,
                "firms_per_s": (c[1] / secs) if secs else None,
            }
            self.db["runs"].update(run_id, update)
        return self.run(run_id)

    def matches(self, *, columns: tuple[str, ...] = MATCH_COLUMNS) -> pd.DataFrame:
        """The current ``matches`` table as a frame, sorted by key (for tests and reports)."""
        cols = ", ".join(columns)
        return pd.DataFrame(
            list(self.db.query(f"SELECT {cols} FROM matches ORDER BY uscc, policy_id, item_id")), columns=list(columns)
        )
