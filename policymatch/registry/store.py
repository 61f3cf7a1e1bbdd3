"""Load a registry into SQLite (tables ``firms`` and ``rejects``) and stream it back as frames.

Why SQLite via sqlite-utils: one portable file the batch job, the CLI and an embedding
platform can all open; chunks are inserted as they are checked, so memory stays bounded.
A load replaces both tables: the ``firms`` table holds exactly the columns the source file had
(a qualification column the source lacked stays *absent*, i.e. unknown, rather than turning
into "not held"), plus ``size``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlite_utils

from ..errors import RegistryError, StoreError
from ..fields import FIELDS
from ..profiles import FRAME_DTYPES, conform
from .ingest import REJECT_COLUMNS, Progress, read_registry
from .readers import FIRMS_TABLE

__all__ = ["LoadSummary", "load_registry", "iter_db_firms", "REJECTS_TABLE", "write_firms_db"]

REJECTS_TABLE = "rejects"
_SQL_TYPE = {"money": int, "int": int, "bool": int}


@dataclass(frozen=True)
class LoadSummary:
    """Counts of one load: every row read is either loaded or rejected."""

    read: int
    loaded: int
    rejected: int
    ignored_columns: tuple[str, ...] = ()
    encoding: str | None = None
    #: (reason, rows) for the rejects, most frequent first
    reasons: tuple[tuple[str, int], ...] = ()

    def line(self) -> str:
        """The closing line of ``registry load``.

        >>> LoadSummary(55, 40, 15).line()
        '读取 55 行 = 入库 40 行 + 拒收 15 行'
        """
        return f"读取 {self.read} 行 = 入库 {self.loaded} 行 + 拒收 {self.rejected} 行"


def _column_type(column: str) -> type:
    f = FIELDS.get(column)
    return _SQL_TYPE.get(f.kind, str) if f else str


def _rows(df: pd.DataFrame) -> list[tuple]:
    """Frame → row tuples with None for NA and 0/1 for booleans (what SQLite stores)."""
    cols = []
    for c in df.columns:
        s = df[c]
        if FIELDS.get(c) is not None and FIELDS[c].kind == "bool":
            s = s.astype("Int64")
        cols.append(s.astype(object).where(s.notna(), None).to_numpy())
    return list(zip(*cols))


def _insert(db: sqlite_utils.Database, table: str, df: pd.DataFrame) -> None:
    """Bulk insert (or replace by primary key) a frame whose columns are all our own contract names.

    sqlite-utils creates the tables; rows go through one parameterised ``executemany`` because
    ``insert_all`` spends ~10 µs per cell on type sniffing, 6× the whole check of a row.
    """
    allowed = set(FRAME_DTYPES) | set(REJECT_COLUMNS)
    if not set(df.columns) <= allowed or table not in (FIRMS_TABLE, REJECTS_TABLE):
        raise StoreError(f"内部错误：不允许写入的表或列 {table}")
    names = ", ".join(f'"{c}"' for c in df.columns)
    marks = ", ".join("?" for _ in df.columns)
    with db.conn:
        db.conn.executemany(f'INSERT OR REPLACE INTO "{table}" ({names}) VALUES ({marks})', _rows(df))


def _create_firms(db: sqlite_utils.Database, columns: list[str]) -> None:
    db[FIRMS_TABLE].create({c: _column_type(c) for c in columns}, pk="uscc")


def write_firms_db(df: pd.DataFrame, db_path: str | Path, replace: bool = True) -> None:
    """Write a clean firms frame (profiles contract, e.g. from the generator) as a ``firms`` table."""
    db = sqlite_utils.Database(db_path)
    db.execute("PRAGMA synchronous = OFF")  # a written file, not a live store: no fsync per batch
    if replace and FIRMS_TABLE in db.table_names():
        db[FIRMS_TABLE].drop()
    if FIRMS_TABLE not in db.table_names():
        _create_firms(db, list(df.columns))
    step = 50_000
    for start in range(0, len(df), step):
        _insert(db, FIRMS_TABLE, df.iloc[start : start + step])
    db.close()


def load_registry(path: str | Path, db: str | Path, chunk_size: int = 200_000, progress: Progress | None = None) -> LoadSummary:
    """Check a registry file and load it into ``db`` (replacing its ``firms`` and ``rejects`` tables)."""
    if Path(db).resolve() == Path(path).resolve():
        raise RegistryError("目标数据库不能是被导入的文件本身", file=str(db))
    try:
        database = sqlite_utils.Database(db)
        for table in (FIRMS_TABLE, REJECTS_TABLE):
            if table in database.table_names():
                database[table].drop()
    except sqlite3.DatabaseError as e:
        raise StoreError(f"无法写入数据库（{e}）", file=str(db)) from None
    database[REJECTS_TABLE].create({"file": str, "row": int, "column": str, "value": str, "reason": str})
    # a load rebuilds both tables from the file: no fsync per batch (a crash means re-running the load)
    database.execute("PRAGMA synchronous = OFF")
    loaded = rejected = 0
    reasons: Counter[str] = Counter()
    ignored: tuple[str, ...] = ()
    encoding = None
    created = False
    for chunk in read_registry(path, chunk_size=chunk_size, progress=progress):
        ignored, encoding = tuple(chunk.ignored_columns), chunk.encoding
        if not created:
            _create_firms(database, list(chunk.firms.columns))
            created = True
        _insert(database, FIRMS_TABLE, chunk.firms)
        _insert(database, REJECTS_TABLE, chunk.rejects[REJECT_COLUMNS])
        loaded += len(chunk.firms)
        rejected += len(chunk.rejects)
        reasons.update(r.split("（另有")[0] for r in chunk.rejects["reason"].tolist())
    database.close()
    return LoadSummary(loaded + rejected, loaded, rejected, ignored, encoding, tuple(reasons.most_common()))


def iter_db_firms(db: str | Path, chunk_size: int = 200_000) -> Iterator[pd.DataFrame]:
    """Stream the ``firms`` table of a loaded registry as frames in the profiles contract."""
    p = Path(db)
    if not p.is_file():
        raise StoreError("数据库文件不存在", file=str(p))
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{FIRMS_TABLE}")')]
    except sqlite3.DatabaseError as e:
        raise StoreError(f"不是可读的 SQLite 数据库（{e}）", file=str(p)) from None
    if not columns:
        conn.close()
        raise StoreError(f"数据库中没有 {FIRMS_TABLE} 表（先运行 policymatch registry load）", file=str(p))
    known = [c for c in columns if c in FRAME_DTYPES]
    select = ", ".join(f'"{c}"' for c in known)  # names from our own contract only
    try:
        cur = conn.execute(f'SELECT {select} FROM "{FIRMS_TABLE}" ORDER BY rowid')
        while batch := cur.fetchmany(max(chunk_size, 1)):
            df = pd.DataFrame(batch, columns=known, dtype=object)
            for c in known:
                if c in FIELDS and FIELDS[c].kind == "bool":  # SQLite keeps booleans as 0/1
                    df[c] = df[c].map(lambda v: None if v is None else bool(v))
            yield conform(df)
    finally:
        conn.close()

