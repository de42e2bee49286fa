"""EM as a preconditioned gradient step (Xu and Jordan, 1996), and gradient ascent."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import em
from em.gradient import em_as_gradient_step, gradient, gradient_ascent


def _loglik_free(X, w, m, v):
    """Log-likelihood with the weights as free (unnormalised) coordinates, from scipy."""
    comp = np.column_stack(
        [
            np.log(w[k]) + multivariate_normal(m[k], v[k] * np.eye(X.shape[1])).logpdf(X)
            for k in range(len(w))
        ]
    )
    return logsumexp(comp, axis=1).sum()


def _random_case(seed, n=60, d=2, k=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 2, (n, d)) + rng.choice([-3.0, 3.0], (n, 1))
    params = em.GMMParams(
        rng.dirichlet(np.ones(k) * 2), rng.normal(0, 2, (k, d)), rng.uniform(0.5, 3.0, k)
    )
    return X, params


@pytest.mark.parametrize("seed", range(4))
def test_gradient_matches_finite_differences_of_scipy_loglik(seed):
    X, p = _random_case(seed)
    g = gradient(X, p)
    w, m, v = p.weights.copy(), p.means.copy(), p.variances.copy()
    h = 1e-6

    def fd(block, idx):
        plus = [w.copy(), m.copy(), v.copy()]
        minus = [w.copy(), m.copy(), v.copy()]
        plus[block][idx] += h
        minus[block][idx] -= h
        return (_loglik_free(X, *plus) - _loglik_free(X, *minus)) / (2 * h)

    assert_allclose(g.weights, [fd(0, (j,)) for j in range(3)], rtol=1e-6)
    assert_allclose(
        g.means, [[fd(1, (j, c)) for c in range(2)] for j in range(3)], rtol=1e-6, atol=1e-6
    )
    assert_allclose(g.variances, [fd(2, (j,)) for j in range(3)], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_em_step_is_a_preconditioned_gradient_step(seed):
    """Each identity to 1e-10 relative, against em's own E- and M-steps."""
    X, p = _random_case(seed, d=1 + seed % 3)
    resp, _ = em.e_step(X, p)
    new = em.m_step(X, resp)
    steps = em_as_gradient_step(X, p)
    scale = 1e-10
    assert_allclose(p.weights + steps["weights"], new.weights, rtol=scale, atol=0)
    assert_allclose(steps["weights"], new.weights - p.weights, rtol=scale, atol=scale)
    assert_allclose(steps["means"], new.means - p.means, rtol=scale, atol=scale)
    assert_allclose(steps["variances"], new.variances - p.variances, rtol=scale, atol=scale)
    # with the old means: the variance update computed directly
    d = X.shape[1]
    sq = ((X[:, None, :] - p.means[None]) ** 2).sum(-1)
    old_means_update = (resp * sq).sum(0) / (d * resp.sum(0))
    assert_allclose(
        steps["variances_old_means"], old_means_update - p.variances, rtol=scale, atol=scale
    )
    # and the two differ by ||mu_new - mu||^2 / d
    shift = ((new.means - p.means) ** 2).sum(1) / d
    assert_allclose(
        steps["variances_old_means"] - steps["variances"], shift, rtol=scale, atol=scale
    )


def test_course_example_gradient_by_hand(course_example):
    """Means' gradient on the course's five points: sum_i r_ik (x_i - mu_k) / sigma_k^2."""
    from scipy.stats import norm

    p, x = course_example
    dens = np.column_stack([0.5 * norm(-3, 2).pdf(x), 0.5 * norm(2, 2).pdf(x)])
    r = dens / dens.sum(1, keepdims=True)
    want = [(r[:, 0] * (x + 3)).sum() / 4, (r[:, 1] * (x - 2)).sum() / 4]
    assert_allclose(gradient(x, p).means[:, 0], want, rtol=1e-12)


@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 3))
def test_gradient_ascent_with_backtracking_never_decreases(seed, k):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (40, 2)) + rng.choice([-2.0, 2.0], (40, 1))
    init = em.GMMParams(np.full(k, 1 / k), rng.normal(0, 1, (k, 2)), np.ones(k))
    result = gradient_ascent(X, init, max_iter=50)
    assert np.all(np.diff(result.log_likelihood) >= -1e-9 * np.abs(result.log_likelihood[1:]))
    assert result.means_path.shape == (result.n_iter + 1, k, 2)


def test_gradient_ascent_reaches_em_maximum_from_the_same_start():
    truth = em.GMMParams([0.3, 0.7], [[-2.0], [2.0]], [1.0, 0.5])
    X, _ = truth.sample(300, seed=1)
    init = em.GMMParams([0.5, 0.5], [[-1.0], [1.0]], [2.0, 2.0])
    fit = em.fit(X, 2, init=init, tol=1e-12)
    ga = gradient_ascent(X, init, tol=1e-12, max_iter=5000)
    assert ga.converged and ga.n_iter > fit.n_iter  # EM is the faster of the two here
    assert_allclose(ga.log_likelihood[-1], fit.log_likelihood, rtol=1e-8)
    assert_allclose(ga.params.means, fit.params.means, atol=1e-3)


def test_gradient_ascent_fixed_step_and_bad_input():
    X = np.array([[0.0], [0.1], [3.0], [3.2]])
    init = em.GMMParams([0.5, 0.5], [[0.5], [2.5]], [1.0, 1.0])
    result = gradient_ascent(X, init, step=0.05, max_iter=20)
    assert np.all(result.steps == 0.05) and result.n_iter == 20
    with pytest.raises(ValueError, match="step: expected a positive number"):
        gradient_ascent(X, init, step=-1.0)
    with pytest.raises(ValueError, match="init: expected 1 features"):
        gradient_ascent(X, em.GMMParams([1.0], [[0.0, 0.0]], [1.0]))
