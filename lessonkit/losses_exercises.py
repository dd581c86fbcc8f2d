"""Lesson 5 -- the exercises of notebooks/05_losses.ipynb (re-exported by :mod:`lessonkit.losses`).

Each exercise applies an idea of the lesson to a case the notebook does not show:

1. ``weighted_bce``: binary cross-entropy for any shape, with per-sample weights (the notebook shows
   the unweighted formula for N = 4 only);
2. ``cross_entropy_lse``: multi-class cross-entropy from the log-sum-exp, without softmax or
   log_softmax (the notebook shows ``nll_loss(log_softmax(z))``);
3. ``soft_ce_gradient``: the gradient of cross-entropy for *soft* labels and any N, without autograd
   (the notebook checks the one-hot case for one sample);
4. ``predict_padding_loss``: predict what ``F.cross_entropy`` returns for per-token logits with
   padding (class dimension 1, ``ignore_index``, ``reduction``).

Rules stated in the exercise texts ("do not call a PyTorch loss", "without autograd") are enforced
with :class:`~lessonkit.checks.Forbid`, which observes the calls the learner's function makes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from lessonkit.checks import ErrorHint, Exercise, Forbid, Mistake, Property, as_numbers
from lessonkit.i18n import N_, _

# --------------------------------------------------------------------------------------------------
# helpers shared by the fingerprints


def _tensor_close(answer, expected, rtol=1e-4, atol=1e-6) -> bool:
    if not isinstance(answer, torch.Tensor) or not isinstance(expected, torch.Tensor):
        return False
    if answer.shape != expected.shape:
        return False
    return bool(torch.allclose(answer.detach().double(), expected.detach().double(), rtol=rtol, atol=atol,
                               equal_nan=True))


def _is_scalar(answer) -> bool:
    return isinstance(answer, torch.Tensor) and answer.dim() == 0


def _finite_scalar_holds(test):
    """A property of a 0-d answer; anything that is not a finite 0-d tensor is left to other checks."""
    def holds(got, *case):
        if not _is_scalar(got) or not torch.isfinite(got).item():
            return True
        return bool(test(got.detach().double().item(), *case))
    return holds


# --------------------------------------------------------------------------------------------------
# Exercise 1: binary cross-entropy with per-sample weights, any shape


def _weighted_bce_cases():
    generator = torch.Generator().manual_seed(5)
    return [
        # (N, 1) predictions of a one-unit layer, one weight per sample
        (torch.sigmoid(torch.rand(4, 1, generator=generator) * 4 - 2), torch.tensor([[1.], [0.], [1.], [0.]]),
         torch.tensor([[1.], [2.], [1.], [0.5]])),
        # 1-D, N = 3
        (torch.tensor([0.9, 0.2, 0.6]), torch.tensor([1., 0., 0.]), torch.tensor([1., 3., 0.5])),
        # (N, 3): three binary outputs per sample, one weight per sample broadcast along the row
        (torch.rand(2, 3, generator=generator) * 0.98 + 0.01, torch.tensor([[1., 1., 0.], [0., 1., 0.]]),
         torch.tensor([[2.], [0.25]])),
        # soft labels: the formula still holds
        (torch.tensor([0.3, 0.8]), torch.tensor([0.25, 0.9]), torch.tensor([1., 4.])),
        # confident and wrong: a large but finite loss
        (torch.tensor([1e-6, 0.9999, 0.5]), torch.tensor([1., 0., 1.]), torch.tensor([0.5, 1., 2.])),
    ]


def _bce_terms(p, y, log=torch.log):
    return y * log(p) + (1 - y) * log(1 - p)


def _weighted_bce_reference(p, y, w):
    # = F.binary_cross_entropy(p, y, weight=w) (a test asserts it); written out because that call's first
    # use imports torch._refs (seconds), which would make a learner's first check slow
    return -(w * _bce_terms(p, y, log=lambda v: torch.log(v).clamp(min=-100))).mean()


def _wrong_log_base(answer, p, y, w) -> bool:
    if not _is_scalar(answer):
        return False
    natural = -(w * _bce_terms(p, y)).mean()
    return any(_tensor_close(answer, natural / math.log(base)) for base in (2, 10))


def _divided_by_rows(answer, p, y, w) -> bool:
    """sum / N with N = len(p): equal to the mean only when p is 1-D or (N, 1)."""
    if p.dim() < 2 or p.shape[1] == 1:
        return False
    return _tensor_close(answer, -(w * _bce_terms(p, y)).sum() / len(p))


weighted_bce = Exercise(
    title=N_("Exercise 1: binary cross-entropy with per-sample weights"),
    reference=_weighted_bce_reference,
    inputs=_weighted_bce_cases,
    function=True,
    check_dtype=False,   # a float64 result of the right value is right
    rtol=1e-5,
    forbid=[
        Forbid(N_("a PyTorch loss"),
               N_("Your function calls a PyTorch loss function. The exercise is to write the weighted "
                  "formula yourself from `torch.log` (the library call is what you compare with afterwards)."),
               functions=("binary_cross_entropy", "binary_cross_entropy_with_logits", "bceloss",
                          "bcewithlogitsloss", "cross_entropy", "nll_loss", "kl_div")),
    ],
    properties=[
        Property(N_("loss >= 0"),
                 N_("Your loss is negative. With 0 < p < 1 every log is negative and the weights are positive, "
                    "so the formula's leading minus makes the loss non-negative."),
                 _finite_scalar_holds(lambda value, p, y, w: value >= -1e-6)),
        Property(N_("a single number"),
                 N_("Return the loss as one number (a 0-d tensor): the mean over all elements, not one loss "
                    "per element or per row."),
                 lambda got, *case: not isinstance(got, torch.Tensor) or got.dim() == 0),
    ],
    mistakes=[
        Mistake(N_("sum instead of mean"),
                N_("Your value grows with the number of elements: you add the weighted losses up. The formula "
                   "divides the sum by N, the number of elements of `p`."),
                wrong=lambda p, y, w: -(w * _bce_terms(p, y)).sum()),
        Mistake(N_("weights ignored"),
                N_("Your value is the *unweighted* BCE: each element's loss must be multiplied by its weight "
                   "`w` (broadcast to the shape of `p`) before the mean."),
                wrong=lambda p, y, w: -_bce_terms(p, y).mean()),
        Mistake(N_("divided by the sum of the weights"),
                N_("You divided by the total weight, as for a weighted *average*. Here the weights only rescale "
                   "each element's loss; the mean is still over the N elements (this is what "
                   "`F.binary_cross_entropy(p, y, weight=w)` does)."),
                test=lambda answer, p, y, w: any(_tensor_close(answer, -(w * _bce_terms(p, y)).sum() / total)
                                                 for total in (torch.broadcast_to(w, p.shape).sum(), w.sum()))),
        Mistake(N_("weight on one term only"),
                N_("Only one of the two log terms carries the weight. `w` weighs the whole loss of an element, "
                   "both `y log p` and `(1 - y) log(1 - p)`."),
                test=lambda answer, p, y, w: any(_tensor_close(answer, candidate) for candidate in (
                    -(w * y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean(),
                    -(y * torch.log(p) + w * (1 - y) * torch.log(1 - p)).mean()))),
        Mistake(N_("divided by the number of rows"),
                N_("Your value is too large whenever `p` has several columns: you divided the sum by `len(p)`, "
                   "the number of rows. N in the formula is the number of *elements* of `p`."),
                test=_divided_by_rows),
        Mistake(N_("a term is missing"),
                N_("Your formula has only one of the two terms. An element with label y contributes "
                   "y log p *and* (1 - y) log(1 - p); with soft labels both are non-zero."),
                test=lambda answer, p, y, w: any(_tensor_close(answer, candidate) for candidate in (
                    -(w * y * torch.log(p)).mean(), -(w * (1 - y) * torch.log(1 - p)).mean(),
                    -(y * torch.log(p)).mean(), -((1 - y) * torch.log(1 - p)).mean()))),
        Mistake(N_("sign of the second term"),
                N_("The two log terms must have the same sign inside the bracket: "
                   "y log p **+** (1 - y) log(1 - p), with one minus sign in front of the whole bracket."),
                test=lambda answer, p, y, w: any(_tensor_close(answer, sign * (w * (
                    y * torch.log(p) - (1 - y) * torch.log(1 - p))).mean()) for sign in (1, -1))),
        Mistake(N_("averaged the weights"),
                N_("You used one average weight for every element. Each element's loss must be multiplied by "
                   "*its own* weight before the mean (`w` broadcasts against `p`)."),
                test=lambda answer, p, y, w: w.numel() > 1 and _tensor_close(answer, -_bce_terms(p, y).mean()
                                                                               * w.mean())),
        Mistake(N_("clamped the probabilities"),
                N_("Your loss is right except for a confident prediction (p within 1e-4 of 0 or 1): clamping `p` "
                   "changes its loss. The formula takes log p as it is; here every p is strictly between 0 and 1, "
                   "so no clamp is needed."),
                test=lambda answer, p, y, w: bool(((p < 1e-4) | (p > 1 - 1e-4)).any()) and _is_scalar(answer)
                and bool(torch.isfinite(answer).item())),
        Mistake(N_("swapped p and y"),
                N_("You take the log of the *labels* (log 0 = -inf). The log goes on the predictions p; the "
                   "labels y are the factors in front of it."),
                wrong=lambda p, y, w: -(w * (p * torch.log(y) + (1 - p) * torch.log(1 - y))).mean()),
        Mistake(N_("swapped the two terms"),
                N_("Your terms are paired with the wrong labels: an element with y = 1 is judged by log p "
                   "(the probability given to class 1), one with y = 0 by log(1 - p)."),
                wrong=lambda p, y, w: -(w * (y * torch.log(1 - p) + (1 - y) * torch.log(p))).mean()),
        Mistake(N_("log with another base"),
                N_("Your value is the right one times a constant factor: you used a logarithm with another "
                   "base. Cross-entropy in PyTorch uses the natural log (base e): `torch.log`."),
                test=_wrong_log_base),
        Mistake(N_("forgot the log"),
                N_("There is no logarithm in your formula: the loss is built from log p and log(1 - p), not "
                   "from p and 1 - p themselves."),
                wrong=lambda p, y, w: -(w * (y * p + (1 - y) * (1 - p))).mean()),
    ],
    error_hints=[
        ErrorHint(r"only one element tensors can be converted to Python scalars"
                  r"|must be real number, not Tensor",
                  N_("`math.log` works on one Python number only. Use the element-wise `torch.log` "
                     "(or the tensor method `.log()`)."), name=N_("math.log on a tensor")),
    ],
    hints=[
        N_("Start from one element: its loss is y log p + (1 - y) log(1 - p), with a minus sign in front. "
           "Compute that for all elements at once with tensor operations (`torch.log` is element-wise)."),
        N_("Each element's loss is multiplied by its weight; `w` broadcasts against `p` (a weight per row "
           "of shape (N, 1) applies to every column of that row)."),
        N_("Then reduce to one number: N is the number of elements of `p`, whatever its shape. Which "
           "reduction divides by exactly that?"),
    ],
    solution_text=N_("""
def weighted_bce(p, y, w):
    losses = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))   # one loss per element
    return (w * losses).mean()      # w broadcasts; .mean() divides by the number of elements

# the same as F.binary_cross_entropy(p, y, weight=w)
"""),
    key=("(w * losses).mean()",),
    success=N_("Your weighted BCE equals `F.binary_cross_entropy(p, y, weight=w)` on every case: 1-D and 2-D "
               "inputs, per-row weights, soft labels and a confident wrong prediction."),
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: multi-class cross-entropy from the log-sum-exp


def _ce_cases():
    generator = torch.Generator().manual_seed(11)
    return [
        (torch.tensor([[4., 3., 2., 1.], [3., 1., 4., 5.]]), torch.tensor([0, 3])),
        (torch.randn(3, 3, generator=generator) * 2, torch.tensor([2, 0, 1])),     # square: N = C
        (torch.randn(5, 3, generator=generator), torch.tensor([0, 2, 1, 1, 0])),   # more samples than classes
        (torch.randn(1, 5, generator=generator), torch.tensor([4])),
        (torch.tensor([[0., 1000., -5.], [1000., 0., 0.]]), torch.tensor([0, 2])),  # exp overflows
        (torch.tensor([[-1000., -1001., -1002.]]), torch.tensor([1])),             # exp underflows
        (torch.tensor([[1000., 999., 998.], [-5., 0., 2.]]), torch.tensor([1, 2])),  # rows far apart
    ]


def _ce_reference(logits, target):
    return F.cross_entropy(logits, target)


def _pick(values, target):
    return values[torch.arange(len(target)), target]


def _lse(z):
    return torch.logsumexp(z, dim=1)


def _nan_where_exp_overflows(answer, z, t) -> bool:
    return _is_scalar(answer) and bool(torch.isnan(answer).item()) and float(z.abs().max()) > 80


cross_entropy_lse = Exercise(
    title=N_("Exercise 2: cross-entropy from the log-sum-exp"),
    reference=_ce_reference,
    inputs=_ce_cases,
    function=True,
    check_dtype=False,
    atol=1e-4,   # logsumexp at |z| = 1000 is exact only to float32's spacing there (6e-5)
    forbid=[
        Forbid(N_("softmax or a PyTorch cross-entropy"),
               N_("Your function calls softmax, log_softmax or a PyTorch cross-entropy. The exercise is to "
                  "get each sample's loss from its logits and their log-sum-exp, with no probabilities in "
                  "between."),
               functions=("softmax", "log_softmax", "cross_entropy", "crossentropyloss")),
    ],
    properties=[
        Property(N_("loss >= 0"),
                 N_("Your loss is negative. The log-sum-exp of a row is always at least as large as any single "
                    "logit of that row, so every sample's loss is >= 0."),
                 _finite_scalar_holds(lambda value, z, t: value >= -1e-4)),
        Property(N_("a single number"),
                 N_("Return the loss as one number (a 0-d tensor): the mean over the samples."),
                 lambda got, *case: not isinstance(got, torch.Tensor) or got.dim() == 0),
    ],
    mistakes=[
        Mistake(N_("sum instead of mean"),
                N_("Your value grows with the number of samples: you add the per-sample losses up. "
                   "`F.cross_entropy` averages them (the 1/N of the formula)."),
                wrong=lambda z, t: (_lse(z) - _pick(z, t)).sum()),
        Mistake(N_("divided by the max instead of the sum"),
                N_("Your probabilities are not normalised: softmax divides e^(z_k) by the *sum* of the row's "
                   "exponentials (whose log is the log-sum-exp), not by the largest one."),
                test=lambda answer, z, t: any(
                    _tensor_close(answer, -torch.log(_pick(e / e.amax(dim=1, keepdim=True), t)).mean())
                    for e in (torch.exp(z - z.amax(dim=1, keepdim=True)), torch.exp(z)))),
        Mistake(N_("nll_loss on raw logits"),
                N_("You picked each sample's *raw logit* and negated it: that is what `F.nll_loss` returns when "
                   "it is given logits. `nll_loss` does no log-softmax itself; the loss needs the "
                   "log-sum-exp of each row as well."),
                wrong=lambda z, t: -_pick(z, t).mean()),
        Mistake(N_("missing minus sign"),
                N_("Your loss is negative: the loss of a sample is *minus* its log-probability, "
                   "log-sum-exp(z) - z_t, not z_t - log-sum-exp(z)."),
                wrong=lambda z, t: (_pick(z, t) - _lse(z)).mean()),
        Mistake(N_("forgot the exp"),
                N_("Your log-sum-exp has no exponential in it: log(sum z) is not log(sum e^z). "
                   "(`torch.logsumexp` does all three steps, stably.)"),
                wrong=lambda z, t: (torch.log(z.sum(dim=1)) - _pick(z, t)).mean()),
        Mistake(N_("forgot the log"),
                N_("Your value uses the sum of exponentials without its logarithm: a sample's loss is "
                   "log(sum_j e^(z_j)) - z_t."),
                wrong=lambda z, t: (torch.exp(z).sum(dim=1) - _pick(z, t)).mean()),
        Mistake(N_("log-sum-exp over the wrong dimension"),
                N_("Your log-sum-exp runs over the samples (dim 0) instead of over each sample's classes: with "
                   "one sample per row, the classes are dim 1."),
                wrong=lambda z, t: (torch.logsumexp(z, dim=0)[t] - _pick(z, t)).mean()),
        Mistake(N_("one max for the whole batch"),
                N_("Shifting by a max is the right idea, but you used one max for the whole batch. A row far below "
                   "it underflows to log 0 = -inf. Use each row's own max (or `torch.logsumexp(z, dim=1)`)."),
                test=lambda answer, z, t: _is_scalar(answer) and bool(torch.isinf(answer).item())
                and float((z.amax() - z.amax(dim=1)).max()) > 80),
        Mistake(N_("exp overflows (no max subtraction)"),
                N_("Your loss is NaN or inf for large logits: `exp(1000.)` overflows to inf in float32. Use "
                   "`torch.logsumexp`, or subtract each row's max before exponentiating and add it back "
                   "after the log."),
                test=lambda answer, z, t: _nan_where_exp_overflows(answer, z, t)
                or (_is_scalar(answer) and bool(torch.isinf(answer).item()) and float(z.abs().max()) > 80)),
        Mistake(N_("the largest logit instead of the target's"),
                N_("You subtracted each row's *largest* logit. The loss of a sample is about its *target* class: "
                   "log-sum-exp minus the logit at column target[i]."),
                wrong=lambda z, t: (_lse(z) - z.amax(dim=1)).mean()),
        Mistake(N_("averaged over all classes"),
                N_("You averaged the log-probabilities of *every* class. Only the target class's log-probability "
                   "counts for a sample: pick row i, column target[i]."),
                wrong=lambda z, t: -(z - torch.logsumexp(z, dim=1, keepdim=True)).mean()),
        Mistake(N_("one-hot vs index confusion"),
                N_("`target` holds one class *index* per sample (shape (N,)). `z[:, target]` picks whole "
                   "columns for every sample; you need one entry per row: row i, column target[i]."),
                wrong=lambda z, t: (_lse(z)[:, None] - z[:, t]).mean()),
    ],
    error_hints=[
        ErrorHint(r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\) "
                  r"at non-singleton dimension 1",
                  N_("Two tensors disagree in their number of columns (dim 1, the classes). Print the `.shape` "
                     "of each. A per-row result (a sum, max or logsumexp along dim=1) has shape (N,) and needs "
                     "`keepdim=True` to broadcast against the (N, C) logits; a one-hot matrix must have C "
                     "columns, and `F.one_hot(target)` without `num_classes=C` has only max(target) + 1."),
                  name=N_("shapes along the class dimension")),
        ErrorHint(r"Index tensor must have the same number of dimensions",
                  N_("`gather` needs an index with as many dimensions as the tensor it indexes: turn the (N,) "
                     "target into (N, 1) with `target.unsqueeze(1)`."), name=N_("gather index shape")),
        ErrorHint(r"out of bounds", N_("An index is out of range: the target indexes the *columns* (classes), "
                                       "one per row (sample)."), name=N_("index out of bounds")),
    ],
    hints=[
        N_("For one sample with logits z and target t, write -log softmax(z)_t with the definition of "
           "softmax and simplify the log of the quotient: two terms remain."),
        N_("One term is a single logit of the row, the other is the log-sum-exp of the whole row. "
           "`torch.logsumexp(z, dim=1)` computes it for every row, stably (it subtracts the max inside)."),
        N_("To pick one logit per row, index with two tensors: the row numbers `torch.arange(N)` and the "
           "column numbers `target`. Then average over the samples."),
    ],
    solution_text=N_("""
def cross_entropy_lse(logits, target):
    rows = torch.arange(len(target))
    per_sample = torch.logsumexp(logits, dim=1) - logits[rows, target]   # -log p_t
    return per_sample.mean()
"""),
    key=("torch.logsumexp(logits, dim=1) - logits[rows, target]",),
    success=N_("Your cross-entropy equals `F.cross_entropy` on every case, including logits of ±1000 "
               "(square and non-square batches, without softmax or log_softmax)."),
)


# --------------------------------------------------------------------------------------------------
# Exercise 3: the gradient of cross-entropy for soft labels, without autograd


def _soft_targets(generator, n, c):
    q = torch.rand(n, c, generator=generator)
    return q / q.sum(dim=1, keepdim=True)


def _soft_gradient_cases():
    generator = torch.Generator().manual_seed(12)
    smoothed = 0.9 * F.one_hot(torch.tensor([0, 2]), 4).float() + 0.1 / 4      # label smoothing 0.1
    return [
        (torch.tensor([[4., 3., 2., 1.], [3., 1., 4., 5.]]), smoothed),
        (torch.randn(3, 5, generator=generator), _soft_targets(generator, 3, 5)),
        (torch.randn(4, 4, generator=generator) * 2, _soft_targets(generator, 4, 4)),   # square: N = C
        (torch.randn(1, 3, generator=generator), torch.tensor([[0.2, 0.5, 0.3]])),
        (torch.tensor([[500., 0., -500.], [0., 300., 1.]]), torch.tensor([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])),
    ]


def _soft_gradient_reference(z, q):
    return (torch.softmax(z, dim=1) - q) / len(z)


def _rows_sum_to_zero(got, z, q) -> bool:
    if not isinstance(got, torch.Tensor) or got.shape != z.shape or not got.is_floating_point():
        return True
    sums = got.detach().double().sum(dim=1)
    return not torch.isfinite(sums).all() or bool(torch.allclose(sums, torch.zeros_like(sums), atol=1e-5))


soft_ce_gradient = Exercise(
    title=N_("Exercise 3: the cross-entropy gradient for soft labels"),
    reference=_soft_gradient_reference,
    inputs=_soft_gradient_cases,
    function=True,
    check_dtype=False,
    atol=1e-6,
    forbid=[
        Forbid(N_("autograd"),
               N_("Your function runs autograd (`backward()`, `torch.autograd.grad` or a `torch.func` "
                  "transform). The exercise is to compute the gradient from its formula, without autograd."),
               autograd=True),
        Forbid(N_("a PyTorch cross-entropy"),
               N_("Your function calls a PyTorch cross-entropy. The gradient's formula needs only the "
                  "probabilities and the labels."),
               functions=("cross_entropy", "crossentropyloss", "nll_loss", "kl_div")),
    ],
    properties=[
        Property(N_("rows sum to 0"),
                 N_("The entries of each row of your gradient do not add up to 0. Both the predicted "
                    "probabilities and the soft labels of a sample sum to 1, so their difference sums to 0 "
                    "(raising every logit of a sample by the same amount cannot change the loss)."),
                 _rows_sum_to_zero),
    ],
    mistakes=[
        Mistake(N_("forgot the 1/N of the mean"),
                N_("Each entry is N times too large: the loss is the *mean* over the N samples, so every "
                   "sample's gradient is divided by N."),
                wrong=lambda z, q: torch.softmax(z, dim=1) - q),
        Mistake(N_("divided by C instead of N"),
                N_("You divided by the number of *classes*. The loss averages over the N samples (rows), so the "
                   "gradient is divided by N = `len(z)`."),
                wrong=lambda z, q: (torch.softmax(z, dim=1) - q) / z.shape[1]),
        Mistake(N_("hard labels"),
                N_("You turned the soft labels into a one-hot target (their arg-max). The gradient uses the "
                   "labels as given: predicted distribution minus `q` itself."),
                wrong=lambda z, q: (torch.softmax(z, dim=1)
                                    - F.one_hot(q.argmax(dim=1), z.shape[1]).to(z.dtype)) / len(z)),
        Mistake(N_("averaged over the samples"),
                N_("Every row of your answer is the same: you averaged the samples' gradients. Each sample's "
                   "logits get their own gradient row, (p_i - q_i) / N."),
                test=lambda answer, z, q: isinstance(answer, torch.Tensor) and answer.shape == z.shape
                and len(z) > 1 and any(_tensor_close(answer, ((torch.softmax(z, dim=1) - q) * s).mean(
                    dim=0, keepdim=True).expand_as(z)) for s in (1.0, 1.0 / len(z)))),
        Mistake(N_("forgot the labels"),
                N_("You have the softmax part only. The gradient is the predicted distribution *minus* the "
                   "wanted one, the soft labels `q`."),
                wrong=lambda z, q: torch.softmax(z, dim=1) / len(z)),
        Mistake(N_("log-probabilities instead of probabilities"),
                N_("Your first term is log-softmax. The gradient of cross-entropy with respect to the logits "
                   "is (probabilities - labels) / N: the softmax itself, not its log."),
                wrong=lambda z, q: (torch.log_softmax(z, dim=1) - q) / len(z)),
        Mistake(N_("divided by the max instead of the sum"),
                N_("Your probabilities do not sum to 1 per sample: softmax divides each e^(z_k) by the *sum* "
                   "of the row's exponentials, not by the largest one."),
                test=lambda answer, z, q: any(_tensor_close(answer, (e / e.amax(dim=1, keepdim=True) - q) * s)
                                              for e in (torch.exp(z - z.amax(dim=1, keepdim=True)), torch.exp(z))
                                              for s in (1.0 / len(z), 1.0))),
        Mistake(N_("softmax over the wrong dimension"),
                N_("Your softmax normalises the columns (dim 0, across samples). With one sample per row the "
                   "classes are dim 1: each *row* must sum to 1."),
                wrong=lambda z, q: (torch.softmax(z, dim=0) - q) / len(z)),
        Mistake(N_("divided by N·C"),
                N_("You divided by the number of *elements* (N·C). The loss is the mean over the N samples; "
                   "the classes of a sample are summed, so divide by N only."),
                wrong=lambda z, q: (torch.softmax(z, dim=1) - q) / z.numel()),
        Mistake(N_("exp overflows (no max subtraction)"),
                N_("Your gradient has NaN for large logits: `exp(500.)` overflows in float32. Build the "
                   "softmax from logits shifted by each row's max, or use `torch.softmax`, which does that."),
                test=lambda answer, z, q: isinstance(answer, torch.Tensor) and answer.shape == z.shape
                and bool(torch.isnan(answer).any()) and float(z.abs().max()) > 80),
    ],
    error_hints=[
        ErrorHint(r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\) "
                  r"at non-singleton dimension 1",
                  N_("Two tensors disagree in their number of columns (dim 1, the classes). A per-row sum or max "
                     "along dim=1 has shape (N,) and needs `keepdim=True` to broadcast against the (N, C) "
                     "logits."), name=N_("shapes along the class dimension")),
    ],
    hints=[
        N_("For one sample, the loss is -sum_k q_k log p_k with p = softmax(z). Section 5 differentiated it "
           "for a one-hot q; the same steps work for any q whose entries sum to 1."),
        N_("Per sample the gradient with respect to the logits is 'predicted distribution minus labels'. "
           "Compute the predicted distribution of every row at once (along the class dimension)."),
        N_("The loss is the mean over the N samples, so every sample's gradient is scaled by the same "
           "factor. N is `len(z)`."),
    ],
    solution_text=N_("""
def soft_ce_gradient(z, q):
    p = torch.softmax(z, dim=1)     # each row: one sample's predicted distribution
    return (p - q) / len(z)         # the mean over N samples scales every row by 1/N
"""),
    key=("(p - q) / len(z)",),
    success=N_("Your gradient equals what `F.cross_entropy(z, q).backward()` puts in `z.grad`, for soft labels, "
               "square and non-square batches and large logits, computed without autograd."),
)


# --------------------------------------------------------------------------------------------------
# Exercise 4: predict the loss of per-token logits with padding

PREDICT_PADDING = """\
logits = torch.zeros(2, 4, 3)                 # 2 sequences, 4 classes, 3 tokens
target = torch.tensor([[1, 3, -100],          # -100: padding (the default
                       [0, -100, -100]])      #        ignore_index)
mean = F.cross_entropy(logits, target)
total = F.cross_entropy(logits, target, reduction="sum")"""


def _padding_reference(logits, target):
    return torch.stack([F.cross_entropy(logits, target), F.cross_entropy(logits, target, reduction="sum")])


def _padding_inputs():
    return (torch.zeros(2, 4, 3), torch.tensor([[1, 3, -100], [0, -100, -100]]))


def _as_pair(answer):
    """The answer as a float64 tensor of 2 values, or None when it is not two plain numbers."""
    return as_numbers(answer, 2)


def _compare_pair(got, expected, case) -> str | None:
    pair = _as_pair(got)
    if pair is None:
        return _("Answer with two numbers, `(mean, total)`: e.g. `answer = (1.0, 2.0)` (a tuple of Python "
                 "numbers; expressions such as `math.log(2)` are fine).")
    close = torch.isclose(pair, expected.double(), rtol=2e-3, atol=2e-3)
    if bool(close.all()):
        return None
    wrong = [name for name, ok in zip(("mean", "total"), close.tolist()) if not ok]
    if len(wrong) == 2:
        return _("Your value for `mean and total` is not what `F.cross_entropy` returns.")
    return _("Your value for `{name}` is not what `F.cross_entropy` returns.").format(name=wrong[0])


def _pair(values):
    def test(answer, *case):
        got = _as_pair(answer)
        return got is not None and bool(torch.allclose(got, torch.tensor(values, dtype=torch.float64),
                                                       rtol=2e-3, atol=2e-3))
    return test


LOG4, LOG3 = math.log(4), math.log(3)

predict_padding_loss = Exercise(
    title=N_("Exercise 4: predict the loss with padding"),
    kind="predict",
    reference=_padding_reference,
    inputs=_padding_inputs,
    check_dtype=False,
    compare=_compare_pair,
    mistakes=[
        Mistake(N_("padding counted in the mean"),
                N_("Your `mean` divides by all 6 positions. Positions whose target is `ignore_index` (-100) "
                   "count neither in the sum nor in the number the mean divides by."),
                test=_pair([3 * LOG4 / 6, 3 * LOG4])),
        Mistake(N_("padding counted as a loss"),
                N_("Padded positions contribute nothing: their loss is 0 and they are left out of the mean. "
                   "Only the 3 real tokens count."),
                test=_pair([LOG4, 6 * LOG4])),
        Mistake(N_("classes read from the last dimension"),
                N_("You took the last dimension (3) as the classes. `F.cross_entropy` always reads the classes "
                   "from dim 1: these logits have 4 classes and 3 tokens per sequence."),
                test=lambda answer, *case: any(_pair(v)(answer) for v in (
                    [LOG3, 3 * LOG3], [3 * LOG3 / 6, 3 * LOG3], [LOG3, 6 * LOG3]))),
        Mistake(N_("a zero logit means zero loss"),
                N_("All logits are 0, but the loss is -log p of the target class, and equal logits give every "
                   "one of the C classes the same probability 1/C."),
                test=_pair([0.0, 0.0])),
        Mistake(N_("log base 2"),
                N_("Those are bits (log base 2). PyTorch's cross-entropy uses the natural log: -log(1/4) = log 4, "
                   "not 2."),
                test=_pair([2.0, 6.0])),
        Mistake(N_("sum and mean swapped"),
                N_("Your two numbers are in the wrong order: first the mean (`reduction='mean'`, the default), "
                   "then the sum."),
                test=_pair([3 * LOG4, LOG4])),
    ],
    hints=[
        N_("Which dimension holds the classes? `F.cross_entropy` reads it from the same place for (N, C) and "
           "(N, C, d1, ...) inputs. Then: what probability does each class get when all logits are equal?"),
        N_("A token's loss is -log of its target class's probability. How many tokens have a real target, and "
           "what happens to the positions whose target is -100?"),
        N_("With the default `reduction='mean'`, the sum of the real tokens' losses is divided by the number of "
           "real tokens; `reduction='sum'` does not divide."),
    ],
    solution_text=N_("""
dim 1 holds the classes: C = 4, and the 3 is the number of tokens per sequence.
All logits are equal, so every class gets p = 1/4 and every real token's loss is -log(1/4) = log 4.
Targets -100 are ignored: 3 real tokens remain (1, 3 and 0).

mean  = 3 * log 4 / 3 = log 4 ≈ 1.386
total = 3 * log 4     ≈ 4.159

answer = (math.log(4), 3 * math.log(4))
"""),
    key=("3 * math.log(4)",),
    success=N_("Both values right: classes on dim 1, and padding (-100) left out of the sum and of the mean."),
)
