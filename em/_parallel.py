"""Column blocks of (K, n) arrays, processed on a small shared thread pool.

Large E- and M-steps sweep the data in fixed column blocks that stay in cache.
With more than one thread, BLAS is held to one thread for the duration (its
idle workers otherwise spin and steal the cores from the sweep).
"""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from em import _defaults

__all__ = ["column_blocks", "map_blocks", "sweeping"]

_POOL: ThreadPoolExecutor | None = None
_CONTROLLER = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(_defaults.N_THREADS, thread_name_prefix="em")
        atexit.register(_POOL.shutdown, wait=False)
    return _POOL


def column_blocks(n_rows: int, n_cols: int) -> list[slice]:
    """Fixed column slices of about ``BLOCK_ELEMENTS`` elements each."""
    width = max(256, _defaults.BLOCK_ELEMENTS // max(n_rows, 1))
    return [slice(a, min(a + width, n_cols)) for a in range(0, n_cols, width)]


def threaded(n_rows: int, n_cols: int) -> bool:
    """True when the blocks of a (n_rows, n_cols) array are shared among threads."""
    return _defaults.N_THREADS > 1 and len(column_blocks(n_rows, n_cols)) >= 2


def map_blocks[T](func: Callable[[slice], T], n_rows: int, n_cols: int) -> list[T]:
    """``[func(block) for block in column_blocks(...)]``, threaded when worthwhile.

    The results come in block order whatever the threads, so sums over them are
    the same bit for bit.
    """
    blocks = column_blocks(n_rows, n_cols)
    if not threaded(n_rows, n_cols):
        return [func(b) for b in blocks]
    return list(_pool().map(func, blocks))


@contextlib.contextmanager
def sweeping(n_rows: int, n_cols: int) -> Iterator[None]:
    """Hold BLAS to one thread while threaded sweeps run."""
    global _CONTROLLER
    if not threaded(n_rows, n_cols):
        yield
        return
    from threadpoolctl import ThreadpoolController

    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield
