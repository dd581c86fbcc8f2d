"""Every notebook in a real JupyterLab in Chromium: Run All, no unexpected error, widgets render,
every explorer's slider changes its picture when moved with the keyboard; then a deck in
presentation mode with a live slider.

In CI (CI=true) a missing Chromium fails the test; elsewhere it skips and says how to enable it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser import harness

pytestmark = pytest.mark.browser

NOTEBOOKS = harness.all_notebooks()  # both editions


def _tagged_error_cells(path: Path) -> int:
    cells = json.loads(path.read_text())["cells"]
    return sum("raises-exception" in c.get("metadata", {}).get("tags", []) for c in cells)


def _screenshot(page, name: str) -> None:
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(harness.ARTIFACTS / f"{name}.png"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[harness.notebook_id(nb) for nb in NOTEBOOKS])
def test_run_all_and_move_every_explorer(lab, notebook):
    base, token, chromium = lab
    context, page = harness.open_notebook(chromium, base, token, harness.served_name(notebook))
    try:
        harness.run_all(page)
        report = harness.error_report(page)
        _screenshot(page, f"{harness.notebook_id(notebook)}-run-all")
        assert report["widgetErrors"] == 0, "a widget failed to display"
        unexpected = [e["source"] for e in report["errors"] if "raises-exception" not in e["tags"]]
        assert unexpected == [], f"unexpected errors in cells starting {unexpected}"
        assert len(report["errors"]) == _tagged_error_cells(notebook), "a raises-exception cell did not raise"
        # an intended error shows its type and message, not a traceback through torch (lessonkit.setup())
        for text in harness.intended_error_texts(page):
            lines = [line for line in text.splitlines() if line.strip()]
            assert 1 <= len(lines) <= 3 and "Traceback" not in text and "site-packages" not in text, text[:2000]
        explorers = harness.explorer_images(page)
        for index in range(explorers.count()):
            seconds = harness.slider_moves_picture(page, explorers.nth(index))
            assert seconds < 10
            _screenshot(page, f"{harness.notebook_id(notebook)}-explorer-{index}")
        assert harness.error_report(page)["widgetErrors"] == 0
    finally:
        harness.close_notebook(context, page)


@pytest.mark.parametrize("edition", ["en", "zh"])
def test_deck_presents_a_live_explorer(lab, edition):
    """Present a notebook with jupyterlab-slideshow, walk the deck to its explorer's slide as Space does,
    drag the explorer's slider with the mouse while presenting, and see its picture change (in each
    edition)."""
    base, token, chromium = lab
    with_explorer = [nb for nb in NOTEBOOKS if "Explorer(" in nb.read_text()
                     and (nb.parent.name == "zh") == (edition == "zh")]
    if not with_explorer:
        pytest.fail("no notebook shows an explorer: nothing to present")
    notebook = with_explorer[0]
    context, page = harness.open_notebook(chromium, base, token, harness.served_name(notebook))
    try:
        harness.run_all(page)
        assert harness.error_report(page)["widgetErrors"] == 0, "a widget failed to display"
        explorer = harness.explorer_images(page).first
        harness.start_deck(page, at_cell=0)
        state = harness.deck_walk_to(page, explorer)
        _screenshot(page, f"{harness.notebook_id(notebook)}-deck")
        assert state["mode"] == "presenting", state
        assert state["active"] == state["target"] and explorer.is_visible(), (
            f"the deck never shows the explorer's cell {state['target']} of {notebook.name}: {state}. "
            "jupyterlab-slideshow continues a slide only with cells whose slideshow.slide_type is absent, "
            f"null or \"\"; this cell's is {state['targetSlideType']!r}, which it shows on no slide")
        seconds = harness.drag_slider_moves_picture(page, explorer)
        assert seconds < 10
        assert harness.deck_state(page)["mode"] == "presenting", "the drag ended the presentation"
        assert explorer.is_visible()
        _screenshot(page, f"{harness.notebook_id(notebook)}-deck")
    finally:
        harness.close_notebook(context, page)
