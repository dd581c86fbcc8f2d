"""Lesson 7 -- ``tolist()`` and ``item()``: the measurements, pictures and exercises of
notebooks/07_tolist_item.ipynb.

- :func:`graph_nodes`, :func:`logging_experiment`: what a list of logged loss *tensors* keeps alive in a
  training loop (graph nodes; ``backward()`` already freed the saved tensors);
- :class:`SavedTensorMeter`, :func:`memory_experiment`: the tensors autograd saved for backward that are
  still alive -- the megabytes an evaluation loop without ``torch.no_grad()`` piles up;
- the exercises live in :mod:`lessonkit.tolist_item_exercises` and are re-exported here.
"""

from __future__ import annotations

import weakref

import torch
from matplotlib.ticker import MaxNLocator
from torch import nn
from torch.nn import functional as F

from lessonkit.figures import COLORS, new_figure
from lessonkit.i18n import N_, _

# --------------------------------------------------------------------------------------------------
# Why log loss.item(): a list of loss *tensors* keeps every step's graph alive


def graph_nodes(tensors) -> int:
    """How many autograd graph nodes are reachable from ``tensors`` (kept alive by holding them)."""
    seen, stack = set(), [t.grad_fn for t in tensors if isinstance(t, torch.Tensor) and t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_fn for next_fn, _ in node.next_functions)
    return len(seen)


def logging_experiment(steps: int = 200, every: int = 20):
    """Run a tiny gradient-descent loop twice: logging ``loss`` vs ``loss.item()``.

    Returns ``(step_numbers, nodes_kept_by_tensors, nodes_kept_by_floats)``.
    """
    data = torch.linspace(-1, 1, 32)
    target = 3 * data + 1
    results = {}
    for mode in ("tensor", "item"):
        w = torch.zeros(2, requires_grad=True)
        optimizer = torch.optim.SGD([w], lr=0.1)
        history, counts = [], []
        for step in range(1, steps + 1):
            loss = ((w[0] * data + w[1] - target) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss if mode == "tensor" else loss.item())
            if step % every == 0:
                counts.append(graph_nodes(history))
        results[mode] = counts
    return list(range(every, steps + 1, every)), results["tensor"], results["item"]


def plot_logging_experiment(steps: int = 200, every: int = 20):
    """Graph nodes kept alive while logging ``loss`` (tensors) vs ``loss.item()`` (floats)."""
    step_numbers, kept_tensors, kept_floats = logging_experiment(steps, every)
    fig, ax = new_figure(width=6.0, height=3.0)
    ax.plot(step_numbers, kept_tensors, "o-", color=COLORS["red"], label="history.append(loss)")
    ax.plot(step_numbers, kept_floats, "s-", color=COLORS["green"], label="history.append(loss.item())")
    ax.set_xlabel(_("training steps logged"))
    ax.set_ylabel(_("autograd nodes kept alive"))
    ax.set_title(_("Logging tensors keeps every step's graph alive"))
    ax.legend()
    return fig


# --------------------------------------------------------------------------------------------------
# Where the megabytes go: tensors saved for backward that are still alive


class _Saved:
    """What the pack hook stores instead of a saved tensor: a box a weak reference can watch."""

    __slots__ = ("__weakref__", "tensor")

    def __init__(self, tensor: torch.Tensor) -> None:
        # detach(): same storage, no grad_fn. Keeping the tensor itself would make a reference cycle
        # (output -> its grad_fn -> this box -> output) that only Python's garbage collector frees,
        # and the meter would see graphs alive that PyTorch had already released.
        self.tensor = tensor.detach()


class SavedTensorMeter:
    """Counts the tensors autograd saved for backward (inside the ``with`` block) that are still alive.

    It registers ``torch.autograd.graph.saved_tensors_hooks``: every tensor an operation saves for its
    backward passes through the pack hook, which wraps it in a small box and keeps only a *weak*
    reference to the box. A box dies when its graph node releases it -- after ``backward()`` (unless
    ``retain_graph=True``) or when nothing references the graph any more. ``count`` and ``nbytes``
    report the boxes still alive, not counting ``ignore`` (e.g. ``model.parameters()``, which a graph
    saves but which live on anyway). Tensors that share memory are counted once in ``nbytes``.
    """

    def __init__(self, ignore=()) -> None:
        self._boxes: weakref.WeakSet = weakref.WeakSet()
        self._ignore = {p.untyped_storage().data_ptr() for p in ignore}
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)

    def _pack(self, tensor: torch.Tensor) -> _Saved:
        box = _Saved(tensor)
        self._boxes.add(box)
        return box

    @staticmethod
    def _unpack(box: _Saved) -> torch.Tensor:
        return box.tensor

    def __enter__(self) -> SavedTensorMeter:
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.__exit__(*exc)

    def _alive(self) -> list[torch.Tensor]:
        tensors = [box.tensor for box in list(self._boxes)]
        return [t for t in tensors if t.untyped_storage().data_ptr() not in self._ignore]

    @property
    def count(self) -> int:
        """Saved tensors still alive."""
        return len(self._alive())

    @property
    def nbytes(self) -> int:
        """Their memory, each storage counted once."""
        storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in self._alive()}
        return sum(storages.values())

    def __repr__(self) -> str:
        return _("saved tensors alive: {count}, {mib} MiB").format(count=self.count, mib=f"{self.nbytes / 2**20:.2f}")


def small_classifier() -> nn.Module:
    """The model of the measurements: 256 inputs -> 1024 hidden (ReLU) -> 10 classes."""
    return nn.Sequential(nn.Linear(256, 1024), nn.ReLU(), nn.Linear(1024, 10))


def random_batch(size: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    """A fresh batch, as a DataLoader hands out: inputs (size, 256) and class labels (size,)."""
    return torch.randn(size, 256), torch.randint(0, 10, (size,))


LOOPS = {  # legend label (shown translated): the loop's kind
    N_("evaluate: total += loss"): "leak",
    N_("train: retain_graph=True, history.append(loss)"): "retain",
    N_("train: backward(), history.append(loss)"): "train",
    N_("evaluate: total += loss.item()"): "item",
    N_("evaluate under torch.no_grad()"): "no_grad",
}


def memory_experiment(batches: int = 20, seed: int = 0) -> dict[str, list[float]]:
    """For every loop of :data:`LOOPS`: MiB of saved tensors alive after each batch (parameters excluded).

    The same model and the same batches for every loop; the loops differ only in what they do with the
    loss. Deterministic: sizes depend on shapes only.
    """
    curves = {}
    for label, kind in LOOPS.items():
        torch.manual_seed(seed)
        model = small_classifier()
        meter = SavedTensorMeter(ignore=model.parameters())
        mib, history, total = [], [], 0.0
        with meter:
            for _ in range(batches):
                x, y = random_batch()
                with torch.set_grad_enabled(kind != "no_grad"):
                    loss = F.cross_entropy(model(x), y)
                if kind in ("train", "retain"):
                    model.zero_grad()
                    loss.backward(retain_graph=kind == "retain")
                    history.append(loss)
                elif kind == "leak":
                    total = total + loss
                else:
                    total += loss.item()
                mib.append(meter.nbytes / 2**20)
        curves[label] = mib
    return curves


def plot_memory_experiment(batches: int = 20):
    """Saved-tensor memory kept alive by five loops over the same batches."""
    curves = memory_experiment(batches)
    fig, ax = new_figure(width=8.0, height=3.6)
    styles = [(COLORS["red"], "o", "-"), (COLORS["purple"], "^", "--"), (COLORS["blue"], "s", "-"),
              (COLORS["orange"], "D", "-"), (COLORS["green"], "v", ":")]
    steps = list(range(1, batches + 1))
    for (label, mib), (color, marker, style) in zip(curves.items(), styles, strict=True):
        ax.plot(steps, mib, marker=marker, linestyle=style, color=color, markersize=5, label=_(label))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_("batches processed"))
    ax.set_ylabel(_("saved tensors alive (MiB)"))
    ax.set_title(_("Tensors saved for backward that a loop keeps alive"))
    ax.legend(fontsize=11, loc="upper left")
    return fig


from lessonkit.tolist_item_exercises import (  # noqa: E402,F401 -- the lesson's exercises, as lesson.<name>
    PREDICT_CODE,
    log_entry,
    mean_loss,
    predict_types,
)
