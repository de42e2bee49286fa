"""gmm-pp: maximum-likelihood, MAP and Bayesian fits of spherical Gaussian mixtures.

The EM engine is the :mod:`em` package; ``gmm_pp`` holds data loading and
simulation and the ``gmm-pp`` command line (the PyMC fits and the comparison
come next).  Importing it loads neither PyMC nor matplotlib.
"""

from gmm_pp.data import DataError, load_data, simulate

__all__ = ["DataError", "load_data", "simulate"]
__version__ = "0.1.0"
