"""Construct scores: the mean of a construct's answered items, reverse-keyed items recoded first."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._checks import as_list, check_choice
from ..errors import DataError
from ..instrument import Instrument, Item, load_instrument
from ._parallel import map_in_order


def reverse_code(values: pd.Series, scale_min: int, scale_max: int) -> pd.Series:
    """Reverse a keyed item: ``(min + max) - x`` over the scale's non-missing values.

    Missing data: NA stays NA.

    Examples
    --------
    >>> import pandas as pd
    >>> reverse_code(pd.Series([1, 2, 5, None], dtype="Int64"), 1, 5).tolist()
    [5, 4, 1, <NA>]
    """
    return (scale_min + scale_max) - values


def score(df: pd.DataFrame, instrument: str | Path | Instrument,
          constructs: str | list[str] | None = None) -> pd.DataFrame:
    """Add one score column per construct (named by the construct id); the data are not changed.

    score = mean of the construct's items after reverse-keyed items are recoded as
    ``(min + max) - x``, computed when at least ``min_answered`` items are answered, else NA.
    ``constructs`` limits the scores to some constructs (default all).

    Missing data: NA items are skipped (person-mean over answered items, "prorating"); a respondent
    with fewer than the construct's ``min_answered`` answered items gets NA. An item column absent
    from the data is a :class:`~survey.errors.DataError`.

    Examples
    --------
    >>> from survey import datasets
    >>> df = score(datasets.load("reaction"), "training_reaction", constructs=["relevance"])
    >>> df[["REL1", "REL2", "REL3", "REL4", "relevance"]].head(2)
       REL1  REL2  REL3  REL4  relevance
    0     4     4     4     2       4.00
    1     4     4     4     2       4.00

    REL4 is reverse-keyed on a 1-5 scale: its 2 counts as 4.
    """
    inst = load_instrument(instrument)
    wanted = as_list(constructs) or list(inst.constructs)
    for cid in wanted:
        check_choice("constructs", cid, inst.constructs)
    for cid in wanted:
        _check_items(df, inst, cid)
    out = df.copy(deep=False)  # new columns only; the caller's frame and its values stay untouched
    # the columns are taken here, the arithmetic may run on other threads
    jobs = [(inst, cid, len(df), [(it, df[it.name]) for it in inst.items_of(cid)]) for cid in wanted]
    for cid, values in zip(wanted, map_in_order(_construct_score, jobs, len(df))):
        out[cid] = pd.Series(values, index=df.index, copy=False)  # a new array of ours: no copy needed
    return out


def _check_items(df: pd.DataFrame, inst: Instrument, cid: str) -> None:
    missing = [i.name for i in inst.items_of(cid) if i.name not in df.columns]
    if missing:
        raise DataError(f"cannot score construct {cid!r}: item column(s) {', '.join(missing)} "
                        f"are not in the data; read the file with read_responses() first")


def _construct_score(job: tuple[Instrument, str, int, list[tuple[Item, pd.Series]]]) -> np.ndarray:
    """One construct's scores: ``job`` is (instrument, construct id, rows, [(item, its column)])."""
    inst, cid, n, columns = job
    total = np.zeros(n)
    # answered items per row: small counts in a small type, added without a conversion pass
    n_ans = np.zeros(n, dtype=np.uint8 if len(columns) < 256 else np.int64)
    buffer = np.empty(n)
    for it, col in columns:  # column by column: contiguous 1-D arithmetic, no n x k block
        x, ok = _answers(col, buffer)
        if it.reverse:  # (min + max) - x where answered, as reverse_code
            sc = inst.scales[it.scale]
            # where=: no temporary ok * (min + max); the cells skipped would have added 0.0
            np.add(total, float(sc.min + sc.max), out=total, where=ok)
            total -= x
        else:
            total += x
        np.add(n_ans, ok.view(np.uint8), out=n_ans)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.divide(total, n_ans, out=total)  # in place: the sums are not needed again
    np.putmask(mean, n_ans < inst.constructs[cid].min_answered, np.nan)
    return mean


def _answers(col: pd.Series, buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(answers as float64 with missing as 0, answered as bool) of one item column.

    Nullable integer and float columns (what ``read_responses`` returns) give their values and
    mask as stored, without a pass that writes NaN; other columns are converted to numbers first.
    Integer answers are written into ``buffer`` (float64, one per row), which the caller reuses
    from item to item instead of a fresh array per item.
    """
    arr = col.array
    if isinstance(arr, pd.arrays.IntegerArray) and isinstance(getattr(arr, "_data", None), np.ndarray):
        missing = arr.isna()
        np.copyto(buffer, arr._data, casting="unsafe")  # the stored values, as to_numpy would convert them
        np.putmask(buffer, missing, 0.0)
        return buffer, ~missing
    if isinstance(arr, pd.arrays.IntegerArray | pd.arrays.FloatingArray):
        ok = ~arr.isna()
        x = arr.to_numpy(dtype="float64", na_value=0.0)
        if isinstance(arr, pd.arrays.FloatingArray):
            nan = np.isnan(x)  # a NaN stored as a value (not masked) is missing too
            if nan.any():
                ok &= ~nan
                x[nan] = 0.0
        return x, ok
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        col = pd.to_numeric(col, errors="coerce")
    x = col.to_numpy(dtype="float64", na_value=np.nan)
    ok = ~np.isnan(x)
    return np.where(ok, x, 0.0), ok
