"""Lesson 2 -- the exercises of notebooks/02_autograd_grad.ipynb (re-exported by
:mod:`lessonkit.autograd_grad`, the lesson's entry point).

1. :data:`gradient_of_f`      -- df/dx with autograd, without changing the caller's tensor
2. :data:`hand_gradient`      -- the gradient of a squared error derived by hand (no autograd)
3. :data:`weighted_gradient`  -- a vector-Jacobian product v^T J of a tanh layer, for any v
4. :data:`predict_hook`       -- predict dx when a hook scales the gradient on one path
"""

from __future__ import annotations

import torch

from lessonkit.checks import ErrorHint, Exercise, Forbid, Mistake, Property, Result, as_numbers, incorrect
from lessonkit.i18n import N_, _
from lessonkit.observe import recording

# --------------------------------------------------------------------------------------------------
# Exercise 1: df/dx with autograd


def f(x: torch.Tensor) -> torch.Tensor:
    """The exercise's function: f(x) = x0 * x1**2 + exp(x2) (0-based, as in code)."""
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
    return (isinstance(answer, torch.Tensor) and answer.dim() == 0
            and torch.allclose(answer.detach().double(), f(x.detach().double())))


def _one_entry(answer, x) -> bool:
    if not isinstance(answer, torch.Tensor) or answer.dim() != 0:
        return False
    gradient = _gradient_reference(x.double())
    return bool(torch.isclose(answer.detach().double(), gradient).any())


def _uses_autograd(answer) -> Result | None:
    """Exercise 1 asks for autograd: run the learner's function once on a copy and look at its calls."""
    x = torch.tensor([1.0, 2.0, 0.0])
    try:
        with recording() as log:
            got = answer(x.clone())
    except Exception:  # noqa: BLE001 -- the main check runs it again and explains the error
        return None
    if log.autograd or got is None or _is_f_itself(got, x):
        return None  # the main check names these (a missing return, the value of f)
    return incorrect(_("Your function never ran autograd: no `torch.autograd.grad` and no `backward()` "
                       "call reached PyTorch. This exercise is about letting autograd do the calculus "
                       "(exercise 2 is the one by hand)."), mistake=N_("did not use autograd"))


_NOT_IN_GRAPH = (
    N_("You differentiated with respect to a tensor that `f(x)` was not computed from. A slice such as "
       "`x[0]` is a *new* tensor made after the fact (a `SelectBackward0` node), and so is a copy made "
       "with `.clone()`, `torch.tensor(x)` or `.detach()`: the graph does not lead to it. Differentiate "
       "with respect to the very tensor you passed into `f`, and index the *gradient* if you need one entry.")
)

gradient_of_f = Exercise(
    title=N_("Exercise 1: df/dx with autograd"),
    reference=_gradient_reference,
    inputs=_gradient_cases,
    function=True,
    requires_grad=False,
    pre_checks=[_uses_autograd],
    mistakes=[
        Mistake(N_("returned the tuple"),
                N_("You returned what `torch.autograd.grad` returns: a *tuple* with one gradient per input "
                   "you asked about -- even when there is only one input. Return the tensor inside it."),
                test=_is_the_tuple),
        Mistake(N_("returned f(x), not its gradient"),
                N_("You returned a single number equal to `f(x)`: the value of the function, not its "
                   "gradient. The gradient has one entry per entry of `x`."),
                test=_is_f_itself),
        Mistake(N_("returned one entry of the gradient"),
                N_("You returned a single number: one partial derivative. The gradient has one entry per "
                   "entry of `x` -- return the whole tensor autograd gives you."),
                test=_one_entry),
    ],
    error_hints=[
        ErrorHint(r"does not require grad and does not have a grad_fn",
                  N_("`f(x)` has no graph behind it: the tensor you computed it from did not require grad "
                     "at that moment. Make a tensor that requires grad *first* (without touching the "
                     "caller's tensor), then compute `f` from it, then differentiate."),
                  name=N_("forgot requires_grad")),
        ErrorHint(r"appears to not have been used in the graph|One of the differentiated Tensors does not "
                  r"require grad",
                  _NOT_IN_GRAPH, name=N_("a slice or a tensor not in the graph")),
        ErrorHint(r"a view of a leaf Variable that requires grad|leaf Variable that requires grad is being "
                  r"used in an in-place",
                  N_("Your code changed a tensor that requires grad in place. Build a fresh tensor that "
                     "requires grad instead of modifying the one you were given."), name=N_("in-place on a leaf")),
    ],
    hints=[
        N_("Three steps: (1) a version of `x` that requires grad -- a new tensor, so that the caller's "
           "`x` stays as it was, (2) compute `y = f(...)` from *that* tensor, (3) differentiate `y` with "
           "respect to the same tensor."),
        N_("`x.detach().requires_grad_()` gives a fresh leaf that requires grad without changing the input. "
           "`torch.autograd.grad` returns a tuple: unpack it with `(g,) = ...` or take element `[0]`."),
    ],
    solution_text=N_("""
def gradient_of_f(x):
    x = x.detach().requires_grad_()          # a new leaf that autograd tracks (the input is untouched)
    y = f(x)                                 # the graph is recorded now
    (dy_dx,) = torch.autograd.grad(y, x)     # a tuple with one gradient per input
    return dy_dx
"""),
    key=("x.detach().requires_grad_()",),
    success=N_("Right: your function ran autograd, returned a tensor of x's shape with the right values, "
               "detached from any graph, and left the caller's tensor unchanged."),
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
    with torch.enable_grad():
        w = w.detach().clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(squared_error(w, x, t), w)
    return gradient


def _residual(w, x, t):
    return w @ x - t


def _outer_derivative_only(answer, w, x, t) -> bool:
    return (isinstance(answer, torch.Tensor) and answer.dim() == 0
            and torch.allclose(answer.detach().to(w.dtype), 2 * _residual(w, x, t)))


def _the_loss(answer, w, x, t) -> bool:
    return (isinstance(answer, torch.Tensor) and answer.dim() == 0
            and torch.allclose(answer.detach().to(w.dtype), squared_error(w, x, t)))


def _parallel_to_x(got, w, x, t) -> bool:
    """Every correct answer is a multiple of x (the chain rule: dL/dw = (dL/du) x)."""
    got = torch.as_tensor(got).detach().to(torch.float64).reshape(-1)
    x = x.to(torch.float64)
    if got.shape != x.shape:
        return True  # a shape problem; the comparison says so
    scale = (got @ x) / (x @ x)
    return bool(torch.allclose(got, scale * x, rtol=1e-4, atol=1e-6))


def _zero_at_a_perfect_fit(got, w, x, t) -> bool:
    if abs(float(_residual(w, x, t))) > 1e-9:
        return True
    got = as_numbers(got)
    return got is None or bool(torch.allclose(got, torch.zeros_like(got), atol=1e-6))


hand_gradient = Exercise(
    title=N_("Exercise 2: a gradient by hand"),
    reference=_hand_reference,
    inputs=_hand_cases,
    function=True,
    requires_grad=False,
    forbid=[Forbid(N_("used autograd"),
                   N_("Your function ran autograd (`backward()` or `torch.autograd.grad`). This exercise asks "
                      "for the formula you derived by hand, typed as plain tensor arithmetic: the check "
                      "compares it with autograd for you."), autograd=True)],
    properties=[
        Property(N_("not zero at the minimum"),
                 N_("At a perfect fit (w . x = t) the loss is at its minimum, so its gradient must be zero "
                    "there; yours is not."), _zero_at_a_perfect_fit),
        Property(N_("not a multiple of x"),
                 N_("By the chain rule, dL/dw is (a number) times du/dw, and du/dw for u = w . x - t is the "
                    "same vector at every w: so every correct answer is a multiple of one fixed vector. "
                    "Yours is not -- check the inner derivative."), _parallel_to_x),
    ],
    mistakes=[
        Mistake(N_("sign flipped"),
                N_("Right size, wrong direction: every entry has the opposite sign. Check the order inside "
                   "the bracket -- the derivative of `(u - t)**2` with respect to `u` is positive when `u > t`."),
                wrong=lambda w, x, t: 2 * (t - w @ x) * x),
        Mistake(N_("factor of 2 missing"),
                N_("Right direction, half the size: the power rule brings down a factor from the square."),
                wrong=lambda w, x, t: (w @ x - t) * x),
        Mistake(N_("extra factor of 2"),
                N_("Right direction, twice the size: the square contributes its factor only once."),
                wrong=lambda w, x, t: 4 * (w @ x - t) * x),
        Mistake(N_("forgot the inner derivative"),
                N_("You returned one number: the derivative of the square with respect to its bracket. "
                   "The chain rule still needs the derivative of the bracket `w @ x - t` with respect to "
                   "each `w_i`, which makes the answer a vector of `w`'s shape."),
                test=_outer_derivative_only),
        Mistake(N_("returned the loss"),
                N_("You returned one number equal to the loss L itself. The exercise asks for its "
                   "gradient: one partial derivative per weight, a vector of `w`'s shape."),
                test=_the_loss),
        Mistake(N_("derivative with respect to x, not w"),
                N_("Your vector is proportional to `w`: that is the derivative with respect to `x`. "
                   "Here `x` and `t` are data; differentiate with respect to the weights `w`."),
                wrong=lambda w, x, t: 2 * (w @ x - t) * w),
        Mistake(N_("element-wise product instead of the dot product"),
                N_("Inside the bracket you used an element-wise product where the model has a dot product: "
                   "`w . x` is one number, the sum of the `w_i x_i`, not a vector (see docs/notation.md: "
                   "`@` is the dot product, `*` is element-wise)."),
                wrong=lambda w, x, t: 2 * (w * x - t) * x),
        Mistake(N_("divided by N"),
                N_("Right direction, but every entry is divided by the number of weights. This loss is the "
                   "squared error of *one* example: nothing is averaged, so no 1/N appears."),
                wrong=lambda w, x, t: 2 * (w @ x - t) * x / x.numel()),
        Mistake(N_("sign of t"),
                N_("The bracket is `w . x - t`; in yours, `t` enters with the other sign."),
                wrong=lambda w, x, t: 2 * (w @ x + t) * x),
    ],
    hints=[
        N_("Name the bracket: `u = w . x - t`, so `L = u**2`. The chain rule gives "
           "dL/dw_i = (dL/du) * (du/dw_i)."),
        N_("dL/du follows from the power rule. For du/dw_i, write `u = w_0 x_0 + w_1 x_1 + w_2 x_2 - t` "
           "and differentiate with respect to one `w_i` -- exactly the first example of this lesson."),
    ],
    solution_text=N_("""
def hand_gradient(w, x, t):
    # u = w.x - t is one number; dL/dw = 2 u * du/dw, and du/dw = x
    return 2 * (w @ x - t) * x
"""),
    key=("2 * (w @ x - t) * x",),
    success=N_("Your formula agrees with autograd at every test point, and your function computed it "
               "without autograd."),
)


# --------------------------------------------------------------------------------------------------
# Exercise 3: a vector-Jacobian product of a tanh layer, for any weights v

A = torch.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
X0 = torch.tensor([0.5, -0.5, 0.25])
# A's null space: every v^T J = (v * (1 - y**2)) @ A is orthogonal to it
_NULL = torch.tensor([-6.0, 3.0, 1.0], dtype=torch.float64)


def layer(x: torch.Tensor) -> torch.Tensor:
    """y = tanh(A x): two outputs from three inputs."""
    return torch.tanh(A.to(x.dtype) @ x)


def _jacobian(x):
    with torch.enable_grad():
        return torch.autograd.functional.jacobian(layer, x.detach().clone())


def _weighted_cases():
    return [
        (X0.clone(), torch.tensor([0.0, 1.0])),
        (X0.clone(), torch.tensor([2.0, -1.0])),
        (torch.tensor([1.0, -1.0, 0.5]), torch.tensor([1.0, 0.5])),
        (torch.tensor([0.2, 0.1, -0.3], dtype=torch.float64), torch.tensor([-1.0, 3.0], dtype=torch.float64)),
        (torch.tensor([-0.4, 0.3, 0.6], requires_grad=True), torch.tensor([0.5, 2.0])),
    ]


def _weighted_reference(x, v):
    with torch.enable_grad():
        return v.to(x.dtype) @ _jacobian(x)


def _in_row_space_of_a(got, x, v) -> bool:
    got = torch.as_tensor(got).detach().to(torch.float64).reshape(-1)
    if got.shape != (3,):
        return True
    return abs(float(got @ _NULL)) <= 1e-4 * max(float(got.norm()), 1.0) * float(_NULL.norm())


weighted_gradient = Exercise(
    title=N_("Exercise 3: v^T J of a tanh layer"),
    reference=_weighted_reference,
    inputs=_weighted_cases,
    function=True,
    requires_grad=False,
    properties=[
        Property(N_("not a combination of A's rows"),
                 N_("Whatever v is, the chain rule ends with the derivative of `A @ x`, so every answer is a "
                    "weighted sum of the rows of `A`. Yours is not: look at the last factor of your chain."),
                 _in_row_space_of_a),
    ],
    mistakes=[
        Mistake(N_("ignored v"),
                N_("That is the gradient of `y[0] + y[1]`, as if every weight were 1: your answer does not "
                   "depend on `v`. The weights belong in the backward pass."),
                wrong=lambda x, v: torch.ones(2, dtype=x.dtype) @ _jacobian(x)),
        Mistake(N_("forgot tanh's derivative"),
                N_("You weighted the rows of `A` by `v` but left out the derivative of `tanh`: the chain "
                   "rule multiplies by tanh' at each output first. Let autograd differentiate `layer(x)` "
                   "itself, not `A @ x`."),
                wrong=lambda x, v: v.to(x.dtype) @ A.to(x.dtype)),
        Mistake(N_("only one output"),
                N_("Your answer is the gradient of a single output. `v` weights *both* outputs: "
                   "v^T J = v_0 * (gradient of y_0) + v_1 * (gradient of y_1)."),
                test=lambda got, x, v: isinstance(got, torch.Tensor) and got.shape == x.shape
                and bool(v.ne(0).all()) and any(torch.allclose(got.detach().double(), row.double(),
                                                               rtol=1e-5, atol=1e-6)
                                                for row in _jacobian(x))),
        Mistake(N_("weights swapped"),
                N_("You weighted `y[0]` with `v[1]` and `y[1]` with `v[0]`: entry i of `v` goes with output i."),
                wrong=lambda x, v: v.flip(0).to(x.dtype) @ _jacobian(x)),
        Mistake(N_("returned the whole Jacobian"),
                N_("You returned the whole Jacobian (one row per output). The exercise asks for the single "
                   "vector v^T J: the rows weighted by `v` and added."),
                test=lambda got, x, v: isinstance(got, torch.Tensor) and got.shape == (2, x.numel())),
        Mistake(N_("returned the tuple"),
                N_("You have the tuple `torch.autograd.grad` returns; the answer is the tensor inside it."),
                test=lambda got, x, v: isinstance(got, tuple) and len(got) == 1),
        Mistake(N_("one entry per output"),
                N_("Your answer has one entry per *output*. v^T J has one entry per *input* (the shape of "
                   "`x`): it is a gradient with respect to `x`."),
                test=lambda got, x, v: isinstance(got, torch.Tensor) and tuple(got.shape) == (2,)),
        Mistake(N_("returned the weighted output"),
                N_("You returned one number, the weighted sum of the outputs `v . y` itself. The exercise "
                   "asks for its gradient with respect to `x`."),
                test=lambda got, x, v: isinstance(got, torch.Tensor) and got.dim() == 0
                and torch.allclose(got.detach().double(), v.double() @ layer(x.detach().double()))),
    ],
    error_hints=[
        ErrorHint(r"grad can be implicitly created only for scalar outputs",
                  N_("`y` has two entries, so autograd needs to be told how to weight them: that is what "
                     "this exercise's `v` is for (section 4)."), name=N_("non-scalar output without weights")),
        ErrorHint(r"does not require grad and does not have a grad_fn",
                  N_("`layer(x)` has no graph behind it: the tensor you passed in did not require grad at that "
                     "moment. Make a new leaf that requires grad (the caller's `x` must stay as it is), then "
                     "compute `layer` from it."), name=N_("forgot requires_grad")),
        ErrorHint(r"Mismatch in shape: grad_output\[0\] has a shape",
                  N_("The weights must have the shape of the *output* `y` (two entries), one per output."),
                  name=N_("weights of the wrong shape")),
    ],
    hints=[
        N_("Section 4: autograd.grad can differentiate a non-scalar output if you give it one weight per "
           "output, and it returns v^T J = sum_i v_i * (gradient of y_i). Here the weights are given to you."),
        N_("Build a new leaf from `x` that requires grad, compute `y = layer(...)` from it, and pass `v` "
           "where section 4 passed a one-hot vector. Remember the tuple and the dtype of `v` (use `x`'s)."),
    ],
    solution_text=N_("""
def weighted_gradient(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    (vjp,) = torch.autograd.grad(y, x, grad_outputs=v.to(y.dtype))
    return vjp
# (autograd.grad((v * y).sum(), x) gives the same numbers: v^T J is the gradient of v . y)
"""),
    key=("grad_outputs=v",),
    success=N_("Right: v^T J for every test point and weight vector -- the gradient of v . y, "
               "detached, with the shape of x."),
)


# --------------------------------------------------------------------------------------------------
# Exercise 4: predict dx when a hook scales the gradient on one path

PREDICT_HOOK = """\
x = torch.tensor(2., requires_grad=True)
u = x ** 2
u.register_hook(lambda grad: grad * 10)
y = u * x
(dx,) = torch.autograd.grad(y, x)"""


def _run_hook() -> float:
    with torch.enable_grad():
        x = torch.tensor(2.0, requires_grad=True)
        u = x**2
        u.register_hook(lambda grad: grad * 10)
        y = u * x
        (dx,) = torch.autograd.grad(y, x)
    return float(dx)


def _as_number(got):
    """A Python number or a one-element tensor as a float; None for anything else."""
    numbers = as_numbers(got, 1)
    return None if numbers is None else float(numbers[0])


def _predicted(value: float):
    def test(got) -> bool:
        number = _as_number(got)
        return number is not None and abs(number - value) < 1e-6
    return test


def _compare_prediction(got, expected, case) -> str | None:
    number = _as_number(got)
    if number is None:
        return _("Type your prediction as one number (a Python number or a one-element tensor).")
    if abs(number - expected) < 1e-6:
        return None
    return _("{number} is not what the code prints.").format(number=f"{number:g}")


predict_hook = Exercise(
    title=N_("Exercise 4: predict dx with a hook"),
    kind="predict",
    reference=_run_hook,
    compare=_compare_prediction,
    mistakes=[
        Mistake(N_("hook ignored"),
                N_("That is dy/dx without the hook. A hook that *returns* a tensor replaces the gradient "
                   "flowing into `u`, and the backward pass carries on with the replaced value."),
                test=_predicted(12.0)),
        Mistake(N_("scaled every path"),
                N_("You scaled the whole derivative by 10. The hook sits on `u`: it changes only the part of "
                   "dy/dx that flows *through* `u`. `y = u * x` also depends on `x` directly."),
                test=_predicted(120.0)),
        Mistake(N_("forgot the direct path"),
                N_("Right for the path through `u`, but `y = u * x` also uses `x` directly: that term "
                   "(dy/dx with `u` held fixed) is added too, and the hook does not touch it."),
                test=_predicted(80.0)),
        Mistake(N_("only the direct path"),
                N_("That is only the term where `x` enters `y` directly. The path through `u` contributes "
                   "too -- and that is the one the hook scales."),
                test=_predicted(4.0)),
        Mistake(N_("the value of y"),
                N_("That is y itself (x**3 at x = 2). The code prints the derivative."),
                test=_predicted(8.0)),
    ],
    hints=[
        N_("Without the hook, dy/dx has two terms: the path through `u` (dy/du * du/dx) and the direct "
           "path (dy/dx with `u` held fixed). Work out both at x = 2."),
        N_("The hook receives the gradient arriving at `u` (dy/du) and returns what flows on. Which of "
           "the two terms does that change?"),
    ],
    solution_text=N_("""
y = u * x with u = x**2, at x = 2 (u = 4):
  path through u:  dy/du = x = 2, the hook makes it 20;  times du/dx = 2x = 4  ->  80
  direct path:     dy/dx with u fixed = u                                       ->   4
dx = 10 * x * 2 * x + x ** 2 = 84   (without the hook: 3 x**2 = 12)

answer = 84
"""),
    key=("10 * x * 2 * x + x ** 2",),
    success=N_("Right: the hook scaled only the gradient on the path through u; the direct path was added unchanged."),
)
