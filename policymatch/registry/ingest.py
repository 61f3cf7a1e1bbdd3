"""Read a registry file into checked chunks of firms (profiles contract) and rejects.

Why two passes: "the later row wins" for a duplicated USCC must hold across chunks without
keeping the whole file in memory. A first pass reads only the USCC column and keeps a 64-bit
hash per row (8 bytes, ~50 MB for 6 M firms) to find every superseded row; the second pass
validates chunk by chunk and sends bad and superseded rows to rejects. Every row read ends up
in exactly one of the two (``read == len(firms) + rejected rows``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..profiles import FRAME_DTYPES, empty_frame
from ..size import derive_size
from .headers import map_headers
from .readers import Source, open_registry
from .uscc import normalise_uscc
from .validate import validate_frame

__all__ = ["RegistryChunk", "read_registry", "REJECT_COLUMNS", "Progress"]

REJECT_COLUMNS = ["file", "row", "column", "value", "reason"]
#: progress callback: (rows done, total rows or None)
Progress = Callable[[int, int | None], None]
_STR = pd.ArrowDtype(pa.string())
_INT = pd.ArrowDtype(pa.int64())


@dataclass
class RegistryChunk:
    """One chunk: clean firms (contract dtypes, ``size`` filled where derivable) and its rejects."""

    firms: pd.DataFrame
    rejects: pd.DataFrame
    #: headers of the file that map to no field (reported, not loaded)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None

    @property
    def read(self) -> int:
        """Rows of the file this chunk covers (each row is a firm or exactly one reject)."""
        return len(self.firms) + len(self.rejects)


def _hashes(codes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """uint64 hash per normalised code and a mask of rows that have a code at all."""
    norm = normalise_uscc(codes)
    present = (norm.notna() & (norm != "")).to_numpy(dtype=bool, na_value=False)
    values = norm.fillna("").to_numpy(dtype=object)
    return pd.util.hash_array(values, categorize=False), present


def _superseded(src: Source, uscc_col: str, chunk_size: int) -> tuple[dict[int, int], int]:
    """Row number → row number of the later row that replaces it; plus the number of rows."""
    hashes, rows = [], []
    total = 0
    for raw in src.chunks(chunk_size, [uscc_col]):
        h, present = _hashes(raw.frame[uscc_col])
        hashes.append(h[present])
        rows.append(np.asarray(raw.rows, dtype=np.int64)[present])
        total += len(raw.rows) + len(raw.broken)
    if not hashes:
        return {}, total
    h = pd.Series(np.concatenate(hashes))
    r = np.concatenate(rows)
    dup = h.duplicated(keep="last").to_numpy()
    if not dup.any():
        return {}, total
    last = h.duplicated(keep=False).to_numpy() & ~dup
    winner = dict(zip(h[last].to_numpy(), r[last]))
    return {int(row): int(winner[hv]) for row, hv in zip(r[dup], h[dup].to_numpy())}, total


def _reason(problems: list[tuple[str, str, str]]) -> str:
    first = problems[0][2]
    if len(problems) == 1:
        return first
    return f"{first}（另有{len(problems) - 1}处问题：{'；'.join(p[2] for p in problems[1:])}）"


def _rejects(file: str, records: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    df = pd.DataFrame(records, columns=REJECT_COLUMNS[1:])
    df.insert(0, "file", file)
    return df.astype({"file": _STR, "row": _INT, "column": _STR, "value": _STR, "reason": _STR}).sort_values(
        "row", kind="stable", ignore_index=True
    )


def read_registry(path: str | Path, chunk_size: int = 200_000, progress: Progress | None = None) -> Iterator[RegistryChunk]:
    """Stream a registry (CSV/Excel/Parquet/SQLite) as checked chunks; bad rows go to each chunk's rejects.

    Headers are mapped by ``headers.map_headers`` (Chinese office headers, units → yuan); ``size``
    is derived by the 2017 standard where the file does not give it.
    """
    file = str(path)
    src = open_registry(path)
    hm = map_headers(src.columns, file)
    uscc_col = next(k for k, v in hm.rename.items() if v == "uscc")
    superseded, total = _superseded(src, uscc_col, max(chunk_size, 1))
    done = 0
    yielded = False
    order = [c for c in FRAME_DTYPES if c in hm.rename.values() or c == "size"]
    for raw in src.chunks(max(chunk_size, 1), list(hm.rename)):
        checked = validate_frame(raw.frame.rename(columns=hm.rename), hm.scales)
        rows = np.asarray(raw.rows, dtype=np.int64)
        records = [(row, "", value, reason) for row, value, reason in raw.broken]
        bad = checked.bad
        for pos, problems in checked.problems.items():
            column, value, _ = problems[0]
            records.append((int(rows[pos]), column, value, _reason(problems)))
        replaced = np.array([int(r) in superseded for r in rows], dtype=bool) & ~bad
        for pos in np.flatnonzero(replaced):
            code = checked.values["uscc"].iloc[pos]
            winner = superseded[int(rows[pos])]
            records.append((int(rows[pos]), "uscc", code, f"统一社会信用代码重复：已被第{winner}行取代（以后出现的行为准）"))
        firms = checked.values[~bad & ~replaced].reset_index(drop=True)
        derived = derive_size(firms)
        firms["size"] = firms["size"].fillna(derived) if "size" in firms.columns else derived
        done += len(raw.rows) + len(raw.broken)
        if progress is not None:
            progress(done, total)
        yielded = True
        yield RegistryChunk(firms[order], _rejects(file, records), hm.ignored, src.encoding)
    if not yielded:  # a header without rows: still one (empty) chunk, so the columns are known
        yield RegistryChunk(empty_frame(order), _rejects(file, []), hm.ignored, src.encoding)
