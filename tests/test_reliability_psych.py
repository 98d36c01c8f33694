"""EFA by maximum likelihood with psych's fit statistics, omega with other extraction and
rotation methods, and multilevel reliability, held to R's psych 2.2.9 (GPArotation 2022.10-2).

Data (tests/fixtures/reliability/, see its README): ``bfi_cn.csv`` is psych's ``bfi`` items
C1-C5 and N1-N5 (2800 rows, with psych's missing answers); ``factors12.csv`` as in
test_reliability.py; ``within_between.csv`` is psych's ``withinBetween`` with ``id = Group``
and ``time`` = the row within each group. R is not called at test time.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey.reliability as rel
from survey.errors import ParameterError

FIX = Path(__file__).parent / "fixtures" / "reliability"
# psych fits by R's optim (L-BFGS-B at its default factr): its loadings stop about 1e-6 short
# of the optimum reached here, so iterative results are held to 1e-5, closed forms to 1e-6
FIT_TOL = 1e-5


@pytest.fixture(scope="module")
def bfi_cn() -> pd.DataFrame:
    return pd.read_csv(FIX / "bfi_cn.csv")


@pytest.fixture(scope="module")
def factors12() -> pd.DataFrame:
    return pd.read_csv(FIX / "factors12.csv")


def close(actual, expected, tol=FIT_TOL, rel_tol=0.0):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=rel_tol, atol=tol)


# -- efa(method="ml") ---------------------------------------------------------------------------------
# R: b <- bfi[, c(paste0("C", 1:5), paste0("N", 1:5))]
#    f <- fa(b, 2, fm = "ml", rotate = "oblimin")
#    f$loadings[c(1, 3, 6, 10), ]; f$Phi
#    c(f$STATISTIC, f$dof, f$PVAL, f$objective, f$null.chisq, f$null.dof, f$TLI, f$RMSEA[1:3], f$BIC)

def test_efa_ml_matches_psych(bfi_cn):
    f = rel.efa(bfi_cn.iloc[:, :10], 2, method="ml")
    assert list(f.loadings.columns) == ["ML1", "ML2"] and f.parallel is None
    close(f.loadings.iloc[[0, 2, 5, 9]].to_numpy(), [
        [0.0698250475707461, 0.5649158834629254], [0.0434467817599906, 0.5568493237696149],
        [0.8096319334686727, 0.0125531069255514], [0.5062315066560099, -0.0168204343093014]])
    close(f.phi.iloc[0, 1], -0.229731552526837)
    fit = f.fit
    close([fit.chisq, fit.baseline_chisq, fit.bic], [661.176181061137, 8131.18964982252, 454.804438960892],
          0, 1e-4)
    close([fit.objective, fit.tli, fit.rmsea, fit.rmsea_ci_low, fit.rmsea_ci_high],
          [0.236683794902859, 0.863981544542899, 0.0934067446465081, 0.0873374006735114, 0.0996516240186913])
    assert fit.df == 26 and fit.baseline_df == 45 and fit.n_obs == 2800
    close(fit.pvalue, 9.87489846783288e-123, 0, 1e-4)


def test_efa_fit_statistics_for_minres_and_one_factor_ml(bfi_cn):
    # R: f1 <- fa(b, 2)  (minres): c(f1$STATISTIC, f1$dof, f1$PVAL, f1$objective, f1$TLI, f1$RMSEA[1:3], f1$BIC)
    fit = rel.efa(bfi_cn.iloc[:, :10], 2).fit
    close([fit.chisq, fit.bic], [695.791742406705, 489.420000306459], 0, 1e-4)
    close([fit.objective, fit.tli, fit.rmsea, fit.rmsea_ci_low, fit.rmsea_ci_high],
          [0.249075261287526, 0.856568868612358, 0.0959182382317331, 0.0898507209471128, 0.102158785745501])
    # R: f3 <- fa(b[, 1:5], 1, fm = "ml"); f3$loadings; c(f3$STATISTIC, f3$dof, f3$TLI, f3$RMSEA[1:3], f3$BIC)
    one = rel.efa(bfi_cn.iloc[:, :5], 1, method="ml")
    close(one.loadings["ML1"], [0.547333288398521, 0.609714601190233, 0.550801683279857, -0.669904709355082,
                                -0.587010631915192])
    close([one.fit.chisq, one.fit.bic], [178.795251666989, 139.108378186173], 0, 1e-4)
    close([one.fit.tli, one.fit.rmsea, one.fit.rmsea_ci_low, one.fit.rmsea_ci_high],
          [0.865918785478239, 0.111417318900840, 0.0977657713237750, 0.125734211313627])
    assert one.fit.df == 5


def test_efa_fit_by_hand_on_a_saturated_free_model(factors12):
    # df by hand: p(p-1)/2 - pk + k(k-1)/2 = 66 - 36 + 3 = 33 for 12 items and 3 factors
    f = rel.efa(factors12, 3, method="ml")
    assert f.fit.df == 33
    # Bartlett's corrected n for chisq: n - 1 - (2p + 5)/6 - 2k/3
    close(f.fit.chisq, f.fit.objective * (299 - 29 / 6 - 2), 1e-9)


def test_parallel_analysis_runs_only_without_nfactors(factors12, monkeypatch):
    import sys
    calls = []
    # the functions omega and efa shadow their modules' names in the package namespace
    factor_mod, omega_mod = sys.modules["survey.reliability.factor"], sys.modules["survey.reliability.omega"]
    real = factor_mod.parallel_analysis

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(factor_mod, "parallel_analysis", spy)
    monkeypatch.setattr(omega_mod, "parallel_analysis", spy)
    assert rel.efa(factors12, 3).parallel is None
    rel.omega(factors12, 3)
    assert calls == []
    e = rel.efa(factors12, n_iter=3)
    assert calls == [1] and e.parallel is not None and e.nfactors == e.parallel.nfactors
    o = rel.omega(factors12, None, n_iter=3)
    assert calls == [1, 1] and o.nfactors == 3 and o.parallel is not None


# -- omega(fm=, rotate=) --------------------------------------------------------------------------------
# R: y <- read.csv("factors12.csv")
#    o <- omega(y, 3, fm = "ml"); c(o$omega_h, o$omega.tot, o$omega.lim, o$ECV); o$schmid$sl[c(1, 5, 9), 1:4]
#    o2 <- omega(y, 3, rotate = "promax"); (same)
#    o3 <- omega(b, 2, fm = "ml", rotate = "promax"); c(o3$omega_h, o3$omega.tot, o3$omega.lim, o3$ECV)

def test_omega_ml_matches_psych(factors12):
    o = rel.omega(factors12, 3, fm="ml")
    close(o.summary[["omega_h", "omega_total", "omega_limit", "ecv"]],
          [0.538945251216067, 0.881325925213989, 0.611516393421888, 0.381757876959662])
    close(o.loadings.iloc[[0, 4, 8], :4].to_numpy(), [
        [0.388568613028114, -0.0108327398696863, 0.0618350289758045, 0.6392907835941266],
        [0.609702723584294, 0.4938150349649822, -0.0388505690581756, 0.0525178189289042],
        [0.374279420511884, 0.0187663234930140, 0.6564948949502541, 0.0127239528878572]])
    assert (o.fm, o.rotate) == ("ml", "oblimin")


def test_omega_promax_matches_psych(factors12, bfi_cn):
    o = rel.omega(factors12, 3, rotate="promax")
    close(o.summary[["omega_h", "omega_total", "omega_limit", "ecv"]],
          [0.589783207599853, 0.881311893192266, 0.669210539600862, 0.415663445145369])
    close(o.loadings.iloc[[0, 4, 8], :4].to_numpy(), [
        [0.397966591197242, -0.02122691570422231, 0.0498828393930264, 0.63293429184680561],
        [0.628738039125074, 0.46675463510585841, -0.0676780306991245, 0.03683507374131754],
        [0.402936459496076, -0.00146171333874622, 0.6421681718312987, -0.00144532265845137]])
    o3 = rel.omega(bfi_cn.iloc[:, :10], 2, fm="ml", rotate="promax")
    close(o3.summary[["omega_h", "omega_total", "omega_limit", "ecv"]],
          [0.359804173422635, 0.822631006767560, 0.437382216890228, 0.277985111068872])


@pytest.mark.parametrize("call, match", [
    (lambda d: rel.efa(d, 2, method="pa"), "method='pa'"),
    (lambda d: rel.omega(d, 3, fm="pa"), "fm='pa'"),
    (lambda d: rel.omega(d, 3, rotate="varimax"), "rotate='varimax'"),
])
def test_bad_extraction_options(factors12, call, match):
    with pytest.raises(ParameterError, match=match):
        call(factors12)


# -- multilevel reliability -------------------------------------------------------------------------
# R: d <- read.csv("waves.csv")
#    r <- multilevel.reliability(d, grp = "id", Time = "wave", items = paste0("Q", 1:5))
#    unlist(r[c("RkF", "R1R", "RkR", "Rc", "RkRn", "Rcn")]); r$components
#    lme4::lmer(values ~ 1 + (1 | id) + (1 | id:time), data = r$long)  (REML, the nested components)

WAVE_ITEMS = ["Q1", "Q2", "Q3", "Q4", "Q5"]


@pytest.fixture(scope="module")
def waves() -> pd.DataFrame:
    return pd.read_csv(FIX / "waves.csv")


def test_multilevel_matches_psych(waves):
    with pytest.warns(UserWarning, match="ID x items, time x items is negative"):
        r = rel.multilevel(waves, id="id", time="wave", items=WAVE_ITEMS)
    s = r.summary
    # closed forms of the ANOVA: 1e-6
    close(s[["RkF", "R1R", "RkR", "Rc"]], [0.941254756805090, 0.546704396438677, 0.828304481264018,
                                         0.659661985405479], 1e-6)
    close(r.components["variance"], [0.4264209401709379, 0.0404594017094012, 0.0563995726495726, 0.2047489316239310,
                                     -0.0163995726495724, -0.0050534188034190, 0.5281784188034181,
                                     1.2347542735042694], 1e-6)
    close(r.components["percent"].iloc[0], 0.3453488271482087, 1e-6)
    # nested REML: lme4 to 1e-6; psych's nlme::lme stops a little earlier (1e-5)
    close(r.nested_components["variance"].iloc[:3], [0.413278896511655, 0.237208297384596, 0.563125007534240], 1e-6)
    close(s[["RkRn", "Rcn"]], [0.825340232567555, 0.678060161603125], 1e-5)
    assert (r.n_obs, r.n_time, r.n_items, r.n_dropped) == (40, 4, 5, 0)
    assert r.to_frame().loc[0, "RkF"] == s["RkF"]


def test_multilevel_nested_components_on_the_boundary():
    # R: psych's withinBetween (id = Group, time = row within group), items V1-V3:
    #    multilevel.reliability(wb, grp = "id", Time = "time", items = c("V1", "V2", "V3"))$components
    #    lme4::lmer(values ~ 1 + (1 | id) + (1 | id:time), data = r$long): id:time 0 (singular fit),
    #    id 1.55303036484663, residual 1.36363636020389; psych's RkRn 0.931818183108029
    wb = pd.read_csv(FIX / "within_between.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        r = rel.multilevel(wb, id="id", time="time", items=["V1", "V2", "V3"])
    close(r.components["variance"].iloc[[0, 1, 2, 5, 7]], [1.66666666666667, -0.555555555555555, -0.555555555555555,
                                                          2.22222222222222, 2.77777777777778], 1e-6)
    close(r.nested_components["variance"].iloc[:3], [1.55303036484663, 0.0, 1.36363636020389], 1e-6)
    close(r.summary[["RkF", "R1R", "RkR", "RkRn"]], [1.0, 1.5, 1.09090909090909, 0.931818183108029], 1e-6)


def test_multilevel_drops_incomplete_persons_and_says_so(waves):
    d = waves.copy().astype({"Q1": float})
    d.loc[d.index[0], "Q1"] = np.nan  # person 1 misses one answer
    d = d.drop(d.index[(d.id == 2) & (d.wave == 3)])  # person 2 misses a wave
    with pytest.warns(UserWarning, match="2 person"):
        r = rel.multilevel(d, id="id", time="wave", items=WAVE_ITEMS)
    assert r.n_obs == 38 and r.n_dropped == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = rel.multilevel(waves[~waves.id.isin([1, 2])], id="id", time="wave", items=WAVE_ITEMS)
    pd.testing.assert_series_equal(r.summary, ref.summary)



def test_multilevel_does_not_depend_on_row_order_or_id_type(waves):
    # persons and times are placed by their sorted codes: shuffled rows and string ids give the
    # same cube, hence the same numbers (the error names the first repeated row as read)
    from survey.errors import DataError
    from survey.reliability.multilevel import _cube
    shuffled = waves.sample(frac=1.0, random_state=7).assign(id=lambda d: "p" + d["id"].astype(str).str.zfill(2))
    a, b = _cube(waves, "id", "wave", WAVE_ITEMS), _cube(shuffled, "id", "wave", WAVE_ITEMS)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[2] == b[2] and a[3] == b[3] == 0 and b[1] == sorted(b[1])
    with pytest.raises(DataError, match=r"person 'p03' has more than one row at wave = \S*2"):
        _cube(pd.concat([shuffled, shuffled[(shuffled.id == "p03") & (shuffled.wave == 2)]]), "id", "wave", WAVE_ITEMS)

def test_multilevel_bad_data(waves):
    from survey.errors import DataError
    with pytest.raises(DataError, match="more than one row"):
        rel.multilevel(pd.concat([waves, waves.iloc[:1]]), id="id", time="wave", items=WAVE_ITEMS)
    with pytest.raises(DataError, match="nope"):
        rel.multilevel(waves, id="id", time="nope", items=WAVE_ITEMS)
