"""Log-densities against scipy (an independent implementation)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm

import em


def _scipy_score(X, params):
    X = np.atleast_2d(np.asarray(X, dtype=float).T).T
    comps = [
        np.log(w) + multivariate_normal(mu, v * np.eye(len(mu))).logpdf(X)
        for w, mu, v in zip(params.weights, params.means, params.variances, strict=True)
    ]
    return logsumexp(np.column_stack(comps), axis=1)


@pytest.mark.parametrize("d", [1, 2, 5])
def test_log_likelihood_equals_scipy_logpdf_plus_logsumexp(d):
    rng = np.random.default_rng(d)
    params = em.GMMParams(
        rng.dirichlet(np.ones(3)), rng.normal(0, 3, (3, d)), rng.uniform(0.2, 3, 3)
    )
    X = rng.normal(0, 4, (50, d))
    expected = _scipy_score(X, params)
    assert_allclose(em.score_samples(X, params), expected, rtol=1e-12)
    assert_allclose(em.log_likelihood(X, params), expected.sum(), rtol=1e-12)
    assert_allclose(params.log_likelihood(X), expected.sum(), rtol=1e-12)


def test_course_example_density_by_norm_pdf(course_example):
    params, x = course_example
    by_hand = np.log(0.5 * norm(-3, 2).pdf(x) + 0.5 * norm(2, 2).pdf(x))
    assert_allclose(params.score_samples(x), by_hand, rtol=1e-13)


def test_single_point_and_far_scales():
    params = em.GMMParams([0.4, 0.6], [[0.0], [5.0]], [1.0, 2.0])
    assert_allclose(params.score_samples([[1.0]]), _scipy_score([[1.0]], params), rtol=1e-13)
    # Rescaling data and parameters by s changes each log-density by -d log s exactly.
    s = 1e150
    big = em.GMMParams(params.weights, params.means * s, params.variances * s**2)
    X = np.array([[0.3], [2.0], [7.0]])
    assert_allclose(big.score_samples(X * s), params.score_samples(X) - np.log(s), rtol=1e-12)


def test_far_component_is_exact_not_nan():
    # A component 1e6 standard deviations from the data: its density underflows to 0
    # without producing NaN, and the total still equals scipy's.
    params = em.GMMParams([0.5, 0.5], [[0.0, 0.0], [1e6, 0.0]], [1.0, 1.0])
    X = np.random.default_rng(0).normal(size=(20, 2))
    got = params.score_samples(X)
    assert np.isfinite(got).all()
    assert_allclose(got, _scipy_score(X, params), rtol=1e-12)
