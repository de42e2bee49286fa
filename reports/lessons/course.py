"""Lesson ``course-example``: one E-step and one M-step by hand, then EM to convergence."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import norm

import em
from reports.lessons.lesson import Figure, Lesson, Section, Table
from reports.lessons.plots import plot_course_example

__all__ = ["COURSE_PARAMS", "COURSE_POINTS", "course_example"]

#: The course's worked example: two 1-D components and five points.
COURSE_PARAMS = em.GMMParams(weights=[0.5, 0.5], means=[-3.0, 2.0], variances=[4.0, 4.0])
COURSE_POINTS = np.array([0.2, -0.9, -1.0, 1.2, 1.8])


def _fmt(x: float) -> str:
    """Five decimals, the precision the course states its answers to (r = 0.29421)."""
    return f"{x:.5f}"


def course_example(**_) -> Lesson:
    """The course's 1-D example: E-step posteriors, M-step update, the run to convergence."""
    p, x = COURSE_PARAMS, COURSE_POINTS
    weighted = np.column_stack(
        [p.weights[k] * norm(p.means[k, 0], np.sqrt(p.variances[k])).pdf(x) for k in range(2)]
    )
    resp, loglik0 = em.e_step(x, p)
    new = em.m_step(x, resp)
    counts = resp.sum(axis=0)
    with warnings.catch_warnings():  # the end point is spurious: the text says so
        warnings.simplefilter("ignore", em.SpuriousComponentWarning)
        fit = em.fit(x, 2, init=p, tol=1e-10)
    trace = fit.trace
    grid = np.linspace(-8, 7, 301)
    estep = Table(
        ["point x_i", "p1 N(x; -3, 4)", "p2 N(x; 2, 4)", "r_i1", "r_i2"],
        [
            [f"{xi:g}", *map(_fmt, w), *map(_fmt, r)]
            for xi, w, r in zip(x, weighted, resp, strict=True)
        ],
    )
    mstep = Table(
        ["component", "N_k = sum_i r_ik", "new weight N_k / n", "new mean", "new variance"],
        [
            [str(k + 1), _fmt(counts[k]), _fmt(new.weights[k]), _fmt(new.means[k, 0]),
             _fmt(new.variances[k])]
            for k in range(2)
        ],
    )  # fmt: skip
    final = fit.params
    return Lesson(
        name="course-example",
        title="EM by hand: the course's worked example",
        intro=(
            "Two 1-D normal components with means -3 and 2, variances 4 and equal weights, "
            "and five points: 0.2, -0.9, -1, 1.2, 1.8. One EM iteration is an E-step (how "
            "much each component explains each point) and an M-step (re-estimate each "
            "component from the points it explains, weighted)."
        ),
        sections=[
            Section(
                "E-step: the posterior probability of each component for each point",
                "For each point, weight each component's density by its mixing weight, then "
                "normalise the two so they sum to one: r_ik = p_k N(x_i; mu_k, sigma_k^2) / "
                "sum_j p_j N(x_i; mu_j, sigma_j^2). "
                + (
                    f"The points above 0 ({', '.join(f'{v:g}' for v in x[x > 0])}) belong "
                    f"mostly to component 2 (r_i2 from {resp[x > 0, 1].min():.2f} up); the "
                    "others mostly to component 1. "
                    if np.all(resp[x > 0, 1] > 0.5) and np.all(resp[x <= 0, 0] > 0.5)
                    else ""
                )
                + f"The log-likelihood at the start is {loglik0:.5f}.",
                table=estep,
            ),
            Section(
                "M-step: new parameters from the weighted points",
                "Each component's new weight is its share of the points, N_k / n; its new "
                "mean the r-weighted average of the points; its new variance the r-weighted "
                "mean squared distance to the new mean.",
                table=mstep,
            ),
            Section(
                "EM to convergence",
                "Repeating the two steps, the log-likelihood "
                + (
                    "rises at every iteration (EM never decreases it)"
                    if np.all(np.diff(trace.log_likelihood) >= 0)
                    else "falls at some iteration, which EM cannot do: a bug"
                )
                + f" and levels off after {fit.n_iter} iterations at "
                f"{fit.log_likelihood:.4f}, with weights {np.round(final.weights, 3).tolist()}, "
                f"means {np.round(final.means[:, 0], 3).tolist()} and variances "
                f"{np.round(final.variances, 3).tolist()}."
                + (
                    " One variance has become tiny: that component sits on two nearly equal "
                    "points. With five points the likelihood rewards such tight components "
                    "(the degeneracy lesson shows how far that goes). em.fit names such an "
                    f"end point spurious and warns: {trace.spurious_reason}."
                    if trace.spurious
                    else ""
                ),
                figure=Figure(
                    plot_course_example,
                    {
                        "points": x.tolist(),
                        "grid": grid.tolist(),
                        "density_start": np.exp(em.score_samples(grid, p)).tolist(),
                        "density_end": np.exp(em.score_samples(grid, final)).tolist(),
                        "loglik": np.asarray(trace.log_likelihood).tolist(),
                    },
                ),
            ),
        ],
    )
