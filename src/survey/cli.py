"""The ``survey`` command. Thin: parses arguments, calls the package, prints.

Every error a user can cause is printed as one line on stderr with exit code 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._checks import LANGS
from .errors import InstrumentError, SurveyError
from .files import atomic_path, atomic_write_text
from ._choices import DEMO_SEED, SCALES, SOURCES


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        sys.stderr.write(f"survey: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def _instrument_list(args) -> int:
    from .instrument import builtin_names, load_instrument

    for name in builtin_names():
        inst = load_instrument(name)
        n_items = len(inst.items)
        print(f"{name:20s} v{inst.version:8s} {n_items:3d} items  {inst.text(inst.title, 'en')}")
    return 0


def _instrument_show(args) -> int:
    from .report.outline import instrument_outline

    print(instrument_outline(args.name, args.lang))
    return 0


def _instrument_validate(args) -> int:
    from .instrument import validate_instrument_file

    problems = validate_instrument_file(args.file)
    if problems:
        print(f"{args.file}: {len(problems)} problem(s)", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 2
    print(f"{args.file}: valid")
    return 0


def _instrument_export(args) -> int:
    from . import forms

    out = Path(args.output)
    suffix = out.suffix.lower()
    allowed = {"xlsform": (".xlsx",), "codebook": (".csv", ".xlsx"), "questionnaire": (".html", ".htm", ".pdf")}
    if suffix not in allowed[args.to]:
        raise InstrumentError(f"-o {out}: a {args.to} is written as {' or '.join(allowed[args.to])}")
    if args.to == "xlsform":
        forms.to_xlsform(args.name, out)
        print(f"XLSForm written to {out} (checked with pyxform); upload it to KoboToolbox or ODK Central")
    elif args.to == "codebook":
        forms.write_codebook(args.name, out)
        print(f"Codebook written to {out}")
    else:
        forms.write_questionnaire(args.name, out, args.lang or "id")
        print(f"Questionnaire ({args.lang or 'id'}) written to {out}")
    return 0


def _instrument_import(args) -> int:
    from .forms import from_xlsform

    out = Path(args.output)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise InstrumentError(f"-o {out}: write the instrument as a .yaml file")
    if out.exists() and not args.force:
        raise InstrumentError(f"-o {out}: the file exists; choose another name or pass --force")
    inst, todo = from_xlsform(args.form)
    atomic_write_text(out, inst.to_yaml())
    print(f"{out}: instrument {inst.id!r} v{inst.version}, {len(inst.items)} items, "
          f"{len(inst.scales)} scales, {len(inst.constructs)} constructs")
    if todo:
        print(f"Still to add ({len(todo)}):")
        for line in todo:
            print(f"  - {line}")
    else:
        print("Nothing to add: the form carries everything the workbench needs.")
    return 0


def _read_mapping(path: str | None) -> dict[str, str] | None:
    """--map FILE: YAML mapping or a two-column CSV (file column, item name)."""
    if not path:
        return None
    import csv

    from ._yaml import loads_yaml
    from .errors import DataError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise DataError(f"--map {p}: cannot read it ({err.strerror})") from None
    if p.suffix.lower() == ".csv":
        rows = [r for r in csv.reader(text.splitlines()) if r]
        if rows and rows[0][:2] in (["column", "item"], ["file_column", "item"]):
            rows = rows[1:]
        data = {r[0].strip(): r[1].strip() for r in rows if len(r) >= 2}
    else:
        data = loads_yaml(text, f"--map {p}", error=DataError)
    if not isinstance(data, dict) or not data:
        raise DataError(f"--map {p}: give one 'file column: item name' pair per line")
    return {str(k): str(v) for k, v in data.items()}


def _read_recode(text: str | None) -> dict[str, int] | None:
    """--recode "A1=1,A2=2": answer codes of the file -> scale values."""
    if not text:
        return None
    from .errors import DataError

    out = {}
    for part in text.split(","):
        k, sep, v = part.partition("=")
        if not sep or not v.strip().lstrip("-").isdigit():
            raise DataError(f"--recode {text!r}: write code=value pairs separated by commas, e.g. A1=1,A2=2")
        out[k.strip()] = int(v)
    return out


def _validate_data(args) -> int:
    import csv

    from .responses import validate_data

    rep = validate_data(args.file, args.instrument, source=args.source, sheet=args.sheet,
                        header_row=args.header_row, encoding=args.encoding, sep=args.sep,
                        columns=_read_mapping(args.map), recode=_read_recode(args.recode), id_column=args.id_column,
                        required_items=not args.allow_missing_items,
                        accept_label_mismatch=args.accept_label_mismatch)
    for note in rep.attrs.get("notes", []):  # not problems, but the user should know (rows skipped, labels accepted)
        print(f"{args.file}: note: {note}", file=sys.stderr)
    if rep.empty:
        print(f"{args.file}: no problems found")
        return 0
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(list(rep.columns))
    for r in rep.itertuples(index=False):
        w.writerow(["" if v is None or (isinstance(v, float) and v != v) else
                    str(int(v)) if isinstance(v, float) else str(v).replace("\n", " ") for v in r])
    sys.stdout.flush()
    print(f"{args.file}: {len(rep)} problem(s)", file=sys.stderr)
    return 2


def _quality(args) -> int:
    from .responses import quality_flags, read_responses

    df = read_responses(args.file, args.instrument, source=args.source, keep_identifiers=False)
    q = quality_flags(df, args.instrument, min_seconds=args.min_seconds)
    print(f"{args.file}: {len(df)} responses")
    for r in q.summary.itertuples(index=False):
        print(f"  {r.flag:22s} {r.n:6d}  {r.percent:5.1f}%  {r.rule}")
    if args.output:
        out = Path(args.output)
        flags = q.flags.copy()
        id_col = next((c for c in ("respondent_id", "_uuid", "meta-instanceID", "id") if c in df.columns), None)
        if id_col:
            flags.insert(0, id_col, df[id_col])
        with atomic_path(out) as tmp:
            flags.to_csv(tmp, index=False)
        print(f"Flags per response written to {out}")
    return 0


def _salt_new(args) -> int:
    from .privacy import write_salt_file

    p = write_salt_file(args.path)
    print(f"New salt written to {p} (readable by you only). Keep it outside the project, never share it, "
          f"and set SURVEY_SALT_FILE={p}")
    return 0


def _scan(args) -> int:
    from .privacy import scan_for_identifiers

    found = 0
    for f in args.files:
        r = scan_for_identifiers(f)
        for row in r.itertuples(index=False):
            print(f"{row.file}:{row.line}:{row.column}: {row.kind} {row.match}")
        found += len(r)
    if found:
        print(f"{found} identifier-like text(s) found", file=sys.stderr)
        return 2
    print("no identifiers found")
    return 0


def _demo(args) -> int:
    from .simulate import generate

    files = generate(args.out, seed=args.seed, scale=args.scale)
    print(f"Synthetic demo data ({args.scale}, seed {args.seed}) written to {files.out_dir}:")
    for key, path in files.files.items():
        print(f"  {path}")
    return 0


def _run(args) -> int:
    from .reports import run_plan

    force = True if args.force and True in args.force else [f for f in (args.force or []) if f is not True]
    show = _progress_printer(sys.stdout)
    try:
        result = run_plan(args.plan, out=args.out, workers=args.workers, force=force, timeout=args.timeout,
                          executor=args.executor, scheduler=args.scheduler, max_reports=args.max_reports,
                          progress=show)
    finally:
        show.close()
    counts: dict[str, int] = {}
    for r in result.runs:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"{len(result.runs)} reports in {result.seconds:.1f} s: {summary}")
    print(f"Index: {result.index.resolve()}")
    if result.interrupted:
        sys.stderr.write("survey: interrupted; run the same command again to resume (finished reports are reused)\n")
    return result.exit_code


class _progress_printer:
    """A progress bar (done/total, failures, time left) on a terminal; one plain line per report when
    the output goes to a file or a CI log."""

    def __init__(self, stream):
        self.stream, self.bar, self.failed = stream, None, 0
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, run, done: int, total: int) -> None:
        if run.status not in ("ok", "cached"):
            self.failed += 1
        line = f"{run.status.upper() if run.status not in ('ok', 'cached') else run.status:8s} {run.spec.name} " \
               f"({run.seconds:.1f} s)" + (f"  {run.error}" if run.error and run.status != "cached" else "")
        if not self.tty:
            print(f"[{done}/{total}] {line}", file=self.stream, flush=True)
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, file=self.stream, unit="report", dynamic_ncols=True)
        if run.status not in ("ok", "cached"):
            self.bar.write(line)
        self.bar.set_postfix_str(f"failed {self.failed}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``survey`` command."""
    p = _Parser(prog="survey", description="Survey Workbench: instruments, field data, reliability, "
                "program impact, SKM/IKM and batch HTML reports.")
    p.add_argument("--version", action="version", version="survey-workbench 0.1.0")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_instrument_commands(sub)
    _add_data_commands(sub)
    _add_privacy_commands(sub)
    _add_demo_and_run(sub)
    return p


def _add_instrument_commands(sub) -> None:
    pi = sub.add_parser("instrument", help="list, show, validate, export (XLSForm, codebook, questionnaire) "
                        "and import (XLSForm) instruments")
    si = pi.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    x = si.add_parser("list", help="list the built-in instruments")
    x.set_defaults(func=_instrument_list)
    x = si.add_parser("show", help="show an instrument's constructs, items and answer options")
    x.add_argument("name", help="built-in name or YAML file")
    x.add_argument("--lang", choices=list(LANGS), help="language of texts and headings (default: the instrument's)")
    x.set_defaults(func=_instrument_show)
    x = si.add_parser("validate", help="check an instrument YAML file (exit 2 lists every problem)")
    x.add_argument("file")
    x.set_defaults(func=_instrument_validate)
    x = si.add_parser("export", help="write an XLSForm, a codebook or a printable questionnaire")
    x.add_argument("name", help="built-in name or YAML file")
    x.add_argument("--to", required=True, choices=["xlsform", "codebook", "questionnaire"])
    x.add_argument("-o", "--output", required=True,
                   help="xlsform: .xlsx; codebook: .csv or .xlsx; questionnaire: .html or .pdf")
    x.add_argument("--lang", choices=[*LANGS, "both"], help="questionnaire language (default id)")
    x.set_defaults(func=_instrument_export)
    x = si.add_parser("import", help="read an XLSForm into an instrument YAML; says what is still missing")
    x.add_argument("form", help="XLSForm .xlsx (e.g. downloaded from KoboToolbox)")
    x.add_argument("-o", "--output", required=True, help="instrument YAML to write")
    x.add_argument("--force", action="store_true", help="overwrite the output file")
    x.set_defaults(func=_instrument_import)


def _add_data_commands(sub) -> None:
    x = sub.add_parser("validate-data", help="check a response file against an instrument "
                       "(exit 2 lists every problem as CSV: file,row,column,value,problem,fix)")
    x.add_argument("file", help="CSV, XLSX or SAV export")
    x.add_argument("--instrument", required=True, help="built-in name or YAML file")
    x.add_argument("--source", default="auto", choices=list(SOURCES))
    x.add_argument("--sheet", help="worksheet name (default the first)")
    x.add_argument("--header-row", type=int, help="spreadsheet row with the column names (default detected)")
    x.add_argument("--encoding", help="text encoding when not UTF-8, e.g. cp1252")
    x.add_argument("--sep", help="delimiter when detection is wrong, e.g. ';'")
    x.add_argument("--map", help="YAML or CSV: file column -> item name (LimeSurvey codes such as Q1[SQ001])")
    x.add_argument("--recode", help="answer codes to scale values, e.g. A1=1,A2=2,A3=3")
    x.add_argument("--id-column", help="respondent id column checked for duplicates")
    x.add_argument("--allow-missing-items", action="store_true", help="do not report item columns absent from the file")
    x.add_argument("--accept-label-mismatch", action="store_true",
                   help="SPSS files: read codes as they are even when their value labels disagree with the "
                        "instrument's scale (reported as a note instead of a problem)")
    x.set_defaults(func=_validate_data)

    x = sub.add_parser("quality", help="data-quality flags: straight-lining, speeders, non-response, "
                       "contradicting reverse-keyed answers")
    x.add_argument("file", help="CSV, XLSX or SAV export")
    x.add_argument("--instrument", required=True, help="built-in name or YAML file")
    x.add_argument("--source", default="auto", choices=list(SOURCES))
    x.add_argument("--min-seconds", type=float, help="speeder threshold (default: half the median duration)")
    x.add_argument("-o", "--output", help="CSV with the flags of every response")
    x.set_defaults(func=_quality)


def _add_privacy_commands(sub) -> None:
    x = sub.add_parser("salt", help="create the secret salt used to pseudonymise NIP/NIK")
    ss = x.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    y = ss.add_parser("new", help="write a new random salt file (never overwrites)")
    y.add_argument("path")
    y.set_defaults(func=_salt_new)

    x = sub.add_parser("scan", help="look for NIP, NIK, phone numbers and e-mail addresses in HTML/CSV/XLSX "
                       "files (exit 2 when any is found)")
    x.add_argument("files", nargs="+")
    x.set_defaults(func=_scan)


def _add_demo_and_run(sub) -> None:
    x = sub.add_parser("demo", help="write synthetic Kota Medan demo data with a known truth")
    x.add_argument("--out", default="data/demo", help="folder (default data/demo)")
    x.add_argument("--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED}; same seed, same bytes)")
    x.add_argument("--scale", choices=list(SCALES), default="small",
                   help="small: a minute for the demo plan; full: 40 units, 2,000 employees")
    x.set_defaults(func=_demo)

    x = sub.add_parser("run", help="run a batch plan: notebooks -> HTML reports + index")
    x.add_argument("plan", help="plan YAML, e.g. notebooks/plans/demo.yml (notebooks are found in the "
                   "project's notebooks/ folder wherever the plan is)")
    x.add_argument("--workers", type=int, default=None, help="parallel reports (default: the number of cores)")
    x.add_argument("--out", default=None, help="output folder (default outputs/); reports go to OUT/<plan name>/")
    x.add_argument("--force", nargs="?", const=True, action="append", metavar="NAME",
                   help="run reports again even when nothing they depend on changed: every report (--force "
                        "or --force all), or the report NAME (repeat for more)")
    x.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="time limit per report when the plan sets none (default 1800)")
    x.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local process pool (default) or a Dask distributed cluster")
    x.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler, e.g. tcp://host:8786 (without it --executor dask starts a local cluster)")
    x.add_argument("--max-reports", type=int, default=10_000, metavar="N",
                   help="refuse plans that expand to more reports than this (default 10000)")
    x.set_defaults(func=_run)


def main(argv: list[str] | None = None) -> int:
    """Run ``survey ARGV``; returns the exit code (0 done, 1 some report failed, 2 the user must fix
    something, said in one line on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if getattr(args, "command", None) == "instrument":
            parser.error("instrument needs an action: list, show, validate, export or import")
        if getattr(args, "command", None) == "salt":
            parser.error("salt needs an action: new")
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (SurveyError,) as err:
        lines = str(err).splitlines()
        sys.stderr.write(f"survey: error: {lines[0]}\n")
        for line in lines[1:]:  # problem lists (one per line) follow the one-line summary
            sys.stderr.write(f"{line}\n")
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("survey: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
