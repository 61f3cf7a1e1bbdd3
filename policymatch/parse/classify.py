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
from functools import cache, lru_cache

from ._lexicon import LEXICON_DIR

__all__ = ["item_probability", "kind_prediction", "model_info", "ngrams", "MODEL_PATH", "KIND_MODEL_PATH"]

MODEL_PATH = LEXICON_DIR / "item_model.json"
#: benefit kind (award, subsidy, loan …) from the item's words: multinomial logistic regression, same features
KIND_MODEL_PATH = LEXICON_DIR / "kind_model.json"
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


#: a kind model set in memory (cross-validation) takes the place of the shipped one
_kind_override: dict | None = None


def _kind_model() -> dict | None:
    return _kind_override if _kind_override is not None else _kind_shipped()


@cache
def _kind_shipped() -> dict | None:
    if not KIND_MODEL_PATH.exists():
        return None
    with open(KIND_MODEL_PATH, encoding="utf-8") as f:
        m = json.load(f)
    m["weights"] = {k: (float(v[0]), v[1:]) for k, v in m["weights"].items()}
    return m


def _kind_arrays(m: dict):
    """(n-gram → row, idf vector, coefficient matrix, intercepts) as numpy arrays, built once per model."""
    import numpy as np

    if "_arrays" not in m:
        grams = list(m["weights"])
        m["_arrays"] = ({g: i for i, g in enumerate(grams)},
                        np.array([m["weights"][g][0] for g in grams], dtype=np.float64),
                        np.array([m["weights"][g][1] for g in grams], dtype=np.float64),
                        np.array(m["intercept"], dtype=np.float64))
    return m["_arrays"]


@lru_cache(maxsize=4096)
def kind_prediction(text: str) -> tuple[str, float] | None:
    """(most likely benefit kind, its probability) under the shipped kind model; None without a model.

    >>> kind, p = kind_prediction("对符合条件的小微企业提供融资担保增信")
    >>> kind in {"loan", "subsidy", "award", "service", "other", "interest_subsidy", "tax_reduction", "rent_subsidy"}
    True
    """
    m = _kind_model()
    if m is None:
        return None
    import numpy as np

    index, idf, coef, intercept = _kind_arrays(m)
    counts = Counter(index[g] for g in ngrams(text[:600], m.get("n_max", 2)) if g in index)
    z = intercept.copy()
    if counts:
        rows = np.fromiter(counts, dtype=np.int64)
        v = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * idf[rows]
        z += (v / (np.sqrt(v @ v) or 1.0)) @ coef[rows]
    p = np.exp(z - z.max())
    k = int(p.argmax())
    return m["classes"][k], float(p[k] / p.sum())
