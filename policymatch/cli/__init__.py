"""The Typer application: every command is a shell (parse args → one library call → render).

Why a custom group: a user must see one clear Chinese line for a bad input, never a
traceback (unless ``--debug``). ``_FriendlyGroup.invoke`` turns every PolicymatchError,
OSError and unexpected exception into a ``UserFacingError`` printed as ``错误：…``.
Each area of the CLI lives in its own module and adds its commands in ``register(app)``.
"""

from __future__ import annotations

import os
import sys

import typer
from typer.core import TyperGroup

from ..errors import PolicymatchError

try:  # newer Typer vendors its own click; its exception classes are the ones raised
    from typer import _click as click
except ImportError:  # pragma: no cover - older Typer uses click itself
    import click  # type: ignore[no-redef]

__all__ = ["app", "main", "UserFacingError"]


class UserFacingError(Exception):
    """A handled error: printed as one line ``错误：…`` on stderr, exit code 2."""

    exit_code = 2


def _debug_requested(ctx: click.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("POLICYMATCH_DEBUG") == "1"


class _FriendlyGroup(TyperGroup):
    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return self._invoke_friendly(ctx)
        except UserFacingError as e:
            print(f"错误：{e}", file=sys.stderr)
            raise typer.Exit(UserFacingError.exit_code) from None

    def _invoke_friendly(self, ctx: click.Context):  # noqa: ANN202
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, typer.Exit, typer.Abort):
            raise
        except PolicymatchError as e:
            if _debug_requested(ctx):
                raise
            raise UserFacingError(str(e)) from None
        except KeyboardInterrupt:
            raise typer.Abort() from None
        except FileNotFoundError as e:
            if _debug_requested(ctx):
                raise
            raise UserFacingError(f"文件不存在：{e.filename or e}") from None
        except PermissionError as e:
            if _debug_requested(ctx):
                raise
            raise UserFacingError(f"没有权限：{e.filename or e}") from None
        except Exception as e:  # a traceback shown to a user is a bug: say what and how to see more
            if _debug_requested(ctx):
                raise
            raise UserFacingError(
                f"内部错误（{type(e).__name__}: {e}）。请加 --debug 重新运行查看详情并报告此问题。"
            ) from None


app = typer.Typer(
    cls=_FriendlyGroup,
    name="policymatch",
    help="政策找企业：解析政策文本、匹配企业、推送与免申即享名单、政策检索与解读。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="出错时显示完整的调用栈（供开发者排查）。"),
) -> None:
    """政策找企业：解析政策文本、匹配企业、推送与免申即享名单、政策检索与解读。"""


def _register_all() -> None:
    # Each module owns one area; import order is the order of --help.
    from . import batch, find, match, parse, registry

    for module in (registry, parse, match, batch, find):
        module.register(app)


_register_all()


def main() -> None:
    """Console-script entry point (``policymatch``)."""
    app(prog_name="policymatch")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
