"""E-step and M-step against independent computations."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize
from scipy.stats import norm

import em
from em.prior import log_prior_terms


def test_course_example_one_e_step_and_one_m_step(course_example):
    params, x = course_example
    # E-step by another route: scipy.stats.norm densities (sd = 2), Bayes' rule.
    a = 0.5 * norm(-3.0, 2.0).pdf(x)
    b = 0.5 * norm(2.0, 2.0).pdf(x)
    expected_resp = np.column_stack([a / (a + b), b / (a + b)])
    resp, ll = em.e_step(x, params)
    assert_allclose(resp, expected_resp, rtol=1e-13)
    assert_allclose(ll, np.log(a + b).sum(), rtol=1e-13)
    # M-step written out for d = 1.
    N = expected_resp.sum(axis=0)
    mu = (expected_resp * x[:, None]).sum(axis=0) / N
    var = (expected_resp * (x[:, None] - mu) ** 2).sum(axis=0) / N
    new = em.m_step(x, resp)
    assert_allclose(new.weights, N / 5, rtol=1e-13)
    assert_allclose(new.means[:, 0], mu, rtol=1e-13)
    assert_allclose(new.variances, var, rtol=1e-13)


def _brute_force_m_step(X, resp):
    """The M-step with an explicit n x K x d temporary (fine for a test)."""
    N = resp.sum(axis=0)
    mu = resp.T @ X / N[:, None]
    diff = X[:, None, :] - mu[None, :, :]
    var = (resp[:, :, None] * diff**2).sum(axis=(0, 2)) / (X.shape[1] * N)
    return N / X.shape[0], mu, var


@pytest.mark.parametrize("d", [1, 3])
def test_m_step_equals_brute_force(d):
    rng = np.random.default_rng(10 + d)
    X = rng.normal(size=(40, d)) * 3 + 100.0
    resp = rng.dirichlet(np.ones(4), size=40)
    w, mu, var = _brute_force_m_step(X, resp)
    got = em.m_step(X, resp)
    assert_allclose(got.weights, w, rtol=1e-12)
    assert_allclose(got.means, mu, rtol=1e-12)
    assert_allclose(got.variances, var, rtol=1e-10)


def test_e_step_rows_sum_to_one_and_match_bayes_rule(truth_2d, data_2d):
    resp, _ = em.e_step(data_2d, truth_2d)
    assert resp.shape == (300, 3)
    assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    dens = np.column_stack(
        [
            w * np.exp(norm.logpdf(data_2d, mu, np.sqrt(v)).sum(axis=1))
            for w, mu, v in zip(truth_2d.weights, truth_2d.means, truth_2d.variances, strict=True)
        ]
    )
    assert_allclose(resp, dens / dens.sum(axis=1, keepdims=True), rtol=1e-11, atol=1e-300)


def test_map_m_step_maximises_expected_complete_log_posterior():
    """The closed-form MAP update equals a numerical maximiser of Q + log prior."""
    rng = np.random.default_rng(3)
    n, d, k = 30, 2, 2
    X = rng.normal(size=(n, d)) + np.repeat([[0.0, 0.0], [3.0, 1.0]], n // 2, axis=0)
    resp = rng.dirichlet([2.0, 2.0], size=n)
    prior = em.GMMPrior(weight_concentration=3.0).resolve(X, k)
    got = em.m_step(X, resp, prior=prior)
    constants = prior.scaled(0.0, 1.0)

    def unpack(theta):
        logits = np.append(theta[: k - 1], 0.0)
        w = np.exp(logits - logits.max())
        w /= w.sum()
        mu = theta[k - 1 : k - 1 + k * d].reshape(k, d)
        v = np.exp(theta[k - 1 + k * d :])
        return w, mu, v

    def negative(theta):
        w, mu, v = unpack(theta)
        sq = ((X[:, None, :] - mu[None]) ** 2).sum(axis=2)
        q = resp * (np.log(w) - 0.5 * d * np.log(2 * np.pi * v) - sq / (2 * v))
        return -(q.sum() + log_prior_terms(w, mu, v, constants))

    start = np.concatenate([[0.0], X[:2].ravel(), [0.0, 0.0]])
    opt = minimize(negative, start, method="BFGS", options={"gtol": 1e-10})
    w, mu, v = unpack(opt.x)
    assert_allclose(got.weights, w, rtol=1e-6)
    assert_allclose(got.means, mu, rtol=1e-6)
    assert_allclose(got.variances, v, rtol=1e-6)


def test_m_step_rejects_empty_and_collapsed_components():
    X = np.arange(6.0)
    resp = np.column_stack([np.ones(6), np.zeros(6)])
    with pytest.raises(ValueError, match="component 1 has no responsibility"):
        em.m_step(X, resp)
    one_point = np.column_stack([np.ones(6), np.zeros(6)])
    one_point[0] = [0.0, 1.0]
    with pytest.raises(ValueError, match="component 1 puts all its mass on one point"):
        em.m_step(X, one_point)
    # A prior makes both well defined.
    assert em.m_step(X, one_point, prior=em.GMMPrior()).variances[1] > 0
