"""Lesson ``initialisation``: many starts, many end points; where the MAP and the chains land."""

from __future__ import annotations

import numpy as np

import em
from gmm_pp.relabel import align_params
from reports.lessons._fits import quiet_compare
from reports.lessons.lesson import Figure, Lesson, Section, Table
from reports.lessons.plots import plot_endpoints

__all__ = ["initialisation"]

#: Four clusters, fitted with three components: which two merge depends on the start.
_TRUTH = em.GMMParams(
    [0.25, 0.25, 0.25, 0.25], [[-3.0, 0.0], [3.0, 0.0], [0.0, 3.0], [0.0, -3.0]], [0.8] * 4
)


def _key(result: em.EMResult, reference: em.GMMParams) -> tuple:
    aligned = align_params(result.params, reference)
    return (round(result.log_likelihood, 2), *np.round(aligned.means, 1).ravel())


def initialisation(*, seed: int = 0, n: int = 300, starts: int = 40, sampler=None, **_) -> Lesson:
    """EM from ``starts`` k-means++ starts on one data set; distinct end points and their shares."""
    X, _ = _TRUTH.sample(n, seed=seed)
    runs = [em.fit(X, 3, n_init=1, seed=seed * 1000 + s) for s in range(starts)]
    best = max(runs, key=lambda r: r.log_likelihood)
    groups: dict[tuple, list[em.EMResult]] = {}
    for r in runs:
        groups.setdefault(_key(r, best.params), []).append(r)
    ends = sorted(groups.values(), key=lambda g: -g[0].log_likelihood)
    comp, warned = quiet_compare(X, 3, sampler=sampler, seed=seed)
    _, means, _ = comp.draws()
    chain_means = means.mean(axis=1)  # (chain, K, d), relabelled to EM's labels
    endpoints = [
        {
            "share": len(g) / starts,
            "loglik": g[0].log_likelihood,
            "means": align_params(g[0].params, best.params).means.tolist(),
        }
        for g in ends
    ]
    rows = [
        [f"#{i + 1}", f"{e['loglik']:.2f}", f"{len(g)} of {starts}",
         "; ".join(f"({m[0]:.1f}, {m[1]:.1f})" for m in e["means"])]
        for i, (e, g) in enumerate(zip(endpoints, ends, strict=True))
    ]  # fmt: skip
    chain_ll = comp.draw_log_likelihood().mean(axis=1)
    return Lesson(
        name="initialisation",
        title="Where EM ends depends on where it starts",
        intro=(
            f"{n} points from four round clusters, fitted with three components, so two "
            "clusters must share one. EM climbs from its start to the nearest peak of the "
            "likelihood and stops there: it finds a local maximum, not necessarily the "
            f"highest. Here EM ran from {starts} different k-means++ starts."
        ),
        sections=[
            Section(
                "The distinct end points",
                f"The {starts} runs ended at {len(ends)} distinct estimates (compared up to "
                "relabelling of the components). Only the first has the highest "
                "log-likelihood; a single run of EM may return any of them. That is why "
                "em.fit keeps the best of several restarts (5 by default).",
                table=Table(["end point", "log-likelihood", "reached by", "means"], rows),
            ),
            Section(
                "Where the MAP and the posterior chains landed",
                "The PyMC MAP, started from the best EM estimate, stays on that peak; the "
                f"{len(chain_ll)} posterior chains, started there too, explore around it "
                "(their mean log-likelihoods: "
                + ", ".join(f"{v:.1f}" for v in chain_ll)
                + "). A chain started elsewhere could sit on another peak: that is why "
                "chains are compared (R-hat) before their draws are trusted."
                + (f" Warnings: {'; '.join(warned)}." if warned else ""),
                figure=Figure(
                    plot_endpoints,
                    {
                        "X": X.tolist(),
                        "endpoints": endpoints,
                        "map_means": comp.pymc_map.params.means.tolist(),
                        "chain_means": chain_means.tolist(),
                    },
                ),
            ),
        ],
    )
