"""The blocked workspace behind the EM kernels.

The data's design ``Za = [Z, ||z||^2, 1]`` (n, d + 2) is cut into fixed row
blocks; each block owns contiguous ``(K, w)`` buffers for the squared distances
and the responsibilities.  A sweep runs one function per block (threaded for
large problems, the GIL released inside numpy and BLAS) and only the small
per-block results (moments, scatter, log-likelihood) are summed, in block
order, so results do not depend on the number of threads.
"""

from __future__ import annotations

import math

import numpy as np

from em._parallel import column_blocks, map_blocks
from em.defaults import EXACT_DISTANCE_RATIO, EXP_FLOOR
from em.density import LOG_2PI

__all__ = ["Workspace"]


class Workspace:
    """Buffers and sweeps for one data set and a number of components.

    Parameters
    ----------
    Za : ndarray of shape (n_samples, n_features + 2)
        The design ``[z, ||z||^2, 1]`` from :meth:`em.scaling.Scaling.design`.
    n_components : int
    """

    def __init__(self, Za: np.ndarray, n_components: int) -> None:
        self.Za = Za
        self.n_samples = Za.shape[0]
        self.n_features = Za.shape[1] - 2
        self.n_components = n_components
        self.slices = column_blocks(n_components, self.n_samples)
        self.rows = [Za[s] for s in self.slices]
        self.D = [np.empty((n_components, s.stop - s.start)) for s in self.slices]
        self.R = [np.empty_like(b) for b in self.D]

    def _map(self, func):
        return map_blocks(func, len(self.slices))

    # -- distances -----------------------------------------------------------
    def distances(self, means: np.ndarray, variances=None, *, scatter: bool = False):
        """Squared distances ``||z_i - mu_k||^2`` into the D buffers.

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
        variances : ndarray of shape (n_components,), optional
            When given, components whose matrix-product distances would lose
            more than ``log10(EXACT_DISTANCE_RATIO)`` digits are recomputed by
            direct subtraction.
        scatter : bool
            Also return ``sum_i r_ik ||z_i - mu_k||^2`` with the current R.

        Returns
        -------
        ndarray of shape (n_components,) or None
        """
        k, d = means.shape
        mu_sq = np.einsum("kd,kd->k", means, means)
        coef = np.empty((k, d + 2))
        coef[:, :d] = -2.0 * means
        coef[:, d] = 1.0
        coef[:, d + 1] = mu_sq

        def block(b: int):
            np.dot(coef, self.rows[b].T, out=self.D[b])
            if scatter:
                return np.einsum("kn,kn->k", self.R[b], self.D[b])
            return None

        parts = self._map(block)
        if variances is not None:
            self.refine(means, exact_components(mu_sq, variances))
        if scatter:
            return _sum_blocks(parts, k)
        return None

    def refine(self, means: np.ndarray, components) -> None:
        """Recompute the distances of ``components`` exactly (direct subtraction)."""
        d = means.shape[1]
        for k in components:
            for b, rows in enumerate(self.rows):
                diff = rows[:, :d] - means[k]
                np.einsum("nd,nd->n", diff, diff, out=self.D[b][k])

    def scatter(self, components) -> np.ndarray:
        """``sum_i r_ik D_ik`` for the given components, shape (len(components),)."""
        out = np.zeros(len(components))
        for b in range(len(self.slices)):
            out += np.einsum("kn,kn->k", self.R[b][components], self.D[b][components])
        return out

    # -- responsibilities ----------------------------------------------------
    def responsibilities(
        self,
        weights: np.ndarray,
        variances: np.ndarray,
        *,
        moments: bool = True,
        per_sample: np.ndarray | None = None,
    ) -> tuple[float, np.ndarray | None]:
        """E-step from the D buffers into the R buffers.

        Returns
        -------
        loglik : float
            ``sum_i log p(z_i)``, the log-likelihood of the scaled data.
        moments : ndarray of shape (n_components, n_features + 2) or None
            ``R @ Za = [sum_i r_ik z_i, sum_i r_ik ||z_i||^2, N_k]``, for the M-step.
        """
        with np.errstate(divide="ignore"):
            log_w = np.log(weights)
        const = (log_w - 0.5 * self.n_features * (LOG_2PI + np.log(variances)))[:, None]
        factor = (-0.5 / variances)[:, None]

        def block(b: int):
            L = self.R[b]
            np.multiply(self.D[b], factor, out=L)
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
                per_sample[self.slices[b]] = log_p
            mom = np.dot(L, self.rows[b]) if moments else None
            return float(log_p.sum()), mom

        parts = self._map(block)
        loglik = math.fsum(p[0] for p in parts)
        if not moments:
            return loglik, None
        total = np.zeros((self.n_components, self.n_features + 2))
        for _, m in parts:
            total += m
        return loglik, total

    def moments(self) -> np.ndarray:
        """``R @ Za`` from the R buffers, shape (n_components, n_features + 2)."""
        total = np.zeros((self.n_components, self.n_features + 2))
        for b in range(len(self.slices)):
            total += np.dot(self.R[b], self.rows[b])
        return total

    def set_resp(self, resp: np.ndarray) -> None:
        """Copy a responsibility matrix of shape (n_samples, n_components) into R."""
        for b, s in enumerate(self.slices):
            self.R[b][...] = resp[s].T

    def resp(self) -> np.ndarray:
        """The responsibilities as one array of shape (n_samples, n_components)."""
        out = np.empty((self.n_samples, self.n_components))
        for b, s in enumerate(self.slices):
            out[s] = self.R[b].T
        return out


def _sum_blocks(parts, k: int) -> np.ndarray:
    """Sum per-block vectors of length ``k`` in block order."""
    out = np.zeros(k)
    for p in parts:
        out += p
    return out


def exact_components(mu_sq: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """Components whose distances need exact recomputation, shape (m,)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        bad = ~(mu_sq <= EXACT_DISTANCE_RATIO * variances)
    return np.flatnonzero(bad)
