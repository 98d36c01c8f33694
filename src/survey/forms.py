"""Instruments out and back in: XLSForm, codebook, printable questionnaire, SPSS.

Field teams collect with KoboToolbox or ODK Collect (XLSForm), print questionnaires for paper
interviews and pass data around as SPSS files. This module turns an :class:`~survey.instrument.Instrument`
into each of those and reads an XLSForm back (see DESIGN.md, "XLSForm mapping").

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
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from .errors import DataError, InstrumentError
from .files import atomic_path, atomic_write_bytes
from .instrument import NAME_RE, Instrument, instrument_from_dict, load_instrument

_TRUE = {"yes", "true", "1", "y", "ya", "true()"}
_LANG_COL = re.compile(r"^(label|hint|description|title)(?:::(.+))?$", re.IGNORECASE)
_LANG_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$")


def _lang_header(inst: Instrument, lang: str) -> str:
    return f"{inst.languages[lang]} ({lang})"


# ------------------------------------------------------------------------------------------------
# XLSForm out
# ------------------------------------------------------------------------------------------------
def xlsform_sheets(instrument: str | Path | Instrument) -> dict[str, pd.DataFrame]:
    """The XLSForm as DataFrames, one per sheet (``survey``, ``choices``, ``settings``,
    ``constructs``, ``instrument``); :func:`to_xlsform` writes exactly these."""
    inst = load_instrument(instrument)
    langs = list(inst.languages)
    L = {lang: _lang_header(inst, lang) for lang in langs}

    def texts(prefix: str, t: dict | None) -> dict[str, str]:
        return {f"{prefix}::{L[lang]}": (t or {}).get(lang, "") for lang in langs}

    rows: list[dict] = []
    used_groups: dict[str, int] = {}
    current: str | None = None

    def close_group() -> None:
        if current is not None:
            rows.append({"type": "end_group", "name": group_name})

    group_name = ""
    for it in inst.items:
        if it.section != current:
            close_group()
            current = it.section
            if current is not None:
                # a section that comes back later needs a distinct group name (XML names are unique)
                k = used_groups.get(current, 0) + 1
                used_groups[current] = k
                group_name = current if k == 1 else f"{current}__{k}"
                rows.append({"type": "begin_group", "name": group_name,
                             **texts("label", inst.sections[current].label), "appearance": "field-list"})
        typ = f"{it.type} {it.scale}" if it.type in ("select_one", "select_multiple") else it.type
        rows.append({
            "type": typ, "name": it.name, **texts("label", it.label), **texts("hint", it.hint),
            "required": "yes" if it.required else "",
            "relevant": it.relevant or "", "constraint": it.constraint or "",
            "appearance": "likert" if it.type == "select_one" else "",
            "construct": it.construct or "", "reverse": "yes" if it.reverse else "",
            "identifier": "yes" if it.identifier else "",
        })
    close_group()
    survey_cols = ["type", "name", *[f"label::{L[x]}" for x in langs], *[f"hint::{L[x]}" for x in langs],
                   "required", "relevant", "constraint", "appearance", "construct", "reverse", "identifier"]
    survey = pd.DataFrame(rows, columns=survey_cols).fillna("")

    choices = pd.DataFrame(
        [{"list_name": sid, "name": str(o.value), **texts("label", o.label), "missing": ""}
         for sid, sc in inst.scales.items() for o in sc.options]
        + [{"list_name": sid, "name": str(o.value), **texts("label", o.label), "missing": "yes"}
           for sid, sc in inst.scales.items() for o in sc.missing],
        columns=["list_name", "name", *[f"label::{L[x]}" for x in langs], "missing"])
    # keep each list together (pyxform does not mind, people reading the sheet do)
    order = {sid: k for k, sid in enumerate(inst.scales)}
    choices = choices.sort_values("list_name", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)

    settings = pd.DataFrame([{
        "form_id": inst.id, "version": inst.version, "form_title": inst.text(inst.title),
        "default_language": L[inst.default_language],
    }])
    constructs = pd.DataFrame(
        [{"name": cid, **texts("label", c.label), **texts("description", c.description),
          "min_answered": c.min_answered} for cid, c in inst.constructs.items()],
        columns=["name", *[f"label::{L[x]}" for x in langs], *[f"description::{L[x]}" for x in langs],
                 "min_answered"])
    meta = [{"key": "title", **texts("text", inst.title), "value": ""}]
    if inst.description:
        meta.append({"key": "description", **texts("text", inst.description), "value": ""})
    if inst.source:
        meta.append({"key": "source", **texts("text", None), "value": inst.source})
    for sid, s in inst.sections.items():
        if sid not in used_groups:
            meta.append({"key": f"section:{sid}", **texts("text", s.label), "value": ""})
    instrument_sheet = pd.DataFrame(meta, columns=["key", *[f"text::{L[x]}" for x in langs], "value"])
    return {"survey": survey, "choices": choices, "settings": settings,
            "constructs": constructs, "instrument": instrument_sheet}


def odk_validate_available() -> bool:
    """True when ODK Validate can run: pyxform ships its jar, and Java must be on the PATH."""
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


def to_xlsform(instrument: str | Path | Instrument, path: str | Path, *, check: bool = True) -> Path:
    """Write the instrument as an XLSForm (.xlsx) for KoboToolbox / ODK and return the path.

    The layout is described in the module docstring. With ``check=True`` (default) the written
    form is converted with ``pyxform.xls2xform.convert`` and checked with ODK Validate where Java is
    present (see :func:`check_xlsform`); an :class:`InstrumentError` is raised (and no file left
    behind) when either rejects it.
    """
    inst = load_instrument(instrument)
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InstrumentError(f"{path}: an XLSForm must be an .xlsx file; use a name ending in .xlsx")
    sheets = xlsform_sheets(inst)
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, frame in sheets.items():
                frame.to_excel(xw, sheet_name=name, index=False)
                ws = xw.sheets[name]
                for col_cells in ws.columns:  # readable widths when a person opens the file
                    width = max(len(str(c.value or "")) for c in col_cells[:60])
                    ws.column_dimensions[col_cells[0].column_letter].width = min(max(10, width + 2), 60)
                ws.freeze_panes = "A2"
        if check:
            check_xlsform(tmp)
    return path


# ------------------------------------------------------------------------------------------------
# XLSForm back in
# ------------------------------------------------------------------------------------------------
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


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _is_true(v) -> bool:
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
    """Read an XLSForm into an Instrument; see :func:`_from_xlsform`. Any failure on a malformed
    form is an :class:`InstrumentError`."""
    try:
        return _from_xlsform(path)
    except InstrumentError:
        raise
    except Exception as err:  # a malformed sheet must not surface as a traceback
        raise InstrumentError(f"{path}: cannot be read as an XLSForm ({type(err).__name__}: {str(err)[:200]}); "
                              "check the survey, choices and settings sheets") from None


def _from_xlsform(path: str | Path) -> tuple[Instrument, list[str]]:
    """Read an XLSForm into an Instrument; return it with a list of what the user still has to add.

    Our own exports (see :func:`to_xlsform`) read back into an equal Instrument and an empty list.
    A foreign form (designed in KoboToolbox, ODK or by hand) imports its questions, choice lists
    and groups; question types the workbench does not analyse (notes, dates, GPS, calculations,
    repeats) are skipped and listed, and so are missing constructs, reverse keys and translations.
    """
    path = Path(path)
    sheets = _read_sheets(path)
    todo: list[str] = []
    if "survey" not in sheets:
        raise InstrumentError(f"{path}: no 'survey' sheet; is this an XLSForm? (sheets: {', '.join(sheets)})")
    survey = sheets["survey"]
    choices = sheets.get("choices", pd.DataFrame(columns=["list_name", "name"]))
    settings = sheets.get("settings", pd.DataFrame())
    srow = settings.iloc[0].to_dict() if len(settings) else {}
    for col in ("type", "name"):
        if col not in survey.columns:
            raise InstrumentError(f"{path}: the survey sheet has no '{col}' column")

    # languages: from every label::X column; a form with a bare `label` column has one language
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
    langs = dict(label_langs)
    missing_tr: set[str] = set()

    def text_from(row: dict, cols: dict[str, str], what: str, fallback: str | None = None) -> dict | None:
        got = {lang: _cell(row.get(c, "")) for c, lang in cols.items() if _cell(row.get(c, ""))}
        if not got:
            if fallback is None:
                return None
            got = {default_lang[0]: fallback}
        out = {}
        for lang in langs:
            if got.get(lang):
                out[lang] = got[lang]
            else:
                out[lang] = got.get(default_lang[0]) or next(iter(got.values()))
                missing_tr.add(f"{what} ({langs[lang]})")
        return out

    lab_cols = _lang_columns(survey, "label", default_lang)
    hint_cols = _lang_columns(survey, "hint", default_lang)
    ch_cols = _lang_columns(choices, "label", default_lang)

    # --- scales from choice lists (values must be integers, listed low to high) ---------------------
    scales: dict = {}
    scale_alias: dict[str, str] = {}
    if len(choices) and "list_name" in choices.columns and "name" in choices.columns:
        for list_name, grp in choices.groupby("list_name", sort=False):
            list_name = str(list_name).strip()
            if not list_name:
                continue
            opts, miss, codes = [], [], []
            numeric = all(re.fullmatch(r"-?\d+", _cell(n) or "x") for n in grp["name"])
            explicit_missing = "missing" in grp.columns
            for k, rec in enumerate(grp.to_dict("records")):
                name = _cell(rec["name"])
                value = int(name) if numeric else k + 1
                codes.append(name)
                opt = {"value": value, "label": text_from(rec, ch_cols, f"choice {list_name}/{name}", name)}
                (miss if explicit_missing and _is_true(rec.get("missing")) else opts).append(opt)
            if not numeric:
                todo.append(f"choice list {list_name!r} uses text codes ({', '.join(codes[:6])}); they were "
                            f"numbered 1..{len(codes)} in the listed order: check the order is low to high, "
                            "and read data exported with these codes through a recode mapping")
            if not explicit_missing and numeric and len(opts) >= 3:
                vals = [o["value"] for o in opts]
                rest = sorted(vals)[:-1]
                if max(vals) >= max(rest) + 3:  # e.g. 1-5 then 9 or 99: a "no answer" code
                    last = max(opts, key=lambda o: o["value"])
                    opts.remove(last)
                    miss.append(last)
                    todo.append(f"choice {list_name}/{last['value']} was taken as a missing code (it is far "
                                "above the other values); move it back under options if it is a real answer")
            opts_sorted = sorted(opts, key=lambda o: o["value"])
            if [o["value"] for o in opts] != [o["value"] for o in opts_sorted]:
                todo.append(f"choice list {list_name!r} was not listed low to high; it was sorted: "
                            "check that a higher value means more of what the item measures")
            sname = list_name if NAME_RE.match(list_name) else re.sub(r"\W", "_", list_name)
            scale_alias[list_name] = sname
            if len(opts_sorted) >= 2:
                scales[sname] = {"options": opts_sorted, **({"missing": miss} if miss else {})}
            else:
                todo.append(f"choice list {list_name!r} has fewer than two answer options; it was skipped")

    # --- sections, constructs ----------------------------------------------------------------------
    sections: dict = {}
    constructs: dict = {}
    if "constructs" in sheets and len(sheets["constructs"]):
        cs = sheets["constructs"]
        c_lab = _lang_columns(cs, "label", default_lang)
        c_desc = _lang_columns(cs, "description", default_lang)
        for rec in cs.to_dict("records"):
            cid = _cell(rec.get("name"))
            if not cid:
                continue
            c = {"label": text_from(rec, c_lab, f"construct {cid}", cid)}
            d = text_from(rec, c_desc, f"construct {cid} description")
            if d:
                c["description"] = d
            ma = _cell(rec.get("min_answered"))
            if ma:
                if not re.fullmatch(r"\d+", ma):
                    raise InstrumentError(f"{path}: constructs sheet, construct {cid!r}: min_answered {ma!r} "
                                          "is not a whole number; write e.g. 2")
                c["min_answered"] = int(ma)
            constructs[cid] = c

    # --- items -------------------------------------------------------------------------------------
    items: list[dict] = []
    group_stack: list[str | None] = []
    skipped: list[str] = []
    has_construct_col = "construct" in survey.columns
    for rownum, rec in enumerate(survey.to_dict("records"), start=2):
        typ = re.sub(r"\s+", " ", _cell(rec.get("type"))).strip()
        name = _cell(rec.get("name"))
        low = typ.lower()
        if not typ:
            continue
        if low in ("begin_group", "begin group"):
            sid = re.sub(r"__\d+$", "", name) or f"group{rownum}"
            group_stack.append(sid)
            if sid not in sections:
                sections[sid] = {"label": text_from(rec, lab_cols, f"group {sid}", sid)}
            continue
        if low in ("end_group", "end group"):
            if group_stack:
                group_stack.pop()
            continue
        if low in ("begin_repeat", "begin repeat", "end_repeat", "end repeat"):
            skipped.append(f"{name or 'repeat'} (repeat group: its questions were imported as single questions)")
            continue
        parts = typ.split(" ")
        base = parts[0].lower()
        if base in ("select_one", "select_multiple") and len(parts) >= 2:
            list_name = parts[1]
            if len(parts) > 2 and parts[2].lower() == "or_other":
                todo.append(f"{name}: 'or_other' was dropped; an 'other' answer needs its own text item")
            it: dict = {"name": name, "type": base, "scale": scale_alias.get(list_name, list_name)}
            if it["scale"] not in scales:
                skipped.append(f"{name} (its choice list {list_name!r} is missing or unusable)")
                continue
        elif base in ("integer", "decimal", "text"):
            it = {"name": name, "type": base}
        else:
            skipped.append(f"{name} ({typ})")
            continue
        if not NAME_RE.match(name):
            new = re.sub(r"\W", "_", name)
            new = new if re.match(r"[A-Za-z]", new) else f"q_{new}"
            new = new[:32]
            todo.append(f"question {name!r} was renamed {new!r} (names need letters, digits and _ only, "
                        "at most 32, starting with a letter)")
            it["name"] = new
        it["label"] = text_from(rec, lab_cols, f"question {name}", name)
        h = text_from(rec, hint_cols, f"hint of {name}")
        if h:
            it["hint"] = h
        req = _cell(rec.get("required"))
        if req:
            if _is_true(req):
                it["required"] = True
            elif req.lower() not in ("no", "false", "0", "false()"):
                todo.append(f"{name}: required is an expression ({req}); set 'required' by hand")
        for key in ("relevant", "constraint"):
            v = _cell(rec.get(key))
            if v:
                it[key] = v
        con = _cell(rec.get("construct"))
        if con:
            it["construct"] = con
            if con not in constructs:
                constructs[con] = {"label": {lang: con for lang in langs}}
                todo.append(f"construct {con!r} has no row in a constructs sheet: give it a label in every language")
        if _is_true(rec.get("reverse")):
            it["reverse"] = True
        if _is_true(rec.get("identifier")):
            it["identifier"] = True
        if group_stack and group_stack[-1]:
            it["section"] = group_stack[-1]
        items.append(it)

    if skipped:
        todo.append("skipped (the workbench reads select_one, select_multiple, integer, decimal and text "
                    "questions): " + "; ".join(skipped))
    if not has_construct_col:
        todo.append("no constructs: add a 'constructs' section and give each scored item 'construct: <id>' "
                    "(and 'reverse: true' for reverse-keyed items) so scores can be computed")
    if missing_tr:
        shown = sorted(missing_tr)
        todo.append(f"{len(shown)} text(s) have no translation and repeat the other language: "
                    + "; ".join(shown[:8]) + (" ..." if len(shown) > 8 else ""))

    meta = sheets.get("instrument")
    title = None
    description = None
    source = None
    if meta is not None and len(meta) and "key" in meta.columns:
        t_cols = _lang_columns(meta.rename(columns=lambda c: re.sub(r"^text", "label", str(c))), "label", default_lang)
        t_cols = {re.sub(r"^label", "text", c): lang for c, lang in t_cols.items()}
        for rec in meta.to_dict("records"):
            key = _cell(rec.get("key"))
            if key == "title":
                title = text_from(rec, t_cols, "title")
            elif key == "description":
                description = text_from(rec, t_cols, "description")
            elif key == "source":
                source = _cell(rec.get("value")) or None
            elif key.startswith("section:"):
                sid = key.split(":", 1)[1]
                sections.setdefault(sid, {"label": text_from(rec, t_cols, f"section {sid}", sid)})
    form_id = _cell(srow.get("form_id")) or re.sub(r"\W", "_", path.stem)
    if title is None:
        ft = _cell(srow.get("form_title")) or form_id
        title = {lang: ft for lang in langs}
        if len(langs) > 1:
            missing_tr.add("title")
    version = _cell(srow.get("version")) or "1"
    if not _cell(srow.get("version")):
        todo.append("the form has no version; '1' was used: set 'version' in the YAML")

    data = {"id": form_id, "version": version, "title": title, "languages": langs,
            "default_language": default_lang[0]}
    if description:
        data["description"] = description
    if source:
        data["source"] = source
    data.update(scales=scales, constructs=constructs, sections=sections, items=items)
    # drop scales no item uses only when the form did not come from us (our exports keep them all)
    inst = instrument_from_dict(data, source=str(path))
    return inst, todo


# ------------------------------------------------------------------------------------------------
# Codebook
# ------------------------------------------------------------------------------------------------
def codebook(instrument: str | Path | Instrument) -> pd.DataFrame:
    """One row per variable, then one row per construct score.

    Columns: position, name, kind (``item`` or ``score``), type, section, ``label_<lang>`` for each
    language, construct, reverse, identifier, ``values_<lang>`` (``1=...; 2=...``), missing_codes,
    required, relevant, constraint, and the column name each tool writes: ``kobo_column``
    (KoboToolbox, "XML values and headers": group path ``section/name``), ``odk_column`` (ODK
    Central: ``section-name``) and ``google_forms_column`` (the question text in the default
    language). A score row's ``formula`` says how it is computed.
    """
    inst = load_instrument(instrument)
    langs = list(inst.languages)
    rows = []
    for pos, it in enumerate(inst.items, start=1):
        sc = inst.scale_of(it)
        row = {"position": pos, "name": it.name, "kind": "item", "type": it.type, "section": it.section or ""}
        for lang in langs:
            row[f"label_{lang}"] = inst.text(it.label, lang)
        row.update(construct=it.construct or "", reverse=bool(it.reverse), identifier=bool(it.identifier))
        for lang in langs:
            row[f"values_{lang}"] = "; ".join(f"{o.value}={o.label[lang]}" for o in sc.options) if sc else ""
        row["missing_codes"] = "; ".join(f"{o.value}={inst.text(o.label)}" for o in sc.missing) if sc else ""
        row.update(required=bool(it.required), relevant=it.relevant or "", constraint=it.constraint or "",
                   formula="",
                   kobo_column=f"{it.section}/{it.name}" if it.section else it.name,
                   odk_column=f"{it.section}-{it.name}" if it.section else it.name,
                   google_forms_column=inst.text(it.label))
        rows.append(row)
    pos = len(rows)
    for cid, c in inst.constructs.items():
        pos += 1
        members = inst.items_of(cid)
        terms = []
        for it in members:
            sc = inst.scales[it.scale]
            terms.append(f"({sc.min + sc.max} - {it.name})" if it.reverse else it.name)
        row = {"position": pos, "name": cid, "kind": "score", "type": "decimal", "section": ""}
        for lang in langs:
            row[f"label_{lang}"] = inst.text(c.label, lang)
        row.update(construct=cid, reverse=False, identifier=False)
        for lang in langs:
            row[f"values_{lang}"] = ""
        row.update(missing_codes="", required=False, relevant="", constraint="",
                   formula=(f"mean({', '.join(terms)}) over answered items when at least {c.min_answered} "
                            f"of {len(members)} are answered, else missing"),
                   kobo_column="", odk_column="", google_forms_column="")
        rows.append(row)
    return pd.DataFrame(rows)


def write_codebook(instrument: str | Path | Instrument, path: str | Path) -> Path:
    """Write :func:`codebook` to ``.csv`` (UTF-8 with BOM, so Excel shows Indonesian text right) or
    ``.xlsx``; the file is written under a temporary name and renamed when complete."""
    path = Path(path)
    cb = codebook(instrument)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        atomic_write_bytes(path, cb.to_csv(index=False).encode("utf-8-sig"))
    elif suffix == ".xlsx":
        with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            cb.to_excel(xw, sheet_name="codebook", index=False)
            ws = xw.sheets["codebook"]
            for col_cells in ws.columns:
                width = max(len(str(c.value or "")) for c in col_cells[:60])
                ws.column_dimensions[col_cells[0].column_letter].width = min(max(8, width + 2), 50)
            ws.freeze_panes = "C2"
    else:
        raise InstrumentError(f"{path}: write the codebook as .csv or .xlsx")
    return path


# ------------------------------------------------------------------------------------------------
# Printable questionnaire
# ------------------------------------------------------------------------------------------------
_CSS = """
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt; color: #111;
       max-width: 190mm; margin: 0 auto; line-height: 1.35; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
.meta { color: #444; font-size: 9pt; margin-bottom: 4mm; }
.intro { margin-bottom: 4mm; }
.both { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm; }
.both > div:nth-child(2) { color: #333; font-style: italic; }
h2 { font-size: 12pt; background: #e8eef5; padding: 1.5mm 2mm; margin: 6mm 0 2mm; break-after: avoid; }
table.grid { width: 100%; border-collapse: collapse; margin-bottom: 3mm; table-layout: fixed; }
table.grid th, table.grid td { border: 0.3mm solid #999; padding: 1.5mm; vertical-align: middle; }
table.grid thead th { font-size: 8pt; font-weight: normal; text-align: center; background: #f4f4f4; }
table.grid td.no { width: 9mm; text-align: center; color: #444; }
table.grid td.box { text-align: center; }
table.grid th.ans { width: 15mm; text-align: center; font-size: 7.5pt; }
table.grid th.miss, table.grid td.miss { background: #fafafa; color: #666; }
.stack > div + div { color: #333; font-style: italic; margin-top: 0.8mm; }
.qhead { display: flex; gap: 1.5mm; }
.qhead > div { flex: 1; }
tr { break-inside: avoid; }
.q { margin: 0 0 3.5mm; break-inside: avoid; }
.q .num { font-weight: bold; margin-right: 1.5mm; }
.hint { font-size: 8.5pt; color: #555; margin-top: 0.5mm; }
.opts { display: flex; flex-wrap: wrap; gap: 1mm 6mm; margin-top: 1mm; }
.opt { white-space: nowrap; }
.circle { display: inline-block; width: 3.6mm; height: 3.6mm; border: 0.35mm solid #222; border-radius: 50%;
          vertical-align: middle; margin-right: 1.2mm; }
.square { display: inline-block; width: 3.6mm; height: 3.6mm; border: 0.35mm solid #222; vertical-align: middle;
          margin-right: 1.2mm; }
.code { font-size: 7.5pt; color: #666; }
.line { border-bottom: 0.3mm solid #555; height: 7mm; margin-top: 1mm; }
.boxes { display: inline-flex; gap: 0.8mm; margin-top: 1mm; }
.boxes span { width: 5mm; height: 6mm; border: 0.3mm solid #555; display: inline-block; }
.cond { font-size: 8pt; color: #7a4b00; }
.id { font-size: 8pt; color: #0b5394; }
footer { margin-top: 8mm; font-size: 8pt; color: #666; border-top: 0.3mm solid #ccc; padding-top: 2mm; }
"""

_UI = {
    "id": {"items": "pertanyaan", "version": "versi", "required": "wajib diisi", "if": "diisi jika",
           "identifier": "data pribadi: disamarkan sebelum analisis", "choose_many": "boleh memilih lebih dari satu",
           "thanks": "Terima kasih atas partisipasi Saudara.", "no": "No."},
    "en": {"items": "questions", "version": "version", "required": "required", "if": "answer if",
           "identifier": "personal data: pseudonymised before analysis", "choose_many": "choose all that apply",
           "thanks": "Thank you for taking part.", "no": "No."},
}


def _ui(lang: str, key: str) -> str:
    return _UI.get(lang, _UI["en"])[key]


def questionnaire_html(instrument: str | Path | Instrument, lang: str = "id") -> str:
    """A self-contained, printable HTML questionnaire (no scripts, no external files).

    ``lang`` is a language of the instrument (``"id"``, ``"en"``) or ``"both"`` for the languages
    side by side. Consecutive select_one items of one section that share a scale are printed as a
    grid (one row per item, one tick box per answer); missing codes such as 9 "Tidak menjawab" are
    printed as a separate, greyed answer column because a respondent may choose them.
    Every text is HTML-escaped.
    """
    inst = load_instrument(instrument)
    if lang == "both":
        langs = list(inst.languages)
    elif lang in inst.languages:
        langs = [lang]
    else:
        raise InstrumentError(f"lang {lang!r}: use one of {', '.join([*inst.languages, 'both'])}")
    e = html.escape
    ui_lang = langs[0]

    def txt(t: dict | None, stacked: bool = False) -> str:
        """One language as is; several side by side, or stacked in narrow grid cells."""
        if not t:
            return ""
        if len(langs) == 1:
            return e(t[langs[0]])
        parts = "".join(f"<div lang='{e(x)}'>{e(t[x])}</div>" for x in langs)
        return f"<div class='{'stack' if stacked else 'both'}'>{parts}</div>"

    def opt_label(o) -> str:
        return "<br>".join(e(o.label[x]) for x in langs)

    out: list[str] = []
    out.append("<!DOCTYPE html><html lang='%s'><head><meta charset='utf-8'>" % e(ui_lang))
    out.append(f"<title>{e(' / '.join(inst.title[x] for x in langs))}</title><style>{_CSS}</style></head><body>")
    out.append(f"<h1>{txt(inst.title)}</h1>")
    out.append(f"<div class='meta'>{e(inst.id)} &middot; {e(_ui(ui_lang, 'version'))} {e(inst.version)} "
               f"&middot; {len(inst.items)} {e(_ui(ui_lang, 'items'))}</div>")
    if inst.description:
        out.append(f"<div class='intro'>{txt(inst.description)}</div>")

    # split items into runs: same section, and for grids the same scale
    number = 0
    k = 0
    items = inst.items
    current_section: object = object()
    while k < len(items):
        it = items[k]
        if it.section != current_section:
            current_section = it.section
            if it.section:
                out.append(f"<h2>{txt(inst.sections[it.section].label)}</h2>")
        if it.type == "select_one":
            run = [it]
            while (k + len(run) < len(items) and items[k + len(run)].type == "select_one"
                   and items[k + len(run)].scale == it.scale and items[k + len(run)].section == it.section
                   and not items[k + len(run)].relevant):
                run.append(items[k + len(run)])
            sc = inst.scales[it.scale]
            if len(run) >= 2 and len(sc.options) + len(sc.missing) <= 7:
                out.append("<table class='grid'><thead><tr><th style='width:9mm'></th><th></th>")
                for o in sc.options:
                    out.append(f"<th class='ans'>{opt_label(o)}<br><span class='code'>{o.value}</span></th>")
                for o in sc.missing:
                    out.append(f"<th class='ans miss'>{opt_label(o)}<br><span class='code'>{o.value}</span></th>")
                out.append("</tr></thead><tbody>")
                for r in run:
                    number += 1
                    extra = _flags(r, ui_lang)
                    out.append(f"<tr><td class='no'>{number}</td><td>{txt(r.label, stacked=True)}{extra}</td>")
                    out.extend("<td class='box'><span class='circle'></span></td>" for _ in sc.options)
                    out.extend("<td class='box miss'><span class='circle'></span></td>" for _ in sc.missing)
                    out.append("</tr>")
                out.append("</tbody></table>")
                k += len(run)
                continue
        number += 1
        out.append(f"<div class='q'><div class='qhead'><span class='num'>{number}.</span><div>{txt(it.label)}</div></div>")
        if it.hint:
            out.append(f"<div class='hint'>{txt(it.hint)}</div>")
        out.append(_flags(it, ui_lang))
        if it.type in ("select_one", "select_multiple"):
            sc = inst.scales[it.scale]
            mark = "circle" if it.type == "select_one" else "square"
            if it.type == "select_multiple":
                out.append(f"<div class='hint'>({e(_ui(ui_lang, 'choose_many'))})</div>")
            out.append("<div class='opts'>")
            for o in [*sc.options, *sc.missing]:
                out.append(f"<span class='opt'><span class='{mark}'></span>{opt_label(o)} "
                           f"<span class='code'>({o.value})</span></span>")
            out.append("</div>")
        elif it.type == "integer":
            width = 18 if it.identifier else 4
            out.append("<div class='boxes'>" + "<span></span>" * width + "</div>")
        elif it.type == "decimal":
            out.append("<div class='boxes'>" + "<span></span>" * 6 + "</div>")
        else:
            if it.identifier:
                out.append("<div class='boxes'>" + "<span></span>" * 18 + "</div>")
            else:
                out.append("<div class='line'></div><div class='line'></div>")
        out.append("</div>")
        k += 1
    out.append(f"<footer>{e(_ui(ui_lang, 'thanks'))}"
               + (f" &middot; {e(inst.source)}" if inst.source else "") + "</footer></body></html>")
    return "".join(out)


def _flags(it, lang: str) -> str:
    bits = []
    if it.required:
        bits.append(f"<span class='cond'>* {html.escape(_ui(lang, 'required'))}</span>")
    if it.relevant:
        # ${TRA1} >= 3 reads as "TRA1 >= 3" on paper; the enumerator sees the item names printed
        cond = re.sub(r"\$\{(\w+)\}", r"\1", it.relevant)
        bits.append(f"<span class='cond'>{html.escape(_ui(lang, 'if'))}: {html.escape(cond)}</span>")
    if it.identifier:
        bits.append(f"<span class='id'>{html.escape(_ui(lang, 'identifier'))}</span>")
    return ("<div>" + " &middot; ".join(bits) + "</div>") if bits else ""


def chromium_path() -> str | None:
    """The headless browser used for PDF output (Debian's ``chromium``), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def html_to_pdf(html_text: str, path: str | Path, *, timeout: float = 90) -> Path:
    """Print HTML to PDF with headless Chromium; raise :class:`InstrumentError` when it is missing
    or fails. The browser process is stopped by its PID when it overruns ``timeout``."""
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
    """Write the printable questionnaire as ``.html`` or, through headless Chromium, ``.pdf``."""
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


# ------------------------------------------------------------------------------------------------
# SPSS
# ------------------------------------------------------------------------------------------------
_SPSS_NAME = re.compile(r"^[A-Za-z@#$][A-Za-z0-9_.@#$]{0,63}$")


def spss_name(name: str, taken: set[str]) -> str:
    """A variable name SPSS accepts (letter first; letters, digits, _ . @ # $; at most 64), unique
    among ``taken`` (lower-cased): ``_uuid`` -> ``uuid``, ``reaksi/topik/1`` -> ``reaksi_topik_1``."""
    new = re.sub(r"[^A-Za-z0-9_.@#$]", "_", str(name)).lstrip("_.") or "v"
    if not re.match(r"[A-Za-z@#$]", new):
        new = "v_" + new
    new = new[:64].rstrip(".")
    base, k = new, 1
    while new.lower() in taken:
        k += 1
        new = f"{base[:60]}_{k}"
    return new


def write_sav(df: pd.DataFrame, instrument: str | Path | Instrument, path: str | Path,
              lang: str | None = None) -> Path:
    """Write responses as a labelled SPSS ``.sav`` file (through pyreadstat, i.e. ReadStat).

    Item columns get their label (``lang``, default the instrument's language) as variable label,
    their scale as value labels (missing codes included), the scale's missing codes as SPSS
    user-missing values, and a measure: ordinal for scored select_one items, nominal for other
    choices and text, scale for numbers. ``NA`` is written as system-missing. Columns whose names
    SPSS does not accept (e.g. Kobo's ``_uuid``) are renamed (``uuid``) and keep the original name
    as their variable label. Nullable integers are written as numbers, booleans as 0/1.
    """
    import pyreadstat  # ReadStat writes .sav files that SPSS, PSPP and R haven read

    inst = load_instrument(instrument)
    lang = lang or inst.default_language
    path = Path(path)
    if path.suffix.lower() != ".sav":
        raise DataError(f"{path}: an SPSS data file must end in .sav")
    out = pd.DataFrame(index=range(len(df)))
    labels: dict[str, str] = {}
    value_labels: dict[str, dict] = {}
    missing_ranges: dict[str, list] = {}
    measure: dict[str, str] = {}
    taken: set[str] = set()
    for col in df.columns:
        name = str(col) if _SPSS_NAME.match(str(col)) and str(col).lower() not in taken else spss_name(col, taken)
        taken.add(name.lower())
        s = df[col].reset_index(drop=True)
        it = inst.item_map.get(str(col))
        if it is not None and it.type in ("select_one", "integer", "decimal"):
            out[name] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif pd.api.types.is_bool_dtype(s.dtype):
            # 0/1 with value labels false/true: SPSS has no boolean; read_responses restores it
            out[name] = s.astype("float64")
            value_labels[name] = {0.0: "false", 1.0: "true"}
        elif pd.api.types.is_numeric_dtype(s.dtype):
            out[name] = s.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[name] = s
        else:
            out[name] = s.astype(object).where(s.notna(), None)
        if it is not None:
            labels[name] = inst.text(it.label, lang)[:256]
            sc = inst.scale_of(it)
            if sc is not None and it.type == "select_one":
                value_labels[name] = {float(o.value): o.label[lang] for o in [*sc.options, *sc.missing]}
                if sc.missing and it.type == "select_one":
                    missing_ranges[name] = [float(v) for v in sc.missing_values][:3]
                measure[name] = "ordinal" if (it.type == "select_one" and it.construct) else "nominal"
            else:
                measure[name] = "scale" if it.type in ("integer", "decimal") else "nominal"
        else:
            if name != str(col):
                labels[name] = str(col)
            measure[name] = "scale" if pd.api.types.is_numeric_dtype(out[name].dtype) else "nominal"
    try:
        with atomic_path(path) as tmp:
            pyreadstat.write_sav(out, str(tmp), column_labels=labels, variable_value_labels=value_labels,
                                 missing_ranges=missing_ranges, variable_measure=measure,
                                 file_label=inst.text(inst.title, lang)[:64])
    except Exception as err:  # ReadStat reports bad names/values as generic errors
        raise DataError(f"{path}: SPSS file could not be written ({type(err).__name__}: {err})") from None
    return path
