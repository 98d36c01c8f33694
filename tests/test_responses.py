from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from survey import DataError, load_instrument, read_responses, score


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_read_demo_types_and_missing_codes(demo_dir):
    path = demo_dir / "employee_survey.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = read_responses(path, "employee_survey")
    assert str(df["MOT1"].dtype) == "Int64"
    # missing code 9 and blanks become NA; all other values stay as answered
    n9 = (raw["MOT2"] == "9").sum()
    nblank = (raw["MOT2"] == "").sum()
    assert n9 > 0 and nblank > 0
    assert df["MOT2"].isna().sum() == n9 + nblank
    kept = ~raw["MOT2"].isin(["9", ""])
    assert (df.loc[kept, "MOT2"].astype(int).to_numpy() == raw.loc[kept, "MOT2"].astype(int).to_numpy()).all()
    # reverse items are NOT reversed at read time
    assert (df["MOT5"].dropna().astype(int).to_numpy() == raw.loc[~raw["MOT5"].isin(["9", ""]), "MOT5"].astype(int).to_numpy()).all()
    # the declared identifier (nip) is pseudonymised: HMAC-SHA256 with the public demo salt, because
    # the demo data are synthetic; the same NIP gives the same pseudonym (waves stay linkable)
    import hmac

    from survey.privacy import DEMO_SALT

    expected = "P" + hmac.new(DEMO_SALT.encode(), raw["nip"].iloc[0].encode(), hashlib.sha256).hexdigest()[:16]
    assert df["nip"].iloc[0] == expected
    assert df["nip"].nunique() == raw["nip"].nunique()
    assert not df["nip"].isin(raw["nip"]).any()
    kept_ids = read_responses(path, "employee_survey", keep_identifiers=True)
    assert kept_ids["nip"].tolist() == raw["nip"].tolist()  # 18 digits kept as text
    assert {"unit_id", "wave", "synthetic"} <= set(df.columns)


def test_out_of_range_and_text_are_all_reported(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("id,REL1,REL2,REL3,REL4\n1,5,4,4,1\n2,7,4,x,2\n3,3,3.5,,9\n", encoding="utf-8")
    before = _sha(f)
    with pytest.raises(DataError) as info:
        read_responses(f, "training_reaction")
    rep = info.value.report
    assert list(rep.columns) == ["file", "row", "column", "value", "problem", "fix"]
    got = {(r.row, r.column, r.value) for r in rep.itertuples()}
    assert got == {(3, "REL1", "7"), (3, "REL3", "x"), (4, "REL2", "3.5")}
    assert "row 3, column 'REL1', value '7'" in str(info.value)
    assert _sha(f) == before


def test_group_paths_and_semicolons(tmp_path):
    f = tmp_path / "kobo.csv"
    f.write_text('"reaksi/REL1";"reaksi/REL2";"_uuid"\n"4";"5";"a1"\n"2";"9";"a2"\n', encoding="utf-8")
    df = read_responses(f, "training_reaction")
    assert df["REL1"].tolist() == [4, 2]
    assert df["REL2"].isna().tolist() == [False, True]
    assert "_uuid" in df.columns


def test_xlsx(tmp_path):
    f = tmp_path / "r.xlsx"
    pd.DataFrame({"U1": [1, 4], "U2": [2, 3], "unit_id": ["A", "B"]}).to_excel(f, index=False)
    df = read_responses(f, "skm_2017")
    assert df["U1"].tolist() == [1, 4]


@pytest.mark.parametrize("content,match", [
    ("", "empty"),
    ("a,b\n1,2\n", "no column matches"),
    ("REL1\n", "no responses"),
])
def test_bad_files(tmp_path, content, match):
    f = tmp_path / "x.csv"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=match):
        read_responses(f, "training_reaction")


def test_latin1_file_says_how_to_fix(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes("REL1,nama\n4,Sünarti\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_responses(f, "training_reaction")


def test_score_hand_computed():
    inst = load_instrument("training_reaction")
    # REL4 is reverse keyed on a 1-5 scale: 6 - x
    df = pd.DataFrame({
        "REL1": pd.array([5, 4, pd.NA], dtype="Int64"),
        "REL2": pd.array([4, pd.NA, pd.NA], dtype="Int64"),
        "REL3": pd.array([5, 2, pd.NA], dtype="Int64"),
        "REL4": pd.array([1, 2, 3], dtype="Int64"),
    })
    s = score(df, inst, constructs=["relevance"])
    # row 0: (5 + 4 + 5 + (6-1)) / 4 = 4.75; row 1: (4 + 2 + 4) / 3 = 3.333..
    # row 2: one answered item < min_answered (2) -> NA
    assert s["relevance"].iloc[0] == pytest.approx(4.75)
    assert s["relevance"].iloc[1] == pytest.approx(10 / 3)
    assert np.isnan(s["relevance"].iloc[2])
    assert inst.constructs["relevance"].min_answered == 2
    # the input frame is untouched (no double reversing)
    assert df["REL4"].tolist() == [1, 2, 3]


def test_score_missing_column_is_clear():
    with pytest.raises(DataError, match="REL2"):
        score(pd.DataFrame({"REL1": [1]}), "training_reaction", constructs=["relevance"])


def test_metadata_types(demo_dir, tmp_path):
    df = read_responses(demo_dir / "employee_survey.csv", "employee_survey")
    # NumPy dtypes for metadata, so that statsmodels formulas accept them
    assert str(df["wave"].dtype) == "int64" and str(df["synthetic"].dtype) == "bool"
    assert str(df["first_treated"].dtype) == "float64" and df["first_treated"].isna().any()
    import statsmodels.formula.api as smf
    fit = smf.ols("MOT1_f ~ C(wave) + C(sector) + duration_sec", df.assign(MOT1_f=df["MOT1"].astype("float64"))).fit()
    assert "C(wave)[T.2]" in fit.params.index
    assert isinstance(df["respondent_id"].dtype, pd.StringDtype)
    # codes with leading zeros and long digit strings stay text, found by a sample of rows or by name
    f = tmp_path / "m.csv"
    f.write_text("kode,telp,REL1,skor,kode_unit\n007,081234567890,4,1.5,12\n010,081234567891,5,,13\n", encoding="utf-8")
    m = read_responses(f, "training_reaction")
    assert m["kode"].tolist() == ["007", "010"]
    assert m["telp"].tolist() == ["081234567890", "081234567891"]
    assert str(m["skor"].dtype) == "float64" and pd.isna(m["skor"].iloc[1])
    assert m["kode_unit"].tolist() == [12, 13]  # plain numbers without leading zeros are numbers
    # an id column (by name) is parsed as text first, so a leading zero after the sampled rows still counts
    g = tmp_path / "g.csv"
    g.write_text("unit_id,REL1\n" + "12,4\n" * 2500 + "007,4\n", encoding="utf-8")
    assert read_responses(g, "training_reaction")["unit_id"].iloc[-1] == "007"


def test_score_does_not_touch_input_and_accepts_text_numbers():
    df = pd.DataFrame({"REL1": ["5", "4"], "REL2": [4, 4], "REL3": [5, 2], "REL4": pd.array([1, pd.NA], dtype="Int64")})
    s = score(df, "training_reaction", constructs=["relevance"])
    assert s["relevance"].tolist() == pytest.approx([4.75, 10 / 3])
    assert "relevance" not in df.columns and df["REL1"].tolist() == ["5", "4"]


def test_whole_number_files_take_the_fast_path_and_are_still_checked(tmp_path):
    # all cells whole numbers: the parser reads them straight as Int64; codes are still checked
    f = tmp_path / "n.csv"
    f.write_text("REL1,REL2,REL3\n1,5,9\n7,0,\n4,4,4\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_responses(f, "training_reaction")
    got = {(r.row, r.column, r.value) for r in info.value.report.itertuples()}
    assert got == {(3, "REL1", "7"), (3, "REL2", "0")}
    g = tmp_path / "m.csv"
    g.write_text("REL1,REL2,REL3\n1,5,9\n2,3,\n4,4,4\n", encoding="utf-8")
    df = read_responses(g, "training_reaction")
    assert df["REL3"].isna().tolist() == [True, True, False]  # 9 = "Tidak menjawab" and blank
    assert df["REL1"].tolist() == [1, 2, 4] and str(df["REL1"].dtype) == "Int64"
    # the same answers with one text cell elsewhere (slow path) give the same typed values
    h = tmp_path / "s.csv"
    h.write_text("REL1,REL2,REL3,REL4\n1,5,9,1\n2,3,,Setuju\n4,4,4,2\n", encoding="utf-8")
    slow = read_responses(h, "training_reaction")
    pd.testing.assert_frame_equal(slow[["REL1", "REL2", "REL3"]], df[["REL1", "REL2", "REL3"]])
    assert slow["REL4"].tolist() == [1, 4, 2]


# -- result contract, renamed names and options -----------------------------------------------------
def test_quality_flags_result_contract():
    from survey import datasets
    from survey.responses import QualityFlagsResult, quality_flags
    from survey.results import Result

    df = datasets.load("reaction").head(40)
    q = quality_flags(df, "training_reaction")
    assert isinstance(q, QualityFlagsResult) and isinstance(q, Result)
    assert QualityFlagsResult.main == "flags"
    frame = q.to_frame()
    assert frame.equals(q.flags) and frame is not q.flags  # a copy of the main table
    assert list(frame.index) == list(df.index)
    # no time column: the speeder rule cannot be evaluated, and the result says so
    assert isinstance(q.warnings, tuple)
    assert q.warnings == ("no duration or start/end column: speeders are not flagged",)
    assert q.to_dict()["warnings"] == list(q.warnings)
    timed = df.assign(duration_sec=range(300, 340))
    assert quality_flags(timed, "training_reaction").warnings == ()


def test_quality_flags_old_name_warns():
    import survey.responses as responses

    with pytest.warns(DeprecationWarning, match="QualityFlagsResult"):
        old = responses.QualityFlags
    assert old is responses.QualityFlagsResult
    with pytest.raises(AttributeError):
        responses.NoSuchName  # noqa: B018


def test_quality_flags_bad_options_are_parameter_errors():
    from survey import ParameterError, datasets
    from survey.responses import quality_flags

    df = datasets.load("reaction").head(5)
    for kw in (dict(min_items=0), dict(speed_ratio=0), dict(max_nonresponse=1.5), dict(min_seconds=-1)):
        with pytest.raises(ParameterError):
            quality_flags(df, "training_reaction", **kw)


def test_unknown_source_and_construct_are_parameter_errors(tmp_path):
    from survey import ParameterError, datasets

    f = tmp_path / "r.csv"
    f.write_text("REL1\n4\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="source='qualtrics'.*plain"):
        read_responses(f, "training_reaction", source="qualtrics")
    with pytest.raises(ParameterError, match="constructs='relevanse'"):
        score(datasets.load("reaction"), "training_reaction", constructs=["relevanse"])
    # one construct may be given as a plain string
    assert "relevance" in score(datasets.load("reaction"), "training_reaction", constructs="relevance")


def test_public_names_stay_importable():
    import survey
    import survey.responses as responses
    from survey.forms import spss_name as forms_spss_name
    from survey._names import spss_name

    for name in ("SOURCES", "REPORT_COLUMNS", "read_responses", "validate_data", "score", "reverse_code",
                 "quality_flags", "detect_source", "QualityFlagsResult"):
        assert hasattr(responses, name), name
    assert survey.read_responses is responses.read_responses
    assert responses.SOURCES[0] == "auto" and "limesurvey" in responses.SOURCES
    assert forms_spss_name is spss_name


def test_the_reader_does_not_import_the_exporter():
    # the reader undoes write_sav's renaming with survey._names, not by importing survey.forms
    import ast
    from pathlib import Path

    import survey.responses as responses

    for module in Path(responses.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").endswith("forms"), module.name
                assert "forms" not in [a.name for a in node.names], module.name


def test_blank_words_beyond_the_sample_and_na_text_in_metadata(tmp_path):
    # The parser is told "" is blank for every column unless the first 2,000 rows of an item
    # column write blanks as words; "NA" further down must still be a blank answer, and "NA" in a
    # metadata column stays the text it is.
    f = tmp_path / "long.csv"
    rows = [f"r{k},{1 + k % 5},Medan" for k in range(2100)]
    rows[2050] = "r2050,NA,NA"
    f.write_text("respondent_id,REL1,unit\n" + "\n".join(rows) + "\n", encoding="utf-8")
    df = read_responses(f, "training_reaction")
    assert str(df["REL1"].dtype) == "Int64"
    assert pd.isna(df["REL1"].iloc[2050]) and int(df["REL1"].iloc[2049]) == 1 + 2049 % 5
    assert df["REL1"].isna().sum() == 1
    assert df["unit"].iloc[2050] == "NA" and df["unit"].iloc[0] == "Medan"
