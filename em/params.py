"""The parameters of a Gaussian mixture (any covariance structure), as an immutable record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from em import density
from em.covariance import (
    check_covariance_type,
    check_covariances,
    cholesky_factors,
    n_covariance_parameters,
    to_full,
)
from em.defaults import WEIGHT_ATOL
from em.exceptions import InputError, InputTypeError
from em.validation import check_positive_int, check_rng, frozen_array

__all__ = ["GMMParams"]


def _as_float_array(value, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputTypeError(f"{name}: expected an array of numbers, got {value!r}") from None
    if not np.isfinite(arr).all():
        raise InputError(f"{name}: expected finite numbers, got {arr.tolist()}")
    return arr


@dataclass(frozen=True, eq=False, init=False)
class GMMParams:
    """Parameters of a Gaussian mixture with one of four covariance structures.

    The density is ``sum_k weights[k] * N(x; means[k], Sigma_k)``, with ``Sigma_k``
    given by ``covariances`` in scikit-learn's shapes (see :mod:`em.covariance`):
    ``variances[k] * I`` (spherical, the default), ``diag(covariances[k])`` (diag),
    one matrix for all (tied) or one per component (full).

    Parameters
    ----------
    weights : array-like of shape (n_components,)
        Mixing weights, non-negative and summing to one (within 1e-8).
    means : array-like of shape (n_components, n_features) or (n_components,)
        Component means; a 1-D array means ``n_features = 1``.
    covariances : array-like
        Shape (K,) for spherical (one variance per component, > 0), (K, d) for
        diag, (d, d) for tied and (K, d, d) for full (symmetric positive definite).
    covariance_type : {"spherical", "diag", "tied", "full"}, default "spherical"
    variances : array-like of shape (n_components,), optional
        The spherical covariances under their old name (give one of the two).

    Raises
    ------
    ValueError
        If the shapes disagree, the weights are not on the simplex or a
        covariance is not positive definite.

    Examples
    --------
    >>> p = GMMParams(weights=[0.5, 0.5], means=[-3.0, 2.0], variances=[4.0, 4.0])
    >>> p.n_components, p.n_features
    (2, 1)
    >>> q = GMMParams([1.0], [[0.0, 0.0]], [[[2.0, 0.5], [0.5, 1.0]]], "full")
    >>> q.n_parameters
    5
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str

    def __init__(
        self,
        weights,
        means,
        covariances=None,
        covariance_type: str = "spherical",
        *,
        variances=None,
    ) -> None:
        kind = check_covariance_type(covariance_type)
        if variances is not None:
            if covariances is not None:
                raise InputError(
                    "variances: give covariances or variances (their spherical name), not both"
                )
            if kind != "spherical":
                raise InputError(
                    f"variances: one variance per component is the spherical structure, got "
                    f"covariance_type={kind!r}; pass covariances= for {kind}"
                )
            covariances = variances
        if covariances is None:
            raise InputError("covariances: expected the components' covariances, got None")
        w = _as_float_array(weights, "weights")
        m = _as_float_array(means, "means")
        if w.ndim != 1 or w.size == 0:
            raise InputError(
                f"weights: expected a non-empty 1-D array (n_components,), got shape {w.shape}"
            )
        k = w.size
        if m.ndim == 1:
            m = m[:, None]
        if m.ndim != 2 or m.shape[0] != k or m.shape[1] == 0:
            raise InputError(
                f"means: expected shape ({k}, n_features) to match {k} weights, got {m.shape}"
            )
        name = "variances" if kind == "spherical" else "covariances"
        c = _as_float_array(covariances, name)
        if kind == "spherical" and c.shape != (k,):
            raise InputError(
                f"variances: expected shape ({k},) to match {k} weights, got {c.shape}"
            )
        if kind == "spherical" and (c <= 0).any():
            raise InputError(f"variances: expected values > 0, got {c.tolist()}")
        c = check_covariances(c, kind, k, m.shape[1], name)
        if (w < 0).any() or abs(w.sum() - 1.0) > WEIGHT_ATOL:
            raise InputError(
                f"weights: expected non-negative values summing to 1, got {w.tolist()} "
                f"(sum {w.sum():.17g})"
            )
        object.__setattr__(self, "weights", frozen_array(w))
        object.__setattr__(self, "means", frozen_array(m))
        object.__setattr__(self, "covariances", frozen_array(c))
        object.__setattr__(self, "covariance_type", kind)

    @property
    def variances(self) -> np.ndarray:
        """The spherical mixture's variances, shape (n_components,).

        Raises
        ------
        InputError
            For another structure: its covariances are in :attr:`covariances`.
        """
        if self.covariance_type != "spherical":
            raise InputError(
                f"variances: a {self.covariance_type} mixture has no single variance per "
                "component; use .covariances (or .covariance_matrices())"
            )
        return self.covariances

    @property
    def n_components(self) -> int:
        """Number of components K."""
        return self.weights.shape[0]

    @property
    def n_features(self) -> int:
        """Dimension d of the data."""
        return self.means.shape[1]

    @property
    def n_parameters(self) -> int:
        """Free parameters: ``K d`` means, ``K - 1`` weights and the covariances'.

        ``K d + 2 K - 1`` for spherical; see :func:`em.covariance.n_covariance_parameters`.
        """
        k, d = self.means.shape
        return k * d + k - 1 + n_covariance_parameters(self.covariance_type, k, d)

    def covariance_matrices(self) -> np.ndarray:
        """Every component's covariance matrix, shape (n_components, n_features, n_features)."""
        full = to_full(self.covariances, self.covariance_type, self.n_features)
        return np.broadcast_to(full, (self.n_components, self.n_features, self.n_features))

    def as_structure(self, covariance_type: str) -> GMMParams:
        """The same mixture written in another structure's parameters, when it is one of its.

        A spherical mixture is also a diag and a full one; a diag or tied one is a
        full one; a full one whose matrices are all equal is tied, and so on.

        Parameters
        ----------
        covariance_type : {"spherical", "diag", "tied", "full"}

        Returns
        -------
        GMMParams

        Raises
        ------
        InputError
            When the mixture is not a model of that structure (e.g. correlated
            components as diag), naming what differs.
        """
        kind = check_covariance_type(covariance_type)
        if kind == self.covariance_type:
            return self
        full = self.covariance_matrices()
        k, d = self.n_components, self.n_features
        diagonal = np.diagonal(full, axis1=1, axis2=2)
        if kind == "full":
            cov = np.array(full)
        elif kind == "tied":
            same = all(np.array_equal(full[0], full[j]) for j in range(k))
            cov, why = full[0], "its components' covariance matrices differ"
        else:
            same = np.array_equal(full, diagonal[:, :, None] * np.eye(d))
            why = "its components are correlated"
            if kind == "spherical" and same:
                same = bool(np.all(diagonal == diagonal[:, :1]))
                why = "its components' variances differ between axes"
            cov = diagonal if kind == "diag" else diagonal[:, 0]
        if kind != "full" and not same:
            raise InputError(
                f"covariance_type: this {self.covariance_type} mixture is not a {kind} one "
                f"({why}); fit the {self.covariance_type} structure or give {kind} parameters"
            )
        return GMMParams(self.weights, self.means, cov, kind)

    def log_likelihood(self, X) -> float:
        """Total log-likelihood ``sum_i log p(x_i)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples,)

        Returns
        -------
        float
        """
        return density.log_likelihood(X, self)

    def score_samples(self, X) -> np.ndarray:
        """Log-density of every point, shape (n_samples,)."""
        return density.score_samples(X, self)

    def sample(self, n_samples: int, seed=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw points from the mixture.

        Parameters
        ----------
        n_samples : int
            Number of points, >= 1.
        seed : int, numpy.random.Generator or None
            Same seed, same draws.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
            Component of each point.
        """
        n = check_positive_int(n_samples, "n_samples")
        rng = check_rng(seed)
        labels = rng.choice(self.n_components, size=n, p=self.weights / self.weights.sum())
        noise = rng.standard_normal((n, self.n_features))
        kind = self.covariance_type
        if kind in ("spherical", "diag"):
            sd = np.sqrt(self.covariances)
            X = (
                self.means[labels]
                + (sd[labels, None] if kind == "spherical" else sd[labels]) * noise
            )
        else:
            factors = cholesky_factors(self.covariances, kind)
            if kind == "tied":
                X = self.means[labels] + noise @ factors.T
            else:
                X = self.means[labels] + np.einsum("nij,nj->ni", factors[labels], noise)
        return X, labels

    def permute(self, order) -> GMMParams:
        """Return the parameters with components reordered as ``order``."""
        order = np.asarray(order)
        if sorted(order.tolist()) != list(range(self.n_components)):
            raise InputError(
                f"order: expected a permutation of 0..{self.n_components - 1}, got {order.tolist()}"
            )
        cov = self.covariances if self.covariance_type == "tied" else self.covariances[order]
        return GMMParams(self.weights[order], self.means[order], cov, self.covariance_type)

    def allclose(self, other: GMMParams, *, rtol: float = 1e-9, atol: float = 0.0) -> bool:
        """True when every parameter agrees with ``other`` within the tolerances."""
        return (
            self.means.shape == other.means.shape
            and self.covariance_type == other.covariance_type
            and np.allclose(self.weights, other.weights, rtol=rtol, atol=atol)
            and np.allclose(self.means, other.means, rtol=rtol, atol=atol)
            and np.allclose(self.covariances, other.covariances, rtol=rtol, atol=atol)
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, for JSON (spherical: ``variances``, as before; others: ``covariances``)."""
        out = {"weights": self.weights.tolist(), "means": self.means.tolist()}
        if self.covariance_type == "spherical":
            out["variances"] = self.covariances.tolist()
        else:
            out["covariance_type"] = self.covariance_type
            out["covariances"] = self.covariances.tolist()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GMMParams:
        """Inverse of :meth:`to_dict`."""
        if "variances" in data:
            return cls(data["weights"], data["means"], variances=data["variances"])
        return cls(data["weights"], data["means"], data["covariances"], data["covariance_type"])

    def __repr__(self) -> str:
        with np.printoptions(precision=4, suppress=True):
            if self.covariance_type == "spherical":
                return (
                    f"GMMParams(weights={self.weights}, means={self.means.tolist()}, "
                    f"variances={self.variances})"
                )
            return (
                f"GMMParams({self.covariance_type}, weights={self.weights}, "
                f"means={self.means.tolist()}, covariances={self.covariances.tolist()})"
            )
