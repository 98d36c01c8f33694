"""The vectorised IKM bootstrap equals a literal per-unit loop, and a unit's interval is the one it
gets alone (correctness of the fast path only; nothing here is timed)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from survey import skm
from survey._random import rng

CODES = [f"U{i}" for i in range(1, 10)]


def _city(n_units: int = 6, n_waves: int = 3, seed: int = 4) -> pd.DataFrame:
    r = np.random.default_rng(seed)
    sizes = r.integers(2, 90, size=n_units * n_waves)
    parts = []
    for g, m in enumerate(sizes):
        x = r.integers(1, 5, size=(m, 9)).astype(float)
        x[r.random(x.shape) < 0.03] = np.nan
        part = pd.DataFrame(x, columns=CODES).astype("Int64")
        part.insert(0, "wave", 2023 + g % n_waves)
        part.insert(0, "unit_id", f"KEL-{g // n_waves:02d}")
        parts.append(part)
    df = pd.concat(parts, ignore_index=True)
    if n_units > 1:  # one unsur unanswered in one unit-wave: excluded there, weights renormalised
        df.loc[(df["unit_id"] == "KEL-01") & (df["wave"] == 2023), "U5"] = pd.NA
    return df.sample(frac=1, random_state=1)  # rows in no particular order


def _literal_interval(sub: pd.DataFrame, key: tuple, n_boot: int, confidence: float, seed: int) -> tuple[float, float]:
    """One group, written out: its stream, a byte per respondent and replicate, the frequency table
    (Poisson(1) rounded to 1/256), the replicate's NRRs and IKM, R type-7 percentiles."""
    x = sub[CODES].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    m = len(x)
    answered = ~np.isnan(x).all(axis=0)
    table = np.repeat(np.arange(6), [95, 93, 47, 16, 4, 1])
    stream = rng(seed, *key)
    words = -(-m // 8)
    vals = []
    for _ in range(n_boot):
        u = stream.bit_generator.random_raw(words).view(np.uint8)[:m]
        f = table[u]
        nrr = []
        for j in range(9):
            ok = ~np.isnan(x[:, j])
            cnt = f[ok].sum()
            if answered[j] and cnt > 0:
                nrr.append((f[ok] * x[ok, j]).sum() / cnt)
        vals.append(np.mean(nrr) if nrr else np.nan)
    vals = np.array(vals)
    vals = vals[~np.isnan(vals)]
    a = (1 - confidence) / 2
    lo, hi = np.quantile(vals, [a, 1 - a])
    return float(lo), float(hi)


def test_city_bootstrap_equals_a_literal_loop_per_unit():
    df = _city()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", skm.SKMWarning)
        res = skm.ikm(df, by=["unit_id", "wave"], n_boot=150, seed=17, confidence=0.9).summary
    for key, sub in df.groupby(["unit_id", "wave"]):
        lo, hi = _literal_interval(sub, key, 150, 0.9, 17)  # rows in file order
        assert res.loc[key, "ci_low"] == pytest.approx(lo, abs=1e-12)
        assert res.loc[key, "ci_high"] == pytest.approx(hi, abs=1e-12)


def test_each_units_interval_equals_the_one_it_gets_alone():
    df = _city(n_units=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", skm.SKMWarning)
        city = skm.ikm(df, by=["unit_id", "wave"], n_boot=200, seed=3).summary
        for unit in df["unit_id"].unique():
            alone = skm.ikm(df[df["unit_id"] == unit], by=["unit_id", "wave"], n_boot=200, seed=3).summary
            for key in alone.index:
                assert city.loc[key, "ci_low"] == alone.loc[key, "ci_low"]
                assert city.loc[key, "ci_high"] == alone.loc[key, "ci_high"]


def test_threads_and_batches_do_not_change_the_numbers(monkeypatch):
    import survey._threads as th
    import survey.skm._bootstrap as bm

    df = _city()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", skm.SKMWarning)
        ref = skm.ikm(df, by=["unit_id", "wave"], n_boot=120, seed=8).summary
        monkeypatch.setattr(bm, "_BUDGET", 37)       # a replicate or two per batch
        monkeypatch.setattr(bm, "_TASK_ROWS", 1)     # one group per task
        monkeypatch.setattr(th, "idle_cores", lambda: 3)  # three threads on any machine
        again = skm.ikm(df, by=["unit_id", "wave"], n_boot=120, seed=8).summary
    pd.testing.assert_series_equal(ref["ci_low"], again["ci_low"])
    pd.testing.assert_series_equal(ref["ci_high"], again["ci_high"])


def test_frequencies_have_the_documented_distribution():
    import survey.skm._bootstrap as bm

    f = bm.poisson_frequencies(rng(1, "x"), 200, 1000)
    assert f.shape == (200, 1000) and f.dtype == np.float32
    share = np.bincount(f.astype(int).ravel(), minlength=6) / f.size
    np.testing.assert_allclose(share, np.array([95, 93, 47, 16, 4, 1]) / 256, atol=0.004)
