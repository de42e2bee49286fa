"""A study's description: scenarios (a grid) times replications, read from TOML.

A scenario fixes the data-generating set-up -- n, K, d, the separation of the
means, the weights, the prior -- and whether the truth is fixed or drawn from
the prior (simulation-based calibration).  Any of ``n``, ``k``, ``d`` and
``separation`` may be a list: the scenario then expands into the grid of their
combinations.
"""

from __future__ import annotations

import itertools
import math
import numbers
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from em import COVARIANCE_TYPES, GMMParams, GMMPrior, defaults
from em.validation import check_positive_int, check_real
from gmm_pp.config import SamplerConfig
from gmm_pp.errors import GMMError, InputError

__all__ = ["Scenario", "StudyConfig", "StudyConfigError", "load_config", "unit_prior"]

_GRID_KEYS = ("n", "k", "d", "separation")
_SCENARIO_KEYS = {*_GRID_KEYS, "name", "weights", "truth", "prior", "covariance", "select"}
#: The keys of a selection scenario's ``select`` table, and their defaults.
_SELECT_DEFAULTS = {"k": [1, 2, 3, 4, 5, 6], "covariance": "all", "bayes": "none", "top": 3}
_PRIOR_KEYS = {
    "weight_concentration",
    "mean_location",
    "mean_precision",
    "variance_shape",
    "variance_scale",
    "covariance_dof",
    "covariance_scale",
}
#: Correlation between the first two axes in the fixed truths of the tied and full structures.
_CORRELATION = 0.5
_STUDY_KEYS = {"replications", "seed", "draws", "tune", "chains", "target_accept", "rank_draws"}


class StudyConfigError(InputError):
    """The study's description is invalid (the message names the key)."""


def unit_prior(n_features: int, n_components: int, **overrides) -> GMMPrior:
    """The package's default prior as it resolves for data centred at 0 with unit variance.

    A fixed prior (it does not depend on the data), as simulation-based
    calibration needs; its values come from :meth:`em.GMMPrior.resolve_at`, the
    one home of the defaults: alpha = 1, m0 = 0, kappa0 = 0.01, a = (d + 2) / 2,
    b = 1 / (2 K^(2/d)), nu = d + 2, Psi = I / K^(2/d).  Keyword arguments set any field.
    """
    d = n_features
    return GMMPrior(**overrides).resolve_at(np.zeros(d), 1.0, n_components, np.eye(d))


@dataclass(frozen=True)
class Scenario:
    """One data-generating set-up.

    Attributes
    ----------
    name : str
        Unique within the study (grid values are appended, e.g. ``sep/n=50``).
    n, k, d : int
        Points, components, features.
    separation : float
        Fixed truth: distance between neighbouring means, in component sds
        (means on the first axis, centred at 0; variances 1).
    weights : tuple of float or None
        Fixed truth's weights; None for equal weights.
    truth : {"fixed", "prior"}
        ``"prior"`` draws the truth from the prior in every replication (SBC).
    prior : dict
        GMMPrior fields.  With a fixed truth, unset fields are resolved from each
        data set (the package default); with ``truth = "prior"`` the prior must
        not depend on the data, so unset fields take :func:`unit_prior`'s values.
    covariance : {"spherical", "diag", "tied", "full"}
        The structure of the truth and of every fit.
    select : dict or None
        A model-selection scenario: instead of comparing the fits of the true
        model, each replication runs :func:`gmm_pp.select` over ``k`` (a list)
        and ``covariance`` ("all" or a list), with ``bayes`` ("none", "top",
        "all") and ``top``, and records which model each criterion prefers.
    """

    name: str
    n: int
    k: int
    d: int
    separation: float = 4.0
    weights: tuple[float, ...] | None = None
    truth: str = "fixed"
    prior: dict = field(default_factory=dict)
    covariance: str = defaults.COVARIANCE
    select: dict | None = None

    def make_prior(self) -> GMMPrior:
        """The prior the fits use (and, for ``truth = "prior"``, draw the truth from)."""
        if self.truth == "prior":
            return unit_prior(self.d, self.k, **self.prior)
        return GMMPrior(**self.prior)

    def fixed_truth(self) -> GMMParams:
        """The fixed truth: means ``separation`` sds apart on the first axis.

        Every component has variance 1 along the first axis.  Spherical: unit
        variances; diag: variance 1 / (j + 1) on the other axes of component j;
        tied: the first two axes correlated 0.5; full: correlated +0.5 and -0.5
        in turn.
        """
        k, d = self.k, self.d
        weights = np.full(k, 1.0 / k) if self.weights is None else self.weights
        means = np.zeros((k, d))
        means[:, 0] = (np.arange(k) - (k - 1) / 2) * self.separation
        kind = self.covariance
        if kind == "spherical":
            return GMMParams(weights, means, np.ones(k))
        if kind == "diag":
            cov = np.ones((k, d))
            cov[:, 1:] = 1.0 / (np.arange(k)[:, None] + 1.0)
            return GMMParams(weights, means, cov, "diag")
        signs = np.ones(k) if kind == "tied" else (-1.0) ** np.arange(k)
        cov = np.broadcast_to(np.eye(d), (k, d, d)).copy()
        if d >= 2:
            cov[:, 0, 1] = cov[:, 1, 0] = _CORRELATION * signs
        return GMMParams(weights, means, cov[0] if kind == "tied" else cov, kind)

    def draw_truth(self, rng: np.random.Generator) -> GMMParams:
        """A truth for one replication (drawn from the prior when ``truth = "prior"``)."""
        if self.truth == "fixed":
            return self.fixed_truth()
        kind = self.covariance
        return GMMParams(*self.make_prior().sample(self.k, seed=rng, covariance_type=kind), kind)

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        out = {
            "name": self.name,
            "n": self.n,
            "k": self.k,
            "d": self.d,
            "separation": self.separation,
            "weights": None if self.weights is None else list(self.weights),
            "truth": self.truth,
            "prior": {
                key: (np.asarray(v).tolist() if isinstance(v, list | np.ndarray) else v)
                for key, v in self.prior.items()
            },
            "covariance": self.covariance,
        }
        if self.select is not None:  # absent otherwise: earlier studies' folders still resume
            out["select"] = dict(self.select)
        return out


@dataclass(frozen=True)
class StudyConfig:
    """Scenarios, replications, sampler settings and the study's seed.

    Attributes
    ----------
    scenarios : tuple of Scenario
    replications : int
        Per scenario.
    seed : int
        Replication ``r`` of scenario ``s`` uses ``SeedSequence(seed, spawn_key=(s, r))``.
    sampler : SamplerConfig
        ``cores`` is 1: replications run in parallel instead.
    rank_draws : int
        Posterior draws (thinned evenly) among which the truth is ranked (SBC).
    """

    scenarios: tuple[Scenario, ...]
    replications: int
    seed: int
    sampler: SamplerConfig
    rank_draws: int = 99

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        return {
            "scenarios": [s.to_dict() for s in self.scenarios],
            "replications": self.replications,
            "seed": self.seed,
            "sampler": self.sampler.to_dict(),
            "rank_draws": self.rank_draws,
        }


def _err(where: str, message: str) -> StudyConfigError:
    return StudyConfigError(f"{where}: {message}")


def _int(value, where: str, minimum: int) -> int:
    try:
        return check_positive_int(value, where, minimum=minimum)
    except GMMError as exc:
        raise StudyConfigError(str(exc)) from None


def _real(value, where: str) -> float:
    try:
        return check_real(value, where, minimum=0.0, strict=True)
    except GMMError as exc:
        raise StudyConfigError(str(exc)) from None


def _as_list(value, where: str) -> list:
    if not isinstance(value, list):
        return [value]
    if not value:
        raise _err(where, "expected a value or a non-empty list, got []")
    return list(value)


def _scenarios(entry: dict, index: int) -> list[Scenario]:
    where = f"scenario {index + 1}"
    unknown = set(entry) - _SCENARIO_KEYS
    if unknown:
        raise _err(
            where, f"unknown keys {sorted(unknown)}; expected some of {sorted(_SCENARIO_KEYS)}"
        )
    for key in ("n", "k", "d"):
        if key not in entry:
            raise _err(where, f"'{key}' is missing (e.g. {key} = {dict(n=200, k=2, d=1)[key]})")
    name = entry.get("name", f"scenario{index + 1}")
    if not isinstance(name, str) or not name or "/" in name:
        raise _err(where, f"'name': expected a non-empty string without '/', got {name!r}")
    truth = entry.get("truth", "fixed")
    if truth not in ("fixed", "prior"):
        raise _err(f"{where} ({name})", f"'truth': expected 'fixed' or 'prior', got {truth!r}")
    prior = entry.get("prior", {})
    if not isinstance(prior, dict):
        raise _err(f"{where} ({name})", f"'prior': expected a table of prior fields, got {prior!r}")
    prior = dict(prior)
    unknown = set(prior) - _PRIOR_KEYS
    if unknown:
        raise _err(f"{where} ({name})", f"prior: unknown keys {sorted(unknown)}")
    covariance = entry.get("covariance", defaults.COVARIANCE)
    if covariance not in COVARIANCE_TYPES:
        raise _err(
            f"{where} ({name})",
            f"'covariance': expected one of {list(COVARIANCE_TYPES)}, got {covariance!r}",
        )
    select = _select(entry.get("select"), f"{where} ({name})")
    weights = entry.get("weights", "equal")
    grid = {
        key: _as_list(entry.get(key, 4.0 if key == "separation" else None), f"{where}: '{key}'")
        for key in _GRID_KEYS
    }
    varying = [key for key in _GRID_KEYS if isinstance(entry.get(key), list)]
    out = []
    for combo in itertools.product(*(grid[key] for key in _GRID_KEYS)):
        values = dict(zip(_GRID_KEYS, combo, strict=True))
        label = name + "".join(f"/{key}={values[key]}" for key in varying)
        w = f"{where} ({label})"
        n = _int(values["n"], f"{w}: 'n'", 2)
        k = _int(values["k"], f"{w}: 'k'", 1)
        d = _int(values["d"], f"{w}: 'd'", 1)
        if n <= k:
            raise _err(w, f"'n' ({n}) must exceed 'k' ({k})")
        sep = _real(values["separation"], f"{w}: 'separation'")
        if weights == "equal":
            wt = None
        else:
            numeric = isinstance(weights, list) and all(
                isinstance(x, numbers.Real) and not isinstance(x, bool) for x in weights
            )
            wt = tuple(float(x) for x in weights) if numeric else None
            if (
                wt is None
                or len(wt) != k
                or not all(math.isfinite(x) and x > 0 for x in wt)
                or abs(sum(wt) - 1) > 1e-9
            ):
                raise _err(
                    w,
                    f"'weights': expected \"equal\" or {k} positive numbers summing to 1, "
                    f"got {weights!r}",
                )
        scenario = Scenario(label, n, k, d, sep, wt, truth, prior, covariance, select)
        if select is not None and max(select["k"]) >= n:
            raise _err(w, f"select: 'k' goes up to {max(select['k'])}, not below 'n' ({n})")
        try:
            made = scenario.make_prior()
        except GMMError as exc:
            raise _err(w, f"prior: {exc}") from None
        if made.mean_location is not None and made.mean_location.shape != (d,):
            raise _err(
                w,
                f"prior: 'mean_location' has {made.mean_location.size} values, expected d = {d}",
            )
        out.append(scenario)
    return out


def _select(raw, where: str) -> dict | None:
    """A selection scenario's ``select`` table, checked, with its defaults filled in."""
    if raw is None or raw is False:
        return None
    if raw is True:
        raw = {}
    if not isinstance(raw, dict):
        raise _err(where, f"'select': expected a table such as {{ k = [1, 2, 3, 4] }}, got {raw!r}")
    unknown = set(raw) - set(_SELECT_DEFAULTS)
    if unknown:
        raise _err(where, f"select: unknown keys {sorted(unknown)}; expected some of "
                   f"{sorted(_SELECT_DEFAULTS)}")  # fmt: skip
    out = {**_SELECT_DEFAULTS, **raw}
    ks = out["k"]
    if (
        not isinstance(ks, list)
        or not ks
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in ks)
    ):
        raise _err(where, f"select: 'k': expected a non-empty list of integers >= 1, got {ks!r}")
    cov = out["covariance"]
    if cov != "all" and (
        not isinstance(cov, list) or not cov or not all(c in COVARIANCE_TYPES for c in cov)
    ):
        raise _err(
            where,
            f"select: 'covariance': expected \"all\" or a list of {list(COVARIANCE_TYPES)}, "
            f"got {cov!r}",
        )
    if out["bayes"] not in ("none", "top", "all"):
        raise _err(where, f"select: 'bayes': expected none, top or all, got {out['bayes']!r}")
    out["top"] = _int(out["top"], f"{where}: select: 'top'", 1)
    out["k"] = sorted(set(ks))
    return out


def load_config(source: str | Path | dict) -> StudyConfig:
    """Read a study's TOML file (or the same structure as a dict).

    Parameters
    ----------
    source : str, Path or dict

    Returns
    -------
    StudyConfig

    Raises
    ------
    StudyConfigError
        Naming the file, the scenario and the key at fault.

    Examples
    --------
    The example that ships with the package (``gmm_pp/study/example.toml``):

    >>> from gmm_pp.study import EXAMPLE, load_config
    >>> [s.name for s in load_config(EXAMPLE).scenarios]
    ['separated/n=50', 'separated/n=200', 'sbc']
    """
    if isinstance(source, dict):
        raw, origin = source, "config"
    else:
        path = Path(source)
        origin = str(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StudyConfigError(f"{origin}: no such file") from None
        except OSError as exc:
            raise StudyConfigError(f"{origin}: cannot read it ({exc.strerror})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise StudyConfigError(f"{origin}: not valid TOML ({exc})") from None
    try:
        return _parse(raw)
    except StudyConfigError as exc:
        raise StudyConfigError(f"{origin}: {exc}") from None


def _parse(raw: dict) -> StudyConfig:
    unknown = set(raw) - {"study", "scenario"}
    if unknown:
        raise _err(
            "top level", f"unknown tables {sorted(unknown)}; expected [study] and [[scenario]]"
        )
    study = raw.get("study", {})
    if not isinstance(study, dict):
        raise _err("[study]", f"expected a table, got {study!r}")
    study = dict(study)
    unknown = set(study) - _STUDY_KEYS
    if unknown:
        raise _err(
            "[study]", f"unknown keys {sorted(unknown)}; expected some of {sorted(_STUDY_KEYS)}"
        )
    entries = raw.get("scenario")
    if not isinstance(entries, list) or not entries:
        raise _err("[[scenario]]", "expected at least one scenario table")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _err(f"scenario {i + 1}", f"expected a table, got {entry!r}")
    scenarios = [s for i, entry in enumerate(entries) for s in _scenarios(entry, i)]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise _err("[[scenario]]", f"names must be unique, got {names}")
    draws = _int(study.get("draws", 500), "[study] 'draws'", 1)
    try:
        sampler = SamplerConfig(
            draws=draws,
            tune=_int(study.get("tune", draws), "[study] 'tune'", 0),
            chains=_int(study.get("chains", 4), "[study] 'chains'", 1),
            target_accept=study.get("target_accept", 0.8),
            cores=1,
            progress=False,
        )
    except GMMError as exc:
        raise _err("[study]", str(exc)) from None
    return StudyConfig(
        scenarios=tuple(scenarios),
        replications=_int(study.get("replications", 20), "[study] 'replications'", 1),
        seed=_int(study.get("seed", 0), "[study] 'seed'", 0),
        sampler=sampler,
        rank_draws=_int(study.get("rank_draws", 99), "[study] 'rank_draws'", 1),
    )
