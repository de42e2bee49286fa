"""The report's figures: one public function each.

Every function takes finished numbers (a :class:`reports.figdata.FigureData`),
draws them on ``ax`` (or ``axes``) when given or on a new
``matplotlib.figure.Figure`` (no pyplot, no backend switched), and returns
``(figure, axes)``; nothing is computed and nothing is shown.  Given a
:class:`gmm_pp.Comparison` instead (in a notebook, say), a function first asks
:func:`reports.figdata.figure_data` for the numbers.  Styles come from
:mod:`reports.style`: each fit keeps its colour, line style and marker everywhere.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from reports.figdata import FigureData, figure_data
from reports.style import (
    COLORS,
    DATA,
    ESS_PER_CHAIN_MIN,
    FAINT,
    FITS,
    RHAT_MAX,
    THRESHOLD,
    component_color,
    fit_handle,
    fit_style,
)

__all__ = [
    "plot_assignments",
    "plot_data_and_fits",
    "plot_diagnostics",
    "plot_em_trajectories",
    "plot_fit_offsets",
    "plot_fits_apart",
    "plot_goodness_of_fit",
    "plot_loglik_traces",
    "plot_parameters",
]

#: The four fits of a comparison, each drawn alone by :func:`plot_fits_apart`.
_APART = ("EM (MLE)", "MAP-EM", "PyMC MAP", "posterior mean")


def _data(source):
    """The figure data of ``source``: a FigureData as it is, a Comparison's computed."""
    return source if isinstance(source, FigureData) else figure_data(source)


def _axes(ax, nrows=1, ncols=1, size=(6.4, 4.8)):
    if ax is not None:
        return ax.figure if nrows * ncols == 1 else np.ravel(ax)[0].figure, ax
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols)
    return fig, axes


def _axis_labels(fd, ax):
    xlabel, ylabel = fd["axis_labels"]
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def _legend_below(ax, handles=None, ncol=3):
    """A legend under the axes, off the data."""
    kwargs = {"handles": handles} if handles is not None else {}
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncol=ncol,
        fontsize="small",
        frameon=False,
        **kwargs,
    )


def _ellipses(ax, means, semi, angles, radii=(1, 2), alpha=1.0, **style):
    """Ellipses at ``radii`` sd round every mean (the 2-sd ones half as opaque)."""
    for mu, axes_, angle in zip(means, semi, angles, strict=True):
        for r in radii:
            ax.add_patch(
                Ellipse(
                    mu,
                    2 * r * axes_[0],
                    2 * r * axes_[1],
                    angle=angle,
                    fill=False,
                    alpha=alpha if r == 1 else alpha / 2,
                    **style,
                )
            )


def _fit_ellipses(ax, name, fit):
    style = fit_style(name)
    _ellipses(ax, fit["means"], fit["semi_axes"], fit["angles"], **style)
    marker = fit_style(name, marker=True)
    marker["linestyle"] = "none"
    ax.plot(fit["means"][:, 0], fit["means"][:, 1], zorder=5, **marker)


def _posterior_cloud(ax, fd, *, label=True):
    """The posterior: a cloud of its means' draws and the 1-sd ellipses of a few draws."""
    cloud = np.asarray(fd["mean_cloud"]).reshape(-1, 2)
    ax.scatter(
        cloud[:, 0],
        cloud[:, 1],
        s=3,
        color=COLORS["posterior"],
        alpha=0.15,
        label="posterior draws of the means" if label else None,
    )
    draws = fd["draw_ellipses"]
    geometry = zip(draws["means"], draws["semi_axes"], draws["angles"], strict=True)
    for means, semi, angles in geometry:
        _ellipses(
            ax, means, semi, angles, radii=(1,), alpha=0.12, color=COLORS["posterior"], lw=0.5
        )


def _scatter(ax, fd, color=DATA):
    pts = np.asarray(fd["points"])
    ax.scatter(pts[:, 0], pts[:, 1], s=6, color=color, alpha=0.6, label="data")


def _histogram(ax, fd):
    hist = fd["histogram"]
    edges = np.asarray(hist["edges"])
    ax.bar(
        edges[:-1],
        hist["density"],
        width=np.diff(edges),
        align="edge",
        color="0.88",
        edgecolor="0.65",
        label="data",
    )


def _draw_densities(ax, fd):
    for i, dens in enumerate(fd["draw_densities"]):
        ax.plot(
            fd["density_grid"],
            dens,
            color=COLORS["posterior"],
            lw=0.6,
            alpha=0.2,
            label="posterior draws" if i == 0 else None,
        )


def plot_data_and_fits(fd, *, ax=None):
    """Data and every fit's components on one set of axes.

    1-D: a histogram with each fit's mixture density and the densities of a few
    posterior draws.  2-D (or the first two principal components for d > 2): a
    scatter with 1- and 2-sd ellipses (circles for spherical) for each fit, in its
    own line style and marker, the 1-sd ellipses of a few posterior draws and a
    cloud of posterior draws of the means.  Where the fits coincide,
    :func:`plot_fits_apart` draws each alone.
    """
    fd = _data(fd)
    fig, ax = _axes(ax, size=(6.8, 5.8))
    names = [n for n in FITS if n in fd["fits"]]
    if fd["n_features"] == 1:
        _histogram(ax, fd)
        _draw_densities(ax, fd)
        for name in names:
            ax.plot(fd["density_grid"], fd["densities"][name], label=name, **fit_style(name))
        ax.set_xlabel(fd["feature_labels"][0])
        ax.set_ylabel("density")
        ax.set_title("Data and fitted densities")
        _legend_below(ax, ncol=4)
        return fig, ax
    _scatter(ax, fd)
    _posterior_cloud(ax, fd)
    for name in names:
        _fit_ellipses(ax, name, fd["fits"][name])
    ax.set_aspect("equal", adjustable="datalim")
    _axis_labels(fd, ax)
    shape = "circles" if fd["covariance_type"] == "spherical" else "ellipses"
    ax.set_title(f"Data and fitted components ({shape}: 1 and 2 sd)")
    handles = [fit_handle(n) for n in names]
    handles += ax.get_legend_handles_labels()[0][:2]  # data, posterior draws
    _legend_below(ax, handles, ncol=4)
    return fig, ax


def plot_fits_apart(fd, *, axes=None):
    """Each fit on its own axes: EM, MAP-EM, PyMC MAP and the posterior (with the truth).

    The small multiples show every fit even where they coincide on
    :func:`plot_data_and_fits`; the posterior's panel draws its cloud of draws.
    """
    fd = _data(fd)
    fig, axes = _axes(axes, 2, 2, size=(9.5, 8.0))
    flat = np.ravel(axes)
    truth = "truth" in fd["fits"]
    for ax, name in zip(flat, _APART, strict=True):
        if fd["n_features"] == 1:
            _histogram(ax, fd)
            if name == "posterior mean":
                _draw_densities(ax, fd)
            ax.plot(fd["density_grid"], fd["densities"][name], label=name, **fit_style(name))
            if truth:
                ax.plot(
                    fd["density_grid"],
                    fd["densities"]["truth"],
                    label="truth",
                    **fit_style("truth"),
                )
            ax.set_xlabel(fd["feature_labels"][0])
        else:
            _scatter(ax, fd, color=FAINT)
            if name == "posterior mean":
                _posterior_cloud(ax, fd, label=False)
            _fit_ellipses(ax, name, fd["fits"][name])
            if truth:
                _fit_ellipses(ax, "truth", fd["fits"]["truth"])
            ax.set_aspect("equal", adjustable="datalim")
            _axis_labels(fd, ax)
        gap = fd["fit_distances"].get(name)
        one_d = fd["n_features"] == 1
        draws = len(fd["draw_densities"] if one_d else fd["draw_ellipses"]["angles"])
        detail = (
            f"\n{gap['max_sd']:.2f} posterior sd from the posterior mean at most"
            if gap
            else f"\nwith {draws} posterior draws (faint)"
        )
        ax.set_title(name + detail, fontsize="medium")
    handles = [fit_handle(n) for n in (*_APART, *(["truth"] if truth else []))]
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize="small", frameon=False)
    return fig, axes


def plot_fit_offsets(fd, *, ax=None):
    """Every estimate's distance from the posterior mean, in posterior sds, per parameter.

    One row per parameter, one marker per fit; the band is +-1 posterior sd.
    Estimates that coincide on the data figure stand apart here whenever they
    differ by a few hundredths of a posterior sd.
    """
    fd = _data(fd)
    off = fd["offsets"]
    names = off["parameters"]
    fig, ax = _axes(ax, size=(7.5, 0.28 * len(names) + 1.9))
    y = np.arange(len(names))[::-1]
    ax.axvspan(-1, 1, color=COLORS["posterior"], alpha=0.12, label="+-1 posterior sd")
    centre = ax.axvline(0, color=COLORS["posterior"], lw=1.5, label="posterior mean (0)")
    fits = [n for n in FITS if n in off["fits"]]
    shift = np.linspace(-0.24, 0.24, len(fits))
    for dy, name in zip(shift, fits, strict=True):
        style = fit_style(name, marker=True)
        style["linestyle"] = "none"
        ax.plot(off["fits"][name], y + dy, label=name, **style)
    ax.set_yticks(y, names, fontsize="small")
    ax.set_xlabel("(estimate - posterior mean) / posterior sd")
    ax.set_title("How far each estimate is from the posterior mean")
    handles = [centre, *[fit_handle(n) for n in fits]]
    _legend_below(ax, handles, ncol=len(handles))
    return fig, ax


def plot_loglik_traces(fd, *, axes=None):
    """EM's log-likelihood per iteration (every restart), and every posterior draw's."""
    fd = _data(fd)
    fig, axes = _axes(axes, 1, 2, size=(11, 4.6))
    left, right = axes
    restarts = fd["em_restarts"]
    best_i = fd["em_best"]
    others = [r for i, r in enumerate(restarts) if i != best_i]
    for i, r in enumerate(others):
        ll = np.asarray(r["log_likelihood"])
        left.plot(
            np.arange(ll.size),
            ll,
            color="0.55",
            lw=1,
            ls="--",
            zorder=2,
            label=f"other restarts ({len(others)})" if i == 0 else None,
        )
    best = restarts[best_i]
    ll = np.asarray(best["log_likelihood"])
    left.plot(
        np.arange(ll.size), ll, color=COLORS["EM (MLE)"], lw=2.5, zorder=3, label="chosen restart"
    )
    left.plot(
        ll.size - 1,
        ll[-1],
        "o",
        color=COLORS["EM (MLE)"],
        zorder=4,
        label=f"stopped ({best['stop_reason']}) at iteration {ll.size - 1}",
    )
    left.set_xlabel("EM iteration")
    left.set_ylabel("log-likelihood")
    left.set_title("EM's log-likelihood per iteration")
    left.margins(y=0.08)
    _legend_below(left, ncol=2)
    draw_ll = np.asarray(fd["draw_log_likelihood"])
    for c in range(draw_ll.shape[0]):
        right.plot(
            draw_ll[c], linewidth=0.6, alpha=0.8, color=component_color(c), label=f"chain {c}"
        )
    right.axhline(fd["em_max"], color=COLORS["EM (MLE)"], linewidth=2, label="EM maximum")
    right.axhline(
        fd["em_max"] - fd["n_parameters"] / 2, color="0.3", linestyle="--", label="EM maximum - p/2"
    )
    right.set_xlabel("posterior draw")
    right.set_ylabel("log-likelihood of the draw")
    right.set_title("Each posterior draw's log-likelihood")
    right.margins(y=0.08)
    _legend_below(right, ncol=3)
    return fig, axes


def _parameter_panel(ax, p):
    """One parameter: prior, posterior with its 94% interval, and the point estimates."""
    edges = np.asarray(p["edges"])
    ax.stairs(
        p["density"], edges, fill=True, color=COLORS["posterior"], alpha=0.3, label="posterior"
    )
    ax.axvspan(
        p["lower"],
        p["upper"],
        ymax=0.06,
        color=COLORS["posterior"],
        alpha=0.8,
        lw=0,
        label="94% interval",
    )
    prior = p["prior"]
    if prior["density"] is not None:
        ax.plot(prior["grid"], prior["density"], label="prior", **fit_style("prior"))
    for name, key in (
        ("EM (MLE)", "em"),
        ("MAP-EM", "map_em"),
        ("PyMC MAP", "map_pymc"),
        ("posterior mean", "post_mean"),
    ):
        ax.axvline(p[key], **fit_style(name))
    if p["truth"] is not None:
        ax.axvline(p["truth"], **fit_style("truth"))
    ax.set_title(p["name"], fontsize="medium")
    ax.set_yticks([])
    ax.set_xlim(prior["grid"][0], prior["grid"][-1])


def plot_parameters(fd, *, axes=None, forest: bool | None = None):
    """Every weight, mean coordinate and variance: prior, posterior, EM, MAP, truth.

    Each panel draws the prior's density beside the posterior (what the data
    added), the 94% equal-tailed interval as a bar on the axis, and each point
    estimate in its own style.  With many parameters (``forest=None`` and more
    than 24) a forest plot instead.
    """
    fd = _data(fd)
    params = fd["parameters"]
    truth = any(p["truth"] is not None for p in params)
    if forest is None:
        forest = len(params) > 24
    if forest:
        fig, ax = _axes(axes, size=(6.4, 0.3 * len(params) + 1.8))
        y = np.arange(len(params))[::-1]
        for yi, p in zip(y, params, strict=True):
            ax.plot([p["lower"], p["upper"]], [yi, yi], color=COLORS["posterior"], lw=2)
            for name, key in (
                ("EM (MLE)", "em"),
                ("MAP-EM", "map_em"),
                ("PyMC MAP", "map_pymc"),
                ("posterior mean", "post_mean"),
                ("truth", "truth"),
            ):
                if p[key] is not None:
                    style = fit_style(name, marker=True)
                    style["linestyle"] = "none"
                    ax.plot(p[key], yi, **style)
        ax.set_yticks(y, [p["name"] for p in params])
        ax.set_title("All parameters (bars: 94% posterior intervals)")
        names = [*FITS[:4], *(["truth"] if truth else [])]
        _legend_below(ax, [fit_handle(n) for n in names], ncol=3)
        return fig, ax
    ncols = 3
    nrows = int(np.ceil(len(params) / ncols))
    fig, axes = _axes(axes, nrows, ncols, size=(11, 2.4 * nrows + 1.0))
    flat = np.ravel(axes)
    for ax, p in zip(flat, params, strict=False):
        _parameter_panel(ax, p)
    for ax in flat[len(params) :]:
        ax.set_visible(False)
    from matplotlib.patches import Patch

    handles = [
        Patch(color=COLORS["posterior"], alpha=0.3, label="posterior"),
        Patch(color=COLORS["posterior"], alpha=0.8, label="94% interval"),
        fit_handle("prior"),
        *[fit_handle(n) for n in (*FITS[:4], *(["truth"] if truth else []))],
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize="small", frameon=False)
    return fig, axes


def _path_panel(ax, fd, path, title):
    """Means' paths over the data, iteration numbers along them."""
    _scatter(ax, fd, color=FAINT)
    means = np.asarray(path["means"])
    steps = means.shape[0] - 1
    marks = sorted({0, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500} & set(range(steps + 1)) | {steps})
    pts = np.asarray(fd["points"])
    near = 0.03 * float(np.ptp(pts[:, :2], axis=0).max())  # closer labels would overlap
    for j in range(means.shape[1]):
        c = component_color(j)
        ax.plot(means[:, j, 0], means[:, j, 1], "-o", color=c, ms=2.5, lw=1, label=f"component {j}")
        ax.plot(*means[0, j, :2], "s", color=c, ms=7, mec="k")
        ax.plot(*means[-1, j, :2], "*", color=c, ms=12, mec="k")
        last = None
        for t in marks:
            crowded = last is not None and np.linalg.norm(means[t, j, :2] - last) < near
            if crowded and t != steps:
                continue
            last = means[t, j, :2]
            # the last iteration always, below the others when they crowd it
            offset = (3, -10) if crowded else (3, 3)
            ax.annotate(str(t), last, fontsize=7, xytext=offset, textcoords="offset points")
    _axis_labels(fd, ax)
    ax.set_title(title, fontsize="medium")


def plot_em_trajectories(fd, *, axes=None):
    """EM's paths: the chosen restart's and a poor start's, their log-likelihoods, per coordinate.

    Top (d >= 2): each mean's path over the data, from its start (square) to
    where EM stopped (star), iteration numbers along it; left the chosen
    restart, right EM from K random data points (the course's random start, the
    worst of a few).  Bottom: both runs' log-likelihood per iteration, and the
    means' coordinates against iteration (solid: chosen, dashed: poor start).
    """
    fd = _data(fd)
    tr = fd["trajectories"]
    chosen, poor = tr["chosen"], tr["poor"]
    d = np.asarray(chosen["means"]).shape[-1]
    coords = min(d, 2)
    if axes is None:
        fig = Figure(figsize=(12, 9.5 if d >= 2 else 4.6), layout="constrained")
        if d >= 2:
            top, bottom = fig.subfigures(2, 1, height_ratios=[1.25, 1])
            axes = np.concatenate(
                [np.ravel(top.subplots(1, 2)), np.ravel(bottom.subplots(1, 1 + coords))]
            )
        else:
            axes = np.ravel(fig.subplots(1, 2))
    else:
        fig = np.ravel(axes)[0].get_figure(root=True)
    axes = np.ravel(axes)
    if d >= 2:
        _path_panel(
            axes[0],
            fd,
            chosen,
            f"Chosen restart ({chosen['init']} start): {chosen['n_iter']} iterations",
        )
        _path_panel(axes[1], fd, poor, f"Poor start (random points): {poor['n_iter']} iterations")
        axes[1].legend(fontsize="small", loc="best")
        rest = axes[2:]
    else:
        rest = axes
    ll_ax, coord_axes = rest[0], rest[1:]
    for path, ls, label in ((chosen, "-", "chosen restart"), (poor, "--", "poor start")):
        ll = np.asarray(path["log_likelihood"])
        ll_ax.plot(np.arange(ll.size), ll, ls=ls, color=COLORS["EM (MLE)"], label=label)
    ll_ax.axhline(tr["max_log_likelihood"], color="0.3", lw=0.8, ls=":", label="EM maximum")
    ll_ax.set(xlabel="EM iteration", ylabel="log-likelihood")
    ll_ax.set_title("Log-likelihood per iteration, from both starts")
    ll_ax.margins(y=0.08)
    ll_ax.legend(fontsize="small")
    labels = fd["axis_labels"] if d >= 2 else fd["feature_labels"]
    for c, ax in enumerate(coord_axes):
        for path, ls in ((chosen, "-"), (poor, "--")):
            means = np.asarray(path["means"])
            for j in range(means.shape[1]):
                ax.plot(
                    means[:, j, c],
                    ls=ls,
                    color=component_color(j),
                    label=f"component {j}" if ls == "-" else None,
                )
        ax.set(
            xlabel="EM iteration",
            ylabel=f"mean: {labels[c]}",
            title=f"The means' {labels[c]} per iteration",
        )
        ax.set_xscale("symlog", linthresh=10)
    coord_axes[0].legend(fontsize="small")
    return fig, axes


def plot_assignments(fd, *, axes=None):
    """Most likely component of every point, shaded by uncertainty: EM vs posterior."""
    fd = _data(fd)
    fig, axes = _axes(axes, 1, 2, size=(11, 4.8))
    pts = np.asarray(fd["points"])
    for ax, (name, a) in zip(axes, fd["assignments"].items(), strict=True):
        labels = np.asarray(a["label"])
        alpha = np.clip(1.0 - 1.6 * np.asarray(a["uncertainty"]), 0.15, 1.0)
        y = pts[:, 1] if pts.shape[1] > 1 else np.zeros(len(pts))
        for j in range(fd["n_components"]):
            sel = labels == j
            if not sel.any():
                continue
            ax.scatter(
                pts[sel, 0],
                y[sel],
                s=10,
                alpha=alpha[sel],
                color=component_color(j),
                label=f"component {j}",
            )
        ax.set_title(f"{name} responsibilities (faded: uncertain)")
        if pts.shape[1] > 1:
            _axis_labels(fd, ax)
        else:
            ax.set_xlabel(fd["feature_labels"][0])
            ax.set_yticks([])
        _legend_below(ax, ncol=min(fd["n_components"], 5))
    return fig, axes


def plot_goodness_of_fit(fd, *, axes=None):
    """Does the fit describe the data?  A QQ-plot of log-densities; the data's own shapes.

    Left: quantiles of the data's log-densities under EM's fit against those of
    points drawn from the fit (on the diagonal when the data look like draws from
    it).  Right (d >= 2): the fit's 1-sd ellipses beside the data's own
    responsibility-weighted scatter within each component.
    """
    fd = _data(fd)
    gof = fd["goodness_of_fit"]
    two = fd["n_features"] >= 2
    fig, axes = _axes(axes, 1, 2 if two else 1, size=(11, 4.8) if two else (5.6, 4.8))
    flat = np.ravel(axes)
    ax = flat[0]
    expected, observed = np.asarray(gof["expected"]), np.asarray(gof["observed"])
    colour = THRESHOLD if gof["poor"] else COLORS["EM (MLE)"]
    ax.plot(expected, observed, "o", ms=3, color=colour, label="quantiles (0.5% to 99.5%)")
    lo, hi = min(expected.min(), observed.min()), max(expected.max(), observed.max())
    ax.plot([lo, hi], [lo, hi], color="0.4", ls="--", lw=1, label="a perfect fit")
    ax.set(
        xlabel="log-density of points drawn from the fit",
        ylabel="log-density of the data",
        title=f"KS distance {gof['statistic']:.3f}, p = {gof['pvalue']:.2g}"
        + (": a poor fit" if gof["poor"] else ""),
    )
    ax.legend(fontsize="small", loc="upper left")
    if two:
        ax = flat[1]
        _scatter(ax, fd, color=FAINT)
        _fit_ellipses(ax, "EM (MLE)", fd["fits"]["EM (MLE)"])
        shape = gof["scatter_ellipses"]
        _ellipses(
            ax,
            shape["means"],
            shape["semi_axes"],
            shape["angles"],
            radii=(1, 2),
            color="k",
            lw=1.2,
            ls="--",
        )
        ax.set_aspect("equal", adjustable="datalim")
        _axis_labels(fd, ax)
        ax.set_title(
            "The fit (blue) and the data's own shape in each component (black)", fontsize="medium"
        )
        from matplotlib.lines import Line2D

        scatter = Line2D([], [], color="k", ls="--", label="weighted scatter of the data")
        handles = [fit_handle("EM (MLE)", "EM (MLE): 1 and 2 sd"), scatter]
        _legend_below(ax, handles, ncol=2)
    return fig, axes


def plot_diagnostics(fd, *, axes=None):
    """R-hat and ESS per parameter; wall time per step; divergences and relabelling on top."""
    fd = _data(fd)
    fig, axes = _axes(axes, 1, 3, size=(13, 4.8))
    diag = fd["diagnostics"]
    names = diag["names"]
    y = np.arange(len(names))
    axes[0].barh(y, np.asarray(diag["rhat"]) - 1.0, left=1.0, color="0.5")
    axes[0].axvline(RHAT_MAX, color=THRESHOLD, linestyle="--", label=f"limit {RHAT_MAX}")
    axes[0].set_yticks(y, names, fontsize="x-small")
    axes[0].set_title("R-hat (after relabelling)")
    _legend_below(axes[0], ncol=1)
    axes[1].barh(y - 0.2, diag["ess_bulk"], height=0.4, color=component_color(0), label="bulk")
    axes[1].barh(y + 0.2, diag["ess_tail"], height=0.4, color=component_color(3), label="tail")
    axes[1].axvline(
        ESS_PER_CHAIN_MIN * diag["chains"],
        color=THRESHOLD,
        linestyle="--",
        label=f"limit: {ESS_PER_CHAIN_MIN} per chain",
    )
    axes[1].set_yticks(y, names, fontsize="x-small")
    axes[1].set_title("Effective sample size")
    _legend_below(axes[1], ncol=3)
    timings = diag["timings"]
    axes[2].barh(list(timings), list(timings.values()), color="0.5")
    axes[2].set_xlabel("seconds")
    axes[2].set_title("Wall time per step")
    fig.suptitle(
        f"{diag['chains']} chains x {diag['draws']} draws: {diag['divergences']} divergences, "
        f"{100 * diag['share_relabelled']:.1f}% of draws relabelled"
    )
    return fig, axes
