"""Tests of survey.impact against independent references.

Reference numbers come from R 4.x (sandwich, clubSandwich, lme4, MASS), called once by the author on
exactly the data built below (written with ``float_format="%.17g"`` and read by ``read.csv``); the R
calls are quoted beside the numbers. The data are built with integer arithmetic (an LCG), so they are
the same on every platform and numpy version. Tolerances: 1e-6 for OLS-based numbers, 1e-4
(relative) for mixed and ordinal models.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from survey import impact as im
from survey.errors import DataError, ParameterError


# ---------------------------------------------------------------- data (pure arithmetic)

def _uniforms(n: int, seed: int) -> np.ndarray:
    # 32-bit LCG (Numerical Recipes constants): platform-independent, no numpy RNG stream involved
    out = np.empty(n)
    x = seed
    for i in range(n):
        x = (1664525 * x + 1013904223) % 4294967296
        out[i] = (x + 0.5) / 4294967296
    return out


def _normals(n: int, seed: int) -> np.ndarray:
    u = _uniforms(12 * n, seed).reshape(n, 12)
    return u.sum(axis=1) - 6.0  # Irwin-Hall: mean 0, variance 1


def _panel() -> pd.DataFrame:
    """10 units (clusters) x 4 periods, 3-5 employees per unit-period; cohorts 3 (U00-U02),
    4 (U03-U05), never (U06-U09); true effect 0.5."""
    rows = []
    z = _normals(2000, 11)
    k = 0
    for u in range(10):
        first = 3 if u < 3 else (4 if u < 6 else 0)
        for t in range(1, 5):
            for _ in range(3 + u % 3):
                D = 1.0 if first and t >= first else 0.0
                x = round(z[k], 3)
                k += 1
                y = (0.3 * u - 0.2 * t + 0.1 * t * t + 0.5 * D + 0.4 * x
                     + z[k] * (0.8 + 0.1 * (u % 4)) + 0.6 * z[100 + u])
                k += 1
                rows.append(dict(unit=f"U{u:02d}", time=t, first=first, treated=int(first > 0),
                                 post=int(t >= 3), D=D, x=x, y=round(y, 4)))
    return pd.DataFrame(rows)


def _prepost() -> pd.DataFrame:
    z = _normals(80, 7)
    pre = np.round(55 + 10 * z[:40])
    post = np.round(pre + 6 + 8 * z[40:])
    return pd.DataFrame({"pre": pre, "post": post})


def _ordinal() -> pd.DataFrame:
    z = _normals(600, 5)
    u = _uniforms(300, 9)
    x1 = np.round(z[:300], 3)
    g = (u > 0.5).astype(float)
    lat = 0.8 * x1 + 0.6 * g + z[300:] * 1.2
    item = np.digitize(lat, [-1.5, -0.4, 0.5, 1.6]) + 1
    return pd.DataFrame({"item": item, "x1": x1, "g": g})


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel()


def test_data_are_the_ones_r_saw(panel):
    # guards every pasted R number below: R read these data (summary statistics from R)
    assert panel.shape == (156, 8)
    # R: p <- read.csv("panel.csv"); sprintf("%.10f", c(sum(p$y), sum(p$x)))
    assert panel["y"].sum() == pytest.approx(264.9737, abs=1e-9)
    assert panel["x"].sum() == pytest.approx(13.867, abs=1e-9)


# ---------------------------------------------------------------- 1. before/after

def test_prepost_against_r():
    r = im.prepost(_prepost(), "pre", "post")
    # R: tt <- t.test(q$post, q$pre, paired=TRUE)
    assert r.t == pytest.approx(3.0468518177729, abs=1e-9)
    assert r.df == 39
    assert r.pvalue == pytest.approx(0.00413565341097011, abs=1e-12)
    assert r.ci_low == pytest.approx(1.3277427942048, abs=1e-9)
    assert r.ci_high == pytest.approx(6.5722572057952, abs=1e-9)
    # R: wilcox.test(q$post, q$pre, paired=TRUE)  (ties -> normal approximation, continuity correction)
    assert r.wilcoxon_v == 610.5
    assert r.wilcoxon_p == pytest.approx(0.00713692327538624, abs=1e-10)
    # R: d <- post - pre; tobs <- mean(d)/(sd(d)/sqrt(n))
    #    uniroot(function(nc) pt(tobs, n-1, nc) - 0.975, c(-20,20), tol=1e-13)$root / sqrt(n)  (and 0.025)
    assert r.d_z == pytest.approx(0.481749571859333, abs=1e-12)
    assert r.d_z_ci_low == pytest.approx(0.151277768982494, abs=1e-8)
    assert r.d_z_ci_high == pytest.approx(0.806692196901534, abs=1e-8)
    # R: sav <- (sd(pre)+sd(post))/2; mean(d)/sav; limits * sd(d)/sav;
    #    J <- exp(lgamma((n-1)/2) - lgamma((n-2)/2))/sqrt((n-1)/2)  -> 0.980624238680339
    assert r.d_av == pytest.approx(0.366451635888151, abs=1e-12)
    assert r.d_av_ci_low == pytest.approx(0.115072205883208, abs=1e-8)
    assert r.d_av_ci_high == pytest.approx(0.613625195496987, abs=1e-8)
    assert r.g_av == pytest.approx(0.359351356455983, abs=1e-12)
    assert r.g_av_ci_low == pytest.approx(0.980624238680339 * 0.115072205883208, abs=1e-8)
    assert list(r.table.index) == ["mean_diff", "d_z", "d_av", "g_av"]


def test_prepost_exact_wilcoxon_and_missing():
    d15 = [3.1, -1.2, 4.4, 5.0, 2.2, -0.3, 7.1, 1.9, 6.3, -2.6, 0.8, 3.7]
    df = pd.DataFrame({"b": [0.0] * 12 + [np.nan], "a": d15 + [1.0]})
    r = im.prepost(df, "b", "a")
    # R: wilcox.test(c(3.1, -1.2, 4.4, 5.0, 2.2, -0.3, 7.1, 1.9, 6.3, -2.6, 0.8, 3.7))
    assert r.wilcoxon_v == 68
    assert r.wilcoxon_p == pytest.approx(0.02099609375, abs=1e-12)
    assert r.wilcoxon_method == "exact"
    assert r.n == 12 and r.n_dropped == 1


def test_prepost_errors():
    with pytest.raises(DataError, match="at least 3"):
        im.prepost(pd.DataFrame({"b": [1.0, 2.0], "a": [2.0, 3.0]}), "b", "a")
    with pytest.raises(DataError, match="same difference"):
        im.prepost(pd.DataFrame({"b": [1.0, 2.0, 3.0], "a": [2.0, 3.0, 4.0]}), "b", "a")
    with pytest.raises(DataError, match="no column 'zz'"):
        im.prepost(pd.DataFrame({"b": [1.0]}), "b", "zz")
    with pytest.raises(DataError, match="numeric; row 1"):
        im.prepost(pd.DataFrame({"b": [1, 2, 3], "a": ["1", "x", "3"]}), "b", "a")


# ---------------------------------------------------------------- 2. two groups

def test_welch_and_ancova_against_r(panel):
    p4 = panel[panel["time"] == 4]
    w = im.welch(p4, "y", "treated")
    # R: t.test(y ~ factor(treated, levels=c(1,0)), data=p4, var.equal=FALSE)
    assert w.t == pytest.approx(-4.14321430728824, abs=1e-9)
    assert w.df == pytest.approx(27.7116852599921, abs=1e-9)
    assert w.pvalue == pytest.approx(0.00029054504485637, abs=1e-12)
    assert (w.ci_low, w.ci_high) == pytest.approx((-1.9203534250406, -0.64931324162607), abs=1e-9)
    # R: pooled d, J <- exp(lgamma(df/2)-lgamma((df-1)/2))/sqrt(df/2), noncentral-t limits via uniroot
    assert w.d == pytest.approx(-1.39460468725324, abs=1e-10)
    assert w.g == pytest.approx(-1.36611091871741, abs=1e-10)
    assert (w.g_ci_low, w.g_ci_high) == pytest.approx((-2.06257787872135, -0.654690510311079), abs=1e-7)
    a = im.ancova(p4, "y", "treated", "x")
    # R: a <- lm(y ~ treated + x, data=p4); sqrt(vcovHC(a, type="HC3")["treated","treated"])
    assert a.effect == pytest.approx(-1.2761086387559, abs=1e-9)
    assert a.se == pytest.approx(0.30456921928431, abs=1e-9)
    assert im.ancova(p4, "y", "treated", "x", cov_type="HC1").se == pytest.approx(0.293770423653643, abs=1e-9)
    assert a.welch.t == w.t


def test_binary_check():
    df = pd.DataFrame({"y": [1.0, 2, 3, 4], "g": [0, 1, 2, 1]})
    with pytest.raises(DataError, match="must be 0/1; row 2"):
        im.welch(df, "y", "g")


# ---------------------------------------------------------------- 3. DiD / TWFE / event study

# R: f <- lm(y ~ treated*post + x, data=p)
#    sqrt(vcov(f)[...]); sqrt(vcovHC(f, type="HC1")[...]); sqrt(vcovCL(f, cluster=~unit, type="HC1")[...])
#    coef_test(f, vcov="CR2", cluster=p$unit, test="Satterthwaite")
DID_R = dict(att=0.0627481821250451, classical=0.321422219585594, hc1=0.320040107016875,
             cluster=0.136134172538972, cr2=0.1470928313209886, cr2_df=6.10708129402420,
             cr2_p=0.68430744544703637)
CR2_ALL_R = {  # coef_test(...) all rows: beta, SE, df_Satt
    "Intercept": (2.1416110189197082, 0.2208491324373221, 2.84823326766327),
    "treated": (-1.4822520770115992, 0.3336018708336710, 6.08254064813110),
    "post": (0.8290155465354779, 0.0998724562124575, 2.83507332079285),
    "x": (0.3968742388309805, 0.0859003996097385, 7.52357714296582),
    "treated:post": (0.0627481821250451, 0.1470928313209886, 6.10708129402420),
}


@pytest.mark.parametrize("se", ["classical", "hc1", "cluster", "cr2"])
def test_did_against_r(panel, se):
    r = im.did(panel, "y", "treated", "post", cluster="unit", controls=["x"], se=se)
    assert r.att == pytest.approx(DID_R["att"], abs=1e-10)
    assert r.se == pytest.approx(DID_R[se], abs=1e-9)
    assert r.n == 156 and r.n_clusters == 10
    assert "Only 10 clusters" in r.warnings[0]
    if se == "cluster":
        assert r.df == 9
        assert "Only 10 clusters" in r.warnings[0] and "cr2" in r.warnings[0]
    if se == "cr2":
        assert r.df == pytest.approx(DID_R["cr2_df"], abs=1e-8)
        assert r.pvalue == pytest.approx(DID_R["cr2_p"], abs=1e-9)
        for term, (b, s, df) in CR2_ALL_R.items():
            assert r.table.loc[term, "coef"] == pytest.approx(b, abs=1e-10)
            assert r.table.loc[term, "se"] == pytest.approx(s, abs=1e-10)
            assert r.table.loc[term, "df"] == pytest.approx(df, abs=1e-8)


def test_did_defaults(panel):
    assert im.did(panel, "y", "treated", "post", cluster="unit").inference.startswith("cluster-robust CR1")
    r = im.did(panel, "y", "treated", "post", controls=["x"])
    assert r.inference.startswith("HC1") and r.se == pytest.approx(DID_R["hc1"], abs=1e-9)
    assert r.warnings == ()
    with pytest.raises(ParameterError, match="needs a cluster"):
        im.did(panel, "y", "treated", "post", se="cr2")
    with pytest.raises(ParameterError, match="se='hc3' is not allowed"):
        im.did(panel, "y", "treated", "post", se="hc3")


def test_did_explains_staggered_post(panel):
    # post defined per unit (wave >= the unit's adoption wave) is already the treatment indicator
    with pytest.raises(DataError, match="use twfe"):
        im.did(panel.assign(post=panel["D"]), "y", "treated", "post", cluster="unit")


def test_did_missing_rows_dropped(panel):
    p = panel.copy()
    p.loc[[0, 5], "y"] = np.nan
    r = im.did(p, "y", "treated", "post", cluster="unit")
    assert r.n == 154 and r.n_dropped == 2


def test_wild_matches_wildboottest_full_enumeration(panel):
    # 10 clusters, Rademacher: all 2^10 = 1024 sign vectors, so the p-value is deterministic.
    # Reference: wildboottest 0.3.2, wildboottest(smf.ols('y ~ treated + post + tp + x', p), B=2000,
    # cluster=codes, param='tp', weights_type='rademacher') -> statistic 0.460929, p-value 0.666016
    # (= 682/1024).
    r = im.did(panel, "y", "treated", "post", cluster="unit", controls=["x"], se="wild", n_boot=2000,
               boot_weights="rademacher")
    assert r.pvalue == pytest.approx(682 / 1024, abs=1e-12)
    assert r.att / r.se == pytest.approx(0.460929, abs=1e-6)
    assert "1024 draws" in r.inference
    assert r.ci_low < r.att < r.ci_high
    # the CI is the set of nulls not rejected: at its ends the bootstrap p-value crosses alpha
    fit = r.model
    assert fit.wild["ci_low"] == r.ci_low


def test_twfe_wild_with_absorbed_unit_effects_matches_dummies(panel):
    # Unit effects absorbed by demeaning must give the bootstrap of the full dummy model.
    # wildboottest 0.3.2 on smf.ols('y ~ D + C(unit) + C(time)', p), B=2000 (full enumeration),
    # cluster=unit codes, param='D' -> statistic 0.614894, p-value 0.603516 (= 618/1024)
    r = im.twfe(panel, "y", "unit", "time", "D", cluster="unit", se="wild", n_boot=2000, boot_weights="rademacher")
    assert r.pvalue == pytest.approx(618 / 1024, abs=1e-12)
    assert r.att / r.se == pytest.approx(0.614894, abs=1e-6)


def test_wild_pvalue_at_any_null_equals_refitting_each_bootstrap_sample():
    # The bootstrap p-value as a function of the null r (whose inversion is the interval) against
    # the long way: for each draw build y* = X b~(r) + v_g e~_g(r) from the restricted fit, refit
    # OLS, compute the CR1 t* = (b*_j - r) / se*_j and count |t*| >= |t(r)|.
    from survey.impact._ols import _draws, _wild_pvalue

    gen = np.random.default_rng(7)
    G, per = 12, 6
    codes = np.repeat(np.arange(G), per)
    X = np.column_stack([np.ones(G * per), gen.normal(size=G * per), (codes < 6) * gen.integers(0, 2, G * per)])
    y = X @ [1.0, 0.5, 0.3] + gen.normal(size=G * per) + gen.normal(size=G)[codes]
    j, n = 2, len(y)
    M = np.linalg.inv(X.T @ X)

    def cr1_se(yy):
        b = M @ X.T @ yy
        e = yy - X @ b
        scores = np.array([X[codes == g].T @ e[codes == g] for g in range(G)])
        V = M @ scores.T @ scores @ M * G / (G - 1) * (n - 1) / (n - X.shape[1])
        return b, np.sqrt(np.diag(V))

    b, se = cr1_se(y)
    p_of, draws = _wild_pvalue(y, X, M, codes, G, j, 499, 11, "webb", b[j], se[j])
    V = _draws("webb", G, 499, 11)
    others = [0, 1]
    for r in (0.0, b[j] - 1.5 * se[j], b[j] + 0.7 * se[j], b[j] + 3 * se[j]):
        y0 = y - r * X[:, j]
        bo = np.linalg.lstsq(X[:, others], y0, rcond=None)[0]
        fitted = X[:, others] @ bo + r * X[:, j]
        e_r = y - fitted
        t_obs = (b[j] - r) / se[j]
        hits = 0
        for v in V.T:
            bs, ses = cr1_se(fitted + v[codes] * e_r)
            hits += abs((bs[j] - r) / ses[j]) >= abs(t_obs)
        assert p_of(r) == pytest.approx(hits / V.shape[1], abs=1e-12), r


def test_wild_webb_seeded(panel):
    a = im.did(panel, "y", "treated", "post", cluster="unit", controls=["x"], se="wild", n_boot=199, seed=3)
    b = im.did(panel, "y", "treated", "post", cluster="unit", controls=["x"], se="wild", n_boot=199, seed=3)
    assert a.pvalue == b.pvalue and a.ci_low == b.ci_low
    assert "webb" in a.inference
    # Webb and enumeration agree roughly on this null-ish effect
    assert abs(a.pvalue - 682 / 1024) < 0.12
    assert "wild" in a.warnings[0]


def test_wild_rejects_strong_effect():
    # a large effect: the bootstrap p-value must be small and the CI must exclude 0
    p = _panel()
    p["y2"] = p["y"] + 3.0 * p["treated"] * p["post"]
    r = im.did(p, "y2", "treated", "post", cluster="unit", se="wild", n_boot=499, seed=1)
    assert r.pvalue < 0.01 and r.ci_low > 0


# R: f2 <- lm(y ~ D + factor(unit) + factor(time), data=p); vcov / vcovHC HC1 / vcovCL HC1;
#    coef_test(f2, vcov="CR2", cluster=p$unit, test="Satterthwaite", coefs="D")
TWFE_R = dict(att=0.155741134751768, classical=0.278839356045552, hc1=0.289520927758931,
              cluster=0.253281182293708, cr2=0.260465986317059, cr2_df=7.89232768888035,
              cr2_p=0.566642352140118)


@pytest.mark.parametrize("se", ["classical", "hc1", "cluster", "cr2"])
def test_twfe_against_r(panel, se):
    r = im.twfe(panel, "y", "unit", "time", "D", cluster="unit", se=se)
    assert r.att == pytest.approx(TWFE_R["att"], abs=1e-10)
    assert r.se == pytest.approx(TWFE_R[se], abs=1e-9)
    if se == "cr2":
        assert r.df == pytest.approx(TWFE_R["cr2_df"], abs=1e-8)
        assert r.pvalue == pytest.approx(TWFE_R["cr2_p"], abs=1e-9)
    if se == "classical":
        assert r.df == 156 - 1 - 10 - 3


def test_twfe_nesting_check(panel):
    p = panel.copy()
    p["region"] = np.where(p["time"] <= 2, "A", "B")
    with pytest.raises(DataError, match="nested in clusters"):
        im.twfe(p, "y", "unit", "time", "D", cluster="region")


def test_event_study_against_r(panel):
    e = im.event_study(panel, "y", "unit", "time", "first", leads=3, lags=1)
    # R: rel <- time - first (NA for never); dummies em3 (rel <= -3), em2, e0, e1 (rel >= 1), ref -1
    #    f3 <- lm(y ~ em3 + em2 + e0 + e1 + factor(unit) + factor(time)); V <- vcovCL(f3, ~unit, type="HC1")
    #    F <- t(b) solve(V) b / 2 on (em3, em2); pf(F, 2, 9, lower.tail=FALSE)
    coef = {-3: 0.2071076904762028, -2: -0.0192168095237986, 0: 0.1017459761904847, 1: 0.5111839761904823}
    se = {-3: 0.172985534951667, -2: 0.227934880526110, 0: 0.262982617057239, 1: 0.399816590259797}
    t = e.table.set_index("event_time")
    for k in coef:
        assert t.loc[k, "coef"] == pytest.approx(coef[k], abs=1e-10)
        assert t.loc[k, "se"] == pytest.approx(se[k], abs=1e-9)
    assert t.loc[-1, "coef"] == 0.0
    assert e.pretrend_f == pytest.approx(0.740767741793787, abs=1e-9)
    assert e.pretrend_p == pytest.approx(0.50370841048933, abs=1e-9)
    assert (e.pretrend_df1, e.pretrend_df2) == (2, 9.0)


# ---------------------------------------------------------------- 4. staggered adoption

def _unit_means(panel):
    return panel.groupby(["unit", "time", "first"], as_index=False)["y"].mean()


def test_staggered_gt_against_2x2_regressions(panel):
    a = _unit_means(panel)
    r = im.staggered(a, "y", "unit", "time", "first")
    gt = r.att_gt.set_index(["group", "time"])
    # ATT(g,t) with one pre and one post period is the 2x2 DiD of unit means, and its influence-
    # function SE is the HC0 SE of that regression. R: w <- wide unit means;
    # s <- w[first %in% c(3,0),]; f <- lm(I(y.4 - y.2) ~ I(first==3), s); sqrt(vcovHC(f,"HC0")[2,2])
    assert gt.loc[(3, 4), "att"] == pytest.approx(0.574769444444445, abs=1e-10)
    assert gt.loc[(3, 4), "se"] == pytest.approx(0.299798464095289, abs=1e-10)
    # pre-period, varying base: y.3 - y.2 for cohort 4 against never-treated
    assert gt.loc[(4, 3), "att"] == pytest.approx(0.0643608333333334, abs=1e-10)
    assert gt.loc[(4, 3), "se"] == pytest.approx(0.411059495142512, abs=1e-10)
    ny = im.staggered(a, "y", "unit", "time", "first", control="notyet").att_gt.set_index(["group", "time"])
    # not yet treated: cohort 3 at t=3 against never + cohort 4 (R: first %in% c(3,4,0), y.3 - y.2)
    assert ny.loc[(3, 3), "att"] == pytest.approx(0.0264009523809524, abs=1e-10)
    assert ny.loc[(3, 3), "se"] == pytest.approx(0.257544899819429, abs=1e-10)
    # simple aggregation by hand: weights = cohort shares (3 units each) over post cells
    post = r.att_gt[r.att_gt["time"] >= r.att_gt["group"]]
    assert r.att == pytest.approx(post["att"].mean(), abs=1e-12)  # equal cohort sizes -> plain mean
    # TWFE beside it is the same as twfe() on the unit-mean panel
    a["D"] = ((a["first"] > 0) & (a["time"] >= a["first"])).astype(float)
    assert r.twfe.att == pytest.approx(im.twfe(a, "y", "unit", "time", "D", cluster="unit").att, abs=1e-12)
    assert "Only 10 units" in r.warnings[0]
    assert "Goodman-Bacon" in r.warnings[1]


def _did_fixture(pre_trend: bool = False) -> pd.DataFrame:
    """The deterministic panel of the csdid-stata parity fixtures F003-F006 and F008 (48 units,
    cohorts 3 and 4 and never, 4 periods), built exactly as their R generators build it."""
    d = pd.DataFrame([(i, t) for i in range(1, 49) for t in range(1, 5)], columns=["id", "time"])
    d["g"] = np.repeat(np.r_[[3] * 16, [4] * 16, [0] * 16], 4)
    treat = np.where((d["g"] > 0) & (d["time"] >= d["g"]), 0.8 + 0.2 * (d["time"] - d["g"]) + 0.03 * d["g"], 0.0)
    later = np.where((d["g"] == 4) & (d["time"] < 4), 0.22 * d["time"], 0.0) if pre_trend else 0.0
    d["y"] = (d["id"] % 7) * 0.11 + d["time"] * 0.4 + later + treat + 0.02 * d["id"] * (d["time"] == 4)
    return d


def test_staggered_against_r_did():
    # R did 2.5.1: att_gt(yname="y", tname="time", idname="id", gname="g", data=d, panel=TRUE,
    #   control_group="nevertreated", bstrap=FALSE, cband=FALSE, est_method="reg", base_period="varying")
    # then aggte(mp, type=..., bstrap=FALSE, cband=FALSE). Numbers as published in the parity
    # fixtures of pedrohcgs/csdid-stata (tests/fixtures/parity/f003-f006, f008 expected/r/*.csv).
    r = im.staggered(_did_fixture(), "y", "id", "time", "g")
    assert r.att == pytest.approx(0.646666666666667, abs=1e-12)           # F003 simple
    assert r.se == pytest.approx(0.0196064678166903, abs=1e-12)
    grp = r.group.set_index("group")                                       # F004 group
    assert grp.loc[3, "att"] == pytest.approx(0.67, abs=1e-12)
    assert grp.loc[3, "se"] == pytest.approx(0.0162980060130066, abs=1e-12)
    assert grp.loc[4, "se"] == pytest.approx(0.0325960120260132, abs=1e-12)
    over = r.simple.set_index("aggregation")
    assert over.loc["group", "att"] == pytest.approx(0.635, abs=1e-12)
    assert over.loc["group", "se"] == pytest.approx(0.0224304480561579, abs=1e-12)
    cal = r.calendar.set_index("time")                                     # F005 calendar
    assert cal.loc[4, "att"] == pytest.approx(0.525, abs=1e-12)
    assert cal.loc[4, "se"] == pytest.approx(0.0311874373746866, abs=1e-12)
    assert cal.loc[3, "se"] < 1e-12  # R prints NA: exactly zero variance
    assert over.loc["calendar", "att"] == pytest.approx(0.7075, abs=1e-12)
    assert over.loc["calendar", "se"] == pytest.approx(0.0155937186873433, abs=1e-12)
    dyn = r.dynamic.set_index("event_time")                                # F006 dynamic
    assert dyn.loc[0, "att"] == pytest.approx(0.745, abs=1e-12)
    assert dyn.loc[0, "se"] == pytest.approx(0.0303752572005572, abs=1e-12)
    assert dyn.loc[1, "se"] == pytest.approx(0.0325960120260132, abs=1e-12)
    assert over.loc["dynamic (e >= 0)", "att"] == pytest.approx(0.5975, abs=1e-12)
    assert over.loc["dynamic (e >= 0)", "se"] == pytest.approx(0.0250818971072764, abs=1e-12)
    # F008: a pre-trend in the later cohort; never-treated vs not-yet-treated controls
    ny = im.staggered(_did_fixture(True), "y", "id", "time", "g", control="notyet").att_gt.set_index(["group", "time"])
    assert ny.loc[(3, 2), "att"] == pytest.approx(-0.11, abs=1e-12)
    assert ny.loc[(3, 2), "se"] == pytest.approx(0.0194454364826301, abs=1e-12)
    assert ny.loc[(3, 3), "att"] == pytest.approx(0.78, abs=1e-12)
    assert ny.loc[(4, 4), "se"] == pytest.approx(0.0325960120260132, abs=1e-12)
    nv = im.staggered(_did_fixture(True), "y", "id", "time", "g").att_gt.set_index(["group", "time"])
    assert nv.loc[(4, 2), "att"] == pytest.approx(0.22, abs=1e-12)
    assert nv.loc[(3, 3), "att"] == pytest.approx(0.89, abs=1e-12)


def _sim_staggered(rng, n_units=60, T=6):
    dyn = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
    g = rng.choice([3, 4, 5, 0], size=n_units, p=[0.25, 0.25, 0.2, 0.3])
    a = rng.normal(0, 1, n_units)
    t = np.tile(np.arange(1, T + 1), n_units)
    gi = np.repeat(g, T)
    e = np.where(gi > 0, t - gi, -99)
    eff = np.where(e >= 0, np.take(dyn, np.clip(e, 0, 5)), 0.0)
    y = np.repeat(a, T) + 0.3 * t + eff + rng.normal(0, 1, n_units * T)
    return pd.DataFrame({"unit": np.repeat(np.arange(n_units), T), "time": t, "first": gi, "y": y})


def test_staggered_recovers_known_effects_in_simulation():
    # Effects grow with exposure (0.5, 1.0, 1.5, ...). The population simple ATT weights cohorts by
    # their probabilities (.25, .25, .20) over their post cells: (.25*5 + .25*3 + .2*1.5)/2.15.
    true_simple = (0.25 * 5.0 + 0.25 * 3.0 + 0.2 * 1.5) / 2.15
    rng = np.random.default_rng(20261127)
    est_e1, se_e1, cov_e1, cov_simple, est_simple, se_simple, tw = [], [], [], [], [], [], []
    for _ in range(150):
        r = im.staggered(_sim_staggered(rng), "y", "unit", "time", "first")
        dyn = r.dynamic.set_index("event_time")
        est_e1.append(dyn.loc[1, "att"])
        se_e1.append(dyn.loc[1, "se"])
        cov_e1.append(dyn.loc[1, "ci_low"] <= 1.0 <= dyn.loc[1, "ci_high"])
        est_simple.append(r.att)
        se_simple.append(r.se)
        cov_simple.append(r.ci_low <= true_simple <= r.ci_high)
        tw.append(r.twfe.att)
    assert abs(np.mean(est_e1) - 1.0) < 0.06
    assert abs(np.mean(est_simple) - true_simple) < 0.05
    # analytic SEs (with the weights' influence function) match the sampling SD
    assert np.mean(se_e1) / np.std(est_e1) == pytest.approx(1.0, abs=0.15)
    assert np.mean(se_simple) / np.std(est_simple) == pytest.approx(1.0, abs=0.15)
    assert 0.88 <= np.mean(cov_e1) <= 0.99 and 0.88 <= np.mean(cov_simple) <= 0.99
    # with growing effects TWFE is biased downward relative to the CS simple ATT
    assert np.mean(tw) < true_simple - 0.1


def test_staggered_errors(panel):
    with pytest.raises(DataError, match="more than one row"):
        im.staggered(panel, "y", "unit", "time", "first")
    a = _unit_means(panel)
    a = a[a["first"] > 0]
    with pytest.raises(DataError, match="no never-treated"):
        im.staggered(a, "y", "unit", "time", "first")


# ---------------------------------------------------------------- 5. mixed models

def test_mixed_against_lme4(panel):
    m = im.mixed(panel, "y ~ x + D", "unit")
    # R: m <- lmer(y ~ x + D + (1|unit), data=p, REML=TRUE); fixef(m); sqrt(diag(vcov(m)));
    #    as.data.frame(VarCorr(m)); logLik(m)
    fe = [1.480519078936037, 0.405480845335649, 0.870577446436727]
    se = [0.3499615045165022, 0.0746519895780002, 0.1940087875985802]
    np.testing.assert_allclose(m.params.to_numpy(), fe, rtol=1e-4)
    np.testing.assert_allclose(m.bse.to_numpy(), se, rtol=1e-4)
    assert m.cov_re.iloc[0, 0] == pytest.approx(1.152396628144923, rel=1e-4)
    assert m.scale == pytest.approx(0.795758078436089, rel=1e-4)
    assert m.llf == pytest.approx(-220.273629351892, abs=1e-4)
    assert m.icc == pytest.approx(1.152396628144923 / (1.152396628144923 + 0.795758078436089), rel=1e-4)
    assert m.converged and m.n_groups == 10
    ml = im.mixed(panel, "y ~ x + D", "unit", reml=False)
    # R: lmer(..., REML=FALSE): fixef, VarCorr, logLik
    np.testing.assert_allclose(ml.params.to_numpy(), [1.481850148981415, 0.405880797458663, 0.864212359211907], rtol=1e-4)
    assert ml.cov_re.iloc[0, 0] == pytest.approx(1.027804590074996, rel=1e-4)
    assert ml.llf == pytest.approx(-217.699435887278, abs=1e-4)


def _slopes() -> pd.DataFrame:
    """20 groups x 15 rows with a random intercept and a random slope of x."""
    z = _normals(700, 21)
    rows = []
    for g in range(20):
        a, b = z[600 + g], z[650 + g]
        for i in range(15):
            x = round(z[g * 15 + i], 3)
            y = 1 + 0.8 * a + (0.5 + 0.4 * b) * x + 0.7 * z[300 + g * 15 + i]
            rows.append(dict(g=f"G{g:02d}", x=x, y=round(y, 4)))
    return pd.DataFrame(rows)


def test_mixed_random_slope_against_lme4():
    d = _slopes()
    assert d["y"].sum() == pytest.approx(315.3454, abs=1e-9)  # R: sum(d$y)
    m = im.mixed(d, "y ~ x", "g", re_formula="~x")
    # R: m <- lmer(y ~ x + (1 + x|g), data=d, REML=TRUE,
    #              control=lmerControl(optimizer="bobyqa", optCtrl=list(rhoend=1e-12, maxfun=1e5)))
    #    fixef; sqrt(diag(vcov)); VarCorr; logLik.  (With lme4's default tolerances the near-zero
    #    covariance comes out as -0.0172307, 1.4e-4 off: the REML surface is flat there.)
    np.testing.assert_allclose(m.params.to_numpy(), [1.010349868372629, 0.309783553957936], rtol=1e-6)
    np.testing.assert_allclose(m.bse.to_numpy(), [0.148825947925378, 0.134341789451992], rtol=1e-5)
    np.testing.assert_allclose(np.diag(m.cov_re.to_numpy()), [0.4036928879482553, 0.3198188094556972], rtol=1e-5)
    assert m.cov_re.iloc[0, 1] == pytest.approx(-0.0172282528112381, rel=1e-4)
    assert m.scale == pytest.approx(0.5325873791278750, rel=1e-6)
    assert m.llf == pytest.approx(-379.546499627072, abs=1e-8)


def test_mixed_refuses_unconverged(panel):
    # one optimizer with a hopeless iteration budget cannot converge: the function must say so
    with pytest.raises(DataError, match="no optimizer converged"):
        im.mixed(panel, "y ~ x + D", "unit", methods=("nm",), gtol=1e-14)


def test_icc_anova_against_r(panel):
    # R: fa <- anova(lm(y ~ factor(unit), p)); n0 <- (N - sum(ns^2)/N)/(G-1); (msb-msw)/(msb+(n0-1)*msw)
    assert im.icc(panel, "y", "unit").icc == pytest.approx(0.424554775695091, abs=1e-12)


# ---------------------------------------------------------------- 6. ordinal

def test_ordinal_against_polr():
    o = _ordinal()
    r = im.ordinal(o, "item ~ x1 + g")
    # R: po <- polr(factor(item) ~ x1 + g, data=o, Hess=TRUE, method="logistic",
    #               control=list(reltol=1e-14, maxit=1000))   # tight: polr's default stops ~1e-5 early
    #    coef(po); po$zeta; sqrt(diag(vcov(po))); logLik(po)
    np.testing.assert_allclose(r.params.to_numpy(), [1.097242963968916, 0.876006979606396], rtol=1e-6)
    np.testing.assert_allclose(r.cutpoints.to_numpy(),
                               [-2.089144269521467, -0.572706710191795, 0.710601692442064, 2.134910493995430],
                               rtol=1e-6)
    assert list(r.cutpoints.index) == ["1|2", "2|3", "3|4", "4|5"]
    # SEs from R's numerical Hessian (optim): agreement to 1e-5 relative
    np.testing.assert_allclose(r.table["se"].to_numpy(),
                               [0.124131190348300, 0.214479964233413, 0.213896840142151, 0.165669216298857,
                                0.165901914149523, 0.202657696862723], rtol=1e-5)
    assert r.llf == pytest.approx(-422.844293995302, abs=1e-6)
    assert r.odds_ratios.loc["x1", "odds_ratio"] == pytest.approx(np.exp(1.097242963968916), rel=1e-6)
    pr = im.ordinal(o, "item ~ x1 + g", distr="probit")
    # R: polr(..., method="probit", control=list(reltol=1e-14, maxit=1000))
    np.testing.assert_allclose(pr.params.to_numpy(), [0.638116005857784, 0.509119024804623], rtol=1e-6)
    np.testing.assert_allclose(pr.cutpoints.to_numpy(),
                               [-1.217911922256165, -0.346751088669479, 0.417991717075701, 1.251680007146908],
                               rtol=1e-6)


def test_ordinal_against_clm():
    o = _ordinal()
    # R: library(ordinal); o$item <- factor(o$item, ordered=TRUE)
    #    m <- clm(item ~ x1 + g, data=o, link="logit", control=clm.control(gradTol=1e-10))
    #    coef(m); sqrt(diag(vcov(m))); logLik(m)      (analytic Hessian, so the SEs are exact)
    r = im.ordinal(o, "item ~ x1 + g")
    np.testing.assert_allclose(r.params.to_numpy(), [1.097242993008940, 0.876007021043585], rtol=1e-6)
    np.testing.assert_allclose(r.cutpoints.to_numpy(), [-2.089144351777691, -0.572706698376466,
                                                        0.710601782133725, 2.134910573902131], rtol=1e-6)
    np.testing.assert_allclose(r.table["se"].to_numpy(),
                               [0.124131193269315, 0.214479964829101, 0.213896955269251, 0.165669243098704,
                                0.165901934304323, 0.202657717820378], rtol=1e-6)
    assert r.llf == pytest.approx(-422.844293992301, abs=1e-8)
    p = im.ordinal(o, "item ~ x1 + g", distr="probit")
    # R: clm(..., link="probit", control=clm.control(gradTol=1e-10))
    np.testing.assert_allclose(p.params.to_numpy(), [0.638116005813681, 0.509119026818125], rtol=1e-6)
    np.testing.assert_allclose(p.table["se"].to_numpy(),
                               [0.0697521604290519, 0.1248085214513369, 0.1177850211808705, 0.0982080700545406,
                                0.0978721504667424, 0.1124894837118127], rtol=1e-6)
    assert p.llf == pytest.approx(-422.896206357508, abs=1e-8)


def test_ordinal_categorical_predictor_against_polr():
    o = _ordinal()
    o["grp"] = ["a", "b", "c"] * 100
    r = im.ordinal(o, "item ~ x1 + C(grp)")
    # R: o$grp <- rep(c("a","b","c"), 100)
    #    polr(factor(item) ~ x1 + factor(grp), data=o, Hess=TRUE, control=list(reltol=1e-14, maxit=1000))
    assert r.params["x1"] == pytest.approx(1.064136045247974, rel=1e-6)
    assert r.params["C(grp)[T.b]"] == pytest.approx(0.223011828012906, rel=1e-5)
    assert r.params["C(grp)[T.c]"] == pytest.approx(0.327509957132626, rel=1e-5)
    np.testing.assert_allclose(r.cutpoints.to_numpy(),
                               [-2.244705935436693, -0.779317832585084, 0.466478802838702, 1.843975500952403],
                               rtol=1e-5)
    assert r.bse["C(grp)[T.c]"] == pytest.approx(0.257418064036376, rel=1e-5)


def test_ordinal_needs_three_levels():
    df = pd.DataFrame({"y": [1, 2, 1, 2, 1, 2], "x": [0.1, 0.5, 0.2, 0.9, 0.3, 0.4]})
    with pytest.raises(DataError, match="3 or more"):
        im.ordinal(df, "y ~ x")


# ---------------------------------------------------------------- 7. mediation

def test_mediation_point_estimates_against_r(panel):
    me = im.mediation(panel, "D", "x", "y", n_boot=200, seed=1)
    # R: coef(lm(x ~ D))["D"]; coef(lm(y ~ D + x))[c("x","D")]; coef(lm(y ~ D))["D"]
    assert me.a == pytest.approx(0.114613888888889, abs=1e-10)
    assert me.b == pytest.approx(0.458324605124708, abs=1e-10)
    assert me.direct == pytest.approx(-0.216232032033474, abs=1e-10)
    assert me.total == pytest.approx(-0.163701666666667, abs=1e-10)  # c = c' + ab for OLS
    again = im.mediation(panel, "D", "x", "y", n_boot=200, seed=1)
    pd.testing.assert_frame_equal(me.table, again.table)
    t = me.table
    assert (t["ci_low"] <= t["estimate"]).all() and (t["estimate"] <= t["ci_high"]).all()


def test_mediation_bootstrap_se_matches_delta_method():
    rng = np.random.default_rng(5)
    n = 400
    t = rng.integers(0, 2, n).astype(float)
    m = 0.5 * t + rng.normal(0, 1, n)
    y = 0.4 * m + 0.2 * t + rng.normal(0, 1, n)
    df = pd.DataFrame({"t": t, "m": m, "y": y})
    me = im.mediation(df, "t", "m", "y", n_boot=1000, seed=2)
    # Sobel: se(ab) ~ sqrt(b^2 se_a^2 + a^2 se_b^2) with se from OLS (large-sample check, 20%)
    import statsmodels.api as sm
    fa = sm.OLS(m, sm.add_constant(t)).fit()
    fb = sm.OLS(y, sm.add_constant(np.column_stack([t, m]))).fit()
    sobel = np.sqrt(fb.params[2] ** 2 * fa.bse[1] ** 2 + fa.params[1] ** 2 * fb.bse[2] ** 2)
    assert me.table.loc["indirect", "boot_se"] == pytest.approx(sobel, rel=0.2)
    assert me.table.loc["indirect", "ci_low"] > 0
    cl = im.mediation(df.assign(c=np.arange(n) // 20), "t", "m", "y", cluster="c", n_boot=300, seed=2)
    assert "20 clusters" in cl.boot_method


# ---------------------------------------------------------------- 8. power

def test_mde_hand_computation():
    # Bloom (2005): M = t_{.975,J-2} + t_{.8,J-2}; R: qt(0.975, 18) = 2.10092204024104, qt(0.8, 18) = 0.862048667989599
    M = 2.10092204024104 + 0.862048667989599
    expect = M * np.sqrt(0.1 / (0.25 * 20) + 0.9 / (0.25 * 20 * 10))
    assert im.mde(20, 10, 0.1) == pytest.approx(expect, abs=1e-12)
    # covariates explaining half the variance shrink the MDE by sqrt(0.5)
    assert im.mde(20, 10, 0.1, r2=0.5) == pytest.approx(expect * np.sqrt(0.5), abs=1e-12)
    # large J: the multiplier tends to 1.96 + 0.8416 = 2.8016 (Bloom 1995)
    assert im.mde(100000, 1, 0.0) * np.sqrt(0.25 * 100000) == pytest.approx(2.8016, abs=1e-3)


def test_clusters_needed_is_smallest():
    j = im.clusters_needed(0.3, 20, 0.05)
    assert im.mde(j, 20, 0.05) <= 0.3 < im.mde(j - 1, 20, 0.05)
    with pytest.raises(ParameterError, match="would be needed"):
        im.clusters_needed(0.01, 5, 0.5, max_clusters=1000)


def test_results_serialise(panel):
    r = im.did(panel, "y", "treated", "post", cluster="unit")
    d = r.to_dict()
    assert d["att"] == r.att and "model" not in d and "vcov" not in d
    assert "<table" in r._repr_html_()


# ---------------------------------------------------------------- plots

def test_plots_return_figures(panel):
    import matplotlib
    from matplotlib.figure import Figure

    from survey.plots import impact as pl

    r = im.did(panel, "y", "treated", "post", cluster="unit", controls=["x"])
    fig = pl.coef_plot(r.table, truth={"treated:post": 0.5}, title="DiD")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    # one tick label per term, in table order from the top
    assert [t.get_text() for t in ax.get_yticklabels()] == list(r.table.index)
    assert ax.get_yticks()[0] > ax.get_yticks()[-1]  # first term on top
    e = im.event_study(panel, "y", "unit", "time", "first", leads=3, lags=1)
    s = im.staggered(_unit_means(panel), "y", "unit", "time", "first")
    fig2 = pl.event_study_plot(e.table, overlay=s.dynamic, lang="id")
    assert isinstance(fig2, Figure) and fig2.axes[0].get_xlabel().startswith("Periode")
    fig3 = pl.prepost_plot(_prepost(), "pre", "post")
    assert isinstance(fig3, Figure)
    with pytest.raises(DataError, match="no column 'coef'"):
        pl.coef_plot(pd.DataFrame({"b": [1.0]}))
    tab = pd.DataFrame({"relevance": [4.1, np.nan], "facilitator": [3.5, 4.0]}, index=["S1", "S2"])
    fig4 = pl.means_heatmap(tab, decimal=",")
    texts = [t.get_text() for t in fig4.axes[0].texts]
    assert texts == ["4,10", "3,50", "4,00"]  # the missing cell stays blank
    matplotlib.pyplot.close("all")


# ---------------------------------------------------------------- panel helpers

def test_unit_wave_means_and_adoption_waves(panel):
    m = im.unit_wave_means(panel, "y", unit="unit", time="time", keep=("first",))
    assert len(m) == 40 and set(m.columns) == {"unit", "time", "y", "n", "first"}
    u0 = panel[(panel["unit"] == "U00") & (panel["time"] == 1)]
    row = m[(m["unit"] == "U00") & (m["time"] == 1)].iloc[0]
    assert row["y"] == pytest.approx(u0["y"].mean(), abs=1e-12) and row["n"] == len(u0)
    bad = panel.assign(first=np.arange(len(panel)))
    with pytest.raises(DataError, match="differs within unit"):
        im.unit_wave_means(bad, "y", unit="unit", time="time", keep=("first",))
    rec = pd.DataFrame({"unit_id": ["A", "A", "B", "C"], "wave": [3, 2, 4, 1],
                        "program": ["kepemimpinan", "kepemimpinan", "kepemimpinan", "teknis_sektor"]})
    assert im.adoption_waves(rec, "kepemimpinan").to_dict() == {"A": 2, "B": 4}
    with pytest.raises(DataError, match="does not occur"):
        im.adoption_waves(rec, "layanan_digital")
