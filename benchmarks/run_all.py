"""Run every benchmark and print one line per figure (make benchmarks). Benchmarks report; they are
not tests: a MISSED line is a finding to act on, not a failure of the suite."""

from __future__ import annotations

import browser_latency
import explorers
import himmelblau
import memory
import nbval_suite

if __name__ == "__main__":
    results = {}
    for module in (explorers, himmelblau, browser_latency, memory, nbval_suite):
        print(f"\n## {module.__name__}")
        results[module.__name__] = module.main()
    print("\nall targets met" if all(results.values()) else
          "\nmissed targets in: " + ", ".join(k for k, v in results.items() if not v))
