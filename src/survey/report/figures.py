"""Numbers in figures formatted like numbers in tables: tick labels, bar labels, annotations, colour bars.

:func:`localize_figure` works on any matplotlib figure, whichever module drew it: numeric axes get a
Babel tick formatter, and every text that is only a number (a bar label, a heatmap annotation, a tick
label set by hand) is rewritten with the same number of decimals in the report's language.
"""
from __future__ import annotations

import re

from .._checks import check_lang
from .formatting import format_number, format_percent

_NUMBER = re.compile(r"^\s*([-\u2212]?)(\d+)(?:[.](\d+))?\s*(%?)\s*$")
# a decimal number inside a text ("IKM 2.84"), not part of a version or date ("0.1.0", "1.2.3")
_EMBEDDED = re.compile(r"(?<![\d.,])(-?\d+)\.(\d+)(?![\d.,]|\.\d)")


def localize_text(text: str, lang: str) -> str:
    """``text`` re-formatted for ``lang`` when it is a plain number written with a decimal point.

    A decimal number inside a text is rewritten too (``"IKM 2.84"`` -> ``"IKM 2,84"``).

    >>> localize_text("3.25", "id"), localize_text("-0.5%", "id"), localize_text("U1", "id"), localize_text("1200", "id")
    ('3,25', '-0,5%', 'U1', '1.200')
    >>> localize_text("IKM 2.84 (v0.1.0)", "id")
    'IKM 2,84 (v0.1.0)'
    """
    m = _NUMBER.match(text or "")
    if not m:
        if not text:
            return text
        return _EMBEDDED.sub(lambda e: format_number(float(f"{e.group(1)}.{e.group(2)}"), lang, len(e.group(2))), text)
    sign, whole, frac, pct = m.groups()
    digits = len(frac) if frac else 0
    value = float(f"{'-' if sign else ''}{whole}.{frac or 0}")
    out = format_number(value, lang, digits)
    return out + pct


def _decimals(locs) -> int:
    """The fewest decimals (0-6) that show every tick location exactly, so ticks read 0,5 1,0 1,5."""
    for d in range(0, 6):
        if all(abs(round(v, d) - v) < 1e-9 * max(1.0, abs(v)) for v in locs):
            return d
    return 6


def _tick_formatter(axis, lang: str):
    from matplotlib.ticker import Formatter

    class _LocaleFormatter(Formatter):
        """Babel tick labels whose decimals are chosen once for the whole set of ticks.

        Matplotlib hands the formatter all major ticks at once (``set_locs``) on every draw and
        layout pass; asking the locator again for each label cost more than drawing the figure.
        """

        def __init__(self) -> None:
            self._digits: int | None = None

        def set_locs(self, locs) -> None:
            super().set_locs(locs)
            self._digits = _decimals(locs)

        def __call__(self, x, pos=None) -> str:
            # a label asked for outside a draw (a cursor readout) takes the axis's current ticks
            digits = self._digits if self._digits is not None else _decimals(axis.get_majorticklocs())
            return format_number(x, lang, digits)

    return _LocaleFormatter()


def _localize_axis(axis, lang: str) -> None:
    from matplotlib.ticker import FixedFormatter, PercentFormatter, ScalarFormatter

    f = axis.get_major_formatter()
    if isinstance(f, PercentFormatter):
        xmax, decimals = f.xmax, f.decimals if f.decimals is not None else 0
        from matplotlib.ticker import FuncFormatter

        axis.set_major_formatter(FuncFormatter(lambda x, pos=None: format_percent(x / xmax, lang, decimals)))
    elif isinstance(f, ScalarFormatter) and axis.get_scale() == "linear":
        axis.set_major_formatter(_tick_formatter(axis, lang))
    elif isinstance(f, FixedFormatter):
        axis.set_major_formatter(FixedFormatter([localize_text(s, lang) for s in f.seq]))


def localize_figure(fig, lang: str):
    """Format every number of ``fig`` for ``lang`` (``id``: ``3,25``; ``en``: ``3.25``); returns ``fig``.

    Covers tick labels of linear axes (colour bars included: they are axes), tick labels set as
    text, bar labels, heatmap annotations and any other text that is only a number. Text that mixes
    words and numbers (titles) is left alone: those come from the catalogs, already formatted.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.bar(["a", "b"], [1.25, 2.5]); _ = ax.text(0, 1.25, "1.25")
    >>> _ = localize_figure(fig, "id"); fig.canvas.draw()
    >>> ax.texts[0].get_text(), [x.get_text() for x in ax.get_yticklabels()][:2]
    ('1,25', ['0,0', '0,5'])
    >>> plt.close(fig)
    """
    check_lang(lang)
    for ax in fig.get_axes():
        _localize_axis(ax.xaxis, lang)
        _localize_axis(ax.yaxis, lang)
        for txt in ax.texts:
            txt.set_text(localize_text(txt.get_text(), lang))
        legend = ax.get_legend()
        for txt in legend.get_texts() if legend is not None else ():
            txt.set_text(localize_text(txt.get_text(), lang))
    for txt in fig.texts:
        txt.set_text(localize_text(txt.get_text(), lang))
    return fig


def _remembering(locator):
    from matplotlib.ticker import Locator

    class _RememberingLocator(Locator):
        """``locator``, asked once for each view and axes size instead of on every pass.

        Matplotlib asks an axis for its ticks on every layout and drawing pass, several times per
        pass (the minor ticks, the label positions, the neighbours' labels), and an automatic
        locator works out "nice" numbers each time. The ticks depend only on the view limits and
        the axes' size, so they are kept for as long as those stay the same: the same ticks,
        found once per layout.
        """

        def __init__(self) -> None:
            self.inner = locator
            self._key: tuple | None = None
            self._ticks = None

        def set_axis(self, axis) -> None:
            super().set_axis(axis)
            self.inner.set_axis(axis)

        def __call__(self):
            axis = self.axis
            box = axis.axes.bbox
            key = (*axis.get_view_interval(), box.width, box.height)
            if key != self._key:
                self._key, self._ticks = key, self.inner()
            return self._ticks

        def tick_values(self, vmin, vmax):
            return self.inner.tick_values(vmin, vmax)

        def nonsingular(self, v0, v1):
            return self.inner.nonsingular(v0, v1)

        def view_limits(self, vmin, vmax):
            return self.inner.view_limits(vmin, vmax)

    return _RememberingLocator()


def remember_ticks(fig):
    """Give every axis of ``fig`` whose ticks matplotlib places automatically a locator that
    remembers them while its view and size stay the same (see ``_remembering``); returns ``fig``.

    Fixed ticks, categorical axes and colour bars (whose locators matplotlib treats specially)
    are left as they are.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0.0, 2.5])
    >>> before = list(ax.get_yticks())
    >>> _ = remember_ticks(fig); fig.canvas.draw()
    >>> list(ax.get_yticks()) == before
    True
    >>> plt.close(fig)
    """
    from matplotlib.ticker import AutoLocator, MaxNLocator

    for ax in fig.get_axes():
        if hasattr(ax, "_colorbar"):
            continue
        for axis in (ax.xaxis, ax.yaxis):
            locator = axis.get_major_locator()
            if type(locator) in (AutoLocator, MaxNLocator):
                axis.set_major_locator(_remembering(locator))
    return fig
