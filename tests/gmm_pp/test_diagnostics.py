"""Diagnostics on synthetic chains with known answers."""

import numpy as np
import pytest

from gmm_pp.diagnostics import SamplingWarning, diagnose


def _draws(rng, shift=0.0):
    w = rng.dirichlet([50.0, 50.0], size=(4, 400))
    m = rng.normal(size=(4, 400, 2, 1)) * 0.1 + np.array([[0.0], [5.0]])
    m[1] += shift  # one chain elsewhere
    v = rng.uniform(0.9, 1.1, size=(4, 400, 2))
    return w, m, v


def test_healthy_chains_pass():
    d = diagnose(*[_draws(np.random.default_rng(0))] * 2, divergences=0, share_relabelled=0.0)
    assert d.ok and d.rhat_max < 1.01 and d.ess_bulk_min > 400


def test_disagreeing_chains_divergences_and_low_ess_are_reported():
    rng = np.random.default_rng(1)
    draws = _draws(rng, shift=1.0)
    with pytest.warns(SamplingWarning, match="R-hat .* > 1.01") as record:
        d = diagnose(draws, draws, divergences=3, share_relabelled=0.25)
    assert not d.ok and d.rhat_max > 1.01
    assert "3 divergent transitions: raise target_accept" in str(record[0].message)
    sticky = tuple(np.repeat(a[:, :8], 50, axis=1) for a in _draws(rng))
    with pytest.warns(SamplingWarning, match="ESS per chain"):
        diagnose(sticky, sticky, divergences=0, share_relabelled=0.0)
