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


#: A gap within this factor of half the number of parameters is "about" it.
_NEAR = 1.5


def _richer_text(kinds, params, gaps, pulls, sds, coordinate: str, variance_ratio: float) -> str:
    """What the posterior section's table shows, in sentences computed from its numbers."""
    near = [k for k, p, g in zip(kinds, params, gaps, strict=True) if g <= _NEAR * p / 2]
    far = [(k, p, g, pull) for k, p, g, pull in zip(kinds, params, gaps, pulls, strict=True)
           if g > _NEAR * p / 2]  # fmt: skip
    parts = []
    if near:
        listed = ", ".join(
            f"{k} {g:.1f} for {p} parameters" for k, p, g in zip(kinds, params, gaps, strict=True)
            if k in near
        )  # fmt: skip
        parts.append(
            f"The average posterior draw sits below EM's maximum by about half the number of "
            f"parameters ({listed}): each free parameter spreads the posterior around the "
            "peak, so a richer model's draws sit further below it."
        )
    for k, p, g, pull in far:
        why = (
            " The default diag prior (mclust's) gives every axis's variance the same "
            f"inverse-gamma, in the data's common scale, and the two axes' variances differ "
            f"{variance_ratio:.0f}-fold, so the prior is strong on the narrow one."
            if k == "diag"
            else ""
        )
        parts.append(
            f"Under {k}, the draws sit {g:.1f} below, far more than {p / 2:g}: the prior pulls "
            f"the posterior away from the MLE (MAP-EM's own log-likelihood is {pull:.1f} below "
            f"EM's).{why}"
        )
    if len(kinds) > 1:
        wider = "wider" if sds[-1] > sds[0] else "narrower"
        parts.append(
            f"The posterior sd of component 0's mean {coordinate} is {sds[0]:.3f} under "
            f"{kinds[0]} and {sds[-1]:.3f} under {kinds[-1]}: {wider} in the richer model."
        )
    return " ".join(parts)


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
    post_rows, gaps, params, notes, pulls, sds = [], [], [], [], [], []
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
        sds.append(float(sd))
        pulls.append(comp.mle.log_likelihood - comp.map_em.log_likelihood)
        notes += [f"{kind}: {w}" for w in warned]
    sd_axes = X.std(axis=0)
    spread = float(sd_axes.max() / sd_axes.min())
    richer = _richer_text(list(structures), params, gaps, pulls, sds, names[1], spread**2)
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
                f"fit's circles look flat because the two axes' spreads differ {spread:.0f}-fold; "
                "they are circles in the data's units.",
                table=Table(["structure", *[f"K = {k}" for k in _KS]], bic_rows),
                figure=Figure(
                    plot_structures,
                    {"points": X, "axis_labels": names, "panels": panels},
                ),
            ),
            Section(
                "The MLE and the posterior as the model gets richer",
                richer + (f" Warnings: {'; '.join(notes)}." if notes else ""),
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
