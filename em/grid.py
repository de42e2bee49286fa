"""Every covariance structure at one K, fitted together: the row of a model-selection grid.

``em.fit(X, K, covariance=s)`` with the default start fits the spherical mixture
first (its estimate is one of the other structures' starts).  Fitting the four
structures of one K one after the other would fit that spherical mixture four
times; :func:`fit_structures` fits it once and starts the others from it, as
mclust's ``Mclust`` shares one hierarchical clustering among all its models (the
hierarchical start's tree is shared through :func:`em.hc.merge_sequence`'s cache).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from em import defaults
from em.covariance import COVARIANCE_TYPES, check_covariance_type, check_structure_data
from em.exceptions import InputError, InputTypeError
from em.fit import _fit_structured, _in_structure, fit
from em.prepared import prepare
from em.prior import GMMPrior
from em.result import EMResult
from em.strategy import new_seed
from em.validation import check_n_components, check_positive_int, check_rng, check_tol

__all__ = ["fit_structures"]


def fit_structures(
    X,
    n_components: int,
    covariances: Sequence[str] = COVARIANCE_TYPES,
    *,
    prior: GMMPrior | None = None,
    tol: float = defaults.TOL,
    max_iter: int = defaults.MAX_ITER,
    seed=None,
) -> dict[str, EMResult]:
    """Fit a K-component mixture of each structure, with the default starts, sharing work.

    Each structure's fit is :func:`em.fit`'s with ``init="auto"``, except that
    the spherical estimate its ``"spherical"`` restart starts from is fitted once
    (the spherical row itself, when asked for) instead of once per structure.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or PreparedData
    n_components : int
    covariances : sequence of {"spherical", "diag", "tied", "full"}
        The structures, each once.
    prior : GMMPrior, optional
        Fit MAPs under this prior instead of MLEs.
    tol, max_iter
        As :func:`em.fit`'s.
    seed : int, numpy.random.Generator or None
        Same seed, same results.  The spherical fit draws its seed first, then
        each other structure in the order given.

    Returns
    -------
    dict
        ``{structure: EMResult}`` in the order given.

    Warns
    -----
    As :func:`em.fit`, for each structure's estimate.

    Examples
    --------
    >>> import em
    >>> truth = em.GMMParams([0.5, 0.5], [[-4.0, 0.0], [4.0, 0.0]], [1.0, 1.0])
    >>> X, _ = truth.sample(300, seed=0)
    >>> fits = em.fit_structures(X, 2, ("spherical", "full"), seed=0)
    >>> sorted(fits), fits["full"].params.covariance_type
    (['full', 'spherical'], 'full')
    """
    data = prepare(X)
    n, d = data.values.shape
    k = check_n_components(n_components, n)
    tol = check_tol(tol)
    max_iter = check_positive_int(max_iter, "max_iter")
    if isinstance(covariances, str) or not isinstance(covariances, Sequence):
        raise InputTypeError(
            f"covariances: expected a sequence of structure names such as ('spherical', "
            f"'full'), got {covariances!r}"
        )
    kinds = [check_covariance_type(c, "covariances") for c in covariances]
    if not kinds or len(set(kinds)) != len(kinds):
        raise InputError(
            f"covariances: expected one or more distinct structures of {COVARIANCE_TYPES}, "
            f"got {tuple(covariances)!r}"
        )
    if prior is not None and not isinstance(prior, GMMPrior):
        raise InputTypeError(f"prior: expected a GMMPrior or None, got {type(prior).__name__}")
    for kind in kinds:
        if kind != "spherical":
            check_structure_data(n, d, kind, prior is not None)
    rng = check_rng(seed)
    spherical_seed = new_seed(rng)
    with warnings.catch_warnings():
        if "spherical" not in kinds:  # only a start here: its warnings are not the user's
            warnings.simplefilter("ignore")
        spherical = fit(data, k, tol=tol, max_iter=max_iter, prior=prior, seed=spherical_seed)
    resolved = None if prior is None else prior.resolve(data, k)
    out = {}
    for kind in kinds:
        if kind == "spherical":
            out[kind] = spherical
        elif (
            d == 1
            and kind in ("diag", "full")
            and (resolved is None or resolved.same_as_spherical(kind, d))
        ):
            out[kind] = _in_structure(spherical, kind)  # the same model in 1-D (em.fit)
        else:
            out[kind] = _fit_structured(
                data,
                k,
                kind,
                "auto",
                None,
                tol,
                max_iter,
                prior,
                new_seed(rng),
                "regular",
                spherical=(spherical_seed, spherical.params),
            )
    return out
