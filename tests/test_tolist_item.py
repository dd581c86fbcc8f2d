"""Lesson 7: the logging experiment and both exercises."""

import itertools
import json
import warnings

import numpy as np
import pytest
import torch

from lessonkit import tolist_item as lesson
from lessonkit.checks import Status


def test_logging_tensors_keeps_graphs_alive_and_floats_do_not():
    steps, kept_tensors, kept_floats = lesson.logging_experiment(steps=60, every=20)
    assert steps == [20, 40, 60]
    assert kept_floats == [0, 0, 0]
    # every logged step adds the same number of nodes (the parameter's AccumulateGrad node is shared)
    growth = [later - earlier for earlier, later in itertools.pairwise(kept_tensors)]
    assert growth[0] > 0 and growth == [growth[0]] * 2


def test_plot_has_both_strategies():
    fig = lesson.plot_logging_experiment(steps=40, every=20)
    (ax,) = fig.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["history.append(loss)", "history.append(loss.item())"]


def test_graph_nodes_counts_a_known_graph():
    x = torch.ones(3, requires_grad=True)
    y = (x * 2).sum()  # SumBackward0 -> MulBackward0 -> AccumulateGrad
    assert lesson.graph_nodes([y]) == 3
    assert lesson.graph_nodes([y.detach(), 1.0]) == 0


# ---- the correction of section 3: what a loop keeps alive ------------------------------------------

def test_meter_counts_what_a_graph_saved_and_sees_it_freed():
    x = torch.ones(1000, requires_grad=True)
    with lesson.SavedTensorMeter() as meter:
        y = (x * x).sum()  # MulBackward0 saves x twice (one storage, 4000 bytes)
    assert meter.count == 2 and meter.nbytes == 4000
    y.backward()
    assert meter.count == 0 and meter.nbytes == 0  # backward frees the saved tensors
    with lesson.SavedTensorMeter(ignore=[x]) as meter:
        y = (x * x).sum()
    assert meter.count == 0  # parameters (ignore=...) are not counted
    with lesson.SavedTensorMeter() as meter:
        y = torch.exp(x).sum()  # ExpBackward0 saves its output
    assert meter.count == 1
    del y  # the meter keeps no strong reference: dropping the graph frees the output
    assert meter.count == 0


def test_memory_experiment_shows_which_loops_keep_saved_tensors():
    curves = lesson.memory_experiment(batches=5)
    per_batch = 661_508 / 2**20  # x (128x256), ReLU output (128x1024), log-softmax output, labels, weight
    leak = curves["evaluate: total += loss"]
    np.testing.assert_allclose(leak, [per_batch * k for k in range(1, 6)])
    assert curves["train: retain_graph=True, history.append(loss)"] == leak
    assert curves["train: backward(), history.append(loss)"] == [0.0] * 5
    np.testing.assert_allclose(curves["evaluate: total += loss.item()"], [per_batch] * 5)
    assert curves["evaluate under torch.no_grad()"] == [0.0] * 5


def test_memory_plot_has_every_loop():
    fig = lesson.plot_memory_experiment(batches=3)
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.get_lines()] == list(lesson.LOOPS)


def test_float_of_a_tensor_that_requires_grad_warns_and_item_does_not():
    q = torch.tensor([1.0, 2.0], requires_grad=True) * 2
    previous = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        for convert, warns in [(lambda: float(q[0]), True), (lambda: q[0].item(), False),
                               (lambda: int(q[0]), False), (lambda: float(q[0].detach()), False)]:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                convert()
            assert bool(caught) == warns
            if warns:
                assert caught[0].category is UserWarning
                assert str(caught[0].message).startswith("Converting a tensor with requires_grad=True to a scalar")
    finally:
        torch.set_warn_always(previous)


def test_numpy_of_a_non_cpu_tensor_names_cpu():
    """The GPU sentence of section 5 quotes this message (the same check, for any non-CPU device)."""
    with pytest.raises(TypeError, match=r"can't convert meta device type tensor to numpy\. "
                                        r"Use Tensor\.cpu\(\) to copy the tensor to host memory first\."):
        torch.empty(2, device="meta").numpy()


# ---- exercise 1: a JSON-ready log record ------------------------------------------------------------

def _starter(*args):
    raise NotImplementedError


@pytest.mark.parametrize("solution", [
    lambda step, loss, w: {"step": step.item(), "loss": loss.item(), "w": w.tolist()},
    lambda step, loss, w: {"w": w.detach().tolist(), "loss": float(loss.detach()), "step": int(step)},
    lambda step, loss, w: {"step": step.item(), "loss": loss.item(), "w": w.detach().numpy().tolist()},
])
def test_log_entry_accepts_correct_answers(solution):
    assert lesson.log_entry.check(solution).correct
    assert lesson.log_entry.check(solution).correct  # re-checking stays correct


@pytest.mark.parametrize("answer, cause", [
    (lambda step, loss, w: {"step": step, "loss": loss.item(), "w": w.tolist()}, "'step' is a tensor"),
    (lambda step, loss, w: {"step": step.item(), "loss": loss, "w": w.tolist()}, "'loss' is a tensor"),
    (lambda step, loss, w: {"step": step.item(), "loss": loss.tolist(), "w": w.tolist()}, "kept the nesting"),
    (lambda step, loss, w: {"step": step.item(), "loss": loss.item(), "w": w.detach()}, "'w' is .*tensor"),
    (lambda step, loss, w: {"step": step.item(), "loss": loss.item(), "w": w.numpy()}, "NumPy"),
    (lambda step, loss, w: {"step": step.item(), "loss": loss.item(), "w": w.flatten().tolist()}, "nested"),
    (lambda step, loss, w: {"step": float(step), "loss": loss.item(), "w": w.tolist()}, "int"),
    (lambda step, loss, w: {"step": step.item(), "loss": round(loss.item(), 2), "w": w.tolist()}, "rounded"),
    (lambda step, loss, w: [step.item(), loss.item(), w.tolist()], "dict"),
    (lambda step, loss, w: {"step": step.item(), "loss": loss.item(), "w": float(w)}, "several elements"),
    (lambda step, loss, w: {"step": step.item(), "loss": loss.item(), "w": list(w)}, "0-d|list of"),
])
def test_log_entry_names_each_mistake(answer, cause):
    result = lesson.log_entry.check(answer)
    assert result.status is Status.INCORRECT
    assert __import__("re").search(cause, str(result)), result


def test_log_entry_numpy_error_is_paraphrased_without_the_detach_answer():
    """Issue 16: PyTorch's own message names `.detach()`; the hint must not just echo it."""
    result = lesson.log_entry.check(lambda step, loss, w: {"step": step.item(), "loss": loss.item(),
                                                            "w": w.numpy().tolist()})
    assert "detach()" not in result.message and "Use tensor.detach()" not in result.message


def test_log_entry_reference_is_json_ready():
    from lessonkit import tolist_item_exercises as exercises

    for case in exercises._log_cases():
        json.dumps(exercises._log_reference(*case))


# ---- exercise 2: an evaluation loop that records no graph --------------------------------------------

def good_mean_loss(model, batches, loss_fn):
    total = 0.0
    with torch.no_grad():
        for x, y in batches:
            total += loss_fn(model(x), y).item()
    return total / len(batches)


def inference_mean_loss(model, batches, loss_fn):
    with torch.inference_mode():
        losses = torch.stack([loss_fn(model(x), y) for x, y in batches])
    return losses.mean().item()


def graph_then_item(model, batches, loss_fn):
    return sum(loss_fn(model(x), y).item() for x, y in batches) / len(batches)


def graph_then_detach(model, batches, loss_fn):
    return (sum(loss_fn(model(x), y).detach() for x, y in batches) / len(batches)).item()


def with_backward(model, batches, loss_fn):
    total = 0.0
    for x, y in batches:
        loss = loss_fn(model(x), y)
        loss.backward()
        total += loss.item()
    return total / len(batches)


@pytest.mark.parametrize("solution", [good_mean_loss, inference_mean_loss])
def test_mean_loss_accepts_correct_answers(solution):
    assert lesson.mean_loss.check(solution).correct


@pytest.mark.parametrize("answer, mistake", [
    (graph_then_item, "records a graph"),
    (graph_then_detach, "records a graph"),
    (with_backward, "records a graph"),
])
def test_mean_loss_sees_a_recorded_graph(answer, mistake):
    result = lesson.mean_loss.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake, result


def test_mean_loss_names_sum_and_tensor_answers():
    def summed(model, batches, loss_fn):
        with torch.no_grad():
            return sum(loss_fn(model(x), y).item() for x, y in batches)

    def as_tensor(model, batches, loss_fn):
        with torch.no_grad():
            return sum(loss_fn(model(x), y) for x, y in batches) / len(batches)

    assert lesson.mean_loss.check(summed).mistake == "sum of the batch losses"
    assert lesson.mean_loss.check(as_tensor).mistake == "returns a tensor"


# ---- exercise 3: predict the printout -----------------------------------------------------------------

def test_predict_code_shown_is_the_code_checked():
    namespace = {"torch": torch}
    exec(lesson.PREDICT_CODE.replace("print(", "result = ("), namespace)  # noqa: S102
    assert namespace["result"] == ([3, 4], 3, [0.5, 1.0], 2)
    assert lesson.predict_types.kind == "predict"


@pytest.mark.parametrize("answer", [([3, 4], 3, [0.5, 1.0], 2), [[3, 4], 3, [0.5, 1.0], 2], ((3, 4), 3, (0.5, 1.0), 2)])
def test_predict_accepts_the_printout(answer):
    assert lesson.predict_types.check(answer).correct


@pytest.mark.parametrize("answer, mistake", [
    (([3.0, 4.0], 3.0, [0.5, 1.0], 2), "integer tensor predicted as floats"),
    (([3, 4], 3, [0, 1], 2), "a / 2 as integer division"),
    (([1, 2], 1, [0.5, 1.0], 2), "a[1] read as the first row"),
    (([3, 4], 3, [0.5, 1.0], True), "a bool for the count"),
    (([3, 4], 3, [0.5, 1.0], 2.0), "the count as a float"),
    (([3, 4], 3, [0.5, 1.0], 1), "counted the wrong elements of a > 2"),
])
def test_predict_names_each_mistake(answer, mistake):
    result = lesson.predict_types.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake, result
