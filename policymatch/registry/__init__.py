"""Enterprise registry: check, ingest, store and generate firm tables.

- ``read_registry(path, chunk_size)`` → checked ``RegistryChunk``s (firms + rejects), any format;
- ``load_registry(path, db)`` → SQLite tables ``firms`` / ``rejects``, ``LoadSummary``;
- ``iter_db_firms(db, chunk_size)`` → frames of a loaded registry;
- ``generate_registry(n, seed)`` / ``write_registry(df, path)`` → realistic synthetic Shanxi registry;
- ``is_valid_uscc(code)`` (python-stdnum), ``derive_size(df)`` (2017 standard).
"""

from ..size import derive_size
from .generate import generate_file, generate_registry, write_registry
from .ingest import REJECT_COLUMNS, RegistryChunk, read_registry
from .store import LoadSummary, iter_db_firms, load_registry
from .uscc import is_valid_uscc

__all__ = [
    "REJECT_COLUMNS",
    "RegistryChunk",
    "LoadSummary",
    "read_registry",
    "load_registry",
    "iter_db_firms",
    "is_valid_uscc",
    "derive_size",
    "generate_registry",
    "write_registry",
    "generate_file",
]
