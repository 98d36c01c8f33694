"""What a report shows beside the index: the publication table, priorities, ranking and change."""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_confidence, check_lang, renamed
from ..errors import DataError, ParameterError
from ..results import Result
from .grades import kinerja_label
from .index import IKMResult

__all__ = ["ChangeResult", "publication_table", "priorities", "ranking", "change"]

_PUBLICATION_ROWS = {
    "id": ["Jumlah nilai per unsur", "Jumlah jawaban sah", "NRR per unsur", "Bobot", "NRR tertimbang per unsur"],
    "en": ["Sum of answers", "Valid answers", "NRR per element", "Weight", "Weighted NRR"],
}
_PUBLICATION_FOOT = {
    "id": ["IKM (jumlah NRR tertimbang)", "IKM unit pelayanan", "Mutu pelayanan", "Kinerja unit pelayanan",
           "Responden"],
    "en": ["IKM (sum of weighted NRR)", "IKM of the unit (25-100)", "Service quality (mutu)", "Unit performance",
           "Respondents"],
}


def publication_table(result: IKMResult, group: Any = None, lang: str = "id") -> pd.DataFrame:
    """The table units publish (Lampiran PermenPANRB 14/2017, "pengolahan data").

    One column per unsur; rows: sum of answers, valid answers, NRR (= sum / valid answers), weight,
    weighted NRR (= NRR x weight); then the IKM (= sum of weighted NRR), IKM unit (= IKM x 25), mutu,
    kinerja and respondents in the last column. ``group`` picks a row of ``result.summary``
    (default: the only group). Unsur excluded in the group (nobody answered) show weight 0.

    Examples
    --------
    >>> from survey import datasets, skm
    >>> res = skm.ikm(datasets.load("skm"), by="unit_id", ci=None)
    >>> tab = skm.publication_table(res, group="KEL-02", lang="en")
    >>> round(tab.loc["NRR per element"].iloc[0], 3), round(float(tab.loc["IKM of the unit (25-100)", "IKM"]), 2)
    (2.769, 70.05)
    """
    check_lang(lang)
    if group is None:
        if len(result.summary) != 1:
            raise ParameterError(f"the result has {len(result.summary)} groups; pass group=<one of its index values>")
        group = result.summary.index[0]
    if group not in result.summary.index:
        raise ParameterError(f"group {group!r} is not in the result; groups: {list(result.summary.index[:10])} ...")
    nrr = result.nrr.loc[group]
    w = result.unsur_weights.loc[group]
    tab = pd.DataFrame([result.totals.loc[group], result.counts.loc[group], nrr, w, nrr * w],
                       index=_PUBLICATION_ROWS[lang])
    labels = result.unsur[f"label_{lang}"]
    tab.columns = [f"{c}\n{labels[c]}" for c in tab.columns]
    s = result.summary.loc[group]
    tab["IKM"] = [np.nan, np.nan, np.nan, w.sum(), s["ikm"]]
    footer = pd.DataFrame({"IKM": [s["ikm"], s["ikm_unit"], s["mutu"], kinerja_label(s["mutu"], lang), s["n"]]},
                          index=_PUBLICATION_FOOT[lang])
    return pd.concat([tab.astype(object), footer.astype(object)])


def priorities(result: IKMResult, by: str | Sequence[str] = "unit_id", wave: str | None = "wave",
               lang: str = "id", *, unit: str | Sequence[str] | None = None) -> pd.DataFrame:
    """The weakest unsur of every group and, across waves, the unsur that moved most.

        weakest = argmin_i NRR_i                      (ties go to the lower code)
        mover   = argmax_i |NRR_i,t - NRR_i,t-1|      (within a unit, consecutive waves)

    ``by`` names the unit level(s) within which waves are compared (formerly ``unit``). The mover
    columns appear when ``wave`` is a grouping level of the result; they are NaN in a unit's first
    wave. Missing data: an unsur nobody answered (NaN NRR) is never the weakest; a group
    without any NRR gets None.

    References
    ----------
    PermenPANRB 14/2017, Lampiran: the unit follows up its SKM (rencana tindak lanjut), starting
    with the unsur of the lowest value.

    Examples
    --------
    >>> from survey import datasets, skm
    >>> res = skm.ikm(datasets.load("skm"), by=["unit_id", "wave"], ci=None)
    >>> p = skm.priorities(res, lang="en")
    >>> p.loc[("KEL-02", 2), ["weakest", "weakest_label", "mover"]].tolist()
    ['U3', 'Completion time', 'U3']
    """
    by = renamed("priorities", "unit", unit, "by", by, "unit_id")
    check_lang(lang)
    nrr = result.nrr
    labels = result.unsur[f"label_{lang}"]
    codes = np.array(nrr.columns)
    out = pd.DataFrame(index=nrr.index)
    vals = nrr.to_numpy(dtype=float)
    allnan = np.all(np.isnan(vals), axis=1)
    weakest_i = np.nanargmin(np.where(np.isnan(vals), np.inf, vals), axis=1)
    out["weakest"] = np.where(allnan, None, codes[weakest_i])
    out["weakest_label"] = [labels.get(c) if c else None for c in out["weakest"]]
    out["weakest_nrr"] = np.where(allnan, np.nan, vals[np.arange(len(vals)), weakest_i])
    if wave is not None and wave in (nrr.index.names or []):
        d = _wave_changes(nrr, as_list(by), wave)
        dn = np.all(np.isnan(d), axis=1)
        mi = np.nanargmax(np.where(np.isnan(d), -np.inf, np.abs(d)), axis=1)
        out["mover"] = np.where(dn, None, codes[mi])
        out["mover_label"] = [labels.get(c) if c else None for c in out["mover"]]
        out["mover_change"] = np.where(dn, np.nan, d[np.arange(len(d)), mi])
    return out


def _wave_changes(nrr: pd.DataFrame, units: list[str], wave: str) -> np.ndarray:
    """NRR minus the unit's previous wave, in the rows' order (NaN in a first wave)."""
    missing = [u for u in units if u not in nrr.index.names]
    if missing:
        raise DataError(f"priorities(): grouping columns {list(nrr.index.names)} lack {missing}")
    srt = nrr.sort_index(level=[*units, wave])
    return srt.groupby(level=units, sort=False).diff().reindex(nrr.index).to_numpy(dtype=float)


def ranking(result: IKMResult, wave: Any = None, wave_col: str = "wave", min_n: int = 1) -> pd.DataFrame:
    """City-wide ranking by IKM in one wave (default: the latest in the result).

    Rank 1 is the highest IKM; ties share the best rank (``method="min"``). Keeps n, mutu, the
    interval and, when a population was given, small_sample, so small samples stay visible in the
    table instead of being dropped. Groups with fewer than ``min_n`` respondents are left out.

        rank_g = 1 + number of groups with IKM > IKM_g

    Missing data: a group without an IKM (no valid answer) gets no rank and is listed last. The IKM
    and its grade are those of PermenPANRB 14/2017 (or KepmenPAN 25/2004) computed by :func:`ikm`.

    Examples
    --------
    >>> from survey import datasets, skm
    >>> res = skm.ikm(datasets.load("skm"), by=["unit_id", "wave"], ci=None)
    >>> skm.ranking(res)[["rank", "ikm_unit", "mutu"]].round(2)
             rank  ikm_unit mutu
    unit_id
    PKM-01      1     83.98    B
    KEL-01      2     77.08    B
    KEL-02      3     62.46    D
    """
    s = result.summary
    if wave_col in (s.index.names or []):
        w = s.index.get_level_values(wave_col)
        wave = w.max() if wave is None else wave
        s = s[w == wave].droplevel(wave_col)
    s = s[s["n"] >= min_n].copy()
    s.insert(0, "rank", s["ikm"].rank(ascending=False, method="min").astype("Int64"))
    return s.sort_values(["rank"])


@dataclasses.dataclass(frozen=True)
class ChangeResult(Result):
    """Wave-to-wave change of the IKM per unit with a z test against sampling noise.

    table : one row per unit and wave with an earlier wave: the two IKM, diff, diff_unit, se_diff,
        z, pvalue, p_holm, significant (p_holm < 1 - confidence), both grades.
    confidence : 1 minus the significance level used for ``significant``.
    """

    main = "table"

    table: pd.DataFrame
    confidence: float
    method: str

    @property
    def alpha(self) -> float:
        """Deprecated: the significance level, now given as ``1 - confidence``."""
        warnings.warn("ChangeResult.alpha is replaced by confidence (alpha = 1 - confidence)",
                      DeprecationWarning, stacklevel=2)
        return 1 - self.confidence


def change(result: IKMResult, by: str | Sequence[str] = "unit_id", wave: str = "wave",
           confidence: float = 0.95, *, unit: str | Sequence[str] | None = None,
           alpha: float | None = None) -> ChangeResult:
    """Change in IKM between consecutive waves of each unit and whether it exceeds sampling noise.

        diff = IKM_t - IKM_(t-1),  se_diff = sqrt(se_t^2 + se_(t-1)^2),  z = diff / se_diff

    two-sided ``pvalue`` from the normal distribution, with the delta-method SEs of :func:`ikm`
    (independent respondent samples per wave). ``p_holm`` adjusts for testing every unit (Holm
    1979, Scand. J. Statist. 6:65-70); ``significant`` is ``p_holm < 1 - confidence``. Columns in
    IKM-unit points too (``diff_unit`` = 25 diff). ``by`` names the unit level(s) whose consecutive
    waves are compared (formerly ``unit``); ``alpha`` (a significance level) is the deprecated form
    of ``confidence``.

    Missing data: a unit's first wave has no row; a wave whose SE is NaN (one respondent) gives a
    NaN z and p and is left out of the Holm adjustment.

    Examples
    --------
    >>> from survey import datasets, skm
    >>> res = skm.ikm(datasets.load("skm"), by=["unit_id", "wave"], ci=None)
    >>> ch = skm.change(res)
    >>> ch.table[["unit_id", "wave", "diff_unit", "significant"]].round(2)
      unit_id  wave  diff_unit  significant
    0  KEL-01     2      -3.36        False
    1  KEL-02     2     -15.13         True
    2  PKM-01     2       1.02        False
    """
    by = renamed("change", "unit", unit, "by", by, "unit_id")
    if alpha is not None:
        warnings.warn("change(): 'alpha' (a significance level) is replaced by 'confidence' = 1 - alpha; "
                      "'alpha' will be removed in the next release", DeprecationWarning, stacklevel=2)
        confidence = 1 - alpha
    check_confidence(confidence)
    units = as_list(by)
    names = list(result.summary.index.names or [])
    if wave not in names or any(u not in names for u in units):
        raise DataError(f"change() needs a result grouped by {units + [wave]}; it is grouped by {names}")
    t = _consecutive_waves(result.summary, units, wave)
    t["diff"] = t["ikm"] - t["ikm_prev"]
    t["diff_unit"] = 25 * t["diff"]
    t["se_diff"] = np.sqrt(t["se"] ** 2 + t["se_prev"] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["z"] = t["diff"] / t["se_diff"]
    t["pvalue"] = 2 * stats.norm.sf(np.abs(t["z"]))
    t["p_holm"] = _holm(t["pvalue"].to_numpy())
    t["significant"] = t["p_holm"] < round(1 - confidence, 12)  # 1 - 0.95 is 0.05000000000000004
    cols = [*units, "wave_prev", wave, "n_prev", "n", "ikm_prev", "ikm", "diff", "diff_unit", "se_diff", "z",
            "pvalue", "p_holm", "significant", "mutu_prev", "mutu"]
    return ChangeResult(table=t[cols].reset_index(drop=True), confidence=confidence,
                        method="z test, delta-method SEs, Holm-adjusted over all unit-wave pairs")


def _consecutive_waves(summary: pd.DataFrame, units: list[str], wave: str) -> pd.DataFrame:
    """Each unit-wave beside the unit's previous wave (columns ``*_prev``); first waves dropped."""
    t = summary[["n", "ikm", "se", "mutu"]].reset_index().sort_values([*units, wave])
    prev = t.groupby(units, sort=False)[[wave, "ikm", "se", "n", "mutu"]].shift(1)
    t["wave_prev"], t["ikm_prev"], t["se_prev"], t["n_prev"], t["mutu_prev"] = (
        prev[wave], prev["ikm"], prev["se"], prev["n"], prev["mutu"])
    t = t[t["wave_prev"].notna()].copy()
    t["wave_prev"] = t["wave_prev"].astype(t[wave].dtype)
    t["n_prev"] = t["n_prev"].astype(int)
    return t


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values; NaN stays NaN and does not count."""
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    pv = p[ok]
    m = len(pv)
    if m == 0:
        return out
    order = np.argsort(pv)
    adj = np.maximum.accumulate((m - np.arange(m)) * pv[order])
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out
