"""Model selection: the EM grid on faithful, the Bayesian side of the top 3, a recovery study.

Usage::

    .venv/bin/python benchmarks/bench_select.py em [RUNS]        # EM grid, 2 workers and serial
    .venv/bin/python benchmarks/bench_select.py bayes            # top 3 by BIC: cold, then warm
    .venv/bin/python benchmarks/bench_select.py study [R] [N..]  # recovery of tied K = 3
    .venv/bin/python benchmarks/bench_select.py engines          # posteriors: workers = here

``em``: ``select(faithful, bayes="none")`` over K = 1..9 and the four structures with the
default starts, in a process that has imported gmm-pp (imports timed apart), RUNS times
(default 5), on the local engine with 2 workers and in this process.

``bayes``: ``select(faithful)`` (bayes="top", top=3) in a new process, first with an
empty compile cache, then again with the cache it filled (each process imports PyMC).

``engines``: the posteriors of spherical and full K = 2, 3 on simulated 2-D data, on two
worker processes (each structure in one, the comparisons sent back pickled) and in this
process: the same LOO rows and the same draws.

``study``: a selection scenario, a tied 3-component mixture in 2-D (the study's fixed
truth, separation 3) at each n (default 100, 250, 500), K = 1..6 and the four
structures, EM criteria only; R replications (default 200) on 2 workers.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def bench_em(runs: int) -> None:
    t0 = time.perf_counter()
    import gmm_pp
    from gmm_pp.selection import select

    X = gmm_pp.load_dataset("faithful", as_frame=True)
    select(X, k=(1,), bayes="none", seed=0)  # imports pandas & co. once
    print(f"imports {time.perf_counter() - t0:.2f} s")
    for engine in ("local", "serial"):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            sel = select(X, bayes="none", seed=0, engine=engine, workers=2)
            times.append(time.perf_counter() - t)
        print(
            f"{engine:6}: median {statistics.median(times):.2f} s, runs "
            + ", ".join(f"{t:.2f}" for t in times)
            + f"; chosen {sel.chosen}, BIC {sel.table().iloc[0]['bic']:.2f}"
        )


_CHILD = """
import sys, time, json
t0 = time.perf_counter()
import gmm_pp
from gmm_pp.selection import select
X = gmm_pp.load_dataset("faithful", as_frame=True)
t1 = time.perf_counter()
sel = select(X, seed=0, engine="local", workers=2)
t2 = time.perf_counter()
t = sel.table().dropna(subset=["elpd_loo"])
print(json.dumps({"imports": t1 - t0, "select": t2 - t1, "models": list(t.index),
                  "elpd": list(t["elpd_loo"]), "weights": list(t["stacking_weight"]),
                  "rhat": list(t["rhat_max"])}))
"""


def bench_bayes() -> None:
    cache = tempfile.mkdtemp(prefix="gmm-pp-bench-select-cache-")
    env = dict(os.environ, PYTENSOR_FLAGS=f"base_compiledir={cache}")
    for label in ("cold", "warm"):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
        wall = time.perf_counter() - t
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{label}: process {wall:.1f} s (imports {r['imports']:.1f} s, select "
            f"{r['select']:.1f} s); posteriors "
            + ", ".join(
                f"{m} elpd {e:.1f} weight {w:.2f} R-hat {h:.3f}"
                for m, e, w, h in zip(r["models"], r["elpd"], r["weights"], r["rhat"], strict=True)
            )
        )


def bench_study(replications: int, ns: list[int]) -> None:
    from gmm_pp.study import load_config, run_study

    cfg = load_config({
        "study": {"replications": replications, "seed": 1},
        "scenario": [{"name": "tied3", "n": ns, "k": 3, "d": 2, "covariance": "tied",
                      "separation": 3.0,
                      "select": {"k": [1, 2, 3, 4, 5, 6], "covariance": "all"}}],
    })  # fmt: skip
    out = tempfile.mkdtemp(prefix="gmm-pp-bench-select-study-")
    t = time.perf_counter()
    result = run_study(cfg, out, engine="local", workers=2, progress=True)
    print(f"{len(result.replications)} replications in {time.perf_counter() - t:.0f} s ({out})")
    for r in result.summary["recovery"]:
        print(
            f"  {r['scenario']:14} {r['criterion']:6}: true model {r['rate']:.3f} +- "
            f"{r['mcse']:.3f}, true K {r['rate_k']:.3f} +- {r['mcse_k']:.3f} "
            f"({r['replications']} replications)"
        )


def bench_engines() -> None:
    import numpy as np
    import pandas as pd

    import gmm_pp
    from gmm_pp.data import DEMO_TRUTH
    from gmm_pp.selection import select

    X, _ = gmm_pp.simulate(DEMO_TRUTH, 300, seed=1)
    kwargs = {"k": (2, 3), "covariance": ("spherical", "full"), "bayes": "all", "seed": 0,
              "sampler": gmm_pp.SamplerConfig(draws=300, tune=300)}  # fmt: skip
    local = select(X, engine="local", workers=2, **kwargs)
    serial = select(X, **kwargs)
    pd.testing.assert_frame_equal(local.bayes, serial.bayes)
    for name in serial.bayes_names():
        for a, b in zip(local.comparison(name).draws(), serial.comparison(name).draws(),
                        strict=True):  # fmt: skip
            np.testing.assert_array_equal(a, b)
    print(f"local (2 workers) = serial: {serial.bayes_names()}, LOO rows and draws identical")


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "em"
    if mode == "em":
        bench_em(int(sys.argv[2]) if len(sys.argv) > 2 else 5)
    elif mode == "bayes":
        bench_bayes()
    elif mode == "engines":
        bench_engines()
    elif mode == "study":
        reps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
        ns = [int(v) for v in sys.argv[3:]] or [100, 250, 500]
        bench_study(reps, ns)
    else:
        raise SystemExit(f"unknown mode {mode!r}: em, bayes, engines or study")


if __name__ == "__main__":
    main()
