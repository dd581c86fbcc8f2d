"""A corpus of realistic learner answers, one module per lesson (``tests/mistakes/<lesson module>.py``).

Each lesson module defines ``ENTRIES``: a list of :class:`Wrong` and :class:`Right` answers.

``source`` is the learner's code, exactly as a learner would type it in the exercise cell (comments,
docstrings, ``import ... as ...`` and all). It is executed in a fresh namespace that already has
``torch``, ``F`` (``torch.nn.functional``), ``math`` and ``np`` imported, and must leave the answer in a
variable named ``answer`` (a function for function exercises, a value otherwise). Code that needs the
notebook's variables defines them itself, as the notebook does.

``exercise`` is the exercise's attribute name in the lesson module (e.g. ``"sigmoid"``).
``cause`` is a case-insensitive regular expression that the check's title + message must match: it names
the mistake the learner made (not the words of one particular message), e.g. ``r"sign|decreas"``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wrong:
    exercise: str
    source: str
    cause: str
    label: str = ""  # a few words: what the learner did wrong


@dataclass(frozen=True)
class Right:
    exercise: str
    source: str
    label: str = ""  # a few words: what is unusual about this correct answer


# --------------------------------------------------------------------------------------------------
# Running the corpus (used by tests/test_mistakes.py and benchmarks/feedback.py)

import dataclasses  # noqa: E402
import importlib  # noqa: E402
import math  # noqa: E402
import pkgutil  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

MIN_WRONG, MIN_RIGHT = 10, 3
TIME_LIMIT = 2.0  # seconds of CPU time per check (except answers stopped by the exercise's time limit)


def lesson_modules() -> list[str]:
    """The modules of ``lessonkit`` that hold at least one Exercise (a lesson module, or a module split
    out of one, such as ``losses_exercises``)."""
    import lessonkit
    from lessonkit.checks import Exercise

    names = []
    for info in pkgutil.iter_modules(lessonkit.__path__):
        module = importlib.import_module(f"lessonkit.{info.name}")
        if any(isinstance(v, Exercise) for v in vars(module).values()):
            names.append(info.name)
    return names


def all_exercises() -> dict[tuple[str, str], object]:
    """Every Exercise instance in every lesson module, keyed by (module, attribute name)."""
    from lessonkit.checks import Exercise

    found, seen = {}, set()
    # a lesson module re-exports the exercises of a module split out of it: list each exercise once,
    # under the lesson module (whose name is the corpus file's name)
    for name in sorted(lesson_modules(), key=lambda n: (n.endswith("_exercises"), n)):
        module = importlib.import_module(f"lessonkit.{name}")
        for attribute, value in vars(module).items():
            if isinstance(value, Exercise) and id(value) not in seen:
                seen.add(id(value))
                found[(name.removesuffix("_exercises"), attribute)] = value
    return found


def corpus() -> list[tuple[str, Wrong | Right]]:
    """(lesson module, entry) for every entry of every ``tests/mistakes/<module>.py``."""
    entries = []
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.stem == "__init__":
            continue
        module = importlib.import_module(f"tests.mistakes.{path.stem}")
        entries += [(path.stem, entry) for entry in getattr(module, "ENTRIES", [])]
    return entries


def fresh_exercise(module: str, name: str):
    """A copy of the exercise with its own state (hint counter, call log): entries don't share state."""
    exercise = getattr(importlib.import_module(f"lessonkit.{module}"), name)
    return dataclasses.replace(exercise)


def learner_answer(entry: Wrong | Right):
    """Execute an entry's source as a learner's cell and return its ``answer``."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    namespace = {"torch": torch, "F": F, "math": math, "np": np, "__name__": "__learner__"}
    exec(compile(entry.source, f"<learner: {entry.label or entry.exercise}>", "exec"), namespace)  # noqa: S102
    return namespace["answer"]


@dataclasses.dataclass
class Outcome:
    module: str
    entry: Wrong | Right
    result: object  # lessonkit.checks.Result
    seconds: float  # CPU time of the check
    reveal: str | None  # what the message gives away, if anything

    @property
    def text(self) -> str:
        return f"{self.result._title()}: {self.result.message}"

    @property
    def wrong(self) -> bool:
        return isinstance(self.entry, Wrong)

    @property
    def accepted(self) -> bool:
        return self.result.correct

    @property
    def named(self) -> bool:
        return self.wrong and re.search(self.entry.cause, self.text, re.I) is not None

    @property
    def timed_out(self) -> bool:
        from lessonkit.checks import TOO_SLOW
        from lessonkit.i18n import _

        # the end of the time-limit verdict, in the language the check spoke
        return "too slow" in self.result.message or _(TOO_SLOW).rpartition("{seconds}")[2] in self.result.message

    @property
    def generic(self) -> bool:
        return bool(getattr(self.result, "generic", False))

    @property
    def verdict(self) -> str:
        """One of: accepted, false reject, false accept, named, misleading, generic."""
        if not self.wrong:
            return "accepted" if self.accepted else "false reject"
        if self.accepted:
            return "false accept"
        if self.named:
            return "named"
        return "generic" if self.generic else "misleading"


def run_entry(module: str, entry: Wrong | Right) -> Outcome:
    exercise = fresh_exercise(module, entry.exercise)
    answer = learner_answer(entry)
    start = time.process_time()
    result = exercise.check(answer)
    seconds = time.process_time() - start
    return Outcome(module, entry, result, seconds, reveals(result.message, exercise, entry))


# ---- what a message must not give away ----------------------------------------------------------

def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def solution_lines(solution_text: str) -> list[str]:
    """The non-trivial code lines of a solution (comments, blank lines, ``def``/``return x`` lines dropped)."""
    lines = []
    for line in solution_text.splitlines():
        code = _normalise(line.split("#", 1)[0])
        if len(code) < 12 or code.startswith(("def ", "import ", "from ", "return answer")):
            continue
        if re.fullmatch(r"return \w+", code):
            continue
        lines.append(code)
    return lines


def _renderings(value: float) -> set[str]:
    if not math.isfinite(value) or value == 0:
        return set()
    shown = set()
    for spec in (".3g", ".4g", ".5g", ".6g", ".4f", ".3f"):
        text = format(value, spec)
        digits = re.sub(r"[^0-9]", "", text.split("e")[0]).lstrip("0")
        if len(digits.rstrip("0")) >= 3:  # "0.5" or "2" or "1.00" would match innocent text
            shown.add(text)
    return shown


def expected_numbers(exercise) -> set[str]:
    """Renderings of every number of the expected answers (at a few precisions)."""
    import torch

    from lessonkit.checks import _fresh

    shown: set[str] = set()
    for case in exercise._cases():
        try:
            expected = exercise.reference(*_fresh(case))
        except Exception:  # noqa: BLE001
            continue
        stack = [expected]
        while stack:
            value = stack.pop()
            if isinstance(value, torch.Tensor) and value.numel() <= 10_000 and not value.is_complex():
                stack.extend(float(v) for v in value.detach().double().reshape(-1).tolist())
            elif isinstance(value, (list, tuple)):
                stack.extend(value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                shown |= _renderings(float(value))
    return shown


def reveals(message: str, exercise, entry) -> str | None:
    """What ``message`` gives away: a solution line, or a number of the expected answer (a number the
    learner typed, or that appears in the inputs the message shows, does not count)."""
    flat = _normalise(message)
    for line in solution_lines(exercise.solution_text):
        if line in flat:
            return f"solution line {line!r}"
    own = entry.source + " ".join(str(c) for c in exercise._cases())
    for text in expected_numbers(exercise):
        pattern = rf"(?<![\d.]){re.escape(text)}(?!\d)"
        if re.search(pattern, message) and not re.search(pattern, own):
            return f"expected value {text}"
    return None
