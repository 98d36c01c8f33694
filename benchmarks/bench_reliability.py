"""Speed of survey.reliability.alpha beside pingouin and R's psych.

    .venv/bin/python benchmarks/bench_reliability.py                # 100,000 x 40, 1,000 resamples
    .venv/bin/python benchmarks/bench_reliability.py --rows 20000 --r  # smaller, and time psych too

Data: a one-factor model discretised to 1-5 answers (seeded), once complete and once with 1% of
the answers missing at random. Timed: the point estimate with item statistics (best of
``--repeat`` runs) beside ``pingouin.cronbach_alpha`` (point estimate and Feldt interval; it has
no bootstrap and no item statistics), and a 1,000-resample percentile bootstrap. With ``--r`` and
Rscript installed, ``psych::alpha(x, n.iter = 1000)`` runs on the same CSV (its own timing, taken
inside R, so R's start-up is excluded). Goals: bootstrap with or without missing values under
10 s; point estimate no slower than pingouin. Nothing is asserted: this prints figures.
The bootstrap picks its own threading (independent blocks, BLAS at one thread);
``--blas-threads`` only limits the point estimates. ``run_all.py`` runs these cases beside the others.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from survey.reliability import alpha
from _timing import best_of  # benchmarks/ is on sys.path when run as a script


def make_data(rows: int, items: int, missing: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(rows)
    lam = rng.uniform(0.45, 0.8, items)
    z = f[:, None] * lam + rng.standard_normal((rows, items)) * np.sqrt(1 - lam**2)
    x = (np.digitize(z, [-1.5, -0.5, 0.5, 1.5]) + 1).astype(float)
    if missing > 0:
        x[rng.random(x.shape) < missing] = np.nan
    return pd.DataFrame(x, columns=[f"X{i + 1}" for i in range(items)])


def time_psych(csv: Path, n_iter: int) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    code = f"""
suppressMessages(library(psych))
x <- read.csv("{csv}")
t0 <- proc.time()[["elapsed"]]
a <- suppressWarnings(alpha(x, n.iter = 1))
t1 <- proc.time()[["elapsed"]]
b <- suppressWarnings(alpha(x, n.iter = {n_iter}))
t2 <- proc.time()[["elapsed"]]
cat(t1 - t0, t2 - t1, a$total$raw_alpha, b$boot.ci[1], b$boot.ci[3], "\\n")
"""
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    point, boot, raw, lo, hi = (float(v) for v in out.stdout.split())
    return {"psych_point_s": point, "psych_boot_s": boot, "psych_raw_alpha": raw, "psych_boot_ci": [lo, hi]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=40)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--r", action="store_true", help="also time psych::alpha(n.iter = n_boot) in R")
    ap.add_argument("--skip-missing-boot", action="store_true",
                    help="skip the bootstrap with missing values (pairwise covariances per resample)")
    ap.add_argument("--only", choices=["complete", "missing"], help="run one of the two data sets")
    ap.add_argument("--blas-threads", type=int,
                    help="limit BLAS threads (on a shared, busy machine 1 is faster: threads that wait for "
                         "each other's cores make matrix products up to 10x slower)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    import pingouin as pg

    if args.blas_threads:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn

        threadpool_limits(args.blas_threads)
    results = {"rows": args.rows, "items": args.items, "n_boot": args.n_boot, "cases": {}}
    for missing in (0.0, 0.01):
        if args.only and args.only != ("complete" if missing == 0 else "missing"):
            continue
        df = make_data(args.rows, args.items, missing, args.seed)
        label = "complete" if missing == 0 else "1% missing"
        case: dict = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_ours, res = best_of(lambda: alpha(df), args.repeat)
            t_pg, pg_res = best_of(lambda: pg.cronbach_alpha(df), args.repeat)
        case["alpha_point_s"] = t_ours
        case["pingouin_point_s"] = t_pg
        case["ratio_ours_to_pingouin"] = t_ours / t_pg
        case["raw_alpha"] = res.raw_alpha
        case["pingouin_alpha"] = float(pg_res[0])
        if missing == 0 or not args.skip_missing_boot:
            t0 = time.perf_counter()
            boot = alpha(df, ci="bootstrap", n_boot=args.n_boot, seed=1)
            case["alpha_bootstrap_s"] = time.perf_counter() - t0
            case["bootstrap_ci"] = [boot.summary.ci_low, boot.summary.ci_high]
        if args.r:
            with tempfile.TemporaryDirectory() as tmp:
                csv = Path(tmp) / "bench.csv"
                df.to_csv(csv, index=False, na_rep="NA")
                r = time_psych(csv, args.n_boot)
            if r:
                case.update(r)
        results["cases"][label] = case
        print(f"\n{label}: {args.rows:,} rows x {args.items} items", flush=True)
        for k, v in case.items():
            print(f"  {k:24s} {v:.4f}" if isinstance(v, float) else f"  {k:24s} {v}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
