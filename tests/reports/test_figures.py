"""Figures tested on their artists (lines, patches, labels, legends), not pixels."""

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from reports import plots
from reports.figdata import figure_data


@pytest.fixture(scope="module")
def fd(synthetic):
    return figure_data(synthetic)


def _labels(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_data_and_fits(fd, synthetic):
    fig, ax = plots.plot_data_and_fits(fd)
    assert isinstance(fig, Figure)
    labels = _labels(ax)
    for name in ("EM (MLE)", "MAP-EM", "PyMC MAP", "posterior mean", "truth"):
        assert name in labels
    k, d = synthetic.n_components, synthetic.X.shape[1]
    if d == 1:
        assert ax.get_xlabel() == "x[0]" and len(ax.lines) == 5  # one density per fit
    else:
        fits = [p for p in ax.patches if isinstance(p, Ellipse) and p.get_alpha() >= 0.5]
        assert len(fits) == 5 * k * 2  # 1 and 2 sd for every fit and component
        draws = [p for p in ax.patches if isinstance(p, Ellipse) and p.get_alpha() < 0.5]
        assert len(draws) == k * len(fd["draw_ellipses"]["angles"])
        shape = "circles" if synthetic.covariance_type == "spherical" else "ellipses"
        assert shape in ax.get_title()
        expected = "first principal component" if d > 2 else "x[0]"
        assert ax.get_xlabel() == expected


def test_data_and_fits_draws_on_a_given_axis(fd):
    fig = Figure()
    ax = fig.subplots()
    out_fig, out_ax = plots.plot_data_and_fits(fd, ax=ax)
    assert out_fig is fig and out_ax is ax


def test_loglik_traces(fd, synthetic):
    fig, (left, right) = plots.plot_loglik_traces(fd)
    em_max = synthetic.mle.log_likelihood
    assert any(np.allclose(line.get_ydata(), em_max) for line in right.lines)
    chains = synthetic.diagnostics.chains
    assert sum(line.get_label().startswith("chain") for line in right.lines) == chains
    best = synthetic.mle.trace.log_likelihood
    assert any(np.array_equal(line.get_ydata(), best) for line in left.lines)
    assert any("stopped" in t for t in _labels(left))


def test_parameters_histograms_and_forest(fd, synthetic):
    fig, axes = plots.plot_parameters(fd)
    visible = [ax for ax in np.ravel(axes) if ax.get_visible()]
    assert len(visible) == len(synthetic.table())
    # each panel named as the table names its parameter (variance[k], not sd[k])
    assert [ax.get_title() for ax in visible] == synthetic.table().parameter.tolist()
    fig, ax = plots.plot_parameters(fd, forest=True)
    assert len(ax.get_yticklabels()) == len(synthetic.table())


def test_trajectories(fd, synthetic):
    fig, ax = plots.plot_em_trajectories(fd)
    k = synthetic.n_components
    paths = [line for line in ax.lines if line.get_label().startswith("component")]
    assert len(paths) == k
    assert len(paths[0].get_xdata()) == synthetic.mle.n_iter + 1 or synthetic.X.shape[1] == 1


def test_assignments_and_diagnostics(fd):
    fig, axes = plots.plot_assignments(fd)
    assert [ax.get_title().split()[0] for ax in axes] == ["EM", "posterior"]
    fig, axes = plots.plot_diagnostics(fd)
    assert "divergences" in axes[2].get_title()
    assert axes[0].get_title().startswith("R-hat")


def test_names_label_the_axes_and_plots_take_a_comparison(synthetic):
    """A Comparison with column names: the axes carry them; no FigureData needed."""
    import dataclasses

    from reports import plots

    d = synthetic.X.shape[1]
    names = tuple(f"col{c}" for c in range(d))
    named = dataclasses.replace(synthetic, feature_names=names)
    fig, ax = plots.plot_data_and_fits(named)
    if d == 1:
        assert ax.get_xlabel() == "col0"
    elif d == 2:
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("col0", "col1")
    fig, axes = plots.plot_parameters(named, forest=True)
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert f"mean[0,col{d - 1}]" in labels


def test_writing_a_report_switches_no_backend(tmp_path):
    """A notebook's backend stays, and no figure is left open in pyplot (ArviZ imports
    pyplot; our figures are Figure objects of their own)."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        f"""
        import sys, matplotlib
        matplotlib.use("svg")
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from conftest import synthetic_comparison
        import reports
        reports.write_report(synthetic_comparison(2), {str(tmp_path / "r")!r})
        import matplotlib.pyplot as plt
        print(matplotlib.get_backend(), len(plt.get_fignums()))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["svg", "0"]
