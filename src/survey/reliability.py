"""Scale reliability: Cronbach's alpha with confidence intervals and item analysis.

Everything here follows R's ``psych`` package (Revelle) so that a reviewer can re-run the analysis
in R and find the same numbers: names (``raw_alpha``, ``std_alpha``, ``r_drop`` ...), the handling
of reverse-keyed items (sign-flipped covariances), pairwise-complete covariances by default, and
the Feldt and Duhachek confidence intervals. Tests hold each number to ``psych`` 2.2.9.

Functions take a DataFrame whose columns are items (answers as numbers; NA for missing) and return
a frozen :class:`~survey.results.Result`.
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .errors import DataError
from .results import Result

__all__ = [
    "cfa", "parse_model", "fit_meets_cutoffs", "Alpha", "alpha", "alpha_for", "alpha_band", "flag_items", "kmo_band", "kmo", "bartlett", "efa",
    "parallel_analysis", "omega", "omega_total", "split_half", "polychoric", "pairwise_cov", "pairwise_cor",
]

# psych prints the Duhachek interval as alpha +/- 1.96 * ase; we use the same constant so that
# the interval agrees to the last digit.
_Z95 = 1.96


# -- helpers ------------------------------------------------------------------------------------

def _as_matrix(data: pd.DataFrame, what: str, min_items: int = 2, min_rows: int = 3) -> tuple[np.ndarray, list[str]]:
    """Item columns as a float matrix with NaN for missing; checks the shape and the types."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what}: expected a pandas DataFrame of item columns, got {type(data).__name__}")
    cols = [str(c) for c in data.columns]
    bad = [c for c, dt in zip(cols, data.dtypes) if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt))]
    if bad:
        raise DataError(
            f"{what}: column(s) {', '.join(bad)} are not numeric; pass only the item columns "
            "(e.g. df[instrument_items]) with answers as numbers")
    if len(cols) < min_items:
        raise DataError(f"{what}: needs at least {min_items} items, got {len(cols)} ({', '.join(cols) or 'none'})")
    if data.shape[0] < min_rows:
        raise DataError(f"{what}: needs at least {min_rows} rows (respondents), got {data.shape[0]}")
    if all(isinstance(dt, np.dtype) and dt.kind in "fiub" for dt in data.dtypes):
        x = data.to_numpy(dtype=float)  # plain numpy columns: one copy, no per-column work
    else:
        x = np.empty(data.shape)
        for j in range(data.shape[1]):  # nullable (Int64, Float64, boolean) columns: NA becomes NaN
            x[:, j] = data.iloc[:, j].to_numpy(dtype=float, na_value=np.nan)
    return x, cols


def _check_variance(x: np.ndarray, cols: list[str], what: str) -> None:
    nan = np.isnan(x)
    if nan.any():
        counts = np.sum(~nan, axis=0)
        empty = [c for c, k in zip(cols, counts) if k < 2]
        if empty:
            raise DataError(f"{what}: item(s) {', '.join(empty)} have fewer than 2 answers; drop them from the analysis")
        sd = np.nanstd(x, axis=0)
    else:
        sd = x.std(axis=0)
    const = [c for c, s in zip(cols, sd) if not s > 0]
    if const:
        raise DataError(
            f"{what}: item(s) {', '.join(const)} have the same answer in every row (no variance), so they "
            "cannot correlate with anything; drop them from the analysis")


def pairwise_cov(x: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Covariance matrix from pairwise-complete observations, as R's ``cov(use="pairwise")``.

    For each pair (j, k) only rows where both are present count; the means are those of that
    subset. ``weights`` are integer frequency weights (a bootstrap resample as counts).
    """
    nan = np.isnan(x)
    if weights is None and not nan.any():
        xc = x - x.mean(axis=0)
        return (xc.T @ xc) / (x.shape[0] - 1)
    m = (~nan).astype(float)
    # centring first keeps the sums small, so the one-pass formula below stays accurate
    x0 = np.where(m > 0, x - np.nanmean(x, axis=0), 0.0)
    if weights is None:
        mw, x0w = m, x0
    else:
        mw, x0w = m * weights[:, None], x0 * weights[:, None]
    n = mw.T @ m
    sx = x0w.T @ m  # sx[j, k] = sum of x_j over rows where x_k is present
    sxx = x0w.T @ x0
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (sxx - sx * sx.T / n) / (n - 1)
    c[n < 2] = np.nan
    return c


def pairwise_cor(x: np.ndarray) -> np.ndarray:
    """Pearson correlations from pairwise-complete observations, as R's ``cor(use="pairwise")``:
    for each pair, means and SDs are those of the rows answering both (this differs from
    ``cov2cor`` of the pairwise covariance matrix, which ``psych::alpha`` uses)."""
    m = (~np.isnan(x)).astype(float)
    x0 = np.where(m > 0, x - np.nanmean(x, axis=0), 0.0)
    n = m.T @ m
    sx = x0.T @ m  # sum of x_j where x_k present
    sxx = (x0**2).T @ m  # sum of x_j^2 where x_k present
    sxy = x0.T @ x0
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / n
        vj = sxx - sx**2 / n
        r = cov / np.sqrt(vj * vj.T)
    r[n < 2] = np.nan
    np.fill_diagonal(r, 1.0)
    return r


def _complete_cov(x: np.ndarray) -> np.ndarray:
    keep = ~np.isnan(x).any(axis=1)
    return np.cov(x[keep], rowvar=False)


def _cov2cor(c: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)`` as ``psych::smc`` (pseudo-inverse,
    results clipped to [0, 1])."""
    inv = np.linalg.pinv(r, rcond=np.sqrt(np.finfo(float).eps), hermitian=True)
    return np.clip(1 - 1 / np.diag(inv), 0.0, 1.0)


def _alpha1(c: np.ndarray, r: np.ndarray, smc_r: np.ndarray | None = None) -> dict[str, float]:
    """psych's internal ``alpha.1``: the scale statistics from one covariance and correlation."""
    n = c.shape[0]
    sum_c, tr_c = c.sum(), np.trace(c)
    sum_r = r.sum()
    raw = (1 - tr_c / sum_c) * n / (n - 1)
    std = (1 - n / sum_r) * n / (n - 1)
    g6 = 1 - (n - (smc(r) if smc_r is None else smc_r).sum()) / sum_r
    av_r = (sum_r - n) / (n * (n - 1))
    low = r[np.tril_indices(n, -1)]
    var_r = float(np.var(low, ddof=1)) if low.size > 1 else np.nan
    med_r = float(np.median(low))
    sn = n * av_r / (1 - av_r)
    cc = c @ c
    q = (2 * n**2 / ((n - 1) ** 2 * sum_c**3)) * (sum_c * (np.trace(cc) + tr_c**2) - 2 * tr_c * cc.sum())
    return dict(raw_alpha=raw, std_alpha=std, g6=g6, average_r=av_r, s_n=sn, q=q, var_r=var_r, median_r=med_r)


def _smc_drop(r: np.ndarray) -> list[np.ndarray] | None:
    """SMCs of R without item i, for every i, from one inverse of R (the inverse of a matrix
    with one row and column removed is a rank-one downdate of the full inverse). None when R is
    too ill-conditioned for that shortcut (then psych's pseudo-inverse is used per item)."""
    if np.linalg.cond(r) > 1e8:
        return None
    inv = np.linalg.inv(r)
    out = []
    p = r.shape[0]
    for i in range(p):
        keep = np.arange(p) != i
        b = inv[keep, i]
        d = np.diag(inv)[keep] - b**2 / inv[i, i]
        out.append(np.clip(1 - 1 / d, 0.0, 1.0))
    return out


def _first_pc_signs(r: np.ndarray) -> np.ndarray:
    """Signs of the loadings on the first principal component, oriented so that most load
    positively (as ``psych::principal``)."""
    vals, vecs = np.linalg.eigh(r)
    v = vecs[:, -1]
    if v.sum() < 0:
        v = -v
    return np.sign(v)


def feldt_ci(raw_alpha: float, n_obs: int, n_items: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) interval, as ``psych::alpha.ci``: ``1 - (1 - alpha) * F`` with F quantiles on
    ``n_obs - 1`` and ``(n_obs - 1)(n_items - 1)`` degrees of freedom."""
    p = 1 - level
    df1 = n_obs - 1
    df2 = df1 * (n_items - 1)
    low = 1 - (1 - raw_alpha) * stats.f.ppf(1 - p / 2, df1, df2)
    high = 1 - (1 - raw_alpha) * stats.f.ppf(p / 2, df1, df2)
    return float(low), float(high)


# -- alpha ----------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Alpha(Result):
    """Cronbach's alpha and item analysis (see :func:`alpha`)."""

    summary: pd.Series
    items: pd.DataFrame
    keys: tuple[str, ...] = ()
    boot: np.ndarray | None = dataclasses.field(default=None, repr=False)

    @property
    def raw_alpha(self) -> float:
        return float(self.summary["raw_alpha"])

    def to_dict(self) -> dict:
        d = super().to_dict()
        d.pop("boot", None)
        return d


def _bootstrap_alphas(x: np.ndarray, n_boot: int, seed: int | None, use: str) -> np.ndarray:
    """raw_alpha of ``n_boot`` resamples of all rows (drawn with replacement, ``seed``ed).

    Each resample is held as frequency weights, so no resampled copy of the data is built.
    Without missing values ``raw_alpha`` needs only the item variances and the variance of the
    row sum, which for a block of resamples is one matrix product with the weights. With missing
    values each resample gets its own pairwise covariance matrix (slower). With
    ``use="complete"`` the resample's incomplete rows are dropped, as in the point estimate.
    """
    rng = np.random.default_rng(seed)
    nrow, p = x.shape
    out = np.empty(n_boot)
    rows = np.arange(nrow)
    if use == "complete":
        rows = np.flatnonzero(~np.isnan(x).any(axis=1))
    xs = x[rows]
    fast = not np.isnan(xs).any()
    if fast:
        # per resample we need the item sums (p columns), the sum of each row's squared answers
        # (sum of item variances) and the row total and its square (variance of the total)
        xc = xs - xs.mean(axis=0)
        s = xc.sum(axis=1)
        stacked = np.column_stack([xc, (xc**2).sum(axis=1), s, s**2])
    else:
        present = ~np.isnan(xs)
        z = np.column_stack([present.astype(float), np.where(present, xs - np.nanmean(xs, axis=0), 0.0)])
    # blocks keep the weight matrix near 32 MB whatever the data size
    block = max(1, min(n_boot, 4_000_000 // max(nrow, 1)))
    done = 0
    while done < n_boot:
        b = min(block, n_boot - done)
        idx = rng.integers(0, nrow, size=(b, nrow))
        flat = (idx + (np.arange(b) * nrow)[:, None]).ravel()
        w = np.bincount(flat, minlength=b * nrow).reshape(b, nrow)[:, rows].astype(float)
        if fast:
            sums = w @ stacked
            nb = w.sum(axis=1)
            sum_item_var = (sums[:, p] - (sums[:, :p] ** 2).sum(axis=1) / nb) / (nb - 1)
            tot_var = (sums[:, p + 2] - sums[:, p + 1] ** 2 / nb) / (nb - 1)
            out[done:done + b] = (1 - sum_item_var / tot_var) * p / (p - 1)
        else:
            for i in range(b):
                # one product gives the pair counts, the pair sums and the cross products
                wz = z * w[i][:, None]
                gram = wz.T @ z
                nn, sx, sxx = gram[:p, :p], gram[p:, :p], gram[p:, p:]
                with np.errstate(invalid="ignore", divide="ignore"):
                    c = (sxx - sx * sx.T / nn) / (nn - 1)
                out[done + i] = (1 - np.trace(c) / c.sum()) * p / (p - 1)
        done += b
    return out


def alpha(
    data: pd.DataFrame,
    keys: Sequence[str] | None = None,
    ci: Literal["feldt", "duhachek", "bootstrap"] = "feldt",
    n_boot: int = 1000,
    seed: int | None = None,
    use: Literal["pairwise", "complete"] = "pairwise",
    level: float = 0.95,
    scale_range: tuple[float, float] | None = None,
    cor: Literal["pearson", "polychoric"] = "pearson",
) -> Alpha:
    """Cronbach's alpha, Guttman's lambda 6 and item statistics, as ``psych::alpha``.

    Parameters
    ----------
    data : DataFrame
        One column per item, answers as numbers (nullable integers are fine), NA for missing.
    keys : list of str, optional
        Reverse-keyed items. Their covariances are sign-flipped (``C = K C K`` with
        ``K = diag(+-1)``), which is the same as reverse-scoring them. For the total score and the
        item means they are reversed as ``(min + max) - x``, with min and max over all answers
        (``psych``) unless ``scale_range`` gives the scale's ends.
    ci : {"feldt", "duhachek", "bootstrap"}
        Which interval goes into ``ci_low`` / ``ci_high``:
        Feldt (1965) ``1 - (1 - alpha) F``; Duhachek & Iacobucci (2004) ``alpha +- 1.96 ase``
        (psych's constant 1.96); or the percentile bootstrap over ``n_boot`` resamples of the
        rows drawn with ``seed`` (quantiles as R's type 7).
    use : {"pairwise", "complete"}
        Covariances from pairwise-complete observations (default, as psych) or from rows with
        every item answered.
    level : float
        Confidence level of the interval.
    scale_range : (min, max), optional
        Ends of the answer scale, used to reverse keyed items for the means (see ``keys``).
    cor : {"pearson", "polychoric"}
        ``"polychoric"`` gives ordinal alpha (Zumbo, Gadermann & Zeisser 2007): every scale
        statistic is computed from the polychoric correlation matrix (:func:`polychoric`), as
        ``psych::alpha(polychoric(x)$rho)``, so ``raw_alpha`` equals ``std_alpha``; ``raw_r``,
        ``mean``, ``sd`` and the total score still describe the raw answers. ``ase`` and the
        Feldt interval use n = all rows; the bootstrap is not available with it.

    Two-item scales: ``var_r`` (variance of one correlation) and ``ase_drop`` are undefined and
    NaN, and the "if dropped" columns describe the single remaining item, as psych reports them.

    Returns
    -------
    Alpha
        ``summary`` (Series): ``raw_alpha`` (``k/(k-1) (1 - tr C / sum C)``), ``std_alpha``
        (from the correlations), ``g6`` (Guttman's lambda 6 from squared multiple
        correlations), ``average_r``, ``median_r``, ``var_r``, ``s_n`` (signal/noise
        ``k r / (1 - r)``), ``ase`` (Duhachek's asymptotic standard error, with n = all rows),
        ``mean`` and ``sd`` of the total score (the mean of each respondent's answered items),
        ``ci_low``, ``ci_high``, ``ci_method``, ``ci_level``, ``n_obs`` (all rows), ``n_items``.

        ``items`` (DataFrame, one row per item): ``n`` answers, ``missing`` (share of rows
        without an answer, psych's ``miss``), ``raw_r`` (item with total score), ``std_r`` (item
        with standardized total), ``r_cor`` (corrected for overlap and reliability), ``r_drop``
        (corrected item-total correlation: item with the sum of the other items),
        ``mean``, ``sd`` (after reversing keyed items), and alpha if the item is dropped:
        ``raw_alpha_drop``, ``std_alpha_drop``, ``g6_drop``, ``average_r_drop``,
        ``s_n_drop``, ``ase_drop``, ``var_r_drop``, ``median_r_drop``; ``reversed``.

    Missing data
    ------------
    Covariances pairwise (or complete rows, see ``use``); item means and SDs from each item's
    answers; the total score is the mean of the answered items; ``n_obs`` for the Feldt interval
    and ``ase`` counts all rows, as psych does. A column with fewer than 2 answers or no variance,
    fewer than 2 items or fewer than 3 rows raise :class:`~survey.errors.DataError` (psych drops
    constant items with a warning; we ask the user to decide). A pair of items never answered
    together raises as well.

    Warns
    -----
    UserWarning naming the items that load negatively on the first principal component after
    keys are applied: they probably need to be reverse-keyed.

    References
    ----------
    Cronbach (1951) Psychometrika 16, 297-334. Feldt, Woodruff & Salih (1987) Applied
    Psychological Measurement 11, 93-103. Duhachek & Iacobucci (2004) J. Applied Psychology 89,
    792-808. Revelle, psych::alpha.

    Examples
    --------
    >>> res = alpha(df[["REL1", "REL2", "REL3", "REL4"]], keys=["REL4"])
    >>> res.summary["raw_alpha"], res.items["r_drop"]
    """
    what = "alpha"
    x, cols = _as_matrix(data, what)
    any_nan = bool(np.isnan(x.sum()))  # NaN propagates; cheaper than a boolean mask of the data
    if any_nan:
        _check_variance(x, cols, what)
    if use not in ("pairwise", "complete"):
        raise DataError(f"{what}: use must be 'pairwise' or 'complete', got {use!r}")
    if ci not in ("feldt", "duhachek", "bootstrap"):
        raise DataError(f"{what}: ci must be 'feldt', 'duhachek' or 'bootstrap', got {ci!r}")
    if cor not in ("pearson", "polychoric"):
        raise DataError(f"{what}: cor must be 'pearson' or 'polychoric', got {cor!r}")
    if cor == "polychoric" and ci == "bootstrap":
        raise DataError(f"{what}: the bootstrap interval is not available for ordinal (polychoric) alpha; "
                        "use ci='feldt' or ci='duhachek'")
    keys = [str(k) for k in (keys or [])]
    unknown = [k for k in keys if k not in cols]
    if unknown:
        raise DataError(f"{what}: key(s) {', '.join(unknown)} are not among the items ({', '.join(cols)})")
    nsub, nvar = x.shape
    sign = np.array([-1.0 if c in keys else 1.0 for c in cols])

    xc = None  # becomes True on the complete-data path
    if not any_nan:
        # complete data (the common large case): one Gram matrix, no centred copy of the data;
        # centre explicitly only when large means would make the subtraction lose digits
        mu = x.mean(axis=0)
        c = (x.T @ x - nsub * np.outer(mu, mu)) / (nsub - 1)
        if np.any(mu**2 > 1e6 * np.abs(np.diag(c))):
            xc = x - mu
            c = (xc.T @ xc) / (nsub - 1)
        xc = True
        const = [col for col, v in zip(cols, np.diag(c)) if not v > 0]
        if const:
            _check_variance(x[:, [cols.index(k) for k in const]], const, what)
    elif use == "complete":
        n_complete = int((~np.isnan(x).any(axis=1)).sum())
        if n_complete < 3:
            raise DataError(
                f"{what}: only {n_complete} rows answer every item; use='complete' needs at least 3 "
                "(use the default use='pairwise')")
        c = _complete_cov(x)
    else:
        c = pairwise_cov(x)
    if np.isnan(c).any():
        j, k = np.argwhere(np.isnan(c))[0]
        raise DataError(
            f"{what}: items {cols[j]} and {cols[k]} are answered together by fewer than 2 respondents, "
            "so their covariance is unknown; drop one of them or collect more data")
    if cor == "polychoric":
        c = polychoric(data if use == "pairwise" else data.dropna()).to_numpy()
    c = c * np.outer(sign, sign)
    r = _cov2cor(c)

    negative = [col for col, s in zip(cols, _first_pc_signs(r)) if s < 0]
    if negative:
        hint = ("pass them as keys (reverse-keyed items)" if not keys
                else "check the keys; these items still correlate negatively after reversing")
        warnings.warn(
            f"{what}: item(s) {', '.join(negative)} correlate negatively with the total scale; {hint}",
            UserWarning, stacklevel=2)

    # reverse keyed items in the raw answers for the total score and the item means
    if keys:
        lo, hi = scale_range if scale_range is not None else (np.nanmin(x), np.nanmax(x))
    if xc is not None:
        # reversing is affine: the reversed total is (x @ sign) / k plus a constant, and the
        # item-total cross products are sign * (centred total @ x)
        item_mean = np.where(sign < 0, (lo + hi) - mu, mu) if keys else mu
        item_sd = np.sqrt(np.diag(c))
        t = x @ (sign / nvar)
        tc = t - t.mean()
        mean_t = float(item_mean.mean())
        ss_t = float(tc @ tc)
        sd_t = float(np.sqrt(ss_t / (nsub - 1)))
        raw_r = sign * (tc @ x) / np.sqrt(ss_t * np.diag(c) * (nsub - 1))
    else:
        xr = x
        if keys:
            xr = x.copy()
            xr[:, sign < 0] = (lo + hi) - xr[:, sign < 0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row with no answers has no total
            total = np.nanmean(xr, axis=1)
        has_total = ~np.isnan(total)
        mean_t = float(total[has_total].mean())
        sd_t = float(total[has_total].std(ddof=1))
        item_mean = np.nanmean(xr, axis=0)
        item_sd = np.nanstd(xr, axis=0, ddof=1)
        if use == "complete":
            ok = ~np.isnan(xr).any(axis=1) & has_total
            raw_r = np.array([np.corrcoef(total[ok], xr[ok, i])[0, 1] for i in range(nvar)])
        else:
            # item with total over the rows that have both (R's cor(total, x, use = "pairwise")),
            # from sums over those rows: matrix-vector products only
            mt = has_total.astype(float)
            present = ~np.isnan(xr)
            mx = present.astype(float)
            tcen = np.where(has_total, total - mean_t, 0.0)
            xcen = np.where(present, xr - item_mean, 0.0)
            nb = mx.T @ mt
            st, stt = mx.T @ tcen, mx.T @ (tcen**2)
            sx, sxx = xcen.T @ mt, (xcen**2).T @ mt
            stx = xcen.T @ tcen
            raw_r = (stx - st * sx / nb) / np.sqrt((stt - st**2 / nb) * (sxx - sx**2 / nb))

    tot = _alpha1(c, r)
    ase = float(np.sqrt(tot["q"] / nsub))

    # alpha if item dropped
    drop_rows = []
    smc_drop = _smc_drop(r) if nvar > 2 else None
    if nvar > 2:
        for i in range(nvar):
            keep = np.arange(nvar) != i
            d = _alpha1(c[np.ix_(keep, keep)], r[np.ix_(keep, keep)], None if smc_drop is None else smc_drop[i])
            d["ase"] = np.sqrt(d["q"] / nsub) if nsub > nvar else np.nan
            drop_rows.append(d)
    else:
        # two items: what is left is one item; psych reports these quantities
        r12 = r[0, 1]
        for i in range(2):
            raw = c[0, 1] / c[1, 1] if i == 0 else c[0, 1] / c[0, 0]
            drop_rows.append(dict(raw_alpha=raw, std_alpha=r12, g6=smc(r)[0], average_r=r12,
                                  s_n=r12 / (1 - r12), ase=np.nan, var_r=0.0, median_r=r12))

    # item-total correlations
    vt = r.sum()
    std_r = r.sum(axis=0) / np.sqrt(vt)
    rc = r.copy()
    np.fill_diagonal(rc, smc(r))
    r_cor = rc.sum(axis=0) / np.sqrt(rc.sum())
    r_drop = np.empty(nvar)
    for i in range(nvar):
        keep = np.arange(nvar) != i
        v_drop = c[np.ix_(keep, keep)].sum()
        c_drop = c[:, i].sum() - c[i, i]
        r_drop[i] = c_drop / np.sqrt(c[i, i] * v_drop)
    n_valid = (~np.isnan(x)).sum(axis=0) if any_nan else np.full(nvar, nsub)

    items = pd.DataFrame({
        "n": n_valid.astype(int),
        "missing": 1 - n_valid / nsub,
        "raw_r": raw_r, "std_r": std_r, "r_cor": r_cor, "r_drop": r_drop,
        "mean": item_mean, "sd": item_sd,
        "raw_alpha_drop": [d["raw_alpha"] for d in drop_rows],
        "std_alpha_drop": [d["std_alpha"] for d in drop_rows],
        "g6_drop": [d["g6"] for d in drop_rows],
        "average_r_drop": [d["average_r"] for d in drop_rows],
        "s_n_drop": [d["s_n"] for d in drop_rows],
        "ase_drop": [d["ase"] for d in drop_rows],
        "var_r_drop": [d["var_r"] for d in drop_rows],
        "median_r_drop": [d["median_r"] for d in drop_rows],
        "reversed": sign < 0,
    }, index=pd.Index(cols, name="item"))

    boot = None
    if ci == "feldt":
        lo_ci, hi_ci = feldt_ci(tot["raw_alpha"], nsub, nvar, level)
    elif ci == "duhachek":
        z = _Z95 if level == 0.95 else float(stats.norm.ppf(0.5 + level / 2))
        lo_ci, hi_ci = tot["raw_alpha"] - z * ase, tot["raw_alpha"] + z * ase
    else:
        if int(n_boot) < 2:
            raise DataError(f"{what}: n_boot must be at least 2 for a bootstrap interval, got {n_boot}")
        xb = x * np.where(sign < 0, -1.0, 1.0)  # sign flip gives the same covariances as reversing
        boot = _bootstrap_alphas(xb, int(n_boot), seed, use)
        if not np.isfinite(boot).all():
            raise DataError(
                f"{what}: {int((~np.isfinite(boot)).sum())} bootstrap resamples gave no alpha (too few "
                "rows answer some pair of items); use ci='feldt' or collect more data")
        lo_ci, hi_ci = (float(v) for v in np.quantile(boot, [(1 - level) / 2, (1 + level) / 2]))

    summary = pd.Series({
        "raw_alpha": tot["raw_alpha"], "std_alpha": tot["std_alpha"], "g6": tot["g6"],
        "average_r": tot["average_r"], "median_r": tot["median_r"], "var_r": tot["var_r"],
        "s_n": tot["s_n"], "ase": ase, "mean": mean_t, "sd": sd_t,
        "ci_low": float(lo_ci), "ci_high": float(hi_ci), "ci_method": ci, "ci_level": level,
        "n_obs": int(nsub), "n_items": int(nvar),
    }, dtype=object)
    return Alpha(summary=summary, items=items, keys=tuple(keys), boot=boot)


def alpha_for(df: pd.DataFrame, instrument, construct: str, **kwargs) -> Alpha:
    """:func:`alpha` for one construct of an instrument: its items, with the instrument's
    reverse-keyed items as ``keys`` and the scale's ends as ``scale_range``.

    ``df`` is a frame from :func:`survey.read_responses` (answers as given, not reversed).
    Other keyword arguments go to :func:`alpha`.
    """
    from .instrument import load_instrument

    inst = load_instrument(instrument)
    names = [i.name for i in inst.items_of(construct)]
    missing = [n for n in names if n not in df.columns]
    if missing:
        raise DataError(
            f"alpha_for: construct {construct!r} of instrument {inst.id!r} needs column(s) "
            f"{', '.join(missing)}, which the data do not have; read the data with "
            "survey.read_responses(path, instrument)")
    scale = inst.scale_of(names[0]) if names else None
    kwargs.setdefault("scale_range", (scale.min, scale.max) if scale is not None else None)
    return alpha(df[names], keys=inst.reverse_items(construct), **kwargs)


# Rule-of-thumb bands (George & Mallery 2003, p. 231): >= .9 excellent, >= .8 good, >= .7
# acceptable, >= .6 questionable, >= .5 poor, below unacceptable.
_BANDS = ((0.9, "excellent"), (0.8, "good"), (0.7, "acceptable"), (0.6, "questionable"), (0.5, "poor"))


def alpha_band(value: float) -> str:
    """Verbal band of a reliability coefficient after George & Mallery (2003): ``"excellent"``
    (>= .90), ``"good"`` (>= .80), ``"acceptable"`` (>= .70), ``"questionable"`` (>= .60),
    ``"poor"`` (>= .50) or ``"unacceptable"``. A rule of thumb, not a test."""
    if value is None or not np.isfinite(value):
        raise DataError(f"alpha_band: needs a finite coefficient, got {value!r}")
    for cut, name in _BANDS:
        if value >= cut:
            return name
    return "unacceptable"


def kmo_band(value: float) -> str:
    """Kaiser's (1974) words for a KMO value: ``"marvelous"`` (>= .90), ``"meritorious"``
    (>= .80), ``"middling"`` (>= .70), ``"mediocre"`` (>= .60), ``"miserable"`` (>= .50) or
    ``"unacceptable"``."""
    if value is None or not np.isfinite(value):
        raise DataError(f"kmo_band: needs a finite KMO value, got {value!r}")
    for cut, name in ((0.9, "marvelous"), (0.8, "meritorious"), (0.7, "middling"), (0.6, "mediocre"), (0.5, "miserable")):
        if value >= cut:
            return name
    return "unacceptable"


def fit_meets_cutoffs(fit: pd.Series, cfi: float = 0.95, tli: float = 0.95, rmsea: float = 0.06,
                      srmr: float = 0.08) -> dict[str, bool]:
    """Which of Hu & Bentler's (1999) cut-offs a :func:`cfa` fit meets: ``cfi`` and ``tli`` at
    least 0.95, ``rmsea`` at most 0.06, ``srmr`` at most 0.08 (rules of thumb, not tests), plus
    ``all``."""
    if fit.get("df", 1) == 0:
        raise DataError("fit_meets_cutoffs: the model is saturated (df = 0), so its fit cannot be judged")
    out = {"cfi": bool(fit["cfi"] >= cfi), "tli": bool(fit["tli"] >= tli),
           "rmsea": bool(fit["rmsea"] <= rmsea), "srmr": bool(fit["srmr"] <= srmr)}
    out["all"] = all(out.values())
    return out


def flag_items(res: Alpha, min_r_drop: float = 0.30) -> pd.DataFrame:
    """Items worth a second look, from an :func:`alpha` result.

    Columns: ``low_r_drop`` (corrected item-total correlation below ``min_r_drop``, 0.30 by the
    usual rule of thumb, Nunnally & Bernstein 1994), ``alpha_rises`` (raw alpha is higher
    without the item) and ``flagged`` (either). Index as ``res.items``.
    """
    it = res.items
    low = it["r_drop"] < min_r_drop
    rises = it["raw_alpha_drop"] > res.raw_alpha
    return pd.DataFrame({"low_r_drop": low, "alpha_rises": rises, "flagged": low | rises}, index=it.index)


# -- correlation matrices ---------------------------------------------------------------------------

def _cor_from_data(data: pd.DataFrame, what: str, min_items: int = 2,
                   via_cov: bool = False) -> tuple[np.ndarray, list[str], int]:
    """Pairwise-complete Pearson correlations (as ``cor(x, use="pairwise")``; with ``via_cov``
    as ``cov2cor(cov(x, use="pairwise"))``), item names and the number of rows (all rows, as
    psych counts n)."""
    x, cols = _as_matrix(data, what, min_items=min_items)
    _check_variance(x, cols, what)
    r = _cov2cor(pairwise_cov(x)) if via_cov else pairwise_cor(x)
    if not np.isfinite(r).all():
        j, k = np.argwhere(~np.isfinite(r))[0]
        raise DataError(
            f"{what}: items {cols[j]} and {cols[k]} are answered together by too few respondents (or one "
            "of them is constant where the other is answered), so their correlation is unknown; drop one of them")
    return r, cols, x.shape[0]


# -- KMO and Bartlett -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class KMO(Result):
    """Kaiser-Meyer-Olkin measure of sampling adequacy (see :func:`kmo`)."""

    kmo: float
    msa: pd.Series


def kmo(data: pd.DataFrame) -> KMO:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, as ``psych::KMO``.

    ``kmo = sum r_ij^2 / (sum r_ij^2 + sum q_ij^2)`` over i != j, where q are the partial
    correlations (from ``R^-1``); ``msa`` is the same per item (column sums). Kaiser (1974): .90s
    marvelous, .80s meritorious, .70s middling, .60s mediocre, .50s miserable, below unacceptable.

    Missing data: pairwise-complete correlations.
    """
    r, cols, _ = _cor_from_data(data, "kmo")
    try:
        q = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        raise DataError("kmo: the correlation matrix is singular (an item is a linear combination of "
                        "others, or there are more items than respondents); drop redundant items") from None
    q = _cov2cor(q)
    np.fill_diagonal(q, 0)
    r0 = r.copy()
    np.fill_diagonal(r0, 0)
    r2, q2 = (r0**2), (q**2)
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    msa = pd.Series(r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0)), index=pd.Index(cols, name="item"), name="msa")
    return KMO(kmo=overall, msa=msa)


@dataclasses.dataclass(frozen=True)
class Bartlett(Result):
    """Bartlett's test of sphericity (see :func:`bartlett`)."""

    chisq: float
    df: int
    pvalue: float
    n_obs: int


def bartlett(data: pd.DataFrame) -> Bartlett:
    """Bartlett's (1951) test that the correlation matrix is an identity, as
    ``psych::cortest.bartlett`` on raw data.

    ``chisq = -ln|R| (n - 1 - (2p + 5)/6)`` with ``df = p(p - 1)/2``.

    Missing data: pairwise-complete correlations and n = all rows (as psych), which overstates
    the evidence a little when many answers are missing.
    """
    r, cols, n = _cor_from_data(data, "bartlett")
    p = len(cols)
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        raise DataError("bartlett: the correlation matrix is singular or not positive definite; drop redundant items")
    chisq = float(-logdet * (n - 1 - (2 * p + 5) / 6))
    df = p * (p - 1) // 2
    return Bartlett(chisq=chisq, df=df, pvalue=float(stats.chi2.sf(chisq, df)), n_obs=int(n))


# -- exploratory factor analysis --------------------------------------------------------------------

def _minres(r: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-residual factor extraction as ``psych::fa(fm="minres")``: the uniquenesses that
    minimise the squared off-diagonal residuals; loadings are the first ``nf`` eigenvectors of the
    reduced matrix scaled by the root eigenvalues. Returns (loadings, uniquenesses)."""
    from scipy.optimize import minimize

    p = r.shape[0]
    s_smc = smc(r)
    upper = max(float(s_smc.max()), 1.0)
    low = np.tril_indices(p, -1)

    def loadings_of(psi):
        s = r.copy()
        np.fill_diagonal(s, 1 - psi)
        vals, vecs = np.linalg.eigh(s)
        vals, vecs = vals[::-1][:nf], vecs[:, ::-1][:, :nf]
        vals = np.where(vals < np.finfo(float).eps, 100 * np.finfo(float).eps, vals)
        return vecs * np.sqrt(vals)

    def f(psi):
        lam = loadings_of(psi)
        res = (r - lam @ lam.T)[low]
        return float(np.sum(res**2))

    def grad(psi):
        s = r - np.diag(psi)
        vals, vecs = np.linalg.eigh(s)
        vals, vecs = vals[::-1][:nf], vecs[:, ::-1][:, :nf]
        lam = vecs * np.sqrt(np.maximum(vals, 0))
        g = lam @ lam.T + np.diag(psi) - r
        return np.diag(g).copy()

    start = 1 - s_smc
    res = minimize(f, start, jac=grad, method="L-BFGS-B", bounds=[(0.005, upper)] * p,
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    psi = res.x
    s = r.copy()
    np.fill_diagonal(s, np.diag(r) - psi)
    vals, vecs = np.linalg.eigh(s)
    vals, vecs = vals[::-1][:nf], vecs[:, ::-1][:, :nf]
    lam = vecs * np.sqrt(np.maximum(vals, 0))
    return lam, psi


def _varimax(x: np.ndarray, normalize: bool = True, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """R's ``stats::varimax`` (Kaiser normalisation, same stopping rule). Returns (loadings, T)."""
    nc = x.shape[1]
    if nc < 2:
        return x, np.eye(nc)
    sc = np.sqrt((x**2).sum(axis=1)) if normalize else np.ones(x.shape[0])
    x = x / sc[:, None]
    p = x.shape[0]
    tt = np.eye(nc)
    d = 0.0
    for _ in range(1000):
        z = x @ tt
        b = x.T @ (z**3 - z @ np.diag((z**2).sum(axis=0)) / p)
        u, sv, vt = np.linalg.svd(b)
        tt = u @ vt
        dpast, d = d, sv.sum()
        if d < dpast * (1 + eps):
            break
    z = x @ tt
    return z * sc[:, None], tt


def _gpf_oblimin(a: np.ndarray, gam: float = 0.0, eps: float = 1e-5, maxit: int = 1000) -> tuple[np.ndarray, np.ndarray, bool]:
    """GPArotation's ``oblimin`` (gradient projection, Bernaards & Jennrich 2005), ported step
    for step (identity start, no normalisation, ``eps = 1e-5``) so that the solution is the one R
    finds. Returns (loadings, Phi, converged)."""
    k = a.shape[1]

    def vgq(lam):
        x = (lam**2) @ (1 - np.eye(k))
        if gam != 0:
            p = lam.shape[0]
            x = (np.eye(p) - gam / p) @ x
        return lam * x, float(np.sum(lam**2 * x) / 4)

    tmat = np.eye(k)
    al = 1.0
    lam = a @ np.linalg.inv(tmat).T
    gq, f = vgq(lam)
    g = -(lam.T @ gq @ np.linalg.inv(tmat)).T
    converged = False
    for _ in range(maxit + 1):
        gp = g - tmat @ np.diag((tmat * g).sum(axis=0))
        s = float(np.sqrt(np.sum(gp**2)))
        if s < eps:
            converged = True
            break
        al *= 2
        for _ in range(11):
            x = tmat - al * gp
            v = 1 / np.sqrt((x**2).sum(axis=0))
            tmatt = x @ np.diag(v)
            lam = a @ np.linalg.inv(tmatt).T
            gqt, ft = vgq(lam)
            if f - ft > 0.5 * s**2 * al:
                break
            al /= 2
        tmat = tmatt
        f = ft
        g = -(lam.T @ gqt @ np.linalg.inv(tmatt)).T
    return lam, tmat.T @ tmat, converged


def _promax(x: np.ndarray, m: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``psych::fa(rotate="promax")``: Kaiser-normalised rows, varimax, then Hendrickson & White's
    promax power ``m``; returns (loadings, Phi)."""
    h = np.sqrt((x**2).sum(axis=1))
    w = x / h[:, None]
    vx, rot = _varimax(w)
    q = vx * np.abs(vx) ** (m - 1)
    u = np.linalg.lstsq(vx, q, rcond=None)[0]
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u @ np.diag(np.sqrt(d))
    z = vx @ u
    u = rot @ u
    ui = np.linalg.inv(u)
    return z * h[:, None], ui @ ui.T


@dataclasses.dataclass(frozen=True)
class EFA(Result):
    """Exploratory factor analysis (see :func:`efa`)."""

    loadings: pd.DataFrame
    communalities: pd.DataFrame
    variance: pd.DataFrame
    phi: pd.DataFrame | None
    nfactors: int
    method: str
    rotation: str
    n_obs: int
    parallel: "Parallel | None" = None
    converged: bool = True


def _fa(r: np.ndarray, nf: int, rotation: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, bool]:
    """psych's ``fa`` steps after the correlation matrix: extraction, column signs, rotation,
    signs again, order by variance accounted for. Returns (loadings, Phi, communality, converged)."""
    lam, _ = _minres(r, nf)
    sgn = np.sign(lam.sum(axis=0))
    sgn[sgn == 0] = 1
    lam = lam * sgn
    communality = (lam**2).sum(axis=1)
    phi = None
    converged = True
    if nf > 1 and rotation != "none":
        if rotation == "varimax":
            lam, _ = _varimax(lam)
        elif rotation == "oblimin":
            lam, phi, converged = _gpf_oblimin(lam)
        elif rotation == "promax":
            lam, phi = _promax(lam)
        else:
            raise DataError(f"efa: rotation must be 'oblimin', 'varimax', 'promax' or 'none', got {rotation!r}")
    sgn = np.sign(lam.sum(axis=0))
    sgn[sgn == 0] = 1
    lam = lam * sgn
    if phi is not None:
        phi = phi * np.outer(sgn, sgn)
    if nf > 1:
        ev = np.diag(phi @ lam.T @ lam) if phi is not None else (lam**2).sum(axis=0)
        order = np.argsort(-ev, kind="stable")
        lam = lam[:, order]
        if phi is not None:
            phi = phi[np.ix_(order, order)]
    return lam, phi, communality, converged


def efa(
    data: pd.DataFrame,
    nfactors: int | None = None,
    method: Literal["minres"] = "minres",
    rotation: Literal["oblimin", "varimax", "promax", "none"] = "oblimin",
    n_iter: int = 20,
    seed: int | None = None,
) -> EFA:
    """Exploratory factor analysis as ``psych::fa(x, nfactors, fm="minres", rotate=...)``.

    Minimum-residual (unweighted least squares) extraction from the pairwise Pearson
    correlation matrix, starting from ``1 - SMC`` uniquenesses; rotations ``"oblimin"``
    (quartimin, GPArotation's gradient projection), ``"varimax"`` (Kaiser-normalised, as
    ``stats::varimax``), ``"promax"`` (psych: Kaiser-normalised, power 4) or ``"none"``. Factor
    columns are signed to positive sums and ordered by variance accounted for, as psych does.

    ``nfactors=None`` takes the number suggested by :func:`parallel_analysis` (``n_iter``
    simulated data sets, ``seed``); the analysis is attached as ``parallel`` either way.

    Returns ``loadings`` (pattern matrix, items x MR1..MRk), ``communalities`` (``h2``, ``u2``,
    ``com``: Hofmann's complexity), ``variance`` (psych's ``Vaccounted``: SS loadings, Proportion
    Var, Cumulative Var, Proportion Explained, Cumulative Proportion), ``phi`` (factor
    correlations, oblique rotations only).

    Missing data: pairwise-complete correlations; n = all rows.
    """
    if method != "minres":
        raise DataError(f"efa: only method='minres' is available, got {method!r}")
    r, cols, n = _cor_from_data(data, "efa", min_items=3)
    par = parallel_analysis(data, n_iter=n_iter, seed=seed)
    if nfactors is None:
        nfactors = max(1, par.nfactors)
    p = len(cols)
    if not 1 <= nfactors < p:
        raise DataError(f"efa: nfactors must be between 1 and {p - 1} for {p} items, got {nfactors}")
    lam, phi, communality, converged = _fa(r, nfactors, rotation)
    names = [f"MR{i + 1}" for i in range(nfactors)]
    idx = pd.Index(cols, name="item")
    loadings = pd.DataFrame(lam, index=idx, columns=names)
    com = (lam**2).sum(axis=1) ** 2 / (lam**4).sum(axis=1)
    communalities = pd.DataFrame({"h2": communality, "u2": 1 - communality, "com": com}, index=idx)
    vx = np.diag(phi @ lam.T @ lam) if phi is not None else (lam**2).sum(axis=0)
    vtotal = float(np.trace(r))
    variance = pd.DataFrame(
        [vx, vx / vtotal, np.cumsum(vx / vtotal), vx / vx.sum(), np.cumsum(vx / vx.sum())],
        index=["SS loadings", "Proportion Var", "Cumulative Var", "Proportion Explained", "Cumulative Proportion"],
        columns=names)
    phi_df = pd.DataFrame(phi, index=names, columns=names) if phi is not None else None
    if not converged:
        warnings.warn("efa: the oblimin rotation did not converge in 1000 iterations; try rotation='promax'",
                      UserWarning, stacklevel=2)
    return EFA(loadings=loadings, communalities=communalities, variance=variance, phi=phi_df,
               nfactors=int(nfactors), method=method, rotation=rotation, n_obs=int(n), parallel=par,
               converged=converged)


# -- parallel analysis ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Parallel(Result):
    """Horn's parallel analysis (see :func:`parallel_analysis`)."""

    eigen: pd.DataFrame
    nfactors: int
    ncomponents: int
    n_iter: int


def _fa_values(r: np.ndarray) -> np.ndarray:
    """Eigenvalues of R with the one-factor minres communalities on the diagonal (psych's
    ``fa(r, 1)$values``, what ``fa.parallel`` compares)."""
    lam, _ = _minres(r, 1)
    s = r.copy()
    np.fill_diagonal(s, (lam**2).sum(axis=1))
    return np.sort(np.linalg.eigvalsh(s))[::-1]


def parallel_analysis(data: pd.DataFrame, n_iter: int = 20, seed: int | None = None,
                      quantile: float | None = None) -> Parallel:
    """Horn's (1965) parallel analysis as ``psych::fa.parallel`` (simulated normal data).

    Observed eigenvalues (principal components: of R; factors: of R with one-factor minres
    communalities on the diagonal) are compared with the mean (or ``quantile``) of the same
    eigenvalues from ``n_iter`` normal data sets of the same size; the suggested number is the
    count of leading observed values above the simulated ones. The simulated values depend on
    ``seed`` (R's random numbers differ, so they agree with psych only in distribution).

    Missing data: pairwise-complete correlations; simulated data sets have n = all rows.
    """
    r, cols, n = _cor_from_data(data, "parallel_analysis", min_items=3)
    p = len(cols)
    pc_obs = np.sort(np.linalg.eigvalsh(r))[::-1]
    fa_obs = _fa_values(r)
    rng = np.random.default_rng(seed)
    pc_sim = np.empty((n_iter, p))
    fa_sim = np.empty((n_iter, p))
    for i in range(n_iter):
        z = rng.standard_normal((n, p))
        rs = np.corrcoef(z, rowvar=False)
        pc_sim[i] = np.sort(np.linalg.eigvalsh(rs))[::-1]
        fa_sim[i] = _fa_values(rs)
    agg = (lambda a: np.quantile(a, quantile, axis=0)) if quantile is not None else (lambda a: a.mean(axis=0))
    pc_ref, fa_ref = agg(pc_sim), agg(fa_sim)

    def leading(obs, ref):
        above = obs > ref
        return int(p if above.all() else np.argmin(above))

    eig = pd.DataFrame({"pc_observed": pc_obs, "pc_simulated": pc_ref, "fa_observed": fa_obs, "fa_simulated": fa_ref},
                       index=pd.RangeIndex(1, p + 1, name="number"))
    return Parallel(eigen=eig, nfactors=leading(fa_obs, fa_ref), ncomponents=leading(pc_obs, pc_ref), n_iter=n_iter)


# -- omega ----------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Omega(Result):
    """McDonald's omega from a Schmid-Leiman solution (see :func:`omega`)."""

    summary: pd.Series
    loadings: pd.DataFrame
    groups: pd.DataFrame
    nfactors: int


def omega(data: pd.DataFrame, nfactors: int = 3, keys: Sequence[str] | None = None) -> Omega:
    """Omega hierarchical and omega total as ``psych::omega(x, nfactors)`` (defaults: minres,
    oblimin, Schmid-Leiman).

    Steps as psych: minres EFA with varimax; oblimin of those loadings (GPArotation); a general
    factor from a one-factor minres analysis of the factor correlations (with 2 factors both
    general loadings are set to ``sqrt(phi_12)``, psych's ``option="equal"``); the
    Schmid-Leiman transformation. With ``V`` the sum of the (keyed) correlation matrix:
    ``omega_h = (sum g)^2 / V``, ``omega_total = (V - sum u2) / V``,
    ``omega_limit = (sum g)^2 / (V - sum u2)``, ``ecv`` = general share of the common variance.
    Items loading negatively on g are flipped (psych's ``flip=TRUE``) unless ``keys`` are given.

    ``summary``: omega_h, omega_total, omega_limit, alpha (standardized), g6, ecv, n_obs;
    ``loadings``: g, F1*..Fk*, h2, u2, p2; ``groups``: psych's ``omega.group`` (total, general,
    group) for g and each group factor (NaN for a group factor on which no item loads most, as
    psych's NA).

    Missing data: pairwise-complete correlations. References: McDonald (1999) Test Theory;
    Zinbarg, Revelle, Yovel & Li (2005) Psychometrika 70, 123-133.
    """
    r, cols, n = _cor_from_data(data, "omega", min_items=3)
    p = len(cols)
    if not 2 <= nfactors < p:
        raise DataError(f"omega: nfactors must be between 2 and {p - 1} for {p} items, got {nfactors}; "
                        "for one factor use omega_total()")
    keys = [str(k) for k in (keys or [])]
    unknown = [k for k in keys if k not in cols]
    if unknown:
        raise DataError(f"omega: key(s) {', '.join(unknown)} are not among the items ({', '.join(cols)})")
    flip = not keys
    ksign = np.array([-1.0 if c in keys else 1.0 for c in cols])
    m = r * np.outer(ksign, ksign)

    orth, _, _, _ = _fa(m, nfactors, "varimax")
    fload, phi, converged = _gpf_oblimin(orth)
    if nfactors > 2:
        gl, _ = _minres(phi, 1)
        gload = gl[:, 0] * (1 if gl.sum() >= 0 else -1)
    else:
        g12 = np.sqrt(abs(phi[0, 1]))
        gload = np.array([g12, np.sign(phi[0, 1]) * g12])
    g = fload @ gload
    h2 = (orth**2).sum(axis=1)
    u2 = 1 - h2
    uniq2 = np.clip(fload**2 - (fload * gload) ** 2, 0, None)
    sm = np.sign(fload) * np.sqrt(uniq2)
    p2 = g**2 / h2
    if flip:
        fs = np.sign(g)
        fs[fs == 0] = 1
        if (fs < 0).any():
            m = m * np.outer(fs, fs)
            g, sm = g * fs, sm * fs[:, None]
            ksign = ksign * fs
    vt = m.sum()
    gsq = g.sum() ** 2
    om_tot = (vt - u2.sum()) / vt
    ev = np.r_[(g**2).sum(), (sm**2).sum(axis=0)]
    fnames = [f"F{i + 1}*" for i in range(nfactors)]
    sl = pd.DataFrame(np.column_stack([g, sm, h2, u2, p2]), index=pd.Index(cols, name="item"),
                      columns=["g", *fnames, "h2", "u2", "p2"])
    sl["reversed"] = ksign < 0
    # omega per group factor: items assigned to the group factor they load most on
    sub = np.argmax(np.abs(sm), axis=1)
    rows, grs = {}, 0.0
    for j in range(nfactors):
        idx = np.flatnonzero(sub == j)
        if idx.size == 0:
            rows[fnames[j]] = (np.nan, np.nan, np.nan)
            continue
        vgr = m[np.ix_(idx, idx)].sum()
        gr = sm[idx, j].sum()
        grs += gr**2
        gg = g[idx].sum() ** 2
        rows[fnames[j]] = ((gr**2 + gg) / vgr, gg / vgr, gr**2 / vgr)
    groups = pd.DataFrame({"g": (om_tot, gsq / vt, grs / vt), **rows}, index=["total", "general", "group"]).T
    summary = pd.Series({
        "omega_h": gsq / vt, "omega_total": om_tot, "omega_limit": gsq / (vt - u2.sum()),
        "alpha": (vt - np.trace(m)) / vt * p / (p - 1),
        "g6": (vt + smc(m).sum() - np.trace(m)) / vt,
        "ecv": ev[0] / ev.sum(), "n_obs": int(n), "n_items": p,
    }, dtype=object)
    if not converged:
        warnings.warn("omega: the oblimin rotation did not converge", UserWarning, stacklevel=2)
    return Omega(summary=summary, loadings=sl, groups=groups, nfactors=nfactors)


@dataclasses.dataclass(frozen=True)
class OmegaTotal(Result):
    """Omega total of one scale from a one-factor model (see :func:`omega_total`)."""

    omega_total: float
    loadings: pd.Series
    residuals: pd.Series
    std_loadings: pd.Series
    n_obs: int
    keys: tuple[str, ...] = ()


def _ml_one_factor(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood one-factor model of a covariance matrix (Joreskog's uniqueness
    parameterisation, as psych's ``fm="ml"``). Returns (loadings, residual variances)."""
    from scipy.optimize import minimize

    p = s.shape[0]
    d = np.diag(s)

    def parts(psi):
        sc = 1 / np.sqrt(psi)
        ss = s * np.outer(sc, sc)
        vals, vecs = np.linalg.eigh(ss)
        return vals[::-1], vecs[:, ::-1]

    def f(psi):
        vals, _ = parts(psi)
        e = vals[1:]
        return -(np.sum(np.log(e) - e) - 1 + p)

    def grad(psi):
        vals, vecs = parts(psi)
        lam = vecs[:, :1] * np.sqrt(max(vals[0] - 1, 0))
        lam = np.sqrt(psi)[:, None] * lam
        gmat = lam @ lam.T + np.diag(psi) - s
        return np.diag(gmat) / psi**2

    start = d * (1 - smc(_cov2cor(s)))
    res = minimize(f, start, jac=grad, method="L-BFGS-B", bounds=[(0.005 * di, di) for di in d],
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    psi = res.x
    vals, vecs = parts(psi)
    lam = np.sqrt(psi) * vecs[:, 0] * np.sqrt(max(vals[0] - 1, 0))
    if lam.sum() < 0:
        lam = -lam
    return lam, psi


def omega_total(data: pd.DataFrame, keys: Sequence[str] | None = None) -> OmegaTotal:
    """McDonald's omega total of a unit-weighted scale score from a one-factor model fitted by
    maximum likelihood to the item covariances (a one-factor CFA, as lavaan's
    ``cfa("f =~ x1 + ... + xk", std.lv = TRUE)``):

    ``omega = (sum lambda)^2 / ((sum lambda)^2 + sum theta)``

    with reverse-keyed items (``keys``) sign-flipped first. This is the reliability the
    notebook reports beside alpha: unlike alpha it does not assume equal loadings.

    Missing data: pairwise-complete covariances (lavaan's default listwise deletion and its
    FIML both give slightly different estimates when answers are missing); n = all rows.
    Reference: McDonald (1999) Test Theory, ch. 6.
    """
    x, cols = _as_matrix(data, "omega_total", min_items=3)
    _check_variance(x, cols, "omega_total")
    keys = [str(k) for k in (keys or [])]
    unknown = [k for k in keys if k not in cols]
    if unknown:
        raise DataError(f"omega_total: key(s) {', '.join(unknown)} are not among the items ({', '.join(cols)})")
    sign = np.array([-1.0 if c in keys else 1.0 for c in cols])
    c = pairwise_cov(x)
    if np.isnan(c).any():
        raise DataError("omega_total: some pair of items is never answered together; drop one of them")
    c = c * np.outer(sign, sign)
    lam, psi = _ml_one_factor(c)
    om = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    idx = pd.Index(cols, name="item")
    return OmegaTotal(omega_total=float(om), loadings=pd.Series(lam, idx, name="lambda"),
                      residuals=pd.Series(psi, idx, name="theta"),
                      std_loadings=pd.Series(lam / np.sqrt(np.diag(c)), idx, name="std_lambda"),
                      n_obs=int(x.shape[0]), keys=tuple(keys))


# -- split-half -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SplitHalf(Result):
    """Split-half reliabilities (see :func:`split_half`)."""

    lambda4: float
    beta: float
    mean_split: float
    alpha: float
    lambda2: float
    lambda6: float
    average_r: float
    median_r: float
    n_splits: int
    max_split: tuple[tuple[str, ...], tuple[str, ...]]
    min_split: tuple[tuple[str, ...], tuple[str, ...]]
    keys: tuple[str, ...] = ()


def split_half(data: pd.DataFrame, keys: Sequence[str] | None = None, check_keys: bool = True,
               n_sample: int = 10000, seed: int | None = None) -> SplitHalf:
    """Split-half reliabilities as ``psych::splitHalf`` (standardized, from correlations).

    For a split into halves A and B, ``r_sb = 4 sum(R_AB) / sum(R)`` (the Guttman/Rulon
    reliability of the split). ``lambda4`` is the largest over splits, ``beta`` (Revelle's) the
    smallest, ``mean_split`` the mean (which equals standardized alpha when every split is
    counted). ``lambda2`` and ``lambda6`` are Guttman's (1945); ``alpha`` is standardized.
    Every split is counted when there are at most ``n_sample`` (psych's enumeration, which for
    an odd number of items visits half of them); otherwise ``n_sample`` random splits (``seed``).

    ``keys`` reverse items; without keys and with ``check_keys`` (psych's default) items loading
    negatively on the first principal component are reversed with a warning.

    Missing data: ``cov2cor`` of the pairwise-complete covariances (as psych and :func:`alpha`).
    Reference: Revelle & Zinbarg (2009)
    Psychometrika 74, 145-154.
    """
    import itertools
    import math

    # psych::splitHalf correlates through the pairwise covariance matrix, as alpha does
    r, cols, _ = _cor_from_data(data, "split_half", min_items=2, via_cov=True)
    n = len(cols)
    keys = [str(k) for k in (keys or [])]
    unknown = [k for k in keys if k not in cols]
    if unknown:
        raise DataError(f"split_half: key(s) {', '.join(unknown)} are not among the items ({', '.join(cols)})")
    if not keys and check_keys:
        neg = [c for c, s in zip(cols, _first_pc_signs(r)) if s < 0]
        if neg:
            warnings.warn(f"split_half: item(s) {', '.join(neg)} correlate negatively with the total and were "
                          "reversed; pass keys to say so explicitly", UserWarning, stacklevel=2)
            keys = neg
    sign = np.array([-1.0 if c in keys else 1.0 for c in cols])
    r = r * np.outer(sign, sign)
    sumr = r.sum()
    off = r - np.diag(np.diag(r))
    sum_off = sumr - np.trace(r)
    alpha_std = sum_off / sumr * n / (n - 1)
    lambda6 = (sum_off + smc(r).sum()) / sumr
    lambda2 = (sum_off + np.sqrt((off**2).sum() * n / (n - 1))) / sumr
    low = r[np.tril_indices(n, -1)]
    m = n // 2
    count = math.comb(n, m) / 2

    def rab(a_idx):
        a = np.zeros(n)
        a[list(a_idx)] = 1
        return 4 * (a @ r @ (1 - a)) / sumr

    if count <= n_sample:
        n_visit = math.ceil(count) if count != int(count) else int(count)
        splits = list(itertools.islice(itertools.combinations(range(n), m), n_visit))
        denom = count
    else:
        rng = np.random.default_rng(seed)
        splits = [tuple(sorted(rng.choice(n, m, replace=False))) for _ in range(n_sample)]
        denom = n_sample
    vals = np.array([rab(s) for s in splits])
    imax, imin = int(np.argmax(vals)), int(np.argmin(vals))

    def halves(s):
        a = tuple(cols[i] for i in s)
        return a, tuple(c for c in cols if c not in a)

    return SplitHalf(lambda4=float(vals[imax]), beta=float(vals[imin]), mean_split=float(vals.sum() / denom),
                     alpha=float(alpha_std), lambda2=float(lambda2), lambda6=float(lambda6),
                     average_r=float(low.mean()), median_r=float(np.median(low)), n_splits=len(splits),
                     max_split=halves(splits[imax]), min_split=halves(splits[imin]), keys=tuple(keys))


# -- polychoric correlations ------------------------------------------------------------------------

_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)


def _bvn_cdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """P(X <= h, Y <= k) for a standard bivariate normal with correlation ``rho`` (finite h, k).

    Plackett's identity with r = sin(t): Phi(h) Phi(k) + 1/(2 pi) * integral from 0 to
    asin(rho) of exp(-(h^2 - 2 h k sin t + k^2) / (2 cos^2 t)) dt, by 64-point Gauss-Legendre
    (the integrand is smooth and bounded, so this is accurate to ~1e-12 for |rho| < 0.99).
    """
    h = np.asarray(h, float)[..., None]
    k = np.asarray(k, float)[..., None]
    b = np.arcsin(rho)
    t = b / 2 * (_GL_X + 1)
    st, ct2 = np.sin(t), np.cos(t) ** 2
    f = np.exp(-(h**2 - 2 * h * k * st + k**2) / (2 * ct2))
    integral = (f * _GL_W).sum(axis=-1) * b / 2
    return stats.norm.cdf(h[..., 0]) * stats.norm.cdf(k[..., 0]) + integral / (2 * np.pi)


def _cell_probs(rho: float, tr: np.ndarray, tc: np.ndarray) -> np.ndarray:
    """Cell probabilities of the discretised bivariate normal with thresholds ``tr``, ``tc``."""
    big = 40.0  # stands in for infinity: Phi(40) is 1 in double precision
    rr = np.r_[-big, np.clip(tr, -big, big), big]
    cc = np.r_[-big, np.clip(tc, -big, big), big]
    hh, kk = np.meshgrid(rr, cc, indexing="ij")
    f = _bvn_cdf(hh, kk, rho)
    return f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]


def _polyc(tab: np.ndarray, tr: np.ndarray, tc: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def negll(rho):
        pr = _cell_probs(rho, tr, tc)
        ok = pr > 0
        return -float(np.sum(tab[ok] * np.log(pr[ok])))

    res = minimize_scalar(negll, bounds=(-0.9999, 0.9999), method="bounded", options={"xatol": 1e-10})
    return float(res.x)


def polychoric(data: pd.DataFrame, correct: float = 0.5) -> pd.DataFrame:
    """Polychoric correlation matrix as ``psych::polychoric`` (two-step: thresholds from each
    item's answers, then the maximum-likelihood correlation of each pair's table).

    When every item uses the same answer range (psych's ``global=TRUE``) the thresholds are
    ``qnorm`` of each item's cumulative answer shares; otherwise (psych's ``global=FALSE``) each
    pair's thresholds come from its own table, empty rows and columns are dropped and empty cells
    set to ``correct / n``. A matrix that is not positive definite is smoothed as
    ``psych::cor.smooth``. psych maximises with R's ``optimize`` (tolerance about 1e-4), so its
    values agree with these to about 1e-4.

    Missing data: thresholds from each item's answers; each pair's table from the rows answering
    both. Reference: Olsson (1979) Psychometrika 44, 443-460.
    """
    x, cols = _as_matrix(data, "polychoric")
    _check_variance(x, cols, "polychoric")
    if np.any((x[~np.isnan(x)] % 1) != 0):
        raise DataError("polychoric: answers must be whole numbers (ordered categories)")
    lo = int(np.nanmin(x))
    xi = np.where(np.isnan(x), -1, x - lo).astype(int)
    k = int(xi.max()) + 1
    if k > 8:
        raise DataError(f"polychoric: items have {k} answer categories; polychoric correlations are meant "
                        "for ordinal items with at most 8 (use Pearson correlations)")
    p = len(cols)
    maxes = [int(xi[:, j].max()) for j in range(p)]
    global_tau = min(maxes) == max(maxes)
    taus = []
    for j in range(p):
        v = xi[:, j][xi[:, j] >= 0]
        freq = np.bincount(v, minlength=k) / v.size
        taus.append(stats.norm.ppf(np.cumsum(freq)[:-1]))
    rmat = np.eye(p)
    for i in range(1, p):
        for j in range(i):
            both = (xi[:, i] >= 0) & (xi[:, j] >= 0)
            tab = np.zeros((k, k))
            np.add.at(tab, (xi[both, i], xi[both, j]), 1)
            tot = tab.sum()
            if tot == 0:
                raise DataError(f"polychoric: items {cols[i]} and {cols[j]} are never answered together")
            tab = tab / tot
            if global_tau:
                tr, tc = taus[i], taus[j]
            else:
                tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
                if correct > 0:
                    tab[tab == 0] = correct / tot
                tr = stats.norm.ppf(np.cumsum(tab.sum(axis=1))[:-1])
                tc = stats.norm.ppf(np.cumsum(tab.sum(axis=0))[:-1])
            rmat[i, j] = rmat[j, i] = _polyc(tab, tr, tc)
    rmat = _cor_smooth(rmat)
    return pd.DataFrame(rmat, index=cols, columns=cols)


def _cor_smooth(r: np.ndarray, eig_tol: float = 1e-12) -> np.ndarray:
    """``psych::cor.smooth``: when R has eigenvalues below ``eig_tol``, set them to 100 * eig_tol,
    rescale the eigenvalues to sum to p and rebuild a correlation matrix."""
    vals, vecs = np.linalg.eigh(r)
    if vals.min() >= eig_tol:
        return r
    warnings.warn("polychoric: the matrix was not positive definite and was smoothed", UserWarning, stacklevel=3)
    vals = np.where(vals < eig_tol, 100 * eig_tol, vals)
    vals = vals * r.shape[0] / vals.sum()
    out = vecs @ np.diag(vals) @ vecs.T
    return _cov2cor(out)


# -- confirmatory factor analysis -------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CFAModel:
    """A measurement model parsed from lavaan syntax."""

    factors: dict[str, list[str]]
    residual_covs: list[tuple[str, str]]

    @property
    def items(self) -> list[str]:
        out: list[str] = []
        for its in self.factors.values():
            out += [i for i in its if i not in out]
        return out


def parse_model(text: str) -> CFAModel:
    """Parse the lavaan subset used for measurement models: ``f =~ x1 + x2 + x3`` (one factor per
    line or ``;``-separated; the first indicator is the marker with loading 1) and residual
    covariances ``x1 ~~ x2``. ``#`` starts a comment."""
    import re

    factors: dict[str, list[str]] = {}
    covs: list[tuple[str, str]] = []
    name = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
    for n_line, raw in enumerate(text.replace(";", "\n").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=~" in line:
            lhs, rhs = (s.strip() for s in line.split("=~", 1))
            terms = [t.strip() for t in rhs.split("+")]
            if not name.match(lhs) or not terms or not all(name.match(t) for t in terms):
                raise DataError(f"cfa: cannot read model line {n_line}: {raw.strip()!r}; write it as "
                                "'factor =~ item1 + item2 + item3' (plain names, no modifiers)")
            factors.setdefault(lhs, [])
            factors[lhs] += [t for t in terms if t not in factors[lhs]]
        elif "~~" in line:
            lhs, rhs = (s.strip() for s in line.split("~~", 1))
            if not name.match(lhs) or not name.match(rhs):
                raise DataError(f"cfa: cannot read model line {n_line}: {raw.strip()!r}")
            if lhs != rhs:
                covs.append((lhs, rhs))
        else:
            raise DataError(f"cfa: model line {n_line} ({raw.strip()!r}) is neither 'f =~ items' nor 'x ~~ y'")
    if not factors:
        raise DataError("cfa: the model defines no factor; write e.g. 'relevance =~ REL1 + REL2 + REL3'")
    for f, its in factors.items():
        if len(its) < 2:
            raise DataError(f"cfa: factor {f} has {len(its)} indicator; give it at least 2 (3 for a one-factor model)")
    items = CFAModel(factors, covs).items
    for a, b in covs:
        for v in (a, b):
            if v not in items and v not in factors:
                raise DataError(f"cfa: {v} in '{a} ~~ {b}' is neither an indicator nor a factor")
        if (a in factors) != (b in factors):
            raise DataError(f"cfa: '{a} ~~ {b}' mixes a factor and an item")
    return CFAModel(factors, covs)


class _Spec:
    """Index arrays mapping a free-parameter vector to each group's model matrices.

    Entry -1 is a fixed zero, -2 a fixed one (marker loadings), otherwise a parameter index;
    equal indices across groups are equality constraints."""

    def __init__(self, model: CFAModel, n_groups: int, equal: Sequence[str], meanstructure: bool):
        self.items = model.items
        self.factors = list(model.factors)
        p, m = len(self.items), len(self.factors)
        self.p, self.m, self.g = p, m, n_groups
        self.meanstructure = meanstructure
        self.names: list[str] = []
        pos = {v: i for i, v in enumerate(self.items)}
        fpos = {f: k for k, f in enumerate(self.factors)}
        self.lam, self.phi, self.theta, self.nu, self.alpha = [], [], [], [], []
        shared: dict[str, int] = {}

        def new(label: str, share_key: str | None) -> int:
            if share_key is not None and share_key in shared:
                return shared[share_key]
            self.names.append(label)
            idx = len(self.names) - 1
            if share_key is not None:
                shared[share_key] = idx
            return idx

        icov = [(a, b) for a, b in model.residual_covs if a in pos]
        for g in range(n_groups):
            sfx = f"[{g + 1}]" if n_groups > 1 else ""
            lam = np.full((p, m), -1, dtype=int)
            for f, its in model.factors.items():
                k = fpos[f]
                for j, it in enumerate(its):
                    lam[pos[it], k] = -2 if j == 0 else new(f"{f}=~{it}{sfx}", f"lam:{f}:{it}" if "loadings" in equal else None)
            phi = np.full((m, m), -1, dtype=int)
            for k in range(m):
                phi[k, k] = new(f"{self.factors[k]}~~{self.factors[k]}{sfx}", None)
            # factors covary freely (lavaan's cfa default); listed factor covariances change nothing
            for k in range(m):
                for l in range(k):
                    phi[k, l] = phi[l, k] = new(f"{self.factors[l]}~~{self.factors[k]}{sfx}", None)
            theta = np.full((p, p), -1, dtype=int)
            for i, it in enumerate(self.items):
                theta[i, i] = new(f"{it}~~{it}{sfx}", f"th:{it}" if "residuals" in equal else None)
            for a, b in icov:
                i, j = pos[a], pos[b]
                theta[i, j] = theta[j, i] = new(f"{a}~~{b}{sfx}", None)
            nu = np.full(p, -1, dtype=int)
            alpha = np.full(m, -1, dtype=int)
            if meanstructure:
                for i, it in enumerate(self.items):
                    nu[i] = new(f"{it}~1{sfx}", f"nu:{it}" if "intercepts" in equal else None)
                if "intercepts" in equal and g > 0:
                    for k in range(m):
                        alpha[k] = new(f"{self.factors[k]}~1{sfx}", None)
            self.lam.append(lam)
            self.phi.append(phi)
            self.theta.append(theta)
            self.nu.append(nu)
            self.alpha.append(alpha)
        self.npar = len(self.names)

    @staticmethod
    def _fill(idx: np.ndarray, x: np.ndarray) -> np.ndarray:
        out = np.where(idx >= 0, x[np.clip(idx, 0, None)], 0.0)
        return np.where(idx == -2, 1.0, out)

    def matrices(self, x: np.ndarray, g: int):
        lam = self._fill(self.lam[g], x)
        phi = self._fill(self.phi[g], x)
        theta = self._fill(self.theta[g], x)
        nu = self._fill(self.nu[g], x)
        alpha = self._fill(self.alpha[g], x)
        return lam, phi, theta, nu, alpha


def _implied(lam, phi, theta, nu, alpha):
    return lam @ phi @ lam.T + theta, nu + lam @ alpha


def _ml_objective(x: np.ndarray, spec: _Spec, S: list, M: list, w: np.ndarray) -> tuple[float, np.ndarray]:
    """sum_g w_g [log|Sigma| + tr(S Sigma^-1) - log|S| - p + (m - mu)' Sigma^-1 (m - mu)] and its
    gradient (w_g = N_g / N)."""
    f = 0.0
    grad = np.zeros_like(x)
    for g in range(spec.g):
        lam, phi, theta, nu, alpha = spec.matrices(x, g)
        sigma, mu = _implied(lam, phi, theta, nu, alpha)
        try:
            # Sigma must be positive definite: a positive determinant is not enough (two negative
            # eigenvalues give one) and lets the discrepancy run off to minus infinity
            chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return np.inf, np.zeros_like(x)
        logdet = 2 * np.sum(np.log(np.diag(chol)))
        inv = np.linalg.inv(sigma)
        d = (M[g] - mu) if spec.meanstructure else np.zeros(spec.p)
        s = S[g]
        _, logdet_s = np.linalg.slogdet(s)
        fg = logdet + np.trace(s @ inv) - logdet_s - spec.p + d @ inv @ d
        f += w[g] * fg
        wmat = inv @ (sigma - s - np.outer(d, d)) @ inv
        gmu = -2 * inv @ d
        g_lam = 2 * wmat @ lam @ phi + np.outer(gmu, alpha)
        g_phi = lam.T @ wmat @ lam
        g_phi = 2 * g_phi - np.diag(np.diag(g_phi))  # symmetric parameters count twice off the diagonal
        g_theta = 2 * wmat - np.diag(np.diag(wmat))
        g_alpha = lam.T @ gmu
        for idx, gm in ((spec.lam[g], g_lam), (spec.nu[g], gmu), (spec.alpha[g], g_alpha)):
            sel = idx >= 0
            np.add.at(grad, idx[sel], w[g] * gm[sel])
        for idx, gm in ((spec.phi[g], g_phi), (spec.theta[g], g_theta)):
            tri = np.tril(np.ones_like(idx, dtype=bool))
            sel = (idx >= 0) & tri
            np.add.at(grad, idx[sel], w[g] * gm[sel])
    return float(f), grad


def _start_values(spec: _Spec, model: CFAModel, S: list, M: list) -> np.ndarray:
    """Per factor, a one-factor ML fit of its indicators scaled to the marker; residual
    covariances and factor covariances start at zero; intercepts at the means."""
    x = np.zeros(spec.npar)
    pos = {v: i for i, v in enumerate(spec.items)}
    for g in range(spec.g):
        s = S[g]
        for k, (f, its) in enumerate(model.factors.items()):
            idx = [pos[i] for i in its]
            sub = s[np.ix_(idx, idx)]
            if len(idx) >= 3:
                lam1, psi1 = _ml_one_factor(sub)
            else:
                c = max(sub[0, 1], 0.05 * np.sqrt(sub[0, 0] * sub[1, 1]))
                lam1 = np.sqrt(np.array([c, c]))
                psi1 = np.diag(sub) - c
            scale = lam1[0] if abs(lam1[0]) > 1e-6 else 1.0
            for j, i in enumerate(idx):
                if spec.lam[g][i, k] >= 0:
                    x[spec.lam[g][i, k]] = lam1[j] / scale
                if spec.theta[g][i, i] >= 0:
                    x[spec.theta[g][i, i]] = max(psi1[j], 0.05 * s[i, i])
            x[spec.phi[g][k, k]] = scale**2
        if spec.meanstructure:
            for i in range(spec.p):
                x[spec.nu[g][i]] = M[g][i]
    return x


@dataclasses.dataclass(frozen=True)
class CFA(Result):
    """Confirmatory factor analysis (see :func:`cfa`)."""

    fit: pd.Series
    estimates: pd.DataFrame
    std_loadings: pd.DataFrame
    reliability: pd.DataFrame
    invariance: pd.DataFrame | None
    n_obs: int
    converged: bool


def _fit_model(model: CFAModel, groups: list[np.ndarray], equal: Sequence[str], meanstructure: bool) -> dict:
    from scipy.optimize import minimize

    spec = _Spec(model, len(groups), equal, meanstructure)
    ns = np.array([len(x) for x in groups], dtype=float)
    n = ns.sum()
    S = [np.cov(x, rowvar=False, bias=True) for x in groups]  # ML covariances (divisor N), as lavaan
    M = [x.mean(axis=0) for x in groups]
    w = ns / n
    x0 = _start_values(spec, model, S, M)
    res = minimize(_ml_objective, x0, args=(spec, S, M, w), jac=True, method="BFGS",
                   options={"gtol": 1e-9, "maxiter": 5000})
    if not res.success:
        res2 = minimize(_ml_objective, res.x, args=(spec, S, M, w), jac=True, method="L-BFGS-B",
                        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 20000})
        if res2.fun <= res.fun:
            res = res2
    x = res.x
    fmin = res.fun
    p, G = spec.p, spec.g
    chisq = n * fmin
    moments = G * (p * (p + 1) // 2 + (p if meanstructure else 0))
    df = moments - spec.npar
    # independence baseline: variances (and means) free in every group
    chisq_b = float(sum(ng * (np.sum(np.log(np.diag(s))) - np.linalg.slogdet(s)[1]) for ng, s in zip(ns, S)))
    df_b = G * p * (p - 1) // 2
    cfi_den = max(chisq - df, chisq_b - df_b, 0.0)
    cfi = 1 - max(chisq - df, 0.0) / cfi_den if cfi_den > 0 else 1.0
    tli = ((chisq_b / df_b) - (chisq / df)) / ((chisq_b / df_b) - 1) if df > 0 else np.nan
    if df > 0:
        rmsea = np.sqrt(max(chisq / n / df - 1 / n, 0.0)) * np.sqrt(G)
        lo, hi = _rmsea_ci(chisq, df, n, G)
        pvalue = float(stats.chi2.sf(chisq, df))
    else:
        rmsea, lo, hi, pvalue = 0.0, 0.0, 0.0, np.nan
    # SRMR (lavaan's Bentler version): residual correlations standardised by the observed SDs;
    # with a mean structure the standardised mean residuals count too; groups weighted by N_g
    srmr_g, logl = [], 0.0
    sigmas = []
    for g in range(G):
        lam, phi, theta, nu, alpha = spec.matrices(x, g)
        sigma, mu = _implied(lam, phi, theta, nu, alpha)
        sigmas.append((lam, phi, theta, sigma))
        sd = np.sqrt(np.diag(S[g]))
        resid = (S[g] - sigma) / np.outer(sd, sd)
        vals = list(resid[np.tril_indices(p)])
        if meanstructure:
            vals += list((M[g] - mu) / sd)
        srmr_g.append(np.sqrt(np.mean(np.square(vals))))
        inv = np.linalg.inv(sigma)
        d = (M[g] - mu) if meanstructure else np.zeros(p)
        logl += -ns[g] / 2 * (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1] + np.trace(S[g] @ inv) + d @ inv @ d)
    srmr = float(np.sum(w * np.array(srmr_g)))
    npar = spec.npar
    fit = pd.Series({
        "chisq": chisq, "df": int(df), "pvalue": pvalue, "cfi": cfi, "tli": tli, "rmsea": rmsea,
        "rmsea_ci_low": lo, "rmsea_ci_high": hi, "srmr": srmr,
        "aic": -2 * logl + 2 * npar, "bic": -2 * logl + npar * np.log(n), "logl": logl, "npar": npar,
        "baseline_chisq": chisq_b, "baseline_df": df_b, "n_obs": int(n),
    }, dtype=object)
    return dict(spec=spec, x=x, fit=fit, sigmas=sigmas, ns=ns,
                converged=bool(res.success or np.max(np.abs(res.jac)) < 1e-6))


def _standard_errors(x: np.ndarray, spec: _Spec, ns: np.ndarray) -> np.ndarray:
    """Standard errors from the expected information matrix, as lavaan's default
    (``se = "standard"``, ``information = "expected"``):
    ``I_ij = sum_g N_g [tr(Sigma^-1 dSigma_i Sigma^-1 dSigma_j) / 2 + dmu_i' Sigma^-1 dmu_j]`` and
    ``cov = I^-1``. Derivatives by central differences, which are exact here because every
    parameter enters Sigma and mu at most quadratically."""
    k = len(x)
    info = np.zeros((k, k))
    h = 1e-4
    for g in range(spec.g):
        sigma, mu = _implied(*spec.matrices(x, g))
        inv = np.linalg.inv(sigma)
        ds, dm = [], []
        for i in range(k):
            xp, xm = x.copy(), x.copy()
            xp[i] += h
            xm[i] -= h
            sp, mp = _implied(*spec.matrices(xp, g))
            sm, mm = _implied(*spec.matrices(xm, g))
            ds.append(inv @ ((sp - sm) / (2 * h)))
            dm.append((mp - mm) / (2 * h))
        for i in range(k):
            for j in range(i + 1):
                v = 0.5 * np.sum(ds[i] * ds[j].T)
                if spec.meanstructure:
                    v += dm[i] @ inv @ dm[j]
                info[i, j] += ns[g] * v
                if i != j:
                    info[j, i] += ns[g] * v
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full(k, np.nan)
    return np.sqrt(np.clip(np.diag(cov), 0, None))


def _rmsea_ci(chisq: float, df: int, n: float, G: int, level: float = 0.90) -> tuple[float, float]:
    """lavaan's RMSEA interval: the noncentrality lambda with P(chi2(df, lambda) <= X2) equal to
    0.95 and 0.05, turned into sqrt(lambda / (N df)) (times sqrt(G) with groups)."""
    from scipy.optimize import brentq

    def ncp_for(target):
        fn = lambda lam: stats.ncx2.cdf(chisq, df, lam) - target if lam > 0 else stats.chi2.cdf(chisq, df) - target
        if fn(0.0) < 0:
            return 0.0
        hi = max(chisq, 1.0)
        while fn(hi) > 0:
            hi *= 2
        return brentq(fn, 0.0, hi, xtol=1e-12)

    a = (1 - level) / 2
    lam_lo, lam_hi = ncp_for(1 - a), ncp_for(a)
    return float(np.sqrt(lam_lo / (n * df)) * np.sqrt(G)), float(np.sqrt(lam_hi / (n * df)) * np.sqrt(G))


def cfa(model: str, data: pd.DataFrame, group: str | None = None, keys: Sequence[str] | None = None) -> CFA:
    """Confirmatory factor analysis by maximum likelihood, as ``lavaan::cfa(model, data)``.

    ``model`` uses lavaan syntax: ``"relevance =~ REL1 + REL2 + REL3"`` (one line per factor;
    the first indicator's loading is fixed to 1, factor variances and covariances are free)
    and optional residual covariances ``"REL1 ~~ REL2"``.

    The discrepancy is lavaan's ``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p`` with S the
    covariance matrix with divisor N, ``chisq = N F``; ``cfi``, ``tli`` against the independence
    model; ``rmsea = sqrt(max(chisq/N/df - 1/N, 0))`` with lavaan's 90% interval;
    ``srmr`` as lavaan's (Bentler's) standardised root mean square residual; ``aic``, ``bic`` from
    the log-likelihood. ``keys`` names reverse-keyed items: they are sign-flipped before fitting
    (which changes only the sign of their loadings and covariances), so that loadings, ``omega``
    and ``cr`` describe the scale as scored; without keys their loadings come out negative and
    the reliabilities of their factors are understated.

    ``estimates`` lists every free parameter (lhs, op, rhs, group, est, se, z, pvalue; standard
    errors from the expected information matrix, as lavaan's default); ``std_loadings`` the
    completely standardized loadings (lavaan's ``std.all``); ``reliability`` per factor:
    ``omega`` (McDonald, ``(sum lambda)^2 phi / ((sum lambda)^2 phi + sum theta)``), ``cr``
    (composite reliability from standardized loadings, Fornell & Larcker 1981) and ``ave``.

    With ``group=`` the function fits configural, metric (equal loadings) and scalar (equal
    loadings and intercepts; latent means free after the first group) models with a mean
    structure, as lavaan's ``group.equal``; ``invariance`` holds their fit, the chi-square
    difference test against the previous model and delta CFI (Cheung & Rensvold 2002: a drop
    larger than 0.01 suggests non-invariance). ``fit`` is then the configural model's.

    A saturated model (``df = 0``, e.g. one factor with three indicators) fits perfectly by
    construction: ``chisq = 0``, ``cfi = 1``, ``rmsea = 0`` and ``pvalue``, ``tli`` are NaN
    because there is nothing to test.

    Missing data: rows with any missing indicator (or group) are dropped (lavaan's default
    listwise deletion); ``n_obs`` counts the rows used.
    """
    spec_model = parse_model(model)
    items = spec_model.items
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise DataError(f"cfa: the data have no column(s) {', '.join(missing)} named in the model")
    cols = items + ([group] if group else [])
    if group and group not in data.columns:
        raise DataError(f"cfa: group column {group!r} is not in the data")
    frame = data[cols].dropna()
    x_all, _ = _as_matrix(frame[items], "cfa", min_items=2, min_rows=3)
    _check_variance(x_all, items, "cfa")
    keys = [str(k) for k in (keys or [])]
    unknown = [k for k in keys if k not in items]
    if unknown:
        raise DataError(f"cfa: key(s) {', '.join(unknown)} are not indicators in the model")
    x_all = x_all * np.array([-1.0 if i in keys else 1.0 for i in items])
    if group:
        labels = list(pd.unique(frame[group]))
        if len(labels) < 2:
            raise DataError(f"cfa: group column {group!r} has only one value among complete rows")
        groups = [x_all[(frame[group] == lab).to_numpy()] for lab in labels]
        small = [str(lab) for lab, xg in zip(labels, groups) if len(xg) <= len(items)]
        if small:
            raise DataError(f"cfa: group(s) {', '.join(small)} have no more complete rows than items ({len(items)}); "
                            "merge groups or collect more data")
    else:
        labels = [None]
        groups = [x_all]
        if len(x_all) <= len(items):
            raise DataError(f"cfa: {len(x_all)} complete rows for {len(items)} items; need more rows than items")
    meanstructure = group is not None
    base = _fit_model(spec_model, groups, (), meanstructure)
    invariance = None
    if group:
        rows = {"configural": base}
        rows["metric"] = _fit_model(spec_model, groups, ("loadings",), True)
        rows["scalar"] = _fit_model(spec_model, groups, ("loadings", "intercepts"), True)
        recs, prev = [], None
        for name, r in rows.items():
            f = r["fit"]
            rec = {"model": name, "chisq": f.chisq, "df": f.df, "pvalue": f.pvalue, "cfi": f.cfi, "tli": f.tli,
                   "rmsea": f.rmsea, "srmr": f.srmr, "aic": f.aic, "bic": f.bic,
                   "delta_chisq": np.nan, "delta_df": np.nan, "delta_pvalue": np.nan, "delta_cfi": np.nan}
            if prev is not None:
                dchi = f.chisq - prev.chisq
                ddf = f.df - prev.df
                rec.update(delta_chisq=dchi, delta_df=ddf, delta_pvalue=float(stats.chi2.sf(dchi, ddf)),
                           delta_cfi=f.cfi - prev.cfi)
            recs.append(rec)
            prev = f
        invariance = pd.DataFrame(recs).set_index("model")

    spec, xhat = base["spec"], base["x"]
    est_rows, std_rows, rel_rows = [], [], []
    for g in range(spec.g):
        lam, phi, theta, sigma = base["sigmas"][g]
        glab = labels[g]
        sd_item = np.sqrt(np.diag(sigma))
        for k, f in enumerate(spec.factors):
            its = spec_model.factors[f]
            idx = [spec.items.index(i) for i in its]
            l = lam[idx, k]
            std = l * np.sqrt(phi[k, k]) / sd_item[idx]
            for it, li, si in zip(its, l, std):
                std_rows.append({"factor": f, "item": it, "group": glab, "est": li, "std_all": si})
            th = theta[np.ix_(idx, idx)]
            om = (l.sum() ** 2 * phi[k, k]) / (l.sum() ** 2 * phi[k, k] + th.sum())
            cr = std.sum() ** 2 / (std.sum() ** 2 + np.sum(1 - std**2))
            rel_rows.append({"factor": f, "group": glab, "omega": om, "cr": cr, "ave": float(np.mean(std**2))})
    se = _standard_errors(xhat, spec, base["ns"])
    for i, (name, v) in enumerate(zip(spec.names, xhat)):
        body, _, gtag = name.partition("[")
        g = int(gtag.rstrip("]")) - 1 if gtag else 0
        for op in ("=~", "~~", "~1"):
            if op in body:
                lhs, rhs = body.split(op)
                break
        z = float(v / se[i]) if se[i] > 0 else np.nan
        est_rows.append({"lhs": lhs, "op": op, "rhs": rhs, "group": labels[g], "est": float(v), "se": float(se[i]),
                         "z": z, "pvalue": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan})
    drop_group = group is None
    estimates = pd.DataFrame(est_rows)
    std_loadings = pd.DataFrame(std_rows)
    reliability = pd.DataFrame(rel_rows)
    if drop_group:
        estimates = estimates.drop(columns="group")
        std_loadings = std_loadings.drop(columns="group")
        reliability = reliability.drop(columns="group").set_index("factor")
    if not base["converged"]:
        warnings.warn("cfa: the optimiser did not fully converge; check the model (enough indicators per "
                      "factor? Heywood case?)", UserWarning, stacklevel=2)
    return CFA(fit=base["fit"], estimates=estimates, std_loadings=std_loadings, reliability=reliability,
               invariance=invariance, n_obs=int(base["fit"].n_obs), converged=base["converged"])
