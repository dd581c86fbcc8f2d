"""lessonkit.setup(): intended errors show their type and message only, every other error its full
traceback; and strict nbval still compares an error's type and message.

A real IPython kernel receives execute requests the way JupyterLab sends them (the cell's metadata,
with its tags, travels with the request) and the way nbclient does (``stop_on_error: false`` for
the cells it lets fail).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel

from lessonkit import session

REPO = Path(__file__).resolve().parents[1]
INTENDED = ["raises-exception"]


@pytest.fixture(scope="module")
def kernel():
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(REPO))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _execute(client, code: str, tags: list[str] | None = None, stop_on_error: bool = True) -> dict:
    """Send one execute request; return its error output (``{}`` if none) and the stream text."""
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": stop_on_error}
    metadata = {"tags": tags} if tags is not None else {}
    msg = client.session.msg("execute_request", content, metadata=metadata)
    client.shell_channel.send(msg)
    error, text = {}, ""
    while True:
        reply = client.get_iopub_msg(timeout=120)
        if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
            continue
        kind = reply["msg_type"]
        if kind == "error":
            error = reply["content"]
        elif kind == "stream":
            text += reply["content"]["text"]
        elif kind == "status" and reply["content"]["execution_state"] == "idle":
            break
    client.get_shell_msg(timeout=120)
    if error:  # without colours
        error = {**error, "traceback": [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in error["traceback"]]}
    return {**error, "stream": text}


def test_intended_errors_show_type_and_message_only_other_errors_everything(kernel):
    assert not _execute(kernel, "import torch, lessonkit\nlessonkit.setup()\nlessonkit.setup()").get("ename")

    # as JupyterLab sends a tagged cell: its metadata (tags) with the request
    error = _execute(kernel, "torch.ones(3).backward()", tags=INTENDED)
    assert error["ename"] == "RuntimeError"
    assert error["evalue"] == "element 0 of tensors does not require grad and does not have a grad_fn"
    assert len(error["traceback"]) == 1, error["traceback"]
    assert "RuntimeError" in error["traceback"][0] and error["evalue"] in error["traceback"][0]
    assert "_tensor.py" not in "".join(error["traceback"])

    # an untagged cell right after it: the full traceback, through torch's internals
    error = _execute(kernel, "torch.ones(3).backward()", tags=[])
    assert error["ename"] == "RuntimeError"
    full = "\n".join(error["traceback"])
    assert len(error["traceback"]) >= 4 and "_tensor.py" in full and "autograd" in full, full

    # as nbclient (nbconvert --execute, tools/regenerate.py) runs a tagged cell: stop_on_error false
    error = _execute(kernel, "torch.ones(3).view(2)", stop_on_error=False)
    assert (error["ename"], error["evalue"]) == ("RuntimeError", "shape '[2]' is invalid for input of size 3")
    assert len(error["traceback"]) == 1

    # an error in the learner's own function, tagged: still only the message; untagged: its frames
    _execute(kernel, "def f(x):\n    return x.view(2)")
    assert len(_execute(kernel, "f(torch.ones(3))", tags=INTENDED)["traceback"]) == 1
    full = "\n".join(_execute(kernel, "f(torch.ones(3))")["traceback"])
    assert "return x.view(2)" in full


def test_the_learners_own_exception_mode_is_respected(kernel):
    _execute(kernel, "import torch, lessonkit\nlessonkit.setup()\n%xmode Plain")
    assert len(_execute(kernel, "torch.ones(3).view(2)", tags=INTENDED)["traceback"]) == 1
    mode = _execute(kernel, "print(get_ipython().InteractiveTB.mode)")["stream"].strip()
    assert mode == "Plain"
    _execute(kernel, "%xmode Context")


def test_setup_installs_the_hooks_once_and_works_without_ipython():
    code = ("import lessonkit\nfrom IPython.testing.globalipapp import start_ipython\n"
            "shell = start_ipython()\nfor _ in range(3): lessonkit.setup()\n"
            "names = [getattr(c, '__name__', '') for e in ('pre_run_cell', 'post_run_cell')"
            " for c in shell.events.callbacks[e]]\n"
            "print(names.count('pre_run_cell'), names.count('post_run_cell'))")
    with tempfile.TemporaryDirectory() as ipython_dir:  # its own history database: no lock shared with
        env = dict(os.environ, IPYTHONDIR=ipython_dir)  # another test's IPython shell on the other worker
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                                timeout=300, env=env)
    assert result.stdout.split()[-2:] == ["1", "1"], result.stdout + result.stderr
    # in plain Python (a script) there is no IPython shell: setup() still runs. In a fresh process: another
    # test in this pytest worker may have started an in-process IPython shell (tests/test_figure_text.py)
    check = "from lessonkit import session; assert session.short_intended_errors() is False; " \
            "assert session.setup() is None; print('ok')"
    plain = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert plain.stdout.strip() == "ok", plain.stdout + plain.stderr


def test_intended_error_request_reads_tags_and_stop_on_error():
    assert session.intended_error_request({"metadata": {"tags": ["x", "raises-exception"]}})
    assert session.intended_error_request({"content": {"stop_on_error": False}})
    assert not session.intended_error_request({"metadata": {"tags": ["nbval-ignore-output"]}})
    assert not session.intended_error_request({"content": {"stop_on_error": True}, "metadata": {}})
    assert not session.intended_error_request({})


def test_strict_nbval_compares_type_and_message_not_the_traceback(tmp_path):
    """A stored full traceback against a fresh short one passes; a changed message fails."""
    def notebook(evalue: str) -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        setup = nbformat.v4.new_code_cell("import torch, lessonkit\nlessonkit.setup()", execution_count=1)
        cell = nbformat.v4.new_code_cell("torch.ones(3).view(2)", execution_count=2,
                                         metadata={"tags": INTENDED})
        cell.outputs = [nbformat.v4.new_output("error", ename="RuntimeError", evalue=evalue,
                                               traceback=["a", "30 lines", "of torch internals"])]
        nb.cells = [setup, cell]
        return nb

    nbformat.write(notebook("shape '[2]' is invalid for input of size 3"), tmp_path / "same.ipynb")
    nbformat.write(notebook("shape '[2]' is invalid for input of size 4"), tmp_path / "changed.ipynb")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "same.ipynb", "changed.ipynb"], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    summary = result.stdout.strip().splitlines()[-1]
    assert "1 failed" in summary and "3 passed" in summary, result.stdout[-3000:]
    assert "changed.ipynb::Cell 1" in result.stdout
