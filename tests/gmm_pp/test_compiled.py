"""nutpie's compiled model with disk-cached callbacks equals nutpie's own compile."""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import em
from gmm_pp.compiled import logp_and_grad


@pytest.fixture(scope="module")
def model_values(sim_data):
    from gmm_pp.model import get_model

    mm = get_model(*sim_data.shape, 3)
    values, _ = mm.prepare(sim_data, em.GMMPrior().resolve(sim_data, 3))
    return mm, values


def _points(mm, rng, n):
    return [rng.normal(0.0, 0.7, mm.nutpie_model().n_dim) for _ in range(n)]


def test_callback_equals_pytensor_function(model_values, rng):
    """The C callback, fed the data through ``user_data``, returns PyTensor's numbers exactly."""
    mm, values = model_values
    compiled = mm.nutpie_model().with_data(**values)
    mm.set_data(values)  # the PyTensor function reads the model's shared variables
    for x in _points(mm, rng, 5):
        value, grad, status = compiled.logp_and_grad(x)
        want_value, want_grad = compiled.logp_func(x)
        assert status == 0
        assert value == want_value
        assert_array_equal(grad, want_grad)


def test_with_data_changes_the_density_and_checks_shapes(model_values, rng):
    mm, values = model_values
    compiled = mm.nutpie_model().with_data(**values)
    x = _points(mm, rng, 1)[0]
    shifted = compiled.with_data(Z=values["Z"] + 1.0)
    assert shifted.logp_and_grad(x)[0] != compiled.logp_and_grad(x)[0]
    assert compiled.logp_and_grad(x)[0] == mm.nutpie_model().with_data(**values).logp_and_grad(x)[0]
    with pytest.raises(ValueError, match=r"Z has shape \(3, 2\); this model was compiled for"):
        compiled.with_data(Z=np.zeros((3, 2)))
    with pytest.raises(KeyError, match="Unknown shared variable: nope"):
        compiled.with_data(nope=1.0)


def test_draws_equal_nutpie_compile(model_values):
    """Same seed, same start: nutpie's own compile and ours give bit-identical draws.

    nutpie's compile runs under the same PyTensor flags as ours (no fastmath).
    """
    import nutpie
    import pytensor

    from gmm_pp.compiled import REPRODUCIBLE_FLAGS

    mm, values = model_values
    ours = mm.nutpie_model().with_data(**values)
    with pytensor.config.change_flags(**REPRODUCIBLE_FLAGS):
        theirs = nutpie.compile_pymc_model(
            mm.model, var_names=["weights", "means", "variances"]
        ).with_data(**values)
    assert ours.n_dim == theirs.n_dim and ours.shape_info[0] == theirs.shape_info[0]
    # the fallback's log-density (nutpie's own model) through the same call, same numbers
    x = _points(mm, np.random.default_rng(1), 1)[0]
    assert logp_and_grad(theirs, x)[0] == logp_and_grad(ours, x)[0]
    start = ours.initial_point_func(0)
    draws = []
    for compiled in (ours, theirs):
        ready = dataclasses.replace(compiled, initial_point_func=lambda _seed: start.copy())
        trace = nutpie.sample(
            ready, draws=100, tune=100, chains=2, cores=1, seed=5, progress_bar=False
        )
        draws.append({name: trace.posterior[name].values for name in ("weights", "means")})
    for name in ("weights", "means"):
        assert_array_equal(draws[0][name], draws[1][name])


def test_a_new_process_loads_the_callbacks_from_the_cache(model_values, sim_data, tmp_path):
    """After this process compiled the model, another one finds both callbacks cached."""
    mm, values = model_values
    x = np.linspace(-0.5, 0.5, mm.nutpie_model().n_dim)
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "values.npz", **values)
    script = textwrap.dedent(
        f"""
        import json, sys
        import numpy as np
        from gmm_pp.model import get_model
        mm = get_model({sim_data.shape[0]}, {sim_data.shape[1]}, 3)
        compiled = mm.nutpie_model()
        values = dict(np.load(r"{tmp_path / "values.npz"}"))
        value, _, status = compiled.with_data(**values).logp_and_grad(
            np.load(r"{tmp_path / "x.npy"}")
        )
        json.dump({{
            "hits": [compiled.compiled_logp_func._cache_hits,
                     compiled.compiled_expand_func._cache_hits],
            "value": value,
            "status": status,
        }}, sys.stdout)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["hits"] == [1, 1]
    assert report["status"] == 0
    assert report["value"] == mm.nutpie_model().with_data(**values).logp_and_grad(x)[0]


# -- the fence around nutpie's and PyTensor's internals ----------------------------------


def test_other_versions_fall_back_to_nutpies_own_compile(monkeypatch, model_values):
    """With versions the glue was not written for, nutpie.compile_pymc_model is used
    (with a warning); the installed ones are the supported ones."""
    import nutpie

    import gmm_pp.compiled as compiled

    ok, detail = compiled.supported()
    assert ok, detail
    monkeypatch.setitem(compiled.SUPPORTED, "nutpie", "0.99")
    assert compiled.supported() == (False, f"nutpie {nutpie.__version__} (supported: 0.99.x)")
    calls = []
    monkeypatch.setattr(
        compiled._nutpie, "compile_pymc_model", lambda model, var_names: calls.append(var_names)
    )
    mm, _ = model_values
    with pytest.warns(compiled.FallbackWarning, match="using nutpie.compile_pymc_model instead"):
        compiled.compile_model(mm.model, var_names=["weights"])
    assert calls == [["weights"]]


def test_unexpected_transforms_are_refused():
    import pymc as pm

    from gmm_pp.compiled import free_variables

    with pm.Model() as model:
        pm.Dirichlet("weights", a=[1.0, 1.0])
        pm.HalfNormal("variances", 1.0, shape=2)  # a log transform: as assumed
        pm.Normal("means", 0.0, 1.0, shape=2, transform=pm.distributions.transforms.log)
    with pytest.raises(RuntimeError, match="PyMC transforms 'means' with LogTransform"):
        free_variables(model)


def test_the_model_cache_is_bounded():
    from gmm_pp.model import MODEL_CACHE_SIZE, get_model

    assert get_model.cache_info().maxsize == MODEL_CACHE_SIZE
    assert get_model(300, 2, 3) is get_model(300, 2, 3)
