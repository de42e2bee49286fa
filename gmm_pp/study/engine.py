"""Where replications run: in this process, a local process pool, or Dask distributed.

Every engine is a ``concurrent.futures.Executor`` (Dask's through
``client.get_executor()``), driven by the same loop; results are keyed by
replication, so the tables never depend on the engine, the number of workers
or the order in which replications finish.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator

from gmm_pp.errors import InputError
from gmm_pp.study.replicate import Task, run_replication

__all__ = ["ENGINES", "Progress", "executor", "run_tasks"]

ENGINES = ("local", "dask", "serial")


def init_worker() -> None:
    """Prepare a fresh worker process for replications.

    Ctrl-C is left to the main process, which stops the workers itself.  (The
    PyTensor flags that make draws reproducible are set by every compile, in
    :mod:`gmm_pp.compiled`, not here.)
    """
    import logging

    with contextlib.suppress(ValueError):  # not the main thread (a Dask worker thread)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A stopped study cancels the tasks in flight; Dask workers would log each as a warning.
    logging.getLogger("distributed").setLevel(logging.ERROR)


class _SerialExecutor(cf.Executor):
    """Runs each task when submitted, in this process (debugging, tests)."""

    def submit(self, fn, /, *args, **kwargs):  # noqa: D102
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            if isinstance(exc, KeyboardInterrupt):
                raise
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def executor(engine: str, workers: int | None = None, address: str | None = None):
    """An Executor for ``engine``; closed (and a local Dask cluster stopped) on exit.

    Parameters
    ----------
    engine : {"local", "dask", "serial"}
    workers : int, optional
        Worker processes (default: the machine's cores).  Ignored with ``address``.
    address : str, optional
        A running Dask scheduler (``tcp://host:8786``); implies ``engine="dask"``.
    """
    if engine not in ENGINES:
        raise InputError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    n = workers or os.cpu_count() or 1
    if engine == "serial":
        yield _SerialExecutor()
    elif engine == "local":
        pool = cf.ProcessPoolExecutor(
            max_workers=n, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker
        )
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError(
                "engine 'dask' needs Dask distributed: pip install 'gmm-pp[dask]'"
            ) from None
        if address:
            client = Client(address)
            cluster = None
        else:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:  # its processes inherit SIG_IGN: Ctrl-C reaches only this process
                cluster = LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
                )
            finally:
                signal.signal(signal.SIGINT, previous)
            client = Client(cluster)
        try:
            client.run(init_worker)
            yield client.get_executor()
        finally:
            with _quiet("distributed"):  # workers closing log broken heartbeats: noise
                client.close()
                if cluster is not None:
                    cluster.close()


@contextlib.contextmanager
def _quiet(name: str):
    import logging

    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


class Progress:
    """Replications done, failed, rate and ETA, on one line of stderr.

    Redrawn in place on a terminal; otherwise a line at most every ``every`` s.
    """

    def __init__(self, total: int, *, enabled: bool = True, every: float = 10.0, stream=None):
        self.total, self.done, self.failed = total, 0, 0
        self.enabled, self.every = enabled, every
        self.stream = sys.stderr if stream is None else stream
        self.start = self.last = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self) -> str:
        """The progress line."""
        elapsed = time.perf_counter() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta_text = "--" if eta != eta else _clock(eta)
        return (
            f"study: {self.done}/{self.total} replications ({self.failed} failed), "
            f"{rate * 60:.1f}/min, elapsed {_clock(elapsed)}, ETA {eta_text}"
        )

    def update(self, failed: bool) -> None:
        """Count one finished replication."""
        self.done += 1
        self.failed += int(failed)
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.tty:
            self.stream.write("\r" + self.line())
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif now - self.last >= self.every or self.done == self.total:
            self.stream.write(self.line() + "\n")
            self.stream.flush()
            self.last = now


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def run_tasks(
    tasks: Iterable[Task],
    pool: cf.Executor,
    on_result: Callable[[dict], None],
    fn: Callable[[Task], dict] = run_replication,
) -> Iterator[dict]:
    """Submit every task, and hand each result to ``on_result`` as it completes.

    Yields the results in completion order.  A task whose worker failed (the
    process died, or ``fn`` itself raised) yields a failed result marked
    ``"transient": True``: it is reported, not stored, so a rerun retries it.
    """
    if isinstance(pool, _SerialExecutor):  # one at a time, each stored before the next
        pairs = ((pool.submit(fn, task), task) for task in tasks)
        for future, task in pairs:
            result = _result(future, task)
            on_result(result)
            yield result
        return
    futures = {pool.submit(fn, task): task for task in tasks}
    try:
        for future in cf.as_completed(futures):
            result = _result(future, futures[future])
            on_result(result)
            yield result
    finally:
        for future in futures:
            future.cancel()


def _result(future: cf.Future, task: Task) -> dict:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - the worker itself failed
        from gmm_pp.study.replicate import failed_result

        first = (str(exc).strip().splitlines() or [""])[0]
        result = failed_result(task, f"{type(exc).__name__}: {first} (worker)")
        result["transient"] = True
        return result
