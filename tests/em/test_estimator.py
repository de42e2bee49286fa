"""The scikit-learn estimator: scikit-learn's own checks, its tools, its names."""

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import em


@pytest.mark.filterwarnings("ignore::em.exceptions.DegenerateComponentWarning")
@pytest.mark.filterwarnings("ignore::em.exceptions.SpuriousComponentWarning")
@pytest.mark.filterwarnings("ignore::em.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    # diag and tied share full's code; their attributes' shapes are checked in test_covariance
    [
        em.SphericalGaussianMixture(2, random_state=0),
        em.GaussianMixture(2, covariance_type="full", random_state=0),
    ]  # fmt: skip
)
def test_scikit_learn_estimator_checks(estimator, check):
    """Every check of ``sklearn.utils.estimator_checks.check_estimator``."""
    check(estimator)


@pytest.fixture(scope="module")
def fitted(data_2d):
    return em.SphericalGaussianMixture(3, random_state=0).fit(data_2d)


def test_fitted_attributes_have_scikit_learns_names(fitted, data_2d):
    assert fitted.weights_.shape == (3,)
    assert fitted.means_.shape == (3, 2)
    assert fitted.covariances_.shape == (3,)
    assert_allclose(fitted.precisions_, 1 / fitted.covariances_, rtol=1e-15)
    assert_allclose(fitted.precisions_cholesky_, 1 / np.sqrt(fitted.covariances_), rtol=1e-15)
    assert fitted.converged_ and fitted.n_iter_ > 0
    assert fitted.n_features_in_ == 2
    assert not hasattr(fitted, "feature_names_in_")
    assert_allclose(fitted.log_likelihood_, fitted.params_.log_likelihood(data_2d), rtol=1e-12)
    assert fitted.lower_bound_ == pytest.approx(fitted.log_likelihood_ / 300, rel=1e-14)
    assert fitted.lower_bounds_.shape == (fitted.n_iter_ + 1,)
    assert np.all(np.diff(fitted.lower_bounds_) >= -1e-12)


def test_lower_bound_is_scikit_learns_without_its_lag(data_2d):
    """From the same start, scikit-learn's ``lower_bound_`` after t M-steps is ours
    after t - 1 (it is computed before its last M-step); ours is at the returned
    parameters."""
    start = em.GMMParams([0.4, 0.3, 0.3], [[-3, 0], [2, 2], [1, -3]], [1.0, 1.0, 1.0])
    with pytest.warns(em.ConvergenceWarning, match="did not converge in max_iter=6"):
        ours = em.SphericalGaussianMixture(3, init=start, tol=0.0, max_iter=6).fit(data_2d)
    sk = GaussianMixture(
        3,
        covariance_type="spherical",
        reg_covar=0.0,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=1 / start.variances,
        max_iter=6,
        tol=0.0,
    )
    with pytest.warns(Warning):  # scikit-learn's ConvergenceWarning at max_iter
        sk.fit(data_2d)
    assert_allclose(sk.lower_bound_, ours.lower_bounds_[5], rtol=1e-12)
    assert_allclose(sk.means_, ours.means_, rtol=1e-10)


def test_pipeline_grid_search_clone_and_pickle(data_2d):
    pipe = make_pipeline(StandardScaler(), em.SphericalGaussianMixture(random_state=0))
    search = GridSearchCV(pipe, {"sphericalgaussianmixture__n_components": [1, 2, 3, 4]}, cv=3)
    search.fit(data_2d)
    # score = mean log-likelihood per sample: three components fit held-out data best
    assert search.best_params_ == {"sphericalgaussianmixture__n_components": 3}
    model = search.best_estimator_[-1]
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "params_")
    again = pickle.loads(pickle.dumps(model))
    Z = search.best_estimator_[0].transform(data_2d)
    assert np.array_equal(again.predict(Z), model.predict(Z))
    assert again.score(Z) == model.score(Z)


def test_data_frame_columns_name_the_features(data_2d):
    frame = pd.DataFrame(data_2d, columns=["eruptions", "waiting"])
    model = em.SphericalGaussianMixture(3, random_state=0).fit(frame)
    assert model.feature_names_in_.tolist() == ["eruptions", "waiting"]
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame.rename(columns={"waiting": "wait"}))


def test_predict_score_and_sample(fitted, data_2d):
    proba = fitted.predict_proba(data_2d)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(fitted.predict(data_2d), proba.argmax(axis=1))
    assert_allclose(fitted.score(data_2d), fitted.log_likelihood_ / 300, rtol=1e-12)
    assert fitted.score_samples(data_2d).shape == (300,)
    X, y = fitted.sample(50)
    X2, y2 = fitted.sample(50)  # random_state fixed: the same draws, as scikit-learn's
    assert X.shape == (50, 2) and y.shape == (50,)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


def test_bic_aic_agree_with_sklearn(fitted, data_2d):
    sk = GaussianMixture(3, covariance_type="spherical", reg_covar=0.0)
    # scikit-learn's fitted state set to our parameters: its BIC/AIC formulas on them.
    sk.weights_, sk.means_, sk.covariances_ = fitted.weights_, fitted.means_, fitted.covariances_
    sk.precisions_cholesky_ = fitted.precisions_cholesky_
    sk.converged_, sk.n_iter_, sk.lower_bound_ = True, 1, 0.0
    ll = fitted.log_likelihood_
    p = 3 * 2 + 2 * 3 - 1
    assert_allclose(fitted.bic(data_2d), -2 * ll + p * np.log(300), rtol=1e-12)
    assert_allclose(fitted.bic(data_2d), sk.bic(data_2d), rtol=1e-10)
    assert_allclose(fitted.aic(data_2d), sk.aic(data_2d), rtol=1e-10)
    assert_allclose(fitted.result_.bic(), fitted.bic(data_2d), rtol=1e-12)


def test_not_fitted_and_params_api():
    from sklearn.exceptions import NotFittedError

    model = em.SphericalGaussianMixture(2)
    for error in (em.NotFittedError, NotFittedError):
        with pytest.raises(error, match="not fitted yet; call fit"):
            model.predict(np.zeros((3, 1)))
    assert model.get_params()["n_components"] == 2
    model.set_params(n_components=3, random_state=1)
    assert model.n_components == 3 and model.random_state == 1
    with pytest.raises(ValueError, match="Invalid parameter 'k'"):
        model.set_params(k=3)


@pytest.mark.filterwarnings("ignore::em.SpuriousComponentWarning")  # 2 components, few points
def test_one_dimensional_input_is_refused_as_scikit_learn_does(course_example):
    """em.fit reads a 1-D array as one feature; the estimator follows scikit-learn."""
    _, x = course_example
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        em.SphericalGaussianMixture(2, random_state=0).fit(x)
    model = em.SphericalGaussianMixture(2, random_state=0).fit(x[:, None])
    assert model.means_.shape == (2, 1)


def test_import_em_does_not_load_scikit_learn():
    import subprocess
    import sys

    code = "import sys, em; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
