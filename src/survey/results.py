"""The shape every analysis result shares.

Analysis functions return a frozen dataclass derived from :class:`Result`. It holds DataFrames,
Series and numbers; ``to_dict()`` turns it into JSON-ready data for ``results.json`` and
``_repr_html_`` shows it readably in a notebook.
"""
from __future__ import annotations

import dataclasses
import html
import math
from typing import Any

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


@dataclasses.dataclass(frozen=True)
class Result:
    """Base class of analysis results (frozen dataclasses)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name.startswith("_") or not f.repr:
                continue  # fitted model objects and other internals stay out of JSON
            out[f.name] = to_jsonable(getattr(self, f.name))
        return out

    def _repr_html_(self) -> str:
        parts = [f"<h4>{html.escape(type(self).__name__)}</h4>"]
        scalars = []
        for f in dataclasses.fields(self):
            if f.name.startswith("_") or not f.repr:
                continue
            v = getattr(self, f.name)
            if isinstance(v, pd.DataFrame):
                parts.append(f"<p><b>{html.escape(f.name)}</b></p>" + v.to_html(float_format=lambda x: f"{x:.3f}", escape=True))
            elif isinstance(v, pd.Series):
                parts.append(f"<p><b>{html.escape(f.name)}</b></p>" + v.to_frame().to_html(float_format=lambda x: f"{x:.3f}", escape=True))
            else:
                scalars.append((f.name, v))
        if scalars:
            rows = "".join(
                f"<tr><th>{html.escape(k)}</th><td>{html.escape(f'{v:.4g}' if isinstance(v, float) else str(v))}</td></tr>"
                for k, v in scalars)
            parts.insert(1, f"<table>{rows}</table>")
        return "\n".join(parts)
