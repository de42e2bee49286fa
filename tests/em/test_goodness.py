"""The goodness-of-fit check: quiet on data from the model, loud and specific when it misfits."""

import numpy as np
import pytest
from scipy import stats

import em


def _fit(X, kind="spherical", k=2):
    return em.fit(X, k, covariance=kind, seed=0).params


def test_data_from_the_model_pass():
    """Spherical data fitted spherically: no misfit on any of five seeds."""
    truth = em.GMMParams([0.4, 0.6], [[-3.0, 0.0], [3.0, 1.0]], [1.0, 0.5])
    for seed in range(5):
        X, _ = truth.sample(400, seed=seed)
        gof = em.goodness_of_fit(X, _fit(X), seed=seed)
        assert not gof.poor and gof.sentence().startswith("No sign of misfit")


def test_the_statistic_is_scipys_ks_on_the_same_draws():
    truth = em.GMMParams([0.5, 0.5], [[-3.0, 0.0], [3.0, 0.0]], [1.0, 1.0])
    X, _ = truth.sample(300, seed=1)
    params = _fit(X)
    gof = em.goodness_of_fit(X, params, seed=7, n_simulated=10)
    sim, _ = params.sample(3000, seed=np.random.default_rng(7))
    want = stats.ks_2samp(em.score_samples(X, params), em.score_samples(sim, params))
    assert gof.statistic == pytest.approx(want.statistic, rel=1e-12)
    assert gof.pvalue == pytest.approx(want.pvalue, rel=1e-9)
    q = gof.probabilities
    assert np.allclose(gof.observed, np.quantile(em.score_samples(X, params), q))


def test_elongated_data_under_circles_misfit_and_say_why():
    """Faithful under the spherical model: poor, because the components are elongated."""
    from gmm_pp.datasets import load_dataset

    X = load_dataset("faithful")
    gof = em.goodness_of_fit(X, _fit(X), seed=0)
    assert gof.poor
    assert "circles cannot follow" in gof.sentence() and "poorly" in gof.sentence()
    # the same data under full covariances: fine
    assert not em.goodness_of_fit(X, _fit(X, "full"), seed=0).poor


@pytest.mark.parametrize(
    ("kind", "cov", "reason"),
    [
        ("diag", [[[1.0, 0.9], [0.9, 1.0]]] * 2, "axis-aligned ellipses cannot follow"),
        ("tied", [np.eye(2) * 0.2, np.eye(2) * 4.0], "one shared shape cannot follow"),
    ],
)
def test_each_structure_names_its_own_misfit(kind, cov, reason):
    truth = em.GMMParams([0.5, 0.5], [[-4.0, 0.0], [4.0, 0.0]], np.array(cov), "full")
    X, _ = truth.sample(800, seed=3)
    gof = em.goodness_of_fit(X, _fit(X, kind), seed=0)
    assert reason in gof.reason()
    # and the matching structure has nothing to say
    assert em.goodness_of_fit(X, _fit(X, "full"), seed=0).reason() is None


def test_same_seed_same_numbers():
    from gmm_pp.datasets import load_dataset

    X = load_dataset("faithful")
    params = _fit(X)
    a, b = (em.goodness_of_fit(X, params, seed=3).to_dict() for _ in range(2))
    assert a == b
