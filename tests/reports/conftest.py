"""Synthetic comparisons for the figure tests: a posterior built without PyMC.

The draws scatter around MAP-EM with each parameter's asymptotic scale, enough to
exercise every branch of the figures (1-D histogram, 2-D, PCA for d > 2) without
compiling a PyMC model per shape.
"""

import numpy as np
import pytest
import xarray as xr

import em
from gmm_pp.comparison import Comparison
from gmm_pp.config import SamplerConfig
from gmm_pp.diagnostics import diagnose
from gmm_pp.inference import MAPResult
from gmm_pp.pipeline import posterior_tree
from gmm_pp.relabel import relabel_draws


def synthetic_comparison(d: int, k: int = 2, n: int = 120, seed: int = 0) -> Comparison:
    rng = np.random.default_rng(seed)
    truth = em.GMMParams(np.full(k, 1.0 / k), rng.normal(0, 4, (k, d)), np.full(k, 1.0))
    X, _ = truth.sample(n, seed=rng)
    prior = em.GMMPrior().resolve(X, k)
    mle = em.fit(X, k, seed=rng)
    map_em = em.fit(X, k, init=mle.params, prior=prior)
    chains, draws = 2, 200
    p = map_em.params
    w = rng.dirichlet(p.weights * n, size=(chains, draws))
    m = p.means + rng.normal(0, 0.1, (chains, draws, k, d))
    v = p.variances * rng.gamma(100, 0.01, (chains, draws, k))
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((chains, draws), bool))})
    tree = posterior_tree(X, relabel_draws(w, m, v, p.means), stats)
    diagnostics = diagnose((w, m, v), (w, m, v), divergences=0, share_relabelled=0.0)
    pymc_map = MAPResult(p, map_em.objective, True, "synthetic", 1, 0.0)
    return Comparison(
        X=X,
        prior=prior,
        mle=mle,
        map_em=map_em,
        pymc_map=pymc_map,
        posterior=tree,
        diagnostics=diagnostics,
        timings={"em": 0.01, "sample": 0.5},
        truth=truth,
        seed=seed,
        sampler=SamplerConfig(draws=draws, tune=0, chains=chains),
    )


@pytest.fixture(scope="module", params=[1, 2, 5], ids=["1d", "2d", "5d"])
def synthetic(request):
    return synthetic_comparison(request.param)
