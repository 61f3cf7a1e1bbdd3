"""TF-IDF similarity between a firm's business scope and each item's text (jieba tokens).

Why: the last ranking key of a firm's items (after status, benefit and score). Among equals a
software firm should see the software subsidy before the coal one. Fitted lazily once per
compiled rule set; a firm with no business scope gets None (no ranking by relevance).

>>> r = Relevance(["软件开发补助", "煤炭开采补助"])
>>> sims = r.similarity("从事软件开发")
>>> bool(sims[0] > sims[1])
True
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["Relevance", "tokenize"]


def tokenize(text: str) -> list[str]:
    """jieba tokens without whitespace and one-character punctuation."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [t for t in jieba.lcut(text) if t.strip() and not (len(t) == 1 and not t.isalnum())]


class Relevance:
    """Fitted on the item texts; :meth:`similarity` gives one cosine similarity per item."""

    def __init__(self, texts: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vec = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None)
        self._n = len(texts)
        self._items = self._vec.fit_transform([t or "" for t in texts]).tocsc() if any(texts) else None
        if self._items is not None:
            self._vocab = self._vec.vocabulary_
            self._idf = self._vec.idf_

    def similarity(self, scope: str | None) -> np.ndarray | None:
        """Cosine similarity of ``scope`` to every item (rows are L2-normalised); None without a scope.

        Same weights as ``TfidfVectorizer.transform`` (raw counts × idf, L2-normalised), computed
        directly over the few columns the scope's tokens hit: one firm per request must be fast.
        """
        if not scope or self._items is None:
            return None
        counts: dict[int, int] = {}
        for t in tokenize(scope):
            j = self._vocab.get(t)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        sims = np.zeros(self._n)
        if not counts:
            return sims
        cols = np.fromiter(counts, np.int64, len(counts))
        w = np.fromiter(counts.values(), np.float64, len(counts)) * self._idf[cols]
        w /= np.sqrt((w * w).sum())
        X = self._items
        for j, wj in zip(cols.tolist(), w.tolist(), strict=True):
            lo, hi = X.indptr[j], X.indptr[j + 1]
            sims[X.indices[lo:hi]] += wj * X.data[lo:hi]
        return sims
