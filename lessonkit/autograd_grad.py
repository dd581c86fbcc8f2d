"""Lesson 2 -- gradients with ``torch.autograd.grad``: the pictures, explorer and exercises of
notebooks/02_autograd_grad.ipynb.

Pictures: :func:`plot_gradient_fields` (the gradient as an arrow on contour lines) and
:func:`plot_computation_graph` (an autograd graph drawn from ``y.grad_fn`` with matplotlib only, no
Graphviz). Explorer: :class:`FiniteDifferenceExplorer` (central differences against autograd, float32
vs float64). Exercises: :data:`gradient_of_f`, :data:`hand_gradient`, :data:`jacobian_row`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from lessonkit.checks import ErrorHint, Exercise, Mistake
from lessonkit.figures import COLORS, new_figure
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

    ``f`` takes a tensor of shape ``(..., 2)`` and returns one value per point.
    """
    fig, axes = new_figure(1, len(functions), width=4.6 * len(functions), height=4.3)
    axes = np.atleast_1d(axes)
    line = torch.linspace(-limit, limit, 121, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(line, line, indexing="xy"), dim=-1)
    coarse = torch.linspace(-limit * 0.85, limit * 0.85, arrows, dtype=torch.float64)
    points = torch.stack(torch.meshgrid(coarse, coarse, indexing="xy"), dim=-1).reshape(-1, 2)
    spacing = float(coarse[1] - coarse[0])
    for ax, (title, f) in zip(axes, functions.items()):
        with torch.no_grad():
            values = f(grid)
        contours = ax.contour(line.numpy(), line.numpy(), values.numpy(), levels=12, cmap="viridis",
                              linewidths=1)
        ax.clabel(contours, fontsize=7, fmt="%.0f")
        gradient = gradient_at(f, points)
        longest = float(gradient.norm(dim=1).max()) or 1.0
        ax.quiver(points[:, 0].numpy(), points[:, 1].numpy(), gradient[:, 0].numpy(),
                  gradient[:, 1].numpy(), color=COLORS["red"], angles="xy", scale_units="xy",
                  scale=longest / (0.9 * spacing), width=0.006)
        ax.set_title(title)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_aspect("equal")
        ax.grid(False)
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
    output_name = _name_of(output, names) or "output"
    nodes = {"output": ("output", f"{output_name}\nshape {tuple(output.shape)}")}
    edges: list[tuple[object, object]] = []
    if output.grad_fn is None:
        kind = "leaf" if output.requires_grad else "constant"
        nodes["output"] = (kind, f"{output_name}\nno grad_fn: nothing recorded")
        return nodes, edges
    stack = [output.grad_fn]
    edges.append((output.grad_fn, "output"))
    while stack:
        node = stack.pop(0)
        if node in nodes:
            continue
        if hasattr(node, "variable"):  # AccumulateGrad: a leaf that requires grad
            leaf = node.variable
            label = _name_of(leaf, names) or "leaf"
            nodes[node] = ("leaf", f"{label}: a leaf\nrequires_grad=True\n(AccumulateGrad)")
            continue
        nodes[node] = ("op", node.name())
        for slot, (child, _) in enumerate(node.next_functions):
            if child is None:
                key = (node, slot)
                nodes[key] = ("constant", f"input {slot}: a constant\nrequires_grad=False\n(not recorded)")
                edges.append((key, node))
            else:
                edges.append((child, node))
                stack.append(child)
    # list nodes in the order the walk first met them (input slot order), for a left-to-right layout
    met = ["output", *dict.fromkeys(source for source, _ in edges)]
    return {key: nodes[key] for key in met}, edges


def _layers(nodes, edges) -> dict:
    """Row of each node: the output on row 0, every input at least one row below its consumer."""
    row = {key: 0 for key in nodes}
    for _ in range(len(nodes)):
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
            boxes[key] = ax.text(x, y, label, ha="center", va="center", fontsize=8.5,
                                 transform=ax.transAxes, zorder=3,
                                 bbox={"boxstyle": "round,pad=0.4", "fc": style["fc"], "ec": style["ec"],
                                           "ls": style["ls"], "lw": 1.4})
    for source, consumer in edges:
        ax.annotate("", xy=(0.5, 0.0), xycoords=boxes[consumer], xytext=(0.5, 1.0),
                    textcoords=boxes[source], zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": COLORS["grey"], "lw": 1.3})
    ax.set_title(title)
    ax.set_axis_off()


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
    """Left: ``f`` near ``x`` with autograd's tangent and the central-difference secant through
    ``x - h`` and ``x + h``. Right: the relative error of the central difference against ``h`` for
    float32 and float64, with the current ``h`` marked. Under the picture: both slopes as numbers.
    """

    width, height = 9.0, 3.6

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
        (self.tangent,) = ax.plot([], [], color=COLORS["green"], lw=1.5, label="tangent (autograd)")
        (self.secant,) = ax.plot([], [], color=COLORS["red"], lw=1.2, ls="--",
                                 label="secant (central difference)")
        (self.ends,) = ax.plot([], [], "o", color=COLORS["red"], ms=5)
        ax.set_xlabel("x")
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.set_ylim(-1.25, -0.25)  # the widest tick labels ("-1.25"), so the one layout pass leaves room
        # above the panel, where no line can cross it (the lines are drawn over the static picture)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8, handlelength=1.5,
                  columnspacing=1.0)
        ax = self.ax_error
        self.error_lines = {}
        for name, color in DTYPE_COLORS.items():
            (self.error_lines[name],) = ax.plot(STEPS, np.ones_like(STEPS), color=color,
                                                lw=1.5, label=name)
        ax.axvline(GRADCHECK_EPS, color=COLORS["grey"], ls=":", lw=1)
        ax.text(GRADCHECK_EPS * 1.3, 3e-17, "gradcheck's h", fontsize=8, color=COLORS["grey"])
        (self.marker,) = ax.plot([1e-3], [1.0], "o", markeredgecolor="black", ms=8, zorder=5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_log_ticks(ax.xaxis, [1e-12, 1e-9, 1e-6, 1e-3, 1.0])
        _plain_log_ticks(ax.yaxis, [1e-16, 1e-12, 1e-8, 1e-4, 1.0])
        ax.set_xlim(10.0 ** LOG10_STEPS[0], 1.0)
        ax.set_ylim(ERROR_FLOOR * 0.5, ERROR_CEILING * 2)
        ax.set_xlabel("step h")
        ax.set_ylabel("relative error")
        ax.set_title("central difference vs autograd", fontsize=10)
        ax.legend(loc="lower left", fontsize=8)
        # per frame: the lines, the marker and the left panel's ticks (its limits follow x and f);
        # the numbers are an HTML read-out (text is the slow part of a frame)
        self.animate(self.curve, self.tangent, self.secant, self.ends, self.ax_curve.xaxis,
                     self.ax_curve.yaxis, *self.error_lines.values(), self.marker)
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
        self.readout.value = (f"<b>{html.escape(function)}</b> at x = {x:g}, {dtype}: autograd "
                              f"<code>{exact:.6g}</code>, difference <code>{float(estimate[0]):.6g}</code>")
        return self._note(function, f, x, h, float(estimate[0]), exact, error, precision)

    def _draw_curve(self, f, x: float, h: float, slope_fd: float, slope_ad: float, precision) -> None:
        t = np.linspace(x - 1.2, x + 1.2, 161)
        with torch.no_grad():
            values = f(torch.from_numpy(t)).numpy()
            at = torch.tensor([x - h, x, x + h], dtype=precision)
            ends = f(at).to(torch.float64).numpy()
        self.curve.set_data(t, values)
        with np.errstate(invalid="ignore"):  # inf * 0 at x itself when the slope is infinite
            self.tangent.set_data(t, ends[1] + slope_ad * (t - x))
        middle = (ends[0] + ends[2]) / 2
        self.secant.set_data(t, middle + slope_fd * (t - x))
        self.ends.set_data([x - h, x + h], [ends[0], ends[2]])
        finite = values[np.isfinite(values)]
        low, high = (finite.min(), finite.max()) if finite.size else (-1.0, 1.0)
        margin = max(0.15 * (high - low), 0.1)
        self.ax_curve.set_xlim(t[0], t[-1])
        self.ax_curve.set_ylim(low - margin, high + margin)

    @staticmethod
    def _note(function, f, x, h, estimate, exact, error, precision) -> str | None:
        notes = []
        with torch.no_grad():
            value = float(f(torch.tensor(x, dtype=torch.float64)))
        if not math.isfinite(value):
            notes.append(f"{function} is undefined at x = {x:g} (f(x) = {value}); autograd still returns "
                         f"{exact:.6g}: a backward formula does not check the function's domain")
        elif not math.isfinite(exact):
            notes.append(f"the slope of {function} at x = {x:g} is {exact} (a vertical tangent): autograd "
                         "returns it as is, and no finite difference can match it")
        elif not math.isfinite(estimate):
            notes.append(f"the central difference is {estimate}: x - h = {x - h:.3g} leaves the domain "
                         f"of {function}")
        at = torch.tensor(x, dtype=precision)
        if bool(at + h == at) and bool(at - h == at):
            spacing = float(torch.finfo(precision).eps) * max(abs(x), 1.0)
            notes.append(f"h = {h:.0e} is below {str(precision)[6:]} resolution near x (spacing about "
                         f"{spacing:.1e}): x + h rounds to x, so the difference quotient is {estimate:g}")
        elif math.isfinite(estimate) and math.isfinite(exact) and error > 1e-2:
            best = float(torch.finfo(precision).eps) ** (1 / 3)
            cause = "truncation error: h is too large" if h > best else "rounding error: h is too small"
            notes.append(f"relative error {error:.0e} ({cause}; for {str(precision)[6:]} try h near {best:.0e})")
        return "; ".join(notes) or None


# --------------------------------------------------------------------------------------------------
# Exercise 1: df/dx with torch.autograd.grad


def f(x: torch.Tensor) -> torch.Tensor:
    """The exercise's function: f(x) = x1 * x2**2 + exp(x3) (0-based in code)."""
    return x[0] * x[1] ** 2 + torch.exp(x[2])


def _gradient_cases():
    return [
        (torch.tensor([1.0, 2.0, 0.0]),),
        (torch.tensor([-1.5, 0.5, 1.0]),),
        (torch.zeros(3),),
        (torch.tensor([0.3, -0.7, 2.0], dtype=torch.float64),),
        (torch.tensor([2.0, -1.0, 0.5], requires_grad=True),),  # an input that already requires grad
    ]


def _gradient_reference(x: torch.Tensor) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(f(x), x)
    return gradient


def _is_the_tuple(answer, x) -> bool:
    return isinstance(answer, tuple) and len(answer) == 1 and isinstance(answer[0], torch.Tensor)


def _is_f_itself(answer, x) -> bool:
    return isinstance(answer, torch.Tensor) and answer.dim() == 0


_NOT_IN_GRAPH = (
    "You differentiated with respect to a tensor that `f(x)` was not computed from. A slice such as "
    "`x[0]` is a *new* tensor made after the fact (a `SelectBackward0` node), and so is a copy made "
    "with `.clone()`, `torch.tensor(x)` or `.detach()`: the graph does not lead to it. Differentiate "
    "with respect to the very tensor you passed into `f`, and index the *gradient* if you need one entry."
)

gradient_of_f = Exercise(
    title="Exercise 1: df/dx with autograd.grad",
    reference=_gradient_reference,
    inputs=_gradient_cases,
    function=True,
    requires_grad=False,
    mistakes=[
        Mistake("returned the tuple",
                "You returned what `torch.autograd.grad` returns: a *tuple* with one gradient per input "
                "you asked about -- even when there is only one input. Return the tensor inside it.",
                test=_is_the_tuple),
        Mistake("returned f(x), not its gradient",
                "You returned a single number (shape `()`): that looks like the value of `f`, not its "
                "gradient. The gradient has one entry per entry of `x`.",
                test=_is_f_itself),
    ],
    error_hints=[
        ErrorHint(r"does not require grad and does not have a grad_fn",
                  "`f(x)` has no graph behind it: `x` did not require grad when `f(x)` was computed. "
                  "Make a tensor that requires grad *first* (for example `x = x.detach().requires_grad_()`), "
                  "then compute `f` from it, then call `torch.autograd.grad`.",
                  name="forgot requires_grad"),
        ErrorHint(r"appears to not have been used in the graph|One of the differentiated Tensors does not "
                  r"require grad",
                  _NOT_IN_GRAPH, name="a slice or a tensor not in the graph"),
    ],
    hints=[
        ("Three steps: (1) a version of `x` that requires grad, (2) compute `y = f(...)` from *that* "
        "tensor, (3) `torch.autograd.grad(y, ...)` with respect to the same tensor."),
        ("`x.detach().requires_grad_()` gives a fresh leaf that requires grad without changing the input. "
        "`torch.autograd.grad` returns a tuple: unpack it with `(g,) = ...` or take element `[0]`."),
    ],
    solution_text="""
def gradient_of_f(x):
    x = x.detach().requires_grad_()          # a leaf that autograd tracks (the input is untouched)
    y = f(x)                                 # the graph is recorded now
    (dy_dx,) = torch.autograd.grad(y, x)     # a tuple with one gradient per input
    return dy_dx
""",
    success="Right: a tensor of x's shape, computed by autograd and no longer part of a graph.",
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: the gradient of a squared error, derived by hand


def squared_error(w: torch.Tensor, x: torch.Tensor, t: float) -> torch.Tensor:
    """L(w) = (w . x - t)^2: the loss of a linear model on one example."""
    return (w @ x - t) ** 2


def _hand_cases():
    return [
        (torch.tensor([0.5, -1.0, 2.0]), torch.tensor([1.0, 2.0, -1.0]), 1.0),
        (torch.tensor([2.0, 1.0, 3.0]), torch.tensor([0.0, 1.0, 2.0]), 5.0),
        (torch.zeros(3), torch.tensor([3.0, -1.0, 0.5]), -2.0),
        (torch.tensor([0.1, 0.2], dtype=torch.float64), torch.tensor([4.0, -3.0], dtype=torch.float64), 0.5),
        (torch.ones(3), torch.tensor([1.0, 2.0, 3.0]), 6.0),  # a perfect fit: the gradient is zero
    ]


def _hand_reference(w, x, t):
    w = w.detach().clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(squared_error(w, x, t), w)
    return gradient


def _residual(w, x, t):
    return w @ x - t


def _outer_derivative_only(answer, w, x, t) -> bool:
    return (isinstance(answer, torch.Tensor) and answer.dim() == 0
            and torch.allclose(answer.detach().to(w.dtype), 2 * _residual(w, x, t)))


hand_gradient = Exercise(
    title="Exercise 2: a gradient by hand",
    reference=_hand_reference,
    inputs=_hand_cases,
    function=True,
    requires_grad=False,
    mistakes=[
        Mistake("sign flipped",
                "Right size, wrong direction: every entry has the opposite sign. Check the order inside "
                "the bracket -- the derivative of `(u - t)**2` with respect to `u` is positive when `u > t`.",
                wrong=lambda w, x, t: 2 * (t - w @ x) * x),
        Mistake("factor of 2 missing",
                "Right direction, half the size: the power rule brings down a factor from the square.",
                wrong=lambda w, x, t: (w @ x - t) * x),
        Mistake("extra factor of 2",
                "Right direction, twice the size: the square contributes its factor only once.",
                wrong=lambda w, x, t: 4 * (w @ x - t) * x),
        Mistake("forgot the inner derivative",
                "You returned one number: the derivative of the square with respect to its bracket. "
                "The chain rule still needs the derivative of the bracket `w @ x - t` with respect to "
                "each `w_i`, which makes the answer a vector of `w`'s shape.",
                test=_outer_derivative_only),
        Mistake("derivative with respect to x, not w",
                "Your vector is proportional to `w`: that is the derivative with respect to `x`. "
                "Here `x` and `t` are data; differentiate with respect to the weights `w`.",
                wrong=lambda w, x, t: 2 * (w @ x - t) * w),
    ],
    hints=[
        ("Name the bracket: `u = w @ x - t`, so `L = u**2`. The chain rule gives "
        "dL/dw_i = (dL/du) * (du/dw_i)."),
        ("dL/du follows from the power rule. For du/dw_i, write `u = w_1 x_1 + w_2 x_2 + w_3 x_3 - t` "
        "and differentiate with respect to one `w_i` -- exactly the first example of this lesson."),
    ],
    solution_text="""
def hand_gradient(w, x, t):
    residual = w @ x - t          # u = w.x - t, one number
    return 2 * residual * x       # dL/dw = 2 u * du/dw = 2 (w.x - t) x, a vector like w
""",
    success="Your formula agrees with autograd at every test point: dL/dw = 2 (w.x - t) x.",
)


# --------------------------------------------------------------------------------------------------
# Exercise 3: one row of a Jacobian with grad_outputs

A = torch.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
X0 = torch.tensor([0.5, -0.5, 0.25])


def layer(x: torch.Tensor) -> torch.Tensor:
    """y = tanh(A x): two outputs from three inputs."""
    return torch.tanh(A @ x)


def _jacobian(x):
    return torch.autograd.functional.jacobian(layer, x.detach().clone())


jacobian_row = Exercise(
    title="Exercise 3: the gradient of y[1] with grad_outputs",
    reference=lambda: _jacobian(X0)[1],
    requires_grad=False,
    mistakes=[
        Mistake("summed both outputs",
                "That is the gradient of `y[0] + y[1]`: a vector of ones as `grad_outputs` weights every "
                "output equally. Choose a vector that keeps only the output you want.",
                wrong=lambda: _jacobian(X0).sum(dim=0)),
        Mistake("took y[0] instead of y[1]",
                "That is the gradient of the *first* output. Python counts from 0: `y[1]` is the second.",
                wrong=lambda: _jacobian(X0)[0]),
        Mistake("returned the tuple",
                "You have the tuple `torch.autograd.grad` returns; the answer is the tensor inside it.",
                test=lambda answer: isinstance(answer, tuple)),
        Mistake("a column of the Jacobian, not a row",
                "Your answer has one entry per *output*: that is a column of the Jacobian. The gradient "
                "of one output has one entry per *input* (the shape of `x`).",
                test=lambda answer: isinstance(answer, torch.Tensor) and tuple(answer.shape) == (2,)),
    ],
    hints=[
        ("`torch.autograd.grad(y, x, grad_outputs=v)` returns v^T J = sum_i v_i * dy_i/dx. Which `v` "
        "leaves only the second output?"),
        "`v` has the shape of `y` (two entries). A one-hot vector selects one output; remember the tuple.",
    ],
    solution_text="""
x = lesson.X0.clone().requires_grad_()
y = lesson.layer(x)
(answer,) = torch.autograd.grad(y, x, grad_outputs=torch.tensor([0., 1.]))
""",
    success="Right: a one-hot grad_outputs picks one row of the Jacobian -- the gradient of one output.",
)
