"""Finding NIP, NIK, phone numbers, e-mail addresses and names after an honorific in text.

Only ``re``: the batch runner checks report names and writes the index page with these functions
without loading pandas. :mod:`survey.privacy` builds the file scan and the scrubbing on them and
re-exports :func:`find_identifiers`, :func:`mask` and :data:`PATTERNS`.
"""
from __future__ import annotations

import re

# Digits that touch a letter, a dot, '/' or '+' belong to something else: decimals such as
# 0.812345678901234567, base64, paths, hashes. Word boundaries alone would flag those. A short run of
# letters glued in front is the exception people write every day ("NIP198503152010011002",
# "HP0812-3456-7890", "WA:+62812..."): it is allowed when the letters start a word and hold no digit.
_B = r"(?<![\w.+/=\-])"
_E = r"(?![\w/+]|[.,]\d)"
_PRE = r"(?:" + _B + r"(?!Rp)[A-Za-z]{1,8}[.:#]?|" + _B + r")"
_SEP = r"[ .\-]"
PATTERNS: dict[str, re.Pattern] = {
    # NIP: 18 digits (birth date 8, appointment 6, sex 1, number 3), also written 8 6 1 3 in groups
    "nip": re.compile(_PRE + r"(?P<id>\d{18}|\d{8}[ .\-]\d{6}[ .\-]\d[ .\-]\d{3})" + _E),
    # NIK (KTP number): 16 digits
    "nik": re.compile(_PRE + r"(?P<id>\d{16})" + _E),
    # NIP or NIK in other groupings ("1271 0212 0385 0001", "12.71.02.120385.0001"); kept only when the
    # digits have the structure of a NIP or NIK (see _grouped_kind), so dates and amounts pass
    "grouped": re.compile(_PRE + r"(?P<id>\d{2,8}(?:" + _SEP + r"\d{1,8}){1,6})" + _E),
    # mobile: 08xx / +62 8xx / 62 8xx / (0812), 10-14 digits in all, in groups; landline with an area
    # code: (061) 4512345, 061-4512345
    "phone": re.compile(
        _PRE + r"(?P<id>(?:\+?62[\s.\-]?\(?0?|\(?0)8[1-9]\d\)?(?:[\s.\-]?\d){6,9})" + _E
        + r"|(?<![\w.])(?P<land>\(0[2-9]\d{1,2}\)[\s.\-]?\d{3,4}[\s.\-]?\d{3,4}"
          r"|0[2-9]\d{1,2}[\s\-]\d{3,4}[\s\-]?\d{3,4})" + _E),
    "email": re.compile(r"(?<![\w.+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*"
                        r"\.([A-Za-z]{2,24})(?![\w\-])"),
    # a name after an honorific: Bapak Budi, Bpk. Ahmad, Ibu Siti Aminah, Sdr. Rudi, dr. Rina, Hj. Nur
    "name": re.compile(r"(?<![\w.])(?P<hon>Bapak|Bpk\.?|Pak|Ibu|Bu|Sdra?\.|Sdri\.?|Saudara|Saudari|dr\.|drg\.|"
                       r"Dr\.|Prof\.|Ir\.|Hj?\.)\s+(?P<id>[A-Z][a-z']+(?:\s+[A-Z][a-z']+){0,3})"),
}
# Words after an honorific that are a title or a place, not a name ("Ibu Kota", "Bapak Wali Kota")
_NOT_NAMES = {"kota", "negara", "pertiwi", "presiden", "menteri", "gubernur", "walikota", "wali", "bupati",
              "camat", "lurah", "kepala", "direktur", "sekretaris", "ketua", "responden", "pimpinan", "guru",
              "dokter", "bidan", "perawat", "dan", "atau", "yang", "ini", "itu", "rumah", "hamil", "the", "and"}
# Places named after a person ("RSUD dr. Pirngadi", "Jl. H. Adam Malik") are not personal data in a report
_PLACE_BEFORE = re.compile(r"(?:RSUD|RSU|RS|Rumah Sakit|Jl|Jln|Jalan|Gedung|Universitas|Yayasan|Masjid|Bandara|"
                           r"Stadion|Lapangan|Puskesmas|Sekolah|Taman|Museum|Pasar)\.?\s*$", re.IGNORECASE)
_PROVINCES = {*range(11, 20), 21, *range(31, 37), *range(51, 54), *range(61, 66), *range(71, 77), 81, 82,
              *range(91, 98)}
# "icon@2x.png" is a file name, not an address
_FILE_TLDS = {"png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js", "json", "map", "woff", "woff2",
              "ttf", "otf", "eot", "ico", "html", "htm", "py", "txt", "pdf", "xlsx", "csv", "min"}
_DATA_URI = re.compile(r"data:[\w/+.\-]+(?:;[\w=\-]+)*;base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)
# file names shown in a report ("data/responden_198503152010011002.csv"): their pieces are checked too
_FILE_EXT = re.compile(r"\.(?:csv|xlsx|xls|sav|json|html|htm|pdf|ipynb|txt|docx?|zip|png)\b", re.IGNORECASE)
_FILE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/\\")


def _file_names(text: str):
    """(start, name) of every file name ending in a known extension (found from the extension
    backwards: a regex reaching back over long tokens would be quadratic)."""
    for m in _FILE_EXT.finditer(text):
        j = m.start()
        stop = max(0, j - 200)
        while j > stop and text[j - 1] in _FILE_CHARS:
            j -= 1
        yield j, text[j:m.end()]

_SCAN_ORDER = ("email", "nip", "nik", "grouped", "phone", "name")


def _nik_like(d: str) -> bool:
    """16 digits with a NIK's structure: province, regency, district, birth day (+40 for women),
    month, year, a non-zero sequence number."""
    day, month = int(d[6:8]), int(d[8:10])
    return (int(d[:2]) in _PROVINCES and d[2:4] != "00" and d[4:6] != "00"
            and (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12 and d[12:] != "0000")


def _nip_like(d: str) -> bool:
    """18 digits with a NIP's structure: birth date, appointment year and month, sex 1 or 2."""
    return (1940 <= int(d[:4]) <= 2015 and 1 <= int(d[4:6]) <= 12 and 1 <= int(d[6:8]) <= 31
            and 1960 <= int(d[8:12]) <= 2040 and 1 <= int(d[12:14]) <= 12 and d[14] in "12")


def _grouped_kind(text: str) -> str | None:
    d = re.sub(r"\D", "", text)
    if len(d) == 18 and _nip_like(d):
        return "nip"
    if len(d) == 16 and _nik_like(d):
        return "nik"
    return None


def mask(text: str) -> str:
    """Show the first two and last two characters only.

    Examples
    --------
    >>> mask("198404182009052001")
    '19**************01'
    """
    t = str(text)
    if len(t) <= 4:
        return "*" * len(t)
    return t[:2] + "*" * (len(t) - 4) + t[-2:]


def _accept(kind: str, m: re.Match, text: str) -> str | None:
    """The kind to report for a match, or None when the match is not an identifier after all."""
    if kind == "email":
        return None if m.group(1).lower() in _FILE_TLDS else kind
    if kind == "phone":
        digits = re.sub(r"\D", "", m.group("id") or m.group("land") or "")
        return kind if 9 <= len(digits) <= 14 else None
    if kind == "grouped":
        return _grouped_kind(m.group("id"))
    if kind == "name":
        words = m.group("id").split()
        if words[0].lower() in _NOT_NAMES or _PLACE_BEFORE.search(text[max(0, m.start() - 25):m.start()]):
            return None
        return kind
    return kind


_URI_GAP = " " * 32  # longer than any separator or look-behind window of the patterns above


def _without_data_uris(text: str):
    """``text`` with every base64 ``data:`` URI replaced by a short run of blanks (its line breaks
    kept), and a function mapping a position in it back to ``text``. An HTML report is mostly
    embedded images; scanning only the rest makes the scan several times faster."""
    import bisect

    pieces: list[str] = []
    ends: list[int] = []  # position in the short text just after each replaced URI
    shifts: list[int] = []  # characters removed up to there
    pos = removed = 0
    for m in _DATA_URI.finditer(text):
        gap = _URI_GAP + "\n" * m.group(0).count("\n")
        pieces += [text[pos:m.start()], gap]
        removed += (m.end() - m.start()) - len(gap)
        pos = m.end()
        ends.append(m.end() - removed)
        shifts.append(removed)
    if not ends:
        return text, lambda i: i
    pieces.append(text[pos:])

    def to_text(i: int) -> int:
        k = bisect.bisect_right(ends, i)
        return i + (shifts[k - 1] if k else 0)

    return "".join(pieces), to_text


def find_identifiers(text: str) -> list[tuple[str, int, int, str]]:
    """Every identifier-like match in ``text``: ``(kind, start, end, match)``, not overlapping.

    Kinds: ``nip``, ``nik`` (also written in groups with spaces, dots or dashes, or with letters such
    as ``NIP`` glued in front), ``phone`` (Indonesian mobile and landline numbers), ``email``, and
    ``name`` (capitalised words after an honorific: Bapak, Ibu, Sdr., Bpk., dr., H., Hj. ...; titles
    such as "Ibu Kota" and places such as "RSUD dr. Pirngadi" excepted). Numbers inside file names
    ("responden_198503152010011002.csv") are found too. Base64 ``data:`` URIs (embedded images) are
    skipped.

    Examples
    --------
    >>> [k for k, *_ in find_identifiers("NIP198503152010011002, HP0812-3456-7890, Ibu Siti")]
    ['nip', 'phone', 'name']
    >>> find_identifiers("IKM 82,45 (Rp 1.250.000; 20111 Medan; 2019-2024)")
    []
    """
    blanked, to_text = _without_data_uris(text)
    taken: list[tuple[int, int]] = []
    out = []

    def add(kind: str, a: int, b: int) -> None:
        a, b = to_text(a), to_text(b)
        if any(x < b and a < y for x, y in taken):
            return
        taken.append((a, b))
        out.append((kind, a, b, text[a:b]))

    for kind in _SCAN_ORDER:
        for m in PATTERNS[kind].finditer(blanked):
            found = _accept(kind, m, blanked)
            if found:  # the identifier itself, without the letters glued in front
                span = m.span("id") if kind not in ("name", "email") and m.group("id") else m.span()
                add(found, *span)
    for start, name in _file_names(blanked):
        for piece in re.finditer(r"[A-Za-z]{0,8}\d[\d .\-]*\d", name):
            digits = re.sub(r"\D", "", piece.group(0))
            kind = ("nip" if len(digits) == 18 else "nik" if len(digits) == 16 else
                    "phone" if re.fullmatch(r"(?:62|0)8[1-9]\d{7,10}", digits) else None)
            if kind:
                add(kind, start + piece.start(), start + piece.end())
    return sorted(out, key=lambda x: x[1])
