"""forms: XLSForm out and back, codebook, printable questionnaire, SPSS."""
from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from pyxform.xls2xform import convert

from survey import InstrumentError, load_instrument
from survey.forms import (codebook, from_xlsform, questionnaire_html, to_xlsform, write_codebook,
                          write_questionnaire, write_sav)
from survey.instrument import builtin_names, instrument_from_dict

BUILTINS = builtin_names()


def test_there_are_five_builtins():
    assert BUILTINS == ["competency_needs", "employee_survey", "skm_2017", "training_reaction", "training_transfer"]


@pytest.mark.parametrize("name", BUILTINS)
def test_xlsform_converts_with_pyxform_and_round_trips(name, tmp_path):
    path = to_xlsform(name, tmp_path / f"{name}.xlsx")
    # the converter KoboToolbox and ODK Central run; raises on an invalid form
    warnings: list[str] = []
    res = convert(xlsform=str(path), warnings=warnings)
    assert res.xform.startswith("<?xml")
    assert warnings == []
    inst = load_instrument(name)
    # every item is a bound question in the XForm, in both languages
    for it in inst.items:
        assert f"/{it.name}\"" in res.xform or f"/{it.name}\" " in res.xform
    assert 'lang="Bahasa Indonesia (id)"' in res.xform and 'lang="English (en)"' in res.xform
    back, todo = from_xlsform(path)
    assert todo == []
    assert back == inst
    assert back.to_yaml() == inst.to_yaml()


def test_xlsform_layout(tmp_path):
    path = to_xlsform("employee_survey", tmp_path / "es.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["survey", "choices", "settings", "constructs", "instrument"]
    survey = list(wb["survey"].iter_rows(values_only=True))
    head = survey[0]
    assert head[:4] == ("type", "name", "label::Bahasa Indonesia (id)", "label::English (en)")
    rows = [dict(zip(head, r)) for r in survey[1:]]
    by_name = {r["name"]: r for r in rows if r["type"] != "end_group"}
    assert by_name["motivasi"]["type"] == "begin_group" and by_name["motivasi"]["appearance"] == "field-list"
    assert by_name["MOT5"]["type"] == "select_one agree5"
    assert by_name["MOT5"]["appearance"] == "likert"
    assert by_name["MOT5"]["reverse"] == "yes" and by_name["MOT5"]["construct"] == "motivation"
    assert by_name["nip"]["identifier"] == "yes"
    assert by_name["nip"]["constraint"] == "regex(., '^[0-9]{18}$')"
    assert sum(r["type"] == "begin_group" for r in rows) == sum(r["type"] == "end_group" for r in rows) == 5
    settings = dict(zip(*list(wb["settings"].iter_rows(values_only=True))))
    assert settings == {"form_id": "employee_survey", "version": "1.0", "form_title": "Survei Pegawai ASN",
                        "default_language": "Bahasa Indonesia (id)"}
    choices = [r for r in wb["choices"].iter_rows(values_only=True)][1:]
    agree = [r for r in choices if r[0] == "agree5"]
    assert [r[1] for r in agree] == ["1", "2", "3", "4", "5", "9"]
    assert agree[-1][2:] == ("Tidak menjawab", "No answer", "yes")


def test_relevant_and_section_reentry_survive(tmp_path):
    data = load_instrument("training_transfer").model_dump(by_alias=True, exclude_defaults=True, mode="json")
    # a relevant condition and a section split in two places
    data["items"][1]["relevant"] = "${TRA1} >= 3"
    data["items"][-1]["section"] = data["items"][0]["section"]
    inst = instrument_from_dict(data)
    path = to_xlsform(inst, tmp_path / "t.xlsx")
    back, todo = from_xlsform(path)
    assert back == inst and todo == []


def test_bad_relevant_is_rejected_and_no_file_left(tmp_path):
    data = load_instrument("training_transfer").model_dump(by_alias=True, exclude_defaults=True, mode="json")
    data["items"][1]["relevant"] = "${NO_SUCH_ITEM} >= 3"
    inst = instrument_from_dict(data)
    with pytest.raises(InstrumentError) as info:
        to_xlsform(inst, tmp_path / "t.xlsx")
    # named by its item before anything is written, not by the validator in a temporary file
    assert "items[1] (TRA2).relevant: ${NO_SUCH_ITEM}: no question is named 'NO_SUCH_ITEM'" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def _foreign_form(path):
    """A form as a KoboToolbox user builds it: English labels only, text choice codes, notes."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for r in [
        ("type", "name", "label::English (en)", "hint::English (en)", "required"),
        ("start", "start", None, None, None),
        ("note", "intro", "Welcome", None, None),
        ("begin group", "work", "About your work", None, None),
        ("select_one agree", "q1", "I like my work", "Pick one", "true"),
        ("select_one agree", "q2", "My work is boring", None, "yes"),
        ("select_one yn", "q3", "Do you supervise staff?", None, None),
        ("end group", None, None, None, None),
        ("date", "visit", "Visit date", None, None),
        ("integer", "q-age", "Age", None, None),
        ("select_multiple agree or_other", "q4", "Pick several", None, None),
    ]:
        ws.append(r)
    ch = wb.create_sheet("choices")
    for r in [("list_name", "name", "label::English (en)"),
              ("agree", 1, "Disagree"), ("agree", 2, "Neutral"), ("agree", 3, "Agree"), ("agree", 9, "No answer"),
              ("yn", "yes", "Yes"), ("yn", "no", "No")]:
        ch.append(r)
    st = wb.create_sheet("settings")
    st.append(("form_title", "form_id"))
    st.append(("Staff survey", "staff"))
    wb.save(path)


def test_foreign_xlsform_imports_with_todo(tmp_path):
    f = tmp_path / "foreign.xlsx"
    _foreign_form(f)
    inst, todo = from_xlsform(f)
    assert inst.id == "staff" and inst.version == "1"
    assert inst.languages == {"en": "English"}
    assert [i.name for i in inst.items] == ["q1", "q2", "q3", "q_age", "q4"]
    assert inst.item("q1").required and inst.item("q1").section == "work"
    assert inst.item("q1").hint == {"en": "Pick one"}
    assert inst.scales["agree"].values == [1, 2, 3] and inst.scales["agree"].missing_values == [9]
    assert inst.scales["yn"].values == [1, 2]
    text = "\n".join(todo)
    assert "start (start)" in text and "intro (note)" in text and "visit (date)" in text
    assert "'q-age' was renamed 'q_age'" in text
    assert "no constructs" in text
    assert "'yn' uses text codes" in text
    assert "agree/9 was taken as a missing code" in text
    assert "or_other" in text
    assert "no version" in text


def test_not_an_xlsform(tmp_path):
    f = tmp_path / "x.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(f, index=False, sheet_name="data")
    with pytest.raises(InstrumentError, match="no 'survey' sheet"):
        from_xlsform(f)
    g = tmp_path / "y.xlsx"
    g.write_text("not a workbook")
    with pytest.raises(InstrumentError, match="cannot be read"):
        from_xlsform(g)


def test_codebook_rows_and_formula(tmp_path):
    inst = load_instrument("employee_survey")
    cb = codebook(inst)
    assert len(cb) == len(inst.items) + len(inst.constructs)
    assert cb["position"].tolist() == list(range(1, len(cb) + 1))
    mot5 = cb.set_index("name").loc["MOT5"]
    assert bool(mot5["reverse"]) and mot5["construct"] == "motivation"
    assert mot5["values_en"] == "1=Strongly disagree; 2=Disagree; 3=Neither agree nor disagree; 4=Agree; 5=Strongly agree"
    assert mot5["missing_codes"] == "9=Tidak menjawab"
    assert mot5["kobo_column"] == "motivasi/MOT5" and mot5["odk_column"] == "motivasi-MOT5"
    assert mot5["google_forms_column"] == inst.label("MOT5", "id")
    score = cb.set_index("name").loc["motivation"]
    assert score["kind"] == "score"
    assert score["formula"] == ("mean(MOT1, MOT2, MOT3, MOT4, (6 - MOT5)) over answered items when at least 3 "
                                "of 5 are answered, else missing")
    write_codebook(inst, tmp_path / "cb.csv")
    write_codebook(inst, tmp_path / "cb.xlsx")
    assert (tmp_path / "cb.csv").read_bytes()[:3] == b"\xef\xbb\xbf"  # Excel needs the BOM for UTF-8
    back = pd.read_csv(tmp_path / "cb.csv", encoding="utf-8-sig", keep_default_na=False)
    assert back["name"].tolist() == cb["name"].tolist()
    xl = pd.read_excel(tmp_path / "cb.xlsx", keep_default_na=False)
    assert xl["label_id"].tolist() == cb["label_id"].tolist()
    with pytest.raises(InstrumentError, match=".csv or .xlsx"):
        write_codebook(inst, tmp_path / "cb.txt")


def test_questionnaire_languages_and_escaping():
    inst = load_instrument("skm_2017")
    h_id = questionnaire_html(inst, "id")
    h_en = questionnaire_html(inst, "en")
    h_both = questionnaire_html(inst, "both")
    q9 = "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?"
    assert q9 in h_id and q9 not in h_en and q9 in h_both
    assert inst.label("U9", "en") in h_en and inst.label("U9", "en") in h_both
    for h in (h_id, h_en, h_both):
        assert "<script" not in h and "http" not in h.split("</style>")[0]  # self-contained
    # all 12 questions numbered in order
    assert re.findall(r"class='num'>(\d+)\.", h_id) == [str(k) for k in range(1, 13)]
    data = load_instrument("training_transfer").model_dump(by_alias=True, exclude_defaults=True, mode="json")
    data["items"][0]["label"]["id"] = "<b>Saya</b> & <script>alert(1)</script>"
    h = questionnaire_html(instrument_from_dict(data), "id")
    assert "<script>alert" not in h and "&lt;script&gt;alert(1)&lt;/script&gt;" in h
    with pytest.raises(InstrumentError, match="use one of id, en, both"):
        questionnaire_html(inst, "fr")


def test_questionnaire_grid_counts():
    inst = load_instrument("employee_survey")
    h = questionnaire_html(inst, "id")
    # 22 Likert items in grids (5 options + 1 missing code each) and the NIP as 18 boxes
    assert h.count("<td class='box'>") == 22 * 5
    assert h.count("<td class='box miss'>") == 22
    assert h.count("class='grid'") == 4


def test_questionnaire_pdf(tmp_path):
    from survey.forms import chromium_path

    if chromium_path() is None:
        pytest.skip("Chromium is not installed")
    p = write_questionnaire("training_transfer", tmp_path / "q.pdf", "both")
    assert p.read_bytes()[:5] == b"%PDF-"
    assert [x.name for x in tmp_path.iterdir()] == ["q.pdf"]


def test_write_sav_labels_missing_measure(tmp_path):
    inst = load_instrument("employee_survey")
    df = pd.DataFrame({
        "_uuid": ["a", "b", "c"],
        "nip": ["198404182009052001", None, "199001012015031002"],
        "MOT1": pd.array([1, pd.NA, 5], dtype="Int64"),
        "MOT5": pd.array([2, 3, pd.NA], dtype="Int64"),
        "synthetic": pd.array([True, True, True], dtype="boolean"),
    })
    p = write_sav(df, inst, tmp_path / "x.sav")
    data, meta = pyreadstat.read_sav(p, user_missing=True)
    assert list(data.columns) == ["uuid", "nip", "MOT1", "MOT5", "synthetic"]
    assert meta.column_names_to_labels["uuid"] == "_uuid"
    assert meta.column_names_to_labels["MOT1"] == inst.label("MOT1", "id")
    assert meta.variable_value_labels["MOT1"] == {1.0: "Sangat tidak setuju", 2.0: "Tidak setuju", 3.0: "Netral",
                                                  4.0: "Setuju", 5.0: "Sangat setuju", 9.0: "Tidak menjawab"}
    assert meta.missing_ranges["MOT1"] == [{"lo": 9.0, "hi": 9.0}]
    assert meta.variable_measure["MOT1"] == "ordinal" and meta.variable_measure["nip"] == "nominal"
    assert data["MOT1"].isna().tolist() == [False, True, False]
    assert data["nip"].tolist()[0] == "198404182009052001"  # text stays text: 18 digits exceed float precision
    assert data["synthetic"].tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("name", BUILTINS)
def test_questionnaire_has_every_item_and_option(name):
    import html

    inst = load_instrument(name)
    h = questionnaire_html(inst, "both")
    for it in inst.items:
        for lang in inst.languages:
            assert html.escape(it.label[lang]) in h, (it.name, lang)
    for sc in inst.scales.values():
        for o in [*sc.options, *sc.missing]:
            assert html.escape(o.label["id"]) in h
    assert h.count("class='num'") + h.count("<td class='no'>") == len(inst.items)


def test_malformed_constructs_sheet_is_an_instrument_error(tmp_path):
    path = to_xlsform("training_transfer", tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["constructs"]["F2"] = "dua"  # min_answered of the first construct
    wb["survey"]["A3"] = "select_one no_such_list"
    wb.save(path)
    with pytest.raises(InstrumentError, match="min_answered 'dua' is not a whole number"):
        from_xlsform(path)


def test_odk_validate_catches_what_pyxform_lets_through(tmp_path):
    from survey.forms import check_xlsform, odk_validate_available

    if not odk_validate_available():
        pytest.skip("Java is not installed: ODK Validate cannot run")
    data = load_instrument("training_transfer").model_dump(by_alias=True, exclude_defaults=True, mode="json")
    data["items"][1]["constraint"] = ". > 1 +"  # broken XPath
    inst = instrument_from_dict(data)
    path = to_xlsform(inst, tmp_path / "t.xlsx", check=False)
    convert(xlsform=str(path))  # pyxform alone accepts it
    with pytest.raises(InstrumentError, match="ODK Validate rejects the form"):
        check_xlsform(path)
    # the export catches it first, by the item's name (the check on pyxform's tokens)
    with pytest.raises(InstrumentError, match=r"items\[1\] \(TRA2\)\.constraint: ends with the operator '\+'"):
        to_xlsform(inst, tmp_path / "u.xlsx")
    assert not (tmp_path / "u.xlsx").exists()
    # every built-in passes ODK Validate
    for name in BUILTINS:
        assert check_xlsform(to_xlsform(name, tmp_path / f"{name}.xlsx"), odk_validate=True) == []


# -- one questionnaire renderer ---------------------------------------------------------------------
def _questionnaire_div(page: str) -> str:
    start = page.index("<div class='survey-questionnaire'")
    return page[start:page.rindex("</div>") + len("</div>")]


@pytest.mark.parametrize("name", ["training_reaction", "employee_survey"])
def test_export_and_designer_preview_are_one_questionnaire(name):
    from survey.drafts import draft_of
    from survey.drafts import questionnaire_html as preview_html

    for lang in ("id", "en"):
        printed = questionnaire_html(name, lang)
        preview = preview_html(draft_of(name), lang)
        assert printed.startswith("<!DOCTYPE html>") and "<html" not in preview  # a page and a fragment
        # the preview is the printed questionnaire plus the designer's notes (item name, reverse mark)
        notes = re.findall(r"<small class='designer'>.*?</small>", preview)
        assert len(notes) == len(load_instrument(name).items)
        assert re.sub(r"<small class='designer'>.*?</small>", "", _questionnaire_div(preview)) \
            == _questionnaire_div(printed)
        # the same styles, scoped to the questionnaire so the preview cannot restyle JupyterLab
        css = re.search(r"<style>(.*?)</style>", preview, re.S).group(1)
        assert css.strip() in printed
        assert all(rule.strip().startswith(".survey-questionnaire") for rule in css.split("}") if rule.strip())


def test_hostile_text_is_escaped_in_export_and_preview():
    from survey.drafts import questionnaire_html as preview_html
    from survey.drafts import set_item_text

    data = load_instrument("training_reaction").model_dump(by_alias=True, exclude_defaults=True, mode="json")
    data["items"][0]["label"]["en"] = "<script>alert('x')</script> & \"quoted\""
    data["title"]["en"] = "<img src=x onerror=alert(1)>"
    data["scales"]["agree5"]["options"][0]["label"]["en"] = "</td><script>bad()</script>"
    printed = questionnaire_html(instrument_from_dict(data), "en")
    preview = preview_html(set_item_text(data, 0, "label", "en", data["items"][0]["label"]["en"]), "en")
    for page in (printed, preview):
        assert "<script" not in page and "<img" not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "&lt;/td&gt;&lt;script&gt;bad()&lt;/script&gt;" in page
    # an item name that is not yet valid in a draft is escaped too
    bad_name = dict(data, items=[dict(data["items"][0], name="<b>x</b>")] + data["items"][1:])
    assert "<b>x</b>" not in preview_html(bad_name, "en") and "&lt;b&gt;x&lt;/b&gt;" in preview_html(bad_name, "en")


def test_questionnaire_preview_of_an_invalid_draft():
    from survey.drafts import add_item, draft_of
    from survey.drafts import questionnaire_html as preview_html

    d, pos = add_item(draft_of("training_reaction"), construct="relevance")
    d["scales"] = {}  # every item now points to a scale that does not exist
    h = preview_html(d, "en")
    assert "⚠ (belum diisi / not written)" in h  # the new item has no label yet
    assert h.count("<small class='designer'>") == len(d["items"])
    assert "REL5" in h
