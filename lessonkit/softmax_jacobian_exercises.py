"""Lesson 4 -- the exercises of notebooks/04_softmax_jacobian.ipynb (re-exported by
:mod:`lessonkit.softmax_jacobian`).

1. ``stable_softmax``: softmax along any ``dim`` from exp, a max and a sum (the notebook shows the
   1-D shift only), without calling a built-in softmax;
2. ``log_softmax_jacobian``: the Jacobian of ``log_softmax`` (the notebook derives and computes the
   Jacobian of softmax itself), without autograd;
3. ``predict_temperature_jacobian``: predict entries of the Jacobian of softmax with a temperature.

Rules stated in the texts are enforced with :class:`~lessonkit.checks.Forbid` (observed calls, so a
docstring that mentions ``torch.softmax`` is fine and ``from torch.nn.functional import softmax as s``
is caught).
"""

from __future__ import annotations

import torch

from lessonkit.checks import ErrorHint, Exercise, Forbid, Mistake, Property, as_numbers
from lessonkit.i18n import N_, _


def _close(answer, expected, rtol=1e-5, atol=1e-6) -> bool:
    return (isinstance(answer, torch.Tensor) and answer.shape == expected.shape
            and bool(torch.allclose(answer.detach().double(), expected.double(), rtol=rtol, atol=atol,
                                    equal_nan=True)))


def _naive_softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return torch.exp(z) / torch.exp(z).sum(dim=dim, keepdim=True)


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


def _normalised_over_another_dim(answer, z, dim) -> bool:
    others = [d for d in range(z.dim()) if d != dim % z.dim()]
    return any(_close(answer, torch.softmax(z, dim=d)) for d in others)


def _normalised_over_everything(answer, z, dim) -> bool:
    if z.dim() < 2:
        return False
    return any(_close(answer, e / e.sum()) for e in (torch.exp(z), torch.exp(z - z.max())))


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


def _divided_by_max(answer, z, dim) -> bool:
    candidates = []
    for e in (torch.exp(z - z.amax(dim=dim, keepdim=True)), torch.exp(z)):
        candidates.append(e / e.amax(dim=dim, keepdim=True))
    return any(_close(answer, candidate) for candidate in candidates)


def _shifted_by_another_statistic(answer, z, dim) -> bool:
    """exp(z - c) / sum with c the mean or the min of each sample: right on paper, overflows in practice."""
    for shift in (z.mean(dim=dim, keepdim=True), z.amin(dim=dim, keepdim=True)):
        e = torch.exp(z - shift)
        if _close(answer, e / e.sum(dim=dim, keepdim=True)):
            return True
    return False


def _changed_large_logits(answer, z, dim) -> bool:
    """Finite probabilities summing to 1, wrong only where |z| is large: the logits were clamped/rescaled."""
    if not isinstance(answer, torch.Tensor) or answer.shape != z.shape or not answer.is_floating_point():
        return False
    finite_z = z[torch.isfinite(z)]
    if finite_z.numel() == 0 or float(finite_z.abs().max()) < 80:
        return False
    values = answer.detach().double()
    sums = values.sum(dim=dim)
    return bool(torch.isfinite(values).all()) and bool(torch.allclose(sums, torch.ones_like(sums), atol=1e-4))


def _other_base(answer, z, dim) -> bool:
    for base in (2.0, 10.0):
        e = torch.pow(base, z - z.amax(dim=dim, keepdim=True))
        if _close(answer, e / e.sum(dim=dim, keepdim=True)):
            return True
    return False


def _sums_to_one(got, z, dim) -> bool:
    if not isinstance(got, torch.Tensor) or got.shape != z.shape or not got.is_floating_point():
        return True
    sums = got.detach().double().sum(dim=dim)
    if not torch.isfinite(sums).all():
        return True   # NaN/inf: the stability diagnosis speaks first
    return bool(torch.allclose(sums, torch.ones_like(sums), atol=1e-4))


def _in_unit_interval(got, z, dim) -> bool:
    if not isinstance(got, torch.Tensor) or not got.is_floating_point():
        return True
    values = got.detach()
    values = values[torch.isfinite(values)]
    return bool(((values >= -1e-6) & (values <= 1 + 1e-6)).all())


stable_softmax = Exercise(
    title=N_("Exercise 1: a numerically stable softmax"),
    reference=_softmax_reference,
    inputs=_softmax_cases,
    function=True,
    check_dtype=False,   # a float64 result of the right value is right
    forbid=[
        Forbid(N_("calls a built-in softmax"),
               N_("Your function calls a built-in softmax (under whatever name). That gives the right numbers, "
                  "but the exercise is to build it from `torch.exp`, a max and a sum, so you know what the "
                  "built-in does for you."),
               functions=("softmax", "log_softmax", "softmin")),
    ],
    properties=[
        Property(N_("each sample sums to 1"),
                 N_("The probabilities of one sample (a slice along `dim`) do not add up to 1. Divide each "
                    "exponential by the *sum* over `dim`."),
                 _sums_to_one),
        Property(N_("probabilities lie in [0, 1]"),
                 N_("Some of your values lie outside [0, 1], so they are not probabilities."),
                 _in_unit_interval),
    ],
    mistakes=[
        Mistake(N_("wrong dim"),
                N_("Each slice along *another* dimension sums to 1. `dim` names the axis that is summed "
                   "over: with `dim=0` every column is one sample, with `dim=1` every row. Use the `dim` "
                   "argument in every reduction."),
                test=_normalised_over_another_dim),
        Mistake(N_("summed over the whole tensor"),
                N_("Your probabilities sum to 1 over the *whole* tensor, not within each sample. Pass "
                   "`dim=dim` (and `keepdim=True`) to the sum."),
                test=_normalised_over_everything),
        Mistake(N_("no max-subtraction"),
                N_("Your formula is right on paper but returns NaN for large logits: `exp(1000.)` is "
                   "inf in float32, and `exp(-1000.)` is 0, so you divide inf by inf or 0 by 0. Shift "
                   "the logits of each sample before exponentiating; the result does not change."),
                wrong=_naive_softmax),
        Mistake(N_("shifted by the mean or the min"),
                N_("Subtracting one number per sample is the right idea, but only the *max* makes the largest "
                   "exponent exactly e^0 = 1. Shifted by the mean or the min, a sample like [1000, 999, 998] still "
                   "overflows (or underflows to 0/0)."),
                test=_shifted_by_another_statistic),
        Mistake(N_("changed the large logits"),
                N_("Right except for the samples with large logits: clamping or rescaling the logits changes the "
                   "probabilities (softmax only sees differences, so [1000, 999, 998] must give the same as "
                   "[2, 1, 0]). Shift each sample by its own max instead; that changes nothing."),
                test=_changed_large_logits),
        Mistake(N_("another base than e"),
                N_("Your probabilities are built from powers of another base (e.g. `2 ** z`). Softmax uses "
                   "`torch.exp`."),
                test=_other_base),
        Mistake(N_("subtracted the max of the whole tensor"),
                N_("Shifting is the right idea, but you subtracted one max for the whole tensor. A "
                   "sample whose logits are all far below that max underflows to 0/0. Subtract each "
                   "sample's own max (`max` along `dim`, with `keepdim=True`)."),
                wrong=_global_max_shift),
        Mistake(N_("divided by the max instead of the sum"),
                N_("You divided by the largest exponential instead of the *sum* of the exponentials: the "
                   "largest entry of each sample comes out as exactly 1 and the sample sums to more than 1."),
                test=_divided_by_max),
        Mistake(N_("returns log-probabilities"),
                N_("Your values are negative: these are log-probabilities (what `log_softmax` returns). "
                   "Softmax returns probabilities, each between 0 and 1."),
                # log-probabilities near -1000 carry float32 rounding of ~1e-4
                test=lambda answer, z, dim: _close(answer, z - torch.logsumexp(z, dim=dim, keepdim=True),
                                                   rtol=1e-5, atol=2e-4)),
        Mistake(N_("forgot keepdim=True"),
                N_("Without `keepdim=True` a reduction along `dim` (the max or the sum) loses that "
                   "dimension, and broadcasting then lines its results up with the wrong slices of `z` "
                   "(on a square input, silently). Keep the dimension."),
                test=_forgot_keepdim),
    ],
    error_hints=[
        ErrorHint(r"unsupported operand type.*return_types\.max|return_types\.max",
                  N_("`z.max(dim=...)` returns a pair (values, indices). Take `.values` (or use "
                     "`torch.amax`)."), name=N_("used the (values, indices) pair of max")),
        ErrorHint(r"must match the size of tensor b",
                  N_("The max or the sum has one dimension fewer than `z`, so it does not broadcast back. Pass "
                     "`keepdim=True` to the reductions."), name=N_("forgot keepdim=True")),
    ],
    hints=[
        N_("Start from the definition p_i = exp(z_i) / sum_j exp(z_j), computed along `dim` only "
           "(`.sum(dim=dim, keepdim=True)`). Check it on the first cases; the large-logit case will "
           "still fail."),
        N_("Softmax does not change when you subtract the same number from every logit of a sample. "
           "Which number makes the largest exponent exactly exp(0) = 1, so nothing can overflow?"),
        N_("`z.max(dim=dim, keepdim=True).values` (or `torch.amax(z, dim=dim, keepdim=True)`) gives each "
           "sample's largest logit, shaped to broadcast against `z`."),
    ],
    solution_text=N_("""
def stable_softmax(z, dim):
    shifted = z - z.max(dim=dim, keepdim=True).values   # each sample's largest logit becomes 0
    e = torch.exp(shifted)                             # every value in (0, 1]: no overflow
    return e / e.sum(dim=dim, keepdim=True)            # the sum is at least 1: no 0/0
"""),
    key=("z.max(dim=dim, keepdim=True).values",),
    success=N_("Matches `torch.softmax` on every case, without calling a built-in softmax: 1-D and 2-D inputs, "
               "both dims, logits of ±1000 and masked (-inf) logits."),
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: the Jacobian of log_softmax, without autograd


def _log_softmax_jacobian_cases():
    generator = torch.Generator().manual_seed(5)
    return [
        (torch.tensor([2.0, 1.0, 0.1]),),
        (torch.randn(5, generator=generator),),
        (torch.tensor([0.0, 0.0]),),
        (torch.tensor([3.0, -1.0, 0.5, 2.0]),),
        (torch.tensor([10.0, -200.0, 0.0]),),    # p_1 underflows to 0: 1/p is inf
        (torch.tensor([100.0, 99.0, -50.0]),),   # exp(100) overflows float32
    ]


def _log_softmax_jacobian_reference(z: torch.Tensor) -> torch.Tensor:
    p = torch.softmax(z, dim=0)
    return torch.eye(len(z)) - p


def _softmax_jacobian(z):
    p = torch.softmax(z, dim=0)
    return torch.diag(p) - torch.outer(p, p)


def _rows_sum_to_zero(got, z) -> bool:
    if not isinstance(got, torch.Tensor) or got.shape != (len(z), len(z)) or not got.is_floating_point():
        return True
    sums = got.detach().double().sum(dim=1)
    if not torch.isfinite(sums).all():
        return True
    return bool(torch.allclose(sums, torch.zeros_like(sums), atol=1e-5))


def _only_diagonal(answer, z) -> bool:
    p = torch.softmax(z, dim=0)
    return _close(answer, torch.diag(1 - p)) or _close(answer, torch.eye(len(z)))


log_softmax_jacobian = Exercise(
    title=N_("Exercise 2: the Jacobian of log_softmax"),
    reference=_log_softmax_jacobian_reference,
    inputs=_log_softmax_jacobian_cases,
    function=True,
    check_dtype=False,
    forbid=[
        Forbid(N_("autograd"),
               N_("Your function runs autograd (`backward()`, `torch.autograd.grad`, "
                  "`torch.autograd.functional.jacobian` or a `torch.func` transform). The exercise is to "
                  "build the matrix from its formula, without autograd."),
               autograd=True),
    ],
    properties=[
        Property(N_("rows sum to 0"),
                 N_("The rows of your matrix do not sum to 0. Adding the same number to every logit leaves "
                    "log softmax unchanged, so the derivatives of each output with respect to all logits must "
                    "add up to 0."),
                 _rows_sum_to_zero),
    ],
    mistakes=[
        Mistake(N_("the Jacobian of softmax, not of log_softmax"),
                N_("That is the Jacobian of softmax itself, p_i(delta_ij - p_j). The chain rule through the log "
                   "divides row i by p_i: d log p_i / d z_j = (d p_i / d z_j) / p_i."),
                wrong=_softmax_jacobian),
        Mistake(N_("transposed: -p along the wrong axis"),
                N_("Your matrix is the transpose of the Jacobian: in row i (output log p_i) the term -p_j must "
                   "change along the row, with the column j (the logit z_j). Check how `p` broadcasts "
                   "against the n x n matrix."),
                wrong=lambda z: torch.eye(len(z)) - torch.softmax(z, dim=0)[:, None]),
        Mistake(N_("sign-flipped"),
                N_("Every entry has the wrong sign. Raising z_i raises log p_i (positive diagonal) and lowers "
                   "every other log p_j (negative off-diagonal)."),
                wrong=lambda z: torch.softmax(z, dim=0) - torch.eye(len(z))),
        Mistake(N_("only the diagonal"),
                N_("Only your diagonal is filled in. log p_i depends on *every* logit through the log-sum-exp, "
                   "so the off-diagonal entries (i != j) are not zero."),
                test=_only_diagonal),
        Mistake(N_("the identity term is missing"),
                N_("Your rows all carry -p, but the diagonal misses the +1 of d z_i / d z_i "
                   "(log p_i = z_i - logsumexp(z))."),
                wrong=lambda z: -torch.softmax(z, dim=0).expand(len(z), len(z))),
        Mistake(N_("log-probabilities instead of probabilities"),
                N_("The derivative of logsumexp(z) with respect to z_j is p_j, the probability itself, "
                   "not its log."),
                wrong=lambda z: torch.eye(len(z)) - torch.log_softmax(z, dim=0)),
        Mistake(N_("divided by p (unstable)"),
                N_("Your formula is right on paper but breaks where a probability underflows to 0: dividing "
                   "the softmax Jacobian by p_i gives 0/0 = NaN. Simplify p_i(delta_ij - p_j) / p_i by hand "
                   "first, so nothing is divided by p."),
                test=lambda answer, z: isinstance(answer, torch.Tensor) and answer.shape == (len(z), len(z))
                and bool((torch.softmax(z, dim=0) == 0).any())
                and torch.equal(torch.isnan(answer).any(dim=1), torch.softmax(z, dim=0) == 0)),
    ],
    error_hints=[
        ErrorHint(r"self must be a matrix|mat2 must be a matrix|arguments to matmul need to be at least 1D",
                  N_("`torch.mm` needs 2-D matrices, and `z` is 1-D. Broadcasting a 1-D tensor against an "
                     "n x n matrix (or `v[None, :]`, `v[:, None]`) builds the matrix without a product."),
                  name=N_("matrix product of 1-D tensors")),
    ],
    hints=[
        N_("Write log p_i = z_i - log sum_k e^(z_k) (the log of the quotient), and differentiate each of the two terms "
           "with respect to z_j."),
        N_("d z_i / d z_j is delta_ij (1 on the diagonal, 0 elsewhere); the derivative of the log-sum-exp "
           "with respect to z_j is e^(z_j) / sum_k e^(z_k). So row i is delta_i - (something that depends "
           "on j only)."),
        N_("`torch.eye(n)` is the n x n matrix delta_ij. A 1-D tensor of length n broadcasts against an "
           "n x n matrix as a row, repeated in every row."),
    ],
    solution_text=N_("""
def log_softmax_jacobian(z):
    p = torch.softmax(z, dim=0)
    return torch.eye(len(z)) - p     # row i: delta_ij - p_j (p broadcasts as a row)
"""),
    key=("torch.eye(len(z)) - p",),
    success=N_("Your matrix equals delta_ij - p_j on every case, including large logits and one where a "
               "probability underflows to 0, built without autograd. Its rows sum to 0; unlike softmax's "
               "Jacobian it is not symmetric."),
)


# --------------------------------------------------------------------------------------------------
# Exercise 3: predict entries of the Jacobian of softmax with a temperature

PREDICT_TEMPERATURE = """\
from torch.autograd.functional import jacobian

T = 2.0
J = jacobian(lambda z: torch.softmax(z / T, dim=0), torch.zeros(4))
print(J[0, 0].item(), J[0, 1].item(), J[0].sum().item())"""


def _temperature_reference():
    z = torch.zeros(4)
    p = torch.softmax(z / 2.0, dim=0)
    jacobian = (torch.diag(p) - torch.outer(p, p)) / 2.0
    return torch.stack([jacobian[0, 0], jacobian[0, 1], jacobian[0].sum()]).double()


def _as_triple(answer):
    """The answer as a float64 tensor of 3 values, or None when it is not three plain numbers."""
    return as_numbers(answer, 3)


def _compare_triple(got, expected, case) -> str | None:
    triple = _as_triple(got)
    if triple is None:
        return _("Answer with three numbers, `(J00, J01, row_sum)`: e.g. `answer = (0.5, -0.1, 0.0)` "
                 "(fractions such as `3 / 32` are fine).")
    close = torch.isclose(triple, expected.double(), rtol=1e-3, atol=1e-4)
    if bool(close.all()):
        return None
    wrong = [name for name, ok in zip(("J[0, 0]", "J[0, 1]", _("the row sum")), close.tolist()) if not ok]
    items = wrong[0]
    for name in wrong[1:]:
        # TRANSLATORS: joins the names of the wrong values: "J[0, 0] and the row sum"
        items = _("{first} and {second}").format(first=items, second=name)
    return _("Your value for {items} is not what the code prints.").format(items=items)


def _triple(values):
    def test(answer, *case):
        got = _as_triple(answer)
        return got is not None and bool(torch.allclose(got, torch.tensor(values, dtype=torch.float64),
                                                       rtol=1e-3, atol=1e-4))
    return test


def _first_two(values):
    def test(answer, *case):
        got = _as_triple(answer)
        return got is not None and bool(torch.allclose(got[:2], torch.tensor(values, dtype=torch.float64),
                                                       rtol=1e-3, atol=1e-4))
    return test


predict_temperature_jacobian = Exercise(
    title=N_("Exercise 3: predict the Jacobian with a temperature"),
    reference=_temperature_reference,
    kind="predict",
    check_dtype=False,
    compare=_compare_triple,
    mistakes=[
        Mistake(N_("forgot the 1/T"),
                N_("Those are the entries of diag(p) - p pᵀ, the Jacobian with respect to u = z/T. The code "
                   "differentiates with respect to z, and the chain rule adds the factor du/dz = 1/T."),
                test=_first_two([3 / 16, -1 / 16])),
        Mistake(N_("multiplied by T"),
                N_("The chain rule factor is du/dz = 1/T for u = z/T: the Jacobian with respect to z is "
                   "*divided* by T, not multiplied."),
                test=_first_two([3 / 8, -1 / 8])),
        Mistake(N_("forgot the -p² on the diagonal"),
                N_("On the diagonal the entry is p_i(1 - p_i), not p_i: the denominator of softmax depends on "
                   "z_i too."),
                test=lambda answer, *case: _first_two([1 / 8, -1 / 32])(answer) or _first_two([1 / 4, -1 / 16])(
                    answer)),
        Mistake(N_("off-diagonal sign"),
                N_("Raising z_1 *lowers* p_0 (the probabilities still sum to 1), so the off-diagonal entry "
                   "is negative."),
                test=lambda answer, *case: _first_two([3 / 32, 1 / 32])(answer) or _first_two([3 / 16, 1 / 16])(
                    answer)),
        Mistake(N_("row sum 1"),
                N_("The *probabilities* sum to 1, but a row of the Jacobian holds the derivatives of one p_i "
                   "with respect to all logits. Raising every logit by the same amount leaves p unchanged: "
                   "what does that say about the sum of a row?"),
                test=lambda answer, *case: (got := _as_triple(answer)) is not None
                and abs(float(got[2]) - 1) < 1e-3),
    ],
    hints=[
        N_("All logits are equal, so what is p = softmax(z / T), whatever T is? Then the entries of "
           "diag(p) - p pᵀ follow from section 3."),
        N_("The function divides z by T before softmax. By the chain rule, how does the Jacobian with "
           "respect to z differ from the one with respect to u = z / T?"),
        N_("For the row sum: what happens to softmax(z / T) if every z_j grows by the same amount?"),
    ],
    solution_text=N_("""
All logits are equal, so p = (1/4, 1/4, 1/4, 1/4) for every T.
With respect to u = z/T:  p_0 (1 - p_0) = 3/16,  -p_0 p_1 = -1/16,  each row sums to 0.
The chain rule (du/dz = 1/T = 1/2) halves every entry:

answer = (3 / 32, -1 / 32, 0.0)      # 0.09375, -0.03125, 0.0
"""),
    key=("(3 / 32, -1 / 32, 0.0)",),
    success=N_("All three right: p is uniform, the 1/T of the chain rule halves the entries, and every row sums "
               "to 0."),
)
