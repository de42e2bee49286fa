"""EM's loop and its stopping rule: one home for every covariance structure's run.

The steps are the caller's (:mod:`em.run` for the spherical mixture's blocked
kernels, :mod:`em.structured` for the others); this module alternates them, records
every iterate and stops by the unit-free rule, at ``max_iter`` or on degeneracy.
"""

from __future__ import annotations

import numpy as np

__all__ = ["iterate"]


def iterate(params, ll, state, m_step, e_step, objective, tol, max_iter, offset, label):
    """EM's loop and stopping rule, for every structure's steps.

    Parameters
    ----------
    params : tuple
        The start (standardised units), whose E-step gave ``ll`` and ``state``.
    ll : float
        Its log-likelihood in the data's units.
    state
        What the M-step needs from the E-step (responsibilities, moments).
    m_step : callable
        ``m_step(state) -> (params, degenerate components, why)``.
    e_step : callable
        ``e_step(params) -> (ll, state, degenerate components, why)``.
    objective : callable
        ``objective(ll, *params)``: the log-likelihood, plus the log prior for MAP-EM.
    tol, max_iter : float, int
    offset : float
        From the data's objective to the standardised one: the rule ``obj_new -
        obj_old <= tol |obj_new + offset|`` does not depend on the data's units.
    label : str
        The kind of start, for the degeneracy's message.

    Returns
    -------
    history, lls, objs : list
        Every iterate, its log-likelihood and objective.
    stop : str
        ``"tol"``, ``"max_iter"`` or ``"degenerate"``.
    degenerate : tuple
        (components, why), empty when regular.
    state
        The last regular iterate's E-step state.
    """
    history, lls, objs = [params], [ll], [objective(ll, *params)]
    stop, bad, why = "max_iter", (), ""
    for _ in range(max_iter):
        new, bad, why = m_step(state)
        if not bad:
            ll, new_state, bad, why = e_step(new)
        if bad:
            stop = "degenerate"
            why = f"restart ({label}) at iteration {len(history)}: {why}"
            break
        if not np.isfinite(ll):
            raise FloatingPointError(
                f"EM produced a non-finite log-likelihood ({ll}); please report this"
            )
        params, state = new, new_state
        history.append(params)
        lls.append(ll)
        objs.append(objective(ll, *params))
        if objs[-1] - objs[-2] <= tol * abs(objs[-1] + offset):
            stop = "tol"
            break
    return history, lls, objs, stop, (bad, why), state
