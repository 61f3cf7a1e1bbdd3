"""CLI of the batch area: batch, push, roster, certs import, demo (shells: parse args → one library call → render)."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path

import typer

from ._console import console, err_console


class Engine(str, Enum):
    """Where the batch runs: this machine's processes, or a Dask cluster (policymatch.dask_run)."""

    embedded = "embedded"
    dask = "dask"


certs_app = typer.Typer(help="资质认定名单（高企、专精特新等）的导入与核对。", no_args_is_help=True)


def _batch(
    registry: Path = typer.Option(None, "--registry", help="企业库文件（CSV/Excel/Parquet/SQLite），流式分块读取。"),
    registry_db: Path = typer.Option(None, "--registry-db", help="已用 registry load 导入的数据库（读取其 firms 表）。"),
    rules: Path = typer.Option(Path("rules"), "--rules", help="规则文件目录。"),
    db: Path = typer.Option(None, "--db", help="结果数据库（SQLite），不存在则新建（仅用 --out-parquet 时可省略）。"),
    as_of: str = typer.Option(None, "--as-of", help="评估日期 YYYY-MM-DD（默认今天）；只评估当日有效的政策事项。"),
    chunk: int = typer.Option(100_000, "--chunk", help="每个分块的企业数（内存占用与之成正比）。"),
    workers: int = typer.Option(1, "--workers", help="并行评估的进程数。"),
    engine: Engine = typer.Option(Engine.embedded, "--engine", help="执行引擎：embedded 本机；dask 在 Dask 集群上按 Parquet 分区评估。"),
    scheduler: str = typer.Option(None, "--scheduler", help="[dask] 调度器地址，如 tcp://10.0.0.5:8786；不给则按本机核数启动本地集群。"),
    partitions: int = typer.Option(None, "--partitions", help="[dask] 分区数（默认约每 10 万家一个分区，且每个工作线程至少两个）。"),
    out_parquet: str = typer.Option(
        None, "--out-parquet", help="[dask] 结果保留为 Parquet 分区目录（路径或 s3:// 等 URL），不写入 SQLite。"
    ),
) -> None:
    """全库批量匹配：逐块评估企业库，结果写入 matches/runs/rejects；中断后重新运行会接续。"""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..batch import run_batch
    from ..errors import InputError

    if (registry is None) == (registry_db is None):
        raise InputError("请给出 --registry 或 --registry-db 其中之一")
    dask_only = {"--scheduler": scheduler, "--partitions": partitions, "--out-parquet": out_parquet}
    if engine is Engine.embedded and any(v is not None for v in dask_only.values()):
        raise InputError(f"{'、'.join(k for k, v in dask_only.items() if v is not None)} 只能与 --engine dask 一起使用")
    if db is None and out_parquet is None:
        raise InputError("请给出结果数据库 --db")
    # the bar starts with the first chunk: an early error stays one clean line on stderr
    state: dict = {}

    def progress(firms: int, rows: int) -> None:
        if "bar" not in state:
            bar = Progress(
                SpinnerColumn(),
                TextColumn("[bold]批量匹配[/]"),
                TextColumn("{task.fields[firms]:,} 家企业"),
                TextColumn("{task.fields[rows]:,} 条匹配"),
                TextColumn("{task.fields[rate]:,.0f} 家/秒"),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            )
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("batch", total=None, firms=0, rows=0, rate=0.0)
            state["t0"], state["f0"] = time.perf_counter(), firms
        bar = state["bar"]
        rate = (firms - state["f0"]) / max(time.perf_counter() - state["t0"], 1e-9)
        bar.update(state["task"], firms=firms, rows=rows, rate=rate)

    try:
        if engine is Engine.dask:
            from ..dask_run import run_batch_dask

            summary = run_batch_dask(
                registry or registry_db, rules, db, as_of, scheduler=scheduler, partitions=partitions,
                out_parquet=out_parquet, from_db=registry_db is not None, progress=progress,
            )
        else:
            summary = run_batch(
                registry or registry_db,
                rules,
                db,
                as_of,
                chunk,
                workers,
                from_db=registry_db is not None,
                progress=progress,
            )
    finally:
        if "bar" in state:
            state["bar"].stop()
    console.print(summary.to_text())


def _push(
    db: Path = typer.Option(..., "--db", help="batch 写出的结果数据库。"),
    out: Path = typer.Option(..., "--out", help="推送文件（JSON Lines，每行一条；文件已存在则拒绝覆盖）。"),
) -> None:
    """增量推送：自上次推送以来新增、变更、撤回的（企业，事项），每条只推送一次。"""
    from ..push import push

    console.print(push(db, out).to_text())


def _roster(
    db: Path = typer.Option(..., "--db", help="batch 写出的结果数据库。"),
    policy: str = typer.Option(None, "--policy", help="政策编号，如 021。"),
    item: str = typer.Option(None, "--item", help="单个事项，格式 政策编号:事项编号，如 021:3-1。"),
    out: Path = typer.Option(..., "--out", help="输出文件 .xlsx（供公示）或 .csv。"),
) -> None:
    """免申即享公示名单：符合条件且可直接兑现的企业（仅 auto 事项），含合计行。"""
    from ..roster import roster

    console.print(roster(db, out, policy=policy, item=item).to_text())


@certs_app.command("import")
def _certs_import(
    file: Path = typer.Argument(..., help="认定名单文件（Excel 或 CSV，中文表头）。"),
    cert: str = typer.Option(..., "--cert", help="资质代码，如 hitech、srdi、srdi_giant。"),
    date: str = typer.Option(None, "--date", help="认定日期 YYYY-MM-DD（名单没有日期列时使用）。"),
    db: Path = typer.Option(..., "--db", help="已导入企业库的数据库（firms 表）。"),
) -> None:
    """按信用代码或规范化企业名称把名单关联到企业库；不确定的进入 cert_review 表待人工核对。"""
    from ..certs_import import import_certs

    console.print(import_certs(file, cert, db, date).to_text())


def _demo(
    out: Path = typer.Option(Path("demo_out"), "--out", help="输出目录（重新运行会覆盖其中的演示文件）。"),
    n: int = typer.Option(5_000, "--n", help="生成的企业数（每家约 80 条符合/待核实的匹配，推送文件随之增大）。"),
    seed: int = typer.Option(20240601, "--seed", help="随机种子（相同种子结果相同）。"),
    workers: int = typer.Option(1, "--workers", help="并行评估的进程数。"),
) -> None:
    """端到端演示：生成企业库 → 入库 → 解析政策 → 批量匹配（两个评估日期）→ 推送 → 免申即享名单 → 汇总。"""
    from ..demo import run_demo

    run_demo(out, n=n, seed=seed, workers=workers, echo=console.print)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the application."""
    app.command("batch")(_batch)
    app.command("push")(_push)
    app.command("roster")(_roster)
    app.add_typer(certs_app, name="certs")
    app.command("demo")(_demo)
