"""The batch runner, on real notebooks executed by papermill in a process pool.

Checking a plan only reads notebooks (fast); running one starts kernels (marked ``slow``).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from survey import PlanError
from survey.reports import load_plan, run_plan

from nbfixtures import make_project


def _plan(root: Path, text: str) -> Path:
    p = root / "notebooks" / "plans" / "t.yml"
    p.write_text(text)
    return p


def test_grid_expansion_and_paths(tmp_path):
    root = make_project(tmp_path)
    (root / "data").mkdir()
    (root / "data" / "x.csv").write_text("a\n1\n")
    plan = load_plan(_plan(root, "name: t\nreports:\n  - notebook: square.ipynb\n    parameters: {lang: data/x.csv}\n    grid: {x: [1, 2, 3], data: ['', data/y.csv]}\n"), root=root)
    assert [r.name for r in plan.reports] == ["square-1-none", "square-1-data-y.csv", "square-2-none",
                                              "square-2-data-y.csv", "square-3-none", "square-3-data-y.csv"]
    # an existing root-relative path reaches the notebook as an absolute path
    assert plan.reports[0].parameters["lang"] == str((root / "data" / "x.csv").resolve())
    # a path parameter is absolute even before the file exists; an empty one stays empty
    assert plan.reports[0].parameters["data"] == ""
    assert plan.reports[1].parameters["data"] == str((root / "data" / "y.csv").resolve())


@pytest.mark.parametrize("text,match", [
    ("name: t\nreports:\n  - notebook: square.ipynb\n    parameters: {y: 1}\n", "unknown parameter 'y'"),
    ("name: t\nreports:\n  - notebook: nope.ipynb\n", "'nope.ipynb' not found"),
    ("name: t\nreports: [\n", "not valid YAML"),
    ("name: t\nreports:\n  - notebook: square.ipynb\n    grid: {x: 3}\n", "non-empty list"),
    ("name: t\nreports:\n  - notebook: square.ipynb\n    parameters: {out_dir: a}\n", "set by the runner"),
])
def test_wrong_plans_are_refused(tmp_path, text, match):
    root = make_project(tmp_path)
    with pytest.raises(PlanError, match=match):
        load_plan(_plan(root, text), root=root)


def test_plan_file_anywhere_runs_in_the_current_project(tmp_path, monkeypatch):
    """Notebooks and paths resolve against the project, never against the plan's own folder."""
    root = make_project(tmp_path / "project")
    elsewhere = tmp_path / "scratch"
    elsewhere.mkdir()
    plan_file = elsewhere / "t.yml"
    plan_file.write_text("name: t\nreports:\n  - notebook: square.ipynb\n    parameters: {data: data/x.csv}\n")
    monkeypatch.delenv("SURVEY_PROJECT_ROOT", raising=False)
    monkeypatch.chdir(root)
    plan = load_plan(plan_file)
    assert plan.reports[0].notebook == root / "notebooks" / "square.ipynb"
    assert plan.reports[0].parameters["data"] == str((root / "data" / "x.csv").resolve())
    # a plan inside a project (in any folder of it) runs in that project, wherever the caller is
    inner = root / "analyses" / "t.yml"
    inner.parent.mkdir()
    inner.write_text(plan_file.read_text())
    monkeypatch.chdir(elsewhere)
    assert load_plan(inner).reports[0].notebook == root / "notebooks" / "square.ipynb"


def test_bad_worker_count_writes_nothing(tmp_path):
    root = make_project(tmp_path)
    out = tmp_path / "out"
    with pytest.raises(PlanError, match="at least 1"):
        run_plan(_plan(root, "name: t\nreports:\n  - notebook: square.ipynb\n"), out=out, workers=0, root=root)
    assert not out.exists()


def test_unknown_parameter_exits_2_and_runs_nothing(tmp_path):
    root = make_project(tmp_path)
    plan = _plan(root, "name: t\nreports:\n  - notebook: square.ipynb\n  - notebook: square.ipynb\n    name: other\n    parameters: {colour: red}\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "survey.cli", "run", str(plan), "--out", str(out)],
                          capture_output=True, text=True, cwd=root)
    assert proc.returncode == 2
    assert "unknown parameter 'colour'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.slow
def test_failing_report_leaves_others_finished_exit_1(tmp_path):
    root = make_project(tmp_path)
    plan = _plan(root, "name: mixed\nreports:\n  - notebook: square.ipynb\n    grid: {x: [3, 4]}\n  - notebook: fail.ipynb\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "survey.cli", "run", str(plan), "--out", str(out), "--workers", "2"],
                          capture_output=True, text=True, cwd=root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    d = out / "mixed"
    for name, sq in (("square-3", 9), ("square-4", 16)):
        res = json.loads((d / name / "results.json").read_text())
        assert res["square"] == sq and res["synthetic"] is True
        html = (d / name / "report.html").read_text()
        assert "square is" in html and "data:image/png;base64," in html
        assert "SECRET_CODE_MARKER" not in html and "write_results" not in html      # code hidden
        assert 'class="jp-CodeMirrorEditor' not in html
        assert "remove me entirely" not in html                                          # remove_cell
        assert "<script src=\"http" not in html and "cdnjs" not in html                 # offline
    # the failing report keeps its executed notebook and error, and is marked failed
    assert (d / "fail" / "notebook.ipynb").exists()
    assert "deliberate failure" in (d / "fail" / "error.txt").read_text()
    index = (d / "index.html").read_text()
    assert index.count('class="ok"') == 2 and index.count('class="failed"') == 1
    assert "deliberate failure for the test" in index
    assert "<dt>Responden</dt><dd>9</dd>" in index   # key figures with human labels
    assert "square" not in index.split("<h2>")[1].split("fail")[0].replace("square-", "")  # no raw keys
    assert "SYNTHETIC DATA" in index
    assert re.search(r"FAILED +fail", proc.stdout)


@pytest.mark.slow
def test_api_all_ok_exit_0(tmp_path):
    root = make_project(tmp_path)
    run = run_plan(_plan(root, "name: good\nreports:\n  - notebook: square.ipynb\n"), out=tmp_path / "o", workers=1, root=root)
    assert run.exit_code == 0 and run.ok
    assert run.index.exists()


@pytest.mark.slow
def test_report_that_leaks_personal_data_is_marked_failed(tmp_path):
    """Every HTML the runner writes is scanned (privacy.scan_for_identifiers); a phone number or
    NIP in a shared report fails it, with the reason in the index."""
    root = make_project(tmp_path)
    run = run_plan(_plan(root, "name: leaky\nreports:\n  - notebook: leak.ipynb\n  - notebook: square.ipynb\n"),
                   out=tmp_path / "o", workers=2, root=root)
    status = {r.spec.name: (r.status, r.error) for r in run.runs}
    assert status["square"] == ("ok", None)
    assert status["leak"][0] == "withheld" and "personal data found (nip, phone" in status["leak"][1]
    assert run.exit_code == 1
    leak = tmp_path / "o" / "leaky" / "leak"
    # kept for the researcher under a name that says so, not published, not linked
    assert (leak / "report.withheld.html").exists() and not (leak / "report.html").exists()
    index = run.index.read_text()
    assert "personal data found (nip, phone" in index and "report.withheld.html" in index
    assert 'href="leak/report.html"' not in index and 'href="square/report.html"' in index
    # the index names the kind of identifier, never the identifier itself
    assert "3456" not in index and "198503122010011002" not in index


def test_environment_fingerprint_does_not_depend_on_the_callers_path(monkeypatch, tmp_path):
    # A test runner puts src/ on sys.path, where an editable install keeps a second copy of the
    # workbench's metadata; the report kernel never sees it, so the cache key must not either
    # (a resumed run once re-ran finished reports because of it).
    from survey.reports.runner import _kernel_name, environment_fingerprint

    kernel = _kernel_name()
    before = environment_fingerprint(kernel)
    extra = tmp_path / "site"
    (extra / "extra_pkg-1.0.dist-info").mkdir(parents=True)
    (extra / "extra_pkg-1.0.dist-info" / "METADATA").write_text("Name: extra_pkg\nVersion: 1.0\n")
    monkeypatch.syspath_prepend(str(extra))
    assert environment_fingerprint(kernel) == before


def test_environment_fingerprint_changes_with_a_package_version(monkeypatch, tmp_path):
    import sysconfig

    from survey.reports.runner import _installed_packages

    site = tmp_path / "site-packages"
    (site / "pandas-2.2.3.dist-info").mkdir(parents=True)
    (site / "numpy-2.1.0.dist-info").mkdir()
    monkeypatch.setattr(sysconfig, "get_paths", lambda *a, **k: {"purelib": str(site), "platlib": str(site)})
    before = _installed_packages()
    assert "pandas-2.2.3.dist-info" in before and "numpy-2.1.0.dist-info" in before
    (site / "pandas-2.2.3.dist-info").rename(site / "pandas-2.2.4.dist-info")
    assert _installed_packages() != before
