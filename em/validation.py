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
    "check_real",
    "frozen_array",
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


def frozen_array(a, dtype=np.float64) -> np.ndarray:
    """A read-only copy of ``a`` (the arrays of gmm-pp's immutable records)."""
    out = np.array(a, dtype=dtype, copy=True)
    out.flags.writeable = False
    return out


def check_real(
    value, name: str, *, minimum: float | None = None, maximum: float | None = None,
    strict: bool = False,
) -> float:  # fmt: skip
    """Return ``value`` as a finite float within the bounds, or raise naming ``name``.

    Parameters
    ----------
    value : real number
    name : str
    minimum, maximum : float, optional
        Bounds, inclusive unless ``strict``.
    strict : bool
        Exclusive bounds.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    low_ok = minimum is None or (value > minimum if strict else value >= minimum)
    high_ok = maximum is None or (value < maximum if strict else value <= maximum)
    if not (np.isfinite(value) and low_ok and high_ok):
        if minimum is not None and maximum is not None:
            brackets = "()" if strict else "[]"
            want = f"a number in {brackets[0]}{minimum:g}, {maximum:g}{brackets[1]}"
        elif minimum is not None:
            want = f"a finite number {'>' if strict else '>='} {minimum:g}"
        elif maximum is not None:
            want = f"a finite number {'<' if strict else '<='} {maximum:g}"
        else:
            want = "a finite number"
        raise InputError(f"{name}: expected {want}, got {value!r}")
    return value


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
