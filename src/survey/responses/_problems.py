"""The problem collector: every problem of a response file, gathered before one error is raised.

A user fixing a file wants the whole list at once, not one problem per run, so the reader adds
problems here and raises a single :class:`~survey.errors.DataError` whose ``report`` is a table
with one row per problem.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn

import pandas as pd

from ..errors import DataError

REPORT_COLUMNS = ["file", "row", "column", "value", "problem", "fix"]
"""Columns of a problem report: where (file, spreadsheet row, column), what was found, what is
wrong and how to fix it."""

MAX_SHOWN = 20  # lines of the error message; the report holds all of them
MAX_PER_COLUMN = 200  # beyond this a column's problems are summarised in one line


@dataclass
class Problems:
    """Collects every problem of a file before raising once."""

    file: str
    rows: list[dict] = field(default_factory=list)
    # spreadsheet row of each data row when rows were skipped (empty rows); None: consecutive
    row_numbers: Any = None
    # things the user should know that are not problems (e.g. empty rows skipped)
    notes: list[str] = field(default_factory=list)

    def row(self, idx: int, first_row: int) -> int:
        """The spreadsheet row of data row ``idx`` (0-based position in the frame)."""
        if self.row_numbers is not None:
            return int(self.row_numbers[int(idx)])
        return int(idx) + first_row

    def add(self, row: int | None, column: str | None, value: Any, problem: str, fix: str) -> None:
        self.rows.append(dict(file=self.file, row=row, column=column,
                              value=None if value is None else str(value), problem=problem, fix=fix))

    def add_rows(self, rows_idx: Iterable[int], values: Iterable[Any], column: str, problem: str, fix: str,
                 first_row: int) -> None:
        """Many rows of one column: list up to MAX_PER_COLUMN, then one summary line."""
        rows_idx = list(rows_idx)
        for k, (idx, v) in enumerate(zip(rows_idx, values)):
            if k == MAX_PER_COLUMN:
                self.add(None, column, None, f"{len(rows_idx) - k} more row(s) with the same problem", fix)
                break
            self.add(self.row(idx, first_row), column, v, problem, fix)

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.rows, columns=REPORT_COLUMNS)
        out.attrs["notes"] = list(self.notes)
        return out

    def message(self) -> str:
        lines = [self._line(r) for r in self.rows[:MAX_SHOWN]]
        more = len(self.rows) - MAX_SHOWN
        if more > 0:
            lines.append(f"... and {more} more (see DataError.report)")
        return f"{self.file}: {len(self.rows)} problem(s) found\n" + "\n".join(lines)

    def _line(self, r: dict) -> str:
        if r["row"] is not None:
            return (f"{self.file}: row {r['row']}, column {r['column']!r}, value {r['value']!r}: "
                    f"{r['problem']}; {r['fix']}")
        if r["column"] is not None:
            return f"{self.file}: column {r['column']!r}: {r['problem']}; {r['fix']}"
        return f"{self.file}: {r['problem']}; {r['fix']}"

    def raise_if_any(self) -> None:
        if self.rows:
            raise DataError(self.message(), report=self.frame())

    def fatal(self, problem: str, fix: str, column: str | None = None, value: Any = None,
              row: int | None = None) -> NoReturn:
        """A problem after which nothing else can be checked: raise now, with everything so far."""
        self.add(row, column, value, problem, fix)
        if len(self.rows) == 1:
            raise DataError(f"{self.file}: {problem}; {fix}", report=self.frame())
        raise DataError(self.message(), report=self.frame())
