"""Study throughput, Dask scaling, and a 1000-replication SBC study.

Scenario of issue 6: n = 200, K = 2, d = 1, 4 chains x 500 draws (after 500 tuning).

Usage::

    .venv/bin/python benchmarks/bench_study.py throughput      # local pool, 2 workers (~2 min)
    .venv/bin/python benchmarks/bench_study.py scaling         # Dask, 1 then 2 workers (~4 min)
    .venv/bin/python benchmarks/bench_study.py sbc [R]         # R = 1000 replications (~15 min)
    .venv/bin/python benchmarks/bench_study.py sbc-full [R]    # full covariance, d = 2, R = 400

"Warm" rates count replications finished after every worker has finished one
(its first includes importing PyMC and compiling the model once).
"""

from __future__ import annotations

import sys
import tempfile
import time

from gmm_pp.study import load_config, run_study


def config(
    replications: int, truth: str = "fixed", seed: int = 1, d: int = 1, covariance="spherical"
):
    scenario = {"name": "bench", "n": 200, "k": 2, "d": d, "truth": truth, "covariance": covariance}
    return load_config(
        {
            "study": {"replications": replications, "seed": seed, "draws": 500, "chains": 4},
            "scenario": [scenario],
        }
    )


def timed(cfg, engine: str, workers: int) -> dict:
    stamps: list[float] = []
    out = tempfile.mkdtemp(prefix="gmm-pp-bench-study-")
    t0 = time.perf_counter()
    result = run_study(
        cfg, out, engine=engine, workers=workers, progress=False,
        on_result=lambda r: stamps.append(time.perf_counter()),
    )  # fmt: skip
    wall = time.perf_counter() - t0
    warm = stamps[workers - 1 :]
    rate = (len(warm) - 1) / (warm[-1] - warm[0]) * 60 if len(warm) > 1 else float("nan")
    errors = int((result.replications["error"].fillna("") != "").sum())
    return {"wall": wall, "warm_per_min": rate, "n": len(stamps), "errors": errors,
            "result": result}  # fmt: skip


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "throughput"
    if mode == "throughput":
        r = timed(config(120), "local", 2)
        print(
            f"local pool, 2 workers: {r['n']} replications in {r['wall']:.1f} s "
            f"({r['n'] / r['wall'] * 60:.1f}/min overall), warm {r['warm_per_min']:.1f}/min, "
            f"{r['errors']} errors"
        )
    elif mode == "scaling":
        rates = {}
        for workers in (1, 2):
            r = timed(config(80), "dask", workers)
            rates[workers] = r["warm_per_min"]
            print(
                f"Dask LocalCluster, {workers} worker(s): {r['n']} replications in "
                f"{r['wall']:.1f} s, warm {r['warm_per_min']:.1f}/min"
            )
        print(f"speed-up 2 vs 1 worker: {rates[2] / rates[1]:.2f}x")
    elif mode in ("sbc", "sbc-full"):
        full = mode == "sbc-full"
        reps = int(sys.argv[2]) if len(sys.argv) > 2 else (400 if full else 1000)
        settings = {"d": 2, "covariance": "full"} if full else {}
        r = timed(config(reps, truth="prior", seed=2026, **settings), "local", 2)
        res = r["result"]
        print(
            f"SBC: {r['n']} replications in {r['wall'] / 60:.1f} min, warm "
            f"{r['warm_per_min']:.1f}/min, {r['errors']} errors"
        )
        for row in res.summary["sbc"]:
            print(f"  {row['parameter']:>12}: uniformity p = {row['pvalue']:.3f}")
        for row in res.summary["coverage"]:
            print(
                f"  {row['nominal']:.0%} intervals cover {row['coverage']:.3f} +- {row['mcse']:.3f}"
            )
        reps_table = res.replications
        print(
            f"  R-hat > 1.01 in {(reps_table['rhat_max'] > 1.01).mean():.1%} of replications, "
            f"divergences in {(reps_table['divergences'] > 0).mean():.1%}, EM degenerate in "
            f"{reps_table['em_degenerate'].mean():.1%}"
        )
        print(f"  study folder: {res.directory}")
    else:
        raise SystemExit(f"unknown mode {mode!r}: throughput, scaling or sbc")


if __name__ == "__main__":
    main()
