"""The PyMC model equals em's log-likelihood plus log prior (up to the units' Jacobian)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import em

#: Any valid point (scaled units): weights, means, variances.
_UNIT = (np.full(3, 1 / 3), np.zeros((3, 2)), np.ones(3))


@pytest.fixture(scope="module")
def model_and_logp(sim_data):
    from gmm_pp.model import get_model

    mm = get_model(*sim_data.shape, 3)
    return mm, mm.model.compile_logp(jacobian=False)


def test_logp_equals_em_loglik_plus_log_prior(model_and_logp, sim_data, rng):
    mm, logp = model_and_logp
    n, d = sim_data.shape
    for prior in (em.GMMPrior(), em.GMMPrior(weight_concentration=2.0, mean_precision=0.1)):
        resolved = prior.resolve(sim_data, 3)
        values, scaling = mm.prepare(sim_data, resolved)
        mm.set_data(values)
        for _ in range(4):
            params = em.GMMParams(
                rng.dirichlet(np.ones(3)), rng.normal(0, 3, (3, d)), rng.uniform(0.3, 3.0, 3)
            )
            w, m, v = scaling.to_scaled(params.weights, params.means, params.variances)
            got = logp(mm.unconstrained((w, m, v)))
            # The model lives on z = (x - c) / s: the density of x is that of z times
            # s^-d per point, and the prior's, s^-(d + 2) per component.
            jacobian = (n * d + 3 * (d + 2)) * np.log(scaling.scale)
            want = params.log_likelihood(sim_data) + resolved.log_prob(params) + jacobian
            assert_allclose(got, want, rtol=1e-10)


def test_unconstrained_matches_pymc_transforms(model_and_logp):
    import pytensor

    mm, _ = model_and_logp
    w, m, v = np.array([0.2, 0.3, 0.5]), np.zeros((3, 2)), np.array([1.0, 2.0, 0.5])
    got = mm.unconstrained((w, m, v))
    for name, value in (("weights", w), ("variances", v)):
        rv = mm.model[name]
        transform = mm.model.rvs_to_transforms[rv]
        expected = pytensor.function([], transform.forward(pytensor.tensor.as_tensor(value)))()
        key = next(k for k in got if k.startswith(name + "_"))
        assert_allclose(got[key], expected, rtol=1e-14)


def test_log_jacobian_matches_pymc_transforms(model_and_logp, rng):
    """The closed-form log-Jacobian (and gradient) equals PyMC's ``log_jac_det`` graphs."""
    import pytensor
    import pytensor.tensor as pt

    from gmm_pp.model import log_jacobian

    mm, _ = model_and_logp
    layout = mm.layout()
    x = pt.dvector("x")
    total = 0
    for name in ("weights", "variances"):
        rv = mm.model[name]
        transform = mm.model.rvs_to_transforms[rv]
        sl = layout[mm.value_names[name]]
        total = total + pt.sum(transform.log_jac_det(x[sl], *rv.owner.inputs))
    reference = pytensor.function([x], [total, pytensor.grad(total, x)], mode="FAST_COMPILE")
    for scale in (0.1, 1.0, 5.0):
        point = rng.normal(0, scale, mm.flat(mm.unconstrained(_UNIT)).size)
        names = mm.value_names
        value, grad = log_jacobian(point, layout[names["weights"]], layout[names["variances"]])
        want_value, want_grad = reference(point)
        assert_allclose(value, want_value, rtol=1e-12)
        assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-12)


def test_map_loss_is_minus_logp_without_jacobian(model_and_logp, sim_data, rng):
    """The MAP's loss (nutpie's log-density minus the log-Jacobian) is find_MAP's loss."""
    mm, logp = model_and_logp
    resolved = em.GMMPrior().resolve(sim_data, 3)
    values, _ = mm.prepare(sim_data, resolved)
    mm.set_data(values)
    loss = mm.map_loss(values)
    for _ in range(3):
        w, m, v = rng.dirichlet(np.ones(3)), rng.normal(0, 1, (3, 2)), rng.uniform(0.2, 2, 3)
        point = mm.unconstrained((w, m, v))
        x = mm.flat(point)
        value, grad = loss(x)
        assert_allclose(value, -logp(point), rtol=1e-11)
        # the gradient against central differences of the value
        step = 1e-6
        numeric = [
            (loss(x + step * e)[0] - loss(x - step * e)[0]) / (2 * step) for e in np.eye(x.size)
        ]
        assert_allclose(grad, numeric, rtol=1e-5, atol=1e-4)
        assert_allclose(mm.unflat(x)["means"], point["means"], rtol=0)


def test_pointwise_log_likelihood_matches_pymc(comparison):
    """Our numpy log-likelihood equals pm.compute_log_likelihood on the same draws."""
    import pymc as pm
    import xarray as xr

    from gmm_pp.model import get_model

    X = comparison.X
    mm = get_model(*X.shape, 3)
    values, scaling = mm.prepare(X, comparison.prior)
    mm.set_data(values)
    w, m, v = (a[:, :5] for a in comparison.draws())
    ws, ms, vs = scaling.to_scaled(w, m, v)
    post = xr.Dataset(
        {
            "weights": (("chain", "draw", "component"), ws),
            "means": (("chain", "draw", "component", "feature"), ms),
            "variances": (("chain", "draw", "component"), vs),
        }
    )
    tree = xr.DataTree.from_dict({"posterior": post})
    out = pm.compute_log_likelihood(tree, model=mm.model, progressbar=False)
    theirs = out["log_likelihood"]["obs"].values.reshape(4, 5, -1)
    theirs = theirs - X.shape[1] * np.log(scaling.scale)
    ours = comparison.posterior["log_likelihood"]["obs"].values[:, :5]
    assert_allclose(ours, theirs, rtol=1e-10)


def test_constrained_inverts_unconstrained():
    from gmm_pp.model import get_model

    w, m, v = np.array([0.1, 0.6, 0.3]), np.arange(6.0).reshape(3, 2), np.array([0.5, 1.0, 2.0])
    mm = get_model(300, 2, 3)
    back = mm.constrained(mm.unconstrained((w, m, v)))
    assert_allclose(back["weights"], w, rtol=1e-14)
    assert_allclose(back["variances"], v, rtol=1e-14)
    assert_allclose(back["means"], m, rtol=0)
