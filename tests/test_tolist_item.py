"""Lesson 7: the logging experiment and both exercises."""

import itertools

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


# ---- exercise 1 ---------------------------------------------------------------------------------

def _starter(*args):
    raise NotImplementedError


@pytest.mark.parametrize("solution", [lambda t: t.tolist(), lambda t: [v.item() for v in t]])
def test_losses_solutions_are_correct(solution):
    assert lesson.losses_to_floats.check(solution).correct
    assert lesson.losses_to_floats.check(solution).correct  # re-checking stays correct


@pytest.mark.parametrize("answer, mistake", [
    (lambda t: list(t), "a list of 0-d tensors"),
    (lambda t: t.item(), "called .item() on the whole tensor"),
    (lambda t: t.detach().clone(), "returned the tensor itself"),
    (lambda t: t.detach().numpy(), "returned a NumPy array"),
])
def test_losses_fingerprints(answer, mistake):
    result = lesson.losses_to_floats.check(answer)
    assert result.status is Status.INCORRECT and result.mistake == mistake


def test_losses_starter_is_not_attempted():
    assert lesson.losses_to_floats.check(_starter).status is Status.NOT_ATTEMPTED


# ---- exercise 2 ---------------------------------------------------------------------------------

def test_scalar_solution_is_correct():
    assert lesson.one_element_to_scalar.check(lambda t: t.item()).correct


@pytest.mark.parametrize("answer, mistake", [
    (lambda t: t.reshape(-1)[0], "returned a tensor"),
    (lambda t: t.tolist(), "returned a list"),
    (lambda t: float(t), "an integer tensor became a float"),
    (lambda t: t[0], "indexing that depends on the shape"),
    (lambda t: t.tolist()[0], "indexing that depends on the shape"),
])
def test_scalar_fingerprints(answer, mistake):
    assert lesson.one_element_to_scalar.check(answer).mistake == mistake


def test_scalar_check_does_not_touch_numpy_scalars_as_correct():
    result = lesson.one_element_to_scalar.check(lambda t: np.float64(t.item()))
    # np.float64 is a float subclass, but an int is expected for integer tensors
    assert result.status is Status.INCORRECT
