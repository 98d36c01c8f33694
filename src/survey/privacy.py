"""Personal data (UU 27/2022 Pelindungan Data Pribadi): pseudonyms, identifiers, small cells.

What the workbench does with personal data:

- Identifier items (``identifier: true`` in the instrument, e.g. ``nip``) and columns the caller
  names become **salted pseudonyms** when :func:`survey.read_responses` reads a file, unless the
  caller passes ``keep_identifiers=True``. A pseudonym is ``"P" + first 16 hex digits of
  HMAC-SHA256(salt, value)``: the same person gets the same pseudonym in every file read with the
  same salt (so waves can be linked) and nobody without the salt can recompute it from a NIP, whose
  structure (birth date, appointment date, sex, sequence) makes plain hashing guessable.
- **The salt** lives outside the data and is never written to any output. It is read, in this
  order, from the ``salt=`` argument, the environment variable ``SURVEY_SALT``, or the file named
  by ``SURVEY_SALT_FILE``. Create one with ``survey salt new ~/.config/survey/salt`` and keep it
  with the linkage table, away from the project folder.
- **No salt configured**: for synthetic data (every row has ``synthetic`` true, as in the demo
  data) a fixed public demo salt is used, because there is no person to protect and the demo must
  run without setup. For any other data :func:`get_salt` raises :class:`DataError` saying how to
  set a salt; a random per-session salt would silently make pseudonyms differ between sessions and
  break the linkage of waves, which is the only reason to keep a pseudonym at all.
- :func:`drop_direct_identifiers` removes identifier columns entirely (names, phone numbers ...).
- :func:`suppress_small_cells` blanks groups smaller than ``min_cell`` (default 5).
- :func:`scan_for_identifiers` finds NIP-like, NIK-like, phone and e-mail text in HTML, CSV or
  XLSX files (the batch runner marks a report that contains any as failed);
  :func:`scrub_text` removes them (and honorific + name) from free text.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd

from ._identifiers import PATTERNS, find_identifiers, mask  # noqa: F401  (PATTERNS re-exported)
from .errors import DataError

SALT_ENV = "SURVEY_SALT"
SALT_FILE_ENV = "SURVEY_SALT_FILE"
#: Used only for synthetic data (no real person behind any value); public on purpose.
DEMO_SALT = "survey-workbench synthetic demo data (not for real data)"
MIN_SALT_LENGTH = 16
PSEUDONYM_PREFIX = "P"

# Column names that hold direct identifiers whatever the instrument says (Indonesian and English).
DIRECT_IDENTIFIER_NAMES = re.compile(
    r"^(nip|nik|nama|name|full_?name|nama_lengkap|phone|telepon|telp|no_?hp|hp|handphone|wa|whatsapp|"
    r"e_?mail|surel|alamat|address|ktp|npwp|no_?ktp)$", re.IGNORECASE)


# ------------------------------------------------------------------------------------------------
# Salt and pseudonyms
# ------------------------------------------------------------------------------------------------
def get_salt(salt: str | None = None, *, synthetic: bool | str = False) -> str:
    """The salt for pseudonyms: ``salt``, else ``$SURVEY_SALT``, else the file ``$SURVEY_SALT_FILE``;
    the public demo salt when none is configured and every row is synthetic; otherwise
    :class:`DataError` with how to set one.

    ``synthetic`` is what :func:`is_synthetic` said about the data (``"all"``, ``"some"``,
    ``"none"``); ``True`` means the caller vouches that every row is synthetic. Only ``"all"`` (or
    ``True``) allows the demo salt: a real row mixed into demo data still needs a secret salt.
    """
    if isinstance(synthetic, str):
        all_synthetic = synthetic == SyntheticRows.ALL
    else:
        all_synthetic = isinstance(synthetic, (bool, np.bool_)) and bool(synthetic)
    source = "salt argument"
    if salt is None and os.environ.get(SALT_ENV):
        salt, source = os.environ[SALT_ENV], f"${SALT_ENV}"
    if salt is None and os.environ.get(SALT_FILE_ENV):
        f = Path(os.environ[SALT_FILE_ENV]).expanduser()
        source = f"${SALT_FILE_ENV} ({f})"
        try:
            salt = f.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise DataError(f"{SALT_FILE_ENV}={f}: cannot read the salt file ({err.strerror}); "
                            f"create it with 'survey salt new {f}'") from None
    if salt is None:
        if all_synthetic:
            return DEMO_SALT
        mixed = ("the data mix synthetic demo rows with real rows, so the public demo salt cannot be used; "
                 if isinstance(synthetic, str) and synthetic == SyntheticRows.SOME else "")
        raise DataError(
            mixed + "identifier columns are pseudonymised with a secret salt, and none is configured: run "
            "'survey salt new ~/.config/survey/salt' and set SURVEY_SALT_FILE=~/.config/survey/salt "
            "(or SURVEY_SALT=<secret>), keep that file outside the project and never share it; "
            "or pass keep_identifiers=True to keep the raw identifiers (not for shared analyses)")
    salt = str(salt).strip()
    if len(salt) < MIN_SALT_LENGTH:
        raise DataError(f"{source}: the salt is {len(salt)} characters; use at least {MIN_SALT_LENGTH} "
                        "random characters ('survey salt new FILE' writes a good one)")
    return salt


def new_salt() -> str:
    """A fresh random salt (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def write_salt_file(path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a new salt to ``path`` readable by the owner only. Refuses to overwrite an existing
    salt: every pseudonym made with it would change."""
    p = Path(path).expanduser()
    if p.exists() and not overwrite:
        raise DataError(f"{p}: a salt file already exists; replacing it changes every pseudonym. "
                        "Choose another path or delete the old file yourself")
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(new_salt() + "\n")
    return p


def _normalise_id(v: str) -> str:
    v = v.strip()
    # NIP/NIK are often typed with spaces, dots or dashes: the same number must give the same pseudonym
    if re.fullmatch(r"[\d\s.\-]+", v) and re.search(r"\d", v):
        return re.sub(r"\D", "", v)
    return v.casefold() if "@" in v else v


def pseudonym(value: str, salt: str) -> str:
    """``"P" + HMAC-SHA256(salt, normalised value)[:16 hex]`` (64 bits: collisions are negligible
    below millions of people). A NIP or NIK typed with spaces, dots or dashes gives the same pseudonym.

    Examples
    --------
    >>> pseudonym("198404182009052001", "a-secret-salt-of-16+chars")
    'Pacb30519890ff359'
    >>> pseudonym("19840418 200905 2 001", "a-secret-salt-of-16+chars")
    'Pacb30519890ff359'
    """
    digest = hmac.new(salt.encode("utf-8"), _normalise_id(str(value)).encode("utf-8"), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:16]


def pseudonymise(values: pd.Series, salt: str) -> pd.Series:
    """Replace every non-missing value by its pseudonym (missing stays missing).

    Examples
    --------
    >>> pseudonymise(pd.Series(["198404182009052001", None]), "a-secret-salt-of-16+chars").tolist()
    ['Pacb30519890ff359', <NA>]
    """
    s = values.astype("string")
    uniq = s.dropna().unique()
    table = {u: pseudonym(u, salt) for u in uniq if str(u).strip()}
    return s.map(table, na_action="ignore").astype("string")


def pseudonymise_columns(df: pd.DataFrame, columns: list[str], salt: str) -> pd.DataFrame:
    """A copy of ``df`` with ``columns`` pseudonymised."""
    out = df.copy()
    for c in columns:
        if c not in out.columns:
            raise DataError(f"cannot pseudonymise column {c!r}: it is not in the data "
                            f"(columns: {', '.join(map(str, out.columns[:12]))} ...)")
        out[c] = pseudonymise(out[c], salt)
    return out


class SyntheticRows(str, Enum):
    """How many rows of a table are synthetic demo rows: ``"all"``, ``"some"`` or ``"none"``.

    It compares equal to those strings. It has no truth value on purpose: "is it synthetic?" has two
    different safe answers for mixed data (a report must say so; the public demo salt must not be
    used), so ``if is_synthetic(df):`` raises ``TypeError`` instead of silently picking one.
    """

    ALL = "all"
    SOME = "some"
    NONE = "none"

    def __bool__(self) -> bool:
        raise TypeError("is_synthetic() returns 'all', 'some' or 'none', not a truth value: compare it, "
                        "e.g. is_synthetic(df) != 'none' (a report must say 'synthetic') or "
                        "is_synthetic(df) == 'all' (the demo salt may be used)")

    def __str__(self) -> str:
        return self.value


_TRUE_TEXT = ("true", "1", "yes")


def is_synthetic(df: pd.DataFrame | None) -> SyntheticRows:
    """Whether the rows are synthetic demo rows: ``"all"``, ``"some"`` or ``"none"``.

    A row is synthetic when its ``synthetic`` column holds true (``True``, ``1``, ``"true"``,
    ``"yes"``; any case). A missing value or a missing column counts as a real row; an empty or
    absent table is ``"none"``. The two uses need different answers for mixed data, so the result
    states the fact and each caller compares it:

    - a report says "synthetic data" whenever demo rows are present: ``is_synthetic(df) != "none"``;
    - the public demo salt is used only when no real person is in the data:
      ``is_synthetic(df) == "all"`` (what :func:`get_salt` does with it).

    Examples
    --------
    >>> is_synthetic(pd.DataFrame({"synthetic": [True, True]})) == "all"
    True
    >>> str(is_synthetic(pd.DataFrame({"synthetic": ["true", None]})))
    'some'
    >>> is_synthetic(pd.DataFrame({"q1": [4, 5]})) == "none"
    True
    """
    if df is None or "synthetic" not in getattr(df, "columns", ()) or len(df) == 0:
        return SyntheticRows.NONE
    flag = df["synthetic"].astype("string").str.strip().str.lower().isin(_TRUE_TEXT)
    if flag.all():
        return SyntheticRows.ALL
    return SyntheticRows.SOME if flag.any() else SyntheticRows.NONE


def drop_direct_identifiers(df: pd.DataFrame, instrument=None, columns: list[str] | None = None) -> pd.DataFrame:
    """A copy without direct identifiers: the instrument's identifier items, ``columns``, and columns
    whose name says what they hold (nip, nik, nama/name, telepon/phone/hp, email, alamat/address).
    Pseudonyms made by :func:`pseudonymise` are dropped too when they sit in such a column; keep a
    pseudonym by renaming the column first (e.g. ``person``)."""
    drop = set(columns or [])
    if instrument is not None:
        from .instrument import load_instrument

        drop |= set(load_instrument(instrument).identifier_items)
    drop |= {c for c in df.columns if DIRECT_IDENTIFIER_NAMES.match(str(c).strip())}
    return df.drop(columns=[c for c in df.columns if c in drop])


# ------------------------------------------------------------------------------------------------
# Small cells
# ------------------------------------------------------------------------------------------------
_COUNT_NAMES = ("n", "N", "count", "n_resp", "n_respondents", "respondents", "responden")


def suppress_small_cells(table: pd.DataFrame | pd.Series, min_cell: int = 5, *, count: str | None = None):
    """Blank out groups smaller than ``min_cell`` respondents.

    - A table with a count column (``count=`` or a column named n / count / n_resp ...): every
      row whose count is below ``min_cell`` gets NA in all numeric columns, the count included, and
      ``suppressed`` = True (a new column). Text columns (the group's name) stay.
    - Otherwise the table (or Series) is taken as counts: cells with ``0 < value < min_cell`` become
      NA; zeros stay (an empty cell reveals nobody).

    The number of blanked rows/cells is in ``result.attrs["suppressed"]``. Limitation: this is
    primary suppression only; if the table also prints totals, a blanked cell can be recovered by
    subtraction, so leave totals out or suppress a second cell yourself.
    """
    if int(min_cell) < 1:
        raise DataError(f"min_cell={min_cell}: use a positive number of respondents (default 5)")
    if isinstance(table, pd.Series):
        return _suppress_series(table, min_cell)
    col = count or next((c for c in _COUNT_NAMES if c in table.columns), None)
    if col is not None:
        return _suppress_rows(table, min_cell, col)
    return _suppress_count_cells(table, min_cell)


def _is_number_column(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _blank(s: pd.Series, small) -> pd.Series:
    """``s`` with the ``small`` cells set to NA, in a nullable dtype so integers stay integers."""
    target = "Int64" if pd.api.types.is_integer_dtype(s.dtype) else "Float64"
    return s.astype(target).mask(small)


def _suppress_series(counts: pd.Series, min_cell: int) -> pd.Series:
    num = pd.to_numeric(counts, errors="coerce")
    small = (num > 0) & (num < min_cell)
    out = counts.astype("Float64").mask(small)
    out.attrs["suppressed"] = int(small.sum())
    return out


def _suppress_rows(table: pd.DataFrame, min_cell: int, col: str) -> pd.DataFrame:
    """Blank every number of a row whose count (column ``col``) is below ``min_cell`` or missing."""
    if col not in table.columns:
        raise DataError(f"count column {col!r} is not in the table (columns: {', '.join(map(str, table.columns))})")
    n = pd.to_numeric(table[col], errors="coerce")
    small = (n < min_cell).fillna(True).to_numpy()
    out = table.copy()
    for c in out.columns:
        if _is_number_column(out[c]):
            out[c] = _blank(out[c], small)
    out["suppressed"] = small
    out.attrs["suppressed"] = int(small.sum())
    return out


def _suppress_count_cells(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """A table of counts: blank each cell with ``0 < count < min_cell``."""
    out = table.copy()
    n_sup = 0
    for c in out.columns:
        if _is_number_column(out[c]):
            v = pd.to_numeric(out[c], errors="coerce")
            small = ((v > 0) & (v < min_cell)).to_numpy()
            n_sup += int(small.sum())
            out[c] = _blank(out[c], small)
    out.attrs["suppressed"] = n_sup
    return out


# ------------------------------------------------------------------------------------------------
# Finding identifiers in text and files (the patterns and the finder are in _identifiers)
# ------------------------------------------------------------------------------------------------
_NAME = re.compile(r"\b(?:Pak|Bapak|Bu|Ibu|Sdr|Sdri|Saudara|Saudari|Mas|Mbak|Kak|Bang|Dr|dr|Prof|Hj?"
                   r"|[Nn]ama saya(?: adalah)?|[Nn]ama:|[Mm]y name is)\.?"
                   r"\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2}")


_REPLACEMENT = {"nip": "[NIP]", "nik": "[NIK]", "phone": "[telepon]", "email": "[email]", "name": "[nama]"}
# In free text people write NIK and NIP in groups ("1271 0212 0385 0001"); the scanner does not
# look for these (report tables put numbers side by side), but scrubbing must catch them.
_GROUPED_ID = re.compile(r"(?<!\d)(?:\d[ .-]?){15,17}\d(?!\d)")


def scrub_text(text, names: bool = True):
    """Replace NIP, NIK, phone numbers and e-mail addresses in free text by ``[NIP]``, ``[NIK]``,
    ``[telepon]``, ``[email]``, and (``names=True``) an honorific followed by capitalised words
    ("Pak Budi Santoso") by ``[nama]``. Missing values pass through; a Series is scrubbed per value.
    Names without an honorific cannot be found reliably: free text still needs a human look before
    it is quoted in a report.

    Examples
    --------
    >>> scrub_text("Hubungi Pak Budi Santoso di 0812-3456-7890 atau budi@example.go.id")
    'Hubungi [nama] di [telepon] atau [email]'
    """
    if isinstance(text, pd.Series):
        return text.map(lambda v: scrub_text(v, names), na_action="ignore")
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return text
    s = str(text)
    parts = []
    pos = 0
    for kind, a, b, _ in find_identifiers(s):
        if kind == "name":  # names are replaced below, honorific included
            continue
        parts.append(s[pos:a])
        parts.append(_REPLACEMENT[kind])
        pos = b
    parts.append(s[pos:])
    s = "".join(parts)
    s = _GROUPED_ID.sub(lambda m: "[NIP]" if len(re.sub(r"\D", "", m.group())) == 18 else "[NIK]", s)
    if names:
        s = _NAME.sub(_REPLACEMENT["name"], s)
    return s


SCAN_COLUMNS = ["file", "kind", "line", "column", "match"]


def scan_text(text: str, file: str = "<text>") -> pd.DataFrame:
    """:func:`scan_for_identifiers` for a string (``line`` counts from 1, ``column`` is the
    character position in the line, from 1)."""
    rows = []
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for kind, a, _b, match in find_identifiers(text):
        line = int(np.searchsorted(starts, a, side="right"))
        rows.append({"file": file, "kind": kind, "line": line, "column": str(a - starts[line - 1] + 1),
                     "match": mask(match)})
    return pd.DataFrame(rows, columns=SCAN_COLUMNS)


def scan_for_identifiers(path: str | Path) -> pd.DataFrame:
    """Find NIP-like (18 digits), NIK-like (16 digits), Indonesian phone numbers and e-mail
    addresses in an HTML, CSV (any text) or XLSX file.

    Returns one row per match with columns file, kind (nip, nik, phone, email), line (text line,
    or spreadsheet row for XLSX), column (character position, or ``Sheet!B`` for XLSX) and match
    (masked: only the first and last two characters shown). An empty frame means nothing was found.
    Embedded images (``data:...;base64,`` URIs) and numbers glued to a dot or letters (decimals,
    hashes) are not flagged.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such file to scan")
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return _scan_workbook(p)
    return scan_text(_decode(p.read_bytes()), str(p))


def _scan_workbook(p: Path) -> pd.DataFrame:
    """Every cell of every sheet; ``line`` is the spreadsheet row, ``column`` ``Sheet!B``."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as err:  # a damaged workbook raises many types
        raise DataError(f"{p}: cannot be read as an Excel workbook ({type(err).__name__}: {err})") from None
    rows = []
    try:
        for ws in wb.worksheets:
            for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
                for c, v in enumerate(values, start=1):
                    if v is None:
                        continue
                    if isinstance(v, float) and v.is_integer() and abs(v) < 1e20:
                        v = str(int(v))  # an NIP typed as a number
                    for kind, _a, _b, match in find_identifiers(str(v)):
                        rows.append({"file": str(p), "kind": kind, "line": r,
                                     "column": f"{ws.title}!{openpyxl.utils.get_column_letter(c)}",
                                     "match": mask(match)})
    finally:
        wb.close()
    return pd.DataFrame(rows, columns=SCAN_COLUMNS)


def _decode(raw: bytes) -> str:
    """UTF-8 (or UTF-16 with a byte-order mark); Latin-1 as the last resort, which decodes every
    byte: digits and '@' are ASCII anyway, so nothing the scan looks for is lost."""
    for enc in ("utf-8-sig", "utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")
