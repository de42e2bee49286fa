"""Immutable records of an EM run: one restart's trace, and the whole result."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from em import criteria
from em.covariance import mclust_name
from em.density import responsibilities
from em.exceptions import DegenerateComponentWarning, InputError, SpuriousComponentWarning
from em.params import GMMParams
from em.prior import GMMPrior
from em.screen import Screen
from em.validation import frozen_array

__all__ = ["PRIOR_ADVICE", "Basin", "EMResult", "EMTrace"]

#: The principled remedy for degenerate and spurious maxima, for both audiences.
PRIOR_ADVICE = (
    "a prior is the principled remedy (prior=em.GMMPrior() in Python, --prior with gmm-pp em; "
    "gmm-pp fit's MAP and posterior use one)"
)


class Basin(NamedTuple):
    """One optimum EM's restarts reached (see :attr:`EMResult.basins`).

    Attributes
    ----------
    objective, log_likelihood : float
        At the optimum.
    restarts : tuple of int
        The restarts that reached it.
    kinds : tuple of str
        Their kinds of start.
    screened : int
        How many of the default strategy's screened random starts converged to it
        (see :class:`em.screen.Screen`).
    spurious : bool
        It has a spurious component.
    chosen : bool
        The result's estimate is this optimum.
    """

    objective: float
    log_likelihood: float
    restarts: tuple[int, ...]
    kinds: tuple[str, ...]
    screened: int
    spurious: bool
    chosen: bool

    @property
    def reached_by(self) -> str:
        """The kinds of start that reached it, counted: ``"hc, 2 kmeans++, 5 screened random"``."""
        counts = Counter(self.kinds)
        parts = [kind if c == 1 else f"{c} {kind}" for kind, c in sorted(counts.items())]
        if self.screened:
            parts.append(f"{self.screened} screened random")
        return ", ".join(parts)


@dataclass(frozen=True, eq=False)
class EMTrace:
    """One restart of EM, every iterate recorded (iterate 0 is the start).

    Attributes
    ----------
    params : GMMParams
        The last regular iterate, the one whose log-likelihood ends the trace.
    log_likelihood : ndarray of shape (n_iter + 1,)
        Log-likelihood of every iterate's own parameters (no lag).
    objective : ndarray of shape (n_iter + 1,)
        What EM maximises: the log-likelihood, plus the log prior for MAP-EM.
    weights : ndarray of shape (n_iter + 1, n_components)
    means : ndarray of shape (n_iter + 1, n_components, n_features)
    covariances : ndarray of shape (n_iter + 1, *covariance shape)
        Every iterate's covariances in the structure's shape (``params.covariance_type``);
        ``variances`` (n_iter + 1, n_components) for the spherical mixture.
    n_iter : int
        Number of M-steps taken.
    converged : bool
        True when the stopping rule was met.
    stop_reason : str
        ``"tol"``, ``"max_iter"`` or ``"degenerate"``.
    degenerate_components : tuple of int
        Components that collapsed onto a point or emptied (empty when regular).
    degeneracy : str
        What happened, in words ("" when regular).
    init : str
        How the restart was started: its kind (see :mod:`em.starts`) or "given".
    seed : int or None
        The seed of the restart's own generator: :func:`em.initial_params` makes its
        start again from it (None for a given start; a ``"split-merge"`` restart's
        seed draws its split's direction, and its start is its iterate 0).
    spurious_components : tuple of int
        Components of the end point that are spurious (see
        :data:`em.defaults.SPURIOUS_VARIANCE`): fewer than d + 1 points' worth of
        responsibility, or a variance below that fraction of the data's.
    spurious_reason : str
        Which component, on which points, in words ("" when none).
    """

    params: GMMParams
    log_likelihood: np.ndarray
    objective: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    n_iter: int
    converged: bool
    stop_reason: str
    degenerate_components: tuple[int, ...] = ()
    degeneracy: str = ""
    init: str = ""
    seed: int | None = None
    spurious_components: tuple[int, ...] = ()
    spurious_reason: str = ""

    def __post_init__(self) -> None:
        for name in ("log_likelihood", "objective", "weights", "means", "covariances"):
            object.__setattr__(self, name, frozen_array(getattr(self, name), dtype=None))

    @classmethod
    def from_run(
        cls,
        iterates: tuple[np.ndarray, np.ndarray, np.ndarray],
        covariance_type: str,
        log_likelihood,
        objective,
        stop_reason: str,
        degenerate: tuple[tuple[int, ...], str],
        spurious: tuple[tuple[int, ...], str],
        init: str,
        seed: int | None,
    ) -> EMTrace:
        """A trace from one run's iterates (weights, means, covariances; data units).

        ``degenerate`` and ``spurious`` are (components, reason) pairs; the last
        iterate is the run's parameters.
        """
        weights, means, covariances = iterates
        return cls(
            params=GMMParams(weights[-1], means[-1], covariances[-1], covariance_type),
            log_likelihood=np.array(log_likelihood),
            objective=np.array(objective),
            weights=weights,
            means=means,
            covariances=covariances,
            n_iter=weights.shape[0] - 1,
            converged=stop_reason == "tol",
            stop_reason=stop_reason,
            degenerate_components=degenerate[0],
            degeneracy=degenerate[1],
            init=init,
            seed=seed,
            spurious_components=spurious[0],
            spurious_reason=spurious[1],
        )

    @property
    def covariance_type(self) -> str:
        """The structure of the covariances (see :mod:`em.covariance`)."""
        return self.params.covariance_type

    @property
    def variances(self) -> np.ndarray:
        """Every iterate's variances, shape (n_iter + 1, n_components): spherical only."""
        if self.covariance_type != "spherical":
            raise InputError(
                f"variances: a {self.covariance_type} mixture has no single variance per "
                "component; use .covariances"
            )
        return self.covariances

    @property
    def degenerate(self) -> bool:
        """True when a component collapsed or emptied."""
        return bool(self.degenerate_components)

    @property
    def spurious(self) -> bool:
        """True when a component of the end point is spurious."""
        return bool(self.spurious_components)

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        return {
            "params": self.params.to_dict(),
            "log_likelihood": self.log_likelihood.tolist(),
            "objective": self.objective.tolist(),
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "covariances": self.covariances.tolist(),
            "n_iter": self.n_iter,
            "converged": self.converged,
            "stop_reason": self.stop_reason,
            "degenerate_components": list(self.degenerate_components),
            "degeneracy": self.degeneracy,
            "init": self.init,
            "seed": self.seed,
            "spurious_components": list(self.spurious_components),
            "spurious_reason": self.spurious_reason,
        }

    @classmethod
    def from_dict(cls, data: dict) -> EMTrace:
        """Inverse of :meth:`to_dict`."""
        fields = dict(data)
        fields["params"] = GMMParams.from_dict(data["params"])
        if "variances" in fields:  # saved before the covariance structures
            fields["covariances"] = fields.pop("variances")
        for name in ("log_likelihood", "objective", "weights", "means", "covariances"):
            fields[name] = np.asarray(fields[name], dtype=np.float64)
        fields["degenerate_components"] = tuple(data["degenerate_components"])
        fields["spurious_components"] = tuple(data.get("spurious_components", ()))
        return cls(**fields)

    def __repr__(self) -> str:
        return (
            f"EMTrace(init={self.init!r}, n_iter={self.n_iter}, stop_reason={self.stop_reason!r}, "
            f"log_likelihood={self.log_likelihood[-1]:.6g}, objective={self.objective[-1]:.6g}"
            + (f", degenerate={list(self.degenerate_components)}" if self.degenerate else "")
            + (f", spurious={list(self.spurious_components)}" if self.spurious else "")
            + ")"
        )

    def params_at(self, iteration: int) -> GMMParams:
        """Parameters of iterate ``iteration`` (0 is the start)."""
        return GMMParams(
            self.weights[iteration],
            self.means[iteration],
            self.covariances[iteration],
            self.covariance_type,
        )


@dataclass(frozen=True, eq=False)
class EMResult:
    """The result of :func:`em.fit`: the best restart and every restart's trace.

    Attributes
    ----------
    params : GMMParams
        The estimate (MLE, or MAP with a prior) in the data's units.
    log_likelihood : float
        Log-likelihood at ``params``.
    objective : float
        Log-likelihood plus log prior at ``params`` (equals ``log_likelihood``
        without a prior).
    n_iter : int
    converged : bool
    stop_reason : str
    tol : float
    max_iter : int
    restarts : tuple of EMTrace
        Every restart, in the order they ran.
    best : int
        Index of the chosen restart: the highest objective among the regular
        ones, with no degenerate and no spurious component (with
        ``select="best"``, among those that did not degenerate); when there is
        none, among those that did not degenerate, then among all.
    prior : GMMPrior or None
        The resolved prior, or None for the MLE.
    n_samples : int
    n_features : int
    raw_best : int or None
        Index of the highest objective among the restarts that did not degenerate,
        spurious or not (the raw best); None means the same as ``best``.
    screen : Screen or None
        The default strategy's screen of random starts (``init="auto"``).
    """

    restarts: tuple[EMTrace, ...]
    best: int
    tol: float
    max_iter: int
    prior: GMMPrior | None
    n_samples: int
    n_features: int
    raw_best: int | None = None
    screen: Screen | None = None

    def __post_init__(self) -> None:
        n = len(self.restarts)
        if n == 0:
            raise InputError("restarts: expected at least one restart, got none")
        for name in ("best", "raw_best"):
            value = getattr(self, name)
            if name == "raw_best" and value is None:
                object.__setattr__(self, "raw_best", self.best)
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n:
                raise InputError(
                    f"{name}: expected an index below {n} (the restarts), got {value!r}"
                )

    def __repr__(self) -> str:
        what = "MAP" if self.prior is not None else "MLE"
        return (
            f"EMResult({what}, n={self.n_samples}, d={self.n_features}, "
            f"K={self.params.n_components}, log_likelihood={self.log_likelihood:.6g}, "
            f"n_iter={self.n_iter}, converged={self.converged}, restarts={len(self.restarts)}, "
            f"best={self.best})"
        )

    def _repr_html_(self) -> str:
        from html import escape

        return f"<pre>{escape(repr(self))}\n{escape(repr(self.params))}</pre>"

    @property
    def basins(self) -> list[Basin]:
        """The distinct optima the starts reached, highest objective first.

        The restarts' ends and the converged ends of the screened starts (with
        ``init="auto"``) whose objectives agree within ``10 * tol`` (relative, at
        least 1e-8) reached the same optimum: each stopped within ``tol`` of it.
        Degenerate restarts stopped before any and are not counted.
        """
        ends = [(float(r.objective[-1]), float(r.log_likelihood[-1]), r.spurious, i)
                for i, r in enumerate(self.restarts) if not r.degenerate]  # fmt: skip
        if self.screen is not None:
            sc = self.screen
            ends += [(float(sc.objective[i]), float(sc.log_likelihood[i]), bool(sc.spurious[i]), -1)
                     for i, status in enumerate(sc.status) if status == "tol"]  # fmt: skip
        ends.sort(key=lambda e: (-e[0], e[3] < 0, e[3]))
        groups: list[list[tuple]] = []
        for end in ends:
            top = groups[-1][0][0] if groups else np.nan
            if abs(end[0] - top) <= max(1e-8, 10 * self.tol) * max(1.0, abs(end[0])):
                groups[-1].append(end)
            else:
                groups.append([end])
        out = []
        for group in groups:
            idx = tuple(sorted(e[3] for e in group if e[3] >= 0))
            head = self.restarts[idx[0]] if idx else None
            out.append(Basin(
                objective=float(head.objective[-1]) if head else group[0][0],
                log_likelihood=float(head.log_likelihood[-1]) if head else group[0][1],
                restarts=idx,
                kinds=tuple(self.restarts[i].init for i in idx),
                screened=sum(e[3] < 0 for e in group),
                spurious=head.spurious if head else group[0][2],
                chosen=self.best in idx,
            ))  # fmt: skip
        return out

    @property
    def problems(self) -> list[tuple[type[Warning], str]]:
        """What a user of this estimate must know, as (warning category, sentence).

        A degenerate estimate (every restart degenerated), a spurious estimate (no
        restart reached a maximum without a spurious component), or a higher,
        spurious maximum set aside.  Restarts set aside for degenerating are not
        a problem of the estimate: they are in :attr:`restarts` and :attr:`basins`.
        """
        if self.degenerate:
            return [(DegenerateComponentWarning,
                     f"every one of the {len(self.restarts)} EM restarts degenerated, e.g. "
                     f"{self.trace.degeneracy}, so the result is degenerate; use fewer "
                     f"components, or {PRIOR_ADVICE}")]  # fmt: skip
        if self.trace.spurious:
            regular = [r for r in self.restarts if not (r.degenerate or r.spurious)]
            if regular:
                top = max(r.log_likelihood[-1] for r in regular)
                why = (f"it was chosen as the best of all (select='best'); the best maximum "
                       f"without one has log-likelihood {top:.6g}")  # fmt: skip
            else:
                why = "no restart reached a maximum without one"
            return [(SpuriousComponentWarning,
                     f"the estimate is a spurious maximum: {self.trace.spurious_reason} ({why}); "
                     f"use fewer components, or {PRIOR_ADVICE}")]  # fmt: skip
        if self.raw_best != self.best:
            raw = self.restarts[self.raw_best]
            return [(SpuriousComponentWarning,
                     f"a higher maximum (log-likelihood {raw.log_likelihood[-1]:.6g}) is spurious: "
                     f"{raw.spurious_reason}; the best maximum without a spurious component "
                     f"({self.log_likelihood:.6g}) was chosen (select='best' in Python, "
                     "--select best with gmm-pp em, takes the other); "
                     f"{PRIOR_ADVICE}")]  # fmt: skip
        return []

    @property
    def trace(self) -> EMTrace:
        """The chosen restart's trace."""
        return self.restarts[self.best]

    @property
    def params(self) -> GMMParams:
        """The estimate, in the data's units."""
        return self.trace.params

    @property
    def log_likelihood(self) -> float:
        """Log-likelihood at ``params``."""
        return float(self.trace.log_likelihood[-1])

    @property
    def objective(self) -> float:
        """Log-likelihood plus log prior at ``params``."""
        return float(self.trace.objective[-1])

    @property
    def n_iter(self) -> int:
        """M-steps taken by the chosen restart."""
        return self.trace.n_iter

    @property
    def converged(self) -> bool:
        """True when the chosen restart met the stopping rule."""
        return self.trace.converged

    @property
    def stop_reason(self) -> str:
        """``"tol"``, ``"max_iter"`` or ``"degenerate"``."""
        return self.trace.stop_reason

    @property
    def degenerate(self) -> bool:
        """True when even the chosen restart degenerated."""
        return self.trace.degenerate

    @property
    def stopping_rule(self) -> str:
        """The rule in words, with its numbers."""
        what = "log-likelihood + log prior" if self.prior is not None else "log-likelihood"
        return (
            f"stop when the {what} rises by at most tol * |value| (tol = {self.tol:g}; "
            "value of the standardised data) "
            f"or after max_iter = {self.max_iter} iterations"
        )

    def to_dict(self) -> dict:
        """Plain values, for JSON (every restart's trace included)."""
        return {
            "restarts": [r.to_dict() for r in self.restarts],
            "best": self.best,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "prior": None if self.prior is None else self.prior.to_dict(),
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "raw_best": self.raw_best,
            "screen": None if self.screen is None else self.screen.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> EMResult:
        """Inverse of :meth:`to_dict`."""
        prior = None if data["prior"] is None else GMMPrior.from_dict(data["prior"])
        return cls(
            restarts=tuple(EMTrace.from_dict(r) for r in data["restarts"]),
            best=data["best"],
            tol=data["tol"],
            max_iter=data["max_iter"],
            prior=prior,
            n_samples=data["n_samples"],
            n_features=data["n_features"],
            raw_best=data.get("raw_best"),
            screen=Screen.from_dict(data["screen"]) if data.get("screen") else None,
        )

    def to_summary(self, feature_names=None) -> dict:
        """The estimate and how it was reached, as plain values (``gmm-pp em --json``).

        Parameters
        ----------
        feature_names : sequence of str, optional
        """
        p = self.params
        return {
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "feature_names": None if feature_names is None else list(feature_names),
            "n_components": p.n_components,
            "prior": None if self.prior is None else self.prior.to_dict(),
            "objective": self.objective,
            "weights": p.weights.tolist(),
            "means": p.means.tolist(),
            "covariance_type": p.covariance_type,
            **(
                {"variances": p.covariances.tolist()}
                if p.covariance_type == "spherical"
                else {"covariances": p.covariances.tolist()}
            ),  # fmt: skip
            "log_likelihood": self.log_likelihood,
            "bic": self.bic(),
            "aic": self.aic(),
            "n_iter": self.n_iter,
            "converged": self.converged,
            "degenerate": self.degenerate,
            "spurious": self.trace.spurious,
            "n_init": len(self.restarts),
            "optima": [
                {
                    "log_likelihood": b.log_likelihood,
                    "objective": b.objective,
                    "restarts": len(b.restarts),
                    "kinds": sorted(set(b.kinds)),
                    "screened": b.screened,
                    "spurious": b.spurious,
                    "chosen": b.chosen,
                }
                for b in self.basins
            ],
        }

    def summary(self, feature_names=None) -> str:
        """A table of weights, means and variances, then the fit's numbers, as text.

        Parameters
        ----------
        feature_names : sequence of str, optional
            Column names for the means (default 0, 1, ...).
        """
        p = self.params
        d = self.n_features
        labels = list(feature_names) if feature_names is not None else list(range(d))
        mean_cols = [f"mean[{c}]" for c in labels] if d <= 6 else ["mean (first 6 coords)"]
        spherical = p.covariance_type == "spherical"
        cov_cols = ["variance"] if spherical else (
            [f"sd[{c}]" for c in labels] if d <= 6 else ["sd (first 6 coords)"])  # fmt: skip
        header = ["component", "weight", *mean_cols, *cov_cols]
        sds = np.sqrt(np.diagonal(p.covariance_matrices(), axis1=1, axis2=2))
        rows = []
        for k, (w, mu) in enumerate(zip(p.weights, p.means, strict=True)):
            mus = [f"{x:.6g}" for x in mu] if d <= 6 else [" ".join(f"{x:.4g}" for x in mu[:6])]
            if spherical:
                covs = [f"{p.covariances[k]:.6g}"]
            else:
                covs = ([f"{x:.6g}" for x in sds[k]] if d <= 6
                        else [" ".join(f"{x:.4g}" for x in sds[k][:6])])  # fmt: skip
            rows.append([str(k), f"{w:.6g}", *mus, *covs])
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        line = (
            f"n = {self.n_samples}, d = {d}, K = {p.n_components}, "
            f"{p.covariance_type} ({mclust_name(p.covariance_type, d)})   "
            f"log-likelihood = {self.log_likelihood:.6f}   BIC = {self.bic():.4f}"
        )
        if self.prior is not None:
            line += f"   MAP objective = {self.objective:.6f}"
        basins = self.basins
        spurious = sum(b.spurious for b in basins)
        lines += [
            "",
            line,
            f"iterations = {self.n_iter}, converged = {self.converged}, "
            f"restarts = {len(self.restarts)} ({self.trace.init} chosen), distinct optima "
            f"reached = {len(basins)}" + (f" ({spurious} spurious)" if spurious else ""),
        ]
        return "\n".join(lines)

    def bic(self) -> float:
        """``-2 loglik + p log n``, ``p`` free parameters (lower is better; em.criteria).

        ``p = K d + K - 1`` plus the covariances' (``K`` for spherical: ``K d + 2K - 1``);
        see :attr:`GMMParams.n_parameters`.
        """
        return criteria.bic(self.log_likelihood, self.params.n_parameters, self.n_samples)

    def aic(self) -> float:
        """``-2 loglik + 2 p``; see :mod:`em.criteria`."""
        return criteria.aic(self.log_likelihood, self.params.n_parameters)

    def icl(self, X) -> float:
        """``BIC + 2 EN(z)``: the BIC plus twice the entropy of the classification of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data this result was fitted to (the result does not keep it).

        See :func:`em.criteria.icl`.
        """
        if np.shape(X)[0] != self.n_samples:
            raise InputError(
                f"X: expected the {self.n_samples} rows this result was fitted to, got "
                f"{np.shape(X)[0]}"
            )
        resp, _ = responsibilities(X, self.params)
        return criteria.icl(self.bic(), criteria.classification_entropy(resp))
