"""Lesson ``covariance``: diagonal, tied and full covariances on faithful.

The full-covariance updates written out and checked, EM for every structure, and
how the MLE and the posterior differ as the model gets richer.
"""

from __future__ import annotations

import warnings

import numpy as np

import em
from em.covariance import COVARIANCE_TYPES, DESCRIPTIONS, mclust_name
from gmm_pp.datasets import load_dataset
from reports.figdata import ellipse_geometry
from reports.lessons._fits import quiet_compare
from reports.lessons.lesson import Figure, Lesson, Section, Table
from reports.lessons.plots import plot_gap_vs_parameters, plot_structures

__all__ = ["covariance_lesson"]

#: Components of the fits shown, and the range of K of the BIC table.
_K = 2
_KS = (1, 2, 3, 4)


def _by_hand(X: np.ndarray, resp: np.ndarray, kind: str) -> em.GMMParams:
    """The M-step of each structure, written out as the lesson's text states it."""
    n, d = X.shape
    nk = resp.sum(axis=0)
    weights = nk / n
    means = resp.T @ X / nk[:, None]
    full = np.empty((len(nk), d, d))
    for k in range(len(nk)):
        dev = X - means[k]
        full[k] = (resp[:, k, None] * dev).T @ dev / nk[k]
    cov = {
        "full": full,
        "tied": np.einsum("k,kab->ab", nk, full) / n,
        "diag": np.diagonal(full, axis1=1, axis2=2),
        "spherical": np.trace(full, axis1=1, axis2=2) / d,
    }[kind]
    return em.GMMParams(weights, means, cov, kind)


def _largest_difference(a: em.GMMParams, b: em.GMMParams) -> float:
    return max(
        float(np.max(np.abs(x - y)))
        for x, y in ((a.weights, b.weights), (a.means, b.means), (a.covariances, b.covariances))
    )


def covariance_lesson(
    *, seed: int = 0, sampler=None, structures: tuple[str, ...] = COVARIANCE_TYPES, **_
) -> Lesson:
    """The updates checked on faithful, EM for every structure, the posterior of each.

    Parameters
    ----------
    seed : int
    sampler : SamplerConfig, optional
    structures : tuple of str
        Structures whose posterior is sampled (each compiles its own model the first
        time); EM fits all four.
    """
    frame = load_dataset("faithful", as_frame=True)
    names = list(frame.columns)
    X = frame.to_numpy(dtype=np.float64)
    n, d = X.shape
    # 1. The updates, by hand, against em.m_step from one set of responsibilities.
    start = em.fit(X, _K, seed=seed)
    resp, _ = em.e_step(X, start.params)
    check_rows = []
    for kind in COVARIANCE_TYPES:
        gap = _largest_difference(_by_hand(X, resp, kind), em.m_step(X, resp, None, kind))
        check_rows.append([kind, mclust_name(kind, d), f"{gap:.1e}"])
    # 2. EM for every structure and K: BIC (lower is better), and the K = 2 fits drawn.
    fits, bic_rows, best = {}, [], (np.inf, "", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind in COVARIANCE_TYPES:
            row = [f"{kind} ({mclust_name(kind, d)})"]
            for k in _KS:
                result = em.fit(X, k, covariance=kind, seed=seed)
                row.append(f"{result.bic():.1f}")
                best = min(best, (result.bic(), kind, k))
                if k == _K:
                    fits[kind] = result
            bic_rows.append(row)
    panels = {}
    for kind, result in fits.items():
        semi, angles = ellipse_geometry(result.params.covariance_matrices(), np.eye(d))
        panels[kind] = {
            "title": f"{kind} ({mclust_name(kind, d)}): log-likelihood "
            f"{result.log_likelihood:.1f}, BIC {result.bic():.1f}",
            "means": result.params.means,
            "semi_axes": semi,
            "angles": angles,
        }
    sph, full = fits["spherical"], fits["full"]
    # 3. The posterior of each structure: the log-likelihood gap and the spread.
    post_rows, gaps, params, notes = [], [], [], []
    for kind in structures:
        comp, warned = quiet_compare(
            X, _K, sampler=sampler, seed=seed, covariance=kind, feature_names=names
        )
        p = comp.mle.params.n_parameters
        gap = comp.mle.log_likelihood - float(comp.draw_log_likelihood().mean())
        table = comp.table().set_index("parameter")
        sd = table.loc[f"mean[0,{names[1]}]", "post_sd"]
        post_rows.append(
            [kind, str(p), f"{comp.mle.log_likelihood:.2f}",
             f"{comp.draw_log_likelihood().mean():.2f}", f"{gap:.2f}", f"{p / 2:g}", f"{sd:.3f}"]
        )  # fmt: skip
        gaps.append(gap)
        params.append(p)
        notes += [f"{kind}: {w}" for w in warned]
    richer = (
        f"From {post_rows[0][0]} ({params[0]} parameters) to {post_rows[-1][0]} "
        f"({params[-1]}), the average posterior draw sits {gaps[0]:.1f} and then {gaps[-1]:.1f} "
        "below EM's maximum"
        if len(post_rows) > 1
        else f"The posterior's draws sit {gaps[0]:.1f} below EM's maximum"
    )
    return Lesson(
        name="covariance",
        title="Beyond circles: diagonal, tied and full covariances",
        intro=(
            f"Old Faithful's eruptions ({names[0]}, minutes) and the waits before them "
            f"({names[1]}, minutes), {n} points, strongly correlated within each cluster. The "
            "spherical mixture gives each component one variance, so it draws circles; the "
            "article's general case gives each component a covariance matrix. Between them "
            "lie one variance per axis (diag) and one matrix shared by all components (tied)."
        ),
        sections=[
            Section(
                "The M-step, written out",
                "Given responsibilities r_ik, every structure shares N_k = sum_i r_ik, "
                "p_k = N_k / n and mu_k = sum_i r_ik x_i / N_k. The full covariance is the "
                "responsibility-weighted scatter around the new mean, Sigma_k = sum_i r_ik "
                "(x_i - mu_k)(x_i - mu_k)^T / N_k. The other structures are constrained "
                "versions of it: diag keeps its diagonal, tied pools the components' "
                "scatter, Sigma = sum_k N_k Sigma_k / n, and spherical keeps the average "
                "variance, sigma_k^2 = trace(Sigma_k) / d. Written out in numpy from one set "
                f"of responsibilities on faithful (those of the spherical K = {_K} MLE), the "
                "formulas give the engine's M-step to rounding error:",
                table=Table(["structure", "mclust", "largest difference"], check_rows),
            ),
            Section(
                f"EM for each structure on faithful (K = {_K})",
                f"With K = {_K}, the spherical fit's log-likelihood is "
                f"{sph.log_likelihood:.1f} and the full one's {full.log_likelihood:.1f}: "
                f"{full.log_likelihood - sph.log_likelihood:.1f} higher for "
                f"{full.params.n_parameters - sph.params.n_parameters} more parameters. BIC "
                "(-2 log-likelihood + p log n, lower is better; mclust reports its negative) "
                f"weighs fit against size: over K = {_KS[0]}..{_KS[-1]} it prefers "
                f"{best[1]} with K = {best[2]} ({best[0]:.1f}). In the figure the spherical "
                "fit's circles look flat because the two axes' units differ twenty-fold; "
                "they are circles in the data's units.",
                table=Table(["structure", *[f"K = {k}" for k in _KS]], bic_rows),
                figure=Figure(
                    plot_structures,
                    {"points": X, "axis_labels": names, "panels": panels},
                ),
            ),
            Section(
                "The MLE and the posterior as the model gets richer",
                f"{richer}: about half the number of parameters, as for the spherical model, "
                "because every free parameter spreads the posterior around the peak. The "
                "richer model is not only better fitting; its posterior is also wider, and "
                f"the prior counts for more: the posterior sd of component 0's mean "
                f"{names[1]} is {post_rows[0][-1]} under {post_rows[0][0]} and "
                f"{post_rows[-1][-1]} under {post_rows[-1][0]}."
                + (f" Warnings: {'; '.join(notes)}." if notes else ""),
                table=Table(
                    [
                        "structure",
                        "parameters",
                        "EM log-likelihood",
                        "mean over draws",
                        "gap",
                        "parameters / 2",
                        f"posterior sd of mean[0,{names[1]}]",
                    ],
                    post_rows,
                ),  # fmt: skip
                figure=Figure(
                    plot_gap_vs_parameters,
                    {
                        "structures": [DESCRIPTIONS[k] for k in structures],
                        "parameters": params,
                        "gaps": gaps,
                    },
                ),
            ),
        ],
    )
