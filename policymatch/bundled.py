"""Where the bundled data lives: the reviewed rules (``rules/``) and policy texts (``data/policies/``).

Why a resolver: the CLI's ``--rules`` and the library default to the reviewed rules that come with
policymatch. They live in the source checkout (``pip install -e .``, the supported install), beside
the package. ``POLICYMATCH_RULES`` / ``POLICYMATCH_DATA`` point elsewhere (a platform's own reviewed
rules, or a wheel install without the checkout); when neither is found we say so instead of guessing.

>>> bundled_rules_dir().name
'rules'
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InputError

__all__ = ["bundled_rules_dir", "bundled_policies_dir"]

_CHECKOUT = Path(__file__).resolve().parent.parent


def _resolve(path: Path, env: str, what: str) -> Path:
    if not path.is_dir():
        raise InputError(f"未找到{what}目录（可设置环境变量 {env} 或用 --rules 指定）", file=str(path))
    return path


def bundled_rules_dir() -> Path:
    """The reviewed rule files: ``$POLICYMATCH_RULES`` or the checkout's ``rules/``.

    >>> sorted(p.name for p in bundled_rules_dir().glob("*.yaml"))[:2]
    ['001.yaml', '002.yaml']
    """
    raw = os.environ.get("POLICYMATCH_RULES")
    return _resolve(Path(raw) if raw else _CHECKOUT / "rules", "POLICYMATCH_RULES", "内置规则")


def bundled_policies_dir() -> Path:
    """The bundled policy texts ``NNN.txt``: ``$POLICYMATCH_DATA/policies`` or the checkout's ``data/policies``.

    >>> (bundled_policies_dir() / "027.txt").is_file()
    True
    """
    raw = os.environ.get("POLICYMATCH_DATA")
    base = Path(raw) if raw else _CHECKOUT / "data"
    return _resolve(base / "policies", "POLICYMATCH_DATA", "内置政策文本")
