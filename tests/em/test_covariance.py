"""The four covariance structures: densities, EM steps, priors, properties, bad input.

References: scipy's densities, scikit-learn's EM from the same start (iteration for
iteration), mclust's MAP M-steps and BIC table (R 4, mclust 6.0.0; the R commands
are in the tests' comments), and the closed forms.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats
from scipy.stats import multivariate_normal

import em
from em.covariance import COVARIANCE_TYPES, smallest_eigenvalues, to_full
from gmm_pp.datasets import load_dataset

KINDS = COVARIANCE_TYPES
STRUCTURED = ("diag", "tied", "full")


def _random_covariances(kind, k, d, rng):
    a = rng.normal(size=(k, d, d))
    full = a @ np.swapaxes(a, 1, 2) + 0.5 * np.eye(d)
    return {
        "spherical": rng.uniform(0.5, 3.0, k),
        "diag": rng.uniform(0.5, 3.0, (k, d)),
        "tied": full[0],
        "full": full,
    }[kind]


def _params(kind, k=3, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return em.GMMParams(
        rng.dirichlet(np.full(k, 3.0)),
        rng.normal(0, 3, (k, d)),
        _random_covariances(kind, k, d, rng),
        kind,
    )


def _fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", em.ConvergenceWarning)
        warnings.simplefilter("ignore", em.DegenerateComponentWarning)
        warnings.simplefilter("ignore", em.SpuriousComponentWarning)
        return em.fit(*args, **kwargs)


@pytest.fixture(scope="module")
def faithful():
    return load_dataset("faithful")


# -- densities -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_log_density_equals_scipy(kind):
    p = _params(kind)
    X, _ = p.sample(200, seed=1)
    mats = p.covariance_matrices()
    dens = sum(w * multivariate_normal(m, s).pdf(X)
               for w, m, s in zip(p.weights, p.means, mats, strict=True))  # fmt: skip
    assert_allclose(p.score_samples(X), np.log(dens), rtol=1e-12)
    resp, _ = em.e_step(X, p)
    parts = np.column_stack([w * multivariate_normal(m, s).pdf(X)
                             for w, m, s in zip(p.weights, p.means, mats, strict=True)])  # noqa: E501  # fmt: skip
    assert_allclose(resp, parts / parts.sum(axis=1, keepdims=True), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_samples_have_the_component_covariances(kind):
    p = _params(kind, k=2, d=2)
    X, labels = p.sample(40_000, seed=2)
    for j in range(2):
        emp = np.cov(X[labels == j].T)
        assert_allclose(emp, p.covariance_matrices()[j], rtol=0.06, atol=0.03)


@pytest.mark.parametrize("kind", KINDS)
def test_a_narrow_component_far_from_the_centre_scores_exactly(kind):
    # mu^2 / sigma^2 = 1e12: the expanded distances would lose every digit, so the
    # kernels recompute this component from exact differences
    narrow = {"spherical": [1e-10, 1.0], "diag": [[1e-10, 1e-10], [1.0, 1.0]],
              "tied": np.eye(2) * 1e-10, "full": [np.eye(2) * 1e-10, np.eye(2)]}[kind]  # fmt: skip
    p = em.GMMParams([0.5, 0.5], [[10.0, 10.0], [0.0, 0.0]], narrow, kind)
    X = np.array([[10.0, 10.0], [10.0 + 1e-5, 10.0], [1e-5, -2e-5]])
    mats = p.covariance_matrices()
    want = np.log(sum(0.5 * multivariate_normal(m, s).pdf(X)
                      for m, s in zip(p.means, mats, strict=True)))  # fmt: skip
    assert_allclose(p.score_samples(X), want, rtol=1e-10)


def test_a_far_row_gets_minus_infinity_and_the_nearest_component():
    p = em.GMMParams([0.5, 0.5], [[0.0, 0.0], [10.0, 0.0]],
                     [[[1.0, 0.0], [0.0, 1.0]], [[4.0, 0.0], [0.0, 4.0]]], "full")  # fmt: skip
    X = np.array([[1e200, 0.0], [1.0, 0.0]])
    resp, logp = em.density.responsibilities(X, p)
    assert logp[0] == -np.inf and np.isfinite(logp[1])
    assert resp[0].tolist() == [0.0, 1.0]  # the wider component is nearer in density


# -- parameter counts and BIC -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "count"), [("spherical", 3), ("diag", 9), ("tied", 6), ("full", 18)]
)
def test_free_parameters_match_scikit_learn(kind, count):
    from sklearn.mixture import GaussianMixture

    p = _params(kind)
    assert p.n_parameters == 3 * 3 + 2 + count
    X, _ = p.sample(100, seed=0)
    sk = GaussianMixture(3, covariance_type=kind, max_iter=200, random_state=0).fit(X)
    assert sk._n_parameters() == p.n_parameters


def test_faithful_bic_equals_mclust(faithful):
    # R: mclustBIC(faithful, G = 1:4, modelNames = c("VII", "VVI", "EEE", "VVV")):
    # the entries where our estimate is mclust's optimum (elsewhere ours is higher).
    mclust = {("diag", 2): -2346.065, ("tied", 2): -2325.220, ("tied", 3): -2314.316,
              ("full", 2): -2322.192, ("full", 1): -2607.623,
              ("spherical", 2): -3458.305}  # fmt: skip
    for (kind, k), value in mclust.items():
        result = _fit(faithful, k, covariance=kind, seed=0)
        # mclust stops at a relative change of 1e-5: ours is as high, and at most 0.05 higher
        assert value - 6e-4 <= -result.bic() <= value + 0.05, (kind, k)
        manual = -2 * result.params.log_likelihood(faithful) + result.params.n_parameters * np.log(
            faithful.shape[0]
        )
        assert result.bic() == pytest.approx(manual, rel=1e-12)


# -- EM steps against scikit-learn and mclust -------------------------------------------


def _precisions(p):
    c = p.covariances
    if p.covariance_type in ("spherical", "diag"):
        return 1.0 / c
    return np.linalg.inv(c)


@pytest.mark.parametrize("kind", KINDS)
def test_em_equals_scikit_learn_iteration_for_iteration(kind):
    from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
    from sklearn.mixture import GaussianMixture

    truth = _params(kind, k=3, d=3, seed=4)
    X, _ = truth.sample(400, seed=5)
    init = _params(kind, k=3, d=3, seed=6)
    init = em.GMMParams(init.weights, X[[0, 150, 300]], init.covariances, kind)
    result = _fit(X, 3, init=init, tol=0.0, max_iter=10, covariance=kind)
    sk = GaussianMixture(3, covariance_type=kind, reg_covar=0.0, max_iter=1, tol=0.0,
                         warm_start=True, init_params="random", weights_init=init.weights,
                         means_init=init.means, precisions_init=_precisions(init))  # fmt: skip
    n = X.shape[0]
    for t in range(1, 11):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkConvergenceWarning)
            sk.fit(X)
        ours = result.trace.params_at(t)
        assert_allclose(sk.weights_, ours.weights, rtol=1e-8)
        assert_allclose(sk.means_, ours.means, rtol=1e-8)
        assert_allclose(sk.covariances_, ours.covariances, rtol=1e-8, atol=1e-12)
        assert_allclose(sk.score(X) * n, result.trace.log_likelihood[t], rtol=1e-8)


def test_map_m_steps_equal_mclust(faithful):
    # R: p <- plogis((faithful$waiting - 68) / 5); z <- cbind(p, 1 - p)
    #    mstep(modelName = M, data = faithful, z = z, prior = priorControl())
    p = 1.0 / (1.0 + np.exp(-(faithful[:, 1] - 68.0) / 5.0))
    z = np.column_stack([p, 1.0 - p])
    weights = [0.59776410730889773, 0.40223589269110188]
    means = [[4.1857468230225718, 79.5447827478735832], [2.4505678522050496, 58.0460315218791365]]
    sigma = {
        "spherical": [[[27.299525611955794, 0], [0, 27.299525611955794]],
                      [[48.543129677233715, 0], [0, 48.543129677233715]]],
        "diag": [[[0.67922826941974346, 0], [0, 53.22836488996946258]],
                 [[1.15099355437311934, 0], [0, 93.83294529283081431]]],
        "tied": [[[0.55788241629378665, 4.82234008646468659],
                  [4.82234008646468659, 70.99418363278718402]]] * 2,
        "full": [[[0.40629976919740352, 3.09606217522914795],
                  [3.09606217522914795, 53.18529003359505225]],
                 [[0.75041544777102420, 7.10260269581689396],
                  [7.10260269581689396, 93.42451713809383307]]],
    }  # fmt: skip
    for kind in KINDS:
        q = em.m_step(faithful, z, em.GMMPrior(), kind)
        assert_allclose(q.weights, weights, rtol=1e-12)
        assert_allclose(q.means, means, rtol=1e-12)
        assert_allclose(q.covariance_matrices(), sigma[kind], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", STRUCTURED)
def test_mle_m_step_is_the_weighted_moments(kind):
    p = _params(kind, k=2, d=3)
    X, _ = p.sample(300, seed=3)
    resp, _ = em.e_step(X, p)
    q = em.m_step(X, resp, covariance_type=kind)
    nk = resp.sum(axis=0)
    assert_allclose(q.means, resp.T @ X / nk[:, None], rtol=1e-12)
    S = np.stack([(resp[:, j, None] * (X - q.means[j])).T @ (X - q.means[j]) for j in range(2)])
    want = {"diag": np.diagonal(S, axis1=1, axis2=2) / nk[:, None],
            "tied": S.sum(axis=0) / X.shape[0], "full": S / nk[:, None, None]}[kind]  # fmt: skip
    assert_allclose(q.covariances, want, rtol=1e-11)


# -- the prior -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", STRUCTURED)
def test_log_prior_equals_scipy(kind):
    p = _params(kind, k=3, d=3, seed=7)
    X, _ = p.sample(100, seed=8)
    prior = em.GMMPrior(weight_concentration=2.0).resolve(X, 3)
    m0, kappa0 = prior.mean_location, prior.mean_precision
    mats = p.covariance_matrices()
    want = stats.dirichlet([2.0] * 3).logpdf(p.weights)
    want += sum(
        multivariate_normal(m0, s / kappa0).logpdf(m) for m, s in zip(p.means, mats, strict=True)
    )
    if kind == "diag":
        ig = stats.invgamma(prior.variance_shape, scale=prior.variance_scale)
        want += ig.logpdf(p.covariances).sum()
    else:
        iw = stats.invwishart(prior.covariance_dof, prior.covariance_scale)
        want += iw.logpdf(p.covariances) if kind == "tied" else sum(iw.logpdf(s) for s in mats)
    assert prior.log_prob(p) == pytest.approx(want, rel=1e-10)


def test_default_prior_is_mclusts(faithful):
    # R: defaultPrior(faithful, G = 3, modelName = "VVV"): dof 4, scale (1/3)^(2/2) var(faithful)
    prior = em.GMMPrior().resolve(faithful, 3)
    assert prior.covariance_dof == 4.0
    assert_allclose(prior.covariance_scale, np.cov(faithful.T) / 3.0, rtol=1e-12)
    wide = np.random.default_rng(0).normal(size=(3, 5))  # n <= d: the diagonal only
    psi = em.GMMPrior().resolve(wide, 2).covariance_scale
    assert_allclose(psi, np.diag(np.var(wide, axis=0, ddof=1)) / 2 ** (2 / 5), rtol=1e-12)


@pytest.mark.parametrize("kind", STRUCTURED)
def test_map_em_maximises_the_posterior_density(kind, faithful):
    result = _fit(faithful, 2, covariance=kind, prior=em.GMMPrior(), seed=0, tol=1e-13)
    p, prior = result.params, result.prior
    assert result.objective == pytest.approx(
        p.log_likelihood(faithful) + prior.log_prob(p), rel=1e-12
    )
    rng = np.random.default_rng(0)
    for _ in range(20):  # small moves of the means never raise the objective
        moved = em.GMMParams(p.weights, p.means + rng.normal(0, 1e-3, p.means.shape),
                             p.covariances, kind)  # fmt: skip
        assert moved.log_likelihood(faithful) + prior.log_prob(moved) <= result.objective + 1e-9


# -- properties --------------------------------------------------------------------------


@st.composite
def structured_problems(draw):
    kind = draw(st.sampled_from(STRUCTURED))
    d = draw(st.integers(1, 3))
    k = draw(st.integers(1, 3))
    n = draw(st.integers(3 * (d + 1) * k, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    centres = rng.normal(0.0, draw(st.sampled_from([0.5, 3.0])), (k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d)) * rng.uniform(0.2, 3.0, d)
    resp = rng.dirichlet(np.ones(k), size=n)
    return kind, X, resp


@given(structured_problems(), st.booleans())
def test_objective_never_decreases_for_every_structure(problem, with_prior):
    kind, X, resp = problem
    prior = em.GMMPrior() if with_prior else None
    result = _fit(X, resp.shape[1], init=resp, covariance=kind, prior=prior, tol=0.0, max_iter=40)
    obj = result.trace.objective
    assert np.isfinite(obj).all()
    steps = np.diff(obj)
    assert np.all(steps >= -1e-10 * np.maximum(1.0, np.abs(obj[1:]))), steps.min()


def _affine(kind, d, rng):
    if kind == "diag":  # per-axis scale and a shift
        return np.diag(rng.uniform(0.1, 10.0, d)), rng.normal(0, 100, d)
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))  # rotation, scale, shift
    return q * rng.uniform(0.1, 10.0), rng.normal(0, 100, d)


@given(structured_problems(), st.booleans(), st.integers(0, 2**32 - 1))
def test_em_is_equivariant_under_affine_maps(problem, with_prior, seed):
    kind, X, resp = problem
    A, b = _affine(kind, X.shape[1], np.random.default_rng(seed))
    Y = X @ A.T + b
    kw = dict(init=resp, covariance=kind, tol=0.0, max_iter=15)
    if with_prior:  # the prior moved with the data: its data-scaled defaults do
        base = em.GMMPrior().resolve(X, resp.shape[1])
        moved = em.GMMPrior(mean_location=A @ base.mean_location + b,
                            covariance_scale=A @ base.covariance_scale @ A.T,
                            variance_scale=base.variance_scale)  # fmt: skip
        if kind == "diag":  # diag's prior scale is one number: only a common scale moves it
            A = np.eye(X.shape[1]) * 3.0
            Y = X @ A.T + b
            moved = em.GMMPrior(mean_location=A @ base.mean_location + b,
                                variance_scale=9.0 * base.variance_scale)  # fmt: skip
        fx, fy = _fit(X, resp.shape[1], prior=base, **kw), _fit(Y, resp.shape[1], prior=moved, **kw)
    else:
        fx, fy = _fit(X, resp.shape[1], **kw), _fit(Y, resp.shape[1], **kw)
    px, py = fx.params, fy.params
    assert_allclose(py.weights, px.weights, rtol=1e-6, atol=1e-9)
    assert_allclose(py.means, px.means @ A.T + b, rtol=1e-6, atol=1e-6 * np.abs(b).max())
    mapped = A @ px.covariance_matrices() @ A.T
    assert_allclose(py.covariance_matrices(), mapped, rtol=1e-6,
                    atol=1e-8 * np.abs(mapped).max())  # fmt: skip


@given(structured_problems())
def test_duplicated_rows_leave_the_mle_unchanged(problem):
    kind, X, resp = problem
    once = _fit(X, resp.shape[1], init=resp, covariance=kind, tol=0.0, max_iter=15).params
    twice = _fit(np.vstack([X, X]), resp.shape[1], init=np.vstack([resp, resp]),
                 covariance=kind, tol=0.0, max_iter=15).params  # fmt: skip
    assert twice.allclose(once, rtol=1e-8, atol=1e-10)


# -- fit, degeneracy, spurious ----------------------------------------------------------


@pytest.mark.parametrize("kind", STRUCTURED)
def test_fit_recovers_a_simulated_mixture(kind):
    truth = _params(kind, k=2, d=2, seed=11)
    X, _ = truth.sample(3000, seed=12)
    result = em.fit(X, 2, covariance=kind, seed=0)
    order = np.argsort(result.params.means[:, 0])
    want = np.argsort(truth.means[:, 0])
    assert_allclose(result.params.means[order], truth.means[want], atol=0.2)
    assert_allclose(result.params.covariance_matrices()[order],
                    truth.covariance_matrices()[want], rtol=0.15, atol=0.1)  # fmt: skip
    assert result.params.covariance_type == kind
    assert result.log_likelihood >= truth.log_likelihood(X) - 10


def test_a_singular_covariance_is_named_as_degenerate():
    rng = np.random.default_rng(0)
    line = np.column_stack([np.linspace(0, 1, 30), np.zeros(30)])  # on a line: singular
    X = np.vstack([line + [5.0, 5.0], rng.normal(size=(60, 2))])
    start = np.zeros((90, 2))
    start[:30, 0] = 1.0
    start[30:, 1] = 1.0
    with pytest.raises(em.InputError, match="component 0's covariance turned singular"):
        em.fit(X, 2, covariance="full", init=start)
    # Three identical rows: a component started on them collapses in one step.
    X = np.vstack([np.full((3, 2), 8.0), rng.normal(size=(60, 2))])
    start = em.GMMParams([0.05, 0.95], [[8.0, 8.0], [0.0, 0.0]], [np.eye(2) * 0.01, np.eye(2)],
                         "full")  # fmt: skip
    with pytest.warns(em.DegenerateComponentWarning, match="component 0's covariance turned"):
        result = em.fit(X, 2, covariance="full", init=start)
    assert result.degenerate and result.trace.degenerate_components == (0,)
    # The prior keeps it regular.
    with warnings.catch_warnings():
        warnings.simplefilter("error", em.DegenerateComponentWarning)
        assert not em.fit(X, 2, covariance="full", init=start, prior=em.GMMPrior()).degenerate


def test_spurious_and_prior_remedy(faithful):
    # Full K = 7 from random starts: the best maximum puts a component on four points.
    with pytest.warns(em.SpuriousComponentWarning, match="a higher maximum .* is spurious"):
        result = em.fit(faithful, 7, covariance="full", init="random", n_init=12, seed=0)
    raw = result.restarts[result.raw_best]
    assert raw.spurious and "points' worth of responsibility" in raw.spurious_reason
    assert not result.trace.spurious and result.log_likelihood < raw.log_likelihood[-1]
    assert result.basins[0].spurious and not result.basins[0].chosen
    with warnings.catch_warnings():
        warnings.simplefilter("error", em.SpuriousComponentWarning)
        em.fit(faithful, 7, covariance="full", prior=em.GMMPrior(), init="random", n_init=2,
               seed=0)  # fmt: skip


def test_relative_eigenvalues_do_not_depend_on_units():
    rng = np.random.default_rng(0)
    C = np.array([[1.0, 0.3], [0.3, 0.2]])
    S = np.array([[[0.01, 0.0], [0.0, 0.002]]])
    A = np.array([[100.0, 0.0], [0.0, 0.01]])
    base = smallest_eigenvalues(S, "full", 1, C)
    assert_allclose(smallest_eigenvalues(A @ S @ A.T, "full", 1, A @ C @ A.T), base, rtol=1e-10)
    q, _ = np.linalg.qr(rng.normal(size=(2, 2)))
    assert_allclose(smallest_eigenvalues(q @ S @ q.T, "full", 1, q @ C @ q.T), base, rtol=1e-10)
    assert to_full(np.array([1.0, 2.0]), "spherical", 2).shape == (2, 2, 2)


def test_one_dimension_reduces_to_two_models():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, 100), rng.normal(5, 2, 100)])
    resp = np.column_stack([np.arange(200) < 100, np.arange(200) >= 100]).astype(float)
    fits = {k: _fit(X, 2, covariance=k, init=resp, tol=1e-12).params for k in KINDS}
    for kind in ("diag", "full"):
        assert_allclose(fits[kind].covariance_matrices(), fits["spherical"].covariance_matrices(),
                        rtol=1e-10)  # fmt: skip
    tied = fits["tied"].covariance_matrices()
    assert tied[0, 0, 0] == tied[1, 0, 0]
    assert (
        em.covariance.mclust_name("full", 1) == "V" and em.covariance.mclust_name("tied", 1) == "E"
    )


# -- bad input ----------------------------------------------------------------------------


def test_bad_structures_and_covariances_are_named():
    with pytest.raises(em.InputError, match="covariance: expected one of spherical, diag"):
        em.fit(np.random.default_rng(0).normal(size=(20, 2)), 2, covariance="VVV")
    with pytest.raises(em.InputError, match="component 1 is not positive definite"):
        em.GMMParams([0.5, 0.5], [[0, 0], [1, 1]], [np.eye(2), [[1.0, 2.0], [2.0, 1.0]]], "full")
    with pytest.raises(em.InputError, match="not symmetric"):
        em.GMMParams([1.0], [[0, 0]], [[1.0, 0.5], [0.0, 1.0]], "tied")
    with pytest.raises(em.InputError, match=r"expected shape \(2, 2\)"):
        em.GMMParams([0.5, 0.5], [[0, 0], [1, 1]], [1.0, 2.0], "diag")
    with pytest.raises(em.InputError, match="more rows than columns"):
        em.fit(np.random.default_rng(0).normal(size=(4, 5)), 1, covariance="full")
    with pytest.raises(em.InputError, match="expected full parameters"):
        em.fit(np.random.default_rng(0).normal(size=(20, 1)), 1, covariance="full",
               init=em.GMMParams([1.0], [0.0], [1.0]))  # fmt: skip
    with pytest.raises(em.InputError, match="variances: a full mixture"):
        _params("full").variances  # noqa: B018


def test_round_trip_and_estimator_attributes():
    from sklearn.mixture import GaussianMixture

    for kind in KINDS:
        p = _params(kind)
        assert em.GMMParams.from_dict(p.to_dict()).allclose(p, rtol=0)
        X, _ = p.sample(500, seed=0)
        ours = em.GaussianMixture(3, covariance_type=kind, random_state=0).fit(X)
        theirs = GaussianMixture(3, covariance_type=kind, reg_covar=0.0).fit(X)
        assert ours.covariances_.shape == theirs.covariances_.shape
        assert ours.precisions_cholesky_.shape == theirs.precisions_cholesky_.shape
        mats = to_full(ours.precisions_, kind, 3)
        eye = np.broadcast_to(np.eye(3), (3, 3, 3))
        assert_allclose(mats @ ours.params_.covariance_matrices(), eye, atol=1e-10)
        assert ours.result_.to_dict()["restarts"][0]["covariances"] is not None
        assert em.EMResult.from_dict(ours.result_.to_dict()).params.allclose(ours.params_, rtol=0)


@pytest.mark.parametrize("kind", STRUCTURED)
def test_prior_draws_have_the_prior_moments(kind):
    X = np.random.default_rng(0).normal(size=(100, 3)) * [1.0, 3.0, 0.5]
    prior = em.GMMPrior(mean_precision=0.5).resolve(X, 2)
    w, m, c = prior.sample(2, (40_000,), seed=1, covariance_type=kind)
    assert w.shape == (40_000, 2) and m.shape == (40_000, 2, 3)
    mats = to_full(c, kind, 3)
    if kind == "diag":  # inverse-gamma mean b / (a - 1) on every axis
        want = np.eye(3) * prior.variance_scale / (prior.variance_shape - 1.0)
    else:  # inverse-Wishart mean Psi / (nu - d - 1)
        want = prior.covariance_scale / (prior.covariance_dof - 3 - 1)
        assert c.shape == ((40_000, 3, 3) if kind == "tied" else (40_000, 2, 3, 3))
    # heavy tails (nu = d + 2 has no variance): compare medians of a robust summary too
    assert_allclose(np.mean(mats[:, 0], axis=0), want, rtol=0.15, atol=0.15 * want.max())
    # given Sigma, the means are N(m0, Sigma / kappa0): whitened, they are standard normal
    L = np.linalg.cholesky(mats[:, 0])
    u = np.linalg.solve(L, (m[:, 0] - prior.mean_location)[..., None])[..., 0]
    u *= np.sqrt(prior.mean_precision)
    assert_allclose(np.cov(u.T), np.eye(3), atol=0.03)
    assert np.isfinite(prior.log_prob(em.GMMParams(w[0], m[0], c[0], kind)))


@pytest.mark.parametrize("kind", STRUCTURED)
def test_batched_scores_equal_each_draws_own(kind):
    draws = [_params(kind, k=2, d=3, seed=s) for s in range(6)]
    X, _ = draws[0].sample(48, seed=0)
    X = np.vstack([X, X[0] + 40.0, X[1] + 1e160])  # far, and beyond float64's range
    w = np.array([p.weights for p in draws]).reshape(2, 3, 2)
    m = np.array([p.means for p in draws]).reshape(2, 3, 2, 3)
    c = np.array([p.covariances for p in draws])
    c = c.reshape(2, 3, *c.shape[1:])
    out = em.pointwise_log_likelihood(X, w, m, c, kind)
    assert out.shape == (2, 3, 50)
    want = np.array([p.score_samples(X) for p in draws]).reshape(2, 3, 50)
    assert_allclose(out, want, rtol=1e-13)
    resp = em.mean_responsibilities(X, w, m, c, kind)
    assert_allclose(resp, np.mean([em.e_step(X, p)[0] for p in draws], axis=0), rtol=1e-12)
    with pytest.raises(em.InputError, match=f"{kind} covariances"):
        em.pointwise_log_likelihood(X, w, m, c[..., :1], kind)


def test_a_constant_column_leaves_the_spherical_prior_intact():
    X = np.column_stack([np.full(30, 2.0), np.random.default_rng(0).normal(size=30)])
    prior = em.GMMPrior().resolve(X, 2)
    assert prior.is_resolved and prior.covariance_scale is None
    _fit(X, 2, prior=em.GMMPrior(), seed=0)  # the spherical MAP needs no scale matrix
    with pytest.raises(em.InputError, match="covariance_scale: the data's covariance matrix"):
        em.fit(X, 2, covariance="full", prior=em.GMMPrior(), seed=0)


def test_in_one_dimension_diag_and_full_are_the_spherical_fit():
    """The same model (mclust's V) and, by default, the same prior: fitted once."""
    X = np.random.default_rng(4).normal([[-2.0], [2.0]], 1.0, (60, 2, 1)).reshape(-1, 1)
    for prior in (None, em.GMMPrior()):
        spherical = em.fit(X, 2, seed=1, prior=prior)
        for kind in ("diag", "full"):
            fit = em.fit(X, 2, covariance=kind, seed=1, prior=prior)
            assert fit.params.covariance_type == kind
            assert fit.params.allclose(spherical.params.as_structure(kind), rtol=0)
            assert fit.objective == spherical.objective and fit.n_iter == spherical.n_iter
            assert fit.restarts[0].covariances.shape[1:] == fit.params.covariances.shape
            assert fit.params.covariances.ravel().tolist() == spherical.params.variances.tolist()
    # A full prior that is not the spherical one (nu / 2 != a) is fitted as its own model.
    own = em.fit(X, 2, covariance="full", seed=1, prior=em.GMMPrior(covariance_dof=6.0))
    assert own.objective != em.fit(X, 2, seed=1, prior=em.GMMPrior()).objective
