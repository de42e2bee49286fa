"""The scikit-learn-style estimator."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.mixture import GaussianMixture

import em


@pytest.fixture(scope="module")
def fitted(data_2d):
    return em.SphericalGaussianMixture(3, seed=0).fit(data_2d)


def test_fitted_attributes(fitted, data_2d):
    assert fitted.weights_.shape == (3,)
    assert fitted.means_.shape == (3, 2)
    assert fitted.variances_.shape == (3,)
    assert fitted.converged_ and fitted.n_iter_ > 0
    assert fitted.n_features_in_ == 2
    assert_allclose(fitted.log_likelihood_, fitted.params_.log_likelihood(data_2d), rtol=1e-12)


def test_predict_score_and_sample(fitted, data_2d):
    proba = fitted.predict_proba(data_2d)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(fitted.predict(data_2d), proba.argmax(axis=1))
    assert_allclose(fitted.score(data_2d), fitted.log_likelihood_ / 300, rtol=1e-12)
    assert fitted.score_samples(data_2d).shape == (300,)
    X, y = fitted.sample(50, seed=1)
    X2, y2 = fitted.sample(50, seed=1)
    assert X.shape == (50, 2) and y.shape == (50,)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


def test_bic_aic_agree_with_sklearn_formula(fitted, data_2d):
    sk = GaussianMixture(
        3,
        covariance_type="spherical",
        reg_covar=0.0,
        weights_init=fitted.weights_,
        means_init=fitted.means_,
        precisions_init=1.0 / fitted.variances_,
        max_iter=1,
        init_params="random",
    )
    # Set scikit-learn's fitted state to our parameters and ask it for BIC/AIC.
    sk._initialize_parameters(data_2d, np.random.RandomState(0))
    ll = fitted.log_likelihood_
    p = 3 * 2 + 2 * 3 - 1
    assert_allclose(fitted.bic(data_2d), -2 * ll + p * np.log(300), rtol=1e-12)
    assert_allclose(fitted.bic(data_2d), sk.bic(data_2d), rtol=1e-10)
    assert_allclose(fitted.aic(data_2d), sk.aic(data_2d), rtol=1e-10)
    assert_allclose(fitted.result_.bic(), fitted.bic(data_2d), rtol=1e-12)


def test_not_fitted_and_params_api():
    model = em.SphericalGaussianMixture(2)
    with pytest.raises(em.NotFittedError, match="not fitted yet; call fit"):
        model.predict(np.zeros((3, 1)))
    assert model.get_params()["n_components"] == 2
    model.set_params(n_components=3, seed=1)
    assert model.n_components == 3
    with pytest.raises(ValueError, match="unknown parameter 'k'"):
        model.set_params(k=3)


def test_one_dimensional_input_is_one_feature(course_example):
    _, x = course_example
    model = em.SphericalGaussianMixture(2, seed=0).fit(x)
    assert model.means_.shape == (2, 1)
