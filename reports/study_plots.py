"""Figures of a validation study: they draw numbers computed by :mod:`gmm_pp.study.metrics`.

Each function takes plain records (lists of dicts, as in a study's
``summary.json``) and an optional ``ax``/``axes``, and returns ``(fig, axes)``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from reports.style import COLORS

__all__ = ["plot_accuracy", "plot_coverage", "plot_recovery", "plot_sbc"]

#: The criteria of a selection scenario: label, colour, marker (Okabe and Ito).
_CRITERIA = {
    "bic": ("BIC", "#0072B2", "o"),
    "icl": ("ICL", "#E69F00", "s"),
    "aic": ("AIC", "#009E73", "^"),
    "elpd_loo": ("PSIS-LOO", "#D55E00", "D"),
    "stacking_weight": ("stacking", "#CC79A7", "v"),
}

_ESTIMATORS = ("EM (MLE)", "PyMC MAP", "posterior mean")


def plot_coverage(coverage: list[dict], ax=None):
    """Coverage of the central posterior intervals against their nominal level.

    Parameters
    ----------
    coverage : list of dict
        Records with ``scenario``, ``nominal``, ``coverage``, ``mcse``.
    """
    if ax is None:
        ax = Figure(figsize=(5.5, 4.5), layout="constrained").subplots()
    fig = ax.figure
    scenarios = sorted({r["scenario"] for r in coverage})
    shift = np.linspace(-0.01, 0.01, max(len(scenarios), 1))
    for i, name in enumerate(scenarios):
        rs = sorted((r for r in coverage if r["scenario"] == name), key=lambda r: r["nominal"])
        x = np.array([r["nominal"] for r in rs]) + shift[i]
        ax.errorbar(
            x,
            [r["coverage"] for r in rs],
            yerr=[2 * r["mcse"] for r in rs],
            marker="o",
            capsize=3,
            label=name,
        )
    ax.plot([0.4, 1.0], [0.4, 1.0], color="grey", ls="--", lw=1, label="nominal")
    ax.set(
        xlabel="nominal level of the central interval",
        ylabel="share of intervals holding the truth",
        xlim=(0.4, 1.0),
        ylim=(0.3, 1.02),
        title="Posterior interval coverage (bars: 2 MCSE)",
    )
    ax.legend(fontsize="small")
    return fig, ax


def plot_accuracy(accuracy: list[dict], axes=None):
    """Mean |bias| and RMSE against n, per kind of parameter and estimator.

    Parameters
    ----------
    accuracy : list of dict
        Records with ``scenario``, ``n``, ``kind``, ``estimator``, ``abs_bias``, ``rmse``
        (already averaged over the parameters of a kind).
    """
    present = {r["kind"] for r in accuracy}
    kinds = ["weights", "means", "variances"] + (
        ["covariances"] if "covariances" in present else []
    )
    if axes is None:
        size = (11 * len(kinds) / 3, 6)
        axes = Figure(figsize=size, layout="constrained").subplots(2, len(kinds), squeeze=False)
    fig = axes[0, 0].figure
    bases = sorted({r["scenario"].split("/")[0] for r in accuracy})
    markers = dict(zip(bases, "osD^v<>", strict=False))
    for col, kind in enumerate(kinds):
        for row, metric in enumerate(("abs_bias", "rmse")):
            ax = axes[row, col]
            for base in bases:
                for est in _ESTIMATORS:
                    colour = COLORS[est]
                    rs = sorted(
                        (
                            r
                            for r in accuracy
                            if r["kind"] == kind
                            and r["estimator"] == est
                            and r["scenario"].split("/")[0] == base
                        ),
                        key=lambda r: r["n"],
                    )
                    if not rs:
                        continue
                    ax.plot(
                        [r["n"] for r in rs],
                        [r[metric] for r in rs],
                        marker=markers[base],
                        color=colour,
                        label=f"{est} ({base})",
                    )
            ax.set_xscale("log")
            ax.set(
                xlabel="n (points)",
                ylabel="mean |bias|" if metric == "abs_bias" else "RMSE",
                title=kind,
            )
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        axes[0, 0].legend(fontsize="x-small")
    return fig, axes


def plot_sbc(histograms: list[dict], axes=None):
    """SBC rank histograms, with the band a uniform histogram stays in (99% per bin).

    Parameters
    ----------
    histograms : list of dict
        Records with ``scenario``, ``parameter``, ``edges``, ``counts``, ``band``, ``pvalue``.
    """
    n = len(histograms)
    cols = min(4, max(n, 1))
    rows = max(1, -(-n // cols))
    if axes is None:
        figure = Figure(figsize=(3 * cols, 2.4 * rows), layout="constrained")
        axes = figure.subplots(rows, cols, squeeze=False)
    fig = axes.flat[0].figure
    for ax, h in zip(axes.flat, histograms, strict=False):
        edges = np.asarray(h["edges"])
        band = np.asarray(h["band"])
        ax.stairs(band[1], edges, baseline=band[0], fill=True, color="0.85", label="uniform 99%")
        ax.stairs(h["counts"], edges, color=COLORS["posterior"], lw=1.5, label="ranks")
        ax.set_title(f"{h['scenario']}: {h['parameter']}\np = {h['pvalue']:.3f}", fontsize="small")
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if n:
        axes.flat[0].legend(fontsize="x-small")
    return fig, axes


def plot_recovery(recovery: list[dict], axes=None):
    """How often each criterion chose the true model (left) and the true K (right), against n.

    Parameters
    ----------
    recovery : list of dict
        Records with ``scenario``, ``n``, ``criterion``, ``rate``, ``mcse``,
        ``rate_k``, ``mcse_k`` (:func:`gmm_pp.study.metrics.recovery`).
    """
    if axes is None:
        axes = Figure(figsize=(11, 4.2), layout="constrained").subplots(1, 2)
    fig = axes[0].figure
    bases = sorted({r["scenario"].split("/")[0] for r in recovery})
    styles = dict(zip(bases, ["-", "--", ":", "-."], strict=False))
    panels = [("rate", "mcse", "the true model"), ("rate_k", "mcse_k", "the true K")]
    for ax, (rate, mcse, what) in zip(axes, panels, strict=True):
        for base in bases:
            for criterion, (label, colour, marker) in _CRITERIA.items():
                rs = [
                    r
                    for r in recovery
                    if r["criterion"] == criterion and r["scenario"].split("/")[0] == base
                ]
                rs.sort(key=lambda r: r["n"])
                if not rs:
                    continue
                ax.errorbar(
                    [r["n"] for r in rs],
                    [r[rate] for r in rs],
                    yerr=[2 * r[mcse] for r in rs],
                    color=colour,
                    marker=marker,
                    ls=styles[base],
                    capsize=3,
                    label=label if len(bases) == 1 else f"{label} ({base})",
                )
        ns = sorted({r["n"] for r in recovery})
        ax.set_xticks(ns)
        ax.set(
            xlabel="n (points)",
            ylabel="share of replications",
            ylim=(-0.03, 1.03),
            title=f"How often each criterion chose {what}",
        )
        ax.axhline(1.0, color="0.8", lw=0.8)
    if recovery:
        axes[0].legend(fontsize="small")
    return fig, axes
