"""Progress of long steps, for a person in a terminal and for a log.

Everything goes through the standard ``logging`` logger ``"gmm_pp"`` at INFO
level: a line when a step starts, a line every ``every`` seconds while it runs
(so a log shows that a minute-long compile is alive), and one when it ends,
with its duration.  The ``gmm-pp`` command shows them on stderr (not with
``--quiet``); in Python, ``logging.basicConfig(level=logging.INFO)`` or
:func:`show` does.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator

__all__ = ["EVERY", "LOGGER", "SamplingProgress", "show", "step"]

LOGGER = logging.getLogger("gmm_pp")

#: Seconds between the lines of a running step.
EVERY = 10.0


def show(stream=None, *, level: int = logging.INFO) -> logging.Handler:
    """Print gmm-pp's progress lines on ``stream`` (default stderr) as ``gmm-pp: ...``.

    Returns
    -------
    logging.Handler
        Remove it with ``logging.getLogger("gmm_pp").removeHandler(handler)``.
    """
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(logging.Formatter("gmm-pp: %(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(level)
    return handler


def _clock(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s"


@contextlib.contextmanager
def step(
    what: str, *, every: float | None = EVERY, status: Callable[[], str] | None = None
) -> Iterator[None]:
    """Log the start of ``what``, a line every ``every`` s while it runs, and its end.

    Parameters
    ----------
    what : str
        The step, e.g. "compiling the PyMC model for 500 x 2, K = 3".
    every : float or None
        Seconds between "still running" lines; None for none (when something
        else shows the progress, such as nutpie's bar on a terminal).
    status : callable, optional
        Returns a few words on how far the step is (e.g. draws done), added to
        each running line.
    """
    if not LOGGER.isEnabledFor(logging.INFO):
        yield
        return
    start = time.perf_counter()
    LOGGER.info("%s ...", what)
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every):
            extra = status() if status is not None else ""
            elapsed = _clock(time.perf_counter() - start)
            LOGGER.info("%s: %s so far%s", what, elapsed, f", {extra}" if extra else "")

    thread = threading.Thread(target=beat, name="gmm-pp-progress", daemon=True)
    if every is not None:
        thread.start()
    try:
        yield
    finally:
        done.set()
        if every is not None:
            thread.join()
    LOGGER.info("%s: done in %s", what, _clock(time.perf_counter() - start))


class SamplingProgress:
    """Draws done and an estimate of the time left, from nutpie's progress callback.

    Pass :meth:`callback` as ``nutpie.sample(progress_callback=...)`` and
    :meth:`status` as :func:`step`'s ``status``.
    """

    def __init__(self) -> None:
        self.done = 0
        self.total = 0
        self.start = time.perf_counter()

    def callback(self, chains) -> None:
        """Record nutpie's per-chain progress (``finished_draws``, ``total_draws``)."""
        self.done = sum(int(c.finished_draws) for c in chains)
        self.total = sum(int(c.total_draws) for c in chains)

    def status(self) -> str:
        """``"3200 of 8000 draws (40%), about 6 s left"``."""
        if not self.total:
            return "starting the chains"
        share = self.done / self.total
        text = f"{self.done} of {self.total} draws ({100 * share:.0f}%)"
        if self.done > 0:
            elapsed = time.perf_counter() - self.start
            text += f", about {_clock(elapsed * (1 - share) / share)} left"
        return text
