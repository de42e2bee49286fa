"""The E-step and the M-step: pure functions, and the in-place kernels behind them.

Public functions take data in its own units and return new objects.  The
private kernels (used by :func:`em.fit`) work on centred, scaled data in the
``(K, n)`` layout and write into preallocated buffers.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from em._workspace import Workspace, exact_components
from em.covariance import check_covariance_type
from em.density import responsibilities
from em.exceptions import InputError, InputTypeError
from em.params import GMMParams
from em.prior import GMMPrior
from em.scaling import Scaling
from em.structured import m_step_scaled
from em.validation import check_data

__all__ = ["e_step", "m_step"]

#: Rows of a responsibility matrix must sum to one within this tolerance.
_RESP_ATOL = 1e-6


class MStepResult(NamedTuple):
    """Output of the in-place M-step, in scaled units."""

    weights: np.ndarray
    means: np.ndarray
    variances: np.ndarray
    counts: np.ndarray


def m_step_kernel(ws: Workspace, prior, moments=None) -> MStepResult:
    """M-step on scaled data; leaves the distances to the new means in ``ws``.

    Parameters
    ----------
    ws : Workspace
        Holding the responsibilities.
    prior : ScaledPrior or None
        The prior's constants in scaled units, or None for the MLE.
    moments : ndarray of shape (n_components, n_features + 2), optional
        ``R @ Za`` if the E-step's sweep computed it already.

    Returns
    -------
    MStepResult
        Weights, means, variances and expected counts ``N_k``; an empty
        component gives a non-finite mean under the MLE (the caller checks
        ``counts``).
    """
    n, d = ws.n_samples, ws.n_features
    if moments is None:
        moments = ws.moments()
    sums, counts = moments[:, :d], moments[:, d + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        if prior is None:
            weights = counts / n
            means = sums / counts[:, None]
        else:
            alpha, m0, kappa0, a, b = prior
            k = counts.shape[0]
            weights = (counts + alpha - 1.0) / (n + k * (alpha - 1.0))
            means = (sums + kappa0 * m0) / (counts + kappa0)[:, None]
    finite = np.isfinite(means).all(axis=1)
    safe_means = np.where(finite[:, None], means, 0.0)
    scatter = ws.distances(safe_means, scatter=True)
    variances = _variances(scatter, counts, safe_means, d, prior)
    rows = exact_components(np.einsum("kd,kd->k", safe_means, safe_means), variances)
    if rows.size:
        ws.refine(safe_means, rows)
        scatter[rows] = ws.scatter(rows)
        variances = _variances(scatter, counts, safe_means, d, prior)
    return MStepResult(weights, means, variances, counts)


def _variances(scatter, counts, means, d, prior):
    with np.errstate(divide="ignore", invalid="ignore"):
        if prior is None:
            return scatter / (d * counts)
        _, m0, kappa0, a, b = prior
        shrink = kappa0 * np.einsum("kd,kd->k", means - m0, means - m0)
        return (scatter + shrink + 2.0 * b) / (d * counts + d + 2.0 * a + 2.0)


def check_resp(resp, n_samples: int, n_components: int | None = None) -> np.ndarray:
    """Validate a responsibility matrix of shape (n_samples, n_components)."""
    try:
        r = np.asarray(resp, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputTypeError(
            f"resp: expected an array of numbers, got {type(resp).__name__}"
        ) from None
    k = r.shape[1] if r.ndim == 2 else n_components
    if r.ndim != 2 or r.shape[0] != n_samples or (n_components and r.shape[1] != n_components):
        raise InputError(
            f"resp: expected shape ({n_samples}, {k if k else 'n_components'}), got {r.shape}"
        )
    if not np.isfinite(r).all() or (r < 0).any():
        raise InputError("resp: expected finite, non-negative responsibilities")
    row_sums = r.sum(axis=1)
    worst = int(np.argmax(np.abs(row_sums - 1.0)))
    if abs(row_sums[worst] - 1.0) > _RESP_ATOL:
        raise InputError(
            f"resp: expected every row to sum to 1, got {row_sums[worst]:.6g} in row {worst}"
        )
    return r


def e_step(X, params: GMMParams) -> tuple[np.ndarray, float]:
    """Expectation step: responsibilities and the log-likelihood.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    params : GMMParams

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components)
        ``r_ik = p_k N(x_i; mu_k, sigma_k^2 I) / sum_j p_j N(x_i; mu_j, sigma_j^2 I)``;
        rows sum to one.
    loglik : float
        ``sum_i log sum_k p_k N(x_i; mu_k, sigma_k^2 I)`` at ``params``.

    Examples
    --------
    >>> p = GMMParams([0.5, 0.5], [-3.0, 2.0], [4.0, 4.0])
    >>> resp, ll = e_step([0.2, -0.9, -1.0, 1.2, 1.8], p)
    >>> resp.shape
    (5, 2)
    """
    resp, log_density = responsibilities(X, params)
    return resp, math.fsum(log_density)


def m_step(X, resp, prior: GMMPrior | None = None, covariance_type: str = "spherical") -> GMMParams:
    """Maximisation step: the parameters that maximise the expected complete log-likelihood.

    Without a prior (the MLE): ``N_k = sum_i r_ik``, ``p_k = N_k / n``,
    ``mu_k = sum_i r_ik x_i / N_k`` and, for the spherical mixture,
    ``sigma_k^2 = sum_i r_ik ||x_i - mu_k||^2 / (d N_k)`` (the other structures:
    :func:`em.covariance.estimate`).  With a prior, the MAP update of :mod:`em.prior`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    resp : array-like of shape (n_samples, n_components)
        Non-negative, rows summing to one.
    prior : GMMPrior, optional
        Fields left as None are filled from ``X``.
    covariance_type : {"spherical", "diag", "tied", "full"}, default "spherical"

    Returns
    -------
    GMMParams

    Raises
    ------
    ValueError
        If a component has no responsibility (its MLE is undefined) or a
        variance comes out as zero (all its mass on one point).
    """
    X = check_data(X)
    n, d = X.shape
    r = check_resp(resp, n)
    kind = check_covariance_type(covariance_type)
    scaling = Scaling.from_data(X)
    if kind != "spherical":
        return _m_step_structured(X, r, prior, kind, scaling)
    constants = None
    if prior is not None:
        constants = prior.resolve(X, r.shape[1]).scaled(scaling.shift, scaling.scale)
    ws = Workspace(scaling.design(X), r.shape[1])
    ws.set_resp(r)
    out = m_step_kernel(ws, constants)
    bad = np.flatnonzero(~np.isfinite(out.means).all(axis=1))
    if bad.size:
        raise InputError(
            f"resp: component {int(bad[0])} has no responsibility (N_k = 0), so its mean "
            "is undefined; drop it or use a prior"
        )
    bad = np.flatnonzero(~(out.variances > 0))
    if bad.size:
        raise InputError(
            f"resp: component {int(bad[0])} puts all its mass on one point, so its "
            "variance is 0; use a prior"
        )
    return GMMParams(*scaling.from_scaled(out.weights, out.means, out.variances))


def _m_step_structured(X, r, prior, kind, scaling) -> GMMParams:
    constants = None
    if prior is not None:
        constants = prior.resolve(X, r.shape[1]).scaled(scaling.shift, scaling.scale, kind)
    Z = scaling.data(X)
    w, m, c, counts = m_step_scaled(Z, r, kind, constants)
    bad = np.flatnonzero(~(counts > 0))
    if bad.size:
        raise InputError(
            f"resp: component {int(bad[0])} has no responsibility (N_k = 0), so its mean "
            "is undefined; drop it or use a prior"
        )
    s = scaling.scale
    try:
        return GMMParams(w, m * s + scaling.shift, c * s**2, kind)
    except InputError as err:
        raise InputError(
            f"resp: the {kind} covariances it gives are singular ({err}); use a prior"
        ) from None
