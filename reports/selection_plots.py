"""Figures of a model selection: they draw numbers computed by :mod:`reports.selection`.

Each function takes plain records (lists of dicts, as in the page's ``data.json``)
and an optional ``ax``/``axes``, and returns ``(fig, axes)``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from reports.style import FAINT, STRUCTURES

__all__ = ["plot_criteria", "plot_loo"]

_LABELS = {"bic": "BIC", "icl": "ICL", "aic": "AIC"}


def _zoom(records: list[dict], criterion: str) -> tuple[float, float]:
    """A y-range round the best values: from the minimum up to 10% of the whole range."""
    values = np.array([r[criterion] for r in records], dtype=float)
    values = values[np.isfinite(values)]
    low, high = float(values.min()), float(values.max())
    top = low + max(0.1 * (high - low), 10.0)
    return low - 0.08 * (top - low), top


def plot_criteria(records: list[dict], chosen: dict, criteria=("bic", "icl"), axes=None):
    """Each criterion against K, one line per covariance structure (mclust's BIC plot).

    The top row shows the whole range, the bottom row the best models (from
    the minimum up to a tenth of the range).

    Parameters
    ----------
    records : list of dict
        One per (structure, K): ``structure``, ``k``, the criteria, ``usable``
        (False for a degenerate or spurious fit: drawn as an open marker).
    chosen : dict
        ``{criterion: {"structure": ..., "k": ...}}``: each criterion's choice,
        ringed.
    criteria : sequence of str
        Columns to draw, one column of panels each (lower is better).
    axes : array of Axes of shape (2, len(criteria)), optional
    """
    if axes is None:
        fig = Figure(figsize=(5.2 * len(criteria), 7.6), layout="constrained")
        axes = fig.subplots(2, len(criteria), squeeze=False, sharex=True)
    fig = axes[0, 0].figure
    structures = [s for s in STRUCTURES if any(r["structure"] == s for r in records)]
    ks = sorted({r["k"] for r in records})
    for j, criterion in enumerate(criteria):
        for i, ax in enumerate(axes[:, j]):
            for structure in structures:
                colour, marker = STRUCTURES[structure]
                rs = sorted(
                    (r for r in records if r["structure"] == structure), key=lambda r: r["k"]
                )
                k = np.array([r["k"] for r in rs])
                values = np.array([r[criterion] for r in rs], dtype=float)
                usable = np.array([r["usable"] for r in rs], dtype=bool)
                ax.plot(k, values, color=colour, lw=1.5, label=structure)
                ax.plot(k[usable], values[usable], ls="none", marker=marker, color=colour, ms=6)
                ax.plot(
                    k[~usable],
                    values[~usable],
                    ls="none",
                    marker=marker,
                    mfc="white",
                    color=colour,
                    ms=6,
                )
            best = chosen.get(criterion)
            if best is not None:
                (row,) = [
                    r
                    for r in records
                    if r["structure"] == best["structure"] and r["k"] == best["k"]
                ]
                ax.plot(
                    row["k"],
                    row[criterion],
                    ls="none",
                    marker="o",
                    ms=16,
                    mfc="none",
                    mec="black",
                    mew=1.5,
                    label=f"chosen: {best['structure']} K = {best['k']}",
                )
            ax.set_xticks(ks)
            ax.grid(color=FAINT, lw=0.5)
            label = _LABELS[criterion]
            if i == 0:
                ax.set(ylabel=f"{label} (lower is better)", title=f"{label} against K")
                ax.legend(fontsize="small", title="covariance")
            else:
                ax.set_ylim(*_zoom(records, criterion))
                ax.set(
                    xlabel="K, the number of components",
                    ylabel=f"{label}, near its minimum",
                    title=f"{label}: the best models",
                )
    return fig, axes


def plot_loo(records: list[dict], ax=None):
    """PSIS-LOO's elpd of each fitted posterior, with 2 SE bars and the stacking weights.

    Parameters
    ----------
    records : list of dict
        One per fitted model, ``name``, ``structure``, ``elpd_loo``,
        ``elpd_loo_se``, ``elpd_diff``, ``elpd_diff_se``, ``stacking_weight``,
        best first.
    """
    if ax is None:
        ax = Figure(
            figsize=(7.0, 1.2 + 0.55 * max(len(records), 1)), layout="constrained"
        ).subplots()
    fig = ax.figure
    y = np.arange(len(records))[::-1]
    for yi, r in zip(y, records, strict=True):
        colour, marker = STRUCTURES[r["structure"]]
        ax.errorbar(
            r["elpd_loo"],
            yi,
            xerr=2 * r["elpd_loo_se"],
            marker=marker,
            color=colour,
            capsize=4,
            ms=7,
        )
        if r["elpd_diff"] != 0:  # the difference to the best, with its own SE
            ax.errorbar(
                r["elpd_loo"], yi - 0.2, xerr=2 * r["elpd_diff_se"], color="0.4", capsize=2, lw=1
            )
    ax.set_yticks(y, [f"{r['name']}  (weight {r['stacking_weight']:.2f})" for r in records])
    ax.set_ylim(-0.7, len(records) - 0.3)
    ax.grid(axis="x", color=FAINT, lw=0.5)
    ax.set(
        xlabel="elpd_loo (higher is better)",
        title="PSIS-LOO of each posterior, and its stacking weight",
    )
    return fig, ax
