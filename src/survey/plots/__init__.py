"""Seaborn figures. Every function returns a matplotlib Figure and shows nothing.

One submodule per analysis area; the functions are re-exported here so that notebooks can write
``from survey import plots; plots.likert_bars(...)``.
"""
from __future__ import annotations

from .impact import coef_plot, event_study_plot, means_heatmap, prepost_plot
from .needs import gap_heatmap, jp_histogram, priority_matrix
from .reliability import correlation_heatmap, item_labels, likert_bars
from .skm import heat_table, ikm_trend, ranking_bars, unsur_bars
from .trend import trend_figure

__all__ = [
    "coef_plot", "correlation_heatmap", "event_study_plot", "gap_heatmap", "heat_table", "ikm_trend",
    "item_labels", "jp_histogram", "likert_bars", "means_heatmap", "prepost_plot", "priority_matrix",
    "ranking_bars", "trend_figure", "unsur_bars",
]
