"""Lesson 3 -- ``backward()``, ``.grad`` and ``retain_graph``: the pictures, explorer and exercises of
notebooks/03_backward_retain_graph.ipynb.

Contents
    plot_graph(output, names)         the autograd graph behind ``output``, with its saved tensors
                                      (kept or freed), drawn from the live ``grad_fn`` objects
    plot_grad_history(history, ...)   ``.grad`` after each call: accumulation, resets, a target line
    ZeroGradExplorer                  instructor widget: gradient descent with / without zeroing
                                      ``.grad``, over 1-4 mini-batches
    minibatch_gradient                exercise 1: accumulate mini-batch gradients = full-batch gradient
    predict_grad                      exercise 2: predict ``x.grad`` after a sequence of backward calls
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from lessonkit.checks import ErrorHint, Exercise, Mistake
from lessonkit.figures import COLORS, PALETTE, new_figure
from lessonkit.widgets import Explorer

# --------------------------------------------------------------------------------------------------
# The autograd graph and its saved tensors


@dataclass
class GraphNode:
    """One backward node as the picture shows it."""

    label: str
    saved: list[tuple[str, bool]] = field(default_factory=list)  # (name, still kept?)
    inputs: list[int] = field(default_factory=list)  # indices of the nodes it sends gradients to
    depth: int = 0


def saved_tensors(node) -> list[tuple[str, bool]]:
    """The tensors a backward node saved during the forward pass: ``(name, kept)``; ``kept`` is False
    once backward has freed them. Non-tensor saves (sizes, scalars) are never freed and not listed."""
    found = []
    for attribute in dir(node):
        if not attribute.startswith("_saved_"):
            continue
        name = attribute[len("_saved_"):]
        try:
            value = getattr(node, attribute)
        except RuntimeError:  # "... access saved tensors after they have already been freed"
            found.append((name, False))
            continue
        if isinstance(value, torch.Tensor):
            found.append((name, True))
    return found


def graph_nodes(output: torch.Tensor, names: dict[str, torch.Tensor] | None = None) -> list[GraphNode]:
    """Walk ``output.grad_fn`` and describe every node; leaves are named after ``names``."""
    if output.grad_fn is None:
        return []
    by_id = {id(t): name for name, t in (names or {}).items()}
    order, index, depth = [], {}, {}
    stack = [(output.grad_fn, 0)]
    while stack:  # longest distance from the output decides the column of a node
        node, d = stack.pop()
        if node in index and depth[node] >= d:
            continue
        if node not in index:
            index[node] = len(order)
            order.append(node)
        depth[node] = d
        stack.extend((child, d + 1) for child, _ in reversed(node.next_functions) if child is not None)
    described = []
    for node in order:
        if hasattr(node, "variable"):
            label = f"{by_id.get(id(node.variable), 'leaf')}.grad"
        else:
            label = type(node).__name__
        described.append(GraphNode(label, saved_tensors(node),
                                   [index[c] for c, _ in node.next_functions if c is not None],
                                   depth[node]))
    return described


def _node_positions(nodes: list[GraphNode]) -> list[tuple[float, float]]:
    deepest = max(n.depth for n in nodes)
    columns: dict[int, list[int]] = {}
    for i, node in enumerate(nodes):
        columns.setdefault(node.depth, []).append(i)
    positions = [(0.0, 0.0)] * len(nodes)
    for depth, members in columns.items():
        for row, i in enumerate(members):
            positions[i] = (float(deepest - depth), (len(members) - 1) / 2 - row)
    return positions


def _node_text(node: GraphNode) -> tuple[str, str]:
    """The box text and its colour: green while saved tensors are kept, red once freed."""
    if node.label.endswith(".grad"):
        return f"AccumulateGrad\n\u2192 {node.label}", COLORS["blue"]
    if not node.saved:
        return f"{node.label}\nsaves no tensors", COLORS["grey"]
    kept = all(k for _, k in node.saved)
    state = "kept" if kept else "FREED"
    return f"{node.label}\nsaved: {', '.join(n for n, _ in node.saved)} ({state})", \
        COLORS["green"] if kept else COLORS["red"]


def plot_graph(output: torch.Tensor, names: dict[str, torch.Tensor] | None = None, title: str = ""):
    """The backward graph of ``output``, gradients flowing right to left, one box per node.

    Boxes say what each node saved during the forward pass and whether it is still there.
    """
    nodes = graph_nodes(output, names)
    fig, ax = new_figure(width=6.4, height=0.9 + 0.75 * max(2, _widest_column(nodes)))
    ax.set_axis_off()
    if not nodes:
        ax.text(0.5, 0.5, "no graph: this tensor has no grad_fn", ha="center", va="center")
        return fig
    positions = _node_positions(nodes)
    boxes = []
    for node, (x, y) in zip(nodes, positions):
        text, color = _node_text(node)
        boxes.append(ax.text(x, y, text, ha="center", va="center", fontsize=9, color=color,
                             bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": color}))
    for node, box in zip(nodes, boxes):
        for child in node.inputs:  # an arrow from this node's left edge to its input's right edge
            ax.annotate("", xy=(1.0, 0.5), xycoords=boxes[child], xytext=(0.0, 0.5), textcoords=box,
                        arrowprops={"arrowstyle": "-|>", "color": COLORS["grey"], "shrinkA": 4, "shrinkB": 4})
    xs = [p[0] for p in positions]
    ys = [p[1] for p in positions]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.set_title(title or "backward graph (gradients flow right \u2192 left)")
    return fig


def _widest_column(nodes: list[GraphNode]) -> int:
    counts: dict[int, int] = {}
    for node in nodes:
        counts[node.depth] = counts.get(node.depth, 0) + 1
    return max(counts.values(), default=1)


# --------------------------------------------------------------------------------------------------
# .grad over a sequence of calls


def plot_grad_history(history, labels=None, target=None, name: str = "x",
                      title: str = "What .grad holds after each call", target_label: str = "target"):
    """One line per component of ``.grad`` over a sequence of events (backward calls, resets).

    ``history`` is a list of gradient tensors (``None`` is drawn as a gap: ``.grad`` is None there);
    ``target`` adds dashed lines at the values the history should reach.
    """
    rows = [np.full(_width(history), np.nan) if g is None else g.detach().reshape(-1).numpy()
            for g in history]
    values = np.vstack(rows)
    steps = np.arange(1, len(history) + 1)
    fig, ax = new_figure(width=6.4, height=3.4)
    for j in range(values.shape[1]):
        color = PALETTE[j % len(PALETTE)]
        ax.plot(steps, values[:, j], "o-", color=color, label=f"{name}.grad[{j}]")
        if target is not None:
            ax.axhline(float(target.reshape(-1)[j]), color=color, linestyle="--", linewidth=1, alpha=0.7)
    if target is not None:
        ax.plot([], [], "--", color=COLORS["grey"], linewidth=1, label=f"{target_label} (dashed)")
    ax.set_xticks(steps)
    ax.set_xticklabels(labels or [f"call {k}" for k in steps], rotation=20 if labels else 0)
    ax.set_ylabel("value stored in .grad")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=9)
    return fig


def _width(history) -> int:
    return next((g.numel() for g in history if g is not None), 1)


# --------------------------------------------------------------------------------------------------
# Instructor widget: gradient descent with and without zeroing .grad


DATA_X = np.linspace(-1.0, 1.0, 8, dtype=np.float32)
DATA_Y = (3.0 * DATA_X + 1.0).astype(np.float32)
MAX_STEPS = 100
ZERO_EVERY_STEP = "zero_grad() every step"
NEVER_ZERO = "never zeroed"
SUM_OVER_N = "sum / N (adds up)"
MEAN_PER_BATCH = "mean per batch"


def mse(theta: np.ndarray) -> float:
    """The full-batch loss L(w, b) = mean((w x + b - y)^2) of the explorer's data."""
    with np.errstate(all="ignore"):
        w, b = np.float64(theta[0]), np.float64(theta[1])
        return float(np.mean((w * DATA_X + b - DATA_Y) ** 2))


def batch_gradient(theta: np.ndarray, rows: slice, divisor: float) -> np.ndarray:
    """d/d(w, b) of sum over ``rows`` of (w x + b - y)^2 / divisor -- what one ``backward()`` adds."""
    x, y = DATA_X[rows], DATA_Y[rows]
    residual = theta[0] * x + theta[1] - y
    return np.array([2 * np.sum(residual * x), 2 * np.sum(residual)], dtype=np.float32) / np.float32(divisor)


def mini_batches(batches: int) -> list[slice]:
    """``batches`` consecutive slices of the data, sizes as equal as possible."""
    bounds = np.linspace(0, len(DATA_X), batches + 1).round().astype(int)
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]


def accumulated_gradient_map(batches: int, mean_per_batch: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(A, c)`` with: sum over the mini-batches of what each ``backward()`` adds = ``A @ theta - c``.

    The loss is quadratic, so each batch gradient is linear in theta; summing the linear maps once
    makes a training step one 2x2 product instead of a Python loop over the batches.
    """
    A, c = np.zeros((2, 2)), np.zeros(2)
    for rows in mini_batches(batches):
        x, y = DATA_X[rows].astype(np.float64), DATA_Y[rows].astype(np.float64)
        divisor = len(x) if mean_per_batch else len(DATA_X)
        A += 2 / divisor * np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), len(x)]])
        c += 2 / divisor * np.array([np.sum(x * y), np.sum(y)])
    return A.astype(np.float32), c.astype(np.float32)


@functools.lru_cache(maxsize=256)
def descend(lr: float, steps: int, batches: int = 1, zero_every_step: bool = True,
            mean_per_batch: bool = False):
    """Gradient descent on :func:`mse` from (w, b) = (0, 0), bookkeeping ``.grad`` as PyTorch does.

    In every step the mini-batch ``backward()`` calls *add* to ``grad``; ``zero_every_step`` resets it
    first (``optimizer.zero_grad()``); then ``theta -= lr * grad``. float32, like PyTorch's default.
    Returns read-only arrays ``(path, losses, grad_norms, true_norms)``: the parameters after each step
    (``steps + 1`` rows, NaN after a divergence), the loss there, and for each step the norm of the
    accumulated ``.grad`` the update used and of the true gradient at that point. The gradients come
    in closed form (fast enough for a slider); the tests check the path against an autograd loop.
    """
    A, c = accumulated_gradient_map(batches, mean_per_batch)
    A_full, c_full = accumulated_gradient_map(1, False)
    theta = np.zeros(2, dtype=np.float32)
    grad = np.zeros(2, dtype=np.float32)
    path = np.full((steps + 1, 2), np.nan, dtype=np.float32)
    used = np.full((steps, 2), np.nan, dtype=np.float32)  # the .grad each update used
    path[0] = theta
    with np.errstate(all="ignore"):
        for step in range(steps):
            if zero_every_step:
                grad[:] = 0
            grad += A @ theta - c
            used[step] = grad
            theta = theta - np.float32(lr) * grad
            if not (math.isfinite(theta[0]) and math.isfinite(theta[1])):
                break
            path[step + 1] = theta
        wide = path.astype(np.float64)
        losses = np.mean((wide[:, :1] * DATA_X + wide[:, 1:] - DATA_Y) ** 2, axis=1)
        grad_norms = np.linalg.norm(used.astype(np.float64), axis=1)
        true_norms = np.linalg.norm(path[:-1] @ A_full.T - c_full, axis=1).astype(np.float64)
    for array in (path, losses, grad_norms, true_norms):
        array.flags.writeable = False  # cached: shared between calls
    return path, losses, grad_norms, true_norms


def loss_grid(lo_w=-1.5, hi_w=7.5, lo_b=-3.5, hi_b=5.5, n=90):
    """The loss surface over a (w, b) grid, for contour plots."""
    w, b = np.meshgrid(np.linspace(lo_w, hi_w, n), np.linspace(lo_b, hi_b, n))
    residual = w[..., None] * DATA_X + b[..., None] - DATA_Y
    return w, b, np.mean(residual**2, axis=-1)


def _power_of_ten(value: float, position=None) -> str:
    return f"1e{np.log10(value):.0f}" if value > 0 else ""


LOSS_LIMITS = (1e-8, 1e8)
PATH_LIMITS = {"xlim": (-1.5, 7.5), "ylim": (-3.5, 5.5)}


class ZeroGradExplorer(Explorer):
    """Gradient descent on a 2-parameter line fit, with ``.grad`` zeroed every step -- or never.

    Left: the path in the (w, b) plane over the loss contours, with full-batch gradient descent at
    the same learning rate in grey for comparison. Right: the loss along both paths.

    Speed: everything but the four curves and the caption is fixed (axes limits included), so the
    core renders it once into its background bitmap; a frame draws only the animated artists.
    """

    width, height, dpi = 8.4, 3.6, 80

    def make_controls(self):
        style = {"description_width": "initial"}
        return {
            "zeroing": widgets.Dropdown(options=[ZERO_EVERY_STEP, NEVER_ZERO], value=ZERO_EVERY_STEP,
                                        description=".grad", style=style),
            "batches": widgets.IntSlider(value=1, min=1, max=4, description="mini-batches", style=style),
            "batch_loss": widgets.Dropdown(options=[SUM_OVER_N, MEAN_PER_BATCH], value=SUM_OVER_N,
                                           description="batch loss", style=style),
            "lr": widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0.5, step=0.05,
                                         description="lr", readout_format=".3g", style=style),
            "steps": widgets.IntSlider(value=40, min=1, max=MAX_STEPS, description="steps", style=style),
        }

    def draw(self, fig):
        self.ax_path, self.ax_loss = fig.subplots(1, 2, width_ratios=[1.1, 1])
        self._draw_static_parts()
        self.reference_path, self.path = self._curves(self.ax_path, ".-")
        self.reference_loss, self.loss_line = self._curves(self.ax_loss, "-")
        self.ax_path.legend(loc="lower right", fontsize=8)
        self.caption = self.ax_loss.text(0.98, 0.97, "", transform=self.ax_loss.transAxes, ha="right", va="top",
                                         fontsize=8, color=COLORS["red"])
        self.animate(self.reference_path, self.path, self.reference_loss, self.loss_line, self.caption)

    def _draw_static_parts(self):
        w, b, loss = loss_grid()
        self.ax_path.contour(w, b, loss, levels=np.geomspace(0.05, 60, 12), colors=COLORS["grey"],
                             linewidths=0.6, alpha=0.7)
        self.ax_path.plot([3], [1], marker="*", markersize=12, color="black", linestyle="none")
        self.ax_path.set(**PATH_LIMITS, xticks=[0, 2, 4, 6], yticks=[-2, 0, 2, 4], xlabel="w", ylabel="b",
                         title="path of (w, b); \u2605 = minimum")
        self.ax_loss.set_yscale("log")
        self.ax_loss.yaxis.set_major_locator(LogLocator(numticks=5))
        self.ax_loss.yaxis.set_minor_locator(NullLocator())
        self.ax_loss.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        self.ax_loss.set(xlim=(0, MAX_STEPS), ylim=LOSS_LIMITS, xlabel="step", ylabel="full-batch loss",
                         title="loss along the path")

    @staticmethod
    def _curves(ax, style):
        (reference,) = ax.plot([], [], "-", color=COLORS["grey"], linewidth=4, alpha=0.4,
                               label="plain GD: zero_grad, full batch")
        (current,) = ax.plot([], [], style, color=COLORS["red"], markersize=3, linewidth=1.2,
                             label="the chosen setting")
        return reference, current

    def update(self, zeroing, batches, batch_loss, lr, steps):
        never = zeroing == NEVER_ZERO
        mean = batch_loss == MEAN_PER_BATCH
        path, losses, grad_norms, true_norms = descend(lr, steps, batches, not never, mean)
        reference, reference_losses, _, _ = descend(lr, steps)
        self.path.set_data(*_viewable(path).T)
        self.reference_path.set_data(*_viewable(reference).T)
        steps_axis = np.arange(steps + 1)
        self.loss_line.set_data(steps_axis, np.clip(losses, 1e-12, 1e12))
        self.reference_loss.set_data(steps_axis, np.clip(reference_losses, 1e-12, 1e12))
        self.caption.set_text(self.describe(zeroing, batches, batch_loss))
        return self._note(path, losses, grad_norms, true_norms, never, mean, batches)

    @staticmethod
    def describe(zeroing, batches, batch_loss) -> str:
        """A caption for the current setting, e.g. 'never zeroed; 3 mini-batches, mean per batch'."""
        label = "zero_grad() every step" if zeroing == ZERO_EVERY_STEP else ".grad never zeroed"
        if batches == 1:
            return f"{label}; full batch"
        return f"{label}; {batches} mini-batches, {batch_loss.split(' (')[0]}"

    @staticmethod
    def _note(path, losses, grad_norms, true_norms, never, mean, batches):
        notes = []
        bad = np.flatnonzero(~np.isfinite(path[:, 0]))
        if bad.size:
            notes.append(f"Diverged: the parameters overflowed to inf/NaN at step {bad[0]}; the path stops "
                         "there. The learning rate is far too large.")
        elif losses[-1] > losses[0]:
            notes.append("The loss grew: each step overshoots the minimum by more than it corrects "
                         "(learning rate too large for this setting). Curves leave the plotted range.")
        if never:
            ratio = grad_norms[-1] / true_norms[-1] if true_norms[-1] > 0 else np.nan
            size = f" (\u2016.grad\u2016 = {ratio:.3g} \u00d7 the current gradient)" if np.isfinite(ratio) else ""
            orbit = "" if bad.size or losses[-1] > losses[0] else ", so (w, b) circles the minimum instead of settling"
            notes.append(f"Never zeroed: each step used the sum of all gradients so far{size}{orbit}.")
        if mean and batches > 1:
            notes.append(f"Mean per mini-batch: each step used about {batches}\u00d7 the full-batch "
                         f"gradient, the same as multiplying lr by {batches}.")
        elif mean:
            notes.append("With one mini-batch, 'sum / N' and 'mean per batch' are the same thing: "
                         "raise mini-batches to see them differ.")
        return " ".join(notes) or None


def _viewable(path: np.ndarray) -> np.ndarray:
    """Huge coordinates (a diverging path) clipped far outside the view, so drawing stays cheap and safe."""
    return np.clip(path, -1e4, 1e4)


# --------------------------------------------------------------------------------------------------
# Exercise 1: accumulate mini-batch gradients so they equal the full-batch gradient


def _data(n: int, seed: int):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=generator)
    Y = X @ torch.tensor([1.5, -2.0, 0.5]) + 0.3 * torch.randn(n, generator=generator)
    w = torch.zeros(3, requires_grad=True)
    return X, Y, w


def _minibatch_cases():
    cases = []
    for n, batch_size, seed in [(12, 4, 1), (10, 4, 2), (5, 5, 3), (6, 1, 4)]:
        X, Y, w = _data(n, seed)
        cases.append((w, X, Y, batch_size))
    return cases


def _batch_grads(w, X, Y, batch_size, divisor):
    """Closed-form gradient of sum((X_b w - Y_b)^2) / divisor(batch) for each mini-batch."""
    grads = []
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        grads.append(2 * Xb.T @ (Xb @ w.detach() - Yb) / divisor(len(Xb)))
    return grads


def _full_gradient(w, X, Y, batch_size):
    loss = ((X @ w - Y) ** 2).mean()
    return torch.autograd.grad(loss, w)[0]


def _mean_per_batch(w, X, Y, batch_size):
    return sum(_batch_grads(w, X, Y, batch_size, lambda size: size))


def _sum_without_n(w, X, Y, batch_size):
    return sum(_batch_grads(w, X, Y, batch_size, lambda size: 1))


def _mean_over_batch_count(w, X, Y, batch_size):
    count = -(-len(X) // batch_size)
    return sum(_batch_grads(w, X, Y, batch_size, lambda size: size * count))


def _dropped_last_batch(w, X, Y, batch_size):
    grads = _batch_grads(w, X, Y, batch_size, lambda size: len(X))
    return sum(g for g, start in zip(grads, range(0, len(X), batch_size)) if start + batch_size <= len(X))


_ACCUMULATIONS = [lambda w, X, Y, b: sum(_batch_grads(w, X, Y, b, lambda size: len(X))),
                  _mean_per_batch, _sum_without_n, _mean_over_batch_count, _dropped_last_batch]


def _kept_full_gradient(answer, w, X, Y, batch_size) -> bool:
    """Experiment 1's gradient is still in w.grad: answer = full + (some accumulation)."""
    if not isinstance(answer, torch.Tensor) or answer.shape != w.shape:
        return False
    full = sum(_batch_grads(w, X, Y, batch_size, lambda size: len(X)))
    rest = answer.detach() - full
    return any(torch.allclose(rest, f(w, X, Y, batch_size), rtol=1e-4, atol=1e-4) for f in _ACCUMULATIONS)


minibatch_gradient = Exercise(
    title="Exercise 1: mini-batch gradients that add up",
    reference=_full_gradient,
    inputs=_minibatch_cases,
    function=True,
    mistakes=[
        Mistake("forgot to zero between experiments",
                "Your result still contains experiment 1's gradient: `backward()` *adds* to `w.grad`, and "
                "nothing cleared it before your mini-batch loop. Reset it first.",
                test=_kept_full_gradient),
        Mistake("averaged each mini-batch",
                "Each mini-batch loss is a *mean* over its own rows, so every row was divided by the batch "
                "size instead of by N, and the accumulated gradient is too large by the number of batches. "
                "The pieces must add up to the full-batch mean.",
                wrong=_mean_per_batch),
        Mistake("summed without dividing by N",
                "Your batch losses are plain sums of squared errors: the full-batch loss is a *mean*, so "
                "every row's contribution must be divided by the number of rows N.",
                wrong=_sum_without_n),
        Mistake("divided by the number of batches",
                "Dividing each batch mean by the number of batches works only when all batches have the same "
                "size. Here the last batch is smaller, so its rows count too much. Weight every row equally.",
                wrong=_mean_over_batch_count),
        Mistake("dropped the last, smaller batch",
                "Some rows never reached `backward()`: when N is not a multiple of `batch_size` the last "
                "batch is smaller, and your loop skipped it.",
                wrong=_dropped_last_batch),
    ],
    error_hints=[
        ErrorHint(r"grad can be implicitly created only for scalar outputs",
                  "Your mini-batch loss is still a vector (one squared error per row), and `backward()` "
                  "without arguments needs a single number. Reduce it -- and choose the reduction so that "
                  "the batch losses add up to the full-batch mean.",
                  name="called backward on a non-scalar"),
        ErrorHint(r"'NoneType' object has no attribute",
                  "`w.grad` is `None` at that point: after `w.grad = None` (or before any backward call) there "
                  "is no tensor to call methods on. Either set it to None, or call `.zero_()` while it exists.",
                  name="used .grad while it was None"),
    ],
    hints=[
        ("Two things: (1) `w.grad` already holds experiment 1's gradient when your code starts -- every "
         "`backward()` adds to it. (2) Loop over the rows in slices `X[i:i + batch_size]`, one "
         "`backward()` per slice, and return `w.grad` after the loop."),
        ("The full-batch loss is (1/N) * (sum over all rows of the squared error). Split that sum by "
         "mini-batch: each batch contributes the sum of *its* squared errors divided by N (the total number "
         "of rows, not the batch size). The last batch may be smaller."),
    ],
    solution_text="""
def minibatch_gradient(w, X, Y, batch_size):
    full_loss = ((X @ w - Y) ** 2).mean()
    full_loss.backward()

    w.grad = None                       # or w.grad.zero_(): forget experiment 1
    N = len(X)
    for start in range(0, N, batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        batch_loss = ((Xb @ w - Yb) ** 2).sum() / N    # this batch's share of the full mean
        batch_loss.backward()                           # adds to w.grad
    return w.grad
""",
    success="Summed over the mini-batches, the gradients equal the full-batch gradient -- "
            "accumulation used on purpose.",
    rtol=1e-5,
    atol=1e-5,
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: predict x.grad after a sequence of backward calls

PREDICT_SEQUENCE = """\
x = torch.tensor([1., 2., 3.], requires_grad=True)
y = (x ** 2).sum()
y.backward(retain_graph=True)   # call (1)
y.backward()                    # call (2)
z = (x + 1).sum()
z.backward()                    # call (3)
z.backward()                    # call (4)"""


def _run_sequence(x: torch.Tensor) -> torch.Tensor:
    y = (x**2).sum()
    y.backward(retain_graph=True)
    y.backward()
    z = (x + 1).sum()
    z.backward()
    z.backward()
    return x.grad


def _matches(values):
    def test(answer, x):
        if not isinstance(answer, torch.Tensor) or answer.shape != x.shape or not answer.is_floating_point():
            return False
        return torch.allclose(answer.detach().double(), values(x.detach().double()))
    return test


predict_grad = Exercise(
    title="Exercise 2: predict x.grad",
    reference=_run_sequence,
    inputs=(torch.tensor([1.0, 2.0, 3.0], requires_grad=True),),
    check_dtype=False,
    mistakes=[
        Mistake("the single-call gradient",
                "That is the gradient of *one* call, d/dx of sum(x**2). But `.grad` is not overwritten: every "
                "`backward()` *adds* its gradient to what is already there, and nothing in the sequence resets "
                "it. Count every call that runs.",
                test=_matches(lambda x: 2 * x)),
        Mistake("only the last call",
                "That is only what call (4) contributes. Calls (1)-(3) wrote into `x.grad` too, and later calls "
                "add to it instead of replacing it.",
                test=_matches(lambda x: torch.ones_like(x))),
        Mistake("thought call (4) raises",
                "Close: you counted z once. Call (4) runs too: `(x + 1).sum()` saved no tensors during the "
                "forward pass (the derivative of x + 1 does not depend on x), so there is nothing to free and "
                "a second backward works -- and adds again.",
                test=_matches(lambda x: 4 * x + 1)),
        Mistake("thought call (2) raises",
                "Call (1) passed `retain_graph=True`, so y's saved tensors were kept and call (2) runs -- "
                "and adds its gradient again. `retain_graph` keeps the graph; it does not reset `.grad`.",
                test=_matches(lambda x: 2 * x + 2)),
        Mistake("one call of each",
                "You counted y once and z once. Every call that runs adds to `x.grad`; check which of the four "
                "calls would raise (hint: none of them).",
                test=_matches(lambda x: 2 * x + 1)),
    ],
    hints=[
        ("Work out what *one* call of `y.backward()` and *one* call of `z.backward()` add to `x.grad` "
         "(write each as a formula in x)."),
        ("Then decide which of the four calls actually run: does (2) have a graph to go back through? "
         "Did `(x + 1).sum()` save any tensor that (3) could free?"),
        "Nothing in the sequence sets `x.grad` to zero or None: the contributions of all calls that run add up.",
    ],
    solution_text="""
y = sum(x**2):   one y.backward() adds 2*x          -> calls (1) and (2) both run (retain_graph on (1))
z = sum(x + 1):  one z.backward() adds ones          -> calls (3) and (4) both run (nothing saved to free)

x.grad = 2*x + 2*x + 1 + 1 = 4*x + 2

answer = 4 * torch.tensor([1., 2., 3.]) + 2     # or type the three numbers
""",
    success="Four calls, four contributions, all added up in `x.grad`.",
)
