"""The report's titles and captions: every claim computed from the figures' own numbers.

:func:`report_captions` reads only the figure data (``data.json``'s ``figures``,
or :class:`reports.figdata.FigureData`): a sentence that says the fits coincide,
that EM never went down, that the posterior is narrower than the prior or that the
model fits poorly says so because the numbers do, and gives them.  Where the
numbers say nothing clear, the caption says that.
"""

from __future__ import annotations

import numpy as np

from reports.style import ESS_PER_CHAIN_MIN, RHAT_MAX

__all__ = [
    "COINCIDE_SD",
    "SAME_MAXIMUM",
    "map_agreement",
    "misfit_warning",
    "report_captions",
    "summary_sentence",
]

#: Fits closer than this (in posterior sds, on every parameter) coincide on a figure.
COINCIDE_SD = 0.5
#: Two log-likelihoods closer than this (relative) are the same maximum.
SAME_MAXIMUM = 1e-6
#: A decrease of EM's log-likelihood smaller than this (relative) is rounding.
_ROUNDING = 1e-12
#: The posterior's interquartile range below this share of the prior's: the data dominate.
_NARROW = 0.2
#: A point more uncertain than this (1 - largest responsibility) counts as uncertain.
_UNCERTAIN = 0.2


def _truth_coverage(params) -> str:
    """``The 94% intervals contain the truth for i of n parameters.`` (empty without a truth)."""
    known = [p for p in params if p["truth"] is not None]
    if not known:
        return ""
    inside = sum(p["lower"] <= p["truth"] <= p["upper"] for p in known)
    return f" The 94% intervals contain the truth for {inside} of {len(known)} parameters."


def summary_sentence(fd) -> str:
    """How EM's estimate and the posterior differ on these data: the page's opening lesson."""
    em_gap = fd["fit_distances"]["EM (MLE)"]
    sds = [p["post_sd"] for p in fd["parameters"]]
    text = (
        f"On this data EM's estimate and the posterior mean differ by at most "
        f"{em_gap['max_sd']:.2f} posterior standard deviations ({em_gap['parameter']}); the "
        f"posterior's typical sd is {np.median(sds):.3g}, the uncertainty a single estimate "
        "hides."
    )
    return text + _truth_coverage(fd["parameters"])


def map_agreement(fd) -> str:
    """How far PyMC's MAP is from MAP-EM's, in posterior sds."""
    off = fd["offsets"]["fits"]
    pymc, map_em = np.asarray(off["PyMC MAP"]), np.asarray(off["MAP-EM"])
    gap = float(np.max(np.abs(pymc - map_em))) if pymc.size else 0.0
    verdict = (
        "they agree, as two maximisers of the same density should"
        if gap < 0.01
        else "they differ: one of the two optimisers stopped away from the maximum"
    )
    return f"The two differ by at most {gap:.2g} posterior sd on any parameter: {verdict}."


def _fits_sentence(fd) -> str:
    dist = fd["fit_distances"]
    estimates = {k: v for k, v in dist.items() if k != "truth"}
    worst = max(estimates, key=lambda k: estimates[k]["max_sd"])
    gap = estimates[worst]["max_sd"]
    parts = ", ".join(f"{k} {v['max_sd']:.2f}" for k, v in estimates.items())
    text = (
        f"Largest distance of each estimate from the posterior mean, in posterior standard "
        f"deviations over all parameters: {parts}."
    )
    if gap < COINCIDE_SD:
        text += (
            f" All are within {COINCIDE_SD} sd, so on this figure the fits coincide (thick "
            "solid under dashed under dotted lines); the next figure draws each alone."
        )
    else:
        text += (
            f" {worst} is {gap:.2f} sd away ({estimates[worst]['parameter']}): the fits differ "
            "visibly; the next figure also draws each alone."
        )
    if "truth" in dist:
        t = dist["truth"]
        text += f" The truth is up to {t['max_sd']:.2f} posterior sd away ({t['parameter']})."
    return text


def _offsets_sentence(fd) -> str:
    """Which fits sit closest to the posterior mean, and how far apart MLE and MAP are."""
    off = fd["offsets"]
    fits = {k: np.abs(np.asarray(v, dtype=float)) for k, v in off["fits"].items()}
    text = (
        "One row per parameter: each estimate's distance from the posterior mean in "
        "posterior standard deviations (the shaded band is +-1 sd). "
    )
    if not off["parameters"]:
        return text
    estimates = {k: v for k, v in fits.items() if k != "truth"}
    inside = all(np.all(v <= 1.0) for v in estimates.values())
    text += (
        "Every estimate lies within 1 posterior sd of the posterior mean: on these data the "
        "methods differ by less than the uncertainty that remains. "
        if inside
        else "Some estimates lie more than 1 posterior sd from the posterior mean ("
        + ", ".join(
            f"{k} on {int(np.sum(v > 1.0))} of {v.size} parameters"
            for k, v in estimates.items()
            if np.any(v > 1.0)
        )
        + "): here the choice of method matters. "
    )
    em_, map_ = np.asarray(off["fits"]["EM (MLE)"]), np.asarray(off["fits"]["MAP-EM"])
    text += f"MAP-EM and EM differ by up to {np.max(np.abs(map_ - em_)):.2f} sd."
    if "truth" in fits:
        text += (
            f" The truth lies within 2 sd for {int(np.sum(fits['truth'] <= 2.0))} of "
            f"{fits['truth'].size} parameters."
        )
    return text


def _loglik_sentence(fd) -> str:
    restarts = fd["em_restarts"]
    best = np.asarray(restarts[fd["em_best"]]["log_likelihood"], dtype=float)
    em_max = float(fd["em_max"])
    steps = np.diff(best)
    tol = _ROUNDING * max(1.0, abs(em_max))
    if steps.size and steps.min() < -tol:
        t = int(np.argmin(steps))
        text = (
            f"EM's log-likelihood decreased at iteration {t + 1}, by {-steps.min():.3g}: EM "
            "cannot do that, so something is wrong."
        )
    else:
        text = (
            f"EM's log-likelihood never decreased over the chosen restart's {steps.size} "
            f"iterations (from {best[0]:.2f} to {best[-1]:.2f})."
        )
    others = [r for i, r in enumerate(restarts) if i != fd["em_best"]]
    if others:
        ends = np.array([r["log_likelihood"][-1] for r in others], dtype=float)
        close = np.abs(ends - em_max) <= SAME_MAXIMUM * abs(em_max)
        same, higher = int(np.sum(close)), int(np.sum(~close & (ends > em_max)))
        lower = len(others) - same - higher
        parts = [f"{same} reached the same maximum"]
        if lower:
            parts.append(f"{lower} stopped lower")
        if higher:
            parts.append(f"{higher} ended higher, at maxima set aside (spurious or degenerate)")
        text += (
            f" Of {len(others)} other restarts (grey dashed), "
            + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0])
            + "."
        )
    draws = np.asarray(fd["draw_log_likelihood"], dtype=float).ravel()
    gap = float(np.median(em_max - draws))
    above = int(np.sum(draws > em_max + tol))
    half = fd["n_parameters"] / 2
    text += (
        f" Right: the posterior draws' log-likelihoods lie a median {gap:.2f} below EM's "
        f"maximum; p/2 = {half:g} for p = {fd['n_parameters']} free parameters is what "
        "large-sample theory expects (a chi-square with p degrees of freedom, halved)."
    )
    text += (
        f" {above} of {draws.size} draws lie above EM's maximum, so EM stopped short of the "
        "likelihood's highest point."
        if above
        else " No draw lies above it: the MLE is the most likely point, yet the posterior "
        "spreads over points a little less likely."
    )
    return text


def _parameters_sentence(fd) -> str:
    params = fd["parameters"]
    ratios = {
        p["name"]: p["post_iqr"] / p["prior"]["iqr"]
        for p in params
        if p["prior"]["density"] is not None and p["prior"]["iqr"] > 0
    }
    text = (
        "Each panel: the posterior (histogram) with its 94% equal-tailed interval (bar on "
        "the axis), the prior's density (pink dash-dot), and EM, MAP-EM, PyMC MAP, the "
        "posterior mean and the truth when known, each in its own line style."
    )
    if ratios:
        widest = max(ratios, key=ratios.get)
        lo, hi = min(ratios.values()), ratios[widest]
        text += (
            f" The posterior's interquartile range is {100 * lo:.2g}% to {100 * hi:.2g}% of "
            "the prior's"
        )
        text += (
            ": the data, not the prior, set every posterior."
            if hi < _NARROW
            else f"; for {widest} the posterior is not much narrower than the prior, so the "
            "prior still shapes it."
        )
    varied = [p for p in params if p["post_sd"] > 0]
    if varied:
        shift = max(abs(p["map_em"] - p["em"]) / p["post_sd"] for p in varied)
        text += f" MAP-EM moves EM's estimate by at most {shift:.2f} posterior sd."
    return text + _truth_coverage(params)


def _trajectories_sentence(fd) -> str:
    tr = fd["trajectories"]
    chosen, poor = tr["chosen"], tr["poor"]
    first = np.asarray(tr["first_step"], dtype=float)
    whole = np.asarray(tr["start_to_end"], dtype=float)
    em_max = float(tr["max_log_likelihood"])
    text = (
        f"Left: the chosen restart ({chosen['init']} start) took {chosen['n_iter']} "
        f"iterations; its means moved {whole.max():.3g} at most from start to end"
    )
    if chosen["n_iter"] >= 1 and first.max() > whole.max():
        text += (
            f", yet {first.max():.3g} in the first step: the start gives every component "
            "the data's overall variance, so the first E-step shares the points out too "
            "evenly and the means move away before they come back."
        )
    else:
        text += "."
    end = float(poor["log_likelihood"][-1])
    diff = end - em_max
    if abs(diff) <= SAME_MAXIMUM * abs(em_max):
        outcome = "the same maximum"
    elif diff < 0:
        outcome = f"a lower local maximum ({-diff:.2f} below)"
    else:
        outcome = f"a log-likelihood {diff:.2f} above the chosen fit's" + (
            ", at a degenerate fit (a component collapsing on a few points)"
            if poor["degenerate"]
            else ", a fit EM's restarts set aside or missed"
        )
    text += (
        f" Right: from K random data points (log-likelihood {poor['log_likelihood'][0]:.2f} "
        f"at the start, {em_max - poor['log_likelihood'][0]:.2f} below the chosen fit's), EM "
        f"took {poor['n_iter']} iterations "
        f"and reached {outcome}. Bottom: both runs' log-likelihood and each mean's "
        "coordinates per iteration (solid: chosen restart, dashed: poor start). Each "
        "iteration re-weighs the points (E-step) and re-averages them (M-step)."
    )
    return text


def _assignments_sentence(fd) -> str:
    a = fd["assignments"]
    em_label = np.asarray(a["EM"]["label"])
    post_label = np.asarray(a["posterior"]["label"])
    differ = int(np.sum(em_label != post_label))
    unsure_em = int(np.sum(np.asarray(a["EM"]["uncertainty"]) > _UNCERTAIN))
    unsure_post = int(np.sum(np.asarray(a["posterior"]["uncertainty"]) > _UNCERTAIN))
    n = em_label.size
    return (
        "Each point coloured by its most likely component, faded where that is uncertain "
        "(1 - the largest responsibility). Left with EM's estimate; right averaged over "
        f"posterior draws, which adds the uncertainty about the parameters. {differ} of {n} "
        f"{'shown ' if _subsampled(fd) else ''}points change component between the two; "
        f"{unsure_em} (EM) and {unsure_post} (posterior) have an uncertainty above "
        f"{_UNCERTAIN}." + _shown_sentence(fd)
    )


def _subsampled(fd) -> bool:
    try:
        return int(fd["points_shown"]) < int(fd["n_samples"])
    except KeyError:  # data.json written before subsampling
        return False


def _shown_sentence(fd) -> str:
    """Which points a scatter figure shows, when not all of them."""
    if not _subsampled(fd):
        return ""
    return (
        f" Shown: {int(fd['points_shown']):,} of the {int(fd['n_samples']):,} points, drawn "
        "at random; every number is computed from all of them."
    )


def _goodness_sentence(fd) -> str:
    gof = fd["goodness_of_fit"]
    text = (
        "Left: if the data came from EM's fit, their log-densities under it would be "
        "distributed as those of points drawn from it, and the quantiles would lie on the "
        "diagonal. Right: each component's 1- and 2-sd ellipses (blue) beside the data's "
        "own responsibility-weighted scatter in it (black dashed). "
    )
    return text + gof["sentence"]


def _diagnostics_sentence(fd) -> str:
    diag = fd["diagnostics"]
    rhat = np.asarray(diag["rhat"], dtype=float)
    ess = np.minimum(np.asarray(diag["ess_bulk"], dtype=float), diag["ess_tail"])
    need = ESS_PER_CHAIN_MIN * diag["chains"]
    names = diag["names"]
    text = (
        f"R-hat near 1 (below {RHAT_MAX}) means the chains agree; the effective sample size "
        f"counts independent draws (at least {ESS_PER_CHAIN_MIN} per chain, {need} here, is "
        "wanted). "
    )
    worst = int(np.argmax(rhat))
    text += f"The largest R-hat is {rhat[worst]:.3f} ({names[worst]}): " + (
        "below the limit" if rhat[worst] < RHAT_MAX else "above the limit"
    )
    low = int(np.argmin(ess))
    text += f"; the smallest ESS is {ess[low]:.0f} ({names[low]}), " + (
        "enough." if ess[low] >= need else "too few."
    )
    text += (
        f" {diag['divergences']} divergent transitions; "
        f"{100 * diag['share_relabelled']:.1f}% of draws were relabelled to EM's labels."
    )
    return text


def report_captions(fd) -> dict[str, tuple[str, str]]:
    """Title and caption of each figure of the report, every claim from ``fd``'s numbers.

    Parameters
    ----------
    fd : reports.figdata.FigureData or dict
        The figure data (``data.json``'s ``figures`` will do).

    Returns
    -------
    dict
        Figure name -> (title, caption).
    """
    shape = "circles" if fd["covariance_type"] == "spherical" else "ellipses"
    one_d = fd["n_features"] == 1
    ndraw = len(fd["draw_densities"] if one_d else fd["draw_ellipses"]["angles"])
    return {
        "fits": (
            "Data and fitted components",
            (
                f"Each fit's components: {shape} at one and two standard deviations round "
                "each mean, in the fit's own colour, line style and marker"
                if fd["n_features"] > 1
                else "A histogram of the data with each fit's mixture density, in its own "
                "colour and line style"
            )
            + f"; the faint red shows {ndraw} posterior draws. "
            + _fits_sentence(fd)
            + ("" if one_d else _shown_sentence(fd)),
        ),
        "fits_apart": (
            "Each fit on its own",
            "EM's MLE, MAP-EM, PyMC's MAP and the posterior (its mean, with "
            f"{ndraw} draws faint), each on its own axes with the truth when known: the "
            "differences the overlay hides. Each title gives the fit's largest distance from "
            "the posterior mean in posterior standard deviations.",
        ),
        "offsets": ("Each estimate against the posterior", _offsets_sentence(fd)),
        "loglik": ("Log-likelihood traces", _loglik_sentence(fd)),
        "parameters": ("Prior, posterior and point estimates", _parameters_sentence(fd)),
        "trajectories": (
            "How EM moves the means",
            _trajectories_sentence(fd) + ("" if one_d else _shown_sentence(fd)),
        ),
        "goodness": ("Does the model fit the data?", _goodness_sentence(fd)),
        "assignments": ("Assignments", _assignments_sentence(fd)),
        "diagnostics": ("Sampler diagnostics", _diagnostics_sentence(fd)),
    }


def misfit_warning(fd, *, selection: str | None = None) -> str | None:
    """The page's warning when the model fits poorly (``None`` when it does not)."""
    gof = fd["goodness_of_fit"]
    if not gof["poor"]:
        return None
    where = (
        "the model selection linked above compares K and the covariance structures"
        if selection
        else "`gmm-pp select DATA` (or gmm_pp.select) compares K and the covariance structures"
    )
    return f"{gof['sentence']} Its estimates describe a model the data do not follow: {where}."
