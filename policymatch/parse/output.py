"""Write parsed documents to a directory (``DIR/NNN.json`` or ``.yaml``), one per input text.

Why separate: the CLI stays a shell, and batch users (the demo, a nightly job) get the same files.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "001.txt").write_text("对小微企业给予奖励10万元。", encoding="utf-8")
>>> parse_to_dir([d], d / "out")
[('001', 1)]
"""

from __future__ import annotations

from pathlib import Path

from ..model.io import write_document
from . import iter_inputs
from .api import parse_file

__all__ = ["parse_to_dir"]


def parse_to_dir(paths, out: str | Path, fmt: str = "json") -> list[tuple[str, int]]:
    """Parse every ``.txt`` under ``paths`` into ``out``; returns (document id, item count) per file."""
    out = Path(out)
    suffix = ".yaml" if fmt in ("yaml", "yml") else ".json"
    done = []
    for f in iter_inputs(paths):
        doc = parse_file(f)
        write_document(doc, out / f"{f.stem}{suffix}", "yaml" if suffix == ".yaml" else "json")
        done.append((doc.id, len(doc.items)))
    return done
