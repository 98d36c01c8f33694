# Run by IPython in every report kernel before the notebook's first cell (the batch runner points
# IPYTHONDIR at a folder whose startup file execs this text). It must stay import-light and never
# fail: a broken report kernel is worse than a missing feature.
def _survey_runner_boot():
    import os
    import sys
    import threading

    parent = os.getppid()
    if os.environ.get("SURVEY_KERNEL_PDEATHSIG") == "1":
        # The kernel dies with the worker that started it, even when that worker is SIGKILLed.
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
            if os.getppid() != parent:
                os._exit(1)
        except Exception:
            pass

    try:
        owner = int(os.environ.get("SURVEY_KERNEL_OWNER") or 0)
    except ValueError:
        owner = 0

    def _watch_parent():
        # A second guard for every platform and executor: a kernel whose worker is gone has no one
        # to report to, so it ends itself. A kernel forked by the runner's zygote has the zygote as
        # parent; the worker that asked for it is its owner.
        import time

        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)
            if owner:
                try:
                    os.kill(owner, 0)
                except ProcessLookupError:
                    os._exit(1)
                except OSError:
                    pass

    threading.Thread(target=_watch_parent, name="survey-parent-watch", daemon=True).start()

    log_path = os.environ.get("SURVEY_READS_LOG")
    if log_path:
        skip = tuple(p for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, "/proc", "/sys", "/dev",
                                 "/etc", "/usr", os.path.expanduser("~/."),
                                 *os.environ.get("SURVEY_READS_SKIP", "").split(os.pathsep)} if p)
        log = open(log_path, "a", buffering=1, encoding="utf-8")
        seen = set()
        write_flags = os.O_WRONLY | os.O_RDWR

        def _hook(event, args):
            # Every file the notebook opens for reading is a dependency of the report: recorded so a
            # changed file makes the cached report stale even when no parameter names it.
            if event != "open" or not args:
                return
            path = args[0]
            if path is None or isinstance(path, int):
                return
            mode = args[1] if len(args) > 1 else None
            flags = args[2] if len(args) > 2 else 0
            if isinstance(mode, str) and any(c in mode for c in "wax+"):
                return
            if isinstance(flags, int) and flags & write_flags:
                return
            try:
                p = os.path.abspath(os.fsdecode(path))
            except Exception:
                return
            if p in seen or p.startswith(skip) or p.endswith(".pyc"):
                return
            seen.add(p)
            log.write(p + "\n")

        sys.addaudithook(_hook)

    for name in filter(None, os.environ.get("SURVEY_KERNEL_PRELOAD", "").split(",")):
        # Imports every report makes anyway, done while the kernel waits for its report.
        try:
            __import__(name)
        except Exception:
            pass


_survey_runner_boot()
del _survey_runner_boot
