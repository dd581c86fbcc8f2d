"""Lesson 1 -- activation functions: the pictures, explorer and exercises of notebooks/01_activations.ipynb.

The three hidden-layer activations of the lesson (sigmoid, tanh, ReLU), their closed-form derivatives,
one page of plots with the saturation regions shaded, the "beyond ReLU" picture (LeakyReLU, GELU, SiLU),
an instructor explorer (a point z0 with its value, derivative and tangent line) and, re-exported from
:mod:`lessonkit.activations_exercises`, the checked exercises (``sigmoid``, ``silu_prime``,
``predict_grad``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.colors import to_rgb
from matplotlib.ticker import MaxNLocator
from torch.nn import functional as F

from lessonkit.activations_exercises import (  # noqa: F401 -- the lesson's exercises, used as lesson.<name>
    PREDICT_CODE,
    naive_sigmoid,
    predict_grad,
    sigmoid,
    silu_derivative,
    silu_prime,
)
from lessonkit.figures import COLORS, ink, new_figure
from lessonkit.i18n import _
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

# float32's exp overflows to inf from here on (ln of the largest float32, 3.4e38): exp(88.72) is finite
EXP_OVERFLOW = 88.72284

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

    Grey bands ("saturated"): |f'(z)| < 0.01, where the gradient all but vanishes. Red band: ReLU's
    z < 0, where its gradient is exactly 0. Dotted line and bottom titles: the largest slope of each.
    """
    fig, axes = new_figure(2, 3, width=9.0, height=4.6, sharex=True)
    z = torch.linspace(low, high, points)
    for column, activation in enumerate(ACTIVATIONS.values()):
        values = activation.function(z).numpy()
        slope = autograd_derivative(activation.function, z).numpy()
        top, bottom = axes[0, column], axes[1, column]
        top.plot(z.numpy(), values, color=activation.color, linewidth=2)
        bottom.plot(z.numpy(), slope, color=activation.color, linewidth=2)
        top.set_title(f"${activation.symbol}(z)$")
        # TRANSLATORS: the whole title is set in mathtext, which has no CJK glyphs: no Chinese characters
        # or full-width punctuation here ("max" reads as the maths abbreviation)
        bottom.set_title(_("{symbol}, max {value}").format(symbol=f"${activation.symbol}'(z)$",
                                                            value=f"{slope.max():.2g}"))
        bottom.set_xlabel("$z$")
        bottom.axhline(float(slope.max()), color=COLORS["grey"], linestyle=":", linewidth=1)
        _shade_flat_regions(top, bottom, z.numpy(), slope, activation)
    _mark_relu_kink(axes[1, 2])
    axes[0, 0].set_ylabel(_("value"))
    axes[1, 0].set_ylabel(_("derivative"))
    return fig


def _mark_relu_kink(ax) -> None:
    """At z = 0 ReLU' jumps from 0 to 1; PyTorch's value there is 0 (filled dot), not 1 (open dot)."""
    ax.plot([0], [1], "o", markerfacecolor="white", markeredgecolor=ACTIVATIONS["relu"].color, zorder=4)
    ax.plot([0], [0], "o", color=ACTIVATIONS["relu"].color, zorder=4)
    ax.annotate("PyTorch: ReLU\u2032(0) = 0", (0, 0), xytext=(8, 10), textcoords="offset points", fontsize=9)


BAND_ALPHA = 0.15


def _band_background(color: str, alpha: float = BAND_ALPHA) -> tuple[float, float, float]:
    """The colour of a translucent band over white: what text drawn on the band sits on."""
    rgb = np.array(to_rgb(color))
    return tuple(alpha * rgb + (1 - alpha) * np.ones(3))


def _shade_flat_regions(top, bottom, z: np.ndarray, slope: np.ndarray, activation: Activation) -> None:
    if activation.saturates:
        color, label = COLORS["grey"], _("saturated")
    else:
        color, label = COLORS["red"], _("slope exactly 0")
    for k, (start, end) in enumerate(flat_spans(z, slope)):
        for ax in (top, bottom):
            ax.axvspan(start, end, color=color, alpha=BAND_ALPHA, linewidth=0)
        if k == 0:
            bottom.text((start + end) / 2, 0.5, label, rotation=90, ha="center", va="center", fontsize=9,
                        color=ink(color, background=_band_background(color), ratio=5.0),
                        transform=bottom.get_xaxis_transform())


# --------------------------------------------------------------------------------------------------
# Beyond ReLU: LeakyReLU, GELU, SiLU (answers to dead ReLUs)

# the negative slope used in the picture: PyTorch's default 0.01 would be indistinguishable from 0
PICTURE_NEGATIVE_SLOPE = 0.1

BEYOND_RELU = {
    "ReLU": (F.relu, COLORS["grey"], "--"),
    "LeakyReLU": (
        lambda z: F.leaky_relu(z, negative_slope=PICTURE_NEGATIVE_SLOPE), COLORS["green"], "-"),
    "GELU": (F.gelu, COLORS["purple"], "-"),
    "SiLU": (F.silu, COLORS["orange"], "-"),
}


def _beyond_relu_label(name: str) -> str:
    """The legend entry of one of :data:`BEYOND_RELU` (LeakyReLU's names its slope)."""
    if name == "LeakyReLU":
        return _("LeakyReLU (slope {slope})").format(slope=f"{PICTURE_NEGATIVE_SLOPE:g}")
    return name


def plot_beyond_relu(low: float = -4.0, high: float = 4.0, points: int = 801):
    """Left: ReLU (dashed) and three answers to dead ReLUs. Right: their derivatives (from autograd).

    The shaded half is where ReLU's slope is exactly 0; the others keep a non-zero slope there
    (LeakyReLU everywhere, GELU and SiLU near 0, fading for very negative z).
    """
    fig, (left, right) = new_figure(1, 2, width=9.0, height=3.6)
    z = torch.linspace(low, high, points, dtype=torch.float64)
    for name, (function, color, style) in BEYOND_RELU.items():
        label = _beyond_relu_label(name)
        width = 1.5 if style == "--" else 2.2
        left.plot(z.numpy(), function(z).numpy(), color=color, linestyle=style, linewidth=width, label=label)
        right.plot(z.numpy(), autograd_derivative(function, z).numpy(), color=color, linestyle=style,
                   linewidth=width, label=label)
    for ax in (left, right):
        ax.axvspan(low, 0.0, color=COLORS["red"], alpha=0.08, linewidth=0)
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_xlabel("$z$")
    left.set_title(_("the functions"))
    right.set_title(_("their derivatives (autograd)"))
    right.text(low + 0.15, 0.55, _("ReLU\u2032 = 0 here:\na dead unit\nstops learning"), fontsize=12,
               color=ink(COLORS["red"], background=_band_background(COLORS["red"], 0.08), ratio=5.0),
               va="center")
    left.legend(loc="upper left", fontsize=11)
    return fig


# --------------------------------------------------------------------------------------------------
# The instructor explorer: value, derivative and tangent at a point z0


class TangentExplorer(Explorer):
    """Pick functions, drag z0: the tangent line at z0 (left) and the derivative curves (right).

    Controls: ``functions`` (any subset), ``z0``, ``low`` and ``high`` (the visible z range: two sliders,
    because a range slider's read-out is too narrow for "-100.0 - 100.0" and gets cut off) and ``naive`` (draw
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
                                                rows=3, description=_("functions")),
            "z0": widgets.FloatSlider(value=0.5, min=-10.0, max=10.0, step=0.05, description="z\u2080"),
            "low": widgets.FloatSlider(value=-6.0, min=-100.0, max=100.0, step=0.5, readout_format=".1f",
                                       description=_("z axis from"), style={"description_width": "initial"}),
            "high": widgets.FloatSlider(value=6.0, min=-100.0, max=100.0, step=0.5, readout_format=".1f",
                                        description=_("z axis to"), style={"description_width": "initial"}),
            "naive": widgets.Checkbox(value=False, description=_("sigmoid as exp(z)/(1+exp(z))")),
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
        self.ax_value.set_title(_("f(z), tangent at z\u2080"), fontsize=11, y=1.0)
        self.ax_slope.set_title("f\u2032(z)", fontsize=11, y=1.0)
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

    def update(self, functions, z0, low, high, naive):
        notes = []
        if low > high:
            low, high = high, low
            notes.append(_("'z axis from' is larger than 'z axis to': the two ends are swapped"))
        if high - low < 1e-9:
            low, high = low - 1.0, high + 1.0
            notes.append(_("the z-axis range is empty, so it is widened by 1 on each side"))
        if not functions:
            notes.append(_("no function selected: pick at least one (Ctrl/Shift-click selects several)"))
        if naive and "sigmoid" not in functions:
            notes.append(_("the exp(z)/(1+exp(z)) option changes sigmoid only, which is not selected"))
        elif naive and high < EXP_OVERFLOW:
            notes.append(_("exp(z)/(1+exp(z)) equals \u03c3(z) on this axis: it breaks down (inf/inf) only "
                           "for z \u2265 88.72284, so widen the z axis"))
        if not low <= z0 <= high:
            notes.append(_("z\u2080 = {z0} lies outside the z-axis range [{low}, {high}]").format(
                z0=f"{z0:g}", low=f"{low:g}", high=f"{high:g}"))
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
            self.redraw_background(key=limits)  # kept: going back to earlier limits pastes their axes
        self.readout.value = "<br>".join(lines)
        # TRANSLATORS: the separator between two notes shown in one line under the explorer
        return _("; ").join(notes) or None

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
        notes.append(_("exp(z)/(1+exp(z)) is inf/inf = NaN once exp(z) overflows float32 (z \u2265 88.72284): "
                       "{missing} of {total} points are NaN and not drawn").format(missing=missing, total=values.size))
    if not (math.isfinite(value) and math.isfinite(slope)):
        notes.append(_("{name} is NaN at z\u2080: no tangent").format(name=name))
    elif ACTIVATIONS[name].saturates and abs(slope) < SATURATION:
        notes.append(_("{name} saturates at z\u2080 = {z0}: slope {slope}, the gradient all but vanishes").format(
            name=name, z0=f"{z0:g}", slope=f"{slope:.1e}"))
    elif name == "relu" and z0 < 0:
        notes.append(_("ReLU is off for z\u2080 < 0: its gradient is exactly 0"))
    elif name == "relu" and z0 == 0:
        notes.append(_("ReLU has a kink at 0; PyTorch's gradient there is 0 (a valid subgradient)"))
    return notes


def _padded(numbers, default):
    finite = [float(v) for v in numbers if math.isfinite(float(v))]
    if not finite:
        return default
    low, high = min(finite), max(finite)
    span = max(high - low, 0.2)
    return low - 0.08 * span, high + 0.18 * span
