"""EM per iteration for the diag, tied and full structures against scikit-learn.

Same data, same start (scikit-learn's ``weights_init``/``means_init``/
``precisions_init``; ours a ``GMMParams``), the same number of iterations
(``tol=0``), ``reg_covar=0``, both with their default threads.  Per-iteration time
is ``(t(2 + T) - t(2)) / T`` (the minimum over ``--repeats`` runs of each), so
set-up costs cancel; the log-likelihoods after ``2 + T`` iterations must agree.

Usage::

    python benchmarks/bench_structures.py [--n 1000 100000 1000000] [--d 2 10 50]
        [--k 3 10] [--kinds diag tied full] [--iters 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import functools
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.mixture import GaussianMixture

import em


def _problem(n, d, k, kind, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3.0 / np.sqrt(d), (k, d))  # overlapping at every d: many iterations
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    cov = {"spherical": np.ones(k), "diag": np.ones((k, d)), "tied": np.eye(d),
           "full": np.broadcast_to(np.eye(d), (k, d, d)).copy()}[kind]  # fmt: skip
    # the clusters' centres (moved a little): every run stays regular, the point is speed
    start = em.GMMParams(np.full(k, 1.0 / k), centres + rng.normal(0, 0.3, (k, d)), cov, kind)
    return X, start


def _precisions(p):
    c = p.covariances
    return 1.0 / c if p.covariance_type in ("spherical", "diag") else np.linalg.inv(c)


def _time(func, repeats):
    out, times = func(), []  # a warm-up: the first touch of a large array pays page faults
    for _ in range(repeats):
        t = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t)
    return out, float(np.min(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 100_000, 1_000_000])
    ap.add_argument("--d", type=int, nargs="+", default=[2, 10, 50])
    ap.add_argument("--k", type=int, nargs="+", default=[3, 10])
    ap.add_argument("--kinds", nargs="+", default=["diag", "tied", "full"])
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print("| structure | n | d | K | em ms/iter | sklearn ms/iter | speed-up | loglik rel. diff |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.n:
        for d in args.d:
            for k in args.k:
                for kind in args.kinds:
                    X, start = _problem(n, d, k, kind)
                    # enough iterations that their time dwarfs the timer's noise
                    size = n * d * k
                    iters = int(np.clip(2e8 // size, args.iters, 20)) if size <= 1e8 else 3
                    reps = (3 * args.repeats if size <= 1e6 else args.repeats) if size <= 1e8 else 1

                    def ours(X=X, k=k, start=start, kind=kind, iters=iters):
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            return em.fit(X, k, init=start, covariance=kind, tol=0.0,
                                          max_iter=iters)  # fmt: skip

                    def theirs(X=X, k=k, start=start, kind=kind, iters=iters):
                        sk = GaussianMixture(k, covariance_type=kind, reg_covar=0.0, tol=0.0,
                                             max_iter=iters, init_params="random",
                                             weights_init=start.weights,
                                             means_init=start.means,
                                             precisions_init=_precisions(start))  # fmt: skip
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", SkConvergenceWarning)
                            return sk.fit(X)

                    _, base_ours = _time(functools.partial(ours, iters=2), reps)
                    r, t_ours = _time(functools.partial(ours, iters=2 + iters), reps)
                    _, base_sk = _time(functools.partial(theirs, iters=2), reps)
                    sk, t_sk = _time(functools.partial(theirs, iters=2 + iters), reps)
                    t_ours, t_sk = (t_ours - base_ours) / iters, (t_sk - base_sk) / iters
                    if r.n_iter != 2 + iters or sk.n_iter_ != 2 + iters:
                        print(
                            f"| {kind} | {n:.0e} | {d} | {k} | stopped early: em "
                            f"{r.stop_reason} at {r.n_iter}, sklearn at {sk.n_iter_} |"
                        )
                        continue
                    diff = abs(r.log_likelihood - sk.score(X) * n) / abs(r.log_likelihood)
                    print(f"| {kind} | {n:.0e} | {d} | {k} | {1e3 * t_ours:.2f} | "
                          f"{1e3 * t_sk:.2f} | {t_sk / t_ours:.1f}x | {diff:.1e} |",
                          flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
