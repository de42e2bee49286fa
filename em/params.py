"""The parameters of a spherical Gaussian mixture, as an immutable record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from em import density
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


@dataclass(frozen=True, eq=False)
class GMMParams:
    """Parameters of a spherical Gaussian mixture.

    The density is ``sum_k weights[k] * N(x; means[k], variances[k] * I_d)``.

    Parameters
    ----------
    weights : array-like of shape (n_components,)
        Mixing weights, non-negative and summing to one (within 1e-8).
    means : array-like of shape (n_components, n_features) or (n_components,)
        Component means; a 1-D array means ``n_features = 1``.
    variances : array-like of shape (n_components,)
        One variance per component (the covariance is ``variances[k] * I``), > 0.

    Raises
    ------
    ValueError
        If the shapes disagree, the weights are not on the simplex or a variance
        is not positive.

    Examples
    --------
    >>> p = GMMParams(weights=[0.5, 0.5], means=[-3.0, 2.0], variances=[4.0, 4.0])
    >>> p.n_components, p.n_features
    (2, 1)
    """

    weights: np.ndarray
    means: np.ndarray
    variances: np.ndarray

    def __post_init__(self) -> None:
        w = _as_float_array(self.weights, "weights")
        m = _as_float_array(self.means, "means")
        v = _as_float_array(self.variances, "variances")
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
        if v.shape != (k,):
            raise InputError(
                f"variances: expected shape ({k},) to match {k} weights, got {v.shape}"
            )
        if (w < 0).any() or abs(w.sum() - 1.0) > WEIGHT_ATOL:
            raise InputError(
                f"weights: expected non-negative values summing to 1, got {w.tolist()} "
                f"(sum {w.sum():.17g})"
            )
        if (v <= 0).any():
            raise InputError(f"variances: expected values > 0, got {v.tolist()}")
        object.__setattr__(self, "weights", frozen_array(w))
        object.__setattr__(self, "means", frozen_array(m))
        object.__setattr__(self, "variances", frozen_array(v))

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
        """Number of free parameters, ``K d + 2 K - 1``."""
        k, d = self.means.shape
        return k * d + 2 * k - 1

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
        X = self.means[labels] + np.sqrt(self.variances)[labels, None] * noise
        return X, labels

    def permute(self, order) -> GMMParams:
        """Return the parameters with components reordered as ``order``."""
        order = np.asarray(order)
        if sorted(order.tolist()) != list(range(self.n_components)):
            raise InputError(
                f"order: expected a permutation of 0..{self.n_components - 1}, got {order.tolist()}"
            )
        return GMMParams(self.weights[order], self.means[order], self.variances[order])

    def allclose(self, other: GMMParams, *, rtol: float = 1e-9, atol: float = 0.0) -> bool:
        """True when every parameter agrees with ``other`` within the tolerances."""
        return (
            self.means.shape == other.means.shape
            and np.allclose(self.weights, other.weights, rtol=rtol, atol=atol)
            and np.allclose(self.means, other.means, rtol=rtol, atol=atol)
            and np.allclose(self.variances, other.variances, rtol=rtol, atol=atol)
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, for JSON."""
        return {
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "variances": self.variances.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GMMParams:
        """Inverse of :meth:`to_dict`."""
        return cls(data["weights"], data["means"], data["variances"])

    def __repr__(self) -> str:
        with np.printoptions(precision=4, suppress=True):
            return (
                f"GMMParams(weights={self.weights}, means={self.means.tolist()}, "
                f"variances={self.variances})"
            )
