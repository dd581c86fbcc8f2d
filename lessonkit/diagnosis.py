"""General diagnosis: how a wrong answer relates to the expected one, when no fingerprint explains it.

:func:`diagnose` and :func:`diagnose_precision` receive every case of a check (its inputs, the expected
value, the learner's value and whether it was right) and test relations that hold for many unforeseen
mistakes, on *every* case where the answer is wrong, in this order:

1. lower precision -- the answer is a float16/float32 tensor where more precision is expected, or it
   equals the reference computed on inputs cast to float32/float16 and is much nearer that than the
   exact value or holds only float16/float32 numbers ("you cast to a lower precision"). This one is
   :func:`diagnose_precision`, which the engine asks *before* the fingerprints;
2. numerical stability -- right everywhere except where the answer is NaN/inf and a finite value is
   expected, or except at inputs with large |values| ("overflow/underflow");
3. sign flipped; 4. scaled by a constant (named: 2, 1/2, N or 1/N where N is a size of an input, or
   "a constant factor ~ k"); 5. transposed; 6. another reduction (sum vs mean, a reduced or
   unreduced dimension, a lost ``keepdim``, softmax-like along the other dimension);
7. shifted by a constant; 8. right on some cases but not on others (the failing cases described:
   "the 0-d input", "the float64 input", "inputs with large |values|", ...).

Every message names a relation, never a value of the expected answer. A relation must hold on every
wrong case (consistently: the same named factor everywhere) to be reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from lessonkit.i18n import N_, _


@dataclass
class Run:
    """One case of a check: its inputs, the expected value, the learner's value and the verdict."""

    case: tuple
    expected: Any
    got: Any
    wrong: bool


def _numbers(value: Any) -> torch.Tensor | None:
    """``value`` as a detached float64 tensor, when it is numeric (a tensor, a number, a list of numbers)."""
    try:
        if isinstance(value, torch.Tensor):
            if value.device.type == "meta" or value.is_complex() or value.dtype == torch.bool:
                return None
            return value.detach().to("cpu", torch.float64)
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return torch.tensor(float(value), dtype=torch.float64)
        if isinstance(value, (list, tuple)) and value and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return torch.tensor([float(v) for v in value], dtype=torch.float64)
    except Exception:  # noqa: BLE001
        return None
    return None


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True).all())


# --------------------------------------------------------------------------------------------------
# Describing cases


def _main_tensor(case: tuple) -> torch.Tensor | None:
    for value in case:
        if isinstance(value, torch.Tensor):
            return value
    return None


def _large(case: tuple) -> bool:
    for value in case:
        numbers = _numbers(value)
        if numbers is not None and numbers.numel() and bool((numbers.abs() >= 30).any()):
            return True
    return False


# Each feature: a name, how to read it from a case, and for a value the words for one failing case and
# for several (each a translatable message with its placeholders), or None. The words are substituted as
# {where} into sentences ("On {where}, your code raised ..."; "... but not on {where}.").
# TRANSLATORS: the "inputs"/"input" words below are substituted into sentences as {where}
_WORDS = {
    "large": (N_("the input with large |values|"), N_("inputs with large |values|")),
    "0-d": (N_("the {n}-d input"), N_("{n}-d input")),
    "n-D": (N_("the {n}-D input"), N_("{n}-D input")),
    "n-D shape": (N_("the {n}-D input of shape {shape}"), None),  # one failing case only
    "dtype": (N_("the {dtype} input"), N_("{dtype} input")),
    "grad": (N_("the input that requires grad"), N_("inputs that requires grad")),
    "no grad": (N_("an input that does not require grad"), N_("an input that does not require grad")),
    "shape": (N_("the input of shape {shape}"), N_("inputs of shape {shape}")),
}

_FEATURES: list[tuple[str, Callable[[tuple], Any], Callable[[Any], tuple[str, dict] | None]]] = [
    ("large", _large, lambda v: ("large", {}) if v else None),
    ("ndim", lambda c: _main_tensor(c).dim(), lambda v: ("0-d" if v == 0 else "n-D", {"n": v})),
    ("dtype", lambda c: _main_tensor(c).dtype, lambda v: ("dtype", {"dtype": str(v)[6:]})),
    ("grad", lambda c: _main_tensor(c).requires_grad, lambda v: ("grad" if v else "no grad", {})),
    ("shape", lambda c: tuple(_main_tensor(c).shape), lambda v: ("shape", {"shape": v})),
]


def describe_cases(failing: Sequence[tuple], passing: Sequence[tuple]) -> str | None:
    """Words for what the failing cases share and no passing case has ("the 0-d input"), or None."""
    if not failing or not passing:
        return None
    for name, feature, words in _FEATURES:
        try:
            bad = {feature(c) for c in failing}
            good = {feature(c) for c in passing}
        except Exception:  # noqa: BLE001 -- a feature that does not apply to these cases
            continue
        if len(bad) == 1 and not bad & good:
            (value,) = bad
            described = words(value)
            if described is None:
                continue
            key, fields = described
            if name == "ndim" and value >= 2 and len(failing) == 1:
                key, fields = "n-D shape", {**fields, "shape": tuple(_main_tensor(failing[0]).shape)}
            one, several = _WORDS[key]
            return _(several if len(failing) > 1 else one).format(**fields)
    return None


# --------------------------------------------------------------------------------------------------
# Relations


def _sizes(case: tuple) -> dict[float, str]:
    """Candidate values of N for this case, each with words saying what it counts."""
    found: dict[float, str] = {}
    for value in case:
        if isinstance(value, torch.Tensor) and value.dim() >= 1:
            # TRANSLATORS: substituted as {what} into "where N is {what}"
            found.setdefault(float(value.numel()), N_("the number of elements"))
            found.setdefault(float(value.shape[0]), N_("the number of rows (samples)"))
            found.setdefault(float(value.shape[-1]), N_("the number of columns (classes)"))
        elif isinstance(value, (list, tuple)) and value:
            found.setdefault(float(len(value)), N_("the number of entries"))
    for n in list(found):
        if n <= 1:
            del found[n]
    return found


def _scale_names(k: float, case: tuple) -> set[str]:
    """The names the factor ``k`` may have in this case ("2", "1/2", "N", "1/N")."""
    magnitude = abs(k)
    names = set()
    candidates = [(2.0, "2"), (0.5, "1/2")]
    for n in _sizes(case):
        candidates += [(n, "N"), (1.0 / n, "1/N")]
    for value, name in candidates:
        if math.isclose(magnitude, value, rel_tol=1e-4):
            names.add(name)
    return names


def _size_words(case: tuple, n: float) -> str | None:
    return next((words for size, words in _sizes(case).items() if math.isclose(size, n, rel_tol=1e-4)), None)


# (factor name, wrong sign too) -> the sentence
_SCALE_MESSAGES = {
    ("2", False): N_("Your answer is twice the expected value (a factor of 2)"),
    ("1/2", False): N_("Your answer is half the expected value (a factor of 1/2)"),
    ("N", False): N_("Your answer is N times the expected value, where N is {what}: a sum where a mean is "
                     "needed, or a missing 1/N?"),
    ("1/N", False): N_("Your answer is the expected value divided by N, where N is {what}: a mean where a sum "
                       "is needed, or an extra 1/N?"),
    ("2", True): N_("Your answer has the wrong sign and is twice the expected value (a factor of 2)"),
    ("1/2", True): N_("Your answer has the wrong sign and is half the expected value (a factor of 1/2)"),
    ("N", True): N_("Your answer has the wrong sign and is N times the expected value, where N is {what}: a "
                    "sum where a mean is needed, or a missing 1/N?"),
    ("1/N", True): N_("Your answer has the wrong sign and is the expected value divided by N, where N is "
                      "{what}: a mean where a sum is needed, or an extra 1/N?"),
    ("constant", False): N_("Your answer is the expected value times a constant factor (\u2248 {factor}): the "
                            "formula is right up to a constant. Look for a wrong coefficient, a missing or extra "
                            "factor, or a logarithm in another base."),
    ("constant", True): N_("Your answer has the wrong sign and is the expected value times a constant factor "
                           "(\u2248 {factor}): the formula is right up to a constant. Look for a wrong "
                           "coefficient, a missing or extra factor, or a logarithm in another base."),
}


def _ratio(got: torch.Tensor, expected: torch.Tensor) -> float | None:
    mask = torch.isfinite(got) & torch.isfinite(expected)
    e, g = expected[mask], got[mask]
    if not e.numel() or not bool((e.abs() > 1e-12).any()):
        return None
    return float((g * e).sum() / (e * e).sum())


def _scaled(runs: list[Run], tol: dict) -> str | None:
    names, ratios, values = None, [], 0
    for run in runs:
        g, e = _numbers(run.got), _numbers(run.expected)
        if g is None or e is None or g.shape != e.shape:
            return None
        k = _ratio(g, e)
        if k is None or math.isclose(k, 1.0, rel_tol=1e-3) or abs(k) < 1e-9:
            return None
        if not _close(g, k * e, rtol=1e-4, atol=tol["atol"]):
            return None
        here = _scale_names(k, run.case)
        names = here if names is None else names & here
        ratios.append(k)
        values += int((e.abs() > 1e-12).sum())
    if not ratios:
        return None
    negative = {k < 0 for k in ratios}
    if len(negative) != 1:
        return None
    sign = negative.pop()
    if all(math.isclose(k, -1.0, rel_tol=1e-4) for k in ratios):
        return _("Your answer has the wrong sign: it is the expected value times -1. Look for a flipped "
                 "sign or a missing minus.")
    if names:
        name = next(n for n in ("2", "1/2", "N", "1/N") if n in names)
        what = N_("a size of the input")
        if name in ("N", "1/N"):
            kinds = {_size_words(run.case, abs(k) if name == "N" else 1 / abs(k)) for run, k in zip(runs, ratios)}
            what = kinds.pop() if len(kinds) == 1 else what
        return _(_SCALE_MESSAGES[name, sign]).format(what=_(what))
    if all(math.isclose(k, ratios[0], rel_tol=1e-3) for k in ratios) and values >= 2:
        return _(_SCALE_MESSAGES["constant", sign]).format(factor=f"{abs(ratios[0]):.2g}")
    return None


def _transposed(runs: list[Run], tol: dict) -> str | None:
    for run in runs:
        g, e = _numbers(run.got), _numbers(run.expected)
        if g is None or e is None or e.dim() != 2 or (e.shape[0] == 1 and e.shape[1] == 1):
            return None
        if _close(e, e.mT, tol["rtol"], tol["atol"]) or not _close(g, e.mT, tol["rtol"], tol["atol"]):
            return None
    return _("Your answer is the transpose of the expected one: rows and columns are swapped. Check which "
            "index runs along which dimension (or a `.T`).")


def _reduced(runs: list[Run], tol: dict) -> str | None:
    found = []
    for run in runs:
        g, e = _numbers(run.got), _numbers(run.expected)
        if g is None or e is None:
            return None
        relation = _reduction_relation(g, e, tol)
        if relation is None:
            return None
        found.append(relation)
    kinds = {kind for kind, _ in found}
    return found[0][1] if len(kinds) == 1 else None


def _reduction_relation(g: torch.Tensor, e: torch.Tensor, tol: dict) -> tuple[str, str] | None:
    """(a kind, a sentence) when ``g`` is ``e`` with another reduction; the kind must agree across cases."""
    rtol, atol = max(tol["rtol"], 1e-5), tol["atol"]
    got, want = tuple(g.shape), tuple(e.shape)
    words = {"sum": N_("sum"), "mean": N_("mean")}  # TRANSLATORS: a reduction, substituted as {how}
    if e.numel() > 1 and g.numel() == 1:
        for how, value in (("sum", e.sum()), ("mean", e.mean())):
            if _close(g.reshape(()), value, rtol, atol):
                return (f"all-{how}", _("Your answer is one number, the {how} of what is expected: the "
                                        "expected answer keeps shape {expected}. You reduced where no reduction (or "
                                        "a reduction over one dimension only) is wanted.").format(
                                            how=_(words[how]), expected=want))
    if e.numel() == 1 and g.numel() > 1:
        for how, value in (("mean", g.mean()), ("sum", g.sum())):
            if _close(value, e.reshape(()), rtol, atol):
                return (f"none-{how}", _("Your answer has one value per element (shape {shape}), but a single "
                                         "number is expected: you did not reduce them. The expected value is their "
                                         "{how}.").format(shape=got, how=_(words[how])))
    if got != want and g.numel() == e.numel() and _close(g.squeeze(), e.squeeze(), rtol, atol):
        if g.dim() < e.dim():
            return ("keepdim-lost", _("Your values are right, but your shape {shape} lost a dimension of size 1 "
                                      "(expected {expected}): keep it (`keepdim=True`), so the result "
                                      "broadcasts.").format(shape=got, expected=want))
        return ("keepdim-extra", _("Your values are right, but your shape {shape} has an extra dimension of "
                                   "size 1 (expected {expected}).").format(shape=got, expected=want))
    for dim in range(e.dim()):
        for how in ("sum", "mean"):
            reduced = getattr(e, how)(dim)
            if reduced.shape == g.shape and _close(g, reduced, rtol, atol):
                return (f"over-{dim}-{how}", _("Your answer is the expected one reduced over dim {dim} (a "
                                               "{how}): shape {shape} instead of {expected}. Don't reduce over "
                                               "that dimension (or check the `dim=` you used).").format(
                                                   dim=dim, how=_(words[how]), shape=got, expected=want))
    for dim in range(g.dim()):
        for how in ("sum", "mean"):
            reduced = getattr(g, how)(dim)
            for keep in (reduced, reduced.unsqueeze(dim)):
                if keep.shape == e.shape and _close(keep, e, rtol, atol):
                    return (f"not-over-{dim}-{how}", _("Your answer still has dim {dim} (shape {shape}); the "
                                                       "expected answer is reduced over it (shape {expected}, a "
                                                       "{how}). Check the reduction and its `dim=`.").format(
                                                           dim=dim, shape=got, expected=want, how=_(words[how])))
    return None


def _other_dim(runs: list[Run], reference: Callable, tol: dict) -> str | None:
    """The answer equals the reference applied along the other dimension of a 2-D input."""
    for run in runs:
        g = _numbers(run.got)
        position = next((i for i, v in enumerate(run.case) if isinstance(v, torch.Tensor)), None)
        if g is None or position is None or run.case[position].dim() != 2 or g.dim() != 2:
            return None
        x = run.case[position]
        if x.shape[0] == x.shape[1] and torch.equal(x, x.mT):
            return None
        swapped = list(run.case)
        swapped[position] = x.detach().mT.contiguous()
        try:
            with torch.no_grad():
                other = _numbers(reference(*swapped))
        except Exception:  # noqa: BLE001 -- the reference does not take the swapped input
            return None
        if other is None or other.dim() != 2 or not _close(g, other.mT, tol["rtol"], max(tol["atol"], 1e-6)):
            return None
    return _("Your answer works along the wrong dimension: it is what you get when rows and columns swap "
            "roles. Check the `dim=` of every reduction (sum, max, softmax...) and keep it (`keepdim=True`) "
            "when the result must broadcast back.")


def _shifted(runs: list[Run], tol: dict) -> str | None:
    shifts = []
    for run in runs:
        g, e = _numbers(run.got), _numbers(run.expected)
        if g is None or e is None or g.shape != e.shape or not bool(torch.isfinite(g - e).all()):
            return None
        d = (g - e).reshape(-1)
        if not d.numel():
            return None
        shift = float(d.mean())
        if abs(shift) <= tol["atol"] + tol["rtol"] * float(e.abs().max()) or not _close(
                g, e + shift, rtol=1e-4, atol=max(tol["atol"], 1e-6)):
            return None
        shifts.append((shift, d.numel()))
    if not shifts:
        return None
    elements = sum(n for _, n in shifts)
    same = all(math.isclose(s, shifts[0][0], rel_tol=1e-3, abs_tol=tol["atol"]) for s, _ in shifts)
    if elements < 2 or (len(shifts) > 1 and not same and all(n == 1 for _, n in shifts)):
        return None
    return _("Every value of your answer is off by the same constant: the formula is right up to an added "
            "(or missing) constant term. Look for a missing or extra term, such as a `1 +` or a constant "
            "in a log.")


def _lower_precision(runs: list[Run], reference: Callable, tol: dict) -> str | None:
    # (not bfloat16: a learner hardly casts to it, and its 8-bit mantissa merges nearby inputs such as
    # 999 and 1000, which makes unrelated answers look like a bfloat16 computation)
    for dtype, eps in ((torch.float32, 16 * 1.2e-7), (torch.float16, 4 * 9.8e-4)):
        explained = True
        for run in runs:
            g, e = _numbers(run.got), _numbers(run.expected)
            if g is None or e is None or g.shape != e.shape:
                return None
            finite = torch.isfinite(e)
            scale = float(e[finite].abs().max()) if bool(finite.any()) else 1.0
            low = _low_reference(run.case, reference, dtype)
            if low is None or not _close(g, low, rtol=eps, atol=eps * max(scale, 1e-3)):
                explained = False
                break
            # evidence, not mere closeness: the answer is much nearer the low-precision value than the exact one
            finite = torch.isfinite(g) & torch.isfinite(low) & torch.isfinite(e)
            near_low = float((g - low)[finite].abs().max()) if bool(finite.any()) else 0.0
            near_exact = float((g - e)[finite].abs().max()) if bool(finite.any()) else 0.0
            if not bool(finite.all()) and torch.equal(torch.isfinite(g), torch.isfinite(low)) and near_low == 0.0:
                continue
            if near_low > 0.25 * near_exact and not _representable(run.got, dtype):
                explained = False
                break
        if explained:
            return _("Your answer has the precision of {dtype}: somewhere you cast to a lower precision than "
                     "the input has (`.float()`, `.half()`, `torch.tensor(...)` or `dtype=` without the "
                     "input's dtype). Keep the input's dtype throughout.").format(dtype=str(dtype)[6:])
    return None


def _lower_precision_dtype(wrong: list[Run]) -> str | None:
    """On every wrong case the answer *is* a tensor of a less precise floating dtype than the expected one
    (float16 for float32, say), and that precision accounts for the whole difference."""
    dtypes = set()
    for run in wrong:
        got, expected = run.got, run.expected
        if not (isinstance(got, torch.Tensor) and isinstance(expected, torch.Tensor) and got.is_floating_point()
                and expected.is_floating_point() and got.device.type == "cpu" and got.shape == expected.shape):
            return None
        eps = torch.finfo(got.dtype).eps
        if eps <= torch.finfo(expected.dtype).eps:
            return None
        g, e = got.detach().to(torch.float64), expected.detach().to(torch.float64)
        finite = torch.isfinite(e)
        scale = float(e[finite].abs().max()) if bool(finite.any()) else 1.0
        if not torch.allclose(g, e, rtol=8 * eps, atol=8 * eps * max(scale, 1e-3), equal_nan=True):
            return None
        dtypes.add(got.dtype)
    if len(dtypes) != 1:
        return None
    return _("Your answer is a `{dtype}` tensor, less precise than the input: somewhere you cast to a lower "
             "precision (`.half()`, `.float()`, `torch.tensor(...)` or `dtype=` without the input's dtype). "
             "Keep the input's dtype throughout.").format(dtype=str(dtypes.pop())[6:])


def _representable(got: Any, dtype: torch.dtype) -> bool:
    """Whether every finite value of ``got`` (a tensor of a wider dtype) is exactly a ``dtype`` number,
    and not all are integers: the trace of a cast to ``dtype`` at the end of the computation."""
    if not isinstance(got, torch.Tensor) or not got.is_floating_point() or got.device.type == "meta":
        return False
    if torch.finfo(got.dtype).bits <= torch.finfo(dtype).bits:
        return False
    values = got.detach()
    finite = values[torch.isfinite(values)]
    if not finite.numel() or bool((finite == finite.round()).all()):
        return False
    return bool((finite.to(dtype).to(finite.dtype) == finite).all())


def _low_reference(case: tuple, reference: Callable, dtype: torch.dtype) -> torch.Tensor | None:
    lowered = tuple(v.detach().to(dtype) if isinstance(v, torch.Tensor) and v.is_floating_point()
                    and torch.finfo(v.dtype).bits > torch.finfo(dtype).bits else v for v in case)
    if all(a is b for a, b in zip(lowered, case)):
        return None
    try:
        with torch.no_grad():
            return _numbers(reference(*lowered))
    except Exception:  # noqa: BLE001
        return None


def _large_positions(case: tuple, shape: torch.Size) -> torch.Tensor | None:
    """Where an input of the answer's shape has a large |value| (None when no input has that shape)."""
    found = None
    for value in case:
        numbers = _numbers(value) if isinstance(value, torch.Tensor) else None
        if numbers is not None and numbers.shape == shape:
            large = numbers.abs() >= 30
            found = large if found is None else found | large
    return found


def _unstable(runs: list[Run], all_runs: list[Run], tol: dict) -> str | None:
    """Right except where the answer is NaN/inf, or except at inputs with large |values|."""
    nonfinite, only_large = False, True
    for run in runs:
        g, e = _numbers(run.got), _numbers(run.expected)
        if g is None or e is None or g.shape != e.shape:
            return None
        bad = ~torch.isfinite(g) & torch.isfinite(e)
        if bad.any():
            nonfinite = True
            rest = ~bad
            if not _close(g[rest], e[rest], tol["rtol"], tol["atol"]):
                return None
            continue
        # finite but wrong: only at large inputs (element-wise when an input has the answer's shape)
        wrong = ~torch.isclose(g, e, rtol=tol["rtol"], atol=tol["atol"], equal_nan=True)
        large = _large_positions(run.case, g.shape)
        if large is None:
            if not _large(run.case):
                return None
            only_large = only_large and any(not r.wrong and not _large(r.case) for r in all_runs)
        elif not bool(large.any()) or bool((wrong & ~large).any()):
            return None
    if nonfinite:
        return _("Your answer is NaN or infinite where a finite value is expected, and right elsewhere: the "
                "formula is right on paper but numerically unstable. An `exp` of a large number overflows "
                "to inf (and inf/inf or 0 * inf is NaN), a `log` of an underflowed 0 is -inf. Rewrite it so "
                "no intermediate value overflows.")
    if only_large:
        return _("Your answer is right for moderate inputs but wrong where the input has a large |value|: "
                "the formula is right on paper but numerically unstable there (an intermediate value "
                "overflows or underflows, or is clipped). Follow what happens to each intermediate value "
                "for an input like 100 or -100.")
    return None


def diagnose_precision(runs: list[Run], reference: Callable, tolerance: dict) -> str | None:
    """Relation 1 alone: the answer has the precision of a lower dtype (it is such a tensor, or it equals
    the reference computed in that dtype). The engine asks this before any fingerprint: a fingerprint that
    merely matches a low-precision answer's values (e.g. "approximated numerically") would name a cause
    the learner does not have."""
    return _first_relation(runs, lambda wrong: (
        lambda: _lower_precision_dtype(wrong),
        lambda: _lower_precision(wrong, reference, tolerance),
    ))


def diagnose(runs: list[Run], reference: Callable, tolerance: dict) -> str | None:
    """A sentence naming how the answer relates to the expected one on every wrong case, or None
    (relations 2-7; relation 1 is :func:`diagnose_precision`, asked earlier)."""
    return _first_relation(runs, lambda wrong: (
        lambda: _unstable(wrong, runs, tolerance),
        lambda: _scaled(wrong, tolerance),
        lambda: _transposed(wrong, tolerance),
        lambda: _reduced(wrong, tolerance),
        lambda: _other_dim(wrong, reference, tolerance),
        lambda: _shifted(wrong, tolerance),
    ))


def _first_relation(runs: list[Run], relations_of: Callable) -> str | None:
    """The message of the first relation (from ``relations_of(wrong runs)``) that holds, said of the failing
    cases when the others are right."""
    wrong = [run for run in runs if run.wrong]
    if not wrong:
        return None
    for relation in relations_of(wrong):
        try:
            message = relation()
        except Exception:  # noqa: BLE001 -- a relation that cannot be evaluated does not hold
            message = None
        if message:
            where = describe_cases([r.case for r in wrong], [r.case for r in runs if not r.wrong])
            if where and len(wrong) < len(runs):
                message = _("On {where} (right on the others): {message}").format(
                    where=where, message=message[0].lower() + message[1:])
            return message
    return None
