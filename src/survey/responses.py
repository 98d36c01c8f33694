"""Read response files into one validated, typed DataFrame; validate; flag data quality; score.

The frame has one row per response; item columns are nullable integers (``Int64``) for coded
items, missing codes become NA, values stay as answered (reverse coding happens only in
:func:`score` and, as keys, in the analyses, so nothing is ever reversed twice). Metadata columns
are kept. The input file is only ever opened for reading.

Sources (``source="auto"`` detects them from the header; pass one to force it):

==============  ===============================================================================
``plain``       CSV/XLSX with item names as column headers
``kobo``        KoboToolbox CSV (``;``, quoted) or XLSX, "XML values and headers": ``grp/q``,
                ``_uuid``, ``_submission_time``; select_multiple as ``"1 3"`` plus ``q/1`` columns
``odk``         ODK Central CSV: ``grp-q``, ``meta-instanceID``, ``SubmissionDate``, ``KEY``
``google``      Google Forms CSV: question text as header (either language), grids as
                ``Question [Row]``, answers as label words, ``Timestamp``/``Cap waktu``
``limesurvey``  LimeSurvey CSV: BOM, any delimiter, ``Q1[SQ001]`` codes mapped with ``columns=``
``spss``        SPSS ``.sav`` (value labels, user-missing codes), e.g. from :func:`survey.forms.write_sav`
==============  ===============================================================================

Whatever the source, a header matches an item by its name, a group path ending in the name
(``grp/q``, ``grp-q``), a ``[name]`` suffix, or the item's label text in any language; an answer
matches by its code or by its label text in any language (KoboToolbox "labels" exports, Google
Forms). ``columns={"Q1[SQ001]": "MOT1"}`` maps anything else, ``recode={"A1": 1}`` maps codes.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, SurveyError
from .instrument import Instrument, Item, load_instrument
from .results import Result

REPORT_COLUMNS = ["file", "row", "column", "value", "problem", "fix"]
SOURCES = ("auto", "plain", "kobo", "odk", "google", "limesurvey", "spss")
_MAX_SHOWN = 20
_MAX_PER_COLUMN = 200  # beyond this a column's problems are summarised in one line
_BLANKS = ["", "NA", "N/A", "NaN", "nan", "n/a", "na", "#N/A", "null", "NULL", "None"]

_KOBO_META = {"_uuid", "_submission_time", "_id", "_index", "_validation_status", "_submitted_by",
              "_status", "_notes", "_tags", "__version__", "_version_", "_parent_index"}
_ODK_META = {"meta-instanceID", "SubmissionDate", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
             "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion", "instanceID"}
_LIME_META = {"id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
              "refurl", "token", "interviewtime"}
_GOOGLE_META = {"timestamp", "cap waktu", "stempel waktu", "email address", "alamat email", "score", "skor"}
_SUBMISSION_IDS = ("_uuid", "meta-instanceID", "instanceID", "meta/instanceID", "KEY")
_EMAIL_COLUMNS = {"email address", "alamat email", "email", "e-mail", "alamat e-mail", "surel"}
_RESPONDENT_IDS = ("respondent_id", "id_responden", "response_id", "ResponseId", "_id", "id")
_DATE_NAME = re.compile(r"(date|time|tanggal|waktu|^start$|^end$|^today$|_submission_time|datestamp|timestamp)",
                        re.IGNORECASE)
_EXCEL_DATE_TEXT = re.compile(
    r"^(\d{1,2}[-/ ](jan|feb|mar|apr|may|mei|jun|jul|aug|agu|agt|sep|oct|okt|nov|dec|des)[a-z]*([-/ ]\d{2,4})?"
    r"|(jan|feb|mar|apr|may|mei|jun|jul|aug|agu|agt|sep|oct|okt|nov|dec|des)[a-z]*[-/ ]\d{1,4}"
    r"|\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?|\d{1,2}/\d{1,2}/\d{2,4})$", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d+$")


# ------------------------------------------------------------------------------------------------
# Problems
# ------------------------------------------------------------------------------------------------
@dataclass
class _Problems:
    """Collects every problem of a file before raising once."""

    file: str
    rows: list[dict] = field(default_factory=list)

    def add(self, row, column, value, problem, fix) -> None:
        self.rows.append(dict(file=self.file, row=row, column=column,
                              value=None if value is None else str(value), problem=problem, fix=fix))

    def add_rows(self, rows_idx, values, column, problem, fix, first_row: int) -> None:
        """Many rows of one column: list up to _MAX_PER_COLUMN, then one summary line."""
        rows_idx = list(rows_idx)
        for k, (idx, v) in enumerate(zip(rows_idx, values)):
            if k == _MAX_PER_COLUMN:
                self.add(None, column, None, f"{len(rows_idx) - k} more row(s) with the same problem", fix)
                break
            self.add(int(idx) + first_row, column, v, problem, fix)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=REPORT_COLUMNS)

    def message(self) -> str:
        lines = []
        for r in self.rows[:_MAX_SHOWN]:
            if r["row"] is not None:
                lines.append(f"{self.file}: row {r['row']}, column {r['column']!r}, value {r['value']!r}: "
                             f"{r['problem']}; {r['fix']}")
            elif r["column"] is not None:
                lines.append(f"{self.file}: column {r['column']!r}: {r['problem']}; {r['fix']}")
            else:
                lines.append(f"{self.file}: {r['problem']}; {r['fix']}")
        more = len(self.rows) - _MAX_SHOWN
        if more > 0:
            lines.append(f"... and {more} more (see DataError.report)")
        return f"{self.file}: {len(self.rows)} problem(s) found\n" + "\n".join(lines)

    def raise_if_any(self) -> None:
        if self.rows:
            raise DataError(self.message(), report=self.frame())

    def fatal(self, problem: str, fix: str, column=None, value=None, row=None) -> None:
        """A problem after which nothing else can be checked: raise now, with everything so far."""
        self.add(row, column, value, problem, fix)
        if len(self.rows) == 1:
            raise DataError(f"{self.file}: {problem}; {fix}", report=self.frame())
        raise DataError(self.message(), report=self.frame())


# ------------------------------------------------------------------------------------------------
# Matching headers and answers
# ------------------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    """Compare texts as a person would: Unicode-normalised, case-folded, spaces collapsed, no
    trailing required-marker ``*``."""
    t = unicodedata.normalize("NFKC", str(text)).casefold()
    t = re.sub(r"\s+", " ", t).strip()
    return re.sub(r"\s*\*$", "", t)


@dataclass
class _Matcher:
    inst: Instrument
    names: set[str]
    by_label: dict[str, str]

    @classmethod
    def of(cls, inst: Instrument) -> "_Matcher":
        by_label: dict[str, str] = {}
        ambiguous: set[str] = set()
        for it in inst.items:
            for text in it.label.values():
                k = _norm(text)
                if k in by_label and by_label[k] != it.name:
                    ambiguous.add(k)
                by_label[k] = it.name
        for k in ambiguous:  # two items with one text cannot be told apart by the text
            by_label.pop(k, None)
        return cls(inst, set(inst.item_map), by_label)

    def item_of(self, col: str) -> str | None:
        c = str(col).strip()
        if c in self.names:
            return c
        for sep in ("/", "-", "."):  # Kobo offers / or . as group separator; ODK Central uses -
            if sep in c:
                tail = c.rsplit(sep, 1)[-1]
                if tail in self.names:
                    return tail
        m = re.match(r"^(.*)\[([^\[\]]+)\]\s*$", c)
        if m:  # LimeSurvey Q[SQ] with SQ named as the item, or a Google Forms grid "Question [row]"
            inner = m.group(2).strip()
            if inner in self.names:
                return inner
            hit = self.by_label.get(_norm(inner))
            if hit:
                return hit
        return self.by_label.get(_norm(c))


def _option_maps(inst: Instrument) -> dict[str, dict[str, int]]:
    """Per scale: normalised label (every language) and code text -> code."""
    out = {}
    for sid, sc in inst.scales.items():
        m: dict[str, int] = {}
        for o in [*sc.options, *sc.missing]:
            for text in o.label.values():
                m.setdefault(_norm(text), o.value)
            m[str(o.value)] = o.value
        out[sid] = m
    return out


def detect_source(columns: list[str], suffix: str = ".csv") -> str:
    """Guess the tool that wrote a file from its header (see the module docstring)."""
    if suffix.lower() == ".sav":
        return "spss"
    cols = [str(c).strip() for c in columns]
    s = set(cols)
    if s & _KOBO_META:
        return "kobo"
    if s & _ODK_META or any(c.startswith("meta-") for c in cols):
        return "odk"
    if s & _LIME_META and ({"submitdate", "lastpage", "startlanguage"} & s):
        return "limesurvey"
    if cols and _norm(cols[0]) in _GOOGLE_META:
        return "google"
    if sum(bool(re.match(r"^[A-Za-z][\w]*\[[\w]+\]$", c)) for c in cols) >= 1:
        return "limesurvey"
    if any(" [" in c and c.endswith("]") for c in cols):
        return "google"
    if any("/" in c for c in cols):
        return "kobo"
    return "plain"


# ------------------------------------------------------------------------------------------------
# Reading files (text only; nothing is ever written)
# ------------------------------------------------------------------------------------------------
@dataclass
class _Raw:
    frame: pd.DataFrame       # columns as in the file (duplicates made unique), values str or numbers
    header: list[str]         # the header cells as written
    header_row: int           # spreadsheet row of the header (1 = first line)
    source: str
    sav_labels: dict = field(default_factory=dict)


def _sniff(text: str) -> str:
    """Delimiter: the candidate that splits the most of the first lines into the same number of
    fields (a title line above the header does not decide it), counted outside quotes."""
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n")[:20] if ln.strip()]
    best, best_score = ",", (0, 0)
    for d in (",", ";", "\t", "|"):
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
    return "utf-8-sig"  # also reads plain UTF-8; drops a BOM (LimeSurvey, Excel "CSV UTF-8")


def _bad_utf8(path: Path, problems: _Problems) -> None:
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


def _header_score(cells: list, matcher: _Matcher, columns: dict[str, str] | None) -> int:
    return sum(1 for c in cells if c is not None and str(c).strip()
               and (matcher.item_of(str(c)) or (columns and str(c).strip() in columns)))


def _find_header(rows: list[list], matcher: _Matcher, columns, header_row: int | None,
                 problems: _Problems) -> int:
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


def _unique_header(header: list[str], problems: _Problems, row: int) -> list[str]:
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


def _read_csv(path: Path, inst: Instrument, matcher: _Matcher, opts: dict, problems: _Problems) -> _Raw:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    enc = _encoding_of(head, opts.get("encoding"))
    if b"\x00" in head and not enc.startswith("utf-16"):
        problems.fatal("binary data, not a text (CSV) file", "export the responses as CSV or XLSX")
    try:
        text = head.decode(enc, errors="strict" if len(head) < (1 << 16) else "ignore")
    except UnicodeDecodeError:
        _bad_utf8(path, problems)
        raise AssertionError("unreachable")  # _bad_utf8 always raises
    except LookupError:
        problems.fatal(f"unknown encoding {enc!r}", "use e.g. 'utf-8', 'cp1252' or 'latin-1'")
    text = text.lstrip("\ufeff")
    if not text.strip():
        problems.fatal("the file is empty (no header, no rows)", "export the responses again")
    sep = opts.get("sep") or _sniff(text)
    try:
        # only the first lines (the chunk may end mid-record); newline="" lets csv see bare \r
        first_lines = []
        for rec in csv.reader(io.StringIO(text, newline=""), delimiter=sep):
            first_lines.append(rec)
            if len(first_lines) == 15:
                break
    except csv.Error as err:
        problems.fatal(f"the first lines cannot be parsed as CSV ({err})",
                       "check the quoting and the line ends, or save the file again from a spreadsheet program")
    columns = opts.get("columns")
    k = _find_header(first_lines, matcher, columns, opts.get("header_row"), problems)
    header_cells = first_lines[k] if k < len(first_lines) else []
    if len(header_cells) == 1 and not _header_score(header_cells, matcher, columns):
        others = [d for d in (",", ";", "\t", "|") if d != sep and d in header_cells[0]]
        if others:
            problems.fatal(f"the header is a single column ({header_cells[0][:60]!r}) although it contains "
                           f"{others[0]!r}: the delimiter is wrong",
                           f"let the delimiter be detected (drop sep=) or pass sep={others[0]!r}", row=k + 1)
    names = _unique_header(header_cells, problems, k + 1)
    # Item columns are parsed as numbers by the C parser (fast, compact); everything else stays text,
    # so NIP and codes with leading zeros keep every digit.
    item_cols = {n for n in names if (i := _col_item(n, matcher, columns)) is not None
                 and inst.item(i).type in ("select_one", "integer", "decimal")}
    # Metadata: let the parser type numbers (fast, compact) except columns that hold identifiers
    # or codes whose leading zeros matter, judged by name and by a sample of rows.
    text_cols = {n for n in names if n not in item_cols and
                 (_col_item(n, matcher, columns) is not None or _ID_NAME.search(n))}
    try:
        sample = pd.read_csv(path, sep=sep, encoding=enc, header=None, names=names, skiprows=k + 1,
                             nrows=2000, dtype=str, keep_default_na=False, engine="c")
        text_cols |= {n for n in names if n not in item_cols
                      and sample[n].astype(str).str.match(_ID_RE).any()}
    except Exception:  # the full read below reports what is wrong with the file
        text_cols |= {n for n in names if n not in item_cols}
    dtype = {n: "str" for n in text_cols}
    na_values = {n: (_BLANKS if n in item_cols else [""]) for n in names}
    # Fast path: coded and integer items straight into nullable integers (about 3x less memory and
    # time than floats, measured on 1,000,000 x 40). Any value that is not a whole number makes the
    # parser refuse; the file is then read again with inferred types and checked row by row.
    fast = {n: ("Float64" if inst.item(_col_item(n, matcher, columns)).type == "decimal" else "Int64")
            for n in item_cols}
    kw = dict(sep=sep, encoding=enc, header=None, names=names, skiprows=k + 1, keep_default_na=False,
              na_values=na_values, engine="c", on_bad_lines="error")
    try:
        with warnings.catch_warnings():
            # a mixed-type warning means text in a numeric item: the checks below report it row by row
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            try:
                frame = pd.read_csv(path, dtype={**dtype, **fast}, **kw)
            except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
                raise
            except (ValueError, TypeError, OverflowError):
                frame = pd.read_csv(path, dtype=dtype, **kw)
    except UnicodeDecodeError:
        _bad_utf8(path, problems)
        raise
    except pd.errors.EmptyDataError:
        problems.fatal("no data rows below the header", "export the responses again, with answers")
    except (pd.errors.ParserError, ValueError) as err:
        _ragged_rows(path, enc, sep, len(names), k, problems, err)
        raise
    return _Raw(frame, header_cells, k + 1, "plain")


def _ragged_rows(path: Path, enc: str, sep: str, n_fields: int, k: int, problems: _Problems, err) -> None:
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


def _col_item(name: str, matcher: _Matcher, columns: dict | None) -> str | None:
    if columns and name in columns:
        return columns[name]
    return matcher.item_of(name)


def _read_xlsx(path: Path, inst: Instrument, matcher: _Matcher, opts: dict, problems: _Problems) -> _Raw:
    sheet = opts.get("sheet")
    try:
        book = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, header=None, dtype=object,
                             keep_default_na=False, na_filter=False, engine="openpyxl")
    except ValueError as err:
        if "Worksheet" in str(err) or "sheet" in str(err).lower():
            problems.fatal(f"no sheet {sheet!r} in the workbook", "give the sheet name as shown in Excel",
                           value=sheet)
        problems.fatal(f"cannot be read as XLSX ({err})", "open it in a spreadsheet program and save it again")
    except Exception as err:  # zip/XML errors of a damaged or mislabelled workbook come in many types
        problems.fatal(f"cannot be read as XLSX ({type(err).__name__}: {str(err)[:120]})",
                       "open it in a spreadsheet program and save it again as .xlsx")
    rows = book.head(15).values.tolist()
    if book.shape[0] == 0 or book.shape[1] == 0:
        problems.fatal("the sheet is empty (no header, no rows)", "export the responses again")
    columns = opts.get("columns")
    k = _find_header(rows, matcher, columns, opts.get("header_row"), problems)
    header = ["" if v is None else str(v) for v in book.iloc[k].tolist()]
    names = _unique_header(header, problems, k + 1)
    frame = book.iloc[k + 1:].reset_index(drop=True)
    frame.columns = names
    # drop trailing empty columns (formatting that reaches further than the data)
    keep = [c for c, h in zip(names, header) if h.strip() or frame[c].astype(str).str.strip().ne("").any()]
    frame = frame[keep]
    # and trailing empty rows (formatted but never filled); rows inside keep their numbers
    filled = np.flatnonzero(frame.astype(str).apply(lambda c: c.str.strip().ne("")).any(axis=1).to_numpy())
    frame = frame.iloc[: (filled[-1] + 1) if len(filled) else 0]
    return _Raw(frame, [h for h, n in zip(header, names) if n in keep], k + 1, "plain")


def _read_sav(path: Path, inst: Instrument, problems: _Problems) -> _Raw:
    import pyreadstat  # ReadStat: the reference open reader of SPSS files

    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True, apply_value_formats=False)
    except Exception as err:  # ReadStat raises its own error types for damaged files
        problems.fatal(f"cannot be read as an SPSS .sav file ({type(err).__name__}: {str(err)[:120]})",
                       "save it again from SPSS/PSPP, or export CSV")
    labels = dict(meta.column_names_to_labels or {})
    vlabels = dict(meta.variable_value_labels or {})
    rename = {}
    from .forms import spss_name  # the renaming write_sav applies; undone here

    for c in frame.columns:
        lab = labels.get(c)
        if c not in inst.item_map and lab and lab != c and spss_name(lab, set()) == c:
            rename[c] = lab
    frame = frame.rename(columns=rename)
    for c in frame.columns:
        orig = next((k for k, v in rename.items() if v == c), c)
        vl = vlabels.get(orig)
        if c not in inst.item_map and vl and {float(k) for k in vl} == {0.0, 1.0} and \
                {str(v).lower() for v in vl.values()} == {"false", "true"}:
            frame[c] = frame[c].map({0.0: "false", 1.0: "true"})  # write_sav's booleans
    return _Raw(frame, list(frame.columns), 1, "spss")


def _load(path: Path, inst: Instrument, matcher: _Matcher, opts: dict, problems: _Problems) -> _Raw:
    if not path.exists():
        problems.fatal("file not found", "check the path (relative paths start at the current folder)")
    if path.is_dir():
        problems.fatal("is a folder", "give a CSV, XLSX or SAV file")
    if path.stat().st_size == 0:
        problems.fatal("the file is empty (0 bytes)", "export the responses again")
    suffix = path.suffix.lower()
    source = opts.get("source", "auto")
    if suffix == ".sav" or source == "spss":
        raw = _read_sav(path, inst, problems)
    elif suffix in (".xlsx", ".xlsm"):
        raw = _read_xlsx(path, inst, matcher, opts, problems)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        raw = _read_csv(path, inst, matcher, opts, problems)
    elif suffix == ".xls":
        problems.fatal("old Excel .xls format", "save it as .xlsx (Excel Workbook) or CSV UTF-8")
    else:
        problems.fatal(f"unsupported file type {suffix!r}", "use .csv, .xlsx or .sav")
    raw.source = detect_source(raw.header, suffix) if source == "auto" else source
    return raw


# ------------------------------------------------------------------------------------------------
# Converting and checking
# ------------------------------------------------------------------------------------------------
def _as_text(s: pd.Series) -> pd.Series:
    """A column as stripped strings ("" for empty); numbers that are whole print without ``.0``;
    Excel dates as ISO text."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        f = s.astype("float64")
        out = f.map(lambda v: "" if np.isnan(v) else (str(int(v)) if float(v).is_integer() else repr(float(v))))
        return out.astype(object)
    def conv(v):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
            return v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
        return str(v).strip()
    if s.dtype == object:
        return s.map(conv)
    return s.astype("string").fillna("").str.strip().astype(object)


def _is_date_cell(v) -> bool:
    import datetime as _dt

    return isinstance(v, (_dt.date, _dt.datetime, _dt.time, pd.Timestamp))


def _convert_coded(name: str, it: Item, s: pd.Series, inst: Instrument, option_map: dict, recode: dict | None,
                   problems: _Problems, first_row: int, column_label: str) -> pd.Series:
    sc = inst.scales[it.scale]
    allowed = np.array(sorted(set(sc.values) | set(sc.missing_values)), dtype="float64")
    if isinstance(s.dtype, pd.Int64Dtype) and not recode:
        # the parser's fast path: whole numbers already; check codes on the integers themselves
        values = s.to_numpy(dtype="int64", na_value=0)
        na = s.isna().to_numpy()
        in_scale = np.zeros(len(values), dtype=bool)
        for v in allowed:
            in_scale |= values == int(v)
        bad = ~na & ~in_scale
        if bad.any():
            idx = np.flatnonzero(bad)
            problems.add_rows(idx, [str(v) for v in values[idx]], column_label,
                              f"not a code of scale {it.scale} (allowed {sorted(sc.values)}"
                              + (f", missing codes {sc.missing_values}" if sc.missing_values else "")
                              + ") nor one of its labels", "correct the answer or leave the cell empty", first_row)
        mask = na | bad
        for v in sc.missing_values:
            mask |= values == v
        return pd.arrays.IntegerArray(values, mask)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype) and not recode:
        num = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        blank = np.isnan(num.to_numpy())
        bad_text = np.zeros(len(s), dtype=bool)
        date_cells = np.zeros(len(s), dtype=bool)
        text = None
    else:
        text = _as_text(s)
        date_cells = s.map(_is_date_cell).to_numpy(dtype=bool) if s.dtype == object else np.zeros(len(s), bool)
        blank = text.isin(_BLANKS).to_numpy()
        if recode:
            text = text.map(lambda v: str(recode.get(v, v)))
        num = pd.to_numeric(text.where(~blank), errors="coerce")
        unresolved = num.isna().to_numpy() & ~blank
        if unresolved.any():  # label words (Google Forms, Kobo "labels" exports)
            by_label = text[unresolved].map(lambda v: option_map.get(_norm(v)))
            num = num.copy()
            num[unresolved] = pd.to_numeric(by_label, errors="coerce").to_numpy()
        bad_text = num.isna().to_numpy() & ~blank
        num = num.astype("float64")
    arr = num.to_numpy()
    finite = ~np.isnan(arr)
    not_int = finite & (arr != np.round(arr))
    in_scale = np.zeros(len(arr), dtype=bool)
    for v in allowed:  # a few comparisons beat np.isin's sort on a million rows
        in_scale |= arr == v
    out_range = finite & ~not_int & ~in_scale
    bad = bad_text | not_int | out_range | date_cells
    if bad.any():
        idx = np.flatnonzero(bad)
        orig = text if text is not None else _as_text(s)
        shown = orig.iloc[idx].tolist()
        allowed_txt = (f"allowed {sorted(sc.values)}"
                       + (f", missing codes {sc.missing_values}" if sc.missing_values else ""))
        looks_date = np.array([date_cells[i] or bool(_EXCEL_DATE_TEXT.match(str(v))) for i, v in zip(idx, shown)])
        if looks_date.any():
            problems.add_rows(idx[looks_date], [v for v, d in zip(shown, looks_date) if d], column_label,
                              f"Excel turned this answer into a date ({allowed_txt})",
                              "format the column as Text in Excel, type the code again and save as CSV UTF-8",
                              first_row)
        rest = ~looks_date
        if rest.any():
            problems.add_rows(idx[rest], [v for v, d in zip(shown, rest) if d], column_label,
                              f"not a code of scale {it.scale} ({allowed_txt}) nor one of its labels",
                              "correct the answer or leave the cell empty", first_row)
    mask = bad | ~finite
    for v in sc.missing_values:
        mask |= arr == v
    return _int_array(arr, mask)


def _int_array(arr: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    """Nullable Int64 straight from floats and a missing mask (no per-value work)."""
    values = np.where(mask, 0.0, arr).astype(np.int64)  # unmasked values are whole numbers already
    return pd.arrays.IntegerArray(values, mask.astype(bool))


def _convert_number(it: Item, s: pd.Series, problems: _Problems, first_row: int, column_label: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        blank = num.isna().to_numpy()
        text = None
    else:
        text = _as_text(s)
        blank = text.isin(_BLANKS).to_numpy()
        cleaned = text.str.replace(",", ".", regex=False) if it.type == "decimal" else text
        num = pd.to_numeric(cleaned.where(~blank), errors="coerce").astype("float64")
    arr = num.to_numpy()
    bad = (np.isnan(arr) & ~blank)
    if it.type == "integer":
        # beyond 2**53 a double no longer holds every whole number: such a value is a typo or an id
        bad |= ~np.isnan(arr) & ((arr != np.round(arr)) | (np.abs(arr) >= 2**53))
    else:
        bad |= np.isinf(arr)
    if bad.any():
        idx = np.flatnonzero(bad)
        orig = text if text is not None else _as_text(s)
        problems.add_rows(idx, orig.iloc[idx].tolist(), column_label,
                          "not a whole number" if it.type == "integer" else "not a number",
                          "write digits only (e.g. 42" + ("" if it.type == "integer" else " or 3.5")
                          + "), or leave the cell empty", first_row)
    arr = np.where(bad, np.nan, arr)
    if it.type == "integer":
        return _int_array(arr, np.isnan(arr))
    return pd.array(arr, dtype="Float64")


def _convert_multiple(it: Item, s: pd.Series, inst: Instrument, option_map: dict, problems: _Problems,
                      first_row: int, column_label: str) -> pd.Series:
    sc = inst.scales[it.scale]
    allowed = set(sc.values) | set(sc.missing_values)
    text = _as_text(s)
    out = []
    bad_idx, bad_val = [], []
    for k, v in enumerate(text.tolist()):
        if v in _BLANKS:
            out.append(None)
            continue
        toks = v.split()
        if not all(t.lstrip("-").isdigit() for t in toks):  # label words joined by ", " or ";"
            toks = [t for t in re.split(r"\s*[;,]\s*", v) if t]
            codes = [option_map.get(_norm(t)) for t in toks]
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


def _convert_text(it: Item, s: pd.Series, problems: _Problems, first_row: int, column_label: str) -> pd.Series:
    text = _as_text(s)
    if it.identifier:
        sci = text.str.match(_SCIENTIFIC).to_numpy()
        if sci.any():
            idx = np.flatnonzero(sci)
            problems.add_rows(idx, text.iloc[idx].tolist(), column_label,
                              "Excel wrote this identifier as a number in scientific notation and lost digits",
                              "format the column as Text in Excel and paste the original numbers again",
                              first_row)
        if s.dtype == object:
            # Excel keeps numbers as doubles (15-16 significant digits): an 18-digit NIP typed as a
            # number is already rounded, whether openpyxl hands it over as float or int
            num_cells = s.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                              and abs(v) >= 1e15).to_numpy(dtype=bool)
            if num_cells.any():
                idx = np.flatnonzero(num_cells)
                problems.add_rows(idx, text.iloc[idx].tolist(), column_label,
                                  "Excel stored this long identifier as a number; digits beyond the 15th are lost",
                                  "format the column as Text in Excel and paste the original numbers again",
                                  first_row)
    return pd.array(text.where(~text.isin(_BLANKS), None).tolist(), dtype="string")


def _convert_meta(s: pd.Series) -> pd.Series:
    """Metadata: numbers get their natural type, true/false becomes boolean, the rest text.

    Numbers and booleans end as NumPy dtypes (int64 when whole and complete, else float64 with NaN;
    bool when complete) because statsmodels formulas (patsy) and scipy reject pandas' nullable
    dtypes: ``smf.ols("y ~ C(wave)", df)`` must work on what this returns. Item columns stay
    nullable ``Int64`` (answers as given, missing codes as NA).
    """
    out = _convert_meta_nullable(s)
    if isinstance(out.dtype, (pd.Int64Dtype, pd.Float64Dtype)):
        if not out.isna().any() and isinstance(out.dtype, pd.Int64Dtype):
            return out.astype("int64")
        return out.astype("float64")
    if isinstance(out.dtype, pd.BooleanDtype) and not out.isna().any():
        return out.astype(bool)
    return out


def _convert_meta_nullable(s: pd.Series) -> pd.Series:
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
        text = _as_text(s)
        text = text.where(text != "", None).astype("string")
    n_present = int(text.notna().sum())
    if n_present == 0:
        return text
    sample = text.head(5000).dropna().head(2000)
    if len(sample) == 0:
        sample = text.dropna().head(2000)
    if pd.to_numeric(sample, errors="coerce").notna().all():
        present = text.dropna()
        if not _looks_like_id(present):
            num = pd.to_numeric(text, errors="coerce")
            if num.notna().sum() == n_present:
                whole = (num.dropna() == num.dropna().round()).all()
                return pd.array(num.round() if whole else num, dtype="Int64" if whole else "Float64")
    if sample.str.lower().isin(["true", "false"]).all():
        low = text.str.lower()
        if low.dropna().isin(["true", "false"]).all():
            return low.map({"true": True, "false": False}).astype("boolean")
    return text


_ID_RE = re.compile(r"^0\d|^\d{12,}$")
_ID_NAME = re.compile(r"(^|_)(id|nip|nik|uuid|key|kode|code|hp|phone|telepon|telp)($|_)|_id$|^id_", re.IGNORECASE)
_PSEUDONYM_RE = r"P[0-9a-f]{16}"


def _looks_like_id(s: pd.Series) -> bool:
    """Leading zeros or long digit strings (NIP, NIK, phone numbers) must stay text."""
    return bool(s.dropna().astype(str).str.match(_ID_RE).any())


def _check_dates(name: str, s: pd.Series, problems: _Problems, first_row: int) -> None:
    """Dates Excel mangled: serial numbers (45356.4) and day/month swapped within one column."""
    text = _as_text(s)
    serial = text.str.match(r"^[34]\d{4}(\.\d+)?$").to_numpy()
    if serial.any():
        idx = np.flatnonzero(serial)
        problems.add_rows(idx, text.iloc[idx].tolist(), name,
                          "a date stored as an Excel serial number",
                          "format the column as a date (yyyy-mm-dd hh:mm) in Excel before saving", first_row)
    m = text.str.extract(r"^(\d{1,2})/(\d{1,2})/\d{2,4}")
    if m[0].notna().any():
        a = pd.to_numeric(m[0], errors="coerce")
        b = pd.to_numeric(m[1], errors="coerce")
        if (a > 12).any() and (b > 12).any():
            first_dm = int(np.flatnonzero((a > 12).to_numpy())[0])
            first_md = int(np.flatnonzero((b > 12).to_numpy())[0])
            problems.add(first_md + first_row, name, text.iloc[first_md],
                         f"dates are day/month in some rows (e.g. row {first_dm + first_row}: "
                         f"{text.iloc[first_dm]}) and month/day in others: Excel re-read some of them",
                         "export again from the collection tool and open it with Data > From Text, "
                         "column type Text")


def _check_ids(df: pd.DataFrame, problems: _Problems, first_row: int, id_column: str | None) -> None:
    for col in _SUBMISSION_IDS:
        if col in df.columns:
            _dups(df[col], col, problems, first_row, "the same submission appears twice (duplicate {col})",
                  "keep one of the two rows: the export contains this submission twice")
    cands = [id_column] if id_column else [c for c in _RESPONDENT_IDS if c in df.columns][:1]
    for col in cands:
        if col not in df.columns:
            problems.add(None, col, None, "the respondent id column is not in the file",
                         f"check id_column= (columns: {', '.join(map(str, df.columns[:10]))} ...)")
            continue
        if col in _SUBMISSION_IDS:
            continue
        _dups(df[col], col, problems, first_row, "respondent id used twice",
              "give each response its own id, or remove the duplicated response")


def _dups(s: pd.Series, col: str, problems: _Problems, first_row: int, problem: str, fix: str) -> None:
    text = s.fillna("") if isinstance(s.dtype, pd.StringDtype) else _as_text(s)
    present = text.ne("")
    dup = text.duplicated(keep="first") & present
    if not dup.any():
        return
    first_pos = {}
    for k, v in zip(np.flatnonzero(present.to_numpy()), text[present].tolist()):
        first_pos.setdefault(v, k)
    idx = np.flatnonzero(dup.to_numpy())
    for n, k in enumerate(idx):
        if n == _MAX_PER_COLUMN:
            problems.add(None, col, None, f"{len(idx) - n} more duplicated value(s)", fix)
            break
        v = text.iloc[k]
        problems.add(int(k) + first_row, col, v,
                     problem.format(col=col) + f" (first in row {first_pos[v] + first_row})", fix)


def _unknown_item_columns(unmapped: list[str], inst: Instrument, problems: _Problems, header_row: int,
                          source: str) -> None:
    """Columns that look like items of this instrument but are not in it (wrong version?)."""
    prefixes = {re.match(r"^([A-Za-z]+)", n).group(1).upper() for n in inst.item_map if re.match(r"^[A-Za-z]+\d", n)}
    sections = set(inst.sections)
    meta = _KOBO_META | _ODK_META | _LIME_META
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


@dataclass(frozen=True)
class _Opts:
    source: str = "auto"
    columns: dict | None = None
    recode: dict | None = None
    sheet: str | int | None = None
    header_row: int | None = None
    encoding: str | None = None
    sep: str | None = None
    id_column: str | None = None


def _read(path, instrument, opts: _Opts, problems: _Problems | None = None):
    inst = load_instrument(instrument)
    p = Path(path)
    problems = problems or _Problems(str(p))
    if opts.source not in SOURCES:
        problems.fatal(f"unknown source {opts.source!r}", f"use one of {', '.join(SOURCES)}")
    if opts.columns:
        unknown = sorted({v for v in opts.columns.values() if v not in inst.item_map})
        if unknown:
            problems.fatal(f"columns= maps to item(s) {', '.join(unknown)} that instrument {inst.id!r} does not have",
                           f"use item names such as {', '.join(list(inst.item_map)[:4])}")
    matcher = _Matcher.of(inst)
    raw = _load(p, inst, matcher, dataclasses.asdict(opts), problems)
    df = raw.frame
    first_row = raw.header_row + 1
    if df.shape[0] == 0:
        problems.fatal("no responses (the file has a header but no data rows)", "export the responses again")
    mapping = {c: _col_item(c, matcher, opts.columns) for c in df.columns}
    mapping = {c: n for c, n in mapping.items() if n is not None}
    by_item: dict[str, list[str]] = {}
    for c, n in mapping.items():
        by_item.setdefault(n, []).append(c)
    for n, cols in by_item.items():
        if len(cols) > 1:
            problems.add(raw.header_row, cols[1], cols[1],
                         f"columns {', '.join(map(repr, cols))} all map to item {n}",
                         "keep one column per item (delete or rename the others)")
            for c in cols[1:]:
                mapping.pop(c)
    if not mapping:
        hint = (" LimeSurvey codes such as Q1[SQ001] need columns={'Q1[SQ001]': 'MOT1', ...} "
                "(survey validate-data --map MAP.yaml)."
                if raw.source == "limesurvey" else "")
        problems.fatal(
            f"no column matches an item of instrument {inst.id!r} (expected e.g. "
            f"{', '.join(list(inst.item_map)[:5])})",
            "is this the right instrument or file? Column names must be item names, group paths, "
            "or the question texts." + hint)
    _unknown_item_columns([c for c in df.columns if c not in mapping], inst, problems, raw.header_row, raw.source)
    option_maps = _option_maps(inst)
    # duplicates are checked first (they need the metadata columns) but listed last
    id_problems = _Problems(problems.file)
    _check_ids(df, id_problems, first_row, opts.id_column)
    out: dict[str, object] = {}
    for c in list(df.columns):
        name = mapping.get(c)
        # pop: each converted column releases its raw array at once (peak memory on large files)
        s = df.pop(c)
        if name is None:
            if _DATE_NAME.search(str(c)):
                _check_dates(str(c), s, problems, first_row)
            out[str(c)] = s
            continue
        it = inst.item(name)
        label = name if c == name else f"{c} ({name})" if len(str(c)) <= 40 else name
        if it.type == "select_one":
            out[name] = _convert_coded(name, it, s, inst, option_maps[it.scale], opts.recode, problems, first_row, label)
        elif it.type in ("integer", "decimal"):
            out[name] = _convert_number(it, s, problems, first_row, label)
        elif it.type == "select_multiple":
            out[name] = _convert_multiple(it, s, inst, option_maps[it.scale], problems, first_row, label)
        else:
            out[name] = _convert_text(it, s, problems, first_row, label)
        del s
    problems.rows.extend(id_problems.rows)
    return inst, p, raw, out, mapping, problems


def _finish(inst, p, raw, out, mapping, *, keep_identifiers, identifiers, salt) -> pd.DataFrame:
    frame = {}
    for c, v in out.items():
        frame[c] = v if c in inst.item_map and c in mapping.values() else _convert_meta(v)
    df = pd.DataFrame(frame, copy=False)  # the arrays are ours already: no second copy of a large file
    # Google Forms "collect email addresses" puts the respondent's address in the file: a direct identifier
    auto = [c for c in df.columns if _norm(c) in _EMAIL_COLUMNS]
    ids = list(dict.fromkeys([*[n for n in inst.identifier_items if n in df.columns], *auto, *(identifiers or [])]))
    if ids and not keep_identifiers:
        from .privacy import get_salt, is_synthetic, pseudonymise

        missing = [c for c in ids if c not in df.columns]
        if missing:
            raise DataError(f"{p}: identifiers= names column(s) {', '.join(missing)} that are not in the file")
        # a file written from already pseudonymised data must not be hashed a second time
        todo = [c for c in ids if not df[c].dropna().astype(str).str.fullmatch(_PSEUDONYM_RE).all()]
        if todo:
            key = get_salt(salt, synthetic=is_synthetic(df))
            for c in todo:
                df[c] = pseudonymise(df[c], key)
    df.attrs["instrument"] = inst.id
    df.attrs["source_file"] = str(p)
    df.attrs["source"] = raw.source
    df.attrs["pseudonymised"] = [] if keep_identifiers else ids
    return df


def read_responses(path: str | Path, instrument: str | Path | Instrument, *, source: str = "auto",
                   columns: dict[str, str] | None = None, recode: dict[str, int] | None = None,
                   sheet: str | int | None = None, header_row: int | None = None, encoding: str | None = None,
                   sep: str | None = None, id_column: str | None = None, required_items: bool = False,
                   keep_identifiers: bool = False, identifiers: list[str] | None = None,
                   salt: str | None = None) -> pd.DataFrame:
    """Read a response file (CSV, XLSX or SAV from any source in the module docstring) and
    validate it against ``instrument``.

    Parameters: ``source`` forces the format (default detected); ``columns`` maps file columns to
    item names; ``recode`` maps answer codes (e.g. LimeSurvey ``{"A1": 1}``); ``sheet`` and
    ``header_row`` (spreadsheet row of the column names, 1 = first) for workbooks with title rows;
    ``encoding`` and ``sep`` when detection is wrong; ``id_column`` is the respondent id checked for
    duplicates (default the first of respondent_id, response_id, _id, id); ``required_items`` makes
    a missing item column a problem.

    Every problem (unknown codes, text in a numeric item, duplicated ids or submissions, mangled
    dates, title rows, wrong delimiter ...) is collected, then raised once as :class:`DataError`
    whose ``report`` has columns file, row, column, value, problem, fix. ``row`` is the spreadsheet
    row number (the header is row 1). Any other failure is also a DataError.

    Identifier items (``identifier: true``) and ``identifiers`` become salted pseudonyms unless
    ``keep_identifiers=True``; see :mod:`survey.privacy` for the salt (``salt=``, ``SURVEY_SALT``,
    ``SURVEY_SALT_FILE``; synthetic demo data need none).

    Missing data: blank cells, ``NA`` and the scale's ``missing`` codes become ``<NA>``.
    """
    opts = _Opts(source=source, columns=columns, recode=recode, sheet=sheet, header_row=header_row,
                 encoding=encoding, sep=sep, id_column=id_column)
    try:
        inst, p, raw, out, mapping, problems = _read(path, instrument, opts)
        if required_items:
            _missing_items(inst, mapping, problems)
        problems.raise_if_any()
        return _finish(inst, p, raw, out, mapping, keep_identifiers=keep_identifiers,
                       identifiers=identifiers, salt=salt)
    except SurveyError:
        raise
    except Exception as err:  # the promise: a user's file never produces anything but a DataError
        raise DataError(f"{path}: could not be read ({type(err).__name__}: {str(err)[:200]}); check that it is "
                        "a CSV, XLSX or SAV export of the responses (if it is, please report this as a bug)",
                        report=pd.DataFrame([dict(file=str(path), row=None, column=None, value=None,
                                                  problem=f"{type(err).__name__}: {str(err)[:200]}",
                                                  fix="check the file; report a bug if it looks fine")],
                                            columns=REPORT_COLUMNS)) from err


def _missing_items(inst: Instrument, mapping: dict, problems: _Problems) -> None:
    present = set(mapping.values())
    for it in inst.items:
        if it.name not in present:
            problems.add(None, it.name, None, "item column is missing from the file",
                         f"add a column named {it.name} (or its group path / question text)")


def validate_data(path: str | Path, instrument: str | Path | Instrument, *, required_items: bool = True,
                  **kwargs) -> pd.DataFrame:
    """Every problem of a response file as a DataFrame (file, row, column, value, problem, fix);
    empty when the file is clean. Takes the keyword arguments of :func:`read_responses`; missing
    item columns are problems here unless ``required_items=False``. Never raises for a bad file;
    raises :class:`~survey.errors.InstrumentError` for a bad instrument."""
    opts = _Opts(**{k: v for k, v in kwargs.items() if k in {f.name for f in dataclasses.fields(_Opts)}})
    extra = set(kwargs) - {f.name for f in dataclasses.fields(_Opts)} - {"keep_identifiers", "identifiers", "salt"}
    if extra:
        raise TypeError(f"validate_data() got unexpected keyword argument(s): {', '.join(sorted(extra))}")
    inst = load_instrument(instrument)
    problems = _Problems(str(path))
    try:
        inst, p, raw, out, mapping, problems = _read(path, inst, opts, problems)
        if required_items:
            _missing_items(inst, mapping, problems)
    except DataError as err:
        if err.report is not None and len(err.report):
            return err.report.reset_index(drop=True)
        return pd.DataFrame([dict(file=str(path), row=None, column=None, value=None, problem=str(err), fix="")],
                            columns=REPORT_COLUMNS)
    except SurveyError:
        raise
    except Exception as err:
        return pd.DataFrame([dict(file=str(path), row=None, column=None, value=None,
                                  problem=f"could not be read ({type(err).__name__}: {str(err)[:200]})",
                                  fix="check that it is a CSV, XLSX or SAV export of the responses")],
                            columns=REPORT_COLUMNS)
    return problems.frame()


# ------------------------------------------------------------------------------------------------
# Scoring
# ------------------------------------------------------------------------------------------------
def reverse_code(values: pd.Series, scale_min: int, scale_max: int) -> pd.Series:
    """Reverse a keyed item: ``(min + max) - x`` over the scale's non-missing values."""
    return (scale_min + scale_max) - values


def score(df: pd.DataFrame, instrument: str | Path | Instrument, constructs: list[str] | None = None) -> pd.DataFrame:
    """Add one score column per construct (named by the construct id).

    score = mean of the construct's items after reverse-keyed items are recoded as
    ``(min + max) - x``, computed when at least ``min_answered`` items are answered, else NA.
    Missing data: NA items are skipped (person-mean over answered items, "prorating").
    """
    inst = load_instrument(instrument)
    out = df.copy(deep=False)  # new columns only; the caller's frame and its values stay untouched
    for cid in constructs or list(inst.constructs):
        items = inst.items_of(cid)
        missing = [i.name for i in items if i.name not in df.columns]
        if missing:
            raise DataError(f"cannot score construct {cid!r}: item column(s) {', '.join(missing)} "
                            f"are not in the data; read the file with read_responses() first")
        total = np.zeros(len(df))
        n_ans = np.zeros(len(df))
        for it in items:  # column by column: contiguous 1-D arithmetic, no n x k block
            col = df[it.name]
            if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
                col = pd.to_numeric(col, errors="coerce")
            x = col.to_numpy(dtype="float64", na_value=np.nan)
            sc = inst.scales[it.scale]
            if it.reverse:
                x = reverse_code(x, sc.min, sc.max)
            ok = ~np.isnan(x)
            total += np.where(ok, x, 0.0)
            n_ans += ok
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n_ans
        mean = np.where(n_ans >= inst.constructs[cid].min_answered, mean, np.nan)
        out[cid] = pd.Series(mean, index=df.index)
    return out


# ------------------------------------------------------------------------------------------------
# Data-quality flags
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QualityFlags(Result):
    """Per-respondent data-quality flags and their summary.

    ``flags`` (one row per response, same index as the data): ``n_items``, ``n_answered``,
    ``nonresponse`` (share of scored items unanswered), ``longstring`` (longest run of identical
    consecutive answers), ``straightline`` (every answered scored item has the same answer, at
    least ``min_items`` answered), ``duration_sec``, ``speeder``, ``reverse_contradictions`` (how
    many reverse-keyed items contradict their construct's other items), ``reverse_inconsistent``,
    ``high_nonresponse``, ``any_flag``. ``summary``: flag, n, percent, rule.
    """

    flags: pd.DataFrame
    summary: pd.DataFrame
    speed_threshold_sec: float | None


_DURATION_COLUMNS = ("duration_sec", "duration", "durasi", "interviewtime")
_START_END = (("start", "end"), ("startdate", "submitdate"), ("starttime", "endtime"))


def _durations(df: pd.DataFrame, duration: str | None) -> pd.Series | None:
    if duration is not None:
        if duration not in df.columns:
            raise DataError(f"duration column {duration!r} is not in the data")
        return pd.to_numeric(df[duration], errors="coerce").astype("float64")
    for c in _DURATION_COLUMNS:
        if c in df.columns:
            return pd.to_numeric(df[c], errors="coerce").astype("float64")
    for a, b in _START_END:
        if a in df.columns and b in df.columns:
            t0 = pd.to_datetime(df[a], errors="coerce", utc=True, format="mixed")
            t1 = pd.to_datetime(df[b], errors="coerce", utc=True, format="mixed")
            return (t1 - t0).dt.total_seconds().astype("float64")
    return None


def quality_flags(df: pd.DataFrame, instrument: str | Path | Instrument, *, duration: str | None = None,
                  min_seconds: float | None = None, speed_ratio: float = 0.5, min_items: int = 5,
                  max_nonresponse: float = 0.5) -> QualityFlags:
    """Flags researchers check before analysis.

    - Straight-lining: all answered scored items identical, with at least ``min_items`` answered;
      ``longstring`` is the longest run of identical consecutive answers (Johnson 2005,
      *J. Research in Personality* 39:103-129), in questionnaire order.
    - Speeders: completion time below ``min_seconds``, or by default below ``speed_ratio`` times the
      median (0.5: a common rule, e.g. Greszki, Meyer & Schoen 2015). Time comes from
      ``duration`` / duration_sec / interviewtime, or end - start (Kobo ``start``/``end``,
      LimeSurvey ``startdate``/``submitdate``). No time column: the flag is NA.
    - Item non-response: share of scored items unanswered; flagged above ``max_nonresponse``.
    - Reverse-keyed contradictions: a reverse-keyed item answered on the same side of the scale
      midpoint as the mean of its construct's forward items, both at least a quarter of the scale
      range away from the midpoint (e.g. "agree" to "I look forward to work" and to "I only do the
      minimum"). Counted per respondent; flagged when at least one.

    Missing data: unanswered items are skipped in every rule; a rule that cannot be evaluated gives NA.
    """
    inst = load_instrument(instrument)
    items = [it for it in inst.scored_items if it.name in df.columns]
    if not items:
        raise DataError(f"no scored item of instrument {inst.id!r} is in the data; read it with read_responses() first")
    X = np.column_stack([pd.to_numeric(df[it.name], errors="coerce").astype("float64").to_numpy() for it in items])
    answered = ~np.isnan(X)
    n_ans = answered.sum(axis=1)
    n_items = X.shape[1]
    # longest run of identical consecutive answers among answered items (skipping gaps)
    longest = np.zeros(len(df), dtype=int)
    for r in range(len(df)):
        row = X[r][answered[r]]
        if row.size == 0:
            continue
        change = np.flatnonzero(np.diff(row) != 0)
        bounds = np.concatenate(([-1], change, [row.size - 1]))
        longest[r] = int(np.diff(bounds).max())
    with np.errstate(invalid="ignore"):
        rng = np.nanmax(np.where(answered, X, -np.inf), axis=1) - np.nanmin(np.where(answered, X, np.inf), axis=1)
    straight = (n_ans >= min_items) & (rng == 0)
    nonresp = 1 - n_ans / n_items

    dur = _durations(df, duration)
    if dur is not None:
        thr = float(min_seconds) if min_seconds is not None else float(np.nanmedian(dur.to_numpy())) * speed_ratio
        speeder = pd.array(np.where(dur.isna(), None, dur.to_numpy() < thr), dtype="boolean")
    else:
        thr = None
        speeder = pd.array([pd.NA] * len(df), dtype="boolean")

    contra = np.zeros(len(df), dtype=int)
    evaluable = np.zeros(len(df), dtype=bool)
    for cid in inst.constructs:
        members = [it for it in inst.items_of(cid) if it.name in df.columns]
        rev = [it for it in members if it.reverse]
        fwd = [it for it in members if not it.reverse]
        if not rev or not fwd:
            continue
        sc = inst.scales[fwd[0].scale]
        mid = (sc.min + sc.max) / 2
        margin = (sc.max - sc.min) / 4
        F = np.column_stack([pd.to_numeric(df[it.name], errors="coerce").astype("float64") for it in fwd])
        n_f = (~np.isnan(F)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            fmean = np.where(n_f > 0, np.nansum(F, axis=1) / n_f, np.nan)
        for it in rev:
            r = pd.to_numeric(df[it.name], errors="coerce").astype("float64").to_numpy()
            ok = ~np.isnan(r) & ~np.isnan(fmean)
            evaluable |= ok
            same_high = (r - mid >= margin) & (fmean - mid >= margin)
            same_low = (mid - r >= margin) & (mid - fmean >= margin)
            contra += (ok & (same_high | same_low)).astype(int)
    has_rev = any(it.reverse for it in items)
    flags = pd.DataFrame({
        "n_items": n_items,
        "n_answered": n_ans,
        "nonresponse": nonresp,
        "longstring": longest,
        "straightline": straight,
        "duration_sec": dur.to_numpy() if dur is not None else np.nan,
        "speeder": speeder,
        "reverse_contradictions": pd.array(np.where(evaluable, contra, -1), dtype="Int64").astype("Int64")
        if has_rev else pd.array([pd.NA] * len(df), dtype="Int64"),
    }, index=df.index)
    if has_rev:
        flags.loc[~evaluable, "reverse_contradictions"] = pd.NA
    flags["reverse_inconsistent"] = (flags["reverse_contradictions"] >= 1).astype("boolean")
    flags["high_nonresponse"] = flags["nonresponse"] > max_nonresponse
    flags["any_flag"] = (flags["straightline"] | flags["speeder"].fillna(False)
                         | flags["reverse_inconsistent"].fillna(False) | flags["high_nonresponse"])
    n = len(df)
    rules = {
        "straightline": f"all answered scored items identical (at least {min_items} answered)",
        "speeder": (f"duration below {thr:.0f} s" + ("" if min_seconds is not None else f" ({speed_ratio:g} x median)"))
        if thr is not None else "no duration or start/end column",
        "reverse_inconsistent": "a reverse-keyed item on the same side of the midpoint as its construct's other items",
        "high_nonresponse": f"more than {max_nonresponse:.0%} of scored items unanswered",
        "any_flag": "any of the above",
    }
    summary = pd.DataFrame([
        {"flag": k, "n": int(flags[k].fillna(False).sum()),
         "percent": 100 * float(flags[k].fillna(False).sum()) / n if n else np.nan, "rule": rule}
        for k, rule in rules.items()])
    return QualityFlags(flags=flags, summary=summary, speed_threshold_sec=thr)
