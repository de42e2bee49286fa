r"""The gradient of the log-likelihood, EM as a preconditioned gradient step, gradient ascent.

For the spherical mixture with responsibilities ``r_ik`` at the current
parameters, ``N_k = sum_i r_ik`` and ``S_k = sum_i r_ik ||x_i - mu_k||^2``:

.. math::
    \frac{\partial L}{\partial p_k} = \frac{N_k}{p_k}, \qquad
    \frac{\partial L}{\partial \mu_k} = \frac{\sum_i r_{ik} (x_i - \mu_k)}{\sigma_k^2}, \qquad
    \frac{\partial L}{\partial \sigma_k^2} = \frac{S_k}{2 \sigma_k^4} - \frac{d N_k}{2 \sigma_k^2}

(the weights as free coordinates).  Xu and Jordan (1996): the EM update is a
gradient step with a positive-definite matrix,

.. math::
    \mu_k^{new} - \mu_k = \frac{\sigma_k^2}{N_k} \frac{\partial L}{\partial \mu_k}, \qquad
    p^{new} - p = \frac{1}{n} (\operatorname{diag} p - p p^T) \frac{\partial L}{\partial p}, \qquad
    \tilde\sigma_k^2 - \sigma_k^2 = \frac{2 \sigma_k^4}{d N_k}
        \frac{\partial L}{\partial \sigma_k^2}

where ``tilde sigma_k^2`` is the variance update with the old means; EM's
update uses the new means and is smaller by ``||mu_k^new - mu_k||^2 / d``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from em.defaults import MAX_ITER, TOL
from em.density import log_likelihood
from em.exceptions import InputError
from em.params import GMMParams
from em.steps import e_step
from em.validation import check_data

__all__ = [
    "GradientAscentResult",
    "LogLikGradient",
    "em_as_gradient_step",
    "gradient",
    "gradient_ascent",
]


class LogLikGradient(NamedTuple):
    """The gradient of the log-likelihood with respect to each block of parameters."""

    weights: np.ndarray  #: (n_components,), the weights as free coordinates
    means: np.ndarray  #: (n_components, n_features)
    variances: np.ndarray  #: (n_components,)


def _moments(X: np.ndarray, params: GMMParams):
    """Responsibility counts, weighted sums and scatter about the current means."""
    resp, loglik = e_step(X, params)
    c = X.mean(axis=0)  # centre first: the scatter expansion below cancels otherwise
    Xc, mc = X - c, params.means - c
    counts = resp.sum(axis=0)
    sums = resp.T @ Xc  # (K, d): sum_i r_ik (x_i - c)
    sq = resp.T @ np.einsum("ij,ij->i", Xc, Xc)
    scatter = sq - 2 * np.einsum("kd,kd->k", sums, mc) + counts * np.einsum("kd,kd->k", mc, mc)
    resid = sums - counts[:, None] * mc  # sum_i r_ik (x_i - mu_k)
    return counts, resid, np.maximum(scatter, 0.0), loglik


def gradient(X, params: GMMParams) -> LogLikGradient:
    """The gradient of the log-likelihood at ``params``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    params : GMMParams

    Returns
    -------
    LogLikGradient
        ``weights`` (K,), ``means`` (K, d), ``variances`` (K,).

    Examples
    --------
    >>> p = GMMParams([0.5, 0.5], [-3.0, 2.0], [4.0, 4.0])
    >>> g = gradient([0.2, -0.9, -1.0, 1.2, 1.8], p)
    >>> g.means.shape
    (2, 1)
    """
    X = check_data(X)
    d = X.shape[1]
    counts, resid, scatter, _ = _moments(X, params)
    v = params.variances
    return LogLikGradient(
        weights=counts / params.weights,
        means=resid / v[:, None],
        variances=scatter / (2 * v**2) - d * counts / (2 * v),
    )


def em_as_gradient_step(X, params: GMMParams) -> dict[str, np.ndarray]:
    """EM's update of each block written as a preconditioned gradient step.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    params : GMMParams

    Returns
    -------
    dict
        ``weights``: ``(1/n)(diag p - p p^T) dL/dp`` (K,); ``means``:
        ``(sigma_k^2 / N_k) dL/dmu_k`` (K, d); ``variances_old_means``:
        ``(2 sigma_k^4 / (d N_k)) dL/dsigma_k^2`` (K,); ``variances``: that minus
        ``||mu_k^new - mu_k||^2 / d``, EM's change of the variances (K,).  Each
        equals the change EM's M-step makes (see the module docstring).
    """
    X = check_data(X)
    n, d = X.shape
    g = gradient(X, params)
    p, v = params.weights, params.variances
    counts = g.weights * p
    dmeans = (v / counts)[:, None] * g.means
    dvar_old = 2 * v**2 / (d * counts) * g.variances
    return {
        "weights": (p * g.weights - p * (p @ g.weights)) / n,
        "means": dmeans,
        "variances_old_means": dvar_old,
        "variances": dvar_old - np.einsum("kd,kd->k", dmeans, dmeans) / d,
    }


@dataclass(frozen=True)
class GradientAscentResult:
    """Plain gradient ascent on the log-likelihood, with its whole path.

    Attributes
    ----------
    params : GMMParams
        The last iterate.
    log_likelihood : ndarray of shape (n_iter + 1,)
        At the start and after every step.
    means_path : ndarray of shape (n_iter + 1, n_components, n_features)
    steps : ndarray of shape (n_iter,)
        The step size taken at each iteration.
    n_iter : int
    converged : bool
        The log-likelihood's relative increase fell below ``tol``.
    n_evaluations : int
        Log-likelihood evaluations, the line search's included.
    """

    params: GMMParams
    log_likelihood: np.ndarray
    means_path: np.ndarray
    steps: np.ndarray
    n_iter: int
    converged: bool
    n_evaluations: int


def _unpack(theta: np.ndarray, k: int, d: int) -> GMMParams:
    logits, means, logv = theta[:k], theta[k : k + k * d].reshape(k, d), theta[k + k * d :]
    w = np.exp(logits - logits.max())
    return GMMParams(w / w.sum(), means, np.exp(logv))


def _ascent_direction(X: np.ndarray, params: GMMParams) -> tuple[np.ndarray, float]:
    """Gradient in (softmax logits, means, log variances), per point, and the log-likelihood."""
    n = X.shape[0]
    counts, resid, scatter, loglik = _moments(X, params)
    v, d = params.variances, X.shape[1]
    g_logits = counts - n * params.weights  # p_k (dL/dp_k - sum_j p_j dL/dp_j)
    g_means = resid / v[:, None]
    g_logv = scatter / (2 * v) - d * counts / 2  # sigma^2 dL/dsigma^2
    return np.concatenate([g_logits, g_means.ravel(), g_logv]) / n, loglik


def gradient_ascent(
    X,
    init: GMMParams,
    *,
    step: float | None = None,
    max_iter: int = MAX_ITER,
    tol: float = TOL,
) -> GradientAscentResult:
    """Maximise the log-likelihood by plain gradient ascent, for comparison with EM.

    Steps are taken in unconstrained coordinates -- softmax logits of the
    weights, the means, the log variances -- so the weights stay on the simplex
    and the variances positive.  The gradient is that of the average
    log-likelihood ``L / n``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,)
    init : GMMParams
        The start (use EM's, to compare the paths).
    step : float, optional
        A fixed step size.  Default: backtracking (Armijo) line search, which
        never lets the log-likelihood decrease.
    max_iter : int
    tol : float
        Stop when ``L_new - L_old <= tol * |L_new|``, EM's rule.

    Returns
    -------
    GradientAscentResult
    """
    X = check_data(X)
    n, d = X.shape
    k = init.n_components
    if init.n_features != d:
        raise InputError(f"init: expected {d} features to match X, got {init.n_features}")
    if step is not None and not (np.isfinite(step) and step > 0):
        raise InputError(f"step: expected a positive number or None (backtracking), got {step}")
    logw = np.log(init.weights)
    theta = np.concatenate([logw - logw.mean(), init.means.ravel(), np.log(init.variances)])
    params = _unpack(theta, k, d)
    grad, ll = _ascent_direction(X, params)
    lls, paths, steps = [ll], [params.means.copy()], []
    t = 1.0 if step is None else float(step)
    converged = False
    evaluations = 1
    for _ in range(max_iter):
        if step is None:
            t = min(2 * t, 1e3)
            while True:  # Armijo: enough increase of L / n along the gradient
                cand = _unpack(theta + t * grad, k, d)
                ll_new = log_likelihood(X, cand)
                evaluations += 1
                if ll_new / n >= ll / n + 1e-4 * t * (grad @ grad) or t < 1e-12:
                    break
                t /= 2
        theta = theta + t * grad
        params = _unpack(theta, k, d)
        grad, ll_new = _ascent_direction(X, params)
        evaluations += 1
        steps.append(t)
        lls.append(ll_new)
        paths.append(params.means.copy())
        done = abs(ll_new - ll) <= tol * abs(ll_new)
        ll = ll_new
        if done:
            converged = True
            break
    return GradientAscentResult(
        params=params,
        log_likelihood=np.array(lls),
        means_path=np.array(paths),
        steps=np.array(steps),
        n_iter=len(steps),
        converged=converged,
        n_evaluations=evaluations,
    )
