"""Where the restarts start: one kind of start repeated, or the default strategy.

The default strategy (``init="auto"``) spends a budget that grows as the data
shrink, each step recorded as restarts of its own (kind and seed in the trace):

1. one ``"hc"`` start (mclust's) and :data:`~em.defaults.AUTO_KMEANS` k-means++
   starts, run to convergence;
2. a screen of many random starts run together (:mod:`em.screen`): the best
   :data:`~em.defaults.SCREEN_KEEP` whose optima the restarts have not reached
   yet are run again in full, as ``"random"`` restarts with their seeds;
3. split-and-merge moves (:mod:`em.split_merge`) from the best regular optimum so
   far, each run in full as a ``"split-merge"`` restart; a move that reaches a
   higher regular optimum becomes the new one, until a round of
   :data:`~em.defaults.SPLIT_MERGE_TRIES` moves finds none or the budget
   :func:`split_merge_budget` is spent.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from em import defaults
from em._workspace import Workspace
from em.exceptions import InputError
from em.init import ParamsStart, random_start
from em.params import GMMParams
from em.prepared import prepare
from em.prior import GMMPrior
from em.result import EMTrace
from em.run import run_em, units_offset
from em.scaling import Scaling
from em.screen import Screen, screen, screen_size
from em.split_merge import apply_move, ranked_moves
from em.starts import KINDS, make_start
from em.validation import check_n_components, check_tol

__all__ = ["Problem", "auto", "initial_params", "kind_start", "split_merge_budget"]


class Problem(NamedTuple):
    """Everything one EM run needs, standardised.

    Attributes
    ----------
    ws : Workspace
    Z : ndarray of shape (n, d)
    z_sqnorm : ndarray of shape (n,)
    n_components : int
    constants : ScaledPrior or None
    tol : float
    max_iter : int
    scaling : Scaling
    """

    ws: Workspace
    Z: np.ndarray
    z_sqnorm: np.ndarray
    n_components: int
    constants: object
    tol: float
    max_iter: int
    scaling: Scaling

    def run(self, start, label: str, seed: int | None = None, max_iter: int | None = None):
        """One EM run from ``start`` (standardised units); its trace."""
        return run_em(self.ws, start, self.constants, self.tol,
                      self.max_iter if max_iter is None else max_iter,
                      self.scaling, label, seed)  # fmt: skip

    @property
    def offset(self) -> float:
        """From the data's objective to the standardised one (``units_offset``)."""
        n, d = self.Z.shape
        return units_offset(self.scaling, n, d, self.n_components, self.constants is not None)

    def same_optimum(self, a: float, b: float) -> bool:
        """Whether two final objectives are one optimum: within ``10 tol`` (relative, >= 1e-8)."""
        return abs(a - b) <= max(1e-8, 10 * self.tol) * max(1.0, abs(a + self.offset))


def new_seed(rng: np.random.Generator) -> int:
    """A restart's own seed, drawn from the fit's generator."""
    return int(rng.integers(0, 2**63 - 1))


def kind_start(problem: Problem, kind: str, seed: int):
    """The start of a restart of ``kind`` (any of ``em.starts.KINDS`` but "auto") from ``seed``."""
    rng = np.random.default_rng(seed)
    k = problem.n_components
    if kind != "emEM":
        return make_start(kind, problem.Z, problem.z_sqnorm, k, rng)
    # Short runs from random starts; the best one's start (the full run repeats it).
    best, best_obj = None, -np.inf
    for _ in range(defaults.EMEM_SHORT_RUNS):
        begin = random_start(problem.Z, k, rng)
        run = problem.run(begin, "short", max_iter=defaults.EMEM_SHORT_ITER)
        if not run.degenerate and run.objective[-1] > best_obj:
            best, best_obj = begin, run.objective[-1]
    return random_start(problem.Z, k, rng) if best is None else best


def split_merge_budget(n_samples: int, n_components: int) -> int:
    """How many split-and-merge runs the default strategy may try.

    ``clip(SPLIT_MERGE_ELEMENTS // (n K), SPLIT_MERGE_MIN, SPLIT_MERGE_MAX)``.
    """
    size = n_samples * n_components
    return int(np.clip(defaults.SPLIT_MERGE_ELEMENTS // size, defaults.SPLIT_MERGE_MIN,
                       defaults.SPLIT_MERGE_MAX))  # fmt: skip


def auto(problem: Problem, rng: np.random.Generator, n_kmeans: int) -> tuple[list, Screen | None]:
    """The default strategy's restarts, in the order they ran, and its screen.

    Parameters
    ----------
    problem : Problem
    rng : numpy.random.Generator
        The fit's generator; every start draws its own seed from it.
    n_kmeans : int
        k-means++ starts.

    Returns
    -------
    runs : list of EMTrace
    screen : Screen or None
        None with one component (every start reaches the one optimum).
    """
    runs = []
    for kind in ["hc"] + ["kmeans++"] * n_kmeans:
        seed = new_seed(rng)
        runs.append(problem.run(kind_start(problem, kind, seed), kind, seed))
    if problem.n_components == 1:
        return runs, None
    screened = _screen(problem, rng, runs)
    if problem.n_components >= 3:
        _split_merge(problem, rng, runs)
    return runs, screened


def _screen(problem: Problem, rng, runs: list[EMTrace]) -> Screen:
    """Screen random starts; run the best new optima's starts in full (appended to ``runs``)."""
    n, d = problem.Z.shape
    k = problem.n_components
    count, iters = screen_size(n, k)
    iters = min(iters, problem.max_iter)
    seeds = np.array([new_seed(rng) for _ in range(count)], dtype=np.int64)
    starts = [random_start(problem.Z, k, np.random.default_rng(int(s))) for s in seeds]
    result, std = screen(
        problem.Z, problem.z_sqnorm, starts, seeds, constants=problem.constants,
        tol=problem.tol, max_iter=iters, log_jacobian=problem.scaling.log_jacobian(n, d),
        prior_jacobian=k * (d + 2) * float(np.log(problem.scaling.scale)),
    )  # fmt: skip
    reached = [r.objective[-1] for r in runs if not r.degenerate]
    ends = _distinct_ends(std, problem.tol)
    # The best spurious end, when it is the best of all and new (so that the raw
    # best is in the result too) ...
    if ends and result.spurious[ends[0]]:
        if not any(problem.same_optimum(result.objective[ends[0]], r) for r in reached):
            runs.append(problem.run(starts[ends[0]], "random", int(seeds[ends[0]])))
            reached.append(runs[-1].objective[-1])
    # ... and the best regular ends whose optima no restart has reached, in turn
    # until SCREEN_KEEP of them end regular (a screened end can still drift to a
    # spurious optimum when run in full) or SCREEN_TRIES have run.  Converged
    # ends first: an end still moving may be on its way to a spurious one.
    found = tried = 0
    for i in sorted(ends, key=lambda i: result.status[i] != "tol"):
        if found == defaults.SCREEN_KEEP or tried == defaults.SCREEN_TRIES:
            break
        if result.spurious[i] or any(problem.same_optimum(result.objective[i], r)
                                     for r in reached):  # fmt: skip
            continue
        run = problem.run(starts[i], "random", int(seeds[i]))
        runs.append(run)
        tried += 1
        reached += [result.objective[i], run.objective[-1]]
        found += not (run.degenerate or run.spurious)
    return result


def _distinct_ends(std: np.ndarray, tol: float) -> list[int]:
    """One screened start per distinct end, best first: the first start to reach it.

    Ends within ``10 tol`` (relative, at least 1e-8) of a better one are the same
    end; grouping the standardised objectives keeps the choice unit-free (ends of
    one optimum differ by rounding, which the data's units would reorder).
    """
    order = [int(i) for i in np.argsort(-std, kind="stable") if np.isfinite(std[i])]
    groups: list[list[int]] = []
    for i in order:
        top = std[groups[-1][0]] if groups else np.nan
        if abs(std[i] - top) <= max(1e-8, 10 * tol) * max(1.0, abs(top)):
            groups[-1].append(i)
        else:
            groups.append([i])
    return [min(g) for g in groups]


def _first_best(problem: Problem, runs: list[EMTrace]) -> EMTrace:
    """The first run whose objective ties the best (``Problem.same_optimum``).

    Runs that reach one optimum differ in the last bits, which the data's units
    reorder; taking the first of the tied keeps the choice unit-free.
    """
    top = max(r.objective[-1] for r in runs)
    return next(r for r in runs if problem.same_optimum(r.objective[-1], top))


def _split_merge(problem: Problem, rng, runs: list[EMTrace]) -> None:
    """Split-and-merge moves from the best regular optimum (appended to ``runs``)."""
    # From the best regular optimum; when every restart is spurious, from the best
    # of those, looking for any regular optimum.
    ends = [r for r in runs if not r.degenerate]
    if not ends:
        return
    regular = [r for r in ends if not r.spurious]
    parent = _first_best(problem, regular or ends)
    floor = parent.objective[-1] if regular else -np.inf
    budget = split_merge_budget(problem.Z.shape[0], problem.n_components)
    tried = 0
    while tried < budget:
        p = parent.params
        here = ParamsStart(*problem.scaling.to_scaled(p.weights, p.means, p.variances))
        moves = ranked_moves(problem.Z, here, min(defaults.SPLIT_MERGE_TRIES, budget - tried))
        better = None
        for move in moves:
            seed = new_seed(rng)
            run = problem.run(apply_move(here, move, np.random.default_rng(seed)),
                              "split-merge", seed)  # fmt: skip
            runs.append(run)
            tried += 1
            top = run.objective[-1]
            if (
                not (run.degenerate or run.spurious)
                and top > floor
                and not problem.same_optimum(top, floor)
            ):
                better = run
                break
        if better is None:
            return
        parent, floor = better, better.objective[-1]


def initial_params(
    X,
    n_components: int,
    kind: str,
    seed: int,
    *,
    prior: GMMPrior | None = None,
    tol: float = defaults.TOL,
) -> GMMParams:
    """Where a restart of ``kind`` with ``seed`` started: its trace's iterate 0, made again.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    n_components : int
    kind : str
        One of :data:`em.starts.KINDS` but ``"auto"`` (a ``"split-merge"``
        restart starts from another restart's end: its trace records the start).
    seed : int
        The restart's seed, as its trace records it (``EMTrace.seed``).
    prior : GMMPrior, optional
        The fit's prior (``"emEM"``'s short runs and a responsibility start's
        M-step use it).
    tol : float, default 1e-6
        The fit's ``tol`` (``"emEM"``'s short runs stop by it).

    Returns
    -------
    GMMParams
        In the data's units.

    Examples
    --------
    >>> import em
    >>> X, _ = em.GMMParams([0.5, 0.5], [[-3.0], [3.0]], [1.0, 1.0]).sample(200, seed=0)
    >>> result = em.fit(X, 2, init="kmeans++", seed=1)
    >>> first = result.restarts[0]
    >>> em.initial_params(X, 2, first.init, first.seed).allclose(first.params_at(0))
    True
    """
    data = prepare(X)
    k = check_n_components(n_components, data.n_samples)
    if kind == "auto" or kind not in KINDS:
        raise InputError(f"kind: expected one of {KINDS[1:]}, got {kind!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: expected the non-negative int a trace records, got {seed!r}")
    tol = check_tol(tol)
    constants = None
    if prior is not None:
        constants = prior.resolve(data, k).scaled(data.scaling.shift, data.scaling.scale)
    d = data.n_features
    design = data.design
    problem = Problem(Workspace(design, k), design[:, :d], design[:, d], k, constants, tol, 1,
                      data.scaling)  # fmt: skip
    run = problem.run(kind_start(problem, kind, int(seed)), kind, int(seed), max_iter=1)
    return run.params_at(0)
