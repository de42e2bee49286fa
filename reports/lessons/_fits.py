"""The posterior fits the lessons share: ``compare`` with lesson-sized sampling, warnings kept."""

from __future__ import annotations

import warnings

from gmm_pp.config import SamplerConfig

__all__ = ["LESSON_SAMPLER", "quiet_compare"]

#: Enough for a lesson's pictures and for clean diagnostics on every lesson's data
#: (tests/reports/test_lessons.py runs them so); tests of the pages pass fewer draws.
LESSON_SAMPLER = SamplerConfig(draws=2000, tune=1000, chains=4)


def quiet_compare(
    X, k, *, sampler: SamplerConfig | None, seed: int, explained: tuple = (), **kwargs
):
    """``gmm_pp.compare`` with its warnings collected: ``(comparison, [first lines])``.

    Warnings of the categories in ``explained`` are left out: the lesson's text
    explains them.
    """
    from gmm_pp.pipeline import compare

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comp = compare(X, k, sampler=sampler or LESSON_SAMPLER, seed=seed, **kwargs)
    kept = [w for w in caught if not issubclass(w.category, explained)]
    return comp, sorted({str(w.message).splitlines()[0] for w in kept})
