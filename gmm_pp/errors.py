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
    "describe_failure",
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


def describe_failure(exc: BaseException) -> str:
    """An exception in one line, with where it was raised: how a failed task is recorded.

    ``"TypeError: its first line (file.py:12)"``.
    """
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    first = (str(exc).strip().splitlines() or [""])[0]
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {first}{where}"
