"""lessonkit speaks the notebook's language (lessonkit/i18n.py, tools/i18n.py).

- Catalogs: every marked message of the code is in each language's catalog, translated, not fuzzy, with
  the same {placeholders} as the English (tools/i18n.py missing).
- Run time: in Chinese, every verdict of the mistake corpus (tests/mistakes/) and every explorer's controls,
  notes and pictures carry no English prose (a string that escaped the catalog: built with an f-string,
  never marked, or glued from English fragments).
- Pictures: every figure of the Chinese notebooks and every explorer, drawn with warnings as errors, has
  every glyph (no "tofu": matplotlib warns when a font lacks a glyph).
"""

from __future__ import annotations

import contextlib
import logging
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

import lessonkit
from lessonkit import i18n
from tests.helpers import lesson_explorers
from tests.mistakes import Right, corpus, run_entry

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import i18n as catalogs  # noqa: E402  (tools/i18n.py)

# Names the Chinese edition keeps in Latin letters (docs/glossary.md: code, API and function names)
KEPT = {"sigmoid", "tanh", "relu", "softmax", "logits", "logit", "adam", "sgd", "mse", "vjp", "dtype", "torch",
        "pytorch", "numpy", "python", "float", "int", "bool", "tensor", "none", "true", "false", "nan", "inf",
        "json", "himmelblau", "lr", "id", "cpu", "gpu", "rmsprop", "adagrad", "jupyterlab", "autograd", "grad",
        "backward", "item", "tolist", "requires", "fn", "of", "max", "min", "log", "exp", "sin", "cos", "abs",
        "self", "other", "result"}  # autograd's names of saved tensors (MulBackward0 saves self, other)
WORD = re.compile(r"(?<![\w.\\])[A-Za-z]{2,}(?![\w.(])")


def english_prose(text: str, run: int = 3) -> list[str]:
    """Runs of at least `run` consecutive English words in a text meant to be Chinese, outside code spans,
    quotes, maths and quoted Python/torch error messages (which stay English by design)."""
    text = re.sub(r"`[^`]*`|\$[^$]*\$|'[^'\n]*'|\"[^\"\n]*\"|“[^”]*”|「[^」]*」", " ", text)
    text = re.sub(r"\b\w*(Error|Exception|Warning)\b:?[^\n（）()。]*", " ", text)
    text = re.sub(r"<[^>]+>|&[a-z#0-9]+;", " ", text)  # HTML markup
    found, current, last_end = [], [], -1
    for m in WORD.finditer(text):
        word = m.group(0)
        gap = text[last_end:m.start()] if last_end >= 0 else ""
        if word.lower() in KEPT or (current and not re.fullmatch(r"[ ,\-/]+", gap)):
            if len(current) >= run:
                found.append(" ".join(current))
            current = [] if word.lower() in KEPT else [word]
        else:
            current.append(word)
        last_end = m.end()
    if len(current) >= run:
        found.append(" ".join(current))
    return found


@pytest.fixture
def chinese():
    lessonkit.setup(lang="zh")
    try:
        yield
    finally:
        lessonkit.setup()


def test_the_english_prose_detector():
    assert english_prose("你的函数返回了一个形状为 (2, 3) 的张量。") == []
    assert english_prose("Your function returns a tensor of shape (2, 3).")
    assert english_prose("在 `x.grad is None` 时调用 'retain graph here'；"
                         "RuntimeError: Trying to backward through") == []
    assert english_prose("你的梯度是 sigmoid 的 derivative times something") == ["derivative times something"]


def test_every_message_is_translated():
    done = subprocess.run([sys.executable, str(REPO / "tools" / "i18n.py"), "missing"], capture_output=True,
                          text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout[-4000:]


def test_the_catalog_checks_fail_on_a_broken_entry(tmp_path, monkeypatch):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    monkeypatch.setattr(catalogs, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(catalogs, "template", lambda domain: _template())
    catalog = Catalog(locale="zh", domain="core")
    catalog.add("Your tensor has {count} values.", "你的张量有 {n} 个值。")           # placeholders differ
    catalog.add("Well done.", "做得好。", flags=("fuzzy",))                      # fuzzy
    catalog.add("Try again.", "")                                                # untranslated
    (tmp_path / "zh" / "LC_MESSAGES").mkdir(parents=True)
    with (tmp_path / "zh" / "LC_MESSAGES" / "core.po").open("wb") as f:
        write_po(f, catalog)
    found = "\n".join(catalogs.problems("zh", "core"))
    assert "placeholders differ" in found and "fuzzy" in found and "untranslated" in found
    assert "not in the catalog yet" in found  # "One more." is in the code but not in the catalog


def _template():
    from babel.messages.catalog import Catalog

    catalog = Catalog(domain="core")
    for text in ("Your tensor has {count} values.", "Well done.", "Try again.", "One more."):
        catalog.add(text)
    return catalog


def test_language_switch_and_fallback():
    try:
        lessonkit.setup(lang="zh")
        assert i18n.language() == "zh"
        assert i18n._("a message nobody translated") == "a message nobody translated"
        with pytest.raises(ValueError):
            i18n.set_language("fr")
    finally:
        lessonkit.setup()
    assert i18n.language() == "en"


WRONG = [(m, e) for m, e in corpus() if not isinstance(e, Right)]


@pytest.mark.parametrize("module, entry", WRONG,
                         ids=[f"{m}.{e.exercise}:{e.label or i}" for i, (m, e) in enumerate(WRONG)])
def test_verdicts_speak_chinese(chinese, module, entry):
    outcome = run_entry(module, entry)
    assert not outcome.accepted
    assert i18n.is_cjk(outcome.text), outcome.text
    assert english_prose(outcome.text) == [], outcome.text


def test_hints_and_solutions_speak_chinese(chinese):
    from tests.mistakes import all_exercises, fresh_exercise

    problems = []
    for module, name in sorted(all_exercises()):
        exercise = fresh_exercise(module, name)
        notes = [exercise.hint() for _ in exercise.hints] + [exercise.solution()]
        for note in notes:
            text = f"{note.title}: {note.text}"
            if not i18n.is_cjk(text):
                problems.append(f"{module}.{name}: {text[:80]}")
    assert problems == []


EXPLORERS = list(lesson_explorers().values())


class _GlyphLog(logging.Handler):
    """matplotlib reports some missing glyphs through its loggers, not as warnings (mathtext: "Font 'default'
    does not have a glyph for ..."): collect them too."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(record.getMessage())


@contextlib.contextmanager
def glyphs_watched():
    handler = _GlyphLog()
    loggers = [logging.getLogger(name) for name in ("matplotlib.mathtext", "matplotlib._mathtext",
                                                    "matplotlib.font_manager", "matplotlib.backends")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing glyph in plain text is a UserWarning
            yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def test_the_glyph_watch_sees_tofu():
    from matplotlib.figure import Figure

    fig = Figure()
    fig.text(0.1, 0.5, "\U0001F9EA")  # no course font has this glyph
    with pytest.raises(UserWarning, match="missing from font"), glyphs_watched():
        FigureCanvasAgg(fig).draw()


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("cls", EXPLORERS, ids=[c.__name__ for c in EXPLORERS])
def test_explorers_speak_chinese_and_have_every_glyph(chinese, cls):
    with glyphs_watched() as logged:
        explorer = cls()
        try:
            assert explorer.last_error is None, explorer.last_error
            for control in explorer.controls.values():
                described = getattr(control, "description", "") or ""
                assert english_prose(described, run=2) == [], described
            assert english_prose(explorer.note.value) == [], explorer.note.value
            FigureCanvasAgg(explorer.fig).draw()
            english = [t for t in _texts(explorer.fig) if english_prose(t, run=2)]
            assert english == [], english
            assert logged == [], logged
        finally:
            explorer.close()


ZH_NOTEBOOKS = sorted((REPO / "notebooks" / "zh").glob("0*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", ZH_NOTEBOOKS, ids=[p.stem for p in ZH_NOTEBOOKS])
def test_chinese_notebook_figures_have_every_glyph_and_no_english_prose(path):
    from tests.test_figure_text import notebook_figures

    figures = notebook_figures(path)
    assert figures, f"{path.name} shows no figure"
    problems = []
    for where, fig in figures:
        try:
            with glyphs_watched() as logged:
                FigureCanvasAgg(fig).draw()
            problems += [f"{where}: {line}" for line in logged]
        except UserWarning as warning:
            problems.append(f"{where}: {warning}")
        problems += [f"{where}: English text {t!r}" for t in _texts(fig) if english_prose(t, run=2)]
    assert problems == [], "\n".join(problems[:20])


def test_a_message_shared_by_two_lessons_has_one_translation():
    """gettext looks a message up in one chain of catalogs: if two lessons translate the same English
    differently, one lesson silently shows the other's wording."""
    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for domain in i18n.DOMAINS:
        with (i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
            for message in read_po(f):
                if not message.id or not message.string or message.fuzzy:
                    continue
                key, text = str(message.id), str(message.string)
                if key in seen and seen[key][1] != text:
                    clashes.append(f"{key[:60]!r}: {seen[key][0]} and {domain} differ")
                seen.setdefault(key, (domain, text))
    assert clashes == []
