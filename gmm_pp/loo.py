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
import xarray as xr

import em
from em.validation import check_rng
from gmm_pp.diagnostics import covariance_variable
from gmm_pp.errors import InputError

__all__ = ["FULL_LOO_MAX_POINTS", "LOO", "PARETO_K_BAD", "SUBSAMPLE_POINTS", "loo"]

#: Pareto k above this: PSIS-LOO is unreliable for that point (Vehtari et al. 2017).
PARETO_K_BAD = 0.7

#: Above this many points, PSIS-LOO is estimated from a subsample.
FULL_LOO_MAX_POINTS = 5000

#: Points at which the subsampled PSIS-LOO is computed exactly.
SUBSAMPLE_POINTS = 1000


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


def _subsample_tree(posterior: xr.DataTree, X: np.ndarray) -> xr.DataTree:
    """The posterior, its lazy log-likelihood and the points' indices as "observations".

    ``az.loo_subsample`` hands the observations it needs to the log-likelihood
    function; the indices let that function find the rows of ``X``.
    """
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

    n = comparison.X.shape[0]
    if subsample is None:
        subsample = n > FULL_LOO_MAX_POINTS
    if not isinstance(subsample, bool):
        raise InputError(f"subsample: expected True, False or None, got {subsample!r}")
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

        def log_lik_fn(observed: xr.DataArray, data) -> xr.DataArray:
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
