"""The shape of survey.impact's results and arguments: the Result contract, the shared vocabulary
(confidence, n_boot, seed, ParameterError for a bad option) and the deprecated old names, which must
warn and give the same numbers as the new ones."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from survey import datasets, impact
from survey._checks import DEFAULT_SEED
from survey.errors import DataError, ParameterError
from survey.results import Result


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return datasets.load("impact_panel")


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    return datasets.load("impact_prepost")


@pytest.fixture(scope="module")
def means(panel) -> pd.DataFrame:
    return impact.unit_wave_means(panel, "y", unit="unit", time="wave")


# ---------------------------------------------------------------- the Result contract

def _results(panel, scores, means) -> dict[str, Result]:
    return {
        "prepost": impact.prepost(scores, "pre", "post"),
        "welch": impact.welch(scores, "post", "trained"),
        "ancova": impact.ancova(scores, "post", "trained", "pre"),
        "did": impact.did(panel, "y", "treated", "post", cluster="unit"),
        "twfe": impact.twfe(panel, "y", "unit", "wave", "D", se="cr2"),
        "event_study": impact.event_study(panel, "y", "unit", "wave", "first_treated", leads=2, lags=1),
        "staggered": impact.staggered(means, "y", "unit", "wave", "first_treated"),
        "mixed": impact.mixed(panel, "y ~ x + D", "unit"),
        "ordinal": impact.ordinal(panel, "item ~ x + D"),
        "mediation": impact.mediation(panel, "D", "x", "y", n_boot=50),
        "icc": impact.icc(panel, "y", "unit"),
        "power": impact.power(0.3, n=10, icc=0.1, clusters=20),
        "mixed_lme4": impact.mixed(panel, "y ~ x + D + (1 | unit) + (1 | wave)"),
        "clmm": impact.ordinal(panel, "item ~ x + D + (1 | unit)"),
    }


def test_every_result_follows_the_contract(panel, scores, means):
    for name, r in _results(panel, scores, means).items():
        assert isinstance(r, Result), name
        assert type(r).__name__.endswith("Result"), name
        assert isinstance(r.warnings, tuple), name
        frame = r.to_frame()
        assert isinstance(frame, pd.DataFrame) and len(frame) >= 1, name
        if r.main is not None:
            pd.testing.assert_frame_equal(frame, getattr(r, r.main))
        d = r.to_dict()
        assert isinstance(d["warnings"], list), name
        assert "model" not in d and "boot" not in d, name
        if name != "icc":
            assert r.confidence == 0.95, name
        for field in ("warning", "note", "alpha"):
            assert not hasattr(r, field), (name, field)


def test_main_tables(panel, scores, means):
    r = _results(panel, scores, means)
    assert list(r["prepost"].to_frame().index) == ["mean_diff", "d_z", "d_av", "g_av"]
    assert "treated:post" in r["did"].to_frame().index
    assert list(r["staggered"].to_frame()["aggregation"]) == ["simple", "dynamic (e >= 0)", "group", "calendar"]
    assert list(r["mediation"].to_frame().index) == ["a", "b", "indirect", "direct", "total"]
    # a result without a table: one row of its numbers
    icc_row = r["icc"].to_frame()
    assert list(icc_row.columns) == ["icc", "n", "n_groups", "n_dropped", "n0", "msb", "msw"]
    # Welch has no table either
    assert r["welch"].to_frame().loc[0, "diff"] == r["welch"].diff


def test_warnings_are_tuples_of_sentences(panel, means):
    few = impact.did(panel, "y", "treated", "post", cluster="unit")
    assert len(few.warnings) == 1 and few.warnings[0].startswith("Only 12 clusters")
    assert impact.did(panel, "y", "treated", "post").warnings == ()  # no clusters, nothing to say
    cs = impact.staggered(means, "y", "unit", "wave", "first_treated")
    assert cs.warnings[0].startswith("Only 12 units") and "Goodman-Bacon" in cs.warnings[1]
    assert "<li>Only 12 units" in cs._repr_html_()


def test_icc_result_pieces_give_the_icc(panel):
    r = impact.icc(panel, "y", "unit")
    # one-way ANOVA by hand: 12 units of 20 rows, so n0 = 20
    y = panel["y"].astype(float)
    g = panel["unit"]
    msw = ((y - y.groupby(g).transform("mean")) ** 2).sum() / (240 - 12)
    msb = 20 * ((y.groupby(g).mean() - y.mean()) ** 2).sum() / 11
    assert (r.n, r.n_groups, r.n0) == (240, 12, 20.0)
    assert r.msw == pytest.approx(msw, rel=1e-12) and r.msb == pytest.approx(msb, rel=1e-12)
    assert r.icc == pytest.approx((msb - msw) / (msb + 19 * msw), rel=1e-12)
    assert float(r) == r.icc
    # F = MSB / MSW as R's anova(lm(y ~ unit)); ICC(1) = (F - 1) / (F + n0 - 1)
    f = msb / msw
    assert r.icc == pytest.approx((f - 1) / (f + 19), rel=1e-12)


def test_mediation_keeps_its_draws(panel):
    me = impact.mediation(panel, "D", "x", "y", cluster="unit", n_boot=80, seed=5)
    assert me.boot.shape == (80, 5)
    np.testing.assert_allclose(me.table["boot_se"], me.boot.std(axis=0, ddof=1))
    np.testing.assert_allclose(me.boot[:, 2], me.boot[:, 0] * me.boot[:, 1])
    assert me.boot_method == "cluster bootstrap (12 clusters of 'unit')"
    assert me.table.loc["indirect", "ci_low"] == pytest.approx(np.percentile(me.boot[:, 2], 2.5))


# ---------------------------------------------------------------- confidence

def test_confidence_sets_the_interval(scores):
    r90 = impact.prepost(scores, "pre", "post", confidence=0.90)
    r95 = impact.prepost(scores, "pre", "post")
    half = stats.t.ppf(0.95, r90.n - 1) * r90.sd_diff / np.sqrt(r90.n)
    assert (r90.ci_low, r90.ci_high) == pytest.approx((r90.mean_diff - half, r90.mean_diff + half), abs=1e-12)
    assert r95.ci_low < r90.ci_low and r90.confidence == 0.9
    with pytest.raises(ParameterError, match="not 95"):
        impact.prepost(scores, "pre", "post", confidence=95)


@pytest.mark.parametrize("call", [
    lambda p, s, m, **k: impact.prepost(s, "pre", "post", **k),
    lambda p, s, m, **k: impact.welch(s, "post", "trained", **k),
    lambda p, s, m, **k: impact.ancova(s, "post", "trained", "pre", **k),
    lambda p, s, m, **k: impact.did(p, "y", "treated", "post", cluster="unit", se="cr2", **k),
    lambda p, s, m, **k: impact.twfe(p, "y", "unit", "wave", "D", se="cluster", **k),
    lambda p, s, m, **k: impact.event_study(p, "y", "unit", "wave", "first_treated", leads=2, lags=1, **k),
    lambda p, s, m, **k: impact.staggered(m, "y", "unit", "wave", "first_treated", **k),
    lambda p, s, m, **k: impact.mixed(p, "y ~ x + D", "unit", **k),
    lambda p, s, m, **k: impact.ordinal(p, "item ~ x + D", **k),
    lambda p, s, m, **k: impact.mediation(p, "D", "x", "y", n_boot=40, **k),
])
def test_old_alpha_warns_and_means_one_minus_confidence(panel, scores, means, call):
    new = call(panel, scores, means, confidence=0.9)
    with pytest.warns(DeprecationWarning, match="'alpha'"):
        old = call(panel, scores, means, alpha=0.1)
    assert old.to_frame().equals(new.to_frame()) or np.allclose(
        old.to_frame().select_dtypes("number"), new.to_frame().select_dtypes("number"), atol=1e-12, equal_nan=True)
    assert old.confidence == pytest.approx(0.9)


def test_alpha_warning_points_at_the_caller(scores):
    with pytest.warns(DeprecationWarning) as rec:
        impact.prepost(scores, "pre", "post", alpha=0.1)
    assert rec[0].filename == __file__


def test_alpha_and_confidence_that_disagree(scores):
    with pytest.warns(DeprecationWarning), pytest.raises(ParameterError, match="give 'confidence' only"):
        impact.prepost(scores, "pre", "post", confidence=0.8, alpha=0.05)


def test_design_functions_take_confidence():
    assert impact.mde(20, 10, 0.1, confidence=0.95) == impact.mde(20, 10, 0.1)
    with pytest.warns(DeprecationWarning):
        assert impact.mde(20, 10, 0.1, alpha=0.1) == pytest.approx(impact.mde(20, 10, 0.1, confidence=0.9), abs=1e-14)
    with pytest.warns(DeprecationWarning):
        assert impact.clusters_needed(0.3, 20, 0.05, alpha=0.1) == impact.clusters_needed(0.3, 20, 0.05, confidence=0.9)
    # a lower confidence needs fewer clusters
    assert impact.clusters_needed(0.3, 20, 0.05, confidence=0.9) < impact.clusters_needed(0.3, 20, 0.05)
    with pytest.raises(ParameterError, match="at least 3 clusters"):
        impact.mde(2, 10, 0.1)
    with pytest.raises(ParameterError, match="icc must be"):
        impact.mde(20, 10, 1.2)
    with pytest.raises(ParameterError, match="effect must be positive"):
        impact.clusters_needed(0.0, 20, 0.05)


# ---------------------------------------------------------------- n_boot and seed

def test_old_B_warns_and_gives_the_same_bootstrap(panel):
    new = impact.twfe(panel, "y", "unit", "wave", "D", se="wild", n_boot=199, seed=4)
    with pytest.warns(DeprecationWarning, match="'B' is renamed 'n_boot'") as rec:
        old = impact.twfe(panel, "y", "unit", "wave", "D", se="wild", B=199, seed=4)
    assert rec[0].filename == __file__  # the warning points at the caller's line
    assert (old.pvalue, old.ci_low, old.ci_high) == (new.pvalue, new.ci_low, new.ci_high)
    with pytest.warns(DeprecationWarning):
        old = impact.did(panel, "y", "treated", "post", cluster="unit", se="wild", B=99, seed=4)
    assert "99 draws" in old.inference
    with pytest.raises(ParameterError, match="n_boot"):
        impact.did(panel, "y", "treated", "post", cluster="unit", se="wild", n_boot=0)


def test_default_seed_is_the_shared_one(panel):
    a = impact.twfe(panel, "y", "unit", "wave", "D", se="wild", n_boot=99)
    b = impact.twfe(panel, "y", "unit", "wave", "D", se="wild", n_boot=99, seed=DEFAULT_SEED)
    assert (a.pvalue, a.ci_low, a.ci_high) == (b.pvalue, b.ci_low, b.ci_high)
    m1 = impact.mediation(panel, "D", "x", "y", n_boot=30)
    m2 = impact.mediation(panel, "D", "x", "y", n_boot=30, seed=DEFAULT_SEED)
    np.testing.assert_array_equal(m1.boot, m2.boot)


# ---------------------------------------------------------------- bad options and bad data

@pytest.mark.parametrize("call, match", [
    (lambda p: impact.did(p, "y", "treated", "post", se="xyz"), "se='xyz' is not allowed"),
    (lambda p: impact.twfe(p, "y", "unit", "wave", "D", se="xyz"), "se='xyz' is not allowed"),
    (lambda p: impact.did(p, "y", "treated", "post", cluster="unit", se="wild", boot_weights="gauss"), "boot_weights=.gauss."),
    (lambda p: impact.event_study(p, "y", "unit", "wave", "first_treated", se="wild"), "tests one coefficient"),
    (lambda p: impact.ancova(p, "y", "D", "x", cov_type="HC9"), "cov_type='HC9'"),
    (lambda p: impact.ordinal(p, "item ~ x", distr="cauchit"), "distr='cauchit'"),
    (lambda p: impact.staggered(p, "y", "unit", "wave", "first_treated", control="all"), "control='all'"),
    (lambda p: impact.twfe(p, "y", "unit", "wave", "D", se="cr2", confidence=1.5), "confidence=1.5"),
])
def test_bad_options_are_parameter_errors(panel, call, match):
    with pytest.raises(ParameterError, match=match):
        call(panel)


def test_bad_data_are_data_errors(panel):
    with pytest.raises(DataError, match="no column 'nope'"):
        impact.did(panel, "nope", "treated", "post")
    with pytest.raises(DataError, match="must be 0/1"):
        impact.did(panel, "y", "wave", "post")


# ---------------------------------------------------------------- old class names

@pytest.mark.parametrize("old, new", [
    ("PrePost", "PrePostResult"), ("Welch", "WelchResult"), ("Ancova", "AncovaResult"), ("DiD", "DiDResult"),
    ("EventStudy", "EventStudyResult"), ("Staggered", "StaggeredResult"), ("Mixed", "MixedResult"),
    ("Ordinal", "OrdinalResult"), ("Mediation", "MediationResult"),
])
def test_old_class_names_warn_and_are_the_new_classes(old, new):
    with pytest.warns(DeprecationWarning, match=f"{old} is renamed {new}"):
        cls = getattr(impact, old)
    assert cls is getattr(impact, new)
    with pytest.warns(DeprecationWarning):
        exec(f"from survey.impact import {old}", {})


def test_public_names_stay_importable():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from survey.impact import (FEW_CLUSTERS, adoption_waves, ancova, clusters_needed, did,  # noqa: F401
                                   event_study, icc, mde, mediation, mixed, ordinal, prepost, staggered, twfe,
                                   unit_wave_means, welch)
    assert callable(did) and callable(staggered)
    assert set(impact.__all__) <= set(dir(impact))
    with pytest.raises(AttributeError):
        impact.nothing_here  # noqa: B018


def test_mixed_says_when_a_variance_is_zero():
    # every group holds the same five values, so the group means are equal and the REML estimate of
    # the between-group variance is 0 (lme4: "boundary (singular) fit")
    vals = [1.0, 2.0, 4.0, 7.0, 11.0]
    df = pd.DataFrame({"y": [v for g in range(6) for v in vals[g % 5:] + vals[:g % 5]],
                       "g": [g for g in range(6) for _ in vals]})
    m = impact.mixed(df, "y ~ 1 + (1 | g)")
    assert m.varcor["vcov"].iloc[0] == pytest.approx(0.0, abs=1e-8)
    assert any("singular" in w for w in m.warnings)


@pytest.mark.parametrize("formula, fixed, terms", [
    ("y ~ x + (1 | g)", "y ~ x", [("1", "g")]),
    ("y ~ (1|g) + x", "y ~ x", [("1", "g")]),
    ("y ~ (1|g)", "y ~ 1", [("1", "g")]),
    ("y ~ x + (1 + x | g) + (1|h)", "y ~ x", [("1 + x", "g"), ("1", "h")]),
    ("y ~ np.log(x) + (0 + x | a/b)", "y ~ np.log(x)", [("0 + x", "a/b")]),
    ("y ~ x + (1|g) - 1", "y ~ x - 1", [("1", "g")]),
])
def test_random_terms_are_split_from_the_fixed_part(formula, fixed, terms):
    from survey.impact._formula import split_random

    f, t = split_random(formula)
    assert f == fixed and [(r.expr, r.group) for r in t] == terms
