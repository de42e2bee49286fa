"""The EM side of a model selection: one task per K, every structure fitted, one row each.

A task travels to any executor (a process pool, Dask) with everything it needs and
returns plain data (JSON-ready), so a selection runs, stores and resumes as a study
does (:mod:`gmm_pp.study.engine`, :mod:`gmm_pp.study.store`).  Each K draws its own
seed stream ``SeedSequence(entropy, spawn_key=(0, K))``: a row is the same whatever
the other K of the grid, the engine or the order in which tasks finish.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

import em
from em.covariance import mclust_name
from gmm_pp.errors import describe_failure

__all__ = ["GRID_COLUMNS", "GridTask", "run_grid_task"]

#: The columns of a grid row, in order (lower is better for bic, icl and aic).
GRID_COLUMNS = (
    "structure",
    "mclust",
    "k",
    "n_parameters",
    "log_likelihood",
    "bic",
    "icl",
    "aic",
    "map_em_objective",
    "converged",
    "degenerate",
    "spurious",
    "flags",
)


@dataclass(frozen=True)
class GridTask:
    """Every structure at one K.

    Attributes
    ----------
    k : int
    covariances : tuple of str
    X : ndarray of shape (n_samples, n_features)
    feature_names : tuple of str or None
    entropy : int
        The selection's root seed.
    prior : GMMPrior
        Unresolved (scaled to the data for each K): MAP-EM's prior.
    """

    k: int
    covariances: tuple[str, ...]
    X: np.ndarray
    feature_names: tuple[str, ...] | None
    entropy: int
    prior: em.GMMPrior

    @property
    def key(self) -> str:
        """A file-name-safe identifier: ``k001`` ..."""
        return f"k{self.k:03d}"


def _flags(result: em.EMResult) -> str:
    flags = []
    if result.degenerate:
        flags.append("degenerate")
    elif result.trace.spurious:
        flags.append("spurious")
    if not result.converged and not result.degenerate:
        flags.append("not converged")
    return ", ".join(flags)


def run_grid_task(task: GridTask) -> dict:
    """Fit every structure at ``task.k`` (MLE and MAP-EM) and compute its criteria.

    Returns
    -------
    dict
        ``{"key": ..., "rows": [...], "replication": {...}}``: one row per
        structure (:data:`GRID_COLUMNS`, plus ``problems``: EM's sentences for
        the user, and ``params``: the MLE, ``GMMParams.to_dict()``) and a record
        of the task (``k``, ``seconds``, ``error``).
        Deterministic given the task, seconds aside.
    """
    t0 = time.perf_counter()
    record = {"k": task.k, "error": ""}
    rows = []
    try:
        data = em.prepare(task.X, task.feature_names)
        n, d = data.values.shape
        seq = np.random.SeedSequence(task.entropy, spawn_key=(0, task.k))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # each fit's problems are in its row
            fits = em.fit_structures(
                data, task.k, task.covariances, seed=np.random.default_rng(seq)
            )
        resolved = task.prior.resolve(data, task.k)
        for kind, mle in fits.items():
            problems = [message for _, message in mle.problems]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    map_em = em.fit(data, task.k, covariance=kind, init=mle.params, prior=resolved)
                map_objective = map_em.objective
            except em.GMMError as exc:  # the prior does not fit this structure here
                map_objective = float("nan")
                problems.append(f"MAP-EM: {exc}")
            bic = mle.bic()
            rows.append(
                {
                    "structure": kind,
                    "mclust": mclust_name(kind, d),
                    "k": task.k,
                    "n_parameters": int(mle.params.n_parameters),
                    "log_likelihood": mle.log_likelihood,
                    "bic": bic,
                    "icl": mle.icl(data.values),
                    "aic": mle.aic(),
                    "map_em_objective": map_objective,
                    "converged": bool(mle.converged),
                    "degenerate": bool(mle.degenerate),
                    "spurious": bool(mle.trace.spurious),
                    "flags": _flags(mle),
                    "problems": " | ".join(problems),
                    "params": mle.params.to_dict(),
                }
            )
    except Exception as exc:  # noqa: BLE001 - a failed task is recorded, not fatal
        rows = []
        record["error"] = describe_failure(exc)
    record["seconds"] = time.perf_counter() - t0
    return {"key": task.key, "rows": rows, "replication": record}
