"""Shared helpers for the benchmark scripts: statistics and the one-line report format."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def median_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def report(name: str, value: float, target: float, unit: str = "ms", p95: float | None = None,
           p95_target: float | None = None, ratio: bool = False, label: str = "median") -> bool:
    """Print one line: name, median (and p95), target, met or not. Returns whether it met the target."""
    met = value <= target and (p95 is None or p95_target is None or p95 <= p95_target)
    if ratio:
        line = f"{name:58} ratio {value:6.2f}   target <= {target:.2f}"
    else:
        line = f"{name:58} {label} {value:8.1f} {unit}"
        if p95 is not None:
            line += f"  p95 {p95:8.1f} {unit}"
        line += f"   target <= {target:g} {unit}"
        if p95_target is not None:
            line += f" (p95 <= {p95_target:g} {unit})"
    print(f"{line}   {'OK' if met else 'MISSED'}", flush=True)
    return met
