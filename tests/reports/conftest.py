"""Synthetic comparisons for the figure tests: a posterior built without PyMC.

The draws scatter around MAP-EM with each parameter's asymptotic scale, enough to
exercise every branch of the figures (1-D histogram, 2-D, PCA for d > 2) without
compiling a PyMC model per shape.
"""

import warnings

import numpy as np
import pytest
import xarray as xr

import em
from gmm_pp.comparison import Comparison
from gmm_pp.config import SamplerConfig
from gmm_pp.diagnostics import SamplingWarning, diagnose
from gmm_pp.inference import MAPResult
from gmm_pp.pipeline import posterior_tree
from gmm_pp.relabel import relabel_draws


def synthetic_comparison(
    d: int, k: int = 2, n: int = 120, seed: int = 0, covariance_type: str = "spherical"
) -> Comparison:
    rng = np.random.default_rng(seed)
    truth = em.GMMParams(np.full(k, 1.0 / k), rng.normal(0, 4, (k, d)), np.full(k, 1.0))
    X, _ = truth.sample(n, seed=rng)
    kind = covariance_type
    truth = truth.as_structure(kind)
    prior = em.GMMPrior().resolve(X, k)
    mle = em.fit(X, k, covariance=kind, seed=rng)
    map_em = em.fit(X, k, covariance=kind, init=mle.params, prior=prior)
    chains, draws = 2, 200
    p = map_em.params
    w = rng.dirichlet(p.weights * n, size=(chains, draws))
    m = p.means + rng.normal(0, 0.1, (chains, draws, k, d))
    # One positive factor per draw and covariance (matrix): every draw stays positive definite.
    if kind == "tied":
        v = p.covariances * rng.gamma(100, 0.01, (chains, draws, 1, 1))
    else:
        factor = rng.gamma(100, 0.01, (chains, draws, k))
        v = p.covariances * factor.reshape(chains, draws, k, *[1] * (p.covariances.ndim - 1))
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((chains, draws), bool))})
    tree = posterior_tree(X, relabel_draws(w, m, v, p.means, kind), stats, covariance_type=kind)
    with warnings.catch_warnings():  # iid draws: an R-hat of 1.011 by chance is no news here
        warnings.simplefilter("ignore", SamplingWarning)
        diagnostics = diagnose(
            (w, m, v), (w, m, v), divergences=0, share_relabelled=0.0, covariance_type=kind
        )
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


@pytest.fixture(
    scope="module",
    params=[(1, "spherical"), (2, "spherical"), (5, "spherical"), (2, "full"), (3, "tied"),
            (2, "diag")],
    ids=["1d", "2d", "5d", "2d-full", "3d-tied", "2d-diag"],
)  # fmt: skip
def synthetic(request):
    d, kind = request.param
    return synthetic_comparison(d, covariance_type=kind)


@pytest.fixture(scope="session")
def make_synthetic():
    """:func:`synthetic_comparison` itself, for tests that choose the shape and structure."""
    return synthetic_comparison
