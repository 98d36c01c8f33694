"""Reliability statistics held to R's psych 2.2.9 (and GPArotation / lavaan where stated).

Reference numbers were produced by the R calls quoted next to them, run on the files in
tests/fixtures/reliability/ (scale6.csv: 240 rows x 6 items, 1-5, about 3% missing, A4
reverse-keyed; factors12.csv: 300 rows x 12 items, complete, three correlated factors). R is not
called at test time.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.errors import DataError, ParameterError
from survey.reliability import alpha, alpha_for, pairwise_cov

FIX = Path(__file__).parent / "fixtures" / "reliability"
TOL = 1e-6  # alpha, item statistics, Feldt and Duhachek agree with psych to 1e-6


@pytest.fixture(scope="module")
def scale6() -> pd.DataFrame:
    return pd.read_csv(FIX / "scale6.csv").astype("Int64")


@pytest.fixture(scope="module")
def factors12() -> pd.DataFrame:
    return pd.read_csv(FIX / "factors12.csv").astype("Int64")


def close(actual, expected, tol=TOL):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=0, atol=tol)


# -- alpha: pairwise, with a reverse key ------------------------------------------------------------
# R: x <- read.csv("scale6.csv"); a <- alpha(x, keys = c("A4"))
#    a$total; a$alpha.drop; a$item.stats; a$feldt; a$response.freq

def test_alpha_summary_matches_psych_pairwise_with_keys(scale6):
    s = alpha(scale6, keys=["A4"]).summary
    close([s.raw_alpha, s.std_alpha, s.g6, s.average_r, s.s_n, s.ase, s["mean"], s.sd, s.median_r],
          [0.772413612175156, 0.772435794276189, 0.747502446031059, 0.361319204898621,
           3.39436420512316, 0.0227282272360887, 3.31291666666667, 0.725453616567451,
           0.335187669900623])
    # alpha.ci(): Feldt interval with n = 240 rows, 6 items
    close([s.ci_low, s.ci_high], [0.724723949318775, 0.814284037821276])
    assert s.ci_method == "feldt" and s.n_obs == 240 and s.n_items == 6


def test_alpha_items_match_psych_pairwise_with_keys(scale6):
    it = alpha(scale6, keys=["A4"]).items
    assert list(it.index) == ["A1", "A2", "A3", "A4", "A5", "A6"]
    assert list(it["reversed"]) == [False, False, False, True, False, False]
    close(it["n"], [231, 235, 233, 233, 235, 232])
    close(it["raw_r"], [0.717862350232415, 0.640198291600091, 0.752693081143272, 0.607960611745803,
                        0.650324647868698, 0.718634002400499])
    close(it["std_r"], [0.720057467955350, 0.643741653060795, 0.759363712411702, 0.615950060157448,
                        0.644407932770458, 0.720084435722781])
    close(it["r_cor"], [0.650319404576718, 0.524180487033516, 0.706483897313862, 0.485613245862294,
                        0.529063157671808, 0.652244028342844])
    close(it["r_drop"], [0.566131675341881, 0.462749044510563, 0.621599862680612, 0.426732681098641,
                         0.463966017138419, 0.566812413923313])
    close(it["mean"], [3.49350649350649, 3.23829787234043, 3.47210300429185, 3.00429184549356,
                       3.27659574468085, 3.39655172413793])
    close(it["sd"], [1.09095143904252, 1.07944137014321, 1.04648152183939, 1.04838896965795,
                     1.08411466221822, 1.09607177652943])
    close(it["raw_alpha_drop"], [0.725846332318129, 0.752411476369685, 0.712211042518127,
                                 0.760711893188430, 0.752172788948870, 0.725617272450739])
    close(it["std_alpha_drop"], [0.726106821317015, 0.752240034414340, 0.711546600061345,
                                 0.761120802268773, 0.752023163530290, 0.726097101589378])
    close(it["g6_drop"], [0.687066256594518, 0.719105291397555, 0.673596444242860,
                          0.725934502380301, 0.717318665507402, 0.685949381850322])
    close(it["average_r_drop"], [0.346495645897879, 0.377812643855990, 0.330365914739516,
                                 0.389217216543962, 0.377539228963731, 0.346484579390646])
    close(it["s_n_drop"], [2.65105843383359, 3.03616459033718, 2.46676447638568, 3.18621633653150,
                           3.03263471796951, 2.65092887224891])
    close(it["ase_drop"], [0.0279746989854760, 0.0252349447688560, 0.0293457054849545,
                           0.0244329687759477, 0.0252815740904011, 0.0280079597392128])
    close(it["var_r_drop"], [0.00513743015595889, 0.00806309867974749, 0.00507889775801222,
                             0.00601870524659831, 0.00659650252046804, 0.00428260845334871])
    close(it["median_r_drop"], [0.346691826992447, 0.369389698174096, 0.323075306361614,
                                0.379578941217241, 0.348007836994040, 0.333595633825351])
    # response.freq "miss": share of the 240 rows without an answer
    close(it["missing"], [0.0375, 0.0208333333333334, 0.0291666666666667, 0.0291666666666667,
                          0.0208333333333334, 0.0333333333333333])


def test_alpha_duhachek_interval_is_psych_print(scale6):
    # print(a): Duhachek row = raw_alpha -/+ 1.96 * ase
    s = alpha(scale6, keys=["A4"], ci="duhachek").summary
    close([s.ci_low, s.ci_high], [0.772413612175156 - 1.96 * 0.0227282272360887,
                                  0.772413612175156 + 1.96 * 0.0227282272360887])


# R: a2 <- alpha(x, keys = c("A4"), use = "complete")
def test_alpha_complete_cases_matches_psych(scale6):
    res = alpha(scale6, keys=["A4"], use="complete")
    s, it = res.summary, res.items
    close([s.raw_alpha, s.std_alpha, s.g6, s.average_r, s.s_n, s.ase, s["mean"], s.sd, s.median_r],
          [0.792914552713705, 0.792752661516015, 0.769225297445326, 0.38932245178918,
           3.82515243532198, 0.0206782404900977, 3.31291666666667, 0.725453616567451,
           0.37448953406221])
    close([s.ci_low, s.ci_high], [0.749520766038085, 0.831013298011546])
    close(it["raw_r"], [0.739668272839300, 0.666003423075940, 0.755253829588707, 0.623260397037046,
                        0.673686825763200, 0.746627161653027])
    close(it["r_drop"], [0.596191368199850, 0.493502708881928, 0.624082725242639, 0.447501943746309,
                         0.511439912218463, 0.601226608587411])
    close(it["raw_alpha_drop"], [0.748895818169788, 0.773657814359099, 0.742768675244100,
                                 0.783395095881416, 0.769078754029007, 0.747398086843359])
    close(it["g6_drop"], [0.713364915282054, 0.740029544187957, 0.707281411170063,
                          0.749006170290726, 0.735188983975283, 0.710369359928289])


# R: y <- read.csv("factors12.csv"); a3 <- alpha(y[, 1:5])
def test_alpha_complete_data_no_keys(factors12):
    res = alpha(factors12[["V1", "V2", "V3", "V4", "V5"]])
    s, it = res.summary, res.items
    close([s.raw_alpha, s.std_alpha, s.g6, s.average_r, s.s_n, s.ase, s["mean"], s.sd, s.median_r],
          [0.764712874975796, 0.764756615596274, 0.737142583156934, 0.3940067191931,
           3.25091656683443, 0.0214411840994146, 3.026, 0.738789573183607, 0.437420699628281])
    close([s.ci_low, s.ci_high], [0.719828932958946, 0.804330957965771])
    close(it["r_drop"], [0.623237669483963, 0.519483754972651, 0.588850137311682, 0.614597802378072,
                         0.338683818240510])
    close(it["raw_r"], [0.778869198817700, 0.708838253268643, 0.752901506625697, 0.774704238904051,
                        0.573539675779507])
    close(it["raw_alpha_drop"], [0.689944901656676, 0.727119263855169, 0.702962375157516,
                                 0.692799088569481, 0.787031927246807])
    assert not it["reversed"].any() and (it["missing"] == 0).all()


# R: alpha(x[, 1:4], keys = c("A4"))  -> raw_alpha 0.697930782814772, r.drop below
def test_alpha_for_takes_keys_from_instrument(scale6):
    df = scale6[["A1", "A2", "A3", "A4"]].rename(columns={"A1": "REL1", "A2": "REL2", "A3": "REL3", "A4": "REL4"})
    df["comment"] = "x"  # other columns are ignored
    res = alpha_for(df, "training_reaction", "relevance")
    assert res.keys == ("REL4",)
    close(res.summary.raw_alpha, 0.697930782814772)
    close(res.summary.std_alpha, 0.698170943860571)
    close(res.summary["mean"], 3.303125)
    close(res.items["r_drop"], [0.504476235545248, 0.444165796627475, 0.547184716132245, 0.435455068721243])


def test_negative_item_without_keys_warns_with_its_name(scale6):
    with pytest.warns(UserWarning, match=r"A4") as rec:
        alpha(scale6)
    assert "A1" not in str(rec[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alpha(scale6, keys=["A4"])  # keyed: no warning


# -- bootstrap ------------------------------------------------------------------------------------

def _naive_boot(x: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Resample rows literally and compute alpha from pandas' pairwise covariance (same draws)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    out = []
    for i in range(n_boot):
        c = pd.DataFrame(x[idx[i]]).cov().to_numpy()
        k = c.shape[0]
        out.append((1 - np.trace(c) / c.sum()) * k / (k - 1))
    return np.array(out)


def test_bootstrap_equals_literal_resampling_complete_data(factors12):
    res = alpha(factors12.iloc[:, :5], ci="bootstrap", n_boot=200, seed=7)
    x = factors12.iloc[:, :5].to_numpy(dtype=float)
    ref = _naive_boot(x, 200, 7)
    close(res.boot, ref, 1e-10)
    close([res.summary.ci_low, res.summary.ci_high], np.quantile(ref, [0.025, 0.975]), 1e-12)
    # same seed, same interval; the interval is near Feldt's for this well-behaved scale
    again = alpha(factors12.iloc[:, :5], ci="bootstrap", n_boot=200, seed=7)
    assert again.summary.ci_low == res.summary.ci_low
    assert abs(res.summary.ci_low - 0.7198) < 0.03 and abs(res.summary.ci_high - 0.8043) < 0.03


def test_bootstrap_with_missing_and_keys_equals_literal_resampling(scale6):
    res = alpha(scale6, keys=["A4"], ci="bootstrap", n_boot=50, seed=3)
    x = scale6.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    x[:, 3] = 6 - x[:, 3]
    close(res.boot, _naive_boot(x, 50, 3), 1e-10)
    assert res.summary.ci_low < res.summary.raw_alpha < res.summary.ci_high


def test_pairwise_cov_equals_pandas(scale6):
    x = scale6.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    close(pairwise_cov(x), pd.DataFrame(x).cov().to_numpy(), 1e-12)


# -- errors -----------------------------------------------------------------------------------------

def test_constant_item_is_a_data_error(scale6):
    df = scale6.copy()
    df["A2"] = 3
    with pytest.raises(DataError, match=r"A2.*no variance"):
        alpha(df)


def test_too_few_items_or_rows(scale6):
    with pytest.raises(DataError, match="at least 2 items"):
        alpha(scale6[["A1"]])
    with pytest.raises(DataError, match="at least 3 rows"):
        alpha(scale6.iloc[:2])


def test_unknown_key_and_text_column(scale6):
    with pytest.raises(DataError, match="B9"):
        alpha(scale6, keys=["B9"])
    df = scale6.copy()
    df["comment"] = "bagus"
    with pytest.raises(DataError, match="comment"):
        alpha(df)


def test_items_never_answered_together():
    df = pd.DataFrame({"a": [1, 2, 3, 4, None, None, None], "b": [None, None, None, None, 1, 2, 4],
                       "c": [1, 3, 2, 4, 2, 3, 1]}, dtype="Int64")
    with pytest.raises(DataError, match="a and b"):
        alpha(df)


def test_to_dict_is_json_ready(scale6):
    import json
    d = alpha(scale6, keys=["A4"], ci="bootstrap", n_boot=20, seed=1).to_dict()
    text = json.dumps(d)
    assert "boot" not in d and "raw_alpha" in text


def test_alpha_band_edges():
    from survey.reliability import alpha_band
    assert [alpha_band(v) for v in (0.95, 0.9, 0.8999, 0.8, 0.75, 0.6, 0.55, 0.3)] == [
        "excellent", "excellent", "good", "good", "acceptable", "questionable", "poor", "unacceptable"]
    with pytest.raises(DataError):
        alpha_band(float("nan"))


def test_flag_items_on_psych_numbers(factors12):
    from survey.reliability import flag_items
    # psych: V5 has r.drop 0.3387 (>= .30) and raw_alpha 0.7870 when dropped > 0.7647
    f = flag_items(alpha(factors12.iloc[:, :5]))
    assert list(f.index[f.alpha_rises]) == ["V5"]
    assert not f.low_r_drop.any()
    f = flag_items(alpha(factors12.iloc[:, :5]), min_r_drop=0.34)
    assert list(f.index[f.low_r_drop]) == ["V5"] and list(f.index[f.flagged]) == ["V5"]


# -- KMO and Bartlett -------------------------------------------------------------------------------
# R: k <- KMO(y); k$MSA; k$MSAi; cortest.bartlett(cor(y), n = nrow(y))
#    KMO(x); cortest.bartlett(x)     (x = scale6.csv, pairwise correlations, n = 240 rows)

def test_kmo_matches_psych(factors12, scale6):
    from survey.reliability import kmo
    k = kmo(factors12)
    close(k.kmo, 0.841099510276558)
    close(k.msa, [0.827337672888461, 0.853558138730552, 0.791387988002004, 0.868262087715610,
                  0.839984609133600, 0.854681344240890, 0.830896661652057, 0.882659981444149,
                  0.819652803004039, 0.800551875799231, 0.835422372141140, 0.875808163243761])
    k2 = kmo(scale6)
    close(k2.kmo, 0.830403899561644)
    close(k2.msa, [0.810450610820915, 0.872314881370274, 0.820648110003909, 0.853460365710315,
                   0.849849204163087, 0.808941560081635])


def test_bartlett_matches_psych(factors12, scale6):
    from survey.reliability import bartlett
    b = bartlett(factors12)
    close(b.chisq, 1218.48021012270, 1e-6)
    assert b.df == 66 and b.n_obs == 300
    assert b.pvalue == pytest.approx(1.33916596264639e-211, rel=1e-6)
    b2 = bartlett(scale6)
    close(b2.chisq, 314.795978262266, 1e-6)
    assert b2.df == 15 and b2.pvalue == pytest.approx(4.67172383098291e-58, rel=1e-6)


# -- EFA --------------------------------------------------------------------------------------------
# R: f <- fa(y, 3, fm = "minres", rotate = ROT); f$loadings; f$communality; f$Phi; f$Vaccounted
EFA_TOL = 1e-4

R_OBLIMIN = [
    [-0.0183544027953862, 0.06833861132811933, 0.7381397589887118],
    [-0.0204586407952255, 0.04828951909639637, 0.6174688801896955],
    [-0.0515536865805002, -0.06298972958997665, 0.7668198697745411],
    [0.2204986931204344, 0.00309665334350595, 0.5970951058774460],
    [0.7772349051489265, -0.04313691889343779, 0.0581570342250566],
    [0.7354470546942777, -0.04260248512958648, 0.0127016671303486],
    [0.7918452439561574, 0.01652734176570758, -0.0271425734783128],
    [0.5395275901927963, 0.30494575566810922, -0.0234425557612906],
    [0.0232970736179543, 0.74587134201880401, 0.0142619872893598],
    [-0.0510108500911660, 0.73932266843016170, -0.0423639121268585],
    [-0.0322655652607330, 0.65496050272403172, 0.0643165789675717],
    [0.0976099867233755, 0.58569521925050871, 0.0394022979212394]]
R_COMMUNALITY = [0.561922126004887, 0.387392779297889, 0.543904072552412, 0.508432379429145,
                 0.619108539598944, 0.527357170616498, 0.620571003421202, 0.489571114918054,
                 0.574741975760095, 0.511044110085571, 0.436966693645382, 0.408848761987106]


def test_efa_oblimin_matches_psych(factors12):
    from survey.reliability import efa
    e = efa(factors12, 3, rotation="oblimin", n_iter=2, seed=1)
    close(e.loadings.to_numpy(), R_OBLIMIN, EFA_TOL)
    close(e.communalities["h2"], R_COMMUNALITY, EFA_TOL)
    close(e.phi.to_numpy(), [[1, 0.358773248222299, 0.387102848104354],
                             [0.358773248222299, 1, 0.232476470255832],
                             [0.387102848104354, 0.232476470255832, 1]], EFA_TOL)
    close(e.variance.loc["SS loadings"], [2.210599776126285, 2.045280105005833, 1.933980846185064], EFA_TOL)
    close(e.variance.loc["Cumulative Var"], [0.184216648010524, 0.354656656761010, 0.515821727276432], EFA_TOL)
    assert list(e.loadings.columns) == ["MR1", "MR2", "MR3"]


def test_efa_varimax_promax_none_match_psych(factors12):
    from survey.reliability import efa
    v = efa(factors12, 3, rotation="varimax", n_iter=2, seed=1)
    close(v.loadings.iloc[[0, 4, 7, 8]].to_numpy(), [
        [0.1286874292352256, 0.1432192837399704, 0.7244652568113431],
        [0.7524657063607835, 0.1044751476923108, 0.2049117953280893],
        [0.5670247793411198, 0.3941177240054142, 0.1128061796002345],
        [0.1505663912808763, 0.7373182729853839, 0.0918340998681804]], EFA_TOL)
    assert v.phi is None
    close(v.variance.loc["SS loadings"], [2.174796470222696, 2.062966194800645, 1.952098062293840], EFA_TOL)
    p = efa(factors12, 3, rotation="promax", n_iter=2, seed=1)
    close(p.loadings.iloc[[0, 4, 7, 8]].to_numpy(), [
        [-0.03632653573363356, 0.0590220257949426, 0.74656190810554046],
        [0.79898235528744876, -0.0800371948899543, 0.04343021301369451],
        [0.54417914330993833, 0.2871038349159115, -0.04152034399619446],
        [-0.00251608529877903, 0.7596879928828791, -0.00171706133188681]], EFA_TOL)
    close(p.phi.to_numpy()[0, 1:], [0.433618235216077, 0.430428437802264], EFA_TOL)
    n = efa(factors12, 3, rotation="none", n_iter=2, seed=1)
    close(n.loadings.iloc[[0, 4, 8]].to_numpy(), [
        [0.542957737634919, -0.3859356740961366, 0.343762529382156],
        [0.652593756598755, -0.1301956059416880, -0.419855966541796],
        [0.552735525078731, 0.4724621686493254, 0.214487562043143]], EFA_TOL)


def test_efa_one_factor_matches_psych(factors12):
    from survey.reliability import efa
    # R: fa(y[, 1:4], 1)$loadings
    e = efa(factors12.iloc[:, :4], 1, n_iter=2, seed=1)
    close(e.loadings["MR1"], [0.750879837811967, 0.623923061548063, 0.722116599082329, 0.678013239448020], EFA_TOL)


def test_parallel_analysis_observed_values_and_suggestion(factors12):
    from survey.reliability import parallel_analysis
    # R: fa(y, 1, rotate = "none")$values (what fa.parallel compares) and eigen(cor(y))$values
    p = parallel_analysis(factors12, n_iter=10, seed=5)
    close(p.eigen["fa_observed"].iloc[:4], [3.4382716110624050, 1.1673208768110421, 0.8650967365884826,
                                            -0.0395910561801779], EFA_TOL)
    close(p.eigen["pc_observed"].iloc[:3], [4.126821527394002, 1.930713700117542, 1.558782770855876], 1e-10)
    # psych::fa.parallel(y) says "the number of factors = 3 and the number of components = 3"
    assert p.nfactors == 3 and p.ncomponents == 3
    # simulated eigenvalues of pure noise hover around their expectation: first PC of 12
    # uncorrelated normals with n = 300 is about 1 + 2 sqrt(12/300) (Marchenko-Pastur edge 1.44)
    assert 1.2 < p.eigen["pc_simulated"].iloc[0] < 1.5


# -- omega and split-half -----------------------------------------------------------------------------
# R: om <- omega(y, 3); om$omega_h; om$omega.tot; om$omega.lim; om$alpha; om$ECV; om$G6;
#    om$schmid$sl; om$omega.group

def test_omega_matches_psych(factors12):
    from survey.reliability import omega
    o = omega(factors12, 3)
    s = o.summary
    close([s.omega_h, s.omega_total, s.omega_limit, s.std_alpha, s.ecv, s.g6],
          [0.539478980467973, 0.881311893192266, 0.612131737509959, 0.823491195490084,
           0.382296898789775, 0.856395793218037], EFA_TOL)
    close(o.loadings.loc[["V1", "V5", "V8", "V12"], ["g", "F1*", "F2*", "F3*", "h2", "p2"]].to_numpy(), [
        [0.387218076979570, -0.0116440375315538, 0.06053312838294043, 0.6388932102017510, 0.561922126004887, 0.266830281636663],
        [0.609842231487405, 0.4931605129514237, -0.03820735361098578, 0.0503383385436381, 0.619108539598944, 0.600714613864732],
        [0.546819872326526, 0.3423328640750583, 0.27010299803092314, -0.0202908613131666, 0.489571114918054, 0.610763101947401],
        [0.367047121709360, 0.0619330867746699, 0.51877404191805510, 0.0341031309424640, 0.408848761987105, 0.329519377532994]],
        EFA_TOL)
    close(o.groups.to_numpy(), [
        [0.881311893192266, 0.539478980467973, 0.298786227928333],
        [0.827939946246512, 0.515473846631789, 0.312466099614723],
        [0.785643137778506, 0.183375417069190, 0.602267720709317],
        [0.794329977677354, 0.226999080560629, 0.567330897116725]], EFA_TOL)


def test_omega_total_matches_lavaan_one_factor_cfa(factors12):
    from survey.reliability import omega_total
    # R: fit <- lavaan::cfa("f =~ V1 + V2 + V3 + V4", data = y, std.lv = TRUE)
    #    l <- loadings, th <- residual variances; sum(l)^2 / (sum(l)^2 + sum(th)) = 0.788041626783371
    #    parameterEstimates: loadings 0.774 0.643 0.731 0.702 (lavaan: covariances with divisor N)
    o = omega_total(factors12.iloc[:, :4])
    close(o.omega_total, 0.788041626783371, 1e-6)
    n = 300
    close(o.loadings * np.sqrt((n - 1) / n), [0.774, 0.643, 0.731, 0.702], 6e-4)



def test_factor_fits_hold_blas_to_one_thread_and_restore_it(factors12):
    # L-BFGS-B runs with BLAS at one thread (its threads only wait on matrices this small); the
    # caller's thread settings are back afterwards and the fit is the one the default gives
    from threadpoolctl import threadpool_info
    from survey.reliability import omega_total
    from survey.reliability._optim import lbfgsb
    before = [(i["filepath"], i["num_threads"]) for i in threadpool_info()]
    seen = []
    lbfgsb(lambda x: seen.append([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"])
           or float(((x - 2) ** 2).sum()), np.zeros(2), lambda x: 2 * (x - 2), [(0.0, 3.0)] * 2, {})
    assert seen and all(seen) and all(n == 1 for ns in seen for n in ns)
    assert [(i["filepath"], i["num_threads"]) for i in threadpool_info()] == before
    close(omega_total(factors12.iloc[:, :4]).omega_total, 0.788041626783371, 1e-6)

def test_split_half_matches_psych(factors12, scale6):
    from survey.reliability import split_half
    # R: s <- splitHalf(y[, 1:6]); c(s$maxrb, s$minrb, s$meanr, s$alpha, s$lambda2, s$lambda6, s$av.r)
    s = split_half(factors12.iloc[:, :6])
    close([s.lambda4, s.beta, s.mean_split, s.std_alpha, s.lambda2, s.lambda6, s.average_r],
          [0.835721593339289, 0.635879877880470, 0.771663050515190, 0.771663050515190,
           0.780910665259694, 0.775425952938297, 0.360306553727537])
    assert s.n_splits == 10
    # odd number of items: psych visits half of the 10 splits of 5 items into 2 + 3
    s = split_half(factors12.iloc[:, :5])
    close([s.lambda4, s.beta, s.mean_split, s.std_alpha, s.lambda2, s.lambda6],
          [0.799035397807621, 0.714092789284085, 0.748540934182534, 0.764756615596274,
           0.771255222942003, 0.737142583156934])
    # R: splitHalf(x) reverses A4 itself (check.keys = TRUE) and warns
    with pytest.warns(UserWarning, match="A4"):
        s = split_half(scale6)
    close([s.lambda4, s.beta, s.mean_split, s.std_alpha, s.lambda2, s.lambda6],
          [0.806569142386716, 0.738797245168702, 0.772435794276189, 0.772435794276189,
           0.775229949383214, 0.747502446031059])
    assert s.keys == ("A4",)


# -- polychoric and ordinal alpha ---------------------------------------------------------------------
# R: p <- polychoric(x); p$rho; alpha(p$rho, keys = c("A4"))$total
# psych maximises each correlation with optimize() (tolerance ~1e-4), so 1e-4 is the agreement.

R_POLY = [
    [1, 0.355785522698170, 0.523477776479644, -0.371318965662199, 0.334831395231021, 0.548988555071241],
    [0.355785522698170, 1, 0.405741562525600, -0.336664665518526, 0.308835995773599, 0.366722457368021],
    [0.523477776479644, 0.405741562525600, 1, -0.392524196522464, 0.480834539011101, 0.521428327252195],
    [-0.371318965662199, -0.336664665518526, -0.392524196522464, 1, -0.284033542126662, -0.283160584655708],
    [0.334831395231021, 0.308835995773599, 0.480834539011101, -0.284033542126662, 1, 0.412684198093212],
    [0.548988555071241, 0.366722457368021, 0.521428327252195, -0.283160584655708, 0.412684198093212, 1]]


def test_polychoric_matches_psych(scale6):
    from survey.reliability import polychoric
    close(polychoric(scale6).to_numpy(), R_POLY, 1e-4)


def test_ordinal_alpha_matches_psych(scale6):
    s = alpha(scale6, keys=["A4"], cor="polychoric").summary
    close([s.raw_alpha, s.std_alpha, s.g6, s.average_r, s.s_n],
          [0.796730482709623, 0.796730482709623, 0.77633940770647, 0.395135485599291, 3.91957679306863], 1e-4)
    assert s.raw_alpha > alpha(scale6, keys=["A4"]).summary.raw_alpha  # ordinal alpha exceeds Pearson here
    with pytest.raises(ParameterError, match="bootstrap"):
        alpha(scale6, cor="polychoric", ci="bootstrap")



def test_ordinal_alpha_reads_the_polychoric_matrix_of_the_rows_it_uses(scale6):
    # pairwise: every row (the matrix alpha already read); complete: the rows answering every item
    from survey.reliability import polychoric
    k = scale6.shape[1]
    sign = np.where(scale6.columns == "A4", -1.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for use, rows in (("pairwise", scale6), ("complete", scale6.dropna())):
            r = polychoric(rows).to_numpy() * np.outer(sign, sign)
            res = alpha(scale6, keys=["A4"], cor="polychoric", use=use)
            close(res.raw_alpha, k / (k - 1) * (1 - k / r.sum()), 1e-12)

def test_ordinal_alpha_item_statistics_describe_the_answers_with_complete_data(factors12):
    # the scale statistics come from the polychoric matrix, but raw_r, mean and sd describe the raw
    # answers, as with missing data; R: alpha(y[, 1:5]) gives raw.r, and sd is each item's SD
    y = factors12.iloc[:, :5]
    it = alpha(y, cor="polychoric").items
    close(it["raw_r"], [0.778869198817700, 0.708838253268643, 0.752901506625697, 0.774704238904051,
                        0.573539675779507])
    close(it["sd"], y.astype(float).std().to_numpy(), 1e-12)
    close(it["mean"], y.astype(float).mean().to_numpy(), 1e-12)


def test_bivariate_normal_cdf_against_scipy():
    from scipy import stats as st
    from survey.reliability.polychoric import _bvn_cdf
    pts = [(0.3, 0.5, 0.6), (-1.2, 0.7, 0.6), (1.5, -0.4, -0.95), (-2.0, -1.5, 0.9), (0.0, 0.0, 0.0)]
    for h, k, rho in pts:
        ref = st.multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf([h, k])
        close(_bvn_cdf(np.array([h]), np.array([k]), rho)[0], ref, 1e-7)
    # closed form at the origin: 1/4 + asin(rho) / (2 pi)
    close(_bvn_cdf(np.array([0.0]), np.array([0.0]), 0.5)[0], 0.25 + np.arcsin(0.5) / (2 * np.pi), 1e-12)



def _grid_loglik(tab, tr, tc, rho):
    """The pair log-likelihood straight from _bvn_cdf on the whole corner grid (the definition)."""
    from survey.reliability.polychoric import _bvn_cdf
    hh, kk = np.meshgrid(np.r_[-40.0, np.clip(tr, -40, 40), 40.0], np.r_[-40.0, np.clip(tc, -40, 40), 40.0],
                         indexing="ij")
    f = _bvn_cdf(hh, kk, rho)
    p = f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]
    return float(np.sum(tab[p > 0] * np.log(p[p > 0])))


def _pair_tables():
    """Tables (shares) with thresholds: psych's global thresholds, a pair's own thresholds with
    the correction for empty cells, a strong negative association and a perfect one."""
    from scipy.special import ndtri
    rng = np.random.default_rng(11)
    out = []
    for rho, k, n in ((0.45, 5, 240), (-0.85, 4, 150), (0.3, 3, 60)):
        z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], n)
        cuts = np.linspace(-1.2, 1.2, k - 1)
        tab = np.zeros((k, k))
        np.add.at(tab, (np.digitize(z[:, 0], cuts), np.digitize(z[:, 1], cuts)), 1)
        tab = tab / n
        if (tab == 0).any():
            tab[tab == 0] = 0.5 / n
        out.append((tab, ndtri(np.cumsum(tab.sum(axis=1))[:-1]), ndtri(np.cumsum(tab.sum(axis=0))[:-1])))
    diag = np.diag([0.3, 0.5, 0.2])
    out.append((diag, ndtri(np.cumsum(diag.sum(axis=1))[:-1]), ndtri(np.cumsum(diag.sum(axis=0))[:-1])))
    return out


def test_polychoric_pair_derivatives_match_finite_differences():
    from survey.reliability.polychoric import _PairLikelihood
    for tab, tr, tc in _pair_tables()[:3]:
        like = _PairLikelihood(tab, tr, tc)
        for rho in (-0.7, -0.1, 0.4, 0.8):
            # five-point differences with a step large enough that the likelihood's rounding
            # (small cells are differences of numbers near 1) does not show
            e = 1e-3
            f = [_grid_loglik(tab, tr, tc, rho + d) for d in (-2 * e, -e, 0.0, e, 2 * e)]
            d1, d2 = like.derivatives(rho)
            close(like.loglik(rho), f[2], 1e-9)  # cells differenced in another order
            close(d1, (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * e), 1e-8 * max(1, abs(d1)))
            close(d2, (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * e**2), 1e-7 * max(1, abs(d2)))


def test_polychoric_newton_finds_the_maximum_the_bounded_search_finds():
    # the bounded Brent search (as psych's optimize) only locates the maximum to about 1e-8, so the
    # two agree to that; at the Newton estimate the score is 0 (one more step would move < 1e-12)
    from scipy.optimize import minimize_scalar
    from survey.reliability.polychoric import _PairLikelihood, _polyc
    for tab, tr, tc in _pair_tables():
        ref = minimize_scalar(lambda r: -_grid_loglik(tab, tr, tc, r), bounds=(-0.9999, 0.9999), method="bounded",
                              options={"xatol": 1e-10}).x
        rho = _polyc(tab, tr, tc)
        close(rho, ref, 1e-7)
        d1, d2 = _PairLikelihood(tab, tr, tc).derivatives(rho)
        # the perfect table's likelihood rises to the end of the interval
        assert abs(d1 / d2) < 1e-12 or rho > 0.9999 - 1e-9
    # an item with one category among the rows answering both: the likelihood does not depend on
    # rho, and the bounded search's answer is kept
    tab = np.array([[0.2, 0.5, 0.3]])
    tc = np.array([-0.8, 0.5])
    ref = minimize_scalar(lambda r: -_grid_loglik(tab, np.array([]), tc, r), bounds=(-0.9999, 0.9999),
                          method="bounded", options={"xatol": 1e-10}).x
    assert _polyc(tab, np.array([]), tc) == ref

def test_pairwise_cor_equals_pandas(scale6):
    from survey.reliability import pairwise_cor
    x = scale6.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    close(pairwise_cor(x), pd.DataFrame(x).corr().to_numpy(), 1e-12)


def test_kmo_band_edges():
    from survey.reliability import kmo_band
    assert [kmo_band(v) for v in (0.95, 0.85, 0.8, 0.75, 0.65, 0.55, 0.45)] == [
        "marvelous", "meritorious", "meritorious", "middling", "mediocre", "miserable", "unacceptable"]


# -- CFA ------------------------------------------------------------------------------------------
# R (lavaan 0.6-14):
#   m <- "f1 =~ V1 + V2 + V3 + V4\n f2 =~ V5 + V6 + V7 + V8\n f3 =~ V9 + V10 + V11 + V12"
#   fit <- cfa(m, data = y); fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
#     "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "aic", "bic", "logl", "npar", "baseline.chisq"))
#   parameterEstimates(fit)$est; standardizedSolution(fit)$est.std
#   y$grp <- rep(c("A", "B"), each = 150)
#   cfa(m, data = y, group = "grp", group.equal = NULL | "loadings" | c("loadings", "intercepts"))

CFA_MODEL = """
f1 =~ V1 + V2 + V3 + V4   # first factor
f2 =~ V5 + V6 + V7 + V8
f3 =~ V9 + V10 + V11 + V12
"""


def test_cfa_fit_measures_match_lavaan(factors12):
    from survey.reliability import cfa
    r = cfa(factors12, CFA_MODEL)
    f = r.fit
    close([f.chisq, f.pvalue, f.cfi, f.tli, f.rmsea, f.rmsea_ci_low, f.rmsea_ci_high, f.srmr, f.aic, f.bic,
           f.logl, f.baseline_chisq],
          [95.819293569563, 0.000147392746, 0.961909173197, 0.950705988843, 0.054123614003, 0.037102479633,
           0.070660226303, 0.058217232913, 9142.918216200587, 9242.920343016305, -4544.459108100294,
           1242.642707207284], 1e-4)
    assert f.df == 51 and f.npar == 27 and f.baseline_df == 66 and r.n_obs == 300
    est = r.estimates.set_index(["lhs", "op", "rhs"])["est"]
    close([est[("f1", "=~", "V2")], est[("f2", "=~", "V7")], est[("f3", "=~", "V12")], est[("V1", "~~", "V1")],
           est[("f1", "~~", "f1")], est[("f1", "~~", "f2")], est[("f2", "~~", "f3")]],
          [0.833564771183, 1.018620565056, 0.745229626281, 0.470294717230, 0.588594263188, 0.279241218461,
           0.280777391173], 1e-4)
    close(r.std_loadings["std_all"], [0.745560340609, 0.619319072711, 0.700034779300, 0.708576751138,
                                      0.783176202677, 0.715204245212, 0.779579283656, 0.656803198856,
                                      0.779120467224, 0.669030474395, 0.671121694872, 0.636054396628], 1e-4)
    # composite reliability by hand from lavaan's standardized loadings of f1
    l = np.array([0.745560340609, 0.619319072711, 0.700034779300, 0.708576751138])
    close(r.reliability.loc["f1", "cr"], l.sum() ** 2 / (l.sum() ** 2 + np.sum(1 - l**2)), 1e-4)
    close(r.reliability.loc["f1", "ave"], np.mean(l**2), 1e-4)
    # omega of f1 by hand from lavaan's unstandardized estimates
    lam = np.array([1, 0.833564771183, 0.920022684832, 0.960666054029])
    th = np.array([0.470294717230, 0.657293546777, 0.518444858407, 0.538698548112])
    phi = 0.588594263188
    close(r.reliability.loc["f1", "omega"], lam.sum() ** 2 * phi / (lam.sum() ** 2 * phi + th.sum()), 1e-4)


def test_cfa_measurement_invariance_matches_lavaan(factors12):
    from survey.reliability import cfa
    y = factors12.copy()
    y["grp"] = ["A"] * 150 + ["B"] * 150
    inv = cfa(y, CFA_MODEL, group="grp").invariance
    close(inv["chisq"], [143.898377983478, 154.196596794018, 160.682282916863], 1e-4)
    assert list(inv["df"]) == [102, 111, 120]
    close(inv["cfi"], [0.964191704974, 0.963082187030, 0.965231036161], 1e-4)
    close(inv["tli"], [0.953659853496, 0.956097735928, 0.961754139777], 1e-4)
    close(inv["rmsea"], [0.052330259672, 0.050935156796, 0.047540791208], 1e-4)
    close(inv["srmr"], [0.062424103706, 0.068266909133, 0.068943184054], 1e-4)
    close(inv["aic"], [9205.223474716313, 9197.521693526853, 9186.007379649698], 1e-4)
    close(inv["bic"], [9494.118507739497, 9453.082684278130, 9408.234328129070], 1e-4)
    # difference tests by hand from lavaan's chi-squares: metric vs configural, scalar vs metric
    from scipy import stats as st
    close(inv.loc["metric", "delta_pvalue"], st.chi2.sf(154.196596794018 - 143.898377983478, 9), 1e-5)
    close(inv.loc["scalar", "delta_cfi"], 0.965231036161 - 0.963082187030, 1e-4)


def test_cfa_model_errors(factors12):
    from survey.reliability import cfa
    with pytest.raises(ParameterError, match="line 1"):
        cfa(factors12, "f1 = V1 + V2")
    with pytest.raises(DataError, match="X9"):
        cfa(factors12, "f1 =~ V1 + V2 + X9")
    with pytest.raises(ParameterError, match="at least 2"):
        cfa(factors12, "f1 =~ V1")
    with pytest.raises(DataError, match="group"):
        cfa(factors12, "f1 =~ V1 + V2 + V3", group="nope")


def test_cfa_keys_flip_reverse_items_only_in_sign(scale6):
    from survey.reliability import cfa
    plain = cfa(scale6, "f =~ A1 + A2 + A3 + A4 + A5 + A6")
    keyed = cfa(scale6, "f =~ A1 + A2 + A3 + A4 + A5 + A6", keys=["A4"])
    close(keyed.fit.chisq, plain.fit.chisq, 1e-6)
    a = plain.std_loadings.set_index("item")["std_all"]
    b = keyed.std_loadings.set_index("item")["std_all"]
    assert a["A4"] < 0 and b["A4"] > 0
    close(b["A4"], -a["A4"], 1e-6)
    assert keyed.reliability.loc["f", "omega"] > plain.reliability.loc["f", "omega"]
    # listwise: 240 rows minus those with any missing answer
    assert keyed.n_obs == int(scale6.notna().all(axis=1).sum())


def test_alpha_complete_data_with_keys_fast_path(factors12):
    # R: y$V2 <- 6 - y$V2; alpha(y[, 1:5], keys = c("V2"))  (complete data: the Gram-matrix path)
    y = factors12.iloc[:, :5].astype(float).copy()
    y["V2"] = 6 - y["V2"]
    res = alpha(y, keys=["V2"])
    s, it = res.summary, res.items
    close([s.raw_alpha, s.std_alpha, s.ase, s["mean"], s.sd],
          [0.764712874975796, 0.764756615596274, 0.0214411840994146, 3.026, 0.738789573183607])
    close(it["raw_r"], [0.778869198817700, 0.708838253268643, 0.752901506625697, 0.774704238904051,
                        0.573539675779507])
    close(it["mean"], [3.03333333333333, 2.98, 3.00333333333333, 3.09, 3.02333333333333])
    close(it["r_drop"], [0.623237669483963, 0.519483754972651, 0.588850137311682, 0.614597802378072,
                         0.338683818240510])


def test_alpha_is_shift_invariant_with_large_means(factors12):
    # the complete-data path centres explicitly when means dwarf variances
    y = factors12.iloc[:, :5].astype(float)
    a, b = alpha(y), alpha(y + 1e7)
    close(b.summary.raw_alpha, a.summary.raw_alpha, 1e-9)
    close(b.items["r_drop"], a.items["r_drop"], 1e-9)


# -- plots ------------------------------------------------------------------------------------------

def test_likert_bars_widths_are_answer_shares():
    from matplotlib.patches import Rectangle
    from survey.plots.reliability import likert_bars
    df = pd.DataFrame({"a": [1, 2, 2, 3, 4, 5, 5, 5, None, 4], "b": [3, 3, 3, 3, 1, 1, 5, 5, 2, 4]}, dtype="Int64")
    fig = likert_bars(df, options={1: "1", 2: "2", 3: "3", 4: "4", 5: "5"})
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_height() == 0.7]
    # bars come option by option, items top (a) to bottom (b) within each option
    widths = np.array([b.get_width() for b in bars]).reshape(5, 2)
    close(widths[:, 0], [100 / 9, 200 / 9, 100 / 9, 200 / 9, 300 / 9], 1e-9)  # a: 9 answered
    close(widths[:, 1], [20, 10, 40, 10, 20], 1e-9)
    # the middle option straddles zero: a's bar starts at -(1 + 2 + 1/2 of 3) shares
    first = bars[0]
    close(first.get_x(), -(100 / 9 + 200 / 9 + 50 / 9), 1e-9)
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_likert_legend_with_one_scale_per_item():
    # SKM: every unsur has its own words for 1-4 (U1 "Tidak sesuai", U2 "Tidak mudah"), so a shared
    # legend in words would mislabel U2; the legend shows the answer values instead.
    import matplotlib.pyplot as plt
    from survey import load_instrument
    from survey.plots.reliability import likert_bars
    inst = load_instrument("skm_2017")
    df = pd.DataFrame({"U1": [1, 2, 3, 4], "U2": [2, 2, 3, 4]}, dtype="Int64")
    fig = likert_bars(df, instrument=inst, lang="id")
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["1", "2", "3", "4"]
    assert "berbeda" in legend.get_title().get_text()
    plt.close(fig)
    inst = load_instrument("training_reaction")
    df = pd.DataFrame({"REL1": [1, 5], "REL2": [2, 4]}, dtype="Int64")
    fig = likert_bars(df, instrument=inst, lang="en")
    assert fig.axes[0].get_legend().get_texts()[0].get_text() == "Strongly disagree"
    plt.close(fig)


def test_plots_refuse_an_unknown_language():
    from survey import load_instrument
    from survey.errors import ParameterError
    from survey.plots.reliability import item_labels, likert_bars
    inst = load_instrument("training_reaction")
    df = pd.DataFrame({"REL1": [1, 5], "REL2": [2, 4]}, dtype="Int64")
    with pytest.raises(ParameterError, match="lang='fr'"):
        likert_bars(df, instrument=inst, lang="fr")
    with pytest.raises(ParameterError, match="lang='EN'"):
        item_labels(inst, ["REL1"], lang="EN")


def test_correlation_heatmap_shows_lower_triangle():
    import matplotlib.pyplot as plt
    from survey.plots.reliability import correlation_heatmap
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(1, 6, size=(50, 4)), columns=list("abcd"))
    fig = correlation_heatmap(df, groups={"a": 1, "b": 1, "c": 2, "d": 2})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == 6  # 4 items: 6 pairs below the diagonal
    r = df.corr()
    assert f"{r.loc['b', 'a']:.2f}" in texts and f"{r.loc['d', 'c']:.2f}" in texts
    plt.close(fig)


def test_cfa_stays_in_positive_definite_region():
    # reaction14.csv: 325 complete rows of the synthetic training_reaction demo data (14 items).
    # A first version let the optimiser reach an indefinite Sigma with positive determinant and
    # reported chisq = -857530. R: x$REL4 <- 6 - x$REL4; x$APP3 <- 6 - x$APP3;
    #   cfa("relevance =~ REL1+REL2+REL3+REL4; applicability =~ APP1+APP2+APP3+APP4;
    #        facilitator =~ FAC1+FAC2+FAC3; organisation =~ ORG1+ORG2+ORG3", data = x)
    from survey.reliability import cfa
    x = pd.read_csv(FIX / "reaction14.csv")
    model = ("relevance =~ REL1 + REL2 + REL3 + REL4; applicability =~ APP1 + APP2 + APP3 + APP4;"
             "facilitator =~ FAC1 + FAC2 + FAC3; organisation =~ ORG1 + ORG2 + ORG3")
    r = cfa(x, model, keys=["REL4", "APP3"])
    f = r.fit
    close([f.chisq, f.cfi, f.tli, f.rmsea, f.rmsea_ci_high, f.srmr, f.aic, f.bic],
          [66.142424723, 1.0, 1.003524696, 0.0, 0.027734975, 0.026661951, 8481.880676612, 8610.530732812], 1e-4)
    assert f.df == 71 and r.converged


def test_cfa_standard_errors_match_lavaan(factors12):
    # R: parameterEstimates(cfa(m, data = y))$se  (expected information, lavaan's default)
    from survey.reliability import cfa
    est = cfa(factors12, CFA_MODEL).estimates.set_index(["lhs", "op", "rhs"])
    close([est.loc[("f1", "=~", "V2"), "se"], est.loc[("f2", "=~", "V7"), "se"], est.loc[("f3", "=~", "V12"), "se"],
           est.loc[("V1", "~~", "V1"), "se"], est.loc[("f3", "~~", "f3"), "se"], est.loc[("f1", "~~", "f3"), "se"]],
          [0.0894801280, 0.0805151388, 0.0771501161, 0.0566120234, 0.0980804708, 0.0493618226], 1e-5)
    # two groups (configural, with means): R: parameterEstimates(cfa(m, data = y, group = "grp"))
    y = factors12.copy()
    y["grp"] = ["A"] * 150 + ["B"] * 150
    e = cfa(y, CFA_MODEL, group="grp").estimates.set_index(["lhs", "op", "rhs", "group"])
    close([e.loc[("f1", "=~", "V2", "A"), "est"], e.loc[("f1", "=~", "V2", "A"), "se"],
           e.loc[("f1", "~~", "f2", "B"), "est"], e.loc[("f1", "~~", "f2", "B"), "se"],
           e.loc[("V1", "~1", "", "B"), "est"], e.loc[("V1", "~1", "", "B"), "se"]],
          [0.8702367561, 0.1282552978, 0.2617970570, 0.0696988435, 3.0933333333, 0.0818381191], 1e-4)


def test_constant_item_in_complete_data_and_in_other_functions(factors12):
    from survey.reliability import bartlett, cfa, efa, kmo, omega, split_half
    y = factors12.iloc[:, :6].astype(float).copy()
    y["V3"] = 4.0
    with pytest.raises(DataError, match=r"V3.*no variance"):
        alpha(y)
    for fn in (kmo, bartlett, split_half, lambda d: efa(d, 2, n_iter=2), lambda d: omega(d, 2)):
        with pytest.raises(DataError, match="V3"):
            fn(y)
    with pytest.raises(DataError, match="V3"):
        cfa(y, "f =~ V1 + V2 + V3 + V4")


def test_fit_meets_cutoffs_edges():
    from survey.reliability import fit_meets_cutoffs
    ok = fit_meets_cutoffs(pd.Series({"cfi": 0.95, "tli": 0.949, "rmsea": 0.06, "srmr": 0.081}))
    assert ok == {"cfi": True, "tli": False, "rmsea": True, "srmr": False, "all": False}
    assert fit_meets_cutoffs(pd.Series({"cfi": 0.99, "tli": 0.99, "rmsea": 0.01, "srmr": 0.02}))["all"]


def test_cfa_saturated_one_factor_three_items(factors12):
    from survey.reliability import cfa, fit_meets_cutoffs
    r = cfa(factors12, "f =~ V1 + V2 + V3")
    assert r.fit.df == 0 and abs(r.fit.chisq) < 1e-6 and r.fit.cfi == 1.0
    assert np.isnan(r.fit.tli) and np.isnan(r.fit.pvalue)
    with pytest.raises(DataError, match="saturated"):
        fit_meets_cutoffs(r.fit)


def test_efa_and_omega_with_missing_values_match_psych(scale6):
    from survey.reliability import efa, omega
    # R: fa(x, 2, rotate = "oblimin")$loadings; $Phi   (pairwise correlations, 3% missing)
    e = efa(scale6, 2, n_iter=2, seed=1)
    close(e.loadings.to_numpy(), [[0.52552540159461159, 0.1656711905782429],
                                  [0.54927343781076221, -0.0217878861019888],
                                  [0.71686160092993900, 0.0249467908836096],
                                  [-0.60500807389258204, 0.1252084500333140],
                                  [0.48987935400212324, 0.0633486159483981],
                                  [0.00819980093343708, 0.9926344502276394]], EFA_TOL)
    close(e.phi.iloc[0, 1], 0.631370247998613, EFA_TOL)
    # R: o <- omega(x, 2); o$omega_h; o$omega.tot  (two factors: psych's option = "equal")
    o = omega(scale6, 2)
    close([o.summary.omega_h, o.summary.omega_total], [0.599365513041266, 0.809757363089972], EFA_TOL)
