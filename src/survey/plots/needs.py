"""Figures for the training-needs analysis: priority matrix, gap heat map, JP distribution.

Each function returns a matplotlib Figure and shows nothing; the notebook displays it.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from .._checks import check_lang
from ..errors import DataError
from ..needs import PRIORITY_LABELS, JPResult, NeedsResult
from ._figure import laid_out, subplots
from ._heatmap import heatmap

__all__ = ["priority_matrix", "gap_heatmap", "jp_histogram"]

PRIORITY_COLOURS = {"high": "#c62828", "medium": "#ef6c00", "low": "#78909c"}
_TXT = {
    "id": {"share": "Pegawai dengan kesenjangan (%)", "gap": "Rerata kesenjangan (dibutuhkan - saat ini)",
           "high": "prioritas tinggi", "jp": "JP per pegawai per tahun", "count": "Jumlah pegawai-tahun",
           "floor": "batas minimal {f:g} JP"},
    "en": {"share": "Staff with a gap (%)", "gap": "Mean gap (required - current)",
           "high": "high priority", "jp": "JP per employee and year", "count": "Employee-years",
           "floor": "floor of {f:g} JP"},
}


def priority_matrix(result: NeedsResult, group: Any = None, labels: Mapping[str, str] | None = None,
                    lang: str = "id", title: str | None = None, ncols: int = 2) -> Figure:
    """Scatter of mean gap (y) against the share of staff with a gap (x), one point per
    competency (size grows with n). The dashed lines are the result's mean_cut and share_cut; the
    shaded upper-right quadrant is "high". ``group`` picks one value of the first grouping level;
    by default there is one panel per value (e.g. per sector)."""
    check_lang(lang)
    s = result.summary
    if group is not None:
        try:
            s = s.xs(group, level=0, drop_level=False)
        except KeyError:
            raise DataError(f"priority_matrix: group {group!r} is not in the result") from None
    s = s.reset_index()
    s = s[s["n"] > 0]
    first = result.by[0]
    panels = list(dict.fromkeys(s[first]))
    nc = min(ncols, len(panels)) or 1
    nr = int(np.ceil(len(panels) / nc)) or 1
    # the panels have the same scales without sharing their axes: shared axes measure each other's
    # tick labels on every layout pass, which made this figure the slowest of its report
    fig, axes = subplots(nr, nc, figsize=(6.2 * nc, 4.6 * nr), squeeze=False)
    ymax = max(result.mean_cut + 0.5, float(np.nanmax(s["mean_gap"])) + 0.3) if len(s) else 2
    ymin = min(0, float(np.nanmin(s["mean_gap"])) - 0.2) if len(s) else 0
    # the ticks chosen once for all panels: a locator asked again on every layout pass of every
    # panel cost more than drawing the points
    yticks = [v for v in MaxNLocator(6).tick_values(ymin, ymax) if ymin <= v <= ymax]
    for ax, key in zip(axes.flat, panels):
        _priority_panel(ax, s[s[first] == key], result, labels, lang)
        ax.set_title(str(key) if len(result.by) else "", loc="left", fontsize=10)
        ax.set_xticks(range(0, 101, 20))
        ax.set_yticks(yticks)
        ax.set_ylim(ymin, ymax)
        ax.text(103, ymax - 0.05, _TXT[lang]["high"], ha="right", va="top", fontsize=8, color="#c62828")
    shown = list(axes.flat)[:len(panels)]
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    for i, ax in enumerate(shown):
        if i + nc < len(panels):
            ax.tick_params(labelbottom=False)  # a panel below shows this column's scale
        else:
            ax.set_xlabel(_TXT[lang]["share"])
        if i % nc:
            ax.tick_params(labelleft=False)
        else:
            ax.set_ylabel(_TXT[lang]["gap"])
    # one legend for all panels (every priority, whether or not the first panel has it)
    handles = [Line2D([], [], ls="", marker="o", markersize=7, color=PRIORITY_COLOURS[p], label=PRIORITY_LABELS[lang][p])
               for p in ("high", "medium", "low")]
    shown[0].legend(handles=handles, fontsize=7, frameon=False, loc="lower right")
    if title:
        fig.suptitle(title, x=0.01, ha="left")
    return laid_out(fig)


def _priority_panel(ax, d0: pd.DataFrame, result: NeedsResult, labels: Mapping[str, str] | None, lang: str) -> None:
    """One group's competencies over the cut-off lines, coloured by priority; low ones unlabelled."""
    ax.add_patch(Rectangle((result.share_cut * 100, result.mean_cut), 110, 10, color="#ffebee", lw=0, zorder=0))
    ax.axvline(result.share_cut * 100, color="#777777", ls="--", lw=1)
    ax.axhline(result.mean_cut, color="#777777", ls="--", lw=1)
    for p in ("high", "medium", "low"):
        d = d0[d0["priority"] == p]
        if len(d):
            ax.scatter(d["share_gap"] * 100, d["mean_gap"], s=30 + 5 * np.sqrt(d["n"]),
                       color=PRIORITY_COLOURS[p], edgecolor="white", zorder=3)
    for _, r in d0.iterrows():
        if r["priority"] == "low":
            continue  # name the competencies that matter; low ones sit unlabelled near the origin
        name = labels.get(r["competency"], r["competency"]) if labels else r["competency"]
        ax.annotate(name, (r["share_gap"] * 100, r["mean_gap"]), xytext=(4, 3), textcoords="offset points",
                    fontsize=7)
    ax.set_xlim(-3, 105)


def gap_heatmap(result: NeedsResult, labels: Mapping[str, str] | None = None, lang: str = "id",
                title: str | None = None, value: str = "mean_gap") -> Figure:
    """Groups (rows) x competencies (columns) heat map of the mean gap (or another summary column)."""
    check_lang(lang)
    s = result.summary[value].unstack("competency")
    s = s[[c for c in result.competencies if c in s.columns]]
    if labels:
        s.columns = [labels.get(c, c) for c in s.columns]
    if isinstance(s.index, pd.MultiIndex):
        s.index = [" / ".join(map(str, i)) for i in s.index]
    fig, ax = subplots(figsize=(max(6, 0.9 * s.shape[1] + 2.5), max(2.5, 0.4 * s.shape[0] + 1.8)))
    heatmap(s, annot=True, fmt=".2f", cmap="Reds", vmin=0, vmax=max(1.5, float(np.nanmax(s.to_numpy()))),
                linewidths=0.5, cbar_kws={"label": _TXT[lang]["gap"]}, ax=ax, annot_kws={"fontsize": 8})
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=35, labelsize=8)
    for t in ax.get_xticklabels():
        t.set_horizontalalignment("right")
    if title:
        ax.set_title(title, loc="left")
    return laid_out(fig)


def jp_histogram(jp: JPResult, lang: str = "id", title: str | None = None) -> Figure:
    """Histogram of JP per employee (and period) with the floor as a line."""
    check_lang(lang)
    v = jp.per_employee["jp"].to_numpy(dtype=float)
    fig, ax = subplots(figsize=(7, 3.6))
    bins = np.arange(0, max(float(np.nanmax(v)) if len(v) else 0, jp.floor) + 8, 4)
    ax.hist(v, bins=bins, color="#5c6bc0", edgecolor="white")
    ax.axvline(jp.floor, color="#c62828", lw=2)
    ax.text(jp.floor, ax.get_ylim()[1] * 0.95, " " + _TXT[lang]["floor"].format(f=jp.floor), color="#c62828",
            fontsize=8, va="top")
    ax.set_xlabel(_TXT[lang]["jp"])
    ax.set_ylabel(_TXT[lang]["count"])
    if title:
        ax.set_title(title, loc="left")
    return laid_out(fig)
