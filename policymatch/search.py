"""Find policies and their items by a Chinese query (找得到): TF-IDF over jieba tokens, fuzzy titles.

Why this shape: firms type a few words ("研发 补助", "高企 奖励") and often a wrong character. Items
are ranked by TF-IDF cosine (scikit-learn, on ``text_tokens`` so synonyms meet) over their name and
their body (item text, benefit, the labels of the fields their conditions test); a policy ranks by
its best item plus its title. Titles and issuers are also compared with rapidfuzz, so "专精特心"
still finds the 专精特新 policy. Filters then keep what applies to a region or industry (the
document's region covers it, or it is national; no item condition rules it out), what is in
force on a date, and 免申即享 items only. The index is built once per rules set (cached on the rules).

>>> from policymatch.model import load_rules
>>> from policymatch.bundled import bundled_rules_dir
>>> docs = load_rules(bundled_rules_dir())
>>> hit = search("高新技术企业 奖励", docs)[0]
>>> "高新技术企业" in hit.items[0].name
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer

from .applies import applies
from .errors import InputError
from .explain import BENEFIT_KIND_LABELS
from .fields import field_label
from .model.types import Document, Item
from .text_tokens import normalize, tokens

__all__ = ["SearchHit", "ItemHit", "search"]

# How the parts of a score weigh (tuned on the bundled rules; tests pin the resulting order).
_W_NAME, _W_BODY, _W_TITLE, _W_FUZZY_TITLE, _W_FUZZY_NAME = 0.55, 0.45, 0.35, 0.5, 0.2
#: share of an item's relevance it keeps when it holds none of the query's words beside the best one
_COVERAGE_BASE = 0.4
#: rapidfuzz partial_ratio below this is noise for Chinese strings; above, it scales to 0..1
_FUZZY_FLOOR = 70.0
#: a query shorter than this (characters) is not compared fuzzily: two characters match anything
_FUZZY_MIN_LEN = 3
#: an item is listed under its policy when it scores at least this share of that policy's best item
_ITEM_SHARE = 0.3
_MAX_QUERY = 200


@dataclass(frozen=True)
class ItemHit:
    """One item of a policy that matches the query."""

    item_id: str
    name: str
    score: float
    max_amount: int | None
    auto: bool


@dataclass(frozen=True)
class SearchHit:
    """One policy that matches, with its matching items best first."""

    policy_id: str
    title: str
    issuer: str | None
    doc_number: str | None
    region: str | None
    valid_from: str | None
    valid_to: str | None
    score: float
    items: tuple[ItemHit, ...]

    @property
    def top_amount(self) -> int | None:
        """顶格: the largest ``max_amount`` among the matching items (None when none states one)."""
        amounts = [i.max_amount for i in self.items if i.max_amount is not None]
        return max(amounts) if amounts else None

    @property
    def auto(self) -> bool:
        """True when a matching item is granted without application (免申即享)."""
        return any(i.auto for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["items"] = [asdict(i) for i in self.items]
        d["top_amount"] = self.top_amount
        d["auto"] = self.auto
        return d


def _item_body(item: Item) -> str:
    """The words an item is found by besides its name: its text, benefit kind and tested fields.

    Condition and benefit texts are spans of the item text (RULES.md), so they add nothing here.
    """
    labels = [field_label(a.field) for a in item.atoms() if a.field != "other"]
    kind = BENEFIT_KIND_LABELS.get(item.benefit.kind, "")
    spans = [t for t in (item.benefit.text, *(a.text for a in item.atoms())) if t and t not in item.text]
    return " ".join([item.text, kind, *labels, *spans])


class _Index:
    """TF-IDF matrices of item names, item bodies and policy titles, and the strings for fuzzy matching."""

    def __init__(self, docs: tuple[Document, ...]) -> None:
        self.docs = docs
        self.units: list[tuple[int, int]] = [(d, i) for d, doc in enumerate(docs) for i in range(len(doc.items))]
        names = [tokens(docs[d].items[i].name) for d, i in self.units]
        bodies = [tokens(_item_body(docs[d].items[i])) for d, i in self.units]
        titles = [tokens(f"{doc.title} {doc.issuer or ''} {doc.doc_number or ''}") for doc in docs]
        self.vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2")
        self.vec.fit(names + bodies + titles)
        self.names = self.vec.transform(names)
        self.bodies = self.vec.transform(bodies)
        self.titles = self.vec.transform(titles)
        # which words each item contains at all: a query's words must mostly be there (coverage)
        self.present = self.vec.transform([n + b for n, b in zip(names, bodies, strict=True)]).sign()
        self.unit_doc = np.array([d for d, _ in self.units], dtype=np.int64)
        self.fuzzy_titles = [normalize(f"{doc.title} {doc.issuer or ''}") for doc in docs]
        self.fuzzy_names = [normalize(docs[d].items[i].name) for d, i in self.units]


def _identity(x: list[str]) -> list[str]:
    return x


@lru_cache(maxsize=8)
def _index(docs: tuple[Document, ...]) -> _Index:
    """One index per rules set: the key is the (frozen, hashable) documents themselves."""
    return _Index(docs)


def _fuzzy(query: str, choices: list[str]) -> np.ndarray:
    """rapidfuzz partial_ratio of the query against each choice, scaled to 0..1 above the noise floor."""
    if len(query) < _FUZZY_MIN_LEN or not choices:
        return np.zeros(len(choices))
    raw = process.cdist([query], choices, scorer=fuzz.partial_ratio, dtype=np.float64)[0]
    return np.clip((raw - _FUZZY_FLOOR) / (100.0 - _FUZZY_FLOOR), 0.0, 1.0)


def _scores(ix: _Index, query: str) -> tuple[np.ndarray, np.ndarray]:
    """(item scores, policy title scores) for a non-empty query."""
    q = ix.vec.transform([tokens(query)])
    compact = "".join(normalize(query).split())
    relevance = _W_NAME * (ix.names @ q.T).toarray().ravel() + _W_BODY * (ix.bodies @ q.T).toarray().ravel()
    # an item holding every query word beats one that only repeats one of them
    words = q.sign()
    coverage = (ix.present @ words.T).toarray().ravel() / max(words.sum(), 1)
    item = relevance * (_COVERAGE_BASE + (1 - _COVERAGE_BASE) * coverage) + _W_FUZZY_NAME * _fuzzy(
        compact, ix.fuzzy_names
    )
    title = _W_TITLE * (ix.titles @ q.T).toarray().ravel() + _W_FUZZY_TITLE * _fuzzy(compact, ix.fuzzy_titles)
    return item, title


def search(
    query: str,
    docs: Sequence[Document],
    region: str | None = None,
    industry: str | None = None,
    in_force: str | None = None,
    auto_only: bool = False,
    limit: int = 20,
) -> list[SearchHit]:
    """Policies ranked by relevance to ``query``, each with its matching items best first.

    ``region`` (6-digit code) keeps policies whose region covers it or that are national, and drops
    items whose own region condition rules it out; ``industry`` (GB/T 4754 code) drops items whose
    industry condition rules it out; ``in_force`` (ISO date) keeps documents valid on that date;
    ``auto_only`` keeps 免申即享 items only. An empty query lists everything the filters keep.

    >>> from policymatch.model import load_rules
    >>> from policymatch.bundled import bundled_rules_dir
    >>> docs = load_rules(bundled_rules_dir())
    >>> [h.policy_id for h in search("专精特新中小企业奖历政策汇总", docs, limit=1)]
    ['027']
    """
    if not isinstance(query, str) or len(query) > _MAX_QUERY:
        raise InputError(f"检索词应为不超过 {_MAX_QUERY} 个字符的文本", field="query")
    if limit < 1:
        raise InputError("limit 应为正整数", field="limit")
    ix = _index(tuple(docs))
    blank = not tokens(query) and not query.strip()
    if blank:
        item_scores, title_scores = np.zeros(len(ix.units)), np.zeros(len(docs))
    else:
        item_scores, title_scores = _scores(ix, query)
    keep = [applies(docs[d], docs[d].items[i], region, industry, auto_only, in_force) for d, i in ix.units]
    hits: list[SearchHit] = []
    for d, doc in enumerate(docs):
        if not doc.in_force(in_force) or not applies(doc, None, region, industry, auto_only, in_force):
            continue
        rows = [u for u in np.flatnonzero(ix.unit_doc == d) if keep[u]]
        best = max((item_scores[u] for u in rows), default=0.0)
        if blank:
            listed = rows
        else:
            listed = sorted((u for u in rows if item_scores[u] > 0 and item_scores[u] >= _ITEM_SHARE * best),
                            key=lambda u: -item_scores[u])
        item_filter = auto_only or industry is not None
        if (item_filter and not listed) or (not blank and best + title_scores[d] <= 0):
            continue
        hits.append(_hit(doc, float(best + title_scores[d]), [(doc.items[ix.units[u][1]], item_scores[u]) for u in listed]))
    hits.sort(key=lambda h: (-h.score, h.policy_id))
    return hits[:limit]


def _hit(doc: Document, score: float, items: list[tuple[Item, float]]) -> SearchHit:
    return SearchHit(
        policy_id=doc.id,
        title=doc.title,
        issuer=doc.issuer,
        doc_number=doc.doc_number,
        region=doc.region,
        valid_from=doc.valid_from,
        valid_to=doc.valid_to,
        score=round(score, 4),
        items=tuple(
            ItemHit(it.id, it.name, round(float(s), 4), it.benefit.max_amount, it.apply_mode == "auto")
            for it, s in items
        ),
    )
