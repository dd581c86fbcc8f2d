"""Lesson 3 (backward, .grad, retain_graph): plots, the zero_grad explorer and both exercises."""

import itertools

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from lessonkit import backward_retain_graph as lesson
from lessonkit.checks import Status

# --------------------------------------------------------------------------------------------------
# The graph picture


def _dot_graph():
    x = torch.tensor([0, 1.0, 2.0], requires_grad=True)
    w = torch.tensor([2, 1, 3.0], requires_grad=True)
    return x, w, x @ w


def _boxes(fig):
    return [t.get_text() for t in fig.axes[0].texts if t.get_bbox_patch() is not None]


def test_graph_of_a_dot_product_shows_saved_tensors_kept_then_freed():
    x, w, y = _dot_graph()
    before = lesson.plot_graph(y, {"x": x, "w": w}, title="before")
    assert isinstance(before, Figure) and len(before.axes) == 1
    boxes = _boxes(before)
    assert len(boxes) == 3
    assert any("DotBackward0" in b and "kept" in b for b in boxes)
    assert any("x.grad" in b for b in boxes) and any("w.grad" in b for b in boxes)
    arrows = [t for t in before.axes[0].texts if t.get_bbox_patch() is None]
    assert len(arrows) == 2  # Dot -> x.grad, Dot -> w.grad
    y.backward()
    after = _boxes(lesson.plot_graph(y, {"x": x, "w": w}))
    assert any("DotBackward0" in b and "FREED" in b for b in after)
    before.savefig(__import__("io").BytesIO())  # arrows anchored to boxes render without error


def test_graph_that_saves_nothing_and_a_tensor_without_graph():
    x = torch.tensor([0, 1.0, 2.0], requires_grad=True)
    s = (x + 1).sum()
    nodes = lesson.graph_nodes(s, {"x": x})
    assert [n.label for n in nodes] == ["SumBackward0", "AddBackward0", "x.grad"]
    assert all(n.saved == [] for n in nodes)
    assert any("saves no tensors" in b for b in _boxes(lesson.plot_graph(s, {"x": x})))
    empty = lesson.plot_graph(torch.ones(3))
    assert "no graph" in empty.axes[0].texts[0].get_text()


def test_saved_tensors_are_reported_freed_after_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    q = (x * x).sum()
    mul = q.grad_fn.next_functions[0][0]
    assert lesson.saved_tensors(mul) and all(kept for _, kept in lesson.saved_tensors(mul))
    q.backward()
    assert not any(kept for _, kept in lesson.saved_tensors(mul))


# --------------------------------------------------------------------------------------------------
# The .grad history picture


def test_grad_history_draws_one_line_per_component_and_target_lines():
    history = [torch.tensor([2.0, 1, 3]), torch.tensor([4.0, 2, 6]), None, torch.tensor([2.0, 1, 3])]
    fig = lesson.plot_grad_history(history, ["a", "b", "c", "d"])
    ax = fig.axes[0]
    assert len(fig.axes) == 1 and len(ax.lines) == 3
    assert np.isnan(ax.lines[0].get_ydata()[2])  # None is a gap
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    fig = lesson.plot_grad_history(history, target=torch.tensor([1.0, 2, 3]), target_label="full")
    ax = fig.axes[0]
    assert len(ax.lines) == 3 + 3 + 1  # components, dashed targets, legend proxy
    assert any("full" in t.get_text() for t in ax.get_legend().get_texts())


# --------------------------------------------------------------------------------------------------
# The explorer's fast gradient descent equals autograd's


def _autograd_descent(lr, steps, batches, zero_every_step, mean_per_batch):
    x, y = torch.from_numpy(lesson.DATA_X), torch.from_numpy(lesson.DATA_Y)
    theta = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.SGD([theta], lr=lr)
    bounds = np.linspace(0, len(x), batches + 1).round().astype(int)
    path = [theta.detach().clone()]
    for _ in range(steps):
        if zero_every_step:
            optimizer.zero_grad()
        for a, b in itertools.pairwise(bounds):
            squared = (theta[0] * x[a:b] + theta[1] - y[a:b]) ** 2
            loss = squared.mean() if mean_per_batch else squared.sum() / len(x)
            loss.backward()
        optimizer.step()
        path.append(theta.detach().clone())
    return torch.stack(path).numpy()


@pytest.mark.parametrize("lr, batches, zero_every_step, mean_per_batch", [
    (0.1, 1, True, False), (0.1, 3, True, False), (0.05, 4, True, True), (0.02, 2, False, False),
])
def test_descend_matches_an_autograd_training_loop(lr, batches, zero_every_step, mean_per_batch):
    path, losses, _, _ = lesson.descend(lr, 30, batches, zero_every_step, mean_per_batch)
    expected = _autograd_descent(lr, 30, batches, zero_every_step, mean_per_batch)
    np.testing.assert_allclose(path, expected, rtol=1e-4, atol=1e-5)
    assert losses[0] == pytest.approx(lesson.mse(np.zeros(2)))


def test_summed_mini_batches_follow_the_full_batch_path():
    full, _, _, _ = lesson.descend(0.1, 50)
    split, _, _, _ = lesson.descend(0.1, 50, batches=4)
    np.testing.assert_allclose(split, full, rtol=1e-5, atol=1e-5)


def test_descend_reports_divergence_as_nan_not_an_error():
    path, losses, _, _ = lesson.descend(10 ** 0.5, lesson.MAX_STEPS)
    assert np.isnan(path[-1]).all() and np.isnan(losses[-1])
    assert np.isfinite(path[0]).all()


# --------------------------------------------------------------------------------------------------
# The explorer, driven headless


@pytest.fixture
def explorer():
    e = lesson.ZeroGradExplorer()
    yield e
    e.close()


def _set(explorer, name, value):
    before = bytes(explorer.image.value)
    explorer.controls[name].value = value
    assert explorer.last_error is None, explorer.last_error
    return bytes(explorer.image.value) != before


def test_explorer_starts_with_a_picture_and_no_note(explorer):
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert explorer.note.value == ""
    assert len(explorer.fig.axes) == 2


@pytest.mark.parametrize("name, values", [
    ("lr", [10 ** -3, 10 ** -2, 0.05, 0.3, 1.0, 10 ** 0.5, 0.1]),
    ("steps", [1, 2, 10, 50, 100, 40]),
    ("batches", [2, 3, 4, 1]),
    ("zeroing", [lesson.NEVER_ZERO, lesson.ZERO_EVERY_STEP]),
])
def test_every_control_over_its_range_changes_the_picture(explorer, name, values):
    control = explorer.controls[name]
    if hasattr(control, "min"):  # the spread covers the whole range (a log slider's range is exponents)
        low, high = (10 ** control.min, 10 ** control.max) if name == "lr" else (control.min, control.max)
        assert min(values) == pytest.approx(low) and max(values) == pytest.approx(high)
    for value in values:
        assert _set(explorer, name, value), f"{name}={value} did not change the picture"


def test_batch_loss_control_changes_the_picture_with_several_batches(explorer):
    explorer.controls["batches"].value = 3
    assert _set(explorer, "batch_loss", lesson.MEAN_PER_BATCH)
    assert "Mean per mini-batch" in explorer.note.value and "3\u00d7" in explorer.note.value
    assert _set(explorer, "batch_loss", lesson.SUM_OVER_N)
    assert explorer.note.value == ""


def test_never_zeroed_says_so(explorer):
    explorer.controls["zeroing"].value = lesson.NEVER_ZERO
    assert "Never zeroed" in explorer.note.value and "circles the minimum" in explorer.note.value


def test_large_learning_rate_notes_growth_then_overflow(explorer):
    explorer.controls["steps"].value = 10
    explorer.controls["lr"].value = 10 ** explorer.controls["lr"].max
    assert "loss grew" in explorer.note.value
    explorer.controls["steps"].value = explorer.controls["steps"].max
    assert "Diverged" in explorer.note.value and "inf/NaN" in explorer.note.value
    assert explorer.last_error is None
    explorer.controls["zeroing"].value = lesson.NEVER_ZERO  # NaN in both modes: still a picture
    assert explorer.last_error is None and "Diverged" in explorer.note.value


def test_every_control_at_its_extremes_together(explorer):
    for lr in (explorer.controls["lr"].min, explorer.controls["lr"].max):
        for steps in (1, lesson.MAX_STEPS):
            for batches in (1, 4):
                for zeroing in (lesson.ZERO_EVERY_STEP, lesson.NEVER_ZERO):
                    explorer.controls["lr"].value = 10 ** lr
                    explorer.controls["steps"].value = steps
                    explorer.controls["batches"].value = batches
                    explorer.controls["zeroing"].value = zeroing
                    assert explorer.last_error is None



@pytest.mark.parametrize("setting", [
    {}, {"zeroing": lesson.NEVER_ZERO}, {"batches": 3, "batch_loss": lesson.MEAN_PER_BATCH},
    {"lr": 10 ** 0.5, "steps": lesson.MAX_STEPS},
])
def test_fast_frame_equals_a_full_redraw(explorer, setting):
    from tests.helpers import mismatch_with_full_redraw

    for name, value in setting.items():
        explorer.controls[name].value = value
    assert explorer.last_error is None
    assert mismatch_with_full_redraw(explorer) < 0.001  # antialiasing may differ on a few pixels

# --------------------------------------------------------------------------------------------------
# Exercise 1: mini-batch gradients


def _solution(w, X, Y, batch_size):
    full_loss = ((X @ w - Y) ** 2).mean()
    full_loss.backward()
    w.grad = None
    N = len(X)
    for start in range(0, N, batch_size):
        Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
        ((Xb @ w - Yb) ** 2).sum().div(N).backward()
    return w.grad


def _learner(reset=True, batch_loss=lambda squared, N, count: squared.sum() / N, drop_last=False):
    def minibatch_gradient(w, X, Y, batch_size):
        ((X @ w - Y) ** 2).mean().backward()
        if reset:
            w.grad.zero_()
        N, count = len(X), -(-len(X) // batch_size)
        stop = N - N % batch_size if drop_last else N
        for start in range(0, stop, batch_size):
            Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
            batch_loss((Xb @ w - Yb) ** 2, N, count).backward()
        return w.grad
    return minibatch_gradient


def test_exercise1_accepts_the_solution_and_stays_correct():
    assert lesson.minibatch_gradient.check(_solution).status is Status.CORRECT
    assert lesson.minibatch_gradient.check(_learner()).status is Status.CORRECT  # zero_() works too
    assert lesson.minibatch_gradient.check(_solution).status is Status.CORRECT


def test_exercise1_solution_text_is_correct():
    namespace = {"torch": torch}
    exec(lesson.minibatch_gradient.solution_text, namespace)  # noqa: S102 -- our own text
    assert lesson.minibatch_gradient.check(namespace["minibatch_gradient"]).correct


def test_exercise1_starter_is_not_attempted():
    def minibatch_gradient(w, X, Y, batch_size):
        ((X @ w - Y) ** 2).mean().backward()
        raise NotImplementedError
    assert lesson.minibatch_gradient.check(minibatch_gradient).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize("learner, mistake", [
    (_learner(reset=False), "forgot to zero between experiments"),
    (_learner(reset=False, batch_loss=lambda sq, N, count: sq.mean()), "forgot to zero between experiments"),
    (_learner(batch_loss=lambda sq, N, count: sq.mean()), "averaged each mini-batch"),
    (_learner(batch_loss=lambda sq, N, count: sq.sum()), "summed without dividing by N"),
    (_learner(batch_loss=lambda sq, N, count: sq.mean() / count), "divided by the number of batches"),
    (_learner(drop_last=True), "dropped the last, smaller batch"),
    (_learner(batch_loss=lambda sq, N, count: sq / N), "called backward on a non-scalar"),
])
def test_exercise1_names_each_mistake(learner, mistake):
    result = lesson.minibatch_gradient.check(learner)
    assert result.status is Status.INCORRECT
    assert result.mistake == mistake, result


def test_exercise1_explains_a_grad_that_is_none():
    def minibatch_gradient(w, X, Y, batch_size):
        ((X @ w - Y) ** 2).mean().backward()
        w.grad = None
        w.grad.zero_()
        return w.grad
    result = lesson.minibatch_gradient.check(minibatch_gradient)
    assert result.mistake == "used .grad while it was None"


def test_exercise1_hints_never_show_the_expected_values():
    full = lesson._full_gradient(*lesson._minibatch_cases()[0])
    text = " ".join(lesson.minibatch_gradient.hints)
    assert f"{full[0].item():.2f}" not in text


# --------------------------------------------------------------------------------------------------
# Exercise 2: predict x.grad


def test_exercise2_reference_is_what_autograd_does():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    namespace = {"torch": torch}
    exec(lesson.PREDICT_SEQUENCE, namespace)  # noqa: S102 -- our own text
    expected = namespace["x"].grad
    assert lesson.predict_grad.check(expected.clone()).correct
    assert torch.equal(lesson._run_sequence(x), expected)


def test_exercise2_accepts_the_answer_and_stays_correct():
    answer = 4 * torch.tensor([1.0, 2.0, 3.0]) + 2
    assert lesson.predict_grad.check(answer).status is Status.CORRECT
    assert lesson.predict_grad.check(answer.double()).status is Status.CORRECT
    assert lesson.predict_grad.check(answer).status is Status.CORRECT


def test_exercise2_starter_is_not_attempted():
    assert lesson.predict_grad.check(...).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize("answer, mistake", [
    ([2.0, 4.0, 6.0], "the single-call gradient"),
    ([1.0, 1.0, 1.0], "only the last call"),
    ([5.0, 9.0, 13.0], "thought call (4) raises"),
    ([4.0, 6.0, 8.0], "thought call (2) raises"),
    ([3.0, 5.0, 7.0], "one call of each"),
])
def test_exercise2_names_each_mistake(answer, mistake):
    result = lesson.predict_grad.check(torch.tensor(answer))
    assert result.status is Status.INCORRECT and result.mistake == mistake, result
    assert "accumulat" in result.message or "add" in result.message


def test_exercise2_other_wrong_answers():
    # only the values are asked for: an integer tensor or a plain list is as good as a float tensor
    assert lesson.predict_grad.check(torch.tensor([6, 10, 14])).correct
    assert lesson.predict_grad.check([6.0, 10.0, 14.0]).correct
    wrong = lesson.predict_grad.check(torch.tensor([0.0, 0.0, 0.0]))
    assert wrong.status is Status.INCORRECT and wrong.mistake is None


def test_exercise2_hints_are_progressive_and_unlock_the_solution():
    exercise = lesson.predict_grad
    exercise._hints_shown = 0
    assert "locked" in exercise.solution().title
    for number in range(1, len(exercise.hints) + 1):
        assert f"hint {number} of" in exercise.hint().title
    assert "4*x + 2" in exercise.solution().text
    exercise._hints_shown = 0


def test_an_error_in_a_callback_is_shown_not_lost(explorer, monkeypatch):
    before = bytes(explorer.image.value)

    def broken(*args, **kwargs):
        raise ValueError("a deliberate failure")

    monkeypatch.setattr(lesson, "descend", broken)
    explorer.controls["lr"].value = 0.2
    assert isinstance(explorer.last_error, ValueError)
    assert "a deliberate failure" in explorer.note.value
    assert "Traceback" in "".join(out.get("text", "") for out in explorer.output.outputs)
    assert bytes(explorer.image.value) == before  # the last good picture stays
    monkeypatch.undo()
    explorer.controls["lr"].value = 0.3
    assert explorer.note.value == "" and bytes(explorer.image.value) != before


def test_explorer_png_is_opaque_and_not_registered_with_pyplot(explorer):
    import io

    import matplotlib.pyplot as plt
    import PIL.Image

    assert plt.get_fignums() == []
    image = PIL.Image.open(io.BytesIO(bytes(explorer.image.value)))
    assert image.mode == "RGB" and image.size == (int(8.4 * 80), int(3.6 * 80))
    assert explorer.renders == 1
