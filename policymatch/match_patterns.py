"""Shared match patterns: the compact form in which a chunk's match rows reach the results database.

Why: with real rules a firm has about 90 kept rows, most of them "待核实" (unknown) rows of
items whose conditions no registry can check (``other`` conditions: 项目验收, 获奖, 承诺 …).
Stored one by one that is 90 rows × 6 M firms, more than a single SQLite writer stores in
time – yet the rows repeat: thousands of firms share the same items with the same conditions
met and the same amounts. So the rows of a firm whose values are the item's, not the firm's,
are stored once per distinct set as a *pattern* (named by a 128-bit signature of its rows) and
each firm points at its pattern. What is specific to one firm stays a row of its own: an
amount computed from the firm's own figures (it differs between firms of the chunk) or a
near-miss note. The store's ``matches`` view joins both back, so readers still see one row
per firm × item.

>>> import pandas as pd
>>> df = pd.DataFrame({"uscc": ["A", "A", "B", "B", "C"], "policy_id": ["P"] * 5,
...     "item_id": ["1", "2", "1", "2", "3"], "status": ["unknown", "eligible", "unknown", "eligible", "eligible"],
...     "amount": [100, 200, 100, 200, 7], "granted": [False, True, False, True, True]})
>>> c = compact_matches(df)
>>> c.firm_uscc.tolist(), c.firm_pattern.tolist(), len(c.signatures), len(c.explicit), c.n_rows
(['A', 'B', 'C'], [0, 0, 1], 2, 0, 5)
>>> c2 = compact_matches(df.assign(amount=[100, 200, 100, 250, 7]))  # item 2's amount depends on the firm
>>> c2.explicit[["uscc", "item_id", "amount"]].values.tolist()
[['A', '2', 200], ['B', '2', 250]]
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CompactMatches", "compact_matches", "PATTERN_COLUMNS"]

#: the stored values of one pattern row (a match row without the firm and the run)
PATTERN_COLUMNS: tuple[str, ...] = (
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
)

_STATUS_CODE = {"eligible": 0, "unknown": 1, "ineligible": 2}


@dataclass
class CompactMatches:
    """One chunk's kept match rows, split into per-firm rows and shared patterns.

    - ``explicit``: rows specific to one firm (the engine's columns, ``uscc`` first);
    - ``firm_uscc`` / ``firm_pattern``: every firm with at least one kept row, and the index
      into ``signatures`` of its pattern (-1: the firm has no pattern rows);
    - ``signatures``: the chunk's distinct pattern digests (16 bytes each);
    - ``pattern_rows``: the rows of each distinct pattern, ``PATTERN_COLUMNS`` plus ``pattern``
      (the index into ``signatures``).

    ``n_rows`` is the number of match rows this stands for (explicit + pattern rows of every
    firm); ``stats`` counts them by kind (``n_eligible``, ``n_unknown``, ``n_granted``, ``n_auto``).
    """

    explicit: pd.DataFrame
    firm_uscc: np.ndarray
    firm_pattern: np.ndarray
    signatures: list[bytes]
    pattern_rows: pd.DataFrame
    n_rows: int
    stats: dict[str, int]


def _codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and the distinct values of a column (categorical codes as they are: no string copies)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(np.int64), np.asarray(s.cat.categories.astype(object), dtype=object)
    codes, uniq = pd.factorize(s, sort=False)
    return np.asarray(codes, np.int64), np.asarray(uniq, dtype=object)


def _item_keys(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row: a dense code of its (policy_id, item_id), and per code a 16-byte digest of the pair.

    The digest is what goes into a pattern's signature, so a pattern's identity does not
    depend on the order items happen to have in one chunk.
    """
    pc, pv = _codes(df["policy_id"])
    ic, iv = _codes(df["item_id"])
    width = len(iv) + 1
    pair = pc * width + ic
    if (len(pv) + 1) * width <= 1 << 24:  # a dense table: O(n), no sort
        present = np.zeros((len(pv) + 1) * width, bool)
        present[pair] = True
        uniq = np.flatnonzero(present)
        remap = np.cumsum(present) - 1
        dense = remap[pair]
    else:
        uniq, dense = np.unique(pair, return_inverse=True)
    digests = np.array(
        [hashlib.blake2b(f"{pv[u // width]}\x1f{iv[u % width]}".encode(), digest_size=16).digest() for u in uniq.tolist()],
        dtype="S16",
    )
    return np.asarray(dense, np.int64), digests


def _numbers(df: pd.DataFrame, name: str, fill: float, dtype: type) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), fill, dtype)
    s = df[name]
    return s.to_numpy(dtype) if not s.hasnans else s.astype("Float64").fillna(fill).to_numpy(dtype)


def _shareable(df: pd.DataFrame, item: np.ndarray, status: np.ndarray, known: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Rows that may go into a pattern: eligible or unknown, no near-miss note, and an amount that
    is the same for every such row of the item in this chunk (so it is the item's, not the firm's)."""
    ok = (status == _STATUS_CODE["unknown"]) | (status == _STATUS_CODE["eligible"])
    if "near_miss" in df.columns:
        ok &= df["near_miss"].isna().to_numpy()
    if ok.any():
        val = np.where(known, amount, np.iinfo(np.int64).min)[ok]
        n_items = int(item.max()) + 1
        lo = np.full(n_items, np.iinfo(np.int64).max)
        hi = np.full(n_items, np.iinfo(np.int64).min)
        np.minimum.at(lo, item[ok], val)
        np.maximum.at(hi, item[ok], val)
        ok[ok] = (lo == hi)[item[ok]]
    return ok


def _stats(df: pd.DataFrame, status: np.ndarray) -> dict[str, int]:
    granted = df["granted"].fillna(False).to_numpy(bool) if "granted" in df.columns else np.zeros(len(df), bool)
    auto = df["auto"].fillna(False).to_numpy(bool) if "auto" in df.columns else np.zeros(len(df), bool)
    eligible = status == _STATUS_CODE["eligible"]
    return {
        "n_eligible": int(eligible.sum()),
        "n_unknown": int((status == _STATUS_CODE["unknown"]).sum()),
        "n_granted": int(granted.sum()),
        "n_auto": int((granted & auto & eligible).sum()),
    }


def _status_codes(df: pd.DataFrame) -> np.ndarray:
    sc, sv = _codes(df["status"])
    table = np.array([_STATUS_CODE.get(str(v), -1) for v in sv] + [-1], np.int64)
    return table[sc]  # code -1 (missing) picks the trailing -1


def compact_matches(df: pd.DataFrame) -> CompactMatches:
    """Split the kept match rows of ``df`` (the engine's columns; rows that are not eligible or
    unknown are dropped) into explicit rows and patterns.

    Pure and deterministic: the same rows give the same signatures in any process, so patterns
    are shared across chunks, workers and runs.
    """
    status = _status_codes(df) if len(df) else np.zeros(0, np.int64)
    kept = (status == _STATUS_CODE["eligible"]) | (status == _STATUS_CODE["unknown"])
    if not kept.all():
        df, status = df.iloc[np.flatnonzero(kept)], status[kept]
    n = len(df)
    stats = _stats(df, status)
    empty = pd.DataFrame(columns=[*PATTERN_COLUMNS, "pattern"])
    if not n:
        return CompactMatches(df, np.array([], dtype=object), np.array([], np.int64), [], empty, 0, stats)
    amount_s = df["amount"].astype("Int64") if "amount" in df.columns else pd.Series(pd.NA, index=df.index, dtype="Int64")
    known = amount_s.notna().to_numpy()
    amount = amount_s.fillna(0).to_numpy(np.int64)
    item, item_digest = _item_keys(df)
    share = _shareable(df, item, status, known, amount)
    firm_codes, firm_uscc = _codes(df["uscc"])
    firm_pattern = np.full(len(firm_uscc), -1, np.int64)
    rows = np.flatnonzero(share)
    if not len(rows):
        return CompactMatches(df, firm_uscc, firm_pattern, [], empty, n, stats)
    firm = firm_codes[rows]
    sig = _firm_signatures(df, rows, firm, len(firm_uscc), item_digest[item[rows]], status, known, amount)
    has = np.zeros(len(firm_uscc), bool)
    has[firm] = True
    firms_with = np.flatnonzero(has)
    uniq, first, inverse = np.unique(sig[firms_with], axis=0, return_index=True, return_inverse=True)
    firm_pattern[firms_with] = inverse.reshape(-1)
    signatures = [u.tobytes() for u in uniq]
    label = np.full(len(firm_uscc), -1, np.int64)
    label[firms_with[first]] = np.arange(len(uniq))
    take = rows[label[firm] >= 0]
    pattern_rows = df.iloc[take].reset_index(drop=True)
    pattern_rows = pd.DataFrame({c: (pattern_rows[c] if c in pattern_rows.columns else None) for c in PATTERN_COLUMNS})
    pattern_rows["pattern"] = label[firm_codes[take]]
    return CompactMatches(df.iloc[np.flatnonzero(~share)], firm_uscc, firm_pattern, signatures, pattern_rows, n, stats)


_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise (a bijection on uint64 with good avalanche)."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def _firm_signatures(df, rows, firm, n_firms, digests, status, known, amount) -> np.ndarray:  # noqa: ANN001
    """A 128-bit signature per firm of the set of its shareable rows: two sums of row hashes.

    Order-independent, so rows need no sorting. A row's 64-bit hash covers every stored value
    (item digest, status, amount, score, condition counts); the two sums use two functions of
    it, so two different sets of rows share a signature only by a collision of 64-bit hashes
    (about 2^-64 per pair of distinct rows) – negligible next to the ~10^4 patterns of a run.
    """
    d = np.frombuffer(digests.tobytes(), dtype="<u8").reshape(-1, 2)
    granted = df["granted"].fillna(False).to_numpy(bool)[rows] if "granted" in df.columns else np.zeros(len(rows), bool)
    small = status[rows].astype(np.uint64) | (known[rows].astype(np.uint64) << np.uint64(2))
    small |= granted.astype(np.uint64) << np.uint64(3)
    for shift, c in zip((4, 24, 44), ("n_met", "n_unmet", "n_unknown"), strict=True):
        v = _numbers(df, c, -1, np.int64)[rows] & 0xFFFFF  # 20 bits each: condition counts are small
        small |= v.astype(np.uint64) << np.uint64(shift)
    score = _numbers(df, "score", np.nan, np.float64)[rows].view(np.uint64)
    out = np.zeros((n_firms, 2), np.uint64)
    with np.errstate(over="ignore"):
        h = _mix(d[:, 0] ^ small)
        h = _mix(h + amount[rows].view(np.uint64))
        h = _mix(h + score) ^ d[:, 1]
        np.add.at(out[:, 0], firm, h)
        np.add.at(out[:, 1], firm, _mix(h ^ np.uint64(0x9E3779B97F4A7C15)))
    return out
