"""The study page's figures and captions on made-up records whose truth is known both ways."""

from reports import study_plots
from reports.study import study_captions


def _accuracy(ns=(50, 200), bias_low=True, rmse_falls=True):
    rows = []
    for scenario in ("separated", "close"):
        for i, n in enumerate(ns):
            for est in ("EM (MLE)", "PyMC MAP", "posterior mean"):
                for kind in ("weights", "means", "variances"):
                    rmse = 1.0 / (i + 1) if rmse_falls else 0.5 + 0.1 * i
                    bias = -0.2 / (i + 1) if (bias_low and kind == "variances") else 0.001
                    rows.append({"scenario": f"{scenario}/n={n}", "scenario_base": scenario,
                                 "n": n, "kind": kind, "estimator": est, "abs_bias": abs(bias),
                                 "abs_bias_mcse": 0.01, "bias": bias, "bias_mcse": 0.01,
                                 "rmse": rmse})  # fmt: skip
    return rows


def _coverage(off=0.0):
    return [
        {"scenario": s, "nominal": q, "coverage": q + off, "mcse": 0.01, "label": s,
         "truth_mode": "fixed"}
        for s in ("separated", "sbc") for q in (0.5, 0.8, 0.94)
    ]  # fmt: skip


def _data(**kw):
    sbc = [{"scenario": "sbc", "parameter": f"weight[{j}]", "pvalue": p, "edges": [0, 50, 100],
            "counts": [10, 10], "band": [[5, 5], [15, 15]]}
           for j, p in enumerate(kw.get("pvalues", (0.4, 0.7)))]  # fmt: skip
    return {
        "coverage": _coverage(kw.get("off", 0.0)),
        "accuracy": _accuracy(bias_low=kw.get("bias_low", True), rmse_falls=kw.get("falls", True)),
        "sbc": sbc,
        "recovery": [],
        "scenarios": ["close", "sbc", "separated"],
    }


def test_coverage_caption_both_ways():
    assert "All 6 rates are within 2 MCSE" in study_captions(_data())["coverage"][1]
    text = study_captions(_data(off=-0.05))["coverage"][1]
    assert "6 of 6 rates are further than 2 MCSE" in text and "within 2 MCSE" not in text


def test_accuracy_caption_both_ways():
    text = study_captions(_data())["accuracy"][1]
    assert "RMSE falls from the smallest n to the largest for all 18" in text
    assert "biased low by 0.2" in text
    text = study_captions(_data(bias_low=False, falls=False))["accuracy"][1]
    assert "RMSE falls with n for 0 of 18" in text
    assert "show no clear bias" in text and "biased low" not in text


def test_one_n_says_nothing_about_trends():
    data = _data()
    data["accuracy"] = [r for r in data["accuracy"] if r["n"] == 50]
    assert "nothing can be said" in study_captions(data)["accuracy"][1]


def test_sbc_caption_both_ways():
    assert "None of the 2 histograms rejects" in study_captions(_data())["sbc"][1]
    text = study_captions(_data(pvalues=(0.001, 0.5)))["sbc"][1]
    assert "1 of 2 histograms reject" in text and "smallest p = 0.001" in text


def test_study_figures_one_marker_per_scenario_and_small_grids_linear():
    data = _data()
    fig, axes = study_plots.plot_accuracy(data["accuracy"], scenarios=data["scenarios"])
    ax = axes[0, 0]
    assert ax.get_xscale() == "linear"  # n in {50, 200}
    assert list(ax.get_xticks()) == [50, 200]
    markers = {c.get_label(): c.lines[0].get_marker() for c in ax.containers}
    assert markers["EM (MLE) (separated)"] == markers["PyMC MAP (separated)"]
    assert markers["EM (MLE) (separated)"] != markers["EM (MLE) (close)"]
    fig, cov = study_plots.plot_coverage(data["coverage"], scenarios=data["scenarios"])
    cov_markers = {c.get_label(): c.lines[0].get_marker() for c in cov.containers}
    assert cov_markers["separated"] == markers["EM (MLE) (separated)"]  # the same on every figure
    fig, axes = study_plots.plot_sbc(data["sbc"])
    assert axes[0, 0].get_ylabel() == "replications" and len(axes[0, 0].get_yticks()) > 1


def test_a_wide_grid_is_logarithmic():
    rows = _accuracy(ns=(100, 1000, 10_000, 100_000))
    fig, axes = study_plots.plot_accuracy(rows)
    assert axes[0, 0].get_xscale() == "log"
    assert [t.get_text() for t in axes[0, 0].get_xticklabels()][0] in (
        "100",
        "$\\mathdefault{100}$",
    )
