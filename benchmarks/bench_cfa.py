"""CFA speed beside lavaan: WLSMV on 20 ordinal items x 10,000 rows and MLR on 40 items x
100,000 rows, on the same synthetic data (written to a temporary CSV). lavaan is timed inside R
(``system.time`` around ``cfa()``; R's start-up and reading the CSV are excluded), ours around
``survey.reliability.cfa`` (reading excluded). Prints elapsed and CPU seconds (user + system, all
threads) for both and the ratios ours / lavaan; on a shared, busy machine the CPU ratio is the
fair one. Goal: a ratio at most 1.

Run: ``.venv/bin/python benchmarks/bench_cfa.py [--quick]``.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_of  # noqa: E402

from survey.reliability import cfa  # noqa: E402


def make_data(rows: int, factors: int, per_factor: int, ordinal: bool, seed: int) -> tuple[pd.DataFrame, str]:
    """Correlated factors (r = 0.3), loadings 0.5-0.8; ordinal items cut into 5 categories."""
    rng = np.random.default_rng(seed)
    phi = np.full((factors, factors), 0.3) + 0.7 * np.eye(factors)
    eta = rng.standard_normal((rows, factors)) @ np.linalg.cholesky(phi).T
    cols, lines = {}, []
    for k in range(factors):
        names = []
        for j in range(per_factor):
            lam = 0.5 + 0.3 * j / max(per_factor - 1, 1)
            y = lam * eta[:, k] + np.sqrt(1 - lam**2) * rng.standard_normal(rows)
            name = f"y{k + 1}_{j + 1}"
            cols[name] = np.digitize(y, [-1.5, -0.5, 0.5, 1.5]) + 1 if ordinal else y
            names.append(name)
        lines.append(f"f{k + 1} =~ " + " + ".join(names))
    return pd.DataFrame(cols), "\n".join(lines)


def time_lavaan(csv: Path, model: str, estimator: str, ordinal: bool) -> tuple[float, ...] | None:
    if shutil.which("Rscript") is None:
        return None
    ordered = "ordered = names(d), " if ordinal else ""
    code = (f"suppressMessages(library(lavaan)); d <- read.csv('{csv}'); m <- '{model}'; "
            f"t <- system.time(f <- cfa(m, d, {ordered}estimator = '{estimator}')); "
            "fm <- fitMeasures(f, c('chisq', 'chisq.scaled')); "
            "cat(t[['elapsed']], t[['user.self']] + t[['sys.self']], fm, '\\n')")
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    return tuple(float(v) for v in out.stdout.split()[:4])


def run(name: str, rows: int, factors: int, per_factor: int, estimator: str, ordinal: bool, tmp: Path) -> None:
    data, model = make_data(rows, factors, per_factor, ordinal, seed=20171)
    csv = tmp / f"{name}.csv"
    data.to_csv(csv, index=False)
    c0 = time.process_time()
    t_ours, res = best_of(lambda: cfa(data, model, ordered=True if ordinal else None, estimator=estimator), repeat=1)
    c_ours = time.process_time() - c0
    f = res.fit
    print(f"{name}: {data.shape[1]} items x {rows:,} rows, {estimator}")
    print(f"  survey: {t_ours:8.2f} s elapsed {c_ours:8.2f} s CPU   chisq {f.chisq:.4f}  "
          f"chisq_scaled {f.chisq_scaled:.4f}", flush=True)
    r = time_lavaan(csv, model, estimator, ordinal)
    if r is None:
        print("  lavaan: Rscript not installed")
        return
    t_r, c_r, chi_r, chis_r = r
    print(f"  lavaan: {t_r:8.2f} s elapsed {c_r:8.2f} s CPU   chisq {chi_r:.4f}  chisq.scaled {chis_r:.4f}")
    print(f"  ratio survey / lavaan: elapsed {t_ours / t_r:.2f}, CPU {c_ours / c_r:.2f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the rows")
    ap.add_argument("--only", choices=("wlsmv", "mlr"), help="run one of the two")
    args = ap.parse_args(argv)
    q = 10 if args.quick else 1
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "wlsmv"):
            run("wlsmv", 10_000 // q, 4, 5, "WLSMV", True, Path(tmp))
        if args.only in (None, "mlr"):
            run("mlr", 100_000 // q, 4, 10, "MLR", False, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
