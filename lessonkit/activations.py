"""Lesson 1 -- activation functions: the pictures, explorer and exercises of notebooks/01_activations.ipynb.

The three hidden-layer activations of the lesson (sigmoid, tanh, ReLU), their closed-form derivatives,
one page of plots with the saturation regions shaded, an instructor explorer (a point z0 with its
value, derivative and tangent line) and two checked exercises (sigmoid, and its derivative).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from lessonkit.checks import ErrorHint, Exercise, Mistake, incorrect
from lessonkit.figures import COLORS, new_figure
from lessonkit.widgets import Explorer

# --------------------------------------------------------------------------------------------------
# The three activations and their closed-form derivatives


def sigmoid_derivative(z: torch.Tensor) -> torch.Tensor:
    """sigma'(z) = sigma(z) * (1 - sigma(z))."""
    s = torch.sigmoid(z)
    return s * (1 - s)


def tanh_derivative(z: torch.Tensor) -> torch.Tensor:
    """tanh'(z) = 1 - tanh(z)**2."""
    return 1 - torch.tanh(z) ** 2


def relu_derivative(z: torch.Tensor) -> torch.Tensor:
    """1 for z > 0, else 0 -- PyTorch's choice (0) at the kink z = 0 included."""
    return (z > 0).to(z.dtype)


def naive_sigmoid(z: torch.Tensor) -> torch.Tensor:
    """exp(z) / (1 + exp(z)): algebraically sigma(z), numerically inf/inf = NaN once exp(z) overflows."""
    return torch.exp(z) / (1 + torch.exp(z))


@dataclass(frozen=True)
class Activation:
    name: str
    function: Callable[[torch.Tensor], torch.Tensor]
    derivative: Callable[[torch.Tensor], torch.Tensor]
    symbol: str  # LaTeX for matplotlib's mathtext (static titles)
    plain: str  # the same in Unicode (text that changes on every render: mathtext is slow to parse)
    color: str
    saturates: bool  # does its gradient vanish for large |z| (both sides)?


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", torch.sigmoid, sigmoid_derivative, r"\sigma", "σ", COLORS["blue"], True),
    "tanh": Activation("tanh", torch.tanh, tanh_derivative, r"\tanh", "tanh", COLORS["orange"], True),
    "relu": Activation("relu", torch.relu, relu_derivative, r"\mathrm{ReLU}", "ReLU", COLORS["green"], False),
}

# |f'(z)| below this counts as "saturated" in the pictures (1 % of tanh's largest slope)
SATURATION = 0.01


def autograd_derivative(function: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor) -> torch.Tensor:
    """f'(z) element-wise, by autograd (the notebook shows this call; the pictures reuse it)."""
    z = z.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(function(z).sum(), z)
    return grad


def flat_spans(z: np.ndarray, slope: np.ndarray, threshold: float = SATURATION) -> list[tuple[float, float]]:
    """The intervals of ``z`` where ``|slope| < threshold`` (where the gradient has all but vanished)."""
    flat = np.abs(slope) < threshold
    spans, start = [], None
    for i, is_flat in enumerate(flat):
        if is_flat and start is None:
            start = i
        if start is not None and (not is_flat or i == len(flat) - 1):
            end = i if is_flat else i - 1
            spans.append((float(z[start]), float(z[end])))
            start = None
    return spans


# --------------------------------------------------------------------------------------------------
# The picture: the three functions (top) and their derivatives (bottom) on one page


def plot_activations(low: float = -6.0, high: float = 6.0, points: int = 601):
    """Top row: sigma, tanh, ReLU. Bottom row: their derivatives (from autograd).

    Grey bands: |f'(z)| < 0.01, the saturation regions where the gradient vanishes. Red band: ReLU's
    z < 0, where its gradient is exactly 0. Dotted line: the largest slope each function has.
    """
    fig, axes = new_figure(2, 3, width=9.0, height=5.2, sharex=True)
    z = torch.linspace(low, high, points)
    for column, activation in enumerate(ACTIVATIONS.values()):
        values = activation.function(z).numpy()
        slope = autograd_derivative(activation.function, z).numpy()
        top, bottom = axes[0, column], axes[1, column]
        top.plot(z.numpy(), values, color=activation.color, linewidth=2)
        bottom.plot(z.numpy(), slope, color=activation.color, linewidth=2)
        top.set_title(f"${activation.symbol}(z)$")
        bottom.set_title(f"${activation.symbol}'(z)$")
        bottom.set_xlabel("$z$")
        bottom.axhline(float(slope.max()), color=COLORS["grey"], linestyle=":", linewidth=1)
        bottom.annotate(f"max slope {slope.max():.2g}", (low, float(slope.max())), xytext=(2, -12),
                        textcoords="offset points", fontsize=8, color=COLORS["grey"])
        _shade_flat_regions(top, bottom, z.numpy(), slope, activation)
    _mark_relu_kink(axes[1, 2])
    axes[0, 0].set_ylabel("value")
    axes[1, 0].set_ylabel("derivative")
    return fig


def _mark_relu_kink(ax) -> None:
    """At z = 0 ReLU' jumps from 0 to 1; PyTorch's value there is 0 (filled dot), not 1 (open dot)."""
    ax.plot([0], [1], "o", markerfacecolor="white", markeredgecolor=ACTIVATIONS["relu"].color, zorder=4)
    ax.plot([0], [0], "o", color=ACTIVATIONS["relu"].color, zorder=4)
    ax.annotate("PyTorch: ReLU\u2032(0) = 0", (0, 0), xytext=(8, 10), textcoords="offset points", fontsize=8)


def _shade_flat_regions(top, bottom, z: np.ndarray, slope: np.ndarray, activation: Activation) -> None:
    if activation.saturates:
        color, label = COLORS["grey"], "saturated: |slope| < 0.01"
    else:
        color, label = COLORS["red"], "slope exactly 0"
    for k, (start, end) in enumerate(flat_spans(z, slope)):
        for ax in (top, bottom):
            ax.axvspan(start, end, color=color, alpha=0.15, linewidth=0)
        if k == 0:
            bottom.text((start + end) / 2, 0.5, label, rotation=90, ha="center", va="center", fontsize=8,
                        color=color, transform=bottom.get_xaxis_transform())


# --------------------------------------------------------------------------------------------------
# The instructor explorer: value, derivative and tangent at a point z0


class TangentExplorer(Explorer):
    """Pick functions, drag z0: the tangent line at z0 (left) and the derivative curves (right).

    Controls: ``functions`` (any subset), ``z0``, ``axis`` (the visible z range) and ``naive`` (draw
    sigmoid as exp(z)/(1+exp(z)) to watch it turn into NaN once exp(z) overflows float32). The values
    f(z0) and f'(z0) are shown as text under the picture (``explorer.readout``).

    Speed: the curves, tangents, points and z0 markers are animated (redrawn on each frame); the axes
    (ticks, labels, grid, titles) are the core's cached background, redrawn only when the limits
    change. Text is the slowest thing matplotlib draws here, so that background holds little of it --
    short titles, few ticks, no mathtext -- and the readout is HTML.
    """

    width = 7.5
    height = 3.3
    points = 400

    def __init__(self) -> None:
        self.readout = widgets.HTML()  # filled by the first update, which runs inside super().__init__
        super().__init__()

    def make_controls(self):
        return {
            "functions": widgets.SelectMultiple(options=list(ACTIVATIONS), value=("sigmoid", "relu"),
                                                rows=3, description="functions"),
            "z0": widgets.FloatSlider(value=0.5, min=-10.0, max=10.0, step=0.05, description="z\u2080"),
            "axis": widgets.FloatRangeSlider(value=(-6.0, 6.0), min=-100.0, max=100.0, step=0.5,
                                             description="z axis"),
            "naive": widgets.Checkbox(value=False, description="sigmoid as exp(z)/(1+exp(z))"),
        }

    def body(self):
        return widgets.VBox([self.image, self.readout])

    def draw(self, fig):
        # Fixed axes rectangles, with room for the tick labels of any limits the controls allow:
        # nothing for a layout engine to do.
        fig.set_layout_engine("none")
        self.ax_value = fig.add_axes((0.07, 0.15, 0.41, 0.75))
        self.ax_slope = fig.add_axes((0.57, 0.15, 0.41, 0.75))
        # Titles and labels at fixed places (where matplotlib would put them): otherwise each background
        # redraw measures every tick label again to place them, a third of its time.
        self.ax_value.set_title("f(z), tangent at z\u2080", fontsize=10, y=1.0)
        self.ax_slope.set_title("f\u2032(z)", fontsize=10, y=1.0)
        for ax in (self.ax_value, self.ax_slope):
            ax.set_xlabel("z")
            ax.xaxis.set_label_coords(0.5, -0.118)
            ax.yaxis.set_label_coords(-0.1, 0.5)  # no y label; pinned only to skip its placement
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.yaxis.set_major_locator(MaxNLocator(4))
        self.artists = {}
        for name, activation in ACTIVATIONS.items():
            color = activation.color
            self.artists[name] = {
                "curve": self.ax_value.plot([], [], color=color, linewidth=2)[0],
                "tangent": self.ax_value.plot([], [], color=color, linestyle="--", linewidth=1.2)[0],
                "point": self.ax_value.plot([], [], "o", color=color, markersize=6)[0],
                "slope": self.ax_slope.plot([], [], color=color, linewidth=2)[0],
                "slope_point": self.ax_slope.plot([], [], "o", color=color, markersize=6)[0],
            }
        self.markers = [ax.axvline(0.0, color=COLORS["grey"], linewidth=0.8, linestyle=":")
                        for ax in (self.ax_value, self.ax_slope)]
        self.animate(*self.markers, *(artist for parts in self.artists.values() for artist in parts.values()))
        self._limits = None

    def update(self, functions, z0, axis, naive):
        low, high = axis
        notes = []
        if high - low < 1e-9:
            low, high = low - 1.0, high + 1.0
            notes.append("the z-axis range is empty, so it is widened by 1 on each side")
        if not functions:
            notes.append("no function selected: pick at least one (Ctrl/Shift-click selects several)")
        if naive and "sigmoid" not in functions:
            notes.append("the exp(z)/(1+exp(z)) option changes sigmoid only, which is not selected")
        elif naive and high <= 88.7:
            notes.append("exp(z)/(1+exp(z)) equals \u03c3(z) on this axis: it breaks down (inf/inf) only "
                         "for z > 88.7, so widen the z axis")
        if not low <= z0 <= high:
            notes.append(f"z\u2080 = {z0:g} lies outside the z-axis range [{low:g}, {high:g}]")
        z = torch.linspace(low, high, self.points)
        value_range, slope_range, lines = [], [0.0], []
        for name, parts in self.artists.items():
            shown = name in functions
            for artist in parts.values():
                artist.set_visible(shown)
            if not shown:
                continue
            function = naive_sigmoid if (naive and name == "sigmoid") else ACTIVATIONS[name].function
            values, slopes, (value, slope) = _curves(function, z, z0)
            self._place(parts, z.numpy(), z0, values, slopes, value, slope)
            value_range += [values.min(initial=np.inf), values.max(initial=-np.inf)]
            slope_range += [slopes.max(initial=-np.inf)]
            lines.append(_readout_line(name, value, slope))
            notes += _notes_for(name, z0, value, slope, values)
        for marker in self.markers:
            marker.set_xdata([z0, z0])
        limits = ((low, high), _padded(value_range, default=(-1.0, 1.0)),
                  _padded(slope_range, default=(-0.05, 1.05)))
        if limits != self._limits:  # the axes are the static background: redraw it only when they move
            self._limits = limits
            for ax in (self.ax_value, self.ax_slope):
                ax.set_xlim(low, high)
            self.ax_value.set_ylim(*limits[1])
            self.ax_slope.set_ylim(*limits[2])
            self.redraw_background()
        self.readout.value = "<br>".join(lines)
        return "; ".join(notes) or None

    @staticmethod
    def _place(parts, zs, z0, values, slopes, value, slope):
        parts["curve"].set_data(zs, values)
        parts["slope"].set_data(zs, slopes)
        finite = math.isfinite(value) and math.isfinite(slope)
        parts["tangent"].set_data(zs, value + slope * (zs - z0) if finite else np.full_like(zs, np.nan))
        parts["point"].set_data([z0], [value])
        parts["slope_point"].set_data([z0], [slope])


def _curves(function, z: torch.Tensor, z0: float):
    """Values and autograd slopes on the grid ``z``, and (value, slope) at ``z0``."""
    values = function(z).numpy()
    slopes = autograd_derivative(function, z).numpy()
    point = torch.tensor([z0], dtype=torch.float32)
    return values, slopes, (function(point).item(), autograd_derivative(function, point).item())


def _readout_line(name: str, value: float, slope: float) -> str:
    activation = ACTIVATIONS[name]
    symbol = activation.plain
    return (f'<span style="color:{activation.color};font-family:monospace">{symbol}(z\u2080) = {value:.4g}'
            f" &nbsp; {symbol}\u2032(z\u2080) = {slope:.4g}</span>")


def _notes_for(name: str, z0: float, value: float, slope: float, values: np.ndarray) -> list[str]:
    notes = []
    missing = int(np.isnan(values).sum())
    if missing:
        notes.append(f"exp(z)/(1+exp(z)) is inf/inf = NaN once exp(z) overflows float32 (z > 88.7): "
                     f"{missing} of {values.size} points are NaN and not drawn")
    if not (math.isfinite(value) and math.isfinite(slope)):
        notes.append(f"{name} is NaN at z\u2080: no tangent")
    elif ACTIVATIONS[name].saturates and abs(slope) < SATURATION:
        notes.append(f"{name} saturates at z\u2080 = {z0:g}: slope {slope:.1e}, "
                     "the gradient all but vanishes")
    elif name == "relu" and z0 < 0:
        notes.append("ReLU is off for z\u2080 < 0: its gradient is exactly 0")
    elif name == "relu" and z0 == 0:
        notes.append("ReLU has a kink at 0; PyTorch's gradient there is 0 (a valid subgradient)")
    return notes


def _padded(numbers, default):
    finite = [float(v) for v in numbers if math.isfinite(float(v))]
    if not finite:
        return default
    low, high = min(finite), max(finite)
    span = max(high - low, 0.2)
    return low - 0.08 * span, high + 0.18 * span


# --------------------------------------------------------------------------------------------------
# Exercises 1 and 2: sigmoid and its derivative, written from the formulas


def _activation_cases():
    return [
        (torch.linspace(-1, 1, 6),),                        # the lesson's z
        (torch.tensor(2.0),),                               # a 0-d tensor
        (torch.tensor([-100.0, 100.0]),),                   # exp overflows float32 on one side
        (torch.tensor([-1000.0, 1000.0]),),
        (torch.tensor([[-3.0, 0.0, 3.0], [-0.5, 0.5, 8.0]]),),  # 2-D
        (torch.linspace(-5, 5, 11, dtype=torch.float64),),  # float64 stays float64
    ]


def _not_a_tensor(answer, z) -> bool:
    return isinstance(answer, (list, tuple, float, int)) or type(answer).__module__ == "numpy"


_SCALARS_ONLY = ErrorHint(
    r"only one element tensors can be converted to Python scalars|iteration over a 0-d tensor"
    r"|a Tensor with \d+ elements cannot be converted to Scalar",
    "Your function works on single numbers only (`math.exp`, `float(z)` or a Python loop). Use "
    "`torch.exp`, which works element-wise on a tensor of any shape, including 0-d.",
    name="works only for scalars")


def _names_used(function) -> set[str]:
    code = getattr(function, "__code__", None)
    names, stack = set(), [code] if code is not None else []
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(const for const in current.co_consts if hasattr(const, "co_names"))
    return names


def _no_builtin_sigmoid(answer):
    used = {name.lower() for name in _names_used(answer)}
    if used & {"sigmoid", "expit", "logistic"}:
        return incorrect("Your function calls PyTorch's own sigmoid. Here the point is to write it from "
                         "the formula with `torch.exp` (you will use the built-in everywhere else).",
                         mistake="calls the built-in sigmoid")
    return None


sigmoid = Exercise(
    title="Exercise 1: sigmoid from its formula",
    reference=torch.sigmoid,
    inputs=_activation_cases,
    function=True,
    pre_checks=[_no_builtin_sigmoid],
    mistakes=[
        Mistake("exp(z)/(1+exp(z)) overflows",
                "Right formula on paper, but for large positive z `exp(z)` overflows to `inf` and "
                "`inf / inf` is NaN. Rewrite it so the exponential can only become very *small* (or "
                "harmlessly infinite in a denominator): divide top and bottom by `exp(z)`.",
                wrong=naive_sigmoid),
        Mistake("sign error: 1/(1+exp(z))",
                "Sigmoid should *increase* with z, from near 0 for very negative z to near 1 for very "
                "positive z. Yours decreases: look at the sign in the exponent.",
                wrong=lambda z: 1 / (1 + torch.exp(z))),
        Mistake("returns a list or number, not a tensor",
                "Your function returns a Python list or number instead of a tensor. Keep the whole "
                "computation in tensor operations (`torch.exp`, `-z`, `1 + ...`, `/`): they work on "
                "every element at once and return a tensor of the same shape.",
                test=_not_a_tensor),
    ],
    error_hints=[_SCALARS_ONLY],
    hints=[
        (r"The formula is sigma(z) = 1 / (1 + e^(-z)). Which PyTorch function computes e^x for every "
        "element of a tensor?"),
        ("Write it as one tensor expression of `z` using `torch.exp`, `-z`, `1 +` and `/` -- no loop, "
        "no `math`, no `.item()`. Sanity check: it should rise from near 0 to near 1 as z grows."),
        ("`exp(z) / (1 + exp(z))` is the same function on paper but produces NaN for z > 88.7 in float32; "
        "the form with `exp(-z)` only ever overflows in the denominator, where `1 / inf = 0` is exactly "
        "the right limit."),
    ],
    solution_text="""
def sigmoid(z):
    return 1 / (1 + torch.exp(-z))

# For z = -1000, torch.exp(1000.) is inf and 1 / (1 + inf) = 0: the correct limit, no NaN.
# torch.sigmoid (what you would really use) is also stable and a little more accurate.
""",
    success="Element-wise, any shape, any dtype, and no NaN even at z = \u00b11000.",
)


sigmoid_prime = Exercise(
    title="Exercise 2: the derivative of sigmoid",
    reference=sigmoid_derivative,
    inputs=_activation_cases,
    function=True,
    mistakes=[
        Mistake("returned sigma instead of its derivative",
                "Your function returns sigmoid itself. Its derivative is small at both ends (the curve "
                "is flat there) and largest at z = 0: use the rule that writes the derivative in terms "
                "of the sigmoid's own value.",
                wrong=torch.sigmoid),
        Mistake("used the tanh rule 1 - sigma^2",
                "`1 - s**2` is the rule for tanh (tanh' = 1 - tanh^2). Sigmoid has its own rule in terms "
                "of s = sigma(z); differentiate 1 / (1 + e^(-z)) once and rewrite the result with s.",
                wrong=lambda z: 1 - torch.sigmoid(z) ** 2),
        Mistake("applied the rule to z, not sigma(z)",
                "You applied the rule to `z` itself. The rule is written in terms of s = sigma(z): "
                "compute s first, then combine s with 1 - s.",
                wrong=lambda z: z * (1 - z)),
        Mistake("e^(-z)/(1+e^(-z))^2 overflows",
                "That formula is mathematically right, but for large negative z `exp(-z)` is `inf` and "
                "`inf / inf` is NaN. Write the derivative in terms of sigma(z), which never overflows.",
                wrong=lambda z: torch.exp(-z) / (1 + torch.exp(-z)) ** 2),
        Mistake("used the naive exp(z)/(1+exp(z)) sigmoid",
                "Your rule looks right, but the sigmoid inside it is computed as exp(z)/(1+exp(z)), which "
                "is NaN for large positive z. Use a stable sigmoid (`torch.sigmoid`, or the form with "
                "exp(-z)).",
                wrong=lambda z: naive_sigmoid(z) * (1 - naive_sigmoid(z))),
        Mistake("returns a list or number, not a tensor",
                "Your function returns a Python list or number instead of a tensor. Use tensor "
                "operations only, so it works element-wise on any shape.",
                test=_not_a_tensor),
    ],
    error_hints=[_SCALARS_ONLY],
    hints=[
        ("Differentiate 1 / (1 + e^(-z)) with the chain rule, then try to write the result using only "
        "s = sigma(z). The derivative is largest at z = 0 and tiny for large |z|."),
        "The result has the form s * (something simple in s). You may use `torch.sigmoid` here.",
    ],
    solution_text="""
def sigmoid_prime(z):
    s = torch.sigmoid(z)
    return s * (1 - s)

# d/dz (1 + e^-z)^-1 = e^-z / (1 + e^-z)^2 = s * (1 - s), because 1 - s = e^-z / (1 + e^-z).
""",
    success="sigma' = sigma(1 - sigma): at most 1/4, and it never overflows.",
)
