"""CLI of the find/explain area: ``policymatch search`` and ``policymatch explain``.

Each command parses its arguments, calls one function of ``policymatch.api`` and renders the
result (a rich table or JSON for search, plain text or JSON for explain).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ._console import console

_RULES_HELP = "规则目录或文件（默认：随 policymatch 提供的已审核规则 rules/，或环境变量 POLICYMATCH_RULES）。"
_FORMATS_SEARCH = ("table", "json")
_FORMATS_EXPLAIN = ("text", "json")


def _check_format(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"应为 {' / '.join(allowed)} 之一；实际为 {value!r}")
    return value


def _yuan(v: int | None) -> str:
    from ..explain import yuan

    return "—" if v is None else yuan(v)


def search_cmd(
    query: list[str] = typer.Argument(..., help="检索词，可多个（如：研发 补助）。"),
    rules: Path | None = typer.Option(None, "--rules", help=_RULES_HELP),
    region: str | None = typer.Option(None, "--region", help="只看适用于该行政区划代码（6位，如 140105）的政策。"),
    industry: str | None = typer.Option(None, "--industry", help="只看适用于该国民经济行业代码（如 3562）的事项。"),
    in_force: str | None = typer.Option(None, "--in-force", help="只看该日期（YYYY-MM-DD）有效的政策。"),
    auto_only: bool = typer.Option(False, "--auto-only", help="只看免申即享的事项。"),
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="最多显示多少条政策。"),
    fmt: str = typer.Option("table", "--format", help="输出格式：table 或 json。"),
) -> None:
    """按关键词检索政策和支持事项（可容错别字），按地区、行业、有效期、免申即享筛选。"""
    from ..api import search_policies

    _check_format(fmt, _FORMATS_SEARCH)
    hits = search_policies(
        " ".join(query), rules, region=region, industry=industry, in_force=in_force, auto_only=auto_only, limit=limit
    )
    if fmt == "json":
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
        return
    if not hits:
        console.print("没有找到相关政策。可以换个说法，或放宽筛选条件。")
        return
    table = Table(title=f"“{' '.join(query)}”的检索结果（共 {len(hits)} 条）", show_lines=True)
    for col in ("编号", "政策", "发文机关 / 文号", "相关事项"):
        table.add_column(col, overflow="fold")  # wrap long Chinese titles rather than cut them
    for col in ("顶格金额", "免申即享"):
        table.add_column(col, no_wrap=True)
    for h in hits:
        names = "\n".join(f"{i.item_id} {i.name}" for i in h.items[:3])
        if len(h.items) > 3:
            names += f"\n……等 {len(h.items)} 项"
        table.add_row(
            h.policy_id,
            h.title,
            " ".join(x for x in (h.issuer, h.doc_number) if x) or "—",
            names or "—",
            _yuan(h.top_amount),
            "是" if h.auto else "否",
        )
    console.print(table)


def explain_cmd(
    policy_id: str = typer.Argument(..., help="政策编号（规则文件名，如 027）。"),
    item: str | None = typer.Option(None, "--item", help="只解读该事项（事项编号，如 2-1）。"),
    rules: Path | None = typer.Option(None, "--rules", help=_RULES_HELP),
    firm: str | None = typer.Option(
        None, "--firm", help="结合某个企业解读：企业 JSON 文件，或统一社会信用代码（需同时给出 --db）。"
    ),
    db: Path | None = typer.Option(None, "--db", help="企业库（policymatch registry load 生成的 SQLite 文件）。"),
    as_of: str | None = typer.Option(None, "--as-of", help="判断日期（YYYY-MM-DD，默认今天）。"),
    fmt: str = typer.Option("text", "--format", help="输出格式：text 或 json。"),
) -> None:
    """用通俗中文解读一项政策：适用对象、申请条件、支持标准、办理方式、有效期、待人工核实的条件，逐条注明原文。"""
    from ..api import explain_policy

    _check_format(fmt, _FORMATS_EXPLAIN)
    result = explain_policy(policy_id, item, rules, firm=firm, db=db, as_of=as_of)
    if fmt == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        console.print(result.to_text(), markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``search`` and ``explain`` to the application."""
    app.command("search")(search_cmd)
    app.command("explain")(explain_cmd)
