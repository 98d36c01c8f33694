"""Hostile plans (tests/fixtures/hostile/plans/): each is refused at the plan check with exit 2, a
PlanError naming the place, and nothing written."""
from __future__ import annotations

import shutil
import time
import tracemalloc
from pathlib import Path

import pytest

from survey.cli import main
from survey.errors import PlanError
from survey.reports import load_plan, run_plan

from nbfixtures import make_project

HOSTILE = Path(__file__).parent / "fixtures" / "hostile" / "plans"

CASES = [
    ("traversal_name.yml", r"reports\[0\]\.name: '\.\./\.\./\.\./victim' must be a plain folder name"),
    ("traversal_plan_name.yml", r"name: '\.\.' must be a plain folder name"),
    ("absolute_notebook.yml", r"reports\[0\]\.notebook: '/etc/passwd\.ipynb' must be a \.ipynb file named relative"),
    ("parent_notebook.yml", r"reports\[0\]\.notebook: '\.\./\.\./x\.ipynb' must be .* \(no absolute path, no '\.\.'\)"),
    ("alias_bomb.yml", r"alias_bomb\.yml: line \d+, column \d+: the aliases expand to more than"),
    ("wrong_type.yml", r"reports\[0\]\.parameters\.x: 'high' is a str, but square\.ipynb declares x as int"),
    ("wrong_type_grid.yml", r"reports\[0\]\.grid\.x\[2\]: 'three' is a str, but square\.ipynb declares x as int"),
    ("unknown_param.yml", r"reports\[0\]: unknown parameter 'colour' for square\.ipynb \(declared: x, lang, data, out_dir\)"),
    ("bad_yaml.yml", r"bad_yaml\.yml: line \d+, column \d+: not valid YAML"),
    ("python_tag.yml", r"python_tag\.yml: line 1, column 7: not valid YAML"),
    ("identifier_in_name.yml", r"its name holds what looks like a nip \(personal data\)"),
    ("bad_timeout.yml", r"timeout: -5 must be a positive number of seconds"),
    ("huge_grid.yml", r"expands to 1,000,000 reports, more than the limit of 10,000; .* --max-reports"),
]


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "p")


@pytest.mark.parametrize("name,words", CASES, ids=[c[0] for c in CASES])
def test_hostile_plan_refused(project, tmp_path, name, words):
    plan = project / "notebooks" / "plans" / name
    shutil.copy(HOSTILE / name, plan)
    # the victim folder of the traversal cases must survive untouched
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    with pytest.raises(PlanError, match=words):
        load_plan(plan, root=project)
    out = tmp_path / "out"
    with pytest.raises(PlanError):
        run_plan(plan, out=out, root=project)
    assert not out.exists()
    assert (victim / "keep.txt").read_text() == "precious"


def test_grid_value_with_a_path_becomes_a_plain_name(project):
    plan = project / "notebooks" / "plans" / "g.yml"
    shutil.copy(HOSTILE / "traversal_grid_value.yml", plan)
    assert [r.name for r in load_plan(plan, root=project).reports] == ["square-id", "square-x"]


def test_identifier_never_repeated_in_the_message(project):
    plan = project / "notebooks" / "plans" / "i.yml"
    shutil.copy(HOSTILE / "identifier_in_name.yml", plan)
    with pytest.raises(PlanError) as err:
        load_plan(plan, root=project)
    assert "report square-[nip] (square.ipynb): its name holds" in str(err.value)
    assert "1985" not in str(err.value)


def test_cli_says_it_in_one_line_exit_2(project, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(project)
    shutil.copy(HOSTILE / "wrong_type.yml", project / "notebooks" / "plans" / "w.yml")
    assert main(["run", "notebooks/plans/w.yml", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("survey: error: notebooks/plans/w.yml: the plan is wrong, nothing was run")
    assert "declares x as int" in err and "Traceback" not in err


def test_huge_grid_refused_fast_in_constant_memory(project):
    shutil.copy(HOSTILE / "huge_grid.yml", project / "notebooks" / "plans" / "h.yml")
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(PlanError, match="1,000,000 reports"):
        load_plan(project / "notebooks" / "plans" / "h.yml", root=project)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 30_000_000, peak     # the grid was never expanded (a million specs need gigabytes)
    assert seconds < 10
    # a higher limit is a deliberate choice
    small = project / "notebooks" / "plans" / "s.yml"
    small.write_text("name: s\nreports:\n  - notebook: square.ipynb\n    grid: {x: [1, 2, 3]}\n")
    with pytest.raises(PlanError, match="3 reports, more than the limit of 2"):
        load_plan(small, root=project, max_reports=2)


def test_symlinked_notebook_leading_outside_is_refused(project, tmp_path):
    outside = tmp_path / "evil.ipynb"
    shutil.copy(project / "notebooks" / "square.ipynb", outside)
    (project / "notebooks" / "link.ipynb").symlink_to(outside)
    plan = project / "notebooks" / "plans" / "l.yml"
    plan.write_text("name: l\nreports:\n  - notebook: link.ipynb\n")
    with pytest.raises(PlanError, match=r"'link\.ipynb' leads outside notebooks/"):
        load_plan(plan, root=project)


def test_subfolders_of_notebooks_are_allowed(project):
    sub = project / "notebooks" / "extra"
    sub.mkdir()
    shutil.copy(project / "notebooks" / "square.ipynb", sub / "sq.ipynb")
    plan = project / "notebooks" / "plans" / "ok.yml"
    plan.write_text("name: ok\nreports:\n  - notebook: extra/sq.ipynb\n    parameters: {x: 3}\n")
    assert load_plan(plan, root=project).reports[0].name == "sq"


def test_float_accepts_int_and_bool_is_not_int(project):
    plan = project / "notebooks" / "plans" / "b.yml"
    plan.write_text("name: b\nreports:\n  - notebook: square.ipynb\n    parameters: {x: true}\n")
    with pytest.raises(PlanError, match="True is a bool, but square.ipynb declares x as int"):
        load_plan(plan, root=project)


def test_index_never_repeats_an_identifier(project, tmp_path):
    """A figure text or an error line holding personal data reaches the index only as its kind."""
    from survey.reports import PlanRun, ReportRun, write_index
    from survey.privacy import find_identifiers

    plan = load_plan(_copy(project, "unknown_param.yml", "name: t\nreports:\n  - notebook: square.ipynb\n"), root=project)
    spec = plan.reports[0]
    out = tmp_path / "o"
    (out / spec.name).mkdir(parents=True)
    runs = [ReportRun(spec, "failed", out / spec.name, 1.0, "ValueError: no row for Ibu Siti Aminah, HP0812-3456-7890"),
            ReportRun(spec, "ok", out / spec.name, 1.0, None, {"top_competency": "NIP198503152010011002 <b>x</b>"})]
    index = write_index(PlanRun(plan, out, runs, 2.0), project).read_text()
    assert find_identifiers(index) == []
    assert "Siti" not in index and "3456" not in index and "19850315" not in index
    assert "[name]" in index and "[phone]" in index and "[nip]" in index
    assert "&lt;b&gt;x&lt;/b&gt;" in index  # escaped, never markup


def _copy(project, _name, text):
    p = project / "notebooks" / "plans" / "c.yml"
    p.write_text(text)
    return p
