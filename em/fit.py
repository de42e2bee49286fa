"""The EM driver: restarts, the loop, the stopping rule and the trace.

The maths lives in :mod:`em.steps`; this module only starts, loops, stops,
records and chooses the best restart.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import numpy as np

from em import defaults
from em._workspace import Workspace
from em.covariance import check_covariance_type, check_structure_data
from em.covariance import reference as covariance_reference
from em.exceptions import (
    ConvergenceWarning,
    InputError,
    InputTypeError,
)
from em.init import ParamsStart, RespStart
from em.params import GMMParams
from em.prepared import prepare
from em.prior import GMMPrior
from em.result import EMResult, EMTrace
from em.starts import KINDS, check_kind
from em.steps import check_resp
from em.strategy import Problem, auto, kind_start, new_seed
from em.structured import StructuredStart, run_structured, to_structure
from em.structured import offset as structured_offset
from em.validation import (
    check_n_components,
    check_positive_int,
    check_rng,
    check_tol,
)

__all__ = ["choose_best", "fit"]


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
    select: str = "regular",
    covariance: str = defaults.COVARIANCE,
) -> EMResult:
    """Fit a Gaussian mixture by EM: the MLE, or the MAP with a prior.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,), or PreparedData
        Data; a 1-D array is one feature.  It is centred and scaled internally
        (a :class:`~em.prepared.PreparedData` carries that work done once) and
        every result is reported in its own units.
    n_components : int
        Number of components K, 1 <= K <= n_samples.
    init : str, GMMParams or array-like of shape (n_samples, n_components)
        The kind of start (see :mod:`em.starts`): ``"auto"`` (the default
        strategy of :mod:`em.strategy`: a hierarchical start, k-means++ starts,
        a batched screen of random starts run a few iterations whose best new
        ends are run in full, and split-and-merge moves from the best optimum,
        within a budget that shrinks as ``n K`` grows), ``"kmeans++"``,
        ``"random"``, ``"random-resp"``, ``"hc"`` or ``"emEM"``.
        A ``GMMParams`` starts from those parameters; a responsibility matrix
        starts with an M-step from it.
    n_init : int, optional
        Number of restarts of one kind (default 5); with ``"auto"``, the number
        of its k-means++ starts; 1 for a fixed start (which cannot be restarted).
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
        Same seed, bit-identical result.  Each restart draws its own seed from it
        (recorded in its trace).
    select : {"regular", "best"}, default "regular"
        Which restart is the estimate: the highest objective among those with no
        degenerate and no spurious component (mclust's rule for degenerate ones,
        extended), or the highest objective of all that did not degenerate.
        Both are in the result (``best``, ``raw_best``).
    covariance : {"spherical", "diag", "tied", "full"}, default "spherical"
        The covariance structure (scikit-learn's ``covariance_type``; mclust's VII,
        VVI, EEE, VVV; see :mod:`em.covariance`).  The spherical model has its own
        blocked kernels; the others run :mod:`em.structured`, whose ``"auto"`` also
        starts from the spherical model's estimate.

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
    SpuriousComponentWarning
        When the estimate has a spurious component, or a higher optimum with one
        was set aside.

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
    if n_init is not None:
        n_init = check_positive_int(n_init, "n_init")
    if fixed and n_init is not None and n_init > 1:
        raise InputError(
            f"n_init: a fixed init runs once, got n_init={n_init}; "
            "leave n_init unset or use init='auto'"
        )
    if not fixed:
        check_kind(init)
    if select not in ("regular", "best"):
        raise InputError(f"select: expected 'regular' or 'best', got {select!r}")
    if prior is not None and not isinstance(prior, GMMPrior):
        raise InputTypeError(f"prior: expected a GMMPrior or None, got {type(prior).__name__}")
    covariance = check_covariance_type(covariance, "covariance")
    given = isinstance(init, GMMParams)
    if (
        d == 1
        and covariance in ("diag", "full")
        and (not given or init.covariance_type == covariance)
        and (prior is None or prior.resolve(data, k).same_as_spherical(covariance, d))
    ):
        # In one dimension diag and full are the spherical model (mclust's V), and so are
        # their default priors: fitted once, by the spherical engine, in their shapes.
        start = init.as_structure("spherical") if given else init
        result = fit(data, k, init=start, n_init=n_init, tol=tol, max_iter=max_iter,
                     prior=prior, seed=seed, select=select)  # fmt: skip
        return _in_structure(result, covariance)
    if covariance != "spherical":
        check_structure_data(n, d, covariance, prior is not None)
        return _fit_structured(
            data, k, covariance, init, n_init, tol, max_iter, prior, seed, select
        )
    scaling = data.scaling
    resolved = None if prior is None else prior.resolve(data, k)
    constants = None if prior is None else resolved.scaled(scaling.shift, scaling.scale)
    rng = check_rng(seed)
    d_ = data.design
    problem = Problem(Workspace(d_, k), d_[:, :d], d_[:, d], k, constants, tol, max_iter, scaling)
    screened = None
    if fixed:
        runs = [problem.run(_fixed_start(init, X, k, scaling), "given")]
    elif init == "auto":
        n_kmeans = defaults.AUTO_KMEANS if n_init is None else n_init
        runs, screened = auto(problem, rng, n_kmeans)
    else:
        runs = []
        for _ in range(defaults.N_INIT if n_init is None else n_init):
            restart_seed = new_seed(rng)
            begin = kind_start(problem, init, restart_seed)
            runs.append(problem.run(begin, init, restart_seed))
    offset = problem.offset
    best, raw_best = choose_best(runs, offset, select=select), choose_best(runs, offset, "best")
    result = EMResult(tuple(runs), best, tol, max_iter, resolved, n, d, raw_best, screened)
    _warn(result, offset)
    return result


#: Restarts whose final objectives differ by less than this, relative to the
#: standardised objective, reached the same optimum (up to rounding).
_SAME_OPTIMUM = 1e-10


def choose_best(runs: Sequence[EMTrace], offset: float = 0.0, select: str = "regular") -> int:
    """Index of the restart with the highest final objective among the regular ones.

    Regular: no degenerate and (with ``select="regular"``) no spurious component;
    when none is, those that did not degenerate; a degenerate restart is chosen
    only when every restart degenerated (mclust's rule).  Restarts that reached
    the same optimum (within ``1e-10`` of the standardised objective
    ``objective + offset``) are tied, and the first of them is chosen, so the
    choice -- and with it the labels -- does not depend on rounding, nor on the
    data's units.
    """
    everyone = list(range(len(runs)))
    kept = [i for i in everyone if not runs[i].degenerate]
    regular = [i for i in kept if not runs[i].spurious] if select == "regular" else kept
    regular = regular or kept or everyone
    top = max(runs[i].objective[-1] for i in regular)
    margin = _SAME_OPTIMUM * abs(top + offset)
    return next(i for i in regular if runs[i].objective[-1] >= top - margin)


def _in_structure(result: EMResult, kind: str) -> EMResult:
    """A spherical fit of 1-D data written in the diag or full structure's shapes."""

    def convert(trace: EMTrace) -> EMTrace:
        cov = trace.covariances[..., None]
        cov = cov if kind == "diag" else cov[..., None]
        return dataclasses.replace(trace, params=trace.params.as_structure(kind), covariances=cov)

    return dataclasses.replace(result, restarts=tuple(convert(t) for t in result.restarts))


def _fit_structured(
    data, k, kind, init, n_init, tol, max_iter, prior, seed, select, spherical=None
):
    """:func:`fit` for the diag, tied and full structures (:mod:`em.structured`).

    ``spherical``, optional: ``(seed, params)``, the spherical fit that ``"auto"``
    starts from, fitted already with that seed (:func:`em.grid.fit_structures`
    shares one among the structures); by default it is fitted here.
    """
    X, scaling = data.values, data.scaling
    n, d = X.shape
    resolved = None if prior is None else prior.resolve(data, k)
    constants = None if prior is None else resolved.scaled(scaling.shift, scaling.scale, kind)
    rng = check_rng(seed)
    design = data.design
    Z = design[:, :d]
    reference = covariance_reference(data.covariance)  # one whitener for every restart
    problem = None

    def kind_of(label, restart_seed):
        """A spherical start of this kind (its buffers made on first use)."""
        nonlocal problem
        if problem is None:
            problem = Problem(
                Workspace(design, k), Z, design[:, d], k, None, tol, max_iter, scaling
            )
        return kind_start(problem, label, restart_seed)

    def run(start, label, restart_seed=None):
        if isinstance(start, ParamsStart):
            start = to_structure(start, kind)
        return run_structured(
            Z, start, kind, constants, tol, max_iter, scaling, label, restart_seed, reference
        )

    if not isinstance(init, str):
        runs = [run(_fixed_start(init, X, k, scaling, kind), "given")]
    elif init == "auto":
        runs = []
        for label in ("hc",) + ("kmeans++",) * (defaults.AUTO_KMEANS if n_init is None else n_init):
            restart_seed = new_seed(rng)
            runs.append(run(kind_of(label, restart_seed), label, restart_seed))
        restart_seed = new_seed(rng)
        if spherical is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                simpler = fit(data, k, prior=prior, seed=restart_seed, select=select).params
        else:
            restart_seed, simpler = spherical
        begin = ParamsStart(*scaling.to_scaled(simpler.weights, simpler.means, simpler.variances))
        runs.append(run(begin, "spherical", restart_seed))
    else:
        runs = []
        for _ in range(defaults.N_INIT if n_init is None else n_init):
            restart_seed = new_seed(rng)
            runs.append(run(kind_of(init, restart_seed), init, restart_seed))
    off = structured_offset(scaling, kind, n, d, k, prior is not None)
    best, raw_best = choose_best(runs, off, select=select), choose_best(runs, off, "best")
    result = EMResult(tuple(runs), best, tol, max_iter, resolved, n, d, raw_best, None)
    _warn(result, off)
    return result


def _fixed_start(init, X, k, scaling, kind="spherical"):
    n, d = X.shape
    if isinstance(init, GMMParams):
        if init.n_components != k or init.n_features != d:
            raise InputError(
                f"init: expected parameters with {k} components and {d} features, "
                f"got {init.n_components} and {init.n_features}"
            )
        if init.covariance_type != kind:
            raise InputError(
                f"init: expected {kind} parameters to start a {kind} fit, got "
                f"{init.covariance_type} ones; pass covariance={init.covariance_type!r} or "
                f"parameters of the {kind} structure"
            )
        if kind != "spherical":
            s = scaling.scale
            return StructuredStart(
                np.array(init.weights), (init.means - scaling.shift) / s, init.covariances / s**2
            )
        return ParamsStart(*scaling.to_scaled(init.weights, init.means, init.variances))
    if isinstance(init, (np.ndarray, Sequence)):
        return RespStart(check_resp(init, n, k))
    raise InputError(
        f"init: expected one of {KINDS}, a GMMParams or a responsibility matrix "
        f"of shape ({n}, {k}), got {init!r}"
    )


def _warn(result: EMResult, offset: float) -> None:
    """Warn about what the result's user must know; restarts set aside are in the result."""
    for category, message in result.problems:
        warnings.warn(message, category, stacklevel=3)
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
