"""The pointwise log-likelihood in chunks and lazily: the same numbers as all at once."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import em
from gmm_pp import loglik


def _draws(kind: str, shape=(3, 5), k=3, d=2, seed=0):
    """Random mixtures of one structure, shapes (*shape, K), (*shape, K, d), covariances."""
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(k), size=shape)
    m = rng.normal(0, 3, (*shape, k, d))
    a = rng.normal(0, 0.5, (*shape, k, d, d))
    full = a @ np.swapaxes(a, -1, -2) + np.eye(d)
    cov = {
        "spherical": np.diagonal(full, axis1=-2, axis2=-1).mean(-1),
        "diag": np.diagonal(full, axis1=-2, axis2=-1),
        "tied": full[..., 0, :, :],
        "full": full,
    }[kind]
    return w, m, cov


@pytest.mark.parametrize("kind", em.COVARIANCE_TYPES)
def test_chunked_equals_unchunked(kind):
    X = np.random.default_rng(1).normal(0, 3, (203, 2))
    draws = _draws(kind)
    whole = em.pointwise_log_likelihood(X, *draws, kind)  # (3, 5, 203), all at once
    # 15 sets x 7 rows per chunk: 29 chunks, the last one short
    totals = loglik.draw_totals(X, *draws, kind, chunk_values=15 * 7)
    assert totals.shape == (3, 5)
    assert_allclose(totals, whole.sum(axis=-1), rtol=1e-13)
    values = loglik.pointwise(X, *draws, kind, dtype=np.float64, chunk_values=15 * 7)
    assert_array_equal(values, whole)  # each row is computed by the same arithmetic
    small = loglik.pointwise(X, *draws, kind, chunk_values=15 * 7)
    assert small.dtype == np.float32
    assert_array_equal(small, whole.astype(np.float32))


def test_progress_per_chunk():
    X = np.zeros((10, 2))
    seen = []
    loglik.draw_totals(
        X, *_draws("spherical", (2,)), chunk_values=8, on_chunk=lambda i, n: seen.append((i, n))
    )
    assert seen == [(4, 10), (8, 10), (10, 10)]


def test_lazy_group_computes_only_what_is_read(pointwise_rows):
    rows = pointwise_rows
    X = np.random.default_rng(2).normal(0, 3, (50, 2))
    draws = _draws("full", (2, 4))
    whole = em.pointwise_log_likelihood(X, *draws, "full")
    var = loglik.lazy_log_likelihood(X, *draws, "full")
    assert var.dims == ("chain", "draw", "point") and var.shape == (2, 4, 50)
    rows.clear()
    assert rows == []  # nothing computed on creation
    picked = np.array([3, 41, 7])
    assert_array_equal(var[:, :, picked].values, whole[:, :, picked])
    assert rows == [3]
    assert_array_equal(var[1, 2:, 10:20].values, whole[1, 2:, 10:20])
    assert_array_equal(var[0, 3, 5].values, whole[0, 3, 5])
    assert rows == [3, 10, 1]
    assert_array_equal(var.values, whole)


def test_save_limit():
    assert loglik.SAVE_LIMIT_BYTES == 50 * 2**20
    assert loglik.pointwise_bytes(4000, 3276) <= loglik.SAVE_LIMIT_BYTES
    assert loglik.saved_by_default(4000, 3276)
    assert not loglik.saved_by_default(4000, 3277)
