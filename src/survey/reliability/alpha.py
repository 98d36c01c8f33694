"""Cronbach's alpha with confidence intervals and item analysis, as ``psych::alpha``."""
from __future__ import annotations

import dataclasses
import warnings
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from .._checks import DEFAULT_SEED, check_choice, check_confidence, check_positive_int, renamed
from ..errors import DataError, ParameterError
from ..results import Result
from ._bootstrap import bootstrap_alphas
from ._matrix import (_as_matrix, _check_variance, _complete_cov, _first_pc_signs, _key_signs, _warn, cov2cor,
                      pairwise_cov, smc)
from .polychoric import _polychoric

__all__ = ["AlphaResult", "alpha", "alpha_for", "alpha_band", "flag_items", "feldt_ci", "raw_alpha"]

# psych prints the Duhachek interval as alpha +/- 1.96 * ase; we use the same constant so that
# the interval agrees to the last digit.
_Z95 = 1.96


@dataclasses.dataclass(frozen=True)
class AlphaResult(Result):
    """Cronbach's alpha and item analysis (see :func:`alpha`).

    ``summary`` holds the scale statistics (``to_frame()`` gives them as one row), ``items`` one
    row per item, ``keys`` the reverse-keyed items, ``boot`` the bootstrap draws of ``raw_alpha``
    (``ci="bootstrap"`` only; left out of ``to_dict()``).
    """

    main = "summary"

    summary: pd.Series
    items: pd.DataFrame
    keys: tuple[str, ...] = ()
    boot: np.ndarray | None = dataclasses.field(default=None, repr=False)

    @property
    def raw_alpha(self) -> float:
        return float(self.summary["raw_alpha"])


def feldt_ci(raw_alpha: float, n_obs: int, n_items: int, confidence: float = 0.95,
             level: float | None = None) -> tuple[float, float]:
    """Feldt (1965) interval, as ``psych::alpha.ci``: ``1 - (1 - alpha) * F`` with F quantiles on
    ``n_obs - 1`` and ``(n_obs - 1)(n_items - 1)`` degrees of freedom.

    ``level`` is the old name of ``confidence``.

    Examples
    --------
    >>> [round(v, 4) for v in feldt_ci(0.8, n_obs=100, n_items=5)]
    [0.7306, 0.8559]
    """
    confidence = check_confidence(renamed("feldt_ci", "level", level, "confidence", confidence, 0.95))
    p = 1 - confidence
    df1 = n_obs - 1
    df2 = df1 * (n_items - 1)
    # special.fdtri is what stats.f.ppf computes, without its argument checks (40 times the cost)
    low = 1 - (1 - raw_alpha) * special.fdtri(df1, df2, 1 - p / 2)
    high = 1 - (1 - raw_alpha) * special.fdtri(df1, df2, p / 2)
    return float(low), float(high)


# -- the pieces of alpha --------------------------------------------------------------------------

def _alpha1(c: np.ndarray, r: np.ndarray, smc_r: np.ndarray | None = None) -> dict[str, float]:
    """psych's internal ``alpha.1``: the scale statistics from one covariance and correlation."""
    n = c.shape[0]
    sum_c, tr_c = c.sum(), np.trace(c)
    sum_r = r.sum()
    raw = _raw_alpha(c)
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


def _covariance(x: np.ndarray, cols: list[str], any_nan: bool, use: str,
                what: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The item covariance matrix and, for complete data, the item means (None otherwise).

    Complete data (the common large case): one Gram matrix, no centred copy of the data; centred
    explicitly only when large means would make the subtraction lose digits. Otherwise pairwise
    (psych's default) or over the rows answering every item (``use="complete"``).
    """
    nsub = x.shape[0]
    if not any_nan:
        mu = x.mean(axis=0)
        c = (x.T @ x - nsub * np.outer(mu, mu)) / (nsub - 1)
        if np.any(mu**2 > 1e6 * np.abs(np.diag(c))):
            xc = x - mu
            c = (xc.T @ xc) / (nsub - 1)
        const = [col for col, v in zip(cols, np.diag(c)) if not v > 0]
        if const:
            _check_variance(x[:, [cols.index(k) for k in const]], const, what)
        return c, mu
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
    return c, None


def _score_statistics(x: np.ndarray, c: np.ndarray, mu: np.ndarray | None, sign: np.ndarray,
                      lo: float, hi: float, use: str) -> tuple[np.ndarray, np.ndarray, float, float, np.ndarray]:
    """Item means and SDs (keyed items reversed as ``(lo + hi) - x``), mean and SD of the total
    score (the mean of each respondent's answered items) and ``raw_r``, each item's correlation
    with that total. ``c`` is the keyed covariance matrix, ``mu`` the item means of complete data."""
    nsub, nvar = x.shape
    keyed = bool((sign < 0).any())
    if mu is not None:
        # reversing is affine: the reversed total is (x @ sign) / k plus a constant, and the
        # item-total cross products are sign * (centred total @ x)
        item_mean = np.where(sign < 0, (lo + hi) - mu, mu) if keyed else mu
        item_sd = np.sqrt(np.diag(c))
        t = x @ (sign / nvar)
        tc = t - t.mean()
        mean_t = float(item_mean.mean())
        ss_t = float(tc @ tc)
        sd_t = float(np.sqrt(ss_t / (nsub - 1)))
        raw_r = sign * (tc @ x) / np.sqrt(ss_t * np.diag(c) * (nsub - 1))
        return item_mean, item_sd, mean_t, sd_t, raw_r
    xr = x
    if keyed:
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
    return item_mean, item_sd, mean_t, sd_t, raw_r


def _if_dropped(c: np.ndarray, r: np.ndarray, nsub: int) -> list[dict[str, float]]:
    """The scale statistics without each item in turn (psych's ``alpha.drop``)."""
    nvar = c.shape[0]
    rows = []
    if nvar > 2:
        smc_drop = _smc_drop(r)
        for i in range(nvar):
            keep = np.arange(nvar) != i
            d = _alpha1(c[np.ix_(keep, keep)], r[np.ix_(keep, keep)], None if smc_drop is None else smc_drop[i])
            d["ase"] = np.sqrt(d["q"] / nsub) if nsub > nvar else np.nan
            rows.append(d)
    else:
        # two items: what is left is one item; psych reports these quantities
        r12 = r[0, 1]
        for i in range(2):
            raw = c[0, 1] / c[1, 1] if i == 0 else c[0, 1] / c[0, 0]
            rows.append(dict(raw_alpha=raw, std_alpha=r12, g6=smc(r)[0], average_r=r12,
                             s_n=r12 / (1 - r12), ase=np.nan, var_r=0.0, median_r=r12))
    return rows


def _item_total(c: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``std_r`` (item with the standardized total), ``r_cor`` (corrected for overlap and
    reliability) and ``r_drop`` (item with the sum of the other items)."""
    nvar = c.shape[0]
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
    return std_r, r_cor, r_drop


def _interval(ci: str, raw_alpha: float, ase: float, x: np.ndarray, sign: np.ndarray, n_boot: int,
              seed: int | None, use: str, confidence: float, what: str) -> tuple[float, float, np.ndarray | None]:
    """``(ci_low, ci_high, boot)`` for the chosen interval (``boot`` for the bootstrap only)."""
    nsub, nvar = x.shape
    if ci == "feldt":
        return (*feldt_ci(raw_alpha, nsub, nvar, confidence), None)
    if ci == "duhachek":
        z = _Z95 if confidence == 0.95 else float(stats.norm.ppf(0.5 + confidence / 2))
        return raw_alpha - z * ase, raw_alpha + z * ase, None
    xb = x * np.where(sign < 0, -1.0, 1.0)  # sign flip gives the same covariances as reversing
    boot = bootstrap_alphas(xb, n_boot, seed, use)
    if not np.isfinite(boot).all():
        raise DataError(
            f"{what}: {int((~np.isfinite(boot)).sum())} bootstrap resamples gave no alpha (too few "
            "rows answer some pair of items); use ci='feldt' or collect more data")
    lo, hi = (float(v) for v in np.quantile(boot, [(1 - confidence) / 2, (1 + confidence) / 2]))
    return lo, hi, boot


# -- alpha ----------------------------------------------------------------------------------------

def _keyed_covariance(data: pd.DataFrame, keys: Sequence[str] | None, use: str, what: str):
    """The checked item matrix and its covariance with reverse-keyed items sign-flipped
    (``C = K C K``): ``(x, cols, any_nan, keys, sign, c, mu)``, ``mu`` as :func:`_covariance`."""
    x, cols = _as_matrix(data, what)
    any_nan = bool(np.isnan(x.sum()))  # NaN propagates; cheaper than a boolean mask of the data
    if any_nan:
        _check_variance(x, cols, what)
    keys, sign = _key_signs(keys, cols, what)
    c, mu = _covariance(x, cols, any_nan, use, what)
    return x, cols, any_nan, keys, sign, c * np.outer(sign, sign), mu


def _raw_alpha(c: np.ndarray) -> float:
    """``k/(k-1) (1 - tr C / sum C)`` of a keyed covariance matrix."""
    n = c.shape[0]
    return (1 - np.trace(c) / c.sum()) * n / (n - 1)


def raw_alpha(data: pd.DataFrame, keys: Sequence[str] | None = None,
              use: Literal["pairwise", "complete"] = "pairwise") -> float:
    """Cronbach's raw alpha alone, ``k/(k-1) (1 - tr C / sum C)``: the ``raw_alpha`` of :func:`alpha`
    with the same keys, covariances and checks, without the item analysis and the interval.

    For a table of many alphas (a construct per wave, per group), where :func:`alpha`'s item
    statistics would be computed only to be thrown away. Missing data and errors as :func:`alpha`.

    Examples
    --------
    >>> from survey import datasets
    >>> df = datasets.load("reaction")
    >>> round(raw_alpha(df[["REL1", "REL2", "REL3", "REL4"]], keys=["REL4"]), 3)
    0.808
    """
    check_choice("use", use, ("pairwise", "complete"))
    c = _keyed_covariance(data, keys, use, "alpha")[5]
    return float(_raw_alpha(c))


def alpha(
    data: pd.DataFrame,
    keys: Sequence[str] | None = None,
    ci: Literal["feldt", "duhachek", "bootstrap"] = "feldt",
    n_boot: int = 1000,
    seed: int | None = DEFAULT_SEED,
    use: Literal["pairwise", "complete"] = "pairwise",
    confidence: float = 0.95,
    scale_range: tuple[float, float] | None = None,
    cor: Literal["pearson", "polychoric"] = "pearson",
    level: float | None = None,
) -> AlphaResult:
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
        rows drawn with ``seed`` (quantiles as R's type 7). Resample b takes the rows in row b
        of ``numpy.random.default_rng(seed).integers(0, n, size=(n_boot, n))``; with missing
        answers each resample gets its own covariance matrix as the point estimate does
        (pairwise, or its complete rows with ``use="complete"``), computed from weighted sums of
        cross-products and counts over the original rows, never from a resampled copy.
    n_boot : int
        Number of bootstrap resamples (``ci="bootstrap"`` only). The resamples run as independent
        blocks on the idle cores (the usable cores less the load average, at least one), with
        BLAS held to one thread (threadpoolctl): BLAS threads waiting for each other on a busy
        machine are slower than one thread, so a busy machine runs one thread and a quiet one
        every core. The numbers do not depend on the number of threads.
    seed : int or None
        Seed of the bootstrap resamples; ``None`` for fresh entropy.
    use : {"pairwise", "complete"}
        Covariances from pairwise-complete observations (default, as psych) or from rows with
        every item answered.
    confidence : float
        Confidence level of the interval (``level`` is its old name).
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
    AlphaResult
        ``summary`` (Series): ``raw_alpha`` (``k/(k-1) (1 - tr C / sum C)``), ``std_alpha``
        (from the correlations), ``g6`` (Guttman's lambda 6 from squared multiple
        correlations), ``average_r``, ``median_r``, ``var_r``, ``s_n`` (signal/noise
        ``k r / (1 - r)``), ``ase`` (Duhachek's asymptotic standard error, with n = all rows),
        ``mean`` and ``sd`` of the total score (the mean of each respondent's answered items),
        ``ci_low``, ``ci_high``, ``ci_method``, ``confidence``, ``n_obs`` (all rows), ``n_items``.

        ``items`` (DataFrame, one row per item): ``n`` answers, ``missing`` (share of rows
        without an answer, psych's ``miss``), ``raw_r`` (item with total score), ``std_r`` (item
        with standardized total), ``r_cor`` (corrected for overlap and reliability), ``r_drop``
        (corrected item-total correlation: item with the sum of the other items),
        ``mean``, ``sd`` (after reversing keyed items), and alpha if the item is dropped:
        ``raw_alpha_drop``, ``std_alpha_drop``, ``g6_drop``, ``average_r_drop``,
        ``s_n_drop``, ``ase_drop``, ``var_r_drop``, ``median_r_drop``; ``reversed``.

        ``boot``: the bootstrap draws of ``raw_alpha`` (``ci="bootstrap"``), else None.
        ``warnings``: the sentences also issued as ``UserWarning`` (see Warns).

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
    >>> from survey import datasets
    >>> df = datasets.load("reaction")
    >>> res = alpha(df[["REL1", "REL2", "REL3", "REL4"]], keys=["REL4"])
    >>> round(res.raw_alpha, 3)
    0.808
    >>> res.items["r_drop"].round(2).tolist()
    [0.64, 0.62, 0.62, 0.62]
    """
    what = "alpha"
    confidence = check_confidence(renamed(what, "level", level, "confidence", confidence, 0.95))
    check_choice("use", use, ("pairwise", "complete"))
    check_choice("ci", ci, ("feldt", "duhachek", "bootstrap"))
    check_choice("cor", cor, ("pearson", "polychoric"))
    if cor == "polychoric" and ci == "bootstrap":
        raise ParameterError(f"{what}: the bootstrap interval is not available for ordinal (polychoric) alpha; "
                             "use ci='feldt' or ci='duhachek'")
    if ci == "bootstrap":
        n_boot = check_positive_int("n_boot", n_boot, minimum=2)
    x, cols, any_nan, keys, sign, c, mu = _keyed_covariance(data, keys, use, what)
    nsub, nvar = x.shape
    c_answers = c  # describes the answers themselves, whatever `cor` says (item SDs, raw_r)
    notes: list[str] = []
    if cor == "polychoric":
        # pairwise: the item matrix already read; complete: its rows without a missing answer
        c, poly_notes = (_polychoric(x, cols) if use == "pairwise"
                         else _polychoric(*_as_matrix(data.dropna(), "polychoric")))
        c = c * np.outer(sign, sign)
        notes += poly_notes
    r = cov2cor(c)

    negative = [col for col, s in zip(cols, _first_pc_signs(r)) if s < 0]
    if negative:
        hint = ("pass them as keys (reverse-keyed items)" if not keys
                else "check the keys; these items still correlate negatively after reversing")
        notes.append(f"{what}: item(s) {', '.join(negative)} correlate negatively with the total scale; {hint}")

    lo = hi = np.nan  # ends of the scale, used to reverse keyed items
    if keys:
        lo, hi = scale_range if scale_range is not None else (np.nanmin(x), np.nanmax(x))
    item_mean, item_sd, mean_t, sd_t, raw_r = _score_statistics(x, c_answers, mu, sign, lo, hi, use)

    tot = _alpha1(c, r)
    ase = float(np.sqrt(tot["q"] / nsub))
    drop_rows = _if_dropped(c, r, nsub)
    std_r, r_cor, r_drop = _item_total(c, r)
    n_valid = (~np.isnan(x)).sum(axis=0) if any_nan else np.full(nvar, nsub)

    items = pd.DataFrame({
        "n": n_valid.astype(int),
        "missing": 1 - n_valid / nsub,
        "raw_r": raw_r, "std_r": std_r, "r_cor": r_cor, "r_drop": r_drop,
        "mean": item_mean, "sd": item_sd,
        **{f"{k}_drop": [d[k] for d in drop_rows]
           for k in ("raw_alpha", "std_alpha", "g6", "average_r", "s_n", "ase", "var_r", "median_r")},
        "reversed": sign < 0,
    }, index=pd.Index(cols, name="item"))

    lo_ci, hi_ci, boot = _interval(ci, tot["raw_alpha"], ase, x, sign, n_boot, seed, use, confidence, what)
    summary = pd.Series({
        "raw_alpha": tot["raw_alpha"], "std_alpha": tot["std_alpha"], "g6": tot["g6"],
        "average_r": tot["average_r"], "median_r": tot["median_r"], "var_r": tot["var_r"],
        "s_n": tot["s_n"], "ase": ase, "mean": mean_t, "sd": sd_t,
        "ci_low": float(lo_ci), "ci_high": float(hi_ci), "ci_method": ci, "confidence": confidence,
        "n_obs": int(nsub), "n_items": int(nvar),
    }, dtype=object)
    _warn(notes)
    return AlphaResult(summary=summary, items=items, keys=tuple(keys), boot=boot, warnings=tuple(notes))


def alpha_for(df: pd.DataFrame, instrument, construct: str, **kwargs) -> AlphaResult:
    """:func:`alpha` for one construct of an instrument: its items, with the instrument's
    reverse-keyed items as ``keys`` and the scale's ends as ``scale_range``.

    ``df`` is a frame from :func:`survey.read_responses` (answers as given, not reversed).
    Other keyword arguments go to :func:`alpha`.

    Examples
    --------
    >>> from survey import datasets
    >>> res = alpha_for(datasets.load("reaction"), "training_reaction", "relevance")
    >>> res.keys, round(res.raw_alpha, 3)
    (('REL4',), 0.808)
    """
    from ..instrument import load_instrument

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
    ``"poor"`` (>= .50) or ``"unacceptable"``. A rule of thumb, not a test.

    Examples
    --------
    >>> alpha_band(0.82)
    'good'
    """
    if value is None or not np.isfinite(value):
        raise DataError(f"alpha_band: needs a finite coefficient, got {value!r}")
    for cut, name in _BANDS:
        if value >= cut:
            return name
    return "unacceptable"


def flag_items(res: AlphaResult, min_r_drop: float = 0.30) -> pd.DataFrame:
    """Items worth a second look, from an :func:`alpha` result.

    Columns: ``low_r_drop`` (corrected item-total correlation below ``min_r_drop``, 0.30 by the
    usual rule of thumb, Nunnally & Bernstein 1994), ``alpha_rises`` (raw alpha is higher
    without the item) and ``flagged`` (either). Index as ``res.items``.

    Examples
    --------
    REL4 of the shipped reaction data is reverse-keyed; left unreversed it is the one flagged:

    >>> import warnings
    >>> from survey import datasets
    >>> from survey.reliability import alpha, flag_items
    >>> d = datasets.load("reaction")[["REL1", "REL2", "REL3", "REL4"]]
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")   # alpha warns about the negative item too
    ...     flags = flag_items(alpha(d))
    >>> list(flags.index[flags["flagged"]])
    ['REL4']
    """
    it = res.items
    low = it["r_drop"] < min_r_drop
    rises = it["raw_alpha_drop"] > res.raw_alpha
    return pd.DataFrame({"low_r_drop": low, "alpha_rises": rises, "flagged": low | rises}, index=it.index)
