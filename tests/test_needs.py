"""Tests of survey.needs: hand-computed gaps, shares and priorities, the catalogue, JP floor."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey import needs
from survey.errors import DataError, InstrumentError


def _data() -> pd.DataFrame:
    # 4 health staff, 2 teachers; competencies DIGITAL and KESMAS
    return pd.DataFrame({
        "employee_id": ["E1", "E2", "E3", "E4", "E5", "E6"],
        "unit_id": ["PKM-1", "PKM-1", "PKM-2", "PKM-2", "SD-1", "SD-1"],
        "sector": ["kesehatan"] * 4 + ["pendidikan"] * 2,
        "REQ_DIGITAL": [4, 4, 5, 3, 4, 4],
        "CUR_DIGITAL": [2, 3, 2, 3, 4, 9],     # 9 = "Tidak menjawab"
        "REQ_KESMAS": [4, 5, 4, 4, 1, 1],
        "CUR_KESMAS": [4, 4, 3, 5, 1, 1],
    })


def test_gaps_per_employee_and_missing_code():
    res = needs.needs(_data(), by="sector")
    g = res.gaps
    assert list(g["DIGITAL"].iloc[:5]) == [2, 1, 3, 0, 0]
    assert np.isnan(g["DIGITAL"].iloc[5])                      # CUR = 9 -> NA, only that competency
    assert list(g["KESMAS"]) == [0, 1, 1, -1, 0, 0]
    assert res.competencies == ("DIGITAL", "KESMAS")


def test_summary_by_sector_hand_computed():
    s = needs.needs(_data(), by="sector").summary
    h = s.loc[("kesehatan", "DIGITAL")]
    # gaps 2, 1, 3, 0: mean 1.5, share >= 1: 3/4, sd(2,1,3,0) = 1.2909944
    assert h["n"] == 4 and h["mean_gap"] == pytest.approx(1.5) and h["share_gap"] == pytest.approx(0.75)
    assert h["sd_gap"] == pytest.approx(np.std([2, 1, 3, 0], ddof=1))
    assert h["priority"] == "high" and h["priority_score"] == pytest.approx(1.125)
    k = s.loc[("kesehatan", "KESMAS")]
    # gaps 0, 1, 1, -1: mean 0.25, share 0.5 -> medium (share only)
    assert k["mean_gap"] == pytest.approx(0.25) and k["share_gap"] == pytest.approx(0.5)
    assert k["priority"] == "medium"
    p = s.loc[("pendidikan", "DIGITAL")]
    assert p["n"] == 1 and p["mean_gap"] == 0 and p["priority"] == "low"


def test_unit_grouping_carries_sector_and_threshold():
    res = needs.needs(_data(), by="unit_id", threshold=2)
    s = res.summary
    assert s.loc[("PKM-1", "DIGITAL"), "sector"] == "kesehatan"
    # threshold 2: PKM-1 gaps 2, 1 -> share 0.5
    assert s.loc[("PKM-1", "DIGITAL"), "share_gap"] == pytest.approx(0.5)


def test_out_of_range_level_is_an_error():
    d = _data()
    d.loc[2, "REQ_KESMAS"] = 7
    with pytest.raises(DataError) as err:
        needs.needs(d)
    assert "row 3" in str(err.value) and "REQ_KESMAS" in str(err.value)


def test_missing_pairs_are_reported():
    with pytest.raises(DataError, match="REQ_<C>"):
        needs.needs(pd.DataFrame({"sector": ["a"], "X": [1]}))
    with pytest.raises(DataError, match="CUR_PROYEK"):
        needs.needs(_data(), competencies=["PROYEK"])


def test_default_catalogue_and_recommendations():
    cat = needs.load_catalog()
    assert set(cat["sectors"]) >= {"semua", "kesehatan", "pendidikan", "kependudukan", "administrasi"}
    rec = needs.recommend(needs.needs(_data(), by="sector"), lang="en")
    # kesehatan: DIGITAL high (score 1.125) first, then KESMAS medium; pendidikan: nothing above low
    assert list(rec["competency"]) == ["DIGITAL", "KESMAS"]
    assert rec.iloc[0]["training_ids"].startswith("DIG-01")
    assert rec.iloc[1]["training_ids"] == "KSM-01, KSM-02"
    assert rec.iloc[1]["priority_label"] == "Medium"
    high = needs.recommend(needs.needs(_data(), by="sector"), min_priority="high")
    assert list(high["competency"]) == ["DIGITAL"]


def test_user_catalogue_is_checked(tmp_path):
    p = tmp_path / "cat.yaml"
    p.write_text("competencies: {DIGITAL: {id: Digital, en: Digital}}\n"
                 "trainings: {T1: {label: {id: Satu, en: One}, jp: -3}}\n"
                 "sectors: {kesehatan: {DIGITAL: [T1, T2]}}\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        needs.load_catalog(p)
    text = str(err.value)
    assert "T2" in text and "jp" in text
    own = {"competencies": {"DIGITAL": {"id": "Digital", "en": "Digital"}, "KESMAS": {"id": "K", "en": "K"}},
           "trainings": {"T1": {"label": {"id": "Satu", "en": "One"}, "jp": 8}},
           "sectors": {"kesehatan": {"DIGITAL": ["T1"]}}}
    rec = needs.recommend(needs.needs(_data(), by="sector"), catalog=own, lang="en")
    assert rec.iloc[0]["trainings"] == "One" and rec.iloc[0]["jp_first"] == 8
    assert rec.iloc[1]["trainings"] == ""          # a gap with no training listed stays visible


def test_jp_against_the_floor():
    records = pd.DataFrame({"employee_id": ["E1", "E1", "E2", "E2", "E3"],
                            "unit_id": ["U", "U", "U", "U", "V"],
                            "year": [2024, 2024, 2024, 2025, 2025],
                            "jp": [12, 12, 16, 24, 8]})
    staff = pd.DataFrame({"employee_id": ["E1", "E2", "E3", "E4"], "unit_id": ["U", "U", "V", "V"],
                          "sector": ["a", "a", "b", "b"]})
    r = needs.jp_summary(records, staff, period="year")
    pe = r.per_employee.set_index(["employee_id", "year"])
    assert pe.loc[("E1", 2024), "jp"] == 24 and not pe.loc[("E1", 2024), "below_floor"]
    assert pe.loc[("E1", 2025), "jp"] == 0 and pe.loc[("E1", 2025), "below_floor"]
    assert pe.loc[("E4", 2024), "jp"] == 0                  # staff without any record count as 0 JP
    assert len(pe) == 8
    # below 20: E1-2025, E2-2024 (16), E3-2024, E3-2025 (8), E4 both -> 6 of 8
    assert r.share_below == pytest.approx(6 / 8)
    bu = r.by_unit.loc[("U", 2024)]
    assert bu["n_employees"] == 2 and bu["mean_jp"] == pytest.approx(20.0) and bu["n_below"] == 1
    # without the staff list only trained staff are counted
    r2 = needs.jp_summary(records)
    assert len(r2.per_employee) == 3 and r2.per_employee.set_index("employee_id").loc["E2", "jp"] == 40
    bad = records.assign(jp=[12, None, 16, 24, 8])
    with pytest.raises(DataError, match="row 2"):
        needs.jp_summary(bad)


def test_sector_competencies_from_the_catalogue():
    cat = needs.load_catalog()
    assert needs.sector_competencies(cat, "kesehatan") == ["DIGITAL", "PELAYANAN", "PROYEK", "KEPEMIMPINAN",
                                                           "RS_MGT", "KESMAS"]
    assert "METODE_AJAR" not in needs.sector_competencies(cat, "kesehatan")
    assert needs.sector_competencies(cat, "unknown") == ["DIGITAL", "PELAYANAN", "PROYEK", "KEPEMIMPINAN"]


def test_priority_matrix_places_points_at_mean_gap_and_share():
    import matplotlib.pyplot as plt

    from survey.plots.needs import priority_matrix

    res = needs.needs(_data(), by="sector")
    fig = priority_matrix(res, group="kesehatan")
    pts = np.vstack([c.get_offsets() for c in fig.axes[0].collections])
    got = sorted(map(tuple, np.round(pts, 6)))
    assert got == sorted([(75.0, 1.5), (50.0, 0.25)])
    plt.close(fig)


# -- the result contract and the shared checks -------------------------------------------------------
def test_results_give_their_main_table_and_a_warnings_tuple():
    res = needs.needs(_data(), by="sector")
    assert res.to_frame().equals(res.summary) and res.warnings == ()
    assert res.to_dict()["warnings"] == []
    records = pd.DataFrame({"employee_id": ["E1", "E2"], "unit_id": ["U", "U"], "jp": [24, 8]})
    jp = needs.jp_summary(records)
    assert jp.to_frame().equals(jp.per_employee) and jp.warnings == ()
    assert list(jp.to_frame()["below_floor"]) == [False, True]


def test_bad_options_and_columns_use_the_shared_errors():
    from survey.errors import ParameterError

    res = needs.needs(_data(), by="sector")
    with pytest.raises(ParameterError, match="lang='fr'"):
        needs.recommend(res, lang="fr")
    with pytest.raises(ParameterError, match="min_priority='urgent'"):
        needs.recommend(res, min_priority="urgent")
    with pytest.raises(DataError, match=r"needs\(by=...\): no column 'kecamatan'"):
        needs.needs(_data(), by="kecamatan")
    with pytest.raises(DataError, match="no column 'jp'"):
        needs.jp_summary(pd.DataFrame({"employee_id": ["E1"]}))


def test_shipped_sample_gives_the_documented_priorities():
    from survey import datasets

    res = needs.needs(datasets.load("competency_needs"), by="sector")
    pri = res.summary["priority"]
    assert pri[("kesehatan", "DIGITAL")] == "high" and pri[("pendidikan", "METODE_AJAR")] == "high"
    # E05's CUR_DIGITAL is 9 ("Tidak menjawab"): 17 of the 18 health staff count for DIGITAL
    assert res.summary.loc[("kesehatan", "DIGITAL"), "n"] == 17


def test_report_unit_heat_table_shows_each_units_mean_gap_and_hides_small_units(demo_dir):
    import re

    from survey.needs import needs
    from survey.report.needs import NeedsReport

    rep = NeedsReport.load(str(demo_dir / "competency_needs.csv"), instrument="competency_needs", min_cell=5, lang="en")
    html = rep.unit_heatmap().html
    expected = needs(rep.df, by="unit_id", instrument=rep.inst).summary["mean_gap"]
    n_unit = rep.df.groupby("unit_id").size()
    shown = re.findall(r'<th scope="row">([^<]+)</th>', html)
    assert shown and set(shown) == set(n_unit.index[n_unit >= 5])
    unit = shown[0]
    row = html.split(f'<th scope="row">{unit}</th>')[1].split("</tr>")[0]
    unit_rows = expected.xs(unit, level="unit_id")
    # only the competencies the catalogue lists for the unit's sector are shown
    from survey.needs import sector_competencies
    sector = needs(rep.df, by="unit_id", instrument=rep.inst).summary.xs(unit, level="unit_id")["sector"].iloc[0]
    listed = [c for c in rep.res.competencies if c in sector_competencies(rep.cat, sector)]
    assert re.findall(r">([^<>]+)</td>", row) == [f"{v:.2f}" for v in unit_rows.reindex(listed)]
