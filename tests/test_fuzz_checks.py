"""Every exercise check, fed anything a learner might pass: it always answers with a verdict and a
message, never an uncaught exception or an internal error, and never changes the learner's tensors."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessonkit.checks import Exercise, Status
from tests.mistakes import all_exercises

VERDICTS = {Status.CORRECT, Status.INCORRECT, Status.NOT_ATTEMPTED}
EXAMPLES = 220


def _all_exercises() -> list[tuple[str, Exercise]]:
    # each exercise once (a lesson module re-exports the exercises of a module split out of it)
    return [(f"{module}.{name}", dataclasses.replace(exercise, time_limit=0.3))  # a short limit: quick fuzzing
            for (module, name), exercise in sorted(all_exercises().items())]


EXERCISES = _all_exercises()


def test_every_lesson_has_exercises():
    lessons = {name.split(".")[0] for name, _ in EXERCISES}
    assert len(lessons) == 7 and len(EXERCISES) >= 14



# ---- what a learner might hand in ---------------------------------------------------------------

FLOAT_DTYPES = [torch.float32, torch.float64]
ALL_DTYPES = [*FLOAT_DTYPES, torch.int64, torch.int32, torch.bool, torch.float16]


@st.composite
def tensors(draw):
    shape = draw(st.lists(st.integers(0, 4), min_size=0, max_size=3))
    dtype = draw(st.sampled_from(ALL_DTYPES))
    kind = draw(st.sampled_from(["normal", "nan", "inf", "huge", "zeros"]))
    t = torch.randn(shape, dtype=torch.float64) * draw(st.sampled_from([1.0, 1e3, 1e30]))
    if kind == "nan" and t.numel():
        t.view(-1)[0] = float("nan")
    elif kind == "inf" and t.numel():
        t.view(-1)[-1] = float("-inf")
    elif kind == "zeros":
        t = torch.zeros(shape, dtype=torch.float64)
    t = t.to(dtype) if dtype != torch.bool else t > 0
    if dtype in FLOAT_DTYPES and draw(st.booleans()):
        t = t.requires_grad_(True) * 1  # part of a graph
    return t


plain_values = st.one_of(
    st.none(), st.just(...), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.booleans(),
    st.lists(st.floats(allow_nan=True), max_size=5),
    st.lists(st.lists(st.integers(-5, 5), max_size=3), max_size=3),
    st.tuples(st.floats(allow_nan=False), st.floats(allow_nan=False)),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(torch.empty(0)), st.just(torch.zeros(200_000)), st.just(torch.empty(3, device="meta")),
    st.just(torch.zeros(3, 4)), st.just(object()),
)
values = st.one_of(plain_values, tensors(), st.lists(tensors(), max_size=3), st.tuples(tensors()))


class LearnerError(Exception):
    pass


def _forever(*args):
    while True:
        pass


def _raises(*args):
    raise LearnerError("something in the learner's code went wrong")


def _returns_none(*args):
    return None


def _mutates(*args):
    for a in args:
        if isinstance(a, torch.Tensor) and a.is_floating_point():
            with torch.no_grad():
                a.mul_(2)
        elif isinstance(a, list) and a:
            a.pop()
    return args[0] if args else None


def _recursive(*args):
    return _recursive(*args)


def _first_tensor(args):
    return next((a for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()), None)


def _toggles_requires_grad(*args):
    x = _first_tensor(args)
    if x is not None and x.is_leaf:
        x.requires_grad_(not x.requires_grad)
    return x


def _writes_grad(*args):
    x = _first_tensor(args)
    if x is not None and x.is_leaf:
        x.grad = torch.ones_like(x)
    return x


def _backward_on_input(*args):
    x = _first_tensor(args)
    if x is not None and x.is_leaf:
        x.requires_grad_(True)
        (x * x).sum().backward()
        return x.grad
    return x


def _assigns_data(*args):
    x = _first_tensor(args)
    if x is not None:
        x.data = x.data * 0 + 1
    return x


def _calls_everything(*args):
    """Calls functions exercises forbid (softmax, sigmoid, cross-entropy, autograd), then returns an input."""
    x = _first_tensor(args)
    if x is not None and x.dim() >= 1:
        torch.softmax(x, dim=-1), torch.special.expit(x), torch.nn.functional.log_softmax(x, dim=-1)
        torch.func.grad(lambda t: t.exp().sum())(x.detach())
    return x


def _constant(value):
    return lambda *args: value


def _mirror(*args):
    return args[0] if args else None


functions = st.one_of(
    st.sampled_from([_forever, _raises, _returns_none, _mutates, _recursive, _mirror, print, len, abs,
                     _toggles_requires_grad, _writes_grad, _backward_on_input, _assigns_data, _calls_everything]),
    values.map(_constant),
)


def _snapshot(value):
    if isinstance(value, torch.Tensor):
        return (value.detach().clone(), value.requires_grad, value.grad if value.is_leaf else None)
    if isinstance(value, (list, tuple)):
        return [_snapshot(v) for v in value]
    return None


def _unchanged(value, snapshot) -> bool:
    if isinstance(value, torch.Tensor):
        data, requires_grad, grad = snapshot
        if value.device.type == "meta":
            return value.requires_grad == requires_grad
        same = torch.equal(value.detach(), data) or bool(torch.isnan(data).any())
        return same and value.requires_grad == requires_grad and (not value.is_leaf or value.grad is grad)
    if isinstance(value, (list, tuple)):
        return all(_unchanged(v, s) for v, s in zip(value, snapshot))
    return True


def _assert_verdict(result, name):
    assert result.status in VERDICTS, f"{name}: {result!r}"
    assert isinstance(result.message, str) and result.message.strip(), f"{name}: empty message"
    assert result._repr_html_() and repr(result)
    assert isinstance(result.generic, bool) and (result.mistake is None or isinstance(result.mistake, str))


@pytest.mark.parametrize("name, exercise", EXERCISES, ids=[n for n, _ in EXERCISES])
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_any_answer_gets_a_verdict(name, exercise, data):
    torch.manual_seed(0)
    if exercise.function:
        answer = data.draw(st.one_of(functions, values), label="answer")
    else:
        answer = data.draw(values, label="answer")
    snapshot = _snapshot(answer)
    result = exercise.check(answer)
    _assert_verdict(result, name)
    assert result.status is not Status.CORRECT or answer is not None
    assert _unchanged(answer, snapshot), f"{name}: the check changed the learner's answer"


CODE_EXERCISES = [(name, exercise) for name, exercise in EXERCISES if exercise.function]


@pytest.mark.parametrize("name, exercise", CODE_EXERCISES, ids=[n for n, _ in CODE_EXERCISES])
def test_code_that_never_ends_is_stopped_with_a_clear_message(name, exercise):
    result = exercise.check(_forever)
    assert result.status is Status.INCORRECT and "too slow" in result.message


@pytest.mark.parametrize("function", [_toggles_requires_grad, _writes_grad, _assigns_data, _mutates])
def test_a_function_that_changes_its_input_is_never_correct(function):
    for name, exercise in EXERCISES:
        if exercise.function and not set(exercise.may_change):
            result = exercise.check(function)
            assert result.status is not Status.CORRECT, f"{name}: {result!r}"
