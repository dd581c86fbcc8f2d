"""Lesson 6's optimisation workloads, measured side by side in one process.

Targets: 1,024 starts x 20,000 Adam steps as one batched tensor in <= 1.3x the wall time of the
reference's single-start loop; a basins-of-attraction map of >= 40,000 starts in <= 5 s; the explorer's
precompute (every setting run with torch.optim: 4 optimizers x 7 lrs x 121 starts x 1,000 steps) in <= 3 s,
reported as wall time and as CPU time (the machine may be shared: CPU time is what the run itself costs).
"""

from __future__ import annotations

import time

import torch
from common import report

import lessonkit
from lessonkit import adam_himmelblau as lesson


def timed(fn, *args, **kwargs) -> float:
    started = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - started


def main() -> bool:
    lessonkit.setup()
    starts = (torch.rand(1024, 2) * 10 - 5).tolist()
    single, batched = [], []
    for _ in range(2):  # alternate, so a load spike hits both sides alike
        single.append(timed(lesson.run_reference_loop))
        batched.append(timed(lesson.optimise_batch, starts, steps=20_000, lr=1e-3))
    ok = report("Himmelblau: reference single-start loop (20,000 steps)", min(single), 10.0, unit="s",
                label="best of 2")
    ok &= report("Himmelblau: 1,024 starts x 20,000 steps, batched", min(batched), 1.3 * min(single), unit="s",
                 label="best of 2")
    ok &= report("Himmelblau: batched / single wall time", min(batched) / min(single), 1.3, ratio=True)
    seconds = timed(lesson.basins_map, 200)
    ok &= report("Himmelblau: basins map, 200 x 200 = 40,000 starts", seconds, 5.0, unit="s", label="once")
    cpu, wall = time.process_time(), time.perf_counter()
    lesson.precompute_explorer(progress=False)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    ok &= report("Himmelblau: explorer precompute (torch.optim), wall", wall, 3.0, unit="s", label="once")
    ok &= report("Himmelblau: explorer precompute (torch.optim), CPU", cpu, 3.0, unit="s", label="once")
    return ok


if __name__ == "__main__":
    main()
