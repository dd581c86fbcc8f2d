"""Lesson 3's exercises (re-exported by :mod:`lessonkit.backward_retain_graph`).

    minibatch_gradient   exercise 1: accumulate mini-batch gradients = full-batch gradient
    predict_grad         exercise 2 (predict): x.grad after backward calls, retain_graph and a rebuild
    evaluate             exercise 3: an evaluation loop that records no graph
    predict_two_paths    exercise 4 (predict): a tensor used on two paths of one graph

Rules the texts state are checked by *observing* the learner's function on copies of the inputs
(what it leaves in ``w.grad``, whether autograd saved tensors while it ran, the grad mode it leaves
behind), never by reading its source.
"""

from __future__ import annotations

import torch

from lessonkit.checks import (
    ErrorHint,
    Exercise,
    Forbid,
    Mistake,
    Property,
    Result,
    TooSlow,
    _fresh,
    as_numbers,
    incorrect,
    time_limit,
)
from lessonkit.i18n import N_, _

# --------------------------------------------------------------------------------------------------
# Exercise 1: accumulate mini-batch gradients so they equal the full-batch gradient


def _data(n: int, seed: int):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=generator)
    Y = X @ torch.tensor([1.5, -2.0, 0.5]) + 0.3 * torch.randn(n, generator=generator)
    # not zeros: an answer that returns w itself must not look like an all-zero gradient
    w = (0.5 * torch.randn(3, generator=generator)).requires_grad_()
    return X, Y, w


def _minibatch_cases():
    cases = []
    for n, batch_size, seed in [(12, 4, 1), (10, 4, 2), (5, 5, 3), (6, 1, 4)]:
        X, Y, w = _data(n, seed)
        cases.append((w, X, Y, batch_size))
    return cases


def _batch_grads(w, X, Y, batch_size, divisor):
    """Closed-form gradient of sum((X_b w - Y_b)^2) / divisor(batch) for each mini-batch."""
    grads = []
    for start in range(0, len(X), batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        grads.append(2 * Xb.T @ (Xb @ w.detach() - Yb) / divisor(len(Xb)))
    return grads


def _full_gradient(w, X, Y, batch_size):
    loss = ((X @ w - Y) ** 2).mean()
    return torch.autograd.grad(loss, w)[0]


def _mean_per_batch(w, X, Y, batch_size):
    return sum(_batch_grads(w, X, Y, batch_size, lambda size: size))


def _sum_without_n(w, X, Y, batch_size):
    return sum(_batch_grads(w, X, Y, batch_size, lambda size: 1))


def _mean_over_batch_count(w, X, Y, batch_size):
    count = -(-len(X) // batch_size)
    return sum(_batch_grads(w, X, Y, batch_size, lambda size: size * count))


def _divided_by_batch_count(answer, w, X, Y, batch_size) -> bool:
    """mean / (number of batches), the count rounded up or down (len(X) // batch_size)."""
    if not isinstance(answer, torch.Tensor) or answer.shape != w.shape:
        return False
    counts = {-(-len(X) // batch_size), max(1, len(X) // batch_size)}
    return any(torch.allclose(answer.detach().to(w.dtype),
                              sum(_batch_grads(w, X, Y, batch_size, lambda size, c=c: size * c)),
                              rtol=1e-4, atol=1e-5) for c in counts)


def _sum_over_batch_size(w, X, Y, batch_size):
    return sum(_batch_grads(w, X, Y, batch_size, lambda size: batch_size))


def _residual_not_squared(answer, w, X, Y, batch_size) -> bool:
    """Batch losses sum(|r|)/N or sum(r)/N instead of sum(r**2)/N (any batching gives the same sum)."""
    if not isinstance(answer, torch.Tensor) or answer.shape != w.shape:
        return False
    residual = X @ w.detach() - Y
    candidates = (X.T @ torch.sign(residual) / len(X), X.sum(0) / len(X))
    return any(torch.allclose(answer.detach().to(w.dtype), c, rtol=1e-4, atol=1e-5) for c in candidates)


def _dropped_last_batch(w, X, Y, batch_size):
    grads = _batch_grads(w, X, Y, batch_size, lambda size: len(X))
    return sum(g for g, start in zip(grads, range(0, len(X), batch_size)) if start + batch_size <= len(X))


_ACCUMULATIONS = [lambda w, X, Y, b: sum(_batch_grads(w, X, Y, b, lambda size: len(X))),
                  _mean_per_batch, _sum_without_n, _mean_over_batch_count, _dropped_last_batch]


def _kept_full_gradient(answer, w, X, Y, batch_size) -> bool:
    """Experiment 1's gradient is still in w.grad: answer = full + (some accumulation)."""
    if not isinstance(answer, torch.Tensor) or answer.shape != w.shape:
        return False
    full = sum(_batch_grads(w, X, Y, batch_size, lambda size: len(X)))
    rest = answer.detach() - full
    return any(torch.allclose(rest, f(w, X, Y, batch_size), rtol=1e-4, atol=1e-4) for f in _ACCUMULATIONS)


def _batch_count(X, batch_size) -> int:
    return -(-len(X) // batch_size)


def _observe_accumulation(answer) -> Result | None:
    """Run the learner's function on a copy of every case and watch ``w.grad``.

    ``register_post_accumulate_grad_hook`` fires each time a backward pass *accumulates into*
    ``w.grad`` (``torch.autograd.grad`` does not), so it tells how the function reached its value.
    Any exception is left to the engine, which explains it.
    """
    for case in _minibatch_cases():
        w, X, Y, batch_size = _fresh(case)
        accumulated = [0]
        w.register_post_accumulate_grad_hook(lambda _, n=accumulated: n.__setitem__(0, n[0] + 1))
        try:
            with time_limit(5.0):
                got = answer(w, X, Y, batch_size)
        except TooSlow:
            raise
        except Exception:  # noqa: BLE001 -- the engine runs it again and explains the error
            return None
        batches = _batch_count(X, batch_size)
        if isinstance(got, torch.Tensor) and got is not w.grad and got.shape == w.shape and (
                got is w or got.data_ptr() == w.data_ptr()
                or (got.device == w.device and torch.equal(got.detach(), w.detach()))):
            return incorrect(_("Your function returns `w` itself -- the parameters -- not their gradient. The "
                             "gradient that `backward()` accumulates lives in `w.grad`."), mistake=N_("returned w"))
        if got is None and w.grad is None:
            return incorrect(
                _("Your function returns `None`, and `w.grad` is `None` when it finishes: after the reset, "
                "no `backward()` reached `w`. Check that your loop runs over every mini-batch and calls "
                "`backward()` on each mini-batch's loss (and return `w.grad`)."),
                mistake=N_("no backward after the reset"))
        if not (isinstance(got, torch.Tensor) and got.shape == w.shape and got.device == w.device
                and got.is_floating_point()):
            return None  # the engine explains a wrong type, shape, dtype or device
        try:
            right = torch.allclose(got.detach().to(w.dtype), _full_gradient(*_fresh(case)), rtol=1e-4, atol=1e-5)
        except Exception:  # noqa: BLE001 -- an answer we cannot compare: the engine judges it
            return None
        if right and accumulated[0] < batches:
            return incorrect(
                _("The value is right, but `backward()` accumulated into `w.grad` only {count} "
                "time(s) while the data has {batches} mini-batches of `batch_size` rows: what you return is "
                "not the sum of one `backward()` per mini-batch (experiment 1 had already left the full-batch "
                "gradient in `w.grad`, and `torch.autograd.grad` does not write into `.grad`). Reset "
                "`w.grad`, then call `backward()` once per mini-batch.").format(count=accumulated[0], batches=batches),
                mistake=N_("did not accumulate one backward per mini-batch"))
    return None


def _only_one_batch_left(answer, w, X, Y, batch_size) -> bool:
    """w.grad reset inside the loop: only the last (or first) batch's share survives."""
    if not isinstance(answer, torch.Tensor) or answer.shape != w.shape or _batch_count(X, batch_size) < 2:
        return False
    got = answer.detach()
    for divisor in (lambda size: len(X), lambda size: size, lambda size: 1):
        grads = _batch_grads(w, X, Y, batch_size, divisor)
        if any(torch.allclose(got, g, rtol=1e-4, atol=1e-5) for g in (grads[-1], grads[0])):
            return True
    return False


def _all_zero(answer, w, X, Y, batch_size) -> bool:
    return isinstance(answer, torch.Tensor) and answer.shape == w.shape and not answer.detach().any()


minibatch_gradient = Exercise(
    title=N_("Exercise 1: mini-batch gradients that add up"),
    reference=_full_gradient,
    inputs=_minibatch_cases,
    function=True,
    mistakes=[
        Mistake(N_("no mini-batch gradient reached w.grad"),
                N_("`w.grad` is all zeros: it was reset, but no mini-batch `backward()` added anything to it "
                "afterwards. Call `backward()` on each mini-batch's loss inside the loop."),
                test=_all_zero),
        Mistake(N_("only one mini-batch left in w.grad"),
                N_("`w.grad` holds the gradient of a single mini-batch: the batches before it were thrown away. "
                "Resetting `w.grad` *inside* the loop (or replacing it) undoes the accumulation; reset once, "
                "before the loop."), test=_only_one_batch_left),
        Mistake(N_("forgot to zero between experiments"),
                N_("Your result is experiment 1's gradient plus your mini-batch sum (twice the expected gradient "
                "when the loop itself is right): `backward()` *adds* to `w.grad`, and nothing cleared it before "
                "your mini-batch loop. Reset it first."),
                test=_kept_full_gradient),
        Mistake(N_("averaged each mini-batch"),
                N_("Each mini-batch loss is a *mean* over its own rows, so every row was divided by the batch "
                "size instead of by N, and the accumulated gradient is too large by about the number of batches. "
                "The pieces must add up to the full-batch mean."),
                wrong=_mean_per_batch),
        Mistake(N_("summed without dividing by N"),
                N_("Your batch losses are plain sums of squared errors: the full-batch loss is a *mean*, so "
                "every row's contribution must be divided by the number of rows N."),
                wrong=_sum_without_n),
        Mistake(N_("divided by the number of batches"),
                N_("Dividing each batch mean by the number of batches works only when all batches have the same "
                "size. Here the last batch is smaller, so its rows count too much. Weight every row equally."),
                test=_divided_by_batch_count),
        Mistake(N_("divided by batch_size"),
                N_("Each batch's sum was divided by `batch_size` instead of by N, the total number of rows: the "
                "batches add up to about N / `batch_size` times the full-batch gradient (and the smaller last "
                "batch is not even a mean). Divide every batch's sum by N."),
                wrong=_sum_over_batch_size),
        Mistake(N_("residual not squared"),
                N_("Your batch losses do not square the residual `Xb @ w - Yb` (an absolute value, or no square "
                "at all): the full-batch loss is the mean of *squared* errors."),
                test=_residual_not_squared),
        Mistake(N_("dropped the last, smaller batch"),
                N_("Some rows never reached `backward()`: when N is not a multiple of `batch_size` the last "
                "batch is smaller, and your loop skipped it."),
                wrong=_dropped_last_batch),
    ],
    error_hints=[
        ErrorHint(r"grad can be implicitly created only for scalar outputs",
                  N_("Your mini-batch loss is still a vector (one squared error per row), and `backward()` "
                  "without arguments needs a single number. Reduce it -- and choose the reduction so that "
                  "the batch losses add up to the full-batch mean."),
                  name=N_("called backward on a non-scalar")),
        ErrorHint(r"'NoneType' object has no attribute",
                  N_("`w.grad` is `None` at that point: once it has been set to None (or before any backward call) "
                  "there is no tensor to call methods on. Either set it to None, or call `.zero_()` while it exists."),
                  name=N_("used .grad while it was None")),
    ],
    hints=[
        (N_("Two things: (1) `w.grad` already holds experiment 1's gradient when your code starts -- every "
         "`backward()` adds to it. (2) Loop over the rows in slices `X[i:i + batch_size]`, one "
         "`backward()` per slice, and return `w.grad` after the loop.")),
        (N_("The full-batch loss is (1/N) * (sum over all rows of the squared error). Split that sum by "
         "mini-batch: each batch contributes the sum of *its* squared errors divided by N (the total number "
         "of rows, not the batch size). The last batch may be smaller.")),
    ],
    solution_text=N_("""
def minibatch_gradient(w, X, Y, batch_size):
    full_loss = ((X @ w - Y) ** 2).mean()
    full_loss.backward()

    w.grad = None                       # or w.grad.zero_(): forget experiment 1
    N = len(X)
    for start in range(0, N, batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        batch_loss = ((Xb @ w - Yb) ** 2).sum() / N    # this batch's share of the full mean
        batch_loss.backward()                           # adds to w.grad
    return w.grad
"""),
    success=N_("On every data set (one with a smaller last batch too), `backward()` accumulated into "
            "`w.grad` at least as many times as the data has mini-batches, and what you returned equals the "
            "full-batch gradient: "
            "accumulation used on purpose."),
    rtol=1e-5,
    atol=1e-5,
    pre_checks=[_observe_accumulation],
    may_change=("grad",),  # the function calls backward(): it writes w.grad of its input
    properties=[
        Property(N_("finite"), N_("Your gradient contains NaN or inf: every row's squared error has a finite "
                 "gradient, so something divided by zero or used an uninitialised value."),
                 lambda got, *case: bool(torch.isfinite(torch.as_tensor(got)).all())),
    ],
    key=("** 2).sum() / N",),
)




# --------------------------------------------------------------------------------------------------
# Exercise 2 (predict): x.grad after backward calls, retain_graph, a caught error and a new graph
#
# Every graph here is one whose local derivative depends on x (2x, 3x^2), so backward must have saved
# x: the answer follows from rules the lesson states (accumulation; saved tensors are freed unless
# retain_graph=True; a new forward pass builds a new graph), not from which ops save what.

PREDICT_SEQUENCE = """\
x = torch.tensor([1., 2., 3.], requires_grad=True)
y = (x ** 2).sum()
y.backward(retain_graph=True)    # call (1)
y.backward()                     # call (2)
try:
    y.backward()                 # call (3)
except RuntimeError:
    print("call (3) raised")
y = (x ** 3).sum()               # a new forward pass
y.backward()                     # call (4)"""


def _run_sequence(x: torch.Tensor) -> torch.Tensor:
    y = (x**2).sum()
    y.backward(retain_graph=True)
    y.backward()
    try:
        y.backward()
    except RuntimeError:
        pass
    y = (x**3).sum()
    y.backward()
    return x.grad


def _matches(values):
    def test(answer, x):
        if not isinstance(answer, torch.Tensor) or answer.shape != x.shape or not answer.is_floating_point():
            return False
        return torch.allclose(answer.detach().double(), values(x.detach().double()))
    return test


def _increasing(got, x) -> bool:
    values = torch.as_tensor(got, dtype=torch.float64).reshape(-1)
    return values.numel() != 3 or bool((values[1:] > values[:-1]).all())


predict_grad = Exercise(
    title=N_("Exercise 2: predict x.grad"),
    reference=_run_sequence,
    inputs=(torch.tensor([1.0, 2.0, 3.0], requires_grad=True),),
    check_dtype=False,
    mistakes=[
        Mistake(N_("thought call (3) adds"),
                N_("You counted call (3). It comes after call (2), which had no `retain_graph=True`: (2) freed "
                "the saved tensors (the derivative 2x needs x, so x was saved), call (3) raises, the `except` "
                "catches the error, and nothing is added."),
                test=_matches(lambda x: 6 * x + 3 * x**2)),
        Mistake(N_("thought .grad is overwritten"),
                N_("That is only what call (4) contributes, as if each call replaced `x.grad`. Every `backward()` "
                "*adds* to `.grad`; a new forward pass builds a new graph but does not reset `x.grad`."),
                test=_matches(lambda x: 3 * x**2)),
        Mistake(N_("counted y once"),
                N_("You counted y's gradient once. Call (1) passed `retain_graph=True`, so its saved tensors "
                "survived and call (2) runs too, adding its gradient again."),
                test=_matches(lambda x: 2 * x + 3 * x**2)),
        Mistake(N_("left out the new graph"),
                N_("You left out call (4). Its `y` is a *new* graph from a new forward pass, with its own saved "
                "tensors: the error of call (3) does not stop it, and it adds d/dx sum(x**3) to `x.grad`."),
                test=_matches(lambda x: 4 * x)),
        Mistake(N_("derivative of x**3"),
                N_("Calls (1)-(4) are counted right, but call (4)'s contribution is off: it adds the derivative "
                "of sum(x**3) with respect to each x_i."),
                test=lambda answer, x: any(_matches(lambda v, f=f: 4 * v + f(v))(answer, x)
                                           for f in (lambda v: v**2, lambda v: 3 * v, lambda v: v**3,
                                                     lambda v: 3 * v**3))),
        Mistake(N_("derivative of x**2"),
                N_("Calls (1)-(4) are counted right, but what one `y.backward()` of sum(x**2) adds is off: it "
                "adds the derivative of sum(x**2) with respect to each x_i."),
                test=lambda answer, x: any(_matches(lambda v, f=f: 2 * f(v) + 3 * v**2)(answer, x)
                                           for f in (lambda v: v, lambda v: v**2, lambda v: 2 * v**2))),
    ],
    properties=[
        Property(N_("increasing"), N_("Every call that runs adds a gradient that grows with x (x = 1, 2, 3), so "
                 "`x.grad` must grow from x.grad[0] to x.grad[2]; yours does not."), _increasing),
    ],
    hints=[
        (N_("Write what *one* `backward()` of `(x ** 2).sum()` and of `(x ** 3).sum()` adds to `x.grad`, "
         "as formulas in x.")),
        (N_("Then decide which calls run. The derivative 2x needs the value of x, so the graph saved x: which "
         "call frees it, and which later call finds it gone? Does the new forward pass before call (4) "
         "have its own graph?")),
        N_("Nothing in the sequence resets `x.grad`: the contributions of all calls that run add up."),
    ],
    solution_text=N_("""
one backward of sum(x**2) adds 2*x;   one backward of sum(x**3) adds 3*x**2

call (1): runs, keeps the saved tensors (retain_graph=True)     x.grad = 2x
call (2): runs, then frees them                                 x.grad = 4x
call (3): raises (saved tensors freed), caught: adds nothing    x.grad = 4x
call (4): a new graph, runs                                     x.grad = 4x + 3x**2

x = torch.tensor([1., 2., 3.])
answer = 4 * x + 3 * x**2      # or type the three numbers
"""),
    success=N_("Calls (1), (2) and (4) add up in `x.grad`; call (3) found the saved tensors freed and "
            "added nothing."),
    key=("4 * x + 3 * x**2",),
    kind="predict",
)


# --------------------------------------------------------------------------------------------------
# Exercise 3: an evaluation loop that records no graph


def _evaluation_cases():
    cases = []
    for sizes, seed in [((4, 4, 2), 5), ((3, 5), 6), ((6,), 7)]:
        generator = torch.Generator().manual_seed(seed)
        w = torch.randn(3, generator=generator).requires_grad_()
        batches = []
        for n in sizes:
            X = torch.randn(n, 3, generator=generator)
            batches.append((X, X @ torch.tensor([1.0, -1.0, 0.5]) + 0.1 * torch.randn(n, generator=generator)))
        cases.append((w, batches))
    return cases


def _squared_errors(w, batches):
    return [((X @ w.detach() - Y) ** 2).double() for X, Y in batches]


def _evaluation_loss(w, batches) -> float:
    errors = _squared_errors(w, batches)
    return float(sum(e.sum() for e in errors) / sum(e.numel() for e in errors))


def _mean_of_batch_means(w, batches) -> float:
    errors = _squared_errors(w, batches)
    return float(sum(e.mean() for e in errors) / len(errors))


def _sum_of_batch_means(w, batches) -> float:
    return float(sum(e.mean() for e in _squared_errors(w, batches)))


def _sum_not_mean(w, batches) -> float:
    return float(sum(e.sum() for e in _squared_errors(w, batches)))


def _last_batch_only(w, batches) -> float:
    return float(_squared_errors(w, batches)[-1].mean())


def _sum_over_batch_count(w, batches) -> float:
    return _sum_not_mean(w, batches) / len(batches)


def _sum_over_last_size(w, batches) -> float:
    return _sum_not_mean(w, batches) / len(batches[-1][1])


def _absolute_error(w, batches) -> float:
    residuals = [(X @ w.detach() - Y).double() for X, Y in batches]
    return float(sum(r.abs().sum() for r in residuals) / sum(r.numel() for r in residuals))


def _mean_error(w, batches) -> float:
    residuals = [(X @ w.detach() - Y).double() for X, Y in batches]
    return float(sum(r.sum() for r in residuals) / sum(r.numel() for r in residuals))


def _root_mean(w, batches) -> float:
    return _evaluation_loss(w, batches) ** 0.5


def _as_number(got):
    """A Python number or a one-element tensor as a float; None for anything else."""
    numbers = as_numbers(got, 1)
    return None if numbers is None else float(numbers[0])


def _compare_loss(got, expected, case) -> str | None:
    value = _as_number(got)
    if value is None:
        kind = (_("a tensor of shape {shape}").format(shape=tuple(got.shape)) if isinstance(got, torch.Tensor)
                else type(got).__name__)
        return _("Your function returns {kind}; one number is expected (a Python float or a 0-d tensor).").format(
            kind=kind)
    if isinstance(got, torch.Tensor) and got.requires_grad:
        return _("Your result still requires grad: it is attached to a graph. Compute it where autograd "
                 "records nothing.")
    if abs(value - expected) <= 1e-5 + 1e-5 * abs(expected):
        return None
    return _("Your value is not the mean squared error over all rows of all batches.")


def _value_fingerprint(wrong):
    def test(answer, w, batches) -> bool:
        value = _as_number(answer)
        target = wrong(w, batches)
        return value is not None and abs(value - target) <= 1e-5 + 1e-5 * abs(target)
    return test


def _observe_evaluation(answer) -> Result | None:
    """Run the learner's function on a copy of every case and watch autograd while it runs.

    ``saved_tensors_hooks`` sees every tensor autograd saves for a backward pass, i.e. whether a
    graph was recorded (a ``.detach()`` at the end does not undo that). Afterwards: is grad mode
    still on, does ``w`` still require grad, did ``w.grad`` change?
    """
    mode = torch.is_grad_enabled()  # the notebook's grad mode before the check (normally on)
    for case in _evaluation_cases():
        w, batches = _fresh(case)
        saved = [0]

        def pack(t, count=saved):
            count[0] += 1
            return t

        try:
            with time_limit(5.0), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                got = answer(w, batches)
        except TooSlow:
            raise
        except Exception:  # noqa: BLE001 -- the engine runs it again and explains the error
            torch.set_grad_enabled(mode)
            return None
        if torch.is_grad_enabled() != mode:
            torch.set_grad_enabled(mode)  # undo it for the rest of the notebook
            return incorrect(
                _("After your function returned, gradient recording was still switched off for the whole "
                "notebook: your function turned it off and never back on (a plain "
                "`torch.set_grad_enabled(False)` statement stays in force). Use it "
                "(or `torch.no_grad()`) as a `with` block, which switches recording back on at its end. "
                "(The check switched it back on for you.)"), mistake=N_("left grad mode off"))
        if not w.requires_grad:
            return incorrect(
                _("Your function switched off `requires_grad` of the caller's `w`: after evaluating, the "
                "parameter would no longer train. Leave `w` as it is; turn off recording around the "
                "computation instead."), mistake=N_("changed w.requires_grad"))
        if w.grad is not None:
            return incorrect(
                _("Your function left a gradient in `w.grad`: evaluation must not call `backward()` -- it "
                "would add to the gradients of the next training step."), mistake=N_("called backward"))
        if saved[0]:
            return incorrect(
                _("Autograd recorded a graph while your function ran (it saved {count} tensor(s) for a "
                "backward pass that never comes). The value may be right, but the exercise asks for an "
                "evaluation that records nothing: compute inside a block that turns autograd off. "
                "(`.detach()` or `.item()` at the end comes too late: the graph was already built.)").format(
                    count=saved[0]), mistake=N_("recorded a graph"))
        if got is None:
            return incorrect(_("Your function returns `None`: did you forget the `return` statement?"))
    return None


evaluate = Exercise(
    title=N_("Exercise 3: an evaluation loop that records no graph"),
    reference=_evaluation_loss,
    inputs=_evaluation_cases,
    function=True,
    compare=_compare_loss,
    pre_checks=[_observe_evaluation],
    mistakes=[
        Mistake(N_("averaged the batch means"),
                N_("You averaged the per-batch means. The batches have different sizes, so each batch's mean "
                "weighs its rows differently; the mean over *all rows* counts every row once."),
                test=_value_fingerprint(_mean_of_batch_means)),
        Mistake(N_("added the batch means"),
                N_("You added up the per-batch means, so the result grows with the number of batches. The "
                "mean over all rows counts every row once and divides once."),
                test=_value_fingerprint(_sum_of_batch_means)),
        Mistake(N_("summed without dividing"),
                N_("That is the *sum* of the squared errors over all rows: divide by the number of rows."),
                test=_value_fingerprint(_sum_not_mean)),
        Mistake(N_("divided by the number of batches"),
                N_("You divided the total squared error by the number of batches; the mean over all rows divides "
                "by the number of *rows*."), test=_value_fingerprint(_sum_over_batch_count)),
        Mistake(N_("divided by the last batch's size"),
                N_("You divided the total squared error by the size of the last batch only (the loop variable "
                "left over after the loop). Count the rows of every batch."),
                test=_value_fingerprint(_sum_over_last_size)),
        Mistake(N_("absolute error"),
                N_("That is the mean *absolute* error; the exercise asks for the mean of the *squared* errors."),
                test=_value_fingerprint(_absolute_error)),
        Mistake(N_("residual not squared"),
                N_("That is the mean of the residuals `X @ w - Y` themselves: square each one before averaging."),
                test=_value_fingerprint(_mean_error)),
        Mistake(N_("kept only the last batch"),
                N_("That is the mean of the last batch only: the loop overwrote the running total instead of "
                "adding to it."), test=_value_fingerprint(_last_batch_only)),
        Mistake(N_("took the square root"),
                N_("That is the root of the mean squared error; the exercise asks for the mean squared error "
                "itself."), test=_value_fingerprint(_root_mean)),
    ],
    properties=[
        Property(N_("not negative"), N_("A mean of squared errors cannot be negative; yours is."),
                 lambda got, *case: (_as_number(got) is None) or _as_number(got) >= 0),
    ],
    forbid=[Forbid(N_("no backward"), N_("Evaluation computes no gradients: don't call `backward()` or "
                   "`torch.autograd.grad`."), autograd=True)],
    error_hints=[
        ErrorHint(r"does not support the context manager protocol",
                  N_("`with` needs an *object*: write `torch.no_grad()` with parentheses (the same for "
                  "`torch.inference_mode()`)."), name=N_("with torch.no_grad without ()")),
        ErrorHint(r"Inference tensors cannot be saved for backward",
                  N_("A tensor created under `torch.inference_mode()` was used in a computation that "
                  "autograd records. Keep the whole computation inside the block."),
                  name=N_("used an inference tensor outside inference mode")),
    ],
    hints=[
        (N_("Section 10 shows blocks inside which autograd records nothing: no `grad_fn`, nothing saved "
         "for backward. Run the whole loop inside one of them.")),
        (N_("The batches have different sizes. Add up the squared errors of every row (not the batch means) "
         "and count the rows as you go; divide once at the end. `.item()` turns a 0-d tensor into a "
         "Python float.")),
    ],
    solution_text=N_("""
def evaluate(w, batches):
    total, rows = 0.0, 0
    with torch.no_grad():                 # or torch.inference_mode()
        for X, Y in batches:
            total += ((X @ w - Y) ** 2).sum().item()
            rows += len(Y)
    return total / rows
"""),
    success=N_("The mean squared error over all rows is right on every set of batches, and while your "
            "function ran autograd saved no tensor, `w` kept `requires_grad=True` and `w.grad` stayed empty."),
    key=("total / rows",),
)


# --------------------------------------------------------------------------------------------------
# Exercise 4 (predict): one tensor on two paths of one graph

TWO_PATHS = """\
x = torch.tensor([1., 2., 3.], requires_grad=True)
h = 2 * x
y = (h * h + h).sum()
y.backward()"""


def _two_paths(x: torch.Tensor) -> torch.Tensor:
    h = 2 * x
    (h * h + h).sum().backward()
    return x.grad


predict_two_paths = Exercise(
    title=N_("Exercise 4: predict x.grad for a tensor used twice"),
    reference=_two_paths,
    inputs=(torch.tensor([1.0, 2.0, 3.0], requires_grad=True),),
    check_dtype=False,
    mistakes=[
        Mistake(N_("only the h * h path"),
                N_("You followed only the path through `h * h`. `h` also reaches y directly (the `+ h`): "
                "gradients from every path add up."), test=_matches(lambda x: 8 * x)),
        Mistake(N_("only the + h path"),
                N_("You followed only the direct path `+ h`. The path through `h * h` contributes too: "
                "gradients from every path add up."), test=_matches(lambda x: 2 + 0 * x)),
        Mistake(N_("h * h counted as one use"),
                N_("In `h * h` the tensor h is used twice (both factors), so that product alone sends back "
                "two contributions -- the product rule. You counted one of them."),
                test=_matches(lambda x: 4 * x + 2)),
        Mistake(N_("forgot dh/dx"),
                N_("That is the gradient with respect to h. x reaches h through `h = 2 * x`, so each path's "
                "gradient is multiplied by dh/dx on the way back to x."),
                test=_matches(lambda x: 4 * x + 1)),
        Mistake(N_("dh/dx on one path only"),
                N_("Both paths pass through `h = 2 * x`: the direct path `+ h` is multiplied by dh/dx on the "
                "way back to x too, not only the path through `h * h`."),
                test=lambda answer, x: _matches(lambda v: 8 * v + 1)(answer, x)),
        Mistake(N_("gradient of y written in x without the chain"),
                N_("You differentiated as if h were x. Write y in terms of x first (h = 2x), or multiply by "
                "dh/dx on the way back."), test=_matches(lambda x: 2 * x + 1)),
    ],
    properties=[
        Property(N_("increasing"), N_("`h * h` sends back a gradient that grows with x (x = 1, 2, 3), so `x.grad` "
                 "must grow from x.grad[0] to x.grad[2]; yours does not."), _increasing),
    ],
    hints=[
        (N_("List the paths from y back to x: through `h * h` (where h appears twice) and through the "
         "plain `+ h`. Each path goes through `h = 2 * x`.")),
        (N_("dy/dh adds the contributions of every use of h. Then multiply by dh/dx. Nothing else is "
         "added to `x.grad`: there is a single backward call.")),
    ],
    solution_text=N_("""
y = sum(h*h + h),  h = 2x
dy/dh = h + h (both factors of h*h) + 1 (the direct path) = 2h + 1
dy/dx = (2h + 1) * dh/dx = (4x + 1) * 2 = 8x + 2

x = torch.tensor([1., 2., 3.])
answer = 8 * x + 2
"""),
    success=N_("All three uses of h add up inside one backward pass, then the chain rule through h = 2x."),
    key=("8 * x + 2",),
    kind="predict",
)
