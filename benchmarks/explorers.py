"""In-kernel explorer latency: set a control's .value -> new PNG published (compute + render).

Target (issue: instructor-grade interactivity): median <= 30 ms, p95 <= 100 ms for every control of
every explorer, over >= 20 moves at default settings; the Himmelblau explorer <= 100 ms median after
a one-time precompute of <= 3 s.
"""

from __future__ import annotations

import time

from common import median_p95, report

import lessonkit
from lessonkit.widgets import sweep_values

MOVES = 24


def main() -> bool:
    lessonkit.setup()
    ok = True
    for cls in lessonkit.explorer_classes():
        started = time.perf_counter()
        explorer = cls()
        build = time.perf_counter() - started
        if cls.__name__ == "HimmelblauExplorer":
            ok &= report(f"{cls.__name__}: one-time precompute + build", build, 3.0, unit="s")
        for name, control in explorer.controls.items():
            default = control.value
            samples = []
            for value in sweep_values(control, MOVES):
                control.value = value
                samples.append(explorer.last_render_seconds * 1000)
            control.value = default
            median, p95 = median_p95(samples)
            ok &= report(f"{cls.__name__}.{name} (in kernel)", median, 30, p95=p95, p95_target=100)
        explorer.close()
    return ok


if __name__ == "__main__":
    main()
