"""Train the item classifier on a gold corpus and ship it as JSON weights (``lexicon/item_model.json``).

Why a script in the package: the model must be reproducible from the dev corpus alone
(``python -m policymatch.parse.train ../shared/corpus/dev``); it prints the leave-documents-out
cross-validated scores so that we know how it does on documents it has never seen.
A sentence is labelled an item when a gold item's text lies (mostly) inside it or it inside one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .classify import KIND_MODEL_PATH, MODEL_PATH, ngrams
from .text import decode, normalise, segment

__all__ = ["labelled_sentences", "train", "train_kind"]


def _bigrams(t: str) -> set[str]:
    t = "".join(t.split())
    return {t[i:i + 2] for i in range(len(t) - 1)}


def labelled_sentences(corpus: Path) -> tuple[list[str], list[int], list[str]]:
    """(sentences, labels, document ids) for every gold document with its text."""
    xs, ys, groups = [], [], []
    for g in sorted(corpus.glob("*.json")):
        if g.name.count(".") != 1 or not g.with_suffix(".txt").exists():
            continue
        gold = json.loads(g.read_text(encoding="utf-8"))
        raw = decode(g.with_suffix(".txt").read_bytes())
        golds = [_bigrams(normalise(it.get("text") or "")) for it in gold.get("items") or []]
        for s in segment(normalise(raw)):
            b = _bigrams(s.text)
            if len(b) < 3:
                continue
            hit = any(gb and len(b & gb) / min(len(b), len(gb)) >= 0.6 for gb in golds)
            xs.append(s.text)
            ys.append(int(hit))
            groups.append(g.stem)
    return xs, ys, groups


def _fit(xs: list[str], ys: list[int], max_features: int = 6000):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(analyzer=ngrams, sublinear_tf=True, min_df=2, max_features=max_features),
        LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000),
    ).fit(xs, ys)


def _as_json(model, note: dict) -> dict:
    vec, lr = model.steps[0][1], model.steps[1][1]
    weights = {g: [round(float(vec.idf_[i]), 5), round(float(lr.coef_[0][i]), 5)]
               for g, i in vec.vocabulary_.items()}
    return {"kind": "tfidf-char-ngrams+logistic-regression", "n_max": 2, "sublinear_tf": True, **note,
            "intercept": round(float(lr.intercept_[0]), 5), "weights": weights}


def cross_validated_parse(corpus: str | Path, out_dir: str | Path, folds: int = 5) -> list[str]:
    """Parse every document with a model trained WITHOUT it (leave-documents-out), into ``out_dir``.

    Scoring ``out_dir`` estimates the parser on unseen documents; the shipped model is left untouched.
    """
    from sklearn.model_selection import GroupKFold

    from . import classify
    from .api import parse_file
    from ..model.io import write_document

    corpus, out_dir = Path(corpus), Path(out_dir)
    xs, ys, groups = labelled_sentences(corpus)
    kx, ky, kg = kind_examples(corpus)
    docs = sorted(set(groups))
    written = []
    try:
        for train_idx, test_idx in GroupKFold(n_splits=folds).split(xs, ys, groups):
            m = _as_json(_fit([xs[i] for i in train_idx], [ys[i] for i in train_idx]), {})
            m["weights"] = {k: (v[0], v[1]) for k, v in m["weights"].items()}
            held = sorted({groups[i] for i in test_idx})
            classify._override = m
            km = _kind_json(_fit_kind([x for x, g in zip(kx, kg, strict=True) if g not in held],
                                      [y for y, g in zip(ky, kg, strict=True) if g not in held]))
            km["weights"] = {k: (v[0], v[1:]) for k, v in km["weights"].items()}
            classify._kind_override = km
            classify.kind_prediction.cache_clear()
            for d in held:
                write_document(parse_file(corpus / f"{d}.txt"), out_dir / f"{d}.json")
                written.append(d)
    finally:
        classify._override = None
        classify._kind_override = None
        classify.kind_prediction.cache_clear()
    # documents without gold sentences (no items) are parsed with the shipped model
    for d in docs:
        if d not in written:
            write_document(parse_file(corpus / f"{d}.txt"), out_dir / f"{d}.json")
    return written


def train(corpus: str | Path, out: Path = MODEL_PATH, max_features: int = 6000) -> dict:
    """Fit TF-IDF + logistic regression, report leave-documents-out scores, write JSON weights."""
    from sklearn.metrics import f1_score, precision_score, recall_score
    from sklearn.model_selection import GroupKFold

    xs, ys, groups = labelled_sentences(Path(corpus))
    pred = [0] * len(ys)
    for tr, te in GroupKFold(n_splits=5).split(xs, ys, groups):
        m = _fit([xs[i] for i in tr], [ys[i] for i in tr], max_features)
        for i, p in zip(te, m.predict([xs[i] for i in te]), strict=True):
            pred[i] = int(p)
    cv = {"precision": round(precision_score(ys, pred), 4), "recall": round(recall_score(ys, pred), 4),
          "f1": round(f1_score(ys, pred), 4)}
    doc = _as_json(_fit(xs, ys, max_features), {
        "trained_on": f"{len(set(groups))} documents, {len(xs)} sentences ({sum(ys)} items)",
        "cv_leave_documents_out": cv})
    out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return {k: v for k, v in doc.items() if k != "weights"}


def kind_examples(corpus: Path) -> tuple[list[str], list[str], list[str]]:
    """(benefit text + item text, gold kind, document id) for every gold item."""
    xs, ys, groups = [], [], []
    for g in sorted(corpus.glob("*.json")):
        if g.name.count(".") != 1:
            continue
        for it in json.loads(g.read_text(encoding="utf-8")).get("items") or []:
            b = it.get("benefit") or {}
            xs.append(normalise(f"{b.get('text') or ''} {it.get('text') or ''}"))
            ys.append(b.get("kind") or "other")
            groups.append(g.stem)
    return xs, ys, groups


def _fit_kind(xs: list[str], ys: list[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(analyzer=ngrams, sublinear_tf=True, min_df=2),
                         LogisticRegression(C=4.0, max_iter=3000)).fit(xs, ys)


def _kind_json(model) -> dict:
    vec, lr = model.steps[0][1], model.steps[1][1]
    weights = {g: [round(float(vec.idf_[i]), 5), *(round(float(c), 5) for c in lr.coef_[:, i])]
               for g, i in vec.vocabulary_.items()}
    return {"kind": "tfidf-char-ngrams+multinomial-logistic-regression", "n_max": 2,
            "classes": [str(c) for c in lr.classes_], "intercept": [round(float(x), 5) for x in lr.intercept_],
            "weights": weights}


def train_kind(corpus: str | Path, out: Path = KIND_MODEL_PATH) -> dict:
    """Fit the benefit-kind model (multinomial logistic regression), report leave-documents-out accuracy."""
    from sklearn.model_selection import GroupKFold

    xs, ys, groups = kind_examples(Path(corpus))
    fit = _fit_kind
    hits = 0
    for tr, te in GroupKFold(n_splits=5).split(xs, ys, groups):
        m = fit([xs[i] for i in tr], [ys[i] for i in tr])
        hits += sum(int(p == ys[i]) for i, p in zip(te, m.predict([xs[i] for i in te]), strict=True))
    doc = {**_kind_json(fit(xs, ys)), "trained_on": f"{len(set(groups))} documents, {len(xs)} items",
           "cv_leave_documents_out": {"accuracy": round(hits / len(xs), 4)}}
    out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return {k: v for k, v in doc.items() if k != "weights"}


if __name__ == "__main__":  # pragma: no cover - a developer tool
    if len(sys.argv) > 3 and sys.argv[2] == "--cv-parse":
        print("已用留文档交叉验证解析：", len(cross_validated_parse(sys.argv[1], sys.argv[3])), "个文件")
    else:
        corpus = sys.argv[1] if len(sys.argv) > 1 else "corpus"
        print(json.dumps(train(corpus), ensure_ascii=False, indent=1))
        print(json.dumps(train_kind(corpus), ensure_ascii=False, indent=1))
