"""The fast paths of reading and scoring give what the careful paths give: numbers the parser
inferred, problems far below the sampled rows, long numbers, and work spread over threads."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survey.responses._parallel as parallel
from survey.errors import DataError
from survey.instrument import load_instrument
from survey.responses import read_responses, score, validate_data
from tiny import tiny_instrument


def _write(tmp_path, text: str, name: str = "r.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(n: int, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    cells = rng.integers(1, 6, size=(n, 3)).astype(str).astype(object)
    cells[rng.random((n, 3)) < 0.05] = ""
    return cells.tolist()


def test_a_long_number_in_an_answer_is_shown_with_the_digits_of_the_file(tmp_path):
    # blanks make the parser read the column as floats, which round beyond 2**53
    path = _write(tmp_path, "A1,A2,A3\n1,2,3\n,,\n4,,5\n\n12345678901234567,1,2\n3,2,1\n")
    report = validate_data(path, tiny_instrument(), required_items=False)
    assert report[["row", "column", "value"]].values.tolist() == [[6, "A1", "12345678901234567"]]
    with pytest.raises(DataError, match="row 6, column 'A1', value '12345678901234567'"):
        read_responses(path, tiny_instrument())


def test_a_repeated_id_after_an_empty_row_names_its_own_row(tmp_path):
    path = _write(tmp_path, "respondent_id,A1,A2,A3\nR1,1,2,3\n,,,\nR2,4,5,1\nR1,3,3,3\n")
    report = validate_data(path, tiny_instrument())
    assert report[["row", "column", "value"]].values.tolist() == [[5, "respondent_id", "R1"]]
    assert report["problem"].iloc[0] == "respondent id used twice (first in row 2)"


def test_a_typo_far_below_the_sampled_rows_is_reported_and_the_rest_typed(tmp_path):
    rows = _rows(5000)
    rows[4321][1] = "4a"
    rows[4500][2] = "NA"  # a blank written as a word: missing, not a problem
    text = "A1,A2,A3\n" + "\n".join(",".join(r) for r in rows) + "\n"
    path = _write(tmp_path, text)
    report = validate_data(path, tiny_instrument())
    assert report[["row", "column", "value"]].values.tolist() == [[4323, "A2", "4a"]]
    rows[4321][1] = "4"
    df = read_responses(_write(tmp_path, "A1,A2,A3\n" + "\n".join(",".join(r) for r in rows) + "\n"),
                        tiny_instrument())
    assert [str(t) for t in df.dtypes] == ["Int64"] * 3
    assert df["A3"].isna().iloc[4500]
    expected = pd.DataFrame(rows, columns=["A1", "A2", "A3"]).replace({"": None, "NA": None}).astype("Int64")
    pd.testing.assert_frame_equal(df, expected)


def test_codes_outside_the_scale_and_missing_codes_in_a_numeric_column(tmp_path):
    inst = load_instrument("training_reaction")  # agree5: 1-5, missing code 9
    path = _write(tmp_path, "REL1,REL2,REL3\n1,9,2.5\n0,5,\n-3,4,1\n")
    report = validate_data(path, inst, required_items=False)
    assert report[["row", "column", "value"]].values.tolist() == [[3, "REL1", "0"], [4, "REL1", "-3"],
                                                                 [2, "REL3", "2.5"]]
    df = read_responses(_write(tmp_path, "REL1,REL2\n1,9\n,5\n", "ok.csv"), inst)
    assert df["REL1"].tolist() == [1, pd.NA] and df["REL2"].tolist() == [pd.NA, 5]


def test_whole_number_metadata_stays_numpy_integers(tmp_path):
    path = _write(tmp_path, "wave,minutes,A1,A2,A3\n1,-5,1,2,3\n2,,4,5,1\n")
    df = read_responses(path, tiny_instrument())
    assert df["wave"].dtype == np.int64 and df["wave"].tolist() == [1, 2]
    assert df["minutes"].dtype == np.float64 and df["minutes"].isna().tolist() == [False, True]


def test_threads_give_the_same_frame_problems_and_scores(tmp_path, monkeypatch):
    rows = _rows(3000, seed=1)
    rows[10][0], rows[2500][2], rows[2999][1] = "7", "x", "2.5"
    lines = [f"R{k:05d},{k % 4},2024-01-0{k % 9 + 1}," + ",".join(r) for k, r in enumerate(rows)]
    lines[40] = lines[12].split(",", 1)[0] + lines[40][lines[40].index(","):]  # a repeated id
    text = "respondent_id,wave,submission_date,A1,A2,A3\n" + "\n".join(lines) + "\n"
    bad = _write(tmp_path, text, "bad.csv")
    rows[10][0], rows[2500][2], rows[2999][1] = "1", "", "2"
    good = _write(tmp_path, "A1,A2,A3\n" + "\n".join(",".join(r) for r in rows) + "\n", "good.csv")
    inst = tiny_instrument()
    serial = (validate_data(bad, inst), score(read_responses(good, inst), inst))
    # every column and construct on two threads, whatever the file's size and the machine's load
    monkeypatch.setattr(parallel, "MIN_ROWS", 0)
    monkeypatch.setattr(parallel, "idle_cores", lambda: 2)
    threaded = (validate_data(bad, inst), score(read_responses(good, inst), inst))
    assert len(serial[0]) == 4
    pd.testing.assert_frame_equal(serial[0], threaded[0])
    pd.testing.assert_frame_equal(serial[1], threaded[1], check_exact=True)
