"""PSIS-LOO of a posterior at any n: all points while n is small, a subsample above.

Up to :data:`FULL_LOO_MAX_POINTS` points, ``az.loo`` (Vehtari et al. 2017) reads
every draw's log-likelihood at every point.  Above, ``az.loo_subsample``
(Magnusson et al. 2019) computes PSIS-LOO exactly at :data:`SUBSAMPLE_POINTS`
points drawn at random and estimates the rest by a difference estimator whose
approximation is each point's log-density at the posterior mean ("plpd"): the
log-likelihood is computed at the subsample only (draws x m values, not
draws x n), and the result reports the subsampling error beside elpd's SE.
Model selection and :meth:`gmm_pp.Comparison.loo` use this one function.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import em
from em.validation import check_rng
from gmm_pp.diagnostics import covariance_variable
from gmm_pp.errors import InputError

__all__ = [
    "FULL_LOO_MAX_BYTES",
    "FULL_LOO_MAX_POINTS",
    "LOO",
    "PARETO_K_BAD",
    "SUBSAMPLE_POINTS",
    "loo",
    "stacking_weights",
]

#: Pareto k above this: PSIS-LOO is unreliable for that point (Vehtari et al. 2017).
PARETO_K_BAD = 0.7

#: Above this many points, PSIS-LOO is estimated from a subsample.
FULL_LOO_MAX_POINTS = 5000

#: Points at which the subsampled PSIS-LOO is computed exactly.
SUBSAMPLE_POINTS = 1000

#: PSIS-LOO on every point holds draws x n float64 values: refused above 2 GiB of them.
FULL_LOO_MAX_BYTES = 2 << 30


@dataclass(frozen=True)
class LOO:
    """PSIS-LOO of one posterior.

    Attributes
    ----------
    elpd : float
        Expected log pointwise predictive density (higher is better).
    se : float
        Its standard error (with a subsample: sampling and subsampling together).
    p : float
        Effective number of parameters.
    subsampling_se : float
        The part of ``se`` due to the subsample (0 with every point).
    n_points : int
    n_evaluated : int
        Points at which PSIS-LOO was computed exactly (``n_points`` without a subsample).
    pareto_k_bad : int
        Of those, how many have a Pareto k above :data:`PARETO_K_BAD`.
    method : {"psis", "psis-subsample"}
    elpd_data : arviz_stats ELPDData
        ArviZ's own result (pointwise), for ``az.compare``.
    """

    elpd: float
    se: float
    p: float
    subsampling_se: float
    n_points: int
    n_evaluated: int
    pareto_k_bad: int
    method: str
    elpd_data: Any = field(repr=False, compare=False)

    @property
    def subsampled(self) -> bool:
        """Whether PSIS-LOO was estimated from a subsample."""
        return self.method == "psis-subsample"

    def to_dict(self) -> dict:
        """Plain values, for JSON (without ArviZ's object)."""
        return {
            "elpd": self.elpd,
            "se": self.se,
            "p": self.p,
            "subsampling_se": self.subsampling_se,
            "n_points": self.n_points,
            "n_evaluated": self.n_evaluated,
            "pareto_k_bad": self.pareto_k_bad,
            "method": self.method,
        }


def _subsample_tree(posterior, X: np.ndarray):
    """The posterior, its lazy log-likelihood and the points' indices as "observations".

    ``az.loo_subsample`` hands the observations it needs to the log-likelihood
    function; the indices let that function find the rows of ``X``.
    """
    import xarray as xr

    n = X.shape[0]
    return xr.DataTree.from_dict(
        {
            "posterior": posterior["posterior"].to_dataset(),
            "log_likelihood": posterior["log_likelihood"].to_dataset(),
            "observed_data": xr.Dataset({"obs": (("point",), np.arange(n))}),
        }
    )


def loo(
    comparison,
    *,
    subsample: bool | None = None,
    observations: int | None = None,
    seed: int | np.random.Generator | None = None,
) -> LOO:
    """PSIS-LOO of a comparison's posterior, subsampled at large n.

    Parameters
    ----------
    comparison : gmm_pp.Comparison
    subsample : bool, optional
        Estimate from a subsample; default: when n > :data:`FULL_LOO_MAX_POINTS`.
    observations : int, optional
        The subsample's size, 2 to n; default :data:`SUBSAMPLE_POINTS` (or n if fewer).
    seed : int, numpy.random.Generator or None
        Draws the subsample; default: from the comparison's seed (same seed, same
        subsample).

    Returns
    -------
    LOO

    Examples
    --------
    >>> result = comparison.loo()  # doctest: +SKIP
    >>> print(f"elpd {result.elpd:.1f} (SE {result.se:.1f})")  # doctest: +SKIP
    """
    import arviz as az
    import xarray as xr

    n = comparison.X.shape[0]
    if subsample is None:
        subsample = n > FULL_LOO_MAX_POINTS
    if not isinstance(subsample, bool):
        raise InputError(f"subsample: expected True, False or None, got {subsample!r}")
    if not subsample:
        chains, draws = comparison.posterior["posterior"]["weights"].shape[:2]
        needed = 8 * chains * draws * n
        if needed > FULL_LOO_MAX_BYTES:
            raise InputError(
                f"subsample: PSIS-LOO on every point holds {chains * draws} draws x {n} points "
                f"({needed / 2**30:.1f} GiB here, more than {FULL_LOO_MAX_BYTES >> 30} GiB); "
                "pass subsample=True (the default above "
                f"{FULL_LOO_MAX_POINTS} points), or thin the draws"
            )
    if observations is None:
        observations = min(SUBSAMPLE_POINTS, n)
    if subsample and (
        isinstance(observations, bool)
        or not isinstance(observations, int | np.integer)
        or not 1 < observations <= n
    ):
        raise InputError(
            f"observations: expected an integer from 2 to the {n} points, got {observations!r}"
        )
    with warnings.catch_warnings():
        # ArviZ warns about high Pareto k: counted and reported in the result instead
        warnings.simplefilter("ignore", UserWarning)
        if not subsample:
            result = az.loo(comparison.posterior, var_name="obs", pointwise=True)
            k_values = np.asarray(result.pareto_k)
            return LOO(
                elpd=float(result.elpd),
                se=float(result.se),
                p=float(result.p),
                subsampling_se=0.0,
                n_points=n,
                n_evaluated=n,
                pareto_k_bad=int(np.sum(k_values > PARETO_K_BAD)),
                method="psis",
                elpd_data=result,
            )
        if seed is None:
            # child 4 of the comparison's seed (the pipeline uses 0-2, the report 3 and 5)
            seed = np.random.SeedSequence(comparison.seed).spawn(5)[4]
        state = check_rng(seed).integers(2**31 - 1)
        X, kind = comparison.X, comparison.covariance_type
        names = ["weights", "means", covariance_variable(kind)[0]]

        def log_lik_fn(observed, data):
            # "plpd": the posterior group holds the posterior means
            post = data.posterior
            w, m, c = (np.asarray(post[name]) for name in names)
            rows = X[np.asarray(observed.values, dtype=np.intp)]
            return xr.DataArray(
                em.pointwise_log_likelihood(rows, w, m, c, kind), dims=observed.dims
            )

        result = az.loo_subsample(
            _subsample_tree(comparison.posterior, X),
            observations=int(observations),
            var_name="obs",
            pointwise=True,
            seed=int(state),
            method="plpd",
            log_lik_fn=log_lik_fn,
            param_names=names,
        )
    k_values = np.asarray(result.pareto_k)
    return LOO(
        elpd=float(result.elpd),
        se=float(result.se),
        p=float(result.p),
        subsampling_se=float(result.subsampling_se),
        n_points=n,
        n_evaluated=int(result.subsample_size),
        pareto_k_bad=int(np.sum(k_values[np.isfinite(k_values)] > PARETO_K_BAD)),
        method="psis-subsample",
        elpd_data=result,
    )


def stacking_weights(results) -> np.ndarray:
    """Stacking weights of several posteriors (Yao et al. 2018), subsampled or not.

    Maximises ``sum_i log sum_k w_k exp(elpd_loo_ik)`` over the simplex, as
    ``az.compare(method="stacking")`` does, over the points where every model's
    PSIS-LOO was computed: all of them, or the subsample they share (draw it with
    one seed for all).  ArviZ 1.3's own stacking returns equal weights when the
    pointwise values hold the subsample's NaNs; this is why it exists.

    Parameters
    ----------
    results : sequence of LOO
        Of the same data.

    Returns
    -------
    ndarray of shape (len(results),)
        Non-negative, summing to one.

    Raises
    ------
    gmm_pp.errors.InputError
        When the results share no point (subsamples drawn with different seeds).
    """
    from scipy.optimize import Bounds, LinearConstraint, minimize

    pointwise = np.stack([np.asarray(r.elpd_data.elpd_i).ravel() for r in results], axis=1)
    shared = np.isfinite(pointwise).all(axis=1)
    if not shared.any():
        raise InputError(
            "results: expected PSIS-LOO computed at shared points, got subsamples with none in "
            "common; draw them with one seed (loo(..., seed=s) for every model)"
        )
    values = pointwise[shared]
    dens = np.exp(values - values.max(axis=1, keepdims=True))  # each row scaled: same optimum
    cols = dens.shape[1]
    if cols == 1:
        return np.ones(1)

    def loss(w):
        return -np.sum(np.log(dens @ w))

    def grad(w):
        return -np.sum(dens / (dens @ w)[:, None], axis=0)

    found = minimize(
        loss,
        np.full(cols, 1.0 / cols),
        jac=grad,
        bounds=Bounds(np.zeros(cols), np.ones(cols)),
        constraints=LinearConstraint(np.ones(cols), 1.0, 1.0),
    )
    weights = np.clip(found.x, 0.0, None)
    return weights / weights.sum()
