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
from gmm_pp.errors import SamplingError
from gmm_pp.model import MixtureModel

__all__ = ["MAPResult", "MAPWarning", "check_complete", "find_map", "sample_posterior"]

#: Two component means closer than this (in units of the data's sd) are one point:
#: the all-means-equal saddle of the mixture likelihood.
_DISTINCT_MEANS = 1e-3


#: Converge tightly: the MAP is checked against MAP-EM to 1e-4 in every parameter.
_LBFGS_OPTIONS = {"ftol": 1e-15, "gtol": 1e-9, "maxiter": 20000}


class MAPWarning(UserWarning):
    """The optimiser failed or stopped at a saddle (components not distinct)."""


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
        The optimiser reported success and the components are distinct.
    message : str
    n_starts : int
        Starts tried; the best valid one is kept.
    seconds : float
    """

    params: GMMParams
    objective: float
    success: bool
    message: str
    n_starts: int
    seconds: float

    def __repr__(self) -> str:
        return (
            f"MAPResult(objective={self.objective:.6g}, success={self.success}, "
            f"message={self.message!r}, n_starts={self.n_starts}, params={self.params!r})"
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


def find_map(
    mm: MixtureModel,
    X: np.ndarray,
    prior: GMMPrior,
    starts: list[GMMParams],
) -> MAPResult:
    """PyMC's MAP from each start (L-BFGS-B, no jitter); the best valid optimum.

    This is ``pm.find_MAP``'s computation -- the same loss (``-logp`` without the
    Jacobian, over the unconstrained variables), minimised by the same scipy
    method -- evaluated by the log-density nutpie compiled for this shape (see
    :meth:`MixtureModel.map_loss`), so the MAP compiles nothing of its own and a
    new data set costs no compilation (``pm.find_MAP`` compiles on every call).
    A test checks it against ``pm.find_MAP`` itself.

    Parameters
    ----------
    mm : MixtureModel
        The model for ``X``'s shape.
    X : PreparedData or ndarray of shape (n_samples, n_features)
    prior : GMMPrior
        Resolved.
    starts : list of GMMParams
        Starting points in the data's units (the EM estimates).

    Returns
    -------
    MAPResult
        Warns with MAPWarning when no start reached a valid optimum.
    """
    t0 = time.perf_counter()
    data = em.prepare(X)
    values, scaling = mm.prepare(data, prior)
    f_loss = mm.map_loss(values)
    best: tuple[float, GMMParams, bool, str] | None = None
    for start in starts:
        w, m, v = scaling.to_scaled(start.weights, start.means, start.variances)
        x0 = mm.flat(mm.unconstrained((w, m, v)))
        opt = minimize(f_loss, x0, jac=True, method="L-BFGS-B", options=_LBFGS_OPTIONS)
        parts = mm.unflat(opt.x)
        point = mm.constrained(parts)
        success = bool(opt.success) and bool(np.isfinite(opt.fun))
        message = str(opt.message)
        if _min_separation(point["means"]) < _DISTINCT_MEANS:
            success = False
            message = "stopped where component means coincide (a saddle of the mixture)"
        params = mm.params_from_scaled(point, scaling)
        objective = em.log_likelihood(data.values, params) + prior.log_prob(params)
        candidate = (objective, params, success, message)
        if best is None or (success, objective) > (best[2], best[0]):
            best = candidate
    objective, params, success, message = best
    if not success:
        warnings.warn(
            f"PyMC's MAP is not a valid optimum ({message}); start it from an EM estimate "
            "or try more starts",
            MAPWarning,
            stacklevel=2,
        )
    return MAPResult(params, objective, success, message, len(starts), time.perf_counter() - t0)


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
    w, m, v = scaling.to_scaled(start.weights, start.means, start.variances)
    flat = _nudged(mm.log_density(values), mm.flat(mm.unconstrained((w, m, v))))

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
