"""Invariants of EM, checked by hypothesis on random data and random parameters."""

import warnings

import numpy as np
from hypothesis import given, reject
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import em


@st.composite
def problems(draw, max_n=40):
    """Random data (clumped, sometimes with duplicate rows) and random parameters."""
    d = draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    n = draw(st.integers(max(k, 3), max_n))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, draw(st.sampled_from([0.5, 3.0, 10.0])), (k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    if draw(st.booleans()):
        X = np.round(X, 1)  # ties and duplicate rows
    if np.ptp(X, axis=0).max() == 0:
        X[0, 0] += 1.0
    params = em.GMMParams(
        rng.dirichlet(np.full(k, 2.0)),
        X[rng.choice(n, size=k, replace=False)] + rng.normal(0, 0.1, (k, d)),
        rng.uniform(0.3, 5.0, k),
    )
    return X, params


def _fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", em.ConvergenceWarning)
        warnings.simplefilter("ignore", em.DegenerateComponentWarning)
        warnings.simplefilter("ignore", em.SpuriousComponentWarning)
        return em.fit(*args, **kwargs)


def _nondecreasing(values):
    steps = np.diff(values)
    slack = 1e-10 * np.maximum(1.0, np.abs(values[1:]))
    return bool(np.all(steps >= -slack)), steps.min() if steps.size else 0.0


@given(problems(), st.booleans())
def test_objective_never_decreases(problem, with_prior):
    X, params = problem
    prior = em.GMMPrior() if with_prior else None
    result = _fit(X, params.n_components, init=params, prior=prior, tol=0.0, max_iter=60)
    for run in result.restarts:
        ok, worst = _nondecreasing(run.objective)
        assert ok, f"objective fell by {worst}"
        assert np.isfinite(run.objective).all()


@given(problems())
def test_responsibilities_sum_to_one(problem):
    X, params = problem
    resp, ll = em.e_step(X, params)
    assert resp.shape == (X.shape[0], params.n_components)
    assert np.all(resp >= 0) and np.all(resp <= 1)
    assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.isfinite(ll)


def _one_step(X, params):
    """One E- and M-step; a problem where a component degenerates (its M-step is
    undefined: no mass, or all of it on one point) is not a problem for these laws."""
    resp, ll = em.e_step(X, params)
    try:
        return resp, ll, em.m_step(X, resp)
    except em.InputError as exc:
        assert "no responsibility" in str(exc) or "variance is 0" in str(exc)
        reject()


@given(problems(), st.integers(0, 2**32 - 1))
def test_one_step_is_invariant_to_permuting_rows(problem, seed):
    X, params = problem
    perm = np.random.default_rng(seed).permutation(X.shape[0])
    resp, ll, new = _one_step(X, params)
    resp_p, ll_p, new_p = _one_step(X[perm], params)
    assert_allclose(resp_p, resp[perm], rtol=1e-10, atol=1e-14)
    assert_allclose(ll_p, ll, rtol=1e-12)
    assert new_p.allclose(new, rtol=1e-9, atol=1e-12)


@given(
    problems(),
    st.floats(1e-3, 1e3),
    st.floats(-1e3, 1e3),
)
def test_one_step_is_equivariant_to_shift_and_scale(problem, scale, shift):
    X, params = problem
    moved = em.GMMParams(params.weights, params.means * scale + shift, params.variances * scale**2)
    resp, ll, new = _one_step(X, params)
    resp_m, ll_m, new_m = _one_step(X * scale + shift, moved)
    assert_allclose(resp_m, resp, rtol=1e-7, atol=1e-12)
    assert_allclose(ll_m, ll - X.size * np.log(scale), rtol=1e-9, atol=1e-9)
    assert_allclose(new_m.weights, new.weights, rtol=1e-7, atol=1e-12)
    assert_allclose((new_m.means - shift) / scale, new.means, rtol=1e-6, atol=1e-6)
    assert_allclose(new_m.variances / scale**2, new.variances, rtol=1e-6)


@given(problems(max_n=25))
def test_duplicating_every_row_leaves_the_fit_unchanged(problem):
    """X and [X; X] have the same EM iterates, and log-likelihoods in the ratio 2.

    With tol = 0 a run stops where rounding first makes the objective not rise,
    which may be a different iteration for the two data sets (the iterates there
    agree to rounding): so every iterate both runs reached is compared, not the
    number of iterations.
    """
    X, params = problem
    once = _fit(X, params.n_components, init=params, tol=0.0, max_iter=15)
    twice = _fit(np.vstack([X, X]), params.n_components, init=params, tol=0.0, max_iter=15)
    t = min(once.n_iter, twice.n_iter)
    assert_allclose(
        twice.trace.log_likelihood[: t + 1], 2 * once.trace.log_likelihood[: t + 1], rtol=1e-9
    )
    for i in range(t + 1):
        assert twice.trace.params_at(i).allclose(once.trace.params_at(i), rtol=1e-7, atol=1e-10)


@given(problems(), st.integers(-480, 480), st.booleans())
def test_the_whole_fit_is_equivariant_to_the_units(problem, power, with_prior):
    """X * 2^p (bit-identical once standardised) stops at the same iteration, at the
    same estimate scaled, with the same restart chosen: the stopping rule and the
    choice among restarts are unit-free, as the E- and M-steps are."""
    X, params = problem
    c = 2.0**power
    prior = em.GMMPrior() if with_prior else None
    try:
        base = _fit(X, params.n_components, prior=prior, tol=1e-8, n_init=3, seed=0)
    except em.InputError as exc:  # fewer distinct rows than components: no k-means++ start
        assert "distinct rows" in str(exc)
        reject()
    moved = _fit(X * c, params.n_components, prior=prior, tol=1e-8, n_init=3, seed=0)
    assert moved.best == base.best
    assert [r.n_iter for r in moved.restarts] == [r.n_iter for r in base.restarts]
    assert_allclose(moved.params.means, base.params.means * c, rtol=1e-12, atol=0)
    assert_allclose(moved.params.variances, base.params.variances * c**2, rtol=1e-12)
