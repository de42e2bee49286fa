"""Where EM starts: each kind of start, the default strategy, basins and spurious maxima."""

from __future__ import annotations

import itertools
import json
import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import em
from em.hc import hierarchical_partition, merge_sequence
from em.init import ParamsStart
from em.screen import screen
from em.split_merge import apply_move, merge, ranked_moves
from em.starts import KINDS
from gmm_pp.datasets import load_dataset

KINDS_WITH_SEEDS = [kind for kind in KINDS if kind != "auto"]


def _quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", em.SpuriousComponentWarning)
        warnings.simplefilter("ignore", em.DegenerateComponentWarning)
        return em.fit(*args, **kwargs)


def _brute_force_merges(Z: np.ndarray, n_clusters: int) -> list[tuple[int, int]]:
    """Agglomerate by recomputing, at every step, the criterion of every candidate partition.

    ``F = sum_k n_k d log((W_k + alpha) / n_k)`` from the members themselves (no
    update formula), ``alpha`` the data's variance per coordinate.
    """
    m, d = Z.shape
    alpha = float(np.mean((Z - Z.mean(axis=0)) ** 2))
    clusters = {i: [i] for i in range(m)}

    def term(members):
        pts = Z[members]
        w = float(((pts - pts.mean(axis=0)) ** 2).sum())
        return len(members) * d * np.log((w + alpha) / len(members))

    merges = []
    while len(clusters) > n_clusters:
        costs = {
            (a, b): term(clusters[a] + clusters[b]) - term(clusters[a]) - term(clusters[b])
            for a, b in itertools.combinations(sorted(clusters), 2)
        }
        a, b = min(costs, key=costs.get)
        merges.append((a, b))
        clusters[a] = clusters[a] + clusters.pop(b)
    return merges


@pytest.mark.parametrize("seed", range(4))
def test_hc_merges_as_a_brute_force_agglomeration(seed):
    rng = np.random.default_rng(seed)
    d = 1 + seed % 3
    Z = np.concatenate([rng.normal(0, 1, (8, d)), rng.normal(4, 0.5, (6, d))])
    merges = _brute_force_merges(Z, 1)
    assert merge_sequence(Z, 1) == merges
    # The two-cluster partition is the brute force's after all but its last merge.
    parent = list(range(Z.shape[0]))
    for a, b in merges[:-1]:
        parent[b] = a

    def root(i):
        return i if parent[i] == i else root(parent[i])

    want = {frozenset(i for i in range(Z.shape[0]) if root(i) == r) for r in set(map(root, parent))}
    labels = hierarchical_partition(Z, 2)
    assert {frozenset(np.flatnonzero(labels == c).tolist()) for c in (0, 1)} == want


@pytest.mark.parametrize("kind", KINDS_WITH_SEEDS)
def test_each_kind_of_start_is_valid_and_made_again_from_its_seed(kind):
    X = load_dataset("faithful")
    result = _quiet(X, 3, init=kind, n_init=2, seed=4)
    for run in result.restarts:
        assert run.init == kind and isinstance(run.seed, int)
        start = run.params_at(0)
        assert_allclose(start.weights.sum(), 1.0, rtol=1e-12)
        assert np.all(start.variances > 0) and np.all(np.isfinite(start.means))
        again = em.initial_params(X, 3, kind, run.seed)
        assert again.allclose(start, rtol=0, atol=0)  # bit for bit
    assert result.restarts[0].seed != result.restarts[1].seed


def test_every_restart_of_the_default_strategy_is_recorded_and_made_again():
    X = load_dataset("faithful")
    result = _quiet(X, 4, seed=1)
    kinds = [run.init for run in result.restarts]
    assert kinds[: 1 + em.defaults.AUTO_KMEANS] == ["hc"] + ["kmeans++"] * em.defaults.AUTO_KMEANS
    assert set(kinds) <= {"hc", "kmeans++", "random", "split-merge"}
    assert "random" in kinds and "split-merge" in kinds
    for run in result.restarts:
        if run.init == "split-merge":  # starts from another restart's end: recorded as iterate 0
            assert_allclose(run.weights[0].sum(), 1.0, rtol=1e-12)
            continue
        assert em.initial_params(X, 4, run.init, run.seed).allclose(
            run.params_at(0), rtol=0, atol=0
        )
    # The screened starts: seeds, ends, and the ones run in full among them.
    sc = result.screen
    screened = {int(s) for s in sc.seeds}
    assert {r.seed for r in result.restarts if r.init == "random"} <= screened
    # Same seed, same everything.
    again = _quiet(X, 4, seed=1)
    assert [r.seed for r in again.restarts] == [r.seed for r in result.restarts]
    assert again.params.allclose(result.params, rtol=0, atol=0)


def test_the_default_reaches_galaxies_best_regular_maximum_for_k4():
    """mclust's hierarchical start stops at -199.254; k-means++ starts at -202.165."""
    X = load_dataset("galaxies")
    for seed in range(10):
        result = _quiet(X, 4, seed=seed)
        assert result.log_likelihood >= -199.26, seed
        assert not result.trace.spurious


def test_a_spurious_maximum_is_flagged_set_aside_and_reported():
    X = load_dataset("galaxies")  # K = 6: most maxima put a component on two points
    with pytest.warns(
        em.SpuriousComponentWarning, match=r"component \d+ sits on [\d.]+ points' worth"
    ):
        result = em.fit(X, 6, seed=0)
    chosen, raw = result.trace, result.restarts[result.raw_best]
    assert not chosen.spurious and raw.spurious
    assert raw.log_likelihood[-1] > chosen.log_likelihood[-1]
    # The spurious component: few points' worth of responsibility, or a tiny variance.
    j = raw.spurious_components[0]
    n, d = X.shape
    small = raw.params.weights[j] * n < d + 1
    tiny = raw.params.variances[j] < em.defaults.SPURIOUS_VARIANCE * X.var()
    assert small or tiny
    assert f"component {j}" in raw.spurious_reason
    # Both are in the result: the basins list the spurious one, above the chosen one.
    basins = result.basins
    assert basins[0].spurious and not basins[0].chosen
    assert [b.chosen for b in basins].count(True) == 1
    # select="best" takes the raw best, and says so.
    with pytest.warns(em.SpuriousComponentWarning, match="select='best'"):
        best = em.fit(X, 6, seed=0, select="best")
    assert best.trace.spurious
    assert best.log_likelihood == pytest.approx(raw.log_likelihood[-1], rel=1e-9)


def test_no_spurious_flag_under_a_prior_nor_with_one_component():
    X = load_dataset("galaxies")
    with warnings.catch_warnings():
        warnings.simplefilter("error", em.SpuriousComponentWarning)
        mapped = em.fit(X, 6, prior=em.GMMPrior(), seed=0)
        single = em.fit(X[:3], 1)
    assert not any(r.spurious for r in mapped.restarts)
    assert not single.trace.spurious


def test_the_screen_ends_where_the_exact_em_ends():
    """The batched screen against the exact EM from the same starts (MLE and MAP)."""
    X = load_dataset("faithful")
    data = em.prepare(X)
    d = data.n_features
    Z, zsq = data.design[:, :d], data.design[:, d]
    seeds = np.arange(12)
    starts = []
    for s in seeds:
        p = em.initial_params(X, 3, "random", int(s))
        starts.append(ParamsStart(*data.scaling.to_scaled(p.weights, p.means, p.variances)))
    n = data.n_samples
    for prior in (None, em.GMMPrior()):
        constants = None
        if prior is not None:
            constants = prior.resolve(data, 3).scaled(data.scaling.shift, data.scaling.scale)
        result, _ = screen(
            Z, zsq, starts, seeds, constants=constants, tol=1e-10, max_iter=5000,
            log_jacobian=data.scaling.log_jacobian(n, d),
            prior_jacobian=3 * (d + 2) * float(np.log(data.scaling.scale)),
        )  # fmt: skip
        for i, s in enumerate(seeds):
            exact = _quiet(X, 3, init=em.initial_params(X, 3, "random", int(s)), tol=1e-10,
                           max_iter=5000, prior=prior)  # fmt: skip
            if exact.trace.degenerate:
                assert result.status[i] == "degenerate"
                continue
            assert result.status[i] == "tol"
            assert_allclose(result.objective[i], exact.objective, rtol=1e-8)
            assert_allclose(result.log_likelihood[i], exact.log_likelihood, rtol=1e-8)


def test_a_merge_keeps_the_pair_s_weight_mean_and_second_moment():
    w = np.array([0.2, 0.3, 0.5])
    m = np.array([[0.0, 1.0], [2.0, -1.0], [5.0, 5.0]])
    v = np.array([0.5, 2.0, 1.0])
    weight, mean, var = merge(w, m, v, 0, 1)
    # Independently: the pair as one distribution, its mean and mean squared norm.
    p = w[:2] / w[:2].sum()
    second = sum(p[c] * (2 * v[c] + m[c] @ m[c]) for c in range(2))  # E||x||^2, d = 2
    assert weight == pytest.approx(0.5)
    assert_allclose(mean, p @ m[:2])
    assert var == pytest.approx((second - mean @ mean) / 2)
    moved = apply_move(ParamsStart(w, m, v), (0, 1, 2), np.random.default_rng(0))
    assert_allclose(moved.weights.sum(), 1.0)
    assert_allclose(moved.means[1] + moved.means[2], 2 * m[2])  # split about the old mean


def test_moves_are_ranked_and_need_three_components():
    X = load_dataset("faithful")
    data = em.prepare(X)
    d = data.n_features
    p = _quiet(X, 3, seed=0).params
    start = ParamsStart(*data.scaling.to_scaled(p.weights, p.means, p.variances))
    moves = ranked_moves(data.design[:, :d], start, 10)
    assert len(moves) == 3  # 3 pairs, 1 component left to split each
    assert all(c not in (i, j) for i, j, c in moves)
    two = ParamsStart(start.weights[:2] / start.weights[:2].sum(), start.means[:2],
                      start.variances[:2])  # fmt: skip
    assert ranked_moves(data.design[:, :d], two, 10) == []


def test_basins_count_every_end_once_and_survive_json():
    X = load_dataset("faithful")
    result = _quiet(X, 4, seed=2)
    basins = result.basins
    counted = sorted(i for b in basins for i in b.restarts)
    assert counted == [i for i, r in enumerate(result.restarts) if not r.degenerate]
    assert sum(b.screened for b in basins) == result.screen.status.count("tol")
    objectives = [b.objective for b in basins]
    assert objectives == sorted(objectives, reverse=True)
    back = em.EMResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.basins == basins
    summary = result.to_summary()
    assert len(summary["optima"]) == len(basins)
    assert "distinct optima reached" in result.summary()


def test_peak_memory_grows_as_n_k_not_n_squared():
    """hc clusters a subsample and the screen runs in chunks: memory O(n K)."""

    def peak(n):
        rng = np.random.default_rng(0)
        X = rng.normal(size=(n, 2)) + rng.integers(0, 4, (n, 1)) * 3.0
        tracemalloc.start()
        _quiet(X, 4, seed=0)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    small, large = peak(5_000), peak(20_000)
    # Four times the rows: O(n^2) would be 16 times the memory; O(n K) adds
    # about 4 x 15 000 x 4 doubles per array held.
    assert large < small + 60 * 15_000 * 4 * 8, (small, large)
