"""Every number the report draws, computed once from a finished comparison.

Figures only draw what is here; ``data.json`` is this record.  Projections (the
first two principal components for d > 2), densities on grids, histograms and
posterior-averaged responsibilities are computed here, never in a plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import em
from em.covariance import to_full
from gmm_pp.diagnostics import flat_params
from gmm_pp.summary import thin_indices

__all__ = ["FigureData", "ellipse_geometry", "figure_data"]

_MAX_CLOUD = 400  # posterior draws of the means shown as a cloud
_MAX_ASSIGN_DRAWS = 200  # draws averaged for the posterior responsibilities
_MAX_DRAW_ELLIPSES = 30  # posterior draws whose component ellipses are drawn
_BINS = 40


@dataclass(frozen=True)
class FigureData:
    """Plain arrays and numbers for every figure (see :func:`figure_data`)."""

    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def to_json(self) -> dict[str, Any]:
        """Lists instead of arrays, for ``data.json``."""
        return _jsonable(self.values)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _projection(X: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
    """('identity' | 'pca', centre (d,), basis (d, 2))."""
    d = X.shape[1]
    centre = X.mean(axis=0)
    if d <= 2:
        return "identity", np.zeros(d), np.eye(d)
    _, _, vt = np.linalg.svd(X - centre, full_matrices=False)
    return "pca", centre, vt[:2].T


def ellipse_geometry(covariances: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 1-sd ellipses of covariance matrices projected on ``basis`` (d, 2).

    Returns the semi-axes (..., 2), longest first, and the angle of the longest
    in degrees (...,): what ``matplotlib.patches.Ellipse`` draws (at r sd, its
    width and height are 2 r times the semi-axes).
    """
    projected = np.swapaxes(basis, 0, 1) @ covariances @ basis
    values, vectors = np.linalg.eigh(projected)  # ascending
    semi = np.sqrt(np.clip(values[..., ::-1], 0.0, None))
    angle = np.degrees(np.arctan2(vectors[..., 1, 1], vectors[..., 0, 1]))
    return semi, angle


def _fit_geometry(params: em.GMMParams, project, basis: np.ndarray) -> dict[str, np.ndarray]:
    """A fit's weights, projected means and (d >= 2) its components' 1-sd ellipses."""
    out = {"weights": params.weights, "means": project(params.means)}
    if basis.shape[1] == 2:
        out["semi_axes"], out["angles"] = ellipse_geometry(params.covariance_matrices(), basis)
    return out


def _fits(comparison) -> dict[str, em.GMMParams]:
    w, m, v = comparison.draws()
    post = em.GMMParams(
        w.mean(axis=(0, 1)) / w.mean(axis=(0, 1)).sum(),
        m.mean(axis=(0, 1)),
        v.mean(axis=(0, 1)),
        comparison.covariance_type,
    )
    fits = {
        "EM (MLE)": comparison.mle.params,
        "MAP-EM": comparison.map_em.params,
        "PyMC MAP": comparison.pymc_map.params,
        "posterior mean": post,
    }
    if comparison.truth is not None:
        fits["truth"] = comparison.truth
    return fits


def figure_data(comparison) -> FigureData:
    """Compute everything the report draws.

    Parameters
    ----------
    comparison : gmm_pp.Comparison

    Returns
    -------
    FigureData
    """
    X = comparison.X
    n, d = X.shape
    kind, centre, basis = _projection(X)
    project = (lambda A: (A - centre) @ basis) if kind == "pca" else (lambda A: A)
    fits = _fits(comparison)
    w, m, v = comparison.draws()
    chains, draws, k = w.shape
    flat_w, flat_m = w.reshape(-1, k), m.reshape(-1, k, d)
    flat_v = v.reshape(-1, *v.shape[2:])
    cloud = thin_indices(flat_w.shape[0], _MAX_CLOUD)
    labels = list(comparison.feature_labels)
    out: dict[str, Any] = {
        "n_samples": n,
        "n_features": d,
        "n_components": k,
        "feature_labels": labels,
        "axis_labels": ["first principal component", "second principal component"]
        if kind == "pca"
        else labels[:2],
        "projection": {"kind": kind, "centre": centre, "basis": basis},
        "points": project(X),
        "covariance_type": comparison.covariance_type,
        "fits": {name: _fit_geometry(p, project, basis) for name, p in fits.items()},
        "mean_cloud": project(flat_m[cloud].reshape(-1, d)).reshape(len(cloud), k, -1),
    }
    if d >= 2:
        few = thin_indices(flat_w.shape[0], _MAX_DRAW_ELLIPSES)
        draws_cov = np.broadcast_to(
            to_full(flat_v[few], comparison.covariance_type, d), (len(few), k, d, d)
        )
        semi, angle = ellipse_geometry(draws_cov, basis)
        out["draw_ellipses"] = {
            "means": project(flat_m[few].reshape(-1, d)).reshape(len(few), k, -1),
            "semi_axes": semi,
            "angles": angle,
        }
    if d == 1:
        lo, hi = X.min(), X.max()
        pad = 0.1 * (hi - lo)
        grid = np.linspace(lo - pad, hi + pad, 400)
        out["density_grid"] = grid
        out["densities"] = {name: np.exp(em.score_samples(grid, p)) for name, p in fits.items()}
        counts, edges = np.histogram(X[:, 0], bins=min(_BINS, max(5, n // 2)), density=True)
        out["histogram"] = {"density": counts, "edges": edges}
    # Log-likelihood traces.
    out["em_restarts"] = [
        {
            "log_likelihood": r.log_likelihood,
            "stop_reason": r.stop_reason,
            "degenerate": r.degenerate,
        }
        for r in comparison.mle.restarts
    ]
    out["em_best"] = comparison.mle.best
    out["em_basins"] = [
        {
            "log_likelihood": b.log_likelihood,
            "objective": b.objective,
            "restarts": len(b.restarts),
            "screened": b.screened,
            "reached_by": b.reached_by,
            "spurious": b.spurious,
            "chosen": b.chosen,
        }
        for b in comparison.mle.basins
    ]
    out["em_max"] = comparison.mle.log_likelihood
    out["draw_log_likelihood"] = comparison.draw_log_likelihood()
    out["n_parameters"] = comparison.mle.params.n_parameters
    # Parameters: posterior histograms with the point estimates.
    table = comparison.table()
    params = []
    flat_draws = flat_params(w, m, v, comparison.feature_names, comparison.covariance_type)
    for row, draws in zip(table.itertuples(index=False), flat_draws.values(), strict=True):
        # The panel of each parameter as the table names it, with the table's numbers.
        counts, edges = np.histogram(np.asarray(draws).reshape(-1), bins=_BINS, density=True)
        params.append(
            {
                "name": row.parameter,
                "density": counts,
                "edges": edges,
                "em": float(row.em),
                "map_em": float(row.map_em),
                "map_pymc": float(row.map_pymc),
                "post_mean": float(row.post_mean),
                "lower": float(row.eti94_lower),
                "upper": float(row.eti94_upper),
                "truth": None if np.isnan(row.truth) else float(row.truth),
            }
        )
    out["parameters"] = params
    # EM trajectories of the means (best restart).
    out["trajectory"] = np.stack([project(mu) for mu in comparison.mle.trace.means])
    # Assignments: EM responsibilities and posterior-averaged ones.
    resp_em, _ = em.e_step(X, comparison.mle.params)
    chosen = thin_indices(flat_w.shape[0], _MAX_ASSIGN_DRAWS)
    resp_post = em.mean_responsibilities(
        X, flat_w[chosen], flat_m[chosen], flat_v[chosen], comparison.covariance_type
    )
    out["assignments"] = {
        "EM": {"label": resp_em.argmax(axis=1), "uncertainty": 1 - resp_em.max(axis=1)},
        "posterior": {"label": resp_post.argmax(axis=1), "uncertainty": 1 - resp_post.max(axis=1)},
    }
    diag = comparison.diagnostics
    out["diagnostics"] = {
        "names": list(diag.per_parameter),
        "rhat": [p["rhat"] for p in diag.per_parameter.values()],
        "ess_bulk": [p["ess_bulk"] for p in diag.per_parameter.values()],
        "ess_tail": [p["ess_tail"] for p in diag.per_parameter.values()],
        "divergences": diag.divergences,
        "share_relabelled": diag.share_relabelled,
        "rhat_before": diag.rhat_max_before_relabelling,
        "chains": diag.chains,
        "draws": diag.draws,
        "timings": dict(comparison.timings),
    }
    return FigureData(out)
