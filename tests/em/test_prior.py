"""The default prior is mclust's ``defaultPrior``, hyperparameter for hyperparameter."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import em


def test_default_prior_is_mclusts_in_two_dimensions():
    """By mclust's formulas (R/mclust.R, defaultPrior, model VII), worked by hand:
    colMeans = (2.4, 13.2); var() per column (divisor n - 1) = 17.2 / 4 = 4.3 and
    50.8 / 4 = 12.7; dof = d + 2 = 4; scale = (1/G)^(2/d) * (4.3 + 12.7) / d
    = (1/3) * 8.5; ours: a = dof / 2, b = scale / 2, kappa0 = shrinkage = 0.01."""
    X = np.array([[0.0, 10.0], [1.0, 12.0], [4.0, 11.0], [5.0, 19.0], [2.0, 14.0]])
    prior = em.GMMPrior().resolve(X, 3)
    assert_allclose(prior.mean_location, [2.4, 13.2], rtol=1e-15)
    assert prior.mean_precision == 0.01
    assert prior.weight_concentration == 1.0
    assert prior.variance_shape == 2.0
    assert prior.variance_scale == pytest.approx(8.5 / 3 / 2, rel=1e-14)


def test_default_prior_is_mclusts_in_one_dimension():
    """Model V in 1-D: dof = 3, scale = var(data) / G^2 = (17 / 3) / 4."""
    X = np.array([0.0, 1.0, 4.0, 5.0])
    prior = em.GMMPrior().resolve(X, 2)
    assert prior.variance_shape == 1.5
    assert prior.variance_scale == pytest.approx(17 / 3 / 4 / 2, rel=1e-14)
    assert prior.variance_scale == pytest.approx(np.var(X, ddof=1) / 2**2 / 2, rel=1e-14)


def test_log_prob_is_the_sum_of_scipy_densities(truth_2d, data_2d):
    """Dirichlet(alpha) x prod_k InvGamma(a, b) x N(m0, v_k / kappa0 I)."""
    prior = em.GMMPrior(weight_concentration=2.0).resolve(data_2d, 3)
    w, m, v = truth_2d.weights, truth_2d.means, truth_2d.variances
    want = stats.dirichlet([2.0] * 3).logpdf(w)
    want += stats.invgamma(prior.variance_shape, scale=prior.variance_scale).logpdf(v).sum()
    for k in range(3):
        cov = v[k] / prior.mean_precision * np.eye(2)
        want += stats.multivariate_normal(prior.mean_location, cov).logpdf(m[k])
    assert prior.log_prob(truth_2d) == pytest.approx(want, rel=1e-12)
