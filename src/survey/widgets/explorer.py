"""The data explorer: reliability, answer distribution and trend of one construct, filtered live.

The numbers come from :func:`survey.widgets.reliability_row` and :func:`survey.skm.trend`, the
figures from :mod:`survey.plots`; this module only arranges widgets around them.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError, SurveyError
from ..instrument import Instrument, builtin_names, load_instrument
from ..paths import project_path
from .common import ALL, figure_png, ipywidgets_module, png_tag, ui_texts, with_class
from .common import message as html_message
from .helpers import attach_units, data_files, filter_rows, guess_instrument, reliability_row

__all__ = ["Explorer", "instrument_choices"]

_TH = "<th style='text-align:left;padding:3px 10px;border-bottom:1px solid #999'>{}</th>"
_TD = "<td style='text-align:left;padding:3px 10px'>{}</td>"


def instrument_choices(instrument: str | Path | None) -> tuple[list[tuple[str, str]], str | None]:
    """The explorer's instrument options and the value for ``instrument``.

    The built-ins by name; an instrument given as a YAML path (absolute, or relative to the project
    root) is added as one more option labelled with its file name, so that a user's own instrument,
    or a copy of a built-in, can be chosen like a built-in.

    >>> options, value = instrument_choices("/tmp/my_survey.yaml")
    >>> options[-1], value
    (('my_survey.yaml', '/tmp/my_survey.yaml'), '/tmp/my_survey.yaml')
    """
    options = [(name, name) for name in builtin_names()]
    if instrument is None or str(instrument) == "":
        return options, None
    if str(instrument) in builtin_names():
        return options, str(instrument)
    path = str(project_path(instrument))
    return [*options, (Path(path).name, path)], path


class Explorer:
    """Explore a response file in JupyterLab: choose the data, instrument, construct, unit, sector
    and wave; the reliability summary (Cronbach's alpha with its Feldt 95% CI), the Likert chart and
    the trend over waves (mean construct score, or the IKM for the SKM) follow every change.

    ``data`` is a file (relative paths start at the project root); ``data_dir`` lists the other files
    one can pick. ``instrument`` is a built-in name or a YAML path (default: guessed from the file
    name). ``units`` (default ``units.csv`` beside the data) adds each unit's sector.
    """

    def __init__(self, data: str | Path = "data/demo/employee_survey.csv", instrument: str | Path | None = None,
                 construct: str | None = None, unit: str | None = None, sector: str | None = None,
                 wave: int | str | None = None, lang: str = "id", data_dir: str | Path | None = None,
                 units: str | Path | None = None):
        self.lang = lang
        self.t = ui_texts(lang)
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}
        self._units = units
        self._guard = False
        self.frame: pd.DataFrame | None = None  # the filtered rows behind the current view
        self.summary: dict[str, Any] | None = None
        self.trend: pd.DataFrame | None = None  # the table of the current survey.skm.trend result
        data_path = project_path(data)
        folder = project_path(data_dir) if data_dir else data_path.parent
        files = data_files(folder)
        if data_path not in files:
            files = [data_path, *files]
        options, chosen = instrument_choices(instrument)
        self._build(files, data_path, options)
        self._connect()
        self._guard = True
        self.instrument.value = chosen or guess_instrument(data_path) or self.instrument.options[0][1]
        self._guard = False
        self._load(construct=construct, unit=unit, sector=sector, wave=wave)

    def _build(self, files: list[Path], data_path: Path, instruments: list[tuple[str, str]]) -> None:
        w, t, L = ipywidgets_module(), self.t, ipywidgets_module().Layout
        self.title = with_class(w.HTML(f"<h3 style='margin:0'>{t['explorer']}</h3>"), "survey-explorer-title")
        self.data = with_class(w.Dropdown(options=[(f.name, str(f)) for f in files], value=str(data_path),
                                          description=t["data"], layout=L(width="330px")), "survey-explorer-data")
        self.instrument = with_class(w.Dropdown(options=instruments, description=t["source"], layout=L(width="330px")),
                                     "survey-explorer-instrument")
        self.construct = with_class(w.Dropdown(description=t["construct"], layout=L(width="330px")),
                                    "survey-explorer-construct")
        self.unit = with_class(w.Dropdown(description=t["unit"], layout=L(width="330px")), "survey-explorer-unit")
        self.sector = with_class(w.Dropdown(description=t["sector"], layout=L(width="330px")), "survey-explorer-sector")
        self.wave = with_class(w.Dropdown(description=t["wave"], layout=L(width="330px")), "survey-explorer-wave")
        self.summary_box = with_class(w.HTML(), "survey-explorer-summary")
        # flex-start: a VBox stretches its children, which would blow the PNGs up past their size
        self.likert = with_class(w.Image(format="png", layout=L(max_width="100%", align_self="flex-start")),
                                 "survey-explorer-likert")
        self.trend_image = with_class(w.Image(format="png", layout=L(max_width="100%", align_self="flex-start")),
                                      "survey-explorer-trend")
        self.message = with_class(w.HTML(), "survey-explorer-message")
        controls = w.HBox([w.VBox([self.data, self.instrument, self.construct]),
                           w.VBox([self.unit, self.sector, self.wave])])
        self.widget = with_class(w.VBox([self.title, controls, self.message, self.summary_box, self.likert,
                                         self.trend_image], layout=L(width="100%")), "survey-explorer")

    def _connect(self) -> None:
        self.data.observe(self._on_data, names="value")
        self.instrument.observe(self._on_instrument, names="value")
        for box in (self.construct, self.unit, self.wave):
            box.observe(lambda ch: None if self._guard else self.update(), names="value")
        self.sector.observe(self._on_sector, names="value")

    def responses(self) -> pd.DataFrame:
        """All rows of the chosen file, as read by :func:`survey.read_responses` (plus the units'
        sector), before the unit / sector / wave filters."""
        return self._read()

    def _read(self) -> pd.DataFrame:
        from ..responses import read_responses

        key = (self.data.value, self.instrument.value)
        if key not in self._cache:
            df = read_responses(self.data.value, self.instrument.value)
            units = self._units if self._units is not None else Path(self.data.value).parent / "units.csv"
            self._cache[key] = attach_units(df, units)
        return self._cache[key]

    def _on_data(self, change) -> None:
        if self._guard:
            return
        guess = guess_instrument(change["new"])
        if guess and guess != self.instrument.value:
            self._guard = True
            self.instrument.value = guess
            self._guard = False
        self._load()

    def _on_instrument(self, change) -> None:
        if not self._guard:
            self._load()

    @staticmethod
    def _choices(df: pd.DataFrame, col: str, everything: str) -> list[tuple[str, Any]]:
        if col not in df.columns:
            return [(everything, ALL)]
        values = sorted({str(v) for v in df[col].dropna()}, key=lambda s: (len(s), s) if s.isdigit() else (0, s))
        return [(everything, ALL)] + [(v, v) for v in values]

    def _load(self, construct=None, unit=None, sector=None, wave=None) -> None:
        self.message.value = ""
        try:
            df = self._read()
        except SurveyError as err:
            self._show_error(str(err))
            return
        inst = load_instrument(self.instrument.value)
        self._guard = True
        try:
            self.construct.options = [(inst.label(c, self.lang), c) for c in inst.constructs]
            cons = list(inst.constructs)
            if cons:
                self.construct.value = construct if construct in cons else cons[0]
            self._fill_filters(df, unit, sector, wave)
        finally:
            self._guard = False
        self.update()

    def _fill_filters(self, df: pd.DataFrame, unit: Any, sector: Any, wave: Any) -> None:
        """Unit, sector and wave choices of the data (waves with their labels), then the given values."""
        every = self.t["all"]
        self.unit.options = self._choices(df, "unit_id", every)
        self.sector.options = self._choices(df, "sector", every)
        waves = self._choices(df, "wave", every)
        if "wave_label" in df.columns and "wave" in df.columns:
            labels = df[["wave", "wave_label"]].dropna().drop_duplicates("wave")
            labels = {str(a): str(b) for a, b in zip(labels["wave"], labels["wave_label"])}
            waves = [(f"{v} ({labels[v]})" if v in labels else lab, v) for lab, v in waves]
        self.wave.options = waves
        for box, value in ((self.unit, unit), (self.sector, sector), (self.wave, wave)):
            box.value = str(value) if value is not None and str(value) in [v for _, v in box.options] else ALL

    def _on_sector(self, change) -> None:
        """Offer only the units of the chosen sector."""
        if self._guard:
            return
        df = self._read()
        keep = self.unit.value
        self._guard = True
        try:
            self.unit.options = self._choices(filter_rows(df, sector=change["new"]) if "sector" in df.columns else df,
                                              "unit_id", self.t["all"])
            self.unit.value = keep if keep in [v for _, v in self.unit.options] else ALL
        finally:
            self._guard = False
        self.update()

    def _show_error(self, text: str) -> None:
        self.summary = None
        self.trend = None
        self.message.value = html_message("error", text)
        self.summary_box.value = ""
        self.likert.value = b""
        self.trend_image.value = b""
        self.likert.layout.display = "none"
        self.trend_image.layout.display = "none"

    def update(self) -> None:
        """Recompute the summary and both figures for the current choices."""
        self.message.value = ""
        if not self.construct.options:
            self._show_error(self.t["no_constructs"])
            return
        df = self._read()
        inst = load_instrument(self.instrument.value)
        try:
            base = filter_rows(df, unit_id=self.unit.value, sector=self.sector.value)
            rows = filter_rows(base, wave=self.wave.value)
        except DataError as err:
            self._show_error(str(err))
            return
        self.frame = rows
        if rows.empty:
            self._show_error(self.t["no_rows"])
            return
        self._show_reliability(rows, inst)
        self._show_likert(rows, inst)
        self._show_trend(base, inst)

    def _show_reliability(self, rows: pd.DataFrame, inst: Instrument) -> None:
        t = self.t
        label = inst.label(self.construct.value, self.lang)
        try:
            s = self.summary = reliability_row(rows, inst, self.construct.value)
        except SurveyError as err:
            self.summary = None
            self.summary_box.value = html_message("error", f"{t['reliability']}: {err}")
            return
        dec = "," if self.lang == "id" else "."

        def f(x: float) -> str:
            return f"{x:.2f}".replace(".", dec)

        head = [t["construct"], t["alpha"], t["ci"], t["rating"], t["n"], t["n_items"]]
        cells = [html.escape(label), f"<b>{f(s['raw_alpha'])}</b>", f"{f(s['ci_low'])}–{f(s['ci_high'])}",
                 t["bands"][s["band"]], str(s["n_obs"]), str(s["n_items"])]
        self.summary_box.value = (
            f"<div style='margin:6px 0'><b>{t['reliability']}</b></div>"
            "<table class='survey-explorer-alpha' style='border-collapse:collapse;font-size:13px'><thead><tr>"
            + "".join(_TH.format(h) for h in head) + "</tr></thead><tbody><tr>"
            + "".join(_TD.format(c) for c in cells) + "</tr></tbody></table>")

    def _show_likert(self, rows: pd.DataFrame, inst: Instrument) -> None:
        from ..plots.reliability import likert_bars

        c = self.construct.value
        names = [i.name for i in inst.items_of(c)]
        try:
            fig = likert_bars(rows, names, instrument=inst, lang=self.lang,
                              title=self.t["likert"].format(c=inst.label(c, self.lang)))
            self.likert.value = figure_png(fig)
            self.likert.layout.display = None
        except SurveyError as err:
            self.likert.layout.display = "none"
            self.message.value = html_message("error", str(err))

    def _show_trend(self, base: pd.DataFrame, inst: Instrument) -> None:
        """The trend keeps every wave of the unit and sector filter; the chosen wave is highlighted."""
        from ..plots.trend import trend_figure
        from ..skm import trend

        t, c = self.t, self.construct.value
        try:
            res = trend(base, inst, c)
            self.trend = res.table
            names = [i.name for i in inst.items_of(c)]
            sc = inst.scale_of(names[0]) if names else None
            ylim = (25, 100) if res.measure == "ikm_unit" else ((sc.min, sc.max) if sc else None)
            fig = trend_figure(res, title=t["trend"].format(c=inst.label(c, self.lang)),
                               ylabel=t["ikm"] if res.measure == "ikm_unit" else t["score"],
                               highlight=None if self.wave.value == ALL else self.wave.value, ylim=ylim,
                               lang=self.lang)
            self.trend_image.value = figure_png(fig)
            self.trend_image.layout.display = None
        except SurveyError as err:
            self.trend = None
            self.trend_image.layout.display = "none"
            self.message.value += html_message("info", str(err))

    def static_html(self) -> str:
        """The current view as HTML with embedded images (what a report without a kernel shows)."""
        parts = [self.message.value, self.summary_box.value]
        if self.likert.value and self.likert.layout.display != "none":
            parts.append(png_tag(self.likert.value, "Likert"))
        if self.trend_image.value and self.trend_image.layout.display != "none":
            parts.append(png_tag(self.trend_image.value, "trend"))
        return f"<div class='survey-explorer-static'>{''.join(parts)}</div>"

    def snapshot(self) -> None:
        """Display the current view as ordinary notebook output (HTML and images, no widget)."""
        from IPython.display import HTML, display

        display(HTML(self.static_html()))

    def _repr_mimebundle_(self, **kwargs):
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.static_html()
        return bundle
