"""The check engine: every status, every stage of the comparison, fingerprints, learner exceptions."""

import re

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


# ---- rules enforced by observation (Forbid) -----------------------------------------------------

from lessonkit.checks import Forbid  # noqa: E402

no_sigmoid = Exercise(
    title="no sigmoid",
    reference=torch.sigmoid,
    inputs=lambda: [(torch.tensor([0.0, 2.0, -3.0]),), (torch.tensor(1.5, dtype=torch.float64),)],
    function=True,
    forbid=[Forbid("called the built-in sigmoid", "Write sigmoid from its formula, not PyTorch's sigmoid.",
                   functions=("sigmoid",)),
            Forbid("used autograd", "Compute it by hand, without autograd.", autograd=True)],
)


@pytest.mark.parametrize("alias", [
    lambda z: torch.sigmoid(z), lambda z: z.sigmoid(), lambda z: torch.special.expit(z),
    lambda z: torch.nn.functional.sigmoid(z), lambda z: torch.nn.Sigmoid()(z), lambda z: z.clone().sigmoid_(),
])
def test_forbidden_call_is_caught_under_any_alias(alias):
    result = no_sigmoid.check(alias)
    assert result.status is Status.INCORRECT and result.mistake == "called the built-in sigmoid"


def test_a_docstring_or_comment_naming_a_forbidden_function_is_not_a_call():
    def sigmoid(z):
        """Like torch.sigmoid(z) or F.sigmoid, but by hand."""
        # torch.special.expit(z) would be the built-in
        return 1 / (1 + torch.exp(-z))

    assert no_sigmoid.check(sigmoid).correct


def test_forbidden_autograd_is_caught():
    def with_backward(z):
        x = z.detach().clone().requires_grad_(True)
        (1 / (1 + torch.exp(-x))).sum().backward()
        return 1 / (1 + torch.exp(-z))

    def with_func_grad(z):
        torch.func.grad(lambda x: x.exp().sum())(z)
        return 1 / (1 + torch.exp(-z))

    for answer in (with_backward, with_func_grad):
        assert no_sigmoid.check(answer).mistake == "used autograd"


def test_the_call_log_is_exposed():
    no_sigmoid.check(lambda z: 1 / (1 + torch.exp(-z)))
    assert no_sigmoid.last_calls.called("exp") == ["exp"] and not no_sigmoid.last_calls.autograd


# ---- every case is run first; a fingerprint must explain every case ----------------------------

from lessonkit.checks import Property  # noqa: E402


def _mse(x):
    return (x ** 2).mean()


loss = Exercise(
    title="mean of squares",
    reference=_mse,
    inputs=lambda: [(torch.tensor([1.0, -2.0, 3.0, 0.5]),), (torch.tensor([[0.5, 1.0, -1.5], [2.0, 0.0, 1.0]]),),
                    (torch.tensor([0.25, 4.0], dtype=torch.float64),)],
    function=True,
    mistakes=[
        # true on the first case only: it must not be named for an answer that differs elsewhere
        Mistake("only the first case", "Looks like the first case only.",
                test=lambda answer, x: x.dim() == 1 and x.numel() == 4),
        Mistake("forgot the square", "Square each element.", wrong=lambda x: x.mean()),
    ],
    properties=[Property("non-negative", "A mean of squares is never negative.",
                         holds=lambda got, x: float(got) >= 0)],
)


def test_a_fingerprint_must_explain_every_case():
    result = loss.check(lambda x: x.abs().mean())
    assert result.mistake != "only the first case"
    assert loss.check(lambda x: x.mean()).mistake == "forgot the square"


def test_a_fingerprint_is_not_matched_by_a_precision_loss():
    overflow = Exercise(
        title="sigmoid", reference=torch.sigmoid, function=True,
        inputs=lambda: [(torch.tensor([0.0, 3.0]),), (torch.tensor([1e-3, 0.5, 2.0], dtype=torch.float64),),
                        (torch.tensor([100.0, -100.0]),)],
        mistakes=[Mistake("overflows", "Your formula overflows.", wrong=lambda z: z.exp() / (1 + z.exp())),
                  Mistake("NaN for large z", "Your formula gives NaN for large z.",
                          test=lambda answer, z: bool(answer.isnan().any()) and float(z.abs().max()) > 80)])
    result = overflow.check(lambda z: torch.sigmoid(z.half()).to(z.dtype))
    assert result.mistake is None and "overflow" not in result.message, result
    assert "precision" in result.message and "float16" in result.message
    assert overflow.check(lambda z: z.exp() / (1 + z.exp())).mistake == "overflows"


# ---- general diagnosis --------------------------------------------------------------------------

@pytest.mark.parametrize("answer, cause", [
    (lambda x: -(x ** 2).mean(), r"wrong sign"),
    (lambda x: 2 * (x ** 2).mean(), r"factor of 2|twice"),
    (lambda x: (x ** 2).mean() / 2, r"half|1/2"),
    (lambda x: (x ** 2).sum(), r"N times.*number of elements.*sum where a mean"),
    (lambda x: (x ** 2).mean() + 1, r"right on some|constant|differ"),
    (lambda x: x ** 2, r"did not reduce.*mean"),
    (lambda x: (x ** 2).mean(dim=-1), r"reduce|dim"),
])
def test_general_relations_on_a_loss(answer, cause):
    result = loss.check(answer)
    assert result.status is Status.INCORRECT
    assert re.search(cause, result.message, re.S), result


def _row_softmax(z):
    return torch.softmax(z, dim=1)


softmax_rows = Exercise(
    title="softmax of rows", reference=_row_softmax, function=True,
    inputs=lambda: [(torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]),),
                    (torch.tensor([[0.1, 0.2], [0.3, 0.9], [2.0, -2.0]], dtype=torch.float64),),
                    (torch.tensor([[1000.0, 0.0, -1000.0]]),)],
    properties=[Property("rows sum to 1", "Each row of a softmax sums to 1; yours do not.",
                         holds=lambda got, z: bool(torch.allclose(got.sum(1), torch.ones(len(got)).to(got.dtype))))],
)


def _softmax_dim0(z):
    e = torch.exp(z - z.max(dim=0, keepdim=True).values)
    return e / e.sum(dim=0, keepdim=True)


@pytest.mark.parametrize("answer, cause", [
    (lambda z: torch.exp(z) / torch.exp(z).sum(dim=1, keepdim=True), r"NaN or infinite.*unstable"),
    (_softmax_dim0, r"wrong dimension"),
    (lambda z: torch.softmax(z, dim=1).T, r"transpose"),
    (lambda z: torch.softmax(z.half(), dim=1).to(z.dtype), r"precision of float16"),
    (lambda z: torch.exp(z - z.max(dim=1, keepdim=True).values), r"rows sum to 1"),
    (lambda z: torch.softmax(z, dim=1) * 2, r"twice"),
])
def test_general_relations_on_a_softmax(answer, cause):
    result = softmax_rows.check(answer)
    assert result.status is Status.INCORRECT
    assert re.search(cause, repr(result), re.S), result
    assert "overflow" not in result.message or "NaN" in result.message


def test_lost_keepdim_is_named():
    row_sums = Exercise(title="row sums", reference=lambda z: z.sum(dim=1, keepdim=True), function=True,
                        inputs=lambda: [(torch.tensor([[1.0, 2.0], [3.0, 5.0]]),)])
    assert "keepdim" in row_sums.check(lambda z: z.sum(dim=1)).message


def test_right_on_some_cases_names_the_failing_case():
    result = loss.check(lambda x: (x ** 2).mean() if x.dim() == 1 else (x ** 2).mean(dim=1).sum())
    assert "2-D input" in result.message and "(2, 3)" in result.message
    assert result.message.count("The input was") == 1
    result = loss.check(lambda x: (x ** 2).mean() if x.dtype == torch.float32 else x.sum() * 0 + 7)
    assert "float64 input" in result.message


def test_a_declared_property_names_the_mistake():
    result = loss.check(lambda x: (x ** 2).mean() - 5 * x.abs().max())
    assert result.mistake == "non-negative" and "never negative" in result.message


def test_messages_never_show_the_expected_value():
    for answer in (lambda x: (x ** 2).mean() + 0.123, lambda x: 2 * (x ** 2).mean(), lambda x: x ** 2):
        message = loss.check(answer).message
        for case in loss._cases():
            value = float(_mse(*case))
            for digits in (3, 4, 6):
                assert f"{value:.{digits}g}" not in message.replace(str(case[0]), "")


# ---- failure classes ----------------------------------------------------------------------------

grad_of_square = Exercise(
    title="gradient", function=True, may_change=("grad",),
    reference=lambda w: 2 * w.detach(),
    inputs=lambda: [(torch.tensor([1.0, -2.0], requires_grad=True),)],
)


def test_a_none_gradient_is_not_a_missing_return():
    def forgot_backward(w):
        loss = (w * w).sum()  # noqa: F841
        return w.grad

    message = grad_of_square.check(forgot_backward).message
    assert "backward()" in message and "never called" in message

    def forgot_return(w):
        (w * w).sum().backward()

    assert "`return`" in grad_of_square.check(forgot_return).message
    assert "never called" not in grad_of_square.check(forgot_return).message


def test_backward_on_the_input_is_allowed_only_when_declared():
    def with_backward(w):
        (w * w).sum().backward()
        return w.grad

    assert grad_of_square.check(with_backward).correct
    strict = Exercise(title="strict", function=True, reference=lambda w: 2 * w.detach(),
                      inputs=lambda: [(torch.tensor([1.0, -2.0], requires_grad=True),)])
    result = strict.check(with_backward)
    assert result.mistake == "modifies its input" and ".grad" in result.message


@pytest.mark.parametrize("answer, words", [
    (lambda x: x.requires_grad_(True) * x, "requires_grad"),
    (lambda x: x.data.mul_(x.data), "changes the caller's tensor"),
    (lambda x: setattr(x, "data", x * x) or x, "changes the caller's tensor"),
])
def test_every_change_of_the_callers_tensor_is_caught(answer, words):
    result = square.check(answer)
    assert result.mistake == "modifies its input" and words in result.message


@pytest.mark.parametrize("answer, words", [
    (lambda x: (x * x).sum().item().backward(), r"too early.*`.item\(\)`"),
    (lambda x: x[0, 0] @ x[0, 0], r"0-d tensor"),
    (lambda x: torch.dot(x.sum(), x.sum()), r"0-d tensor"),
    (lambda x: [1.0, 2.0].exp(), r"list has no"),
    (lambda x: x.sum.item(), r"without calling it"),
    (lambda x: None * x, r"`None`"),
    (lambda x: torch.max(x, dim=0).exp(), r"tuple"),
    (lambda x: x(2), r"called a tensor like a function"),
    (lambda x: torch.exp(x.sum().item()), r"Python number"),
])
def test_raw_exceptions_get_a_hint_instead_of_pytorchs_text(answer, words):
    square_any = Exercise(title="sq", reference=lambda x: x * x, function=True,
                          inputs=lambda: [(torch.tensor([[1.0, -2.0], [3.0, 4.0]]),)])
    result = square_any.check(answer)
    assert result.status is Status.INCORRECT
    assert re.search(words, result.message, re.S), result
    assert "must be Tensor, not" not in result.message and "need to be at least 1D" not in result.message


def test_an_unknown_error_shows_its_first_line():
    def raises(x):
        raise ValueError("zzz\nsecond line")

    message = square.check(raises).message
    assert "zzz" in message and "second line" not in message


def test_right_values_in_the_wrong_form_are_named_as_such():
    no_graph = Exercise(title="no graph", reference=lambda x: 2 * x, function=True, requires_grad=False,
                        inputs=lambda: [(torch.tensor([1.0, 2.0]),)])
    result = no_graph.check(lambda x: 2 * x.clone().requires_grad_(True))
    assert "still requires grad" in result.message and "precision" not in result.message


# ---- every exercise of every lesson: hints don't give the solution away; key expressions ---------

from tests.mistakes import all_exercises, solution_lines  # noqa: E402

ALL = sorted(all_exercises().items())


@pytest.mark.parametrize("where, exercise", ALL, ids=[f"{m}.{n}" for (m, n), _ in ALL])
def test_no_hint_before_the_last_one_contains_a_solution_line(where, exercise):
    lines = solution_lines(exercise.solution_text)
    for number, hint in enumerate(list(exercise.hints)[:-1], start=1):
        flat = re.sub(r"\s+", " ", hint)
        shown = [line for line in lines if line in flat]
        assert not shown, f"hint {number} of {where} contains the solution line {shown[0]!r}"


@pytest.mark.parametrize("where, exercise", ALL, ids=[f"{m}.{n}" for (m, n), _ in ALL])
def test_key_expressions_occur_in_the_solution(where, exercise):
    solution = re.sub(r"\s+", "", exercise.solution_text)
    for key in exercise.key:
        assert re.sub(r"\s+", "", key) in solution, f"{where}: key {key!r} is not in its solution_text"


def test_an_error_or_none_on_one_case_names_that_case():
    def loops(x):
        return torch.stack([v * v for v in x])  # iteration over a 0-d tensor fails

    sq = Exercise(title="sq", reference=lambda x: x * x, function=True,
                  inputs=lambda: [(torch.tensor([1.0, 2.0]),), (torch.tensor(3.0),)])
    message = sq.check(loops).message
    assert "On the 0-d input, your code raised" in message and "other inputs" in message

    def no_else(x):
        if x.dim() == 1:
            return x * x

    assert "0-d input" in sq.check(no_else).message


def test_wrong_only_at_large_inputs_is_a_stability_problem():
    sigmoid = Exercise(title="sigmoid", reference=torch.sigmoid, function=True,
                       inputs=lambda: [(torch.tensor([0.0, 3.0]),), (torch.tensor([100.0, 2.0, -100.0]),)])
    clipped = sigmoid.check(lambda z: torch.sigmoid(z.clamp(-10, 10)))
    assert "large" in clipped.message and "unstable" in clipped.message
    wrong_elsewhere = sigmoid.check(lambda z: torch.sigmoid(z.clamp(-10, 10)) + (z == 2) * 0.1)
    assert "unstable" not in wrong_elsewhere.message


def test_a_grad_read_after_autograd_grad_is_explained():
    def reads_grad(w):
        torch.autograd.grad((w * w).sum(), w)
        return w.grad

    assert "leave `.grad` untouched" in grad_of_square.check(reads_grad).message


def test_as_numbers_reads_every_plain_spelling_of_a_prediction_and_nothing_else():
    import numpy as np

    from lessonkit.checks import as_numbers

    expected = [1.0, 2.0]
    for spelling in ([1, 2], (1.0, 2.0), [torch.tensor(1.0), 2], torch.tensor([1, 2]),
                     torch.tensor([[1.0, 2.0]], dtype=torch.float16), np.array([1.0, 2.0])):
        got = as_numbers(spelling, 2)
        assert got is not None and got.dtype == torch.float64 and got.tolist() == expected, spelling
    assert as_numbers(3).tolist() == [3.0]
    for not_numbers in (True, [True, 1], "1, 2", None, torch.ones(2, device="meta"), torch.tensor([1 + 1j]),
                        [1, [2, 3]], torch.tensor([True, False])):
        assert as_numbers(not_numbers) is None, not_numbers
    assert as_numbers([1, 2], 3) is None  # the wrong count


def test_a_pre_check_that_runs_learner_code_is_bounded_and_cannot_be_swallowed():
    import time

    from lessonkit.checks import Exercise

    def observe(answer):  # a lesson's observation run, swallowing errors as such pre-checks do
        try:
            answer(torch.ones(2))
        except Exception:  # noqa: BLE001
            return None
        return None

    def forever(x):
        while True:
            try:
                pass
            except Exception:  # noqa: BLE001 -- learner code that swallows errors
                pass

    exercise = Exercise(title="t", reference=lambda x: x * 2, inputs=[(torch.ones(2),)], function=True,
                        pre_checks=[observe], time_limit=0.3)
    start = time.perf_counter()
    result = exercise.check(forever)
    assert not result.correct and "too slow" in result.message
    assert time.perf_counter() - start < 2.0


def test_time_limits_nest_and_an_outer_limit_survives_an_inner_one():
    import time as _time

    from lessonkit.checks import TooSlow, time_limit

    start = _time.monotonic()
    with pytest.raises(TooSlow), time_limit(0.4):
        with time_limit(5.0):  # an inner limit cannot extend the outer one
            pass
        while True:  # the outer limit must still stop this
            pass
    assert _time.monotonic() - start < 2.0


def test_a_swallowed_stop_is_raised_again():
    from lessonkit.checks import TooSlow, time_limit

    swallowed = 0
    with pytest.raises(TooSlow), time_limit(0.1):
        while True:
            try:
                while True:
                    pass
            except BaseException:  # learner code with a bare except: swallows the first stop
                swallowed += 1
                if swallowed > 3:
                    raise
    assert swallowed >= 1


# --------------------------------------------------------------------------------------------------
# Translation: the engine passes lesson text (titles, mistakes, hints, solutions) and its own labels
# through lessonkit.i18n._ where they are shown, so a catalog chosen after import still applies

import gettext  # noqa: E402

import lessonkit.i18n as i18n  # noqa: E402
from lessonkit.i18n import N_  # noqa: E402

_ZH_TEST_CATALOG = {
    "Correct": "正确",
    "Incorrect": "不正确",
    "Well done.": "做得好。",
    "translated exercise": "翻译练习",
    "You multiplied by 2 (test).": "你乘了 2（测试）。",
    "first hint (test)": "第一条提示（测试）",
    "{title}: hint {number} of {total} (call hint() again for the next one)":
        "{title}：提示 {number}/{total}（再次调用 hint() 查看下一条）",
}


class _DictTranslations(gettext.NullTranslations):
    def gettext(self, message):
        return _ZH_TEST_CATALOG.get(message, message)


@pytest.fixture
def chinese():
    i18n.set_language("zh")
    try:
        i18n._state["translations"] = _DictTranslations()  # a tiny in-memory catalog
        yield
    finally:
        i18n.set_language("en")


def test_verdicts_mistakes_and_hints_are_translated_where_shown(chinese):
    exercise = Exercise(
        title=N_("translated exercise"),
        reference=_square_reference,
        inputs=[(torch.tensor([1.0, -2.0, 3.0]),)],
        function=True,
        mistakes=[Mistake("doubled", N_("You multiplied by 2 (test)."), wrong=lambda x: 2 * x)],
        hints=[N_("first hint (test)"), N_("second hint (test)")],
    )
    wrong = exercise.check(lambda x: 2 * x)
    assert wrong.message == "你乘了 2（测试）。"
    assert str(wrong).startswith("[翻译练习] 不正确")
    assert "不正确" in wrong._repr_html_() and "翻译练习" in wrong._repr_html_()
    assert wrong.mistake == "doubled" and wrong.exercise == "translated exercise"  # the fields stay ids
    right = exercise.check(lambda x: x * x)
    assert str(right) == "[翻译练习] 正确: 做得好。"
    assert repr(exercise.hint()) == "翻译练习：提示 1/2（再次调用 hint() 查看下一条）\n第一条提示（测试）"
    i18n.set_language("en")  # the language can change after import: the same exercise speaks English again
    assert exercise.check(lambda x: 2 * x).message == "You multiplied by 2 (test)."


def test_a_time_limit_never_stops_an_import_halfway(tmp_path, monkeypatch):
    import sys
    import time as _time

    from lessonkit.checks import TooSlow, time_limit

    (tmp_path / "slow_module_for_the_time_limit.py").write_text(
        "import time\nstart = time.monotonic()\nwhile time.monotonic() - start < 0.4:\n    pass\ndone = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_module_for_the_time_limit", raising=False)
    start = _time.monotonic()
    with pytest.raises(TooSlow), time_limit(0.1):
        import slow_module_for_the_time_limit  # noqa: F401
        while True:  # stopped right after the import instead
            pass
    assert sys.modules["slow_module_for_the_time_limit"].done  # the module was imported completely
    assert _time.monotonic() - start < 2.0
    monkeypatch.delitem(sys.modules, "slow_module_for_the_time_limit")


def test_values_with_a_lower_dtype_s_precision_are_named_before_a_fingerprint_that_only_matches_values():
    close = Mistake("approximated", "Your values are close but not exact: an approximation?",
                    test=lambda answer, x: torch.allclose(answer.double(), torch.sigmoid(x).double(), atol=1e-2))
    exercise = Exercise(title="sigmoid", reference=torch.sigmoid, function=True, mistakes=[close],
                        inputs=lambda: [(torch.linspace(-3, 3, 7, dtype=torch.float32),)])
    as_half = exercise.check(lambda x: torch.sigmoid(x.half()))  # a float16 tensor
    computed_in_half = exercise.check(lambda x: torch.sigmoid(x.half()).float())  # float16 numbers, float32 dtype
    approximated = exercise.check(lambda x: (torch.sigmoid(x + 1e-2) + torch.sigmoid(x - 1e-2)) / 2 + 1e-3)
    for result in (as_half, computed_in_half):
        assert result.status is Status.INCORRECT and "float16" in result.message, result.message
        assert "approximation" not in result.message
    assert approximated.status is Status.INCORRECT and "approximation" in approximated.message, approximated.message
