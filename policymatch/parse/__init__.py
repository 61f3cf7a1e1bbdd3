"""Policy text parser (issue 3): a published policy document → the typed rules of RULES.md.

Why a pipeline of small steps: decode and normalise (``text``), read numbers (``numbers``), find
conditions (``conditions``) and benefits (``benefits``), assemble items (``items``), and read the
document's head and tail (``meta``). Each step is a rule of policy Chinese backed by the tables in
``lexicon/``; nothing is specific to one document.

>>> doc = parse_text("关于支持科技创新的若干措施\\n一、对首次认定的国家高新技术企业，给予一次性奖励30万元。")
>>> doc.items[0].benefit.amount, doc.items[0].conditions[0].field
(300000, 'certs.hitech')
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ParseError
from ..model.types import Document
from .api import parse_file, parse_text

__all__ = ["parse_text", "parse_file", "ParseError", "Document", "iter_inputs"]


def iter_inputs(paths) -> list[Path]:
    """Files and directories → the sorted ``.txt`` files to parse (other files in a directory are ignored)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() == ".txt"))
        elif p.is_file():
            out.append(p)
        else:
            from ..errors import InputError

            raise InputError("文件或目录不存在", file=str(p))
    return out
