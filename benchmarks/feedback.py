"""How well the checks' feedback names the learner's mistake, measured on the mistake corpus.

Runs every entry of tests/mistakes/<lesson module>.py (realistic wrong answers, each with the cause its
message must name, and correct-but-unusual answers) and prints, per lesson and in total:

- named: the share of wrong answers whose message names their cause (target >= 90 %);
- false rejects: correct answers rejected (target 0);
- false accepts: wrong answers accepted (target 0);
- misleading: wrong answers whose message names a *specific* cause that is not theirs (a generic
  "k of n values differ" or a raw error is counted as generic, not misleading) (target 0);
- reveals: messages that give away a number of the expected answer or a solution line (target 0);
- slow: checks over 2 s of CPU time (answers stopped by the exercise's time limit excepted).

Then, for unforeseen mistakes, the same figures for *mutations* of every function exercise's first
correct corpus answer (sign flipped, times 2, halved, shifted by a constant, cast to float16, the input
changed in place, None returned): they measure the general diagnosis, which no fingerprint was
written for.

    .venv/bin/python benchmarks/feedback.py [-v]     (-v lists every entry that misses a target)
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import lessonkit  # noqa: E402
from tests.mistakes import (  # noqa: E402
    TIME_LIMIT,
    Outcome,
    Right,
    Wrong,
    all_exercises,
    corpus,
    fresh_exercise,
    learner_answer,
    reveals,
    run_entry,
)


def _first_float(args):
    return next((a for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()), None)


def _half(args):
    return [a.half() if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args]


def _in_place(args):
    x = _first_float(args)
    if x is not None:
        x.data.add_(1.0)


MUTATIONS = {
    "sign flipped": (lambda f: lambda *a: -f(*a), r"sign|minus|negative"),
    "times 2": (lambda f: lambda *a: 2 * f(*a), r"\b2\b|twice|double"),
    "halved": (lambda f: lambda *a: f(*a) / 2, r"half|1/2|factor of 2"),
    "shifted by 0.25": (lambda f: lambda *a: f(*a) + 0.25, r"constant|shift|term|offset"),
    "cast to float16": (lambda f: lambda *a: f(*_half(a)).to(_first_float(a).dtype), r"precision|float16|half"),
    "input changed in place": (lambda f: lambda *a: (_in_place(a), f(*a))[1], r"caller|in place|in-place|chang"),
    "returns None": (lambda f: lambda *a: (f(*a), None)[1], r"None|return"),
}


def mutation_outcomes() -> list[Outcome]:
    """Mutations of the first correct answer of each function exercise whose answers are float tensors."""
    from lessonkit.checks import _fresh

    firsts = {}
    for module, entry in corpus():
        if isinstance(entry, Right):
            firsts.setdefault((module, entry.exercise), entry)
    outcomes = []
    for (module, name), entry in sorted(firsts.items()):
        exercise = fresh_exercise(module, name)
        try:
            right = learner_answer(entry)
            cases = exercise._cases()
            outputs = [right(*_fresh(case)) for case in cases]
        except Exception:  # noqa: BLE001
            continue
        if not exercise.function or not all(isinstance(o, torch.Tensor) and o.is_floating_point() for o in outputs):
            continue
        if not all(_first_float(case) is not None for case in cases):
            continue
        for label, (mutate, cause) in MUTATIONS.items():
            wrong = Wrong(name, "", cause, f"mutation: {label}")
            mutated = mutate(right)
            try:  # a mutation that changes nothing (e.g. -0 = 0 everywhere) is not a mistake
                if label not in ("input changed in place", "returns None") and all(
                        torch.equal(mutated(*_fresh(c)), o) for c, o in zip(cases, outputs)):
                    continue
            except Exception:  # noqa: BLE001 -- the check will report it
                pass
            checked = fresh_exercise(module, name)
            start = time.process_time()
            result = checked.check(mutated)
            seconds = time.process_time() - start
            outcomes.append(Outcome(module, wrong, result, seconds, reveals(result.message, checked, wrong)))
    return outcomes


def main(verbose: bool = False) -> int:
    lessonkit.setup()
    exercises = all_exercises()
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    problems = []
    for module, entry in corpus():
        lessonkit.setup()
        row = rows[module]
        if (module, entry.exercise) not in exercises:
            row["unknown exercise"] += 1
            problems.append(f"{module}.{entry.exercise}: no such exercise ({entry.label})")
            continue
        try:
            outcome = run_entry(module, entry)
        except Exception as error:  # noqa: BLE001 -- a broken entry is reported, not fatal
            row["broken entry"] += 1
            problems.append(f"{module}.{entry.exercise} [{entry.label}]: the entry itself fails: {error!r}")
            continue
        row["wrong" if outcome.wrong else "right"] += 1
        row[outcome.verdict] += 1
        if outcome.reveal:
            row["reveals"] += 1
        if outcome.seconds > TIME_LIMIT and not outcome.timed_out:
            row["slow"] += 1
        if outcome.verdict not in ("named", "accepted") or outcome.reveal or (
                outcome.seconds > TIME_LIMIT and not outcome.timed_out):
            extra = f" REVEALS {outcome.reveal}" if outcome.reveal else ""
            extra += f" ({outcome.seconds:.1f} s)" if outcome.seconds > TIME_LIMIT else ""
            cause = f" /{entry.cause}/" if outcome.wrong else ""
            problems.append(f"{module}.{entry.exercise} [{entry.label}] {outcome.verdict}{cause}{extra}: "
                            f"{outcome.text[:300]!r}")

    header = (f"{'lesson':24} {'wrong':>5} {'named':>7} {'right':>5} {'false rej':>9} {'false acc':>9} "
              f"{'misleading':>10} {'generic':>7} {'reveals':>7} {'slow':>4}")
    print(header)
    print("-" * len(header))
    total: dict[str, int] = defaultdict(int)
    for module in sorted(rows):
        for key, value in rows[module].items():
            total[key] += value
        _line(module, rows[module])
    print("-" * len(header))
    _line("total", total)
    print("\nmutations of a correct answer (general diagnosis):")
    mutation_rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for outcome in mutation_outcomes():
        row = mutation_rows[outcome.entry.label.removeprefix("mutation: ")]
        row["wrong"] += 1
        row[outcome.verdict] += 1
        row["reveals"] += bool(outcome.reveal)
        if outcome.verdict != "named" or outcome.reveal:
            problems.append(f"{outcome.module}.{outcome.entry.exercise} [{outcome.entry.label}] {outcome.verdict}: "
                            f"{outcome.text[:300]!r}")
    mutation_total: dict[str, int] = defaultdict(int)
    for label in MUTATIONS:
        if label in mutation_rows:
            for key, value in mutation_rows[label].items():
                mutation_total[key] += value
            _line(label, mutation_rows[label])
    _line("total (mutations)", mutation_total)
    covered = {(m, e.exercise) for m, e in corpus()}
    missing = sorted(f"{m}.{n}" for m, n in exercises if (m, n) not in covered)
    if missing:
        print(f"\nexercises without a corpus: {', '.join(missing)}")
    if verbose and problems:
        print("\nentries that miss a target:")
        for line in problems:
            print("  " + line)
    ok = (total["wrong"] and total["named"] >= 0.9 * total["wrong"] and not total["false reject"]
          and not total["false accept"] and not total["misleading"] and not total["reveals"])
    return 0 if ok else 1


def _line(name: str, row: dict[str, int]) -> None:
    wrong = row["wrong"]
    share = f"{100 * row['named'] / wrong:6.1f}%" if wrong else "     -"
    print(f"{name:24} {wrong:5d} {share:>7} {row['right']:5d} {row['false reject']:9d} {row['false accept']:9d} "
          f"{row['misleading']:10d} {row['generic']:7d} {row['reveals']:7d} {row['slow']:4d}")


if __name__ == "__main__":
    sys.exit(main(verbose="-v" in sys.argv))
