"""The shape of survey.reliability: the result contract, the shared argument vocabulary (confidence,
seed, ParameterError for a bad option), warnings kept on the result, and the old names that still
work for one release. The numbers themselves are held to R in test_reliability.py."""
from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import survey.reliability as rel
from survey._checks import DEFAULT_SEED
from survey.errors import DataError, ParameterError
from survey.results import Result

FIX = Path(__file__).parent / "fixtures" / "reliability"
MODEL = "f1 =~ V1 + V2 + V3 + V4\nf2 =~ V5 + V6 + V7 + V8\nf3 =~ V9 + V10 + V11 + V12"


@pytest.fixture(scope="module")
def scale6() -> pd.DataFrame:
    return pd.read_csv(FIX / "scale6.csv").astype("Int64")


@pytest.fixture(scope="module")
def factors12() -> pd.DataFrame:
    return pd.read_csv(FIX / "factors12.csv").astype("Int64")


def _results(scale6, factors12):
    y = factors12.copy()
    y["grp"] = ["A"] * 150 + ["B"] * 150
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return {
            "alpha": rel.alpha(scale6, keys=["A4"], ci="bootstrap", n_boot=20),
            "kmo": rel.kmo(factors12),
            "bartlett": rel.bartlett(factors12),
            "efa": rel.efa(factors12, 3, n_iter=2),
            "parallel": rel.parallel_analysis(factors12, n_iter=2),
            "omega": rel.omega(factors12, 3),
            "omega_total": rel.omega_total(factors12.iloc[:, :4]),
            "split_half": rel.split_half(scale6),
            "cfa": rel.cfa(y, MODEL, group="grp"),
            "cfa_mlr": rel.cfa(y, MODEL, estimator="MLR"),
            "invariance": rel.invariance(y, MODEL, group="grp", estimator="MLR"),
            "multilevel": rel.multilevel(pd.read_csv(FIX / "waves.csv"), id="id", time="wave",
                                         items=["Q1", "Q2", "Q3", "Q4", "Q5"]),
        }


def test_every_result_keeps_the_contract(scale6, factors12):
    for name, res in _results(scale6, factors12).items():
        cls = type(res)
        assert isinstance(res, Result) and cls.__name__.endswith("Result"), name
        assert cls.__name__ in rel.__all__, name
        assert isinstance(res.warnings, tuple), name
        assert cls.main is None or cls.main in {f.name for f in dataclasses.fields(res)}, name
        frame = res.to_frame()
        assert isinstance(frame, pd.DataFrame) and len(frame) > 0, name
        d = res.to_dict()
        json.dumps(d)  # JSON-ready
        assert "boot" not in d and d["warnings"] == list(res.warnings), name
        assert "<h4>" in res._repr_html_(), name


def test_to_frame_is_the_main_table(scale6, factors12):
    r = _results(scale6, factors12)
    a = r["alpha"].to_frame()
    assert list(a.index) == [0] and a.loc[0, "raw_alpha"] == r["alpha"].raw_alpha
    assert a.loc[0, "confidence"] == 0.95 and a.loc[0, "ci_method"] == "bootstrap"
    pd.testing.assert_frame_equal(r["efa"].to_frame(), r["efa"].loadings)
    pd.testing.assert_frame_equal(r["parallel"].to_frame(), r["parallel"].eigen)
    assert r["cfa"].to_frame().loc[0, "cfi"] == r["cfa"].fit["cfi"]
    assert r["omega"].to_frame().loc[0, "omega_h"] == r["omega"].summary["omega_h"]
    assert r["kmo"].to_frame().loc[0, "kmo"] == r["kmo"].kmo
    assert r["bartlett"].to_frame().loc[0, "pvalue"] == r["bartlett"].pvalue
    sh = r["split_half"].to_frame()
    assert sh.loc[0, "lambda4"] == r["split_half"].lambda4 and "max_split" not in sh
    # one summary row per scale: a table of several constructs is a concat
    both = pd.concat([rel.alpha(scale6.iloc[:, :3]).to_frame(), rel.alpha(scale6[["A5", "A6"]]).to_frame()])
    assert list(both["n_items"]) == [3, 2]


def test_std_alpha_is_one_name_for_standardized_alpha(factors12):
    # psych calls it `alpha` in splitHalf and omega and `std.alpha` in alpha; here it is std_alpha
    # everywhere, so the same number has the same name
    y = factors12.iloc[:, :6]
    a = rel.alpha(y).summary["std_alpha"]
    assert rel.split_half(y).std_alpha == pytest.approx(a, abs=1e-12)
    assert rel.omega(y, 2).summary["std_alpha"] == pytest.approx(a, abs=1e-12)


# -- warnings on the result -----------------------------------------------------------------------

def test_warnings_are_kept_on_the_result(scale6):
    with pytest.warns(UserWarning, match="A4") as rec:
        res = rel.alpha(scale6)
    assert res.warnings == (str(rec[0].message),)
    assert rec[0].filename == __file__  # the warning points at the caller, not into the package
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rel.alpha(scale6, keys=["A4"]).warnings == ()
        assert rel.split_half(scale6, keys=["A4"]).warnings == ()
    with pytest.warns(UserWarning, match="A4"):
        sh = rel.split_half(scale6)
    assert len(sh.warnings) == 1 and "A4" in sh.warnings[0] and sh.keys == ("A4",)



def test_item_matrix_of_nullable_columns_is_each_column_with_na_as_nan():
    from survey.reliability._matrix import _as_matrix
    df = pd.DataFrame({"i": pd.array([1, None, 3, 4], dtype="Int64"), "f": pd.array([0.5, 1.5, None, 2.0], dtype="Float64"),
                       "b": pd.array([True, False, None, True], dtype="boolean"), "x": [1.0, np.nan, 2.0, 3.0],
                       "n": [4, 3, 2, 1]})
    x, cols = _as_matrix(df, "test")
    by_column = np.column_stack([df[c].to_numpy(dtype=float, na_value=np.nan) for c in df.columns])
    np.testing.assert_array_equal(x, by_column)
    assert cols == list(df.columns) and x.flags["C_CONTIGUOUS"] and x.dtype == float
    with pytest.raises(DataError, match="not numeric"):
        _as_matrix(df.assign(s=["a", "b", "c", "d"]), "test")

def test_polychoric_smoothing_warns_and_ordinal_alpha_keeps_the_sentence():
    # pairs answered by different rows: a = b, c = a and c = 4 - b cannot hold together, so the
    # pairwise polychoric matrix (about 1, 1, -1) is not positive definite and is smoothed
    rng = np.random.default_rng(3)
    v = pd.array(rng.integers(1, 4, 300), dtype="Int64")
    na = pd.array([pd.NA] * 100, dtype="Int64")
    df = pd.DataFrame({"a": pd.concat([pd.Series(v[:100]), pd.Series(na), pd.Series(v[200:])], ignore_index=True),
                       "b": pd.concat([pd.Series(na), pd.Series(v[100:300])], ignore_index=True),
                       "c": pd.concat([pd.Series(v[:100]), pd.Series(4 - v[100:200]), pd.Series(na)], ignore_index=True)})
    with pytest.warns(UserWarning, match="smoothed"):
        r = rel.polychoric(df)
    assert np.linalg.eigvalsh(r.to_numpy()).min() > 0
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        res = rel.alpha(df, cor="polychoric")
    assert any("smoothed" in w for w in res.warnings)


# -- the vocabulary: confidence, seed, ParameterError ------------------------------------------------

def test_confidence_sets_the_interval_and_level_still_works(scale6):
    s = rel.alpha(scale6, keys=["A4"], confidence=0.90).summary
    # Feldt by hand: 1 - (1 - alpha) F, F on (n - 1, (n - 1)(k - 1)) df, n = 240 rows, k = 6
    a, df1, df2 = s["raw_alpha"], 239, 239 * 5
    assert s["ci_low"] == pytest.approx(1 - (1 - a) * stats.f.ppf(0.95, df1, df2), abs=1e-12)
    assert s["ci_high"] == pytest.approx(1 - (1 - a) * stats.f.ppf(0.05, df1, df2), abs=1e-12)
    assert s["confidence"] == 0.90
    wide = rel.alpha(scale6, keys=["A4"]).summary
    assert wide["ci_low"] < s["ci_low"] < s["ci_high"] < wide["ci_high"]
    with pytest.warns(DeprecationWarning, match="'level' is renamed 'confidence'"):
        old = rel.alpha(scale6, keys=["A4"], level=0.90).summary
    assert (old["ci_low"], old["ci_high"]) == (s["ci_low"], s["ci_high"])
    with pytest.warns(DeprecationWarning, match="level"):
        assert rel.feldt_ci(0.8, 100, 5, level=0.9) == rel.feldt_ci(0.8, 100, 5, confidence=0.9)
    with pytest.warns(DeprecationWarning), pytest.raises(ParameterError, match="confidence"):
        rel.alpha(scale6, level=0.9, confidence=0.8)
    with pytest.raises(ParameterError, match="0.95, not 95"):
        rel.alpha(scale6, keys=["A4"], confidence=95)


def test_duhachek_interval_at_another_confidence(scale6):
    s = rel.alpha(scale6, keys=["A4"], ci="duhachek", confidence=0.90).summary
    z = stats.norm.ppf(0.95)
    assert s["ci_low"] == pytest.approx(s["raw_alpha"] - z * s["ase"], abs=1e-12)


def test_default_seed_makes_every_random_result_reproducible(scale6, factors12):
    y = factors12.iloc[:, :5]
    b1 = rel.alpha(y, ci="bootstrap", n_boot=50).boot
    np.testing.assert_array_equal(b1, rel.alpha(y, ci="bootstrap", n_boot=50, seed=DEFAULT_SEED).boot)
    np.testing.assert_array_equal(b1, rel.alpha(y, ci="bootstrap", n_boot=50).boot)
    assert not np.array_equal(b1, rel.alpha(y, ci="bootstrap", n_boot=50, seed=None).boot)
    p1 = rel.parallel_analysis(factors12, n_iter=3).eigen
    pd.testing.assert_frame_equal(p1, rel.parallel_analysis(factors12, n_iter=3).eigen)
    pd.testing.assert_frame_equal(p1, rel.efa(factors12, n_iter=3).parallel.eigen)
    # 12 items: 462 splits, so n_sample=40 draws random splits
    s1 = rel.split_half(factors12, n_sample=40)
    assert s1.n_splits == 40 and s1 == rel.split_half(factors12, n_sample=40, seed=DEFAULT_SEED)


@pytest.mark.parametrize("call, match", [
    (lambda d: rel.alpha(d, ci="exact"), "ci='exact'"),
    (lambda d: rel.alpha(d, use="listwise"), "use='listwise'"),
    (lambda d: rel.alpha(d, cor="spearman"), "cor='spearman'"),
    (lambda d: rel.alpha(d, ci="bootstrap", n_boot=1), "n_boot=1"),
    (lambda d: rel.efa(d, 2, rotation="quartimax"), "rotation='quartimax'"),
    (lambda d: rel.efa(d, 2, method="pa"), "method='pa'"),
    (lambda d: rel.efa(d, 6, n_iter=2), "nfactors must be between 1 and 5"),
    (lambda d: rel.omega(d, 1), "omega_total"),
    (lambda d: rel.parallel_analysis(d, n_iter=0), "n_iter=0"),
    (lambda d: rel.parallel_analysis(d, quantile=95), "quantile"),
    (lambda d: rel.split_half(d, n_sample=0), "n_sample=0"),
])
def test_bad_option_is_a_parameter_error(scale6, call, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ParameterError, match=match):
            call(scale6)


# -- old names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("old, new", [
    ("Alpha", "AlphaResult"), ("KMO", "KMOResult"), ("Bartlett", "BartlettResult"), ("EFA", "EFAResult"),
    ("Parallel", "ParallelResult"), ("Omega", "OmegaResult"), ("OmegaTotal", "OmegaTotalResult"),
    ("SplitHalf", "SplitHalfResult"), ("CFA", "CFAResult")])
def test_old_result_class_names_still_import(old, new):
    with pytest.warns(DeprecationWarning, match=f"{old} is renamed {new}"):
        cls = getattr(rel, old)
    assert cls is getattr(rel, new)
    with pytest.raises(AttributeError):
        rel.NoSuchThing  # noqa: B018


def test_public_names_are_exported():
    for name in ("alpha", "alpha_for", "alpha_band", "flag_items", "feldt_ci", "kmo", "kmo_band", "bartlett", "efa",
                 "parallel_analysis", "omega", "omega_total", "split_half", "polychoric", "cfa", "parse_model",
                 "CFAModel", "fit_meets_cutoffs", "pairwise_cov", "pairwise_cor", "cov2cor", "smc", "multilevel", "invariance"):
        assert name in rel.__all__ and callable(getattr(rel, name)), name
