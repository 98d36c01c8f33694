"""The batch engine on real kernels: cache, time limits, dying kernels, interruption, kill, resume,
one run per folder, Dask. Tiny notebooks (tests/nbfixtures.py) keep these fast; every process a
test starts is stopped by its PID, also when the test fails."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from survey.errors import PlanError
from survey.reports import run_plan

from nbfixtures import make_project

pytestmark = pytest.mark.slow


def _plan(root: Path, text: str, name: str = "t.yml") -> Path:
    p = root / "notebooks" / "plans" / name
    p.write_text(text)
    return p


def _left_behind(root: Path) -> list[psutil.Process]:
    """Processes still working in the project (runner workers and kernels run with cwd = root)."""
    out = []
    for p in psutil.process_iter(["cwd", "pid"]):
        try:
            if p.info["cwd"] == str(root) and p.pid != os.getpid():
                out.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return out


def _kernels(pid: int) -> list[psutil.Process]:
    """The report kernels under process ``pid``: started by jupyter_client (ipykernel_launcher) or
    forked by a kernel zygote (then their parent is the zygote)."""
    out = []
    for c in psutil.Process(pid).children(recursive=True):
        try:
            cmd = " ".join(c.cmdline())
            if "ipykernel" in cmd or ("survey.reports.zygote" in cmd and "survey.reports.zygote" in
                                      " ".join(c.parent().cmdline())):
                out.append(c)
        except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
            pass
    return out


def _wait(cond, seconds: float, what: str):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def project(tmp_path):
    root = make_project(tmp_path / "p")
    (root / "data").mkdir()
    (root / "data" / "hidden.txt").write_text("abc")
    yield root
    for p in _left_behind(root):  # nothing should be left; if a test failed, do not leak processes
        p.kill()


def _cli(root: Path, *args: str, tmp: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "SURVEY_PROJECT_ROOT": ""} | ({"TMPDIR": str(tmp)} if tmp else {})
    return subprocess.Popen([sys.executable, "-m", "survey.cli", "run", *args], cwd=root, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def test_cache_reuse_hidden_dependency_notebook_change_and_force(project):
    plan = _plan(project, "name: c\nreports:\n  - notebook: square.ipynb\n    grid: {x: [2, 3]}\n"
                          "  - notebook: hidden.ipynb\n")
    out = project / "out"
    first = run_plan(plan, out=out, root=project, workers=2)
    assert [r.status for r in first.runs] == ["ok", "ok", "ok"]
    html_before = (out / "c" / "square-2" / "report.html").stat().st_mtime_ns
    again = run_plan(plan, out=out, root=project, workers=2)
    assert [r.status for r in again.runs] == ["cached"] * 3 and again.exit_code == 0
    assert (out / "c" / "square-2" / "report.html").stat().st_mtime_ns == html_before
    index = (out / "c" / "index.html").read_text()
    assert index.count("berhasil (dipakai ulang)") == 3
    # the notebook opened data/hidden.txt without any parameter naming it: a change re-runs it alone
    deps = json.loads((out / "c" / "hidden" / "run.json").read_text())["deps"]
    assert str(project / "data" / "hidden.txt") in [d["path"] for d in deps]
    (project / "data" / "hidden.txt").write_text("abcdef")
    third = run_plan(plan, out=out, root=project, workers=2)
    assert {r.spec.name: r.status for r in third.runs} == {"square-2": "cached", "square-3": "cached", "hidden": "ok"}
    assert third.runs[2].results["n"] == 6
    # same content written again (new mtime): still fresh, the content decides
    (project / "data" / "hidden.txt").write_text("abcdef")
    assert [r.status for r in run_plan(plan, out=out, root=project, force=["square-3"]).runs] == \
        ["cached", "ok", "cached"]
    # a changed notebook re-runs its reports only
    nb = project / "notebooks" / "square.ipynb"
    nb.write_text(nb.read_text().replace("square is", "the square is"))
    assert [r.status for r in run_plan(plan, out=out, root=project, workers=2).runs] == ["ok", "ok", "cached"]
    with pytest.raises(PlanError, match="--force nope: no report of plan 'c' has that name"):
        run_plan(plan, out=out, root=project, force=["nope"])
    # `--force all` is every report, as `--force` alone
    assert [r.status for r in run_plan(plan, out=out, root=project, workers=2, force=["all"]).runs] == ["ok"] * 3
    assert not _left_behind(project)


@pytest.mark.parametrize("fork", ["1", "0"], ids=["forked", "classic"])
def test_each_report_gets_a_fresh_kernel(project, monkeypatch, fork, tmp_path):
    # Kernels are forked from a zygote that has done the imports (or, with SURVEY_KERNEL_FORK=0,
    # started as new processes): each report must still start clean (no module, builtin or
    # environment change from the report before it in the same worker), in the project folder, on
    # WIB time, with numpy's global generator seeded afresh.
    monkeypatch.setenv("SURVEY_KERNEL_FORK", fork)
    # the workers' temporary files (kernel logs, read logs, the IPython and zygote folders) go here
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    plan = _plan(project, "name: f\nreports:\n  - notebook: fresh.ipynb\n    grid: {x: [1, 2, 3]}\n")
    run = run_plan(plan, out=project / "out", root=project, workers=1)
    assert [r.status for r in run.runs] == ["ok"] * 3
    res = [r.results for r in run.runs]
    assert [r["seen"] for r in res] == [None] * 3 and [r["env_seen"] for r in res] == [None] * 3
    assert len({r["pid"] for r in res}) == 3 and len({r["draw"] for r in res}) == 3
    assert {r["tz"] for r in res} == {"WIB"} and {r["cwd"] for r in res} == {str(project)}
    assert {r["forked"] for r in res} == {fork == "1"}
    assert not _left_behind(project)
    # and none is left behind once the run is over
    assert sorted(p.name for p in temp.iterdir() if p.name.startswith("survey-")) == []


def test_a_kernel_that_dies_while_starting_is_replaced(project, monkeypatch, tmp_path):
    # jupyter_client picks a kernel's ports by binding and releasing them; another process may take
    # one first and the kernel dies before its first reply ("Address already in use", seen in a
    # demo run). A kernel spec whose first start exits at once stands in for that: the report
    # must still run, on a second kernel, and the first one's death is in the report's kernel log.
    import survey.reports.runner as runner

    spec = tmp_path / "jupyter" / "kernels" / "flaky"
    spec.mkdir(parents=True)
    script = tmp_path / "flaky.py"
    script.write_text("import os, sys\n"
                      "marker = os.environ['FLAKY_MARKER']\n"
                      "if not os.path.exists(marker):\n"
                      "    open(marker, 'w').close()\n"
                      "    sys.exit(3)\n"
                      "os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher', *sys.argv[1:]])\n")
    (spec / "kernel.json").write_text(json.dumps({"argv": [sys.executable, str(script), "-f", "{connection_file}"],
                                                  "display_name": "flaky", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("FLAKY_MARKER", str(tmp_path / "started-once"))
    monkeypatch.setattr(runner, "_kernel_name", lambda: "flaky")
    plan = _plan(project, "name: k\nreports:\n  - notebook: square.ipynb\n    parameters: {x: 4}\n")
    run = run_plan(plan, out=project / "out", root=project, workers=1)
    assert [r.status for r in run.runs] == ["ok"], [r.error for r in run.runs]
    assert run.runs[0].results["square"] == 16
    assert "a kernel died while starting" in (project / "out" / "k" / "square" / "kernel.log").read_text()
    assert not _left_behind(project)


def test_timeout_and_dying_kernel(project):
    plan = _plan(project, "name: b\nreports:\n  - notebook: hang.ipynb\n    timeout: 8\n"
                          "  - notebook: die.ipynb\n  - notebook: square.ipynb\n")
    t0 = time.monotonic()
    run = run_plan(plan, out=project / "out", root=project, workers=2)
    assert time.monotonic() - t0 < 120
    status = {r.spec.name: (r.status, r.error) for r in run.runs}
    assert status["hang"] == ("timeout", "stopped after the time limit of 8 s")
    assert status["die"][0] == "failed" and "the kernel died" in status["die"][1]
    assert status["square"] == ("ok", None) and run.exit_code == 1
    d = project / "out" / "b"
    index = (d / "index.html").read_text()
    # every link of the index points at a file that exists
    import re

    for href in re.findall(r'href="([^"]+)"', index):
        assert (d / href).is_file(), href
    page = (d / "hang" / "report.html").read_text()
    assert "Laporan dihentikan karena melewati batas waktu." in page
    page = (d / "die" / "report.html").read_text()
    assert "Laporan die gagal dibuat" in page and "<details><summary>Rincian teknis</summary>" in page
    assert not _left_behind(project)


def test_sigint_then_resume(project, tmp_path):
    plan = _plan(project, "name: s\nreports:\n  - notebook: square.ipynb\n"
                          "  - notebook: sleepy.ipynb\n    parameters: {x: 120}\n"
                          "  - notebook: sleepy.ipynb\n    name: later\n    parameters: {x: 120}\n")
    out = project / "out"
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = _cli(project, str(plan), "--out", str(out), "--workers", "1", tmp=temp)
    try:
        _wait(lambda: (out / "s" / "square" / "run.json").exists(), 120, "the first report")
        _wait(lambda: _kernels(proc.pid), 30, "a kernel")
        time.sleep(3)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout + stderr
    index = (out / "s" / "index.html").read_text()
    assert "berhasil" in index and "terputus" in index and "tidak dijalankan" in index
    assert "Traceback" not in stderr
    _wait(lambda: not _left_behind(project), 10, "workers and kernels to end")
    # the worker killed in the middle of a report left no temporary file behind
    assert sorted(p.name for p in temp.iterdir()) == []
    # resume: the finished report is reused, the others run (now quickly)
    plan.write_text(plan.read_text().replace("{x: 120}", "{x: 1}"))
    run = run_plan(plan, out=out, root=project, workers=2)
    assert [r.status for r in run.runs] == ["cached", "ok", "ok"]


def test_sigkill_leaves_no_process_and_the_next_run_resumes(project):
    plan = _plan(project, "name: k\nreports:\n  - notebook: square.ipynb\n"
                          "  - notebook: sleepy.ipynb\n    parameters: {x: 120}\n")
    out = project / "out"
    proc = _cli(project, str(plan), "--out", str(out), "--workers", "2")
    try:
        _wait(lambda: (out / "k" / "square" / "run.json").exists(), 120, "the first report")
        # a second run into the same folder is refused while this one holds it
        other = _cli(project, str(plan), "--out", str(out))
        _, err = other.communicate(timeout=60)
        assert other.returncode == 2
        assert f"another 'survey run' is writing into this folder (PID {proc.pid} on" in err
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    _wait(lambda: not _left_behind(project), 15, "workers and kernels to end after SIGKILL")
    plan.write_text(plan.read_text().replace("{x: 120}", "{x: 1}"))
    run = run_plan(plan, out=out, root=project)  # the dead run's lock is taken over
    assert [r.status for r in run.runs] == ["cached", "ok"]


def test_dask_cluster_gives_the_same_results(project, tmp_path):
    plan = _plan(project, "name: d\nreports:\n  - notebook: square.ipynb\n    grid: {x: [2, 5]}\n"
                          "  - notebook: hang.ipynb\n    timeout: 8\n")
    local = run_plan(plan, out=tmp_path / "local", root=project, workers=2)
    dask_bin = Path(sys.executable).with_name("dask")
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([str(dask_bin), "scheduler", "--scheduler-file", str(sched_file), "--port", "0",
                               "--dashboard-address", ":0", "--no-show"], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait(sched_file.exists, 60, "the Dask scheduler")
        address = _wait(lambda: json.loads(sched_file.read_text() or "{}").get("address"), 30, "its address")
        for _ in range(2):
            procs.append(subprocess.Popen([str(dask_bin), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                           "--no-dashboard"], cwd=tmp_path,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        remote = run_plan(plan, out=tmp_path / "dask", root=project, executor="dask", scheduler=address)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
    assert [r.status for r in remote.runs] == [r.status for r in local.runs] == ["ok", "ok", "timeout"]
    for name in ("square-2", "square-5"):
        assert json.loads((tmp_path / "dask" / "d" / name / "results.json").read_text()) == \
            json.loads((tmp_path / "local" / "d" / name / "results.json").read_text())
    # the cache works the same on both: nothing changed, nothing runs (no cluster needed)
    assert [r.status for r in run_plan(plan, out=tmp_path / "dask", root=project).runs][:2] == ["cached", "cached"]
