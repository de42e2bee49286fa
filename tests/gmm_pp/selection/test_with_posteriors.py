"""Model selection, the Bayesian side: LOO against ArviZ, stacking, files, ``top``."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from gmm_pp.config import SamplerConfig
from gmm_pp.errors import GMMError
from gmm_pp.selection import Selection, select

#: Few draws: LOO and stacking are checked against ArviZ on the same draws, not for accuracy.
FEW = SamplerConfig(draws=300, tune=300, chains=2, cores=2)


@pytest.fixture(scope="module")
def bayes_selection(tmp_path_factory, data_2d):
    """Spherical K = 2 and 3 on the session's 2-D data: both compiled models are shared."""
    out = tmp_path_factory.mktemp("bayes") / "sel"
    return select(data_2d, (2, 3), "spherical", bayes="all", sampler=FEW, seed=0, out=out)


def test_loo_equals_arviz_and_stacking_sums_to_one(bayes_selection):
    import arviz as az

    sel = bayes_selection
    assert sel.bayes_names() == ["spherical-K3", "spherical-K2"]  # best BIC first
    trees = {name: sel.comparison(name).posterior for name in sel.bayes_names()}
    for name, tree in trees.items():
        loo = az.loo(tree, pointwise=True)
        row = sel.table().loc[name]
        assert row["elpd_loo"] == pytest.approx(float(loo.elpd), rel=1e-12)
        assert row["elpd_loo_se"] == pytest.approx(float(loo.se), rel=1e-12)
        assert row["p_loo"] == pytest.approx(float(loo.p), rel=1e-12)
        assert row["pareto_k_over_0_7"] == int(np.sum(np.asarray(loo.pareto_k) > 0.7))
    ranked = az.compare(trees, round_to="none")
    weights = sel.table()["stacking_weight"].dropna()
    assert weights.sum() == pytest.approx(1.0, abs=1e-9)
    for name in trees:
        assert weights[name] == pytest.approx(float(ranked.loc[name, "weight"]), abs=1e-9)
    assert sel.preferred()["elpd_loo"] == "spherical-K3" == sel.preferred()["bic"]


def test_bayes_side_is_saved_and_loaded(bayes_selection):
    sel = bayes_selection
    loaded = Selection.load(sel.directory)
    pd.testing.assert_frame_equal(loaded.bayes, sel.bayes, check_dtype=False)
    comp = loaded.comparison("spherical-K2")  # from models/spherical-K2
    assert comp.n_components == 2 and comp.covariance_type == "spherical"
    with pytest.raises(GMMError, match="no posterior was fitted for 'tied-K2'"):
        loaded.comparison("tied-K2")


def test_top_takes_the_best_by_bic(data_2d):
    sel = select(data_2d, (2, 3), "spherical", bayes="top", top=1, sampler=FEW, seed=0)
    assert sel.bayes_names() == ["spherical-K3"]
    assert sel.table().loc["spherical-K3", "stacking_weight"] == 1.0


def test_stacking_at_large_n_on_one_shared_subsample(bayes_selection, monkeypatch):
    """Above the threshold every model's LOO shares one subsample; the weights still count."""
    import arviz as az

    from gmm_pp import loo as loo_module
    from gmm_pp.selection.bayes import loo_rows

    sel = bayes_selection
    comparisons = {name: sel.comparison(name) for name in sel.bayes_names()}
    full = {name: c.loo() for name, c in comparisons.items()}
    assert not any(r.subsampled for r in full.values())
    # the hand-written stacking equals ArviZ's on every point
    ours = loo_module.stacking_weights(list(full.values()))
    ranked = az.compare({n: r.elpd_data for n, r in full.items()}, round_to="none")
    assert_allclose(ours, [ranked.loc[n, "weight"] for n in full], atol=1e-4)
    monkeypatch.setattr(loo_module, "FULL_LOO_MAX_POINTS", 100)
    monkeypatch.setattr(loo_module, "SUBSAMPLE_POINTS", 120)
    rows = {f"{r['structure']}-K{r['k']}": r for r in loo_rows(comparisons, seed=0)}
    for name, row in rows.items():
        assert row["loo_points"] == 120 and row["elpd_loo_subsampling_se"] > 0
        gap = abs(row["elpd_loo"] - full[name].elpd)
        assert gap < 3 * row["elpd_loo_subsampling_se"], (name, row, full[name])
    weights = [rows[n]["stacking_weight"] for n in full]
    assert sum(weights) == pytest.approx(1.0, abs=1e-9)
    # not ArviZ's equal weights on NaNs: K = 3 takes (almost) all the weight, as on every point
    assert_allclose(weights, ours, atol=0.05)
    assert weights[0] > 0.9
