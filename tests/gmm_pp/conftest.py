"""Session-wide PyMC fixtures: one model per shape, compiled once per test session."""

import os

os.environ.setdefault("PYTENSOR_FLAGS", "numba__fastmath=False")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gmm_pp.config import SamplerConfig  # noqa: E402

#: Few draws: the statistical tests below state tolerances that hold at this size.
SMALL = SamplerConfig(draws=500, tune=500, chains=4, cores=2)


@pytest.fixture(scope="session")
def small_sampler():
    return SMALL


@pytest.fixture(scope="session")
def sim_data(truth_2d):
    X, _ = truth_2d.sample(300, seed=11)
    return X


@pytest.fixture(scope="session")
def comparison(sim_data, truth_2d):
    import gmm_pp

    return gmm_pp.compare(sim_data, 3, sampler=SMALL, seed=3, truth=truth_2d)


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(2026)
