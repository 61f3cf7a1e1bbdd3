"""Load the parser's domain tables (policymatch/parse/lexicon/*.csv), once, as plain Python data.

Why data files: boundary words, field phrases, qualification names and benefit words are
knowledge of policy Chinese that a reviewer should be able to read and extend without
touching code. Every table is a small CSV with a header row.

>>> table("boundaries")[0]["word"]
'以上'
>>> sorted_phrases("fields")[0][0]  # longest phrase first
'主营业务收入'
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

__all__ = ["LEXICON_DIR", "table", "words", "sorted_phrases"]

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"


@cache
def table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``lexicon/<name>.csv`` as dicts (empty cells are ``""``)."""
    with open(LEXICON_DIR / f"{name}.csv", encoding="utf-8", newline="") as f:
        return tuple({k: (v or "") for k, v in row.items()} for row in csv.DictReader(f))


@cache
def words(name: str) -> tuple[str, ...]:
    """The first column of a one-column table, longest first (so regex alternations prefer it)."""
    rows = table(name)
    key = next(iter(rows[0])) if rows else "word"
    return tuple(sorted((r[key] for r in rows if r[key]), key=len, reverse=True))


@cache
def sorted_phrases(name: str) -> tuple[tuple[str, dict[str, str]], ...]:
    """(phrase, row) pairs keyed by the first column, longest phrase first."""
    rows = [(r[next(iter(r))], r) for r in table(name)]
    return tuple(sorted(rows, key=lambda x: len(x[0]), reverse=True))
