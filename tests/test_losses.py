"""Lesson 5: the loss pictures, the logit explorer and the three exercises."""

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
    hand = "by hand: -[y log p + (1-y) log(1-p)]"
    assert len(explorer.dots[(hand, 0)].get_xdata()) == 0
    assert len(explorer.dots[("BCEWithLogitsLoss(z, y)", 0)].get_xdata()) == 1


# ---- exercise 1: BCE ----------------------------------------------------------------------------

def _starter(*args):
    raise NotImplementedError


def _bce(p, y):
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def test_bce_solution_is_correct_and_stays_correct():
    assert lesson.binary_cross_entropy.check(_bce).correct
    assert lesson.binary_cross_entropy.check(_bce).correct
    assert lesson.binary_cross_entropy.check(lambda p, y: F.binary_cross_entropy(p, y)).correct


@pytest.mark.parametrize("answer, mistake", [
    (lambda p, y: -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).sum(), "sum instead of mean"),
    (lambda p, y: (y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean(), "missing minus sign"),
    (lambda p, y: -(p * torch.log(y) + (1 - p) * torch.log(1 - y)).mean(), "swapped p and y"),
    (lambda p, y: -(y * torch.log(1 - p) + (1 - y) * torch.log(p)).mean(), "swapped the two terms"),
    (lambda p, y: -(y * torch.log2(p) + (1 - y) * torch.log2(1 - p)).mean(), "natural vs base-2 log"),
    (lambda p, y: -(y * torch.log10(p) + (1 - y) * torch.log10(1 - p)).mean(), "natural vs base-2 log"),
])
def test_bce_fingerprints(answer, mistake):
    result = lesson.binary_cross_entropy.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake


def test_bce_math_log_is_explained():
    import math

    result = lesson.binary_cross_entropy.check(lambda p, y: -(y * math.log(p)))
    assert result.mistake == "math.log on a tensor"


def test_bce_starter_is_not_attempted():
    assert lesson.binary_cross_entropy.check(_starter).status is Status.NOT_ATTEMPTED


def test_bce_hints_never_state_the_expected_values():
    cases = lesson._bce_cases()
    expected = {f"{lesson._bce_reference(*case).item():.4f}" for case in cases}
    text = " ".join(lesson.binary_cross_entropy.hints)
    assert not any(value in text for value in expected)


# ---- exercise 2: cross-entropy from logits ------------------------------------------------------

def _ce(logits, target):
    return -torch.log_softmax(logits, dim=1)[torch.arange(len(target)), target].mean()


def _ce_gather(logits, target):
    log_probs = logits - logits.logsumexp(dim=1, keepdim=True)
    return -log_probs.gather(1, target.unsqueeze(1)).mean()


@pytest.mark.parametrize("solution", [_ce, _ce_gather])
def test_ce_solutions_are_correct_and_stay_correct(solution):
    assert lesson.cross_entropy_from_logits.check(solution).correct
    assert lesson.cross_entropy_from_logits.check(solution).correct


def _naive_softmax(logits, target):
    e = torch.exp(logits)
    return -torch.log(e / e.sum(dim=1, keepdim=True))[torch.arange(len(target)), target].mean()


def _one_hot_product(logits, target):
    return -(target * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()


@pytest.mark.parametrize("answer, mistake", [
    (lambda z, t: _ce(torch.softmax(z, dim=1), t), "softmax applied twice"),
    (lambda z, t: -torch.log(torch.softmax(z, dim=1))[torch.arange(len(t)), t].mean(),
     "log(softmax) is unstable"),
    (_naive_softmax, "exp overflows (no max subtraction)"),
    (lambda z, t: -torch.log_softmax(z, dim=1)[:, t].mean(), "one-hot vs index confusion"),
    (_one_hot_product, "one-hot vs index confusion"),
    (lambda z, t: -torch.log_softmax(z, dim=1)[torch.arange(len(t)), t].sum(), "sum instead of mean"),
    (lambda z, t: F.cross_entropy(z, t), "called the library function"),
])
def test_ce_fingerprints(answer, mistake):
    result = lesson.cross_entropy_from_logits.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake


def test_ce_starter_is_not_attempted():
    assert lesson.cross_entropy_from_logits.check(_starter).status is Status.NOT_ATTEMPTED


def test_ce_cases_contain_the_unstable_ones():
    cases = lesson._ce_cases()
    assert any(torch.isinf(-torch.log(torch.softmax(z, 1))[torch.arange(len(t)), t]).any() for z, t in cases)


# ---- exercise 3: the gradient by formula ---------------------------------------------------------

Z = torch.tensor([[4., 3., 2., 1.], [3., 1., 4., 5.]])
T = torch.tensor([0, 2])


def test_gradient_from_autograd_is_correct_and_stays_correct():
    z = Z.clone().requires_grad_(True)
    F.cross_entropy(z, T).backward()
    assert lesson.cross_entropy_gradient.check(z.grad).correct
    formula = (torch.softmax(Z, dim=1) - F.one_hot(T, 4).float()) / 2
    assert lesson.cross_entropy_gradient.check(formula).correct
    assert lesson.cross_entropy_gradient.check(formula).correct


@pytest.mark.parametrize("answer, mistake", [
    (torch.softmax(Z, dim=1) - F.one_hot(T, 4).float(), "forgot the 1/N of the mean"),
    ((F.one_hot(T, 4).float() - torch.softmax(Z, dim=1)) / 2, "sign flipped"),
    (torch.softmax(Z, dim=1) / 2, "forgot the one-hot"),
])
def test_gradient_fingerprints(answer, mistake):
    result = lesson.cross_entropy_gradient.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake


def test_gradient_starter_is_not_attempted():
    assert lesson.cross_entropy_gradient.check(...).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize("exercise", [lesson.binary_cross_entropy, lesson.cross_entropy_from_logits,
                                      lesson.cross_entropy_gradient])
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
