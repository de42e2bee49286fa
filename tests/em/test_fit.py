"""The EM driver: scikit-learn agreement, traces, restarts, degeneracy, scale."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.mixture import GaussianMixture

import em
from em.fit import choose_best
from em.result import EMTrace


def _quiet_fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", em.ConvergenceWarning)
        return em.fit(*args, **kwargs)


def test_matches_sklearn_iteration_for_iteration(data_2d):
    """Same start, same iterations: every iterate agrees with scikit-learn to 1e-8."""
    X = data_2d
    n = X.shape[0]
    init = em.GMMParams([0.2, 0.3, 0.5], X[[0, 1, 2]], [2.0, 3.0, 4.0])
    result = _quiet_fit(X, 3, init=init, max_iter=10, tol=0.0)
    assert result.n_iter == 10
    sk = GaussianMixture(
        3,
        covariance_type="spherical",
        reg_covar=0.0,
        max_iter=1,
        tol=0.0,
        warm_start=True,
        init_params="random",
        weights_init=init.weights,
        means_init=init.means,
        precisions_init=1.0 / init.variances,
    )
    for t in range(1, 11):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkConvergenceWarning)
            sk.fit(X)
        ours = result.trace.params_at(t)
        assert_allclose(sk.weights_, ours.weights, rtol=1e-8)
        assert_allclose(sk.means_, ours.means, rtol=1e-8)
        assert_allclose(sk.covariances_, ours.variances, rtol=1e-8)
        # scikit-learn's lower_bound_ lags one M-step behind its parameters; ours does not.
        assert_allclose(sk.lower_bound_ * n, result.trace.log_likelihood[t - 1], rtol=1e-8)
        assert_allclose(sk.score(X) * n, result.trace.log_likelihood[t], rtol=1e-8)


def test_trace_is_for_the_returned_parameters(data_2d):
    result = em.fit(data_2d, 3, seed=1)
    trace = result.trace
    assert trace.log_likelihood.shape == (result.n_iter + 1,)
    assert trace.means.shape == (result.n_iter + 1, 3, 2)
    for t in (0, result.n_iter // 2, result.n_iter):
        assert_allclose(
            trace.log_likelihood[t], trace.params_at(t).log_likelihood(data_2d), rtol=1e-12
        )
    assert result.log_likelihood == trace.log_likelihood[-1]
    assert result.params.allclose(trace.params_at(-1), rtol=0)
    assert np.all(np.diff(trace.log_likelihood) >= -1e-9)
    assert result.converged and result.stop_reason == "tol"
    ll = trace.log_likelihood
    assert ll[-1] - ll[-2] <= result.tol * abs(ll[-1])
    assert ll[-2] - ll[-3] > result.tol * abs(ll[-2])  # it did not stop early


def test_fit_recovers_truth(truth_2d):
    X, _ = truth_2d.sample(3000, seed=5)
    result = em.fit(X, 3, seed=5)
    order = np.argsort(result.params.means[:, 0])
    got = result.params.permute(order)
    want = truth_2d.permute(np.argsort(truth_2d.means[:, 0]))
    # Tolerances: about 4 standard errors at n = 3000.
    assert_allclose(got.weights, want.weights, atol=0.04)
    assert_allclose(got.means, want.means, atol=0.15)
    assert_allclose(got.variances, want.variances, rtol=0.15)


def test_same_seed_same_bits_and_generator_accepted(data_2d):
    a = em.fit(data_2d, 3, seed=7, init="random")
    b = em.fit(data_2d, 3, seed=7, init="random")
    c = em.fit(data_2d, 3, seed=np.random.default_rng(7), init="random")
    for other in (b, c):
        assert np.array_equal(a.params.means, other.params.means)
        assert np.array_equal(a.trace.log_likelihood, other.trace.log_likelihood)
    assert len(a.restarts) == 5


def test_restarts_best_has_highest_objective(data_2d):
    result = em.fit(data_2d, 3, seed=3, n_init=6, init="random")
    finals = [r.objective[-1] for r in result.restarts]
    assert result.best == int(np.argmax(finals))


def test_convergence_warning_says_what_to_change(data_2d):
    with pytest.warns(em.ConvergenceWarning, match="increase max_iter"):
        result = em.fit(data_2d, 3, init="kmeans++", seed=0, max_iter=2)
    assert not result.converged
    assert result.stop_reason == "max_iter"
    assert result.n_iter == 2
    # The default strategy's every run (and its screen) keeps to max_iter too.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto = em.fit(data_2d, 3, seed=0, max_iter=2)
    assert max(r.n_iter for r in auto.restarts) <= 2
    assert auto.screen.max_iter <= 2


def test_init_from_responsibilities_starts_with_an_m_step(data_2d, truth_2d):
    resp, _ = em.e_step(data_2d, truth_2d)
    result = em.fit(data_2d, 3, init=resp)
    assert result.trace.params_at(0).allclose(em.m_step(data_2d, resp), rtol=1e-12)
    assert len(result.restarts) == 1


def test_prior_objective_is_loglik_plus_log_prior(data_2d):
    result = em.fit(data_2d, 3, prior=em.GMMPrior(), seed=2)
    assert result.prior is not None and result.prior.is_resolved
    trace = result.trace
    for t in (0, result.n_iter):
        p = trace.params_at(t)
        assert_allclose(
            trace.objective[t],
            p.log_likelihood(data_2d) + result.prior.log_prob(p),
            rtol=1e-11,
        )
    assert np.all(np.diff(trace.objective) >= -1e-9 * abs(trace.objective[-1]))


def _outlier_data():
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(0.0, 1.0, 60), [40.0]])


def test_collapse_is_detected_named_and_warned():
    X = _outlier_data()
    init = em.GMMParams([0.9, 0.1], [[0.0], [40.0]], [1.0, 30.0])
    with pytest.warns(em.DegenerateComponentWarning, match="component 1 collapsed onto a point"):
        result = em.fit(X, 2, init=init)
    assert result.degenerate
    assert result.stop_reason == "degenerate"
    assert result.trace.degenerate_components == (1,)
    assert np.isfinite(result.log_likelihood)
    # The prior keeps the variance away from zero: no collapse.
    mapped = em.fit(X, 2, init=init, prior=em.GMMPrior())
    assert not mapped.degenerate
    assert mapped.params.variances.min() > 1e-3


def test_degenerate_restart_is_not_chosen_while_a_regular_one_exists():
    # Two small 1-D clusters and K = 3: from random starts, most restarts collapse a
    # component onto a point (the likelihood is unbounded), a few end regular.
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0.0, 1.0, 10), rng.normal(6.0, 1.0, 10)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = em.fit(X, 3, init="random", n_init=12, seed=0)
    # Restarts set aside are in the result, not in a warning: the estimate is regular.
    assert not [w for w in caught if issubclass(w.category, em.DegenerateComponentWarning)]
    kinds = {r.degenerate for r in result.restarts}
    assert kinds == {True, False}, "the scenario must produce both kinds of restart"
    assert not result.degenerate
    regular = [i for i, r in enumerate(result.restarts) if not r.degenerate]
    assert result.best == max(regular, key=lambda i: result.restarts[i].objective[-1])


def _trace(objective: float, degenerate: bool) -> EMTrace:
    p = em.GMMParams([1.0], [[0.0]], [1.0])
    return EMTrace(
        params=p,
        log_likelihood=np.array([objective]),
        objective=np.array([objective]),
        weights=np.ones((1, 1)),
        means=np.zeros((1, 1, 1)),
        covariances=np.ones((1, 1)),
        n_iter=0,
        converged=True,
        stop_reason="degenerate" if degenerate else "tol",
        degenerate_components=(0,) if degenerate else (),
    )


def test_choose_best_rule():
    assert choose_best([_trace(5.0, True), _trace(1.0, False), _trace(2.0, False)]) == 2
    assert choose_best([_trace(5.0, True), _trace(6.0, True)]) == 1


@pytest.mark.parametrize(
    ("scale", "shift"), [(1e150, 0.0), (1e-150, 0.0), (1.0, 1e8), (2.5e-3, 40.0)]
)
def test_far_from_unit_scale_fits_correctly(data_2d, scale, shift):
    init = em.GMMParams([0.2, 0.3, 0.5], data_2d[[0, 1, 2]], [2.0, 3.0, 4.0])
    base = em.fit(data_2d, 3, init=init, tol=1e-13)
    moved_init = em.GMMParams(init.weights, init.means * scale + shift, init.variances * scale**2)
    moved = em.fit(data_2d * scale + shift, 3, init=moved_init, tol=1e-13)
    assert np.isfinite(moved.log_likelihood)
    p = moved.params
    assert_allclose(p.weights, base.params.weights, rtol=1e-6)
    # An offset of 1e8 leaves ~8 of 16 digits for unit spread: that is the data's precision.
    assert_allclose((p.means - shift) / scale, base.params.means, rtol=1e-6, atol=1e-6)
    assert_allclose(p.variances / scale**2, base.params.variances, rtol=1e-6)
    expected_ll = base.log_likelihood - data_2d.size * np.log(scale)
    assert_allclose(moved.log_likelihood, expected_ll, rtol=1e-9)


def test_one_component_is_the_sample_mean_and_pooled_variance(data_2d):
    result = em.fit(data_2d, 1)
    assert_allclose(result.params.means[0], data_2d.mean(axis=0), rtol=1e-12)
    assert_allclose(result.params.variances[0], data_2d.var(axis=0).mean(), rtol=1e-12)
    assert result.params.weights[0] == 1.0


def test_kmeans_helpers(data_2d):
    centers, labels = em.kmeans(data_2d, 3, seed=0)
    assert centers.shape == (3, 2) and labels.shape == (300,)
    for j in range(3):
        assert_allclose(centers[j], data_2d[labels == j].mean(axis=0), rtol=1e-10)
    idx = em.kmeans_plusplus(data_2d, 3, seed=0)
    assert len(set(idx.tolist())) == 3
