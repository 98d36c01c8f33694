"""Read and validate a response file: :func:`read_responses` and :func:`validate_data`.

The steps, each in its own module: the raw table (:mod:`._sources`: encoding, delimiter, header
row, CSV/XLSX/SAV), which column is which item (:mod:`._match`), typed columns
(:mod:`.convert`), file-wide checks (:mod:`._file_checks`), and last the pseudonyms of
identifiers (:mod:`survey.privacy`). Every problem goes to one collector (:mod:`._problems`).
"""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_choice
from ..errors import DataError, SurveyError
from ..instrument import Instrument, load_instrument
from ._file_checks import DATE_NAME, check_dates, check_ids, check_unknown_item_columns
from ._match import Matcher, col_item, norm, option_maps
from ._parallel import map_in_order
from ._problems import REPORT_COLUMNS, Problems
from ._sources import Raw, load, sheet_headers
from .convert import convert_item, convert_meta
from .._choices import SOURCES


_EMAIL_COLUMNS = {"email address", "alamat email", "email", "e-mail", "alamat e-mail", "surel"}
_PSEUDONYM_RE = r"P[0-9a-f]{16}"


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
    accept_label_mismatch: bool = False


_OPT_NAMES = {f.name for f in dataclasses.fields(_Opts)}


@dataclass
class _Parsed:
    """A file read and converted, not yet assembled into the returned frame."""

    inst: Instrument
    path: Path
    raw: Raw
    columns: dict[str, Any]   # converted item columns and raw metadata columns, in file order
    mapping: dict[str, str]   # file column -> item name
    problems: Problems


def read_responses(path: str | Path, instrument: str | Path | Instrument, *, source: str = "auto",
                   columns: dict[str, str] | None = None, recode: dict[str, int] | None = None,
                   sheet: str | int | None = None, header_row: int | None = None, encoding: str | None = None,
                   sep: str | None = None, id_column: str | None = None, required_items: bool = False,
                   accept_label_mismatch: bool = False, keep_identifiers: bool = False,
                   identifiers: list[str] | None = None, salt: str | None = None) -> pd.DataFrame:
    """Read a response file (CSV, XLSX or SAV from any source in :data:`SOURCES`) and validate it
    against ``instrument``.

    Returns one row per response: item columns as nullable integers (``Int64``) for coded and
    integer items, ``Float64`` for decimals, text for text items; metadata columns kept with their
    natural type. Values stay as answered: reverse-keyed items are not reversed here (only
    :func:`score` does that). The file is only read, never written.

    Parameters: ``source`` forces the format (default detected); ``columns`` maps file columns to
    item names; ``recode`` maps answer codes (e.g. LimeSurvey ``{"A1": 1}``); ``sheet`` and
    ``header_row`` (spreadsheet row of the column names, 1 = first) for workbooks with title rows;
    ``encoding`` and ``sep`` when detection is wrong; ``id_column`` is the respondent id checked for
    duplicates (default the first of respondent_id, response_id, _id, id); ``required_items`` makes
    a missing item column a problem.

    SPSS files carry value labels: each coded item's labels must mean what the instrument's scale
    means (code 1 labelled "Sangat tidak setuju" or "Strongly disagree" when the scale says so). A
    scale that runs the other way (1 = "Sangat setuju"), is shifted (0-4 for 1-5) or labelled
    otherwise is a problem, because the codes would be read with the wrong meaning. When the codes
    are right and only the labels are wrong, ``accept_label_mismatch=True`` reads the codes as they
    are (the mismatch is then a note in ``df.attrs["notes"]``).

    Workbooks: the first sheet is read unless ``sheet=`` names another (or gives its 0-based
    position); when no column matches an item, the message lists the sheets and points to the one
    whose header does. Formulas whose result was never saved and merged cells below the header are
    problems naming the sheet and cells (a formula with a saved result is read as that result).

    Rows whose every cell is empty are skipped, and counted in a note (``df.attrs["notes"]``, also
    issued as a ``UserWarning``); the other rows keep their row numbers in every report. A file that
    ends inside a quoted field, or whose last row is short, was cut off: that is a problem. Text may
    be UTF-8 (with or without BOM) or UTF-16 (with or without BOM).

    Every problem (unknown codes, text in a numeric item, duplicated ids or submissions, mangled
    dates, title rows, wrong delimiter ...) is collected, then raised once as :class:`DataError`
    whose ``report`` has columns file, row, column, value, problem, fix. ``row`` is the spreadsheet
    row number (the header is row 1). Any other failure is also a DataError; an unknown ``source``
    is a :class:`~survey.errors.ParameterError`.

    Identifier items (``identifier: true``) and ``identifiers`` become salted pseudonyms unless
    ``keep_identifiers=True``; see :mod:`survey.privacy` for the salt (``salt=``, ``SURVEY_SALT``,
    ``SURVEY_SALT_FILE``; synthetic demo data need none).

    Missing data: blank cells, ``NA`` and the scale's ``missing`` codes (e.g. 9 "Tidak menjawab")
    become ``<NA>``; an item column absent from the file is simply not in the frame (a problem
    with ``required_items=True``).

    Examples
    --------
    A plain CSV whose headers are item names; 9 is the scale's "no answer" code:

    >>> import pathlib, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(folder.name) / "reaction.csv"
    >>> _ = path.write_text("REL1,REL2,REL3\\n4,5,9\\n2,,3\\n", encoding="utf-8")
    >>> read_responses(path, "training_reaction")
       REL1  REL2  REL3
    0     4     5  <NA>
    1     2  <NA>     3

    The shipped ``reaction`` data written as a file and read back:

    >>> from survey import datasets
    >>> datasets.load("reaction").to_csv(path, index=False)
    >>> df = read_responses(path, "training_reaction")
    >>> df.shape, str(df["REL1"].dtype), df.attrs["source"]
    ((325, 14), 'Int64', 'plain')
    >>> folder.cleanup()
    """
    opts = _Opts(source=source, columns=columns, recode=recode, sheet=sheet, header_row=header_row,
                 encoding=encoding, sep=sep, id_column=id_column, accept_label_mismatch=accept_label_mismatch)
    try:
        parsed = _read(path, instrument, opts)
        if required_items:
            _missing_items(parsed)
        parsed.problems.raise_if_any()
        df = _finish(parsed, keep_identifiers=keep_identifiers, identifiers=identifiers, salt=salt)
        df.attrs["notes"] = list(parsed.problems.notes)
        for note in parsed.problems.notes:
            warnings.warn(f"{path}: {note}", UserWarning, stacklevel=2)
        return df
    except SurveyError:
        raise
    except Exception as err:  # the promise: a user's file never produces anything but a DataError
        raise DataError(f"{path}: could not be read ({type(err).__name__}: {str(err)[:200]}); check that it is "
                        "a CSV, XLSX or SAV export of the responses (if it is, please report this as a bug)",
                        report=_one_problem(path, f"{type(err).__name__}: {str(err)[:200]}",
                                            "check the file; report a bug if it looks fine")) from err


def validate_data(path: str | Path, instrument: str | Path | Instrument, *, required_items: bool = True,
                  **kwargs: Any) -> pd.DataFrame:
    """Every problem of a response file as a DataFrame (file, row, column, value, problem, fix);
    empty when the file is clean.

    Takes the keyword arguments of :func:`read_responses`. Notes that are not problems (empty rows
    skipped, value labels accepted) are in ``report.attrs["notes"]``. Never raises for a bad file; raises
    :class:`~survey.errors.InstrumentError` for a bad instrument and
    :class:`~survey.errors.ParameterError` for an unknown ``source``.

    Missing data: blank cells and missing codes are answers, not problems; a missing item column is
    a problem unless ``required_items=False``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(folder.name) / "reaction.csv"
    >>> _ = path.write_text("id,REL1,REL2\\n1,4,7\\n1,5,\\n", encoding="utf-8")
    >>> report = validate_data(path, "training_reaction", required_items=False)
    >>> report[["row", "column", "value"]]
       row column value
    0    2   REL2     7
    1    3     id     1
    >>> report["problem"].tolist()
    ['not a code of scale agree5 (allowed [1, 2, 3, 4, 5], missing codes [9]) nor one of its labels',
     'respondent id used twice (first in row 2)']
    >>> folder.cleanup()
    """
    extra = set(kwargs) - _OPT_NAMES - {"keep_identifiers", "identifiers", "salt"}
    if extra:
        raise TypeError(f"validate_data() got unexpected keyword argument(s): {', '.join(sorted(extra))}")
    opts = _Opts(**{k: v for k, v in kwargs.items() if k in _OPT_NAMES})
    inst = load_instrument(instrument)
    try:
        parsed = _read(path, inst, opts, Problems(str(path)))
        if required_items:
            _missing_items(parsed)
    except DataError as err:
        if err.report is not None and len(err.report):
            rep = err.report.reset_index(drop=True)
            rep.attrs["notes"] = list(err.report.attrs.get("notes", []))
            return rep
        return _one_problem(path, str(err), "")
    except SurveyError:
        raise
    except Exception as err:
        return _one_problem(path, f"could not be read ({type(err).__name__}: {str(err)[:200]})",
                            "check that it is a CSV, XLSX or SAV export of the responses")
    return parsed.problems.frame()


def _one_problem(path: str | Path, problem: str, fix: str) -> pd.DataFrame:
    return pd.DataFrame([dict(file=str(path), row=None, column=None, value=None, problem=problem, fix=fix)],
                        columns=REPORT_COLUMNS)


def _missing_items(parsed: _Parsed) -> None:
    present = set(parsed.mapping.values())
    for it in parsed.inst.items:
        if it.name not in present:
            parsed.problems.add(None, it.name, None, "item column is missing from the file",
                                f"add a column named {it.name} (or its group path / question text)")


def _read(path: str | Path, instrument: str | Path | Instrument, opts: _Opts,
          problems: Problems | None = None) -> _Parsed:
    inst = load_instrument(instrument)
    p = Path(path)
    problems = problems or Problems(str(p))
    check_choice("source", opts.source, SOURCES)
    _check_columns_option(opts.columns, inst, problems)
    matcher = Matcher.of(inst)
    raw = load(p, inst, matcher, dataclasses.asdict(opts), problems)
    _drop_empty_rows(raw, problems)
    if raw.frame.shape[0] == 0:
        problems.fatal("no responses (the file has a header but no data rows)", "export the responses again")
    mapping = _map_columns(raw, matcher, opts.columns, problems)
    if not mapping:
        _no_item_columns(inst, raw, problems, p, matcher, opts.columns)
    if raw.sav_labels:
        _check_value_labels(raw, mapping, inst, problems, opts.accept_label_mismatch)
    check_unknown_item_columns([c for c in raw.frame.columns if c not in mapping], inst, problems,
                               raw.header_row, raw.source)
    first_row = raw.header_row + 1
    # duplicates are checked first (they need the metadata columns) but listed last
    id_problems = Problems(problems.file, row_numbers=problems.row_numbers)
    check_ids(raw.frame, id_problems, first_row, opts.id_column)
    # hand the columns over one by one: popping from the frame itself costs O(columns) each time
    # (pandas rebuilds its block list), which made wide files quadratic
    cells = dict(raw.frame.items())
    raw.frame = raw.frame.iloc[:0, :0]
    out = _convert_columns(cells, mapping, inst, opts.recode, problems, first_row, _as_written(raw, problems, first_row))
    problems.rows.extend(id_problems.rows)
    return _Parsed(inst, p, raw, out, mapping, problems)


def _check_columns_option(columns: dict | None, inst: Instrument, problems: Problems) -> None:
    if not columns:
        return
    unknown = sorted({v for v in columns.values() if v not in inst.item_map})
    if unknown:
        problems.fatal(f"columns= maps to item(s) {', '.join(unknown)} that instrument {inst.id!r} does not have",
                       f"use item names such as {', '.join(list(inst.item_map)[:4])}")


def _map_columns(raw: Raw, matcher: Matcher, columns: dict | None, problems: Problems) -> dict[str, str]:
    """File column -> item name; of several columns for one item the first is kept, the rest reported."""
    mapping = {c: n for c in raw.frame.columns if (n := col_item(c, matcher, columns)) is not None}
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
    return mapping


def _no_item_columns(inst: Instrument, raw: Raw, problems: Problems, path: Path, matcher: Matcher,
                     columns: dict | None) -> None:
    hint = (" LimeSurvey codes such as Q1[SQ001] need columns={'Q1[SQ001]': 'MOT1', ...} "
            "(survey validate-data --map MAP.yaml)." if raw.source == "limesurvey" else "")
    where = ""
    if raw.sheets:
        where = f" in sheet {raw.sheet!r}"
        others = [n for n in raw.sheets if n != raw.sheet]
        if others:
            scores = sheet_headers(path, matcher, columns)
            best = max(others, key=lambda n: scores.get(n, 0))
            where += f" (the workbook's sheets: {', '.join(map(repr, raw.sheets))})"
            if scores.get(best, 0):
                hint = (f" Sheet {best!r} has {scores[best]} item column(s): read it with sheet={best!r} "
                        f"(survey validate-data --sheet {best!r}).") + hint
            else:
                hint = " No other sheet has item columns either." + hint
    problems.fatal(
        f"no column{where} matches an item of instrument {inst.id!r} (expected e.g. "
        f"{', '.join(list(inst.item_map)[:5])})",
        "is this the right instrument or file? Column names must be item names, group paths, "
        "or the question texts." + hint)


def _drop_empty_rows(raw: Raw, problems: Problems) -> None:
    """Rows whose every cell is empty are not responses: drop them, keep the numbers of the others
    and say how many were skipped (a blank line would otherwise be an all-missing response)."""
    frame = raw.frame
    if not len(frame) or not frame.shape[1]:
        return
    empty = np.ones(len(frame), dtype=bool)
    # usually the first column looked at already rules out every row: numeric columns first, whose
    # blanks are a NaN test (text columns need a look at every cell)
    dtypes = list(frame.dtypes)
    order = sorted(range(len(dtypes)), key=lambda k: not pd.api.types.is_numeric_dtype(dtypes[k]))
    for k in order:
        s = frame.iloc[:, k]
        cell_empty = s.isna().to_numpy()
        if s.dtype == object:
            cell_empty = cell_empty | s.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
        empty &= cell_empty
        if not empty.any():
            return
    idx = np.flatnonzero(empty)
    numbers = np.arange(len(frame)) + raw.header_row + 1
    problems.row_numbers = numbers[~empty]
    raw.frame = frame.iloc[~empty].reset_index(drop=True)
    shown = ", ".join(str(n) for n in numbers[idx][:10]) + (" ..." if len(idx) > 10 else "")
    problems.notes.append(f"{len(idx)} empty row(s) skipped (row {shown}): every cell was empty")


def _check_value_labels(raw: Raw, mapping: dict[str, str], inst: Instrument, problems: Problems,
                        accept: bool) -> None:
    """SPSS value labels must mean what the instrument's scale means, code by code."""
    for col, name in mapping.items():
        labels = raw.sav_labels.get(col)
        it = inst.item(name)
        if not labels or it.type not in ("select_one", "select_multiple") or not it.scale:
            continue
        sc = inst.scales[it.scale]
        meaning: dict[str, int] = {}
        for o in [*sc.options, *sc.missing]:
            for text in o.label.values():
                meaning.setdefault(norm(text), o.value)
        known = set(sc.values) | set(sc.missing_values)
        wrong: list[tuple[Any, str, int | None]] = []  # (file code, its label, the scale's code of that label)
        for code, label in sorted(labels.items(), key=lambda kv: float(kv[0])):
            c = int(code) if float(code).is_integer() else code
            meant = meaning.get(norm(str(label)))
            if meant == c or (meant is None and c not in known):
                continue  # same meaning, or a code of the file's own outside the scale (checked as data)
            wrong.append((c, str(label), meant))
        if not wrong:
            continue
        pairs = [(c, m) for c, _, m in wrong if m is not None]
        lo, hi = sc.min, sc.max
        if pairs and len(pairs) == len(wrong) and all(m == lo + hi - c for c, m in pairs):
            how = "run the other way from"
        elif pairs and len(pairs) == len(wrong) and len({m - c for c, m in pairs}) == 1:
            d = pairs[0][1] - pairs[0][0]
            how = f"are shifted (the file's codes are {abs(d)} {'lower' if d > 0 else 'higher'}) from"
        else:
            how = "do not match"
        lang = inst.default_language
        said = "; ".join(f"{c} = {lab!r}" for c, lab, _ in wrong[:4])
        expected = "; ".join(f"{c} = {sc.label_of(c, lang)!r}" if sc.label_of(c, lang) is not None
                             else f"no code {c}" for c, _, _ in wrong[:4])
        problem = (f"the file's value labels {how} scale {it.scale} of the instrument: the file says {said}, "
                   f"the instrument {expected}")
        if accept:
            problems.notes.append(f"column {col!r}: {problem} (accepted: codes read as they are)")
            continue
        problems.add(raw.header_row, col if col == name else f"{col} ({name})", said[:80], problem,
                     f"recode the column so its codes mean what scale {it.scale} means (SPSS: RECODE, then fix the "
                     "value labels); if the codes are right and only the labels are wrong, pass "
                     "accept_label_mismatch=True")


def _as_written(raw: Raw, problems: Problems, first_row: int) -> Callable[[str], Callable[[], pd.Series]] | None:
    """Per column, a way to read its cells again as written, aligned with the frame's rows (the
    empty rows skipped); None when the source has no such way."""
    if raw.as_written is None:
        return None
    reread = raw.as_written

    def column(name: str) -> Callable[[], pd.Series]:
        def cells() -> pd.Series:
            s = reread(name)
            if problems.row_numbers is not None:
                s = s.iloc[np.asarray(problems.row_numbers) - first_row]
            return s.reset_index(drop=True)
        return cells
    return column


def _convert_columns(cells: dict[str, pd.Series], mapping: dict[str, str], inst: Instrument, recode: dict | None,
                     problems: Problems, first_row: int,
                     as_written: Callable[[str], Callable[[], pd.Series]] | None = None) -> dict[str, Any]:
    """Item columns converted (named by their item), metadata columns as read (dates checked)."""
    maps = option_maps(inst)
    rows = len(next(iter(cells.values()))) if cells else 0

    def convert(column: tuple[str, pd.Series]) -> tuple[str, Any, Problems]:
        c, s = column
        # each column collects its own problems (columns may be converted on several threads);
        # they are added to the file's list in column order below
        found = Problems(problems.file, row_numbers=problems.row_numbers)
        name = mapping.get(c)
        if name is None:
            if DATE_NAME.search(str(c)):
                check_dates(str(c), s, found, first_row)
            return str(c), s, found
        it = inst.item(name)
        label = name if c == name else f"{c} ({name})" if len(str(c)) <= 40 else name
        return name, convert_item(it, s, inst, maps.get(it.scale) if it.scale else None, recode, found,
                                  first_row, label, as_written(str(c)) if as_written else None), found

    out: dict[str, Any] = {}
    # pop: each converted column releases its raw array at once (peak memory on large files)
    for key, value, found in map_in_order(convert, ((c, cells.pop(c)) for c in list(cells)), rows):
        out[key] = value
        problems.rows.extend(found.rows)
        problems.notes.extend(found.notes)
    return out


def _finish(parsed: _Parsed, *, keep_identifiers: bool, identifiers: list[str] | None,
            salt: str | None) -> pd.DataFrame:
    inst, items = parsed.inst, set(parsed.mapping.values())
    frame = {c: v if c in inst.item_map and c in items else convert_meta(v) for c, v in parsed.columns.items()}
    df = pd.DataFrame(frame, copy=False)  # the arrays are ours already: no second copy of a large file
    # Google Forms "collect email addresses" puts the respondent's address in the file: a direct identifier
    auto = [c for c in df.columns if norm(c) in _EMAIL_COLUMNS]
    ids = list(dict.fromkeys([*[n for n in inst.identifier_items if n in df.columns], *auto, *(identifiers or [])]))
    if ids and not keep_identifiers:
        _pseudonymise(df, ids, parsed.path, salt)
    df.attrs["instrument"] = inst.id
    df.attrs["source_file"] = str(parsed.path)
    df.attrs["source"] = parsed.raw.source
    df.attrs["pseudonymised"] = [] if keep_identifiers else ids
    return df


def _pseudonymise(df: pd.DataFrame, ids: list[str], path: Path, salt: str | None) -> None:
    from ..privacy import get_salt, is_synthetic, pseudonymise

    missing = [c for c in ids if c not in df.columns]
    if missing:
        raise DataError(f"{path}: identifiers= names column(s) {', '.join(missing)} that are not in the file")
    # a file written from already pseudonymised data must not be hashed a second time
    todo = [c for c in ids if not df[c].dropna().astype(str).str.fullmatch(_PSEUDONYM_RE).all()]
    if todo:
        key = get_salt(salt, synthetic=is_synthetic(df))
        for c in todo:
            df[c] = pseudonymise(df[c], key)
