"""Figures for program impact: coefficient plots, event studies, before/after.

Each function returns a matplotlib Figure and shows nothing; the notebook displays it.
"""
from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from .._checks import DEFAULT_SEED, check_lang, require_columns
from .._random import rng
from ..errors import DataError
from ._figure import laid_out, subplots
from ._heatmap import heatmap

__all__ = ["coef_plot", "event_study_plot", "prepost_plot", "means_heatmap"]

_TEXT = {
    "id": {"estimate": "Estimasi efek (IK 95%)", "event": "Periode relatif terhadap program (0 = gelombang pertama)",
           "effect": "Efek terhadap skor", "ref": "acuan", "before": "Sebelum", "after": "Sesudah",
           "score": "Skor", "twfe": "TWFE", "cs": "Callaway-Sant'Anna"},
    "en": {"estimate": "Estimated effect (95% CI)", "event": "Periods relative to the program (0 = first wave)",
           "effect": "Effect on the score", "ref": "reference", "before": "Before", "after": "After",
           "score": "Score", "twfe": "TWFE", "cs": "Callaway-Sant'Anna"},
}


def _t(lang: str) -> dict[str, str]:
    return _TEXT[check_lang(lang)]


def coef_plot(table: pd.DataFrame, estimate: str = "coef", low: str = "ci_low", high: str = "ci_high",
              labels: Mapping[str, str] | None = None, title: str | None = None, xlabel: str | None = None,
              truth: Mapping[str, float] | None = None, lang: str = "en", zero: bool = True) -> Figure:
    """Dot-and-whisker plot: one row per term (the table's index), point estimate with its interval.

    ``table`` is any result table indexed by term (``DiDResult.table``, ``MixedResult.table``, or a frame built
    from several results). ``truth`` maps terms to known true values (synthetic data), drawn as
    open diamonds. A dashed line marks zero.
    """
    require_columns(table, [estimate, low, high], "coef_plot(table=...)")
    if len(table) == 0:
        raise DataError("coef_plot: the table is empty.")
    tx = _t(lang)
    terms = list(table.index)
    names = [str((labels or {}).get(t, t)) for t in terms]
    y = np.arange(len(terms))[::-1]
    fig, ax = subplots(figsize=(7, 0.55 * len(terms) + 1.4))
    est = table[estimate].to_numpy(dtype=float)
    lo = table[low].to_numpy(dtype=float)
    hi = table[high].to_numpy(dtype=float)
    color = sns.color_palette("deep")[0]
    ax.hlines(y, lo, hi, color=color, lw=2.2)
    ax.plot(est, y, "o", color=color, ms=7, label=tx["estimate"])
    if truth:
        tv = [truth.get(t, np.nan) for t in terms]
        ax.plot(tv, y, "D", mfc="none", mec="#c0392b", ms=8, label="truth" if lang == "en" else "nilai benar")
        # below the axes, where it cannot cover an interval
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18 - 0.6 / max(len(terms), 1)), ncol=2,
                  frameon=False)
    if zero:
        ax.axvline(0, color="0.4", ls="--", lw=1)
    ax.set_yticks(y, names)
    ax.set_xlabel(xlabel or tx["estimate"])
    if title:
        ax.set_title(title, loc="left")
    sns.despine(ax=ax)
    return laid_out(fig)


def event_study_plot(table: pd.DataFrame, event_time: str = "event_time", estimate: str = "coef",
                     low: str = "ci_low", high: str = "ci_high", reference: int | None = -1,
                     overlay: pd.DataFrame | None = None, overlay_label: str | None = None,
                     title: str | None = None, ylabel: str | None = None, lang: str = "en",
                     label: str | None = None) -> Figure:
    """Event-study figure: effect by period relative to adoption with 95% intervals.

    ``table`` is ``EventStudyResult.table`` (columns event_time, coef, ci_low, ci_high) or
    ``StaggeredResult.dynamic`` (pass ``estimate="att"``). ``overlay`` draws a second estimator
    (e.g. the Callaway-Sant'Anna dynamic aggregation beside TWFE leads and lags), shifted a little
    to the right so both stay readable. The reference period (fixed at 0) is an open circle.
    """
    require_columns(table, [event_time, estimate, low, high], "event_study_plot(table=...)")
    tx = _t(lang)
    fig, ax = subplots(figsize=(7.5, 4.2))
    pal = sns.color_palette("deep")
    series = [(table, estimate, label or tx["twfe"], pal[0], 0.0)]
    if overlay is not None:
        ov_est = "att" if "att" in overlay.columns else estimate
        require_columns(overlay, [event_time, ov_est, low, high], "event_study_plot(overlay=...)")
        series.append((overlay, ov_est, overlay_label or tx["cs"], pal[1], 0.12))
    for frame, col, name, color, shift in series:
        f = frame.sort_values(event_time)
        e = f[event_time].to_numpy(dtype=float) + shift
        ax.vlines(e, f[low], f[high], color=color, lw=2)
        is_ref = (f[event_time] == reference).to_numpy() if reference is not None and frame is table \
            else np.zeros(len(f), bool)
        ax.plot(e, f[col].to_numpy(), "-", color=color, lw=1.2, alpha=0.8)
        ax.plot(e[~is_ref], f[col].to_numpy()[~is_ref], "o", color=color, ms=6, label=name)
        if is_ref.any():
            ax.plot(e[is_ref], f[col].to_numpy()[is_ref], "o", mfc="white", mec=color, ms=7)
            ax.annotate(tx["ref"], (e[is_ref][0], 0), textcoords="offset points", xytext=(0, -14),
                        ha="center", fontsize=8, color="0.35")
    ax.axhline(0, color="0.4", ls="--", lw=1)
    ax.axvline(-0.5, color="0.7", ls=":", lw=1)
    ax.set_xlabel(tx["event"])
    ax.set_ylabel(ylabel or tx["effect"])
    ticks = sorted(set(table[event_time].astype(int)))
    ax.set_xticks(ticks)
    if title:
        ax.set_title(title, loc="left")
    if len(series) > 1:
        ax.legend(frameon=False)
    sns.despine(ax=ax)
    return laid_out(fig)


def prepost_plot(data: pd.DataFrame, before: str, after: str, by: str | None = None,
                 title: str | None = None, lang: str = "en", max_lines: int = 300,
                 seed: int | None = DEFAULT_SEED) -> Figure:
    """Paired before/after scores: thin grey lines for (a sample of) individuals, means with 95% CI.

    With ``by`` (e.g. program), one panel per group; ``seed`` picks the sample of lines when a group
    has more than ``max_lines`` people. Rows missing either score are left out.
    """
    tx = _t(lang)
    cols = [before, after] + ([by] if by else [])
    require_columns(data, cols, "prepost_plot")
    d = data[cols].dropna()
    groups = list(pd.unique(d[by])) if by else [None]
    fig, axes = subplots(1, len(groups), figsize=(3.2 * len(groups) + 0.8, 4), sharey=True, squeeze=False)
    gen = rng(seed)
    for ax, g in zip(axes[0], groups):
        sub = d if g is None else d[d[by] == g]
        show = sub if len(sub) <= max_lines else sub.iloc[gen.choice(len(sub), max_lines, replace=False)]
        for b, a in zip(show[before].astype(float), show[after].astype(float)):
            ax.plot([0, 1], [b, a], color="0.75", lw=0.6, alpha=0.6)
        m = [sub[before].astype(float).mean(), sub[after].astype(float).mean()]
        se = [sub[before].astype(float).std(ddof=1) / np.sqrt(len(sub)),
              sub[after].astype(float).std(ddof=1) / np.sqrt(len(sub))]
        ax.errorbar([0, 1], m, yerr=1.96 * np.array(se), color=sns.color_palette("deep")[0], lw=2.5,
                    marker="o", capsize=4)
        ax.set_xticks([0, 1], [tx["before"], tx["after"]])
        ax.set_xlim(-0.3, 1.3)
        if g is not None:
            ax.set_title(f"{g} (n = {len(sub)})", fontsize=10)
    axes[0][0].set_ylabel(tx["score"])
    if title:
        fig.suptitle(title, x=0.02, ha="left")
    sns.despine(fig=fig)
    return laid_out(fig)


def means_heatmap(table: pd.DataFrame, title: str | None = None, vmin: float = 1.0, vmax: float = 5.0,
                  cbar_label: str = "", decimal: str = ".") -> Figure:
    """Heatmap of mean scores: rows (e.g. training sessions) by columns (constructs), annotated.

    Missing cells (e.g. suppressed small groups) stay blank. ``decimal`` sets the decimal mark
    of the annotations ("," for Indonesian).
    """
    if table.empty:
        raise DataError("means_heatmap: the table is empty.")
    vals = table.astype(float)
    # long construct labels wrap instead of running into each other
    vals.columns = [textwrap.fill(str(c), 14) for c in vals.columns]
    annot = vals.map(lambda v: "" if pd.isna(v) else f"{v:.2f}".replace(".", decimal))
    fig, ax = subplots(figsize=(1.3 * vals.shape[1] + 2.8, 0.38 * vals.shape[0] + 1.6))
    heatmap(vals, annot=annot, fmt="", cmap="RdYlGn", vmin=vmin, vmax=vmax, linewidths=0.5,
                cbar_kws={"label": cbar_label}, ax=ax)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", rotation=0)
    if title:
        ax.set_title(title, loc="left")
    return laid_out(fig)
