"""The Bayesian side of a model selection: posteriors, PSIS-LOO and stacking weights.

Each model is fitted by :func:`gmm_pp.compare` (EM, MAP-EM, PyMC's MAP and the
posterior); its predictive accuracy is PSIS-LOO's ``elpd_loo`` through ArviZ
(:func:`gmm_pp.loo.loo`: ``az.loo``, or ``az.loo_subsample`` at large n), and
the models' stacking weights are ``az.compare``'s.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import em
from gmm_pp.config import SamplerConfig
from gmm_pp.loo import stacking_weights

__all__ = [
    "BAYES_COLUMNS",
    "ModelTask",
    "in_workers",
    "loo_rows",
    "model_name",
    "parse_model_name",
    "run_model",
]

#: The columns of the Bayesian side's rows (higher elpd_loo is better).
BAYES_COLUMNS = (
    "elpd_loo",
    "elpd_loo_se",
    "elpd_loo_subsampling_se",
    "loo_points",
    "p_loo",
    "pareto_k_over_0_7",
    "elpd_diff",
    "elpd_diff_se",
    "stacking_weight",
    "rhat_max",
    "ess_bulk_min",
    "divergences",
    "posterior_warnings",
)


def model_name(structure: str, k: int) -> str:
    """A model's name in tables, files and ``az.compare``: ``"tied-K3"``."""
    return f"{structure}-K{k}"


def parse_model_name(name: str) -> tuple[str, int]:
    """``"tied-K3"`` -> ``("tied", 3)``, the inverse of :func:`model_name`."""
    structure, k = name.rsplit("-K", 1)
    return structure, int(k)


@dataclass(frozen=True)
class ModelTask:
    """One model's posterior.

    Attributes
    ----------
    structure : str
    k : int
    X : ndarray of shape (n_samples, n_features)
    feature_names : tuple of str or None
    prior : GMMPrior
    sampler : SamplerConfig
    entropy : int
        The selection's root seed; the model's is ``SeedSequence(entropy,
        spawn_key=(1, structure index, K))``.
    folder : Path or None
        Where to save the comparison (``Comparison.save``); None returns it.
    """

    structure: str
    k: int
    X: np.ndarray
    feature_names: tuple[str, ...] | None
    prior: em.GMMPrior
    sampler: SamplerConfig
    entropy: int
    folder: Path | None = None

    @property
    def key(self) -> str:
        """The model's name (:func:`model_name`)."""
        return model_name(self.structure, self.k)

    @property
    def seed(self) -> int:
        """The seed handed to :func:`gmm_pp.compare`."""
        index = em.COVARIANCE_TYPES.index(self.structure)
        seq = np.random.SeedSequence(self.entropy, spawn_key=(1, index, self.k))
        return int(seq.generate_state(1)[0])


def run_model(task: ModelTask):
    """Compare the fits of one model; save it to ``task.folder`` when given.

    Returns
    -------
    Comparison or Path
        The comparison, or the folder it was saved to (a worker process then
        sends back a path, not the posterior).
    """
    from gmm_pp.pipeline import compare

    comparison = compare(
        task.X,
        task.k,
        prior=task.prior,
        sampler=task.sampler,
        seed=task.seed,
        covariance=task.structure,
        feature_names=task.feature_names,
    )
    if task.folder is None:
        return comparison
    return comparison.save(task.folder, overwrite=True)


def loo_rows(comparisons: dict, seed: int | None = None) -> list[dict]:
    """PSIS-LOO of every posterior, and the stacking weights of them all.

    Parameters
    ----------
    comparisons : dict
        ``{model name: Comparison}``.
    seed : int, optional
        Draws the one subsample every model's PSIS-LOO shares at large n.

    Returns
    -------
    list of dict
        One row per model (``structure``, ``k`` and :data:`BAYES_COLUMNS`), in
        the order given.
    """
    import arviz as az
    import pandas as pd

    shared = int(np.random.SeedSequence(seed, spawn_key=(2,)).generate_state(1)[0])
    loos = {name: c.loo(seed=shared) for name, c in comparisons.items()}
    elpds = {name: result.elpd_data for name, result in loos.items()}
    ranked = az.compare(elpds, method="stacking", round_to="none") if len(loos) > 1 else None
    if ranked is not None and any(r.subsampled for r in loos.values()):
        # ArviZ's stacking sees the subsample's NaNs and returns equal weights
        weights = stacking_weights(list(loos.values()))
        ranked["weight"] = pd.Series(dict(zip(loos, weights, strict=True)))
    rows = []
    for name, c in comparisons.items():
        loo = loos[name]
        diag = c.diagnostics
        row = {
            "structure": c.covariance_type,
            "k": c.n_components,
            "elpd_loo": loo.elpd,
            "elpd_loo_se": loo.se,
            "elpd_loo_subsampling_se": loo.subsampling_se,
            "loo_points": loo.n_evaluated,
            "p_loo": loo.p,
            "pareto_k_over_0_7": loo.pareto_k_bad,
            "elpd_diff": 0.0 if ranked is None else float(ranked.loc[name, "elpd_diff"]),
            "elpd_diff_se": 0.0 if ranked is None else float(ranked.loc[name, "dse"]),
            "stacking_weight": 1.0 if ranked is None else float(ranked.loc[name, "weight"]),
            "rhat_max": float(diag.rhat_max),
            "ess_bulk_min": float(diag.ess_bulk_min),
            "divergences": int(diag.divergences),
            "posterior_warnings": " | ".join(c.warnings()),
        }
        rows.append(row)
    return rows


def in_workers(sampler: SamplerConfig) -> SamplerConfig:
    """The sampler as worker processes run it: one core each, no progress bar."""
    return dataclasses.replace(sampler, cores=1, progress=False)
