"""Figures for the citizen satisfaction index (SKM/IKM).

Each function returns a matplotlib Figure and shows nothing; the notebook displays it. Grade bands
(mutu D/C/B/A) are drawn from :data:`survey.skm.GRADE_TABLES`, so they follow the regime.
"""
from __future__ import annotations

import textwrap
from typing import Any, Mapping

import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .._checks import check_lang, renamed
from ..errors import DataError
from ..skm import GRADE_TABLES, IKMResult, grade
from ._figure import laid_out, subplots

__all__ = ["unsur_bars", "ikm_trend", "heat_table", "ranking_bars", "grade_bounds", "GRADE_COLOURS"]

GRADE_COLOURS = {"D": "#e74c3c", "C": "#f39c12", "B": "#9ccc65", "A": "#2e7d32"}
_TXT = {
    "id": {"nrr": "NRR per unsur (1-4)", "ikm": "IKM", "unit": "IKM unit pelayanan (25-100)",
           "wave": "Periode", "mutu": "Mutu", "small": "sampel kurang dari Krejcie-Morgan",
           "ci": "IK {p:.0f}%"},
    "en": {"nrr": "NRR per element (1-4)", "ikm": "IKM", "unit": "Unit IKM (25-100)",
           "wave": "Period", "mutu": "Grade", "small": "sample below Krejcie-Morgan",
           "ci": "{p:.0f}% CI"},
}


def grade_bounds(regime: str, scale: str) -> list[tuple[str, float, float]]:
    """``(grade, start, end)`` of the grades D, C, B, A of ``regime`` on ``scale`` ("ikm", 1-4, or
    "unit", 25-100).

    >>> grade_bounds("2017", "ikm")[0]
    ('D', 1.0, 2.5996)
    """
    t = GRADE_TABLES[str(regime)]
    lo, hi = (1.0, 4.0) if scale == "ikm" else (25.0, 100.0)
    edges = [lo, *t[scale], hi]
    return [(g, edges[i], edges[i + 1]) for i, g in enumerate(("D", "C", "B", "A"))]


def _bands(ax, regime: str, scale: str, axis: str = "y", alpha: float = 0.12) -> None:
    """Shade the grade bands; call :func:`_band_labels` after the axis limits are final."""
    for g, a, b in grade_bounds(regime, scale):
        span = ax.axhspan if axis == "y" else ax.axvspan
        span(a, b, color=GRADE_COLOURS[g], alpha=alpha, lw=0, zorder=0)


def _band_labels(ax, regime: str, scale: str, axis: str = "y") -> None:
    """Grade letters beside the visible part of each band (bands outside the view get none)."""
    lo, hi = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
    for g, a, b in grade_bounds(regime, scale):
        a, b = max(a, lo), min(b, hi)
        if b - a < (hi - lo) * 0.03:
            continue
        mid = (a + b) / 2
        if axis == "y":
            ax.text(1.005, mid, g, transform=ax.get_yaxis_transform(), va="center", ha="left",
                    fontsize=9, color=GRADE_COLOURS[g], fontweight="bold")
        else:
            ax.text(mid, 1.01, g, transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                    fontsize=9, color=GRADE_COLOURS[g], fontweight="bold")


def unsur_bars(result: IKMResult, group: Any = None, lang: str = "id", title: str | None = None) -> Figure:
    """Horizontal bars of the NRR per unsur for one group, over the grade bands, with the group's
    IKM as a dashed line. Bars are coloured by the grade their NRR would get."""
    check_lang(lang)
    nrr = result.nrr
    if group is None:
        if len(nrr) != 1:
            raise DataError(f"unsur_bars: the result has {len(nrr)} groups; pass group=<one of them>")
        group = nrr.index[0]
    vals = nrr.loc[group]
    labels = [textwrap.fill(f"{c}  {result.unsur.loc[c, f'label_{lang}']}", 38) for c in vals.index]
    fig, ax = subplots(figsize=(8, 0.45 * len(vals) + 1.6))
    _bands(ax, result.regime, "ikm", axis="x")
    colours = [GRADE_COLOURS.get(g, "#999999") if g else "#cccccc"
               for g in grade(vals.to_numpy(dtype=float), result.regime, "ikm")]
    y = np.arange(len(vals))[::-1]
    ax.barh(y, vals.fillna(0).to_numpy(), color=colours, edgecolor="#333333", height=0.65, zorder=2)
    for yi, v in zip(y, vals.to_numpy(dtype=float)):
        ax.text((v if np.isfinite(v) else 1.0) + 0.03, yi, f"{v:.2f}" if np.isfinite(v) else "–",
                va="center", fontsize=8, zorder=3)
    ikm = float(result.summary.loc[group, "ikm"])
    if np.isfinite(ikm):
        ax.axvline(ikm, color="#1a237e", ls="--", lw=1.2, zorder=3)
        ax.text(ikm, -0.9, f"{_TXT[lang]['ikm']} {ikm:.2f}", color="#1a237e", ha="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(1, 4.2)
    ax.set_ylim(-1.2, len(vals) - 0.4)
    _band_labels(ax, result.regime, "ikm", axis="x")
    ax.set_xlabel(_TXT[lang]["nrr"])
    if title:
        ax.set_title(title, loc="left", pad=18)
    return laid_out(fig)


def ikm_trend(result: IKMResult, units: list | None = None, by: str = "unit_id", wave: str = "wave",
              wave_labels: Mapping[Any, str] | None = None, lang: str = "id", title: str | None = None,
              max_lines: int = 12, *, unit: str | None = None) -> Figure:
    """IKM unit (25-100) across waves, one line per value of ``by`` (formerly ``unit``; a single line
    when the result is grouped by wave only), with the confidence band when there are few lines and
    the grade bands. ``units`` picks the lines (default: the first ``max_lines``)."""
    by = renamed("ikm_trend", "unit", unit, "by", by, "unit_id")
    check_lang(lang)
    s = result.summary
    names = list(s.index.names)
    if wave not in names:
        raise DataError(f"ikm_trend needs a result grouped by {wave!r}; it is grouped by {names}")
    frame = s.reset_index()
    fig, ax = subplots(figsize=(8, 4.2))
    _bands(ax, result.regime, "unit", axis="y")
    if by in names:
        keep = units if units is not None else list(dict.fromkeys(frame[by]))[:max_lines]
        groups = [(u, frame[frame[by] == u]) for u in keep]
    else:
        groups = [(None, frame)]
    waves = sorted(frame[wave].dropna().unique())
    _trend_lines(ax, groups, waves, wave)
    ax.set_xticks(range(len(waves)), [str(wave_labels.get(w, w)) if wave_labels else str(w) for w in waves])
    lo = np.nanmin(frame["ci_low_unit"].fillna(frame["ikm_unit"])) if len(frame) else 25
    hi = np.nanmax(frame["ci_high_unit"].fillna(frame["ikm_unit"])) if len(frame) else 100
    ax.set_ylim(max(25, lo - 5), min(100, hi + 5))
    _band_labels(ax, result.regime, "unit", axis="y")
    ax.set_ylabel(_TXT[lang]["unit"])
    ax.set_xlabel(_TXT[lang]["wave"])
    if groups[0][0] is not None and len(groups) > 1:
        ax.legend(fontsize=8, ncol=2, frameon=False, loc="upper left", bbox_to_anchor=(1.03, 1))
    if title:
        ax.set_title(title, loc="left")
    return laid_out(fig)


def _trend_lines(ax, groups: list[tuple[Any, pd.DataFrame]], waves: list, wave: str) -> None:
    """One line per group at the waves' positions; a band only when there are at most three lines."""
    pos = {w: i for i, w in enumerate(waves)}
    for u, d in groups:
        d = d.sort_values(wave)
        x = d[wave].map(pos).to_numpy()
        line, = ax.plot(x, d["ikm_unit"], marker="o", lw=1.8, label=u)
        if len(groups) <= 3 and d["ci_low_unit"].notna().any():
            ax.fill_between(x, d["ci_low_unit"], d["ci_high_unit"], color=line.get_color(), alpha=0.18, lw=0)


def heat_table(table: pd.DataFrame, regime: str = "2017", lang: str = "id", title: str | None = None,
               fmt: str = "{:.1f}", col_labels: Mapping[Any, str] | None = None) -> Figure:
    """A heat table of IKM unit values (rows e.g. kecamatan, columns e.g. waves), each cell coloured
    by its grade and annotated with its value; empty cells stay white."""
    check_lang(lang)
    vals = table.to_numpy(dtype=float)
    edges = [25.0] + [e + 1e-9 for e in GRADE_TABLES[str(regime)]["unit"]] + [100.0 + 1e-9]
    cmap = ListedColormap([GRADE_COLOURS[g] for g in ("D", "C", "B", "A")]).with_extremes(bad="white")
    norm = BoundaryNorm(edges, cmap.N)
    h = max(2.5, 0.32 * len(table) + 1.5)
    fig, ax = subplots(figsize=(max(5, 0.9 * table.shape[1] + 3), h))
    ax.imshow(np.ma.masked_invalid(vals), cmap=cmap, norm=norm, aspect="auto", alpha=0.85)
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            if np.isfinite(vals[i, j]):
                ax.text(j, i, fmt.format(vals[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if grade(vals[i, j], regime, "unit") in ("A", "D") else "black")
    ax.set_xticks(range(table.shape[1]),
                  [str(col_labels.get(c, c)) if col_labels else str(c) for c in table.columns], fontsize=8)
    ax.set_yticks(range(table.shape[0]), [str(i) for i in table.index], fontsize=8)
    ax.tick_params(length=0)
    handles = [Patch(color=GRADE_COLOURS[g], label=f"{g}") for g in ("A", "B", "C", "D")]
    ax.legend(handles=handles, title=_TXT[lang]["mutu"], fontsize=8, title_fontsize=8, frameon=False,
              loc="upper left", bbox_to_anchor=(1.01, 1))
    if title:
        ax.set_title(title, loc="left")
    return laid_out(fig)


def ranking_bars(ranking: pd.DataFrame, regime: str = "2017", lang: str = "id", labels: Mapping[Any, str] | None = None,
                 title: str | None = None) -> Figure:
    """Horizontal bars of IKM unit per unit in rank order with CI whiskers over the grade bands;
    units with a sample below the Krejcie-Morgan size are hatched."""
    check_lang(lang)
    r = ranking.sort_values("ikm_unit")
    fig, ax = subplots(figsize=(8, 0.3 * len(r) + 1.6))
    _bands(ax, regime, "unit", axis="x")
    y = np.arange(len(r))
    small = r["small_sample"].fillna(False).to_numpy(dtype=bool) if "small_sample" in r else np.zeros(len(r), bool)
    colours = [GRADE_COLOURS.get(g, "#999999") for g in r["mutu"]]
    ax.barh(y, r["ikm_unit"], color=colours, edgecolor="#333333", height=0.7, zorder=2)
    for yi, sm in zip(y, small):
        if sm:
            ax.barh(yi, r["ikm_unit"].iloc[yi], color="none", edgecolor="#333333", hatch="///", height=0.7, zorder=3)
    if r["ci_low_unit"].notna().any():
        ax.errorbar(r["ikm_unit"], y, xerr=[r["ikm_unit"] - r["ci_low_unit"], r["ci_high_unit"] - r["ikm_unit"]],
                    fmt="none", ecolor="#222222", lw=0.8, capsize=2, zorder=4)
    names = [str(labels.get(u, u)) if labels else str(u) for u in r.index]
    ax.set_yticks(y, names, fontsize=8)
    lo = np.nanmin(r["ci_low_unit"].fillna(r["ikm_unit"]))
    ax.set_xlim(max(25, lo - 5), 100)
    _band_labels(ax, regime, "unit", axis="x")
    ax.set_xlabel(_TXT[lang]["unit"])
    if small.any():
        ax.legend(handles=[Patch(facecolor="white", edgecolor="#333333", hatch="///", label=_TXT[lang]["small"])],
                  fontsize=8, frameon=False, loc="lower right")
    if title:
        ax.set_title(title, loc="left", pad=18)
    return laid_out(fig)
