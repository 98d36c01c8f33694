"""The report layer: everything a notebook shows around its tables and figures.

- wording: :func:`t` reads the message catalogs (``messages/<area>.yaml``, ``id`` and ``en``);
- numbers: :func:`format_number`, :func:`format_int`, :func:`format_percent`, :func:`format_pvalue`,
  :func:`format_interval`, :func:`format_date` (Babel, ``id_ID`` and ``en_GB``);
- display: :func:`header`, :func:`summary`, :func:`heading`, :func:`paragraph`, :func:`note`,
  :func:`bullets`, :func:`table`, :func:`heat_table`, :func:`bar_table`,
  :func:`stacked_bar_table`, :func:`key_values`, :func:`figure`, :func:`methods`,
  :func:`show`
  (every text escaped where it is inserted; figures localised and given alt text);
- :func:`localize_figure`: a figure's numbers in the report's language;
- :func:`data_notice`: the synthetic-data banner at the top of a report;
- :func:`write_results`: the notebook's key figures as ``results.json`` for the index page;
- :func:`is_synthetic`: the one rule for "are these demo rows" (from :mod:`survey.privacy`);
- :func:`instrument_outline`: an instrument as plain text in Bahasa Indonesia or English.
"""
from __future__ import annotations

import importlib

# Each name is imported from its module on first use (PEP 562): the index page and a cached
# `survey run` need the wording and the number formats, not pandas or the figure code.
_NAMES = {
    "check_lang": ".._checks", "SyntheticRows": "..privacy", "is_synthetic": "..privacy",
    "areas": ".catalog", "has": ".catalog", "load_catalog": ".catalog", "t": ".catalog",
    "Fragment": ".display", "bar_table": ".display", "bullets": ".display", "escape": ".display", "figure": ".display",
    "header": ".display", "heading": ".display", "heat_table": ".display", "key_values": ".display", "methods": ".display",
    "note": ".display", "paragraph": ".display", "show": ".display", "stacked_bar_table": ".display", "summary": ".display",
    "table": ".display",
    "localize_figure": ".figures", "localize_text": ".figures",
    "LOCALES": ".formatting", "MISSING": ".formatting", "format_date": ".formatting", "format_int": ".formatting",
    "format_interval": ".formatting", "format_number": ".formatting", "format_percent": ".formatting",
    "format_p": ".formatting", "format_pvalue": ".formatting", "locale_of": ".formatting",
    "NOTICE": ".notebook", "data_notice": ".notebook", "notice_html": ".notebook", "write_results": ".notebook",
    "instrument_outline": ".outline",
}

__all__ = ["Fragment", "LOCALES", "MISSING", "NOTICE", "SyntheticRows", "areas", "bar_table", "bullets", "check_lang",
           "data_notice", "escape", "figure", "header", "heading", "heat_table", "key_values", "localize_figure",
           "localize_text", "methods", "note", "paragraph", "show", "stacked_bar_table", "summary", "table",
           "format_date", "format_int", "format_interval", "format_number", "format_p", "format_percent",
           "format_pvalue", "has", "instrument_outline", "is_synthetic", "load_catalog", "locale_of",
           "notice_html", "t", "write_results"]


def __getattr__(name: str):
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name], __name__), name)
        globals()[name] = value  # found once, then an ordinary attribute
        return value
    raise AttributeError(f"module 'survey.report' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
