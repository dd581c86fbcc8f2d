"""Lesson 1 (activation functions): plots, the tangent explorer and the exercise checks."""

import io
import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from lessonkit import activations as lesson
from lessonkit.checks import Status
from lessonkit.figures import canvas_png

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
    assert png.startswith(b"\x89PNG")
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


def test_axis_over_its_full_range(explorer):
    slider = explorer.controls["axis"]
    _sweep(explorer, "axis", [(slider.min, slider.max), (-50.0, 10.0), (-3.0, 3.0), (0.0, 1.0),
                              (slider.min, slider.min + 0.5), (slider.max - 0.5, slider.max)])
    assert "outside the z-axis range" in explorer.note.value
    _move(explorer, "axis", (2.0, 2.0))  # an empty range is widened, not an error
    assert "range is empty" in explorer.note.value
    assert explorer.ax_value.get_xlim() == (1.0, 3.0)


def test_naive_sigmoid_shows_nan_without_breaking(explorer):
    _move(explorer, "axis", (-100.0, 100.0))
    _sweep(explorer, "naive", [True, False, True])
    assert "NaN" in explorer.note.value and "not drawn" in explorer.note.value
    _, values = explorer.artists["sigmoid"]["curve"].get_data()
    assert np.isnan(values).any() and np.isfinite(values).any()
    low, high = explorer.ax_value.get_ylim()
    assert math.isfinite(low) and math.isfinite(high)
    # every other control still works in the NaN state
    _sweep(explorer, "z0", [-10.0, 10.0])
    _move(explorer, "axis", (-6.0, 6.0))
    assert "NaN" not in explorer.note.value
    _move(explorer, "functions", ("relu",))
    assert "changes sigmoid only" in explorer.note.value


def _pixels(png):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png))).astype(int)


def _full_redraw(explorer):
    """The current picture drawn the slow way: every artist in one full draw, no cached background."""
    for artist in explorer._animated:
        artist.set_animated(False)
    explorer.canvas.draw()
    png = canvas_png(explorer.canvas)
    for artist in explorer._animated:
        artist.set_animated(True)
    return png


def _differ(png_a, png_b):
    """The fraction of pixels that differ (only where a line crosses a spine: drawn in a different order)."""
    a, b = _pixels(png_a), _pixels(png_b)
    assert a.shape == b.shape
    return (a != b).any(axis=-1).mean()


def test_fast_frames_render_the_same_picture_as_a_full_draw():
    cached = lesson.TangentExplorer()
    _move(cached, "functions", ("sigmoid", "tanh", "relu"))
    _move(cached, "z0", 1.0)
    _move(cached, "z0", 1.5)  # same limits twice: the axes come from the cached background
    assert _differ(cached.image.value, _full_redraw(cached)) < 1e-3
    full = lesson.TangentExplorer()
    _move(full, "functions", ("sigmoid", "tanh", "relu"))
    _move(full, "axis", (-5.0, 5.0))
    _move(full, "z0", 1.5)
    _move(full, "axis", (-6.0, 6.0))  # limits just changed: the background is redrawn for them
    assert cached.values == full.values
    assert _differ(full.image.value, _full_redraw(full)) < 1e-3
    assert _differ(full.image.value, cached.image.value) < 1e-3
    # more frames with the same limits, and with the naive sigmoid's NaNs: still the same picture
    _move(full, "z0", 1.5 + 0.05)
    _move(full, "z0", 1.5)
    assert _differ(full.image.value, cached.image.value) < 1e-3
    _move(full, "naive", True)
    _move(full, "axis", (-100.0, 100.0))
    assert _differ(full.image.value, _full_redraw(full)) < 1e-3
    cached.close()
    full.close()


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


def test_sigmoid_starter_is_not_attempted():
    assert lesson.sigmoid.check(starter).status is Status.NOT_ATTEMPTED
    assert lesson.sigmoid.check(...).status is Status.NOT_ATTEMPTED


def naive(z):
    return torch.exp(z) / (1 + torch.exp(z))


def sign_error(z):
    return 1 / (1 + torch.exp(z))


def as_list(z):
    return (1 / (1 + torch.exp(-z))).tolist()


def as_float(z):
    return float(1 / (1 + torch.exp(-z.sum())))


def scalars_only(z):
    return torch.tensor(1 / (1 + math.exp(-z)))


def python_loop(z):
    return torch.stack([1 / (1 + torch.exp(-v)) for v in z])


def builtin(z):
    return torch.sigmoid(z)


def builtin_functional(z):
    return torch.nn.functional.sigmoid(z)


@pytest.mark.parametrize("answer, mistake", [
    (naive, "exp(z)/(1+exp(z)) overflows"),
    (sign_error, "sign error: 1/(1+exp(z))"),
    (as_list, "returns a list or number, not a tensor"),
    (as_float, "returns a list or number, not a tensor"),
    (scalars_only, "works only for scalars"),
    (python_loop, "works only for scalars"),
    (builtin, "calls the built-in sigmoid"),
    (builtin_functional, "calls the built-in sigmoid"),
])
def test_sigmoid_names_each_mistake(answer, mistake):
    result = lesson.sigmoid.check(answer)
    assert result.status is Status.INCORRECT
    assert result.mistake == mistake, result


def test_sigmoid_hints_never_show_expected_values():
    texts = list(lesson.sigmoid.hints) + [m.hint for m in lesson.sigmoid.mistakes]
    for text in texts:
        assert "0.88" not in text and "0.7311" not in text


# --------------------------------------------------------------------------------------------------
# Exercise 2: the derivative of sigmoid


def good_prime(z):
    s = torch.sigmoid(z)
    return s * (1 - s)


def prime_by_autograd(z):
    z = z.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.sigmoid(z).sum(), z)
    return grad


def test_sigmoid_prime_accepts_correct_answers_and_stays_correct():
    assert lesson.sigmoid_prime.check(good_prime).status is Status.CORRECT
    assert lesson.sigmoid_prime.check(prime_by_autograd).status is Status.CORRECT
    namespace = {"torch": torch}
    exec(lesson.sigmoid_prime.solution_text, namespace)  # noqa: S102 -- the lesson's own solution text
    assert lesson.sigmoid_prime.check(namespace["sigmoid_prime"]).status is Status.CORRECT
    assert lesson.sigmoid_prime.check(good_prime).status is Status.CORRECT


def test_sigmoid_prime_starter_is_not_attempted():
    assert lesson.sigmoid_prime.check(starter).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize("answer, mistake", [
    (lambda z: torch.sigmoid(z), "returned sigma instead of its derivative"),
    (lambda z: 1 - torch.sigmoid(z) ** 2, "used the tanh rule 1 - sigma^2"),
    (lambda z: z * (1 - z), "applied the rule to z, not sigma(z)"),
    (lambda z: torch.exp(-z) / (1 + torch.exp(-z)) ** 2, "e^(-z)/(1+e^(-z))^2 overflows"),
    (lambda z: naive(z) * (1 - naive(z)), "used the naive exp(z)/(1+exp(z)) sigmoid"),
    (lambda z: good_prime(z).tolist(), "returns a list or number, not a tensor"),
    (lambda z: torch.tensor(good_prime(z).item()), "works only for scalars"),
])
def test_sigmoid_prime_names_each_mistake(answer, mistake):
    result = lesson.sigmoid_prime.check(answer)
    assert result.status is Status.INCORRECT
    assert result.mistake == mistake, result


def test_hints_are_progressive_and_unlock_the_solution():
    exercise = lesson.sigmoid_prime
    exercise._hints_shown = 0
    assert "locked" in exercise.solution().title
    for number in range(1, len(exercise.hints) + 1):
        assert f"hint {number} of" in exercise.hint().title
    assert "s * (1 - s)" in exercise.solution().text
    exercise._hints_shown = 0
