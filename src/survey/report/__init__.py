"""The report layer: everything a notebook shows around its tables and figures.

- wording: :func:`t` reads the message catalogs (``messages/<area>.yaml``, ``id`` and ``en``);
- numbers: :func:`format_number`, :func:`format_int`, :func:`format_percent`, :func:`format_pvalue`,
  :func:`format_interval`, :func:`format_date` (Babel, ``id_ID`` and ``en_GB``);
- display: :func:`header`, :func:`summary`, :func:`heading`, :func:`paragraph`, :func:`note`,
  :func:`bullets`, :func:`table`, :func:`key_values`, :func:`figure`, :func:`methods`, :func:`show`
  (every text escaped where it is inserted; figures localised and given alt text);
- :func:`localize_figure`: a figure's numbers in the report's language;
- :func:`data_notice`: the synthetic-data banner at the top of a report;
- :func:`write_results`: the notebook's key figures as ``results.json`` for the index page;
- :func:`is_synthetic`: the one rule for "are these demo rows" (from :mod:`survey.privacy`);
- :func:`instrument_outline`: an instrument as plain text in Bahasa Indonesia or English.
"""
from __future__ import annotations

from .._checks import check_lang
from ..privacy import SyntheticRows, is_synthetic
from .catalog import areas, has, load_catalog, t
from .display import (Fragment, bullets, escape, figure, header, heading, key_values, methods, note,
                      paragraph, show, summary, table)
from .figures import localize_figure, localize_text
from .formatting import (LOCALES, MISSING, format_date, format_int, format_interval, format_number,
                         format_percent, format_pvalue, locale_of)
from .notebook import NOTICE, data_notice, notice_html, write_results
from .outline import instrument_outline

__all__ = ["Fragment", "LOCALES", "MISSING", "NOTICE", "SyntheticRows", "areas", "bullets", "check_lang",
           "data_notice", "escape", "figure", "header", "heading", "key_values", "localize_figure",
           "localize_text", "methods", "note", "paragraph", "show", "summary", "table",
           "format_date", "format_int", "format_interval", "format_number", "format_p", "format_percent",
           "format_pvalue", "has", "instrument_outline", "is_synthetic", "load_catalog", "locale_of",
           "notice_html", "t", "write_results"]
