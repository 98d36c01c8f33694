"""Design and power for cluster designs: minimum detectable effect, clusters needed, ICC."""
from __future__ import annotations

import dataclasses
import math

import numpy as np

import pandas as pd
from scipy import optimize, stats

from .._checks import check_choice, require_columns
from ..errors import DataError, ParameterError
from ..results import Result
from ._common import complete, confidence_level, numeric, two_sided

__all__ = ["mde", "clusters_needed", "PowerResult", "power", "ICCResult", "icc"]


def _check_power(power: float, icc: float, r2: float, p_treated: float, where: str) -> None:
    if not 0 <= icc < 1:
        raise ParameterError(f"{where}: icc must be in [0, 1), got {icc}.")
    if not 0 < power < 1:
        raise ParameterError(f"{where}: power must lie strictly between 0 and 1, got {power}.")
    if not 0 <= r2 < 1:
        raise ParameterError(f"{where}: r2 must be in [0, 1), got {r2}.")
    if not 0 < p_treated < 1:
        raise ParameterError(f"{where}: p_treated must lie strictly between 0 and 1, got {p_treated}.")


METHODS = ("bloom", "exact")


def mde(n_clusters: int, cluster_size: float, icc: float, *, confidence: float = 0.95, power: float = 0.8,
        r2: float = 0.0, p_treated: float = 0.5, method: str = "bloom", alpha: float | None = None) -> float:
    """Minimum detectable effect (in SD units) of a two-arm cluster-randomised design, by Bloom's approximation.

    MDE = M_{J-2} sqrt( icc (1 - r2) / (P(1-P) J) + (1 - icc)(1 - r2) / (P(1-P) J n) ),
    M_{J-2} = t_{(1+confidence)/2, J-2} + t_{power, J-2} (Bloom 2005, eq. 5; Bloom, Richburg-Hayes &
    Black 2007), J clusters of n people, a fraction P of clusters treated, r2 the share of outcome
    variance explained by covariates (applied at both levels). ``confidence`` is one minus the
    two-sided significance level of the test (``alpha`` still works for one release).
    Bloom's multiplier M replaces the noncentral t by a shifted central t, so at the MDE the exact
    power (:func:`power`) is close to, not exactly, ``power``. ``method="exact"`` instead solves
    :func:`power` = ``power`` for the effect (the noncentral t of the cluster-mean t-test).

    Missing data: not applicable (numbers in, a number out).

    Examples
    --------
    >>> from survey import impact
    >>> round(impact.mde(20, 10, 0.1), 3)
    0.578
    >>> round(impact.mde(6, 10, 0.1), 3), round(impact.mde(6, 10, 0.1, method="exact"), 3)
    (1.323, 1.339)
    """
    where = "mde"
    confidence = confidence_level(where, confidence, alpha)
    if n_clusters < 3:
        raise ParameterError(f"{where}: need at least 3 clusters, got {n_clusters}.")
    _check_power(power, icc, r2, p_treated, where)
    check_choice("method", method, METHODS)
    df = n_clusters - 2
    m = stats.t.ppf(two_sided(confidence), df) + stats.t.ppf(power, df)
    pp = p_treated * (1 - p_treated) * n_clusters
    bloom = float(m * math.sqrt(icc * (1 - r2) / pp + (1 - icc) * (1 - r2) / (pp * cluster_size)))
    if method == "bloom":
        return bloom

    def gap(effect: float) -> float:
        return _power_of(effect, cluster_size, icc, n_clusters, confidence, r2, p_treated)[0] - power

    hi = bloom
    while gap(hi) < 0:
        hi *= 2
    return float(optimize.brentq(gap, 1e-12, hi, xtol=1e-14, rtol=1e-12))


def clusters_needed(effect: float, cluster_size: float, icc: float, *, confidence: float = 0.95,
                    power: float = 0.8, r2: float = 0.0, p_treated: float = 0.5, max_clusters: int = 100000,
                    method: str = "bloom", alpha: float | None = None) -> int:
    """Smallest number of clusters J with :func:`mde` <= ``effect`` (SD units).

    Doubling from 3 clusters, then bisection; the formula (Bloom's approximation, or the exact
    noncentral t with ``method="exact"``) and the reference are those of :func:`mde`. A ``ParameterError`` when more than ``max_clusters`` would be needed (the ICC
    sets a floor on the MDE that no number of people per cluster can pass).

    Missing data: not applicable.

    Examples
    --------
    >>> from survey import impact
    >>> impact.clusters_needed(0.3, 20, 0.05)
    37
    """
    where = "clusters_needed"
    confidence = confidence_level(where, confidence, alpha)
    if effect <= 0:
        raise ParameterError(f"{where}: effect must be positive, got {effect}.")

    def too_big(j: int) -> bool:
        return mde(j, cluster_size, icc, confidence=confidence, power=power, r2=r2, p_treated=p_treated,
                   method=method) > effect

    lo, hi = 3, 3
    while too_big(hi):
        lo, hi = hi, hi * 2
        if hi > max_clusters:
            raise ParameterError(f"{where}: more than {max_clusters} clusters would be needed "
                                 f"(icc {icc} sets a floor on the MDE); enlarge the effect or add covariates.")
    while lo < hi:
        mid = (lo + hi) // 2
        if too_big(mid):
            lo = mid + 1
        else:
            hi = mid
    return int(lo)


def _power_of(effect: float, n: float, icc: float, clusters: int, confidence: float, r2: float,
              p_treated: float) -> tuple[float, float, float]:
    """Power, df and noncentrality of the two-sided t-test of cluster means (see :func:`power`)."""
    df = float(clusters - 2)
    var = (icc + (1 - icc) / n) * (1 - r2) / (p_treated * (1 - p_treated) * clusters)
    ncp = effect / math.sqrt(var)
    tc = stats.t.ppf(two_sided(confidence), df)
    pw = float(stats.nct.sf(tc, df, ncp) + stats.nct.cdf(-tc, df, ncp))
    if not math.isfinite(pw):  # scipy's noncentral t gives NaN far in the tail, where power is 1
        pw = 1.0 if abs(ncp) > tc else 0.0
    return pw, df, ncp


@dataclasses.dataclass(frozen=True)
class PowerResult(Result):
    """Power of a two-arm comparison for a given effect. See :func:`power`.

    ``float(result)`` is the power.
    """

    power: float
    effect: float
    n: float
    clusters: int | None
    icc: float
    df: float
    ncp: float
    confidence: float
    method: str

    def __float__(self) -> float:
        return float(self.power)


def power(effect: float, n: float, icc: float = 0.0, clusters: int | None = None, *, confidence: float = 0.95,
          r2: float = 0.0, p_treated: float = 0.5) -> PowerResult:
    """Power of the two-sided t-test for an effect of ``effect`` SD, from the exact noncentral t.

    Without ``clusters`` (individual randomisation): ``n`` people per group, the two-sample t-test
    with df = 2n - 2 and noncentrality ncp = effect sqrt(n/2), as R's ``pwr.t.test(n, d)``.
    With ``clusters`` = J clusters of ``n`` people, a fraction ``p_treated`` of the clusters treated
    and intraclass correlation ``icc``: the t-test of cluster means (exact for equal cluster sizes
    and normal outcomes), df = J - 2 and ncp = effect / sqrt((icc + (1 - icc)/n)(1 - r2) / (P(1-P) J)),
    as ``pwr.t2n.test(n1 = PJ, n2 = (1-P)J, d = effect / sqrt(icc + (1 - icc)/n))`` for r2 = 0.
    power = P(T' > t_c) + P(T' < -t_c), T' ~ noncentral t(df, ncp), t_c = t_{(1+confidence)/2, df}.
    ``r2`` is the share of outcome variance covariates explain (at both levels; the df are not
    reduced for them). Unlike :func:`mde` and :func:`clusters_needed`, which use Bloom's (2005)
    approximation, nothing is approximated here (``method`` says which test was used).
    Reference: Cohen (1988), Statistical Power Analysis, ch. 2; Raudenbush (1997), Psychol. Methods 2:173.

    Missing data: not applicable (numbers in, a number out).

    Examples
    --------
    >>> from survey import impact
    >>> round(impact.power(0.5, n=20).power, 4)
    0.3379
    >>> r = impact.power(0.4, n=10, icc=0.1, clusters=20)
    >>> round(float(r), 4), r.df
    (0.4929, 18.0)
    """
    where = "power"
    confidence = confidence_level(where, confidence, None)
    _check_power(0.5, icc, r2, p_treated, where)
    if not math.isfinite(effect):
        raise ParameterError(f"{where}: effect must be a finite number of SD units, got {effect}.")
    if clusters is None:
        if n < 2:
            raise ParameterError(f"{where}: need at least 2 people per group, got n={n}.")
        if p_treated != 0.5:
            raise ParameterError(f"{where}: without clusters n is the size of each of two equal groups; "
                                 f"p_treated applies to clusters only.")
        if icc != 0:
            raise ParameterError(f"{where}: icc={icc} needs clusters= (the number of clusters).")
        df = 2.0 * n - 2
        ncp = effect * math.sqrt(n / 2) / math.sqrt(1 - r2)
        method = "exact noncentral t, two-sample t-test with 2n - 2 df (pwr.t.test)"
    else:
        if clusters < 3 or n < 1:
            raise ParameterError(f"{where}: need at least 3 clusters of at least 1 person, got "
                                 f"clusters={clusters}, n={n}.")
        pw, df, ncp = _power_of(effect, n, icc, clusters, confidence, r2, p_treated)
        method = "exact noncentral t, t-test of cluster means with J - 2 df"
    if clusters is None:
        tc = stats.t.ppf(two_sided(confidence), df)
        pw = float(stats.nct.sf(tc, df, ncp) + stats.nct.cdf(-tc, df, ncp))
    return PowerResult(power=float(np.clip(pw, 0.0, 1.0)), effect=float(effect), n=float(n), clusters=clusters,
                       icc=float(icc), df=df, ncp=float(ncp), confidence=confidence, method=method)


@dataclasses.dataclass(frozen=True)
class ICCResult(Result):
    """ICC(1) from a one-way ANOVA, with the pieces it is made of. See :func:`icc`.

    ``float(result)`` is the ICC, for code that used the bare number.
    """

    icc: float
    n: int
    n_groups: int
    n_dropped: int
    n0: float
    msb: float
    msw: float

    def __float__(self) -> float:
        return float(self.icc)


def icc(data: pd.DataFrame, outcome: str, groups: str) -> ICCResult:
    """ICC(1) from a one-way ANOVA: (MSB - MSW) / (MSB + (n0 - 1) MSW).

    n0 = (N - sum n_g^2 / N) / (G - 1) is the effective group size for unequal groups
    (Snijders & Bosker 2012, eq. 3.12; Shrout & Fleiss 1979 ICC(1)); MSB and MSW are the between-
    and within-group mean squares. Can be negative in small samples; reported as computed.

    Missing data: rows missing outcome or group are dropped (``n_dropped``).

    Examples
    --------
    >>> from survey import datasets, impact
    >>> panel = datasets.load("impact_panel")
    >>> r = impact.icc(panel[panel["wave"] == 1], "y", "unit")
    >>> round(r.icc, 2), r.n_groups, r.n0
    (0.17, 12, 5.0)
    """
    where = "icc"
    require_columns(data, [outcome, groups], where)
    sub, dropped = complete(data, [outcome, groups])
    y = numeric(sub, outcome, where)
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
    return ICCResult(icc=(msb - msw) / (msb + (n0 - 1) * msw), n=N, n_groups=G, n_dropped=dropped,
                     n0=n0, msb=msb, msw=msw)
