"""What runs in a worker (a process of the local pool, or a Dask worker): one report from start to
finished folder.

A report runs in a fresh kernel of its own. The local pool keeps the *next* kernel starting while
the current report is exported, with the imports every report makes (pandas, matplotlib, survey)
already done, so a report rarely waits for a kernel. The kernel records every file the notebook
opens for reading (an audit hook, see ``kernel_boot.py``) so that the cache knows what the report
depends on. A watchdog ends the kernel when the report passes its time limit.

Everything is written to a work folder first; the runner moves it into place only when the report
finished, so an interrupted run never leaves half a report where a finished one was.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from ..files import atomic_write_text
from ..paths import ROOT_ENV
from . import zygote

REPORT_TZ = "Asia/Jakarta"  # Kota Medan is on WIB; fixed so dates in reports do not depend on the host
MANIFEST = "run.json"
WITHHELD = "report.withheld.html"
STATUS_OK, STATUS_FAILED, STATUS_TIMEOUT, STATUS_WITHHELD = "ok", "failed", "timeout", "withheld"

_state: dict[str, Any] = {"next": None, "exporter": None}


def report_environment(root: str, base: dict[str, str]) -> dict[str, str]:
    """``base`` with what every report kernel needs."""
    env = dict(base)
    env.pop("MPLBACKEND", None)  # Agg would silently drop every inline figure
    env["TZ"] = REPORT_TZ
    env[ROOT_ENV] = root  # the kernel's project_path() resolves against the plan's project
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def prepare_process(root: str) -> None:
    """Environment every kernel of this process inherits."""
    env = report_environment(root, dict(os.environ))
    os.environ.pop("MPLBACKEND", None)
    os.environ.update(env)


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the process that started it dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except Exception:  # not Linux: the kernels' own parent watch still applies
        pass


def _ipython_dir() -> str:
    """An IPython folder whose startup file runs kernel_boot.py, and whose configuration turns the
    command history off (one per process, made once, in the temporary folder: the local pool's
    run removes its folder when it ends).

    A report kernel's history is never read, and keeping it costs every cell a write to one
    SQLite file that the worker's kernels share.
    """
    d = _state.get("ipython_dir")
    if d and Path(d).is_dir():
        return d
    d = tempfile.mkdtemp(prefix="survey-ipython-")
    startup = Path(d) / "profile_default" / "startup"
    startup.mkdir(parents=True)
    boot = (resources.files("survey.reports") / "kernel_boot.py").read_text(encoding="utf-8")
    (startup / "00-survey-runner.py").write_text(boot, encoding="utf-8")
    (startup.parent / "ipython_kernel_config.py").write_text("c.HistoryManager.enabled = False\n", encoding="utf-8")
    _state["ipython_dir"] = d
    return d


def start_kernel(kernel_name: str, root: str, skip: list[str], pdeathsig: bool) -> dict[str, Any]:
    """Launch a kernel (returns at once; it finishes booting in the background)."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    fd, reads = tempfile.mkstemp(prefix="survey-reads-", suffix=".txt")
    os.close(fd)
    env = dict(os.environ, IPYTHONDIR=_ipython_dir(), SURVEY_READS_LOG=reads,
               SURVEY_READS_SKIP=os.pathsep.join(skip), SURVEY_KERNEL_PRELOAD=",".join(zygote.PRELOAD),
               SURVEY_KERNEL_PDEATHSIG="1" if pdeathsig else "0", SURVEY_KERNEL_OWNER=str(os.getpid()))
    fd, log = tempfile.mkstemp(prefix="survey-kernel-", suffix=".log")
    # the async manager, as papermill itself uses: nbclient polls it to notice a kernel that died
    km = AsyncKernelManager(kernel_name=kernel_name)
    zyg = _zygote_for(km.kernel_spec.argv, root)
    if zyg is not None:
        km.provisioner = zygote.provisioner(km, zyg, log)
    t0 = time.perf_counter()
    # the kernel's own chatter goes to a log kept beside the report, not to the user's terminal
    with os.fdopen(fd, "w") as fh:
        run_sync(km.start_kernel)(env=env, cwd=root, stdout=fh, stderr=fh)
    return {"km": km, "reads": reads, "log": log, "t0": t0, "name": kernel_name}


def _forkable(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """``zygote.launcher_args(argv)`` where kernels may be forked; None where they are started as
    new processes (not Linux, not an IPython kernel, or ``SURVEY_KERNEL_FORK=0``)."""
    if not zygote.available() or os.environ.get("SURVEY_KERNEL_FORK") == "0":
        return None
    return zygote.launcher_args(list(argv))


def start_zygote(argv: list[str], root: str) -> "zygote.Zygote | None":
    """A kernel zygote for the kernel spec ``argv`` (owned by the caller), or None (see
    :func:`_forkable`)."""
    split = _forkable(argv)
    if split is None:
        return None
    return zygote.Zygote(argv[0], split[0], report_environment(root, dict(os.environ)), root)


def _zygote_for(argv: list[str], root: str) -> "zygote.Zygote | zygote.ZygoteClient | None":
    """The zygote this process asks for kernels: the runner's (``_state['zygote_address']``, local
    pool) or its own, started on first use (a Dask worker)."""
    split = _forkable(argv)
    if split is None:
        return None
    address = _state.get("zygote_address")
    if address:
        current = _state.get("zygote")
        if current is None or current.key != ("client", address):
            stop_zygote()
            _state["zygote"] = zygote.ZygoteClient(address)
        return _state["zygote"]
    key = (argv[0], tuple(split[0]), root)
    current = _state.get("zygote")
    if current is not None and current.key == key and current.alive():
        return current
    stop_zygote()
    _state["zygote"] = start_zygote(argv, root)
    return _state["zygote"]


def stop_zygote() -> None:
    z = _state.pop("zygote", None)
    if z is not None:
        z.close()


def stop_kernel(kernel: dict[str, Any] | None) -> None:
    if not kernel:
        return
    from jupyter_core.utils import run_sync

    km = kernel["km"]
    try:
        _kill_group(km)
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:
        pass
    Path(kernel["reads"]).unlink(missing_ok=True)
    Path(kernel["log"]).unlink(missing_ok=True)


def _kill_group(km) -> None:
    """SIGKILL the kernel and whatever it started (it leads its own process group)."""
    pid = getattr(getattr(km, "provisioner", None), "pid", None)
    if pid:
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def html_exporter():
    """nbconvert exporter for shared reports: code and prompts hidden, tagged cells removed (one per
    process: building it reads every template)."""
    if _state["exporter"] is not None:
        return _state["exporter"]
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.remove_cell_tags = ("remove_cell",)
    c.TagRemovePreprocessor.remove_input_tags = ("remove_input",)
    c.TagRemovePreprocessor.enabled = True
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    templates = str(resources.files("survey") / "templates")
    exporter = HTMLExporter(config=c, template_name="survey_report", extra_template_basedirs=[templates])
    exporter.register_preprocessor(TagRemovePreprocessor(config=c), enabled=True)
    _state["exporter"] = exporter
    return exporter


def export_html(notebook_path: Path, html_path: Path, title: str | None = None) -> None:
    """Export an executed notebook to self-contained HTML (atomic write)."""
    import nbformat

    nb = nbformat.read(str(notebook_path), as_version=4)
    # Saved widget state needs a live kernel; without it nbconvert draws an empty box. Dropping it
    # makes widget outputs fall back to their static text/html representation.
    nb.metadata.pop("widgets", None)
    if title:
        nb.metadata["title"] = title
    body, _ = html_exporter().from_notebook_node(nb)
    atomic_write_text(html_path, body)


def file_digest(path: str) -> dict[str, Any] | None:
    """Size, modification time and SHA-256 of a file (None when it is not a readable file)."""
    try:
        st = os.stat(path)
        if not os.path.isfile(path):
            return None
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return {"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": h.hexdigest()}


def _dependencies(task: dict, reads_log: str) -> list[dict[str, Any]]:
    """Files named by parameters plus files the kernel opened, with their digests."""
    paths: set[str] = set()
    for v in task["parameters"].values():
        if isinstance(v, str) and os.path.isabs(v) and os.path.isfile(v):
            paths.add(v)
    try:
        paths.update(x for x in Path(reads_log).read_text(encoding="utf-8").splitlines() if x)
    except OSError:
        pass
    skip = tuple(task["skip"])
    out = []
    for p in sorted(paths):
        if p.startswith(skip):
            continue
        d = file_digest(p)
        if d is not None:
            out.append(d)
    return out


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send file descriptor 2 (which the kernel inherits) to ``path``: the kernel's chatter goes to a
    log beside the report instead of the user's terminal."""
    with open(path, "w", encoding="utf-8") as log:
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _short_error(err: BaseException) -> str:
    name = getattr(err, "ename", None) or type(err).__name__
    value = getattr(err, "evalue", None) or str(err)
    cell = getattr(err, "exec_count", None)
    where = f" (cell {cell})" if cell else ""
    line = str(value).strip().splitlines()[0] if str(value).strip() else ""
    return f"{name}{where}: {line}"[:500]


def run_report(task: dict[str, Any]) -> dict[str, Any]:
    """Run one report into ``task['work']``; returns a picklable summary (also written to run.json).

    ``task`` holds name, notebook, parameters, key, kernel, root, work, timeout, skip, reuse_kernel
    (keep a kernel starting for the next report) and ship (return the folder's files as bytes: the
    runner is on another machine).
    """
    work = Path(task["work"] if not task.get("ship") else tempfile.mkdtemp(prefix="survey-report-"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    prepare_process(task["root"])
    t_start = time.perf_counter()
    kernel = _state.pop("next", None) if task.get("reuse_kernel") else None
    if kernel is None or kernel["name"] != task["kernel"]:
        stop_kernel(kernel)
        kernel = start_kernel(task["kernel"], task["root"], task["skip"] + [str(work)], bool(task.get("reuse_kernel")))
    timing = {"startup": 0.0, "execution": 0.0, "export": 0.0}
    status, error, detail = STATUS_OK, None, None
    timed_out = threading.Event()

    def _on_timeout():
        timed_out.set()
        _kill_group(kernel["km"])

    timer = threading.Timer(float(task["timeout"]), _on_timeout)
    timer.daemon = True
    timer.start()
    executed = work / "notebook.ipynb"
    with _stderr_to(work / "kernel.log"):
        try:
            kernel = _ready(kernel, task, work)
            timing["startup"] = time.perf_counter() - t_start
            t_exec = time.perf_counter()
            import papermill

            params = {**task["parameters"], "out_dir": str(work)}
            try:
                papermill.execute_notebook(
                    task["notebook"], str(executed), parameters=params, kernel_name=task["kernel"],
                    km=kernel["km"], cwd=task["root"], execution_timeout=float(task["timeout"]) + 30,
                    request_save_on_cell_execute=False, progress_bar=False, log_output=False,
                    start_timeout=120)
            finally:
                timing["execution"] = time.perf_counter() - t_exec
        except BaseException as err:  # the notebook failed, the kernel died or was ended: record why
            if isinstance(err, (KeyboardInterrupt, SystemExit)):
                raise
            status = STATUS_TIMEOUT if timed_out.is_set() else STATUS_FAILED
            error = (f"stopped after the time limit of {task['timeout']:g} s" if timed_out.is_set()
                     else _short_error(err))
            if "DeadKernel" in type(err).__name__ and not timed_out.is_set():
                error = "the kernel died while running the notebook (" + _short_error(err) + ")"
            detail = f"{type(err).__name__}: {err}\n\n{traceback.format_exc()}"
            atomic_write_text(work / "error.txt", detail)
        finally:
            timer.cancel()
    deps = _dependencies(task, kernel["reads"])
    try:
        with open(work / "kernel.log", "a", encoding="utf-8") as fh:
            fh.write(Path(kernel["log"]).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        pass
    stop_kernel(kernel)
    if task.get("reuse_kernel"):  # the next report's kernel boots while this one is exported
        _state["next"] = start_kernel(task["kernel"], task["root"], task["skip"], True)
    t_export = time.perf_counter()
    results = _read_results(work)
    if status == STATUS_OK:
        try:
            export_html(executed, work / "report.html", title=task["name"])
        except Exception as err:
            status, error = STATUS_FAILED, f"HTML export failed: {type(err).__name__}: {err}"
            detail = traceback.format_exc()
    if status == STATUS_OK:
        leak = _scan(work)
        if leak:
            # kept for the researcher under a name that says so; never linked as a report
            if (work / "report.html").exists():
                os.replace(work / "report.html", work / WITHHELD)
            status, error = STATUS_WITHHELD, leak
            results = {}
            (work / "results.json").unlink(missing_ok=True)
    timing["export"] = time.perf_counter() - t_export
    summary = {"name": task["name"], "status": status, "error": error, "detail": detail,
               "key": task["key"], "deps": deps if status == STATUS_OK else [], "timing": timing,
               "seconds": time.perf_counter() - t_start, "results": results,
               "finished": time.time(), "host": os.uname().nodename}
    atomic_write_text(work / MANIFEST, json.dumps(summary, indent=1))
    if task.get("ship"):
        summary["files"] = {str(p.relative_to(work)): p.read_bytes() for p in work.rglob("*") if p.is_file()}
        shutil.rmtree(work, ignore_errors=True)
    return summary


def _ready(kernel: dict[str, Any], task: dict[str, Any], work: Path, attempts: int = 3) -> dict[str, Any]:
    """``kernel`` once it answers; a kernel that dies while starting is replaced, up to
    ``attempts`` kernels in all.

    jupyter_client chooses a kernel's TCP ports by binding and releasing them, and another process
    can take one before the kernel binds it ("Address already in use"): the kernel dies before its
    first reply (seen once in a 34-report run). Nothing of the report has run then, so a new kernel
    starts; the dead one's log is kept in the report's kernel.log.
    """
    from jupyter_core.utils import run_sync

    for attempt in range(1, attempts + 1):
        kc = kernel["km"].client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=120)
            return kernel
        except RuntimeError as err:
            if "died" not in str(err) or attempt == attempts:
                raise
        finally:
            kc.stop_channels()
        try:
            with open(work / "kernel.log", "a", encoding="utf-8") as fh:
                fh.write(f"[a kernel died while starting; starting another]\n"
                         f"{Path(kernel['log']).read_text(encoding='utf-8', errors='replace')}\n")
        except OSError:
            pass
        stop_kernel(kernel)
        kernel = start_kernel(task["kernel"], task["root"], task["skip"] + [str(work)], bool(task.get("reuse_kernel")))
    return kernel


def _read_results(out: Path) -> dict[str, Any]:
    """The report's ``results.json`` ({} when it wrote none or a broken one)."""
    try:
        data = json.loads((out / "results.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _scan(work: Path) -> str | None:
    """Why the report may not be published (kinds and places, never the identifier), or None."""
    from ..privacy import scan_for_identifiers

    found = []
    for name in ("report.html", "results.json"):
        if (work / name).exists():
            r = scan_for_identifiers(work / name)
            found += [(name, row.kind, row.line) for row in r.itertuples(index=False)]
    if not found:
        return None
    kinds = sorted({k for _, k, _ in found})
    first = found[0]
    return (f"personal data found ({', '.join(kinds)}; {len(found)} place(s), first in {first[0]} line "
            f"{first[2]}); the report is withheld")


def skip_slow_iri_checker() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process.

    nbformat (under papermill and nbconvert) imports jsonschema, which imports every optional
    format checker it finds; ``rfc3987_syntax`` builds some 35 Lark parsers at import, 2-3 s of CPU
    in every worker (jsonschema 4.26 imports it eagerly). Only the ``iri`` formats use it and no
    notebook schema does, so a worker does without. Must run before nbformat is imported.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None in sys.modules: the import fails at once


def warm_up(root: str | None = None, kernel: str | None = None, zygote_address: str | None = None) -> None:
    """What a worker does before its first report: import papermill, build the HTML exporter and,
    given ``root`` and ``kernel``, connect to the zygote at ``zygote_address`` or start its own (a
    Dask worker is warmed this way when the run starts, so its first report does not pay for it)."""
    if zygote_address is not None:
        _state["zygote_address"] = zygote_address
    skip_slow_iri_checker()
    import nbformat
    import papermill  # noqa: F401

    # the first export compiles the templates: done here, not on the first report's clock
    html_exporter().from_notebook_node(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("warm")]))
    if root is not None and kernel is not None:
        from jupyter_client.kernelspec import KernelSpecManager

        prepare_process(root)
        z = _zygote_for(KernelSpecManager().get_kernel_spec(kernel).argv, root)
        if isinstance(z, zygote.Zygote):
            z.wait_ready()


def worker_main(conn, root: str, kernel: str, skip: list[str], close: tuple[int, ...] = (),
                zygote_address: str | None = None, tmp: str | None = None) -> None:
    """A local pool worker: reports arrive on ``conn`` one at a time; results go back on it.
    ``close``: descriptors inherited from the runner that this process must not keep (the folder
    lock); ``zygote_address``: the runner's kernel zygote (None: kernels start as new processes);
    ``tmp``: the run's temporary folder, for this process and the kernels it starts."""
    _state["zygote_address"] = zygote_address
    if tmp:
        os.environ["TMPDIR"] = tmp
        tempfile.tempdir = tmp
    for fd in close:
        try:
            os.close(fd)
        except OSError:
            pass
    os.setsid()  # the terminal's Ctrl-C reaches the runner only; the runner ends workers itself
    die_with_parent()
    parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def _watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=_watch, daemon=True).start()
    prepare_process(root)
    _state["next"] = start_kernel(kernel, root, skip, True)  # ready before the first report arrives
    warm_up()
    try:
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                break
            if task is None:
                break
            try:
                res = run_report(task)
            except Exception as err:
                res = {"name": task["name"], "status": STATUS_FAILED, "error": _short_error(err),
                       "detail": traceback.format_exc(), "timing": {}, "seconds": 0.0, "results": {}, "deps": []}
            conn.send(res)
    finally:
        stop_kernel(_state.pop("next", None))
        stop_zygote()
