"""`survey validate-data` on wide files: time against the number of columns.

    .venv/bin/python benchmarks/bench_validate.py                       # 1,000 and 10,000 columns
    .venv/bin/python benchmarks/bench_validate.py --columns 500 1000 2000 --rows 200 --timeout 300

For each width the script writes (once, to --dir) an instrument with that many select_one items
(constructs of 10 items, a 1-5 scale with missing code 9) and a CSV of --rows responses with one
column per item plus ``respondent_id``; a few cells hold problems (an out-of-range code, text in a
coded item, a duplicated id) so the report is not empty. Then it runs the ``survey validate-data``
command in a fresh process and reports the wall time (best of --repeat), and the time per column,
which stays flat when the work is linear in the number of columns. CPU time (user + system of the
command) is printed beside wall time because it barely moves when other work shares the machine.
A run that passes --timeout is stopped (by its own process id) and reported as such. ``--src``
runs another checkout's package (``git archive <commit> src | tar -x -C /tmp/old``) for a
before/after comparison.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

PER_CONSTRUCT = 10


def instrument_yaml(n_items: int) -> str:
    lines = [f"id: wide{n_items}", 'version: "1"', 'title: {id: "Lebar", en: "Wide"}',
             "languages: {id: Bahasa Indonesia, en: English}", "default_language: id", "scales:", "  agree5:",
             "    options:"]
    for v, lab in enumerate(["STS", "TS", "N", "S", "SS"], start=1):
        lines.append(f'    - {{value: {v}, label: {{id: "{lab}", en: "{lab}"}}}}')
    lines += ["    missing:", '    - {value: 9, label: {id: "Tidak menjawab", en: "No answer"}}', "constructs:"]
    n_constructs = (n_items + PER_CONSTRUCT - 1) // PER_CONSTRUCT
    for c in range(n_constructs):
        lines.append(f'  c{c}: {{label: {{id: "K{c}", en: "C{c}"}}}}')
    lines.append("items:")
    for k in range(n_items):
        lines.append(f"- {{name: Q{k}, scale: agree5, construct: c{k // PER_CONSTRUCT}, "
                     f'label: {{id: "Pertanyaan {k}", en: "Question {k}"}}}}')
    return "\n".join(lines) + "\n"


def write_inputs(folder: Path, n_cols: int, n_rows: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    inst = folder / f"wide{n_cols}.yaml"
    data = folder / f"wide{n_cols}x{n_rows}.csv"
    if not inst.exists():
        inst.write_text(instrument_yaml(n_cols), encoding="utf-8")
    if not data.exists():
        rng = np.random.default_rng(20171)
        x = rng.integers(1, 6, size=(n_rows, n_cols)).astype(str)
        x[rng.random((n_rows, n_cols)) < 0.02] = ""
        x[0, 0], x[1, 1] = "7", "x"  # two bad answers
        ids = [str(i + 1) for i in range(n_rows)]
        ids[-1] = ids[0]  # a duplicated respondent id
        with data.open("w", encoding="utf-8") as fh:
            fh.write("respondent_id," + ",".join(f"Q{k}" for k in range(n_cols)) + "\n")
            for i in range(n_rows):
                fh.write(ids[i] + "," + ",".join(x[i]) + "\n")
    return inst, data


def run_once(data: Path, inst: Path, timeout: float, src: Path | None) -> tuple[float | None, float, int, str]:
    """Wall and CPU seconds (user + system) of one ``survey validate-data`` run; CPU time is the
    steadier figure on a shared machine."""
    cmd = [sys.executable, "-m", "survey.cli", "validate-data", str(data), "--instrument", str(inst)]
    env = dict(os.environ)
    if src is not None:  # another checkout's package, e.g. the code before a change
        env["PYTHONPATH"] = str(src)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()  # this process only
        proc.communicate()
        return None, 0.0, -1, ""
    secs = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return secs, cpu, proc.returncode, (err.strip().splitlines() or [""])[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--columns", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/survey-bench-validate"))
    ap.add_argument("--src", type=Path, default=None,
                    help="run the package found in this src folder (e.g. an older checkout) instead")
    args = ap.parse_args()
    print(f"survey validate-data, {args.rows} rows; best of {args.repeat}"
          + (f"; package from {args.src}" if args.src else ""))
    print(f"{'columns':>8} {'wall s':>9} {'CPU s':>9} {'CPU ms/column':>14}  exit  last line")
    for n in args.columns:
        inst, data = write_inputs(args.dir, n, args.rows)
        best, cpu, rc, last = None, 0.0, 0, ""
        for _ in range(args.repeat):
            secs, c, rc, last = run_once(data, inst, args.timeout, args.src)
            if secs is None:
                break
            if best is None or c < cpu:
                best, cpu = secs, c
        if best is None:
            print(f"{n:>8} {'>' + format(args.timeout, '.0f'):>9} {'':>9} {'':>14}  stopped at the time limit")
            continue
        print(f"{n:>8} {best:>9.2f} {cpu:>9.2f} {1000 * cpu / n:>14.2f}  {rc:>4}  {last}")


if __name__ == "__main__":
    main()
