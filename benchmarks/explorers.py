"""In-kernel explorer latency: set a control's .value -> new picture published (compute + render + encode).

Target (issue: instructor-grade interactivity): median <= 30 ms, p95 <= 100 ms for every control of
every explorer, over >= 20 moves at default settings; the Himmelblau explorer <= 100 ms median after
a one-time precompute of <= 3 s.

Sharpness (issue 17): the picture must carry >= 1 image pixel per device pixel at devicePixelRatio 2
at the width it is shown. The kernel renders the same bytes whatever the screen, so one latency
figure holds at devicePixelRatio 1 and 2; each explorer's line gives its image size, the CSS width it
is shown at, and image px per device px at both ratios. (benchmarks/browser_latency.py measures the
width really shown in Chromium.)

    python explorers.py            # the course's settings
    python explorers.py --compare  # also: lossless PNG at 2x and the old 1x PNG, same run, for the README
"""

from __future__ import annotations

import sys
import time

from common import median_p95, report

import lessonkit
from lessonkit.widgets import sweep_values
from tests.helpers import lesson_explorers  # also the explorers a lesson re-exports from a split-out module

MOVES = 24


def measure(cls, variant: dict | None = None, quiet: bool = False) -> tuple[bool, list[float], list[float]]:
    """Every control of one explorer class (optionally with changed class attributes)."""
    if variant:
        cls = type(cls.__name__, (cls,), {**variant, "__module__": cls.__module__})
    started = time.perf_counter()
    explorer = cls()
    build = time.perf_counter() - started
    ok = True
    if cls.__name__ == "HimmelblauExplorer" and not quiet:
        ok &= report(f"{cls.__name__}: one-time precompute + build", build, 3.0, unit="s")
    everything, everything_cpu = [], []
    for name, control in explorer.controls.items():
        default = control.value
        samples, cpu = [], []
        for value in sweep_values(control, MOVES):
            control.value = value
            samples.append(explorer.last_render_seconds * 1000)
            cpu.append(explorer.last_render_cpu_seconds * 1000)
        control.value = default
        everything += samples
        everything_cpu += cpu
        median, p95 = median_p95(samples)
        if not quiet:
            ok &= report(f"{cls.__name__}.{name} (in kernel, DPR 1 and 2)", median, 30, p95=p95, p95_target=100)
            cpu_median, cpu_p95 = median_p95(cpu)
            print(f"    CPU time of the same (robust to load): median {cpu_median:.1f} ms, p95 {cpu_p95:.1f} ms")
    if not quiet:
        image_w, image_h = explorer.canvas.get_width_height(physical=True)
        css_w, css_h = explorer.css_size
        print(f"  {cls.__name__}: image {image_w}x{image_h} px ({explorer.image_format}), "
              f"shown {css_w}x{css_h} CSS px: {image_w / css_w:.2f} image px per device px at DPR 1, "
              f"{image_w / (2 * css_w):.2f} at DPR 2", flush=True)
        ok &= image_w / (2 * css_w) >= 1.0
    explorer.close()
    return ok, everything, everything_cpu


def main(compare: bool = False) -> bool:
    lessonkit.setup()
    print("(timings depend on machine load: compare runs made on a quiet machine)")
    ok = True
    for cls in lesson_explorers().values():
        ok &= measure(cls)[0]
        if compare:
            for label, variant in [("JPEG q95 at 2x (chosen)", {}), ("PNG at 2x (lossless)", {"image_format": "png"}),
                                   ("PNG at 1x (before issue 17)", {"image_format": "png", "pixel_ratio": 1})]:
                _, wall, cpu = measure(cls, variant, quiet=True)
                (median, p95), (cpu_median, cpu_p95) = median_p95(wall), median_p95(cpu)
                print(f"  {cls.__name__}, all controls, {label:28} wall median {median:6.1f} p95 {p95:6.1f} ms;"
                      f" CPU median {cpu_median:6.1f} p95 {cpu_p95:6.1f} ms", flush=True)
    return ok


if __name__ == "__main__":
    main(compare="--compare" in sys.argv)
