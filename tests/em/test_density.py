"""Densities against scipy, and scoring that is per row: no row depends on the others."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm

import em


def scipy_score(X, params):
    """log p(x) from scipy's univariate normal log-density, coordinate by coordinate."""
    X = np.atleast_2d(np.asarray(X, dtype=float).T).T
    sd = np.sqrt(params.variances)
    per = np.stack(
        [
            np.log(params.weights[k]) + stats.norm.logpdf(X, params.means[k], sd[k]).sum(axis=1)
            for k in range(params.n_components)
        ],
        axis=1,
    )
    return logsumexp(per, axis=1)


def test_score_samples_matches_scipy(course_example, truth_2d, data_2d):
    params, x = course_example
    assert_allclose(em.score_samples(x, params), scipy_score(x, params), rtol=1e-13)
    assert_allclose(em.score_samples(data_2d, truth_2d), scipy_score(data_2d, truth_2d), rtol=1e-13)
    assert em.log_likelihood(data_2d, truth_2d) == pytest.approx(
        math.fsum(scipy_score(data_2d, truth_2d)), rel=1e-13
    )


def test_course_example_responsibilities(course_example):
    """The course's E-step: r_i1 = p1 N(x_i; -3, 4) / sum_k p_k N(x_i; mu_k, 4)."""
    params, x = course_example
    resp, ll = em.e_step(x, params)
    n1 = stats.norm.pdf(x, -3.0, 2.0)
    n2 = stats.norm.pdf(x, 2.0, 2.0)
    assert_allclose(resp[:, 0], n1 / (n1 + n2), rtol=1e-13)
    assert ll == pytest.approx(np.log(0.5 * n1 + 0.5 * n2).sum(), rel=1e-13)


@pytest.mark.parametrize(("scale", "shift"), [(1e150, 0.0), (1e-150, 0.0), (1.0, 1e8)])
def test_exact_at_any_scale(truth_2d, data_2d, scale, shift):
    moved = em.GMMParams(
        truth_2d.weights, truth_2d.means * scale + shift, truth_2d.variances * scale**2
    )
    X = data_2d * scale + shift
    assert_allclose(em.score_samples(X, moved), scipy_score(X, moved), rtol=1e-12)


@pytest.mark.parametrize("distance", [0.0, 1e3, 1e12, 1e16, 1e18, 1e100, 1e150])
def test_far_rows_are_exact(truth_2d, distance):
    """Rows far from every component: the log-density against scipy, to 1e-12."""
    X = np.array([[distance, 0.0], [-distance, distance], [0.5, -distance]])
    ours = em.score_samples(X, truth_2d)
    assert np.isfinite(ours).all()
    assert_allclose(ours, scipy_score(X, truth_2d), rtol=1e-12)


def test_the_reported_example_far_row_changes_nothing():
    """The issue's reproduction: a row at 1e18 or 1e155 left the others' scores wrong."""
    r = np.random.default_rng(0)
    X = np.r_[r.normal(-3, 1, (60, 2)), r.normal(3, 1, (40, 2))]
    m = em.SphericalGaussianMixture(2, random_state=0).fit(X)
    P = X[:5]
    alone = m.score_samples(P)
    assert_allclose(alone, scipy_score(P, m.params_), rtol=1e-13)
    for far in (1e12, 1e14, 1e16, 1e18, 1e155, 1e300):
        batch = np.vstack([P, [[far, 0]]])
        assert_array_equal(m.score_samples(batch)[:5], alone)
        assert_array_equal(m.predict(batch)[:5], m.predict(P))
        assert_array_equal(m.predict_proba(batch)[:5], m.predict_proba(P))
    huge = np.vstack([P, [[1e155, 0]]])
    scores = m.score_samples(huge)
    assert scores[-1] == -np.inf  # beyond float64's range: -inf, not NaN
    assert not np.isnan(m.predict_proba(huge)).any()
    # Nearest in density: the component whose mean lies on the far row's side.
    side = int(np.argmax(m.means_[:, 0]))
    assert m.predict(huge)[-1] == side
    assert_array_equal(m.predict_proba(huge)[-1], np.eye(2)[side])


def test_criteria_are_sums_of_rows(data_2d):
    m = em.SphericalGaussianMixture(3, random_state=0).fit(data_2d)
    rows = m.score_samples(data_2d)
    p = m.params_.n_parameters
    n = data_2d.shape[0]
    assert m.bic(data_2d) == pytest.approx(-2 * math.fsum(rows) + p * np.log(n), rel=1e-14)
    assert m.aic(data_2d) == pytest.approx(-2 * math.fsum(rows) + 2 * p, rel=1e-14)
    assert m.score(data_2d) == pytest.approx(rows.mean(), rel=1e-14)


def test_rows_beyond_the_float_range_in_every_component(truth_2d):
    X = np.array([[1e308, -1e308], [-1.7e308, 1.7e308], [0.0, 0.0]])
    scores = em.score_samples(X, truth_2d)
    resp, ll = em.e_step(X, truth_2d)
    assert np.isneginf(scores[:2]).all() and np.isfinite(scores[2])
    assert not np.isnan(resp).any()
    assert_allclose(resp.sum(axis=1), 1.0)
    assert ll == -np.inf


def test_pointwise_log_likelihood_is_batched_over_draws(truth_2d, data_2d, rng):
    draws = [
        em.GMMParams(
            rng.dirichlet([5, 5, 5]), truth_2d.means + rng.normal(0, 0.1, (3, 2)), [1, 0.5, 2]
        )
        for _ in range(6)
    ]
    w = np.stack([d.weights for d in draws]).reshape(2, 3, 3)
    m = np.stack([d.means for d in draws]).reshape(2, 3, 3, 2)
    v = np.stack([d.variances for d in draws]).reshape(2, 3, 3)
    out = em.pointwise_log_likelihood(data_2d, w, m, v)
    assert out.shape == (2, 3, data_2d.shape[0])
    for i, d in enumerate(draws):
        assert_array_equal(out.reshape(6, -1)[i], em.score_samples(data_2d, d))
    with pytest.raises(em.InputError, match="parameters: expected weights"):
        em.pointwise_log_likelihood(data_2d, w, m[..., :1], v)


@st.composite
def batches(draw):
    d = draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    n = draw(st.integers(1, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    spread = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    params = em.GMMParams(
        rng.dirichlet(np.ones(k)),
        rng.normal(0, 3 * spread, (k, d)),
        rng.uniform(0.1, 4, k) * spread**2,
    )
    X = rng.normal(0, 4 * spread, (n, d))
    far = draw(st.sampled_from([0.0, 1e6, 1e20, 1e100, 1e160, 1e300]))
    if far:
        X[rng.integers(n)] = far * rng.choice([-1, 1], d)
    return X, params, rng.permutation(n)


@given(batches())
def test_each_row_is_scored_independently_of_the_batch(batch):
    """Row i's log-density, responsibilities and label are those of row i alone, bit for
    bit, whatever the other rows (far ones included) and their order."""
    X, params, order = batch
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = em.score_samples(X, params)
        resp, _ = em.e_step(X, params)
    assert not np.isnan(scores).any() and not np.isnan(resp).any()
    for i in range(X.shape[0]):
        one_score = em.score_samples(X[i : i + 1], params)
        one_resp, _ = em.e_step(X[i : i + 1], params)
        assert_array_equal(one_score, scores[i : i + 1])
        assert_array_equal(one_resp, resp[i : i + 1])
    assert_array_equal(em.score_samples(X[order], params), scores[order])
    finite = np.isfinite(scores)
    # Relative to the terms summed (a log-density near 0 is a difference of large ones).
    terms = 1.0 + X.shape[1] * np.abs(np.log(2 * np.pi * params.variances)).max()
    assert_allclose(scores[finite], scipy_score(X[finite], params), rtol=1e-12, atol=1e-12 * terms)


# -- against scipy's multivariate normal -----------------------------------------


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
