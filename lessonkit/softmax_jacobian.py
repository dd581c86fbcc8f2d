"""Lesson 4 -- softmax and its Jacobian: the pictures, explorer and exercises of
notebooks/04_softmax_jacobian.ipynb.

The notebook keeps the PyTorch calls it teaches (``torch.softmax``, ``torch.autograd.grad``,
``torch.autograd.functional.jacobian``, ``diag(p) - outer(p, p)``) visible; this module only draws,
and re-exports the exercises of :mod:`lessonkit.softmax_jacobian_exercises`.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.colors
import numpy as np
import torch
from matplotlib.patches import Rectangle

from lessonkit.figures import COLORS, TEXT_COLOR, heatmap, ink, new_figure, update_heatmap
from lessonkit.i18n import _
from lessonkit.widgets import Explorer

# The largest float32 is about 3.4e38 = e^88.72: exp of anything larger is inf.
FLOAT32_EXP_LIMIT = math.log(torch.finfo(torch.float32).max)
# |J_ij| <= 1/4 for every softmax Jacobian (p(1-p) and p_i p_j are at most 1/4): a fixed colour scale.
JACOBIAN_LIMIT = 0.25


def _numpy(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=float)


# --------------------------------------------------------------------------------------------------
# Section 1: what softmax does to a vector of logits


def _bar_panel(ax, values, title: str, color: str, fmt: str = "{:.3f}") -> None:
    """One labelled bar chart: a bar per class, its value written on top."""
    values = _numpy(values)
    names = [_("class {index}").format(index=i) for i in range(len(values))]
    bars = ax.bar(names, values, color=color, width=0.6)
    for bar, value in zip(bars, values):
        ax.annotate(fmt.format(value), (bar.get_x() + bar.get_width() / 2, value),
                    xytext=(0, 3), textcoords="offset points", ha="center", fontsize=9)
    ax.set_title(title)
    ax.set_ylim(0, values.max() * 1.2)


def plot_softmax_steps(z) -> object:
    """The three stages of softmax: logits z, exponentials e^z, probabilities p = e^z / sum."""
    z = torch.as_tensor(z, dtype=torch.float32)
    exps = torch.exp(z)
    p = exps / exps.sum()
    fig, axes = new_figure(1, 3, width=9.6, height=3.2)
    _bar_panel(axes[0], z, _("logits $z$"), COLORS["grey"], "{:.1f}")
    _bar_panel(axes[1], exps, _("exponentials $e^{{z_i}}$").format(), COLORS["orange"], "{:.2f}")
    _bar_panel(axes[2], p, _(r"probabilities $p_i = e^{{z_i}}/\sum_j e^{{z_j}}$").format(), COLORS["blue"])
    axes[0].set_ylabel(_("value"))
    gap = (z[0] - z[1]).item()
    ratio = (p[0] / p[1]).item()
    fig.suptitle(_("a gap of {gap} between two logits becomes a ratio of $e^{{{gap}}}$ = {ratio}").format(
        gap=f"{gap:.1f}", ratio=f"{ratio:.3f}"))
    return fig


# --------------------------------------------------------------------------------------------------
# Section 2: dim=0 or dim=1 -- which entries sum to one


def plot_sum_directions(logits) -> object:
    """softmax(logits, dim=0) next to softmax(logits, dim=1): each boxed slice sums to 1."""
    logits = torch.as_tensor(logits).detach()
    fig, axes = new_figure(1, 2, width=9.6, height=3.6)
    for ax, dim in zip(axes, (0, 1)):
        p = torch.softmax(logits, dim=dim)
        heatmap(ax, _numpy(p), diverging=False, fmt="{:.2f}", cmap="Blues", vmin=0, vmax=1)
        rows, cols = p.shape
        for k, total in enumerate(p.sum(dim=dim).tolist()):
            if dim == 0:  # one box per column, its sum underneath
                corner, size, where = (k - 0.45, -0.45), (0.9, rows - 0.1), (k, rows - 0.35)
            else:         # one box per row, its sum on the right
                corner, size, where = (-0.45, k - 0.45), (cols - 0.1, 0.9), (cols - 0.35, k)
            ax.add_patch(Rectangle(corner, *size, fill=False, edgecolor=COLORS["red"], linewidth=2))
            ax.text(*where, _("sum\n{total}").format(total=f"{total:.2f}"), ha="center" if dim == 0 else "left",
                    va="top" if dim == 0 else "center", color=ink(COLORS["red"]), fontsize=9)
        ax.set_xlim(-0.5, cols - 0.5 + (0.9 if dim == 1 else 0))
        ax.set_ylim(rows - 0.5 + (0.8 if dim == 0 else 0), -0.5)
        ax.set_title(_("torch.softmax(a, dim=0): each column sums to 1") if dim == 0
                     else _("torch.softmax(a, dim=1): each row sums to 1"))
        ax.set_xlabel(_("column index"))
        ax.set_ylabel(_("row index"))
    return fig


# --------------------------------------------------------------------------------------------------
# Sections 3-5: gradients and the Jacobian as sign pictures


def _matrix_panel(ax, matrix, title: str, *, box_column: int | None = None, box_color: str = "red",
                  labels=None, vmax: float | None = None) -> None:
    """A diverging heatmap (red > 0, blue < 0) with an optional box around one column."""
    values = _numpy(matrix)
    heatmap(ax, values, labels=labels, fmt="{:+.4f}", vmax=vmax)
    if box_column is not None:
        ax.add_patch(Rectangle((box_column - 0.5, -0.5), 1, values.shape[0], fill=False,
                               edgecolor=COLORS[box_color], linewidth=3))
    ax.set_title(title)


def _reference_gradients():
    """The reference program's da1 and da2 for a seeded 3 x 4 ``a`` (the default picture)."""
    a = torch.rand(3, 4, generator=torch.Generator().manual_seed(0)).requires_grad_()
    p = torch.softmax(a, dim=0)
    return [torch.autograd.grad(p[0, column], a, retain_graph=True) for column in (0, 1)]


def plot_column_gradients(*gradients, columns=None) -> object:
    """One heatmap per gradient of ``a`` (as returned by autograd.grad), the non-zero column boxed.
    Without arguments: the reference program's two gradients for a seeded ``a``."""
    gradients = gradients or tuple(_reference_gradients())
    colors = ["red", "blue", "green", "purple"]
    grads = [_numpy(g[0] if isinstance(g, tuple) else g) for g in gradients]
    limit = max(float(np.abs(g).max()) for g in grads) or 1.0
    fig, axes = new_figure(1, len(grads), width=4.8 * len(grads), height=3.2)
    axes = np.atleast_1d(axes)
    for k, (ax, grad) in enumerate(zip(axes, grads)):
        column = columns[k] if columns is not None else int(np.abs(grad).sum(axis=0).argmax())
        _matrix_panel(ax, grad, _("gradient of p[0, {column}] w.r.t. a").format(column=column), box_column=column,
                      box_color=colors[k % len(colors)], vmax=limit)
        ax.set_xlabel(_("column j of a (one sample each)"))
        ax.set_ylabel(_("row i of a"))
    return fig


def plot_jacobian(jacobian, p=None) -> object:
    """The softmax Jacobian as a heatmap: positive diagonal (red), negative off-diagonal (blue).

    Row sums are written on the right: every one is 0.
    """
    values = _numpy(jacobian)
    n = values.shape[0]
    fig, ax = new_figure(width=5.6, height=4.2)
    labels = [f"{k}" for k in range(n)]
    _matrix_panel(ax, values, r"$J_{ij} = \partial p_i / \partial z_j = p_i(\delta_{ij} - p_j)$",
                  labels=labels, vmax=JACOBIAN_LIMIT)
    for i, total in enumerate(values.sum(axis=1)):
        ax.text(n - 0.35, i, _("row sum\n{total}").format(total=f"{round(float(total), 6) + 0.0:.3f}"),
                va="center", ha="left",
                fontsize=9, color=TEXT_COLOR)
    ax.set_xlim(-0.5, n + 0.6)
    ax.set_xlabel(_("$j$ (input logit $z_j$)"))
    ax.set_ylabel(_("$i$ (output probability $p_i$)"))
    return fig


# --------------------------------------------------------------------------------------------------
# Section 6: overflow of the naive formula


def naive_softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """exp(z) / sum exp(z), exactly as the formula reads: overflows for large logits."""
    return torch.exp(z) / torch.exp(z).sum(dim=dim, keepdim=True)


def plot_overflow(offsets=None) -> object:
    """Left: e^z against the largest float32. Right: p_0 of z = [c, c-1, c-1.9] computed naively and
    with the max subtracted, as the offset c grows."""
    c = torch.linspace(0.0, 120.0, 241) if offsets is None else torch.as_tensor(offsets, dtype=torch.float32)
    shape = torch.tensor([0.0, -1.0, -1.9])
    logits = c[:, None] + shape[None, :]
    naive = naive_softmax(logits, dim=1)[:, 0]
    stable = torch.softmax(logits, dim=1)[:, 0]
    fig, (left, right) = new_figure(1, 2, width=9.6, height=3.4)
    with np.errstate(over="ignore"):
        left.semilogy(_numpy(c), np.exp(_numpy(c).astype(np.float64)), color=COLORS["orange"],
                      label=_("$e^z$ (exact)"))
    left.axhline(torch.finfo(torch.float32).max, color=COLORS["red"], linestyle="--",
                 label=_("largest float32 ≈ 3.4e38"))
    left.axvline(FLOAT32_EXP_LIMIT, color=COLORS["grey"], linestyle=":")
    left.text(FLOAT32_EXP_LIMIT + 2, 1e3, f"z > {FLOAT32_EXP_LIMIT:.2f}:\nexp(z) = inf", fontsize=9)
    left.set_xlabel("z")
    left.set_title(_("float32 exp overflows past z ≈ 88.7"))
    left.legend(loc="upper left")
    right.plot(_numpy(c), _numpy(stable), color=COLORS["green"], linewidth=4, alpha=0.5,
               label=_("torch.softmax (max subtracted)"))
    right.plot(_numpy(c), _numpy(naive), color=COLORS["red"], label=_("exp(z) / exp(z).sum()  (naive)"))
    broken = ~torch.isclose(naive, stable)  # first the sum overflows (p = finite/inf = 0), then NaN
    if broken.any():
        first = c[broken][0].item()
        right.axvspan(first, c[-1].item(), color=COLORS["red"], alpha=0.1)
        tint = 0.9 * np.ones(3) + 0.1 * np.asarray(matplotlib.colors.to_rgb(COLORS["red"]))  # the span behind
        right.text(first + 2, 0.45, _("naive:\n0, then NaN"), color=ink(COLORS["red"], background=tint, ratio=5.0),
                   fontsize=9)
    right.set_ylim(0, 1)
    right.set_xlabel(_("offset c added to every logit"))
    right.set_ylabel("$p_0$")
    right.set_title(_("same probabilities, until the naive formula breaks"))
    right.legend(loc="lower left")
    return fig


# --------------------------------------------------------------------------------------------------
# The explorer: logits, temperature, and the naive formula


def softmax_with_temperature(z: torch.Tensor, temperature: float, naive: bool = False) -> torch.Tensor:
    scaled = z / temperature
    return naive_softmax(scaled, dim=0) if naive else torch.softmax(scaled, dim=0)


class SoftmaxExplorer(Explorer):
    """Three logits and a temperature T: bars of p = softmax(z / T) and the Jacobian diag(p) - p p^T.

    The checkbox switches to the naive formula exp(z/T) / sum exp(z/T), which overflows (NaN) once
    some z/T exceeds about 88.7, or underflows to 0/0 when every z/T is below about -104; just before
    either, it is silently wrong (0 once the sum overflows, few digits in subnormal exponentials).
    """

    width = 7.2
    height = 3.4
    classes = 3

    def make_controls(self):
        style = {"description_width": "initial"}
        layout = widgets.Layout(width="230px")
        logits = {f"z{i}": widgets.FloatSlider(value=v, min=-10.0, max=10.0, step=0.1, description=f"z{i}",
                                               continuous_update=True, style=style, layout=layout)
                  for i, v in enumerate((2.0, 1.0, 0.1))}
        temperature = widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=2, step=0.02,
                                             description=_("temperature T"), style=style,
                                             layout=widgets.Layout(width="300px"))
        naive = widgets.Checkbox(value=False, description=_("naive exp(z/T)/sum (no max subtracted)"),
                                 style=style, indent=False)
        return {**logits, "temperature": temperature, "naive": naive}

    def draw(self, fig):
        self.bars_ax, self.jac_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.1]})
        names = [f"p{i}" for i in range(self.classes)]
        uniform = [1 / self.classes] * self.classes
        self.bars = self.bars_ax.bar(names, uniform, color=COLORS["blue"], width=0.6)
        self.bar_labels = [self.bars_ax.text(k, 0, "", ha="center", va="bottom", fontsize=11)
                           for k in range(self.classes)]
        # Static artists sit below the animated bars (as they always looked here), so a full draw stacks
        # them exactly as the blitted frames do.
        self.bars_ax.set_axisbelow(True)
        self.bars_ax.axhline(1 / self.classes, color=COLORS["grey"], linestyle=":", linewidth=1, zorder=0.9)
        self.bars_ax.set_ylim(0, 1.12)
        self.bars_ax.set_title("p = softmax(z / T)")
        zero = np.zeros((self.classes, self.classes))
        self.jac_image, self.jac_texts = heatmap(self.jac_ax, zero, labels=[str(k) for k in range(3)],
                                                 fmt="{:+.3f}", vmax=JACOBIAN_LIMIT, mesh=True)
        self.jac_image.set_cmap(self.jac_image.get_cmap().with_extremes(bad="#dddddd"))  # NaN cells: grey
        self.jac_ax.set_title(_(r"Jacobian $\partial p_i / \partial u_j$ with $u = z/T$"), fontsize=11)
        # The heatmap's frame is drawn over the image (as in a full draw), so it is animated too.
        self.animate(*self.bars, *self.bar_labels, self.jac_image, *self.jac_texts, *self.jac_ax.spines.values())

    def update(self, z0, z1, z2, temperature, naive):
        z = torch.tensor([z0, z1, z2], dtype=torch.float32)
        p = softmax_with_temperature(z, temperature, naive)
        jacobian = torch.diag(p) - torch.outer(p, p)
        values = _numpy(p)
        for bar, label, value in zip(self.bars, self.bar_labels, values):
            shown = value if np.isfinite(value) else 0.0
            bar.set_height(shown)
            bar.set_color(COLORS["blue"] if np.isfinite(value) else COLORS["red"])
            label.set_position((label.get_position()[0], shown + 0.01))
            label.set_text(f"{value:.3f}" if np.isfinite(value) else "NaN")
        update_heatmap(self.jac_image, self.jac_texts, _numpy(jacobian), fmt="{:+.3f}", vmax=JACOBIAN_LIMIT)
        note = self._note(z / temperature, values)
        if naive and np.isfinite(values).all():
            stable = _numpy(softmax_with_temperature(z, temperature, False))
            if np.allclose(values, stable, rtol=1e-4, atol=1e-6):
                agree = _("the naive formula agrees with torch.softmax here: it breaks once the sum of "
                          "exp(z/T) overflows (some z/T near 88.7) or underflows (every z/T below about -90), "
                          "so raise a logit or lower T")
                # TRANSLATORS: a note on the logits, then why the naive formula still agrees
                note = _("{note} ({agree})").format(note=note, agree=agree) if note else agree
            elif (z / temperature).max().item() > 0:   # the sum overflowed while every term is finite
                note = _("0 instead of p: the sum of exp(z/T) overflowed to inf while each term is finite, "
                         "and finite/inf = 0, a silently wrong answer. Subtract the max first (untick 'naive').")
            else:   # every exp(z/T) is a tiny subnormal float32 number with few significant digits
                note = _("inaccurate: every exp(z/T) is below 1e-38, where float32 keeps only a few digits, "
                         "so the naive p is silently off. Subtract the max first (untick 'naive').")
        return note

    @staticmethod
    def _note(scaled: torch.Tensor, p: np.ndarray) -> str | None:
        if not np.isfinite(p).all():
            if scaled.max().item() > FLOAT32_EXP_LIMIT:
                return _("NaN: the largest z/T is {largest} > 88.7, so exp(z/T) overflowed "
                         "to inf and inf/inf = NaN. Subtract the max first (untick 'naive').").format(
                    largest=f"{scaled.max().item():.0f}")
            return _("NaN: every z/T is below about -104 (the largest is {largest}), so every "
                     "exp(z/T) underflowed to 0 and 0/0 = NaN. Subtract the max first (untick 'naive').").format(
                largest=f"{scaled.max().item():.0f}")
        if p.max() > 0.999:
            return _("saturated: p is almost one-hot (max p = {largest}), so every Jacobian entry "
                     "is ≈ 0 and almost no gradient flows back.").format(largest=f"{p.max():.4f}")
        if p.max() - p.min() < 0.01:
            return _("nearly uniform: at this temperature the logits barely matter (p ≈ 1/3 each).")
        return None


# The exercises live in their own module; the notebook reaches them as lesson.<name>.
from lessonkit.softmax_jacobian_exercises import (  # noqa: E402
    PREDICT_TEMPERATURE,
    log_softmax_jacobian,
    predict_temperature_jacobian,
    stable_softmax,
)

__all__ = [
    "FLOAT32_EXP_LIMIT", "JACOBIAN_LIMIT", "PREDICT_TEMPERATURE", "SoftmaxExplorer", "log_softmax_jacobian",
    "naive_softmax", "plot_column_gradients", "plot_jacobian", "plot_overflow", "plot_softmax_steps",
    "plot_sum_directions", "predict_temperature_jacobian", "softmax_with_temperature", "stable_softmax",
]
