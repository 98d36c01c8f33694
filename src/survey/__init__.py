"""Survey Workbench: design questionnaires, read field data, test scales, estimate program impact
and share reports. See README.md for a tour.

The analysis modules (``survey.reliability``, ``survey.impact``, ``survey.skm``, ``survey.needs``,
``survey.forms``, ``survey.privacy``, ``survey.plots``, ``survey.reports``, ``survey.simulate``,
``survey.datasets``) are imported on first use, so that the ``survey`` command starts quickly.
ARCHITECTURE.md describes the layout, the vocabulary and the result contract.
"""
from __future__ import annotations

import importlib

from .errors import DataError, InstrumentError, ParameterError, PlanError, SurveyError
from .instrument import Instrument, builtin_names, load_instrument
from .forms import write_sav
from .responses import quality_flags, read_responses, score, validate_data

__version__ = "0.1.0"

_SUBMODULES = {"datasets", "drafts", "files", "forms", "impact", "needs", "paths", "plots", "privacy", "reliability",
               "report", "reports", "simulate", "skm", "widgets"}

__all__ = [
    "DataError", "Instrument", "InstrumentError", "ParameterError", "PlanError", "SurveyError",
    "builtin_names", "load_instrument", "quality_flags", "read_responses", "score", "validate_data",
    "write_sav", *sorted(_SUBMODULES),
]


def __getattr__(name: str):
    # PEP 562: `survey.skm` works without importing statsmodels for every CLI call.
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'survey' has no attribute {name!r}")
