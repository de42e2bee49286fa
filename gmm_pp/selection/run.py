"""`select`: fit a grid of models (K, covariance structure), then the best ones' posteriors.

The grid runs one task per K on an engine of :mod:`gmm_pp.study.engine` (this
process, a local process pool, or Dask); with a folder (``out``) every finished K
and every posterior is stored as it finishes, and the same call resumes after a
kill, as a study does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import numbers
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import em
from em.covariance import check_covariance_type
from gmm_pp.config import SamplerConfig
from gmm_pp.data import as_data
from gmm_pp.errors import GMMError, InputError, InputTypeError
from gmm_pp.io import resumable_folder
from gmm_pp.selection.bayes import ModelTask, in_workers, loo_rows, model_name, run_model
from gmm_pp.selection.grid import GRID_COLUMNS, GridTask, run_grid_task
from gmm_pp.selection.result import Selection
from gmm_pp.study.engine import ENGINES, Progress, executor, run_tasks
from gmm_pp.study.store import StudyStore

__all__ = ["BAYES_MODES", "DEFAULT_K", "DEFAULT_TOP", "SelectionConfig", "select"]

#: The numbers of components tried by default (mclust's ``G = 1:9``).
DEFAULT_K = range(1, 10)
#: Which models get a posterior: the ``top`` by BIC, every usable one, or none.
BAYES_MODES = ("top", "all", "none")
#: How many models get a posterior with ``bayes="top"``.
DEFAULT_TOP = 3


@dataclass(frozen=True)
class SelectionConfig:
    """What a selection's folder holds: checked when a run resumes in it."""

    data: str
    ks: tuple[int, ...]
    covariances: tuple[str, ...]
    seed: int
    prior: dict
    sampler: dict

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        return {
            "data": self.data,
            "ks": list(self.ks),
            "covariances": list(self.covariances),
            "seed": self.seed,
            "prior": self.prior,
            "sampler": self.sampler,
        }


def _check_ks(k, n: int) -> tuple[int, ...]:
    if isinstance(k, numbers.Integral) and not isinstance(k, bool):
        k = [k]
    if isinstance(k, str) or not isinstance(k, Iterable):
        raise InputTypeError(f"k: expected numbers of components such as range(1, 10), got {k!r}")
    ks = list(k)
    if not ks:
        raise InputError(
            "k: expected at least one number of components, got an empty range; "
            "try range(1, 10) (gmm-pp select -k 1:9)"
        )
    for value in ks:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise InputError(f"k: expected integers >= 1, got {value!r} in {ks!r}")
        if value > n:
            raise InputError(
                f"k: expected numbers of components at most the {n} data points, got {value}; "
                "use a smaller range"
            )
    return tuple(sorted({int(v) for v in ks}))


def _check_covariances(covariance, d: int) -> tuple[str, ...]:
    if covariance is None or covariance == "all":
        # In one dimension diag and full are the spherical model (mclust's E and V only).
        return ("spherical", "tied") if d == 1 else tuple(em.COVARIANCE_TYPES)
    if isinstance(covariance, str):
        covariance = [covariance]
    if not isinstance(covariance, Iterable):
        raise InputTypeError(
            f"covariance: expected structure names such as ('spherical', 'full'), "
            f"got {covariance!r}"
        )
    kinds = [check_covariance_type(c, "covariance") for c in covariance]
    if not kinds:
        raise InputError(
            f"covariance: expected at least one of {', '.join(em.COVARIANCE_TYPES)}, got none"
        )
    return tuple(dict.fromkeys(kinds))


def _entropy(seed) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InputError(f"seed: expected an int >= 0, a numpy Generator or None, got {seed!r}")
    return int(seed)


def select(
    X,
    k=DEFAULT_K,
    covariance=None,
    *,
    bayes: str = "top",
    top: int = DEFAULT_TOP,
    prior: em.GMMPrior | None = None,
    sampler: SamplerConfig | None = None,
    seed=None,
    engine: str = "serial",
    workers: int | None = None,
    address: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    inputs: Iterable[str | Path] = (),
    progress: bool = False,
    feature_names=None,
) -> Selection:
    """Choose K and the covariance structure: BIC, ICL and AIC of EM, and LOO of the posterior.

    Every (structure, K) of the grid is fitted by EM with the default starts
    (its MLE, the non-spurious maximum) and by MAP-EM under the prior; the
    ``top`` models by BIC (or all, or none) also get the whole comparison of
    :func:`gmm_pp.compare` (PyMC's MAP and the posterior), whose predictive
    accuracy PSIS-LOO estimates and ``az.compare`` turns into stacking weights.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or DataFrame
    k : int or iterable of int, default range(1, 10)
        The numbers of components.
    covariance : str, sequence of str or None
        Structures among ``"spherical"``, ``"diag"``, ``"tied"``, ``"full"``;
        None or ``"all"``: all four (in one dimension spherical and tied, since
        diag and full are the spherical model there).
    bayes : {"top", "all", "none"}, default "top"
        Which models get a posterior.
    top : int, default 3
        How many, by BIC, with ``bayes="top"``.
    prior : GMMPrior, optional
        MAP-EM's and the posterior's prior (default ``GMMPrior()``, mclust's).
    sampler : SamplerConfig, optional
        The posterior's sampler (default ``SamplerConfig()``).
    seed : int, numpy.random.Generator or None
        Same seed, same selection, on every engine.  Each K has its own stream,
        so a row does not depend on the other K of the grid.
    engine : {"serial", "local", "dask"}, default "serial"
        Where the tasks run (one per K, then one per posterior).
    workers : int, optional
        Worker processes of the local pool or the local Dask cluster.
    address : str, optional
        A Dask scheduler (implies ``engine="dask"``).
    out : str or Path, optional
        A folder: each finished K (``parts/``) and posterior (``models/<name>``)
        is stored as it finishes; the same call resumes there.  Then
        ``selection.json`` and ``table.csv``.
    overwrite : bool, default False
        Discard what ``out`` holds.  Without it, a folder holding this same
        selection (data, grid, seed, prior, sampler) is resumed; anything else
        that is not empty is refused.
    inputs : iterable of path
        Files the data came from (``out`` may not contain them).
    progress : bool, default False
        Progress lines on stderr.
    feature_names : sequence of str, optional

    Returns
    -------
    Selection

    Examples
    --------
    >>> import gmm_pp
    >>> X = gmm_pp.load_dataset("faithful")
    >>> sel = gmm_pp.select(X, bayes="none", seed=0)
    >>> sel.chosen
    ('tied', 3)
    """
    values, names = as_data(X, feature_names)
    data = em.prepare(values, names)
    n, d = data.values.shape
    ks = _check_ks(k, n)
    kinds = _check_covariances(covariance, d)
    if bayes not in BAYES_MODES:
        raise InputError(f"bayes: expected one of {', '.join(BAYES_MODES)}, got {bayes!r}")
    if isinstance(top, bool) or not isinstance(top, numbers.Integral) or top < 1:
        raise InputError(f"top: expected an integer >= 1 (models given a posterior), got {top!r}")
    prior = em.GMMPrior() if prior is None else prior
    if not isinstance(prior, em.GMMPrior):
        raise InputTypeError(f"prior: expected a GMMPrior or None, got {type(prior).__name__}")
    sampler = SamplerConfig() if sampler is None else sampler
    if not isinstance(sampler, SamplerConfig):
        raise InputTypeError(f"sampler: expected a SamplerConfig, got {type(sampler).__name__}")
    if engine not in ENGINES:
        raise InputError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    if address:
        engine = "dask"
    entropy = _entropy(seed)
    config = SelectionConfig(
        data=hashlib.blake2b(
            np.ascontiguousarray(data.values).tobytes(), digest_size=16
        ).hexdigest(),
        ks=ks,
        covariances=kinds,
        seed=entropy,
        prior=prior.to_dict(),
        # the draws do not depend on the cores nor on the progress bar: a rerun from a
        # terminal resumes a run from a log
        sampler=dataclasses.replace(sampler, cores=None, progress=False).to_dict(),
    )
    run = _Run(
        data,
        ks,
        kinds,
        bayes,
        int(top),
        prior,
        sampler,
        entropy,
        engine,
        workers,
        address,
        progress,
    )
    if out is None:
        return run.execute(None)
    with resumable_folder(out, _META, overwrite=overwrite, inputs=inputs) as target:
        try:
            store = StudyStore(target, config, meta_name=_META)
        except GMMError as exc:
            raise InputError(str(exc).replace("study", "selection")) from None
        return run.execute(store)


#: The description of the selection a folder holds (checked on resume).
_META = "selection-config.json"


@dataclass
class _Run:
    data: em.PreparedData
    ks: tuple[int, ...]
    kinds: tuple[str, ...]
    bayes: str
    top: int
    prior: em.GMMPrior
    sampler: SamplerConfig
    entropy: int
    engine: str
    workers: int | None
    address: str | None
    progress: bool
    params: dict = field(default_factory=dict)

    def where(self, engine: str | None = None) -> str:
        engine = self.engine if engine is None else engine
        if engine == "serial":
            return "in this process"
        return f"on the {engine} engine" + (f" with {self.workers} workers" if self.workers else "")

    def execute(self, store: StudyStore | None) -> Selection:
        grid = self.run_grid(store)
        names = self.bayes_models(grid)
        comparisons = self.run_bayes(names, store)
        bayes = pd.DataFrame(loo_rows(comparisons, self.entropy)) if comparisons else _empty_bayes()
        data = self.data
        selection = Selection(
            grid=grid,
            bayes=bayes,
            n_samples=data.n_samples,
            n_features=data.n_features,
            feature_names=data.feature_names,
            ks=self.ks,
            covariances=self.kinds,
            bayes_mode=self.bayes,
            top=self.top,
            seed=self.entropy,
            comparisons=comparisons,
            params=self.params,
            directory=None if store is None else store.directory,
        )
        if store is not None:
            selection.write_files(store.directory)
        return selection

    def run_grid(self, store: StudyStore | None) -> pd.DataFrame:
        tasks = [
            GridTask(
                k, self.kinds, self.data.values, self.data.feature_names, self.entropy, self.prior
            )
            for k in self.ks
        ]
        tasks.sort(key=lambda t: -t.k)  # the longest first: the pool ends together
        results: dict[str, dict] = {}
        if store is not None:
            store.check({t.key for t in tasks})
            for key in store.done():
                part = store.read_part(store.parts / f"{key}.json")
                if not part["replication"]["error"]:
                    results[key] = part
        todo = [t for t in tasks if t.key not in results]
        bar = Progress(
            len(tasks), enabled=self.progress, label="select", unit="values of K", first=""
        )
        pool_engine = "serial" if len(todo) == 1 else self.engine  # no pool for one task
        where = self.where(pool_engine)
        bar.begin(len(tasks) - len(todo), f"EM for {len(self.kinds)} structures, {where}")
        failed = []

        def handle(result: dict) -> None:
            error = result["replication"]["error"]
            if error:
                failed.append(f"K = {result['replication'].get('k', result['key'])}: {error}")
            else:
                results[result["key"]] = result
                if store is not None:
                    store.write(result)
            bar.update(failed=bool(error))

        try:
            if todo:
                with executor(pool_engine, self.workers, self.address) as pool:
                    for _ in run_tasks(todo, pool, handle, run_grid_task, _grid_failure):
                        pass
        finally:
            bar.end()
        if failed:
            raise GMMError(
                "select: EM failed for "
                + "; ".join(failed)
                + ("; finished K are kept: rerun to retry" if store is not None else "")
            )
        rows = [row for key in sorted(results) for row in results[key]["rows"]]
        self.params = {model_name(r["structure"], r["k"]): em.GMMParams.from_dict(r["params"])
                       for r in rows}  # fmt: skip
        grid = pd.DataFrame(rows, columns=[*GRID_COLUMNS, "problems"])
        order = {kind: i for i, kind in enumerate(self.kinds)}
        grid = grid.sort_values(
            ["structure", "k"],
            key=lambda c: c.map(order) if c.name == "structure" else c,
            kind="stable",
        )
        return grid.reset_index(drop=True)

    def bayes_models(self, grid: pd.DataFrame) -> list[tuple[str, int]]:
        if self.bayes == "none":
            return []
        usable = grid[~grid["degenerate"] & ~grid["spurious"] & np.isfinite(grid["bic"])]
        usable = usable.sort_values(["bic", "k"], kind="stable")
        if self.bayes == "top":
            usable = usable.head(self.top)
        return [(str(s), int(k)) for s, k in zip(usable["structure"], usable["k"], strict=True)]

    def run_bayes(self, models: list[tuple[str, int]], store: StudyStore | None) -> dict:
        if not models:
            return {}
        from gmm_pp.comparison import Comparison  # PyMC and ArviZ: only with a posterior

        # Models of one structure in one worker, one after the other: the second reuses
        # much of the first one's compiled code (PyTensor's cache).
        by_structure = {s for s, _ in models}
        pool_engine = "serial" if len(by_structure) == 1 else self.engine
        # (the draws do not depend on the cores: worker processes sample on one each)
        sampler = self.sampler if pool_engine == "serial" else in_workers(self.sampler)
        data = self.data
        tasks = []
        for structure, k in models:
            folder = (
                None if store is None else store.directory / "models" / model_name(structure, k)
            )
            tasks.append(
                ModelTask(
                    structure,
                    k,
                    data.values,
                    data.feature_names,
                    self.prior,
                    sampler,
                    self.entropy,
                    folder,
                )
            )
        found: dict[str, object] = {}
        todo = []
        for task in tasks:
            if task.folder is not None and (task.folder / "comparison.json").is_file():
                found[task.key] = Comparison.load(task.folder)
            else:
                todo.append(task)
        bar = Progress(
            len(tasks),
            enabled=self.progress,
            label="select",
            unit="posteriors",
            first="each new model is compiled first (up to a minute or two with an empty "
            "compile cache)",
        )
        bar.begin(len(tasks) - len(todo), self.where(pool_engine))
        groups: dict[str, list[ModelTask]] = {}
        for task in todo:
            groups.setdefault(task.structure, []).append(task)
        failed = []
        try:
            if todo:
                with executor(pool_engine, self.workers, self.address) as pool:
                    for result in run_tasks(
                        list(groups.values()), pool, lambda r: None, _run_group, _group_failure
                    ):
                        for key, value in result["models"].items():
                            if isinstance(value, str):
                                failed.append(f"{key}: {value}")
                            else:
                                found[key] = (
                                    Comparison.load(value) if isinstance(value, Path) else value
                                )
                            bar.update(failed=isinstance(value, str))
        finally:
            bar.end()
        if failed:
            raise GMMError(
                "select: the posterior failed for "
                + "; ".join(failed)
                + ("; finished models are kept: rerun to retry" if store is not None else "")
            )
        return {model_name(s, k): found[model_name(s, k)] for s, k in models}


def _run_group(tasks: list[ModelTask]) -> dict:
    """Run the models of one structure in turn: ``{"models": {name: result or error}}``."""
    out = {}
    for task in tasks:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # each model's warnings are in its row
                out[task.key] = run_model(task)
        except GMMError as exc:
            out[task.key] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return {"models": out}


def _grid_failure(task: GridTask, error: str) -> dict:
    return {"key": task.key, "rows": [], "replication": {"k": task.k, "error": error}}


def _group_failure(tasks: list[ModelTask], error: str) -> dict:
    return {"models": {task.key: error for task in tasks}}


def _empty_bayes() -> pd.DataFrame:
    from gmm_pp.selection.bayes import BAYES_COLUMNS

    return pd.DataFrame(columns=["structure", "k", *BAYES_COLUMNS])
