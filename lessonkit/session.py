"""One call at the top of every notebook makes its outputs reproducible and its pictures readable."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from lessonkit import figures, i18n

DEFAULT_SEED = 0
DEFAULT_THREADS = 1


def setup(seed: int = DEFAULT_SEED, threads: int = DEFAULT_THREADS, lang: str = "en") -> None:
    """Seed every random generator, fix the thread count, choose lessonkit's language and apply the
    course's figure style.

    ``lang`` is the edition's language: ``"en"`` (notebooks/) or ``"zh"`` (notebooks/zh/). It is the
    one line in which the two editions' code differs; verdicts, hints, figure text and explorer
    controls follow it (lessonkit/i18n.py).

    One intra-op thread makes floating-point reductions run in one fixed order, so every printed
    digit is the same on a laptop, in CI and on a 64-core server. (The tensors in this course are
    small; a second thread would not make them faster.)
    """
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    i18n.set_language(lang)
    figures.apply_style(lang)
    short_intended_errors()
    return None


# --- intended errors: type and message only ------------------------------------------------------
# A cell tagged ``raises-exception`` exists to show one error message. Its traceback runs through
# torch's internals (_tensor.py, autograd/__init__.py ...): 20-30 lines that teach nothing and push
# the message off the slide. While such a cell runs, IPython's "Minimal" exception mode is on: the
# output is ``RuntimeError: <message>``. Every other error keeps the full traceback, unchanged: an
# unintended error is a bug (the learner's or the course's) and whoever hunts it needs every frame.
#
# The kernel learns that a cell is tagged from the execute request: JupyterLab and Notebook 7 send
# the cell's metadata (its ``tags``) with it; nbclient (nbconvert --execute, tools/regenerate.py)
# sends ``stop_on_error: false`` for exactly the cells it lets fail, i.e. the tagged ones. nbval
# compares an error's type and message (``ename``, ``evalue``), never its traceback, so the strict
# comparison is the same in either mode.

INTENDED_ERROR_TAG = "raises-exception"
INTENDED_ERROR_MODE = "Minimal"


def _parent_request(shell) -> dict:
    kernel = getattr(shell, "kernel", None)
    if kernel is not None and hasattr(kernel, "get_parent"):
        parent = kernel.get_parent("shell")
    else:
        parent = getattr(shell, "parent_header", None)
    return parent if isinstance(parent, dict) else {}


def intended_error_request(parent: dict) -> bool:
    """Whether an execute request comes from a cell allowed to raise (see above)."""
    metadata = parent.get("metadata") or {}
    tags = metadata.get("tags") or []
    content = parent.get("content") or {}
    return (isinstance(tags, list) and INTENDED_ERROR_TAG in tags) or content.get("stop_on_error") is False


class _ShortIntendedErrors:
    """IPython ``pre_run_cell``/``post_run_cell`` hooks: Minimal mode during an intended-error cell,
    the learner's own mode (``%xmode``) restored after it."""

    def __init__(self, shell) -> None:
        self.shell = shell
        self.saved_mode: str | None = None

    def pre_run_cell(self, info=None) -> None:
        self.post_run_cell()
        if intended_error_request(_parent_request(self.shell)):
            self.saved_mode = self.shell.InteractiveTB.mode
            self.shell.InteractiveTB.set_mode(INTENDED_ERROR_MODE)

    def post_run_cell(self, result=None) -> None:
        if self.saved_mode is not None:
            self.shell.InteractiveTB.set_mode(self.saved_mode)
            self.saved_mode = None


def short_intended_errors(shell=None) -> bool:
    """Install the hooks in ``shell`` (default: the running IPython, if any) once. Returns whether
    they are installed."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover -- IPython comes with the course
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "events"):
        return False
    for event in ("pre_run_cell", "post_run_cell"):
        for callback in list(shell.events.callbacks[event]):
            if isinstance(getattr(callback, "__self__", None), _ShortIntendedErrors):
                shell.events.unregister(event, callback)
    hooks = _ShortIntendedErrors(shell)
    shell.events.register("pre_run_cell", hooks.pre_run_cell)
    shell.events.register("post_run_cell", hooks.post_run_cell)
    return True
