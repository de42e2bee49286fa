"""The row-block kernels of the diag, tied and full structures (private).

EM for these structures (:mod:`em.structured`) sweeps the standardised data in
fixed row blocks, on the shared thread pool of :mod:`em._parallel`: per block the
log-densities of every component (:class:`LogGaussian`) and the moments the
M-step needs (:func:`block_moments`).  The blocks depend on n, K and d only and
partial sums are added in block order, so results do not depend on the number of
threads.

Matrix products do the heavy work: diag's log-densities are one product with
``[x^2, x, 1]``; tied whitens the rows once (``y = L^{-1} x``) and expands
``||y - b_k||^2``; full whitens every component at once with ``x [L_1^{-T}, ...,
L_K^{-T}]``; the M-step's scatter matrices come from the moments ``sum_i r_ik z_i
z_i^T`` and ``sum_i r_ik z_i``.  Expansions lose ``log10(mu^2 / sigma^2)`` digits for a
component far from the data's centre relative to its own spread: beyond
:data:`~em.defaults.EXACT_DISTANCE_RATIO` such a component is computed again from
exact differences.  The inverse of a Cholesky factor comes from a solve of ``L W =
I``; no covariance is ever inverted.  numpy's solvers, not scipy's ``solve_triangular``:
with scipy 1.18 and OpenBLAS threads a small triangular solve took 7.8 ms when the
other core was busy, numpy's 0.01 ms.
"""

from __future__ import annotations

import math

import numpy as np

from em.defaults import EXACT_DISTANCE_RATIO

__all__ = ["LogGaussian", "block_moments", "diag_design", "row_blocks", "scatter"]

#: About this many numbers (rows x components x features) per row block.
BLOCK_NUMBERS = 1 << 19
_LOG_2PI = math.log(2.0 * math.pi)


def row_blocks(n: int, n_components: int, n_features: int) -> list[slice]:
    """Fixed row slices of about :data:`BLOCK_NUMBERS` / ((K + 2) d) rows (at least 64)."""
    rows = max(64, BLOCK_NUMBERS // ((n_components + 2) * max(n_features, 1)))
    return [slice(a, min(a + rows, n)) for a in range(0, n, rows)]


class LogGaussian:
    """``log N(x_i; mu_k, Sigma_k)`` for blocks of rows, its constants prepared once.

    Parameters
    ----------
    means : ndarray of shape (K, d)
    factors : ndarray
        :func:`em.covariance.cholesky_factors` of the covariances.
    covariance_type : {"spherical", "diag", "tied", "full"}
    offset : ndarray of shape (K,), optional
        Added to every component's log-density (the log weights, for the E-step).
    """

    def __init__(
        self, means: np.ndarray, factors: np.ndarray, covariance_type: str, offset=None
    ) -> None:
        k, d = means.shape
        self.kind, self.means, self.factors = covariance_type, means, factors
        self.k, self.d = k, d
        if covariance_type in ("spherical", "diag"):
            sd = factors[:, None] * np.ones(d) if covariance_type == "spherical" else factors
            a = 1.0 / (sd * sd)
            self.sd = sd
            # ``const`` is the normalising constant (and the offset), as for tied and full;
            # the product with [z^2, z, 1] also carries ``-mu^2 a / 2`` of the expansion
            self.const = -0.5 * d * _LOG_2PI - np.log(sd).sum(axis=1)
            if offset is not None:
                self.const = self.const + offset
            expanded = self.const - 0.5 * np.einsum("kd,kd->k", means * means, a)
            self.coef = np.concatenate([-0.5 * a, means * a, expanded[:, None]], axis=1)
            self.far = np.flatnonzero((means * means * a).max(axis=1) > EXACT_DISTANCE_RATIO)
        elif covariance_type == "tied":
            self.W = np.linalg.solve(factors, np.eye(d))  # L^{-1}, by a solve of L W = I
            self.B = means @ self.W.T
            self.b_sq = np.einsum("kd,kd->k", self.B, self.B)
            self.const = np.full(k, -0.5 * d * _LOG_2PI - np.log(np.diagonal(factors)).sum())
            self.far = np.flatnonzero(self.b_sq > EXACT_DISTANCE_RATIO)
        else:
            # L_k^{-T} for every component by one batched solve of L_k Y = I
            inv = np.swapaxes(np.linalg.solve(factors, np.broadcast_to(np.eye(d), (k, d, d))), 1, 2)
            self.U = inv.transpose(1, 0, 2).reshape(d, k * d)  # x @ U = [L_k^{-1} x]_k
            self.b = np.einsum("kd,kde->ke", means, inv)
            self.const = (-0.5 * d * _LOG_2PI
                          - np.log(np.diagonal(factors, axis1=1, axis2=2)).sum(axis=1))  # fmt: skip
            self.far = np.array([], dtype=np.intp)
        if offset is not None and covariance_type in ("tied", "full"):
            self.const = self.const + offset

    def __call__(self, X: np.ndarray, design: np.ndarray | None = None) -> np.ndarray:
        """Log-densities of the rows of ``X`` (r, d), components first: shape (K, r).

        ``design`` is :func:`diag_design` of the rows, when the caller keeps it.  The
        (K, r) layout keeps every reduction over components along contiguous rows.
        """
        if self.kind in ("spherical", "diag"):
            out = self.coef @ (diag_design(X) if design is None else design).T
        elif self.kind == "tied":
            Y = self.W @ X.T  # (d, r): L^{-1} x
            out = self.B @ Y
            out -= 0.5 * np.einsum("dn,dn->n", Y, Y)
            out -= 0.5 * self.b_sq[:, None]
        else:
            y = (X @ self.U).reshape(X.shape[0], self.k, self.d)
            y -= self.b
            out = -0.5 * np.einsum("nkd,nkd->kn", y, y)
        if self.kind in ("tied", "full"):
            out += self.const[:, None]
        for j in self.far:
            u = self._whitened(X, j)
            out[j] = self.const[j] - 0.5 * np.einsum("dn,dn->n", u, u)
        return out

    def _whitened(self, X: np.ndarray, j: int) -> np.ndarray:
        """``L_j^{-1} (x_i - mu_j)`` from exact differences, shape (d, r)."""
        diff = (X - self.means[j]).T
        if self.kind in ("spherical", "diag"):
            return diff / self.sd[j][:, None]
        L = self.factors if self.kind == "tied" else self.factors[j]
        return np.linalg.solve(L, diff)

    def log_distances(self, X: np.ndarray) -> np.ndarray:
        """``log`` of the squared Mahalanobis distances without overflow, shape (K, r)."""
        out = np.empty((self.k, X.shape[0]))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for j in range(self.k):
                u = self._whitened(X, j)
                top = np.max(np.abs(u), axis=0)
                u /= top
                out[j] = 2.0 * np.log(top) + np.log(np.einsum("dn,dn->n", u, u))
        return out


def diag_design(Z: np.ndarray) -> np.ndarray:
    """``[z^2, z, 1]`` of the rows, shape (r, 2d + 1): diag's densities and moments come from it."""
    return np.concatenate([Z * Z, Z, np.ones((Z.shape[0], 1))], axis=1)


def block_moments(Z: np.ndarray, R: np.ndarray, covariance_type: str, design=None) -> tuple:
    """The M-step's moments of one block: rows ``Z`` (r, d), responsibilities ``R`` (r, K).

    Returns ``(counts (K,), first (K, d), second)`` with ``second`` the sums of
    ``r_ik z_i^2`` (K, d) for diag, of ``(sum_k r_ik) z_i z_i^T`` (d, d) for tied and
    of ``r_ik z_i z_i^T`` (K, d, d) for full.  ``design`` is :func:`diag_design` of
    the rows, when the caller keeps it.
    """
    r, d = Z.shape
    k = R.shape[1]
    if covariance_type == "diag":
        both = R.T @ (diag_design(Z) if design is None else design)
        return both[:, 2 * d], both[:, d : 2 * d], both[:, :d]
    counts = R.sum(axis=0)
    first = R.T @ Z
    if covariance_type == "tied":
        return counts, first, (Z * R.sum(axis=1)[:, None]).T @ Z
    weighted = (R[:, :, None] * Z[:, None, :]).reshape(r, k * d)
    second = (Z.T @ weighted).reshape(d, k, d).transpose(1, 0, 2)
    return counts, first, second


def scatter(moments: tuple, means: np.ndarray, covariance_type: str, Z, resp) -> np.ndarray:
    """``sum_i r_ik (z_i - mu_k)(z_i - mu_k)^T`` from the moments: (K, d), (d, d) or (K, d, d).

    A component whose moment form lost more than ``log10(EXACT_DISTANCE_RATIO)``
    digits is computed again from exact differences over ``Z`` (n, d) and its column
    of ``resp`` (n, K).
    """
    counts, first, second = moments
    if covariance_type == "diag":
        out = second - 2.0 * means * first + counts[:, None] * means * means
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = out / counts[:, None]
            ratio = (means * means / spread).max(axis=1)
        for j in np.flatnonzero(~(ratio <= EXACT_DISTANCE_RATIO) | ~(spread > 0).all(axis=1)):
            diff = Z - means[j]
            diff *= diff
            out[j] = resp[:, j] @ diff
        return out
    if covariance_type == "tied":
        out = second - first.T @ means - means.T @ first + (means.T * counts) @ means
        out = 0.5 * (out + out.T)
        spread = np.trace(out) / (Z.shape[0] * out.shape[0])
        if _lossy(spread, np.einsum("kd,kd->k", means, means).max()):
            out = sum(_exact(Z, resp[:, j], means[j]) for j in range(means.shape[0]))
        return out
    cross = first[:, :, None] * means[:, None, :]
    out = second - cross - np.swapaxes(cross, 1, 2)
    out += counts[:, None, None] * means[:, :, None] * means[:, None, :]
    out = 0.5 * (out + np.swapaxes(out, 1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.trace(out, axis1=1, axis2=2) / (counts * means.shape[1])
    for j in range(means.shape[0]):
        if _lossy(spread[j], means[j] @ means[j]):
            out[j] = _exact(Z, resp[:, j], means[j])
    return out


def _lossy(spread: float, mean_sq: float) -> bool:
    """Whether the moment form lost more digits than exact differences would.

    Rounding in ``E[z z^T] - mu mu^T`` is about ``eps ||mu||^2``; in the exact form about
    ``eps`` times the component's spread (its mean variance per axis): beyond
    ``EXACT_DISTANCE_RATIO`` between the two, or for a non-finite or non-positive
    spread, the component is recomputed exactly.
    """
    return not (spread > 0 and mean_sq / spread <= EXACT_DISTANCE_RATIO)


def _exact(Z, r, mean):
    diff = Z - mean
    out = (diff * r[:, None]).T @ diff
    return 0.5 * (out + out.T)
