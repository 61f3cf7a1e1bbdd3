"""Learnt sentence classifier: "does this sentence state a benefit to an organisation?" (an item).

Why learnt: rules catch sentences with a sum or a rate; the soft measures of policy Chinese
("优先为小微企业提供担保增信", "可根据具体情况研究确定") have no sum and too many wordings for a
word list. A logistic regression over character 1–3-grams (TF-IDF), trained on the dev corpus by
``policymatch.parse.train``, is shipped as plain JSON weights (``lexicon/item_model.json``): no
pickle, loads in milliseconds, and scoring is a dictionary lookup per n-gram.

>>> p = item_probability("对符合条件的小微企业优先提供融资担保支持。")
>>> 0.0 <= p <= 1.0
True
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import cache

from ._lexicon import LEXICON_DIR

__all__ = ["item_probability", "model_info", "ngrams", "MODEL_PATH"]

MODEL_PATH = LEXICON_DIR / "item_model.json"
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def ngrams(text: str, n_max: int = 2) -> list[str]:
    """Character n-grams of a sentence with digits folded to '0' (numbers vary, their presence matters)."""
    t = _DIGITS.sub("0", re.sub(r"\s+", "", text))
    return [t[i:i + n] for n in range(1, n_max + 1) for i in range(len(t) - n + 1)]


#: a model set in memory (cross-validation in ``train``) takes the place of the shipped one
_override: dict | None = None


def _model() -> dict | None:
    return _override if _override is not None else _shipped()


@cache
def _shipped() -> dict | None:
    if not MODEL_PATH.exists():
        return None
    with open(MODEL_PATH, encoding="utf-8") as f:
        m = json.load(f)
    m["weights"] = {k: (float(v[0]), float(v[1])) for k, v in m["weights"].items()}  # ngram → (idf, coef)
    return m


def model_info() -> dict:
    """Metadata of the shipped model (training set, cross-validated scores), without the weights."""
    m = _model()
    return {k: v for k, v in (m or {}).items() if k != "weights"}


def item_probability(sentence: str) -> float:
    """P(sentence states an item) under the shipped model; 0.5 when no model is shipped."""
    m = _model()
    if m is None:
        return 0.5
    w = m["weights"]
    counts = Counter(g for g in ngrams(sentence[:600], m.get("n_max", 3)) if g in w)
    if not counts:
        return 1.0 / (1.0 + math.exp(-m["intercept"]))
    sub = m.get("sublinear_tf")
    sq = dot = 0.0
    for g, c in counts.items():
        idf, coef = w[g]
        v = (1.0 + math.log(c) if sub else c) * idf
        sq += v * v
        dot += v * coef
    z = m["intercept"] + dot / (math.sqrt(sq) or 1.0)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
