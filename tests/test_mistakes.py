"""The mistake corpus (tests/mistakes/<lesson module>.py): realistic learner answers, judged by the checks.

Every correct-but-unusual answer (``Right``) must be accepted; every wrong answer (``Wrong``) rejected
with a message that names its cause (the entry's regex, searched in the title + message); no message
may give away the answer (a number of the expected value, or a line of the solution); each check takes
at most 2 s of CPU time (answers stopped by the exercise's own time limit excepted). Every exercise of
every lesson needs at least 10 wrong and 3 right answers.
"""

from __future__ import annotations

import re

import pytest

from tests.mistakes import MIN_RIGHT, MIN_WRONG, TIME_LIMIT, Wrong, all_exercises, corpus, run_entry

ENTRIES = corpus()
EXERCISES = all_exercises()


def _id(item) -> str:
    module, entry = item
    kind = "wrong" if isinstance(entry, Wrong) else "right"
    return f"{module}.{entry.exercise}:{kind}:{entry.label or entry.source.strip()[:30]}"


@pytest.mark.parametrize("module, entry", ENTRIES, ids=[_id(e) for e in ENTRIES])
def test_entry(module, entry):
    assert (module, entry.exercise) in EXERCISES, f"no exercise lessonkit.{module}.{entry.exercise}"
    outcome = run_entry(module, entry)
    if isinstance(entry, Wrong):
        assert not outcome.accepted, f"wrong answer accepted: {outcome.text}"
        assert re.search(entry.cause, outcome.text, re.I), (
            f"the message does not name the cause /{entry.cause}/: {outcome.text}")
    else:
        assert outcome.accepted, f"correct answer rejected: {outcome.text}"
    assert outcome.reveal is None, f"the message reveals the {outcome.reveal}: {outcome.text}"
    if not outcome.timed_out:
        assert outcome.seconds <= TIME_LIMIT, f"the check took {outcome.seconds:.2f} s of CPU time"


@pytest.mark.parametrize("module, name", sorted(EXERCISES), ids=[f"{m}.{n}" for m, n in sorted(EXERCISES)])
def test_every_exercise_has_a_corpus(module, name):
    mine = [entry for m, entry in ENTRIES if m == module and entry.exercise == name]
    wrong = sum(isinstance(entry, Wrong) for entry in mine)
    right = len(mine) - wrong
    assert wrong >= MIN_WRONG and right >= MIN_RIGHT, (
        f"lessonkit.{module}.{name}: {wrong} wrong and {right} right answers in tests/mistakes/{module}.py "
        f"(at least {MIN_WRONG} and {MIN_RIGHT} needed)")


def test_the_reveal_detector_finds_an_expected_value_and_a_solution_line():
    import torch

    from lessonkit.checks import Exercise
    from tests.mistakes import Right, reveals

    exercise = Exercise(title="t", reference=lambda: torch.tensor([0.73105858, 2.0]),
                        solution_text="answer = torch.sigmoid(torch.tensor(1.0))\n# a comment line here")
    entry = Right("t", "answer = 1")
    assert reveals("the expected value is 0.7311", exercise, entry)
    assert reveals("try answer = torch.sigmoid(torch.tensor(1.0))", exercise, entry)
    assert reveals("factor of 2, dim 1, 0.5", exercise, entry) is None
