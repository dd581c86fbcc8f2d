"""Lesson 2 -- gradients with ``torch.autograd.grad``: the pictures, explorer and exercises of
notebooks/02_autograd_grad.ipynb.

Pictures: :func:`plot_gradient_fields` (the gradient as an arrow on contour lines),
:func:`plot_computation_graph` (an autograd graph drawn from ``y.grad_fn`` with matplotlib only, no
Graphviz) and :func:`plot_sigmoid_derivatives` (sigma, sigma', sigma'' from autograd against their
closed forms). Explorer: :class:`FiniteDifferenceExplorer` (central differences against autograd,
float32 vs float64). Exercises (in :mod:`lessonkit.autograd_grad_exercises`, re-exported here):
:data:`gradient_of_f`, :data:`hand_gradient`, :data:`weighted_gradient`, :data:`predict_hook`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from lessonkit.figures import COLORS, new_figure
from lessonkit.i18n import N_, _
from lessonkit.widgets import Explorer

# --------------------------------------------------------------------------------------------------
# Picture 1: the gradient is an arrow -- uphill, perpendicular to the contour lines


def gradient_at(f: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    """The gradient of a point-wise ``f`` at each row of ``points`` (shape ``(n, 2)``)."""
    points = points.detach().clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(f(points).sum(), points)
    return gradient


def plot_gradient_fields(functions: Mapping[str, Callable[[torch.Tensor], torch.Tensor]],
                         limit: float = 2.0, arrows: int = 7):
    """One panel per ``{title: f}``: contour lines of ``f(x1, x2)`` and its gradient as arrows.

    ``f`` takes a tensor of shape ``(..., 2)`` and returns one value per point. The arrows sit at the
    centres of an ``arrows`` x ``arrows`` grid of cells, centred on their point and at most 3/4 of a
    cell long, so every arrow (head included) stays inside its cell and inside the panel; the contour
    labels sit on the cell corners, where no arrow reaches.
    """
    fig, axes = new_figure(1, len(functions), width=4.2 * len(functions), height=3.9)
    axes = np.atleast_1d(axes)
    line = torch.linspace(-limit, limit, 121, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(line, line, indexing="xy"), dim=-1)
    spacing = 2 * limit / arrows
    centres = torch.linspace(-limit + spacing / 2, limit - spacing / 2, arrows, dtype=torch.float64)
    points = torch.stack(torch.meshgrid(centres, centres, indexing="xy"), dim=-1).reshape(-1, 2)
    for ax, (title, function) in zip(axes, functions.items()):
        with torch.no_grad():
            values = function(grid)
        contours = ax.contour(line.numpy(), line.numpy(), values.numpy(), levels=9, cmap="viridis",
                              linewidths=1, zorder=1)
        gradient = gradient_at(function, points)
        longest = float(gradient.norm(dim=1).max()) or 1.0
        scale = longest / (ARROW_SHARE * spacing)
        ax.quiver(points[:, 0].numpy(), points[:, 1].numpy(), gradient[:, 0].numpy(),
                  gradient[:, 1].numpy(), color=COLORS["red"], angles="xy", scale_units="xy",
                  scale=scale, pivot="middle", width=0.007, zorder=2)
        half = (gradient / scale / 2).numpy()
        arrow_ends = (points.numpy() - half, points.numpy() + half)
        drawn = [(level, segments) for level, segments in zip(contours.levels, contours.allsegs) if segments]
        for level, position in _label_positions(drawn, arrow_ends, limit, clearance=0.3 * spacing):
            ax.clabel(contours, levels=[level], fontsize=10, fmt=_contour_label, inline=True,
                      inline_spacing=2, manual=[position], colors=LABEL_COLOR)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_title(_(title))
        ax.set_xlabel("$x_0$")
        ax.set_ylabel("$x_1$")
        ax.set_aspect("equal")
        ax.grid(False)
    return fig


ARROW_SHARE = 0.75  # the longest arrow, as a share of the distance between arrows
LABEL_COLOR = "#333333"  # contour labels: dark on white (the light viridis lines would be unreadable)


def _contour_label(level: float) -> str:
    return f"{level:g}"


def _distance_to_segments(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each of ``points`` (n, 2): the distance to the nearest segment ``starts[k] -> ends[k]``."""
    direction = ends - starts                                        # (m, 2)
    length2 = np.maximum((direction ** 2).sum(axis=1), 1e-12)        # (m,)
    offset = points[:, None, :] - starts[None, :, :]                 # (n, m, 2)
    along = np.clip((offset * direction).sum(axis=2) / length2, 0.0, 1.0)
    nearest = starts[None] + along[..., None] * direction[None]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)


def _label_positions(levels_and_segments, arrow_ends, limit: float, clearance: float):
    """``(level, (x1, x2))`` for each contour level: the point of its contour line farthest from every
    arrow (and at least ``clearance`` from the arrows and the panel's edge), or no label when the
    line passes nowhere that clear."""
    starts, ends = arrow_ends
    pairs = []
    for level, segments in levels_and_segments:
        line = np.concatenate(segments)
        if not len(line):
            continue
        room = np.minimum(_distance_to_segments(line, starts, ends),
                          (limit - np.abs(line)).min(axis=1) - 0.5 * clearance)
        best = int(room.argmax())
        if room[best] >= clearance:
            pairs.append((level, (float(line[best, 0]), float(line[best, 1]))))
    return pairs


# --------------------------------------------------------------------------------------------------
# Picture 3: sigma and its first two derivatives, from autograd, against their closed forms

INK = "#333333"  # annotations: dark grey on white


def plot_sigmoid_derivatives(z: torch.Tensor, first: torch.Tensor, second: torch.Tensor, every: int = 12):
    """sigma(z), sigma'(z) and sigma''(z) as lines (the derivatives as autograd computed them), with
    the closed forms sigma(1 - sigma) and sigma(1 - sigma)(1 - 2 sigma) as dots on every
    ``every``-th point, and the points where sigma'' is zero and extreme marked."""
    z = z.detach().to(torch.float64)
    s = torch.sigmoid(z)
    fig, ax = new_figure(width=7.2, height=3.5)
    curves = [
        (r"$\sigma(z)$", s, None, COLORS["blue"]),
        (_(r"$\sigma'(z)$ from autograd"), first, s * (1 - s), COLORS["orange"]),
        (_(r"$\sigma''(z)$ from autograd (create_graph=True)"), second, s * (1 - s) * (1 - 2 * s),
         COLORS["purple"]),
    ]
    for label, values, closed, color in curves:
        ax.plot(z.numpy(), values.detach().to(torch.float64).numpy(), color=color, lw=2, label=label)
        if closed is not None:
            ax.plot(z[::every].numpy(), closed[::every].numpy(), "o", ms=5, mfc="white", mec=color,
                    mew=1.5)
    ax.plot([], [], "o", ms=5, mfc="white", mec=INK, mew=1.5, label=_("closed forms (dots)"))
    bend = math.log(2 + math.sqrt(3))  # where the third derivative is zero: sigma' changes fastest
    for at in (-bend, 0.0, bend):
        ax.axvline(at, color=COLORS["grey"], ls=":", lw=1)
    ax.annotate(_("σ'' = 0 where σ' peaks"), xy=(0, 0), xytext=(0.25, -0.17), fontsize=10, color=INK)
    ax.annotate(_("σ'' extreme at\nz = ±ln(2+√3) ≈ ±1.32"), xy=(bend, -0.096), xytext=(2.3, 0.2),
                fontsize=10, color=INK, arrowprops={"arrowstyle": "->", "color": INK})
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel("z")
    ax.set_ylim(-0.2, 1.05)
    ax.legend(loc="upper left", fontsize=10, frameon=True, framealpha=1.0, facecolor="white",
              edgecolor="#cccccc")  # opaque: the dotted markers at z = -1.32 and 0 run behind it
    return fig


# --------------------------------------------------------------------------------------------------
# Picture 2: the computation graph, drawn from ``y.grad_fn`` (matplotlib only, no Graphviz binary)

_NODE_STYLE = {
    "output": {"fc": "#fff1e0", "ec": COLORS["orange"], "ls": "-"},
    "op": {"fc": "#e8f0fe", "ec": COLORS["blue"], "ls": "-"},
    "leaf": {"fc": "#e6f4ea", "ec": COLORS["green"], "ls": "-"},
    "constant": {"fc": "#f1f3f4", "ec": COLORS["grey"], "ls": "--"},
}


def _name_of(tensor: torch.Tensor, names: Mapping[str, torch.Tensor]) -> str | None:
    return next((name for name, t in names.items() if t is tensor), None)


def graph_of(output: torch.Tensor, names: Mapping[str, torch.Tensor] | None = None):
    """Walk ``output.grad_fn`` and return ``(nodes, edges)`` for drawing.

    ``nodes`` maps a key to ``(kind, label)`` with kind in output/op/leaf/constant; ``edges`` is a list
    of ``(input_key, consumer_key)`` pairs in the *forward* direction (data flows input -> consumer).
    An input slot that autograd does not track (``None`` in ``next_functions``) becomes a constant.
    """
    names = dict(names or {})
    output_name = _name_of(output, names) or _("output")
    nodes = {"output": ("output", _("{name}\nshape {shape}").format(name=output_name, shape=tuple(output.shape)))}
    edges: list[tuple[object, object]] = []
    if output.grad_fn is None:
        kind = "leaf" if output.requires_grad else "constant"
        nodes["output"] = (kind, _("{name}\nno grad_fn: nothing recorded").format(name=output_name))
        return nodes, edges
    stack = [output.grad_fn]
    edges.append((output.grad_fn, "output"))
    while stack:
        node = stack.pop(0)
        if node in nodes:
            continue
        if hasattr(node, "variable"):  # AccumulateGrad: a leaf that requires grad
            leaf = node.variable
            label = _name_of(leaf, names) or _("leaf")
            nodes[node] = ("leaf", _("{name}: a leaf\nrequires_grad=True\n(AccumulateGrad)").format(name=label))
            continue
        nodes[node] = ("op", node.name())
        for slot, (child, _index) in enumerate(node.next_functions):
            if child is None:
                key = (node, slot)
                nodes[key] = ("constant", _("input {slot}: a constant\nrequires_grad=False\n(not recorded)")
                              .format(slot=slot))
                edges.append((key, node))
            else:
                edges.append((child, node))
                stack.append(child)
    # list nodes in the order the walk first met them (input slot order), for a left-to-right layout
    met = ["output", *dict.fromkeys(source for source, _consumer in edges)]
    return {key: nodes[key] for key in met}, edges


def _layers(nodes, edges) -> dict:
    """Row of each node: the output on row 0, every input at least one row below its consumer."""
    row = {key: 0 for key in nodes}
    for _round in range(len(nodes)):
        changed = False
        for source, consumer in edges:
            if row[source] < row[consumer] + 1:
                row[source], changed = row[consumer] + 1, True
        if not changed:
            break
    return row


def _draw_graph(ax, output: torch.Tensor, names, title: str) -> None:
    nodes, edges = graph_of(output, names)
    row = _layers(nodes, edges)
    depth = max(row.values())
    boxes = {}
    for level in range(depth + 1):
        members = [key for key in nodes if row[key] == level]
        for k, key in enumerate(members):
            kind, label = nodes[key]
            style = _NODE_STYLE[kind]
            x = (k + 0.5) / len(members)
            y = 1 - (level + 0.5) / (depth + 1)
            boxes[key] = ax.text(x, y, label, ha="center", va="center", fontsize=9,
                                 transform=ax.transAxes, zorder=3,
                                 bbox={"boxstyle": "round,pad=0.4", "fc": style["fc"], "ec": style["ec"],
                                           "ls": style["ls"], "lw": 1.4})
    for source, consumer in edges:
        ax.annotate("", xy=(0.5, 0.0), xycoords=boxes[consumer], xytext=(0.5, 1.0),
                    textcoords=boxes[source], zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": COLORS["grey"], "lw": 1.3})
    ax.set_title(_(title))
    ax.set_axis_off()


# The notebook's titles for plot_computation_graph: marked here so that they are translated where drawn.
_NOTEBOOK_TITLES = (N_("y = x @ w, built before w.requires_grad_()"), N_("y = x @ w, rebuilt afterwards"))


def plot_computation_graph(outputs: Mapping[str, torch.Tensor],
                           names: Mapping[str, torch.Tensor] | None = None, width: float | None = None,
                           height: float = 3.6):
    """Draw the autograd graph behind each ``{title: output}`` side by side.

    ``names`` maps display names to tensors (leaves and outputs) so boxes say ``x`` rather than
    ``leaf``. Arrows point the way data flows in the forward pass; backward walks them in reverse.
    """
    fig, axes = new_figure(1, len(outputs), width=width or 4.8 * len(outputs), height=height)
    for ax, (title, output) in zip(np.atleast_1d(axes), outputs.items()):
        _draw_graph(ax, output, names, title)
    return fig


# --------------------------------------------------------------------------------------------------
# Explorer: central differences against autograd, float32 against float64

FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin(x)": torch.sin,
    "exp(x)": torch.exp,
    "log(x)": torch.log,
    "sqrt(x)": torch.sqrt,
}
DTYPES = {"float32": torch.float32, "float64": torch.float64}
DTYPE_COLORS = {"float32": COLORS["orange"], "float64": COLORS["purple"]}
LOG10_STEPS = np.arange(-12.0, 0.001, 0.25)  # the h axis of the error curves
STEPS = 10.0 ** LOG10_STEPS
ERROR_FLOOR, ERROR_CEILING = 1e-17, 1e2
GRADCHECK_EPS = 1e-6  # torch.autograd.gradcheck's default step


def central_differences(f, x: float, steps: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """``(f(x + h) - f(x - h)) / 2h`` for every ``h`` in ``steps``, computed in ``dtype``."""
    h = torch.as_tensor(steps, dtype=dtype)
    at = torch.tensor(x, dtype=dtype)
    with torch.no_grad():
        return (f(at + h) - f(at - h)) / (2 * h)


def autograd_derivative(f, x: float, dtype: torch.dtype = torch.float64) -> float:
    """``df/dx`` at ``x`` from ``torch.autograd.grad`` (float64 serves as the exact value)."""
    at = torch.tensor(x, dtype=dtype, requires_grad=True)
    (slope,) = torch.autograd.grad(f(at), at)
    return float(slope)


def relative_error(estimate: torch.Tensor, exact: float) -> np.ndarray:
    """``|estimate - exact| / |exact|`` (absolute error when ``exact`` is 0), clipped for a log axis."""
    scale = abs(exact) if math.isfinite(exact) and abs(exact) > 1e-12 else 1.0
    error = (estimate.to(torch.float64) - exact).abs().numpy() / scale
    return np.clip(error, ERROR_FLOOR, ERROR_CEILING)


def _plain_log_ticks(axis, ticks) -> None:
    """Fixed ticks labelled "1e-06" (plain text renders much faster than mathtext "$10^{-6}$")."""
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}" if value != 1 else "1"))
    axis.set_minor_locator(NullLocator())


class FiniteDifferenceExplorer(Explorer):
    """Left: ``f`` over the whole range ``x`` can take, with autograd's tangent and the central-difference
    secant through ``x - h`` and ``x + h`` near ``x``. Right: the relative error of the central difference
    against ``h`` for float32 and float64, with the current ``h`` marked. Under the picture: both slopes
    as numbers.

    Speed: both panels' axes are fixed for a function (the left one spans every ``x +- h`` the controls
    allow), so they stay in the cached background and a frame redraws only lines and the marker; only a
    new function changes the background (new y-limits), drawn once per function and then kept.
    """

    x_range = (-3.0, 4.0)  # the x slider's range (-2 to 3) widened by the largest h (1)

    def __init__(self) -> None:
        super().__init__()
        # each function's background drawn now (about 30 ms each), so choosing a function later pastes it
        chosen = self.controls["function"].value
        for name in FUNCTIONS:
            self.controls["function"].value = name
        self.controls["function"].value = chosen

    width, height = 8.4, 2.9
    dpi = 100  # shown 840 px wide, which a notebook's output area at 1280 px holds unscaled: 9 pt text is 12.5 px

    def make_controls(self):
        style = {"description_width": "initial"}
        return {
            "function": widgets.Dropdown(options=list(FUNCTIONS), value="sin(x)", description="f"),
            "x": widgets.FloatSlider(value=1.0, min=-2.0, max=3.0, step=0.05, description="x",
                                     continuous_update=True, style=style),
            "log10_h": widgets.FloatSlider(value=-0.5, min=float(LOG10_STEPS[0]), max=0.0, step=0.25,
                                           description="log10 h", style=style),
            "dtype": widgets.ToggleButtons(options=list(DTYPES), value="float32", description="dtype"),
        }

    def draw(self, fig) -> None:
        self.ax_curve, self.ax_error = fig.subplots(1, 2)
        ax = self.ax_curve
        (self.curve,) = ax.plot([], [], color=COLORS["blue"], lw=2, label="f")
        (self.tangent,) = ax.plot([], [], color=COLORS["green"], lw=1.5, label=_("tangent (autograd)"))
        (self.secant,) = ax.plot([], [], color=COLORS["red"], lw=1.2, ls="--",
                                 label=_("secant (central difference)"))
        (self.ends,) = ax.plot([], [], "o", color=COLORS["red"], ms=5)
        ax.set_xlabel("x")
        ax.xaxis.set_major_locator(MaxNLocator(8))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlim(*self.x_range)
        ax.set_ylim(-1.25, -0.25)  # the widest tick labels ("-1.25"), so the one layout pass leaves room
        self.grid = np.linspace(*self.x_range, 281)
        self._function = None
        # above the panel, where no line can cross it (the lines are drawn over the static picture)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=9, handlelength=1.5,
                  columnspacing=0.8, handletextpad=0.4)
        ax = self.ax_error
        self.error_lines = {}
        for name, color in DTYPE_COLORS.items():
            (self.error_lines[name],) = ax.plot(STEPS, np.ones_like(STEPS), color=color,
                                                lw=1.5, label=name)
        ax.axvline(GRADCHECK_EPS, color=COLORS["grey"], ls=":", lw=1)
        ax.text(GRADCHECK_EPS * 1.3, 3e-17, _("gradcheck's h"), fontsize=9, color=INK)
        (self.marker,) = ax.plot([1e-3], [1.0], "o", markeredgecolor="black", ms=8, zorder=5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_log_ticks(ax.xaxis, [1e-12, 1e-9, 1e-6, 1e-3, 1.0])
        _plain_log_ticks(ax.yaxis, [1e-16, 1e-12, 1e-8, 1e-4, 1.0])
        ax.set_xlim(10.0 ** LOG10_STEPS[0], 1.0)
        ax.set_ylim(ERROR_FLOOR * 0.5, ERROR_CEILING * 2)
        ax.set_xlabel(_("step h"))
        ax.set_ylabel(_("relative error"))
        ax.set_title(_("central difference vs autograd"), fontsize=10)
        ax.legend(loc="lower left", fontsize=9)
        # per frame: the lines and the marker (the axes are static for a function); the numbers are an
        # HTML read-out (text is the slow part of a frame)
        self.animate(self.curve, self.tangent, self.secant, self.ends, *self.error_lines.values(), self.marker)
        self.readout = widgets.HTML()

    def body(self):
        return widgets.VBox([self.image, self.readout])

    def close(self) -> None:
        self.readout.close()
        super().close()

    def update(self, function: str, x: float, log10_h: float, dtype: str) -> str | None:
        f, precision = FUNCTIONS[function], DTYPES[dtype]
        h = 10.0 ** log10_h
        exact = autograd_derivative(f, x)
        for name, line in self.error_lines.items():
            line.set_ydata(relative_error(central_differences(f, x, STEPS, DTYPES[name]), exact))
        estimate = central_differences(f, x, np.array([h]), precision)
        error = relative_error(estimate, exact)[0]
        self.marker.set_data([h], [error])
        self.marker.set_markerfacecolor(DTYPE_COLORS[dtype])
        self._draw_curve(f, x, h, float(estimate[0]), autograd_derivative(f, x, precision), precision)
        self.readout.value = _("<b>{function}</b> at x = {x}, {dtype}: autograd <code>{exact}</code>, "
                               "difference <code>{estimate}</code>").format(
            function=html.escape(function), x=f"{x:g}", dtype=dtype, exact=f"{exact:.6g}",
            estimate=f"{float(estimate[0]):.6g}")
        return self._note(function, f, x, h, float(estimate[0]), exact, error, precision)

    def _draw_curve(self, f, x: float, h: float, slope_fd: float, slope_ad: float, precision) -> None:
        if f is not self._function:  # a new function: its curve and y-limits (the static axes change)
            self._function = f
            with torch.no_grad(), np.errstate(invalid="ignore", divide="ignore"):
                values = f(torch.from_numpy(self.grid)).numpy()
            self.curve.set_data(self.grid, values)
            finite = values[np.isfinite(values)]
            low, high = (finite.min(), finite.max()) if finite.size else (-1.0, 1.0)
            margin = max(0.08 * (high - low), 0.1)
            self.ax_curve.set_ylim(low - margin, high + margin)
            self.redraw_background(key=f)  # the function alone sets the static axes: kept per function
        with torch.no_grad():
            at = torch.tensor([x - h, x, x + h], dtype=precision)
            ends = f(at).to(torch.float64).numpy()
        t = np.linspace(x - 1.2, x + 1.2, 2)  # the two straight lines, near x
        with np.errstate(invalid="ignore"):  # inf * 0 at x itself when the slope is infinite
            self.tangent.set_data(t, ends[1] + slope_ad * (t - x))
        middle = (ends[0] + ends[2]) / 2
        self.secant.set_data(t, middle + slope_fd * (t - x))
        self.ends.set_data([x - h, x + h], [ends[0], ends[2]])

    @staticmethod
    def _note(function, f, x, h, estimate, exact, error, precision) -> str | None:
        notes = []
        with torch.no_grad():
            value = float(f(torch.tensor(x, dtype=torch.float64)))
        if not math.isfinite(value):
            notes.append(_("{function} is undefined at x = {x} (f(x) = {value}); autograd still returns "
                           "{exact}: a backward formula does not check the function's domain").format(
                function=function, x=f"{x:g}", value=value, exact=f"{exact:.6g}"))
        elif not math.isfinite(exact):
            notes.append(_("the slope of {function} at x = {x} is {exact} (a vertical tangent): autograd "
                           "returns it as is, and no finite difference can match it").format(
                function=function, x=f"{x:g}", exact=exact))
        elif not math.isfinite(estimate):
            notes.append(_("the central difference is {estimate}: x - h = {x_minus_h} leaves the domain "
                           "of {function}").format(estimate=estimate, x_minus_h=f"{x - h:.3g}", function=function))
        at = torch.tensor(x, dtype=precision)
        if bool(at + h == at) and bool(at - h == at):
            spacing = float(torch.finfo(precision).eps) * max(abs(x), 1.0)
            notes.append(_("h = {h} is below {dtype} resolution near x (spacing about {spacing}): x + h rounds "
                           "to x, so the difference quotient is {estimate}").format(
                h=f"{h:.0e}", dtype=str(precision)[6:], spacing=f"{spacing:.1e}", estimate=f"{estimate:g}"))
        elif math.isfinite(estimate) and math.isfinite(exact) and error > 1e-2:
            best = float(torch.finfo(precision).eps) ** (1 / 3)
            if h > best:
                note = _("relative error {error} (truncation error: h is too large; for {dtype} try h near {best})")
            else:
                note = _("relative error {error} (rounding error: h is too small; for {dtype} try h near {best})")
            notes.append(note.format(error=f"{error:.0e}", dtype=str(precision)[6:], best=f"{best:.0e}"))
        # TRANSLATORS: the separator between two notes under the explorer
        return _("; ").join(notes) or None


# --------------------------------------------------------------------------------------------------
# The exercises live in their own module; the notebook reaches them as ``lesson.<name>``.

from lessonkit.autograd_grad_exercises import (  # noqa: E402
    PREDICT_HOOK,
    X0,
    A,
    f,
    gradient_of_f,
    hand_gradient,
    layer,
    predict_hook,
    squared_error,
    weighted_gradient,
)

__all__ = [
    "PREDICT_HOOK",
    "X0",
    "A",
    "FiniteDifferenceExplorer",
    "f",
    "gradient_at",
    "gradient_of_f",
    "graph_of",
    "hand_gradient",
    "layer",
    "plot_computation_graph",
    "plot_gradient_fields",
    "plot_sigmoid_derivatives",
    "predict_hook",
    "squared_error",
    "weighted_gradient",
]
