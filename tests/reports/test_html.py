"""The HTML report: content and atomic writing (in a browser: tests/test_pages_in_browser.py)."""

import json

import numpy as np
import pytest

import reports


@pytest.fixture(scope="module")
def report(comparison, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "site"
    return reports.write_report(comparison, out, title="Test <report> & co")


def test_page_pngs_and_data(report, comparison):
    html = report.read_text()
    for name in ("EM (maximum likelihood, MLE)", "MAP (maximum a posteriori)", "Posterior"):
        assert name in html
    names = ("fits", "fits_apart", "offsets", "loglik", "parameters", "trajectories", "goodness",
             "assignments", "diagnostics")  # fmt: skip
    assert html.count("data:image/png;base64,") == len(names)
    for png in names:
        path = report.parent / f"{png}.png"
        assert path.stat().st_size > 1000
        assert f'id="{png}"' in html
    assert "Test &lt;report&gt; &amp; co" in html  # autoescaped
    assert "The 94% intervals contain the truth for" in html
    data = json.loads((report.parent / "data.json").read_text())
    assert data["seed"] == comparison.seed
    assert data["versions"]["pymc"]
    assert data["figures"]["em_max"] == pytest.approx(comparison.mle.log_likelihood)


def test_the_page_lists_the_maxima_em_reached(report, comparison):
    """The basins of the result's record: each maximum, the starts that reached it, the estimate."""
    html = report.read_text()
    basins = comparison.mle.basins
    data = json.loads((report.parent / "data.json").read_text())["figures"]["em_basins"]
    assert [b["log_likelihood"] for b in data] == pytest.approx([b.log_likelihood for b in basins])
    assert sum(b["restarts"] for b in data) == sum(len(b.restarts) for b in basins)
    section = html[html.index('id="basins"') : html.index("</details>")]
    assert section.count("<tr>") == len(basins) + 1
    chosen = next(b for b in basins if b.chosen)
    assert f"<td>{chosen.log_likelihood:.3f}</td><td>{chosen.reached_by}</td>" in section
    assert section.count("the estimate") == 1


def test_warnings_stand_at_the_top(comparison, tmp_path, monkeypatch):
    import dataclasses

    sick = dataclasses.replace(
        comparison.diagnostics, problems=["R-hat is 1.2 > 1.01 after relabelling: run more"]
    )
    bad = dataclasses.replace(comparison, diagnostics=sick)
    html = reports.write_report(bad, tmp_path / "r").read_text()
    top = html.index('id="warnings"')
    assert html.index("R-hat is 1.2") > top
    assert html.index("R-hat is 1.2") < html.index("<figure")


def test_failure_keeps_the_earlier_report(report, comparison, monkeypatch):
    from reports import plots

    before = report.read_text()

    def boom(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(plots, "plot_diagnostics", boom)
    with pytest.raises(RuntimeError, match="drawing failed"):
        reports.write_report(comparison, report.parent, overwrite=True)
    assert report.read_text() == before
    leftovers = [p for p in report.parent.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.parametrize("kind", ["diag", "tied", "full"])
def test_every_covariance_structure_is_named_and_drawn(kind, make_synthetic):
    """A structured comparison's title, parameter names and ellipses (its figures are drawn
    by tests/reports/test_figures.py; the whole page is written once, for full, below)."""
    from reports.figdata import figure_data
    from reports.html import _model_name

    comparison = make_synthetic(2, k=2, covariance_type=kind)
    title = {"diag": "diagonal-covariance (VVI)", "tied": "tied-covariance (EEE)",
             "full": "full-covariance (VVV)"}  # fmt: skip
    assert _model_name(comparison) == title[kind]
    data = figure_data(comparison).to_json()
    assert data["covariance_type"] == kind
    names = [p["name"] for p in data["parameters"]]
    assert names == list(comparison.table()["parameter"])
    entry = {"diag": "variance[0,1]", "tied": "cov[1,0]", "full": "cov[1,1,1]"}
    assert entry[kind] in names
    # The fits' ellipses: the semi-axes are the square roots of the covariance's eigenvalues.
    cov = comparison.mle.params.covariance_matrices()
    want = np.sqrt(np.linalg.eigvalsh(cov)[:, ::-1])
    assert np.allclose(data["fits"]["EM (MLE)"]["semi_axes"], want, rtol=1e-12)


def test_a_full_covariance_report(make_synthetic, tmp_path):
    comparison = make_synthetic(2, k=2, covariance_type="full")
    page = reports.write_report(comparison, tmp_path / "site")
    html = page.read_text()
    assert html.count("data:image/png;base64,") == 9
    assert "cov[1,1,1]" in html
    assert "posterior of a full-covariance (VVV) Gaussian mixture" in html
    # every caption on the page is the one its data.json makes
    from reports.captions import report_captions

    saved = json.loads((page.parent / "data.json").read_text())
    for name, (title, caption) in report_captions(saved["figures"]).items():
        assert saved["captions"][name] == [title, caption]
        assert caption.replace("'", "&#39;") in html
