"""Exercise checks: a verdict (Correct / Incorrect / Not attempted) with a message a learner can act on.

An :class:`Exercise` compares the learner's answer with a reference in a fixed order:

    exists -> type -> dtype/device -> shape -> autograd state -> values

and stops at the first difference. Before reporting a generic difference it tries the exercise's
*mistake fingerprints* (known wrong answers, each with a name and a hint), so a learner who wrote
``exp(z) / (1 + exp(z))`` hears "overflows for large z", not "values differ". Exceptions raised by
the learner's own code are translated into hints. The expected value is never shown, and the
learner's tensors are never modified (every comparison works on detached copies; every call of a
learner function gets fresh copies of its inputs).

Lesson modules declare exercises; notebooks call ``exercise.check(answer)``, ``exercise.hint()`` and
``exercise.solution()``.
"""

from __future__ import annotations

import copy
import enum
import html
import math
import re
import signal
import threading
import traceback
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

# --------------------------------------------------------------------------------------------------
# Results


class Status(enum.Enum):
    CORRECT = "Correct"
    INCORRECT = "Incorrect"
    NOT_ATTEMPTED = "Not attempted"
    INTERNAL_ERROR = "Internal error"


_STYLE = {
    Status.CORRECT: ("#e6f4ea", "#137333", "\u2714"),
    Status.INCORRECT: ("#fce8e6", "#a50e0e", "\u2718"),
    Status.NOT_ATTEMPTED: ("#f1f3f4", "#3c4043", "\u2026"),
    Status.INTERNAL_ERROR: ("#fef7e0", "#8a5300", "\u26a0"),
}


def _inline_markup(text: str) -> str:
    """HTML for a message: escaped, with `code` and *emphasis* marked up, newlines kept."""
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    escaped = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", escaped)
    return escaped.replace("\n", "<br>")


@dataclass(frozen=True)
class Result:
    """The verdict of one check. Shown as a coloured box in Jupyter and as plain text elsewhere."""

    status: Status
    message: str
    exercise: str = ""
    mistake: str | None = None  # the name of the fingerprinted mistake, when one matched

    @property
    def correct(self) -> bool:
        return self.status is Status.CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def _title(self) -> str:
        title = self.status.value
        if self.mistake:
            title += f" \u2014 {self.mistake}"
        return title

    def __repr__(self) -> str:
        head = f"[{self.exercise}] " if self.exercise else ""
        return f"{head}{self._title()}: {self.message}"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        background, color, icon = _STYLE[self.status]
        name = f"<b>{html.escape(self.exercise)}</b> &middot; " if self.exercise else ""
        body = _inline_markup(self.message)
        return (
            f'<div style="background:{background};color:{color};border-left:4px solid {color};'
            f'padding:6px 10px;margin:4px 0;font-family:sans-serif">'
            f"{name}<b>{icon} {html.escape(self._title())}</b><br>{body}</div>"
        )


def correct(message: str = "Well done.") -> Result:
    return Result(Status.CORRECT, message)


def incorrect(message: str, mistake: str | None = None) -> Result:
    return Result(Status.INCORRECT, message, mistake=mistake)


def not_attempted(message: str = "Replace the `...` with your answer, then run this cell again.") -> Result:
    return Result(Status.NOT_ATTEMPTED, message)


@dataclass(frozen=True)
class Note:
    """A hint or solution shown in the notebook (Markdown-ish text, plain repr elsewhere)."""

    title: str
    text: str

    def __repr__(self) -> str:
        return f"{self.title}\n{self.text}"

    def _repr_html_(self) -> str:
        body = html.escape(self.text)
        return (
            '<div style="background:#e8f0fe;color:#174ea6;border-left:4px solid #174ea6;'
            'padding:6px 10px;margin:4px 0;font-family:sans-serif">'
            f"<b>{html.escape(self.title)}</b><pre style=\"white-space:pre-wrap;margin:4px 0 0 0;"
            f'background:transparent">{body}</pre></div>'
        )


# --------------------------------------------------------------------------------------------------
# Mistake fingerprints and exception hints


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer.

    Give either ``wrong`` -- a function computing the wrong answer from the same inputs as the
    reference (the answer matches the fingerprint when it is close to that; it runs under
    ``torch.no_grad()``, so wrap any autograd it needs in ``torch.enable_grad()``) -- or ``test`` --
    a predicate ``test(answer, *inputs) -> bool``. ``hint`` says what went wrong without the answer.
    """

    name: str
    hint: str
    wrong: Callable[..., Any] | None = None
    test: Callable[..., bool] | None = None

    def matches(self, answer: Any, inputs: tuple, tolerance: dict) -> bool:
        try:
            if self.test is not None and self.test(answer, *inputs):
                return True
            if self.wrong is not None:
                with torch.no_grad():
                    wrong = self.wrong(*_fresh(inputs))
                return _same(answer, wrong, tolerance)
        except Exception:  # a fingerprint that cannot be evaluated simply does not match
            return False
        return False


@dataclass(frozen=True)
class ErrorHint:
    """Translate an exception raised by learner code: its type and a regex on its message."""

    pattern: str
    hint: str
    kind: type[BaseException] = Exception
    name: str | None = None

    def matches(self, error: BaseException) -> bool:
        return isinstance(error, self.kind) and re.search(self.pattern, str(error), re.S) is not None


# Errors every lesson meets; an exercise's own ErrorHints are tried first.
COMMON_ERROR_HINTS = (
    ErrorHint(r"a Tensor with \d+ elements cannot be converted to Scalar",
              "`.item()` only works on a tensor with exactly one element. For many elements use "
              "`.tolist()`, or index one element first."),
    ErrorHint(r"Can't call numpy\(\) on Tensor that requires grad",
              "This tensor is part of an autograd graph. Call `.detach()` before `.numpy()`."),
    ErrorHint(r"does not require grad and does not have a grad_fn",
              "Autograd has nothing to differentiate: the tensor you differentiate was not computed "
              "from a tensor with `requires_grad=True`. Set it before building the computation."),
    ErrorHint(r"appears to not have been used in the graph",
              "You asked for the gradient with respect to a tensor the output was not computed from "
              "(a slice like `a[:, 0]` or a tensor rebuilt after the graph was made is a *new* tensor). "
              "Differentiate with respect to the original leaf, then index the gradient."),
    ErrorHint(r"Trying to backward through the graph a second time",
              "The graph was freed by the first backward/grad call. Rebuild it (run the forward "
              "computation again) or pass `retain_graph=True` to the first call."),
    ErrorHint(r"grad can be implicitly created only for scalar outputs",
              "`backward()` / `autograd.grad` without a `gradient`/`grad_outputs` needs a scalar output. "
              "Reduce it first (e.g. `.sum()`), or pass the vector for a vector-Jacobian product."),
    ErrorHint(r"(?i)only Tensors of floating point",
              "Integer tensors cannot require gradients: make it a float tensor, e.g. `torch.tensor([1., 2.])` "
              "or `.float()`."),
    ErrorHint(r"params argument given to the optimizer should be an iterable",
              "Optimizers take an *iterable* of tensors: write `[x]`, not `x`."),
    ErrorHint(r"a leaf Variable that requires grad is being used in an in-place operation",
              "You changed a leaf that requires grad in place while autograd was recording. "
              "Wrap a manual update in `with torch.no_grad():` (or let the optimizer do it)."),
    ErrorHint(r"mat1 and mat2 shapes cannot be multiplied|size mismatch|must match the size",
              "Two shapes do not fit together. Print the `.shape` of each operand."),
    ErrorHint(r"expected scalar type|expected .*dtype|Found dtype",
              "Two tensors have different dtypes. Check `.dtype`; convert with `.float()` or `.long()`."),
    ErrorHint(r"Dimension out of range", "A `dim=` argument is larger than the tensor has dimensions."),
    ErrorHint(r"", "Python could not find a name. Did you run the cells above this one?", kind=NameError),
)


# --------------------------------------------------------------------------------------------------
# Learner code guards


class TooSlow(Exception):
    """Raised inside learner code that runs past its time limit."""


@contextmanager
def time_limit(seconds: float):
    """Stop learner code after ``seconds`` (main thread of a POSIX process; elsewhere no limit)."""
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _raise(signum, frame):
        raise TooSlow(f"stopped after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _fresh(value: Any) -> Any:
    """A deep copy that keeps tensors' requires_grad flags but shares nothing with the original."""
    if isinstance(value, torch.Tensor):
        copy_ = value.detach().clone()
        if value.requires_grad:
            copy_.requires_grad_(True)
        if value.is_leaf and value.grad is not None:  # a stale .grad is part of some exercises
            copy_.grad = value.grad.detach().clone()
        return copy_
    if isinstance(value, tuple):
        return tuple(_fresh(v) for v in value)
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def _snapshot(value: Any) -> Any:
    """What we compare to notice a learner function changing its input in place."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (tuple, list)):
        return type(value)(_snapshot(v) for v in value)
    return None


def _unchanged(before: Any, after: Any) -> bool:
    if isinstance(before, torch.Tensor):
        return isinstance(after, torch.Tensor) and before.shape == after.shape and bool(
            torch.equal(before, after.detach()) or torch.isnan(before).any()
        )
    if isinstance(before, (tuple, list)):
        return all(_unchanged(b, a) for b, a in zip(before, after))
    return True


# --------------------------------------------------------------------------------------------------
# Comparison: exists -> type -> dtype/device -> shape -> autograd state -> values


def _kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return "tensor"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, tuple)):
        return type(value).__name__
    return type(value).__name__


_KIND_WORDS = {
    "tensor": "a tensor", "int": "a Python int", "float": "a Python float", "bool": "a bool",
    "list": "a list", "tuple": "a tuple", "NoneType": "None", "function": "a function",
}


def _describe(kind: str) -> str:
    return _KIND_WORDS.get(kind, f"a {kind}")


def _same(answer: Any, expected: Any, tolerance: dict) -> bool:
    """Whether ``answer`` equals ``expected`` in value (for fingerprints: the dtype does not matter)."""
    return _difference(answer, expected, tolerance, path="", requires_grad=None, check_dtype=False) is None


def _difference(answer: Any, expected: Any, tolerance: dict, path: str, requires_grad: bool | None,
                check_dtype: bool = True) -> str | None:
    """``None`` when ``answer`` matches ``expected``; otherwise a sentence saying the first difference.

    The sentence describes the *answer* (its type, dtype, shape, where it differs), never the
    expected values.
    """
    where = f" at {path}" if path else ""
    kind, want = _kind(answer), _kind(expected)
    # type (a Python int may stand for a float: the value comparison below decides)
    numeric = {"int", "float"}
    sequences = {"list", "tuple"}
    if kind != want and not (kind in numeric and want == "float") and not {kind, want} <= sequences:
        return f"Your answer{where} is {_describe(kind)}, but {_describe(want)} is expected."
    if want == "tensor":
        return _tensor_difference(answer, expected, tolerance, where, requires_grad, check_dtype)
    if want in ("list", "tuple"):
        if len(answer) != len(expected):
            return f"Your {kind}{where} has {len(answer)} elements, but {len(expected)} are expected."
        for i, (a, e) in enumerate(zip(answer, expected)):
            diff = _difference(a, e, tolerance, f"{path}[{i}]", requires_grad, check_dtype)
            if diff:
                return diff
        return None
    if want in numeric:
        a, e = float(answer), float(expected)
        if math.isnan(a) and not math.isnan(e):
            return f"Your answer{where} is NaN."
        if math.isinf(a) and not math.isinf(e):
            return f"Your answer{where} is infinite."
        if not math.isclose(a, e, rel_tol=tolerance["rtol"], abs_tol=tolerance["atol"]):
            return f"Your value{where} ({a:.6g}) is not the expected value."
        return None
    return None if answer == expected else f"Your answer{where} is not the expected value."


def _tensor_difference(answer: torch.Tensor, expected: torch.Tensor, tolerance: dict, where: str,
                       requires_grad: bool | None, check_dtype: bool) -> str | None:
    if answer.device != expected.device:
        return f"Your tensor{where} is on device `{answer.device}`; keep it on `{expected.device}`."
    if check_dtype and answer.dtype != expected.dtype:
        return f"Your tensor{where} has dtype `{answer.dtype}`, but `{expected.dtype}` is expected."
    if answer.shape != expected.shape:
        return (f"Your tensor{where} has shape {tuple(answer.shape)}, but shape {tuple(expected.shape)} "
                "is expected.")
    if requires_grad is not None and answer.requires_grad != requires_grad:
        if requires_grad:
            return f"Your tensor{where} does not require grad: autograd cannot differentiate through it."
        return (f"Your tensor{where} still requires grad (it is part of a graph). "
                "Return a plain value: `.detach()` it, or compute it under `torch.no_grad()`.")
    a = answer.detach().to(torch.float64) if answer.is_floating_point() or not check_dtype else answer.detach()
    e = expected.detach().to(a.dtype)
    try:
        torch.testing.assert_close(a, e, rtol=tolerance["rtol"], atol=tolerance["atol"], equal_nan=True,
                                   check_dtype=False)
        return None
    except AssertionError:
        pass
    if a.is_floating_point():
        bad_nan = torch.isnan(a) & ~torch.isnan(e)
        if bad_nan.any():
            return f"Your tensor{where} contains NaN at index {_first(bad_nan)} where a number is expected."
        bad_inf = torch.isinf(a) & ~torch.isinf(e)
        if bad_inf.any():
            return f"Your tensor{where} contains inf at index {_first(bad_inf)} where a finite number is expected."
        close = torch.isclose(a, e, rtol=tolerance["rtol"], atol=tolerance["atol"], equal_nan=True)
    else:
        close = a == e
    wrong = (~close).sum().item()
    return (f"{wrong} of {a.numel()} values of your tensor{where} differ from the expected ones "
            f"(the first at index {_first(~close)}).")


def _first(mask: torch.Tensor) -> tuple:
    index = mask.nonzero()[0].tolist() if mask.dim() else []
    return tuple(index)


# --------------------------------------------------------------------------------------------------
# Exercises


NOT_DONE = (Ellipsis, NotImplemented)


@dataclass
class Exercise:
    """A checkable exercise.

    ``reference`` computes the expected answer from ``inputs`` (a tuple of arguments, or a list of
    such tuples when the learner writes a function that must work on several cases). When
    ``function=True`` the learner's answer is a function, called on fresh copies of every case;
    otherwise the answer is a value compared with ``reference(*inputs)``.
    """

    title: str
    reference: Callable[..., Any]
    inputs: tuple | Sequence[tuple] | Callable[[], Any] = ()
    function: bool = False
    mistakes: Sequence[Mistake] = ()
    error_hints: Sequence[ErrorHint] = ()
    hints: Sequence[str] = ()
    solution_text: str = ""
    requires_grad: bool | None = None
    check_dtype: bool = True
    rtol: float = 1.3e-6
    atol: float = 1e-5
    time_limit: float = 5.0
    success: str = "Well done."
    # extra verdicts run on the answer before the comparison (return a Result to stop there)
    pre_checks: Sequence[Callable[..., Result | None]] = ()
    # replaces the value comparison: ``compare(got, expected, case) -> None | sentence``, for
    # exercises judged by a property (e.g. "reaches any minimum") rather than one expected value
    compare: Callable[..., str | None] | None = None
    _hints_shown: int = field(default=0, init=False, repr=False)

    # ---- public API used in notebooks ----
    def check(self, answer: Any) -> Result:
        """Return a verdict for ``answer``; never raises, never changes ``answer``."""
        try:
            result = self._check(answer)
        except TooSlow as error:
            result = incorrect(f"Your code was {error}: it is too slow or never finishes (an endless loop?).")
        except Exception:  # noqa: BLE001 -- anything left is lessonkit's fault, never the learner's
            detail = traceback.format_exc(limit=-2).strip().splitlines()[-1]
            result = Result(Status.INTERNAL_ERROR,
                            "The checker itself failed: this is a bug in lessonkit, not in your answer. "
                            f"Please report it with this line: {detail}")
        return Result(result.status, result.message, self.title, result.mistake)

    def hint(self) -> Note:
        """The next hint (each call reveals one more)."""
        if not self.hints:
            return Note(f"{self.title}: no hints", "There are no hints for this exercise.")
        self._hints_shown = min(self._hints_shown + 1, len(self.hints))
        number = self._hints_shown
        more = " (call hint() again for the next one)" if number < len(self.hints) else " (that was the last one)"
        return Note(f"{self.title}: hint {number} of {len(self.hints)}{more}", self.hints[number - 1])

    def solution(self) -> Note:
        """The worked solution, once every hint has been seen."""
        if self._hints_shown < len(self.hints):
            left = len(self.hints) - self._hints_shown
            return Note(f"{self.title}: solution locked",
                        f"Try the hints first: {left} hint(s) left. Call hint() until you have seen them all, "
                        "then solution() shows a worked answer.")
        return Note(f"{self.title}: a solution", self.solution_text.strip())

    # ---- the engine ----
    def _cases(self) -> list[tuple]:
        inputs = self.inputs() if callable(self.inputs) else self.inputs
        if self.function:
            return [tuple(case) for case in inputs]
        return [tuple(inputs)]

    @property
    def _tolerance(self) -> dict:
        return {"rtol": self.rtol, "atol": self.atol}

    def _check(self, answer: Any) -> Result:
        if answer is None and not self.function:
            return not_attempted("Your answer is `None`. Replace the `...` with your answer (or did a "
                                 "function forget to `return`?).")
        if any(answer is marker for marker in NOT_DONE):
            return not_attempted()
        if self.function and not callable(answer):
            return incorrect(f"Pass your function itself (its name, without parentheses); you passed "
                             f"{_describe(_kind(answer))}.")
        for pre in self.pre_checks:
            verdict = pre(answer)
            if verdict is not None:
                return verdict
        for case in self._cases():
            verdict = self._check_case(answer, case)
            if verdict is not None:
                return verdict
        return correct(self.success)

    def _check_case(self, answer: Any, case: tuple) -> Result | None:
        expected = self.reference(*_fresh(case))
        if self.function:
            arguments = _fresh(case)
            before = _snapshot(arguments)
            try:
                with time_limit(self.time_limit):
                    got = answer(*arguments)
            except TooSlow:
                raise
            except NotImplementedError:
                return not_attempted("Your function still raises NotImplementedError: write its body, then run "
                                     "this cell again.")
            except Exception as error:  # the learner's code raised: translate it
                return self._explain_error(error, case)
            if got is Ellipsis:
                return not_attempted("Your function returns `...`: write its body, then run this cell again.")
            if got is None:
                return incorrect("Your function returns `None`: did you forget the `return` statement?")
            if not _unchanged(before, arguments):
                return incorrect("Your function changed its input tensor in place. Compute a new tensor "
                                 "instead (avoid `+=`, `.add_()`, `x[...] = ...` on the input).",
                                 mistake="modifies its input")
        else:
            got = answer
        if isinstance(expected, torch.Tensor) and isinstance(got, (list, tuple)) and not self.check_dtype:
            got = _values_as_tensor(got)  # only the values are asked for: accept [6., 10., 14.] too
        if self.compare is not None:
            difference = self.compare(got, expected, case)
        else:
            difference = _difference(got, expected, self._tolerance, "", self.requires_grad, self.check_dtype)
        if difference is None:
            return None
        for mistake in self.mistakes:
            if mistake.matches(got, case, self._tolerance):
                return incorrect(mistake.hint, mistake=mistake.name)
        return incorrect(difference + self._case_note(case))

    def _case_note(self, case: tuple) -> str:
        if not self.function:
            return ""
        shown = ", ".join(_short(v) for v in case)
        return f"\n(The input was: {shown}.)"

    def _explain_error(self, error: BaseException, case: tuple) -> Result:
        name = type(error).__name__
        for rule in list(self.error_hints) + list(COMMON_ERROR_HINTS):
            if rule.matches(error):
                return incorrect(f"Your code raised {name}: {_clip(str(error))}\nHint: {rule.hint}"
                                 + self._case_note(case), mistake=rule.name)
        return incorrect(f"Your code raised {name}: {_clip(str(error))}" + self._case_note(case))


def _values_as_tensor(values):
    """A (nested) list of plain numbers as a float64 tensor; anything else unchanged (the type check
    then explains what is expected)."""
    def numbers_only(v) -> bool:
        if isinstance(v, (list, tuple)):
            return all(numbers_only(x) for x in v)
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if not numbers_only(values):
        return values
    try:
        return torch.tensor(values, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):  # ragged nesting
        return values


def _clip(text: str, limit: int = 300) -> str:
    text = text.strip().splitlines()[0] if text.strip() else ""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _short(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        if value.numel() <= 8:
            return repr(value.detach()).replace("\n", " ")
        return f"a tensor of shape {tuple(value.shape)}"
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "\u2026"
