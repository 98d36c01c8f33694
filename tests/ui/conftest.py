"""Browser-test fixtures: a private JupyterLab server and a headless Debian chromium.

The server runs from this project's environment on 127.0.0.1, on a free port, with a random token
and its own JUPYTER_CONFIG_DIR / JUPYTER_DATA_DIR / JUPYTER_RUNTIME_DIR / IPYTHONDIR, in a temporary
copy of the project (notebooks, pyproject.toml, demo data made by the real generator), so the tests
never touch the repository's notebooks or data. Every process the fixtures start is stopped by its
PID at teardown, also when a test fails. Chromium is Debian's (/usr/bin/chromium) driven by the
``playwright`` package; ``playwright install`` is never run.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SURVEY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "outputs" / "ui"
KERNEL = "survey-workbench"


def _python() -> str:
    """The project's interpreter (the venv `make` builds), else the one running the tests."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, method: str = "GET", timeout: float = 5.0):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        body = resp.read()
        return resp.status, (json.loads(body) if body.strip().startswith((b"{", b"[")) else body)


def _stop(pid: int, grace: float = 10.0) -> None:
    """SIGTERM, wait, then SIGKILL one process, by its PID."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        psutil = None
    if psutil is not None:
        try:
            p = psutil.Process(pid)
            p.terminate()
            p.wait(timeout=grace)
        except psutil.NoSuchProcess:
            return
        except psutil.TimeoutExpired:
            p.kill()
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return


@pytest.fixture(scope="session")
def ui_project(tmp_path_factory, demo_dir) -> Path:
    """A throwaway project: copies of the notebooks and pyproject.toml, plus small demo data."""
    proj = tmp_path_factory.mktemp("ui-project")
    shutil.copytree(ROOT / "notebooks", proj / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", ".test-*"))
    shutil.copy2(ROOT / "pyproject.toml", proj / "pyproject.toml")
    shutil.copytree(demo_dir, proj / "data" / "demo")
    return proj


@pytest.fixture(scope="session")
def jupyter_lab(ui_project, tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token; yields ``dict(url, token, root, log)``."""
    home = tmp_path_factory.mktemp("jupyter-home")
    dirs = {k: home / k.lower() for k in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")}
    for d in dirs.values():
        d.mkdir()
    python = _python()
    # the project kernel, in the isolated data dir, so the notebooks' kernelspec resolves whether or
    # not `make` registered it in the venv (and no kernel chooser dialog blocks the page)
    spec = dirs["JUPYTER_DATA_DIR"] / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Survey Workbench", "language": "python"}))
    # No user settings here: the "Jupyter news?" prompt must stay away by the overrides that
    # `make install` writes into the environment, as it does for `make lab`.
    env = {**os.environ, **{k: str(v) for k, v in dirs.items()}}
    env["JUPYTER_PATH"] = str(Path(python).resolve().parents[1] / "share" / "jupyter")
    env["SURVEY_PROJECT_ROOT"] = str(ui_project)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("MPLBACKEND", None)  # Agg would drop every inline figure
    port, token = _free_port(), secrets.token_hex(16)
    log = home / "jupyterlab.log"
    cmd = [python, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
           f"--ServerApp.root_dir={ui_project}", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly", "--ServerApp.shutdown_no_activity_timeout=900"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=ui_project, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    server = dict(url=url, token=token, root=ui_project, log=log, pid=proc.pid)
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                status, _ = _request(f"{url}/api/status?token={token}")
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start in 90 s:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        server["shutdown_kernels"] = lambda: shutdown_kernels(server)
        yield server
    finally:
        # remember the kernels' PIDs before asking the server to stop them
        try:
            import psutil

            children.update(c.pid for c in psutil.Process(proc.pid).children(recursive=True))
        except Exception:
            pass
        try:
            _request(f"{url}/api/shutdown?token={token}", method="POST")
            proc.wait(timeout=20)
        except Exception:
            pass
        if proc.poll() is None:
            _stop(proc.pid)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for pid in children:
            _stop(pid, grace=5)


def shutdown_kernels(server: dict) -> None:
    """Stop every running kernel through the server's API (keeps the 2 CPU cores free)."""
    try:
        _, kernels = _request(f"{server['url']}/api/kernels?token={server['token']}")
        for k in kernels or []:
            _request(f"{server['url']}/api/kernels/{k['id']}?token={server['token']}", method="DELETE", timeout=20)
    except Exception:
        pass


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium through playwright. On a developer machine without them the tests
    skip; in CI (``CI`` set, where .ci/run installs chromium) a missing browser is a failure."""
    missing = pytest.fail if os.environ.get("CI") else pytest.skip
    if not Path(CHROMIUM).exists():
        missing(f"chromium not found at {CHROMIUM} (Debian package `chromium`: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package is not installed (pip install -e '.[test]')")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
    finally:
        pw.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def page(browser, request):
    """A fresh browser page; when the test fails, a screenshot goes to outputs/ui/failed-<test>.png."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    p = context.new_page()
    p.set_default_timeout(60_000)
    try:
        yield p
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in request.node.name)
            try:
                p.screenshot(path=str(SCREENSHOTS / f"failed-{name}.png"))
            except Exception:
                pass
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
