"""Interactive apps for JupyterLab: :class:`InstrumentDesigner` and :class:`Explorer`.

The widgets are thin views. Everything they compute lives in plain functions: the instrument checks
in :mod:`survey.instrument`, reading and scoring in :mod:`survey.responses`, alpha in
:mod:`survey.reliability`, the IKM in :mod:`survey.skm`, figures in :mod:`survey.plots`. The
designer edits an instrument *draft* with the functions of :mod:`survey.drafts`. The first section of
this module holds the few pure helpers the explorer and start page need (a score trend, data
filters); they take and return plain data and are tested in ``tests/test_widgets.py`` without a
browser.

Every widget carries a stable CSS class (``survey-designer-*``, ``survey-explorer-*``) so that browser
tests and custom stylesheets can find it.

Shared HTML: a widget needs a live kernel. Both apps therefore also offer a static form (HTML with
embedded images) through ``_repr_mimebundle_`` and :meth:`Explorer.snapshot`, which is what an exported
report shows instead of an empty widget box.
"""
from __future__ import annotations

import base64
import copy
import html
import io
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .errors import DataError, InstrumentError, ParameterError, SurveyError
from .instrument import ITEM_TYPES, Instrument, builtin_names, load_instrument

__all__ = [
    "InstrumentDesigner", "Explorer",
    # pure helpers (see the module docstring)
    "load_draft", "draft_of", "check_draft", "draft_instrument", "save_draft", "export_draft",
    "set_item_field", "set_item_text", "add_item", "remove_item", "move_item",
    "add_construct", "rename_construct", "remove_construct", "set_construct_text", "set_construct_field",
    "add_scale", "rename_scale", "remove_scale", "set_scale_options", "scale_options_text",
    "parse_scale_options", "set_text", "questionnaire_html",
    "guess_instrument", "data_files", "attach_units", "filter_rows", "reliability_row",
    "trend_table", "trend_figure", "figure_png", "instrument_overview", "demo_overview",
]

ALL = "__all__"  # the "no filter" value of the explorer's dropdowns
NONE = ""  # "no construct" / "no scale" in the designer's dropdowns


from .drafts import (  # editing logic lives in survey.drafts; re-exported for notebooks
    languages_of, text_of,
    load_draft, draft_of, check_draft, draft_instrument, save_draft, export_draft, set_text,
    set_item_field, set_item_text, add_item, remove_item, move_item, add_construct,
    rename_construct, remove_construct, set_construct_text, set_construct_field, add_scale,
    rename_scale, remove_scale, scale_options_text, parse_scale_options, set_scale_options,
    questionnaire_html,
)

# ================================================================================================
# Pure helpers: data for the explorer and the start page
# ================================================================================================
def guess_instrument(path: str | Path) -> str | None:
    """The built-in instrument a demo-style file name points to (``skm.csv`` -> ``skm_2017``)."""
    stem = Path(path).stem.lower()
    names = builtin_names()
    if stem in names:
        return stem
    starts = [n for n in names if n.startswith(stem + "_") or stem.startswith(n + "_")]
    return starts[0] if len(starts) == 1 else None


def data_files(folder: str | Path) -> list[Path]:
    """CSV/XLSX files in ``folder`` whose name points to a built-in instrument with constructs."""
    p = Path(folder)
    if not p.is_dir():
        return []
    out = []
    for f in sorted([*p.glob("*.csv"), *p.glob("*.xlsx")]):
        name = guess_instrument(f)
        if name and load_instrument(name).constructs:
            out.append(f)
    return out


def attach_units(df: pd.DataFrame, units: str | Path | pd.DataFrame | None) -> pd.DataFrame:
    """Add ``sector`` (and ``unit_type``) from a units table by ``unit_id`` when the data lack them."""
    if units is None or "unit_id" not in df.columns:
        return df
    if not isinstance(units, pd.DataFrame):
        if not Path(units).is_file():
            return df
        units = pd.read_csv(units, dtype=str, keep_default_na=False)
    add = [c for c in ("sector", "unit_type") if c in units.columns and c not in df.columns]
    if not add:
        return df
    lookup = units.drop_duplicates("unit_id").set_index("unit_id")[add]
    out = df.copy()
    for c in add:
        out[c] = out["unit_id"].astype(str).map(lookup[c]).astype("string")
    return out


def filter_rows(df: pd.DataFrame, **filters: Any) -> pd.DataFrame:
    """Rows where each given column equals its value; ``None`` or ``"__all__"`` means no filter.

    ``filter_rows(df, unit_id="KEL-01", wave=3)``. A column the data lack raises :class:`DataError`."""
    mask = pd.Series(True, index=df.index)
    for col, value in filters.items():
        if value is None or value == ALL:
            continue
        if col not in df.columns:
            raise DataError(f"cannot filter by {col!r}: the data have no such column")
        s = df[col]
        mask &= (s.astype("string") == str(value)).fillna(False).astype(bool)
    return df[mask]


def reliability_row(df: pd.DataFrame, instrument: Instrument, construct: str) -> dict[str, Any]:
    """Alpha of one construct (Feldt 95% CI) as a flat dict: construct, n_items, n_obs, raw_alpha,
    ci_low, ci_high, band. Rows with no answer to the construct's items do not count."""
    from .reliability import alpha_band, alpha_for

    names = [i.name for i in instrument.items_of(construct)]
    answered = df[names].notna().any(axis=1) if names else pd.Series(False, index=df.index)
    res = alpha_for(df[answered], instrument, construct, ci="feldt")
    s = res.summary
    return {"construct": construct, "n_items": int(s["n_items"]), "n_obs": int(s["n_obs"]),
            "raw_alpha": float(s["raw_alpha"]), "ci_low": float(s["ci_low"]), "ci_high": float(s["ci_high"]),
            "band": alpha_band(float(s["raw_alpha"]))}


def trend_table(df: pd.DataFrame, instrument: Instrument, construct: str, wave: str = "wave",
                level: float = 0.95) -> tuple[pd.DataFrame, str]:
    """Mean per wave of a construct score with a t confidence interval; the IKM for the SKM.

    Returns ``(table, measure)``; the table has one row per wave: ``wave``, ``label`` (the
    ``wave_label`` when present), ``n``, ``value``, ``ci_low``, ``ci_high``.

    Construct score: :func:`survey.score` (reverse items recoded, mean of answered items, NA below
    ``min_answered``); per wave ``mean ± t(level, n-1) * sd / sqrt(n)`` over the non-missing scores
    (no interval when n < 2). ``measure`` is the construct id.

    SKM (an instrument whose construct is ``ikm`` and whose items are the unsur): the IKM unit value
    (25-100) of :func:`survey.skm.ikm` with its delta-method interval, per wave; ``measure`` is
    ``"ikm_unit"``.
    """
    from scipy import stats

    from .responses import score

    if wave not in df.columns:
        raise DataError(f"the data have no {wave!r} column, so there is no trend over waves")
    labels = {}
    if "wave_label" in df.columns:
        labels = df[[wave, "wave_label"]].dropna().drop_duplicates(wave).set_index(wave)["wave_label"].to_dict()
    if construct == "ikm" and instrument.id.startswith("skm"):
        from .skm import ikm

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an unsur nobody answered in a small filter is expected here
            res = ikm(df, by=wave, ci="delta", instrument=instrument)
        s = res.summary.reset_index()
        table = pd.DataFrame({"wave": s[wave], "n": s["n"], "value": s["ikm_unit"],
                              "ci_low": s["ci_low_unit"], "ci_high": s["ci_high_unit"]})
        measure = "ikm_unit"
    else:
        scored = score(df, instrument, [construct])
        rows = []
        for w, x in scored.groupby(wave, sort=True)[construct]:
            x = x.dropna().astype(float)
            n = len(x)
            mean = float(x.mean()) if n else np.nan
            if n >= 2:
                half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
                lo, hi = mean - half, mean + half
            else:
                lo = hi = np.nan
            rows.append({"wave": w, "n": n, "value": mean, "ci_low": lo, "ci_high": hi})
        table = pd.DataFrame(rows, columns=["wave", "n", "value", "ci_low", "ci_high"])
        measure = construct
    table.insert(1, "label", [str(labels.get(w, w)) for w in table["wave"]])
    return table, measure


def trend_figure(table: pd.DataFrame, title: str = "", ylabel: str = "", highlight: Any = None,
                 ylim: tuple[float, float] | None = None):
    """Line with a confidence band for a :func:`trend_table`; ``highlight`` marks one wave."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    x = np.arange(len(table))
    y = table["value"].to_numpy(dtype=float)
    ax.fill_between(x, table["ci_low"].to_numpy(dtype=float), table["ci_high"].to_numpy(dtype=float),
                    color="#9ecae1", alpha=0.5, linewidth=0, label="95% CI")
    ax.plot(x, y, marker="o", color="#08519c")
    for xi, yi, n in zip(x, y, table["n"]):
        if np.isfinite(yi):
            ax.annotate(f"n={int(n)}", (xi, yi), textcoords="offset points", xytext=(0, 7), ha="center",
                        fontsize=7, color="#555")
    if highlight is not None and highlight != ALL:
        hit = [k for k, w in enumerate(table["wave"]) if str(w) == str(highlight)]
        for k in hit:
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
    fig.tight_layout()
    return fig


def figure_png(fig, dpi: int = 80) -> bytes:
    """PNG bytes of a figure; the figure is closed, so it never shows twice in a notebook."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def instrument_overview(lang: str = "id") -> pd.DataFrame:
    """The built-in instruments: id, version, title, number of items and the constructs."""
    rows = []
    for name in builtin_names():
        inst = load_instrument(name)
        rows.append({"instrument": name, "version": inst.version, "title": inst.text(inst.title, lang),
                     "items": len(inst.items),
                     "constructs": ", ".join(inst.label(c, lang) for c in inst.constructs) or "-"})
    return pd.DataFrame(rows)


def demo_overview(folder: str | Path) -> pd.DataFrame:
    """The data files in ``folder``: rows, columns, the instrument they match and whether they are
    synthetic. Files are only read."""
    rows = []
    for f in sorted(Path(folder).glob("*.csv")):
        head = pd.read_csv(f, dtype=str, keep_default_na=False)
        syn = "synthetic" in head.columns and head["synthetic"].str.lower().isin(["true", "1"]).any()
        rows.append({"file": f.name, "rows": len(head), "columns": head.shape[1],
                     "instrument": guess_instrument(f) or "-", "synthetic": bool(syn)})
    return pd.DataFrame(rows, columns=["file", "rows", "columns", "instrument", "synthetic"])


def _png_tag(png: bytes, alt: str) -> str:
    return (f'<img alt="{html.escape(alt)}" style="max-width:100%" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">')


# ================================================================================================
# Widgets
# ================================================================================================
UI = {
    "id": {
        "designer": "Perancang instrumen", "source": "Instrumen", "path": "File YAML", "load": "Buka",
        "items": "Butir", "constructs": "Konstruk", "scales": "Skala", "preview": "Pratinjau", "info": "Info",
        "filter": "Tampilkan", "all": "(semua)", "none": "(tanpa konstruk)", "name": "Nama", "type": "Tipe",
        "scale": "Skala", "construct": "Konstruk", "reverse": "Butir dibalik (R)", "required": "Wajib diisi",
        "label": "Teks", "hint": "Petunjuk", "add": "Tambah", "remove": "Hapus", "up": "Naik", "down": "Turun",
        "id": "Id", "min_answered": "Min. terjawab", "new_id": "Id baru", "options": "Pilihan",
        "missing": "Kode hilang", "version": "Versi", "title": "Judul", "save_path": "Simpan ke",
        "save": "Simpan YAML", "xlsform": "Ekspor XLSForm", "codebook": "Ekspor codebook",
        "valid": "✓ Instrumen valid", "problems": "{n} masalah: perbaiki sebelum menyimpan",
        "saved": "Tersimpan: {p}", "exported": "Diekspor: {p}", "not_saved": "Belum disimpan: ada {n} masalah.",
        "lang": "Bahasa",
        "explorer": "Penjelajah data", "data": "Data", "unit": "Unit", "sector": "Sektor", "wave": "Gelombang",
        "reliability": "Reliabilitas (alpha Cronbach)", "alpha": "α", "ci": "IK 95% (Feldt)", "n": "n",
        "n_items": "butir", "rating": "Kategori",
        "likert": "Sebaran jawaban: {c} (% dari jawaban terisi)", "trend": "Tren per gelombang: {c}",
        "score": "Rerata skor", "ikm": "IKM unit (25-100)", "no_rows": "Tidak ada data untuk pilihan ini.",
        "no_constructs": "Instrumen ini tidak memiliki konstruk.",
        "bands": {"excellent": "sangat baik", "good": "baik", "acceptable": "dapat diterima",
                  "questionable": "dipertanyakan", "poor": "buruk", "unacceptable": "tidak dapat diterima"},
    },
    "en": {
        "designer": "Instrument designer", "source": "Instrument", "path": "YAML file", "load": "Open",
        "items": "Items", "constructs": "Constructs", "scales": "Scales", "preview": "Preview", "info": "Info",
        "filter": "Show", "all": "(all)", "none": "(no construct)", "name": "Name", "type": "Type",
        "scale": "Scale", "construct": "Construct", "reverse": "Reverse-keyed (R)", "required": "Required",
        "label": "Text", "hint": "Hint", "add": "Add", "remove": "Remove", "up": "Up", "down": "Down",
        "id": "Id", "min_answered": "Min. answered", "new_id": "New id", "options": "Options",
        "missing": "Missing codes", "version": "Version", "title": "Title", "save_path": "Save to",
        "save": "Save YAML", "xlsform": "Export XLSForm", "codebook": "Export codebook",
        "valid": "✓ Valid instrument", "problems": "{n} problem(s): fix them before saving",
        "saved": "Saved: {p}", "exported": "Exported: {p}", "not_saved": "Not saved: {n} problem(s) left.",
        "lang": "Language",
        "explorer": "Data explorer", "data": "Data", "unit": "Unit", "sector": "Sector", "wave": "Wave",
        "reliability": "Reliability (Cronbach's alpha)", "alpha": "α", "ci": "95% CI (Feldt)", "n": "n",
        "n_items": "items", "rating": "Rating",
        "likert": "Answers: {c} (% of answered)", "trend": "Trend by wave: {c}",
        "score": "Mean score", "ikm": "IKM unit (25-100)", "no_rows": "No data for this selection.",
        "no_constructs": "This instrument has no constructs.",
        "bands": {"excellent": "excellent", "good": "good", "acceptable": "acceptable",
                  "questionable": "questionable", "poor": "poor", "unacceptable": "unacceptable"},
    },
}


def _ui(lang: str) -> dict:
    if lang not in UI:
        raise ParameterError(f"lang must be 'id' or 'en', got {lang!r}")
    return UI[lang]


def _w():
    import ipywidgets

    return ipywidgets


def _cls(widget, name: str):
    widget.add_class(name)
    return widget


DESC = {"description_width": "100px"}  # room for "Petunjuk (id)" and "Min. terjawab"


def _message(kind: str, text: str) -> str:
    color = {"ok": "#1e7d32", "error": "#b71c1c", "info": "#555"}[kind]
    return f'<div style="color:{color};white-space:pre-wrap">{html.escape(text)}</div>'


class InstrumentDesigner:
    """Design or edit an instrument in JupyterLab.

    Pick a built-in instrument or open a YAML file; browse items by construct; edit items,
    constructs and scales; mark reverse-keyed items; see the instrument's checks after every change;
    preview the questionnaire in each language; save YAML; export XLSForm and a codebook
    (:mod:`survey.forms`). ``designer.draft`` is the YAML mapping being edited,
    ``designer.problems`` its problems, ``designer.instrument`` the valid instrument (or None).

    >>> designer = InstrumentDesigner("training_reaction", save_path="outputs/scratch/my.yaml")
    >>> designer  # doctest: +SKIP
    """

    def __init__(self, instrument: str | Path = "training_reaction", save_path: str | Path | None = None,
                 export_dir: str | Path | None = None, lang: str = "id"):
        w = _w()
        self.lang = lang
        t = self.t = _ui(lang)
        self.draft: dict = {}
        self.problems: list[str] = []
        self._local: list[str] = []  # problems of a text box that could not be applied (scale lines)
        self._guard = False
        self._item: int | None = None
        self._save_path_given = save_path is not None
        self._export_dir = Path(export_dir) if export_dir else None
        L = w.Layout

        self.title = _cls(w.HTML(f"<h3 style='margin:0'>{t['designer']}</h3>"), "survey-designer-title")
        self.source = _cls(w.Dropdown(options=builtin_names(), description=t["source"], layout=L(width="340px")),
                           "survey-designer-source")
        self.path = _cls(w.Text(placeholder="instrument.yaml", description=t["path"], layout=L(width="360px")),
                         "survey-designer-path")
        self.load_button = _cls(w.Button(description=t["load"], icon="folder-open", layout=L(width="90px")),
                                "survey-designer-load")
        self.status = _cls(w.HTML(), "survey-designer-status")

        # -- items tab
        self.filter = _cls(w.Dropdown(description=t["filter"], layout=L(width="320px")), "survey-designer-filter")
        self.items = _cls(w.Select(rows=18, layout=L(width="300px")), "survey-designer-items")
        self.name = _cls(w.Text(description=t["name"], continuous_update=True, style=DESC), "survey-designer-name")
        self.type = _cls(w.Dropdown(options=list(ITEM_TYPES), description=t["type"], style=DESC), "survey-designer-type")
        self.scale = _cls(w.Dropdown(description=t["scale"], style=DESC), "survey-designer-scale")
        self.construct = _cls(w.Dropdown(description=t["construct"], style=DESC), "survey-designer-construct")
        self.reverse = _cls(w.Checkbox(description=t["reverse"], indent=True), "survey-designer-reverse")
        self.required = _cls(w.Checkbox(description=t["required"], indent=True), "survey-designer-required")
        self.label_boxes: dict[str, Any] = {}
        self.hint_boxes: dict[str, Any] = {}
        self.add_item_button = _cls(w.Button(description=t["add"], icon="plus"), "survey-designer-add-item")
        self.remove_item_button = _cls(w.Button(description=t["remove"], icon="trash", button_style="warning"),
                                       "survey-designer-remove-item")
        self.up_button = _cls(w.Button(description=t["up"], icon="arrow-up", layout=L(width="80px")), "survey-designer-up")
        self.down_button = _cls(w.Button(description=t["down"], icon="arrow-down", layout=L(width="80px")),
                                "survey-designer-down")
        self.item_text = w.VBox()
        self.item_editor = _cls(w.VBox([self.name, self.type, self.scale, self.construct, self.reverse,
                                        self.required, self.item_text,
                                        w.HBox([self.add_item_button, self.remove_item_button, self.up_button,
                                                self.down_button])], layout=L(width="560px")),
                                "survey-designer-item-editor")
        items_tab = w.VBox([self.filter, w.HBox([self.items, self.item_editor])])

        # -- constructs tab
        self.construct_list = _cls(w.Select(rows=10, layout=L(width="260px")), "survey-designer-construct-list")
        self.construct_id = _cls(w.Text(description=t["id"], continuous_update=False, style=DESC), "survey-designer-construct-id")
        self.construct_min = _cls(w.BoundedIntText(min=1, max=99, description=t["min_answered"], style=DESC),
                                  "survey-designer-construct-min")
        self.construct_text = w.VBox()
        self.new_construct = _cls(w.Text(placeholder="e.g. commitment", description=t["new_id"], style=DESC),
                                  "survey-designer-new-construct")
        self.add_construct_button = _cls(w.Button(description=t["add"], icon="plus"), "survey-designer-add-construct")
        self.remove_construct_button = _cls(w.Button(description=t["remove"], icon="trash", button_style="warning"),
                                            "survey-designer-remove-construct")
        constructs_tab = w.HBox([self.construct_list, w.VBox([
            self.construct_id, self.construct_min, self.construct_text,
            w.HBox([self.remove_construct_button]), w.HBox([self.new_construct, self.add_construct_button])])])

        # -- scales tab
        self.scale_list = _cls(w.Select(rows=10, layout=L(width="200px")), "survey-designer-scale-list")
        self.scale_id = _cls(w.Text(description=t["id"], continuous_update=False, style=DESC), "survey-designer-scale-id")
        self.scale_options = _cls(w.Textarea(description=t["options"], layout=L(width="560px", height="150px"), style=DESC),
                                  "survey-designer-scale-options")
        self.scale_missing = _cls(w.Textarea(description=t["missing"], layout=L(width="560px", height="60px"), style=DESC),
                                  "survey-designer-scale-missing")
        self.scale_help = w.HTML()
        self.new_scale = _cls(w.Text(placeholder="e.g. agree4", description=t["new_id"], style=DESC), "survey-designer-new-scale")
        self.add_scale_button = _cls(w.Button(description=t["add"], icon="plus"), "survey-designer-add-scale")
        self.remove_scale_button = _cls(w.Button(description=t["remove"], icon="trash", button_style="warning"),
                                        "survey-designer-remove-scale")
        scales_tab = w.HBox([self.scale_list, w.VBox([
            self.scale_id, self.scale_help, self.scale_options, self.scale_missing,
            w.HBox([self.remove_scale_button]), w.HBox([self.new_scale, self.add_scale_button])])])

        # -- preview and info tabs
        self.preview_lang = _cls(w.ToggleButtons(options=[("Bahasa Indonesia", "id"), ("English", "en")],
                                                 description=t["lang"]), "survey-designer-preview-lang")
        self.preview = _cls(w.HTML(layout=L(max_height="560px", overflow="auto")), "survey-designer-preview")
        preview_tab = w.VBox([self.preview_lang, self.preview])
        self.inst_id = _cls(w.Text(description=t["id"], continuous_update=False, style=DESC), "survey-designer-id")
        self.version = _cls(w.Text(description=t["version"], style=DESC), "survey-designer-version")
        self.title_boxes: dict[str, Any] = {}
        self.info_text = w.VBox()
        info_tab = w.VBox([self.inst_id, self.version, self.info_text])

        self.tabs = _cls(w.Tab(children=[items_tab, constructs_tab, scales_tab, preview_tab, info_tab]),
                         "survey-designer-tabs")
        for k, key in enumerate(["items", "constructs", "scales", "preview", "info"]):
            self.tabs.set_title(k, t[key])

        # -- save / export
        self.save_path = _cls(w.Text(description=t["save_path"], layout=L(width="520px")), "survey-designer-save-path")
        self.save_button = _cls(w.Button(description=t["save"], icon="save", button_style="primary"),
                                "survey-designer-save")
        self.xlsform_button = _cls(w.Button(description=t["xlsform"], icon="file-excel-o"), "survey-designer-xlsform")
        self.codebook_button = _cls(w.Button(description=t["codebook"], icon="book"), "survey-designer-codebook")
        self.message = _cls(w.HTML(), "survey-designer-message")
        self.problems_box = _cls(w.HTML(layout=L(max_height="220px", overflow="auto")), "survey-designer-problems")

        self.widget = _cls(w.VBox([
            self.title, w.HBox([self.source, self.path, self.load_button]), self.tabs, self.status,
            self.problems_box, w.HBox([self.save_path, self.save_button]),
            w.HBox([self.xlsform_button, self.codebook_button]), self.message,
        ], layout=L(width="100%")), "survey-designer")

        # -- events
        self.source.observe(lambda ch: self.load(ch["new"]), names="value")
        self.load_button.on_click(lambda _: self.load(self.path.value.strip()))
        self.filter.observe(lambda ch: self._guarded(self._refresh_items), names="value")
        self.items.observe(self._on_item_selected, names="value")
        self.name.observe(lambda ch: self._edit_item("name", ch["new"]), names="value")
        self.type.observe(lambda ch: self._edit_item("type", ch["new"] if ch["new"] != "select_one" else None), names="value")
        self.scale.observe(lambda ch: self._edit_item("scale", ch["new"]), names="value")
        self.construct.observe(lambda ch: self._edit_item("construct", ch["new"]), names="value")
        self.reverse.observe(lambda ch: self._edit_item("reverse", ch["new"]), names="value")
        self.required.observe(lambda ch: self._edit_item("required", ch["new"]), names="value")
        self.add_item_button.on_click(lambda _: self._add_item())
        self.remove_item_button.on_click(lambda _: self._remove_item())
        self.up_button.on_click(lambda _: self._move_item(-1))
        self.down_button.on_click(lambda _: self._move_item(1))
        self.construct_list.observe(lambda ch: self._guarded(self._show_construct), names="value")
        self.construct_id.observe(self._rename_construct, names="value")
        self.construct_min.observe(self._edit_construct_min, names="value")
        self.add_construct_button.on_click(lambda _: self._add_construct())
        self.remove_construct_button.on_click(lambda _: self._remove_construct())
        self.scale_list.observe(lambda ch: self._guarded(self._show_scale), names="value")
        self.scale_id.observe(self._rename_scale, names="value")
        self.scale_options.observe(lambda ch: self._edit_scale_options("options", ch["new"]), names="value")
        self.scale_missing.observe(lambda ch: self._edit_scale_options("missing", ch["new"]), names="value")
        self.add_scale_button.on_click(lambda _: self._add_scale())
        self.remove_scale_button.on_click(lambda _: self._remove_scale())
        self.preview_lang.observe(lambda ch: self._refresh_preview(), names="value")
        self.inst_id.observe(lambda ch: self._edit_top("id", ch["new"]), names="value")
        self.version.observe(lambda ch: self._edit_top("version", ch["new"]), names="value")
        self.save_button.on_click(lambda _: self.save())
        self.xlsform_button.on_click(lambda _: self.export("xlsform"))
        self.codebook_button.on_click(lambda _: self.export("codebook"))

        self.preview_lang.value = lang if lang in ("id", "en") else "id"
        if str(instrument) in builtin_names():
            self._guard = True
            self.source.value = str(instrument)
            self._guard = False
        else:
            self.path.value = str(instrument)
        self.load(instrument, save_path=save_path)

    # -- public API -----------------------------------------------------------------------------
    @property
    def instrument(self) -> Instrument | None:
        """The draft as a valid :class:`Instrument`, or None while it has problems."""
        return None if self.problems else draft_instrument(self.draft)

    def load(self, name_or_path: str | Path, save_path: str | Path | None = None) -> None:
        """Open a built-in instrument or a YAML file (an invalid file opens too, with its problems)."""
        if self._guard:
            return
        if not str(name_or_path):
            self.message.value = _message("error", "Tulis path file YAML / write the path of a YAML file")
            return
        try:
            from .reports import project_path

            src = str(name_or_path)
            draft = load_draft(src if src in builtin_names() else project_path(src))
        except InstrumentError as err:
            self.message.value = _message("error", str(err))
            return
        self.draft = draft
        self._item = 0 if draft.get("items") else None
        self._local = []
        if save_path is not None:
            self.save_path.value = str(save_path)
        elif not self._save_path_given or not self.save_path.value:
            folder = Path(self.save_path.value).parent if self.save_path.value else Path("outputs/scratch/01_instrument_designer")
            self.save_path.value = str(folder / f"{draft.get('id', 'instrument')}.yaml")
        self.message.value = ""
        self._guarded(self._rebuild)

    def save(self, path: str | Path | None = None) -> Path | None:
        """Save the draft as YAML (relative paths start at the project root); None when invalid."""
        from .reports import project_path

        target = project_path(path or self.save_path.value)
        self._validate()
        if self.problems:
            self.message.value = _message("error", self.t["not_saved"].format(n=len(self.problems)))
            return None
        try:
            save_draft(self.draft, target)
        except (InstrumentError, OSError) as err:
            self.message.value = _message("error", str(err))
            return None
        self.message.value = _message("ok", self.t["saved"].format(p=target))
        return target

    def export(self, what: str) -> Path | None:
        """Export XLSForm (``"xlsform"``) or the codebook (``"codebook"``) beside the YAML file."""
        from .reports import project_path

        out_dir = project_path(self._export_dir) if self._export_dir else project_path(self.save_path.value).parent
        self._validate()
        if self.problems:
            self.message.value = _message("error", self.t["not_saved"].format(n=len(self.problems)))
            return None
        try:
            target = export_draft(self.draft, out_dir, what)
        except Exception as err:  # forms may be missing or refuse the instrument; say so in the widget
            self.message.value = _message("error", f"{type(err).__name__}: {err}" if not isinstance(err, SurveyError) else str(err))
            return None
        self.message.value = _message("ok", self.t["exported"].format(p=target))
        return target

    def _repr_mimebundle_(self, **kwargs):
        # the widget for JupyterLab, plus static HTML for a page without a kernel (nbconvert picks
        # it when the notebook carries no widget state)
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.static_html()
        return bundle

    def static_html(self, lang: str | None = None) -> str:
        """The questionnaire preview and the check result as HTML (for shared reports)."""
        status = self.t["valid"] if not self.problems else self.t["problems"].format(n=len(self.problems))
        probs = "".join(f"<li>{html.escape(p)}</li>" for p in self.problems[:50])
        return (f"<p><b>{html.escape(status)}</b></p>" + (f"<ul>{probs}</ul>" if probs else "")
                + questionnaire_html(self.draft, lang or self.preview_lang.value))

    # -- internals ----------------------------------------------------------------------------
    def _guarded(self, fn: Callable[[], None]) -> None:
        old, self._guard = self._guard, True
        try:
            fn()
        finally:
            self._guard = old

    def _commit(self, draft: dict, lists: bool = False) -> None:
        self.draft = draft
        if lists:
            self._guarded(self._refresh_lists)
        self._validate()
        self._refresh_preview()

    def _validate(self) -> None:
        self.problems = check_draft(self.draft)
        shown = [*self._local, *self.problems]
        if not shown:
            self.status.value = f"<b style='color:#1e7d32'>{self.t['valid']}</b>"
            self.problems_box.value = ""
            return
        self.status.value = f"<b style='color:#b71c1c'>{html.escape(self.t['problems'].format(n=len(shown)))}</b>"
        self.problems_box.value = ("<ul style='margin:2px 0;color:#b71c1c'>"
                                   + "".join(f"<li>{html.escape(p)}</li>" for p in shown) + "</ul>")

    def _refresh_preview(self) -> None:
        self.preview.value = questionnaire_html(self.draft, self.preview_lang.value)

    def _rebuild(self) -> None:
        w = _w()
        langs = languages_of(self.draft)
        names = self.draft.get("languages") or {}
        self.label_boxes, self.hint_boxes, self.title_boxes = {}, {}, {}
        construct_boxes = []
        for lg in langs:
            lab = _cls(w.Textarea(description=f"{self.t['label']} ({lg})", continuous_update=True,
                                  layout=w.Layout(width="540px", height="64px"), style=DESC), f"survey-designer-label-{lg}")
            lab.observe(lambda ch, lg=lg: self._edit_item_text("label", lg, ch["new"]), names="value")
            hint = _cls(w.Text(description=f"{self.t['hint']} ({lg})", continuous_update=True,
                               layout=w.Layout(width="540px"), style=DESC), f"survey-designer-hint-{lg}")
            hint.observe(lambda ch, lg=lg: self._edit_item_text("hint", lg, ch["new"]), names="value")
            self.label_boxes[lg], self.hint_boxes[lg] = lab, hint
            title = _cls(w.Text(description=f"{self.t['title']} ({lg})", layout=w.Layout(width="620px"), style=DESC),
                         f"survey-designer-title-{lg}")
            title.observe(lambda ch, lg=lg: self._edit_title(lg, ch["new"]), names="value")
            self.title_boxes[lg] = title
            clab = _cls(w.Text(description=f"{self.t['label']} ({lg})", layout=w.Layout(width="520px"), style=DESC),
                        f"survey-designer-construct-label-{lg}")
            clab.observe(lambda ch, lg=lg: self._edit_construct_text(lg, ch["new"]), names="value")
            construct_boxes.append(clab)
        self.construct_label_boxes = dict(zip(langs, construct_boxes))
        self.item_text.children = [*self.label_boxes.values(), *self.hint_boxes.values()]
        self.info_text.children = list(self.title_boxes.values())
        self.construct_text.children = construct_boxes
        self.scale_help.value = ("<span style='color:#555;font-size:90%;margin-left:104px'>"
                                 + html.escape("value | " + " | ".join(f"{names.get(lg, lg)} ({lg})" for lg in langs))
                                 + "</span>")
        self.inst_id.value = str(self.draft.get("id", ""))
        self.version.value = str(self.draft.get("version", ""))
        for lg, box in self.title_boxes.items():
            box.value = text_of(self.draft.get("title"), lg)
        self._refresh_lists()
        self._show_item()
        self._show_construct()
        self._show_scale()
        self._validate()
        self._refresh_preview()

    def _refresh_lists(self) -> None:
        cons = list(self.draft.get("constructs") or {})
        scales = list(self.draft.get("scales") or {})
        self.filter.options = ([(self.t["all"], ALL)] + [(f"{c}", c) for c in cons] + [(self.t["none"], NONE)])
        if self.filter.value not in [ALL, NONE, *cons]:
            self.filter.value = ALL
        self.construct.options = [("—", NONE)] + [(c, c) for c in cons]
        self.scale.options = [("—", NONE)] + [(s, s) for s in scales]
        keep_c = self.construct_list.value
        self.construct_list.options = cons
        self.construct_list.value = keep_c if keep_c in cons else (cons[0] if cons else None)
        keep_s = self.scale_list.value
        self.scale_list.options = scales
        self.scale_list.value = keep_s if keep_s in scales else (scales[0] if scales else None)
        self._refresh_items()

    def _refresh_items(self) -> None:
        lang = self.draft.get("default_language") or languages_of(self.draft)[0]
        opts = []
        for k, it in enumerate(self.draft.get("items", [])):
            c = it.get("construct") or NONE
            if self.filter.value not in (ALL, None) and c != self.filter.value:
                continue
            label = text_of(it.get("label"), lang)
            tag = " (R)" if it.get("reverse") else ""
            short = label if len(label) <= 38 else label[:37] + "…"
            opts.append((f"{it.get('name', '?')}{tag} · {short}", k))
        self.items.options = opts
        values = [v for _, v in opts]
        if self._item in values:
            self.items.value = self._item
        elif values:
            self._item = values[0]
            self.items.value = values[0]
            self._show_item()
        else:
            self.items.value = None

    def _on_item_selected(self, change) -> None:
        if self._guard or change["new"] is None:
            return
        self._item = change["new"]
        self._guarded(self._show_item)

    def _show_item(self) -> None:
        items = self.draft.get("items", [])
        has = self._item is not None and 0 <= self._item < len(items)
        for box in (self.name, self.type, self.scale, self.construct, self.reverse, self.required,
                    *self.label_boxes.values(), *self.hint_boxes.values()):
            box.disabled = not has
        if not has:
            return
        it = items[self._item]
        self.name.value = str(it.get("name", ""))
        self.type.value = it.get("type", "select_one") if it.get("type", "select_one") in ITEM_TYPES else "text"
        self.scale.value = it.get("scale") if it.get("scale") in (self.draft.get("scales") or {}) else NONE
        self.construct.value = it.get("construct") if it.get("construct") in (self.draft.get("constructs") or {}) else NONE
        self.reverse.value = bool(it.get("reverse"))
        self.required.value = bool(it.get("required"))
        for lg, box in self.label_boxes.items():
            box.value = text_of(it.get("label"), lg)
        for lg, box in self.hint_boxes.items():
            box.value = text_of(it.get("hint"), lg)

    def _edit_item(self, field: str, value: Any) -> None:
        if self._guard or self._item is None:
            return
        self._commit(set_item_field(self.draft, self._item, field, value))
        if field in ("name", "construct", "reverse"):
            self._guarded(self._refresh_items)
        if field == "construct" and not value:
            self._guarded(lambda: setattr(self.reverse, "value", False))

    def _edit_item_text(self, key: str, lang: str, text: str) -> None:
        if self._guard or self._item is None:
            return
        self._commit(set_item_text(self.draft, self._item, key, lang, text))
        if key == "label" and lang == (self.draft.get("default_language") or lang):
            self._guarded(self._refresh_items)

    def _add_item(self) -> None:
        c = self.filter.value if self.filter.value not in (ALL, NONE) else None
        if c is None and self._item is not None and self._item < len(self.draft.get("items", [])):
            c = self.draft["items"][self._item].get("construct")
        draft, pos = add_item(self.draft, construct=c, after=self._item if c is None else None)
        self._item = pos
        self._commit(draft, lists=True)
        self._guarded(self._show_item)

    def _remove_item(self) -> None:
        if self._item is None or not self.draft.get("items"):
            return
        draft = remove_item(self.draft, self._item)
        self._item = min(self._item, len(draft["items"]) - 1) if draft["items"] else None
        self._commit(draft, lists=True)
        self._guarded(self._show_item)

    def _move_item(self, step: int) -> None:
        if self._item is None:
            return
        draft, self._item = move_item(self.draft, self._item, step)
        self._commit(draft, lists=True)

    def _show_construct(self) -> None:
        cid = self.construct_list.value
        cons = self.draft.get("constructs") or {}
        for box in (self.construct_id, self.construct_min, *self.construct_label_boxes.values()):
            box.disabled = cid is None
        if cid is None or cid not in cons:
            return
        self.construct_id.value = cid
        self.construct_min.value = int(cons[cid].get("min_answered", 1) or 1)
        for lg, box in self.construct_label_boxes.items():
            box.value = text_of(cons[cid].get("label"), lg)

    def _rename_construct(self, change) -> None:
        old = self.construct_list.value
        if self._guard or old is None or change["new"] == old:
            return
        try:
            draft = rename_construct(self.draft, old, change["new"].strip())
        except InstrumentError as err:
            self.message.value = _message("error", str(err))
            return
        self._commit(draft)
        self._guarded(lambda: (self._refresh_lists(), setattr(self.construct_list, "value", change["new"].strip())))
        self._guarded(self._show_item)

    def _edit_construct_min(self, change) -> None:
        cid = self.construct_list.value
        if self._guard or cid is None:
            return
        self._commit(set_construct_field(self.draft, cid, "min_answered", int(change["new"])))

    def _edit_construct_text(self, lang: str, text: str) -> None:
        cid = self.construct_list.value
        if self._guard or cid is None:
            return
        self._commit(set_construct_text(self.draft, cid, lang, text))

    def _add_construct(self) -> None:
        cid = self.new_construct.value.strip()
        if not cid:
            self.message.value = _message("error", "Tulis id konstruk baru / write the new construct's id")
            return
        try:
            draft = add_construct(self.draft, cid)
        except InstrumentError as err:
            self.message.value = _message("error", str(err))
            return
        self.new_construct.value = ""
        self._commit(draft, lists=True)
        self._guarded(lambda: (setattr(self.construct_list, "value", cid), self._show_construct()))

    def _remove_construct(self) -> None:
        cid = self.construct_list.value
        if cid is None:
            return
        self._commit(remove_construct(self.draft, cid), lists=True)
        self._guarded(lambda: (self._show_construct(), self._show_item()))

    def _show_scale(self) -> None:
        sid = self.scale_list.value
        for box in (self.scale_id, self.scale_options, self.scale_missing):
            box.disabled = sid is None
        if sid is None:
            return
        self.scale_id.value = sid
        self.scale_options.value = scale_options_text(self.draft, sid)
        self.scale_missing.value = scale_options_text(self.draft, sid, "missing")

    def _rename_scale(self, change) -> None:
        old = self.scale_list.value
        if self._guard or old is None or change["new"] == old:
            return
        try:
            draft = rename_scale(self.draft, old, change["new"].strip())
        except InstrumentError as err:
            self.message.value = _message("error", str(err))
            return
        self._commit(draft)
        self._guarded(lambda: (self._refresh_lists(), setattr(self.scale_list, "value", change["new"].strip())))
        self._guarded(self._show_item)

    def _edit_scale_options(self, key: str, text: str) -> None:
        sid = self.scale_list.value
        if self._guard or sid is None:
            return
        options, problems = parse_scale_options(text, languages_of(self.draft))
        self._local = [f"scales.{sid}.{key} ({self.t['scale']}): {p}" for p in problems]
        if problems:
            self._validate()
            return
        if key == "options" and len(options) < 2:
            self._local = [f"scales.{sid}.options: give at least 2 options"]
            self._validate()
            return
        self._commit(set_scale_options(self.draft, sid, options, key))

    def _add_scale(self) -> None:
        sid = self.new_scale.value.strip()
        if not sid:
            self.message.value = _message("error", "Tulis id skala baru / write the new scale's id")
            return
        try:
            draft = add_scale(self.draft, sid)
        except InstrumentError as err:
            self.message.value = _message("error", str(err))
            return
        self.new_scale.value = ""
        self._commit(draft, lists=True)
        self._guarded(lambda: (setattr(self.scale_list, "value", sid), self._show_scale()))

    def _remove_scale(self) -> None:
        sid = self.scale_list.value
        if sid is None:
            return
        self._commit(remove_scale(self.draft, sid), lists=True)
        self._guarded(lambda: (self._show_scale(), self._show_item()))

    def _edit_top(self, key: str, value: str) -> None:
        if self._guard:
            return
        d = copy.deepcopy(self.draft)
        d[key] = value
        self._commit(d)

    def _edit_title(self, lang: str, text: str) -> None:
        if self._guard:
            return
        self._commit(set_text(self.draft, "title", lang, text))


class Explorer:
    """Explore a response file in JupyterLab: choose the data, instrument, construct, unit, sector
    and wave; the reliability summary (Cronbach's alpha with its Feldt 95% CI), the Likert chart and
    the trend over waves (mean construct score, or the IKM for the SKM) follow every change.

    ``data`` is a file (relative paths start at the project root); ``data_dir`` lists the other files
    one can pick. ``units`` (default ``units.csv`` beside the data) adds each unit's sector.
    """

    def __init__(self, data: str | Path = "data/demo/employee_survey.csv", instrument: str | None = None,
                 construct: str | None = None, unit: str | None = None, sector: str | None = None,
                 wave: int | str | None = None, lang: str = "id", data_dir: str | Path | None = None,
                 units: str | Path | None = None):
        from .reports import project_path

        w = _w()
        self.lang = lang
        t = self.t = _ui(lang)
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}
        self._units = units
        self._guard = False
        self.frame: pd.DataFrame | None = None  # the filtered rows behind the current view
        self.summary: dict[str, Any] | None = None
        self.trend: pd.DataFrame | None = None
        data_path = project_path(data)
        folder = project_path(data_dir) if data_dir else data_path.parent
        files = data_files(folder)
        if data_path not in files:
            files = [data_path, *files]
        L = w.Layout
        self.title = _cls(w.HTML(f"<h3 style='margin:0'>{t['explorer']}</h3>"), "survey-explorer-title")
        self.data = _cls(w.Dropdown(options=[(f.name, str(f)) for f in files], value=str(data_path),
                                    description=t["data"], layout=L(width="330px")), "survey-explorer-data")
        self.instrument = _cls(w.Dropdown(options=builtin_names(), description=t["source"],
                                          layout=L(width="330px")), "survey-explorer-instrument")
        self.construct = _cls(w.Dropdown(description=t["construct"], layout=L(width="330px")),
                              "survey-explorer-construct")
        self.unit = _cls(w.Dropdown(description=t["unit"], layout=L(width="330px")), "survey-explorer-unit")
        self.sector = _cls(w.Dropdown(description=t["sector"], layout=L(width="330px")), "survey-explorer-sector")
        self.wave = _cls(w.Dropdown(description=t["wave"], layout=L(width="330px")), "survey-explorer-wave")
        self.summary_box = _cls(w.HTML(), "survey-explorer-summary")
        # flex-start: a VBox stretches its children, which would blow the PNGs up past their size
        self.likert = _cls(w.Image(format="png", layout=L(max_width="100%", align_self="flex-start")),
                           "survey-explorer-likert")
        self.trend_image = _cls(w.Image(format="png", layout=L(max_width="100%", align_self="flex-start")),
                                "survey-explorer-trend")
        self.message = _cls(w.HTML(), "survey-explorer-message")
        controls = w.HBox([w.VBox([self.data, self.instrument, self.construct]),
                           w.VBox([self.unit, self.sector, self.wave])])
        self.widget = _cls(w.VBox([self.title, controls, self.message, self.summary_box, self.likert,
                                   self.trend_image], layout=L(width="100%")), "survey-explorer")

        self.data.observe(self._on_data, names="value")
        self.instrument.observe(self._on_instrument, names="value")
        for box in (self.construct, self.unit, self.wave):
            box.observe(lambda ch: None if self._guard else self.update(), names="value")
        self.sector.observe(self._on_sector, names="value")

        self._guard = True
        self.instrument.value = instrument or guess_instrument(data_path) or self.instrument.options[0]
        self._guard = False
        self._load(construct=construct, unit=unit, sector=sector, wave=wave)

    # -- data ---------------------------------------------------------------------------------
    def responses(self) -> pd.DataFrame:
        """All rows of the chosen file, as read by :func:`survey.read_responses` (plus the units'
        sector), before the unit / sector / wave filters."""
        return self._read()

    def _read(self) -> pd.DataFrame:
        from .responses import read_responses

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
        every = self.t["all"]
        self._guard = True
        try:
            self.construct.options = [(inst.label(c, self.lang), c) for c in inst.constructs]
            cons = list(inst.constructs)
            if cons:
                self.construct.value = construct if construct in cons else cons[0]
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
        finally:
            self._guard = False
        self.update()

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
        self.message.value = _message("error", text)
        self.summary_box.value = ""
        self.likert.value = b""
        self.trend_image.value = b""
        self.likert.layout.display = "none"
        self.trend_image.layout.display = "none"

    # -- the view -----------------------------------------------------------------------------
    def update(self) -> None:
        """Recompute the summary and both figures for the current choices."""
        from .plots.reliability import likert_bars

        t = self.t
        self.message.value = ""
        if not self.construct.options:
            self._show_error(t["no_constructs"])
            return
        df = self._read()
        inst = load_instrument(self.instrument.value)
        c = self.construct.value
        try:
            base = filter_rows(df, unit_id=self.unit.value, sector=self.sector.value)
            rows = filter_rows(base, wave=self.wave.value)
        except DataError as err:
            self._show_error(str(err))
            return
        self.frame = rows
        if rows.empty:
            self._show_error(t["no_rows"])
            return
        label = inst.label(c, self.lang)
        try:
            self.summary = reliability_row(rows, inst, c)
            s = self.summary
            dec = "," if self.lang == "id" else "."
            f = lambda x: f"{x:.2f}".replace(".", dec)  # noqa: E731
            head = [t["construct"], t["alpha"], t["ci"], t["rating"], t["n"], t["n_items"]]
            cells = [html.escape(label), f"<b>{f(s['raw_alpha'])}</b>", f"{f(s['ci_low'])}–{f(s['ci_high'])}",
                     t["bands"][s["band"]], str(s["n_obs"]), str(s["n_items"])]
            self.summary_box.value = (
                f"<div style='margin:6px 0'><b>{t['reliability']}</b></div>"
                "<table class='survey-explorer-alpha' style='border-collapse:collapse;font-size:13px'><thead><tr>"
                + "".join(f"<th style='text-align:left;padding:3px 10px;border-bottom:1px solid #999'>{h}</th>" for h in head)
                + "</tr></thead><tbody><tr>"
                + "".join(f"<td style='text-align:left;padding:3px 10px'>{c}</td>" for c in cells) + "</tr></tbody></table>")
        except SurveyError as err:
            self.summary = None
            self.summary_box.value = _message("error", f"{t['reliability']}: {err}")
        names = [i.name for i in inst.items_of(c)]
        try:
            fig = likert_bars(rows, names, instrument=inst, lang=self.lang, title=t["likert"].format(c=label))
            self.likert.value = figure_png(fig)
            self.likert.layout.display = None
        except SurveyError as err:
            self.likert.layout.display = "none"
            self.message.value = _message("error", str(err))
        try:
            self.trend, measure = trend_table(base, inst, c)
            ylabel = t["ikm"] if measure == "ikm_unit" else t["score"]
            sc = inst.scale_of(names[0]) if names else None
            ylim = (25, 100) if measure == "ikm_unit" else ((sc.min, sc.max) if sc else None)
            fig = trend_figure(self.trend, title=t["trend"].format(c=label), ylabel=ylabel,
                               highlight=self.wave.value, ylim=ylim)
            self.trend_image.value = figure_png(fig)
            self.trend_image.layout.display = None
        except SurveyError as err:
            self.trend = None
            self.trend_image.layout.display = "none"
            self.message.value += _message("info", str(err))

    def static_html(self) -> str:
        """The current view as HTML with embedded images (what a report without a kernel shows)."""
        parts = [self.message.value, self.summary_box.value]
        if self.likert.value and self.likert.layout.display != "none":
            parts.append(_png_tag(self.likert.value, "Likert"))
        if self.trend_image.value and self.trend_image.layout.display != "none":
            parts.append(_png_tag(self.trend_image.value, "trend"))
        return f"<div class='survey-explorer-static'>{''.join(parts)}</div>"

    def snapshot(self) -> None:
        """Display the current view as ordinary notebook output (HTML and images, no widget)."""
        from IPython.display import HTML, display

        display(HTML(self.static_html()))

    def _repr_mimebundle_(self, **kwargs):
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.static_html()
        return bundle
