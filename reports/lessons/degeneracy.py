"""Lesson ``degeneracy``: the mixture likelihood is unbounded; the prior bounds it."""

from __future__ import annotations

import warnings

import numpy as np

import em
from reports.lessons._fits import quiet_compare
from reports.lessons.lesson import Figure, Lesson, Section, Table
from reports.lessons.plots import plot_degeneracy

__all__ = ["degeneracy"]

_TRUTH = em.GMMParams([0.5, 0.5], [[-1.5], [1.5]], [1.0, 1.0])


def degeneracy(*, seed: int = 0, n: int = 20, starts: int = 50, sampler=None, **_) -> Lesson:
    """Shrink one component onto a point; count collapsing EM runs; compare MAP and posterior."""
    X, _ = _TRUTH.sample(n, seed=seed)
    x0 = float(X[0, 0])
    sigma = np.logspace(0, -8, 60)
    prior = em.GMMPrior().resolve(X, 2)
    rest = (float(X.mean()), float(X.var()))
    loglik, logpost = [], []
    for s in sigma:
        p = em.GMMParams([0.5, 0.5], [[x0], [rest[0]]], [s**2, rest[1]])
        ll = em.log_likelihood(X, p)
        loglik.append(ll)
        logpost.append(ll + prior.log_prob(p))
    rng = np.random.default_rng(seed)
    collapsed, smallest_em, stopped = 0, np.inf, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(starts):  # random data points as means, small equal variances
            means = X[rng.choice(n, 2, replace=False)]
            init = em.GMMParams([0.5, 0.5], means, [X.var() / 20] * 2)
            r = em.fit(X, 2, init=init)
            collapsed += int(r.degenerate)
            sd = float(np.sqrt(r.params.variances.min()))
            if r.degenerate and (stopped is None or sd < stopped["sd"]):
                stopped = {"sd": sd, "loglik": float(r.log_likelihood)}
            smallest_em = min(smallest_em, sd)
    comp, warned = quiet_compare(X, 2, sampler=sampler, seed=seed)
    _, _, variances = comp.draws()
    smallest = {
        "EM (smallest over runs)": smallest_em,
        "MAP": float(np.sqrt(comp.pymc_map.params.variances.min())),
        "posterior (1% quantile)": float(np.sqrt(np.quantile(variances.min(axis=-1), 0.01))),
    }
    rows = [[name, f"{value:.3g}"] for name, value in smallest.items()]
    per_decade = (loglik[-1] - loglik[-2]) / np.log10(sigma[-2] / sigma[-1])
    peak = float(sigma[int(np.argmax(logpost))])
    bayes = (smallest["MAP"], smallest["posterior (1% quantile)"])
    away = min(bayes) / float(np.sqrt(X.var()))
    return Lesson(
        name="degeneracy",
        title="The likelihood has no maximum: degeneracy",
        intro=(
            f"{n} points from two 1-D components. Put one component's mean on a single data "
            "point and shrink its standard deviation: the density at that point grows "
            "without limit, and so does the log-likelihood. The MLE of a mixture does not "
            "exist in the strict sense; EM finds a local maximum, or runs into this hole."
        ),
        sections=[
            Section(
                "Shrinking one component onto a point",
                f"The first component sits on x = {x0:.3f}, the second covers the rest. As "
                f"its sd goes from 1 to 1e-8 the log-likelihood rises from {loglik[0]:.1f} to "
                f"{loglik[-1]:.1f}, {per_decade:.2f} more for every tenfold shrink at the "
                "end (log(10) = 2.30: the density at the point grows as 1/sd), without limit "
                "(left)"
                + (
                    f"; the cross marks where EM's collapsed run with the smallest sd "
                    f"stopped (sd {stopped['sd']:.2g}, log-likelihood {stopped['loglik']:.1f}: "
                    "its other parameters are its own, so it sits off the curve)"
                    if stopped
                    else ""
                )
                + ". Adding the log prior (the MAP's objective, middle, on its own scale) "
                f"turns the curve down, to {logpost[-1]:.3g} at sd 1e-8: the inverse-gamma "
                "prior on the variance gives zero density to zero variance. On this slice "
                f"the curve peaks at sd {peak:.2g}; the MAP's smallest sd (dashed), "
                f"{smallest['MAP']:.2g}, is the whole optimum's. Right: the smallest sd each "
                "fit reached.",
                figure=Figure(
                    plot_degeneracy,
                    {
                        "sigma": sigma.tolist(),
                        "loglik": loglik,
                        "log_posterior": logpost,
                        "collapsed": stopped,
                        "map_sd": smallest["MAP"],
                        "smallest_sd": smallest,
                    },
                ),  # fmt: skip
            ),
            Section(
                "How often EM falls in, and what the prior does",
                f"EM from {starts} random starts (two data points as means, small variances) "
                f"collapsed a component in {collapsed} of them ({collapsed / starts:.0%}; em "
                "stops such a run and flags it). "
                + (
                    "The MAP and the posterior, under the same default prior, keep every "
                    "variance away from zero: the smallest sd each reached, below, is at "
                    f"least {away:.0%} of the data's sd."
                    if away >= 0.01
                    else "Even the MAP or the posterior reached an sd below 1% of the data's: "
                    "the prior did not keep it away from zero here."
                )
                + (f" Warnings: {'; '.join(warned)}." if warned else ""),
                table=Table(["fit", "smallest component sd"], rows),
            ),
        ],
    )
