"""EM per-iteration speed and peak memory against scikit-learn's spherical GaussianMixture.

Same data, same initial parameters, same number of iterations. The time per
iteration is ``(t(T2) - t(T1)) / (T2 - T1)``, each the minimum over repeats run
interleaved (ours, then scikit-learn's, in turn) so that the machine's drift
hits both alike; the fixed costs of both libraries (validation, copies, the
final E-step) cancel. Peak memory is tracemalloc's peak
of each fit's allocations (numpy reports its buffers to tracemalloc).

Usage::

    .venv/bin/python benchmarks/bench_em.py            # the full grid (~10 min)
    .venv/bin/python benchmarks/bench_em.py --quick    # n <= 1e5
    EM_NUM_THREADS=1 .venv/bin/python benchmarks/bench_em.py --only 100000,10,10

Prints a Markdown table and writes benchmarks/results/em.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.mixture import GaussianMixture

import em
from em import defaults

GRID_N = (1_000, 100_000, 1_000_000)
GRID_D = (2, 10, 50)
GRID_K = (3, 10)
ITERS = {1_000: (5, 30, 9), 100_000: (3, 18, 7), 1_000_000: (2, 7, 3)}  # T1, T2, repeats


def problem(n: int, d: int, k: int, seed: int = 0):
    """Overlapping spherical clusters (EM keeps moving) and a start at random points.

    Means spread by 2 / sqrt(d) per coordinate: clusters about 2 apart in any d.
    """
    rng = np.random.default_rng(seed)
    truth = em.GMMParams(
        np.full(k, 1.0 / k), rng.normal(0.0, 2.0 / np.sqrt(d), (k, d)), rng.uniform(0.5, 2.0, k)
    )
    X, _ = truth.sample(n, seed=rng)
    start = em.GMMParams(
        np.full(k, 1.0 / k), X[rng.choice(n, k, replace=False)], np.full(k, X.var())
    )
    return X, start


def ours(X, start, iters):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        result = em.fit(X, start.n_components, init=start, max_iter=iters, tol=0.0)
        return time.perf_counter() - t0, result.trace.log_likelihood[-1], result.n_iter


def theirs(X, start, iters):
    gm = GaussianMixture(
        start.n_components,
        covariance_type="spherical",
        reg_covar=0.0,
        tol=0.0,
        max_iter=iters,
        init_params="random",  # cheap; overridden by the three *_init below
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=1.0 / start.variances,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        gm.fit(X)
        elapsed = time.perf_counter() - t0
    return elapsed, gm.score(X) * X.shape[0], gm.n_iter_


def per_iteration(fns, X, start, t1, t2, repeats):
    """Seconds per iteration of each function, repeats interleaved so drift hits all alike."""
    best = {fn: [np.inf, np.inf] for fn in fns}
    for _ in range(repeats):
        for fn in fns:
            for j, t in enumerate((t1, t2)):
                best[fn][j] = min(best[fn][j], fn(X, start, t)[0])
    return [(best[fn][1] - best[fn][0]) / (t2 - t1) for fn in fns]


def peak_mib(fn, X, start, iters):
    tracemalloc.start()
    fn(X, start, iters)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run_case(n, d, k):
    t1, t2, repeats = ITERS[n]
    X, start = problem(n, d, k)
    ours(X, start, 2)  # warm the thread pool and threadpoolctl
    ll_ours = ours(X, start, t2)
    ll_theirs = theirs(X, start, t2)
    ours_s, theirs_s = per_iteration((ours, theirs), X, start, t1, t2, repeats)
    row = {
        "n": n,
        "d": d,
        "K": k,
        "iters": [t1, t2],
        "ours_ms": 1e3 * ours_s,
        "sklearn_ms": 1e3 * theirs_s,
        "ours_peak_mib": peak_mib(ours, X, start, t1),
        "sklearn_peak_mib": peak_mib(theirs, X, start, t1),
        "data_mib": X.nbytes / 2**20,
        "loglik_rel_diff": abs(ll_ours[1] - ll_theirs[1]) / abs(ll_theirs[1]),
        "same_iterations": ll_ours[2] == ll_theirs[2] == t2,
    }
    row["speedup"] = row["sklearn_ms"] / row["ours_ms"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip n = 1e6")
    parser.add_argument("--only", help="one case as n,d,K")
    args = parser.parse_args()
    if args.only:
        cases = [tuple(int(v) for v in args.only.split(","))]
    else:
        ns = GRID_N[:2] if args.quick else GRID_N
        cases = [(n, d, k) for n in ns for d in GRID_D for k in GRID_K]
    print(
        f"# em vs scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"{platform.processor() or platform.machine()}, em threads = {defaults.N_THREADS}"
    )
    print(
        "| n | d | K | em ms/iter | sklearn ms/iter | speed-up | em peak MiB | "
        "sklearn peak MiB | data MiB | loglik rel. diff |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for n, d, k in cases:
        r = run_case(n, d, k)
        rows.append(r)
        flag = "" if r["same_iterations"] else " (iterations differ: not comparable)"
        print(
            f"| {n:.0e} | {d} | {k} | {r['ours_ms']:.3f} | {r['sklearn_ms']:.3f} | "
            f"{r['speedup']:.1f}x | {r['ours_peak_mib']:.1f} | {r['sklearn_peak_mib']:.1f} | "
            f"{r['data_mib']:.1f} | {r['loglik_rel_diff']:.1e}{flag} |",
            flush=True,
        )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "em.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
