"""Warnings and errors raised by the EM engine."""

from __future__ import annotations

__all__ = ["ConvergenceWarning", "DegenerateComponentWarning", "NotFittedError"]


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before meeting its stopping rule."""


class DegenerateComponentWarning(UserWarning):
    """A component collapsed onto a point or lost all its data."""


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit`` was called."""
