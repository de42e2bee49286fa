"""The ``gmm-pp`` command line: the entry point, safe against Ctrl-C from its first line.

Only the standard library is imported here.  :func:`main` installs the signal
handling and then imports :mod:`gmm_pp.cli.commands` (and :mod:`gmm_pp.cli.parser`),
so an interrupt at any moment -- while NumPy or PyMC load, while a model
compiles, samples or a report is written -- ends with one line and exit code
130 (143 for SIGTERM), after the output policy of :mod:`gmm_pp.io` has removed
whatever was half-written.  Errors of the project's own kind print one line and
exit 1 (2 for usage errors); any other exception is a bug and keeps its
traceback.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

__all__ = ["EXIT_INTERRUPTED", "EXIT_TERMINATED", "console", "main"]

#: Exit codes after SIGINT (Ctrl-C) and SIGTERM, as a shell reports a process they end.
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class _Terminated(BaseException):
    """SIGTERM, raised where the process is so that every cleanup runs."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def _install(signum, handler):
    """Set a signal handler from the main thread; elsewhere leave it (return None)."""
    if handler is None:
        return None
    try:
        return signal.signal(signum, handler)
    except ValueError:  # not the main thread
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 for bad input or a refused write, 2 for a usage error,
        130 when interrupted (Ctrl-C), 143 when terminated (SIGTERM).
    """
    previous = _install(signal.SIGTERM, _on_sigterm)
    try:
        from gmm_pp.cli.commands import run

        return run(argv)
    except KeyboardInterrupt:
        print("gmm-pp: interrupted; nothing partial was saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _Terminated:
        print("gmm-pp: terminated; nothing partial was saved", file=sys.stderr)
        return EXIT_TERMINATED
    finally:
        _install(signal.SIGTERM, previous)


def console() -> None:
    """The ``gmm-pp`` program: :func:`main`, then exit with its code.

    Once the command has finished, a late Ctrl-C (while the interpreter shuts
    down) no longer interrupts anything: it is ignored, so the exit code is the
    command's.  After an interrupt the process ends at once with 130 (143): CPython
    would otherwise end by re-raising SIGINT when the interrupt passed through
    some C-level code (a Cython module's initialisation, for one), even though
    it was handled -- and by then the output policy has removed everything
    half-written.
    """
    code = main()
    _install(signal.SIGINT, signal.SIG_IGN)
    _install(signal.SIGTERM, signal.SIG_IGN)
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
