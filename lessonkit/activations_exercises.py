"""Lesson 1 -- the checked exercises of notebooks/01_activations.ipynb (re-exported by activations.py).

1. ``sigmoid``: sigma(z) from its formula, without the built-in sigmoid (enforced by observing the calls).
   Its success message also reports what autograd makes of the learner's own function at z = -100.
2. ``silu_prime``: the derivative of SiLU(z) = z * sigma(z), without autograd (a transfer of sigma' and
   the product rule: the lesson computes sigma' but never SiLU').
3. ``predict_grad``: predict ``z.grad`` for sigmoid + ReLU at z = -1000, 0, 1000 (saturation and the kink).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from lessonkit.checks import ErrorHint, Exercise, Forbid, Mistake, Property, Result, as_numbers, time_limit
from lessonkit.i18n import N_, _


def naive_sigmoid(z: torch.Tensor) -> torch.Tensor:
    """exp(z) / (1 + exp(z)): algebraically sigma(z), numerically inf/inf = NaN once exp(z) overflows."""
    return torch.exp(z) / (1 + torch.exp(z))


def silu_derivative(z: torch.Tensor) -> torch.Tensor:
    """SiLU'(z) for SiLU(z) = z * sigma(z): sigma(z) * (1 + z * (1 - sigma(z)))."""
    s = torch.sigmoid(z)
    return s * (1 + z * (1 - s))


# --------------------------------------------------------------------------------------------------
# Shared by exercises 1 and 2


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


_LOOPS = ErrorHint(
    r"object is not iterable|iteration over a 0-d tensor",
    N_("Your code loops over the elements of `z` (or of `z.tolist()`), which fails for a 0-d tensor: there is "
       "nothing to loop over, and `tolist()` of a 0-d tensor is a bare number. Use tensor operations, which "
       "work element-wise on any shape."),
    name=N_("loops over the elements"))

_SCALARS_ONLY = ErrorHint(
    r"only one element tensors can be converted to Python scalars"
    r"|a Tensor with \d+ elements cannot be converted to Scalar|must be real number, not Tensor",
    N_("Your function works on single numbers only (`math.exp`, `float(z)` or a Python loop). Use "
       "`torch.exp` / `torch.sigmoid` and tensor arithmetic, which work element-wise on a tensor of any "
       "shape, including 0-d."),
    name=N_("works only for scalars"))


def _close_values(got, expected) -> bool:
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return False
    return bool(torch.allclose(got.detach().to(torch.float64), expected.detach().to(torch.float64),
                               rtol=1e-5, atol=1e-5, equal_nan=True))


def _where(z: torch.Tensor, mask: torch.Tensor, got: torch.Tensor) -> torch.Tensor:
    return got.detach().to(torch.float64)[mask]


def _is_tensor_like(got, z) -> bool:
    return isinstance(got, torch.Tensor) and got.shape == z.shape and got.is_floating_point()


# --------------------------------------------------------------------------------------------------
# Exercise 1: sigmoid from its formula


def _half_at_zero(got, z) -> bool:
    if not _is_tensor_like(got, z) or not (z == 0).any():
        return True
    return bool(torch.allclose(_where(z, z == 0, got), torch.tensor(0.5, dtype=torch.float64)))


def _between_0_and_1(got, z) -> bool:
    if not _is_tensor_like(got, z):
        return True
    values = got.detach()
    return bool(((values >= 0) & (values <= 1)).all())


def _increasing(got, z) -> bool:
    if not _is_tensor_like(got, z) or z.dim() != 1 or z.numel() < 2 or not (z.diff() > 0).all():
        return True
    return bool((got.detach().diff() >= 0).all())


def _steepness(got, z) -> float | None:
    """k if ``got`` is sigmoid(k * z) for one k != 1 (the exponent scaled), judged where 0.05 < |z| < 10."""
    if not _is_tensor_like(got, z):
        return None
    g, x = got.detach().to(torch.float64), z.detach().to(torch.float64)
    use = (x.abs() > 0.05) & (x.abs() < 10) & (g > 1e-6) & (g < 1 - 1e-6)
    if use.sum() < 1:
        return None
    k = torch.logit(g[use]) / x[use]
    if (k.max() - k.min()).abs() > 1e-3 * k.abs().max() or abs(k.mean().item() - 1) < 1e-3:
        return None
    return k.mean().item()


def _scaled_exponent(got, z) -> bool:
    return _steepness(got, z) is not None


def _sigmoid_gradient_note(function) -> str:
    """What autograd makes of the learner's (already accepted) sigmoid at z = -100, 0, 100 in float32."""
    try:
        z = torch.tensor([-100.0, 0.0, 100.0], requires_grad=True)
        with time_limit(2.0), torch.enable_grad():
            out = function(z)
            if not isinstance(out, torch.Tensor) or out.grad_fn is None:
                return ""
            (grad,) = torch.autograd.grad(out.sum(), z)
    except Exception:  # noqa: BLE001 -- the note is extra information; no note if it cannot be computed
        return ""
    if torch.isnan(grad[0]) or torch.isnan(grad[2]):
        where = "z = -100" if torch.isnan(grad[0]) else "z = 100"
        return "\n\n" + _("One more thing we measured: *autograd* through your function gives NaN at {where}. "
                          "The values are right, but the backward pass multiplies 0 by an overflowed `exp` "
                          "(0 \u00b7 inf = NaN). `torch.sigmoid` differentiates from its saved output s as "
                          "s \u00b7 (1 \u2212 s) and has no such problem: in real code, use it.").format(where=where)
    return "\n\n" + _("We also differentiated your function with autograd at z = \u2212100, 0 and 100: no NaN. "
                      "(The textbook form `1/(1 + exp(\u2212z))` does not pass that test: its gradient is NaN for "
                      "z \u2264 \u221288.72284 in float32. See the cell after this exercise.)")


class _SigmoidExercise(Exercise):
    """Exercise 1: after a Correct verdict, report what autograd does with the learner's function."""

    def check(self, answer):
        result = super().check(answer)
        if result.correct and callable(answer):
            return Result(result.status, result.message + _sigmoid_gradient_note(answer), result.exercise,
                          result.mistake)
        return result


sigmoid = _SigmoidExercise(
    title=N_("Exercise 1: sigmoid from its formula"),
    reference=torch.sigmoid,
    inputs=_activation_cases,
    function=True,
    forbid=[
        Forbid(N_("calls the built-in sigmoid"),
               N_("Your function calls PyTorch's own sigmoid (under one of its names). Here the point is to "
                  "write it from the formula with `torch.exp` (you will use the built-in everywhere else)."),
               functions=("sigmoid",)),
    ],
    mistakes=[
        Mistake(N_("exp(z)/(1+exp(z)) overflows"),
                N_("Right formula on paper, but for large positive z `exp(z)` overflows to `inf` and "
                   "`inf / inf` is NaN. Rewrite it so the exponential can only become very *small* (or "
                   "harmlessly infinite in a denominator): divide top and bottom by `exp(z)`."),
                wrong=naive_sigmoid),
        Mistake(N_("sign error: 1/(1+exp(z))"),
                N_("Sigmoid should *increase* with z, from near 0 for very negative z to near 1 for very "
                   "positive z. Yours decreases: look at the sign in the exponent."),
                wrong=lambda z: 1 / (1 + torch.exp(z))),
        Mistake(N_("returns a list or number, not a tensor"),
                N_("Your function returns a Python list or number instead of a tensor. Keep the whole "
                   "computation in tensor operations (`torch.exp`, `-z`, `1 + ...`, `/`): they work on "
                   "every element at once and return a tensor of the same shape."),
                test=_not_a_tensor),
        Mistake(N_("exponent scaled"),
                N_("Your curve has the shape of a sigmoid, but it is steeper or flatter than sigma: the exponent "
                   "is multiplied by a constant. In sigma(z) = 1/(1 + e^(-z)) the exponent is exactly -z."),
                test=_scaled_exponent),
        Mistake(N_("forgot the 1 + in the denominator"),
                N_("Your values are not between 0 and 1: the denominator is missing its `1 +`. "
                   "Without it, 1 / e^(-z) is just e^z."),
                wrong=lambda z: 1 / torch.exp(-z)),
        Mistake(N_("forgot the exponential"),
                N_("Your function uses z itself where the formula has an exponential: `torch.exp` is missing."),
                test=lambda got, z: _close_values(got, 1 / (1 - z)) or _close_values(got, 1 / (1 + z))),
        Mistake(N_("1 - sigma: e^(-z)/(1+e^(-z))"),
                N_("Your function computes 1 - sigma(z) (it decreases from 1 to 0): the numerator should be "
                   "1, not the exponential."),
                wrong=lambda z: torch.exp(-z) / (1 + torch.exp(-z))),
        Mistake(N_("computed tanh, not sigmoid"),
                N_("You computed tanh, whose values lie in (-1, 1). Sigmoid maps to (0, 1) and is built from "
                   "a single exponential."),
                wrong=torch.tanh),
    ],
    properties=[
        Property(N_("sigma(0) is not 1/2"), N_("At z = 0 your function does not return 1/2, but sigma(0) = 1/(1 + 1)."),
                 _half_at_zero),
        Property(N_("values outside [0, 1]"),
                 N_("Some of your values are outside [0, 1], but sigma(z) = 1/(1 + e^(-z)) is a positive number "
                    "divided by something larger."), _between_0_and_1),
        Property(N_("not increasing"), N_("Your function is not increasing in z, but sigmoid is."), _increasing),
    ],
    error_hints=[_SCALARS_ONLY, _LOOPS],
    hints=[
        (N_(r"The formula is sigma(z) = 1 / (1 + e^(-z)). Which PyTorch function computes e^x for every "
            "element of a tensor?")),
        (N_("Write it as one tensor expression of `z` using `torch.exp`, `-z`, `1 +` and `/` -- no loop, "
            "no `math`, no `.item()`. Sanity check: it should rise from near 0 to near 1 as z grows.")),
        (N_("`exp(z) / (1 + exp(z))` is the same function on paper but produces NaN for z >= 88.72284 in float32; "
            "the form with `exp(-z)` only ever overflows in the denominator, where `1 / inf = 0` is exactly "
            "the right limit.")),
    ],
    solution_text=N_("""
def sigmoid(z):
    return 1 / (1 + torch.exp(-z))

# For z = -1000, torch.exp(1000.) is inf and 1 / (1 + inf) = 0: the correct *value*, no NaN.
# Its *gradient* is another matter: for z <= -88.72284 (float32) autograd computes
# (-1 / (1 + inf)**2) * (-inf) = 0 * inf = NaN. torch.sigmoid's backward uses its saved
# output s as s * (1 - s) and stays finite: in real code, use torch.sigmoid.
"""),
    key=("1 / (1 + torch.exp(-z))",),
    success=(N_("Correct on every test input: element-wise on 0-d, 1-D and 2-D tensors, float32 stays float32 "
                "and float64 stays float64, finite values at z = \u00b1100 and \u00b11000, and no call of the "
                "built-in sigmoid.")),
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: the derivative of SiLU, without autograd


def _slopes_at_z_and_minus_z_add_to_1(got, z) -> bool:
    """SiLU(z) - SiLU(-z) = z, so SiLU'(z) + SiLU'(-z) = 1. Judged on a symmetric 1-D input only."""
    if not _is_tensor_like(got, z) or z.dim() != 1 or not torch.equal(z, -z.flip(0)):
        return True
    g = got.detach().to(torch.float64)
    return bool(torch.allclose(g + g.flip(0), torch.ones_like(g), atol=1e-4))


def _half_at_zero_silu(got, z) -> bool:
    return _half_at_zero(got, z)


silu_prime = Exercise(
    title=N_("Exercise 2: the derivative of SiLU"),
    reference=silu_derivative,
    inputs=_activation_cases,
    function=True,
    forbid=[
        Forbid(N_("used autograd"),
               N_("Your function runs autograd (`backward()`, `torch.autograd.grad` or a `torch.func` transform). "
                  "This exercise asks for the derivative *by hand*: differentiate z * sigma(z) with the product "
                  "rule and write the result with tensor operations."),
               autograd=True),
    ],
    mistakes=[
        Mistake(N_("returned SiLU itself"),
                N_("Your function returns SiLU(z) = z * sigma(z), not its derivative. Differentiate the product "
                   "z * sigma(z)."),
                wrong=F.silu),
        Mistake(N_("only the first term of the product rule"),
                N_("You kept only one term of the product rule. (u v)' = u' v + u v' with u = z and v = sigma(z): "
                   "there are two terms, and you returned the one without the factor z."),
                wrong=torch.sigmoid),
        Mistake(N_("only the second term of the product rule"),
                N_("You kept only the term with the factor z. The product rule (u v)' = u' v + u v' has a second "
                   "term: the derivative of z (which is 1) times sigma(z)."),
                wrong=lambda z: z * torch.sigmoid(z) * (1 - torch.sigmoid(z))),
        Mistake(N_("returned sigma'(z)"),
                N_("That is the derivative of sigma alone. SiLU is z * sigma(z): apply the product rule."),
                wrong=lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z))),
        Mistake(N_("used the tanh rule for sigma'"),
                N_("Your product rule is right, but you wrote sigma' as 1 - sigma^2: that is tanh's rule. "
                   "sigma' is written with sigma and 1 - sigma."),
                wrong=lambda z: torch.sigmoid(z) + z * (1 - torch.sigmoid(z) ** 2)),
        Mistake(N_("sign error"),
                N_("Close: one sign is wrong. sigma' = sigma * (1 - sigma) is positive everywhere, and the "
                   "product rule *adds* its two terms."),
                test=lambda got, z: any(_close_values(got, variant(z)) for variant in _SIGN_ERRORS)),
        Mistake(N_("derivative of sigma(z) * sigma(z)"),
                N_("You differentiated as if both factors were sigma(z). SiLU is z * sigma(z): the first factor is "
                   "z, whose derivative is 1."),
                wrong=lambda z: 2 * torch.sigmoid(z) ** 2 * (1 - torch.sigmoid(z))),
        Mistake(N_("exp form overflows"),
                N_("Your formula is right on paper, but written with `exp` it becomes inf/inf = NaN for large |z|. "
                   "Write it with `torch.sigmoid(z)` (which never overflows) instead of exponentials."),
                test=lambda got, z: _overflows_only(got, z)),
        Mistake(N_("returns a list or number, not a tensor"),
                N_("Your function returns a Python list or number instead of a tensor. Use tensor operations "
                   "only, so it works element-wise on any shape."),
                test=_not_a_tensor),
        Mistake(N_("approximated numerically"),
                N_("Your values are close to SiLU' but not exact: a difference quotient such as "
                   "(f(z + h) - f(z - h)) / (2h) only approximates a derivative (and breaks down for large |z| "
                   "in float32). Derive the exact formula with the product rule."),
                test=lambda got, z: _approximated(got, z)),
    ],
    properties=[
        Property(N_("SiLU'(0) is not 1/2"),
                 N_("At z = 0 your derivative is not 1/2. At z = 0 the product rule leaves only sigma(0)."),
                 _half_at_zero_silu),
        Property(N_("slopes at z and -z do not add up to 1"),
                 N_("SiLU(z) - SiLU(-z) = z for every z, so SiLU'(z) + SiLU'(-z) = 1. On a symmetric input your "
                    "slopes at z and -z do not add up to 1."),
                 _slopes_at_z_and_minus_z_add_to_1),
    ],
    error_hints=[_SCALARS_ONLY, _LOOPS],
    hints=[
        N_("SiLU(z) = z * sigma(z) is a product: use the product rule (u v)' = u' v + u v' with u = z, v = sigma(z)."),
        N_("You know u' = 1 and v' = sigma' from section 2 of the lesson. Compute the sigmoid of z once, with "
           "`torch.sigmoid`, and reuse it."),
        N_("Put the two terms together with tensor arithmetic on s and z; it should be 1/2 at z = 0, approach 1 "
           "for large z and 0 for very negative z (try z = 0 and z = 20 by hand)."),
    ],
    solution_text=N_("""
def silu_prime(z):
    s = torch.sigmoid(z)
    return s * (1 + z * (1 - s))

# product rule: (z * s)' = 1 * s + z * s' = s + z * s * (1 - s) = s * (1 + z * (1 - s))
# Written with torch.sigmoid it never overflows: at z = -1000, s = 0 and the result is 0.
"""),
    key=("s * (1 + z * (1 - s))",),
    success=(N_("Correct on every test input (0-d, 1-D, 2-D, float32 and float64, z = \u00b1100 and \u00b11000), "
                "without autograd: that is the product rule with sigma' = sigma(1 - sigma), the same function "
                "`F.silu`'s backward computes.")),
)


def _sign_variants():
    def s(z):
        return torch.sigmoid(z)
    return (
        lambda z: s(z) - z * s(z) * (1 - s(z)),     # the product rule subtracted
        lambda z: s(z) + z * s(z) * (1 + s(z)),     # sigma' with 1 + sigma
        lambda z: s(z) - z * s(z) * (1 + s(z)),
        lambda z: s(z) + z * s(z) * (s(z) - 1),     # sigma' as sigma (sigma - 1)
        lambda z: -s(z) + z * s(z) * (1 - s(z)),
    )


_SIGN_ERRORS = _sign_variants()


def _approximated(got, z) -> bool:
    """Close to SiLU' (within 2 %) but not exact, with an error that is neither a constant shift nor a
    constant factor: what a difference quotient (f(z + h) - f(z - h)) / 2h gives. Large |z| are ignored
    (there the quotient breaks down in float32)."""
    if not _is_tensor_like(got, z):
        return False
    expected = silu_derivative(z.detach().to(torch.float64))
    g = got.detach().to(torch.float64)
    moderate = z.abs() <= 20
    if not moderate.any():
        return True
    g, e = g[moderate], expected[moderate]
    error = g - e
    if not torch.isfinite(g).all() or error.abs().max() <= 1e-5 or (error.abs() > 0.02 * e.abs() + 1e-3).any():
        return False
    if error.numel() < 2:  # one number: any small error could be an approximation
        return True
    shift = error.max() - error.min() < 1e-6
    ratio = g[e.abs() > 1e-3] / e[e.abs() > 1e-3]
    scale = ratio.numel() > 1 and bool(ratio.max() - ratio.min() < 1e-6)
    return not shift and not scale


def _overflows_only(got, z) -> bool:
    """NaN/inf exactly where |z| is large, and right elsewhere (an exp-based formula)."""
    if not isinstance(got, torch.Tensor) or got.shape != z.shape:
        return False
    bad = ~torch.isfinite(got.detach())
    if not bad.any():
        return False
    expected = silu_derivative(z)
    good = ~bad
    return bool((z.abs()[bad] > 80).all()) and _close_values(got[good], expected[good])


# --------------------------------------------------------------------------------------------------
# Exercise 3: predict z.grad


PREDICT_CODE = """\
z = torch.tensor([-1000., 0., 1000.], requires_grad=True)
y = torch.sigmoid(z) + F.relu(z)
y.sum().backward()
print(z.grad)"""


def _run_predict_code() -> torch.Tensor:
    z = torch.tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    y = torch.sigmoid(z) + F.relu(z)
    y.sum().backward()
    return z.grad


def _predicted(values):
    expected = torch.tensor(values, dtype=torch.float64)

    def test(answer) -> bool:
        got = as_numbers(answer, expected.numel())
        return got is not None and bool(torch.allclose(got, expected, atol=1e-4, equal_nan=True))
    return test


predict_grad = Exercise(
    title=N_("Exercise 3: predict z.grad"),
    reference=_run_predict_code,
    inputs=(),
    kind="predict",
    check_dtype=False,
    mistakes=[
        Mistake(N_("ReLU'(0) taken as 1"),
                N_("Your middle value counts ReLU's slope at exactly z = 0 as 1. At the kink autograd has to pick "
                   "*one* subgradient: which one did the lesson show PyTorch picks?"),
                test=_predicted([0.0, 1.25, 1.0])),
        Mistake(N_("ReLU'(0) taken as 1/2"),
                N_("Your middle value counts ReLU's slope at z = 0 as 1/2 (the average of both sides). PyTorch "
                   "does not average at the kink: look again at the kink cell of section 3."),
                test=_predicted([0.0, 0.75, 1.0])),
        Mistake(N_("sigma(0) instead of sigma'(0)"),
                N_("Your middle value uses the *value* sigma(0) where the *slope* sigma'(0) belongs. z.grad holds "
                   "derivatives: sigma'(z) = sigma(z)(1 - sigma(z))."),
                test=lambda a: _predicted([0.0, 0.5, 1.0])(a) or _predicted([0.0, 1.5, 1.0])(a)),
        Mistake(N_("predicted y, not z.grad"),
                N_("Those are the values of y = sigmoid(z) + relu(z). `print(z.grad)` shows the *derivatives* "
                   "dy_i/dz_i after backward()."),
                test=lambda a: _predicted([0.0, 0.5, 1001.0])(a)),
        Mistake(N_("expected NaN from overflow"),
                N_("`torch.sigmoid` does not overflow: its value at z = -1000 is exactly 0, and its backward "
                   "computes s(1 - s) from the saved output, which is 0 there. No NaN appears."),
                test=lambda a: _has_nan(a)),
        Mistake(N_("sigmoid slope not saturated"),
                N_("At z = -1000 and z = 1000 sigmoid is completely flat: its slope there is 0 (in float32 even "
                   "exactly 0). Only ReLU contributes a slope at the ends."),
                test=lambda a: _predicted([0.25, 0.25, 1.25])(a) or _predicted([0.25, 0.25, 1.0])(a)
                or _predicted([0.0, 0.25, 1.25])(a)),
        Mistake(N_("forgot ReLU's slope for z > 0"),
                N_("At z = 1000 ReLU is the identity: its slope there is 1, and backward adds it to sigmoid's."),
                test=lambda a: _predicted([0.0, 0.25, 0.0])(a)),
        Mistake(N_("sigma(z) instead of sigma'(z) everywhere"),
                N_("You used the values of sigmoid (0, 1/2, 1) where its *slopes* belong. z.grad holds dy/dz."),
                test=lambda a: _predicted([0.0, 0.5, 2.0])(a)),
    ],
    hints=[
        N_("y is a sum of two element-wise functions, so each element of z.grad is the sum of the two "
           "derivatives at that element: do the three elements one at a time."),
        N_("sigma' = sigma(1 - sigma): what is it at z = 0, and what is it where sigma is (in float32, "
           "exactly) 0 or 1?"),
        N_("ReLU' is 0 for z < 0 and 1 for z > 0. For z = 0 exactly, use the convention the lesson checked "
           "in section 3."),
    ],
    solution_text=N_("""
z.grad[i] = sigma'(z_i) + ReLU'(z_i)
  z = -1000:  sigma = 0 exactly, sigma' = 0 * 1 = 0;     ReLU' = 0        -> 0
  z = 0:      sigma = 1/2, sigma' = 1/4;                 ReLU'(0) = 0     -> 0.25  (PyTorch's choice at the kink)
  z = 1000:   sigma = 1 exactly, sigma' = 1 * 0 = 0;     ReLU' = 1        -> 1

answer = [0.0, 0.25, 1.0]      # printed as tensor([0.0000, 0.2500, 1.0000])
"""),
    key=("[0.0, 0.25, 1.0]",),
    success=N_("Right: saturation makes sigmoid's slope exactly 0 at both ends, and PyTorch takes ReLU'(0) = 0."),
)


def _has_nan(answer) -> bool:
    got = as_numbers(answer)
    return got is not None and bool(torch.isnan(got).any())


__all__ = ["PREDICT_CODE", "naive_sigmoid", "predict_grad", "sigmoid", "silu_derivative", "silu_prime"]
