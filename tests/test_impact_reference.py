"""survey.impact against R on public reference data (tests/fixtures/impact/, see its README).

Every number below was produced by the R call quoted beside it (R 4.2, MASS 7.3-58, ordinal,
clubSandwich, sandwich, lme4, lmerTest, pwr) on exactly the CSV file the test reads. Tolerances:
1e-6 for closed forms and for fits with R's tolerances tightened, 1e-4 for iterative fits.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey import impact
from survey.errors import DataError, ParameterError
from survey.instrument import Instrument

FIX = Path(__file__).parent / "fixtures" / "impact"


# ---------------------------------------------------------------- MASS housing: category order

def _housing() -> pd.DataFrame:
    """MASS::housing with its factors as R has them: Sat ordered Low < Medium < High; Infl, Type,
    Cont unordered with R's level order (Type: Tower, Apartment, Atrium, Terrace - not alphabetical)."""
    h = pd.read_csv(FIX / "housing.csv")
    h["Sat"] = pd.Categorical(h["Sat"], categories=["Low", "Medium", "High"], ordered=True)
    h["Infl"] = pd.Categorical(h["Infl"], categories=["Low", "Medium", "High"])
    h["Type"] = pd.Categorical(h["Type"], categories=["Tower", "Apartment", "Atrium", "Terrace"])
    h["Cont"] = pd.Categorical(h["Cont"], categories=["Low", "High"])
    return h


# R: library(MASS)
#    m <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE,
#              control = list(reltol = 1e-14, maxit = 1000))
#    coef(m); m$zeta; logLik(m)
POLR_COEF = [0.566393732589989, 1.288819088889644, -0.572349982513512, -0.366186352869961,
             -1.091014630394162, 0.360283995955999]
POLR_ZETA = [-0.496135108650537, 0.690708247960413]
POLR_LLF = -1739.57464952947
# R: library(ordinal); m2 <- clm(Sat ~ Infl + Type + Cont, weights = Freq, data = housing,
#                               control = clm.control(gradTol = 1e-10)); sqrt(diag(vcov(m2)))
#    (analytic Hessian; order here: coefficients, then thresholds)
CLM_SE = [0.1046527813640073, 0.1271561445677395, 0.1192380085965915, 0.1551733320187922,
          0.1514860185609598, 0.0955357950023712, 0.1248472428774513, 0.1254719378496490]
HOUSING_TERMS = ["Infl[T.Medium]", "Infl[T.High]", "Type[T.Apartment]", "Type[T.Atrium]", "Type[T.Terrace]",
                 "Cont[T.High]"]


def test_housing_fixture_is_the_r_data():
    h = _housing()
    # R: nrow(housing); sum(housing$Freq)
    assert len(h) == 72 and h["Freq"].sum() == 1681


def test_ordinal_keeps_category_order_housing_polr():
    h = _housing()
    r = impact.ordinal(h, "Sat ~ Infl + Type + Cont", weights="Freq")
    assert list(r.params.index) == HOUSING_TERMS  # the reference levels are R's: Low, Tower, Low
    np.testing.assert_allclose(r.params.to_numpy(), POLR_COEF, rtol=1e-6)
    assert list(r.cutpoints.index) == ["Low|Medium", "Medium|High"]
    np.testing.assert_allclose(r.cutpoints.to_numpy(), POLR_ZETA, rtol=1e-6)
    np.testing.assert_allclose(r.table["se"].to_numpy(), CLM_SE, rtol=1e-5)
    assert r.llf == pytest.approx(POLR_LLF, abs=1e-6)
    # case weights are frequencies: the same fit on one row per household
    long = h.loc[h.index.repeat(h["Freq"])].reset_index(drop=True)
    r2 = impact.ordinal(long, "Sat ~ Infl + Type + Cont")
    np.testing.assert_allclose(r2.params.to_numpy(), POLR_COEF, rtol=1e-6)
    assert r2.llf == pytest.approx(POLR_LLF, abs=1e-6)


def test_ordinal_with_nullable_and_unused_categories():
    h = _housing()
    h["Type"] = h["Type"].cat.add_categories(["Kampung"])  # nobody lives there: dropped, as R's model frame
    h["Freq"] = h["Freq"].astype("Int64")
    r = impact.ordinal(h, "Sat ~ Infl + Type + Cont", weights="Freq")
    np.testing.assert_allclose(r.params.to_numpy(), POLR_COEF, rtol=1e-6)


def test_ordinal_text_outcome_needs_an_order():
    h = _housing()
    h["Sat"] = h["Sat"].astype(str)
    with pytest.raises(DataError, match="no known order.*ordered=True"):
        impact.ordinal(h, "Sat ~ Infl + Type + Cont", weights="Freq")
    h["Sat"] = pd.Categorical(h["Sat"])  # unordered, alphabetical categories
    with pytest.raises(DataError, match="unordered Categorical"):
        impact.ordinal(h, "Sat ~ Infl + Type + Cont", weights="Freq")


def _kepuasan() -> Instrument:
    """A one-item instrument whose 3-point scale is the housing satisfaction scale, in two languages."""
    return Instrument.model_validate({
        "id": "kepuasan_rumah", "version": "1", "title": {"id": "Kepuasan", "en": "Satisfaction"},
        "languages": {"id": "Bahasa Indonesia", "en": "English"}, "default_language": "id",
        "scales": {"puas3": {"options": [
            {"value": 1, "label": {"id": "Rendah", "en": "Low"}},
            {"value": 2, "label": {"id": "Sedang", "en": "Medium"}},
            {"value": 3, "label": {"id": "Tinggi", "en": "High"}}],
            "missing": [{"value": 9, "label": {"id": "Tidak menjawab", "en": "No answer"}}]}},
        "items": [{"name": "Sat", "scale": "puas3",
                   "label": {"id": "Kepuasan dengan rumah", "en": "Satisfaction with housing"}},
                  {"name": "Infl", "scale": "puas3",
                   "label": {"id": "Pengaruh dalam pengelolaan", "en": "Influence on management"}}],
    })


def test_text_labelled_likert_item_is_ordered_by_the_instrument():
    h = _housing()
    inst = _kepuasan()
    # the answers as a Google Forms export writes them: Indonesian words (alphabetical order
    # Rendah < Sedang < Tinggi happens to be right, so mix in case and spaces and reorder the words)
    words = {"Low": "rendah", "Medium": " SEDANG ", "High": "Tinggi"}
    h["Sat"] = h["Sat"].astype(str).map(words)
    s = impact.ordered_item(h, "Sat", inst)
    assert list(s.cat.categories) == ["Rendah", "Sedang", "Tinggi"] and s.cat.ordered
    r = impact.ordinal(h, "Sat ~ Infl + Type + Cont", weights="Freq", instrument=inst)
    np.testing.assert_allclose(r.params.to_numpy(), POLR_COEF, rtol=1e-6)
    assert list(r.cutpoints.index) == ["Rendah|Sedang", "Sedang|Tinggi"]
    # English labels, whose alphabetical order (High < Low < Medium) is wrong
    h["Sat"] = _housing()["Sat"].astype(str)
    r = impact.ordinal(h, "Sat ~ Infl + Type + Cont", weights="Freq", instrument=inst)
    np.testing.assert_allclose(r.cutpoints.to_numpy(), POLR_ZETA, rtol=1e-6)
    assert list(r.cutpoints.index) == ["Low|Medium", "Medium|High"]
    # the missing code and blanks are NA (dropped); a word that is no answer is named
    h.loc[0, "Sat"] = "Tidak menjawab"
    assert impact.ordered_item(h, "Sat", inst).isna().sum() == 1
    h.loc[1, "Sat"] = "Lumayan"
    with pytest.raises(DataError, match="row 1 holds 'Lumayan'"):
        impact.ordered_item(h, "Sat", inst)


def test_text_labelled_predictor_is_ordered_by_the_instrument():
    # Infl read as English words: alphabetically High would be the reference level
    h = _housing()
    h["Infl"] = h["Infl"].astype(str)
    r = impact.ordinal(h, "Sat ~ Infl + Type + Cont", weights="Freq", instrument=_kepuasan())
    assert list(r.params.index)[:2] == ["Infl[T.Medium]", "Infl[T.High]"]
    np.testing.assert_allclose(r.params.to_numpy(), POLR_COEF, rtol=1e-6)


def test_mixed_keeps_the_reference_level():
    # The reference level of a Categorical predictor is its first category, not the alphabetical first.
    h = _housing()
    long = h.loc[h.index.repeat(h["Freq"])].reset_index(drop=True)
    long["sat"] = long["Sat"].cat.codes.astype(float)
    long["block"] = np.arange(len(long)) % 8
    m = impact.mixed(long, "sat ~ Type", groups="block")
    assert [t for t in m.params.index if t.startswith("Type")] == ["Type[T.Apartment]", "Type[T.Atrium]",
                                                                   "Type[T.Terrace]"]


# ---------------------------------------------------------------- random terms outside mixed()

def test_random_term_in_ordinal_is_not_read_as_a_covariate():
    # patsy alone would read 1 | Type as a bitwise OR and fit it as one more covariate
    h = _housing()
    r = impact.ordinal(h, "Sat ~ Infl + Cont + (1 | Type)", weights="Freq")
    assert list(r.params.index) == ["Infl[T.Medium]", "Infl[T.High]", "Cont[T.High]"]
    assert r.re_group == "Type" and r.n_groups == 4 and r.re_var > 0


# ---------------------------------------------------------------- weights: population-weighted panel

def _mortality() -> pd.DataFrame:
    """clubSandwich::MortalityRates, cause 'Motor Vehicle': 51 states x 27 years (1970-1996)."""
    return pd.read_csv(FIX / "mortality_mv.csv")


def test_mortality_fixture_is_the_r_data():
    d = _mortality()
    # R: d <- subset(MortalityRates, cause == "Motor Vehicle"); nrow(d); sum(d$mrate); sum(as.numeric(d$pop))
    assert len(d) == 1377
    assert d["mrate"].sum() == pytest.approx(71764.9602069855, abs=1e-8)
    assert d["pop"].sum() == 320576191


def test_twfe_weights_cr2_against_clubsandwich():
    d = _mortality()
    r = impact.twfe(d, "mrate", "state", "year", "legal", controls=["beertaxa"], se="cr2", weights="pop")
    # R: m <- lm(mrate ~ legal + beertaxa + factor(state) + factor(year), weights = pop, data = d)
    #    coef_test(m, vcov = "CR2", cluster = d$state, coefs = c("legal", "beertaxa"))
    t = r.table
    np.testing.assert_allclose(t.loc[["legal", "beertaxa"], "coef"], [2.94101210042273, -4.83285824130589],
                               rtol=1e-9)
    np.testing.assert_allclose(t.loc[["legal", "beertaxa"], "se"], [2.14884227546476, 4.65833844814035],
                               rtol=1e-6)
    np.testing.assert_allclose(t.loc[["legal", "beertaxa"], "df"], [6.82313401488118, 6.39050149004082],
                               rtol=1e-6)
    assert r.pvalue == pytest.approx(0.214463734395908, rel=1e-6)
    # R: sqrt(diag(vcovCL(m, cluster = ~state, type = "HC1")))[2:3]
    cl = impact.twfe(d, "mrate", "state", "year", "legal", controls=["beertaxa"], se="cluster", weights="pop")
    np.testing.assert_allclose(cl.table.loc[["legal", "beertaxa"], "se"], [2.03645132408395, 4.34918988596405],
                               rtol=1e-6)
    # R: sqrt(diag(vcovHC(m, type = "HC1")))[2:3]; sqrt(diag(vcov(m)))[2:3]
    hc = impact.twfe(d, "mrate", "state", "year", "legal", controls=["beertaxa"], se="hc1", weights="pop")
    np.testing.assert_allclose(hc.table.loc[["legal", "beertaxa"], "se"], [0.866726782728172, 2.394057877848409],
                               rtol=1e-6)
    ols = impact.twfe(d, "mrate", "state", "year", "legal", controls=["beertaxa"], se="classical", weights="pop")
    np.testing.assert_allclose(ols.table.loc[["legal", "beertaxa"], "se"], [0.795812012068729, 2.068778118936265],
                               rtol=1e-6)
    assert "weighted" in r.inference


def _two_by_two(d: pd.DataFrame) -> pd.DataFrame:
    d = d.copy()
    d["post"] = (d["year"] >= 1980).astype(int)
    legal85 = d[d["year"] == 1985].groupby("state")["legal"].mean()
    d["treated"] = d["state"].map(legal85 > 0.5).astype(int)
    return d


def test_did_weights_cr2_against_clubsandwich():
    d = _two_by_two(_mortality())
    r = impact.did(d, "mrate", "treated", "post", cluster="state", controls=["beertaxa"], se="cr2", weights="pop")
    # R: d$post <- as.integer(d$year >= 1980)
    #    tr <- tapply(d$legal[d$year == 1985], d$state[d$year == 1985], mean)
    #    d$treated <- as.integer(tr[as.character(d$state)] > 0.5)
    #    m2 <- lm(mrate ~ treated * post + beertaxa, weights = pop, data = d)
    #    coef_test(m2, vcov = "CR2", cluster = d$state, coefs = "treated:post")
    assert r.att == pytest.approx(1.672195215258574, rel=1e-9)
    assert r.se == pytest.approx(2.0537020163274, rel=1e-6)
    assert r.df == pytest.approx(7.91961147362434, rel=1e-6)
    assert r.pvalue == pytest.approx(0.439305102040362, rel=1e-6)
    # R: sqrt(diag(vcovCL(m2, cluster = ~state, type = "HC1")))["treated:post"]
    cl = impact.did(d, "mrate", "treated", "post", cluster="state", controls=["beertaxa"], weights="pop")
    assert cl.se == pytest.approx(1.8829642448922, rel=1e-6)


def test_ancova_weights_and_categorical_control_against_lm():
    d = _mortality()
    legal85 = d[d["year"] == 1985].groupby("state")["legal"].mean()
    a = (d[d["year"] == 1985][["state", "mrate", "pop"]].rename(columns={"mrate": "y85"})
         .merge(d[d["year"] == 1975][["state", "mrate"]].rename(columns={"mrate": "y75"}), on="state"))
    a["treated"] = a["state"].map(legal85 > 0.5).astype(int)
    a["region"] = pd.Categorical(np.where(a["state"] < 20, "low", np.where(a["state"] < 40, "mid", "high")),
                                 categories=["mid", "low", "high"])
    r = impact.ancova(a, "y85", "treated", "y75", controls=["region"], weights="pop")
    # R: a$region <- factor(ifelse(a$state < 20, "low", ifelse(a$state < 40, "mid", "high")),
    #                       levels = c("mid", "low", "high"))
    #    m <- lm(y85 ~ treated + y75 + region, weights = pop, data = a)
    #    coef(m); sqrt(diag(vcovHC(m, type = "HC3")))
    np.testing.assert_allclose(r.table["coef"], [11.067272455779547, 3.203800879795398, 0.570502077114341,
                                                 5.824138136265469, 1.675579791216314], rtol=1e-9)
    np.testing.assert_allclose(r.table["se"], [7.817080545440173, 3.283357569058299, 0.134516675738786,
                                               3.905179910004615, 3.627241605462098], rtol=1e-6)
    assert list(r.table.index)[3:] == ["region[T.low]", "region[T.high]"]


def test_old_weights_meaning_warns_and_still_works():
    d = _two_by_two(_mortality())
    new = impact.did(d, "mrate", "treated", "post", cluster="state", se="wild", n_boot=199,
                     boot_weights="rademacher")
    with pytest.warns(DeprecationWarning, match="boot_weights='rademacher'"):
        old = impact.did(d, "mrate", "treated", "post", cluster="state", se="wild", n_boot=199,
                         weights="rademacher")
    assert (old.pvalue, old.ci_low, old.ci_high) == (new.pvalue, new.ci_low, new.ci_high)
    for kind in ("auto", "webb", "mammen"):
        with pytest.warns(DeprecationWarning):
            impact.twfe(d, "mrate", "state", "year", "legal", se="wild", n_boot=99, weights=kind)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = impact.twfe(d, "mrate", "state", "year", "legal", se="wild", n_boot=99, weights="pop",
                        boot_weights="mammen")
    assert "mammen" in w.inference and "weighted" in w.inference


def test_bad_weights_are_data_errors():
    d = _two_by_two(_mortality())
    d.loc[5, "pop"] = -1
    with pytest.raises(DataError, match="weights column 'pop' holds -1"):
        impact.did(d, "mrate", "treated", "post", weights="pop")
    with pytest.raises(DataError, match="no column 'popn'"):
        impact.twfe(d, "mrate", "state", "year", "legal", weights="popn")


# ---------------------------------------------------------------- power for a given effect

def test_power_individual_against_pwr():
    # R: library(pwr); pwr.t.test(n = 20, d = 0.5, sig.level = 0.05)$power
    assert impact.power(0.5, n=20).power == pytest.approx(0.33793902892509, abs=1e-10)
    # R: pwr.t.test(n = 64, d = 0.5, sig.level = 0.01)$power
    r = impact.power(0.5, n=64, confidence=0.99)
    assert float(r) == pytest.approx(0.585251020372252, abs=1e-10)
    assert r.df == 126 and "exact noncentral t" in r.method and "Bloom" not in r.method


def test_power_cluster_design_against_pwr_on_cluster_means():
    # The t-test of cluster means: effect in SD of a cluster mean, d = 0.4 / sqrt(icc + (1 - icc)/n).
    # R: pwr.t2n.test(n1 = 10, n2 = 10, d = 0.4 / sqrt(0.1 + 0.9 / 10), sig.level = 0.05)$power
    r = impact.power(0.4, n=10, icc=0.1, clusters=20)
    assert r.power == pytest.approx(0.492915690377216, abs=1e-10) and r.df == 18
    # R: pwr.t2n.test(n1 = 12, n2 = 18, d = 0.3 / sqrt(0.05 + 0.95 / 8), sig.level = 0.05)$power
    r = impact.power(0.3, n=8, icc=0.05, clusters=30, p_treated=0.4)
    assert r.power == pytest.approx(0.473063944823225, abs=1e-10)


def test_power_at_blooms_mde_is_near_the_target():
    # Bloom's multiplier approximates the noncentral t: at the MDE the exact power is close to 0.8
    d = impact.mde(20, 10, 0.1)
    assert impact.power(d, n=10, icc=0.1, clusters=20).power == pytest.approx(0.8, abs=0.01)
    assert "Bloom" in impact.mde.__doc__ and "Bloom" in impact.clusters_needed.__doc__


def test_power_bad_options():
    with pytest.raises(ParameterError, match="needs clusters"):
        impact.power(0.3, n=20, icc=0.1)
    with pytest.raises(ParameterError, match="at least 3 clusters"):
        impact.power(0.3, n=20, icc=0.1, clusters=2)


# ---------------------------------------------------------------- lme4 formulas in mixed()
# R: library(lme4); library(lmerTest)
#    ctl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
#    (tight: lme4's default stopping leaves the variance components about 1e-5 off the optimum)

def _varcor(m) -> dict:
    v = m.varcor
    return {(g, a, b if isinstance(b, str) else None): x for g, a, b, x in zip(v["grp"], v["var1"], v["var2"], v["vcov"])}


def test_mixed_random_slope_sleepstudy_against_lmer_and_lmertest():
    s = pd.read_csv(FIX / "sleepstudy.csv")
    m = impact.mixed(s, "Reaction ~ Days + (Days | Subject)")
    # R: m <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy, control = ctl)
    #    fixef(m); sqrt(diag(vcov(m))); as.data.frame(VarCorr(m)); logLik(m); summary(m)$coefficients
    np.testing.assert_allclose(m.params, [251.405104848486, 10.467285959596], rtol=1e-6)
    np.testing.assert_allclose(m.bse, [6.82455577627583, 1.54578893242985], rtol=1e-5)
    vc = _varcor(m)
    assert vc[("Subject", "(Intercept)", None)] == pytest.approx(612.08974827466864, rel=1e-4)
    assert vc[("Subject", "Days", None)] == pytest.approx(35.07166234421351, rel=1e-4)
    assert vc[("Subject", "(Intercept)", "Days")] == pytest.approx(9.60433547475486, rel=1e-4)
    assert m.scale == pytest.approx(654.94104068196930, rel=1e-5)
    assert m.llf == pytest.approx(-871.814135979246, abs=1e-6)
    np.testing.assert_allclose(m.table["df"], [17.0000051947099, 16.9999990263063], rtol=1e-4)
    np.testing.assert_allclose(m.table["pvalue"], [1.17087483659593e-17, 3.26379001973881e-06], rtol=1e-4)
    assert "Satterthwaite" in m.inference
    ml = impact.mixed(s, "Reaction ~ Days + (Days | Subject)", reml=False)
    # R: lmer(..., REML = FALSE, control = ctl): as.data.frame(VarCorr(m)); logLik(m); summary(m)$coefficients
    assert ml.llf == pytest.approx(-875.969672231599, abs=1e-6)
    assert _varcor(ml)[("Subject", "(Intercept)", None)] == pytest.approx(565.5152710426986, rel=1e-4)
    np.testing.assert_allclose(ml.bse, [6.63227642115722, 1.50223679257189], rtol=1e-5)
    np.testing.assert_allclose(ml.table["df"], [18.0000033727406, 17.9999993920731], rtol=1e-4)
    # the old arguments mean the same model; the normal approximation on request
    old = impact.mixed(s, "Reaction ~ Days", groups="Subject", re_formula="~Days", inference="normal")
    np.testing.assert_allclose(old.params, m.params, rtol=1e-8)
    assert "z" in old.table.columns and "df" not in old.table.columns


def test_mixed_crossed_penicillin_against_lmer():
    p = pd.read_csv(FIX / "penicillin.csv")
    m = impact.mixed(p, "diameter ~ 1 + (1 | plate) + (1 | sample)")
    # R: m <- lmer(diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin, control = ctl)
    vc = _varcor(m)
    assert vc[("plate", "(Intercept)", None)] == pytest.approx(0.716908176766070, rel=1e-4)
    assert vc[("sample", "(Intercept)", None)] == pytest.approx(3.730917588345593, rel=1e-4)
    assert m.scale == pytest.approx(0.302415462713223, rel=1e-5)
    assert m.llf == pytest.approx(-165.430294495543, abs=1e-6)
    assert m.params.iloc[0] == pytest.approx(22.9722222222251, rel=1e-8)
    assert m.bse.iloc[0] == pytest.approx(0.808573360598727, rel=1e-5)
    assert m.table["df"].iloc[0] == pytest.approx(5.48709295857644, rel=1e-4)


def test_mixed_nested_pastes_against_lmer():
    pa = pd.read_csv(FIX / "pastes.csv")
    m = impact.mixed(pa, "strength ~ 1 + (1 | batch/cask)")
    # R: m <- lmer(strength ~ 1 + (1 | batch/cask), Pastes, control = ctl)  (lme4 names the
    #    inner term cask:batch; here it is batch:cask)
    vc = _varcor(m)
    assert vc[("batch:cask", "(Intercept)", None)] == pytest.approx(8.43366662043893, rel=1e-4)
    assert vc[("batch", "(Intercept)", None)] == pytest.approx(1.65730908140677, rel=1e-4)
    assert m.scale == pytest.approx(0.67799998408485, rel=1e-5)
    assert m.llf == pytest.approx(-123.495372926743, abs=1e-6)
    assert m.bse.iloc[0] == pytest.approx(0.676870097254071, rel=1e-5)
    assert m.table["df"].iloc[0] == pytest.approx(8.99999950512215, rel=1e-4)


def test_mixed_weights_against_lmer():
    s = pd.read_csv(FIX / "sleepstudy.csv")
    s["w"] = 1 + s["Days"] % 3
    m = impact.mixed(s, "Reaction ~ Days + (1 | Subject)", weights="w")
    # R: sleepstudy$w <- 1 + (sleepstudy$Days %% 3)
    #    m <- lmer(Reaction ~ Days + (1 | Subject), sleepstudy, weights = w, control = ctl)
    np.testing.assert_allclose(m.params, [249.9507015059433, 10.6773686366323], rtol=1e-6)
    np.testing.assert_allclose(m.bse, [9.824917134740955, 0.810734736064915], rtol=1e-5)
    assert _varcor(m)[("Subject", "(Intercept)", None)] == pytest.approx(1403.13388850639, rel=1e-4)
    assert m.scale == pytest.approx(1640.18273636725, rel=1e-5)
    assert m.llf == pytest.approx(-894.058534147212, abs=1e-6)
    np.testing.assert_allclose(m.table["df"], [23.0665236150314, 160.9999998369778], rtol=1e-4)


def test_mixed_formula_errors():
    s = pd.read_csv(FIX / "sleepstudy.csv")
    with pytest.raises(ParameterError, match="has no random term"):
        impact.mixed(s, "Reaction ~ Days")
    with pytest.raises(ParameterError, match="not both"):
        impact.mixed(s, "Reaction ~ Days + (1 | Subject)", groups="Days")
    # the same grouping factor twice is one random intercept, never a covariate '1 | Subject'
    both = impact.mixed(s, "Reaction ~ Days + (1 | Subject)", groups="Subject")
    assert list(both.params.index) == ["Intercept", "Days"]
    with pytest.raises(ParameterError, match="random-effect term"):
        impact.mixed(s, "Reaction ~ Days", groups="Subject", re_formula="~ (1 | Days)")
    with pytest.raises(ParameterError, match="'\\|\\|'"):
        impact.mixed(s, "Reaction ~ Days + (Days || Subject)")
    with pytest.raises(ParameterError, match="inference='kr'"):
        impact.mixed(s, "Reaction ~ Days + (1 | Subject)", inference="kr")


# ---------------------------------------------------------------- cumulative link mixed model

def _wine() -> pd.DataFrame:
    w = pd.read_csv(FIX / "wine.csv")
    w["rating"] = pd.Categorical(w["rating"], categories=[1, 2, 3, 4, 5], ordered=True)
    return w


def test_ordinal_random_intercept_wine_against_clmm():
    r = impact.ordinal(_wine(), "rating ~ temp + contact + (1 | judge)")
    # R: library(ordinal)
    #    m <- clmm(rating ~ temp + contact + (1 | judge), data = wine, control = clmm.control(gradTol = 1e-10))
    #    m$coefficients; m$ST; logLik(m)
    np.testing.assert_allclose(r.params, [3.06299931410302, 1.83489968781562], rtol=1e-5)
    np.testing.assert_allclose(r.cutpoints, [-1.62367171145704, 1.51335418099894, 4.22851888200403,
                                             6.08876682559577], rtol=1e-5)
    assert r.re_var == pytest.approx(1.13113914162746 ** 2, rel=1e-4)
    assert r.llf == pytest.approx(-81.5654127767727, abs=1e-6)
    assert r.n_groups == 9 and r.re_group == "judge"
    # R: m <- clmm(rating ~ temp + contact + (1 | judge), data = wine); sqrt(diag(vcov(m)))
    #    (default control: with the inner gradTol tightened to 1e-10 clmm's inner Newton stops on its
    #    line search while it differentiates, and its Hessian moves by 0.5 %)
    np.testing.assert_allclose(r.table["se"], [0.595376183131184, 0.512529332005404, 0.682441031959170,
                                               0.603753330430831, 0.808966050324495, 0.972453654184804],
                               rtol=1e-4)


def test_ordinal_random_terms_it_does_not_fit_are_errors():
    w = _wine()
    with pytest.raises(ParameterError, match=r"\(temp \| judge\)"):
        impact.ordinal(w, "rating ~ contact + (temp | judge)")
    with pytest.raises(ParameterError, match=r"\(1 \| bottle\)"):
        impact.ordinal(w, "rating ~ temp + (1 | judge) + (1 | bottle)")
    with pytest.raises(ParameterError, match=r"\(1 \| judge/bottle\)"):
        impact.ordinal(w, "rating ~ temp + (1 | judge/bottle)")


def test_categorical_controls_in_did_and_mediation_keep_their_reference():
    d = _two_by_two(_mortality())
    d["region"] = pd.Categorical(np.where(d["state"] < 20, "low", np.where(d["state"] < 40, "mid", "high")),
                                 categories=["mid", "low", "high"])
    r = impact.did(d, "mrate", "treated", "post", cluster="state", controls=["region"], se="cr2")
    # R: d$region <- factor(ifelse(d$state < 20, "low", ifelse(d$state < 40, "mid", "high")),
    #                       levels = c("mid", "low", "high"))
    #    m <- lm(mrate ~ treated * post + region, data = d); coef(m)
    #    coef_test(m, vcov = "CR2", cluster = d$state, coefs = "treated:post")
    np.testing.assert_allclose(r.table.loc[["region[T.low]", "region[T.high]"], "coef"],
                               [-5.68751111583939, 2.42304599934342], rtol=1e-9)
    assert r.att == pytest.approx(-0.80671377696246, rel=1e-9)
    assert r.se == pytest.approx(3.14908895175484, rel=1e-6)
    assert r.df == pytest.approx(48.3012856344328, rel=1e-6)
    me = impact.mediation(d, "treated", "beertaxa", "mrate", controls=["region"], n_boot=20)
    # R: coef(lm(beertaxa ~ treated + region, d))["treated"]
    #    coef(lm(mrate ~ treated + beertaxa + region, d))[c("treated", "beertaxa")]
    assert me.a == pytest.approx(0.0758741502916932, rel=1e-9)
    assert me.b == pytest.approx(11.65950647832154, rel=1e-9)
    assert me.direct == pytest.approx(5.89750428804923, rel=1e-9)


def test_event_study_weights_cr2_against_clubsandwich():
    d = _mortality()
    d["first"] = d["state"].map(d[d["legal"] >= 0.5].groupby("state")["year"].min())  # NaN: never
    e = impact.event_study(d, "mrate", "state", "year", "first", leads=2, lags=2, se="cr2", weights="pop")
    # R: ft <- tapply(ifelse(d$legal >= 0.5, d$year, NA), d$state,
    #                 function(v) if (all(is.na(v))) NA else min(v, na.rm = TRUE))
    #    d$first <- ft[as.character(d$state)]; e <- d$year - d$first
    #    z <- function(x) ifelse(is.na(x), 0, as.numeric(x))
    #    d$em2 <- z(e <= -2); d$e0 <- z(e == 0); d$e1 <- z(e == 1); d$e2 <- z(e >= 2)
    #    m <- lm(mrate ~ em2 + e0 + e1 + e2 + factor(state) + factor(year), weights = pop, data = d)
    #    coef_test(m, vcov = "CR2", cluster = d$state, coefs = c("em2", "e0", "e1", "e2"))
    t = e.table.drop("e-1")
    np.testing.assert_allclose(t["coef"], [-2.21049293158475, 5.81289362182466, 3.16956138829166,
                                           1.33509393202641], rtol=1e-9)
    np.testing.assert_allclose(t["se"], [1.65650491865414, 2.04336775631123, 2.50745398757871,
                                         2.35990769072191], rtol=1e-6)
    np.testing.assert_allclose(t["df"], [7.66255626970784, 9.19755281313671, 9.44290714875399,
                                         9.66871646288157], rtol=1e-6)


def test_exact_mde_has_the_target_power():
    # with 6 clusters Bloom's shifted-t multiplier is 1.2 % off the exact noncentral-t MDE
    d = impact.mde(6, 10, 0.1, method="exact")
    assert impact.power(d, n=10, icc=0.1, clusters=6).power == pytest.approx(0.8, abs=1e-10)
    assert impact.mde(6, 10, 0.1) == pytest.approx(1.3230358024731914, abs=1e-12)  # Bloom, as before
    j = impact.clusters_needed(0.6, 10, 0.1, method="exact")
    assert impact.power(0.6, n=10, icc=0.1, clusters=j).power >= 0.8 > impact.power(0.6, n=10, icc=0.1,
                                                                                     clusters=j - 1).power
    with pytest.raises(ParameterError, match="method='approx'"):
        impact.mde(6, 10, 0.1, method="approx")
