"""The one call behind ``policymatch match``: find the firm (JSON file or USCC in a registry DB), load and
compile the rules, match.

Why here and not in the CLI: the command stays a shell, and an embedding platform can do the same
in one call. The registry DB is read with a parameterised query only (the USCC is user input).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, RegistryError
from ..model import load_rules
from ..profiles import conform
from .compile import compile_rules
from .onefirm import match_firm
from .result import FirmResult

__all__ = ["load_firm", "match_from_files"]

_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def _from_db(uscc: str, db: Path) -> pd.DataFrame:
    if not db.is_file():
        raise InputError("企业库数据库不存在", file=str(db))
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise RegistryError(f"无法打开企业库：{e}", file=str(db)) from None
    try:
        con.row_factory = sqlite3.Row
        row = con.execute("SELECT * FROM firms WHERE uscc = ?", (uscc,)).fetchone()
    except sqlite3.Error as e:
        raise RegistryError(f"企业库中没有可用的 firms 表（{e}）；请先运行 policymatch registry load", file=str(db)) from None
    finally:
        con.close()
    if row is None:
        raise InputError(f"企业库中找不到统一社会信用代码 {uscc}", file=str(db))
    data: dict[str, Any] = dict(row)
    return conform(pd.DataFrame({k: pd.Series([v], dtype=object) for k, v in data.items()}))


def load_firm(spec: str, db: str | Path | None = None) -> Any:
    """A JSON file path → ``Firm``; an 18-character USCC → its row of the registry DB (needs ``db``)."""
    p = Path(spec)
    if p.is_file():
        from ..firm import Firm

        return Firm.from_json_file(p)
    code = spec.strip().upper()
    if _USCC.match(code):
        if db is None:
            raise InputError("按统一社会信用代码查询需要 --db（由 policymatch registry load 生成的企业库）")
        return _from_db(code, Path(db))
    raise InputError("--firm 应为企业 JSON 文件或 18 位统一社会信用代码", file=spec)


def match_from_files(firm: str, rules: str | Path, db: str | Path | None = None, as_of: str | None = None) -> FirmResult:
    """Load the firm and the rules directory, compile, and match (``policymatch match``)."""
    if as_of is not None and not re.match(r"^\d{4}-\d{2}-\d{2}$", as_of):
        raise InputError(f"--as-of 应为 YYYY-MM-DD 日期；实际为 {as_of!r}")
    docs = load_rules(rules)
    return match_firm(compile_rules(docs), load_firm(firm, db), as_of)
