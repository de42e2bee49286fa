"""Starting points for EM: k-means with k-means++ seeding, or random data points.

As in the course notes, k-means gives the means and the weights (cluster
shares) and the data's global variance initialises every ``sigma_k^2``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from em.defaults import KMEANS_MAX_ITER
from em.exceptions import InputError
from em.scaling import Scaling
from em.validation import check_data, check_n_components, check_positive_int, check_rng

__all__ = ["ParamsStart", "RespStart", "kmeans", "kmeans_plusplus"]


class ParamsStart(NamedTuple):
    """EM starts from parameters, in standardised units.

    Attributes
    ----------
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, d)
    variances : ndarray of shape (K,)
    """

    weights: np.ndarray
    means: np.ndarray
    variances: np.ndarray


class RespStart(NamedTuple):
    """EM starts with an M-step from responsibilities, shape (n_samples, K)."""

    resp: np.ndarray


def _sq_dist_to(Z: np.ndarray, z_sqnorm: np.ndarray, center: np.ndarray) -> np.ndarray:
    d2 = z_sqnorm - 2.0 * (Z @ center) + center @ center
    return np.maximum(d2, 0.0, out=d2)


def kmeans_plusplus_indices(Z, z_sqnorm, n_clusters: int, rng) -> np.ndarray:
    """Rows chosen by k-means++ seeding (Arthur and Vassilvitskii, 2007), shape (K,)."""
    n = Z.shape[0]
    idx = np.empty(n_clusters, dtype=np.intp)
    idx[0] = rng.integers(n)
    closest = _sq_dist_to(Z, z_sqnorm, Z[idx[0]])
    for j in range(1, n_clusters):
        total = closest.sum()
        if not total > 0:
            raise InputError(
                f"n_components: expected at most the number of distinct rows of X, "
                f"got {n_clusters} but X has only {j} distinct rows; use fewer components"
            )
        idx[j] = min(np.searchsorted(np.cumsum(closest), rng.random() * total, "right"), n - 1)
        np.minimum(closest, _sq_dist_to(Z, z_sqnorm, Z[idx[j]]), out=closest)
    return idx


def lloyd(Z, z_sqnorm, centers: np.ndarray, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means from ``centers`` (K, d); empty clusters take the farthest point.

    Returns
    -------
    centers : ndarray of shape (K, d)
    labels : ndarray of shape (n_samples,)
    """
    n = Z.shape[0]
    k = centers.shape[0]
    centers = centers.copy()
    labels = np.full(n, -1)
    for _ in range(max_iter):
        d2 = z_sqnorm[:, None] - 2.0 * (Z @ centers.T) + np.einsum("kd,kd->k", centers, centers)
        new = d2.argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        counts = np.bincount(labels, minlength=k)
        for j in np.flatnonzero(counts == 0):
            far = int(np.argmax(d2[np.arange(n), labels]))
            labels[far] = j
            d2[far, :] = 0.0
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros_like(centers)
        _sum_by_label(Z, labels, sums)
        centers = sums / counts[:, None]
    return centers, labels


def _sum_by_label(Z, labels, out):
    for j in range(out.shape[1]):
        out[:, j] = np.bincount(labels, weights=Z[:, j], minlength=out.shape[0])


def kmeans_start(
    Z, z_sqnorm, n_components: int, rng, max_iter: int = KMEANS_MAX_ITER
) -> ParamsStart:
    """k-means++ then Lloyd: weights, means, variances in scaled units."""
    idx = kmeans_plusplus_indices(Z, z_sqnorm, n_components, rng)
    centers, labels = lloyd(Z, z_sqnorm, Z[idx], max_iter)
    weights = np.bincount(labels, minlength=n_components) / Z.shape[0]
    return ParamsStart(weights, centers, _global_variance(Z, n_components))


def random_start(Z, n_components: int, rng) -> ParamsStart:
    """K distinct random rows as means, equal weights (scaled units)."""
    idx = rng.choice(Z.shape[0], size=n_components, replace=False)
    weights = np.full(n_components, 1.0 / n_components)
    return ParamsStart(weights, Z[idx].copy(), _global_variance(Z, n_components))


def _global_variance(Z, n_components):
    """Every component starts at the data's variance per coordinate."""
    return np.full(n_components, float(np.einsum("nd,nd->", Z, Z)) / Z.size)


def kmeans_plusplus(X, n_clusters: int, seed=None) -> np.ndarray:
    """k-means++ seeding: indices of the chosen rows of ``X``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    n_clusters : int
    seed : int, numpy.random.Generator or None

    Returns
    -------
    ndarray of shape (n_clusters,)
    """
    X = check_data(X)
    k = check_n_components(n_clusters, X.shape[0])
    Z = Scaling.from_data(X).data(X)
    return kmeans_plusplus_indices(Z, np.einsum("nd,nd->n", Z, Z), k, check_rng(seed))


def kmeans(X, n_clusters: int, seed=None, *, max_iter: int = KMEANS_MAX_ITER):
    """k-means with k-means++ seeding.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    n_clusters : int
    seed : int, numpy.random.Generator or None
    max_iter : int

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,)
    """
    X = check_data(X)
    k = check_n_components(n_clusters, X.shape[0])
    max_iter = check_positive_int(max_iter, "max_iter")
    scaling = Scaling.from_data(X)
    Z = scaling.data(X)
    zsq = np.einsum("nd,nd->n", Z, Z)
    idx = kmeans_plusplus_indices(Z, zsq, k, check_rng(seed))
    centers, labels = lloyd(Z, zsq, Z[idx], max_iter)
    return centers * scaling.scale + scaling.shift, labels
