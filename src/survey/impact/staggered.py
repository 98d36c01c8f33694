"""Staggered adoption: Callaway & Sant'Anna (2021) group-time ATTs and their aggregations."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import check_choice, require_columns
from ..errors import DataError
from ..results import Result
from ._common import FEW_CLUSTERS, confidence_level, numeric, two_sided
from .did import DiDResult, twfe

__all__ = ["StaggeredResult", "staggered"]

CONTROLS = ("never", "notyet")


@dataclasses.dataclass(frozen=True)
class StaggeredResult(Result):
    """Group-time ATTs and aggregations. See :func:`staggered`."""

    main = "simple"

    att: float
    se: float
    ci_low: float
    ci_high: float
    pvalue: float
    att_gt: pd.DataFrame
    simple: pd.DataFrame
    dynamic: pd.DataFrame
    group: pd.DataFrame
    calendar: pd.DataFrame
    twfe: DiDResult
    n_units: int
    n_dropped_units: int
    control: str
    confidence: float


@dataclasses.dataclass
class _GroupTime:
    """ATT(g, t) cells with their influence functions (n units x cells) and what weighting needs."""

    att: np.ndarray
    inf: np.ndarray
    grp: np.ndarray      # cohort of each cell
    tim: np.ndarray      # period of each cell
    pg: np.ndarray       # share of units in the cell's cohort
    gvec: np.ndarray     # cohort of each unit (0 = never)


def _gt_inf(dy: np.ndarray, treat: np.ndarray, ctrl: np.ndarray) -> tuple[float, np.ndarray]:
    n = len(dy)
    pd_, pc = treat.mean(), ctrl.mean()
    mu_d, mu_c = dy[treat].mean(), dy[ctrl].mean()
    inf = np.zeros(n)
    inf[treat] = (dy[treat] - mu_d) / pd_
    inf[ctrl] = -(dy[ctrl] - mu_c) / pc
    return float(mu_d - mu_c), inf


def _wif(keep: np.ndarray, pg: np.ndarray, gvec: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Influence of estimating the weights pg / sum(pg) (R did:::wif)."""
    s = pg[keep].sum()
    ind = np.column_stack([(gvec == groups[k]).astype(float) - pg[k] for k in keep])  # n x K
    if1 = ind / s
    if2 = ind.sum(axis=1)[:, None] * (pg[keep] / s ** 2)[None, :]
    return if1 - if2


def _se_from_inf(f: np.ndarray) -> float:
    return float(math.sqrt(np.sum(f ** 2)) / len(f))


def _aggregate(gt: _GroupTime, keep: np.ndarray, by_cohort_size: bool = True) -> tuple[float, np.ndarray]:
    """Weighted mean of the cells ``keep`` and its influence function.

    Weights are the cohort shares (with the influence of estimating them, as R ``did::aggte``) or,
    with ``by_cohort_size=False``, equal (the per-cohort average over its post periods).
    """
    if by_cohort_size:
        w = gt.pg[keep] / gt.pg[keep].sum()
    else:
        w = np.full(len(keep), 1 / len(keep))
    est = float(gt.att[keep] @ w)
    f = gt.inf[:, keep] @ w
    if by_cohort_size:
        f = f + _wif(keep, gt.pg, gt.gvec, gt.grp) @ gt.att[keep]
    return est, f


def _aggregate_over(gt: _GroupTime, values: Iterable, cells: Callable[[object], np.ndarray],
                    by_cohort_size: bool = True) -> tuple[list, list[float], list[np.ndarray]]:
    """One aggregation per value (event time, cohort or period); values without cells are skipped."""
    vals, ests, fs = [], [], []
    for v in values:
        keep = np.where(cells(v))[0]
        if len(keep) == 0:
            continue
        est, f = _aggregate(gt, keep, by_cohort_size)
        vals.append(v)
        ests.append(est)
        fs.append(f)
    return vals, ests, fs


def _aggregation_table(key: str, vals: list, ests: list[float], fs: list[np.ndarray], z: float) -> pd.DataFrame:
    out = pd.DataFrame({key: vals, "att": ests, "se": [_se_from_inf(f) for f in fs]})
    out["ci_low"] = out["att"] - z * out["se"]
    out["ci_high"] = out["att"] + z * out["se"]
    out["pvalue"] = 2 * stats.norm.sf(np.abs(out["att"] / out["se"]))
    return out


def _balanced_panel(data: pd.DataFrame, outcome: str, unit: str, time: str, first_treated: str,
                    where: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, int]:
    """Long data with the cohort ``_g`` (0 = never), and the wide outcome of the usable units.

    Units with a missing period or already treated in the first period are left out of the wide
    table; the count of all units comes last.
    """
    sub = data[[outcome, unit, time, first_treated]].copy()
    if sub.duplicated([unit, time]).any():
        dup = sub[sub.duplicated([unit, time])].iloc[0]
        raise DataError(f"{where}: more than one row for unit {dup[unit]!r} in period {dup[time]!r}. "
                        f"Fix: aggregate to one row per unit and period (e.g. the mean score) first.")
    sub[outcome] = numeric(sub, outcome, where)
    gnum = pd.to_numeric(sub[first_treated], errors="coerce").astype(float)
    sub["_g"] = gnum.where(gnum.notna() & (gnum != 0) & np.isfinite(gnum), 0.0)
    wide = sub.pivot(index=unit, columns=time, values=outcome)
    gper = sub.groupby(unit)["_g"].first().reindex(wide.index)
    n_all = len(wide)
    first = min(wide.columns)
    dropped = wide.isna().any(axis=1) | ((gper > 0) & (gper <= first))
    return sub, wide[~dropped], gper[~dropped], n_all


def _group_time(Y: np.ndarray, gvec: np.ndarray, periods: np.ndarray, groups: np.ndarray,
                control: str) -> tuple[pd.DataFrame, np.ndarray]:
    """ATT(g, t) for every cohort and period after the first, and their influence functions.

    Base period b = g - 1 when t >= g, else t - 1 (R did's ``base_period = "varying"``).
    """
    pidx = {p: i for i, p in enumerate(periods)}
    rows, infs = [], []
    for g in groups:
        for t in periods[1:]:
            base = g - 1 if t >= g else periods[pidx[t] - 1]
            if base not in pidx:
                # cohorts whose base period is not observed (gaps in the wave numbering)
                base = periods[max(0, np.searchsorted(periods, g) - 1)] if t >= g else base
            dy = Y[:, pidx[t]] - Y[:, pidx[base]]
            treat = gvec == g
            if control == "never":
                ctrl = gvec == 0
            else:
                ctrl = (gvec == 0) | ((gvec > max(t, base)) & (gvec != g))
            if not ctrl.any():
                continue
            att, f = _gt_inf(dy, treat, ctrl)
            rows.append((g, t, att))
            infs.append(f)
    gt = pd.DataFrame(rows, columns=["group", "time", "att"])
    return gt, np.column_stack(infs)


def _aggregations(gt: _GroupTime, groups: np.ndarray, periods: np.ndarray,
                  z: float) -> dict[str, pd.DataFrame]:
    """The four aggregations of R ``did::aggte`` and the overall effect of each (in ``simple``)."""
    ev = gt.tim - gt.grp
    s_est, s_f = _aggregate(gt, np.where(gt.grp <= gt.tim)[0])
    d_vals, d_est, d_fs = _aggregate_over(gt, np.unique(ev), lambda e: ev == e)
    d_vals = [int(e) for e in d_vals]
    g_vals, g_est, g_fs = _aggregate_over(gt, groups, lambda g: (gt.grp == g) & (gt.tim >= g),
                                          by_cohort_size=False)
    c_vals, c_est, c_fs = _aggregate_over(gt, periods, lambda t: (gt.tim == t) & (gt.grp <= t))
    # overall group effect: the cohort effects weighted by cohort size, as one more aggregation
    share = {g: float(np.mean(gt.gvec == g)) for g in groups}
    cohorts = _GroupTime(att=np.array(g_est), inf=np.column_stack(g_fs), grp=np.array(g_vals),
                         tim=np.array(g_vals), pg=np.array([share[g] for g in g_vals]), gvec=gt.gvec)
    g_over, g_over_f = _aggregate(cohorts, np.arange(len(g_vals)))
    post_e = [i for i, e in enumerate(d_vals) if e >= 0]
    d_over = (float(np.mean([d_est[i] for i in post_e])), np.mean([d_fs[i] for i in post_e], axis=0))
    c_over = (float(np.mean(c_est)), np.mean(c_fs, axis=0))
    overall = _aggregation_table("aggregation", ["simple", "dynamic (e >= 0)", "group", "calendar"],
                                 [s_est, d_over[0], g_over, c_over[0]], [s_f, d_over[1], g_over_f, c_over[1]], z)
    return {"simple": overall,
            "dynamic": _aggregation_table("event_time", d_vals, d_est, d_fs, z),
            "group": _aggregation_table("group", g_vals, g_est, g_fs, z),
            "calendar": _aggregation_table("time", c_vals, c_est, c_fs, z)}


def _twfe_beside(sub: pd.DataFrame, units: pd.Index, outcome: str, unit: str, time: str,
                 confidence: float) -> DiDResult:
    """TWFE with CR1 on the same balanced panel, to show how far it is from Callaway-Sant'Anna."""
    panel = sub[sub[unit].isin(units)].copy()
    panel["_d"] = ((panel["_g"] > 0) & (panel[time] >= panel["_g"])).astype(float)
    return twfe(panel, outcome, unit, time, "_d", cluster=unit, se="cluster", confidence=confidence)


def staggered(data: pd.DataFrame, outcome: str, unit: str, time: str, first_treated: str,
              control: str = "never", *, confidence: float = 0.95,
              alpha: float | None = None) -> StaggeredResult:
    """Callaway & Sant'Anna (2021) difference in differences with staggered adoption (no covariates).

    ``data`` is a balanced panel with one row per unit and period (aggregate individual answers to
    unit-wave means first, e.g. with :func:`unit_wave_means`). ``first_treated`` is the period of
    adoption; missing, 0 or inf = never. For cohort g and period t with base b = g - 1 when t >= g
    and b = t - 1 otherwise (R did's ``base_period = "varying"``):

        ATT(g, t) = mean_{G=g}(Y_t - Y_b) - mean_{C}(Y_t - Y_b),

    C = never-treated units (``control="never"``) or units not yet treated by max(t, b) and not in g
    (``"notyet"``). Influence functions (panel, no covariates) give analytic SEs, se = sqrt(sum IF^2)/n
    (R did with ``bstrap = FALSE``). Aggregations as R ``did::aggte``: ``simple`` (post-treatment
    ATT(g,t) weighted by cohort size), ``dynamic`` (by event time e = t - g), ``group`` (per cohort,
    then weighted) and ``calendar`` (per period, then averaged); the influence of estimated weights
    is included. The headline ``att`` is the simple aggregation; the table ``simple`` also holds the
    overall effect of the other three. Units already treated in the first period are dropped (no
    pre-period), as R did does; adoption after the last period counts as never treated. Intervals
    are pointwise normal (no uniform band). Units are the clusters: the influence functions are per
    unit. Checked against R did 2.5.1 with ``est_method = "reg"`` to 1e-12 (without covariates its
    "dr" and "ipw" give the same point estimates).
    A TWFE estimate on the same panel is given beside it (``.twfe``), with a sentence in
    ``.warnings`` on why the two can differ.

    Missing data: units with a missing outcome in any period are dropped (``n_dropped_units``;
    the estimator needs a balanced panel).

    Examples
    --------
    >>> from survey import datasets, impact
    >>> panel = impact.unit_wave_means(datasets.load("impact_panel"), "y", unit="unit", time="wave")
    >>> cs = impact.staggered(panel, "y", "unit", "wave", "first_treated")
    >>> cs.to_frame()[["aggregation", "att", "se"]].round(2)
            aggregation   att    se
    0            simple  0.34  0.18
    1  dynamic (e >= 0)  0.34  0.20
    2             group  0.42  0.21
    3          calendar  0.25  0.14
    """
    where = "staggered"
    confidence = confidence_level(where, confidence, alpha)
    check_choice("control", control, CONTROLS)
    require_columns(data, [outcome, unit, time, first_treated], where)
    sub, wide, gper, n_all = _balanced_panel(data, outcome, unit, time, first_treated, where)
    periods = np.array(sorted(wide.columns))
    # adoption after the last observed period looks like never-treated within the sample (R did)
    gvec = gper.to_numpy(dtype=float)
    gvec = np.where(gvec > periods[-1], 0.0, gvec)
    n = len(gvec)
    groups = np.array(sorted(g for g in np.unique(gvec) if g > 0 and g <= periods[-1]))
    if len(groups) == 0:
        raise DataError(f"{where}: no unit adopts within the observed periods {list(periods)}.")
    if control == "never" and not (gvec == 0).any():
        raise DataError(f"{where}: no never-treated unit; use control='notyet'.")
    gt, inf = _group_time(wide.to_numpy(dtype=float), gvec, periods, groups, control)
    z = stats.norm.ppf(two_sided(confidence))
    gt["se"] = [_se_from_inf(inf[:, i]) for i in range(inf.shape[1])]
    gt["event_time"] = gt["time"] - gt["group"]
    gt["ci_low"] = gt["att"] - z * gt["se"]
    gt["ci_high"] = gt["att"] + z * gt["se"]
    share = {g: float(np.mean(gvec == g)) for g in groups}
    cells = _GroupTime(att=gt["att"].to_numpy(), inf=inf, grp=gt["group"].to_numpy(), tim=gt["time"].to_numpy(),
                       pg=np.array([share[g] for g in gt["group"]]), gvec=gvec)
    agg = _aggregations(cells, groups, periods, z)
    r = agg["simple"].iloc[0]
    return StaggeredResult(
        att=float(r["att"]), se=float(r["se"]), ci_low=float(r["ci_low"]), ci_high=float(r["ci_high"]),
        pvalue=float(r["pvalue"]), att_gt=gt, simple=agg["simple"], dynamic=agg["dynamic"], group=agg["group"],
        calendar=agg["calendar"], twfe=_twfe_beside(sub, wide.index, outcome, unit, time, confidence),
        n_units=n, n_dropped_units=int(n_all - n), control=control, confidence=confidence,
        warnings=_staggered_warnings(n, control))


def _staggered_warnings(n_units: int, control: str) -> tuple[str, ...]:
    few = (f"Only {n_units} units: the influence-function standard errors use the normal distribution "
           f"and can be too small with fewer than {FEW_CLUSTERS} units; compare with "
           f"twfe(..., se='cr2') or se='wild'.")
    note = ("TWFE weights cohorts and periods by their treatment variance, uses already-treated units "
            "as controls and can even give negative weights when effects grow over time "
            "(Goodman-Bacon 2021); the Callaway-Sant'Anna ATT compares each cohort only with "
            f"{'never-treated' if control == 'never' else 'not-yet-treated'} units.")
    return (few, note) if n_units < FEW_CLUSTERS else (note,)
