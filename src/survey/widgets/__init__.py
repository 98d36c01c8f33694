"""Interactive apps for JupyterLab: :class:`InstrumentDesigner` and :class:`Explorer`.

The widgets are thin views. Everything they compute lives in plain functions: the instrument checks
in :mod:`survey.instrument`, draft editing in :mod:`survey.drafts`, reading and scoring in
:mod:`survey.responses`, alpha in :mod:`survey.reliability`, the IKM and the trend over waves in
:mod:`survey.skm`, figures in :mod:`survey.plots`. :mod:`.helpers` holds the few plain functions
the explorer and the start page need (data files, unit attributes, filters, the reliability row);
they are tested without a browser.

Every widget carries a stable CSS class (``survey-designer-*``, ``survey-explorer-*``) so that browser
tests and custom stylesheets can find it.

Shared HTML: a widget needs a live kernel. Both apps therefore also offer a static form (HTML with
embedded images) through ``_repr_mimebundle_`` and :meth:`Explorer.snapshot`, which is what an exported
report shows instead of an empty widget box.
"""
from __future__ import annotations

from ..drafts import (  # editing logic lives in survey.drafts; re-exported for notebooks
    add_construct, add_item, add_scale, check_draft, draft_instrument, draft_of, export_draft, languages_of,
    load_draft, move_item, parse_scale_options, questionnaire_html, remove_construct, remove_item, remove_scale,
    rename_construct, rename_scale, save_draft, scale_options_text, set_construct_field, set_construct_text,
    set_item_field, set_item_text, set_scale_options, set_text, text_of,
)
from .common import ALL, NONE, UI, figure_png
from .designer import InstrumentDesigner
from .explorer import Explorer, instrument_choices
from .helpers import (attach_units, data_files, demo_overview, filter_rows, guess_instrument, instrument_overview,
                      reliability_row, trend_figure, trend_table)

__all__ = [
    "InstrumentDesigner", "Explorer",
    # plain helpers (see the module docstring)
    "load_draft", "draft_of", "check_draft", "draft_instrument", "save_draft", "export_draft",
    "set_item_field", "set_item_text", "add_item", "remove_item", "move_item",
    "add_construct", "rename_construct", "remove_construct", "set_construct_text", "set_construct_field",
    "add_scale", "rename_scale", "remove_scale", "set_scale_options", "scale_options_text",
    "parse_scale_options", "set_text", "questionnaire_html",
    "guess_instrument", "data_files", "attach_units", "filter_rows", "reliability_row", "instrument_choices",
    "figure_png", "instrument_overview", "demo_overview",
    # deprecated: survey.skm.trend and survey.plots.trend.trend_figure
    "trend_table", "trend_figure",
]
