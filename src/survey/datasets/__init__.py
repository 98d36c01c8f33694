"""Small data sets shipped with the package, for the examples in the docstrings and for trying a
function without a survey of one's own. Every one is synthetic or public; ``describe(name)`` says
where it comes from and what its columns are.

>>> from survey import datasets
>>> "reaction" in datasets.names()
True
"""
from __future__ import annotations

from importlib import resources

import pandas as pd

from ..errors import ParameterError

__all__ = ["load", "names", "describe"]


def names() -> list[str]:
    """Names of the shipped data sets."""
    return sorted(p.name[:-4] for p in resources.files(__name__).iterdir() if p.name.endswith(".csv"))


def describe(name: str) -> str:
    """Origin and columns of a data set (the text of its ``.txt`` file)."""
    _check(name)
    return (resources.files(__name__) / f"{name}.txt").read_text(encoding="utf-8")


def load(name: str) -> pd.DataFrame:
    """A shipped data set as a DataFrame (item answers as nullable integers where whole numbers)."""
    _check(name)
    with resources.as_file(resources.files(__name__) / f"{name}.csv") as path:
        frame = pd.read_csv(path)
    for col in frame.columns:
        s = frame[col]
        if s.dtype.kind == "f" and s.dropna().eq(s.dropna().round()).all() or s.dtype.kind == "i":
            frame[col] = s.astype("Int64")
    return frame


def _check(name: str) -> None:
    if name not in names():
        raise ParameterError(f"no data set {name!r}; the shipped ones are {', '.join(names())}")
