"""The embedding surface: thin, typed functions a platform (and the CLI) calls, one per task.

Why a facade: a web handler or notebook should not need to know that search wants documents,
that explain needs a policy looked up by id, or how a firm is found in a registry database.
Each function takes plain values (paths, ids, dicts), calls the one area that does the work,
and raises only ``PolicymatchError`` subclasses, which carry file/row/field.

>>> [h.policy_id for h in search_policies("高新技术企业 奖励", limit=2)]
['001', '002']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from .bundled import bundled_rules_dir
from .engine import CompiledRules, FirmResult, compile_rules, evaluate, lookup, match_firm
from .errors import InputError
from .firm import Firm
from .interpret import Interpretation, interpret
from .model import Document, load_rules
from .model.io import rule_files
from .profiles import conform
from .search import SearchHit, search

__all__ = [
    "RulesLike",
    "FirmLike",
    "rules_from",
    "get_policy",
    "compiled_rules",
    "load_firm",
    "match_one",
    "match_table",
    "search_policies",
    "explain_policy",
]

#: what every function accepts as "the rules": None (the bundled set), a file or folder, or documents
RulesLike = str | Path | Sequence[Document] | None
#: what every function accepts as "the firm": a Firm, a PROFILE.md dict, a one-row frame, a JSON file or a USCC
FirmLike = Firm | dict[str, Any] | pd.DataFrame | str | Path


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
    firm: FirmLike | None = None,
    db: str | Path | None = None,
    as_of: str | None = None,
) -> Interpretation:
    """The plain-Chinese summary of a policy (or one item), optionally marked for one firm.

    ``firm`` is a Firm, a PROFILE.md dict, a JSON file path, or a USCC looked up in ``db``.

    >>> r = explain_policy("027", "2-1", firm={"region": "140171"}, as_of="2025-06-30")
    >>> r.items[0].status, [(ln.words, ln.status) for ln in r.items[0].section("conditions")]
    ('unknown', [('政策有效期内新认定为专精特新“小巨人”企业', 'unknown')])
    """
    doc = get_policy(policy_id, rules)
    resolved = None if firm is None else load_firm(firm, db)
    return interpret(doc, item_id, resolved, as_of)


def load_firm(firm: FirmLike, db: str | Path | None = None) -> Firm | pd.DataFrame:
    """The firm to match: a Firm or one-row frame as given, a dict checked into a Firm, a JSON file,
    or an 18-character USCC read from the registry database ``db`` (engine lookup, parameterised).

    >>> load_firm({"uscc": "914403001922038216", "revenue": 120000000}).revenue
    120000000
    """
    if isinstance(firm, (Firm, pd.DataFrame)):
        return firm
    if isinstance(firm, dict):
        return Firm.from_dict(firm)
    return lookup.load_firm(str(firm), db)


@lru_cache(maxsize=8)
def _compiled(docs: tuple[Document, ...]) -> CompiledRules:
    return compile_rules(list(docs))


def compiled_rules(rules: RulesLike = None) -> CompiledRules:
    """The rules compiled for the engine, once per rules set (cached on the documents).

    >>> compiled_rules() is compiled_rules()
    True
    """
    return _compiled(tuple(rules_from(rules)))


def match_one(
    firm: FirmLike,
    rules: RulesLike = None,
    *,
    db: str | Path | None = None,
    as_of: str | None = None,
) -> FirmResult:
    """One firm against the rules: every item in force, ranked, with reasons (``FirmResult.to_dict()`` is stable JSON).

    >>> r = match_one({"region": "140171", "size": "small", "certs": {"srdi_giant": "2025-03-01"}}, as_of="2025-06-30")
    >>> [(i.policy_id, i.item_id, i.amount) for i in r.items if i.status == "eligible"][:1]
    [('027', '2-1', 500000)]
    """
    return match_firm(compiled_rules(rules), load_firm(firm, db), as_of)


def match_table(
    firms: pd.DataFrame | Iterable[pd.DataFrame],
    rules: RulesLike = None,
    *,
    as_of: str | None = None,
    chunk_size: int = 200_000,
    keep: tuple[str, ...] = ("eligible", "unknown"),
) -> Iterator[pd.DataFrame]:
    """Match a table of firms (profiles contract) chunk by chunk; yields the engine's result rows per chunk.

    Give one frame (it is cut into ``chunk_size`` rows) or any iterable of frames, e.g. registry chunks,
    so memory stays bounded by one chunk. Columns: ``uscc, policy_id, item_id, status, amount, …``.

    >>> import pandas as pd
    >>> firms = pd.DataFrame({"uscc": ["A", "B"], "region": ["140171", "330302"],
    ...                       "certs.srdi_giant": ["2025-03-01", None]})
    >>> rows = pd.concat(match_table(firms, as_of="2025-06-30", keep=("eligible",)))
    >>> rows[["uscc", "policy_id", "item_id"]].values.tolist()
    [['A', '027', '2-1'], ['A', '030', '3-7']]
    """
    if chunk_size < 1:
        raise InputError("chunk_size 应为正整数", field="chunk_size")
    compiled = compiled_rules(rules)
    frames = [firms] if isinstance(firms, pd.DataFrame) else firms
    for frame in frames:
        for start in range(0, len(frame), chunk_size):
            yield evaluate(compiled, conform(frame.iloc[start : start + chunk_size]), as_of, keep=keep)
