"""The HTML report of a validation study (written atomically, images embedded)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from reports.html import render_page, save_figure, write_page
from reports.style import RHAT_MAX

__all__ = [
    "render_study_report",
    "study_captions",
    "study_figure_data",
    "write_study_report",
]

#: A rate within this many Monte-Carlo standard errors of its target agrees with it.
_MCSE_BAND = 2.0
#: Below this p-value an SBC rank histogram is called non-uniform.
_SBC_ALPHA = 0.01


def _base(scenario: str) -> str:
    """A scenario's name without its grid values (``separated/n=50`` -> ``separated``)."""
    return scenario.split("/")[0]


def _coverage_text(records: list[dict]) -> str:
    off = [r for r in records if abs(r["coverage"] - r["nominal"]) > _MCSE_BAND * r["mcse"]]
    text = (
        "How often the posterior's central 50%, 80% and 94% intervals held the true value, "
        "over every replication and parameter (a fixed truth, or one drawn from the prior "
        "for SBC scenarios). A calibrated posterior lies on the dashed line, within its "
        "Monte-Carlo error (bars: 2 MCSE). "
    )
    if not off:
        return text + (
            f"All {len(records)} rates are within 2 MCSE of their nominal level: no sign of "
            "miscalibration at this number of replications."
        )
    worst = max(off, key=lambda r: abs(r["coverage"] - r["nominal"]) / max(r["mcse"], 1e-12))
    return text + (
        f"{len(off)} of {len(records)} rates are further than 2 MCSE from their nominal level; "
        f"the furthest: {worst['scenario']}, {worst['nominal']:.0%} intervals cover "
        f"{worst['coverage']:.1%} +- {worst['mcse']:.1%}."
    )


def _trend(rs: list[dict], value: str, noise: str | None) -> str:
    """``falls``, ``rises`` or ``no clear change`` from the smallest n to the largest."""
    first, last = rs[0], rs[-1]
    margin = _MCSE_BAND * (first[noise] + last[noise]) if noise else 0.0
    if last[value] < first[value] - margin:
        return "falls"
    if last[value] > first[value] + margin:
        return "rises"
    return "no clear change"


def _accuracy_text(records: list[dict]) -> str:
    text = (
        "The error of each point estimate against the truth, averaged over the parameters "
        "of a kind: EM's MLE, the PyMC MAP and the posterior mean; scenarios with a fixed "
        "truth only (an SBC scenario's truth changes every replication: its calibration is "
        "the SBC figure's). Bars: 2 Monte-Carlo standard errors of the mean |bias|. "
    )
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["scenario_base"], r["estimator"], r["kind"]), []).append(r)
    trends = {}
    for key, rs in groups.items():
        rs.sort(key=lambda r: r["n"])
        if len(rs) > 1:
            trends[key] = (_trend(rs, "rmse", None), _trend(rs, "abs_bias", "abs_bias_mcse"))
    if not trends:
        text += (
            "Each scenario has one n here, so nothing can be said about how errors change with n."
        )
    else:
        falling = [k for k, (rmse, _) in trends.items() if rmse == "falls"]
        text += (
            f"RMSE falls from the smallest n to the largest for all {len(trends)} "
            "estimator-kind pairs. "
            if len(falling) == len(trends)
            else f"RMSE falls with n for {len(falling)} of {len(trends)} estimator-kind pairs; "
            "not for "
            + ", ".join(
                f"{e}'s {kind} ({b})"
                for (b, e, kind), _ in trends.items()
                if (b, e, kind) not in falling
            )
            + ". "
        )
        bias = {k: b for k, (_, b) in trends.items()}
        shrink = sum(b == "falls" for b in bias.values())
        grow = [k for k, b in bias.items() if b == "rises"]
        text += f"The mean |bias| falls beyond its Monte-Carlo error for {shrink} of {len(bias)}"
        text += (
            "; it rises for " + ", ".join(f"{e}'s {kind} ({b})" for b, e, kind in grow) + ". "
            if grow
            else "; it rises for none. "
        )
    variance = [r for r in records if r["estimator"] == "EM (MLE)" and r["kind"] == "variances"]
    if variance:
        small = min(variance, key=lambda r: r["n"])
        low = small["bias"] + _MCSE_BAND * small["bias_mcse"] < 0
        text += (
            f"At n = {small['n']} the MLE's variances are biased low by {-small['bias']:.3g} "
            f"on average (+- {_MCSE_BAND * small['bias_mcse']:.2g}), as the maximum "
            "likelihood's divisor n, not n - 1, predicts."
            if low
            else f"At n = {small['n']} the MLE's variances show no clear bias "
            f"({small['bias']:+.3g} +- {_MCSE_BAND * small['bias_mcse']:.2g})."
        )
    return text


def _sbc_text(histograms: list[dict]) -> str:
    text = (
        "With the truth drawn from the prior, the rank of the truth among posterior draws "
        "is uniform when the inference is right. Bars outside the grey band (where a uniform "
        "histogram's bin stays 99% of the time), a U shape (too narrow) or a hump (too "
        "wide) signal a problem; p is a chi-square test of uniformity. "
    )
    bad = [h for h in histograms if h["pvalue"] < _SBC_ALPHA]
    worst = min(histograms, key=lambda h: h["pvalue"])
    if not bad:
        return text + (
            f"None of the {len(histograms)} histograms rejects uniformity at p < {_SBC_ALPHA} "
            f"(smallest p = {worst['pvalue']:.3f}, {worst['parameter']})."
        )
    return text + (
        f"{len(bad)} of {len(histograms)} histograms reject uniformity at p < {_SBC_ALPHA} "
        f"(smallest p = {worst['pvalue']:.2g}, {worst['parameter']}); of {len(histograms)} "
        f"uniform histograms, {_SBC_ALPHA * len(histograms):.2g} would on average by chance."
    )


def _recovery_text(records: list[dict]) -> str:
    text = (
        "Each replication of a selection scenario simulates data from a known K and "
        "covariance structure and runs the model selection; the share of replications in "
        "which each criterion preferred the true model (left) and the true K (right), with "
        "bars of 2 Monte-Carlo standard errors. "
    )
    largest = max(r["n"] for r in records)
    at = [r for r in records if r["n"] == largest]
    best = max(at, key=lambda r: r["rate"])
    return text + (
        f"At n = {largest}, {best['criterion'].upper()} chose the true model most often: "
        f"{best['rate']:.0%} +- {best['mcse']:.0%} ({best['scenario']}). The table below gives "
        "every rate."
    )


def study_captions(data: dict) -> dict[str, tuple[str, str]]:
    """Title and caption of each study figure, every claim computed from ``data``.

    Parameters
    ----------
    data : dict
        :func:`study_figure_data`.
    """
    out = {}
    if data["coverage"]:
        out["coverage"] = ("Coverage", _coverage_text(data["coverage"]))
    if data["accuracy"]:
        out["accuracy"] = ("Bias and RMSE against n", _accuracy_text(data["accuracy"]))
    if data["sbc"]:
        out["sbc"] = ("Simulation-based calibration", _sbc_text(data["sbc"]))
    if data["recovery"]:
        out["recovery"] = (
            "Model selection: how often each criterion recovers the truth",
            _recovery_text(data["recovery"]),
        )
    return out


def _mean_mcse(rs: list[dict]) -> float:
    """The Monte-Carlo standard error of a mean over parameters (their errors independent)."""
    return float(np.sqrt(np.nansum(np.square([r["bias_mcse"] for r in rs])))) / len(rs)


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
        if r.get("truth_mode") == "prior":  # SBC: a new truth every replication
            continue
        key = (r["scenario"], r["n"], r["kind"], r["estimator"])
        acc.setdefault(key, []).append(r)
    accuracy = [
        {
            "scenario": s,
            "scenario_base": _base(s),
            "n": n,
            "kind": kind,
            "estimator": est,
            "abs_bias": float(np.nanmean([abs(r["bias"]) for r in rs])),
            "abs_bias_mcse": _mean_mcse(rs),
            "bias": float(np.nanmean([r["bias"] for r in rs])),
            "bias_mcse": _mean_mcse(rs),
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
    coverage = [
        {**r, "label": f"{r['scenario']} (truth from the prior)"
         if r.get("truth_mode") == "prior" else r["scenario"]}
        for r in summary.get("coverage", [])
    ]  # fmt: skip
    return {
        "coverage": coverage,
        "accuracy": accuracy,
        "sbc": sbc,
        "recovery": summary.get("recovery", []),
        "scenarios": sorted({_base(r["scenario"]) for r in summary.get("coverage", [])}
                            | {_base(r["scenario"]) for r in summary.get("recovery", [])}),
    }  # fmt: skip


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
    captions = study_captions(data)
    figures = []
    for name, (draw, records) in drawers.items():
        if not records:
            continue
        fig, _ = draw(records, scenarios=data["scenarios"])
        figures.append(save_figure(fig, tmp, name, captions[name], dpi=100))
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
    payload = {**data, "captions": {k: list(v) for k, v in captions.items()}}
    (tmp / "data.json").write_text(json.dumps(payload, allow_nan=True, default=float), "utf-8")
    return tmp / "index.html"
