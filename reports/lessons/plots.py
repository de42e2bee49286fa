"""Figures of the lessons: each draws numbers a lesson computed (``Figure.data``).

Every function takes that ``data`` dict and an optional ``ax``/``axes`` and
returns ``(fig, axes)``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from reports.style import COLORS, CRITERIA, component_color

__all__ = [
    "plot_bayes_vs_n",
    "plot_criteria_grid",
    "plot_loglik_vs_k",
    "plot_loo_models",
    "plot_course_example",
    "plot_degeneracy",
    "plot_endpoints",
    "plot_gap_vs_parameters",
    "plot_loglik_curves",
    "plot_mean_paths",
    "plot_structures",
]


def _axes(ncols: int, axes, width: float = 5.0, height: float = 3.8):
    if axes is None:
        fig = Figure(figsize=(width * ncols, height), layout="constrained")
        axes = fig.subplots(1, ncols, squeeze=False)
        return fig, axes[0]
    axes = np.atleast_1d(axes)
    return axes[0].figure, axes


#: The methods of the lessons' comparisons: (colour, line style, line width, marker).
_METHODS = {
    "EM": (COLORS["EM (MLE)"], "-", 2.2, "o"),
    "gradient ascent": ("0.35", "--", 1.2, "."),
}


def _method(label: str, i: int) -> dict:
    colour, ls, lw, marker = _METHODS.get(label, (component_color(i), "-", 1.2, "."))
    return {"color": colour, "linestyle": ls, "linewidth": lw, "marker": marker}


def plot_loglik_curves(data: dict, ax=None):
    """Log-likelihood per iteration, one line per method (``series``: label -> values)."""
    fig, (ax,) = _axes(1, None if ax is None else [ax])
    for i, (label, values) in enumerate(data["series"].items()):
        ax.plot(np.arange(len(values)), values, ms=3, label=label, **_method(label, i))
    ax.set(xlabel="iteration", ylabel=data.get("ylabel", "log-likelihood"))
    ax.set_title(data.get("title", "Log-likelihood per iteration"))
    ax.set_xscale("symlog", linthresh=10)
    ax.margins(y=0.05)
    ax.legend()
    return fig, ax


def plot_course_example(data: dict, axes=None):
    """The points with the mixture density at the start and at convergence; EM's trace."""
    fig, axes = _axes(2, axes)
    ax = axes[0]
    ax.plot(data["grid"], data["density_start"], ls="--", color="grey", label="start")
    ax.plot(data["grid"], data["density_end"], color=COLORS["EM (MLE)"], label="EM's estimate")
    ax.plot(data["points"], np.zeros(len(data["points"])), "k|", ms=20, mew=2, label="points")
    ax.set(xlabel="x", ylabel="mixture density")
    ax.legend()
    ll = data["loglik"]
    axes[1].plot(np.arange(len(ll)), ll, marker="o", color=COLORS["EM (MLE)"])
    axes[1].set(
        xlabel="iteration", ylabel="log-likelihood", title="Log-likelihood per EM iteration"
    )
    return fig, axes


def plot_mean_paths(data: dict, ax=None):
    """Contours of the log-likelihood over (mu_1, mu_2) and each method's path."""
    fig, (ax,) = _axes(1, None if ax is None else [ax], width=5.5, height=5.0)
    axis = np.asarray(data["axis"])
    Z = np.asarray(data["loglik"])
    ax.contour(axis, axis, Z, levels=data["levels"], cmap="Greys", linewidths=0.7)
    # EM last and on top, thick with open circles; gradient ascent thin, dashed, dotted
    order = sorted(data["paths"], key=lambda label: label == "EM")
    for i, label in enumerate(order):
        path = np.asarray(data["paths"][label])
        style = _method(label, i)
        ax.plot(path[:, 0], path[:, 1], ms=5 if label == "EM" else 3, mfc="none",
                zorder=3 + (label == "EM"), label=f"{label} ({len(path) - 1} iterations)",
                **style)  # fmt: skip
        big = label == "EM"  # the other's smaller star on top, where both stop together
        ax.plot(*path[-1], "*", color=style["color"], ms=17 if big else 9, mec="k",
                zorder=5 if big else 6, label=f"{label}: where it stopped")  # fmt: skip
    start = np.asarray(data["paths"][order[0]])[0]
    ax.plot(*start, "s", color="k", ms=7, zorder=6, label="the common start")
    ax.set(xlabel="mean of component 1", ylabel="mean of component 2", aspect="equal")
    ax.set_title("Paths of the two means over the log-likelihood")
    ax.legend(fontsize="small", loc="best")
    return fig, ax


def plot_endpoints(data: dict, axes=None):
    """EM's end points from many starts (share and log-likelihood), and where each fit landed."""
    fig, axes = _axes(2, axes, width=5.5)
    ends = data["endpoints"]
    labels = [f"#{i + 1}" for i in range(len(ends))]
    axes[0].bar(labels, [e["share"] for e in ends], color=COLORS["EM (MLE)"])
    for i, e in enumerate(ends):
        axes[0].annotate(f"{e['loglik']:.1f}", (i, e["share"]), ha="center", va="bottom")
    axes[0].set(xlabel="distinct end point (label: its log-likelihood)",
                ylabel="share of starts", title="Where EM stops")  # fmt: skip
    ax = axes[1]
    X = np.asarray(data["X"])
    ax.scatter(X[:, 0], X[:, 1], s=6, color="0.75")
    for i, e in enumerate(ends):
        m = np.asarray(e["means"])
        ax.scatter(m[:, 0], m[:, 1], marker="o", s=70, facecolors="none",
                   edgecolors=component_color(i), lw=1.5,
                   label=f"EM end point #{i + 1}")  # fmt: skip
    m = np.asarray(data["map_means"])
    ax.scatter(m[:, 0], m[:, 1], marker="x", s=80, color=COLORS["PyMC MAP"], label="PyMC MAP")
    for c, cm in enumerate(data["chain_means"]):
        cm = np.asarray(cm)
        ax.scatter(cm[:, 0], cm[:, 1], marker="+", s=80, color=COLORS["posterior"],
                   label="posterior mean, per chain" if c == 0 else None)  # fmt: skip
    ax.set(xlabel="x1", ylabel="x2", title="Component means")
    ax.legend(fontsize="x-small")
    return fig, axes


def plot_bayes_vs_n(data: dict, axes=None):
    """Per n: a parameter's MLE, MAP and posterior interval; the draws' log-likelihood gap."""
    fig, axes = _axes(2, axes, width=5.5)
    ns = np.asarray(data["n"])
    ax = axes[0]
    ax.axhline(data["truth"], color="k", ls=":", label="truth")
    ax.fill_between(ns, data["lo"], data["hi"], color=COLORS["posterior"], alpha=0.2,
                    label="posterior 94% interval")  # fmt: skip
    ax.plot(ns, data["post_mean"], color=COLORS["posterior"], marker="o", label="posterior mean")
    ax.plot(ns, data["mle"], color=COLORS["EM (MLE)"], marker="s", ls="--", label="EM (MLE)")
    ax.plot(ns, data["map"], color=COLORS["MAP-EM"], marker="^", ls="--", label="MAP")
    ax.set(xscale="log", xlabel="n (points)", ylabel=data["parameter"], title=data["parameter"])
    ax.legend(fontsize="small")
    ax = axes[1]
    ax.plot(ns, data["gap"], marker="o", color=COLORS["posterior"], label="EM maximum - mean draw")
    ax.axhline(data["half_params"], color="k", ls="--", label="half the number of parameters")
    ax.set(xscale="log", xlabel="n (points)", ylabel="log-likelihood gap",
           title="The draws' gap to EM's maximum")  # fmt: skip
    ax.legend(fontsize="small")
    return fig, axes


def plot_degeneracy(data: dict, axes=None):
    """The climbing log-likelihood, the log posterior on its own scale, each fit's smallest sd.

    ``data``: ``sigma``, ``loglik`` and ``log_posterior`` (one value per sd), ``collapsed``
    (``sd`` and ``loglik`` where EM's collapsed run stopped, or None), ``map_sd`` and
    ``smallest_sd`` (fit -> sd).
    """
    fig, axes = _axes(3, axes, width=4.6)
    sigma = data["sigma"]
    ax = axes[0]
    ax.plot(sigma, data["loglik"], color=COLORS["EM (MLE)"], label="log-likelihood")
    if data.get("collapsed"):
        c = data["collapsed"]
        ax.plot([c["sd"]], [c["loglik"]], "X", ms=9, color="black",
                label=f"EM's collapsed run stopped (sd {c['sd']:.2g})")  # fmt: skip
    ax.set(xscale="log", xlabel="sd of the component on one point", ylabel="log-likelihood",
           title="Log-likelihood as one component shrinks")  # fmt: skip
    ax.invert_xaxis()
    ax.legend(fontsize="small", loc="upper left")
    ax = axes[1]
    ax.plot(sigma, data["log_posterior"], color=COLORS["posterior"],
            label="log-likelihood + log prior")  # fmt: skip
    ax.axvline(data["map_sd"], color=COLORS["MAP-EM"], linestyle="--",
               label=f"the MAP's smallest sd ({data['map_sd']:.2g})")  # fmt: skip
    ax.set(xscale="log", xlabel="sd of the component on one point",
           ylabel="log-likelihood + log prior",
           title="With the prior, as one component shrinks")  # fmt: skip
    ax.set_yscale("symlog", linthresh=100)  # the peak near 0 and the plunge to -1e15 both read
    ax.set_ylim(top=max(0.0, max(data["log_posterior"])) + 10)
    ax.invert_xaxis()
    ax.legend(fontsize="small", loc="lower left")
    ax = axes[2]
    names = list(data["smallest_sd"])
    palette = [COLORS["EM (MLE)"], COLORS["MAP-EM"], COLORS["posterior"]]
    ax.bar(names, [data["smallest_sd"][k] for k in names], color=palette[: len(names)])
    ax.set(yscale="log", ylabel="smallest component sd", title="Where each fit ends")
    ax.tick_params(axis="x", labelsize="small")
    return fig, axes


def plot_structures(data: dict, axes=None):
    """One panel per covariance structure: the points and each component's 1- and 2-sd ellipse.

    ``data``: ``points`` (n, 2), ``axis_labels``, and ``panels`` (structure -> ``title``,
    ``means`` (K, 2), ``semi_axes`` (K, 2) and ``angles`` (K,) in degrees).
    """
    panels = data["panels"]
    fig, axes = _axes(len(panels), axes, width=3.6, height=3.6)
    pts = np.asarray(data["points"])
    for ax, panel in zip(axes, panels.values(), strict=False):
        ax.scatter(pts[:, 0], pts[:, 1], s=5, color="0.6", alpha=0.6)
        for mu, semi, angle in zip(panel["means"], panel["semi_axes"], panel["angles"],
                                   strict=True):  # fmt: skip
            for r in (1, 2):
                ax.add_patch(Ellipse(mu, 2 * r * semi[0], 2 * r * semi[1], angle=angle,
                                     fill=False, color=COLORS["EM (MLE)"],
                                     alpha=1.0 if r == 1 else 0.5))  # fmt: skip
            ax.plot(*mu, "x", color=COLORS["EM (MLE)"])
        ax.set_title(panel["title"], fontsize="small")
        ax.set(xlabel=data["axis_labels"][0], ylabel=data["axis_labels"][1])
    return fig, axes


def plot_gap_vs_parameters(data: dict, ax=None):
    """EM's maximum minus the draws' mean log-likelihood against the number of parameters.

    One point per structure, with the line gap = parameters / 2.
    """
    fig, (ax,) = _axes(1, None if ax is None else [ax])
    p = np.asarray(data["parameters"], dtype=float)
    ax.plot(p, data["gaps"], "o", color=COLORS["posterior"], label="gap of the posterior draws")
    for name, x, y in zip(data["structures"], p, data["gaps"], strict=True):
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(5, -10), fontsize="small")
    line = np.linspace(0, p.max() * 1.1, 2)
    ax.plot(line, line / 2, "--", color="0.4", label="parameters / 2")
    ax.set(xlabel="free parameters", ylabel="EM maximum - mean draw log-likelihood",
           title="The draws' gap to the peak against the parameters")  # fmt: skip
    ax.legend(fontsize="small")
    return fig, ax


def plot_loglik_vs_k(data: dict, axes=None):
    """The log-likelihood (left) and BIC, ICL and AIC (right) against K for one structure.

    ``data``: ``k``, ``log_likelihood``, ``bic``, ``icl``, ``aic`` (lists), ``truth``
    (the true K, or None).
    """
    fig, axes = _axes(2, axes)
    k = np.asarray(data["k"])
    axes[0].plot(k, data["log_likelihood"], "o-", color=COLORS["EM (MLE)"])
    axes[0].set(xlabel="K", ylabel="maximised log-likelihood",
                title="The maximised log-likelihood against K")  # fmt: skip
    for name in ("bic", "icl", "aic"):
        _, colour, marker = CRITERIA[name]
        values = np.asarray(data[name])
        axes[1].plot(k, values, marker=marker, color=colour, label=name.upper())
        best = int(np.argmin(values))
        axes[1].plot(k[best], values[best], "o", ms=14, mfc="none", mec=colour)
    if data.get("truth") is not None:
        for ax in axes:
            ax.axvline(data["truth"], color="0.5", ls=":", label="true K")
    axes[1].set(xlabel="K", ylabel="criterion (lower is better)",
                title="Penalised criteria (their minimum ringed)")  # fmt: skip
    axes[1].legend(fontsize="small")
    for ax in axes:
        ax.set_xticks(k)
    return fig, axes


def plot_criteria_grid(data: dict, axes=None):
    """BIC and ICL against K for every structure (the selection page's figure)."""
    from reports.selection_plots import plot_criteria

    return plot_criteria(data["criteria"], data["chosen"], axes=axes)


def plot_loo_models(data: dict, ax=None):
    """elpd_loo of each fitted posterior with 2 SE bars, and its stacking weight."""
    from reports.selection_plots import plot_loo

    return plot_loo(data["loo"], ax=ax)
