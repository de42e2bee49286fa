"""Many random starts at once: a batched EM that screens starts for the default strategy.

The default strategy (``init="auto"``, :mod:`em.starts`) runs S random starts
together, as arrays of shape (S, n, K), for up to T iterations each, and then
runs the best few in full with :func:`em.fit`'s exact EM (from the same start,
its seed recorded).  The screen's arithmetic is plain numpy (one log-sum-exp per
row, variances from the second moments), good for ranking starts and not meant
as an estimate: every estimate comes from the exact EM.  Memory stays at about
``max(SCREEN_ELEMENTS, n K)`` numbers: the starts run in chunks.

With small data S is large and T long, so the screen runs each start almost to
its optimum; with large data S is small and T short: the short-EM search of
Biernacki, Celeux and Govaert (2003).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from em import defaults
from em.density import LOG_2PI
from em.init import ParamsStart
from em.prior import log_prior_terms

__all__ = ["Screen", "screen_size", "screen"]


@dataclass(frozen=True, eq=False)
class Screen:
    """The end of every screened start (standardised data; objective in the data's units).

    Attributes
    ----------
    seeds : ndarray of shape (S,)
        Each start's seed (``em.initial_params(X, K, "random", seed)`` makes it again).
    objective, log_likelihood : ndarray of shape (S,)
        Where each start stopped (``-inf`` when it degenerated).
    status : tuple of str
        ``"tol"``, ``"max_iter"`` or ``"degenerate"`` for each start.
    spurious : ndarray of bool, shape (S,)
        Whether the end point has a spurious component.
    max_iter : int
        The screen's iterations per start (T).
    """

    seeds: np.ndarray
    objective: np.ndarray
    log_likelihood: np.ndarray
    status: tuple[str, ...]
    spurious: np.ndarray
    max_iter: int

    def to_dict(self) -> dict:
        """Plain values, for JSON (``-inf`` as None)."""

        def finite(a):
            return [float(x) if np.isfinite(x) else None for x in a]

        return {
            "seeds": [int(s) for s in self.seeds],
            "objective": finite(self.objective),
            "log_likelihood": finite(self.log_likelihood),
            "status": list(self.status),
            "spurious": [bool(s) for s in self.spurious],
            "max_iter": self.max_iter,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Screen:
        """Inverse of :meth:`to_dict`."""

        def floats(a):
            return np.array([-np.inf if x is None else x for x in a], dtype=np.float64)

        return cls(
            seeds=np.asarray(data["seeds"], dtype=np.int64),
            objective=floats(data["objective"]),
            log_likelihood=floats(data["log_likelihood"]),
            status=tuple(data["status"]),
            spurious=np.asarray(data["spurious"], dtype=bool),
            max_iter=int(data["max_iter"]),
        )

    def __repr__(self) -> str:
        done = sum(s == "tol" for s in self.status)
        return f"Screen({self.seeds.size} random starts, {done} converged within {self.max_iter})"


def screen_size(n_samples: int, n_components: int) -> tuple[int, int]:
    """How many starts the default strategy screens, and for how many iterations.

    ``S = clip(SCREEN_ELEMENTS // (n K), SCREEN_MIN, SCREEN_MAX)`` and
    ``T = clip(SCREEN_WORK // (S n K), SCREEN_MIN_ITER, SCREEN_MAX_ITER)``, so the
    screen's cost is bounded by about ``SCREEN_WORK`` (or ``SCREEN_MIN`` short runs
    of ``SCREEN_MIN_ITER`` iterations for large data).
    """
    size = n_samples * n_components
    starts = int(
        np.clip(defaults.SCREEN_ELEMENTS // size, defaults.SCREEN_MIN, defaults.SCREEN_MAX)
    )
    iters = defaults.SCREEN_WORK // (starts * size)
    return starts, int(np.clip(iters, defaults.SCREEN_MIN_ITER, defaults.SCREEN_MAX_ITER))


def screen(
    Z: np.ndarray,
    z_sqnorm: np.ndarray,
    starts: list[ParamsStart],
    seeds: np.ndarray,
    *,
    constants,
    tol: float,
    max_iter: int,
    log_jacobian: float,
    prior_jacobian: float,
) -> Screen:
    """Run EM from every start in ``starts`` together, up to ``max_iter`` iterations each.

    Parameters
    ----------
    Z : ndarray of shape (n, d)
        Standardised data.
    z_sqnorm : ndarray of shape (n,)
    starts : list of ParamsStart
        In standardised units.
    seeds : ndarray of shape (S,)
        Recorded with the ends.
    constants : ScaledPrior or None
        A MAP-EM fit's prior in standardised units.
    tol : float
        The exact EM's stopping rule: stop when the standardised objective gains
        at most ``tol`` times its size.
    max_iter : int
    log_jacobian, prior_jacobian : float
        From standardised to the data's units (as :func:`em.fit` reports them).

    Returns
    -------
    Screen
    standardised : ndarray of shape (S,)
        The ends' objectives for the standardised data (``-inf`` when degenerate):
        unit-free, to rank and group them.
    """
    n, k = Z.shape[0], starts[0].weights.shape[0]
    chunk = max(1, defaults.SCREEN_ELEMENTS // (n * k))
    parts = [
        _screen_chunk(
            Z,
            z_sqnorm,
            starts[i : i + chunk],
            constants,
            tol,
            max_iter,
            log_jacobian,
            prior_jacobian,
        )  # fmt: skip
        for i in range(0, len(starts), chunk)
    ]
    obj, ll, status, spurious, std = (np.concatenate([p[i] for p in parts]) for i in range(5))
    return Screen(np.asarray(seeds), obj, ll, tuple(status), spurious, max_iter), std


def _screen_chunk(Z, z_sqnorm, starts, constants, tol, max_iter, log_jac, prior_jac):
    n, d = Z.shape
    w = np.array([s.weights for s in starts])  # (S, K)
    m = np.array([s.means for s in starts])  # (S, K, d)
    v = np.array([s.variances for s in starts])  # (S, K)
    count = w.shape[0]
    ll_end = np.full(count, -np.inf)
    status = np.full(count, "max_iter", dtype=object)
    live = np.arange(count)
    prev = np.full(count, -np.inf)
    spurious = np.zeros(count, dtype=bool)
    std = np.full(count, -np.inf)  # the objective of the standardised data
    for it in range(max_iter + 1):
        ll, resp = _e_step(Z, z_sqnorm, w, m, v)
        cur = ll if constants is None else ll + log_prior_terms(w, m, v, constants)
        std[live], ll_end[live] = cur, ll - log_jac
        done = (cur - prev) <= tol * np.abs(cur)
        status[live[done]] = "tol"
        keep = ~done
        if it == max_iter or not keep.any():
            spurious[live] = _spurious(w, v, n, d, constants)
            break
        spurious[live[done]] = _spurious(w[done], v[done], n, d, constants)
        w, m, v, bad = _m_step(Z, z_sqnorm, resp[keep], constants)
        gone = live[keep][bad]
        status[gone] = "degenerate"
        std[gone] = ll_end[gone] = -np.inf
        live, prev = live[keep][~bad], cur[keep][~bad]
        w, m, v = w[~bad], m[~bad], v[~bad]
        if not live.size:
            break
    obj = std - log_jac - (0.0 if constants is None else prior_jac)
    return obj, ll_end, status, spurious, std


def _e_step(Z, z_sqnorm, w, m, v):
    """Log-likelihood (S,) and responsibilities (S, K, n) of standardised data.

    The expanded square ``||z||^2 - 2 z.mu + ||mu||^2`` in place, one pass per
    operation: fast, and on standardised data (centred, unit variance) accurate
    enough to rank starts.  Exact scoring is :mod:`em.density`'s.
    """
    d = Z.shape[1]
    inv = 1.0 / v  # (S, K)
    with np.errstate(divide="ignore"):
        const = (
            np.log(w) - 0.5 * d * (LOG_2PI + np.log(v)) - 0.5 * inv * np.einsum("skd,skd->sk", m, m)
        )
    logp = np.matmul(m, Z.T)  # (S, K, n)
    logp *= inv[..., None]
    logp -= np.multiply.outer(0.5 * inv, z_sqnorm)
    logp += const[..., None]
    top = logp.max(axis=1, keepdims=True)  # (S, 1, n)
    logp -= top
    np.exp(logp, out=logp)
    total = logp.sum(axis=1, keepdims=True)
    logp /= total
    return (top[:, 0] + np.log(total[:, 0])).sum(axis=1), logp


def _m_step(Z, z_sqnorm, resp, prior):
    """New parameters from responsibilities (S, K, n), and which starts degenerated (S,)."""
    n, d = Z.shape
    counts = resp.sum(axis=2)  # (S, K)
    sums = np.matmul(resp, Z)  # (S, K, d)
    second = np.matmul(resp, z_sqnorm)  # (S, K)
    k = counts.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        if prior is None:
            w = counts / n
            m = sums / counts[..., None]
            scatter = second - counts * np.einsum("skd,skd->sk", m, m)
            v = scatter / (d * counts)
        else:
            alpha, m0, kappa0, a, b = prior
            w = (counts + alpha - 1.0) / (n + k * (alpha - 1.0))
            m = (sums + kappa0 * m0) / (counts + kappa0)[..., None]
            scatter = second - 2.0 * np.einsum("skd,skd->sk", m, sums)
            scatter += counts * np.einsum("skd,skd->sk", m, m)
            shrink = kappa0 * np.einsum("skd,skd->sk", m - m0, m - m0)
            v = (np.maximum(scatter, 0.0) + shrink + 2.0 * b) / (d * counts + d + 2.0 * a + 2.0)
    bad = (
        ~(counts >= defaults.EMPTY_COUNT).all(axis=1)
        | ~(v > defaults.COLLAPSE_VARIANCE).all(axis=1)
        | ~np.isfinite(m).all(axis=(1, 2))
    )
    return w, m, v, bad


def _spurious(w, v, n, d, prior):
    """Which end points have a spurious component (``em.run.spurious_components``'s rule)."""
    if prior is not None or w.shape[1] < 2:
        return np.zeros(w.shape[0], dtype=bool)
    return ((w * n < d + 1) | (v < defaults.SPURIOUS_VARIANCE)).any(axis=1)
