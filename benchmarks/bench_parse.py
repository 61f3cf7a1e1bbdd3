"""Benchmark the policy parser: documents per second on one core after warm-up, and cold start.

Run: ``python3 benchmarks/bench_parse.py``. Uses the bundled real policies (data/policies/*.txt), cut or
joined into documents of ~5,000 characters. The baseline in the same run is plain decode + normalise +
segmentation, so the ratio says what the parsing proper costs. Per-sentence caches are cleared before
every pass so repeated passes do not flatter the figure. Throughput is CPU time of this one process
(one core), so a busy machine does not distort it; cold start is wall time of a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policymatch.parse import parse_text  # noqa: E402
from policymatch.parse import benefits, classify, conditions, items, numbers  # noqa: E402
from policymatch.parse.text import decode, normalise, segment  # noqa: E402

TARGET_CHARS = 5000


def documents() -> list[bytes]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "policies").glob("*.txt")))
    lines, docs, cur = text.splitlines(), [], []
    for line in lines:
        cur.append(line)
        if sum(len(x) for x in cur) >= TARGET_CHARS:
            docs.append("\n".join(cur).encode("utf-8"))
            cur = []
    return docs


def clear_caches() -> None:
    for f in (items.is_benefit_sentence, benefits.benefit_start, numbers._scan, conditions._term_atoms,
              classify.kind_prediction):
        f.cache_clear()


def rate(fn, docs: list[bytes], passes: int = 7) -> float:
    best = 0.0
    for _ in range(passes):
        clear_caches()
        t0 = time.process_time()  # CPU time of this process: other jobs on the machine do not count
        for d in docs:
            fn(d)
        best = max(best, len(docs) / max(time.process_time() - t0, 1e-9))
    return best


def cold_start() -> float:
    code = ("import time; t=time.perf_counter(); from policymatch.parse import parse_text; "
            "parse_text('对首次认定的高新技术企业，给予一次性奖励30万元。'); print(time.perf_counter()-t)")
    best = 99.0
    for _ in range(3):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
        best = min(best, float(r.stdout.strip()))
    return best


def main() -> None:
    docs = documents()
    chars = sum(len(d.decode("utf-8")) for d in docs) / len(docs)
    parse_text(docs[0])  # warm-up: tables, model, converters
    base = rate(lambda d: segment(normalise(decode(d))), docs)
    full = rate(parse_text, docs)
    cold = cold_start()
    print(f"文档数 {len(docs)}，平均 {chars:.0f} 字/篇")
    print(f"基线（解码+规范化+分句）：{base:8.1f} 篇/秒")
    print(f"完整解析 parse_text：    {full:8.1f} 篇/秒（每篇耗时为基线的 {base / full:.1f} 倍；目标 ≥ 50 篇/秒）")
    print(f"冷启动（导入+首次解析）：{cold:8.2f} 秒（目标 ≤ 1.5 秒）")


if __name__ == "__main__":
    main()
