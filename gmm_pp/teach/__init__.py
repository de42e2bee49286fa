"""Lessons on EM, MLE and Bayes: ``gmm-pp teach LESSON`` writes each as an HTML page.

>>> from gmm_pp.teach import LESSONS, build_lesson
>>> sorted(LESSONS)[:2]
['course-example', 'degeneracy']
"""

from __future__ import annotations

from collections.abc import Callable

from gmm_pp.errors import InputError
from gmm_pp.teach.lesson import Figure, Lesson, Section, Table

__all__ = ["LESSONS", "Figure", "Lesson", "Section", "Table", "build_lesson"]


def _course(**kw) -> Lesson:
    from gmm_pp.teach.course import course_example

    return course_example(**kw)


def _initialisation(**kw) -> Lesson:
    from gmm_pp.teach.initialisation import initialisation

    return initialisation(**kw)


def _bayes(**kw) -> Lesson:
    from gmm_pp.teach.bayes import mle_vs_bayes

    return mle_vs_bayes(**kw)


def _degeneracy(**kw) -> Lesson:
    from gmm_pp.teach.degeneracy import degeneracy

    return degeneracy(**kw)


def _gradient(**kw) -> Lesson:
    from gmm_pp.teach.gradient_lesson import gradient_lesson

    return gradient_lesson(**kw)


#: name -> (one-line description, builder)
LESSONS: dict[str, tuple[str, Callable[..., Lesson]]] = {
    "course-example": ("the course's 1-D example: one E-step and M-step by hand, then EM", _course),
    "initialisation": ("many starts, many optima: where EM, MAP and chains end", _initialisation),
    "mle-vs-bayes": ("n = 10 to 5000: the posterior narrows onto the MLE", _bayes),
    "degeneracy": ("the unbounded likelihood, and how the prior bounds it", _degeneracy),
    "gradient": ("EM as preconditioned gradient ascent, against plain gradient ascent", _gradient),
}  # fmt: skip


def build_lesson(name: str, **options) -> Lesson:
    """Compute a lesson by name (see :data:`LESSONS`).

    Parameters
    ----------
    name : str
    **options
        ``seed`` (int), and for the lessons that sample a posterior ``sampler``
        (a SamplerConfig) -- fewer draws make them quicker.
    """
    if name not in LESSONS:
        raise InputError(f"LESSON: expected one of {', '.join(LESSONS)}, got {name!r}")
    return LESSONS[name][1](**options)
