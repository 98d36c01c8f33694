"""Argument and column checks shared by every analysis module.

One place for the rules, so that a bad option gives the same kind of error (``ParameterError``) and
the same wording everywhere, and bad data a ``DataError`` that names the columns it looked for and
the ones it found.

The vocabulary the analysis functions share (see ARCHITECTURE.md):

``confidence``  confidence level of intervals, 0.95 by default
``n_boot``      number of bootstrap resamples
``seed``        seed of the random stream; :data:`DEFAULT_SEED` when not given
``by``          grouping column(s): one result per group
``cluster``     cluster column for cluster-robust inference or cluster resampling
``weights``     observation weights (a column name), never anything else
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pandas as pd

from .errors import DataError, ParameterError

LANGS: tuple[str, ...] = ("id", "en")
"""Report languages: Bahasa Indonesia and English."""

DEFAULT_SEED = 20171
"""The one default seed of every function that draws random numbers, so that a report re-run
with its defaults gives the same numbers. Pass ``seed=None`` for fresh entropy."""

T = TypeVar("T")


def check_lang(lang: str) -> str:
    """``lang`` when it is a report language, else a ``ParameterError`` listing the choices.

    >>> check_lang("id")
    'id'
    """
    if lang not in LANGS:
        raise ParameterError(f"lang={lang!r} is not a report language; use one of {', '.join(LANGS)}")
    return lang


def check_choice(name: str, value: T, choices: Iterable[T]) -> T:
    """``value`` when it is one of ``choices``, else a ``ParameterError`` that lists them.

    >>> check_choice("estimator", "ML", ["ML", "MLR"])
    'ML'
    """
    choices = list(choices)
    if value not in choices:
        raise ParameterError(f"{name}={value!r} is not allowed; use one of {', '.join(map(repr, choices))}")
    return value


def check_confidence(confidence: float) -> float:
    """A confidence level strictly between 0 and 1 (0.95, not 95).

    >>> check_confidence(0.9)
    0.9
    """
    try:
        ok = 0.0 < float(confidence) < 1.0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        hint = " (give 0.95, not 95)" if isinstance(confidence, (int, float)) and 1 < confidence < 100 else ""
        raise ParameterError(f"confidence={confidence!r} must lie strictly between 0 and 1{hint}")
    return float(confidence)


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """An integer at least ``minimum`` (bools refused: ``n_boot=True`` is a slip)."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (hasattr(value, "__index__")):
        raise ParameterError(f"{name}={value!r} must be a whole number >= {minimum}")
    value = int(value)
    if value < minimum:
        raise ParameterError(f"{name}={value} must be >= {minimum}")
    return value


def as_list(columns: str | Sequence[str] | None) -> list[str]:
    """One column name or several as a list (``None`` gives ``[]``)."""
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    return list(columns)


def require_columns(data: pd.DataFrame, columns: str | Sequence[str] | None, where: str) -> None:
    """A ``DataError`` naming every missing column and the columns the data has.

    ``where`` names the function or argument that needs them (``"did(unit=...)"``).
    """
    import pandas as pd  # here, not at the top: the `survey` command's quick paths need no pandas

    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{where}: data must be a pandas DataFrame, not {type(data).__name__}")
    missing = [c for c in as_list(columns) if c not in data.columns]
    if missing:
        have = ", ".join(map(str, list(data.columns)[:30])) + (" ..." if data.shape[1] > 30 else "")
        raise DataError(f"{where}: no column {', '.join(map(repr, missing))} in the data "
                        f"(columns: {have}); check the spelling or rename the column")


def renamed(func: str, old: str, old_value: Any, new: str, new_value: Any, default: Any) -> Any:
    """Honour an argument's old name for one release, with a ``DeprecationWarning``.

    Functions keep the old keyword with a ``None`` default and call this first::

        confidence = renamed("alpha", "level", level, "confidence", confidence, 0.95)

    Giving both names with different values is a ``ParameterError``.
    """
    if old_value is None:
        return new_value
    warnings.warn(f"{func}(): argument '{old}' is renamed '{new}'; '{old}' will be removed in the next release",
                  DeprecationWarning, stacklevel=3)
    if new_value is not None and new_value != default and new_value != old_value:
        raise ParameterError(f"{func}(): give '{new}' only (the old name '{old}' was given too, with another value)")
    return old_value


def renamed_attribute(module: str, name: str, renamed_names: Mapping[str, Any]) -> Any:
    """The module-level ``__getattr__`` of a package whose public names were renamed.

    A package keeps ``_RENAMED = {"Alpha": AlphaResult}`` and defines
    ``def __getattr__(name): return renamed_attribute(__name__, name, _RENAMED)``: the old name
    keeps working for one release, with a ``DeprecationWarning`` that names the new one.
    """
    if name in renamed_names:
        new = renamed_names[name]
        warnings.warn(f"{module}.{name} is renamed {getattr(new, '__name__', new)}; the old name will be removed "
                      "in the next release", DeprecationWarning, stacklevel=3)
        return new
    raise AttributeError(f"module {module!r} has no attribute {name!r}")
