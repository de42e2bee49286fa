"""Lessons on EM, MLE and Bayes: ``gmm-pp teach LESSON`` writes each as an HTML page.

A lesson is a page like the report: its numbers come from :mod:`em` and
:mod:`gmm_pp` (each lesson module computes them), its figures are drawn by the
functions of :mod:`reports.lessons.plots` (named in the lesson by the function
itself), and :mod:`reports.lessons.page` writes it.

>>> from reports.lessons import LESSONS, build_lesson
>>> sorted(LESSONS)[:2]
['course-example', 'degeneracy']
"""

from __future__ import annotations

from collections.abc import Callable

from gmm_pp.errors import InputError
from reports.lessons.bayes import mle_vs_bayes
from reports.lessons.choosing import choosing_k
from reports.lessons.course import course_example
from reports.lessons.covariance import covariance_lesson
from reports.lessons.degeneracy import degeneracy
from reports.lessons.gradient import gradient_lesson
from reports.lessons.initialisation import initialisation
from reports.lessons.lesson import Figure, Lesson, Section, Table
from reports.lessons.page import render_lesson, write_lesson

__all__ = [
    "LESSONS",
    "Figure",
    "Lesson",
    "Section",
    "Table",
    "build_lesson",
    "render_lesson",
    "write_lesson",
]


#: name -> (one-line description, builder)
LESSONS: dict[str, tuple[str, Callable[..., Lesson]]] = {
    "course-example": ("the course's 1-D example: E- and M-step by hand, then EM", course_example),
    "initialisation": ("many starts, many optima: where EM, MAP and chains end", initialisation),
    "mle-vs-bayes": ("n = 10 to 5000: the posterior narrows onto the MLE", mle_vs_bayes),
    "degeneracy": ("the unbounded likelihood, and how the prior bounds it", degeneracy),
    "gradient": ("EM as preconditioned gradient ascent, against plain ascent", gradient_lesson),
    "covariance": ("beyond circles: diag, tied and full covariances on faithful",
                   covariance_lesson),
    "choosing-k": ("the likelihood always rises with K: BIC, ICL and LOO do not",
                   choosing_k),
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
