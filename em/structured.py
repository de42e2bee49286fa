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

from typing import NamedTuple

import numpy as np
from scipy.linalg import LinAlgError

from em import defaults
from em.covariance import (
    cholesky_factors,
    estimate,
    log_gaussian,
    n_covariance_parameters,
    smallest_eigenvalues,
)
from em.exceptions import InputError
from em.init import ParamsStart, RespStart
from em.params import GMMParams
from em.prior import log_prior_structured
from em.result import EMTrace
from em.scaling import Scaling

__all__ = [
    "StructuredStart",
    "data_covariance",
    "e_step_scaled",
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


def e_step_scaled(Z, weights, means, covariances, covariance_type):
    """Responsibilities (n, K) and the log-likelihood of standardised data.

    The responsibilities are the transpose of a C-ordered (K, n) array: every
    reduction over the components then runs along contiguous rows.

    Raises
    ------
    numpy.linalg.LinAlgError
        When a covariance is not positive definite.
    """
    factors = cholesky_factors(covariances, covariance_type)
    terms = np.ascontiguousarray(log_gaussian(Z, means, factors, covariance_type).T)
    with np.errstate(divide="ignore"):
        terms += np.log(weights)[:, None]
    peak = terms.max(axis=0)
    terms -= peak
    with np.errstate(under="ignore"):
        np.exp(terms, out=terms)
    total = terms.sum(axis=0)
    terms /= total
    return terms.T, float(np.sum(np.log(total) + peak))


def m_step_scaled(Z, resp, covariance_type, prior=None):
    """Weights, means, covariances and counts from responsibilities (standardised units).

    With a prior (``ScaledPrior`` for diag, ``ScaledWishart`` for tied and full) the
    MAP update of :mod:`em.prior`; an empty component gives non-finite values.
    """
    n = Z.shape[0]
    counts = resp.sum(axis=0)
    sums = resp.T @ Z
    k = counts.shape[0]
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
    cov = estimate(Z, resp, counts, safe, covariance_type, prior)
    return weights, means, cov, counts


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


def data_covariance(Z: np.ndarray) -> np.ndarray:
    """The covariance matrix of standardised data (divisor n), shape (d, d)."""
    centred = Z - Z.mean(axis=0)
    return centred.T @ centred / Z.shape[0]


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
    reference : ndarray of shape (d, d), optional
        The data's covariance matrix in standardised units (divisor n), against which
        degeneracy and spurious components are judged; computed when not given.
    """
    n, d = Z.shape
    if reference is None:
        reference = data_covariance(Z)

    if isinstance(start, RespStart):
        w, m, c, counts = m_step_scaled(Z, start.resp, covariance_type, constants)
        bad, why = _degeneracy(counts, c, covariance_type, reference)
        if bad:
            raise InputError(f"init: the responsibilities give an unusable start: {why}")
    else:
        w, m, c = start
    k = w.shape[0]
    log_jac, prior_jac = units(scaling, covariance_type, n, d, k, constants is not None)
    offset = log_jac + prior_jac

    def objective(ll, w, m, c):
        if constants is None:
            return ll
        return ll + log_prior_structured(w, m, c, covariance_type, constants) - prior_jac

    resp, ll = e_step_scaled(Z, w, m, c, covariance_type)
    history = [(w, m, c)]
    lls = [ll - log_jac]
    objs = [objective(lls[0], w, m, c)]
    stop, bad, why = "max_iter", (), ""
    for _ in range(max_iter):
        w_new, m_new, c_new, counts = m_step_scaled(Z, resp, covariance_type, constants)
        bad, why = _degeneracy(counts, c_new, covariance_type, reference)
        if not bad:
            try:
                resp_new, ll = e_step_scaled(Z, w_new, m_new, c_new, covariance_type)
            except LinAlgError:
                bad, why = tuple(range(k)), "a covariance turned singular (no Cholesky factor)"
        if bad:
            stop = "degenerate"
            why = f"restart ({label}) at iteration {len(history)}: {why}"
            break
        w, m, c, resp = w_new, m_new, c_new, resp_new
        ll -= log_jac
        if not np.isfinite(ll):
            raise FloatingPointError(
                f"EM produced a non-finite log-likelihood ({ll}); please report this"
            )
        history.append((w, m, c))
        lls.append(ll)
        objs.append(objective(ll, w, m, c))
        if objs[-1] - objs[-2] <= tol * abs(objs[-1] + offset):
            stop = "tol"
            break
    s = scaling.scale
    weights = np.array([h[0] for h in history])
    means = np.array([h[1] for h in history]) * s + scaling.shift
    covs = np.array([h[2] for h in history]) * s**2
    spurious, spurious_why = (), ""
    if not bad and constants is None:
        spurious, spurious_why = _spurious(resp, w, c, covariance_type, reference)
    return EMTrace(
        params=GMMParams(weights[-1], means[-1], covs[-1], covariance_type),
        log_likelihood=np.array(lls),
        objective=np.array(objs),
        weights=weights,
        means=means,
        covariances=covs,
        n_iter=len(history) - 1,
        converged=stop == "tol",
        stop_reason=stop,
        degenerate_components=bad,
        degeneracy=why,
        init=label,
        seed=seed,
        spurious_components=spurious,
        spurious_reason=spurious_why,
    )


def offset(scaling: Scaling, covariance_type: str, n: int, d: int, k: int, with_prior: bool):
    """From the data's objective to the standardised one (``em.fit``'s tie rule)."""
    return sum(units(scaling, covariance_type, n, d, k, with_prior))
