from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from survey import SurveyError, read_responses, score
from survey.simulate import KECAMATAN, generate


def test_kota_medan_facts():
    assert len(KECAMATAN) == 21
    assert sum(KECAMATAN.values()) == 151


def test_same_seed_same_bytes(tmp_path, demo_dir):
    generate(tmp_path, seed=20261127, scale="small")
    for f in sorted(demo_dir.iterdir()):
        assert hashlib.sha256(f.read_bytes()).digest() == hashlib.sha256((tmp_path / f.name).read_bytes()).digest(), f.name


def test_other_seed_other_data(tmp_path, demo_dir):
    generate(tmp_path, seed=1, scale="small")
    assert (tmp_path / "skm.csv").read_bytes() != (demo_dir / "skm.csv").read_bytes()


def test_files_are_marked_synthetic_and_truth_is_complete(demo_dir):
    for f in demo_dir.glob("*.csv"):
        df = pd.read_csv(f)
        assert df["synthetic"].all(), f.name
    truth = json.loads((demo_dir / "truth.json").read_text())
    assert {"managerial", "motivation", "job_satisfaction", "ikm"} <= set(truth["effects"])
    units = pd.read_csv(demo_dir / "units.csv")
    assert len(units) == 24 and units["kecamatan"].isin(list(KECAMATAN)).all()
    # staggered adoption with a never-treated group
    ft = units["first_treated"]
    assert ft.isna().sum() > 0 and ft.dropna().nunique() >= 2


def test_realistic_mess_present(demo_dir):
    raw = pd.read_csv(demo_dir / "employee_survey.csv", dtype=str, keep_default_na=False)
    items = [c for c in raw.columns if c[:2] in ("MO", "JS", "MC", "CD") and c[-1].isdigit()]
    cells = raw[items]
    assert (cells == "").to_numpy().mean() > 0.005
    assert (cells == "9").to_numpy().mean() > 0.003
    numeric = cells.replace({"": None}).astype(float)
    straight = numeric.nunique(axis=1) == 1
    assert straight.sum() >= 3


def test_known_truth_is_recoverable_by_a_naive_did(demo_dir):
    """A plain 2x2 comparison on the observed scores lands near the realised ATT.

    This checks the generator, not an estimator: the difference in means of treated-post minus
    treated-pre, minus the same for the never-treated, with the wave trend shared.
    """
    truth = json.loads((demo_dir / "truth.json").read_text())
    df = score(read_responses(demo_dir / "employee_survey.csv", "employee_survey"), "employee_survey")
    never = df["first_treated"].isna()
    t = df.loc[~never]
    effect = (t.loc[t["post"] == 1, "motivation"].mean() - t.loc[t["post"] == 0, "motivation"].mean())
    trend = df.loc[never & (df["wave"] >= 3), "motivation"].mean() - df.loc[never & (df["wave"] < 3), "motivation"].mean()
    att = truth["effects"]["motivation"]["att_observed"]
    assert effect - trend == pytest.approx(att, abs=0.12)
    assert 0.1 < att < 0.35


def test_bad_arguments(tmp_path):
    with pytest.raises(SurveyError, match="unknown scale"):
        generate(tmp_path, scale="huge")
    with pytest.raises(SurveyError, match="seed"):
        generate(tmp_path, seed=-1)
