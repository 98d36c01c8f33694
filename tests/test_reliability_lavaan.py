"""cfa() held to R's lavaan 0.6-14: the model syntax (modifiers, labels, regressions among
factors, std_lv), the estimators (ML, MLR) with their tests and fit measures, and the argument
order.

Data (tests/fixtures/reliability/, see its README): ``political_democracy.csv`` is lavaan's
``PoliticalDemocracy`` (Bollen 1989); ``factors12.csv`` as in test_reliability.py. R is not
called at test time. lavaan stops its optimiser (nlminb) a little before the optimum reached
here, so iterative numbers are held to 1e-4 (relative for chi-squares), closed forms of them to
1e-6.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey.reliability as rel
from survey.errors import DataError, ParameterError

FIX = Path(__file__).parent / "fixtures" / "reliability"
TOL = 1e-4


@pytest.fixture(scope="module")
def pol() -> pd.DataFrame:
    return pd.read_csv(FIX / "political_democracy.csv")


@pytest.fixture(scope="module")
def factors12() -> pd.DataFrame:
    return pd.read_csv(FIX / "factors12.csv")


def close(actual, expected, tol=TOL, rel_tol=0.0):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=rel_tol, atol=tol)


def chisq_close(actual, expected):
    close(actual, expected, 0.0, TOL)


# Bollen's model with equal loadings across the two waves (labels a, b, c), as in lavaan's tutorial
BOLLEN = """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + a*y2 + b*y3 + c*y4
dem65 =~ y5 + a*y6 + b*y7 + c*y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
"""
STRUCT = ["ind60=~x2", "ind60=~x3", "dem60=~y2", "dem60=~y3", "dem60=~y4", "dem65=~y6", "dem65=~y7",
          "dem65=~y8", "dem60~ind60", "dem65~ind60", "dem65~dem60"]


def _struct(res):
    e = res.estimates
    e = e.assign(key=e.lhs + e.op + e.rhs).set_index("key")
    return e.loc[STRUCT]


# R: pd <- read.csv("political_democracy.csv")   # lavaan::PoliticalDemocracy
#    f <- cfa(BOLLEN, pd); fitMeasures(f, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
#      "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "npar", "logl", "aic", "bic"))
#    parameterEstimates(f)[op %in% c("=~", "~") & !is.na(z), c("est", "se")]

def test_regressions_among_factors_and_labels_match_lavaan(pol):
    r = rel.cfa(pol, BOLLEN)
    f = r.fit
    chisq_close(f.chisq, 40.1794895297430)
    assert f.df == 38 and f.npar == 28 and r.estimator == "ML"
    close([f.pvalue, f.cfi, f.tli, f.rmsea, f.rmsea_ci_low, f.rmsea_ci_high, f.srmr],
          [0.373882407767822, 0.996774252421671, 0.995331154820840, 0.0276538092915039, 0.0,
           0.0870678573186879, 0.0557655640919829])
    close([f.logl, f.aic, f.bic], [-1548.81807905355, 3153.63615810710, 3218.52582528611], 0, 1e-6)
    s = _struct(r)
    close(s.est, [2.179656605542693, 1.818209960138412, 1.190782032666847, 1.174540691825885,
                  1.250978879091722, 1.190782032666848, 1.174540691825886, 1.250978879091722,
                  1.471330223358349, 0.600474625145797, 0.865042986021321])
    close(s.se, [0.1383850863463067, 0.1518803070902401, 0.1392632550772726, 0.1204020672193935,
                 0.1167865979782949, 0.1392632550772727, 0.1204020672193934, 0.1167865979782950,
                 0.3923166888012560, 0.2256992441455950, 0.0748716917276838])
    # the labels hold the loadings equal: one parameter, the same estimate on both waves
    assert s.loc["dem60=~y2", "est"] == s.loc["dem65=~y6", "est"]


# R: f <- cfa(BOLLEN, pd, estimator = "MLR"); fitMeasures(f, c("chisq.scaled", "chisq.scaling.factor",
#      "baseline.chisq.scaled", "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled",
#      "cfi.robust", "tli.robust", "rmsea.scaled", "rmsea.robust", "rmsea.ci.lower.robust",
#      "rmsea.ci.upper.robust")); parameterEstimates(f)$se

def test_mlr_matches_lavaan_on_bollen(pol):
    r = rel.cfa(pol, BOLLEN, estimator="MLR")
    f = r.fit
    chisq_close([f.chisq, f.chisq_scaled, f.baseline_chisq_scaled], [40.1794895297430, 44.4921257205542275,
                                                                     702.8412021286789013])
    close([f.chisq_scaling_factor, f.baseline_chisq_scaling_factor, f.cfi_scaled, f.tli_scaled, f.cfi_robust,
           f.tli_robust, f.rmsea_scaled, f.rmsea_robust, f.rmsea_ci_low_robust, f.rmsea_ci_high_robust],
          [0.9030696753421488, 1.0395720728660227, 0.9899788316963750, 0.9854956774552797, 0.9912946745658971,
           0.9874001868716932, 0.0477277576397349, 0.0453556776721748, 0.0, 0.0930277213303496])
    close(_struct(r).se, [0.1446195207871993, 0.1403657037645767, 0.1412754448831728, 0.1180300699273992,
                          0.1379769293675387, 0.1412754448831728, 0.1180300699273992, 0.1379769293675387,
                          0.3516330833404862, 0.2297987467335145, 0.0616342082435579])
    assert "listwise" in r.missing and r.estimator == "MLR"


# R: m <- "f1 =~ V1 + V2 + V3 + V4\n f2 =~ V5 + V6 + V7 + V8\n f3 =~ V9 + V10 + V11 + V12"
#    f <- cfa(m, y, estimator = "MLR"); fitMeasures(f, ...); parameterEstimates(f)$se

def test_mlr_matches_lavaan_on_three_factors(factors12):
    m = "f1 =~ V1 + V2 + V3 + V4\n f2 =~ V5 + V6 + V7 + V8\n f3 =~ V9 + V10 + V11 + V12"
    f = rel.cfa(factors12, m, estimator="mlr").fit
    chisq_close([f.chisq_scaled, f.baseline_chisq_scaled], [94.5954598782780, 1227.13403787453])
    close([f.chisq_scaling_factor, f.baseline_chisq_scaling_factor, f.cfi_scaled, f.tli_scaled, f.cfi_robust,
           f.tli_robust, f.rmsea_scaled, f.rmsea_robust, f.rmsea_ci_low_robust, f.rmsea_ci_high_robust, f.srmr],
          [1.01293755210726, 1.01263812171620, 0.962454412276054, 0.951411592357246, 0.962443310294237,
           0.951397225086659, 0.0533795509781840, 0.0537237416706157, 0.0364630501328229, 0.0704324767600571,
           0.0582172329127175])
    se = rel.cfa(factors12, m, estimator="MLR").estimates.se
    close(se[:7], [0.0912878544823212, 0.0762672698818837, 0.0998998966112988, 0.0683892845593391,
                   0.0801687030193887, 0.0784199289629653, 0.0729588277011988])
    # by hand: the scaled statistic is chisq / c, the robust RMSEA sqrt(max(chisq/(N df) - c/N, 0))
    close(f.chisq_scaled, f.chisq / f.chisq_scaling_factor, 1e-9)
    close(f.rmsea_robust, np.sqrt(max(f.chisq / 300 / 51 - f.chisq_scaling_factor / 300, 0)), 1e-12)


# R: f <- cfa(BOLLEN, pd, std.lv = TRUE); parameterEstimates(f); standardizedSolution(f)$est.std

def test_std_lv_matches_lavaan(pol):
    r = rel.cfa(pol, BOLLEN, std_lv=True)
    chisq_close(r.fit.chisq, 69.0205744537344)
    assert r.fit.df == 38
    e = r.estimates
    lam = e[e.op.isin(["=~", "~"])]
    close(lam.est, [0.671191397929287, 1.456992891182332, 1.217775930478660, 1.720469070228406, 1.564125353944904,
                    1.688634986892530, 1.746919846275943, 1.214937857787323, 1.564125353944904, 1.688634986892531,
                    1.746919846275944, 0.603990700175639, 0.316775107699332, 0.980413761444227])
    close(lam.se.iloc[[0, 3, 11, 13]], [0.0646376510086408, 0.2125725933960443, 0.1547545084844111,
                                        0.1782117106223995])
    close(r.std_loadings.std_all, [0.921963683720855, 0.970966310824783, 0.872139673907506, 0.850747731326630,
                                   0.526712880102999, 0.665419878688699, 0.714186448704820, 0.785382783610465,
                                   0.765865762810703, 0.848629286185228, 0.864865381980732])
    assert not ((e.op == "~~") & (e.lhs == e.rhs) & e.lhs.isin(["ind60", "dem60", "dem65"])).any()


# R: m2 <- "ind60 =~ NA*x1 + 1*x2 + x3\n dem60 =~ y1 + y2 + y3 + y4\n dem60 ~ ind60
#           ind60 ~~ 0.5*ind60\n y1 ~~ 2*y1"
#    f2 <- cfa(m2, pd); fitMeasures(f2, c("chisq", "df", "cfi", "rmsea")); parameterEstimates(f2)

def test_fixed_and_freed_parameters_match_lavaan(pol):
    m2 = "ind60 =~ NA*x1 + 1*x2 + x3\n dem60 =~ y1 + y2 + y3 + y4\n dem60 ~ ind60\n ind60 ~~ 0.5*ind60\n y1 ~~ 2*y1"
    r = rel.cfa(pol, m2)
    chisq_close(r.fit.chisq, 81.862370576457707)
    assert r.fit.df == 15
    close([r.fit.cfi, r.fit.rmsea], [0.826727768735441, 0.243789290761889])
    e = r.estimates.assign(key=lambda d: d.lhs + d.op + d.rhs).set_index("key")
    assert "ind60=~x2" not in e.index and "y1~~y1" not in e.index and "ind60~~ind60" not in e.index
    close(e.loc[["ind60=~x1", "ind60=~x3", "dem60~ind60", "x1~~x1", "y4~~y4", "dem60~~dem60"], "est"],
          [0.775721085564227, 1.267339818829107, 1.113063609177610, 0.026162152438777, 2.461457066666091,
           3.618256537804586])
    close(e.loc[["ind60=~x1", "dem60~ind60", "dem60~~dem60"], "se"],
          [0.0774224612847814, 0.3651947987255802, 0.8654598860581970])


@pytest.mark.parametrize("model, token", [
    ("f =~ x1 + x2 + x3\n x1 ~ 1", "'1'"),
    ("f =~ x1 + x2 + x3\n x1 | t1", "'|'"),
    ("f =~ x1 + x2 + x3\n d := a*b", "':='"),
    ("f =~ x1 + x2 + x3\n a == b", "'=='"),
    ("f =~ x1 + c(a, b)*x2 + x3", "c(a, b)"),
    ("f =~ x1 + start(1)*x2 + x3", "start(1)"),
    ("f =~ x1 + x2 + x3\n f ~ x1", "x1"),
    ("f =~ x1 + x2 + x3\n y1 = x2", "neither"),
    ("f =~ x1 + 2*3*x2", "2*3*x2"),
])
def test_syntax_outside_the_subset_names_the_token(pol, model, token):
    with pytest.raises(ParameterError, match=token.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")
                       .replace("|", r"\|")):
        rel.parse_model(model)


def test_a_factor_without_scale_is_refused(pol):
    with pytest.raises(ParameterError, match="no scale"):
        rel.cfa(pol, "f =~ NA*x1 + x2 + x3")
    # freeing the marker is fine once the variance is fixed, and equals std_lv
    a = rel.cfa(pol, "f =~ NA*x1 + x2 + x3\n f ~~ 1*f")
    b = rel.cfa(pol, "f =~ x1 + x2 + x3", std_lv=True)
    close(a.estimates.est, b.estimates.est, 1e-6)


def test_old_argument_order_warns_and_gives_the_same_fit(factors12):
    m = "f1 =~ V1 + V2 + V3 + V4"
    with pytest.warns(DeprecationWarning, match=r"cfa\(data, model\)"):
        old = rel.cfa(m, factors12)
    new = rel.cfa(factors12, m)
    pd.testing.assert_series_equal(old.fit, new.fit)
    with pytest.raises(ParameterError, match="model must be"):
        rel.cfa(factors12, factors12)


def test_bad_estimator_and_missing_columns(factors12):
    with pytest.raises(ParameterError, match="estimator='GLS'"):
        rel.cfa(factors12, "f =~ V1 + V2 + V3", estimator="GLS")
    with pytest.raises(DataError, match="X9"):
        rel.cfa(factors12, "f =~ V1 + V2 + X9")


# -- invariance ---------------------------------------------------------------------------------------
# R: b <- read.csv("bfi_cn.csv")   # psych::bfi C1-C5, N1-N5, gender
#    m <- "C =~ C1 + C2 + C3 + C4 + C5\n N =~ N1 + N2 + N3 + N4 + N5"
#    fc <- cfa(m, b, group = "gender", estimator = est)      # est = "ML" or "MLR"
#    fm <- update: group.equal = "loadings"; fs: c("loadings", "intercepts");
#    fst: c("loadings", "intercepts", "residuals")
#    fp <- cfa(m, b, group = "gender", estimator = est, group.equal = c("loadings", "intercepts"),
#              group.partial = c("C4~1", "N1~1"))
#    fitMeasures(f, c("chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "chisq.scaled",
#                     "chisq.scaling.factor", "cfi.robust", "rmsea.robust"))
#    lavTestLRT(fc, fm, fs, fst); lavTestLRT(fm, fp)    (ntotal 2617 after listwise deletion)

BFI_MODEL = "C =~ C1 + C2 + C3 + C4 + C5\n N =~ N1 + N2 + N3 + N4 + N5"


@pytest.fixture(scope="module")
def bfi_cn() -> pd.DataFrame:
    return pd.read_csv(FIX / "bfi_cn.csv")


def test_invariance_ml_matches_lavaan(bfi_cn):
    r = rel.invariance(bfi_cn, BFI_MODEL, group="gender")
    t = r.table
    assert list(t.index) == ["configural", "metric", "scalar", "strict"] and r.n_obs == 2617
    chisq_close(t.chisq, [1028.06308045316, 1035.55411854977, 1182.54888065871, 1201.90721198827])
    assert list(t.df) == [68, 76, 84, 94]
    close(t.cfi, [0.874998362079564, 0.875064629674744, 0.856967305363745, 0.855748836735781])
    close(t.tli, [0.834556655693540, 0.852050219351671, 0.846750684318298, 0.861887184108727])
    close(t.rmsea, [0.103874408723124, 0.0982293063541133, 0.0999731062995198, 0.0949075810381547])
    close(t.srmr, [0.0696753270951996, 0.0703589344509058, 0.0745036922923207, 0.0753501954854585])
    close(t.aic, [87397.5437465310, 87389.0347846276, 87520.0295467366, 87519.3878780661], 0, 1e-6)
    chisq_close(t.delta_chisq.iloc[1:], [7.49103809660824, 146.99476210893431, 19.35833132956645])
    close(t.delta_pvalue.iloc[1:], [4.84694004002542e-01, 8.29853701834395e-28, 3.59404157618374e-02], 1e-5)
    assert list(t.delta_df.iloc[1:]) == [8, 8, 10]
    # the two-factor model fits these items poorly (CFI 0.875 < 0.90), so nothing further is reached
    assert list(t.verdict) == ["does not hold", "not reached", "not reached", "not reached"]


def test_invariance_mlr_scaled_difference_matches_lavaan(bfi_cn):
    r = rel.invariance(bfi_cn, BFI_MODEL, group="gender", estimator="MLR")
    t = r.table
    assert r.cfi_column == "cfi_robust" and set(t.test.iloc[1:]) == {"satorra.bentler.2001"}
    chisq_close(t.chisq_scaled, [903.477310593300, 899.064770190396, 1037.31408344195, 1054.35128055148])
    close(t.chisq_scaling_factor, [1.13789584796330, 1.15181258668435, 1.14001043612061, 1.13994949705910])
    close(t.cfi_robust, [0.875860042794553, 0.876208663584191, 0.858087956266415, 0.857048028368659])
    close(t.rmsea_robust, [0.103365894336690, 0.0976369617940151, 0.0994365187833928, 0.0943424336912759])
    chisq_close(t.delta_chisq.iloc[1:], [5.89796819006075, 143.00631515482985, 16.98937368543973])
    close(t.delta_pvalue.iloc[1:], [6.58659917751978e-01, 5.62008386556665e-27, 7.45994440052870e-02], 1e-5)
    # by hand: Satorra-Bentler 2001 from lavaan's statistics of the metric and configural models
    cd = (76 * 1.15181258668435 - 68 * 1.13789584796330) / 8
    close(t.delta_chisq["metric"], (1035.55411854977 - 1028.06308045316) / cd, 1e-4)


def test_partial_invariance_frees_the_named_intercepts(bfi_cn):
    r = rel.invariance(bfi_cn, BFI_MODEL, group="gender", estimator="MLR", partial=["C4~1", "N1 ~ 1"],
                       levels=["configural", "metric", "scalar"])
    t = r.table
    assert r.partial == ("C4~1", "N1 ~ 1") and t.df["scalar"] == 82
    chisq_close([t.chisq["scalar"], t.chisq_scaled["scalar"]], [1153.88910047118, 1009.66525149699])
    close([t.chisq_scaling_factor["scalar"], t.cfi_robust["scalar"]], [1.14284323320066, 0.861562939613252])
    # lavTestLRT(fm, fp): scaled difference 114.974124715938 on 6 df
    chisq_close(t.delta_chisq["scalar"], 114.974124715938)
    with pytest.raises(ParameterError, match="C9~1"):
        rel.invariance(bfi_cn, BFI_MODEL, group="gender", partial=["C9~1"])


def test_invariance_verdicts_follow_the_rule(factors12):
    d = factors12.assign(grp=["A"] * 150 + ["B"] * 150)
    m = "f1 =~ V1 + V2 + V3 + V4\n f2 =~ V5 + V6 + V7 + V8\n f3 =~ V9 + V10 + V11 + V12"
    r = rel.invariance(d, m, group="grp")
    t = r.table
    # the old cfa(group=) table holds the same three levels (lavaan numbers in test_reliability.py)
    old = rel.cfa(d, m, group="grp").invariance
    close(t.chisq.iloc[:3], old.chisq, 1e-8)
    assert list(t.verdict) == ["holds"] * 4
    ok = (t.delta_cfi.iloc[1:] >= -0.01) & (t.delta_pvalue.iloc[1:] >= 0.05)
    assert ok.all()
    with pytest.raises(ParameterError, match="levels"):
        rel.invariance(d, m, group="grp", levels=["metric", "scalar"])
    with pytest.raises(ParameterError, match="estimator"):
        rel.invariance(d, m, group="grp", estimator="WLSMV")


# -- ordered items: WLSMV and DWLS ------------------------------------------------------------------
# R: items <- c(paste0("C", 1:5), paste0("N", 1:5))
#    f <- cfa(BFI_MODEL, b, ordered = items, estimator = "WLSMV")   # and estimator = "DWLS"
#    fitMeasures(f); parameterEstimates(f); standardizedSolution(f); lavInspect(f, "sampstat")

BFI_ITEMS = [f"C{i}" for i in range(1, 6)] + [f"N{i}" for i in range(1, 6)]


def test_wlsmv_matches_lavaan(bfi_cn):
    r = rel.cfa(bfi_cn, BFI_MODEL, ordered=BFI_ITEMS)
    f = r.fit
    assert r.estimator == "WLSMV" and r.n_obs == 2617 and f.df == 34 and "listwise" in r.missing
    chisq_close([f.chisq, f.chisq_scaled, f.baseline_chisq, f.baseline_chisq_scaled],
                [1176.78824997199, 1412.43180054515, 30260.0141893592, 17872.1891150275])
    close([f.chisq_scaling_factor, f.baseline_chisq_scaling_factor, f.cfi, f.tli, f.cfi_scaled, f.tli_scaled,
           f.rmsea, f.rmsea_ci_low, f.rmsea_ci_high, f.rmsea_scaled, f.rmsea_ci_low_scaled, f.rmsea_ci_high_scaled,
           f.srmr],
          [0.838233308609449, 1.69488380890565, 0.962178132937152, 0.949941646534467, 0.922678118706712,
           0.897662215935355, 0.113350790923871, 0.107843835339854, 0.118953839544285, 0.124489956027219,
           0.118985715115099, 0.130082174519186, 0.0792374150257496])
    e = r.estimates.assign(key=lambda d: d.lhs + d.op + d.rhs).set_index("key")
    keys = ["C=~C2", "C=~C3", "C=~C4", "C=~C5", "N=~N2", "N=~N3", "N=~N4", "N=~N5", "C1|t1", "C1|t2", "C1|t5",
            "C2|t1", "C3|t2"]
    close(e.loc[keys, "est"], [1.029535890835788, 0.960516346198973, -1.348459290195374, -1.247606133559454,
                               0.968247357038492, 0.878212475205767, 0.752680138524523, 0.639155209566056,
                               -1.956218378044736, -1.390720235515274, 0.780920823599499, -1.856155407826432,
                               -1.182739270957945])
    close(e.loc[keys, "se"], [0.0369759584364769, 0.0372359286678264, 0.0451768763291509, 0.0407805174334678,
                              0.0142557871197398, 0.0125262206728969, 0.0160135151630144, 0.0174063309865637,
                              0.0520680727988217, 0.0353963233822586, 0.0274228725529141, 0.0480894580969949,
                              0.0318737543254055])
    close(r.std_loadings.std_all, [0.566897896594227, 0.583641730983072, 0.544514696304570, -0.764438735254702,
                                   -0.707265292892911, 0.861991689711309, 0.834621175352118, 0.757011855428170,
                                   0.648804024418895, 0.550946479081631])
    # sample thresholds: qnorm of the cumulative shares (closed form), lavaan's sampstat$th
    close(r.thresholds["sample"].iloc[:6], [-1.956218378044736, -1.390720235515274, -0.909642492436704,
                                            -0.220640242725782, 0.780920823599499, -1.856155407826432], 1e-9)
    # by hand: the scaled-shifted statistic is chisq / c + shift
    close(f.chisq_scaled, f.chisq / f.chisq_scaling_factor + f.chisq_shift, 1e-8)


def test_dwls_matches_lavaan(bfi_cn):
    r = rel.cfa(bfi_cn, BFI_MODEL, ordered=True, estimator="DWLS")
    f = r.fit
    chisq_close([f.chisq, f.baseline_chisq], [1176.78824997199, 30260.0141893592])
    assert "chisq_scaled" not in f.index
    close([f.cfi, f.tli, f.rmsea, f.srmr], [0.962178132937152, 0.949941646534467, 0.113350790923871,
                                            0.0792374150257496])
    e = r.estimates
    close(e.se.iloc[:8], [0.0324372036106407, 0.0305316790921929, 0.0394603028643915, 0.0358490918490888,
                          0.0190271744843443, 0.0152290239599779, 0.0144293708095743, 0.0140299629977080])


def test_ordered_options_are_checked(bfi_cn):
    with pytest.raises(ParameterError, match="does not fit ordered"):
        rel.cfa(bfi_cn, BFI_MODEL, ordered=True, estimator="MLR")
    with pytest.raises(ParameterError, match="does not fit continuous"):
        rel.cfa(bfi_cn, BFI_MODEL, estimator="WLSMV")
    with pytest.raises(ParameterError, match="X1"):
        rel.cfa(bfi_cn, BFI_MODEL, ordered=["X1"])
    with pytest.raises(ParameterError, match="mixing"):
        rel.cfa(bfi_cn, BFI_MODEL, ordered=["C1"])


# R: fc <- cfa(BFI_MODEL, b, ordered = items, group = "gender")     (WLSMV, delta parameterisation)
#    fm <- ... group.equal = "loadings"; fs <- ... group.equal = c("loadings", "thresholds")
#    fitMeasures(f, c("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "cfi", "cfi.scaled",
#                     "rmsea", "rmsea.scaled", "srmr"))
#    lavTestLRT(fc, fm, fs)    (method "satorra.2000", scaled and shifted)

def test_ordinal_invariance_matches_lavaan(bfi_cn):
    r = rel.invariance(bfi_cn, BFI_MODEL, group="gender", ordered=BFI_ITEMS)
    t = r.table
    assert r.estimator == "WLSMV" and list(t.index) == ["configural", "metric", "scalar"]
    assert list(t.df) == [68, 76, 114] and r.cfi_column == "cfi_scaled"
    chisq_close(t.chisq, [1268.60673744920, 1280.11297915662, 1549.35187543060])
    chisq_close(t.chisq_scaled, [1517.78805914808, 1404.59789567484, 1738.04950269050])
    close(t.chisq_scaling_factor, [0.845397794782103, 0.923954956499614, 0.906239501372769])
    close(t.cfi, [0.960412117081225, 0.960296504964561, 0.952671811493816])
    close(t.cfi_scaled, [0.918784689939857, 0.925573611010502, 0.909022782273752])
    close(t.rmsea_scaled, [0.127695900218916, 0.115629629800765, 0.104382178611278])
    close(t.srmr, [0.0818728028196519, 0.0821797783454584, 0.0821126254007677])
    chisq_close(t.delta_chisq.iloc[1:], [9.4992779555576, 344.0891614559060])
    close(t.delta_pvalue["metric"], 3.01941378187172e-01, 1e-5)
    assert set(t.test.iloc[1:]) == {"satorra.2000"} and list(t.delta_df.iloc[1:]) == [8, 38]


def test_dwls_invariance_uses_the_plain_difference(bfi_cn):
    # R: fc, fm as above with estimator = "DWLS"; lavTestLRT(fc, fm): Chisq diff 11.5062417074196,
    #    Pr(>Chisq) 0.174630702366432
    r = rel.invariance(bfi_cn, BFI_MODEL, group="gender", ordered=True, estimator="DWLS",
                       levels=["configural", "metric"])
    t = r.table
    chisq_close(t.delta_chisq["metric"], 11.5062417074196)
    close(t.delta_pvalue["metric"], 0.174630702366432, 1e-5)
    assert t.test["metric"] == "chisq difference" and r.cfi_column == "cfi"
