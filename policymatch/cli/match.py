"""``policymatch match``: one firm's results against a rules directory, best first, with reasons.

The command is a shell: parse args → ``engine.lookup.match_from_files`` → render (rich table in
Chinese, or the stable JSON of ``FirmResult.to_dict``).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ._console import console

_STATUS_STYLE = {"eligible": "green", "unknown": "yellow", "ineligible": "red"}


def _render(result, limit: int, show_all: bool, details: int) -> None:  # noqa: ANN001
    from ..explain import STATUS_LABELS, score_text, yuan

    s = result.summary()
    console.print(
        f"[bold]{result.name or result.uscc or '企业'}[/]  截至 {result.as_of}：符合 {s['eligible']} 项，"
        f"待核实 {s['unknown']} 项，不符合 {s['ineligible']} 项；可获金额合计 {yuan(s['granted_amount'])}"
        + (f"；免申即享 {s['auto']} 项" if s["auto"] else "")
    )
    shown = [i for i in result.items if show_all or i.status != "ineligible"][:limit]
    table = Table(title="匹配结果（按状态、金额、匹配度、相关度排序）", show_lines=False)
    for col in ("#", "状态", "政策 / 事项", "金额", "匹配度", "说明"):
        table.add_column(col)
    for k, i in enumerate(shown, 1):
        note = ""
        if i.status == "unknown":
            parts = [x["label"] for x in i.needed] + [f"人工核实：{m}" for m in i.manual_checks[:2]]
            note = "需补充：" + "、".join(parts) if parts else ""
        elif i.near_miss:
            note = i.near_miss.text
        if i.auto:
            note = "免申即享 " + note
        if i.status == "eligible" and not i.granted:
            note = "同组已享受更高档 " + note
        table.add_row(
            str(k),
            f"[{_STATUS_STYLE[i.status]}]{STATUS_LABELS[i.status]}[/]",
            f"{i.policy_title[:28]}\n  {i.item_id} {i.item_name[:30]}",
            yuan(i.amount) if i.amount is not None else i.benefit[:16],
            f"{score_text(i.n_met, i.n_unmet, i.n_unknown)}（{i.score:g}%）",
            note,
        )
    console.print(table)
    for i in shown[:details]:
        t = Table(title=f"{i.policy_id} / {i.item_id} {i.item_name[:40]}：逐条核对", title_justify="left")
        for col in ("条件", "企业情况", "要求", "结果", "政策原文"):
            t.add_column(col)
        for c in i.conditions:
            t.add_row(c.description[:40], c.value, c.threshold, {"met": "✓ 满足", "unmet": "✗ 不满足", "unknown": "? 待核实"}[c.result], c.policy_text[:40])
        console.print(t)
    near = result.near_misses[:5]
    if near:
        console.print("[bold]差一点就能享受：[/]")
        for i in near:
            console.print(f"  · {i.policy_id}/{i.item_id} {i.item_name[:30]}：{i.near_miss.text}")


def register(app: typer.Typer) -> None:
    """Add ``match`` to the application."""

    @app.command("match")
    def match(
        firm: str = typer.Option(..., "--firm", help="企业 JSON 文件，或 18 位统一社会信用代码（需配合 --db）。"),
        rules: Path = typer.Option(..., "--rules", help="规则目录或文件（YAML/JSON）。"),
        db: Path | None = typer.Option(None, "--db", help="企业库数据库（policymatch registry load 生成）。"),
        as_of: str | None = typer.Option(None, "--as-of", help="评估日期 YYYY-MM-DD，默认今天。"),
        fmt: str = typer.Option("table", "--format", help="输出格式：table（表格）或 json。"),
        limit: int = typer.Option(20, "--limit", help="表格中最多列出的事项数。"),
        show_all: bool = typer.Option(False, "--all", help="也列出不符合的事项（表格与 JSON）。"),
        details: int = typer.Option(3, "--details", help="逐条列出条件核对的事项数（表格格式）。"),
    ) -> None:
        """单个企业的政策匹配：每个事项的状态、金额、逐条理由、差一点的条件和待补充的信息。"""
        from ..engine.lookup import match_from_files
        from ..errors import InputError

        if fmt not in ("table", "json"):
            raise InputError(f"--format 应为 table 或 json；实际为 {fmt!r}")
        result = match_from_files(firm, rules, db, as_of)
        if fmt == "json":
            statuses = ("eligible", "unknown", "ineligible") if show_all else ("eligible", "unknown")
            print(json.dumps(result.to_dict(statuses), ensure_ascii=False, indent=1))
        else:
            _render(result, limit, show_all, details)
