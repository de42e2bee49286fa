"""The HTML report of a validation study (written atomically, images embedded)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from reports.html import render_page, save_figure, write_page
from reports.style import RHAT_MAX

__all__ = ["render_study_report", "study_figure_data", "write_study_report"]

CAPTIONS = {
    "coverage": (
        "Coverage",
        "How often the posterior's central 50%, 80% and 94% intervals held the true value, "
        "over every replication and parameter. A calibrated posterior lies on the dashed "
        "line, within its Monte-Carlo error (bars).",
    ),
    "accuracy": (
        "Bias and RMSE against n",
        "The error of each point estimate against the truth, averaged over the parameters "
        "of a kind: EM's MLE, the PyMC MAP and the posterior mean. All shrink as n grows; "
        "at small n the prior pulls the MAP and the posterior mean, and the MLE's variances "
        "are biased low.",
    ),
    "recovery": (
        "Model selection: how often each criterion recovers the truth",
        "Each replication of a selection scenario simulates data from a known K and "
        "covariance structure and runs the model selection; the share of replications in "
        "which each criterion preferred the true model (left) and the true K (right), with "
        "bars of 2 Monte-Carlo standard errors. The table below gives every rate.",
    ),
    "sbc": (
        "Simulation-based calibration",
        "With the truth drawn from the prior, the rank of the truth among posterior draws "
        "is uniform when the inference is right. Bars outside the grey band, a U shape "
        "(too narrow) or a hump (too wide) signal a problem; p is a chi-square test of "
        "uniformity.",
    ),
}


def study_figure_data(parameters, summary: dict, bins: int = 10) -> dict:
    """Every number the study's figures draw.

    Parameters
    ----------
    parameters : DataFrame
        The study's per-parameter table.
    summary : dict
        Its :func:`gmm_pp.study.metrics.summarise`.
    bins : int
        SBC histogram bins.

    Returns
    -------
    dict
        ``coverage``, ``accuracy`` (mean |bias| and RMSE per scenario, n, kind and
        estimator) and ``sbc`` (one histogram per scenario and parameter).
    """
    from gmm_pp.study.metrics import rank_histogram

    acc = {}
    for r in summary.get("accuracy", []):
        key = (r["scenario"], r["n"], r["kind"], r["estimator"])
        acc.setdefault(key, []).append(r)
    accuracy = [
        {
            "scenario": s,
            "n": n,
            "kind": kind,
            "estimator": est,
            "abs_bias": float(np.nanmean([abs(r["bias"]) for r in rs])),
            "rmse": float(np.nanmean([r["rmse"] for r in rs])),
        }
        for (s, n, kind, est), rs in sorted(acc.items())
    ]
    pvalues = {(r["scenario"], r["parameter"]): r["pvalue"] for r in summary.get("sbc", [])}
    sbc = []
    if len(parameters):
        prior = parameters[parameters["truth_mode"] == "prior"]
        for (scenario, parameter), group in prior.groupby(["scenario", "parameter"], sort=True):
            h = rank_histogram(group["rank"].to_numpy(), int(group["rank_draws"].max()), bins)
            sbc.append(
                {
                    "scenario": scenario,
                    "parameter": parameter,
                    "pvalue": pvalues.get((scenario, parameter), float("nan")),
                    **{k: np.asarray(v).tolist() for k, v in h.items()},
                }
            )
    return {
        "coverage": summary.get("coverage", []),
        "accuracy": accuracy,
        "sbc": sbc,
        "recovery": summary.get("recovery", []),
    }


def write_study_report(result, out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``index.html``, the figures' PNGs and ``data.json`` for a study.

    All of it or nothing, under gmm-pp's output policy (:mod:`gmm_pp.io`).

    Parameters
    ----------
    result : gmm_pp.study.StudyResult
    out_dir : str or Path
    overwrite : bool, default False
        Replace an existing non-empty folder (``gmm-pp study`` replaces the
        study's own ``report/`` on every run).

    Returns
    -------
    Path
        The path of ``index.html``.
    """
    return write_page(render_study_report, result, out_dir, overwrite=overwrite)


def render_study_report(result, folder: str | Path) -> Path:
    """Write a study report's files into the existing folder ``folder`` (not atomic)."""
    from reports import study_plots

    tmp = Path(folder)
    data = study_figure_data(result.parameters, result.summary)
    drawers = {
        "coverage": (study_plots.plot_coverage, data["coverage"]),
        "accuracy": (study_plots.plot_accuracy, data["accuracy"]),
        "sbc": (study_plots.plot_sbc, data["sbc"]),
        "recovery": (study_plots.plot_recovery, data["recovery"]),
    }
    figures = []
    for name, (draw, records) in drawers.items():
        if not records:
            continue
        fig, _ = draw(records)
        figures.append(save_figure(fig, tmp, name, CAPTIONS[name], dpi=100))
    reps = result.replications
    failed = reps[reps["error"].fillna("") != ""] if len(reps) else reps
    render_page(
        tmp,
        "study.html.j2",
        summary_text=result.text(),
        failures=result.summary.get("failures", []),
        errors=[
            {"key": r["key"], "scenario": r["scenario"], "error": r["error"]}
            for r in failed.to_dict("records")
        ],
        sbc=result.summary.get("sbc", []),
        recovery=result.summary.get("recovery", []),
        figures=figures,
        rhat_max=RHAT_MAX,
    )
    (tmp / "data.json").write_text(json.dumps(data, allow_nan=True, default=float), "utf-8")
    return tmp / "index.html"
