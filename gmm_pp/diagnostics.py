"""Convergence diagnostics computed by the project (nutpie prints none).

The parameters' names they report under live here too (the one home of each
structure's names: :func:`flat_params`, :func:`covariance_variable`).  R-hat
(rank-normalised split), bulk and tail ESS (ArviZ's array functions),
divergences, and the share of draws relabelled, with a warning that says what
to do when R-hat > RHAT_MAX (1.01), ESS per chain < ESS_PER_CHAIN_MIN (100) or any
transition diverged.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = [
    "ESS_PER_CHAIN_MIN",
    "RHAT_MAX",
    "Diagnostics",
    "SamplingWarning",
    "covariance_variable",
    "diagnose",
    "flat_index",
    "flat_params",
]

#: The thresholds of the sampler's warnings (and of every figure and caption that shows them).
RHAT_MAX = 1.01
ESS_PER_CHAIN_MIN = 100


class SamplingWarning(UserWarning):
    """The posterior sample may not be trustworthy."""


@dataclass(frozen=True)
class Diagnostics:
    """Summary of the sampler's health, after relabelling unless said otherwise.

    Attributes
    ----------
    rhat_max : float
    rhat_max_before_relabelling : float
    ess_bulk_min, ess_tail_min : float
    divergences : int
    share_relabelled : float
        Fraction of draws whose labels were permuted to match EM.
    chains, draws : int
    per_parameter : dict
        ``{name: {"rhat": ..., "ess_bulk": ..., "ess_tail": ...}}``.
    problems : list of str
        What is wrong, in words (empty when healthy).
    """

    rhat_max: float
    rhat_max_before_relabelling: float
    ess_bulk_min: float
    ess_tail_min: float
    divergences: int
    share_relabelled: float
    chains: int
    draws: int
    per_parameter: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"Diagnostics(rhat_max={self.rhat_max:.4f}, ess_bulk_min={self.ess_bulk_min:.0f}, "
            f"ess_tail_min={self.ess_tail_min:.0f}, divergences={self.divergences}, "
            f"chains={self.chains}, draws={self.draws}, problems={len(self.problems)})"
        )

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Diagnostics:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)


def covariance_variable(covariance_type: str) -> tuple[str, tuple[str, ...]]:
    """The posterior's covariance variable and its dims (after chain and draw).

    ``("variances", ("component",))`` for spherical; ``("covariances", dims)``
    with dims (component, feature), (feature, feature_col) or (component,
    feature, feature_col) for diag, tied and full.
    """
    dims = {
        "spherical": ("component",),
        "diag": ("component", "feature"),
        "tied": ("feature", "feature_col"),
        "full": ("component", "feature", "feature_col"),
    }[covariance_type]
    return ("variances" if covariance_type == "spherical" else "covariances"), dims


def flat_index(
    n_components: int, n_features: int, covariance_type: str = "spherical"
) -> list[tuple[str, int, tuple[int, ...]]]:
    """``(kind, component, coordinates)`` of every scalar parameter.

    In :func:`flat_params`'s order: weights, then means (component by
    component), then the covariances' free entries: ``("variance", j, ())``
    (spherical), ``("variance", j, (c,))`` (diag), ``("cov", -1, (a, b))`` (tied)
    or ``("cov", j, (a, b))`` (full), with ``a >= b`` (the lower triangle, the
    variances on its diagonal).  A mean is ``("mean", j, (c,))``, a weight
    ``("weight", j, ())``.
    """
    k, d = n_components, n_features
    lower = [(a, b) for a in range(d) for b in range(a + 1)]
    covariances = {
        "spherical": [("variance", j, ()) for j in range(k)],
        "diag": [("variance", j, (c,)) for j in range(k) for c in range(d)],
        "tied": [("cov", -1, ab) for ab in lower],
        "full": [("cov", j, ab) for j in range(k) for ab in lower],
    }[covariance_type]
    return (
        [("weight", j, ()) for j in range(k)]
        + [("mean", j, (c,)) for j in range(k) for c in range(d)]
        + covariances
    )


def flat_params(
    weights, means, covariances, feature_names=None, covariance_type: str = "spherical"
) -> dict[str, np.ndarray]:
    """Every scalar parameter by its name.

    ``weight[j]``, ``mean[j,c]``, then ``variance[j]`` (spherical),
    ``variance[j,c]`` (diag), ``cov[a,b]`` (tied) or ``cov[j,a,b]`` (full) for the
    lower triangle ``a >= b``.

    Parameters
    ----------
    weights : ndarray of shape (..., K)
    means : ndarray of shape (..., K, d)
    covariances : ndarray
        Of shape (..., K) (spherical: the variances), (..., K, d), (..., d, d) or
        (..., K, d, d): draws (leading axes chain, draw) or one estimate.
    feature_names : sequence of str, optional
        The data's column names: a mean is then ``mean[j,eruptions]``.
    covariance_type : {"spherical", "diag", "tied", "full"}

    Returns
    -------
    dict
        Name -> ndarray of shape (...), in :func:`flat_index`'s order.
    """
    means = np.asarray(means)
    covariances = np.asarray(covariances)
    k, d = means.shape[-2:]
    labels = list(range(d)) if feature_names is None else list(feature_names)
    out = {}
    for kind, j, where in flat_index(k, d, covariance_type):
        if kind == "weight":
            out[f"weight[{j}]"] = np.asarray(weights)[..., j]
        elif kind == "mean":
            out[f"mean[{j},{labels[where[0]]}]"] = means[..., j, where[0]]
        else:
            index = ((j,) if j >= 0 else ()) + where
            name = ",".join([*([str(j)] if j >= 0 else []), *(str(labels[c]) for c in where)])
            out[f"{kind}[{name}]"] = covariances[(..., *index)]
    return out


def _stack(params: dict[str, np.ndarray]) -> np.ndarray:
    """(chain, draw, parameter) array of every scalar parameter."""
    return np.stack(list(params.values()), axis=-1)


def _rhat(x: np.ndarray) -> np.ndarray:
    """Rank-normalised split R-hat per parameter of a (chain, draw, parameter) array."""
    import arviz as az

    if x.shape[0] < 2:
        return np.full(x.shape[-1], np.nan)
    return np.asarray(az.rhat(x, chain_axis=0, draw_axis=1), dtype=np.float64)


def _ess(x: np.ndarray, method: str) -> np.ndarray:
    """Bulk or tail ESS per parameter of a (chain, draw, parameter) array."""
    import arviz as az

    # Tail ESS: the smaller ESS of the 5% and 95% quantiles (Vehtari et al., 2021).
    prob = (0.05, 0.95) if method == "tail" else None
    return np.asarray(
        az.ess(x, method=method, prob=prob, chain_axis=0, draw_axis=1), dtype=np.float64
    )


def diagnose(
    raw,
    relabelled,
    divergences: int,
    share_relabelled: float,
    feature_names=None,
    covariance_type: str = "spherical",
) -> Diagnostics:
    """Diagnostics of a sample.

    Parameters
    ----------
    raw, relabelled : tuple of arrays (weights, means, covariances)
        Shapes (chain, draw, K), (chain, draw, K, d) and (chain, draw, ...) of the
        structure's covariances: the draws as sampled and after relabelling.
    divergences : int
    share_relabelled : float
    feature_names : sequence of str, optional
        Names the means' coordinates in ``per_parameter``.
    covariance_type : {"spherical", "diag", "tied", "full"}

    Returns
    -------
    Diagnostics
        Warns with SamplingWarning when a threshold is crossed.
    """
    after = flat_params(*relabelled, feature_names, covariance_type)
    chains, draws = relabelled[0].shape[:2]
    stacked = _stack(after)
    rhat, bulk, tail = _rhat(stacked), _ess(stacked, "bulk"), _ess(stacked, "tail")
    per = {
        name: {"rhat": float(rhat[i]), "ess_bulk": float(bulk[i]), "ess_tail": float(tail[i])}
        for i, name in enumerate(after)
    }
    rhat_before = float(np.nanmax(_rhat(_stack(flat_params(*raw, None, covariance_type)))))
    rhat_max = float(np.nanmax([p["rhat"] for p in per.values()]))
    ess_bulk = float(np.nanmin([p["ess_bulk"] for p in per.values()]))
    ess_tail = float(np.nanmin([p["ess_tail"] for p in per.values()]))
    problems = []
    if rhat_max > RHAT_MAX:
        problems.append(
            f"R-hat is {rhat_max:.3f} > {RHAT_MAX} after relabelling: chains disagree; "
            "run more tuning and draws, or check for a multimodal posterior"
        )
    if ess_bulk / chains < ESS_PER_CHAIN_MIN or ess_tail / chains < ESS_PER_CHAIN_MIN:
        problems.append(
            f"ESS per chain is {min(ess_bulk, ess_tail) / chains:.0f} < {ESS_PER_CHAIN_MIN}: "
            "run more draws"
        )
    if divergences:
        problems.append(
            f"{divergences} divergent transitions: raise target_accept (e.g. 0.95) "
            "or use a more informative prior"
        )
    result = Diagnostics(
        rhat_max=rhat_max,
        rhat_max_before_relabelling=float(rhat_before),
        ess_bulk_min=ess_bulk,
        ess_tail_min=ess_tail,
        divergences=int(divergences),
        share_relabelled=float(share_relabelled),
        chains=int(chains),
        draws=int(draws),
        per_parameter=per,
        problems=problems,
    )
    if problems:
        warnings.warn("; ".join(problems), SamplingWarning, stacklevel=2)
    return result
