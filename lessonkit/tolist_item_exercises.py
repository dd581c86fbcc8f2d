"""Lesson 7 -- the checked exercises of notebooks/07_tolist_item.ipynb (re-exported by tolist_item.py).

1. ``log_entry``: one JSON-ready log record from a step counter, a loss and a parameter tensor (``.item()``
   and ``.tolist()`` applied to three tensors of different shapes, dtypes and autograd states).
2. ``mean_loss``: an evaluation loop returning the mean batch loss as a Python float, without recording a
   graph (transfer of section 3's measurement; observed with ``saved_tensors_hooks``).
3. ``predict_types``: predict what ``tolist()``/``item()`` print for an integer tensor and its quotient.
"""

from __future__ import annotations

import json
import math

import torch
from torch import nn
from torch.nn import functional as F

from lessonkit.checks import ErrorHint, Exercise, Forbid, Mistake, Property, _fresh, incorrect, time_limit
from lessonkit.i18n import N_, _

# --------------------------------------------------------------------------------------------------
# Exercise 1: a JSON-ready log record


def _log_cases():
    w1 = torch.tensor([0.3, -1.7], requires_grad=True)
    loss1 = ((w1 * torch.tensor([1.1, 2.3])).sum() - 3) ** 2          # 0-d, part of a graph
    w2 = torch.tensor([[0.1, 2.0], [3.0, 4.5]], dtype=torch.float64, requires_grad=True)
    loss2 = torch.tensor([0.123456789])                                # shape (1,), no graph
    w3 = torch.tensor(2.5, requires_grad=True)                         # a 0-d parameter
    loss3 = (w3 * 2).reshape(1, 1)                                     # shape (1, 1), in a graph
    return [
        (torch.tensor(3), loss1, w1),
        (torch.tensor(1000), loss2, w2),
        (torch.tensor(0), loss3, w3),
    ]


def _log_reference(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": w.tolist()}


def _describe_value(value) -> str:
    if isinstance(value, torch.Tensor):
        return _("a tensor of shape {shape}").format(shape=tuple(value.shape))
    if type(value).__module__ == "numpy":
        return _("a NumPy {type}").format(type=type(value).__name__)
    if isinstance(value, bool):
        return _("a bool")
    return _("a {type}").format(type=type(value).__name__)


def _holds_tensors(value) -> bool:
    if isinstance(value, torch.Tensor) or type(value).__module__ == "numpy":
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_tensors(v) for v in value)
    return False


def _nesting(value) -> tuple:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


def _compare_log(got, expected, case) -> str | None:
    """The first way ``got`` breaks the spec of the record (types, keys, shapes), or None if it matches."""
    if not isinstance(got, dict):
        return _("Your function returns {what}; a dict with the keys 'step', 'loss' and 'w' "
                 "is asked for.").format(what=_describe_value(got))
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(_("missing {keys}").format(keys=", ".join(repr(k) for k in missing)))
        if extra:
            parts.append(_("unexpected {keys}").format(keys=", ".join(repr(k) for k in extra)))
        return _("Your dict has the wrong keys ({problems}): use exactly 'step', 'loss' and 'w'.").format(
            problems=_("; ").join(parts))
    step, loss, w = got["step"], got["loss"], got["w"]
    if isinstance(step, bool) or not isinstance(step, int):
        return _("Your 'step' is {what}, but a Python int is asked for: the step counter is an "
                 "integer tensor, and its Python value should stay an integer.").format(what=_describe_value(step))
    if step != expected["step"]:
        return _("Your 'step' is not the step counter's value.")
    if isinstance(loss, (list, tuple)):
        return _("Your 'loss' is a {type}: for a loss of shape {shape} you kept the "
                 "nesting. A log wants one number, whatever the shape of the one-element loss tensor.").format(
                     type=type(loss).__name__, shape=tuple(case[1].shape))
    if isinstance(loss, bool) or not isinstance(loss, float) or type(loss).__module__ == "numpy":
        return _("Your 'loss' is {what}, but a Python float is asked for (a tensor would also "
                 "keep its graph alive, and `json.dumps` cannot write it).").format(what=_describe_value(loss))
    if not math.isclose(loss, expected["loss"], rel_tol=1e-12, abs_tol=0.0):
        return _("Your 'loss' is a float, but not exactly the loss tensor's value (rounded, or converted "
                 "through another dtype?).")
    if _holds_tensors(w):
        return _("Your 'w' is (or contains) {what}: the record must hold plain Python numbers, nested in "
                 "lists.").format(what=_describe_value(w) if not isinstance(w, list) else _("tensors"))
    if not isinstance(w, (list, float)):
        return _("Your 'w' is {what}; nested Python lists of floats are asked for.").format(what=_describe_value(w))
    if _nesting(w) != _nesting(expected["w"]):
        return _("Your 'w' is nested as {nesting}, but the parameter has shape {shape}: keep one level of lists "
                 "per dimension (a 0-d tensor is a bare number).").format(
                     nesting=_nesting(w) or _("a bare number"), shape=tuple(case[2].shape))
    try:
        same = torch.tensor(w, dtype=torch.float64).equal(torch.tensor(expected["w"], dtype=torch.float64))
    except (TypeError, ValueError, RuntimeError):
        same = False
    if not same:
        return _("Your 'w' has the right nesting, but its numbers are not exactly the parameter's values.")
    try:
        json.dumps(got)
    except (TypeError, ValueError) as error:
        return _("Your record cannot be written with `json.dumps` ({error}).").format(error=type(error).__name__)
    return None


def _w_as_tensor_list(got, step, loss, w) -> bool:
    return isinstance(got, dict) and isinstance(got.get("w"), list) and any(
        isinstance(v, torch.Tensor) for v in got["w"])


log_entry = Exercise(
    title=N_("Exercise 1: a JSON-ready log record"),
    reference=_log_reference,
    inputs=_log_cases,
    function=True,
    compare=_compare_log,
    mistakes=[
        Mistake(N_("a list of tensors for w"),
                N_("Your 'w' is a list of *tensors*: `list(w)` (or a loop over `w`) only splits the tensor along its "
                   "first dimension. Convert the whole tensor to nested Python numbers in one call."),
                test=_w_as_tensor_list),
    ],
    error_hints=[
        ErrorHint(r"Can't call numpy\(\) on Tensor that requires grad",
                  N_("`.numpy()` refuses a tensor that is part of a graph. You do not need NumPy here: a tensor "
                     "method converts a tensor straight to (nested) Python lists, graph or not."),
                  name=N_("went through NumPy on a tensor that requires grad")),
        ErrorHint(r"only one element tensors can be converted|a Tensor with \d+ elements cannot be converted",
                  N_("You converted a tensor with several elements to a single number (`float(w)`, `w.item()`). "
                     "`w` may have any shape: convert it to nested lists instead."),
                  name=N_("a single number from a many-element tensor")),
        ErrorHint(r"invalid index of a 0-dim tensor|too many indices for tensor",
                  N_("Indexing depends on the shape: a 0-d loss has no `[0]`, a (1, 1) loss needs two indices. "
                     "Use a conversion that works for one element whatever the shape."),
                  name=N_("indexing that depends on the shape")),
        ErrorHint(r"iteration over a 0-d tensor",
                  N_("`w` can be 0-d (a single parameter): a loop over it, or `list(w)`, fails. Convert the whole "
                     "tensor in one call; that works for every shape."),
                  name=N_("iterates over the tensor")),
        ErrorHint(r"is not JSON serializable",
                  N_("Something in your record is not a plain Python value (a tensor or a NumPy number?)."),
                  name=N_("not JSON-ready")),
    ],
    hints=[
        N_("Each value has its own conversion: the step and the loss hold exactly one element each (any shape), "
           "the parameter may have any shape."),
        N_("For one element, the conversion that ignores the shape and keeps ints as ints; for many, the one "
           "that builds nested lists. Neither needs `.detach()`."),
    ],
    solution_text=N_("""
def log_entry(step, loss, w):
    return {"step": step.item(), "loss": loss.item(), "w": w.tolist()}

# step.item() -> int (int64 tensor), loss.item() -> float for shape (), (1,) or (1, 1),
# w.tolist() -> nested lists, one level per dimension (a bare float for a 0-d w).
"""),
    key=('{"step": step.item(), "loss": loss.item(), "w": w.tolist()}',),
    success=(N_("Correct on every test record: an int step, a float loss for 0-d, (1,) and (1, 1) losses, `w` as "
                "nested lists of floats for 0-d, 1-D and 2-D parameters, and every record passes `json.dumps`.")),
)


# --------------------------------------------------------------------------------------------------
# Exercise 2: an evaluation loop that records no graph


def _eval_cases():
    torch.manual_seed(11)
    regression = nn.Linear(3, 1)
    batches = [(torch.randn(8, 3), torch.randn(8, 1)) for _ in range(4)]
    classifier = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))
    labelled = [(torch.randn(n, 5), torch.randint(0, 3, (n,))) for n in (6, 6, 4)]
    return [(regression, batches, F.mse_loss), (classifier, labelled, F.cross_entropy)]


def _mean_loss_reference(model, batches, loss_fn) -> float:
    with torch.no_grad():
        return sum(loss_fn(model(x), y).item() for x, y in batches) / len(batches)


def _count_saved(answer, case) -> int | None:
    """How many tensors autograd saved for backward while ``answer`` ran on a copy of ``case``."""
    saved = 0

    def pack(tensor):
        nonlocal saved
        saved += 1
        return tensor

    try:
        with time_limit(2.0), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            answer(*_fresh(case))
    except Exception:  # noqa: BLE001 -- the engine reports the learner's exceptions itself
        return None
    return saved


def _records_no_graph(answer):
    if not callable(answer):
        return None
    for case in _eval_cases():
        saved = _count_saved(answer, case)
        if saved:
            return incorrect(
                _("Your function recorded an autograd graph: while it ran, autograd saved {saved} tensors for a "
                  "backward pass that an evaluation never makes (converting or detaching the loss *afterwards* "
                  "does not undo that). Run the forward passes with autograd off, as the exercise asks.").format(
                      saved=saved),
                mistake=N_("records a graph"))
    return None


def _batch_losses(model, batches, loss_fn):
    with torch.no_grad():
        return [loss_fn(model(x), y).item() for x, y in batches]


mean_loss = Exercise(
    title=N_("Exercise 2: an evaluation loop that records no graph"),
    reference=_mean_loss_reference,
    inputs=_eval_cases,
    function=True,
    pre_checks=[_records_no_graph],
    forbid=[
        Forbid(N_("computes gradients"),
               N_("Your function runs `backward()` (or another gradient computation). Evaluating a model needs "
                  "only forward passes: no gradients, and no change to the model's `.grad`."),
               autograd=True),
    ],
    mistakes=[
        Mistake(N_("sum of the batch losses"),
                N_("Your value is the *sum* of the batch losses; the mean is asked for."),
                wrong=lambda model, batches, loss_fn: sum(_batch_losses(model, batches, loss_fn))),
        Mistake(N_("only the last batch"),
                N_("Your value is the loss of the last batch only: is your `return` (or the division) inside the "
                   "loop, or do you overwrite the running total?"),
                wrong=lambda model, batches, loss_fn: _batch_losses(model, batches, loss_fn)[-1]),
        Mistake(N_("first batch divided by the count"),
                N_("Your value is the first batch's loss divided by the number of batches: your `return` is "
                   "inside the loop, so the loop stops after one batch."),
                wrong=lambda model, batches, loss_fn: _batch_losses(model, batches, loss_fn)[0] / len(batches)),
        Mistake(N_("returns the list of batch losses"),
                N_("Your function returns a list (one loss per batch); one Python float, their mean, is asked for."),
                test=lambda got, *case: isinstance(got, (list, tuple))),
        Mistake(N_("only the first batch"),
                N_("Your value is the loss of the first batch only: is your `return` inside the loop?"),
                wrong=lambda model, batches, loss_fn: _batch_losses(model, batches, loss_fn)[0]),
        Mistake(N_("divided by the number of samples"),
                N_("You divided the sum of the batch losses by the number of *samples*; each batch loss is already "
                   "a mean over its samples, so average over the number of *batches*."),
                wrong=lambda model, batches, loss_fn: sum(_batch_losses(model, batches, loss_fn))
                / sum(len(x) for x, _ in batches)),
        Mistake(N_("summed within each batch"),
                N_("Your batch losses are *sums* over the samples (`reduction='sum'`). Use `loss_fn` as given: it "
                   "already averages over the samples of a batch."),
                wrong=lambda model, batches, loss_fn: sum(
                    _batch_losses(model, [(x, y)], lambda a, b: loss_fn(a, b, reduction="sum"))[0]
                    for x, y in batches) / len(batches)),
        Mistake(N_("rounded"),
                N_("Your value is the right mean, rounded. Return it unrounded; round only when you print it "
                   "(e.g. with an f-string format like `:.4f`)."),
                test=lambda got, *case: isinstance(got, float) and any(
                    got == round(_mean_loss_reference(*case), digits) for digits in range(0, 7))),
        Mistake(N_("returns a tensor"),
                N_("Your function returns a tensor; a Python float is asked for (what you would print or log)."),
                test=lambda got, *case: isinstance(got, torch.Tensor)),
    ],
    properties=[
        Property(N_("negative loss"), N_("Your mean is negative, but both losses here (MSE, cross-entropy) are >= 0."),
                 lambda got, *case: not isinstance(got, (int, float)) or got >= 0),
    ],
    error_hints=[
        ErrorHint(r"does not support the context manager protocol",
                  N_("`torch.no_grad` and `torch.inference_mode` are classes: a `with` statement needs an "
                     "instance, so call them (the parentheses are missing)."),
                  name=N_("no_grad without parentheses")),
        ErrorHint(r"Inference tensors cannot be saved for backward|Inference tensor",
                  N_("A tensor made under `torch.inference_mode()` was used outside it in a computation that "
                     "records a graph. Do the whole evaluation inside the `with` block."),
                  name=N_("inference tensor used outside inference_mode")),
    ],
    hints=[
        N_("Loop over `batches`; for each `(x, y)` compute `loss_fn(model(x), y)`, and keep a running total as a "
           "Python number, not a tensor."),
        N_("Turn autograd off for the whole loop with a `with` block (lesson 3, section 10); then no forward pass "
           "saves anything for backward. Divide by the number of batches at the end."),
    ],
    solution_text=N_("""
def mean_loss(model, batches, loss_fn):
    total = 0.0
    with torch.no_grad():                  # or torch.inference_mode()
        for x, y in batches:
            total += loss_fn(model(x), y).item()
    return total / len(batches)
"""),
    key=("total += loss_fn(model(x), y).item()",),
    success=(N_("Correct on both models: the mean batch loss as a Python float, and while your function ran "
                "autograd saved no tensor for backward and computed no gradient.")),
)


# --------------------------------------------------------------------------------------------------
# Exercise 3: predict the printed values and their Python types


PREDICT_CODE = """\
a = torch.tensor([[1, 2], [3, 4]])
b = a / 2
print(a[1].tolist(), a[1, 0].item(), b[0].tolist(), (a > 2).sum().item())"""


def _run_predict_code():
    a = torch.tensor([[1, 2], [3, 4]])
    b = a / 2
    return (a[1].tolist(), a[1, 0].item(), b[0].tolist(), (a > 2).sum().item())


def _flat(answer):
    out = []
    if isinstance(answer, (list, tuple)):
        for v in answer:
            out.extend(_flat(v))
    else:
        out.append(answer)
    return out


def _types_ok(answer) -> bool:
    return isinstance(answer, (list, tuple)) and len(answer) == 4


def _numbers(answer):
    try:
        return [float(v) for v in _flat(answer)]
    except (TypeError, ValueError):
        return None


def _same_numbers(answer, values) -> bool:
    got = _numbers(answer)
    return got is not None and len(got) == len(values) and all(
        math.isclose(g, v, abs_tol=1e-9) for g, v in zip(got, values))


def _ints_as_floats(answer) -> bool:
    if not _types_ok(answer) or not _same_numbers(answer, [3, 4, 3, 0.5, 1.0, 2]):
        return False
    first = answer[0] if isinstance(answer[0], (list, tuple)) else []
    return any(isinstance(v, float) for v in [*first, answer[1]])


predict_types = Exercise(
    title=N_("Exercise 3: predict the printout"),
    reference=_run_predict_code,
    inputs=(),
    kind="predict",
    mistakes=[
        Mistake(N_("a bool for the count"),
                N_("`(a > 2)` is a bool tensor, but `.sum()` counts its True entries: the result is an integer "
                   "tensor."),
                test=lambda a: _types_ok(a) and isinstance(a[3], bool)),
        Mistake(N_("the count as a float"),
                N_("Your count has the right value but is a float. `.sum()` of a bool tensor is an int64 tensor, "
                   "so `.item()` gives a Python int."),
                test=lambda a: _types_ok(a) and isinstance(a[3], float) and _same_numbers(a, [3, 4, 3, 0.5, 1.0, 2])
                and not _ints_as_floats(a)),
        Mistake(N_("integer tensor predicted as floats"),
                N_("Your numbers are right, but `a` is an *integer* tensor (`torch.tensor` infers int64 from "
                   "`[[1, 2], [3, 4]]`), and `tolist()`/`item()` give the Python type that matches the dtype."),
                test=_ints_as_floats),
        Mistake(N_("a / 2 as integer division"),
                N_("`/` is true division in PyTorch, as in Python 3: dividing an integer tensor by 2 gives a float "
                   "tensor, not rounded integers."),
                test=lambda a: _same_numbers(a, [3, 4, 3, 0, 1, 2]) or _same_numbers(a, [3, 4, 3, 1, 1, 2])),
        Mistake(N_("a[1] read as the first row"),
                N_("Indices start at 0: `a[1]` is the *second* row of `a`, and `a[1, 0]` its first element."),
                test=lambda a: _same_numbers(a, [1, 2, 1, 0.5, 1.0, 2]) or _same_numbers(a, [1, 2, 1, 1.5, 2.0, 2])),
        Mistake(N_("b[0] read as a column"),
                N_("`b[0]` is the first *row* of `b` (one sample per row), not its first column."),
                test=lambda a: _same_numbers(a, [3, 4, 3, 0.5, 1.5, 2])),
        Mistake(N_("counted the wrong elements of a > 2"),
                N_("`a > 2` is True where an element is *greater than* 2 (not equal), and `.sum()` counts the "
                   "True entries."),
                test=lambda a: _types_ok(a) and _same_numbers(list(a[:3]), [3, 4, 3, 0.5, 1.0])
                and _numbers([a[3]]) is not None and _numbers([a[3]]) != [2.0]
                and not isinstance(a[3], (list, tuple))),
        Mistake(N_("item() of a row"),
                N_("`a[1, 0]` indexes one element, so `.item()` gives a bare number, not a list."),
                test=lambda a: _types_ok(a) and isinstance(a[1], (list, tuple))),
    ],
    hints=[
        N_("Work out each printed value on its own: which row is `a[1]`, which element `a[1, 0]`, what `a / 2` "
           "does to an integer tensor, how many elements exceed 2."),
        N_("Then the Python types: `tolist()`/`item()` give ints for integer dtypes, floats for floating dtypes. "
           "What is the dtype of `a`, of `b`, of `(a > 2).sum()`?"),
    ],
    solution_text=N_("""
a is int64 (inferred from integers); b = a / 2 is float32 (true division); (a > 2) is bool and
.sum() counts the True entries as an int64 tensor.

prints: [3, 4] 3 [0.5, 1.0] 2

answer = ([3, 4], 3, [0.5, 1.0], 2)
"""),
    key=("([3, 4], 3, [0.5, 1.0], 2)",),
    success=(N_("Right: the values, and ints (not floats) from the int64 tensors. `b = a / 2` is float32, so its "
                "row prints as floats, `[0.5, 1.0]`, even where the value is whole.")),
)
