"""Every notebook presented as a deck at 1280x720 (a classroom projector) fits: no slide is taller
than the screen.

Each notebook runs (Run All) in JupyterLab in Chromium, then jupyterlab-slideshow presents it and
the test steps through the whole deck as Space does: every slide, subslide, fragment and cell. A
(sub)slide whose content is taller than the window fails the test, which names each one with its
first heading and how many px it is too tall, and prints the count per notebook. The same
measurement is ``make deck NB=...`` (tools/deck.py); screenshots of failing slides go to
artifacts/deck/. The server is shared with the other browser tests (conftest.py).
"""

from __future__ import annotations

import json

import pytest

from tests.browser import harness

pytestmark = pytest.mark.browser

NOTEBOOKS = harness.all_notebooks()  # both editions
WIDTH, HEIGHT = 1280, 720
SUMMARY = harness.REPO / "artifacts" / "deck" / "test-deck-summary.txt"


@pytest.fixture(scope="module")
def counts(request):
    """Overflow count per notebook; printed (and written to artifacts/deck/) when the module ends."""
    found: dict[str, str] = {}
    yield found
    lines = [f"deck at {WIDTH}x{HEIGHT}: slides taller than the screen, per notebook"]
    lines += [f"  {name}: {text}" for name, text in sorted(found.items())]
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text("\n".join(lines) + "\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    for line in lines:
        (reporter.write_line if reporter else print)(line)


def _slide_types(notebook) -> list:
    cells = json.loads(notebook.read_text())["cells"]
    return [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in cells]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[harness.notebook_id(nb) for nb in NOTEBOOKS])
def test_every_slide_fits_1280x720(lab, counts, notebook):
    base, token, chromium = lab
    context, page = harness.open_notebook(chromium, base, token, harness.served_name(notebook), WIDTH, HEIGHT)
    try:
        harness.run_all(page)
        def shoot(slide: dict) -> None:  # what the audience sees, for the CI artifacts
            if slide["overflowY"] > 0 or slide["remoteOverlap"]:
                SUMMARY.parent.mkdir(parents=True, exist_ok=True)
                name = f"test-{harness.notebook_id(notebook)}-{slide['number']}.png"
                page.screenshot(path=str(SUMMARY.parent / name))

        try:
            deck = harness.deck_slides(page, on_slide=shoot)
        finally:
            harness.stop_deck(page)
    finally:
        harness.close_notebook(context, page)
    slides = deck["slides"]
    tall = [s for s in slides if s["overflowY"] > 0]
    report = (f"{len(tall)} of {len(slides)} slides taller than {WIDTH}x{HEIGHT}"
              + "".join(f"\n    slide {s['number']} (cell {s['cells'][0]}) '{s['title'][:60]}': "
                        f"{s['height']} px, {s['overflowY']} px too tall" for s in tall))
    counts[harness.notebook_id(notebook)] = report
    print(f"{harness.notebook_id(notebook)}: {report}")
    heads = [i for i, t in enumerate(_slide_types(notebook)) if t in ("slide", "subslide")]
    assert len(slides) >= max(1, len(heads)), f"the deck showed {len(slides)} slides, the notebook has {len(heads)}"
    assert deck["unreached"] == [], (
        f"{notebook.name}: cells {deck['unreached']} are never shown by the deck (slide_type '-' or 'skip'?)")
    assert tall == [], f"{notebook.name}: {report}\n(see them: make deck NB=notebooks/{harness.served_name(notebook)})"
    covered = [f"slide {s['number']} '{s['title'][:50]}'" for s in slides if s["remoteOverlap"]]
    assert covered == [], (
        f"{notebook.name}: the deck's navigation arrows cover content on {covered}. The course's JupyterLab "
        "settings (share/jupyter/lab/settings/overrides.d/lessonkit.json) shrink them into the right margin: "
        "are they installed in <sys.prefix>/share/jupyter/lab/settings/overrides.d/?")
