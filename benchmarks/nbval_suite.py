"""Strict nbval over the seven notebooks against its floor: the same pytest invocation on seven
import-only notebooks (kernel start + imports + setup, nothing else), measured in the same run.
Target: suite <= 1.5x the floor. Per-notebook lines follow, to show where the time goes."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from common import report

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(REPO / "notebooks/nbval_sanitize.cfg")]


def run(paths: list[Path]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *NBVAL,
                           *map(str, paths)], cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-2000:])
        raise SystemExit("nbval failed")
    return seconds


def import_only_copies(folder: Path) -> list[Path]:
    """Each notebook reduced to its first code cell (imports and lessonkit.setup())."""
    copies = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        nb.cells = [first]
        copy = folder / path.name
        nbformat.write(nb, copy)
        copies.append(copy)
    return copies


def main() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        floor = run(import_only_copies(Path(tmp)))
        suite = run(NOTEBOOKS)
    report("nbval floor: 7 import-only notebooks", floor, floor, unit="s", label="once")
    report("nbval suite: 7 notebooks, strict", suite, 1.5 * floor, unit="s", label="once")
    ok = report("nbval suite / floor", suite / floor, 1.5, ratio=True)
    for path in NOTEBOOKS:
        report(f"  nbval {path.name}", run([path]), 60, unit="s", label="once")
    return ok


if __name__ == "__main__":
    main()
