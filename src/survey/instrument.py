"""Instruments: questionnaires as validated, bilingual data.

An instrument is one YAML file per version (the format is described in ARCHITECTURE.md). The pydantic models
below forbid unknown keys, so a typo in a key is an error instead of a silently ignored field, and
every human text must exist in every language of the instrument (pyxform would silently print "-").

>>> inst = load_instrument("skm_2017")
>>> [i.name for i in inst.items][:4]
['age', 'sex', 'education', 'U1']
>>> inst.label("U1", "en")
'...'

"""
from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._yaml import MAX_BYTES, load_yaml, loads_yaml
from .errors import InstrumentError

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
ITEM_TYPES = ("select_one", "select_multiple", "integer", "decimal", "text")

Text = dict[str, str]
"""A human text: ``{language id: text}``, one entry per instrument language."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Option(_Model):
    """One answer option of a scale: the stored integer ``value`` and its ``label``."""

    value: int
    label: Text


class Scale(_Model):
    """A reusable response scale.

    ``options`` are listed low to high (the scoring order). ``missing`` codes can be chosen by a
    respondent (e.g. 9 "Tidak menjawab") but score as NA.
    """

    options: list[Option] = Field(min_length=2)
    missing: list[Option] = Field(default_factory=list)

    @property
    def values(self) -> list[int]:
        return [o.value for o in self.options]

    @property
    def missing_values(self) -> list[int]:
        return [o.value for o in self.missing]

    @property
    def min(self) -> int:
        return min(self.values)

    @property
    def max(self) -> int:
        return max(self.values)

    def label_of(self, value: int, lang: str) -> str | None:
        for o in [*self.options, *self.missing]:
            if o.value == value:
                return o.label.get(lang)
        return None


class Construct(_Model):
    """A latent quantity measured by several items; its score is the mean of answered items when
    at least ``min_answered`` items are answered, else NA."""

    label: Text
    min_answered: int = Field(default=1, ge=1)
    description: Text | None = None


class Section(_Model):
    """A group of items shown together (an XLSForm field-list group)."""

    label: Text


class Item(_Model):
    """One question. ``construct`` is aliased because ``BaseModel.construct`` exists."""

    name: str
    type: Literal["select_one", "select_multiple", "integer", "decimal", "text"] = "select_one"
    scale: str | None = None
    construct_: str | None = Field(default=None, alias="construct")
    reverse: bool = False
    identifier: bool = False
    label: Text
    hint: Text | None = None
    required: bool = False
    relevant: str | None = None
    constraint: str | None = None
    section: str | None = None

    @property
    def construct(self) -> str | None:  # type: ignore[override]
        return self.construct_


class Instrument(_Model):
    """A versioned, bilingual questionnaire."""

    id: str
    version: str
    title: Text
    languages: dict[str, str]
    default_language: str
    description: Text | None = None
    source: str | None = None
    scales: dict[str, Scale] = Field(default_factory=dict)
    constructs: dict[str, Construct] = Field(default_factory=dict)
    sections: dict[str, Section] = Field(default_factory=dict)
    items: list[Item]

    @model_validator(mode="after")
    def _check(self) -> "Instrument":
        problems = check_instrument(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- convenience -------------------------------------------------------------------------
    @cached_property
    def item_map(self) -> dict[str, Item]:
        return {i.name: i for i in self.items}

    def item(self, name: str) -> Item:
        try:
            return self.item_map[name]
        except KeyError:
            raise InstrumentError(f"instrument {self.id!r} has no item {name!r}") from None

    def items_of(self, construct: str) -> list[Item]:
        if construct not in self.constructs:
            known = ", ".join(self.constructs) or "none"
            raise InstrumentError(
                f"instrument {self.id!r} has no construct {construct!r}; known constructs: {known}"
            )
        return [i for i in self.items if i.construct == construct]

    def reverse_items(self, construct: str | None = None) -> list[str]:
        return [
            i.name for i in self.items
            if i.reverse and (construct is None or i.construct == construct)
        ]

    @property
    def scored_items(self) -> list[Item]:
        """Items with a numeric scale (select_one with a scale)."""
        return [i for i in self.items if i.type == "select_one" and i.scale]

    @property
    def identifier_items(self) -> list[str]:
        return [i.name for i in self.items if i.identifier]

    def scale_of(self, item: str | Item) -> Scale | None:
        it = self.item(item) if isinstance(item, str) else item
        return self.scales.get(it.scale) if it.scale else None

    def text(self, text: Text | None, lang: str | None = None) -> str:
        """The text in ``lang`` (default language when None)."""
        if text is None:
            return ""
        lang = lang or self.default_language
        if lang not in self.languages:
            raise InstrumentError(
                f"language {lang!r} is not in instrument {self.id!r}; use one of {', '.join(self.languages)}"
            )
        return text[lang]

    def label(self, name: str, lang: str | None = None) -> str:
        """Label of an item or construct in ``lang``."""
        if name in self.constructs:
            return self.text(self.constructs[name].label, lang)
        return self.text(self.item(name).label, lang)

    def to_yaml(self) -> str:
        data = self.model_dump(by_alias=True, exclude_defaults=True, mode="json")
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def check_instrument(inst: Instrument) -> list[str]:
    """Cross-field checks pydantic cannot express; each problem starts with its path."""
    problems: list[str] = []
    if inst.default_language not in inst.languages:
        problems.append(f"default_language: {inst.default_language!r} is not one of languages "
                        f"({', '.join(inst.languages)})")
    _check_text(inst, "title", inst.title, problems)
    _check_text(inst, "description", inst.description, problems)
    _check_scales(inst, problems)
    _check_constructs(inst, problems)
    for sid, s in inst.sections.items():
        _check_text(inst, f"sections.{sid}.label", s.label, problems)
    seen: set[str] = set()
    for k, it in enumerate(inst.items):
        _check_item(inst, f"items[{k}] ({it.name})", it, seen, problems)
        seen.add(it.name)
    return problems


def _check_text(inst: Instrument, path: str, t: Text | None, problems: list[str]) -> None:
    """Every language of the instrument, and no other (pyxform would print "-" for a gap)."""
    if t is None:
        return
    for lang in inst.languages:
        if not str(t.get(lang, "")).strip():
            problems.append(f"{path}: missing the {inst.languages[lang]} ({lang}) text; add '{lang}: ...'")
    for lang in t:
        if lang not in inst.languages:
            problems.append(f"{path}: language {lang!r} is not declared in languages")
        elif len(str(t[lang])) > MAX_TEXT:
            problems.append(f"{path}.{lang}: {len(str(t[lang])):,} characters, more than the {MAX_TEXT:,} an XLSForm "
                            "cell holds (Excel's limit); shorten it (put long instructions in a document)")


def _check_scales(inst: Instrument, problems: list[str]) -> None:
    for sid, sc in inst.scales.items():
        vals = [o.value for o in sc.options]
        if len(set(vals)) != len(vals):
            problems.append(f"scales.{sid}.options: values repeat ({vals})")
        if vals != sorted(vals):
            problems.append(f"scales.{sid}.options: list options low to high (got values {vals})")
        for k, o in enumerate(sc.options):
            _check_text(inst, f"scales.{sid}.options[{k}].label", o.label, problems)
        for k, o in enumerate(sc.missing):
            _check_text(inst, f"scales.{sid}.missing[{k}].label", o.label, problems)
            if o.value in vals:
                problems.append(f"scales.{sid}.missing[{k}].value: {o.value} is also an answer option")


def _check_constructs(inst: Instrument, problems: list[str]) -> None:
    # counted in one pass: a loop over items per construct is quadratic on wide instruments
    counts: dict[str, int] = {}
    for i in inst.items:
        if i.construct is not None:
            counts[i.construct] = counts.get(i.construct, 0) + 1
    for cid, c in inst.constructs.items():
        if not NAME_RE.match(cid):
            problems.append(f"constructs.{cid}: name must match {NAME_RE.pattern}")
        _check_text(inst, f"constructs.{cid}.label", c.label, problems)
        _check_text(inst, f"constructs.{cid}.description", c.description, problems)
        n_items = counts.get(cid, 0)
        if n_items == 0:
            problems.append(f"constructs.{cid}: no item measures this construct")
        elif c.min_answered > n_items:
            problems.append(f"constructs.{cid}.min_answered: {c.min_answered} is more than its {n_items} items")


def _check_item(inst: Instrument, path: str, it: Item, seen: set[str], problems: list[str]) -> None:
    if not NAME_RE.match(it.name):
        problems.append(f"{path}.name: {it.name!r} must start with a letter and use only letters, digits and _ (max 32)")
    if it.name in seen:
        problems.append(f"{path}.name: {it.name!r} is used twice")
    _check_text(inst, f"{path}.label", it.label, problems)
    _check_text(inst, f"{path}.hint", it.hint, problems)
    if it.type in ("select_one", "select_multiple"):
        if not it.scale:
            problems.append(f"{path}.scale: a {it.type} item needs a scale")
        elif it.scale not in inst.scales:
            problems.append(f"{path}.scale: unknown scale {it.scale!r}; known: {', '.join(inst.scales) or 'none'}")
    elif it.scale:
        problems.append(f"{path}.scale: a {it.type} item takes no scale")
    if it.construct is not None:
        if it.construct not in inst.constructs:
            problems.append(f"{path}.construct: unknown construct {it.construct!r}; "
                            f"known: {', '.join(inst.constructs) or 'none'}")
        if it.type != "select_one":
            problems.append(f"{path}.construct: only select_one items can be scored into a construct")
    if it.reverse and it.construct is None:
        problems.append(f"{path}.reverse: a reverse-keyed item needs a construct")
    if it.section is not None and it.section not in inst.sections:
        problems.append(f"{path}.section: unknown section {it.section!r}; known: {', '.join(inst.sections) or 'none'}")


MAX_TEXT = 32_767
"""Longest text (characters) an instrument may hold: Excel's limit for one cell, so every text fits
in the XLSForm cell that carries it (a longer one would be cut when the form is written)."""

_OPERANDS = {"NUMBER", "SYSTEM_LITERAL", "PYXFORM_REF", "SELF_REF", "PARENT_REF", "NAME", "DATE", "TIME",
             "DATETIME", "URI_SCHEME"}
_BINARY = {"OPS_MATH", "OPS_COMP", "OPS_BOOL", "OPS_UNION"}


def check_expression(expr: str, names: set[str] | None = None) -> list[str]:
    """What is wrong with an XLSForm expression (``relevant``, ``constraint``); empty when it reads.

    The expression is split into tokens by pyxform's own lexer (the one ``xls2xform`` uses for
    ``${name}`` references); the checks on top of it are those ODK Validate would fail later, with a
    worse message: characters XPath does not have, a malformed ``${...}``, unbalanced brackets, an
    operator with a side missing, two values with no operator between them, a comma outside a
    function call, and (when ``names`` is given) a ``${name}`` that names no question.

    >>> check_expression("${REL1} >= 3 and . != ''", {"REL1"})
    []
    >>> check_expression(". > 1 +")
    ["ends with the operator '+'"]
    >>> check_expression("${RLE1} = 1", {"REL1"})
    ["${RLE1}: no question is named 'RLE1'"]
    """
    from pyxform.parsing.expression import parse_expression  # the lexer xls2xform uses

    out: list[str] = []
    tokens = [t for t in parse_expression(expr) if t.type != "WHITESPACE"]
    # the lexer reads ">=" and "<=" as two tokens: join them back
    merged: list[tuple[str, str, int]] = []
    for t in tokens:
        prev = merged[-1] if merged else None
        if (prev and t.type == "OPS_COMP" and t.value == "=" and prev[1] in ("<", ">")
                and prev[2] + 1 == t.start_pos):
            merged[-1] = ("OPS_COMP", prev[1] + "=", prev[2])
            continue
        merged.append((t.type, str(t.value), t.start_pos))
    stack: list[str] = []       # open "(" and "[" in order
    calls: list[bool] = []      # per open "(": is it a function call (commas allowed)?
    want_value = True
    last = ""
    for typ, val, pos in merged:
        shown = val.strip()
        if typ == "OTHER":
            out.append(f"character {shown!r} at position {pos + 1} is not part of an expression")
            want_value = True  # it stands where an operator would: do not report its neighbours too
            continue
        if typ in ("PYXFORM_REF_START", "PYXFORM_REF_END"):
            out.append(f"malformed reference near position {pos + 1}: write ${{name}} with a question name")
            continue
        if typ == "PYXFORM_REF" and names is not None:
            ref = val[2:-1].removeprefix("last-saved#")
            if ref not in names:
                out.append(f"{val}: no question is named {ref!r}")
        if typ in _OPERANDS or typ == "XPATH_PRED_START":
            if not want_value and not (typ == "NUMBER" and val.startswith("-")):
                out.append(f"{shown!r} at position {pos + 1} follows {last!r} with no operator between them")
            want_value = False
            if typ == "XPATH_PRED_START":
                stack.append("[")
                want_value = True
        elif typ in _BINARY:
            if want_value and shown != "-" and not (shown == "*" and last in ("/", "")):
                out.append(f"operator {shown!r} at position {pos + 1} has no value before it")
            want_value = not (shown == "*" and want_value)
        elif typ == "PATH_SEP":
            want_value = True
        elif typ in ("FUNC_CALL", "OPEN_PAREN"):
            if not want_value:
                out.append(f"{shown!r} at position {pos + 1} follows {last!r} with no operator between them")
            stack.append("(")
            calls.append(typ == "FUNC_CALL")
            want_value = True
        elif typ == "CLOSE_PAREN":
            if not stack or stack[-1] != "(":
                out.append(f"')' at position {pos + 1} closes nothing")
            else:
                stack.pop()
                is_call = calls.pop()
                if want_value and not (is_call and last.endswith("(")):
                    out.append(f"')' at position {pos + 1} comes where a value is expected")
            want_value = False
        elif typ in ("XPATH_PRED_END", "BRACKET"):
            if val == "]" and stack and stack[-1] == "[":
                stack.pop()
                want_value = False
            else:
                out.append(f"{val!r} at position {pos + 1} does not belong here")
        elif typ == "COMMA":
            if not calls or not calls[-1] or stack[-1] != "(":
                out.append(f"',' at position {pos + 1} is outside a function call")
            elif want_value:
                out.append(f"',' at position {pos + 1} comes where a value is expected")
            want_value = True
        last = shown
    if stack:
        out.append(f"{len(stack)} bracket(s) opened and never closed ({''.join(stack)})")
    elif merged and want_value and not out:
        out.append(f"ends with the operator {last!r}")
    return out


def check_expressions(inst: Instrument) -> list[str]:
    """Every problem of the items' ``relevant`` and ``constraint`` expressions, each starting with its
    path (``items[3] (Q4).relevant``). Kept out of :func:`check_instrument` because pyxform's lexer
    takes a second to load; :func:`validate_instrument_file`, the XLSForm import and export and
    :func:`survey.drafts.check_draft` run it."""
    names = set(inst.item_map)
    out: list[str] = []
    for k, it in enumerate(inst.items):
        for key in ("relevant", "constraint"):
            expr = getattr(it, key)
            if expr:
                out.extend(f"items[{k}] ({it.name}).{key}: {p} in {expr[:120]!r}" for p in check_expression(expr, names))
    return out


# Where a key sits -> the model that defines the keys allowed there. A list index or mapping key
# (items[3], scales.agree5) comes between a field and its model.
_CHILD_MODELS: dict[tuple[type[_Model], str], type[_Model]] = {
    (Instrument, "items"): Item, (Instrument, "scales"): Scale, (Instrument, "constructs"): Construct,
    (Instrument, "sections"): Section, (Scale, "options"): Option, (Scale, "missing"): Option,
}


def allowed_keys(loc: tuple) -> list[str]:
    """The keys allowed at a pydantic error location (the last part is the offending key), as
    written in YAML; empty when the location is not known.

    >>> allowed_keys(("scales", "agree5", "options", 0, "lable"))
    ['value', 'label']
    """
    model: type[_Model] = Instrument
    parts = list(loc[:-1])
    while parts:
        child = _CHILD_MODELS.get((model, str(parts.pop(0))))
        if child is None:
            return []
        model = child
        parts = parts[1:]  # the list index or mapping key
    return [f.alias or name for name, f in model.model_fields.items()]


def _pydantic_problems(err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"])
        msg = e["msg"]
        if msg.startswith("Value error, "):
            out.extend(p.strip() for p in msg[len("Value error, "):].split("\n"))
            continue
        if e["type"] == "extra_forbidden":
            keys = allowed_keys(e["loc"])
            msg = "unknown key (check the spelling" + (f"; allowed here: {', '.join(keys)})" if keys else ")")
        elif e["type"] == "missing":
            msg = "required key is missing"
        out.append(f"{loc}: {msg}" + (f" (got {e['input']!r})" if e["type"] not in ("missing",) and not isinstance(e.get("input"), dict | list) else ""))
    return out


def builtin_names() -> list[str]:
    """Names of the built-in instruments (the YAML files shipped in ``survey/instruments``).

    >>> builtin_names()
    ['competency_needs', 'employee_survey', 'skm_2017', 'training_reaction', 'training_transfer']
    """
    folder = resources.files("survey") / "instruments"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def instrument_from_dict(data: object, source: str = "<dict>") -> Instrument:
    if not isinstance(data, dict):
        raise InstrumentError(f"{source}: an instrument must be a YAML mapping (key: value), got {type(data).__name__}")
    try:
        return Instrument.model_validate(data)
    except ValidationError as err:
        problems = _pydantic_problems(err)
        raise InstrumentError(f"{source}: {len(problems)} problem(s) in the instrument", problems) from None


def read_instrument_yaml(name_or_path: str | Path) -> tuple[dict, str]:
    """The YAML mapping of a built-in instrument or an instrument file, *not* validated, and a
    description of where it came from. Raises :class:`InstrumentError` when the file is missing,
    is not UTF-8 YAML or is not a mapping."""
    s = str(name_or_path)
    if s in builtin_names():
        text = (resources.files("survey") / "instruments" / f"{s}.yaml").read_text(encoding="utf-8")
        data = loads_yaml(text, f"built-in instrument {s}", error=InstrumentError)
        source = f"built-in instrument {s}"
    else:
        p = Path(s)
        if not p.exists():
            raise InstrumentError(
                f"{s}: no such instrument file and no built-in instrument of that name; "
                f"built-ins: {', '.join(builtin_names())}"
            )
        if p.is_dir():
            raise InstrumentError(f"{p}: is a folder; give an instrument YAML file")
        # the one bounded loader: an alias bomb or a huge file is refused in milliseconds
        data = load_yaml(p, error=InstrumentError)
        source = str(p)
    if not isinstance(data, dict):
        raise InstrumentError(f"{source}: an instrument must be a YAML mapping (key: value), got {type(data).__name__}")
    return data, source


#: Validated instruments by file and content; a report loads the same instrument many times.
_LOADED: "OrderedDict[tuple[str, str], Instrument]" = OrderedDict()
_LOADED_MAX = 32


def _content_key(name_or_path: str | Path) -> tuple[str, str] | None:
    """The instrument file's resolved location and a digest of its bytes, or ``None`` when it cannot
    be read here (the loader then reports why). The digest, not the modification time, decides
    whether a file changed: an edit within the clock's resolution still counts."""
    s = str(name_or_path)
    source = resources.files("survey") / "instruments" / f"{s}.yaml" if s in builtin_names() else Path(s)
    try:
        if isinstance(source, Path):
            if not source.is_file() or source.stat().st_size > MAX_BYTES:
                return None
            source = source.resolve()
        raw = source.read_bytes()
    except OSError:
        return None
    return str(source), hashlib.blake2b(raw, digest_size=16).hexdigest()


def load_instrument(name_or_path: str | Path | Instrument) -> Instrument:
    """Load a built-in instrument by name (``"skm_2017"``) or an instrument YAML file.

    Raises :class:`InstrumentError` listing every problem with its path in the file. A file is
    parsed and validated once per content; each call returns its own copy, so changing the
    returned instrument never changes what the next caller gets.

    >>> inst = load_instrument("training_reaction")
    >>> inst.version, list(inst.constructs)
    ('1.0', ['relevance', 'applicability', 'facilitator', 'organisation'])
    >>> inst.reverse_items()
    ['REL4', 'APP3']
    """
    if isinstance(name_or_path, Instrument):
        return name_or_path
    key = _content_key(name_or_path)
    inst = _LOADED.get(key) if key is not None else None
    if inst is None:
        data, source = read_instrument_yaml(name_or_path)
        inst = instrument_from_dict(data, source)
        if key is not None:
            _LOADED[key] = inst
            while len(_LOADED) > _LOADED_MAX:
                _LOADED.popitem(last=False)
    else:
        _LOADED.move_to_end(key)
    # the models are frozen but their lists and dicts are not: a caller gets a copy to change
    return inst.model_copy(deep=True)


def validate_instrument_file(path: str | Path) -> list[str]:
    """Every problem of an instrument file, as lines (empty when valid).

    >>> import pathlib, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(folder.name) / "mini.yaml"
    >>> _ = path.write_text("id: mini\\nversion: '1'\\ntitle: {id: Mini}\\nlanguages: {id: Bahasa Indonesia}\\n"
    ...                     "default_language: id\\nitems:\\n- {name: q1, type: text, label: {id: Nama}, colour: red}\\n",
    ...                     encoding="utf-8")
    >>> validate_instrument_file(path)
    ["items.0.colour: unknown key (check the spelling; allowed here: name, type, scale, ...) (got 'red')"]
    >>> folder.cleanup()
    """
    try:
        inst = load_instrument(path)
    except InstrumentError as err:
        return err.problems or [str(err)]
    return check_expressions(inst)
