"""Figures of a validation study: they draw numbers computed by :mod:`gmm_pp.study.metrics`.

Each function takes plain records (lists of dicts, as in a study's
``summary.json`` and :func:`reports.study.study_figure_data`), the study's
scenario names (``scenarios``: one marker each, the same on every figure) and an
optional ``ax``/``axes``, and returns ``(fig, axes)``.  Colours are the methods'
(:mod:`reports.style`): the estimators' in the bias figure, the criteria's in the
recovery figure.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

from reports.style import COLORS, CRITERIA, FAINT, scenario_marker

__all__ = ["plot_accuracy", "plot_coverage", "plot_recovery", "plot_sbc"]

_ESTIMATORS = ("EM (MLE)", "PyMC MAP", "posterior mean")


def _base(scenario: str) -> str:
    return scenario.split("/")[0]


def _scenarios(records, scenarios):
    return list(scenarios) if scenarios else sorted({_base(r["scenario"]) for r in records})


def _n_axis(ax, ns) -> None:
    """Linear when the grid of n is small or narrow, else logarithmic; ticks at the n's."""
    ns = sorted(set(ns))
    if len(ns) > 3 and ns[-1] / ns[0] >= 10:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_locator(FixedLocator(ns))
    ax.margins(x=0.08)


def plot_coverage(coverage: list[dict], ax=None, *, scenarios=None):
    """Coverage of the central posterior intervals against their nominal level.

    Parameters
    ----------
    coverage : list of dict
        Records with ``scenario``, ``nominal``, ``coverage``, ``mcse`` (and
        ``label``, ``truth_mode``).
    scenarios : list of str, optional
        Every scenario of the study (for the markers).
    """
    if ax is None:
        ax = Figure(figsize=(6, 4.8), layout="constrained").subplots()
    fig = ax.figure
    names = _scenarios(coverage, scenarios)
    series = sorted({(r["scenario"], r.get("label", r["scenario"])) for r in coverage})
    shift = np.linspace(-0.012, 0.012, max(len(series), 1))
    for i, (name, label) in enumerate(series):
        rs = sorted((r for r in coverage if r["scenario"] == name), key=lambda r: r["nominal"])
        ax.errorbar(
            np.array([r["nominal"] for r in rs]) + shift[i],
            [r["coverage"] for r in rs],
            yerr=[2 * r["mcse"] for r in rs],
            marker=scenario_marker(names, _base(name)),
            color=COLORS["posterior"],
            alpha=0.5 + 0.5 * (i + 1) / len(series),
            capsize=3,
            label=label,
        )
    ax.plot([0.4, 1.0], [0.4, 1.0], color="grey", ls="--", lw=1, label="nominal")
    ax.set(
        xlabel="nominal level of the central interval",
        ylabel="share of intervals holding the truth",
        xlim=(0.4, 1.0),
        ylim=(0.3, 1.02),
        title="Posterior interval coverage (bars: 2 MCSE)",
    )
    ax.legend(fontsize="small", loc="upper left")
    return fig, ax


def plot_accuracy(accuracy: list[dict], axes=None, *, scenarios=None):
    """Mean |bias| and RMSE against n, per kind of parameter and estimator.

    Parameters
    ----------
    accuracy : list of dict
        Records with ``scenario``, ``n``, ``kind``, ``estimator``, ``abs_bias``,
        ``abs_bias_mcse``, ``rmse`` (averaged over the parameters of a kind;
        fixed-truth scenarios).
    scenarios : list of str, optional
    """
    present = {r["kind"] for r in accuracy}
    kinds = ["weights", "means", "variances"] + (
        ["covariances"] if "covariances" in present else []
    )
    if axes is None:
        size = (11 * len(kinds) / 3, 6.6)
        axes = Figure(figsize=size, layout="constrained").subplots(2, len(kinds), squeeze=False)
    fig = axes[0, 0].figure
    names = _scenarios(accuracy, scenarios)
    bases = sorted({_base(r["scenario"]) for r in accuracy})
    ns = [r["n"] for r in accuracy]
    for col, kind in enumerate(kinds):
        for row, metric in enumerate(("abs_bias", "rmse")):
            ax = axes[row, col]
            for base in bases:
                for est in _ESTIMATORS:
                    rs = sorted(
                        (r for r in accuracy if r["kind"] == kind and r["estimator"] == est
                         and _base(r["scenario"]) == base),
                        key=lambda r: r["n"],
                    )  # fmt: skip
                    if not rs:
                        continue
                    ax.errorbar(
                        [r["n"] for r in rs],
                        [r[metric] for r in rs],
                        yerr=[2 * r["abs_bias_mcse"] for r in rs] if metric == "abs_bias" else None,
                        marker=scenario_marker(names, base),
                        color=COLORS[est],
                        capsize=2,
                        label=f"{est} ({base})",
                    )
            _n_axis(ax, ns)
            ax.set(
                xlabel="n (points)",
                ylabel="mean |bias|" if metric == "abs_bias" else "RMSE",
                title=kind,
            )
            ax.set_ylim(bottom=0)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6),
                   fontsize="small", frameon=False)  # fmt: skip
    return fig, axes


def plot_sbc(histograms: list[dict], axes=None, *, scenarios=None):
    """SBC rank histograms, with the band a uniform histogram stays in (99% per bin).

    Parameters
    ----------
    histograms : list of dict
        Records with ``scenario``, ``parameter``, ``edges``, ``counts``, ``band``, ``pvalue``.
    scenarios : list of str, optional
        Unused (the scenario is in each panel's title); accepted like the others.
    """
    n = len(histograms)
    cols = min(4, max(n, 1))
    rows = max(1, -(-n // cols))
    if axes is None:
        figure = Figure(figsize=(3.2 * cols, 2.5 * rows), layout="constrained")
        axes = figure.subplots(rows, cols, squeeze=False)
    fig = axes.flat[0].figure
    for i, (ax, h) in enumerate(zip(axes.flat, histograms, strict=False)):
        edges = np.asarray(h["edges"])
        band = np.asarray(h["band"])
        ax.stairs(band[1], edges, baseline=band[0], fill=True, color=FAINT, label="uniform 99%")
        ax.stairs(h["counts"], edges, color=COLORS["posterior"], lw=1.5, label="ranks")
        ax.set_title(f"{h['scenario']}: {h['parameter']}\np = {h['pvalue']:.3f}", fontsize="small")
        ax.set_ylim(bottom=0)
        if i % cols == 0:
            ax.set_ylabel("replications")
        if i >= n - cols:
            ax.set_xlabel("rank of the truth")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if n:
        axes.flat[0].legend(fontsize="x-small")
    return fig, axes


def plot_recovery(recovery: list[dict], axes=None, *, scenarios=None):
    """How often each criterion chose the true model (left) and the true K (right), against n.

    Parameters
    ----------
    recovery : list of dict
        Records with ``scenario``, ``n``, ``criterion``, ``rate``, ``mcse``,
        ``rate_k``, ``mcse_k`` (:func:`gmm_pp.study.metrics.recovery`).
    scenarios : list of str, optional
    """
    if axes is None:
        axes = Figure(figsize=(11, 4.6), layout="constrained").subplots(1, 2)
    fig = axes[0].figure
    names = _scenarios(recovery, scenarios)
    bases = sorted({_base(r["scenario"]) for r in recovery})
    panels = [("rate", "mcse", "the true model"), ("rate_k", "mcse_k", "the true K")]
    for ax, (rate, mcse, what) in zip(axes, panels, strict=True):
        for base in bases:
            for criterion, (label, colour, _) in CRITERIA.items():
                rs = [
                    r
                    for r in recovery
                    if r["criterion"] == criterion and _base(r["scenario"]) == base
                ]
                rs.sort(key=lambda r: r["n"])
                if not rs:
                    continue
                ax.errorbar(
                    [r["n"] for r in rs],
                    [r[rate] for r in rs],
                    yerr=[2 * r[mcse] for r in rs],
                    color=colour,
                    marker=scenario_marker(names, base),
                    capsize=3,
                    label=label if len(bases) == 1 else f"{label} ({base})",
                )
        _n_axis(ax, [r["n"] for r in recovery])
        ax.set(
            xlabel="n (points)",
            ylabel="share of replications",
            ylim=(-0.03, 1.03),
            title=f"How often each criterion chose {what}",
        )
        ax.axhline(1.0, color=FAINT, lw=0.8)
    if recovery:
        axes[0].legend(fontsize="small")
    return fig, axes
