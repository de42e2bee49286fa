"""Blocks of work on a small shared thread pool.

Large E- and M-steps sweep the data in fixed blocks that fit in cache.  With
more than one thread, BLAS is held to one thread for the duration (its idle
workers otherwise spin and steal the cores from the sweep).
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from em import defaults

__all__ = ["column_blocks", "map_blocks", "sweeping"]

_POOL: ThreadPoolExecutor | None = None
_CONTROLLER = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(defaults.N_THREADS, thread_name_prefix="em")
        atexit.register(_POOL.shutdown, wait=False)
    return _POOL


def column_blocks(n_rows: int, n_cols: int) -> list[slice]:
    """Fixed slices of ``n_cols`` holding about ``BLOCK_ELEMENTS / n_rows`` each.

    The blocks depend on the shape only, never on the number of threads.
    """
    width = max(256, defaults.BLOCK_ELEMENTS // max(n_rows, 1))
    return [slice(a, min(a + width, n_cols)) for a in range(0, n_cols, width)]


def map_blocks[T](func: Callable[[int], T], n_blocks: int) -> list[T]:
    """``[func(b) for b in range(n_blocks)]``, on threads when there are several blocks.

    The results come in block order whatever the threads, so sums over them are
    the same bit for bit.
    """
    if n_blocks < 2 or defaults.N_THREADS == 1:
        return [func(b) for b in range(n_blocks)]
    return list(_pool().map(func, range(n_blocks)))


@contextlib.contextmanager
def sweeping(n_blocks: int) -> Iterator[None]:
    """Hold BLAS to one thread while threaded sweeps over ``n_blocks`` run."""
    global _CONTROLLER
    if n_blocks < 2 or defaults.N_THREADS == 1:
        yield
        return
    from threadpoolctl import ThreadpoolController

    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield
