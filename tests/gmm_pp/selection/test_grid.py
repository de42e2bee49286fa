"""Model selection, the EM side: the grid against independent formulas, engines, files, errors.

No PyMC here: under CI these run while the suite's models compile in the background.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import em
import gmm_pp
from em.strategy import new_seed
from gmm_pp.config import SamplerConfig
from gmm_pp.errors import GMMError, InputError, OutputError
from gmm_pp.selection import Selection, SelectionFormatError, select


@pytest.fixture(scope="module")
def faithful():
    return gmm_pp.load_dataset("faithful", as_frame=True)


@pytest.fixture(scope="module")
def faithful_selection(faithful):
    return select(faithful, bayes="none", seed=0, engine="local", workers=2)


def _n_parameters(kind: str, k: int, d: int) -> int:
    """Free parameters, counted here independently of em.params."""
    cov = {"spherical": k, "diag": k * d, "tied": d * (d + 1) // 2, "full": k * d * (d + 1) // 2}
    return (k - 1) + k * d + cov[kind]


def _scipy_density(X, params: em.GMMParams) -> np.ndarray:
    """Each point's density under each component, by scipy, shape (n, K)."""
    covs = params.covariance_matrices()
    return np.column_stack(
        [w * stats.multivariate_normal(m, c).pdf(X)
         for w, m, c in zip(params.weights, params.means, covs, strict=True)]
    )  # fmt: skip


def test_faithful_prefers_tied_three(faithful_selection):
    sel = faithful_selection
    assert sel.chosen == ("tied", 3)
    row = sel.table().loc["tied-K3"]
    # mclust: Mclust(faithful) prefers EEE,3 with BIC -2314.3 in its sign
    assert row["bic"] == pytest.approx(2314.3, abs=0.05)
    assert row["bic_rank"] == 1 and row["mclust"] == "EEE"
    assert len(sel.grid) == 36 and set(sel.grid["structure"]) == set(em.COVARIANCE_TYPES)
    assert "BIC chose tied K = 3" in sel.reason() and "mclust's sign: -2314.3" in sel.reason()


def test_every_criterion_recomputed_with_scipy(faithful, faithful_selection):
    """Each row's BIC, ICL and AIC equal -2 loglik + penalty of its own fit, by scipy."""
    X = faithful.to_numpy(dtype=float)
    n, d = X.shape
    sel = faithful_selection
    for row in sel.grid.itertuples():
        fit = sel.fit(f"{row.structure}-K{row.k}")
        assert fit.covariance_type == row.structure and fit.n_components == row.k
        dens = _scipy_density(X, fit)
        loglik = float(np.sum(np.log(dens.sum(axis=1))))
        p = _n_parameters(row.structure, row.k, d)
        assert row.n_parameters == p
        assert row.log_likelihood == pytest.approx(loglik, rel=1e-10)
        assert row.bic == pytest.approx(-2 * loglik + p * math.log(n), rel=1e-10)
        assert row.aic == pytest.approx(-2 * loglik + 2 * p, rel=1e-10)
        z = dens / dens.sum(axis=1, keepdims=True)
        entropy = float(stats.entropy(z, axis=1).sum())
        assert row.icl == pytest.approx(row.bic + 2 * entropy, rel=1e-10)
    # the row is that K's own fit: the same seed stream as the selection's task for it
    seq = np.random.SeedSequence(sel.seed, spawn_key=(0, 3))
    with _quiet():
        again = em.fit_structures(X, 3, sel.covariances, seed=np.random.default_rng(seq))
    np.testing.assert_allclose(again["tied"].params.means, sel.fit().means, rtol=1e-12)
    assert sel.fit() is sel.fit("tied-K3")
    with pytest.raises(GMMError, match="no model 'tied-K12' in the grid"):
        sel.fit("tied-K12")


class _quiet:
    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_criteria_disagree_on_faithful_and_say_why(faithful_selection):
    sel = faithful_selection
    pref = sel.preferred()
    assert pref["bic"] == "tied-K3" and pref["icl"] == "full-K2"
    assert pref["elpd_loo"] is None and pref["stacking_weight"] is None
    text = sel.agreement()
    assert "BIC prefers tied K = 3" in text and "ICL prefers full K = 2" in text
    assert "classification entropy" in text
    t = sel.table()
    assert list(t["bic"]) == sorted(t["bic"]) and t["elpd_loo"].isna().all()
    html = sel._repr_html_()
    assert "tied-K3" in html and "<table>" in html
    assert "tied-K3" in sel.summary() and "Selection(n=272" in repr(sel)


def test_same_rows_whatever_the_engine_and_the_other_k(data_2d):
    serial = select(data_2d, (2, 3), ("spherical", "full"), bayes="none", seed=4)
    local = select(data_2d, (1, 2, 3), ("spherical", "full"), bayes="none", seed=4,
                   engine="local", workers=2)  # fmt: skip
    a = serial.grid.set_index(["structure", "k"])
    b = local.grid.set_index(["structure", "k"]).loc[a.index]
    pd.testing.assert_frame_equal(a, b)


def test_fit_structures_shares_the_spherical_fit(data_2d):
    fits = em.fit_structures(data_2d, 3, ("spherical", "tied", "full"), seed=5)
    seed = new_seed(np.random.default_rng(5))
    alone = em.fit(data_2d, 3, seed=seed)
    assert fits["spherical"].log_likelihood == alone.log_likelihood
    np.testing.assert_array_equal(fits["spherical"].params.means, alone.params.means)
    for kind in ("tied", "full"):
        start = next(r for r in fits[kind].restarts if r.init == "spherical")
        assert start.seed == seed  # started from that very fit
        np.testing.assert_allclose(start.params_at(0).means, alone.params.means, rtol=1e-12)
    # in one dimension, diag and full are the spherical model
    x = data_2d[:, :1]
    one = em.fit_structures(x, 2, ("spherical", "diag", "full"), seed=1)
    assert one["diag"].log_likelihood == one["spherical"].log_likelihood
    assert one["full"].params.covariance_type == "full"
    with pytest.raises(InputError, match="covariances: expected one or more distinct"):
        em.fit_structures(data_2d, 2, ("tied", "tied"))
    with pytest.raises(InputError, match="covariances: expected one of spherical"):
        em.fit_structures(data_2d, 2, ("nope",))


def test_hierarchical_tree_is_cut_not_recomputed(data_2d):
    from em.hc import agglomerate, merge_sequence

    Z = (data_2d - data_2d.mean(axis=0)) / data_2d.std()
    for k in (1, 2, 5, 9):
        assert merge_sequence(Z, k) == agglomerate(Z, k)
    cut = merge_sequence(Z, 3)
    cut.append((0, 0))  # the caller's list: the cached tree is not changed
    assert merge_sequence(Z, 3) == agglomerate(Z, 3)


def test_classification_entropy_and_icl(data_2d):
    from em.criteria import classification_entropy, icl

    fit = em.fit(data_2d, 3, seed=0)
    z = _scipy_density(data_2d, fit.params)
    z /= z.sum(axis=1, keepdims=True)
    assert classification_entropy(z) == pytest.approx(stats.entropy(z, axis=1).sum(), rel=1e-9)
    assert classification_entropy(np.eye(3)) == 0.0
    assert fit.icl(data_2d) == pytest.approx(icl(fit.bic(), stats.entropy(z, axis=1).sum()))
    with pytest.raises(InputError, match="X: expected the 300 rows"):
        fit.icl(data_2d[:10])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": []}, "k: expected at least one number of components, got an empty range"),
        ({"k": range(3, 3)}, "k: expected at least one number of components"),
        ({"k": [2, 301]}, "k: expected numbers of components at most the 300 data points"),
        ({"k": [0, 1]}, r"k: expected integers >= 1, got 0"),
        ({"k": "1:3"}, "k: expected numbers of components such as range"),
        ({"covariance": ("tied", "oval")}, "covariance: expected one of"),
        ({"covariance": []}, "covariance: expected at least one of"),
        ({"top": 0}, r"top: expected an integer >= 1"),
        ({"top": True}, r"top: expected an integer >= 1"),
        ({"bayes": "some"}, "bayes: expected one of top, all, none"),
        ({"engine": "gpu"}, "engine: expected one of"),
        ({"seed": -1}, "seed: expected an int >= 0"),
    ],
)
def test_bad_input_is_one_clear_error(data_2d, kwargs, match):
    with pytest.raises(GMMError, match=match):
        select(data_2d, **{"k": (1, 2), "bayes": "none", **kwargs})


def test_resumes_in_its_folder_and_refuses_another(tmp_path, data_2d):
    out = tmp_path / "sel"
    first = select(data_2d, (1, 2, 3), "spherical", bayes="none", seed=1, out=out)
    assert sorted(p.name for p in (out / "parts").iterdir()) == ["k001.json", "k002.json",
                                                                  "k003.json"]  # fmt: skip
    (out / "parts" / "k002.json").unlink()  # as if killed before K = 2 finished
    again = select(data_2d, (1, 2, 3), "spherical", bayes="none", seed=1, out=out)
    pd.testing.assert_frame_equal(first.grid, again.grid)
    loaded = Selection.load(out)
    pd.testing.assert_frame_equal(loaded.grid, first.grid, check_dtype=False)
    assert loaded.fit().allclose(first.fit(), rtol=0, atol=0)
    assert loaded.chosen == first.chosen and loaded.agreement() == first.agreement()
    with pytest.raises(InputError, match="holds a different selection"):
        select(data_2d, (1, 2, 3), "spherical", bayes="none", seed=2, out=out)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty"):
        select(data_2d, (1, 2), "spherical", bayes="none", seed=1, out=other)
    assert (other / "notes.txt").read_text() == "mine"
    with pytest.raises(SelectionFormatError, match="no selection.json"):
        Selection.load(other)


def test_a_rerun_with_a_progress_bar_resumes_the_same_selection(tmp_path, data_2d):
    out = tmp_path / "sel"
    quiet = SamplerConfig(draws=300, tune=300, chains=2, progress=False)
    select(data_2d, (1, 2), "spherical", bayes="none", sampler=quiet, seed=1, out=out)
    loud = SamplerConfig(draws=300, tune=300, chains=2, cores=1, progress=True)
    again = select(data_2d, (1, 2), "spherical", bayes="none", sampler=loud, seed=1, out=out)
    assert again.chosen == ("spherical", 2)
