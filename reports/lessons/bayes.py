"""Lesson ``mle-vs-bayes``: one truth, growing n: the posterior narrows onto the MLE."""

from __future__ import annotations

import numpy as np

import em
from reports.lessons._fits import quiet_compare
from reports.lessons.lesson import Figure, Lesson, Section, Table
from reports.lessons.plots import plot_bayes_vs_n

__all__ = ["mle_vs_bayes"]

_TRUTH = em.GMMParams([0.35, 0.65], [[-2.0], [2.0]], [1.0, 0.8])
_NS = (10, 50, 500, 5000)


def _spurious_note(n: int, mle: em.EMResult) -> str:
    """A sentence when EM met a spurious maximum (small n): set aside, or the estimate itself."""
    if mle.trace.spurious:  # no maximum without one: the estimate is spurious
        return (
            f" With n = {n}, every maximum EM reached is spurious: {mle.trace.spurious_reason}. "
            "The MLE in the table is one, high because one component fits a couple of points; "
            "the prior of the MAP and of the posterior rules such maxima out."
        )
    if mle.raw_best == mle.best:
        return ""
    raw = mle.restarts[mle.raw_best]
    j = raw.spurious_components[0]
    return (
        f" With n = {n}, EM's highest maximum (log-likelihood {raw.log_likelihood[-1]:.2f}) "
        f"puts component {j} on {raw.params.weights[j] * n:.2g} points' worth of data with a "
        "tiny variance: a spurious maximum, high because one component fits a couple of "
        f"points. The MLE in the table is the best maximum without one "
        f"({mle.log_likelihood:.2f}); the prior of the MAP and of the posterior rules such "
        "maxima out."
    )


def mle_vs_bayes(*, seed: int = 0, ns=_NS, sampler=None, **_) -> Lesson:
    """EM, MAP and posterior on the first n of one simulated sample, for each n in ``ns``."""
    ns = tuple(int(n) for n in ns)
    X, _ = _TRUTH.sample(max(ns), seed=seed)
    k, d = _TRUTH.n_components, _TRUTH.n_features
    half = (k * d + 2 * k - 1) / 2
    series = {key: [] for key in ("mle", "map", "post_mean", "lo", "hi", "gap")}
    rows, notes, spurious = [], [], ""
    for n in ns:
        comp, warned = quiet_compare(X[:n], k, sampler=sampler, seed=seed, truth=_TRUTH,
                                     explained=(em.SpuriousComponentWarning,))  # fmt: skip
        spurious += _spurious_note(n, comp.mle)
        _, means, _ = comp.draws()
        j = int(np.argmax(comp.mle.params.means[:, 0]))  # the component on the right
        draws = means[:, :, j, 0].ravel()
        lo, hi = np.quantile(draws, [0.03, 0.97])
        gap = comp.mle.log_likelihood - comp.draw_log_likelihood().mean()
        values = {
            "mle": comp.mle.params.means[j, 0],
            "map": comp.pymc_map.params.means[j, 0],
            "post_mean": draws.mean(),
            "lo": lo,
            "hi": hi,
            "gap": gap,
        }
        for key, value in values.items():
            series[key].append(float(value))
        rows.append(
            [str(n), f"{values['mle']:.3f}", f"{values['map']:.3f}", f"{draws.mean():.3f}",
             f"{draws.std(ddof=1):.3f}", f"[{lo:.3f}, {hi:.3f}]", f"{gap:.2f}"]
        )  # fmt: skip
        notes += [f"n = {n}: {w}" for w in warned]
    first, last = rows[0], rows[-1]
    concentrates = (
        len(ns) > 1
        and float(last[4]) < float(first[4])
        and abs(series["post_mean"][-1] - series["mle"][-1])
        <= abs(series["post_mean"][0] - series["mle"][0])
    )
    return Lesson(
        name="mle-vs-bayes",
        title="MLE against Bayes as the data grow",
        intro=(
            "One truth (two 1-D components, means -2 and 2) and one simulated sample, "
            f"fitted on its first n points for n = {', '.join(map(str, ns))}. EM gives the "
            "MLE, a single best-fitting value; the MAP adds the prior; the posterior is a "
            "distribution over every value the data leave plausible."
        ),
        sections=[
            Section(
                "The right-hand component's mean, fitted three ways",
                f"With n = {ns[0]} the posterior is wide (sd {first[4]}), and its mean is "
                f"{abs(series['post_mean'][0] - series['mle'][0]):.3f} from the MLE (the MAP "
                f"{abs(series['map'][0] - series['mle'][0]):.3f}); with n = {ns[-1]} the sd "
                f"is {last[4]} and the posterior mean is "
                f"{abs(series['post_mean'][-1] - series['mle'][-1]):.3f} from the MLE"
                + (
                    "."
                    if len(ns) == 1
                    else ": the data swamp the prior, and the posterior concentrates around "
                    "the MLE."
                    if concentrates
                    else ": here the posterior has not concentrated around the MLE as n grew."
                )
                + spurious
                + (f" Warnings: {'; '.join(notes)}." if notes else ""),
                table=Table(
                    [
                        "n",
                        "MLE",
                        "MAP",
                        "posterior mean",
                        "posterior sd",
                        "94% interval",
                        "loglik gap",
                    ],
                    rows,
                ),  # fmt: skip
                figure=Figure(
                    plot_bayes_vs_n,
                    {
                        "n": list(ns),
                        "truth": 2.0,
                        "parameter": "mean of the right component",
                        "half_params": half,
                        **series,
                    },
                ),  # fmt: skip
            ),
            Section(
                "The posterior's draws sit below the maximum",
                "EM's log-likelihood is the maximum; a posterior draw's log-likelihood is "
                "lower, because the draws spread around the peak. Large-sample theory puts "
                f"the average gap at half the number of parameters ({half:g} here: K d + "
                f"2K - 1 = 5 parameters), whatever n; here it is {series['gap'][-1]:.2f} at "
                f"n = {ns[-1]}"
                + (
                    ", within 1 of it: the posterior describes plausible parameters, not only "
                    "the best-fitting one."
                    if abs(series["gap"][-1] - half) <= 1.0
                    else ", more than 1 away from it: n is not yet large enough for the theory."
                ),
            ),
        ],
    )
