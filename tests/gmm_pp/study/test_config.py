"""Study descriptions: TOML read, the grid expanded, every bad key named."""

import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import em
from gmm_pp.study import EXAMPLE, StudyConfigError, load_config, unit_prior


def test_example_config_loads_and_expands_its_grid():
    cfg = load_config(EXAMPLE)
    names = [s.name for s in cfg.scenarios]
    assert names == ["separated/n=50", "separated/n=200", "sbc"]
    assert cfg.sampler.cores == 1 and cfg.sampler.draws == 500 and cfg.sampler.tune == 500
    assert cfg.scenarios[0].weights == (0.3, 0.7)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"colour": 1}, r"scenario 1: unknown keys \['colour'\]"),
        ({"truth": "maybe"}, r"'truth': expected 'fixed' or 'prior', got 'maybe'"),
        ({"weights": [0.5, 0.6, 0.1]}, r"'weights': expected \"equal\" or 3 positive numbers"),
        ({"n": [300, 2]}, r"\(fixed/n=2\): 'n' \(2\) must exceed 'k' \(3\)"),
        ({"prior": {"mean_precision": -1.0}}, r"prior: mean_precision: expected a finite number"),
        ({"separation": float("inf")}, r"'separation': expected a finite number > 0, got inf"),
        ({"separation": float("nan")}, r"'separation': expected a finite number > 0, got nan"),
        ({"n": []}, r"scenario 1: 'n': expected a value or a non-empty list, got \[\]"),
        ({"k": []}, r"'k': expected a value or a non-empty list"),
        ({"weights": [0.5, float("nan"), 0.5]}, r"'weights': expected \"equal\" or 3 positive"),
        ({"prior": 3}, r"'prior': expected a table of prior fields, got 3"),
        ({"covariance": "VVV"}, r"'covariance': expected one of \['spherical', 'diag', 'tied'"),
        (
            {"truth": "prior", "prior": {"mean_location": [0.0, 0.0, 0.0]}},
            r"\(fixed\): prior: mean_location: expected shape \(2,\) .* got \(3,\)",
        ),
        (
            {"prior": {"mean_location": [0.0]}},
            r"\(fixed\): prior: 'mean_location' has 1 values, expected d = 2",
        ),
    ],
)
def test_bad_scenarios_are_named(change, match, tiny):
    raw = copy.deepcopy(tiny)
    raw["scenario"][0].update(change)
    with pytest.raises(StudyConfigError, match=match):
        load_config(raw)


def test_bad_files_are_named(tmp_path, tiny):
    with pytest.raises(StudyConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[study\nreplications = 2")
    with pytest.raises(StudyConfigError, match=r"bad.toml: not valid TOML"):
        load_config(bad)
    with pytest.raises(StudyConfigError, match=r"\[study\] 'replications': expected an integer"):
        load_config({**tiny, "study": {"replications": 0}})


def test_prior_truth_draws_follow_the_prior(tiny):
    """Draws of the SBC truth have the prior's closed-form moments (20,000 draws at once
    through GMMPrior.sample, the generative model draw_truth uses)."""
    scenario = load_config(tiny).scenarios[1]
    prior = unit_prior(2, 3)
    one = scenario.draw_truth(np.random.default_rng(7))
    w1, m1, v1 = prior.sample(3, seed=np.random.default_rng(7))
    assert one.allclose(em.GMMParams(w1, m1, v1), rtol=0)
    w, m, v = prior.sample(3, 20000, seed=0)
    assert_allclose(w.mean(axis=0), 1 / 3, atol=0.01)  # Dirichlet(1, 1, 1)
    # InverseGamma(a = 2, b = 1 / (2 * 3)): median b / gamma.ppf(0.5, a)
    assert_allclose(np.median(v), prior.variance_scale / stats.gamma.ppf(0.5, 2.0), rtol=0.03)
    # means | variance ~ N(0, v / kappa0): standardised, unit variance
    z = m / np.sqrt(v / prior.mean_precision)[..., None]
    assert_allclose(z.std(), 1.0, rtol=0.02)


@pytest.mark.parametrize("kind", ["spherical", "diag", "tied", "full"])
def test_a_scenario_of_every_structure(kind, tiny):
    """Its fixed truth has the structure, unit variance on the first axis, and the stated
    correlations; its prior truth is a draw of the structure's prior (the SBC truth)."""
    raw = copy.deepcopy(tiny)
    for entry in raw["scenario"]:
        entry["covariance"] = kind
    fixed, sbc = load_config(raw).scenarios
    truth = fixed.fixed_truth()
    assert truth.covariance_type == kind and fixed.to_dict()["covariance"] == kind
    cov = truth.covariance_matrices()
    assert_allclose(cov[:, 0, 0], 1.0)
    want = {"spherical": [0, 0, 0], "diag": [0, 0, 0], "tied": [0.5] * 3, "full": [0.5, -0.5, 0.5]}
    assert_allclose(cov[:, 0, 1], want[kind])
    drawn = sbc.draw_truth(np.random.default_rng(3))
    w, m, c = unit_prior(2, 3).sample(3, seed=np.random.default_rng(3), covariance_type=kind)
    assert drawn.covariance_type == kind
    assert_allclose(drawn.covariances, c, rtol=0)
