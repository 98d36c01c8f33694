"""Seaborn's heat map without the full drawing it makes to measure tick labels."""
from __future__ import annotations

from typing import Any

import seaborn as sns
from matplotlib.axes import Axes


def heatmap(data: Any, ax: Axes, **kwargs: Any) -> Axes:
    """``seaborn.heatmap(data, ax=ax, **kwargs)`` with its measuring draw reduced to a layout pass.

    Seaborn draws the whole figure (every pixel) once, only to read where the tick labels fell and
    turn them when they overlap; the report then draws the figure again. A layout pass without
    pixels (``Figure.draw_without_rendering``) places and measures the labels the same way, so the
    labels turn exactly as before and the figure is painted once.
    """
    canvas = ax.figure.canvas
    canvas.draw = ax.figure.draw_without_rendering  # an instance attribute shadows the method
    try:
        return sns.heatmap(data, ax=ax, **kwargs)
    finally:
        del canvas.draw
