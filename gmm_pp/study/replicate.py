"""One replication of a study: simulate, fit all three ways, record tidy rows.

Runs in worker processes: everything it needs travels in a :class:`Task`, and
its result is plain data (JSON-ready), so any executor can carry it.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from gmm_pp.config import SamplerConfig
from gmm_pp.data import simulate
from gmm_pp.diagnostics import flat_params
from gmm_pp.errors import describe_failure
from gmm_pp.study.config import Scenario
from gmm_pp.summary import interval_columns, posterior_summary, thin_indices

__all__ = ["INTERVALS", "Task", "failed_result", "run_replication"]

#: Central posterior intervals recorded, as probabilities.
INTERVALS = (0.5, 0.8, 0.94)


@dataclass(frozen=True)
class Task:
    """Everything one replication needs.

    Attributes
    ----------
    scenario_index : int
    scenario : Scenario
    replication : int
    seed : int
        The study's seed; the replication's own stream is
        ``SeedSequence(seed, spawn_key=(scenario_index, replication))``.
    sampler : SamplerConfig
    rank_draws : int
    """

    scenario_index: int
    scenario: Scenario
    replication: int
    seed: int
    sampler: SamplerConfig
    rank_draws: int

    @property
    def key(self) -> str:
        """A file-name-safe identifier, unique within the study."""
        return f"s{self.scenario_index:03d}-r{self.replication:05d}"


#: Parameter name prefix -> its kind (the GMMParams field): a diag variance is a
#: variance, the entries of tied and full matrices are covariances.
_KINDS = {"weight": "weights", "mean": "means", "variance": "variances", "cov": "covariances"}


def _base(task: Task) -> dict:
    s = task.scenario
    return {
        "scenario": s.name,
        "n": s.n,
        "k": s.k,
        "d": s.d,
        "separation": s.separation,
        "truth_mode": s.truth,
        "covariance": s.covariance,
        "replication": task.replication,
    }


def run_replication(task: Task) -> dict:
    """Simulate one data set, compare the fits, and summarise each parameter.

    Parameters
    ----------
    task : Task

    Returns
    -------
    dict
        ``{"key": ..., "rows": [...], "replication": {...}}``: one row per
        parameter (truth, EM, MAP-EM, PyMC MAP, posterior mean, sd, intervals,
        SBC rank, R-hat, ESS) and one record for the replication (flags,
        diagnostics, warnings, seconds, and the error if it failed; then
        ``rows`` is empty).  Deterministic given the task, seconds aside.
    """
    from gmm_pp.pipeline import compare

    t0 = time.perf_counter()
    base = _base(task)
    record = dict(base, error="")
    try:
        seq = np.random.SeedSequence(task.seed, spawn_key=(task.scenario_index, task.replication))
        truth_seq, data_seq, fit_seq = seq.spawn(3)
        scenario = task.scenario
        truth = scenario.draw_truth(np.random.default_rng(truth_seq))
        X, _ = simulate(truth, scenario.n, seed=np.random.default_rng(data_seq))
        if scenario.select is not None:
            rows = []
            record.update(_selection_record(task, X, truth, fit_seq))
            record["seconds_total"] = time.perf_counter() - t0
            return {"key": task.key, "rows": rows, "replication": record}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            comp = compare(
                X,
                scenario.k,
                prior=scenario.make_prior(),
                sampler=task.sampler,
                seed=int(fit_seq.generate_state(1)[0]),
                truth=truth,
                covariance=scenario.covariance,
            )
        rows = _rows(task, comp, base)
        diag = comp.diagnostics
        mle = comp.mle
        record.update(
            em_converged=bool(mle.converged),
            em_degenerate=bool(mle.degenerate),
            em_degenerate_restarts=int(sum(r.degenerate for r in mle.restarts)),
            em_restarts=len(mle.restarts),
            em_iterations=int(mle.n_iter),
            map_success=bool(comp.pymc_map.success),
            rhat_max=float(diag.rhat_max),
            rhat_max_before_relabelling=float(diag.rhat_max_before_relabelling),
            ess_bulk_min=float(diag.ess_bulk_min),
            ess_tail_min=float(diag.ess_tail_min),
            divergences=int(diag.divergences),
            share_relabelled=float(diag.share_relabelled),
            warnings=" | ".join(sorted({str(w.message).splitlines()[0] for w in caught})),
            seconds_em=comp.timings["em"],
            seconds_map=comp.timings["map_pymc"],
            seconds_compile=comp.timings["compile"],
            seconds_sample=comp.timings["sample"],
        )
    except Exception as exc:  # noqa: BLE001 - a failed replication is recorded, not fatal
        rows = []
        record["error"] = describe_failure(exc)
    record["seconds_total"] = time.perf_counter() - t0
    return {"key": task.key, "rows": rows, "replication": record}


def _selection_record(task: Task, X, truth, fit_seq) -> dict:
    """A selection scenario's replication: which model each criterion preferred.

    For each criterion ``c`` of :data:`gmm_pp.selection.CRITERIA` the record holds
    ``chosen_c`` (the model's name, empty when not computed), ``correct_c`` (the
    true structure and K) and ``correct_k_c`` (the true K, any structure).
    """
    from gmm_pp.selection import select
    from gmm_pp.selection.bayes import model_name, parse_model_name

    scenario = task.scenario
    spec = scenario.select
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        selection = select(
            X,
            spec["k"],
            None if spec["covariance"] == "all" else spec["covariance"],
            bayes=spec["bayes"],
            top=spec["top"],
            prior=scenario.make_prior(),
            sampler=task.sampler,
            seed=int(fit_seq.generate_state(1)[0]),
        )
    true_name = model_name(scenario.covariance, truth.n_components)
    out = {"truth_model": true_name}
    for criterion, name in selection.preferred().items():
        out[f"chosen_{criterion}"] = name or ""
        out[f"correct_{criterion}"] = np.nan if name is None else float(name == true_name)
        out[f"correct_k_{criterion}"] = (
            np.nan if name is None else float(parse_model_name(name)[1] == truth.n_components)
        )
    chosen = selection.grid[
        (selection.grid["structure"] == selection.chosen[0])
        & (selection.grid["k"] == selection.chosen[1])
    ].iloc[0]
    out.update(
        em_converged=bool(chosen["converged"]),
        em_degenerate=bool(chosen["degenerate"]),
        models_set_aside=int(len(selection.grid) - len(selection.usable())),
        warnings=" | ".join(sorted({str(w.message).splitlines()[0] for w in caught})),
    )
    return out


def failed_result(task: Task, error: str) -> dict:
    """The result of a replication that could not run (e.g. its worker died)."""
    return {"key": task.key, "rows": [], "replication": dict(_base(task), error=error)}


def _rows(task: Task, comp, base: dict) -> list[dict]:
    kind = comp.covariance_type
    draws = flat_params(*comp.draws(), None, kind)
    fits = {
        fit: flat_params(p.weights, p.means, p.covariances, None, kind)
        for fit, p in (
            ("em", comp.mle.params),
            ("map_em", comp.map_em.params),
            ("map", comp.pymc_map.params),
            ("truth", comp.truth),
        )
    }
    per = comp.diagnostics.per_parameter
    summary = posterior_summary(
        *comp.draws(), comp.scaling, intervals=INTERVALS, covariance_type=kind
    )
    rows = []
    for name, x in draws.items():
        row = dict(base, parameter=name, kind=_KINDS[name.split("[")[0]])
        for fit, values in fits.items():
            row[fit] = float(values[name])
        stats = summary[name]
        row["post_mean"] = stats["mean"]
        row["post_sd"] = stats["sd"]
        for level in INTERVALS:
            lower, upper = interval_columns(level)
            row[f"lo{round(level * 100)}"] = stats[lower]
            row[f"hi{round(level * 100)}"] = stats[upper]
        flat = np.asarray(x).reshape(-1)  # through the (chain, draw) axes
        thinned = flat[thin_indices(flat.size, task.rank_draws)]
        row["rank"] = int(np.sum(thinned < row["truth"]))
        row["rank_draws"] = int(thinned.size)
        for stat in ("rhat", "ess_bulk", "ess_tail"):
            row[stat] = float(per.get(name, {}).get(stat, np.nan))
        rows.append(row)
    return rows
