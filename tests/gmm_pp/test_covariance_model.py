"""The diag, tied and full mixtures as PyMC models: their density and their MAP.

PyTensor's FAST_COMPILE mode (Python linker): no compilation, so three more models
cost a few seconds in CI, not a minute each.
"""

import warnings

import numpy as np
import pymc as pm
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import em
from gmm_pp.covariance_model import (
    STRUCTURES,
    UNROLL_MAX_FEATURES,
    build_covariance_model,
    data_values,
    params_from_point,
    point,
)

FAST = {"mode": "FAST_COMPILE"}


@pytest.fixture(scope="module")
def data():
    cov = [[[1.0, 0.3], [0.3, 0.5]], [[0.6, -0.2], [-0.2, 1.0]]]
    truth = em.GMMParams([0.4, 0.6], [[-2.0, 0.0], [2.0, 1.0]], cov, "full")
    X, _ = truth.sample(60, seed=1)
    return em.prepare(X * [3.0, 0.2] + [100.0, -5.0])  # far from unit scale on purpose


@pytest.fixture(scope="module", params=STRUCTURES)
def fitted(request, data):
    kind = request.param
    prior = em.GMMPrior().resolve(data, 2)
    model = build_covariance_model(data.n_samples, data.n_features, 2, kind)
    with model:
        pm.set_data(data_values(data, prior, kind, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", em.ConvergenceWarning)
        map_em = em.fit(data, 2, covariance=kind, prior=prior, tol=1e-14, seed=0)
    return kind, model, prior, map_em


def _value_point(model, natural):
    """Natural parameters -> the model's (transformed) value variables."""
    out = {}
    for rv in model.free_RVs:
        transform = model.rvs_to_transforms[rv]
        value = natural[rv.name]
        out[model.rvs_to_values[rv].name] = (
            value if transform is None else transform.forward(value).eval()
        )
    return out


def _scipy_log_posterior(kind, params, prior, Z):
    """Unnormalised log posterior in standardised units, from scipy's densities."""
    c = prior
    mats = params.covariance_matrices()
    total = stats.dirichlet(np.full(2, c.alpha)).logpdf(params.weights)
    total += sum(stats.multivariate_normal(c.m0, S / c.kappa0).logpdf(m)
                 for m, S in zip(params.means, mats, strict=True))  # fmt: skip
    if kind == "diag":
        total += stats.invgamma(c.a, scale=c.b).logpdf(params.covariances).sum()
    elif kind == "tied":
        total += stats.invwishart(c.dof, c.psi).logpdf(params.covariances)
    else:
        total += sum(stats.invwishart(c.dof, c.psi).logpdf(S) for S in mats)
    return total + params.log_likelihood(Z)


def test_log_density_equals_scipy(fitted, data):
    kind, model, prior, map_em = fitted
    logp = model.compile_logp(jacobian=False, **FAST)
    constants = prior.scaled(data.scaling.shift, data.scaling.scale, kind)
    rng = np.random.default_rng(0)
    w, m, c = prior.sample(2, (), seed=rng, covariance_type=kind)
    drawn = em.GMMParams(w, m, c, kind)  # a draw from the prior: far from the data
    for params in (map_em.params, drawn):
        natural = point(params, data)
        scaled = em.GMMParams(natural["weights"], natural["means"], natural["covariances"], kind)
        want = _scipy_log_posterior(kind, scaled, constants, data.standardised)
        assert float(logp(_value_point(model, natural))) == pytest.approx(want, rel=1e-10)


def test_pymc_map_equals_map_em(fitted, data):
    kind, model, prior, map_em = fitted
    want = point(map_em.params, data)
    start = {name: value + (0.05 if name == "means" else 0.0) for name, value in want.items()}
    with model, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = pm.find_MAP(initvals=start, progressbar=False, compile_kwargs=FAST,
                            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000})  # fmt: skip
    for name in ("weights", "means", "covariances"):
        assert_allclose(found[name], want[name], atol=1e-4, err_msg=name)
    back = params_from_point(found, data, kind)
    assert back.allclose(map_em.params, rtol=1e-3, atol=1e-3 * np.abs(map_em.params.means).max())


@pytest.mark.parametrize("d", [UNROLL_MAX_FEATURES, UNROLL_MAX_FEATURES + 1])
def test_log_density_on_both_sides_of_the_unrolled_inverse(d):
    """Up to UNROLL_MAX_FEATURES the factors' inverses are written out; beyond, solved."""
    rng = np.random.default_rng(d)
    A = rng.normal(size=(2, d, d))
    cov = A @ np.swapaxes(A, 1, 2) + d * np.eye(d)
    truth = em.GMMParams([0.4, 0.6], rng.normal(0, 3, (2, d)), cov, "full")
    X, _ = truth.sample(40, seed=1)
    data = em.prepare(X)
    prior = em.GMMPrior().resolve(data, 2)
    model = build_covariance_model(40, d, 2, "full")
    with model:
        pm.set_data(data_values(data, prior, "full", 2))
    logp = model.compile_logp(jacobian=False, **FAST)
    natural = point(truth, data)
    scaled = em.GMMParams(natural["weights"], natural["means"], natural["covariances"], "full")
    constants = prior.scaled(data.scaling.shift, data.scaling.scale, "full")
    want = _scipy_log_posterior("full", scaled, constants, data.standardised)
    assert float(logp(_value_point(model, natural))) == pytest.approx(want, rel=1e-10)
