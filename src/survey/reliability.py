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

__all__ = ["Alpha", "alpha", "alpha_for", "alpha_band", "flag_items"]

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
    x = data.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return x, cols


def _check_variance(x: np.ndarray, cols: list[str], what: str) -> None:
    counts = np.sum(~np.isnan(x), axis=0)
    empty = [c for c, k in zip(cols, counts) if k < 2]
    if empty:
        raise DataError(f"{what}: item(s) {', '.join(empty)} have fewer than 2 answers; drop them from the analysis")
    sd = np.nanstd(x, axis=0)
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
    m = (~np.isnan(x)).astype(float)
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


def _alpha1(c: np.ndarray, r: np.ndarray) -> dict[str, float]:
    """psych's internal ``alpha.1``: the scale statistics from one covariance and correlation."""
    n = c.shape[0]
    sum_c, tr_c = c.sum(), np.trace(c)
    sum_r = r.sum()
    raw = (1 - tr_c / sum_c) * n / (n - 1)
    std = (1 - n / sum_r) * n / (n - 1)
    g6 = 1 - (n - smc(r).sum()) / sum_r
    av_r = (sum_r - n) / (n * (n - 1))
    low = r[np.tril_indices(n, -1)]
    var_r = float(np.var(low, ddof=1)) if low.size > 1 else np.nan
    med_r = float(np.median(low))
    sn = n * av_r / (1 - av_r)
    cc = c @ c
    q = (2 * n**2 / ((n - 1) ** 2 * sum_c**3)) * (sum_c * (np.trace(cc) + tr_c**2) - 2 * tr_c * cc.sum())
    return dict(raw_alpha=raw, std_alpha=std, g6=g6, average_r=av_r, s_n=sn, q=q, var_r=var_r, median_r=med_r)


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
        xc = xs - xs.mean(axis=0)
        s = xc.sum(axis=1)
        stacked = np.column_stack([xc, xc**2, s, s**2])
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
            item_var = (sums[:, p:2 * p] - sums[:, :p] ** 2 / nb[:, None]) / (nb - 1)[:, None]
            tot_var = (sums[:, 2 * p + 1] - sums[:, 2 * p] ** 2 / nb) / (nb - 1)
            out[done:done + b] = (1 - item_var.sum(axis=1) / tot_var) * p / (p - 1)
        else:
            for i in range(b):
                c = pairwise_cov(xs, w[i])
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
    _check_variance(x, cols, what)
    if use not in ("pairwise", "complete"):
        raise DataError(f"{what}: use must be 'pairwise' or 'complete', got {use!r}")
    if ci not in ("feldt", "duhachek", "bootstrap"):
        raise DataError(f"{what}: ci must be 'feldt', 'duhachek' or 'bootstrap', got {ci!r}")
    keys = [str(k) for k in (keys or [])]
    unknown = [k for k in keys if k not in cols]
    if unknown:
        raise DataError(f"{what}: key(s) {', '.join(unknown)} are not among the items ({', '.join(cols)})")
    nsub, nvar = x.shape
    sign = np.array([-1.0 if c in keys else 1.0 for c in cols])

    if use == "complete":
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
    xr = x.copy()
    if keys:
        lo, hi = scale_range if scale_range is not None else (np.nanmin(x), np.nanmax(x))
        xr[:, sign < 0] = (lo + hi) - xr[:, sign < 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row with no answers has no total
        total = np.nanmean(xr, axis=1)
    has_total = ~np.isnan(total)
    mean_t = float(total[has_total].mean())
    sd_t = float(total[has_total].std(ddof=1))

    tot = _alpha1(c, r)
    ase = float(np.sqrt(tot["q"] / nsub))

    # alpha if item dropped
    drop_rows = []
    if nvar > 2:
        for i in range(nvar):
            keep = np.arange(nvar) != i
            d = _alpha1(c[np.ix_(keep, keep)], r[np.ix_(keep, keep)])
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
    if use == "complete":
        ok = ~np.isnan(xr).any(axis=1) & has_total
        raw_r = np.array([np.corrcoef(total[ok], xr[ok, i])[0, 1] for i in range(nvar)])
    else:
        raw_r = np.empty(nvar)
        for i in range(nvar):
            ok = has_total & ~np.isnan(xr[:, i])
            raw_r[i] = np.corrcoef(total[ok], xr[ok, i])[0, 1]
    n_valid = (~np.isnan(x)).sum(axis=0)

    items = pd.DataFrame({
        "n": n_valid.astype(int),
        "missing": 1 - n_valid / nsub,
        "raw_r": raw_r, "std_r": std_r, "r_cor": r_cor, "r_drop": r_drop,
        "mean": np.nanmean(xr, axis=0), "sd": np.nanstd(xr, axis=0, ddof=1),
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
