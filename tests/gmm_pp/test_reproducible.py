"""One answer per seed: every entry point, any environment, a cold or a warm compile cache.

Each run is a fresh Python process with a clean environment (no PYTENSOR_FLAGS
but the compile directory), so nothing the test suite or a Makefile sets can
help: the flags that make draws reproducible are set in code.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

#: A shape no other test compiles, so the first run below is a cold compile.
N, K = 120, 2

API = textwrap.dedent(
    """
    import hashlib, sys
    import numpy as np
    import gmm_pp
    from gmm_pp.config import SamplerConfig
    X = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, ndmin=2)
    c = gmm_pp.compare(X, {k}, sampler=SamplerConfig(draws=100, tune=100, chains=2), seed=7)
    print(hashlib.sha256(b"".join(a.tobytes() for a in c.draws())).hexdigest())
    """
).format(k=K)

#: A cold compile in a fresh cache: slow, still run by CI.
pytestmark = pytest.mark.slow


def _digest(comparison) -> str:
    return hashlib.sha256(b"".join(a.tobytes() for a in comparison.draws())).hexdigest()


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reproducible")
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(-2, 1, (N // 2, 1)), rng.normal(2, 1, (N // 2, 1))]
    data = folder / "data.csv"
    np.savetxt(data, X, delimiter=",", header="x", comments="")
    return folder, data


def _env(cache, **extra) -> dict[str, str]:
    """A clean environment: the interpreter's essentials, a private compile cache."""
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    flags = f"base_compiledir={cache}"
    if "PYTENSOR_FLAGS" in extra:
        flags = f"{extra.pop('PYTENSOR_FLAGS')},{flags}"
    return {**keep, "PYTENSOR_FLAGS": flags, **extra}


def _api(data, env) -> str:
    out = subprocess.run(
        [sys.executable, "-c", API, str(data)], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


def test_same_seed_same_draws_everywhere(setting):
    folder, data = setting
    cache = folder / "compile-cache"
    cold = _api(data, _env(cache))
    warm = _api(data, _env(cache))
    assert warm == cold, "a warm compile cache gave other draws than a cold one"
    # The environment asks for fastmath and other thread counts: the numbers do not move.
    hostile = _env(
        cache,
        PYTENSOR_FLAGS="numba__fastmath=True",
        EM_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    assert _api(data, hostile) == cold, "PYTENSOR_FLAGS or thread counts changed the draws"
    # The installed command, with the same seed and settings, saves the same draws.
    out = folder / "cli"
    argv = ["fit", str(data), "-k", str(K), "--out", str(out), "--seed", "7"]
    argv += ["--draws", "100", "--tune", "100", "--chains", "2", "--quiet"]
    cli = subprocess.run(
        [sys.executable, "-m", "gmm_pp", *argv], env=_env(cache), capture_output=True, text=True
    )
    assert cli.returncode == 0, cli.stderr[-3000:]
    import gmm_pp

    assert _digest(gmm_pp.Comparison.load(out)) == cold, "gmm-pp fit gave other draws"
