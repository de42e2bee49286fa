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
from em._validation import check_data
from gmm_pp.errors import DataError, GMMError

__all__ = ["DataError", "load_data", "simulate"]


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


def _load_csv(path: Path) -> np.ndarray:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows: list[list[float]] = []
    width = None
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        for lineno, cells in _numbered(reader, path):
            cells = [c.strip() for c in cells]
            if not cells or all(c == "" for c in cells):
                continue
            values = [_parse_float(c) for c in cells]
            if width is None and not rows and all(v is None for v in values):
                width = len(cells)  # a header line
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
    return np.array(rows, dtype=np.float64)


def load_data(path: str | Path) -> np.ndarray:
    """Read a data set of shape (n_samples, n_features) from CSV or ``.npy``.

    Parameters
    ----------
    path : str or Path
        ``.npy`` (a 1-D or 2-D numeric array), or CSV/TSV text with an optional
        header line (a first line with no number in it).

    Returns
    -------
    ndarray of shape (n_samples, n_features)

    Raises
    ------
    DataError
        A missing, empty, ragged or non-numeric file, or NaN/inf; the message
        names the line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"DATA: no such file: {str(path)!r}")
    if path.suffix.lower() == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise DataError(f"DATA: {path.name} is not a readable .npy array ({exc})") from None
    else:
        try:
            arr = _load_csv(path)
        except UnicodeDecodeError:
            raise DataError(
                f"DATA: {path.name} is not UTF-8 text; give a CSV file or a .npy array"
            ) from None
        except OSError as exc:
            raise DataError(f"DATA: cannot read {str(path)!r} ({exc.strerror})") from None
    try:
        return check_data(arr, name=f"DATA ({path.name})")
    except GMMError as exc:
        raise DataError(str(exc)) from None


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
