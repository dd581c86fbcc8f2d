"""In JupyterLab in Chromium at 1280x720: key press on an explorer's slider -> changed picture on the
screen, at devicePixelRatio 1 and 2; and how sharp the picture is as shown (image px per device px).

What is timed (tests/browser/harness.py, ``slider_move_timings``), in the page's own clock: from the
keydown event to the presentation of the first frame showing the new picture (Element Timing API).
Until 2026-12-01 this benchmark timed from before playwright sent the key to after a second
playwright call had seen the image's ``src`` change: that counted two to three automation round trips
(Python -> playwright -> Chromium: 120 ms median measured at a load average of 11 on 2 cores) and missed
the picture's decoding and painting. Each line also splits the median: key -> new picture in the page
(kernel + transport) and -> on screen (loading, decoding, painting in Chromium).

Reuses the browser tests' harness (tests/browser/harness.py). Target: median <= 80 ms over >= 20
moves, for the first explorer of every notebook that has one, at both ratios; >= 1 image px per
device px at devicePixelRatio 2. The ratio is switched on the same page (Chromium's device metrics
override), so both are measured on one Run All.

    python browser_latency.py             # every notebook with an explorer
    python browser_latency.py --baseline  # the same, with the explorer base as before issue 17
                                          # (1x PNG, image free to stretch): the "before" figures
    python browser_latency.py 01 04       # only the notebooks whose names contain 01 or 04

Each explorer is also photographed as shown, at device resolution, into artifacts/explorers/after/ (or
before/ with --baseline): <notebook>-dpr1.png and -dpr2.png, to compare sharpness side by side.
"""

from __future__ import annotations

import base64
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import nbformat
from common import REPO_ROOT, median_p95, report

sys.path.insert(0, str(REPO_ROOT))
from tests.browser import harness  # noqa: E402

MOVES = 20
SHOTS = REPO_ROOT / "artifacts" / "explorers"  # screenshots of each explorer as shown, per ratio (ignored folder)
VIEWPORT = {"width": 1280, "height": 720}
# Before issue 17: pictures at 1 image px per CSS px, PNG, no fixed CSS width (max-width 100% only).
BASELINE_CELL = """from lessonkit.widgets import Explorer as _Explorer
_Explorer.pixel_ratio, _Explorer.image_format = 1, "png"
_init = _Explorer.__init__
def _old_layout(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.image.layout.width = None
    self.image.layout.height = None
_Explorer.__init__ = _old_layout"""

SHOWN = """(explorer) => { const img = explorer.querySelector('img'); const box = img.getBoundingClientRect();
    return {css: box.width, cssHeight: box.height, natural: img.naturalWidth, dpr: window.devicePixelRatio,
            explorerHeight: explorer.getBoundingClientRect().height}; }"""


def set_device_pixel_ratio(page, ratio: float) -> None:
    session = page.context.new_cdp_session(page)
    session.send("Emulation.setDeviceMetricsOverride", {**VIEWPORT, "deviceScaleFactor": ratio, "mobile": False})
    page.wait_for_function(f"() => window.devicePixelRatio === {ratio}")


def device_screenshot(page, element, path: Path, ratio: float) -> None:
    """The element as the screen shows it, one image px per device px (playwright's own screenshot
    ignores a device scale set through CDP; the clip's scale asks Chromium for device pixels)."""
    box = element.bounding_box()
    session = page.context.new_cdp_session(page)
    shot = session.send("Page.captureScreenshot", {"format": "png", "clip": {**box, "scale": ratio}})
    path.write_bytes(base64.b64decode(shot["data"]))


def key_presses(page, explorer) -> list[dict]:
    samples, key = [], "ArrowRight"
    handle = explorer.locator(".noUi-handle").first
    for _ in range(MOVES):
        value, low, high = (float(handle.get_attribute(f"aria-value{n}")) for n in ("now", "min", "max"))
        if value >= high:  # bounce between the ends of the slider's range
            key = "ArrowLeft"
        elif value <= low:
            key = "ArrowRight"
        samples.append(harness.slider_move_timings(page, explorer, key))
    return samples


def with_baseline_cell(notebooks: list[Path], folder: Path) -> list[Path]:
    copies = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_code_cell(BASELINE_CELL))
        copy = folder / path.name
        nbformat.write(nb, copy)
        copies.append(copy)
    return copies


def main(baseline: bool = False, only: tuple[str, ...] = ()) -> bool:
    reason = harness.chromium_missing_reason()
    if reason:
        print(f"browser latency: skipped ({reason})")
        return True
    notebooks = [nb for nb in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")) if "Explorer(" in nb.read_text()
                 and (not only or any(part in nb.name for part in only))]
    print("(timings depend on machine load: compare runs made on a quiet machine)")
    folder = Path(tempfile.mkdtemp(prefix="lessonkit-latency-"))
    if baseline:
        notebooks = with_baseline_cell(notebooks, folder)
    label = " [baseline: before issue 17]" if baseline else ""
    ok = True
    try:
        with harness.jupyter_lab(notebooks) as (base, token, _root), harness.browser() as chromium:
            for notebook in notebooks:
                context, page = harness.open_notebook(chromium, base, token, notebook.name, **VIEWPORT)
                try:
                    try:
                        harness.run_all(page, timeout=600)
                    except TimeoutError as error:  # a loaded machine: report it, measure the other notebooks
                        ok = report(f"{notebook.stem}: Run All did not finish ({error})"[:58], float("inf"), 80)
                        continue
                    explorer = harness.explorer_images(page).first
                    for ratio in (1, 2):
                        set_device_pixel_ratio(page, ratio)
                        explorer.scroll_into_view_if_needed()
                        moves = key_presses(page, explorer)
                        median, p95 = median_p95([m["painted"] - m["pressed"] for m in moves])
                        ok &= report(f"{notebook.stem}: key press -> picture on screen, DPR {ratio}{label}",
                                     median, 80, p95=p95)
                        to_page = statistics.median(m["changed"] - m["pressed"] for m in moves)
                        on_screen = statistics.median(m["painted"] - m["changed"] for m in moves)
                        how = sorted({m["how"] for m in moves})
                        print(f"    of which key -> new picture in the page (kernel, transport) {to_page:.1f} ms, "
                              f"-> on screen {on_screen:.1f} ms (end: {', '.join(how)})", flush=True)
                        shown = explorer.evaluate(SHOWN)
                        density = shown["natural"] / (shown["css"] * shown["dpr"])
                        print(f"  {notebook.stem} at DPR {ratio}: image {shown['natural']} px wide shown "
                              f"{shown['css']:.0f} CSS px wide -> {density:.2f} image px per device px; "
                              f"explorer with controls {shown['explorerHeight']:.0f} CSS px tall", flush=True)
                        if ratio == 2:
                            ok &= density >= 1.0 or baseline
                        # what the audience sees, at device resolution: before (--baseline) and after issue 17
                        shot = SHOTS / ("before" if baseline else "after") / f"{notebook.stem}-dpr{ratio}.png"
                        shot.parent.mkdir(parents=True, exist_ok=True)
                        device_screenshot(page, explorer, shot, ratio)
                finally:
                    harness.close_notebook(context, page)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return ok


if __name__ == "__main__":
    main(baseline="--baseline" in sys.argv, only=tuple(a for a in sys.argv[1:] if not a.startswith("--")))
