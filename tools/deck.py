"""Present notebooks as a deck in JupyterLab + Chromium and list every slide that does not fit.

    .venv/bin/python tools/deck.py notebooks/05_losses.ipynb            # 1280x720 (a projector)
    .venv/bin/python tools/deck.py --size 1280x720 --size 1920x1080 --dpr 2 notebooks/*.ipynb
    make deck NB=notebooks/05_losses.ipynb

For every notebook: JupyterLab (token auth, throw-away state dirs) serves a copy, Chromium opens it at
the given window size, Run All, wait for the kernel to go idle, *Start Deck* (``deck:toggle`` of
jupyterlab-slideshow), then step through the whole deck as Space does (every slide, subslide,
fragment). Each (sub)slide is measured: its content height against the visible height (720 px at
1280x720), and anything cut or scrolled sideways (a code line wider than the editor, a wide output).

Output, per slide:  ``number  height  over-px  [wide-px what]  first heading or line``, with ``!!``
marking a slide the audience would have to scroll; then one summary line per notebook. A screenshot
of each overflowing slide (what the audience sees) goes to ``artifacts/deck/`` (``--shots all``: every
slide). ``--json FILE`` writes everything measured. Exit status 1 if any slide overflows.

``--no-run``: present the stored outputs as they are (after ``make regenerate``), without Run All: much
quicker, but explorers show their stored still instead of the live widget and its controls.

``--repo DIR``: present the notebooks of another checkout (e.g. ``git worktree add /tmp/old 9304c45``)
with that checkout's ``lessonkit``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser import harness  # noqa: E402


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1280x720, not {text!r}")
    return int(match[1]), int(match[2])


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40].lower() or "untitled"


def _line(slide: dict) -> str:
    over = slide["overflowY"]
    flag = "!!" if over > 0 else "  "
    wide = f"  wide {slide['overflowX']:4d} px ({slide['wideWhat']})" if slide["overflowX"] > 0 else ""
    if slide.get("remoteOverlap"):
        wide += f"  arrows cover {slide['remoteOverlap']} px²"
    return (f"  {flag} {slide['number']:>5}  cell {slide['cells'][0]:3d}  height {slide['height']:5d} px"
            f"  over {over:5d} px{wide}  {slide['title'][:70]}")


def present(chromium, base: str, token: str, notebook: Path, width: int, height: int, dpr: float,
            shots: str, out: Path, timeout: float = 900, run: bool = True) -> dict:
    """Run ``notebook`` in a fresh page, present it, and measure every slide."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    context, page = harness.open_notebook(chromium, base, token, harness.served_name(notebook), width, height, dpr)
    try:
        stalled = None
        try:
            if run:
                harness.run_all(page, timeout=timeout)
        except (harness.RunAllStalled, TimeoutError) as error:  # measure what ran; the summary says so
            stalled = str(error)
            page.screenshot(path=str(out / f"{harness.notebook_id(notebook)}-run-all-stalled.png"))
        report = harness.error_report(page)
        ran = time.monotonic() - started
        size = f"{width}x{height}" + (f"@{dpr:g}x" if dpr != 1 else "")

        def shoot(slide: dict) -> None:
            if shots == "all" or (shots == "overflow" and (slide["overflowY"] > 0 or slide["overflowX"] > 0)):
                out.mkdir(parents=True, exist_ok=True)
                path = out / f"{harness.notebook_id(notebook)}-{size}-{slide['number']}-{_slug(slide['title'])}.png"
                page.screenshot(path=str(path))
                slide["screenshot"] = str(path.relative_to(REPO) if path.is_relative_to(REPO) else path)

        try:
            deck = harness.deck_slides(page, on_slide=shoot)
        finally:
            harness.stop_deck(page)
        deck.update(notebook=harness.notebook_id(notebook), size=size, seconds_run_all=round(ran, 1),
                    seconds=round(time.monotonic() - started, 1), errors=report["errors"],
                    widget_errors=report["widgetErrors"], stalled=stalled)
        return deck
    finally:
        harness.close_notebook(context, page)


def summary(deck: dict) -> str:
    slides = deck["slides"]
    tall = [s for s in slides if s["overflowY"] > 0]
    wide = [s for s in slides if s["overflowX"] > 0]
    worst = max((s["overflowY"] for s in tall), default=0)
    covered = sum(bool(s.get("remoteOverlap")) for s in slides)
    text = (f"{deck['notebook']} @ {deck['size']}: {len(tall)} of {len(slides)} slides taller than the "
            f"screen (worst +{worst} px), {len(wide)} with content cut sideways, {covered} with content under "
            f"the deck's arrows; {deck['steps']} steps, {deck['seconds']:.0f} s")
    if deck["unreached"]:
        text += f"; cells never shown in the deck: {deck['unreached']}"
    if deck["stalled"]:
        text += f"; RUN ALL STALLED: {deck['stalled']}"
    unexpected = [e["source"] for e in deck["errors"] if "raises-exception" not in e["tags"]]
    if unexpected or deck["widget_errors"]:
        text += f"; UNEXPECTED ERRORS in cells {unexpected} ({deck['widget_errors']} widget errors)"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--size", type=_size, action="append", help="window size, default 1280x720; repeatable")
    parser.add_argument("--dpr", type=float, default=1, help="devicePixelRatio (1 or 2), default 1")
    parser.add_argument("--shots", choices=["overflow", "all", "none"], default="overflow",
                        help="screenshots to take (default: overflowing slides)")
    parser.add_argument("--out", type=Path, default=REPO / "artifacts" / "deck", help="screenshot folder")
    parser.add_argument("--json", type=Path, help="write every measurement to this file")
    parser.add_argument("--repo", type=Path, help="another checkout: present its notebooks with its lessonkit")
    parser.add_argument("--no-run", action="store_true",
                        help="present the stored outputs without Run All (quick; explorers show their still)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds Run All may take (default 900)")
    parser.add_argument("--lab-arg", action="append", default=[], metavar="ARG",
                        help="extra JupyterLab option, e.g. --lab-arg=--LabApp.app_settings_dir=DIR; repeatable")
    args = parser.parse_args(argv)
    reason = harness.chromium_missing_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    root = (args.repo or REPO).resolve()
    notebooks = [(p if p.is_absolute() or args.repo is None else root / p) for p in args.notebooks]
    notebooks = [p.resolve() for p in notebooks] or harness.all_notebooks()
    sizes = args.size or [(1280, 720)]
    decks = []
    with harness.jupyter_lab(notebooks, pythonpath=root if args.repo else None,
                             lab_args=tuple(args.lab_arg)) as (base, token, _), \
            harness.browser() as chromium:
        for width, height in sizes:
            for notebook in notebooks:
                deck = present(chromium, base, token, notebook, width, height, args.dpr, args.shots, args.out,
                               args.timeout, run=not args.no_run)
                print(f"{harness.notebook_id(notebook)} @ {deck['size']}", flush=True)
                for slide in deck["slides"]:
                    print(_line(slide), flush=True)
                print(summary(deck), flush=True)
                decks.append(deck)
    print("\nSummary")
    for deck in decks:
        print(summary(deck))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(decks, indent=1))
    return 1 if any(s["overflowY"] > 0 for d in decks for s in d["slides"]) else 0


if __name__ == "__main__":
    sys.exit(main())
