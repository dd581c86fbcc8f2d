"""Lesson 5 -- loss functions: the pictures, explorer and exercises of notebooks/05_losses.ipynb.

MSE, binary cross-entropy (and why ``BCEWithLogitsLoss`` is the stable choice), multi-class
cross-entropy (``log_softmax`` + ``nll_loss``) and its options in practice. The notebook shows every
loss call it teaches; this module only draws, and re-exports the exercises of
:mod:`lessonkit.losses_exercises`.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from lessonkit.figures import COLORS, heatmap, new_figure
from lessonkit.i18n import N_, _
from lessonkit.widgets import Explorer

# --------------------------------------------------------------------------------------------------
# Curves: a loss and its derivative over a grid, computed with autograd (element-wise losses)


def loss_and_gradient(loss_fn, points) -> tuple[np.ndarray, np.ndarray]:
    """``loss_fn(x)`` element-wise on float32 ``points`` and d loss / d x, both as NumPy arrays.

    Non-finite values are kept (a plot shows them as gaps; the explorer reports them).
    """
    x = torch.as_tensor(np.asarray(points), dtype=torch.float32).clone().requires_grad_(True)
    loss = loss_fn(x)
    (grad,) = torch.autograd.grad(loss.sum(), x)
    return loss.detach().numpy().astype(float), grad.numpy().astype(float)


def _bce_with_logits(y: float):
    return lambda z: F.binary_cross_entropy_with_logits(z, torch.full_like(z, y), reduction="none")


def _bce_on_sigmoid(y: float):
    return lambda z: F.binary_cross_entropy(torch.sigmoid(z), torch.full_like(z, y), reduction="none")


def _bce_by_hand(y: float):
    def loss(z):
        p = torch.sigmoid(z)
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p))
    return loss


def _mse_on_sigmoid(y: float):
    return lambda z: (torch.sigmoid(z) - y) ** 2


# name -> (loss factory taking the label, colour, line style); the explorer draws all four
LOGIT_LOSSES = {
    "BCEWithLogitsLoss(z, y)": (_bce_with_logits, COLORS["blue"], "-"),
    "BCELoss(sigmoid(z), y)": (_bce_on_sigmoid, COLORS["orange"], "--"),
    "by hand: -[y log ŷ + (1-y) log(1-ŷ)]": (_bce_by_hand, COLORS["red"], ":"),
    "MSE: (sigmoid(z) - y)^2": (_mse_on_sigmoid, COLORS["green"], "-."),
}


# TRANSLATORS: the axis label of d loss / d z (the notebook writes it as a partial derivative, ∂L/∂z)
GRADIENT_LABEL = N_("dL/dz")


def _finite_max(*arrays) -> float:
    values = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else 1.0


def draw_curves(ax, x, curves, *, xlabel: str, ylabel: str, title: str, ylim=None):
    """Draw named curves ``{label: (y, colour, style)}`` on ``ax``; return the Line2D artists."""
    lines = [ax.plot(x, y, linestyle=style, color=color, lw=2, label=label)[0]
             for label, (y, color, style) in curves.items()]
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ylim is not None:
        ax.set_ylim(*ylim)
    return lines


# --------------------------------------------------------------------------------------------------
# Static pictures


def _as_matrix(t) -> np.ndarray:
    values = torch.as_tensor(t).detach().to(torch.float64)
    return values.reshape(1, -1).numpy() if values.dim() < 2 else values.numpy()


def plot_squared_errors(prediction, target):
    """Prediction, target and the element-wise squared errors after broadcasting, as three heatmaps."""
    prediction, target = torch.as_tensor(prediction), torch.as_tensor(target)
    squared = (prediction - target) ** 2
    panels = {
        _("input (prediction) {shape}").format(shape=tuple(prediction.shape)): prediction,
        _("target {shape}").format(shape=tuple(target.shape)): target,
        _("squared errors {shape}\nmean = {mean}").format(shape=tuple(squared.shape),
                                                          mean=f"{squared.mean().item():.4g}"): squared,
    }
    # a light scale (the largest value at mid-orange) keeps black numbers readable on every cell
    top = 2.0 * max(float(v.abs().max()) for v in panels.values()) or 1.0
    fig, axes = new_figure(1, 3, width=8.4, height=3.2)
    for ax, (title, values) in zip(axes, panels.items(), strict=True):
        # one colour scale for the three panels; the numbers are black or white by contrast
        heatmap(ax, _as_matrix(values), diverging=False, fmt="{:g}", cmap="Oranges", vmin=0, vmax=top)
        ax.set_title(title)
    if squared.shape not in (prediction.shape, target.shape):   # broadcasting made a bigger table
        for i in range(min(squared.shape[-2:])):
            axes[2].add_patch(Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, lw=2.5, ec=COLORS["blue"]))
        axes[2].set_xlabel(_("only the outlined cells pair a prediction\nwith its own label"), fontsize=9)
    return fig


def plot_bce_curves():
    """BCE and dBCE/dŷ as the prediction ŷ moves from 0 to 1, for y = 1 and y = 0."""
    p = np.linspace(0.005, 0.995, 397)
    curves, slopes = {}, {}
    for y, color in ((1.0, COLORS["blue"]), (0.0, COLORS["orange"])):
        label = f"y = {y:g}: " + (r"$-\log \hat y$" if y else r"$-\log(1 - \hat y)$")
        loss, grad = loss_and_gradient(
            lambda q, y=y: F.binary_cross_entropy(q, torch.full_like(q, y), reduction="none"), p)
        curves[label] = (loss, color, "-")
        slopes[label] = (grad, color, "-")
    fig, (left, right) = new_figure(1, 2, width=9.0, height=3.6)
    draw_curves(left, p, curves, xlabel=_(r"prediction $\hat y$"), ylabel=_("loss"), title=_("BCE loss"))
    draw_curves(right, p, slopes, xlabel=_(r"prediction $\hat y$"), ylabel=r"$\mathrm{d}L/\mathrm{d}\hat y$",
                title=_(r"its gradient: $-1/\hat y$ and $1/(1 - \hat y)$"), ylim=(-25, 25))
    left.legend(loc="upper center")
    return fig


def plot_mse_vs_cross_entropy(y: float = 1.0):
    """MSE on sigmoid(z) vs cross-entropy, and their gradients with respect to the logit z."""
    z = np.linspace(-8, 8, 321)
    chosen = ["BCEWithLogitsLoss(z, y)", "MSE: (sigmoid(z) - y)^2"]
    curves, slopes = {}, {}
    for name in chosen:
        factory, color, _style = LOGIT_LOSSES[name]
        loss, grad = loss_and_gradient(factory(y), z)
        label = _("cross-entropy") if name.startswith("BCE") else "MSE"
        curves[label], slopes[label] = (loss, color, "-"), (grad, color, "-")
    fig, (left, right) = new_figure(1, 2, width=9.0, height=3.6)
    draw_curves(left, z, curves, xlabel=_("logit z"), ylabel=_("loss"),
                title=_("Loss for label y = {y}").format(y=f"{y:g}"))
    draw_curves(right, z, slopes, xlabel=_("logit z"), ylabel=_(GRADIENT_LABEL), title=_("Gradient with respect to z"))
    left.legend(loc="upper center")
    for ax in (left, right):
        ax.axvspan(-8, -3, color=COLORS["grey"], alpha=0.12, lw=0)
    right.annotate(_("confidently wrong,\nyet MSE's\ngradient ≈ 0"), (-5.5, -0.55), ha="center", fontsize=9)
    return fig


def plot_class_probabilities(probabilities, target):
    """One bar chart per sample: the predicted class probabilities, the target class highlighted."""
    probabilities = torch.as_tensor(probabilities).detach()
    target = torch.as_tensor(target)
    samples, classes = probabilities.shape
    fig, axes = new_figure(1, samples, width=3.6 * samples, height=3.0, sharey=True)
    axes = np.atleast_1d(axes)
    for i, ax in enumerate(axes):
        colors = [COLORS["green"] if k == target[i] else COLORS["grey"] for k in range(classes)]
        ax.bar(range(classes), probabilities[i].numpy(), color=colors)
        ax.set_xticks(range(classes))
        ax.set_xlabel(_("class"))
        p = probabilities[i, target[i]].item()
        ax.set_title(_("sample {i}: target {target}\n-log p = {loss}").format(
            i=i, target=target[i].item(), loss=f"{-math.log(p):.4f}"))
    axes[0].set_ylabel(_("softmax probability"))
    axes[0].set_ylim(0, 1)
    return fig


# --------------------------------------------------------------------------------------------------
# Explorer: a logit slider, every binary loss and its gradient live


SHORT_NAMES = dict(zip(LOGIT_LOSSES, [N_("with logits"), "BCELoss", N_("by hand"), "MSE"], strict=True))
_CSS_STYLES = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dashed"}


class LogitLossExplorer(Explorer):
    """Move the logit z (and flip the label y): four binary losses and their gradients d loss / d z.

    The view widens with the slider: |z| <= 8.75 shows -10..10, |z| <= 35 shows -40..40, else
    -120..120. The curves of every (label, view) are computed once; they, the markers and the cursor
    lines are the animated artists, so only a change of axis limits redraws the axes and tick labels.
    The numbers and the legend are an HTML table beside the picture.
    """

    width, height, dpi = 7.6, 3.4, 80
    WINDOWS = (10.0, 40.0, 120.0)

    def __init__(self) -> None:
        self.readout = widgets.HTML(layout=widgets.Layout(min_width="300px"))
        super().__init__()

    def body(self):
        return widgets.HBox([self.image, self.readout])

    def close(self) -> None:
        super().close()
        self.readout.close()

    def make_controls(self):
        return {
            "z": widgets.FloatSlider(value=2.0, min=-120.0, max=120.0, step=0.1, description=_("logit z"),
                                     layout=widgets.Layout(width="440px")),
            "y": widgets.ToggleButtons(options=[("y = 1", 1.0), ("y = 0", 0.0)], value=1.0,
                                       description=_("label")),
        }

    def draw(self, fig):
        # (y, window) -> {name: (z, loss, grad)} and the top of the loss axis
        self.curves, self.tops = {}, {}
        for window in self.WINDOWS:
            z = np.linspace(-window, window, 481)
            for y in (1.0, 0.0):
                curves = {name: (z, *loss_and_gradient(factory(y), z))
                          for name, (factory, _color, _style) in LOGIT_LOSSES.items()}
                self.curves[(y, window)] = curves
                self.tops[(y, window)] = 1.08 * _finite_max(*(loss for _grid, loss, _grad in curves.values()))
        self.loss_ax, self.grad_ax = fig.subplots(1, 2)
        self.loss_lines, self.grad_lines = {}, {}
        for name, (_factory, color, style) in LOGIT_LOSSES.items():
            (self.loss_lines[name],) = self.loss_ax.plot([], [], style, color=color, lw=1.8)
            (self.grad_lines[name],) = self.grad_ax.plot([], [], style, color=color, lw=1.8)
        # few tick labels (what a change of limits redraws): at most 8 integers, not 10 in the -40..40 view
        self.loss_ax.yaxis.set_major_locator(MaxNLocator(7, steps=[1, 2, 5, 10]))
        self.loss_ax.set(xlabel=_("logit z"), ylabel=_("loss"))
        self.grad_ax.set(xlabel=_("logit z"), ylabel=_(GRADIENT_LABEL), ylim=(-1.15, 1.15), yticks=(-1, 0, 1))
        # The layout is computed once, after draw: give it the widest tick labels of any view
        # (labels at the x edges as in the narrow view, three-digit losses as in the wide one).
        for ax in (self.loss_ax, self.grad_ax):
            ax.set_xlim(-self.WINDOWS[0], self.WINDOWS[0])
        self.loss_ax.set_ylim(0, max(self.tops.values()))
        panels = (self.loss_ax, self.grad_ax)
        self.cursors = [ax.axvline(0.0, color="black", lw=0.8, alpha=0.6) for ax in panels]
        # shrinking sizes: markers that coincide show as concentric rings instead of hiding each other
        self.dots = {(name, panel): ax.plot([], [], "o", color=color, ms=10 - 2 * rank, mec="white",
                                            mew=0.8)[0]
                     for rank, (name, (_factory, color, _style)) in enumerate(LOGIT_LOSSES.items())
                     for panel, ax in enumerate(panels)}
        self.animate(*self.loss_lines.values(), *self.grad_lines.values(), *self.cursors, *self.dots.values())
        self._shown = None    # the (label, window) whose curves are drawn
        self._limits = None   # the (window, top) the axes show

    def update(self, z, y):
        window = next((w for w in self.WINDOWS if abs(z) <= 0.875 * w), self.WINDOWS[-1])
        if self._shown != (y, window):
            for name, (grid, loss, grad) in self.curves[(y, window)].items():
                self.loss_lines[name].set_data(grid, loss)
                self.grad_lines[name].set_data(grid, grad)
            self._shown = (y, window)
        top = self.tops[(y, window)]
        if self._limits != (window, top):   # flipping the label mostly keeps the axes as they are
            self._limits = (window, top)
            self.loss_ax.set(xlim=(-window, window), ylim=(-0.04 * top, top))
            self.grad_ax.set_xlim(-window, window)
            self.redraw_background()
        values = {name: [float(v[0]) for v in loss_and_gradient(factory(y), [z])]
                  for name, (factory, _color, _style) in LOGIT_LOSSES.items()}
        for cursor in self.cursors:
            cursor.set_xdata([z, z])
        for (name, panel), dot in self.dots.items():
            value = values[name][panel]   # a marker hides when its value is inf or NaN
            dot.set_data(([z], [value]) if np.isfinite(value) else ([], []))
        self.readout.value = _readout_html(z, y, values)
        return _loss_note(z, values)


def _readout_html(z: float, y: float, values) -> str:
    p = torch.sigmoid(torch.tensor(z)).item()
    rows = "".join(
        f'<tr><td><span style="display:inline-block;width:22px;border-top:3px {_CSS_STYLES[style]} {color};'
        f'vertical-align:middle"></span> {_(SHORT_NAMES[name])}</td>'
        f'<td style="text-align:right">{loss:.5g}</td><td style="text-align:right">{grad:.3g}</td></tr>'
        for name, (_factory, color, style) in LOGIT_LOSSES.items() for loss, grad in [values[name]])
    in_float32, loss_header, grad_header = _("(in float32)"), _("loss"), _(GRADIENT_LABEL)
    return (f'<div style="font-family:monospace;font-size:12px"><b>z = {z:+.1f}, y = {y:g}</b><br>'
            f"ŷ = sigmoid(z) = {p:.6g}<br>{in_float32}<br>"
            f'<table style="margin-top:4px"><tr><th></th><th>{loss_header}</th><th>{grad_header}</th></tr>'
            f"{rows}</table></div>")


def _loss_note(z: float, values) -> str | None:
    """What is noteworthy at this logit: inf/NaN, the -100 clamp, a vanished or saturated gradient."""
    exact_loss, exact_grad = values["BCEWithLogitsLoss(z, y)"]
    bce_loss, bce_grad = values["BCELoss(sigmoid(z), y)"]
    hand_loss, hand_grad = values["by hand: -[y log ŷ + (1-y) log(1-ŷ)]"]
    mse_grad = values["MSE: (sigmoid(z) - y)^2"][1]
    notes = []
    if not (np.isfinite(hand_loss) and np.isfinite(hand_grad)):
        p = torch.sigmoid(torch.tensor(z)).item()
        notes.append(_("sigmoid(z) is exactly {p} in float32, so the formula by hand gives "
                       "loss {loss}, gradient {grad}").format(p=f"{p:g}", loss=f"{hand_loss:g}",
                                                             grad=f"{hand_grad:g}"))
    if bce_loss == 100.0 and exact_loss != 100.0:
        notes.append(_("BCELoss clamps log at -100: loss 100 instead of {exact}").format(exact=f"{exact_loss:.4g}"))
    elif abs(bce_loss - exact_loss) > 1e-3 * max(1.0, exact_loss):
        notes.append(_("BCELoss is off ({got} instead of {exact}): ŷ is too close to 1 for float32").format(
            got=f"{bce_loss:.5g}", exact=f"{exact_loss:.5g}"))
    if abs(exact_grad) > 0.01 and abs(bce_grad) < 0.5 * abs(exact_grad):
        notes.append(_("sigmoid + BCELoss gradient vanished ({got} instead of {exact})").format(
            got=f"{bce_grad:.2g}", exact=f"{exact_grad:.2g}"))
    if abs(exact_grad) > 0.9 and abs(mse_grad) < 0.01:
        notes.append(_("MSE saturated: the prediction is wrong, yet its gradient is only {grad}").format(
            grad=f"{mse_grad:.2g}"))
    # TRANSLATORS: the separator between two notes of the explorer
    return _("; ").join(notes) or None


# The exercises live in their own module; the notebook reaches them as lesson.<name>.
from lessonkit.losses_exercises import (  # noqa: E402
    PREDICT_PADDING,
    cross_entropy_lse,
    predict_padding_loss,
    soft_ce_gradient,
    weighted_bce,
)

__all__ = [
    "PREDICT_PADDING", "LogitLossExplorer", "cross_entropy_lse", "loss_and_gradient",
    "plot_bce_curves", "plot_class_probabilities", "plot_mse_vs_cross_entropy", "plot_squared_errors",
    "predict_padding_loss", "soft_ce_gradient", "weighted_bce",
]
