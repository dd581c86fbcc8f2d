"""Exercise checks: a verdict (Correct / Incorrect / Not attempted) with a message a learner can act on.

The engine is split by concern: this module (results, exercises, the order of the verdicts),
:mod:`lessonkit.observe` (what learner code calls and does to its inputs) and :mod:`lessonkit.diagnosis`
(general relations between a wrong answer and the expected one).

A *function* exercise runs the learner's function on a fresh copy of every case first, inside
:func:`lessonkit.observe.recording` (a ``torch.overrides.TorchFunctionMode``: the torch functions and
Tensor methods it calls, whatever alias it used; its source text is never read). The verdict is the
first of:

1. a :class:`Forbid` rule broken on any case (``Forbid.message``; e.g. ``torch.special.expit`` where
   ``functions=("sigmoid",)``, or ``backward()``/``torch.autograd.grad`` where ``autograd=True``);
2. an exception, translated by an :class:`ErrorHint` (which replaces PyTorch's text: it may name the
   very function the exercise asks for), naming the failing case when the others run;
3. a change to the caller's tensors (values, also via ``.data``; ``requires_grad``; ``.grad``) unless
   the exercise lists it in ``may_change``;
4. ``None`` returned (told apart from a ``.grad`` that is still ``None`` because ``backward()`` never
   ran, from the call log);
5. the comparison on every case: exists -> type -> dtype/device -> shape -> autograd state -> values.

A *value* exercise starts at 5. When the answer is wrong somewhere: right values in the wrong form
(dtype, requires_grad, list) are said as such; then a :class:`Mistake` fingerprint that explains the
answer on *every* case; then :func:`lessonkit.diagnosis.diagnose` (lower precision, NaN/inf or large
inputs -> stability, sign, factor 2 / 1/2 / N / 1/N / constant, transposed, another reduction or a
lost ``keepdim``, the other dimension, a constant shift); then the first violated :class:`Property`;
then "k of n values differ", naming the failing case ("the 0-d input") and showing its input once.
The expected value is never shown, and the learner's tensors are never modified.

Lesson code can inspect what the learner's function called: ``exercise.last_calls`` (a
:class:`lessonkit.observe.CallLog` of the last case run: ``.called("exp")``, ``.autograd``,
``.backward``, ``.calls``), or record any code with ``with lessonkit.observe.recording() as log:``.

Optional fields: ``kind="predict"`` marks a predict-the-output question; ``key`` the solution's key
expression(s) (tests/test_transfer.py); ``may_change`` what the function may do to its inputs;
``observe_calls=False`` turns call recording off (it roughly doubles the cost of each torch call).

Lesson modules declare exercises; notebooks call ``exercise.check(answer)``, ``exercise.hint()`` and
``exercise.solution()``.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import html
import math
import re
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from lessonkit.diagnosis import Run, describe_cases, diagnose, diagnose_precision
from lessonkit.i18n import N_, _
from lessonkit.observe import CallLog, canonical, changes, recording, snapshot  # noqa: F401 (re-exported)

# --------------------------------------------------------------------------------------------------
# Results


class Status(enum.Enum):
    # the English label is the value; shown translated (Result._title)
    CORRECT = N_("Correct")
    INCORRECT = N_("Incorrect")
    NOT_ATTEMPTED = N_("Not attempted")
    INTERNAL_ERROR = N_("Internal error")


_STYLE = {
    Status.CORRECT: ("#e6f4ea", "#137333", "\u2714"),
    Status.INCORRECT: ("#fce8e6", "#a50e0e", "\u2718"),
    Status.NOT_ATTEMPTED: ("#f1f3f4", "#3c4043", "\u2026"),
    Status.INTERNAL_ERROR: ("#fef7e0", "#8a5300", "\u26a0"),
}


_CJK = "\u3400-\u4dbf\u4e00-\u9fff"


def _inline_markup(text: str) -> str:
    """HTML for a message: escaped, with `code` and *emphasis* marked up, newlines kept."""
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    # (a CJK character may touch the stars: Chinese text puts *强调* right next to other characters)
    escaped = re.sub(rf"(?<![^\W{_CJK}]|\*)\*([^*\s][^*]*)\*(?![^\W{_CJK}]|\*)", r"<em>\1</em>", escaped)
    return escaped.replace("\n", "<br>")


@dataclass(frozen=True)
class Result:
    """The verdict of one check. Shown as a coloured box in Jupyter and as plain text elsewhere."""

    status: Status
    message: str
    exercise: str = ""
    mistake: str | None = None  # the name of the fingerprinted mistake, when one matched
    # True when the message names no cause (the last resort "k of n values differ", a raw error): the
    # feedback benchmark tells such messages apart from specific (possibly misleading) ones
    generic: bool = field(default=False, compare=False)

    @property
    def correct(self) -> bool:
        return self.status is Status.CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def _title(self) -> str:
        # status, mistake name and exercise title stay English in the fields (tests and lessons compare
        # them); they are translated where they are shown
        title = _(self.status.value)
        if self.mistake:
            title += f" \u2014 {_(self.mistake)}"
        return title

    def __repr__(self) -> str:
        head = f"[{_(self.exercise)}] " if self.exercise else ""
        return head + _("{verdict}: {message}").format(verdict=self._title(), message=self.message)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        background, color, icon = _STYLE[self.status]
        name = f"<b>{html.escape(_(self.exercise))}</b> &middot; " if self.exercise else ""
        body = _inline_markup(self.message)
        return (
            f'<div style="background:{background};color:{color};border-left:4px solid {color};'
            f'padding:6px 10px;margin:4px 0;font-family:sans-serif">'
            f"{name}<b>{icon} {html.escape(self._title())}</b><br>{body}</div>"
        )


def correct(message: str | None = None) -> Result:
    return Result(Status.CORRECT, _("Well done.") if message is None else message)


def incorrect(message: str, mistake: str | None = None) -> Result:
    return Result(Status.INCORRECT, message, mistake=mistake)


def not_attempted(message: str | None = None) -> Result:
    if message is None:
        message = _("Replace the `...` with your answer, then run this cell again.")
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
        """Whether this mistake explains ``answer`` on one case (``None`` when it cannot say)."""
        return self._on_case(answer, inputs, tolerance, wrong_case=True) is True

    def _on_case(self, answer: Any, inputs: tuple, tolerance: dict, wrong_case: bool) -> bool | None:
        try:
            if self.test is not None:
                if not wrong_case:
                    return None  # a predicate judges wrong answers only
                return bool(self.test(answer, *_fresh(inputs)))
            if self.wrong is not None:
                with torch.no_grad():
                    wrong = self.wrong(*_fresh(inputs))
                return _same(answer, wrong, tolerance)
        except Exception:  # a fingerprint that cannot be evaluated on this case says nothing about it
            return None
        return None

    def support(self, runs: Sequence, tolerance: dict) -> int:
        """On how many cases this mistake reproduces the learner's answer (right cases included)."""
        return sum(self._on_case(run.got, run.case, tolerance, wrong_case=run.wrong) is True for run in runs)

    def explains(self, runs: Sequence, tolerance: dict) -> bool:
        """Whether this mistake explains the answer on every case: a ``wrong`` function must give the
        learner's value on every case where it is defined; a ``test`` must hold on every case where the
        answer is wrong. It must say something on at least one wrong case."""
        said = False
        for run in runs:
            verdict = self._on_case(run.got, run.case, tolerance, wrong_case=run.wrong)
            if verdict is False:
                return False
            if verdict is True and run.wrong:
                said = True
            if verdict is None and run.wrong and self.test is not None:
                return False
        return said


@dataclass(frozen=True)
class ErrorHint:
    """Translate an exception raised by learner code: its type and a regex on its message."""

    pattern: str
    hint: str
    kind: type[BaseException] = Exception
    name: str | None = None

    def matches(self, error: BaseException) -> bool:
        return isinstance(error, self.kind) and re.search(self.pattern, str(error), re.S) is not None

    def text(self, error: BaseException) -> str:
        """The hint, with ``{g1}``, ``{g2}``... replaced by the pattern's groups in the error message."""
        match = re.search(self.pattern, str(error), re.S)
        text = _(self.hint)
        for number, group in enumerate(match.groups() if match else (), start=1):
            text = text.replace(f"{{g{number}}}", group or "")
        return text


# Errors every lesson meets; an exercise's own ErrorHints are tried first. A matching hint is shown
# *instead of* PyTorch's message (which may name the very function an exercise asks for), so each hint
# says what the error means in the learner's terms.
COMMON_ERROR_HINTS = (
    ErrorHint(r"'(float|int)' object has no attribute '(backward|grad|requires_grad_?|detach|item|numpy)'",
              N_("A Python {g1} has no `.{g2}`: it is a plain number, not a tensor, so autograd and tensor "
              "methods are gone. You turned a tensor into a number too early (`.item()`, `float()`, "
              "`.tolist()` or a `math.` function). Keep it a tensor until the very end."),
              name=N_("a number where a tensor is needed")),
    ErrorHint(r"'(float|int)' object has no attribute '(\w+)'",
              N_("A Python {g1} has no `.{g2}()`: it is a plain number, not a tensor (did `.item()`, `float()` or "
              "a `math.` function turn your tensor into a number?). Keep the computation in tensors."),
              name=N_("a number where a tensor is needed")),
    ErrorHint(r"'list' object has no attribute '(\w+)'",
              N_("A Python list has no `.{g1}`: tensor methods work on tensors only. Build a tensor "
              "(`torch.tensor(values)` or `torch.stack(list_of_tensors)`), or keep the computation in "
              "tensors from the start."), name=N_("a list where a tensor is needed")),
    ErrorHint(r"'(tuple|torch\.return_types\.\w+)' object has no attribute '(\w+)'",
              N_("You used a *tuple* like a tensor (it has no `.{g2}`). Some functions return several things "
              "at once: `torch.autograd.grad` returns one gradient per input (a tuple, even for one input), "
              "`max(dim=...)`/`min(dim=...)` return (values, indices). Pick the element you need."),
              name=N_("a tuple where a tensor is needed")),
    ErrorHint(r"'(builtin_function_or_method|method)' object has no attribute|"
              r"unsupported operand type\(s\) for .*'(builtin_function_or_method|method)'",
              N_("You used a method without calling it: `x.sum` is the method itself, `x.sum()` its result. "
              "Add the parentheses."), name=N_("method not called")),
    ErrorHint(r"'NoneType' object has no attribute|unsupported operand type\(s\) for .*'NoneType'|"
              r"'NoneType' object is not",
              N_("Something you used is `None`. Usual suspects: a `.grad` read before `backward()` ran (or of a "
              "tensor that is not a leaf requiring grad), a function of yours without `return`, or the "
              "result of an in-place method such as `list.append`."), name=N_("None where a value is needed")),
    ErrorHint(r"both arguments to matmul need to be at least 1D|1D tensors expected, but got 0D|"
              r"self must be a matrix|vector \+ matrix @ vector expected",
              N_("`@`, `torch.matmul`, `torch.dot`, `torch.mm` and `torch.mv` need tensors with at least one "
              "dimension of the right kind; a 0-d tensor (a single number) has none. For a 0-d tensor use "
              "`*` (element-wise), or make sure your function handles inputs of every shape it gets."),
              name=N_("matrix product of a 0-d tensor")),
    ErrorHint(r"'Tensor' object is not callable",
              N_("You called a tensor like a function: `x(2)` or `2(x + 1)`. Write the multiplication sign "
              "(`2 * (x + 1)`), or check that a variable did not take the name of a function."),
              name=N_("a tensor called like a function")),
    ErrorHint(r"can't multiply sequence by non-int|unsupported operand type\(s\) for .*'list'|"
              r"can only concatenate list",
              N_("Python lists do not compute element-wise (`[1., 2.] * 0.5` is an error, `[1.] + [2.]` joins "
              "lists). Make a tensor first: `torch.tensor(values)`."), name=N_("arithmetic on a list")),
    ErrorHint(r"argument '\w+' \(position \d+\) must be Tensor, not (float|int|list|tuple)|"
              r"expected Tensor as element \d+ in argument \d+, but got (float|int|list)",
              N_("A torch function got a Python number or list where it needs a tensor. Make one with "
              "`torch.tensor(...)` (or keep your values as tensors instead of calling `.item()`)."),
              name=N_("a number where a tensor is needed")),
    ErrorHint(r"only one element tensors can be converted to Python scalars|must be real number, not Tensor",
              N_("A `math.` function or `float()` got a tensor with several elements: they work on one Python "
              "number only. Use the element-wise `torch.` functions instead."), name=N_("math on a tensor")),
    ErrorHint(r"Boolean value of Tensor with more than one value is ambiguous",
              N_("`if`, `and`, `or`, `not`, Python's `max`/`min` or a chained comparison need *one* True/False, "
              "but your tensor has many. Use element-wise tensor operations (`torch.where`, `torch.maximum`, "
              "`&`, `|`) or reduce with `.all()`/`.any()`."), name=N_("truth value of a tensor")),
    ErrorHint(r"could not infer output dtype|result type Float can't be cast to the desired output type",
              N_("An integer tensor cannot hold this floating-point result. Convert it first with `.float()` "
              "(or `.to(other.dtype)`)."), name=N_("integer tensor")),
    ErrorHint(r"one_hot is only applicable to index tensor",
              N_("One-hot encoding needs integer class *indices* (dtype `torch.long`), not floats."),
              name=N_("one-hot of floats")),
    ErrorHint(r"view size is not compatible with input tensor's size and stride",
              N_("`.view()` needs a contiguous tensor (a transposed one is not). Use `.reshape()`."),
              name=N_("view of a non-contiguous tensor")),
    ErrorHint(r"index -?\d+ is out of bounds for dimension (\d+) with size (\d+)",
              N_("An index is out of range: dimension {g1} only has {g2} entries (indices 0 to {g2} - 1). Check "
              "which dimension you index, and that your code works for inputs of every size."),
              name=N_("index out of range")),
    ErrorHint(r"", N_("A division by zero in plain Python: some count or sum you divide by is 0 here (an empty "
                   "input?). Tensor division gives inf or NaN instead."), kind=ZeroDivisionError,
              name=N_("division by zero")),
    ErrorHint(r"", N_("Your function calls itself without end: a name inside it refers to the function itself "
                   "(did you name a helper or a variable like your function?)."), kind=RecursionError,
              name=N_("endless recursion")),
    ErrorHint(r"a Tensor with \d+ elements cannot be converted to Scalar",
              N_("`.item()` only works on a tensor with exactly one element. For many elements use "
              "`.tolist()`, or index one element first.")),
    ErrorHint(r"Can't call numpy\(\) on Tensor that requires grad",
              N_("This tensor is part of an autograd graph. Call `.detach()` before `.numpy()`.")),
    ErrorHint(r"does not require grad and does not have a grad_fn",
              N_("Autograd has nothing to differentiate: the tensor you differentiate was not computed "
              "from a tensor with `requires_grad=True`. Set it before building the computation.")),
    ErrorHint(r"appears to not have been used in the graph",
              N_("You asked for the gradient with respect to a tensor the output was not computed from "
              "(a slice like `a[:, 0]` or a tensor rebuilt after the graph was made is a *new* tensor). "
              "Differentiate with respect to the original leaf, then index the gradient.")),
    ErrorHint(r"Trying to backward through the graph a second time",
              N_("The graph was freed by the first backward/grad call. Rebuild it (run the forward "
              "computation again) or pass `retain_graph=True` to the first call.")),
    ErrorHint(r"grad can be implicitly created only for scalar outputs",
              N_("`backward()` / `autograd.grad` without a `gradient`/`grad_outputs` needs a scalar output. "
              "Reduce it first (e.g. `.sum()`), or pass the vector for a vector-Jacobian product.")),
    ErrorHint(r"(?i)only Tensors of floating point",
              N_("Integer tensors cannot require gradients: make it a float tensor, e.g. `torch.tensor([1., 2.])` "
              "or `.float()`.")),
    ErrorHint(r"params argument given to the optimizer should be an iterable",
              N_("Optimizers take an *iterable* of tensors: write `[x]`, not `x`.")),
    ErrorHint(r"a leaf Variable that requires grad is being used in an in-place operation",
              N_("You changed a leaf that requires grad in place while autograd was recording. "
              "Wrap a manual update in `with torch.no_grad():` (or let the optimizer do it).")),
    ErrorHint(r"The size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\) at non-singleton "
              r"dimension (\d+)",
              N_("Two shapes do not broadcast: sizes {g1} and {g2} meet in dimension {g3}. Print the `.shape` "
              "of each operand; a per-row quantity (a sum, max or mean over `dim=1`) must keep its "
              "dimension (`keepdim=True`) to broadcast against the rows."), name=N_("shapes do not broadcast")),
    ErrorHint(r"mat1 and mat2 shapes cannot be multiplied|size mismatch|must match the size",
              N_("Two shapes do not fit together. Print the `.shape` of each operand.")),
    ErrorHint(r"expected scalar type|expected .*dtype|Found dtype",
              N_("Two tensors have different dtypes. Check `.dtype`; convert with `.float()` or `.long()`.")),
    ErrorHint(r"Dimension out of range", N_("A `dim=` argument is larger than the tensor has dimensions "
              "(does your code work for inputs with fewer dimensions, such as a 1-D or 0-d tensor?).")),
    ErrorHint(r"", N_("Python could not find a name. Did you run the cells above this one?"), kind=NameError),
)


@dataclass(frozen=True)
class Property:
    """A property every correct answer has (e.g. "outputs lie in (0, 1)", "rows sum to 1").

    ``holds(got, *case) -> bool`` is evaluated on the learner's answer for every case (for a value
    exercise: once, with the exercise's inputs). When the answer is wrong and no fingerprint or general
    relation explains it, the first violated property names the mistake with ``message``. An exception
    inside ``holds`` counts as "holds" (the property cannot judge that answer).
    """

    name: str
    message: str
    holds: Callable[..., bool]


@dataclass(frozen=True)
class Forbid:
    """A rule the exercise text states about *how* to compute the answer, enforced by observation.

    While the learner's function runs, every torch function and Tensor method it calls is recorded
    (a ``torch.overrides.TorchFunctionMode``), never by reading its source. ``functions`` are plain
    names (``"sigmoid"``, ``"softmax"``, ``"cross_entropy"``) matched against the called functions'
    names, so aliases (``import torch.nn.functional as G``, ``z.sigmoid()``, ``torch.special.expit``)
    are caught and comments or docstrings are not. ``autograd=True`` forbids ``backward()`` and
    ``torch.autograd.grad`` (for "without autograd" exercises).
    """

    name: str
    message: str
    functions: tuple[str, ...] = ()
    autograd: bool = False

    def violated(self, log: CallLog) -> bool:
        """Whether the calls in ``log`` break this rule."""
        return bool(log.called(*self.functions)) or (self.autograd and log.autograd)


# --------------------------------------------------------------------------------------------------
# Learner code guards


class TooSlow(BaseException):  # not an Exception: learner code's `except Exception` cannot swallow it
    """Raised inside learner code that runs past its time limit (``seconds``: that limit)."""

    def __init__(self, message: str = "", seconds: float | None = None):
        super().__init__(message)
        self.seconds = seconds


# the verdict on code stopped by its time limit (tests/mistakes tells such verdicts apart by its end)
TOO_SLOW = N_("Your code was stopped after {seconds} s: it is too slow or never finishes (an endless loop?).")


@contextmanager
def time_limit(seconds: float):
    """Stop learner code after ``seconds`` (main thread of a POSIX process; elsewhere no limit).

    Limits nest: an inner limit never extends an outer one, and the outer one is re-armed with what is left
    of it when the inner one ends. Once the time is up, TooSlow is raised again every 50 ms until the block
    ends, so code that swallows one (a bare ``except:``, or a signal landing in a garbage-collector callback,
    where Python can only print the exception) is still stopped.
    """
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    state = {"active": True}

    def _raise(signum, frame):
        if state["active"] and not _importing(frame):
            raise TooSlow(f"stopped after {seconds:g} s", seconds)

    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _raise)
    outer_left, _interval = signal.setitimer(signal.ITIMER_REAL, 0)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_left) if outer_left else seconds, 0.05)
    try:
        yield
    finally:
        while True:  # a TooSlow landing inside this cleanup must not leave the timer armed
            try:
                state["active"] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                if outer_left:  # give the enclosing limit back what is left of it (at least a tick)
                    ours = getattr(previous, "__qualname__", "").startswith("time_limit.")
                    signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - start), 1e-3),
                                     0.05 if ours else 0)
                break
            except TooSlow:
                continue


def _importing(frame) -> bool:
    """Whether ``frame`` runs inside an import. A stop is held back until the import is done (the timer
    fires again every 50 ms): a module interrupted halfway stays broken in ``sys.modules`` for the rest of
    the session (the first ``optimizer.step()`` imports sympy lazily; stopped there under load, every later
    check failed with "module 'sympy' has no attribute 'core'")."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


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
    "tensor": N_("a tensor"), "int": N_("a Python int"), "float": N_("a Python float"), "bool": N_("a bool"),
    "list": N_("a list"), "tuple": N_("a tuple"), "NoneType": "None", "function": N_("a function"),
}


def _describe(kind: str) -> str:
    """Words for a kind of value, substituted into sentences ("a Python int")."""
    if kind in _KIND_WORDS:
        return _(_KIND_WORDS[kind])
    # TRANSLATORS: {kind} is a Python type name (str, dict, generator, ...)
    return _("a {kind}").format(kind=kind)


def _at(path: str) -> str:
    """Where in a nested answer, substituted as {where} into sentences (empty for the answer itself)."""
    # TRANSLATORS: substituted as {where} right after "Your answer"/"Your tensor"; {path} is like [0][1]
    return _(" at {path}").format(path=path) if path else ""


def _same(answer: Any, expected: Any, tolerance: dict) -> bool:
    """Whether ``answer`` equals ``expected`` in value (for fingerprints: the dtype does not matter)."""
    return _difference(answer, expected, tolerance, path="", requires_grad=None, check_dtype=False) is None


def _difference(answer: Any, expected: Any, tolerance: dict, path: str, requires_grad: bool | None,
                check_dtype: bool = True) -> str | None:
    """``None`` when ``answer`` matches ``expected``; otherwise a sentence saying the first difference.

    The sentence describes the *answer* (its type, dtype, shape, where it differs), never the
    expected values.
    """
    where = _at(path)
    kind, want = _kind(answer), _kind(expected)
    # type (a Python int may stand for a float: the value comparison below decides)
    numeric = {"int", "float"}
    sequences = {"list", "tuple"}
    if kind != want and not (kind in numeric and want == "float") and not {kind, want} <= sequences:
        return _("Your answer{where} is {kind}, but {expected} is expected.").format(
            where=where, kind=_describe(kind), expected=_describe(want))
    if want == "tensor":
        return _tensor_difference(answer, expected, tolerance, where, requires_grad, check_dtype)
    if want in ("list", "tuple"):
        if len(answer) != len(expected):
            # TRANSLATORS: {kind} is the Python type name list or tuple
            return _("Your {kind}{where} has {count} elements, but {expected} are expected.").format(
                kind=kind, where=where, count=len(answer), expected=len(expected))
        for i, (a, e) in enumerate(zip(answer, expected)):
            diff = _difference(a, e, tolerance, f"{path}[{i}]", requires_grad, check_dtype)
            if diff:
                return diff
        return None
    if want in numeric:
        a, e = float(answer), float(expected)
        if math.isnan(a) and not math.isnan(e):
            return _("Your answer{where} is NaN.").format(where=where)
        if math.isinf(a) and not math.isinf(e):
            return _("Your answer{where} is infinite.").format(where=where)
        if not math.isclose(a, e, rel_tol=tolerance["rtol"], abs_tol=tolerance["atol"]):
            return _("Your value{where} ({value}) is not the expected value.").format(where=where, value=f"{a:.6g}")
        return None
    return None if answer == expected else _("Your answer{where} is not the expected value.").format(where=where)


def _tensor_difference(answer: torch.Tensor, expected: torch.Tensor, tolerance: dict, where: str,
                       requires_grad: bool | None, check_dtype: bool) -> str | None:
    if answer.device != expected.device:
        return _("Your tensor{where} is on device `{device}`; keep it on `{expected}`.").format(
            where=where, device=answer.device, expected=expected.device)
    if check_dtype and answer.dtype != expected.dtype:
        return _("Your tensor{where} has dtype `{dtype}`, but `{expected}` is expected.").format(
            where=where, dtype=answer.dtype, expected=expected.dtype)
    if answer.shape != expected.shape:
        return _("Your tensor{where} has shape {shape}, but shape {expected} is expected.").format(
            where=where, shape=tuple(answer.shape), expected=tuple(expected.shape))
    if requires_grad is not None and answer.requires_grad != requires_grad:
        if requires_grad:
            return _("Your tensor{where} does not require grad: autograd cannot differentiate through it.").format(
                where=where)
        return _("Your tensor{where} still requires grad (it is part of a graph). "
                 "Return a plain value: `.detach()` it, or compute it under `torch.no_grad()`.").format(where=where)
    a = answer.detach().to(torch.float64) if answer.is_floating_point() or not check_dtype else answer.detach()
    e = expected.detach().to(a.dtype)
    # (not torch.testing.assert_close: its first call imports torch.distributed and sympy, 4 s)
    if a.is_floating_point() or a.is_complex():
        same = bool(torch.isclose(a, e, rtol=tolerance["rtol"], atol=tolerance["atol"], equal_nan=True).all())
    else:
        same = bool((a == e).all())
    if same:
        return None
    if a.is_floating_point():
        bad_nan = torch.isnan(a) & ~torch.isnan(e)
        if bad_nan.any():
            return _("Your tensor{where} contains NaN at index {index} where a number is expected.").format(
                where=where, index=_first(bad_nan))
        bad_inf = torch.isinf(a) & ~torch.isinf(e)
        if bad_inf.any():
            return _("Your tensor{where} contains inf at index {index} where a finite number is expected.").format(
                where=where, index=_first(bad_inf))
        close = torch.isclose(a, e, rtol=tolerance["rtol"], atol=tolerance["atol"], equal_nan=True)
    else:
        close = a == e
    wrong = (~close).sum().item()
    return _("{count} of {total} values of your tensor{where} differ from the expected ones "
             "(the first at index {index}).").format(count=wrong, total=a.numel(), where=where, index=_first(~close))


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
    success: str = N_("Well done.")
    # extra verdicts run on the answer before the comparison (return a Result to stop there)
    pre_checks: Sequence[Callable[..., Result | None]] = ()
    # replaces the value comparison: ``compare(got, expected, case) -> None | sentence``, for
    # exercises judged by a property (e.g. "reaches any minimum") rather than one expected value
    compare: Callable[..., str | None] | None = None
    # properties every correct answer has, and rules on how it may be computed (see Property, Forbid)
    properties: Sequence[Property] = ()
    forbid: Sequence[Forbid] = ()
    # the key expression(s) of the solution: each must occur in ``solution_text`` and in no notebook cell
    # above the exercise (tests/test_transfer.py), so an exercise asks for transfer, not retyping
    key: Sequence[str] = ()
    # "predict" marks a predict-the-output question (the learner states what code will print/return);
    # "" for every other exercise. Each lesson has at least one (tests/test_transfer.py).
    kind: str = ""
    # what the learner's function may do to the tensors it is given: a subset of "grad" (write their
    # .grad, e.g. by calling backward()), "requires_grad" (switch it on/off), "values" (change them in
    # place). Anything else is reported as "changes the caller's tensor".
    may_change: Sequence[str] = ()
    # record the torch calls of the learner's function (needed by ``forbid``; costs about as much again
    # per torch call, so a long training loop without rules may switch it off)
    observe_calls: bool = True
    _hints_shown: int = field(default=0, init=False, repr=False)
    # the calls the learner's function made in the last case run (see lessonkit.observe.CallLog)
    last_calls: CallLog | None = field(default=None, init=False, repr=False, compare=False)

    # ---- public API used in notebooks ----
    def check(self, answer: Any) -> Result:
        """Return a verdict for ``answer``; never raises, never changes ``answer``."""
        try:
            result = self._check(answer)
        except TooSlow as error:
            if error.seconds is None:  # raised by lesson code with its own words
                result = incorrect(_("Your code was {error}: it is too slow or never finishes (an endless "
                                     "loop?).").format(error=error))
            else:
                result = incorrect(_(TOO_SLOW).format(seconds=f"{error.seconds:g}"))
        except Exception:  # noqa: BLE001 -- anything left is lessonkit's fault, never the learner's
            detail = traceback.format_exc(limit=-2).strip().splitlines()[-1]
            result = Result(Status.INTERNAL_ERROR,
                            _("The checker itself failed: this is a bug in lessonkit, not in your answer. "
                              "Please report it with this line: {detail}").format(detail=detail))
        # _() again: a pre-check or compare function may return an N_-marked message untranslated
        return Result(result.status, _(result.message), self.title, result.mistake, result.generic)

    def hint(self) -> Note:
        """The next hint (each call reveals one more)."""
        title = _(self.title)
        if not self.hints:
            return Note(_("{title}: no hints").format(title=title), _("There are no hints for this exercise."))
        self._hints_shown = min(self._hints_shown + 1, len(self.hints))
        number, total = self._hints_shown, len(self.hints)
        if number < total:
            label = _("{title}: hint {number} of {total} (call hint() again for the next one)")
        else:
            label = _("{title}: hint {number} of {total} (that was the last one)")
        return Note(label.format(title=title, number=number, total=total), _(self.hints[number - 1]))

    def solution(self) -> Note:
        """The worked solution, once every hint has been seen."""
        title = _(self.title)
        if self._hints_shown < len(self.hints):
            left = len(self.hints) - self._hints_shown
            return Note(_("{title}: solution locked").format(title=title),
                        _("Try the hints first: {left} hint(s) left. Call hint() until you have seen them all, "
                          "then solution() shows a worked answer.").format(left=left))
        return Note(_("{title}: a solution").format(title=title), _(self.solution_text).strip())

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
            return not_attempted(_("Your answer is `None`. Replace the `...` with your answer. (If it comes "
                                   "from a function, did the function forget to `return`? If it is a `.grad`, "
                                   "was `backward()` called first?)"))
        if any(answer is marker for marker in NOT_DONE):
            return not_attempted()
        if self.function and not callable(answer):
            return incorrect(_("Pass your function itself (its name, without parentheses); you passed "
                               "{what}.").format(what=_describe(_kind(answer))))
        for pre in self.pre_checks:  # a lesson's own observation runs learner code too: never unbounded
            with time_limit(self.time_limit):
                verdict = pre(answer)
            if verdict is not None:
                return verdict
        cases = self._cases()
        if self.function:
            outcome = self._run_all(answer, cases)
            if isinstance(outcome, Result):
                return outcome
            gots = outcome
        else:
            gots = [answer]
        runs, differences = [], []
        for case, got in zip(cases, gots):
            expected = self.reference(*_fresh(case))
            if isinstance(expected, torch.Tensor) and isinstance(got, (list, tuple)) and not self.check_dtype:
                got = _values_as_tensor(got)  # only the values are asked for: accept [6., 10., 14.] too
            if self.compare is not None:
                difference = self.compare(got, expected, case)
            else:
                difference = _difference(got, expected, self._tolerance, "", self.requires_grad, self.check_dtype)
            runs.append(Run(case, expected, got, difference is not None))
            differences.append(difference)
        if not any(run.wrong for run in runs):
            return correct(_(self.success))
        return self._explain_wrong(runs, differences)

    def _run_all(self, answer: Callable, cases: list[tuple]) -> list | Result:
        """Call the learner's function on a fresh copy of every case, observing what it calls and what it
        does to its arguments. Returns the values, or a verdict that needs no comparison."""
        gots, logs, problems = [], [], []
        for index, case in enumerate(cases):
            arguments = _fresh(case)
            before = snapshot(arguments)
            log = CallLog()
            error = None
            try:
                with time_limit(self.time_limit), _recording_into(log, self.observe_calls):
                    got = answer(*arguments)
            except TooSlow:
                raise
            except NotImplementedError:
                return not_attempted(_("Your function still raises NotImplementedError: write its body, then "
                                       "run this cell again."))
            except RecursionError as caught:
                error, got = caught, None
            except Exception as caught:  # the learner's code raised: translated below
                error, got = caught, None
            self.last_calls = log
            logs.append(log)
            if error is None and got is Ellipsis:
                return not_attempted(_("Your function returns `...`: write its body, then run this cell again."))
            changed = [c for c in changes(before, arguments) if c not in self.may_change]
            problems.append((index, case, error, changed))
            gots.append(got)
        # 1. rules stated by the exercise (observed on every case, even one that raised)
        for rule in self.forbid:
            if any(rule.violated(log) for log in logs):
                return incorrect(_(rule.message), mistake=rule.name)
        # 2. exceptions
        raised = [index for index, _case, error, _changed in problems if error is not None]
        if raised:
            index = raised[0]
            where = describe_cases([cases[i] for i in raised], [c for i, c in enumerate(cases) if i not in raised])
            return self._explain_error(problems[index][2], problems[index][1], where)
        # 3. side effects on the caller's tensors
        for *_rest, changed in problems:
            if changed:
                return incorrect(_(_CHANGE_MESSAGES[changed[0]]), mistake=N_("modifies its input"))
        # 4. None returned
        nones = [i for i, got in enumerate(gots) if got is None]
        if nones:
            message = _none_message(logs[nones[0]])
            where = describe_cases([cases[i] for i in nones], [c for i, c in enumerate(cases) if i not in nones])
            if where:
                message = _("{message} (It returns `None` on {where} only: is a `return` missing on one "
                            "path?)").format(message=message, where=where)
            return incorrect(message)
        return gots

    def _explain_wrong(self, runs: list[Run], differences: list[str | None]) -> Result:
        # values that differ with the precision of a lower dtype: said first (see diagnosis.diagnose_precision)
        differ = self.compare is None and not all(_same(run.got, run.expected, self._tolerance)
                                                  for run in runs if run.wrong)
        message = diagnose_precision(runs, self.reference, self._tolerance) if differ else None
        if message:
            return incorrect(message + self._case_note(runs), mistake=None)
        # fingerprints: a mistake must explain the answer on every case; when several do, the one that
        # agrees with the answer on the most cases wins (a `wrong` function that also reproduces the right
        # cases is stronger evidence than a predicate that only looks at a wrong case), then list order
        explaining = [(mistake.support(runs, self._tolerance), -index, mistake)
                      for index, mistake in enumerate(self.mistakes) if mistake.explains(runs, self._tolerance)]
        if explaining:
            mistake = max(explaining, key=lambda item: item[:2])[2]
            return incorrect(_(mistake.hint), mistake=mistake.name)
        # right values, wrong form (dtype, requires_grad, a list for a tensor...): say exactly that
        first = next(i for i, run in enumerate(runs) if run.wrong)
        if self.compare is None and all(_same(run.got, run.expected, self._tolerance) for run in runs if run.wrong):
            return incorrect(differences[first] + self._case_note(runs, runs[first], differences[first]))
        # general relations between the answer and the expected value
        message = diagnose(runs, self.reference, self._tolerance) if self.compare is None else None
        if message:
            return incorrect(message + self._case_note(runs), mistake=None)
        # declared properties
        for prop in self.properties:
            for run in runs:
                if not _holds(prop, run):
                    return incorrect(_(prop.message) + self._case_note(runs, run), mistake=prop.name)
        # the first difference, on a described case
        difference = differences[first]
        where = None
        if self.function and len(runs) > 1:
            where = describe_cases([r.case for r in runs if r.wrong], [r.case for r in runs if not r.wrong])
        lead = _("Your function is right on the other inputs but not on {where}.").format(where=where) + "\n" \
            if where else ""
        result = incorrect(lead + difference + self._case_note(runs, runs[first], difference))
        return dataclasses.replace(result, generic=not where)

    def _case_note(self, runs: list[Run], run: Run | None = None, text: str = "") -> str:
        """The input of the (first) wrong case, shown once (not when the message already shows it)."""
        if not self.function or _shows_input(text):
            return ""
        run = run or next(r for r in runs if r.wrong)
        return _input_note(run.case)

    def _explain_error(self, error: BaseException, case: tuple, where: str | None = None) -> Result:
        """The verdict on an exception; ``where`` describes the failing cases when the others run."""
        name = type(error).__name__
        note = _input_note(case) if self.function else ""
        for rule in list(self.error_hints) + list(COMMON_ERROR_HINTS):
            if rule.matches(error):
                # the hint replaces PyTorch's text, which may name the very function the exercise asks for
                if where:
                    message = _("On {where}, your code raised {error}. {explanation} (It runs on the other "
                                "inputs.)").format(where=where, error=name, explanation=rule.text(error))
                else:
                    message = _("Your code raised {error}. {explanation}").format(error=name,
                                                                                  explanation=rule.text(error))
                return incorrect(message + note, mistake=rule.name)
        if where:
            message = _("On {where}, your code raised {error}: {text} (It runs on the other inputs.)").format(
                where=where, error=name, text=_clip(str(error)))
        else:
            message = _("Your code raised {error}: {text}").format(error=name, text=_clip(str(error)))
        return dataclasses.replace(incorrect(message + note), generic=True)


_INPUT_NOTE = N_("(The input was: {input}.)")


def _input_note(case: tuple) -> str:
    """The note showing a case's input, on its own line."""
    # TRANSLATORS: the separator between the arguments of a case ("tensor(3), tensor([1., 2.]), 0")
    return "\n" + _(_INPUT_NOTE).format(input=_(", ").join(_short(v) for v in case))


def _shows_input(text: str) -> bool:
    """Whether a message already shows the input (a lesson's compare function may show it)."""
    return "The input was" in text or _(_INPUT_NOTE).partition("{input}")[0] in text


_CHANGE_MESSAGES = {
    "values": N_("Your function changes the caller's tensor: it changed the values of the tensor it was given in "
              "place (`+=`, `x[...] = ...`, a method ending in `_` such as `.add_()`, or through `.data`). "
              "Compute a new tensor instead; the caller's tensor must stay as it was."),
    "requires_grad": N_("Your function changes the caller's tensor: it switched `requires_grad` on (or off) for "
                     "the tensor it was given. If you need a tensor that requires grad, make your own copy "
                     "(`.detach().clone()`) and switch it on there."),
    "grad": N_("Your function changes the caller's tensor: it wrote into the `.grad` of the tensor it was given "
            "(`backward()` accumulates into the `.grad` of every leaf it reaches), so the caller's next "
            "gradient would be wrong. Work on a copy of the tensor instead."),
}


def _none_message(log: CallLog) -> str:
    read_grad = bool(log.counts[("grad", "get")])
    if read_grad and log.autograd and not log.backward:
        return _("Your function returns `None`. It read a `.grad` after `torch.autograd.grad` (or a "
                "`torch.func` transform): those *return* the gradients and leave `.grad` untouched, so it is "
                "still `None`. Use the value they return. (Or did you forget `return`?)")
    if read_grad and not log.backward:
        return _("Your function returns `None`. It read a `.grad`, but never called `backward()`: a `.grad` "
                "stays `None` until a backward pass reaches that tensor. (Or did you forget `return`?)")
    if read_grad:
        return _("Your function returns `None`. It called `backward()` and read a `.grad`, but that `.grad` is "
                "still `None`: only a *leaf* tensor that requires grad gets a `.grad` (not an intermediate "
                "result, and not a copy made after the graph was built). (Or did you forget `return`?)")
    return _("Your function returns `None`: did you forget the `return` statement?")


def _holds(prop: Property, run: Run) -> bool:
    try:
        return bool(prop.holds(run.got, *_fresh(run.case)))
    except Exception:  # noqa: BLE001 -- a property that cannot judge this answer holds
        return True


@contextmanager
def _recording_into(log: CallLog, active: bool = True):
    if not active:
        yield log
        return
    with recording() as inner:
        try:
            yield inner
        finally:
            log.calls, log.counts = inner.calls, inner.counts


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


def as_numbers(answer: Any, count: int | None = None) -> torch.Tensor | None:
    """A predicted answer as a 1-D float64 CPU tensor, or ``None`` when it is not plain numbers.

    Accepts a Python number, a (nested) list/tuple of numbers or one-element tensors, a real tensor on
    the CPU in any dtype, or a NumPy array of numbers; ``bool``, complex, meta/GPU tensors and anything
    else give ``None``. With ``count``, the answer must hold exactly that many numbers. Predict-the-output
    exercises read their answers through this one function, so they all accept the same spellings.
    """
    def plain(value) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, torch.Tensor):
            return value.device.type == "cpu" and not value.is_complex() and value.dtype is not torch.bool
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        if type(value).__module__ == "numpy":  # a NumPy array or scalar of ints or floats
            return getattr(getattr(value, "dtype", None), "kind", "") in ("i", "u", "f")
        return isinstance(value, (int, float))

    if not plain(answer):
        return None
    try:
        if isinstance(answer, (list, tuple)):
            answer = [float(v.detach()) if isinstance(v, torch.Tensor) and v.numel() == 1 else v for v in answer]
        got = torch.as_tensor(answer, dtype=torch.float64).detach().reshape(-1)
    except (TypeError, ValueError, RuntimeError, OverflowError):
        return None
    return got if count is None or got.numel() == count else None


def _clip(text: str, limit: int = 300) -> str:
    text = text.strip().splitlines()[0] if text.strip() else ""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _short(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        if value.numel() <= 8:
            return repr(value.detach()).replace("\n", " ")
        return _("a tensor of shape {shape}").format(shape=tuple(value.shape))
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "\u2026"
