"""The shape every analysis result shares.

Analysis functions return a frozen dataclass derived from :class:`Result`, its name ending in
``Result``. The contract:

``to_dict()``      JSON-ready data for ``results.json`` (NaN becomes ``None``; fitted model objects,
                   fields named ``_...`` or declared ``repr=False``, stay out)
``to_frame()``     the main table as a DataFrame (the field named by the class's ``main`` attribute;
                   a one-row frame of the numbers when the result has no table)
``warnings``       a tuple of plain sentences, empty when nothing needs saying; never a string
``_repr_html_()``  a readable view in a notebook, every text escaped

A field name means one thing everywhere: ``pvalue`` is a p-value, ``confidence`` a confidence level,
``n_boot`` a number of resamples, ``boot`` the array of bootstrap draws.
"""
from __future__ import annotations

import dataclasses
import html
import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd


def to_jsonable(value: Any) -> Any:
    """Convert numbers, pandas and numpy objects to plain JSON types (NaN becomes None)."""
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, pd.DataFrame):
        frame = value.reset_index() if not isinstance(value.index, pd.RangeIndex) else value
        return [to_jsonable(r) for r in frame.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _scalar_row(result: "Result") -> pd.DataFrame:
    row = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)
           if _public(f) and f.name != "warnings"
           and isinstance(getattr(result, f.name), (int, float, str, bool, np.integer, np.floating, type(None)))}
    return pd.DataFrame([row])


def _public(f: dataclasses.Field) -> bool:
    return f.repr and not f.name.startswith("_")


@dataclasses.dataclass(frozen=True)
class Result:
    """Base class of analysis results (frozen dataclasses).

    Subclasses set ``main`` to the name of their main table field.
    """

    main: ClassVar[str | None] = None
    warnings: tuple[str, ...] = dataclasses.field(default=(), kw_only=True)

    def __post_init__(self) -> None:
        # A single sentence passed as `warnings` would otherwise iterate letter by letter.
        if isinstance(self.warnings, str):
            object.__setattr__(self, "warnings", (self.warnings,) if self.warnings else ())
        elif not isinstance(self.warnings, tuple):
            object.__setattr__(self, "warnings", tuple(self.warnings))

    def to_frame(self) -> pd.DataFrame:
        """The main table (a copy), or one row of the result's numbers when it has none.

        A Series of named statistics becomes a one-row frame, its names as columns.
        """
        if self.main is None:
            return _scalar_row(self)
        table = getattr(self, self.main)
        if isinstance(table, pd.Series):
            return table.to_frame().T.reset_index(drop=True)  # named statistics: one row
        return table.copy()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if not _public(f) or f.name == "warnings":
                continue  # fitted model objects and other internals stay out of JSON
            out[f.name] = to_jsonable(getattr(self, f.name))
        out["warnings"] = list(self.warnings)
        return out

    def _repr_html_(self) -> str:
        parts = [f"<h4>{html.escape(type(self).__name__)}</h4>"]
        scalars = []
        for f in dataclasses.fields(self):
            if not _public(f) or f.name == "warnings":
                continue
            v = getattr(self, f.name)
            if isinstance(v, pd.DataFrame):
                parts.append(f"<p><b>{html.escape(f.name)}</b></p>" + v.to_html(float_format=lambda x: f"{x:.3f}", escape=True))
            elif isinstance(v, pd.Series):
                parts.append(f"<p><b>{html.escape(f.name)}</b></p>" + v.to_frame().to_html(float_format=lambda x: f"{x:.3f}", escape=True))
            elif isinstance(v, (np.ndarray, list, tuple, dict)):
                continue  # draws and nested structures: in to_dict(), not worth a screen
            else:
                scalars.append((f.name, v))
        if scalars:
            rows = "".join(
                f"<tr><th>{html.escape(k)}</th><td>{html.escape(f'{v:.4g}' if isinstance(v, float) else str(v))}</td></tr>"
                for k, v in scalars)
            parts.insert(1, f"<table>{rows}</table>")
        if self.warnings:
            parts.append("<ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings) + "</ul>")
        return "\n".join(parts)
