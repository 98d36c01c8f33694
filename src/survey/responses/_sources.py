"""Reading a response file into a raw table: CSV (encoding and delimiter sniffed), XLSX, SPSS.

Nothing here interprets answers (that is :mod:`survey.responses.convert`); this module finds the
header row, makes column names unique and parses the cells, choosing parser types that keep
identifiers' leading zeros and read coded items fast. The file is only ever opened for reading.
"""
from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._names import spss_name
from ..instrument import Instrument
from ._match import Matcher, col_item, detect_source
from ._problems import Problems
from .convert import BLANKS, ID_NAME, ID_RE

DELIMITERS = (",", ";", "\t", "|")
_HEAD_BYTES = 1 << 16  # enough of the file to sniff encoding, delimiter and header


@dataclass
class Raw:
    frame: pd.DataFrame       # columns as in the file (duplicates made unique), values str or numbers
    header: list[str]         # the header cells as written
    header_row: int           # spreadsheet row of the header (1 = first line)
    source: str
    sav_labels: dict = field(default_factory=dict)   # column -> {code: value label} of a .sav file
    sheet: str | None = None                         # the worksheet read (workbooks only)
    sheets: list[str] = field(default_factory=list)  # every worksheet of the workbook
    # a column's cells as written, one per data row of the file (CSV only: a parser may round numbers)
    as_written: Callable[[str], pd.Series] | None = None


def load(path: Path, inst: Instrument, matcher: Matcher, opts: dict[str, Any], problems: Problems) -> Raw:
    """The raw table of ``path``, whatever its format, with the detected (or forced) source."""
    if not path.exists():
        problems.fatal("file not found", "check the path (relative paths start at the current folder)")
    if path.is_dir():
        problems.fatal("is a folder", "give a CSV, XLSX or SAV file")
    if path.stat().st_size == 0:
        problems.fatal("the file is empty (0 bytes)", "export the responses again")
    suffix = path.suffix.lower()
    source = opts.get("source", "auto")
    if suffix == ".sav" or source == "spss":
        raw = read_sav(path, inst, problems)
    elif suffix in (".xlsx", ".xlsm"):
        raw = read_xlsx(path, matcher, opts, problems)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        raw = read_csv(path, inst, matcher, opts, problems)
    elif suffix == ".xls":
        problems.fatal("old Excel .xls format", "save it as .xlsx (Excel Workbook) or CSV UTF-8")
    else:
        problems.fatal(f"unsupported file type {suffix!r}", "use .csv, .xlsx or .sav")
    raw.source = detect_source(raw.header, suffix) if source == "auto" else source
    return raw


# CSV ---------------------------------------------------------------------------------------------
def sniff(text: str) -> str:
    """Delimiter: the candidate that splits the most of the first lines into the same number of
    fields (a title line above the header does not decide it), counted outside quotes."""
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n")[:20] if ln.strip()]
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        counts = [re.sub(r'"[^"]*"', "", ln).count(d) for ln in lines]
        nonzero = [c for c in counts if c > 0]
        if not nonzero:
            continue
        mode = max(set(nonzero), key=nonzero.count)
        score = (nonzero.count(mode), mode)
        if score > best_score:
            best, best_score = d, score
    return best


def _encoding_of(head: bytes, encoding: str | None) -> str:
    if encoding:
        return encoding
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        return "utf-16"  # Excel "Unicode Text" exports
    # UTF-16 without a BOM (some database and SPSS exports): ASCII text then has a zero byte in
    # every other position, the odd ones for little-endian, the even ones for big-endian
    pairs = len(head) // 2
    if pairs >= 2:
        even, odd = head[0: 2 * pairs: 2].count(0), head[1: 2 * pairs: 2].count(0)
        if odd >= 0.3 * pairs and even <= 0.02 * pairs:
            return "utf-16-le"
        if even >= 0.3 * pairs and odd <= 0.02 * pairs:
            return "utf-16-be"
    return "utf-8-sig"  # also reads plain UTF-8; drops a BOM (LimeSurvey, Excel "CSV UTF-8")


def _bad_utf8(path: Path, problems: Problems) -> None:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return
    except UnicodeDecodeError as e:
        start = e.start
    line = data.count(b"\n", 0, start) + 1
    snippet = data[max(0, start - 10): start + 10].decode("latin-1").replace("\n", " ")
    problems.fatal(f"not UTF-8 text (line {line}, byte {start}: ...{snippet}...); it looks like "
                   "Latin-1/Windows-1252", "save the file as 'CSV UTF-8' in Excel, or read it with "
                   "encoding='cp1252' (survey validate-data --encoding cp1252)", row=line)


def _decode_head(path: Path, encoding: str | None, problems: Problems) -> tuple[str, str]:
    """The encoding and the decoded first chunk of a text file."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    enc = _encoding_of(head, encoding)
    if b"\x00" in head and not enc.startswith("utf-16"):
        problems.fatal("binary data, not a text (CSV) file", "export the responses as CSV or XLSX")
    if enc.startswith("utf-16") and len(head) < _HEAD_BYTES and len(head) % 2:
        problems.fatal(f"UTF-16 text with an odd number of bytes ({len(head)}): the file is cut off or "
                       "damaged", "export the responses again")
    try:
        # a full chunk may end inside a multi-byte character: only then are decoding errors ignored
        text = head.decode(enc, errors="strict" if len(head) < _HEAD_BYTES else "ignore")
    except UnicodeDecodeError:
        _bad_utf8(path, problems)
        raise AssertionError("unreachable") from None  # _bad_utf8 always raises
    except LookupError:
        problems.fatal(f"unknown encoding {enc!r}", "use e.g. 'utf-8', 'cp1252' or 'latin-1'")
    text = text.lstrip("\ufeff")
    if not text.strip():
        problems.fatal("the file is empty (no header, no rows)", "export the responses again")
    return enc, text


def _first_records(text: str, sep: str, problems: Problems) -> list[list[str]]:
    """The first 15 records (the chunk may end mid-record); newline="" lets csv see bare \\r."""
    records: list[list[str]] = []
    try:
        for rec in csv.reader(io.StringIO(text, newline=""), delimiter=sep):
            records.append(rec)
            if len(records) == 15:
                break
    except csv.Error as err:
        problems.fatal(f"the first lines cannot be parsed as CSV ({err})",
                       "check the quoting and the line ends, or save the file again from a spreadsheet program")
    return records


def _check_delimiter(header_cells: list[str], sep: str, matcher: Matcher, columns: dict | None,
                     header_row: int, problems: Problems) -> None:
    """A header that is one cell holding another delimiter was split with the wrong one."""
    if len(header_cells) != 1 or _header_score(header_cells, matcher, columns):
        return
    others = [d for d in DELIMITERS if d != sep and d in header_cells[0]]
    if others:
        problems.fatal(f"the header is a single column ({header_cells[0][:60]!r}) although it contains "
                       f"{others[0]!r}: the delimiter is wrong",
                       f"let the delimiter be detected (drop sep=) or pass sep={others[0]!r}", row=header_row)


@dataclass(frozen=True)
class _CsvTypes:
    """What the CSV parser is told per column."""

    text: dict[str, str]             # columns kept as text (identifiers, codes with leading zeros)
    na_values: dict[str, list[str]] | list[str]  # what counts as blank, per column or for all


def _csv_types(path: Path, names: list[str], skip: int, sep: str, enc: str, inst: Instrument, matcher: Matcher,
               columns: dict | None) -> _CsvTypes:
    # Item columns with numeric answers get no type: the C parser infers numbers (float64 when some
    # cells are blank), which is its fastest path and needs no second parse when a cell holds a
    # typo; the conversion then checks the codes. Text and select_multiple items stay text, and so
    # do metadata columns that hold identifiers or codes whose leading zeros matter (NIP), judged
    # by name and by a sample of rows.
    item_of = {n: col_item(n, matcher, columns) for n in names}
    item_cols = {n for n, i in item_of.items() if i is not None
                 and inst.item(i).type in ("select_one", "integer", "decimal")}
    text_cols = {n for n in names if n not in item_cols and (item_of[n] is not None or ID_NAME.search(n))}
    words = [b for b in BLANKS if b]
    try:
        sample = pd.read_csv(path, sep=sep, encoding=enc, header=None, names=names, skiprows=skip,
                             nrows=2000, dtype=str, keep_default_na=False, engine="c")
        # a plain loop over the sample's strings stops at the first identifier and skips pandas'
        # string machinery, which cost more than the matching on a small file
        text_cols |= {n for n in names if n not in item_cols and any(map(ID_RE.match, sample[n].to_numpy()))}
        # one pass over the sample's cells as a set test, not one pandas call per column
        # (the sample is one block of text: to_numpy() hands it over without copying)
        pos = [k for k, n in enumerate(names) if n in item_cols]
        block = sample.to_numpy()[:, pos] if pos else np.empty((0, 0), dtype=object)
        word_blanks = not set(words).isdisjoint(block.ravel())
    except Exception:  # the full read reports what is wrong with the file
        text_cols |= {n for n in names if n not in item_cols}
        word_blanks = True
    # A per-column na_values costs pandas a set-up per column (most of the time on a 10,000-column
    # file), so one list serves every column unless item columns of the sample write blanks as
    # words ("NA", "null"). Such a word further down makes its column text, whose conversion
    # treats it as blank: slower, never wrong.
    na_values: dict[str, list[str]] | list[str] = \
        {n: (BLANKS if n in item_cols else [""]) for n in names} if word_blanks else [""]
    return _CsvTypes({n: "str" for n in text_cols}, na_values)


def _parse_csv(path: Path, enc: str, sep: str, names: list[str], skip: int, types: _CsvTypes,
               problems: Problems) -> pd.DataFrame:
    # skip_blank_lines=False: a blank line stays a row, so every row keeps its number in the file;
    # empty rows are then dropped and counted by the reader (a note, not a silent gap)
    kw = dict(sep=sep, encoding=enc, header=None, names=names, skiprows=skip, keep_default_na=False,
              na_values=types.na_values, engine="c", on_bad_lines="error", skip_blank_lines=False,
              # index_col=False: a row with one field too many is an error, not a silent shift of
              # every value one column to the right (pandas' guess of an index column)
              index_col=False)
    try:
        with warnings.catch_warnings():
            # a mixed-type warning means text in a numeric item: the conversion reports it row by row
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            # with index_col=False pandas drops the fields of a too-long row and only warns
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(path, dtype=types.text, **kw)
    except UnicodeDecodeError:
        _bad_utf8(path, problems)
        raise
    except pd.errors.EmptyDataError:
        problems.fatal("no data rows below the header", "export the responses again, with answers")
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as err:
        m = re.search(r"EOF inside string starting at row (\d+)", str(err))
        if m:
            _cut_in_quotes(path, enc, sep, int(m.group(1)) + 1, names, problems)
        _ragged_rows(path, enc, sep, len(names), skip - 1, problems, err)
        raise


def column_as_written(path: Path, enc: str, sep: str, names: list[str], skip: int, name: str) -> pd.Series:
    """One column's cells exactly as written (error path only: it parses the file again)."""
    return pd.read_csv(path, sep=sep, encoding=enc, header=None, names=names, skiprows=skip, usecols=[name],
                       dtype=str, keep_default_na=False, na_filter=False, engine="c", skip_blank_lines=False,
                       index_col=False)[name]


def _cut_in_quotes(path: Path, enc: str, sep: str, row: int, names: list[str], problems: Problems) -> None:
    """A quoted field opened and never closed: the file ends inside it (cut off while copying or
    downloading), so the last row would lose its end silently."""
    with path.open("r", encoding=enc, newline="") as fh:
        lines = fh.read().splitlines(keepends=True)
    rest = "".join(lines[row - 1:]) if row - 1 < len(lines) else ""
    rec = next(csv.reader(io.StringIO(rest, newline=""), delimiter=sep), [])
    col = names[len(rec) - 1] if 0 < len(rec) <= len(names) else None
    problems.fatal(f"the file ends inside a quoted field that starts on row {row}: a quote (\") is opened "
                   "and never closed, so the file was cut off or the quote is stray",
                   "download or export the file again; if it is whole, close or remove the stray quote",
                   column=col, value=(rec[-1][:60] if rec else None), row=row)


def _check_last_row(path: Path, enc: str, sep: str, n_fields: int, last_row: int, problems: Problems) -> None:
    """The parser pads a short last line with blanks: a file cut off between fields would pass."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 4 * _HEAD_BYTES))
        tail = fh.read()
    text = tail.decode(enc, errors="ignore")
    lines = [ln for ln in text.splitlines() if ln.strip(" \t" + sep)]
    if not lines or lines[-1].count('"') % 2:
        return  # the last line ends a multi-line quoted field: its fields are not all on this line
    rec = next(csv.reader([lines[-1]], delimiter=sep), [])
    if 0 < len(rec) < n_fields:
        problems.add(last_row, None, sep.join(rec)[-60:],
                     f"the last row has {len(rec)} of the header's {n_fields} fields: the file looks cut off",
                     "download or export the file again (if the row is whole, add the missing separators)")


def read_csv(path: Path, inst: Instrument, matcher: Matcher, opts: dict[str, Any], problems: Problems) -> Raw:
    enc, text = _decode_head(path, opts.get("encoding"), problems)
    sep = opts.get("sep") or sniff(text)
    first = _first_records(text, sep, problems)
    columns = opts.get("columns")
    k = find_header(first, matcher, columns, opts.get("header_row"), problems)
    header_cells = first[k] if k < len(first) else []
    _check_delimiter(header_cells, sep, matcher, columns, k + 1, problems)
    names = unique_header(header_cells, problems, k + 1)
    types = _csv_types(path, names, k + 1, sep, enc, inst, matcher, columns)
    frame = _parse_csv(path, enc, sep, names, k + 1, types, problems)
    if len(frame) and not enc.startswith("utf-16"):
        tail = frame.iloc[-50:].notna().any(axis=1).to_numpy()
        last = len(frame) - 50 + int(np.flatnonzero(tail)[-1]) if tail.any() and len(frame) >= 50 else \
            (int(np.flatnonzero(tail)[-1]) if tail.any() else 0)
        _check_last_row(path, enc, sep, len(names), k + 2 + last, problems)
    return Raw(frame, header_cells, k + 1, "plain", as_written=partial(column_as_written, path, enc, sep, names, k + 1))


def _ragged_rows(path: Path, enc: str, sep: str, n_fields: int, k: int, problems: Problems,
                 err: Exception) -> None:
    """List every row whose number of fields differs from the header's (error path only)."""
    n_bad = 0
    try:
        with path.open("r", encoding=enc, newline="") as fh:
            reader = csv.reader(fh, delimiter=sep)
            for rownum, rec in enumerate(reader, start=1):
                if rownum <= k + 1 or not rec:
                    continue
                if len(rec) != n_fields:
                    n_bad += 1
                    if n_bad <= 50:
                        problems.add(rownum, None, sep.join(rec)[:80],
                                     f"{len(rec)} fields where the header has {n_fields}",
                                     f"quote text that contains {sep!r}, or check the delimiter")
    except (csv.Error, UnicodeDecodeError) as e:
        problems.fatal(f"cannot be parsed as a table ({e})", "check the delimiter and the quoting")
    if n_bad > 50:
        problems.add(None, None, None, f"{n_bad - 50} more row(s) with a wrong number of fields",
                     f"quote text that contains {sep!r}, or check the delimiter")
    if n_bad == 0:
        problems.fatal(f"cannot be parsed as a table ({str(err).strip()[:200]})",
                       "check the delimiter and the quoting, or save it again from a spreadsheet program")
    problems.raise_if_any()


# Header ------------------------------------------------------------------------------------------
def _header_score(cells: list, matcher: Matcher, columns: dict[str, str] | None) -> int:
    return sum(1 for c in cells if c is not None and str(c).strip()
               and (matcher.item_of(str(c)) or (columns and str(c).strip() in columns)))


def find_header(rows: list[list], matcher: Matcher, columns: dict | None, header_row: int | None,
                problems: Problems) -> int:
    """0-based index of the header row; report title rows above it."""
    if header_row is not None:
        if header_row < 1 or header_row > max(len(rows), 1):
            problems.fatal(f"header_row={header_row} is outside the file ({len(rows)} rows read)",
                           "give the spreadsheet row number of the row with the column names")
        return header_row - 1
    scores = [_header_score(r, matcher, columns) for r in rows[:15]]
    if not scores or scores[0] > 0 or max(scores) == 0:
        return 0
    k = int(np.argmax(scores))
    first = next((str(c) for c in rows[0] if c not in (None, "")), "")
    problems.add(k + 1, None, first[:80],
                 f"the column names are on row {k + 1}; the {k} row(s) above are titles or notes",
                 f"delete rows 1-{k} in the spreadsheet, or pass header_row={k + 1} "
                 f"(survey validate-data --header-row {k + 1})")
    return k


def unique_header(header: list, problems: Problems, row: int) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for k, h in enumerate(header):
        h = "" if h is None else str(h).strip()
        if not h:
            h = f"Unnamed: {k}"
        if h in seen:
            problems.add(row, h, h, f"column name appears twice (columns {seen[h] + 1} and {k + 1})",
                         "rename or delete one of the two columns")
            h = f"{h}.{k}"
        else:
            seen[h] = k
        out.append(h)
    return out


# XLSX and SAV ------------------------------------------------------------------------------------
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_MAX_LISTED = 50  # cells listed one by one before a summary line


@dataclass
class _SheetScan:
    """What the cell values alone do not show: formulas whose result was never saved (openpyxl
    reads them as empty) and merged ranges (only the first cell holds the value)."""

    names: list[str]
    formulas: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column, formula)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row1, col1, row2, col2)


def _cell_ref(ref: str) -> tuple[int, int]:
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    letters, row = coordinate_from_string(ref)
    return row, column_index_from_string(letters)


def _scan_sheet(path: Path, sheet: str | int | None) -> _SheetScan:
    """Read the sheet's XML once, as a stream: the names of all sheets, formulas without a cached
    value and merged ranges. Both are rare, so the XML is first searched for their tags as bytes."""
    import zipfile
    from xml.etree import ElementTree as ET

    from openpyxl.utils.cell import range_boundaries

    with zipfile.ZipFile(path) as zf:
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        sheets = [(sh.get("name", ""), targets.get(sh.get(f"{_NS_REL}id"), ""))
                  for sh in book.iter(f"{_NS_MAIN}sheet")]
        scan = _SheetScan([n for n, _ in sheets])
        pick = sheets[sheet] if isinstance(sheet, int) and 0 <= sheet < len(sheets) else \
            next((x for x in sheets if x[0] == sheet), None) if sheet is not None else (sheets[0] if sheets else None)
        if pick is None or not pick[1]:
            return scan
        target = pick[1].lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        if part not in zf.namelist():
            return scan
        with zf.open(part) as fh:
            found, prev = False, b""
            while chunk := fh.read(1 << 20):
                if b"<f" in prev + chunk or b"<mergeCell " in prev + chunk or b":f>" in prev + chunk:
                    found = True
                    break
                prev = chunk[-16:]
        if not found:
            return scan
        with zf.open(part) as fh:
            for _, el in ET.iterparse(fh, events=("end",)):
                tag = el.tag.rsplit("}", 1)[-1]
                if tag == "c":
                    f = el.find(f"{_NS_MAIN}f")
                    v = el.find(f"{_NS_MAIN}v")
                    # no <v>, or an empty one on a number cell (openpyxl writes <v/>); an empty
                    # <v> on a text cell (t="str") is a formula whose result is "" and is fine
                    unsaved = v is None or (not (v.text or "").strip() and el.get("t", "n") not in ("str", "s"))
                    if f is not None and unsaved and el.get("r"):
                        r, c = _cell_ref(el.get("r"))
                        scan.formulas.append((r, c, f.text or ""))
                    el.clear()
                elif tag == "mergeCell" and el.get("ref"):
                    c1, r1, c2, r2 = range_boundaries(el.get("ref"))
                    scan.merged.append((r1, c1, r2, c2))
                elif tag == "row":
                    el.clear()
    return scan


def _report_scan(scan: _SheetScan, sheet: str, header_row: int, names: list[str], problems: Problems) -> None:
    """Formulas without a saved result and merged cells at or below the header are problems."""
    from openpyxl.utils import get_column_letter

    def col_name(c: int) -> str | None:
        return names[c - 1] if 0 < c <= len(names) else None

    formulas = [x for x in scan.formulas if x[0] >= header_row]
    for k, (r, c, f) in enumerate(formulas):
        if k == _MAX_LISTED:
            problems.add(None, None, None, f"{len(formulas) - k} more formula cell(s) of sheet {sheet!r} without a "
                         "saved result", "open the workbook in Excel or LibreOffice and save it again")
            break
        problems.add(r, col_name(c), f"={f}"[:80],
                     f"sheet {sheet!r}, cell {get_column_letter(c)}{r}: a formula whose result was never saved "
                     "(the file was written by a program that does not calculate), so it would read as empty",
                     "open the workbook in Excel or LibreOffice and save it again (that stores the results), "
                     "or replace the formulas by their values (Paste Special > Values)")
    merged = [x for x in scan.merged if x[2] >= header_row]
    for k, (r1, c1, r2, c2) in enumerate(merged):
        if k == _MAX_LISTED:
            problems.add(None, None, None, f"{len(merged) - k} more merged range(s) in sheet {sheet!r}",
                         "unmerge the cells and fill the value into each cell")
            break
        ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
        problems.add(max(r1, header_row), col_name(c1), ref,
                     f"sheet {sheet!r}, cells {ref} are merged: only {get_column_letter(c1)}{r1} holds the value, "
                     "the other cells would read as empty",
                     "unmerge the cells (Home > Merge & Center) and fill the value into each cell")


def _open_workbook(path: Path, sheet: str | int | None, names: list[str], problems: Problems) -> pd.DataFrame:
    if sheet is not None and not (isinstance(sheet, int) and 0 <= sheet < len(names)) and sheet not in names:
        problems.fatal(f"no sheet {sheet!r} in the workbook (sheets: {', '.join(map(repr, names))})",
                       "give the sheet name as shown in Excel (sheet='...'; survey validate-data --sheet NAME)",
                       value=sheet)
    try:
        return pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, header=None, dtype=object,
                             keep_default_na=False, na_filter=False, engine="openpyxl")
    except ValueError as err:
        problems.fatal(f"cannot be read as XLSX ({err})", "open it in a spreadsheet program and save it again")
    except Exception as err:  # zip/XML errors of a damaged or mislabelled workbook come in many types
        problems.fatal(f"cannot be read as XLSX ({type(err).__name__}: {str(err)[:120]})",
                       "open it in a spreadsheet program and save it again as .xlsx")


def read_xlsx(path: Path, matcher: Matcher, opts: dict[str, Any], problems: Problems) -> Raw:
    sheet = opts.get("sheet")
    try:
        scan = _scan_sheet(path, sheet)
    except Exception as err:  # not a zip, or a zip without a workbook: say so before openpyxl does
        problems.fatal(f"cannot be read as XLSX ({type(err).__name__}: {str(err)[:120]})",
                       "open it in a spreadsheet program and save it again as .xlsx")
    book = _open_workbook(path, sheet, scan.names, problems)
    shown = scan.names[sheet] if isinstance(sheet, int) and 0 <= sheet < len(scan.names) else \
        (sheet if sheet is not None else (scan.names[0] if scan.names else "1"))
    rows = book.head(15).values.tolist()
    if book.shape[0] == 0 or book.shape[1] == 0:
        others = [n for n in scan.names if n != shown]
        problems.fatal(f"sheet {shown!r} is empty (no header, no rows)" +
                       (f"; the workbook also has {', '.join(map(repr, others))}" if others else ""),
                       "choose the sheet with the responses (sheet='...'; survey validate-data --sheet NAME)"
                       if others else "export the responses again")
    k = find_header(rows, matcher, opts.get("columns"), opts.get("header_row"), problems)
    header = ["" if v is None else str(v) for v in book.iloc[k].tolist()]
    names = unique_header(header, problems, k + 1)
    _report_scan(scan, shown, k + 1, names, problems)
    frame = book.iloc[k + 1:].reset_index(drop=True)
    frame.columns = names
    # drop trailing empty columns (formatting that reaches further than the data)
    keep = [c for c, h in zip(names, header) if h.strip() or frame[c].astype(str).str.strip().ne("").any()]
    frame = frame[keep]
    # and trailing empty rows (formatted but never filled); empty rows inside are dropped by the
    # reader, which counts them and keeps every other row's number
    filled = np.flatnonzero(frame.astype(str).apply(lambda c: c.str.strip().ne("")).any(axis=1).to_numpy())
    frame = frame.iloc[: (filled[-1] + 1) if len(filled) else 0]
    return Raw(frame, [h for h, n in zip(header, names) if n in keep], k + 1, "plain", sheet=shown,
               sheets=scan.names)


def sheet_headers(path: Path, matcher: Matcher, columns: dict | None) -> dict[str, int]:
    """Per sheet of a workbook: how many of its first 15 rows' cells name an item (best row)."""
    import openpyxl

    out: dict[str, int] = {}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(max_row=15, values_only=True)]
            out[ws.title] = max((_header_score(r, matcher, columns) for r in rows), default=0)
    finally:
        wb.close()
    return out


def read_sav(path: Path, inst: Instrument, problems: Problems) -> Raw:
    import pyreadstat  # ReadStat: the reference open reader of SPSS files

    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True, apply_value_formats=False)
    except Exception as err:  # ReadStat raises its own error types for damaged files
        problems.fatal(f"cannot be read as an SPSS .sav file ({type(err).__name__}: {str(err)[:120]})",
                       "save it again from SPSS/PSPP, or export CSV")
    labels = dict(meta.column_names_to_labels or {})
    vlabels = dict(meta.variable_value_labels or {})
    # write_sav renames columns SPSS refuses and keeps the original name as variable label: undo it
    rename = {c: labels[c] for c in frame.columns
              if c not in inst.item_map and labels.get(c) and labels[c] != c and spss_name(labels[c], set()) == c}
    frame = frame.rename(columns=rename)
    original = {v: k for k, v in rename.items()}
    for c in frame.columns:
        vl = vlabels.get(original.get(c, c))
        if c not in inst.item_map and vl and {float(k) for k in vl} == {0.0, 1.0} and \
                {str(v).lower() for v in vl.values()} == {"false", "true"}:
            frame[c] = frame[c].map({0.0: "false", 1.0: "true"})  # write_sav's booleans
    # value labels by column as read, so the reader can check that they mean what the scale means
    sav_labels = {c: vlabels[original.get(c, c)] for c in frame.columns if vlabels.get(original.get(c, c))}
    return Raw(frame, list(frame.columns), 1, "spss", sav_labels=sav_labels)
