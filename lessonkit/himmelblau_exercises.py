"""Lesson 6, the exercises: a training loop for a different function (a line with two parameters),
and a predict-the-output question (which minimum Adam reaches), asked before the basins map shows it."""

from __future__ import annotations

import functools

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from lessonkit.checks import ErrorHint, Exercise, Mistake, Property, incorrect, time_limit
from lessonkit.himmelblau_dynamics import MINIMUM_NAMES, minimum_names, optimise_batch
from lessonkit.i18n import N_, _

# --------------------------------------------------------------------------------------------------
# Exercise 1: a training loop with two parameters (fit a line)

FIT_LR = 0.1


def _fit_cases():
    noise = torch.Generator().manual_seed(6)
    t1 = torch.linspace(-1, 1, 21)
    t2 = torch.linspace(0, 3, 16)
    t3 = torch.linspace(-2, 2, 9)
    return [
        (t1, 2 * t1 - 1, 200),  # points exactly on a line
        (t2, -0.5 * t2 + 3 + 0.1 * torch.randn(16, generator=noise), 200),  # noisy, falling
        (t3, 0.8 * t3 + 1.5 + 0.3 * torch.randn(9, generator=noise), 200),  # noisy, rising
    ]


def least_squares_line(t, y) -> tuple[float, float]:
    """The (w, b) minimising mean((w t + b - y)^2), exactly (float64 normal equations)."""
    design = torch.stack([t.double(), torch.ones_like(t, dtype=torch.float64)], dim=1)
    w, b = torch.linalg.lstsq(design, y.double()[:, None]).solution.flatten().tolist()
    return w, b


def _fit_reference(t, y, steps):
    return least_squares_line(t, y)


def _pair(answer):
    """(w, b) as floats from what the learner returned (a pair of tensors/numbers, or a 2-element tensor)."""
    if isinstance(answer, torch.Tensor):
        if answer.numel() != 2:
            return None
        answer = answer.detach().reshape(2)
    if not isinstance(answer, (tuple, list, torch.Tensor)) or len(answer) != 2:
        return None
    values = []
    for value in answer:
        if isinstance(value, torch.Tensor):
            if value.numel() != 1 or value.is_complex():
                return None
            value = value.detach().item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        values.append(float(value))
    return tuple(values)


def _loss(t, y, w, b) -> float:
    return float(((w * t.double() + b - y.double()) ** 2).mean())


def _fit_compare(got, expected, case) -> str | None:
    t, y, _steps = case
    pair = _pair(got)
    if pair is None:
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            return _("Your function returned one number (is it the loss?). Return the two parameters: `w, b`.")
        return _("Return the two parameters as `w, b` (two tensors or numbers); your function returned {kind}.").format(
            kind=_kind(got))
    w, b = pair
    if not all(map(_finite, pair)):
        return _("Your w or b is NaN or inf: the run diverged.")
    if abs(w - expected[0]) <= 1e-3 and abs(b - expected[1]) <= 1e-3:
        return None
    start, now = _loss(t, y, 0.0, 0.0), _loss(t, y, w, b)
    if now < start:
        return _("After your loop the mean squared error is {now:.3g} (it was {start:.3g} at w = b = 0): the line "
                 "improved but is not the best one yet. Does the loop run `steps` times, with lr=0.1, and does it "
                 "minimise the mean of the *squared* residuals?").format(now=now, start=start)
    return _("After your loop the mean squared error is {now:.3g}, no better than at the start (w = b = 0: "
             "{start:.3g}). Is the loss the mean of the squared residuals `w * t + b - y`?").format(
        now=now, start=start)


def _finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


def _kind(value) -> str:
    return "None" if value is None else _("a {type}").format(type=type(value).__name__)


def _returned_leaves(answer):
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        return [a for a in answer if isinstance(a, torch.Tensor) and a.is_leaf]
    return []


def _unmoved(answer, t, y, steps) -> bool:
    pair = _pair(answer)
    return pair is not None and pair == (0.0, 0.0)


def _unmoved_gradient_erased(answer, t, y, steps) -> bool:
    leaves = _returned_leaves(answer)
    return _unmoved(answer, t, y, steps) and len(leaves) == 2 and all(
        leaf.grad is None or not leaf.grad.any() for leaf in leaves)


def _one_parameter_frozen(index):
    def test(answer, t, y, steps) -> bool:
        pair = _pair(answer)
        if pair is None or pair[index] != 0.0 or pair[1 - index] == 0.0:
            return False
        return abs(least_squares_line(t, y)[index]) > 1e-3

    return test


_LOSSES = {"squares": lambda r: (r ** 2).mean(), "square of mean": lambda r: r.mean() ** 2,
           "not squared": lambda r: r.mean()}


def _loop(t, y, steps, *, zero_grad=True, loss="squares", lr=FIT_LR):
    """What a (wrong) variant of the loop returns; computed once per data set and variant."""
    return _cached_loop(tuple(t.tolist()), tuple(y.tolist()), int(steps), zero_grad, loss, lr)


@functools.lru_cache(maxsize=64)
def _cached_loop(t, y, steps, zero_grad, loss, lr):
    t, y, loss = torch.tensor(t), torch.tensor(y), _LOSSES[loss]
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    optimizer = torch.optim.Adam([w, b], lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            value = loss(w * t + b - y)
            if zero_grad:
                optimizer.zero_grad()
            value.backward()
            optimizer.step()
    return w.detach().item(), b.detach().item()


def _near(answer, wrong, tolerance=1e-3) -> bool:
    pair = _pair(answer)
    return pair is not None and all(abs(a - w) <= tolerance * (1 + abs(w)) for a, w in zip(pair, wrong))


def _accumulated(answer, t, y, steps) -> bool:
    """No zero_grad(): the returned leaves' .grad holds far more than one gradient, or the values are the
    ones an accumulating loop produces."""
    leaves = _returned_leaves(answer)
    pair = _pair(answer)
    if len(leaves) == 2 and pair is not None and all(leaf.grad is not None for leaf in leaves):
        w, b = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in pair)
        with torch.enable_grad():
            ((w * t.double() + b - y.double()) ** 2).mean().backward()
        held = torch.stack([leaves[0].grad.double().reshape(()), leaves[1].grad.double().reshape(())])
        one = torch.stack([w.grad, b.grad])
        if (held - one).norm() > 10 * (one.norm() + 0.1):
            return True
    return _near(answer, _loop(t, y, steps, zero_grad=False), 1e-2)


def _square_of_mean(answer, t, y, steps) -> bool:
    return _near(answer, _loop(t, y, steps, loss="square of mean"), 1e-2)


def _not_squared(answer, t, y, steps) -> bool:
    return _near(answer, _loop(t, y, steps, loss="not squared"), 1e-2)


def _default_lr(answer, t, y, steps) -> bool:
    return _near(answer, _loop(t, y, steps, lr=1e-3), 1e-2)


# ---- observing which optimizer stepped (the stated rule: torch.optim.Adam) -----------------------

def _run_observed(function, case) -> set[str] | None:
    """Run the learner's function once on a copy of ``case``; the names of the optimizer classes whose
    ``step()`` ran (observed with torch's global step hook, never by reading the code). None when the
    function raised (the engine then translates the error)."""
    stepped: set[str] = set()
    handle = register_optimizer_step_post_hook(
        lambda optimizer, args, kwargs: stepped.add(type(optimizer).__name__))
    try:
        with time_limit(5.0):
            function(*(c.clone() if isinstance(c, torch.Tensor) else c for c in case))
    except Exception:  # noqa: BLE001 -- the engine runs it again and explains the error (or "too slow")
        return None
    finally:
        handle.remove()
    return stepped


def _uses_adam(answer):
    if not callable(answer):
        return None
    stepped = _run_observed(answer, _fit_cases()[0])
    if stepped is None or stepped == {"Adam"}:
        return None
    if not stepped:
        return incorrect(_("The exercise asks for a `torch.optim.Adam` optimizer, but no optimizer's `step()` ran in "
                           "your function: let the optimizer update w and b."), mistake=N_("no optimizer step"))
    others = ", ".join(sorted(stepped - {"Adam"}))
    return incorrect(_("The exercise asks for `torch.optim.Adam`; your function stepped {others}. Use Adam with "
                       "lr=0.1 (the point is the loop, not the optimizer).").format(others=others),
                     mistake=N_("not Adam"))


def _line_improves(got, t, y, steps) -> bool:
    pair = _pair(got)
    return pair is None or _loss(t, y, *pair) < _loss(t, y, 0.0, 0.0)


fit_line = Exercise(
    title=N_("Exercise 1: a training loop with two parameters"),
    reference=_fit_reference,
    inputs=_fit_cases,
    function=True,
    compare=_fit_compare,
    pre_checks=[_uses_adam],
    time_limit=5.0,
    mistakes=[
        Mistake(N_("zero_grad between backward and step"),
                N_("w and b never moved from 0, and their `.grad` is empty: when the optimizer stepped, the gradient "
                "had just been erased. Which call must come *before* `backward()`?"),
                test=_unmoved_gradient_erased),
        Mistake(N_("no step()"),
                N_("w and b never moved from 0: nothing applied an update. Which optimizer call changes the "
                "parameters, and does it run in every iteration?"),
                test=_unmoved),
        Mistake(N_("b not given to the optimizer"),
                N_("w moved but b stayed at its start 0: the optimizer only changes the tensors it was given. "
                "Is b in the list you passed to it?"),
                test=_one_parameter_frozen(1)),
        Mistake(N_("w not given to the optimizer"),
                N_("b moved but w stayed at its start 0: the optimizer only changes the tensors it was given. "
                "Is w in the list you passed to it?"),
                test=_one_parameter_frozen(0)),
        Mistake(N_("no zero_grad (gradient accumulation)"),
                N_("Your w and b are what a loop without `zero_grad()` produces: `backward()` *adds* to `.grad`, so "
                "the optimizer followed the sum of all past gradients. Reset the gradients in every iteration."),
                test=_accumulated),
        Mistake(N_("squared the mean"),
                N_("You squared the *mean* residual: many lines have a mean residual of zero. The loss is the mean "
                "of the *squared* residuals: square first, then average."),
                test=_square_of_mean),
        Mistake(N_("residual not squared"),
                N_("Your loss is the mean residual, not squared: it has no minimum, so w and b run off. Square the "
                "residuals before averaging."),
                test=_not_squared),
        Mistake(N_("default learning rate"),
                N_("Your line moved only a little: that is Adam's default learning rate 1e-3 (each step moves w and "
                "b by about lr). The exercise uses lr=0.1."),
                test=_default_lr),
    ],
    properties=[
        Property(N_("loss did not decrease"),
                 N_("After your loop the line fits no better than w = b = 0 did: a training loop must lower the "
                 "loss. Check the sign of the update and what `backward()` is called on."),
                 _line_improves),
    ],
    error_hints=[
        ErrorHint(r"params argument given to the optimizer should be an iterable",
                  N_("An optimizer's first argument is *one* iterable holding every tensor it updates (here two). "
                  "Put them together in one list."),
                  name=N_("parameters not in one list")),
        ErrorHint(r"a leaf Variable that requires grad is being used in an in-place operation",
                  N_("You updated a parameter by hand while autograd was recording. Let the optimizer update it."),
                  name=N_("manual update")),
        ErrorHint(r"got multiple values for argument 'lr'|must be a float|Invalid learning rate|"
                  r"'<' not supported between instances of .Tensor. and .float.",
                  N_("An optimizer takes the parameters as *one* iterable, then keyword settings such as `lr=`. "
                  "Did you pass the two tensors as two separate arguments?"),
                  name=N_("parameters not in one list")),
    ],
    hints=[
        N_("Two parameters this time: make w and b scalar tensors, both 0 and both requiring grad. One optimizer "
           "updates every tensor it is given."),
        N_("The loop body has the same four calls as the reference program; only the function changed: the loss "
           "is the mean of the squared residuals of the line on (t, y)."),
        N_("The optimizer's first argument is one list holding both parameters; return both at the end as `w, b`."),
    ],
    solution_text=N_("""
def fit_line(t, y, steps):
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    optimizer = torch.optim.Adam([w, b], lr=0.1)   # one list: every tensor it updates
    for step in range(steps):
        loss = ((w * t + b - y) ** 2).mean()       # forward: this step's graph
        optimizer.zero_grad()                      # forget the previous gradients
        loss.backward()                            # w.grad and b.grad
        optimizer.step()                           # move both
    return w, b
"""),
    key=("Adam([w, b]",),
    success=N_("On all three data sets your loop, stepping `torch.optim.Adam`, ended at the least-squares "
               "line (w and b within 1e-3). The same loop trains a network: only the parameter list and the loss "
               "grow."),
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: predict the minimum a start reaches (asked before the basins map shows it)

PREDICTION_STARTS = ((3.0, 0.0), (5.0, 1.0), (0.5, -5.5))
PREDICTION_SETTINGS = {"optimizer": "adam", "lr": 1e-2, "steps": 2000}  # the basins map's settings
GD_MAP_SETTINGS = {"optimizer": "sgd", "lr": 1e-3, "steps": 2000}


@functools.cache
def _reached(starts: tuple, optimizer: str, lr: float, steps: int) -> tuple:
    final = optimise_batch(torch.tensor(starts), steps, lr, optimizer)
    return tuple(minimum_names(final))


def _prediction_reference(starts):
    return list(_reached(tuple(starts), **PREDICTION_SETTINGS))


def _nearest_guess(starts) -> list[str]:
    return minimum_names(torch.tensor(starts))


def _normalised(answer):
    if isinstance(answer, str) and len(answer.replace(" ", "").replace(",", "")) == len(PREDICTION_STARTS):
        answer = list(answer.replace(" ", "").replace(",", ""))
    if not isinstance(answer, (list, tuple)) or len(answer) != len(PREDICTION_STARTS):
        return None
    if not all(isinstance(a, str) and a.strip().upper() in MINIMUM_NAMES for a in answer):
        return None
    return [a.strip().upper() for a in answer]


def _check_prediction_format(answer):
    if answer is Ellipsis or answer is None:
        return None
    if _normalised(answer) is None:
        return incorrect(_("Answer with a list of {count} letters, one per start, each one of "
                           "{letters}: for example `['A', 'A', 'A']`.").format(
            count=len(PREDICTION_STARTS), letters=", ".join(MINIMUM_NAMES)), mistake=N_("wrong format"))
    return None


def _compare_predictions(answer, expected, case) -> str | None:
    got = _normalised(answer)
    wrong = [k for k, (a, e) in enumerate(zip(got, expected), start=1) if a != e]
    if not wrong:
        return None
    where = _(", ").join(_("start {k} at {start}").format(k=k, start=PREDICTION_STARTS[k - 1]) for k in wrong)
    return _("{wrong} of {total} predictions are wrong: {where}. Adam's first steps move each coordinate "
             "by about lr against the *sign* of its gradient component, so a run drifts diagonally at first. "
             "Work out the signs of the gradient there, or run the batched loop from these starts.").format(
        wrong=len(wrong), total=len(expected), where=where)


predict_minimum = Exercise(
    title=N_("Exercise 2: which minimum does Adam reach?"),
    reference=_prediction_reference,
    inputs=(PREDICTION_STARTS,),
    compare=_compare_predictions,
    pre_checks=[_check_prediction_format],
    kind="predict",
    mistakes=[
        Mistake(N_("nearest minimum"),
                N_("You predicted the *nearest* minimum for every start (from these three starts, that is also where "
                "plain gradient descent goes: it follows the steepest slope). Adam does not: its first steps move "
                "each coordinate by about lr against the *sign* of that gradient component, whatever its size."),
                test=lambda answer, starts: _normalised(answer) == _nearest_guess(starts)),
    ],
    hints=[
        N_("Don't guess from distances. Adam's early steps are about lr·sign(gradient) in each coordinate: work out "
         "the sign of each component of the gradient at a start and follow that diagonal."),
        N_("Or run it: the batched loop of section 5 with `lr=1e-2` and 2,000 steps, from a (3, 2) tensor of these "
         "starts, then `lesson.minimum_names(...)` of the result."),
    ],
    solution_text=N_("""
final = lesson.optimise_batch(torch.tensor(lesson.PREDICTION_STARTS), steps=2000, lr=1e-2, optimizer="adam")
answer = lesson.minimum_names(final)     # ["A", "D", "C"]

By reasoning: at (3, 0) the gradient is (-32, -4), so Adam's first steps go (+lr, +lr): up, towards A,
although D is (a hair) nearer and gradient descent, moving mostly along x, goes to D. At (5, 1) it is
(298, 26): Adam goes down-left, diagonally, to D (gradient descent: along -x, to A). At (0.5, -5.5) it
is (15, -555): Adam goes up-left to C (gradient descent: straight up, to D). The basins map below
shows it for every start.
"""),
    key=('["A", "D", "C"]',),
    success=N_("Right: A, D, C. Nearness does not decide it; the slope along the way does, and Adam (which moves "
               "each coordinate by about lr at first) has different basins from plain gradient descent."),
)
