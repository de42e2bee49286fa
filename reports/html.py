"""The self-contained HTML report of a comparison, written atomically."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

import em
from em.covariance import DESCRIPTIONS, mclust_name
from gmm_pp.io import output_folder
from gmm_pp.summary import formatted_table
from reports.figdata import figure_data
from reports.style import ESS_PER_CHAIN_MIN, RHAT_MAX

__all__ = ["render_page", "render_report", "save_figure", "write_page", "write_report"]

CAPTIONS = {
    "fits": (
        "Data and fitted components",
        "Each fit's components: ellipses (circles for the spherical model) at one and two "
        "standard deviations around each mean (a histogram with the mixture densities in "
        "1-D). The faint red cloud is where the posterior puts the means, and the faint "
        "ellipses are the components of a few posterior draws: the MLE and the MAP are "
        "single points inside them.",
    ),
    "loglik": (
        "Log-likelihood traces",
        "Left: EM's log-likelihood at every iteration; it never decreases, and restarts "
        "from other starts may stop at lower local maxima. Right: the log-likelihood of "
        "every posterior draw, per chain. The draws sit below the EM maximum, by about half "
        "the number of parameters (dashed): the posterior describes plausible parameters, "
        "not only the best-fitting one. That gap is the lesson of MLE against Bayes.",
    ),
    "parameters": (
        "Parameters",
        "The posterior of each weight, mean coordinate and standard deviation, with EM's "
        "estimate (blue), the MAP (orange) and the truth when known (dotted). With little "
        "data the posterior is wide and the MAP is pulled towards the prior; with much data "
        "all three agree.",
    ),
    "trajectories": (
        "EM trajectories",
        "How EM moves the means from their start (squares) to the estimate: each iteration "
        "re-weighs the points (E-step) and re-averages them (M-step).",
    ),
    "assignments": (
        "Assignments",
        "Each point coloured by its most likely component, faded where that is uncertain "
        "(1 - max responsibility). Left with EM's estimate; right averaged over posterior "
        "draws, which also carries the uncertainty about the parameters.",
    ),
    "diagnostics": (
        "Sampler diagnostics",
        f"R-hat near 1 (below {RHAT_MAX}) means the chains agree; the effective sample size "
        f"counts independent draws (at least {ESS_PER_CHAIN_MIN} per chain is wanted). "
        "Divergences, the share of "
        "draws relabelled to EM's labels, and each step's wall time.",
    ),
}


def _lesson(comparison) -> str:
    """How the three fits differ on this data, in two sentences."""
    table = comparison.table()
    diff = (table.em - table.post_mean).abs()
    # A parameter the posterior does not vary (the weight of a single component)
    # differs by 0 sds when the fits agree on it.
    gap = diff / table.post_sd.where(table.post_sd > 0)
    gap = gap.where(table.post_sd > 0, np.where(diff > 0, np.inf, 0.0))
    worst = table.parameter[gap.idxmax()]
    text = (
        f"On this data EM's estimate and the posterior mean differ by at most "
        f"{gap.max():.2f} posterior standard deviations ({worst}); the posterior's typical "
        f"sd is {table.post_sd.median():.3g}, the uncertainty a single estimate hides."
    )
    if comparison.truth is not None:
        inside = ((table.truth >= table.eti94_lower) & (table.truth <= table.eti94_upper)).sum()
        text += f" The 94% intervals contain the truth for {inside} of {len(table)} parameters."
    return text


def _model_name(comparison) -> str:
    """``spherical`` or, e.g., ``full-covariance (VVV)``, for the page's title."""
    kind, d = comparison.covariance_type, comparison.X.shape[1]
    if kind == "spherical":
        return DESCRIPTIONS[kind]
    return f"{DESCRIPTIONS[kind]} ({mclust_name(kind, d)})"


def _table(comparison) -> tuple[list[str], list[list[str]]]:
    table = comparison.table()
    if comparison.truth is None:
        table = table.drop(columns="truth")

    return [str(c) for c in table.columns], formatted_table(table)


def render_page(folder: Path, template: str, **context) -> None:
    """Render a packaged jinja2 template (autoescaped) to ``folder/index.html``."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    (folder / "index.html").write_text(env.get_template(template).render(**context), "utf-8")


def save_figure(fig, folder: Path, name: str, caption: tuple[str, str], dpi: int) -> dict:
    """Save ``fig`` as ``folder/name.png`` and close it; the template's record of it.

    Returns
    -------
    dict
        ``name``, ``file``, ``title``, ``caption`` and the PNG in ``base64``.
    """
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=dpi)  # a Figure of its own (no pyplot): nothing to close
    return {
        "name": name,
        "file": path.name,
        "title": caption[0],
        "caption": caption[1],
        "base64": base64.b64encode(path.read_bytes()).decode("ascii"),
    }


def write_report(
    comparison, out_dir: str | Path, *, title: str | None = None, overwrite: bool = False
) -> Path:
    """Write the report of a comparison to the folder ``out_dir``, all of it or nothing.

    ``index.html`` (self-contained: every image is also embedded), one PNG per
    figure and ``data.json``, rendered from a jinja2 template with autoescaping.
    Written under gmm-pp's output policy (:mod:`gmm_pp.io`): into a temporary
    folder renamed into place when complete, so an error, Ctrl-C or a kill never
    leaves a half-written report and never destroys an earlier one.

    Parameters
    ----------
    comparison : gmm_pp.Comparison
    out_dir : str or Path
    title : str, optional
    overwrite : bool, default False
        Replace an existing non-empty folder.

    Returns
    -------
    Path
        The path of ``index.html``.

    Raises
    ------
    gmm_pp.errors.OutputError
        When ``out_dir`` is a file, is not empty (without ``overwrite``) or is
        being written by another process.
    """
    return write_page(render_report, comparison, out_dir, overwrite=overwrite, title=title)


def write_page(render, subject, out_dir: str | Path, *, overwrite: bool = False, **kwargs) -> Path:
    """``render(subject, folder, **kwargs)`` into ``out_dir``, all of it or nothing.

    Under gmm-pp's output policy (:func:`gmm_pp.io.output_folder`): the files are
    written into a temporary folder renamed into place when complete.

    Returns
    -------
    Path
        The path of ``index.html``.
    """
    with output_folder(
        out_dir, overwrite=overwrite, name="out_dir", hint="pass overwrite=True"
    ) as tmp:
        render(subject, tmp, **kwargs)
    return Path(out_dir) / "index.html"


def render_report(
    comparison, folder: str | Path, *, title: str | None = None, selection: str | None = None
) -> Path:
    """Write the report's files into the existing folder ``folder`` (not atomic).

    Use :func:`write_report`, or call this inside :func:`gmm_pp.io.output_folder`
    to write the report together with other files (as ``gmm-pp fit`` does).
    ``selection``: the link (relative to the page) to the model selection that
    chose this model, shown at the top.

    Returns
    -------
    Path
        The path of ``index.html``.
    """
    from reports import plots

    tmp = Path(folder)
    tmp.mkdir(exist_ok=True)
    fd = figure_data(comparison)
    drawers = {
        "fits": plots.plot_data_and_fits,
        "loglik": plots.plot_loglik_traces,
        "parameters": plots.plot_parameters,
        "trajectories": plots.plot_em_trajectories,
        "assignments": plots.plot_assignments,
        "diagnostics": plots.plot_diagnostics,
    }
    figures = []
    for name, draw in drawers.items():
        fig, _ = draw(fd)
        figures.append(save_figure(fig, tmp, name, CAPTIONS[name], dpi=110))
    columns, rows = _table(comparison)
    d = comparison.diagnostics
    render_page(
        tmp,
        "report.html.j2",
        title=title or f"EM, MAP and posterior of a {_model_name(comparison)} Gaussian mixture",
        n_samples=comparison.X.shape[0],
        n_features=comparison.X.shape[1],
        n_components=comparison.n_components,
        seed=comparison.seed,
        warnings=comparison.warnings(),
        lesson=_lesson(comparison),
        em_loglik=comparison.mle.log_likelihood,
        em_iter=comparison.mle.n_iter,
        basins=fd["em_basins"],
        spurious_variance=f"{em.defaults.SPURIOUS_VARIANCE:g}",
        chains=d.chains,
        draws=d.draws,
        columns=columns,
        rows=rows,
        figures=figures,
        versions=comparison.versions,
        selection=selection,
    )
    payload = {
        "figures": fd.to_json(),
        "seed": comparison.seed,
        "sampler": comparison.sampler.to_dict(),
        "versions": comparison.versions,
        "warnings": comparison.warnings(),
    }
    (tmp / "data.json").write_text(json.dumps(payload, allow_nan=True), "utf-8")
    return tmp / "index.html"
