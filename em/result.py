"""Immutable records of an EM run: one restart's trace, and the whole result."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from em import criteria
from em.exceptions import InputError
from em.params import GMMParams
from em.prior import GMMPrior
from em.validation import frozen_array

__all__ = ["EMResult", "EMTrace"]


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
    variances : ndarray of shape (n_iter + 1, n_components)
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
        How the restart was started.
    """

    params: GMMParams
    log_likelihood: np.ndarray
    objective: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    variances: np.ndarray
    n_iter: int
    converged: bool
    stop_reason: str
    degenerate_components: tuple[int, ...] = ()
    degeneracy: str = ""
    init: str = ""

    def __post_init__(self) -> None:
        for name in ("log_likelihood", "objective", "weights", "means", "variances"):
            object.__setattr__(self, name, frozen_array(getattr(self, name), dtype=None))

    @property
    def degenerate(self) -> bool:
        """True when a component collapsed or emptied."""
        return bool(self.degenerate_components)

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        return {
            "params": self.params.to_dict(),
            "log_likelihood": self.log_likelihood.tolist(),
            "objective": self.objective.tolist(),
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "variances": self.variances.tolist(),
            "n_iter": self.n_iter,
            "converged": self.converged,
            "stop_reason": self.stop_reason,
            "degenerate_components": list(self.degenerate_components),
            "degeneracy": self.degeneracy,
            "init": self.init,
        }

    @classmethod
    def from_dict(cls, data: dict) -> EMTrace:
        """Inverse of :meth:`to_dict`."""
        fields = dict(data)
        fields["params"] = GMMParams.from_dict(data["params"])
        for name in ("log_likelihood", "objective", "weights", "means", "variances"):
            fields[name] = np.asarray(data[name], dtype=np.float64)
        fields["degenerate_components"] = tuple(data["degenerate_components"])
        return cls(**fields)

    def __repr__(self) -> str:
        return (
            f"EMTrace(init={self.init!r}, n_iter={self.n_iter}, stop_reason={self.stop_reason!r}, "
            f"log_likelihood={self.log_likelihood[-1]:.6g}, objective={self.objective[-1]:.6g}"
            + (f", degenerate={list(self.degenerate_components)}" if self.degenerate else "")
            + ")"
        )

    def params_at(self, iteration: int) -> GMMParams:
        """Parameters of iterate ``iteration`` (0 is the start)."""
        return GMMParams(self.weights[iteration], self.means[iteration], self.variances[iteration])


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
        ones (a degenerate restart is chosen only when all are degenerate).
    prior : GMMPrior or None
        The resolved prior, or None for the MLE.
    n_samples : int
    n_features : int
    """

    restarts: tuple[EMTrace, ...]
    best: int
    tol: float
    max_iter: int
    prior: GMMPrior | None
    n_samples: int
    n_features: int

    def __post_init__(self) -> None:
        n = len(self.restarts)
        if n == 0:
            raise InputError("restarts: expected at least one restart, got none")
        if isinstance(self.best, bool) or not isinstance(self.best, int) or not 0 <= self.best < n:
            raise InputError(f"best: expected an index below {n} (the restarts), got {self.best!r}")

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
            "variances": p.variances.tolist(),
            "log_likelihood": self.log_likelihood,
            "bic": self.bic(),
            "aic": self.aic(),
            "n_iter": self.n_iter,
            "converged": self.converged,
            "degenerate": self.degenerate,
            "n_init": len(self.restarts),
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
        header = ["component", "weight", *mean_cols, "variance"]
        rows = []
        for k, (w, mu, v) in enumerate(zip(p.weights, p.means, p.variances, strict=True)):
            mus = [f"{x:.6g}" for x in mu] if d <= 6 else [" ".join(f"{x:.4g}" for x in mu[:6])]
            rows.append([str(k), f"{w:.6g}", *mus, f"{v:.6g}"])
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        line = (
            f"n = {self.n_samples}, d = {d}, K = {p.n_components}   "
            f"log-likelihood = {self.log_likelihood:.6f}   BIC = {self.bic():.4f}"
        )
        if self.prior is not None:
            line += f"   MAP objective = {self.objective:.6f}"
        lines += [
            "",
            line,
            f"iterations = {self.n_iter}, converged = {self.converged}, "
            f"restarts = {len(self.restarts)}",
        ]
        return "\n".join(lines)

    def bic(self) -> float:
        """``-2 loglik + p log n``, ``p = K d + 2K - 1`` (lower is better; em.criteria)."""
        return criteria.bic(self.log_likelihood, self.params.n_parameters, self.n_samples)

    def aic(self) -> float:
        """``-2 loglik + 2 p``; see :mod:`em.criteria`."""
        return criteria.aic(self.log_likelihood, self.params.n_parameters)
