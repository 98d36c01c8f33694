"""Data preparation for panels: unit-by-period means and adoption waves from training records."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._checks import require_columns
from ..errors import DataError
from ._common import numeric

__all__ = ["unit_wave_means", "adoption_waves"]


def unit_wave_means(data: pd.DataFrame, outcome: str, unit: str = "unit_id", time: str = "wave",
                    keep: Sequence[str] = ("first_treated",)) -> pd.DataFrame:
    """One row per unit and period: the mean of ``outcome`` over answered rows and their count ``n``.

    ``keep`` columns must be constant within a unit and period (e.g. ``first_treated``); their first
    value is kept. This is the panel :func:`staggered` expects.

    Missing data: rows with a missing outcome are left out of the mean; unit-periods with no
    answer are dropped.

    Examples
    --------
    >>> from survey import datasets, impact
    >>> means = impact.unit_wave_means(datasets.load("impact_panel"), "y", unit="unit", time="wave")
    >>> means.shape, list(means.columns)
    ((48, 5), ['unit', 'wave', 'y', 'n', 'first_treated'])
    """
    where = "unit_wave_means"
    keep = [k for k in keep if k in data.columns]
    require_columns(data, [outcome, unit, time], where)
    d = data[[unit, time, outcome, *keep]].copy()
    d[outcome] = numeric(d, outcome, where)
    d = d[d[outcome].notna()]
    for k in keep:
        varies = d.groupby([unit, time], observed=True)[k].nunique(dropna=False) > 1
        if varies.any():
            u, t = varies.index[varies.to_numpy()][0]
            raise DataError(f"{where}: {k!r} differs within unit {u!r}, period {t!r}; it must be a unit "
                            f"property (fix the data or leave it out of keep).")
    agg = {outcome: (outcome, "mean"), "n": (outcome, "size")}
    agg.update({k: (k, "first") for k in keep})
    return d.groupby([unit, time], as_index=False, observed=True).agg(**agg)


def adoption_waves(records: pd.DataFrame, program: str, unit: str = "unit_id", time: str = "wave",
                   program_col: str = "program") -> pd.Series:
    """First period in which anyone of each unit attended ``program`` (from training records).

    Returns a Series indexed by unit; units never reached by the program are absent (treat them as
    never treated). Raises a ``DataError`` when the program does not occur in the records.

    Missing data: records with a missing period are ignored.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey import impact
    >>> rec = pd.DataFrame({"unit_id": ["A", "A", "B"], "wave": [3, 2, 4], "program": ["lead"] * 3})
    >>> impact.adoption_waves(rec, "lead").to_dict()
    {'A': 2, 'B': 4}
    """
    require_columns(records, [unit, time, program_col], "adoption_waves")
    r = records[records[program_col] == program]
    if r.empty:
        progs = sorted(map(str, records[program_col].dropna().unique()))
        raise DataError(f"adoption_waves: program {program!r} does not occur in column {program_col!r}; "
                        f"programs present: {progs}.")
    return pd.to_numeric(r[time]).groupby(r[unit]).min().rename("first_treated")
