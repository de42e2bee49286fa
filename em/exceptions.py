"""Warnings and errors raised by the EM engine (and, through them, by all of gmm-pp).

Every error the project raises on purpose -- bad input, a refused action -- is a
:class:`GMMError`, so a caller (the ``gmm-pp`` command among them) can tell them
from bugs.  The concrete classes also derive from the built-in ``ValueError`` or
``TypeError``, as scikit-learn's do, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DegenerateComponentWarning",
    "GMMError",
    "InputError",
    "InputTypeError",
    "NotFittedError",
    "SpuriousComponentWarning",
]


class GMMError(Exception):
    """Base class of the errors gmm-pp raises on purpose; the message is for the user."""


class InputError(GMMError, ValueError):
    """An argument or a data value is invalid.

    The message names it, what was expected, what was received and what to do.
    """


class InputTypeError(GMMError, TypeError):
    """An argument has the wrong type (the message names it)."""


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before meeting its stopping rule."""


class DegenerateComponentWarning(UserWarning):
    """A component collapsed onto a point or lost all its data."""


class SpuriousComponentWarning(UserWarning):
    """A maximum has a component fitted to a few points close together."""


class NotFittedError(InputError, AttributeError):
    """An estimator was used before ``fit`` was called."""
