"""Kirkpatrick level 1 and 3 summaries of a training program: construct means and agreement.

Imported directly (``from survey.impact.training import construct_summary``), not re-exported by
:mod:`survey.impact`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from ..results import Result

__all__ = ["ConstructSummaryResult", "construct_summary"]


@dataclass(frozen=True)
class ConstructSummaryResult(Result):
    """Mean, SD and share agreeing per construct score (see :func:`construct_summary`)."""

    main: ClassVar[str] = "table"

    table: pd.DataFrame
    agree_from: float


def construct_summary(data: pd.DataFrame, constructs: Sequence[str], agree_from: float = 4.0,
                      by: str | None = None, min_cell: int = 1) -> ConstructSummaryResult:
    """Per construct score column: ``n`` (answered), ``mean``, ``sd`` (n - 1) and ``share_agree``,
    the share of answered scores at or above ``agree_from`` (4 = "agree" on a 1-5 scale).

    With ``by`` (e.g. ``"session_id"``) one row per group and construct; groups with fewer than
    ``min_cell`` rows are left out. Missing scores are left out of every figure of their construct.

    Examples
    --------
    >>> d = pd.DataFrame({"relevance": [4.0, 5.0, 3.0, None], "applicability": [2.0, 4.5, 4.0, 5.0]})
    >>> r = construct_summary(d, ["relevance", "applicability"])
    >>> r.table.round(3)
                   n   mean     sd  share_agree
    construct
    relevance      3  4.000  1.000        0.667
    applicability  4  3.875  1.315        0.750
    """
    missing = [c for c in constructs if c not in data.columns]
    if missing:
        raise DataError(f"construct_summary: no score column(s) {', '.join(missing)}; score the data first (survey.score)")
    if by is not None and by not in data.columns:
        raise DataError(f"construct_summary: no column {by!r} to group by")
    if int(min_cell) < 1:
        raise ParameterError(f"min_cell={min_cell}: use a positive number of respondents")

    def one(frame: pd.DataFrame) -> pd.DataFrame:
        rows = {}
        for c in constructs:
            s = pd.to_numeric(frame[c], errors="coerce").astype(float).dropna()
            rows[c] = {"n": int(len(s)), "mean": float(s.mean()) if len(s) else np.nan,
                       "sd": float(s.std(ddof=1)) if len(s) > 1 else np.nan,
                       "share_agree": float((s >= agree_from).mean()) if len(s) else np.nan}
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "construct"
        return out

    if by is None:
        table = one(data)
    else:
        parts = {g: one(f) for g, f in data.groupby(by, sort=True) if len(f) >= min_cell}
        table = pd.concat(parts, names=[by]) if parts else pd.DataFrame(columns=["n", "mean", "sd", "share_agree"])
    return ConstructSummaryResult(table=table, agree_from=float(agree_from))
