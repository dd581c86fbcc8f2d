"""The check engine: every status, every stage of the comparison, fingerprints, learner exceptions."""

import pytest
import torch

from lessonkit.checks import ErrorHint, Exercise, Mistake, Result, Status


def _square_reference(x):
    return x * x


square = Exercise(
    title="square",
    reference=_square_reference,
    inputs=lambda: [(torch.tensor([1.0, -2.0, 3.0]),), (torch.tensor([[0.5]]),)],
    function=True,
    mistakes=[
        Mistake("doubled instead of squared", "You multiplied by 2.", wrong=lambda x: 2 * x),
        Mistake("returned a list", "Return a tensor.", test=lambda answer, x: isinstance(answer, list)),
    ],
    error_hints=[ErrorHint(r"deliberate", "a translated hint", name="deliberate error")],
    hints=["first hint", "second hint"],
    solution_text="def square(x):\n    return x * x",
)

value_exercise = Exercise(
    title="value",
    reference=lambda: torch.tensor([2.0, 1.0, 3.0]),
    mistakes=[Mistake("sign error", "Check the sign.", wrong=lambda: torch.tensor([-2.0, -1.0, -3.0]))],
)

grad_exercise = Exercise(
    title="needs grad",
    reference=lambda: torch.tensor([1.0, 2.0], requires_grad=True) * 1,
    requires_grad=True,
)


# ---- statuses -----------------------------------------------------------------------------------

def test_correct_function():
    result = square.check(lambda x: x ** 2)
    assert result.status is Status.CORRECT and result.correct and bool(result)


@pytest.mark.parametrize("answer", [..., None])
def test_not_attempted_values(answer):
    assert value_exercise.check(answer).status is Status.NOT_ATTEMPTED


def test_not_attempted_function_raising_not_implemented():
    def starter(x):
        raise NotImplementedError

    assert square.check(starter).status is Status.NOT_ATTEMPTED
    assert square.check(lambda x: ...).status is Status.NOT_ATTEMPTED


def test_internal_error_blames_lessonkit_not_the_learner():
    broken = Exercise(title="broken", reference=lambda: 1 / 0)
    result = broken.check(torch.tensor(1.0))
    assert result.status is Status.INTERNAL_ERROR
    assert "bug in lessonkit" in result.message


# ---- the order of the comparison ----------------------------------------------------------------

def test_type_is_checked_before_anything_else():
    result = value_exercise.check(3.0)
    assert result.status is Status.INCORRECT and "a Python float" in result.message


def test_dtype_before_shape():
    result = value_exercise.check(torch.tensor([2, 1], dtype=torch.int64))
    assert "dtype `torch.int64`" in result.message


def test_shape():
    result = value_exercise.check(torch.tensor([2.0, 1.0]))
    assert "shape (2,)" in result.message


def test_autograd_state():
    result = grad_exercise.check(torch.tensor([1.0, 2.0]))
    assert "does not require grad" in result.message
    assert grad_exercise.check(torch.tensor([1.0, 2.0], requires_grad=True)).correct


def test_values_never_reveal_the_expected_value():
    result = value_exercise.check(torch.tensor([2.0, 1.0, 4.0]))
    assert result.status is Status.INCORRECT
    assert "1 of 3 values" in result.message and "(2,)" in result.message
    assert "3." not in result.message and "3.0" not in result._repr_html_()


def test_nan_and_inf_are_named():
    assert "NaN" in value_exercise.check(torch.tensor([2.0, float("nan"), 3.0])).message
    assert "inf" in value_exercise.check(torch.tensor([2.0, float("inf"), 3.0])).message


def test_wrong_device_is_named():
    result = value_exercise.check(torch.empty(3, device="meta"))
    assert result.status is Status.INCORRECT and "meta" in result.message


# ---- fingerprints and exceptions ----------------------------------------------------------------

def test_fingerprint_by_wrong_answer():
    result = square.check(lambda x: x + x)
    assert result.mistake == "doubled instead of squared" and result.message == "You multiplied by 2."


def test_fingerprint_by_predicate():
    assert square.check(lambda x: (x * x).tolist()).mistake == "returned a list"


def test_value_fingerprint():
    assert value_exercise.check(torch.tensor([-2.0, -1.0, -3.0])).mistake == "sign error"


def test_exercise_error_hint():
    def raises(x):
        raise ValueError("a deliberate problem")

    result = square.check(raises)
    assert result.mistake == "deliberate error"
    assert "a translated hint" in result.message and "ValueError" in result.message


def test_common_error_hint():
    result = square.check(lambda x: x.item())
    assert result.status is Status.INCORRECT
    assert ".tolist()" in result.message  # the common hint for .item() on many elements


def test_unknown_exception_is_reported_not_raised():
    def raises(x):
        raise KeyError("zzz")

    result = square.check(raises)
    assert result.status is Status.INCORRECT and "KeyError" in result.message


def test_function_returning_none_is_told_about_return():
    assert "return" in square.check(lambda x: None).message


def test_passing_a_call_result_instead_of_the_function():
    result = square.check(torch.tensor([1.0]))
    assert result.status is Status.INCORRECT and "without parentheses" in result.message


def test_slow_learner_code_is_stopped():
    slow = Exercise(title="slow", reference=lambda x: x, inputs=lambda: [(1.0,)], function=True, time_limit=0.2)

    def forever(x):
        while True:
            pass

    result = slow.check(forever)
    assert result.status is Status.INCORRECT and "too slow" in result.message


# ---- learner data is never touched --------------------------------------------------------------

def test_learner_tensor_is_not_mutated():
    answer = torch.tensor([2.0, 1.0, 4.0], requires_grad=True)
    before = answer.detach().clone()
    value_exercise.check(answer)
    assert torch.equal(answer.detach(), before) and answer.requires_grad and answer.grad is None


def test_in_place_modification_of_inputs_is_caught():
    def sneaky(x):
        x.mul_(x)
        return x

    assert square.check(sneaky).mistake == "modifies its input"


# ---- hints, solutions, reprs --------------------------------------------------------------------

def test_hints_are_progressive_and_solution_waits_for_them():
    exercise = Exercise(title="h", reference=lambda: 1.0, hints=["one", "two"], solution_text="answer = 1.0")
    assert "locked" in repr(exercise.solution())
    assert "one" in repr(exercise.hint())
    assert "locked" in repr(exercise.solution())
    assert "two" in repr(exercise.hint())
    assert "two" in repr(exercise.hint())  # stays on the last hint
    assert "answer = 1.0" in repr(exercise.solution())


def test_result_has_html_and_plain_forms():
    result = Result(Status.INCORRECT, "Use `x.item()` <now>", "ex", "a mistake")
    assert repr(result) == "[ex] Incorrect \u2014 a mistake: Use `x.item()` <now>"
    html = result._repr_html_()
    assert "<code>x.item()</code>" in html and "&lt;now&gt;" in html and "Incorrect" in html


def test_rechecking_after_correct_stays_correct():
    for _ in range(3):
        assert square.check(lambda x: x * x).correct


def test_floats_use_tolerance_and_ints_are_accepted_for_integral_floats():
    exercise = Exercise(title="f", reference=lambda: 0.1)
    assert exercise.check(torch.tensor(0.1).item()).correct  # float32 rounding is within tolerance
    assert exercise.check(0.11).status is Status.INCORRECT
    assert exercise.check(0.1000000001).correct
    assert Exercise(title="i", reference=lambda: 2.0).check(2).correct


def test_a_list_of_numbers_is_accepted_when_only_values_are_asked_for():
    values_only = Exercise(title="values", reference=lambda: torch.tensor([6.0, 10.0, 14.0]), check_dtype=False,
                           mistakes=[Mistake("halved", "Too small.", wrong=lambda: torch.tensor([3.0, 5.0, 7.0]))])
    assert values_only.check([6, 10, 14]).correct
    assert values_only.check([3, 5, 7]).mistake == "halved"
    assert "a list" in values_only.check(["six"]).message
    assert not value_exercise.check([2.0, 1.0, 3.0]).correct  # a dtype is part of the answer there
