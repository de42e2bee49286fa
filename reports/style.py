"""One palette and one style for every figure of every page.

Each fit has its colour, line style and marker, the same in the report, the
lessons and the study pages (Okabe and Ito's colour-blind-safe palette).  The
diagnostic thresholds drawn come from :mod:`gmm_pp.diagnostics`, where the
warnings take them from.
"""

from __future__ import annotations

from gmm_pp.diagnostics import ESS_PER_CHAIN_MIN, RHAT_MAX

__all__ = [
    "COLORS",
    "DATA",
    "ESS_PER_CHAIN_MIN",
    "FAINT",
    "LINESTYLES",
    "MARKERS",
    "RHAT_MAX",
    "STRUCTURES",
    "THRESHOLD",
    "color",
]

#: The fits, each with its colour (the keys are the labels the figures use).
COLORS = {
    "EM (MLE)": "#0072B2",  # blue
    "MAP-EM": "#E69F00",  # orange
    "PyMC MAP": "#009E73",  # bluish green
    "posterior": "#D55E00",  # vermillion
    "posterior mean": "#D55E00",
    "truth": "#000000",
    "prior": "#CC79A7",  # reddish purple
}
LINESTYLES = {
    "EM (MLE)": "-",
    "MAP-EM": "--",
    "PyMC MAP": ":",
    "posterior mean": "-.",
    "truth": "--",
}
MARKERS = {"EM (MLE)": "x", "MAP-EM": "+", "PyMC MAP": "1", "posterior mean": "o", "truth": "*"}
#: The covariance structures of a model-selection figure: (colour, marker).
STRUCTURES = {
    "spherical": ("#0072B2", "o"),  # blue
    "diag": ("#E69F00", "s"),  # orange
    "tied": ("#009E73", "^"),  # bluish green
    "full": ("#CC79A7", "D"),  # reddish purple
}
#: The data points, faint grey.
DATA = "0.6"
FAINT = "0.8"
#: Lines that mark a threshold (R-hat, ESS).
THRESHOLD = "#D55E00"


def color(name: str) -> str:
    """The colour of a fit by its label (any label starting with a fit's name)."""
    for key, value in COLORS.items():
        if name == key or name.startswith(key):
            return value
    raise KeyError(f"no colour for {name!r}; expected one of {list(COLORS)}")
