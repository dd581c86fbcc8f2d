"""Lesson 6, the pictures: the landscape (3-D surface and contour map), trajectories, basins of
attraction, and the training-loop essentials (weight decay, schedules, clipping)."""

from __future__ import annotations

import functools

import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from lessonkit.figures import COLORS, LATIN_FAMILY, mark_points, new_figure
from lessonkit.himmelblau_dynamics import LIMIT, LOCAL_MAXIMUM, MINIMA, MINIMUM_NAMES, OPTIMIZER_NAMES, himmelblau
from lessonkit.i18n import N_, _

BASIN_COLORS = [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["purple"]]
OPTIMIZER_COLORS = dict(zip(OPTIMIZER_NAMES, [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["red"]]))
PATH_COLORS = [COLORS["red"], COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["purple"], "black"]

# Titles and labels that notebooks/06_adam_himmelblau.ipynb passes to the functions below. Its code cells are
# the same in every edition, so they are marked here (for the catalog) and translated where they are drawn.
NOTEBOOK_TEXT = (
    N_("with zero_grad()"),
    N_("without zero_grad()"),
    N_("Adam, lr = 1e-3, 3,000 steps from (-4, 0)"),
    N_("Adam, lr = 1e-3: six starts, 20,000 steps"),
    N_("gradient descent (SGD), lr = 1e-3"),
    N_("From (-4, 0) with lr = 1e-2"),
    N_("lr 0.3, cosine to 0"),
)


@functools.lru_cache(maxsize=4)
def _landscape_grid(limit: float = LIMIT, n: int = 241):
    axis = np.linspace(-limit, limit, n)
    xs, ys = np.meshgrid(axis, axis)
    return xs, ys, himmelblau(np.stack([xs, ys], axis=-1))


def draw_landscape(ax, limit: float = LIMIT, *, filled: bool = True, labels: bool = True, levels: int = 14):
    """Log-spaced contours of f on ``ax`` with the four minima starred (and lettered)."""
    xs, ys, f = _landscape_grid(limit)
    levels = np.logspace(-1, 3.3, levels)
    if filled:  # an image, not contourf: it renders in a fraction of the time (the explorer redraws often)
        ax.imshow(np.log10(f + 1e-3), origin="lower", extent=(-limit, limit, -limit, limit), cmap="Greys_r",
                  alpha=0.45, interpolation="bilinear")
    ax.contour(xs, ys, f, levels=levels, colors="0.35", linewidths=0.6, alpha=0.7)
    mark_points(ax, MINIMA.numpy(), labels=list(MINIMUM_NAMES) if labels else None, color="gold", size=140)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(False)


def plot_himmelblau(limit: float = LIMIT):
    """The reference's lost figure: a 3-D surface and a contour map with the four minima marked."""
    fig, axes = new_figure(1, 2, width=11, height=4.8)
    axes[0].remove()
    ax3d = fig.add_subplot(1, 2, 1, projection="3d")
    xs, ys, f = _landscape_grid(limit, 121)
    ax3d.plot_surface(xs, ys, f, cmap="viridis", linewidth=0, antialiased=True, alpha=0.9)
    ax3d.scatter(*MINIMA.numpy().T, np.zeros(4), color="gold", edgecolors="black", s=50, depthshade=False)
    ax3d.set_xlabel("x")
    ax3d.set_ylabel("y")
    ax3d.set_zticks([0, 1000, 2000])
    # no z label: beside the tick labels it overlapped them (issue 17); the title names the height

    ax3d.view_init(elev=35, azim=-60)
    ax3d.set_title(_("Surface: height = f(x, y)"))
    draw_landscape(axes[1], limit)
    axes[1].plot(*LOCAL_MAXIMUM, "^", color=COLORS["red"], markersize=9, label=_("local maximum (f ≈ 181.6)"))
    axes[1].legend(loc="lower left", frameon=True, framealpha=0.95)  # framed: contours pass behind
    axes[1].set_title(_("Contours (log-spaced levels); ★ = minima, f = 0"))
    return fig


def _as_named_paths(paths) -> dict:
    """{label: (T, 2) array} from a dict, or from a (T, N, 2) batch path labelled by start points."""
    if isinstance(paths, dict):
        return {name: np.asarray(torch.as_tensor(p).detach(), dtype=float) for name, p in paths.items()}
    batch = np.asarray(torch.as_tensor(paths).detach(), dtype=float)
    return {_("start ({x:g}, {y:g})").format(x=row[0, 0], y=row[0, 1]): row for row in batch.transpose(1, 0, 2)}


def plot_paths(paths, losses: dict | None = None, title: str | None = None, limit: float = LIMIT):
    """Trajectories on the contour map (and, given ``losses``, f over the steps, log scale).

    ``paths``: {label: (T, 2)} or a (T, N, 2) batch path. ``losses``: {label: sequence of f values}.
    """
    named = _as_named_paths(paths)
    fig, axes = new_figure(1, 2 if losses else 1, width=11 if losses else 7.6, height=4.8)
    ax = axes[0] if losses else axes
    draw_landscape(ax, limit)
    colors = {name: OPTIMIZER_COLORS.get(name, PATH_COLORS[k % len(PATH_COLORS)]) for k, name in enumerate(named)}
    for name, path in named.items():
        ax.plot(path[:, 0], path[:, 1], "-", color=colors[name], lw=1.8, label=_(name))
        ax.plot(path[0, 0], path[0, 1], "o", color=colors[name], markeredgecolor="black", markersize=6)
    ax.set_title(_("Trajectories") if title is None else _(title))
    if not losses:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return fig
    for name, values in losses.items():
        values = np.clip(np.asarray(values, dtype=float), 1e-14, None)
        axes[1].plot(np.arange(1, len(values) + 1), values, color=colors.get(name), lw=1.6, label=_(name))
    axes[1].set_yscale("log")
    axes[1].set_xlabel(_("step"))
    axes[1].set_ylabel(_("f(x, y)  (clipped at 1e-14)"))
    axes[1].set_title(_("f over the steps (same colours as the paths)"))
    axes[1].legend(frameon=True, framealpha=0.95)
    return fig




def plot_basins(maps: dict, limit: float = LIMIT, points=None):
    """Basins of attraction: one panel per {title: (R, R) label map}; colour = minimum reached.

    ``points`` (optional (K, 2)) are drawn as numbered white circles, e.g. an exercise's starts.
    """
    fig, axes = new_figure(1, len(maps), width=5.4 * len(maps), height=5.0)
    axes = np.atleast_1d(axes)
    cmap = ListedColormap(["#d9d9d9", *BASIN_COLORS])
    for ax, (title, labels) in zip(axes, maps.items()):
        ax.imshow(np.asarray(labels) + 1, origin="lower", extent=(-limit, limit, -limit, limit), cmap=cmap,
                  vmin=-0.5, vmax=4.5, interpolation="nearest")
        draw_landscape(ax, limit, filled=False, labels=False)
        for name, (mx, my) in zip(MINIMUM_NAMES, MINIMA.numpy()):  # on a white box: readable on any basin colour
            ax.annotate(name, (mx, my), xytext=(7, 7), textcoords="offset points",
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.9})
        if points is not None:
            for k, (px, py) in enumerate(np.asarray(points, dtype=float).reshape(-1, 2), start=1):
                ax.plot(px, py, "o", color="white", markeredgecolor="black", markersize=16)
                # digits only: the Latin font has them in bold (the CJK fallback font has no bold weight)
                ax.text(px, py, str(k), ha="center", va="center", fontsize=10, fontweight="bold",
                        fontfamily=LATIN_FAMILY)
        ax.set_title(_(title))
    handles = [Patch(color=c, label=_("reaches {name}").format(name=n)) for c, n in zip(BASIN_COLORS, MINIMUM_NAMES)]
    handles.append(Patch(color="#d9d9d9", label=_("no minimum yet")))
    axes[-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig




# --------------------------------------------------------------------------------------------------
# Training-loop essentials


def plot_weight_decay(ends: dict, box: float | None = None, limit: float = LIMIT):
    """Where runs that start at the four minima end, one marker style per optimizer ({label: (4, 2)}).

    ``box``: draw the square |x|, |y| <= box (AdamW's decay wins outside about 1/lambda).
    """
    fig, ax = new_figure(1, 1, width=7.4, height=5.0)
    draw_landscape(ax, limit)
    markers = ["o", "s", "D", "^"]
    colors = [COLORS["blue"], COLORS["red"], COLORS["green"], COLORS["purple"]]
    for k, (label, points) in enumerate(ends.items()):
        points = np.asarray(torch.as_tensor(points).detach(), dtype=float)
        for start, end in zip(MINIMA.numpy(), points):
            ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": colors[k], "lw": 1.4})
        ax.plot(points[:, 0], points[:, 1], markers[k % 4], color=colors[k], markeredgecolor="black",
                markersize=8, label=_(label), linestyle="none")
    if box is not None:
        ax.plot([-box, box, box, -box, -box], [-box, -box, box, box, -box], "--", color="0.2", lw=1.2,
                label=_("|x|, |y| = {box:g}").format(box=box))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(_("Starting at the minima: where weight decay takes them"))
    return fig


def plot_schedules(curves: dict):
    """Learning rate and worst distance to a minimum over the steps, one line per run.

    ``curves``: {label: (learning rates, worst distances)}, both sequences over the steps.
    """
    fig, (ax_lr, ax_err) = new_figure(1, 2, width=11, height=4.2)
    colors = [COLORS["red"], COLORS["blue"], COLORS["green"], COLORS["purple"]]
    for k, (label, (lrs, worst)) in enumerate(curves.items()):
        steps = np.arange(1, len(lrs) + 1)
        ax_lr.plot(steps, lrs, color=colors[k % 4], lw=1.8, label=_(label))
        ax_err.plot(steps, np.clip(np.asarray(worst, dtype=float), 1e-8, None), color=colors[k % 4], lw=1.8,
                    label=_(label))
    ax_lr.set_xlabel(_("step"))
    ax_lr.set_ylabel(_("learning rate"))
    ax_lr.set_title(_("The learning rate the optimizer used"))
    ax_lr.legend(frameon=True, framealpha=0.95)
    ax_err.set_yscale("log")
    ax_err.set_xlabel(_("step"))
    ax_err.set_ylabel(_("distance (clipped at 1e-8)"))
    ax_err.set_title(_("Worst start: distance to its nearest minimum"))
    return fig
