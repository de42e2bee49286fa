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

Log-densities go through Cholesky factors (triangular solves and the factors'
diagonals), never an explicit inverse or determinant (:mod:`em._kernels`); EM for
the structures other than spherical is :mod:`em.structured`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.linalg import LinAlgError, cholesky

from em.exceptions import InputError, InputTypeError

__all__ = [
    "COVARIANCE_TYPES",
    "DESCRIPTIONS",
    "MCLUST_NAMES",
    "Reference",
    "check_covariance_type",
    "check_covariances",
    "check_structure_data",
    "cholesky_factors",
    "covariance_shape",
    "mclust_name",
    "n_covariance_parameters",
    "reference",
    "smallest_eigenvalues",
    "to_full",
]

#: The structures, simplest first (scikit-learn's names).
COVARIANCE_TYPES: tuple[str, ...] = ("spherical", "diag", "tied", "full")
#: mclust's names of the structures for d >= 2.
MCLUST_NAMES: dict[str, str] = {"spherical": "VII", "diag": "VVI", "tied": "EEE", "full": "VVV"}
#: The structures in words, for titles and sentences.
DESCRIPTIONS: dict[str, str] = {
    "spherical": "spherical",
    "diag": "diagonal-covariance",
    "tied": "tied-covariance",
    "full": "full-covariance",
}
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
    return np.linalg.cholesky(covariances)  # batched over components (numpy: see _kernels)


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


class Reference(NamedTuple):
    """The data's covariance, ready to judge components against (see :func:`reference`).

    Attributes
    ----------
    variances : ndarray of shape (d,)
        Its diagonal.
    whitener : ndarray of shape (d, d)
        ``L^{-1}`` with ``L L^T`` the covariance (per-axis scales when it is singular).
    """

    variances: np.ndarray
    whitener: np.ndarray


def reference(covariance) -> Reference:
    """:class:`Reference` of the data's covariance matrix (d, d) (a Reference passes through)."""
    if isinstance(covariance, Reference):
        return covariance
    ref = np.asarray(covariance, dtype=np.float64)
    scale = np.maximum(np.diagonal(ref), np.finfo(np.float64).tiny)
    try:
        L = np.linalg.cholesky(ref)
    except np.linalg.LinAlgError:  # collinear columns: per-axis scale only
        L = np.diag(np.sqrt(scale))
    return Reference(scale, np.linalg.solve(L, np.eye(L.shape[0])))


def smallest_eigenvalues(
    covariances: np.ndarray, covariance_type: str, n_components: int, ref
) -> np.ndarray:
    """Each component's smallest variance relative to the data's, shape (K,).

    Relative to ``ref``, the data's covariance matrix ``C`` (d, d) or its
    :class:`Reference`: for diag the smallest ratio of a component's variance to the
    data's on the same axis; for tied and full the smallest eigenvalue of ``L^{-1}
    Sigma_k L^{-T}`` (``C = L L^T``), so the number does not change when the data are
    rotated, shifted or scaled per axis; for spherical the variance over the data's
    mean variance per coordinate.
    """
    ref = reference(ref)
    if covariance_type == "spherical":
        return np.asarray(covariances, dtype=np.float64) / float(ref.variances.mean())
    if covariance_type == "diag":
        return (covariances / ref.variances).min(axis=1)
    mats = covariances[None] if covariance_type == "tied" else covariances
    whitened = ref.whitener @ mats @ ref.whitener.T
    low = np.linalg.eigvalsh(0.5 * (whitened + np.swapaxes(whitened, 1, 2)))[:, 0]
    return np.full(n_components, low[0]) if covariance_type == "tied" else low


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
