"""Internal centring and scaling, so data far from unit scale fit exactly.

EM is equivariant under ``x -> c + s x`` (one scalar ``s`` keeps the covariance
spherical), so the engine works on ``z = (x - c) / s`` with ``c`` the column
mean and ``s`` the root mean squared deviation per coordinate, and reports
everything in the original units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Scaling"]


def _spread(X: np.ndarray, shift: np.ndarray) -> float:
    """Root mean squared deviation per coordinate, safe from over/underflow."""
    dev = X - shift
    big = float(np.max(np.abs(dev)))
    if big == 0.0:
        return 0.0
    dev /= big
    return big * float(np.sqrt(np.mean(dev * dev)))


@dataclass(frozen=True)
class Scaling:
    """An affine map ``z = (x - shift) / scale``.

    Attributes
    ----------
    shift : ndarray of shape (n_features,)
    scale : float
    """

    shift: np.ndarray
    scale: float

    @classmethod
    def from_data(cls, X: np.ndarray, *, name: str = "X") -> Scaling:
        """Centre on the column means; scale by the per-coordinate RMS deviation.

        Raises
        ------
        ValueError
            If every row of ``X`` is the same point.
        """
        shift = X.mean(axis=0)
        scale = _spread(X, shift)
        if not scale > 0.0:
            raise ValueError(
                f"{name}: all {X.shape[0]} rows are identical, so there is no spread "
                "to fit a mixture to; check the data"
            )
        return cls(shift, scale)

    @classmethod
    def for_evaluation(cls, X: np.ndarray, variances: np.ndarray) -> Scaling:
        """A scaling to evaluate densities of ``X`` (which may be one point)."""
        shift = X.mean(axis=0)
        scale = _spread(X, shift)
        if not scale > 0.0:
            scale = float(np.sqrt(np.max(variances)))
        return cls(shift, scale)

    def data(self, X: np.ndarray) -> np.ndarray:
        """Return ``(X - shift) / scale`` as a new C-contiguous array."""
        Z = X - self.shift
        Z /= self.scale
        return Z

    def to_scaled(self, weights, means, variances):
        """Map parameters in data units to scaled units."""
        m = (np.asarray(means) - self.shift) / self.scale
        v = (np.sqrt(variances) / self.scale) ** 2
        return np.array(weights, dtype=np.float64), m, v

    def from_scaled(self, weights, means, variances):
        """Map parameters in scaled units back to data units."""
        m = np.asarray(means) * self.scale + self.shift
        v = (np.sqrt(variances) * self.scale) ** 2
        return np.array(weights, dtype=np.float64), m, v

    def log_jacobian(self, n_samples: int, n_features: int) -> float:
        """``n d log(scale)``: subtract from a scaled log-likelihood to get data units."""
        return n_samples * n_features * float(np.log(self.scale))
