r"""Split-and-merge moves: new starts made from an optimum EM reached (SMEM).

A local maximum of a mixture's likelihood often has two components sharing one
cluster while one component spans two.  Ueda, Nakano, Ghahramani and Hinton
(2000, "SMEM algorithm for mixture models", Neural Computation 12) move out of it
by merging two components and splitting a third, then running EM again.  The
candidates are ranked, so few need running:

- merge ``i`` and ``j`` first when their responsibilities agree most,
  :math:`J_{merge}(i, j) = r_i^\top r_j / (\lVert r_i \rVert \lVert r_j \rVert)`;
- split ``k`` first when the component fits its points worst, by the local
  Kullback-Leibler divergence between its points' empirical density
  :math:`f_k(x_n) = r_{nk} / N_k` and its normal density,
  :math:`J_{split}(k) = \sum_n f_k(x_n) \log \{ f_k(x_n) / N(x_n; \mu_k, \sigma_k^2 I) \}`.

The merged component takes the pair's weight, mean and pooled variance; the
split one's two halves take half its weight, its variance and means one standard
deviation either side of its mean along a random direction.
"""

from __future__ import annotations

import itertools

import numpy as np

from em.density import _log_kernel, _log_terms, _logsumexp
from em.init import ParamsStart

__all__ = ["apply_move", "merge", "ranked_moves"]


def merge(weights, means, variances, i: int, j: int) -> tuple[float, np.ndarray, float]:
    """Weight, mean (d,) and variance of components ``i`` and ``j`` merged (moments kept)."""
    w = weights[i] + weights[j]
    mean = (weights[i] * means[i] + weights[j] * means[j]) / w
    d = means.shape[1]
    spread = [
        weights[c] * (variances[c] + float(np.sum((means[c] - mean) ** 2)) / d) for c in (i, j)
    ]
    return float(w), mean, float(sum(spread) / w)


def ranked_moves(Z: np.ndarray, start: ParamsStart, limit: int) -> list[tuple[int, int, int]]:
    """The first ``limit`` moves ``(i, j, c)`` from ``start``, best-ranked first.

    Parameters
    ----------
    Z : ndarray of shape (n, d)
        Standardised data.
    start : ParamsStart
        An optimum EM reached, standardised units.
    limit : int

    Returns
    -------
    list of (int, int, int)
        Merge ``i`` and ``j``, split ``c``; empty with fewer than 3 components.
    """
    w, m, v = (np.asarray(a, dtype=np.float64) for a in start)
    k = w.shape[0]
    if k < 3:
        return []
    terms = _log_terms(Z, w[None], m[None], v[None])
    _, resp = _logsumexp(terms, lambda: _log_kernel(Z, m[None], v[None]))
    resp = resp[0]  # (K, n)
    norms = np.linalg.norm(resp, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        agree = (resp @ resp.T) / np.outer(norms, norms)
        share = resp / resp.sum(axis=1, keepdims=True)
        log_comp = terms[0] - np.log(w)[:, None]
        fit = np.where(share > 0, share * (np.log(share) - log_comp), 0.0).sum(axis=1)
    agree = np.nan_to_num(agree, nan=-np.inf)
    fit = np.nan_to_num(fit, nan=-np.inf)
    pairs = sorted(itertools.combinations(range(k), 2), key=lambda ij: -agree[ij])
    splits = [int(c) for c in np.argsort(-fit, kind="stable")]
    moves = [(i, j, c) for i, j in pairs for c in splits if c not in (i, j)]
    return moves[:limit]


def apply_move(start: ParamsStart, move: tuple[int, int, int], rng) -> ParamsStart:
    """Merge ``i`` and ``j`` into ``i``; split ``c`` into ``j`` and ``c`` along a random direction.

    Parameters
    ----------
    start : ParamsStart
        Standardised units.
    move : (int, int, int)
    rng : numpy.random.Generator
        Draws the split's direction.
    """
    w, m, v = (np.asarray(a, dtype=np.float64) for a in start)
    i, j, c = move
    weights, means, variances = w.copy(), m.copy(), v.copy()
    weights[i], means[i], variances[i] = merge(w, m, v, i, j)
    direction = rng.normal(size=m.shape[1])
    direction /= np.linalg.norm(direction)
    step = np.sqrt(v[c]) * direction
    weights[j] = weights[c] = w[c] / 2.0
    means[j], means[c] = m[c] + step, m[c] - step
    variances[j] = variances[c] = v[c]
    return ParamsStart(weights, means, variances)
