"""One call at the top of every notebook makes its outputs reproducible and its pictures readable."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from lessonkit import figures

DEFAULT_SEED = 0
DEFAULT_THREADS = 1


def setup(seed: int = DEFAULT_SEED, threads: int = DEFAULT_THREADS) -> None:
    """Seed every random generator, fix the thread count and apply the course's figure style.

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
    figures.apply_style()
    return None
