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
