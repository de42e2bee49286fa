"""The HTML page of a model selection (written atomically, images embedded).

Every sentence on the page is made from the selection's own numbers
(:meth:`gmm_pp.selection.Selection.reason`, :meth:`~gmm_pp.selection.Selection.agreement`
and the captions below); every plotted number is in ``data.json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from gmm_pp.selection.bayes import model_name, parse_model_name
from gmm_pp.selection.result import DISPLAY_COLUMNS, format_cell
from reports.html import render_page, save_figure, write_page

__all__ = [
    "render_selection_report",
    "selection_captions",
    "selection_figure_data",
    "write_selection_report",
]


def selection_figure_data(selection) -> dict:
    """Every number the selection's figures draw.

    Returns
    -------
    dict
        ``criteria`` (one record per (structure, K): ``bic``, ``icl``, ``aic``,
        ``log_likelihood``, ``usable``), ``loo`` (one per fitted posterior, best
        elpd first), ``chosen`` (each criterion's choice as structure and K) and
        ``n_samples``.
    """
    usable = set(selection.usable().index)
    criteria = [
        {
            "structure": str(r["structure"]),
            "k": int(r["k"]),
            "bic": float(r["bic"]),
            "icl": float(r["icl"]),
            "aic": float(r["aic"]),
            "log_likelihood": float(r["log_likelihood"]),
            "n_parameters": int(r["n_parameters"]),
            "usable": i in usable,
        }
        for i, r in selection.grid.iterrows()
    ]
    loo = [
        {
            "name": model_name(r["structure"], int(r["k"])),
            "structure": str(r["structure"]),
            "k": int(r["k"]),
            **{
                c: float(r[c])
                for c in (
                    "elpd_loo",
                    "elpd_loo_se",
                    "elpd_diff",
                    "elpd_diff_se",
                    "p_loo",
                    "stacking_weight",
                )
            },
            "pareto_k_over_0_7": int(r["pareto_k_over_0_7"]),
        }
        for _, r in selection.bayes.iterrows()
    ]
    loo.sort(key=lambda r: -r["elpd_loo"])
    chosen = {}
    for criterion, name in selection.preferred().items():
        if name is not None:
            structure, k = parse_model_name(name)
            chosen[criterion] = {"structure": structure, "k": k}
    return {"criteria": criteria, "loo": loo, "chosen": chosen, "n_samples": selection.n_samples}


def selection_captions(data: dict) -> dict[str, tuple[str, str]]:
    """The figures' titles and captions, each claim computed from ``data``."""
    crit = data["criteria"]
    out = {}
    by_k: dict[str, list[dict]] = {}
    for r in crit:
        by_k.setdefault(r["structure"], []).append(r)
    rising = all(
        np.all(np.diff([r["log_likelihood"] for r in sorted(rs, key=lambda r: r["k"])]) >= -1e-6)
        for rs in by_k.values()
    )
    best = data["chosen"].get("bic")
    text = (
        "BIC = -2 log-likelihood + p log n (lower is better; mclust plots its negative, "
        f"higher is better), here with log n = {math.log(data['n_samples']):.2f} per "
        "parameter; ICL adds twice the classification entropy, so it penalises components "
        "that overlap. The bottom row zooms in on the best models. Open markers: fits set "
        "aside (degenerate or spurious). "
    )
    if best is not None:
        row = next(r for r in crit if r["structure"] == best["structure"] and r["k"] == best["k"])
        text += f"The BIC's minimum, {row['bic']:.1f}, is at {best['structure']} K = {best['k']}"
        icl = data["chosen"].get("icl")
        if icl is not None:
            same = icl == best
            text += (
                "; ICL's is at the same model."
                if same
                else f"; ICL's is at {icl['structure']} K = {icl['k']}."
            )
    text += (
        " The log-likelihood itself rises with K for every structure here, so it cannot choose K."
        if rising
        else " The log-likelihood does not rise with K for every structure here: some fits "
        "found a lower maximum than a smaller model's."
    )
    out["criteria"] = ("BIC and ICL against K", text)
    loo = data["loo"]
    if loo:
        top = loo[0]
        text = (
            "PSIS-LOO estimates each posterior's expected log predictive density for a new "
            "point (elpd, higher is better) from the same draws, without refitting; the "
            "bars are 2 SE; the grey bar under a model is 2 SE of its difference to the best. "
            f"{top['name']} predicts best (elpd {top['elpd_loo']:.1f} +- "
            f"{top['elpd_loo_se']:.1f})"
        )
        if len(loo) > 1:
            close = [r["name"] for r in loo[1:] if -r["elpd_diff"] < 2 * r["elpd_diff_se"]]
            text += (
                "; within 2 SE of its difference: " + ", ".join(close)
                if close
                else "; every other model is more than 2 SE of the difference behind"
            )
            heavy = max(loo, key=lambda r: r["stacking_weight"])
            text += (
                f". Stacking, which weighs the posteriors to predict best together, gives "
                f"{heavy['name']} {heavy['stacking_weight']:.2f} of the weight"
            )
        bad = [r["name"] for r in loo if r["pareto_k_over_0_7"]]
        text += (
            f". Pareto k > 0.7 (LOO unreliable at some points) for {', '.join(bad)}."
            if bad
            else ". Every Pareto k is at most 0.7: the estimates are reliable."
        )
        out["loo"] = ("PSIS-LOO of the fitted posteriors", text)
    return out


def write_selection_report(
    selection, out_dir: str | Path, *, links: dict | None = None, overwrite: bool = False
) -> Path:
    """Write ``index.html``, the figures' PNGs and ``data.json`` of a selection.

    All of it or nothing, under gmm-pp's output policy (:mod:`gmm_pp.io`).

    Parameters
    ----------
    selection : gmm_pp.selection.Selection
    out_dir : str or Path
    links : dict, optional
        ``{model name: href}`` of the models' comparison reports (relative to
        the page).
    overwrite : bool, default False

    Returns
    -------
    Path
        The path of ``index.html``.
    """
    return write_page(render_selection_report, selection, out_dir, overwrite=overwrite, links=links)


def render_selection_report(selection, folder: str | Path, *, links: dict | None = None) -> Path:
    """Write a selection page's files into the existing folder ``folder`` (not atomic)."""
    from reports import selection_plots

    tmp = Path(folder)
    data = selection_figure_data(selection)
    captions = selection_captions(data)
    figures = []
    fig, _ = selection_plots.plot_criteria(data["criteria"], data["chosen"])
    figures.append(save_figure(fig, tmp, "criteria", captions["criteria"], dpi=100))
    if data["loo"]:
        fig, _ = selection_plots.plot_loo(data["loo"])
        figures.append(save_figure(fig, tmp, "loo", captions["loo"], dpi=100))
    table = selection.table()
    links = dict(links or {})
    columns = list(DISPLAY_COLUMNS)
    rows = []
    for name, r in table.iterrows():
        cells = [format_cell(r[c]) for c in columns]
        rows.append({"name": name, "cells": cells, "href": links.get(name)})
    structure, k = selection.chosen
    chosen = model_name(structure, k)
    render_page(
        tmp,
        "selection.html.j2",
        n_samples=selection.n_samples,
        n_features=selection.n_features,
        seed=selection.seed,
        reason=selection.reason(),
        agreement=selection.agreement(),
        warnings=selection.warnings(),
        columns=columns,
        rows=rows,
        figures=figures,
        chosen=chosen,
        chosen_href=links.get(chosen),
    )
    (tmp / "data.json").write_text(json.dumps(data, allow_nan=True, default=float), "utf-8")
    return tmp / "index.html"
