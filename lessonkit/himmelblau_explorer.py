"""Lesson 6, the instructor explorer: every setting run once with the real ``torch.optim`` optimizers.

The cache holds 4 optimizers x 7 learning rates x 121 starts x 1,000 steps. Each (optimizer, learning
rate) pair is one parameter tensor of shape (121, 2), one start per row, with its own ``torch.optim``
optimizer (one param group per learning rate); one graph sums f over all 28 tensors, so a single
``backward()`` gives every row its own gradient. Every optimizer here is elementwise, so every row
follows bit for bit the run ``torch.optim`` makes from that start alone (tests check it, at every
learning rate, including the diverging ones).

Why 1,000 steps and learning rates from 1e-3 (the first edition's explorer had 20,000 steps and
1e-4 ... 1, but re-implemented the optimizers in numpy and disagreed with torch.optim at large learning
rates): a ``torch.optim`` step costs tens of microseconds of Python per param group, so 28 groups x
1,000 steps is what fits in a precompute of about 3 s (measured: tests/test_adam_himmelblau.py and
benchmarks/himmelblau.py). 1,000 steps from (-4, 0) at lr 1e-2 is the notebook's four-optimizer
comparison, which the explorer starts from; at 1e-3 Adam is visibly too slow within 1,000 steps
(the reference run needs 20,000 steps at 1e-3).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

from lessonkit.figures import COLORS
from lessonkit.himmelblau_dynamics import LIMIT, OPTIMIZER_NAMES, himmelblau, make_optimizer
from lessonkit.himmelblau_pictures import OPTIMIZER_COLORS, draw_landscape
from lessonkit.i18n import _
from lessonkit.widgets import Explorer, progress_bar

EXPLORER_LRS = tuple(10.0 ** (-3 + 0.5 * k) for k in range(7))  # 1e-3, 3.2e-3, ..., 1: two per decade
EXPLORER_STARTS = tuple(float(v) for v in range(-5, 6))  # x0 and y0 each on this grid
EXPLORER_STEPS = (10, 20, 50, 100, 200, 500, 1000)
# x is recorded after these many updates (every step at first, then every 10th; every EXPLORER_STEPS value is one)
FRAME_STEPS = np.unique(np.concatenate([np.arange(0, 200), np.arange(200, EXPLORER_STEPS[-1] + 1, 10)]))
DIVERGED = 1e6  # |x| or |y| beyond this counts as diverged


@dataclass(frozen=True)
class ExplorerCache:
    """frames[f, o, l, s] = the point after FRAME_STEPS[f] updates, for optimizer o, lr l, start s."""

    frames: np.ndarray  # (F, 4, L, S, 2) float32
    losses: np.ndarray  # (F, 4, L, S) float64, inf where diverged
    diverged_at: np.ndarray  # (4, L, S) first recorded step where the run left |x| < DIVERGED, or -1
    seconds: float


def explorer_starts() -> torch.Tensor:
    """The 121 starts, row by row: (x0, y0) for y0 in EXPLORER_STARTS for x0 in EXPLORER_STARTS."""
    return torch.tensor([(x0, y0) for y0 in EXPLORER_STARTS for x0 in EXPLORER_STARTS])


def run_settings(starts, lrs, optimizers=OPTIMIZER_NAMES, frame_steps=FRAME_STEPS, report=None) -> torch.Tensor:
    """Every (optimizer, lr) from every start with ``torch.optim``: one (S, 2) tensor per pair.

    Returns the points after each of ``frame_steps`` updates, shape (F, len(optimizers), len(lrs), S, 2).
    """
    starts = torch.as_tensor(starts, dtype=torch.float32)
    params = [[starts.clone().requires_grad_(True) for _ in lrs] for _ in optimizers]
    opts = [make_optimizer(name, [{"params": [p], "lr": lr} for p, lr in zip(row, lrs)], lrs[0])
            for name, row in zip(optimizers, params)]
    flat = [p for row in params for p in row]
    shape = (len(optimizers), len(lrs), *starts.shape)
    frame_steps = [int(s) for s in frame_steps]
    frames = torch.empty((len(frame_steps), *shape))
    frames[0] = starts
    last = frame_steps[-1]
    record = {step: k for k, step in enumerate(frame_steps)}
    for step in range(1, last + 1):
        loss = himmelblau(torch.cat(flat)).sum()  # row i of every tensor gets the gradient of its own f
        for opt in opts:
            opt.zero_grad()
        loss.backward()
        for opt in opts:
            opt.step()
        frame = record.get(step)
        if frame is not None:
            frames[frame] = torch.stack(flat).detach().reshape(shape)
            if report is not None and frame % 20 == 0:
                report(step / last)
    return frames


def _explorer_run(report=None) -> ExplorerCache:
    started = time.perf_counter()
    frames = run_settings(explorer_starts(), EXPLORER_LRS, report=report).numpy()
    frames = np.where(np.isfinite(frames), frames, np.float32(np.nan))
    with np.errstate(all="ignore"):  # diverged runs overflow on purpose
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
    """Run every explorer setting once (4 optimizers x 7 lrs x 121 starts x 1,000 steps, ~2-3 s).

    Shows a ``progress_bar`` in a notebook. The result is kept: later calls return it at once.
    """
    global _EXPLORER_CACHE
    if _EXPLORER_CACHE is None:
        shown = progress and _in_kernel()
        bar = progress_bar(100, _("Running every explorer setting with torch.optim")) if shown else None
        if bar is not None:
            from IPython.display import display

            display(bar)

        def report(fraction):
            if bar is not None:
                bar.value = int(100 * fraction)

        _EXPLORER_CACHE = _explorer_run(report)
        if bar is not None:
            runs = _EXPLORER_CACHE.frames[0].size // 2
            bar.description = _("Ran {runs:,} settings with torch.optim in {seconds:.1f} s").format(
                runs=runs, seconds=_EXPLORER_CACHE.seconds)
    return _EXPLORER_CACHE


class HimmelblauExplorer(Explorer):
    """Learning rate, start, optimizer and step count -> trajectory and f over the steps.

    Every setting is precomputed (``precompute_explorer``); a control change only indexes the cache.
    """

    width = 9.5
    height = 4.2
    dpi = 80  # 11 pt text = 12.2 px (the course's minimum is 12 px)

    def __init__(self, cache: ExplorerCache | None = None) -> None:
        self.cache = cache or precompute_explorer()
        super().__init__()

    def make_controls(self):
        style = {"description_width": "initial"}
        return {
            "lr": widgets.FloatLogSlider(value=1e-2, base=10, min=-3, max=0, step=0.5, description=_("learning rate"),
                                         readout_format=".1e", style=style),
            "x0": widgets.IntSlider(value=-4, min=-5, max=5, description=_("start x"), style=style),
            "y0": widgets.IntSlider(value=0, min=-5, max=5, description=_("start y"), style=style),
            "optimizer": widgets.Dropdown(options=OPTIMIZER_NAMES, value="Adam", description=_("optimizer"),
                                          style=style),
            "steps": widgets.SelectionSlider(options=EXPLORER_STEPS, value=1000, description=_("steps"), style=style),
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
        _plain_ticks(self.ax_loss.xaxis, [1, 10, 100, 1000])
        _plain_ticks(self.ax_loss.yaxis, [1e-12, 1e-8, 1e-4, 1, 1e4])
        self.ax_loss.set_xlabel(_("step"))
        self.ax_loss.set_ylabel(_("f  (clipped to [1e-14, 1e7])"))
        self.ax_loss.legend(loc="lower left", frameon=True, framealpha=0.95)
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
        self.path_title.set_text(_("{optimizer}, lr = {lr:.1e}, {steps} steps").format(
            optimizer=optimizer, lr=EXPLORER_LRS[l_index], steps=steps))
        return self._note(optimizer, o_index, l_index, s_index, steps, path)

    def _note(self, optimizer, o_index, l_index, s_index, steps, path) -> str | None:
        diverged = int(self.cache.diverged_at[o_index, l_index, s_index])
        if 0 <= diverged <= steps:
            self.loss_title.set_text(_("{optimizer} diverged (step {step})").format(optimizer=optimizer, step=diverged))
            return _("{optimizer} diverged: by step {step} the point had left |x|, |y| < 1e6 (then f "
                     "overflows to inf/NaN). The picture shows the path up to there. Lower the learning rate.").format(
                optimizer=optimizer, step=diverged)
        end = path[-1]
        f_end = float(himmelblau(end.astype(np.float64)))
        self.loss_title.set_text(_("f after {steps} steps = {f:.2e}").format(steps=steps, f=f_end))
        if (np.abs(end) > LIMIT).any():
            return _("After {steps} steps the point ({x:.3g}, {y:.3g}) is outside the plotted square: "
                     "the steps are too large for this landscape.").format(steps=steps, x=end[0], y=end[1])
        if f_end > 1e-6:
            halfway = self.cache.losses[int(np.searchsorted(FRAME_STEPS, steps // 2)), o_index, l_index, s_index]
            if steps < 100 or f_end < 0.9 * halfway:  # still going down: it needs time, not a different step
                advice = _("still descending: more steps or a larger learning rate")
            else:
                advice = _("no longer improving: it bounces around, so try a smaller learning rate")
            return _("f = {f:.3g} after {steps} steps: {optimizer} has not reached a minimum yet ({advice}).").format(
                f=f_end, steps=steps, optimizer=optimizer, advice=advice)
        return None


def _plain_ticks(axis, ticks) -> None:
    """Fixed ticks with plain-text labels (1e-08, 1000) instead of mathtext 10^k and minor ticks: lighter
    to read and much cheaper to render."""
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FixedFormatter([f"{t:g}" for t in ticks]))
    axis.set_minor_locator(NullLocator())


