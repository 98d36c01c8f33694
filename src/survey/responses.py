"""Read response files into one validated, typed DataFrame, and score constructs.

The frame has one row per response; item columns are nullable integers (``Int64``) for coded
items, missing codes become NA, values stay as answered (reverse coding happens only in
:func:`score` and, as keys, in the analyses, so nothing is ever reversed twice). Metadata columns
are kept as read. The input file is only ever opened for reading.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .instrument import Instrument, load_instrument

REPORT_COLUMNS = ["file", "row", "column", "value", "problem", "fix"]
_MAX_SHOWN = 20


@dataclass
class _Problems:
    """Collects every problem of a file before raising once."""

    file: str
    rows: list[dict] = field(default_factory=list)

    def add(self, row, column, value, problem, fix) -> None:
        self.rows.append(dict(file=self.file, row=row, column=column, value=value, problem=problem, fix=fix))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=REPORT_COLUMNS)

    def raise_if_any(self) -> None:
        if not self.rows:
            return
        lines = [
            f"{self.file}: row {r['row']}, column {r['column']!r}, value {r['value']!r}: {r['problem']}; {r['fix']}"
            if r["row"] is not None else
            f"{self.file}: column {r['column']!r}: {r['problem']}; {r['fix']}"
            for r in self.rows[:_MAX_SHOWN]
        ]
        more = len(self.rows) - _MAX_SHOWN
        if more > 0:
            lines.append(f"... and {more} more (see DataError.report)")
        raise DataError(f"{self.file}: {len(self.rows)} problem(s) found\n" + "\n".join(lines), report=self.frame())


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path (relative paths start at the current folder)")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give a CSV or XLSX file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty; export the responses again")
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            # sep=None sniffs ',' ';' or tab (KoboToolbox exports use ';'); utf-8-sig drops a BOM.
            return pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False,
                               encoding="utf-8-sig")
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text (byte {err.start}); save the file as 'CSV UTF-8' "
                        "or read it with encoding='latin-1'") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: no columns found; the file has no header row") from None
    except pd.errors.ParserError as err:
        raise DataError(f"{path}: cannot be parsed as a table ({err}); check the delimiter and quoting") from None
    except Exception as err:  # openpyxl raises many types for a damaged workbook
        raise DataError(f"{path}: cannot be read as {suffix[1:].upper()} ({type(err).__name__}: {err}); "
                        "open it in a spreadsheet program and save it again") from None
    raise DataError(f"{path}: unsupported file type {suffix!r}; use .csv or .xlsx")


def _column_map(columns: list[str], instrument: Instrument) -> dict[str, str]:
    """Map file columns to item names; group paths ``grp/q`` (Kobo) and ``grp-q`` (ODK) reduce to ``q``."""
    names = set(instrument.item_map)
    mapping: dict[str, str] = {}
    for col in columns:
        c = str(col).strip()
        if c in names:
            mapping[col] = c
            continue
        for sep in ("/", "-"):
            tail = c.rsplit(sep, 1)[-1]
            if sep in c and tail in names:
                mapping[col] = tail
                break
    return mapping


def read_responses(path: str | Path, instrument: str | Path | Instrument, *, required_items: bool = False) -> pd.DataFrame:
    """Read a CSV or XLSX export and validate it against ``instrument``.

    Every problem (unknown codes, text in a numeric item, items missing from the file when
    ``required_items``) is collected, then raised once as :class:`DataError` whose ``report`` has
    columns file, row, column, value, problem, fix. ``row`` is the spreadsheet row number (the
    header is row 1).

    Missing data: blank cells and the scale's ``missing`` codes become ``<NA>``.
    """
    inst = load_instrument(instrument)
    p = Path(path)
    raw = _read_table(p)
    problems = _Problems(str(p))
    if raw.shape[1] == 0 or raw.shape[0] == 0:
        raise DataError(f"{p}: no responses (the file has a header but no data rows)")
    mapping = _column_map(list(raw.columns), inst)
    for col, name in mapping.items():
        if list(mapping.values()).count(name) > 1:
            problems.add(None, col, None, f"more than one column maps to item {name}",
                         "keep one column per item")
            break
    if not mapping:
        raise DataError(
            f"{p}: no column matches an item of instrument {inst.id!r} (expected e.g. "
            f"{', '.join(list(inst.item_map)[:5])}); is this the right instrument or file?")
    if required_items:
        for it in inst.items:
            if it.name not in mapping.values():
                problems.add(None, it.name, None, "item column is missing from the file",
                             f"add a column named {it.name}")
    df = raw.rename(columns=mapping).copy()
    first_row = 2  # spreadsheet row of the first response (row 1 is the header)
    for name in dict.fromkeys(mapping.values()):
        it = inst.item(name)
        col = df[name].astype(str).str.strip()
        blank = col.eq("") | col.str.upper().isin(["NA", "NAN", "N/A"])
        if it.type == "select_one" and it.scale:
            sc = inst.scales[it.scale]
            num = pd.to_numeric(col.where(~blank), errors="coerce")
            bad_text = num.isna() & ~blank
            as_int = num.round()
            not_int = num.notna() & (num != as_int)
            allowed = set(sc.values) | set(sc.missing_values)
            out = num.notna() & ~not_int & ~as_int.isin(list(allowed))
            for idx in np.flatnonzero((bad_text | not_int | out).to_numpy()):
                value = raw.iloc[idx][[k for k, v in mapping.items() if v == name][0]]
                problems.add(int(idx) + first_row, name, value,
                             f"not a code of scale {it.scale} (allowed {sorted(sc.values)}"
                             + (f", missing codes {sc.missing_values}" if sc.missing_values else "") + ")",
                             "correct the answer or leave the cell empty")
            vals = as_int.where(~as_int.isin(sc.missing_values))
            df[name] = pd.array(vals.where(~(bad_text | not_int | out)), dtype="Int64")
        elif it.type == "integer":
            num = pd.to_numeric(col.where(~blank), errors="coerce")
            bad = (num.isna() & ~blank) | (num.notna() & (num != num.round()))
            for idx in np.flatnonzero(bad.to_numpy()):
                problems.add(int(idx) + first_row, name, col.iloc[idx], "not a whole number",
                             "write digits only, or leave the cell empty")
            df[name] = pd.array(num.where(~bad), dtype="Int64")
        elif it.type == "decimal":
            num = pd.to_numeric(col.str.replace(",", ".", regex=False).where(~blank), errors="coerce")
            for idx in np.flatnonzero((num.isna() & ~blank).to_numpy()):
                problems.add(int(idx) + first_row, name, col.iloc[idx], "not a number",
                             "write a number such as 3.5, or leave the cell empty")
            df[name] = num.astype("Float64")
        else:  # text and select_multiple stay as strings
            df[name] = col.where(~blank).astype("string")
    problems.raise_if_any()
    # metadata columns: keep strings, but give numbers their natural type for convenience
    for c in df.columns:
        if c in inst.item_map:
            continue
        s = df[c].replace("", pd.NA)
        num = pd.to_numeric(s, errors="coerce")
        if s.notna().any() and num.notna().sum() == s.notna().sum() and not _looks_like_id(s):
            df[c] = num.astype("Int64") if (num.dropna() == num.dropna().round()).all() else num
        elif s.dropna().str.lower().isin(["true", "false"]).all() and s.notna().any():
            df[c] = s.str.lower().map({"true": True, "false": False}).astype("boolean")
        else:
            df[c] = s.astype("string")
    df.attrs["instrument"] = inst.id
    df.attrs["source_file"] = str(p)
    return df


_ID_RE = re.compile(r"^0\d|^\d{12,}$")


def _looks_like_id(s: pd.Series) -> bool:
    """Leading zeros or long digit strings (NIP, NIK, phone numbers) must stay text."""
    return bool(s.dropna().astype(str).str.match(_ID_RE).any())


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
    out = df.copy()
    for cid in constructs or list(inst.constructs):
        items = inst.items_of(cid)
        missing = [i.name for i in items if i.name not in df.columns]
        if missing:
            raise DataError(f"cannot score construct {cid!r}: item column(s) {', '.join(missing)} "
                            f"are not in the data; read the file with read_responses() first")
        cols = []
        for it in items:
            x = pd.to_numeric(df[it.name], errors="coerce").astype("float64")
            sc = inst.scales[it.scale]
            cols.append(reverse_code(x, sc.min, sc.max) if it.reverse else x)
        block = pd.concat(cols, axis=1)
        n_ans = block.notna().sum(axis=1)
        mean = block.mean(axis=1, skipna=True)
        out[cid] = mean.where(n_ans >= inst.constructs[cid].min_answered)
    return out
