"""The alpha bootstrap from sufficient statistics equals literal resampling with the same seed.

The reference below builds every resample as a copy of the drawn rows and computes its covariance
matrix from the data (pairwise-complete, as R's ``cov(use = "pairwise")``, written out pair by pair,
or from the resample's complete rows), then alpha from that matrix: slow, and independent of the
weighted sums the package uses.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.reliability import alpha
from survey.reliability._bootstrap import bootstrap_alphas


def _pairwise_cov_literal(x: np.ndarray) -> np.ndarray:
    """Covariance of each pair of columns over the rows answering both (two-pass, no shortcuts)."""
    p = x.shape[1]
    c = np.full((p, p), np.nan)
    for j in range(p):
        for k in range(p):
            ok = ~np.isnan(x[:, j]) & ~np.isnan(x[:, k])
            if ok.sum() >= 2:
                a, b = x[ok, j], x[ok, k]
                c[j, k] = ((a - a.mean()) * (b - b.mean())).sum() / (ok.sum() - 1)
    return c


def _reference(x: np.ndarray, n_boot: int, seed: int, use: str = "pairwise") -> np.ndarray:
    rng = np.random.default_rng(seed)
    n, p = x.shape
    idx = rng.integers(0, n, size=(n_boot, n))
    out = np.empty(n_boot)
    for b in range(n_boot):
        xb = x[idx[b]]
        if use == "complete":
            xb = xb[~np.isnan(xb).any(axis=1)]
            c = np.cov(xb, rowvar=False)
        else:
            c = _pairwise_cov_literal(xb)
        out[b] = (1 - np.trace(c) / c.sum()) * p / (p - 1)
    return out


def _likert(n: int, p: int, missing: float, seed: int, scale: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(n)
    z = f[:, None] * 0.7 + rng.standard_normal((n, p)) * 0.7
    x = np.clip(np.round(z + (scale + 1) / 2), 1, scale)
    x[rng.random(x.shape) < missing] = np.nan
    return x


@pytest.mark.parametrize("n, p, missing, seed", [(300, 6, 0.05, 1), (211, 9, 0.2, 2), (97, 4, 0.01, 3)])
def test_pairwise_bootstrap_equals_literal_resampling(n, p, missing, seed):
    x = _likert(n, p, missing, seed)
    got = bootstrap_alphas(x, 25, seed, "pairwise")
    np.testing.assert_allclose(got, _reference(x, 25, seed), rtol=0, atol=1e-10)


def test_pairwise_bootstrap_non_integer_answers_use_double_precision_and_still_agree():
    x = _likert(150, 5, 0.05, 4) + np.random.default_rng(4).uniform(-0.3, 0.3, (150, 5))
    np.testing.assert_allclose(bootstrap_alphas(x, 20, 9, "pairwise"), _reference(x, 20, 9), rtol=0, atol=1e-10)


def test_pairwise_bootstrap_large_codes_fall_back_to_double_precision():
    # answers in the thousands: single-precision sums would not be exact
    x = _likert(120, 4, 0.05, 5) * 1000 + 12345
    np.testing.assert_allclose(bootstrap_alphas(x, 10, 1, "pairwise"), _reference(x, 10, 1), rtol=0, atol=1e-10)


def test_complete_use_bootstrap_equals_literal_resampling():
    x = _likert(200, 5, 0.03, 6)
    np.testing.assert_allclose(bootstrap_alphas(x, 20, 3, "complete"), _reference(x, 20, 3, "complete"),
                               rtol=0, atol=1e-10)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_numbers_do_not_depend_on_threads(workers):
    x = _likert(5000, 8, 0.02, 7)
    one = bootstrap_alphas(x, 30, 11, "pairwise", workers=1)
    np.testing.assert_array_equal(bootstrap_alphas(x, 30, 11, "pairwise", workers=workers), one)
    y = _likert(5000, 8, 0.0, 7)
    np.testing.assert_array_equal(bootstrap_alphas(y, 30, 11, "pairwise", workers=workers),
                                  bootstrap_alphas(y, 30, 11, "pairwise", workers=1))


def test_alpha_bootstrap_with_missing_answers_and_keys():
    x = _likert(400, 6, 0.03, 8)
    df = pd.DataFrame(x, columns=[f"I{i}" for i in range(6)]).astype("Float64")
    df["I5"] = 6 - df["I5"]  # stored reversed, passed as a key
    res = alpha(df, keys=["I5"], ci="bootstrap", n_boot=40, seed=12)
    xr = x.copy()  # the key reverses I5 back to x
    np.testing.assert_allclose(res.boot, _reference(xr, 40, 12), rtol=0, atol=1e-10)
    lo, hi = np.quantile(res.boot, [0.025, 0.975])
    assert res.summary.ci_low == pytest.approx(lo, abs=1e-12) and res.summary.ci_high == pytest.approx(hi, abs=1e-12)


def test_many_groups_of_resamples_give_the_same_draws(monkeypatch):
    # frequencies held for a few resamples at a time: the stream and the numbers are unchanged
    import survey.reliability._bootstrap as mod

    x = _likert(500, 5, 0.05, 9)
    whole = bootstrap_alphas(x, 12, 2, "pairwise")
    monkeypatch.setattr(mod, "_W_BUDGET", 500 * 5)
    monkeypatch.setattr(mod, "_ROW_CHUNK", 64)
    np.testing.assert_allclose(bootstrap_alphas(x, 12, 2, "pairwise"), whole, rtol=0, atol=1e-12)
    np.testing.assert_allclose(whole, _reference(x, 12, 2), rtol=0, atol=1e-10)
