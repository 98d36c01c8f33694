"""A score over waves with its interval: the IKM for the SKM, a construct mean for other instruments."""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import check_confidence, require_columns
from ..errors import DataError
from ..instrument import Instrument, load_instrument
from ..results import Result
from .index import ikm

__all__ = ["TrendResult", "trend"]

TREND_COLUMNS = ["wave", "label", "n", "value", "ci_low", "ci_high"]


@dataclasses.dataclass(frozen=True)
class TrendResult(Result):
    """A score per wave.

    table : one row per wave: wave, label (the ``wave_label`` when the data have one), n, value,
        ci_low, ci_high.
    measure : ``"ikm_unit"`` for the SKM (value = IKM unit, 25-100), else the construct id (value =
        mean construct score on the items' scale).
    confidence : confidence level of the interval.
    """

    main = "table"

    table: pd.DataFrame
    measure: str
    confidence: float


def trend(data: pd.DataFrame, instrument: str | Instrument, construct: str, wave: str = "wave",
          confidence: float = 0.95) -> TrendResult:
    """Mean per wave of a construct score with a t interval; the IKM for the SKM.

    Construct score: :func:`survey.score` (reverse-keyed items recoded as ``(min + max) - x``, mean
    of the answered items, NA below the construct's ``min_answered``); per wave

        mean +/- t(confidence, n - 1) * sd / sqrt(n)

    over the non-missing scores (no interval when n < 2).

    SKM (an instrument whose id starts with ``skm`` and construct ``ikm``): the IKM unit value
    (25-100) of :func:`survey.skm.ikm` per wave (PermenPANRB 14/2017), with its delta-method
    interval; ``measure`` is ``"ikm_unit"``. An unsur nobody answered in a wave is excluded there
    and the weights renormalised, without a warning (small filtered views expect it).

    Missing data: respondents whose construct score is NA do not count in n; waves are the
    non-missing values of the ``wave`` column, in sorted order.

    Examples
    --------
    >>> from survey import datasets, skm
    >>> t = skm.trend(datasets.load("skm"), "skm_2017", "ikm")
    >>> t.measure
    'ikm_unit'
    >>> t.table[["wave", "n", "value", "ci_low", "ci_high"]].round(2)
       wave    n  value  ci_low  ci_high
    0     1   60  80.33   78.09    82.56
    1     2   60  74.60   71.56    77.65

    A construct of another instrument (waves added here for the example):

    >>> import numpy as np
    >>> df = datasets.load("reaction")
    >>> df["wave"] = np.arange(len(df)) % 2 + 1
    >>> skm.trend(df, "training_reaction", "relevance").table[["wave", "n", "value"]].round(3)
       wave    n  value
    0     1  163  4.107
    1     2  162  3.980
    """
    check_confidence(confidence)
    require_columns(data, [], "trend()")
    if wave not in data.columns:
        raise DataError(f"trend(): the data have no {wave!r} column, so there is no trend over waves; "
                        f"name the period column with wave=...")
    inst = load_instrument(instrument)
    if construct == "ikm" and inst.id.startswith("skm"):
        table, measure = _ikm_by_wave(data, inst, wave, confidence), "ikm_unit"
    else:
        table, measure = _construct_mean_by_wave(data, inst, construct, wave, confidence), construct
    labels = _wave_labels(data, wave)
    table.insert(1, "label", [str(labels.get(w, w)) for w in table["wave"]])
    return TrendResult(table=table, measure=measure, confidence=confidence)


def _wave_labels(data: pd.DataFrame, wave: str) -> dict:
    if "wave_label" not in data.columns:
        return {}
    return data[[wave, "wave_label"]].dropna().drop_duplicates(wave).set_index(wave)["wave_label"].to_dict()


def _ikm_by_wave(data: pd.DataFrame, inst: Instrument, wave: str, confidence: float) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unsur nobody answered in a small filter is expected here
        res = ikm(data, by=wave, ci="delta", instrument=inst, confidence=confidence)
    s = res.summary.reset_index()
    return pd.DataFrame({"wave": s[wave], "n": s["n"], "value": s["ikm_unit"],
                         "ci_low": s["ci_low_unit"], "ci_high": s["ci_high_unit"]})


def _construct_mean_by_wave(data: pd.DataFrame, inst: Instrument, construct: str, wave: str,
                            confidence: float) -> pd.DataFrame:
    from ..responses import score  # responses imports much; only this branch needs it

    scored = score(data, inst, [construct])
    rows = []
    for w, x in scored.groupby(wave, sort=True)[construct]:
        x = x.dropna().astype(float)
        n = len(x)
        mean = float(x.mean()) if n else np.nan
        if n >= 2:
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
            lo, hi = mean - half, mean + half
        else:
            lo = hi = np.nan
        rows.append({"wave": w, "n": n, "value": mean, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=["wave", "n", "value", "ci_low", "ci_high"])
