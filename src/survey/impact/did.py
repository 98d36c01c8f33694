"""Difference in differences: the 2x2 model, two-way fixed effects and the event study, with
classical, HC1, cluster (CR1), CR2 or wild cluster bootstrap inference."""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import DEFAULT_SEED, check_positive_int, renamed, require_columns
from ..errors import DataError, ParameterError
from ..results import Result
from ._common import binary, cluster_codes, complete, confidence_level, few_cluster_warnings, group_sum, numeric
from ._formula import controls_matrix, observation_weights
from ._ols import WILD_WEIGHTS, Fit, coef_table, default_se, ols

__all__ = ["DiDResult", "did", "twfe", "EventStudyResult", "event_study"]


@dataclasses.dataclass(frozen=True)
class DiDResult(Result):
    """A difference-in-differences (or TWFE) estimate. See :func:`did` and :func:`twfe`."""

    main = "table"

    att: float
    se: float
    ci_low: float
    ci_high: float
    pvalue: float
    df: float
    n: int
    n_dropped: int
    n_clusters: int | None
    inference: str
    confidence: float
    table: pd.DataFrame
    vcov: pd.DataFrame = dataclasses.field(repr=False, compare=False)
    model: Any = dataclasses.field(repr=False, compare=False, default=None)


def split_weights(where: str, data: pd.DataFrame, weights: str | None, boot_weights: str) -> tuple[str | None, str]:
    """Observation weights and the wild weight type, honouring the old meaning of ``weights``.

    ``weights`` used to be the wild bootstrap's weight type; a wild type that is not a column of
    the data still works for one release, with a DeprecationWarning.
    """
    if isinstance(weights, str) and weights in WILD_WEIGHTS and weights not in data.columns:
        warnings.warn(f"{where}(): weights={weights!r} as the wild bootstrap's weight type is renamed "
                      f"boot_weights={weights!r}; 'weights' now names a column of observation weights "
                      f"(as lm(weights=)). The old use will be removed in the next release.",
                      DeprecationWarning, stacklevel=3)
        if boot_weights != "auto" and boot_weights != weights:
            raise ParameterError(f"{where}(): give 'boot_weights' only (weights={weights!r} was given too, "
                                 f"with another value)")
        return None, weights
    return weights, boot_weights


def _drop_zero_weights(sub: pd.DataFrame, w: np.ndarray | None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Rows of weight zero leave the fit (lm gives them no residual degree of freedom either)."""
    if w is None or (w > 0).all():
        return sub, w
    keep = w > 0
    return sub.loc[keep], w[keep]


def _did_result(fit: Fit, term: str, confidence: float, dropped: int) -> DiDResult:
    table = coef_table(fit, confidence)
    row = table.loc[term]
    est, se_j, df = float(row["coef"]), float(row["se"]), float(row["df"])
    lo, hi, p = float(row["ci_low"]), float(row["ci_high"]), float(row["pvalue"])
    if fit.wild is not None:
        lo, hi, p = fit.wild["ci_low"], fit.wild["ci_high"], fit.wild["pvalue"]
        table.loc[term, ["pvalue", "ci_low", "ci_high"]] = [p, lo, hi]
    vc = pd.DataFrame(fit.vcov, index=fit.names, columns=fit.names)
    return DiDResult(att=est, se=se_j, ci_low=lo, ci_high=hi, pvalue=p, df=df, n=fit.n, n_dropped=dropped,
                     n_clusters=fit.n_clusters, inference=fit.inference, confidence=confidence,
                     table=table, vcov=vc, model=fit,
                     warnings=few_cluster_warnings(fit.n_clusters, fit.se_type))


def did(data: pd.DataFrame, outcome: str, treated: str, post: str, cluster: str | None = None,
        controls: Sequence[str] = (), se: str | None = None, *, weights: str | None = None,
        confidence: float = 0.95, n_boot: int = 9999, seed: int | None = DEFAULT_SEED,
        boot_weights: str = "auto", alpha: float | None = None, B: int | None = None) -> DiDResult:
    """Canonical 2x2 difference in differences: ``outcome ~ 1 + treated + post + treated:post + controls``.

    The ATT is the coefficient of ``treated:post`` (both 0/1). Inference (``se``):

    - ``"classical"``: OLS, t with n - k df; ``"hc1"``: White HC1, n - k df (default without cluster);
    - ``"cluster"`` (default with ``cluster``): CR1 = G/(G-1) (n-1)/(n-k) M (sum_g X_g'e_g e_g'X_g) M,
      t with G - 1 df (sandwich::vcovCL(type = "HC1"); Cameron & Miller 2015);
    - ``"cr2"``: Bell-McCaffrey CR2 with Satterthwaite df (clubSandwich::coef_test, "CR2");
    - ``"wild"``: restricted wild cluster bootstrap-t (Cameron, Gelbach & Miller 2008), ``n_boot``
      draws from ``seed``, Webb six-point weights when G <= 12 (else Rademacher, enumerated when
      2^G <= n_boot; ``boot_weights`` chooses the wild weight type: "auto", "webb", "rademacher"
      or "mammen"); p-value and CI by test inversion; ``se`` then still shows CR1.

    ``weights`` names a column of observation weights, as R's ``lm(weights=)``: weighted least
    squares, and every standard error above is the one sandwich/clubSandwich give for that weighted
    lm (CR2 with clubSandwich's working variance I). Rows of weight 0 leave the fit; negative weights
    are an error. ``controls`` may be numbers or categories (a Categorical keeps its order and its first
    category is the reference; text is ordered as R's factor() orders it).

    With fewer than 30 clusters ``.warnings`` names the inference and suggests cr2 or wild.
    Old names still accepted for one release: ``alpha`` (confidence = 1 - alpha), ``B`` (n_boot) and
    ``weights`` given a wild weight type (now ``boot_weights``).

    Missing data: rows missing any used column (also the weight) are dropped (``n_dropped``).

    Examples
    --------
    >>> from survey import datasets, impact
    >>> panel = datasets.load("impact_panel")
    >>> r = impact.did(panel, "y", "treated", "post", cluster="unit", se="cr2")
    >>> round(r.att, 2), round(r.se, 2), r.n_clusters
    (0.26, 0.11, 12)
    >>> r.warnings[0][:16]
    'Only 12 clusters'
    """
    where = "did"
    # the deprecation helpers are called here, not in a shared helper, so the warning names the caller's line
    confidence = confidence_level(where, confidence, alpha)
    n_boot = check_positive_int("n_boot", renamed(where, "B", B, "n_boot", n_boot, 9999))
    weights, boot_weights = split_weights(where, data, weights, boot_weights)
    se = default_se(se, cluster)
    cols = [outcome, treated, post, *controls] + ([cluster] if cluster else []) + ([weights] if weights else [])
    require_columns(data, cols, where)
    sub, dropped = complete(data, cols)
    sub, w = _drop_zero_weights(sub, observation_weights(sub, weights, where))
    d = binary(sub, treated, where).to_numpy()
    p = binary(sub, post, where).to_numpy()
    term = f"{treated}:{post}"
    if (p[d == 0] == 0).all() and (p[d == 1] == 1).any() and (p[d == 1] == 0).any():
        raise DataError(
            f"{where}: {post!r} is 1 only in treated units, so it already is the treatment indicator "
            f"(staggered adoption: post = wave >= the unit's first treated wave). The 2x2 model cannot "
            f"separate it. Fix: use twfe(data, {outcome!r}, unit, time, {post!r}) or staggered(), or pass "
            f"a calendar post indicator shared by all units.")
    Xcols = {"Intercept": np.ones(len(sub)), treated: d, post: p, term: d * p}
    Xcols.update(controls_matrix(sub, controls, where))
    X = np.column_stack(list(Xcols.values()))
    y = numeric(sub, outcome, where).to_numpy()
    cl = sub[cluster].to_numpy() if cluster else None
    names = list(Xcols)
    fit = ols(y, X, names, se, cl, target=names.index(term), confidence=confidence, n_boot=n_boot,
              seed=seed, boot_weights=boot_weights, w=w)
    return _did_result(fit, term, confidence, dropped)


def _demean(values: np.ndarray, codes: np.ndarray, G: int, w: np.ndarray | None = None) -> np.ndarray:
    """Subtract group means (weighted ones with ``w``: the within transformation of WLS) from each column."""
    v = values if values.ndim == 2 else values[:, None]
    if w is None:
        sums = group_sum(v, codes, G)
        counts = np.bincount(codes, minlength=G).astype(float)
    else:
        sums = group_sum(v * w[:, None], codes, G)
        counts = np.bincount(codes, weights=w, minlength=G)
    out = v - (sums / counts[:, None])[codes]
    return out if values.ndim == 2 else out[:, 0]


def _panel_design(sub: pd.DataFrame, unit: str, time: str, regressors: dict[str, np.ndarray],
                  w: np.ndarray | None = None) -> tuple[np.ndarray, list[str], np.ndarray, int, int]:
    """Regressors plus time dummies (first period omitted), unit fixed effects absorbed by demeaning.

    Unit fixed effects are absorbed (never built as dummies) so a million rows stay cheap; time
    effects are few and stay explicit, which keeps CR2 and the wild bootstrap exact when clusters
    are units (fixed effects nested within clusters, Pustejovsky & Tipton 2018, sec. 3).
    """
    ucodes, nu = cluster_codes(sub[unit].to_numpy())
    tvals = np.sort(sub[time].unique())
    tdum = {f"{time}[{t}]": (sub[time].to_numpy() == t).astype(float) for t in tvals[1:]}
    cols = {**regressors, **tdum}
    X = np.column_stack(list(cols.values()))
    return _demean(X, ucodes, nu, w), list(cols), ucodes, nu, len(tvals)


def _check_nested(sub: pd.DataFrame, unit: str, cluster: str, se: str) -> None:
    if se in ("cluster", "cr2", "wild") and cluster != unit:
        per_unit = sub.groupby(unit, observed=True)[cluster].nunique()
        if (per_unit > 1).any():
            u = per_unit.index[(per_unit > 1).to_numpy()][0]
            raise DataError(
                f"Unit {u!r} appears in more than one {cluster!r} cluster; unit fixed effects must be "
                f"nested in clusters. Fix: cluster by {unit!r} or by a grouping of units.")


def twfe(data: pd.DataFrame, outcome: str, unit: str, time: str, treated: str,
         cluster: str | None = None, controls: Sequence[str] = (), se: str | None = None, *,
         weights: str | None = None, confidence: float = 0.95, n_boot: int = 9999,
         seed: int | None = DEFAULT_SEED, boot_weights: str = "auto", alpha: float | None = None,
         B: int | None = None) -> DiDResult:
    """Two-way fixed effects: ``outcome ~ treated + controls + unit FE + time FE``.

    ``treated`` is the 0/1 treatment indicator of the unit at that time (for staggered adoption:
    1 from the adoption wave on). Unit effects are absorbed by the within transformation; the
    degrees of freedom count them as lm with unit dummies does (k = regressors + units + periods - 1),
    so classical, HC1 and CR1 equal lm + sandwich with factor(unit) + factor(time). Inference options,
    ``weights`` (observation weights; the within transformation is then weighted, so the fit is
    lm(weights=) with unit dummies) and ``boot_weights`` as :func:`did`; cluster defaults to ``unit``
    when ``se`` asks for clustering.
    Under staggered adoption with effects that change over time TWFE is a weighted average with
    possibly negative weights (Goodman-Bacon 2021): compare with :func:`staggered`.

    Missing data: rows missing any used column are dropped (``n_dropped``).

    Examples
    --------
    >>> from survey import datasets, impact
    >>> panel = datasets.load("impact_panel")
    >>> r = impact.twfe(panel, "y", "unit", "wave", "D", se="cr2")
    >>> round(r.att, 2), round(r.ci_low, 2), round(r.ci_high, 2)
    (0.32, -0.01, 0.65)
    >>> w = impact.twfe(panel, "y", "unit", "wave", "D", se="wild", n_boot=999)
    >>> round(w.att, 2), w.inference[:26]
    (0.32, 'wild cluster bootstrap-t, ')
    """
    where = "twfe"
    # the deprecation helpers are called here, not in a shared helper, so the warning names the caller's line
    confidence = confidence_level(where, confidence, alpha)
    n_boot = check_positive_int("n_boot", renamed(where, "B", B, "n_boot", n_boot, 9999))
    weights, boot_weights = split_weights(where, data, weights, boot_weights)
    if cluster is None and se in ("cluster", "cr2", "wild"):
        cluster = unit
    se = default_se(se, cluster)
    cols = [outcome, unit, time, treated, *controls] + ([cluster] if cluster else []) + ([weights] if weights else [])
    require_columns(data, cols, where)
    sub, dropped = complete(data, cols)
    sub, w = _drop_zero_weights(sub, observation_weights(sub, weights, where))
    if cluster:
        _check_nested(sub, unit, cluster, se)
    regs = {treated: numeric(sub, treated, where).to_numpy()}
    regs.update(controls_matrix(sub, controls, where))
    X, names, ucodes, nu, _ = _panel_design(sub, unit, time, regs, w)
    y = _demean(numeric(sub, outcome, where).to_numpy(), ucodes, nu, w)
    cl = sub[cluster].to_numpy() if cluster else None
    fit = ols(y, X, names, se, cl, k_absorbed=nu, target=0, confidence=confidence, n_boot=n_boot,
              seed=seed, boot_weights=boot_weights, w=w, units=ucodes)
    return _did_result(fit, treated, confidence, dropped)


@dataclasses.dataclass(frozen=True)
class EventStudyResult(Result):
    """Leads and lags around adoption. See :func:`event_study`."""

    main = "table"

    table: pd.DataFrame
    pretrend_f: float
    pretrend_df1: int
    pretrend_df2: float
    pretrend_p: float
    n: int
    n_dropped: int
    n_clusters: int | None
    reference: int
    inference: str
    confidence: float
    model: Any = dataclasses.field(repr=False, compare=False, default=None)


def _event_dummies(rel: np.ndarray, leads: int, lags: int, reference: int) -> dict[str, np.ndarray]:
    """Dummies e-leads..e+lags of event time (end points binned), the reference left out.

    Units never treated (event time NaN) are 0 in every dummy; dummies nobody has are dropped.
    """
    regs = {}
    for e in range(-leads, lags + 1):
        if e == reference:
            continue
        if e == -leads:
            x = rel <= e
        elif e == lags:
            x = rel >= e
        else:
            x = rel == e
        regs[f"e{e:+d}"] = np.where(np.isnan(rel), 0.0, x.astype(float))
    return {k: v for k, v in regs.items() if v.any()}


def _is_event_term(name: str) -> bool:
    return name.startswith("e") and name[1:].lstrip("+-").isdigit()


def _event_table(fit: Fit, reference: int, confidence: float) -> pd.DataFrame:
    """Event-time coefficients with the reference period added as a row fixed at 0."""
    tab = coef_table(fit, confidence)
    ev = [n for n in fit.names if _is_event_term(n)]
    table = tab.loc[ev].copy()
    table.insert(0, "event_time", [int(n[1:]) for n in ev])
    ref = pd.DataFrame({"event_time": [reference], "coef": [0.0], "se": [0.0], "t": [np.nan],
                        "df": [np.nan], "pvalue": [np.nan], "ci_low": [0.0], "ci_high": [0.0]},
                       index=pd.Index([f"e{reference:+d}"], name="term"))
    return pd.concat([table, ref]).sort_values("event_time")


def _pretrend_test(fit: Fit, se: str) -> tuple[float, int, float, float]:
    """Wald F on the lead coefficients: F, numerator df, denominator df and p (NaN without leads)."""
    pre = [i for i, n in enumerate(fit.names) if _is_event_term(n) and int(n[1:]) < 0]
    if not pre:
        return float("nan"), 0, float("nan"), float("nan")
    b = fit.beta[pre]
    Vp = fit.vcov[np.ix_(pre, pre)]
    q = len(pre)
    f = float(b @ np.linalg.solve(Vp, b) / q)
    if se == "cr2":
        df2 = float(np.mean(fit.df[pre]))
    elif fit.n_clusters:
        df2 = float(fit.n_clusters - 1)
    else:
        df2 = float(fit.n - fit.k_total)
    return f, q, df2, float(stats.f.sf(f, q, df2))


def event_study(data: pd.DataFrame, outcome: str, unit: str, time: str, first_treated: str,
                leads: int = 3, lags: int = 3, reference: int = -1, cluster: str | None = None,
                controls: Sequence[str] = (), se: str | None = None, *, weights: str | None = None,
                confidence: float = 0.95, alpha: float | None = None) -> EventStudyResult:
    """Dynamic TWFE: ``outcome ~ sum_e D_it^e + unit FE + time FE`` with event time e = time - first_treated.

    Dummies for e = -leads .. lags, except ``reference`` (default -1, the period before adoption);
    the end points are binned (e <= -leads and e >= lags). Never-treated units (``first_treated``
    missing, 0 or inf) have all dummies 0. Pre-trend test: Wald F = b'V^(-1) b / q on the lead
    coefficients with the chosen (cluster-robust) V, referred to F(q, G - 1) when clustered
    (F(q, n - k) otherwise; with ``se="cr2"`` the denominator df is the mean Satterthwaite df of
    the leads, an approximation to the HTZ test of Pustejovsky & Tipton 2018). Under heterogeneous
    effects across cohorts these coefficients can be contaminated (Sun & Abraham 2021);
    :func:`staggered` does not have that problem. ``weights`` (observation weights) and categorical
    ``controls`` as :func:`twfe`.

    Missing data: rows missing outcome, unit, time, a control or the weight are dropped;
    ``first_treated`` missing means never.

    Examples
    --------
    >>> from survey import datasets, impact
    >>> panel = datasets.load("impact_panel")
    >>> e = impact.event_study(panel, "y", "unit", "wave", "first_treated", leads=2, lags=1)
    >>> e.table[["event_time", "coef"]].round(2)
          event_time  coef
    term
    e-2           -2 -0.08
    e-1           -1  0.00
    e+0            0  0.29
    e+1            1  0.30
    >>> round(e.pretrend_p, 2)
    0.54
    """
    where = "event_study"
    confidence = confidence_level(where, confidence, alpha)
    if cluster is None and se in (None, "cluster", "cr2"):
        cluster = unit
    se = default_se(se, cluster)
    if se == "wild":
        raise ParameterError("event_study: se='wild' tests one coefficient; use 'cluster' or 'cr2' here, "
                             "and did()/twfe() with se='wild' for the pooled effect.")
    cols = [outcome, unit, time, *controls] + ([cluster] if cluster else []) + ([weights] if weights else [])
    require_columns(data, cols + [first_treated], where)
    sub, dropped = complete(data, cols)
    sub, w = _drop_zero_weights(sub, observation_weights(sub, weights, where))
    if cluster:
        _check_nested(sub, unit, cluster, se)
    g = pd.to_numeric(sub[first_treated], errors="coerce").to_numpy(dtype=float)
    g = np.where((g == 0) | ~np.isfinite(g), np.nan, g)
    rel = numeric(sub, time, where).to_numpy() - g
    regs = _event_dummies(rel, leads, lags, reference)
    regs.update(controls_matrix(sub, controls, where))
    X, names, ucodes, nu, _ = _panel_design(sub, unit, time, regs, w)
    y = _demean(numeric(sub, outcome, where).to_numpy(), ucodes, nu, w)
    cl = sub[cluster].to_numpy() if cluster else None
    fit = ols(y, X, names, se, cl, k_absorbed=nu, confidence=confidence, w=w, units=ucodes)
    f, q, df2, pf = _pretrend_test(fit, se)
    return EventStudyResult(table=_event_table(fit, reference, confidence), pretrend_f=f, pretrend_df1=q,
                            pretrend_df2=df2, pretrend_p=pf, n=fit.n, n_dropped=dropped,
                            n_clusters=fit.n_clusters, reference=reference, inference=fit.inference,
                            confidence=confidence, model=fit,
                            warnings=few_cluster_warnings(fit.n_clusters, se))
