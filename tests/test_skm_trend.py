"""survey.skm.trend (a score over waves with its interval) and its figure, survey.plots.trend."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from survey import load_instrument, skm
from survey.errors import DataError, ParameterError

from tiny import TINY, tiny_instrument


def _tiny_waves() -> pd.DataFrame:
    df = pd.concat([TINY, pd.DataFrame({"A1": [pd.NA], "A2": [pd.NA], "A3": [pd.NA]}).astype("Int64")],
                   ignore_index=True)
    df["wave"] = [1, 1, 1, 2, 2, 3, 2]
    return df


def test_trend_means_and_t_intervals_by_hand():
    res = skm.trend(_tiny_waves(), tiny_instrument(), "a")
    table = res.table
    assert res.measure == "a"
    assert table["wave"].tolist() == [1, 2, 3] and table["n"].tolist() == [3, 2, 1]
    # scores with A3 reversed (6 - x): wave 1: 4/3, 2, 10/3; wave 2: 13/3, 14/3 (the empty row is NA)
    # wave 1: mean 20/9, sd sqrt(84)/9, t(0.975, 2) = 4.302653 (R: qt(0.975, 2))
    assert table["value"][0] == pytest.approx(20 / 9)
    assert table["ci_low"][0] == pytest.approx(20 / 9 - 4.302653 * math.sqrt(84) / 9 / math.sqrt(3), abs=1e-6)
    # wave 2: mean 4.5, sd sqrt(2)/6, t(0.975, 1) = 12.706205 (R: qt(0.975, 1))
    assert table["value"][1] == pytest.approx(4.5)
    assert table["ci_high"][1] == pytest.approx(4.5 + 12.706205 * math.sqrt(2) / 6 / math.sqrt(2), abs=1e-6)
    assert math.isnan(table["ci_low"][2])  # one score: no interval
    with pytest.raises(DataError, match="no 'wave' column"):
        skm.trend(TINY, tiny_instrument(), "a")


def test_trend_confidence_level_by_hand():
    # wave 1 at 90%: t(0.95, 2) = 2.919986 (R: qt(0.95, 2))
    table = skm.trend(_tiny_waves(), tiny_instrument(), "a", confidence=0.9).table
    assert table["ci_low"][0] == pytest.approx(20 / 9 - 2.919986 * math.sqrt(84) / 9 / math.sqrt(3), abs=1e-6)
    with pytest.raises(ParameterError):
        skm.trend(_tiny_waves(), tiny_instrument(), "a", confidence=1.5)


def test_trend_gives_the_ikm_for_the_skm():
    unsur = [f"U{k}" for k in range(1, 10)]
    rows = [[4] * 9, [2] * 9, [4] * 9, [3] * 9]
    df = pd.DataFrame(rows, columns=unsur).astype("Int64")
    df["wave"] = [1, 1, 2, 2]
    df["wave_label"] = ["2025-I", "2025-I", "2025-II", "2025-II"]
    res = skm.trend(df, load_instrument("skm_2017"), "ikm")
    # PermenPANRB 14/2017: NRR per unsur = mean answer; IKM = sum NRR / 9; unit value = IKM * 25
    assert res.measure == "ikm_unit"
    assert res.table["value"].tolist() == pytest.approx([3.0 * 25, 3.5 * 25])
    assert res.table["label"].tolist() == ["2025-I", "2025-II"]
    # the interval is the IKM's delta-method interval on the unit scale: wave 1 respondent scores 4, 2
    se = np.std([4, 2], ddof=1) / np.sqrt(2)
    assert res.table["ci_high"][0] == pytest.approx(25 * (3.0 + 1.959963984540054 * se))


def test_trend_figure_draws_the_values_band_and_highlight():
    import matplotlib.pyplot as plt

    from survey.plots.trend import trend_figure

    res = skm.trend(_tiny_waves(), tiny_instrument(), "a")
    fig = trend_figure(res, title="T", ylabel="score", highlight=2, ylim=(1, 5), lang="en")
    ax = fig.axes[0]
    line = ax.lines[0]
    assert np.allclose(line.get_ydata(), res.table["value"], equal_nan=True)
    assert [t.get_text() for t in ax.texts] == ["n=3", "n=2", "n=1"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    band = ax.collections[0]
    assert band.get_label() == "95% CI"
    spans = [p for p in ax.patches]
    assert len(spans) == 1 and spans[0].get_x() == pytest.approx(1 - 0.4)  # the second wave
    assert ax.get_ylim() == (1, 5)
    plt.close(fig)
    fig = trend_figure(res.table, lang="id")  # a bare table works too; no highlight
    assert fig.axes[0].collections[0].get_label() == "IK 95%" and not fig.axes[0].patches
    plt.close(fig)
