"""The embedding surface: thin, typed functions a platform (and the CLI) calls, one per task.

Why a facade: a web handler or notebook should not need to know that search wants documents,
that explain needs a policy looked up by id, or how a firm is found in a registry database.
Each function takes plain values (paths, ids, dicts), calls the one area that does the work,
and raises only ``PolicymatchError`` subclasses, which carry file/row/field.

>>> [h.policy_id for h in search_policies("高新技术企业 奖励", limit=2)]
['001', '002']
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .bundled import bundled_rules_dir
from .errors import InputError, StoreError
from .fields import CERT_LABELS, INPUT_FIELDS, cert_code, is_cert_field
from .firm import Firm
from .interpret import Interpretation, interpret
from .model import Document, load_rules
from .model.io import rule_files
from .search import SearchHit, search

__all__ = ["RulesLike", "rules_from", "get_policy", "search_policies", "explain_policy", "load_firm"]

#: what every function accepts as "the rules": None (the bundled set), a file or folder, or documents
RulesLike = str | Path | Sequence[Document] | None


@lru_cache(maxsize=8)
def _load_cached(paths: tuple[str, ...], stamps: tuple[int, ...]) -> tuple[Document, ...]:
    """Rules loaded once per set of files and their modification times (edits are picked up)."""
    return tuple(load_rules(*paths))


def rules_from(rules: RulesLike = None) -> list[Document]:
    """Documents from ``rules``: None → the bundled reviewed rules; a path → its rule files.

    Loading is cached on the files' paths and modification times, so a web handler calling this
    per request parses the YAML once.

    >>> len(rules_from()) >= 35
    True
    """
    if rules is None:
        rules = bundled_rules_dir()
    if isinstance(rules, (str, Path)):
        files = rule_files([rules])
        if not files:
            raise InputError("没有找到规则文件（*.yaml / *.json）", file=str(rules))
        return list(_load_cached(tuple(str(f) for f in files), tuple(f.stat().st_mtime_ns for f in files)))
    docs = list(rules)
    if not all(isinstance(d, Document) for d in docs):
        raise InputError("rules 应为规则目录、规则文件或 Document 列表", field="rules")
    return docs


def get_policy(policy_id: str, rules: RulesLike = None) -> Document:
    """One document by id; a wrong id says which ids exist.

    >>> get_policy("027").title[:6]
    '专精特新中小'
    """
    docs = rules_from(rules)
    for d in docs:
        if d.id == policy_id:
            return d
    sample = "、".join(d.id for d in docs[:12])
    raise InputError(f"没有编号为 {policy_id} 的政策；可用编号如：{sample}……", field="policy_id")


def search_policies(
    query: str,
    rules: RulesLike = None,
    *,
    region: str | None = None,
    industry: str | None = None,
    in_force: str | None = None,
    auto_only: bool = False,
    limit: int = 20,
) -> list[SearchHit]:
    """Policies and items ranked for a Chinese query, filtered by region, industry, date, 免申即享.

    >>> hits = search_policies("专精特新", region="140105")   # 小店区, 太原市
    >>> hits[0].policy_id, [i.item_id for i in hits[0].items][:3]
    ('027', ['1-1', '3-2', '1-2'])
    """
    return search(
        query,
        rules_from(rules),
        region=region,
        industry=industry,
        in_force=in_force,
        auto_only=auto_only,
        limit=limit,
    )


def explain_policy(
    policy_id: str,
    item_id: str | None = None,
    rules: RulesLike = None,
    *,
    firm: Firm | dict[str, Any] | str | Path | None = None,
    db: str | Path | None = None,
    as_of: str | None = None,
) -> Interpretation:
    """The plain-Chinese summary of a policy (or one item), optionally marked for one firm.

    ``firm`` is a Firm, a PROFILE.md dict, a JSON file path, or a USCC looked up in ``db``.

    >>> r = explain_policy("027", "2-1")
    >>> [ln.words for ln in r.items[0].section("conditions")]
    ['新认定为专精特新“小巨人”企业（政策有效期内认定）']
    """
    doc = get_policy(policy_id, rules)
    resolved = None if firm is None else load_firm(firm, db)
    return interpret(doc, item_id, resolved, as_of)


def load_firm(firm: Firm | dict[str, Any] | str | Path, db: str | Path | None = None) -> Firm:
    """A Firm from a Firm, a dict, a JSON file, or a USCC in the registry database ``db``.

    >>> load_firm({"uscc": "914403001922038216", "revenue": 120000000}).revenue
    120000000
    """
    if isinstance(firm, Firm):
        return firm
    if isinstance(firm, dict):
        return Firm.from_dict(firm)
    path = Path(firm)
    if path.suffix.lower() == ".json" or path.is_file():
        return Firm.from_json_file(path)
    if db is None:
        raise InputError("企业应为 JSON 文件；按统一社会信用代码查询时请同时给出 --db 企业库", field="firm")
    return _firm_from_db(str(firm), Path(db))


#: the registry database's firm table (registry area); the name is ours, never a user's string
_FIRMS_TABLE = "firms"


def _firm_from_db(uscc: str, db: Path) -> Firm:
    if not db.is_file():
        raise StoreError("企业库不存在", file=str(db))
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            con.row_factory = sqlite3.Row
            row = con.execute(f"SELECT * FROM {_FIRMS_TABLE} WHERE uscc = ?", (uscc.strip().upper(),)).fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        raise StoreError(f"无法读取企业库：{e}", file=str(db)) from None
    if row is None:
        raise InputError(f"企业库中没有统一社会信用代码为 {uscc} 的企业", file=str(db), field="uscc")
    # NULL is unknown, except in a certs.<code> column, where it means "not held" (PROFILE.md, tables)
    record = {
        k: row[k]
        for k in row.keys()
        if (k in INPUT_FIELDS and row[k] is not None) or (is_cert_field(k) and cert_code(k) in CERT_LABELS)
    }
    return Firm.from_dict(record, source=str(db))
