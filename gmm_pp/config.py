"""Sampler settings: one frozen record, the single home of their defaults.

Prior settings live apart, in :class:`em.GMMPrior`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from em.validation import check_positive_int, check_real

__all__ = ["SamplerConfig"]


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

    # ``metadata`` documents each field once: the command line's flags are made from it.
    draws: int = field(default=1000, metadata={"help": "posterior draws per chain"})
    tune: int = field(default=1000, metadata={"help": "tuning steps per chain"})
    chains: int = field(default=4, metadata={"help": "chains"})
    target_accept: float = field(default=0.8, metadata={"help": "NUTS target acceptance"})
    cores: int | None = field(default=None, metadata={"help": "chains run in parallel"})
    progress: bool = field(default=False, metadata={"help": "nutpie's progress bar"})

    def __post_init__(self) -> None:
        check_positive_int(self.draws, "draws", minimum=1)
        check_positive_int(self.tune, "tune", minimum=0)
        check_positive_int(self.chains, "chains", minimum=1)
        if self.cores is not None:
            check_positive_int(self.cores, "cores", minimum=1)
        check_real(self.target_accept, "target_accept", minimum=0.0, maximum=1.0, strict=True)

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        return asdict(self)
