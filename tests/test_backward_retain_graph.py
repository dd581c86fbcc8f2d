"""Lesson 3 (backward, .grad, retain_graph): plots, the zero_grad explorer and both exercises."""

import itertools

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from lessonkit import backward_retain_graph as lesson
from lessonkit import backward_retain_graph_exercises as exercises
from lessonkit.checks import Status


def _image(explorer):
    """The explorer's published picture, decoded (whatever the encoding: PNG, JPEG, ...)."""
    import io

    import PIL.Image

    data = bytes(explorer.image.value)
    assert data, "no picture published"
    return PIL.Image.open(io.BytesIO(data))

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
    assert _image(explorer).size[0] > 0
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
    full = exercises._full_gradient(*exercises._minibatch_cases()[0])
    text = " ".join(lesson.minibatch_gradient.hints)
    assert f"{full[0].item():.2f}" not in text


def test_an_error_in_a_callback_is_shown_not_lost(explorer, monkeypatch):
    before = bytes(explorer.image.value)

    def broken(*args, **kwargs):
        raise ValueError("a deliberate failure")

    monkeypatch.setattr(lesson, "descend", broken)  # the explorer lives in the entry module
    explorer.controls["lr"].value = 0.2
    assert isinstance(explorer.last_error, ValueError)
    assert "a deliberate failure" in explorer.note.value
    assert "Traceback" in "".join(out.get("text", "") for out in explorer.output.outputs)
    assert bytes(explorer.image.value) == before  # the last good picture stays
    monkeypatch.undo()
    explorer.controls["lr"].value = 0.3
    assert explorer.note.value == "" and bytes(explorer.image.value) != before


def test_explorer_picture_is_opaque_and_not_registered_with_pyplot(explorer):
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []
    image = _image(explorer)
    width, height = explorer.canvas.get_width_height(physical=True)
    assert image.mode == "RGB" and image.size == (width, height)
    assert width / height == pytest.approx(explorer.width / explorer.height, rel=0.01)
    assert explorer.renders == 1


def test_explorer_legend_sits_outside_every_axes(explorer):
    """Issue 17: a contour line ran through the legend. Now it is a figure legend under both plots,
    where neither a contour nor a moving path (clipped to its axes) can reach it."""
    legend = explorer.legend
    assert legend in explorer.fig.legends and explorer.ax_path.get_legend() is None
    renderer = explorer.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    for ax in (explorer.ax_path, explorer.ax_loss):
        assert not box.overlaps(ax.get_window_extent(renderer)), ax.get_title()
    figure_box = explorer.fig.bbox
    assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1 and figure_box.y0 <= box.y0  # not cut off
    assert [t.get_text() for t in legend.get_texts()] == ["plain GD: zero_grad, full batch", "the chosen setting"]


# --------------------------------------------------------------------------------------------------
# Exercise 1: what the check observes about w.grad (issue 16 failure classes)


def test_exercise1_grad_none_after_reset_is_not_called_a_missing_return():
    """Issue 16: a learner whose w.grad is None (forgot backward) was told they forgot `return`."""
    def minibatch_gradient(w, X, Y, batch_size):
        ((X @ w - Y) ** 2).mean().backward()
        w.grad = None
        for start in range(0, len(X), batch_size):
            ((X[start:start + batch_size] @ w - Y[start:start + batch_size]) ** 2).sum() / len(X)
        return w.grad
    result = lesson.minibatch_gradient.check(minibatch_gradient)
    assert result.status is Status.INCORRECT and result.mistake == "no backward after the reset"
    assert "forget" not in result.message and "forgot" not in result.message
    assert "backward()" in result.message


def test_exercise1_a_real_missing_return_is_still_called_one():
    def minibatch_gradient(w, X, Y, batch_size):
        _solution(w, X, Y, batch_size)
    result = lesson.minibatch_gradient.check(minibatch_gradient)
    assert result.status is Status.INCORRECT and "return" in result.message
    assert result.mistake != "no backward after the reset"


def test_exercise1_doing_nothing_is_not_accepted():
    """Experiment 1 leaves the full-batch gradient in w.grad: returning it unchanged has the right value."""
    def minibatch_gradient(w, X, Y, batch_size):
        ((X @ w - Y) ** 2).mean().backward()
        return w.grad
    result = lesson.minibatch_gradient.check(minibatch_gradient)
    assert result.status is Status.INCORRECT
    assert result.mistake == "did not accumulate one backward per mini-batch"


def test_exercise1_autograd_grad_instead_of_accumulating_is_not_accepted():
    def minibatch_gradient(w, X, Y, batch_size):
        ((X @ w - Y) ** 2).mean().backward()
        total = torch.zeros_like(w)
        for start in range(0, len(X), batch_size):
            Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
            total += torch.autograd.grad(((Xb @ w - Yb) ** 2).sum() / len(X), w)[0]
        return total
    result = lesson.minibatch_gradient.check(minibatch_gradient)
    assert result.mistake == "did not accumulate one backward per mini-batch"


def test_exercise1_reset_but_no_backward_gives_zeros_and_says_so():
    def minibatch_gradient(w, X, Y, batch_size):
        ((X @ w - Y) ** 2).mean().backward()
        w.grad.zero_()
        return w.grad
    result = lesson.minibatch_gradient.check(minibatch_gradient)
    assert result.mistake == "no mini-batch gradient reached w.grad"


def test_exercise1_without_experiment_1_is_still_correct():
    def minibatch_gradient(w, X, Y, batch_size):
        for start in range(0, len(X), batch_size):
            Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
            (((Xb @ w - Yb) ** 2).sum() / len(X)).backward()
        return w.grad.clone()
    assert lesson.minibatch_gradient.check(minibatch_gradient).correct


# --------------------------------------------------------------------------------------------------
# Exercise 2 (predict): x.grad after backward calls, retain_graph, a caught error and a new graph


def _sequence_result():
    namespace = {"torch": torch}
    exec(exercises.PREDICT_SEQUENCE, namespace)  # noqa: S102 -- our own text
    return namespace["x"].grad


def test_exercise2_reference_is_what_the_printed_sequence_does(capsys):
    expected = _sequence_result()
    assert "call (3) raised" in capsys.readouterr().out  # the sequence really does raise at call (3)
    assert torch.equal(expected, torch.tensor([7.0, 20.0, 39.0]))
    assert torch.equal(exercises._run_sequence(torch.tensor([1.0, 2.0, 3.0], requires_grad=True)), expected)
    assert lesson.predict_grad.check(expected.clone()).correct


def test_exercise2_only_uses_graphs_whose_derivative_needs_x():
    """The reframing (issue 15): no call's outcome depends on which ops save what. Both graphs have a
    derivative that depends on x, so each must have saved something (and frees it)."""
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for power in (2, 3):
        y = (x**power).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()
    assert exercises.predict_grad.kind == "predict"


@pytest.mark.parametrize("answer", [
    torch.tensor([7.0, 20.0, 39.0]), torch.tensor([7.0, 20.0, 39.0], dtype=torch.float64),
    torch.tensor([7, 20, 39]), [7, 20, 39], [7.0, 20.0, 39.0],
])
def test_exercise2_accepts_the_answer_in_any_numeric_form(answer):
    assert lesson.predict_grad.check(answer).status is Status.CORRECT


def test_exercise2_starter_is_not_attempted():
    assert lesson.predict_grad.check(...).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize("answer, mistake", [
    ([9.0, 24.0, 45.0], "thought call (3) adds"),
    ([3.0, 12.0, 27.0], "thought .grad is overwritten"),
    ([5.0, 16.0, 33.0], "counted y once"),
    ([4.0, 8.0, 12.0], "left out the new graph"),
    ([7.0, 14.0, 21.0], "derivative of x**3"),
    ([5.0, 16.0, 39.0], "derivative of x**3"),
    ([5.0, 20.0, 45.0], "derivative of x**2"),
])
def test_exercise2_names_each_mistake(answer, mistake):
    result = lesson.predict_grad.check(torch.tensor(answer))
    assert result.status is Status.INCORRECT and result.mistake == mistake, result
    for value in ("7", "20", "39"):
        assert f" {value}" not in result.message and f"[{value}" not in result.message


def test_exercise2_hints_are_progressive_and_unlock_the_solution():
    exercise = lesson.predict_grad
    exercise._hints_shown = 0
    assert "locked" in exercise.solution().title
    for number in range(1, len(exercise.hints) + 1):
        assert f"hint {number} of" in exercise.hint().title
    assert "4 * x + 3 * x**2" in exercise.solution().text
    exercise._hints_shown = 0


# --------------------------------------------------------------------------------------------------
# Exercise 3: an evaluation loop that records no graph


def _evaluate_solution(w, batches):
    total, rows = 0.0, 0
    with torch.no_grad():
        for X, Y in batches:
            total += ((X @ w - Y) ** 2).sum().item()
            rows += len(Y)
    return total / rows


def test_exercise3_reference_equals_one_mean_over_all_rows():
    for w, batches in exercises._evaluation_cases():
        X = torch.cat([b[0] for b in batches])
        Y = torch.cat([b[1] for b in batches])
        expected = ((X @ w.detach() - Y) ** 2).mean().item()
        assert exercises._evaluation_loss(w, batches) == pytest.approx(expected, rel=1e-6)
    sizes = [len(b[1]) for _, batches in exercises._evaluation_cases() for b in batches]
    assert len(set(sizes)) > 1  # uneven batches: the mean of batch means differs


def test_exercise3_accepts_the_solution_text():
    namespace = {"torch": torch}
    exec(lesson.evaluate.solution_text, namespace)  # noqa: S102 -- our own text
    assert lesson.evaluate.check(namespace["evaluate"]).correct
    assert lesson.evaluate.check(_evaluate_solution).correct


@pytest.mark.parametrize("context", ["no_grad", "inference_mode", "set_grad_enabled", "detach_w"])
def test_exercise3_accepts_every_way_of_recording_nothing(context):
    def evaluate(w, batches):
        if context == "detach_w":
            w = w.detach()
            return torch.cat([(X @ w - Y) ** 2 for X, Y in batches]).mean()
        # lazily: torch.set_grad_enabled(False) switches recording off as soon as it is *constructed*
        block = {"no_grad": torch.no_grad, "inference_mode": torch.inference_mode,
                 "set_grad_enabled": lambda: torch.set_grad_enabled(False)}[context]
        with block():
            return torch.cat([(X @ w - Y) ** 2 for X, Y in batches]).mean()
    assert lesson.evaluate.check(evaluate).correct


def test_exercise3_a_graph_detached_at_the_end_is_not_accepted():
    def evaluate(w, batches):
        return torch.cat([(X @ w - Y) ** 2 for X, Y in batches]).mean().item()
    result = lesson.evaluate.check(evaluate)
    assert result.status is Status.INCORRECT and result.mistake == "recorded a graph"


def test_exercise3_grad_mode_left_off_is_named_and_undone():
    def evaluate(w, batches):
        torch.set_grad_enabled(False)
        return torch.cat([(X @ w - Y) ** 2 for X, Y in batches]).mean()
    result = lesson.evaluate.check(evaluate)
    assert result.mistake == "left grad mode off"
    assert torch.is_grad_enabled()


def test_exercise3_changing_w_is_named():
    def switch_off(w, batches):
        w.requires_grad_(False)
        return torch.cat([(X @ w - Y) ** 2 for X, Y in batches]).mean()

    def with_backward(w, batches):
        loss = torch.cat([(X @ w - Y) ** 2 for X, Y in batches]).mean()
        loss.backward()
        return loss.item()
    assert lesson.evaluate.check(switch_off).mistake == "changed w.requires_grad"
    assert lesson.evaluate.check(with_backward).status is Status.INCORRECT
    assert lesson.evaluate.check(with_backward).mistake in ("called backward", "no backward")


@pytest.mark.parametrize("body, mistake", [
    ("sum(((X @ w - Y) ** 2).mean() for X, Y in batches) / len(batches)", "averaged the batch means"),
    ("sum(((X @ w - Y) ** 2).mean() for X, Y in batches)", "added the batch means"),
    ("sum(((X @ w - Y) ** 2).sum() for X, Y in batches)", "summed without dividing"),
    ("((batches[-1][0] @ w - batches[-1][1]) ** 2).mean()", "kept only the last batch"),
    ("torch.cat([(X @ w - Y) ** 2 for X, Y in batches]).mean().sqrt()", "took the square root"),
])
def test_exercise3_names_each_mistake(body, mistake):
    namespace = {"torch": torch}
    exec(f"def evaluate(w, batches):\n    with torch.no_grad():\n        return {body}\n", namespace)  # noqa: S102
    result = lesson.evaluate.check(namespace["evaluate"])
    assert result.status is Status.INCORRECT and result.mistake == mistake, result


def test_exercise3_with_no_grad_without_parentheses_gets_a_hint():
    def evaluate(w, batches):
        with torch.no_grad:
            return 0.0
    result = lesson.evaluate.check(evaluate)
    assert result.status is Status.INCORRECT and "torch.no_grad()" in result.message


# --------------------------------------------------------------------------------------------------
# Exercise 4 (predict): a tensor used twice


def test_exercise4_reference_is_what_the_printed_code_does():
    namespace = {"torch": torch}
    exec(exercises.TWO_PATHS, namespace)  # noqa: S102 -- our own text
    assert torch.equal(namespace["x"].grad, torch.tensor([10.0, 18.0, 26.0]))
    assert lesson.predict_two_paths.check([10, 18, 26]).correct
    assert lesson.predict_two_paths.check(torch.tensor([10.0, 18.0, 26.0], dtype=torch.float64)).correct
    assert exercises.predict_two_paths.kind == "predict"


@pytest.mark.parametrize("answer, mistake", [
    ([8.0, 16.0, 24.0], "only the h * h path"),
    ([2.0, 2.0, 2.0], "only the + h path"),
    ([6.0, 10.0, 14.0], "h * h counted as one use"),
    ([5.0, 9.0, 13.0], "forgot dh/dx"),
    ([3.0, 5.0, 7.0], "gradient of y written in x without the chain"),
])
def test_exercise4_names_each_mistake(answer, mistake):
    result = lesson.predict_two_paths.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake, result


# --------------------------------------------------------------------------------------------------
# Pictures of the new sections


def test_graph_of_a_tensor_used_twice_draws_two_arrows_to_one_leaf():
    x = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
    p = (x * x).sum()
    nodes = lesson.graph_nodes(p, {"x": x})
    mul = next(n for n in nodes if n.label == "MulBackward0")
    assert len(mul.inputs) == 2 and mul.inputs[0] == mul.inputs[1]
    fig = lesson.plot_graph(p, {"x": x})
    arrows = [t for t in fig.axes[0].texts if t.get_bbox_patch() is None]
    bends = sorted(a.arrow_patch.get_connectionstyle().rad for a in arrows)
    assert bends == [-0.3, 0.0, 0.3]  # Sum -> Mul straight; Mul -> x twice, bent apart


def test_grad_state_table_reads_each_tensor():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.inference_mode():
        inference = x * 2
    text = lesson.grad_state_table({"tracked": x * 2, "inference": inference, "detached": (x * 2).detach()})
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()[2:]}
    assert rows["tracked"] == ["True", "MulBackward0", "False", "False"]
    assert rows["inference"] == ["False", "None", "True", "True"]
    assert rows["detached"] == ["False", "None", "True", "False"]


def test_exercise1_reset_inside_the_loop_is_named():
    def minibatch_gradient(w, X, Y, batch_size):
        ((X @ w - Y) ** 2).mean().backward()
        for start in range(0, len(X), batch_size):
            w.grad = None
            Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
            (((Xb @ w - Yb) ** 2).sum() / len(X)).backward()
        return w.grad
    assert lesson.minibatch_gradient.check(minibatch_gradient).mistake == "only one mini-batch left in w.grad"


def test_exercise4_chain_factor_on_one_path_only_is_named():
    assert lesson.predict_two_paths.check([9, 17, 25]).mistake == "dh/dx on one path only"


def test_every_exercise_solution_has_its_key_and_predict_questions_are_marked():
    for exercise in (lesson.minibatch_gradient, lesson.predict_grad, lesson.evaluate, lesson.predict_two_paths):
        assert exercise.key and all(k in exercise.solution_text for k in exercise.key)
    assert [e.kind for e in (lesson.predict_grad, lesson.predict_two_paths)] == ["predict", "predict"]


def test_no_hint_before_the_last_contains_a_solution_line():
    for exercise in (lesson.minibatch_gradient, lesson.predict_grad, lesson.evaluate, lesson.predict_two_paths):
        lines = [line.strip() for line in exercise.solution_text.splitlines() if len(line.strip()) > 12]
        for hint in exercise.hints[:-1]:
            assert not any(line in hint for line in lines), (exercise.title, hint)
            assert not any(k in hint for k in exercise.key)


def test_exercise1_returning_w_is_not_called_a_zero_gradient():
    def minibatch_gradient(w, X, Y, batch_size):
        _solution(w, X, Y, batch_size)
        return w
    assert lesson.minibatch_gradient.check(minibatch_gradient).mistake == "returned w"


@pytest.mark.parametrize("batch_loss, mistake", [
    (lambda r, N, size: (r ** 2).sum() / size, "divided by batch_size"),
    (lambda r, N, size: r.abs().sum() / N, "residual not squared"),
    (lambda r, N, size: r.sum() / N, "residual not squared"),
])
def test_exercise1_more_named_mistakes(batch_loss, mistake):
    def minibatch_gradient(w, X, Y, batch_size):
        ((X @ w - Y) ** 2).mean().backward()
        w.grad = None
        for start in range(0, len(X), batch_size):
            Xb, Yb = X[start:start + batch_size], Y[start:start + batch_size]
            batch_loss(Xb @ w - Yb, len(X), batch_size).backward()
        return w.grad
    assert lesson.minibatch_gradient.check(minibatch_gradient).mistake == mistake


@pytest.mark.parametrize("body, mistake", [
    ("sum(((X @ w - Y) ** 2).sum() for X, Y in batches) / len(batches)", "divided by the number of batches"),
    ("torch.cat([(X @ w - Y).abs() for X, Y in batches]).mean()", "absolute error"),
    ("torch.cat([X @ w - Y for X, Y in batches]).mean()", "residual not squared"),
])
def test_exercise3_more_named_mistakes(body, mistake):
    namespace = {"torch": torch}
    exec(f"def evaluate(w, batches):\n    with torch.no_grad():\n        return {body}\n", namespace)  # noqa: S102
    assert lesson.evaluate.check(namespace["evaluate"]).mistake == mistake
