"""``policymatch demo``: the main job end to end on bundled data, with a Chinese summary.

Why two as-of dates: most bundled real policies carry a validity window (南沙 2017–2021,
鹿城 2019–2021, 柳河 2023-02-08–2026-02-07) and the engine evaluates only items in force.
The first run (2021-06-30) finds the 南沙/鹿城 policies in force; the second (2023-06-30)
finds them expired and 柳河 in force, so the second push shows the incremental behaviour:
new matches *and* withdrawn ones. Policies without dates are in force on both.

Why ``extra_regions``: the generated registry is mostly Shanxi, but many bundled policies
are from 广州南沙, 温州鹿城, 吉林柳河 …; placing a share of firms there lets them match.

Why a demonstration copy for the roster: none of the bundled reviewed rules is 免申即享
(``apply_mode: auto``) – their texts all require an application. To show a roster the demo
adds ONE clearly labelled copy of the fixed-amount items of policy 027 (专精特新奖励，山西)
with ``apply_mode: auto``; the real rule files are never changed.

>>> DEMO_DATES
('2021-06-30', '2023-06-30')
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .model import Document, load_rules

__all__ = ["run_demo", "DemoSummary", "DEMO_DATES", "DEMO_REGIONS", "demo_auto_document"]

DEMO_DATES = ("2021-06-30", "2023-06-30")
#: region code → share of generated firms placed there (the rest follow Shanxi's distribution)
DEMO_REGIONS: dict[str, float] = {
    "440115": 0.14,  # 广州南沙 (009, 011, 013–015, 045–050)
    "330302": 0.12,  # 温州鹿城 (020–022)
    "220524": 0.06,  # 吉林柳河 (001, 002)
    "360102": 0.03,  # 江西南昌 (005, 006: 江西省)
    "340121": 0.02,  # 合肥长丰 (029)
    "440305": 0.02,  # 深圳南山 (031)
    "421102": 0.02,  # 黄冈黄州 (036)
    "320583": 0.02,  # 苏州昆山 (038)
}
DEMO_POLICY = "027"
DEMO_AUTO_ID = "027-demo-auto"
DEMO_PARSE = "027"


def demo_auto_document(docs: list[Document]) -> Document | None:
    """A labelled copy of policy 027's fixed-amount items as 免申即享 (the bundled rules have no auto item)."""
    src = next((d for d in docs if d.id == DEMO_POLICY), None)
    if src is None:
        return None
    items = tuple(
        dataclasses.replace(it, apply_mode="auto")
        for it in src.items
        if it.benefit.amount is not None and all(a.field != "other" for a in it.atoms())
    )
    if not items:
        return None
    return dataclasses.replace(
        src,
        id=DEMO_AUTO_ID,
        title=f"【演示·假设免申即享】{src.title}",
        items=items,
        source=None,
    )


@dataclass
class DemoSummary:
    """Paths written and the lines printed."""

    out_dir: str
    lines: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)


def _yuan(v: float | int | None) -> str:
    if v is None or pd.isna(v):
        return "—"
    return f"{v / 10000:,.1f} 万元"


def _report(db: Path, echo: Callable[[str], None]) -> None:
    """Matches and money by policy and by district, from the results database alone."""
    import sqlite3

    from .roster import region_name

    with sqlite3.connect(db) as c:
        by_policy = pd.read_sql_query(
            "SELECT i.policy_id, MAX(i.title) AS title, SUM(m.status = 'eligible') AS eligible, "
            "SUM(m.status = 'unknown') AS unknown, SUM(CASE WHEN m.status = 'eligible' THEN m.amount END) AS money "
            "FROM matches m JOIN items i USING (policy_id, item_id) GROUP BY i.policy_id ORDER BY eligible DESC",
            c,
        )
        by_region = pd.read_sql_query(
            "SELECT f.region, COUNT(DISTINCT m.uscc) AS firms, SUM(m.status = 'eligible') AS eligible, "
            "SUM(CASE WHEN m.status = 'eligible' THEN m.amount END) AS money "
            "FROM matches m JOIN match_firms f USING (uscc) GROUP BY f.region ORDER BY money DESC",
            c,
        )
    echo("  按政策（符合条件 / 待核实 / 符合条件的金额合计）：")
    for r in by_policy.head(12).itertuples():
        echo(f"    {r.policy_id:<14} {str(r.title)[:26]:<28} {int(r.eligible):>7,} / {int(r.unknown):>8,}  {_yuan(r.money)}")
    if len(by_policy) > 12:
        echo(f"    …… 另有 {len(by_policy) - 12} 项政策")
    echo("  按区县（有匹配的企业数 / 符合条件条数 / 金额合计）：")
    for r in by_region.head(10).itertuples():
        echo(f"    {region_name(r.region):<16} {int(r.firms):>7,} 家 {int(r.eligible):>8,} 条  {_yuan(r.money)}")


def run_demo(
    out_dir: str | Path = "demo_out",
    n: int = 30_000,
    seed: int = 20240601,
    workers: int = 1,
    echo: Callable[[str], None] = print,
) -> DemoSummary:
    """Generate → load → (parse one text) → batch at two dates → push after each → roster; rerunnable.

    Everything is written under ``out_dir`` (previous demo files there are replaced).
    """
    from .batch import run_batch
    from .bundled import bundled_policies_dir, bundled_rules_dir
    from .push import push
    from .registry import generate_registry, load_registry, write_registry
    from .roster import roster

    t0 = time.perf_counter()
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    summary = DemoSummary(str(out))

    def say(line: str) -> None:
        summary.lines.append(line)
        echo(line)

    say(f"① 生成企业库：{n:,} 家（约一半在山西，其余放在内置政策所属地区，便于外省政策也能匹配到企业）")
    reg_file = out / "registry.parquet"
    write_registry(generate_registry(n, seed, extra_regions=DEMO_REGIONS), reg_file)
    reg_db = out / "registry.db"
    loaded = load_registry(reg_file, reg_db)
    say(f"② 导入企业库：读取 {loaded.read:,} 行，入库 {loaded.loaded:,}，坏行 {loaded.rejected:,}（见 rejects 表）→ {reg_db}")

    rules_dir = bundled_rules_dir()
    docs = load_rules(rules_dir)
    try:
        from .parse import parse_file

        text = bundled_policies_dir() / f"{DEMO_PARSE}.txt"
        parsed = parse_file(text)
        reviewed = next((d for d in docs if d.id == DEMO_PARSE), None)
        say(
            f"③ 解析政策文本 {text.name}：自动解析出 {len(parsed.items)} 个事项"
            f"（人工审核后的规则 rules/{DEMO_PARSE}.yaml 有 {len(reviewed.items) if reviewed else 0} 个；批量匹配使用审核后的规则）"
        )
        for it in parsed.items[:2]:
            say(f"    · {it.id} {it.name or it.text[:30]}：{len(it.conditions)} 个条件，金额上限 {_yuan(it.benefit.max_amount)}")
    except ImportError:  # pragma: no cover - the parser is optional for the demo
        say("③ （解析器未安装，跳过政策文本解析演示）")
    auto = demo_auto_document(docs)
    if auto is not None:
        docs = [*docs, auto]
        say(
            f"    内置规则没有免申即享事项；为演示公示名单，加入一份标明“演示”的副本 {auto.id}"
            f"（政策 {DEMO_POLICY} 中 {len(auto.items)} 个定额事项，假设为免申即享；规则文件本身不变）"
        )
    say(f"    规则：{len(docs)} 份政策，{sum(len(d.items) for d in docs)} 个事项（{rules_dir}）")

    results = out / "matches.db"
    for k, as_of in enumerate(DEMO_DATES, start=1):
        in_force = sum(len(d.items) for d in docs if d.in_force(as_of))
        say(f"④-{k} 批量匹配，评估日期 {as_of}（当日有效事项 {in_force} 个）")
        s = run_batch(reg_db, docs, results, as_of, chunk=max(5_000, n // 4), workers=workers, from_db=True)
        say(
            f"    匹配 {s.n_matches:,} 条：符合条件 {s.n_eligible:,}，待核实 {s.n_unknown:,}，"
            f"本次移除 {s.n_removed:,}；{s.firms_per_s:,.0f} 家/秒"
        )
        p = push(results, out / f"push_{k}.jsonl")
        summary.files[f"push_{k}"] = p.out
        say(f"    推送：{p.to_text()}")
    p = push(results, out / "push_3.jsonl")
    say(f"⑤ 再推送一次（输入没变）：{p.to_text()}")

    if auto is not None:
        r = roster(results, out / "roster.xlsx", policy=auto.id)
        summary.files["roster"] = r.out
        say(f"⑥ {r.to_text()}")
    say(f"⑦ 汇总（评估日期 {DEMO_DATES[-1]}）：")
    _report(results, say)
    summary.files.update({"registry": str(reg_file), "registry_db": str(reg_db), "results_db": str(results)})
    say(f"完成，用时 {time.perf_counter() - t0:.1f} 秒。输出目录：{out}")
    return summary
