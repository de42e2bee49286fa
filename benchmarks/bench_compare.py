"""Time ``gmm_pp.compare`` for n = 500, d = 2, K = 3, 4 chains x 1000 draws after 1000 tuning.

Each measurement runs in a fresh process (as a user would): once with an empty
compile cache (cold), once with the cache it filled (warm). Within the warm
process a second data set of the same shape is fitted too, to show the model
is not recompiled. Reports wall seconds (with and without imports), each step's
seconds, and the ESS per second of the slowest parameter.

Usage::

    .venv/bin/python benchmarks/bench_compare.py                      # ~1 minute
    .venv/bin/python benchmarks/bench_compare.py --covariance full    # the demo's full truth
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time


def one_run(covariance: str) -> dict:
    """Run in the child: import, compare twice (two data sets), report."""
    t_start = time.perf_counter()
    import numpy as np

    import gmm_pp
    from gmm_pp.config import SamplerConfig
    from gmm_pp.data import DEMO_TRUTHS

    t_imported = time.perf_counter()
    truth = DEMO_TRUTHS[covariance]
    X1, _ = truth.sample(500, seed=1)
    X2, _ = truth.sample(500, seed=2)
    cfg = SamplerConfig(draws=1000, tune=1000, chains=4)
    out = {"import_s": t_imported - t_start}
    for label, X, seed in (("first", X1, 1), ("second", X2, 2)):
        t = time.perf_counter()
        comp = gmm_pp.compare(X, 3, sampler=cfg, seed=seed, covariance=covariance)
        wall = time.perf_counter() - t
        d = comp.diagnostics
        out[label] = {
            "compare_s": wall,
            "steps_s": comp.timings,
            "ess_bulk_min": d.ess_bulk_min,
            "ess_per_s_slowest": d.ess_bulk_min / comp.timings["sample"],
            "rhat_max": d.rhat_max,
            "divergences": d.divergences,
        }
    out["first"]["process_s"] = out["import_s"] + out["first"]["compare_s"]
    out["numpy"] = np.__version__
    return out


def main() -> None:
    covariance = "spherical"
    if "--covariance" in sys.argv:
        covariance = sys.argv[sys.argv.index("--covariance") + 1]
    if "--child" in sys.argv:
        print(json.dumps(one_run(covariance)))
        return
    cache = tempfile.mkdtemp(prefix="gmm-pp-bench-cache-")
    env = dict(os.environ, PYTENSOR_FLAGS=f"base_compiledir={cache}")
    results = {}
    for label in ("cold", "warm"):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", "--covariance", covariance],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            raise SystemExit(proc.stderr)
        results[label] = json.loads(proc.stdout.strip().splitlines()[-1])
    for label, r in results.items():
        first, second = r["first"], r["second"]
        steps = ", ".join(f"{k} {v:.2f}" for k, v in first["steps_s"].items())
        print(
            f"{label}: process {first['process_s']:.1f} s (imports {r['import_s']:.1f} s, "
            f"compare {first['compare_s']:.1f} s: {steps}); ESS/s slowest parameter "
            f"{first['ess_per_s_slowest']:.0f}; R-hat {first['rhat_max']:.4f}"
        )
        steps2 = ", ".join(f"{k} {v:.2f}" for k, v in second["steps_s"].items())
        print(
            f"  second data set, same process: compare {second['compare_s']:.2f} s "
            f"({steps2}); ESS/s slowest {second['ess_per_s_slowest']:.0f}"
        )
    out = os.path.join(os.path.dirname(__file__), "results")
    os.makedirs(out, exist_ok=True)
    name = "compare.json" if covariance == "spherical" else f"compare_{covariance}.json"
    with open(os.path.join(out, name), "w") as fh:
        json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
