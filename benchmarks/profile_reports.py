"""Profile the package calls each report notebook makes, on the small demo data.

    .venv/bin/survey demo --out /tmp/demo --scale small
    .venv/bin/python benchmarks/profile_reports.py --demo /tmp/demo [--top 15] [--repeat 5] [--json out.json]

For each report (the SKM unit report, reliability with factor analysis, program impact, training
needs) it makes the same calls as the notebook: ``<Report>.load(...)`` with the notebook's default
parameters, then every section, then ``write_results``; nothing is displayed. Imports are done
before the clock starts (a kernel pays them once), so the time is the report's own work. Wall
and CPU time (median and fastest of ``--repeat`` runs) are both printed (on a shared machine
wall time also measures the neighbours), then
the profile's top lines by cumulative time inside the package, and a last table of CPU time
against each report's goal. The clock runs without the profiler (cProfile doubles the cost of the
figures, whose drawing is many small Python calls), from the state a batch kernel starts in (the
zygote's imports, message catalogs, built-in instruments, locales and fonts, its frozen garbage
collector); a second, profiled run gives the top lines.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

SECTIONS = {
    "skm_unit": ["header", "summary", "unsur_figure", "processing_table", "excluded_note", "waves_table",
                 "trend_figure", "priorities", "ranking", "kecamatan_heat", "type_trend", "changes", "methods"],
    "reliability": ["header", "summary", "construct_table", "analysis_notes", "waves_table", "multilevel_table",
                    "item_analysis", "correlations", "factor_analysis_section", "methods"],
    "impact": ["header", "summary", "coef_figure", "estimates_table", "adoption_table", "event_study", "mediation",
               "planning", "methods"],
    "needs": ["header", "summary", "sector_table", "figures", "recommendations", "unit_heatmap", "jp_section",
              "methods"],
}
GOALS = {"skm_unit": 0.5, "reliability": 1.5, "impact": 1.5, "needs": 1.5}


def loaders(demo: Path, unit: str) -> dict:
    """The notebooks' load calls with their default parameters, on the demo folder."""
    from survey.report.impact import ImpactReport
    from survey.report.needs import NeedsReport
    from survey.report.reliability import ReliabilityReport
    from survey.report.skm import SKMReport

    d = str(demo)
    return {
        "skm_unit": lambda: SKMReport.load(f"{d}/skm.csv", f"{d}/units.csv", unit=unit, waves="all", regime="2017",
                                           weights="exact", instrument="skm_2017", ci="bootstrap", n_boot=1000,
                                           seed=20171, min_cell=5, lang="id", agency="BKPSDM Kota Medan"),
        "reliability": lambda: ReliabilityReport.load(f"{d}/training_reaction.csv", "training_reaction",
                                                      construct="all", ci="feldt", min_r_drop=0.30, seed=20261127,
                                                      factor_analysis=True, min_cell=5, lang="id",
                                                      agency="BKPSDM Kota Medan", id="employee_id", wave="wave"),
        "impact": lambda: ImpactReport.load(f"{d}/employee_survey.csv", skm=f"{d}/skm.csv",
                                            instrument="employee_survey", outcome="managerial",
                                            program="kepemimpinan", records=f"{d}/training_records.csv",
                                            design="staggered", se="cr2", leads=2, lags=2, n_boot=9999, seed=20171,
                                            truth="", lang="id", agency="BKPSDM Kota Medan"),
        "needs": lambda: NeedsReport.load(f"{d}/competency_needs.csv", instrument="competency_needs",
                                          records=f"{d}/training_records.csv", catalog="", sector="all", threshold=1,
                                          mean_cut=1.0, share_cut=0.5, jp_floor=20, first_year=2024,
                                          waves_per_year=2, min_cell=5, lang="id", agency="BKPSDM Kota Medan"),
    }


def machine_speed() -> float:
    """CPU seconds of a fixed pure-Python loop (ten million additions): how fast the machine is
    right now. On a shared virtual machine it varies by half from one minute to the next, and
    the reports' times move with it; the figure beside each report lets runs be compared."""
    c0 = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - c0


def run_report(name: str, load, out_dir: Path) -> None:
    rep = load()
    for section in SECTIONS[name]:
        getattr(rep, section)()
    rep.write_results(str(out_dir))


def profile(name: str, load, top: int, repeat: int = 5) -> dict:
    import matplotlib.pyplot as plt

    from survey.reports.zygote import prepare

    prepare()  # the state a batch kernel starts from: imports, catalogs, instruments, fonts, frozen GC
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # timed without the profiler (it doubles the cost of matplotlib's many small calls), after
        # one untimed run (first-use caches a kernel fills in its first cells), ``repeat`` times:
        # on a shared machine one run measures the neighbours as much as the report
        run_report(name, load, Path(tmp))
        plt.close("all")
        walls, cpus = [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            run_report(name, load, Path(tmp))
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            plt.close("all")
        # ... then profiled for the top lines
        prof = cProfile.Profile()
        prof.enable()
        run_report(name, load, Path(tmp))
        prof.disable()
        plt.close("all")
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf)
    st.sort_stats("cumulative").print_stats(r"survey", top)
    lines = [ln for ln in buf.getvalue().splitlines() if "survey" in ln and "{" not in ln][:top]
    return {"report": name, "wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus),
            "cpu_min_s": min(cpus), "repeat": repeat, "goal_s": GOALS[name], "top": lines}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", type=Path, default=Path("/tmp/h15demo"))
    ap.add_argument("--unit", default="KEL-01", help="unit of the SKM unit report")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per report (median and min are shown)")
    ap.add_argument("--only", choices=list(SECTIONS))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")  # no display; figures are still drawn
    if not (args.demo / "skm.csv").exists():
        print(f"no demo data in {args.demo}: run `survey demo --out {args.demo} --scale small`", file=sys.stderr)
        return 2
    out = []
    for name, load in loaders(args.demo, args.unit).items():
        if args.only and name != args.only:
            continue
        with warnings.catch_warnings():  # imports and first-use set-up, outside the clock
            warnings.simplefilter("ignore")
            import survey.impact, survey.reliability, survey.skm, survey.needs, survey.plots, survey.responses  # noqa: E401,F401
        speed = machine_speed()
        r = profile(name, load, args.top, args.repeat)
        r["machine_loop_s"] = round(speed, 3)
        out.append(r)
        print(f"\n== {name}: median of {r['repeat']} runs: wall {r['wall_s']:.2f} s, cpu {r['cpu_s']:.2f} s "
              f"(min {r['cpu_min_s']:.2f}; goal < {r['goal_s']} s), load {os.getloadavg()[0]:.1f}, "
              f"reference loop {speed:.2f} s")
        print("   ncalls  tottime  percall  cumtime  percall filename:lineno(function)")
        for ln in r["top"]:
            print(ln)
    print("\n   report        cpu s (median)  cpu s (min)  goal s   wall s (median)")
    for r in out:
        mark = "ok" if r["cpu_s"] < r["goal_s"] else "over"
        print(f"   {r['report']:12s} {r['cpu_s']:14.2f}  {r['cpu_min_s']:11.2f}  {r['goal_s']:6.2f}   "
              f"{r['wall_s']:15.2f}   {mark}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
