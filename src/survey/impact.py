"""Program impact: did the training change what it was meant to change?

Estimators for the four Kirkpatrick levels, written for the data this project meets: survey waves,
20 to 40 work units (clusters), Likert outcomes, employees nested in units, programs that reach units
at different times.

- :func:`prepost` - paired before/after (level 2 learning): paired t, Wilcoxon, d_z, d_av, Hedges' g.
- :func:`ancova`, :func:`welch` - two groups.
- :func:`did`, :func:`twfe`, :func:`event_study` - difference in differences with classical, HC1,
  cluster (CR1, t with G - 1 df), CR2 (Bell-McCaffrey, Satterthwaite df) or wild cluster bootstrap
  inference.
- :func:`staggered` - Callaway & Sant'Anna (2021) group-time ATTs and their aggregations.
- :func:`mixed` - linear mixed models with convergence checks; :func:`ordinal` - proportional odds;
  :func:`mediation` - indirect effects with bootstrap CIs.
- :func:`mde`, :func:`clusters_needed`, :func:`icc` - design and power for cluster designs.

Every function takes a DataFrame and returns a frozen :class:`~survey.results.Result`. Rows with a
missing value in any variable a model uses are dropped (listwise); the result reports how many
(``n_dropped``). Nothing returns NaN silently: impossible inputs raise :class:`~survey.errors.DataError`.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import re
import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .errors import DataError
from .results import Result

__all__ = [
    "PrePost", "prepost", "Ancova", "ancova", "Welch", "welch", "DiD", "did", "twfe", "EventStudy",
    "event_study", "Staggered", "staggered", "Mixed", "mixed", "Ordinal", "ordinal", "Mediation",
    "mediation", "mde", "clusters_needed", "icc",
    "unit_wave_means", "adoption_waves", "FEW_CLUSTERS",
]

#: Below this many clusters cluster-robust inference is unreliable (Cameron & Miller 2015, sec. VI);
#: results then carry a warning suggesting CR2 or the wild cluster bootstrap.
FEW_CLUSTERS = 30

_SE_TYPES = ("classical", "hc1", "cluster", "cr2", "wild")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def _require_columns(data: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(
            f"{where}: column(s) {missing} not found in the data. Available columns: "
            f"{list(data.columns)[:40]}. Fix: pass the names of existing columns.")


def _numeric(data: pd.DataFrame, column: str, where: str) -> pd.Series:
    s = data[column]
    try:
        return pd.to_numeric(s, errors="raise").astype(float)
    except (ValueError, TypeError):
        bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
        row = bad.index[0]
        raise DataError(
            f"{where}: column {column!r} must be numeric; row {row} holds {bad.iloc[0]!r}. "
            f"Fix: recode it to numbers (or score the items first).") from None


def _binary(data: pd.DataFrame, column: str, where: str) -> pd.Series:
    s = _numeric(data, column, where)
    bad = s.notna() & ~s.isin([0.0, 1.0])
    if bad.any():
        row = s.index[bad.to_numpy()][0]
        raise DataError(
            f"{where}: column {column!r} must be 0/1; row {row} holds {s[row]!r}. "
            f"Fix: code the group as 1 = treated/post, 0 = not.")
    return s


def _complete(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    cols = list(dict.fromkeys(c for c in columns if c is not None))
    sub = data[cols]
    keep = sub.notna().all(axis=1)
    return data.loc[keep], int((~keep).sum())


def _plain(sub: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Copy with nullable pandas dtypes (Int64, boolean, string) turned into numpy ones.

    patsy (statsmodels formulas) cannot read the nullable integer columns that read_responses
    returns; after dropping missing rows they convert losslessly.
    """
    out = sub.copy()
    for c in dict.fromkeys(columns):
        if c not in out.columns:
            continue
        dt = out[c].dtype
        if isinstance(dt, pd.api.extensions.ExtensionDtype):
            if pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt):
                out[c] = out[c].astype(float)
            else:
                out[c] = out[c].astype(object)
    return out


def _nct_ci(t: float, df: float, alpha: float) -> tuple[float, float]:
    """Confidence limits for the noncentrality parameter of a noncentral t (Steiger & Fouladi 1997).

    Finds ncp_L with P(T <= t | ncp_L) = 1 - alpha/2 and ncp_U with P(T <= t | ncp_U) = alpha/2.
    """
    def f(ncp: float, p: float) -> float:
        c = stats.nct.cdf(t, df, ncp)
        if not np.isfinite(c):  # far tails: scipy may return NaN where the cdf is 0 or 1
            c = 0.0 if ncp > t else 1.0
        return c - p

    out = []
    for p in (1 - alpha / 2, alpha / 2):
        lo, hi = t - 1.0, t + 1.0
        while f(lo, p) < 0:
            lo -= 1.0
        while f(hi, p) > 0:
            hi += 1.0
        out.append(optimize.brentq(f, lo, hi, args=(p,), xtol=1e-12, rtol=1e-12, maxiter=500))
    return out[0], out[1]


def _hedges_j(df: float) -> float:
    """Exact small-sample correction J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)) (Hedges 1981)."""
    return float(np.exp(math.lgamma(df / 2) - math.lgamma((df - 1) / 2)) / math.sqrt(df / 2))


def _few_cluster_warning(n_clusters: int | None, inference: str) -> str:
    if n_clusters is None or n_clusters >= FEW_CLUSTERS:
        return ""
    if inference.startswith(("cr2", "wild")):
        return (f"Only {n_clusters} clusters: inference uses {inference}, which is designed for few "
                f"clusters; still read p-values near the threshold with care.")
    return (f"Only {n_clusters} clusters (fewer than {FEW_CLUSTERS}): {inference} standard errors can be "
            f"too small. Check with se='cr2' (Bell-McCaffrey) or se='wild' (wild cluster bootstrap).")


# --------------------------------------------------------------------------------------------
# 1. before and after
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PrePost(Result):
    """Paired before/after comparison. See :func:`prepost`."""

    n: int
    n_dropped: int
    mean_before: float
    mean_after: float
    sd_before: float
    sd_after: float
    mean_diff: float
    sd_diff: float
    t: float
    df: float
    pvalue: float
    ci_low: float
    ci_high: float
    wilcoxon_v: float
    wilcoxon_p: float
    wilcoxon_method: str
    d_z: float
    d_z_ci_low: float
    d_z_ci_high: float
    d_av: float
    d_av_ci_low: float
    d_av_ci_high: float
    g_av: float
    g_av_ci_low: float
    g_av_ci_high: float
    table: pd.DataFrame


def prepost(data: pd.DataFrame, before: str, after: str, alpha: float = 0.05) -> PrePost:
    """Paired before/after comparison: paired t, Wilcoxon signed-rank, d_z, d_av and Hedges' g_av.

    With differences ``d = after - before`` (n pairs):

    - paired t = mean(d) / (sd(d) / sqrt(n)), df = n - 1; CI of the mean difference from t.
    - Wilcoxon signed-rank V = sum of the ranks of |d| over positive d (zeros dropped, as R's
      ``wilcox.test(after, before, paired=TRUE)``); exact p when n < 50 and no ties or zeros,
      else the normal approximation with continuity correction (R's default).
    - d_z = mean(d) / sd(d); CI from the noncentral t: the limits of the noncentrality parameter
      for the observed t (Steiger & Fouladi 1997), divided by sqrt(n) (Cumming & Finch 2001).
    - d_av = mean(d) / ((sd(before) + sd(after)) / 2) (Lakens 2013, eq. 10); its CI is the d_z CI
      rescaled by sd(d) / mean sd, so both rest on the same noncentral-t interval.
    - g_av = J(n - 1) * d_av, J the exact Hedges (1981) correction Gamma(df/2) / (sqrt(df/2)
      Gamma((df-1)/2)); the CI is rescaled by J too.

    Missing data: pairs with either value missing are dropped (``n_dropped``).
    Reference: Lakens (2013), Front. Psychol. 4:863.
    """
    where = "prepost"
    _require_columns(data, [before, after], where)
    b = _numeric(data, before, where)
    a = _numeric(data, after, where)
    keep = b.notna() & a.notna()
    b, a = b[keep].to_numpy(), a[keep].to_numpy()
    n = len(b)
    if n < 3:
        raise DataError(f"{where}: only {n} complete pairs of {before!r} and {after!r}; need at least 3.")
    d = a - b
    sd_d = float(np.std(d, ddof=1))
    if sd_d == 0:
        raise DataError(f"{where}: every pair has the same difference ({d[0]}); t and d are undefined.")
    mean_d = float(d.mean())
    df = n - 1
    se = sd_d / math.sqrt(n)
    t = mean_d / se
    p = 2 * stats.t.sf(abs(t), df)
    q = stats.t.ppf(1 - alpha / 2, df)
    # Wilcoxon as R: drop zeros, average ranks for ties.
    dz = d[d != 0]
    ranks = stats.rankdata(np.abs(dz))
    v = float(ranks[dz > 0].sum())
    nz = len(dz)
    ties = len(np.unique(np.abs(dz))) < nz
    if nz == 0:
        wp, method = 1.0, "none (all differences are zero)"
    elif nz < 50 and not ties and nz == n:
        wp = float(stats.wilcoxon(dz, method="exact").pvalue)
        method = "exact"
    else:
        mu = nz * (nz + 1) / 4
        _, counts = np.unique(np.abs(dz), return_counts=True)
        var = nz * (nz + 1) * (2 * nz + 1) / 24 - (counts ** 3 - counts).sum() / 48
        z = v - mu
        z = (z - math.copysign(0.5, z)) / math.sqrt(var) if z != 0 else 0.0
        wp = float(min(1.0, 2 * stats.norm.sf(abs(z))))
        method = "normal approximation with continuity correction"
    ncp_lo, ncp_hi = _nct_ci(t, df, alpha)
    d_z = mean_d / sd_d
    sd_b, sd_a = float(np.std(b, ddof=1)), float(np.std(a, ddof=1))
    sd_av = (sd_b + sd_a) / 2
    scale = sd_d / sd_av
    d_av = mean_d / sd_av
    j = _hedges_j(df)
    dz_lo, dz_hi = ncp_lo / math.sqrt(n), ncp_hi / math.sqrt(n)
    table = pd.DataFrame(
        {"estimate": [mean_d, d_z, d_av, j * d_av],
         "ci_low": [mean_d - q * se, dz_lo, dz_lo * scale, j * dz_lo * scale],
         "ci_high": [mean_d + q * se, dz_hi, dz_hi * scale, j * dz_hi * scale]},
        index=pd.Index(["mean_diff", "d_z", "d_av", "g_av"], name="statistic"))
    return PrePost(
        n=n, n_dropped=int((~keep).sum()), mean_before=float(b.mean()), mean_after=float(a.mean()),
        sd_before=sd_b, sd_after=sd_a, mean_diff=mean_d, sd_diff=sd_d, t=float(t), df=float(df),
        pvalue=float(p), ci_low=mean_d - q * se, ci_high=mean_d + q * se, wilcoxon_v=v,
        wilcoxon_p=wp, wilcoxon_method=method, d_z=d_z, d_z_ci_low=dz_lo, d_z_ci_high=dz_hi,
        d_av=d_av, d_av_ci_low=dz_lo * scale, d_av_ci_high=dz_hi * scale, g_av=j * d_av,
        g_av_ci_low=j * dz_lo * scale, g_av_ci_high=j * dz_hi * scale, table=table)


# --------------------------------------------------------------------------------------------
# 2. two groups
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Welch(Result):
    """Welch's two-sample t-test with standardized mean differences. See :func:`welch`."""

    n_treated: int
    n_control: int
    mean_treated: float
    mean_control: float
    diff: float
    t: float
    df: float
    pvalue: float
    ci_low: float
    ci_high: float
    d: float
    g: float
    g_ci_low: float
    g_ci_high: float


def welch(data: pd.DataFrame, outcome: str, treated: str, alpha: float = 0.05) -> Welch:
    """Welch's t-test of ``outcome`` between ``treated`` = 1 and 0, with Cohen's d and Hedges' g.

    t = (m1 - m0) / sqrt(s1^2/n1 + s0^2/n0), Welch-Satterthwaite df. d uses the pooled SD
    sqrt(((n1-1)s1^2 + (n0-1)s0^2)/(n1+n0-2)); g = J(n1+n0-2) d with the exact Hedges correction;
    the CI of g is from the noncentral t of the pooled-variance t (Hedges & Olkin 1985), times J.
    Missing data: rows with a missing outcome or group are dropped.
    """
    where = "welch"
    _require_columns(data, [outcome, treated], where)
    sub, _ = _complete(data, [outcome, treated])
    y = _numeric(sub, outcome, where).to_numpy()
    z = _binary(sub, treated, where).to_numpy()
    y1, y0 = y[z == 1], y[z == 0]
    n1, n0 = len(y1), len(y0)
    if n1 < 2 or n0 < 2:
        raise DataError(f"{where}: need at least 2 rows in each group of {treated!r}; have {n1} and {n0}.")
    v1, v0 = y1.var(ddof=1), y0.var(ddof=1)
    diff = y1.mean() - y0.mean()
    se = math.sqrt(v1 / n1 + v0 / n0)
    df = (v1 / n1 + v0 / n0) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
    t = diff / se
    q = stats.t.ppf(1 - alpha / 2, df)
    sp = math.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
    d = diff / sp
    dfp = n1 + n0 - 2
    j = _hedges_j(dfp)
    factor = math.sqrt(1 / n1 + 1 / n0)
    lo, hi = _nct_ci(d / factor, dfp, alpha)
    return Welch(n_treated=n1, n_control=n0, mean_treated=float(y1.mean()), mean_control=float(y0.mean()),
                 diff=float(diff), t=float(t), df=float(df), pvalue=float(2 * stats.t.sf(abs(t), df)),
                 ci_low=float(diff - q * se), ci_high=float(diff + q * se), d=float(d), g=float(j * d),
                 g_ci_low=float(j * lo * factor), g_ci_high=float(j * hi * factor))


@dataclasses.dataclass(frozen=True)
class Ancova(Result):
    """ANCOVA of a post-test on group and baseline. See :func:`ancova`."""

    effect: float
    se: float
    ci_low: float
    ci_high: float
    pvalue: float
    n: int
    n_dropped: int
    cov_type: str
    table: pd.DataFrame
    welch: Welch
    model: Any = dataclasses.field(repr=False, compare=False)


def ancova(data: pd.DataFrame, outcome: str, treated: str, baseline: str,
           controls: Sequence[str] = (), cov_type: str = "HC3", alpha: float = 0.05) -> Ancova:
    """ANCOVA: ``outcome ~ 1 + treated + baseline + controls`` by OLS with heteroskedasticity-robust SE.

    The effect is the coefficient of ``treated`` (0/1). ``cov_type`` is a statsmodels HC type:
    ``"HC3"`` (default; R sandwich::vcovHC's default, MacKinnon & White 1985), ``"HC1"``, ``"HC0"``
    or ``"HC2"``; t-based CIs with n - k df. Welch's t-test of the raw outcome with Cohen's d and
    Hedges' g is reported beside it (``.welch``).
    Missing data: rows missing any of the variables are dropped (``n_dropped``).
    """
    import statsmodels.api as sm

    where = "ancova"
    cols = [outcome, treated, baseline, *controls]
    _require_columns(data, cols, where)
    sub, dropped = _complete(data, cols)
    y = _numeric(sub, outcome, where)
    X = pd.DataFrame({"const": 1.0, treated: _binary(sub, treated, where),
                      baseline: _numeric(sub, baseline, where)}, index=sub.index)
    for c in controls:
        X[c] = _numeric(sub, c, where)
    if cov_type.upper() not in ("HC0", "HC1", "HC2", "HC3"):
        raise DataError(f"{where}: cov_type must be HC0, HC1, HC2 or HC3, not {cov_type!r}.")
    fit = sm.OLS(y, X).fit(cov_type=cov_type.upper(), use_t=True)
    ci = fit.conf_int(alpha)
    table = pd.DataFrame({"coef": fit.params, "se": fit.bse, "t": fit.tvalues, "pvalue": fit.pvalues,
                          "ci_low": ci[0], "ci_high": ci[1]})
    return Ancova(effect=float(fit.params[treated]), se=float(fit.bse[treated]),
                  ci_low=float(ci.loc[treated, 0]), ci_high=float(ci.loc[treated, 1]),
                  pvalue=float(fit.pvalues[treated]), n=int(fit.nobs), n_dropped=dropped,
                  cov_type=cov_type.upper(), table=table, welch=welch(sub, outcome, treated, alpha),
                  model=fit)


# --------------------------------------------------------------------------------------------
# 3. linear models with clustered inference: the engine behind did, twfe and event_study
# --------------------------------------------------------------------------------------------

def _inv_sqrt_psd(a: np.ndarray) -> np.ndarray:
    """Symmetric (pseudo-)inverse square root, as clubSandwich for singular I - H_gg."""
    w, v = np.linalg.eigh(a)
    tol = max(a.shape) * np.finfo(float).eps * max(1.0, float(np.abs(w).max()))
    inv = np.where(w > tol, 1 / np.sqrt(np.clip(w, tol, None)), 0.0)
    return (v * inv) @ v.T


def _webb_or_rademacher(weights: str, G: int) -> str:
    if weights == "auto":
        # Rademacher has only 2^G distinct draws; Webb's six-point weights fix that for few clusters
        # (Webb 2023). 2^12 = 4096 < 9,999 draws.
        return "webb" if G <= 12 else "rademacher"
    if weights not in ("webb", "rademacher"):
        raise DataError(f"wild bootstrap weights must be 'auto', 'webb' or 'rademacher', not {weights!r}.")
    return weights


def _draws(kind: str, G: int, B: int, seed: int | None) -> np.ndarray:
    """G x B matrix of wild weights. Rademacher with 2^G <= B enumerates all sign vectors."""
    if kind == "rademacher" and 2 ** G <= B:
        return np.array(list(itertools.product([-1.0, 1.0], repeat=G))).T
    rng = np.random.default_rng(seed)
    if kind == "rademacher":
        return rng.choice([-1.0, 1.0], size=(G, B))
    vals = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
    return vals[rng.integers(0, 6, size=(G, B))]


@dataclasses.dataclass
class _Fit:
    """Plain container for the engine's output (internal)."""

    names: list[str]
    beta: np.ndarray
    vcov: np.ndarray
    se: np.ndarray
    df: np.ndarray
    n: int
    k_total: int
    n_clusters: int | None
    inference: str
    resid: np.ndarray
    se_type: str = ""
    wild: dict | None = None


def _cluster_codes(cl: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniq = pd.factorize(pd.Series(cl), sort=True)
    return np.asarray(codes), len(uniq)


def _group_sum(values: np.ndarray, codes: np.ndarray, G: int) -> np.ndarray:
    """Column sums of ``values`` (n x k or n) within groups 0..G-1 (bincount: much faster than np.add.at)."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=G)
    return np.column_stack([np.bincount(codes, weights=values[:, j], minlength=G)
                            for j in range(values.shape[1])]) if values.shape[1] else np.zeros((G, 0))


def _ols_engine(y: np.ndarray, X: np.ndarray, names: list[str], se: str, clusters: np.ndarray | None,
                k_absorbed: int = 0, target: int | None = None, alpha: float = 0.05,
                B: int = 9999, seed: int | None = 20261127, weights: str = "auto") -> _Fit:
    """OLS of y on X with the requested inference.

    ``k_absorbed`` counts fixed effects removed from X beforehand by within-transformation; they
    enter the degrees of freedom (as lm with dummies does). Cluster-robust types need those fixed
    effects nested within the clusters.
    """
    n, k = X.shape
    XtX = X.T @ X
    try:
        M = np.linalg.inv(XtX)
    except np.linalg.LinAlgError:
        M = None
    if M is None or np.linalg.matrix_rank(XtX) < k:
        raise DataError(
            f"The design is collinear (rank {np.linalg.matrix_rank(XtX)} < {k} columns: {names}). "
            f"Fix: drop a control that is constant or duplicates the fixed effects.")
    beta = M @ (X.T @ y)
    e = y - X @ beta
    K = k + k_absorbed
    if n - K <= 0:
        raise DataError(f"Only {n} complete rows for {K} parameters; add data or drop controls.")
    # clusters are counted whatever the inference, so the few-cluster warning also reaches
    # classical and HC1 fits of clustered data (where it matters most)
    codes, G = _cluster_codes(clusters) if clusters is not None else (None, None)
    if se == "classical":
        s2 = e @ e / (n - K)
        V = s2 * M
        df = np.full(k, float(n - K))
        label = "classical OLS, t with n - k df"
    elif se == "hc1":
        meat = (X * e[:, None] ** 2).T @ X
        V = n / (n - K) * M @ meat @ M
        df = np.full(k, float(n - K))
        label = "HC1 robust, t with n - k df"
    else:
        if clusters is None:
            raise DataError(f"se={se!r} needs a cluster column; pass cluster='unit_id' (or similar).")
        if G < 2:
            raise DataError(f"se={se!r} needs at least 2 clusters; the data have {G}.")
        scores = _group_sum(X * e[:, None], codes, G)
        adj = G / (G - 1) * (n - 1) / (n - K)
        V1 = adj * M @ (scores.T @ scores) @ M
        if se in ("cluster", "wild"):
            V = V1
            df = np.full(k, float(G - 1))
            label = f"cluster-robust CR1 ({G} clusters), t with G - 1 = {G - 1} df"
        elif se == "cr2":
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(G + 1))
            idx = [order[bounds[g]:bounds[g + 1]] for g in range(G)]
            V, df = _cr2(X, e, M, idx)
            label = f"CR2 Bell-McCaffrey ({G} clusters), Satterthwaite df"
        else:
            raise DataError(f"se must be one of {_SE_TYPES}, not {se!r}.")
    bse = np.sqrt(np.diag(V))
    fit = _Fit(names=list(names), beta=beta, vcov=V, se=bse, df=df, n=n, k_total=K, n_clusters=G,
               inference=label, resid=e, se_type=se)
    if se == "wild":
        if target is None:
            raise DataError("se='wild' needs the coefficient to test.")
        kind = _webb_or_rademacher(weights, G)
        fit.wild = _wild(y, X, M, codes, G, target, alpha, B, seed, kind, float(beta[target]), float(bse[target]))
        fit.inference = (f"wild cluster bootstrap-t, restricted (WCR), {kind} weights, "
                         f"{fit.wild['draws']} draws ({G} clusters); CI by test inversion")
    return fit


def _cr2(X: np.ndarray, e: np.ndarray, M: np.ndarray, idx: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """CR2 variance (Bell & McCaffrey 2002) and Satterthwaite df per coefficient.

    A_g = (I - H_gg)^(-1/2); V = M (sum_g X_g' A_g e_g e_g' A_g X_g) M. For a contrast c the
    working model Phi = I gives p_g = A_g X_g M c, u_g = (I - H)_{., g} p_g and
    df = (sum_g u_g'u_g)^2 / sum_{g,h} (u_g'u_h)^2 (Pustejovsky & Tipton 2018, as
    clubSandwich::coef_test(vcov = "CR2", test = "Satterthwaite") for lm fits).
    """
    k = X.shape[1]
    meat = np.zeros((k, k))
    A = []
    for ix in idx:
        Xg = X[ix]
        Hgg = Xg @ M @ Xg.T
        Ag = _inv_sqrt_psd(np.eye(len(ix)) - Hgg)
        A.append(Ag)
        s = Xg.T @ (Ag @ e[ix])
        meat += np.outer(s, s)
    V = M @ meat @ M
    XtX = X.T @ X
    df = np.empty(k)
    for j in range(k):
        c = np.zeros(k)
        c[j] = 1.0
        Mc = M @ c
        P = [A[g] @ (X[ix] @ Mc) for g, ix in enumerate(idx)]
        # u_g = E_g p_g - X q_g with q_g = M X_g' p_g; Gram matrix of u in k dimensions.
        Q = np.array([M @ (X[ix].T @ P[g]) for g, ix in enumerate(idx)])      # G x k
        R = np.array([X[ix].T @ P[g] for g, ix in enumerate(idx)])            # G x k  (X_g' p_g)
        pp = np.array([P[g] @ P[g] for g in range(len(idx))])
        gram = -R @ Q.T - Q @ R.T + Q @ XtX @ Q.T
        gram[np.diag_indices_from(gram)] += pp
        df[j] = np.trace(gram) ** 2 / np.sum(gram ** 2)
    return V, df


def _wild(y: np.ndarray, X: np.ndarray, M: np.ndarray, codes: np.ndarray, G: int, j: int, alpha: float,
          B: int, seed: int | None, kind: str, beta_j: float, se_j: float) -> dict:
    """Restricted wild cluster bootstrap-t for H0: beta_j = r, and its inversion into a CI.

    Bootstrap samples y* = X b~(r) + v_g e~_g(r), b~ and e~ the estimates under beta_j = r.
    With w = M e_j and s_g = X_g' e~_g, the numerator is b*_j - r = sum_g v_g w's_g and the
    bootstrap cluster scores are (C v)_g, C = diag(w's) - [w' X_g'X_g M s_h]_{g,h}
    (the algebra of Roodman et al. 2019), so each draw costs O(G^2). t* uses the same CR1
    correction as the observed t, so the correction cancels. Two-sided symmetric p-value
    P(|t*| >= |t|); the CI collects the r with p(r) > alpha (bisection on each side).
    """
    n, k = X.shape
    others = [i for i in range(k) if i != j]
    Xo = X[:, others]
    xj = X[:, j]
    if others:
        Mo = np.linalg.pinv(Xo.T @ Xo)
        e0 = y - Xo @ (Mo @ (Xo.T @ y))
        e1 = xj - Xo @ (Mo @ (Xo.T @ xj))
    else:
        e0, e1 = y.copy(), xj.copy()
    # e~(r) = e0 - r e1
    w = M[:, j]
    S0 = _group_sum(X * e0[:, None], codes, G)
    S1 = _group_sum(X * e1[:, None], codes, G)
    XtXg = np.zeros((G, k, k))
    for a in range(k):
        for b in range(a, k):
            XtXg[:, a, b] = XtXg[:, b, a] = np.bincount(codes, weights=X[:, a] * X[:, b], minlength=G)
    Wg = XtXg @ w                                   # G x k: X_g'X_g w
    a0, a1 = S0 @ w, S1 @ w
    C0 = np.diag(a0) - Wg @ M @ S0.T
    C1 = np.diag(a1) - Wg @ M @ S1.T
    V = _draws(kind, G, B, seed)
    C0V, C1V = C0 @ V, C1 @ V
    a0V, a1V = a0 @ V, a1 @ V

    # se_j contains the CR1 factor adj; the bootstrap denominators above do not.
    adj = se_j ** 2 / max(1e-300, _cr1_raw_var(X, y - X @ (M @ (X.T @ y)), M, codes, G, j))
    t_scale = math.sqrt(adj)

    def p_of(r: float) -> float:
        t_obs = (beta_j - r) / se_j
        num = a0V - r * a1V
        den = t_scale * np.sqrt(((C0V - r * C1V) ** 2).sum(axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            tb = np.abs(num / den)
        tb = np.where(np.isfinite(tb), tb, 0.0)
        return float(np.mean(tb >= abs(t_obs)))

    p0 = p_of(0.0)

    def bound(sign: float) -> float:
        inside = beta_j
        step = max(se_j, 1e-8)
        outside = beta_j + sign * 2 * step
        tries = 0
        while p_of(outside) > alpha and tries < 60:
            inside = outside
            step *= 2
            outside = beta_j + sign * 2 * step
            tries += 1
        for _ in range(60):
            mid = (inside + outside) / 2
            if p_of(mid) > alpha:
                inside = mid
            else:
                outside = mid
        return (inside + outside) / 2

    lo, hi = bound(-1.0), bound(1.0)
    return {"pvalue": p0, "ci_low": lo, "ci_high": hi, "draws": V.shape[1], "weights": kind}


def _cr1_raw_var(X: np.ndarray, e: np.ndarray, M: np.ndarray, codes: np.ndarray, G: int, j: int) -> float:
    scores = _group_sum(X * e[:, None], codes, G)
    s = scores @ M[:, j]
    return float(s @ s)


def _table(fit: _Fit, alpha: float) -> pd.DataFrame:
    t = fit.beta / fit.se
    q = stats.t.ppf(1 - alpha / 2, fit.df)
    return pd.DataFrame({"coef": fit.beta, "se": fit.se, "t": t, "df": fit.df,
                         "pvalue": 2 * stats.t.sf(np.abs(t), fit.df),
                         "ci_low": fit.beta - q * fit.se, "ci_high": fit.beta + q * fit.se},
                        index=pd.Index(fit.names, name="term"))


@dataclasses.dataclass(frozen=True)
class DiD(Result):
    """A difference-in-differences (or TWFE) estimate. See :func:`did` and :func:`twfe`."""

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
    warning: str
    table: pd.DataFrame
    vcov: pd.DataFrame = dataclasses.field(repr=False, compare=False)
    model: Any = dataclasses.field(repr=False, compare=False, default=None)


def _default_se(se: str | None, cluster: str | None) -> str:
    if se is None:
        return "cluster" if cluster is not None else "hc1"
    if se not in _SE_TYPES:
        raise DataError(f"se must be one of {_SE_TYPES}, not {se!r}.")
    return se


def _did_result(fit: _Fit, term: str, alpha: float, dropped: int) -> DiD:
    table = _table(fit, alpha)
    row = table.loc[term]
    est, se_j, df = float(row["coef"]), float(row["se"]), float(row["df"])
    lo, hi, p = float(row["ci_low"]), float(row["ci_high"]), float(row["pvalue"])
    if fit.wild is not None:
        lo, hi, p = fit.wild["ci_low"], fit.wild["ci_high"], fit.wild["pvalue"]
        table.loc[term, ["pvalue", "ci_low", "ci_high"]] = [p, lo, hi]
    vc = pd.DataFrame(fit.vcov, index=fit.names, columns=fit.names)
    return DiD(att=est, se=se_j, ci_low=lo, ci_high=hi, pvalue=p, df=df, n=fit.n, n_dropped=dropped,
               n_clusters=fit.n_clusters, inference=fit.inference,
               warning=_few_cluster_warning(fit.n_clusters, fit.se_type),
               table=table, vcov=vc, model=fit)


def did(data: pd.DataFrame, outcome: str, treated: str, post: str, cluster: str | None = None,
        controls: Sequence[str] = (), se: str | None = None, alpha: float = 0.05, B: int = 9999,
        seed: int | None = 20261127, weights: str = "auto") -> DiD:
    """Canonical 2x2 difference in differences: ``outcome ~ 1 + treated + post + treated:post + controls``.

    The ATT is the coefficient of ``treated:post`` (both 0/1). Inference (``se``):

    - ``"classical"``: OLS, t with n - k df; ``"hc1"``: White HC1, n - k df (default without cluster);
    - ``"cluster"`` (default with ``cluster``): CR1 = G/(G-1) (n-1)/(n-k) M (sum_g X_g'e_g e_g'X_g) M,
      t with G - 1 df (sandwich::vcovCL(type = "HC1"); Cameron & Miller 2015);
    - ``"cr2"``: Bell-McCaffrey CR2 with Satterthwaite df (clubSandwich::coef_test, "CR2");
    - ``"wild"``: restricted wild cluster bootstrap-t (Cameron, Gelbach & Miller 2008), ``B`` draws,
      seeded, Webb six-point weights when G <= 12 (else Rademacher, enumerated when 2^G <= B);
      p-value and CI by test inversion; ``se`` then still shows CR1.

    With fewer than 30 clusters ``.warning`` names the inference and suggests cr2 or wild.
    Missing data: rows missing any used column are dropped (``n_dropped``).
    """
    where = "did"
    se = _default_se(se, cluster)
    cols = [outcome, treated, post, *controls] + ([cluster] if cluster else [])
    _require_columns(data, cols, where)
    sub, dropped = _complete(data, cols)
    d = _binary(sub, treated, where).to_numpy()
    p = _binary(sub, post, where).to_numpy()
    term = f"{treated}:{post}"
    if (p[d == 0] == 0).all() and (p[d == 1] == 1).any() and (p[d == 1] == 0).any():
        raise DataError(
            f"{where}: {post!r} is 1 only in treated units, so it already is the treatment indicator "
            f"(staggered adoption: post = wave >= the unit's first treated wave). The 2x2 model cannot "
            f"separate it. Fix: use twfe(data, {outcome!r}, unit, time, {post!r}) or staggered(), or pass "
            f"a calendar post indicator shared by all units.")
    Xcols = {"Intercept": np.ones(len(sub)), treated: d, post: p, term: d * p}
    for c in controls:
        Xcols[c] = _numeric(sub, c, where).to_numpy()
    X = np.column_stack(list(Xcols.values()))
    y = _numeric(sub, outcome, where).to_numpy()
    cl = sub[cluster].to_numpy() if cluster else None
    names = list(Xcols)
    fit = _ols_engine(y, X, names, se, cl, target=names.index(term), alpha=alpha, B=B, seed=seed,
                      weights=weights)
    return _did_result(fit, term, alpha, dropped)


def _demean(values: np.ndarray, codes: np.ndarray, G: int) -> np.ndarray:
    """Subtract group means (within transformation) from each column of ``values``."""
    v = values if values.ndim == 2 else values[:, None]
    sums = _group_sum(v, codes, G)
    counts = np.bincount(codes, minlength=G).astype(float)
    out = v - (sums / counts[:, None])[codes]
    return out if values.ndim == 2 else out[:, 0]


def _panel_design(sub: pd.DataFrame, unit: str, time: str, regressors: dict[str, np.ndarray],
                  ) -> tuple[np.ndarray, list[str], np.ndarray, int, int]:
    """Regressors plus time dummies (first period omitted), unit fixed effects absorbed by demeaning.

    Unit fixed effects are absorbed (never built as dummies) so a million rows stay cheap; time
    effects are few and stay explicit, which keeps CR2 and the wild bootstrap exact when clusters
    are units (fixed effects nested within clusters, Pustejovsky & Tipton 2018, sec. 3).
    """
    ucodes, nu = _cluster_codes(sub[unit].to_numpy())
    tvals = np.sort(sub[time].unique())
    tdum = {f"{time}[{t}]": (sub[time].to_numpy() == t).astype(float) for t in tvals[1:]}
    cols = {**regressors, **tdum}
    X = np.column_stack(list(cols.values()))
    return _demean(X, ucodes, nu), list(cols), ucodes, nu, len(tvals)


def _check_nested(sub: pd.DataFrame, unit: str, cluster: str, se: str) -> None:
    if se in ("cluster", "cr2", "wild") and cluster != unit:
        per_unit = sub.groupby(unit, observed=True)[cluster].nunique()
        if (per_unit > 1).any():
            u = per_unit.index[(per_unit > 1).to_numpy()][0]
            raise DataError(
                f"Unit {u!r} appears in more than one {cluster!r} cluster; unit fixed effects must be "
                f"nested in clusters. Fix: cluster by {unit!r} or by a grouping of units.")


def twfe(data: pd.DataFrame, outcome: str, unit: str, time: str, treated: str,
         cluster: str | None = None, controls: Sequence[str] = (), se: str | None = None,
         alpha: float = 0.05, B: int = 9999, seed: int | None = 20261127, weights: str = "auto") -> DiD:
    """Two-way fixed effects: ``outcome ~ treated + controls + unit FE + time FE``.

    ``treated`` is the 0/1 treatment indicator of the unit at that time (for staggered adoption:
    1 from the adoption wave on). Unit effects are absorbed by the within transformation; the
    degrees of freedom count them as lm with unit dummies does (k = regressors + units + periods - 1),
    so classical, HC1 and CR1 equal lm + sandwich with factor(unit) + factor(time). Inference options
    as :func:`did`; cluster defaults to ``unit`` when ``se`` asks for clustering.
    Under staggered adoption with effects that change over time TWFE is a weighted average with
    possibly negative weights (Goodman-Bacon 2021): compare with :func:`staggered`.
    Missing data: rows missing any used column are dropped (``n_dropped``).
    """
    where = "twfe"
    if cluster is None and se in ("cluster", "cr2", "wild"):
        cluster = unit
    se = _default_se(se, cluster)
    cols = [outcome, unit, time, treated, *controls] + ([cluster] if cluster else [])
    _require_columns(data, cols, where)
    sub, dropped = _complete(data, cols)
    if cluster:
        _check_nested(sub, unit, cluster, se)
    regs = {treated: _numeric(sub, treated, where).to_numpy()}
    for c in controls:
        regs[c] = _numeric(sub, c, where).to_numpy()
    X, names, ucodes, nu, nt = _panel_design(sub, unit, time, regs)
    y = _demean(_numeric(sub, outcome, where).to_numpy(), ucodes, nu)
    cl = sub[cluster].to_numpy() if cluster else None
    fit = _ols_engine(y, X, names, se, cl, k_absorbed=nu, target=0, alpha=alpha, B=B, seed=seed,
                      weights=weights)
    return _did_result(fit, treated, alpha, dropped)


# --------------------------------------------------------------------------------------------
# event study
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class EventStudy(Result):
    """Leads and lags around adoption. See :func:`event_study`."""

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
    warning: str
    model: Any = dataclasses.field(repr=False, compare=False, default=None)


def event_study(data: pd.DataFrame, outcome: str, unit: str, time: str, first_treated: str,
                leads: int = 3, lags: int = 3, reference: int = -1, cluster: str | None = None,
                controls: Sequence[str] = (), se: str | None = None, alpha: float = 0.05) -> EventStudy:
    """Dynamic TWFE: ``outcome ~ sum_e D_it^e + unit FE + time FE`` with event time e = time - first_treated.

    Dummies for e = -leads .. lags, except ``reference`` (default -1, the period before adoption);
    the end points are binned (e <= -leads and e >= lags). Never-treated units (``first_treated``
    missing, 0 or inf) have all dummies 0. Pre-trend test: Wald F = b'V^(-1) b / q on the lead
    coefficients with the chosen (cluster-robust) V, referred to F(q, G - 1) when clustered
    (F(q, n - k) otherwise; with ``se="cr2"`` the denominator df is the mean Satterthwaite df of
    the leads, an approximation to the HTZ test of Pustejovsky & Tipton 2018). Under heterogeneous effects across cohorts these coefficients can
    be contaminated (Sun & Abraham 2021); :func:`staggered` does not have that problem.
    Missing data: rows missing outcome, unit or time are dropped; ``first_treated`` missing means never.
    """
    where = "event_study"
    if cluster is None and se in (None, "cluster", "cr2"):
        cluster = unit
    se = _default_se(se, cluster)
    if se == "wild":
        raise DataError("event_study: se='wild' tests one coefficient; use 'cluster' or 'cr2' here, "
                        "and did()/twfe() with se='wild' for the pooled effect.")
    cols = [outcome, unit, time, *controls] + ([cluster] if cluster else [])
    _require_columns(data, cols + [first_treated], where)
    sub, dropped = _complete(data, cols)
    if cluster:
        _check_nested(sub, unit, cluster, se)
    g = pd.to_numeric(sub[first_treated], errors="coerce").to_numpy(dtype=float)
    g = np.where((g == 0) | ~np.isfinite(g), np.nan, g)
    t = _numeric(sub, time, where).to_numpy()
    rel = t - g
    terms = [e for e in range(-leads, lags + 1) if e != reference]
    regs = {}
    for e in terms:
        if e == -leads:
            x = rel <= e
        elif e == lags:
            x = rel >= e
        else:
            x = rel == e
        regs[f"e{e:+d}"] = np.where(np.isnan(rel), 0.0, x.astype(float))
    regs = {k: v for k, v in regs.items() if v.any()}
    for c in controls:
        regs[c] = _numeric(sub, c, where).to_numpy()
    X, names, ucodes, nu, _ = _panel_design(sub, unit, time, regs)
    y = _demean(_numeric(sub, outcome, where).to_numpy(), ucodes, nu)
    cl = sub[cluster].to_numpy() if cluster else None
    fit = _ols_engine(y, X, names, se, cl, k_absorbed=nu, alpha=alpha)
    tab = _table(fit, alpha)
    ev = [n for n in names if n.startswith("e") and n[1:].lstrip("+-").isdigit()]
    table = tab.loc[ev].copy()
    table.insert(0, "event_time", [int(n[1:]) for n in ev])
    ref = pd.DataFrame({"event_time": [reference], "coef": [0.0], "se": [0.0], "t": [np.nan],
                        "df": [np.nan], "pvalue": [np.nan], "ci_low": [0.0], "ci_high": [0.0]},
                       index=pd.Index([f"e{reference:+d}"], name="term"))
    table = pd.concat([table, ref]).sort_values("event_time")
    pre = [i for i, n in enumerate(names) if n in ev and int(n[1:]) < 0]
    if pre:
        b = fit.beta[pre]
        Vp = fit.vcov[np.ix_(pre, pre)]
        q = len(pre)
        f = float(b @ np.linalg.solve(Vp, b) / q)
        df2 = float(fit.n_clusters - 1) if fit.n_clusters and se != "cr2" else float(fit.n - fit.k_total)
        if se == "cr2":
            df2 = float(np.mean(fit.df[pre]))
        pf = float(stats.f.sf(f, q, df2))
    else:
        f, q, df2, pf = float("nan"), 0, float("nan"), float("nan")
    return EventStudy(table=table, pretrend_f=f, pretrend_df1=q, pretrend_df2=df2, pretrend_p=pf,
                      n=fit.n, n_dropped=dropped, n_clusters=fit.n_clusters, reference=reference,
                      inference=fit.inference, warning=_few_cluster_warning(fit.n_clusters, se),
                      model=fit)


# --------------------------------------------------------------------------------------------
# 4. staggered adoption: Callaway & Sant'Anna (2021)
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Staggered(Result):
    """Group-time ATTs and aggregations. See :func:`staggered`."""

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
    twfe: DiD
    n_units: int
    n_dropped_units: int
    control: str
    note: str
    warning: str


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


def _agg(att: np.ndarray, inf: np.ndarray, keep: np.ndarray, w: np.ndarray,
         wif: np.ndarray | None) -> tuple[float, np.ndarray]:
    est = float(att[keep] @ w)
    f = inf[:, keep] @ w
    if wif is not None:
        f = f + wif @ att[keep]
    return est, f


def _se_from_inf(f: np.ndarray) -> float:
    n = len(f)
    return float(math.sqrt(np.sum(f ** 2)) / n)


def staggered(data: pd.DataFrame, outcome: str, unit: str, time: str, first_treated: str,
              control: str = "never", alpha: float = 0.05) -> Staggered:
    """Callaway & Sant'Anna (2021) difference in differences with staggered adoption (no covariates).

    ``data`` is a balanced panel with one row per unit and period (aggregate individual answers to
    unit-wave means first). ``first_treated`` is the period of adoption; missing, 0 or inf = never.
    For cohort g and period t with base b = g - 1 when t >= g and b = t - 1 otherwise (R did's
    ``base_period = "varying"``):

        ATT(g, t) = mean_{G=g}(Y_t - Y_b) - mean_{C}(Y_t - Y_b),

    C = never-treated units (``control="never"``) or units not yet treated by max(t, b) and not in g
    (``"notyet"``). Influence functions (panel, no covariates) give analytic SEs, se = sqrt(sum IF^2)/n
    (R did with ``bstrap = FALSE``). Aggregations as R ``did::aggte``: ``simple`` (post-treatment
    ATT(g,t) weighted by cohort size), ``dynamic`` (by event time e = t - g), ``group`` (per cohort,
    then weighted) and ``calendar`` (per period, then averaged); the influence of estimated weights
    is included. The headline ``att`` is the simple aggregation. Units already treated in the first
    period are dropped (no pre-period), as R did does; adoption after the last period counts as
    never treated. Intervals are pointwise normal (no uniform band). Units are the clusters: the
    influence functions are per unit. Checked against R did 2.5.1 with ``est_method = "reg"`` to
    1e-12 (without covariates its "dr" and "ipw" give the same point estimates).
    A TWFE estimate on the same panel is given beside it (``.twfe``) with a note.
    Missing data: units with a missing outcome in any period are dropped (``n_dropped_units``;
    the estimator needs a balanced panel).
    """
    where = "staggered"
    if control not in ("never", "notyet"):
        raise DataError(f"{where}: control must be 'never' or 'notyet', not {control!r}.")
    _require_columns(data, [outcome, unit, time, first_treated], where)
    sub = data[[outcome, unit, time, first_treated]].copy()
    if sub.duplicated([unit, time]).any():
        dup = sub[sub.duplicated([unit, time])].iloc[0]
        raise DataError(f"{where}: more than one row for unit {dup[unit]!r} in period {dup[time]!r}. "
                        f"Fix: aggregate to one row per unit and period (e.g. the mean score) first.")
    sub[outcome] = _numeric(sub, outcome, where)
    gnum = pd.to_numeric(sub[first_treated], errors="coerce").astype(float)
    sub["_g"] = gnum.where(gnum.notna() & (gnum != 0) & np.isfinite(gnum), 0.0)
    wide = sub.pivot(index=unit, columns=time, values=outcome)
    gper = sub.groupby(unit)["_g"].first().reindex(wide.index)
    n_all = len(wide)
    incomplete = wide.isna().any(axis=1)
    periods = np.array(sorted(wide.columns))
    first = periods[0]
    early = (gper > 0) & (gper <= first)
    dropped = incomplete | early
    wide, gper = wide[~dropped], gper[~dropped]
    Y = wide.to_numpy(dtype=float)
    gvec = gper.to_numpy(dtype=float)
    # adoption after the last observed period looks like never-treated within the sample (R did)
    gvec = np.where(gvec > periods[-1], 0.0, gvec)
    n = len(gvec)
    groups = np.array(sorted(g for g in np.unique(gvec) if g > 0 and g <= periods[-1]))
    if len(groups) == 0:
        raise DataError(f"{where}: no unit adopts within the observed periods {list(periods)}.")
    if control == "never" and not (gvec == 0).any():
        raise DataError(f"{where}: no never-treated unit; use control='notyet'.")
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
    inf = np.column_stack(infs)
    gt["se"] = [_se_from_inf(inf[:, i]) for i in range(inf.shape[1])]
    gt["event_time"] = gt["time"] - gt["group"]
    z = stats.norm.ppf(1 - alpha / 2)

    def frame(key: str, vals: list, ests: list, fs: list) -> pd.DataFrame:
        ses = [_se_from_inf(f) for f in fs]
        out = pd.DataFrame({key: vals, "att": ests, "se": ses})
        out["ci_low"] = out["att"] - z * out["se"]
        out["ci_high"] = out["att"] + z * out["se"]
        out["pvalue"] = 2 * stats.norm.sf(np.abs(out["att"] / out["se"]))
        return out

    gt["ci_low"] = gt["att"] - z * gt["se"]
    gt["ci_high"] = gt["att"] + z * gt["se"]
    att_arr = gt["att"].to_numpy()
    grp = gt["group"].to_numpy()
    tim = gt["time"].to_numpy()
    pg_g = {g: float(np.mean(gvec == g)) for g in groups}
    pg = np.array([pg_g[g] for g in grp])
    # simple
    keep = np.where(grp <= tim)[0]
    w = pg[keep] / pg[keep].sum()
    s_est, s_f = _agg(att_arr, inf, keep, w, _wif(keep, pg, gvec, grp))
    simple = frame("aggregation", ["simple"], [s_est], [s_f])
    # dynamic
    ev = tim - grp
    d_vals, d_est, d_fs = [], [], []
    for e in np.unique(ev):
        keep = np.where(ev == e)[0]
        w = pg[keep] / pg[keep].sum()
        est, f = _agg(att_arr, inf, keep, w, _wif(keep, pg, gvec, grp))
        d_vals.append(int(e))
        d_est.append(est)
        d_fs.append(f)
    dynamic = frame("event_time", d_vals, d_est, d_fs)
    post_e = [i for i, e in enumerate(d_vals) if e >= 0]
    dyn_overall = (float(np.mean([d_est[i] for i in post_e])), np.mean([d_fs[i] for i in post_e], axis=0))
    # group
    g_vals, g_est, g_fs = [], [], []
    for g in groups:
        keep = np.where((grp == g) & (tim >= g))[0]
        if len(keep) == 0:
            continue
        w = np.full(len(keep), 1 / len(keep))
        est, f = _agg(att_arr, inf, keep, w, None)
        g_vals.append(g)
        g_est.append(est)
        g_fs.append(f)
    pgg = np.array([pg_g[g] for g in g_vals])
    ge = np.array(g_est)
    gw = pgg / pgg.sum()
    g_over = float(ge @ gw)
    wif_g = _wif(np.arange(len(g_vals)), pgg, gvec, np.array(g_vals))
    g_over_f = np.column_stack(g_fs) @ gw + wif_g @ ge
    group = frame("group", g_vals, g_est, g_fs)
    # calendar
    c_vals, c_est, c_fs = [], [], []
    for t in periods:
        keep = np.where((tim == t) & (grp <= t))[0]
        if len(keep) == 0:
            continue
        w = pg[keep] / pg[keep].sum()
        est, f = _agg(att_arr, inf, keep, w, _wif(keep, pg, gvec, grp))
        c_vals.append(t)
        c_est.append(est)
        c_fs.append(f)
    calendar = frame("time", c_vals, c_est, c_fs)
    c_over = (float(np.mean(c_est)), np.mean(c_fs, axis=0))
    overall = frame("aggregation", ["dynamic (e >= 0)", "group", "calendar"],
                    [dyn_overall[0], g_over, c_over[0]], [dyn_overall[1], g_over_f, c_over[1]])
    simple = pd.concat([simple, overall], ignore_index=True)
    # TWFE on the same panel
    panel = sub[sub[unit].isin(wide.index)].copy()
    panel["_d"] = ((panel["_g"] > 0) & (panel[time] >= panel["_g"])).astype(float)
    tw = twfe(panel, outcome, unit, time, "_d", cluster=unit, se="cluster", alpha=alpha)
    note = ("TWFE weights cohorts and periods by their treatment variance, uses already-treated units "
            "as controls and can even give negative weights when effects grow over time "
            "(Goodman-Bacon 2021); the Callaway-Sant'Anna ATT compares each cohort only with "
            f"{'never-treated' if control == 'never' else 'not-yet-treated'} units.")
    r = simple.iloc[0]
    return Staggered(att=float(r["att"]), se=float(r["se"]), ci_low=float(r["ci_low"]),
                     ci_high=float(r["ci_high"]), pvalue=float(r["pvalue"]), att_gt=gt, simple=simple,
                     dynamic=dynamic, group=group, calendar=calendar, twfe=tw, n_units=n,
                     n_dropped_units=int(n_all - n), control=control, note=note,
                     warning=(f"Only {n} units: the influence-function standard errors use the normal "
                              f"distribution and can be too small with fewer than {FEW_CLUSTERS} units; "
                              f"compare with twfe(..., se='cr2') or se='wild'.") if n < FEW_CLUSTERS else "")


# --------------------------------------------------------------------------------------------
# 5. mixed models
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Mixed(Result):
    """A fitted linear mixed model. See :func:`mixed`."""

    params: pd.Series
    bse: pd.Series
    cov_re: pd.DataFrame
    scale: float
    llf: float
    converged: bool
    icc: float
    method: str
    n: int
    n_groups: int
    n_dropped: int
    table: pd.DataFrame
    model: Any = dataclasses.field(repr=False, compare=False, default=None)


_OPTIMIZER_KW = {
    # tight tolerances: the defaults stop where the variance components are still 1e-4 off lme4
    "bfgs": {"gtol": 1e-10, "maxiter": 2000},
    "lbfgs": {"pgtol": 1e-10, "factr": 10.0, "maxiter": 5000},
    "cg": {"gtol": 1e-10, "maxiter": 5000},
    "powell": {"xtol": 1e-10, "ftol": 1e-12, "maxiter": 20000},
    "nm": {"xtol": 1e-10, "ftol": 1e-12, "maxiter": 20000},
}


def _formula_columns(formula: str, data: pd.DataFrame) -> list[str]:
    """Data columns a formula mentions (also inside C(...), np.log(...), I(...))."""
    import patsy

    patsy.ModelDesc.from_formula(formula)  # raises on a malformed formula
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", formula)
    return [n for n in dict.fromkeys(names) if n in data.columns]


def mixed(data: pd.DataFrame, formula: str, groups: str, re_formula: str | None = None,
          reml: bool = True, alpha: float = 0.05,
          methods: Sequence[str] = ("default", "bfgs", "lbfgs", "powell", "cg", "nm"),
          gtol: float = 1e-6) -> Mixed:
    """Linear mixed model (statsmodels MixedLM) that never returns an unconverged fit.

    y = X b + Z u + e, u ~ N(0, cov_re) per group, e ~ N(0, scale) (REML by default, as lme4::lmer).
    The fit is tried with each optimizer in ``methods`` ("default" = statsmodels' own choice and
    tolerances; the others with tight tolerances, starting from the previous attempt when that one
    converged but stopped early) until one reports convergence and the gradient of the profile
    log-likelihood per observation, max |score| / n, is below ``gtol`` (scale-free, like the
    criterion statsmodels' optimizers use; a hundred times smaller when the optimizer reports
    precision loss instead of convergence); otherwise a DataError lists what each optimizer did.
    Standard errors of the fixed effects are the GLS ones, sqrt(diag((sum_g X_g' V_g^-1 X_g)^-1))
    with V_g = Z_g cov_re Z_g' + scale I, as lme4's ``vcov()`` (statsmodels' Hessian-based
    ``bse_fe`` differs by up to a few percent under REML); Wald z intervals. ``icc`` =
    var(intercept) / (var(intercept) + scale) from the random-intercept variance (with random
    slopes: the ICC at covariate value 0).
    Missing data: rows missing any variable in the formulas or ``groups`` are dropped (``n_dropped``).
    """
    import statsmodels.formula.api as smf

    where = "mixed"
    _require_columns(data, [groups], where)
    try:
        used = _formula_columns(formula, data) + (_formula_columns("_y ~ " + re_formula.lstrip("~ "), data)
                                                  if re_formula else [])
    except Exception as exc:  # patsy raises several types for a bad formula
        raise DataError(f"{where}: cannot read the formula {formula!r}: {exc}") from None
    used = list(dict.fromkeys(used + [groups]))
    sub, dropped = _complete(data, used)
    sub = _plain(sub, used)
    if sub[groups].nunique() < 2:
        raise DataError(f"{where}: {groups!r} has fewer than 2 groups after dropping missing rows.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm(formula, sub, groups=sub[groups], re_formula=re_formula)
    attempts = []
    res = None
    start = None
    for m in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if m == "default":
                    res = model.fit(reml=reml)
                else:
                    res = model.fit(reml=reml, method=[m], start_params=start, **_OPTIMIZER_KW.get(m, {}))
            except (np.linalg.LinAlgError, ValueError) as exc:
                attempts.append(f"{m}: failed ({exc})")
                continue
            try:
                grad = float(np.max(np.abs(model.score(res.params_object, profile_fe=True)))) / model.nobs
            except Exception:  # noqa: BLE001 - gradient unavailable: treat as not verified
                grad = float("inf")
        finite = bool(np.all(np.isfinite(res.fe_params))) and np.isfinite(res.scale)
        attempts.append(f"{m}: converged={res.converged}, max|gradient|/n={grad:.1e}")
        # scipy's BFGS reports "precision loss" (not converged) at an optimum it cannot improve
        # in floating point; a gradient 100 times below the tolerance is accepted then
        if finite and (grad < gtol if res.converged else grad < gtol / 100):
            break
        # an attempt that converged but stopped early is a good start for a tighter optimizer
        start = res.params_object if (res.converged and finite and np.isfinite(grad)) else None
    else:
        raise DataError(f"{where}: no optimizer converged for {formula!r} with groups {groups!r}: "
                        + "; ".join(attempts) + ". Fix: rescale predictors, simplify re_formula, or "
                        "check that groups have more than one row.")
    fe = res.fe_params
    cov_re = res.cov_re
    cr = cov_re.to_numpy()
    info = np.zeros((len(fe), len(fe)))
    sc = float(res.scale)
    q = cr.shape[0]
    for Xg, Zg in zip(model.exog_li, model.exog_re_li):
        # Woodbury, valid for a singular cov_re: V_g^-1 = (I - Z Psi (s I + Z'Z Psi)^-1 Z') / s,
        # so only q x q systems are solved (q = number of random effects)
        XZ = Xg.T @ Zg
        inner = np.linalg.solve(sc * np.eye(q) + (Zg.T @ Zg) @ cr, XZ.T)
        info += (Xg.T @ Xg - XZ @ cr @ inner) / sc
    vc = np.linalg.inv(info)
    bse = pd.Series(np.sqrt(np.diag(vc)), index=fe.index)
    z = stats.norm.ppf(1 - alpha / 2)
    table = pd.DataFrame({"coef": fe, "se": bse, "z": fe / bse, "pvalue": 2 * stats.norm.sf(np.abs(fe / bse)),
                          "ci_low": fe - z * bse, "ci_high": fe + z * bse})
    v0 = float(cr[0, 0])
    return Mixed(params=fe, bse=bse, cov_re=cov_re, scale=float(res.scale), llf=float(res.llf),
                 converged=True, icc=v0 / (v0 + float(res.scale)), method=attempts[-1].split(":")[0],
                 n=int(res.nobs), n_groups=len(model.group_labels), n_dropped=dropped, table=table,
                 model=res)


# --------------------------------------------------------------------------------------------
# 6. ordinal outcomes
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Ordinal(Result):
    """Proportional-odds (or -probit) model. See :func:`ordinal`."""

    params: pd.Series
    bse: pd.Series
    cutpoints: pd.Series
    odds_ratios: pd.DataFrame
    llf: float
    n: int
    n_dropped: int
    distr: str
    table: pd.DataFrame
    model: Any = dataclasses.field(repr=False, compare=False, default=None)


def ordinal(data: pd.DataFrame, formula: str, distr: str = "logit", alpha: float = 0.05) -> Ordinal:
    """Cumulative-link model for one Likert item: P(Y <= k) = F(theta_k - x'b).

    statsmodels OrderedModel, parameterised as R's MASS::polr and ordinal::clm (same sign of b).
    The design has no constant (the cutpoints play its role; OrderedModel rejects one), so the
    formula's intercept is removed. ``cutpoints`` are the thresholds theta_1 < ... < theta_{K-1}
    labelled "k|k+1" as R prints them (statsmodels stores the first one and log increments).
    ``odds_ratios`` = exp(b) with Wald CIs (logit only). Outcome levels are the sorted observed values.
    Missing data: rows missing the outcome or a predictor are dropped (``n_dropped``).
    """
    import patsy
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    where = "ordinal"
    if distr not in ("logit", "probit"):
        raise DataError(f"{where}: distr must be 'logit' or 'probit', not {distr!r}.")
    desc = patsy.ModelDesc.from_formula(formula)
    yname = desc.lhs_termlist[0].factors[0].name()
    _require_columns(data, [yname], where)
    used = _formula_columns(formula, data)
    sub, dropped = _complete(data, used)
    sub = _plain(sub, used)
    yv = pd.to_numeric(sub[yname], errors="coerce")
    if yv.isna().any():
        yv = sub[yname]
    levels = sorted(pd.unique(yv))
    if len(levels) < 3:
        raise DataError(f"{where}: {yname!r} has {len(levels)} observed levels; an ordinal model needs 3 "
                        f"or more (use a logistic model for two).")
    rhs_formula = formula.split("~", 1)[1]
    # build with the intercept so categorical predictors get treatment coding (k - 1 dummies),
    # then drop it: the cutpoints take its place
    X = patsy.dmatrix(rhs_formula, sub, return_type="dataframe")
    X = X.drop(columns=[c for c in X.columns if c == "Intercept"])
    if X.shape[1] == 0:
        raise DataError(f"{where}: the formula {formula!r} has no predictors.")
    y = pd.Series(pd.Categorical(yv, categories=levels, ordered=True), index=sub.index)
    mod = OrderedModel(y, X, distr=distr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mod.fit(method="bfgs", disp=False, maxiter=2000, gtol=1e-8)
    if not res.mle_retvals.get("converged", True):
        res = mod.fit(method="nm", disp=False, maxiter=20000, start_params=res.params)
        res = mod.fit(method="bfgs", disp=False, maxiter=2000, gtol=1e-8, start_params=res.params)
        if not res.mle_retvals.get("converged", True):
            raise DataError(f"{where}: the model {formula!r} did not converge (empty categories or "
                            "perfect separation?). Fix: merge sparse categories.")
    kx = X.shape[1]
    beta = res.params.iloc[:kx]
    bse = res.bse.iloc[:kx]
    cuts = mod.transform_threshold_params(res.params.to_numpy())[1:-1]
    labels = [f"{levels[i]}|{levels[i + 1]}" for i in range(len(levels) - 1)]
    # delta-method SEs of the cumulative thresholds from the (first, log-increment) parameterisation
    th = res.params.to_numpy()[kx:]
    J = np.zeros((len(th), len(th)))
    J[:, 0] = 1.0
    for i in range(1, len(th)):
        J[i:, i] = np.exp(th[i])
    cov_th = res.cov_params().to_numpy()[kx:, kx:]
    cut_se = np.sqrt(np.diag(J @ cov_th @ J.T))
    q = stats.norm.ppf(1 - alpha / 2)
    table = pd.DataFrame({"coef": np.r_[beta.to_numpy(), cuts], "se": np.r_[bse.to_numpy(), cut_se]},
                         index=pd.Index(list(beta.index) + labels, name="term"))
    table["z"] = table["coef"] / table["se"]
    table["pvalue"] = 2 * stats.norm.sf(np.abs(table["z"]))
    orr = pd.DataFrame({"odds_ratio": np.exp(beta), "ci_low": np.exp(beta - q * bse),
                        "ci_high": np.exp(beta + q * bse)}) if distr == "logit" else pd.DataFrame()
    return Ordinal(params=beta, bse=bse, cutpoints=pd.Series(cuts, index=labels), odds_ratios=orr,
                   llf=float(res.llf), n=int(res.nobs), n_dropped=dropped, distr=distr, table=table,
                   model=res)


# --------------------------------------------------------------------------------------------
# 7. mediation
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Mediation(Result):
    """Indirect, direct and total effects. See :func:`mediation`."""

    a: float
    b: float
    indirect: float
    direct: float
    total: float
    prop_mediated: float
    table: pd.DataFrame
    n: int
    n_dropped: int
    n_boot: int
    boot: str


def _ols_beta(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


def mediation(data: pd.DataFrame, treatment: str, mediator: str, outcome: str,
              controls: Sequence[str] = (), cluster: str | None = None, n_boot: int = 2000,
              seed: int | None = 20261127, alpha: float = 0.05) -> Mediation:
    """Product-of-coefficients mediation (linear models) with percentile bootstrap CIs.

    mediator = i1 + a T + controls;  outcome = i2 + c' T + b M + controls.
    indirect = a b, direct = c', total = c' + a b (equals the coefficient of T in outcome ~ T +
    controls for OLS). With linear models and no T x M interaction this is the natural indirect
    effect of Imai, Keele & Tingley (2010). CIs: percentile bootstrap with ``n_boot`` resamples of
    rows, or of whole clusters when ``cluster`` is given (employees nested in units), seeded.
    Missing data: rows missing any variable are dropped (``n_dropped``).
    """
    where = "mediation"
    cols = [treatment, mediator, outcome, *controls] + ([cluster] if cluster else [])
    _require_columns(data, cols, where)
    sub, dropped = _complete(data, cols)
    t = _numeric(sub, treatment, where).to_numpy()
    m = _numeric(sub, mediator, where).to_numpy()
    y = _numeric(sub, outcome, where).to_numpy()
    C = np.column_stack([_numeric(sub, c, where).to_numpy() for c in controls]) if controls else np.empty((len(t), 0))
    one = np.ones(len(t))

    def est(ix: np.ndarray) -> tuple[float, float, float]:
        Xa = np.column_stack([one[ix], t[ix], C[ix]])
        Xb = np.column_stack([one[ix], t[ix], m[ix], C[ix]])
        a = _ols_beta(Xa, m[ix])[1]
        bb = _ols_beta(Xb, y[ix])
        return a, bb[2], bb[1]

    allix = np.arange(len(t))
    a, b, cp = est(allix)
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, 3))
    if cluster:
        codes, G = _cluster_codes(sub[cluster].to_numpy())
        members = [np.where(codes == g)[0] for g in range(G)]
        for i in range(n_boot):
            pick = rng.integers(0, G, G)
            draws[i] = est(np.concatenate([members[g] for g in pick]))
        boot = f"cluster bootstrap ({G} clusters of {cluster!r})"
    else:
        for i in range(n_boot):
            draws[i] = est(rng.integers(0, len(t), len(t)))
        boot = "row bootstrap"
    ind = draws[:, 0] * draws[:, 1]
    eff = {"a": (a, draws[:, 0]), "b": (b, draws[:, 1]), "indirect": (a * b, ind),
           "direct": (cp, draws[:, 2]), "total": (cp + a * b, draws[:, 2] + ind)}
    lo, hi = 100 * alpha / 2, 100 * (1 - alpha / 2)
    table = pd.DataFrame({"estimate": [v[0] for v in eff.values()],
                          "boot_se": [float(np.std(v[1], ddof=1)) for v in eff.values()],
                          "ci_low": [float(np.percentile(v[1], lo)) for v in eff.values()],
                          "ci_high": [float(np.percentile(v[1], hi)) for v in eff.values()]},
                         index=pd.Index(list(eff), name="effect"))
    total = cp + a * b
    return Mediation(a=float(a), b=float(b), indirect=float(a * b), direct=float(cp), total=float(total),
                     prop_mediated=float(a * b / total) if total != 0 else float("nan"), table=table,
                     n=len(t), n_dropped=dropped, n_boot=n_boot, boot=boot)


# --------------------------------------------------------------------------------------------
# 8. design and power
# --------------------------------------------------------------------------------------------

def mde(n_clusters: int, cluster_size: float, icc: float, alpha: float = 0.05, power: float = 0.8,
        r2: float = 0.0, p_treated: float = 0.5) -> float:
    """Minimum detectable effect (in SD units) of a two-arm cluster-randomised design.

    MDE = M_{J-2} sqrt( icc (1 - r2) / (P(1-P) J) + (1 - icc)(1 - r2) / (P(1-P) J n) ),
    M_{J-2} = t_{1-alpha/2, J-2} + t_{power, J-2} (Bloom 2005, eq. 5; Bloom, Richburg-Hayes &
    Black 2007), J clusters of n people, a fraction P of clusters treated, r2 the share of outcome
    variance explained by covariates (applied at both levels).
    """
    if n_clusters < 3:
        raise DataError(f"mde: need at least 3 clusters, got {n_clusters}.")
    if not 0 <= icc < 1:
        raise DataError(f"mde: icc must be in [0, 1), got {icc}.")
    df = n_clusters - 2
    m = stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)
    pp = p_treated * (1 - p_treated) * n_clusters
    return float(m * math.sqrt(icc * (1 - r2) / pp + (1 - icc) * (1 - r2) / (pp * cluster_size)))


def clusters_needed(effect: float, cluster_size: float, icc: float, alpha: float = 0.05,
                    power: float = 0.8, r2: float = 0.0, p_treated: float = 0.5, max_clusters: int = 100000) -> int:
    """Smallest number of clusters J with :func:`mde` <= ``effect`` (SD units)."""
    if effect <= 0:
        raise DataError(f"clusters_needed: effect must be positive, got {effect}.")
    lo, hi = 3, 3
    while mde(hi, cluster_size, icc, alpha, power, r2, p_treated) > effect:
        lo, hi = hi, hi * 2
        if hi > max_clusters:
            raise DataError(f"clusters_needed: more than {max_clusters} clusters would be needed "
                            f"(icc {icc} sets a floor on the MDE); enlarge the effect or add covariates.")
    while lo < hi:
        mid = (lo + hi) // 2
        if mde(mid, cluster_size, icc, alpha, power, r2, p_treated) <= effect:
            hi = mid
        else:
            lo = mid + 1
    return int(lo)


def icc(data: pd.DataFrame, outcome: str, groups: str) -> float:
    """ICC(1) from a one-way ANOVA: (MSB - MSW) / (MSB + (n0 - 1) MSW).

    n0 = (N - sum n_g^2 / N) / (G - 1) is the effective group size for unequal groups
    (Snijders & Bosker 2012, eq. 3.12; Shrout & Fleiss 1979 ICC(1)). Can be negative in small
    samples; reported as computed. Missing data: rows missing outcome or group are dropped.
    """
    where = "icc"
    _require_columns(data, [outcome, groups], where)
    sub, _ = _complete(data, [outcome, groups])
    y = _numeric(sub, outcome, where)
    g = sub[groups]
    N = len(y)
    sizes = y.groupby(g, observed=True).size()
    G = len(sizes)
    if G < 2 or N <= G:
        raise DataError(f"{where}: need at least 2 groups and more rows than groups; have {G} groups, {N} rows.")
    means = y.groupby(g, observed=True).transform("mean")
    msw = float(((y - means) ** 2).sum() / (N - G))
    msb = float(((means - y.mean()) ** 2).sum() / (G - 1))
    n0 = (N - float((sizes ** 2).sum()) / N) / (G - 1)
    return (msb - msw) / (msb + (n0 - 1) * msw)


# --------------------------------------------------------------------------------------------
# data preparation for panels
# --------------------------------------------------------------------------------------------

def unit_wave_means(data: pd.DataFrame, outcome: str, unit: str = "unit_id", time: str = "wave",
                    keep: Sequence[str] = ("first_treated",)) -> pd.DataFrame:
    """One row per unit and period: the mean of ``outcome`` over answered rows and their count ``n``.

    ``keep`` columns must be constant within a unit and period (e.g. ``first_treated``); their first
    value is kept. Rows with a missing outcome are left out of the mean; unit-periods with no answer
    are dropped. This is the panel :func:`staggered` expects.
    """
    where = "unit_wave_means"
    keep = [k for k in keep if k in data.columns]
    _require_columns(data, [outcome, unit, time], where)
    d = data[[unit, time, outcome, *keep]].copy()
    d[outcome] = _numeric(d, outcome, where)
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
    never treated). Raises when the program does not occur in the records.
    """
    _require_columns(records, [unit, time, program_col], "adoption_waves")
    r = records[records[program_col] == program]
    if r.empty:
        progs = sorted(map(str, records[program_col].dropna().unique()))
        raise DataError(f"adoption_waves: program {program!r} does not occur in column {program_col!r}; "
                        f"programs present: {progs}.")
    return pd.to_numeric(r[time]).groupby(r[unit]).min().rename("first_treated")


