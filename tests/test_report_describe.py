"""Conclusion sentences of the reports, on constructed cases: each rule written out by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from survey.report.impact import IKM_POINTS, describe_impact, pretrend_verdict, program_name
from survey.report.skm import describe_city, describe_ikm


def _row(**kw):
    base = {"n": 40, "ikm_unit": 69.125, "mutu": "C", "kinerja": "Kurang Baik", "ci_low_unit": 66.1,
            "ci_high_unit": 72.3}
    base.update(kw)
    return pd.Series(base)


def test_ikm_headline_in_25_100_with_mutu_and_kinerja():
    s = describe_ikm(_row(), "id", name="Kantor Lurah 1", wave="2026-S1")
    assert "**69,13**" in s[0] and "mutu **C (Kurang Baik)**" in s[0] and "40 responden" in s[0]
    assert "66,10" in s[1] and "72,30" in s[1]


def test_ikm_change_verdict_follows_the_test_not_the_size():
    prev = _row(ikm_unit=72.71)
    s = describe_ikm(_row(), "en", name="U", wave="W2", previous=prev, prev_wave="W1", significant=False)
    assert "fell by 3.58 points" in s[2] and "within sampling noise" in s[2]
    s = describe_ikm(_row(), "en", name="U", wave="W2", previous=prev, prev_wave="W1", significant=True)
    assert "larger than sampling noise" in s[2]


def test_small_unit_is_not_reported_and_says_why():
    s = describe_ikm(_row(n=2), "id", name="Unit kecil", wave="W", min_cell=5)
    assert len(s) == 1
    assert "2 responden" in s[0] and "kurang dari 5" in s[0] and "69" not in s[0]


def test_city_range_ignores_small_units():
    pooled = pd.Series({"n": 400, "ikm_unit": 72.5, "mutu": "C", "kinerja": "Kurang Baik"})
    units = pd.DataFrame({"n": [40, 3, 40], "ikm_unit": [80.0, 99.0, 65.5], "mutu": ["B", "A", "C"]},
                         index=["A1", "A2", "A3"])
    s = describe_city(pooled, units, "id", wave="W", names={})
    assert "A2" not in " ".join(s)  # 3 respondents: neither best nor counted in the grades
    assert "B: 1, C: 1" in s[1]


def test_ikm_effect_is_also_in_ikm_points():
    s = describe_impact(0.1436, 0.0834, 0.2037, "en", program="Leadership training", outcome="the IKM",
                        scale="1-4", ikm=True)
    assert IKM_POINTS == 25
    assert "**3.59 IKM points**" in s[1] and "2.09 to 5.09" in s[1]
    assert "The interval excludes zero" in s[2]
    s = describe_impact(0.05, -0.02, 0.12, "en", program="P", outcome="motivation", scale="1-5")
    assert "IKM points" not in " ".join(s)
    assert "cannot yet establish" in s[1]


def test_pretrend_reads_every_estimator():
    # TWFE lead test passes, but a Callaway-Sant'Anna pre-period interval excludes zero
    ok, text = pretrend_verdict("en", lead_pvalue=0.277, pre_intervals=[(-2, 0.02, 0.12), (-1, -0.09, 0.08)])
    assert ok is False and "period -2" in text and "Caution" in text
    # the lead test fails while the CS intervals include zero
    ok, text = pretrend_verdict("id", lead_pvalue=0.03, pre_intervals=[(-1, -0.1, 0.1)])
    assert ok is False and "p = 0,030" in text
    ok, text = pretrend_verdict("en", lead_pvalue=0.5, pre_intervals=[(-1, -0.1, 0.1)])
    assert ok is True and "no sign" in text
    assert pretrend_verdict("en")[0] is None


def test_truth_line_in_the_same_units_as_the_effect():
    s = describe_impact(0.14, 0.08, 0.20, "en", program="P", outcome="the IKM", scale="1-4", ikm=True,
                        true_effect=0.151)
    assert "3.78" in s[-1] and "inside" in s[-1]


def test_program_title_uses_the_name():
    assert program_name("kepemimpinan", "en") == "Leadership training"
    assert program_name("manajemen_proyek", "id") == "Pelatihan Manajemen Proyek"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_summary_is_short(lang):
    s = describe_ikm(_row(n_required=360, population=5000), lang, name="U", wave="W2", previous=_row(),
                     prev_wave="W1", significant=False, weakest=[("U8 X", 2.5)])
    assert len(s) <= 5


def test_needs_largest_gap_and_priority_are_not_confused():
    from survey.report.needs import describe_needs

    s = pd.DataFrame({"sector": ["kesehatan", "kesehatan", "pendidikan", "pendidikan"],
                      "competency": ["RS_MGT", "DIGITAL", "METODE_AJAR", "PROYEK"],
                      "mean_gap": [1.8, 1.1, 0.9, 0.2], "share_gap": [0.2, 0.9, 0.6, 0.1],
                      "priority": ["medium", "high", "medium", "low"],
                      "priority_score": [0.36, 0.99, 0.54, 0.02]})
    out = describe_needs(s, "en", labels={"RS_MGT": "Hospital management", "DIGITAL": "Digital services"})
    # the largest gap is the largest mean gap, listed first
    assert out[0].startswith("The three largest competency gaps: Hospital management in Health (mean 1.80")
    assert "PROYEK" not in out[0]
    # the top priority is the largest priority score, and it is called priority
    assert out[1] == "Top priority (a large gap shared by many staff): **Digital services** in Health."
    assert "1 sector and competency pairs" in out[2]


def test_needs_no_gap_is_said():
    from survey.report.needs import describe_needs

    s = pd.DataFrame({"sector": ["a"], "competency": ["X"], "mean_gap": [0.0], "share_gap": [0.0],
                      "priority": ["low"], "priority_score": [0.0]})
    assert describe_needs(s, "id") == ["Tidak ada kesenjangan kompetensi yang berarti pada data ini."]


def test_reliability_mentions_factor_analysis_only_when_it_ran():
    from survey.report.reliability import describe_reliability

    alphas = {"Relevance": 0.81, "Applicability": 0.64, "Delivery": 0.41}
    s = describe_reliability(alphas, "en", n_persons=120)
    assert s[0] == "Usable (α ≥ 0.70): Relevance (0.81)."
    assert "Applicability (0.64)" in s[1] and "caution" in s[1]
    assert "Delivery (0.41)" in s[2] and "Not yet usable" in s[2]
    assert not any("factor" in x for x in s)
    s = describe_reliability(alphas, "en", n_persons=120, factor_fit={"cfi": False, "tli": True, "rmsea": True,
                                                                       "srmr": True, "all": False})
    assert "CFI" in s[-1] and "factor analysis" in s[-1]


def test_reliability_counts_persons_not_person_waves():
    from survey.report.reliability import describe_reliability

    s = describe_reliability({"Motivation": 0.8}, "en", n_persons=288, waves=5, last_wave="2026-S1")
    text = " ".join(s)
    assert "288 persons" in text and "5 waves" in text and "1,440" not in text


def test_weak_transfer_is_said_plainly():
    from survey.report.training import describe_training

    weak = pd.Series({"coef": 0.08, "ci_low": -0.05, "ci_high": 0.21})
    s = describe_training("en", transfer=weak)
    assert "do not show" in s[0] and "weak" in s[0] and "includes zero" in s[0]
    strong = pd.Series({"coef": 0.34, "ci_low": 0.20, "ci_high": 0.47})
    s = describe_training("id", transfer=strong)
    assert "0,34 poin penerapan per poin dukungan" in s[0]


def test_learning_gain_needs_an_interval_above_zero():
    from types import SimpleNamespace

    from survey.report.training import describe_training

    pp = SimpleNamespace(mean_diff=1.2, ci_low=-0.3, ci_high=2.7, n=40)
    assert "did not change convincingly" in describe_training("en", learning=pp)[0]
