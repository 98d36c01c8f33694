"""Where the project lives: its root folder and paths given relative to it.

Notebooks, plans and the CLI name files relative to the project root (``data/demo/skm.csv``), so
that a notebook gives the same answer whether it runs from ``notebooks/``, from the batch runner or
from the project folder.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT_ENV = "SURVEY_PROJECT_ROOT"
"""Environment variable that names the project root outright (the batch runner sets it for its
kernels, so a report never depends on the folder it was started from)."""


def _is_root(folder: Path) -> bool:
    return (folder / "notebooks").is_dir() and (folder / "pyproject.toml").is_file()


def find_project_root(start: str | Path) -> Path | None:
    """The nearest folder from ``start`` upwards holding ``pyproject.toml`` and ``notebooks/``, or
    None: no environment variable, no fallback (see :func:`project_root` for those).

    Examples
    --------
    >>> find_project_root(project_root() / "notebooks" / "plans") == project_root()
    True
    """
    here = Path(start).resolve()
    for folder in [here, *here.parents]:
        if _is_root(folder):
            return folder
    return None


def project_root(start: str | Path | None = None) -> Path:
    """The folder holding ``pyproject.toml`` and ``notebooks/``.

    ``$SURVEY_PROJECT_ROOT`` wins when set; otherwise the folders from ``start`` (the current
    folder by default) upwards are searched, then those above this package's source (an installed
    package used from elsewhere finds the checkout it came from). When nothing matches, the start
    folder itself is returned.

    Examples
    --------
    >>> root = project_root()
    >>> (root / "pyproject.toml").is_file()
    True
    """
    env = os.environ.get(ROOT_ENV)
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    found = find_project_root(here)
    if found is None:
        found = find_project_root(Path(__file__).resolve().parent)
    return found if found is not None else here


def project_path(p: str | Path) -> Path:
    """``p`` resolved against the project root; absolute paths pass unchanged.

    Examples
    --------
    >>> project_path("data/demo") == project_root() / "data" / "demo"
    True
    >>> project_path("/srv/survey/skm.csv").as_posix()
    '/srv/survey/skm.csv'
    """
    path = Path(p)
    return path if path.is_absolute() else project_root() / path
