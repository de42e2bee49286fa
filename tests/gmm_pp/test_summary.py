"""The posterior summary: numpy's numbers at unit scale, the same numbers scaled at any scale."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from em.scaling import Scaling
from gmm_pp.summary import format_number, posterior_summary


@pytest.fixture(scope="module")
def draws():
    rng = np.random.default_rng(0)
    w = rng.dirichlet([5, 3, 2], size=(2, 50))
    m = rng.normal(0, 1, (2, 50, 3, 2)) * 0.1 + np.array([[-3, 0], [2, 2], [1, -3]])
    v = rng.gamma(20, 0.05, (2, 50, 3))
    return w, m, v


def test_summary_equals_numpy_at_unit_scale(draws):
    w, m, v = draws
    summary = posterior_summary(w, m, v, Scaling(np.zeros(2), 1.0), intervals=(0.5, 0.94))
    flat = v[..., 1].reshape(-1)
    row = summary["variance[1]"]
    assert row["mean"] == pytest.approx(flat.mean(), rel=1e-14)
    assert row["sd"] == pytest.approx(flat.std(ddof=1), rel=1e-14)
    assert row["eti94_lower"] == pytest.approx(np.quantile(flat, 0.03), rel=1e-14)
    assert row["eti50_upper"] == pytest.approx(np.quantile(flat, 0.75), rel=1e-14)
    assert summary["mean[2,1]"]["mean"] == pytest.approx(m[..., 2, 1].mean(), rel=1e-14)


@pytest.mark.parametrize(("factor", "shift"), [(1e150, 0.0), (1e-150, 0.0), (1.0, 1e8)])
def test_summary_scales_without_overflow(draws, factor, shift):
    w, m, v = draws
    unit = posterior_summary(w, m, v, Scaling(np.zeros(2), 1.0))
    scaling = Scaling(np.full(2, shift), factor)
    moved = posterior_summary(w, m * factor + shift, v * factor**2, scaling)
    for name, row in unit.items():
        kind = name.split("[")[0]
        for stat, value in row.items():
            if kind == "weight":
                want = value
            elif kind == "mean":
                want = value * factor + (0.0 if stat == "sd" else shift)
            else:
                want = value * factor**2
            assert np.isfinite(moved[name][stat]) and moved[name][stat] != 0
            # Draws stored as 1e8 + x keep x to about 1.5e-8 (float64's spacing at 1e8).
            rel = 1e-6 if shift else 1e-9
            assert moved[name][stat] == pytest.approx(want, rel=rel), (name, stat)


def test_numbers_show_the_digits_their_uncertainty_needs():
    assert format_number(1e8 + 2.9163, 0.0806) == "100000002.92"
    assert format_number(0.53652, 0.0298) == "0.5365"
    assert format_number(-2.916e-150, 8.3e-152) == "-2.916e-150"
    assert format_number(1e8, float("nan")) == "1e+08"
    assert format_number(float("inf"), 1.0) == "inf"
    assert_allclose(float(format_number(np.pi * 1e8, 1e-3)), np.pi * 1e8, rtol=1e-11)
