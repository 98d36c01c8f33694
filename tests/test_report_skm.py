"""The SKM report's numbers: a unit's interval is the same in the city and the unit report."""
from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def skm_files(demo_dir):
    return str(demo_dir / "skm.csv"), str(demo_dir / "units.csv")


def test_unit_interval_same_in_city_and_unit_report(skm_files):
    from survey.report.skm import SKMReport

    data, units = skm_files
    city = SKMReport.load(data, units, unit="all", n_boot=200, lang="en")
    unit = SKMReport.load(data, units, unit="KEL-01", n_boot=200, lang="en")
    a = city.res_units.summary.loc["KEL-01"][["ikm_unit", "ci_low_unit", "ci_high_unit"]]
    b = unit.res_units.summary.loc["KEL-01"][["ikm_unit", "ci_low_unit", "ci_high_unit"]]
    assert (a.to_numpy() == b.to_numpy()).all()
    # and the unit report prints exactly that interval in its summary
    last = b.iloc[-1]
    from survey.report import format_number

    text = unit.summary().html
    assert format_number(last["ci_low_unit"], "en", 2) in text and format_number(last["ci_high_unit"], "en", 2) in text
    assert "IKM" in text and "grade" in text


def test_processing_table_is_long_and_has_the_result(skm_files):
    from survey.report.skm import SKMReport

    data, units = skm_files
    rep = SKMReport.load(data, units, unit="KEL-01", ci="none", lang="id")
    html = rep.processing_table().html
    # one row per unsur, five number columns: fits a page
    assert html.count("<tr>") >= 9 + 1 and html.split("<thead>")[1].split("</thead>")[0].count("<th") == 6
    assert "Mutu pelayanan" in html and "Kinerja unit pelayanan" in html


def test_unsur_chart_shows_each_nrr_with_its_grade_and_the_ikm(skm_files):
    from survey.report import format_number
    from survey.report.skm import SKMReport
    from survey.skm import grade

    data, units = skm_files
    rep = SKMReport.load(data, units, unit="KEL-01", ci="none", lang="en")
    html = rep.unsur_figure().html
    nrr = rep.res_all.nrr.loc[rep.group]
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    assert len(rows) == len(nrr) == 9
    for row, (code, v), g in zip(rows, nrr.items(), grade(nrr.to_numpy(dtype=float), "2017", "ikm")):
        assert f">{code} " in row and f">{format_number(v, 'en', 2)}<" in row and f">{g}<" in row
        assert f"width:{(v - 1) / 3 * 100:.2f}%" in row
    ikm = rep.res_all.summary.loc[rep.group, "ikm"]
    assert f"IKM {format_number(ikm, 'en', 2)}" in html and f"left:{(ikm - 1) / 3 * 100:.2f}%" in html
    # the 2017 grade edges of the NRR scale (2.5996, 3.064, 3.532) are the band edges
    assert "53.32%" in html and "68.80%" in html and "84.40%" in html


def test_trend_chart_shows_each_waves_ikm_on_its_interval(skm_files):
    from survey.report import format_number
    from survey.report.skm import SKMReport

    data, units = skm_files
    rep = SKMReport.load(data, units, unit="KEL-01", n_boot=200, lang="id")
    html = rep.trend_figure().html
    s = rep.res_units.summary.loc["KEL-01"]
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    assert len(rows) == len(s) >= 2 and "<img" not in html
    # the scale: the intervals with five points to spare, in steps of five
    lo = max(25.0, 5 * np.floor((s["ci_low_unit"].min() - 5) / 5))
    hi = min(100.0, 5 * np.ceil((s["ci_high_unit"].max() + 5) / 5))
    for row, (wave, r) in zip(rows, s.iterrows()):
        assert f">{rep.wl(wave)}<" in row and f">{format_number(r['ikm_unit'], 'id', 2)}<" in row
        assert f'class="dot" style="left:{(r["ikm_unit"] - lo) / (hi - lo) * 100:.2f}%' in row
        assert (f'class="range" style="left:{(r["ci_low_unit"] - lo) / (hi - lo) * 100:.2f}%;'
                f'width:{(r["ci_high_unit"] - r["ci_low_unit"]) / (hi - lo) * 100:.2f}%') in row
        assert f">{r['mutu']}<" in row
    assert "interval kepercayaan 95%" in html


def test_city_ranking_chart_orders_units_by_ikm_with_their_intervals(skm_files):
    from survey import skm
    from survey.report import format_number
    from survey.report.skm import SKMReport

    data, units = skm_files
    rep = SKMReport.load(data, units, unit="all", n_boot=200, lang="en")
    html = rep.ranking().html
    chart = html[html.index("survey-ranges"):]
    rows = chart.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    rk = skm.ranking(rep.res_units, wave=rep.last, min_n=rep.min_cell).sort_values("ikm_unit", ascending=False)
    assert len(rows) == len(rk) > 5
    for row, (u, r) in zip(rows, rk.iterrows()):
        assert f"({u})</th>" in row and f">{format_number(r['ikm_unit'], 'en', 2)}<" in row and f">{r['mutu']}<" in row
    assert html.count('class="range"') == rk["ci_low_unit"].notna().sum()


def test_unit_with_two_respondents_is_not_reported(tmp_path, skm_files):
    import pandas as pd

    from survey.report.skm import SKMReport

    data, units = skm_files
    df = pd.read_csv(data)
    keep = df["unit_id"] != "KEL-02"
    small = df[df["unit_id"] == "KEL-02"].groupby("wave").head(2)
    path = tmp_path / "skm.csv"
    pd.concat([df[keep], small]).to_csv(path, index=False)
    rep = SKMReport.load(str(path), units, unit="KEL-02", ci="none", lang="en")
    assert rep.too_small
    assert "only 2 respondents" in rep.summary().html
    assert rep.processing_table().html.count("<table") == 0 and rep.unsur_figure().html == ""
    assert "ikm_unit" not in rep.key_figures()
    city = SKMReport.load(str(path), units, unit="all", ci="none", lang="en")
    ranking = city.ranking().html
    assert "KEL-02" not in ranking and "fewer than 5" in ranking

