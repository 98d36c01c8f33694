"""Hostile and damaged inputs: response files, instrument YAML, XLSForms.

Each case names its file under tests/fixtures/hostile/ (written by the build.py of its folder) and
asserts the whole outcome: the error class, the words that name the place (file, sheet, row,
column, value) and the fix; or, for a file that is fine once read correctly, the values read. No
case may change its input: the file's SHA-256 is compared before and after every case.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from survey import DataError, read_responses, validate_data
from survey.drafts import check_draft, load_draft
from survey.errors import InstrumentError
from survey.forms import from_xlsform, to_xlsform
from survey.instrument import MAX_TEXT, load_instrument, validate_instrument_file

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
RESP, INSTR, FORMS = HOSTILE / "responses", HOSTILE / "instruments", HOSTILE / "xlsforms"
INST = "training_reaction"
# the answers every response fixture holds (see responses/build.py); None = blank or missing code 9
REL1, REL2 = [4, 3, 5, 2], [5, None, 5, None]


@contextmanager
def untouched(path: Path):
    """The input file must have the same bytes after the case."""
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    yield
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before, f"{path.name} was modified"


def values(s: pd.Series) -> list:
    return [None if pd.isna(v) else int(v) for v in s]


def problems_of(name: str, **kw) -> pd.DataFrame:
    """read_responses must raise DataError; its report, checked to name the file on every row."""
    path = RESP / name
    with untouched(path), pytest.raises(DataError) as info:
        read_responses(path, INST, **kw)
    rep = info.value.report
    assert list(rep.columns) == ["file", "row", "column", "value", "problem", "fix"]
    assert (rep["file"] == str(path)).all()
    assert str(path) in str(info.value)
    return rep


def one(rep: pd.DataFrame, row, column, value, problem: str, fix: str) -> None:
    """Some report row has exactly this place and value, and these words in problem and fix."""
    hit = rep[[(r.row == row or (row is None and pd.isna(r.row))) and r.column == column and r.value == value
               for r in rep.itertuples()]]
    assert len(hit), f"no row {row}/{column}/{value!r} in\n{rep.to_string()}"
    assert hit["problem"].str.contains(problem, regex=False).any(), hit["problem"].tolist()
    assert hit["fix"].str.contains(fix, regex=False).any(), hit["fix"].tolist()


# --- responses: workbooks --------------------------------------------------------------------------
def test_formula_without_saved_result_names_sheet_and_cell():
    rep = problems_of("formula_no_result.xlsx")
    assert len(rep) == 1
    one(rep, 3, "REL2", "=2+3", "sheet 'Sheet', cell C3: a formula whose result was never saved",
        "open the workbook in Excel or LibreOffice and save it again")


def test_formula_with_saved_result_reads_the_result():
    path = RESP / "formula_with_result.xlsx"
    with untouched(path):
        df = read_responses(path, INST)
    assert values(df["REL2"]) == [5, 5, 5, None]  # C3 holds =2+3 with its saved result 5


def test_merged_cells_below_header_name_sheet_and_range():
    rep = problems_of("merged_cells.xlsx")
    assert len(rep) == 1
    one(rep, 4, "REL1", "B4:B5", "sheet 'Sheet', cells B4:B5 are merged: only B4 holds the value",
        "unmerge the cells (Home > Merge & Center) and fill the value into each cell")


def test_merged_title_above_header_is_harmless():
    path = RESP / "merged_title.xlsx"
    with untouched(path):
        df = read_responses(path, INST, header_row=2)
    assert values(df["REL1"]) == REL1 and values(df["REL2"]) == REL2


def test_data_on_second_sheet_lists_the_sheets_and_points_to_it():
    rep = problems_of("data_on_second_sheet.xlsx")
    assert len(rep) == 1
    one(rep, None, None, None, "no column in sheet 'Catatan' (the workbook's sheets: 'Catatan', 'Data') matches",
        "Sheet 'Data' has 5 item column(s): read it with sheet='Data' (survey validate-data --sheet 'Data')")


def test_sheet_chosen_by_name_and_by_position():
    path = RESP / "data_on_second_sheet.xlsx"
    with untouched(path):
        by_name = read_responses(path, INST, sheet="Data")
        by_pos = read_responses(path, INST, sheet=1)
    assert values(by_name["REL1"]) == REL1
    pd.testing.assert_frame_equal(by_name, by_pos, check_like=True)


def test_unknown_sheet_lists_the_sheets():
    rep = problems_of("data_on_second_sheet.xlsx", sheet="Nope")
    one(rep, None, None, "Nope", "no sheet 'Nope' in the workbook (sheets: 'Catatan', 'Data')",
        "give the sheet name as shown in Excel")


def test_text_file_named_xlsx():
    rep = problems_of("not_a_workbook.xlsx")
    one(rep, None, None, None, "cannot be read as XLSX (BadZipFile", "save it again as .xlsx")


# --- responses: text files -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["utf16le_no_bom.csv", "utf16be_no_bom.csv", "utf16_bom_tab.txt"])
def test_utf16_with_or_without_bom_reads(name):
    path = RESP / name
    with untouched(path):
        df = read_responses(path, INST)
    assert values(df["REL1"]) == REL1 and values(df["REL2"]) == REL2
    assert df["comment"].tolist()[:1] == ["bagus"] and df["respondent_id"].tolist() == ["r1", "r2", "r3", "r4"]


def test_empty_rows_are_skipped_counted_and_keep_row_numbers():
    path = RESP / "empty_rows.csv"
    with untouched(path):
        rep = validate_data(path, INST, required_items=False)
    # the bad code 7 is on row 7 of the file although two empty rows come before it
    assert rep[["row", "column", "value"]].values.tolist() == [[7, "REL1", "7"]]
    assert rep.attrs["notes"] == ["3 empty row(s) skipped (row 4, 6, 8): every cell was empty"]


def test_empty_rows_note_reaches_the_reader(tmp_path):
    src = (RESP / "empty_rows.csv").read_text(encoding="utf-8").replace("r4,7,", "r4,2,")
    f = tmp_path / "e.csv"
    f.write_text(src, encoding="utf-8")
    with pytest.warns(UserWarning, match=r"3 empty row\(s\) skipped \(row 4, 6, 8\)"):
        df = read_responses(f, INST)
    assert len(df) == 4 and df.attrs["notes"] == ["3 empty row(s) skipped (row 4, 6, 8): every cell was empty"]


def test_file_cut_inside_a_quoted_field():
    rep = problems_of("cut_inside_quote.csv")
    assert len(rep) == 1
    one(rep, 5, "comment", "Perlu lebih banyak lat", "the file ends inside a quoted field that starts on row 5",
        "download or export the file again")


def test_file_cut_between_fields():
    rep = problems_of("cut_short_last_row.csv")
    assert len(rep) == 1
    one(rep, 5, None, "r4,2,", "the last row has 3 of the header's 6 fields: the file looks cut off",
        "download or export the file again")


def test_binary_file():
    rep = problems_of("binary.csv")
    one(rep, None, None, None, "binary data, not a text (CSV) file", "export the responses as CSV or XLSX")


def test_nul_byte_in_text():
    rep = problems_of("nul_in_text.csv")
    one(rep, None, None, None, "binary data", "export the responses as CSV or XLSX")


def test_latin1_names_line_and_byte():
    rep = problems_of("latin1.csv")
    one(rep, 4, None, None, "not UTF-8 text (line 4, byte 128: ...kasih Bu D", "encoding='cp1252'")


def test_zero_bytes():
    rep = problems_of("zero_bytes.csv")
    one(rep, None, None, None, "the file is empty (0 bytes)", "export the responses again")


def test_header_only():
    rep = problems_of("header_only.csv")
    one(rep, None, None, None, "no responses (the file has a header but no data rows)", "export the responses again")


def test_duplicated_header():
    rep = problems_of("duplicate_header.csv")
    one(rep, 1, "REL1", "REL1", "column name appears twice (columns 2 and 3)", "rename or delete one of the two")


def test_row_with_a_field_too_many_is_not_shifted():
    rep = problems_of("ragged_rows.csv")
    assert len(rep) == 1
    one(rep, 2, None, "r1,4,5,4,2,bagus, sekali", "7 fields where the header has 6", "quote text that contains ','")


def test_forced_wrong_delimiter():
    rep = problems_of("semicolon.csv", sep=",")
    one(rep, 1, None, None, "the header is a single column", "pass sep=';'")


def test_file_of_another_instrument():
    rep = problems_of("wrong_instrument.csv")
    one(rep, None, None, None, "no column matches an item of instrument 'training_reaction'",
        "is this the right instrument or file?")


def test_map_file_alias_bomb_is_refused_by_the_command():
    path, data = RESP / "map_alias_bomb.yaml", RESP / "semicolon.csv"
    with untouched(path), untouched(data):
        proc = subprocess.run([str(Path(sys.executable).with_name("survey")), "validate-data", str(data), "--instrument", INST,
                               "--map", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"--map {path}" in proc.stderr and "alias bomb" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- responses: SPSS value labels ------------------------------------------------------------------
def test_sav_scale_running_the_other_way():
    rep = problems_of("sav_reversed.sav")
    assert rep["column"].tolist() == ["REL1", "REL2", "REL3", "REL4"]
    one(rep, 1, "REL1", "1 = 'Sangat setuju'; 2 = 'Setuju'; 4 = 'Tidak setuju'; 5 = 'Sangat tidak setuju'",
        "the file's value labels run the other way from scale agree5 of the instrument: the file says "
        "1 = 'Sangat setuju'; 2 = 'Setuju'; 4 = 'Tidak setuju'; 5 = 'Sangat tidak setuju', the instrument "
        "1 = 'Sangat tidak setuju'",
        "pass accept_label_mismatch=True")


def test_sav_reversed_labels_accepted_explicitly():
    path = RESP / "sav_reversed.sav"
    with untouched(path), pytest.warns(UserWarning, match="accepted: codes read as they are"):
        df = read_responses(path, INST, accept_label_mismatch=True)
    assert values(df["REL1"]) == REL1  # codes as they are, nothing reversed
    assert len(df.attrs["notes"]) == 4 and df.attrs["notes"][0].startswith("column 'REL1': the file's value labels run")


def test_sav_shifted_scale():
    rep = problems_of("sav_shifted.sav")
    one(rep, 1, "REL1", "0 = 'Sangat tidak setuju'; 1 = 'Tidak setuju'; 2 = 'Netral'; 3 = 'Setuju'",
        "are shifted (the file's codes are 1 lower) from scale agree5", "recode the column")


def test_sav_labels_in_english_mean_the_same():
    path = RESP / "sav_english.sav"
    with untouched(path):
        df = read_responses(path, INST)
    assert values(df["REL1"]) == REL1 and values(df["REL2"]) == REL2


def test_sav_labels_of_another_scale():
    rep = problems_of("sav_other_words.sav")
    one(rep, 1, "REL4", "1 = 'Buruk'; 2 = 'Kurang'; 3 = 'Cukup'; 4 = 'Baik'",
        "do not match scale agree5 of the instrument", "accept_label_mismatch=True")


# --- instruments (YAML) ----------------------------------------------------------------------------
@pytest.mark.parametrize("name, words", [
    ("alias_bomb.yaml", "the aliases expand to more than 1,000,000 values (an alias bomb?)"),
    ("recursive_alias.yaml", "line 2, column 10: a YAML alias refers to the block that contains it"),
    ("deep_nesting.yaml", "nested too deeply to read"),
    ("python_tag.yaml", "line 1, column 5: not valid YAML (could not determine a constructor for the tag"),
    ("not_utf8.yaml", "not UTF-8 text (byte 578); save it as UTF-8"),
    ("top_level_list.yaml", "an instrument must be a YAML mapping (key: value), got list"),
    ("unquoted_colon.yaml", "line 3, column 16: not valid YAML"),
])
def test_unreadable_instrument_yaml(name, words):
    path = INSTR / name
    with untouched(path):
        with pytest.raises(InstrumentError) as info:
            load_instrument(path)
        assert str(info.value).startswith(str(path)) and words in str(info.value)
        # the designer opens files through the same loader
        with pytest.raises(InstrumentError) as info2:
            load_draft(path)
        assert words in str(info2.value)


def test_oversized_instrument_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text((INSTR / "mini.yaml").read_text(encoding="utf-8") + "# " + "x" * 2_100_000 + "\n",
                    encoding="utf-8")
    with untouched(path), pytest.raises(InstrumentError, match=r"bytes is more than the 2,000,000"):
        load_instrument(path)


@pytest.mark.parametrize("name, line", [
    ("broken_constraint.yaml", "items[2] (Q3).constraint: ends with the operator '+' in '. > 1 +'"),
    ("unknown_reference.yaml", "items[1] (Q2).relevant: ${Q9}: no question is named 'Q9' in '${Q9} = 1'"),
    ("unbalanced_relevant.yaml", "items[1] (Q2).relevant: 1 bracket(s) opened and never closed"),
    ("stray_character.yaml", "items[1] (Q2).relevant: character '@' at position 7 is not part of an expression"),
])
def test_broken_expressions_fail_validation_and_export(name, line, tmp_path):
    path = INSTR / name
    with untouched(path):
        assert [p for p in validate_instrument_file(path) if p.startswith(line)]
        assert [p for p in check_draft(load_draft(path)) if p.startswith(line)]
        load_instrument(path)  # loading stays quick: the expressions are checked by validation and export
        with pytest.raises(InstrumentError) as info:
            to_xlsform(path, tmp_path / "f.xlsx")
    assert line in str(info.value) and "nothing was written" in str(info.value)
    assert list(tmp_path.iterdir()) == []  # no file, temporary or not


def test_valid_expressions_pass():
    path = INSTR / "mini.yaml"
    with untouched(path):
        assert validate_instrument_file(path) == []


def test_label_longer_than_a_cell_is_an_instrument_error(tmp_path):
    draft = load_draft(INSTR / "mini.yaml")
    draft["items"][0]["label"]["en"] = "x" * (MAX_TEXT + 1)
    assert check_draft(draft) == [f"items[0] (Q1).label.en: 32,768 characters, more than the 32,767 an XLSForm cell "
                                  "holds (Excel's limit); shorten it (put long instructions in a document)"]
    draft["items"][0]["label"]["en"] = "x" * MAX_TEXT  # the limit itself is allowed
    assert check_draft(draft) == []


# --- XLSForms --------------------------------------------------------------------------------------
def import_problems(name: str) -> list[str]:
    path = FORMS / name
    with untouched(path), pytest.raises(InstrumentError) as info:
        from_xlsform(path)
    assert str(info.value).startswith(str(path))
    return info.value.problems or [str(info.value)]


def test_form_without_choices_sheet():
    got = import_problems("no_choices_sheet.xlsx")
    assert got[0] == ("survey sheet, row 2, column A (type): choice list 'agree5' of question 'Q1' is not in the "
                      "choices sheet; the form has no choices sheet: add one with list_name, name and label columns")
    assert len(got) == 3


def test_form_with_unknown_list_name():
    assert import_problems("unknown_list_name.xlsx") == [
        "survey sheet, row 3, column A (type): choice list 'agre5' of question 'Q2' is not in the choices sheet "
        "(its lists: 'agree5'); check the spelling"]


@pytest.mark.parametrize("name, problem", [
    ("broken_relevant.xlsx", "survey sheet, row 3, column E (relevant): ends with the operator '+' in '${Q1} > 1 +'"),
    ("unknown_reference.xlsx", "survey sheet, row 4, column E (relevant): ${Q9}: no question is named 'Q9'"),
    ("broken_constraint.xlsx", "survey sheet, row 2, column F (constraint): operator '<' at position 4 has no value "
                               "before it in '. >< 3'"),
    ("unbalanced_relevant.xlsx", "survey sheet, row 3, column E (relevant): 1 bracket(s) opened and never closed"),
    ("malformed_reference.xlsx", "survey sheet, row 3, column E (relevant): malformed reference near position 1"),
    ("reference_to_calculate.xlsx", "survey sheet, row 4, column E (relevant): refers to ${total}, a calculate row "
                                    "the workbench does not import"),
])
def test_form_expressions_checked_at_import(name, problem):
    got = import_problems(name)
    assert len(got) == 1 and got[0].startswith(problem), got


def test_form_with_header_only():
    assert import_problems("header_only.xlsx") == [
        "survey sheet: no questions (the sheet has its header row only); add one row per question with its type, "
        "name and label"]


def test_form_with_notes_only():
    got = import_problems("notes_only.xlsx")
    assert got[0].startswith("survey sheet: no question the workbench can read") and "intro (note)" in got[0]


def test_form_without_survey_sheet():
    assert import_problems("no_survey_sheet.xlsx") == [
        f"{FORMS / 'no_survey_sheet.xlsx'}: no 'survey' sheet; is this an XLSForm? (sheets: pertanyaan, choices, "
        "settings)"]


def test_form_without_type_column():
    assert import_problems("no_type_column.xlsx") == [
        f"{FORMS / 'no_type_column.xlsx'}: the survey sheet has no 'type' column"]


def test_form_that_is_not_a_workbook():
    got = import_problems("not_a_workbook.xlsx")
    assert "cannot be read as an Excel workbook (BadZipFile" in got[0]


def test_form_label_longer_than_xlsform_allows():
    assert import_problems("label_too_long.xlsx") == [
        "survey sheet, row 2, column C (label::Bahasa Indonesia (id)), question Q1: 39,999 characters, more than "
        "the 32,767 an XLSForm cell holds (Excel's limit); shorten it (put long instructions in a document)"]
