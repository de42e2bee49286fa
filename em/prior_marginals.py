r"""The prior's marginal distribution of each scalar parameter, in closed form.

What a report draws beside the posterior, to show what the data added.  For a
resolved :class:`em.GMMPrior` (see :mod:`em.prior` for the joint prior):

* a weight: :math:`p_k \sim \operatorname{Beta}(\alpha, (K - 1)\alpha)` (a
  Dirichlet's marginal);
* a variance (spherical, diag): :math:`\operatorname{InverseGamma}(a, b)`;
* a mean coordinate, spherical or diag: the Normal-Inverse-Gamma pair integrates to
  Student's t with :math:`2a` degrees of freedom, location :math:`m_{0c}` and scale
  :math:`\sqrt{b / (a \kappa_0)}`;
* a mean coordinate, tied or full: the Normal-Inverse-Wishart pair gives a
  multivariate t with :math:`\nu - d + 1` degrees of freedom and scale matrix
  :math:`\Psi / (\kappa_0 (\nu - d + 1))`, whose coordinate is a t;
* a variance on the diagonal of an inverse-Wishart matrix:
  :math:`\Sigma_{cc} \sim \operatorname{InverseGamma}((\nu - d + 1)/2, \Psi_{cc}/2)`.

An off-diagonal covariance entry has no closed-form marginal: ``None``.
Source: Gelman et al., *Bayesian Data Analysis* (3rd ed.), sections 3.6 and A.1.
"""

from __future__ import annotations

import numpy as np

from em.prior import GMMPrior

__all__ = ["prior_marginal"]


def prior_marginal(
    prior: GMMPrior,
    n_components: int,
    kind: str,
    where: tuple[int, ...] = (),
    covariance_type: str = "spherical",
):
    """The prior's marginal of one scalar parameter, a frozen ``scipy.stats`` distribution.

    Parameters
    ----------
    prior : GMMPrior
        Resolved (:meth:`GMMPrior.resolve`).
    n_components : int
    kind : {"weight", "mean", "variance", "cov"}
        As :func:`gmm_pp.diagnostics.flat_index` names the parameters.
    where : tuple of int
        The coordinates: ``(c,)`` of a mean or a diag variance, ``(a, b)`` of a
        covariance entry, ``()`` otherwise.
    covariance_type : {"spherical", "diag", "tied", "full"}

    Returns
    -------
    scipy.stats frozen distribution or None
        ``None`` for an off-diagonal covariance entry and for the weight of a
        single component (always 1).
    """
    from scipy import stats  # on use: scipy.stats costs 0.3 s to import

    prior._require_resolved()
    alpha = prior.weight_concentration
    d = prior.mean_location.shape[0]
    if kind == "weight":
        if n_components == 1:
            return None
        return stats.beta(alpha, (n_components - 1) * alpha)
    wishart = covariance_type in ("tied", "full")
    if wishart:
        nu = prior.covariance_dof
        psi = prior._wishart_scale()
    if kind == "mean":
        (c,) = where
        if wishart:
            df = nu - d + 1
            scale = np.sqrt(psi[c, c] / (prior.mean_precision * df))
        else:
            a, b = prior.variance_shape, prior.variance_scale
            df, scale = 2 * a, np.sqrt(b / (a * prior.mean_precision))
        return stats.t(df, loc=prior.mean_location[c], scale=scale)
    if kind == "variance":
        return stats.invgamma(prior.variance_shape, scale=prior.variance_scale)
    if kind == "cov":
        a, b = where
        if a != b:
            return None
        return stats.invgamma((nu - d + 1) / 2, scale=psi[a, a] / 2)
    raise ValueError(f"kind: expected weight, mean, variance or cov, got {kind!r}")
