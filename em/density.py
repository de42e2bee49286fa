"""Log-densities of the spherical Gaussian mixture, and the kernels behind them.

The kernels work on the *design* ``Za = [Z, ||z||^2, 1]`` of shape (n, d + 2),
with ``Z`` the centred and scaled data, in a components-by-samples layout
``(K, n)``: the squared distances ``||z_i - mu_k||^2`` are one matrix product
``[-2 mu_k, 1, ||mu_k||^2] @ Za.T`` and the log-sum-exp over components runs in
place, in cache-sized column blocks, with no ``n x K x d`` temporary.
"""

from __future__ import annotations

import math

import numpy as np

from em._defaults import EXACT_DISTANCE_RATIO, EXP_FLOOR
from em._parallel import map_blocks, sweeping
from em._scaling import Scaling
from em._validation import check_data
from em.params import GMMParams

__all__ = ["log_likelihood", "score_samples"]

_LOG_2PI = float(np.log(2.0 * np.pi))


def design(Z: np.ndarray) -> np.ndarray:
    """``[Z, ||z||^2, 1]``, shape (n_samples, n_features + 2)."""
    n, d = Z.shape
    Za = np.empty((n, d + 2))
    Za[:, :d] = Z
    np.einsum("nd,nd->n", Z, Z, out=Za[:, d])
    Za[:, d + 1] = 1.0
    return Za


def _coefficients(means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k, d = means.shape
    mu_sq = np.einsum("kd,kd->k", means, means)
    coef = np.empty((k, d + 2))
    coef[:, :d] = -2.0 * means
    coef[:, d] = 1.0
    coef[:, d + 1] = mu_sq
    return coef, mu_sq


def sq_distances(
    Za: np.ndarray,
    means: np.ndarray,
    out: np.ndarray,
    variances: np.ndarray | None = None,
    resp: np.ndarray | None = None,
) -> np.ndarray | None:
    """Squared distances ``||z_i - mu_k||^2`` into ``out`` of shape (K, n).

    Parameters
    ----------
    Za : ndarray of shape (n_samples, n_features + 2)
        The design from :func:`design`.
    means : ndarray of shape (n_components, n_features)
    out : ndarray of shape (n_components, n_samples)
        Written in place.
    variances : ndarray of shape (n_components,), optional
        When given, rows whose matrix-product form would lose more than
        ``log10(EXACT_DISTANCE_RATIO)`` digits are recomputed exactly.
    resp : ndarray of shape (n_components, n_samples), optional
        When given, the scatter ``sum_i resp[k, i] * out[k, i]`` is returned.

    Returns
    -------
    ndarray of shape (n_components,) or None
        The scatter, when ``resp`` is given.

    Notes
    -----
    The matrix-product form can be negative by a few ulps of ``||z||^2`` when a
    point sits on a mean; nothing downstream needs it clipped.
    """
    coef, mu_sq = _coefficients(means)
    k = means.shape[0]

    def block(cols: slice):
        np.matmul(coef, Za[cols].T, out=out[:, cols])
        if resp is not None:
            return np.einsum("kn,kn->k", resp[:, cols], out[:, cols])
        return None

    parts = map_blocks(block, *out.shape)
    if variances is not None:
        refine_distances(Za, means, out, exact_components(mu_sq, variances))
    if resp is None:
        return None
    scatter = np.zeros(k)
    for part in parts:
        scatter += part
    return scatter


def exact_components(mu_sq: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """Components whose distances need exact recomputation, shape (m,)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        bad = ~(mu_sq <= EXACT_DISTANCE_RATIO * variances)
    return np.flatnonzero(bad)


def refine_distances(Za: np.ndarray, means: np.ndarray, out: np.ndarray, rows) -> None:
    """Recompute ``out[k] = ||z - means[k]||^2`` by direct subtraction for ``k`` in rows."""
    Z = Za[:, : means.shape[1]]
    for k in rows:
        diff = Z - means[k]
        np.einsum("nd,nd->n", diff, diff, out=out[k])


def normalize(
    D: np.ndarray,
    weights: np.ndarray,
    variances: np.ndarray,
    n_features: int,
    out: np.ndarray,
    per_sample: np.ndarray | None = None,
    Za: np.ndarray | None = None,
) -> tuple[float, np.ndarray | None]:
    """Responsibilities into ``out`` (K, n) from squared distances ``D`` (K, n).

    Parameters
    ----------
    D : ndarray of shape (n_components, n_samples)
    weights, variances : ndarray of shape (n_components,)
    n_features : int
    out : ndarray of shape (n_components, n_samples)
        Receives the responsibilities; may be ``D`` itself.
    per_sample : ndarray of shape (n_samples,), optional
        Receives ``log p(z_i)``.
    Za : ndarray of shape (n_samples, n_features + 2), optional
        The design; when given, the M-step's moments ``out @ Za`` are returned.

    Returns
    -------
    loglik : float
        ``sum_i log p(z_i)``, the log-likelihood of the scaled data.
    moments : ndarray of shape (n_components, n_features + 2) or None
        ``[sum_i r_ik z_i, sum_i r_ik ||z_i||^2, N_k]`` when ``Za`` is given.
    """
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    const = (log_w - 0.5 * n_features * (_LOG_2PI + np.log(variances)))[:, None]
    factor = (-0.5 / variances)[:, None]

    def block(cols: slice):
        L = out[:, cols]
        np.multiply(D[:, cols], factor, out=L)
        L += const
        peak = L.max(axis=0)
        L -= peak
        np.maximum(L, EXP_FLOOR, out=L)
        np.exp(L, out=L)
        total = L.sum(axis=0)
        L /= total
        log_p = np.log(total, out=total)
        log_p += peak
        if per_sample is not None:
            per_sample[cols] = log_p
        moments = None if Za is None else L @ Za[cols]
        return float(log_p.sum()), moments

    parts = map_blocks(block, *D.shape)
    loglik = math.fsum(p[0] for p in parts)
    if Za is None:
        return loglik, None
    moments = np.zeros((D.shape[0], Za.shape[1]))
    for _, m in parts:
        moments += m
    return loglik, moments


def evaluate(X, params: GMMParams, per_sample: np.ndarray | None = None):
    """Validate ``X`` and run the E-step kernel at ``params``.

    Returns
    -------
    resp : ndarray of shape (n_components, n_samples)
    loglik : float
        In the data's units.
    scaling : Scaling
    """
    X = check_data(X)
    if X.shape[1] != params.n_features:
        raise ValueError(
            f"X: expected {params.n_features} features to match the parameters, got {X.shape[1]}"
        )
    scaling = Scaling.for_evaluation(X, params.variances)
    Za = design(scaling.data(X))
    w, m, v = scaling.to_scaled(params.weights, params.means, params.variances)
    D = np.empty((params.n_components, X.shape[0]))
    with sweeping(*D.shape):
        sq_distances(Za, m, D, v)
        ll, _ = normalize(D, w, v, X.shape[1], out=D, per_sample=per_sample)
    return D, ll - scaling.log_jacobian(*X.shape), scaling


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
