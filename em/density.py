"""Log-densities of the spherical Gaussian mixture.

The numerical kernels live in :mod:`em._workspace`: squared distances by one
matrix product of ``[-2 mu_k, 1, ||mu_k||^2]`` with the design
``[z, ||z||^2, 1]``, and an in-place log-sum-exp over components, in
components-by-samples blocks with no ``n x K x d`` temporary.
"""

from __future__ import annotations

import numpy as np

from em._parallel import sweeping
from em._scaling import Scaling
from em._validation import check_data
from em._workspace import Workspace
from em.params import GMMParams

__all__ = ["log_likelihood", "score_samples"]


def evaluate(
    X, params: GMMParams, per_sample: np.ndarray | None = None
) -> tuple[Workspace, float, Scaling]:
    """Validate ``X`` and run an E-step at ``params``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    params : GMMParams
    per_sample : ndarray of shape (n_samples,), optional
        Receives the log-density of each scaled point.

    Returns
    -------
    workspace : Workspace
        Holding the responsibilities.
    loglik : float
        The log-likelihood in the data's units.
    scaling : Scaling
    """
    X = check_data(X)
    if X.shape[1] != params.n_features:
        raise ValueError(
            f"X: expected {params.n_features} features to match the parameters, got {X.shape[1]}"
        )
    scaling = Scaling.for_evaluation(X, params.variances)
    ws = Workspace(scaling.design(X), params.n_components)
    w, m, v = scaling.to_scaled(params.weights, params.means, params.variances)
    with sweeping(len(ws.slices)):
        ws.distances(m, v)
        ll, _ = ws.responsibilities(w, v, moments=False, per_sample=per_sample)
    return ws, ll - scaling.log_jacobian(*X.shape), scaling


def score_samples(X, params: GMMParams) -> np.ndarray:
    """Log-density ``log p(x_i)`` of every point.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    params : GMMParams

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    X = check_data(X)
    out = np.empty(X.shape[0])
    _, _, scaling = evaluate(X, params, per_sample=out)
    out -= params.n_features * np.log(scaling.scale)
    return out


def log_likelihood(X, params: GMMParams) -> float:
    """Total log-likelihood ``sum_i log sum_k p_k N(x_i; mu_k, sigma_k^2 I)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    params : GMMParams

    Returns
    -------
    float
    """
    return evaluate(X, params)[1]
