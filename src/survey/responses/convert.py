"""From cells as read to typed columns: codes and labels to nullable integers, missing codes to NA.

Coded items (``select_one``) become ``Int64``: a cell matches by its code or by the label text of
an option in any language (Google Forms and KoboToolbox "labels" exports write the words); the
scale's missing codes (e.g. 9 "Tidak menjawab") and blank cells become ``<NA>``; anything else is a
problem with its row. Numbers become ``Int64``/``Float64``, multiple choices a string of sorted
codes (``"1 3"``), text stays text. Metadata columns get their natural NumPy type.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..instrument import Instrument, Item
from ._match import norm
from ._problems import Problems

BLANKS = ["", "NA", "N/A", "NaN", "nan", "n/a", "na", "#N/A", "null", "NULL", "None"]
"""Cell texts that mean "no answer" in an item column."""

ID_RE = re.compile(r"^0\d|^\d{12,}$")
ID_NAME = re.compile(r"(^|_)(id|nip|nik|uuid|key|kode|code|hp|phone|telepon|telp)($|_)|_id$|^id_", re.IGNORECASE)
EXCEL_DATE_TEXT = re.compile(
    r"^(\d{1,2}[-/ ](jan|feb|mar|apr|may|mei|jun|jul|aug|agu|agt|sep|oct|okt|nov|dec|des)[a-z]*([-/ ]\d{2,4})?"
    r"|(jan|feb|mar|apr|may|mei|jun|jul|aug|agu|agt|sep|oct|okt|nov|dec|des)[a-z]*[-/ ]\d{1,4}"
    r"|\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?|\d{1,2}/\d{1,2}/\d{2,4})$", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d+$")


def convert_item(it: Item, s: pd.Series, inst: Instrument, option_map: dict[str, int] | None,
                 recode: dict | None, problems: Problems, first_row: int, column_label: str,
                 as_written: Callable[[], pd.Series] | None = None) -> Any:
    """One item column as its typed array; problems are added with their spreadsheet rows.

    ``as_written`` gives the column's cells as written in the file, when the parser read numbers
    and the file can be read again: a problem then shows a long number with all its digits.
    """
    if it.type == "select_one":
        return _convert_coded(it, s, inst, option_map or {}, recode, problems, first_row, column_label, as_written)
    if it.type in ("integer", "decimal"):
        return _convert_number(it, s, problems, first_row, column_label)
    if it.type == "select_multiple":
        return _convert_multiple(it, s, inst, option_map or {}, problems, first_row, column_label)
    return _convert_text(it, s, problems, first_row, column_label)


def as_text(s: pd.Series) -> pd.Series:
    """A column as stripped strings ("" for empty); numbers that are whole print without ``.0``;
    Excel dates as ISO text."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        f = s.astype("float64")
        out = f.map(lambda v: "" if np.isnan(v) else (str(int(v)) if float(v).is_integer() else repr(float(v))))
        return out.astype(object)
    if s.dtype == object:
        return s.map(_cell_text)
    return s.astype("string").fillna("").str.strip().astype(object)


def _cell_text(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
        return v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
    return str(v).strip()


def _is_date_cell(v: Any) -> bool:
    return isinstance(v, (dt.date, dt.datetime, dt.time, pd.Timestamp))


def _int_array(arr: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    """Nullable Int64 straight from floats and a missing mask (no per-value work)."""
    values = np.where(mask, 0.0, arr).astype(np.int64)  # unmasked values are whole numbers already
    return pd.arrays.IntegerArray(values, mask.astype(bool))


def _allowed_text(sc) -> str:
    return f"allowed {sorted(sc.values)}" + (f", missing codes {sc.missing_values}" if sc.missing_values else "")


def _convert_coded(it: Item, s: pd.Series, inst: Instrument, option_map: dict[str, int], recode: dict | None,
                   problems: Problems, first_row: int, column_label: str,
                   as_written: Callable[[], pd.Series] | None = None) -> pd.arrays.IntegerArray:
    sc = inst.scales[it.scale]
    if not recode and s.dtype in (np.float64, np.int64):
        out = _coded_from_numbers(it, s, sc, problems, first_row, column_label, as_written)
        if out is not None:
            return out
    allowed = np.array(sorted(set(sc.values) | set(sc.missing_values)), dtype="float64")
    arr, text, bad_text, date_cells = _codes_as_floats(s, option_map, recode)
    finite = ~np.isnan(arr)
    not_int = finite & (arr != np.round(arr))
    in_scale = np.zeros(len(arr), dtype=bool)
    for v in allowed:  # a few comparisons beat np.isin's sort on a million rows
        in_scale |= arr == v
    out_range = finite & ~not_int & ~in_scale
    bad = bad_text | not_int | out_range | date_cells
    if bad.any():
        _report_bad_codes(it, sc, s, text, np.flatnonzero(bad), date_cells, problems, first_row, column_label)
    mask = bad | ~finite
    for v in sc.missing_values:
        mask |= arr == v
    return _int_array(arr, mask)


def _small_type(sc) -> type | None:
    """The smallest integer type holding every code of ``sc`` (None beyond 16 bits)."""
    codes = [*sc.values, *sc.missing_values]
    lo, hi = min(codes), max(codes)
    return np.int8 if -128 <= lo and hi <= 127 else np.int16 if -32768 <= lo and hi <= 32767 else None


def _one_of(x: np.ndarray, values: list[int]) -> np.ndarray:
    """Which cells of ``x`` hold one of ``values``: two comparisons when the values are consecutive."""
    vals = sorted(set(values))
    if len(vals) > 2 and vals == list(range(vals[0], vals[-1] + 1)):
        return (x >= vals[0]) & (x <= vals[-1])
    out = np.zeros(len(x), dtype=bool)
    for v in vals:
        out |= x == v
    return out


def _coded_from_numbers(it: Item, s: pd.Series, sc, problems: Problems, first_row: int, column_label: str,
                        as_written: Callable[[], pd.Series] | None) -> pd.arrays.IntegerArray | None:
    """The common case, a column the parser read as numbers: the codes are checked on a copy in
    the smallest integer type, where comparisons are cheap (a million-row file has tens of columns)."""
    small_type = _small_type(sc)
    if small_type is None:
        return None
    arr = s.to_numpy()
    with np.errstate(invalid="ignore"):
        # NaN, fractions and values beyond the small type become some small integer here;
        # comparing back with the original finds them (they are not equal to it)
        small = arr.astype(small_type)
    exact = small == arr
    answered = exact & _one_of(small, sc.values)
    known = answered | (exact & _one_of(small, sc.missing_values)) if sc.missing_values else answered
    blank = np.isnan(arr) if arr.dtype.kind == "f" else np.zeros(len(arr), dtype=bool)
    # known cells are never blank (NaN equals nothing), so counting them settles the usual case
    if np.count_nonzero(known) + np.count_nonzero(blank) < len(arr):
        idx = np.flatnonzero(~known & ~blank)
        _report_bad_codes(it, sc, s, None, idx, np.zeros(len(s), dtype=bool), problems, first_row, column_label,
                          shown=_numbers_as_written(s, idx, as_written))
    return pd.arrays.IntegerArray(np.multiply(small, answered, dtype=np.int64), ~answered)


def _numbers_as_written(s: pd.Series, idx: np.ndarray, as_written: Callable[[], pd.Series] | None) -> list[str]:
    """Cells of a numeric column as text. A float holds whole numbers exactly only up to 2**53: a
    larger one (an id typed into an answer) is shown with the digits of the file when it can be
    read again, not rounded."""
    if s.dtype.kind in "iu":
        return [str(v) for v in s.to_numpy()[idx]]
    shown = as_text(s.iloc[idx]).tolist()
    if as_written is None:
        return shown
    vals = s.to_numpy()[idx]
    lossy = np.flatnonzero(np.abs(vals) >= 2**53)
    if not len(lossy):
        return shown
    written = as_written()
    for k in lossy:
        cell = str(written.iloc[idx[k]]).strip()
        if re.fullmatch(r"[-+]?\d+", cell):
            shown[k] = str(int(cell))
    return shown


def _codes_as_floats(s: pd.Series, option_map: dict[str, int], recode: dict | None
                     ) -> tuple[np.ndarray, pd.Series | None, np.ndarray, np.ndarray]:
    """Codes as floats (NaN where blank or unreadable), the cells as text (None when the column was
    numeric), which cells are unreadable text, and which are Excel date cells."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype) and not recode:
        arr = s.to_numpy(dtype="float64", na_value=np.nan)
        return arr, None, np.zeros(len(s), dtype=bool), np.zeros(len(s), dtype=bool)
    text = as_text(s)
    date_cells = s.map(_is_date_cell).to_numpy(dtype=bool) if s.dtype == object else np.zeros(len(s), bool)
    blank = text.isin(BLANKS).to_numpy()
    if recode:
        text = text.map(lambda v: str(recode.get(v, v)))
    num = pd.to_numeric(text.where(~blank), errors="coerce")
    unresolved = num.isna().to_numpy() & ~blank
    if unresolved.any():  # label words (Google Forms, Kobo "labels" exports)
        by_label = text[unresolved].map(lambda v: option_map.get(norm(v)))
        num = num.copy()
        num[unresolved] = pd.to_numeric(by_label, errors="coerce").to_numpy()
    bad_text = num.isna().to_numpy() & ~blank
    return num.astype("float64").to_numpy(), text, bad_text, date_cells


def _report_bad_codes(it: Item, sc, s: pd.Series, text: pd.Series | None, idx: np.ndarray, date_cells: np.ndarray,
                      problems: Problems, first_row: int, column_label: str, shown: list[str] | None = None) -> None:
    """Codes outside the scale; those that look like dates get the Excel advice."""
    if shown is None:  # only the bad cells as text: a whole column costs one Python call per cell
        shown = text.iloc[idx].tolist() if text is not None else as_text(s.iloc[idx]).tolist()
    looks_date = np.array([date_cells[i] or bool(EXCEL_DATE_TEXT.match(str(v))) for i, v in zip(idx, shown)])
    if looks_date.any():
        problems.add_rows(idx[looks_date], [v for v, d in zip(shown, looks_date) if d], column_label,
                          f"Excel turned this answer into a date ({_allowed_text(sc)})",
                          "format the column as Text in Excel, type the code again and save as CSV UTF-8",
                          first_row)
    rest = ~looks_date
    if rest.any():
        problems.add_rows(idx[rest], [v for v, d in zip(shown, rest) if d], column_label,
                          f"not a code of scale {it.scale} ({_allowed_text(sc)}) nor one of its labels",
                          "correct the answer or leave the cell empty", first_row)


def _convert_number(it: Item, s: pd.Series, problems: Problems, first_row: int, column_label: str) -> Any:
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        arr = s.to_numpy(dtype="float64", na_value=np.nan)
        blank = np.isnan(arr)
        text = None
    else:
        text = as_text(s)
        blank = text.isin(BLANKS).to_numpy()
        cleaned = text.str.replace(",", ".", regex=False) if it.type == "decimal" else text
        arr = pd.to_numeric(cleaned.where(~blank), errors="coerce").astype("float64").to_numpy()
    bad = (np.isnan(arr) & ~blank)
    if it.type == "integer":
        # beyond 2**53 a double no longer holds every whole number: such a value is a typo or an id
        bad |= ~np.isnan(arr) & ((arr != np.round(arr)) | (np.abs(arr) >= 2**53))
    else:
        bad |= np.isinf(arr)
    if bad.any():
        idx = np.flatnonzero(bad)
        shown = text.iloc[idx].tolist() if text is not None else as_text(s.iloc[idx]).tolist()
        problems.add_rows(idx, shown, column_label,
                          "not a whole number" if it.type == "integer" else "not a number",
                          "write digits only (e.g. 42" + ("" if it.type == "integer" else " or 3.5")
                          + "), or leave the cell empty", first_row)
    arr = np.where(bad, np.nan, arr)
    if it.type == "integer":
        return _int_array(arr, np.isnan(arr))
    return pd.array(arr, dtype="Float64")


def _convert_multiple(it: Item, s: pd.Series, inst: Instrument, option_map: dict[str, int], problems: Problems,
                      first_row: int, column_label: str) -> Any:
    sc = inst.scales[it.scale]
    allowed = set(sc.values) | set(sc.missing_values)
    out: list[str | None] = []
    bad_idx, bad_val = [], []
    for k, v in enumerate(as_text(s).tolist()):
        if v in BLANKS:
            out.append(None)
            continue
        toks = v.split()
        if not all(t.lstrip("-").isdigit() for t in toks):  # label words joined by ", " or ";"
            codes = [option_map.get(norm(t)) for t in re.split(r"\s*[;,]\s*", v) if t]
        else:
            codes = [int(t) for t in toks]
        if any(c is None or c not in allowed for c in codes):
            bad_idx.append(k)
            bad_val.append(v)
            out.append(None)
        else:
            out.append(" ".join(str(c) for c in sorted(set(codes))))
    if bad_idx:
        problems.add_rows(bad_idx, bad_val, column_label,
                          f"not a list of codes of scale {it.scale} (allowed {sorted(allowed)})",
                          "write the chosen codes separated by spaces, e.g. '1 3'", first_row)
    return pd.array(out, dtype="string")


def _convert_text(it: Item, s: pd.Series, problems: Problems, first_row: int, column_label: str) -> Any:
    text = as_text(s)
    if it.identifier:
        _check_identifier(s, text, problems, first_row, column_label)
    return pd.array(text.where(~text.isin(BLANKS), None).tolist(), dtype="string")


def _check_identifier(s: pd.Series, text: pd.Series, problems: Problems, first_row: int, column_label: str) -> None:
    """Identifiers Excel turned into numbers have lost digits; the pseudonym would be of the wrong id."""
    sci = text.str.match(_SCIENTIFIC).to_numpy()
    if sci.any():
        idx = np.flatnonzero(sci)
        problems.add_rows(idx, text.iloc[idx].tolist(), column_label,
                          "Excel wrote this identifier as a number in scientific notation and lost digits",
                          "format the column as Text in Excel and paste the original numbers again", first_row)
    if s.dtype == object:
        # Excel keeps numbers as doubles (15-16 significant digits): an 18-digit NIP typed as a
        # number is already rounded, whether openpyxl hands it over as float or int
        num_cells = s.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                          and abs(v) >= 1e15).to_numpy(dtype=bool)
        if num_cells.any():
            idx = np.flatnonzero(num_cells)
            problems.add_rows(idx, text.iloc[idx].tolist(), column_label,
                              "Excel stored this long identifier as a number; digits beyond the 15th are lost",
                              "format the column as Text in Excel and paste the original numbers again", first_row)


def convert_meta(s: pd.Series) -> pd.Series:
    """Metadata: numbers get their natural type, true/false becomes boolean, the rest text.

    Numbers and booleans end as NumPy dtypes (int64 when whole and complete, else float64 with NaN;
    bool when complete) because statsmodels formulas (patsy) and scipy reject pandas' nullable
    dtypes: ``smf.ols("y ~ C(wave)", df)`` must work on what this returns. Item columns stay
    nullable ``Int64`` (answers as given, missing codes as NA).
    """
    if s.dtype == np.int64 and (not len(s) or max(-int(s.min()), int(s.max())) < 2**53):
        return s.to_numpy()  # the parser's whole numbers, no blanks: what the conversion below would give
    out = _convert_meta_nullable(s)
    if isinstance(out.dtype, (pd.Int64Dtype, pd.Float64Dtype)):
        if not out.isna().any() and isinstance(out.dtype, pd.Int64Dtype):
            return out.astype("int64")
        return out.astype("float64")
    if isinstance(out.dtype, pd.BooleanDtype) and not out.isna().any():
        return out.astype(bool)
    return out


def _convert_meta_nullable(s: pd.Series) -> Any:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    if pd.api.types.is_numeric_dtype(s.dtype):  # typed by the CSV parser already
        f = s.astype("float64").to_numpy()
        finite = f[~np.isnan(f)]
        whole = bool(np.all(finite == np.round(finite))) and (finite.size == 0 or np.abs(finite).max() < 2**53)
        return pd.array(f, dtype="Int64" if whole else "Float64")
    if isinstance(s.dtype, pd.StringDtype):  # CSV text, kept as read ("" is NA already)
        text = s.astype("string")
    else:  # XLSX / SAV cells: numbers, dates and text mixed
        text = as_text(s)
        text = text.where(text != "", None).astype("string")
    sample = text.head(5000).dropna().head(2000)
    if len(sample) == 0:
        sample = text.dropna().head(2000)
    if len(sample) == 0:  # no cell present
        return text
    # the first cells settle most text columns (names, codes) before the whole sample is parsed
    if (pd.to_numeric(sample.head(20), errors="coerce").notna().all()
            and pd.to_numeric(sample, errors="coerce").notna().all() and not looks_like_id(text.dropna())):
        num = pd.to_numeric(text, errors="coerce")
        if num.notna().sum() == text.notna().sum():
            whole = (num.dropna() == num.dropna().round()).all()
            return pd.array(num.round() if whole else num, dtype="Int64" if whole else "Float64")
    if sample.str.lower().isin(["true", "false"]).all():
        low = text.str.lower()
        if low.dropna().isin(["true", "false"]).all():
            return low.map({"true": True, "false": False}).astype("boolean")
    return text


def looks_like_id(s: pd.Series) -> bool:
    """Leading zeros or long digit strings (NIP, NIK, phone numbers) must stay text."""
    return bool(s.dropna().astype(str).str.match(ID_RE).any())
