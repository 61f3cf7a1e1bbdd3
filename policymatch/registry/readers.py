"""Stream a registry file as raw chunks (original headers, cells untouched) whatever its format.

Why streaming: a registry has up to 6 million rows; every reader yields ``RawChunk``s of at
most ``chunk_size`` rows so memory stays bounded. Formats are chosen from the file suffix by a
table; CSV encoding (UTF-8 / GBK / GB18030 …) is detected from the first megabyte. Row numbers
are what a user sees: CSV and Excel count the header as row 1, Parquet and SQLite count records
from 1. A CSV line with the wrong number of cells is not a reason to stop: it comes back in
``RawChunk.broken`` and ends up in rejects.
"""

from __future__ import annotations

import codecs
import csv
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import RegistryError

__all__ = ["name_blank_headers", "RawChunk", "open_registry", "detect_encoding", "READERS", "FIRMS_TABLE"]

#: the table a SQLite registry (and our own load target) keeps firms in
FIRMS_TABLE = "firms"
_SAMPLE = 1 << 20


@dataclass
class RawChunk:
    """Up to chunk_size rows: cells as read, user-facing row numbers, and unreadable lines."""

    frame: pd.DataFrame
    rows: list[int]
    #: (row, reason) for lines that could not be split into the header's columns
    broken: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class Source:
    """An opened registry: its columns, a row count (None when unknown without reading) and chunks."""

    columns: list[str]
    total: int | None
    chunks: Callable[[int, list[str] | None], Iterator[RawChunk]]
    encoding: str | None = None


def name_blank_headers(cells: list) -> list[str]:
    """Header cells as text; trailing blanks dropped, inner blanks named 未命名列N so names stay unique.

    >>> name_blank_headers(["统一社会信用代码", None, "营业收入", "", None])
    ['统一社会信用代码', '未命名列2', '营业收入']
    """
    names = ["" if v is None else str(v).strip() for v in cells]
    while names and not names[-1]:
        names.pop()
    return [n or f"未命名列{i + 1}" for i, n in enumerate(names)]


# ---------------------------------------------------------------- CSV


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) if the bytes decode as such, else GB18030 (superset of GBK/GB2312).

    >>> detect_encoding("统一社会信用代码".encode("gbk")), detect_encoding("企业".encode("utf-8"))
    ('gb18030', 'utf-8-sig')
    """
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    for enc in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(sample, final=False)
            return enc
        except UnicodeDecodeError:
            continue
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
    except Exception:  # pragma: no cover - library failure is reported below
        best = None
    if best is None or best.encoding is None:
        raise RegistryError("无法识别文件编码（应为 UTF-8 或 GBK/GB18030 文本）")
    return best.encoding


def _csv_source(path: Path) -> Source:
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE)
    enc = detect_encoding(sample)
    if enc != "utf-16" and b"\x00" in sample[:4096]:
        raise RegistryError("不是文本 CSV 文件（含二进制内容）", file=str(path))
    text = codecs.getincrementaldecoder(enc)(errors="ignore").decode(sample, final=False)
    first = text.splitlines()[0] if text else ""
    delimiter = max(",\t;|", key=first.count) if first else ","
    if not first.strip():
        raise RegistryError("文件为空或第一行没有表头", file=str(path))
    raw_header = next(csv.reader([first], delimiter=delimiter))
    header = name_blank_headers(raw_header)

    def chunks(size: int, columns: list[str] | None) -> Iterator[RawChunk]:
        keep = [header.index(c) for c in columns] if columns else list(range(len(header)))
        names = [header[i] for i in keep]
        with path.open("r", encoding=enc, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            try:
                next(reader)
                rows: list[list[str]] = []
                numbers: list[int] = []
                broken: list[tuple[int, str, str]] = []
                n = 1
                for rec in reader:
                    n += 1
                    if not rec or (len(rec) == 1 and not rec[0].strip()):
                        continue  # blank line: nothing to load, nothing lost
                    if len(rec) > len(header) and not any(c.strip() for c in rec[len(header) :]):
                        rec = rec[: len(header)]  # trailing empty cells under blank header cells
                    if len(rec) != len(header):
                        broken.append((n, delimiter.join(rec)[:200], f"列数不对（表头{len(header)}列，本行{len(rec)}列）"))
                    else:
                        rows.append([rec[i] for i in keep])
                        numbers.append(n)
                    if len(rows) >= size:
                        yield RawChunk(pd.DataFrame(rows, columns=names, dtype=object), numbers, broken)
                        rows, numbers, broken = [], [], []
                if rows or broken:
                    yield RawChunk(pd.DataFrame(rows, columns=names, dtype=object), numbers, broken)
            except UnicodeDecodeError:
                raise RegistryError(f"第{n}行附近有按 {enc} 无法解码的字节（文件编码混杂）", file=str(path)) from None
            except csv.Error as e:
                raise RegistryError(f"第{n}行附近 CSV 格式错误：{e}", file=str(path)) from None

    return Source(header, None, chunks, enc)


# ---------------------------------------------------------------- Excel


def _excel_source(path: Path) -> Source:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise RegistryError(f"无法读取 Excel 文件（{type(e).__name__}）", file=str(path)) from None
    ws = wb.worksheets[0]
    header_row, header = 0, []
    for i, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if values and any(v is not None and str(v).strip() for v in values):
            header_row, header = i, name_blank_headers(list(values))
            break
    wb.close()
    if not header:
        raise RegistryError("工作表为空，没有表头", file=str(path))

    def chunks(size: int, columns: list[str] | None) -> Iterator[RawChunk]:
        keep = [header.index(c) for c in columns] if columns else list(range(len(header)))
        names = [header[i] for i in keep]
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows, numbers = [], []
            for i, values in enumerate(book.worksheets[0].iter_rows(min_row=header_row + 1, values_only=True)):
                if not values or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                values = (list(values) + [None] * len(header))[: max(len(header), len(values))]
                rows.append([values[j] for j in keep])
                numbers.append(header_row + 1 + i)
                if len(rows) >= size:
                    yield RawChunk(pd.DataFrame(rows, columns=names, dtype=object), numbers)
                    rows, numbers = [], []
            if rows:
                yield RawChunk(pd.DataFrame(rows, columns=names, dtype=object), numbers)
        finally:
            book.close()

    return Source(header, None, chunks)


# ---------------------------------------------------------------- Parquet


def _parquet_source(path: Path) -> Source:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:
        raise RegistryError(f"无法读取 Parquet 文件（{type(e).__name__}）", file=str(path)) from None
    header = list(pf.schema_arrow.names)

    def chunks(size: int, columns: list[str] | None) -> Iterator[RawChunk]:
        start = 1
        for batch in pq.ParquetFile(path).iter_batches(batch_size=size, columns=columns):
            frame = batch.to_pandas(types_mapper=pd.ArrowDtype)
            yield RawChunk(frame, list(range(start, start + len(frame))))
            start += len(frame)

    return Source(header, pf.metadata.num_rows, chunks)


# ---------------------------------------------------------------- SQLite


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("SELECT name FROM sqlite_master LIMIT 1")
    except sqlite3.DatabaseError as e:
        raise RegistryError(f"不是可读的 SQLite 数据库（{e}）", file=str(path)) from None
    return conn


def _sqlite_source(path: Path) -> Source:
    conn = _sqlite_connect(path)
    try:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?", (FIRMS_TABLE,)).fetchone()
        if not found:
            raise RegistryError(f"数据库中没有 {FIRMS_TABLE} 表", file=str(path))
        header = [r[1] for r in conn.execute(f'PRAGMA table_info("{FIRMS_TABLE}")')]
        total = conn.execute(f'SELECT count(*) FROM "{FIRMS_TABLE}"').fetchone()[0]
    finally:
        conn.close()

    def chunks(size: int, columns: list[str] | None) -> Iterator[RawChunk]:
        names = columns or header
        # column names come from the file's own schema, quoted; values never enter the SQL
        select = ", ".join('"' + c.replace('"', '""') + '"' for c in names)
        c = _sqlite_connect(path)
        try:
            cur = c.execute(f'SELECT {select} FROM "{FIRMS_TABLE}" ORDER BY rowid')
            start = 1
            while batch := cur.fetchmany(size):
                yield RawChunk(pd.DataFrame(batch, columns=names, dtype=object), list(range(start, start + len(batch))))
                start += len(batch)
        finally:
            c.close()

    return Source(header, total, chunks)


#: file suffix → opener
READERS: dict[str, Callable[[Path], Source]] = {
    ".csv": _csv_source,
    ".txt": _csv_source,
    ".tsv": _csv_source,
    ".xlsx": _excel_source,
    ".xlsm": _excel_source,
    ".parquet": _parquet_source,
    ".pq": _parquet_source,
    ".db": _sqlite_source,
    ".sqlite": _sqlite_source,
    ".sqlite3": _sqlite_source,
}


def open_registry(path: str | Path) -> Source:
    """Open a registry file by its suffix; RegistryError for a missing file or an unknown format."""
    p = Path(path)
    if not p.is_file():
        raise RegistryError("文件不存在", file=str(p))
    opener = READERS.get(p.suffix.lower())
    if opener is None:
        kinds = "、".join(sorted(READERS))
        raise RegistryError(f"不支持的文件类型 {p.suffix or '（无后缀）'}（支持 {kinds}；旧版 .xls 请另存为 .xlsx）", file=str(p))
    src = opener(p)
    if len(set(src.columns)) != len(src.columns):
        dup = sorted({c for c in src.columns if src.columns.count(c) > 1})
        raise RegistryError(f"表头有重复列：{'、'.join(dup)}", file=str(p))
    return src

