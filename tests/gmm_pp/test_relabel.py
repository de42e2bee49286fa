"""Relabelling posterior draws (pure numpy, no PyMC)."""

import numpy as np
from numpy.testing import assert_array_equal

import em
from gmm_pp.relabel import align_params, relabel_draws


def test_random_permutations_come_back_exactly():
    rng = np.random.default_rng(0)
    k, d, s = 4, 2, 200
    ref = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    means = ref + rng.normal(0, 0.3, (s, k, d))
    weights = rng.dirichlet(np.ones(k), size=s)
    variances = rng.uniform(0.5, 2.0, (s, k))
    perms = np.array([rng.permutation(k) for _ in range(s)])
    take = np.arange(s)[:, None]
    shuffled = relabel_draws(weights[take, perms], means[take, perms], variances[take, perms], ref)
    assert_array_equal(shuffled.weights, weights)
    assert_array_equal(shuffled.means, means)
    assert_array_equal(shuffled.covariances, variances)
    identity = np.arange(k)
    expected_share = np.mean([not np.array_equal(p, identity) for p in perms])
    assert shuffled.share_relabelled == expected_share
    # Batch shape (chain, draw) is kept.
    batched = relabel_draws(
        weights.reshape(4, 50, k), means.reshape(4, 50, k, d), variances.reshape(4, 50, k), ref
    )
    assert batched.means.shape == (4, 50, k, d)


def test_align_params():
    ref = em.GMMParams([0.2, 0.3, 0.5], [[0.0], [5.0], [10.0]], [1.0, 2.0, 3.0])
    shuffled = ref.permute([2, 0, 1])
    assert align_params(shuffled, ref).allclose(ref, rtol=0)


def test_enumeration_agrees_with_hungarian():
    from gmm_pp.relabel import _best_by_enumeration, best_permutation

    rng = np.random.default_rng(3)
    ref = rng.normal(0, 3, (5, 2))
    means = ref[None] + rng.normal(0, 2.0, (300, 5, 2))  # noisy: many non-trivial matches
    fast = _best_by_enumeration(means, ref)
    slow = np.array([best_permutation(m, ref) for m in means])
    assert_array_equal(fast, slow)


def test_covariances_of_every_structure_move_with_their_components():
    rng = np.random.default_rng(1)
    k, d, s = 3, 2, 60
    ref = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    means = ref + rng.normal(0, 0.3, (s, k, d))
    weights = rng.dirichlet(np.ones(k), size=s)
    a = rng.normal(size=(s, k, d, d))
    covs = {"diag": rng.uniform(0.5, 2.0, (s, k, d)), "full": a @ np.swapaxes(a, -1, -2),
            "tied": (a @ np.swapaxes(a, -1, -2))[:, 0]}  # fmt: skip
    perms = np.array([rng.permutation(k) for _ in range(s)])
    take = np.arange(s)[:, None]
    for kind, c in covs.items():
        shuffled_c = c if kind == "tied" else c[take, perms]
        out = relabel_draws(weights[take, perms], means[take, perms], shuffled_c, ref, kind)
        assert_array_equal(out.means, means)
        assert_array_equal(out.covariances, c)
