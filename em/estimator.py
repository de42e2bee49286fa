"""``SphericalGaussianMixture``: the EM fit behind a scikit-learn-style estimator."""

from __future__ import annotations

import numpy as np

from em import _defaults
from em._validation import check_data, check_positive_int
from em.density import score_samples
from em.exceptions import InputError, NotFittedError
from em.fit import fit
from em.params import GMMParams
from em.prior import GMMPrior
from em.result import EMResult
from em.steps import e_step

__all__ = ["SphericalGaussianMixture"]


class SphericalGaussianMixture:
    """Spherical Gaussian mixture fitted by EM, with scikit-learn's interface.

    Parameters
    ----------
    n_components : int, default 1
    init : {"kmeans++", "random"}, GMMParams or array-like, default "kmeans++"
        See :func:`em.fit`.
    n_init : int, optional
        Restarts; default 5 for a random start, 1 for a fixed one.
    tol : float, default 1e-6
        Relative tolerance on the objective.
    max_iter : int, default 1000
    prior : GMMPrior, optional
        Fit the MAP under this prior instead of the MLE.
    seed : int, numpy.random.Generator or None

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    variances_ : ndarray of shape (n_components,)
    params_ : GMMParams
    result_ : EMResult
        Every restart's full trace.
    converged_ : bool
    n_iter_ : int
    log_likelihood_ : float
        Total log-likelihood of the training data at the estimate.
    n_features_in_ : int

    Examples
    --------
    >>> import em
    >>> X, _ = em.GMMParams([0.5, 0.5], [[-4.0], [4.0]], [1.0, 1.0]).sample(400, seed=0)
    >>> model = em.SphericalGaussianMixture(2, seed=0).fit(X)
    >>> model.predict([[-4.0], [4.0]]).tolist() in ([0, 1], [1, 0])
    True
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        init: str | GMMParams | np.ndarray = _defaults.INIT,
        n_init: int | None = None,
        tol: float = _defaults.TOL,
        max_iter: int = _defaults.MAX_ITER,
        prior: GMMPrior | None = None,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.n_components = n_components
        self.init = init
        self.n_init = n_init
        self.tol = tol
        self.max_iter = max_iter
        self.prior = prior
        self.seed = seed

    _PARAM_NAMES = ("n_components", "init", "n_init", "tol", "max_iter", "prior", "seed")

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters, as scikit-learn's ``get_params``."""
        return {name: getattr(self, name) for name in self._PARAM_NAMES}

    def set_params(self, **params) -> SphericalGaussianMixture:
        """Set constructor parameters; unknown names raise ValueError."""
        for name, value in params.items():
            if name not in self._PARAM_NAMES:
                raise InputError(
                    f"set_params: unknown parameter {name!r}; expected one of {self._PARAM_NAMES}"
                )
            setattr(self, name, value)
        return self

    def fit(self, X, y=None) -> SphericalGaussianMixture:
        """Fit by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)
        y : ignored

        Returns
        -------
        self
        """
        result = fit(
            X,
            self.n_components,
            init=self.init,
            n_init=self.n_init,
            tol=self.tol,
            max_iter=self.max_iter,
            prior=self.prior,
            seed=self.seed,
        )
        self.result_: EMResult = result
        self.params_: GMMParams = result.params
        self.weights_ = result.params.weights
        self.means_ = result.params.means
        self.variances_ = result.params.variances
        self.converged_ = result.converged
        self.n_iter_ = result.n_iter
        self.log_likelihood_ = result.log_likelihood
        self.n_features_in_ = result.n_features
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit, then return the most likely component of each row, shape (n_samples,)."""
        return self.fit(X).predict(X)

    def _fitted(self) -> GMMParams:
        if not hasattr(self, "params_"):
            raise NotFittedError(
                "This SphericalGaussianMixture is not fitted yet; call fit(X) first"
            )
        return self.params_

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities, shape (n_samples, n_components)."""
        return e_step(X, self._fitted())[0]

    def predict(self, X) -> np.ndarray:
        """Most likely component of each row, shape (n_samples,)."""
        return self.predict_proba(X).argmax(axis=1)

    def score_samples(self, X) -> np.ndarray:
        """Log-density of each row, shape (n_samples,)."""
        return score_samples(X, self._fitted())

    def score(self, X, y=None) -> float:
        """Mean log-likelihood per row (scikit-learn's convention)."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples: int = 1, seed=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``(X, labels)`` from the fitted mixture; shapes (n, d) and (n,)."""
        return self._fitted().sample(check_positive_int(n_samples, "n_samples"), seed)

    def bic(self, X) -> float:
        """Bayesian information criterion ``-2 loglik + p log n``, ``p = K d + 2K - 1``.

        Lower is better.  mclust reports the opposite sign (``2 loglik - p log n``,
        higher is better).
        """
        X = check_data(X)
        params = self._fitted()
        ll = float(np.sum(score_samples(X, params)))
        return -2.0 * ll + params.n_parameters * np.log(X.shape[0])

    def aic(self, X) -> float:
        """Akaike information criterion ``-2 loglik + 2 p`` (lower is better)."""
        X = check_data(X)
        params = self._fitted()
        return -2.0 * float(np.sum(score_samples(X, params))) + 2.0 * params.n_parameters

    def __repr__(self) -> str:
        return f"SphericalGaussianMixture(n_components={self.n_components!r})"
