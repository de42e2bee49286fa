"""The comparison of one data set's fits: the record, its table, display and files.

:class:`Comparison` holds EM's MLE, MAP-EM, PyMC's MAP and the posterior of one
data set (:func:`gmm_pp.compare`, in :mod:`gmm_pp.pipeline`, makes one): its
table (computed once, at any scale), warnings, text and notebook display,
predictions for new points, and its files (``save``/``load``, validated).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from html import escape
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

import em
from em import EMResult, GMMParams, GMMPrior
from em.covariance import covariance_shape, mclust_name
from em.scaling import Scaling
from em.validation import check_data
from gmm_pp import loglik
from gmm_pp.config import SamplerConfig
from gmm_pp.data import as_data, check_feature_names
from gmm_pp.diagnostics import Diagnostics, covariance_variable, flat_params
from gmm_pp.errors import ComparisonFormatError, GMMError, InputError
from gmm_pp.inference import MAPResult
from gmm_pp.io import output_folder
from gmm_pp.summary import formatted_table, posterior_summary

if TYPE_CHECKING:
    from gmm_pp.loo import LOO

__all__ = ["Comparison"]

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
        relabelled to the MLE's labels), ``sample_stats`` (with each draw's
        total ``log_likelihood``), ``log_likelihood`` (``obs``: chain x draw x
        point, computed only where it is read: see :mod:`gmm_pp.loglik`) and
        ``observed_data``.
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

    @property
    def _mclust_name(self) -> str:
        return mclust_name(self.covariance_type, self.X.shape[1])

    @property
    def covariance_type(self) -> str:
        """The covariance structure of every fit: spherical, diag, tied or full."""
        return self.mle.params.covariance_type

    def draws(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posterior draws (chain, draw, ...) of weights, means and covariances.

        The covariances in scikit-learn's shapes after (chain, draw): the variances
        (K,) for spherical, (K, d) diag, (d, d) tied, (K, d, d) full.
        """
        post = self.posterior["posterior"]
        name, _ = covariance_variable(self.covariance_type)
        return post["weights"].values, post["means"].values, post[name].values

    def draw_log_likelihood(self) -> np.ndarray:
        """Total log-likelihood of every draw, shape (chain, draw)."""
        return self.posterior["sample_stats"]["log_likelihood"].values

    def loo(self, **options) -> LOO:
        """PSIS-LOO of the posterior: every point while n is small, a subsample above.

        See :func:`gmm_pp.loo.loo` for the options (``subsample``,
        ``observations``, ``seed``).

        Returns
        -------
        gmm_pp.loo.LOO
            ``elpd``, ``se``, ``p``, ``subsampling_se`` (0 without a subsample),
            the count of Pareto k above 0.7.
        """
        from gmm_pp.loo import loo

        return loo(self, **options)

    def warnings(self) -> list[str]:
        """What a reader of this comparison must know first, in sentences (empty if none)."""
        out = []
        mle = self.mle
        if not mle.converged:
            out.append(f"EM stopped without converging ({mle.stop_reason}); {mle.stopping_rule}.")
        # A degenerate or spurious estimate, or a higher spurious maximum set aside
        # (restarts set aside for degenerating are in mle.restarts and mle.basins).
        out.extend(message for _, message in mle.problems)
        if not self.pymc_map.success:
            out.append(self.pymc_map.problem + ".")
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
            f"{self.covariance_type} covariances (mclust {self._mclust_name}); "
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
        kind = "" if self.covariance_type == "spherical" else f", {self.covariance_type}"
        return (
            f"Comparison(n={n}, d={d}, K={self.n_components}{kind}{names}, "
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
            return em.mean_responsibilities(X, *self.draws(), self.covariance_type)
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

        names, kind = self.feature_names, self.covariance_type
        summary = posterior_summary(
            *self.draws(), self.scaling, intervals=(0.94,), feature_names=names,
            covariance_type=kind,
        )  # fmt: skip
        fits = {
            name: flat_params(p.weights, p.means, p.covariances, names, kind)
            for name, p in (
                ("em", self.mle.params),
                ("map_em", self.map_em.params),
                ("map_pymc", self.pymc_map.params),
            )
        }
        truth = None
        if self.truth is not None:
            t = self.truth
            truth = flat_params(t.weights, t.means, t.covariances, names, kind)
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

    def writes_pointwise(self, pointwise: bool | None = None) -> bool:
        """Whether ``posterior.nc`` will carry the pointwise log-likelihood.

        ``pointwise=None`` (the default of :meth:`save` and ``gmm-pp fit``):
        while it takes at most 50 MiB in float32
        (:data:`gmm_pp.loglik.SAVE_LIMIT_BYTES`: 4,000 draws x 3,276 points).
        """
        if pointwise is None:
            chains, draws = self.posterior["posterior"]["weights"].shape[:2]
            return loglik.saved_by_default(chains * draws, self.X.shape[0])
        if not isinstance(pointwise, bool):
            raise InputError(f"pointwise: expected True, False or None, got {pointwise!r}")
        return pointwise

    def write_files(self, folder: str | Path, *, pointwise: bool | None = None) -> None:
        """Write ``comparison.json``, ``data.npy`` and ``posterior.nc`` into ``folder``.

        Not atomic on its own: use :meth:`save`, or write inside
        :func:`gmm_pp.io.output_folder` together with other files (as
        ``gmm-pp fit`` does with the report).  ``pointwise``: as :meth:`save`'s.
        """
        folder = Path(folder)
        keep = self.writes_pointwise(pointwise)
        (folder / "comparison.json").write_text(json.dumps(self.to_dict(), indent=1), "utf-8")
        np.save(folder / "data.npy", self.X)
        groups = {
            name: node.to_dataset()
            for name, node in self.posterior.children.items()
            if name != "log_likelihood"
        }
        if keep:  # float32, computed a chunk at a time (S x n x 4 bytes in memory)
            values = loglik.pointwise(self.X, *self.draws(), self.covariance_type)
            ll = self.posterior["log_likelihood"].to_dataset()
            groups["log_likelihood"] = ll.copy(data={"obs": values})
        xr.DataTree.from_dict(groups).to_netcdf(folder / "posterior.nc", engine="h5netcdf")

    def save(
        self, directory: str | Path, *, overwrite: bool = False, pointwise: bool | None = None
    ) -> Path:
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
        pointwise : bool, optional
            Write the pointwise log-likelihood (chain x draw x point, float32) into
            ``posterior.nc`` for ArviZ (``az.loo`` on the file alone).  Default:
            while it takes at most 50 MiB (:meth:`writes_pointwise`); gmm-pp
            itself recomputes it from the draws when it needs it.

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
            self.write_files(tmp, pointwise=pointwise)
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

        opened = az.from_netcdf(directory / "posterior.nc")
        posterior = xr.DataTree.from_dict(
            {
                name: node.to_dataset()
                for name, node in opened.children.items()
                if name != "log_likelihood"  # recomputed from the draws where read
            }
        ).load()
        opened.close()
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
        comparison.posterior = _with_log_likelihood(comparison)
    except KeyError as exc:
        raise _not_a_comparison(directory, f"the entry {exc} is missing") from None
    except (GMMError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise _not_a_comparison(directory, " ".join(str(exc).split())) from None
    return comparison


def _with_log_likelihood(comparison: Comparison) -> xr.DataTree:
    """The loaded tree with its lazy pointwise log-likelihood and each draw's total."""
    tree = comparison.posterior
    X, kind, draws = comparison.X, comparison.covariance_type, comparison.draws()
    groups = {name: node.to_dataset() for name, node in tree.children.items()}
    stats = groups["sample_stats"]
    if "log_likelihood" not in stats:  # written before the totals were kept
        stats = stats.assign(
            log_likelihood=(("chain", "draw"), loglik.draw_totals(X, *draws, kind))
        )
    groups["sample_stats"] = stats
    groups["log_likelihood"] = loglik.log_likelihood_group(X, *draws, kind)
    return xr.DataTree.from_dict(groups)


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
    kind = comparison.covariance_type
    for result in (comparison.map_em, comparison.pymc_map):
        if result.params.covariance_type != kind:
            raise InputError(
                f"the fits' covariance structures differ: {kind} and "
                f"{result.params.covariance_type}"
            )
    for name in ("weights", "means", covariance_variable(kind)[0]):
        if name not in comparison.posterior["posterior"]:
            raise InputError(f"posterior.nc has no posterior variable {name!r}")
    w, m, v = comparison.draws()
    core = covariance_shape(kind, k, d)
    if w.shape[2:] != (k,) or m.shape[2:] != (k, d) or v.shape[2:] != core:
        raise InputError(
            f"posterior.nc holds draws of shapes {w.shape}, {m.shape}, {v.shape}, "
            f"not (chain, draw, {k}), (chain, draw, {k}, {d}) and (chain, draw, "
            f"{', '.join(map(str, core))})"
        )
    if not (np.isfinite(w).all() and np.isfinite(m).all() and np.isfinite(v).all()):
        raise InputError("posterior.nc holds non-finite draws")
