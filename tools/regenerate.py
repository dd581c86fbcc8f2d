"""Re-execute notebooks in place so their stored outputs are one clean, deterministic run.

    python tools/regenerate.py notebooks/07_tolist_item.ipynb [...]   (or: make regenerate)

Keeps cell ids and sources; numbers executions 1..N; records no timing metadata and no widget
state, so `git diff` shows only real changes.

Widget cells (tagged nbval-ignore-output): a live widget's output is a random model id that means
nothing without its kernel, so it is not stored. What an explorer's display bundle carries for
readers without a kernel is stored instead, as two outputs: its still picture (``image/png``, a
deterministic PNG of the first frame, shown at its CSS size) and the note that it is live in
JupyterLab (``text/markdown``). Two outputs, because a front end shows one representation per
output and would rank the note above the picture. Everything else in a widget cell (progress bars,
streams) is dropped, as before.
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


def still_outputs(outputs: list) -> list:
    """The outputs a widget cell keeps: for each display that carries a still picture beside its
    widget, the picture and the note, without the widget."""
    kept: list = []
    for out in outputs:
        data = out.get("data", {})
        if WIDGET_MIME not in data or "image/png" not in data:
            continue
        picture_meta = out.get("metadata", {}).get("image/png")
        kept.append(nbformat.v4.new_output(
            "display_data", data={"image/png": data["image/png"]},
            metadata={"image/png": dict(picture_meta)} if picture_meta else {}))
        note = {k: data[k] for k in ("text/markdown", "text/plain") if k in data}
        if note:
            kept.append(nbformat.v4.new_output("display_data", data=note))
    return kept


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
            cell.outputs = still_outputs(cell.outputs)
            if "nbval-ignore-output" not in cell.metadata.get("tags", []):
                raise SystemExit(f"{path}: a cell shows a widget but lacks the nbval-ignore-output tag:\n"
                                 f"{cell.source[:200]}")
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    print(f"regenerated {path}")


if __name__ == "__main__":
    from editions import all_notebooks  # tools/editions.py: both editions

    paths = [Path(p) for p in sys.argv[1:]] or all_notebooks()
    for p in paths:
        regenerate(p)
