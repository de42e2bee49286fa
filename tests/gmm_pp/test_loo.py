"""PSIS-LOO at any n: the subsampled estimate against the full one on small data."""

import arviz as az
import numpy as np
import pytest
from numpy.testing import assert_allclose

import gmm_pp.errors
from gmm_pp import loo as loo_module


@pytest.fixture(scope="module")
def full(comparison):
    return comparison.loo(subsample=False)


def test_full_loo_is_arviz_loo(comparison, full):
    ref = az.loo(comparison.posterior, var_name="obs", pointwise=True)
    assert full.method == "psis" and not full.subsampled
    assert (full.elpd, full.se, full.p) == (float(ref.elpd), float(ref.se), float(ref.p))
    assert full.subsampling_se == 0 and full.n_evaluated == full.n_points == 300
    assert full.pareto_k_bad == int(np.sum(np.asarray(ref.pareto_k) > 0.7))
    # below FULL_LOO_MAX_POINTS the default is every point
    assert comparison.loo() == full


def test_subsample_of_every_point_is_the_full_loo(comparison, full):
    every = comparison.loo(subsample=True, observations=300)
    assert every.method == "psis-subsample"
    assert_allclose([every.elpd, every.p], [full.elpd, full.p], rtol=1e-12)
    assert every.subsampling_se == 0


def test_subsampled_loo_within_its_error_of_the_full_one(comparison, full, pointwise_rows):
    rows = pointwise_rows
    for seed in range(4):
        sub = comparison.loo(subsample=True, observations=100, seed=seed)
        assert sub.n_evaluated == 100 and sub.n_points == 300
        assert 0 < sub.subsampling_se < sub.se
        # the subsampling error is the estimate's own: within 3 of them (seeds fixed)
        assert abs(sub.elpd - full.elpd) < 3 * sub.subsampling_se, (seed, sub, full)
        assert abs(sub.p - full.p) < 0.25 * full.p
    # each draw's log-likelihood was computed at the 100 points only (and the
    # posterior mean's at all 300): never draws x n
    assert set(rows) <= {100, 300}
    # same seed, same subsample; by default the comparison's seed
    again = comparison.loo(subsample=True, observations=100, seed=0)
    assert again.elpd == comparison.loo(subsample=True, observations=100, seed=0).elpd
    assert comparison.loo(subsample=True).elpd == comparison.loo(subsample=True).elpd


def test_bad_options(comparison):
    with pytest.raises(gmm_pp.errors.InputError, match="observations: expected an integer from 2"):
        comparison.loo(subsample=True, observations=301)
    with pytest.raises(gmm_pp.errors.InputError, match="observations"):
        comparison.loo(subsample=True, observations=1.5)
    with pytest.raises(gmm_pp.errors.InputError, match="subsample: expected True, False or None"):
        comparison.loo(subsample="yes")


def test_full_loo_refused_beyond_its_memory(comparison, monkeypatch):
    monkeypatch.setattr(loo_module, "FULL_LOO_MAX_BYTES", 8 * 4000 * 300 - 1)
    with pytest.raises(gmm_pp.errors.InputError, match=r"4000 draws x 300 points .*=True"):
        comparison.loo(subsample=False)
    assert comparison.loo(subsample=True).subsampled  # the way out works


def test_readme_states_the_thresholds_the_code_uses():
    """README's "Large data" section gives the limits the code applies."""
    from pathlib import Path

    from gmm_pp import loglik
    from reports import figdata

    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    section = readme.split("## Large data", 1)[1].split("\n## ", 1)[0]
    assert f"`az.loo` up to {loo_module.FULL_LOO_MAX_POINTS:,} points" in section
    assert f"PSIS-LOO at {loo_module.SUBSAMPLE_POINTS:,} random points" in section
    assert f"at most {loglik.SAVE_LIMIT_BYTES >> 20} MiB" in section
    largest = loglik.SAVE_LIMIT_BYTES // (4 * 4000)
    assert f"n <= {largest:,} at 4,000" in section
    assert loglik.saved_by_default(4000, largest) and not loglik.saved_by_default(4000, largest + 1)
    assert f"at most {figdata.MAX_POINTS:,} points in each scatter figure" in section
