"""The posterior fits the lessons share: ``compare`` with lesson-sized sampling, warnings kept."""

from __future__ import annotations

import warnings

from gmm_pp.config import SamplerConfig

__all__ = ["LESSON_SAMPLER", "quiet_compare"]

#: Enough for a lesson's pictures; tests pass fewer draws.
LESSON_SAMPLER = SamplerConfig(draws=500, tune=500, chains=4)


def quiet_compare(X, k, *, sampler: SamplerConfig | None, seed: int, **kwargs):
    """``gmm_pp.compare`` with its warnings collected: ``(comparison, [first lines])``."""
    from gmm_pp.pipeline import compare

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comp = compare(X, k, sampler=sampler or LESSON_SAMPLER, seed=seed, **kwargs)
    return comp, sorted({str(w.message).splitlines()[0] for w in caught})
