"""Bad input: a clear error naming the parameter, what was expected and what came."""

import numpy as np
import pytest

import em


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (
            [[1.0, 2.0], [np.nan, 1.0], [3.0, 4.0]],
            r"X: expected finite numbers, got nan at row 1, column 0",
        ),
        ([[1.0, 2.0], [3.0, np.inf]], r"got inf at row 1, column 1"),
        (np.zeros((2, 2, 2)), r"expected a 1-D or 2-D array.*got 3 dimensions"),
        (np.zeros((0, 2)), r"expected non-empty data, got shape \(0, 2\)"),
        ([], r"expected non-empty data"),
        ([[1.0, 2.0], [3.0]], r"ragged"),
        (np.ones((5, 2)), r"all 5 rows are identical"),
    ],
)
def test_bad_data(X, match):
    with pytest.raises(ValueError, match=match):
        em.fit(X, 1)


def test_non_numeric_data():
    with pytest.raises(TypeError, match=r"X: expected numeric values"):
        em.fit(np.array([["a", "b"], ["c", "d"]]), 1)
    with pytest.raises(TypeError, match=r"X: expected an array of numbers, got a str"):
        em.fit("data.csv", 1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_components": 0}, ValueError, r"n_components: expected an integer >= 1, got 0"),
        ({"n_components": 2.5}, TypeError, r"n_components: expected an integer >= 1, got 2.5"),
        ({"n_components": "3"}, TypeError, r"n_components: .* got '3' of type str"),
        ({"n_components": True}, TypeError, r"n_components"),
        (
            {"n_components": 11},
            ValueError,
            r"n_components: expected at most n_samples = 10, got 11",
        ),
        (
            {"n_components": 2, "tol": -1.0},
            ValueError,
            r"tol: expected a finite number >= 0, got -1",
        ),
        ({"n_components": 2, "tol": float("nan")}, ValueError, r"tol"),
        (
            {"n_components": 2, "max_iter": 0},
            ValueError,
            r"max_iter: expected an integer >= 1, got 0",
        ),
        ({"n_components": 2, "n_init": 0}, ValueError, r"n_init: expected an integer >= 1, got 0"),
        (
            {"n_components": 2, "init": "kmeans"},
            ValueError,
            r"init: expected one of \('auto', 'kmeans\+\+', 'random', 'random-resp', 'hc', "
            r"'emEM'\)",
        ),
        (
            {"n_components": 2, "seed": "x"},
            TypeError,
            r"seed: expected an int, a numpy.random.Generator or None",
        ),
        ({"n_components": 2, "seed": -1}, ValueError, r"seed: expected a non-negative int"),
        ({"n_components": 2, "prior": "default"}, TypeError, r"prior: expected a GMMPrior"),
    ],
)
def test_bad_options(kwargs, error, match):
    X = np.arange(20.0).reshape(10, 2)
    with pytest.raises(error, match=match):
        em.fit(X, **kwargs)


def test_fixed_init_mismatches():
    X = np.arange(20.0).reshape(10, 2)
    p = em.GMMParams([0.5, 0.5], [[0.0], [1.0]], [1.0, 1.0])
    with pytest.raises(
        ValueError, match=r"init: expected parameters with 2 components and 2 features, got 2 and 1"
    ):
        em.fit(X, 2, init=p)
    p2 = em.GMMParams([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"n_init: a fixed init runs once, got n_init=3"):
        em.fit(X, 2, init=p2, n_init=3)
    with pytest.raises(ValueError, match=r"resp: expected shape \(10, 2\), got \(9, 2\)"):
        em.fit(X, 2, init=np.full((9, 2), 0.5))
    with pytest.raises(ValueError, match=r"resp: expected every row to sum to 1, got 0.8 in row 0"):
        em.fit(X, 2, init=np.full((10, 2), 0.4))


def test_more_components_than_distinct_rows():
    X = np.repeat([[0.0], [1.0]], 5, axis=0)
    with pytest.raises(ValueError, match=r"n_components: .* got 3 but X has only 2 distinct rows"):
        em.fit(X, 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"weights": [0.5, 0.6], "means": [0, 1], "variances": [1, 1]},
            r"weights: expected non-negative values summing to 1",
        ),
        (
            {"weights": [0.5, 0.5], "means": [0, 1], "variances": [1, 0]},
            r"variances: expected values > 0",
        ),
        (
            {"weights": [0.5, 0.5], "means": [0, 1, 2], "variances": [1, 1]},
            r"means: expected shape \(2, n_features\)",
        ),
        (
            {"weights": [0.5, 0.5], "means": [0, 1], "variances": [1]},
            r"variances: expected shape \(2,\)",
        ),
        (
            {"weights": [0.5, 0.5], "means": [0, np.nan], "variances": [1, 1]},
            r"means: expected finite numbers",
        ),
    ],
)
def test_bad_params(kwargs, match):
    with pytest.raises(ValueError, match=match):
        em.GMMParams(**kwargs)


def test_params_are_immutable():
    p = em.GMMParams([0.5, 0.5], [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="read-only"):
        p.means[0, 0] = 3.0
    with pytest.raises(AttributeError):
        p.weights = np.ones(2) / 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weight_concentration": 0.5}, r"weight_concentration: expected a finite number >= 1"),
        ({"mean_precision": 0.0}, r"mean_precision: expected a finite number > 0"),
        ({"variance_shape": -1.0}, r"variance_shape"),
        ({"variance_scale": float("inf")}, r"variance_scale"),
    ],
)
def test_bad_prior(kwargs, match):
    with pytest.raises(ValueError, match=match):
        em.GMMPrior(**kwargs)


def test_prior_location_must_match_data():
    with pytest.raises(ValueError, match=r"mean_location: expected shape \(2,\)"):
        em.fit(np.arange(20.0).reshape(10, 2), 2, prior=em.GMMPrior(mean_location=[0.0]))


def test_evaluation_feature_mismatch():
    p = em.GMMParams([1.0], [[0.0, 0.0]], [1.0])
    with pytest.raises(ValueError, match=r"X: expected 2 features to match the parameters, got 3"):
        p.log_likelihood(np.zeros((4, 3)))


# -- the edges of float64, and errors of the project's own kind ---------------------


@pytest.mark.parametrize(
    ("factor", "match"),
    [
        (1e153, r"X: the data's spread .* is 9.57e\+152, more than float64 variances can hold"),
        (1e307, r"more than float64 variances can hold .*divide the data by a power of ten"),
        (1e-152, r"less than float64 variances hold at full precision .*multiply the data"),
    ],
)
def test_data_beyond_float64_variances_is_named(factor, match):
    X = np.random.default_rng(0).normal(size=(100, 2)) * factor
    with pytest.raises(em.InputError, match=match):
        em.fit(X, 2, seed=0)


def test_data_near_the_largest_float_is_not_called_identical():
    """The column mean of values near 1e307 overflowed, and the data were reported as
    'all rows identical'; now the spread is measured and named."""
    X = 1e307 + np.random.default_rng(1).normal(size=(50, 2)) * 1e300
    with pytest.raises(em.InputError, match=r"spread .* is 8.5e\+299, more than float64"):
        em.fit(X, 2)


@pytest.mark.parametrize("factor", [1e150, 1e-150])
def test_data_at_1e150_and_1e_minus_150_fit(factor, truth_2d, data_2d):
    unit = em.fit(data_2d, 3, init=truth_2d)
    start = em.GMMParams(truth_2d.weights, truth_2d.means * factor, truth_2d.variances * factor**2)
    scaled = em.fit(data_2d * factor, 3, init=start)
    np.testing.assert_allclose(scaled.params.means, unit.params.means * factor, rtol=1e-9)
    np.testing.assert_allclose(
        scaled.params.variances, unit.params.variances * factor**2, rtol=1e-9
    )


def test_a_prior_far_from_the_data_is_named_not_a_floating_point_error():
    X = np.random.default_rng(0).normal(size=(100, 2))
    for location in ([1e160, 0.0], [1e200, 0.0]):
        with pytest.raises(em.InputError, match=r"mean_location: .* so far from the data"):
            em.fit(X, 2, prior=em.GMMPrior(mean_location=location), seed=0)
    with pytest.raises(em.InputError, match=r"variance_scale: its square root is .* more than"):
        em.fit(X, 2, prior=em.GMMPrior(variance_scale=1e306), seed=0)


def test_kmeans_and_resolve_validate_their_integers():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(em.InputError, match=r"max_iter: expected an integer >= 1, got 0"):
        em.kmeans(X, 2, max_iter=0)
    with pytest.raises(em.InputError, match=r"n_components: expected an integer >= 1, got 0"):
        em.GMMPrior().resolve(X, 0)


def test_input_errors_are_the_projects_own_and_the_builtin_kinds():
    """The CLI catches GMMError (one line); callers may keep catching ValueError/TypeError."""
    with pytest.raises(em.GMMError) as info:
        em.fit(np.ones((5, 2)), 1)
    assert isinstance(info.value, ValueError)
    with pytest.raises(em.GMMError) as info:
        em.fit("data.csv", 1)
    assert isinstance(info.value, TypeError)
