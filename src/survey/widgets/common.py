"""What both apps share: their texts in Bahasa Indonesia and English, widget construction helpers,
messages and images."""
from __future__ import annotations

import base64
import html
import io
from typing import Any

from .._checks import check_lang

ALL = "__all__"  # the "no filter" value of the explorer's dropdowns
NONE = ""  # "no construct" / "no scale" in the designer's dropdowns
DESC = {"description_width": "100px"}  # room for "Petunjuk (id)" and "Min. terjawab"

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



def ui_texts(lang: str) -> dict:
    """The apps' texts in ``lang`` ("id" or "en"); a ParameterError for any other language."""
    return UI[check_lang(lang)]


def ipywidgets_module():
    """ipywidgets, imported on first use (the rest of the package never needs it)."""
    import ipywidgets

    return ipywidgets


def with_class(widget: Any, name: str) -> Any:
    """``widget`` with the stable CSS class ``name`` (browser tests and stylesheets find it by that)."""
    widget.add_class(name)
    return widget


def message(kind: str, text: str) -> str:
    """A coloured, escaped message line: ``kind`` is "ok", "error" or "info"."""
    color = {"ok": "#1e7d32", "error": "#b71c1c", "info": "#555"}[kind]
    return f'<div style="color:{color};white-space:pre-wrap">{html.escape(text)}</div>'


def figure_png(fig, dpi: int = 80) -> bytes:
    """PNG bytes of a figure; the figure is closed, so it never shows twice in a notebook."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def png_tag(png: bytes, alt: str) -> str:
    """An ``<img>`` with the PNG embedded (a shared report needs no other file)."""
    return (f'<img alt="{html.escape(alt)}" style="max-width:100%" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">')
