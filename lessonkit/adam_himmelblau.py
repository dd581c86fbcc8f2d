"""Lesson 6 -- optimising the Himmelblau function with Adam: the pictures, the instructor explorer and
the exercises of notebooks/06_adam_himmelblau.ipynb.

Plain functions that benchmarks time:

    run_reference_loop()                       the reference program (one start, Adam, 20,000 steps)
    optimise_batch(starts, steps, lr, ...)     many starts at once, one batched tensor, torch.optim
    basins_map(resolution, ...)                which minimum every start of a grid reaches
    precompute_explorer()                      the explorer's one-time cache (numpy, ~1-2 s)
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

from lessonkit.checks import ErrorHint, Exercise, Mistake, incorrect
from lessonkit.figures import COLORS, mark_points, new_figure
from lessonkit.widgets import Explorer, progress_bar

# --------------------------------------------------------------------------------------------------
# The function and its four minima

MINIMA = torch.tensor([[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]])
MINIMUM_NAMES = ("A", "B", "C", "D")
LOCAL_MAXIMUM = (-0.270845, -0.923039)
LIMIT = 6.0  # pictures show the square [-LIMIT, LIMIT]^2
BASIN_COLORS = [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["purple"]]
OPTIMIZER_NAMES = ("SGD", "SGD + momentum", "RMSprop", "Adam")
OPTIMIZER_COLORS = dict(zip(OPTIMIZER_NAMES, [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["red"]]))


def himmelblau(p):
    """f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2 for a point (2,) or a batch (..., 2); tensor or array."""
    x, y = p[..., 0], p[..., 1]
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


def nearest_minimum(points) -> torch.Tensor:
    """Index (0..3 = A..D) of the minimum nearest to each point of a (N, 2) batch; -1 where not finite."""
    points = torch.as_tensor(points, dtype=torch.float32).detach().reshape(-1, 2)
    index = torch.cdist(points.nan_to_num(nan=1e6, posinf=1e6, neginf=-1e6), MINIMA).argmin(dim=1)
    return torch.where(torch.isfinite(points).all(dim=1), index, torch.full_like(index, -1))


def minimum_names(points) -> list[str]:
    """The letter (A..D) of the minimum nearest to each point; '?' where the point is not finite."""
    return [MINIMUM_NAMES[i] if i >= 0 else "?" for i in nearest_minimum(points).tolist()]


# --------------------------------------------------------------------------------------------------
# Optimisation runs that benchmarks time


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    """One of the four optimizers this lesson compares, by name (case-insensitive)."""
    key = name.lower().replace(" ", "")
    if key == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if key in ("sgd+momentum", "momentum"):
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if key == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if key == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZER_NAMES}")


def run_reference_loop(start=(-4.0, 0.0), lr: float = 1e-3, steps: int = 20000, every: int = 2000):
    """The reference program: Adam on one start. Returns (final x, the lines it would print)."""
    x = torch.tensor(list(start), requires_grad=True)
    optimizer = torch.optim.Adam([x], lr=lr)
    lines = []
    for step in range(steps):
        pred = himmelblau(x)
        optimizer.zero_grad()
        pred.backward()
        optimizer.step()
        if step % every == 0:
            lines.append(f"step {step}: x = {x.tolist()}, f(x) = {pred.item()}")
    return x.detach(), lines


def optimise_batch(starts, steps: int, lr: float, optimizer: str = "adam", record_every: int | None = None):
    """Optimise f from every row of ``starts`` (N, 2) at once: one tensor, one optimizer, f summed.

    Every optimizer here is elementwise and the gradient of a sum is the gradient of each term, so
    each row follows exactly the trajectory it would follow alone. Returns the final (N, 2) points,
    or ``(final, path)`` with ``path`` of shape (steps // record_every + 1, N, 2) when recording.
    """
    points = torch.as_tensor(starts, dtype=torch.float32).detach().clone().requires_grad_(True)
    opt = make_optimizer(optimizer, [points], lr)
    path = [points.detach().clone()] if record_every else None
    for step in range(1, steps + 1):
        loss = himmelblau(points).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if record_every and step % record_every == 0:
            path.append(points.detach().clone())
    final = points.detach()
    return (final, torch.stack(path)) if record_every else final


def start_grid(resolution: int, limit: float = LIMIT) -> torch.Tensor:
    """resolution^2 starts on a square grid over [-limit, limit]^2, row by row (y fixed in a row)."""
    axis = torch.linspace(-limit, limit, resolution)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)


def basins_map(resolution: int = 200, limit: float = LIMIT, optimizer: str = "adam", lr: float = 1e-2,
               steps: int = 2000) -> torch.Tensor:
    """(resolution, resolution) map: index 0..3 of the minimum reached from each grid start (-1: none).

    Row i is y = linspace(-limit, limit)[i], column j is x = linspace(...)[j] (origin bottom-left).
    """
    final = optimise_batch(start_grid(resolution, limit), steps, lr, optimizer)
    labels = nearest_minimum(final)
    far = (final - MINIMA[labels.clamp(min=0)]).norm(dim=1) > 0.1
    labels[far] = -1  # not (yet) at a minimum: shown grey
    return labels.reshape(resolution, resolution)


# --------------------------------------------------------------------------------------------------
# Pictures (one landscape helper serves every plot)


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
    ax3d.set_zlabel("f(x, y)")
    ax3d.view_init(elev=35, azim=-60)
    ax3d.set_title("Himmelblau surface")
    draw_landscape(axes[1], limit)
    axes[1].plot(*LOCAL_MAXIMUM, "^", color=COLORS["red"], markersize=9, label="local maximum (f ≈ 181.6)")
    axes[1].legend(loc="lower left", fontsize=9)
    axes[1].set_title("Contours (log-spaced levels); ★ = minima, f = 0")
    return fig


def _as_named_paths(paths) -> dict:
    """{label: (T, 2) array} from a dict, or from a (T, N, 2) batch path labelled by start points."""
    if isinstance(paths, dict):
        return {name: np.asarray(torch.as_tensor(p).detach(), dtype=float) for name, p in paths.items()}
    batch = np.asarray(torch.as_tensor(paths).detach(), dtype=float)
    return {f"start ({row[0, 0]:g}, {row[0, 1]:g})": row for row in batch.transpose(1, 0, 2)}


def plot_paths(paths, losses: dict | None = None, title: str = "Trajectories", limit: float = LIMIT):
    """Trajectories on the contour map (and, given ``losses``, f over the steps, log scale).

    ``paths``: {label: (T, 2)} or a (T, N, 2) batch path. ``losses``: {label: sequence of f values}.
    """
    named = _as_named_paths(paths)
    fig, axes = new_figure(1, 2 if losses else 1, width=11 if losses else 7.6, height=4.8)
    ax = axes[0] if losses else axes
    draw_landscape(ax, limit)
    colors = {name: OPTIMIZER_COLORS.get(name, PATH_COLORS[k % len(PATH_COLORS)]) for k, name in enumerate(named)}
    for name, path in named.items():
        ax.plot(path[:, 0], path[:, 1], "-", color=colors[name], lw=1.8, label=name)
        ax.plot(path[0, 0], path[0, 1], "o", color=colors[name], markeredgecolor="black", markersize=6)
    ax.set_title(title)
    if not losses:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
        return fig
    for name, values in losses.items():
        values = np.clip(np.asarray(values, dtype=float), 1e-14, None)
        axes[1].plot(np.arange(1, len(values) + 1), values, color=colors.get(name), lw=1.6, label=name)
    axes[1].set_yscale("log")
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("f(x, y)  (clipped at 1e-14)")
    axes[1].set_title("f over the steps (same colours as the paths)")
    axes[1].legend(fontsize=9)
    return fig


PATH_COLORS = [COLORS["red"], COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["purple"], "black"]


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
        draw_landscape(ax, limit, filled=False)
        if points is not None:
            for k, (px, py) in enumerate(np.asarray(points, dtype=float).reshape(-1, 2), start=1):
                ax.plot(px, py, "o", color="white", markeredgecolor="black", markersize=13)
                ax.text(px, py, str(k), ha="center", va="center", fontsize=8, fontweight="bold")
        ax.set_title(title)
    handles = [Patch(color=c, label=f"reaches {n}") for c, n in zip(BASIN_COLORS, MINIMUM_NAMES)]
    handles.append(Patch(color="#d9d9d9", label="no minimum yet"))
    axes[-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    return fig


# --------------------------------------------------------------------------------------------------
# The instructor explorer: every setting precomputed once (numpy, all settings in one batch)

EXPLORER_LRS = tuple(10.0 ** (-4 + 0.5 * k) for k in range(9))  # 1e-4, 3.2e-4, ..., 1: two per decade
EXPLORER_STARTS = tuple(float(v) for v in range(-5, 6))  # x0 and y0 each on this grid
EXPLORER_STEPS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000)
# x is recorded after these many updates (dense early, sparse late; every EXPLORER_STEPS value is one)
FRAME_STEPS = np.unique(np.concatenate([np.arange(0, 200), np.arange(200, 2000, 10), np.arange(2000, 20001, 100)]))
DIVERGED = 1e6  # |x| or |y| beyond this counts as diverged

# The four optimizers as one elementwise rule with per-optimizer constants (torch's formulas):
#   m = a1 m + c1 g;   v = a2 v + c2 g^2;   x -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
# SGD: m = g, denominator 1.  Momentum: m = 0.9 m + g.  RMSprop: v = 0.99 v + 0.01 g^2.  Adam: all.
_RULES = np.array([
    # a1,  c1,  a2,    c2,    eps,  b1,  b2
    [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0],  # SGD
    [0.9, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0],  # SGD + momentum 0.9
    [0.0, 1.0, 0.99, 0.01, 1e-8, 0.0, 0.0],  # RMSprop (alpha 0.99)
    [0.9, 0.1, 0.999, 0.001, 1e-8, 0.9, 0.999],  # Adam (betas 0.9, 0.999)
], dtype=np.float32)


@dataclass(frozen=True)
class ExplorerCache:
    """frames[f, o, l, s] = the point after FRAME_STEPS[f] updates, for optimizer o, lr l, start s."""

    frames: np.ndarray  # (F, 4, L, S, 2) float32
    losses: np.ndarray  # (F, 4, L, S) float64, inf where diverged
    diverged_at: np.ndarray  # (4, L, S) first recorded step where the run left |x| < DIVERGED, or -1
    seconds: float


def _explorer_run(starts: np.ndarray, lrs: np.ndarray, report=None) -> ExplorerCache:
    """Every (optimizer, lr, start) at once: numpy float32 arrays of shape (2, 4, L, S) (x and y first).

    numpy rather than torch: each step is ~25 elementwise calls on a few thousand numbers, where the
    cost is the per-call overhead (~1 us for numpy, ~5 us for a torch dispatch), not the arithmetic.
    """
    started = time.perf_counter()
    last = int(FRAME_STEPS[-1])
    shape = (2, 4, len(lrs), len(starts))
    p = np.ascontiguousarray(np.broadcast_to(starts.T.astype(np.float32)[:, None, None, :], shape))
    m, v, g, d, tmp = (np.zeros(shape, np.float32) for _ in range(5))
    a, b = np.zeros(shape[1:], np.float32), np.zeros(shape[1:], np.float32)
    a1, c1, a2, c2, eps = (_RULES[:, k].reshape(4, 1, 1) for k in range(5))
    # per-step bias corrections, all steps at once (1 for SGD, momentum and RMSprop: their betas are 0)
    t = np.arange(1, last + 1, dtype=np.float64).reshape(-1, 1, 1, 1)
    beta1, beta2 = (_RULES[:, k].astype(np.float64).reshape(1, 4, 1, 1) for k in (5, 6))
    step_sizes = (lrs.reshape(1, 1, -1, 1) / np.where(beta1 > 0, 1 - beta1 ** t, 1.0)).astype(np.float32)
    roots = np.sqrt(np.where(beta2 > 0, 1 - beta2 ** t, 1.0)).astype(np.float32)
    frames = np.empty((len(FRAME_STEPS), *shape), dtype=np.float32)
    frames[0] = p
    record = {int(step): k for k, step in enumerate(FRAME_STEPS)}
    px, py, gx, gy = p[0], p[1], g[0], g[1]
    with np.errstate(all="ignore"):  # diverging runs overflow to inf/NaN on purpose
        for step in range(1, last + 1):
            np.multiply(px, px, out=a), np.add(a, py, out=a), np.subtract(a, 11, out=a)  # a = x^2 + y - 11
            np.multiply(py, py, out=b), np.add(b, px, out=b), np.subtract(b, 7, out=b)  # b = x + y^2 - 7
            np.multiply(px, a, out=gx), np.multiply(gx, 2, out=gx), np.add(gx, b, out=gx)  # (df/dx) / 2
            np.multiply(py, b, out=gy), np.multiply(gy, 2, out=gy), np.add(gy, a, out=gy)  # (df/dy) / 2
            g *= 2
            m *= a1  # m = a1 m + c1 g
            np.multiply(g, c1, out=tmp)
            m += tmp
            v *= a2  # v = a2 v + c2 g^2
            np.multiply(g, g, out=tmp)
            tmp *= c2
            v += tmp
            np.sqrt(v, out=d)  # d = sqrt(v) / sqrt(1 - b2^t) + eps
            d /= roots[step - 1]
            d += eps
            np.divide(m, d, out=tmp)  # x -= lr / (1 - b1^t) * m / d
            tmp *= step_sizes[step - 1]
            p -= tmp
            frame = record.get(step)
            if frame is not None:
                frames[frame] = p
                if report is not None and frame % 40 == 0:
                    report(step / last)
        frames = np.moveaxis(frames, 1, -1)  # (F, 4, L, S, 2)
        bad = ~(np.abs(frames) < DIVERGED).all(axis=-1)  # NaN, inf or huge
        losses = himmelblau(frames.astype(np.float64))
    losses[bad] = np.inf
    first_bad = bad.argmax(axis=0)
    diverged_at = np.where(bad.any(axis=0), FRAME_STEPS[first_bad], -1)
    if report is not None:
        report(1.0)
    return ExplorerCache(np.ascontiguousarray(frames), losses, diverged_at, time.perf_counter() - started)


_EXPLORER_CACHE: ExplorerCache | None = None


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None and hasattr(get_ipython(), "kernel")
    except ImportError:
        return False


def precompute_explorer(progress: bool = True) -> ExplorerCache:
    """Run every explorer setting once (4 optimizers x 9 lrs x 121 starts x 20,000 steps, ~1-2 s).

    Shows a ``progress_bar`` in a notebook. The result is kept: later calls return it at once.
    """
    global _EXPLORER_CACHE
    if _EXPLORER_CACHE is None:
        bar = progress_bar(100, "Precomputing every explorer setting") if progress and _in_kernel() else None
        if bar is not None:
            from IPython.display import display

            display(bar)

        def report(fraction):
            if bar is not None:
                bar.value = int(100 * fraction)

        starts = np.array([(x0, y0) for y0 in EXPLORER_STARTS for x0 in EXPLORER_STARTS], dtype=np.float32)
        _EXPLORER_CACHE = _explorer_run(starts, np.array(EXPLORER_LRS), report)
        if bar is not None:
            runs = _EXPLORER_CACHE.frames[0].size // 2
            bar.description = f"Precomputed {runs:,} runs in {_EXPLORER_CACHE.seconds:.1f} s"
    return _EXPLORER_CACHE


class HimmelblauExplorer(Explorer):
    """Learning rate, start, optimizer and step count -> trajectory and f over the steps.

    Every setting is precomputed (``precompute_explorer``); a control change only indexes the cache.
    """

    width = 9.5
    height = 4.2
    dpi = 72

    def __init__(self, cache: ExplorerCache | None = None) -> None:
        self.cache = cache or precompute_explorer()
        super().__init__()

    def make_controls(self):
        style = {"description_width": "initial"}
        return {
            "lr": widgets.FloatLogSlider(value=1e-3, base=10, min=-4, max=0, step=0.5, description="learning rate",
                                         readout_format=".1e", style=style),
            "x0": widgets.IntSlider(value=-4, min=-5, max=5, description="start x", style=style),
            "y0": widgets.IntSlider(value=0, min=-5, max=5, description="start y", style=style),
            "optimizer": widgets.Dropdown(options=OPTIMIZER_NAMES, value="Adam", description="optimizer",
                                          style=style),
            "steps": widgets.SelectionSlider(options=EXPLORER_STEPS, value=20000, description="steps", style=style),
        }

    def draw(self, fig):
        self.ax_path, self.ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
        draw_landscape(self.ax_path)
        (self.path_line,) = self.ax_path.plot([], [], "-", lw=2, color=COLORS["red"])
        (self.start_dot,) = self.ax_path.plot([], [], "o", color="white", markeredgecolor="black", markersize=7)
        (self.end_dot,) = self.ax_path.plot([], [], "X", color=COLORS["red"], markeredgecolor="black", markersize=9)
        self.loss_lines = {}
        for name in OPTIMIZER_NAMES:
            (self.loss_lines[name],) = self.ax_loss.plot([], [], color=OPTIMIZER_COLORS[name], label=name)
        self.ax_loss.set_xscale("log")
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlim(1, EXPLORER_STEPS[-1])
        self.ax_loss.set_ylim(1e-14, 1e7)
        _plain_ticks(self.ax_loss.xaxis, [1, 10, 100, 1000, 10000])
        _plain_ticks(self.ax_loss.yaxis, [1e-12, 1e-8, 1e-4, 1, 1e4])
        self.ax_loss.set_xlabel("step")
        self.ax_loss.set_ylabel("f  (clipped to [1e-14, 1e7])")
        self.ax_loss.legend(loc="lower left", fontsize=8)
        self.loss_title, self.path_title = (ax.set_title(" ") for ax in (self.ax_loss, self.ax_path))  # room kept
        self.animate(self.path_line, self.start_dot, self.end_dot, *self.loss_lines.values(), self.loss_title,
                     self.path_title)

    def _index(self, lr, x0, y0):
        l_index = int(np.argmin(np.abs(np.log10(np.array(EXPLORER_LRS)) - math.log10(lr))))
        s_index = EXPLORER_STARTS.index(float(y0)) * len(EXPLORER_STARTS) + EXPLORER_STARTS.index(float(x0))
        return l_index, s_index

    def update(self, lr, x0, y0, optimizer, steps):
        l_index, s_index = self._index(lr, x0, y0)
        o_index = OPTIMIZER_NAMES.index(optimizer)
        shown = int(np.searchsorted(FRAME_STEPS, steps, side="right"))
        for k, name in enumerate(OPTIMIZER_NAMES):
            f = self.cache.losses[1:shown, k, l_index, s_index]
            ok = np.isfinite(f)
            line = self.loss_lines[name]
            line.set_data(FRAME_STEPS[1:shown][ok], np.clip(f[ok], 1e-14, 1e7))
            line.set_linewidth(2.6 if k == o_index else 1.0)
            line.set_alpha(1.0 if k == o_index else 0.45)
        path = self.cache.frames[:shown, o_index, l_index, s_index]
        finite = np.isfinite(path).all(axis=1) & (np.abs(path) < DIVERGED).all(axis=1)
        path = path[: int(finite.argmin()) if not finite.all() else len(path)]
        color = OPTIMIZER_COLORS[optimizer]
        self.path_line.set_data(path[:, 0], path[:, 1])
        self.path_line.set_color(color)
        self.start_dot.set_data([x0], [y0])
        self.end_dot.set_data(path[-1:, 0], path[-1:, 1])
        self.end_dot.set_color(color)
        self.path_title.set_text(f"{optimizer}, lr = {EXPLORER_LRS[l_index]:.1e}, {steps} steps")
        return self._note(optimizer, o_index, l_index, s_index, steps, path)

    def _note(self, optimizer, o_index, l_index, s_index, steps, path) -> str | None:
        diverged = int(self.cache.diverged_at[o_index, l_index, s_index])
        if 0 <= diverged <= steps:
            self.loss_title.set_text(f"{optimizer} diverged (step {diverged})")
            return (f"{optimizer} diverged: by step {diverged} the point had left |x|, |y| < 1e6 (then f "
                    "overflows to inf/NaN). The picture shows the path up to there. Lower the learning rate.")
        end = path[-1]
        f_end = float(himmelblau(end.astype(np.float64)))
        self.loss_title.set_text(f"f after {steps} steps = {f_end:.2e}")
        if (np.abs(end) > LIMIT).any():
            return (f"After {steps} steps the point ({end[0]:.3g}, {end[1]:.3g}) is outside the plotted square: "
                    "the steps are too large for this landscape.")
        if f_end > 1e-6:
            halfway = self.cache.losses[int(np.searchsorted(FRAME_STEPS, steps // 2)), o_index, l_index, s_index]
            if steps < 100 or f_end < 0.9 * halfway:  # still going down: it needs time, not a different step
                advice = "still descending: more steps or a larger learning rate"
            else:
                advice = "no longer improving: it bounces around, so try a smaller learning rate"
            return f"f = {f_end:.3g} after {steps} steps: {optimizer} has not reached a minimum yet ({advice})."
        return None


def _plain_ticks(axis, ticks) -> None:
    """Fixed ticks with plain-text labels (1e-08, 1000) instead of mathtext 10^k and minor ticks: lighter
    to read and much cheaper to render."""
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FixedFormatter([f"{t:g}" for t in ticks]))
    axis.set_minor_locator(NullLocator())


# --------------------------------------------------------------------------------------------------
# Exercise 1: the training loop


def _loop_cases():
    return [
        ([-4.0, 0.0], 0.05, 1000),  # the reference start, a faster learning rate
        ([0.0, 0.0], 0.05, 1000),  # another start, another minimum
        ([5.0, -5.0], 0.1, 1000),  # far out on the steep wall: f = 890 at the start
        ([3.0, 2.0], 0.05, 200),  # already at a minimum: the loop must not push it away
    ]


def _loop_reference(start, lr, steps):
    return MINIMA.clone()  # any of the four minima counts (judged by ``_reaches_a_minimum``)


def _reaches_a_minimum(answer, minima, case) -> str | None:
    if not isinstance(answer, torch.Tensor):
        return f"Return the tensor `x` after the loop; your function returned {type(answer).__name__}."
    if answer.numel() != 2:
        return (f"Return the point `x` (a tensor of 2 numbers); yours has shape {tuple(answer.shape)}."
                + (" Is it the loss?" if answer.numel() == 1 else ""))
    point = answer.detach().reshape(2).to(torch.float32)
    if not torch.isfinite(point).all():
        return "Your `x` contains NaN or inf: the run diverged. Did the steps grow without bound?"
    value = float(himmelblau(point.double()))
    if value < 1e-6:
        return None
    return (f"After your loop f(x) = {value:.3g}, not below 1e-6: x did not reach a minimum.\n"
            f"(The input was: start={case[0]}, lr={case[1]}, steps={case[2]}.)")


def _unmoved(answer, start, lr, steps) -> bool:
    return isinstance(answer, torch.Tensor) and answer.numel() == 2 and torch.equal(
        answer.detach().reshape(2).float(), torch.tensor(start, dtype=torch.float32))


def _leaf_grad(answer):
    """The ``.grad`` of a returned leaf tensor (None for anything else: non-leaves have no .grad)."""
    return answer.grad if isinstance(answer, torch.Tensor) and answer.is_leaf else None


def _unmoved_without_grad(answer, start, lr, steps) -> bool:
    grad = _leaf_grad(answer)
    return _unmoved(answer, start, lr, steps) and (grad is None or not grad.any())


def _accumulated_grad(answer, start, lr, steps) -> bool:
    """x.grad holds far more than one gradient: the gradients of all steps were summed."""
    grad = _leaf_grad(answer)
    if grad is None or answer.numel() != 2:
        return False
    point = answer.detach().reshape(2).clone().requires_grad_(True)
    himmelblau(point).backward()
    return bool((grad.reshape(2) - point.grad).norm() > 10 * (point.grad.norm() + 1))


training_loop = Exercise(
    title="Exercise 1: the training loop",
    reference=_loop_reference,
    inputs=_loop_cases,
    function=True,
    compare=_reaches_a_minimum,
    mistakes=[
        Mistake("zero_grad after backward",
                "`x` never moved: when `optimizer.step()` ran, the gradient had already been erased. "
                "Look at the order of the four calls in your loop: which one must come *before* `backward()`?",
                test=_unmoved_without_grad),
        Mistake("no optimizer.step()",
                "`x` never moved although a gradient was computed: nothing applied the update. "
                "Which optimizer call changes the parameters?",
                test=_unmoved),
        Mistake("no zero_grad (gradient accumulation)",
                "`x.grad` after your loop is far larger than the gradient at `x`: the gradients of all steps "
                "were *added up*, because `backward()` accumulates into `.grad`. Something must reset the "
                "gradient in every iteration.",
                test=_accumulated_grad),
    ],
    error_hints=[
        ErrorHint(r"params argument given to the optimizer should be an iterable",
                  "An optimizer takes an *iterable* of tensors (it may update many), and a tensor itself is "
                  "not accepted. Wrap your one tensor in a list.",
                  name="passed x instead of [x]"),
        ErrorHint(r"a leaf Variable that requires grad is being used in an in-place operation",
                  "You updated `x` by hand while autograd was recording. Let the optimizer do it "
                  "(`optimizer.step()`), or wrap a manual update in `with torch.no_grad():`.",
                  name="manual update outside no_grad"),
        ErrorHint(r"unsupported operand type.*NoneType|NoneType.*unsupported operand",
                  "`x.grad` is None: after `x = x - ...` outside `torch.no_grad()`, `x` is a new tensor "
                  "computed from the old one (not a leaf), and autograd fills `.grad` only for leaves. "
                  "Update in place inside `with torch.no_grad():`, or use `optimizer.step()`.",
                  name="manual update outside no_grad"),
    ],
    hints=[
        ("Make `x` a leaf that requires grad from `start`, build an Adam optimizer for it, then loop `steps` "
         "times. Return `x`."),
        ("Each iteration has four calls, in this order: compute f (forward), reset the gradients, "
         "`backward()`, update the parameters. Two of them are methods of the optimizer."),
        ("The optimizer's first argument is an iterable of the tensors it updates, even when there is "
         "only one."),
    ],
    solution_text="""
def minimise(start, lr, steps):
    x = torch.tensor(start, requires_grad=True)
    optimizer = torch.optim.Adam([x], lr=lr)      # [x]: an iterable of parameters
    for step in range(steps):
        f = himmelblau(x)        # 1. forward: build this step's graph
        optimizer.zero_grad()    # 2. forget the previous step's gradient
        f.backward()             # 3. x.grad = gradient of f at x
        optimizer.step()         # 4. move x
    return x
""",
    success="Every start reached a minimum (f < 1e-6): forward, zero_grad, backward, step.",
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: predict the minimum a start reaches

PREDICTION_STARTS = ((0.5, 5.0), (1.0, -1.0), (-5.5, 0.5))
PREDICTION_SETTINGS = {"optimizer": "adam", "lr": 1e-2, "steps": 2000}  # the basins map's settings
GD_MAP_SETTINGS = {"optimizer": "sgd", "lr": 1e-3, "steps": 2000}


@functools.cache
def _reached(starts: tuple, optimizer: str, lr: float, steps: int) -> tuple:
    final = optimise_batch(torch.tensor(starts), steps, lr, optimizer)
    return tuple(minimum_names(final))


def _prediction_reference(starts):
    return list(_reached(tuple(starts), **PREDICTION_SETTINGS))


def _nearest_guess(starts) -> list[str]:
    return minimum_names(torch.tensor(starts))


def _normalised(answer):
    if isinstance(answer, str) and len(answer.replace(" ", "").replace(",", "")) == len(PREDICTION_STARTS):
        answer = list(answer.replace(" ", "").replace(",", ""))
    if not isinstance(answer, (list, tuple)) or len(answer) != len(PREDICTION_STARTS):
        return None
    if not all(isinstance(a, str) and a.strip().upper() in MINIMUM_NAMES for a in answer):
        return None
    return [a.strip().upper() for a in answer]


def _check_prediction_format(answer):
    if _normalised(answer) is None:
        return incorrect(f"Answer with a list of {len(PREDICTION_STARTS)} letters, one per start, each one of "
                         f"{', '.join(MINIMUM_NAMES)}: for example `['A', 'A', 'A']`.", mistake="wrong format")
    return None


def _compare_predictions(answer, expected, case) -> str | None:
    got = _normalised(answer)
    wrong = [k for k, (a, e) in enumerate(zip(got, expected), start=1) if a != e]
    if not wrong:
        return None
    where = ", ".join(f"start {k} at {PREDICTION_STARTS[k - 1]}" for k in wrong)
    return (f"{len(wrong)} of {len(expected)} predictions are wrong: {where}. Find each of these starts on the "
            "*Adam* basins map (left panel): the colour under a start is the minimum Adam reaches from it.")


predict_minimum = Exercise(
    title="Exercise 2: which minimum does Adam reach?",
    reference=_prediction_reference,
    inputs=(PREDICTION_STARTS,),
    compare=_compare_predictions,
    pre_checks=[_check_prediction_format],
    mistakes=[
        Mistake("nearest minimum",
                "You predicted the *nearest* minimum for every start. The optimizer cannot see where the "
                "minima are: it only feels the slope where it stands. Some of these starts are closest to one "
                "minimum but lie in another one's basin on the Adam map.",
                test=lambda answer, starts: _normalised(answer) == _nearest_guess(starts)),
        Mistake("read the gradient-descent map",
                "These are the minima plain gradient descent reaches (right panel). Adam rescales every "
                "coordinate of the step separately, so its basins differ: read the *Adam* panel.",
                test=lambda answer, starts: _normalised(answer) == list(_reached(tuple(starts), **GD_MAP_SETTINGS))),
    ],
    hints=[
        ("Don't guess from distances: locate each numbered start on the Adam basins map and read the colour "
         "under it. The legend says which colour is which minimum."),
        ("You can also check one start by running the batched loop with `lr=1e-2, steps=2000` from that start "
         "and calling `lesson.minimum_names(...)` on the result."),
    ],
    solution_text="""
final = lesson.optimise_batch(torch.tensor(lesson.PREDICTION_STARTS), steps=2000, lr=1e-2, optimizer="adam")
answer = lesson.minimum_names(final)

Reading the Adam basins map gives the same letters: the colour under each numbered start.
Start 2 is nearest to D and start 3 nearest to B, yet the basins are not "nearest minimum" cells:
Adam's first steps move about lr along *both* axes at once (its update is close to the sign of the
gradient), so runs drift diagonally and cross into neighbouring basins.
""",
    success="Right: read off the Adam basins map. Nearness does not decide it; the slope along the way does, "
            "and Adam (which moves each coordinate by about lr at first) has different basins from plain "
            "gradient descent.",
)
