"""Figures for scale analysis: answer distributions and inter-item correlations.

Each function returns a matplotlib Figure and shows nothing; the notebook displays it.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .._checks import check_lang
from ..errors import DataError
from ._figure import laid_out, subplots
from ._heatmap import heatmap

__all__ = ["likert_bars", "likert_shares", "LikertShares", "correlation_heatmap", "lower_correlations", "item_labels"]


def item_labels(instrument, items: Sequence[str], lang: str | None = None, width: int | None = 45,
                mark_reverse: bool = True) -> dict[str, str]:
    """``{item: "NAME  label"}`` wrapped to ``width`` characters (``None``: not wrapped, for HTML);
    reverse-keyed items get "(R)". ``lang`` is ``"id"`` or ``"en"``; ``None`` takes the
    instrument's default language."""
    if lang is not None:
        check_lang(lang)
    out = {}
    for name in items:
        it = instrument.item(name)
        text = instrument.label(name, lang)
        tag = " (R)" if mark_reverse and it.reverse else ""
        label = f"{name}{tag}  {text}"
        out[name] = textwrap.fill(label, width=width, max_lines=3, placeholder=" ...") if width else label
    return out


@dataclass(frozen=True)
class LikertShares:
    """What a diverging Likert chart shows: each item's answer shares and where its bar starts.

    ``percent``: items x answer values, the share (%) of the item's answered responses (NaN for an
    item nobody answered); ``left``: per item, the share drawn left of zero (the options below
    the middle and half of the middle one of an odd scale); ``options``: answer value -> label,
    low to high; ``colours``: an RGB triple per option (``RdBu``, the middle one grey);
    ``labels``: item -> label (``None`` when none were given or derived); ``legend_title``: set
    when the legend shows values instead of labels (items whose answers have different words).
    """

    percent: pd.DataFrame
    left: pd.Series
    options: dict
    colours: list
    labels: dict | None
    legend_title: str | None


def likert_shares(data: pd.DataFrame, items: Sequence[str] | None = None, options: Mapping[int, str] | None = None,
                  labels: Mapping[str, str] | None = None, instrument=None, lang: str | None = None,
                  label_width: int | None = 45) -> LikertShares:
    """The numbers of :func:`likert_bars` (answer shares per item, their left part, the options'
    labels and colours), for a chart drawn elsewhere (the reports draw it as an HTML table).

    >>> sh = likert_shares(pd.DataFrame({"a": [1, 2, 2, 3]}), options={1: "no", 2: "maybe", 3: "yes"})
    >>> sh.percent.loc["a"].tolist(), float(sh.left["a"])
    ([25.0, 50.0, 25.0], 50.0)
    """
    if lang is not None:
        check_lang(lang)
    items = list(items if items is not None else data.columns)
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise DataError(f"likert_bars: column(s) {', '.join(missing)} are not in the data")
    legend_title = None
    if instrument is not None:
        scale = instrument.scale_of(items[0])
        label_sets = {tuple(instrument.text(o.label, lang) for o in sc.options)
                      for sc in (instrument.scale_of(i) for i in items) if sc is not None}
        if options is None and scale is not None and len(label_sets) == 1:
            options = {o.value: instrument.text(o.label, lang) for o in scale.options}
        elif options is None and scale is not None:
            # e.g. the SKM: every unsur has its own words for 1-4, so the legend shows the values
            options = {o.value: str(o.value) for o in scale.options}
            legend_title = ("nilai jawaban (label berbeda per butir)" if (lang or instrument.default_language) == "id"
                            else "answer value (labels differ by item)")
        if labels is None:
            labels = item_labels(instrument, items, lang, width=label_width)
    values = data[items]
    if options is None:
        observed = sorted({int(v) for v in pd.unique(values.stack().dropna())})
        options = {v: str(v) for v in observed}
    vals = list(options)
    k = len(vals)
    counts = pd.DataFrame({i: values[i].value_counts() for i in items}).T.reindex(columns=vals, fill_value=0).fillna(0)
    n = counts.sum(axis=1).replace(0, np.nan)
    pct = counts.div(n, axis=0) * 100
    half = k // 2
    # left: options below the middle (and half the middle one); right: the rest
    left = pct.iloc[:, :half].sum(axis=1) + (pct.iloc[:, half] / 2 if k % 2 else 0)
    colours = sns.color_palette("RdBu", k)
    if k % 2:
        colours[half] = (0.78, 0.78, 0.78)
    return LikertShares(percent=pct, left=left, options=dict(options), colours=list(colours),
                        labels=dict(labels) if labels is not None else None, legend_title=legend_title)


def likert_bars(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    options: Mapping[int, str] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    xlabel: str = "%",
    instrument=None,
    lang: str | None = None,
) -> Figure:
    """Diverging stacked bar chart of Likert answers, one bar per item.

    Shares are of the answered (non-missing) responses of each item. Options below the middle
    extend to the left of zero, those above to the right; the middle option of an odd scale is
    split in half across zero (Robbins & Heiberger 2011). Answers are shown as given, so a
    reverse-keyed item leans the other way (its label says "(R)" when ``instrument`` is given).

    ``options`` maps answer values to labels (low to high); with ``instrument`` they come from the
    first item's scale in ``lang`` (``"id"`` or ``"en"``; ``None``: the instrument's default),
    else they are the sorted observed values. The numbers are :func:`likert_shares`.
    """
    items = list(items if items is not None else data.columns)
    sh = likert_shares(data, items, options, labels, instrument, lang)
    pct, left, colors, options = sh.percent, sh.left, sh.colours, sh.options
    vals = list(options)
    k = len(vals)
    height = max(2.4, 0.55 * len(items) + 1.4)
    fig, ax = subplots(figsize=(10, height))
    ypos = np.arange(len(items))[::-1]
    start = -left.to_numpy()
    for j, v in enumerate(vals):
        w = pct[v].fillna(0).to_numpy()
        ax.barh(ypos, w, left=start, color=colors[j], edgecolor="white", linewidth=0.6, height=0.7)
        for y, x0, wi in zip(ypos, start, w):
            if wi >= 7:
                ax.text(x0 + wi / 2, y, f"{wi:.0f}", ha="center", va="center", fontsize=8,
                        color="white" if j in (0, k - 1) else "black")
        start = start + w
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(ypos)
    ax.set_yticklabels([(sh.labels or {}).get(i, i) for i in items], fontsize=9)
    ax.tick_params(axis="y", length=0)
    lim = float(np.nanmax(np.abs(np.r_[-left.to_numpy(), start]))) if len(items) else 100
    lim = min(100.0, np.ceil((lim + 5) / 10) * 10)
    ax.set_xlim(-lim, lim)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{abs(t):.0f}" for t in ticks])
    ax.set_xlabel(xlabel)
    handles = [Patch(facecolor=colors[j], label=textwrap.fill(str(options[v]), 18)) for j, v in enumerate(vals)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.05 - 0.6 / height),
              ncol=k, frameon=False, fontsize=8, title=sh.legend_title, title_fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    sns.despine(ax=ax, left=True)
    return laid_out(fig)


def lower_correlations(data: pd.DataFrame, items: Sequence[str], method: str = "pearson") -> pd.DataFrame:
    """The inter-item correlations below the diagonal (pairwise-complete, ``method`` as in
    ``DataFrame.corr``): rows from the second item, columns to the last but one, NaN above the
    diagonal (the diagonal, all 1, carries no information).

    >>> lower_correlations(pd.DataFrame({"a": [1, 2, 3], "b": [1, 3, 2], "c": [3, 2, 1]}), ["a", "b", "c"]).round(2)
         a    b
    b  0.5  NaN
    c -1.0 -0.5
    """
    r = data[list(items)].astype("Float64").astype(float).corr(method=method)
    return r.where(np.tril(np.ones(r.shape, dtype=bool), k=-1)).iloc[1:, :-1]


def correlation_heatmap(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    method: str = "pearson",
    groups: Mapping[str, str] | None = None,
) -> Figure:
    """Lower-triangle heatmap of inter-item correlations (pairwise-complete, ``method`` as in
    ``DataFrame.corr``), annotated with two decimals. ``labels`` rename the axes; ``groups``
    (item -> construct) draws a line between constructs."""
    items = list(items if items is not None else data.columns)
    r = lower_correlations(data, items, method)
    if labels:
        r = r.rename(index=labels, columns=labels)
    mask = np.triu(np.ones_like(r, dtype=bool), k=1)
    size = max(4.0, 0.45 * len(items) + 2.5)
    fig, ax = subplots(figsize=(size + 1, size))
    heatmap(r, mask=mask, vmin=-1, vmax=1, center=0, cmap="RdBu_r", annot=len(items) <= 24,
                fmt=".2f", annot_kws={"fontsize": 7}, square=True, linewidths=0.4,
                cbar_kws={"shrink": 0.6}, ax=ax)
    if groups:
        g = [groups.get(i) for i in items]
        n = len(items)
        for pos in range(1, n):
            if g[pos] != g[pos - 1]:
                # plotted row y holds item y + 1, column x holds item x; draw only inside the triangle
                ax.hlines(pos - 1, 0, pos, color="black", linewidth=1.2)
                ax.vlines(pos, pos - 1, n - 1, color="black", linewidth=1.2)
    ax.tick_params(labelsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return laid_out(fig)
