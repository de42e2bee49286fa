"""Figures tested on their artists (lines, patches, labels, legends), not pixels."""

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

import em
from reports import plots
from reports.figdata import figure_data


@pytest.fixture(scope="module")
def fd(synthetic):
    return figure_data(synthetic)


def _labels(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


FIT_NAMES = ("EM (MLE)", "MAP-EM", "PyMC MAP", "posterior mean", "truth")


def _style(line):
    return (line.get_color(), str(line.get_linestyle()), line.get_linewidth(), line.get_marker())


def test_every_fit_has_its_own_style():
    """No two fits share colour, line style, width and marker; the prior has its own too."""
    from reports.style import fit_handle

    styles = [_style(fit_handle(name)) for name in FIT_NAMES]
    for i, a in enumerate(styles):
        for b in styles[i + 1 :]:
            assert a[0] != b[0] or a[1] != b[1]  # colour or line style
            assert a[3] != b[3]  # and the marker
    assert _style(fit_handle("prior"))[:2] not in [s[:2] for s in styles]


def test_data_and_fits(fd, synthetic):
    fig, ax = plots.plot_data_and_fits(fd)
    assert isinstance(fig, Figure)
    labels = _labels(ax)
    for name in FIT_NAMES:
        assert name in labels
    box = ax.get_legend()
    legend = {t.get_text(): h for t, h in zip(box.get_texts(), box.legend_handles, strict=True)}
    k, d = synthetic.n_components, synthetic.X.shape[1]
    if d == 1:
        assert ax.get_xlabel() == "x[0]"
        drawn = {line.get_label(): line for line in ax.lines if line.get_label() in FIT_NAMES}
        assert set(drawn) == set(FIT_NAMES)  # one density per fit, each in the legend's style
        for name, line in drawn.items():
            assert (line.get_color(), line.get_linestyle()) == (
                legend[name].get_color(),
                legend[name].get_linestyle(),
            )
        assert "posterior draws" in labels
    else:
        fits = [p for p in ax.patches if isinstance(p, Ellipse) and p.get_alpha() >= 0.5]
        assert len(fits) == 5 * k * 2  # 1 and 2 sd for every fit and component
        styles = {(tuple(p.get_edgecolor()[:3]), p.get_linestyle()) for p in fits}
        assert len(styles) == 5  # each fit's ellipses in its own colour and line style
        draws = [p for p in ax.patches if isinstance(p, Ellipse) and p.get_alpha() < 0.5]
        assert len(draws) == k * len(fd["draw_ellipses"]["angles"])
        # each fit's means carry the legend's marker
        for name in FIT_NAMES:
            marks = [ln for ln in ax.lines if ln.get_marker() == legend[name].get_marker()]
            assert marks and len(marks[0].get_xdata()) == k
        shape = "circles" if synthetic.covariance_type == "spherical" else "ellipses"
        assert shape in ax.get_title()
        expected = "first principal component" if d > 2 else "x[0]"
        assert ax.get_xlabel() == expected
    assert "posterior draws of the means" in labels or d == 1


def test_each_fit_drawn_alone(fd, synthetic):
    fig, axes = plots.plot_fits_apart(fd)
    flat = list(np.ravel(axes))
    assert [ax.get_title().split("\n")[0] for ax in flat] == list(FIT_NAMES[:4])
    gap = fd["fit_distances"]["MAP-EM"]["max_sd"]
    assert f"{gap:.2f} posterior sd" in flat[1].get_title()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == list(FIT_NAMES)


def test_offsets_set_every_fit_apart(fd, synthetic):
    """One row per varied parameter; each fit's markers at its own offset in posterior sds."""
    fig, ax = plots.plot_fit_offsets(fd)
    table = synthetic.table()
    varied = table[table.post_sd > 0]
    assert [t.get_text() for t in ax.get_yticklabels()] == varied.parameter.tolist()
    for name, column in (("EM (MLE)", "em"), ("MAP-EM", "map_em"), ("PyMC MAP", "map_pymc")):
        line = next(ln for ln in ax.lines if ln.get_label() == name)
        want = (varied[column] - varied.post_mean) / varied.post_sd
        assert np.allclose(line.get_xdata(), want, rtol=1e-9, atol=1e-12)
    markers = [ln.get_marker() for ln in ax.lines if ln.get_label() in FIT_NAMES]
    assert len(set(markers)) == len(markers)  # each its own marker
    assert "posterior mean (0)" in _labels(ax)


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
    others = len(synthetic.mle.restarts) - 1
    if others:  # drawn dashed, so they show even where they lie under the chosen one
        assert f"other restarts ({others})" in _labels(left)
        assert [ln.get_linestyle() for ln in left.lines[:others]] == ["--"] * others
    # the maximum is not on the axes' edge
    assert right.get_ylim()[1] > em_max and left.get_ylim()[1] > best[-1]


def test_parameters_histograms_and_forest(fd, synthetic):
    fig, axes = plots.plot_parameters(fd)
    visible = [ax for ax in np.ravel(axes) if ax.get_visible()]
    assert len(visible) == len(synthetic.table())
    # each panel named as the table names its parameter (variance[k], not sd[k])
    assert [ax.get_title() for ax in visible] == synthetic.table().parameter.tolist()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == ["posterior", "94% interval", "prior"]
    assert set(FIT_NAMES) <= set(legend)
    for ax, p in zip(visible, fd["parameters"], strict=True):
        # the prior's density, the interval's bar and one line per estimate
        if p["prior"]["density"] is not None:
            assert any(np.array_equal(ln.get_ydata(), p["prior"]["density"]) for ln in ax.lines)
        bar = [q for q in ax.patches if q.get_label() == "94% interval"][0]
        x0, x1 = bar.get_x(), bar.get_x() + bar.get_width()
        assert np.allclose([x0, x1], [p["lower"], p["upper"]])
        assert sum(np.allclose(ln.get_xdata(), p["em"]) for ln in ax.lines) >= 1
    fig, ax = plots.plot_parameters(fd, forest=True)
    assert len(ax.get_yticklabels()) == len(synthetic.table())


def test_trajectories(fd, synthetic):
    fig, axes = plots.plot_em_trajectories(fd)
    k, d = synthetic.n_components, synthetic.X.shape[1]
    tr = fd["trajectories"]
    if d >= 2:
        chosen, poor = axes[0], axes[1]
        paths = [line for line in chosen.lines if line.get_label().startswith("component")]
        assert len(paths) == k and len(paths[0].get_xdata()) == synthetic.mle.n_iter + 1
        assert f"{tr['poor']['n_iter']} iterations" in poor.get_title()
        numbers = {t.get_text() for t in chosen.texts}
        assert {"0", str(synthetic.mle.n_iter)} <= numbers  # iteration numbers along the path
        ll_ax = axes[2]
    else:
        ll_ax = axes[0]
    lls = [ln for ln in ll_ax.lines if ln.get_label() in ("chosen restart", "poor start")]
    assert np.array_equal(lls[0].get_ydata(), tr["chosen"]["log_likelihood"])
    assert np.array_equal(lls[1].get_ydata(), tr["poor"]["log_likelihood"])
    coord = axes[3] if d >= 2 else axes[1]
    assert len(coord.lines) == 2 * k  # every component, from both starts


def test_poor_start_is_poor_and_reproducible(synthetic):
    """The poor start begins below the maximum, climbs, and the same seed repeats it."""
    a, b = figure_data(synthetic), figure_data(synthetic)
    poor = a["trajectories"]["poor"]
    assert poor["log_likelihood"][0] < synthetic.mle.log_likelihood - 1.0
    assert np.array_equal(poor["log_likelihood"], b["trajectories"]["poor"]["log_likelihood"])
    assert np.all(np.diff(poor["log_likelihood"]) >= -1e-9 * abs(poor["log_likelihood"][-1]))


def test_goodness_of_fit(fd, synthetic):
    fig, axes = plots.plot_goodness_of_fit(fd)
    qq = np.ravel(axes)[0]
    gof = fd["goodness_of_fit"]
    assert np.array_equal(qq.lines[0].get_xdata(), gof["expected"])
    assert f"{gof['statistic']:.3f}" in qq.get_title()
    if synthetic.X.shape[1] >= 2:
        assert len(np.ravel(axes)) == 2


def test_assignments_and_diagnostics(fd):
    fig, axes = plots.plot_assignments(fd)
    assert [ax.get_title().split()[0] for ax in axes] == ["EM", "posterior"]
    fig, axes = plots.plot_diagnostics(fd)
    assert axes[2].get_title() == "Wall time per step"
    assert "divergences" in fig.get_suptitle()
    assert axes[0].get_title().startswith("R-hat")
    # the legends sit under the axes, off the bars
    anchor = axes[1].get_legend().get_bbox_to_anchor().transformed(axes[1].transAxes.inverted())
    assert anchor.y0 < 0


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


def test_scatter_figures_draw_a_subsample_above_max_points(make_synthetic, monkeypatch):
    """Above MAX_POINTS the scatters draw a seeded random subsample, and say so."""
    from reports import figdata
    from reports.captions import report_captions

    comp = make_synthetic(2, n=400)
    everything = figure_data(comp)
    assert everything["points_shown"] == 400 and len(everything["points"]) == 400
    assert "Shown:" not in report_captions(everything)["fits"][1]
    monkeypatch.setattr(figdata, "MAX_POINTS", 150)
    fd, again = figure_data(comp), figure_data(comp)
    shown = figdata.shown_points(comp)
    assert len(shown) == 150 and len(np.unique(shown)) == 150
    assert np.array_equal(fd["points"], comp.X[shown])  # 2-D: no projection
    assert np.array_equal(fd["points"], again["points"])  # same seed, same points
    for name in ("EM", "posterior"):
        assert len(fd["assignments"][name]["label"]) == 150
    # the numbers are the whole data's: EM's assignments at the shown points are theirs
    resp, _ = em.e_step(comp.X, comp.mle.params)
    assert np.array_equal(fd["assignments"]["EM"]["label"], resp.argmax(axis=1)[shown])
    captions = report_captions(fd)
    for name in ("fits", "assignments", "trajectories"):
        assert "Shown: 150 of the 400 points, drawn at random" in captions[name][1]
    fig, axes = plots.plot_assignments(fd)
    assert sum(len(c.get_offsets()) for c in axes[0].collections) == 150
