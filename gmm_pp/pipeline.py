"""The pipeline behind :func:`compare`: every fit of one data set, then the posterior's tree.

:func:`compare` fits the MLE by EM, the MAP by EM under the prior (MAP-EM), the
MAP by PyMC (from the EM estimates), and the posterior by nutpie (chains
started at MAP-EM), relabels the draws to EM's labels, computes diagnostics
and each draw's total log-likelihood (the pointwise values only where they are
read: :mod:`gmm_pp.loglik`), and times every step; the
result is a :class:`gmm_pp.comparison.Comparison`.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import xarray as xr

import em
from em import GMMParams, GMMPrior
from em.covariance import check_covariance_type
from em.scaling import Scaling
from em.validation import check_n_components
from gmm_pp.comparison import Comparison
from gmm_pp.config import SamplerConfig
from gmm_pp.data import as_data
from gmm_pp.diagnostics import covariance_variable, diagnose
from gmm_pp.errors import InputError, InputTypeError
from gmm_pp.inference import find_map, sample_posterior
from gmm_pp.loglik import draw_totals, log_likelihood_group
from gmm_pp.model import get_model
from gmm_pp.progress import EVERY, SamplingProgress, step
from gmm_pp.relabel import Relabelled, align_params, relabel_draws

__all__ = ["PRIOR_DRAWS", "compare", "posterior_tree"]


#: Draws from the prior kept in the ``prior`` group (one chain).
PRIOR_DRAWS = 1000


def posterior_tree(
    X: np.ndarray,
    relabelled: Relabelled,
    sample_stats: xr.Dataset,
    *,
    feature_names=None,
    prior_draws: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    covariance_type: str = "spherical",
    draw_log_likelihood: np.ndarray | None = None,
) -> xr.DataTree:
    """The posterior as an ArviZ DataTree, in the data's units.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    relabelled : Relabelled
        Draws (chain, draw, ...) in the reference labelling, with their permutations.
    sample_stats : xarray.Dataset
        The sampler's statistics over (chain, draw); must hold ``diverging``.
    feature_names : sequence of str, optional
        The ``feature`` coordinate (default 0, 1, ...).
    prior_draws : tuple of ndarray, optional
        Weights (chain, draw, K), means (chain, draw, K, d) and covariances drawn
        from the prior.
    covariance_type : {"spherical", "diag", "tied", "full"}
    draw_log_likelihood : ndarray of shape (chain, draw), optional
        Each draw's total log-likelihood (computed, a chunk of points at a time,
        when not given).

    Returns
    -------
    xarray.DataTree
        Groups ``posterior`` (the model's parameters only: ``weights``, ``means``
        and ``variances`` (component) for spherical or ``covariances``, dims
        (component, feature) for diag, (feature, feature_col) for tied and
        (component, feature, feature_col) for full), ``prior`` (the same, drawn
        from the prior, when given), ``sample_stats`` (with ``log_likelihood``,
        each draw's total), ``log_likelihood`` (``obs``: chain x draw x point,
        lazily computed: see :mod:`gmm_pp.loglik`),
        ``observed_data`` and ``relabelling`` (each draw's permutation to EM's
        labels: bookkeeping, kept out of ``posterior`` so ArviZ's default calls
        see parameters only).
    """
    chains, draws, k = relabelled.weights.shape
    d = X.shape[1]
    coords = {
        "component": np.arange(k),
        "feature": np.arange(d) if feature_names is None else np.array(list(feature_names)),
        "point": np.arange(X.shape[0]),
    }
    name, covariance_dims = covariance_variable(covariance_type)

    def parameters(w, m, v) -> xr.Dataset:
        c, s = w.shape[:2]
        return xr.Dataset(
            {
                "weights": (("chain", "draw", "component"), w),
                "means": (("chain", "draw", "component", "feature"), m),
                name: (("chain", "draw", *covariance_dims), v),
            },
            coords={
                "chain": np.arange(c),
                "draw": np.arange(s),
                "component": coords["component"],
                "feature": coords["feature"],
                **({"feature_col": coords["feature"]} if "feature_col" in covariance_dims else {}),
            },
        )

    dims = {"chain": np.arange(chains), "draw": np.arange(draws)}
    draws_ = (relabelled.weights, relabelled.means, relabelled.covariances)
    if draw_log_likelihood is None:
        draw_log_likelihood = draw_totals(X, *draws_, covariance_type)
    groups = {
        "posterior": parameters(*draws_),
        "sample_stats": sample_stats.assign(
            log_likelihood=(("chain", "draw"), np.asarray(draw_log_likelihood, dtype=float))
        ),
        "log_likelihood": log_likelihood_group(X, *draws_, covariance_type),
        "observed_data": xr.Dataset(
            {"obs": (("point", "feature"), X)},
            coords={c: coords[c] for c in ("point", "feature")},
        ),
        "relabelling": xr.Dataset(
            {"permutation": (("chain", "draw", "component"), relabelled.permutations)},
            coords={**dims, "component": coords["component"]},
            attrs={
                "description": "permutation[chain, draw, j] is the label (EM's) given to the "
                "sampled component j of that draw"
            },
        ),
    }
    if prior_draws is not None:
        groups["prior"] = parameters(*prior_draws)
    return xr.DataTree.from_dict(groups)


def _posterior_from_trace(
    X, trace, scaling: Scaling, reference: GMMParams, feature_names, prior_draws, sampled: str
):
    """Nutpie's trace (scaled units) -> relabelled DataTree in the data's units.

    Relabelling and the diagnostics work on the scaled draws (the permutation
    is the same in either units, R-hat and ESS are affine invariant), so no
    square of a draw over- or underflows at extreme scales.

    Returns
    -------
    tree : xarray.DataTree
    raw, relabelled : tuple of ndarray
        The scaled draws (weights, means, covariances) as sampled and relabelled.
    share_relabelled : float
    seconds : float
        Spent on each draw's total log-likelihood.

    ``sampled`` is the structure of the model that was sampled: the spherical one
    for diag and full in 1-D, whose variances are then written in their shapes.
    """
    kind = reference.covariance_type
    post = trace["posterior"]
    name, _ = covariance_variable(sampled)
    w, m, v = (post[var].values for var in ("weights", "means", name))
    if sampled != kind:  # 1-D: (chain, draw, K) variances as (K, 1) or (K, 1, 1) covariances
        v = v[..., None] if kind == "diag" else v[..., None, None]
    ref_means = (reference.means - scaling.shift) / scaling.scale
    scaled = relabel_draws(w, m, v, ref_means, kind)
    # (the units of the sampled model: 1-D variances map back as the spherical ones do)
    data_w, data_m, data_v = scaling.from_scaled(
        scaled.weights, scaled.means, scaled.covariances, sampled
    )
    in_data_units = scaled._replace(weights=data_w, means=data_m, covariances=data_v)
    t = time.perf_counter()
    done = [0]
    with step(
        f"each draw's log-likelihood over {X.shape[0]} points",
        status=lambda: f"{done[0]} of {X.shape[0]} points",
    ):
        totals = draw_totals(
            X, data_w, data_m, data_v, kind, on_chunk=lambda i, n: done.__setitem__(0, i)
        )
    seconds = time.perf_counter() - t
    stats = trace["sample_stats"].to_dataset()
    keep = [name for name in ("diverging", "step_size", "depth", "energy", "logp") if name in stats]
    tree = posterior_tree(
        X,
        in_data_units,
        stats[keep],
        feature_names=feature_names,
        prior_draws=prior_draws,
        covariance_type=kind,
        draw_log_likelihood=totals,
    )
    relabelled = (scaled.weights, scaled.means, scaled.covariances)
    return tree, (w, m, v), relabelled, scaled.share_relabelled, seconds


def compare(
    X,
    n_components: int,
    *,
    prior: GMMPrior | None = None,
    sampler: SamplerConfig | None = None,
    seed: int | None = None,
    truth: GMMParams | None = None,
    covariance: str = em.defaults.COVARIANCE,
    n_init: int | None = None,
    map_starts: int = 1,
    em_tol: float = 1e-12,
    feature_names=None,
) -> Comparison:
    """Fit the MLE, MAP-EM, PyMC's MAP and the posterior of one data set.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,), or DataFrame
        A DataFrame's string columns name the features (tables, axes, files).
    n_components : int
    prior : GMMPrior, optional
        Default ``GMMPrior()``, scaled to the data.
    sampler : SamplerConfig, optional
        Draws, tuning, chains, target_accept; default ``SamplerConfig()``.
    seed : int, optional
        One seed for everything (EM restarts, the sampler); same seed, same numbers.
    truth : GMMParams, optional
        The simulating parameters, when known (relabelled to EM's labels), of
        any structure.
    covariance : {"spherical", "diag", "tied", "full"}, default "spherical"
        The covariance structure of every fit (scikit-learn's names; mclust's
        VII, VVI, EEE, VVV).
    n_init : int, optional
        EM restarts (default 5).
    map_starts : int, default 1
        PyMC MAP starts: the MLE, then the next-best EM restarts.
    em_tol : float, default 1e-12
        EM's relative tolerance here: tighter than ``em.fit``'s default, since the
        estimates are compared with each other and with PyMC's MAP.
    feature_names : sequence of str, optional
        Names of the columns of ``X`` (default: a DataFrame's columns, else none).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import gmm_pp, em
    >>> X, _ = gmm_pp.simulate(gmm_pp.data.DEMO_TRUTH, 300, seed=0)  # doctest: +SKIP
    >>> comp = gmm_pp.compare(X, 3, seed=0)  # doctest: +SKIP
    >>> print(comp.table())  # doctest: +SKIP
    """
    values, names = as_data(X, feature_names)
    data = em.prepare(values, names)  # validated and standardised once, for every fit
    X = data.values
    k = check_n_components(n_components, X.shape[0])
    kind = check_covariance_type(covariance, "covariance")
    sampler = SamplerConfig() if sampler is None else sampler
    if not isinstance(sampler, SamplerConfig):
        raise InputTypeError(f"sampler: expected a SamplerConfig, got {type(sampler).__name__}")
    if truth is not None and (truth.n_components != k or truth.n_features != X.shape[1]):
        raise InputError(
            f"truth: expected {k} components and {X.shape[1]} features, got "
            f"{truth.n_components} and {truth.n_features}"
        )
    if truth is not None:
        try:
            truth = truth.as_structure(kind)
        except InputError as exc:
            raise InputError(f"truth: {exc}") from None
    if isinstance(map_starts, bool) or not isinstance(map_starts, int) or map_starts < 1:
        raise InputError(f"map_starts: expected an integer >= 1, got {map_starts!r}")
    resolved = (GMMPrior() if prior is None else prior).resolve(data, k)
    if kind in ("tied", "full"):
        resolved.scaled(data.scaling.shift, data.scaling.scale, kind)  # a clear error, early
    seq = np.random.SeedSequence(seed)
    em_seed, sampler_seed, prior_seed = seq.spawn(3)
    timings: dict[str, float] = {}

    n, d = X.shape
    t = time.perf_counter()
    where = f"{n} points, d = {d}, K = {k}" + ("" if kind == "spherical" else f", {kind}")
    with step(f"EM and MAP-EM on {where}"):
        mle = em.fit(
            data, k, covariance=kind, n_init=n_init, tol=em_tol, seed=np.random.default_rng(em_seed)
        )
        timings["em"] = time.perf_counter() - t
        t = time.perf_counter()
        map_em = em.fit(data, k, covariance=kind, init=mle.params, prior=resolved, tol=em_tol)
        timings["map_em"] = time.perf_counter() - t

    # In 1-D, diag and full are the spherical model (em.fit fits them so): sampled as it.
    sampled = "spherical" if resolved.same_as_spherical(kind, d) else kind

    def as_sampled(params: GMMParams) -> GMMParams:
        return params.as_structure(sampled)

    t = time.perf_counter()
    mm = get_model(*X.shape, k, sampled)
    timings["model"] = time.perf_counter() - t

    t = time.perf_counter()
    with step(
        f"loading the compiled PyMC model for {n} x {d}, K = {k} (compiled on first use: "
        "up to a minute)"
    ):
        mm.nutpie_model()  # the MAP and the sampler share this compiled log-density
    timings["compile"] = time.perf_counter() - t

    ranked = sorted(mle.restarts, key=lambda r: -r.objective[-1])
    starts = [mle.params] + [r.params for r in ranked if r is not mle.trace][: map_starts - 1]
    with step("PyMC's MAP from the EM estimate"):
        pymc_map = find_map(
            mm, data, resolved, [as_sampled(s) for s in starts], reference=as_sampled(map_em.params)
        )
    found = pymc_map.params.as_structure(kind)
    pymc_map = dataclasses.replace(pymc_map, params=align_params(found, mle.params))
    timings["map_pymc"] = pymc_map.seconds

    t = time.perf_counter()
    watch = SamplingProgress()
    what = f"sampling the posterior: {sampler.chains} chains x ({sampler.tune} + {sampler.draws})"
    # On a terminal nutpie draws its own bar; in a log, a line every 10 s says how far.
    with step(what, status=watch.status, every=None if sampler.progress else EVERY):
        trace, scaling = sample_posterior(
            mm,
            data,
            resolved,
            as_sampled(map_em.params),
            sampler,
            int(sampler_seed.generate_state(1)[0]),
            progress=watch,
        )
    timings["sample"] = time.perf_counter() - t

    t = time.perf_counter()
    with step("relabelling the draws, their log-likelihoods and diagnostics"):
        prior_draws = resolved.sample(
            k, (1, PRIOR_DRAWS), seed=np.random.default_rng(prior_seed), covariance_type=kind
        )
        tree, raw, relabelled, share, loglik_seconds = _posterior_from_trace(
            X, trace, scaling, mle.params, names, prior_draws, sampled
        )
        divergences = int(tree["sample_stats"]["diverging"].values.sum())
        diagnostics = diagnose(raw, relabelled, divergences, share, names, kind)
    timings["log_likelihood"] = loglik_seconds
    timings["diagnostics"] = time.perf_counter() - t - loglik_seconds
    aligned_truth = None if truth is None else align_params(truth, mle.params)
    return Comparison(
        X=X,
        prior=resolved,
        mle=mle,
        map_em=map_em,
        pymc_map=pymc_map,
        posterior=tree,
        diagnostics=diagnostics,
        timings=timings,
        truth=aligned_truth,
        seed=seed,
        sampler=sampler,
        feature_names=names,
    )
