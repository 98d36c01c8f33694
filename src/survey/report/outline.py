"""A plain-text outline of an instrument, in Bahasa Indonesia or English (``survey instrument show``)."""
from __future__ import annotations

from .._checks import check_lang

WORDS: dict[str, dict[str, str]] = {
    "id": {"constructs": "Konstruk", "items": "Butir", "answers": "Jawaban", "missing": "kode hilang",
           "min_answered": "minimal {n} butir dijawab", "reverse": "dibalik", "identifier": "identitas"},
    "en": {"constructs": "Constructs", "items": "Items", "answers": "Answers", "missing": "missing",
           "min_answered": "min {n} answered", "reverse": "reverse", "identifier": "identifier"},
}
"""The outline's own words; every other text comes from the instrument."""


def instrument_outline(instrument, lang: str | None = None) -> str:
    """The instrument's title, constructs and items with their answer options, as plain text.

    Texts are in ``lang`` (the instrument's default language when None), headings too.

    Examples
    --------
    >>> lines = instrument_outline("skm_2017", "id").splitlines()
    >>> for line in lines[:3] + lines[-3:]:
    ...     print(line)
    Survei Kepuasan Masyarakat (PermenPANRB 14/2017)  (skm_2017 v2017.1)
    <BLANKLINE>
    Konstruk:
      U9             select_one [1-4]
          Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?
          Jawaban: 1 = Buruk; 2 = Cukup; 3 = Baik; 4 = Sangat Baik
    """
    from ..instrument import load_instrument

    inst = load_instrument(instrument)
    lang = lang or inst.default_language
    inst.text(inst.title, lang)  # an InstrumentError naming the languages when lang is not one of them
    words = WORDS[check_lang(lang)]
    lines = [f"{inst.text(inst.title, lang)}  ({inst.id} v{inst.version})"]
    if inst.constructs:
        lines += ["", f"{words['constructs']}:", *_construct_lines(inst, lang, words)]
    lines += ["", f"{words['items']}:"]
    for it in inst.items:
        lines += _item_lines(inst, it, lang, words)
    return "\n".join(lines)


def _construct_lines(inst, lang: str, words: dict[str, str]) -> list[str]:
    out = []
    for cid, c in inst.constructs.items():
        items = [i.name + ("(R)" if i.reverse else "") for i in inst.items if i.construct == cid]
        rule = words["min_answered"].format(n=c.min_answered)
        out.append(f"  {cid:22s} {inst.text(c.label, lang)}: {' '.join(items)} ({rule})")
    return out


def _item_lines(inst, it, lang: str, words: dict[str, str]) -> list[str]:
    scale = inst.scale_of(it)
    bounds = ""
    if scale is not None:
        missing = f"; {words['missing']} {','.join(map(str, scale.missing_values))}" if scale.missing else ""
        bounds = f" [{scale.min}-{scale.max}{missing}]"
    flags = "".join([f" ({words['reverse']})" if it.reverse else "",
                     f" ({words['identifier']})" if it.identifier else ""])
    out = [f"  {it.name:14s} {it.type}{bounds}{flags}", f"      {inst.text(it.label, lang)}"]
    if scale is not None:
        options = "; ".join(f"{o.value} = {inst.text(o.label, lang)}" for o in scale.options)
        if scale.missing:
            options += f"; {words['missing']}: " + "; ".join(
                f"{o.value} = {inst.text(o.label, lang)}" for o in scale.missing)
        out.append(f"      {words['answers']}: {options}")
    return out
