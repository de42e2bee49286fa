"""The self-contained HTML report of a comparison, written atomically."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import em
from em.covariance import DESCRIPTIONS, mclust_name
from gmm_pp.io import output_folder
from gmm_pp.summary import formatted_table
from reports.captions import map_agreement, misfit_warning, report_captions, summary_sentence
from reports.figdata import figure_data

__all__ = ["render_page", "render_report", "save_figure", "write_page", "write_report"]


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
        "fits_apart": plots.plot_fits_apart,
        "offsets": plots.plot_fit_offsets,
        "loglik": plots.plot_loglik_traces,
        "parameters": plots.plot_parameters,
        "trajectories": plots.plot_em_trajectories,
        "goodness": plots.plot_goodness_of_fit,
        "assignments": plots.plot_assignments,
        "diagnostics": plots.plot_diagnostics,
    }
    captions = report_captions(fd)
    figures = []
    for name, draw in drawers.items():
        fig, _ = draw(fd)
        figures.append(save_figure(fig, tmp, name, captions[name], dpi=110))
    warnings = comparison.warnings()
    misfit = misfit_warning(fd, selection=selection)
    if misfit:
        warnings = [*warnings, misfit]
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
        warnings=warnings,
        lesson=summary_sentence(fd),
        map_agreement=map_agreement(fd),
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
        "warnings": warnings,
        "captions": {name: list(text) for name, text in captions.items()},
    }
    (tmp / "data.json").write_text(json.dumps(payload, allow_nan=True), "utf-8")
    return tmp / "index.html"
