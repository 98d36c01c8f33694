"""Reliability of repeated measures (persons answering the same items at several times), as
``psych::multilevel.reliability`` (Shrout & Lane 2012)."""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pandas as pd

from .._checks import require_columns
from ..errors import DataError
from ..results import Result
from ._matrix import _warn

__all__ = ["MultilevelResult", "multilevel"]

_CROSSED = ["ID", "Time", "Items", "ID x time", "ID x items", "time x items", "Residual", "Total"]
_NESTED = ["id", "id(time)", "residual", "total"]


@dataclasses.dataclass(frozen=True)
class MultilevelResult(Result):
    """Multilevel (generalizability) reliability of repeated measures (see :func:`multilevel`);
    ``to_frame()`` gives the coefficients and counts as one row."""

    main = "summary"

    summary: pd.Series
    components: pd.DataFrame
    nested_components: pd.DataFrame
    n_obs: int
    n_time: int
    n_items: int
    n_dropped: int = 0


def _cube(data: pd.DataFrame, id: str, time: str, items: list[str]) -> tuple[np.ndarray, list, list, int]:
    """Answers as an (id, time, item) array from complete, balanced persons, persons and times in
    sorted order; the number of persons dropped for a missing wave or answer.

    The rows are placed by integer codes of person and time: no grouping, sorting or copying of
    the frame (those cost more than the analysis on a survey's few hundred rows)."""
    who, when = data[id], data[time]
    if who.isna().any() or when.isna().any():
        raise DataError(f"multilevel: the columns {id!r} and {time!r} must have no missing values")
    person, persons = pd.factorize(who, sort=True)
    occasion, times = pd.factorize(when, sort=True)
    key = person * len(times) + occasion
    first = np.unique(key, return_index=True)[1]
    if len(first) < len(key):
        repeat = np.ones(len(key), dtype=bool)
        repeat[first] = False
        dup = data[[id, time]].iloc[int(np.flatnonzero(repeat)[0])].tolist()
        raise DataError(f"multilevel: person {dup[0]!r} has more than one row at {time} = {dup[1]!r}; "
                        "keep one row per person and time")
    bad = [c for c in items if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise DataError(f"multilevel: item column(s) {', '.join(bad)} are not numeric")
    x = data[items].to_numpy(dtype=float, na_value=np.nan)
    complete = ~np.isnan(x).any(axis=1)
    # one row per person and time, so a person's complete rows count the times they answered fully
    balanced = np.bincount(person[complete], minlength=len(persons)) == len(times)
    ids = list(persons[balanced])
    if len(ids) < 2 or len(times) < 2 or len(items) < 2:
        raise DataError(f"multilevel: needs at least 2 persons with every time answered completely, 2 times and "
                        f"2 items; got {len(ids)} persons, {len(times)} times, {len(items)} items")
    rank = np.cumsum(balanced) - 1  # a kept person's place in the cube
    use = complete & balanced[person]
    cube = np.empty((len(ids), len(times), len(items)))
    cube[rank[person[use]], occasion[use]] = x[use]
    return cube, ids, list(times), len(persons) - len(ids)


def _nested_reml(cube: np.ndarray) -> tuple[float, float, float]:
    """REML variance components of ``values ~ 1 + (1 | id/time)`` for a balanced design (what
    psych fits with ``nlme::lme``): the nested ANOVA estimates when they are positive, otherwise
    the REML solution on the boundary (a component at zero, the others pooled)."""
    n, t, k = cube.shape
    grand = cube.mean()
    m_i = cube.mean(axis=(1, 2))
    m_it = cube.mean(axis=2)
    ss_id = t * k * np.sum((m_i - grand) ** 2)
    ss_it = k * np.sum((m_it - m_i[:, None]) ** 2)
    ss_e = np.sum((cube - m_it[:, :, None]) ** 2)
    df_id, df_it, df_e = n - 1, n * (t - 1), n * t * (k - 1)
    ms_id, ms_it, ms_e = ss_id / df_id, ss_it / df_it, ss_e / df_e
    v_res, v_it, v_id = ms_e, (ms_it - ms_e) / k, (ms_id - ms_it) / (t * k)
    if v_it < 0:  # occasions add nothing: pool them with the residual
        v_it = 0.0
        v_res = (ss_it + ss_e) / (df_it + df_e)
        v_id = (ms_id - v_res) / (t * k)
    if v_id < 0:
        v_id = 0.0
        if v_it > 0:
            ms_pool = (ss_id + ss_it) / (df_id + df_it)
            v_it = max((ms_pool - ms_e) / k, 0.0)
            if v_it == 0.0:
                v_res = (ss_id + ss_it + ss_e) / (df_id + df_it + df_e)
        else:
            v_res = (ss_id + ss_it + ss_e) / (df_id + df_it + df_e)
    return float(v_id), float(v_it), float(v_res)


def multilevel(data: pd.DataFrame, id: str, time: str, items: Sequence[str]) -> MultilevelResult:
    """Reliability of a scale answered repeatedly, as ``psych::multilevel.reliability(x,
    grp=id, Time=time, items=items)`` (Shrout & Lane 2012; Cranford et al. 2006).

    Long data: one row per person (``id``) and time (``time``), the item answers in ``items``.
    A three-way ANOVA (persons x times x items, with all two-way interactions) gives the
    variance components by their expected mean squares (psych's defaults ``aov=TRUE``), e.g.
    ``var(ID) = (MS_id - MS_idxtime - MS_idxitems + MS_res) / (n_time n_items)``,
    ``var(ID x time) = (MS_idxtime - MS_res) / n_items``; negative estimates are kept, as psych
    does. With P = var(ID), PI = var(ID x items), T = var(Time), PT = var(ID x time),
    E = residual, k items and m times:

    * ``RkF = (P + PI/k) / (P + PI/k + E/(k m))``: between-person reliability of the average
      over all times (times fixed);
    * ``R1R = (P + PI/k) / (P + PI/k + T + PT + E/k)``: of one random time;
    * ``RkR = (P + PI/k) / (P + PI/k + (T + PT)/m + E/(k m))``: of the average over random times;
    * ``Rc = PT / (PT + E/k)``: reliability of change within a person;
    * ``RkRn``, ``Rcn``: the same from the nested model ``values ~ 1 + (1 | id/time)`` fitted by
      REML (psych's ``lme=TRUE``; balanced data: the nested ANOVA estimates, on the boundary
      when one is negative): ``RkRn = id / (id + id(time)/m + residual/(k m))``,
      ``Rcn = id(time) / (id(time) + residual/k)``.

    ``components`` has psych's rows (ID, Time, Items, ID x time, ID x items, time x items,
    Residual, Total) with ``variance`` and ``percent``; ``nested_components`` the nested ones
    (id, id(time), residual, total). Reverse-keyed items should be reversed first (psych's
    ``"-item"`` spelling is not supported).

    Missing data: the variance components need a balanced design, so a person is used only with
    every time present and every item answered; other persons are dropped (``n_dropped``, with a
    warning). psych instead runs an unbalanced ANOVA, which it warns may give wrong components.

    Examples
    --------
    >>> from survey import datasets
    >>> d = datasets.load("reliability_waves")
    >>> res = multilevel(d, id="id", time="wave", items=["Q1", "Q2", "Q3", "Q4", "Q5"])
    >>> res.summary[["RkF", "R1R", "RkR", "Rc", "RkRn", "Rcn"]].astype(float).round(3).tolist()
    [0.941, 0.547, 0.828, 0.66, 0.825, 0.678]
    """
    items = [str(c) for c in items]
    require_columns(data, [id, time, *items], "multilevel")
    cube, ids, times, dropped = _cube(data, id, time, items)
    n, t, k = cube.shape
    g = cube.mean()
    mi, mt, mk = cube.mean(axis=(1, 2)), cube.mean(axis=(0, 2)), cube.mean(axis=(0, 1))
    mit, mik, mtk = cube.mean(axis=2), cube.mean(axis=1), cube.mean(axis=0)
    ss = {
        "id": t * k * np.sum((mi - g) ** 2),
        "time": n * k * np.sum((mt - g) ** 2),
        "items": n * t * np.sum((mk - g) ** 2),
        "id x time": k * np.sum((mit - mi[:, None] - mt[None, :] + g) ** 2),
        "time x items": n * np.sum((mtk - mt[:, None] - mk[None, :] + g) ** 2),
        "id x items": t * np.sum((mik - mi[:, None] - mk[None, :] + g) ** 2),
    }
    ss["residuals"] = float(np.sum((cube - g) ** 2) - sum(ss.values()))
    df = {"id": n - 1, "time": t - 1, "items": k - 1, "id x time": (n - 1) * (t - 1),
          "time x items": (t - 1) * (k - 1), "id x items": (n - 1) * (k - 1),
          "residuals": (n - 1) * (t - 1) * (k - 1)}
    ms = {key: ss[key] / df[key] for key in ss}
    e = ms["residuals"]
    v_id = (ms["id"] - ms["id x time"] - ms["id x items"] + e) / (t * k)
    v_time = (ms["time"] - ms["id x time"] - ms["time x items"] + e) / (n * k)
    v_items = (ms["items"] - ms["id x items"] - ms["time x items"] + e) / (n * t)
    v_pt = (ms["id x time"] - e) / k
    v_pi = (ms["id x items"] - e) / t
    v_ti = (ms["time x items"] - e) / n
    var = np.array([v_id, v_time, v_items, v_pt, v_pi, v_ti, e])
    var = np.r_[var, var.sum()]
    components = pd.DataFrame({"variance": var, "percent": var / var[-1]}, index=pd.Index(_CROSSED, name="source"))
    num = v_id + v_pi / k
    rkf = num / (num + e / (t * k))
    r1r = num / (num + v_time + v_pt + e / k)
    rkr = num / (num + v_time / t + v_pt / t + e / (t * k))
    rc = v_pt / (v_pt + e / k)
    n_id, n_it, n_res = _nested_reml(cube)
    nvar = np.array([n_id, n_it, n_res, n_id + n_it + n_res])
    nested = pd.DataFrame({"variance": nvar, "percent": nvar / nvar[-1]}, index=pd.Index(_NESTED, name="source"))
    rkrn = n_id / (n_id + n_it / t + n_res / (t * k))
    rcn = n_it / (n_it + n_res / k)
    summary = pd.Series({"RkF": rkf, "R1R": r1r, "RkR": rkr, "Rc": rc, "RkRn": rkrn, "Rcn": rcn,
                         "n_obs": n, "n_time": t, "n_items": k}, dtype=object)
    notes = []
    if dropped:
        notes.append(f"multilevel: {dropped} person(s) without every {time} and every item answered were left out "
                     "(the variance components need a balanced design)")
    if (var[:7] < 0).any():
        neg = [name for name, v in zip(_CROSSED, var[:7]) if v < 0]
        notes.append(f"multilevel: the ANOVA estimate of the variance of {', '.join(neg)} is negative (kept, as "
                     "psych does); the true component is probably near zero")
    _warn(notes)
    return MultilevelResult(summary=summary, components=components, nested_components=nested, n_obs=n, n_time=t,
                            n_items=k, n_dropped=int(dropped), warnings=tuple(notes))
