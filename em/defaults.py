"""One home for the defaults and numerical thresholds of the EM engine.

Every public function and the estimator read their defaults from here, so a
default is changed in one place and documented once.
"""

from __future__ import annotations

import os

__all__ = [
    "BLOCK_ELEMENTS",
    "COLLAPSE_VARIANCE",
    "EMPTY_COUNT",
    "EXACT_DISTANCE_RATIO",
    "EXP_FLOOR",
    "INIT",
    "KMEANS_MAX_ITER",
    "MAX_ITER",
    "N_INIT",
    "N_THREADS",
    "TOL",
    "WEIGHT_ATOL",
]

#: Relative tolerance of the stopping rule ``ll_new - ll_old <= tol * |ll_new|``.
TOL: float = 1e-6
#: Maximum number of EM iterations (M-steps) per restart.
MAX_ITER: int = 1000
#: Number of restarts for a random initialisation (a fixed start runs once).
N_INIT: int = 5
#: Default initialisation.
INIT: str = "kmeans++"
#: Lloyd iterations of the k-means used for initialisation.
KMEANS_MAX_ITER: int = 100

#: A component whose variance, in units of the data's own variance, falls to
#: this value or below has collapsed onto a point (its standard deviation is a
#: millionth of the data's).
COLLAPSE_VARIANCE: float = 1e-12
#: A component whose expected count ``N_k`` falls below this is empty.
EMPTY_COUNT: float = 1e-8
#: Squared distances are computed by one matrix product, which loses
#: ``log10(ratio)`` digits when a component's mean lies ``sqrt(ratio)`` of its
#: own standard deviations away from the data's centre.  Above this ratio the
#: component's distances are recomputed exactly by direct subtraction.
EXACT_DISTANCE_RATIO: float = 1e4
#: Weights must sum to one within this absolute tolerance.
WEIGHT_ATOL: float = 1e-8

#: Log-responsibilities below this are raised to it before ``exp``: the result
#: (< 3e-308) is negligible next to the column's largest term, which is 1, and
#: it keeps ``exp`` off its slow underflow path (4x slower).  Only components
#: whose every responsibility is that small (empty ones) notice.
EXP_FLOOR: float = -708.0
#: The E-step works through the (K, n) arrays in column blocks of about this
#: many elements, so each block stays in cache; the blocks depend on n and K
#: only, so the result is the same whatever the number of threads.
BLOCK_ELEMENTS: int = 1 << 17
#: Threads that share the blocks of a large E-step (numpy releases the GIL).
#: Override with the environment variable ``EM_NUM_THREADS``.
N_THREADS: int = max(1, int(os.environ.get("EM_NUM_THREADS", min(os.cpu_count() or 1, 4))))
