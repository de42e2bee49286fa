"""gmm-pp: maximum-likelihood, MAP and Bayesian fits of spherical Gaussian mixtures.

The EM engine is the :mod:`em` package.  ``gmm_pp`` holds data loading and
simulation, the PyMC model and its MAP and posterior, the :class:`Comparison`
of all fits, and the ``gmm-pp`` command line.  Importing it loads nothing
(every name below loads its module on first use), so ``import gmm_pp`` loads
neither PyMC nor matplotlib, and the command line can guard its very first
imports against Ctrl-C.
"""

from gmm_pp._lazy import lazy_names

__all__ = [
    "Comparison",
    "DataError",
    "GMMError",
    "SamplerConfig",
    "Selection",
    "compare",
    "load_data",
    "load_dataset",
    "select",
    "simulate",
]
__version__ = "0.1.0"

_LAZY = {
    "Comparison": "gmm_pp.comparison",
    "compare": "gmm_pp.pipeline",
    "DataError": "gmm_pp.errors",
    "GMMError": "gmm_pp.errors",
    "SamplerConfig": "gmm_pp.config",
    "Selection": "gmm_pp.selection",
    "select": "gmm_pp.selection",
    "load_data": "gmm_pp.data",
    "simulate": "gmm_pp.data",
    "load_dataset": "gmm_pp.datasets",
}


__getattr__, __dir__ = lazy_names("gmm_pp", _LAZY, list(globals()))
