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


_CHUNK_ROWS = 65536


def _chunks(n: int):
    return (slice(a, min(a + _CHUNK_ROWS, n)) for a in range(0, n, _CHUNK_ROWS))


def _spread(X: np.ndarray, shift: np.ndarray) -> float:
    """Root mean squared deviation per coordinate, safe from over/underflow.

    Works through row chunks, so it needs no temporary the size of ``X``.
    """
    n = X.shape[0]
    big = max(float(np.max(np.abs(X[c] - shift))) for c in _chunks(n))
    if big == 0.0:
        return 0.0
    total = 0.0
    for c in _chunks(n):
        dev = (X[c] - shift) / big
        total += float(np.einsum("nd,nd->", dev, dev))
    return big * float(np.sqrt(total / X.size))


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

    def data(self, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Return ``(X - shift) / scale``, written into ``out`` when given (no temporary)."""
        if out is None:
            out = np.empty_like(X, dtype=np.float64)
        np.subtract(X, self.shift, out=out)
        out /= self.scale
        return out

    def design(self, X: np.ndarray) -> np.ndarray:
        """The design ``[z, ||z||^2, 1]`` of the scaled data, shape (n, d + 2), built in place."""
        n, d = X.shape
        Za = np.empty((n, d + 2))
        Z = self.data(X, out=Za[:, :d])
        np.einsum("nd,nd->n", Z, Z, out=Za[:, d])
        Za[:, d + 1] = 1.0
        return Za

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
