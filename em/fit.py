"""The EM driver: restarts, the loop, the stopping rule and the trace.

The maths lives in :mod:`em.steps`; this module only starts, loops, stops,
records and chooses the best restart.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from em import defaults
from em._parallel import sweeping
from em._workspace import Workspace
from em.defaults import COLLAPSE_VARIANCE, EMPTY_COUNT
from em.exceptions import ConvergenceWarning, DegenerateComponentWarning, InputError, InputTypeError
from em.init import ParamsStart, RespStart, kmeans_start, random_start
from em.params import GMMParams
from em.prepared import prepare
from em.prior import GMMPrior, log_prior_terms
from em.result import EMResult, EMTrace
from em.scaling import Scaling
from em.steps import check_resp, m_step_kernel
from em.validation import (
    check_n_components,
    check_positive_int,
    check_rng,
    check_tol,
)

__all__ = ["choose_best", "fit"]

_INITS = ("kmeans++", "random")


def fit(
    X,
    n_components: int,
    *,
    init: str | GMMParams | np.ndarray = defaults.INIT,
    n_init: int | None = None,
    tol: float = defaults.TOL,
    max_iter: int = defaults.MAX_ITER,
    prior: GMMPrior | None = None,
    seed: int | np.random.Generator | None = None,
) -> EMResult:
    """Fit a spherical Gaussian mixture by EM: the MLE, or the MAP with a prior.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,), or PreparedData
        Data; a 1-D array is one feature.  It is centred and scaled internally
        (a :class:`~em.prepared.PreparedData` carries that work done once) and
        every result is reported in its own units.
    n_components : int
        Number of components K, 1 <= K <= n_samples.
    init : {"kmeans++", "random"}, GMMParams or array-like of shape (n_samples, n_components)
        ``"kmeans++"``: k-means with k-means++ seeding gives the means and
        weights, the data's variance every ``sigma_k^2``.  ``"random"``: K
        distinct data points as means, equal weights, the data's variance.
        A ``GMMParams`` starts from those parameters; a responsibility matrix
        starts with an M-step from it.
    n_init : int, optional
        Number of restarts; default 5 for a random start, 1 for a fixed one
        (which cannot be restarted).
    tol : float, default 1e-6
        Stop when ``obj_new - obj_old <= tol * |obj_new|``, where ``obj`` is the
        log-likelihood (plus the log prior with a prior) of the standardised data
        (centred, scaled to unit spread), so the rule does not depend on the
        data's units: ``X * c + b`` stops at the same iteration as ``X``.
    max_iter : int, default 1000
        Most M-steps per restart; reaching it warns with ConvergenceWarning.
    prior : GMMPrior, optional
        Fit the MAP under this prior (fields left as None are scaled to ``X``).
    seed : int, numpy.random.Generator or None
        Same seed, bit-identical result.

    Returns
    -------
    EMResult

    Raises
    ------
    ValueError, TypeError
        For invalid data or options; the message names the parameter.

    Warns
    -----
    ConvergenceWarning
        When the chosen restart stopped at ``max_iter``.
    DegenerateComponentWarning
        When a restart had a component collapse onto a point or empty.

    Examples
    --------
    >>> import numpy as np
    >>> import em
    >>> truth = em.GMMParams([0.5, 0.5], [[-4.0, 0.0], [4.0, 0.0]], [1.0, 1.0])
    >>> X, _ = truth.sample(500, seed=0)
    >>> result = em.fit(X, 2, seed=0)
    >>> result.converged
    True
    """
    data = prepare(X)
    X = data.values
    n, d = X.shape
    k = check_n_components(n_components, n)
    tol = check_tol(tol)
    max_iter = check_positive_int(max_iter, "max_iter")
    fixed = not isinstance(init, str)
    if not fixed and init not in _INITS:
        raise InputError(
            f"init: expected one of {_INITS}, a GMMParams or a responsibility matrix, got {init!r}"
        )
    if n_init is None:
        n_init = 1 if fixed else defaults.N_INIT
    n_init = check_positive_int(n_init, "n_init")
    if fixed and n_init > 1:
        raise InputError(
            f"n_init: a fixed init runs once, got n_init={n_init}; "
            "leave n_init unset or use init='kmeans++'"
        )
    if prior is not None and not isinstance(prior, GMMPrior):
        raise InputTypeError(f"prior: expected a GMMPrior or None, got {type(prior).__name__}")
    scaling = data.scaling
    resolved = None if prior is None else prior.resolve(data, k)
    constants = None if prior is None else resolved.scaled(scaling.shift, scaling.scale)
    start = _fixed_start(init, X, k, scaling) if fixed else None
    Za = data.design
    Z = Za[:, :d]
    z_sqnorm = Za[:, d]
    rng = check_rng(seed)
    ws = Workspace(Za, k)
    runs = []
    for _ in range(n_init):
        if fixed:
            label, begin = "given", start
        elif init == "kmeans++":
            label, begin = init, kmeans_start(Z, z_sqnorm, k, rng)
        else:
            label, begin = init, random_start(Z, k, rng)
        runs.append(_run(ws, begin, constants, tol, max_iter, scaling, label))
    offset = _units_offset(scaling, n, d, k, prior is not None)
    result = EMResult(tuple(runs), choose_best(runs, offset), tol, max_iter, resolved, n, d)
    _warn(result, offset)
    return result


#: Restarts whose final objectives differ by less than this, relative to the
#: standardised objective, reached the same optimum (up to rounding).
_SAME_OPTIMUM = 1e-10


def choose_best(runs: Sequence[EMTrace], offset: float = 0.0) -> int:
    """Index of the restart with the highest final objective among the regular ones.

    A degenerate restart is chosen only when every restart degenerated (mclust's
    rule).  Restarts that reached the same optimum (within ``1e-10`` of the
    standardised objective ``objective + offset``) are tied, and the first of
    them is chosen, so the choice -- and with it the labels -- does not depend
    on rounding, nor on the data's units.
    """
    regular = [i for i, r in enumerate(runs) if not r.degenerate] or list(range(len(runs)))
    top = max(runs[i].objective[-1] for i in regular)
    margin = _SAME_OPTIMUM * abs(top + offset)
    return next(i for i in regular if runs[i].objective[-1] >= top - margin)


def _fixed_start(init, X, k, scaling):
    n, d = X.shape
    if isinstance(init, GMMParams):
        if init.n_components != k or init.n_features != d:
            raise InputError(
                f"init: expected parameters with {k} components and {d} features, "
                f"got {init.n_components} and {init.n_features}"
            )
        return ParamsStart(*scaling.to_scaled(init.weights, init.means, init.variances))
    if isinstance(init, (np.ndarray, Sequence)):
        return RespStart(check_resp(init, n, k))
    raise InputError(
        f"init: expected one of {_INITS}, a GMMParams or a responsibility matrix "
        f"of shape ({n}, {k}), got {init!r}"
    )


def _degeneracy(counts, variances) -> tuple[tuple[int, ...], str]:
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


def _units_offset(scaling: Scaling, n: int, d: int, k: int, with_prior: bool) -> float:
    """What the objective gains in the standardised units: ``n d log s`` (+ the prior's)."""
    offset = scaling.log_jacobian(n, d)
    if with_prior:
        offset += k * (d + 2) * float(np.log(scaling.scale))
    return offset


def _run(ws: Workspace, start, constants, tol, max_iter, scaling, label) -> EMTrace:
    n, d, k = ws.n_samples, ws.n_features, ws.n_components
    log_jac = scaling.log_jacobian(n, d)
    prior_jac = k * (d + 2) * np.log(scaling.scale)
    # The stopping rule is relative to the objective of the standardised data, so
    # that, like EM itself, it does not depend on the data's units.
    offset = _units_offset(scaling, n, d, k, constants is not None)

    def objective(ll, w, m, v):
        if constants is None:
            return ll
        return ll + log_prior_terms(w, m, v, constants) - prior_jac

    with sweeping(len(ws.slices)):
        if isinstance(start, RespStart):
            ws.set_resp(start.resp)
            step = m_step_kernel(ws, constants)
            bad, why = _degeneracy(step.counts, step.variances)
            if bad:
                raise InputError(f"init: the responsibilities give an unusable start: {why}")
            w, m, v = step.weights, step.means, step.variances
        else:
            w, m, v = start
            ws.distances(m, v)
        history = [(w, m, v)]
        ll, moments = ws.responsibilities(w, v)
        lls = [ll - log_jac]
        objs = [objective(lls[0], w, m, v)]
        stop, bad, why = "max_iter", (), ""
        for _ in range(max_iter):
            step = m_step_kernel(ws, constants, moments)
            bad, why = _degeneracy(step.counts, step.variances)
            if bad:
                stop = "degenerate"
                why = f"restart ({label}) at iteration {len(history)}: {why}"
                break
            w, m, v = step.weights, step.means, step.variances
            ll, moments = ws.responsibilities(w, v)
            ll -= log_jac
            if not np.isfinite(ll):
                raise FloatingPointError(
                    f"EM produced a non-finite log-likelihood ({ll}); please report this"
                )
            history.append((w, m, v))
            lls.append(ll)
            objs.append(objective(ll, w, m, v))
            if objs[-1] - objs[-2] <= tol * abs(objs[-1] + offset):
                stop = "tol"
                break
    weights, means, variances = scaling.from_scaled(
        *(np.array([h[i] for h in history]) for i in range(3))
    )
    return EMTrace(
        params=GMMParams(weights[-1], means[-1], variances[-1]),
        log_likelihood=np.array(lls),
        objective=np.array(objs),
        weights=weights,
        means=means,
        variances=variances,
        n_iter=len(history) - 1,
        converged=stop == "tol",
        stop_reason=stop,
        degenerate_components=bad,
        degeneracy=why,
        init=label,
    )


def _warn(result: EMResult, offset: float) -> None:
    degenerate = [r for r in result.restarts if r.degenerate]
    if degenerate:
        n_all = len(result.restarts)
        if result.degenerate:
            advice = (
                "every restart degenerated, so the result is degenerate; use a prior "
                "(prior=em.GMMPrior() in Python, --prior with gmm-pp em) or fewer components"
            )
        else:
            advice = "those restarts were set aside and a regular one was chosen"
        more = f" (and {len(degenerate) - 1} more)" if len(degenerate) > 1 else ""
        warnings.warn(
            f"{len(degenerate)} of {n_all} EM restarts degenerated, e.g. "
            f"{degenerate[0].degeneracy}{more}; {advice}",
            DegenerateComponentWarning,
            stacklevel=3,
        )
    if result.stop_reason == "max_iter":
        obj = result.trace.objective
        change = (obj[-1] - obj[-2]) / abs(obj[-1] + offset) if obj.size > 1 else float("nan")
        warnings.warn(
            f"EM did not converge in max_iter={result.max_iter} iterations (last relative "
            f"change {change:.3g} > tol={result.tol:g}); increase max_iter, loosen tol "
            "or try another init",
            ConvergenceWarning,
            stacklevel=3,
        )
