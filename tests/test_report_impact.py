"""The impact and training reports' estimates as they draw them."""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")


def test_impact_chart_shows_each_estimate_on_its_interval_with_zero_and_the_truth(demo_dir):
    from survey.report import format_number
    from survey.report.impact import ImpactReport

    d = str(demo_dir)
    rep = ImpactReport.load(f"{d}/employee_survey.csv", skm=f"{d}/skm.csv", instrument="employee_survey",
                            outcome="managerial", program="kepemimpinan", records=f"{d}/training_records.csv",
                            design="staggered", se="cr2", n_boot=199, seed=20171, truth=f"{d}/truth.json", lang="en")
    html = rep.coef_figure().html
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    assert len(rows) == len(rep.estimates) >= 3 and "<img" not in html
    ticks = [float(x.replace(",", "")) for x in re.findall(r'left:[0-9.]+%">([^<]+)</span>', html.split("<tfoot>")[1])]
    lo, hi = ticks[0], ticks[-1]
    assert lo < min(0.0, rep.estimates["ci_low"].min()) and hi > rep.estimates["ci_high"].max()
    for row, (_, e) in zip(rows, rep.estimates.iterrows()):
        assert f">{format_number(e['estimate'], 'en', 3)}<" in row
        assert f'class="dot" style="left:{(e["estimate"] - lo) / (hi - lo) * 100:.2f}%' in row
        assert f'class="range" style="left:{(e["ci_low"] - lo) / (hi - lo) * 100:.2f}%' in row
        # zero dashed, the synthetic data's true effect in red, through every row
        assert f'class="mark m0" style="left:{-lo / (hi - lo) * 100:.2f}%' in row
        assert f'class="mark m1" style="left:{(rep.true_att - lo) / (hi - lo) * 100:.2f}%' in row
    assert "the true effect in the synthetic data" in html


def test_training_gain_chart_shows_each_sessions_gain_on_its_interval(demo_dir):
    import pandas as pd

    from survey import impact
    from survey.report import format_number
    from survey.report.training import TrainingReport

    d = str(demo_dir)
    rep = TrainingReport.load(f"{d}/training_reaction.csv", learning=f"{d}/learning_tests.csv",
                              transfer=f"{d}/training_transfer.csv", program="kepemimpinan", lang="en")
    html = rep.learning().html
    chart = html[html.index("survey-ranges"):]
    rows = chart.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    sessions = [(sid, g[["pre_score", "post_score"]].dropna()) for sid, g in rep.tests.groupby("session_id")]
    sessions = [(sid, ok) for sid, ok in sessions if len(ok) >= 5 and (ok["post_score"] - ok["pre_score"]).std() > 0]
    assert len(rows) == len(sessions) >= 2
    for row, (sid, ok) in zip(rows, sessions):
        r = impact.prepost(ok, "pre_score", "post_score")
        # the paired mean gain, by hand, and the chart's number
        assert r.mean_diff == pd.Series(ok["post_score"] - ok["pre_score"]).mean()
        assert f">{sid}</th>" in row and f">{format_number(r.mean_diff, 'en', 2)}<" in row
        assert 'class="range"' in row and 'class="mark m0"' in row
    assert "zero, no gain" in html
