"""Loading and simulating data sets.

``load_data`` reads CSV (with or without a header) or ``.npy`` and validates
the result exactly as :mod:`em` does, with line numbers for CSV problems.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from em import GMMParams
from em.validation import check_data
from gmm_pp.errors import DataError, GMMError, InputError

__all__ = [
    "DEMO_TRUTH",
    "DEMO_SELECT_K",
    "DEMO_TRUTHS",
    "DataError",
    "as_data",
    "check_feature_names",
    "load_data",
    "simulate",
]


def _parse_float(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _short(cell: str, limit: int = 40) -> str:
    """``repr`` of a cell, cut to ``limit`` characters for a one-line message."""
    if len(cell) <= limit:
        return repr(cell)
    return repr(cell[:limit]) + f"... ({len(cell)} characters)"


def _numbered(reader, path: Path):
    """``(line number, cells)`` of every record; csv's own errors name the line."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataError(
                f"DATA: {path.name} line {reader.line_num}: not readable as CSV ({exc}); "
                "fix that line"
            ) from None
        yield reader.line_num, cells


def _load_csv(path: Path) -> tuple[np.ndarray, list[str] | None]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows: list[list[float]] = []
    width = None
    header = None
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        for lineno, cells in _numbered(reader, path):
            cells = [c.strip() for c in cells]
            if not cells or all(c == "" for c in cells):
                continue
            values = [_parse_float(c) for c in cells]
            if width is None and not rows and all(v is None for v in values):
                width = len(cells)  # a header line
                header = cells
                continue
            if width is None:
                width = len(cells)
            if len(cells) != width:
                raise DataError(
                    f"DATA: {path.name} line {lineno} has {len(cells)} fields, expected "
                    f"{width} like the first line; fix the ragged row"
                )
            for col, (cell, value) in enumerate(zip(cells, values, strict=True), start=1):
                if value is None:
                    raise DataError(
                        f"DATA: {path.name} line {lineno}, column {col}: {_short(cell)} is not "
                        "a number; clean the file or drop the row"
                    )
                if not math.isfinite(value):
                    raise DataError(
                        f"DATA: {path.name} line {lineno}, column {col}: {_short(cell)} is not "
                        "a finite number; remove or impute it"
                    )
            rows.append(values)
    if not rows:
        raise DataError(f"DATA: {path.name} holds no data rows")
    return np.array(rows, dtype=np.float64), header


def load_data(path: str | Path, *, as_frame: bool = False):
    """Read a data set of shape (n_samples, n_features) from CSV or ``.npy``.

    Parameters
    ----------
    path : str or Path
        ``.npy`` (a 1-D or 2-D numeric array), or CSV/TSV text with an optional
        header line (a first line with no number in it).
    as_frame : bool, default False
        Return a pandas DataFrame whose columns are the header's names (numbered
        columns when there is no header), as scikit-learn's loaders do.  Passed
        to :func:`gmm_pp.compare`, the names label every table, axis and file.

    Returns
    -------
    ndarray of shape (n_samples, n_features), or DataFrame

    Raises
    ------
    DataError
        A missing, empty, ragged or non-numeric file, or NaN/inf; the message
        names the line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"DATA: no such file: {str(path)!r}")
    header = None
    if path.suffix.lower() == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise DataError(f"DATA: {path.name} is not a readable .npy array ({exc})") from None
    else:
        try:
            arr, header = _load_csv(path)
        except UnicodeDecodeError:
            raise DataError(
                f"DATA: {path.name} is not UTF-8 text; give a CSV file or a .npy array"
            ) from None
        except OSError as exc:
            raise DataError(f"DATA: cannot read {str(path)!r} ({exc.strerror})") from None
    try:
        X = check_data(arr, name=f"DATA ({path.name})")
    except GMMError as exc:
        raise DataError(str(exc)) from None
    if not as_frame:
        return X
    import pandas as pd

    names = None
    if header is not None:
        try:
            names = check_feature_names(header, X.shape[1])
        except GMMError as exc:
            raise DataError(f"DATA: {path.name} header: {exc}") from None
    return pd.DataFrame(X, columns=list(names) if names else None)


def check_feature_names(names, n_features: int) -> tuple[str, ...]:
    """Validate column names: ``n_features`` distinct, non-empty strings.

    Raises
    ------
    InputError
        Naming the problem (count, empty name, duplicate).
    """
    names = tuple(names)
    if len(names) != n_features:
        raise InputError(
            f"feature_names: expected {n_features} names, one per column, got {len(names)}"
        )
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"feature_names: expected non-empty strings, got {name!r}")
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"feature_names: expected distinct names, got {repeated} twice")
    return names


def as_data(X, feature_names=None, *, name: str = "X") -> tuple[np.ndarray, tuple[str, ...] | None]:
    """The values and column names of ``X``, validated once.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or a pandas DataFrame
        A DataFrame whose columns are all strings names its features (as
        scikit-learn's ``feature_names_in_`` rule has it).
    feature_names : sequence of str, optional
        Names for an array's columns (or to override a DataFrame's).
    name : str
        How to name ``X`` in errors.

    Returns
    -------
    values : ndarray of shape (n_samples, n_features)
    names : tuple of str, or None when the data carry none
    """
    names = None
    columns = getattr(X, "columns", None)
    if columns is not None and all(isinstance(c, str) for c in columns):
        names = tuple(columns)
    values = check_data(X.to_numpy() if columns is not None else X, name=name)
    if feature_names is not None:
        names = feature_names
    if names is not None:
        names = check_feature_names(names, values.shape[1])
    return values, names


def simulate(params: GMMParams, n_samples: int, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Draw a data set from a mixture.

    Parameters
    ----------
    params : GMMParams
        The truth.
    n_samples : int
    seed : int, numpy.random.Generator or None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    labels : ndarray of shape (n_samples,)
    """
    return params.sample(n_samples, seed=seed)


#: The demo's truth: three well-separated 2-D components.
DEMO_TRUTH = GMMParams(
    weights=[0.5, 0.3, 0.2],
    means=[[-3.0, 0.0], [2.5, 2.0], [1.5, -3.0]],
    variances=[1.0, 0.6, 0.8],
)

#: The demo's truth of each covariance structure: DEMO_TRUTH's weights and means, with
#: components stretched along an axis (diag), one correlated matrix shared (tied) or a
#: correlation of its own per component (full).
DEMO_TRUTHS: dict[str, GMMParams] = {
    "spherical": DEMO_TRUTH,
    "diag": GMMParams(
        DEMO_TRUTH.weights, DEMO_TRUTH.means, [[1.4, 0.5], [0.3, 0.9], [1.0, 0.4]], "diag"
    ),
    "tied": GMMParams(DEMO_TRUTH.weights, DEMO_TRUTH.means, [[1.0, 0.5], [0.5, 0.6]], "tied"),
    "full": GMMParams(
        DEMO_TRUTH.weights,
        DEMO_TRUTH.means,
        [[[1.2, 0.6], [0.6, 0.8]], [[0.5, -0.3], [-0.3, 0.7]], [[0.9, 0.0], [0.0, 0.5]]],
        "full",
    ),
}

#: The K the demo's model selection tries (with every structure): twice the truth's.
DEMO_SELECT_K = range(1, 7)
