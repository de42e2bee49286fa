"""The report's figures: one public function each.

Every function takes finished numbers (a :class:`reports.figdata.FigureData`),
draws them on ``ax`` (or ``axes``) when given or on a new
``matplotlib.figure.Figure`` (no pyplot, no backend switched), and returns
``(figure, axes)``; nothing is computed and nothing is shown.  Given a
:class:`gmm_pp.Comparison` instead (in a notebook, say), a function first asks
:func:`reports.figdata.figure_data` for the numbers.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from reports.figdata import FigureData, figure_data
from reports.style import COLORS, ESS_PER_CHAIN_MIN, LINESTYLES, RHAT_MAX, THRESHOLD

__all__ = [
    "plot_assignments",
    "plot_data_and_fits",
    "plot_diagnostics",
    "plot_em_trajectories",
    "plot_loglik_traces",
    "plot_parameters",
]


def _data(source):
    """The figure data of ``source``: a FigureData as it is, a Comparison's computed."""
    return source if isinstance(source, FigureData) else figure_data(source)


def _axes(ax, nrows=1, ncols=1, size=(6.4, 4.8)):
    if ax is not None:
        return ax.figure if nrows * ncols == 1 else ax.flat[0].figure, ax
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols)
    return fig, axes


def _axis_labels(fd, ax):
    xlabel, ylabel = fd["axis_labels"]
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def plot_data_and_fits(fd, *, ax=None):
    """Data and fitted components.

    1-D: a histogram with each fit's mixture density.  2-D (or the first two
    principal components for d > 2): a scatter with 1- and 2-sd ellipses
    (circles for spherical) for each fit, the 1-sd ellipses of a few posterior
    draws, and a cloud of posterior draws of the means.
    """
    fd = _data(fd)
    fig, ax = _axes(ax)
    if fd["n_features"] == 1:
        hist = fd["histogram"]
        edges = hist["edges"]
        ax.bar(
            edges[:-1],
            hist["density"],
            width=np.diff(edges),
            align="edge",
            color="0.85",
            edgecolor="0.6",
            label="data",
        )
        for name, dens in fd["densities"].items():
            ax.plot(
                fd["density_grid"],
                dens,
                color=COLORS[name],
                linestyle=LINESTYLES[name],
                label=name,
            )
        ax.set_xlabel(fd["feature_labels"][0])
        ax.set_ylabel("density")
    else:
        pts = fd["points"]
        ax.scatter(pts[:, 0], pts[:, 1], s=6, color="0.6", alpha=0.6, label="data")
        cloud = fd["mean_cloud"].reshape(-1, 2)
        ax.scatter(
            cloud[:, 0],
            cloud[:, 1],
            s=3,
            color=COLORS["posterior mean"],
            alpha=0.15,
            label="posterior draws of the means",
        )
        draws = fd["draw_ellipses"]
        for means, semi, angles in zip(
            draws["means"], draws["semi_axes"], draws["angles"], strict=True
        ):
            for mu, axes_, angle in zip(means, semi, angles, strict=True):
                ax.add_patch(
                    Ellipse(mu, 2 * axes_[0], 2 * axes_[1], angle=angle, fill=False, lw=0.5,
                            color=COLORS["posterior mean"], alpha=0.12)
                )  # fmt: skip
        for name, fit in fd["fits"].items():
            color = COLORS[name]
            for mu, axes_, angle in zip(fit["means"], fit["semi_axes"], fit["angles"], strict=True):
                for r in (1, 2):
                    ax.add_patch(
                        Ellipse(
                            mu,
                            2 * r * axes_[0],
                            2 * r * axes_[1],
                            angle=angle,
                            fill=False,
                            color=color,
                            linestyle=LINESTYLES[name],
                            alpha=1.0 if r == 1 else 0.5,
                        )
                    )
            ax.plot(fit["means"][:, 0], fit["means"][:, 1], "x", color=color, label=name)
        ax.set_aspect("equal", adjustable="datalim")
        _axis_labels(fd, ax)
    shape = "circles" if fd["covariance_type"] == "spherical" else "ellipses"
    ax.set_title(
        f"Data and fitted components ({shape}: 1 and 2 sd; faint: posterior draws)"
        if fd["n_features"] > 1
        else "Data and fitted densities"
    )
    ax.legend(fontsize="small", loc="best")
    return fig, ax


def plot_loglik_traces(fd, *, axes=None):
    """EM's log-likelihood per iteration, and every posterior draw's, per chain."""
    fd = _data(fd)
    fig, axes = _axes(axes, 1, 2, size=(11, 4.2))
    left, right = axes
    for i, r in enumerate(fd["em_restarts"]):
        best = i == fd["em_best"]
        ll = np.asarray(r["log_likelihood"])
        left.plot(
            np.arange(ll.size),
            ll,
            color=COLORS["EM (MLE)"] if best else "0.7",
            linewidth=2 if best else 1,
            zorder=3 if best else 2,
            label="best restart"
            if best
            else ("other restarts" if i == 0 or (i == 1 and fd["em_best"] == 0) else None),
        )
        if best:
            left.plot(
                ll.size - 1,
                ll[-1],
                "o",
                color=COLORS["EM (MLE)"],
                label=f"stopped ({r['stop_reason']}) at iteration {ll.size - 1}",
            )
    left.set_xlabel("EM iteration")
    left.set_ylabel("log-likelihood")
    left.set_title("EM climbs to the maximum")
    left.legend(fontsize="small")
    draw_ll = np.asarray(fd["draw_log_likelihood"])
    for c in range(draw_ll.shape[0]):
        right.plot(draw_ll[c], linewidth=0.6, alpha=0.8, label=f"chain {c}")
    right.axhline(fd["em_max"], color=COLORS["EM (MLE)"], linewidth=2, label="EM maximum")
    right.axhline(
        fd["em_max"] - fd["n_parameters"] / 2, color="0.3", linestyle="--", label="EM maximum - p/2"
    )
    right.set_xlabel("posterior draw")
    right.set_ylabel("log-likelihood of the draw")
    right.set_title("Posterior draws sit below the maximum")
    right.legend(fontsize="small", ncol=2)
    return fig, axes


def plot_parameters(fd, *, axes=None, forest: bool | None = None):
    """Posterior density of every weight, mean coordinate and sd, with EM, MAP and truth.

    With many parameters (``forest=None`` and more than 24) a forest plot instead.
    """
    fd = _data(fd)
    params = fd["parameters"]
    if forest is None:
        forest = len(params) > 24
    if forest:
        fig, ax = _axes(axes, size=(6.4, 0.3 * len(params) + 1.5))
        y = np.arange(len(params))[::-1]
        for yi, p in zip(y, params, strict=True):
            ax.plot([p["lower"], p["upper"]], [yi, yi], color=COLORS["posterior mean"])
            ax.plot(
                p["post_mean"],
                yi,
                "o",
                color=COLORS["posterior mean"],
                label="posterior mean, 94% interval" if yi == y[0] else None,
            )
            ax.plot(
                p["em"], yi, "x", color=COLORS["EM (MLE)"], label="EM (MLE)" if yi == y[0] else None
            )
            ax.plot(
                p["map_em"], yi, "+", color=COLORS["MAP-EM"], label="MAP-EM" if yi == y[0] else None
            )
            if p["truth"] is not None:
                ax.plot(
                    p["truth"],
                    yi,
                    "|",
                    color="k",
                    markersize=10,
                    label="truth" if yi == y[0] else None,
                )
        ax.set_yticks(y, [p["name"] for p in params])
        ax.set_title("All parameters")
        ax.legend(fontsize="small")
        return fig, ax
    ncols = 3
    nrows = int(np.ceil(len(params) / ncols))
    fig, axes = _axes(axes, nrows, ncols, size=(11, 2.4 * nrows + 0.5))
    flat = np.ravel(axes)
    for ax, p in zip(flat, params, strict=False):
        edges = np.asarray(p["edges"])
        ax.stairs(
            p["density"],
            edges,
            fill=True,
            color=COLORS["posterior mean"],
            alpha=0.35,
            label="posterior",
        )
        ax.axvline(p["em"], color=COLORS["EM (MLE)"], label="EM (MLE)")
        ax.axvline(p["map_em"], color=COLORS["MAP-EM"], linestyle="--", label="MAP")
        if p["truth"] is not None:
            ax.axvline(p["truth"], color="k", linestyle=":", label="truth")
        ax.set_title(p["name"], fontsize="medium")
        ax.set_yticks([])
    for ax in flat[len(params) :]:
        ax.set_visible(False)
    flat[0].legend(fontsize="x-small")
    return fig, axes


def plot_em_trajectories(fd, *, ax=None):
    """How EM moves the means over the iterations (2-D: paths over the data)."""
    fd = _data(fd)
    traj = np.asarray(fd["trajectory"])  # (T, K, 2) or (T, K, 1)
    if traj.shape[-1] >= 2:
        fig, ax = _axes(ax)
        pts = fd["points"]
        ax.scatter(pts[:, 0], pts[:, 1], s=5, color="0.75", label="data")
        for j in range(traj.shape[1]):
            ax.plot(
                traj[:, j, 0],
                traj[:, j, 1],
                "-o",
                markersize=2.5,
                linewidth=1,
                label=f"component {j}",
            )
            ax.plot(traj[0, j, 0], traj[0, j, 1], "s", color="k", markersize=4)
        _axis_labels(fd, ax)
        ax.set_title("EM paths of the means (squares: start)")
    else:
        fig, ax = _axes(ax)
        for j in range(traj.shape[1]):
            ax.plot(traj[:, j, 0], "-o", markersize=2.5, label=f"component {j}")
        ax.set_xlabel("EM iteration")
        ax.set_ylabel("mean")
        ax.set_title("EM trajectories of the means")
    ax.legend(fontsize="small")
    return fig, ax


def plot_assignments(fd, *, axes=None):
    """Most likely component of every point, shaded by uncertainty: EM vs posterior."""
    fd = _data(fd)
    fig, axes = _axes(axes, 1, 2, size=(11, 4.5))
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
                pts[sel, 0], y[sel], s=10, alpha=alpha[sel], color=f"C{j}", label=f"component {j}"
            )
        ax.set_title(f"{name} responsibilities (faded: uncertain)")
        if pts.shape[1] > 1:
            _axis_labels(fd, ax)
        else:
            ax.set_xlabel(fd["feature_labels"][0])
            ax.set_yticks([])
        ax.legend(fontsize="small")
    return fig, axes


def plot_diagnostics(fd, *, axes=None):
    """R-hat and ESS per parameter; divergences, relabelling and wall times."""
    fd = _data(fd)
    fig, axes = _axes(axes, 1, 3, size=(13, 4.2))
    diag = fd["diagnostics"]
    names = diag["names"]
    y = np.arange(len(names))
    axes[0].barh(y, np.asarray(diag["rhat"]) - 1.0, left=1.0, color="0.5")
    axes[0].axvline(RHAT_MAX, color=THRESHOLD, linestyle="--", label=f"{RHAT_MAX}")
    axes[0].set_yticks(y, names, fontsize="x-small")
    axes[0].set_title("R-hat (after relabelling)")
    axes[0].legend(fontsize="small")
    axes[1].barh(y - 0.2, diag["ess_bulk"], height=0.4, label="bulk")
    axes[1].barh(y + 0.2, diag["ess_tail"], height=0.4, label="tail")
    axes[1].axvline(
        ESS_PER_CHAIN_MIN * diag["chains"],
        color=THRESHOLD,
        linestyle="--",
        label=f"{ESS_PER_CHAIN_MIN} per chain",
    )
    axes[1].set_yticks(y, names, fontsize="x-small")
    axes[1].set_title("Effective sample size")
    axes[1].legend(fontsize="small")
    timings = diag["timings"]
    axes[2].barh(list(timings), list(timings.values()), color="0.5")
    axes[2].set_xlabel("seconds")
    axes[2].set_title(
        f"{diag['divergences']} divergences, {100 * diag['share_relabelled']:.1f}% relabelled"
    )
    return fig, axes
