"""Information criteria of a fitted mixture: one formula each, used by every caller.

Lower is better for all three (scikit-learn's sign); mclust reports BIC and ICL with
the opposite sign (``2 loglik - p log n``, higher is better).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["aic", "bic", "classification_entropy", "icl"]


def bic(log_likelihood: float, n_parameters: int, n_samples: int) -> float:
    """Bayesian information criterion ``-2 loglik + p log n``.

    Parameters
    ----------
    log_likelihood : float
        Total log-likelihood of the data at the estimate.
    n_parameters : int
        Free parameters (``K d + 2K - 1`` for the spherical mixture).
    n_samples : int

    Returns
    -------
    float
    """
    return -2.0 * log_likelihood + n_parameters * math.log(n_samples)


def aic(log_likelihood: float, n_parameters: int) -> float:
    """Akaike information criterion ``-2 loglik + 2 p``."""
    return -2.0 * log_likelihood + 2.0 * n_parameters


def classification_entropy(resp) -> float:
    """The entropy of a soft classification, ``-sum_i sum_k z_ik log z_ik`` (``0 log 0 = 0``).

    Parameters
    ----------
    resp : array-like of shape (n_samples, n_components)
        Responsibilities (rows sum to one).

    Returns
    -------
    float
        0 for a hard classification; at most ``n log K``.
    """
    z = np.asarray(resp, dtype=np.float64)
    positive = z > 0
    return float(-np.sum(z[positive] * np.log(z[positive])))


def icl(bic_value: float, entropy: float) -> float:
    """Integrated completed likelihood criterion ``BIC + 2 EN(z)`` (Biernacki et al. 2000).

    The BIC penalised by twice the classification entropy
    (:func:`classification_entropy` of the estimate's responsibilities; McLachlan
    and Peel's ICL-BIC): it prefers components that are well separated.  mclust's
    ``icl()`` uses the hard (MAP) classification, ``BIC - 2 sum_i log z_i,map(i)``,
    a penalty at most this one (the entropy of a row is at least ``-log max_k z_ik``).
    """
    return bic_value + 2.0 * entropy
