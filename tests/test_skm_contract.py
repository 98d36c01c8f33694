"""survey.skm: the result contract (to_frame, warnings), the renamed arguments and fields, and the
keyed random streams of the bootstrap."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from survey import datasets, skm
from survey._checks import DEFAULT_SEED
from survey.errors import DataError, ParameterError

CODES = [f"U{i}" for i in range(1, 10)]


def _panel() -> pd.DataFrame:
    return datasets.load("skm")


def test_ikm_result_main_table_and_warnings_tuple():
    df = pd.DataFrame({c: [4, 2, 3] for c in CODES})
    df["U8"] = [None, None, None]
    with pytest.warns(skm.SKMWarning):
        res = skm.ikm(df, ci=None)
    assert isinstance(res.warnings, tuple) and len(res.warnings) == 1 and "U8" in res.warnings[0]
    frame = res.to_frame()
    assert frame.equals(res.summary) and frame is not res.summary
    assert res.to_dict()["warnings"] == list(res.warnings)


def test_change_and_trend_results_main_tables():
    res = skm.ikm(_panel(), by=["unit_id", "wave"], ci=None)
    ch = skm.change(res)
    assert ch.to_frame().equals(ch.table) and ch.warnings == () and ch.confidence == 0.95
    assert "pvalue" in ch.table.columns and "p_value" not in ch.table.columns
    tr = skm.trend(_panel(), "skm_2017", "ikm")
    assert tr.to_frame().equals(tr.table) and tr.confidence == 0.95


def test_conf_is_renamed_confidence_with_a_deprecation_warning():
    df = _panel()
    new = skm.ikm(df, ci="delta", confidence=0.9)
    with pytest.warns(DeprecationWarning, match="'conf' is renamed 'confidence'"):
        old = skm.ikm(df, ci="delta", conf=0.9)
    assert old.confidence == 0.9
    assert old.summary["ci_low"].equals(new.summary["ci_low"])
    with pytest.warns(DeprecationWarning, match="renamed confidence"):
        assert new.conf == 0.9
    with pytest.raises(ParameterError, match="0.95, not 95"):
        skm.ikm(df, confidence=95)


def test_weights_argument_is_renamed_weighting():
    df = _panel()
    with pytest.warns(DeprecationWarning, match="'weights' is renamed 'weighting'"):
        old = skm.ikm(df, weights="2dp", ci=None)
    new = skm.ikm(df, weighting="2dp", ci=None)
    assert old.summary["ikm"].equals(new.summary["ikm"]) and new.weighting == "2dp"
    with pytest.warns(DeprecationWarning):
        assert old.weights.equals(old.unsur_weights)
    with pytest.warns(DeprecationWarning):
        assert old.weights_rule == "2dp"


def test_change_alpha_is_replaced_by_confidence():
    res = skm.ikm(_panel(), by=["unit_id", "wave"], ci=None)
    new = skm.change(res, confidence=0.99)
    with pytest.warns(DeprecationWarning, match="'alpha'"):
        old = skm.change(res, alpha=0.01)
    assert old.confidence == pytest.approx(0.99)
    assert old.table["significant"].equals(new.table["significant"])
    with pytest.warns(DeprecationWarning):
        assert new.alpha == pytest.approx(0.01)
    # significant means p_holm below 1 - confidence
    t = new.table
    assert (t["significant"] == (t["p_holm"] < 0.01)).all()


def test_bad_options_are_parameter_errors_and_bad_columns_data_errors():
    df = _panel()
    with pytest.raises(ParameterError, match="lang"):
        skm.ikm(df, lang="fr")
    with pytest.raises(ParameterError, match="ci"):
        skm.ikm(df, ci="jackknife")
    with pytest.raises(ParameterError, match="n_boot"):
        skm.ikm(df, n_boot=1)
    with pytest.raises(ParameterError, match="lang"):
        skm.publication_table(skm.ikm(df, ci=None), lang="de")
    with pytest.raises(DataError, match="no column 'kecamatan'"):
        skm.ikm(df, by="kecamatan")


def test_default_seed_is_the_shared_one():
    df = _panel()
    a = skm.ikm(df, by="unit_id", n_boot=200).summary
    b = skm.ikm(df, by="unit_id", n_boot=200, seed=DEFAULT_SEED).summary
    assert a["ci_low"].equals(b["ci_low"]) and DEFAULT_SEED == 20171


def test_a_units_bootstrap_interval_does_not_depend_on_the_other_units():
    # the city report and a unit's own report must show the same interval for that unit
    df = _panel()
    city = skm.ikm(df, by=["unit_id", "wave"], n_boot=300, seed=5).summary
    alone = skm.ikm(df[df["unit_id"] == "KEL-02"], by=["unit_id", "wave"], n_boot=300, seed=5).summary
    shuffled = skm.ikm(df.iloc[::-1][df.iloc[::-1]["unit_id"] != "PKM-01"].iloc[::-1],
                       by=["unit_id", "wave"], n_boot=300, seed=5).summary
    for key in alone.index:
        assert city.loc[key, "ci_low"] == alone.loc[key, "ci_low"]
        assert city.loc[key, "ci_high"] == shuffled.loc[key, "ci_high"]
    # different seeds give different draws
    other = skm.ikm(df, by=["unit_id", "wave"], n_boot=300, seed=6).summary
    assert not np.array_equal(other["ci_low"], city["ci_low"])


def test_a_group_larger_than_one_chunk_draws_in_batches():
    from survey.skm import _bootstrap

    df = _panel()
    full = skm.ikm(df, n_boot=400, seed=3).summary.iloc[0]
    old = _bootstrap._BUDGET
    try:
        _bootstrap._BUDGET = 120 * 50  # 400 replicates of 120 rows no longer fit: 8 batches of 50
        small = skm.ikm(df, n_boot=400, seed=3).summary.iloc[0]
    finally:
        _bootstrap._BUDGET = old
    # batches of one stream: the same draws as one block, so the same interval
    assert small["ci_low"] == pytest.approx(full["ci_low"]) and small["ci_high"] == pytest.approx(full["ci_high"])


def test_no_warning_from_the_contract_itself():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = skm.ikm(_panel(), by="unit_id", ci="delta")
        res.to_frame(), res.to_dict(), res._repr_html_()


def test_unit_argument_is_renamed_by_in_priorities_change_and_ikm_trend():
    import matplotlib.pyplot as plt

    from survey.plots.skm import ikm_trend

    res = skm.ikm(_panel(), by=["unit_id", "wave"], ci="delta")
    with pytest.warns(DeprecationWarning, match="'unit' is renamed 'by'"):
        old = skm.priorities(res, unit="unit_id")
    assert old.equals(skm.priorities(res, by="unit_id"))
    with pytest.warns(DeprecationWarning, match="'unit' is renamed 'by'"):
        old = skm.change(res, unit="unit_id")
    assert old.table.equals(skm.change(res, by="unit_id").table)
    fig = ikm_trend(res, by="unit_id")
    ax = fig.axes[0]
    # one line per unit through its IKM unit values, waves 1 and 2 at x = 0, 1
    kel02 = res.summary.loc["KEL-02", "ikm_unit"].to_numpy()
    assert [tuple(line.get_xdata()) for line in ax.lines] == [(0, 1)] * 3
    assert np.allclose(ax.lines[1].get_ydata(), kel02)
    plt.close(fig)
    with pytest.warns(DeprecationWarning, match="'unit' is renamed 'by'"):
        fig = ikm_trend(res, unit="unit_id")
    plt.close(fig)
    with pytest.raises(ParameterError, match="lang"):
        ikm_trend(res, lang="xx")


def test_unsur_weights_rule_is_named_weighting():
    assert skm.unsur_weights(9, weighting="3dp") == 0.111
    with pytest.warns(DeprecationWarning, match="'weights' is renamed 'weighting'"):
        assert skm.unsur_weights(14, weights="3dp") == 0.071
    with pytest.raises(ParameterError, match="weighting='4dp'"):
        skm.ikm(_panel(), weighting="4dp", ci=None)
