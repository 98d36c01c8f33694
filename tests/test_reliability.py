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

from survey.errors import DataError
from survey.reliability import alpha, alpha_for, pairwise_cov

FIX = Path(__file__).parent / "fixtures" / "reliability"
TOL = 1e-6  # issue 4: alpha, item statistics, Feldt and Duhachek agree to 1e-6


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
