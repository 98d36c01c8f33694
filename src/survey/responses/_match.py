"""Which file column is which item, which answer is which code, and which tool wrote the file.

A header matches an item by its name, a group path ending in the name (``grp/q``, ``grp-q``), a
``[name]`` suffix, or the item's label text in any language; an answer matches by its code or by
its label text in any language.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..instrument import Instrument

KOBO_META = {"_uuid", "_submission_time", "_id", "_index", "_validation_status", "_submitted_by",
             "_status", "_notes", "_tags", "__version__", "_version_", "_parent_index"}
ODK_META = {"meta-instanceID", "SubmissionDate", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
            "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion", "instanceID"}
LIME_META = {"id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
             "refurl", "token", "interviewtime"}
GOOGLE_META = {"timestamp", "cap waktu", "stempel waktu", "email address", "alamat email", "score", "skor"}


def norm(text: str) -> str:
    """Compare texts as a person would: Unicode-normalised, case-folded, spaces collapsed, no
    trailing required-marker ``*``."""
    t = unicodedata.normalize("NFKC", str(text)).casefold()
    t = re.sub(r"\s+", " ", t).strip()
    return re.sub(r"\s*\*$", "", t)


@dataclass
class Matcher:
    """Finds the item a file column stands for."""

    inst: Instrument
    names: set[str]
    by_label: dict[str, str]

    @classmethod
    def of(cls, inst: Instrument) -> Matcher:
        by_label: dict[str, str] = {}
        ambiguous: set[str] = set()
        for it in inst.items:
            for text in it.label.values():
                k = norm(text)
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
            hit = self.by_label.get(norm(inner))
            if hit:
                return hit
        return self.by_label.get(norm(c))


def col_item(name: str, matcher: Matcher, columns: dict[str, str] | None) -> str | None:
    """The item of a column: the user's ``columns=`` mapping first, then the matcher."""
    if columns and name in columns:
        return columns[name]
    return matcher.item_of(name)


def option_maps(inst: Instrument) -> dict[str, dict[str, int]]:
    """Per scale: normalised label (every language) and code text -> code."""
    out = {}
    for sid, sc in inst.scales.items():
        m: dict[str, int] = {}
        for o in [*sc.options, *sc.missing]:
            for text in o.label.values():
                m.setdefault(norm(text), o.value)
            m[str(o.value)] = o.value
        out[sid] = m
    return out


def detect_source(columns: list[str], suffix: str = ".csv") -> str:
    """Guess the tool that wrote a file from its header.

    Returns one of ``plain``, ``kobo``, ``odk``, ``google``, ``limesurvey``, ``spss`` (see
    :data:`survey.responses.SOURCES`): metadata columns decide first (Kobo's ``_uuid``, ODK
    Central's ``meta-instanceID``, LimeSurvey's ``submitdate``, a Google Forms ``Timestamp``), then
    the shape of the item columns (``Q1[SQ001]``, ``Question [Row]``, ``grp/q``). Missing data play
    no part: only the header is read.

    Examples
    --------
    >>> detect_source(["_uuid", "reaksi/REL1"])
    'kobo'
    >>> detect_source(["SubmissionDate", "reaksi-REL1", "meta-instanceID"])
    'odk'
    >>> detect_source(["REL1", "REL2"])
    'plain'
    """
    if suffix.lower() == ".sav":
        return "spss"
    cols = [str(c).strip() for c in columns]
    s = set(cols)
    if s & KOBO_META:
        return "kobo"
    if s & ODK_META or any(c.startswith("meta-") for c in cols):
        return "odk"
    if s & LIME_META and ({"submitdate", "lastpage", "startlanguage"} & s):
        return "limesurvey"
    if cols and norm(cols[0]) in GOOGLE_META:
        return "google"
    if sum(bool(re.match(r"^[A-Za-z][\w]*\[[\w]+\]$", c)) for c in cols) >= 1:
        return "limesurvey"
    if any(" [" in c and c.endswith("]") for c in cols):
        return "google"
    if any("/" in c for c in cols):
        return "kobo"
    return "plain"
