from __future__ import annotations

import textwrap

import pytest
import yaml

from survey import InstrumentError, builtin_names, load_instrument
from survey.instrument import NAME_RE, validate_instrument_file

BUILTINS = ["competency_needs", "employee_survey", "skm_2017", "training_reaction", "training_transfer"]


def test_builtins_listed_and_load():
    assert builtin_names() == BUILTINS
    for name in BUILTINS:
        inst = load_instrument(name)
        assert inst.id == name
        assert set(inst.languages) == {"id", "en"}
        for it in inst.items:
            assert NAME_RE.match(it.name)
            assert it.label["id"].strip() and it.label["en"].strip()


def test_skm_2017_matches_the_regulation():
    inst = load_instrument("skm_2017")
    unsur = [i for i in inst.items if i.construct == "ikm"]
    assert [i.name for i in unsur] == [f"U{k}" for k in range(1, 10)]
    # PermenPANRB 14/2017: each unsur has its own 1-4 scale; check the first and last label of each
    expected = {
        "U1": ("Tidak sesuai", "Sangat sesuai"), "U2": ("Tidak mudah", "Sangat mudah"),
        "U3": ("Tidak cepat", "Sangat cepat"), "U4": ("Sangat mahal", "Gratis"),
        "U5": ("Tidak sesuai", "Sangat sesuai"), "U6": ("Tidak kompeten", "Sangat kompeten"),
        "U7": ("Tidak sopan dan ramah", "Sangat sopan dan ramah"),
        "U8": ("Tidak ada", "Dikelola dengan baik"), "U9": ("Buruk", "Sangat Baik"),
    }
    for it in unsur:
        sc = inst.scale_of(it)
        assert sc.values == [1, 2, 3, 4]
        assert (sc.options[0].label["id"], sc.options[-1].label["id"]) == expected[it.name]
    assert inst.item("U8").label["id"] == "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?"
    assert inst.item("U9").label["id"] == "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?"
    assert inst.scale_of("U8").options[1].label["id"] == "Ada tetapi tidak berfungsi"


def test_training_reaction_requirements():
    inst = load_instrument("training_reaction")
    for c in inst.constructs:
        assert len(inst.items_of(c)) >= 3
    assert inst.reverse_items()
    assert any(i.type == "text" for i in inst.items)


def test_employee_survey_declares_nip_identifier_and_8_managerial_competencies():
    inst = load_instrument("employee_survey")
    assert inst.identifier_items == ["nip"]
    assert [i.name for i in inst.items_of("managerial")] == [f"MC{k}" for k in range(1, 9)]


def test_construct_alias_round_trips():
    from survey.instrument import instrument_from_dict

    inst = load_instrument("training_transfer")
    data = yaml.safe_load(inst.to_yaml())
    assert data["items"][0]["construct"] == "application"   # the alias, not construct_
    assert instrument_from_dict(data) == inst


BAD = textwrap.dedent("""
    id: bad
    version: "1"
    title: {id: Judul, en: Title}
    languages: {id: Bahasa Indonesia, en: English}
    default_language: id
    scales:
      s: {options: [{value: 2, label: {id: dua, en: two}}, {value: 1, label: {id: satu, en: one}}]}
    constructs:
      c: {label: {id: C}}
    items:
      - {name: q1, scale: s, construct: c, label: {id: Tanya}}
      - {name: q1, scale: nope, label: {id: Tanya, en: Ask}}
      - {name: 2bad, type: text, label: {id: x, en: y}, colour: red}
""")


def test_every_problem_is_listed_with_its_path(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(BAD, encoding="utf-8")
    before = f.read_bytes()
    problems = validate_instrument_file(f)
    text = "\n".join(problems)
    assert "items.2.colour" in text                       # unknown key
    assert f.read_bytes() == before
    # fix the unknown key to reach the cross-field checks
    f.write_text(BAD.replace(", colour: red", ""), encoding="utf-8")
    text = "\n".join(validate_instrument_file(f))
    assert "scales.s.options: list options low to high" in text
    assert "constructs.c.label: missing the English (en) text" in text
    assert "items[0] (q1).label: missing the English (en) text" in text
    assert "items[1] (q1).name: 'q1' is used twice" in text
    assert "items[1] (q1).scale: unknown scale 'nope'" in text
    assert "items[2] (2bad).name" in text


def test_yaml_syntax_error_names_line(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("id: x\ntitle: {id: a\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"line \d+"):
        load_instrument(f)


def test_unknown_name():
    with pytest.raises(InstrumentError, match="built-ins: competency_needs"):
        load_instrument("no_such_instrument")


def test_unknown_key_message_lists_the_allowed_keys(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(BAD, encoding="utf-8")
    line = next(p for p in validate_instrument_file(f) if "items.2.colour" in p)
    # the keys an item may have, as written in YAML
    assert "allowed here: name, type, scale, construct, reverse" in line
    assert ".md" not in line  # whole on its own: no pointer to another document




def test_loaded_instrument_is_the_callers_own_copy():
    first = load_instrument("skm_2017")
    n_items, label = len(first.items), first.items[0].label["id"]
    first.items.clear()
    first.scales.clear()
    again = load_instrument("skm_2017")
    assert len(again.items) == n_items and again.items[0].label["id"] == label and again.scales
    again.items[0].label["id"] = "diubah"
    assert load_instrument("skm_2017").items[0].label["id"] == label


def test_instrument_file_is_parsed_once_and_again_after_an_edit(tmp_path, monkeypatch):
    import survey.instrument as instrument_module

    parsed = []
    real = instrument_module.read_instrument_yaml
    monkeypatch.setattr(instrument_module, "read_instrument_yaml", lambda p: parsed.append(p) or real(p))
    from tiny import tiny_instrument

    text = tiny_instrument().to_yaml()
    f = tmp_path / "tiny.yaml"
    f.write_text(text, encoding="utf-8")
    assert load_instrument(f).items[0].label["en"] == "item A1"
    assert load_instrument(str(f)).items[0].label["en"] == "item A1"
    assert len(parsed) == 1
    # same size, written at once: the modification time may not move, the content does
    f.write_text(text.replace("en: item A1", "en: item B1"), encoding="utf-8")
    assert load_instrument(f).items[0].label["en"] == "item B1"
    assert len(parsed) == 2
    f.write_text(text.replace("items:", "itemz:"), encoding="utf-8")
    with pytest.raises(InstrumentError):
        load_instrument(f)
