"""The one rendering path from a notebook to HTML: every text is escaped where it is inserted.

Notebooks display what these functions return, never hand-built HTML or Markdown:

- :func:`header`: the report's title, period, agency, date and version (and the page's ``lang`` and
  ``<title>``, carried to the HTML template in a JSON output next to the visible header);
- :func:`heading`, :func:`paragraph`, :func:`bullets`, :func:`note`: text, escaped; ``**bold**``
  is the only markup a text may carry;
- :func:`table`: a DataFrame as an escaped HTML table, numbers formatted for the language, small
  groups suppressed when a count column is named;
- :func:`heat_table`, :func:`bar_table`, :func:`estimate_table`, :func:`stacked_bar_table`: a heat
  map, a bar chart, estimates with their intervals and a (diverging) stacked bar chart drawn as
  HTML tables (sharp in print, readable on a phone);
- :func:`figure`: a matplotlib figure as an embedded PNG with alt text in the report language, its
  numbers localised first (:func:`survey.report.figures.localize_figure`).

Each returns an object with ``_repr_html_`` (IPython displays it) and ``.html`` (the fragment).
"""
from __future__ import annotations

import base64
import datetime as _dt
import html as _html
import io
import re
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Iterable, Mapping

import pandas as pd

from .._checks import check_lang
from ..errors import ParameterError
from .catalog import t
from .formatting import MISSING, format_date, format_int, format_number

REPORT_MIME = "application/vnd.survey.report+json"
"""Mimetype of the output that tells the HTML template the report's language and title."""

_BOLD = re.compile(r"\*\*(.+?)\*\*")


@dataclass(frozen=True)
class Fragment:
    """An escaped HTML fragment that IPython displays as HTML."""

    html: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        return self.html

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle: dict[str, Any] = {"text/html": self.html}
        if self.meta:
            bundle[REPORT_MIME] = dict(self.meta)
        return bundle

    def __str__(self) -> str:
        return self.html

    def __add__(self, other: "Fragment") -> "Fragment":
        return Fragment(self.html + other.html, {**self.meta, **other.meta})


def escape(text: object) -> str:
    """``text`` safe to put between HTML tags or in an attribute (quotes escaped too).

    >>> escape('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return _html.escape("" if text is None else str(text), quote=True)


def inline(text: object) -> str:
    """Escape ``text``, then turn ``**bold**`` into ``<strong>`` (the one markup a sentence may use).

    >>> inline("IKM **69,13** <b>")
    'IKM <strong>69,13</strong> &lt;b&gt;'
    """
    return _BOLD.sub(r"<strong>\1</strong>", escape(text))


def heading(text: object, level: int = 3) -> Fragment:
    """A section heading (``<h2>``-``<h4>``), escaped.

    >>> heading("Ringkasan", 2).html
    '<h2>Ringkasan</h2>'
    """
    if level not in (2, 3, 4):
        raise ParameterError(f"level={level!r}: a report heading is level 2, 3 or 4")
    return Fragment(f"<h{level}>{inline(text)}</h{level}>")


def paragraph(*sentences: object, cls: str = "") -> Fragment:
    """One paragraph from sentences (empty ones are skipped), escaped.

    >>> paragraph("A <b>.", "", "B.").html
    '<p>A &lt;b&gt;. B.</p>'
    """
    text = " ".join(str(s).strip() for s in sentences if s is not None and str(s).strip())
    klass = f' class="{escape(cls)}"' if cls else ""
    return Fragment(f"<p{klass}>{inline(text)}</p>" if text else "")


def note(*sentences: object) -> Fragment:
    """A paragraph set apart as a note (a caveat or an in-report message instead of a result)."""
    return paragraph(*sentences, cls="survey-note")


def bullets(items: Iterable[object]) -> Fragment:
    """A bulleted list, each item escaped.

    >>> bullets(["a", "<b>"]).html
    '<ul><li>a</li><li>&lt;b&gt;</li></ul>'
    """
    lis = "".join(f"<li>{inline(i)}</li>" for i in items)
    return Fragment(f"<ul>{lis}</ul>" if lis else "")


def summary(sentences: Iterable[object], lang: str) -> Fragment:
    """The report's opening summary for an official: a heading and a few plain sentences."""
    items = [s for s in sentences if s]
    body = "".join(f"<p>{inline(s)}</p>" for s in items)
    return Fragment(f'<section class="survey-summary"><h2>{escape(t("common.summary_title", lang))}</h2>'
                    f"{body}</section>")


def _css_string(text: str) -> str:
    """``text`` as the inside of a CSS string: every character but letters, digits and space as ``\\HEX ``."""
    return "".join(c if (c.isalnum() and c.isascii()) or c == " " else f"\\{ord(c):x} " for c in text)


def header(title: str, lang: str, *, period: str | None = None, agency: str | None = None,
           date: _dt.date | str | None = None, subtitle: str | None = None) -> Fragment:
    """The report's visible header and the page's language and ``<title>``.

    ``title`` is the human title (not a file name); ``period`` the waves or years covered; ``agency``
    the issuing body (a plan parameter); ``date`` defaults to today. The workbench version is added.
    The HTML template reads ``lang`` and ``title`` from the same output (mimetype
    :data:`REPORT_MIME`), so the exported page says ``<html lang="id">`` for an Indonesian report.

    >>> h = header("Indeks Kepuasan <Masyarakat>", "id", period="2024", agency="BKPSDM Kota Medan",
    ...            date="2026-12-01")
    >>> h.meta["lang"], h.meta["title"]
    ('id', 'Indeks Kepuasan <Masyarakat> · 2024')
    >>> "&lt;Masyarakat&gt;" in h.html and "1 Desember 2026" in h.html
    True
    """
    from .. import __version__

    check_lang(lang)
    date = date if date is not None else _dt.date.today()
    parts = []
    if period:
        parts.append(f'{escape(t("common.period", lang))}: {escape(period)}')
    if agency:
        parts.append(f'{escape(t("common.issued_by", lang))}: {escape(agency)}')
    parts.append(f'{escape(t("common.date", lang))}: {escape(format_date(date, lang))}')
    parts.append(escape(t("common.version", lang, version=__version__)))
    sub = f'<p class="survey-subtitle">{inline(subtitle)}</p>' if subtitle else ""
    body = (f'<header class="survey-header"><h1>{escape(title)}</h1>{sub}'
            f'<p class="survey-meta">{" · ".join(parts)}</p></header>')
    page_title = f"{title} · {period}" if period else title
    running = " · ".join(x for x in (title, period, agency) if x)
    return Fragment(body, {"lang": lang, "title": page_title, "running": _css_string(running)})


def _cell(v: object, lang: str, digits: int | None) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return MISSING
    if isinstance(v, bool):
        return t("common.yes" if v else "common.no", lang)
    if isinstance(v, Real):
        if float(v).is_integer() and (digits is None or digits == 0) and not isinstance(v, float):
            return format_int(v, lang)
        if digits is None:
            return format_int(v, lang) if float(v).is_integer() and not isinstance(v, float) else \
                format_number(v, lang, 2)
        return format_number(v, lang, digits)
    if isinstance(v, (_dt.date, pd.Timestamp)):
        return format_date(v, lang)
    return str(v)


def table(df: pd.DataFrame, lang: str, *, caption: str | None = None, digits: int | Mapping[str, int] = 2,
          index: bool = False, min_cell: int | None = None, count: str | None = None,
          align_left: Iterable[str] = ()) -> Fragment:
    """``df`` as an escaped HTML table with numbers formatted for ``lang``.

    ``digits`` is the number of decimals of float columns (one number, or per column; integer
    columns are counts and get thousands separators). With ``min_cell`` and ``count`` (the column of
    respondents per row), rows of fewer than ``min_cell`` respondents are blanked through
    :func:`survey.privacy.suppress_small_cells` and a note says so. Cells, headers and the caption
    are escaped, so data values and instrument texts cannot inject markup.

    >>> frag = table(pd.DataFrame({"Unit": ["<b>A</b>"], "IKM": [69.125]}), "id")
    >>> "&lt;b&gt;A&lt;/b&gt;" in frag.html and "69,13" in frag.html
    True
    """
    check_lang(lang)
    data = df.reset_index() if index else df
    note_html = ""
    if min_cell is not None and count is not None:
        from ..privacy import suppress_small_cells

        data = suppress_small_cells(data, min_cell, count=count)
        n_hidden = int(data.attrs.get("suppressed", 0))
        data = data.drop(columns=["suppressed"], errors="ignore")
        if n_hidden:
            note_html = f'<p class="survey-note">{escape(t("common.suppressed_note", lang, min_cell=min_cell))}</p>'
    left = set(align_left)
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in data.columns)
    rows = []
    for _, r in data.iterrows():
        cells = []
        for c in data.columns:
            d = digits.get(c, 2) if isinstance(digits, Mapping) else digits
            v = r[c]
            text = _cell(v, lang, d if isinstance(v, float) else None)
            num = isinstance(v, Real) and not isinstance(v, bool) and c not in left
            # a token too long for a column (an id, a pasted link) may break anywhere; words may not
            long = " long" if any(len(w) > 24 for w in text.split()) else ""
            cells.append(f'<td class="{"num" if num else "txt"}{long}">{escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{inline(caption)}</caption>" if caption else ""
    return Fragment(f'<div class="survey-table"><table>{cap}<thead><tr>{head}</tr></thead>'
                    f'<tbody>{"".join(rows)}</tbody></table>{note_html}</div>')


def key_values(pairs: Iterable[tuple[str, object]], lang: str, *, caption: str | None = None) -> Fragment:
    """A two-column table (label, value): a wide one-row table turned into long format so it fits a page.

    >>> "<th" in key_values([("IKM", 69.13)], "id").html
    True
    """
    rows = "".join(f'<tr><th scope="row">{escape(k)}</th><td class="txt">{escape(_cell(v, lang, 2))}</td></tr>'
                   for k, v in pairs)
    cap = f"<caption>{inline(caption)}</caption>" if caption else ""
    return Fragment(f'<div class="survey-table"><table class="survey-kv">{cap}<tbody>{rows}</tbody></table></div>')


def _ink_on(rgba) -> str:
    """Black or white, whichever contrasts more with the colour ``rgba`` (WCAG 2 contrast ratio)."""
    from seaborn.utils import relative_luminance

    lum = relative_luminance(rgba)
    return "#000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#fff"


def heat_table(values: pd.DataFrame, lang: str, *, cmap: str, vmin: float, vmax: float,
               center: float | None = None, digits: int = 2, caption: str | None = None,
               key: str | None = None, groups: Mapping[object, object] | None = None) -> Fragment:
    """``values`` (rows x columns of numbers) as a table whose cells are coloured by their value.

    A heat map whose every cell is labelled with its number is a table: as HTML its numbers stay
    sharp when printed or zoomed, can be copied and are read aloud by a screen reader, and a wide
    one scrolls on a phone instead of shrinking. Each cell is coloured with the matplotlib
    colormap ``cmap``, scaled from ``vmin`` to ``vmax`` (two slopes meeting at ``center`` when
    given, as ``seaborn.heatmap``); its number is written in black or white, whichever contrasts
    more with the colour. Missing values are blank cells without colour (a masked triangle, a
    suppressed group). ``key`` names the scale shown under the table. ``groups`` maps row and
    column labels to their group (an item to its construct): a line separates one group from the next.
    With more than four columns and a column name longer than eight characters, or more than
    fourteen columns, the column names are written upwards so that the table fits an A4 page and a
    phone; more than fourteen columns are also printed in smaller type.

    >>> frag = heat_table(pd.DataFrame({"A": [0.5, None]}, index=["x", "y"]), "id", cmap="Reds", vmin=0, vmax=1)
    >>> "0,50" in frag.html and "background:" in frag.html
    True
    """
    import matplotlib as mpl
    from matplotlib.colors import Normalize, TwoSlopeNorm, to_hex

    check_lang(lang)
    colours = mpl.colormaps[cmap]
    norm = TwoSlopeNorm(center, vmin, vmax) if center is not None else Normalize(vmin, vmax, clip=True)
    group_of = groups or {}
    # a column that starts a new group gets a line on its left, a row that starts one a line above it
    col_group = [group_of.get(c) for c in values.columns]
    col_edge = [j > 0 and col_group[j] is not None and col_group[j] != col_group[j - 1] for j in range(len(col_group))]
    edge_class = ' class="edge"'
    head = '<th scope="col"></th>' + "".join(
        f'<th scope="col"{edge_class if e else ""}>{escape(c)}</th>' for c, e in zip(values.columns, col_edge))
    # many columns with long names (competencies) would run off an A4 page or a phone: their names
    # are written upwards, so that a column is only as wide as its numbers
    n_cols = values.shape[1]
    upright = n_cols <= 4 or (n_cols <= 14 and max((len(str(c)) for c in values.columns), default=0) <= 8)
    rows, previous = [], None
    for name, r in values.iterrows():
        g = group_of.get(name)
        edge = previous is not None and g is not None and g != previous
        previous = g
        cells = [f'<th scope="row">{escape(name)}</th>']
        for v, e in zip(r.to_numpy(dtype=float), col_edge):
            cls = "num edge" if e else "num"
            if v != v:
                cells.append(f'<td class="{cls}"></td>')
                continue
            rgba = colours(float(norm(v)))
            cells.append(f'<td class="{cls}" style="background:{to_hex(rgba)};color:{_ink_on(rgba)}">'
                         f"{escape(format_number(v, lang, digits))}</td>")
        rows.append(f"<tr{edge_class if edge else ''}>" + "".join(cells) + "</tr>")
    stops = ", ".join(to_hex(colours(float(norm(vmin + (vmax - vmin) * i / 6)))) for i in range(7))
    scale = (f'<p class="survey-heat-key">{escape(key) + " " if key else ""}'
             f"<span>{escape(format_number(vmin, lang, digits))}</span>"
             f'<span class="bar" style="background:linear-gradient(to right, {stops})"></span>'
             f"<span>{escape(format_number(vmax, lang, digits))}</span></p>")
    cap = f"<caption>{inline(caption)}</caption>" if caption else ""
    # more than fourteen columns (the correlations of 22 items) are also printed in smaller type
    classes = ([] if upright else ["survey-heat-upwards"]) + (["survey-heat-dense"] if n_cols > 14 else [])
    table_class = f' class="{" ".join(classes)}"' if classes else ""
    return Fragment(f'<div class="survey-table survey-heat"><table{table_class}>{cap}<thead><tr>{head}</tr></thead>'
                    f'<tbody>{"".join(rows)}</tbody></table>{scale}</div>')


def _percent(v: float, lo: float, hi: float) -> str:
    return f"{min(max((v - lo) / (hi - lo), 0.0), 1.0) * 100:.2f}%"


def _tint(colour: str, alpha: float) -> str:
    """``colour`` painted at opacity ``alpha`` on white, as one opaque colour (prints the same)."""
    from matplotlib.colors import to_hex, to_rgb

    return to_hex([1 - alpha + alpha * c for c in to_rgb(colour)])


def _scale_foot(ticks: Iterable[float], lo: float, hi: float, lang: str, *, after: int = 0,
                absolute: bool = False) -> str:
    """The scale under a bar table's bars: ``ticks`` written at their places (``absolute``: without
    their sign, as the two sides of a diverging chart)."""
    ticks = [float(x) for x in ticks]
    if not ticks:
        return ""
    # as few decimals as write every tick exactly (0, 0.5, 0.25), at most three
    digits = next((d for d in range(4) if all(abs(round(x, d) - x) < 1e-9 for x in ticks)), 3)
    # a number at an end of the scale is written inside it, not centred over the edge
    edge = {lo: ' class="first"', hi: ' class="last"'}
    spans = "".join(f'<span{edge.get(x, "")} style="left:{_percent(x, lo, hi)}">'
                    f"{escape(format_number(abs(x) if absolute else x, lang, digits))}</span>" for x in ticks)
    rest = f'<td colspan="{after}"></td>' if after else ""
    return (f'<tfoot><tr><td></td><td class="bars" aria-hidden="true"><div class="scale">{spans}</div></td>'
            f"{rest}</tr></tfoot>")


def bar_table(values: pd.Series, lang: str, *, lo: float, hi: float, digits: int = 2,
              colours: Iterable[str] | None = None, bands: Iterable[tuple[str, float, float, str]] = (),
              marker: tuple[float, str] | list[tuple[float, str]] | None = None, ticks: Iterable[float] = (),
              extra: pd.Series | None = None, head: tuple[str, str] = ("", ""),
              caption: str | None = None, intervals: tuple[Iterable[float], Iterable[float]] | None = None,
              interval_key: str | None = None) -> Fragment:
    """``values`` as a bar chart drawn in an HTML table: a row per value, with its label (the
    index), a bar from ``lo`` to the value on a scale ending at ``hi``, and the number.

    A chart of a few labelled bars is read from its labels and numbers: drawn in HTML they keep
    the page's type size on a 390 px phone (an 880 px picture shrinks its labels to a third there),
    stay sharp in print, can be copied, and are read aloud by a screen reader row by row.

    ``colours`` fills each bar (default grey). ``bands`` are ``(name, start, end, colour)``:
    ranges of the scale shaded behind every bar in a tint of their colour, their names written
    above the bars (grade bands). ``marker`` is ``(value, text)``: a dashed line through every bar
    at ``value`` (an overall mean, zero), explained by ``text`` under the table; a list of them
    draws a second one solid red (a known true value). ``ticks`` are written
    under the bars. ``extra`` adds a text column (its name the header), e.g. each bar's grade;
    ``head`` names the label and number columns. A missing value has no bar and its number is
    shown as missing. With ``intervals`` (lower and upper ends, one per value) each value is a dot
    on its interval's line instead of a bar (an estimate and its confidence interval, rows in time
    order: a trend), explained by ``interval_key`` under the table.

    >>> frag = bar_table(pd.Series([3.05, 2.5], index=["U1", "U2"]), "id", lo=1, hi=4, ticks=[1, 4])
    >>> "3,05" in frag.html and "width:68.33%" in frag.html
    True
    """
    check_lang(lang)
    vals = values.to_numpy(dtype=float)
    fills = list(colours) if colours is not None else ["#9e9e9e"] * len(vals)
    bands = list(bands)
    # the bands as hard stops of one gradient: each row's whole background, printed as it is shown
    stops = ", ".join(f"{_tint(c, 0.22)} {_percent(a, lo, hi)} {_percent(b, lo, hi)}" for _, a, b, c in bands)
    track_bg = f' style="background:linear-gradient(to right, {stops})"' if bands else ""
    marks = [m for m in ([marker] if isinstance(marker, tuple) else list(marker or [])) if m[0] == m[0]]
    mark = "".join(f'<span class="mark m{k}" style="left:{_percent(v, lo, hi)}"></span>' for k, (v, _) in enumerate(marks))
    names = "".join(f'<span style="left:{_percent((a + b) / 2, lo, hi)}">{escape(n)}</span>'
                    for n, a, b, _ in bands)
    extra_head = f'<th scope="col">{escape(extra.name)}</th>' if extra is not None else ""
    lows, highs = ((pd.Series(list(e), dtype=float).to_numpy() for e in intervals) if intervals is not None
                   else ([float("nan")] * len(vals),) * 2)
    rows = []
    for i, (label, v) in enumerate(zip(values.index, vals)):
        if intervals is None:
            bar = (f'<span class="fill" style="width:{_percent(v, lo, hi)};background:{escape(fills[i])}"></span>'
                   if v == v else "")
        else:
            a, b = lows[i], highs[i]
            bar = (f'<span class="range" style="left:{_percent(a, lo, hi)};width:{(min(b, hi) - max(a, lo)) / (hi - lo) * 100:.2f}%">'
                   f"</span>" if a == a and b == b else "")
            bar += f'<span class="dot" style="left:{_percent(v, lo, hi)};background:{escape(fills[i])}"></span>' if v == v else ""
        text = format_number(v, lang, digits) if v == v else MISSING
        more = f'<td class="txt">{escape(_cell(extra.iloc[i], lang, None))}</td>' if extra is not None else ""
        rows.append(f'<tr><th scope="row">{escape(label)}</th><td class="bars" aria-hidden="true">'
                    f'<div class="track"{track_bg}>{bar}{mark}</div></td><td class="num">{escape(text)}</td>{more}</tr>')
    foot = _scale_foot(ticks, lo, hi, lang, after=2 if extra is not None else 1)
    key = "".join(f'<p class="survey-heat-key"><span class="mark-key m{k}"></span>{escape(text)}</p>'
                  for k, (_, text) in enumerate(marks))
    if intervals is not None and interval_key:
        key += f'<p class="survey-heat-key"><span class="range-key" aria-hidden="true">—●—</span>{escape(interval_key)}</p>'
    cap = f"<caption>{inline(caption)}</caption>" if caption else ""
    kind = "survey-table survey-bars" + (" survey-ranges" if intervals is not None else "")
    # short labels (waves, session codes) are kept on one line; "2024-S1" would otherwise break at its hyphen
    kind += " survey-short-labels" if max((len(str(x)) for x in values.index), default=0) <= 16 else ""
    return Fragment(f'<div class="{kind}"><table>{cap}<thead><tr>'
                    f'<th scope="col">{escape(head[0])}</th><th scope="col" class="bars">'
                    f'<div class="scale names"{track_bg}>{names}</div></th>'
                    f'<th scope="col" class="num">{escape(head[1])}</th>{extra_head}</tr></thead>'
                    f'<tbody>{"".join(rows)}</tbody>{foot}</table>{key}</div>')


def estimate_table(values: pd.Series, low: Iterable[float], high: Iterable[float], lang: str, *,
                   marker: list[tuple[float, str]] | None = None, interval_key: str | None = None,
                   digits: int = 3, head: tuple[str, str] = ("", ""), caption: str | None = None) -> Fragment:
    """Estimates (``values``, labelled by their index) as dots on their intervals' lines: a
    dot-and-whisker chart drawn as an HTML table (:func:`bar_table` with intervals), on a scale
    from matplotlib's ``MaxNLocator`` that holds every estimate, interval and ``marker`` line
    (``(value, text)``: the first dashed, e.g. zero, a second solid red), with a margin of 5 %.

    >>> html = estimate_table(pd.Series([0.3], index=["a"]), [0.1], [0.5], "en", marker=[(0.0, "zero")]).html
    >>> 'class="dot" style="left:60.00%' in html and "zero" in html   # 0.3 on a scale of -0.15 to 0.6
    True
    """
    from matplotlib.ticker import MaxNLocator

    vals = values.to_numpy(dtype=float)
    lows, highs = pd.Series(list(low), dtype=float), pd.Series(list(high), dtype=float)
    ends = [*lows.fillna(pd.Series(vals)), *highs.fillna(pd.Series(vals)), *(v for v, _ in marker or [])]
    ends = [e for e in ends if e == e] or [0.0, 1.0]
    span = max(ends) - min(ends) or 1.0
    ticks = MaxNLocator(nbins=4).tick_values(min(ends) - 0.05 * span, max(ends) + 0.05 * span)
    return bar_table(values, lang, lo=float(ticks[0]), hi=float(ticks[-1]), digits=digits, ticks=ticks,
                     colours=["#4c72b0"] * len(vals), intervals=(lows, highs), marker=marker,
                     interval_key=interval_key, head=head, caption=caption)


def stacked_bar_table(shares: pd.DataFrame, lang: str, *, colours: Iterable[str], offset: pd.Series | None = None,
                      legend_title: str | None = None, head: str = "", unit: str = "%",
                      caption: str | None = None, min_label: float = 7.0) -> Fragment:
    """Each row of ``shares`` (percentages per column, in order, summing to 100) as one stacked bar
    in an HTML table, the column names as the legend (coloured by ``colours``).

    With ``offset`` (per row: the percentage drawn left of zero) the bars diverge from a line at
    zero: a diverging Likert chart, disagreement left and agreement right (Robbins & Heiberger
    2011, *Plotting Likert and other rating scales*), on a scale from -lim to lim, lim the widest
    side plus five, rounded up to ten (at most 100), as :func:`survey.plots.likert_bars` draws it.
    Without it the bars run from 0 to 100. A part of at least ``min_label`` per cent carries its
    number (in black or white, whichever contrasts more) when the number fits in it as drawn (a
    container query hides it in a part narrower than two digits, never cutting it to one);
    every part's column name and share are in its tooltip. A row without any share (nobody
    answered) has no bar. Drawn in HTML, the row labels (long statements) keep the page's type size
    on a phone, where each stands above its bar at the page's whole width, and the chart prints sharp.

    >>> shares = pd.DataFrame({"no": [25.0], "maybe": [50.0], "yes": [25.0]}, index=["a"])
    >>> html = stacked_bar_table(shares, "en", colours=["red", "grey", "blue"], offset=pd.Series([50.0], index=["a"])).html
    >>> 'left:8.33%;width:20.83%' in html and "<b>50</b>" in html   # from -50, on a scale of -60..60
    True
    """
    from matplotlib.colors import to_hex, to_rgba
    from matplotlib.ticker import MaxNLocator

    check_lang(lang)
    colours = [to_hex(c) for c in colours]
    vals = shares.to_numpy(dtype=float)
    answered = ~pd.isna(vals).all(axis=1)
    vals = pd.DataFrame(vals).fillna(0.0).to_numpy()
    if offset is not None:
        left = pd.Series(offset).fillna(0.0).to_numpy(dtype=float)
        wide = max([*left[answered], *(vals.sum(axis=1) - left)[answered], 0.0])
        hi = min(100.0, float(-(-(wide + 5) // 10) * 10))
        lo, starts = -hi, -left
        ticks = [x for x in MaxNLocator(nbins=4, symmetric=True).tick_values(lo, hi) if lo <= x <= hi]
    else:
        lo, hi, starts, ticks = 0.0, 100.0, [0.0] * len(vals), [0.0, 25.0, 50.0, 75.0, 100.0]
    zero = f'<span class="zero" style="left:{_percent(0.0, lo, hi)}"></span>' if offset is not None else ""
    names = [str(c) for c in shares.columns]
    inks = [_ink_on(to_rgba(c)) for c in colours]
    rows = []
    for label, row, start, ok in zip(shares.index, vals, starts, answered):
        parts, x = [], float(start)
        for name, w, colour, ink in zip(names, row, colours, inks) if ok else ():
            if w > 0:
                number = f"<b>{escape(format_number(w, lang, 0))}</b>" if w >= min_label else ""
                parts.append(f'<span class="seg" style="left:{_percent(x, lo, hi)};width:{(w / (hi - lo)) * 100:.2f}%;'
                             f'background:{colour};color:{ink}" title="{escape(name)}: '
                             f'{escape(format_number(w, lang, 1))}{escape(unit)}">{number}</span>')
            x += w
        rows.append(f'<tr><th scope="row">{escape(label)}</th><td class="bars"><div class="track">'
                    f'{"".join(parts)}{zero}</div></td></tr>')
    chips = "".join(f'<span><i style="background:{c}"></i>{escape(n)}</span>' for n, c in zip(names, colours))
    title = f"<b>{escape(legend_title)}</b>" if legend_title else ""
    legend = f'<p class="survey-bars-legend">{title}{chips}</p>'
    cap = f"<caption>{inline(caption)}</caption>" if caption else ""
    return Fragment(f'<div class="survey-table survey-bars survey-stacked"><table>{cap}<thead><tr>'
                    f'<th scope="col">{escape(head)}</th><th scope="col" class="bars">{escape(unit)}</th></tr></thead>'
                    f'<tbody>{"".join(rows)}</tbody>{_scale_foot(ticks, lo, hi, lang, absolute=True)}</table>'
                    f"{legend}</div>")


def _laid_out_inside(fig, renderer) -> bool:
    """Whether everything ``fig`` drew lies inside it: its layout engine (tight or constrained)
    fitted the axes with their labels, titles and legends into the figure when it was drawn, and
    every figure-level text, legend, patch or image lies inside it too."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine

    if not isinstance(fig.get_layout_engine(), (TightLayoutEngine, ConstrainedLayoutEngine)) or fig.subfigs:
        return False
    edge = fig.bbox
    for artist in [*fig.texts, *fig.legends, *fig.patches, *fig.images, *fig.lines, *fig.artists]:
        if not artist.get_visible():
            continue
        box = artist.get_window_extent(renderer)
        if box.x0 < edge.x0 or box.y0 < edge.y0 or box.x1 > edge.x1 or box.y1 > edge.y1:
            return False
    return True


def _png(fig, dpi: int) -> bytes:
    """``fig`` as the PNG ``savefig(bbox_inches="tight")`` makes, drawn once instead of twice.

    savefig lays the whole figure out once only to measure every artist, then draws it; measuring
    costs about as much as drawing, because every tick label and annotation is laid out again.
    Here the figure is drawn once at its own size. A figure whose layout engine fitted it inside
    its edges (the report's figures) is cropped to the pixels it painted (those that differ from
    its background), padded by ``savefig.pad_inches`` like savefig's tight box: the same picture,
    its margin a few pixels narrower where savefig counts the empty space above and below letters.
    Any other figure is measured from that drawing and cropped to its tight box; only one with
    something outside its edges (a legend or colour-bar label placed beyond them) is drawn again,
    at the size of its tight box.
    """
    import matplotlib as mpl
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgba
    from PIL import Image

    fig.set_dpi(dpi)
    # the figure's own Agg canvas keeps the text it measured when it was laid out
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    pixels = np.asarray(canvas.buffer_rgba())
    height, width = pixels.shape[:2]
    pad = mpl.rcParams["savefig.pad_inches"]
    face = to_rgba(fig.get_facecolor())
    box = None
    if _laid_out_inside(fig, renderer):
        background = np.array([round(c * 255) for c in face], dtype=np.uint8)
        # a pixel's four bytes compared as one 32-bit word: a quarter of the comparisons
        painted = np.ascontiguousarray(pixels).view(np.uint32)[..., 0] != background.view(np.uint32)[0]
        rows, cols = np.flatnonzero(painted.any(axis=1)), np.flatnonzero(painted.any(axis=0))
        # painted up to an edge: something may be cut off there, so it is measured instead
        if len(rows) and rows[0] > 0 and cols[0] > 0 and rows[-1] < height - 1 and cols[-1] < width - 1:
            p = int(round(pad * dpi))
            box = (max(cols[0] - p, 0), max(rows[0] - p, 0), min(cols[-1] + 1 + p, width), min(rows[-1] + 1 + p, height))
    if box is None:
        tight = fig.get_tightbbox(renderer).padded(pad)
        w, h = fig.get_size_inches()
        if tight.x0 >= 0 and tight.y0 >= 0 and tight.x1 <= w and tight.y1 <= h:
            left, top = int(round(tight.x0 * dpi)), int(round((h - tight.y1) * dpi))
            box = (left, top, min(left + int(tight.width * dpi), width), min(top + int(tight.height * dpi), height))
    out = io.BytesIO()
    if box is not None:
        left, top, right, bottom = box
        # cut out and converted by Pillow from the canvas's own buffer: no copy of the picture in numpy
        image = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1).crop(box)
        # opaque (drawn on an opaque background, or found so): an alpha channel would only make the
        # file bigger and slower to write
        if (fig.patch.get_visible() and face[3] == 1.0) or (pixels[top:bottom, left:right, 3] == 255).all():
            image = image.convert("RGB")
        # level 3 writes in two thirds of the time of the default 6, the file a few per cent larger
        image.save(out, format="png", compress_level=3)
    else:
        # the drawing above laid the figure out; an engine left in place (tight_layout() leaves a
        # placeholder) would make savefig lay it out once more before drawing
        with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)
        fig.savefig(out, format="png", dpi=dpi, bbox_inches=tight)
    return out.getvalue()


def figure(fig, lang: str, alt: str, *, caption: str | None = None, dpi: int = 110) -> Fragment:
    """A matplotlib figure as an embedded PNG with ``alt`` text, numbers localised for ``lang``.

    The figure is closed afterwards so that the notebook does not show it a second time.
    """
    import matplotlib.pyplot as plt

    from .figures import localize_figure, remember_ticks

    if not alt or not str(alt).strip():
        raise ParameterError("a figure needs alt text saying what it shows")
    remember_ticks(localize_figure(fig, lang))
    plt.close(fig)
    data = base64.b64encode(_png(fig, dpi)).decode("ascii")
    cap = f"<figcaption>{inline(caption)}</figcaption>" if caption else ""
    return Fragment(f'<figure class="survey-figure"><img src="data:image/png;base64,{data}" '
                    f'alt="{escape(alt)}">{cap}</figure>')


def methods(sentences: Iterable[object], lang: str) -> Fragment:
    """The closing "Metode"/"Methods" section: estimators, options and diagnostics, for analysts."""
    body = "".join(f"<p>{inline(s)}</p>" for s in sentences if s)
    return Fragment(f'<section class="survey-methods"><h2>{escape(t("common.methods_title", lang))}</h2>'
                    f"{body}</section>")


def show(*fragments: Fragment | None) -> None:
    """Display fragments in order (``None`` and empty ones skipped) in one output."""
    from IPython.display import display

    for f in fragments:
        if f is not None and (f.html or f.meta):
            display(f)
