"""The comparison: MAP agreement, posterior calibration, diagnostics, persistence."""

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose

import em
import gmm_pp
import gmm_pp.errors
from gmm_pp.config import SamplerConfig


def test_pymc_map_agrees_with_map_em(comparison):
    """Both maximise the same density: every parameter agrees to 1e-4 relative.

    Relative to the parameter itself, or for a mean to the data's spread (a mean
    near 0 has no meaningful relative error).
    """
    pm_map, em_map = comparison.pymc_map.params, comparison.map_em.params
    assert comparison.pymc_map.success
    spread = comparison.X.std(axis=0)
    assert_allclose(pm_map.weights, em_map.weights, rtol=1e-4)
    assert np.all(
        np.abs(pm_map.means - em_map.means) <= 1e-4 * np.maximum(np.abs(em_map.means), spread)
    )
    assert_allclose(pm_map.variances, em_map.variances, rtol=1e-4)
    assert comparison.pymc_map.objective == pytest.approx(comparison.map_em.objective, rel=1e-8)


def test_truth_inside_intervals_and_estimates_inside_bulk(comparison):
    table = comparison.table()
    assert len(table) == 3 + 6 + 3
    inside = (table.truth >= table.eti94_lower) & (table.truth <= table.eti94_upper)
    # Each 94% interval holds the truth with probability 0.94; for 12 parameters
    # at most 2 misses has probability 0.96 under correct calibration (seed fixed).
    assert (~inside).sum() <= 2, table[~inside]
    z_truth = np.abs(table.truth - table.post_mean) / table.post_sd
    assert (z_truth < 4).all(), table
    for column in ("em", "map_em", "map_pymc"):
        z = np.abs(table[column] - table.post_mean) / table.post_sd
        assert (z < 3).all(), (column, table)


def test_diagnostics_healthy_after_relabelling(comparison):
    diag = comparison.diagnostics
    assert diag.rhat_max <= 1.01
    assert diag.ess_bulk_min / diag.chains >= 100
    assert diag.divergences == 0
    assert 0.0 <= diag.share_relabelled <= 1.0
    assert diag.ok


def test_pointwise_log_likelihood_is_kept_and_correct(comparison):
    ll = comparison.posterior["log_likelihood"]["obs"].values
    assert ll.shape == (4, 1000, 300)
    w, m, v = comparison.draws()
    for c, s in ((0, 0), (3, 999), (2, 250)):
        p = em.GMMParams(w[c, s], m[c, s], v[c, s])
        assert_allclose(ll[c, s], p.score_samples(comparison.X), rtol=1e-10)
    # The draws' log-likelihood sits below the EM maximum.
    assert comparison.draw_log_likelihood().max() <= comparison.mle.log_likelihood + 1e-6


def test_pointwise_log_likelihood_matches_pymc(comparison):
    """Our numpy log-likelihood equals pm.compute_log_likelihood on the same draws."""
    import pymc as pm
    import xarray as xr

    from gmm_pp.model import get_model

    X = comparison.X
    mm = get_model(*X.shape, 3)
    values, scaling = mm.prepare(X, comparison.prior)
    mm.set_data(values)
    w, m, v = (a[:, :5] for a in comparison.draws())
    ws, ms, vs = scaling.to_scaled(w, m, v)
    post = xr.Dataset(
        {
            "weights": (("chain", "draw", "component"), ws),
            "means": (("chain", "draw", "component", "feature"), ms),
            "variances": (("chain", "draw", "component"), vs),
        }
    )
    tree = xr.DataTree.from_dict({"posterior": post})
    out = pm.compute_log_likelihood(tree, model=mm.model, progressbar=False)
    theirs = out["log_likelihood"]["obs"].values.reshape(4, 5, -1)
    theirs = theirs - X.shape[1] * np.log(scaling.scale)
    ours = comparison.posterior["log_likelihood"]["obs"].values[:, :5]
    assert_allclose(ours, theirs, rtol=1e-10)


def test_same_seed_same_draws(comparison, sim_data, truth_2d, small_sampler):
    again = gmm_pp.compare(sim_data, 3, sampler=small_sampler, seed=3, truth=truth_2d)
    for a, b in zip(again.draws(), comparison.draws(), strict=True):
        assert np.array_equal(a, b)
    assert again.mle.params.allclose(comparison.mle.params, rtol=0)


def test_save_load_round_trip(comparison, tmp_path):
    out = comparison.save(tmp_path / "cmp")
    loaded = gmm_pp.Comparison.load(out)
    assert loaded.mle.params.allclose(comparison.mle.params, rtol=0)
    assert np.array_equal(loaded.mle.trace.log_likelihood, comparison.mle.trace.log_likelihood)
    assert loaded.pymc_map.params.allclose(comparison.pymc_map.params, rtol=0)
    assert loaded.diagnostics == comparison.diagnostics
    assert loaded.truth.allclose(comparison.truth, rtol=0)
    for a, b in zip(loaded.draws(), comparison.draws(), strict=True):
        assert np.array_equal(a, b)
    assert loaded.table().equals(comparison.table())
    with pytest.raises(gmm_pp.errors.OutputError, match="exists and is not empty"):
        comparison.save(out)
    comparison.save(out, overwrite=True)


def test_bad_input_rejected_before_pymc(monkeypatch, sim_data):
    import gmm_pp.comparison as c

    def boom(*args, **kwargs):
        raise AssertionError("PyMC must not be reached")

    monkeypatch.setattr(c, "get_model", boom)
    bad = sim_data.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match="row 7, column 1"):
        gmm_pp.compare(bad, 3)
    with pytest.raises(ValueError, match="n_components"):
        gmm_pp.compare(sim_data, 0)
    with pytest.raises(ValueError, match="draws: expected an integer >= 1"):
        gmm_pp.compare(sim_data, 3, sampler=SamplerConfig(draws=0))


def test_map_from_the_saddle_is_flagged(comparison):
    from gmm_pp.inference import MAPWarning, find_map
    from gmm_pp.model import get_model

    X = comparison.X
    center = X.mean(axis=0)
    saddle = em.GMMParams([1 / 3] * 3, np.tile(center, (3, 1)), [X.var()] * 3)
    with pytest.warns(MAPWarning, match="saddle"):
        result = find_map(get_model(*X.shape, 3), X, comparison.prior, [saddle])
    assert not result.success


def test_config_record_is_frozen():
    cfg = SamplerConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.draws = 10


def test_compiled_map_equals_pm_find_map(comparison):
    """Our MAP (find_MAP's loss, compiled once) equals pm.find_MAP from the same start."""
    import warnings

    import pymc as pm

    from gmm_pp.inference import _LBFGS_OPTIONS
    from gmm_pp.model import get_model

    X = comparison.X
    mm = get_model(*X.shape, 3)
    values, scaling = mm.prepare(X, comparison.prior)
    mm.set_data(values)
    start = comparison.mle.params
    w, m, v = scaling.to_scaled(start.weights, start.means, start.variances)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        dt = pm.find_MAP(
            model=mm.model,
            initvals=mm.point((w, m, v)),
            jitter=False,
            method="L-BFGS-B",
            return_inferencedata=True,
            progressbar=False,
            options=_LBFGS_OPTIONS,
        )
    assert bool(dt["optimizer_result"]["success"].values)
    post = dt["posterior"]
    theirs = mm.params_from_scaled(
        {name: post[name].values[0, 0] for name in ("weights", "means", "variances")}, scaling
    )
    ours = comparison.pymc_map.params
    spread = X.std(axis=0)
    assert_allclose(ours.weights, theirs.weights, rtol=1e-6)
    assert np.all(np.abs(ours.means - theirs.means) <= 1e-6 * spread)
    assert_allclose(ours.variances, theirs.variances, rtol=1e-6)


def test_constrained_inverts_unconstrained():
    from gmm_pp.model import get_model

    w, m, v = np.array([0.1, 0.6, 0.3]), np.arange(6.0).reshape(3, 2), np.array([0.5, 1.0, 2.0])
    mm = get_model(300, 2, 3)
    back = mm.constrained(mm.unconstrained((w, m, v)))
    assert_allclose(back["weights"], w, rtol=1e-14)
    assert_allclose(back["variances"], v, rtol=1e-14)
    assert_allclose(back["means"], m, rtol=0)


#: Posterior means and sds of the session comparison (seed 3), recorded 2026-11-22 with
#: PyMC 6.4, nutpie 0.16, numba__fastmath=False.
GOLDEN_MEAN = [
    0.5372,
    0.1821,
    0.2807,
    -2.9171,
    -0.0046,
    1.6057,
    -2.9032,
    2.4645,
    1.9032,
    1.0342,
    0.9249,
    0.6221,
]
GOLDEN_SD = [
    0.0277,
    0.0217,
    0.0264,
    0.0807,
    0.0811,
    0.1448,
    0.1372,
    0.0862,
    0.087,
    0.0836,
    0.14,
    0.0685,
]


def test_golden_posterior_summary(comparison):
    """Golden values, compared with Monte-Carlo tolerances.

    A chain's trajectory changes with the last bit of any rounding (another CPU, numba or
    Python), so golden draws cannot be compared exactly; posterior means agree within a
    quarter of a posterior sd (about 10 Monte-Carlo standard errors at ESS ~1500) and sds
    within 20%. A changed model, prior or relabelling moves them further.
    """
    table = comparison.table()
    sd = np.array(GOLDEN_SD)
    assert np.all(np.abs(table.post_mean.values - GOLDEN_MEAN) <= 0.25 * sd), table
    assert_allclose(table.post_sd.values, sd, rtol=0.2)


def test_posterior_starts_where_a_gradient_component_is_exactly_zero(comparison):
    """Equal MAP-EM weights put the start's weight gradient at exactly 0, which nutpie refuses
    ("bad initial gradient"); the start is nudged and sampling runs."""
    from gmm_pp.inference import sample_posterior
    from gmm_pp.model import get_model

    rng = np.random.default_rng(0)
    centres = np.array([[-20.0, 0.0], [0.0, 20.0], [20.0, 0.0]])
    X = np.concatenate([c + 0.1 * rng.standard_normal((100, 2)) for c in centres])
    prior = em.GMMPrior().resolve(X, 3)
    start = em.fit(X, 3, prior=prior, seed=0).params
    assert np.all(start.weights == start.weights[0])  # exactly equal: the trap
    mm = get_model(*X.shape, 3)
    values, scaling = mm.prepare(X, prior)
    w, m, v = scaling.to_scaled(start.weights, start.means, start.variances)
    _, grad = mm.log_density(values)(mm.flat(mm.unconstrained((w, m, v))))
    assert np.any(grad == 0.0)
    trace, _ = sample_posterior(
        mm, X, prior, start, SamplerConfig(draws=20, tune=20, chains=2, cores=1), seed=0
    )
    assert trace["posterior"]["weights"].shape == (2, 20, 3)


# -- summaries at any scale ----------------------------------------------------------


def _scaled_table(table, factor, shift=0.0):
    """The table a comparison of ``X * factor + shift`` should show."""
    out = table.copy()
    kind = out.parameter.str.split("[").str[0]
    cols = ["truth", "em", "map_em", "map_pymc", "post_mean", "eti94_lower", "eti94_upper"]
    for col in cols:
        out.loc[kind == "mean", col] = out.loc[kind == "mean", col] * factor + shift
        out.loc[kind == "variance", col] = out.loc[kind == "variance", col] * factor**2
    out.loc[kind == "mean", "post_sd"] *= factor
    out.loc[kind == "variance", "post_sd"] *= factor**2
    return out


@pytest.mark.parametrize("power", [500, -500])
def test_the_table_scales_with_the_data(comparison, sim_data, truth_2d, small_sampler, power):
    """Data x 2^500 (3.3e150) or x 2^-500 give the same table, scaled: the standardised
    data are bit for bit the same, so every draw is; no sd overflows or underflows."""
    factor = 2.0**power
    moved = em.GMMParams(truth_2d.weights, truth_2d.means * factor, truth_2d.variances * factor**2)
    comp = gmm_pp.compare(sim_data * factor, 3, sampler=small_sampler, seed=3, truth=moved)
    table, want = comp.table(), _scaled_table(comparison.table(), factor)
    numbers = [c for c in table.columns if c != "parameter"]
    assert np.isfinite(table[numbers].to_numpy()).all()
    assert (table.post_sd > 0).all()
    assert_allclose(table[numbers].to_numpy(), want[numbers].to_numpy(), rtol=1e-9)
    assert comp.diagnostics.rhat_max == pytest.approx(comparison.diagnostics.rhat_max, rel=1e-9)


def test_the_report_at_1e150_says_finite_numbers(sim_data, small_sampler, tmp_path):
    import reports

    comp = gmm_pp.compare(sim_data * 1e150, 3, sampler=small_sampler, seed=3)
    assert np.isfinite(comp.table().drop(columns=["parameter", "truth"]).to_numpy()).all()
    html = reports.write_report(comp, tmp_path / "r").read_text()
    sentence = html[html.index("differ by at most") :][:200]
    assert "inf" not in sentence and "nan" not in sentence, sentence


def test_an_offset_of_1e8_keeps_the_estimates(comparison, sim_data, small_sampler):
    comp = gmm_pp.compare(sim_data + 1e8, 3, sampler=small_sampler, seed=3)
    table, want = comp.table(), _scaled_table(comparison.table(), 1.0, 1e8)
    for col in ("em", "map_em", "map_pymc"):
        assert_allclose(table[col], want[col], rtol=1e-9, atol=1e-6)
    # The sampler sees data that differ in the last digits: the same posterior, other draws.
    z = np.abs(table.post_mean - want.post_mean) / want.post_sd
    assert (z < 0.5).all(), z
    assert_allclose(table.post_sd, want.post_sd, rtol=0.25)


def test_data_beyond_float64_are_named_before_pymc(sim_data):
    with pytest.raises(gmm_pp.errors.InputError, match="more than float64 variances can hold"):
        gmm_pp.compare(sim_data * 1e154, 3)


# -- interrupted or incomplete samples are never results ------------------------------


def test_ctrl_c_while_sampling_discards_the_draws(sim_data):
    """nutpie's blocking call returns the draws so far on Ctrl-C; here it propagates."""
    import threading
    import time

    from gmm_pp.inference import sample_posterior
    from gmm_pp.model import get_model

    prior = em.GMMPrior().resolve(sim_data, 3)
    start = em.fit(sim_data, 3, seed=0).params
    mm = get_model(*sim_data.shape, 3)
    big = SamplerConfig(draws=200_000, tune=200, chains=2, cores=2)
    timer = threading.Timer(1.0, __import__("_thread").interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            sample_posterior(mm, sim_data, prior, start, big, seed=1)
    finally:
        timer.cancel()
    assert time.perf_counter() - t0 < 60  # stopped, not sampled to the end


def test_an_incomplete_trace_is_refused():
    import xarray as xr

    from gmm_pp.errors import SamplingError
    from gmm_pp.inference import check_complete

    config = SamplerConfig(draws=10, chains=2)
    good = np.ones((2, 10, 3))
    tree = xr.DataTree.from_dict(
        {"posterior": xr.Dataset({"weights": (("chain", "draw", "c"), good)})}
    )
    check_complete(tree, config)
    short = xr.DataTree.from_dict(
        {"posterior": xr.Dataset({"weights": (("chain", "draw", "c"), good[:, :4])})}
    )
    with pytest.raises(SamplingError, match="2 chains x 4 draws, not the 2 x 10"):
        check_complete(short, config)
    padded = good.copy()
    padded[1, 6:] = np.nan
    nan = xr.DataTree.from_dict(
        {"posterior": xr.Dataset({"weights": (("chain", "draw", "c"), padded)})}
    )
    with pytest.raises(SamplingError, match="non-finite draws of 'weights'"):
        check_complete(nan, config)


# -- an ArviZ-clean DataTree -----------------------------------------------------------


def test_arviz_defaults_run_on_the_saved_posterior(comparison, tmp_path):
    """ArviZ's default calls, no var_names, on posterior.nc as saved: the posterior group
    holds the model's parameters only (the relabelling permutation lives apart)."""
    import arviz as az
    import matplotlib.pyplot as plt

    comparison.save(tmp_path / "cmp")
    dt = az.from_netcdf(tmp_path / "cmp" / "posterior.nc")
    assert set(dt["posterior"].data_vars) == {"weights", "means", "variances"}
    assert "permutation" in dt["relabelling"].data_vars
    assert set(dt["prior"].data_vars) == {"weights", "means", "variances"}
    summary = az.summary(dt, round_to="none")
    assert len(summary) == 3 + 6 + 3 and np.isfinite(summary["mean"]).all()
    loo = az.loo(dt)
    assert np.isfinite(loo.elpd) and loo.n_data_points == 300
    for plot in (
        az.plot_trace_dist,
        az.plot_rank,
        az.plot_dist,
        az.plot_forest,
        az.plot_prior_posterior,
    ):
        collection = plot(dt)
        assert collection is not None, plot.__name__
    plt.close("all")


def test_the_prior_group_follows_the_prior(comparison):
    """Its draws have the prior's closed-form moments: E[w] = 1/K, median of
    InverseGamma(a, b), and means | variances ~ N(m0, v / kappa0)."""
    from scipy import stats

    prior = comparison.prior
    group = comparison.posterior["prior"]
    w, m, v = (group[name].values[0] for name in ("weights", "means", "variances"))
    assert w.shape == (1000, 3) and m.shape == (1000, 3, 2)
    assert_allclose(w.mean(axis=0), 1 / 3, atol=0.03)
    ig = stats.invgamma(prior.variance_shape, scale=prior.variance_scale)
    assert stats.kstest(v.ravel(), ig.cdf).pvalue > 1e-3
    z = (m - prior.mean_location) / np.sqrt(v / prior.mean_precision)[..., None]
    assert stats.kstest(z.ravel(), "norm").pvalue > 1e-3


def test_feature_names_flow_into_the_tree_and_the_table(sim_data, small_sampler):
    import pandas as pd

    frame = pd.DataFrame(sim_data, columns=["eruptions", "waiting"])
    comp = gmm_pp.compare(frame, 3, sampler=small_sampler, seed=3)
    assert comp.feature_names == ("eruptions", "waiting")
    assert comp.posterior["posterior"]["feature"].values.tolist() == ["eruptions", "waiting"]
    params = comp.table().parameter.tolist()
    assert "mean[0,eruptions]" in params and "mean[2,waiting]" in params
    assert "mean[0,eruptions]" in comp.diagnostics.per_parameter


# -- in a notebook ---------------------------------------------------------------------


def test_short_reprs_and_a_rich_display(comparison):
    for obj in (
        comparison,
        comparison.mle,
        comparison.mle.trace,
        comparison.diagnostics,
        comparison.pymc_map,
    ):
        assert len(repr(obj)) < 400, repr(obj)
    html = comparison._repr_html_()
    assert "<table>" in html and "post_sd" in html and "R-hat max" in html
    assert html.count("<tr>") == 1 + len(comparison.table())
    assert "<table>" not in comparison.mle._repr_html_()


def test_predict_proba_averages_over_the_posterior(comparison):
    """The posterior's responsibilities are the mean of every draw's, computed directly."""
    new = np.array([[-3.0, 0.0], [2.5, 2.0], [0.0, 0.0], [100.0, 100.0]])
    post = comparison.predict_proba(new)
    w, m, v = (a.reshape(-1, *a.shape[2:]) for a in comparison.draws())
    by_draw = [em.e_step(new, em.GMMParams(w[s], m[s], v[s]))[0] for s in range(0, 4000, 97)]
    sub = em.mean_responsibilities(new, w[::97], m[::97], v[::97])
    assert_allclose(sub, np.mean(by_draw, axis=0), rtol=1e-12, atol=1e-15)
    assert_allclose(post.sum(axis=1), 1.0, rtol=1e-12)
    assert np.array_equal(comparison.predict(new)[:2], post[:2].argmax(axis=1))
    em_proba = comparison.predict_proba(new, fit="em")
    assert_allclose(em_proba, em.e_step(new, comparison.mle.params)[0], rtol=1e-14)
    # the point between the components: EM is sure of one, the posterior a bit less so
    assert post[2].max() <= em_proba[2].max() + 1e-3
    with pytest.raises(gmm_pp.errors.InputError, match="fit: expected 'posterior'"):
        comparison.predict_proba(new, fit="mle")
    with pytest.raises(gmm_pp.errors.InputError, match="expected 2 features"):
        comparison.predict_proba(new[:, :1])
