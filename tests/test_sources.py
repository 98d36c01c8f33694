"""read_responses / validate_data on every source format, on the problems field data really has,
and on files built to break it: only DataError, and the input never changes."""
from __future__ import annotations

import hashlib
import hmac
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from survey import DataError, load_instrument, read_responses
from survey.forms import write_sav
from survey.responses import detect_source, quality_flags, validate_data

SRC = Path(__file__).parent / "fixtures" / "sources"
INST = load_instrument(SRC / "pelatihan_mini.yaml")
SALT = "test-salt-0123456789abcdef"
LIME_COLUMNS = {"G1Q1": "nip", "G1Q2": "umur", "Q1[SQ001]": "REL1", "Q1[SQ002]": "REL2", "Q1[SQ003]": "REL3",
                "Q1[SQ004]": "REL4", "G3Q1": "komentar"}
LIME_RECODE = {f"A{k}": k for k in (1, 2, 3, 4, 5, 9)}

# what every fixture holds (see build.py): 9 = "Tidak menjawab" and blanks read as NA
EXPECTED = {
    "umur": [40, 34, None, 36],
    "REL1": [4, 3, 5, 2],
    "REL2": [5, None, 5, None],
    "REL3": [4, 4, 5, 3],
    "REL4": [2, 1, 1, 4],
}
NIPS = ["198404182009052001", "199001012015031002", "197512302000121003", "198811112010011004"]

CASES = [
    ("kobo.csv", "kobo", {}),
    ("kobo.xlsx", "kobo", {}),
    ("odk_central.csv", "odk", {}),
    ("google_forms_id.csv", "google", {}),
    ("google_forms_en.csv", "google", {}),
    ("limesurvey.csv", "limesurvey", dict(columns=LIME_COLUMNS, recode=LIME_RECODE)),
    ("limesurvey_tab.csv", "limesurvey", dict(columns=LIME_COLUMNS)),
    ("spss.sav", "spss", {}),
]


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def values(s: pd.Series) -> list:
    return [None if pd.isna(v) else int(v) for v in s]


@pytest.mark.parametrize("name,source,kw", CASES)
def test_every_source_reads_the_same_answers(name, source, kw):
    path = SRC / name
    before = sha(path)
    df = read_responses(path, INST, salt=SALT, **kw)
    assert df.attrs["source"] == source
    for item, want in EXPECTED.items():
        assert values(df[item]) == want, item
        assert str(df[item].dtype) == "Int64"
    # NIP became the salted pseudonym HMAC-SHA256(salt, nip)[:16], computed here independently
    want = ["P" + hmac.new(SALT.encode(), n.encode(), hashlib.sha256).hexdigest()[:16] for n in NIPS]
    assert df["nip"].tolist() == want
    assert df.attrs["pseudonymised"] == ["nip"]
    assert sha(path) == before  # read only
    # forcing the detected source gives the same frame
    forced = read_responses(path, INST, salt=SALT, source=source, **kw)
    pd.testing.assert_frame_equal(df, forced)


@pytest.mark.parametrize("name,source,kw", CASES)
def test_fixtures_validate_clean(name, source, kw):
    rep = validate_data(SRC / name, INST, **kw)
    missing = set(rep.loc[rep["problem"] == "item column is missing from the file", "column"])
    # LimeSurvey's multiple-choice question and the SPSS file carry no `topik` column
    assert missing == ({"topik"} if source in ("limesurvey", "spss") else set())
    assert len(rep) == len(missing)


def test_kobo_metadata_and_select_multiple():
    df = read_responses(SRC / "kobo.csv", INST, keep_identifiers=True)
    assert df["nip"].tolist() == NIPS
    assert df["topik"].tolist()[:2] == ["1 3", "2"] and pd.isna(df["topik"].iloc[2])
    assert df["reaksi/topik/3"].tolist() == [1, 0, 0, 0]
    assert df["_uuid"].iloc[0] == "3f1e9c1a-7a51-4a3c-9a55-0d1c2b6e8f01"
    assert df["_id"].tolist() == [40211, 40212, 40213, 40214]
    assert df["komentar"].iloc[0] == "Bagus; sangat membantu"  # the delimiter inside a quoted answer
    assert df["komentar"].iloc[2] == 'Materi "praktis", terima kasih'


def test_google_labels_in_both_languages_match():
    a = read_responses(SRC / "google_forms_id.csv", INST, keep_identifiers=True)
    b = read_responses(SRC / "google_forms_en.csv", INST, keep_identifiers=True)
    assert a["topik"].tolist()[:2] == ["1 3", "2"]
    pd.testing.assert_series_equal(a["topik"], b["topik"])
    assert a["Cap waktu"].iloc[0] == "05/03/2024 10.00.30"


def test_limesurvey_needs_a_mapping():
    with pytest.raises(DataError) as info:
        read_responses(SRC / "limesurvey.csv", INST)
    assert "columns={'Q1[SQ001]': 'MOT1'" in str(info.value)
    with pytest.raises(DataError, match="does not have"):
        read_responses(SRC / "limesurvey.csv", INST, columns={"Q1[SQ001]": "NOPE"})
    # without recode the A1..A5 codes are listed, each with its row
    with pytest.raises(DataError) as info:
        read_responses(SRC / "limesurvey.csv", INST, columns=LIME_COLUMNS, keep_identifiers=True)
    rep = info.value.report
    assert set(rep["value"]) == {"A1", "A2", "A3", "A4", "A5", "A9"}
    assert set(rep["row"]) == {2, 3, 4, 5}


def test_detect_source():
    assert detect_source(["start", "grp/q1", "_uuid"]) == "kobo"
    assert detect_source(["SubmissionDate", "grp-q1", "meta-instanceID"]) == "odk"
    assert detect_source(["Timestamp", "How are you?"]) == "google"
    assert detect_source(["id", "submitdate", "lastpage", "Q1[SQ001]"]) == "limesurvey"
    assert detect_source(["MOT1", "MOT2"]) == "plain"
    assert detect_source(["x"], ".sav") == "spss"


def test_sav_user_missing_codes():
    data, meta = pyreadstat.read_sav(SRC / "spss.sav", user_missing=True)
    assert data["REL2"].tolist()[1] == 9.0  # the code is in the file ...
    assert meta.missing_ranges["REL2"] == [{"lo": 9.0, "hi": 9.0}]
    df = read_responses(SRC / "spss.sav", INST, keep_identifiers=True)
    assert pd.isna(df["REL2"].iloc[1])  # ... and reads as missing


def test_write_sav_reads_back_equal(tmp_path):
    df = read_responses(SRC / "kobo.csv", INST, salt=SALT)
    df["synthetic"] = pd.array([True, True, False, pd.NA], dtype="boolean")
    out = write_sav(df, INST, tmp_path / "k.sav")
    # user-missing code declared for the Likert items
    _, meta = pyreadstat.read_sav(out, metadataonly=True, user_missing=True)
    assert meta.missing_ranges["REL1"] == [{"lo": 9.0, "hi": 9.0}]
    back = read_responses(out, INST, salt=SALT)  # pseudonyms are not hashed twice
    pd.testing.assert_frame_equal(df, back)


# ------------------------------------------------------------------------------------------------
# problems field data has: each reported with row, column, value and a fix
# ------------------------------------------------------------------------------------------------
KOBO_HEAD = '"identitas/nip";"reaksi/REL1";"reaksi/REL2";"_uuid";"respondent_id"\n'


def report_of(path, **kw):
    before = sha(path)
    with pytest.raises(DataError) as info:
        read_responses(path, INST, keep_identifiers=True, **kw)
    rep = validate_data(path, INST, required_items=False, **kw)
    assert sha(path) == before
    pd.testing.assert_frame_equal(info.value.report.reset_index(drop=True), rep)
    assert list(rep.columns) == ["file", "row", "column", "value", "problem", "fix"]
    assert rep["fix"].str.len().gt(10).all()
    return rep


def test_duplicates_are_listed(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text(KOBO_HEAD + '"1";"4";"5";"u1";"R1"\n"2";"3";"3";"u2";"R2"\n"1";"4";"5";"u1";"R3"\n'
                 '"3";"2";"2";"u3";"R2"\n', encoding="utf-8")
    rep = report_of(f)
    got = {(r.row, r.column, r.value) for r in rep.itertuples()}
    assert got == {(4, "_uuid", "u1"), (5, "respondent_id", "R2")}
    assert "first in row 2" in rep.set_index("column").loc["_uuid", "problem"]


def test_unknown_item_column(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text("REL1,REL2,REL7,reaksi/XYZ,note\n4,4,4,1,x\n", encoding="utf-8")
    rep = report_of(f)
    assert set(rep["column"]) == {"REL7", "reaksi/XYZ"}
    assert rep["problem"].str.contains("has no item").all()


def test_missing_items_only_where_asked(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text("REL1,REL2\n4,4\n", encoding="utf-8")
    assert len(read_responses(f, INST)) == 1
    rep = validate_data(f, INST)
    assert sorted(rep["column"]) == sorted(["nip", "umur", "REL3", "REL4", "topik", "komentar"])
    with pytest.raises(DataError, match="item column is missing"):
        read_responses(f, INST, required_items=True)


def test_text_and_out_of_range_and_numbers(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text("REL1,REL2,umur,topik\n4,x,40,1 3\n6,4,4O,1 7\n3.5,Setuju,41.5,\n", encoding="utf-8")
    rep = report_of(f)
    got = {(r.row, r.column, r.value) for r in rep.itertuples()}
    assert got == {(2, "REL2", "x"), (3, "REL1", "6"), (3, "umur", "4O"), (3, "topik", "1 7"),
                   (4, "REL1", "3.5"), (4, "umur", "41.5")}


def test_title_rows_above_the_header(tmp_path):
    f = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Rekap Evaluasi Pelatihan BKPSDM Kota Medan"])
    ws.append([])
    ws.append(["REL1", "REL2", "REL3"])
    ws.append([4, 5, 3])
    ws.append([2, None, 9])
    wb.save(f)
    rep = report_of(f)
    assert rep["row"].tolist() == [3]
    assert "header_row=3" in rep["fix"].iloc[0]
    df = read_responses(f, INST, header_row=3)
    assert values(df["REL2"]) == [5, None] and values(df["REL3"]) == [3, None]


def test_excel_mangled_dates_and_numbers(tmp_path):
    f = tmp_path / "x.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["nip", "REL1", "REL2", "_submission_time"])
    import datetime as dt

    ws.append(["198404182009052001", 4, dt.datetime(2024, 3, 4), "2024-03-05T03:01:02"])
    ws.append([1.98404182009052e17, 3, 2, 45356.4375])
    wb.save(f)
    rep = report_of(f)
    by_col = rep.set_index("column")
    assert by_col.loc["REL2", "row"] == 2 and "into a date" in by_col.loc["REL2", "problem"]
    assert by_col.loc["nip", "row"] == 3 and "digits" in by_col.loc["nip", "problem"]
    assert by_col.loc["_submission_time", "row"] == 3 and "serial number" in by_col.loc["_submission_time", "problem"]
    g = tmp_path / "x.csv"
    g.write_text("nip,REL1,start\n1.98404E+17,3-Mar,01/03/2024\n198404182009052001,4,13/03/2024\n"
                 "198404182009052002,4,03/14/2024\n", encoding="utf-8")
    rep = report_of(g)
    got = {(r.row, r.column) for r in rep.itertuples()}
    assert got == {(2, "nip"), (2, "REL1"), (4, "start")}
    assert "day/month" in rep.set_index("column").loc["start", "problem"]


def test_ragged_rows_and_wrong_delimiter(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("REL1,REL2,komentar\n4,4,baik\n3,3,baik, sekali\n2,2,ok\n5,5,a,b,c\n", encoding="utf-8")
    rep = report_of(f)
    assert rep["row"].tolist() == [3, 5]
    assert rep["problem"].tolist() == ["4 fields where the header has 3", "5 fields where the header has 3"]
    k = SRC / "kobo.csv"
    rep = validate_data(k, INST, sep=",")
    assert len(rep) == 1 and "delimiter is wrong" in rep["problem"].iloc[0] and "sep=';'" in rep["fix"].iloc[0]


def test_encodings(tmp_path):
    f = tmp_path / "latin.csv"
    f.write_bytes("REL1,komentar\n4,bagus\n3,Sünarti baik\n".encode("cp1252"))
    rep = report_of(f)
    assert rep["row"].tolist() == [3] and "UTF-8" in rep["problem"].iloc[0]
    assert "encoding='cp1252'" in rep["fix"].iloc[0]
    df = read_responses(f, INST, encoding="cp1252")
    assert df["komentar"].iloc[1] == "Sünarti baik"
    g = tmp_path / "bom.csv"
    g.write_bytes("\ufeffREL1;REL2\n4;5\n".encode("utf-8"))
    assert values(read_responses(g, INST)["REL1"]) == [4]
    h = tmp_path / "utf16.txt"  # Excel "Unicode Text": UTF-16 with BOM, tab-separated
    h.write_bytes("REL1\tkomentar\n4\tmantap\n".encode("utf-16"))
    df = read_responses(h, INST)
    assert values(df["REL1"]) == [4] and df["komentar"].iloc[0] == "mantap"


BREAKERS = {
    "empty.csv": b"",
    "bom_only.csv": b"\xef\xbb\xbf",
    "header_only.csv": b"REL1,REL2\n",
    "blank_lines.csv": b"\n\n\n",
    "no_items.csv": b"a,b\n1,2\n",
    "binary.csv": bytes(range(256)) * 4,
    "nul.csv": b"REL1,REL2\n4,\x005\n",
    "quote.csv": b'REL1,komentar\n4,"never closed\n5,x\n',
    "delims.csv": b",,,,\n,,,,\n",
    "dup_header.csv": b"REL1,REL1,REL2\n4,4,4\n",
    "empty_header.csv": b",REL1,\n1,4,\n",
    "long.csv": b"REL1," + b"x" * 200000 + b"\n4,y\n",
    "fake.xlsx": b"not a zip at all",
    "zip.xlsx": None,
    "fake.sav": b"$FL2 broken sav header" + bytes(100),
    "old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
    "data.json": b'{"REL1": 4}',
}


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_files_built_to_break_it_give_only_dataerror(name, tmp_path):
    f = tmp_path / name
    if BREAKERS[name] is None:
        with zipfile.ZipFile(f, "w") as z:
            z.writestr("hello.txt", "a zip that is no workbook")
    else:
        f.write_bytes(BREAKERS[name])
    before = sha(f)
    try:
        read_responses(f, INST)
    except DataError as err:
        assert err.report is not None and len(err.report) >= 1
        assert str(err).startswith(str(f))
    rep = validate_data(f, INST, required_items=False)
    assert isinstance(rep, pd.DataFrame)
    assert sha(f) == before
    if name in ("dup_header.csv",):
        assert "appears twice" in rep["problem"].iloc[0]
    elif name not in ("empty_header.csv", "long.csv"):
        assert len(rep) >= 1


def test_missing_file_and_folder(tmp_path):
    for p in (tmp_path / "nope.csv", tmp_path):
        with pytest.raises(DataError):
            read_responses(p, INST)
        assert len(validate_data(p, INST)) == 1


def test_header_only_and_empty_messages(tmp_path):
    f = tmp_path / "h.csv"
    f.write_text("REL1,REL2\n", encoding="utf-8")
    with pytest.raises(DataError, match="no data rows|no responses"):
        read_responses(f, INST)


# ------------------------------------------------------------------------------------------------
# data-quality flags
# ------------------------------------------------------------------------------------------------
def test_quality_flags_hand_computed():
    inst = load_instrument("training_transfer")  # 11 items, TRA4 and SUP3 reverse keyed (1-5)
    names = [it.name for it in inst.scored_items]
    assert names == ["TRA1", "TRA2", "TRA3", "TRA4", "SUP1", "SUP2", "SUP3", "SUP4", "OPP1", "OPP2", "OPP3"]
    rows = [
        [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4],          # straight-liner; TRA4 and SUP3 agree with their twins
        [4, 5, 4, 2, 4, 4, 2, 5, 3, 4, 4],          # consistent
        [5, 5, 5, 5, 1, 2, 1, None, None, None, None],  # TRA4=5 contradicts TRA mean 5; SUP3=1 vs SUP mean 1.5
        [None] * 10 + [3],                          # almost nothing answered
    ]
    df = pd.DataFrame({n: pd.array([r[k] for r in rows], dtype="Int64") for k, n in enumerate(names)})
    df["duration_sec"] = [100, 400, 500, 600]
    q = quality_flags(df, inst)
    f = q.flags
    assert f["straightline"].tolist() == [True, False, False, False]
    assert f["longstring"].tolist() == [11, 2, 4, 1]
    assert f["n_answered"].tolist() == [11, 11, 7, 1]
    assert f["nonresponse"].tolist() == pytest.approx([0, 0, 4 / 11, 10 / 11])
    # median duration 450 s, threshold 0.5 x 450 = 225 s
    assert q.speed_threshold_sec == pytest.approx(225)
    assert f["speeder"].tolist() == [True, False, False, False]
    assert f["reverse_contradictions"].tolist()[:3] == [2, 0, 2]
    assert pd.isna(f["reverse_contradictions"].iloc[3])
    assert f["high_nonresponse"].tolist() == [False, False, False, True]
    assert f["any_flag"].tolist() == [True, False, True, True]
    s = q.summary.set_index("flag")
    assert s.loc["any_flag", "n"] == 3 and s.loc["any_flag", "percent"] == pytest.approx(75)
    q2 = quality_flags(df.drop(columns="duration_sec"), inst, min_seconds=50)
    assert f["straightline"].equals(q2.flags["straightline"])
    assert q2.flags["speeder"].isna().all() and q2.speed_threshold_sec is None
    assert q.to_dict()["speed_threshold_sec"] == pytest.approx(225)


def test_quality_flags_from_start_end():
    df = read_responses(SRC / "kobo.csv", INST, keep_identifiers=True)
    q = quality_flags(df, INST, min_seconds=120)
    # durations from end - start: 518.39, 110, 675, 750 s
    assert q.flags["duration_sec"].to_numpy() == pytest.approx([518.39, 110.0, 675.0, 750.0])
    assert q.flags["speeder"].tolist() == [False, True, False, False]
    # REL4 (reverse) = 1 with REL1-3 mean 5: no contradiction; row 1: REL4=2, mean 4.33 -> none
    assert q.flags["reverse_contradictions"].tolist() == [0, 0, 0, 0]


def test_write_sav_as_r_reads_it(tmp_path):
    """Cross-check with an independent reader, R's haven 2.x and foreign (run by hand, not in CI):

        d <- haven::read_sav("r.sav", user_na = TRUE)
        names(d); attr(d$REL1, "label"); attr(d$REL1, "labels"); attr(d$REL1, "na_values")
        as.numeric(d$REL2); d$nip; attr(d$uuid, "label")
        f <- foreign::read.spss("r.sav", to.data.frame = FALSE, use.missings = TRUE); f$REL2

    gave the literals below (foreign's factor has no "Tidak menjawab" level: 9 is user-missing).
    """
    df = read_responses(SRC / "kobo.csv", INST, keep_identifiers=True)
    out = write_sav(df[["nip", "umur", "REL1", "REL2", "REL3", "REL4", "komentar", "_uuid"]], INST, tmp_path / "r.sav")
    data, meta = pyreadstat.read_sav(out, user_missing=True)
    assert list(data.columns) == ["nip", "umur", "REL1", "REL2", "REL3", "REL4", "komentar", "uuid"]
    assert meta.column_names_to_labels["REL1"] == "Materi pelatihan sesuai dengan tugas saya."
    assert meta.variable_value_labels["REL1"] == {1: "Sangat tidak setuju", 2: "Tidak setuju", 3: "Netral",
                                                  4: "Setuju", 5: "Sangat setuju", 9: "Tidak menjawab"}
    assert meta.missing_ranges["REL1"] == [{"lo": 9, "hi": 9}]
    assert [None if np.isnan(v) else v for v in data["REL2"]] == [5, None, 5, None]
    assert data["nip"].tolist() == NIPS
    assert meta.column_names_to_labels["uuid"] == "_uuid"


def test_xlsx_trailing_empty_rows_are_not_responses(tmp_path):
    f = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["REL1", "REL2"])
    ws.append([4, 5])
    ws.append([None, None])
    ws.append([3, None])
    for r in range(5, 40):  # formatted cells Excel keeps after the data
        ws.cell(row=r, column=1).value = ""
    wb.save(f)
    with pytest.warns(UserWarning, match=r"1 empty row\(s\) skipped \(row 3\)"):
        df = read_responses(f, INST)
    # the empty row inside is not a response; it is counted in a note, the trailing ones are formatting
    assert values(df["REL1"]) == [4, 3]
    assert df.attrs["notes"] == ["1 empty row(s) skipped (row 3): every cell was empty"]


@pytest.mark.parametrize("name", ["kobo.csv", "limesurvey.csv", "kobo.xlsx", "spss.sav"])
def test_damaged_exports_give_only_dataerror(name, tmp_path):
    """Seeded random damage (flipped bytes, cuts, stray quotes, bare CR, NUL) to real fixtures.
    Found two crashes when first run: csv.Error on a bare CR, an overflowing integer cast."""
    import random

    rng = random.Random(20261127)
    data = (SRC / name).read_bytes()
    for k in range(15):
        b = bytearray(data)
        op = rng.choice(["flip", "trunc", "insert", "delete"])
        for _ in range(rng.randint(1, 6)):
            if not b:
                break
            i = rng.randrange(len(b))
            if op == "flip":
                b[i] = rng.randrange(256)
            elif op == "trunc":
                b = b[:i]
            elif op == "insert":
                b[i:i] = rng.choice([b'"', b";", b",", b"\n", b"\r", b"\x00", b"\xff", b"1e300", b"x"])
            else:
                del b[i]
        f = tmp_path / f"{k}_{name}"
        f.write_bytes(bytes(b))
        try:
            read_responses(f, INST, keep_identifiers=True)
        except DataError as err:
            assert "could not be read" not in str(err), str(err)  # the safety net must not be needed
        assert isinstance(validate_data(f, INST), pd.DataFrame)
        assert f.read_bytes() == bytes(b)


def test_kobo_dot_group_separator(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text('"reaksi.REL1";"reaksi.REL2";"_uuid"\n"4";"5";"a"\n', encoding="utf-8")
    df = read_responses(f, INST)
    assert values(df["REL1"]) == [4] and df.attrs["source"] == "kobo"


def test_title_line_does_not_decide_the_delimiter(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("Rekap survei, Kota Medan\n\nREL1;REL2;komentar\n4;5;baik, sekali\n3;2;ok\n", encoding="utf-8")
    rep = validate_data(f, INST, required_items=False)
    assert rep["row"].tolist() == [3] and "header_row=3" in rep["fix"].iloc[0]
    df = read_responses(f, INST, header_row=3)
    assert values(df["REL2"]) == [5, 2] and df["komentar"].tolist() == ["baik, sekali", "ok"]
