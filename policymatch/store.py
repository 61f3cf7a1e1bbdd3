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

import functools
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
from .match_patterns import PATTERN_COLUMNS, CompactMatches, compact_matches

__all__ = ["Store", "MATCH_COLUMNS", "REJECT_COLUMNS", "RunInfo", "now_iso", "condition_wording"]

#: what one stored match row says about a (firm, item), whoever holds it (a firm's own row or a shared pattern)
_ROW_TYPES: dict[str, type] = {
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
}
assert tuple(_ROW_TYPES) == PATTERN_COLUMNS  # the compact form and the tables must agree
#: columns of the ``matches`` view, in order (the engine's output plus ``run_id``)
MATCH_COLUMNS: tuple[str, ...] = ("uscc", *PATTERN_COLUMNS, "run_id")
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
    "match_rows": ({"uscc": str, **_ROW_TYPES, "run_id": int}, MATCH_KEY),
    "match_firms": (
        {"uscc": str, "name": str, "region": str, "pattern_id": int, "prev_pattern_id": int, "run_id": int},
        "uscc",
    ),
    "patterns": ({"pattern_id": int, "signature": str, "n_rows": int, "created": str}, "pattern_id"),
    "pattern_rows": ({"pattern_id": int, **_ROW_TYPES}, ("pattern_id", "policy_id", "item_id")),
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
    # the shared-pattern part of what each firm was last pushed (see push.py); rows of ``pushes`` are the rest
    "pushed_firms": ({"uscc": str, "pattern_id": int, "push_id": int}, "uscc"),
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
# ``match_rows`` has no secondary index on purpose: each one costs on every row written (the
# bottleneck of a run); the end-of-run sweep and rosters scan instead. ``match_firms`` is one
# row per firm, so an index from pattern to firms (rosters and searches by item) is cheap.
_INDEXES: list[tuple[str, list[str], bool]] = [("match_firms", ["pattern_id"], False), ("patterns", ["signature"], True)]

#: tables written row by row in bulk: stored in their primary-key B-tree (one tree to update per row, not two)
_WITHOUT_ROWID = ("match_rows", "pattern_rows", "match_firms", "pushed_firms")
_SQL_TYPES = {int: "INTEGER", str: "TEXT", float: "REAL"}


def _create_without_rowid(name: str, columns: dict[str, type], pk: Any) -> str:
    """DDL for one of our own tables (names and types are constants of this module, never user input)."""
    keys = (pk,) if isinstance(pk, str) else tuple(pk)
    cols = ", ".join(f"[{c}] {_SQL_TYPES[t]}" + (" NOT NULL" if c in keys else "") for c, t in columns.items())
    return f"CREATE TABLE [{name}] ({cols}, PRIMARY KEY ({', '.join(f'[{k}]' for k in keys)})) WITHOUT ROWID"


#: what readers query: one row per firm × item, the firm's own rows and its shared pattern's rows
_MATCHES_VIEW = f"""
CREATE VIEW IF NOT EXISTS matches AS
SELECT {", ".join(MATCH_COLUMNS)} FROM match_rows
UNION ALL
SELECT f.uscc, p.policy_id, p.item_id, p.status, p.amount, p.granted, p.score, p.near_miss,
       p.n_met, p.n_unmet, p.n_unknown, f.run_id
FROM match_firms f JOIN pattern_rows p ON p.pattern_id = f.pattern_id
"""


@functools.lru_cache(maxsize=4096)
def condition_wording(text: str | None) -> tuple[str, ...]:
    """An item's condition wording as stored in ``items.conditions`` (a JSON list of Chinese phrases).

    Cached: push and roster read it for every line, but there are only as many distinct values as items.
    """
    return tuple(json.loads(text or "[]"))


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


def _sort_rank(s: pd.Series) -> np.ndarray:
    """Integer ranks that sort like the column's text (categoricals by their categories' text)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = np.asarray(s.cat.categories.astype(str), dtype=object)
        rank = np.empty(len(cats) + 1, np.int64)
        rank[np.argsort(cats, kind="stable")] = np.arange(len(cats))
        rank[-1] = -1  # missing (code -1) first
        return rank[s.cat.codes.to_numpy(np.int64)]
    return np.asarray(pd.factorize(s.astype(str) if s.dtype == object else s, sort=True)[0], np.int64)


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
        """Create what is missing; bring a database written by an older version up to date (nothing is dropped)."""
        with self.db.atomic():
            if "matches" in self.db.table_names() and "match_rows" not in self.db.table_names():
                # before shared patterns, ``matches`` was the table of every row: it becomes the per-firm part
                self.db.execute("ALTER TABLE matches RENAME TO match_rows")
            for name, (columns, pk) in _TABLES.items():
                table = self.db[name]
                if table.exists():
                    present = table.columns_dict
                    for col, kind in columns.items():
                        if col not in present:
                            table.add_column(col, kind)
                elif name in _WITHOUT_ROWID:
                    self.db.execute(_create_without_rowid(name, columns, pk))
                else:
                    table.create(columns, pk=pk)
            for table, cols, unique in _INDEXES:
                self.db[table].create_index(cols, unique=unique, if_not_exists=True)
            self.db.execute(_MATCHES_VIEW)
        self._pattern_ids: dict[str, int] = {}

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
        df: pd.DataFrame | CompactMatches,
        run_id: int,
        chunk_id: int | None = None,
        *,
        n_firms: int | None = None,
        rejects: pd.DataFrame | None = None,
        firms: pd.DataFrame | None = None,
        seconds_evaluate: float = 0.0,
    ) -> int:
        """Store one chunk's match rows (from any writer) and record the chunk, in one transaction.

        ``df`` has the engine's columns (``uscc, policy_id, item_id, status`` required; ``amount,
        granted, score, near_miss, n_met, n_unmet, n_unknown, auto`` optional, others ignored),
        or is already compacted by ``compact_matches`` (as the batch's worker processes do, so
        only the compact form crosses processes); rows neither eligible nor unknown are dropped.
        Every firm of the chunk gets all its current rows here: its own rows are upserted into
        ``match_rows`` and its link to a shared pattern replaced in ``match_firms``. With
        ``chunk_id`` the write is idempotent: a chunk already recorded for the run is skipped
        (returns 0). ``firms`` (``uscc, name, region``) names the matched firms for rosters;
        ``rejects`` are the chunk's bad rows. Returns the number of match rows written.
        """
        t0 = time.perf_counter()
        if isinstance(df, pd.DataFrame):
            missing = [c for c in REQUIRED_MATCH_COLUMNS if c not in df.columns]
            if missing:
                raise StoreError(f"匹配结果缺少列：{', '.join(missing)}", file=str(self.path))
            compact = compact_matches(df)
        else:
            compact = df
        try:
            with self.db.atomic():
                if chunk_id is not None and self.db.execute(
                    "SELECT 1 FROM chunks WHERE run_id = ? AND chunk_id = ?", [run_id, chunk_id]
                ).fetchone():
                    return 0
                self._write_rows(compact.explicit, run_id)
                self._link_firms(compact, self._pattern_ids_of(compact), firms, run_id)
                n_rej = self._write_rejects(rejects, run_id, chunk_id)
                if chunk_id is not None:
                    self.db["chunks"].insert(
                        {
                            "run_id": run_id,
                            "chunk_id": chunk_id,
                            "n_firms": n_firms if n_firms is not None else len(compact.firm_uscc),
                            "n_rows": compact.n_rows,
                            **compact.stats,
                            "n_rejects": n_rej,
                            "seconds_evaluate": seconds_evaluate,
                            "seconds_write": time.perf_counter() - t0,
                            "done_at": now_iso(),
                        }
                    )
        except BaseException:
            self._pattern_ids.clear()  # ids handed out inside the rolled-back transaction are void
            raise
        return compact.n_rows

    def _write_rows(self, explicit: pd.DataFrame, run_id: int) -> None:
        """Upsert a chunk's per-firm rows, in key order (consecutive rows share B-tree pages)."""
        if not len(explicit):
            return
        order = np.lexsort([_sort_rank(explicit[c]) for c in reversed(MATCH_KEY)])
        rows = _rows(explicit.iloc[order].assign(run_id=run_id), MATCH_COLUMNS, _TABLES["match_rows"][0])
        cols = ", ".join(MATCH_COLUMNS)
        marks = ", ".join("?" * len(MATCH_COLUMNS))
        updates = ", ".join(f"{c} = excluded.{c}" for c in MATCH_COLUMNS if c not in MATCH_KEY)
        self.db.conn.executemany(
            f"INSERT INTO match_rows ({cols}) VALUES ({marks}) ON CONFLICT(uscc, policy_id, item_id) DO UPDATE SET {updates}",
            rows,
        )

    def _pattern_ids_of(self, compact: CompactMatches) -> list[int]:
        """The ``pattern_id`` of each of the chunk's signatures; patterns not stored yet are added with their rows."""
        hexes = [sig.hex() for sig in compact.signatures]
        unknown = [h for h in hexes if h not in self._pattern_ids]
        for k in range(0, len(unknown), 500):
            part = unknown[k : k + 500]
            sql = f"SELECT signature, pattern_id FROM patterns WHERE signature IN ({', '.join('?' * len(part))})"
            self._pattern_ids.update(self.db.execute(sql, part).fetchall())
        new = [k for k, h in enumerate(hexes) if h not in self._pattern_ids]
        if new:
            sizes = np.bincount(compact.pattern_rows["pattern"].to_numpy(np.int64), minlength=len(hexes))
            created = now_iso()
            first = int(self.db.execute("SELECT COALESCE(MAX(pattern_id), 0) + 1 FROM patterns").fetchone()[0])
            self.db.conn.executemany(
                "INSERT INTO patterns (pattern_id, signature, n_rows, created) VALUES (?, ?, ?, ?)",
                [(first + j, hexes[k], int(sizes[k]), created) for j, k in enumerate(new)],
            )
            self._pattern_ids.update({hexes[k]: first + j for j, k in enumerate(new)})
            ids = np.array([self._pattern_ids[h] for h in hexes], np.int64)
            part = compact.pattern_rows[compact.pattern_rows["pattern"].isin(new)]
            part = part.assign(pattern_id=ids[part["pattern"].to_numpy(np.int64)])
            cols = ("pattern_id", *PATTERN_COLUMNS)
            self.db.conn.executemany(
                f"INSERT INTO pattern_rows ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                _rows(part, cols, _TABLES["pattern_rows"][0]),
            )
        return [self._pattern_ids[h] for h in hexes]

    def _link_firms(self, compact: CompactMatches, pattern_ids: list[int], firms: pd.DataFrame | None, run_id: int) -> None:
        """Point each firm of the chunk at its pattern (or none).

        The upsert keeps the link the firm had before this run in ``prev_pattern_id``, so
        ``finish_run`` can count the rows that left with the old pattern without a lookup here.
        """
        if not len(compact.firm_uscc):
            return
        ids = np.asarray(pattern_ids + [None], dtype=object)[compact.firm_pattern].tolist()  # -1 → None
        uscc = compact.firm_uscc.tolist()
        self._spill_second_patterns(compact, uscc, run_id)
        # a firm already linked by an earlier chunk of this run keeps that link (its new rows were spilled above)
        keep_prev = (
            "prev_pattern_id = CASE WHEN match_firms.run_id IS excluded.run_id THEN match_firms.prev_pattern_id "
            "ELSE match_firms.pattern_id END, "
            "pattern_id = CASE WHEN match_firms.run_id IS excluded.run_id AND match_firms.pattern_id IS NOT NULL "
            "THEN match_firms.pattern_id ELSE excluded.pattern_id END, run_id = excluded.run_id"
        )
        if firms is not None and len(firms):
            named = firms.drop_duplicates("uscc").set_index("uscc").reindex(compact.firm_uscc)
            name = _column_values(named["name"], str) if "name" in named.columns else [None] * len(uscc)
            region = _column_values(named["region"], str) if "region" in named.columns else [None] * len(uscc)
            self.db.conn.executemany(
                "INSERT INTO match_firms (uscc, name, region, pattern_id, run_id) VALUES (?, ?, ?, ?, ?) "
                f"ON CONFLICT(uscc) DO UPDATE SET name = excluded.name, region = excluded.region, {keep_prev}",
                zip(uscc, name, region, ids, [run_id] * len(uscc), strict=True),
            )
        else:
            self.db.conn.executemany(
                f"INSERT INTO match_firms (uscc, pattern_id, run_id) VALUES (?, ?, ?) ON CONFLICT(uscc) DO UPDATE SET {keep_prev}",
                zip(uscc, ids, [run_id] * len(uscc), strict=True),
            )

    def _spill_second_patterns(self, compact: CompactMatches, uscc: list[str], run_id: int) -> None:
        """Firms whose rows come in more than one chunk of a run (a repeated USCC, or a caller
        splitting a firm's rows): a firm holds one pattern, so the rows of any later pattern are
        stored as the firm's own rows instead."""
        with_pattern = [u for u, k in zip(uscc, compact.firm_pattern.tolist(), strict=True) if k >= 0]
        if not with_pattern:
            return
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS chunk_firms (uscc TEXT PRIMARY KEY)")
        self.db.execute("DELETE FROM chunk_firms")
        self.db.conn.executemany("INSERT OR IGNORE INTO chunk_firms VALUES (?)", ((u,) for u in with_pattern))
        linked = [
            r[0]
            for r in self.db.execute(
                "SELECT c.uscc FROM chunk_firms c JOIN match_firms f ON f.uscc = c.uscc "
                "WHERE f.run_id = ? AND f.pattern_id IS NOT NULL",
                [run_id],
            )
        ]
        if not linked:
            return
        where = pd.Index(compact.firm_uscc).get_indexer(linked)
        patterns = compact.firm_pattern[where]
        parts = [
            compact.pattern_rows[compact.pattern_rows["pattern"] == k].drop(columns="pattern").assign(uscc=u)
            for u, k in zip(linked, patterns.tolist(), strict=True)
        ]
        self._write_rows(pd.concat(parts, ignore_index=True), run_id)

    def _write_rejects(self, rejects: pd.DataFrame | None, run_id: int, chunk_id: int | None) -> int:
        if rejects is None or not len(rejects):
            return 0
        rej = rejects.assign(run_id=run_id, chunk_id=chunk_id)
        recs = [
            {k: (None if pd.isna(v) else v) for k, v in r.items()}
            for r in rej[[c for c in (*REJECT_COLUMNS, "run_id", "chunk_id") if c in rej.columns]].to_dict("records")
        ]
        self.db["rejects"].insert_all(recs, alter=True)
        return len(recs)

    def finish_run(self, run_id: int, *, seconds: float | None = None) -> dict[str, Any]:
        """Close a run: drop every match (and batch reject) not produced by it, record counts; returns the run row.

        What goes: per-firm rows the run did not write again, unless the firm's new pattern
        holds the same (firm, item); and the pattern links of firms the run did not match at
        all. Unreferenced patterns are deleted. Idempotent: finishing a finished run
        recomputes the same counts.
        """
        with self.db.atomic():
            removed = self.db.execute(
                """
                SELECT COUNT(*) FROM match_rows m WHERE m.run_id <> :run AND NOT EXISTS (
                    SELECT 1 FROM match_firms f JOIN pattern_rows p ON p.pattern_id = f.pattern_id
                    WHERE f.uscc = m.uscc AND f.run_id = :run AND p.policy_id = m.policy_id AND p.item_id = m.item_id)
                """,
                {"run": run_id},
            ).fetchone()[0]
            removed += self.db.execute(
                "SELECT COALESCE(SUM(p.n_rows), 0) FROM match_firms f JOIN patterns p ON p.pattern_id = f.pattern_id "
                "WHERE f.run_id <> ?",
                [run_id],
            ).fetchone()[0]
            # firms of this run whose pattern changed: rows of the old one that the firm no longer has
            removed += self.db.execute(
                """
                SELECT COUNT(*) FROM match_firms f JOIN pattern_rows o ON o.pattern_id = f.prev_pattern_id
                WHERE f.run_id = :run AND f.prev_pattern_id IS NOT NULL AND f.prev_pattern_id IS NOT f.pattern_id
                  AND NOT EXISTS (SELECT 1 FROM pattern_rows n WHERE n.pattern_id = f.pattern_id
                                  AND n.policy_id = o.policy_id AND n.item_id = o.item_id)
                  AND NOT EXISTS (SELECT 1 FROM match_rows m WHERE m.uscc = f.uscc AND m.policy_id = o.policy_id
                                  AND m.item_id = o.item_id AND m.run_id = :run)
                """,
                {"run": run_id},
            ).fetchone()[0]
            self.db.execute("UPDATE match_firms SET prev_pattern_id = NULL WHERE prev_pattern_id IS NOT NULL")
            self.db.execute("DELETE FROM match_rows WHERE run_id <> ?", [run_id])
            self.db.execute("UPDATE match_firms SET pattern_id = NULL WHERE run_id <> ? AND pattern_id IS NOT NULL", [run_id])
            # patterns no firm holds now and none was last pushed with (push compares against those)
            in_use = (
                "SELECT pattern_id FROM match_firms WHERE pattern_id IS NOT NULL "
                "UNION SELECT pattern_id FROM pushed_firms WHERE pattern_id IS NOT NULL"
            )
            self.db.execute(f"DELETE FROM pattern_rows WHERE pattern_id NOT IN ({in_use})")
            self.db.execute(f"DELETE FROM patterns WHERE pattern_id NOT IN ({in_use})")
            self._pattern_ids.clear()
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
            m = c[5:10]
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
                # rows replaced while chunks were written, plus what this sweep removed; a second
                # finish removes nothing and must not forget what the first one did
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
