r"""The covariance structures of a Gaussian mixture: one home for their shapes and maths.

========== ===================== ================= ==================== ==========
name       covariance of k       array shape       free parameters      mclust
========== ===================== ================= ==================== ==========
spherical  :math:`\sigma_k^2 I`  (K,)              K                    VII
diag       diag(:math:`s_k`)     (K, d)            K d                  VVI
tied       :math:`\Sigma`        (d, d)            d (d + 1) / 2        EEE
full       :math:`\Sigma_k`      (K, d, d)         K d (d + 1) / 2      VVV
========== ===================== ================= ==================== ==========

The names and shapes are scikit-learn's (``GaussianMixture(covariance_type=...)``,
``covariances_``).  In one dimension the four reduce to two models: spherical, diag
and full are the same model (mclust's "V", a variance per component) and tied is
mclust's "E" (one variance shared).

Log-densities go through Cholesky factors (a triangular solve and the factor's
diagonal), never an explicit inverse or determinant.  The maximisation step of every
structure other than spherical (whose blocked kernel lives in :mod:`em.steps`) is
:func:`estimate`: the MLE, or the MAP under the conjugate prior of
:mod:`em.prior`.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cholesky, solve_triangular

from em.defaults import EXACT_DISTANCE_RATIO
from em.exceptions import InputError, InputTypeError

__all__ = [
    "COVARIANCE_TYPES",
    "MCLUST_NAMES",
    "check_covariance_type",
    "check_covariances",
    "check_structure_data",
    "cholesky_factors",
    "covariance_shape",
    "estimate",
    "log_gaussian",
    "mclust_name",
    "n_covariance_parameters",
    "smallest_eigenvalues",
    "to_full",
]

#: The structures, simplest first (scikit-learn's names).
COVARIANCE_TYPES: tuple[str, ...] = ("spherical", "diag", "tied", "full")
#: mclust's names of the structures for d >= 2.
MCLUST_NAMES: dict[str, str] = {"spherical": "VII", "diag": "VVI", "tied": "EEE", "full": "VVV"}
#: A covariance is symmetric when ``|S - S^T| <= _SYMMETRY_RTOL * max|S|``.
_SYMMETRY_RTOL = 1e-10


def check_covariance_type(value, name: str = "covariance_type") -> str:
    """Return ``value`` if it names a structure, else raise naming the choices."""
    if not isinstance(value, str):
        raise InputTypeError(
            f"{name}: expected one of {', '.join(COVARIANCE_TYPES)}, got {value!r}"
        )
    if value not in COVARIANCE_TYPES:
        raise InputError(
            f"{name}: expected one of {', '.join(COVARIANCE_TYPES)}, got {value!r} "
            "(mclust's VII, VVI, EEE and VVV are spherical, diag, tied and full)"
        )
    return value


def mclust_name(covariance_type: str, n_features: int) -> str:
    """Mclust's name of the model: ``"VII"``, ... or, in one dimension, ``"V"`` or ``"E"``."""
    if n_features == 1:
        return "E" if covariance_type == "tied" else "V"
    return MCLUST_NAMES[covariance_type]


def covariance_shape(covariance_type: str, n_components: int, n_features: int) -> tuple:
    """The array shape of the covariances (scikit-learn's ``covariances_``)."""
    k, d = n_components, n_features
    return {"spherical": (k,), "diag": (k, d), "tied": (d, d), "full": (k, d, d)}[covariance_type]


def n_covariance_parameters(covariance_type: str, n_components: int, n_features: int) -> int:
    """Free parameters of the covariances: K, K d, d (d + 1) / 2 or K d (d + 1) / 2."""
    k, d = n_components, n_features
    return {
        "spherical": k,
        "diag": k * d,
        "tied": d * (d + 1) // 2,
        "full": k * d * (d + 1) // 2,
    }[covariance_type]


def check_covariances(
    value, covariance_type: str, n_components: int, n_features: int, name: str = "covariances"
) -> np.ndarray:
    """Validate covariances of a structure: shape, finite, symmetric positive definite.

    Parameters
    ----------
    value : array-like
        Of :func:`covariance_shape`; for spherical and diag, variances > 0.
    covariance_type : str
    n_components, n_features : int
    name : str
        How to name the array in errors.

    Returns
    -------
    ndarray
        float64, of the structure's shape.

    Raises
    ------
    InputError
        Naming the component (and what was wrong) when one is not valid.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputTypeError(f"{name}: expected an array of numbers, got {value!r}") from None
    shape = covariance_shape(covariance_type, n_components, n_features)
    if arr.shape != shape:
        raise InputError(
            f"{name}: expected shape {shape} for {covariance_type} covariances of "
            f"{n_components} components in {n_features} dimensions, got {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise InputError(f"{name}: expected finite numbers, got non-finite values")
    if covariance_type in ("spherical", "diag"):
        bad = np.argwhere(~(arr > 0))
        if bad.size:
            raise InputError(
                f"{name}: expected variances > 0, got {arr[tuple(bad[0])]:.6g} at index "
                f"{tuple(int(i) for i in bad[0])}"
            )
        return arr
    mats = arr[None] if covariance_type == "tied" else arr
    for k, s in enumerate(mats):
        where = "the shared matrix" if covariance_type == "tied" else f"component {k}"
        top = np.max(np.abs(s))
        if np.max(np.abs(s - s.T)) > _SYMMETRY_RTOL * top:
            raise InputError(
                f"{name}: {where} is not symmetric (largest |S - S^T| "
                f"{np.max(np.abs(s - s.T)):.3g}); a covariance matrix equals its transpose"
            )
        try:
            cholesky(s, lower=True)
        except LinAlgError:
            low = float(np.linalg.eigvalsh(s)[0])
            raise InputError(
                f"{name}: {where} is not positive definite (smallest eigenvalue {low:.3g}); "
                "a covariance matrix must have every eigenvalue > 0"
            ) from None
    return arr


def cholesky_factors(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """Lower Cholesky factors ``L`` with ``L L^T = Sigma``; square roots for spherical and diag.

    Raises
    ------
    numpy.linalg.LinAlgError
        When a matrix is not positive definite (the caller says which and why).
    """
    if covariance_type in ("spherical", "diag"):
        return np.sqrt(covariances)
    if covariance_type == "tied":
        return cholesky(covariances, lower=True)
    return np.stack([cholesky(s, lower=True) for s in covariances])


def to_full(covariances: np.ndarray, covariance_type: str, n_features: int) -> np.ndarray:
    """Every component's covariance matrix, shape (..., K, d, d) (tied: repeated per component).

    Parameters
    ----------
    covariances : ndarray
        Of the structure's shape, with optional leading batch axes (posterior draws);
        for tied the number of components is one unless the batch says otherwise.
    covariance_type : str
    n_features : int
    """
    cov = np.asarray(covariances, dtype=np.float64)
    eye = np.eye(n_features)
    if covariance_type == "spherical":
        return cov[..., None, None] * eye
    if covariance_type == "diag":
        return cov[..., :, None] * eye
    if covariance_type == "tied":
        return cov[..., None, :, :]
    return cov


def smallest_eigenvalues(
    covariances: np.ndarray, covariance_type: str, n_components: int, reference: np.ndarray
) -> np.ndarray:
    """Each component's smallest variance relative to the data's, shape (K,).

    Relative to ``reference``, the data's covariance matrix (d, d): for diag the
    smallest ratio of a component's variance to the data's on the same axis; for tied
    and full the smallest eigenvalue of ``C^{-1/2} Sigma_k C^{-T/2}`` (``C = L L^T``), so
    the number does not change when the data are rotated, shifted or scaled per axis;
    for spherical the variance over the data's mean variance per coordinate.
    """
    ref = np.asarray(reference, dtype=np.float64)
    scale = np.diagonal(ref)
    tiny = np.finfo(np.float64).tiny
    if covariance_type == "spherical":
        return np.asarray(covariances, dtype=np.float64) / max(float(scale.mean()), tiny)
    if covariance_type == "diag":
        return (covariances / np.maximum(scale, tiny)).min(axis=1)
    try:
        L = cholesky(ref, lower=True)
    except LinAlgError:  # collinear columns: per-axis scale only
        L = np.diag(np.sqrt(np.maximum(scale, tiny)))
    mats = covariances[None] if covariance_type == "tied" else covariances
    low = np.empty(mats.shape[0])
    for j, s in enumerate(mats):
        a = solve_triangular(L, s, lower=True, check_finite=False)
        w = solve_triangular(L, a.T, lower=True, check_finite=False)
        low[j] = np.linalg.eigvalsh(0.5 * (w + w.T))[0]
    return np.full(n_components, low[0]) if covariance_type == "tied" else low


#: Rows x components x features of the blocks the kernels below work through.
_BLOCK = 1 << 19


def _row_blocks(n: int, width: int):
    rows = max(1, _BLOCK // max(1, width))
    return (slice(a, min(a + rows, n)) for a in range(0, n, rows))


def _whitening(means, factors, covariance_type):
    """``U`` (d, K d) and ``b`` (K, d) with ``L_k^{-1}(x - mu_k) = (x U)_k - b_k``.

    For tied and full, ``U_k = L_k^{-T}`` from a triangular solve of the identity
    (the Cholesky factor's inverse, never the covariance's); None for spherical and
    diag, whose whitening is a division.
    """
    k, d = means.shape
    if covariance_type in ("spherical", "diag"):
        return None, None
    mats = [factors] * k if covariance_type == "tied" else list(factors)
    inv = [solve_triangular(L, np.eye(d), lower=True, check_finite=False).T for L in mats]
    U = np.concatenate(inv, axis=1)
    b = np.stack([means[j] @ inv[j] for j in range(k)])
    return U, b


def _half_log_dets(factors, covariance_type, k, d) -> np.ndarray:
    if covariance_type == "spherical":
        return d * np.log(factors)
    if covariance_type == "diag":
        return np.log(factors).sum(axis=1)
    if covariance_type == "tied":
        return np.full(k, np.log(np.diagonal(factors)).sum())
    return np.log(np.diagonal(factors, axis1=1, axis2=2)).sum(axis=1)


def log_gaussian(
    X: np.ndarray,
    means: np.ndarray,
    factors: np.ndarray,
    covariance_type: str,
    *,
    log_distance: bool = False,
    _exact: bool = False,
) -> np.ndarray:
    """``log N(x_i; mu_k, Sigma_k)`` for every row and component, shape (n, K).

    Diag uses one matrix product on ``[x^2, x]`` (exact differences for components
    far from the data's centre relative to their spread).  The others work through
    row blocks of about ``2^19`` numbers: for tied and full one matrix product per
    block whitens every component at once (``x L_k^{-T} - mu_k L_k^{-T}``), for
    spherical (and diag's far components) exact differences are divided by the
    standard deviations.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    means : ndarray of shape (K, d)
    factors : ndarray
        :func:`cholesky_factors` of the covariances.
    covariance_type : str
    log_distance : bool
        Return instead ``log`` of the squared Mahalanobis distances, computed without
        overflow (for rows beyond float64's range from every component).
    """
    n, d = X.shape
    k = means.shape[0]
    if covariance_type == "diag" and not (log_distance or _exact):
        return _log_gaussian_diag(X, means, factors)
    out = np.empty((n, k))
    U, b = _whitening(means, factors, covariance_type)
    if U is None:
        sd = factors[:, None] * np.ones(d) if covariance_type == "spherical" else factors
        inv_sd = 1.0 / sd
    const = -0.5 * d * np.log(2.0 * np.pi) - _half_log_dets(factors, covariance_type, k, d)
    for rows in _row_blocks(n, k * d):
        with np.errstate(over="ignore", invalid="ignore"):
            if U is None:
                y = X[rows, None, :] - means[None]
                y *= inv_sd[None]
            else:
                y = (X[rows] @ U).reshape(-1, k, d)
                y -= b[None]
            if log_distance:
                top = np.max(np.abs(y), axis=2)
                with np.errstate(divide="ignore"):
                    y /= top[..., None]
                    out[rows] = 2.0 * np.log(top) + np.log(np.einsum("ikd,ikd->ik", y, y))
                continue
            out[rows] = const - 0.5 * np.einsum("ikd,ikd->ik", y, y)
    return out


def _far(means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """Components whose expanded distances lose more than 4 digits (``mu^2 / s > 1e4``)."""
    return np.flatnonzero((means * means / variances).max(axis=1) > EXACT_DISTANCE_RATIO)


def _log_gaussian_diag(X, means, sd):
    """Diag log-densities by one matrix product on ``[x^2, x]``; far components exactly.

    ``sum_j (x_j - mu_kj)^2 / s_kj = x^2 . a_k - 2 x . (mu_k a_k) + mu_k^2 . a_k`` with
    ``a = 1 / s`` loses ``log10(mu^2 / s)`` digits; components beyond
    ``EXACT_DISTANCE_RATIO`` are recomputed from exact differences.
    """
    n, d = X.shape
    k = means.shape[0]
    a = 1.0 / (sd * sd)
    coef = np.concatenate([a, -2.0 * means * a], axis=1)  # (K, 2d)
    const = (
        -0.5 * d * np.log(2.0 * np.pi)
        - np.log(sd).sum(axis=1)
        - 0.5 * np.einsum("kd,kd->k", means * means, a)
    )
    out = np.empty((n, k))
    for rows in _row_blocks(n, 2 * d + k):
        Xb = X[rows]
        np.dot(np.concatenate([Xb * Xb, Xb], axis=1), coef.T, out=out[rows])
        out[rows] *= -0.5
        out[rows] += const
    far = _far(means, sd * sd)
    if far.size:
        exact = log_gaussian(X, means[far], sd[far], "diag", log_distance=False, _exact=True)
        out[:, far] = exact
    return out


def _scatter(Z: np.ndarray, resp: np.ndarray, means: np.ndarray, covariance_type: str):
    """``sum_i r_ik (z_i - mu_k)(z_i - mu_k)^T`` per component: (K, d) diagonals or (K, d, d).

    Exact differences, through row blocks that stay in cache; the blocks depend on
    n, K and d only, so the sums do not depend on anything else.
    """
    n = Z.shape[0]
    k, d = means.shape
    if covariance_type == "diag":
        return _scatter_diag(Z, resp, means)
    out = np.zeros((k, d) if covariance_type == "diag" else (k, d, d))
    for rows in _row_blocks(n, 4 * d):
        Zb, Rb = Z[rows], resp[rows]
        for j in range(k):
            diff = Zb - means[j]
            if covariance_type == "diag":
                diff *= diff
                out[j] += Rb[:, j] @ diff
            else:
                out[j] += (diff.T * Rb[:, j]) @ diff
    if covariance_type != "diag":
        out = 0.5 * (out + np.swapaxes(out, 1, 2))
    return out


def _scatter_diag(Z, resp, means):
    """``sum_i r_ik (z_ij - mu_kj)^2`` from the moments ``R^T [z^2, z, 1]``; far ones exactly."""
    n, d = Z.shape
    k = means.shape[0]
    moments = np.zeros((k, 2 * d + 1))
    for rows in _row_blocks(n, 2 * d + 1 + k):
        Zb = Z[rows]
        design = np.concatenate([Zb * Zb, Zb, np.ones((Zb.shape[0], 1))], axis=1)
        moments += resp[rows].T @ design
    sq, lin, counts = moments[:, :d], moments[:, d : 2 * d], moments[:, 2 * d :]
    out = sq - 2.0 * means * lin + counts * means * means
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = out / counts
    far = np.flatnonzero(~np.isfinite(spread).all(axis=1)
                         | ((means * means / spread).max(axis=1) > EXACT_DISTANCE_RATIO)
                         | (spread <= 0).any(axis=1))  # fmt: skip
    for j in far:
        diff = Z - means[j]
        diff *= diff
        out[j] = resp[:, j] @ diff
    return out


def estimate(Z, resp, counts, means, covariance_type: str, prior=None) -> np.ndarray:
    r"""The M-step's covariances of a diag, tied or full mixture: the MLE or the MAP.

    MLE: ``S_k = sum_i r_ik (z_i - mu_k)(z_i - mu_k)^T``; ``Sigma_k = S_k / N_k`` (full),
    its diagonal (diag), ``sum_k S_k / n`` (tied).  MAP under the prior of
    :mod:`em.prior` (mclust's M-steps ``msvvip``, ``mseeep``, ``msvvvp``), with
    ``B_k = S_k + kappa_0 (mu_k - m_0)(mu_k - m_0)^T`` at the MAP means:

    .. math::

        \text{diag: } s_{kj} = \frac{2b + B_{k,jj}}{N_k + 2a + 3} \qquad
        \text{full: } \Sigma_k = \frac{\Psi + B_k}{N_k + \nu + d + 2} \qquad
        \text{tied: } \Sigma = \frac{\Psi + \sum_k B_k}{n + \nu + d + 1 + K}

    Parameters
    ----------
    Z : ndarray of shape (n, d)
    resp : ndarray of shape (n, K)
    counts : ndarray of shape (K,)
        ``N_k = sum_i r_ik``.
    means : ndarray of shape (K, d)
        The M-step's means (the MAP means with a prior).
    covariance_type : {"diag", "tied", "full"}
    prior : ScaledPrior or ScaledWishart, optional
        In the units of ``Z``.

    Returns
    -------
    ndarray of the structure's shape
        Non-finite for an empty component (the caller checks ``counts``).
    """
    n, d = Z.shape
    scatter = _scatter(Z, resp, means, covariance_type)
    with np.errstate(divide="ignore", invalid="ignore"):
        if prior is None:
            if covariance_type == "tied":
                return scatter.sum(axis=0) / n
            shape = (-1, 1) if covariance_type == "diag" else (-1, 1, 1)
            return scatter / counts.reshape(shape)
        gap = means - prior.m0
        k = means.shape[0]
        if covariance_type == "diag":
            scatter += prior.kappa0 * gap * gap
            return (2.0 * prior.b + scatter) / (counts + 2.0 * prior.a + 3.0)[:, None]
        scatter += prior.kappa0 * gap[:, :, None] * gap[:, None, :]
        if covariance_type == "tied":
            return (prior.psi + scatter.sum(axis=0)) / (n + prior.dof + d + 1.0 + k)
        return (prior.psi + scatter) / (counts + prior.dof + d + 2.0)[:, None, None]


def check_structure_data(
    n_samples: int, n_features: int, covariance_type: str, with_prior: bool
) -> None:
    """Refuse a full or tied MLE with no more rows than columns (its covariance is singular)."""
    if covariance_type in ("tied", "full") and n_samples <= n_features and not with_prior:
        raise InputError(
            f"X: the maximum-likelihood {covariance_type} covariance needs more rows than "
            f"columns, got {n_samples} rows and {n_features} columns; use "
            "covariance_type='diag' or 'spherical', a prior, or more data"
        )
