"""Batch reports: `survey run` beside a naive loop of papermill + nbconvert CLI calls, as ratios.

Measured on the demo plan's SKM unit reports (05_service_satisfaction.ipynb, one per unit) in a
scratch copy of the project (demo data generated there; nothing in the checkout is written):

1. cold run: `survey run` against a loop of `papermill` + `jupyter nbconvert --to html --no-input`
   per report (goal: 6x or more on 2 cores);
2. unchanged plan run again (goal: under 2 s, every report reused);
3. one data file changed: only the reports that read it run again;
4. the local pool against `--executor dask` on a 2-worker LocalCluster (same figures, time within 20%).

    python benchmarks/bench_batch.py [--units N] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _project(units: list[str]) -> tuple[Path, Path]:
    d = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    shutil.copy(ROOT / "pyproject.toml", d)
    shutil.copytree(ROOT / "notebooks", d / "notebooks")
    subprocess.run([str(BIN / "survey"), "demo", "--out", "data/demo", "--scale", "small"], cwd=d, check=True,
                   capture_output=True)
    plan = d / "notebooks" / "plans" / "bench.yml"
    plan.write_text("name: bench\nreports:\n  - notebook: 05_service_satisfaction.ipynb\n    name: skm-unit\n"
                    "    parameters: {data: data/demo/skm.csv, units: data/demo/units.csv, lang: id}\n"
                    f"    grid: {{unit: [{', '.join(units)}]}}\n"
                    "  - notebook: 06_training_needs.ipynb\n    name: needs\n"
                    "    parameters: {data: data/demo/competency_needs.csv, records: data/demo/training_records.csv}\n")
    return d, plan


def _timed(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode not in (0,):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def _cell_seconds(notebook: Path) -> float:
    """The notebook's own time: the sum of papermill's per-cell durations."""
    nb = json.loads(notebook.read_text())
    return sum((c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0) for c in nb["cells"])


def _figures(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(out.glob("*/results.json"))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    units = ["CAM-01", "CAM-02", "CAM-03", "CAM-04", "KEL-01", "KEL-02", "KEL-03", "KEL-04", "KEL-05",
             "KEL-06", "KEL-07", "PKM-01"][:args.units]
    d, plan = _project(units)
    run = [str(BIN / "survey"), "run", str(plan), "--workers", str(args.workers)]
    try:
        # 1. naive loop over the same reports as the plan: papermill, then nbconvert, one at a time
        naive_out = d / "naive"
        naive_out.mkdir()
        jobs = [("05_service_satisfaction.ipynb", u, ["data", "data/demo/skm.csv", "units", "data/demo/units.csv",
                                                      "lang", "id", "unit", u]) for u in units]
        jobs.append(("06_training_needs.ipynb", "needs", ["data", "data/demo/competency_needs.csv",
                                                          "records", "data/demo/training_records.csv"]))
        t_naive = 0.0
        for notebook, name, params in jobs:
            nb = naive_out / f"{name}.ipynb"
            pairs = [x for k, v in zip(params[::2], params[1::2]) for x in ("-p", k, v)]
            t_naive += _timed([str(BIN / "papermill"), f"notebooks/{notebook}", str(nb), *pairs,
                               "-p", "out_dir", str(naive_out / name), "--cwd", str(d), "--no-progress-bar"], d)
            t_naive += _timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)], d)
        t_cold = _timed(run + ["--out", "out-local"], d)
        print(f"cold: survey run {t_cold:.1f} s, naive loop {t_naive:.1f} s, for the same {len(jobs)} reports "
              f"-> {t_naive / t_cold:.1f}x (goal >= 6x)")
        # 2. unchanged
        t_again = _timed(run + ["--out", "out-local"], d)
        print(f"unchanged plan again: {t_again:.2f} s (goal < 2 s)")
        # 3. one data file changed: only the training-needs report reads it
        f = d / "data" / "demo" / "competency_needs.csv"
        f.write_text(f.read_text() + "\n")
        proc = subprocess.run(run + ["--out", "out-local"], cwd=d, capture_output=True, text=True)
        ran = [line.split()[2] for line in proc.stdout.splitlines() if line.startswith("[") and " ok " in line]
        print(f"one data file changed: ran again {ran} (expected ['needs'])")
        # 4. Dask LocalCluster with 2 workers
        t_dask = _timed(run + ["--out", "out-dask", "--executor", "dask"], d)
        same = _figures(d / "out-local" / "bench") == _figures(d / "out-dask" / "bench")
        print(f"dask LocalCluster: {t_dask:.1f} s vs local pool {t_cold:.1f} s "
              f"({(t_dask / t_cold - 1) * 100:+.0f}%); same results.json figures: {same}")
        timing = [json.loads(p.read_text())["timing"] for p in (d / "out-dask" / "bench").glob("*/run.json")]
        if timing:
            avg = {k: sum(t[k] for t in timing) / len(timing) for k in ("startup", "execution", "export")}
            print("per report (dask, fresh kernel each): " + ", ".join(f"{k} {v:.1f} s" for k, v in avg.items()))
        timing = [json.loads(p.read_text())["timing"] for p in (d / "out-local" / "bench").glob("*/run.json")]
        avg = {k: sum(t.get(k, 0) for t in timing) / len(timing) for k in ("startup", "execution", "export")}
        print("per report (local pool, pre-started kernel): " + ", ".join(f"{k} {v:.1f} s" for k, v in avg.items()))
        # overhead = what a report costs beyond its notebook's own cells (papermill times each cell)
        runs = [json.loads(p.read_text()) for p in (d / "out-local" / "bench").glob("*/run.json")]
        cells = [_cell_seconds(d / "out-local" / "bench" / r["name"] / "notebook.ipynb") for r in runs]
        own = sum(cells)
        per = [r["seconds"] - c for r, c in zip(runs, cells)]
        print(f"overhead per report beyond its own cells (last cold run, local pool): mean {sum(per) / len(per):.2f} s, "
              f"max {max(per):.2f} s (goal about 1 s); whole run: {(t_cold * args.workers - own) / len(runs):.2f} "
              f"worker-seconds per report beyond the cells, start-up of the run included")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
