"""Sampler settings: one frozen record, the single home of their defaults.

Prior settings live apart, in :class:`em.GMMPrior`.
"""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass

from gmm_pp.errors import InputError

__all__ = ["SamplerConfig"]


def _check_int(value, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InputError(f"{name}: expected an integer >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class SamplerConfig:
    """How the posterior is sampled (nutpie's NUTS through PyMC).

    Parameters
    ----------
    draws : int, default 1000
        Kept draws per chain.
    tune : int, default 1000
        Tuning (warm-up) draws per chain, discarded.
    chains : int, default 4
    target_accept : float, default 0.8
        NUTS target acceptance; raise it (0.9, 0.95) when there are divergences.
    cores : int or None
        Chains run in parallel; None uses every core.  Use 1 inside worker processes.
    progress : bool, default False
        Show nutpie's progress bar.
    """

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.8
    cores: int | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        _check_int(self.draws, "draws", 1)
        _check_int(self.tune, "tune", 0)
        _check_int(self.chains, "chains", 1)
        if self.cores is not None:
            _check_int(self.cores, "cores", 1)
        ta = self.target_accept
        if isinstance(ta, bool) or not isinstance(ta, numbers.Real) or not 0.0 < ta < 1.0:
            raise InputError(f"target_accept: expected a number in (0, 1), got {ta!r}")

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        return asdict(self)
