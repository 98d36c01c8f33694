"""Tests of survey.skm against the regulation's tables, published numbers and hand computations.

Sources written into the tests:
- PermenPANRB 14/2017, Lampiran: NRR = sum / valid answers, IKM = sum NRR x 1/9, IKM unit = x 25,
  grade table 1.00-2.5996 D / 2.60-3.064 C / 3.0644-3.532 B / 3.5324-4.00 A and
  25.00-64.99 / 65.00-76.60 / 76.61-88.30 / 88.31-100.00.
- KepmenPAN 25/2004: 14 unsur, weight 0.071, 1.00-1.75 D / 1.76-2.50 C / 2.51-3.25 B / 3.26-4.00 A,
  converted 25-43.75 / 43.76-62.50 / 62.51-81.25 / 81.26-100.
- A 29-respondent worked example from SKM practice: weights 0.11 / 0.111 / exact 1/9 give
  90.56 / 91.38 / 91.475. Its raw answers are not available, so the test builds a data set with the
  same totals (29 respondents, 955 answer points over 9 unsur, no blanks), which is all the three
  printed numbers depend on: 955/29 x {0.11, 0.111, 1/9} x 25.
- Krejcie & Morgan (1970), Table 1 (printed sample sizes).
- A published KepmenPAN 25/2004 report ("Hasil PHC", Unit Pendaftaran, Tabel 1, data of June 2012,
  https://www.scribd.com/doc/168413544/Hasil-PHC): 14 NRR 3,06 2,98 3,06 2,9 3,06 3,14 3,04 3,06
  3,18 3,08 3,2 3,18 3,1 3,04, each x 0,071, "= 3,059"; "3,059 x 25 = 76,475"; mutu B, kinerja baik.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from survey import skm
from survey.errors import DataError, ParameterError

CODES = [f"U{i}" for i in range(1, 10)]


def _column(total: int, n: int = 29) -> list[int]:
    """n answers of 3 or 4 summing to ``total`` (deficit from all-4 answered with 3s)."""
    d = 4 * n - total
    assert 0 <= d <= n
    return [3] * d + [4] * (n - d)


def example_29() -> pd.DataFrame:
    sums = [108, 105, 104, 110, 106, 107, 108, 103, 104]   # total 955
    assert sum(sums) == 955
    return pd.DataFrame({c: _column(s) for c, s in zip(CODES, sums)})


# --------------------------------------------------------------------------------------------
# the index: worked example and hand computations
# --------------------------------------------------------------------------------------------
def test_29_respondent_example_three_weightings():
    df = example_29()
    exact = skm.ikm(df, weighting="exact", ci=None).summary.iloc[0]
    w3 = skm.ikm(df, weighting="3dp", ci=None).summary.iloc[0]
    w2 = skm.ikm(df, weighting="2dp", ci=None).summary.iloc[0]
    # printed numbers: 91.475 (exact 1/9), 91.38 (0.111), 90.56 (0.11)
    assert round(exact["ikm_unit"], 3) == 91.475
    assert round(w3["ikm_unit"], 2) == 91.38
    assert round(w2["ikm_unit"], 2) == 90.56
    # hand: 955 / 29 / 9 = 3.659003831...
    assert exact["ikm"] == pytest.approx(955 / 29 / 9, abs=1e-12)
    assert exact["n"] == 29 and exact["mutu"] == "A" and exact["kinerja"] == "Sangat Baik"


def test_nrr_and_publication_table_by_hand():
    df = pd.DataFrame({c: [4, 3, 2, 3] for c in CODES})
    df["U3"] = [1, 2, 2, 3]          # NRR 2.0
    df["U5"] = [4, 4, None, 4]       # blank: NRR over 3 valid answers = 4.0
    res = skm.ikm(df, ci=None)
    nrr = res.nrr.iloc[0]
    assert nrr["U1"] == 3.0 and nrr["U3"] == 2.0 and nrr["U5"] == 4.0
    assert res.counts.iloc[0]["U5"] == 3 and res.totals.iloc[0]["U5"] == 12
    # IKM = (7 x 3 + 2 + 4) / 9 = 27/9 = 3.0 -> unit 75.0 -> C Kurang Baik
    s = res.summary.iloc[0]
    assert s["ikm"] == pytest.approx(3.0) and s["ikm_unit"] == pytest.approx(75.0)
    assert s["mutu"] == "C" and s["kinerja"] == "Kurang Baik"
    tab = skm.publication_table(res, lang="id")
    assert tab.loc["NRR per unsur"].iloc[2] == 2.0
    assert tab.loc["NRR tertimbang per unsur"].iloc[0] == pytest.approx(3.0 / 9)
    assert tab.loc["IKM unit pelayanan", "IKM"] == pytest.approx(75.0)
    assert tab.loc["Mutu pelayanan", "IKM"] == "C"


def test_grouped_equals_separate_runs_and_sorted_groups():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.integers(1, 5, size=(120, 9)), columns=CODES)
    df["unit_id"] = np.repeat(["B", "A", "C"], 40)
    df["wave"] = np.tile([1, 2], 60)
    res = skm.ikm(df, by=["unit_id", "wave"], ci=None)
    assert list(res.summary.index) == [("A", 1), ("A", 2), ("B", 1), ("B", 2), ("C", 1), ("C", 2)]
    for (u, w), row in res.summary.iterrows():
        sub = df[(df.unit_id == u) & (df.wave == w)]
        hand = sub[CODES].mean().mean()           # complete data: mean of NRR with 1/9 weights
        assert row["ikm"] == pytest.approx(hand, abs=1e-12)
        assert row["n"] == len(sub)


def test_regime_2004_fourteen_unsur_hand():
    # KepmenPAN 25/2004: 14 unsur, NRR x 0.071 ("3dp") or exactly 1/14
    codes = [f"U{i}" for i in range(1, 15)]
    df = pd.DataFrame({c: [3, 3, 4, 2] for c in codes})        # every NRR = 3.0
    df["U14"] = [1, 1, 2, 2]                                    # NRR 1.5
    exact = skm.ikm(df, regime="2004", ci=None).summary.iloc[0]
    assert exact["ikm"] == pytest.approx((13 * 3.0 + 1.5) / 14)             # 2.892857...
    assert exact["mutu"] == "B"                                             # 2.51-3.25
    w3 = skm.ikm(df, regime="2004", weighting="3dp", ci=None).summary.iloc[0]
    assert w3["ikm"] == pytest.approx((13 * 3.0 + 1.5) * 0.071)             # 2.8755
    assert w3["ikm_unit"] == pytest.approx(71.8875)
    assert skm.unsur_table("2004").loc["U10", "label_id"] == "Kewajaran biaya pelayanan"
    assert len(skm.unsur_table("2004")) == 14


def test_published_2004_report_unit_pendaftaran():
    # The report prints NRR to 2 decimals; with 50 respondents per unsur each NRR is exact
    # (every value is a multiple of 0.02), so answers of 2, 3 and 4 reproduce them exactly.
    nrr = [3.06, 2.98, 3.06, 2.9, 3.06, 3.14, 3.04, 3.06, 3.18, 3.08, 3.2, 3.18, 3.1, 3.04]
    cols = {}
    for i, v in enumerate(nrr, start=1):
        k = round(v * 50) - 150          # fours above an all-3 baseline, or twos below it
        cols[f"U{i}"] = [4] * k + [3] * (50 - k) if k >= 0 else [2] * (-k) + [3] * (50 + k)
    df = pd.DataFrame(cols)
    res = skm.ikm(df, regime="2004", weighting="3dp", ci=None)
    assert list(res.nrr.iloc[0].round(2)) == nrr
    s = res.summary.iloc[0]
    assert round(s["ikm"], 3) == 3.059                      # printed "= 3,059"
    assert round(round(s["ikm"], 3) * 25, 3) == 76.475      # printed "3,059 x 25 = 76,475" (IKM rounded first)
    assert s["ikm_unit"] == pytest.approx(43.08 * 0.071 * 25)   # unrounded: 76.467
    assert s["mutu"] == "B" and s["kinerja"] == "Baik"      # printed "Mutu ... B", "Kinerja ... baik"


def test_weights_mapping_and_validation():
    df = pd.DataFrame({c: [4, 2] for c in CODES})
    df["U1"] = [4, 4]                   # NRR U1 = 4, others 3
    w = {c: 0.1 for c in CODES}
    w["U1"] = 0.2                       # sums to 1.0
    s = skm.ikm(df, weighting=w, ci=None).summary.iloc[0]
    assert s["ikm"] == pytest.approx(0.2 * 4 + 0.8 * 3)
    # the mapping's own order does not matter
    reordered = dict(reversed(list(w.items())))
    assert skm.ikm(df, weighting=reordered, ci="delta").summary.iloc[0]["ikm"] == pytest.approx(3.2)
    bad = dict(w, U1=0.3)
    with pytest.raises(DataError, match="sum to 1"):
        skm.ikm(df, weighting=bad, ci=None)
    with pytest.raises(DataError, match="missing"):
        skm.ikm(df, weighting={c: 1 / 8 for c in CODES[:8]}, ci=None)


# --------------------------------------------------------------------------------------------
# grades: every edge of both regimes on both scales
# --------------------------------------------------------------------------------------------
EDGES = {
    "2017": {
        "ikm": [(1.00, "D"), (2.5996, "D"), (2.60, "C"), (3.064, "C"), (3.0644, "B"), (3.532, "B"),
                (3.5324, "A"), (4.00, "A")],
        "unit": [(25.00, "D"), (64.99, "D"), (65.00, "C"), (76.60, "C"), (76.61, "B"), (88.30, "B"),
                 (88.31, "A"), (100.00, "A")],
    },
    "2004": {
        "ikm": [(1.00, "D"), (1.75, "D"), (1.76, "C"), (2.50, "C"), (2.51, "B"), (3.25, "B"),
                (3.26, "A"), (4.00, "A")],
        "unit": [(25.00, "D"), (43.75, "D"), (43.76, "C"), (62.50, "C"), (62.51, "B"), (81.25, "B"),
                 (81.26, "A"), (100.00, "A")],
    },
}


@pytest.mark.parametrize("regime", ["2017", "2004"])
@pytest.mark.parametrize("scale", ["ikm", "unit"])
def test_every_published_edge(regime, scale):
    for value, letter in EDGES[regime][scale]:
        assert skm.grade(value, regime, scale) == letter, (regime, scale, value)
    values = [v for v, _ in EDGES[regime][scale]]
    assert list(skm.grade(np.array(values), regime, scale)) == [g for _, g in EDGES[regime][scale]]


def test_edges_as_computed_products_and_between_edges():
    # the 1-4 edges times 25 are computed in floating point (3.0644 * 25 = 76.61000000000001)
    assert skm.grade(3.0644 * 25, "2017", "unit") == "B"
    assert skm.grade(2.5996 * 25, "2017", "unit") == "D"
    assert skm.grade(76.60 / 25, "2017", "ikm") == "C"
    # documented rule: a value above a grade's published upper bound belongs to the next grade
    assert skm.grade(64.995, "2017", "unit") == "C"
    assert skm.grade(2.5998, "2017", "ikm") == "C"
    assert skm.grade(3.0642, "2017", "ikm") == "B"
    assert skm.grade(76.605, "2017", "unit") == "B"
    assert skm.grade(1.755, "2004", "ikm") == "C"
    assert skm.grade(43.755, "2004", "unit") == "C"
    assert skm.grade(float("nan")) is None
    with pytest.raises(DataError, match="scale"):
        skm.grade(75.0, "2017", "ikm")
    assert skm.kinerja_label("B", "id") == "Baik" and skm.kinerja_label("D", "en") == "Very poor"


@pytest.mark.parametrize("regime", ["2017", "2004"])
def test_both_scales_agree_everywhere(regime):
    x = np.round(np.linspace(1.0, 4.0, 30001), 6)
    assert (skm.grade(x, regime, "ikm") == skm.grade(x * 25, regime, "unit")).all()


def test_ikm_uses_the_grade_table_at_an_edge():
    # 5 respondents answering 3,3,3,2,2 to every unsur: NRR 13/5 = 2.6 each -> IKM 2.60 ->
    # unit 65.00 -> C (the lower edge of C on both scales)
    df = pd.DataFrame({c: [3, 3, 3, 2, 2] for c in CODES})
    s = skm.ikm(df, ci=None).summary.iloc[0]
    assert s["ikm"] == pytest.approx(2.6) and s["ikm_unit"] == pytest.approx(65.0)
    assert s["mutu"] == "C"


# --------------------------------------------------------------------------------------------
# gaps in the data
# --------------------------------------------------------------------------------------------
def test_missing_unsur_excluded_and_renormalised_with_warning():
    df = pd.DataFrame({c: [4, 2, 3] for c in CODES})          # NRR 3 everywhere
    df["U1"] = [4, 4, 4]                                       # NRR 4
    df["U8"] = [None, None, None]                              # nobody answered Pengaduan
    with pytest.warns(skm.SKMWarning, match="U8"):
        res = skm.ikm(df, ci=None)
    s = res.summary.iloc[0]
    # hand: weights 1/8 over the 8 answered unsur: (4 + 7 x 3) / 8 = 3.125
    assert s["ikm"] == pytest.approx(3.125)
    assert s["n_unsur"] == 8 and s["excluded_unsur"] == "U8"
    assert res.unsur_weights.iloc[0]["U8"] == 0 and res.unsur_weights.iloc[0]["U1"] == pytest.approx(1 / 8)
    assert any("U8" in w for w in res.warnings)
    # rounded weights are re-read for 8 unsur: 0.125 (3dp), 0.13 (2dp)
    with pytest.warns(skm.SKMWarning):
        s2 = skm.ikm(df, ci=None, weighting="2dp").summary.iloc[0]
    assert s2["ikm"] == pytest.approx(0.13 * 25)


def test_complete_data_raises_no_warning():
    df = example_29()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = skm.ikm(df, ci=None)
    assert res.warnings == ()


def test_missing_codes_are_na_and_otherwise_rejected():
    df = pd.DataFrame({c: [4, 2, 3] for c in CODES})
    df["U2"] = [4, 9, 4]
    with pytest.raises(DataError) as err:
        skm.ikm(df, ci=None)
    assert "row 2" in str(err.value) and "'U2'" in str(err.value) and "missing_codes" in str(err.value)
    res = skm.ikm(df, ci=None, missing_codes=[9])
    assert res.nrr.iloc[0]["U2"] == 4.0 and res.counts.iloc[0]["U2"] == 2
    # blanks as empty strings (a CSV read as text) are missing too
    df2 = pd.DataFrame({c: ["4", " ", "3"] for c in CODES})
    assert skm.ikm(df2, ci=None).nrr.iloc[0]["U1"] == 3.5


@pytest.mark.parametrize("bad", [5, 0, 2.5, "x"])
def test_out_of_range_names_row_and_column(bad):
    df = pd.DataFrame({c: [4, 3, 2] for c in CODES}, dtype=object)
    df["respondent_id"] = ["R1", "R2", "R3"]
    df.loc[2, "U6"] = bad
    with pytest.raises(DataError) as err:
        skm.ikm(df, ci=None)
    msg = str(err.value)
    assert "row 3" in msg and "R3" in msg and "'U6'" in msg and repr(bad) in msg
    rep = err.value.report
    assert list(rep[["row", "column"]].iloc[0]) == [3, "U6"]


def test_column_order_trap_u8_u9_swapped():
    # the questionnaire's order: ..., U7, U9 (Sarana), U8 (Pengaduan); unsur are found by name
    cols = ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U9", "U8"]
    df = pd.DataFrame({c: [3, 3] for c in cols})[cols]
    df["U8"] = [1, 1]      # Pengaduan poor
    df["U9"] = [4, 4]      # Sarana very good
    res = skm.ikm(df, ci=None)
    assert res.nrr.iloc[0]["U8"] == 1.0 and res.nrr.iloc[0]["U9"] == 4.0
    assert list(res.nrr.columns) == CODES
    assert skm.priorities(res, wave=None).iloc[0]["weakest"] == "U8"
    # by unsur name, columns in any order
    named = df.rename(columns={"U8": "Pengaduan", "U9": "Sarana dan prasarana", "U1": "persyaratan"})
    res2 = skm.ikm(named, ci=None)
    assert res2.nrr.iloc[0]["U8"] == 1.0 and res2.nrr.iloc[0]["U9"] == 4.0
    assert res2.unsur.loc["U8", "column"] == "Pengaduan"
    # positional names are refused unless mapped explicitly
    positional = df.copy()
    positional.columns = [f"Q{i}" for i in range(1, 10)]
    with pytest.raises(DataError, match="no column for unsur"):
        skm.ikm(positional, ci=None)
    mapping = {code: f"Q{i + 1}" for i, code in enumerate(cols)}
    res3 = skm.ikm(positional, ci=None, columns=mapping)
    assert res3.nrr.iloc[0]["U8"] == 1.0 and res3.nrr.iloc[0]["U9"] == 4.0


def test_demo_file_through_read_responses_keeps_u8_u9_by_name(tmp_path):
    import survey

    lines = ["respondent_id,unit_id,wave,U1,U2,U3,U4,U5,U6,U7,U9,U8"]
    for i in range(6):
        lines.append(f"R{i},KEL-01,1,3,3,3,3,3,3,3,4,1")
    p = tmp_path / "skm.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    df = survey.read_responses(p, "skm_2017")
    res = skm.ikm(df, by="unit_id", ci=None)
    assert res.nrr.loc["KEL-01", "U8"] == 1.0 and res.nrr.loc["KEL-01", "U9"] == 4.0


# --------------------------------------------------------------------------------------------
# uncertainty
# --------------------------------------------------------------------------------------------
def test_delta_se_equals_sd_of_respondent_scores_for_complete_data():
    rng = np.random.default_rng(7)
    df = pd.DataFrame(rng.integers(1, 5, size=(50, 9)), columns=CODES)
    res = skm.ikm(df, ci="delta")
    score = df[CODES].mean(axis=1)              # each respondent's sum_i x_ri / 9
    hand_se = score.std(ddof=1) / np.sqrt(50)
    s = res.summary.iloc[0]
    assert s["se"] == pytest.approx(hand_se, rel=1e-12)
    assert s["ci_low"] == pytest.approx(s["ikm"] - 1.959963984540054 * hand_se, rel=1e-12)


def test_delta_se_with_blanks_close_to_brute_force_jackknife():
    rng = np.random.default_rng(11)
    X = rng.integers(1, 5, size=(80, 9)).astype(float)
    X[rng.random(X.shape) < 0.15] = np.nan
    df = pd.DataFrame(X, columns=CODES)
    se = skm.ikm(df, ci="delta").summary.iloc[0]["se"]

    def est(d):   # the estimator written out: mean of valid answers per unsur, averaged
        return np.nanmean(d, axis=0).mean()

    jack = np.array([est(np.delete(X, i, axis=0)) for i in range(len(X))])
    se_jack = np.sqrt((len(X) - 1) / len(X) * np.sum((jack - jack.mean()) ** 2))
    assert se == pytest.approx(se_jack, rel=0.03)


def test_bootstrap_interval_matches_delta_and_is_reproducible():
    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.integers(1, 5, size=(300, 9)), columns=CODES)
    df["unit_id"] = np.repeat(["A", "B", "C"], 100)
    boot = skm.ikm(df, by="unit_id", ci="bootstrap", n_boot=2000, seed=1).summary
    delta = skm.ikm(df, by="unit_id", ci="delta").summary
    width_b = boot["ci_high"] - boot["ci_low"]
    width_d = delta["ci_high"] - delta["ci_low"]
    assert np.allclose(width_b, width_d, rtol=0.12)
    assert ((boot["ci_low"] < boot["ikm"]) & (boot["ikm"] < boot["ci_high"])).all()
    again = skm.ikm(df, by="unit_id", ci="bootstrap", n_boot=2000, seed=1).summary
    assert np.array_equal(boot["ci_low"], again["ci_low"])
    assert skm.ikm(df.iloc[:1], ci="bootstrap").summary.iloc[0][["ci_low", "ci_high"]].isna().all()


# --------------------------------------------------------------------------------------------
# sample size, priorities, ranking, change
# --------------------------------------------------------------------------------------------
def test_krejcie_morgan_formula_and_printed_table():
    # the formula with the published defaults
    assert skm.krejcie_morgan(100) == 80
    assert skm.krejcie_morgan(1000) == 278
    assert skm.krejcie_morgan(10_000) == 370
    assert skm.krejcie_morgan(1_000_000) == 384
    assert skm.krejcie_morgan(100_000) == 383     # the printed table says 384 here
    # Krejcie & Morgan (1970) Table 1, printed s for N
    table = {10: 10, 20: 19, 50: 44, 150: 108, 200: 132, 300: 169, 400: 196, 500: 217, 750: 254,
             2000: 322, 3000: 341, 5000: 357, 20_000: 377, 50_000: 381, 75_000: 382}
    got = skm.krejcie_morgan(list(table))
    assert list(got.astype(int)) == list(table.values())
    with pytest.raises(DataError):
        skm.krejcie_morgan(0)


def test_population_flags_small_samples():
    df = pd.DataFrame({c: [3] * 30 for c in CODES})
    df["unit_id"] = ["A"] * 10 + ["B"] * 20
    res = skm.ikm(df, by="unit_id", ci=None, population={"A": 10, "B": 100})
    s = res.summary
    assert list(s["n_required"]) == [10, 80]
    assert list(s["small_sample"]) == [False, True]
    rk = skm.ranking(res)
    assert set(rk.columns) >= {"rank", "small_sample", "ikm"}


def _panel() -> pd.DataFrame:
    rows = []
    # unit A: wave 1 all 3s; wave 2: U3 drops to 1, others 3  -> mover U3 (-2), weakest U3
    # unit B: wave 1 all 2s except U5 = 4; wave 2 all 4s      -> weakest wave 1: U1 (tie, lowest code)
    for unit, wave, vals in [("A", 1, {c: 3 for c in CODES}), ("A", 2, dict({c: 3 for c in CODES}, U3=1)),
                             ("B", 1, dict({c: 2 for c in CODES}, U5=4)), ("B", 2, {c: 4 for c in CODES})]:
        for r in range(4):
            rows.append({"unit_id": unit, "wave": wave, **vals})
    return pd.DataFrame(rows)


def test_priorities_weakest_and_biggest_mover():
    res = skm.ikm(_panel(), by=["unit_id", "wave"], ci=None)
    p = skm.priorities(res)
    assert p.loc[("A", 2), "weakest"] == "U3" and p.loc[("A", 2), "mover"] == "U3"
    assert p.loc[("A", 2), "mover_change"] == pytest.approx(-2.0)
    assert p.loc[("B", 1), "weakest"] == "U1"
    assert p.loc[("B", 2), "mover"] == "U1" and p.loc[("B", 2), "mover_change"] == pytest.approx(2.0)
    assert pd.isna(p.loc[("A", 1), "mover"])
    assert p.loc[("A", 2), "weakest_label"] == "Waktu Penyelesaian"


def test_ranking_latest_wave_with_ties():
    res = skm.ikm(_panel(), by=["unit_id", "wave"], ci=None)
    rk = skm.ranking(res)
    assert list(rk.index) == ["B", "A"] and list(rk["rank"]) == [1, 2]
    rk1 = skm.ranking(res, wave=1)
    assert list(rk1.index) == ["A", "B"]


def test_change_z_test_hand_computed():
    rng = np.random.default_rng(2)
    a1 = pd.DataFrame(rng.integers(2, 5, size=(60, 9)), columns=CODES)
    a2 = pd.DataFrame(rng.integers(3, 5, size=(60, 9)), columns=CODES)   # clearly better
    df = pd.concat([a1.assign(wave=1), a2.assign(wave=2)], ignore_index=True).assign(unit_id="A")
    res = skm.ikm(df, by=["unit_id", "wave"], ci=None)
    ch = skm.change(res).table.iloc[0]
    s1 = a1.mean(axis=1)
    s2 = a2.mean(axis=1)
    diff = s2.mean() - s1.mean()
    se = np.sqrt(s1.var(ddof=1) / 60 + s2.var(ddof=1) / 60)
    assert ch["diff"] == pytest.approx(diff) and ch["se_diff"] == pytest.approx(se)
    assert ch["z"] == pytest.approx(diff / se)
    from scipy.stats import norm
    assert ch["pvalue"] == pytest.approx(2 * norm.sf(abs(diff / se)))
    assert bool(ch["significant"])
    # no change: same answers in both waves -> diff 0, not significant
    same = pd.concat([a1.assign(wave=1), a1.assign(wave=2)], ignore_index=True).assign(unit_id="A")
    ch0 = skm.change(skm.ikm(same, by=["unit_id", "wave"], ci=None)).table.iloc[0]
    assert ch0["diff"] == 0 and not bool(ch0["significant"])


def test_result_to_dict_is_json_ready():
    import json

    res = skm.ikm(_panel(), by=["unit_id", "wave"], ci="delta")
    json.dumps(res.to_dict())
    assert "<h4>IKMResult</h4>" in res._repr_html_()


# --------------------------------------------------------------------------------------------
# figures draw the numbers they are given
# --------------------------------------------------------------------------------------------
def test_unsur_bars_and_heat_table_draw_the_numbers():
    import matplotlib.pyplot as plt

    from survey.plots.skm import GRADE_COLOURS, heat_table, unsur_bars

    df = pd.DataFrame({c: [3, 2] for c in CODES})
    df["U4"] = [4, 4]
    res = skm.ikm(df, ci=None)
    fig = unsur_bars(res)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches if p.get_height() == pytest.approx(0.65)]
    assert widths == pytest.approx(list(res.nrr.iloc[0]))      # top-down U1..U9
    plt.close(fig)
    tab = pd.DataFrame({1: [64.99, 88.31]}, index=["X", "Y"])
    fig = heat_table(tab)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["65.0", "88.3"]
    from matplotlib.colors import to_rgba

    im = fig.axes[0].images[0]
    # cells take the colour of their grade: 64.99 is D, 88.31 is A (published edges)
    assert im.cmap(im.norm(64.99)) == to_rgba(GRADE_COLOURS["D"])
    assert im.cmap(im.norm(65.00)) == to_rgba(GRADE_COLOURS["C"])
    assert im.cmap(im.norm(88.31)) == to_rgba(GRADE_COLOURS["A"])
    plt.close(fig)


def test_unit_adds_its_own_unsur_through_its_instrument(tmp_path):
    # PermenPANRB 14/2017 lets a unit add unsur; a copy of skm_2017 with a tenth item U10
    from importlib import resources

    text = (resources.files("survey") / "instruments" / "skm_2017.yaml").read_text(encoding="utf-8")
    text = text.replace("id: skm_2017", "id: skm_kel01", 1) + """- name: U10
  type: select_one
  scale: u9_scale
  construct: ikm
  label:
    id: Bagaimana pendapat Saudara tentang ketersediaan informasi layanan daring?
    en: What is your opinion of the online service information?
  hint:
    id: 'Unsur 10: Informasi daring'
    en: 'Element 10: Online information'
  section: unsur
"""
    path = tmp_path / "skm_kel01.yaml"
    path.write_text(text, encoding="utf-8")
    df = pd.DataFrame({f"U{i}": [3, 3] for i in range(1, 11)})
    df["U10"] = [1, 1]
    res = skm.ikm(df, instrument=str(path), ci=None)
    assert list(res.nrr.columns) == [f"U{i}" for i in range(1, 11)]
    assert res.summary.iloc[0]["ikm"] == pytest.approx((9 * 3 + 1) / 10)      # weights 1/10
    assert res.unsur.loc["U10", "label_en"] == "Element 10: Online information"
    assert res.unsur.loc["U8", "label_id"].startswith("Penanganan Pengaduan")
