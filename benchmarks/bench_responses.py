"""Read, validate and score a large response file, beside plain ``pandas.read_csv`` of the same file.

    .venv/bin/python benchmarks/bench_responses.py            # 1,000,000 rows x 40 items
    .venv/bin/python benchmarks/bench_responses.py --rows 100000

Each step runs in a fresh Python process so peak memory (VmHWM) belongs to that step only; the
import baseline is subtracted. Goal: read + validate + score (``read_score``) in at most 2x
read_csv's time and at most 2x its peak memory (``run_all.py --only responses`` alternates the two
and takes the median of the pairs' ratios). The CSV is synthetic (written once to --dir, then
reused): items 1-5 with about 2% blanks and 1% missing code 9, plus respondent_id, unit_id, wave,
duration_sec.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

N_CONSTRUCTS, PER_CONSTRUCT = 8, 5  # 40 items

STEP = r"""
import json, resource, sys, time
import pandas as pd
import survey
from survey.responses import read_responses, score, validate_data
path, inst_path, step = sys.argv[1], sys.argv[2], sys.argv[3]
inst = survey.load_instrument(inst_path)
def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
base = rss_mb()
t, cpu = time.perf_counter(), time.process_time()
if step == "read_csv":
    df = pd.read_csv(path)
elif step == "read_responses":
    df = read_responses(path, inst)
elif step == "read_score":
    df = score(read_responses(path, inst), inst)
elif step == "validate_data":
    df = validate_data(path, inst)
secs, cpu = time.perf_counter() - t, time.process_time() - cpu  # CPU: every thread, load-independent
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the process that started this one
with open("/proc/self/status") as fh:
    peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
print(json.dumps(dict(step=step, seconds=secs, cpu_s=cpu, peak_mb=peak - base, rows=len(df),
                      frame_mb=float(df.memory_usage(deep=True).sum()) / 2**20)))
"""


def instrument_yaml() -> str:
    lines = ['id: bench40', 'version: "1"', 'title: {id: "Bench", en: "Bench"}',
             'languages: {id: Bahasa Indonesia, en: English}', 'default_language: id', 'scales:', '  agree5:',
             '    options:']
    for v, lab in enumerate(["STS", "TS", "N", "S", "SS"], start=1):
        lines.append(f'    - {{value: {v}, label: {{id: "{lab}", en: "{lab}"}}}}')
    lines += ['    missing:', '    - {value: 9, label: {id: "Tidak menjawab", en: "No answer"}}', 'constructs:']
    for c in range(N_CONSTRUCTS):
        lines.append(f'  c{c}: {{label: {{id: "K{c}", en: "C{c}"}}, min_answered: 3}}')
    lines.append("items:")
    for c in range(N_CONSTRUCTS):
        for k in range(PER_CONSTRUCT):
            rev = ", reverse: true" if k == PER_CONSTRUCT - 1 else ""
            lines.append(f'- {{name: C{c}_{k + 1}, scale: agree5, construct: c{c}{rev}, '
                         f'label: {{id: "Butir {c}.{k + 1}", en: "Item {c}.{k + 1}"}}}}')
    return "\n".join(lines) + "\n"


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    names = [f"C{c}_{k + 1}" for c in range(N_CONSTRUCTS) for k in range(PER_CONSTRUCT)]
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(",".join(["respondent_id", "unit_id", "wave", "duration_sec", *names]) + "\n")
        chunk = 100_000
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            vals = rng.integers(1, 6, size=(n, len(names))).astype("U1").astype(object)
            u = rng.random((n, len(names)))
            vals[u < 0.02] = ""
            vals[(u >= 0.02) & (u < 0.03)] = "9"
            meta = pd.DataFrame({"respondent_id": [f"R{start + i:07d}" for i in range(n)],
                                 "unit_id": rng.choice([f"KEL-{i:02d}" for i in range(40)], n),
                                 "wave": rng.integers(1, 7, n), "duration_sec": rng.integers(60, 1800, n)})
            block = pd.concat([meta, pd.DataFrame(vals, columns=names)], axis=1)
            block.to_csv(fh, header=False, index=False)
    os.replace(tmp, path)


def run(step: str, csv: Path, inst: Path, repeat: int) -> dict:
    """Best time of ``repeat`` fresh processes (the machine is shared), largest peak memory."""
    best: dict | None = None
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", STEP, str(csv), str(inst), step], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"{step} failed:\n{out.stderr}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if best is None:
            best = r
        else:
            best["seconds"] = min(best["seconds"], r["seconds"])
            best["cpu_s"] = min(best["cpu_s"], r["cpu_s"])
            best["peak_mb"] = max(best["peak_mb"], r["peak_mb"])
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dir", default="/tmp/survey-bench")
    ap.add_argument("--repeat", type=int, default=3, help="runs per step; the best time is shown")
    args = ap.parse_args()
    d = Path(args.dir)
    d.mkdir(parents=True, exist_ok=True)
    inst = d / "bench40.yaml"
    inst.write_text(instrument_yaml(), encoding="utf-8")
    csv = d / f"responses_{args.rows}.csv"
    if not csv.exists():
        t = time.perf_counter()
        write_csv(csv, args.rows)
        print(f"wrote {csv} ({csv.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - t:.0f} s")
    base = run("read_csv", csv, inst, args.repeat)
    print(f"{'step':16s} {'seconds':>8s} {'x read_csv':>10s} {'peak MB':>8s} {'x read_csv':>10s} {'x frame':>8s}")
    print(f"{'pandas.read_csv':16s} {base['seconds']:8.2f} {1:10.2f} {base['peak_mb']:8.0f} {1:10.2f} "
          f"{base['peak_mb'] / base['frame_mb']:8.2f}   (frame {base['frame_mb']:.0f} MB)")
    for step in ("read_responses", "read_score", "validate_data"):
        r = run(step, csv, inst, args.repeat)
        print(f"{step:16s} {r['seconds']:8.2f} {r['seconds'] / base['seconds']:10.2f} {r['peak_mb']:8.0f} "
              f"{r['peak_mb'] / base['peak_mb']:10.2f} {r['peak_mb'] / base['frame_mb']:8.2f}")


if __name__ == "__main__":
    main()
