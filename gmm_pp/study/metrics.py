"""What a study measures, from its tidy tables: bias, RMSE, coverage, SBC ranks, failures.

Pure functions of pandas tables (see :mod:`gmm_pp.study.store` for the
columns); they compute every number the study report shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from gmm_pp.diagnostics import RHAT_MAX
from gmm_pp.study.replicate import INTERVALS

__all__ = [
    "ESTIMATORS",
    "accuracy",
    "coverage",
    "coverage_rate",
    "failures",
    "rank_histogram",
    "recovery",
    "sbc",
    "summarise",
    "uniformity_pvalue",
]

#: Point estimates compared with the truth: column -> label.
ESTIMATORS = {"em": "EM (MLE)", "map": "PyMC MAP", "post_mean": "posterior mean"}

_KEYS = ["scenario", "n", "k", "d", "truth_mode"]
#: Columns of a replication's record that the failure shares read.
_RECORD_COLUMNS = [
    "error",
    "em_converged",
    "em_degenerate",
    "em_degenerate_restarts",
    "em_restarts",
    "rhat_max",
    "divergences",
    "seconds_total",
    "seconds_sample",
]


def coverage_rate(inside: np.ndarray) -> tuple[float, float]:
    """Share of True in ``inside`` and its Monte-Carlo standard error sqrt(c(1-c)/R).

    Parameters
    ----------
    inside : ndarray of bool, shape (R,)

    Returns
    -------
    (rate, mcse) : tuple of float
    """
    inside = np.asarray(inside, dtype=bool)
    r = inside.size
    if r == 0:
        return float("nan"), float("nan")
    c = inside.mean()
    return float(c), float(np.sqrt(c * (1 - c) / r))


def uniformity_pvalue(ranks: np.ndarray, n_draws: int, bins: int = 10) -> float:
    """Chi-square test that SBC ranks are uniform on {0, ..., n_draws}.

    The ``n_draws + 1`` possible ranks are grouped into ``bins`` bins of
    (nearly) equal size; expected counts are proportional to each bin's number
    of ranks, so unequal bins stay exact.

    Parameters
    ----------
    ranks : ndarray of int, shape (R,)
    n_draws : int
        Draws each rank was taken among.
    bins : int

    Returns
    -------
    float
        The p-value (NaN with fewer than 2 ranks).
    """
    ranks = np.asarray(ranks, dtype=int)
    if ranks.size < 2:
        return float("nan")
    counts, expected = _binned(ranks, n_draws, bins)
    return float(stats.chisquare(counts, expected * ranks.size).pvalue)


def _binned(ranks: np.ndarray, n_draws: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    bins = max(1, min(bins, n_draws + 1))
    edges = np.linspace(0, n_draws + 1, bins + 1).round().astype(int)
    counts = np.histogram(ranks, bins=edges)[0]
    expected = np.diff(edges) / (n_draws + 1)
    return counts, expected


def rank_histogram(ranks: np.ndarray, n_draws: int, bins: int = 10) -> dict:
    """Counts per bin and the band a uniform histogram stays in 99% of the time per bin.

    Returns
    -------
    dict
        ``edges`` (bins + 1,), ``counts`` (bins,), ``expected`` (bins,),
        ``band`` (2, bins): binomial 0.5% and 99.5% quantiles.
    """
    ranks = np.asarray(ranks, dtype=int)
    counts, share = _binned(ranks, n_draws, bins)
    edges = np.linspace(0, n_draws + 1, len(counts) + 1).round().astype(int)
    band = np.array(
        [stats.binom.ppf(0.005, ranks.size, share), stats.binom.ppf(0.995, ranks.size, share)]
    )
    return {"edges": edges, "counts": counts, "expected": share * ranks.size, "band": band}


def accuracy(parameters: pd.DataFrame) -> pd.DataFrame:
    """Bias and RMSE of each estimator against the truth, per scenario and parameter.

    Returns
    -------
    DataFrame
        Columns: scenario keys, ``parameter``, ``kind``, ``estimator``, ``bias``,
        ``rmse``, ``bias_mcse`` (sd / sqrt(R)), ``replications``.
    """
    rows = []
    for keys, group in parameters.groupby([*_KEYS, "parameter", "kind"], sort=True):
        for column, label in ESTIMATORS.items():
            err = (group[column] - group["truth"]).to_numpy()
            err = err[np.isfinite(err)]
            r = err.size
            rows.append(
                dict(
                    zip([*_KEYS, "parameter", "kind"], keys, strict=True),
                    estimator=label,
                    bias=float(err.mean()) if r else np.nan,
                    rmse=float(np.sqrt(np.mean(err**2))) if r else np.nan,
                    bias_mcse=float(err.std(ddof=1) / np.sqrt(r)) if r > 1 else np.nan,
                    replications=r,
                )
            )
    return pd.DataFrame(rows)


def coverage(parameters: pd.DataFrame, *, by_parameter: bool = False) -> pd.DataFrame:
    """How often each central posterior interval holds the truth, with its MCSE.

    Parameters
    ----------
    parameters : DataFrame
    by_parameter : bool
        Per parameter, or pooled over a scenario's parameters (the default).

    Returns
    -------
    DataFrame
        Columns: scenario keys (and ``parameter``), ``nominal``, ``coverage``,
        ``mcse``, ``intervals``.  Pooled rates count every (replication,
        parameter) interval; their MCSE treats them as independent.
    """
    keys = [*_KEYS, "parameter"] if by_parameter else _KEYS
    rows = []
    for values, group in parameters.groupby(keys, sort=True):
        for level in INTERVALS:
            tag = round(level * 100)
            inside = (group[f"lo{tag}"] <= group["truth"]) & (group["truth"] <= group[f"hi{tag}"])
            rate, mcse = coverage_rate(inside.to_numpy())
            rows.append(
                dict(
                    zip(keys, values, strict=True),
                    nominal=level,
                    coverage=rate,
                    mcse=mcse,
                    intervals=int(inside.size),
                )
            )
    return pd.DataFrame(rows)


def sbc(parameters: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """SBC uniformity p-values per scenario (truth drawn from the prior) and parameter."""
    rows = []
    prior = parameters[parameters["truth_mode"] == "prior"]
    for keys, group in prior.groupby([*_KEYS, "parameter"], sort=True):
        n_draws = int(group["rank_draws"].max())
        rows.append(
            dict(
                zip([*_KEYS, "parameter"], keys, strict=True),
                pvalue=uniformity_pvalue(group["rank"].to_numpy(), n_draws, bins),
                replications=len(group),
                rank_draws=n_draws,
            )
        )
    return pd.DataFrame(rows)


def failures(replications: pd.DataFrame) -> pd.DataFrame:
    """Per scenario: replications, errors, non-converged and degenerate EM, sampler trouble."""
    rows = []
    # Replications that failed carry no fit columns: when every one failed, those
    # columns are absent altogether, and every share below is NaN (no fit to count).
    replications = replications.reindex(
        columns=list(dict.fromkeys([*replications.columns, *_RECORD_COLUMNS]))
    )
    for keys, group in replications.groupby(_KEYS, sort=True):
        ok = group[group["error"].fillna("") == ""]  # shares over these; NaN when none
        restarts = ok["em_restarts"].sum()
        rows.append(
            dict(
                zip(_KEYS, keys, strict=True),
                replications=len(group),
                errors=int(len(group) - len(ok)),
                em_not_converged=float((~ok["em_converged"].astype(bool)).mean()),
                em_degenerate=float(ok["em_degenerate"].astype(bool).mean()),
                em_degenerate_restarts=float(ok["em_degenerate_restarts"].sum() / restarts)
                if restarts
                else np.nan,
                rhat_over_1_01=float((ok["rhat_max"] > RHAT_MAX).mean()),
                with_divergences=float((ok["divergences"] > 0).mean()),
                seconds_median=float(group["seconds_total"].median()),
                seconds_sample_median=float(ok["seconds_sample"].median()),
            )
        )
    return pd.DataFrame(rows)


def recovery(replications: pd.DataFrame) -> pd.DataFrame:
    """Selection scenarios: how often each criterion chose the true model, and the true K.

    Returns
    -------
    DataFrame
        Per scenario and criterion: ``rate`` (the true structure and K) and
        ``rate_k`` (the true K), each with its Monte-Carlo standard error
        ``sqrt(p (1 - p) / R)``, over the ``replications`` where the criterion
        was computed.  Empty when the study has no selection scenario.
    """
    columns = [c for c in replications.columns if c.startswith("correct_") and
               not c.startswith("correct_k_")]  # fmt: skip
    rows = []
    if not columns:
        return pd.DataFrame(rows)
    chosen = replications[replications["error"].fillna("") == ""]
    chosen = chosen[chosen["truth_model"].notna()] if "truth_model" in chosen else chosen.iloc[:0]
    for keys, group in chosen.groupby(_KEYS, sort=True):
        for column in columns:
            criterion = column.removeprefix("correct_")
            model = group[column].dropna().to_numpy(dtype=float).astype(bool)
            k = group[f"correct_k_{criterion}"].dropna().to_numpy(dtype=float).astype(bool)
            if not model.size:
                continue
            rate, mcse = coverage_rate(model)
            rate_k, mcse_k = coverage_rate(k)
            rows.append(
                dict(
                    zip(_KEYS, keys, strict=True),
                    truth_model=str(group["truth_model"].iloc[0]),
                    criterion=criterion,
                    rate=rate,
                    mcse=mcse,
                    rate_k=rate_k,
                    mcse_k=mcse_k,
                    replications=int(model.size),
                )
            )
    return pd.DataFrame(rows)


def summarise(parameters: pd.DataFrame, replications: pd.DataFrame) -> dict:
    """Every metric, as plain JSON-ready records."""
    out = {"replications": int(len(replications))}
    if not replications.empty:
        out["failures"] = failures(replications).to_dict("records")
        found = recovery(replications)
        if not found.empty:
            out["recovery"] = found.to_dict("records")
    if not parameters.empty:
        out["coverage"] = coverage(parameters).to_dict("records")
        out["accuracy"] = accuracy(parameters).to_dict("records")
        out["sbc"] = sbc(parameters).to_dict("records")
    return out
