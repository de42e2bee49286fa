"""Lesson ``choosing-k``: the log-likelihood always rises with K; BIC, ICL and LOO do not.

Simulated data with a known K first (each criterion against K, and the posterior's
PSIS-LOO), then faithful, where the criteria disagree, and why.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from gmm_pp.data import DEMO_TRUTH, simulate
from gmm_pp.datasets import load_dataset
from gmm_pp.selection import select
from reports.lessons._fits import LESSON_SAMPLER
from reports.lessons.lesson import Figure, Lesson, Section, Table
from reports.lessons.plots import plot_criteria_grid, plot_loglik_vs_k, plot_loo_models
from reports.selection import selection_figure_data

__all__ = ["choosing_k"]

#: The simulated data's size, and the K of its EM grid.
_N = 300
_KS = tuple(range(1, 9))


def _rises(ks, values) -> tuple[bool, list[int]]:
    """Whether a sequence never falls (to rounding), and the K where it falls."""
    steps = np.diff(np.asarray(values, dtype=float))
    falls = [int(ks[i + 1]) for i, s in enumerate(steps) if s < -1e-6]
    return not falls, falls


def choosing_k(
    *,
    seed: int = 0,
    sampler=None,
    bayes_k: tuple[int, ...] = (2, 3, 4),
    faithful_k=range(1, 10),
    **_,
) -> Lesson:
    """The criteria against K on simulated data and on faithful, and LOO of the posteriors.

    Parameters
    ----------
    seed : int
    sampler : SamplerConfig, optional
    bayes_k : tuple of int
        The K whose spherical posterior is sampled on the simulated data (each
        new K compiles its own model the first time).
    faithful_k : iterable of int
        The K of faithful's grid (every structure).
    """
    truth = DEMO_TRUTH
    X, _ = simulate(truth, _N, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = select(X, _KS, "spherical", bayes="none", seed=seed)
    g = grid.grid.sort_values("k")
    rises, falls = _rises(g["k"].to_numpy(), g["log_likelihood"])
    best = {c: int(g.loc[g[c].idxmin(), "k"]) for c in ("bic", "icl", "aic")}
    rows = [
        [
            str(int(r.k)),
            str(int(r.n_parameters)),
            f"{r.log_likelihood:.1f}",
            f"{r.bic:.1f}",
            f"{r.icl:.1f}",
            f"{r.aic:.1f}",
        ]
        for r in g.itertuples()
    ]
    k_true = truth.n_components
    log_n = math.log(_N)
    gain = g.set_index("k")["log_likelihood"]
    after = float(gain[k_true + 1] - gain[k_true]) if k_true + 1 in gain.index else float("nan")
    before = float(gain[k_true] - gain[k_true - 1]) if k_true - 1 in gain.index else float("nan")
    extra = int(g.n_parameters.iloc[1] - g.n_parameters.iloc[0])
    found = [c.upper() for c, k in best.items() if k == k_true]
    missed = [f"{c.upper()} (K = {k})" for c, k in best.items() if k != k_true]
    text1 = (
        f"{_N} points simulated from {k_true} spherical components in 2-D, fitted by EM for "
        f"K = {_KS[0]}..{_KS[-1]}. "
        + (
            "The maximised log-likelihood rises at every step: a model with one more "
            "component contains the smaller one (give the extra component no weight), so its "
            "maximum can only be higher. "
            if rises
            else f"The log-likelihood EM found falls at K = {', '.join(map(str, falls))}: there "
            "EM stopped at a local maximum below the smaller model's (the global maximum "
            "cannot be lower, since the larger model contains the smaller one). "
        )
        + f"From K = {k_true - 1} to {k_true} it rises by {before:.1f}; from {k_true} to "
        f"{k_true + 1} by only {after:.1f}, for {extra} more parameters. BIC charges log n = "
        f"{log_n:.2f} per parameter (times 2 in its -2 log-likelihood units), AIC 2, and ICL "
        "adds to BIC twice the entropy of the classification. "
        + (
            f"{' and '.join(found)} reach{'es its' if len(found) == 1 else ' their'} minimum "
            f"at the true K = {k_true}"
            if found
            else "No criterion reaches its minimum at the true K"
        )
        + (f"; {', '.join(missed)} {'does' if len(missed) == 1 else 'do'} not." if missed else ".")
    )
    # The posterior of a few K: PSIS-LOO and stacking.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bayes = select(
            X, bayes_k, "spherical", bayes="all", seed=seed, sampler=sampler or LESSON_SAMPLER
        )
    loo_data = selection_figure_data(bayes)
    b = bayes.table().sort_values("k")
    loo_rows = [
        [
            name,
            f"{r.elpd_loo:.1f}",
            f"{r.elpd_loo_se:.1f}",
            f"{r.p_loo:.1f}",
            str(int(r.n_parameters)),
            f"{r.elpd_diff:.1f}",
            f"{r.elpd_diff_se:.1f}",
            f"{r.stacking_weight:.2f}",
            str(int(r.pareto_k_over_0_7)),
        ]
        for name, r in b.iterrows()
    ]
    top = loo_data["loo"][0]
    close = [r for r in loo_data["loo"][1:] if -r["elpd_diff"] < 2 * r["elpd_diff_se"]]
    p_loo = {int(r.k): (float(r.p_loo), int(r.n_parameters)) for r in b.itertuples()}
    text2 = (
        "PSIS-LOO asks a different question: how well does the posterior predict a point "
        "it has not seen? It needs no penalty, since an overfitted model predicts left-out "
        "points worse, and p_loo, the effective number of parameters it reports, is "
        "close to the real count when the posterior is well identified ("
        + ", ".join(f"K = {k}: {p:.1f} for {c}" for k, (p, c) in sorted(p_loo.items()))
        + f"). {top['name']} predicts best (elpd {top['elpd_loo']:.1f})"
        + (
            "; "
            + ", ".join(
                f"{r['name']} is {-r['elpd_diff']:.1f} behind with an SE of {r['elpd_diff_se']:.1f}"
                for r in close
            )
            + ": within two SEs, the data cannot tell them apart, where BIC, with its "
            "penalty, can"
            if close
            else "; every other model is more than two SEs behind"
        )
        + ". Stacking weights combine the posteriors to predict best: "
        + ", ".join(f"{r['name']} {r['stacking_weight']:.2f}" for r in loo_data["loo"])
        + "."
    )
    # A posterior with more components than BIC's choice may not mix: the extra
    # component's weight and place are barely identified.  That is explained; any
    # other sampler warning is shown as one.
    bic_k = best["bic"]
    notes = []
    for row in b.itertuples():
        if not row.posterior_warnings:
            continue
        if row.k > bic_k:
            text2 += (
                f" The posterior with K = {row.k} does not mix well (R-hat {row.rhat_max:.2f}, "
                f"bulk ESS {row.ess_bulk_min:.0f}, {row.divergences} divergences): with "
                f"{row.k - bic_k} component{'s' if row.k - bic_k > 1 else ''} more than BIC "
                "chose, the extra weight and position are barely identified by the data, which "
                "is itself a sign of too many components; its LOO is only approximate."
            )
        else:
            notes.append(f"{row.Index}: {row.posterior_warnings}")
    if notes:
        text2 += f" Warnings: {'; '.join(notes)}."
    # Faithful: four structures, where the criteria disagree.
    frame = load_dataset("faithful", as_frame=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        faithful = select(frame, faithful_k, bayes="none", seed=seed)
    fdata = selection_figure_data(faithful)
    t = faithful.table()
    pref = faithful.preferred()
    frows = [
        [
            name,
            f"{t.loc[name, 'bic']:.1f}",
            f"{t.loc[name, 'icl']:.1f}",
            f"{t.loc[name, 'aic']:.1f}",
            str(int(t.loc[name, "n_parameters"])),
        ]
        for name in dict.fromkeys(v for v in pref.values() if v is not None)
    ]
    text3 = (
        f"Old Faithful ({frame.shape[0]} eruptions), every structure and K = "
        f"{min(faithful.ks)}..{max(faithful.ks)}. "
        f"{faithful.reason()} {faithful.agreement()} Where they disagree, the question "
        "differs: BIC approximates which model is most probable given the data, ICL which "
        "gives a clear clustering (overlapping components cost it their classification "
        "entropy), AIC which predicts best in the long run: its small penalty lets in "
        "components that only bend the density a little."
    )
    return Lesson(
        name="choosing-k",
        title="Choosing K: why the likelihood cannot, and what BIC, ICL and LOO do",
        intro=(
            "How many components? The maximised log-likelihood always prefers more: it is "
            "the wrong tool. Penalised criteria (BIC, ICL, AIC) trade the fit against the "
            "number of parameters; PSIS-LOO judges the posterior by how well it predicts "
            "points left out. They often agree, and where they do not, each answers its own "
            "question."
        ),
        sections=[
            Section(
                "The likelihood's maximum against K",
                text1,
                table=Table(["K", "parameters", "log-likelihood", "BIC", "ICL", "AIC"], rows),
                figure=Figure(
                    plot_loglik_vs_k,
                    {
                        "k": g["k"].tolist(),
                        "log_likelihood": g["log_likelihood"].tolist(),
                        "bic": g["bic"].tolist(),
                        "icl": g["icl"].tolist(),
                        "aic": g["aic"].tolist(),
                        "truth": k_true,
                    },
                ),
            ),
            Section(
                "PSIS-LOO: the posterior's predictive accuracy",
                text2,
                table=Table(
                    [
                        "model",
                        "elpd_loo",
                        "SE",
                        "p_loo",
                        "parameters",
                        "elpd_diff",
                        "SE of the difference",
                        "stacking weight",
                        "Pareto k > 0.7",
                    ],
                    loo_rows,
                ),
                figure=Figure(plot_loo_models, loo_data),
            ),
            Section(
                "Faithful: where the criteria disagree",
                text3,
                table=Table(["preferred model", "BIC", "ICL", "AIC", "parameters"], frows),
                figure=Figure(plot_criteria_grid, fdata),
            ),
        ],
    )
