"""Where EM starts: one function per kind of start, and the default strategy's plan.

Every start is made in standardised units from its own generator, seeded by an
integer recorded in the restart's trace, so any start can be made again
(:func:`em.initial_params`).  The kinds (``init=`` of :func:`em.fit`):

``"kmeans++"``
    k-means++ seeding, Lloyd's k-means to convergence; the clusters' shares as
    weights, their centres as means, the data's variance for every component.
``"random"``
    K distinct data points as means, equal weights, the data's variance.
``"random-resp"``
    Random responsibilities (uniform, normalised per row), then an M-step
    (scikit-learn's ``"random"``).
``"hc"``
    mclust's default: model-based agglomerative hierarchical clustering for the
    spherical model (:mod:`em.hc`) on a subsample of at most
    :data:`~em.defaults.HC_MAX_POINTS` rows, cut at K clusters; one M-step from
    that partition (each cluster's share, mean and variance).
``"emEM"``
    Many short EM runs from random starts, the best continued to convergence
    (Biernacki, Celeux and Govaert, 2003).
``"auto"`` (the default)
    The default strategy (:mod:`em.strategy`): ``"hc"`` and k-means++ starts, a
    screen of many random starts, then split-and-merge moves, within a budget.
"""

from __future__ import annotations

import numpy as np

from em import defaults
from em.exceptions import InputError
from em.hc import hierarchical_partition
from em.init import ParamsStart, RespStart, kmeans_start, random_start

__all__ = ["KINDS", "check_kind", "hc_start", "make_start", "random_resp_start"]

#: The kinds of start ``em.fit`` knows, besides a given GMMParams or responsibilities.
KINDS = ("auto", "kmeans++", "random", "random-resp", "hc", "emEM")


def check_kind(init: str) -> str:
    """``init`` if it is one of :data:`KINDS`, else an InputError naming them."""
    if init not in KINDS:
        raise InputError(
            f"init: expected one of {KINDS}, a GMMParams or a responsibility matrix, got {init!r}"
        )
    return init


def random_resp_start(n_samples: int, n_components: int, rng: np.random.Generator) -> RespStart:
    """Uniform random responsibilities, each row normalised, shape (n, K)."""
    resp = rng.uniform(size=(n_samples, n_components))
    resp /= resp.sum(axis=1, keepdims=True)
    return RespStart(resp)


def hc_start(Z: np.ndarray, n_components: int, rng: np.random.Generator) -> ParamsStart:
    """Hierarchical clustering of (a subsample of) ``Z``, then one M-step.

    Parameters
    ----------
    Z : ndarray of shape (n, d)
        Standardised data (unit variance per coordinate).
    n_components : int
    rng : numpy.random.Generator
        Draws the subsample when ``n > HC_MAX_POINTS``.

    Returns
    -------
    ParamsStart
        Each cluster's share, mean and variance ``W_k / (d n_k)``, the variance
        at least ``HC_MIN_VARIANCE`` of the data's (a singleton has none).
    """
    n, d = Z.shape
    rows = np.arange(n)
    if n > defaults.HC_MAX_POINTS:
        rows = np.sort(rng.choice(n, size=defaults.HC_MAX_POINTS, replace=False))
    sub = Z[rows]
    labels = hierarchical_partition(sub, n_components)
    counts = np.bincount(labels, minlength=n_components).astype(np.float64)
    means = np.zeros((n_components, d))
    for c in range(d):
        means[:, c] = np.bincount(labels, weights=sub[:, c], minlength=n_components) / counts
    resid = sub - means[labels]
    scatter = np.bincount(
        labels, weights=np.einsum("nd,nd->n", resid, resid), minlength=n_components
    )
    variances = np.maximum(scatter / (d * counts), defaults.HC_MIN_VARIANCE)
    return ParamsStart(counts / counts.sum(), means, variances)


def make_start(kind: str, Z: np.ndarray, z_sqnorm: np.ndarray, n_components: int, rng):
    """The start of one restart of ``kind`` (not ``"emEM"``, which runs EM itself).

    Parameters
    ----------
    kind : str
    Z : ndarray of shape (n, d)
        Standardised data.
    z_sqnorm : ndarray of shape (n,)
        ``||z_i||^2``.
    n_components : int
    rng : numpy.random.Generator
        The restart's own generator.

    Returns
    -------
    ParamsStart or RespStart
    """
    if kind == "kmeans++":
        return kmeans_start(Z, z_sqnorm, n_components, rng)
    if kind == "random":
        return random_start(Z, n_components, rng)
    if kind == "random-resp":
        return random_resp_start(Z.shape[0], n_components, rng)
    if kind == "hc":
        return hc_start(Z, n_components, rng)
    raise InputError(f"init: no start of kind {kind!r} here; expected one of {KINDS[1:5]}")
