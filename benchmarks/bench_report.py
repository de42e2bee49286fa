"""Time ``reports.write_report`` on the demo comparison (target: under 10 s).

Usage::

    .venv/bin/python benchmarks/bench_report.py            # fits the demo comparison first
    .venv/bin/python benchmarks/bench_report.py fits/demo  # a comparison saved by gmm-pp fit
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    import gmm_pp
    import reports
    from gmm_pp.data import DEMO_TRUTH

    if len(sys.argv) > 1:
        comparison = gmm_pp.Comparison.load(sys.argv[1])
    else:
        X, _ = DEMO_TRUTH.sample(500, seed=0)
        comparison = gmm_pp.compare(X, 3, seed=0, truth=DEMO_TRUTH)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(3):
            t = time.perf_counter()
            reports.write_report(comparison, Path(tmp) / f"r{i}")
            times.append(time.perf_counter() - t)
    print(
        f"write_report, demo comparison (n = {comparison.X.shape[0]}, K = 3, "
        f"{comparison.diagnostics.chains} x {comparison.diagnostics.draws} draws): "
        f"first {times[0]:.2f} s (matplotlib warm-up included), best {min(times):.2f} s"
    )


if __name__ == "__main__":
    main()
