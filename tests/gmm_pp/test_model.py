"""The PyMC model equals em's log-likelihood plus log prior (up to the units' Jacobian)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import em


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
