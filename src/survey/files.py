"""Writing output files safely: to a temporary name beside the target, renamed when complete, so a
crash never leaves a half-written file that looks finished (ARCHITECTURE.md, "Safety rules that shape the code")."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _umask_mode() -> int:
    """File mode a plain ``open()`` would give (mkstemp creates 0600, too strict for shared outputs)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary sibling of ``path`` with the same suffix (writers that pick the format by suffix
    keep working); renamed over ``path`` when the block ends without error, deleted otherwise."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, _umask_mode())
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_path` (parent folders are created)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` through :func:`atomic_path` (parent folders are created)."""
    atomic_write_bytes(path, text.encode("utf-8"))
