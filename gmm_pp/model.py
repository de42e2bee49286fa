"""The mixture as a PyMC model, compiled once per shape and structure and reused.

The model is written on the standardised data ``z = (x - c) / s`` that ``em``
also works on (column means ``c``, one scale ``s``).  The conjugate prior of
:mod:`em.prior` is closed under that affine map and its Jacobian is constant,
so posterior draws and the MAP map back to the data's units exactly, and data
far from unit scale cannot derail the sampler.  The data and every prior
constant are ``pm.Data``: a new data set of the same shape (or a new prior)
reuses the compiled model.

Labels are summed out: the likelihood of a point is a log-sum-exp over
components of ``log p_k + log N(z; mu_k, sigma_k^2 I)`` (a ``pm.CustomDist``,
the smallest graph of the three equivalent forms).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor.tensor as pt

import em
from em import GMMParams, GMMPrior
from em.density import LOG_2PI
from em.scaling import Scaling
from gmm_pp.compiled import CachedPyMCModel, compile_model, free_variables, logp_and_grad
from gmm_pp.covariance_model import build_covariance_model
from gmm_pp.covariance_model import data_values as structured_values
from gmm_pp.diagnostics import covariance_variable

__all__ = [
    "MixtureModel",
    "cholesky_vector",
    "covariance_from_vector",
    "get_model",
    "log_jacobian",
]


def _mixture_logp(value, weights, means, variances):
    """Per-point log-density of the mixture, shape (n,)."""
    d = pt.cast(value.shape[-1], "float64")
    sq = pt.sum((value[..., :, None, :] - means[..., None, :, :]) ** 2, axis=-1)
    comp = pt.log(weights)[..., None, :] - 0.5 * d * (LOG_2PI + pt.log(variances)[..., None, :])
    comp = comp - 0.5 * sq / variances[..., None, :]
    return pm.math.logsumexp(comp, axis=-1, keepdims=False)


def build_model(n_samples: int, n_features: int, n_components: int) -> pm.Model:
    """A PyMC model of the spherical mixture on standardised data (placeholders filled).

    Parameters
    ----------
    n_samples, n_features, n_components : int

    Returns
    -------
    pymc.Model
        Free variables ``weights`` (K,), ``means`` (K, d), ``variances`` (K,);
        data ``Z`` (n, d) and the prior constants ``prior_alpha`` (K,),
        ``prior_m0`` (d,), ``prior_kappa0``, ``prior_a``, ``prior_b``.
    """
    k, d, n = n_components, n_features, n_samples
    coords = {"component": np.arange(k), "feature": np.arange(d), "point": np.arange(n)}
    with pm.Model(coords=coords) as model:
        Z = pm.Data("Z", np.zeros((n, d)), dims=("point", "feature"))
        alpha = pm.Data("prior_alpha", np.ones(k), dims="component")
        m0 = pm.Data("prior_m0", np.zeros(d), dims="feature")
        kappa0 = pm.Data("prior_kappa0", 0.01)
        a = pm.Data("prior_a", 1.0)
        b = pm.Data("prior_b", 1.0)
        weights = pm.Dirichlet("weights", a=alpha, dims="component")
        variances = pm.InverseGamma("variances", alpha=a, beta=b, dims="component")
        means = pm.Normal(
            "means",
            mu=m0[None, :],
            sigma=pt.sqrt(variances / kappa0)[:, None],
            dims=("component", "feature"),
        )
        pm.CustomDist(
            "obs",
            weights,
            means,
            variances,
            logp=_mixture_logp,
            observed=Z,
            signature="(k),(k,d),(k)->(d)",
            dims=("point", "feature"),
        )
    return model


def data_values(Z: np.ndarray, prior_constants) -> dict[str, np.ndarray]:
    """The ``pm.Data`` values for standardised data and scaled prior constants."""
    alpha, m0, kappa0, a, b = prior_constants
    k_alpha = np.asarray(alpha, dtype=np.float64)
    return {
        "Z": np.ascontiguousarray(Z, dtype=np.float64),
        "prior_alpha": k_alpha,
        "prior_m0": np.asarray(m0, dtype=np.float64),
        "prior_kappa0": np.float64(kappa0),
        "prior_a": np.float64(a),
        "prior_b": np.float64(b),
    }


def cholesky_vector(covariances: np.ndarray) -> np.ndarray:
    """Covariance matrices -> the free vectors of PyMC's ``CholeskyCovTransform``.

    The lower triangle of the Cholesky factor in row-major order, its diagonal
    logged.

    Parameters
    ----------
    covariances : ndarray of shape (..., d, d)

    Returns
    -------
    ndarray of shape (..., d (d + 1) / 2)
    """
    d = covariances.shape[-1]
    rows, cols = np.tril_indices(d)
    flat = np.linalg.cholesky(covariances)[..., rows, cols]
    diag = _diagonal_positions(d)
    flat[..., diag] = np.log(flat[..., diag])
    return flat


def covariance_from_vector(vector: np.ndarray, n_features: int) -> np.ndarray:
    """Inverse of :func:`cholesky_vector`: shape (..., d (d + 1) / 2) -> (..., d, d)."""
    d = n_features
    rows, cols = np.tril_indices(d)
    values = np.array(vector, dtype=np.float64)
    diag = _diagonal_positions(d)
    values[..., diag] = np.exp(values[..., diag])
    L = np.zeros((*values.shape[:-1], d, d))
    L[..., rows, cols] = values
    return L @ np.swapaxes(L, -1, -2)


def _diagonal_positions(d: int) -> np.ndarray:
    """Where ``log L_jj`` sits in a row-major lower triangle: 0, 2, 5, ..."""
    return np.cumsum(np.arange(1, d + 1)) - 1


def log_jacobian(
    x: np.ndarray,
    weights: slice,
    covariances: slice,
    transform: str = "log",
    n_features: int = 1,
) -> tuple[float, np.ndarray]:
    """The log-Jacobian of PyMC's transforms at ``x`` and its gradient, in closed form.

    The weights' simplex transform (``y`` of length K - 1, softmax of ``[y,
    -sum(y)]``) contributes ``log K + K s - K logsumexp([y + s, 0])`` with ``s =
    sum(y)``, as PyMC's ``SimplexTransform.log_jac_det``.  Variances ``exp(u)``
    (``transform="log"``) contribute ``sum(u)``; a covariance matrix from the
    free vector ``y`` of ``CholeskyCovTransform`` (``transform="cholesky"``)
    contributes ``d log 2 + sum_j (d - j + 1) y_jj`` (j = 0..d-1), as its
    ``log_jac_det``.  The means are untransformed.

    Parameters
    ----------
    x : ndarray of shape (n_dim,)
        A point in nutpie's flat layout.
    weights, covariances : slice
        Where the weights' and the covariances' (variances') unconstrained values sit in ``x``.
    transform : {"log", "cholesky"}
    n_features : int
        d, for ``"cholesky"``.

    Returns
    -------
    value : float
    gradient : ndarray of shape (n_dim,)
    """
    grad = np.zeros_like(x, dtype=np.float64)
    u = x[covariances]
    if transform == "log":
        value = float(np.sum(u))
        grad[covariances] = 1.0
    else:
        d = n_features
        free = u.reshape(-1, d * (d + 1) // 2)
        coef = np.zeros(free.shape[1])
        coef[_diagonal_positions(d)] = np.arange(d + 1, 1, -1)
        value = free.shape[0] * d * np.log(2.0) + float(np.sum(free @ coef))
        grad[covariances] = np.tile(coef, free.shape[0])
    y = x[weights]
    k = y.size + 1
    s = float(np.sum(y))
    e = np.append(y + s, 0.0)
    top = e.max()
    lse = top + np.log(np.sum(np.exp(e - top)))
    q = np.exp(e - lse)
    value += np.log(k) + k * s - k * lse
    grad[weights] = k - k * (q[:-1] + 1.0 - q[-1])
    return value, grad


@dataclass
class MixtureModel:
    """One PyMC model of a given shape and structure, with its compiled functions cached.

    Use :func:`get_model` to share one instance per shape within a process.
    The spherical model is :func:`build_model`'s; diag, tied and full are
    :func:`gmm_pp.covariance_model.build_covariance_model`'s.  Points are
    ``(weights, means, covariances)`` in scaled units, the covariances in
    scikit-learn's shapes (the variances (K,) for spherical).
    """

    n_samples: int
    n_features: int
    n_components: int
    covariance_type: str = "spherical"
    model: pm.Model = field(init=False, repr=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        n, d, k = self.n_samples, self.n_features, self.n_components
        if self.covariance_type == "spherical":
            self.model = build_model(n, d, k)
        else:
            self.model = build_covariance_model(n, d, k, self.covariance_type)
        #: "weights", "variances" or "covariances", "means" -> PyMC's value variable.
        self.value_names = free_variables(self.model)

    @property
    def covariance_name(self) -> str:
        """The model's covariance variable: ``variances`` (spherical) or ``covariances``."""
        return covariance_variable(self.covariance_type)[0]

    @property
    def _cholesky(self) -> bool:
        return self.covariance_type in ("tied", "full")

    def prepare(self, data, prior: GMMPrior) -> tuple[dict, Scaling]:
        """The ``pm.Data`` values: the standardised data and the prior's scaled constants.

        Parameters
        ----------
        data : PreparedData or array-like of shape (n_samples, n_features)
            Standardised once by :func:`em.prepare` (an array is prepared here).
        prior : GMMPrior
            Resolved.

        Returns
        -------
        values : dict
            ``pm.Data`` values: the scaled data and prior constants.
        scaling : Scaling
        """
        data = em.prepare(data)
        scaling = data.scaling
        if self.covariance_type != "spherical":
            values = structured_values(data, prior, self.covariance_type, self.n_components)
            return values, scaling
        alpha, m0, kappa0, a, b = prior.scaled(scaling.shift, scaling.scale)
        constants = (np.full(self.n_components, alpha), m0, kappa0, a, b)
        return data_values(data.standardised, constants), scaling

    def set_data(self, values: dict) -> None:
        """Set every ``pm.Data`` of the model (no recompilation)."""
        with self.model:
            pm.set_data(values)

    def scaled(self, params: GMMParams, scaling: Scaling) -> tuple:
        """``(weights, means, covariances)`` of ``params`` in scaled units."""
        return scaling.to_scaled(
            params.weights, params.means, params.covariances, self.covariance_type
        )

    def point(self, params_scaled: tuple) -> dict[str, np.ndarray]:
        """A model point (natural parameters, scaled units) from (w, m, covariances)."""
        w, m, v = params_scaled
        return {"weights": np.asarray(w), "means": np.asarray(m), self.covariance_name: v}

    def unconstrained(self, params_scaled: tuple) -> dict[str, np.ndarray]:
        """The point in PyMC's unconstrained space (simplex, log or Cholesky transforms).

        Keyed by PyMC's value-variable names (:attr:`value_names`).
        """
        w, m, v = (np.asarray(p, dtype=np.float64) for p in params_scaled)
        log_w = np.log(w)
        names = self.value_names
        return {
            names["weights"]: log_w[:-1] - log_w.mean(),
            names[self.covariance_name]: cholesky_vector(v) if self._cholesky else np.log(v),
            names["means"]: m,
        }

    def nutpie_model(self) -> CachedPyMCModel:
        """The compiled nutpie model for this shape, compiled on first use.

        Its C callbacks are cached on disk (:mod:`gmm_pp.compiled`): a new
        process with a warm cache loads them instead of rebuilding them.
        """
        if "nutpie" not in self._cache:
            self._cache["nutpie"] = compile_model(
                self.model, var_names=["weights", "means", self.covariance_name]
            )
        return self._cache["nutpie"]

    def log_density(self, values: dict) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        """The log-density nutpie samples, for one data set, callable from Python.

        Parameters
        ----------
        values : dict
            ``pm.Data`` values from :meth:`prepare`.

        Returns
        -------
        callable
            ``logp(x) -> (value, gradient)`` on the unconstrained space (Jacobian
            included), ``x`` of shape (n_dim,) in nutpie's flat layout (see
            :meth:`flat`).  It calls the very callback nutpie samples with: no
            compilation.  Non-finite values are returned as they are.
        """
        compiled = self.nutpie_model().with_data(**values)

        def logp(x: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad, status = logp_and_grad(compiled, x)
            if status not in (0, 3, 4):  # 3, 4: non-finite gradient or value
                raise RuntimeError(f"the compiled log-density failed at {x!r} (code {status})")
            return value, grad

        return logp

    def map_loss(self, values: dict) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        """The loss ``pm.find_MAP`` minimises, for one data set: ``-logp`` without the Jacobian.

        :meth:`log_density` (the function nutpie samples with) minus the
        transforms' log-Jacobian computed in closed form (:func:`log_jacobian`),
        so the MAP costs no compilation of its own.

        Parameters
        ----------
        values : dict
            ``pm.Data`` values from :meth:`prepare`.

        Returns
        -------
        callable
            ``loss(x) -> (value, gradient)`` for ``x`` of shape (n_dim,) in
            nutpie's flat layout (see :meth:`flat`).
        """
        logp = self.log_density(values)
        layout = self.layout()
        weights = layout[self.value_names["weights"]]
        covariances = layout[self.value_names[self.covariance_name]]
        transform = "cholesky" if self._cholesky else "log"

        def loss(x: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = logp(x)
            jac, jac_grad = log_jacobian(
                np.asarray(x, dtype=np.float64), weights, covariances, transform, self.n_features
            )
            return -(value - jac), -(grad - jac_grad)

        return loss

    def layout(self) -> dict[str, slice]:
        """Where each unconstrained variable sits in nutpie's flat vector."""
        names, slices, _ = self.nutpie_model().shape_info
        free = set(self.value_names.values())
        return {name: sl for name, sl in zip(names, slices, strict=True) if name in free}

    def flat(self, point: dict[str, np.ndarray]) -> np.ndarray:
        """An unconstrained point (see :meth:`unconstrained`) as nutpie's flat vector."""
        layout = self.layout()
        flat = np.empty(max(sl.stop for sl in layout.values()))
        for name, sl in layout.items():
            flat[sl] = np.ravel(point[name])
        return flat

    def _free_shape(self) -> tuple[int, ...]:
        k, d = self.n_components, self.n_features
        tri = d * (d + 1) // 2
        return {"spherical": (k,), "diag": (k, d), "tied": (tri,), "full": (k, tri)}[
            self.covariance_type
        ]

    def unflat(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Inverse of :meth:`flat`."""
        k, d = self.n_components, self.n_features
        names = self.value_names
        shapes = {
            names["weights"]: (k - 1,),
            names[self.covariance_name]: self._free_shape(),
            names["means"]: (k, d),
        }
        return {name: np.asarray(x[sl]).reshape(shapes[name]) for name, sl in self.layout().items()}

    def constrained(self, point: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Inverse of :meth:`unconstrained`: natural parameters (scaled units)."""
        names = self.value_names
        y = point[names["weights"]]
        z = np.append(y, -np.sum(y))
        w = np.exp(z - z.max())
        free = point[names[self.covariance_name]]
        if self._cholesky:
            covariances = covariance_from_vector(free, self.n_features)
        else:
            covariances = np.exp(free)
        return {
            "weights": w / w.sum(),
            self.covariance_name: covariances,
            "means": np.asarray(point[names["means"]]),
        }

    def params_from_scaled(self, point: dict, scaling: Scaling) -> GMMParams:
        """Natural parameters in scaled units -> GMMParams in the data's units."""
        kind = self.covariance_type
        w, m, c = scaling.from_scaled(
            point["weights"], point["means"], point[self.covariance_name], kind
        )
        return GMMParams(w, m, c, kind)


#: Models (each with its compiled functions) kept per process, the least recently used
#: dropped beyond this: a study over a grid of n would otherwise keep every one.
MODEL_CACHE_SIZE = 8


@functools.lru_cache(maxsize=MODEL_CACHE_SIZE)
def get_model(
    n_samples: int, n_features: int, n_components: int, covariance_type: str = "spherical"
) -> MixtureModel:
    """The process-wide model for this shape and structure, built on first use.

    An LRU cache of :data:`MODEL_CACHE_SIZE` models.
    """
    return MixtureModel(n_samples, n_features, n_components, covariance_type)
