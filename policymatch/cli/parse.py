"""CLI commands of the parser area: ``parse`` (policy texts → rules) and ``rules check`` (validate rule files).

Each command parses its arguments, makes one library call and renders the result.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..errors import InputError

rules_app = typer.Typer(help="规则文件：检查格式与取值。", no_args_is_help=True)


def parse_command(
    paths: list[Path] = typer.Argument(..., help="政策文本 .txt 文件或目录（目录中其他文件忽略）。"),
    fmt: str = typer.Option("json", "--format", help="输出格式：json 或 yaml（yaml 为评审用规则文件）。"),
    out: Path | None = typer.Option(None, "--out", help="输出目录：每个 NNN.txt 写成 DIR/NNN.json（或 .yaml）。"),
) -> None:
    """解析政策文本为结构化规则（RULES.md 格式）：条件、兑现内容、有效期、免申即享。"""
    from ..model.io import dump_document
    from ..parse import iter_inputs, parse_file
    from ..parse.output import parse_to_dir

    if fmt not in ("json", "yaml", "yml"):
        raise InputError(f"未知格式 {fmt!r}，应为 json 或 yaml")
    if out is None:
        files = iter_inputs(paths)
        if len(files) != 1:
            raise InputError(f"多个输入（{len(files)} 个）需要 --out 目录")
        sys.stdout.write(dump_document(parse_file(files[0]), fmt))
        return
    written = parse_to_dir(paths, out, fmt)
    n_items = sum(n for _, n in written)
    print(f"已解析 {len(written)} 个文件，共 {n_items} 条政策事项，写入 {out}")


def check_command(
    paths: list[Path] = typer.Argument(..., help="规则文件（.json/.yaml）或目录。"),
) -> None:
    """检查规则文件是否符合规则格式：逐条列出 文件、位置、应为、实际。"""
    from ..model.io import check_rule_paths, rule_files

    problems = check_rule_paths(*paths)
    for p in problems:
        print(p)
    n = len(rule_files(paths))
    if problems:
        print(f"{n} 个文件，{len(problems)} 处问题", file=sys.stderr)
        raise typer.Exit(1)
    print(f"{n} 个文件，无问题")


def register(app: typer.Typer) -> None:
    """Add ``parse`` and ``rules check`` to the application."""
    app.command("parse")(parse_command)
    rules_app.command("check")(check_command)
    app.add_typer(rules_app, name="rules")
