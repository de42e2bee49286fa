"""One palette and one style for every figure of every page.

Each fit has its colour, line style, line width and marker, the same in the
report, the lessons, the selection and the study pages (Okabe and Ito's
colour-blind-safe palette for the fits and methods, Paul Tol's muted palette for
the components).  Where two fits coincide, their styles still differ: a thick
solid line under a dashed one under a dotted one.  The diagnostic thresholds drawn
come from :mod:`gmm_pp.diagnostics`, where the warnings take them from.
"""

from __future__ import annotations

from gmm_pp.diagnostics import ESS_PER_CHAIN_MIN, RHAT_MAX

__all__ = [
    "COLORS",
    "COMPONENTS",
    "CRITERIA",
    "DATA",
    "ESS_PER_CHAIN_MIN",
    "FAINT",
    "FITS",
    "LINESTYLES",
    "LINEWIDTHS",
    "MARKERS",
    "RHAT_MAX",
    "SCENARIO_MARKERS",
    "STRUCTURES",
    "THRESHOLD",
    "color",
    "component_color",
    "fit_handle",
    "fit_style",
    "scenario_marker",
]

#: The point estimates and the truth, in the order legends list them.
FITS = ("EM (MLE)", "MAP-EM", "PyMC MAP", "posterior mean", "truth")
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
    "truth": (0, (1, 3)),  # sparse dots
    "prior": (0, (5, 2, 1, 2)),
}
#: Thick under thin: where fits coincide, each line still shows round the next.
LINEWIDTHS = {
    "EM (MLE)": 3.0,
    "MAP-EM": 2.0,
    "PyMC MAP": 1.5,
    "posterior mean": 1.2,
    "truth": 1.5,
    "prior": 1.5,
}
#: Open markers, so coinciding ones stay visible.
MARKERS = {"EM (MLE)": "x", "MAP-EM": "+", "PyMC MAP": "^", "posterior mean": "o", "truth": "*"}
_MARKER_SIZES = {"EM (MLE)": 11, "MAP-EM": 14, "PyMC MAP": 9, "posterior mean": 7, "truth": 12}
#: The covariance structures of a model-selection figure: (colour, marker).
STRUCTURES = {
    "spherical": ("#0072B2", "o"),  # blue
    "diag": ("#E69F00", "s"),  # orange
    "tied": ("#009E73", "^"),  # bluish green
    "full": ("#CC79A7", "D"),  # reddish purple
}
#: Model-selection criteria: (label, colour, marker).
CRITERIA = {
    "bic": ("BIC", "#0072B2", "o"),
    "icl": ("ICL", "#E69F00", "s"),
    "aic": ("AIC", "#009E73", "^"),
    "elpd_loo": ("PSIS-LOO", "#D55E00", "D"),
    "stacking_weight": ("stacking", "#CC79A7", "v"),
}
#: Mixture components (Paul Tol's muted palette).
COMPONENTS = (
    "#332288", "#117733", "#CC6677", "#88CCEE", "#999933", "#AA4499", "#44AA99", "#882255",
    "#DDCC77",
)  # fmt: skip
#: A study's scenarios, one marker each (in sorted order of their names).
SCENARIO_MARKERS = ("o", "s", "D", "^", "v", "<", ">", "P", "X")
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


def fit_style(name: str, *, marker: bool = False) -> dict:
    """Keyword arguments drawing fit ``name``: colour, line style and width (and marker)."""
    style = {"color": COLORS[name], "linestyle": LINESTYLES[name], "linewidth": LINEWIDTHS[name]}
    if marker and name in MARKERS:
        style.update(
            marker=MARKERS[name],
            markersize=_MARKER_SIZES[name],
            markerfacecolor="none",
            markeredgewidth=1.6,
        )
    return style


def fit_handle(name: str, label: str | None = None):
    """A legend entry (a ``Line2D``) showing both the line style and the marker of ``name``."""
    from matplotlib.lines import Line2D  # on use: importing reports loads no matplotlib

    return Line2D([], [], label=label or name, **fit_style(name, marker=True))


def component_color(j: int) -> str:
    """The colour of component ``j`` (the palette repeats after nine)."""
    return COMPONENTS[j % len(COMPONENTS)]


def scenario_marker(scenarios, name: str) -> str:
    """The marker of scenario ``name`` among ``scenarios`` (the same on every study figure)."""
    ordered = sorted(set(scenarios))
    return SCENARIO_MARKERS[ordered.index(name) % len(SCENARIO_MARKERS)]
