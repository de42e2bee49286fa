"""One data set, one model, one prior, fitted three ways, side by side.

:func:`compare` fits the MLE by EM, the MAP by EM under the prior (MAP-EM), the
MAP by PyMC (from the EM estimates), and the posterior by nutpie (chains
started at MAP-EM), relabels the draws to EM's labels, computes diagnostics
and the pointwise log-likelihood of every draw, and times every step.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from dataclasses import dataclass, field
from html import escape
from importlib import metadata
from pathlib import Path

import numpy as np
import xarray as xr

import em
from em import EMResult, GMMParams, GMMPrior
from em.scaling import Scaling
from em.validation import check_data, check_n_components
from gmm_pp.config import SamplerConfig
from gmm_pp.data import as_data, check_feature_names
from gmm_pp.diagnostics import Diagnostics, diagnose, flat_params
from gmm_pp.errors import ComparisonFormatError, GMMError, InputError, InputTypeError
from gmm_pp.inference import MAPResult, find_map, sample_posterior
from gmm_pp.io import output_folder
from gmm_pp.model import get_model
from gmm_pp.progress import EVERY, SamplingProgress, step
from gmm_pp.relabel import Relabelled, align_params, relabel_draws
from gmm_pp.summary import formatted_table, posterior_summary

__all__ = ["Comparison", "compare", "posterior_tree"]

_FORMAT_VERSION = 1


def _versions() -> dict[str, str]:
    names = ("gmm-pp", "numpy", "scipy", "pymc", "pytensor", "nutpie", "arviz", "xarray")
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class Comparison:
    """EM (MLE), MAP-EM, PyMC's MAP and the posterior of one data set.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
    prior : GMMPrior
        The resolved prior shared by MAP-EM, PyMC's MAP and the posterior.
    mle : EMResult
        EM without a prior: the maximum-likelihood estimate, with its trace.
    map_em : EMResult
        EM under the prior, started at the MLE: the MAP by EM.
    pymc_map : MAPResult
        ``pm.find_MAP`` of the PyMC model, started at the EM estimates.
    posterior : xarray.DataTree
        Groups ``posterior`` (weights, means, variances in the data's units,
        relabelled to the MLE's labels), ``sample_stats``, ``log_likelihood``
        (``obs``: chain x draw x point) and ``observed_data``.
    diagnostics : Diagnostics
    timings : dict
        Wall seconds per step.
    truth : GMMParams or None
        The simulating parameters, relabelled to the MLE's labels.
    seed : int or None
    sampler : SamplerConfig
    versions : dict
    feature_names : tuple of str or None
        The data's column names, when it had them.
    """

    X: np.ndarray
    prior: GMMPrior
    mle: EMResult
    map_em: EMResult
    pymc_map: MAPResult
    posterior: xr.DataTree
    diagnostics: Diagnostics
    timings: dict[str, float]
    truth: GMMParams | None = None
    seed: int | None = None
    sampler: SamplerConfig = field(default_factory=SamplerConfig)
    versions: dict[str, str] = field(default_factory=_versions)
    feature_names: tuple[str, ...] | None = None

    @property
    def feature_labels(self) -> tuple[str, ...]:
        """The column names, or ``x[0]``, ``x[1]``, ... for data without names."""
        if self.feature_names is not None:
            return tuple(self.feature_names)
        return tuple(f"x[{c}]" for c in range(self.X.shape[1]))

    @property
    def n_components(self) -> int:
        """Number of components K."""
        return self.mle.params.n_components

    def draws(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posterior draws (chain, draw, ...) of weights, means and variances."""
        post = self.posterior["posterior"]
        return post["weights"].values, post["means"].values, post["variances"].values

    def draw_log_likelihood(self) -> np.ndarray:
        """Total log-likelihood of every draw, shape (chain, draw)."""
        return self.posterior["log_likelihood"]["obs"].values.sum(axis=-1)

    def warnings(self) -> list[str]:
        """What a reader of this comparison must know first, in sentences (empty if none)."""
        out = []
        mle = self.mle
        if not mle.converged:
            out.append(f"EM stopped without converging ({mle.stop_reason}); {mle.stopping_rule}.")
        degenerate = [r.degeneracy for r in mle.restarts if r.degenerate]
        if degenerate:
            out.append(
                f"{len(degenerate)} of {len(mle.restarts)} EM restarts degenerated (a component "
                f"collapsed onto a point or emptied) and were set aside: {degenerate[0]}."
            )
        if not self.pymc_map.success:
            out.append(f"PyMC's MAP is not a valid optimum: {self.pymc_map.message}.")
        out.extend(self.diagnostics.problems)
        return out

    def summary(self) -> str:
        """The table, the fits' objectives, the diagnostics and the timings, as text."""
        import pandas as pd

        table = self.table().drop(columns="truth" if self.truth is None else [])
        shown = pd.DataFrame(formatted_table(table), columns=table.columns)
        d = self.diagnostics
        lines = [
            shown.to_string(index=False),
            "",
            f"EM log-likelihood {self.mle.log_likelihood:.4f} in {self.mle.n_iter} "
            f"iterations; MAP-EM objective {self.map_em.objective:.4f}; PyMC MAP "
            f"{'ok' if self.pymc_map.success else 'FAILED'}",
            f"posterior: {d.chains} chains x {d.draws} draws, R-hat max {d.rhat_max:.3f}, "
            f"ESS bulk min {d.ess_bulk_min:.0f}, tail min {d.ess_tail_min:.0f}, "
            f"{d.divergences} divergences, {100 * d.share_relabelled:.1f}% of draws relabelled",
            "seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in self.timings.items()),
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        n, d = self.X.shape
        diag = self.diagnostics
        names = "" if self.feature_names is None else f", features={list(self.feature_names)}"
        return (
            f"Comparison(n={n}, d={d}, K={self.n_components}{names}, "
            f"EM loglik={self.mle.log_likelihood:.6g}, posterior {diag.chains}x{diag.draws}, "
            f"R-hat max={diag.rhat_max:.3f}, warnings={len(self.warnings())})"
        )

    def _repr_html_(self) -> str:
        """The table, the diagnostics and the warnings, for a notebook."""
        table = self.table().drop(columns="truth" if self.truth is None else [])
        head = "".join(f"<th>{escape(str(c))}</th>" for c in table.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
            for row in formatted_table(table)
        )
        d = self.diagnostics
        warnings = "".join(f"<li>{escape(w)}</li>" for w in self.warnings())
        n, dim = self.X.shape
        return (
            f"<div><strong>Comparison</strong>: n = {n}, d = {dim}, K = {self.n_components}; "
            f"EM log-likelihood {self.mle.log_likelihood:.6g}; posterior {d.chains} chains x "
            f"{d.draws} draws, R-hat max {d.rhat_max:.3f}, ESS bulk min "
            f"{d.ess_bulk_min:.0f}, {d.divergences} divergences"
            + (f'<ul style="color:#b00">{warnings}</ul>' if warnings else "")
            + f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )

    def predict_proba(self, X, *, fit: str = "posterior") -> np.ndarray:
        """Which component each new row belongs to, by one of the fits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or DataFrame
        fit : {"posterior", "em", "map_em", "map_pymc"}
            ``"posterior"`` averages the responsibilities over every posterior
            draw (so it carries the uncertainty about the parameters); the others
            use one estimate.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Rows sum to one; each row is computed on its own.
        """
        X, _ = as_data(X)
        if X.shape[1] != self.X.shape[1]:
            raise InputError(
                f"X: expected {self.X.shape[1]} features like the fitted data, got {X.shape[1]}"
            )
        estimates = {"em": self.mle, "map_em": self.map_em, "map_pymc": self.pymc_map}
        if fit == "posterior":
            return em.mean_responsibilities(X, *self.draws())
        if fit not in estimates:
            raise InputError(
                f"fit: expected 'posterior', 'em', 'map_em' or 'map_pymc', got {fit!r}"
            )
        return em.e_step(X, estimates[fit].params)[0]

    def predict(self, X, *, fit: str = "posterior") -> np.ndarray:
        """The most likely component of each new row, shape (n_samples,).

        See :meth:`predict_proba`.
        """
        return self.predict_proba(X, fit=fit).argmax(axis=1)

    @functools.cached_property
    def scaling(self) -> Scaling:
        """The standardisation every fit of this comparison worked in."""
        return Scaling.from_data(self.X)

    def table(self):
        """One row per parameter: truth, EM, MAP-EM, PyMC MAP, posterior mean, sd, 94% interval.

        Computed once (in the fits' standardised units, so at any scale) and
        copied on every call.

        Returns
        -------
        pandas.DataFrame
            Columns ``parameter, truth, em, map_em, map_pymc, post_mean, post_sd,
            eti94_lower, eti94_upper`` (the equal-tailed 3% and 97% quantiles).
        """
        return self._table.copy()

    @functools.cached_property
    def _table(self):
        import pandas as pd

        names = self.feature_names
        summary = posterior_summary(
            *self.draws(), self.scaling, intervals=(0.94,), feature_names=names
        )
        fits = {
            name: flat_params(p.weights, p.means, p.variances, names)
            for name, p in (
                ("em", self.mle.params),
                ("map_em", self.map_em.params),
                ("map_pymc", self.pymc_map.params),
            )
        }
        truth = (
            None
            if self.truth is None
            else flat_params(self.truth.weights, self.truth.means, self.truth.variances, names)
        )
        rows = []
        for name, stats in summary.items():
            rows.append(
                {
                    "parameter": name,
                    "truth": np.nan if truth is None else float(truth[name]),
                    **{fit: float(values[name]) for fit, values in fits.items()},
                    "post_mean": stats["mean"],
                    "post_sd": stats["sd"],
                    "eti94_lower": stats["eti94_lower"],
                    "eti94_upper": stats["eti94_upper"],
                }
            )
        return pd.DataFrame(rows)

    # -- persistence ---------------------------------------------------------
    def to_dict(self) -> dict:
        """Everything but the data and the posterior, as plain values."""
        return {
            "format_version": _FORMAT_VERSION,
            "prior": self.prior.to_dict(),
            "mle": self.mle.to_dict(),
            "map_em": self.map_em.to_dict(),
            "pymc_map": self.pymc_map.to_dict(),
            "diagnostics": self.diagnostics.to_dict(),
            "timings": self.timings,
            "truth": None if self.truth is None else self.truth.to_dict(),
            "seed": self.seed,
            "sampler": self.sampler.to_dict(),
            "versions": self.versions,
            "feature_names": None if self.feature_names is None else list(self.feature_names),
        }

    def write_files(self, folder: str | Path) -> None:
        """Write ``comparison.json``, ``data.npy`` and ``posterior.nc`` into ``folder``.

        Not atomic on its own: use :meth:`save`, or write inside
        :func:`gmm_pp.io.output_folder` together with other files (as
        ``gmm-pp fit`` does with the report).
        """
        folder = Path(folder)
        (folder / "comparison.json").write_text(json.dumps(self.to_dict(), indent=1), "utf-8")
        np.save(folder / "data.npy", self.X)
        self.posterior.to_netcdf(folder / "posterior.nc", engine="h5netcdf")

    def save(self, directory: str | Path, *, overwrite: bool = False) -> Path:
        """Write the comparison to ``directory``, all of it or nothing.

        Written to a temporary folder beside ``directory`` and renamed into place
        (see :mod:`gmm_pp.io`): an error, Ctrl-C or a kill never leaves a
        half-written comparison, and an earlier one stays intact until the new
        one is complete.

        Parameters
        ----------
        directory : str or Path
        overwrite : bool, default False
            Replace an existing non-empty folder.

        Returns
        -------
        Path

        Raises
        ------
        gmm_pp.errors.OutputError
            When ``directory`` is a file, is not empty (without ``overwrite``), or is
            being written by another process.
        """
        with output_folder(
            directory, overwrite=overwrite, name="directory", hint="pass overwrite=True"
        ) as tmp:
            self.write_files(tmp)
        return Path(directory)

    @classmethod
    def load(cls, directory: str | Path) -> Comparison:
        """Read a comparison written by :meth:`save` (or ``gmm-pp fit --out``).

        Raises
        ------
        gmm_pp.errors.ComparisonFormatError
            When the folder does not hold a gmm-pp comparison, or one that was
            altered: the message says what is missing or wrong.
        """
        directory = Path(directory)
        path = directory / "comparison.json"
        if not path.is_file():
            raise ComparisonFormatError(
                f"directory: no comparison.json in {str(directory)!r}; "
                "point to a folder written by Comparison.save or 'gmm-pp fit --out'"
            )
        return _load(directory)


def _not_a_comparison(directory: Path, what: str) -> ComparisonFormatError:
    return ComparisonFormatError(
        f"{str(directory)!r} is not a gmm-pp comparison: {what}; point to a folder "
        "written by Comparison.save or 'gmm-pp fit --out', or refit"
    )


def _load(directory: Path) -> Comparison:
    try:
        data = json.loads((directory / "comparison.json").read_text("utf-8"))
    except RecursionError:
        raise _not_a_comparison(directory, "comparison.json is nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _not_a_comparison(directory, f"comparison.json is not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format_version") != _FORMAT_VERSION:
        version = data.get("format_version") if isinstance(data, dict) else None
        raise _not_a_comparison(
            directory, f"expected format_version {_FORMAT_VERSION}, got {version!r}"
        )
    try:
        X = np.load(directory / "data.npy", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise _not_a_comparison(directory, f"data.npy is missing or unreadable ({exc})") from None
    try:
        import arviz as az

        posterior = az.from_netcdf(directory / "posterior.nc")
        posterior.load()
    except (OSError, ValueError, KeyError) as exc:
        raise _not_a_comparison(
            directory, f"posterior.nc is missing or unreadable ({exc})"
        ) from None
    try:
        comparison = Comparison(
            X=check_data(X, name="data.npy"),
            prior=GMMPrior.from_dict(data["prior"]),
            mle=EMResult.from_dict(data["mle"]),
            map_em=EMResult.from_dict(data["map_em"]),
            pymc_map=MAPResult.from_dict(data["pymc_map"]),
            posterior=posterior,
            diagnostics=Diagnostics.from_dict(data["diagnostics"]),
            timings=dict(data["timings"]),
            truth=None if data["truth"] is None else GMMParams.from_dict(data["truth"]),
            seed=data["seed"],
            sampler=SamplerConfig(**data["sampler"]),
            versions=dict(data["versions"]),
            feature_names=_names(data.get("feature_names"), X),
        )
        _check_consistent(comparison)
    except KeyError as exc:
        raise _not_a_comparison(directory, f"the entry {exc} is missing") from None
    except (GMMError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise _not_a_comparison(directory, " ".join(str(exc).split())) from None
    return comparison


def _names(names, X) -> tuple[str, ...] | None:
    if names is None:
        return None

    return check_feature_names(names, np.shape(X)[1] if np.ndim(X) == 2 else 1)


def _check_consistent(comparison: Comparison) -> None:
    """The parts of a loaded comparison describe one data set and one model."""
    n, d = comparison.X.shape
    k = comparison.mle.params.n_components
    for name, result in (("mle", comparison.mle), ("map_em", comparison.map_em)):
        if (result.n_samples, result.n_features) != (n, d) or result.params.n_components != k:
            raise InputError(
                f"{name} describes {result.n_samples} x {result.n_features} data and "
                f"{result.params.n_components} components, data.npy is {n} x {d} with K = {k}"
            )
    for name in ("weights", "means", "variances"):
        if name not in comparison.posterior["posterior"]:
            raise InputError(f"posterior.nc has no posterior variable {name!r}")
    w, m, v = comparison.draws()
    if w.shape[2:] != (k,) or m.shape[2:] != (k, d) or v.shape[2:] != (k,):
        raise InputError(
            f"posterior.nc holds draws of shapes {w.shape}, {m.shape}, {v.shape}, "
            f"not (chain, draw, {k}) and (chain, draw, {k}, {d})"
        )
    if not (np.isfinite(w).all() and np.isfinite(m).all() and np.isfinite(v).all()):
        raise InputError("posterior.nc holds non-finite draws")


#: Draws from the prior kept in the ``prior`` group (one chain).
PRIOR_DRAWS = 1000


def posterior_tree(
    X: np.ndarray,
    relabelled: Relabelled,
    sample_stats: xr.Dataset,
    *,
    feature_names=None,
    prior_draws: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
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
        Weights (chain, draw, K), means (chain, draw, K, d) and variances (chain,
        draw, K) drawn from the prior.

    Returns
    -------
    xarray.DataTree
        Groups ``posterior`` (the model's parameters only: weights, means,
        variances), ``prior`` (the same, drawn from the prior, when given),
        ``sample_stats``, ``log_likelihood`` (``obs``: chain x draw x point),
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

    def parameters(w, m, v) -> xr.Dataset:
        c, s = w.shape[:2]
        return xr.Dataset(
            {
                "weights": (("chain", "draw", "component"), w),
                "means": (("chain", "draw", "component", "feature"), m),
                "variances": (("chain", "draw", "component"), v),
            },
            coords={
                "chain": np.arange(c),
                "draw": np.arange(s),
                "component": coords["component"],
                "feature": coords["feature"],
            },
        )

    dims = {"chain": np.arange(chains), "draw": np.arange(draws)}
    loglik = em.pointwise_log_likelihood(
        X, relabelled.weights, relabelled.means, relabelled.variances
    )
    groups = {
        "posterior": parameters(relabelled.weights, relabelled.means, relabelled.variances),
        "sample_stats": sample_stats,
        "log_likelihood": xr.Dataset(
            {"obs": (("chain", "draw", "point"), loglik)},
            coords={**dims, "point": coords["point"]},
        ),
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
    X, trace, scaling: Scaling, reference: GMMParams, feature_names, prior_draws
):
    """Nutpie's trace (scaled units) -> relabelled DataTree in the data's units.

    Relabelling and the diagnostics work on the scaled draws (the permutation
    is the same in either units, R-hat and ESS are affine invariant), so no
    square of a draw over- or underflows at extreme scales.

    Returns
    -------
    tree : xarray.DataTree
    raw, relabelled : tuple of ndarray
        The scaled draws (weights, means, variances) as sampled and relabelled.
    share_relabelled : float
    """
    post = trace["posterior"]
    w, m, v = (post[name].values for name in ("weights", "means", "variances"))
    _, ref_means, _ = scaling.to_scaled(reference.weights, reference.means, reference.variances)
    scaled = relabel_draws(w, m, v, ref_means)
    data_w, data_m, data_v = scaling.from_scaled(scaled.weights, scaled.means, scaled.variances)
    in_data_units = scaled._replace(weights=data_w, means=data_m, variances=data_v)
    stats = trace["sample_stats"].to_dataset()
    keep = [name for name in ("diverging", "step_size", "depth", "energy", "logp") if name in stats]
    tree = posterior_tree(
        X, in_data_units, stats[keep], feature_names=feature_names, prior_draws=prior_draws
    )
    relabelled = (scaled.weights, scaled.means, scaled.variances)
    return tree, (w, m, v), relabelled, scaled.share_relabelled


def compare(
    X,
    n_components: int,
    *,
    prior: GMMPrior | None = None,
    sampler: SamplerConfig | None = None,
    seed: int | None = None,
    truth: GMMParams | None = None,
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
        The simulating parameters, when known (relabelled to EM's labels).
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
    sampler = SamplerConfig() if sampler is None else sampler
    if not isinstance(sampler, SamplerConfig):
        raise InputTypeError(f"sampler: expected a SamplerConfig, got {type(sampler).__name__}")
    if truth is not None and (truth.n_components != k or truth.n_features != X.shape[1]):
        raise InputError(
            f"truth: expected {k} components and {X.shape[1]} features, got "
            f"{truth.n_components} and {truth.n_features}"
        )
    if isinstance(map_starts, bool) or not isinstance(map_starts, int) or map_starts < 1:
        raise InputError(f"map_starts: expected an integer >= 1, got {map_starts!r}")
    resolved = (GMMPrior() if prior is None else prior).resolve(data, k)
    seq = np.random.SeedSequence(seed)
    em_seed, sampler_seed, prior_seed = seq.spawn(3)
    timings: dict[str, float] = {}

    n, d = X.shape
    t = time.perf_counter()
    with step(f"EM and MAP-EM on {n} points, d = {d}, K = {k}"):
        mle = em.fit(data, k, n_init=n_init, tol=em_tol, seed=np.random.default_rng(em_seed))
        timings["em"] = time.perf_counter() - t
        t = time.perf_counter()
        map_em = em.fit(data, k, init=mle.params, prior=resolved, tol=em_tol)
        timings["map_em"] = time.perf_counter() - t

    t = time.perf_counter()
    mm = get_model(*X.shape, k)
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
        pymc_map = find_map(mm, data, resolved, starts)
    pymc_map = dataclasses.replace(pymc_map, params=align_params(pymc_map.params, mle.params))
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
            map_em.params,
            sampler,
            int(sampler_seed.generate_state(1)[0]),
            progress=watch,
        )
    timings["sample"] = time.perf_counter() - t

    t = time.perf_counter()
    prior_draws = resolved.sample(k, (1, PRIOR_DRAWS), seed=np.random.default_rng(prior_seed))
    tree, raw, relabelled, share = _posterior_from_trace(
        X, trace, scaling, mle.params, names, prior_draws
    )
    divergences = int(tree["sample_stats"]["diverging"].values.sum())
    diagnostics = diagnose(raw, relabelled, divergences, share, names)
    timings["diagnostics"] = time.perf_counter() - t
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
