"""The posterior summary of every parameter: one function, any intervals, any scale.

Means, standard deviations and equal-tailed intervals are computed on the
draws in the standardised units the fits work in (``z = (x - shift) / scale``)
and mapped back to the data's units, so data at 1e-150 or 1e+150, or offset by
1e8, give the same table as unit data, scaled: no square of a 1e+300 variance
overflows, no square of a 1e-300 one underflows.
"""

from __future__ import annotations

import numpy as np

from em.scaling import Scaling
from gmm_pp.diagnostics import flat_index, flat_params

__all__ = [
    "format_number",
    "formatted_table",
    "interval_columns",
    "posterior_summary",
    "thin_indices",
]


def thin_indices(n_total: int, n_keep: int) -> np.ndarray:
    """``min(n_total, n_keep)`` indices spread evenly over ``range(n_total)``, shape (m,).

    The one way draws are thinned: for SBC ranks, posterior clouds and averages.
    """
    if n_keep >= n_total:
        return np.arange(n_total)
    return np.linspace(0, n_total - 1, n_keep).round().astype(int)


def interval_columns(level: float) -> tuple[str, str]:
    """Column names of a central interval: ``(f"eti{p}_lower", f"eti{p}_upper")``."""
    p = round(100 * level)
    return f"eti{p}_lower", f"eti{p}_upper"


def _to_data(
    kind: str, value: float, where: tuple[int, ...], scaling: Scaling, *, spread: bool
) -> float:
    """One summary number from scaled units back to data units."""
    if kind == "weight":
        return float(value)
    if kind == "mean":
        shifted = 0.0 if spread else float(scaling.shift[where[0]])
        return float(value) * scaling.scale + shifted
    return float(value) * scaling.scale * scaling.scale


def posterior_summary(
    weights,
    means,
    covariances,
    scaling: Scaling,
    *,
    intervals: tuple[float, ...] = (0.94,),
    feature_names=None,
    covariance_type: str = "spherical",
) -> dict[str, dict[str, float]]:
    """Posterior mean, sd and central intervals of every scalar parameter.

    Parameters
    ----------
    weights : ndarray of shape (chain, draw, K)
    means : ndarray of shape (chain, draw, K, d)
    covariances : ndarray
        The structure's covariances (chain, draw, ...) (the variances for
        spherical); the draws in the data's units.
    scaling : Scaling
        The standardisation of the data the draws belong to.
    intervals : tuple of float
        Probabilities of the equal-tailed central intervals.
    feature_names : sequence of str, optional
        Names of the means' coordinates (see :func:`gmm_pp.diagnostics.flat_params`).
    covariance_type : {"spherical", "diag", "tied", "full"}

    Returns
    -------
    dict
        ``{name: {"mean", "sd", "eti94_lower", "eti94_upper", ...}}`` in the data's
        units, names as :func:`gmm_pp.diagnostics.flat_params` gives them.
    """
    kind_ = covariance_type
    scaled = flat_params(
        *scaling.to_scaled(weights, means, covariances, kind_), feature_names, kind_
    )
    k, d = np.shape(means)[-2:]
    out: dict[str, dict[str, float]] = {}
    index = flat_index(k, d, kind_)
    for (name, draws), (kind, _, coordinate) in zip(scaled.items(), index, strict=True):
        flat = np.asarray(draws, dtype=np.float64).reshape(-1)
        row = {
            "mean": _to_data(kind, flat.mean(), coordinate, scaling, spread=False),
            "sd": _to_data(kind, flat.std(ddof=1), coordinate, scaling, spread=True),
        }
        for level in intervals:
            lo, hi = np.quantile(flat, [(1 - level) / 2, (1 + level) / 2])
            lower, upper = interval_columns(level)
            row[lower] = _to_data(kind, lo, coordinate, scaling, spread=False)
            row[upper] = _to_data(kind, hi, coordinate, scaling, spread=False)
        out[name] = row
    return out


def format_number(value: float, resolution: float, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits of its variation at ``resolution``.

    A mean of 1e8 + 2.9 with posterior sd 0.08 prints as ``100000002.9``, not
    ``1e+08``: the digits shown reach below ``resolution`` whatever the offset.

    Parameters
    ----------
    value : float
    resolution : float
        The scale of the value's uncertainty (its posterior sd); 0 or NaN for none.
    digits : int
        Significant digits at least.

    Returns
    -------
    str
    """
    if not np.isfinite(value):
        return str(value)
    precision = digits
    if np.isfinite(resolution) and resolution > 0 and value != 0:
        excess = int(np.floor(np.log10(abs(value) / resolution)))
        precision = min(17, max(digits, excess + 2))
    return f"{value:.{precision}g}"


def formatted_table(table) -> list[list[str]]:
    """The rows of a comparison's table as strings, each number at its row's resolution.

    Parameters
    ----------
    table : pandas.DataFrame
        With a ``parameter`` column first and a ``post_sd`` column.

    Returns
    -------
    list of list of str
    """
    rows = []
    for record in table.to_dict("records"):
        sd = record.get("post_sd", float("nan"))
        cells = [str(record["parameter"])]
        for column, value in record.items():
            if column == "parameter":
                continue
            cells.append(format_number(float(value), sd if column != "post_sd" else float("nan")))
        rows.append(cells)
    return rows
