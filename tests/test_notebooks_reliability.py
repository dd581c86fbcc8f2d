"""Notebooks that survive real use.

- Run All twice in one kernel: no unexpected error the second time either (learners re-run cells).
- While they run, nothing opens a network connection and nothing is written outside a temp dir
  (a Python audit hook in the kernel records both; a connection attempt is refused).
- Determinism: strict nbval passes again with OMP_NUM_THREADS=1 and =2 (with the main run of
  `make test`, that is three strict runs in a row).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
# both editions: notebooks/ (English) and notebooks/zh/ (简体中文)
sys.path.insert(0, str(REPO / "tools"))
from editions import all_notebooks  # noqa: E402

NOTEBOOKS = all_notebooks()
IDS = [str(nb.relative_to(REPO / "notebooks").with_suffix("")).replace("/", "-") for nb in NOTEBOOKS]

GUARD = r'''
import os as _os, sys as _sys, tempfile as _tempfile, socket as _socket
_ALLOWED = (_os.path.realpath(_tempfile.gettempdir()) + "/", "/dev/", "/proc/")
_AUDIT = {"connections": [], "writes": []}

def _lessonkit_test_guard(event, args):
    if event == "socket.connect":
        sock, address = args
        if sock.family in (_socket.AF_INET, _socket.AF_INET6):
            _AUDIT["connections"].append(repr(address))
            raise ConnectionRefusedError("network access is blocked during this test")
    elif event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & (_os.O_WRONLY | _os.O_RDWR))
        if writing and isinstance(path, (str, bytes, _os.PathLike)):
            real = _os.path.realpath(_os.fsdecode(path))
            if not real.startswith(_ALLOWED):
                _AUDIT["writes"].append(real)

_sys.addaudithook(_lessonkit_test_guard)
'''

REPORT = "import json as _json; print(_json.dumps(_AUDIT))"


def _kernel_env(tmp: Path) -> dict:
    env = dict(os.environ)
    env.update(HOME=str(tmp / "home"), IPYTHONDIR=str(tmp / "ipython"), MPLCONFIGDIR=str(tmp / "mpl"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_DATA_DIR=str(tmp / "data"),
               PYTHONDONTWRITEBYTECODE="1", TMPDIR=str(tmp))
    return env


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_run_all_twice_offline_writing_only_to_temp(notebook, tmp_path):
    nb = nbformat.read(notebook, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(notebook, work / notebook.name)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    old_env = dict(os.environ)
    os.environ.update(_kernel_env(tmp_path))
    try:
        with client.setup_kernel():
            guard = nbformat.v4.new_code_cell(GUARD)
            client.execute_cell(guard, 0)
            for _run in (1, 2):
                for index, cell in enumerate(code_cells):
                    cell.outputs = []
                    # raises a CellExecutionError for any error, except in cells tagged raises-exception
                    client.execute_cell(cell, index + 1)
            report = nbformat.v4.new_code_cell(REPORT)
            client.execute_cell(report, len(code_cells) + 1)
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    audit = json.loads("".join(o.get("text", "") for o in report.outputs if o.output_type == "stream"))
    assert audit["connections"] == [], "the notebook tried to open network connections"
    assert audit["writes"] == [], "the notebook wrote outside the temp dir"


def test_the_guard_really_catches_connections_and_writes(tmp_path):
    """The audit hook above is the instrument: show that it sees what it is meant to see."""
    outside = REPO / "artifacts" / "guard-probe.txt"
    probe = GUARD + f"""
import socket
try:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
except OSError:
    pass
_os.makedirs({str(outside.parent)!r}, exist_ok=True)
open({str(outside)!r}, "w").close()
open(_os.path.join(_tempfile.gettempdir(), "fine.txt"), "w").close()
""" + REPORT
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=_kernel_env(tmp_path), timeout=60)
    outside.unlink(missing_ok=True)
    audit = json.loads(done.stdout)
    assert audit["connections"] == ["('127.0.0.1', 9)"]
    assert audit["writes"] == [str(outside.resolve())]


@pytest.mark.parametrize("threads", ["1", "2"])
def test_strict_nbval_is_stable_across_thread_counts(threads):
    env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    with tempfile.TemporaryDirectory() as tmp:
        env.update(_kernel_env(Path(tmp)))
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                   "--nbval-current-env", "--nbval-sanitize-with", str(REPO / "notebooks/nbval_sanitize.cfg"),
                   *map(str, NOTEBOOKS)]
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-4000:]
