"""The posterior's pointwise log-likelihood at any n: in chunks, and only where it is needed.

A posterior of S draws on n points has S x n pointwise log-likelihoods
``log p(x_i | theta_s)``: 32 GB in float64 at S = 4000 and n = 1e6.  gmm-pp never
holds them all unless asked:

- :func:`draw_totals`: each draw's total log-likelihood (the report's
  log-likelihood trace), summed over the points a chunk at a time: memory
  S x chunk, not S x n.
- :func:`lazy_log_likelihood`: the ``log_likelihood`` group of a comparison's
  tree as a lazily indexed variable: a read computes only the points it asks for
  (``az.loo_subsample`` reads a few hundred; ``az.loo``, used at small n, all).
- :func:`pointwise`: all of them, in float32, a chunk at a time: what
  ``posterior.nc`` carries when it is small enough or asked for (see
  :data:`gmm_pp.loglik.SAVE_LIMIT_BYTES`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr
from xarray.backends import BackendArray
from xarray.core import indexing

import em

__all__ = [
    "CHUNK_VALUES",
    "SAVE_LIMIT_BYTES",
    "draw_totals",
    "lazy_log_likelihood",
    "log_likelihood_group",
    "pointwise",
    "pointwise_bytes",
    "saved_by_default",
]

#: Log-likelihood values (float64) computed at once: 4 M values, 32 MB of working memory.
CHUNK_VALUES = 1 << 22

#: ``posterior.nc`` carries the pointwise log-likelihood (float32) by default only
#: while it takes at most this many bytes (50 MiB: 4 chains x 1000 draws x 3,276 points).
SAVE_LIMIT_BYTES = 50 << 20


def _chunks(X, weights, means, covariances, covariance_type, chunk_values: int):
    """``(rows, values)`` for each chunk of points: a slice and its (..., rows) log-likelihoods."""
    sets = int(np.prod(np.shape(weights)[:-1], dtype=np.int64))
    size = max(1, chunk_values // max(1, sets))
    for start in range(0, X.shape[0], size):
        rows = slice(start, min(start + size, X.shape[0]))
        yield (
            rows,
            em.pointwise_log_likelihood(X[rows], weights, means, covariances, covariance_type),
        )


def draw_totals(
    X: np.ndarray,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    covariance_type: str = "spherical",
    *,
    chunk_values: int = CHUNK_VALUES,
    on_chunk: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Total log-likelihood ``sum_i log p(x_i | theta_s)`` of every parameter set.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    weights : ndarray of shape (..., K)
    means : ndarray of shape (..., K, n_features)
    covariances : ndarray
        In the structure's shapes after the leading axes (see
        :func:`em.pointwise_log_likelihood`).
    covariance_type : {"spherical", "diag", "tied", "full"}
    chunk_values : int
        Values computed at once (rows per chunk = chunk_values // sets).
    on_chunk : callable, optional
        Called as ``on_chunk(points_done, n_samples)`` after each chunk (progress).

    Returns
    -------
    ndarray of shape (...)
        Equal to ``em.pointwise_log_likelihood(...).sum(axis=-1)``; the points are
        added chunk by chunk, so memory grows like the number of sets, not sets x n.
    """
    total = np.zeros(np.shape(weights)[:-1])
    for rows, part in _chunks(X, weights, means, covariances, covariance_type, chunk_values):
        total += part.sum(axis=-1)
        if on_chunk is not None:
            on_chunk(rows.stop, X.shape[0])
    return total


def pointwise(
    X: np.ndarray,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    covariance_type: str = "spherical",
    *,
    dtype=np.float32,
    chunk_values: int = CHUNK_VALUES,
) -> np.ndarray:
    """Every ``log p(x_i | theta_s)``, computed a chunk of points at a time.

    Parameters
    ----------
    X, weights, means, covariances, covariance_type, chunk_values
        As :func:`draw_totals`'s.
    dtype : numpy dtype, default float32
        Of the result (each chunk is computed in float64, then cast).

    Returns
    -------
    ndarray of shape (..., n_samples)
        ``em.pointwise_log_likelihood(...)`` cast to ``dtype``; the float64 working
        memory is one chunk.
    """
    out = np.empty((*np.shape(weights)[:-1], X.shape[0]), dtype=dtype)
    for rows, part in _chunks(X, weights, means, covariances, covariance_type, chunk_values):
        out[..., rows] = part
    return out


def pointwise_bytes(n_draws: int, n_samples: int) -> int:
    """Bytes of the pointwise log-likelihood in float32: draws (all chains) x points x 4."""
    return 4 * int(n_draws) * int(n_samples)


def saved_by_default(n_draws: int, n_samples: int) -> bool:
    """Whether ``posterior.nc`` carries the pointwise log-likelihood when not told.

    True while it takes at most :data:`SAVE_LIMIT_BYTES` in float32.
    """
    return pointwise_bytes(n_draws, n_samples) <= SAVE_LIMIT_BYTES


class _Pointwise(BackendArray):
    """(chain, draw, point) log-likelihoods, computed for the indices asked only."""

    def __init__(self, X, weights, means, covariances, covariance_type):
        self.X = X
        self.draws = (weights, means, covariances)
        self.covariance_type = covariance_type
        self.shape = (*weights.shape[:2], X.shape[0])
        self.dtype = np.dtype(np.float64)
        self._last = None  # ArviZ reads one selection several times: computed once

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.OUTER, self._outer
        )

    def _outer(self, key: tuple) -> np.ndarray:
        signature = tuple(
            k if isinstance(k, int | slice) else ("array", np.asarray(k).tobytes()) for k in key
        )
        if self._last is not None and self._last[0] == signature:
            return self._last[1]
        # integers drop their axis: select with length-1 arrays, squeeze at the end
        drop = tuple(axis for axis, k in enumerate(key) if isinstance(k, int | np.integer))
        c, d, p = (np.array([k]) if isinstance(k, int | np.integer) else k for k in key)
        w, m, v = (a[c][:, d] for a in self.draws)
        values = em.pointwise_log_likelihood(self.X[p], w, m, v, self.covariance_type)
        values = values.squeeze(axis=drop) if drop else values
        self._last = (signature, values)
        return values


def log_likelihood_group(
    X: np.ndarray,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    covariance_type: str = "spherical",
) -> xr.Dataset:
    """The ``log_likelihood`` group of a comparison's tree: ``obs``, lazily computed.

    Parameters as :func:`lazy_log_likelihood`'s; coordinates ``chain``, ``draw``
    and ``point`` numbered from 0.
    """
    chains, draws = np.shape(weights)[:2]
    return xr.Dataset(
        {"obs": lazy_log_likelihood(X, weights, means, covariances, covariance_type)},
        coords={
            "chain": np.arange(chains),
            "draw": np.arange(draws),
            "point": np.arange(X.shape[0]),
        },
    )


def lazy_log_likelihood(
    X: np.ndarray,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    covariance_type: str = "spherical",
) -> xr.Variable:
    """The (chain, draw, point) pointwise log-likelihood as a lazily indexed variable.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    weights : ndarray of shape (chain, draw, K)
    means : ndarray of shape (chain, draw, K, n_features)
    covariances : ndarray of shape (chain, draw, ...)
    covariance_type : {"spherical", "diag", "tied", "full"}

    Returns
    -------
    xarray.Variable
        Dims ``(chain, draw, point)``, float64; nothing is computed until it is
        indexed or loaded (``.values`` computes all of it: chain x draw x n).
    """
    array = _Pointwise(X, weights, means, covariances, covariance_type)
    return xr.Variable(("chain", "draw", "point"), indexing.LazilyIndexedArray(array))
