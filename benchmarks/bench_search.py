"""Search latency on the bundled rules: cached index vs rebuilding it per query, and vs a substring scan.

Run: python3 benchmarks/bench_search.py
Prints per-query milliseconds and ratios measured in this one process (the baseline runs first).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policymatch.model import load_rules  # noqa: E402
from policymatch.search import _index, search  # noqa: E402
from policymatch.text_tokens import normalize, tokens  # noqa: E402

QUERIES = ["研发 补助", "高新技术企业 奖励", "专精特新", "融资担保", "首次 规上 工业企业", "人才 安家", "贷款贴息", "总部 落户"]


def timed(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def substring_scan(query: str, docs) -> list[str]:
    """Baseline: what a plain SQL LIKE over item texts would do (no ranking, no typos, no synonyms)."""
    words = [normalize(w) for w in query.split()]
    return [d.id for d in docs for it in d.items if all(w in normalize(it.name + it.text) for w in words)]


def main() -> None:
    docs = load_rules(Path(__file__).resolve().parent.parent / "rules")
    n_items = sum(len(d.items) for d in docs)
    tokens("预热")  # jieba dictionary load is a one-off per process, not per index
    build = timed(lambda: _index.__wrapped__(tuple(docs)), 3)
    search("预热", docs)
    cached = timed(lambda: [search(q, docs) for q in QUERIES], 5) / len(QUERIES)
    scan = timed(lambda: [substring_scan(q, docs) for q in QUERIES], 5) / len(QUERIES)
    print(f"rules: {len(docs)} policies, {n_items} items")
    print(f"index build (once per rules set): {build:8.1f} ms")
    print(f"query, cached index:              {cached:8.2f} ms")
    print(f"query, rebuilding the index:      {build + cached:8.1f} ms  (ratio {(build + cached) / cached:6.1f}x slower)")
    print(f"substring scan baseline:          {scan:8.2f} ms  (ratio search/scan {cached / scan:6.2f}x)")


if __name__ == "__main__":
    main()
