"""Static checks of the notebooks' form (notebooks/CONVENTIONS.md): code that fits the editor, and the
slide metadata jupyterlab-slideshow needs to present every cell.

Code width, measured in Chromium at a 1280x720 window, JupyterLab 4.6 default layout (file browser
open, 13 px DejaVu Sans Mono, 7.83 px per character): the editor of a notebook cell is 846 px wide,
107 characters; presenting (deck) 1119 px, 143 characters. The course's rule is 80 characters, which
leaves room for a narrower window or a larger font and keeps code readable on a projector.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from editions import all_notebooks  # noqa: E402

NOTEBOOKS = all_notebooks()
IDS = [str(nb.relative_to(REPO / "notebooks").with_suffix("")) for nb in NOTEBOOKS]
MAX_CODE_COLUMNS = 80
EDITOR_COLUMNS_AT_1280 = 107  # measured (see above): the rule must stay within it
SLIDE_TYPES = {"slide", "subslide", "fragment"}  # and none (no slideshow metadata): continue the slide
HEADING = re.compile(r"^\s{0,3}(#{1,6}\s|<h[1-6][\s>])", re.IGNORECASE)
SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")


def _columns(line: str) -> int:
    """Width on screen in a monospace editor: East Asian wide characters take two columns."""
    line = line.expandtabs(4)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
               for c in line)


def _starts_with_heading(source: str) -> bool:
    lines = [line for line in source.splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return False
    return bool(HEADING.match(lines[0])) or (len(lines) > 1 and bool(lines[0].strip())
                                             and bool(SETEXT.match(lines[1])))


def _slide_type(cell) -> object:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def test_the_rule_fits_the_measured_editor():
    assert MAX_CODE_COLUMNS <= EDITOR_COLUMNS_AT_1280


def test_helpers():
    assert _columns("x = 1") == 5 and _columns("\t") == 4 and _columns("中文") == 4
    assert _starts_with_heading("\n## 2. The graph\ntext") and _starts_with_heading("<h2>Title</h2>")
    assert _starts_with_heading("Title\n=====")
    assert not _starts_with_heading("Some text\n\n## later") and not _starts_with_heading("#hashtag")
    assert not _starts_with_heading("```\n# a comment in a fence\n```")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_code_lines_fit_the_editor_at_1280_px(notebook):
    nb = nbformat.read(notebook, as_version=4)
    long = [f"cell {i} ({cell.get('id')}), line {n}: {_columns(line)} columns: {line.strip()[:60]}"
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for n, line in enumerate(cell.source.splitlines(), 1) if _columns(line) > MAX_CODE_COLUMNS]
    assert long == [], (f"{notebook.name}: {len(long)} code lines longer than {MAX_CODE_COLUMNS} characters:\n  "
                        + "\n  ".join(long))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_slide_metadata(notebook):
    nb = nbformat.read(notebook, as_version=4)
    problems = []
    if _slide_type(nb.cells[0]) != "slide":
        problems.append("cell 0: the first cell must start a slide (slide_type 'slide')")
    for i, cell in enumerate(nb.cells):
        kind = _slide_type(cell)
        where = f"cell {i} ({cell.get('id')}, {cell.source.strip()[:40]!r})"
        if kind == "-":
            problems.append(f"{where}: slide_type '-' is never shown by jupyterlab-slideshow: remove the "
                            "slideshow metadata to continue the slide")
        elif kind not in SLIDE_TYPES and kind not in (None, ""):
            problems.append(f"{where}: slide_type {kind!r}: use 'slide', 'subslide', 'fragment' or none")
        if cell.cell_type == "markdown" and _starts_with_heading(cell.source) and kind not in ("slide", "subslide"):
            problems.append(f"{where}: a cell starting with a heading must start a slide or subslide")
    assert problems == [], f"{notebook.name}:\n  " + "\n  ".join(problems)
