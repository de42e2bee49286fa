"""Log-densities of the Gaussian mixture, row by row.

Every row is evaluated on its own: its log-density, responsibilities and label
never depend on the other rows of the batch (a hypothesis test holds this bit
for bit).  For row ``x``, component ``k`` and coordinate ``c`` the kernel is
accumulated as ``sum_c ((x_c - mu_kc) / sqrt(2 sigma_k^2))^2`` -- a difference
in the data's own units, then one rescaling -- so there is no cancellation, no
dependence on where the data are centred, and no overflow unless the
log-density itself is below float64's range (then it is ``-inf``, never NaN).
A row so far from every component that all its terms are ``-inf`` is labelled
by the component nearest in density (the smallest kernel, compared in log
space), with responsibility one.

The functions are batched over leading axes of the parameters (posterior
draws): one home for the mixture density, from ``em.score_samples`` to the
pointwise log-likelihood of every posterior draw.

Diag, tied and full mixtures (:mod:`em.covariance`) are scored through Cholesky
factors, row by row as well; the batched functions over posterior draws are for
the spherical mixture.

EM's own loop uses the faster blocked kernels of :mod:`em._workspace` on its
standardised training data; these functions are for scoring.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from em._kernels import LogGaussian, row_blocks
from em._parallel import map_blocks, sweeping
from em.covariance import check_covariance_type, cholesky_factors, covariance_shape, to_full
from em.exceptions import InputError
from em.validation import check_data

if TYPE_CHECKING:
    from em.params import GMMParams

__all__ = [
    "LOG_2PI",
    "log_likelihood",
    "mean_responsibilities",
    "pointwise_log_likelihood",
    "responsibilities",
    "score_samples",
]

#: log(2 pi), the normal density's constant (the one definition in gmm-pp).
LOG_2PI = math.log(2.0 * math.pi)
#: Elements of the (draws, K, rows) blocks the evaluation works through.
_BLOCK = 1 << 18


def _check_batch(X, weights, means, variances):
    X = check_data(X)
    w = np.asarray(weights, dtype=np.float64)
    m = np.asarray(means, dtype=np.float64)
    v = np.asarray(variances, dtype=np.float64)
    if m.ndim == w.ndim and X.shape[1] == 1:  # 1-D means (..., K)
        m = m[..., None]
    k = w.shape[-1] if w.ndim else 0
    if w.ndim < 1 or m.shape != (*w.shape, X.shape[1]) or v.shape != w.shape:
        raise InputError(
            f"parameters: expected weights (..., K), means (..., K, {X.shape[1]}) and variances "
            f"(..., K) for X with {X.shape[1]} features, got {w.shape}, {m.shape}, {v.shape}"
        )
    if k == 0:
        raise InputError("parameters: expected at least one component, got 0")
    return X, w, m, v


def _log_terms(X, w, m, v):
    """``log w_k + log N(x_i; mu_k, v_k I)`` for a block.

    Parameters
    ----------
    X : ndarray of shape (r, d)
    w, v : ndarray of shape (s, K)
    m : ndarray of shape (s, K, d)

    Returns
    -------
    ndarray of shape (s, K, r)
    """
    d = X.shape[1]
    inv = 1.0 / np.sqrt(2.0 * v)  # (s, K)
    kernel = np.zeros((w.shape[0], w.shape[1], X.shape[0]))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for c in range(d):
            u = X[None, None, :, c] - m[:, :, c, None]
            u *= inv[:, :, None]
            u *= u
            kernel += u
    with np.errstate(divide="ignore"):
        const = np.log(w) - 0.5 * d * (LOG_2PI + np.log(v))
    return const[:, :, None] - kernel


def _log_kernel(X, m, v):
    """``log sum_c u_c^2`` without overflow, ``u = (x - mu) / sqrt(2 v)``; shape (s, K, r)."""
    d = X.shape[1]
    inv = 1.0 / np.sqrt(2.0 * v)
    us = []
    with np.errstate(over="ignore", invalid="ignore"):
        for c in range(d):
            us.append(np.abs(X[None, None, :, c] - m[:, :, c, None]) * inv[:, :, None])
    top = np.max(us, axis=0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total = sum((u / top) ** 2 for u in us)
        out = 2.0 * np.log(top) + np.log(total)
    return np.where(np.isfinite(top), out, np.inf)


def _logsumexp(terms, log_kernel):
    """Log-density (s, r) and responsibilities (s, K, r) of a block of terms.

    ``log_kernel()`` gives the kernels' logarithms, asked for only when a row is
    beyond float64's range from every component.
    """
    peak = terms.max(axis=1)
    finite = np.isfinite(peak)
    safe = np.where(finite, peak, 0.0)
    with np.errstate(under="ignore"):
        resp = np.exp(terms - safe[:, None, :])
    total = resp.sum(axis=1)
    resp /= np.where(finite, total, 1.0)[:, None, :]
    with np.errstate(divide="ignore"):
        logp = np.log(total) + safe
    if not finite.all():
        # Beyond float64's range from every component: -inf, all the weight on
        # the component nearest in density.
        logp[~finite] = -np.inf
        key = log_kernel()
        nearest = np.argmin(np.where(np.isnan(key), np.inf, key), axis=1)
        one_hot = np.arange(terms.shape[1])[None, :, None] == nearest[:, None, :]
        resp = np.where(finite[:, None, :], resp, one_hot.astype(np.float64))
    return logp, resp


def _blocks(n_draws: int, n_components: int, n_rows: int):
    rows = max(1, min(n_rows, _BLOCK // n_components))
    draws = max(1, min(n_draws, _BLOCK // (n_components * rows)))
    for a in range(0, n_draws, draws):
        for b in range(0, n_rows, rows):
            yield slice(a, min(a + draws, n_draws)), slice(b, min(b + rows, n_rows))


def _evaluate(X, w, m, v, *, resp: bool):
    """Per-row log-density (S, n) and, when asked, responsibilities (S, K, n).

    The blocks are independent and each writes its own slice: they run on the
    shared threads (the same numbers on any number of threads).
    """
    s, k = w.shape
    n = X.shape[0]
    logp = np.empty((s, n))
    r = np.empty((s, k, n)) if resp else None
    blocks = list(_blocks(s, k, n))

    def one(b: int) -> None:
        ds, rs = blocks[b]
        Xb, mb = X[rs], m[ds]
        terms = _log_terms(Xb, w[ds], mb, v[ds])
        lp, rr = _logsumexp(terms, partial(_log_kernel, Xb, mb, v[ds]))
        logp[ds, rs] = lp
        if resp:
            r[ds, :, rs] = rr

    with sweeping(len(blocks)):
        map_blocks(one, len(blocks))
    return logp, r


def pointwise_log_likelihood(
    X, weights, means, covariances, covariance_type: str = "spherical"
) -> np.ndarray:
    """``log p(x_i | theta_s)`` for every parameter set ``s`` and row ``i``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    weights : array-like of shape (..., K)
    means : array-like of shape (..., K, n_features)
    covariances : array-like
        The variances (..., K) for spherical; (..., K, d), (..., d, d) or (..., K, d, d)
        for diag, tied and full.  Leading axes (for example chain and draw) are batch
        axes.
    covariance_type : {"spherical", "diag", "tied", "full"}, default "spherical"

    Returns
    -------
    ndarray of shape (..., n_samples)
        Finite, or ``-inf`` for a row whose log-density is below float64's range.
    """
    if covariance_type != "spherical":
        X, w, m, c, batch = _check_structured(X, weights, means, covariances, covariance_type)
        logp, _ = _structured_draws(X, w, m, c, covariance_type, resp=False)
        return logp.reshape(*batch, X.shape[0])
    X, w, m, v = _check_batch(X, weights, means, covariances)
    batch, k, d = w.shape[:-1], w.shape[-1], X.shape[1]
    logp, _ = _evaluate(X, w.reshape(-1, k), m.reshape(-1, k, d), v.reshape(-1, k), resp=False)
    return logp.reshape(*batch, X.shape[0])


def _check_structured(X, weights, means, covariances, kind):
    """Validated batches: X (n, d), weights (S, K), means (S, K, d), covariances (S, ...)."""
    X = check_data(X)
    d = X.shape[1]
    w = np.asarray(weights, dtype=np.float64)
    m = np.asarray(means, dtype=np.float64)
    c = np.asarray(covariances, dtype=np.float64)
    k = w.shape[-1] if w.ndim else 0
    core = covariance_shape(check_covariance_type(kind), k, d)
    batch = w.shape[:-1]
    if k == 0 or m.shape != (*batch, k, d) or c.shape != (*batch, *core):
        raise InputError(
            f"parameters: expected weights (..., K), means (..., K, {d}) and {kind} covariances "
            f"(..., {', '.join(map(str, core))}) for X with {d} features, got {w.shape}, "
            f"{m.shape}, {c.shape}"
        )
    return X, w.reshape(-1, k), m.reshape(-1, k, d), c.reshape(-1, *core), batch


def _structured(X, weights, means, covariances, kind: str, *, resp: bool):
    """Log-density (1, n) and responsibilities (1, K, n) of a diag, tied or full mixture."""
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    try:
        factors = cholesky_factors(covariances, kind)
    except np.linalg.LinAlgError:
        raise InputError(
            f"covariances: expected positive definite {kind} covariances, got "
            f"{np.asarray(covariances).tolist()}"
        ) from None
    k = weights.shape[0]
    kernel = LogGaussian(means, factors, kind, offset=log_w)
    logp = np.empty((1, X.shape[0]))
    r = np.empty((1, k, X.shape[0])) if resp else None
    for rows in row_blocks(X.shape[0], k, X.shape[1]):
        Xb = X[rows]
        with np.errstate(over="ignore", invalid="ignore"):
            terms = kernel(Xb)[None]
        lp, rr = _logsumexp(terms, lambda Xb=Xb: kernel.log_distances(Xb)[None])
        logp[:, rows] = lp
        if resp:
            r[:, :, rows] = rr
    return logp, r


def _structured_draws(X, weights, means, covariances, kind: str, *, resp: bool):
    """Log-densities (S, n) of S mixtures and the sum of their responsibilities (K, n).

    For diag, tied and full; the sum only when ``resp``.  All draws at once in
    blocks of about :data:`_BLOCK` terms: each component's Cholesky factor is
    inverted once (batched over draws and components), the differences ``x_i -
    mu_k`` are whitened directly (no expansion of the square) one triangular entry
    at a time, and the log-sum-exp is :func:`_logsumexp`'s.  A block with a row
    beyond float64's range goes through :func:`_structured`, draw by draw, whose
    kernel guards such rows.  Equal to :func:`_structured` (a test holds them to
    1e-13).
    """
    s, k = weights.shape
    n, d = X.shape
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    full = np.broadcast_to(to_full(covariances, kind, d), (s, k, d, d))
    try:
        factors = np.linalg.cholesky(full)
    except np.linalg.LinAlgError:
        raise InputError(
            f"covariances: expected positive definite {kind} covariances in every draw; one "
            "is not (check the draws' shapes and values)"
        ) from None
    inverse = np.linalg.inv(factors)  # (S, K, d, d), lower triangular
    half_log_det = np.log(np.diagonal(factors, axis1=-2, axis2=-1)).sum(axis=-1)
    const = log_w - 0.5 * d * LOG_2PI - half_log_det  # (S, K)
    logp = np.empty((s, n))
    total = np.zeros((k, n)) if resp else None
    XT = np.ascontiguousarray(X.T)
    blocks = list(_blocks(s, k * d, n))

    def one(b: int) -> None:
        # each block writes its own slice of logp; the responsibilities' sum is
        # added in block order (threads only without it, so the sum never races)
        ds, rs = blocks[b]
        diff = XT[None, None, :, rs] - means[ds, :, :, None]  # (s, K, d, r)
        sq = np.zeros((diff.shape[0], k, diff.shape[3]))
        with np.errstate(over="ignore", invalid="ignore"):
            for a in range(d):
                white = inverse[ds, :, a, 0, None] * diff[:, :, 0]
                for b in range(1, a + 1):
                    white += inverse[ds, :, a, b, None] * diff[:, :, b]
                sq += white * white
            terms = const[ds, :, None] - 0.5 * sq
        lp, r = _logsumexp(terms, lambda sq=sq: sq)
        if not np.isfinite(lp).all():  # rows beyond float64's range: the guarded kernel's way
            for j, draw in enumerate(range(ds.start, ds.stop)):
                c_one = covariances[draw]
                lp[j], r1 = _structured(X[rs], weights[draw], means[draw], c_one, kind, resp=resp)
                if resp:
                    r[j] = r1[0]
        logp[ds, rs] = lp
        if resp:
            total[:, rs] += r.sum(axis=0)

    if resp:
        for b in range(len(blocks)):
            one(b)
    else:
        with sweeping(len(blocks)):
            map_blocks(one, len(blocks))
    return logp, total


def responsibilities(X, params: GMMParams) -> tuple[np.ndarray, np.ndarray]:
    """Responsibilities and the log-density of every row.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    params : GMMParams

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components)
        Rows sum to one.
    log_density : ndarray of shape (n_samples,)
    """
    X = _matching(X, params)
    if params.covariance_type != "spherical":
        p = params
        logp, r = _structured(X, p.weights, p.means, p.covariances, p.covariance_type, resp=True)
        return np.ascontiguousarray(r[0].T), logp[0]
    w, m, v = params.weights[None], params.means[None], params.variances[None]
    logp, r = _evaluate(X, w, m, v, resp=True)
    return np.ascontiguousarray(r[0].T), logp[0]


def mean_responsibilities(
    X, weights, means, covariances, covariance_type: str = "spherical"
) -> np.ndarray:
    """Responsibilities averaged over parameter sets (posterior draws), row by row.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    weights : array-like of shape (..., K)
    means : array-like of shape (..., K, n_features)
    covariances : array-like
        As :func:`pointwise_log_likelihood`'s; leading axes are averaged over.
    covariance_type : {"spherical", "diag", "tied", "full"}, default "spherical"

    Returns
    -------
    ndarray of shape (n_samples, K)
        ``mean_s p(component k | x_i, theta_s)``; rows sum to one.
    """
    if covariance_type != "spherical":
        X, w, m, c, _ = _check_structured(X, weights, means, covariances, covariance_type)
        _, total = _structured_draws(X, w, m, c, covariance_type, resp=True)
        return np.ascontiguousarray((total / w.shape[0]).T)
    X, w, m, v = _check_batch(X, weights, means, covariances)
    k, d = w.shape[-1], X.shape[1]
    w, m, v = w.reshape(-1, k), m.reshape(-1, k, d), v.reshape(-1, k)
    total = np.zeros((k, X.shape[0]))
    for ds, rs in _blocks(w.shape[0], k, X.shape[0]):
        Xb, mb = X[rs], m[ds]
        terms = _log_terms(Xb, w[ds], mb, v[ds])
        _, r = _logsumexp(terms, partial(_log_kernel, Xb, mb, v[ds]))
        total[:, rs] += r.sum(axis=0)
    return np.ascontiguousarray((total / w.shape[0]).T)


def _matching(X, params: GMMParams) -> np.ndarray:
    X = check_data(X)
    if X.shape[1] != params.n_features:
        raise InputError(
            f"X: expected {params.n_features} features to match the parameters, got {X.shape[1]}"
        )
    return X


def score_samples(X, params: GMMParams) -> np.ndarray:
    """Log-density ``log p(x_i)`` of every row, each independent of the others.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    params : GMMParams

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    X = _matching(X, params)
    if params.covariance_type != "spherical":
        p = params
        return _structured(X, p.weights, p.means, p.covariances, p.covariance_type, resp=False)[0][
            0
        ]
    w, m, v = params.weights[None], params.means[None], params.variances[None]
    return _evaluate(X, w, m, v, resp=False)[0][0]


def log_likelihood(X, params: GMMParams) -> float:
    """Total log-likelihood ``sum_i log sum_k p_k N(x_i; mu_k, sigma_k^2 I)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    params : GMMParams

    Returns
    -------
    float
        The exactly rounded sum of :func:`score_samples`.
    """
    return math.fsum(score_samples(X, params))
