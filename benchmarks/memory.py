"""Memory per learner: the peak resident memory of one kernel during Run All of each notebook
(what a JupyterHub/Binder server must reserve per active learner)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from common import REPO_ROOT, report
from nbclient import NotebookClient

PEAK = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"  # Linux: KiB


def peak_mib(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK))
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return int(nb.cells[-1].outputs[0]["text"])


def main() -> bool:
    peaks = {p.name: peak_mib(p) for p in sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))}
    for name, mib in peaks.items():
        report(f"peak kernel memory, Run All of {name}", mib, 1024, unit="MiB", label="once")
    return report("peak kernel memory, largest notebook", max(peaks.values()), 1024, unit="MiB", label="once")


if __name__ == "__main__":
    main()
