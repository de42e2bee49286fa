r"""The conjugate prior of the spherical mixture, for MAP estimation by EM.

For component ``k`` of ``K`` in ``d`` dimensions:

.. math::

    p &\sim \operatorname{Dirichlet}(\alpha, \dots, \alpha) \\
    \sigma_k^2 &\sim \operatorname{InverseGamma}(a, b)
        \qquad p(\sigma^2) = \frac{b^a}{\Gamma(a)} (\sigma^2)^{-a-1} e^{-b/\sigma^2} \\
    \mu_k \mid \sigma_k^2 &\sim \mathcal N(m_0, \sigma_k^2 / \kappa_0 \, I_d)

The mean's prior scales with its component's variance (the Normal-Inverse-Gamma
conjugate pair), so the MAP M-step is closed form (Fraley and Raftery, 2007):

.. math::

    p_k &= \frac{N_k + \alpha - 1}{n + K(\alpha - 1)} \qquad
    \mu_k = \frac{\sum_i r_{ik} x_i + \kappa_0 m_0}{N_k + \kappa_0} \\
    \sigma_k^2 &= \frac{\sum_i r_{ik} \lVert x_i - \mu_k\rVert^2
        + \kappa_0 \lVert \mu_k - m_0 \rVert^2 + 2 b}{d N_k + d + 2a + 2}

Data-scaled defaults, exactly those of mclust's ``priorControl()`` /
``defaultPrior(data, G, "VII")`` (Fraley and Raftery, 2007; mclust's R source,
``defaultPrior``: ``shrinkage = 0.01``, ``mean = colMeans(data)``,
``dof = d + 2``, ``scale = (1/G)^(2/d) * sum(apply(data, 2, var)) / d``): ``alpha =
1`` (uniform on the simplex), ``m0`` the data mean, ``kappa0 = 0.01`` (mclust's
shrinkage: a mean's prior sd is ten times its component's sd), ``a = dof / 2 =
(d + 2) / 2`` and ``b = scale / 2 = s^2 / (2 K^{2/d})`` with ``s^2`` the data's
variance per coordinate averaged over coordinates, computed as R's ``var`` does
(divisor ``n - 1``).  With these, MAP-EM is mclust's ``Mclust(X, G, modelNames =
"VII" (or "V" in 1-D), prior = priorControl())``.  The variance prior keeps every
variance away from zero, so MAP-EM cannot collapse a component onto a point.

The other structures (:mod:`em.covariance`) take the conjugate priors of mclust's
``defaultPrior`` for their models, with the same ``alpha``, ``m0`` and ``kappa0``
(``mu_k | Sigma_k ~ N(m0, Sigma_k / kappa0)``):

* diag (mclust VVI): each variance ``s_kj ~ InverseGamma(a, b)``, the same ``a`` and
  ``b`` as the spherical model (mclust's ``scale`` is a number for both); MAP
  ``s_kj = (2b + B_k,jj) / (N_k + 2a + 3)``;
* full (VVV): ``Sigma_k ~ InverseWishart(nu, Psi)``, ``nu = d + 2`` and ``Psi =
  var(X) / K^(2/d)`` (the data's covariance matrix, divisor n - 1; its diagonal when
  n <= d); MAP ``Sigma_k = (Psi + B_k) / (N_k + nu + d + 2)``;
* tied (EEE): one ``Sigma ~ InverseWishart(nu, Psi)``, the means given it as above;
  MAP ``Sigma = (Psi + sum_k B_k) / (n + nu + d + 1 + K)``;

with ``B_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T + kappa0 (mu_k - m0)(mu_k - m0)^T``
at the MAP means (mclust's Fortran ``msvvip``, ``msvvvp`` and ``mseeep``).  The
inverse-Wishart density is ``|Psi|^(nu/2) |Sigma|^(-(nu + d + 1)/2)
exp(-tr(Psi Sigma^-1)/2) / (2^(nu d/2) Gamma_d(nu/2))`` (scipy's ``invwishart``).

Sources: C. Fraley and A. E. Raftery (2007), "Bayesian regularization for normal
mixture estimation and model-based clustering", Journal of Classification 24,
155-181; mclust, R/mclust.R, ``defaultPrior``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
from scipy.special import gammaln, multigammaln, xlogy

from em.covariance import check_covariance_type, check_covariances
from em.density import LOG_2PI
from em.exceptions import InputError
from em.params import GMMParams
from em.prepared import prepare
from em.scaling import MAX_SCALE, check_scale
from em.validation import check_positive_int, check_real, check_rng

__all__ = ["GMMPrior", "ScaledPrior", "ScaledWishart", "log_prior_structured"]


class ScaledPrior(NamedTuple):
    """The prior's constants in standardised units ``z = (x - shift) / scale``.

    Attributes
    ----------
    alpha : float
        Dirichlet concentration.
    m0 : ndarray of shape (n_features,)
    kappa0 : float
    a : float
        Inverse-gamma shape.
    b : float
        Inverse-gamma scale, in squared standardised units.
    """

    alpha: float
    m0: np.ndarray
    kappa0: float
    a: float
    b: float


class ScaledWishart(NamedTuple):
    """The tied and full structures' prior constants in standardised units.

    Attributes
    ----------
    alpha : float
    m0 : ndarray of shape (n_features,)
    kappa0 : float
    dof : float
        Inverse-Wishart degrees of freedom ``nu``.
    psi : ndarray of shape (n_features, n_features)
        Inverse-Wishart scale matrix, in squared standardised units.
    """

    alpha: float
    m0: np.ndarray
    kappa0: float
    dof: float
    psi: np.ndarray


def _check_real(value, name: str, *, minimum: float, strict: bool):
    """:func:`em.validation.check_real`, letting None (fill from the data) through."""
    if value is None:
        return None
    return check_real(value, name, minimum=minimum, strict=strict)


@dataclass(frozen=True, eq=False)
class GMMPrior:
    """Conjugate prior on the weights, means and variances (see the module docstring).

    Fields left as None are filled from the data by :meth:`resolve`.

    Parameters
    ----------
    weight_concentration : float, default 1.0
        Dirichlet concentration ``alpha`` >= 1 (the MAP is closed form for alpha >= 1).
    mean_location : array-like of shape (n_features,), optional
        ``m0``; default the data mean.
    mean_precision : float, default 0.01
        ``kappa0`` > 0: the mean's prior covariance is ``sigma_k^2 / kappa0 I``.
    variance_shape : float, optional
        ``a`` > 0; default ``(d + 2) / 2``.
    variance_scale : float, optional
        ``b`` > 0, in squared data units; default ``s^2 / (2 K^(2/d))``, ``s^2`` the
        per-coordinate variance with divisor ``n - 1`` (mclust's ``defaultPrior``).
    covariance_dof : float, optional
        Inverse-Wishart degrees of freedom ``nu`` > d - 1 of the tied and full
        structures; default ``d + 2``.
    covariance_scale : array-like of shape (n_features, n_features), optional
        Inverse-Wishart scale matrix ``Psi`` (symmetric positive definite, squared
        data units); default the data's covariance matrix over ``K^(2/d)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [4.0], [5.0]])
    >>> GMMPrior().resolve(X, 2).variance_shape
    1.5
    """

    # ``metadata`` documents each field once: the command line's flags are made from it.
    weight_concentration: float = field(
        default=1.0,
        metadata={"help": "Dirichlet concentration of the weights, >= 1", "metavar": "ALPHA"},
    )
    mean_location: np.ndarray | None = field(
        default=None, metadata={"help": "prior mean of the means", "default": "the data's mean"}
    )
    mean_precision: float = field(
        default=0.01,
        metadata={
            "help": "prior precision of a mean relative to its component",
            "metavar": "KAPPA0",
        },
    )
    variance_shape: float | None = field(
        default=None,
        metadata={
            "help": "inverse-gamma shape of the variances",
            "metavar": "A",
            "default": "(d + 2) / 2",
        },
    )
    variance_scale: float | None = field(
        default=None,
        metadata={
            "help": "inverse-gamma scale, in squared data units",
            "metavar": "B",
            "default": "data variance / (2 K^(2/d))",
        },
    )

    covariance_dof: float | None = field(
        default=None,
        metadata={"help": "inverse-Wishart degrees of freedom", "default": "d + 2"},
    )
    covariance_scale: np.ndarray | None = field(
        default=None,
        metadata={"help": "inverse-Wishart scale matrix", "default": "var(X) / K^(2/d)"},
    )

    def __post_init__(self) -> None:
        _check_real(self.covariance_dof, "covariance_dof", minimum=0.0, strict=True)
        if self.covariance_scale is not None:
            psi = np.array(self.covariance_scale, dtype=np.float64)
            d = psi.shape[0] if psi.ndim == 2 else 0
            psi = check_covariances(psi, "tied", 1, d, "covariance_scale")
            psi.flags.writeable = False
            object.__setattr__(self, "covariance_scale", psi)
        _check_real(self.weight_concentration, "weight_concentration", minimum=1.0, strict=False)
        _check_real(self.mean_precision, "mean_precision", minimum=0.0, strict=True)
        _check_real(self.variance_shape, "variance_shape", minimum=0.0, strict=True)
        _check_real(self.variance_scale, "variance_scale", minimum=0.0, strict=True)
        if self.mean_location is not None:
            m0 = np.array(self.mean_location, dtype=np.float64).reshape(-1)
            if not np.isfinite(m0).all():
                raise InputError(f"mean_location: expected finite numbers, got {m0.tolist()}")
            m0.flags.writeable = False
            object.__setattr__(self, "mean_location", m0)

    @property
    def is_resolved(self) -> bool:
        """True when every field has a value.

        ``covariance_scale`` may stay None after :meth:`resolve`: when the data's
        covariance matrix is singular (a constant or collinear column) it has no default,
        and only the tied and full structures, which need it, say so.
        """
        fields = (
            self.mean_location,
            self.variance_shape,
            self.variance_scale,
            self.covariance_dof,
        )
        return all(f is not None for f in fields)

    def _wishart_scale(self) -> np.ndarray:
        """``covariance_scale``, or a clear error when the data gave it no default."""
        if self.covariance_scale is None:
            raise InputError(
                "covariance_scale: the data's covariance matrix is singular (a constant or "
                "collinear column), so the inverse-Wishart prior of the tied and full "
                "structures has no default scale; give covariance_scale, drop the column, or "
                "use covariance='spherical' or 'diag'"
            )
        return self.covariance_scale

    def resolve(self, X, n_components: int) -> GMMPrior:
        """Fill the fields left as None from the data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,), or PreparedData
        n_components : int

        Returns
        -------
        GMMPrior
            A prior with every field set (see :meth:`resolve_at`).
        """
        data = prepare(X)
        n, d, scale = data.n_samples, data.n_features, data.scaling.scale
        # R's var(): divisor n - 1 (one row has no variance: prepare refused it above).
        # The covariance matrix in standardised units, then back (no cancellation).
        covariance = None
        if self.covariance_scale is None:
            cov = data.covariance * (scale**2 * n / (n - 1))
            covariance = cov if n > d else np.diag(np.diag(cov))
        return self.resolve_at(
            data.scaling.shift, scale**2 * (n / (n - 1)), n_components, covariance
        )

    def resolve_at(self, location, variance: float, n_components: int, covariance=None) -> GMMPrior:
        """Fill the fields left as None for data centred at ``location`` with ``variance``.

        The one home of the data-scaled defaults (mclust's ``defaultPrior``):
        ``m0 = location``, ``a = (d + 2) / 2``, ``b = variance / (2 K^(2/d))``,
        ``nu = d + 2``, ``Psi = covariance / K^(2/d)``.

        Parameters
        ----------
        location : array-like of shape (n_features,)
            The data's column means.
        variance : float
            The data's variance per coordinate, averaged over coordinates (R's
            ``var``, divisor n - 1, for mclust's defaults).
        n_components : int
        covariance : array-like of shape (n_features, n_features), optional
            The data's covariance matrix (divisor n - 1); default ``variance * I``.

        Returns
        -------
        GMMPrior
            A prior with every field set.
        """
        location = np.asarray(location, dtype=np.float64).reshape(-1)
        d = location.shape[0]
        n_components = check_positive_int(n_components, "n_components")
        variance = check_real(variance, "variance", minimum=0.0, strict=True)
        if self.mean_location is not None and self.mean_location.shape != (d,):
            raise InputError(
                f"mean_location: expected shape ({d},) to match the data, "
                f"got {self.mean_location.shape}"
            )
        m0 = location if self.mean_location is None else self.mean_location
        a = (d + 2) / 2 if self.variance_shape is None else self.variance_shape
        if self.variance_scale is None:
            b = variance / (2.0 * n_components ** (2.0 / d))
        else:
            b = self.variance_scale
        nu = d + 2.0 if self.covariance_dof is None else self.covariance_dof
        if nu <= d - 1:
            raise InputError(
                f"covariance_dof: expected more than d - 1 = {d - 1} (an inverse-Wishart in "
                f"{d} dimensions), got {nu}"
            )
        if self.covariance_scale is None:
            cov = variance * np.eye(d) if covariance is None else np.asarray(covariance, float)
            psi = cov / n_components ** (2.0 / d)
            if not np.linalg.eigvalsh(psi)[0] > 0:
                psi = None  # singular data: no default (see is_resolved)
        else:
            psi = self.covariance_scale
            if psi.shape != (d, d):
                raise InputError(
                    f"covariance_scale: expected shape ({d}, {d}) to match the data, "
                    f"got {psi.shape}"
                )
        return replace(
            self,
            mean_location=m0,
            variance_shape=float(a),
            variance_scale=float(b),
            covariance_dof=float(nu),
            covariance_scale=psi,
        )

    def sample(
        self,
        n_components: int,
        size: int | tuple[int, ...] = (),
        seed=None,
        covariance_type: str = "spherical",
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw parameters from the prior: its generative model, in one place.

        ``weights ~ Dirichlet(alpha)``; the covariances from the structure's prior
        (``variances_k ~ InverseGamma(a, b)`` for spherical, each axis's for diag,
        ``InverseWishart(nu, Psi)`` per component for full and once for tied);
        ``means_k | Sigma_k ~ N(m0, Sigma_k / kappa0)``.

        Parameters
        ----------
        n_components : int
        size : int or tuple of int
            Leading shape of the draws (for example ``(chains, draws)``); ``()``
            for one set of parameters.
        seed : int, numpy.random.Generator or None
        covariance_type : {"spherical", "diag", "tied", "full"}, default "spherical"

        Returns
        -------
        weights : ndarray of shape (*size, K)
        means : ndarray of shape (*size, K, d)
        covariances : ndarray of shape (*size, *structure shape)
            The variances (*size, K) for spherical.
        """
        self._require_resolved()
        kind = check_covariance_type(covariance_type)
        k = check_positive_int(n_components, "n_components")
        size = (size,) if isinstance(size, int) else tuple(size)
        rng = check_rng(seed)
        d = self.mean_location.shape[0]
        weights = rng.dirichlet(np.full(k, self.weight_concentration), size=size or None)
        weights = np.reshape(weights, (*size, k))
        if kind in ("spherical", "diag"):  # the variances first, then the means' noise
            shape = (*size, k) if kind == "spherical" else (*size, k, d)
            cov = self.variance_scale / rng.gamma(self.variance_shape, size=shape)
            sd = np.sqrt(cov / self.mean_precision)
            noise = rng.standard_normal((*size, k, d))
            means = self.mean_location + (sd[..., None] if kind == "spherical" else sd) * noise
            return weights, means, cov
        count = int(np.prod(size, dtype=np.int64)) * (1 if kind == "tied" else k)
        from scipy.stats import invwishart  # here: scipy.stats costs 0.3 s to import

        iw = invwishart(df=self.covariance_dof, scale=self._wishart_scale())
        mats = np.reshape(iw.rvs(size=count, random_state=rng), (count, d, d))
        cov = mats.reshape((*size, d, d) if kind == "tied" else (*size, k, d, d))
        noise = rng.standard_normal((*size, k, d))
        factors = np.linalg.cholesky(cov if kind == "full" else cov[..., None, :, :])
        step = np.einsum("...ij,...j->...i", factors, noise) / np.sqrt(self.mean_precision)
        return weights, self.mean_location + step, cov

    def _require_resolved(self) -> None:
        if not self.is_resolved:
            raise InputError(
                "prior: some fields are None; call prior.resolve(X, n_components) first"
            )

    def log_prob(self, params: GMMParams) -> float:
        """Log prior density at ``params`` (normalised; in the natural parameters).

        Parameters
        ----------
        params : GMMParams

        Returns
        -------
        float
        """
        self._require_resolved()
        kind = params.covariance_type
        w, m, c = params.weights, params.means, params.covariances
        k, d = m.shape
        if self.mean_location.shape != (d,):
            raise InputError(
                f"params: expected {self.mean_location.shape[0]} features to match the "
                f"prior, got {d}"
            )
        if kind == "spherical":
            return log_prior_terms(w, m, c, self.scaled(0.0, 1.0))
        return log_prior_structured(w, m, c, kind, self.scaled(0.0, 1.0, kind))

    def same_as_spherical(self, covariance_type: str, n_features: int) -> bool:
        """Whether this (resolved) prior of a structure is the spherical one, in 1-D.

        In one dimension diag and full are the spherical model (mclust's V); diag's
        prior is the same inverse-gamma, and full's inverse-Wishart IW(nu, Psi) is the
        inverse-gamma IG(nu / 2, Psi / 2): the spherical one when those are its
        (a, b), as by default (up to rounding).  False in more dimensions and for tied.
        """
        self._require_resolved()
        if n_features != 1 or covariance_type not in ("diag", "full"):
            return False
        if covariance_type == "diag":
            return True
        if self.covariance_scale is None:
            return False
        close = functools.partial(math.isclose, rel_tol=1e-12)
        return close(self.covariance_dof / 2, self.variance_shape) and close(
            float(np.asarray(self.covariance_scale).reshape(-1)[0]) / 2, self.variance_scale
        )

    def scaled(
        self, shift, scale: float, covariance_type: str = "spherical"
    ) -> ScaledPrior | ScaledWishart:
        """The prior's constants for data ``z = (x - shift) / scale``.

        Returns
        -------
        ScaledPrior or ScaledWishart
            The latter for the tied and full structures.

        Raises
        ------
        InputError
            When the prior is so far from the data, or so wide or narrow, that
            float64 cannot hold the variances it implies.
        """
        self._require_resolved()
        with np.errstate(over="ignore", invalid="ignore"):
            m0 = (self.mean_location - shift) / scale
            reach = float(np.sqrt(self.mean_precision) * np.linalg.norm(m0)) * scale
        if not (np.isfinite(m0).all() and reach <= MAX_SCALE):
            raise InputError(
                f"mean_location: {self.mean_location.tolist()} is so far from the data "
                f"(mean {np.asarray(shift).tolist()}, spread {scale:.3g}) that the variances "
                "it implies overflow float64; give a location near the data, or leave it "
                "unset to use the data's mean"
            )
        if covariance_type in ("tied", "full"):
            psi = self._wishart_scale()
            top = float(np.max(np.abs(np.diagonal(psi))))
            check_scale(float(np.sqrt(top)), "covariance_scale: the square root of its diagonal")
            return ScaledWishart(
                self.weight_concentration,
                m0,
                self.mean_precision,
                self.covariance_dof,
                psi / scale**2,
            )
        check_scale(float(np.sqrt(self.variance_scale)), "variance_scale: its square root")
        b = self.variance_scale / scale**2
        return ScaledPrior(
            self.weight_concentration, m0, self.mean_precision, self.variance_shape, b
        )

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        m0 = None if self.mean_location is None else self.mean_location.tolist()
        psi = None if self.covariance_scale is None else self.covariance_scale.tolist()
        return {
            "weight_concentration": self.weight_concentration,
            "mean_location": m0,
            "mean_precision": self.mean_precision,
            "variance_shape": self.variance_shape,
            "variance_scale": self.variance_scale,
            "covariance_dof": self.covariance_dof,
            "covariance_scale": psi,
        }

    @classmethod
    def from_dict(cls, data: dict) -> GMMPrior:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items())
        return f"GMMPrior({fields})"


def log_prior_terms(w, m, v, constants):
    """Log prior density from raw arrays and ``(alpha, m0, kappa0, a, b)``.

    ``w``, ``v`` of shape (..., K) and ``m`` of shape (..., K, d): a float, or an
    array of the leading shape for a batch of parameter sets.
    """
    alpha, m0, kappa0, a, b = constants
    k, d = m.shape[-2:]
    log_dir = gammaln(k * alpha) - k * gammaln(alpha) + xlogy(alpha - 1.0, w).sum(axis=-1)
    log_v = np.log(v)
    sq = np.einsum("...kd,...kd->...k", m - m0, m - m0)
    log_norm = -0.5 * d * (LOG_2PI + log_v - np.log(kappa0)) - 0.5 * kappa0 * sq / v
    log_ig = a * np.log(b) - gammaln(a) - (a + 1.0) * log_v - b / v
    total = log_dir + log_norm.sum(axis=-1) + log_ig.sum(axis=-1)
    return float(total) if np.ndim(total) == 0 else total


def _log_dirichlet(w, alpha):
    k = w.shape[-1]
    return gammaln(k * alpha) - k * gammaln(alpha) + xlogy(alpha - 1.0, w).sum(axis=-1)


def _log_mvn_chol(x, mean, L, kappa0):
    """``log N(x; mean, L L^T / kappa0)`` for one vector and a lower Cholesky factor."""
    d = x.shape[-1]
    u = np.linalg.solve(L, x - mean) * np.sqrt(kappa0)
    return -0.5 * (d * LOG_2PI + u @ u) - np.log(np.diagonal(L)).sum() + 0.5 * d * np.log(kappa0)


def _log_inv_wishart_chol(L, dof, psi_chol):
    """``log InverseWishart(Sigma; dof, Psi)`` from the Cholesky factors of Sigma and Psi."""
    d = L.shape[0]
    a = np.linalg.solve(L, psi_chol)  # tr(Psi Sigma^-1) = ||L^-1 C||_F^2
    return (
        dof * np.log(np.diagonal(psi_chol)).sum()
        - 0.5 * dof * d * np.log(2.0)
        - multigammaln(0.5 * dof, d)
        - (dof + d + 1.0) * np.log(np.diagonal(L)).sum()
        - 0.5 * np.sum(a * a)
    )


def log_prior_structured(w, m, cov, covariance_type: str, constants) -> float:
    """Log prior density of a diag, tied or full mixture's parameters (one set).

    Parameters
    ----------
    w : ndarray of shape (K,)
    m : ndarray of shape (K, d)
    cov : ndarray of the structure's shape
    covariance_type : {"diag", "tied", "full"}
    constants : ScaledPrior (diag) or ScaledWishart (tied, full)
        In the units of the parameters.
    """
    k, d = m.shape
    total = float(_log_dirichlet(w, constants.alpha))
    if covariance_type == "diag":
        _, m0, kappa0, a, b = constants
        log_v = np.log(cov)
        gap = m - m0
        total += float(np.sum(-0.5 * (LOG_2PI + log_v - np.log(kappa0))
                              - 0.5 * kappa0 * gap * gap / cov))  # fmt: skip
        total += float(np.sum(a * np.log(b) - gammaln(a) - (a + 1.0) * log_v - b / cov))
        return total
    _, m0, kappa0, dof, psi = constants
    psi_chol = np.linalg.cholesky(psi)
    if covariance_type == "tied":
        L = np.linalg.cholesky(cov)
        total += float(_log_inv_wishart_chol(L, dof, psi_chol))
        return total + sum(float(_log_mvn_chol(m[j], m0, L, kappa0)) for j in range(k))
    for j in range(k):
        L = np.linalg.cholesky(cov[j])
        total += float(_log_inv_wishart_chol(L, dof, psi_chol))
        total += float(_log_mvn_chol(m[j], m0, L, kappa0))
    return total
