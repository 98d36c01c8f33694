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

__version__ = "0.1.0"

_SUBMODULES = {"datasets", "drafts", "files", "forms", "impact", "needs", "paths", "plots", "privacy", "reliability",
               "report", "reports", "simulate", "skm", "widgets"}
# The top-level helpers, imported on first use like the modules (pandas and pydantic load with them)
_HELPERS = {"Instrument": "instrument", "builtin_names": "instrument", "load_instrument": "instrument",
            "write_sav": "forms", "quality_flags": "responses", "read_responses": "responses", "score": "responses",
            "validate_data": "responses"}

__all__ = [
    "DataError", "Instrument", "InstrumentError", "ParameterError", "PlanError", "SurveyError",
    "builtin_names", "load_instrument", "quality_flags", "read_responses", "score", "validate_data",
    "write_sav", *sorted(_SUBMODULES),
]


def __getattr__(name: str):
    # PEP 562: `survey.skm` and `survey.read_responses` work without importing statsmodels, pandas
    # and pydantic for every CLI call (a cached `survey run` needs none of them).
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _HELPERS:
        return getattr(importlib.import_module(f".{_HELPERS[name]}", __name__), name)
    raise AttributeError(f"module 'survey' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
