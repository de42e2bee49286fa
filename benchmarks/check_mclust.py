"""MAP-EM against R's mclust with its default prior (by hand; needs R with mclust, not CI).

For each data set and K, mclust fits ``Mclust(X, G = K, modelNames = "VII" (or "V" in
1-D), prior = priorControl())``; MAP-EM under ``em.GMMPrior()`` is then started at
mclust's estimate and run to convergence.  With the same prior the estimate is a fixed
point of our MAP M-step: the largest relative change of any parameter is printed (and
so is the log-likelihood at both estimates).  A different prior (for example the
variance scale with divisor n instead of R's n - 1) moves it by about 1/n.

    apt-get install r-base-core r-cran-mclust
    .venv/bin/python benchmarks/check_mclust.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import em  # noqa: E402

R = r"""
suppressMessages(library(mclust))
data <- switch(commandArgs(TRUE)[1],
  faithful = as.matrix(datasets::faithful),
  iris = as.matrix(datasets::iris[, 1:4]),
  galaxies = matrix(MASS::galaxies / 1000, ncol = 1))
K <- as.integer(commandArgs(TRUE)[2])
model <- if (ncol(data) == 1) "V" else "VII"
fit <- Mclust(data, G = K, modelNames = model, prior = priorControl(), verbose = FALSE,
  control = emControl(tol = c(1e-14, 1e-14), itmax = c(1e6, 1e6)))
out <- commandArgs(TRUE)[3]
write.table(data, file = paste0(out, ".csv"), sep = ",", row.names = FALSE, col.names = FALSE)
p <- fit$parameters
cat(paste0('{"pro": [', paste(sprintf("%.17g", p$pro), collapse = ","),
  '], "mean": [', paste(sprintf("%.17g", as.vector(p$mean)), collapse = ","),
  '], "sigmasq": [', paste(sprintf("%.17g", p$variance$sigmasq), collapse = ","),
  '], "loglik": ', sprintf("%.17g", fit$loglik), "}"), file = paste0(out, ".json"))
"""


def mclust(name: str, k: int, folder: Path) -> tuple[np.ndarray, em.GMMParams, float]:
    """Data and mclust's MAP estimate (and its log-likelihood)."""
    stem = folder / f"{name}-{k}"
    subprocess.run(["Rscript", "-e", R, name, str(k), str(stem)], check=True)
    X = np.loadtxt(f"{stem}.csv", delimiter=",", ndmin=2)
    fit = json.loads(Path(f"{stem}.json").read_text())
    d = X.shape[1]
    means = np.asarray(fit["mean"]).reshape(k, d)  # R's d x G matrix, column by column
    params = em.GMMParams(fit["pro"], means, np.broadcast_to(fit["sigmasq"], (k,)))
    return X, params, float(fit["loglik"])


def main() -> int:
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        print("data      K   max relative change from mclust's MAP   loglik (ours - mclust's)")
        for name in ("faithful", "iris", "galaxies"):
            for k in (1, 2, 3, 4):
                X, theirs, loglik = mclust(name, k, Path(tmp))
                ours = em.fit(X, k, init=theirs, prior=em.GMMPrior(), tol=1e-14, max_iter=5000)
                p = ours.params
                change = max(
                    np.max(np.abs(p.weights - theirs.weights) / theirs.weights),
                    np.max(np.abs(p.means - theirs.means) / np.abs(X).max()),
                    np.max(np.abs(p.variances - theirs.variances) / theirs.variances),
                )
                worst = max(worst, change)
                gap = em.log_likelihood(X, theirs) - loglik
                print(f"{name:9} {k}   {change:10.2e}   {gap:+.2e}")
    print(f"largest change: {worst:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
