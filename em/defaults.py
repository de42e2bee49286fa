"""One home for the defaults and numerical thresholds of the EM engine.

Every public function and the estimator read their defaults from here, so a
default is changed in one place and documented once.
"""

from __future__ import annotations

import os

__all__ = [
    "AUTO_KMEANS",
    "BLOCK_ELEMENTS",
    "COLLAPSE_VARIANCE",
    "COVARIANCE",
    "EMPTY_COUNT",
    "EXACT_DISTANCE_RATIO",
    "EMEM_SHORT_ITER",
    "EMEM_SHORT_RUNS",
    "EXP_FLOOR",
    "HC_MAX_POINTS",
    "HC_MIN_VARIANCE",
    "INIT",
    "KMEANS_MAX_ITER",
    "MAX_ITER",
    "N_INIT",
    "N_THREADS",
    "SCREEN_ELEMENTS",
    "SCREEN_KEEP",
    "SCREEN_MAX",
    "SCREEN_MAX_ITER",
    "SCREEN_MIN",
    "SCREEN_MIN_ITER",
    "SCREEN_TRIES",
    "SCREEN_WORK",
    "SPLIT_MERGE_ELEMENTS",
    "SPLIT_MERGE_MAX",
    "SPLIT_MERGE_MIN",
    "SPLIT_MERGE_TRIES",
    "SPURIOUS_VARIANCE",
    "TOL",
    "WEIGHT_ATOL",
]

#: Relative tolerance of the stopping rule ``ll_new - ll_old <= tol * |ll_new|``.
TOL: float = 1e-6
#: The covariance structure when none is named (:mod:`em.covariance`).
COVARIANCE: str = "spherical"
#: Maximum number of EM iterations (M-steps) per restart.
MAX_ITER: int = 1000
#: Number of restarts of one kind of start (a fixed start runs once).
N_INIT: int = 5
#: Default initialisation: the default strategy (:mod:`em.strategy`).
INIT: str = "auto"
#: k-means++ starts of the default strategy (``init="auto"``, :mod:`em.strategy`).
AUTO_KMEANS: int = 2
#: The default strategy screens ``clip(SCREEN_ELEMENTS // (n K), SCREEN_MIN,
#: SCREEN_MAX)`` random starts together (:mod:`em.screen`; its memory is about
#: ``max(SCREEN_ELEMENTS, n K)`` numbers) for ``clip(SCREEN_WORK // (S n K),
#: SCREEN_MIN_ITER, SCREEN_MAX_ITER)`` iterations, and runs the best
#: ``SCREEN_KEEP`` new regular optima in full (trying at most ``SCREEN_TRIES``).
SCREEN_ELEMENTS: int = 200_000
SCREEN_MIN: int = 4
SCREEN_MAX: int = 200
SCREEN_WORK: int = 20_000_000
SCREEN_MIN_ITER: int = 10
SCREEN_MAX_ITER: int = 200
SCREEN_KEEP: int = 2
SCREEN_TRIES: int = 6
#: Split-and-merge moves (:mod:`em.split_merge`): at most ``SPLIT_MERGE_TRIES``
#: from one optimum, ``clip(SPLIT_MERGE_ELEMENTS // (n K), SPLIT_MERGE_MIN,
#: SPLIT_MERGE_MAX)`` in all.
SPLIT_MERGE_TRIES: int = 20
SPLIT_MERGE_ELEMENTS: int = 500_000
SPLIT_MERGE_MIN: int = 4
SPLIT_MERGE_MAX: int = 100
#: Short EM runs of an ``"emEM"`` start, and the iterations of each.
EMEM_SHORT_RUNS: int = 10
EMEM_SHORT_ITER: int = 10
#: ``"hc"`` clusters at most this many rows (a random subsample of larger data):
#: its memory grows as the square of the rows.
HC_MAX_POINTS: int = 1000
#: A cluster of ``"hc"``'s partition starts with at least this variance, in units
#: of the data's (a singleton has none).
HC_MIN_VARIANCE: float = 1e-3

#: A component is *spurious* -- fitted to a few points close together, a local
#: maximum EM finds but nobody wants -- when it holds fewer than d + 1 points'
#: worth of responsibility, or when its variance falls below this fraction of the
#: data's variance per coordinate (its sd below about 3% of the data's).
SPURIOUS_VARIANCE: float = 1e-3
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
