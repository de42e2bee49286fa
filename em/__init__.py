"""EM for Gaussian mixtures, in numpy: the MLE and, with a prior, the MAP.

Spherical covariances by default; diag, tied and full with ``covariance=``
(:mod:`em.covariance`).  ``import em`` loads numpy and scipy only (no PyMC, no
matplotlib); the scikit-learn estimator :class:`GaussianMixture` (also under its
first name, ``SphericalGaussianMixture``) loads scikit-learn on first use.

Examples
--------
>>> import em
>>> truth = em.GMMParams([0.3, 0.7], [[-3.0, 0.0], [3.0, 1.0]], [1.0, 0.5])
>>> X, labels = truth.sample(1000, seed=1)
>>> result = em.fit(X, 2, seed=1)
>>> round(float(result.params.weights.min()), 1)
0.3
"""

from em.covariance import COVARIANCE_TYPES
from em.density import (
    log_likelihood,
    mean_responsibilities,
    pointwise_log_likelihood,
    score_samples,
)
from em.exceptions import (
    ConvergenceWarning,
    DegenerateComponentWarning,
    GMMError,
    InputError,
    InputTypeError,
    NotFittedError,
    SpuriousComponentWarning,
)
from em.fit import fit
from em.goodness import GoodnessOfFit, goodness_of_fit
from em.grid import fit_structures
from em.init import kmeans, kmeans_plusplus
from em.params import GMMParams
from em.prepared import PreparedData, prepare
from em.prior import GMMPrior
from em.result import Basin, EMResult, EMTrace
from em.screen import Screen
from em.steps import e_step, m_step
from em.strategy import initial_params

__all__ = [
    "Basin",
    "ConvergenceWarning",
    "DegenerateComponentWarning",
    "EMResult",
    "EMTrace",
    "COVARIANCE_TYPES",
    "GMMParams",
    "GMMError",
    "GaussianMixture",
    "GMMPrior",
    "GoodnessOfFit",
    "InputError",
    "InputTypeError",
    "NotFittedError",
    "PreparedData",
    "Screen",
    "SphericalGaussianMixture",
    "e_step",
    "fit",
    "fit_structures",
    "goodness_of_fit",
    "initial_params",
    "kmeans",
    "kmeans_plusplus",
    "log_likelihood",
    "m_step",
    "mean_responsibilities",
    "pointwise_log_likelihood",
    "prepare",
    "score_samples",
    "SpuriousComponentWarning",
]


def __getattr__(name: str):
    if name in ("GaussianMixture", "SphericalGaussianMixture"):  # imports scikit-learn
        from em import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module 'em' has no attribute {name!r}")
