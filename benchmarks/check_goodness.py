"""The goodness-of-fit check's false alarms and power, over many simulated data sets.

    .venv/bin/python benchmarks/check_goodness.py [REPLICATIONS]

Size: data drawn from a fitted model's own family (spherical, K = 3, d = 2, and
full, K = 2, d = 2), fitted by EM with the same structure: the share called poor
(p < 0.01) should be at most about 1% (the p-value ignores that the parameters
were fitted, which makes the check conservative).  Power: data whose components are
elongated (axis ratio 4, then 2) fitted with the spherical model, and correlated
components (0.8) fitted with the diagonal model: the share called poor, and the
share whose reason names the structure's failing.  Results in BENCHMARKS.md.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import em

_SPHERICAL = em.GMMParams([0.3, 0.3, 0.4], [[-3.0, 0.0], [3.0, 1.0], [0.0, 4.0]], [1.0, 0.6, 0.8])


def _full(ratio: float, corr: float = 0.0) -> em.GMMParams:
    if corr:
        cov = np.array([[1.0, corr], [corr, 1.0]])
    else:
        cov = np.diag([ratio**2, 1.0]) / ratio
    return em.GMMParams([0.5, 0.5], [[-5.0, 0.0], [5.0, 0.0]], np.array([cov, cov]), "full")


CASES = {
    "size: spherical data, spherical fit, n = 300": (_SPHERICAL, 3, "spherical", 300),
    "size: full data, full fit, n = 300": (_full(3.0, 0.6), 2, "full", 300),
    "power: axis ratio 4, spherical fit, n = 300": (_full(4.0), 2, "spherical", 300),
    "power: axis ratio 2, spherical fit, n = 300": (_full(2.0), 2, "spherical", 300),
    "power: correlation 0.8, diag fit, n = 300": (_full(1.0, 0.8), 2, "diag", 300),
}


def main(replications: int = 200) -> None:
    for label, (truth, k, kind, n) in CASES.items():
        t = time.perf_counter()
        poor = named = 0
        for r in range(replications):
            X, _ = truth.sample(n, seed=r)
            fit = em.fit(X, k, covariance=kind, seed=r)
            gof = em.goodness_of_fit(X, fit.params, seed=r)
            poor += gof.poor
            named += gof.poor and gof.reason() is not None
        share = poor / replications
        mcse = np.sqrt(max(share * (1 - share), 1 / replications) / replications)
        print(
            f"{label}: poor in {poor}/{replications} = {share:.3f} +- {mcse:.3f}, "
            f"a reason named in {named}; {time.perf_counter() - t:.1f} s"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
