"""privacy: salt handling, pseudonyms, dropping identifiers, small cells, identifier scan, scrubbing."""
from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from survey import DataError, read_responses
from survey.privacy import (DEMO_SALT, drop_direct_identifiers, get_salt, mask, pseudonym, pseudonymise,
                            scan_for_identifiers, scan_text, scrub_text, suppress_small_cells, write_salt_file)

SRC = Path(__file__).parent / "fixtures" / "sources"


@pytest.fixture
def no_salt_env(monkeypatch):
    monkeypatch.delenv("SURVEY_SALT", raising=False)
    monkeypatch.delenv("SURVEY_SALT_FILE", raising=False)


def test_salt_sources_in_order(no_salt_env, monkeypatch, tmp_path):
    with pytest.raises(DataError, match="SURVEY_SALT_FILE"):
        get_salt()
    assert get_salt(synthetic=True) == DEMO_SALT
    f = write_salt_file(tmp_path / "cfg" / "salt")
    assert oct(f.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("SURVEY_SALT_FILE", str(f))
    assert get_salt() == f.read_text().strip() and len(get_salt()) >= 40
    monkeypatch.setenv("SURVEY_SALT", "from-the-environment-123")
    assert get_salt() == "from-the-environment-123"  # the variable wins over the file
    assert get_salt("explicit-argument-12345") == "explicit-argument-12345"
    with pytest.raises(DataError, match="at least 16"):
        get_salt("short")
    with pytest.raises(DataError, match="already exists"):
        write_salt_file(f)
    monkeypatch.delenv("SURVEY_SALT")
    monkeypatch.setenv("SURVEY_SALT_FILE", str(tmp_path / "missing"))
    with pytest.raises(DataError, match="cannot read the salt file"):
        get_salt()


def test_pseudonym_is_hmac_and_normalises_spacing():
    salt = "s" * 20
    want = "P" + hmac.new(salt.encode(), b"198404182009052001", hashlib.sha256).hexdigest()[:16]
    assert pseudonym("198404182009052001", salt) == want
    assert pseudonym(" 19840418 200905 2 001 ", salt) == want
    assert pseudonym("198404182009052001", "t" * 20) != want
    s = pseudonymise(pd.Series(["198404182009052001", None, "198404182009052001"]), salt)
    assert s.iloc[0] == s.iloc[2] == want and pd.isna(s.iloc[1])


def test_read_responses_real_data_needs_a_salt(no_salt_env, tmp_path, monkeypatch):
    # kobo.csv has no `synthetic` column: it is treated as real data
    with pytest.raises(DataError, match="keep_identifiers=True"):
        read_responses(SRC / "kobo.csv", SRC / "pelatihan_mini.yaml")
    df = read_responses(SRC / "kobo.csv", SRC / "pelatihan_mini.yaml", keep_identifiers=True)
    assert df["nip"].iloc[0] == "198404182009052001"
    monkeypatch.setenv("SURVEY_SALT", "environment-salt-0123456789")
    df = read_responses(SRC / "kobo.csv", SRC / "pelatihan_mini.yaml", identifiers=["komentar"])
    assert df["nip"].iloc[0] == pseudonym("198404182009052001", "environment-salt-0123456789")
    assert df["komentar"].iloc[0].startswith("P") and len(df["komentar"].iloc[0]) == 17
    # the salt is nowhere in the frame
    assert not df.astype(str).apply(lambda c: c.str.contains("environment-salt")).any().any()


def test_synthetic_data_use_the_demo_salt(no_salt_env, tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("nip,REL1,synthetic\n198404182009052001,4,true\n", encoding="utf-8")
    df = read_responses(f, SRC / "pelatihan_mini.yaml")
    assert df["nip"].iloc[0] == pseudonym("198404182009052001", DEMO_SALT)


def test_drop_direct_identifiers():
    df = pd.DataFrame({"nip": ["1"], "Nama": ["Budi"], "no_hp": ["0812"], "email": ["a@b.id"], "unit_id": ["K"],
                       "REL1": [4], "custom": ["x"]})
    out = drop_direct_identifiers(df, SRC / "pelatihan_mini.yaml", columns=["custom"])
    assert list(out.columns) == ["unit_id", "REL1"]
    assert list(df.columns)[0] == "nip"  # the input is untouched


def test_suppress_small_cells_group_table():
    t = pd.DataFrame({"unit": ["A", "B", "C"], "n": [12, 4, 5], "ikm": [80.1, 95.0, 70.2]})
    out = suppress_small_cells(t, min_cell=5)
    assert out["unit"].tolist() == ["A", "B", "C"]
    assert out["n"].isna().tolist() == [False, True, False]
    assert out["ikm"].isna().tolist() == [False, True, False]
    assert out["suppressed"].tolist() == [False, True, False]
    assert out.attrs["suppressed"] == 1
    assert t["ikm"].iloc[1] == 95.0  # input untouched
    assert suppress_small_cells(t, min_cell=13)["ikm"].isna().all()


def test_suppress_small_cells_counts():
    ct = pd.DataFrame({"L": [10, 3, 0], "P": [1, 7, 5]}, index=["SD", "SMA", "S1"])
    out = suppress_small_cells(ct)  # 0 < n < 5 blanked, zeros stay
    assert out.isna().to_numpy().tolist() == [[False, True], [True, False], [False, False]]
    assert out.loc["S1", "L"] == 0 and out.attrs["suppressed"] == 2
    s = suppress_small_cells(pd.Series([2, 8], index=["a", "b"]), min_cell=3)
    assert pd.isna(s["a"]) and s["b"] == 8
    with pytest.raises(DataError):
        suppress_small_cells(ct, min_cell=0)


TEXT = """<p>NIP 198404182009052001 dan NIK 1271010101900001.</p>
<p>Hubungi 0812-3456-7890 atau +62 813 1234 5678 atau (061) 4512345, surel budi.s@medan.go.id</p>
<p>alpha 0.812345678901234567 and 0.8123456789012345 and 1.2345678901234567e-05</p>
<img src="data:image/png;base64,{b64}">
<p>hash a1b2c3198404182009052001ff, path /x/1271010101900001/y, icon@2x.png, version 2024-2025</p>
<p>NIP dengan spasi: 19840418 200905 2 001</p>
"""


def test_scan_text_finds_identifiers_and_not_numbers():
    b64 = base64.b64encode(bytes(range(256)) * 40 + b"198404182009052001 0812345678901").decode()
    found = scan_text(TEXT.replace("{b64}", b64))
    assert list(found.columns) == ["file", "kind", "line", "column", "match"]
    got = [(r.kind, r.line) for r in found.itertuples()]
    assert got == [("nip", 1), ("nik", 1), ("phone", 2), ("phone", 2), ("phone", 2), ("email", 2), ("nip", 6)]
    assert found["match"].iloc[0] == "19**************01"
    assert "198404182009052001" not in found.to_string()
    assert mask("abc") == "***"


def test_scan_files(tmp_path):
    h = tmp_path / "r.html"
    h.write_text("<html>\n<body>\n<td>0812-3456-7890</td>\n</body></html>", encoding="utf-8")
    r = scan_for_identifiers(h)
    assert r[["kind", "line"]].values.tolist() == [["phone", 3]]
    c = tmp_path / "r.csv"
    c.write_text("id,nik\n1,1271010101900001\n", encoding="utf-8")
    assert scan_for_identifiers(c)[["kind", "line"]].values.tolist() == [["nik", 2]]
    x = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["nip", "mail"])
    ws.append([198404182009052001, "x"])
    ws.append(["ok", "siti@example.go.id"])
    wb.save(x)
    r = scan_for_identifiers(x)
    assert r[["kind", "line", "column"]].values.tolist() == [["nip", 2, "data!A"], ["email", 3, "data!B"]]
    clean = tmp_path / "clean.html"
    clean.write_text("<p>IKM 88.31, n = 1234, 2024-S1</p>", encoding="utf-8")
    assert scan_for_identifiers(clean).empty
    with pytest.raises(DataError):
        scan_for_identifiers(tmp_path / "nope.html")


def test_scrub_text():
    t = "Terima kasih kepada Pak Budi Santoso, hubungi saya di 0812-3456-7890 atau budi@x.go.id. NIP 198404182009052001"
    assert scrub_text(t) == "Terima kasih kepada [nama], hubungi saya di [telepon] atau [email]. NIP [NIP]"
    assert scrub_text("Nama saya Siti Rahmawati.") == "[nama]."
    # question text with "Saudara" followed by lower case is not a name
    assert scrub_text("Bagaimana pendapat Saudara tentang layanan?") == "Bagaimana pendapat Saudara tentang layanan?"
    s = scrub_text(pd.Series(["0812 3456 789", None]))
    assert s.iloc[0] == "[telepon]" and pd.isna(s.iloc[1])


def test_demo_comments_are_scrubbed(demo_dir):
    df = pd.read_csv(demo_dir / "training_reaction.csv", dtype=str, keep_default_na=False)
    assert not scan_text("\n".join(df["comment"])).empty  # the demo plants phone numbers and e-mails ...
    assert scan_text("\n".join(scrub_text(df["comment"]))).empty  # ... and scrubbing removes them all


def test_google_forms_email_column_is_pseudonymised(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text('"Timestamp","Email Address","The content matches my tasks."\n'
                 '"2024/03/05 10:00:00 AM GMT+7","Budi@Medan.go.id","Agree"\n', encoding="utf-8")
    df = read_responses(f, SRC / "pelatihan_mini.yaml", salt="s" * 20)
    assert df["REL1"].tolist() == [4]
    assert df["Email Address"].iloc[0] == pseudonym("budi@medan.go.id", "s" * 20)  # case-folded
    assert df.attrs["pseudonymised"] == ["Email Address"]
    kept = read_responses(f, SRC / "pelatihan_mini.yaml", keep_identifiers=True)
    assert kept["Email Address"].iloc[0] == "Budi@Medan.go.id"


# Free-text comments as participants write them (cases first collected for the training
# evaluation report; the report shows comments through scrub_text, then html.escape).
@pytest.mark.parametrize("text, gone", [
    ("Hubungi saya di 0812-3456-7890 ya", "7890"),
    ("WA +62 812 3456 7890", "3456"),
    ("email: budi.santoso@medan.go.id", "santoso"),
    ("NIP 198503122010011002 mohon dicek", "198503122010011002"),
    ("NIK 1271 0212 0385 0001", "0385"),
    ("NIP 19850312 201001 1 002 mohon dicek", "201001"),
    ("Nama saya Rina Siregar, peserta", "Siregar"),
    ("Terima kasih Pak Ahmad Lubis atas materinya", "Lubis"),
    ("materi dari Bu Sari bagus", "Sari"),
])
def test_scrub_text_free_text_cases(text, gone):
    from survey.privacy import scrub_text

    out = scrub_text(text)
    assert gone not in out and "[" in out


def test_scrub_text_keeps_ordinary_text():
    from survey.privacy import scrub_text

    s = "Materi relevan, durasi 3 hari terlalu singkat. Skor 4/5 <b>"
    assert scrub_text(s) == s
    assert scrub_text("NIK 1271 0212 0385 0001") == "NIK [NIK]"
    assert scrub_text("NIP 19850312 201001 1 002") == "NIP [NIP]"


# ------------------------------------------------------------------------------------------------
# One synthetic-data rule: is_synthetic states the fact, each use compares it
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("values,expected", [
    ([True, True], "all"),
    (["true", " TRUE ", "1", "yes"], "all"),
    ([True, False], "some"),
    (["true", None], "some"),          # a missing flag is a real row
    ([False, False], "none"),
    ([], "none"),
])
def test_is_synthetic_states_all_some_or_none(values, expected):
    from survey.privacy import is_synthetic

    assert is_synthetic(pd.DataFrame({"synthetic": pd.Series(values, dtype=object)})) == expected
    assert str(is_synthetic(pd.DataFrame({"synthetic": pd.Series(values, dtype=object)}))) == expected


def test_is_synthetic_without_the_column_or_data():
    from survey.privacy import is_synthetic

    assert is_synthetic(pd.DataFrame({"q1": [1, 2]})) == "none"
    assert is_synthetic(None) == "none"


def test_is_synthetic_has_no_truth_value():
    """``if is_synthetic(df):`` would be true for "none" as a plain string; it must not pass silently."""
    from survey.privacy import is_synthetic

    with pytest.raises(TypeError, match="compare it"):
        bool(is_synthetic(pd.DataFrame({"synthetic": [True]})))


def test_demo_salt_only_when_every_row_is_synthetic(no_salt_env):
    assert get_salt(synthetic="all") == DEMO_SALT
    with pytest.raises(DataError, match="mix synthetic demo rows with real rows"):
        get_salt(synthetic="some")
    with pytest.raises(DataError, match="keep_identifiers=True"):
        get_salt(synthetic="none")
    with pytest.raises(DataError):
        get_salt(synthetic=False)


def test_mixed_data_need_a_secret_salt(no_salt_env, tmp_path):
    """One real row among demo rows: its NIP must not be pseudonymised with the public demo salt."""
    f = tmp_path / "mixed.csv"
    f.write_text("nip,REL1,synthetic\n198404182009052001,4,true\n197001012000011001,3,false\n", encoding="utf-8")
    with pytest.raises(DataError, match="public demo salt cannot be used"):
        read_responses(f, SRC / "pelatihan_mini.yaml")


def test_every_caller_uses_the_one_rule():
    import survey.report
    import survey.reports
    from survey import privacy

    assert survey.report.is_synthetic is privacy.is_synthetic
    assert survey.reports.is_synthetic is privacy.is_synthetic


def test_identifiers_around_embedded_images_keep_their_positions():
    # the scan skips base64 images by cutting them out; what it reports must still point into the
    # original text (line and column of scan_text come from these positions)
    from survey.privacy import find_identifiers, scan_text

    img = "data:image/png;base64," + "QUJD" * 1000 + "\n" + "MTIzNDU2Nzg5" * 10
    text = ('a <img src="' + img + '"> NIP 198503152010011002 and\n<img src="' + img
            + '"> Ibu Siti HP 0812-3456-7890')
    found = find_identifiers(text)
    assert [(k, m) for k, _a, _b, m in found] == [("nip", "198503152010011002"), ("name", "Ibu Siti"),
                                                  ("phone", "0812-3456-7890")]
    assert all(text[a:b] == m for _k, a, b, m in found)
    rows = scan_text(text)
    assert rows["line"].tolist() == [2, 4, 4]
    line2 = text.split("\n")[1]
    assert rows["column"].iloc[0] == str(line2.index("198503152010011002") + 1)
