"""The index itself: :func:`ikm` and its result."""
from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats

from .._checks import (DEFAULT_SEED, as_list, check_choice, check_confidence, check_lang, check_positive_int,
                       renamed, require_columns)
from ..errors import DataError
from ..instrument import Instrument
from ..results import Result
from ._bootstrap import bootstrap_ci
from .grades import grade, grade_table, kinerja_label, krejcie_morgan, unsur_weights
from .unsur import answers, resolve_columns, unsur_table
from .weights import base_weights, group_weights

__all__ = ["IKMResult", "SKMWarning", "ikm"]

CI_METHODS = ("bootstrap", "delta", None)


class SKMWarning(UserWarning):
    """An unsur was excluded from a group's IKM (nobody answered it) and the weights renormalised."""


@dataclasses.dataclass(frozen=True)
class IKMResult(Result):
    """IKM per group.

    summary : one row per group: n (respondents with at least one answer), ikm (1-4), ikm_unit
        (25-100), mutu, kinerja, se (delta method), ci_low/ci_high (1-4), ci_low_unit/ci_high_unit,
        n_unsur (unsur used), excluded_unsur; with a population also population, n_required
        (Krejcie-Morgan) and small_sample.
    nrr : one row per group, one column per unsur: the NRR (NaN when nobody answered it).
    totals, counts : sum of answers and number of valid answers per group and unsur.
    unsur_weights : the weight each unsur got in each group (0 when excluded).
    unsur : code, labels, scale, the column it was read from and its nominal weight.
    weighting : the weight rule ("exact", "3dp", "2dp") or "mapping".
    confidence : confidence level of the interval; n_boot : bootstrap replicates (0 without).
    warnings : one sentence per group where an unsur was excluded.
    """

    main = "summary"

    summary: pd.DataFrame
    nrr: pd.DataFrame
    totals: pd.DataFrame
    counts: pd.DataFrame
    unsur_weights: pd.DataFrame
    unsur: pd.DataFrame
    regime: str
    weighting: str
    ci_method: str
    confidence: float
    n_boot: int
    by: tuple[str, ...]

    @property
    def conf(self) -> float:
        """Deprecated name of :attr:`confidence`."""
        warnings.warn("IKMResult.conf is renamed confidence", DeprecationWarning, stacklevel=2)
        return self.confidence

    @property
    def weights(self) -> pd.DataFrame:
        """Deprecated name of :attr:`unsur_weights` (``weights`` means observation weights)."""
        warnings.warn("IKMResult.weights is renamed unsur_weights", DeprecationWarning, stacklevel=2)
        return self.unsur_weights

    @property
    def weights_rule(self) -> str:
        """Deprecated name of :attr:`weighting`."""
        warnings.warn("IKMResult.weights_rule is renamed weighting", DeprecationWarning, stacklevel=2)
        return self.weighting


@dataclasses.dataclass(frozen=True)
class _Estimate:
    """Per-group sums and the index, before intervals and labels (G groups, k unsur)."""

    S: np.ndarray      # G x k sums of answers
    N: np.ndarray      # G x k valid answers
    n: np.ndarray      # G respondents with at least one answer
    nrr: np.ndarray    # G x k
    incl: np.ndarray   # G x k: unsur answered in the group
    W: np.ndarray      # G x k weights after exclusions
    value: np.ndarray  # G IKM (1-4)
    se: np.ndarray     # G delta-method standard errors


def ikm(data: pd.DataFrame, by: str | Sequence[str] | None = None, regime: str = "2017",
        weighting: str | Mapping[str, float] = "exact", instrument: str | Instrument | None = None,
        ci: str | None = "bootstrap", n_boot: int = 1000, confidence: float = 0.95, seed: int | None = DEFAULT_SEED,
        columns: Mapping[str, str] | None = None, missing_codes: Sequence[int] | None = None,
        population: str | Mapping[Any, float] | pd.Series | None = None, unit: str = "unit_id",
        lang: str = "id", *, conf: float | None = None,
        weights: str | Mapping[str, float] | None = None) -> IKMResult:
    """Indeks Kepuasan Masyarakat per group (PermenPANRB 14/2017; KepmenPAN 25/2004).

        NRR_i    = sum_r x_ri / n_i           (n_i = valid answers to unsur i in the group)
        IKM      = sum_i w_i NRR_i            (w_i = 1/9 for the 9 unsur of 2017, 1/14 for 2004)
        IKM_unit = 25 * IKM ,  mutu/kinerja from :func:`grade`

    Parameters
    ----------
    data : one row per respondent, one column per unsur (found by code or unsur name, never by
        position; ``columns={"U8": "q9"}`` overrides), plus the grouping columns.
    by : grouping column(s), e.g. ``["unit_id", "wave"]``; None = all rows as one group ("all").
    regime : "2017" (9 unsur) or "2004" (14 unsur); sets the unsur and the grade intervals.
    weighting : "exact" (1/k, default), "3dp" (0.111 / 0.071), "2dp" (0.11 / 0.07), or a mapping
        unsur -> weight that sums to 1 (a unit's own weighting). Formerly ``weights``.
    instrument : the instrument defining the unsur (default ``skm_2017`` for 2017, the built-in 14
        unsur for 2004).
    ci : "bootstrap" (respondent bootstrap with Poisson(1) frequencies, percentile interval),
        "delta" (normal interval from the delta-method SE) or None.
    n_boot, confidence, seed : bootstrap replicates, confidence level (formerly ``conf``), random
        seed; each group's stream is derived from the seed and the group's key, so a unit's
        interval is the same whichever other units are in the data.
    columns : unsur code -> column name, for files that name the unsur otherwise.
    missing_codes : answer codes meaning "no answer" (default: the scale's missing codes).
    population : yearly service users per unit (a column name, or a mapping / Series keyed by the
        ``unit`` column); adds n_required (Krejcie-Morgan) and small_sample.
    lang : language of the kinerja labels, "id" or "en".

    Returns
    -------
    IKMResult ; ``to_frame()`` gives the summary.

    Missing data
    ------------
    Blanks and missing codes are NA; each NRR uses the valid answers to its unsur, and a respondent
    counts in ``n`` when they answered at least one unsur. When nobody in a group answered an
    unsur, that unsur is excluded there and the weights are renormalised over the remaining k unsur
    (equal rules: 1/k, rounded as asked; a mapping: proportionally to sum to 1); the result's
    ``warnings`` and ``excluded_unsur`` say so, and an :class:`SKMWarning` is issued. Answers
    outside the scale raise :class:`DataError` naming row, column and value.

    Uncertainty
    -----------
    ``se`` is always the delta-method (linearisation) standard error of the IKM,
    var = n/(n-1) sum_r IF_r^2 with IF_r = sum_i w_i (x_ri - NRR_i) / n_i over the unsur r answered;
    with complete answers this is var(respondent score)/n. The bootstrap resamples respondents
    within each group with Poisson(1) frequencies (Hanley & MacGibbon 2006, Comput. Methods Programs
    Biomed. 83:57-62; probabilities rounded to 1/256, mean exactly 1), which approximates the
    multinomial bootstrap and makes a replicate's sums one matrix product; the IKM is a ratio of
    sums, so the varying resample size cancels to first order. Groups with fewer than 2 respondents
    get no interval. A replicate in which an unsur drew no valid answer uses the group's other unsur
    (weights renormalised, as above).

    Threading: groups are resampled as independent tasks on the idle cores (usable cores less the
    load average, at least one), with BLAS held to one thread (threadpoolctl): a busy machine runs
    one thread, a quiet one every core; the numbers do not depend on the number of threads.

    References
    ----------
    PermenPANRB 14/2017 (Pedoman Penyusunan Survei Kepuasan Masyarakat), Lampiran, "Pengolahan
    data"; KepmenPAN 25/2004 (Pedoman Umum Penyusunan IKM).

    Examples
    --------
    >>> from survey import datasets, skm
    >>> df = datasets.load("skm")
    >>> res = skm.ikm(df, by="unit_id", ci="delta")
    >>> res.summary[["n", "ikm_unit", "mutu", "ci_low_unit", "ci_high_unit"]].round(2)
             n  ikm_unit mutu  ci_low_unit  ci_high_unit
    unit_id
    KEL-01  40     78.79    B        75.76         81.82
    KEL-02  40     70.05    C        66.57         73.52
    PKM-01  40     83.50    B        81.36         85.63
    """
    confidence = renamed("ikm", "conf", conf, "confidence", confidence, 0.95)
    weighting = renamed("ikm", "weights", weights, "weighting", weighting, "exact")
    regime = _check_arguments(data, regime, ci, confidence, n_boot, lang)
    unsur = _unsur(regime, instrument)
    codes = list(unsur.index)
    colmap = resolve_columns(data, unsur, columns)
    base_w = base_weights(weighting, codes)
    by_cols = tuple(as_list(by))
    require_columns(data, by_cols, "ikm(by=...)")
    X = answers(data, colmap, unsur, missing_codes)
    gcode, index = _group_codes(data, by_cols)
    est = _estimate(X, gcode, len(index), base_w)
    lo, hi = _interval(est, ci, confidence, X, gcode, base_w, n_boot, seed, index)
    notes, excluded = _exclusions(est.incl, codes, index)
    summary = _summary(est, lo, hi, excluded, regime, lang, index)
    if population is not None:
        summary = _add_population(summary, data, population, unit, by_cols, gcode)
    if notes:
        shown = "; ".join(notes[:5]) + (f"; ... {len(notes) - 5} more" if len(notes) > 5 else "")
        warnings.warn(shown, SKMWarning, stacklevel=2)
    return _result(est, summary, unsur, colmap, base_w, weighting, regime, ci, confidence, n_boot, by_cols,
                   index, notes)


def _check_arguments(data: pd.DataFrame, regime: str, ci: str | None, confidence: float, n_boot: int,
                     lang: str) -> str:
    """The regime as a string, after every option is checked (before any work is done)."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"ikm() needs a pandas DataFrame, got {type(data).__name__}")
    grade_table(regime)
    check_choice("ci", ci, CI_METHODS)
    check_confidence(confidence)
    check_lang(lang)
    if ci == "bootstrap":
        check_positive_int("n_boot", n_boot, minimum=2)
    return str(regime)


@functools.lru_cache(maxsize=8)
def _builtin_unsur(regime: str) -> pd.DataFrame:
    return unsur_table(regime, None)


def _unsur(regime: str, instrument: str | Instrument | None) -> pd.DataFrame:
    """The unsur table; the built-in instrument's is read once per process (parsing its YAML took
    longer than computing the IKM of a city), a given instrument every time (it may be edited)."""
    if instrument is None:
        return _builtin_unsur(str(regime)).copy()
    return unsur_table(regime, instrument)


def _group_codes(data: pd.DataFrame, by_cols: tuple[str, ...]) -> tuple[np.ndarray, pd.Index]:
    """Group number of every row (groups sorted by their keys) and the groups' index."""
    if not by_cols:
        return np.zeros(len(data), dtype=np.int64), pd.Index(["all"], name="group")
    gb = data.groupby(list(by_cols), sort=True, dropna=False, observed=True)
    return gb.ngroup().to_numpy(), gb.size().index


def _estimate(X: np.ndarray, gcode: np.ndarray, G: int, base_w: str | dict[str, float]) -> _Estimate:
    """NRR, IKM and its delta-method SE for every group: group sums as one product with a sparse
    row-to-group indicator (one pass over the rows, no loop over groups or unsur)."""
    k = X.shape[1]
    V = np.isfinite(X)
    X0 = np.where(V, X, 0.0)
    if not G:
        empty = np.zeros((0, k))
        return _Estimate(S=empty, N=empty, n=np.zeros(0, dtype=int), nrr=empty, incl=empty.astype(bool), W=empty,
                         value=np.zeros(0), se=np.zeros(0))
    nrow = len(gcode)
    to_group = sparse.csr_matrix((np.ones(nrow), (gcode, np.arange(nrow))), shape=(G, nrow))
    sums = to_group @ np.column_stack([X0, V, V.any(axis=1)])
    S, N = sums[:, :k], sums[:, k:2 * k]
    n = np.rint(sums[:, -1]).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        nrr = np.where(N > 0, S / np.where(N > 0, N, 1), np.nan)
    incl = N > 0
    W = group_weights(incl, base_w)
    value = np.where(incl.any(axis=1), np.nansum(np.where(incl, W * nrr, 0.0), axis=1), np.nan)
    # delta-method SE: influence of each respondent on the ratio-of-sums estimator
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(incl, W / np.where(N > 0, N, 1), 0.0)            # G x k
    IF = np.sum(np.where(V, (X0 - nrr[gcode]) * coef[gcode], 0.0), axis=1)
    ss = to_group @ (IF * IF)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(n >= 2, np.sqrt(ss * n / np.maximum(n - 1, 1)), np.nan)
    return _Estimate(S=S, N=N, n=n, nrr=nrr, incl=incl, W=W, value=value, se=se)


def _interval(est: _Estimate, ci: str | None, confidence: float, X: np.ndarray, gcode: np.ndarray,
              base_w: str | dict[str, float], n_boot: int, seed: int | None,
              index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    G = len(index)
    if ci == "delta":
        z = stats.norm.ppf(0.5 + confidence / 2)
        return est.value - z * est.se, est.value + z * est.se
    if ci == "bootstrap":
        V = np.isfinite(X)
        return bootstrap_ci(gcode, np.where(V, X, 0.0), V, est.incl, base_w, est.n, n_boot, confidence, seed,
                            [_key(index[g]) for g in range(G)])
    return np.full(G, np.nan), np.full(G, np.nan)


def _key(value: Hashable) -> tuple[Hashable, ...]:
    """A group's key as a tuple (unit, wave), whatever the number of grouping columns."""
    return value if isinstance(value, tuple) else (value,)


def _exclusions(incl: np.ndarray, codes: list[str], index: pd.Index) -> tuple[list[str], np.ndarray]:
    """One sentence per group with an excluded unsur, and the excluded codes per group ("" for none)."""
    notes: list[str] = []
    excluded = np.full(len(index), "", dtype=object)
    for g in np.flatnonzero(~incl.all(axis=1)):
        miss = [codes[j] for j in np.flatnonzero(~incl[g])]
        excluded[g] = ",".join(miss)
        key = ", ".join(f"{nm}={v}" for nm, v in zip(index.names, _key(index[g])))
        if incl[g].any():
            notes.append(f"group {key}: nobody answered {', '.join(miss)}; excluded, weights renormalised "
                         f"over {int(incl[g].sum())} unsur")
        else:
            notes.append(f"group {key}: no valid answer at all; IKM is missing")
    return notes, excluded


def _summary(est: _Estimate, lo: np.ndarray, hi: np.ndarray, excluded: np.ndarray, regime: str, lang: str,
             index: pd.Index) -> pd.DataFrame:
    G = len(index)
    mutu = grade(est.value, regime, "ikm") if G else np.array([], dtype=object)
    return pd.DataFrame({
        "n": est.n, "ikm": est.value, "ikm_unit": est.value * 25, "mutu": mutu,
        "kinerja": kinerja_label(mutu, lang) if G else np.array([], dtype=object),
        "se": est.se, "ci_low": lo, "ci_high": hi, "ci_low_unit": lo * 25, "ci_high_unit": hi * 25,
        "n_unsur": est.incl.sum(axis=1), "excluded_unsur": excluded,
    }, index=index)


def _add_population(summary: pd.DataFrame, data: pd.DataFrame, population: Any, unit: str,
                    by_cols: tuple[str, ...], gcode: np.ndarray) -> pd.DataFrame:
    """Population, the Krejcie-Morgan sample size and whether the group's sample is smaller."""
    if isinstance(population, str):
        require_columns(data, population, "ikm(population=...)")
        pop = pd.Series(pd.to_numeric(data[population], errors="coerce").to_numpy()).groupby(gcode).first()
        pop.index = summary.index[pop.index]
    else:
        if unit not in by_cols:
            raise DataError(f"a population per unit needs {unit!r} among the grouping columns by={list(by_cols)}; "
                            "or give the population as a column name")
        mapping = pd.Series(population, dtype=float) if not isinstance(population, pd.Series) else population.astype(float)
        keys = summary.index.get_level_values(unit) if isinstance(summary.index, pd.MultiIndex) else summary.index
        pop = pd.Series(mapping.reindex(keys).to_numpy(), index=summary.index)
    summary = summary.copy()
    summary["population"] = pop.to_numpy(dtype=float)
    req = krejcie_morgan(summary["population"].to_numpy())
    summary["n_required"] = req
    summary["small_sample"] = pd.array(np.where(np.isfinite(req), summary["n"].to_numpy() < req, pd.NA),
                                       dtype="boolean")
    return summary


def _result(est: _Estimate, summary: pd.DataFrame, unsur: pd.DataFrame, colmap: Mapping[str, str],
            base_w: str | dict[str, float], weighting: Any, regime: str, ci: str | None, confidence: float,
            n_boot: int, by_cols: tuple[str, ...], index: pd.Index, notes: list[str]) -> IKMResult:
    codes = list(unsur.index)

    def frame(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=index, columns=pd.Index(codes, name="unsur"))

    unsur_out = unsur[["label_id", "label_en", "min", "max"]].copy()
    unsur_out["column"] = [colmap[c] for c in codes]
    unsur_out["weight"] = [base_w[c] if isinstance(base_w, dict) else unsur_weights(len(codes), weighting)
                           for c in codes]
    methods = {"bootstrap": f"bootstrap (Poisson, {n_boot} replicates, percentile)",
               "delta": "delta method (normal)", None: "none"}
    return IKMResult(summary=summary, nrr=frame(est.nrr), totals=frame(est.S), counts=frame(est.N.astype(int)),
                     unsur_weights=frame(est.W), unsur=unsur_out, regime=regime,
                     weighting=weighting if isinstance(weighting, str) else "mapping", ci_method=methods[ci],
                     confidence=confidence, n_boot=n_boot if ci == "bootstrap" else 0, by=by_cols,
                     warnings=tuple(notes))
