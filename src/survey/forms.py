"""Instruments out and back in: XLSForm, codebook, printable questionnaire, SPSS.

Field teams collect with KoboToolbox or ODK Collect (XLSForm), print questionnaires for paper
interviews and pass data around as SPSS files. This module turns an :class:`~survey.instrument.Instrument`
into each of those and reads an XLSForm back (the mapping is described in ARCHITECTURE.md).

XLSForm layout written by :func:`to_xlsform`:

- ``survey`` sheet: ``type, name, label::<Language> (<id>) ..., hint::..., required, relevant,
  constraint, appearance`` plus the workbench's own columns ``construct``, ``reverse``,
  ``identifier``; sections are ``begin_group``/``end_group`` with ``appearance = field-list``;
  select_one items get ``appearance = likert``.
- ``choices`` sheet: one list per scale, ``name = str(value)``, missing codes marked in a ``missing``
  column (they are choosable answers that score as NA).
- ``settings`` sheet: ``form_id, version, form_title, default_language``.
- ``constructs`` sheet (ignored by pyxform): construct id, label and description per language,
  ``min_answered``.
- ``instrument`` sheet (ignored by pyxform): title and description per language, ``source`` and
  sections without items, so the export reads back into an equal Instrument.

The printable questionnaire and the designer's preview (:func:`survey.drafts.questionnaire_html`)
are one Jinja template, ``templates/questionnaire/questionnaire.html.j2``, rendered by
:func:`render_questionnaire`.
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from ._names import SPSS_NAME as _SPSS_NAME
from ._names import spss_name
from .errors import DataError, InstrumentError
from .files import atomic_path, atomic_write_bytes
from .instrument import (
    NAME_RE,
    Instrument,
    Item,
    check_expression,
    check_expressions,
    instrument_from_dict,
    load_instrument,
)

__all__ = [
    "check_xlsform", "chromium_path", "codebook", "from_xlsform", "html_to_pdf", "odk_validate_available",
    "questionnaire_html", "render_questionnaire", "spss_name", "to_xlsform", "write_codebook",
    "write_questionnaire", "write_sav", "xlsform_sheets",
]

_TRUE = {"yes", "true", "1", "y", "ya", "true()"}
_LANG_COL = re.compile(r"^(label|hint|description|title)(?:::(.+))?$", re.IGNORECASE)
_LANG_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$")


def _lang_header(inst: Instrument, lang: str) -> str:
    return f"{inst.languages[lang]} ({lang})"


def _lang_cells(inst: Instrument, prefix: str, t: dict | None) -> dict[str, str]:
    """``{"label::Bahasa Indonesia (id)": ..., "label::English (en)": ...}`` for one text."""
    return {f"{prefix}::{_lang_header(inst, lang)}": (t or {}).get(lang, "") for lang in inst.languages}


def _lang_headers(inst: Instrument, prefix: str) -> list[str]:
    return [f"{prefix}::{_lang_header(inst, lang)}" for lang in inst.languages]


def xlsform_sheets(instrument: str | Path | Instrument) -> dict[str, pd.DataFrame]:
    """The XLSForm as DataFrames, one per sheet (``survey``, ``choices``, ``settings``,
    ``constructs``, ``instrument``); :func:`to_xlsform` writes exactly these.

    Missing data: a scale's missing codes (e.g. 9 "Tidak menjawab") are choices like the others,
    marked ``yes`` in the ``missing`` column, so a respondent can pick them and they score as NA.

    Examples
    --------
    >>> sheets = xlsform_sheets("training_reaction")
    >>> list(sheets)
    ['survey', 'choices', 'settings', 'constructs', 'instrument']
    >>> sheets["survey"][["type", "name", "construct", "reverse"]].head(3)
              type    name  construct reverse
    0  begin_group  reaksi
    1  select_one agree5    REL1  relevance
    2  select_one agree5    REL2  relevance
    >>> sheets["choices"].loc[sheets["choices"]["missing"] == "yes", ["list_name", "name"]]
      list_name name
    5    agree5    9
    """
    inst = load_instrument(instrument)
    rows, used_groups = _survey_rows(inst)
    survey_cols = ["type", "name", *_lang_headers(inst, "label"), *_lang_headers(inst, "hint"),
                   "required", "relevant", "constraint", "appearance", "construct", "reverse", "identifier"]
    return {"survey": pd.DataFrame(rows, columns=survey_cols).fillna(""),
            "choices": _choices_sheet(inst),
            "settings": pd.DataFrame([{"form_id": inst.id, "version": inst.version, "form_title": inst.text(inst.title),
                                       "default_language": _lang_header(inst, inst.default_language)}]),
            "constructs": _constructs_sheet(inst),
            "instrument": _instrument_sheet(inst, used_groups)}


def _survey_rows(inst: Instrument) -> tuple[list[dict], dict[str, int]]:
    """The survey sheet's rows, and how often each section opened a group."""
    rows: list[dict] = []
    used_groups: dict[str, int] = {}
    current: str | None = None
    group_name = ""
    for it in inst.items:
        if it.section != current:
            if current is not None:
                rows.append({"type": "end_group", "name": group_name})
            current = it.section
            if current is not None:
                # a section that comes back later needs a distinct group name (XML names are unique)
                k = used_groups.get(current, 0) + 1
                used_groups[current] = k
                group_name = current if k == 1 else f"{current}__{k}"
                rows.append({"type": "begin_group", "name": group_name,
                             **_lang_cells(inst, "label", inst.sections[current].label), "appearance": "field-list"})
        rows.append(_survey_row(inst, it))
    if current is not None:
        rows.append({"type": "end_group", "name": group_name})
    return rows, used_groups


def _survey_row(inst: Instrument, it: Item) -> dict[str, str]:
    typ = f"{it.type} {it.scale}" if it.type in ("select_one", "select_multiple") else it.type
    return {
        "type": typ, "name": it.name, **_lang_cells(inst, "label", it.label), **_lang_cells(inst, "hint", it.hint),
        "required": "yes" if it.required else "",
        "relevant": it.relevant or "", "constraint": it.constraint or "",
        "appearance": "likert" if it.type == "select_one" else "",
        "construct": it.construct or "", "reverse": "yes" if it.reverse else "",
        "identifier": "yes" if it.identifier else "",
    }


def _choices_sheet(inst: Instrument) -> pd.DataFrame:
    choices = pd.DataFrame(
        [{"list_name": sid, "name": str(o.value), **_lang_cells(inst, "label", o.label), "missing": ""}
         for sid, sc in inst.scales.items() for o in sc.options]
        + [{"list_name": sid, "name": str(o.value), **_lang_cells(inst, "label", o.label), "missing": "yes"}
           for sid, sc in inst.scales.items() for o in sc.missing],
        columns=["list_name", "name", *_lang_headers(inst, "label"), "missing"])
    # keep each list together (pyxform does not mind, people reading the sheet do)
    order = {sid: k for k, sid in enumerate(inst.scales)}
    return choices.sort_values("list_name", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def _constructs_sheet(inst: Instrument) -> pd.DataFrame:
    return pd.DataFrame(
        [{"name": cid, **_lang_cells(inst, "label", c.label), **_lang_cells(inst, "description", c.description),
          "min_answered": c.min_answered} for cid, c in inst.constructs.items()],
        columns=["name", *_lang_headers(inst, "label"), *_lang_headers(inst, "description"), "min_answered"])


def _instrument_sheet(inst: Instrument, used_groups: dict[str, int]) -> pd.DataFrame:
    meta = [{"key": "title", **_lang_cells(inst, "text", inst.title), "value": ""}]
    if inst.description:
        meta.append({"key": "description", **_lang_cells(inst, "text", inst.description), "value": ""})
    if inst.source:
        meta.append({"key": "source", **_lang_cells(inst, "text", None), "value": inst.source})
    for sid, s in inst.sections.items():
        if sid not in used_groups:
            meta.append({"key": f"section:{sid}", **_lang_cells(inst, "text", s.label), "value": ""})
    return pd.DataFrame(meta, columns=["key", *_lang_headers(inst, "text"), "value"])


def odk_validate_available() -> bool:
    """True when ODK Validate can run: pyxform ships its jar, and Java must be on the PATH.

    Examples
    --------
    >>> isinstance(odk_validate_available(), bool)
    True
    """
    try:
        from pyxform.validators import odk_validate
    except ImportError:
        return False
    return shutil.which("java") is not None and odk_validate.install_exists()


def check_xlsform(path: str | Path, *, odk_validate: bool | None = None) -> list[str]:
    """Convert an XLSForm with pyxform (the converter KoboToolbox and ODK Central run) and, when
    Java is present (``odk_validate=None``) or when asked, check the XForm with ODK Validate (the
    JavaRosa parser ODK Collect uses; it rejects broken XPath such as ``. > 1 +`` that pyxform lets
    through). Return the warnings; raise :class:`InstrumentError` with the validator's message when
    the form is rejected.

    The ``xls2xform`` command exits 0 even when conversion fails, so the Python API is used.
    Missing data: not involved (the form is checked, not answers).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = to_xlsform("training_reaction", pathlib.Path(folder.name) / "reaction.xlsx", check=False)
    >>> check_xlsform(path, odk_validate=False)
    []
    >>> folder.cleanup()
    """
    from pyxform.xls2xform import convert  # pyxform is the reference XLSForm converter

    validate = odk_validate_available() if odk_validate is None else odk_validate
    warnings: list[str] = []
    try:
        convert(xlsform=str(path), warnings=warnings, validate=validate)
    except Exception as err:  # pyxform raises PyXFormError, ODKValidateError and plain exceptions
        who = "ODK Validate" if type(err).__name__ == "ODKValidateError" else "pyxform"
        msg = re.sub(r"\s+", " ", str(err)).strip()
        raise InstrumentError(f"{path}: {who} rejects the form: {msg[:600]}") from None
    return warnings


def _autosize(ws: Any, minimum: int, maximum: int) -> None:
    """Readable column widths when a person opens the file."""
    for col_cells in ws.columns:
        width = max(len(str(c.value or "")) for c in col_cells[:60])
        ws.column_dimensions[col_cells[0].column_letter].width = min(max(minimum, width + 2), maximum)


def to_xlsform(instrument: str | Path | Instrument, path: str | Path, *, check: bool = True) -> Path:
    """Write the instrument as an XLSForm (.xlsx) for KoboToolbox / ODK and return the path.

    The layout is described in the module docstring. With ``check=True`` (default) the written
    form is converted with ``pyxform.xls2xform.convert`` and checked with ODK Validate where Java is
    present (see :func:`check_xlsform`); an :class:`InstrumentError` is raised (and no file left
    behind) when either rejects it. Missing data: missing codes become choices marked ``missing``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = to_xlsform("training_reaction", pathlib.Path(folder.name) / "reaction.xlsx", check=False)
    >>> path.name
    'reaction.xlsx'
    >>> from_xlsform(path)[0] == load_instrument("training_reaction")
    True
    >>> folder.cleanup()
    """
    inst = load_instrument(instrument)
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InstrumentError(f"{path}: an XLSForm must be an .xlsx file; use a name ending in .xlsx")
    if check:
        # a broken condition is named by its item here, not by ODK Validate in a temporary file
        bad = check_expressions(inst)
        if bad:
            raise InstrumentError(f"instrument {inst.id!r}: {len(bad)} expression(s) that ODK cannot read; "
                                  "nothing was written", bad)
    sheets = xlsform_sheets(inst)
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, frame in sheets.items():
                frame.to_excel(xw, sheet_name=name, index=False)
                _autosize(xw.sheets[name], 10, 60)
                xw.sheets[name].freeze_panes = "A2"
        if check:
            try:
                check_xlsform(tmp)
            except InstrumentError as err:  # name the file the user asked for, not the temporary one
                raise InstrumentError(str(err).replace(str(tmp), str(path))) from None
    return path


def _lang_of(header: str, default: str | None) -> tuple[str, str]:
    """``'Bahasa Indonesia (id)'`` -> ``('id', 'Bahasa Indonesia')``; a bare name gets a code."""
    header = header.strip()
    m = _LANG_CODE.search(header)
    if m:
        return m.group(1).lower(), header[: m.start()].strip() or m.group(1)
    known = {"english": "en", "indonesian": "id", "bahasa indonesia": "id", "bahasa": "id",
             "indonesia": "id", "en": "en", "id": "id"}
    code = known.get(header.lower())
    if code:
        return code, {"en": "English", "id": "Bahasa Indonesia"}[code]
    code = re.sub(r"[^a-z]", "", header.lower())[:8] or "xx"
    return code, header


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _is_true(v: Any) -> bool:
    return _cell(v).lower() in _TRUE


def _read_sheets(path: Path) -> dict[str, pd.DataFrame]:
    if not path.exists():
        raise InstrumentError(f"{path}: file not found")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InstrumentError(f"{path}: give the XLSForm as an .xlsx file (KoboToolbox: Download XLS)")
    try:
        # keep_default_na=False: a label such as "None" or "NA" is text, not missing
        book = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl", keep_default_na=False)
    except Exception as err:  # a damaged workbook raises many types inside openpyxl
        raise InstrumentError(f"{path}: cannot be read as an Excel workbook ({type(err).__name__}: {err})") from None
    return {str(k).strip().lower(): v.map(_cell) if len(v) else v.astype(str) for k, v in book.items()}


def _lang_columns(frame: pd.DataFrame, prefix: str, default_lang: tuple[str, str]) -> dict[str, str]:
    """Columns ``prefix::<language>`` (or bare ``prefix``) -> language code."""
    out: dict[str, str] = {}
    for c in frame.columns:
        m = _LANG_COL.match(str(c).strip())
        if not m or m.group(1).lower() != prefix:
            continue
        out[c] = _lang_of(m.group(2), None)[0] if m.group(2) else default_lang[0]
    return out


def from_xlsform(path: str | Path) -> tuple[Instrument, list[str]]:
    """Read an XLSForm into an Instrument; return it with a list of what the user still has to add.

    Our own exports (see :func:`to_xlsform`) read back into an equal Instrument and an empty list.
    A foreign form (designed in KoboToolbox, ODK or by hand) imports its questions, choice lists
    and groups; question types the workbench does not analyse (notes, dates, GPS, calculations,
    repeats) are skipped and listed, and so are missing constructs, reverse keys and translations.
    Any failure on a malformed form is an :class:`InstrumentError`.

    Missing data: a choice marked ``missing`` becomes a missing code; in a foreign form without
    that column, a last code far above the others (9 after 1-5) is taken as one and listed.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = to_xlsform("training_reaction", pathlib.Path(folder.name) / "reaction.xlsx", check=False)
    >>> inst, todo = from_xlsform(path)
    >>> inst.id, len(inst.items), todo
    ('training_reaction', 15, [])
    >>> folder.cleanup()
    """
    try:
        return _from_xlsform(Path(path))
    except InstrumentError:
        raise
    except Exception as err:  # a malformed sheet must not surface as a traceback
        raise InstrumentError(f"{path}: cannot be read as an XLSForm ({type(err).__name__}: {str(err)[:200]}); "
                              "check the survey, choices and settings sheets") from None


@dataclass
class _Texts:
    """Reads a text in every language of the form from a row; a missing translation repeats the
    default language (or another) and is remembered for the to-do list."""

    langs: dict[str, str]
    default: tuple[str, str]
    missing: set[str] = field(default_factory=set)

    def __call__(self, row: dict, cols: dict[str, str], what: str, fallback: str | None = None) -> dict | None:
        got = {lang: _cell(row.get(c, "")) for c, lang in cols.items() if _cell(row.get(c, ""))}
        if not got:
            if fallback is None:
                return None
            got = {self.default[0]: fallback}
        out = {}
        for lang in self.langs:
            if got.get(lang):
                out[lang] = got[lang]
            else:
                out[lang] = got.get(self.default[0]) or next(iter(got.values()))
                self.missing.add(f"{what} ({self.langs[lang]})")
        return out


def _from_xlsform(path: Path) -> tuple[Instrument, list[str]]:
    sheets = _read_sheets(path)
    survey, choices, srow = _form_sheets(sheets, path)
    todo: list[str] = []
    langs, default_lang = _form_languages(survey, choices, srow, todo)
    texts = _Texts(langs, default_lang)
    scales, scale_alias = _scales_from_choices(choices, _lang_columns(choices, "label", default_lang), texts, todo)
    constructs = _constructs_from_sheet(sheets.get("constructs"), default_lang, texts, path)
    sections: dict = {}
    errors: list[str] = []
    item_rows: list[int] = []  # the sheet row of each item, to name it in later problems
    items = _items_from_survey(survey, default_lang, texts, scales, scale_alias, constructs, sections, todo,
                               errors, has_choices="choices" in sheets, choice_lists=_list_names(choices),
                               item_rows=item_rows)
    if not errors and not items:
        errors.append(_no_questions(survey, todo))
    if errors:
        raise InstrumentError(f"{path}: {len(errors)} problem(s) in the XLSForm; nothing was imported", errors)
    if "construct" not in survey.columns:
        todo.append("no constructs: add a 'constructs' section and give each scored item 'construct: <id>' "
                    "(and 'reverse: true' for reverse-keyed items) so scores can be computed")
    meta = _instrument_meta(sheets.get("instrument"), default_lang, texts, sections)
    form_id = _cell(srow.get("form_id")) or re.sub(r"\W", "_", path.stem)
    if "title" not in meta:
        meta["title"] = texts({}, {}, "title", _cell(srow.get("form_title")) or form_id)
    if texts.missing:
        shown = sorted(texts.missing)
        todo.append(f"{len(shown)} text(s) have no translation and repeat the other language: "
                    + "; ".join(shown[:8]) + (" ..." if len(shown) > 8 else ""))
    version = _cell(srow.get("version")) or "1"
    if not _cell(srow.get("version")):
        todo.append("the form has no version; '1' was used: set 'version' in the YAML")
    data = {"id": form_id, "version": version, "title": meta.pop("title"), "languages": langs,
            "default_language": default_lang[0], **meta,
            "scales": scales, "constructs": constructs, "sections": sections, "items": items}
    try:
        return instrument_from_dict(data, source=str(path)), todo
    except InstrumentError as err:
        # name the question's row in the user's sheet, not a position in an instrument they never saw
        rows = dict(enumerate(item_rows))

        def placed(p: str) -> str:
            m = re.match(r"^items\[(\d+)\] \((\w+)\)\.(\w+)(?:\.(\w+))?: (.*)$", p)
            if not m or int(m.group(1)) not in rows:
                return p
            k, name, key, lang, rest = int(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5)
            col = next((c for c, lg in _lang_columns(survey, key, default_lang).items() if lg == lang), key) \
                if lang else key
            return f"{_where(survey, rows[k], str(col))}, question {name}: {rest}"
        raise InstrumentError(str(err).split("\n", 1)[0], [placed(p) for p in err.problems]) from None


def _form_sheets(sheets: dict[str, pd.DataFrame], path: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The survey and choices sheets and the settings row; an error when the form has no survey."""
    if "survey" not in sheets:
        raise InstrumentError(f"{path}: no 'survey' sheet; is this an XLSForm? (sheets: {', '.join(sheets)})")
    survey = sheets["survey"]
    for col in ("type", "name"):
        if col not in survey.columns:
            raise InstrumentError(f"{path}: the survey sheet has no '{col}' column")
    choices = sheets.get("choices", pd.DataFrame(columns=["list_name", "name"]))
    settings = sheets.get("settings", pd.DataFrame())
    return survey, choices, settings.iloc[0].to_dict() if len(settings) else {}


def _form_languages(survey: pd.DataFrame, choices: pd.DataFrame, srow: dict,
                    todo: list[str]) -> tuple[dict[str, str], tuple[str, str]]:
    """Languages from every ``label::X`` column (a bare ``label`` column alone is one language) and
    the default language."""
    label_langs: dict[str, str] = {}
    for c in list(survey.columns) + list(choices.columns):
        m = _LANG_COL.match(str(c).strip())
        if m and m.group(2):
            code, name = _lang_of(m.group(2), None)
            label_langs.setdefault(code, name)
    dl_raw = _cell(srow.get("default_language", ""))
    default_lang = _lang_of(dl_raw, None) if dl_raw and dl_raw.lower() != "default" else None
    if not label_langs:
        default_lang = default_lang or ("id", "Bahasa Indonesia")
        label_langs = {default_lang[0]: default_lang[1]}
        if not dl_raw:
            todo.append("the form has one unnamed label language; it was taken as Bahasa Indonesia (id): "
                        "correct 'languages' if not, and add an English translation if you need one")
    elif any(str(c).strip().lower() in ("label", "hint") for c in survey.columns):
        # bare `label` next to label::X is the form's default language
        default_lang = default_lang or next(iter(label_langs.items()))
    if default_lang is None or default_lang[0] not in label_langs:
        default_lang = (next(iter(label_langs)), label_langs[next(iter(label_langs))])
        if dl_raw:
            todo.append(f"settings default_language {dl_raw!r} has no labels; using {default_lang[1]} ({default_lang[0]})")
    return dict(label_langs), default_lang


def _scales_from_choices(choices: pd.DataFrame, ch_cols: dict[str, str], texts: _Texts,
                         todo: list[str]) -> tuple[dict, dict[str, str]]:
    """Scales from choice lists (values must be integers, listed low to high), and list name ->
    scale id (a list name that is not a valid id is renamed)."""
    scales: dict = {}
    scale_alias: dict[str, str] = {}
    if not len(choices) or "list_name" not in choices.columns or "name" not in choices.columns:
        return scales, scale_alias
    for list_name, grp in choices.groupby("list_name", sort=False):
        list_name = str(list_name).strip()
        if not list_name:
            continue
        sname = list_name if NAME_RE.match(list_name) else re.sub(r"\W", "_", list_name)
        scale_alias[list_name] = sname
        scale = _scale_from_list(list_name, grp, ch_cols, texts, todo)
        if scale is not None:
            scales[sname] = scale
    return scales, scale_alias


def _scale_from_list(list_name: str, grp: pd.DataFrame, ch_cols: dict[str, str], texts: _Texts,
                     todo: list[str]) -> dict | None:
    opts, miss, codes = [], [], []
    numeric = all(re.fullmatch(r"-?\d+", _cell(n) or "x") for n in grp["name"])
    explicit_missing = "missing" in grp.columns
    for k, rec in enumerate(grp.to_dict("records")):
        name = _cell(rec["name"])
        codes.append(name)
        opt = {"value": int(name) if numeric else k + 1,
               "label": texts(rec, ch_cols, f"choice {list_name}/{name}", name)}
        (miss if explicit_missing and _is_true(rec.get("missing")) else opts).append(opt)
    if not numeric:
        todo.append(f"choice list {list_name!r} uses text codes ({', '.join(codes[:6])}); they were "
                    f"numbered 1..{len(codes)} in the listed order: check the order is low to high, "
                    "and read data exported with these codes through a recode mapping")
    if not explicit_missing and numeric and len(opts) >= 3:
        _guess_missing_code(list_name, opts, miss, todo)
    opts_sorted = sorted(opts, key=lambda o: o["value"])
    if [o["value"] for o in opts] != [o["value"] for o in opts_sorted]:
        todo.append(f"choice list {list_name!r} was not listed low to high; it was sorted: "
                    "check that a higher value means more of what the item measures")
    if len(opts_sorted) < 2:
        todo.append(f"choice list {list_name!r} has fewer than two answer options; it was skipped")
        return None
    return {"options": opts_sorted, **({"missing": miss} if miss else {})}


def _guess_missing_code(list_name: str, opts: list[dict], miss: list[dict], todo: list[str]) -> None:
    """A last value far above the others (1-5 then 9 or 99) is a "no answer" code: move it."""
    vals = [o["value"] for o in opts]
    rest = sorted(vals)[:-1]
    if max(vals) >= max(rest) + 3:
        last = max(opts, key=lambda o: o["value"])
        opts.remove(last)
        miss.append(last)
        todo.append(f"choice {list_name}/{last['value']} was taken as a missing code (it is far "
                    "above the other values); move it back under options if it is a real answer")


def _constructs_from_sheet(cs: pd.DataFrame | None, default_lang: tuple[str, str], texts: _Texts,
                           path: Path) -> dict:
    constructs: dict = {}
    if cs is None or not len(cs):
        return constructs
    c_lab = _lang_columns(cs, "label", default_lang)
    c_desc = _lang_columns(cs, "description", default_lang)
    for rec in cs.to_dict("records"):
        cid = _cell(rec.get("name"))
        if not cid:
            continue
        c = {"label": texts(rec, c_lab, f"construct {cid}", cid)}
        d = texts(rec, c_desc, f"construct {cid} description")
        if d:
            c["description"] = d
        ma = _cell(rec.get("min_answered"))
        if ma:
            if not re.fullmatch(r"\d+", ma):
                raise InstrumentError(f"{path}: constructs sheet, construct {cid!r}: min_answered {ma!r} "
                                      "is not a whole number; write e.g. 2")
            c["min_answered"] = int(ma)
        constructs[cid] = c
    return constructs


def _list_names(choices: pd.DataFrame) -> list[str]:
    if "list_name" not in choices.columns:
        return []
    return list(dict.fromkeys(n for n in (_cell(v) for v in choices["list_name"]) if n))


def _no_questions(survey: pd.DataFrame, todo: list[str]) -> str:
    if not len(survey) or not any(_cell(v) for v in survey["type"]):
        return ("survey sheet: no questions (the sheet has its header row only); add one row per question "
                "with its type, name and label")
    skipped = next((t for t in todo if t.startswith("skipped")), "")
    return ("survey sheet: no question the workbench can read (select_one, select_multiple, integer, decimal, "
            f"text); {skipped or 'add such questions'}")


def _where(survey: pd.DataFrame, rownum: int, column: str) -> str:
    """``survey sheet, row 5, column F (relevant)``: the place as the user sees it in Excel."""
    from openpyxl.utils import get_column_letter

    cols = [str(c) for c in survey.columns]
    letter = get_column_letter(cols.index(column) + 1) if column in cols else "?"
    return f"survey sheet, row {rownum}, column {letter} ({column})"


_GROUP_TYPES = {"begin_group": "begin", "begin group": "begin", "end_group": "end", "end group": "end",
                "begin_repeat": "repeat", "begin repeat": "repeat", "end_repeat": "repeat", "end repeat": "repeat"}


def _items_from_survey(survey: pd.DataFrame, default_lang: tuple[str, str], texts: _Texts, scales: dict,
                       scale_alias: dict[str, str], constructs: dict, sections: dict, todo: list[str],
                       errors: list[str], *, has_choices: bool = True, choice_lists: list[str] | None = None,
                       item_rows: list[int] | None = None) -> list[dict]:
    """Items from the survey sheet; groups become sections (added to ``sections``), constructs
    named by items but without a row are added to ``constructs``; skipped questions are listed.
    What cannot be imported truthfully (a choice list that does not exist, an expression ODK cannot
    read) goes to ``errors`` with its sheet, row and column."""
    cols = {"label": _lang_columns(survey, "label", default_lang), "hint": _lang_columns(survey, "hint", default_lang)}
    items: list[dict] = []
    group_stack: list[str] = []
    skipped: list[str] = []
    records = survey.to_dict("records")
    # every name in the sheet, with its type: conditions may refer to any of them
    all_names = {_cell(r.get("name")): re.sub(r"\s+", " ", _cell(r.get("type"))) for r in records if _cell(r.get("name"))}
    expressions: list[tuple[int, str, str]] = []
    for rownum, rec in enumerate(records, start=2):
        typ0 = re.sub(r"\s+", " ", _cell(rec.get("type"))).strip()
        parts = typ0.split(" ")
        if parts[0].lower() in ("select_one", "select_multiple") and len(parts) >= 2 \
                and scale_alias.get(parts[1], parts[1]) not in scales and parts[1] not in (choice_lists or []):
            known = ", ".join(map(repr, (choice_lists or [])[:8])) or "none"
            errors.append(f"{_where(survey, rownum, 'type')}: choice list {parts[1]!r} of question "
                          f"{_cell(rec.get('name'))!r} is not in the choices sheet"
                          + ("; the form has no choices sheet: add one with list_name, name and label columns"
                             if not has_choices else f" (its lists: {known}); check the spelling"))
            continue
        typ = re.sub(r"\s+", " ", _cell(rec.get("type"))).strip()
        name = _cell(rec.get("name"))
        group = _GROUP_TYPES.get(typ.lower())
        if not typ:
            continue
        if group == "begin":
            sid = re.sub(r"__\d+$", "", name) or f"group{rownum}"
            group_stack.append(sid)
            if sid not in sections:
                sections[sid] = {"label": texts(rec, cols["label"], f"group {sid}", sid)}
        elif group == "end":
            if group_stack:
                group_stack.pop()
        elif group == "repeat":
            skipped.append(f"{name or 'repeat'} (repeat group: its questions were imported as single questions)")
        else:
            it = _item_from_row(rec, typ, name, cols, texts, scales, scale_alias, skipped, todo)
            if it is None:
                continue
            expressions += [(rownum, key, it[key]) for key in ("relevant", "constraint") if it.get(key)]
            _add_construct(it, rec, constructs, texts.langs, todo)
            if group_stack and group_stack[-1]:
                it["section"] = group_stack[-1]
            items.append(it)
            if item_rows is not None:
                item_rows.append(rownum)
    if skipped:
        todo.append("skipped (the workbench reads select_one, select_multiple, integer, decimal and text "
                    "questions): " + "; ".join(skipped))
    kept = {it["name"] for it in items}
    for rownum, key, expr in expressions:
        for p in check_expression(expr, set(all_names)):
            errors.append(f"{_where(survey, rownum, key)}: {p} in {expr[:120]!r}")
        for ref in dict.fromkeys(re.findall(r"\$\{(?:last-saved#)?([^}]+)\}", expr)):
            if ref in all_names and ref not in kept:
                errors.append(f"{_where(survey, rownum, key)}: refers to ${{{ref}}}, a {all_names[ref] or 'untyped'} "
                              "row the workbench does not import; remove the condition or make it refer to an "
                              "imported question")
    return items


def _item_from_row(rec: dict, typ: str, name: str, cols: dict[str, dict[str, str]], texts: _Texts, scales: dict,
                   scale_alias: dict[str, str], skipped: list[str], todo: list[str]) -> dict | None:
    """One question row as an item mapping, or None (listed in ``skipped``) for types not read."""
    parts = typ.split(" ")
    base = parts[0].lower()
    if base in ("select_one", "select_multiple") and len(parts) >= 2:
        list_name = parts[1]
        if len(parts) > 2 and parts[2].lower() == "or_other":
            todo.append(f"{name}: 'or_other' was dropped; an 'other' answer needs its own text item")
        it: dict = {"name": name, "type": base, "scale": scale_alias.get(list_name, list_name)}
        if it["scale"] not in scales:
            skipped.append(f"{name} (its choice list {list_name!r} is missing or unusable)")
            return None
    elif base in ("integer", "decimal", "text"):
        it = {"name": name, "type": base}
    else:
        skipped.append(f"{name} ({typ})")
        return None
    if not NAME_RE.match(name):
        new = re.sub(r"\W", "_", name)
        new = (new if re.match(r"[A-Za-z]", new) else f"q_{new}")[:32]
        todo.append(f"question {name!r} was renamed {new!r} (names need letters, digits and _ only, "
                    "at most 32, starting with a letter)")
        it["name"] = new
    it["label"] = texts(rec, cols["label"], f"question {name}", name)
    h = texts(rec, cols["hint"], f"hint of {name}")
    if h:
        it["hint"] = h
    req = _cell(rec.get("required"))
    if req and _is_true(req):
        it["required"] = True
    elif req and req.lower() not in ("no", "false", "0", "false()"):
        todo.append(f"{name}: required is an expression ({req}); set 'required' by hand")
    for key in ("relevant", "constraint"):
        v = _cell(rec.get(key))
        if v:
            it[key] = v
    if _is_true(rec.get("reverse")):
        it["reverse"] = True
    if _is_true(rec.get("identifier")):
        it["identifier"] = True
    return it


def _add_construct(it: dict, rec: dict, constructs: dict, langs: dict[str, str], todo: list[str]) -> None:
    con = _cell(rec.get("construct"))
    if not con:
        return
    it["construct"] = con
    if con not in constructs:
        constructs[con] = {"label": {lang: con for lang in langs}}
        todo.append(f"construct {con!r} has no row in a constructs sheet: give it a label in every language")


def _instrument_meta(meta: pd.DataFrame | None, default_lang: tuple[str, str], texts: _Texts,
                     sections: dict) -> dict[str, Any]:
    """Title, description and source from our ``instrument`` sheet; sections without items are
    added to ``sections``."""
    out: dict[str, Any] = {}
    if meta is None or not len(meta) or "key" not in meta.columns:
        return out
    t_cols = _lang_columns(meta.rename(columns=lambda c: re.sub(r"^text", "label", str(c))), "label", default_lang)
    t_cols = {re.sub(r"^label", "text", c): lang for c, lang in t_cols.items()}
    for rec in meta.to_dict("records"):
        key = _cell(rec.get("key"))
        if key in ("title", "description"):
            value = texts(rec, t_cols, key)
            if value is not None:
                out[key] = value
        elif key == "source":
            value = _cell(rec.get("value"))
            if value:
                out["source"] = value
        elif key.startswith("section:"):
            sid = key.split(":", 1)[1]
            sections.setdefault(sid, {"label": texts(rec, t_cols, f"section {sid}", sid)})
    return out


def codebook(instrument: str | Path | Instrument) -> pd.DataFrame:
    """One row per variable, then one row per construct score.

    Columns: position, name, kind (``item`` or ``score``), type, section, ``label_<lang>`` for each
    language, construct, reverse, identifier, ``values_<lang>`` (``1=...; 2=...``), missing_codes,
    required, relevant, constraint, and the column name each tool writes: ``kobo_column``
    (KoboToolbox, "XML values and headers": group path ``section/name``), ``odk_column`` (ODK
    Central: ``section-name``) and ``google_forms_column`` (the question text in the default
    language). A score row's ``formula`` says how it is computed.

    Missing data: ``missing_codes`` lists the codes that score as NA; a score's formula says how
    many answered items it needs.

    Examples
    --------
    >>> cb = codebook("training_reaction")
    >>> cb[["name", "kind", "construct", "reverse", "missing_codes"]].iloc[[0, 3, 15]]
             name   kind  construct  reverse      missing_codes
    0        REL1   item  relevance    False  9=Tidak menjawab
    3        REL4   item  relevance     True  9=Tidak menjawab
    15  relevance  score  relevance    False
    >>> cb.loc[15, "formula"]
    'mean(REL1, REL2, REL3, (6 - REL4)) over answered items when at least 2 of 4 are answered, else missing'
    """
    inst = load_instrument(instrument)
    rows = [_codebook_item_row(inst, it, pos) for pos, it in enumerate(inst.items, start=1)]
    rows += [_codebook_score_row(inst, cid, pos)
             for pos, cid in enumerate(inst.constructs, start=len(rows) + 1)]
    return pd.DataFrame(rows)


def _codebook_item_row(inst: Instrument, it: Item, pos: int) -> dict[str, Any]:
    sc = inst.scale_of(it)
    row: dict[str, Any] = {"position": pos, "name": it.name, "kind": "item", "type": it.type,
                           "section": it.section or ""}
    for lang in inst.languages:
        row[f"label_{lang}"] = inst.text(it.label, lang)
    row.update(construct=it.construct or "", reverse=bool(it.reverse), identifier=bool(it.identifier))
    for lang in inst.languages:
        row[f"values_{lang}"] = "; ".join(f"{o.value}={o.label[lang]}" for o in sc.options) if sc else ""
    row["missing_codes"] = "; ".join(f"{o.value}={inst.text(o.label)}" for o in sc.missing) if sc else ""
    row.update(required=bool(it.required), relevant=it.relevant or "", constraint=it.constraint or "",
               formula="",
               kobo_column=f"{it.section}/{it.name}" if it.section else it.name,
               odk_column=f"{it.section}-{it.name}" if it.section else it.name,
               google_forms_column=inst.text(it.label))
    return row


def _codebook_score_row(inst: Instrument, cid: str, pos: int) -> dict[str, Any]:
    c = inst.constructs[cid]
    members = inst.items_of(cid)
    terms = []
    for it in members:
        sc = inst.scales[it.scale]
        terms.append(f"({sc.min + sc.max} - {it.name})" if it.reverse else it.name)
    row: dict[str, Any] = {"position": pos, "name": cid, "kind": "score", "type": "decimal", "section": ""}
    for lang in inst.languages:
        row[f"label_{lang}"] = inst.text(c.label, lang)
    row.update(construct=cid, reverse=False, identifier=False)
    for lang in inst.languages:
        row[f"values_{lang}"] = ""
    row.update(missing_codes="", required=False, relevant="", constraint="",
               formula=(f"mean({', '.join(terms)}) over answered items when at least {c.min_answered} "
                        f"of {len(members)} are answered, else missing"),
               kobo_column="", odk_column="", google_forms_column="")
    return row


def write_codebook(instrument: str | Path | Instrument, path: str | Path) -> Path:
    """Write :func:`codebook` to ``.csv`` (UTF-8 with BOM, so Excel shows Indonesian text right) or
    ``.xlsx``; the file is written under a temporary name and renamed when complete.

    Missing data: as in :func:`codebook` (missing codes listed per item).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_codebook("training_reaction", pathlib.Path(folder.name) / "codebook.csv")
    >>> path.read_bytes()[:3] == b"\\xef\\xbb\\xbf"  # the BOM Excel needs
    True
    >>> folder.cleanup()
    """
    path = Path(path)
    cb = codebook(instrument)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        atomic_write_bytes(path, cb.to_csv(index=False).encode("utf-8-sig"))
    elif suffix == ".xlsx":
        with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            cb.to_excel(xw, sheet_name="codebook", index=False)
            _autosize(xw.sheets["codebook"], 8, 50)
            xw.sheets["codebook"].freeze_panes = "C2"
    else:
        raise InstrumentError(f"{path}: write the codebook as .csv or .xlsx")
    return path


_UI = {
    "id": {"items": "pertanyaan", "version": "versi", "required": "wajib diisi", "if": "diisi jika",
           "identifier": "data pribadi: disamarkan sebelum analisis", "choose_many": "boleh memilih lebih dari satu",
           "thanks": "Terima kasih atas partisipasi Saudara.", "no": "No."},
    "en": {"items": "questions", "version": "version", "required": "required", "if": "answer if",
           "identifier": "personal data: pseudonymised before analysis", "choose_many": "choose all that apply",
           "thanks": "Thank you for taking part.", "no": "No."},
}


def _escape(value: Any) -> Any:
    """Jinja's ``finalize``: every value escaped with :func:`html.escape`, like the rest of the
    workbench (markupsafe writes ``&#39;`` where html.escape writes ``&#x27;``, so a label would
    read differently in the questionnaire than in a report); macro output (Markup) passes as it is.
    Autoescape stays on underneath."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value)))


@lru_cache(maxsize=1)
def _questionnaire_template() -> Any:
    import jinja2  # installed with nbconvert, which the report export needs anyway

    env = jinja2.Environment(loader=jinja2.PackageLoader("survey", "templates/questionnaire"), autoescape=True,
                             finalize=_escape, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("questionnaire.html.j2")


def render_questionnaire(draft: dict, langs: list[str], *, standalone: bool = True, designer: bool = False) -> str:
    """The questionnaire of an instrument mapping (a draft, valid or not) as HTML.

    The one renderer behind the printable questionnaire (:func:`questionnaire_html`,
    ``standalone=True``: a whole page, A4) and the designer's preview
    (:func:`survey.drafts.questionnaire_html`, ``standalone=False``: a fragment with scoped styles;
    ``designer=True`` adds each item's name and reverse mark). ``langs`` are the languages shown,
    side by side when several. Consecutive select_one items of one section that share a scale of
    at most 7 answers are a grid. Every text is HTML-escaped; a text not yet written shows as ⚠.

    Missing data: a scale's missing codes (e.g. 9 "Tidak menjawab") are printed as their own,
    greyed answer column, because a respondent may choose them.

    Examples
    --------
    >>> from survey.drafts import draft_of
    >>> page = render_questionnaire(draft_of("training_reaction"), ["en"])
    >>> page.startswith("<!DOCTYPE html>"), page.count("<td class='box'>")
    (True, 70)
    """
    ui = _UI.get(langs[0], _UI["en"]) if langs else _UI["en"]
    doc = _questionnaire_doc(draft, langs, designer)
    return _questionnaire_template().render(doc=doc, ui=ui, standalone=standalone, designer=designer)


def _texts(t: Any, langs: list[str]) -> list[tuple[str, str]]:
    """A text as (language, text) pairs; a text missing or blank in a language is ``""``."""
    if not isinstance(t, dict):
        t = {} if t is None else {lang: str(t) for lang in langs}
    out = []
    for lang in langs:
        s = t.get(lang)
        out.append((lang, str(s) if s is not None and str(s).strip() else ""))
    return out


def _questionnaire_doc(d: dict, langs: list[str], designer: bool) -> dict[str, Any]:
    items = [it for it in d.get("items") or [] if isinstance(it, dict)]
    title = d.get("title") if isinstance(d.get("title"), dict) else {}
    return {
        "lang": langs[0] if langs else "",
        "title": _texts(title, langs),
        "title_plain": " / ".join(str(title.get(x) or "") for x in langs),
        "id": d.get("id", ""), "version": d.get("version", ""), "n_items": len(items),
        "description": _texts(d["description"], langs) if d.get("description") else None,
        "source": d.get("source") or "",
        "blocks": _questionnaire_blocks(d, items, langs, designer),
    }


def _questionnaire_blocks(d: dict, items: list[dict], langs: list[str], designer: bool) -> list[dict]:
    """Headings, grids and single questions in order, numbered. The printout groups by section;
    the designer's preview of an instrument without sections groups by construct."""
    scales = d.get("scales") or {}
    sections = d.get("sections") or {}
    group_key, groups = ("section", sections) if sections or not designer else ("construct", d.get("constructs") or {})
    blocks: list[dict] = []
    number, k = 0, 0
    current: Any = object()
    while k < len(items):
        it = items[k]
        g = it.get(group_key)
        if g != current:
            current = g
            if g:
                label = (groups.get(g) or {}).get("label") if isinstance(groups.get(g), dict) else None
                blocks.append({"kind": "heading", "text": _texts(label if label is not None else str(g), langs)})
        run = _grid_run(items, k, group_key, scales)
        if run:
            sc = scales[it["scale"]]
            blocks.append({"kind": "grid", "options": _options(sc.get("options"), langs),
                           "missing": _options(sc.get("missing"), langs),
                           "rows": [_question(r, number + j + 1, langs, scales) for j, r in enumerate(run)]})
            number += len(run)
            k += len(run)
            continue
        number += 1
        blocks.append({"kind": "question", **_question(it, number, langs, scales)})
        k += 1
    return blocks


def _grid_run(items: list[dict], k: int, group_key: str, scales: dict) -> list[dict]:
    """Items from ``k`` on that share one grid (select_one, same scale and group, no condition after
    the first); empty when fewer than two, or when the scale has more than 7 answers."""
    it = items[k]
    sc = scales.get(it.get("scale"))
    if it.get("type", "select_one") != "select_one" or not isinstance(sc, dict):
        return []
    run = [it]
    for nxt in items[k + 1:]:
        if (nxt.get("type", "select_one") != "select_one" or nxt.get("scale") != it.get("scale")
                or nxt.get(group_key) != it.get(group_key) or nxt.get("relevant")):
            break
        run.append(nxt)
    n_answers = len(sc.get("options") or []) + len(sc.get("missing") or [])
    return run if len(run) >= 2 and n_answers <= 7 else []


def _options(options: Any, langs: list[str]) -> list[dict]:
    return [{"value": o.get("value"), "label": _texts(o.get("label"), langs)}
            for o in options or [] if isinstance(o, dict)]


def _question(it: dict, number: int, langs: list[str], scales: dict) -> dict[str, Any]:
    typ = it.get("type", "select_one")
    q: dict[str, Any] = {
        "number": number, "name": str(it.get("name", "")), "reverse": bool(it.get("reverse")),
        "label": _texts(it.get("label"), langs), "hint": _texts(it["hint"], langs) if it.get("hint") else None,
        "required": bool(it.get("required")), "identifier": bool(it.get("identifier")),
        # ${TRA1} >= 3 reads as "TRA1 >= 3" on paper; the enumerator sees the item names printed
        "relevant": re.sub(r"\$\{(\w+)\}", r"\1", str(it["relevant"])) if it.get("relevant") else "",
        "answer": None, "many": typ == "select_multiple", "options": [], "boxes": 0,
    }
    sc = scales.get(it.get("scale")) if it.get("scale") else None
    if typ in ("select_one", "select_multiple"):
        if isinstance(sc, dict):
            q["answer"] = "choices"
            q["options"] = _options([*(sc.get("options") or []), *(sc.get("missing") or [])], langs)
    elif typ == "integer":
        q["answer"], q["boxes"] = "boxes", 18 if it.get("identifier") else 4
    elif typ == "decimal":
        q["answer"], q["boxes"] = "boxes", 6
    elif it.get("identifier"):
        q["answer"], q["boxes"] = "boxes", 18
    else:
        q["answer"] = "lines"
    return q


def questionnaire_html(instrument: str | Path | Instrument, lang: str = "id") -> str:
    """A self-contained, printable HTML questionnaire (no scripts, no external files).

    ``lang`` is a language of the instrument (``"id"``, ``"en"``) or ``"both"`` for the languages
    side by side. Consecutive select_one items of one section that share a scale are printed as a
    grid (one row per item, one tick box per answer). Every text is HTML-escaped. The designer's
    preview is the same questionnaire (one template, see :func:`render_questionnaire`).

    Missing data: missing codes such as 9 "Tidak menjawab" are printed as a separate, greyed
    answer column because a respondent may choose them.

    Examples
    --------
    >>> page = questionnaire_html("training_reaction", "en")
    >>> page.startswith("<!DOCTYPE html>"), "<script" in page
    (True, False)
    >>> "The content of this training matches" in page
    True
    """
    inst = load_instrument(instrument)
    if lang == "both":
        langs = list(inst.languages)
    elif lang in inst.languages:
        langs = [lang]
    else:
        raise InstrumentError(f"lang {lang!r}: use one of {', '.join([*inst.languages, 'both'])}")
    return render_questionnaire(inst.model_dump(by_alias=True, mode="json"), langs)


def chromium_path() -> str | None:
    """The headless browser used for PDF output (Debian's ``chromium``), or None.

    Examples
    --------
    >>> path = chromium_path()
    >>> path is None or isinstance(path, str)
    True
    """
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def html_to_pdf(html_text: str, path: str | Path, *, timeout: float = 90) -> Path:
    """Print HTML to PDF with headless Chromium; raise :class:`InstrumentError` when it is missing
    or fails. The browser process is stopped by its PID when it overruns ``timeout``.

    Examples
    --------
    Starting a browser takes seconds, so this example is not run as a test:

    >>> html_to_pdf(questionnaire_html("training_reaction"), "kuesioner.pdf")  # doctest: +SKIP
    PosixPath('kuesioner.pdf')
    """
    path = Path(path)
    exe = chromium_path()
    if exe is None:
        raise InstrumentError("PDF output needs Chromium (apt install chromium); write .html instead "
                              "and print it from a browser")
    with tempfile.TemporaryDirectory(prefix="survey-pdf-") as td:
        src = Path(td) / "questionnaire.html"
        src.write_text(html_text, encoding="utf-8")
        tmp_pdf = Path(td) / "out.pdf"
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
               f"--user-data-dir={td}/profile", f"--print-to-pdf={tmp_pdf}", src.as_uri()]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()  # this PID only; its renderer children exit with it
            proc.communicate()
            raise InstrumentError(f"Chromium did not finish printing {path.name} within {timeout:.0f} s") from None
        if not tmp_pdf.exists() or tmp_pdf.stat().st_size == 0:
            msg = (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise InstrumentError(f"Chromium could not print the PDF ({msg[0]})")
        atomic_write_bytes(path, tmp_pdf.read_bytes())
    return path


def write_questionnaire(instrument: str | Path | Instrument, path: str | Path, lang: str = "id") -> Path:
    """Write the printable questionnaire (:func:`questionnaire_html`) as ``.html`` or, through
    headless Chromium, ``.pdf``. Missing data: missing codes are printed as answers.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_questionnaire("training_reaction", pathlib.Path(folder.name) / "q.html", "both")
    >>> path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    >>> folder.cleanup()
    """
    path = Path(path)
    text = questionnaire_html(instrument, lang)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        atomic_write_bytes(path, text.encode("utf-8"))
    elif suffix == ".pdf":
        html_to_pdf(text, path)
    else:
        raise InstrumentError(f"{path}: write the questionnaire as .html or .pdf")
    return path


@dataclass
class _SavMeta:
    """What pyreadstat writes beside the values, per variable."""

    labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    missing_ranges: dict[str, list] = field(default_factory=dict)
    measure: dict[str, str] = field(default_factory=dict)


def write_sav(df: pd.DataFrame, instrument: str | Path | Instrument, path: str | Path,
              lang: str | None = None) -> Path:
    """Write responses as a labelled SPSS ``.sav`` file (through pyreadstat, i.e. ReadStat).

    Item columns get their label (``lang``, default the instrument's language) as variable label,
    their scale as value labels (missing codes included), the scale's missing codes as SPSS
    user-missing values, and a measure: ordinal for scored select_one items, nominal for other
    choices and text, scale for numbers. Columns whose names SPSS does not accept (e.g. Kobo's
    ``_uuid``) are renamed (``uuid``) and keep the original name as their variable label. Nullable
    integers are written as numbers, booleans as 0/1. :func:`survey.read_responses` reads the file
    back into the same frame.

    Missing data: ``NA`` is written as system-missing; missing codes still in the data (e.g. 9)
    stay as user-missing values.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pyreadstat
    >>> from survey import datasets
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_sav(datasets.load("reaction").head(5), "training_reaction",
    ...                  pathlib.Path(folder.name) / "reaction.sav", lang="en")
    >>> data, meta = pyreadstat.read_sav(str(path))
    >>> data.shape, meta.variable_value_labels["REL1"][5.0]
    ((5, 14), 'Strongly agree')
    >>> folder.cleanup()
    """
    import pyreadstat  # ReadStat writes .sav files that SPSS, PSPP and R haven read

    inst = load_instrument(instrument)
    lang = lang or inst.default_language
    path = Path(path)
    if path.suffix.lower() != ".sav":
        raise DataError(f"{path}: an SPSS data file must end in .sav")
    out = pd.DataFrame(index=range(len(df)))
    meta = _SavMeta()
    taken: set[str] = set()
    for col in df.columns:
        name = str(col) if _SPSS_NAME.match(str(col)) and str(col).lower() not in taken else spss_name(col, taken)
        taken.add(name.lower())
        it = inst.item_map.get(str(col))
        out[name] = _sav_values(df[col].reset_index(drop=True), it, name, meta)
        if it is not None:
            _sav_item_meta(inst, it, name, lang, meta)
        else:
            if name != str(col):
                meta.labels[name] = str(col)
            meta.measure[name] = "scale" if pd.api.types.is_numeric_dtype(out[name].dtype) else "nominal"
    try:
        with atomic_path(path) as tmp:
            pyreadstat.write_sav(out, str(tmp), column_labels=meta.labels, variable_value_labels=meta.value_labels,
                                 missing_ranges=meta.missing_ranges, variable_measure=meta.measure,
                                 file_label=inst.text(inst.title, lang)[:64])
    except Exception as err:  # ReadStat reports bad names/values as generic errors
        raise DataError(f"{path}: SPSS file could not be written ({type(err).__name__}: {err})") from None
    return path


def _sav_values(s: pd.Series, it: Item | None, name: str, meta: _SavMeta) -> pd.Series:
    """A column as SPSS can store it: numbers as doubles, booleans as 0/1, text as objects."""
    if it is not None and it.type in ("select_one", "integer", "decimal"):
        return pd.to_numeric(s, errors="coerce").astype("float64")
    if pd.api.types.is_bool_dtype(s.dtype):
        # 0/1 with value labels false/true: SPSS has no boolean; read_responses restores it
        meta.value_labels[name] = {0.0: "false", 1.0: "true"}
        return s.astype("float64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    return s.astype(object).where(s.notna(), None)


def _sav_item_meta(inst: Instrument, it: Item, name: str, lang: str, meta: _SavMeta) -> None:
    meta.labels[name] = inst.text(it.label, lang)[:256]
    sc = inst.scale_of(it)
    if sc is not None and it.type == "select_one":
        meta.value_labels[name] = {float(o.value): o.label[lang] for o in [*sc.options, *sc.missing]}
        if sc.missing:
            meta.missing_ranges[name] = [float(v) for v in sc.missing_values][:3]  # SPSS holds at most 3
        meta.measure[name] = "ordinal" if it.construct else "nominal"
    else:
        meta.measure[name] = "scale" if it.type in ("integer", "decimal") else "nominal"
