"""Information criteria of a fitted mixture: one formula each, used by every caller.

Lower is better for both (scikit-learn's sign); mclust reports BIC with the opposite
sign (``2 loglik - p log n``, higher is better).
"""

from __future__ import annotations

import math

__all__ = ["aic", "bic"]


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
