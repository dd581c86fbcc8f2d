"""Lesson 4 -- softmax and its Jacobian: the pictures, explorer and exercises of
notebooks/04_softmax_jacobian.ipynb.

The notebook keeps the PyTorch calls it teaches (``torch.softmax``, ``torch.autograd.grad``,
``torch.autograd.functional.jacobian``, ``diag(p) - outer(p, p)``) visible; this module only draws
and checks.
"""

from __future__ import annotations

import inspect
import math
import re

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.patches import Rectangle

from lessonkit.checks import ErrorHint, Exercise, Mistake, incorrect
from lessonkit.figures import COLORS, heatmap, new_figure, update_heatmap
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
    names = [f"class {i}" for i in range(len(values))]
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
    _bar_panel(axes[0], z, "logits $z$", COLORS["grey"], "{:.1f}")
    _bar_panel(axes[1], exps, "exponentials $e^{z_i}$", COLORS["orange"], "{:.2f}")
    _bar_panel(axes[2], p, r"probabilities $p_i = e^{z_i}/\sum_j e^{z_j}$", COLORS["blue"])
    axes[0].set_ylabel("value")
    gap = (z[0] - z[1]).item()
    ratio = (p[0] / p[1]).item()
    fig.suptitle(f"a gap of {gap:.1f} between two logits becomes a ratio of $e^{{{gap:.1f}}}$ = {ratio:.3f}")
    return fig


# --------------------------------------------------------------------------------------------------
# Section 2: dim=0 or dim=1 -- which entries sum to one


def plot_sum_directions(logits) -> object:
    """softmax(logits, dim=0) next to softmax(logits, dim=1): each boxed slice sums to 1."""
    logits = torch.as_tensor(logits).detach()
    fig, axes = new_figure(1, 2, width=9.6, height=3.6)
    for ax, dim in zip(axes, (0, 1)):
        p = torch.softmax(logits, dim=dim)
        image, _ = heatmap(ax, _numpy(p), diverging=False, fmt="{:.2f}")
        image.set_cmap("Blues")
        image.set_clim(0, 1)
        rows, cols = p.shape
        for k, total in enumerate(p.sum(dim=dim).tolist()):
            if dim == 0:  # one box per column, its sum underneath
                corner, size, where = (k - 0.45, -0.45), (0.9, rows - 0.1), (k, rows - 0.35)
            else:         # one box per row, its sum on the right
                corner, size, where = (-0.45, k - 0.45), (cols - 0.1, 0.9), (cols - 0.35, k)
            ax.add_patch(Rectangle(corner, *size, fill=False, edgecolor=COLORS["red"], linewidth=2))
            ax.text(*where, f"sum\n{total:.2f}", ha="center" if dim == 0 else "left",
                    va="top" if dim == 0 else "center", color=COLORS["red"], fontsize=9)
        ax.set_xlim(-0.5, cols - 0.5 + (0.9 if dim == 1 else 0))
        ax.set_ylim(rows - 0.5 + (0.8 if dim == 0 else 0), -0.5)
        ax.set_title(f"torch.softmax(a, dim={dim}): each {'column' if dim == 0 else 'row'} sums to 1")
        ax.set_xlabel("column index")
        ax.set_ylabel("row index")
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


def plot_column_gradients(*gradients, columns=None) -> object:
    """One heatmap per gradient of ``a`` (as returned by autograd.grad), the non-zero column boxed."""
    colors = ["red", "blue", "green", "purple"]
    grads = [_numpy(g[0] if isinstance(g, tuple) else g) for g in gradients]
    limit = max(float(np.abs(g).max()) for g in grads) or 1.0
    fig, axes = new_figure(1, len(grads), width=4.8 * len(grads), height=3.2)
    axes = np.atleast_1d(axes)
    for k, (ax, grad) in enumerate(zip(axes, grads)):
        column = columns[k] if columns is not None else int(np.abs(grad).sum(axis=0).argmax())
        _matrix_panel(ax, grad, f"gradient of p[0, {column}] w.r.t. a", box_column=column,
                      box_color=colors[k % len(colors)], vmax=limit)
        ax.set_xlabel("column j of a (one sample each)")
        ax.set_ylabel("row i of a")
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
        ax.text(n - 0.35, i, f"row sum\n{round(float(total), 6) + 0.0:.3f}", va="center", ha="left",
                fontsize=8, color=COLORS["grey"])
    ax.set_xlim(-0.5, n + 0.6)
    ax.set_xlabel("$j$ (input logit $z_j$)")
    ax.set_ylabel("$i$ (output probability $p_i$)")
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
                      label="$e^z$ (exact)")
    left.axhline(torch.finfo(torch.float32).max, color=COLORS["red"], linestyle="--",
                 label="largest float32 ≈ 3.4e38")
    left.axvline(FLOAT32_EXP_LIMIT, color=COLORS["grey"], linestyle=":")
    left.text(FLOAT32_EXP_LIMIT + 2, 1e3, f"z = {FLOAT32_EXP_LIMIT:.2f}:\nexp(z) = inf", fontsize=9)
    left.set_xlabel("z")
    left.set_title("float32 exp overflows past z ≈ 88.7")
    left.legend(loc="upper left")
    right.plot(_numpy(c), _numpy(stable), color=COLORS["green"], linewidth=4, alpha=0.5,
               label="torch.softmax (max subtracted)")
    right.plot(_numpy(c), _numpy(naive), color=COLORS["red"], label="exp(z) / exp(z).sum()  (naive)")
    broken = ~torch.isclose(naive, stable)  # first the sum overflows (p = finite/inf = 0), then NaN
    if broken.any():
        first = c[broken][0].item()
        right.axvspan(first, c[-1].item(), color=COLORS["red"], alpha=0.1)
        right.text(first + 2, 0.45, "naive:\n0, then NaN", color=COLORS["red"], fontsize=9)
    right.set_ylim(0, 1)
    right.set_xlabel("offset c added to every logit")
    right.set_ylabel("$p_0$")
    right.set_title("same probabilities, until the naive formula breaks")
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
    some z/T exceeds about 88.7, or underflows to 0/0 when every z/T is below about -103.
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
                                             description="temperature T", style=style,
                                             layout=widgets.Layout(width="300px"))
        naive = widgets.Checkbox(value=False, description="naive exp(z/T)/sum (no max subtracted)",
                                 style=style, indent=False)
        return {**logits, "temperature": temperature, "naive": naive}

    def draw(self, fig):
        self.bars_ax, self.jac_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.1]})
        names = [f"p{i}" for i in range(self.classes)]
        uniform = [1 / self.classes] * self.classes
        self.bars = self.bars_ax.bar(names, uniform, color=COLORS["blue"], width=0.6)
        self.bar_labels = [self.bars_ax.text(k, 0, "", ha="center", va="bottom", fontsize=9)
                           for k in range(self.classes)]
        # Static artists sit below the animated bars (as they always looked here), so a full draw stacks
        # them exactly as the blitted frames do.
        self.bars_ax.set_axisbelow(True)
        self.bars_ax.axhline(1 / self.classes, color=COLORS["grey"], linestyle=":", linewidth=1, zorder=0.9)
        self.bars_ax.set_ylim(0, 1.12)
        self.bars_ax.set_title("p = softmax(z / T)")
        zero = np.zeros((self.classes, self.classes))
        self.jac_image, self.jac_texts = heatmap(self.jac_ax, zero, labels=[str(k) for k in range(3)],
                                                 fmt="{:+.3f}", vmax=JACOBIAN_LIMIT)
        self.jac_image.set_cmap(self.jac_image.get_cmap().with_extremes(bad="#dddddd"))  # NaN cells: grey
        self.jac_ax.set_title(r"Jacobian $\partial p_i / \partial u_j$ with $u = z/T$", fontsize=10)
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
            agree = ("the naive formula agrees with torch.softmax here: it breaks only once some z/T "
                     "exceeds 88.7 (or every z/T is below -103), so raise a logit or lower T")
            note = f"{note} ({agree})" if note else agree
        return note

    @staticmethod
    def _note(scaled: torch.Tensor, p: np.ndarray) -> str | None:
        if not np.isfinite(p).all():
            if scaled.max().item() > FLOAT32_EXP_LIMIT:
                return (f"NaN: the largest z/T is {scaled.max().item():.0f} > 88.7, so exp(z/T) overflowed "
                        "to inf and inf/inf = NaN. Subtract the max first (untick 'naive').")
            return (f"NaN: every z/T is below -103 (the largest is {scaled.max().item():.0f}), so every "
                    "exp(z/T) underflowed to 0 and 0/0 = NaN. Subtract the max first (untick 'naive').")
        if p.max() > 0.999:
            return (f"saturated: p is almost one-hot (max p = {p.max():.4f}), so every Jacobian entry "
                    "is ≈ 0 and almost no gradient flows back.")
        if p.max() - p.min() < 0.01:
            return "nearly uniform: at this temperature the logits barely matter (p ≈ 1/3 each)."
        return None


# --------------------------------------------------------------------------------------------------
# Exercise 1: implement a numerically stable softmax along a dimension


def _softmax_cases():
    generator = torch.Generator().manual_seed(4)
    masked = torch.tensor([[0.5, -float("inf"), 1.5], [2.0, 0.0, -float("inf")]])
    return [
        (torch.tensor([2.0, 1.0, 0.1]), 0),                            # the worked example
        (torch.rand(3, 4, generator=generator) * 3, 0),                  # columns are samples
        (torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0], [-1.0, 4.0, 2.0]]), 1),  # square: keepdim matters
        (torch.tensor([[4.0, 3.0, 2.0, 1.0], [3.0, 1.0, 4.0, 5.0]]), 1),  # rows are samples
        (torch.tensor([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -999.0]]), 1),  # over- and underflow
        (masked, 1),                                                     # masked logits (-inf -> p = 0)
    ]


def _softmax_reference(z: torch.Tensor, dim: int) -> torch.Tensor:
    return torch.softmax(z, dim=dim)


def _close(answer, expected) -> bool:
    return (isinstance(answer, torch.Tensor) and answer.shape == expected.shape
            and bool(torch.allclose(answer.detach().double(), expected.double(), rtol=1e-5, atol=1e-6,
                                    equal_nan=True)))


def _normalised_over_another_dim(answer, z, dim) -> bool:
    others = [d for d in range(z.dim()) if d != dim % z.dim()]
    return any(_close(answer, torch.softmax(z, dim=d)) for d in others)


def _normalised_over_everything(answer, z, dim) -> bool:
    return z.dim() > 1 and _close(answer, torch.exp(z) / torch.exp(z).sum())


def _forgot_keepdim(answer, z, dim) -> bool:
    """A reduction without keepdim=True broadcast against the wrong slices (silent on square inputs)."""
    if z.dim() < 2:
        return False
    shifted = torch.exp(z - z.amax(dim=dim, keepdim=True))
    wrongly_shifted = torch.exp(z - z.amax(dim=dim))
    candidates = []
    for numerator, keep in ((torch.exp(z), False), (shifted, False), (wrongly_shifted, True)):
        try:
            candidates.append(numerator / numerator.sum(dim=dim, keepdim=keep))
        except RuntimeError:  # shapes that do not broadcast: the learner's code raised instead
            pass
    return any(_close(answer, candidate) for candidate in candidates)


def _global_max_shift(z, dim):
    shifted = torch.exp(z - z.max())
    return shifted / shifted.sum(dim=dim, keepdim=True)


_BUILTIN_SOFTMAX = re.compile(r"\.\s*(log_)?softmax\s*\(|\bSoftmax\s*\(")


def _uses_builtin_softmax(answer):
    try:
        source = inspect.getsource(answer)
    except (OSError, TypeError):
        return None
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    if _BUILTIN_SOFTMAX.search(code):
        return incorrect("Your function calls a built-in softmax. That gives the right numbers, but the "
                         "exercise is to build it from `torch.exp`, a max and a sum, so you know what "
                         "the built-in does for you.", mistake="calls the built-in softmax")
    return None


stable_softmax = Exercise(
    title="Exercise 1: a numerically stable softmax",
    reference=_softmax_reference,
    inputs=_softmax_cases,
    function=True,
    pre_checks=[_uses_builtin_softmax],
    mistakes=[
        Mistake("wrong dim",
                "Each slice along *another* dimension sums to 1. `dim` names the axis that is summed "
                "over: with `dim=0` every column is one sample, with `dim=1` every row. Use the `dim` "
                "argument in every reduction.",
                test=_normalised_over_another_dim),
        Mistake("summed over the whole tensor",
                "Your probabilities sum to 1 over the *whole* tensor, not within each sample. Pass "
                "`dim=dim` (and `keepdim=True`) to the sum.",
                test=_normalised_over_everything),
        Mistake("no max-subtraction",
                "Your formula is right on paper but returns NaN for large logits: `exp(1000.)` is "
                "inf in float32, and `exp(-1000.)` is 0, so you divide inf by inf or 0 by 0. Shift "
                "the logits of each sample before exponentiating; the result does not change.",
                wrong=naive_softmax),
        Mistake("subtracted the max of the whole tensor",
                "Shifting is the right idea, but you subtracted one max for the whole tensor. A "
                "sample whose logits are all far below that max underflows to 0/0. Subtract each "
                "sample's own max (`max` along `dim`, with `keepdim=True`).",
                wrong=_global_max_shift),
        Mistake("returns log-probabilities",
                "Your values are negative: these are log-probabilities (what `log_softmax` returns). "
                "Softmax returns probabilities, each between 0 and 1.",
                wrong=lambda z, dim: torch.log_softmax(z, dim=dim)),
        Mistake("forgot keepdim=True",
                "Without `keepdim=True` a reduction along `dim` (the max or the sum) loses that "
                "dimension, and broadcasting then lines its results up with the wrong slices of `z` "
                "(on a square input, silently). Keep the dimension.",
                test=_forgot_keepdim),
    ],
    error_hints=[
        ErrorHint(r"unsupported operand type.*return_types\.max|return_types\.max",
                  "`z.max(dim=...)` returns a pair (values, indices). Take `.values` (or use "
                  "`torch.amax`).", name="used the (values, indices) pair of max"),
        ErrorHint(r"must match the size of tensor b",
                  "The sum has one dimension fewer than `z`, so it does not broadcast back. Pass "
                  "`keepdim=True` to the reductions.", name="forgot keepdim=True"),
    ],
    hints=[
        ("Start from the definition p_i = exp(z_i) / sum_j exp(z_j), computed along `dim` only "
         "(`.sum(dim=dim, keepdim=True)`). Check it on the first cases; the large-logit case will "
         "still fail."),
        ("Softmax does not change when you subtract the same number from every logit of a sample. "
         "Which number makes the largest exponent exactly exp(0) = 1, so nothing can overflow?"),
        ("`z.max(dim=dim, keepdim=True).values` (or `torch.amax(z, dim=dim, keepdim=True)`) gives each "
         "sample's largest logit, shaped to broadcast against `z`."),
    ],
    solution_text="""
def stable_softmax(z, dim):
    shifted = z - z.max(dim=dim, keepdim=True).values   # each sample's largest logit becomes 0
    e = torch.exp(shifted)                             # every value in (0, 1]: no overflow
    return e / e.sum(dim=dim, keepdim=True)            # the sum is at least 1: no 0/0
""",
    success="Each sample sums to 1, and large or masked logits give finite probabilities.",
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: the Jacobian of softmax from p


def _jacobian_cases():
    generator = torch.Generator().manual_seed(5)
    return [
        (torch.softmax(torch.tensor([2.0, 1.0, 0.1]), dim=0),),
        (torch.softmax(torch.randn(5, generator=generator), dim=0),),
        (torch.tensor([0.5, 0.5]),),
        (torch.tensor([0.97, 0.01, 0.01, 0.01]),),
    ]


def _jacobian_reference(p: torch.Tensor) -> torch.Tensor:
    return torch.diag(p) - torch.outer(p, p)


def _only_diagonal(answer, p) -> bool:
    if not (isinstance(answer, torch.Tensor) and answer.shape == (len(p), len(p))):
        return False
    off_diagonal = answer - torch.diag(torch.diagonal(answer))
    return bool(torch.all(off_diagonal == 0)) and bool((p > 0).sum() > 1)


def _outer_only(answer, p) -> bool:
    outer = torch.outer(p, p)
    return _close(answer, outer) or _close(answer, -outer)


jacobian_from_p = Exercise(
    title="Exercise 2: the softmax Jacobian from p",
    reference=_jacobian_reference,
    inputs=_jacobian_cases,
    function=True,
    mistakes=[
        Mistake("sign-flipped",
                "Every entry has the wrong sign. Raising z_i raises p_i, so the diagonal must be "
                "positive; it lowers the other probabilities, so the off-diagonal is negative. "
                "(Transposing would not matter: this Jacobian is symmetric.)",
                wrong=lambda p: torch.outer(p, p) - torch.diag(p)),
        Mistake("only the diagonal",
                "Only your diagonal is filled in. p_i depends on *every* logit through the "
                "denominator, so the off-diagonal entries (i != j) are not zero.",
                test=_only_diagonal),
        Mistake("p pᵀ without the diag term",
                "You have the outer-product part only. The delta_ij term of p_i(delta_ij - p_j) adds "
                "p_i on the diagonal: build a diagonal matrix from p and combine the two.",
                test=_outer_only),
        Mistake("inner product instead of outer product",
                "For a 1-D tensor `p.T` is `p` itself, so `p @ p.T` is a single number (the dot "
                "product), which then broadcasts. You need the n x n matrix of all products p_i p_j.",
                wrong=lambda p: torch.diag(p) - p.dot(p)),
    ],
    error_hints=[
        ErrorHint(r"self must be a matrix|mat2 must be a matrix|arguments to matmul need to be at least 1D",
                  "`torch.mm` needs 2-D matrices, and `p` is 1-D. `torch.outer(p, p)` (or "
                  "`p[:, None] * p[None, :]`) makes the n x n matrix of products.",
                  name="matrix product of 1-D tensors"),
    ],
    hints=[
        ("Write the entry formula for i = j and for i != j separately, then notice both fit "
         "p_i (delta_ij - p_j), where delta_ij is 1 on the diagonal and 0 elsewhere."),
        ("The delta_ij p_i part is a diagonal matrix made from p; the p_i p_j part is the matrix of all "
         "products of two entries of p (an outer product, not a dot product)."),
        ("`torch.diag(v)` builds a diagonal matrix from a 1-D tensor; `torch.outer(u, v)` builds the "
         "matrix of all products u_i v_j."),
    ],
    solution_text="""
def jacobian_from_p(p):
    return torch.diag(p) - torch.outer(p, p)    # J_ij = p_i (delta_ij - p_j)
""",
    success="Symmetric, positive diagonal, negative off-diagonal, rows summing to zero: "
            "the softmax Jacobian.",
)
