"""Lesson 3 -- ``backward()``, ``.grad`` and ``retain_graph``: the entry point of
notebooks/03_backward_retain_graph.ipynb (``from lessonkit import backward_retain_graph as lesson``).

The lesson's code is split by concern; everything is re-exported here:

    backward_retain_graph_pictures    plot_graph (the autograd graph with its saved tensors, kept or
                                      freed), plot_grad_history (.grad after each call),
                                      grad_state_table (what no_grad / inference_mode / detach do)
    this module                       ZeroGradExplorer: gradient descent with / without zeroing .grad
    backward_retain_graph_exercises   minibatch_gradient, predict_grad, evaluate, predict_two_paths
"""

from __future__ import annotations

import functools
import itertools
import math

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from lessonkit.backward_retain_graph_exercises import (  # noqa: F401 -- re-exported for the notebook
    PREDICT_SEQUENCE,
    TWO_PATHS,
    evaluate,
    minibatch_gradient,
    predict_grad,
    predict_two_paths,
)
from lessonkit.backward_retain_graph_pictures import (  # noqa: F401 -- re-exported for the notebook
    GraphNode,
    grad_state_table,
    graph_nodes,
    plot_grad_history,
    plot_graph,
    saved_tensors,
)
from lessonkit.figures import COLORS, ink
from lessonkit.i18n import N_, _, language
from lessonkit.widgets import Explorer

# --------------------------------------------------------------------------------------------------
# Instructor widget: gradient descent with and without zeroing .grad


DATA_X = np.linspace(-1.0, 1.0, 8, dtype=np.float32)
DATA_Y = (3.0 * DATA_X + 1.0).astype(np.float32)
MAX_STEPS = 100
# the dropdowns' values: English in every language (tests and notebooks set them); shown translated
ZERO_EVERY_STEP = N_("zero_grad() every step")
NEVER_ZERO = N_("never zeroed")
SUM_OVER_N = N_("sum / N (adds up)")
MEAN_PER_BATCH = N_("mean per batch")
# the batch loss as the caption names it
BATCH_LOSS_SHORT = {SUM_OVER_N: N_("sum / N"), MEAN_PER_BATCH: MEAN_PER_BATCH}


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

    # 800 x 344 CSS px: every text at the course's 11 pt is >= 12 px where the picture is shown
    width, height, dpi = 10.0, 4.3, 80

    def make_controls(self):
        style = {"description_width": "initial"}
        return {
            "zeroing": widgets.Dropdown(options=_choices(ZERO_EVERY_STEP, NEVER_ZERO), value=ZERO_EVERY_STEP,
                                        description=".grad", style=style),
            "batches": widgets.IntSlider(value=1, min=1, max=4, description=_("mini-batches"), style=style),
            "batch_loss": widgets.Dropdown(options=_choices(SUM_OVER_N, MEAN_PER_BATCH), value=SUM_OVER_N,
                                           description=_("batch loss"), style=style),
            "lr": widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0.5, step=0.05,
                                         description="lr", readout_format=".3g", style=style),
            "steps": widgets.IntSlider(value=40, min=1, max=MAX_STEPS, description=_("steps"), style=style),
        }

    def draw(self, fig):
        self.ax_path, self.ax_loss = fig.subplots(1, 2, width_ratios=[1.1, 1])
        self._draw_static_parts()
        self.reference_path, self.path = self._curves(self.ax_path, ".-")
        self.reference_loss, self.loss_line = self._curves(self.ax_loss, "-")
        # the legend sits *under* both plots, outside every axes: no contour line or moving path can
        # run through it (inside the path plot, a contour line crossed the frameless legend)
        self.legend = fig.legend(handles=[self.reference_path, self.path], loc="outside lower center",
                                 ncols=2)
        self.caption = self.ax_loss.text(0.98, 0.97, "", transform=self.ax_loss.transAxes, ha="right",
                                         va="top", color=ink(COLORS["red"]))
        self.animate(self.reference_path, self.path, self.reference_loss, self.loss_line, self.caption)

    def _draw_static_parts(self):
        w, b, loss = loss_grid()
        self.ax_path.contour(w, b, loss, levels=np.geomspace(0.05, 60, 12), colors=COLORS["grey"],
                             linewidths=0.6, alpha=0.7)
        self.ax_path.plot([3], [1], marker="*", markersize=12, color="black", linestyle="none")
        self.ax_path.set(**PATH_LIMITS, xticks=[0, 2, 4, 6], yticks=[-2, 0, 2, 4], xlabel="w", ylabel="b",
                         title=_("path of (w, b); \u2605 = minimum"))
        self.ax_loss.set_yscale("log")
        self.ax_loss.yaxis.set_major_locator(LogLocator(numticks=5))
        self.ax_loss.yaxis.set_minor_locator(NullLocator())
        self.ax_loss.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        self.ax_loss.set(xlim=(0, MAX_STEPS), ylim=LOSS_LIMITS, xlabel=_("step"),
                         ylabel=_("full-batch loss"), title=_("loss along the path"))

    @staticmethod
    def _curves(ax, style):
        (reference,) = ax.plot([], [], "-", color=COLORS["grey"], linewidth=4, alpha=0.4,
                               label=_("plain GD: zero_grad, full batch"))
        (current,) = ax.plot([], [], style, color=COLORS["red"], markersize=3, linewidth=1.2,
                             label=_("the chosen setting"))
        return reference, current

    def update(self, zeroing, batches, batch_loss, lr, steps):
        never = zeroing == NEVER_ZERO
        mean = batch_loss == MEAN_PER_BATCH
        path, losses, grad_norms, true_norms = descend(lr, steps, batches, not never, mean)
        reference, reference_losses, _norms, _true_norms = descend(lr, steps)
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
        label = _("zero_grad() every step") if zeroing == ZERO_EVERY_STEP else _(".grad never zeroed")
        if batches == 1:
            return _("{setting}; full batch").format(setting=label)
        return _("{setting}; {count} mini-batches, {batch_loss}").format(
            setting=label, count=batches, batch_loss=_(BATCH_LOSS_SHORT[batch_loss]))

    @staticmethod
    def _note(path, losses, grad_norms, true_norms, never, mean, batches):
        notes = []
        bad = np.flatnonzero(~np.isfinite(path[:, 0]))
        if bad.size:
            notes.append(_("Diverged: the parameters overflowed to inf/NaN at step {step}; the path stops "
                           "there. The learning rate is far too large.").format(step=bad[0]))
        elif losses[-1] > losses[0]:
            notes.append(_("The loss grew: each step overshoots the minimum by more than it corrects "
                           "(learning rate too large for this setting). Curves leave the plotted range."))
        if never:
            ratio = grad_norms[-1] / true_norms[-1] if true_norms[-1] > 0 else np.nan
            orbit = not (bad.size or losses[-1] > losses[0])
            if np.isfinite(ratio) and orbit:
                note = _("Never zeroed: each step used the sum of all gradients so far (\u2016.grad\u2016 = "
                         "{ratio} \u00d7 the current gradient), so (w, b) circles the minimum instead of settling.")
            elif np.isfinite(ratio):
                note = _("Never zeroed: each step used the sum of all gradients so far (\u2016.grad\u2016 = "
                         "{ratio} \u00d7 the current gradient).")
            elif orbit:
                note = _("Never zeroed: each step used the sum of all gradients so far, so (w, b) circles the "
                         "minimum instead of settling.")
            else:
                note = _("Never zeroed: each step used the sum of all gradients so far.")
            notes.append(note.format(ratio=f"{ratio:.3g}"))
        if mean and batches > 1:
            notes.append(_("Mean per mini-batch: each step used about {count}\u00d7 the full-batch "
                           "gradient, the same as multiplying lr by {count}.").format(count=batches))
        elif mean:
            notes.append(_("With one mini-batch, 'sum / N' and 'mean per batch' are the same thing: "
                           "raise mini-batches to see them differ."))
        # English puts a space between sentences; Chinese sentences end in a full-width stop and run on
        return ("" if language() == "zh" else " ").join(notes) or None


def _choices(*values: str) -> list[tuple[str, str]]:
    """Dropdown options: each English value shown in the notebook's language."""
    return [(_(value), value) for value in values]


def _viewable(path: np.ndarray) -> np.ndarray:
    """Huge coordinates (a diverging path) clipped far outside the view, so drawing stays cheap and safe."""
    return np.clip(path, -1e4, 1e4)
