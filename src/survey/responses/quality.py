"""Data-quality flags researchers check before analysis: straight-lining, speeders, item
non-response and contradictions between reverse-keyed and forward items."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._checks import check_positive_int
from ..errors import DataError, ParameterError
from ..instrument import Instrument, Item, load_instrument
from ..results import Result

_DURATION_COLUMNS = ("duration_sec", "duration", "durasi", "interviewtime")
_START_END = (("start", "end"), ("startdate", "submitdate"), ("starttime", "endtime"))


@dataclass(frozen=True)
class QualityFlagsResult(Result):
    """Per-respondent data-quality flags and their summary.

    ``flags`` (the main table, one row per response, same index as the data): ``n_items``,
    ``n_answered``, ``nonresponse`` (share of scored items unanswered), ``longstring`` (longest
    run of identical consecutive answers), ``straightline`` (every answered scored item has the
    same answer, at least ``min_items`` answered), ``duration_sec``, ``speeder``,
    ``reverse_contradictions`` (how many reverse-keyed items contradict their construct's other
    items), ``reverse_inconsistent``, ``high_nonresponse``, ``any_flag``. ``summary``: flag, n,
    percent, rule. ``speed_threshold_sec`` is the speeder limit in seconds (None without times).
    ``warnings`` names the rules that could not be evaluated.
    """

    main = "flags"

    flags: pd.DataFrame
    summary: pd.DataFrame
    speed_threshold_sec: float | None


def quality_flags(df: pd.DataFrame, instrument: str | Path | Instrument, *, duration: str | None = None,
                  min_seconds: float | None = None, speed_ratio: float = 0.5, min_items: int = 5,
                  max_nonresponse: float = 0.5) -> QualityFlagsResult:
    """Flags researchers check before analysis.

    - Straight-lining: all answered scored items identical, with at least ``min_items`` answered;
      ``longstring`` is the longest run of identical consecutive answers (Johnson 2005,
      *J. Research in Personality* 39:103-129), in questionnaire order.
    - Speeders: completion time below ``min_seconds``, or by default below ``speed_ratio`` times the
      median (0.5: a common rule, e.g. Greszki, Meyer & Schoen 2015). Time comes from
      ``duration`` / duration_sec / interviewtime, or end - start (Kobo ``start``/``end``,
      LimeSurvey ``startdate``/``submitdate``). No time column: the flag is NA.
    - Item non-response: share of scored items unanswered; flagged above ``max_nonresponse``.
    - Reverse-keyed contradictions: a reverse-keyed item answered on the same side of the scale
      midpoint as the mean of its construct's forward items, both at least a quarter of the scale
      range away from the midpoint (e.g. "agree" to "I look forward to work" and to "I only do the
      minimum"). Counted per respondent; flagged when at least one.

    Missing data: unanswered items are skipped in every rule; a rule that cannot be evaluated gives
    NA (and a sentence in ``warnings`` when it cannot be evaluated for anyone).

    Examples
    --------
    >>> from survey import datasets
    >>> qf = quality_flags(datasets.load("reaction"), "training_reaction")
    >>> qf.summary[["flag", "n"]]
                       flag  n
    0          straightline  ...
    1               speeder  0
    2  reverse_inconsistent  ...
    3      high_nonresponse  0
    4              any_flag  ...
    >>> qf.to_frame().shape
    (325, 11)
    >>> qf.warnings
    ('no duration or start/end column: speeders are not flagged',)
    """
    _check_options(min_seconds, speed_ratio, min_items, max_nonresponse)
    inst = load_instrument(instrument)
    items = [it for it in inst.scored_items if it.name in df.columns]
    if not items:
        raise DataError(f"no scored item of instrument {inst.id!r} is in the data; read it with read_responses() first")
    X = np.column_stack([_numeric(df, it.name) for it in items])
    answered = ~np.isnan(X)
    n_ans = answered.sum(axis=1)
    dur = _durations(df, duration)
    thr, speeder = _speeders(dur, len(df), min_seconds, speed_ratio)
    contra = _reverse_contradictions(df, inst, items)
    flags = pd.DataFrame({
        "n_items": X.shape[1],
        "n_answered": n_ans,
        "nonresponse": 1 - n_ans / X.shape[1],
        "longstring": _longstring(X, answered),
        "straightline": (n_ans >= min_items) & (_answer_range(X, answered) == 0),
        "duration_sec": dur.to_numpy() if dur is not None else np.nan,
        "speeder": speeder,
        "reverse_contradictions": contra,
    }, index=df.index)
    flags["reverse_inconsistent"] = (flags["reverse_contradictions"] >= 1).astype("boolean")
    flags["high_nonresponse"] = flags["nonresponse"] > max_nonresponse
    flags["any_flag"] = (flags["straightline"] | flags["speeder"].fillna(False)
                         | flags["reverse_inconsistent"].fillna(False) | flags["high_nonresponse"])
    rules = _rules(thr, min_seconds, speed_ratio, min_items, max_nonresponse)
    return QualityFlagsResult(flags=flags, summary=_summary(flags, rules), speed_threshold_sec=thr,
                              warnings=_warnings(thr, contra))


def _check_options(min_seconds: float | None, speed_ratio: float, min_items: int, max_nonresponse: float) -> None:
    check_positive_int("min_items", min_items)
    if not speed_ratio > 0:
        raise ParameterError(f"speed_ratio={speed_ratio!r} must be above 0 (0.5: half the median time)")
    if min_seconds is not None and not min_seconds >= 0:
        raise ParameterError(f"min_seconds={min_seconds!r} must be a number of seconds >= 0")
    if not 0 <= max_nonresponse <= 1:
        raise ParameterError(f"max_nonresponse={max_nonresponse!r} is a share: give a number from 0 to 1")


def _numeric(df: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(df[column], errors="coerce").astype("float64").to_numpy()


def _longstring(X: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """Longest run of identical consecutive answers among answered items (gaps skipped)."""
    longest = np.zeros(X.shape[0], dtype=int)
    for r in range(X.shape[0]):
        row = X[r][answered[r]]
        if row.size == 0:
            continue
        change = np.flatnonzero(np.diff(row) != 0)
        bounds = np.concatenate(([-1], change, [row.size - 1]))
        longest[r] = int(np.diff(bounds).max())
    return longest


def _answer_range(X: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """Highest minus lowest answered value per respondent (-inf when none is answered)."""
    with np.errstate(invalid="ignore"):
        return np.nanmax(np.where(answered, X, -np.inf), axis=1) - np.nanmin(np.where(answered, X, np.inf), axis=1)


def _durations(df: pd.DataFrame, duration: str | None) -> pd.Series | None:
    if duration is not None:
        if duration not in df.columns:
            raise DataError(f"duration column {duration!r} is not in the data")
        return pd.to_numeric(df[duration], errors="coerce").astype("float64")
    for c in _DURATION_COLUMNS:
        if c in df.columns:
            return pd.to_numeric(df[c], errors="coerce").astype("float64")
    for a, b in _START_END:
        if a in df.columns and b in df.columns:
            t0 = pd.to_datetime(df[a], errors="coerce", utc=True, format="mixed")
            t1 = pd.to_datetime(df[b], errors="coerce", utc=True, format="mixed")
            return (t1 - t0).dt.total_seconds().astype("float64")
    return None


def _speeders(dur: pd.Series | None, n: int, min_seconds: float | None,
              speed_ratio: float) -> tuple[float | None, pd.arrays.BooleanArray]:
    """The speed limit in seconds and who is below it (NA without a time)."""
    if dur is None:
        return None, pd.array([pd.NA] * n, dtype="boolean")
    thr = float(min_seconds) if min_seconds is not None else float(np.nanmedian(dur.to_numpy())) * speed_ratio
    return thr, pd.array(np.where(dur.isna(), None, dur.to_numpy() < thr), dtype="boolean")


def _reverse_contradictions(df: pd.DataFrame, inst: Instrument, items: list[Item]) -> pd.arrays.IntegerArray:
    """Per respondent: how many reverse-keyed items lie on the same side of the midpoint as the
    mean of their construct's forward items (NA where no pair could be compared)."""
    n = len(df)
    contra = np.zeros(n, dtype=int)
    evaluable = np.zeros(n, dtype=bool)
    for cid in inst.constructs:
        members = [it for it in inst.items_of(cid) if it.name in df.columns]
        rev = [it for it in members if it.reverse]
        fwd = [it for it in members if not it.reverse]
        if not rev or not fwd:
            continue
        sc = inst.scales[fwd[0].scale]
        mid = (sc.min + sc.max) / 2
        margin = (sc.max - sc.min) / 4
        F = np.column_stack([_numeric(df, it.name) for it in fwd])
        n_f = (~np.isnan(F)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            fmean = np.where(n_f > 0, np.nansum(F, axis=1) / n_f, np.nan)
        for it in rev:
            r = _numeric(df, it.name)
            ok = ~np.isnan(r) & ~np.isnan(fmean)
            evaluable |= ok
            same_high = (r - mid >= margin) & (fmean - mid >= margin)
            same_low = (mid - r >= margin) & (mid - fmean >= margin)
            contra += (ok & (same_high | same_low)).astype(int)
    has_rev = any(it.reverse for it in items)
    return pd.arrays.IntegerArray(contra, ~evaluable if has_rev else np.ones(n, dtype=bool))


def _rules(thr: float | None, min_seconds: float | None, speed_ratio: float, min_items: int,
           max_nonresponse: float) -> dict[str, str]:
    if thr is None:
        speed = "no duration or start/end column"
    else:
        speed = f"duration below {thr:.0f} s" + ("" if min_seconds is not None else f" ({speed_ratio:g} x median)")
    return {
        "straightline": f"all answered scored items identical (at least {min_items} answered)",
        "speeder": speed,
        "reverse_inconsistent": "a reverse-keyed item on the same side of the midpoint as its construct's other items",
        "high_nonresponse": f"more than {max_nonresponse:.0%} of scored items unanswered",
        "any_flag": "any of the above",
    }


def _summary(flags: pd.DataFrame, rules: dict[str, str]) -> pd.DataFrame:
    n = len(flags)
    rows = []
    for k, rule in rules.items():
        hits = int(flags[k].fillna(False).sum())
        rows.append({"flag": k, "n": hits, "percent": 100 * float(hits) / n if n else np.nan, "rule": rule})
    return pd.DataFrame(rows)


def _warnings(thr: float | None, contra: pd.arrays.IntegerArray) -> tuple[str, ...]:
    out = []
    if thr is None:
        out.append("no duration or start/end column: speeders are not flagged")
    if len(contra) and contra.isna().all():
        out.append("no construct has both reverse-keyed and forward items answered: "
                   "reverse-keyed contradictions are not flagged")
    return tuple(out)
