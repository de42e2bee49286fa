"""Centring and scaling, so data far from unit scale fit exactly.

EM is equivariant under ``x -> c + s x`` (one scalar ``s`` keeps the covariance
spherical), so the engine works on ``z = (x - c) / s`` with ``c`` the column
mean and ``s`` the root mean squared deviation per coordinate, and reports
everything in the original units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from em.exceptions import InputError

__all__ = ["MAX_SCALE", "MIN_SCALE", "Scaling", "check_scale"]

#: The largest spread (root mean squared deviation per coordinate) whose squares
#: -- variances, and variances ten thousand times larger, as a broad posterior
#: draws them -- float64 still holds: sqrt(max float) / 100, about 1.3e152.
MAX_SCALE: float = float(np.sqrt(np.finfo(np.float64).max) / 1e2)
#: The smallest spread whose squares stay normal numbers (full precision) with
#: the same margin: sqrt(smallest normal float) * 100, about 1.5e-152.
MIN_SCALE: float = float(np.sqrt(np.finfo(np.float64).tiny) * 1e2)


_CHUNK_ROWS = 65536


def _chunks(n: int):
    return (slice(a, min(a + _CHUNK_ROWS, n)) for a in range(0, n, _CHUNK_ROWS))


def _column_means(X: np.ndarray) -> np.ndarray:
    """Column means without overflow for data near float64's largest values."""
    with np.errstate(over="ignore", invalid="ignore"):
        shift = X.mean(axis=0)
    if np.isfinite(shift).all():
        return shift
    top = np.max(np.abs(X), axis=0)
    top[top == 0] = 1.0
    return (X / top).mean(axis=0) * top


def check_scale(scale: float, what: str) -> float:
    """Return ``scale`` if its square (a variance) fits float64 with full precision.

    Parameters
    ----------
    scale : float
        A spread in the data's units.
    what : str
        How to name it in the error, e.g. "X: the data's spread".

    Raises
    ------
    InputError
        Outside ``[MIN_SCALE, MAX_SCALE]``, saying by how much and what to do.
    """
    if not np.isfinite(scale) or scale > MAX_SCALE:
        shown = "beyond float64's range" if not np.isfinite(scale) else f"{scale:.3g}"
        raise InputError(
            f"{what} is {shown}, more than float64 variances can hold (at most "
            f"{MAX_SCALE:.3g}); divide the data by a power of ten (e.g. 1e{_decade(scale)}) first"
        )
    if scale < MIN_SCALE:
        raise InputError(
            f"{what} is {scale:.3g}, less than float64 variances hold at full precision "
            f"(at least {MIN_SCALE:.3g}); multiply the data by a power of ten (e.g. "
            f"1e{-_decade(scale)}) first"
        )
    return scale


def _decade(scale: float) -> int:
    if not np.isfinite(scale) or scale <= 0:
        return 300
    return int(np.floor(np.log10(scale)))


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
        InputError
            If every row of ``X`` is the same point, or the data's spread is
            too large or too small for float64 variances (see
            :func:`check_scale`).
        """
        shift = _column_means(X)
        with np.errstate(over="ignore", invalid="ignore"):
            scale = _spread(X, shift)
        if scale == 0.0:
            raise InputError(
                f"{name}: all {X.shape[0]} rows are identical, so there is no spread "
                "to fit a mixture to; check the data"
            )
        check_scale(scale, f"{name}: the data's spread (RMS deviation per coordinate)")
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

    def to_scaled(self, weights, means, covariances, covariance_type: str = "spherical"):
        """Map parameters in data units to scaled units.

        ``covariances`` in any structure's shape (scikit-learn's): variances are
        divided by ``scale**2`` through their square roots (spherical, diag),
        covariance matrices (tied, full; entries of either sign) directly.
        """
        m = (np.asarray(means) - self.shift) / self.scale
        if covariance_type in ("tied", "full"):
            v = np.asarray(covariances, dtype=np.float64) / self.scale / self.scale
        else:
            v = (np.sqrt(covariances) / self.scale) ** 2
        return np.array(weights, dtype=np.float64), m, v

    def from_scaled(self, weights, means, covariances, covariance_type: str = "spherical"):
        """Map parameters in scaled units back to data units (see :meth:`to_scaled`)."""
        m = np.asarray(means) * self.scale + self.shift
        if covariance_type in ("tied", "full"):
            v = np.asarray(covariances, dtype=np.float64) * self.scale * self.scale
        else:
            v = (np.sqrt(covariances) * self.scale) ** 2
        return np.array(weights, dtype=np.float64), m, v

    def log_jacobian(self, n_samples: int, n_features: int) -> float:
        """``n d log(scale)``: subtract from a scaled log-likelihood to get data units."""
        return n_samples * n_features * float(np.log(self.scale))
