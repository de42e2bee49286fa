"""PyMC's MAP (against MAP-EM and pm.find_MAP) and the sampler: starts, interrupts."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import em
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


def test_map_from_the_saddle_is_flagged(comparison):
    from gmm_pp.inference import MAPWarning, find_map
    from gmm_pp.model import get_model

    X = comparison.X
    center = X.mean(axis=0)
    saddle = em.GMMParams([1 / 3] * 3, np.tile(center, (3, 1)), [X.var()] * 3)
    with pytest.warns(MAPWarning, match="saddle"):
        result = find_map(get_model(*X.shape, 3), X, comparison.prior, [saddle])
    assert not result.success


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
            # PyTensor's Python linker: no C compile (20-25 s cold in CI), the same optimum
            compile_kwargs={"mode": "FAST_COMPILE"},
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


def test_ctrl_c_while_sampling_discards_the_draws(sim_data):
    """nutpie's blocking call returns the draws so far on Ctrl-C; here it propagates."""
    import signal
    import threading
    import time

    from gmm_pp.inference import sample_posterior
    from gmm_pp.model import get_model

    prior = em.GMMPrior().resolve(sim_data, 3)
    start = em.fit(sim_data, 3, seed=0).params
    mm = get_model(*sim_data.shape, 3)
    big = SamplerConfig(draws=200_000, tune=200, chains=2, cores=2)
    # Python's own Ctrl-C handler, whatever this process inherited (started in the
    # background by a script, SIGINT is ignored and interrupt_main does nothing).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, __import__("_thread").interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            sample_posterior(mm, sim_data, prior, start, big, seed=1)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
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


#: Issue 18's cases: two 1-D components (means -2 and 2, variances 1, weights 1/2), where
#: L-BFGS-B, started at the EM estimate, reported ABNORMAL at the optimum in 3 of 4.
_TWO_1D = em.GMMParams([0.5, 0.5], [[-2.0], [2.0]], [1.0, 1.0])


@pytest.fixture(scope="module")
def large_1d_comparisons():
    import warnings

    import gmm_pp
    from gmm_pp.diagnostics import SamplingWarning

    # The EM fits and the MAP come before sampling and do not depend on its settings
    # (the were 2 x (200 + 200)): few draws keep the fixture quick.
    sampler = SamplerConfig(draws=20, tune=20, chains=2)
    out = {}
    for n, seed in [(5000, 0), (5000, 2), (20000, 1), (20000, 2)]:
        X, _ = _TWO_1D.sample(n, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            out[n, seed] = gmm_pp.compare(X, 2, seed=seed, sampler=sampler)
    return out


def test_pymc_map_at_the_optimum_is_valid_whatever_the_optimiser_says(large_1d_comparisons):
    from gmm_pp.inference import MAP_GRADIENT_TOL

    for (n, seed), comp in large_1d_comparisons.items():
        pm_map = comp.pymc_map
        assert pm_map.success, (n, seed, pm_map)
        assert pm_map.gradient <= MAP_GRADIENT_TOL
        assert pm_map.objective >= comp.map_em.objective - 1e-9 * n
        assert pm_map.objective == pytest.approx(comp.map_em.objective, rel=1e-9)
        assert np.max(np.abs(pm_map.params.means - comp.map_em.params.means)) < 1e-3
        assert not any("MAP" in w for w in comp.warnings()), comp.warnings()


def test_a_planted_point_that_is_not_the_optimum_is_flagged(large_1d_comparisons):
    from gmm_pp.inference import check_map
    from gmm_pp.model import get_model

    comp = large_1d_comparisons[5000, 0]
    mm, X, prior = get_model(*comp.X.shape, 2), comp.X, comp.prior
    good = comp.pymc_map.params
    assert check_map(mm, X, prior, good, reference=comp.map_em.params)[1] == ""
    # A mean moved by 0.05: not stationary.
    moved = em.GMMParams(good.weights, good.means + [[0.05], [0.0]], good.variances)
    gradient, reason = check_map(mm, X, prior, moved, reference=comp.map_em.params)
    assert gradient > 1e-3 and "gradient" in reason
    # Both means at the data's mean: the saddle.
    centre = np.full((2, 1), X.mean())
    saddle = em.GMMParams([0.5, 0.5], centre, [X.var()] * 2)
    assert "coincide" in check_map(mm, X, prior, saddle)[1]


def test_lbfgs_abnormal_or_stopped_short_is_judged_at_the_point(large_1d_comparisons, monkeypatch):
    """From the former default start (five k-means++ restarts) L-BFGS-B ends 'ABNORMAL' on
    the n = 20000, seed 2 case (its line search finds nothing better than the optimum);
    stopped after 2 iterations, Newton steps polish the point. Both are valid optima."""
    from gmm_pp import inference
    from gmm_pp.model import get_model

    comp = large_1d_comparisons[20000, 2]
    X, prior = comp.X, comp.prior
    em_seed = np.random.SeedSequence(2).spawn(3)[0]
    former = em.fit(X, 2, init="kmeans++", n_init=5, seed=np.random.default_rng(em_seed))
    mm = get_model(*X.shape, 2)
    result = inference.find_map(mm, X, prior, [former.params], reference=comp.map_em.params)
    assert result.success and result.gradient <= inference.MAP_GRADIENT_TOL, result
    assert result.objective == pytest.approx(comp.map_em.objective, rel=1e-9)
    monkeypatch.setitem(inference._LBFGS_OPTIONS, "maxiter", 2)
    short = inference.find_map(mm, X, prior, [comp.mle.params], reference=comp.map_em.params)
    assert "ITERATIONS REACHED LIMIT" in short.message and short.polish_steps >= 1
    assert short.success and short.objective >= comp.map_em.objective - 1e-9 * X.shape[0]
