"""Every speed goal in one table, each case beside its peer in the same run, as ratios.

    .venv/bin/python benchmarks/run_all.py                 # full sizes (several minutes on a busy box)
    .venv/bin/python benchmarks/run_all.py --quick         # smaller data, for a first look
    .venv/bin/python benchmarks/run_all.py --skip responses,reports
    .venv/bin/python benchmarks/run_all.py --only responses   # the read goals alone

Cases (each timed ``--repeat`` times; medians of wall and CPU seconds, the load average beside):

- alpha bootstrap, 100,000 x 40, 1,000 resamples, with 1% missing answers (pairwise) and complete:
  beside ``psych::alpha(x, n.iter = 1000)`` through Rscript (when installed; psych's per-resample
  time is taken from ``--psych-iter`` resamples inside R, start-up excluded, and scaled to 1,000);
- the same bootstrap on one thread: the default threading must not be slower;
- alpha point estimate beside ``pingouin.cronbach_alpha``;
- IKM of 483,200 SKM responses by unit and wave, with bootstrap intervals and without, beside a
  naive per-unit pandas loop (its bootstrap timed on a few groups and scaled);
- read + validate + score of a 1,000,000 x 40 and a 300,000 x 40 CSV beside ``pandas.read_csv``
  (time and peak memory, each step in a fresh process, the two alternating; the ratio is the
  median of the pairs' ratios, over ``--repeat`` pairs and at least 3);
- the report notebooks' own work on the small demo data (``profile_reports.py``) beside its goal.

``ratio`` is peer / ours for speed (above 1: we are faster) and ours / peer for the read goals
(below 2 meets the goal). Results go to ``outputs/bench/results.json``. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = HERE.parent


def timed(fn, repeat: int) -> dict:
    """Median wall and CPU seconds of ``repeat`` calls (CPU counts every thread of the process)."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus), "runs": len(walls),
            "load": round(os.getloadavg()[0], 1), "result": out}


def merge(runs: list) -> dict:
    """Medians over single runs made by :func:`timed`."""
    return {"wall_s": statistics.median(r["wall_s"] for r in runs), "cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "runs": len(runs), "load": runs[-1]["load"], "result": runs[-1]["result"]}


def psych_seconds(df, n_iter: int) -> float | None:
    """Seconds psych::alpha takes per bootstrap resample (timed inside R by
    ``bench_reliability.time_psych``, start-up and the point estimate excluded), or None without R."""
    from bench_reliability import time_psych

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "x.csv"
        df.to_csv(csv, index=False, na_rep="NA")
        try:
            r = time_psych(csv, n_iter)
        except subprocess.CalledProcessError:
            return None
    if r is None:
        return None
    per = (r["psych_boot_s"] - r["psych_point_s"]) / n_iter
    return per if per > 0 else None  # too few resamples to see them beside R's noise


def alpha_cases(args, rows: list) -> None:
    import pingouin as pg

    from bench_reliability import make_data
    from survey.reliability import alpha
    from survey.reliability._bootstrap import bootstrap_alphas

    n, p = (20_000, 40) if args.quick else (100_000, 40)
    for missing in (0.01, 0.0):
        label = "1% missing, pairwise" if missing else "complete"
        df = make_data(n, p, missing, 20261127)
        x = df.to_numpy()
        # interleaved, so the default threading and one thread see the same neighbours
        pairs = [(timed(lambda: bootstrap_alphas(x, 1000, 1, "pairwise"), 1),
                  timed(lambda: bootstrap_alphas(x, 1000, 1, "pairwise", workers=1), 1)) for _ in range(args.repeat)]
        ours, one = (merge([p[i] for p in pairs]) for i in (0, 1))
        per = psych_seconds(df, args.psych_iter) if not args.no_r else None
        rows.append(case(f"alpha bootstrap {n:,}x{p}, {label}, 1000 resamples", ours,
                         "psych::alpha n.iter=1000 (scaled)" if per is not None else "psych (not run)",
                         per * 1000 if per is not None else None, goal="< 10 s"))
        rows.append(case(f"  same, threading: default vs one BLAS thread, one worker", ours,
                         "one thread", one["wall_s"], goal="ratio >= 1"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            point = timed(lambda: alpha(df), args.repeat)
            peer = timed(lambda: pg.cronbach_alpha(df), args.repeat)
        rows.append(case(f"alpha point estimate + item stats, {label}", point, "pingouin.cronbach_alpha",
                         peer["wall_s"]))


def skm_cases(args, rows: list) -> None:
    import bench_skm
    from survey import skm

    df = bench_skm.make_data(n_units=30 if args.quick else 151)
    G = df.groupby(["unit_id", "wave"]).ngroups
    warnings.simplefilter("ignore", skm.SKMWarning)
    by = ["unit_id", "wave"]
    boot = timed(lambda: skm.ikm(df, by=by, ci="bootstrap", n_boot=1000), args.repeat)
    none = timed(lambda: skm.ikm(df, by=by, ci=None), args.repeat)
    naive = timed(lambda: bench_skm.naive(df), 1)
    sub = 5
    t0 = time.perf_counter()
    bench_skm.naive_bootstrap(df, sub, 100)
    naive_boot = (time.perf_counter() - t0) / sub * G * 10
    rows.append(case(f"IKM {len(df):,} responses by unit x wave ({G} groups), bootstrap 1000", boot,
                     "naive per-unit pandas loop (scaled)", naive_boot, goal="< 3 s busy"))
    rows.append(case(f"IKM {len(df):,} responses by unit x wave, no interval", none, "naive per-unit pandas loop",
                     naive["wall_s"], goal="< 0.5 s"))


STEP_RUNNER = HERE / "bench_responses.py"


def responses_cases(args, rows: list) -> None:
    import bench_responses as br

    d = Path(args.dir)
    d.mkdir(parents=True, exist_ok=True)
    inst = d / "bench40.yaml"
    inst.write_text(br.instrument_yaml(), encoding="utf-8")
    sizes = [100_000] if args.quick else [1_000_000, 300_000]
    for n in sizes:
        csv = d / f"responses_{n}.csv"
        if not csv.exists():
            br.write_csv(csv, n)
        reps = max(3, args.repeat)  # at least 3 pairs: one pair beside a busy neighbour moves no median
        base, ours = [], []
        for _ in range(reps):  # interleaved, so both see the same neighbours
            base.append(br.run("read_csv", csv, inst, 1))
            ours.append(br.run("read_score", csv, inst, 1))
        load = round(os.getloadavg()[0], 1)
        # CPU seconds (every thread) hardly depend on the neighbours: the time ratio without the noise
        cpu_ratio = statistics.median(o["cpu_s"] / b["cpu_s"] for b, o in zip(base, ours))
        for what, key in (("time", "seconds"), ("peak memory (MB)", "peak_mb")):
            # the ratio is the median of the pairs' ratios: the two runs of a pair ran side by side, so
            # a load change between pairs (other processes starting) cancels out
            ratios = [o[key] / b[key] for b, o in zip(base, ours)]
            timed = key == "seconds"
            rows.append({"case": f"read + validate + score {n:,} x 40 CSV: {what}",
                         "wall_s": statistics.median(r[key] for r in ours),
                         "cpu_s": statistics.median(r["cpu_s"] for r in ours) if timed else None,
                         "peer": f"pandas.read_csv (CPU ratio {cpu_ratio:.2f})" if timed else "pandas.read_csv",
                         "peer_s": statistics.median(r[key] for r in base),
                         "ratio": statistics.median(ratios), "ratio_kind": "ours/peer", "goal": "<= 2",
                         "load": load, "pair_ratios": [round(r, 3) for r in ratios],
                         "cpu_ratio": cpu_ratio if timed else None})


def report_cases(args, rows: list) -> None:
    import profile_reports as pr

    demo = Path(args.demo)
    if not (demo / "skm.csv").exists():
        subprocess.run([str(Path(sys.executable).parent / "survey"), "demo", "--out", str(demo), "--scale", "small"],
                       check=True, capture_output=True)
    for name, load in pr.loaders(demo, "KEL-01").items():
        r = pr.profile(name, load, 10, max(3, args.repeat))
        rows.append({"case": f"report {name}: own work (demo, small; median CPU)", "wall_s": r["wall_s"],
                     "cpu_s": r["cpu_s"], "peer": "goal", "peer_s": r["goal_s"], "ratio": r["cpu_s"] / r["goal_s"],
                     "ratio_kind": "ours/goal", "goal": f"< {r['goal_s']} s", "load": round(os.getloadavg()[0], 1),
                     "top": r["top"]})


def case(name: str, ours: dict, peer: str, peer_s: float | None, goal: str = "") -> dict:
    return {"case": name, "wall_s": ours["wall_s"], "cpu_s": ours["cpu_s"], "peer": peer, "peer_s": peer_s,
            "ratio": (peer_s / ours["wall_s"]) if peer_s else None, "ratio_kind": "peer/ours", "goal": goal,
            "load": ours["load"]}


def table(rows: list) -> str:
    head = f"{'case':78s} {'ours':>9s} {'cpu':>7s} {'peer':>9s} {'ratio':>7s}  {'kind':9s} {'goal':11s} load  peer"
    lines = [head, "-" * len(head)]
    for r in rows:
        f = lambda v, w, d=2: f"{v:{w}.{d}f}" if isinstance(v, (int, float)) else f"{'-':>{w}s}"  # noqa: E731
        lines.append(f"{r['case'][:78]:78s} {f(r['wall_s'], 9)} {f(r['cpu_s'], 7)} {f(r['peer_s'], 9)} "
                     f"{f(r['ratio'], 7)}  {r['ratio_kind']:9s} {r['goal']:11s} {r['load']:4.1f}  {r['peer']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller data sets")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; medians are shown")
    ap.add_argument("--psych-iter", type=int, default=10, help="psych resamples timed, then scaled to 1,000")
    ap.add_argument("--no-r", action="store_true", help="do not call R")
    ap.add_argument("--skip", default="", help="comma-separated: alpha, skm, responses, reports")
    ap.add_argument("--only", default="", help="comma-separated: run only these (same names as --skip)")
    ap.add_argument("--dir", default="/tmp/survey-bench", help="where the large CSV files are written once")
    ap.add_argument("--demo", default="/tmp/survey-bench/demo", help="small demo data (made when missing)")
    ap.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench" / "results.json")
    args = ap.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    rows: list = []
    steps = {"alpha": alpha_cases, "skm": skm_cases, "responses": responses_cases, "reports": report_cases}
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if only - set(steps):
        ap.error(f"--only: unknown case(s) {', '.join(sorted(only - set(steps)))} (known: {', '.join(steps)})")
    if only:
        skip |= set(steps) - only
    for name, fn in steps.items():
        if name in skip:
            continue
        t0 = time.perf_counter()
        fn(args, rows)
        print(f"[{name} done in {time.perf_counter() - t0:.0f} s]", file=sys.stderr, flush=True)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()}; wall and cpu are medians of {args.repeat} runs\n")
    print(table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": {"cores": os.cpu_count(), "load": os.getloadavg()},
                                    "repeat": args.repeat, "quick": args.quick,
                                    "cases": rows}, indent=2, default=float))
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
