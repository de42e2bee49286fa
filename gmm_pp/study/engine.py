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
import threading
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
    """Replications done, failed, rate and time left, on stderr.

    A first line at once; then redrawn in place on a terminal, or a line every
    ``every`` s in a log (also while nothing finishes, so a log shows the study
    is alive).  The rate and the time left are measured from the first
    replication finished in this run (the workers' start-up, which loads or
    compiles the model, is not a replication's cost), and shown only once two
    have finished.  ``label`` and ``unit`` name the run and its tasks ("study",
    "replications"; "select", "values of K"), ``first`` what the first line says of
    the first tasks ("" for nothing).
    """

    def __init__(
        self,
        total: int,
        *,
        enabled: bool = True,
        every: float = 10.0,
        stream=None,
        label: str = "study",
        unit: str = "replications",
        first: str = "the first ones include loading or compiling the model",
    ):
        self.total, self.done, self.failed = total, 0, 0
        # what runs, in what units, and what to know of the first tasks (or "")
        self.label, self.unit, self.first_note = label, unit, first
        self.before = 0  # finished in an earlier run
        self.enabled, self.every = enabled, every
        self.stream = sys.stderr if stream is None else stream
        self.start = self.last = time.perf_counter()
        self.first: float | None = None  # when this run's first replication finished
        self.ran = 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def begin(self, done_before: int, where: str) -> None:
        """Say at once what will run, and where; start the log's heartbeat."""
        self.done = self.before = done_before
        if not self.enabled:
            return
        todo = self.total - done_before
        self._write(
            f"{self.label}: {todo} of {self.total} {self.unit} to run ({done_before} finished "
            f"before), {where}" + (f"; {self.first_note}" if self.first_note else ""),
            newline=True,
        )
        if not self.tty and todo:
            self._thread = threading.Thread(target=self._beat, daemon=True, name="study-progress")
            self._thread.start()

    def end(self) -> None:
        """Stop the heartbeat."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.every / 2):
            if time.perf_counter() - self.last >= self.every:
                self._write(self.line(), newline=True)

    def line(self) -> str:
        """The progress line."""
        now = time.perf_counter()
        text = (
            f"{self.label}: {self.done}/{self.total} {self.unit} ({self.failed} failed), "
            f"elapsed {_clock(now - self.start)}"
        )
        if self.first is not None and self.ran >= 2 and now > self.first:
            rate = (self.ran - 1) / (now - self.first)
            left = (self.total - self.done) / rate
            text += f", {rate * 60:.1f}/min, about {_clock(left)} left"
        return text

    def _write(self, text: str, *, newline: bool) -> None:
        with self._lock:
            if self.tty and not newline:
                self.stream.write("\r" + text)
            else:
                self.stream.write(text + "\n")
            self.stream.flush()
            self.last = time.perf_counter()

    def update(self, failed: bool) -> None:
        """Count one finished replication."""
        self.done += 1
        self.ran += 1
        self.failed += int(failed)
        if self.first is None:
            self.first = time.perf_counter()
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.tty:
            self._write(self.line(), newline=False)
            if self.done == self.total:
                self._write("", newline=True)
        elif now - self.last >= self.every or self.done == self.total:
            self._write(self.line(), newline=True)


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def run_tasks(
    tasks: Iterable[Task],
    pool: cf.Executor,
    on_result: Callable[[dict], None],
    fn: Callable[[Task], dict] = run_replication,
    failure: Callable[[object, str], dict] | None = None,
) -> Iterator[dict]:
    """Submit every task, and hand each result to ``on_result`` as it completes.

    Yields the results in completion order.  A task whose worker failed (the
    process died, or ``fn`` itself raised) yields ``failure(task, error)``
    (default: a study's failed replication) marked ``"transient": True``: it is
    reported, not stored, so a rerun retries it.
    """
    if isinstance(pool, _SerialExecutor):  # one at a time, each stored before the next
        pairs = ((pool.submit(fn, task), task) for task in tasks)
        for future, task in pairs:
            result = _result(future, task, failure)
            on_result(result)
            yield result
        return
    futures = {pool.submit(fn, task): task for task in tasks}
    try:
        for future in cf.as_completed(futures):
            result = _result(future, futures[future], failure)
            on_result(result)
            yield result
    finally:
        for future in futures:
            future.cancel()


def _result(future: cf.Future, task, failure) -> dict:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - the worker itself failed
        from gmm_pp.study.replicate import failed_result

        first = (str(exc).strip().splitlines() or [""])[0]
        result = (failure or failed_result)(task, f"{type(exc).__name__}: {first} (worker)")
        result["transient"] = True
        return result
