"""Editing an instrument as a *draft*: the instrument's YAML mapping as a plain ``dict``.

While a researcher edits, the instrument is often invalid for a moment (a new item without an
English label, a construct without items). An :class:`~survey.instrument.Instrument` cannot hold an
invalid state, so editors (the JupyterLab :class:`~survey.widgets.InstrumentDesigner`, scripts) change
the mapping with these functions and run the instrument's own checks (:func:`check_draft`) after every
change; saving and exporting need a valid draft. Every function takes a draft and returns a new one
(the input is never changed), so an editor can keep an undo history.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from .errors import InstrumentError, ParameterError
from .files import atomic_write_text
from .instrument import (
    Instrument,
    check_expressions,
    instrument_from_dict,
    load_instrument,
    read_instrument_yaml,
)


def load_draft(name_or_path: str | Path) -> dict:
    """The YAML mapping of a built-in instrument or an instrument file, *not* validated (so that an
    invalid file can be opened and fixed). Raises :class:`InstrumentError` when the file is missing,
    is not YAML or is not a mapping."""
    data, _ = read_instrument_yaml(name_or_path)
    data.setdefault("items", [])
    return data


def draft_of(instrument: Instrument | str | Path) -> dict:
    """The draft (YAML mapping) of a valid instrument."""
    inst = load_instrument(instrument)
    return inst.model_dump(by_alias=True, exclude_defaults=True, mode="json")


def check_draft(draft: dict) -> list[str]:
    """Every problem of a draft, as the instrument's own checks word them (empty when valid).

    >>> check_draft(draft_of("training_reaction"))
    []
    >>> check_draft(set_item_text(draft_of("training_reaction"), 0, "label", "en", ""))
    ["items[0] (REL1).label: missing the English (en) text; add 'en: ...'"]
    """
    try:
        inst = instrument_from_dict(draft, "instrument")
    except InstrumentError as err:
        # one problem per line: instrument.py keeps each message whole, "; add 'en: ...'" included
        return list(err.problems) or [str(err)]
    return check_expressions(inst)


def draft_instrument(draft: dict) -> Instrument:
    """The draft as an :class:`Instrument`; raises :class:`InstrumentError` listing the problems."""
    return instrument_from_dict(draft, "instrument")


def save_draft(draft: dict, path: str | Path) -> Path:
    """Validate the draft and write it as instrument YAML (atomic: temporary name, then rename).

    Raises :class:`InstrumentError` (nothing written) when the draft has problems. Comments of an
    original file are not kept (the YAML is written from the validated instrument)."""
    inst = draft_instrument(draft)
    p = Path(path)
    if p.suffix.lower() not in (".yaml", ".yml"):
        raise InstrumentError(f"{p}: save the instrument with the extension .yaml")
    atomic_write_text(p, inst.to_yaml())
    return p


def export_draft(draft: dict, out_dir: str | Path, what: str) -> Path:
    """Export a valid draft with :mod:`survey.forms`: ``what`` is ``"xlsform"`` (``<id>.xlsx``) or
    ``"codebook"`` (``<id>_codebook.xlsx``); any other ``what`` is a :class:`ParameterError`."""
    inst = draft_instrument(draft)
    from . import forms  # imported on use: editing a draft needs neither pandas nor openpyxl
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if what == "xlsform":
        target = out / f"{inst.id}.xlsx"
        forms.to_xlsform(inst, target)
    elif what == "codebook":
        target = out / f"{inst.id}_codebook.xlsx"
        forms.write_codebook(inst, target)
    else:
        raise ParameterError(f"what must be 'xlsform' or 'codebook', got {what!r}")
    return target


def languages_of(draft: dict) -> list[str]:
    """The draft's language ids (``["id", "en"]`` while it declares none).

    >>> languages_of(draft_of("training_reaction"))
    ['id', 'en']
    """
    langs = draft.get("languages")
    return list(langs) if isinstance(langs, dict) and langs else ["id", "en"]


def text_of(t: Any, lang: str) -> str:
    """A draft text in one language; ``""`` when it is not written.

    >>> text_of({"id": "Ya", "en": "Yes"}, "en"), text_of(None, "en")
    ('Yes', '')
    """
    if isinstance(t, dict):
        return str(t.get(lang, "") or "")
    return "" if t is None else str(t)


def set_text(draft: dict, key: str, lang: str, text: str) -> dict:
    """Set a top-level text (``title`` or ``description``) in one language."""
    d = copy.deepcopy(draft)
    t = dict(d.get(key) or {})
    t[lang] = text
    d[key] = t
    return d


def _item_index(draft: dict, index: int) -> int:
    n = len(draft.get("items", []))
    if not 0 <= index < n:
        raise InstrumentError(f"item number {index} does not exist (the instrument has {n} items)")
    return index


def set_item_field(draft: dict, index: int, field: str, value: Any) -> dict:
    """Set one field of item ``index`` (``name``, ``type``, ``scale``, ``construct``, ``reverse``,
    ``required``, ``identifier``, ``section``, ``relevant``, ``constraint``). An empty value removes
    an optional field; a non-select item loses its scale, an item without a construct its reverse mark."""
    d = copy.deepcopy(draft)
    it = d["items"][_item_index(d, index)]
    if value in (None, "", False) and field != "name":
        it.pop(field, None)
    else:
        it[field] = value
    if it.get("type", "select_one") not in ("select_one", "select_multiple"):
        it.pop("scale", None)
    if field == "construct" and not value:
        it.pop("reverse", None)
    return d


def set_item_text(draft: dict, index: int, key: str, lang: str, text: str) -> dict:
    """Set the ``label`` or ``hint`` of item ``index`` in one language. An empty hint in every
    language removes the hint; an empty label stays (and the checks report it)."""
    if key not in ("label", "hint"):
        raise ParameterError(f"key must be 'label' or 'hint', got {key!r}")
    d = copy.deepcopy(draft)
    it = d["items"][_item_index(d, index)]
    t = dict(it.get(key) or {})
    t[lang] = text
    if key == "hint" and not any(str(v).strip() for v in t.values()):
        it.pop("hint", None)
    else:
        it[key] = t
    return d


def _unique_name(existing: set[str], stem: str) -> str:
    m = re.match(r"^(.*?)(\d+)$", stem)
    base, k = (m.group(1), int(m.group(2))) if m else (stem, 1)
    while f"{base}{k}" in existing:
        k += 1
    return f"{base}{k}"


def add_item(draft: dict, construct: str | None = None, after: int | None = None,
             name: str | None = None) -> tuple[dict, int]:
    """Add a select_one item (after item ``after``, else at the end of its construct, else last).

    The new item takes the name pattern and scale of the construct's items (``MOT5`` -> ``MOT6``) and
    empty labels, which the checks report until they are written. Returns the draft and the index."""
    d = copy.deepcopy(draft)
    items = d.setdefault("items", [])
    names = {str(i.get("name")) for i in items}
    peers = [i for i in items if construct and i.get("construct") == construct]
    if name is None:
        stem = str(peers[-1]["name"]) if peers else (construct[:3].upper() + "1" if construct else "Q1")
        name = _unique_name(names, stem)
    scale = (peers[-1].get("scale") if peers else None) or next(iter(d.get("scales") or {}), None)
    new: dict[str, Any] = {"name": name}
    if scale:
        new["scale"] = scale
    else:
        new["type"] = "text"
    if construct:
        new["construct"] = construct
    if peers and peers[-1].get("section"):
        new["section"] = peers[-1]["section"]
    new["label"] = {lang: "" for lang in languages_of(d)}
    if after is not None and 0 <= after < len(items):
        pos = after + 1
    elif peers:
        pos = max(k for k, i in enumerate(items) if i.get("construct") == construct) + 1
    else:
        pos = len(items)
    items.insert(pos, new)
    return d, pos


def remove_item(draft: dict, index: int) -> dict:
    """Remove item ``index``; its construct and scale stay (the checks say when nothing uses them)."""
    d = copy.deepcopy(draft)
    del d["items"][_item_index(d, index)]
    return d


def move_item(draft: dict, index: int, step: int) -> tuple[dict, int]:
    """Move item ``index`` by ``step`` places (clipped to the list); returns the draft and new index."""
    d = copy.deepcopy(draft)
    items = d["items"]
    _item_index(d, index)
    new = min(max(index + step, 0), len(items) - 1)
    items.insert(new, items.pop(index))
    return d, new


def add_construct(draft: dict, cid: str, label: dict[str, str] | None = None) -> dict:
    """Add a construct (empty labels unless given). Until an item measures it, the checks say so."""
    d = copy.deepcopy(draft)
    cons = d.setdefault("constructs", {})
    if cid in cons:
        raise InstrumentError(f"constructs.{cid}: already exists; choose another id")
    cons[cid] = {"label": dict(label) if label else {lang: "" for lang in languages_of(d)}}
    return d


def rename_construct(draft: dict, old: str, new: str) -> dict:
    """Rename a construct and every item reference to it (order of constructs kept)."""
    d = copy.deepcopy(draft)
    cons = d.get("constructs") or {}
    if old not in cons:
        raise InstrumentError(f"constructs.{old}: no such construct")
    if new != old and new in cons:
        raise InstrumentError(f"constructs.{new}: already exists; choose another id")
    d["constructs"] = {(new if k == old else k): v for k, v in cons.items()}
    for it in d.get("items", []):
        if it.get("construct") == old:
            it["construct"] = new
    return d


def remove_construct(draft: dict, cid: str) -> dict:
    """Remove a construct; its items stay, without construct and reverse mark."""
    d = copy.deepcopy(draft)
    (d.get("constructs") or {}).pop(cid, None)
    for it in d.get("items", []):
        if it.get("construct") == cid:
            it.pop("construct", None)
            it.pop("reverse", None)
    return d


def set_construct_text(draft: dict, cid: str, lang: str, text: str) -> dict:
    """Set a construct's label in one language."""
    d = copy.deepcopy(draft)
    c = d["constructs"][cid]
    c["label"] = {**(c.get("label") or {}), lang: text}
    return d


def set_construct_field(draft: dict, cid: str, field: str, value: Any) -> dict:
    """Set one field of a construct (e.g. ``min_answered``); the checks judge the value."""
    d = copy.deepcopy(draft)
    d["constructs"][cid][field] = value
    return d


def add_scale(draft: dict, sid: str, options: list[dict] | None = None) -> dict:
    """Add a response scale (default: values 1-5 with empty labels, to be written)."""
    d = copy.deepcopy(draft)
    scales = d.setdefault("scales", {})
    if sid in scales:
        raise InstrumentError(f"scales.{sid}: already exists; choose another id")
    langs = languages_of(d)
    scales[sid] = {"options": copy.deepcopy(options) if options else
                   [{"value": v, "label": {lang: "" for lang in langs}} for v in range(1, 6)]}
    return d


def rename_scale(draft: dict, old: str, new: str) -> dict:
    """Rename a scale and every item reference to it (order of scales kept)."""
    d = copy.deepcopy(draft)
    scales = d.get("scales") or {}
    if old not in scales:
        raise InstrumentError(f"scales.{old}: no such scale")
    if new != old and new in scales:
        raise InstrumentError(f"scales.{new}: already exists; choose another id")
    d["scales"] = {(new if k == old else k): v for k, v in scales.items()}
    for it in d.get("items", []):
        if it.get("scale") == old:
            it["scale"] = new
    return d


def remove_scale(draft: dict, sid: str) -> dict:
    """Remove a scale; items that used it keep the reference, so the checks name them."""
    d = copy.deepcopy(draft)
    (d.get("scales") or {}).pop(sid, None)
    return d


def scale_options_text(draft: dict, sid: str, key: str = "options") -> str:
    """A scale's ``options`` (or ``missing``) as editable lines ``value | label id | label en``."""
    langs = languages_of(draft)
    opts = ((draft.get("scales") or {}).get(sid) or {}).get(key) or []
    return "\n".join(" | ".join([str(o.get("value", ""))] + [text_of(o.get("label"), lg) for lg in langs]) for o in opts)


def parse_scale_options(text: str, langs: list[str]) -> tuple[list[dict], list[str]]:
    """Parse lines ``value | label (lang 1) | label (lang 2)`` into options; returns the options and
    the problems (line number, what is wrong). Blank lines are skipped."""
    options, problems = [], []
    for k, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 1 + len(langs):
            problems.append(f"line {k}: write 'value | {' | '.join('label ' + lg for lg in langs)}' "
                            f"({len(parts)} part(s) found)")
            continue
        try:
            value = int(parts[0])
        except ValueError:
            problems.append(f"line {k}: the value {parts[0]!r} is not a whole number")
            continue
        options.append({"value": value, "label": dict(zip(langs, parts[1:]))})
    return options, problems


def set_scale_options(draft: dict, sid: str, options: list[dict], key: str = "options") -> dict:
    """Replace a scale's ``options`` (or its ``missing`` codes; an empty list removes them)."""
    d = copy.deepcopy(draft)
    sc = d["scales"][sid]
    if key == "missing" and not options:
        sc.pop("missing", None)
    else:
        sc[key] = copy.deepcopy(options)
    return d


def questionnaire_html(draft: dict | Instrument, lang: str = "id") -> str:
    """A read-only preview of the questionnaire in ``lang``: the printable questionnaire of
    :func:`survey.forms.questionnaire_html` (the same template) as an HTML fragment, with each
    item's name and reverse mark added for the designer. Works on invalid drafts too (a text not
    yet written shows as ⚠); an instrument without sections is grouped by construct.

    Examples
    --------
    >>> preview = questionnaire_html(draft_of("training_reaction"), "en")
    >>> "<b>REL4</b> <i title='reverse-keyed'>(R)</i>" in preview
    True
    >>> "⚠" in questionnaire_html(set_item_text(draft_of("training_reaction"), 0, "label", "en", ""), "en")
    True
    """
    from .forms import render_questionnaire

    d = draft_of(draft) if isinstance(draft, Instrument) else draft
    return render_questionnaire(d, [lang], standalone=False, designer=True)
