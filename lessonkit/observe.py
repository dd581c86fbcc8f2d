"""Observing what learner code does: the torch calls it makes and what it does to the tensors it gets.

The exercise engine (:mod:`lessonkit.checks`) never reads a learner's source text. Instead it runs the
learner's function inside :func:`recording`, a ``torch.overrides.TorchFunctionMode`` that logs every
torch function and Tensor method the learner's code calls *directly* (calls made inside a torch
function, e.g. the ``log_softmax`` inside ``F.cross_entropy``, are not logged: the log says what the
learner wrote, whichever alias they used). Comments and docstrings are therefore irrelevant.

Names are normalised so aliases meet (verified on torch 2.13):

- ``torch.sigmoid``, ``z.sigmoid()``, ``F.sigmoid``, ``torch.nn.Sigmoid()(z)``, ``z.sigmoid_()`` and
  ``torch.special.expit`` are all logged as ``"sigmoid"``;
- ``F.softmax``, ``torch.softmax``, ``z.softmax``, ``torch.nn.Softmax``, ``torch.special.softmax`` as
  ``"softmax"``; ``F.log_softmax``/``torch.nn.LogSoftmax``/``torch.special.log_softmax`` as
  ``"log_softmax"``; ``F.cross_entropy``/``torch.nn.CrossEntropyLoss`` as ``"cross_entropy"``;
  ``F.nll_loss``/``torch.nn.NLLLoss`` as ``"nll_loss"``; ``z @ w`` as ``"matmul"``, ``x[i]`` as
  ``"getitem"``, ``x += 1`` as ``"add"`` (in place).
- ``t.backward()`` and ``torch.autograd.backward`` as ``"backward"``; ``torch.autograd.grad`` as
  ``"autograd.grad"`` (``torch.func.grad``/``jacrev``/``vjp``, ``torch.autograd.functional.*`` call it
  too); forward-mode AD (``torch.func.jvp``/``jacfwd``) as ``"make_dual"``. All of these are
  :attr:`Call.autograd`.
- Attribute access on tensors is logged with ``kind`` ``"get"``/``"set"``: ``x.grad`` is
  ``Call("grad", kind="get")``, ``x.data = ...`` is ``Call("data", kind="set")``.

Use in lesson-specific checks::

    with recording() as log:
        answer(x)
    if log.called("sum") and not log.autograd: ...

:func:`canonical` gives the normalised form of any name (use it for ``Forbid.functions``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch.overrides import TorchFunctionMode

# aliases that PyTorch spells differently; both sides of a comparison go through canonical()
ALIASES = {
    "expit": "sigmoid", "logistic": "sigmoid", "logsigmoid": "log_sigmoid",
    "divide": "div", "true_divide": "div", "truediv": "div", "rtruediv": "div", "itruediv": "div",
    "multiply": "mul", "imul": "mul", "rmul": "mul", "subtract": "sub", "isub": "sub", "rsub": "sub",
    "iadd": "add", "radd": "add", "negative": "neg", "absolute": "abs", "clip": "clamp",
    "arctanh": "atanh", "arctan": "atan", "rmatmul": "matmul", "imatmul": "matmul",
    "ipow": "pow", "rpow": "pow", "float_power": "pow", "greater": "gt", "less": "lt",
    "crossentropyloss": "cross_entropy", "nllloss": "nll_loss", "bceloss": "binary_cross_entropy",
    "autograd_grad": "autograd.grad",
}

_AUTOGRAD = {"backward", "autograd.grad", "make_dual", "unpack_dual"}


def canonical(name: str) -> str:
    """The normalised name of a torch function: ``"torch.special.expit"`` -> ``"sigmoid"``,
    ``"sigmoid_"`` -> ``"sigmoid"``, ``"__matmul__"`` -> ``"matmul"``, ``"F.softmax"`` -> ``"softmax"``."""
    name = name.strip()
    if name in ("autograd.grad", "torch.autograd.grad"):
        return "autograd.grad"
    name = name.rsplit(".", 1)[-1].lower()
    name = name.strip("_")
    if name.startswith("special_"):
        name = name[len("special_"):]
    return ALIASES.get(name, name)


@dataclass(frozen=True)
class Call:
    """One observed call. ``name`` is canonical; ``qualname`` says where it came from
    (``"torch.special.expit"``, ``"torch.Tensor.sigmoid"``); ``kind`` is ``"call"``, ``"get"`` or ``"set"``."""

    name: str
    qualname: str
    kind: str = "call"

    @property
    def autograd(self) -> bool:
        return self.kind == "call" and self.name in _AUTOGRAD

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.kind)


@dataclass
class CallLog:
    """What a piece of learner code called, in order (the first ``limit`` calls; ``counts`` has all)."""

    calls: list[Call] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    limit: int = 5000

    def add(self, call: Call) -> None:
        self.counts[call.key] += 1
        if len(self.calls) < self.limit:
            self.calls.append(call)

    def called(self, *names: str) -> list[str]:
        """The canonical names among ``names`` that were called (as functions or methods)."""
        wanted = [canonical(n) for n in names]
        return [n for n in dict.fromkeys(wanted) if self.counts[(n, "call")]]

    def first(self, *names: str) -> Call | None:
        """The first call of any of ``names``, with the spelling the learner used (``qualname``)."""
        wanted = {canonical(n) for n in names}
        return next((c for c in self.calls if c.kind == "call" and c.name in wanted), None)

    @property
    def autograd(self) -> bool:
        """Whether the code ran autograd (``backward``, ``autograd.grad``, ``torch.func`` transforms...)."""
        return any(self.counts[(n, "call")] for n in _AUTOGRAD)

    @property
    def backward(self) -> bool:
        return bool(self.counts[("backward", "call")])

    def names(self) -> list[str]:
        return list(dict.fromkeys(c.name for c in self.calls if c.kind == "call"))


def _describe_function(func) -> Call:
    name = getattr(func, "__name__", None) or type(func).__name__
    qualname = getattr(func, "__qualname__", "") or name
    module = getattr(func, "__module__", None)
    if name in ("__get__", "__set__", "__delete__"):
        # a getset descriptor of Tensor: its __self__ is the descriptor, whose name is the attribute
        owner = getattr(func, "__self__", None)
        attribute = getattr(owner, "__name__", None) or qualname.split(".")[0]
        return Call(canonical(attribute), f"torch.Tensor.{attribute}", "get" if name == "__get__" else "set")
    if module == "torch.autograd" and name == "grad":
        return Call("autograd.grad", "torch.autograd.grad")
    if module == "torch.autograd" and name == "backward":
        return Call("backward", "torch.autograd.backward")
    where = _PUBLIC_MODULE.get(module or "", module or "torch.Tensor")
    return Call(canonical(name), f"{where}.{name}")


_PUBLIC_MODULE = {"torch._tensor": "torch.Tensor", "torch._C._special": "torch.special",
                  "torch._C._nn": "torch.nn.functional", "torch._C._linalg": "torch.linalg",
                  "torch._C._fft": "torch.fft", "torch._C": "torch"}


_CACHE: dict = {}


class _Recorder(TorchFunctionMode):
    def __init__(self, log: CallLog):
        super().__init__()
        self.log = log

    def __torch_function__(self, func, types, args=(), kwargs=None):
        try:
            call = _CACHE.get(func)
            if call is None:
                call = _describe_function(func)
                if len(_CACHE) < 10_000:
                    _CACHE[func] = call
            self.log.add(call)
        except Exception:  # noqa: BLE001 -- observation must never break learner code
            pass
        return func(*args, **(kwargs or {}))


@contextmanager
def recording() -> Iterator[CallLog]:
    """Record the torch calls made inside the ``with`` block into the yielded :class:`CallLog`."""
    log = CallLog()
    with _Recorder(log):
        yield log


# --------------------------------------------------------------------------------------------------
# What a function did to the tensors it was given


def snapshot(value):
    """The observable state of ``value``'s tensors: values, requires_grad, .grad and version counter."""
    if isinstance(value, torch.Tensor):
        if value.device.type == "meta":
            return ("meta", value.requires_grad)
        grad = value.grad if value.is_leaf else None
        return (value.detach().clone(), value.requires_grad,
                None if grad is None else grad.detach().clone(), value._version)
    if isinstance(value, (tuple, list)):
        return type(value)(snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    if isinstance(value, (int, float, str, bool)):
        return ("plain", value)
    return None


def changes(before, after) -> list[str]:
    """What happened to the tensors between two :func:`snapshot` s: a subset of ``"values"``,
    ``"requires_grad"``, ``"grad"`` (in that order, no repeats)."""
    found: list[str] = []

    def walk(b, a):
        if isinstance(a, torch.Tensor) and isinstance(b, tuple):
            if b[0] == "meta":
                if a.requires_grad != b[1]:
                    found.append("requires_grad")
                return
            data, requires_grad, grad, _version = b
            now = a.detach()
            if now.shape != data.shape or not (torch.equal(now, data) or (bool(torch.isnan(data).any())
                                               and torch.equal(torch.nan_to_num(now), torch.nan_to_num(data)))):
                found.append("values")
            if a.requires_grad != requires_grad:
                found.append("requires_grad")
            new_grad = a.grad if a.is_leaf else None
            if (grad is None) != (new_grad is None) or (
                    grad is not None and not (grad.shape == new_grad.shape and torch.equal(grad, new_grad))):
                found.append("grad")
        elif isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
            if len(a) != len(b):
                found.append("values")
            for bb, aa in zip(b, a):
                walk(bb, aa)
        elif isinstance(b, tuple) and len(b) == 2 and b[0] == "plain":
            if not (a == b[1] or (a != a and b[1] != b[1])):
                found.append("values")
        elif isinstance(a, dict) and isinstance(b, dict):
            for k in b:
                if k in a:
                    walk(b[k], a[k])

    walk(before, after)
    return list(dict.fromkeys(found))
