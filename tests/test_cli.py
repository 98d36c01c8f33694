"""The `survey` command as a user runs it: one-line errors, exit 2, no traceback.

Most tests call ``survey.cli.main`` in this process (starting Python and importing pandas for every
call would take most of the fast test tier); ``test_the_command_runs_as_its_own_process`` checks
that the real process behaves the same.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from survey.cli import main


@contextlib.contextmanager
def _environment(cwd, extra: dict[str, str]):
    old_cwd, old_env = os.getcwd(), dict(os.environ)
    os.environ.update(extra)
    if cwd is not None:
        os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)


def survey(*args, cwd=None, env_salt=False):
    """Run ``survey ARGS`` in this process; returns what subprocess.run would (returncode, stdout, stderr)."""
    extra = {"SURVEY_SALT": "cli-test-salt-0123456789"} if env_salt else {}  # for real data with identifiers
    out, err = io.StringIO(), io.StringIO()
    with _environment(cwd, extra), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as stop:  # argparse: --help, --version and usage errors
            code = stop.code if isinstance(stop.code, int) else 0
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_the_command_runs_as_its_own_process(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "survey.cli", *args], capture_output=True, text=True,
                              cwd=tmp_path)

    p = run("instrument", "show", "nope")
    assert p.returncode == 2 and "no such instrument file" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    p = run("instrument", "show", "skm_2017", "--lang", "en")
    assert p.returncode == 0 and "Constructs:" in p.stdout
    p = run("nonsense")
    assert p.returncode == 2 and "invalid choice" in p.stderr and "Traceback" not in p.stderr


def test_instrument_list_and_show():
    p = survey("instrument", "list")
    assert p.returncode == 0
    assert "skm_2017" in p.stdout and "training_reaction" in p.stdout
    p = survey("instrument", "show", "skm_2017", "--lang", "id")
    assert p.returncode == 0
    assert "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?" in p.stdout
    p = survey("instrument", "show", "skm_2017", "--lang", "en")
    assert "facilities and infrastructure" in p.stdout


def test_instrument_show_speaks_the_chosen_language_and_lists_answer_options():
    p = survey("instrument", "show", "skm_2017", "--lang", "id")
    assert p.returncode == 0, p.stderr
    assert "Konstruk:" in p.stdout and "Butir:" in p.stdout
    assert "Constructs:" not in p.stdout and "Items:" not in p.stdout
    # U1's four answer options, with their values, right after its question
    assert "Jawaban: 1 = Tidak sesuai; 2 = Kurang sesuai; 3 = Sesuai; 4 = Sangat sesuai" in p.stdout
    assert "Jawaban: 1 = Laki-laki; 2 = Perempuan" in p.stdout
    p = survey("instrument", "show", "skm_2017", "--lang", "en")
    assert "Constructs:" in p.stdout and "Items:" in p.stdout and "Konstruk:" not in p.stdout
    assert "Answers: 1 = Not appropriate; 2 = Less appropriate; 3 = Appropriate; 4 = Very appropriate" in p.stdout
    # missing codes are listed apart from the scored options
    p = survey("instrument", "show", "employee_survey", "--lang", "en")
    assert "Answers: 1 = Strongly disagree" in p.stdout and "; missing: 9 = " in p.stdout
    assert "(identifier)" in p.stdout


def test_help_names_every_instrument_action():
    p = survey("--help")
    assert p.returncode == 0
    line = p.stdout[p.stdout.index("instrument"):p.stdout.index("validate-data")]
    for action in ("list", "show", "validate", "export", "import"):
        assert action in line, action


def test_validate_valid_and_invalid(tmp_path):
    from survey import load_instrument

    good = tmp_path / "good.yaml"
    good.write_text(load_instrument("training_transfer").to_yaml(), encoding="utf-8")
    p = survey("instrument", "validate", str(good))
    assert p.returncode == 0 and "valid" in p.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("supervisor_support:", "supervisor_suport:", 1), encoding="utf-8")
    p = survey("instrument", "validate", str(bad))
    assert p.returncode == 2
    assert "unknown construct 'supervisor_support'" in p.stderr
    assert "constructs.supervisor_suport: no item measures this construct" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("args,needle", [
    (["nonsense"], "invalid choice"),
    (["instrument"], "needs an action"),
    (["instrument", "show", "nope"], "no such instrument file"),
    (["instrument", "show", "skm_2017", "--lang", "fr"], "invalid choice"),
    (["run", "missing.yml"], "plan file not found"),
    (["demo", "--seed", "abc"], "invalid int value"),
    (["demo", "--scale", "huge"], "invalid choice"),
    (["run", "notebooks/plans/demo.yml", "--workers", "0"], "at least 1"),
    (["run", "notebooks/plans/demo.yml", "--timeout", "0"], "--timeout must be a positive number"),
    (["run", "notebooks/plans/demo.yml", "--scheduler", "tcp://x:8786"], "--scheduler needs --executor dask"),
    (["run", "notebooks/plans/demo.yml", "--force", "nope"], "--force nope: no report of plan 'demo'"),
    (["run", "notebooks/plans/demo.yml", "--max-reports", "3"], "more than the limit of 3"),
])
def test_user_errors_are_one_line_exit_2(args, needle, root):
    p = survey(*args, cwd=root)
    assert p.returncode == 2, p.stdout + p.stderr
    assert needle in p.stderr
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_demo_writes_files(tmp_path):
    p = survey("demo", "--out", str(tmp_path / "d"), "--seed", "3")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "d" / "truth.json").exists()
    assert (tmp_path / "d" / "skm.csv").exists()


# ------------------------------------------------------------------------------------------------
# instruments travel: export, import, validate-data, salt, scan
# ------------------------------------------------------------------------------------------------
def test_instrument_export_and_import_round_trip(tmp_path):
    from pyxform.xls2xform import convert

    from survey import load_instrument

    x = tmp_path / "es.xlsx"
    p = survey("instrument", "export", "employee_survey", "--to", "xlsform", "-o", str(x))
    assert p.returncode == 0, p.stderr
    convert(xlsform=str(x))  # raises if pyxform rejects the form
    y = tmp_path / "es.yaml"
    p = survey("instrument", "import", str(x), "-o", str(y))
    assert p.returncode == 0, p.stderr
    assert "Nothing to add" in p.stdout
    assert load_instrument(y) == load_instrument("employee_survey")
    p = survey("instrument", "import", str(x), "-o", str(y))
    assert p.returncode == 2 and "--force" in p.stderr
    p = survey("instrument", "export", "skm_2017", "--to", "codebook", "-o", str(tmp_path / "cb.csv"))
    assert p.returncode == 0 and (tmp_path / "cb.csv").read_text(encoding="utf-8-sig").startswith("position,name")
    p = survey("instrument", "export", "skm_2017", "--to", "questionnaire", "--lang", "both",
               "-o", str(tmp_path / "q.html"))
    assert p.returncode == 0
    assert "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?" in (tmp_path / "q.html").read_text()
    p = survey("instrument", "export", "skm_2017", "--to", "xlsform", "-o", str(tmp_path / "x.csv"))
    assert p.returncode == 2 and "is written as .xlsx" in p.stderr and "Traceback" not in p.stderr


def test_instrument_import_foreign_form_lists_what_to_add(tmp_path):
    import openpyxl

    f = tmp_path / "kobo_form.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label"])
    ws.append(["select_one agree", "q1", "Saya puas"])
    ws.append(["geopoint", "loc", "Lokasi"])
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label"])
    for k, lab in enumerate(["Tidak setuju", "Netral", "Setuju"], start=1):
        ch.append(["agree", k, lab])
    wb.save(f)
    p = survey("instrument", "import", str(f), "-o", str(tmp_path / "i.yaml"))
    assert p.returncode == 0, p.stderr
    assert "Still to add" in p.stdout
    assert "loc (geopoint)" in p.stdout and "no constructs" in p.stdout


def test_validate_data_exit_codes(tmp_path, root):
    src = root / "tests" / "fixtures" / "sources"
    inst = str(src / "pelatihan_mini.yaml")
    p = survey("validate-data", str(src / "kobo.csv"), "--instrument", inst)
    assert p.returncode == 0 and "no problems" in p.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("REL1,REL2,_uuid\n4,7,a\n5,x,a\n", encoding="utf-8")
    p = survey("validate-data", str(bad), "--instrument", inst, "--allow-missing-items")
    assert p.returncode == 2
    lines = p.stdout.strip().splitlines()
    assert lines[0] == "file,row,column,value,problem,fix"
    body = lines[1:]
    assert len(body) == 3
    assert body[0].startswith(f"{bad},2,REL2,7,")
    assert body[1].startswith(f"{bad},3,REL2,x,")
    assert body[2].startswith(f"{bad},3,_uuid,a,")
    assert "Traceback" not in p.stderr
    m = tmp_path / "map.yaml"
    m.write_text("'Q1[SQ001]': REL1\n'Q1[SQ002]': REL2\n'Q1[SQ003]': REL3\n'Q1[SQ004]': REL4\nG1Q1: nip\n"
                 "G1Q2: umur\nG3Q1: komentar\n", encoding="utf-8")
    p = survey("validate-data", str(src / "limesurvey.csv"), "--instrument", inst, "--map", str(m),
               "--recode", "A1=1,A2=2,A3=3,A4=4,A5=5,A9=9", "--allow-missing-items")
    assert p.returncode == 0, p.stdout + p.stderr
    p = survey("validate-data", str(tmp_path / "nope.csv"), "--instrument", inst)
    assert p.returncode == 2 and "file not found" in p.stdout


def test_salt_and_scan(tmp_path):
    s = tmp_path / "salt"
    p = survey("salt", "new", str(s))
    assert p.returncode == 0 and len(s.read_text().strip()) >= 40
    p = survey("salt", "new", str(s))
    assert p.returncode == 2 and "already exists" in p.stderr
    h = tmp_path / "r.html"
    h.write_text("<p>hubungi 0812-3456-7890</p>", encoding="utf-8")
    p = survey("scan", str(h))
    assert p.returncode == 2 and "phone 08**********90" in p.stdout and "3456" not in p.stdout
    h.write_text("<p>IKM 88.31</p>", encoding="utf-8")
    assert survey("scan", str(h)).returncode == 0


def test_quality_summary(tmp_path, root):
    src = root / "tests" / "fixtures" / "sources"
    out = tmp_path / "flags.csv"
    p = survey("quality", str(src / "kobo.csv"), "--instrument", str(src / "pelatihan_mini.yaml"),
               "--min-seconds", "120", "-o", str(out), cwd=root, env_salt=True)
    assert p.returncode == 0, p.stderr
    assert "4 responses" in p.stdout
    # one speeder: the second response took 110 s (10:02:11 -> 10:04:01)
    assert re.search(r"speeder\s+1\s+25\.0%", p.stdout)
    flags = out.read_text().splitlines()
    assert flags[0].startswith("_uuid,") and len(flags) == 5


def test_run_progress_is_one_line_per_report_when_piped(tmp_path):
    """Not a terminal (CI log, pipe): one plain line per report, with done/total."""
    import io as _io

    from survey.cli import _progress_printer
    from survey.reports import ReportRun, ReportSpec

    buf = _io.StringIO()
    show = _progress_printer(buf)
    spec = ReportSpec("skm-unit-KEL-01", tmp_path / "05.ipynb", {})
    show(ReportRun(spec, "cached", tmp_path, 0.0), 1, 2)
    show(ReportRun(spec, "timeout", tmp_path, 30.0, "stopped after the time limit of 30 s"), 2, 2)
    show.close()
    assert buf.getvalue().splitlines() == [
        "[1/2] cached   skm-unit-KEL-01 (0.0 s)",
        "[2/2] TIMEOUT  skm-unit-KEL-01 (30.0 s)  stopped after the time limit of 30 s"]


def test_map_file_goes_through_the_bounded_yaml_loader(tmp_path, root):
    bomb = tmp_path / "map.yml"
    bomb.write_text("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{k}: &{k} [{', '.join(['*' + p] * 10)}]\n" for p, k in zip("abcdefgh", "bcdefghi")))
    p = survey("validate-data", tmp_path / "x.csv", "--instrument", "skm_2017", "--map", bomb, cwd=root)
    assert p.returncode == 2 and "--map" in p.stderr and "the aliases expand to more than" in p.stderr


HOSTILE_RESPONSES = Path(__file__).resolve().parent / "fixtures" / "hostile" / "responses"


def test_validate_data_prints_notes_and_accepts_a_label_mismatch_when_asked():
    # Empty rows are not problems, but the command says they were skipped (on stderr).
    r = survey("validate-data", HOSTILE_RESPONSES / "empty_rows.csv", "--instrument", "training_reaction")
    assert "note:" in r.stderr and "empty" in r.stderr.lower(), r.stderr
    # An SPSS file whose labels run the other way is a problem, unless the user accepts it explicitly.
    sav = HOSTILE_RESPONSES / "sav_reversed.sav"
    refused = survey("validate-data", sav, "--instrument", "training_reaction")
    assert refused.returncode == 2 and "run the other way" in refused.stdout
    accepted = survey("validate-data", sav, "--instrument", "training_reaction", "--accept-label-mismatch",
                      "--allow-missing-items")  # the file holds a few items only
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "no problems found" in accepted.stdout and "note:" in accepted.stderr


def test_the_run_command_path_loads_neither_pandas_nor_pydantic():
    # A `survey run` whose reports are all reused takes a fraction of a second because the command,
    # the runner, the index page and its wording and number formats import no pandas or pydantic;
    # an eager import anywhere on that path costs about a second on every re-run.
    code = ("import sys, survey.cli, survey.reports\n"
            "from survey.reports import index, plan, runner\n"
            "from survey.report import NOTICE, t, format_number, format_int\n"
            "format_number(1.5, 'id'); format_int(3, 'en'); t('index.interrupted', 'en')\n"
            "print(sorted(m for m in ('pandas', 'pydantic', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
