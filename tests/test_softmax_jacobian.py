"""Lesson 4 (softmax and its Jacobian): plots, the explorer driven headless, and both exercise checks."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from lessonkit import softmax_jacobian as lesson
from lessonkit.checks import Status
from tests.helpers import mismatch_with_full_redraw

# --------------------------------------------------------------------------------------------------
# Plots


def _reference_a():
    torch.manual_seed(0)
    return torch.rand(3, 4, requires_grad=True)


def test_plot_softmax_steps_has_three_bar_panels_summing_to_one():
    fig = lesson.plot_softmax_steps([2.0, 1.0, 0.1])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    assert [len(ax.patches) for ax in fig.axes] == [3, 3, 3]
    heights = [bar.get_height() for bar in fig.axes[2].patches]
    assert sum(heights) == pytest.approx(1.0, abs=1e-6)
    assert heights[0] / heights[1] == pytest.approx(np.e, rel=1e-5)  # e, not 2.75
    assert "2.718" in fig._suptitle.get_text()


def test_plot_sum_directions_boxes_every_slice():
    fig = lesson.plot_sum_directions(_reference_a())
    assert len(fig.axes) == 2
    dim0, dim1 = fig.axes
    assert len(dim0.images) == 1 and len(dim1.images) == 1
    assert len(dim0.patches) == 4  # a box per column
    assert len(dim1.patches) == 3  # a box per row
    sums = [t.get_text() for t in dim0.texts if t.get_text().startswith("sum")]
    assert sums == ["sum\n1.00"] * 4


def test_plot_column_gradients_boxes_the_nonzero_column():
    a = _reference_a()
    p = torch.softmax(a, dim=0)
    da1 = torch.autograd.grad(p[0, 0], a, retain_graph=True)
    da2 = torch.autograd.grad(p[0, 1], a, retain_graph=True)
    fig = lesson.plot_column_gradients(da1, da2)
    assert len(fig.axes) == 2
    for ax, column in zip(fig.axes, (0, 1)):
        (box,) = ax.patches
        assert box.get_x() == pytest.approx(column - 0.5)
        assert len(ax.images) == 1 and len(ax.texts) == 12


def test_plot_jacobian_shows_signs_and_zero_row_sums():
    p = torch.softmax(torch.tensor([2.0, 1.0, 0.1]), dim=0)
    jacobian = torch.diag(p) - torch.outer(p, p)
    fig = lesson.plot_jacobian(jacobian)
    (ax,) = fig.axes
    (image,) = ax.images
    assert image.get_clim() == (-lesson.JACOBIAN_LIMIT, lesson.JACOBIAN_LIMIT)
    values = [t.get_text() for t in ax.texts]
    assert sum(v.startswith("+") for v in values) == 3  # the diagonal
    assert sum(v.startswith("-") for v in values) == 6  # the off-diagonal
    assert values.count("row sum\n0.000") == 3


def test_plot_overflow_marks_where_the_naive_formula_breaks():
    fig = lesson.plot_overflow()
    left, right = fig.axes
    assert len(left.lines) == 3 and len(right.lines) == 2
    naive = right.lines[1].get_ydata()
    assert np.isnan(naive).any() and np.isfinite(right.lines[0].get_ydata()).all()
    assert len(right.patches) == 1  # the shaded broken region
    assert right.patches[0].get_x() == pytest.approx(88.5)


def test_naive_softmax_overflows_where_torch_softmax_does_not():
    z = torch.tensor([1000.0, 999.0, 998.0])
    assert torch.isnan(lesson.naive_softmax(z)).all()
    assert torch.isfinite(torch.softmax(z, dim=0)).all()


# --------------------------------------------------------------------------------------------------
# The explorer, driven by .value


@pytest.fixture
def explorer():
    e = lesson.SoftmaxExplorer()
    yield e
    e.close()


def _drive(explorer, name, values):
    for value in values:
        before = bytes(explorer.image.value)
        explorer.controls[name].value = value
        assert explorer.last_error is None, explorer.last_error
        assert bytes(explorer.image.value) != before, (name, value)
        assert bytes(explorer.image.value)[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb")  # PNG or JPEG


@pytest.mark.parametrize("name", ["z0", "z1", "z2"])
def test_each_logit_slider_over_its_range(explorer, name):
    control = explorer.controls[name]
    _drive(explorer, name, [control.min, control.max, -3.3, 0.0, 4.4, 7.7])


def test_temperature_over_its_range(explorer):
    _drive(explorer, "temperature", [0.01, 100.0, 0.1, 0.5, 2.0, 10.0])
    explorer.controls["temperature"].value = 100.0
    assert "uniform" in explorer.note.value
    explorer.controls["temperature"].value = 0.01
    assert "saturated" in explorer.note.value


def test_naive_formula_overflow_is_a_visible_note_not_a_crash(explorer):
    explorer.controls["temperature"].value = 0.01
    _drive(explorer, "naive", [True])
    assert "NaN" in explorer.note.value and "overflowed" in explorer.note.value
    assert [label.get_text() for label in explorer.bar_labels][:2] == ["NaN", "NaN"]
    _drive(explorer, "naive", [False])
    assert "NaN" not in explorer.note.value


def test_naive_formula_underflow_is_a_visible_note(explorer):
    explorer.controls["naive"].value = True
    explorer.controls["temperature"].value = 0.01
    for name in ("z0", "z1", "z2"):
        explorer.controls[name].value = -10.0
    assert explorer.last_error is None
    assert "underflowed" in explorer.note.value


def test_the_explorer_matches_the_closed_form(explorer):
    explorer.controls["temperature"].value = 2.0
    p = torch.softmax(torch.tensor([2.0, 1.0, 0.1]) / 2.0, dim=0)
    heights = [bar.get_height() for bar in explorer.bars]
    assert heights == pytest.approx(p.tolist(), abs=1e-6)
    expected = (torch.diag(p) - torch.outer(p, p)).numpy()
    assert np.allclose(explorer.jac_image.get_array(), expected, atol=1e-6)


@pytest.mark.parametrize("settings", [{}, {"z0": 7.7, "temperature": 0.5},
                                      {"temperature": 0.01, "naive": True}])
def test_the_fast_frame_equals_a_full_redraw(explorer, settings):
    for name, value in settings.items():
        explorer.controls[name].value = value
    assert mismatch_with_full_redraw(explorer) < 0.001  # antialiasing may differ on a few pixels


def test_the_explorer_figure_is_laid_out_once(explorer):
    assert explorer.fig.get_layout_engine() is not None  # a placeholder: positions kept
    positions = [ax.get_position().bounds for ax in explorer.fig.axes]
    explorer.controls["z0"].value = 5.0
    assert [ax.get_position().bounds for ax in explorer.fig.axes] == positions


# --------------------------------------------------------------------------------------------------
# Exercise 1: stable softmax


def solution_softmax(z, dim):
    shifted = z - z.max(dim=dim, keepdim=True).values
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)


def starter_softmax(z, dim):
    raise NotImplementedError


def last_axis_softmax(z, dim):
    e = torch.exp(z - z.max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)


def whole_tensor_softmax(z, dim):
    e = torch.exp(z - z.max())
    return e / e.sum()


def naive(z, dim):
    return torch.exp(z) / torch.exp(z).sum(dim=dim, keepdim=True)


def naive_no_keepdim(z, dim):
    return torch.exp(z) / torch.exp(z).sum(dim=dim)


def global_max_softmax(z, dim):
    e = torch.exp(z - z.max())
    return e / e.sum(dim=dim, keepdim=True)


def log_probabilities(z, dim):
    shifted = z - z.max(dim=dim, keepdim=True).values
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


def no_keepdim(z, dim):
    e = torch.exp(z - z.max(dim=dim, keepdim=True).values)
    return e / e.sum(dim=dim)


def max_without_keepdim(z, dim):
    e = torch.exp(z - z.max(dim=dim).values)
    return e / e.sum(dim=dim, keepdim=True)


def max_pair(z, dim):
    e = torch.exp(z - z.max(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)


def builtin(z, dim):
    return torch.softmax(z, dim=dim)  # a comment naming torch.softmax( is fine


def in_place(z, dim):
    z -= z.max(dim=dim, keepdim=True).values
    z.exp_()
    return z / z.sum(dim=dim, keepdim=True)


def test_softmax_accepts_the_solution_and_stays_correct():
    assert lesson.stable_softmax.check(solution_softmax).status is Status.CORRECT
    assert lesson.stable_softmax.check(solution_softmax).status is Status.CORRECT


def test_softmax_starter_is_not_attempted():
    assert lesson.stable_softmax.check(starter_softmax).status is Status.NOT_ATTEMPTED
    assert lesson.stable_softmax.check(...).status is Status.NOT_ATTEMPTED


def test_softmax_recheck_after_a_wrong_answer_is_correct():
    assert not lesson.stable_softmax.check(naive).correct
    assert lesson.stable_softmax.check(solution_softmax).correct
    assert lesson.stable_softmax.check(solution_softmax).correct


@pytest.mark.parametrize("answer, name", [
    (last_axis_softmax, "wrong dim"),
    (whole_tensor_softmax, "summed over the whole tensor"),
    (naive, "no max-subtraction"),
    (global_max_softmax, "subtracted the max of the whole tensor"),
    (log_probabilities, "returns log-probabilities"),
    (no_keepdim, "forgot keepdim=True"),
    (naive_no_keepdim, "forgot keepdim=True"),
    (max_without_keepdim, "forgot keepdim=True"),
    (max_pair, "used the (values, indices) pair of max"),
    (builtin, "calls a built-in softmax"),
    (in_place, "modifies its input"),
])
def test_softmax_names_each_mistake(answer, name):
    result = lesson.stable_softmax.check(answer)
    assert result.status is Status.INCORRECT
    assert result.mistake == name, result
    assert "0.659" not in result.message and "0.6590" not in result.message  # no expected value leaks


def test_softmax_keepdim_error_on_a_non_square_input_is_named():
    def keepdim_only_in_the_sum(z, dim):
        e = torch.exp(z - z.max(dim=dim).values)   # raises on the non-square cases
        return e / e.sum(dim=dim, keepdim=True)

    result = lesson.stable_softmax.check(keepdim_only_in_the_sum)
    assert not result.correct and "keepdim" in result.message


def _raised(fn, *args):
    try:
        fn(*args)
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError("expected an error")


def test_softmax_torch_amax_variant_is_accepted():
    def amax_variant(z, dim):
        e = (z - torch.amax(z, dim=dim, keepdim=True)).exp()
        return e / e.sum(dim, keepdim=True)

    assert lesson.stable_softmax.check(amax_variant).correct


def test_softmax_hints_are_progressive_and_unlock_the_solution():
    exercise = lesson.stable_softmax
    exercise._hints_shown = 0
    assert "locked" in exercise.solution().title
    titles = [exercise.hint().title for _ in exercise.hints]
    assert titles[0].endswith("(call hint() again for the next one)")
    assert "max(dim=dim, keepdim=True)" in exercise.solution().text
    exercise._hints_shown = 0


# --------------------------------------------------------------------------------------------------
# Exercise 2: the Jacobian of log_softmax; exercise 3: predict the Jacobian with a temperature
# (every realistic wrong and unusual right answer is in tests/mistakes/softmax_jacobian.py)


def solution_log_jacobian(z):
    return torch.eye(len(z)) - torch.softmax(z, dim=0)


def starter(*args):
    raise NotImplementedError


def test_log_jacobian_accepts_the_solution_and_stays_correct():
    assert lesson.log_softmax_jacobian.check(solution_log_jacobian).correct
    assert lesson.log_softmax_jacobian.check(solution_log_jacobian).correct


def test_log_jacobian_starter_is_not_attempted():
    assert lesson.log_softmax_jacobian.check(starter).status is Status.NOT_ATTEMPTED


def test_the_log_jacobian_reference_is_what_autograd_computes():
    for (z,) in lesson.log_softmax_jacobian._cases():
        by_autograd = torch.autograd.functional.jacobian(lambda t: torch.log_softmax(t, dim=0), z)
        assert torch.allclose(lesson.log_softmax_jacobian.reference(z), by_autograd, atol=1e-6)


def test_the_log_jacobian_is_not_symmetric_so_a_transpose_is_wrong():
    result = lesson.log_softmax_jacobian.check(lambda z: solution_log_jacobian(z).T)
    assert not result.correct and "transpos" in (result.mistake + result.message).lower()


@pytest.mark.parametrize("answer, cause", [
    (lambda z: torch.autograd.functional.jacobian(lambda t: torch.log_softmax(t, dim=0), z), "autograd"),
    (lambda z: torch.diag(torch.softmax(z, 0)) - torch.outer(torch.softmax(z, 0), torch.softmax(z, 0)),
     "softmax"),
    (lambda z: (lambda p: (torch.diag(p) - torch.outer(p, p)) / p[:, None])(torch.softmax(z, 0)), "divided by p"),
])
def test_log_jacobian_names_each_mistake(answer, cause):
    result = lesson.log_softmax_jacobian.check(answer)
    assert not result.correct and cause in (result.mistake or "") + result.message


def test_a_docstring_naming_a_forbidden_function_is_not_a_call():
    def stable_softmax(z, dim):
        """Same as torch.softmax(z, dim) or F.softmax, computed by hand."""
        e = torch.exp(z - z.amax(dim=dim, keepdim=True))  # torch.softmax would do this
        return e / e.sum(dim=dim, keepdim=True)

    def log_softmax_jacobian(z):
        """Checked against torch.autograd.functional.jacobian elsewhere, not here."""
        return torch.eye(len(z)) - torch.softmax(z, dim=0)

    assert lesson.stable_softmax.check(stable_softmax).correct
    assert lesson.log_softmax_jacobian.check(log_softmax_jacobian).correct


def test_softmax_under_an_alias_is_caught():
    from torch.nn.functional import softmax as normalise

    result = lesson.stable_softmax.check(lambda z, dim: normalise(z, dim))
    assert not result.correct and "built-in softmax" in result.message


def test_predict_reference_is_what_the_shown_code_prints():
    from torch.autograd.functional import jacobian

    namespace = {"torch": torch, "jacobian": jacobian}
    code = lesson.PREDICT_TEMPERATURE.replace("print(", "shown = (")
    exec(code, namespace)
    expected = lesson.predict_temperature_jacobian.reference()
    assert torch.allclose(torch.tensor(namespace["shown"], dtype=torch.float64), expected, atol=1e-7)
    assert lesson.predict_temperature_jacobian.check((3 / 32, -1 / 32, 0.0)).correct
    assert lesson.predict_temperature_jacobian.check(...).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize("exercise", [lesson.stable_softmax, lesson.log_softmax_jacobian,
                                      lesson.predict_temperature_jacobian], ids=lambda e: e.title)
def test_keys_are_in_the_solution_and_in_no_hint_before_the_last(exercise):
    assert exercise.key and all(key in exercise.solution_text for key in exercise.key)
    for hint in exercise.hints[:-1]:
        assert not any(key in hint for key in exercise.key)
    exercise._hints_shown = 0
    assert "locked" in exercise.solution().title
    for _ in exercise.hints:
        exercise.hint()
    assert exercise.solution().text.strip()
    exercise._hints_shown = 0


def test_an_error_in_update_is_shown_and_the_last_picture_kept(explorer, monkeypatch):
    before = bytes(explorer.image.value)

    def broken(**values):
        raise ValueError("a deliberate failure")

    monkeypatch.setattr(explorer, "update", broken)
    explorer.controls["z0"].value = 3.0
    assert isinstance(explorer.last_error, ValueError)
    assert "a deliberate failure" in explorer.note.value
    shown = "".join(out.get("text", "") for out in explorer.output.outputs)
    assert "Traceback" in shown
    assert bytes(explorer.image.value) == before
    monkeypatch.undo()
    explorer.controls["z0"].value = 4.0  # and it recovers
    assert explorer.note.value == ""
    assert bytes(explorer.image.value) != before


def test_the_explorer_does_not_touch_pyplot():
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    e = lesson.SoftmaxExplorer()
    e.controls["temperature"].value = 0.5
    assert plt.get_fignums() == open_before
    e.close()
