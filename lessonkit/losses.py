"""Lesson 5 -- loss functions: the pictures, explorer and exercises of notebooks/05_losses.ipynb.

MSE, binary cross-entropy (and why ``BCEWithLogitsLoss`` is the stable choice), multi-class
cross-entropy (``log_softmax`` + ``nll_loss``). The notebook shows every loss call it teaches; this
module only draws and checks.
"""

from __future__ import annotations

import inspect
import math

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from lessonkit.checks import ErrorHint, Exercise, Mistake, incorrect
from lessonkit.figures import COLORS, heatmap, new_figure
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
    "by hand: -[y log p + (1-y) log(1-p)]": (_bce_by_hand, COLORS["red"], ":"),
    "MSE: (sigmoid(z) - y)^2": (_mse_on_sigmoid, COLORS["green"], "-."),
}


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
        f"input (prediction) {tuple(prediction.shape)}": prediction,
        f"target {tuple(target.shape)}": target,
        f"squared errors {tuple(squared.shape)}\nmean = {squared.mean().item():.4g}": squared,
    }
    top = 1.4 * max(float(v.abs().max()) for v in panels.values()) or 1.0
    fig, axes = new_figure(1, 3, width=8.4, height=3.2)
    for ax, (title, values) in zip(axes, panels.items(), strict=True):
        image, _ = heatmap(ax, _as_matrix(values), diverging=False, fmt="{:g}")
        image.set_cmap("Oranges")
        image.set_clim(0, top)   # one colour scale for the three panels
        ax.set_title(title)
    if squared.shape not in (prediction.shape, target.shape):   # broadcasting made a bigger table
        for i in range(min(squared.shape[-2:])):
            axes[2].add_patch(Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, lw=2.5, ec=COLORS["blue"]))
        axes[2].set_xlabel("only the outlined cells pair a prediction\nwith its own label", fontsize=9)
    return fig


def plot_bce_curves():
    """BCE and dBCE/dp as the prediction p moves from 0 to 1, for y = 1 and y = 0."""
    p = np.linspace(0.005, 0.995, 397)
    curves, slopes = {}, {}
    for y, color in ((1.0, COLORS["blue"]), (0.0, COLORS["orange"])):
        label = f"y = {y:g}: " + ("-log p" if y else "-log(1 - p)")
        loss, grad = loss_and_gradient(
            lambda q, y=y: F.binary_cross_entropy(q, torch.full_like(q, y), reduction="none"), p)
        curves[label] = (loss, color, "-")
        slopes[label] = (grad, color, "-")
    fig, (left, right) = new_figure(1, 2, width=9.0, height=3.6)
    draw_curves(left, p, curves, xlabel="prediction p", ylabel="loss", title="BCE loss")
    draw_curves(right, p, slopes, xlabel="prediction p", ylabel="dL/dp",
                title="its gradient: -1/p and 1/(1 - p)", ylim=(-25, 25))
    left.legend(loc="upper center")
    return fig


def plot_mse_vs_cross_entropy(y: float = 1.0):
    """MSE on sigmoid(z) vs cross-entropy, and their gradients with respect to the logit z."""
    z = np.linspace(-8, 8, 321)
    chosen = ["BCEWithLogitsLoss(z, y)", "MSE: (sigmoid(z) - y)^2"]
    curves, slopes = {}, {}
    for name in chosen:
        factory, color, _ = LOGIT_LOSSES[name]
        loss, grad = loss_and_gradient(factory(y), z)
        label = "cross-entropy" if name.startswith("BCE") else "MSE"
        curves[label], slopes[label] = (loss, color, "-"), (grad, color, "-")
    fig, (left, right) = new_figure(1, 2, width=9.0, height=3.6)
    draw_curves(left, z, curves, xlabel="logit z", ylabel="loss", title=f"Loss for label y = {y:g}")
    draw_curves(right, z, slopes, xlabel="logit z", ylabel="dL/dz", title="Gradient with respect to z")
    left.legend(loc="upper center")
    for ax in (left, right):
        ax.axvspan(-8, -3, color=COLORS["grey"], alpha=0.12, lw=0)
    right.annotate("confidently wrong,\nyet MSE's\ngradient ≈ 0", (-5.5, -0.55), ha="center", fontsize=9)
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
        ax.set_xlabel("class")
        p = probabilities[i, target[i]].item()
        ax.set_title(f"sample {i}: target {target[i].item()}\n-log p = {-math.log(p):.4f}")
    axes[0].set_ylabel("softmax probability")
    axes[0].set_ylim(0, 1)
    return fig


# --------------------------------------------------------------------------------------------------
# Explorer: a logit slider, every binary loss and its gradient live


SHORT_NAMES = dict(zip(LOGIT_LOSSES, ["with logits", "BCELoss", "by hand", "MSE"], strict=True))
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
            "z": widgets.FloatSlider(value=2.0, min=-120.0, max=120.0, step=0.1, description="logit z",
                                     layout=widgets.Layout(width="440px")),
            "y": widgets.ToggleButtons(options=[("y = 1", 1.0), ("y = 0", 0.0)], value=1.0,
                                       description="label"),
        }

    def draw(self, fig):
        # (y, window) -> {name: (z, loss, grad)} and the top of the loss axis
        self.curves, self.tops = {}, {}
        for window in self.WINDOWS:
            z = np.linspace(-window, window, 481)
            for y in (1.0, 0.0):
                curves = {name: (z, *loss_and_gradient(factory(y), z))
                          for name, (factory, _, _) in LOGIT_LOSSES.items()}
                self.curves[(y, window)] = curves
                self.tops[(y, window)] = 1.08 * _finite_max(*(loss for _, loss, _ in curves.values()))
        self.loss_ax, self.grad_ax = fig.subplots(1, 2)
        self.loss_lines, self.grad_lines = {}, {}
        for name, (_, color, style) in LOGIT_LOSSES.items():
            (self.loss_lines[name],) = self.loss_ax.plot([], [], style, color=color, lw=1.8)
            (self.grad_lines[name],) = self.grad_ax.plot([], [], style, color=color, lw=1.8)
        # few tick labels (what a change of limits redraws): at most 8 integers, not 10 in the -40..40 view
        self.loss_ax.yaxis.set_major_locator(MaxNLocator(7, steps=[1, 2, 5, 10]))
        self.loss_ax.set(xlabel="logit z", ylabel="loss")
        self.grad_ax.set(xlabel="logit z", ylabel="dL/dz", ylim=(-1.15, 1.15), yticks=(-1, 0, 1))
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
                     for rank, (name, (_, color, _)) in enumerate(LOGIT_LOSSES.items())
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
                  for name, (factory, _, _) in LOGIT_LOSSES.items()}
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
        f'vertical-align:middle"></span> {SHORT_NAMES[name]}</td>'
        f'<td style="text-align:right">{loss:.5g}</td><td style="text-align:right">{grad:.3g}</td></tr>'
        for name, (_, color, style) in LOGIT_LOSSES.items() for loss, grad in [values[name]])
    return (f'<div style="font-family:monospace;font-size:12px"><b>z = {z:+.1f}, y = {y:g}</b><br>'
            f"p = sigmoid(z) = {p:.6g} (float32)<br>"
            '<table style="margin-top:4px"><tr><th></th><th>loss</th><th>dL/dz</th></tr>'
            f"{rows}</table></div>")


def _loss_note(z: float, values) -> str | None:
    """What is noteworthy at this logit: inf/NaN, the -100 clamp, a vanished or saturated gradient."""
    exact_loss, exact_grad = values["BCEWithLogitsLoss(z, y)"]
    bce_loss, bce_grad = values["BCELoss(sigmoid(z), y)"]
    hand_loss, hand_grad = values["by hand: -[y log p + (1-y) log(1-p)]"]
    mse_grad = values["MSE: (sigmoid(z) - y)^2"][1]
    notes = []
    if not (np.isfinite(hand_loss) and np.isfinite(hand_grad)):
        p = torch.sigmoid(torch.tensor(z)).item()
        notes.append(f"sigmoid(z) is exactly {p:g} in float32, so the formula by hand gives "
                     f"loss {hand_loss:g}, gradient {hand_grad:g}")
    if bce_loss == 100.0 and exact_loss != 100.0:
        notes.append(f"BCELoss clamps log at -100: loss 100 instead of {exact_loss:.4g}")
    elif abs(bce_loss - exact_loss) > 1e-3 * max(1.0, exact_loss):
        notes.append(f"BCELoss is off ({bce_loss:.5g} instead of {exact_loss:.5g}): p is too close to 1 "
                     "for float32")
    if abs(exact_grad) > 0.01 and abs(bce_grad) < 0.5 * abs(exact_grad):
        notes.append(f"sigmoid + BCELoss gradient vanished ({bce_grad:.2g} instead of {exact_grad:.2g})")
    if abs(exact_grad) > 0.9 and abs(mse_grad) < 0.01:
        notes.append(f"MSE saturated: the prediction is wrong, yet its gradient is only {mse_grad:.2g}")
    return "; ".join(notes) or None


# --------------------------------------------------------------------------------------------------
# Exercise 1: binary cross-entropy from its definition


def _bce_cases():
    generator = torch.Generator().manual_seed(5)
    return [
        (torch.sigmoid(torch.rand(4, 1, generator=generator)), torch.tensor([[1.], [0.], [1.], [0.]])),
        (torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1., 0., 0.])),
        (torch.rand(2, 3, generator=generator) * 0.98 + 0.01, torch.tensor([[1., 1., 0.], [0., 1., 0.]])),
        (torch.tensor([0.3, 0.8]), torch.tensor([0.25, 0.9])),          # soft labels: the formula still holds
        (torch.tensor([1e-6, 0.9999]), torch.tensor([1., 0.])),          # confident and wrong: large loss
    ]


def _bce_reference(p, y):
    return F.binary_cross_entropy(p, y)


def _bce_terms(p, y, log=torch.log):
    return y * log(p) + (1 - y) * log(1 - p)


def _wrong_log_base(answer, p, y) -> bool:
    if not isinstance(answer, torch.Tensor) or answer.shape != ():
        return False
    natural = -_bce_terms(p, y).mean()
    return any(torch.isclose(answer.detach().double(), (natural / math.log(base)).double(), rtol=1e-4)
               for base in (2, 10))


binary_cross_entropy = Exercise(
    title="Exercise 1: binary cross-entropy from its definition",
    reference=_bce_reference,
    inputs=_bce_cases,
    function=True,
    mistakes=[
        Mistake("sum instead of mean",
                "Your value grows with the number of predictions: you add the per-element losses up. "
                "The loss is their *average* (the 1/N in the formula).",
                wrong=lambda p, y: -_bce_terms(p, y).sum()),
        Mistake("missing minus sign",
                "Your loss is negative. The log of a probability is never positive, so the formula puts "
                "a minus sign in front to make the loss positive.",
                wrong=lambda p, y: _bce_terms(p, y).mean()),
        Mistake("swapped p and y",
                "Your loss is infinite or NaN although every prediction is strictly between 0 and 1: you "
                "take the log of the *labels* (log 0 = -inf). The log goes on the predictions p; the "
                "labels y are the weights in front of it.",
                wrong=lambda p, y: -(p * torch.log(y) + (1 - p) * torch.log(1 - y)).mean()),
        Mistake("swapped the two terms",
                "Your terms are paired with the wrong labels: a sample with y = 1 should be judged by "
                "log p (how much probability went to class 1), a sample with y = 0 by log(1 - p).",
                wrong=lambda p, y: -(y * torch.log(1 - p) + (1 - y) * torch.log(p)).mean()),
        Mistake("natural vs base-2 log",
                "Your value is the right one times a constant factor: you used a logarithm with another "
                "base. Cross-entropy in PyTorch uses the natural log (base e).",
                test=_wrong_log_base),
    ],
    error_hints=[
        ErrorHint(r"only one element tensors can be converted to Python scalars"
                  r"|must be real number, not Tensor",
                  "`math.log` works on one Python number only. Use the element-wise `torch.log` "
                  "(or the tensor method `.log()`).", name="math.log on a tensor"),
    ],
    hints=[
        ("Write one term per element: y times the log of p, plus (1 - y) times the log of (1 - p). "
        "Then combine the terms into a single number."),
        ("All in tensor operations, no loop: `torch.log` works element-wise. Mind the sign of the "
        "result and how the elements are combined (the formula has 1/N in front of the sum)."),
        ("Check yourself: for p = 0.5 and any hard label y, the loss must be log 2 = 0.693..., and your "
        "value must equal `F.binary_cross_entropy(p, y)` on the reference example."),
    ],
    solution_text="""
def binary_cross_entropy(p, y):
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()

# .mean() is 1/N times the sum over all N elements, whatever the shape
""",
    success=("Your BCE matches `F.binary_cross_entropy` (including soft labels and a confident wrong "
             "prediction)."),
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: multi-class cross-entropy from logits


def _ce_cases():
    generator = torch.Generator().manual_seed(11)
    return [
        (torch.tensor([[4., 3., 2., 1.], [3., 1., 4., 5.]]), torch.tensor([0, 2])),
        (torch.randn(3, 3, generator=generator) * 2, torch.tensor([2, 0, 1])),
        (torch.randn(1, 5, generator=generator), torch.tensor([4])),
        (torch.tensor([[0., 1000., -5.], [1000., 0., 0.]]), torch.tensor([0, 0])),   # target prob underflows
        (torch.tensor([[-1000., -1001., -1002.]]), torch.tensor([1])),              # exp underflows
    ]


def _ce_reference(logits, target):
    return F.cross_entropy(logits, target)


def _pick(log_probs, target):
    return log_probs[torch.arange(len(target)), target]


def _library_call(answer):
    try:
        source = inspect.getsource(answer)
    except (OSError, TypeError):
        return None
    if "cross_entropy(" in source or "CrossEntropyLoss" in source:
        return incorrect("You called PyTorch's cross-entropy. Build it from the formula instead: "
                         "log-probabilities from the logits, then the one for each sample's target class.",
                         mistake="called the library function")
    return None


cross_entropy_from_logits = Exercise(
    title="Exercise 2: multi-class cross-entropy from logits",
    reference=_ce_reference,
    inputs=_ce_cases,
    function=True,
    pre_checks=[_library_call],
    atol=1e-4,   # z - logsumexp(z) at |z| = 1000 is exact only to float32's spacing there (6e-5)
    mistakes=[
        Mistake("softmax applied twice",
                "Your function turns the logits into probabilities and then treats them like logits again "
                "(a second softmax hides inside the log-softmax). Start from the raw logits exactly once.",
                wrong=lambda z, t: F.cross_entropy(torch.softmax(z, dim=1), t)),
        Mistake("log(softmax) is unstable",
                "Your loss is infinite where a finite (large) loss is expected: the softmax of a very "
                "unlikely class underflows to 0 and its log is -inf. Compute the log-probabilities in one "
                "stable step (z minus the log-sum-exp of the row) instead of log(softmax(z)).",
                wrong=lambda z, t: -_pick(torch.log(torch.softmax(z, dim=1)), t).mean()),
        Mistake("exp overflows (no max subtraction)",
                "Your loss is NaN for large logits: `exp(1000)` overflows to inf and inf/inf is NaN. "
                "Subtract each row's maximum before exponentiating, or use a function that does it for you.",
                test=lambda answer, z, t: isinstance(answer, torch.Tensor)
                and bool(torch.isnan(answer).any()) and float(z.abs().max()) > 80),
        Mistake("one-hot vs index confusion",
                "`target` holds one class *index* per sample (shape (N,)), not a one-hot matrix. "
                "`log_probs[:, target]` picks whole columns for every sample; you need one entry per row: "
                "row i, column target[i].",
                wrong=lambda z, t: -torch.log_softmax(z, dim=1)[:, t].mean()),
        Mistake("sum instead of mean",
                "Your value grows with the number of samples: you add the per-sample losses up. "
                "`F.cross_entropy` averages them (reduction='mean').",
                wrong=lambda z, t: -_pick(torch.log_softmax(z, dim=1), t).sum()),
    ],
    error_hints=[
        ErrorHint(r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\) "
                  r"at non-singleton dimension 1",
                  "The shapes do not broadcast. `target` holds class *indices*, shape (N,), not a one-hot "
                  "(N, C) matrix, so it cannot multiply the (N, C) log-probabilities (use `F.one_hot`, or "
                  "pick row i, column target[i]). If you subtracted a per-row quantity, keep its dimension "
                  "with `keepdim=True`.", name="one-hot vs index confusion"),
        ErrorHint(r"Index tensor must have the same number of dimensions",
                  "`gather` needs an index with the same number of dimensions as the log-probabilities: "
                  "turn the (N,) target into (N, 1) with `target.unsqueeze(1)`.", name="gather index shape"),
        ErrorHint(r"out of bounds", "An index is out of range: the target indexes the *columns* (classes), "
                  "one per row (sample).", name="index out of bounds"),
    ],
    hints=[
        ("Two steps, as in the formula: log-probabilities log softmax(z) for every class, then for each "
        "sample the one of its target class, negated and averaged."),
        ("Stability matters: one test case has logits of 1000. `torch.log(torch.softmax(...))` is not "
        "enough; there is a function that computes the log-probabilities in one step, or use "
        "z - logsumexp(z) with `keepdim=True`."),
        ("To pick one entry per row, index with two tensors: the row numbers `torch.arange(N)` and the "
        "column numbers `target`. (Or `gather(1, target.unsqueeze(1))`.)"),
    ],
    solution_text="""
def cross_entropy_from_logits(logits, target):
    log_probs = torch.log_softmax(logits, dim=1)             # stable: z - logsumexp(z)
    picked = log_probs[torch.arange(len(target)), target]    # row i, column target[i]
    return -picked.mean()

# same thing, spelled out:
#   log_probs = logits - logits.logsumexp(dim=1, keepdim=True)
""",
    success="Your cross-entropy matches `F.cross_entropy`, even for logits of ±1000.",
)


# --------------------------------------------------------------------------------------------------
# Exercise 3: the gradient of cross-entropy with respect to the logits, by formula


def _ce_gradient_inputs():
    return (torch.tensor([[4., 3., 2., 1.], [3., 1., 4., 5.]]), torch.tensor([0, 2]))


def _ce_gradient_reference(logits, target):
    return (torch.softmax(logits, dim=1) - F.one_hot(target, logits.shape[1]).float()) / len(target)


def _ce_gradient_wrong(scale, sign=1.0, subtract=True):
    def wrong(logits, target):
        one_hot = F.one_hot(target, logits.shape[1]).float() if subtract else 0.0
        return sign * (torch.softmax(logits, dim=1) - one_hot) * scale(len(target))
    return wrong


cross_entropy_gradient = Exercise(
    title="Exercise 3: the gradient of cross-entropy, by formula",
    reference=_ce_gradient_reference,
    inputs=_ce_gradient_inputs,
    requires_grad=False,
    mistakes=[
        Mistake("forgot the 1/N of the mean",
                "Each entry is N times too large: the loss is the *mean* over the N samples, so every "
                "sample's gradient is divided by N.", wrong=_ce_gradient_wrong(lambda n: 1.0)),
        Mistake("sign flipped",
                "Your gradient points the wrong way: raising the target class's logit must *lower* the "
                "loss, so that entry of the gradient is negative.",
                wrong=_ce_gradient_wrong(lambda n: 1.0 / n, sign=-1.0)),
        Mistake("forgot the one-hot",
                "You have the softmax part, but the target class must be subtracted: the gradient is the "
                "predicted distribution minus the wanted one.",
                wrong=_ce_gradient_wrong(lambda n: 1.0 / n, subtract=False)),
    ],
    hints=[
        ("For one sample the gradient of -log softmax(z)[y] with respect to z is the predicted "
        "distribution minus the one-hot vector of the target."),
        ("`torch.softmax(z, dim=1)` gives the distributions and `F.one_hot(target, 4)` the one-hot rows "
        "(it is Long: make it float). Then remember how the mean over samples scales the gradient."),
    ],
    solution_text="""
grad = (torch.softmax(z, dim=1) - F.one_hot(target, 4).float()) / 2    # N = 2 samples
""",
    success="Exactly what autograd computes: (softmax(z) - onehot(y)) / N.",
)
