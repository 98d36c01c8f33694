"""Report kernels forked from a process that has already imported what every report imports.

A report kernel that starts as a new Python process spends 2-4 s of CPU importing numpy, pandas,
matplotlib, scipy, statsmodels, IPython and the workbench before the notebook's first cell; on a
2-core machine that is most of a small report's cost. A *zygote* pays those imports once (per run
of the local pool, per Dask worker elsewhere) and then forks one kernel per report. Each kernel is still a fresh process: it starts from the
zygote's state, which never runs report code, so nothing leaks from one report to the next (the
zygote imports modules and does nothing else).

The local pool's runner starts one zygote for all its workers, and so does a Dask LocalCluster
started by the runner; a remote Dask worker starts its own.
Protocol (one JSON object per line, on a Unix socket in a private folder): a worker sends
``{"argv", "env", "cwd", "log"}``; the zygote forks and answers ``{"pid": N}``. The child becomes
the leader of its own session, takes the report's environment and working folder, sends its output
to ``log`` and runs the IPython kernel exactly as ``python -m ipykernel_launcher`` would.
Lifetimes: the zygote ends when its owner closes its stdin or dies (``PR_SET_PDEATHSIG``); a kernel
dies with its zygote the same way, and with the worker that asked for it (``kernel_boot.py``
watches that process).

:class:`ForkProvisioner` lets ``jupyter_client`` manage such a kernel like any other (papermill and
nbclient see an ordinary kernel manager). Linux only; elsewhere the runner starts kernels the usual
way.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: Imported once in the zygote: what the report notebooks and the workbench's report layer import.
PRELOAD = ("numpy", "pandas", "scipy.stats", "statsmodels.api", "statsmodels.formula.api", "matplotlib.pyplot",
           "seaborn", "babel.numbers", "yaml", "ipykernel.kernelapp", "ipywidgets", "IPython.display",
           "survey", "survey.instrument", "survey.responses", "survey.privacy", "survey.reliability",
           "survey.impact", "survey.skm", "survey.needs", "survey.plots", "survey.report", "survey.report.skm",
           "survey.report.reliability", "survey.report.impact", "survey.report.needs", "survey.report.training",
           "survey.report.figures", "threadpoolctl", "PIL.Image")


def prepare() -> None:
    """Bring this process to the state every report kernel starts from: :data:`PRELOAD` imported,
    :func:`_warm` done, and everything made so far frozen out of the garbage collector (it stays
    shared with the kernels, never copied by a collection, and no collection walks it again).
    ``benchmarks/profile_reports.py`` calls it too, so that its timings are a kernel's."""
    for name in PRELOAD:
        try:
            __import__(name)
        except Exception:  # a missing optional module only costs its import later, in the kernel
            pass
    _warm()
    import gc

    gc.collect()
    gc.freeze()


def _warm() -> None:
    """Read once, in the zygote, what every report reads from the workbench and its libraries: the
    message catalogs, the built-in instruments, Babel's locale data for both languages and the
    fonts (a first figure). All of it is package data cached by the functions that read it, the
    same in every report; the report's own data is never read here."""
    steps = []
    try:
        from survey.report import catalog, format_number

        steps += [lambda: [catalog.load_catalog(a) for a in catalog.areas()],
                  lambda: [format_number(1234.5, lang) for lang in ("id", "en")]]
    except Exception:
        pass
    try:
        from survey.instrument import builtin_names, load_instrument

        steps.append(lambda: [load_instrument(n) for n in builtin_names()])
    except Exception:
        pass

    def fonts() -> None:
        # a figure drawn on its own canvas, never through pyplot: the kernel's backend is untouched
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(2, 2))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.set_title("Judul 1,5", fontweight="bold")
        ax.set_xlabel("x")
        ax.text(0.5, 0.5, "Teks 0123456789", fontsize=8)
        fig.canvas.draw()

    steps.append(fonts)
    try:
        from PIL import Image

        steps.append(Image.preinit)  # the image format plugins a first PNG save would load
    except Exception:
        pass
    for step in steps:
        try:
            step()
        except Exception:  # warming is an optimisation: a kernel without it still works
            pass
_LAUNCHER = "ipykernel_launcher"


def available() -> bool:
    return sys.platform.startswith("linux")


def launcher_args(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """Split a kernel spec's ``[python, *flags, -m, ipykernel_launcher, *args]`` into the flags and
    the launcher's arguments; None for any other kind of kernel (it is started the usual way)."""
    for i in range(1, len(argv) - 1):
        if argv[i] == "-m" and argv[i + 1] == _LAUNCHER:
            return argv[1:i], argv[i + 2:]
    return None


class Zygote:
    """A running zygote process, listening on a Unix socket in a private folder.

    The process that starts it owns it (the zygote dies with that process); any process of the
    same user may ask it for kernels through :meth:`client` (the local pool's workers share the
    runner's zygote, so the imports are paid once per run, not once per worker).
    """

    def __init__(self, python: str, flags: list[str], env: dict[str, str], cwd: str):
        import tempfile

        self.folder = tempfile.mkdtemp(prefix="survey-zygote-")  # 0700: only this user can connect
        self.address = os.path.join(self.folder, "socket")
        env = dict(env, MPLBACKEND=env.get("MPLBACKEND") or "module://matplotlib_inline.backend_inline",
                   SURVEY_ZYGOTE_PARENT=str(os.getpid()))
        self.proc = subprocess.Popen([python, *flags, "-m", "survey.reports.zygote", self.address],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, cwd=cwd, text=True, close_fds=True)
        self.key = (python, tuple(flags), cwd)
        self._client: ZygoteClient | None = None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float = 120) -> bool:
        """Wait until the zygote has done its imports (it says so on stdout); False if it died."""
        import selectors

        if self.proc.stdout is None:
            return self.alive()
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                return False
        line = self.proc.stdout.readline()
        self.proc.stdout.close()
        self.proc.stdout = None
        return line.strip() == "ready"

    def fork(self, argv: list[str], env: dict[str, str], cwd: str, log: str) -> int:
        if self._client is None:
            self._client = ZygoteClient(self.address)
        return self._client.fork(argv, env, cwd, log)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        try:
            self.proc.stdin.close()  # end of file: the zygote stops serving
            self.proc.wait(3)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            if self.proc.stdout:
                self.proc.stdout.close()
            import shutil

            shutil.rmtree(self.folder, ignore_errors=True)


class ZygoteClient:
    """A connection to a zygote (one per process that starts kernels; used from one thread)."""

    def __init__(self, address: str):
        self.address = address
        self.key = ("client", address)
        self._file = None

    def alive(self) -> bool:
        return os.path.exists(self.address)

    def fork(self, argv: list[str], env: dict[str, str], cwd: str, log: str) -> int:
        """Start a kernel; returns its process id (raises OSError when the zygote is gone)."""
        try:
            if self._file is None:
                self._file = self._connect()
            self._file.write(json.dumps({"argv": argv, "env": env, "cwd": cwd, "log": log}) + "\n")
            self._file.flush()
            line = self._file.readline()
        except (OSError, ValueError) as err:
            self.close()
            raise OSError(f"the kernel zygote is gone ({err})") from None
        if not line:
            self.close()
            raise OSError("the kernel zygote ended")
        answer = json.loads(line)
        if "pid" not in answer:
            raise OSError(f"the kernel zygote could not fork: {answer.get('error')}")
        return int(answer["pid"])

    def _connect(self, timeout: float = 180):
        """Connect, waiting while the zygote does its imports (it listens only when ready)."""
        import socket

        end = time.monotonic() + timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.address)
            except (ConnectionRefusedError, FileNotFoundError):
                sock.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
                continue
            f = sock.makefile("rw", encoding="utf-8", newline="\n")
            sock.close()  # the file keeps the connection open
            return f

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks (from /proc), or None when it does not exist; used
    with the pid so that a recycled pid is never mistaken for the kernel."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):  # a zombie is a dead kernel not yet reaped
        return None
    return int(fields[19])


class ForkedProcess:
    """The part of ``subprocess.Popen`` that ``jupyter_client`` uses, for a kernel that is not our
    own child (the zygote forked it and reaps it), so the exit code is not known: 1 once it ended."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._ticks = _start_ticks(pid)

    def poll(self) -> int | None:
        if self.returncode is None and (self._ticks is None or _start_ticks(self.pid) != self._ticks):
            self.returncode = 1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def provisioner(km, zygote: "Zygote | ZygoteClient", log: str):
    """A provisioner for ``km`` that forks the kernel from ``zygote`` (set it before ``start_kernel``)."""
    import uuid

    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            split = launcher_args(cmd)
            if split is None:
                return await super().launch_kernel(cmd, **kwargs)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
            try:
                pid = zygote.fork(split[1], env, cwd, log)
            except OSError:  # the zygote is gone: start this kernel the usual way
                return await super().launch_kernel(cmd, **kwargs)
            self.process = ForkedProcess(pid)
            self.pid, self.pgid, self.cwd = pid, pid, cwd  # the kernel leads its own session
            return self.connection_info

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    return ForkProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)


# ---- the zygote process -----------------------------------------------------------------------
def _die_with_parent(parent: int) -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except Exception:
        pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _kernel_child(request: dict[str, Any], zygote_pid: int) -> None:
    """In the forked child: become a fresh report kernel. Never returns."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own subprocesses
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with_parent(zygote_pid)
        fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.close(null)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        import tempfile

        tempfile.tempdir = None  # found again from the report's TMPDIR, not the zygote's
        if "numpy" in sys.modules:  # as a new process would: numpy's global generator seeded afresh
            sys.modules["numpy"].random.seed()
        sys.argv = [_LAUNCHER, *request["argv"]]
        from ipykernel.kernelapp import launch_new_instance

        launch_new_instance()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()  # IPython saves its history and closes files here
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def main(address: str) -> None:
    import selectors
    import socket

    parent = int(os.environ.pop("SURVEY_ZYGOTE_PARENT", "0") or 0)
    if parent:
        _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the owner ends the zygote, not the terminal
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped by the system, no zombies
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    prepare()
    # Clients are accepted only now: a kernel forked for a request that arrived during the imports
    # ran its first report several times slower (measured, not understood), so they retry until then
    server.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sel = selectors.DefaultSelector()
    sel.register(server, selectors.EVENT_READ, "accept")
    sel.register(sys.stdin, selectors.EVENT_READ, "owner")
    clients: dict[Any, Any] = {}
    while True:
        for key, _ in sel.select():
            if key.data == "owner":
                if not sys.stdin.readline():  # the owner closed the pipe or died
                    return
            elif key.data == "accept":
                conn, _ = server.accept()
                clients[conn] = conn.makefile("rw", encoding="utf-8", newline="\n")
                sel.register(conn, selectors.EVENT_READ, "client")
            else:
                conn = key.fileobj
                f = clients[conn]
                line = f.readline()
                if not line:
                    sel.unregister(conn)
                    f.close()
                    conn.close()
                    del clients[conn]
                    continue
                answer = _serve(line, server, list(clients))
                f.write(json.dumps(answer) + "\n")
                f.flush()


def _serve(line: str, server, connections: list) -> dict[str, Any]:
    """Fork one kernel for a request line; the child closes every socket of the zygote first."""
    try:
        request = json.loads(line)
        pid = os.fork()
    except Exception as err:
        return {"error": f"{type(err).__name__}: {err}"}
    if pid == 0:
        for sock in (server, *connections):  # the kernel must not hold the zygote's connections open
            try:
                os.close(sock.fileno())
            except OSError:
                pass
        _kernel_child(request, os.getppid())
    return {"pid": pid}


if __name__ == "__main__":
    main(sys.argv[1])
