"""TF-IDF similarity between a firm's business scope and each item's text (jieba tokens).

Why: the last ranking key of a firm's items (after status, benefit and score). Among equals a
software firm should see the software subsidy before the coal one. Fitted lazily once per
compiled rule set; a firm with no business scope gets zeros.
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
        self._items = self._vec.fit_transform([t or "" for t in texts]) if any(texts) else None

    def similarity(self, scope: str | None) -> np.ndarray | None:
        """Cosine similarity of ``scope`` to every item (rows are L2-normalised); None without a scope."""
        if not scope or self._items is None:
            return None
        q = self._vec.transform([scope])
        return np.asarray((self._items @ q.T).todense()).ravel()
