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
from em.prior_marginals import prior_marginal
from gmm_pp.diagnostics import flat_index, flat_params
from gmm_pp.summary import thin_indices

__all__ = ["MAX_POINTS", "FigureData", "ellipse_geometry", "figure_data", "shown_points"]

#: Scatter figures (data, EM's paths, assignments) draw at most this many points: above
#: it, a random subsample of this size (so a page of 1e6 points renders in seconds).
MAX_POINTS = 5000

_MAX_CLOUD = 400  # posterior draws of the means shown as a cloud
_MAX_ASSIGN_DRAWS = 200  # draws averaged for the posterior responsibilities
_MAX_DRAW_ELLIPSES = 30  # posterior draws whose component ellipses are drawn
_MAX_DRAW_DENSITIES = 40  # posterior draws whose mixture density is drawn (1-D)
_BINS = 40
_POOR_STARTS = 10  # random starts tried; EM runs from the one of lowest log-likelihood
_PRIOR_KDE_DRAWS = 20_000  # prior draws for an entry without a closed-form marginal
#: Which children of the comparison's seed the figures' own random numbers come from
#: (gmm_pp.pipeline uses children 0-2, gmm_pp.loo child 4).
_SEED_CHILD = 3
_POINTS_CHILD = 5


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


def _rng(comparison) -> np.random.Generator:
    """The figures' own generator: a child of the comparison's seed (same seed, same page)."""
    child = np.random.SeedSequence(comparison.seed).spawn(_SEED_CHILD + 1)[_SEED_CHILD]
    return np.random.default_rng(child)


def shown_points(comparison) -> np.ndarray:
    """Indices (sorted) of the points the scatter figures draw: all, or :data:`MAX_POINTS`.

    The subsample is drawn without replacement from its own child of the
    comparison's seed: the same points on every rendering.
    """
    n = comparison.X.shape[0]
    if n <= MAX_POINTS:
        return np.arange(n)
    child = np.random.SeedSequence(comparison.seed).spawn(_POINTS_CHILD + 1)[_POINTS_CHILD]
    return np.sort(np.random.default_rng(child).choice(n, size=MAX_POINTS, replace=False))


def _poor_start(X: np.ndarray, k: int, kind: str, rng: np.random.Generator) -> em.EMResult:
    """EM from K random data points as means (the course's random start), the worst of a few.

    Each start has equal weights and the data's variance (averaged over the
    coordinates) for every component; of :data:`_POOR_STARTS` such starts, EM runs
    from the one of lowest log-likelihood: a start deliberately far from the answer.
    """
    import warnings

    n = X.shape[0]
    variance = float(X.var(axis=0).mean())
    worst = None
    for _ in range(_POOR_STARTS):
        means = X[rng.choice(n, size=k, replace=False)]
        start = em.GMMParams(np.full(k, 1.0 / k), means, np.full(k, variance)).as_structure(kind)
        ll = em.log_likelihood(X, start)
        if worst is None or ll < worst[0]:
            worst = (ll, start)
    with warnings.catch_warnings():  # its degeneracy or non-convergence is what it shows
        warnings.simplefilter("ignore")
        return em.fit(X, k, covariance=kind, init=worst[1])


def _path(result: em.EMResult, project) -> dict[str, Any]:
    trace = result.trace
    return {
        "means": np.stack([project(mu) for mu in trace.means]),
        "log_likelihood": np.asarray(trace.log_likelihood),
        "init": trace.init,
        "stop_reason": trace.stop_reason,
        "n_iter": trace.n_iter,
        "degenerate": bool(trace.degenerate_components),
    }


def _trajectories(comparison, project, rng) -> dict[str, Any]:
    """The chosen restart's path and a poor start's, with their log-likelihoods."""
    chosen = _path(comparison.mle, project)
    X = np.asarray(comparison.X, dtype=float)
    poor = _path(_poor_start(X, comparison.n_components, comparison.covariance_type, rng), project)
    first = (
        np.linalg.norm(chosen["means"][1] - chosen["means"][0], axis=-1)
        if len(chosen["means"]) > 1
        else np.zeros(comparison.n_components)
    )
    total = np.linalg.norm(chosen["means"][-1] - chosen["means"][0], axis=-1)
    return {
        "chosen": chosen,
        "poor": poor,
        "first_step": first,  # (K,) how far each mean moved in the first iteration
        "start_to_end": total,  # (K,) from the start to the estimate
        "max_log_likelihood": comparison.mle.log_likelihood,
    }


def _fit_distances(offsets: dict[str, Any]) -> dict[str, Any]:
    """Per fit: its largest ``|offset|`` (in posterior sds) and the parameter where it is."""
    names = offsets["parameters"]
    out = {}
    for name, values in offsets["fits"].items():
        gaps = np.abs(values)
        worst = int(np.argmax(gaps)) if gaps.size else 0
        out[name] = {
            "max_sd": float(gaps[worst]) if gaps.size else 0.0,
            "parameter": names[worst] if gaps.size else None,
        }
    return out


def _offsets(params: list[dict], truth: bool) -> dict[str, Any]:
    """Each estimate's ``(estimate - posterior mean) / posterior sd``, per varied parameter.

    A parameter the posterior does not vary (the weight of a single component) is
    left out.
    """
    varied = [p for p in params if p["post_sd"] > 0]
    keys = {"EM (MLE)": "em", "MAP-EM": "map_em", "PyMC MAP": "map_pymc"}
    if truth:
        keys["truth"] = "truth"
    return {
        "parameters": [p["name"] for p in varied],
        "fits": {
            name: np.array([(p[key] - p["post_mean"]) / p["post_sd"] for p in varied])
            for name, key in keys.items()
        },
    }


def _prior_densities(comparison, params: list[dict], rng) -> None:
    """Add the prior's density over each parameter panel's range to its record (in place).

    Closed-form marginals (:func:`em.prior_marginals.prior_marginal`); an
    off-diagonal covariance entry, which has none, by a kernel density of
    :data:`_PRIOR_KDE_DRAWS` draws from :meth:`em.GMMPrior.sample`.
    """
    from scipy.stats import gaussian_kde

    k, d, kind = comparison.n_components, comparison.X.shape[1], comparison.covariance_type
    prior = comparison.prior
    draws = None
    for p, (what, _, where) in zip(params, flat_index(k, d, kind), strict=True):
        values = [p["lower"], p["upper"], p["em"], p["map_em"], p["map_pymc"], p["post_mean"]]
        values += [p["edges"][0], p["edges"][-1]] + ([p["truth"]] if p["truth"] is not None else [])
        lo, hi = min(values), max(values)
        pad = 0.15 * (hi - lo) if hi > lo else 0.5 * max(abs(lo), 1e-3)
        lo, hi = lo - pad, hi + pad
        if what == "variance" or (what == "cov" and where[0] == where[1]):
            lo = max(lo, 0.0)  # variances are positive
        if what == "weight":
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        grid = np.linspace(lo, hi, 200)
        dist = prior_marginal(prior, k, what, where, kind)
        if dist is not None:
            density, source = dist.pdf(grid), "closed form"
            iqr = float(dist.ppf(0.75) - dist.ppf(0.25))
        elif what == "cov":
            if draws is None:
                draws = flat_params(
                    *prior.sample(k, _PRIOR_KDE_DRAWS, seed=rng, covariance_type=kind),
                    comparison.feature_names,
                    kind,
                )
            sample = draws[p["name"]]
            density, source = gaussian_kde(sample)(grid), f"kernel density of {sample.size} draws"
            iqr = float(np.subtract(*np.quantile(sample, [0.75, 0.25])))
        else:  # the weight of a single component: always 1
            density, source, iqr = None, "fixed", 0.0
        p["prior"] = {
            "grid": grid,
            "density": density,
            "source": source,
            "iqr": iqr,
        }


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
    projection, centre, basis = _projection(X)
    project = (lambda A: (A - centre) @ basis) if projection == "pca" else (lambda A: A)
    fits = _fits(comparison)
    kind = comparison.covariance_type
    w, m, v = comparison.draws()
    chains, draws, k = w.shape
    flat_w, flat_m = w.reshape(-1, k), m.reshape(-1, k, d)
    flat_v = v.reshape(-1, *v.shape[2:])
    cloud = thin_indices(flat_w.shape[0], _MAX_CLOUD)
    labels = list(comparison.feature_labels)
    shown = shown_points(comparison)
    X_shown = X[shown]
    out: dict[str, Any] = {
        "n_samples": n,
        "n_features": d,
        "n_components": k,
        "feature_labels": labels,
        "axis_labels": ["first principal component", "second principal component"]
        if projection == "pca"
        else labels[:2],
        "projection": {"kind": projection, "centre": centre, "basis": basis},
        "points": project(X_shown),
        "points_shown": len(shown),
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
        few = thin_indices(flat_w.shape[0], _MAX_DRAW_DENSITIES)
        out["draw_densities"] = np.stack(
            [
                np.exp(em.score_samples(grid, em.GMMParams(flat_w[i], flat_m[i], flat_v[i], kind)))
                for i in few
            ]
        )
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
        flat = np.asarray(draws).reshape(-1)
        counts, edges = np.histogram(flat, bins=_BINS, density=True)
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
                "post_sd": float(row.post_sd),
                "post_iqr": float(np.subtract(*np.quantile(flat, [0.75, 0.25]))),
            }
        )
    rng = _rng(comparison)
    _prior_densities(comparison, params, rng)
    out["parameters"] = params
    out["offsets"] = _offsets(params, comparison.truth is not None)
    out["fit_distances"] = _fit_distances(out["offsets"])
    # EM's paths: the chosen restart and a deliberately poor start.
    out["trajectories"] = _trajectories(comparison, project, rng)
    gof = em.goodness_of_fit(X, comparison.mle.params, seed=rng)
    out["goodness_of_fit"] = gof.to_dict()
    if d >= 2:  # the data's own shape within each component, beside the fit's
        semi, angle = ellipse_geometry(gof.scatter, basis)
        out["goodness_of_fit"]["scatter_ellipses"] = {
            "means": project(gof.centres),
            "semi_axes": semi,
            "angles": angle,
        }
    # Assignments: EM responsibilities and posterior-averaged ones.
    resp_em, _ = em.e_step(X_shown, comparison.mle.params)
    chosen = thin_indices(flat_w.shape[0], _MAX_ASSIGN_DRAWS)
    resp_post = em.mean_responsibilities(
        X_shown, flat_w[chosen], flat_m[chosen], flat_v[chosen], comparison.covariance_type
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
