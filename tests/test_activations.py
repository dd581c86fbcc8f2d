"""Lesson 1 (activation functions): plots, the tangent explorer and the exercise checks."""

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from lessonkit import activations as lesson
from lessonkit.checks import Status
from tests.helpers import frame_pixels, is_picture, mismatch_with_full_redraw

# --------------------------------------------------------------------------------------------------
# Closed forms and autograd agree


@pytest.mark.parametrize("name", list(lesson.ACTIVATIONS))
def test_closed_form_derivatives_match_autograd(name):
    activation = lesson.ACTIVATIONS[name]
    z = torch.linspace(-8, 8, 161, dtype=torch.float64)
    z = z[z != 0]  # the kink of ReLU is tested on its own below
    torch.testing.assert_close(lesson.autograd_derivative(activation.function, z), activation.derivative(z))


def test_relu_derivative_at_zero_is_pytorch_convention():
    z = torch.tensor([-1.0, 0.0, 1.0])
    assert lesson.autograd_derivative(torch.relu, z).tolist() == [0.0, 0.0, 1.0]
    assert lesson.relu_derivative(z).tolist() == [0.0, 0.0, 1.0]


def test_naive_sigmoid_is_nan_only_where_exp_overflows():
    values = lesson.naive_sigmoid(torch.tensor([-100.0, 0.0, 88.0, 89.0, 1000.0]))
    assert torch.isnan(values).tolist() == [False, False, False, True, True]


def test_flat_spans():
    z = np.linspace(-6, 6, 13)
    slope = lesson.sigmoid_derivative(torch.from_numpy(z)).numpy()
    spans = lesson.flat_spans(z, slope)
    assert spans == [(-6.0, -5.0), (5.0, 6.0)]
    assert lesson.flat_spans(z, np.ones_like(z)) == []
    assert lesson.flat_spans(z, np.zeros_like(z)) == [(-6.0, 6.0)]


# --------------------------------------------------------------------------------------------------
# The picture


def test_plot_activations_has_three_functions_and_three_derivatives():
    fig = lesson.plot_activations()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 6
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:3] == [r"$\sigma(z)$", r"$\tanh(z)$", r"$\mathrm{ReLU}(z)$"]
    for ax in fig.axes[:3]:
        assert len(ax.lines) == 1
    for ax in fig.axes[3:5]:  # derivative + max-slope line
        assert len(ax.lines) == 2
    assert len(fig.axes[5].lines) == 4  # + the two dots of ReLU's kink
    # saturation bands: sigmoid and tanh on both sides, ReLU on its left half
    assert [len(ax.patches) for ax in fig.axes] == [2, 2, 1, 2, 2, 1]
    # the derivative curves are the closed forms
    z, slope = fig.axes[3].lines[0].get_data()
    np.testing.assert_allclose(slope, lesson.sigmoid_derivative(torch.as_tensor(z)).numpy(), atol=1e-6)
    assert max(slope) == pytest.approx(0.25, abs=1e-4)


def test_plot_activations_with_a_narrow_range_has_no_saturation_bands():
    fig = lesson.plot_activations(-1.0, 1.0)
    assert [len(ax.patches) for ax in fig.axes] == [0, 0, 1, 0, 0, 1]


# --------------------------------------------------------------------------------------------------
# The explorer, driven by .value


@pytest.fixture
def explorer():
    e = lesson.TangentExplorer()
    yield e
    e.close()


def _move(explorer, name, value):
    """Set a control; return the new PNG, asserting the explorer stayed healthy."""
    explorer.controls[name].value = value
    assert explorer.last_error is None, explorer.last_error
    png = bytes(explorer.image.value)
    assert is_picture(png)
    return png


def _sweep(explorer, name, values):
    previous = bytes(explorer.image.value)
    for value in values:
        png = _move(explorer, name, value)
        assert png != previous, f"{name}={value!r} did not change the picture"
        previous = png


def test_explorer_starts_healthy_with_a_readout(explorer):
    assert explorer.last_error is None
    assert explorer.renders == 1
    assert "σ(z₀) = 0.6225" in explorer.readout.value and "ReLU′(z₀) = 1" in explorer.readout.value
    body = explorer.widget.children[1]
    assert body.children == (explorer.image, explorer.readout)  # the readout sits right under the picture


def test_z0_over_its_full_range(explorer):
    slider = explorer.controls["z0"]
    _sweep(explorer, "z0", [slider.min, -6.0, -2.5, -0.3, 0.35, 1.5, 4.0, 7.5, slider.max])
    # the axes do not move with z0 (only the curves, points and tangents are redrawn)
    limits = [ax.get_ylim() for ax in (explorer.ax_value, explorer.ax_slope)]
    _sweep(explorer, "z0", [-5.0, 0.0, 0.05, 5.0])
    assert [ax.get_ylim() for ax in (explorer.ax_value, explorer.ax_slope)] == limits
    # the tangent goes through (z0, g(z0)) with slope g'(z0)
    _move(explorer, "z0", 1.0)
    tangent_z, tangent_y = explorer.artists["sigmoid"]["tangent"].get_data()
    s = 1 / (1 + math.exp(-1.0))
    np.testing.assert_allclose(tangent_y, s + s * (1 - s) * (tangent_z - 1.0), rtol=1e-5, atol=1e-6)


def test_saturation_and_dead_relu_are_noted(explorer):
    _move(explorer, "functions", ("sigmoid", "tanh", "relu"))
    _move(explorer, "z0", explorer.controls["z0"].max)
    assert "sigmoid saturates" in explorer.note.value and "tanh saturates" in explorer.note.value
    _move(explorer, "z0", -2.5)  # tanh' = 0.027 here: steep enough
    assert "tanh saturates" not in explorer.note.value
    assert "ReLU is off" in explorer.note.value
    _move(explorer, "z0", 0.0)
    assert "kink" in explorer.note.value
    _move(explorer, "z0", 0.5)
    assert explorer.note.value == ""


def test_functions_every_selection(explorer):
    selections = [("sigmoid",), ("tanh",), ("relu",), ("sigmoid", "tanh"), ("tanh", "relu"),
                  ("sigmoid", "tanh", "relu"), ()]
    _sweep(explorer, "functions", selections)
    assert "no function selected" in explorer.note.value
    assert explorer.readout.value == ""
    _move(explorer, "functions", ("tanh",))
    assert explorer.artists["tanh"]["curve"].get_visible()
    assert not explorer.artists["sigmoid"]["curve"].get_visible()
    assert explorer.readout.value.count("<span") == 1


def _set_axis(explorer, low, high):
    """Move both ends of the z axis (in an order that never passes through a swapped range)."""
    if low > explorer.controls["high"].value:
        _move(explorer, "high", high)
        return _move(explorer, "low", low)
    _move(explorer, "low", low)
    return _move(explorer, "high", high)


def test_axis_over_its_full_range(explorer):
    low, high = explorer.controls["low"], explorer.controls["high"]
    assert (low.min, low.max, high.min, high.max) == (-100.0, 100.0, -100.0, 100.0)
    previous = bytes(explorer.image.value)
    for ends in [(-100.0, 100.0), (-50.0, 10.0), (-3.0, 3.0), (0.0, 1.0), (-100.0, -99.5), (99.5, 100.0)]:
        png = _set_axis(explorer, *ends)
        assert png != previous, ends
        assert explorer.ax_value.get_xlim() == ends
        previous = png
    assert "outside the z-axis range" in explorer.note.value
    _set_axis(explorer, 2.0, 2.0)  # an empty range is widened, not an error
    assert "range is empty" in explorer.note.value
    assert explorer.ax_value.get_xlim() == (1.0, 3.0)
    _move(explorer, "low", 5.0)  # from > to: the ends are swapped, and the note says so
    assert "swapped" in explorer.note.value
    assert explorer.ax_value.get_xlim() == (2.0, 5.0)


def test_axis_readouts_are_short_enough_to_show_in_full(explorer):
    """Issue 17: the range slider's read-out "-6.00 - 6.0" was cut off. Each end has its own slider now,
    and its read-out at the widest value fits the widget's 64 px read-out box (about 7 px per character
    at the widgets' 13 px font)."""
    for name in ("low", "high"):
        slider = explorer.controls[name]
        assert isinstance(slider.value, float)
        widest = max((format(v, slider.readout_format) for v in (slider.min, slider.max)), key=len)
        assert len(widest) * 7 <= 64, widest


def test_naive_sigmoid_shows_nan_without_breaking(explorer):
    _set_axis(explorer, -100.0, 100.0)
    _sweep(explorer, "naive", [True, False, True])
    assert "NaN" in explorer.note.value and "not drawn" in explorer.note.value
    _, values = explorer.artists["sigmoid"]["curve"].get_data()
    assert np.isnan(values).any() and np.isfinite(values).any()
    low, high = explorer.ax_value.get_ylim()
    assert math.isfinite(low) and math.isfinite(high)
    # every other control still works in the NaN state
    _sweep(explorer, "z0", [-10.0, 10.0])
    _set_axis(explorer, -6.0, 6.0)
    assert "NaN" not in explorer.note.value
    _move(explorer, "functions", ("relu",))
    assert "changes sigmoid only" in explorer.note.value


def _differ(explorer_a, explorer_b):
    """The fraction of pixels where two explorers' last drawn frames differ."""
    a, b = frame_pixels(explorer_a), frame_pixels(explorer_b)
    assert a.shape == b.shape
    return float((np.abs(a - b).max(axis=2) > 0).mean())


def test_fast_frames_render_the_same_picture_as_a_full_draw():
    cached = lesson.TangentExplorer()
    _move(cached, "functions", ("sigmoid", "tanh", "relu"))
    _move(cached, "z0", 1.0)
    _move(cached, "z0", 1.5)  # same limits twice: the axes come from the cached background
    assert mismatch_with_full_redraw(cached) < 1e-3
    full = lesson.TangentExplorer()
    _move(full, "functions", ("sigmoid", "tanh", "relu"))
    _set_axis(full, -5.0, 5.0)
    _move(full, "z0", 1.5)
    _set_axis(full, -6.0, 6.0)  # limits just changed: the background is redrawn for them
    assert cached.values == full.values
    assert mismatch_with_full_redraw(full) < 1e-3
    _move(full, "z0", 1.5 + 0.05)  # more frames with the same limits: still the same picture
    _move(full, "z0", 1.5)
    _move(cached, "z0", 1.0)
    _move(cached, "z0", 1.5)
    assert _differ(full, cached) < 1e-3
    _move(full, "naive", True)  # and with the naive sigmoid's NaNs
    _set_axis(full, -100.0, 100.0)
    assert mismatch_with_full_redraw(full) < 1e-3
    cached.close()
    full.close()


# --------------------------------------------------------------------------------------------------
# Beyond ReLU


def test_plot_beyond_relu_draws_four_functions_and_their_autograd_slopes():
    fig = lesson.plot_beyond_relu()
    left, right = fig.axes
    labels = [line.get_label() for line in left.lines if not line.get_label().startswith("_")]
    assert labels == ["ReLU", "LeakyReLU (slope 0.1)", "GELU", "SiLU"]
    z, silu_slope = right.lines[3].get_data()
    np.testing.assert_allclose(silu_slope, lesson.silu_derivative(torch.as_tensor(z)).numpy(), atol=1e-9)
    z, leaky_slope = right.lines[1].get_data()
    assert set(np.round(leaky_slope[z < 0], 12)) == {0.1} and set(leaky_slope[z > 0]) == {1.0}
    z, relu_slope = right.lines[0].get_data()
    assert (relu_slope[z < 0] == 0).all()


def test_beyond_relu_numbers_quoted_in_the_notebook():
    z = torch.linspace(-6, 6, 120001, dtype=torch.float64)
    gelu = lesson.autograd_derivative(torch.nn.functional.gelu, z)
    silu = lesson.autograd_derivative(torch.nn.functional.silu, z)
    assert round(gelu.max().item(), 2) == 1.13 and round(silu.max().item(), 2) == 1.10
    # negative slope exactly where the curves dip: below about -0.75 (GELU) and -1.28 (SiLU)
    assert z[gelu < 0].max().item() == pytest.approx(-0.7518, abs=1e-3)
    assert z[silu < 0].max().item() == pytest.approx(-1.2785, abs=1e-3)


# --------------------------------------------------------------------------------------------------
# The correction: 1/(1 + exp(-z)) has the right values but a NaN gradient for z <= -88.72284 (float32)


def _formula_grad(z):
    z = z.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad((1 / (1 + torch.exp(-z))).sum(), z)
    return grad


def test_formula_gradient_is_nan_exactly_where_exp_overflows():
    threshold = torch.tensor(-lesson.EXP_OVERFLOW)  # the float32 nearest -88.72284
    below = torch.nextafter(threshold, torch.tensor(-100.0))
    above = torch.nextafter(threshold, torch.tensor(0.0))
    grads = _formula_grad(torch.stack([below, threshold, above]))
    assert torch.isnan(grads).tolist() == [True, True, False]
    assert torch.isinf(torch.exp(-threshold)) and torch.isfinite(torch.exp(-above))
    # torch.sigmoid's backward (from the saved output) stays finite everywhere
    assert torch.isfinite(lesson.autograd_derivative(torch.sigmoid, torch.tensor([-1e4, -100.0, 100.0]))).all()
    # float64: the same failure, further out
    # (the notebook says: below z = -709.7827, ln of the largest float64 being 709.782712...)
    assert torch.isnan(_formula_grad(torch.tensor([-709.7828], dtype=torch.float64))).all()
    assert not torch.isnan(_formula_grad(torch.tensor([-709.7827, -709.78], dtype=torch.float64))).any()


def test_sigmoid_rounds_to_one_from_16_6355_in_float32():
    """The instructor notes quote it: torch.sigmoid(z) == 1.0 exactly for every float32 z >= 16.635532."""
    first_one = torch.tensor(16.635532)
    just_below = torch.nextafter(first_one, torch.tensor(0.0))
    assert torch.sigmoid(first_one).item() == 1.0
    assert torch.sigmoid(just_below).item() < 1.0
    assert (torch.sigmoid(torch.linspace(16.635532, 100, 10001)) == 1.0).all()


# --------------------------------------------------------------------------------------------------
# Exercise 1: sigmoid from its formula


def good_sigmoid(z):
    return 1 / (1 + torch.exp(-z))


def starter(z):
    raise NotImplementedError


def test_sigmoid_accepts_the_solution_and_stays_correct():
    assert lesson.sigmoid.check(good_sigmoid).status is Status.CORRECT
    namespace = {"torch": torch}
    exec(lesson.sigmoid.solution_text, namespace)  # noqa: S102 -- the lesson's own solution text
    assert lesson.sigmoid.check(namespace["sigmoid"]).status is Status.CORRECT
    assert lesson.sigmoid.check(good_sigmoid).status is Status.CORRECT  # re-checking stays correct


def test_sigmoid_success_reports_the_measured_gradient():
    """Issue 15: the textbook form's gradient is NaN for z <= -88.72284; the success message says so, for
    the learner's own function, because it was measured -- and says the opposite when it is not NaN."""
    textbook = lesson.sigmoid.check(good_sigmoid)
    assert textbook.correct and "NaN at z = -100" in textbook.message and "torch.sigmoid" in textbook.message

    def via_tanh(z):
        return 0.5 * (1 + torch.tanh(z / 2))

    smooth = lesson.sigmoid.check(via_tanh)
    assert smooth.correct and "no NaN" in smooth.message
    assert "\u221288.72284" in smooth.message and str(lesson.EXP_OVERFLOW) == "88.72284"  # the measured threshold

    def no_graph(z):  # values right, but computed outside autograd: nothing to measure, no claim
        with torch.no_grad():
            return 1 / (1 + torch.exp(-z))

    quiet = lesson.sigmoid.check(no_graph)
    assert quiet.correct and "autograd" not in quiet.message


def test_sigmoid_starter_is_not_attempted():
    assert lesson.sigmoid.check(starter).status is Status.NOT_ATTEMPTED
    assert lesson.sigmoid.check(...).status is Status.NOT_ATTEMPTED


def naive(z):
    return torch.exp(z) / (1 + torch.exp(z))


def builtin_in_docstring(z):
    """Like torch.sigmoid(z), but by hand."""
    return 1 / (1 + torch.exp(-z))  # not torch.sigmoid


@pytest.mark.parametrize("answer, mistake", [
    (naive, "exp(z)/(1+exp(z)) overflows"),
    (lambda z: 1 / (1 + torch.exp(z)), "sign error: 1/(1+exp(z))"),
    (lambda z: (1 / (1 + torch.exp(-z))).tolist(), "returns a list or number, not a tensor"),
    (lambda z: torch.tensor(1 / (1 + math.exp(-z))), "works only for scalars"),
    (lambda z: torch.stack([1 / (1 + torch.exp(-v)) for v in z]), "loops over the elements"),
    (lambda z: torch.sigmoid(z), "calls the built-in sigmoid"),
    (lambda z: torch.nn.functional.sigmoid(z), "calls the built-in sigmoid"),
    (lambda z: z.sigmoid(), "calls the built-in sigmoid"),
    (lambda z: torch.special.expit(z), "calls the built-in sigmoid"),
    (lambda z: torch.nn.Sigmoid()(z), "calls the built-in sigmoid"),
    (lambda z: 1 / torch.exp(-z), "forgot the 1 + in the denominator"),
    (lambda z: torch.tanh(z), "computed tanh, not sigmoid"),
])
def test_sigmoid_names_each_mistake(answer, mistake):
    result = lesson.sigmoid.check(answer)
    assert result.status is Status.INCORRECT
    assert result.mistake == mistake, result


def test_sigmoid_docstring_mentioning_the_builtin_is_not_a_call():
    """Issue 16: the old check read co_names; a comment or docstring must not count as a call."""
    assert lesson.sigmoid.check(builtin_in_docstring).correct


def test_sigmoid_cast_to_float32_is_not_called_an_overflow():
    """Issue 16: casting the input to float32 is a precision problem, not the exp(z) overflow."""
    result = lesson.sigmoid.check(lambda z: 1 / (1 + torch.exp(-z.float())))
    assert result.status is Status.INCORRECT
    assert "overflow" not in result.message.lower() and result.mistake != "exp(z)/(1+exp(z)) overflows"
    assert "float32" in result.message or "precision" in result.message


def test_sigmoid_messages_never_reveal_the_solution():
    texts = list(lesson.sigmoid.hints[:-1]) + [m.hint for m in lesson.sigmoid.mistakes]
    texts += [f.message for f in lesson.sigmoid.forbid] + [p.message for p in lesson.sigmoid.properties]
    for text in texts:
        assert "0.7311" not in text and "1 / (1 + torch.exp(-z))" not in text


# --------------------------------------------------------------------------------------------------
# Exercise 2: the derivative of SiLU, without autograd


def good_silu_prime(z):
    s = torch.sigmoid(z)
    return s * (1 + z * (1 - s))


def test_silu_prime_accepts_correct_answers():
    assert lesson.silu_prime.check(good_silu_prime).correct
    sig, silu = torch.sigmoid, torch.nn.functional.silu
    assert lesson.silu_prime.check(lambda z: sig(z) + z * sig(z) * (1 - sig(z))).correct
    assert lesson.silu_prime.check(lambda z: sig(z) + silu(z) * (1 - sig(z))).correct
    namespace = {"torch": torch}
    exec(lesson.silu_prime.solution_text, namespace)  # noqa: S102 -- the lesson's own solution text
    assert lesson.silu_prime.check(namespace["silu_prime"]).correct


def silu_prime_by_autograd(z):
    z = z.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.nn.functional.silu(z).sum(), z)
    return grad


def silu_prime_by_backward(z):
    z = z.detach().clone().requires_grad_(True)
    torch.nn.functional.silu(z).sum().backward()
    return z.grad


@pytest.mark.parametrize("answer, mistake", [
    (silu_prime_by_autograd, "used autograd"),
    (silu_prime_by_backward, "used autograd"),
    (torch.nn.functional.silu, "returned SiLU itself"),
    (torch.sigmoid, "only the first term of the product rule"),
    (lambda z: z * torch.sigmoid(z) * (1 - torch.sigmoid(z)), "only the second term of the product rule"),
    (lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z)), "returned sigma'(z)"),
    (lambda z: torch.sigmoid(z) + z * (1 - torch.sigmoid(z) ** 2), "used the tanh rule for sigma'"),
    (lambda z: (1 + torch.exp(-z) + z * torch.exp(-z)) / (1 + torch.exp(-z)) ** 2, "exp form overflows"),
    (lambda z: good_silu_prime(z).tolist(), "returns a list or number, not a tensor"),
])
def test_silu_prime_names_each_mistake(answer, mistake):
    result = lesson.silu_prime.check(answer)
    assert result.status is Status.INCORRECT
    assert result.mistake == mistake, result


def test_silu_prime_starter_is_not_attempted():
    assert lesson.silu_prime.check(starter).status is Status.NOT_ATTEMPTED


def test_silu_prime_key_is_in_the_solution_and_hints_are_progressive():
    exercise = lesson.silu_prime
    assert all(key in exercise.solution_text for key in exercise.key)
    for hint in exercise.hints[:-1]:
        assert "s * (1 + z" not in hint and "(1 - s)" not in hint
    exercise._hints_shown = 0
    assert "locked" in exercise.solution().title
    for number in range(1, len(exercise.hints) + 1):
        assert f"hint {number} of" in exercise.hint().title
    assert exercise.key[0] in exercise.solution().text
    exercise._hints_shown = 0


# --------------------------------------------------------------------------------------------------
# Exercise 3: predict z.grad


def test_predict_code_shown_is_the_code_checked():
    namespace = {"torch": torch, "F": torch.nn.functional}
    exec(lesson.PREDICT_CODE.replace("print(z.grad)", "result = z.grad"), namespace)  # noqa: S102
    assert namespace["result"].tolist() == [0.0, 0.25, 1.0]
    assert lesson.predict_grad.kind == "predict"


@pytest.mark.parametrize("answer", [[0, 0.25, 1], [0.0, 0.25, 1.0], torch.tensor([0.0, 0.25, 1.0]),
                                    torch.tensor([0.0, 0.25, 1.0], dtype=torch.float64), (0, 1 / 4, 1)])
def test_predict_accepts_the_right_numbers_in_any_form(answer):
    assert lesson.predict_grad.check(answer).correct


@pytest.mark.parametrize("answer, mistake", [
    ([0, 1.25, 1], "ReLU'(0) taken as 1"),
    ([0, 0.75, 1], "ReLU'(0) taken as 1/2"),
    ([0, 0.5, 1], "sigma(0) instead of sigma'(0)"),
    ([0, 0.5, 1001], "predicted y, not z.grad"),
    ([float("nan"), 0.25, 1], "expected NaN from overflow"),
    ([0, 0.25, 0], "forgot ReLU's slope for z > 0"),
    ([0, 0.5, 2], "sigma(z) instead of sigma'(z) everywhere"),
])
def test_predict_names_each_mistake(answer, mistake):
    result = lesson.predict_grad.check(answer)
    assert result.status is Status.INCORRECT
    assert result.mistake == mistake, result
    assert "0.25, 1" not in result.message
