"""Shared fixtures: seeded data sets, and hypothesis settings for CI."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import em
from gmm_pp.config import SamplerConfig

# CI (CI=true) draws the same examples on every run, so a red run is about the change
# under test; locally each run draws new examples (and replays failures it found).
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if _CI else "dev"))

#: The compiled models the suite uses, as (n, d, K, structure): PyTensor keys a compiled model
#: by d, K and the structure, not n, so these four cover every test's (the session's
#: comparison, the 1-D lessons and studies, faithful with K = 2, the full posterior tests).
WARM_MODELS = [(300, 2, 3, "spherical"), (272, 2, 2, "full"), (300, 1, 2, "spherical"),
               (272, 2, 2, "spherical")]  # fmt: skip


def pytest_sessionstart(session):
    """Under CI, compile the suite's PyMC models in a background process at once.

    With a cold compile cache each model takes 30-90 s of single-threaded compiling;
    the EM tests, which come first and use no PyMC, leave the second core to it, and
    the PyMC tests then load the models from the cache (the same builds: compiled
    under gmm_pp.compiled's reproducible flags, keyed by their graphs).  Set
    GMM_PP_WARM=0 to turn it off, =1 to turn it on outside CI.
    """
    wanted = os.environ.get("GMM_PP_WARM", "1" if _CI else "0") == "1"
    if not wanted:
        return
    code = (
        "from gmm_pp.model import get_model\n"
        f"for shape in {WARM_MODELS!r}:\n"
        "    get_model(*shape).nutpie_model()\n"
    )
    session.config.gmm_pp_warmer = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def pytest_sessionfinish(session):
    warmer = getattr(session.config, "gmm_pp_warmer", None)
    if warmer is not None and warmer.poll() is None:
        warmer.kill()
        warmer.wait()


#: The 2-D three-component truth used across the tests.
TRUTH_2D = em.GMMParams(
    weights=[0.5, 0.3, 0.2],
    means=[[-3.0, 0.0], [2.5, 2.0], [1.5, -3.0]],
    variances=[1.0, 0.6, 0.8],
)


@pytest.fixture(scope="session")
def truth_2d() -> em.GMMParams:
    return TRUTH_2D


@pytest.fixture(scope="session")
def data_2d() -> np.ndarray:
    """300 points from TRUTH_2D, seed 0."""
    X, _ = TRUTH_2D.sample(300, seed=0)
    return X


@pytest.fixture(scope="session")
def course_example():
    """The course's worked 1-D example: params and the five points."""
    params = em.GMMParams(weights=[0.5, 0.5], means=[-3.0, 2.0], variances=[4.0, 4.0])
    x = np.array([0.2, -0.9, -1.0, 1.2, 1.8])
    return params, x


#: Few draws: the statistical tests below state tolerances that hold at this size.
SMALL = SamplerConfig(draws=1000, tune=500, chains=4, cores=2)


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


#: A study that runs in seconds: one shape (n 300, d 2, K 3, the session's sim_data), so
#: every process compiles one model.
TINY_STUDY = {
    "study": {"replications": 2, "seed": 5, "draws": 60, "tune": 60, "chains": 2},
    "scenario": [
        {"name": "fixed", "n": 300, "k": 3, "d": 2, "separation": 5.0},
        {"name": "sbc", "n": 300, "k": 3, "d": 2, "truth": "prior"},
    ],
}


@pytest.fixture
def tiny():
    """The tiny study's description (a fresh copy: tests may change it)."""
    import copy

    return copy.deepcopy(TINY_STUDY)


@pytest.fixture(scope="session")
def serial_study(tmp_path_factory, comparison):  # comparison: the session's compiled model
    from gmm_pp.study import load_config, run_study

    out = tmp_path_factory.mktemp("study") / "serial"
    return run_study(load_config(TINY_STUDY), out, engine="serial", progress=False)


def _run_cli(argv: list[str]) -> tuple[int, str]:
    """``gmm-pp ARGV`` in this process: its exit code and what it printed."""
    import contextlib
    import io

    from gmm_pp.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    return code, buf.getvalue()


@pytest.fixture(scope="session")
def demo_page(tmp_path_factory, comparison):  # comparison: the demo's shape, compiled
    """``gmm-pp demo`` (n = 300 keeps the session model's shape): (exit code, output, folder)."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    argv = ["demo", "--seed", "2", "-n", "300", "--out", str(out), "--quiet"]
    return (*_run_cli([*argv, "--draws", "200", "--tune", "200"]), out)


@pytest.fixture(scope="session")
def faithful_page(tmp_path_factory, comparison):
    """``gmm-pp fit faithful -k 3`` (spherical K = 3 shares the session's compiled model)."""
    out = tmp_path_factory.mktemp("faithful") / "faithful"
    argv = ["fit", "faithful", "-k", "3", "--out", str(out), "--draws", "300", "--tune", "300"]
    return (*_run_cli([*argv, "--chains", "2", "--quiet", "--seed", "1"]), out)


@pytest.fixture
def pointwise_rows(monkeypatch) -> list[int]:
    """The row counts of every ``em.pointwise_log_likelihood`` call from here on."""
    import em

    rows: list[int] = []
    real = em.pointwise_log_likelihood

    def spy(X, *args):
        rows.append(len(X))
        return real(X, *args)

    monkeypatch.setattr(em, "pointwise_log_likelihood", spy)
    return rows
