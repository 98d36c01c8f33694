"""Training-needs analysis (analisis kebutuhan pelatihan) from competency gaps.

Each employee rates, per competency C, the level the position requires (``REQ_<C>``) and their
current level (``CUR_<C>``) on the 1-5 scale of the ``competency_needs`` instrument. Then

    gap_C       = REQ_C - CUR_C                     (per employee; NA when either is missing)
    mean_gap    = mean of gap_C over employees with both answers
    share_gap   = share of those employees with gap_C >= threshold (default 1 level)

The priority matrix crosses the two: a competency where the mean gap is large AND many staff have
a gap is a training priority ("high"); one of the two gives "medium"; neither "low". Recommended
trainings come from a catalogue per sector (``training_catalog.yaml``, editable). JP (jam
pelajaran) per employee is compared with the floor of 20 JP a year (PP 11/2017 art. 203(4)).
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._checks import as_list, check_choice, check_lang, require_columns
from ._yaml import loads_yaml
from .errors import DataError, InstrumentError
from .instrument import Instrument, load_instrument
from .results import Result


__all__ = ["NeedsResult", "JPResult", "competency_codes", "needs", "load_catalog", "recommend",
           "sector_competencies", "jp_summary", "PRIORITY_LABELS", "JP_FLOOR"]

JP_FLOOR = 20.0
"""PP 11/2017 art. 203(4): at least 20 JP of competency development per PNS per year."""

PRIORITY_LABELS = {
    "id": {"high": "Tinggi", "medium": "Sedang", "low": "Rendah"},
    "en": {"high": "High", "medium": "Medium", "low": "Low"},
}
_PRIORITY_ORDER = {"high": 2, "medium": 1, "low": 0}
_PAIR = re.compile(r"^(REQ|CUR)_([A-Za-z0-9_]+)$")


def competency_codes(data: pd.DataFrame) -> list[str]:
    """Competency codes C with both ``REQ_C`` and ``CUR_C`` columns, in column order.

    >>> import pandas as pd
    >>> competency_codes(pd.DataFrame(columns=["REQ_DIGITAL", "CUR_DIGITAL", "REQ_X", "sector"]))
    ['DIGITAL']
    """
    req = [m.group(2) for c in data.columns if (m := _PAIR.match(str(c))) and m.group(1) == "REQ"]
    cur = {m.group(2) for c in data.columns if (m := _PAIR.match(str(c))) and m.group(1) == "CUR"}
    return [c for c in req if c in cur]


@dataclasses.dataclass(frozen=True)
class NeedsResult(Result):
    """Competency gaps.

    gaps : one row per employee (data row), one column per competency: REQ - CUR.
    summary : one row per group and competency: n, mean_req, mean_cur, mean_gap, sd_gap,
        share_gap, priority_score (mean_gap x share_gap), priority (high/medium/low), sector.
    competencies, by : the competencies and grouping columns used.
    threshold, mean_cut, share_cut : the gap threshold and the priority matrix cut-offs.
    """

    main = "summary"

    gaps: pd.DataFrame
    summary: pd.DataFrame
    competencies: tuple[str, ...]
    by: tuple[str, ...]
    threshold: float
    mean_cut: float
    share_cut: float


def needs(data: pd.DataFrame, by: str | Sequence[str] | None = "sector",
          competencies: Sequence[str] | None = None, threshold: float = 1.0, mean_cut: float = 1.0,
          share_cut: float = 0.5, instrument: str | Instrument | None = "competency_needs",
          missing_codes: Sequence[int] | None = None) -> NeedsResult:
    """Competency gaps per employee, aggregated by ``by`` (e.g. "sector" or ["sector", "unit_id"]).

        gap_C          = REQ_C - CUR_C                       per employee
        mean_gap       = mean of gap_C;   share_gap = share of employees with gap_C >= threshold
        priority_score = max(mean_gap, 0) x share_gap
        priority       = "high" when mean_gap >= mean_cut and share_gap >= share_cut,
                         "medium" when one of the two holds, else "low"

    Parameters
    ----------
    data : one row per employee with ``REQ_<C>`` and ``CUR_<C>`` columns (1-5).
    by : grouping column(s); None = everyone as one group "all".
    competencies : competency codes to use (default: every REQ/CUR pair in the data).
    threshold : a gap of at least this many levels counts as "has a gap" (default 1).
    mean_cut, share_cut : the priority matrix cut-offs: mean gap >= mean_cut and share >= share_cut.
    instrument : gives the allowed values and missing codes (None: 1-5, no missing codes).
    missing_codes : override the instrument's missing codes (e.g. [9]).

    Returns
    -------
    NeedsResult ; ``to_frame()`` gives the summary. When the data have a ``sector`` column that is
    not a grouping column, the summary carries each group's most frequent sector.

    Missing data: a missing code or blank in REQ or CUR makes that employee's gap NA for that
    competency only; n counts the employees with both. Values outside the scale raise DataError
    naming row, column and value. Groups keep every employee; suppress small groups for sharing.

    References
    ----------
    The gap analysis of a training-needs assessment (analisis kebutuhan pelatihan) in the sense of
    PP 11/2017 art. 203 (competency development planned from the gap between the competency a
    position requires and the holder's competency).

    Examples
    --------
    >>> from survey import datasets, needs
    >>> res = needs.needs(datasets.load("competency_needs"), by="sector")
    >>> res.summary.loc["kesehatan", ["n", "mean_gap", "share_gap", "priority"]].round(2)
                  n  mean_gap  share_gap priority
    competency
    DIGITAL      17      1.29       0.82     high
    PELAYANAN    18      0.50       0.39      low
    KESMAS       18      1.06       0.78     high
    METODE_AJAR  18     -0.33       0.00      low
    """
    comps = _check_pairs(data, competencies)
    by_cols = tuple(as_list(by))
    require_columns(data, by_cols, "needs(by=...)")
    allowed, miss = _allowed_values(instrument, comps, missing_codes)
    req = _levels(data, [f"REQ_{c}" for c in comps], allowed, miss)
    cur = _levels(data, [f"CUR_{c}" for c in comps], allowed, miss)
    gap = req - cur
    gaps = pd.DataFrame(gap, index=data.index, columns=pd.Index(comps, name="competency"))
    keys = (data[list(by_cols)].reset_index(drop=True) if by_cols
            else pd.DataFrame({"group": np.repeat("all", len(data))}))
    summary = _gap_summary(keys, comps, req, cur, gap, threshold, mean_cut, share_cut)
    if "sector" in data.columns and "sector" not in by_cols:
        summary = _with_sector(summary, keys, data["sector"])
    summary = _in_competency_order(summary, list(keys.columns), comps)
    return NeedsResult(gaps=gaps, summary=summary, competencies=tuple(comps), by=tuple(keys.columns),
                       threshold=float(threshold), mean_cut=float(mean_cut), share_cut=float(share_cut))


def _check_pairs(data: pd.DataFrame, competencies: Sequence[str] | None) -> list[str]:
    """The competencies to analyse; a DataError when a REQ_/CUR_ column is missing."""
    require_columns(data, [], "needs()")
    comps = list(competencies) if competencies is not None else competency_codes(data)
    if not comps:
        raise DataError("no competency pairs found: the data need columns REQ_<C> and CUR_<C> "
                        "(e.g. REQ_DIGITAL and CUR_DIGITAL), as the competency_needs instrument names them")
    absent = [f"{p}_{c}" for c in comps for p in ("REQ", "CUR") if f"{p}_{c}" not in data.columns]
    if absent:
        raise DataError(f"columns {absent} are missing; every competency needs REQ_<C> and CUR_<C>")
    return comps


def _gap_summary(keys: pd.DataFrame, comps: list[str], req: np.ndarray, cur: np.ndarray, gap: np.ndarray,
                 threshold: float, mean_cut: float, share_cut: float) -> pd.DataFrame:
    """n, means, share with a gap and priority per group and competency (long format, then groupby)."""
    gcols = list(keys.columns)
    long = []
    for j, c in enumerate(comps):
        f = keys.copy()
        f["competency"] = c
        f["req"], f["cur"], f["gap"] = req[:, j], cur[:, j], gap[:, j]
        long.append(f)
    L = pd.concat(long, ignore_index=True)
    L["has_gap"] = np.where(np.isfinite(L["gap"]), (L["gap"] >= threshold).astype(float), np.nan)
    g = L.groupby([*gcols, "competency"], sort=False, dropna=False, observed=True)
    summary = pd.DataFrame({
        "n": g["gap"].count(),
        "mean_req": g["req"].mean(), "mean_cur": g["cur"].mean(),
        "mean_gap": g["gap"].mean(), "sd_gap": g["gap"].std(ddof=1),
        "share_gap": g["has_gap"].mean(),
    })
    summary["priority_score"] = summary["mean_gap"].clip(lower=0) * summary["share_gap"]
    hi_mean = summary["mean_gap"] >= mean_cut
    hi_share = summary["share_gap"] >= share_cut
    summary["priority"] = np.where(summary["n"] == 0, None,
                                   np.where(hi_mean & hi_share, "high",
                                            np.where(hi_mean | hi_share, "medium", "low")))
    return summary


def _with_sector(summary: pd.DataFrame, keys: pd.DataFrame, sector: pd.Series) -> pd.DataFrame:
    """Each group's most frequent sector, so recommendations can use the sector's trainings."""
    gcols = list(keys.columns)
    sec = keys.assign(sector=sector.to_numpy()).groupby(gcols, sort=False, dropna=False)["sector"] \
              .agg(lambda s: s.mode().iloc[0] if s.notna().any() else None)
    return summary.join(sec, on=gcols)


def _in_competency_order(summary: pd.DataFrame, gcols: list[str], comps: list[str]) -> pd.DataFrame:
    """Groups sorted, and within each group the competencies in the instrument's order."""
    summary = summary.reset_index()
    summary["competency"] = pd.Categorical(summary["competency"], categories=comps, ordered=True)
    summary = summary.sort_values([*gcols, "competency"]).set_index([*gcols, "competency"])
    summary.index = summary.index.set_levels(summary.index.levels[-1].astype(str), level=-1)
    return summary


def _allowed_values(instrument: str | Instrument | None, comps: list[str],
                    missing_codes: Sequence[int] | None) -> tuple[np.ndarray, tuple]:
    if instrument is None:
        allowed = np.arange(1, 6, dtype=float)
        miss: tuple = ()
    else:
        inst = load_instrument(instrument)
        name = f"REQ_{comps[0]}"
        sc = inst.scale_of(name) if name in inst.item_map else next(
            (inst.scale_of(i) for i in inst.scored_items), None)
        if sc is None:
            raise InstrumentError(f"instrument {inst.id!r} has no answer scale for {name}")
        allowed = np.asarray(sc.values, dtype=float)
        miss = tuple(sc.missing_values)
    if missing_codes is not None:
        miss = tuple(missing_codes)
    return allowed, miss


def _levels(data: pd.DataFrame, cols: list[str], allowed: np.ndarray, miss: tuple) -> np.ndarray:
    out = np.full((len(data), len(cols)), np.nan)
    problems = []
    for j, col in enumerate(cols):
        s = data[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            s = s.astype("string").str.strip()
            s = s.mask(s == "")
        num = pd.to_numeric(s, errors="coerce")
        v = num.to_numpy(dtype=float, na_value=np.nan)
        v = np.where(np.isin(v, miss), np.nan, v) if miss else v
        bad = (np.isfinite(v) & ~np.isin(v, allowed)) | (s.notna() & num.isna()).to_numpy()
        for pos in np.flatnonzero(bad)[:20]:
            problems.append(f"row {pos + 1}, column {col!r}: value {data[col].iloc[pos]!r} is not a level "
                            f"{int(allowed.min())}-{int(allowed.max())}")
        out[:, j] = np.where(bad, np.nan, v)
    if problems:
        raise DataError(f"{len(problems)} competency level(s) out of range:\n" + "\n".join(f"  - {p}" for p in problems[:10])
                        + "\nFix: correct or blank them, or declare the code as missing (missing_codes=[9]).")
    return out


def load_catalog(path: str | Path | Mapping | None = None) -> dict[str, Any]:
    """Load the training catalogue (default: the built-in ``training_catalog.yaml``).

    Checks that every text has an ``id`` and ``en`` version, every training named under
    ``sectors`` exists, and jp values are positive numbers or empty; raises InstrumentError
    listing every problem.

    Examples
    --------
    >>> from survey import needs
    >>> cat = needs.load_catalog()
    >>> cat["trainings"]["DIG-01"]["label"]["en"]
    'Digital public service and online applications'
    """
    data, source = _read_catalog(path)
    if not isinstance(data, dict):
        raise InstrumentError(f"{source}: the catalogue must be a YAML mapping")
    problems = [f"{key}: missing or not a mapping" for key in ("competencies", "trainings", "sectors")
                if not isinstance(data.get(key), dict)]
    if problems:
        raise InstrumentError(f"{source}: {len(problems)} problem(s)", problems)
    problems = [*_competency_problems(data), *_training_problems(data), *_sector_problems(data)]
    if problems:
        raise InstrumentError(f"{source}: {len(problems)} problem(s) in the training catalogue", problems)
    return data


def _read_catalog(path: str | Path | Mapping | None) -> tuple[Any, str]:
    """The catalogue's YAML content and a name for messages."""
    if isinstance(path, Mapping):
        return dict(path), "<catalog>"
    if path is None:
        text = (resources.files("survey") / "training_catalog.yaml").read_text(encoding="utf-8")
        source = "built-in training_catalog.yaml"
    else:
        p = Path(path)
        if not p.is_file():
            raise InstrumentError(f"{p}: no such training catalogue file")
        text, source = p.read_text(encoding="utf-8"), str(p)
    # the one bounded loader: libyaml's C parser for a plain file, and an alias bomb is refused
    return loads_yaml(text, source, error=InstrumentError), source


def _has_both_languages(texts: Any) -> bool:
    return isinstance(texts, dict) and all(str(texts.get(lg, "")).strip() for lg in ("id", "en"))


def _competency_problems(data: dict) -> list[str]:
    return [f"competencies.{c}: give both 'id' and 'en' names"
            for c, lab in data["competencies"].items() if not _has_both_languages(lab)]


def _training_problems(data: dict) -> list[str]:
    problems = []
    for t, spec in data["trainings"].items():
        if not isinstance(spec, dict) or not _has_both_languages(spec.get("label")):
            problems.append(f"trainings.{t}.label: give both 'id' and 'en' texts")
            continue
        jp = spec.get("jp")
        if jp is not None and (not isinstance(jp, (int, float)) or jp <= 0):
            problems.append(f"trainings.{t}.jp: must be a positive number or empty (got {jp!r})")
        if spec.get("form") not in (None, "klasikal", "nonklasikal"):
            problems.append(f"trainings.{t}.form: 'klasikal' or 'nonklasikal' (got {spec.get('form')!r})")
    return problems


def _sector_problems(data: dict) -> list[str]:
    problems = []
    for sec, mapping in data["sectors"].items():
        if not isinstance(mapping, dict):
            problems.append(f"sectors.{sec}: must map competency -> list of trainings")
            continue
        for c, lst in mapping.items():
            if c not in data["competencies"]:
                problems.append(f"sectors.{sec}.{c}: unknown competency; add it under competencies")
            for t in (lst or []):
                if t not in data["trainings"]:
                    problems.append(f"sectors.{sec}.{c}: unknown training {t!r}; add it under trainings")
    return problems


def sector_competencies(catalog: Mapping, sector: str, all_key: str = "semua") -> list[str]:
    """Competencies the catalogue lists for ``sector`` or for every sector (``semua``), in the
    catalogue's order: the ones a report on that sector should show.

    >>> from survey import needs
    >>> needs.sector_competencies(needs.load_catalog(), "pendidikan")
    ['DIGITAL', 'PELAYANAN', 'PROYEK', 'KEPEMIMPINAN', 'METODE_AJAR', 'ADM_SEKOLAH']
    """
    out: list[str] = []
    for key in (sector, all_key):
        for c in (catalog.get("sectors", {}).get(key) or {}):
            if c not in out:
                out.append(c)
    return [c for c in catalog.get("competencies", {}) if c in out]


def recommend(result: NeedsResult, catalog: str | Path | Mapping | None = None, lang: str = "id",
              min_priority: str = "medium", all_key: str = "semua") -> pd.DataFrame:
    """Recommended trainings per group for competencies at or above ``min_priority``.

    The sector of a group is its ``sector`` level or column; trainings listed for that sector come
    first, then those under ``semua`` (every sector), without repeats. Competencies the catalogue
    lists for neither are reported with an empty training list, so a gap is never hidden.
    Sorted by group, then priority score (largest first).

        recommended when rank(priority) >= rank(min_priority)     (low < medium < high)

    Missing data: a group and competency without any employee answering both levels has no
    priority and is never recommended.

    References
    ----------
    PP 11/2017 art. 203: competency development (classroom or not: ``klasikal``/``nonklasikal``)
    planned from the competency gap; the trainings are those of the editable catalogue.

    Examples
    --------
    >>> from survey import datasets, needs
    >>> res = needs.needs(datasets.load("competency_needs"), by="sector")
    >>> rec = needs.recommend(res, lang="en")
    >>> rec[["sector", "competency", "priority", "training_ids"]]
           sector   competency priority            training_ids
    0   kesehatan      DIGITAL     high  DIG-01, DIG-02, DIG-03
    1   kesehatan       KESMAS     high          KSM-01, KSM-02
    2  pendidikan  METODE_AJAR     high          AJR-01, AJR-02
    3  pendidikan      DIGITAL   medium  DIG-01, DIG-02, DIG-03
    """
    check_lang(lang)
    check_choice("min_priority", min_priority, list(_PRIORITY_ORDER))
    cat = load_catalog(catalog)
    s = result.summary.reset_index()
    if "sector" not in s.columns:
        raise DataError("recommend() needs the sector of each group: group by 'sector' or keep a 'sector' column")
    s = s[s["priority"].map(lambda p: _PRIORITY_ORDER.get(p, -1)) >= _PRIORITY_ORDER[min_priority]]
    rows = [_recommendation(r, result.by, cat, lang, all_key) for _, r in s.iterrows()]
    cols = [*dict.fromkeys([*result.by, "sector"]), "competency", "competency_label", "n", "mean_gap", "share_gap",
            "priority", "priority_label", "priority_score", "training_ids", "trainings", "jp_first"]
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
        out = out.sort_values([*result.by, "priority_score"], ascending=[True] * len(result.by) + [False])
    return out.reset_index(drop=True)


def _recommendation(r: pd.Series, by: tuple[str, ...], cat: dict, lang: str, all_key: str) -> dict[str, Any]:
    """One row of :func:`recommend`: the sector's trainings for the competency, then everyone's."""
    ids = list((cat["sectors"].get(r["sector"], {}) or {}).get(r["competency"], []) or [])
    ids += [t for t in (cat["sectors"].get(all_key, {}) or {}).get(r["competency"], []) or [] if t not in ids]
    trainings = [cat["trainings"][t] for t in ids]
    jp = [t.get("jp") for t in trainings]
    return {**{c: r[c] for c in by}, "sector": r["sector"], "competency": r["competency"],
            "competency_label": cat["competencies"].get(r["competency"], {}).get(lang, r["competency"]),
            "n": r["n"], "mean_gap": r["mean_gap"], "share_gap": r["share_gap"],
            "priority": r["priority"], "priority_label": PRIORITY_LABELS[lang][r["priority"]],
            "priority_score": r["priority_score"], "training_ids": ", ".join(ids),
            "trainings": "; ".join(t["label"][lang] for t in trainings),
            "jp_first": jp[0] if jp else None}


@dataclasses.dataclass(frozen=True)
class JPResult(Result):
    """JP per employee (and period) against the floor, and per unit.

    per_employee : employee_id, [unit_id, sector], [period], jp, below_floor.
    by_unit : per unit (and period): n_employees, mean_jp, median_jp, n_below, share_below.
    floor : the JP floor; share_below, mean_jp : over every employee (and period).
    """

    main = "per_employee"

    per_employee: pd.DataFrame
    by_unit: pd.DataFrame
    floor: float
    share_below: float
    mean_jp: float


def jp_summary(records: pd.DataFrame, employees: pd.DataFrame | None = None, period: str | None = None,
               floor: float = JP_FLOOR, employee: str = "employee_id", unit: str = "unit_id",
               jp: str = "jp") -> JPResult:
    """Sum of JP per employee (per ``period``, e.g. a year column) against ``floor``.

        JP_e = sum of the jp of employee e's training records (in the period)
        below_floor = JP_e < floor            (floor = 20 JP a year, PP 11/2017 art. 203(4))

    ``employees`` (one row per employee, with ``unit_id`` and ``sector`` when available) adds the
    staff without any training record, with 0 JP: without it only trained staff are counted and the
    share below the floor is understated. With ``period``, every employee is expected in every
    period that occurs in the records.

    Missing data: rows with missing or negative JP raise DataError (a training without its hours
    cannot be counted either way); an employee without any record has 0 JP.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey import needs
    >>> records = pd.DataFrame({"employee_id": ["E1", "E1", "E2"], "unit_id": ["U", "U", "U"],
    ...                         "jp": [12, 12, 16]})
    >>> staff = pd.DataFrame({"employee_id": ["E1", "E2", "E3"], "unit_id": ["U", "U", "U"]})
    >>> r = needs.jp_summary(records, staff)
    >>> r.per_employee
      employee_id unit_id  jp  below_floor
    0          E1       U  24        False
    1          E2       U  16         True
    2          E3       U   0         True
    >>> round(r.share_below, 3)
    0.667
    """
    require_columns(records, [employee, jp], "jp_summary(records)")
    if period is not None:
        require_columns(records, period, "jp_summary(period=...)")
    rec = records.assign(**{jp: _jp_values(records, jp)})
    keys = [employee] + ([period] if period else [])
    tot = rec.groupby(keys, sort=True)[jp].sum()
    if employees is not None:
        require_columns(employees, employee, "jp_summary(employees)")
        tot, attrs = _with_untrained(tot, rec, employees, employee, unit, period, keys)
    else:
        attrs = rec.drop_duplicates(employee).set_index(employee)[[c for c in (unit, "sector") if c in rec.columns]]
    per = tot.rename("jp").reset_index().join(attrs, on=employee)
    per = _fill_units(per, rec, employee, unit)
    per["below_floor"] = per["jp"] < floor
    cols = [employee] + [c for c in (unit, "sector") if c in per.columns] + ([period] if period else []) + ["jp", "below_floor"]
    per = per[cols]
    return JPResult(per_employee=per, by_unit=_jp_by_unit(per, unit, period), floor=float(floor),
                    share_below=float(per["below_floor"].mean()) if len(per) else float("nan"),
                    mean_jp=float(per["jp"].mean()) if len(per) else float("nan"))


def _jp_values(records: pd.DataFrame, jp: str) -> pd.Series:
    v = pd.to_numeric(records[jp], errors="coerce")
    bad = v.isna() | (v < 0)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"training records row {pos + 1}, column {jp!r}: value {records[jp].iloc[pos]!r} is not a "
                        f"number of JP >= 0 ({int(bad.sum())} such rows); fix or remove these rows")
    return v


def _with_untrained(tot: pd.Series, rec: pd.DataFrame, employees: pd.DataFrame, employee: str, unit: str,
                    period: str | None, keys: list[str]) -> tuple[pd.Series, pd.DataFrame]:
    """Totals for every listed employee (0 JP without a record; in every period) and their attributes."""
    emp = employees.drop_duplicates(employee)
    if period:
        periods = sorted(rec[period].dropna().unique())
        idx = pd.MultiIndex.from_product([emp[employee], periods], names=keys)
    else:
        idx = pd.Index(emp[employee], name=employee)
    extra = tot.index.difference(idx)  # trained staff missing from the list stay counted
    tot = tot.reindex(idx.append(extra) if len(extra) else idx, fill_value=0.0)
    attrs = emp.set_index(employee)[[c for c in (unit, "sector") if c in emp.columns]]
    return tot, attrs


def _fill_units(per: pd.DataFrame, rec: pd.DataFrame, employee: str, unit: str) -> pd.DataFrame:
    """The unit of employees the staff list lacks, from their training records."""
    if unit in per.columns and not per[unit].isna().any():
        return per
    fallback = rec.drop_duplicates(employee).set_index(employee)
    if unit in fallback.columns:
        from_records = per[employee].map(fallback[unit])
        per[unit] = per[unit].fillna(from_records) if unit in per.columns else from_records
    return per


def _jp_by_unit(per: pd.DataFrame, unit: str, period: str | None) -> pd.DataFrame:
    ucols = [c for c in (unit, period) if c and c in per.columns]
    if not ucols:
        return pd.DataFrame()
    g = per.groupby(ucols, sort=True, dropna=False)
    return pd.DataFrame({"n_employees": g.size(), "mean_jp": g["jp"].mean(), "median_jp": g["jp"].median(),
                         "n_below": g["below_floor"].sum(), "share_below": g["below_floor"].mean()})
