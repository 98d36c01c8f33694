"""Running a checked plan: cache, local pool or Dask, time limits, interruption, lock, index.

A report is *reused* (status ``cached``) when its previous run finished ``ok`` with the same key
(notebook content, parameters, workbench version, the kernel's package versions) and every file it
read then still has the same content. Everything else is sent to the executor:

- ``local`` (default): a pool of worker processes, one report at a time each, each keeping the next
  kernel booting; a worker past a report's time limit is ended with its kernel;
- ``dask``: one task per report on a Dask distributed cluster (``scheduler`` address, or a
  LocalCluster started and stopped here).

A report's folder is replaced only when its new run finished (work folder, then rename). Ctrl-C and
SIGTERM stop queued reports, end running kernels and write an index that says which reports
finished, which were interrupted and which did not run; the next run reuses the finished ones.
One run at a time may write into an output folder (a lock held for the run; a dead run's lock is
taken over because the operating system releases it with the process).
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait as mp_wait
from pathlib import Path
from typing import Any, Callable

from ..errors import PlanError
from ..files import atomic_write_text
from .plan import MAX_REPORTS, Plan, ReportSpec, confined, load_plan, plan_root
from .worker import MANIFEST, STATUS_FAILED, STATUS_OK, STATUS_TIMEOUT, STATUS_WITHHELD

KERNEL_NAME = "survey-workbench"
DEFAULT_TIMEOUT = 30 * 60  # seconds per report
STATUS_CACHED, STATUS_INTERRUPTED, STATUS_NOT_RUN = "cached", "interrupted", "not run"
GOOD = (STATUS_OK, STATUS_CACHED)
_GRACE = 20  # seconds after a report's limit before its worker is ended from outside
_WORK = ".work"
# jupyter's built-in kernel when no kernel spec is installed: this interpreter
_DEFAULT_KERNEL_ARGV = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
_LOCK = ".lock"


@dataclass
class ReportRun:
    """What running one report gave: status (``ok``, ``cached``, ``failed``, ``timeout``,
    ``withheld``, ``interrupted``, ``not run``), its folder, time, error line and the figures of its
    ``results.json``; ``timing`` splits the time into start-up, execution and export."""

    spec: ReportSpec
    status: str
    out_dir: Path
    seconds: float
    error: str | None = None
    results: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)
    detail: str | None = None

    @property
    def html_path(self) -> Path:
        """The shared report (present only when the report was published)."""
        return self.out_dir / "report.html"

    @property
    def cached(self) -> bool:
        return self.status == STATUS_CACHED


@dataclass
class PlanRun:
    """What running a plan gave: every report's run, the output folder and the total time."""

    plan: Plan
    out_dir: Path
    runs: list[ReportRun]
    seconds: float
    interrupted: bool = False
    executor: str = "local"

    @property
    def index(self) -> Path:
        """The index page listing every report."""
        return self.out_dir / "index.html"

    @property
    def ok(self) -> bool:
        """True when every report succeeded (ran or reused)."""
        return not self.interrupted and all(r.status in GOOD for r in self.runs)

    @property
    def exit_code(self) -> int:
        """0 when every report succeeded, 1 when any failed, 130 when the run was interrupted."""
        return 130 if self.interrupted else 0 if self.ok else 1


class Interrupted(Exception):
    """Raised in the runner by SIGINT or SIGTERM."""


# ---- environment and keys ---------------------------------------------------------------------
def _kernel_argv(name: str) -> list[str] | None:
    """The command line of an installed kernel spec, read from its ``kernel.json`` in Jupyter's data
    folders as jupyter_client finds it (without importing jupyter_client: a cached run stays quick)."""
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("kernels"):
        try:
            argv = json.loads((Path(folder) / name / "kernel.json").read_text(encoding="utf-8"))["argv"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(argv, list) and argv:
            return [str(a) for a in argv]
    return None


def _kernel_name() -> str:
    """The project kernel when registered (``make`` does it), else the current interpreter's."""
    return KERNEL_NAME if _kernel_argv(KERNEL_NAME) else "python3"


def environment_fingerprint(kernel: str) -> str:
    """Hash of the kernel's Python and package versions (a new pandas makes every report stale)."""
    argv = _kernel_argv(kernel)
    exe = argv[0] if argv else sys.executable  # no spec: jupyter's built-in kernel, this interpreter
    if exe in ("python", "python3") or Path(exe).resolve() == Path(sys.executable).resolve():
        text = _installed_packages()
    else:  # another interpreter: ask it
        import inspect
        import subprocess

        code = inspect.getsource(_installed_packages) + "\nprint(_installed_packages())"
        text = subprocess.run([exe, "-c", code], capture_output=True, text=True, timeout=60).stdout
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _installed_packages() -> str:
    """Python's version and the packages installed in the interpreter's site-packages, one per line.

    Only the site-packages folders count, not ``sys.path``: the caller's path may hold extra entries
    (a test runner adds ``src/``, where an editable install keeps a second copy of the workbench's
    metadata) that the report kernel never sees, and the fingerprint must not depend on who asks.
    The metadata folders' names (``pandas-2.2.3.dist-info``) carry name and version; reading them is
    a hundred times faster than parsing every package's metadata. Self-contained: it is also sent
    as source to another interpreter.
    """
    import os
    import sys
    import sysconfig

    names = set()
    for site in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        try:
            names.update(n for n in os.listdir(site) if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            pass
    return sys.version + "\n" + "\n".join(sorted(names))


def report_key(spec: ReportSpec, env: str, root: Path) -> str:
    """What a report's output depends on besides the files it reads."""
    from .. import __version__

    nb = hashlib.sha256(spec.notebook.read_bytes()).hexdigest()
    params = json.dumps(spec.parameters, sort_keys=True, default=str)
    return hashlib.sha256("\n".join([nb, params, __version__, env, str(root)]).encode()).hexdigest()[:24]


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _still_fresh(manifest: dict[str, Any], key: str, folder: Path) -> bool:
    """Same key, finished ok, the HTML still there, and every file it read unchanged in content."""
    from .worker import file_digest

    if manifest.get("key") != key or manifest.get("status") != STATUS_OK or not (folder / "report.html").is_file():
        return False
    for dep in manifest.get("deps", []):
        try:
            st = os.stat(dep["path"])
        except OSError:
            return False
        if st.st_size == dep["size"] and st.st_mtime_ns == dep["mtime_ns"]:
            continue  # unchanged on disk: no need to read it
        now = file_digest(dep["path"])
        if now is None or now["sha256"] != dep["sha256"]:
            return False
    return True


# ---- lock -------------------------------------------------------------------------------------
# Lock descriptors of this process: forked workers close their copies at once, or a worker outliving
# a killed runner would keep the folder locked.
_HELD: list[int] = []

class _FolderLock:
    """One run per output folder: an flock on ``<folder>/.lock`` holding the owner's PID."""

    def __init__(self, folder: Path):
        self.path = folder / _LOCK
        self.fh = None

    def __enter__(self) -> "_FolderLock":
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            owner = fh.read().strip() or "another run"
            fh.close()
            raise PlanError(f"{self.path.parent}: another 'survey run' is writing into this folder ({owner}); "
                            "wait for it to finish or choose another --out") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"PID {os.getpid()} on {os.uname().nodename}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        fh.flush()
        self.fh = fh
        _HELD.append(fh.fileno())
        return self

    def __exit__(self, *exc) -> None:
        if self.fh is not None:
            _HELD.remove(self.fh.fileno())
            self.fh.close()  # closing releases the lock; the file stays (a later run takes it)




class _Signals:
    """SIGINT and SIGTERM raise :class:`Interrupted` in the runner for the block (main thread only)."""

    def __enter__(self) -> "_Signals":
        import threading

        self.saved = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    def __exit__(self, *exc) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


# ---- the run ----------------------------------------------------------------------------------
def run_plan(plan: str | Path | Plan, out: str | Path | None = None, workers: int | None = None,
             root: str | Path | None = None, *, force: bool | list[str] = False, timeout: float | None = None,
             executor: str = "local", scheduler: str | None = None, max_reports: int = MAX_REPORTS,
             progress: Callable[[ReportRun, int, int], None] | None = None) -> PlanRun:
    """Run every report of a plan (see the module docstring).

    ``force``: True (or the name ``"all"``) re-runs every report, a list of names re-runs those (a name also matches the
    reports of a grid that start with ``name-``). ``timeout``: seconds per report for reports whose
    plan sets none (default 30 minutes). ``progress(run, done, total)`` is called as each report ends.
    Raises :class:`PlanError` when the plan or an option is wrong (nothing runs, nothing is written)
    or when another run holds the output folder.
    """
    if workers is not None and workers < 1:
        raise PlanError(f"--workers must be at least 1, got {workers}")
    if timeout is not None and not timeout > 0:
        raise PlanError(f"--timeout must be a positive number of seconds, got {timeout}")
    if executor not in ("local", "dask"):
        raise PlanError(f"--executor {executor!r}: use 'local' or 'dask'")
    if scheduler and executor != "dask":
        raise PlanError("--scheduler needs --executor dask")
    if not isinstance(plan, Plan):
        plan = load_plan(plan, root=root, max_reports=max_reports)
    root_path = Path(plan.root or plan_root(plan.path, root)).resolve()
    base = _output_dir(out, root_path)
    plan_dir = confined(base, plan.name)
    if isinstance(force, list) and "all" in force and "all" not in {s.name for s in plan.reports}:
        force = True  # `--force all`, as the command line's help offers
    force_names = _check_force(force, plan)
    t0 = time.perf_counter()
    with _FolderLock(plan_dir):
        kernel = _kernel_name()
        env = environment_fingerprint(kernel)
        runs: dict[str, ReportRun] = {}
        todo: list[dict[str, Any]] = []
        # Not dependencies: the outputs themselves, and the workbench's own code (its version is in the
        # key; after editing the workbench in place, run with --force)
        skip = [str(plan_dir), str(Path(__file__).resolve().parents[1])]
        for spec in plan.reports:
            folder = confined(plan_dir, spec.name)
            key = report_key(spec, env, root_path)
            manifest = _read_manifest(folder)
            forced = force is True or any(spec.name == n or spec.name.startswith(n + "-") for n in force_names)
            if manifest and not forced and _still_fresh(manifest, key, folder):
                # the time shown is the run that made the reused report
                runs[spec.name] = ReportRun(spec, STATUS_CACHED, folder, float(manifest.get("seconds", 0.0)), None,
                                            _results_of(folder), manifest.get("timing", {}))
                continue
            todo.append({"name": spec.name, "notebook": str(spec.notebook), "parameters": spec.parameters,
                         "key": key, "kernel": kernel, "root": str(root_path),
                         "work": str(confined(plan_dir, _WORK, spec.name)),
                         "timeout": spec.timeout or timeout or DEFAULT_TIMEOUT, "skip": skip})
        total = len(plan.reports)
        done = [0]

        def finish(task: dict, res: dict | None, status: str | None = None, error: str | None = None) -> None:
            spec = next(s for s in plan.reports if s.name == task["name"])
            folder = plan_dir / spec.name
            if res is not None:
                _publish(plan_dir, task, res)
                runs[spec.name] = ReportRun(spec, res["status"], folder, res.get("seconds", 0.0), res.get("error"),
                                            res.get("results", {}), res.get("timing", {}), res.get("detail"))
            else:
                _write_failure(plan_dir, task, status or STATUS_FAILED, error or "")
                runs[spec.name] = ReportRun(spec, status or STATUS_FAILED, folder, task.get("elapsed", 0.0), error)
            done[0] += 1
            if progress:
                progress(runs[spec.name], done[0], total)

        for r in list(runs.values()):  # cached reports count as done at once
            done[0] += 1
            if progress:
                progress(r, done[0], total)
        interrupted = False
        with _Signals():
            try:
                if todo:
                    n = workers or max(1, min(os.cpu_count() or 1, len(todo)))
                    if executor == "dask":
                        _run_dask(todo, n, scheduler, finish)
                    else:
                        _run_local(todo, n, root_path, kernel, skip, finish)
            except Interrupted:
                interrupted = True
        for spec in plan.reports:
            if spec.name not in runs:
                status = STATUS_INTERRUPTED if any(t["name"] == spec.name and t.get("started") for t in todo) \
                    else STATUS_NOT_RUN
                runs[spec.name] = ReportRun(spec, status, plan_dir / spec.name, 0.0,
                                            "the run was interrupted before this report finished")
        shutil.rmtree(plan_dir / _WORK, ignore_errors=True)
        result = PlanRun(plan=plan, out_dir=plan_dir, runs=[runs[s.name] for s in plan.reports],
                         seconds=time.perf_counter() - t0, interrupted=interrupted, executor=executor)
        from .index import write_index

        write_index(result, root_path)
    return result


def _check_force(force: bool | list[str], plan: Plan) -> list[str]:
    if force is True or not force:
        return []
    names = [force] if isinstance(force, str) else list(force)
    known = {s.name for s in plan.reports}
    for n in names:
        if n not in known and not any(k.startswith(n + "-") for k in known):
            raise PlanError(f"--force {n}: no report of plan {plan.name!r} has that name "
                            f"(reports: {', '.join(sorted(known)[:10])}{' ...' if len(known) > 10 else ''})")
    return names


def _output_dir(out: str | Path | None, root: Path) -> Path:
    """``out`` (relative to the project root), ``outputs/`` by default."""
    base = Path(out) if out else root / "outputs"
    return (base if base.is_absolute() else root / base).resolve()


def _results_of(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _publish(plan_dir: Path, task: dict, res: dict) -> None:
    """Move a finished report's work folder into place (the old folder goes only after)."""
    work = Path(task["work"])
    files = res.pop("files", None)
    if files is not None:  # the report ran on another machine: its files came back with the result
        shutil.rmtree(work, ignore_errors=True)
        for rel, data in files.items():
            target = confined(work, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    if not work.is_dir():
        work.mkdir(parents=True)
    if res.get("status") != STATUS_OK:
        _failure_page(work, task, res["status"], res.get("error") or "", res.get("detail"))
    final = confined(plan_dir, task["name"])
    old = None
    if final.exists():
        old = confined(plan_dir, _WORK, task["name"] + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(work, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_failure(plan_dir: Path, task: dict, status: str, error: str) -> None:
    """A report whose worker was ended from outside (time limit, worker died): its folder says so."""
    work = Path(task["work"])
    work.mkdir(parents=True, exist_ok=True)
    manifest = {"name": task["name"], "status": status, "error": error, "key": task["key"], "deps": [],
                "timing": {}, "seconds": task.get("elapsed", 0.0), "results": {}, "finished": time.time()}
    atomic_write_text(work / MANIFEST, json.dumps(manifest, indent=1))
    _publish(plan_dir, task, dict(manifest))


def _failure_page(work: Path, task: dict, status: str, error: str, detail: str | None) -> None:
    """A failed report's page: in its language, what happened in one line, the details folded."""
    from .index import failure_page

    if status == STATUS_WITHHELD:
        return  # the withheld HTML stays under its own name; nothing is published
    lang = task["parameters"].get("lang") if task["parameters"].get("lang") in ("id", "en") else "id"
    atomic_write_text(work / "report.html", failure_page(task["name"], status, error, detail, lang))


# ---- local pool -------------------------------------------------------------------------------
class _Worker:
    def __init__(self, ctx, root: Path, kernel: str, skip: list[str], zygote=None, tmp: str | None = None):
        from .worker import worker_main

        self.conn, child = ctx.Pipe()
        close = tuple(_HELD) + ((zygote.proc.stdin.fileno(),) if zygote is not None else ())
        address = zygote.address if zygote is not None else None
        self.proc = ctx.Process(target=worker_main, args=(child, str(root), kernel, skip, close, address, tmp),
                                daemon=True)
        self.proc.start()
        child.close()
        self.task: dict | None = None
        self.deadline = 0.0
        self.started = 0.0

    def end(self) -> None:
        """End the worker and everything it started (its kernels die with it)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        self.proc.join(5)
        self.conn.close()


def _run_local(todo: list[dict], n: int, root: Path, kernel: str, skip: list[str],
               finish: Callable[..., None]) -> None:
    from .worker import start_zygote

    ctx = mp.get_context("fork")
    for t in todo:
        t["reuse_kernel"] = True
    pending = list(todo)
    # the workers' and kernels' temporary files (kernel logs, IPython folders, whatever a notebook
    # writes with tempfile) go into one folder of this run, removed when the run ends, even when a
    # worker busy with a report is killed by Ctrl-C or a time limit and cannot clean up after itself
    tmp = tempfile.mkdtemp(prefix="survey-run-")
    # one kernel zygote for the whole pool: the imports every report makes are paid once per run
    zygote = start_zygote(_kernel_argv(kernel) or _DEFAULT_KERNEL_ARGV, str(root))
    pool = [_Worker(ctx, root, kernel, skip, zygote, tmp) for _ in range(min(n, len(todo)))]
    try:
        while pending or any(w.task for w in pool):
            for w in pool:
                if w.task is None and pending:
                    w.task = pending.pop(0)
                    w.task["started"] = True
                    w.started = time.monotonic()
                    w.deadline = w.started + float(w.task["timeout"]) + _GRACE
                    w.conn.send(w.task)
            busy = [w for w in pool if w.task]
            mp_wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=0.5)
            for k, w in enumerate(pool):
                if not w.task:
                    continue
                task = w.task
                task["elapsed"] = time.monotonic() - w.started
                try:
                    has = w.conn.poll()
                except OSError:
                    has = False
                if has:
                    try:
                        res = w.conn.recv()
                    except (EOFError, OSError):
                        res = None
                    if res is not None:
                        w.task = None
                        finish(task, res)
                        continue
                dead = not w.proc.is_alive()
                late = time.monotonic() > w.deadline
                if dead or late:
                    code = w.proc.exitcode
                    w.end()
                    pool[k] = _Worker(ctx, root, kernel, skip, zygote, tmp)
                    if late:
                        finish(task, None, STATUS_TIMEOUT, f"stopped after the time limit of {task['timeout']:g} s")
                    else:
                        finish(task, None, STATUS_FAILED, f"the worker process died (exit code {code})")
    finally:
        for w in pool:
            if w.task is None and w.proc.is_alive():
                try:
                    w.conn.send(None)  # a clean stop lets the worker shut its waiting kernel down
                except OSError:
                    pass
        deadline = time.monotonic() + 3
        for w in pool:
            if w.task is None:
                w.proc.join(max(0.0, deadline - time.monotonic()))
            w.end()
        if zygote is not None:
            zygote.close()
        shutil.rmtree(tmp, ignore_errors=True)


# ---- Dask -------------------------------------------------------------------------------------
def _dask_task(task: dict) -> dict:
    """One report on a Dask worker (same code as the local pool, fresh kernel, files shipped back)."""
    from .worker import run_report

    return run_report(task)


def _run_dask(todo: list[dict], n: int, scheduler: str | None, finish: Callable[..., None]) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise PlanError("--executor dask needs the 'distributed' package: pip install distributed") from None
    from .worker import start_zygote, warm_up

    cluster = zygote = None
    root, kernel = todo[0]["root"], todo[0]["kernel"]
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="10s")
            except Exception as err:
                raise PlanError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({err}); "
                                "start it with 'dask scheduler' and check the address") from None
        else:
            # the workers on this machine share one kernel zygote, started first: its imports overlap
            # the cluster's start
            zygote = start_zygote(_kernel_argv(kernel) or _DEFAULT_KERNEL_ARGV, root)
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
        for t in todo:
            t["ship"] = True
            t["reuse_kernel"] = False
        try:  # every worker imports (and starts its own zygote) now, all at once, not on its first report
            client.run(warm_up, root, kernel, zygote.address if zygote is not None else None)
        except Exception:  # a worker that cannot warm up still runs reports (or reports why not)
            pass
        try:
            futures = {client.submit(_dask_task, t, pure=False, key=f"survey-report-{t['name']}-{os.getpid()}"): t
                       for t in todo}
            for t in todo:
                t["started"] = True
            for fut in as_completed(list(futures)):
                task = futures[fut]
                try:
                    res = fut.result()
                except Exception as err:  # the Dask worker died or the task could not run
                    finish(task, None, STATUS_FAILED, f"the Dask task failed: {type(err).__name__}: {err}")
                    continue
                finish(task, res)
        except BaseException:
            client.cancel(list(futures)) if "futures" in locals() else None
            raise
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
        if zygote is not None:
            zygote.close()
