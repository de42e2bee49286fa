"""Figures and HTML reports comparing EM, MAP and posterior fits.

Nothing here computes: every function draws finished results.  The figures
and the report arrive with the comparison; importing this package is cheap.
"""

__all__: list[str] = []
