"""Exercises ask for transfer, not retyping: the key of an exercise's solution is nowhere above it.

For every check cell ``lesson.<name>.check(`` in a notebook, each of the exercise's ``key`` expressions
(compared without whitespace) must not occur in any cell above the exercise's first check cell, nor in
that cell itself: not in code, not in Markdown, not in a stored text output.

What a key is:
- for a code exercise, the expression(s) that make the solution (e.g. ``s * (1 - s)``,
  ``torch.diag(q) - torch.outer(q, q)``): if the lesson shows it, the exercise tests copying;
- for a predict-the-output question (``Exercise(kind="predict")``), the answer as written in
  ``solution_text`` (e.g. ``[3.0, 6.0]``): the notebook must not print it above the question.

Every exercise declares at least one key, and each key occurs in its ``solution_text``. Every lesson
has at least two exercises and at least one predict-the-output question, and every exercise of a lesson
module is checked in its notebook.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

from tests.mistakes import all_exercises

NOTEBOOKS = sorted(Path(__file__).resolve().parents[1].glob("notebooks/0*.ipynb"))
EXERCISES = all_exercises()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _cell_texts(cell: dict) -> list[str]:
    texts = ["".join(cell.get("source", []))]
    for output in cell.get("outputs", []):
        if "text" in output:
            texts.append("".join(output["text"]))
        for kind in ("text/plain", "text/markdown", "text/latex"):
            if kind in output.get("data", {}):
                texts.append("".join(output["data"][kind]))
    return texts


def _lesson_module(cells: list[dict]) -> str | None:
    for cell in cells:
        match = re.search(r"from lessonkit import (\w+) as lesson", "".join(cell.get("source", [])))
        if match:
            return match.group(1)
    return None


def _check_cells(cells: list[dict]) -> dict[str, int]:
    """Exercise name -> index of its first check cell."""
    first: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        for name in re.findall(r"\blesson\.(\w+)\.check\(", "".join(cell["source"])):
            first.setdefault(name, index)
    return first


def _notebook(path: Path) -> tuple[list[dict], str, dict[str, int]]:
    cells = json.loads(path.read_text())["cells"]
    return cells, _lesson_module(cells), _check_cells(cells)


CHECKED = []
for _path in NOTEBOOKS:
    _cells, _module, _first = _notebook(_path)
    CHECKED += [(_path.name, _module, name) for name in _first]


@pytest.mark.parametrize("notebook, module, name", CHECKED, ids=[f"{n}:{e}" for n, _, e in CHECKED])
def test_the_key_is_not_shown_above_the_exercise(notebook, module, name):
    exercise = getattr(importlib.import_module(f"lessonkit.{module}"), name)
    assert exercise.key, f"lessonkit.{module}.{name} declares no key expression"
    cells, _, first = _notebook(Path(NOTEBOOKS[0].parent, notebook))
    for key in exercise.key:
        wanted = _squash(key)
        assert wanted, f"lessonkit.{module}.{name}: an empty key"
        assert wanted in _squash(exercise.solution_text), f"key {key!r} is not in the solution_text"
        for index, cell in enumerate(cells[: first[name] + 1]):
            for text in _cell_texts(cell):
                assert wanted not in _squash(text), (
                    f"{notebook}: the key {key!r} of exercise {name!r} appears in cell {index} "
                    f"(id {cell.get('id')}), above its check cell {first[name]}: the exercise can be "
                    f"solved by copying")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_each_lesson_has_exercises_and_a_predict_question(path):
    _, module, first = _notebook(path)
    assert module, f"{path.name} does not import its lesson module as `lesson`"
    lesson = importlib.import_module(f"lessonkit.{module}")
    checked = [getattr(lesson, name) for name in first]
    assert len(checked) >= 2, f"{path.name} checks {len(checked)} exercise(s); at least 2 are needed"
    predict = [e for e in checked if e.kind == "predict"]
    assert predict, f"{path.name} has no predict-the-output question (Exercise(kind='predict'))"
    declared = {name for (m, name) in EXERCISES if m == module}
    assert declared <= set(first), f"{path.name} never checks {sorted(declared - set(first))}"


def test_every_exercise_declares_a_key():
    missing = sorted(f"{m}.{n}" for (m, n), exercise in EXERCISES.items() if not exercise.key)
    assert not missing, f"exercises without a key: {missing}"
