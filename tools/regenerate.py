"""Re-execute notebooks in place so their stored outputs are one clean, deterministic run.

    python tools/regenerate.py notebooks/07_tolist_item.ipynb [...]   (or: make regenerate)

Keeps cell ids and sources; numbers executions 1..N; records no timing metadata and no widget
state; drops the outputs of widget cells (their model ids are random and nbval ignores them by
tag anyway), so `git diff` shows only real changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive chunks of the same stream: how a print is split depends on timing (ipykernel
    flushes every 0.2 s), not on the notebook, and must not show up as a diff."""
    merged: list = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1]["name"] == out["name"]):
            merged[-1]["text"] += out["text"]
        else:
            merged.append(out)
    return merged


def regenerate(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = KERNELSPEC
    client = NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        cell.outputs = coalesce_streams(cell.outputs)
        if any(WIDGET_MIME in out.get("data", {}) for out in cell.outputs):
            cell.outputs = []
            if "nbval-ignore-output" not in cell.metadata.get("tags", []):
                raise SystemExit(f"{path}: a cell shows a widget but lacks the nbval-ignore-output tag:\n"
                                 f"{cell.source[:200]}")
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    print(f"regenerated {path}")


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or sorted(Path("notebooks").glob("*.ipynb"))
    for p in paths:
        regenerate(p)
