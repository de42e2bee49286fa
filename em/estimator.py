"""``GaussianMixture``: EM behind a scikit-learn estimator (any covariance structure).

A real scikit-learn estimator (it passes ``sklearn.utils.estimator_checks.
check_estimator``): it works in ``Pipeline``, ``GridSearchCV`` (``score`` is the
mean log-likelihood per sample, as ``GaussianMixture``'s), ``clone`` and
pickling, and uses scikit-learn's names for its parameters and fitted
attributes.  This module is the one part of :mod:`em` that imports scikit-learn
(``import em`` loads it only when the estimator is first used).
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from sklearn.utils.validation import validate_data

from em import criteria, defaults
from em.density import responsibilities, score_samples
from em.exceptions import InputTypeError
from em.exceptions import NotFittedError as _NotFittedError
from em.fit import fit
from em.params import GMMParams
from em.prior import GMMPrior
from em.result import EMResult
from em.validation import check_positive_int

__all__ = ["GaussianMixture", "NotFittedError", "SphericalGaussianMixture"]


class NotFittedError(_NotFittedError, _SklearnNotFittedError):
    """The estimator was used before ``fit``: both em's and scikit-learn's error."""


def _generator(random_state) -> int | np.random.Generator | None:
    """scikit-learn's ``random_state`` (None, int, RandomState) or a numpy Generator."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    return random_state


def _precision_cholesky(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """scikit-learn's ``precisions_cholesky_``: ``U`` with ``U U^T = Sigma^-1``."""
    if covariance_type in ("spherical", "diag"):
        return 1.0 / np.sqrt(covariances)
    mats = covariances[None] if covariance_type == "tied" else covariances
    d = mats.shape[-1]
    out = np.stack([
        np.linalg.solve(np.linalg.cholesky(s), np.eye(d)).T for s in mats
    ])  # fmt: skip
    return out[0] if covariance_type == "tied" else out


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture fitted by EM (the MLE, or the MAP with a prior).

    Parameters
    ----------
    n_components : int, default 1
    covariance_type : {"spherical", "diag", "tied", "full"}, default "spherical"
        scikit-learn's names (mclust's VII, VVI, EEE, VVV); see :mod:`em.covariance`.
    init : {"kmeans++", "random"}, GMMParams or array-like, default "kmeans++"
        See :func:`em.fit`.
    n_init : int, optional
        Restarts; default 5 for a random start, 1 for a fixed one.
    tol : float, default 1e-6
        Relative tolerance on the objective of the standardised data.
    max_iter : int, default 1000
    prior : GMMPrior, optional
        Fit the MAP under this prior instead of the MLE.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None
        Same value, same fit.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        In scikit-learn's shapes: (K,) spherical, (K, d) diag, (d, d) tied, (K, d, d) full.
    precisions_ : ndarray
        Their inverses, same shapes.
    precisions_cholesky_ : ndarray
        Upper triangular ``U`` with ``U U^T = precision`` (``1 / sqrt`` for spherical
        and diag), as scikit-learn's.
    variances_ : ndarray of shape (n_components,)
        Same as ``covariances_`` (spherical only).
    params_ : GMMParams
    result_ : EMResult
        Every restart's full trace.
    converged_ : bool
    n_iter_ : int
        M-steps of the chosen restart.
    lower_bound_ : float
        Mean log-likelihood per sample (plus the log prior over n, under a prior)
        at the returned parameters -- exact, where scikit-learn's lags one M-step.
    lower_bounds_ : ndarray of shape (n_iter_ + 1,)
        The same at every iterate of the chosen restart (iterate 0 is the start).
    log_likelihood_ : float
        Total log-likelihood of the training data at the estimate.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` had string column names (a pandas DataFrame).

    Examples
    --------
    >>> import em
    >>> X, _ = em.GMMParams([0.5, 0.5], [[-4.0], [4.0]], [1.0, 1.0]).sample(400, seed=0)
    >>> model = em.GaussianMixture(2, random_state=0).fit(X)
    >>> model.predict([[-4.0], [4.0]]).tolist() in ([0, 1], [1, 0])
    True
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = defaults.COVARIANCE,
        init: str | GMMParams | np.ndarray = defaults.INIT,
        n_init: int | None = None,
        tol: float = defaults.TOL,
        max_iter: int = defaults.MAX_ITER,
        prior: GMMPrior | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.init = init
        self.n_init = n_init
        self.tol = tol
        self.max_iter = max_iter
        self.prior = prior
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "density_estimator"
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "params_")

    def fit(self, X, y=None) -> GaussianMixture:
        """Fit by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        if self.prior is not None and not isinstance(self.prior, GMMPrior):
            raise InputTypeError(
                f"prior: expected a GMMPrior or None, got {type(self.prior).__name__}"
            )
        result = fit(
            X,
            self.n_components,
            init=self.init,
            n_init=self.n_init,
            tol=self.tol,
            max_iter=self.max_iter,
            prior=self.prior,
            seed=_generator(self.random_state),
            covariance=self.covariance_type,
        )
        n = result.n_samples
        p = result.params
        self.result_: EMResult = result
        self.params_: GMMParams = p
        self.weights_ = p.weights
        self.means_ = p.means
        self.covariances_ = p.covariances
        if p.covariance_type == "spherical":
            self.variances_ = p.variances
        self.precisions_cholesky_ = _precision_cholesky(p.covariances, p.covariance_type)
        u = self.precisions_cholesky_
        if p.covariance_type in ("spherical", "diag"):
            self.precisions_ = u * u
        else:
            self.precisions_ = u @ np.swapaxes(u, -1, -2)
        self.converged_ = result.converged
        self.n_iter_ = result.n_iter
        self.lower_bound_ = result.objective / n
        self.lower_bounds_ = result.trace.objective / n
        self.log_likelihood_ = result.log_likelihood
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit, then return the most likely component of each row, shape (n_samples,)."""
        return self.fit(X).predict(X)

    def _fitted(self, X) -> tuple[GMMParams, np.ndarray]:
        if not hasattr(self, "params_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call fit(X) first"
            )
        return self.params_, validate_data(self, X, dtype=np.float64, reset=False)

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities, shape (n_samples, n_components); each row on its own."""
        params, X = self._fitted(X)
        return responsibilities(X, params)[0]

    def predict(self, X) -> np.ndarray:
        """Most likely component of each row, shape (n_samples,)."""
        return self.predict_proba(X).argmax(axis=1)

    def score_samples(self, X) -> np.ndarray:
        """Log-density of each row, shape (n_samples,); each row on its own."""
        params, X = self._fitted(X)
        return score_samples(X, params)

    def score(self, X, y=None) -> float:
        """Mean log-likelihood per row (scikit-learn's convention)."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``(X, labels)`` from the fitted mixture; shapes (n, d) and (n,).

        Uses ``random_state``, as scikit-learn's ``GaussianMixture.sample`` does.
        """
        if not hasattr(self, "params_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call fit(X) first"
            )
        n = check_positive_int(n_samples, "n_samples")
        return self.params_.sample(n, seed=_generator(self.random_state))

    def bic(self, X) -> float:
        """Bayesian information criterion ``-2 loglik + p log n`` (p: ``params_.n_parameters``).

        Lower is better.  mclust reports the opposite sign (``2 loglik - p log n``,
        higher is better).
        """
        params, X = self._fitted(X)
        ll = math.fsum(score_samples(X, params))
        return criteria.bic(ll, params.n_parameters, X.shape[0])

    def aic(self, X) -> float:
        """Akaike information criterion ``-2 loglik + 2 p`` (lower is better)."""
        params, X = self._fitted(X)
        return criteria.aic(math.fsum(score_samples(X, params)), params.n_parameters)


class SphericalGaussianMixture(GaussianMixture):
    """:class:`GaussianMixture`'s first name, kept for existing code: the same estimator.

    Examples
    --------
    >>> import em
    >>> em.SphericalGaussianMixture(2).get_params()["covariance_type"]
    'spherical'
    """
