"""Before/after and two-group comparisons: paired t and Wilcoxon with effect sizes, Welch's t,
ANCOVA."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import check_choice, require_columns
from ..errors import DataError
from ..results import Result
from ._common import binary, complete, confidence_level, hedges_j, nct_ci, numeric, two_sided
from ._formula import controls_matrix, observation_weights

__all__ = ["PrePostResult", "prepost", "WelchResult", "welch", "AncovaResult", "ancova"]

_HC_TYPES = ("HC0", "HC1", "HC2", "HC3")


@dataclasses.dataclass(frozen=True)
class PrePostResult(Result):
    """Paired before/after comparison. See :func:`prepost`."""

    main = "table"

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
    confidence: float
    table: pd.DataFrame


def _wilcoxon_signed_rank(d: np.ndarray) -> tuple[float, float, str]:
    """V, p and method of R's ``wilcox.test(after, before, paired=TRUE)`` on the differences ``d``.

    Zeros are dropped and ties get average ranks; exact p when fewer than 50 nonzero differences,
    none tied and none zero, else the normal approximation with continuity correction.
    """
    dz = d[d != 0]
    ranks = stats.rankdata(np.abs(dz))
    v = float(ranks[dz > 0].sum())
    nz = len(dz)
    if nz == 0:
        return v, 1.0, "none (all differences are zero)"
    ties = len(np.unique(np.abs(dz))) < nz
    if nz < 50 and not ties and nz == len(d):
        return v, float(stats.wilcoxon(dz, method="exact").pvalue), "exact"
    mu = nz * (nz + 1) / 4
    _, counts = np.unique(np.abs(dz), return_counts=True)
    var = nz * (nz + 1) * (2 * nz + 1) / 24 - (counts ** 3 - counts).sum() / 48
    z = v - mu
    z = (z - math.copysign(0.5, z)) / math.sqrt(var) if z != 0 else 0.0
    return v, float(min(1.0, 2 * stats.norm.sf(abs(z)))), "normal approximation with continuity correction"


def prepost(data: pd.DataFrame, before: str, after: str, *, confidence: float = 0.95,
            alpha: float | None = None) -> PrePostResult:
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

    ``confidence`` is the level of every interval (``alpha``, the old significance level, still
    works for one release: confidence = 1 - alpha).

    Missing data: pairs with either value missing are dropped (``n_dropped``).
    Reference: Lakens (2013), Front. Psychol. 4:863.

    Examples
    --------
    >>> from survey import datasets, impact
    >>> scores = datasets.load("impact_prepost")
    >>> r = impact.prepost(scores, "pre", "post")
    >>> r.n, round(r.mean_diff, 2), round(r.d_z, 2)
    (60, 4.3, 0.64)
    >>> r.to_frame().round(2)
               estimate  ci_low  ci_high
    statistic
    mean_diff      4.30    2.56     6.04
    d_z            0.64    0.36     0.92
    d_av           0.46    0.26     0.65
    g_av           0.45    0.25     0.65
    """
    where = "prepost"
    confidence = confidence_level(where, confidence, alpha)
    require_columns(data, [before, after], where)
    b = numeric(data, before, where)
    a = numeric(data, after, where)
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
    q = stats.t.ppf(two_sided(confidence), df)
    v, wp, method = _wilcoxon_signed_rank(d)
    ncp_lo, ncp_hi = nct_ci(t, df, confidence)
    d_z = mean_d / sd_d
    sd_b, sd_a = float(np.std(b, ddof=1)), float(np.std(a, ddof=1))
    sd_av = (sd_b + sd_a) / 2
    scale = sd_d / sd_av
    d_av = mean_d / sd_av
    j = hedges_j(df)
    dz_lo, dz_hi = ncp_lo / math.sqrt(n), ncp_hi / math.sqrt(n)
    table = pd.DataFrame(
        {"estimate": [mean_d, d_z, d_av, j * d_av],
         "ci_low": [mean_d - q * se, dz_lo, dz_lo * scale, j * dz_lo * scale],
         "ci_high": [mean_d + q * se, dz_hi, dz_hi * scale, j * dz_hi * scale]},
        index=pd.Index(["mean_diff", "d_z", "d_av", "g_av"], name="statistic"))
    return PrePostResult(
        n=n, n_dropped=int((~keep).sum()), mean_before=float(b.mean()), mean_after=float(a.mean()),
        sd_before=sd_b, sd_after=sd_a, mean_diff=mean_d, sd_diff=sd_d, t=float(t), df=float(df),
        pvalue=float(p), ci_low=mean_d - q * se, ci_high=mean_d + q * se, wilcoxon_v=v,
        wilcoxon_p=wp, wilcoxon_method=method, d_z=d_z, d_z_ci_low=dz_lo, d_z_ci_high=dz_hi,
        d_av=d_av, d_av_ci_low=dz_lo * scale, d_av_ci_high=dz_hi * scale, g_av=j * d_av,
        g_av_ci_low=j * dz_lo * scale, g_av_ci_high=j * dz_hi * scale, confidence=confidence, table=table)


@dataclasses.dataclass(frozen=True)
class WelchResult(Result):
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
    confidence: float


def welch(data: pd.DataFrame, outcome: str, treated: str, *, confidence: float = 0.95,
          alpha: float | None = None) -> WelchResult:
    """Welch's t-test of ``outcome`` between ``treated`` = 1 and 0, with Cohen's d and Hedges' g.

    t = (m1 - m0) / sqrt(s1^2/n1 + s0^2/n0), Welch-Satterthwaite df. d uses the pooled SD
    sqrt(((n1-1)s1^2 + (n0-1)s0^2)/(n1+n0-2)); g = J(n1+n0-2) d with the exact Hedges correction;
    the CI of g is from the noncentral t of the pooled-variance t (Hedges & Olkin 1985), times J.
    References: Welch (1947), Biometrika 34:28; Hedges (1981), J. Educ. Stat. 6:107.

    Missing data: rows with a missing outcome or group are dropped.

    Examples
    --------
    >>> from survey import datasets, impact
    >>> scores = datasets.load("impact_prepost")
    >>> w = impact.welch(scores, "post", "trained")
    >>> round(w.diff, 2), round(w.df, 1), round(w.g, 2)
    (7.53, 57.3, 0.75)
    """
    where = "welch"
    confidence = confidence_level(where, confidence, alpha)
    require_columns(data, [outcome, treated], where)
    sub, _ = complete(data, [outcome, treated])
    y = numeric(sub, outcome, where).to_numpy()
    z = binary(sub, treated, where).to_numpy()
    y1, y0 = y[z == 1], y[z == 0]
    n1, n0 = len(y1), len(y0)
    if n1 < 2 or n0 < 2:
        raise DataError(f"{where}: need at least 2 rows in each group of {treated!r}; have {n1} and {n0}.")
    v1, v0 = y1.var(ddof=1), y0.var(ddof=1)
    diff = y1.mean() - y0.mean()
    se = math.sqrt(v1 / n1 + v0 / n0)
    df = (v1 / n1 + v0 / n0) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
    t = diff / se
    q = stats.t.ppf(two_sided(confidence), df)
    sp = math.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
    d = diff / sp
    dfp = n1 + n0 - 2
    j = hedges_j(dfp)
    factor = math.sqrt(1 / n1 + 1 / n0)
    lo, hi = nct_ci(d / factor, dfp, confidence)
    return WelchResult(
        n_treated=n1, n_control=n0, mean_treated=float(y1.mean()), mean_control=float(y0.mean()),
        diff=float(diff), t=float(t), df=float(df), pvalue=float(2 * stats.t.sf(abs(t), df)),
        ci_low=float(diff - q * se), ci_high=float(diff + q * se), d=float(d), g=float(j * d),
        g_ci_low=float(j * lo * factor), g_ci_high=float(j * hi * factor), confidence=confidence)


@dataclasses.dataclass(frozen=True)
class AncovaResult(Result):
    """ANCOVA of a post-test on group and baseline. See :func:`ancova`."""

    main = "table"

    effect: float
    se: float
    ci_low: float
    ci_high: float
    pvalue: float
    n: int
    n_dropped: int
    cov_type: str
    confidence: float
    table: pd.DataFrame
    welch: WelchResult
    model: Any = dataclasses.field(repr=False, compare=False)


def ancova(data: pd.DataFrame, outcome: str, treated: str, baseline: str,
           controls: Sequence[str] = (), cov_type: str = "HC3", *, weights: str | None = None,
           confidence: float = 0.95, alpha: float | None = None) -> AncovaResult:
    """ANCOVA: ``outcome ~ 1 + treated + baseline + controls`` by OLS with heteroskedasticity-robust SE.

    The effect is the coefficient of ``treated`` (0/1). ``cov_type`` is a statsmodels HC type:
    ``"HC3"`` (default; R sandwich::vcovHC's default, MacKinnon & White 1985), ``"HC1"``, ``"HC0"``
    or ``"HC2"``; t-based CIs with n - k df. Welch's t-test of the raw outcome with Cohen's d and
    Hedges' g is reported beside it (``.welch``, unweighted). ``weights`` names a column of observation
    weights: weighted least squares as R's ``lm(weights=)``, with the HC covariance sandwich::vcovHC
    gives for it. ``controls`` may be numbers or categories (a Categorical keeps its order and its
    first category is the reference level; text is ordered as R's factor() orders it).

    Missing data: rows missing any of the variables (also the weight) are dropped (``n_dropped``).

    Examples
    --------
    >>> from survey import datasets, impact
    >>> scores = datasets.load("impact_prepost")
    >>> a = impact.ancova(scores, "post", "trained", "pre")
    >>> round(a.effect, 2), round(a.se, 2), a.n
    (7.21, 1.52, 60)
    """
    import statsmodels.api as sm

    where = "ancova"
    confidence = confidence_level(where, confidence, alpha)
    cov = check_choice("cov_type", str(cov_type).upper(), _HC_TYPES)
    cols = [outcome, treated, baseline, *controls] + ([weights] if weights else [])
    require_columns(data, cols, where)
    sub, dropped = complete(data, cols)
    w = observation_weights(sub, weights, where)
    if w is not None and not (w > 0).all():
        # zero weights leave the fit, as they get no residual degree of freedom in lm
        sub, w = sub.loc[w > 0], w[w > 0]
    y = numeric(sub, outcome, where)
    X = pd.DataFrame({"const": 1.0, treated: binary(sub, treated, where),
                      baseline: numeric(sub, baseline, where)}, index=sub.index)
    for name, col in controls_matrix(sub, controls, where).items():
        X[name] = col
    model = sm.OLS(y, X) if w is None else sm.WLS(y, X, weights=w)
    fit = model.fit(cov_type=cov, use_t=True)
    ci = fit.conf_int(1 - confidence)
    table = pd.DataFrame({"coef": fit.params, "se": fit.bse, "t": fit.tvalues, "pvalue": fit.pvalues,
                          "ci_low": ci[0], "ci_high": ci[1]})
    return AncovaResult(
        effect=float(fit.params[treated]), se=float(fit.bse[treated]), ci_low=float(ci.loc[treated, 0]),
        ci_high=float(ci.loc[treated, 1]), pvalue=float(fit.pvalues[treated]), n=int(fit.nobs),
        n_dropped=dropped, cov_type=cov, confidence=confidence, table=table,
        welch=welch(sub, outcome, treated, confidence=confidence), model=fit)
