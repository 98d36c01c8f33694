"""Read response files into one validated, typed DataFrame; validate; flag data quality; score.

The frame has one row per response; item columns are nullable integers (``Int64``) for coded
items, missing codes become NA, values stay as answered (reverse coding happens only in
:func:`score` and, as keys, in the analyses, so nothing is ever reversed twice). Metadata columns
are kept. The input file is only ever opened for reading.

Sources (``source="auto"`` detects them from the header; pass one to force it):

==============  ===============================================================================
``plain``       CSV/XLSX with item names as column headers
``kobo``        KoboToolbox CSV (``;``, quoted) or XLSX, "XML values and headers": ``grp/q``,
                ``_uuid``, ``_submission_time``; select_multiple as ``"1 3"`` plus ``q/1`` columns
``odk``         ODK Central CSV: ``grp-q``, ``meta-instanceID``, ``SubmissionDate``, ``KEY``
``google``      Google Forms CSV: question text as header (either language), grids as
                ``Question [Row]``, answers as label words, ``Timestamp``/``Cap waktu``
``limesurvey``  LimeSurvey CSV: BOM, any delimiter, ``Q1[SQ001]`` codes mapped with ``columns=``
``spss``        SPSS ``.sav`` (value labels, user-missing codes), e.g. from :func:`survey.forms.write_sav`
==============  ===============================================================================

Whatever the source, a header matches an item by its name, a group path ending in the name
(``grp/q``, ``grp-q``), a ``[name]`` suffix, or the item's label text in any language; an answer
matches by its code or by its label text in any language (KoboToolbox "labels" exports, Google
Forms). ``columns={"Q1[SQ001]": "MOT1"}`` maps anything else, ``recode={"A1": 1}`` maps codes.

Modules: :mod:`.read` (read and validate), :mod:`.convert` (cells to typed columns),
:mod:`.scoring` (construct scores), :mod:`.quality` (quality flags).
"""
from __future__ import annotations

from .._checks import renamed_attribute
from typing import Any

from ._match import detect_source
from ._problems import REPORT_COLUMNS
from .quality import QualityFlagsResult, quality_flags
from .read import SOURCES, read_responses, validate_data
from .scoring import reverse_code, score

__all__ = [
    "REPORT_COLUMNS", "SOURCES", "QualityFlagsResult", "detect_source", "quality_flags", "read_responses",
    "reverse_code", "score", "validate_data",
]

_RENAMED = {"QualityFlags": QualityFlagsResult}


def __getattr__(name: str) -> Any:
    return renamed_attribute(__name__, name, _RENAMED)
