"""Benchmark: IKM for every kelurahan and wave of a city, beside a naive pandas loop.

151 kelurahan x 8 waves x 400 respondents = 483,200 responses, 9 unsur, 1% blanks, columns in the
questionnaire's order (U9 before U8). Times survey.skm.ikm (summary + NRR tables) without CIs,
with delta-method CIs and with bootstrap CIs (1000 replicates), beside a naive pandas loop over the
unit-waves (what an analyst writes first), and checks that both give the same numbers.
The naive bootstrap loop is timed on a subset of groups and extrapolated (running it fully takes
minutes). Goals: < 2 s without CIs, < 10 s with bootstrap CIs.

Run: .venv/bin/python benchmarks/bench_skm.py [--quick]
"""
from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

from survey import skm
from _timing import best_of  # benchmarks/ is on sys.path when run as a script

CODES = [f"U{i}" for i in range(1, 10)]
ORDER = ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U9", "U8"]


def make_data(n_units: int = 151, n_waves: int = 8, n_resp: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = n_units * n_waves
    level = rng.normal(0, 0.4, size=g).repeat(n_resp)[:, None] + rng.normal(0, 0.2, size=9)
    latent = 2.9 + level + rng.normal(0, 0.6, size=(g * n_resp, 9))
    X = np.clip(np.rint(latent), 1, 4)
    X[rng.random(X.shape) < 0.01] = np.nan
    df = pd.DataFrame(X, columns=CODES)[ORDER].astype("Int64")
    df.insert(0, "wave", np.tile(np.repeat(np.arange(1, n_waves + 1), n_resp), n_units))
    df.insert(0, "unit_id", np.repeat([f"KEL-{i:03d}" for i in range(1, n_units + 1)], n_waves * n_resp))
    return df


def naive(df: pd.DataFrame) -> pd.DataFrame:
    """Straightforward pandas: loop over unit-waves, NRR by column mean, IKM, grade by if-chain."""
    rows = []
    for (unit, wave), sub in df.groupby(["unit_id", "wave"]):
        nrr = {c: sub[c].dropna().astype(float).mean() for c in CODES}
        answered = [c for c in CODES if not np.isnan(nrr[c])]
        ikm = sum(nrr[c] for c in answered) / len(answered)
        unit_ikm = ikm * 25
        mutu = "D" if unit_ikm <= 64.99 else "C" if unit_ikm <= 76.60 else "B" if unit_ikm <= 88.30 else "A"
        rows.append({"unit_id": unit, "wave": wave, "n": len(sub), "ikm": ikm, "ikm_unit": unit_ikm,
                     "mutu": mutu, **{f"NRR_{c}": nrr[c] for c in CODES}})
    return pd.DataFrame(rows).set_index(["unit_id", "wave"])


def naive_bootstrap(df: pd.DataFrame, groups: int, n_boot: int, seed: int = 1) -> float:
    """Seconds for the naive bootstrap (resample rows with pandas) over ``groups`` unit-waves."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    for k, (_, sub) in enumerate(df.groupby(["unit_id", "wave"])):
        if k >= groups:
            break
        vals = []
        for _ in range(n_boot):
            bs = sub.sample(len(sub), replace=True, random_state=rng)
            vals.append(bs[CODES].astype(float).mean().mean())
        np.quantile(vals, [0.025, 0.975])
    return time.perf_counter() - t0



def main() -> int:
    quick = "--quick" in sys.argv
    df = make_data(n_units=30 if quick else 151)
    G = df.groupby(["unit_id", "wave"]).ngroups
    print(f"data: {len(df):,} responses, {G} unit-waves, 9 unsur (1% blank), columns U1..U7,U9,U8")
    warnings.simplefilter("ignore", skm.SKMWarning)
    t_none, res = best_of(lambda: skm.ikm(df, by=["unit_id", "wave"], ci=None))
    t_delta, _ = best_of(lambda: skm.ikm(df, by=["unit_id", "wave"], ci="delta"))
    t_boot, resb = best_of(lambda: skm.ikm(df, by=["unit_id", "wave"], ci="bootstrap", n_boot=1000), repeat=1)
    t_naive, ref = best_of(lambda: naive(df), repeat=1)
    sub_groups = 5 if quick else 10
    t_nb = naive_bootstrap(df, sub_groups, 200)
    t_nb_full = t_nb / sub_groups * G * (1000 / 200)

    diff_ikm = float(np.max(np.abs(res.summary["ikm"].to_numpy() - ref["ikm"].to_numpy())))
    diff_nrr = float(np.nanmax(np.abs(res.nrr.to_numpy() - ref[[f"NRR_{c}" for c in CODES]].to_numpy())))
    same_mutu = bool((res.summary["mutu"].to_numpy() == ref["mutu"].to_numpy()).all())
    print(f"survey.skm.ikm, no CI          : {t_none:7.3f} s   (goal < 2 s)")
    print(f"survey.skm.ikm, delta CI       : {t_delta:7.3f} s")
    print(f"survey.skm.ikm, bootstrap 1000 : {t_boot:7.3f} s   (goal < 10 s)")
    print(f"naive pandas loop, no CI       : {t_naive:7.3f} s   ratio {t_naive / t_none:5.1f}x")
    print(f"naive bootstrap, 1000 reps     : {t_nb_full:7.1f} s   (extrapolated from {sub_groups} groups x 200 reps; "
          f"ratio {t_nb_full / t_boot:5.0f}x)")
    print(f"agreement with the naive loop  : max |IKM diff| {diff_ikm:.2e}, max |NRR diff| {diff_nrr:.2e}, "
          f"same mutu: {same_mutu}")
    ok = diff_ikm < 1e-9 and diff_nrr < 1e-9 and same_mutu
    width = (resb.summary["ci_high_unit"] - resb.summary["ci_low_unit"]).median()
    print(f"median bootstrap 95% CI width  : {width:.2f} IKM-unit points")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
