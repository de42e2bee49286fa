"""Figures and HTML reports comparing EM, MAP and posterior fits.

``reports.figdata`` computes every plotted number once from a finished
comparison; ``reports.plots`` draws them (one function per figure, nothing
computed, nothing shown); ``reports.html`` writes the page.  Importing this
package loads neither matplotlib nor PyMC.
"""

from reports.html import render_report, write_report

__all__ = ["render_report", "write_report"]
