"""Lesson 2: the gradient pictures, the computation-graph drawing, the finite-difference explorer and
the three exercises."""

import math

import numpy as np
import pytest
import torch
from matplotlib.collections import LineCollection
from matplotlib.quiver import Quiver
from matplotlib.text import Annotation

from lessonkit import autograd_grad as lesson
from lessonkit.checks import Status
from tests.helpers import mismatch_with_full_redraw

# ---- pictures -----------------------------------------------------------------------------------


def test_gradient_fields_have_one_panel_with_arrows_and_contours_per_function():
    fig = lesson.plot_gradient_fields({
        "linear": lambda p: 2 * p[..., 0] + p[..., 1] + 1,
        "bowl": lambda p: p[..., 0] ** 2 + 3 * p[..., 1] ** 2,
    }, arrows=5)
    assert len(fig.axes) == 2
    for ax, title in zip(fig.axes, ["linear", "bowl"]):
        assert ax.get_title() == title
        (arrows,) = [c for c in ax.collections if isinstance(c, Quiver)]
        assert arrows.N == 25
        assert any(isinstance(c, LineCollection) or type(c).__name__ == "QuadContourSet" for c in ax.collections)


def test_gradient_at_matches_the_formula():
    points = torch.tensor([[1.0, -2.0], [0.0, 0.5]], dtype=torch.float64)
    gradient = lesson.gradient_at(lambda p: p[..., 0] ** 2 + 3 * p[..., 1] ** 2, points)
    assert torch.allclose(gradient, torch.tensor([[2.0, -12.0], [0.0, 3.0]], dtype=torch.float64))


def _boxes_and_arrows(ax):
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    boxes = [t for t in ax.texts if not isinstance(t, Annotation)]
    return boxes, arrows


def test_graph_of_a_dot_product_before_and_after_w_requires_grad():
    x = torch.arange(3).float().requires_grad_()
    w = torch.tensor([2, 1, 3.0])
    y_before = x @ w
    w.requires_grad_()
    y = x @ w
    nodes, edges = lesson.graph_of(y_before, {"x": x, "w": w})
    assert [kind for kind, _ in nodes.values()] == ["output", "op", "leaf", "constant"]
    assert [label.splitlines()[0] for _, label in nodes.values()] == [
        "output", "DotBackward0", "x: a leaf", "input 1: a constant"]
    assert len(edges) == 3
    nodes, _ = lesson.graph_of(y, {"x": x, "w": w, "y": y})
    assert [label.splitlines()[0] for _, label in nodes.values()] == ["y", "DotBackward0", "x: a leaf", "w: a leaf"]

    fig = lesson.plot_computation_graph({"before": y_before, "after": y}, names={"x": x, "w": w})
    assert len(fig.axes) == 2
    for ax in fig.axes:
        boxes, arrows = _boxes_and_arrows(ax)
        assert len(boxes) == 4 and len(arrows) == 3
    assert [ax.get_title() for ax in fig.axes] == ["before", "after"]


def test_graph_of_a_shared_leaf_is_drawn_once_below_every_user():
    x = torch.tensor([1.0, 2.0, 0.0], requires_grad=True)
    nodes, edges = lesson.graph_of(lesson.f(x), {"x": x})
    labels = [label.splitlines()[0] for _, label in nodes.values()]
    assert labels.count("SelectBackward0") == 3 and labels.count("x: a leaf") == 1
    assert len(nodes) == 9 and len(edges) == 10
    rows = lesson._layers(nodes, edges)
    leaf = next(key for key, (kind, _) in nodes.items() if kind == "leaf")
    assert rows[leaf] == max(rows.values())  # the leaf sits below everything that uses it


def test_graph_of_a_tensor_without_history():
    nodes, edges = lesson.graph_of(torch.ones(2))
    assert edges == [] and "nothing recorded" in nodes["output"][1]
    fig = lesson.plot_computation_graph({"constant": torch.ones(2)})
    boxes, arrows = _boxes_and_arrows(fig.axes[0])
    assert len(boxes) == 1 and arrows == []


# ---- numerical helpers --------------------------------------------------------------------------


def test_central_differences_and_their_two_error_regimes():
    steps = np.array([1e-1, 1e-4, 1e-10])
    exact = math.cos(1.0)
    err64 = lesson.relative_error(lesson.central_differences(torch.sin, 1.0, steps, torch.float64), exact)
    err32 = lesson.relative_error(lesson.central_differences(torch.sin, 1.0, steps, torch.float32), exact)
    assert err64[1] < 1e-8 and err64[0] > 1e-4  # truncation at large h
    assert err32[2] > 1e-2  # rounding at small h, float32
    assert lesson.autograd_derivative(torch.sin, 1.0) == pytest.approx(exact)


# ---- explorer -----------------------------------------------------------------------------------

SWEEPS = {
    "log10_h": [-12.0, -9.0, -6.0, -4.5, -3.0, -1.5, 0.0],
    "x": [-2.0, -1.0, 0.0, 0.05, 1.0, 2.0, 3.0],
    "dtype": ["float64", "float32"],
    "function": ["exp(x)", "log(x)", "sqrt(x)", "sin(x)"],
}


@pytest.fixture
def explorer():
    explorer = lesson.FiniteDifferenceExplorer()
    yield explorer
    explorer.close()


def _frozen(explorer):
    """The figure was laid out once: no layout engine runs on a frame (one draw per frame)."""
    return type(explorer.fig.get_layout_engine()).__name__ in ("PlaceHolderLayoutEngine", "NoneType")


def test_explorer_starts_with_a_picture_and_no_error(explorer):
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert explorer.last_error is None
    assert _frozen(explorer)
    assert "autograd" in explorer.readout.value and "difference" in explorer.readout.value


@pytest.mark.parametrize("settings", [
    {"function": "sin(x)", "x": 2.5, "log10_h": -0.5, "dtype": "float32"},
    {"function": "exp(x)", "x": 3.0, "log10_h": -6.0, "dtype": "float64"},
    {"function": "log(x)", "x": 0.05, "log10_h": -12.0, "dtype": "float32"},
])
def test_the_fast_frame_equals_a_full_redraw(explorer, settings):
    for name, value in settings.items():
        explorer.controls[name].value = value
    assert mismatch_with_full_redraw(explorer) < 0.001  # antialiasing may differ on a few pixels


def test_the_read_out_follows_the_controls(explorer):
    explorer.controls["function"].value = "exp(x)"
    explorer.controls["x"].value = 1.0
    explorer.controls["dtype"].value = "float64"
    assert "exp(x)</b> at x = 1, float64" in explorer.readout.value
    assert f"autograd <code>{math.e:.6g}</code>" in explorer.readout.value


@pytest.mark.parametrize("name", list(SWEEPS))
def test_every_control_over_its_range_changes_the_picture(explorer, name):
    control = explorer.controls[name]
    positions = [ax.get_position().bounds for ax in explorer.fig.axes]
    if hasattr(control, "min"):
        assert SWEEPS[name][0] == control.min and SWEEPS[name][-1] == control.max
    for value in SWEEPS[name]:
        before = bytes(explorer.image.value)
        if control.value == value:
            continue
        control.value = value
        assert explorer.last_error is None, explorer.last_error
        assert bytes(explorer.image.value) != before, (name, value)
    assert _frozen(explorer)
    assert [ax.get_position().bounds for ax in explorer.fig.axes] == positions  # the layout stays put


@pytest.mark.parametrize("settings, words", [
    ({"function": "log(x)", "x": -2.0}, "undefined at x = -2"),
    ({"function": "log(x)", "x": 0.0}, "undefined at x = 0"),
    ({"function": "sqrt(x)", "x": 0.0}, "vertical tangent"),
    ({"function": "sqrt(x)", "x": 0.05, "log10_h": 0.0}, "leaves the domain"),
    ({"function": "sin(x)", "x": 2.0, "log10_h": -12.0, "dtype": "float32"}, "below float32 resolution"),
    ({"function": "exp(x)", "x": 1.0, "log10_h": 0.0}, "truncation error"),
    ({"function": "exp(x)", "x": 1.0, "log10_h": -6.0, "dtype": "float32"}, "rounding error"),
])
def test_extreme_and_nan_settings_say_what_happened(explorer, settings, words):
    for name, value in settings.items():
        explorer.controls[name].value = value
    assert explorer.last_error is None, explorer.last_error
    assert words in explorer.note.value
    assert bytes(explorer.image.value).startswith(b"\x89PNG")


def test_a_good_step_leaves_no_note(explorer):
    explorer.controls["log10_h"].value = -5.0
    explorer.controls["dtype"].value = "float64"
    assert explorer.note.value == ""


# ---- exercise 1 ---------------------------------------------------------------------------------


def _starter(*args):
    raise NotImplementedError


def _gradient_solution(x):
    x = x.detach().requires_grad_()
    (gradient,) = torch.autograd.grad(lesson.f(x), x)
    return gradient


def _gradient_by_backward(x):
    x = x.detach().clone().requires_grad_()
    lesson.f(x).backward()
    return x.grad


@pytest.mark.parametrize("solution", [_gradient_solution, _gradient_by_backward])
def test_gradient_solutions_are_correct_and_stay_correct(solution):
    assert lesson.gradient_of_f.check(solution).correct
    assert lesson.gradient_of_f.check(solution).correct


def _returns_the_tuple(x):
    x = x.detach().requires_grad_()
    return torch.autograd.grad(lesson.f(x), x)


def _forgets_requires_grad(x):
    return torch.autograd.grad(lesson.f(x), x)[0]


def _differentiates_a_slice(x):
    x = x.detach().requires_grad_()
    return torch.autograd.grad(lesson.f(x), x[0])[0]


def _differentiates_a_copy(x):
    x = x.detach().requires_grad_()
    y = lesson.f(x)
    return torch.autograd.grad(y, x.clone())[0]


def _differentiates_the_untracked_original(x):
    leaf = x.detach().clone().requires_grad_()
    return torch.autograd.grad(lesson.f(leaf), x.detach())[0]


def _returns_f(x):
    return lesson.f(x)


@pytest.mark.parametrize("answer, mistake", [
    (_returns_the_tuple, "returned the tuple"),
    (_forgets_requires_grad, "forgot requires_grad"),
    (_differentiates_a_slice, "a slice or a tensor not in the graph"),
    (_differentiates_a_copy, "a slice or a tensor not in the graph"),
    (_differentiates_the_untracked_original, "a slice or a tensor not in the graph"),
    (_returns_f, "returned f(x), not its gradient"),
])
def test_gradient_fingerprints(answer, mistake):
    result = lesson.gradient_of_f.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake, result


def test_gradient_starter_is_not_attempted_and_a_graph_attached_answer_is_refused():
    assert lesson.gradient_of_f.check(_starter).status is Status.NOT_ATTEMPTED

    def keeps_the_graph(x):
        x = x.detach().requires_grad_()
        return torch.autograd.grad(lesson.f(x), x, create_graph=True)[0]

    result = lesson.gradient_of_f.check(keeps_the_graph)
    assert result.status is Status.INCORRECT and "still requires grad" in result.message


# ---- exercise 2 ---------------------------------------------------------------------------------


def _hand_solution(w, x, t):
    return 2 * (w @ x - t) * x


def test_hand_solution_is_correct_and_stays_correct():
    assert lesson.hand_gradient.check(_hand_solution).correct
    assert lesson.hand_gradient.check(_hand_solution).correct


@pytest.mark.parametrize("answer, mistake", [
    (lambda w, x, t: 2 * (t - w @ x) * x, "sign flipped"),
    (lambda w, x, t: (w @ x - t) * x, "factor of 2 missing"),
    (lambda w, x, t: 4 * (w @ x - t) * x, "extra factor of 2"),
    (lambda w, x, t: 2 * (w @ x - t), "forgot the inner derivative"),
    (lambda w, x, t: 2 * (w @ x - t) * w, "derivative with respect to x, not w"),
])
def test_hand_fingerprints(answer, mistake):
    result = lesson.hand_gradient.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake, result


def test_hand_starter_and_an_unrelated_answer():
    assert lesson.hand_gradient.check(_starter).status is Status.NOT_ATTEMPTED
    result = lesson.hand_gradient.check(lambda w, x, t: x * 0 + 1)
    assert result.status is Status.INCORRECT and result.mistake is None
    assert "differ" in result.message


def test_hand_hints_never_contain_the_formula():
    for text in [*lesson.hand_gradient.hints, *(m.hint for m in lesson.hand_gradient.mistakes)]:
        assert "2 * (w @ x - t) * x" not in text and "2 (w.x - t) x" not in text


# ---- exercise 3 ---------------------------------------------------------------------------------


def _vjp(v):
    x = lesson.X0.clone().requires_grad_()
    y = lesson.layer(x)
    return torch.autograd.grad(y, x, grad_outputs=torch.tensor(v))


def test_jacobian_row_answer_is_correct_and_stays_correct():
    (answer,) = _vjp([0.0, 1.0])
    assert lesson.jacobian_row.check(answer).correct
    assert lesson.jacobian_row.check(answer).correct
    assert lesson.jacobian_row.check(...).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize("answer, mistake", [
    (_vjp([1.0, 1.0])[0], "summed both outputs"),
    (_vjp([1.0, 0.0])[0], "took y[0] instead of y[1]"),
    (_vjp([0.0, 1.0]), "returned the tuple"),
    (torch.ones(2), "a column of the Jacobian, not a row"),
])
def test_jacobian_row_fingerprints(answer, mistake):
    result = lesson.jacobian_row.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake, result


@pytest.mark.parametrize("exercise", [lesson.gradient_of_f, lesson.hand_gradient, lesson.jacobian_row])
def test_solution_unlocks_after_the_last_hint(exercise):
    exercise._hints_shown = 0
    assert "locked" in exercise.solution().title
    for _ in exercise.hints:
        exercise.hint()
    assert "a solution" in exercise.solution().title
    exercise._hints_shown = 0
