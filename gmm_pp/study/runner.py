"""Run a study: every replication not yet done, on the chosen engine, then the tables."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gmm_pp.diagnostics import RHAT_MAX
from gmm_pp.io import resumable_folder, write_atomic
from gmm_pp.study.config import StudyConfig
from gmm_pp.study.engine import Progress, executor, run_tasks
from gmm_pp.study.metrics import summarise
from gmm_pp.study.replicate import Task, run_replication
from gmm_pp.study.store import StudyStore

__all__ = ["StudyResult", "run_study", "tasks_of"]


@dataclass
class StudyResult:
    """A finished (or partly finished) study.

    Attributes
    ----------
    parameters : DataFrame
        One row per replication and parameter.
    replications : DataFrame
        One row per replication.
    summary : dict
        :func:`gmm_pp.study.metrics.summarise` of the tables.
    directory : Path
    ran, skipped : int
        Replications run now, and found done from an earlier run.
    not_run : list of str
        Replications whose worker failed (not stored: a rerun retries them).
    """

    parameters: pd.DataFrame
    replications: pd.DataFrame
    summary: dict
    directory: Path
    ran: int = 0
    skipped: int = 0
    not_run: list = field(default_factory=list)

    def text(self) -> str:
        """A one-screen summary."""
        lines = [
            f"study: {len(self.replications)} replications in {self.directory} "
            f"({self.ran} run now, {self.skipped} from before"
            + (f", {len(self.not_run)} not run: rerun to retry" if self.not_run else "")
            + ")"
        ]
        coverage: dict[str, list[dict]] = {}
        for c in self.summary.get("coverage", []):
            coverage.setdefault(c["scenario"], []).append(c)
        for f in self.summary.get("failures", []):
            cov = coverage.get(f["scenario"], [])
            cover = " / ".join(f"{c['coverage']:.1%}" for c in cov)
            nominal = "/".join(f"{c['nominal']:.0%}" for c in cov)
            lines.append(
                f"  {f['scenario']}: {f['replications']} replications, {f['errors']} errors, "
                f"EM degenerate {f['em_degenerate']:.0%}, "
                f"R-hat > {RHAT_MAX} {f['rhat_over_1_01']:.0%}, "
                f"{f['seconds_median']:.1f} s each"
                + (f"; {nominal} intervals cover {cover}" if cov else "")
            )
        for r in self.summary.get("recovery", []):
            if r["criterion"] in ("bic", "elpd_loo"):
                lines.append(
                    f"  {r['scenario']}: {r['criterion']} chose the true model "
                    f"{r['truth_model']} in {r['rate']:.0%} +- {r['mcse']:.0%} of "
                    f"{r['replications']} replications (the true K in {r['rate_k']:.0%})"
                )
        sbc = self.summary.get("sbc", [])
        if sbc:
            worst = min(sbc, key=lambda r: r["pvalue"])
            lines.append(
                f"  SBC: {len(sbc)} rank histograms; smallest uniformity p-value "
                f"{worst['pvalue']:.3f} ({worst['scenario']}, {worst['parameter']})"
            )
        return "\n".join(lines)


def tasks_of(config: StudyConfig) -> list[Task]:
    """Every replication of the study, scenario by scenario."""
    return [
        Task(i, scenario, r, config.seed, config.sampler, config.rank_draws)
        for i, scenario in enumerate(config.scenarios)
        for r in range(config.replications)
    ]


def run_study(
    config: StudyConfig,
    out: str | Path,
    *,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    overwrite: bool = False,
    inputs: Iterable[str | Path] = (),
    fn: Callable[[Task], dict] = run_replication,
    on_result: Callable[[dict], None] | None = None,
) -> StudyResult:
    """Run every replication of ``config`` not already in ``out``, and write the tables.

    Parameters
    ----------
    config : StudyConfig
    out : str or Path
        The study's folder (see :mod:`gmm_pp.study.store`); rerunning the same
        command resumes, skipping finished replications.
    engine : {"local", "dask", "serial"}
        A local process pool (default), Dask distributed, or this process.
    workers : int, optional
        Worker processes; default the machine's cores.
    address : str, optional
        A Dask scheduler to use instead of starting a local cluster.
    progress : bool
        A progress line with the ETA on stderr.
    retry_failed : bool
        Run again the replications recorded as failed (their parts are replaced),
        and move aside (to ``parts/rejected/``) any part that is not one of this
        study's replications.
    overwrite : bool
        Discard whatever ``out`` holds and start afresh.  Without it, a folder
        holding this same study is resumed; a different study, or a non-empty
        folder that is not a study, is refused.
    inputs : iterable of path
        Files the study reads (its TOML file): ``out`` may not contain them.
    fn : callable
        The replication function (tests substitute a failing one).
    on_result : callable, optional
        Called with each result after it is stored.

    Returns
    -------
    StudyResult
    """
    if address:
        engine = "dask"
    with resumable_folder(out, "study.json", overwrite=overwrite, inputs=inputs) as target:
        return _run_locked(
            config, target, engine, workers, address, progress, retry_failed, fn, on_result
        )


def _run_locked(
    config, target, engine, workers, address, progress, retry_failed, fn, on_result
) -> StudyResult:
    store = StudyStore(target, config)
    tasks = tasks_of(config)
    moved = store.check({t.key for t in tasks}, retry_failed=retry_failed)
    for path in moved:
        warnings.warn(
            f"{path.name} is not a readable replication of this study: moved aside to "
            f"{path.parent}, and its replication runs again",
            UserWarning,
            stacklevel=3,
        )
    done = store.done(retry_failed=retry_failed)
    todo = [t for t in tasks if t.key not in done]
    bar = Progress(len(tasks), enabled=progress)
    where = "in this process" if engine == "serial" else f"on the {engine} engine"
    if engine != "serial" and workers:
        where += f" with {workers} workers"
    bar.begin(len(tasks) - len(todo), where)
    not_run: list[str] = []

    def handle(result: dict) -> None:
        if result.get("transient"):
            not_run.append(f"{result['key']}: {result['replication']['error']}")
        else:
            store.write(result)
        bar.update(failed=bool(result["replication"].get("error")))
        if on_result is not None:
            on_result(result)

    try:
        if todo:
            with executor(engine, workers, address) as pool:
                for _ in run_tasks(todo, pool, handle, fn):
                    pass
    finally:
        bar.end()
    parameters, replications = store.write_tables()
    summary = summarise(parameters, replications)
    write_atomic(store.directory / "summary.json", json.dumps(summary, indent=2, default=float))
    return StudyResult(
        parameters,
        replications,
        summary,
        store.directory,
        len(todo) - len(not_run),
        len(tasks) - len(todo),
        not_run,
    )
