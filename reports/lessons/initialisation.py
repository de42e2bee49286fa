"""Lesson ``initialisation``: many starts, many end points; where the MAP and the chains land."""

from __future__ import annotations

import warnings

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


def initialisation(*, seed: int = 0, n: int = 300, starts: int = 40, sampler=None, **_) -> Lesson:
    """EM from ``starts`` k-means++ starts, the basins it reached; the default strategy's."""
    X, _ = _TRUTH.sample(n, seed=seed)
    many = em.fit(X, 3, init="kmeans++", n_init=starts, seed=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        default = em.fit(X, 3, seed=seed)
    best = many.params
    ends = many.basins
    reached_best = ends[0].log_likelihood
    comp, warned = quiet_compare(X, 3, sampler=sampler, seed=seed)
    _, means, _ = comp.draws()
    chain_means = means.mean(axis=1)  # (chain, K, d), relabelled to EM's labels
    endpoints = [
        {
            "share": len(b.restarts) / starts,
            "loglik": b.log_likelihood,
            "means": align_params(many.restarts[b.restarts[0]].params, best).means.tolist(),
        }
        for b in ends
    ]
    rows = [
        [f"#{i + 1}", f"{e['loglik']:.2f}", f"{len(b.restarts)} of {starts}",
         "; ".join(f"({m[0]:.1f}, {m[1]:.1f})" for m in e["means"])]
        for i, (e, b) in enumerate(zip(endpoints, ends, strict=True))
    ]  # fmt: skip
    default_rows = [
        [f"{b.log_likelihood:.2f}", b.reached_by, "yes" if b.spurious else "no",
         "chosen" if b.chosen else ""]
        for b in default.basins
    ]  # fmt: skip
    found = "reached" if default.log_likelihood >= reached_best - 1e-6 * abs(reached_best) else (
        "did not reach")  # fmt: skip
    warned_default = [str(w.message) for w in caught]
    chain_ll = comp.draw_log_likelihood().mean(axis=1)
    # The MAP on EM's peak: its means within 5% of the data's sd of MAP-EM's.
    near = 0.05 * float(np.std(X))
    stays = np.allclose(comp.pymc_map.params.means, comp.map_em.params.means, atol=near)
    return Lesson(
        name="initialisation",
        title="Where EM ends depends on where it starts",
        intro=(
            f"{n} points from four round clusters, fitted with three components, so two "
            "clusters must share one. EM climbs from its start to the nearest peak of the "
            "likelihood and stops there: it finds a local maximum, not necessarily the "
            f"highest. Here EM ran from {starts} different k-means++ starts, then with "
            "em.fit's default strategy."
        ),
        sections=[
            Section(
                "The distinct end points",
                f"The {starts} runs ended at {len(ends)} distinct maxima (the result's "
                "basins: restarts whose final log-likelihoods agree within the tolerance "
                "reached the same one), sorted by log-likelihood; a single run of EM may "
                "return any of them"
                + (
                    f". k-means++ starts are not very diverse: {starts} starts found only "
                    f"{len(ends)} maxima, because k-means itself converges to few partitions."
                    if len(ends) <= starts / 3
                    else "."
                ),
                table=Table(["end point", "log-likelihood", "reached by", "means"], rows),
            ),
            Section(
                "The default strategy",
                "em.fit's default (init='auto') combines several kinds of start within a "
                f"budget: mclust's hierarchical start ('hc'), {em.defaults.AUTO_KMEANS} k-means++ "
                "starts, a screen of "
                f"{default.screen.seeds.size if default.screen else 0} random starts run "
                "together, the best of which are run in full, and split-and-merge moves from "
                "the best maximum so far (merge two components, split a third, run EM "
                "again). Every start is a restart of the result, with its kind and seed; "
                f"here they {found} the highest maximum of the k-means++ runs. A component "
                "on fewer than d + 1 points' worth of responsibility, or with a variance "
                f"below {em.defaults.SPURIOUS_VARIANCE:g} of the data's, is spurious: such a "
                "maximum is set aside when a "
                "regular one exists."
                + (f" Warnings: {'; '.join(warned_default)}." if warned_default else ""),
                table=Table(["log-likelihood", "reached by", "spurious", ""], default_rows),
            ),
            Section(
                "Where the MAP and the posterior chains landed",
                "The PyMC MAP, started from the best EM estimate, "
                + ("stays on that peak" if stays else "moves away from that peak")
                + " (its means: "
                + "; ".join(f"({m[0]:.2f}, {m[1]:.2f})" for m in comp.pymc_map.params.means)
                + f"); the {len(chain_ll)} posterior chains, started there too, explore "
                "around it "
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
