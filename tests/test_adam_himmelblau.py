"""Lesson 6 (Adam on the Himmelblau function): optimisation helpers, plots, the explorer, the exercises."""

import contextlib

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from lessonkit import adam_himmelblau as lesson
from lessonkit.checks import Status
from tests.helpers import mismatch_with_full_redraw


def himmelblau(x):  # the notebook's (reference) version, used by learner code in the exercise tests
    return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2


# --------------------------------------------------------------------------------------------------
# The function, the minima, the optimisation runs


def test_the_four_minima_are_zeros_of_f_with_zero_gradient():
    points = lesson.MINIMA.double().clone().requires_grad_(True)
    f = lesson.himmelblau(points)
    f.sum().backward()
    assert (f < 1e-10).all()
    assert (points.grad.norm(dim=1) < 1e-4).all()
    assert lesson.minimum_names(lesson.MINIMA) == ["A", "B", "C", "D"]


def test_nearest_minimum_marks_non_finite_points():
    points = torch.tensor([[2.9, 2.1], [float("nan"), 0.0], [float("inf"), 1.0], [-3.0, -3.0]])
    assert lesson.nearest_minimum(points).tolist() == [0, -1, -1, 2]
    assert lesson.minimum_names(points) == ["A", "?", "?", "C"]


def test_reference_loop_reproduces_the_reference_first_line():
    final, lines = lesson.run_reference_loop(steps=2001, every=2000)
    assert lines[0] == "step 0: x = [-3.999000072479248, -0.0009999999310821295], f(x) = 146.0"
    assert lines[1].startswith("step 2000: x = [-3.5265")  # the reference printed -3.526559829711914
    assert final.shape == (2,) and not final.requires_grad


def test_batched_rows_follow_exactly_their_single_runs():
    starts = torch.tensor([[-4.0, 0.0], [0.0, 0.0], [5.0, -5.0]])
    final, path = lesson.optimise_batch(starts, steps=300, lr=1e-2, optimizer="adam", record_every=100)
    assert path.shape == (4, 3, 2)
    assert torch.equal(path[-1], final)
    for row, start in enumerate(starts):
        alone = lesson.optimise_batch(start[None], steps=300, lr=1e-2, optimizer="adam")
        assert torch.equal(alone[0], final[row])


@pytest.mark.parametrize("name", ["sgd", "SGD + momentum", "rmsprop", "Adam"])
def test_make_optimizer_knows_the_four_names(name):
    x = torch.zeros(2, requires_grad=True)
    assert isinstance(lesson.make_optimizer(name, [x], 1e-3), torch.optim.Optimizer)


def test_make_optimizer_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="unknown optimizer"):
        lesson.make_optimizer("lbfgs", [torch.zeros(2, requires_grad=True)], 1e-3)


def test_basins_map_labels_every_start_with_one_of_four_minima():
    labels = lesson.basins_map(resolution=24)
    assert labels.shape == (24, 24)
    assert set(labels.unique().tolist()) == {0, 1, 2, 3}
    # row = y, column = x: the bottom-left corner (-6, -6) is in C's basin, the top-right (6, 6) in A's
    assert labels[0, 0].item() == 2 and labels[-1, -1].item() == 0


def test_start_grid_is_row_major_in_y():
    grid = lesson.start_grid(3, limit=1.0)
    assert grid.tolist()[:3] == [[-1.0, -1.0], [0.0, -1.0], [1.0, -1.0]]


# --------------------------------------------------------------------------------------------------
# Plots


def test_plot_himmelblau_has_a_surface_and_a_contour_map():
    fig = lesson.plot_himmelblau()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    surface, contour = fig.axes[1], fig.axes[0]  # the 3-D axes was added after the contour axes
    assert surface.name == "3d" and contour.name == "rectilinear"
    assert len(contour.images) == 1  # the shaded background (log f)
    assert len(contour.collections) == 2  # the contour lines and the four minima
    assert contour.collections[1].get_offsets().shape == (4, 2)
    assert len(surface.collections) == 2  # the surface and the minima on it
    assert contour.get_legend() is not None


def test_plot_paths_draws_one_line_and_one_start_per_path():
    paths = {"first": torch.tensor([[0.0, 0.0], [1.0, 1.0]]), "second": torch.tensor([[1.0, 0.0], [2.0, 1.0]])}
    fig = lesson.plot_paths(paths)
    assert len(fig.axes) == 1
    assert len(fig.axes[0].lines) == 4
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["first", "second"]


def test_plot_paths_of_a_batch_labels_rows_by_start_and_draws_losses():
    batch = torch.tensor([[[-4.0, 0.0], [0.0, 0.0], [1.0, 1.0]], [[-3.9, -0.1], [0.1, 0.1], [1.0, 1.0]]])
    fig = lesson.plot_paths(batch, losses={"start (-4, 0)": [146.0, 100.0], "start (0, 0)": [170.0, 1e-20]})
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 6
    assert len(fig.axes[1].lines) == 2 and fig.axes[1].get_yscale() == "log"
    assert fig.axes[1].lines[1].get_ydata().min() == pytest.approx(1e-14)  # clipped, not lost on a log axis


def test_plot_basins_shows_one_image_per_map_and_the_numbered_starts():
    labels = torch.tensor([[0, 1], [2, -1]])
    fig = lesson.plot_basins({"one": labels, "two": labels}, points=lesson.PREDICTION_STARTS)
    assert len(fig.axes) == 2
    assert all(len(ax.images) == 1 for ax in fig.axes)
    assert len(fig.axes[0].texts) >= len(lesson.PREDICTION_STARTS)
    assert len(fig.axes[1].get_legend().get_texts()) == 5


# --------------------------------------------------------------------------------------------------
# The explorer


@pytest.fixture(scope="module")
def cache():
    return lesson.precompute_explorer(progress=False)


@pytest.fixture
def explorer(cache):
    explorer = lesson.HimmelblauExplorer(cache)
    yield explorer
    explorer.close()


def test_precompute_covers_every_setting(cache):
    frames = cache.frames
    assert frames.shape == (len(lesson.FRAME_STEPS), 4, len(lesson.EXPLORER_LRS), 121, 2)
    assert set(lesson.EXPLORER_STEPS) <= set(lesson.FRAME_STEPS.tolist())
    assert lesson.precompute_explorer(progress=False) is cache  # computed once, then kept


@pytest.mark.parametrize("optimizer", lesson.OPTIMIZER_NAMES)
def test_precomputed_runs_match_torch_optim(cache, optimizer):
    o = lesson.OPTIMIZER_NAMES.index(optimizer)
    l_index = lesson.EXPLORER_LRS.index(10.0 ** -3)
    start = lesson.EXPLORER_STARTS.index(0.0) * 11 + lesson.EXPLORER_STARTS.index(-4.0)  # (-4, 0)
    _, path = lesson.optimise_batch(torch.tensor([[-4.0, 0.0]]), 200, 1e-3, optimizer, record_every=1)
    np.testing.assert_allclose(cache.frames[:200, o, l_index, start], path[:200, 0].numpy(), atol=1e-4)


def test_explorer_starts_at_the_reference_setting(explorer):
    assert explorer.values == {"lr": pytest.approx(1e-3), "x0": -4, "y0": 0, "optimizer": "Adam", "steps": 20000}
    assert explorer.note.value == ""  # the reference run converges: nothing to warn about
    assert explorer.last_error is None
    path = explorer.path_line.get_xydata()
    np.testing.assert_allclose(path[-1], [-3.779310, -3.283186], atol=1e-3)


def _drive(explorer, name, values):
    """Set a control to each value; every move must publish a new PNG and raise nothing."""
    for value in values:
        before = bytes(explorer.image.value)
        explorer.controls[name].value = value
        assert explorer.last_error is None, f"{name}={value}: {explorer.last_error!r}"
        assert bytes(explorer.image.value) != before, f"{name}={value} did not change the picture"
        assert len(explorer.path_line.get_xdata()) >= 1  # never an empty plot


def test_learning_rate_over_its_full_range(explorer):
    explorer.controls["lr"].value = 10.0 ** -0.5
    _drive(explorer, "lr", [10.0 ** (-4 + 0.5 * k) for k in range(9)])


def test_start_over_its_full_range(explorer):
    _drive(explorer, "x0", [-5, -3, 0, 2, 5])
    _drive(explorer, "y0", [-5, -2, 1, 3, 5])


def test_optimizer_and_steps_over_their_full_range(explorer):
    _drive(explorer, "optimizer", ["SGD", "SGD + momentum", "RMSprop", "Adam"])
    explorer.controls["steps"].value = 5000
    _drive(explorer, "steps", lesson.EXPLORER_STEPS)


@pytest.mark.parametrize("optimizer", ["SGD", "SGD + momentum"])
def test_divergence_shows_a_note_and_the_path_up_to_it(explorer, optimizer):
    explorer.controls["optimizer"].value = optimizer
    explorer.controls["lr"].value = 1.0  # overflows to inf/NaN within a few steps
    assert explorer.last_error is None
    assert "diverged" in explorer.note.value
    path = explorer.path_line.get_xydata()
    assert len(path) >= 1 and np.isfinite(path).all()
    assert "diverged" in explorer.loss_title.get_text()


def test_a_run_that_never_settles_is_noted(explorer):
    explorer.controls["optimizer"].value = "RMSprop"
    explorer.controls["lr"].value = 10.0 ** -0.5  # RMSprop keeps bouncing with steps of ~lr
    assert explorer.last_error is None
    assert "has not reached a minimum" in explorer.note.value
    assert "smaller learning rate" in explorer.note.value


@pytest.mark.parametrize("settings", [{}, {"optimizer": "SGD", "lr": 1.0}, {"steps": 10, "x0": 3, "y0": -5}])
def test_fast_frame_equals_a_full_redraw(explorer, settings):
    """Only the path, the loss curves and the titles are redrawn per frame; the rest is the background."""
    for name, value in settings.items():
        explorer.controls[name].value = value
    assert mismatch_with_full_redraw(explorer) < 0.001  # antialiasing may differ on a few pixels


def test_too_few_steps_is_noted(explorer):
    explorer.controls["steps"].value = 10
    assert "has not reached a minimum" in explorer.note.value
    assert "more steps" in explorer.note.value
    explorer.controls["steps"].value = 20000
    assert explorer.note.value == ""


# --------------------------------------------------------------------------------------------------
# Exercise 1: the training loop


def _solution():
    namespace = {"torch": torch, "himmelblau": himmelblau}
    exec(lesson.training_loop.solution_text, namespace)  # noqa: S102 -- our own solution text, run as a learner would
    return namespace["minimise"]


def test_loop_starter_is_not_attempted():
    def minimise(start, lr, steps):
        raise NotImplementedError

    assert lesson.training_loop.check(minimise).status is Status.NOT_ATTEMPTED


def test_loop_solution_is_correct_and_stays_correct():
    solution = _solution()
    first = lesson.training_loop.check(solution)
    assert first.status is Status.CORRECT, first
    assert lesson.training_loop.check(solution).status is Status.CORRECT


def test_loop_zero_grad_after_step_is_also_correct():
    def minimise(start, lr, steps):
        x = torch.tensor(start, requires_grad=True)
        optimizer = torch.optim.Adam([x], lr=lr)
        for _ in range(steps):
            himmelblau(x).backward()
            optimizer.step()
            optimizer.zero_grad()
        return x

    assert lesson.training_loop.check(minimise).status is Status.CORRECT


def _loop(order):
    def minimise(start, lr, steps):
        x = torch.tensor(start, requires_grad=True)
        optimizer = torch.optim.Adam([x], lr=lr)
        for _ in range(steps):
            f = himmelblau(x)
            for call in order:
                {"zero": optimizer.zero_grad, "backward": f.backward, "step": optimizer.step}[call]()
        return x

    return minimise


@pytest.mark.parametrize("order, mistake", [
    (("backward", "step"), "no zero_grad (gradient accumulation)"),
    (("backward", "zero", "step"), "zero_grad after backward"),
    (("zero", "backward"), "no optimizer.step()"),
])
def test_loop_mistakes_are_named(order, mistake):
    result = lesson.training_loop.check(_loop(order))
    assert result.status is Status.INCORRECT
    assert result.mistake == mistake


def test_loop_passing_x_instead_of_a_list_is_translated():
    def minimise(start, lr, steps):
        x = torch.tensor(start, requires_grad=True)
        optimizer = torch.optim.Adam(x, lr=lr)
        for _ in range(steps):
            f = himmelblau(x)
            optimizer.zero_grad()
            f.backward()
            optimizer.step()
        return x

    result = lesson.training_loop.check(minimise)
    assert result.mistake == "passed x instead of [x]"
    assert "iterable" in result.message


@pytest.mark.parametrize("in_place", [True, False])
def test_loop_manual_update_outside_no_grad_is_named(in_place):
    def minimise(start, lr, steps):
        x = torch.tensor(start, requires_grad=True)
        for _ in range(steps):
            f = himmelblau(x)
            f.backward()
            if in_place:
                x -= lr * x.grad
            else:
                x = x - lr * x.grad
        return x

    with pytest.warns(UserWarning) if not in_place else contextlib.nullcontext():
        result = lesson.training_loop.check(minimise)
    assert result.mistake == "manual update outside no_grad"
    assert "no_grad" in result.message


def test_loop_returning_the_loss_or_a_list_is_explained():
    def returns_loss(start, lr, steps):
        x = torch.tensor(start, requires_grad=True)
        return himmelblau(x)

    result = lesson.training_loop.check(returns_loss)
    assert result.status is Status.INCORRECT and "loss" in result.message

    def returns_list(start, lr, steps):
        return list(start)

    assert "tensor" in lesson.training_loop.check(returns_list).message


def test_loop_hints_then_solution():
    exercise = lesson.training_loop
    exercise._hints_shown = 0
    assert "locked" in exercise.solution().title
    for _ in exercise.hints:
        exercise.hint()
    assert "optimizer.zero_grad()" in exercise.solution().text


# --------------------------------------------------------------------------------------------------
# Exercise 2: predict the minimum


def _truth():
    final = lesson.optimise_batch(torch.tensor(lesson.PREDICTION_STARTS), steps=2000, lr=1e-2, optimizer="adam")
    return lesson.minimum_names(final)


def test_prediction_starter_is_not_attempted():
    assert lesson.predict_minimum.check(...).status is Status.NOT_ATTEMPTED


def test_prediction_correct_and_stays_correct():
    truth = _truth()
    assert lesson.predict_minimum.check(truth).status is Status.CORRECT
    assert lesson.predict_minimum.check([t.lower() for t in truth]).status is Status.CORRECT
    assert lesson.predict_minimum.check(truth).status is Status.CORRECT


def test_prediction_starts_are_robust_and_discriminating():
    """The truth, the nearest-minimum guess and the gradient-descent map all differ, and the truth does
    not change under small moves of the starts or with the reference settings (lr 1e-3, 20,000 steps)."""
    truth = _truth()
    nearest = lesson.minimum_names(torch.tensor(lesson.PREDICTION_STARTS))
    gd = lesson.minimum_names(lesson.optimise_batch(torch.tensor(lesson.PREDICTION_STARTS), 2000, 1e-3, "sgd"))
    assert len({tuple(truth), tuple(nearest), tuple(gd)}) == 3
    nudged = torch.tensor(lesson.PREDICTION_STARTS) + torch.tensor([0.1, -0.1])
    assert lesson.minimum_names(lesson.optimise_batch(nudged, 2000, 1e-2, "adam")) == truth


def test_prediction_nearest_minimum_is_named():
    nearest = lesson.minimum_names(torch.tensor(lesson.PREDICTION_STARTS))
    result = lesson.predict_minimum.check(nearest)
    assert result.mistake == "nearest minimum"


def test_prediction_from_the_gradient_descent_map_is_named():
    gd = lesson.minimum_names(lesson.optimise_batch(torch.tensor(lesson.PREDICTION_STARTS), 2000, 1e-3, "sgd"))
    result = lesson.predict_minimum.check(gd)
    assert result.mistake == "read the gradient-descent map"


@pytest.mark.parametrize("bad", [["A", "B"], ["A", "B", "E"], [0, 1, 2], (3.0, 2.0)])
def test_prediction_format_errors_are_named(bad):
    result = lesson.predict_minimum.check(bad)
    assert result.status is Status.INCORRECT and result.mistake == "wrong format"


def test_prediction_partly_wrong_points_to_the_map_without_the_answer():
    truth = _truth()
    wrong = list(truth)
    wrong[0] = next(n for n in lesson.MINIMUM_NAMES if n != truth[0] and n != "D")
    result = lesson.predict_minimum.check(wrong)
    assert result.status is Status.INCORRECT and result.mistake is None
    assert "start 1" in result.message and "basins map" in result.message
    assert f"'{truth[0]}'" not in result.message
