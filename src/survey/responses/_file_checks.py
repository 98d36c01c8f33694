"""Checks of a whole file beyond single answers: duplicated submissions and respondent ids,
dates Excel mangled, and columns that look like items of another instrument version."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..instrument import Instrument
from ._match import KOBO_META, LIME_META, ODK_META
from ._problems import MAX_PER_COLUMN, Problems
from .convert import as_text

SUBMISSION_IDS = ("_uuid", "meta-instanceID", "instanceID", "meta/instanceID", "KEY")
RESPONDENT_IDS = ("respondent_id", "id_responden", "response_id", "ResponseId", "_id", "id")
DATE_NAME = re.compile(r"(date|time|tanggal|waktu|^start$|^end$|^today$|_submission_time|datestamp|timestamp)",
                       re.IGNORECASE)


def check_dates(name: str, s: pd.Series, problems: Problems, first_row: int) -> None:
    """Dates Excel mangled: serial numbers (45356.4) and day/month swapped within one column."""
    text = as_text(s)
    serial = text.str.match(r"^[34]\d{4}(\.\d+)?$").to_numpy()
    if serial.any():
        idx = np.flatnonzero(serial)
        problems.add_rows(idx, text.iloc[idx].tolist(), name,
                          "a date stored as an Excel serial number",
                          "format the column as a date (yyyy-mm-dd hh:mm) in Excel before saving", first_row)
    m = text.str.extract(r"^(\d{1,2})/(\d{1,2})/\d{2,4}")
    if not m[0].notna().any():
        return
    a = pd.to_numeric(m[0], errors="coerce")
    b = pd.to_numeric(m[1], errors="coerce")
    if (a > 12).any() and (b > 12).any():
        first_dm = int(np.flatnonzero((a > 12).to_numpy())[0])
        first_md = int(np.flatnonzero((b > 12).to_numpy())[0])
        problems.add(problems.row(first_md, first_row), name, text.iloc[first_md],
                     f"dates are day/month in some rows (e.g. row {problems.row(first_dm, first_row)}: "
                     f"{text.iloc[first_dm]}) and month/day in others: Excel re-read some of them",
                     "export again from the collection tool and open it with Data > From Text, "
                     "column type Text")


def check_ids(df: pd.DataFrame, problems: Problems, first_row: int, id_column: str | None) -> None:
    """Submissions exported twice and respondent ids used twice."""
    for col in SUBMISSION_IDS:
        if col in df.columns:
            _dups(df[col], col, problems, first_row, "the same submission appears twice (duplicate {col})",
                  "keep one of the two rows: the export contains this submission twice")
    cands = [id_column] if id_column else [c for c in RESPONDENT_IDS if c in df.columns][:1]
    for col in cands:
        if col not in df.columns:
            problems.add(None, col, None, "the respondent id column is not in the file",
                         f"check id_column= (columns: {', '.join(map(str, df.columns[:10]))} ...)")
            continue
        if col in SUBMISSION_IDS:
            continue
        _dups(df[col], col, problems, first_row, "respondent id used twice",
              "give each response its own id, or remove the duplicated response")


def _dups(s: pd.Series, col: str, problems: Problems, first_row: int, problem: str, fix: str) -> None:
    if _no_repeats(s):
        return
    text = s.fillna("") if isinstance(s.dtype, pd.StringDtype) else as_text(s)
    present = text.ne("")
    dup = text.duplicated(keep="first") & present
    if not dup.any():
        return
    first_pos: dict[str, int] = {}
    for k, v in zip(np.flatnonzero(present.to_numpy()), text[present].tolist()):
        first_pos.setdefault(v, k)
    idx = np.flatnonzero(dup.to_numpy())
    for n, k in enumerate(idx):
        if n == MAX_PER_COLUMN:
            problems.add(None, col, None, f"{len(idx) - n} more duplicated value(s)", fix)
            break
        v = text.iloc[k]
        problems.add(problems.row(k, first_row), col, v,
                     problem.format(col=col) + f" (first in row {problems.row(first_pos[v], first_row)})", fix)


def check_unknown_item_columns(unmapped: list[str], inst: Instrument, problems: Problems, header_row: int,
                               source: str) -> None:
    """Columns that look like items of this instrument but are not in it (wrong version?)."""
    prefixes = {re.match(r"^([A-Za-z]+)", n).group(1).upper() for n in inst.item_map if re.match(r"^[A-Za-z]+\d", n)}
    sections = set(inst.sections)
    meta = KOBO_META | ODK_META | LIME_META
    for col in unmapped:
        c = str(col).strip()
        if c in meta or c.startswith("_") or c.startswith("meta"):
            continue
        parent = re.split(r"[/\-]", c)
        if len(parent) >= 2 and parent[-2] in inst.item_map:
            continue  # Kobo's q/option columns of a select_multiple
        tail = parent[-1]
        m = re.match(r"^([A-Za-z]+)\d+$", tail)
        in_section = len(parent) >= 2 and parent[-2] in sections
        if (m and m.group(1).upper() in prefixes) or in_section:
            problems.add(header_row, c, c, f"looks like an item but instrument {inst.id!r} has no item {tail!r}",
                         "check that this is the right instrument (and version), or rename the column")
        elif source == "limesurvey" and re.match(r"^[A-Za-z]\w*\[\w+\]$", c):
            problems.add(header_row, c, c, "LimeSurvey question code that is not mapped to an item",
                         f"pass columns={{'{c}': '<item name>'}} (or ignore it if it is not an item)")


def _no_repeats(s: pd.Series) -> bool:
    """True when no present value repeats, settled without writing every cell as text (the usual
    case; sorted ids need one comparison pass). False means: look closer."""
    if isinstance(s.dtype, pd.StringDtype):
        values = s.to_numpy()  # the stored objects, NaN where blank: no copy
    elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        # distinct floats print as distinct texts (as_text), so distinct here is distinct there
        values = s.to_numpy(dtype="float64", na_value=np.nan)
    else:
        return False
    index = pd.Index(values, dtype=values.dtype)
    if index.is_monotonic_increasing and index.is_unique:  # sorted: only neighbours compared
        return True
    # repeats of blank cells (NaN, "") are not repeated ids
    repeated = values[index.duplicated()]
    blank = pd.isna(repeated)
    if values.dtype == object:
        blank |= repeated == ""
    return bool(blank.all())
