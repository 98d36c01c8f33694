"""Helpers shared by the impact estimators: column coercion, listwise deletion, effect-size
intervals, cluster bookkeeping and the few-cluster warning."""
from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._checks import check_confidence
from ..errors import DataError, ParameterError

#: Below this many clusters cluster-robust inference is unreliable (Cameron & Miller 2015, sec. VI);
#: results then carry a warning suggesting CR2 or the wild cluster bootstrap.
FEW_CLUSTERS = 30


def confidence_level(func: str, confidence: float, alpha: float | None) -> float:
    """The confidence level, honouring the old significance argument ``alpha`` (= 1 - confidence).

    ``alpha`` is kept for one release with a ``DeprecationWarning``; giving both with values that
    disagree is a ``ParameterError``.
    """
    if alpha is not None:
        warnings.warn(f"{func}(): argument 'alpha' (a significance level) is replaced by 'confidence' "
                      f"= 1 - alpha; 'alpha' will be removed in the next release",
                      DeprecationWarning, stacklevel=3)
        converted = 1.0 - float(alpha)
        if confidence != 0.95 and not math.isclose(confidence, converted):
            raise ParameterError(f"{func}(): give 'confidence' only (the old 'alpha' was given too, "
                                 f"with another value)")
        confidence = converted
    return check_confidence(confidence)


def two_sided(confidence: float) -> float:
    """The upper quantile probability of a two-sided interval: (1 + confidence) / 2."""
    return 1.0 - (1.0 - confidence) / 2


def numeric(data: pd.DataFrame, column: str, where: str) -> pd.Series:
    """``data[column]`` as float, or a ``DataError`` naming the first row that is not a number."""
    s = data[column]
    try:
        return pd.to_numeric(s, errors="raise").astype(float)
    except (ValueError, TypeError):
        bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
        row = bad.index[0]
        raise DataError(
            f"{where}: column {column!r} must be numeric; row {row} holds {bad.iloc[0]!r}. "
            f"Fix: recode it to numbers (or score the items first).") from None


def binary(data: pd.DataFrame, column: str, where: str) -> pd.Series:
    """``data[column]`` as float 0/1, or a ``DataError`` naming the first other value."""
    s = numeric(data, column, where)
    bad = s.notna() & ~s.isin([0.0, 1.0])
    if bad.any():
        row = s.index[bad.to_numpy()][0]
        raise DataError(
            f"{where}: column {column!r} must be 0/1; row {row} holds {s[row]!r}. "
            f"Fix: code the group as 1 = treated/post, 0 = not.")
    return s


def complete(data: pd.DataFrame, columns: Sequence[str | None]) -> tuple[pd.DataFrame, int]:
    """Rows with every one of ``columns`` present (listwise deletion) and how many were dropped."""
    cols = list(dict.fromkeys(c for c in columns if c is not None))
    keep = data[cols].notna().all(axis=1)
    return data.loc[keep], int((~keep).sum())


def formula_columns(formula: str, data: pd.DataFrame) -> list[str]:
    """Data columns a formula mentions (also inside C(...), np.log(...), I(...))."""
    import patsy

    patsy.ModelDesc.from_formula(formula)  # raises on a malformed formula
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", formula)
    return [n for n in dict.fromkeys(names) if n in data.columns]


def nct_ci(t: float, df: float, confidence: float) -> tuple[float, float]:
    """Confidence limits for the noncentrality parameter of a noncentral t (Steiger & Fouladi 1997).

    Finds ncp_L with P(T <= t | ncp_L) = (1 + confidence)/2 and ncp_U with
    P(T <= t | ncp_U) = (1 - confidence)/2.
    """
    def f(ncp: float, p: float) -> float:
        c = stats.nct.cdf(t, df, ncp)
        if not np.isfinite(c):  # far tails: scipy may return NaN where the cdf is 0 or 1
            c = 0.0 if ncp > t else 1.0
        return c - p

    upper = two_sided(confidence)
    out = []
    for p in (upper, 1.0 - upper):
        lo, hi = t - 1.0, t + 1.0
        while f(lo, p) < 0:
            lo -= 1.0
        while f(hi, p) > 0:
            hi += 1.0
        out.append(optimize.brentq(f, lo, hi, args=(p,), xtol=1e-12, rtol=1e-12, maxiter=500))
    return out[0], out[1]


def hedges_j(df: float) -> float:
    """Exact small-sample correction J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)) (Hedges 1981)."""
    return float(np.exp(math.lgamma(df / 2) - math.lgamma((df - 1) / 2)) / math.sqrt(df / 2))


def few_cluster_warnings(n_clusters: int | None, inference: str) -> tuple[str, ...]:
    """The warning a result with few clusters carries (none with enough clusters or none at all)."""
    if n_clusters is None or n_clusters >= FEW_CLUSTERS:
        return ()
    if inference.startswith(("cr2", "wild")):
        return (f"Only {n_clusters} clusters: inference uses {inference}, which is designed for few "
                f"clusters; still read p-values near the threshold with care.",)
    return (f"Only {n_clusters} clusters (fewer than {FEW_CLUSTERS}): {inference} standard errors can be "
            f"too small. Check with se='cr2' (Bell-McCaffrey) or se='wild' (wild cluster bootstrap).",)


def cluster_codes(cl: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 of the cluster labels (sorted) and G."""
    codes, uniq = pd.factorize(pd.Series(cl), sort=True)
    return np.asarray(codes), len(uniq)


def group_sum(values: np.ndarray, codes: np.ndarray, G: int) -> np.ndarray:
    """Column sums of ``values`` (n x k or n) within groups 0..G-1 (bincount: much faster than np.add.at)."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=G)
    return np.column_stack([np.bincount(codes, weights=values[:, j], minlength=G)
                            for j in range(values.shape[1])]) if values.shape[1] else np.zeros((G, 0))
