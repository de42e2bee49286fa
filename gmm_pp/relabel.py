"""Label switching: relabel every posterior draw to a reference labelling.

For each draw, the permutation of its components that best matches the
reference means (Hungarian algorithm on squared distances, scipy's
``linear_sum_assignment``) is applied to its weights, means and covariances
together (a tied covariance, shared by all components, is left as it is).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from em.covariance import covariance_shape
from gmm_pp.errors import InputError

__all__ = ["Relabelled", "align_params", "relabel_draws"]


class Relabelled(NamedTuple):
    """Draws in the reference labelling.

    Attributes
    ----------
    weights : ndarray of shape (..., K)
    means : ndarray of shape (..., K, d)
    covariances : ndarray
        Of shape (..., K) (spherical: the variances), (..., K, d), (..., d, d) or (..., K, d, d).
    permutations : ndarray of shape (..., K)
        ``permutations[..., j]`` is the reference label given to the draw's
        component ``j``.
    share_relabelled : float
        Fraction of draws whose permutation is not the identity.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    permutations: np.ndarray
    share_relabelled: float


#: Up to this K every permutation is tried at once for all draws (K! <= 720);
#: beyond it, the Hungarian algorithm runs draw by draw.
_ENUMERATE_UP_TO = 6


def _best_by_enumeration(means: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Best permutation of every draw, shape (S, K), by trying all K! of them."""
    k = reference.shape[0]
    perms = np.array(list(itertools.permutations(range(k))), dtype=np.intp)  # (P, K)
    dist = np.einsum("sjrd->sjr", (means[:, :, None, :] - reference[None, None]) ** 2)
    cost = dist[:, np.arange(k)[None, :], perms].sum(axis=-1)  # (S, P)
    return perms[np.argmin(cost, axis=1)]


def best_permutation(means: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Reference label of each component, shape (K,), minimising total squared distance."""
    cost = np.einsum("jkd->jk", (means[:, None, :] - reference[None, :, :]) ** 2)
    rows, cols = linear_sum_assignment(cost)
    perm = np.empty(len(rows), dtype=np.intp)
    perm[rows] = cols
    return perm


def relabel_draws(
    weights, means, covariances, reference_means, covariance_type: str = "spherical"
) -> Relabelled:
    """Relabel draws to the reference means.

    Parameters
    ----------
    weights : array-like of shape (..., K)
    means : array-like of shape (..., K, d)
    covariances : array-like
        The variances (..., K) for spherical; (..., K, d) diag, (..., d, d) tied,
        (..., K, d, d) full.
    reference_means : array-like of shape (K, d)
    covariance_type : {"spherical", "diag", "tied", "full"}, default "spherical"

    Returns
    -------
    Relabelled
    """
    w = np.asarray(weights, dtype=np.float64)
    m = np.asarray(means, dtype=np.float64)
    v = np.asarray(covariances, dtype=np.float64)
    ref = np.asarray(reference_means, dtype=np.float64)
    k, d = ref.shape
    core = covariance_shape(covariance_type, k, d)
    if m.shape[-2:] != (k, d) or w.shape[-1] != k or v.shape[v.ndim - len(core) :] != core:
        raise InputError(
            f"draws: expected weights (..., {k}), means (..., {k}, {d}) and {covariance_type} "
            f"covariances (..., {', '.join(map(str, core))}) to match the reference, got "
            f"{w.shape}, {m.shape}, {v.shape}"
        )
    batch = w.shape[:-1]
    wf, mf, vf = w.reshape(-1, k), m.reshape(-1, k, d), v.reshape(-1, *core)
    identity = np.arange(k)
    if k <= _ENUMERATE_UP_TO:
        perms = _best_by_enumeration(mf, ref)
    else:
        perms = np.array([best_permutation(mf[s], ref) for s in range(wf.shape[0])])
    perms = perms.reshape(-1, k)
    out_w, out_m, out_v = np.empty_like(wf), np.empty_like(mf), np.empty_like(vf)
    np.put_along_axis(out_w, perms, wf, axis=1)
    if covariance_type == "tied":
        out_v[...] = vf
    else:
        np.put_along_axis(out_v, perms.reshape(*perms.shape, *[1] * (len(core) - 1)), vf, axis=1)
    np.put_along_axis(out_m, perms[:, :, None], mf, axis=1)
    moved = float(np.mean(np.any(perms != identity, axis=1))) if perms.size else 0.0
    return Relabelled(
        out_w.reshape(w.shape),
        out_m.reshape(m.shape),
        out_v.reshape(v.shape),
        perms.reshape(*batch, k),
        moved,
    )


def align_params(params, reference):
    """Reorder a ``GMMParams`` to the labelling of ``reference`` (another ``GMMParams``)."""
    perm = best_permutation(params.means, reference.means)
    order = np.argsort(perm)  # order[r] = the component that takes reference label r
    return params.permute(order)
