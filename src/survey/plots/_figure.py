"""How the package's figures are made: at the resolution the reports draw them, laid out when drawn."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

# the resolution survey.report.figure draws at: text measured while a figure is built (a heat
# map's label check) is then measured at the size it is drawn, once
DPI = 110


def subplots(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """``matplotlib.pyplot.subplots`` at :data:`DPI`.

    >>> fig, ax = subplots(figsize=(4, 3))
    >>> float(fig.dpi)
    110.0
    >>> plt.close(fig)
    """
    return plt.subplots(nrows, ncols, dpi=DPI, **kwargs)


def laid_out(fig: Figure) -> Figure:
    """``fig`` with the tight layout engine: labels, titles and legends are fitted into the figure
    each time it is drawn, as ``fig.tight_layout()`` does once.

    Laying out when drawn measures the texts with the renderer that then paints them, at the size
    it paints them, so each text is measured once; ``tight_layout()`` at build time measures them
    at the figure's own resolution, and the drawing measures them again. A figure laid out this way
    is also known to fit inside its edges, which lets :func:`survey.report.figure` crop it to what
    it painted without measuring it once more.

    >>> fig, ax = subplots()
    >>> type(laid_out(fig).get_layout_engine()).__name__
    'TightLayoutEngine'
    >>> plt.close(fig)
    """
    fig.set_layout_engine("tight")
    return fig
