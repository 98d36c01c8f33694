"""How the package's figures are made: at the resolution the reports draw them, laid out when drawn."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine

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


class _WholeFigureTight(TightLayoutEngine):
    """Matplotlib's tight layout, measured once per drawing when it fills the whole figure.

    Asked to fit the axes into a rectangle (by default the whole figure, (0, 0, 1, 1)), the engine
    measures every axes with its labels, then measures them all again to fit the margins it found
    into that rectangle; for the whole figure the second pass repeats the first exactly. Without a
    rectangle it stops after the first. Measuring is most of a layout, and a layout is most of a
    drawing of these figures.
    """

    def execute(self, fig: Figure) -> None:
        rect = self._params["rect"]
        if rect is None or tuple(rect) != (0, 0, 1, 1):
            return super().execute(fig)
        self._params["rect"] = None
        try:
            return super().execute(fig)
        finally:
            self._params["rect"] = rect


def laid_out(fig: Figure) -> Figure:
    """``fig`` with the tight layout engine: labels, titles and legends are fitted into the figure
    each time it is drawn, as ``fig.tight_layout()`` does once.

    Laying out when drawn measures the texts with the renderer that then paints them, at the size
    it paints them, so each text is measured once; ``tight_layout()`` at build time measures them
    at the figure's own resolution, and the drawing measures them again. A figure laid out this way
    is also known to fit inside its edges, which lets :func:`survey.report.figure` crop it to what
    it painted without measuring it once more.

    >>> fig, ax = subplots()
    >>> from matplotlib.layout_engine import TightLayoutEngine
    >>> isinstance(laid_out(fig).get_layout_engine(), TightLayoutEngine)
    True
    >>> plt.close(fig)
    """
    fig.set_layout_engine(_WholeFigureTight())
    return fig
