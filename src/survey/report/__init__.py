"""The report layer: what a notebook shows and writes besides its tables and figures.

- :func:`data_notice`: the synthetic-data banner at the top of a report;
- :func:`write_results`: the notebook's key figures as ``results.json`` for the index page;
- :func:`is_synthetic`: the one rule for "are these demo rows" (from :mod:`survey.privacy`);
- :func:`instrument_outline`: an instrument as plain text in Bahasa Indonesia or English.
"""
from __future__ import annotations

from ..privacy import SyntheticRows, is_synthetic
from .notebook import NOTICE, data_notice, notice_html, write_results
from .outline import instrument_outline

__all__ = ["NOTICE", "SyntheticRows", "data_notice", "instrument_outline", "is_synthetic", "notice_html",
           "write_results"]
