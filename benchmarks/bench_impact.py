"""Benchmark: program-impact estimators beside the libraries they wrap.

Cases (each run in its own fresh process, so peak memory is that case's alone):

- twfe:  TWFE with cluster-robust SE, 1,000,000 rows, 500 clusters (units) x 10 periods.
         Ours: survey.impact.twfe (unit effects absorbed, time dummies explicit).
         Peer: statsmodels OLS on the same within-transformed design with cov_type="cluster"
         (the dummy-variable fit would need a 1,000,000 x 510 dense matrix, about 4 GB, and is
         not a fair peer on a 2-core machine; it gives the same coefficient by Frisch-Waugh-Lovell).
- mixed: random-intercept model, 100,000 rows, 1,000 groups.
         Ours: survey.impact.mixed (lme4's profiled REML deviance, gradient check, Satterthwaite df).
         Peer: statsmodels MixedLM(...).fit(reml=True) with its defaults.
- wild:  wild cluster bootstrap-t, 9,999 draws, 50,000 rows, 30 clusters.
         Ours: survey.impact.did(se="wild").  Peer: wildboottest 0.3.2 (numba; its first call
         compiles, so it is run once on small data before timing).

Each case reports seconds (best of ``--repeat`` runs) and peak resident memory (ru_maxrss of the
case's process, which includes the data) and checks that ours and the peer agree.

Run: .venv/bin/python benchmarks/bench_impact.py [--quick] [--repeat N]
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
from _timing import best_of  # benchmarks/ is on sys.path when run as a script

QUICK = "--quick" in sys.argv


def _repeat() -> int:
    if "--repeat" in sys.argv:
        return int(sys.argv[sys.argv.index("--repeat") + 1])
    return 1 if QUICK else 3


def panel_data(n_units: int, n_periods: int, per_cell: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), n_periods * per_cell)
    time_ = np.tile(np.repeat(np.arange(1, n_periods + 1), per_cell), n_units)
    first = rng.choice(np.r_[np.arange(3, n_periods + 1), [0] * 4], size=n_units)
    d = ((first[unit] > 0) & (time_ >= first[unit])).astype(float)
    x = rng.normal(size=len(unit))
    y = rng.normal(size=n_units)[unit] + 0.1 * time_ + 0.3 * d + 0.5 * x + rng.normal(size=len(unit))
    return pd.DataFrame({"unit": unit, "time": time_, "D": d, "x": x, "y": y})


def case_twfe(side: str, repeat: int) -> dict:
    n_units = 50 if QUICK else 500
    df = panel_data(n_units, 10, 200)
    if side == "ours":
        from survey import impact

        sec, r = best_of(lambda: impact.twfe(df, "y", "unit", "time", "D", cluster="unit",
                                             controls=["x"], se="cluster"), repeat)
        return {"seconds": sec, "att": r.att, "se": r.se}
    import statsmodels.api as sm

    def fit():
        cols = ["y", "D", "x"]
        dm = df[cols] - df.groupby("unit")[cols].transform("mean")
        X = pd.concat([dm[["D", "x"]],
                       pd.get_dummies(df["time"], prefix="t", drop_first=True, dtype=float)
                       .sub(pd.get_dummies(df["time"], prefix="t", drop_first=True, dtype=float)
                            .groupby(df["unit"]).transform("mean"))], axis=1)
        return sm.OLS(dm["y"], X).fit(cov_type="cluster", cov_kwds={"groups": df["unit"]}, use_t=True)

    sec, r = best_of(fit, repeat)
    # statsmodels' small-sample factor counts only the demeaned columns: rescale to lm's k
    n, k = len(df), r.df_model + 1
    K = k + n_units
    se = float(r.bse["D"]) * np.sqrt((n - k) / (n - K))
    return {"seconds": sec, "att": float(r.params["D"]), "se": se}


def case_mixed(side: str, repeat: int) -> dict:
    n_groups, per = (100, 100) if QUICK else (1000, 100)
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(n_groups), per)
    x = rng.normal(size=len(g))
    y = 1 + 0.5 * x + rng.normal(0, 0.6, n_groups)[g] + rng.normal(size=len(g))
    df = pd.DataFrame({"g": g, "x": x, "y": y})
    if side == "ours":
        from survey import impact

        sec, r = best_of(lambda: impact.mixed(df, "y ~ x", "g"), repeat)
        return {"seconds": sec, "x": float(r.params["x"]), "var_u": float(r.cov_re.iloc[0, 0]), "method": r.method}
    import statsmodels.formula.api as smf

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return smf.mixedlm("y ~ x", df, groups=df["g"]).fit(reml=True)

    sec, r = best_of(fit, repeat)
    return {"seconds": sec, "x": float(r.fe_params["x"]), "var_u": float(r.cov_re.iloc[0, 0]),
            "converged": bool(r.converged)}


def case_wild(side: str, repeat: int) -> dict:
    rng = np.random.default_rng(3)
    G, n = 30, (5000 if QUICK else 50000)
    cl = rng.integers(0, G, n)
    treated = (cl < 12).astype(float)
    post = rng.integers(0, 2, n).astype(float)
    x = rng.normal(size=n)
    y = 0.2 * treated + 0.1 * post + 0.15 * treated * post + 0.4 * x + rng.normal(0, 0.5, G)[cl] + rng.normal(size=n)
    df = pd.DataFrame({"cl": cl, "treated": treated, "post": post, "x": x, "y": y, "tp": treated * post})
    n_boot = 9999
    if side == "ours":
        from survey import impact

        sec, r = best_of(lambda: impact.did(df, "y", "treated", "post", cluster="cl", controls=["x"],
                                            se="wild", n_boot=n_boot, boot_weights="rademacher"), repeat)
        return {"seconds": sec, "t": r.att / r.se, "pvalue": r.pvalue, "ci": [r.ci_low, r.ci_high]}
    import statsmodels.formula.api as smf
    from wildboottest.wildboottest import wildboottest

    small = df.iloc[:2000]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wildboottest(smf.ols("y ~ treated + post + tp + x", data=small), B=99, cluster=small["cl"].to_numpy(),
                     param="tp", weights_type="rademacher", show=False, seed=1)  # numba compile

        def fit():
            return wildboottest(smf.ols("y ~ treated + post + tp + x", data=df), B=n_boot, cluster=df["cl"].to_numpy(),
                                param="tp", weights_type="rademacher", show=False, seed=1)

        sec, r = best_of(fit, repeat)
    return {"seconds": sec, "t": float(r["statistic"].iloc[0]), "pvalue": float(r["p-value"].iloc[0]),
            "ci": None}


CASES = {"twfe": case_twfe, "mixed": case_mixed, "wild": case_wild}


def child(case: str, side: str) -> None:
    out = CASES[case](side, _repeat())
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    labels = {"twfe": ("TWFE, cluster SE, 1,000,000 rows / 500 clusters", "statsmodels OLS (within)"),
              "mixed": ("Random-intercept model, 100,000 rows / 1,000 groups", "statsmodels MixedLM"),
              "wild": ("Wild cluster bootstrap, 9,999 draws, 50,000 rows / 30 clusters", "wildboottest")}
    if QUICK:
        print("(quick mode: smaller data)")
    rows = []
    for case in CASES:
        res = {}
        for side in ("ours", "peer"):
            cmd = [sys.executable, __file__, "--child", case, side] + [a for a in sys.argv[1:] if a != "--child"]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                print(p.stderr[-2000:])
                raise SystemExit(f"{case}/{side} failed")
            res[side] = json.loads(p.stdout.strip().splitlines()[-1])
        o, q = res["ours"], res["peer"]
        rows.append({"case": labels[case][0], "peer": labels[case][1],
                     "ours_s": o["seconds"], "peer_s": q["seconds"], "ratio": o["seconds"] / q["seconds"],
                     "ours_peak_mb": o["peak_mb"], "peer_peak_mb": q["peak_mb"]})
        print(f"{case}: ours {json.dumps(o)}\n{'':6}peer {json.dumps(q)}")
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    if "--child" in sys.argv:
        i = sys.argv.index("--child")
        child(sys.argv[i + 1], sys.argv[i + 2])
    else:
        main()
