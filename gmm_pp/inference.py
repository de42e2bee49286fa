"""The Bayesian fits of the PyMC model: its MAP (``pm.find_MAP``) and posterior (nutpie).

Both work on the standardised data of :mod:`gmm_pp.model` and report in the
data's units.  nutpie's compiled model is built once per shape and process and
reused for every data set through ``with_data``; chains start at a given point
(the MAP-EM estimate), set through the compiled model's initial-point function.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
import time
import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.optimize import minimize

import em
from em import GMMParams, GMMPrior
from em.scaling import Scaling
from gmm_pp.config import SamplerConfig
from gmm_pp.errors import InputError, SamplingError
from gmm_pp.model import MixtureModel

__all__ = [
    "MAP_GRADIENT_TOL",
    "MAP_OBJECTIVE_TOL",
    "MAP_POLISH_STEPS",
    "MAPResult",
    "MAPWarning",
    "check_complete",
    "check_map",
    "find_map",
    "sample_posterior",
]

#: Two component means closer than this (in units of the data's sd) are one point:
#: the all-means-equal saddle of the mixture likelihood.
_DISTINCT_MEANS = 1e-3


#: Converge tightly: the MAP is checked against MAP-EM to 1e-4 in every parameter.
_LBFGS_OPTIONS = {"ftol": 1e-15, "gtol": 1e-9, "maxiter": 20000}

#: A MAP is a stationary point when the largest component of the objective's gradient
#: (standardised data, unconstrained coordinates) is at most this per observation.
MAP_GRADIENT_TOL = 1e-6
#: ... and the optimum, not only a stationary point, when its objective is not below
#: MAP-EM's by more than this per observation (MAP-EM maximises the same density).
MAP_OBJECTIVE_TOL = 1e-9
#: Newton steps (on a finite-difference Hessian of the compiled gradient) that may
#: polish a point where L-BFGS-B stopped short of the stationarity test.
MAP_POLISH_STEPS = 8


class MAPWarning(UserWarning):
    """PyMC's MAP is not a valid optimum (see :attr:`MAPResult.success`)."""


@dataclass(frozen=True)
class MAPResult:
    """PyMC's MAP in the data's units.

    Attributes
    ----------
    params : GMMParams
    objective : float
        Log-likelihood + log prior at ``params`` (data units), comparable with
        MAP-EM's objective.
    success : bool
        A valid optimum, judged at the point and not by the optimiser's message:
        the gradient of the objective is zero (at most :data:`MAP_GRADIENT_TOL`
        per observation), the objective is not below MAP-EM's (by more than
        :data:`MAP_OBJECTIVE_TOL` per observation) and the components' means are
        distinct.
    message : str
        The optimiser's (L-BFGS-B's) own message, for information: ``ABNORMAL``
        is its line search finding no improvement, as at an optimum it started on.
    n_starts : int
        Starts tried; the best valid one is kept.
    seconds : float
    gradient : float
        The largest component of the objective's gradient per observation at
        ``params`` (standardised data, unconstrained coordinates).
    polish_steps : int
        Newton steps taken after L-BFGS-B stopped short of the stationarity test.
    reason : str
        Why it is not a valid optimum; empty when it is.
    """

    params: GMMParams
    objective: float
    success: bool
    message: str
    n_starts: int
    seconds: float
    gradient: float = float("nan")
    polish_steps: int = 0
    reason: str = ""

    def __repr__(self) -> str:
        return (
            f"MAPResult(objective={self.objective:.6g}, success={self.success}, "
            f"gradient={self.gradient:.3g}, message={self.message!r}, "
            f"n_starts={self.n_starts}, params={self.params!r})"
        )

    @property
    def problem(self) -> str:
        """The sentence a reader must see when this is not a valid optimum (else empty)."""
        if self.success:
            return ""
        reason = self.reason or "the optimiser reported failure"
        return (
            f"PyMC's MAP is not a valid optimum: {reason} (L-BFGS-B: {self.message}); "
            "MAP-EM maximises the same density: use its estimate"
        )

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        return {
            "params": self.params.to_dict(),
            "objective": self.objective,
            "success": self.success,
            "message": self.message,
            "n_starts": self.n_starts,
            "seconds": self.seconds,
            "gradient": self.gradient,
            "polish_steps": self.polish_steps,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict) -> MAPResult:
        """Inverse of :meth:`to_dict`."""
        return cls(**{**data, "params": GMMParams.from_dict(data["params"])})


def _min_separation(means: np.ndarray) -> float:
    k = means.shape[0]
    if k < 2:
        return np.inf
    diff = means[:, None, :] - means[None, :, :]
    dist = np.sqrt(np.einsum("ijd->ij", diff**2))
    return float(dist[np.triu_indices(k, 1)].min())


def _largest(grad: np.ndarray) -> float:
    """The largest absolute component of a gradient; inf when any is not finite."""
    return float(np.max(np.abs(grad))) if np.all(np.isfinite(grad)) else np.inf


def _hessian(loss, x: np.ndarray) -> np.ndarray:
    """The loss's Hessian at ``x`` by central differences of its exact gradient, shape (p, p)."""
    p = x.shape[0]
    h = 1e-5 * np.maximum(1.0, np.abs(x))
    hess = np.empty((p, p))
    for i in range(p):
        e = np.zeros(p)
        e[i] = h[i]
        hess[:, i] = (loss(x + e)[1] - loss(x - e)[1]) / (2 * h[i])
    return (hess + hess.T) / 2


def _polish(loss, x: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """Newton steps from ``x`` until the gradient is a hundredth of the stationarity test's bound.

    Each step solves with the finite-difference Hessian, which must be positive
    definite (a minimum of the loss), and is halved until the loss does not rise
    and the gradient shrinks.  Returns the point and the steps taken.
    """
    value, grad = loss(x)
    steps = 0
    while steps < MAP_POLISH_STEPS and MAP_GRADIENT_TOL * n / 100 < _largest(grad) < np.inf:
        try:
            chol = np.linalg.cholesky(_hessian(loss, x))
        except np.linalg.LinAlgError:
            break  # not at a minimum's bowl: left for the judgement
        step = -np.linalg.solve(chol.T, np.linalg.solve(chol, grad))
        for t in 0.5 ** np.arange(12):
            new_value, new_grad = loss(x + t * step)
            slack = 1e-12 * max(1.0, abs(value))
            if new_value <= value + slack and _largest(new_grad) < _largest(grad):
                x, value, grad = x + t * step, new_value, new_grad
                break
        else:
            break
        steps += 1
    return x, steps


def _judge(mm: MixtureModel, loss, x: np.ndarray, n: int, reference: float | None):
    """``(gradient per observation, reason)`` of a candidate MAP; the reason is empty if valid."""
    value, grad = loss(x)
    means = mm.constrained(mm.unflat(x))["means"]  # standardised units
    gradient = _largest(grad) / n
    if not np.isfinite(value) or not np.isfinite(gradient):
        return gradient, "its objective or gradient is not finite"
    if _min_separation(means) < _DISTINCT_MEANS:
        return gradient, "it stopped where component means coincide (a saddle of the mixture)"
    if gradient > MAP_GRADIENT_TOL:
        return gradient, (
            f"its gradient is {gradient:.2g} per observation (at most {MAP_GRADIENT_TOL:g} "
            "at an optimum)"
        )
    if reference is not None and value > reference + MAP_OBJECTIVE_TOL * n:
        return gradient, (
            f"its objective is {value - reference:.3g} below MAP-EM's (another, lower optimum)"
        )
    return gradient, ""


def check_map(
    mm: MixtureModel, X, prior: GMMPrior, params: GMMParams, reference: GMMParams | None = None
) -> tuple[float, str]:
    """Whether ``params`` is a valid MAP, judged as :func:`find_map` judges its result.

    Parameters
    ----------
    mm : MixtureModel
        The model for ``X``'s shape.
    X : PreparedData or ndarray of shape (n_samples, n_features)
    prior : GMMPrior
        Resolved.
    params : GMMParams
        The candidate, data units.
    reference : GMMParams, optional
        MAP-EM's estimate: the candidate's objective must not be below its.

    Returns
    -------
    gradient : float
        The largest component of the objective's gradient per observation.
    reason : str
        Why ``params`` is not a valid optimum; empty when it is.
    """
    data, scaling, loss, ref = _map_problem(mm, X, prior, reference)
    return _judge(mm, loss, _flat_point(mm, scaling, params), data.values.shape[0], ref)


def _map_problem(mm: MixtureModel, X, prior: GMMPrior, reference: GMMParams | None):
    """``(data, scaling, loss, reference loss or None)`` of the MAP of ``X`` under ``prior``."""
    data = em.prepare(X)
    values, scaling = mm.prepare(data, prior)
    loss = mm.map_loss(values)
    ref = None if reference is None else loss(_flat_point(mm, scaling, reference))[0]
    return data, scaling, loss, ref


def _flat_point(mm: MixtureModel, scaling: Scaling, params: GMMParams) -> np.ndarray:
    """``params`` (data units) as the loss's unconstrained flat vector."""
    if params.covariance_type != mm.covariance_type:
        raise InputError(
            f"params: expected {mm.covariance_type} covariances like the model, got "
            f"{params.covariance_type}"
        )
    return mm.flat(mm.unconstrained(mm.scaled(params, scaling)))


def find_map(
    mm: MixtureModel,
    X: np.ndarray,
    prior: GMMPrior,
    starts: list[GMMParams],
    reference: GMMParams | None = None,
) -> MAPResult:
    """PyMC's MAP from each start (L-BFGS-B, no jitter); the best valid optimum.

    This is ``pm.find_MAP``'s computation -- the same loss (``-logp`` without the
    Jacobian, over the unconstrained variables), minimised by the same scipy
    method -- evaluated by the log-density nutpie compiled for this shape (see
    :meth:`MixtureModel.map_loss`), so the MAP compiles nothing of its own and a
    new data set costs no compilation (``pm.find_MAP`` compiles on every call).
    A test checks it against ``pm.find_MAP`` itself.

    Where L-BFGS-B stops is judged by what makes a MAP valid, not by its message
    (its ``ABNORMAL`` often means a line search found nothing better than an
    optimum it started on): where the gradient is not yet zero, Newton steps on
    the compiled gradient polish the point; then the gradient, the objective
    against MAP-EM's and the distinctness of the components decide
    (:attr:`MAPResult.success`).

    Parameters
    ----------
    mm : MixtureModel
        The model for ``X``'s shape.
    X : PreparedData or ndarray of shape (n_samples, n_features)
    prior : GMMPrior
        Resolved.
    starts : list of GMMParams
        Starting points in the data's units (the EM estimates).
    reference : GMMParams, optional
        MAP-EM's estimate: a valid MAP's objective is not below its.

    Returns
    -------
    MAPResult
        Warns with MAPWarning when no start reached a valid optimum.
    """
    t0 = time.perf_counter()
    data, scaling, f_loss, ref = _map_problem(mm, X, prior, reference)
    n = data.values.shape[0]
    best = None
    for start in starts:
        x0 = _flat_point(mm, scaling, start)
        opt = minimize(f_loss, x0, jac=True, method="L-BFGS-B", options=_LBFGS_OPTIONS)
        x, steps = opt.x, 0
        if _largest(f_loss(x)[1]) > MAP_GRADIENT_TOL * n:
            x, steps = _polish(f_loss, x, n)
        point = mm.constrained(mm.unflat(x))
        gradient, reason = _judge(mm, f_loss, x, n, ref)
        params = mm.params_from_scaled(point, scaling)
        objective = em.log_likelihood(data.values, params) + prior.log_prob(params)
        candidate = MAPResult(params, objective, not reason, str(opt.message), len(starts),
                              0.0, gradient, steps, reason)  # fmt: skip
        if best is None or (candidate.success, objective) > (best.success, best.objective):
            best = candidate
    if not best.success:
        warnings.warn(best.problem, MAPWarning, stacklevel=2)
    return dataclasses.replace(best, seconds=time.perf_counter() - t0)


#: How far a start coordinate with an exactly zero gradient is moved (unconstrained units).
_NUDGE = 1e-6
#: How long each of the short waits for nutpie's chains lasts.
_POLL_SECONDS = 0.05


def _nudged(logp, x: np.ndarray) -> np.ndarray:
    """``x``, with every coordinate whose gradient is exactly 0 moved by ``_NUDGE``.

    nutpie refuses to start where any gradient component is exactly zero ("bad
    initial gradient"), which happens at a MAP-EM start with equal weights (e.g.
    100 points in each of two separated clusters).  The move is deterministic
    and far below the posterior's scale.
    """
    _, grad = logp(x)
    return np.where(grad == 0.0, x + _NUDGE, x)


def sample_posterior(
    mm: MixtureModel,
    X: np.ndarray,
    prior: GMMPrior,
    start: GMMParams,
    config: SamplerConfig,
    seed: int,
    *,
    progress=None,
) -> tuple[xr.DataTree, Scaling]:
    """Sample the posterior with nutpie, every chain started at ``start``.

    Parameters
    ----------
    mm : MixtureModel
    X : PreparedData or ndarray of shape (n_samples, n_features)
    prior : GMMPrior
        Resolved.
    start : GMMParams
        Where every chain starts (data units), normally the MAP-EM estimate.
    config : SamplerConfig
    seed : int
    progress : gmm_pp.progress.SamplingProgress, optional
        Receives nutpie's per-chain progress (draws done) twice a second.

    Returns
    -------
    trace : xarray.DataTree
        nutpie's trace in scaled units (groups ``posterior``, ``sample_stats``).
    scaling : Scaling
        To map the draws back to the data's units.
    """
    import nutpie

    values, scaling = mm.prepare(X, prior)
    compiled = mm.nutpie_model()
    flat = _nudged(mm.log_density(values), _flat_point(mm, scaling, start))

    def initial_point(_seed) -> np.ndarray:
        return flat.copy()

    ready = dataclasses.replace(compiled.with_data(**values), initial_point_func=initial_point)
    # Not nutpie's blocking call: on Ctrl-C it returns the draws made so far as if
    # they were the sample.  Here an interrupt discards them and propagates.  While
    # nutpie sets its chains up, a signal is held back (one that lands inside its
    # Rust set-up panics a thread or is lost) and raised once the sampler exists.
    held: list[int] = []
    with _holding_signals(held):
        sampler = nutpie.sample(
            ready,
            draws=config.draws,
            tune=config.tune,
            chains=config.chains,
            cores=config.cores,
            seed=seed,
            target_accept=config.target_accept,
            progress_bar=config.progress,
            progress_callback=None if progress is None else progress.callback,
            progress_rate=500,
            save_warmup=False,
            blocking=False,
        )
    try:
        for signum in held:
            signal.raise_signal(signum)  # its usual handler: KeyboardInterrupt, the CLI's exit
        while True:  # short waits, so that a signal is raised here, in Python
            try:
                trace = sampler.wait(timeout=_POLL_SECONDS)
                break
            except TimeoutError:
                continue
    except BaseException:
        sampler.cancel()
        raise
    check_complete(trace, config)
    return trace, scaling


@contextlib.contextmanager
def _holding_signals(held: list[int]):
    """Record SIGINT and SIGTERM in ``held`` instead of handling them (main thread only).

    Signals whose handler is not Python's (default or ignored) are left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if callable(handler):
            previous[signum] = handler
            signal.signal(signum, lambda sig, _frame: held.append(sig))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def check_complete(trace: xr.DataTree, config: SamplerConfig) -> None:
    """Refuse a trace that is not the whole sample asked for.

    Parameters
    ----------
    trace : xarray.DataTree
        The sampler's trace (group ``posterior``).
    config : SamplerConfig

    Raises
    ------
    SamplingError
        When chains or draws are missing or a draw is not finite: a partial
        sample is never turned into a result.
    """
    post = trace["posterior"]
    chains, draws = post.sizes.get("chain", 0), post.sizes.get("draw", 0)
    if (chains, draws) != (config.chains, config.draws):
        raise SamplingError(
            f"the sampler returned {chains} chains x {draws} draws, not the "
            f"{config.chains} x {config.draws} asked for; nothing was kept"
        )
    for name, values in post.data_vars.items():
        if not np.isfinite(values.values).all():
            raise SamplingError(
                f"the sampler returned non-finite draws of {name!r}; nothing was kept"
            )
