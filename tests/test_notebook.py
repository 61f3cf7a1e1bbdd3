"""The walkthrough notebook runs top to bottom on the bundled data (so it cannot rot)."""

from __future__ import annotations

import os

import nbformat
from nbclient import NotebookClient

from conftest import ROOT


def test_walkthrough_notebook_runs(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = nbformat.read(ROOT / "notebooks" / "walkthrough.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = "".join(
        o.get("text", "") + "".join(o.get("data", {}).get("text/plain", ""))
        for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs
    )
    assert "申请条件" in outputs and "原文：" in outputs  # the explanation printed
    assert "'027'" in outputs  # the typo search found the 专精特新 policy
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
