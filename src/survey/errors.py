"""The one exception family of the workbench.

Every error a user can cause is a :class:`SurveyError`. Its message says what is wrong, where
(file, row, column, value) and how to fix it; the CLI prints it on one line and exits 2.
"""
from __future__ import annotations


class SurveyError(Exception):
    """Base class: a problem the user can fix."""


class InstrumentError(SurveyError):
    """An instrument definition (YAML or XLSForm) is invalid.

    ``problems`` holds one line per problem, each starting with its path in the file.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class DataError(SurveyError):
    """Response data cannot be used as given.

    ``report`` is a DataFrame with columns file, row, column, value, problem, fix (may be empty).
    """

    def __init__(self, message: str, report=None):
        self.report = report
        super().__init__(message)


class PlanError(SurveyError):
    """A batch plan is wrong (bad YAML, unknown notebook or parameter); nothing was run."""


class ParameterError(SurveyError, ValueError):
    """A function or notebook parameter has a value outside its allowed set (``regime="2019"``,
    ``lang="fr"``). Also a ``ValueError``, so code that catches that keeps working."""
