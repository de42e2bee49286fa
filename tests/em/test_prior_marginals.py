"""The prior's closed-form marginals against draws from its generative model (GMMPrior.sample)."""

import numpy as np
import pytest
from scipy import stats

import em
from em.prior_marginals import prior_marginal
from gmm_pp.diagnostics import flat_index, flat_params


@pytest.mark.parametrize("kind", ["spherical", "diag", "tied", "full"])
def test_marginals_match_prior_draws(kind):
    """Kolmogorov-Smirnov of 20,000 prior draws against each marginal: every p-value above
    1e-3 (about 20 parameters per structure; the Bonferroni share of a 2% test)."""
    X = np.random.default_rng(0).normal(size=(200, 3)) * [1.0, 2.0, 3.0]
    prior = em.GMMPrior().resolve(X, 3)
    draws = flat_params(*prior.sample(3, 20_000, seed=1, covariance_type=kind), None, kind)
    tested = 0
    for (what, _, where), values in zip(flat_index(3, 3, kind), draws.values(), strict=True):
        dist = prior_marginal(prior, 3, what, where, kind)
        if dist is None:
            assert what == "cov" and where[0] != where[1]  # only off-diagonal entries
            continue
        assert stats.kstest(values, dist.cdf).pvalue > 1e-3
        tested += 1
    assert tested >= 12


def test_a_wrong_marginal_fails_the_same_check():
    """The check has power: the mean's t with its scale 10% too large is rejected."""
    X = np.random.default_rng(0).normal(size=(200, 2))
    prior = em.GMMPrior().resolve(X, 2)
    _, means, _ = prior.sample(2, 20_000, seed=1)
    dist = prior_marginal(prior, 2, "mean", (0,))
    wrong = stats.t(dist.args[0], loc=dist.kwds["loc"], scale=dist.kwds["scale"] * 1.1)
    assert stats.kstest(means[:, 0, 0], wrong.cdf).pvalue < 1e-6
    assert stats.kstest(means[:, 0, 0], dist.cdf).pvalue > 1e-3


def test_one_component_has_no_weight_density():
    X = np.random.default_rng(0).normal(size=(50, 2))
    assert prior_marginal(em.GMMPrior().resolve(X, 1), 1, "weight") is None
