"""In JupyterLab in Chromium: key press on an explorer's slider -> changed picture on the page.

Reuses the browser tests' harness (tests/browser/harness.py). Target: median <= 80 ms over >= 20
moves, for the first explorer of every notebook that has one.
"""

from __future__ import annotations

import sys

from common import REPO_ROOT, median_p95, report

sys.path.insert(0, str(REPO_ROOT))
from tests.browser import harness  # noqa: E402

MOVES = 24


def main() -> bool:
    reason = harness.chromium_missing_reason()
    if reason:
        print(f"browser latency: skipped ({reason})")
        return True
    notebooks = [nb for nb in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")) if "Explorer(" in nb.read_text()]
    ok = True
    with harness.jupyter_lab(notebooks) as (base, token, _root), harness.browser() as chromium:
        for notebook in notebooks:
            context, page = harness.open_notebook(chromium, base, token, notebook.name)
            try:
                harness.run_all(page)
                explorer = harness.explorer_images(page).first
                samples, key = [], "ArrowRight"
                handle = explorer.locator(".noUi-handle").first
                for _ in range(MOVES):
                    value, low, high = (float(handle.get_attribute(f"aria-value{n}")) for n in ("now", "min", "max"))
                    if value >= high:  # bounce between the ends of the slider's range
                        key = "ArrowLeft"
                    elif value <= low:
                        key = "ArrowRight"
                    samples.append(harness.slider_moves_picture(page, explorer, key) * 1000)
                median, p95 = median_p95(samples)
                ok &= report(f"{notebook.stem}: key press -> new picture (Chromium)", median, 80, p95=p95)
            finally:
                context.close()
    return ok


if __name__ == "__main__":
    main()
