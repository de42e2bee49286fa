"""EM for the diag, tied and full structures: the steps, one run, and the restarts.

The spherical mixture has its own blocked kernels (:mod:`em.run`); the other
structures share this loop, on the same standardised data ``z = (x - shift) /
scale`` (every structure is equivariant under that map), with the log-densities
and the M-step of :mod:`em.covariance`.  A run records every iterate, stops by the
same rule as the spherical loop, and reports a covariance that turns singular
(its smallest eigenvalue relative to the data's covariance:
:func:`em.covariance.smallest_eigenvalues`) or a component that
empties as degeneracy, and a component on fewer than d + 1 points' worth of
responsibility or with a relative eigenvalue below
:data:`~em.defaults.SPURIOUS_VARIANCE` as spurious.

Starts are those of the spherical engine (:mod:`em.starts`), each component's
variance ``v_k`` becoming ``v_k I`` (diag, full) or the weighted mean of the
variances times ``I`` (tied); ``"auto"`` adds the spherical mixture's own
estimate (its default strategy) as a start: mclust's advice to start a richer
model from a simpler one's partition.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.linalg import LinAlgError

from em import defaults
from em._kernels import LogGaussian, block_moments, diag_design, row_blocks, scatter
from em._parallel import map_blocks, sweeping
from em.covariance import cholesky_factors, n_covariance_parameters, smallest_eigenvalues
from em.covariance import reference as covariance_reference
from em.defaults import EXP_FLOOR
from em.exceptions import InputError
from em.init import ParamsStart, RespStart
from em.loop import iterate
from em.prior import log_prior_structured
from em.result import EMTrace
from em.scaling import Scaling

__all__ = [
    "StructuredStart",
    "e_step_scaled",
    "estimate",
    "m_step_scaled",
    "offset",
    "run_structured",
    "to_structure",
    "units",
]


class StructuredStart(NamedTuple):
    """A start in standardised units: weights (K,), means (K, d), covariances."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


def to_structure(start: ParamsStart, covariance_type: str) -> StructuredStart:
    """A spherical start as a start of another structure (``v_k I``; tied: their mean)."""
    w, m, v = start
    d = m.shape[1]
    if covariance_type == "diag":
        cov = np.repeat(np.asarray(v, dtype=np.float64)[:, None], d, axis=1)
    elif covariance_type == "full":
        cov = np.asarray(v, dtype=np.float64)[:, None, None] * np.eye(d)
    else:
        cov = float(np.dot(w, v)) * np.eye(d)
    return StructuredStart(np.asarray(w, dtype=np.float64), np.asarray(m, dtype=np.float64), cov)


def e_step_scaled(Z, weights, means, covariances, covariance_type, blocks=None, design=None):
    """Responsibilities (n, K), the log-likelihood and the M-step's moments.

    The row blocks (:func:`em._kernels.row_blocks`) run on the shared thread pool;
    the responsibilities are the transpose of a C-ordered (K, n) array, so every
    reduction over components runs along contiguous rows, and the log-likelihood
    is the exactly rounded sum of the blocks' sums.  The moments the next M-step
    needs (:func:`em._kernels.block_moments`) are taken in the same sweep, while each
    block's responsibilities are in cache, and summed in block order.

    ``design`` (diag only) is :func:`em._kernels.diag_design` of ``Z``, kept by the caller.

    Raises
    ------
    numpy.linalg.LinAlgError
        When a covariance is not positive definite.
    """
    n = Z.shape[0]
    k = weights.shape[0]
    if blocks is None:
        blocks = row_blocks(n, k, Z.shape[1])
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    factors = cholesky_factors(covariances, covariance_type)
    kernel = LogGaussian(means, factors, covariance_type, offset=log_w)
    resp = np.empty((k, n))

    def block(b: int) -> float:
        rows = blocks[b]
        terms = kernel(Z[rows], None if design is None else design[rows])
        peak = terms.max(axis=0)
        terms -= peak
        np.maximum(terms, EXP_FLOOR, out=terms)  # keeps exp off its slow underflow path
        np.exp(terms, out=terms)
        total = terms.sum(axis=0)
        terms *= 1.0 / total
        resp[:, rows] = terms
        moments = block_moments(Z[rows], terms.T, covariance_type,
                                None if design is None else design[rows])  # fmt: skip
        return float(np.sum(np.log(total) + peak)), moments

    if len(blocks) == 1:  # small data: no sweep to set up, no sums of one part
        ll, moments = block(0)
        return resp.T, ll, moments
    with sweeping(len(blocks)):
        parts = map_blocks(block, len(blocks))
    moments = tuple(sum(p[1][i] for p in parts) for i in range(3))
    return resp.T, math.fsum(p[0] for p in parts), moments


def m_step_scaled(Z, resp, covariance_type, prior=None, blocks=None, design=None, moments=None):
    """Weights, means, covariances and counts from responsibilities (standardised units).

    With a prior (``ScaledPrior`` for diag, ``ScaledWishart`` for tied and full) the
    MAP update of :mod:`em.prior`; an empty component gives non-finite values.
    ``moments`` are the E-step's (:func:`e_step_scaled`), when it took them.
    """
    n, d = Z.shape
    k = resp.shape[1]
    if blocks is None:
        blocks = row_blocks(n, k, d)

    def moments_of(b: int) -> tuple:
        rows = blocks[b]
        return block_moments(Z[rows], resp[rows], covariance_type,
                             None if design is None else design[rows])  # fmt: skip

    if moments is None:
        with sweeping(len(blocks)):
            parts = map_blocks(moments_of, len(blocks))
        moments = tuple(sum(p[i] for p in parts) for i in range(3))
    counts, sums = moments[0], moments[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        if prior is None:
            weights = counts / n
            means = sums / counts[:, None]
        else:
            alpha, kappa0 = prior.alpha, prior.kappa0
            weights = (counts + alpha - 1.0) / (n + k * (alpha - 1.0))
            means = (sums + kappa0 * prior.m0) / (counts + kappa0)[:, None]
    finite = np.isfinite(means).all(axis=1)
    safe = np.where(finite[:, None], means, 0.0)
    cov = estimate(scatter(moments, safe, covariance_type, Z, resp), counts, safe, n,
                   covariance_type, prior)  # fmt: skip
    return weights, means, cov, counts


def estimate(scatter_, counts, means, n, covariance_type: str, prior=None) -> np.ndarray:
    r"""The M-step's covariances of a diag, tied or full mixture: the MLE or the MAP.

    MLE, from ``S_k = sum_i r_ik (z_i - mu_k)(z_i - mu_k)^T``: ``Sigma_k = S_k / N_k``
    (full), its diagonal (diag), ``sum_k S_k / n`` (tied).  MAP under the prior of
    :mod:`em.prior` (mclust's M-steps ``msvvip``, ``mseeep``, ``msvvvp``), with
    ``B_k = S_k + kappa_0 (mu_k - m_0)(mu_k - m_0)^T`` at the MAP means:

    .. math::

        \text{diag: } s_{kj} = \frac{2b + B_{k,jj}}{N_k + 2a + 3} \qquad
        \text{full: } \Sigma_k = \frac{\Psi + B_k}{N_k + \nu + d + 2} \qquad
        \text{tied: } \Sigma = \frac{\Psi + \sum_k B_k}{n + \nu + d + 1 + K}

    Parameters
    ----------
    scatter_ : ndarray
        ``S_k``: (K, d) diagonals for diag, their sum (d, d) for tied, (K, d, d) for full.
    counts : ndarray of shape (K,)
    means : ndarray of shape (K, d)
        The M-step's means (the MAP means with a prior).
    n : int
    covariance_type : {"diag", "tied", "full"}
    prior : ScaledPrior or ScaledWishart, optional
        In standardised units.

    Returns
    -------
    ndarray of the structure's shape
        Non-finite for an empty component (the caller checks ``counts``).
    """
    k, d = means.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        if prior is None:
            if covariance_type == "tied":
                return scatter_ / n
            shape = (-1, 1) if covariance_type == "diag" else (-1, 1, 1)
            return scatter_ / counts.reshape(shape)
        gap = means - prior.m0
        if covariance_type == "diag":
            total = scatter_ + prior.kappa0 * gap * gap
            return (2.0 * prior.b + total) / (counts + 2.0 * prior.a + 3.0)[:, None]
        if covariance_type == "tied":
            total = scatter_ + prior.kappa0 * gap.T @ gap
            return (prior.psi + total) / (n + prior.dof + d + 1.0 + k)
        total = scatter_ + prior.kappa0 * gap[:, :, None] * gap[:, None, :]
        return (prior.psi + total) / (counts + prior.dof + d + 2.0)[:, None, None]


def _degeneracy(counts, covariances, covariance_type, reference) -> tuple[tuple[int, ...], str]:
    """Empty components, or covariances that turned singular (relative to ``reference``)."""
    k = counts.shape[0]
    empty = np.flatnonzero(~(counts >= defaults.EMPTY_COUNT))
    if empty.size:
        j = int(empty[0])
        return tuple(int(i) for i in empty), f"component {j} emptied (N_{j} = {counts[j]:.3g})"
    if not np.isfinite(covariances).all():
        return tuple(range(k)), "a covariance is not finite"
    low = smallest_eigenvalues(covariances, covariance_type, k, reference)
    small = np.flatnonzero(~(low > defaults.COLLAPSE_VARIANCE))
    if small.size:
        j = int(small[0])
        which = (
            "the shared covariance" if covariance_type == "tied" else f"component {j}'s covariance"
        )
        return tuple(int(i) for i in small), (
            f"{which} turned singular (smallest eigenvalue {low[j]:.3g} times the data's "
            f"variance, N_{j} = {counts[j]:.3g})"
        )
    return (), ""


def _spurious(resp, weights, covariances, covariance_type, reference):
    n, d = resp.shape[0], (covariances.shape[-1])
    k = weights.shape[0]
    if k < 2:
        return (), ""
    counts = weights * n
    low = smallest_eigenvalues(covariances, covariance_type, k, reference)
    bad = np.flatnonzero((counts < d + 1) | (low < defaults.SPURIOUS_VARIANCE))
    if not bad.size:
        return (), ""
    j = int(bad[0])
    points = np.flatnonzero(resp[:, j] > 0.5)
    if not points.size:
        points = np.argsort(resp[:, j])[-3:][::-1]
    shown = ", ".join(str(int(i)) for i in points[:6]) + (", ..." if points.size > 6 else "")
    return tuple(int(i) for i in bad), (
        f"component {j} sits on {counts[j]:.3g} points' worth of responsibility (rows "
        f"{shown}), its smallest variance {low[j]:.3g} times the data's in that direction"
    )


def units(scaling: Scaling, covariance_type: str, n: int, d: int, k: int, with_prior: bool):
    """What the log-likelihood and the log prior gain in standardised units: ``(ll, prior)``."""
    log_s = float(np.log(scaling.scale))
    prior = (k * d + 2 * n_covariance_parameters(covariance_type, k, d)) * log_s
    return scaling.log_jacobian(n, d), (prior if with_prior else 0.0)


def run_structured(
    Z: np.ndarray,
    start,
    covariance_type: str,
    constants,
    tol: float,
    max_iter: int,
    scaling: Scaling,
    label: str,
    seed: int | None = None,
    reference: np.ndarray | None = None,
) -> EMTrace:
    """One EM run of a diag, tied or full mixture from ``start``; its trace in data units.

    Parameters
    ----------
    Z : ndarray of shape (n, d)
        Standardised data.
    start : StructuredStart or RespStart
        Standardised units.
    covariance_type : {"diag", "tied", "full"}
    constants : ScaledPrior, ScaledWishart or None
        The prior in standardised units (None for the MLE).
    tol, max_iter : float, int
        The stopping rule of :func:`em.fit`.
    scaling : Scaling
    label : str
        The kind of start.
    seed : int, optional
    reference : ndarray of shape (d, d) or Reference, optional
        The data's covariance matrix in standardised units (``PreparedData.covariance``),
        against which degeneracy and spurious components are judged; computed from
        ``Z`` when not given.
    """
    n, d = Z.shape
    if reference is None:
        centred = Z - Z.mean(axis=0)
        reference = centred.T @ centred / n
    reference = covariance_reference(reference)
    k = start.resp.shape[1] if isinstance(start, RespStart) else start.weights.shape[0]
    blocks = row_blocks(n, k, d)
    design = diag_design(Z) if covariance_type == "diag" else None

    if isinstance(start, RespStart):
        w, m, c, counts = m_step_scaled(Z, start.resp, covariance_type, constants, blocks, design)
        bad, why = _degeneracy(counts, c, covariance_type, reference)
        if bad:
            raise InputError(f"init: the responsibilities give an unusable start: {why}")
    else:
        w, m, c = start
    log_jac, prior_jac = units(scaling, covariance_type, n, d, k, constants is not None)
    offset = log_jac + prior_jac

    def objective(ll, w, m, c):
        if constants is None:
            return ll
        return ll + log_prior_structured(w, m, c, covariance_type, constants) - prior_jac

    resp, ll, moments = e_step_scaled(Z, w, m, c, covariance_type, blocks, design)

    def m_step(state):
        resp, moments = state
        w, m, c, counts = m_step_scaled(
            Z, resp, covariance_type, constants, blocks, design, moments
        )
        return (w, m, c), *_degeneracy(counts, c, covariance_type, reference)

    def e_step(params):
        try:
            resp, ll, moments = e_step_scaled(Z, *params, covariance_type, blocks, design)
        except LinAlgError:
            return None, None, tuple(range(k)), "a covariance turned singular (no Cholesky factor)"
        return ll - log_jac, (resp, moments), (), ""

    history, lls, objs, stop, (bad, why), (resp, _) = iterate(
        (w, m, c), ll - log_jac, (resp, moments), m_step, e_step, objective, tol, max_iter,
        offset, label,
    )  # fmt: skip
    w, m, c = history[-1]
    s = scaling.scale
    weights = np.array([h[0] for h in history])
    means = np.array([h[1] for h in history]) * s + scaling.shift
    covs = np.array([h[2] for h in history]) * s**2
    spurious, spurious_why = (), ""
    if not bad and constants is None:
        spurious, spurious_why = _spurious(resp, w, c, covariance_type, reference)
    return EMTrace.from_run(
        (weights, means, covs), covariance_type, lls, objs, stop, (bad, why),
        (spurious, spurious_why), label, seed,
    )  # fmt: skip


def offset(scaling: Scaling, covariance_type: str, n: int, d: int, k: int, with_prior: bool):
    """From the data's objective to the standardised one (``em.fit``'s tie rule)."""
    return sum(units(scaling, covariance_type, n, d, k, with_prior))
