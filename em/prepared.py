"""One data set, validated and standardised once, shared by every fit of it.

The README's central idea -- EM, MAP-EM, PyMC's MAP and the posterior all work on
the same standardised data ``z = (x - shift) / scale`` -- is this record:
:func:`prepare` validates ``X`` once, measures its :class:`~em.scaling.Scaling`
once and builds the standardised design ``[z, ||z||^2, 1]`` once; ``em.fit``,
``GMMPrior.resolve`` and gmm-pp's PyMC model take it instead of the raw array.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from em.scaling import Scaling
from em.validation import check_data

__all__ = ["PreparedData", "prepare"]


@dataclass(frozen=True, eq=False)
class PreparedData:
    """Data validated and standardised once.

    Attributes
    ----------
    values : ndarray of shape (n_samples, n_features)
        The data in its own units (float64; the caller's own array, not a copy,
        when it was float64 and C-contiguous already, as scikit-learn does).
    scaling : Scaling
        Its centring and scale.
    design : ndarray of shape (n_samples, n_features + 2)
        ``[z, ||z||^2, 1]`` with ``z`` the standardised data (read-only).
    feature_names : tuple of str or None
        The columns' names, when the data had them.
    """

    values: np.ndarray
    scaling: Scaling
    design: np.ndarray
    feature_names: tuple[str, ...] | None = None

    @property
    def n_samples(self) -> int:
        """Number of rows n."""
        return self.values.shape[0]

    @property
    def n_features(self) -> int:
        """Number of columns d."""
        return self.values.shape[1]

    @cached_property
    def covariance(self) -> np.ndarray:
        """The standardised data's covariance matrix (divisor n), shape (d, d), computed once.

        ``z`` is centred by construction, so this is ``z^T z / n``: no copy of the data.
        The priors' scale matrix and the judgement of degenerate and spurious components
        of the diag, tied and full structures share it.
        """
        Z = self.standardised
        cov = Z.T @ Z / Z.shape[0]
        return 0.5 * (cov + cov.T)

    @property
    def standardised(self) -> np.ndarray:
        """``z = (x - shift) / scale``, shape (n_samples, n_features) (a view of ``design``)."""
        return self.design[:, : self.n_features]

    def __repr__(self) -> str:
        names = "" if self.feature_names is None else f", features={list(self.feature_names)}"
        return (
            f"PreparedData(n={self.n_samples}, d={self.n_features}{names}, "
            f"scale={self.scaling.scale:.6g})"
        )


def prepare(X, feature_names=None, *, name: str = "X") -> PreparedData:
    """Validate and standardise ``X`` once (a :class:`PreparedData` passes through).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples,), or PreparedData
    feature_names : sequence of str, optional
        Kept with the data (validated by the caller that knows the columns).
    name : str
        How to name ``X`` in errors.

    Returns
    -------
    PreparedData

    Raises
    ------
    InputError
        For data that is not a finite numeric table, has no spread, or a spread
        beyond float64's variances.
    """
    if isinstance(X, PreparedData):
        return X
    values = check_data(X, name=name)  # the caller's array itself when already float64
    scaling = Scaling.from_data(values, name=name)
    design = scaling.design(values)
    design.flags.writeable = False
    names = None if feature_names is None else tuple(feature_names)
    return PreparedData(values, scaling, design, names)
