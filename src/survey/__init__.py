"""Survey Workbench: design questionnaires, read field data, test scales, estimate program impact
and share reports. See README.md for a tour."""
from __future__ import annotations

from .errors import DataError, InstrumentError, PlanError, SurveyError
from .instrument import Instrument, builtin_names, load_instrument
from .responses import read_responses, score

__version__ = "0.1.0"

__all__ = [
    "DataError", "Instrument", "InstrumentError", "PlanError", "SurveyError",
    "builtin_names", "load_instrument", "read_responses", "score",
]
