"""Validation of user input, done once at the boundary.

Every message names the parameter, what was expected, what was received and,
where it helps, what to do.
"""

from __future__ import annotations

import numbers

import numpy as np

from em.exceptions import InputError, InputTypeError

__all__ = [
    "check_data",
    "check_n_components",
    "check_positive_int",
    "check_rng",
    "check_tol",
]


def check_data(X, *, name: str = "X", min_samples: int = 1) -> np.ndarray:
    """Return ``X`` as a C-contiguous float64 array of shape (n_samples, n_features).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
        Data; a 1-D array is ``n_features = 1``.
    name : str
        Name used in error messages.
    min_samples : int
        Smallest acceptable number of rows.

    Returns
    -------
    ndarray of shape (n_samples, n_features)

    Raises
    ------
    TypeError
        If ``X`` is not numeric.
    ValueError
        If ``X`` is empty, has the wrong number of dimensions or holds NaN/inf.
    """
    if isinstance(X, (str, bytes)):
        raise InputTypeError(f"{name}: expected an array of numbers, got a {type(X).__name__}")
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested sequences
        raise InputError(
            f"{name}: expected a rectangular array of numbers, got ragged rows ({exc})"
        ) from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise InputTypeError(
                f"{name}: expected numeric values, got dtype {arr.dtype}; "
                "convert the data to numbers first"
            ) from None
    if np.iscomplexobj(arr):
        raise InputTypeError(f"{name}: expected real numbers, got complex dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InputError(
            f"{name}: expected a 1-D or 2-D array (n_samples, n_features), "
            f"got {arr.ndim} dimensions with shape {arr.shape}"
        )
    n, d = arr.shape
    if n == 0 or d == 0:
        raise InputError(f"{name}: expected non-empty data, got shape {arr.shape}")
    if n < min_samples:
        raise InputError(f"{name}: expected at least {min_samples} rows, got {n}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    finite = np.isfinite(arr)
    if not finite.all():
        row, col = (int(v[0]) for v in np.nonzero(~finite))
        bad = int((~finite).sum())
        raise InputError(
            f"{name}: expected finite numbers, got {arr[row, col]} at row {row}, "
            f"column {col} ({bad} non-finite value{'s' if bad > 1 else ''} in all); "
            "remove or impute those rows first"
        )
    return arr


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(
            f"{name}: expected an integer >= {minimum}, got {value!r} "
            f"of type {type(value).__name__}"
        )
    if value < minimum:
        raise InputError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def check_n_components(n_components, n_samples: int) -> int:
    """Validate the number of components against the number of rows."""
    k = check_positive_int(n_components, "n_components")
    if k > n_samples:
        raise InputError(
            f"n_components: expected at most n_samples = {n_samples}, got {k}; "
            "use fewer components or more data"
        )
    return k


def check_tol(tol) -> float:
    """Validate a non-negative finite tolerance."""
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise InputTypeError(f"tol: expected a real number >= 0, got {tol!r}")
    if not np.isfinite(tol) or tol < 0:
        raise InputError(f"tol: expected a finite number >= 0, got {tol}")
    return float(tol)


def check_rng(seed) -> np.random.Generator:
    """Turn ``seed`` into a Generator.

    Parameters
    ----------
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None
        An int or SeedSequence gives a fresh, reproducible generator; a Generator
        is used as it is (and advanced); None draws fresh OS entropy.
    """
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InputTypeError(
            "seed: expected an int, a numpy.random.Generator or None, "
            f"got {seed!r} of type {type(seed).__name__}"
        )
    if seed < 0:
        raise InputError(f"seed: expected a non-negative int, got {seed}")
    return np.random.default_rng(int(seed))
