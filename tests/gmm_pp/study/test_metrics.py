"""Study metrics on inputs whose answers are known."""

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose
from scipy import stats

from gmm_pp.study import metrics


def test_coverage_rate_and_its_mcse():
    rate, mcse = metrics.coverage_rate(np.array([True] * 30 + [False] * 10))
    assert rate == 0.75
    assert_allclose(mcse, np.sqrt(0.75 * 0.25 / 40))


def test_uniformity_test_accepts_uniform_and_rejects_skewed_ranks():
    rng = np.random.default_rng(1)
    uniform = rng.integers(0, 100, 2000)  # ranks among 99 draws: 0..99
    assert metrics.uniformity_pvalue(uniform, 99) > 0.01
    too_narrow = np.concatenate([rng.integers(0, 5, 1000), rng.integers(95, 100, 1000)])
    assert metrics.uniformity_pvalue(too_narrow, 99) < 1e-10
    # against scipy's chi-square on the same bins
    counts = np.histogram(uniform, bins=np.arange(0, 101, 10))[0]
    assert_allclose(metrics.uniformity_pvalue(uniform, 99), stats.chisquare(counts).pvalue)


def test_rank_histogram_band_holds_expected_counts():
    h = metrics.rank_histogram(np.arange(100).repeat(3), 99, bins=10)
    assert h["counts"].tolist() == [30] * 10
    assert np.all(h["band"][0] < 30) and np.all(h["band"][1] > 30)


def _synthetic_table():
    """Known answers: EM errs by +1, the posterior mean by -2; 2 of 4 intervals hold."""
    rows = []
    for r in range(4):
        inside = r < 2
        rows.append(
            {
                "scenario": "s", "n": 10, "k": 1, "d": 1, "truth_mode": "fixed",
                "replication": r, "parameter": "mean[0,0]", "kind": "means",
                "truth": 0.0, "em": 1.0, "map": 0.0, "post_mean": -2.0,
                **{f"lo{t}": (-1.0 if inside else 1.0) for t in (50, 80, 94)},
                **{f"hi{t}": 2.0 for t in (50, 80, 94)},
                "rank": r, "rank_draws": 9,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def test_accuracy_and_coverage_on_a_known_table():
    table = _synthetic_table()
    acc = metrics.accuracy(table).set_index("estimator")
    assert acc.loc["EM (MLE)", "bias"] == 1.0 and acc.loc["EM (MLE)", "rmse"] == 1.0
    assert acc.loc["posterior mean", "bias"] == -2.0 and acc.loc["PyMC MAP", "rmse"] == 0.0
    cov = metrics.coverage(table)
    assert cov["coverage"].tolist() == [0.5, 0.5, 0.5]
    assert_allclose(cov["mcse"], np.sqrt(0.25 / 4))
