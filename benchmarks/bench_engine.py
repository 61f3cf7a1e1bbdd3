"""Engine benchmark: vectorised evaluation vs DuckDB (one SQL query per item) and vs the reference evaluator;
one-firm match latency; peak memory of a chunked 6 M-firm run.

    python3 benchmarks/bench_engine.py                   # 1 M firms × ~1,000 items, all measurements
    python3 benchmarks/bench_engine.py --firms 200000    # quicker
    python3 benchmarks/bench_engine.py --memory-firms 6000000 --only memory

Rules: the bundled rules/ (647 items) duplicated with randomised numeric thresholds (×0.5–2) and
documents re-homed to random Shanxi regions, until ~1,000 items. Firms: the registry generator when
available (``policymatch.registry.generate_registry``), else a simple generated frame below.
All ratios are measured in the same process on the same data.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policymatch.engine import compile_rules, evaluate, match_firm  # noqa: E402
from policymatch.engine.reference import evaluate_firm  # noqa: E402
from policymatch.fields import CERT_CODES, DERIVED_INPUTS, TAX_CREDIT_ORDER  # noqa: E402
from policymatch.model import AnyGroup, Condition, Document, load_rules  # noqa: E402
from policymatch.profiles import conform  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KEEP = ("eligible", "unknown")


# ------------------------------------------------------------------ data
def shanxi_codes() -> tuple[list[str], list[str]]:
    from policymatch.reference import industry_classes, shanxi_regions

    s = shanxi_regions()
    counties = [c for c, lvl in zip(s.index, s["level"], strict=True) if lvl == "county"] or list(s.index)
    return counties, sorted(industry_classes())


def generate_firms(n: int, seed: int) -> pd.DataFrame:
    """Registry generator when landed, else a plain random frame with realistic missing values."""
    try:
        from policymatch.registry import generate_registry  # type: ignore[attr-defined]

        return generate_registry(n, seed)
    except ImportError:
        pass
    rng = np.random.default_rng(seed)
    counties, classes = shanxi_codes()

    def money(scale: float, missing: float = 0.15) -> pd.Series:
        v = np.round(rng.lognormal(np.log(scale), 1.5, n)).astype(np.int64)
        return pd.Series(v, dtype="Int64").where(rng.random(n) > missing)

    def flag(p: float, missing: float) -> pd.Series:
        return pd.Series(rng.random(n) < p, dtype="boolean").where(rng.random(n) > missing)

    revenue = money(5e6)
    prev = (revenue.astype("Float64") * rng.uniform(0.6, 1.3, n)).round().astype("Int64")
    from policymatch.registry.uscc import check_chars

    digits = np.array([[int(c) for c in f"91140{k:012d}"] for k in range(seed * 10**6, seed * 10**6 + n)], np.int64)
    check = check_chars(digits).astype(str)
    uscc = ["".join(map(str, row)) + c for row, c in zip(digits.tolist(), check, strict=True)]
    df = pd.DataFrame({
        "uscc": pd.Series(uscc, dtype="string"),
        "region": rng.choice(counties, n),
        "industry": rng.choice(classes, n),
        "established": pd.to_datetime(rng.integers(7000, 20000, n), unit="D").strftime("%Y-%m-%d"),
        "registered_capital": money(2e6, 0.02),
        "ownership": rng.choice(["private", "state", "foreign", "hmt", "collective"], n, p=[.85, .05, .04, .03, .03]),
        "size": rng.choice(["micro", "small", "medium", "large"], n, p=[.7, .22, .06, .02]),
        "above_scale": flag(0.08, 0.1),
        "listed": rng.choice(["none", "neeq", "main_board"], n, p=[.98, .015, .005]),
        "employees": money(20, 0.1),
        "revenue": revenue,
        "revenue_prev": prev.where(rng.random(n) > 0.2),
        "output_value": money(4e6, 0.5),
        "output_value_prev": money(4e6, 0.55),
        "rd_expense": money(2e5, 0.5),
        "rd_expense_prev": money(2e5, 0.55),
        "tax_paid": money(3e5, 0.2),
        "tax_paid_prev": money(3e5, 0.3),
        "investment": money(1e6, 0.6),
        "total_assets": money(8e6, 0.2),
        "invention_patents": money(1, 0.3),
        "tax_credit": pd.Series(rng.choice(list(TAX_CREDIT_ORDER), n), dtype="string").where(rng.random(n) > 0.3),
        "dishonest": flag(0.03, 0.05),
        "major_violation": flag(0.01, 0.3),
    })
    dates = pd.to_datetime(rng.integers(17000, 20000, n), unit="D").strftime("%Y-%m-%d").to_numpy()
    for k, code in enumerate(CERT_CODES):
        held = rng.random(n) < (0.04 if k < 3 else 0.01)
        undated = rng.random(n) < 0.2
        df[f"certs.{code}"] = np.where(held, np.where(undated, "true", dates), None)
    return conform(df)


def bench_rules(target_items: int, seed: int) -> list:
    """Bundled documents, duplicated with randomised thresholds and Shanxi regions, ~target_items items."""
    rnd = random.Random(seed)
    base = load_rules(ROOT / "rules")
    counties, _ = shanxi_codes()
    regions = ["140000", "140100", "140200", "140400", "140700", "140171", *rnd.sample(counties, 12)]

    def jitter(c: Condition) -> Condition:
        if isinstance(c.value, (int, float)) and not isinstance(c.value, bool) and c.op in ("gt", "gte", "lt", "lte", "crosses"):
            v = c.value * rnd.uniform(0.5, 2.0)
            return dataclasses.replace(c, value=round(v, 3) if isinstance(c.value, float) else int(v))
        return c

    docs: list[Document] = []
    k = 0
    while sum(len(d.items) for d in docs) < target_items:
        d = base[k % len(base)]
        items = tuple(
            dataclasses.replace(it, conditions=tuple(
                AnyGroup(tuple(jitter(a) for a in c.any), c.text) if isinstance(c, AnyGroup) else jitter(c)
                for c in it.conditions))
            for it in d.items
        )
        docs.append(dataclasses.replace(d, id=f"{d.id}-{k}", items=items, region=rnd.choice(regions),
                                        valid_from=None, valid_to=None))
        k += 1
    return docs


# ------------------------------------------------------------------ DuckDB baseline: one SQL query per item
_TAX_SQL = "CASE tax_credit " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in TAX_CREDIT_ORDER.items()) + " END"


def _q(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _col(field: str, columns: set[str]) -> str:
    if field in DERIVED_INPUTS:
        num, den = DERIVED_INPUTS[field]
        expr = f'("{num}" - "{den}")' if field.endswith("_growth") else f'"{num}"'
        return f'({expr}::DOUBLE / NULLIF("{den}", 0))'
    if field == "age_years":
        return "(date_diff('day', established::DATE, DATE '2024-06-30') / 365.25)"
    if field == "tax_credit":
        return f"({_TAX_SQL})"
    return f'"{field}"' if field in columns else "NULL"


def _sql_atom(c: Condition, doc: Document, columns: set[str]) -> str:
    from policymatch.engine.codes import industry_prefixes, region_prefixes

    f, op, v = c.field, c.op, c.value
    if f == "other" or op == "text":
        return "NULL"
    if f.startswith("certs."):
        if f not in columns:
            return "NULL"
        col = f'"{f}"'
        date = v if op == "since" else None
        if op == "since" and v is None:
            date = doc.valid_from
        if date is None:
            return f"({col} IS NOT NULL)" if (op != "eq" or v) else f"({col} IS NULL)"
        return f"(CASE WHEN {col} IS NULL THEN FALSE WHEN {col} = 'true' THEN NULL ELSE {col} >= {_q(date)} END)"
    col = _col(f, columns)
    conv = (lambda x: TAX_CREDIT_ORDER[x]) if f == "tax_credit" else (lambda x: x)
    lit = lambda x: (_q(x) if isinstance(x, str) else ("TRUE" if x is True else "FALSE" if x is False else repr(x)))  # noqa: E731
    if op in ("gt", "gte", "lt", "lte"):
        return f"({col} {dict(gt='>', gte='>=', lt='<', lte='<=')[op]} {conv(v)})"
    if op in ("eq", "ne"):
        return f"({col} {'=' if op == 'eq' else '<>'} {lit(v)})"
    if op == "between":
        lo, hi = v
        parts = [f"{col} >= {conv(lo)}"] * (lo is not None) + [f"{col} <= {conv(hi)}"] * (hi is not None)
        return "(" + " AND ".join(parts or ["TRUE"]) + ")"
    if op in ("in", "not_in"):
        return f"({col} {'NOT ' if op == 'not_in' else ''}IN ({', '.join(lit(x) for x in v)}))"
    if op == "within":
        prefixes = region_prefixes(v) if f == "region" else industry_prefixes(v)
        return "(" + " OR ".join(f"starts_with({col}, {_q(p)})" for p in prefixes) + ")"
    if op == "crosses":
        prev = _col(f + "_prev", columns)
        return f"({col} >= {v} AND {prev} < {v})"
    raise ValueError(op)


def item_sql(doc: Document, item, columns: set[str]) -> str:
    nodes = []
    if doc.region:
        nodes.append(_sql_atom(Condition("region", "within", doc.region), doc, columns))
    for c in item.conditions:
        if isinstance(c, AnyGroup):
            nodes.append("(" + " OR ".join(_sql_atom(a, doc, columns) for a in c.any) + ")")
        else:
            nodes.append(_sql_atom(c, doc, columns))
    cond = " AND ".join(nodes) or "TRUE"
    return f"SELECT uscc, ({cond}) AS ok FROM firms WHERE ({cond}) IS NOT FALSE"


def run_duckdb(docs: list, firms: pd.DataFrame, threads: int) -> tuple[float, dict]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    plain = firms.copy()
    con.register("firms_view", plain)
    con.execute("CREATE TABLE firms AS SELECT * FROM firms_view")
    columns = set(firms.columns)
    counts = {}
    t = time.perf_counter()
    for d in docs:
        for it in d.items:
            tbl = con.sql(item_sql(d, it, columns)).to_arrow_table()
            ok = tbl.column("ok").to_numpy(zero_copy_only=False)
            counts[(d.id, it.id)] = (int(np.sum(ok == True)), len(ok) - int(np.sum(ok == True)))  # noqa: E712
    return time.perf_counter() - t, counts


# ------------------------------------------------------------------ runs
def run_engine(compiled, firms: pd.DataFrame, chunk: int, near: bool) -> tuple[float, dict, int]:
    t = time.perf_counter()
    counts: dict = {}
    rows = 0
    for start in range(0, len(firms), chunk):
        out = evaluate(compiled, firms.iloc[start:start + chunk], "2024-06-30", keep=KEEP, near_misses=near)
        rows += len(out)
        g = out.groupby(["policy_id", "item_id", "status"], observed=True).size()
        for (p, i, s), c in g.items():
            e, u = counts.get((p, i), (0, 0))
            counts[(p, i)] = (e + c, u) if s == "eligible" else (e, u + c)
    return time.perf_counter() - t, counts, rows


def run_reference(docs, firms: pd.DataFrame, sample: int) -> float:
    rows = firms.sample(sample, random_state=1)
    dicts = [{c: (None if pd.isna(v) else v) for c, v in r.items()} for _, r in rows.iterrows()]
    t = time.perf_counter()
    for d in dicts:
        evaluate_firm(docs, d, "2024-06-30")
    return (time.perf_counter() - t) / sample


def one_firm_latency(compiled, firms: pd.DataFrame, n: int) -> tuple[list[float], list[float]]:
    from policymatch.firm import Firm

    sample = firms.sample(n, random_state=2)
    objs = []
    for _, r in sample.iterrows():
        d = {c: (None if pd.isna(v) else v) for c, v in r.items()}
        certs = {c[6:]: v for c, v in d.items() if c.startswith("certs.") and v is not None}
        d = {k: v for k, v in d.items() if not k.startswith("certs.") and v is not None}
        d["business_scope"] = "软件开发；信息技术咨询服务；机械设备制造与销售"
        objs.append(Firm.from_dict({**d, "certs": certs}))
    compiled.relevance  # fitted once per rule set, as a server would at start
    match_firm(compiled, objs[0], "2024-06-30").to_dict()
    gc.collect()
    wall, cpu = [], []
    for f in objs:
        t, c = time.perf_counter(), time.process_time()
        match_firm(compiled, f, "2024-06-30").to_dict()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def memory_run(compiled, total: int, chunk: int) -> tuple[float, float, int]:
    t = time.perf_counter()
    rows = 0
    for k, start in enumerate(range(0, total, chunk)):
        firms = generate_firms(min(chunk, total - start), seed=100 + k)
        rows += len(evaluate(compiled, firms, "2024-06-30", keep=KEEP, near_misses=True))
        del firms
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    return time.perf_counter() - t, peak_gb, rows


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:  # pragma: no cover
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firms", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=1_000)
    ap.add_argument("--chunk", type=int, default=250_000)
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads (the machine has 2 cores)")
    ap.add_argument("--ref-sample", type=int, default=200)
    ap.add_argument("--latency-firms", type=int, default=300)
    ap.add_argument("--memory-firms", type=int, default=6_000_000)
    ap.add_argument("--only", choices=["speed", "latency", "memory"], default=None)
    a = ap.parse_args()

    docs = bench_rules(a.items, seed=7)
    compiled = compile_rules(docs)
    n_items = len(compiled.entries)
    print(f"规则：{len(docs)} 个文件，{n_items} 个事项，{len(compiled.predicates)} 个去重谓词；机器负载 {load_average()}")
    if a.only in (None, "speed", "latency"):
        t = time.perf_counter()
        firms = generate_firms(a.firms, seed=1)
        print(f"企业：{len(firms):,} 家（生成 {time.perf_counter() - t:.1f}s）")
    if a.only in (None, "speed"):
        runs = [run_engine(compiled, firms, a.chunk, near=False) for _ in range(2)]
        t_eng, c_eng, rows = min(runs, key=lambda r: r[0])
        print(f"向量化引擎（keep=eligible,unknown，两次取快）：{t_eng:.2f}s（另一次 {max(r[0] for r in runs):.2f}s），"
              f"{rows:,} 行结果，{a.firms * n_items / t_eng / 1e6:,.0f} M 企业×事项/秒")
        t_near, _, _ = run_engine(compiled, firms, a.chunk, near=True)
        print(f"向量化引擎（含差一点 near_miss）：{t_near:.2f}s")
        t_duck, c_duck = run_duckdb(docs, firms, a.threads)
        same = sum(c_eng.get(k, (0, 0)) == v for k, v in c_duck.items())
        print(f"DuckDB 每事项一条 SQL（{a.threads} 线程）：{t_duck:.2f}s；结果一致的事项 {same}/{len(c_duck)}")
        per = run_reference(docs, firms, a.ref_sample)
        t_ref = per * a.firms
        print(f"参考实现逐行：{per * 1000:.2f} ms/企业（{a.ref_sample} 家抽样）→ 推算 {t_ref:,.0f}s")
        print(f"比值：对 DuckDB {t_duck / t_eng:.2f}×，对参考实现 {t_ref / t_eng:,.0f}×")
    if a.only in (None, "latency"):
        wall, cpu = one_firm_latency(compiled, firms, a.latency_firms)
        for label, times in (("墙钟", wall), ("CPU", cpu)):
            q = statistics.quantiles(times, n=100)
            print(f"单企业 × {n_items} 事项（含解释 to_dict，{label}）：p50 {q[49]:.2f} ms，p99 {q[98]:.2f} ms，"
                  f"max {max(times):.2f} ms")
    if a.only in (None, "memory"):
        if a.only is None:
            del firms
            gc.collect()
        secs, peak, rows = memory_run(compiled, a.memory_firms, a.chunk)
        print(f"分块运行 {a.memory_firms:,} 家 × {n_items} 事项（块 {a.chunk:,}，含生成）：{secs:.0f}s，"
              f"{rows:,} 行结果，进程峰值内存 {peak:.2f} GB")


if __name__ == "__main__":
    main()
