"""The errors gmm-pp raises on purpose, all under one base class.

:class:`GMMError` (defined in :mod:`em`, the lowest layer) is the base of every
error that is the user's to fix: bad input, a refused write, a file that is not
what it claims to be.  The ``gmm-pp`` command prints those as one line; any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

from em.exceptions import GMMError, InputError, InputTypeError

__all__ = [
    "ComparisonFormatError",
    "DataError",
    "GMMError",
    "InputError",
    "InputTypeError",
    "OutputError",
    "SamplingError",
]


class DataError(InputError):
    """A data file that cannot be read as a numeric table."""


class OutputError(GMMError, OSError):
    """A write that was refused, or that the file system failed.

    Refused: the target exists (without overwrite), is a file, holds the input,
    or is being written by another process.
    """


class ComparisonFormatError(GMMError, ValueError):
    """A folder or file that is not a comparison written by gmm-pp (or was altered)."""


class SamplingError(GMMError, RuntimeError):
    """The sampler did not deliver a complete sample (never turned into a result)."""
