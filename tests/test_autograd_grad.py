"""Lesson 2: the gradient pictures, the computation-graph drawing, the sigmoid-derivatives picture,
the finite-difference explorer, the four exercises and the section-3 correction."""

import math
import re

import numpy as np
import pytest
import torch
from matplotlib.collections import LineCollection
from matplotlib.quiver import Quiver
from matplotlib.text import Annotation

from lessonkit import autograd_grad as lesson
from lessonkit.checks import Status
from tests.helpers import is_picture, mismatch_with_full_redraw

# ---- pictures -----------------------------------------------------------------------------------


def _fields():
    return lesson.plot_gradient_fields({
        "linear": lambda p: 2 * p[..., 0] + p[..., 1] + 1,
        "bowl": lambda p: p[..., 0] ** 2 + 3 * p[..., 1] ** 2,
    }, arrows=5)


def test_gradient_fields_have_one_panel_with_arrows_and_contours_per_function():
    fig = _fields()
    assert len(fig.axes) == 2
    for ax, title in zip(fig.axes, ["linear", "bowl"]):
        assert ax.get_title() == title
        (arrows,) = [c for c in ax.collections if isinstance(c, Quiver)]
        assert arrows.N == 25
        assert any(isinstance(c, LineCollection) or type(c).__name__ == "QuadContourSet" for c in ax.collections)
        assert len(ax.texts) >= 3  # contour labels


def _arrow_ends(quiver):
    """Each arrow's tail and tip in data coordinates (pivot="middle": the point is its centre)."""
    half = np.stack([quiver.U, quiver.V], axis=1) / quiver.scale / 2
    return quiver.XY - half, quiver.XY + half


@pytest.mark.parametrize("arrows", [5, 7, 9])
def test_every_arrow_head_stays_inside_the_panel(arrows):
    fig = lesson.plot_gradient_fields({"bowl": lambda p: p[..., 0] ** 2 + 3 * p[..., 1] ** 2,
                                       "tilted": lambda p: 3 * p[..., 0] - p[..., 1]}, arrows=arrows)
    for ax in fig.axes:
        (quiver,) = [c for c in ax.collections if isinstance(c, Quiver)]
        assert quiver.pivot == "middle"
        tails, tips = _arrow_ends(quiver)
        low, high = ax.get_xlim()
        margin = 0.05 * (high - low) / arrows  # room for the head's width
        for ends in (tails, tips):
            assert (ends >= low + margin).all() and (ends <= high - margin).all()


def test_contour_labels_do_not_touch_any_arrow():
    fig = _fields()
    fig.canvas.draw()
    for ax in fig.axes:
        (quiver,) = [c for c in ax.collections if isinstance(c, Quiver)]
        tails, tips = _arrow_ends(quiver)
        to_data = ax.transData.inverted()
        assert ax.texts
        for label in ax.texts:
            box = label.get_window_extent().transformed(to_data)
            for t in np.linspace(0, 1, 21):  # points along every arrow's shaft
                points = tails + t * (tips - tails)
                inside = ((points[:, 0] > box.x0) & (points[:, 0] < box.x1)
                          & (points[:, 1] > box.y0) & (points[:, 1] < box.y1))
                assert not inside.any(), (label.get_text(), box)


def test_sigmoid_derivatives_picture_draws_three_curves_and_the_closed_forms():
    z = torch.linspace(-6, 6, 121, dtype=torch.float64, requires_grad=True)
    (ds,) = torch.autograd.grad(torch.sigmoid(z).sum(), z, create_graph=True)
    (d2s,) = torch.autograd.grad(ds.sum(), z)
    fig = lesson.plot_sigmoid_derivatives(z, ds, d2s)
    (ax,) = fig.axes
    lines = [line for line in ax.lines if len(line.get_xdata()) > 2]
    assert len(lines) == 5  # three curves, two sets of closed-form dots
    second = next(line for line in lines if "create_graph" in line.get_label())
    s = torch.sigmoid(z.detach())
    assert np.allclose(second.get_ydata(), (s * (1 - s) * (1 - 2 * s)).numpy())


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
    assert is_picture(bytes(explorer.image.value))
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
    assert is_picture(bytes(explorer.image.value))


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
    x = x.detach().requires_grad_()
    return lesson.f(x).detach()   # no autograd at all: still named "returned f(x)", the real cause


def _returns_one_entry(x):
    x = x.detach().requires_grad_()
    return torch.autograd.grad(lesson.f(x), x)[0][1]


def _by_hand(x):
    """No autograd at all, although the docstring says torch.autograd.grad."""
    return torch.stack([x[1] ** 2, 2 * x[0] * x[1], torch.exp(x[2])])


@pytest.mark.parametrize("answer, mistake", [
    (_returns_the_tuple, "returned the tuple"),
    (_forgets_requires_grad, "forgot requires_grad"),
    (_differentiates_a_slice, "a slice or a tensor not in the graph"),
    (_differentiates_a_copy, "a slice or a tensor not in the graph"),
    (_differentiates_the_untracked_original, "a slice or a tensor not in the graph"),
    (_returns_f, "returned f(x), not its gradient"),
    (_returns_one_entry, "returned one entry of the gradient"),
    (_by_hand, "did not use autograd"),
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


def test_gradient_refuses_switching_on_the_callers_flag():
    def flips_the_flag(x):
        x.requires_grad_()
        return torch.autograd.grad(lesson.f(x), x)[0]

    result = lesson.gradient_of_f.check(flips_the_flag)
    assert result.status is Status.INCORRECT
    assert re.search(r"input|caller", result.message) and "requires_grad" in result.message


# ---- exercise 2 ---------------------------------------------------------------------------------


def _hand_solution(w, x, t):
    return 2 * (w @ x - t) * x


def test_hand_solution_is_correct_and_stays_correct():
    assert lesson.hand_gradient.check(_hand_solution).correct
    assert lesson.hand_gradient.check(_hand_solution).correct


def test_hand_docstring_that_mentions_autograd_is_not_a_violation():
    def hand(w, x, t):
        """Checked against torch.autograd.grad and .backward() -- but not calling them."""
        return 2 * x * (torch.dot(w, x) - t)

    assert lesson.hand_gradient.check(hand).correct


@pytest.mark.parametrize("uses_autograd", ["grad", "backward"])
def test_hand_forbids_autograd_by_observation(uses_autograd):
    def answer(w, x, t):
        w = w.detach().requires_grad_()
        loss = (w @ x - t) ** 2
        if uses_autograd == "grad":
            return torch.autograd.grad(loss, w)[0]
        loss.backward()
        return w.grad

    result = lesson.hand_gradient.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == "used autograd"
    assert "without autograd" not in lesson.hand_gradient.success or "autograd" in result.message


@pytest.mark.parametrize("answer, mistake", [
    (lambda w, x, t: 2 * (t - w @ x) * x, "sign flipped"),
    (lambda w, x, t: (w @ x - t) * x, "factor of 2 missing"),
    (lambda w, x, t: 4 * (w @ x - t) * x, "extra factor of 2"),
    (lambda w, x, t: 2 * (w @ x - t), "forgot the inner derivative"),
    (lambda w, x, t: 2 * (w @ x - t) * w, "derivative with respect to x, not w"),
    (lambda w, x, t: (w @ x - t) ** 2, "returned the loss"),
    (lambda w, x, t: 2 * (w * x - t) * x, "element-wise product instead of the dot product"),
    (lambda w, x, t: 2 * (w @ x + t) * x, "sign of t"),
    (lambda w, x, t: 2 * (w @ x - t) * x / len(x), "divided by N"),
])
def test_hand_fingerprints(answer, mistake):
    result = lesson.hand_gradient.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake, result


def test_hand_properties_hold_for_the_reference_and_fail_for_a_wrong_direction():
    for case in lesson.hand_gradient._cases():
        expected = lesson.hand_gradient.reference(*case)
        assert all(p.holds(expected, *case) for p in lesson.hand_gradient.properties)
    w, x, t = lesson.hand_gradient._cases()[0]
    (parallel,) = [p for p in lesson.hand_gradient.properties if p.name == "not a multiple of x"]
    assert not parallel.holds(torch.tensor([1.0, 0.0, 0.0]), w, x, t)
    w, x, t = lesson.hand_gradient._cases()[-1]
    (zero,) = [p for p in lesson.hand_gradient.properties if p.name == "not zero at the minimum"]
    assert not zero.holds(x, w, x, t)


def test_hand_starter_and_an_unrelated_answer():
    assert lesson.hand_gradient.check(_starter).status is Status.NOT_ATTEMPTED
    result = lesson.hand_gradient.check(lambda w, x, t: x * 0 + 1)
    assert result.status is Status.INCORRECT


def test_hand_hints_never_contain_the_formula():
    for text in [*lesson.hand_gradient.hints, *(m.hint for m in lesson.hand_gradient.mistakes),
                 *(p.message for p in lesson.hand_gradient.properties)]:
        assert "2 * (w @ x - t) * x" not in text and "2 (w.x - t) x" not in text


# ---- exercise 3 ---------------------------------------------------------------------------------


def _vjp(x, v):
    x = x.detach().requires_grad_()
    y = lesson.layer(x)
    (g,) = torch.autograd.grad(y, x, grad_outputs=v.to(y.dtype))
    return g


def _vjp_by_sum(x, v):
    x = x.detach().clone().requires_grad_()
    (v.to(x.dtype) * lesson.layer(x)).sum().backward()
    return x.grad


def _vjp_by_jacobian(x, v):
    jacobian = torch.autograd.functional.jacobian(lesson.layer, x.detach())
    return v.to(x.dtype) @ jacobian


@pytest.mark.parametrize("solution", [_vjp, _vjp_by_sum, _vjp_by_jacobian])
def test_weighted_gradient_solutions_are_correct(solution):
    assert lesson.weighted_gradient.check(solution).correct
    assert lesson.weighted_gradient.check(solution).correct


def _jac(x):
    return torch.autograd.functional.jacobian(lesson.layer, x.detach())


@pytest.mark.parametrize("answer, mistake", [
    (lambda x, v: torch.ones(2, dtype=x.dtype) @ _jac(x), "ignored v"),
    (lambda x, v: v.to(x.dtype) @ lesson.A.to(x.dtype), "forgot tanh's derivative"),
    (lambda x, v: _jac(x)[1], "only one output"),
    (lambda x, v: v.flip(0).to(x.dtype) @ _jac(x), "weights swapped"),
    (lambda x, v: _jac(x), "returned the whole Jacobian"),
    (lambda x, v: (_vjp(x, v),), "returned the tuple"),
    (lambda x, v: v.to(x.dtype) * lesson.layer(x.detach()), "one entry per output"),
    (lambda x, v: v.to(x.dtype) @ lesson.layer(x.detach()), "returned the weighted output"),
])
def test_weighted_gradient_fingerprints(answer, mistake):
    result = lesson.weighted_gradient.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake, result


def test_weighted_gradient_errors_get_hints():
    def no_weights(x, v):
        x = x.detach().requires_grad_()
        return torch.autograd.grad(lesson.layer(x), x)[0]

    def no_leaf(x, v):
        return torch.autograd.grad(lesson.layer(x.detach()), x, grad_outputs=v)[0]

    assert lesson.weighted_gradient.check(no_weights).mistake == "non-scalar output without weights"
    assert lesson.weighted_gradient.check(no_leaf).mistake == "forgot requires_grad"


def test_weighted_gradient_row_space_property():
    (prop,) = lesson.weighted_gradient.properties
    for case in lesson.weighted_gradient._cases():
        assert prop.holds(lesson.weighted_gradient.reference(*case), *case)
    assert not prop.holds(torch.tensor([1.0, 0.0, 0.0]), *lesson.weighted_gradient._cases()[0])


# ---- exercise 4 ---------------------------------------------------------------------------------


def test_predict_hook_matches_the_code_it_shows():
    namespace = {"torch": torch}
    exec(lesson.PREDICT_HOOK, namespace)
    assert float(namespace["dx"]) == lesson.predict_hook.reference()


@pytest.mark.parametrize("answer", [84, 84.0, torch.tensor(84.0), torch.tensor([84.0]),
                                    torch.tensor(84, dtype=torch.float64)])
def test_predict_hook_accepts_the_number_in_any_form(answer):
    assert lesson.predict_hook.check(answer).correct


@pytest.mark.parametrize("answer, mistake", [
    (12, "hook ignored"), (120.0, "scaled every path"), (80, "forgot the direct path"),
    (4, "only the direct path"), (8, "the value of y"),
])
def test_predict_hook_fingerprints(answer, mistake):
    result = lesson.predict_hook.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake, result


def test_predict_hook_other_answers():
    assert lesson.predict_hook.check(...).status is Status.NOT_ATTEMPTED
    assert lesson.predict_hook.check(85).status is Status.INCORRECT
    assert lesson.predict_hook.check([84, 1]).status is Status.INCORRECT
    for text in [*lesson.predict_hook.hints[:-1], *(m.hint for m in lesson.predict_hook.mistakes)]:
        assert "84" not in text


EXERCISES = [lesson.gradient_of_f, lesson.hand_gradient, lesson.weighted_gradient, lesson.predict_hook]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_solution_unlocks_after_the_last_hint(exercise):
    exercise._hints_shown = 0
    assert "locked" in exercise.solution().title
    for _ in exercise.hints:
        exercise.hint()
    assert "a solution" in exercise.solution().title
    exercise._hints_shown = 0


@pytest.mark.parametrize("exercise", EXERCISES)
def test_keys_are_in_the_solution_and_no_hint_before_the_last_gives_them(exercise):
    assert exercise.key
    for key in exercise.key:
        assert key in exercise.solution_text
        for hint in exercise.hints[:-1]:
            assert key not in hint


def test_the_notebook_runs_the_reference_order_into_the_freed_graph_error():
    """The correction of section 3: the reference's order (grad, flag, grad on the old y) raises the
    freed-graph error; only with retain_graph does the 'not used in the graph' error appear."""
    x = torch.arange(3).float().requires_grad_()
    w = torch.tensor([2, 1, 3.0])
    y = x @ w
    # what section 3 says the graph saved: w (x's gradient), and nothing for w's own gradient
    assert y.grad_fn._saved_self is None and torch.equal(y.grad_fn._saved_tensor, w)
    torch.autograd.grad(y, x)
    w.requires_grad_()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        torch.autograd.grad(y, [x, w])
    w = torch.tensor([2, 1, 3.0])
    y = x @ w
    torch.autograd.grad(y, x, retain_graph=True)
    w.requires_grad_()
    with pytest.raises(RuntimeError, match="index 1 appears to not have been used in the graph"):
        torch.autograd.grad(y, [x, w])
