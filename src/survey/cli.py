"""The ``survey`` command. Thin: parses arguments, calls the package, prints.

Every error a user can cause is printed as one line on stderr with exit code 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InstrumentError, PlanError, SurveyError


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
    from .instrument import load_instrument

    inst = load_instrument(args.name)
    lang = args.lang or inst.default_language
    if lang not in inst.languages:
        raise InstrumentError(f"--lang {lang!r}: instrument {inst.id!r} has languages {', '.join(inst.languages)}")
    print(f"{inst.text(inst.title, lang)}  ({inst.id} v{inst.version})")
    if inst.constructs:
        print("\nConstructs:")
        for cid, c in inst.constructs.items():
            items = [i.name + ("(R)" if i.reverse else "") for i in inst.items if i.construct == cid]
            print(f"  {cid:22s} {inst.text(c.label, lang)}: {' '.join(items)} (min {c.min_answered} answered)")
    print("\nItems:")
    for it in inst.items:
        scale = ""
        if it.scale:
            sc = inst.scales[it.scale]
            scale = f" [{sc.min}-{sc.max}" + (f"; missing {','.join(map(str, sc.missing_values))}" if sc.missing else "") + "]"
        flags = "".join([" (reverse)" if it.reverse else "", " (identifier)" if it.identifier else ""])
        print(f"  {it.name:14s} {it.type}{scale}{flags}\n      {inst.text(it.label, lang)}")
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


def _demo(args) -> int:
    from .simulate import generate

    files = generate(args.out, seed=args.seed, scale=args.scale)
    print(f"Synthetic demo data ({args.scale}, seed {args.seed}) written to {files.out_dir}:")
    for key, path in files.files.items():
        print(f"  {path}")
    return 0


def _run(args) -> int:
    from .reports import run_plan

    result = run_plan(args.plan, out=args.out, workers=args.workers)
    for r in sorted(result.runs, key=lambda x: x.spec.name):
        mark = "ok    " if r.status == "ok" else "FAILED"
        extra = f"  {r.error}" if r.error else ""
        print(f"{mark} {r.spec.name} ({r.seconds:.1f} s){extra}")
    n_ok = sum(r.status == "ok" for r in result.runs)
    print(f"{n_ok}/{len(result.runs)} reports succeeded in {result.seconds:.0f} s")
    print(f"Index: {result.index.resolve()}")
    return result.exit_code


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="survey", description="Survey Workbench: instruments, field data, reliability, "
                "program impact, SKM/IKM and batch HTML reports.")
    p.add_argument("--version", action="version", version="survey-workbench 0.1.0")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    pi = sub.add_parser("instrument", help="list, show and validate instruments")
    si = pi.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    x = si.add_parser("list", help="list the built-in instruments")
    x.set_defaults(func=_instrument_list)
    x = si.add_parser("show", help="show an instrument's constructs and items")
    x.add_argument("name", help="built-in name or YAML file")
    x.add_argument("--lang", choices=["id", "en"], help="language of the texts (default: the instrument's)")
    x.set_defaults(func=_instrument_show)
    x = si.add_parser("validate", help="check an instrument YAML file (exit 2 lists every problem)")
    x.add_argument("file")
    x.set_defaults(func=_instrument_validate)

    x = sub.add_parser("demo", help="write synthetic Kota Medan demo data with a known truth")
    x.add_argument("--out", default="data/demo", help="folder (default data/demo)")
    x.add_argument("--seed", type=int, default=20261127, help="random seed (same seed, same bytes)")
    x.add_argument("--scale", choices=["small", "full"], default="small",
                   help="small: a minute for the demo plan; full: 40 units, 2,000 employees")
    x.set_defaults(func=_demo)

    x = sub.add_parser("run", help="run a batch plan: notebooks -> HTML reports + index")
    x.add_argument("plan", help="plan YAML, e.g. notebooks/plans/demo.yml")
    x.add_argument("--workers", type=int, default=None, help="parallel reports (default: the number of cores)")
    x.add_argument("--out", default=None, help="output folder (default outputs/); reports go to OUT/<plan name>/")
    x.set_defaults(func=_run)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if getattr(args, "command", None) == "instrument":
            parser.error("instrument needs an action: list, show or validate")
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
