"""A score over waves with its confidence band (:func:`survey.skm.trend`).

The function returns a matplotlib Figure and shows nothing; the caller displays or saves it.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .._checks import check_lang
from ..skm.trend import TrendResult
from ._figure import laid_out, subplots

__all__ = ["trend_figure"]

_TXT = {"id": {"ci": "IK {p:g}%"}, "en": {"ci": "{p:g}% CI"}}


def trend_figure(trend: TrendResult | pd.DataFrame, title: str = "", ylabel: str = "", highlight: Any = None,
                 ylim: tuple[float, float] | None = None, lang: str = "id") -> Figure:
    """Line of the value per wave with its confidence band and n above each point.

    ``trend`` is a :class:`~survey.skm.TrendResult` or its table (columns label, n, value, ci_low,
    ci_high, wave). ``highlight`` shades the wave whose value (compared as text) equals it; None
    shades nothing. Waves without a value (no respondent) leave a gap in the line.
    """
    check_lang(lang)
    table = trend.table if isinstance(trend, TrendResult) else trend
    confidence = trend.confidence if isinstance(trend, TrendResult) else 0.95
    fig, ax = subplots(figsize=(7.5, 3.2))
    x = np.arange(len(table))
    y = table["value"].to_numpy(dtype=float)
    ax.fill_between(x, table["ci_low"].to_numpy(dtype=float), table["ci_high"].to_numpy(dtype=float),
                    color="#9ecae1", alpha=0.5, linewidth=0, label=_TXT[lang]["ci"].format(p=round(100 * confidence, 1)))
    ax.plot(x, y, marker="o", color="#08519c")
    for xi, yi, n in zip(x, y, table["n"]):
        if np.isfinite(yi):
            ax.annotate(f"n={int(n)}", (xi, yi), textcoords="offset points", xytext=(0, 7), ha="center",
                        fontsize=7, color="#555")
    if highlight is not None:
        for k, w in enumerate(table["wave"]):
            if str(w) == str(highlight):
                ax.axvspan(k - 0.4, k + 0.4, color="#fdd0a2", alpha=0.6, zorder=0)
    ax.set_xticks(x)
    ax.set_xticklabels(table["label"], fontsize=8)
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    ax.grid(axis="y", color="#eee")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return laid_out(fig)
