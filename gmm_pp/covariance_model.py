"""The diag, tied and full mixtures as PyMC models, under the priors of :mod:`em.prior`.

Written, like the spherical model of :mod:`gmm_pp.model`, on the standardised data
``z = (x - c) / s`` with the data and every prior constant a ``pm.Data``:

* diag: ``variances[k, j] ~ InverseGamma(a, b)`` and ``means[k, j] ~ N(m0_j,
  variances[k, j] / kappa0)``;
* tied and full: ``covariances ~ InverseWishart(nu, Psi)`` (one matrix, or one per
  component), a ``pm.CustomDist`` whose value is the covariance matrix itself and
  whose unconstraining transform is PyMC's ``CholeskyCovTransform`` (a free vector
  with ``log L_jj`` on the diagonal); ``means[k] ~ N(m0, Sigma_k / kappa0)``.

The value variables are the natural parameters, so PyMC's MAP (the density's maximum
without the transforms' Jacobians) is the mode in (weights, means, covariances):
MAP-EM's.  The likelihood sums the labels out: ``logsumexp_k log w_k + log N(z;
mu_k, Sigma_k)`` through the Cholesky factors.

:class:`gmm_pp.model.MixtureModel` compiles these models for the MAP and the
sampler, as it does the spherical one.
"""

from __future__ import annotations

import functools

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.dist_math import multigammaln
from pymc.distributions.transforms import CholeskyCovTransform
from pytensor.tensor.linalg import solve_triangular

from em import GMMParams, GMMPrior
from em.covariance import check_covariance_type
from em.density import LOG_2PI
from em.prepared import PreparedData

__all__ = [
    "STRUCTURES",
    "UNROLL_MAX_FEATURES",
    "build_covariance_model",
    "data_values",
    "point",
    "params_from_point",
]

#: The structures these models cover (spherical is :mod:`gmm_pp.model`).
STRUCTURES = ("diag", "tied", "full")


#: Up to this many features the inverse of a Cholesky factor is written out entry by entry
#: (forward substitution in scalar products and sums: no LAPACK call and no matrix product
#: in the graph), which halves the full model's cold compile at d = 2 (98 s to about 55 s);
#: beyond it the graph would grow as d^3, and ``solve_triangular`` is used.
UNROLL_MAX_FEATURES = 6


def _lower_inverse(L, d: int) -> list[list]:
    """The entries of ``L^{-1}`` for lower-triangular factors ``L`` (..., d, d).

    ``inverse[i][j]`` (``j <= i``) has ``L``'s batch shape; forward substitution.
    """
    inverse = [[None] * d for _ in range(d)]
    for i in range(d):
        inverse[i][i] = 1.0 / L[..., i, i]
        for j in range(i):
            acc = L[..., i, j] * inverse[j][j]
            for k in range(j + 1, i):
                acc = acc + L[..., i, k] * inverse[k][j]
            inverse[i][j] = -acc / L[..., i, i]
    return inverse


def _whitened(L, vectors, d: int):
    """``||L^{-1} v||^2`` for ``vectors`` (..., K, m, d) and factors ``L`` (..., K, d, d).

    Returns shape (..., K, m).
    """
    if d > UNROLL_MAX_FEATURES:
        inv = solve_triangular(L, pt.broadcast_to(pt.eye(d), L.shape), lower=True)
        u = pt.sum(vectors[..., :, :, None, :] * inv[..., :, None, :, :], axis=-1)
        return pt.sum(u**2, axis=-1)
    inverse = _lower_inverse(L, d)
    total = 0.0
    for i in range(d):
        u = inverse[i][0][..., None] * vectors[..., 0]
        for j in range(1, i + 1):
            u = u + inverse[i][j][..., None] * vectors[..., j]
        total = total + u**2
    return total


def _inverse_wishart_logp(value, dof, psi, d: int):
    """``log InverseWishart(Sigma; nu, Psi)`` through Cholesky factors (batched)."""
    L = pt.linalg.cholesky(value)
    psi_chol = pt.linalg.cholesky(psi)
    half_log_det = pt.sum(pt.log(pt.diagonal(L, axis1=-2, axis2=-1)), axis=-1)
    psi_half_log_det = pt.sum(pt.log(pt.diagonal(psi_chol, axis1=-2, axis2=-1)), axis=-1)
    # tr(Sigma^-1 Psi) = ||L^-1 chol(Psi)||_F^2, a product of two lower-triangular matrices
    if d > UNROLL_MAX_FEATURES:
        trace = pt.sum(solve_triangular(L, psi_chol, lower=True) ** 2, axis=(-2, -1))
    else:
        inverse = _lower_inverse(L, d)
        trace = 0.0
        for i in range(d):
            for j in range(i + 1):
                entry = inverse[i][j] * psi_chol[..., j, j]
                for k in range(j + 1, i + 1):
                    entry = entry + inverse[i][k] * psi_chol[..., k, j]
                trace = trace + entry**2
    return (
        dof * psi_half_log_det
        - 0.5 * dof * d * np.log(2.0)
        - multigammaln(0.5 * dof, d)
        - (dof + d + 1.0) * half_log_det
        - 0.5 * trace
    )


def _inverse_wishart_mode(rv, size, dof, psi):
    """A start inside the support: the inverse-Wishart's mode ``Psi / (nu + d + 1)``."""
    d = psi.shape[-1]
    return pt.broadcast_to(psi / (dof + d + 1.0), rv.shape)


def _prior_mean(rv, size, m0, *_):
    return pt.broadcast_to(m0, rv.shape)


def _whitened_sq(value, means, L, d: int):
    """``||L_k^{-1}(z_i - mu_k)||^2`` and ``sum log diag L_k``: shapes (..., n, K) and (..., K).

    ``L_k^{-1}`` once per component (:func:`_whitened`), then products over the points
    (a solve per point and component was 2x slower to sample).  Leading axes are
    batch axes, as PyMC may add them.
    """
    diff = value[..., None, :, :] - means[..., :, None, :]  # (..., K, n, d)
    sq = pt.swapaxes(_whitened(L, diff, d), -1, -2)
    return sq, pt.sum(pt.log(pt.diagonal(L, axis1=-2, axis2=-1)), axis=-1)


def _mixture_logp(value, weights, means, factors, d: int):
    """Per-point log-density of a mixture given the components' Cholesky factors (K, d, d)."""
    sq, half_log_det = _whitened_sq(value, means, factors, d)
    comp = pt.log(weights)[..., None, :] - 0.5 * d * LOG_2PI - half_log_det[..., None, :] - 0.5 * sq
    return pm.math.logsumexp(comp, axis=-1, keepdims=False)


def _diag_mixture_logp(value, weights, means, variances):
    sq = pt.sum((value[:, None, :] - means[None]) ** 2 / variances[None], axis=-1)
    log_det = pt.sum(pt.log(variances), axis=-1)
    d = pt.cast(value.shape[-1], "float64")
    comp = pt.log(weights)[None, :] - 0.5 * (d * LOG_2PI + log_det[None, :] + sq)
    return pm.math.logsumexp(comp, axis=-1, keepdims=False)


def _means_logp(value, m0, factors, kappa0, d: int):
    """``sum_k log N(mu_k; m0, Sigma_k / kappa0)`` from the factors (K, d, d)."""
    sq, half_log_det = _whitened_sq(m0[None, :], value, factors, d)
    return pt.sum(-0.5 * d * (LOG_2PI - pt.log(kappa0)) - half_log_det - 0.5 * kappa0 * sq[0])


def build_covariance_model(
    n_samples: int, n_features: int, n_components: int, covariance_type: str
) -> pm.Model:
    """A PyMC model of a diag, tied or full mixture on standardised data.

    Parameters
    ----------
    n_samples, n_features, n_components : int
    covariance_type : {"diag", "tied", "full"}

    Returns
    -------
    pymc.Model
        Free variables ``weights`` (K,), ``means`` (K, d) and ``covariances`` ((K, d)
        variances for diag, (d, d) for tied, (K, d, d) for full); data ``Z`` (n, d)
        and the prior constants ``prior_alpha`` (K,), ``prior_m0`` (d,),
        ``prior_kappa0`` and ``prior_a``, ``prior_b`` (diag) or ``prior_dof``,
        ``prior_psi`` (d, d) (tied, full).
    """
    kind = check_covariance_type(covariance_type)
    if kind not in STRUCTURES:
        raise ValueError(f"covariance_type: expected one of {STRUCTURES}, got {kind!r}")
    k, d, n = n_components, n_features, n_samples
    coords = {"component": np.arange(k), "feature": np.arange(d), "point": np.arange(n),
              "feature_col": np.arange(d)}  # fmt: skip
    with pm.Model(coords=coords) as model:
        Z = pm.Data("Z", np.zeros((n, d)), dims=("point", "feature"))
        alpha = pm.Data("prior_alpha", np.ones(k), dims="component")
        m0 = pm.Data("prior_m0", np.zeros(d), dims="feature")
        kappa0 = pm.Data("prior_kappa0", 0.01)
        weights = pm.Dirichlet("weights", a=alpha, dims="component")
        if kind == "diag":
            a = pm.Data("prior_a", 1.0)
            b = pm.Data("prior_b", 1.0)
            variances = pm.InverseGamma(
                "covariances", alpha=a, beta=b, dims=("component", "feature")
            )
            means = pm.Normal(
                "means", mu=m0[None, :], sigma=pt.sqrt(variances / kappa0),
                dims=("component", "feature"),
            )  # fmt: skip
            pm.CustomDist("obs", weights, means, variances, logp=_diag_mixture_logp,
                          observed=Z, signature="(k),(k,d),(k,d)->(d)",
                          dims=("point", "feature"))  # fmt: skip
            return model
        dof = pm.Data("prior_dof", float(d + 2))
        psi = pm.Data("prior_psi", np.eye(d), dims=("feature", "feature_col"))
        dims = ("feature", "feature_col")
        if kind == "full":
            dims = ("component", *dims)
        covariances = pm.CustomDist(
            "covariances", dof, psi, logp=functools.partial(_inverse_wishart_logp, d=d),
            signature="(),(d,d)->(d,d)", transform=CholeskyCovTransform(d),
            support_point=_inverse_wishart_mode, dims=dims,
        )  # fmt: skip
        factors = pt.linalg.cholesky(covariances)
        if kind == "tied":
            factors = pt.broadcast_to(factors, (k, d, d))
        means = pm.CustomDist(
            "means", m0, factors, kappa0,
            logp=functools.partial(_means_logp, d=d),
            signature="(d),(k,d,d),()->(k,d)", support_point=_prior_mean,
            dims=("component", "feature"),
        )  # fmt: skip
        pm.CustomDist("obs", weights, means, factors, logp=functools.partial(_mixture_logp, d=d),
                      observed=Z,
                      signature="(k),(k,d),(k,d,d)->(d)", dims=("point", "feature"))  # fmt: skip
    return model


def data_values(data: PreparedData, prior: GMMPrior, covariance_type: str, n_components: int):
    """The ``pm.Data`` values: the standardised data and the prior's scaled constants."""
    scaling = data.scaling
    constants = prior.scaled(scaling.shift, scaling.scale, covariance_type)
    values = {
        "Z": np.ascontiguousarray(data.standardised, dtype=np.float64),
        "prior_alpha": np.full(n_components, constants.alpha),
        "prior_m0": np.asarray(constants.m0, dtype=np.float64),
        "prior_kappa0": np.float64(constants.kappa0),
    }
    if covariance_type == "diag":
        values.update(prior_a=np.float64(constants.a), prior_b=np.float64(constants.b))
    else:
        values.update(prior_dof=np.float64(constants.dof), prior_psi=np.asarray(constants.psi))
    return values


def point(params: GMMParams, data: PreparedData) -> dict[str, np.ndarray]:
    """A model point (natural parameters, standardised units) from parameters in data units."""
    kind = params.covariance_type
    w, m, c = data.scaling.to_scaled(params.weights, params.means, params.covariances, kind)
    return {"weights": w, "means": m, "covariances": c}


def params_from_point(values: dict, data: PreparedData, covariance_type: str) -> GMMParams:
    """Natural parameters in standardised units -> GMMParams in the data's units."""
    w = np.asarray(values["weights"], dtype=np.float64)
    w, m, c = data.scaling.from_scaled(
        w / w.sum(), values["means"], values["covariances"], covariance_type
    )
    return GMMParams(w, m, c, covariance_type)
