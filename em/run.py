"""One EM run: the loop, the stopping rule, degeneracy, spurious components and the trace.

The maths lives in :mod:`em.steps`; :func:`em.fit` decides where the runs start
and which one is the estimate.
"""

from __future__ import annotations

import numpy as np

from em._parallel import sweeping
from em._workspace import Workspace
from em.defaults import COLLAPSE_VARIANCE, EMPTY_COUNT, SPURIOUS_VARIANCE
from em.exceptions import InputError
from em.init import RespStart
from em.loop import iterate
from em.prior import log_prior_terms
from em.result import EMTrace
from em.scaling import Scaling
from em.steps import m_step_kernel

__all__ = ["degeneracy", "run_em", "spurious_components", "units_offset"]


def degeneracy(counts, variances) -> tuple[tuple[int, ...], str]:
    """Empty or collapsed components (``EMPTY_COUNT``, ``COLLAPSE_VARIANCE``), and what happened."""
    empty = np.flatnonzero(~(counts >= EMPTY_COUNT))
    if empty.size:
        j = int(empty[0])
        return tuple(int(i) for i in empty), f"component {j} emptied (N_{j} = {counts[j]:.3g})"
    small = np.flatnonzero(~(variances > COLLAPSE_VARIANCE))
    if small.size:
        j = int(small[0])
        return tuple(int(i) for i in small), (
            f"component {j} collapsed onto a point (variance {variances[j]:.3g} times "
            f"the data's, N_{j} = {counts[j]:.3g})"
        )
    return (), ""


def units_offset(scaling: Scaling, n: int, d: int, k: int, with_prior: bool) -> float:
    """What the objective gains in the standardised units: ``n d log s`` (+ the prior's)."""
    offset = scaling.log_jacobian(n, d)
    if with_prior:
        offset += k * (d + 2) * float(np.log(scaling.scale))
    return offset


def spurious_components(ws: Workspace, weights, variances) -> tuple[tuple[int, ...], str]:
    """Spurious components of an end point (scaled units), and on which points they sit.

    Fewer than d + 1 points' worth of responsibility, or a variance below
    ``SPURIOUS_VARIANCE`` of the data's (1 in standardised units), with two or
    more components (one component is the data's own).  Only maximum-likelihood
    end points are checked: under a prior the variances are bounded, the remedy
    for spurious maxima.
    """
    n, d = ws.n_samples, ws.n_features
    if weights.shape[0] < 2:
        return (), ""
    counts = weights * n
    bad = np.flatnonzero((counts < d + 1) | (variances < SPURIOUS_VARIANCE))
    if not bad.size:
        return (), ""
    j = int(bad[0])
    resp = ws.resp()[:, j]  # the responsibilities of the last E-step: at the end point
    points = np.flatnonzero(resp > 0.5)
    if not points.size:
        points = np.argsort(resp)[-3:][::-1]
    shown = ", ".join(str(int(i)) for i in points[:6]) + (", ..." if points.size > 6 else "")
    why = (
        f"component {j} sits on {counts[j]:.3g} points' worth of responsibility (rows "
        f"{shown}), its variance {variances[j]:.3g} times the data's"
    )
    return tuple(int(i) for i in bad), why


def run_em(ws: Workspace, start, constants, tol, max_iter, scaling, label, seed=None) -> EMTrace:
    """One EM run from ``start`` to the stopping rule, ``max_iter`` or degeneracy; its trace.

    Parameters
    ----------
    ws : Workspace
        The standardised data and buffers.
    start : ParamsStart or RespStart
        Standardised units.
    constants : ScaledPrior or None
        A MAP-EM fit's prior, standardised units.
    tol : float
    max_iter : int
    scaling : Scaling
        Back to the data's units, in which the trace is recorded.
    label : str
        The kind of start.
    seed : int, optional
        The start's seed, recorded.
    """
    n, d, k = ws.n_samples, ws.n_features, ws.n_components
    log_jac = scaling.log_jacobian(n, d)
    prior_jac = k * (d + 2) * np.log(scaling.scale)
    # The stopping rule is relative to the objective of the standardised data, so
    # that, like EM itself, it does not depend on the data's units.
    offset = units_offset(scaling, n, d, k, constants is not None)

    def objective(ll, w, m, v):
        if constants is None:
            return ll
        return ll + log_prior_terms(w, m, v, constants) - prior_jac

    with sweeping(len(ws.slices)):
        if isinstance(start, RespStart):
            ws.set_resp(start.resp)
            step = m_step_kernel(ws, constants)
            bad, why = degeneracy(step.counts, step.variances)
            if bad:
                raise InputError(f"init: the responsibilities give an unusable start: {why}")
            w, m, v = step.weights, step.means, step.variances
        else:
            w, m, v = start
            ws.distances(m, v)
        ll, moments = ws.responsibilities(w, v)

        def m_step(moments):
            step = m_step_kernel(ws, constants, moments)
            bad, why = degeneracy(step.counts, step.variances)
            return (step.weights, step.means, step.variances), bad, why

        def e_step(params):
            ll, moments = ws.responsibilities(params[0], params[2])
            return ll - log_jac, moments, (), ""

        history, lls, objs, stop, (bad, why), _ = iterate(
            (w, m, v), ll - log_jac, moments, m_step, e_step, objective, tol, max_iter, offset,
            label,
        )  # fmt: skip
    weights, means, variances = scaling.from_scaled(
        *(np.array([h[i] for h in history]) for i in range(3))
    )
    spurious, spurious_why = (), ""
    if not bad and constants is None:
        end_w, _, end_v = history[-1]
        spurious, spurious_why = spurious_components(ws, np.asarray(end_w), np.asarray(end_v))
    return EMTrace.from_run(
        (weights, means, variances), "spherical", lls, objs, stop, (bad, why),
        (spurious, spurious_why), label, seed,
    )  # fmt: skip
