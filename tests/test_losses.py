"""Lesson 5: the loss pictures, the logit explorer and the four exercises."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from lessonkit import losses as lesson
from lessonkit.checks import Status
from tests.helpers import mismatch_with_full_redraw

# ---- pictures ------------------------------------------------------------------------------------


def test_squared_errors_shows_prediction_target_and_errors():
    fig = lesson.plot_squared_errors(torch.ones(3, 3), torch.full((3, 3), 4.0))
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    errors = fig.axes[2]
    assert errors.images[0].get_array().shape == (3, 3)
    assert {t.get_text() for t in errors.texts} == {"9"}
    assert "mean = 9" in errors.get_title()
    assert len(errors.patches) == 0            # same shapes: nothing to outline


def test_squared_errors_shows_the_broadcast_table():
    fig = lesson.plot_squared_errors(torch.tensor([[1.], [2.], [3.], [4.]]), torch.tensor([1., 2., 3., 4.]))
    prediction, target, errors = fig.axes
    assert prediction.images[0].get_array().shape == (4, 1)
    assert target.images[0].get_array().shape == (1, 4)
    assert errors.images[0].get_array().shape == (4, 4)
    assert "mean = 2.5" in errors.get_title()
    assert len(errors.patches) == 4            # the diagonal: the only meaningful pairs are outlined


def test_bce_curves_have_loss_and_gradient_for_both_labels():
    fig = lesson.plot_bce_curves()
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert [line.get_label()[:5] for line in ax.get_lines()] == ["y = 1", "y = 0"]
    loss_y1 = fig.axes[0].get_lines()[0]
    p, loss = loss_y1.get_data()
    np.testing.assert_allclose(loss, -np.log(p), rtol=1e-5)
    p, slope = fig.axes[1].get_lines()[1].get_data()   # y = 0: dL/dp = 1 / (1 - p)
    np.testing.assert_allclose(slope, 1 / (1 - p), rtol=1e-4)


def test_mse_vs_cross_entropy_gradients():
    fig = lesson.plot_mse_vs_cross_entropy(y=1.0)
    assert len(fig.axes) == 2
    lines = {line.get_label(): line for line in fig.axes[1].get_lines()}
    assert set(lines) == {"cross-entropy", "MSE"}
    z, ce_grad = lines["cross-entropy"].get_data()
    np.testing.assert_allclose(ce_grad, 1 / (1 + np.exp(-z)) - 1, atol=1e-6)   # sigmoid(z) - y
    _, mse_grad = lines["MSE"].get_data()
    assert abs(mse_grad[0]) < 0.01 < abs(ce_grad[0])   # z = -8: MSE has stopped pulling


def test_class_probabilities_one_panel_per_sample():
    z = torch.tensor([[4., 3., 2., 1.], [3., 1., 4., 5.]])
    fig = lesson.plot_class_probabilities(torch.softmax(z, dim=1), torch.tensor([0, 2]))
    assert len(fig.axes) == 2
    assert [len(ax.patches) for ax in fig.axes] == [4, 4]
    assert "0.4402" in fig.axes[0].get_title() and "1.4197" in fig.axes[1].get_title()


def test_loss_and_gradient_keeps_non_finite_values():
    loss, grad = lesson.loss_and_gradient(lambda x: torch.log(x), [0.0, 1.0])
    assert loss[0] == -np.inf and loss[1] == 0 and grad[0] == np.inf


# ---- explorer ------------------------------------------------------------------------------------


@pytest.fixture
def explorer():
    explorer = lesson.LogitLossExplorer()
    yield explorer
    explorer.close()


def _drive(explorer, name, value):
    before = bytes(explorer.image.value)
    explorer.controls[name].value = value
    assert explorer.last_error is None
    return before != bytes(explorer.image.value)


@pytest.mark.parametrize("label", [1.0, 0.0])
def test_logit_slider_over_its_full_range(explorer, label):
    explorer.controls["y"].value = label
    slider = explorer.controls["z"]
    for value in [slider.min, -88.8, -40.0, -30.0, -5.0, 0.0, 2.5, 16.7, 30.0, 100.0, slider.max]:
        assert _drive(explorer, "z", value), f"picture unchanged at z = {value}"
        assert f"z = {value:+.1f}" in explorer.readout.value


def test_label_toggle_changes_the_picture(explorer):
    for label in (0.0, 1.0, 0.0):
        assert _drive(explorer, "y", label)


def test_inf_and_nan_are_reported_not_raised(explorer):
    explorer.controls["y"].value = 0.0
    explorer.controls["z"].value = 20.0          # sigmoid(20) == 1.0 exactly
    assert explorer.last_error is None
    note = explorer.note.value
    assert "loss inf" in note and "gradient nan" in note
    assert "clamps log at -100" in note and "vanished" in note
    explorer.controls["y"].value = 1.0            # a perfect prediction: 0 * log 0
    assert "loss nan" in explorer.note.value
    assert "nan" in explorer.readout.value


def test_vanishing_gradient_and_saturated_mse_are_noted(explorer):
    explorer.controls["z"].value = -31.0
    assert "gradient vanished" in explorer.note.value
    assert "MSE saturated" in explorer.note.value
    explorer.controls["z"].value = 0.5
    assert explorer.note.value == ""              # nothing noteworthy near the decision boundary


def test_clamp_at_minus_100_for_label_one(explorer):
    explorer.controls["z"].value = -110.0
    assert "loss 100 instead of 110" in explorer.note.value


def test_view_widens_with_the_slider(explorer):
    explorer.controls["z"].value = 5.0
    small = explorer._shown
    explorer.controls["z"].value = 60.0
    assert small == (1.0, 10.0) and explorer._shown == (1.0, 120.0)


@pytest.mark.parametrize("moves", [[("z", 2.0)], [("y", 0.0), ("z", -30.0)], [("z", 20.0), ("y", 0.0)],
                                   [("z", -110.0)], [("z", 100.0), ("y", 0.0), ("z", 3.0)]])
def test_fast_frames_equal_a_full_redraw(explorer, moves):
    for name, value in moves:      # label flips and view changes: the background must follow
        explorer.controls[name].value = value
    assert explorer.last_error is None
    assert mismatch_with_full_redraw(explorer) < 0.001  # antialiasing may differ on a few pixels


def test_markers_hide_for_non_finite_values(explorer):
    explorer.controls["y"].value = 0.0
    explorer.controls["z"].value = 20.0
    hand = "by hand: -[y log ŷ + (1-y) log(1-ŷ)]"
    assert len(explorer.dots[(hand, 0)].get_xdata()) == 0
    assert len(explorer.dots[("BCEWithLogitsLoss(z, y)", 0)].get_xdata()) == 1


# ---- exercises ------------------------------------------------------------------------------------
# Every realistic wrong answer and unusual right answer lives in tests/mistakes/losses.py (run by
# tests/test_mistakes.py); here: the solutions, the starters, the references, and lesson-5 regressions.

import math  # noqa: E402

EXERCISES = [lesson.weighted_bce, lesson.cross_entropy_lse, lesson.soft_ce_gradient, lesson.predict_padding_loss]


def _starter(*args):
    raise NotImplementedError


def _solution(exercise):
    namespace = {"torch": torch, "F": F, "math": math}
    code = exercise.solution_text.split("# the same as")[0]
    if exercise.function:
        exec(code, namespace)
        name = next(k for k, v in namespace.items() if callable(v) and k not in ("torch", "F", "math"))
        return namespace[name]
    exec(code.split("answer =", 1)[1].join(["answer =", ""]), namespace)
    return namespace["answer"]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.title)
def test_the_solution_is_correct_and_stays_correct(exercise):
    answer = _solution(exercise)
    assert exercise.check(answer).correct, exercise.check(answer)
    assert exercise.check(answer).correct   # a second check of the same answer: still correct


@pytest.mark.parametrize("exercise", EXERCISES[:3], ids=lambda e: e.title)
def test_the_starter_is_not_attempted(exercise):
    assert exercise.check(_starter).status is Status.NOT_ATTEMPTED


def test_the_predict_starter_is_not_attempted():
    assert lesson.predict_padding_loss.check(...).status is Status.NOT_ATTEMPTED


def test_the_weighted_bce_reference_is_the_library_call():
    for p, y, w in lesson.weighted_bce._cases():
        assert torch.allclose(lesson.weighted_bce.reference(p, y, w), F.binary_cross_entropy(p, y, weight=w))


def test_the_soft_gradient_reference_is_what_autograd_computes():
    for z, q in lesson.soft_ce_gradient._cases():
        leaf = z.clone().requires_grad_()
        F.cross_entropy(leaf, q).backward()
        assert torch.allclose(leaf.grad, lesson.soft_ce_gradient.reference(z, q), atol=1e-7)


def test_the_predicted_values_are_what_pytorch_prints():
    namespace = {"torch": torch, "F": F}
    exec(lesson.PREDICT_PADDING, namespace)
    expected = lesson.predict_padding_loss.reference(*lesson.predict_padding_loss._cases()[0])
    assert torch.allclose(torch.stack([namespace["mean"], namespace["total"]]), expected)
    assert expected.tolist() == pytest.approx([math.log(4), 3 * math.log(4)], rel=1e-6)


def test_the_cases_cover_square_and_non_square_batches_and_extreme_logits():
    for exercise in (lesson.cross_entropy_lse, lesson.soft_ce_gradient):
        shapes = [case[0].shape for case in exercise._cases()]
        assert any(n == c for n, c in shapes) and any(n != c for n, c in shapes)
        assert any(case[0].abs().max() > 100 for case in exercise._cases())


# ---- regressions for the failure classes of issue 16 that concern lesson 5 -----------------------

def test_a_docstring_naming_the_library_is_not_a_call():
    def weighted_bce(p, y, w):
        """Like F.binary_cross_entropy / nn.BCELoss, written out."""
        return (w * -(y * torch.log(p) + (1 - y) * torch.log(1 - p))).mean()

    def cross_entropy_lse(logits, target):
        # not F.cross_entropy, not torch.softmax, not log_softmax
        return (torch.logsumexp(logits, 1) - logits[torch.arange(len(target)), target]).mean()

    assert lesson.weighted_bce.check(weighted_bce).correct
    assert lesson.cross_entropy_lse.check(cross_entropy_lse).correct


def test_forbidden_calls_are_caught_under_any_alias():
    import torch.nn as nn
    from torch.nn.functional import log_softmax as lsm

    result = lesson.cross_entropy_lse.check(lambda z, t: -lsm(z, dim=1)[torch.arange(len(t)), t].mean())
    assert not result.correct and "softmax" in result.message
    result = lesson.cross_entropy_lse.check(lambda z, t: nn.CrossEntropyLoss()(z, t))
    assert not result.correct and "cross-entropy" in result.message
    result = lesson.weighted_bce.check(lambda p, y, w: nn.BCELoss(weight=w)(p, y))
    assert not result.correct and "loss" in result.message


def test_autograd_is_not_accepted_where_the_text_forbids_it():
    def soft_ce_gradient(z, q):
        z = z.detach().clone().requires_grad_()
        F.cross_entropy(z, q).backward()
        return z.grad

    result = lesson.soft_ce_gradient.check(soft_ce_gradient)
    assert not result.correct and "autograd" in result.message


def test_one_hot_without_num_classes_is_told_about_num_classes_not_told_to_use_one_hot():
    def cross_entropy_lse(logits, target):
        log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        return -(F.one_hot(target) * log_probs).sum(dim=1).mean()

    result = lesson.cross_entropy_lse.check(cross_entropy_lse)
    assert not result.correct
    assert "num_classes" in result.message
    assert "use `F.one_hot`" not in result.message


@pytest.mark.parametrize("answer, cause", [
    (lambda z, t: F.nll_loss(z, t), "nll_loss"),
    (lambda z, t: (z[torch.arange(len(t)), t] - torch.logsumexp(z, 1)).mean(), "minus"),
    (lambda z, t: (torch.logsumexp(z, 1) - z[torch.arange(len(t)), t]).sum(), "mean"),
    (lambda z, t: (torch.log(z.sum(1)) - z[torch.arange(len(t)), t]).mean(), "exp"),
])
def test_named_lesson5_mistakes(answer, cause):
    result = lesson.cross_entropy_lse.check(answer)
    assert not result.correct and cause in (result.mistake or "") + result.message


@pytest.mark.parametrize("answer, cause", [
    (lambda z, q: torch.softmax(z, dim=1) - q, "1/N"),
    (lambda z, q: (torch.exp(z) / torch.exp(z).amax(1, keepdim=True) - q) / len(z), "max"),
])
def test_named_gradient_mistakes(answer, cause):
    result = lesson.soft_ce_gradient.check(answer)
    assert not result.correct and cause in (result.mistake or "") + result.message


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.title)
def test_hints_before_the_last_never_contain_the_key_expression(exercise):
    assert exercise.key and all(key in exercise.solution_text for key in exercise.key)
    for hint in exercise.hints[:-1]:
        assert not any(key in hint for key in exercise.key)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.title)
def test_solution_unlocks_after_the_last_hint(exercise):
    exercise._hints_shown = 0
    assert "locked" in exercise.solution().title
    for _ in exercise.hints:
        exercise.hint()
    assert exercise.solution().text.strip()
    exercise._hints_shown = 0


def test_close_frees_the_readout_and_the_figure():
    explorer = lesson.LogitLossExplorer()
    explorer.close()
    assert explorer.readout.comm is None and not explorer.fig.axes
