"""Model selection: K and the covariance structure by BIC, ICL, AIC and PSIS-LOO.

- :mod:`~gmm_pp.selection.grid` — the EM side, one task per K (every structure).
- :mod:`~gmm_pp.selection.bayes` — the posteriors of the best models, LOO, stacking.
- :mod:`~gmm_pp.selection.result` — :class:`Selection`: the table, each criterion's
  choice, files.
- :mod:`~gmm_pp.selection.run` — :func:`select`, on any engine, resumable in a folder.

Names load their module on first use: a worker process that runs the grid's
tasks imports :mod:`em` and :mod:`gmm_pp.selection.grid` only (no pandas).
"""

from gmm_pp._lazy import lazy_names

__all__ = [
    "BAYES_MODES",
    "CRITERIA",
    "DEFAULT_K",
    "DEFAULT_TOP",
    "Selection",
    "SelectionFormatError",
    "select",
]

_LAZY = {
    "BAYES_MODES": "gmm_pp.selection.run",
    "DEFAULT_K": "gmm_pp.selection.run",
    "DEFAULT_TOP": "gmm_pp.selection.run",
    "select": "gmm_pp.selection.run",
    "CRITERIA": "gmm_pp.selection.result",
    "Selection": "gmm_pp.selection.result",
    "SelectionFormatError": "gmm_pp.selection.result",
}


__getattr__, __dir__ = lazy_names("gmm_pp.selection", _LAZY, list(globals()))
