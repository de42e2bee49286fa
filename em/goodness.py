"""Does the fitted mixture describe the data?  A goodness-of-fit check a learner can read.

If the data came from the fitted mixture, their log-densities under it would be
distributed as those of points drawn from it.  :func:`goodness_of_fit` compares the
two distributions: the data's log-densities against those of ``n_simulated x n``
points simulated from the fit (a parametric-bootstrap reference), with a
two-sample Kolmogorov-Smirnov test and the quantiles of both for a QQ-plot.  The
p-value ignores that the parameters were fitted to these data, which makes the
check conservative: a small p-value is a real misfit.

A misfit has a reason the learner can see, read off the components themselves
(each component's responsibility-weighted scatter of the data):

* spherical components (circles) around data elongated within a component;
* diagonal components (axis-aligned ellipses) around correlated data;
* tied components (one shape for all) around components of different shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from em.density import score_samples
from em.params import GMMParams
from em.steps import e_step
from em.validation import check_rng

__all__ = ["MAX_SIMULATED", "POOR_FIT_PVALUE", "GoodnessOfFit", "goodness_of_fit"]

#: Below this p-value the fit is called poor.
POOR_FIT_PVALUE = 0.01
#: Shape limits beyond which a structure cannot follow the data (see ``GoodnessOfFit.reason``).
_ELONGATED = 2.0  # sd along the longest axis over the shortest, within a component
_CORRELATED = 0.5  # |correlation| within a component
_UNEQUAL = 2.0  # ratio of the components' sizes (sd per axis), or their axes' directions
_QUANTILES = np.linspace(0.005, 0.995, 199)


@dataclass(frozen=True)
class GoodnessOfFit:
    """The data's log-densities under a fit against those of points drawn from it.

    Attributes
    ----------
    statistic : float
        Kolmogorov-Smirnov distance between the two distributions of log-density.
    pvalue : float
    probabilities : ndarray of shape (q,)
        The probabilities of the quantiles below.
    observed : ndarray of shape (q,)
        Quantiles of the data's log-densities.
    expected : ndarray of shape (q,)
        The same quantiles for points simulated from the fit.
    covariance_type : str
    elongation : ndarray of shape (K,)
        Per component: the sd of the data along their longest axis over the shortest.
    correlation : ndarray of shape (K,)
        Per component: the largest |correlation| between two coordinates.
    size_ratio : float
        The largest component's size (geometric-mean sd) over the smallest's.
    centres : ndarray of shape (K, d)
        Each component's responsibility-weighted mean of the data.
    scatter : ndarray of shape (K, d, d)
        Each component's responsibility-weighted covariance of the data: the shape
        the data have within it, whatever the structure fitted.
    """

    statistic: float
    pvalue: float
    probabilities: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    covariance_type: str
    elongation: np.ndarray
    correlation: np.ndarray
    size_ratio: float
    centres: np.ndarray
    scatter: np.ndarray

    @property
    def poor(self) -> bool:
        """Whether the data are unlike draws from the fit (p < :data:`POOR_FIT_PVALUE`)."""
        return self.pvalue < POOR_FIT_PVALUE

    def reason(self) -> str | None:
        """Why the structure cannot follow the data, in a sentence (``None`` if no shape says).

        Read from the data's scatter within each component, whatever the p-value.
        """
        kind = self.covariance_type
        if kind == "spherical":
            k = int(np.argmax(self.elongation))
            value, limit = self.elongation[k], _ELONGATED
            why = (
                f"within component {k} the data are elongated: their sd along the longest "
                f"axis is {value:.1f} times that along the shortest, which the spherical "
                "model's circles cannot follow"
            )
        elif kind == "diag":
            k = int(np.argmax(self.correlation))
            value, limit = self.correlation[k], _CORRELATED
            why = (
                f"within component {k} the coordinates are correlated ({value:.2f}), which "
                "the diagonal model's axis-aligned ellipses cannot follow"
            )
        elif kind == "tied":
            value, limit = self.size_ratio, _UNEQUAL
            why = (
                f"the components differ in size (the largest's sd is {value:.1f} times the "
                "smallest's), which the tied model's one shared shape cannot follow"
            )
        else:  # full: no shape it cannot follow
            return None
        return why if value > limit else None

    def sentence(self) -> str:
        """What the check found, with its numbers, for a report."""
        head = (
            f"the data's log-densities under the fit are unlike those of points drawn from "
            f"it (Kolmogorov-Smirnov distance {self.statistic:.3f}, p = {self.pvalue:.2g})"
            if self.poor
            else f"the data's log-densities under the fit look like those of points drawn from "
            f"it (Kolmogorov-Smirnov distance {self.statistic:.3f}, p = {self.pvalue:.2g})"
        )
        why = self.reason()
        if self.poor:
            return f"The {self.covariance_type} model fits these data poorly: {head}" + (
                f"; {why}." if why else "; more components or another structure may fit."
            )
        return f"No sign of misfit: {head}."

    def to_dict(self) -> dict:
        """Plain numbers and lists (for ``data.json``)."""
        return {
            "statistic": self.statistic,
            "pvalue": self.pvalue,
            "poor": self.poor,
            "probabilities": self.probabilities.tolist(),
            "observed": self.observed.tolist(),
            "expected": self.expected.tolist(),
            "covariance_type": self.covariance_type,
            "elongation": self.elongation.tolist(),
            "correlation": self.correlation.tolist(),
            "size_ratio": self.size_ratio,
            "centres": self.centres.tolist(),
            "scatter": self.scatter.tolist(),
            "reason": self.reason(),
            "sentence": self.sentence(),
        }


def _shapes(X: np.ndarray, resp: np.ndarray):
    """Per component: elongation, largest |correlation|; size ratio; centres; scatter."""
    nk = resp.sum(axis=0) + 1e-300
    means = resp.T @ X / nk[:, None]
    d = X.shape[1]
    elong, corr, size, covs = [], [], [], []
    for j in range(resp.shape[1]):
        diff = X - means[j]
        cov = (resp[:, j, None] * diff).T @ diff / nk[j]
        covs.append(cov)
        values = np.clip(np.linalg.eigvalsh(cov), 1e-300, None)
        elong.append(float(np.sqrt(values[-1] / values[0])) if d > 1 else 1.0)
        sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
        c = cov / np.outer(sd, sd)
        corr.append(float(np.max(np.abs(c[~np.eye(d, dtype=bool)]))) if d > 1 else 0.0)
        size.append(float(np.exp(np.mean(np.log(values)) / 2)))
    return np.array(elong), np.array(corr), max(size) / min(size), means, np.array(covs)


#: At most this many points are drawn from the fit (20 per data point up to 100,000 points).
MAX_SIMULATED = 2_000_000


def goodness_of_fit(X, params: GMMParams, *, seed=None, n_simulated: int = 20) -> GoodnessOfFit:
    """Compare the data's log-densities under ``params`` with those of points drawn from it.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    params : GMMParams
        The fit (its structure names the model in the sentence).
    seed : int, numpy.random.Generator or None
        For the simulated points.
    n_simulated : int, default 20
        Simulated points per data point (at most :data:`MAX_SIMULATED` in all).

    Returns
    -------
    GoodnessOfFit

    Examples
    --------
    >>> import em
    >>> truth = em.GMMParams([0.5, 0.5], [[-3.0, 0.0], [3.0, 0.0]], [1.0, 1.0])
    >>> X, _ = truth.sample(500, seed=0)
    >>> em.goodness_of_fit(X, em.fit(X, 2, seed=0).params, seed=0).poor
    False
    """
    from scipy.stats import ks_2samp  # on use: scipy.stats costs 0.3 s to import

    X = np.asarray(X, dtype=float)
    X = X[:, None] if X.ndim == 1 else X
    rng = check_rng(seed)
    observed = score_samples(X, params)
    simulated, _ = params.sample(min(n_simulated * X.shape[0], MAX_SIMULATED), seed=rng)
    expected = score_samples(simulated, params)
    test = ks_2samp(observed, expected)
    resp, _ = e_step(X, params)
    elongation, correlation, size_ratio, centres, scatter = _shapes(X, resp)
    return GoodnessOfFit(
        statistic=float(test.statistic),
        pvalue=float(test.pvalue),
        probabilities=_QUANTILES.copy(),
        observed=np.quantile(observed, _QUANTILES),
        expected=np.quantile(expected, _QUANTILES),
        covariance_type=params.covariance_type,
        elongation=elongation,
        correlation=correlation,
        size_ratio=size_ratio,
        centres=centres,
        scatter=scatter,
    )
