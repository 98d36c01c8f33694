"""The widgets' logic without a browser: draft editing, checks as you type, saving, the explorer's
numbers and figures. (The browser tests in tests/ui/ drive the same widgets through JupyterLab.)"""
from __future__ import annotations

import html
import math

import pandas as pd
import pytest
import yaml

from survey import load_instrument
from survey.errors import DataError, InstrumentError
from survey.instrument import instrument_from_dict
from survey.widgets import (
    ALL, Explorer, InstrumentDesigner, add_construct, add_item, check_draft, data_files, draft_of,
    filter_rows, guess_instrument, parse_scale_options, questionnaire_html, reliability_row,
    remove_construct, rename_construct, rename_scale, save_draft, scale_options_text, set_item_text,
    trend_table,
)

from tiny import TINY, tiny_instrument


# -- drafts ------------------------------------------------------------------------------------
def test_draft_of_a_builtin_is_valid_and_round_trips():
    d = draft_of("training_reaction")
    assert check_draft(d) == []
    assert instrument_from_dict(d) == load_instrument("training_reaction")


def test_check_draft_reports_a_missing_translation_as_one_message():
    d = set_item_text(draft_of("training_reaction"), 0, "label", "en", "")
    # instrument.py's own wording, kept whole (its "; add 'en: ...'" tail is not split off)
    assert check_draft(d) == ["items[0] (REL1).label: missing the English (en) text; add 'en: ...'"]


def test_add_item_follows_the_construct_and_is_invalid_until_labelled():
    d0 = draft_of("employee_survey")
    d, pos = add_item(d0, construct="motivation")
    it = d["items"][pos]
    assert it["name"] == "MOT6" and it["construct"] == "motivation" and it["scale"] == "agree5"
    assert d["items"][pos - 1]["name"] == "MOT5"  # placed after the construct's last item
    assert len(d["items"]) == len(d0["items"]) + 1 and len(d0["items"]) == 23  # input untouched
    problems = check_draft(d)
    assert problems == ["items[%d] (MOT6).label: missing the Bahasa Indonesia (id) text; add 'id: ...'" % pos,
                        "items[%d] (MOT6).label: missing the English (en) text; add 'en: ...'" % pos]
    d = set_item_text(set_item_text(d, pos, "label", "id", "Saya bersemangat."), pos, "label", "en", "I am keen.")
    assert check_draft(d) == []


def test_construct_rename_and_remove_update_the_items():
    d = rename_construct(draft_of("training_reaction"), "relevance", "relevansi")
    assert list(d["constructs"])[0] == "relevansi"
    assert [i["name"] for i in d["items"] if i.get("construct") == "relevansi"] == ["REL1", "REL2", "REL3", "REL4"]
    assert check_draft(d) == []
    d = remove_construct(d, "relevansi")
    rel4 = next(i for i in d["items"] if i["name"] == "REL4")
    assert "construct" not in rel4 and "reverse" not in rel4  # a reverse mark needs a construct
    assert check_draft(d) == []
    with pytest.raises(InstrumentError, match="already exists"):
        rename_construct(draft_of("training_reaction"), "relevance", "facilitator")


def test_new_construct_without_items_is_reported():
    d = add_construct(draft_of("training_reaction"), "commitment", {"id": "Komitmen", "en": "Commitment"})
    assert check_draft(d) == ["constructs.commitment: no item measures this construct"]


def test_scale_lines_parse_and_report_line_numbers():
    langs = ["id", "en"]
    opts, problems = parse_scale_options("1 | Tidak | No\n\n2 | Ya | Yes", langs)
    assert problems == [] and opts == [{"value": 1, "label": {"id": "Tidak", "en": "No"}},
                                       {"value": 2, "label": {"id": "Ya", "en": "Yes"}}]
    _, problems = parse_scale_options("1 | Tidak\nx | Ya | Yes", langs)
    assert problems == ["line 1: write 'value | label id | label en' (2 part(s) found)",
                        "line 2: the value 'x' is not a whole number"]
    d = draft_of("training_reaction")
    text = scale_options_text(d, "agree5")
    assert text.splitlines()[0] == "1 | Sangat tidak setuju | Strongly disagree"
    assert parse_scale_options(text, langs)[0] == d["scales"]["agree5"]["options"]
    d2 = rename_scale(d, "agree5", "setuju5")
    assert {i.get("scale") for i in d2["items"] if i.get("scale")} == {"setuju5"} and check_draft(d2) == []


def test_save_draft_refuses_an_invalid_draft_and_writes_a_valid_one(tmp_path):
    bad = set_item_text(draft_of("training_reaction"), 0, "label", "en", "")
    target = tmp_path / "x.yaml"
    with pytest.raises(InstrumentError):
        save_draft(bad, target)
    assert not target.exists()
    good = set_item_text(bad, 0, "label", "en", "New text")
    save_draft(good, target)
    assert load_instrument(target).label("REL1", "en") == "New text"
    assert [p.name for p in tmp_path.iterdir()] == ["x.yaml"]  # no temporary file left behind


def test_questionnaire_preview_follows_the_language_and_flags_missing_text():
    d = draft_of("training_reaction")
    assert "Materi pelatihan ini sesuai" in questionnaire_html(d, "id")
    en = questionnaire_html(d, "en")
    assert "The content of this training matches" in en and "Strongly disagree" in en
    assert "REL4</b>" in en and "(R)" in en
    bad = set_item_text(d, 0, "label", "en", "")
    assert "belum diisi / not written" in questionnaire_html(bad, "en")


# -- explorer helpers ------------------------------------------------------------------------------
def test_guess_instrument_from_demo_file_names():
    assert guess_instrument("data/demo/skm.csv") == "skm_2017"
    assert guess_instrument("x/employee_survey.csv") == "employee_survey"
    assert guess_instrument("units.csv") is None


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt")  # psych's ase is NaN too at n=6
def test_reliability_row_matches_psych():
    # R 4.x, psych 2.2.9: d <- data.frame(A1=c(1,2,3,4,5,2), A2=c(2,2,4,5,4,1), A3=c(5,4,3,2,1,4))
    # alpha(d, keys="A3")$total$raw_alpha = 0.947080291971; alpha.ci(0.947080291971, 6, 3)$lower = 0.775827583253
    row = reliability_row(TINY, tiny_instrument(), "a")
    assert row["n_obs"] == 6 and row["n_items"] == 3
    assert row["raw_alpha"] == pytest.approx(0.947080291971, abs=1e-10)
    assert row["ci_low"] == pytest.approx(0.775827583253, abs=1e-10)
    assert row["band"] == "excellent"


def test_trend_table_and_trend_figure_are_deprecated_wrappers():
    # the numbers are tested in tests/test_skm_trend.py (survey.skm.trend); the wrappers return the same
    from survey import skm
    from survey.widgets import trend_figure

    df = pd.concat([TINY, pd.DataFrame({"A1": [pd.NA], "A2": [pd.NA], "A3": [pd.NA]}).astype("Int64")],
                   ignore_index=True)
    df["wave"] = [1, 1, 1, 2, 2, 3, 2]
    with pytest.warns(DeprecationWarning, match="survey.skm.trend"):
        table, measure = trend_table(df, tiny_instrument(), "a")
    res = skm.trend(df, tiny_instrument(), "a")
    assert measure == res.measure == "a" and table.equals(res.table)
    with pytest.warns(DeprecationWarning) as record:
        table90, _ = trend_table(df, tiny_instrument(), "a", level=0.9)
    assert any("'level' is renamed 'confidence'" in str(r.message) for r in record)
    assert table90.equals(skm.trend(df, tiny_instrument(), "a", confidence=0.9).table)
    with pytest.warns(DeprecationWarning, match="plots.trend.trend_figure"):
        fig = trend_figure(table, highlight=ALL)
    assert list(fig.axes[0].lines[0].get_ydata()[:2]) == pytest.approx([20 / 9, 4.5])
    assert not fig.axes[0].patches  # "all waves" highlights none
    import matplotlib.pyplot as plt
    plt.close(fig)
    with pytest.raises(DataError, match="no 'wave' column"):
        with pytest.warns(DeprecationWarning):
            trend_table(TINY, tiny_instrument(), "a")


def test_widgets_use_the_shared_lang_check():
    from survey.errors import ParameterError

    with pytest.raises(ParameterError, match="lang='fr'"):
        InstrumentDesigner("training_reaction", lang="fr")


def test_filter_rows():
    df = pd.DataFrame({"unit_id": ["A", "B", "A"], "wave": pd.array([1, 2, 2], dtype="Int64")})
    assert len(filter_rows(df, unit_id="A", wave=ALL)) == 2
    assert len(filter_rows(df, unit_id="A", wave="2")) == 1
    with pytest.raises(DataError, match="sector"):
        filter_rows(df, sector="kesehatan")


# -- the widgets themselves (no browser: widget values set as a browser would) --------------------
def test_designer_edits_validates_and_saves(tmp_path):
    target = tmp_path / "reaction.yaml"
    d = InstrumentDesigner("training_reaction", save_path=target, lang="en")
    assert d.items.value == 0 and d.name.value == "REL1" and d.problems == []
    d.label_boxes["en"].value = ""
    assert "missing the English (en) text" in d.problems_box.value
    assert d.save() is None and not target.exists()
    assert "Not saved: 1 problem(s) left." in d.message.value
    d.label_boxes["en"].value = "Edited"
    d.reverse.value = True
    assert d.items.options[0][0].startswith("REL1 (R)")
    assert d.save() == target
    saved = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert saved["items"][0]["label"]["en"] == "Edited" and saved["items"][0]["reverse"] is True


def test_designer_filters_by_construct_and_adds_items():
    d = InstrumentDesigner("employee_survey", lang="id")
    d.filter.value = "career_development"
    assert [label.split(" ")[0] for label, _ in d.items.options] == ["CD1", "CD2", "CD3", "CD4"]
    d.add_item_button.click()
    assert d.name.value == "CD5" and len(d.problems) == 2  # its two empty labels
    d.label_boxes["id"].value = "Saya punya rencana karier."
    d.label_boxes["en"].value = "I have a career plan."
    assert d.problems == [] and d.instrument.label("CD5", "en") == "I have a career plan."
    d.scale_options.value = "1 | a\n2 | b | c"
    assert "line 1: write 'value | label id | label en'" in html.unescape(d.problems_box.value)


def test_designer_opens_an_invalid_file_to_fix_it(tmp_path):
    bad = draft_of("training_transfer")
    bad["items"][0]["label"]["en"] = ""
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    d = InstrumentDesigner(path)
    assert d.problems == ["items[0] (TRA1).label: missing the English (en) text; add 'en: ...'"]
    assert d.instrument is None


def test_designer_exports_xlsform_and_codebook(tmp_path):
    d = InstrumentDesigner("training_transfer", save_path=tmp_path / "t.yaml")
    xls = d.export("xlsform")
    book = d.export("codebook")
    assert xls == tmp_path / "training_transfer.xlsx" and xls.stat().st_size > 0
    assert book == tmp_path / "training_transfer_codebook.xlsx" and book.stat().st_size > 0


def test_explorer_follows_every_choice(demo_dir):
    e = Explorer(demo_dir / "employee_survey.csv", lang="en")
    assert e.instrument.value == "employee_survey" and e.construct.value == "motivation"
    full = e.responses()
    assert e.summary["n_obs"] == len(full)
    likert, trend = e.likert.value, e.trend_image.value
    assert likert[:4] == b"\x89PNG" and trend[:4] == b"\x89PNG"
    e.construct.value = "job_satisfaction"
    assert e.summary["construct"] == "job_satisfaction"
    assert e.likert.value != likert and e.trend_image.value != trend
    unit = e.unit.options[1][1]
    e.unit.value = unit
    assert e.summary["n_obs"] == int((full["unit_id"] == unit).sum())
    e.unit.value = ALL
    e.sector.value = "kesehatan"
    units = {v for _, v in e.unit.options if v != ALL}
    assert units == set(full.loc[full["sector"] == "kesehatan", "unit_id"].astype(str))
    e.wave.value = "2"
    assert len(e.frame) == int(((full["sector"] == "kesehatan") & (full["wave"] == 2)).sum())
    assert e.trend["wave"].tolist() == [1, 2, 3, 4, 5]  # the trend keeps every wave
    assert e.static_html().count("<img") == 2
    bundle = e._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "<img" in bundle["text/html"]


def test_explorer_switches_to_the_skm_file(demo_dir):
    assert [p.name for p in data_files(demo_dir)] == [
        "employee_survey.csv", "skm.csv", "training_reaction.csv", "training_transfer.csv"]
    e = Explorer(demo_dir / "employee_survey.csv")
    e.data.value = str(demo_dir / "skm.csv")
    assert e.instrument.value == "skm_2017" and e.construct.value == "ikm"
    assert e.trend is not None and e.trend["value"].between(25, 100).all()
    # the SKM file has no sector column: it comes from units.csv beside the data
    units = pd.read_csv(demo_dir / "units.csv").set_index("unit_id")["sector"]
    skm_units = pd.read_csv(demo_dir / "skm.csv")["unit_id"].unique()
    assert {v for _, v in e.sector.options} == {ALL, *units[skm_units]}
    assert len(e.sector.options) >= 3


def test_explorer_accepts_an_instrument_given_as_a_yaml_path(demo_dir, tmp_path):
    # 07_explore with instrument="<path>.yaml" failed with "TraitError: Invalid selection": the
    # dropdown held the built-in names only. An unmodified copy of a built-in must work like it.
    from importlib import resources

    copy = tmp_path / "employee_survey.yaml"
    copy.write_text((resources.files("survey") / "instruments" / "employee_survey.yaml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    e = Explorer(demo_dir / "employee_survey.csv", instrument=str(copy), lang="en")
    assert e.instrument.value == str(copy)
    assert ("employee_survey.yaml", str(copy)) in e.instrument.options
    assert e.construct.value == "motivation" and e.summary is not None
    builtin = Explorer(demo_dir / "employee_survey.csv", instrument="employee_survey", lang="en")
    assert e.summary == builtin.summary
    assert e.trend.equals(builtin.trend)
    # switching to a built-in and back keeps both choices working
    e.instrument.value = "employee_survey"
    e.instrument.value = str(copy)
    assert e.summary == builtin.summary


def test_designer_opens_a_yaml_path_relative_to_the_project_root(tmp_path, monkeypatch):
    from survey.paths import ROOT_ENV

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(draft_of("training_transfer"), allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    d = InstrumentDesigner("mine.yaml", lang="en")
    assert d.problems == [] and d.draft["id"] == "training_transfer"
