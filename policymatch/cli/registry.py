"""CLI of the registry area: ``registry generate`` and ``registry load`` (Chinese help, progress bar)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ._console import console, err_console

registry_app = typer.Typer(
    help="企业库：生成逼真的样本库；导入 CSV/Excel/Parquet/SQLite 企业名单并逐行校验。",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,  # an error afterwards stays the only line
        disable=not err_console.is_terminal,
    )


@registry_app.command("generate", help="生成逼真的山西企业样本库（演示、测试、基准用）；同一种子得到同一文件。")
def generate(
    n: int = typer.Option(..., "--n", min=0, help="企业数量"),
    seed: int = typer.Option(1, "--seed", help="随机种子（同一种子 → 同一文件）"),
    out: Path = typer.Option(..., "--out", help="输出文件：.parquet、.csv 或 .db"),
    extra_regions: list[str] = typer.Option(
        None, "--extra-regions", help="山西以外的地区及其企业份额，如 110108=0.05（可多次给出或用逗号分隔）"
    ),
) -> None:
    with err_console.status(f"正在生成 {n} 家企业…"):
        from ..registry import generate_file  # lazy: pandas loads only for the commands that need it
        from ..registry.generate import parse_extra_regions

        path = generate_file(n, seed, out, parse_extra_regions(extra_regions))
    console.print(f"已生成 {n} 家企业 → {path}")


@registry_app.command("load", help="导入企业库到 SQLite（firms 表），坏行连同原因写入 rejects 表；最后打印 读取 = 入库 + 拒收。")
def load(
    file: Path = typer.Argument(..., help="企业名单：.csv（UTF-8/GBK 自动识别）、.xlsx、.parquet、.db"),
    db: Path = typer.Option(..., "--db", help="目标 SQLite 数据库（其中 firms、rejects 表会被替换）"),
    chunk: int = typer.Option(200_000, "--chunk", min=1, help="每批处理的行数（控制内存）"),
) -> None:
    from ..registry import load_registry

    with _progress() as bar:
        task = bar.add_task("校验并入库", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        summary = load_registry(file, db, chunk_size=chunk, progress=advance)
    if summary.encoding:
        console.print(f"文件编码：{summary.encoding}")
    if summary.ignored_columns:
        console.print(f"未识别、未导入的列：{'、'.join(summary.ignored_columns)}")
    for reason, count in summary.reasons[:10]:
        console.print(f"  拒收 {count} 行：{reason}")
    if len(summary.reasons) > 10:
        rest = sum(count for _, count in summary.reasons[10:])
        console.print(f"  另有 {rest} 行（{len(summary.reasons) - 10} 种原因），详见数据库 {db} 的 rejects 表")
    console.print(summary.line())


def register(app: typer.Typer) -> None:
    """Add ``policymatch registry …`` to the application."""
    app.add_typer(registry_app, name="registry", help="企业库：生成样本库、导入并校验企业名单（rejects 表记录每个坏行及原因）。")
