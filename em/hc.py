r"""Model-based agglomerative hierarchical clustering for the spherical model (VII).

mclust's default start (Fraley, 1998; Fraley and Raftery, 2002): from singletons,
merge at every step the pair of clusters whose merge costs least in the
classification likelihood of the spherical mixture with one variance per cluster.
Up to constants, that likelihood is maximised by minimising

.. math::

    F = \sum_k n_k \, d \, \log \frac{W_k + \alpha}{n_k}

where :math:`W_k = \sum_{i \in C_k} \lVert x_i - \bar x_k \rVert^2` is cluster
:math:`k`'s scatter and :math:`\alpha` regularises singletons (whose scatter is
0), as mclust's ``hcVII`` does: :math:`\alpha` is the data's variance per
coordinate (mclust's ``alpha = 1`` times ``traceW(data / sqrt(n p))``).  Merging
:math:`i` and :math:`j` changes only their terms, with
:math:`W_{ij} = W_i + W_j + \frac{n_i n_j}{n_i + n_j} \lVert \bar x_i - \bar x_j \rVert^2`,
so each step updates one row of the pairwise costs: memory O(m^2) and time about
O(m^2) for m points, which is why large data are clustered on a subsample.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

__all__ = ["agglomerate", "hierarchical_partition", "merge_cost", "merge_sequence"]

#: Full merge sequences kept, most recent first: one per data set (or subsample) in use.
#: The sequence down to K clusters is the first ``m - K`` merges of the one down to a
#: single cluster (the agglomeration is greedy and deterministic), so every K of a
#: model-selection grid, and every structure, cuts one tree, as mclust does.
_CACHE_SIZE = 4
_cache: OrderedDict[tuple, list[tuple[int, int]]] = OrderedDict()
_lock = threading.Lock()


def merge_cost(n_i, n_j, w_i, w_j, sq_dist, alpha: float, d: int):
    """The change of F when clusters i and j merge (array-friendly).

    Parameters
    ----------
    n_i, n_j : int or ndarray
        Sizes.
    w_i, w_j : float or ndarray
        Scatters.
    sq_dist : float or ndarray
        Squared distance between the clusters' means.
    alpha : float
    d : int

    Returns
    -------
    float or ndarray
    """
    n = n_i + n_j
    w = w_i + w_j + n_i * n_j / n * sq_dist
    return d * (
        n * np.log((w + alpha) / n) - n_i * np.log((w_i + alpha) / n_i)
        - n_j * np.log((w_j + alpha) / n_j)
    )  # fmt: skip


def merge_sequence(Z: np.ndarray, n_clusters: int, alpha: float | None = None) -> list[tuple]:
    """Agglomerate the rows of ``Z`` down to ``n_clusters``; the merges in order.

    The whole tree (down to one cluster) is computed once per data set and kept
    (the last few data sets, keyed by their bytes): a cut at another ``n_clusters``
    costs nothing.

    Parameters
    ----------
    Z : ndarray of shape (m, d)
        Data (standardised: the regularisation ``alpha`` is in its units).
    n_clusters : int
    alpha : float, optional
        Default: the data's variance per coordinate (divisor m).

    Returns
    -------
    list of (int, int)
        Each merge as the pair of cluster ids (a cluster keeps the smaller id of
        its two parts; ids are the rows of the first member), ``m - n_clusters``
        of them.
    """
    m = Z.shape[0]
    Z = np.ascontiguousarray(Z, dtype=np.float64)
    key = (Z.shape, alpha, hashlib.blake2b(Z.tobytes(), digest_size=20).digest())
    with _lock:
        merges = _cache.get(key)
        if merges is not None:
            _cache.move_to_end(key)
    if merges is None:
        merges = agglomerate(Z, 1, alpha)
        with _lock:
            _cache[key] = merges
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return merges[: m - n_clusters]


def agglomerate(Z: np.ndarray, n_clusters: int, alpha: float | None = None) -> list[tuple]:
    """:func:`merge_sequence` computed afresh (no cache): the O(m^2) agglomeration."""
    m, d = Z.shape
    if alpha is None:
        alpha = float(np.mean((Z - Z.mean(axis=0)) ** 2))
    alpha = max(alpha, np.finfo(float).eps)
    active = np.ones(m, dtype=bool)
    size = np.ones(m)
    scatter = np.zeros(m)
    centre = Z.astype(np.float64).copy()
    sq = np.einsum("id,id->i", centre, centre)
    # Pairwise costs; the diagonal and merged clusters are +inf.
    dist = np.maximum(sq[:, None] + sq[None, :] - 2.0 * centre @ centre.T, 0.0)
    cost = merge_cost(1.0, 1.0, 0.0, 0.0, dist, alpha, d)
    np.fill_diagonal(cost, np.inf)
    best = cost.argmin(axis=1)
    row_min = cost[np.arange(m), best]
    merges = []
    for _ in range(m - n_clusters):
        i = int(np.argmin(row_min))
        j = int(best[i])
        a, b = min(i, j), max(i, j)
        merges.append((a, b))
        n = size[a] + size[b]
        diff = centre[a] - centre[b]
        scatter[a] = scatter[a] + scatter[b] + size[a] * size[b] / n * float(diff @ diff)
        centre[a] = (size[a] * centre[a] + size[b] * centre[b]) / n
        size[a] = n
        active[b] = False
        cost[b, :] = np.inf
        cost[:, b] = np.inf
        # Row and column a: a's cost to every active cluster.
        others = np.flatnonzero(active)
        others = others[others != a]
        delta = centre[others] - centre[a]
        new = merge_cost(
            size[a], size[others], scatter[a], scatter[others],
            np.einsum("kd,kd->k", delta, delta), alpha, d,
        )  # fmt: skip
        cost[a, others] = new
        cost[others, a] = new
        row_min[b] = np.inf
        # Rows whose best partner was a or b: recompute; others: a may now be better.
        stale = others[(best[others] == a) | (best[others] == b)]
        for r in stale:
            best[r] = int(np.argmin(cost[r]))
            row_min[r] = cost[r, best[r]]
        better = others[new < row_min[others]]
        best[better] = a
        row_min[better] = new[np.searchsorted(others, better)]
        if others.size:
            best[a] = int(others[np.argmin(new)])
            row_min[a] = float(new.min())
        else:
            row_min[a] = np.inf
    return merges


def hierarchical_partition(
    Z: np.ndarray, n_clusters: int, alpha: float | None = None
) -> np.ndarray:
    """Cluster labels 0..n_clusters-1 of every row of ``Z`` after agglomeration, shape (m,)."""
    m = Z.shape[0]
    parent = np.arange(m)
    for a, b in merge_sequence(Z, n_clusters, alpha):
        parent[b] = a

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    roots = np.array([root(i) for i in range(m)])
    _, labels = np.unique(roots, return_inverse=True)
    return labels
