"""gmm-pp: maximum-likelihood, MAP and Bayesian fits of spherical Gaussian mixtures.

The EM engine is the :mod:`em` package.  ``gmm_pp`` holds data loading and
simulation, the PyMC model and its MAP and posterior, the :class:`Comparison`
of all fits, and the ``gmm-pp`` command line.  Importing it loads nothing
(every name below loads its module on first use), so ``import gmm_pp`` loads
neither PyMC nor matplotlib, and the command line can guard its very first
imports against Ctrl-C.
"""

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


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gmm_pp' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
