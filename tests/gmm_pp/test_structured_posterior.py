"""The posterior of the full-covariance mixture, end to end through ``compare``.

One compiled model (full, faithful's 272 x 2, K = 2; the ``covariance`` lesson's too)
serves every test here: PyMC's MAP
equals MAP-EM, the nutpie posterior agrees with a conjugate Gibbs sampler written
below from the Normal-inverse-Wishart formulas (sharing nothing with gmm-pp but
the resolved prior's constants), and the comparison's table, files and predictions
carry the structure.  The transforms' closed forms are checked against PyMC's own.
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pytensor.tensor as pt
import pytest
from numpy.testing import assert_allclose
from pymc.distributions.transforms import CholeskyCovTransform
from scipy import stats

import em
import gmm_pp
from gmm_pp.config import SamplerConfig
from gmm_pp.diagnostics import flat_params
from gmm_pp.model import cholesky_vector, covariance_from_vector, log_jacobian

#: Two chains, as many draws as the Monte-Carlo tolerances below need.
SAMPLER = SamplerConfig(draws=1500, tune=500, chains=2, cores=2)
#: Gibbs sweeps kept (after a burn-in of a tenth as many).
GIBBS_SWEEPS = 6000


#: A full-covariance truth, for the structure conversions.
TRUTH = em.GMMParams(
    [0.45, 0.55], [[-3.0, 0.0], [3.0, 1.0]],
    [[[1.0, 0.6], [0.6, 0.8]], [[0.5, -0.3], [-0.3, 1.2]]], "full",
)  # fmt: skip


@pytest.fixture(scope="module")
def faithful():
    """Old Faithful: two clusters, each strongly correlated, axes 20x apart in scale."""
    return gmm_pp.load_dataset("faithful", as_frame=True)


@pytest.fixture(scope="module")
def full_comparison(faithful):
    return gmm_pp.compare(faithful, 2, covariance="full", sampler=SAMPLER, seed=4)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_cholesky_transform_closed_forms_equal_pymc(d, rng):
    """Forward, backward and log-Jacobian of CholeskyCovTransform, batched over components."""
    transform = CholeskyCovTransform(d)
    free = rng.normal(0, 0.7, (3, d * (d + 1) // 2))
    cov = transform.backward(pt.as_tensor(free)).eval()
    assert_allclose(covariance_from_vector(free, d), cov, rtol=1e-13)
    assert_allclose(cholesky_vector(cov), free, rtol=1e-10, atol=1e-12)
    theirs = transform.log_jac_det(pt.as_tensor(free)).eval().sum()
    # PyMC's d log 2 is computed in float32 (1.9e-9 per dimension and matrix): a constant,
    # which moves neither the MAP nor the sampler; the gradient is exact.
    x = np.concatenate([[0.3, -0.2], free.ravel()])  # two weights' simplex values first
    value, grad = log_jacobian(x, slice(0, 2), slice(2, None), "cholesky", d)
    value_w, grad_w = log_jacobian(x[:3], slice(0, 2), slice(2, 2), "log")
    assert_allclose(value - value_w, theirs, rtol=0, atol=3 * d * 2e-9)
    step = 1e-6  # the gradient against central differences
    for i in range(2, x.size):
        e = np.zeros_like(x)
        e[i] = step
        up = log_jacobian(x + e, slice(0, 2), slice(2, None), "cholesky", d)[0]
        down = log_jacobian(x - e, slice(0, 2), slice(2, None), "cholesky", d)[0]
        assert_allclose(grad[i], (up - down) / (2 * step), atol=1e-7)


def test_pymc_map_equals_map_em(full_comparison):
    comp = full_comparison
    assert comp.covariance_type == "full" and comp.pymc_map.success
    assert comp.pymc_map.params.allclose(comp.map_em.params, rtol=1e-4, atol=1e-6)
    assert comp.pymc_map.objective == pytest.approx(comp.map_em.objective, abs=1e-6)


def _gibbs(X, prior, start: em.GMMParams, sweeps: int, seed: int):
    """A conjugate Gibbs sampler of the full-covariance mixture (labels sampled).

    Given the labels: ``w ~ Dir(alpha + n_k)``; ``Sigma_k ~ IW(nu + n_k, Psi + S_k +
    kappa0 n_k / (kappa0 + n_k) (xbar_k - m0)(xbar_k - m0)^T)``; ``mu_k ~ N((kappa0 m0
    + n_k xbar_k) / (kappa0 + n_k), Sigma_k / (kappa0 + n_k))``.  Given the
    parameters, each label from its responsibilities (scipy densities).
    """
    rng = np.random.default_rng(seed)
    n, d = X.shape
    k = start.n_components
    alpha, m0, kappa0 = prior.weight_concentration, prior.mean_location, prior.mean_precision
    nu, psi = prior.covariance_dof, prior.covariance_scale
    w, mu, sigma = start.weights, start.means, start.covariances
    burn = sweeps // 10
    out_w, out_m, out_s = [], [], []
    for sweep in range(burn + sweeps):
        dens = np.column_stack(
            [w[j] * stats.multivariate_normal(mu[j], sigma[j]).pdf(X) for j in range(k)]
        )
        resp = dens / dens.sum(axis=1, keepdims=True)
        z = (rng.random(n)[:, None] > np.cumsum(resp, axis=1)).sum(axis=1)
        counts = np.bincount(z, minlength=k)
        w = rng.dirichlet(alpha + counts)
        mu, sigma = np.empty((k, d)), np.empty((k, d, d))
        for j in range(k):
            xj = X[z == j]
            nj = counts[j]
            xbar = xj.mean(axis=0) if nj else np.zeros(d)
            scatter = (xj - xbar).T @ (xj - xbar)
            kn = kappa0 + nj
            dev = xbar - m0
            psi_n = psi + scatter + kappa0 * nj / kn * np.outer(dev, dev)
            sigma[j] = stats.invwishart(df=nu + nj, scale=psi_n).rvs(random_state=rng)
            mu[j] = rng.multivariate_normal((kappa0 * m0 + nj * xbar) / kn, sigma[j] / kn)
        if sweep >= burn:
            out_w.append(w)
            out_m.append(mu)
            out_s.append(sigma)
    return np.array(out_w)[None], np.array(out_m)[None], np.array(out_s)[None]


def test_posterior_agrees_with_a_conjugate_gibbs_sampler(full_comparison):
    """Means and 5/95% quantiles of every parameter, within their Monte-Carlo errors."""
    comp = full_comparison
    w, m, s = comp.draws()
    gw, gm, gs = _gibbs(comp.X, comp.prior, comp.map_em.params, GIBBS_SWEEPS, seed=8)
    names = flat_params(w, m, s, comp.feature_names, "full")
    theirs = flat_params(gw, gm, gs, comp.feature_names, "full")
    checked = 0
    for name, ours in names.items():
        other = theirs[name]
        sd = np.std(ours)
        ess = float(az.ess(ours, method="bulk")) if sd > 0 else np.inf
        ess_g = float(az.ess(np.asarray(other), method="bulk"))
        mcse = sd * np.sqrt(1 / ess + 1 / ess_g)
        assert abs(ours.mean() - other.mean()) < 4 * mcse, name
        for q in (0.05, 0.95):
            tail = min(
                float(az.ess(ours, method="tail", prob=(0.05, 0.95))),
                float(az.ess(np.asarray(other), method="tail", prob=(0.05, 0.95))),
            )
            # A quantile's MCSE is about 2.1 sd / sqrt(ESS) at 5% for a normal posterior.
            tol = 4 * 2.2 * sd * np.sqrt(2 / tail)
            assert abs(np.quantile(ours, q) - np.quantile(other, q)) < tol, (name, q)
        checked += 1
    assert checked == 2 + 4 + 6  # weights, means, and the lower triangles of two matrices


def test_the_comparison_carries_the_structure(full_comparison, tmp_path):
    comp = full_comparison
    table = comp.table()
    assert list(table.parameter[-3:]) == [
        "cov[1,eruptions,eruptions]", "cov[1,waiting,eruptions]", "cov[1,waiting,waiting]"
    ]  # fmt: skip
    w, m, s = comp.draws()
    assert s.shape == (SAMPLER.chains, SAMPLER.draws, 2, 2, 2)
    assert_allclose(s, np.swapaxes(s, -1, -2))  # symmetric draws
    assert np.all(np.linalg.eigvalsh(s) > 0)
    # The posterior's log-likelihood group is scipy's, draw by draw.
    loglik = comp.posterior["log_likelihood"]["obs"].values
    c, t = 1, 7
    mix = sum(
        w[c, t, j] * stats.multivariate_normal(m[c, t, j], s[c, t, j]).pdf(comp.X) for j in range(2)
    )
    assert_allclose(loglik[c, t], np.log(mix), rtol=1e-10)
    assert "cov[0,waiting,eruptions]" in comp.summary()
    assert "full covariances (mclust VVV)" in comp.summary() and ", full," in repr(comp)
    comp.save(tmp_path / "c")
    back = gmm_pp.Comparison.load(tmp_path / "c")
    assert back.covariance_type == "full"
    assert_allclose(back.draws()[2], s)
    assert back.table().equals(table)
    proba = comp.predict_proba(comp.X[:5])
    assert_allclose(proba.sum(axis=1), 1.0)


def test_truth_of_a_simpler_structure_is_written_in_the_fit_s():
    truth = TRUTH
    spherical = em.GMMParams(truth.weights, truth.means, [1.0, 2.0])
    full = spherical.as_structure("full")
    assert_allclose(full.covariances, [np.eye(2), 2 * np.eye(2)])
    assert full.as_structure("spherical").allclose(spherical, rtol=0)
    with pytest.raises(em.InputError, match="is not a diag one .*correlated"):
        truth.as_structure("diag")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert spherical.as_structure("diag").covariances.shape == (2, 2)


def test_a_study_replication_of_the_full_structure(full_comparison):
    """An SBC replication (truth drawn from the full prior) on the shape compiled above."""
    from gmm_pp.study.config import Scenario
    from gmm_pp.study.replicate import Task, run_replication

    scenario = Scenario("sbc-full", 272, 2, 2, truth="prior", covariance="full")
    sampler = SamplerConfig(draws=100, tune=100, chains=2, cores=1, progress=False)
    result = run_replication(Task(0, scenario, 0, 11, sampler, 20))
    assert result["replication"]["error"] == ""
    rows = {row["parameter"]: row for row in result["rows"]}
    assert {row["kind"] for row in rows.values()} == {"weights", "means", "covariances"}
    truth = scenario.draw_truth(
        np.random.default_rng(np.random.SeedSequence(11, spawn_key=(0, 0)).spawn(3)[0])
    )
    recorded = sorted(rows[f"cov[{j},1,0]"]["truth"] for j in range(2))  # in EM's labels
    assert_allclose(recorded, np.sort(truth.covariances[:, 1, 0]), rtol=1e-12)
    assert all(0 <= row["rank"] <= 20 for row in rows.values())


def test_fit_takes_the_structure(full_comparison, tmp_path, capsys):
    """``gmm-pp fit faithful --covariance full`` (the shape compiled above): loadable, its
    report titled by the structure."""
    from gmm_pp.cli import main

    out = tmp_path / "fit"
    argv = ["fit", "faithful", "-k", "2", "--covariance", "full", "--out", str(out)]
    assert main([*argv, "--draws", "100", "--tune", "100", "--chains", "2", "--quiet"]) == 0
    saved = gmm_pp.Comparison.load(out)
    assert saved.covariance_type == "full" and saved.feature_names == ("eruptions", "waiting")
    assert "cov[0,waiting,eruptions]" in capsys.readouterr().out
    page = (out / "report" / "index.html").read_text()
    assert "full-covariance (VVV)" in page


def test_bad_structures_are_named_before_any_work(faithful):
    with pytest.raises(em.InputError, match=r"^covariance: expected one of spherical, diag"):
        gmm_pp.compare(faithful, 2, covariance="VVV")
    with pytest.raises(em.InputError, match=r"^truth: .*full mixture is not a diag one"):
        gmm_pp.compare(faithful, 2, covariance="diag", truth=TRUTH)
    with pytest.raises(em.InputError, match="full covariance needs more rows than columns"):
        gmm_pp.compare(np.array([[0.0, 1.0], [1.0, 0.0]]), 1, covariance="full")


def test_in_one_dimension_full_is_the_spherical_comparison():
    """diag and full in 1-D are the spherical model: the same fits and draws, in their shapes
    (and no model of their own compiled)."""
    X, _ = em.GMMParams([0.4, 0.6], [[-2.0], [2.0]], [1.0, 0.7]).sample(300, seed=2)
    few = SamplerConfig(draws=100, tune=100, chains=2, cores=2, progress=False)
    with warnings.catch_warnings():  # few draws: the diagnostics are not what is tested
        warnings.simplefilter("ignore", gmm_pp.diagnostics.SamplingWarning)
        spherical = gmm_pp.compare(X, 2, sampler=few, seed=6)
        full = gmm_pp.compare(X, 2, sampler=few, seed=6, covariance="full")
    assert full.covariance_type == "full"
    for name in ("mle", "map_em", "pymc_map"):
        want = getattr(spherical, name).params.as_structure("full")
        assert getattr(full, name).params.allclose(want, rtol=0), name
    w, m, v = spherical.draws()
    fw, fm, fv = full.draws()
    assert np.array_equal(fw, w) and np.array_equal(fm, m)
    assert np.array_equal(fv, v[..., None, None])
    assert list(full.table()["parameter"][-2:]) == ["cov[0,0,0]", "cov[1,0,0]"]
    assert_allclose(full.table()["post_mean"], spherical.table()["post_mean"], rtol=1e-14)
