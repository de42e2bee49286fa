"""gmm-pp: maximum-likelihood, MAP and Bayesian fits of spherical Gaussian mixtures.

The EM engine is the :mod:`em` package.  ``gmm_pp`` holds data loading and
simulation, the PyMC model and its MAP and posterior, the :class:`Comparison`
of all fits, and the ``gmm-pp`` command line.  Importing it loads neither PyMC
nor matplotlib: the PyMC side loads on first use of :func:`compare`.
"""

from gmm_pp.config import SamplerConfig
from gmm_pp.data import DataError, load_data, simulate
from gmm_pp.datasets import load_dataset

__all__ = [
    "Comparison",
    "DataError",
    "SamplerConfig",
    "compare",
    "load_data",
    "load_dataset",
    "simulate",
]
__version__ = "0.1.0"

_LAZY = {"Comparison": "gmm_pp.comparison", "compare": "gmm_pp.comparison"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gmm_pp' has no attribute {name!r}")
