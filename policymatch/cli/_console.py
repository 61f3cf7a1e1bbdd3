"""Shared rich consoles: results on stdout, progress and messages on stderr."""

from rich.console import Console

# soft_wrap: when output goes to a file or pipe, long lines (paths, sentences) are not cut at 80 columns
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
