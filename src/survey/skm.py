"""Citizen satisfaction: the Indeks Kepuasan Masyarakat (IKM) of the SKM.

The *Survei Kepuasan Masyarakat* (SKM) asks service users one 1-4 question per service element
(*unsur*; 4 = best). PermenPANRB 14/2017 (Lampiran, bab "Pengolahan data") computes

    NRR_i    = (sum of the answers to unsur i) / (number of valid answers to unsur i)
    IKM      = sum_i NRR_i * w_i              w_i = 1/9 for the 9 standard unsur
    IKM_unit = IKM * 25                       (the "IKM unit pelayanan", 25-100)

and grades the result as mutu A-D / kinerja "Sangat Baik" ... "Tidak Baik". The older KepmenPAN
25/2004 used 14 unsur (w = 1/14, printed as 0.071) and its own intervals; ``regime="2004"``.

Unsur are identified by item name (``U1``..``U9``), by unsur name (``pengaduan``,
``sarana_dan_prasarana``...) or by an explicit ``columns`` mapping, never by column position: the
regulation lists Pengaduan 8th and Sarana 9th while its sample questionnaire (and many files) put
Sarana 8th.

Everything is vectorised over groups (one ``groupby`` code, ``np.bincount`` sums, a batched matrix
product for the bootstrap), so 151 kelurahan x 8 waves x 400 respondents take well under a second
without CIs (see ``benchmarks/bench_skm.py``).
"""
from __future__ import annotations

import dataclasses
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .errors import DataError, InstrumentError, ParameterError
from .instrument import Instrument, load_instrument
from .results import Result

__all__ = [
    "UNSUR_2017", "UNSUR_2004", "GRADE_TABLES", "IKMResult", "ChangeResult", "SKMWarning",
    "ikm", "grade", "kinerja_label", "unsur_weights", "krejcie_morgan", "publication_table",
    "priorities", "ranking", "change", "unsur_table",
]


class SKMWarning(UserWarning):
    """An unsur was excluded from a group's IKM (nobody answered it) and the weights renormalised."""


# --------------------------------------------------------------------------------------------
# The unsur of both regimes. Names are the regulations' own words; ``aliases`` are the column
# names (normalised: lower case, non-alphanumerics as "_") that identify the unsur in a file.
# --------------------------------------------------------------------------------------------
UNSUR_2017: dict[str, dict[str, Any]] = {
    "U1": {"id": "Persyaratan", "en": "Requirements", "aliases": ["persyaratan"]},
    "U2": {"id": "Sistem, Mekanisme, dan Prosedur", "en": "Systems, mechanisms and procedures",
           "aliases": ["sistem_mekanisme_dan_prosedur", "sistem_mekanisme_prosedur", "prosedur"]},
    "U3": {"id": "Waktu Penyelesaian", "en": "Completion time",
           "aliases": ["waktu_penyelesaian", "waktu"]},
    "U4": {"id": "Biaya/Tarif", "en": "Cost/tariff", "aliases": ["biaya_tarif", "biaya", "tarif"]},
    "U5": {"id": "Produk Spesifikasi Jenis Pelayanan", "en": "Product specification of the service",
           "aliases": ["produk_spesifikasi_jenis_pelayanan", "produk"]},
    "U6": {"id": "Kompetensi Pelaksana", "en": "Competence of staff",
           "aliases": ["kompetensi_pelaksana", "kompetensi"]},
    "U7": {"id": "Perilaku Pelaksana", "en": "Behaviour of staff",
           "aliases": ["perilaku_pelaksana", "perilaku"]},
    "U8": {"id": "Penanganan Pengaduan, Saran dan Masukan",
           "en": "Handling of complaints, suggestions and feedback",
           "aliases": ["penanganan_pengaduan_saran_dan_masukan", "penanganan_pengaduan", "pengaduan"]},
    "U9": {"id": "Sarana dan prasarana", "en": "Facilities and infrastructure",
           "aliases": ["sarana_dan_prasarana", "sarana_prasarana", "sarana"]},
}
"""The 9 unsur of PermenPANRB 14/2017 in the regulation's order (Pengaduan 8th, Sarana 9th)."""

UNSUR_2004: dict[str, dict[str, Any]] = {
    "U1": {"id": "Prosedur pelayanan", "en": "Service procedure", "aliases": ["prosedur_pelayanan"]},
    "U2": {"id": "Persyaratan pelayanan", "en": "Service requirements", "aliases": ["persyaratan_pelayanan"]},
    "U3": {"id": "Kejelasan petugas pelayanan", "en": "Clarity of the service officer",
           "aliases": ["kejelasan_petugas_pelayanan", "kejelasan_petugas"]},
    "U4": {"id": "Kedisiplinan petugas pelayanan", "en": "Discipline of the service officer",
           "aliases": ["kedisiplinan_petugas_pelayanan", "kedisiplinan_petugas"]},
    "U5": {"id": "Tanggung jawab petugas pelayanan", "en": "Responsibility of the service officer",
           "aliases": ["tanggung_jawab_petugas_pelayanan", "tanggung_jawab_petugas"]},
    "U6": {"id": "Kemampuan petugas pelayanan", "en": "Ability of the service officer",
           "aliases": ["kemampuan_petugas_pelayanan", "kemampuan_petugas"]},
    "U7": {"id": "Kecepatan pelayanan", "en": "Speed of service", "aliases": ["kecepatan_pelayanan"]},
    "U8": {"id": "Keadilan mendapatkan pelayanan", "en": "Fairness in obtaining service",
           "aliases": ["keadilan_mendapatkan_pelayanan", "keadilan"]},
    "U9": {"id": "Kesopanan dan keramahan petugas", "en": "Courtesy and friendliness of officers",
           "aliases": ["kesopanan_dan_keramahan_petugas", "kesopanan_dan_keramahan"]},
    "U10": {"id": "Kewajaran biaya pelayanan", "en": "Reasonableness of the service cost",
            "aliases": ["kewajaran_biaya_pelayanan", "kewajaran_biaya"]},
    "U11": {"id": "Kepastian biaya pelayanan", "en": "Certainty of the service cost",
            "aliases": ["kepastian_biaya_pelayanan", "kepastian_biaya"]},
    "U12": {"id": "Kepastian jadwal pelayanan", "en": "Certainty of the service schedule",
            "aliases": ["kepastian_jadwal_pelayanan", "kepastian_jadwal"]},
    "U13": {"id": "Kenyamanan lingkungan", "en": "Comfort of the environment",
            "aliases": ["kenyamanan_lingkungan"]},
    "U14": {"id": "Keamanan pelayanan", "en": "Security of the service", "aliases": ["keamanan_pelayanan"]},
}
"""The 14 unsur of KepmenPAN 25/2004 (lampiran II), answers 1-4 (4 = best)."""

# Grade tables: the published UPPER bound of grades D, C and B on each scale, then the labels.
# Both regimes publish intervals whose upper bounds correspond exactly between the scales
# (x 25: 2.5996 <-> 64.99, 3.064 <-> 76.60, 3.532 <-> 88.30; 1.75 <-> 43.75, 2.50 <-> 62.50,
# 3.25 <-> 81.25) while the lower bounds do not in 2004 (1.76 x 25 = 44.00, not 43.76). Grading by
# the upper bounds therefore gives the same grade on both scales in both regimes.
GRADE_TABLES: dict[str, dict[str, Any]] = {
    "2017": {
        "ikm": (2.5996, 3.064, 3.532),
        "unit": (64.99, 76.60, 88.30),
        "intervals_ikm": ("1.00 - 2.5996", "2.60 - 3.064", "3.0644 - 3.532", "3.5324 - 4.00"),
        "intervals_unit": ("25.00 - 64.99", "65.00 - 76.60", "76.61 - 88.30", "88.31 - 100.00"),
        "source": "PermenPANRB 14/2017, Lampiran (nilai persepsi, nilai interval, nilai interval konversi)",
    },
    "2004": {
        "ikm": (1.75, 2.50, 3.25),
        "unit": (43.75, 62.50, 81.25),
        "intervals_ikm": ("1.00 - 1.75", "1.76 - 2.50", "2.51 - 3.25", "3.26 - 4.00"),
        "intervals_unit": ("25.00 - 43.75", "43.76 - 62.50", "62.51 - 81.25", "81.26 - 100.00"),
        "source": "KepmenPAN 25/2004, Lampiran (nilai persepsi, interval IKM, interval konversi IKM)",
    },
}
MUTU = ("D", "C", "B", "A")
KINERJA = {
    "id": {"A": "Sangat Baik", "B": "Baik", "C": "Kurang Baik", "D": "Tidak Baik"},
    "en": {"A": "Very good", "B": "Good", "C": "Poor", "D": "Very poor"},
}
_EDGE_TOL = 1e-9  # float noise only (3.0644 * 25 is 76.61000000000001); not a rounding rule


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


# --------------------------------------------------------------------------------------------
# grades, weights and sample size
# --------------------------------------------------------------------------------------------
def grade(value: Any, regime: str = "2017", scale: str = "ikm") -> Any:
    """Mutu pelayanan (A-D) of an IKM value.

    Parameters
    ----------
    value : float or array-like
        IKM on the 1-4 scale (``scale="ikm"``) or IKM unit on the 25-100 scale (``scale="unit"``).
    regime : "2017" or "2004"
        PermenPANRB 14/2017 or KepmenPAN 25/2004 intervals.

    Rule: a value belongs to the first grade whose published upper bound it does not exceed
    (D up to 2.5996 / 64.99, C up to 3.064 / 76.60, B up to 3.532 / 88.30, else A; 2004: D up to
    1.75 / 43.75, C up to 2.50 / 62.50, B up to 3.25 / 81.25). Every published edge lands in its
    published grade (64.99 is D, 65.00 is C, 76.60 is C, 76.61 is B...). Values between two
    published edges, which the tables leave open, go to the higher grade: 64.995 and 2.5998 are C,
    76.605 and 3.0642 are B, 1.755 and 43.755 are C. Because the upper bounds of the two scales
    correspond exactly (x 25) in both regimes, a value and its conversion always get the same grade;
    grading by the lower bounds would not (2004: 1.76 x 25 = 44.00, but the converted table starts C
    at 43.76). NaN gives None.

    Returns a letter for a scalar, an object array of letters for an array.
    """
    table = _grade_table(regime)
    if scale not in ("ikm", "unit"):
        raise ParameterError(f"scale must be 'ikm' (1-4) or 'unit' (25-100), got {scale!r}")
    edges = np.asarray(table[scale], dtype=float) + _EDGE_TOL
    arr = np.asarray(value, dtype=float)
    hi = 4.0 if scale == "ikm" else 100.0
    finite = arr[np.isfinite(arr)]
    if finite.size and (finite.max() > hi + 1e-6 or finite.min() < 0):
        bad = finite[(finite > hi + 1e-6) | (finite < 0)][0]
        raise DataError(f"IKM value {bad} is outside the {'1-4' if scale == 'ikm' else '25-100'} scale; "
                        f"pass scale='unit' for IKM unit values (25-100) or scale='ikm' for 1-4 values")
    idx = np.searchsorted(edges, arr, side="left")
    letters = np.array(MUTU, dtype=object)[np.minimum(idx, 3)]
    letters = np.where(np.isfinite(arr), letters, None)
    return letters.item() if letters.ndim == 0 else letters


def kinerja_label(mutu: Any, lang: str = "id") -> Any:
    """Kinerja unit pelayanan for a mutu letter (A "Sangat Baik" ... D "Tidak Baik")."""
    labels = KINERJA.get(lang)
    if labels is None:
        raise ParameterError(f"lang must be 'id' or 'en', got {lang!r}")
    if isinstance(mutu, str) or mutu is None:
        return labels.get(mutu) if mutu else None
    return np.array([labels.get(m) if isinstance(m, str) else None for m in mutu], dtype=object)


def _grade_table(regime: str) -> dict[str, Any]:
    try:
        return GRADE_TABLES[str(regime)]
    except KeyError:
        raise ParameterError(f"regime must be '2017' (PermenPANRB 14/2017) or '2004' (KepmenPAN 25/2004), "
                         f"got {regime!r}") from None


def unsur_weights(k: int | np.ndarray, weights: str = "exact") -> Any:
    """Weight of each of ``k`` equally weighted unsur.

    ``"exact"``: 1/k. ``"3dp"``: 1/k rounded half-up to 3 decimals (0.111 for 9, 0.071 for 14),
    ``"2dp"``: to 2 decimals (0.11, 0.07), as old reports printed and used them; these weights do
    not sum to 1 (9 x 0.11 = 0.99), which is exactly why such reports differ from the exact IKM.
    """
    k = np.asarray(k, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(k > 0, 1.0 / k, np.nan)
    if weights == "exact":
        out = w
    elif weights in ("3dp", "2dp"):
        d = 10 ** (3 if weights == "3dp" else 2)
        out = np.floor(w * d + 0.5 + 1e-9) / d  # half-up, as a report writer rounds
    else:
        raise ParameterError(f"weights must be 'exact', '3dp', '2dp' or a mapping unsur -> weight, got {weights!r}")
    return out.item() if out.ndim == 0 else out


def krejcie_morgan(N: Any, chi2: float = 3.841, p: float = 0.5, d: float = 0.05) -> Any:
    """Required sample size for a population of ``N`` (Krejcie & Morgan 1970).

        s = chi2 * N * p * (1 - p) / (d^2 * (N - 1) + chi2 * p * (1 - p))

    rounded to the nearest integer (halves up). Defaults reproduce the published table:
    N = 100 -> 80, 1,000 -> 278, 10,000 -> 370, 1,000,000 -> 384 (the printed table rounds N =
    100,000 up to 384 where the formula gives 382.6 -> 383). Krejcie, R. V. & Morgan, D. W. (1970),
    Educational and Psychological Measurement 30, 607-610. NaN or missing N gives NaN.
    """
    n = np.asarray(N, dtype=float)
    if np.any(n[np.isfinite(n)] < 1):
        raise DataError(f"population N must be at least 1 (got {n[np.isfinite(n)].min():g}); "
                        "give the yearly number of service users of the unit")
    q = chi2 * p * (1 - p)
    s = q * n / (d * d * (n - 1) + q)
    out = np.floor(s + 0.5)
    return float(out) if out.ndim == 0 and not np.isfinite(out) else (int(out) if out.ndim == 0 else out)


# --------------------------------------------------------------------------------------------
# unsur resolution
# --------------------------------------------------------------------------------------------
def unsur_table(regime: str = "2017", instrument: str | Instrument | None = None) -> pd.DataFrame:
    """The unsur of a regime (or of a custom instrument): code, label_id, label_en, scale min/max.

    For regime "2017" the codes and answer scales come from the instrument (default the built-in
    ``skm_2017``; the items of its ``ikm`` construct), so a unit that adds its own unsur uses its own
    instrument. Regime "2004" uses the 14 unsur of KepmenPAN 25/2004 defined in this module.
    """
    _grade_table(regime)
    rows = []
    if str(regime) == "2004" and instrument is None:
        for code, u in UNSUR_2004.items():
            rows.append({"code": code, "label_id": u["id"], "label_en": u["en"], "min": 1, "max": 4,
                         "values": (1, 2, 3, 4), "missing": (), "aliases": tuple(u["aliases"])})
        return pd.DataFrame(rows).set_index("code")
    inst = load_instrument(instrument if instrument is not None else "skm_2017")
    items = inst.items_of("ikm") if "ikm" in inst.constructs else inst.scored_items
    names = UNSUR_2017 if str(regime) == "2017" else UNSUR_2004
    for it in items:
        sc = inst.scale_of(it)
        if sc is None:
            raise InstrumentError(f"instrument {inst.id!r}: unsur item {it.name!r} has no answer scale")
        # U1..U9 have fixed meanings in the regulation, also in a unit's extended questionnaire
        known = names.get(it.name, {})
        lid = known.get("id") or (inst.text(it.hint, "id") if it.hint and "id" in inst.languages else it.name)
        len_ = known.get("en") or (inst.text(it.hint, "en") if it.hint and "en" in inst.languages else lid)
        rows.append({"code": it.name, "label_id": lid, "label_en": len_, "min": sc.min, "max": sc.max,
                     "values": tuple(sc.values), "missing": tuple(sc.missing_values),
                     "aliases": tuple(known.get("aliases", ()))})
    return pd.DataFrame(rows).set_index("code")


def _resolve_columns(data: pd.DataFrame, unsur: pd.DataFrame,
                     columns: Mapping[str, str] | None) -> dict[str, str | None]:
    """Map each unsur code to its column: explicit mapping, else the code, else the unsur name."""
    norm_cols: dict[str, list[str]] = {}
    for c in data.columns:
        norm_cols.setdefault(_norm(c), []).append(c)
    out: dict[str, str | None] = {}
    columns = dict(columns or {})
    unknown = [k for k in columns if k not in unsur.index]
    if unknown:
        raise DataError(f"columns mapping names unknown unsur {unknown}; known unsur: {', '.join(unsur.index)}")
    for code, row in unsur.iterrows():
        if code in columns:
            col = columns[code]
            if col not in data.columns:
                raise DataError(f"columns mapping says unsur {code} is column {col!r}, but the data has no such column")
            out[code] = col
            continue
        hits = list(norm_cols.get(_norm(code), []))
        for alias in row["aliases"]:
            hits += [c for c in norm_cols.get(alias, []) if c not in hits]
        if len(hits) > 1:
            raise DataError(f"unsur {code} ({row['label_id']}) matches several columns {hits}; "
                            f"say which one with columns={{'{code}': '<column>'}}")
        out[code] = hits[0] if hits else None
    return out


def _answers(data: pd.DataFrame, colmap: dict[str, str | None], unsur: pd.DataFrame,
             missing_codes: Sequence[int] | None) -> np.ndarray:
    """Answers as a float matrix (rows x unsur), NaN where not answered; DataError on bad values."""
    n = len(data)
    X = np.full((n, len(unsur)), np.nan)
    problems: list[dict[str, Any]] = []
    rid = data["respondent_id"].to_numpy() if "respondent_id" in data.columns else None
    for j, (code, row) in enumerate(unsur.iterrows()):
        col = colmap[code]
        if col is None:
            continue
        s = data[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            st = s.astype("string").str.strip()
            s = st.mask(st == "")
            num = pd.to_numeric(s, errors="coerce")
            not_num = s.notna() & num.isna()
        else:
            num = pd.to_numeric(s, errors="coerce")
            not_num = pd.Series(False, index=s.index)
        v = num.to_numpy(dtype=float, na_value=np.nan)
        miss = tuple(row["missing"]) if missing_codes is None else tuple(missing_codes)
        if miss:
            v = np.where(np.isin(v, miss), np.nan, v)
        allowed = np.asarray(row["values"], dtype=float)
        bad = (np.isfinite(v) & ~np.isin(v, allowed)) | not_num.to_numpy()
        for pos in np.flatnonzero(bad)[:50]:
            where = f"row {pos + 1}" + (f" (respondent_id {rid[pos]})" if rid is not None else "")
            problems.append({"file": None, "row": pos + 1, "column": col, "value": s.iloc[pos],
                             "problem": f"{where}, column {col!r} (unsur {code} {row['label_id']}): value "
                                        f"{s.iloc[pos]!r} is not an answer; allowed {row['min']}-{row['max']}",
                             "fix": "correct the answer, leave it blank, or declare the code as missing "
                                    "(missing_codes=[...])"})
        X[:, j] = np.where(bad, np.nan, v)
    if problems:
        report = pd.DataFrame(problems)
        head = "\n".join(f"  - {p}" for p in report["problem"].head(10))
        more = f"\n  ... and {len(report) - 10} more" if len(report) > 10 else ""
        raise DataError(f"{len(report)} SKM answer(s) out of range:\n{head}{more}\n"
                        "Fix: correct or blank these answers, or pass missing_codes=[9] when 9 means 'no answer'.",
                        report=report)
    return X


# --------------------------------------------------------------------------------------------
# the index
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class IKMResult(Result):
    """IKM per group.

    summary : one row per group: n (respondents with at least one answer), ikm (1-4), ikm_unit
        (25-100), mutu, kinerja, se (delta method), ci_low/ci_high (1-4), ci_low_unit/ci_high_unit,
        n_unsur (unsur used), excluded_unsur; with a population also population, n_required
        (Krejcie-Morgan) and small_sample.
    nrr : one row per group, one column per unsur: the NRR (NaN when nobody answered it).
    totals, counts : sum of answers and number of valid answers per group and unsur.
    weights : the weight each unsur got in each group (0 when excluded).
    """

    summary: pd.DataFrame
    nrr: pd.DataFrame
    totals: pd.DataFrame
    counts: pd.DataFrame
    weights: pd.DataFrame
    unsur: pd.DataFrame
    regime: str
    weights_rule: str
    ci_method: str
    conf: float
    n_boot: int
    by: tuple[str, ...]
    warnings: tuple[str, ...]


def ikm(data: pd.DataFrame, by: str | Sequence[str] | None = None, regime: str = "2017",
        weights: str | Mapping[str, float] = "exact", instrument: str | Instrument | None = None,
        ci: str | None = "bootstrap", n_boot: int = 1000, conf: float = 0.95, seed: int | None = 20171,
        columns: Mapping[str, str] | None = None, missing_codes: Sequence[int] | None = None,
        population: str | Mapping[Any, float] | pd.Series | None = None, unit: str = "unit_id",
        lang: str = "id") -> IKMResult:
    """Indeks Kepuasan Masyarakat per group (PermenPANRB 14/2017; KepmenPAN 25/2004).

        NRR_i = sum_r x_ri / n_i           (n_i = valid answers to unsur i in the group)
        IKM   = sum_i w_i NRR_i ,  IKM_unit = 25 * IKM ,  mutu/kinerja from :func:`grade`

    Parameters
    ----------
    data : one row per respondent, one column per unsur (found by code or unsur name, never by
        position; ``columns={"U8": "q9"}`` overrides), plus the grouping columns.
    by : grouping column(s), e.g. ``["unit_id", "wave"]``; None = all rows as one group ("all").
    regime : "2017" (9 unsur) or "2004" (14 unsur); sets the unsur and the grade intervals.
    weights : "exact" (1/k, default), "3dp" (0.111 / 0.071), "2dp" (0.11 / 0.07), or a mapping
        unsur -> weight that sums to 1 (a unit's own weighting).
    instrument : the instrument defining the unsur (default ``skm_2017`` for 2017, the built-in 14
        unsur for 2004).
    ci : "bootstrap" (respondent bootstrap with Poisson(1) frequencies, percentile interval),
        "delta" (normal interval from the delta-method SE) or None.
    n_boot, conf, seed : bootstrap replicates, confidence level, random seed.
    missing_codes : answer codes meaning "no answer" (default: the scale's missing codes).
    population : yearly service users per unit (a column name, or a mapping / Series keyed by the
        ``unit`` column); adds n_required (Krejcie-Morgan) and small_sample.

    Missing data: blanks and missing codes are NA; each NRR uses the valid answers to its unsur.
    When nobody in a group answered an unsur, that unsur is excluded there and the weights are
    renormalised over the remaining k unsur (equal rules: 1/k, rounded as asked; a mapping:
    proportionally to sum to 1); the result's ``warnings`` and ``excluded_unsur`` say so.
    Answers outside the scale raise :class:`DataError` naming row, column and value.

    Uncertainty: ``se`` is always the delta-method (linearisation) standard error of the IKM,
    var = n/(n-1) sum_r IF_r^2 with IF_r = sum_i w_i (x_ri - NRR_i) / n_i over the unsur r answered;
    with complete answers this is var(respondent score)/n. The bootstrap resamples respondents
    within each group with Poisson(1) frequencies (Hanley & MacGibbon 2006, Comput. Methods Programs
    Biomed. 83:57-62), which approximates the multinomial bootstrap and lets all groups be drawn in
    one vectorised pass; the IKM is a ratio of sums, so the varying resample size cancels to first
    order. Groups with fewer than 2 respondents get no interval.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"ikm() needs a pandas DataFrame, got {type(data).__name__}")
    regime = str(regime)
    _grade_table(regime)  # raises for an unknown regime before any work is done
    if ci not in ("bootstrap", "delta", None):
        raise ParameterError(f"ci must be 'bootstrap', 'delta' or None, got {ci!r}")
    if not 0 < conf < 1:
        raise ParameterError(f"conf must be between 0 and 1, got {conf}")
    if lang not in KINERJA:
        raise ParameterError(f"lang must be 'id' or 'en', got {lang!r}")
    unsur = unsur_table(regime, instrument)
    codes = list(unsur.index)
    k_all = len(codes)
    colmap = _resolve_columns(data, unsur, columns)
    absent = [c for c in codes if colmap[c] is None]
    if absent:
        named = ", ".join(f"{c} ({unsur.loc[c, 'label_id']})" for c in absent)
        raise DataError(
            f"no column for unsur {named}; "
            f"name the columns {', '.join(codes)} (or by unsur name) or pass columns={{'U1': '<column>', ...}}. "
            f"Columns present: {', '.join(map(str, data.columns[:30]))}")
    base_w = _base_weights(weights, codes)
    X = _answers(data, colmap, unsur, missing_codes)
    V = np.isfinite(X)
    X0 = np.where(V, X, 0.0)

    by_cols: tuple[str, ...] = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
    missing_by = [c for c in by_cols if c not in data.columns]
    if missing_by:
        raise DataError(f"grouping column(s) {missing_by} not in the data; columns: {', '.join(map(str, data.columns[:30]))}")
    if by_cols:
        gb = data.groupby(list(by_cols), sort=True, dropna=False, observed=True)
        gcode = gb.ngroup().to_numpy()
        index = gb.size().index
    else:
        gcode = np.zeros(len(data), dtype=np.int64)
        index = pd.Index(["all"], name="group")
    G = len(index)

    # per-group sums with bincount: one pass per unsur, no Python loop over groups
    S = np.column_stack([np.bincount(gcode, weights=X0[:, j], minlength=G) for j in range(k_all)]) if G else np.zeros((0, k_all))
    N = np.column_stack([np.bincount(gcode, weights=V[:, j], minlength=G) for j in range(k_all)]) if G else np.zeros((0, k_all))
    answered = V.any(axis=1)
    n = np.bincount(gcode, weights=answered, minlength=G).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        NRR = np.where(N > 0, S / np.where(N > 0, N, 1), np.nan)
    incl = N > 0
    W = _group_weights(incl, base_w)
    ikm_v = np.where(incl.any(axis=1), np.nansum(np.where(incl, W * NRR, 0.0), axis=1), np.nan)

    # delta-method SE: influence of each respondent on the ratio-of-sums estimator
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(incl, W / np.where(N > 0, N, 1), 0.0)            # G x k
    IF = np.sum(np.where(V, (X0 - NRR[gcode]) * coef[gcode], 0.0), axis=1)
    ss = np.bincount(gcode, weights=IF * IF, minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(n >= 2, np.sqrt(ss * n / np.maximum(n - 1, 1)), np.nan)

    z = stats.norm.ppf(0.5 + conf / 2)
    if ci == "delta":
        lo, hi = ikm_v - z * se, ikm_v + z * se
    elif ci == "bootstrap":
        lo, hi = _bootstrap_ci(gcode, X0, V, incl, base_w, n, n_boot, conf, seed)
    else:
        lo = hi = np.full(G, np.nan)

    mutu = grade(ikm_v, regime, "ikm") if G else np.array([], dtype=object)
    warn_msgs: list[str] = []
    excluded = []
    for g in np.flatnonzero(~incl.all(axis=1)):
        miss = [codes[j] for j in np.flatnonzero(~incl[g])]
        excluded.append((g, ",".join(miss)))
        key = index[g]
        key = ", ".join(f"{nm}={v}" for nm, v in zip(index.names, key if isinstance(key, tuple) else (key,)))
        if incl[g].any():
            warn_msgs.append(f"group {key}: nobody answered {', '.join(miss)}; excluded, weights renormalised "
                             f"over {int(incl[g].sum())} unsur")
        else:
            warn_msgs.append(f"group {key}: no valid answer at all; IKM is missing")
    excl_col = np.full(G, "", dtype=object)
    for g, s_ in excluded:
        excl_col[g] = s_
    summary = pd.DataFrame({
        "n": n, "ikm": ikm_v, "ikm_unit": ikm_v * 25, "mutu": mutu,
        "kinerja": kinerja_label(mutu, lang) if G else np.array([], dtype=object),
        "se": se, "ci_low": lo, "ci_high": hi, "ci_low_unit": lo * 25, "ci_high_unit": hi * 25,
        "n_unsur": incl.sum(axis=1), "excluded_unsur": excl_col,
    }, index=index)
    if population is not None:
        summary = _add_population(summary, data, population, unit, by_cols, gcode)
    if warn_msgs:
        shown = "; ".join(warn_msgs[:5]) + (f"; ... {len(warn_msgs) - 5} more" if len(warn_msgs) > 5 else "")
        warnings.warn(shown, SKMWarning, stacklevel=2)
    frame = lambda a: pd.DataFrame(a, index=index, columns=pd.Index(codes, name="unsur"))  # noqa: E731
    unsur_out = unsur[["label_id", "label_en", "min", "max"]].copy()
    unsur_out["column"] = [colmap[c] for c in codes]
    unsur_out["weight"] = [base_w[c] if isinstance(base_w, dict) else unsur_weights(k_all, weights) for c in codes]
    return IKMResult(summary=summary, nrr=frame(NRR), totals=frame(S), counts=frame(N.astype(int)),
                     weights=frame(W), unsur=unsur_out, regime=regime,
                     weights_rule=weights if isinstance(weights, str) else "mapping",
                     ci_method={"bootstrap": f"bootstrap (Poisson, {n_boot} replicates, percentile)",
                                "delta": "delta method (normal)", None: "none"}[ci],
                     conf=conf, n_boot=n_boot if ci == "bootstrap" else 0, by=by_cols,
                     warnings=tuple(warn_msgs))


def _base_weights(weights: str | Mapping[str, float], codes: list[str]) -> str | dict[str, float]:
    if isinstance(weights, str):
        unsur_weights(len(codes), weights)  # validates the name
        return weights
    if not isinstance(weights, Mapping):
        raise ParameterError("weights must be 'exact', '3dp', '2dp' or a mapping unsur -> weight")
    w = {str(k): float(v) for k, v in weights.items()}
    unknown = sorted(set(w) - set(codes))
    missing = [c for c in codes if c not in w]
    if unknown or missing:
        raise DataError(f"weights mapping must give every unsur a weight: unknown {unknown}, missing {missing}")
    if any(v < 0 or not math.isfinite(v) for v in w.values()):
        raise DataError(f"weights must be non-negative numbers, got {w}")
    total = sum(w.values())
    if abs(total - 1) > 1e-6:
        raise DataError(f"weights must sum to 1 (PermenPANRB 14/2017), they sum to {total:.6g}; "
                        "use weights='3dp' or '2dp' to reproduce reports that used rounded 1/9 weights")
    return {c: w[c] for c in codes}  # in unsur order: the arrays below are indexed by position


def _group_weights(incl: np.ndarray, base_w: str | dict[str, float]) -> np.ndarray:
    """Weights per group (G x k) after excluding unanswered unsur."""
    k = incl.sum(axis=-1)
    if isinstance(base_w, str):
        w = unsur_weights(k, base_w)
        return np.where(incl, np.asarray(w)[..., None], 0.0)
    bw = np.array(list(base_w.values()), dtype=float)
    tot = np.sum(np.where(incl, bw, 0.0), axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(incl, bw / tot, 0.0)


# lookup table: a uniform 16-bit integer -> a Poisson(1) frequency (its quantile function)
_POISSON_TABLE = np.searchsorted(
    np.cumsum(stats.poisson.pmf(np.arange(20), 1.0)) * 65536, np.arange(65536) + 0.5).astype(np.float32)


def _bootstrap_ci(gcode, X0, V, incl, base_w, n, n_boot, conf, seed):
    """Percentile CIs of the IKM from a respondent bootstrap, all groups in batched matrix products.

    Groups are sorted by size and processed in chunks; each chunk is a padded array
    (groups x rows x 2k) of answers and validity flags; Poisson(1) frequencies (groups x B x rows)
    multiply it into replicate sums and valid counts per unsur (padding rows are zero).
    """
    G, k = incl.shape
    lo, hi = np.full(G, np.nan), np.full(G, np.nan)
    if n_boot < 2 or G == 0:
        return lo, hi
    rng = np.random.default_rng(seed)
    order = np.argsort(gcode, kind="stable")
    sizes = np.bincount(gcode, minlength=G)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    XV = np.concatenate([X0, V], axis=1).astype(np.float32)[order]
    a = (1 - conf) / 2
    groups = [g for g in np.argsort(sizes, kind="stable") if n[g] >= 2 and incl[g].any()]
    budget = 1 << 23  # frequencies per chunk (32 MB of float32)
    i = 0
    while i < len(groups):
        j = i
        while j < len(groups) and (j - i + 1) * n_boot * max(sizes[groups[j]], 1) <= budget:
            j += 1
        j = max(j, i + 1)
        chunk = groups[i:j]
        m = int(sizes[chunk[-1]])
        # padded (groups x rows x 2k) block by one gather; rows past a group's size are zero
        ch = np.asarray(chunk)
        pos = np.arange(m)
        inside = pos[None, :] < sizes[ch][:, None]
        pad = XV[np.where(inside, starts[ch][:, None] + pos[None, :], 0)] * inside[..., None]
        # a group larger than the budget (e.g. the whole city as one group) draws its replicates in batches
        per_batch = max(1, budget // (len(chunk) * max(m, 1)))
        vals = []
        for b0 in range(0, n_boot, per_batch):
            nb = min(per_batch, n_boot - b0)
            u = rng.integers(0, 65536, size=(len(chunk), nb, m), dtype=np.uint16)
            rep = np.matmul(_POISSON_TABLE[u], pad)                       # chunk x B x 2k
            vals.append(_replicate_ikm(rep, incl[ch], base_w))
        val = np.concatenate(vals, axis=1)
        q = np.nanquantile(val, [a, 1 - a], axis=1)
        lo[ch], hi[ch] = q[0], q[1]
        i = j
    return lo, hi


def _replicate_ikm(rep: np.ndarray, incl: np.ndarray, base_w: str | dict[str, float]) -> np.ndarray:
    """IKM of bootstrap replicates from their sums and valid counts (groups x B x 2k)."""
    k = incl.shape[-1]
    Sb, Nb = rep[..., :k].astype(float), rep[..., k:].astype(float)
    inc = incl[:, None, :] & (Nb > 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        nrr = np.where(inc, Sb / np.where(Nb > 0.5, Nb, 1), 0.0)
    wts = _group_weights(inc, base_w)
    return np.where(inc.any(-1), np.sum(wts * nrr, axis=-1), np.nan)


def _add_population(summary, data, population, unit, by_cols, gcode):
    if isinstance(population, str):
        if population not in data.columns:
            raise DataError(f"population column {population!r} is not in the data")
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


# --------------------------------------------------------------------------------------------
# publication, priorities, ranking, change
# --------------------------------------------------------------------------------------------
def publication_table(result: IKMResult, group: Any = None, lang: str = "id") -> pd.DataFrame:
    """The table units publish (Lampiran PermenPANRB 14/2017, "pengolahan data"): one column per
    unsur; rows sum of answers, valid answers, NRR, weight, weighted NRR; then the IKM, IKM unit,
    mutu and kinerja in the last column block. ``group`` picks a row of ``result.summary`` (default:
    the only group)."""
    if group is None:
        if len(result.summary) != 1:
            raise ParameterError(f"the result has {len(result.summary)} groups; pass group=<one of its index values>")
        group = result.summary.index[0]
    if group not in result.summary.index:
        raise ParameterError(f"group {group!r} is not in the result; groups: {list(result.summary.index[:10])} ...")
    t = {
        "id": ["Jumlah nilai per unsur", "Jumlah jawaban sah", "NRR per unsur", "Bobot", "NRR tertimbang per unsur"],
        "en": ["Sum of answers", "Valid answers", "NRR per element", "Weight", "Weighted NRR"],
    }[lang]
    nrr = result.nrr.loc[group]
    w = result.weights.loc[group]
    tab = pd.DataFrame([result.totals.loc[group], result.counts.loc[group], nrr, w, nrr * w], index=t)
    labels = result.unsur[f"label_{lang}"]
    tab.columns = [f"{c}\n{labels[c]}" for c in tab.columns]
    s = result.summary.loc[group]
    foot = {"id": ["IKM (jumlah NRR tertimbang)", "IKM unit pelayanan", "Mutu pelayanan", "Kinerja unit pelayanan", "Responden"],
            "en": ["IKM (sum of weighted NRR)", "IKM of the unit (25-100)", "Service quality (mutu)", "Unit performance", "Respondents"]}[lang]
    total_col = "IKM"
    tab[total_col] = [np.nan, np.nan, np.nan, w.sum(), s["ikm"]]
    footer = pd.DataFrame({total_col: [s["ikm"], s["ikm_unit"], s["mutu"], kinerja_label(s["mutu"], lang), s["n"]]},
                          index=foot)
    return pd.concat([tab.astype(object), footer.astype(object)])


def priorities(result: IKMResult, unit: str | Sequence[str] = "unit_id", wave: str | None = "wave",
               lang: str = "id") -> pd.DataFrame:
    """Per group: the weakest unsur (lowest NRR; ties go to the lower code) and, when ``wave`` is a
    grouping column, the unsur that moved most since the unit's previous wave (largest absolute NRR
    change; NaN in a unit's first wave)."""
    nrr = result.nrr
    labels = result.unsur[f"label_{lang}"]
    vals = nrr.to_numpy(dtype=float)
    allnan = np.all(np.isnan(vals), axis=1)
    weakest_i = np.nanargmin(np.where(np.isnan(vals), np.inf, vals), axis=1)
    out = pd.DataFrame(index=nrr.index)
    codes = np.array(nrr.columns)
    out["weakest"] = np.where(allnan, None, codes[weakest_i])
    out["weakest_label"] = [labels.get(c) if c else None for c in out["weakest"]]
    out["weakest_nrr"] = np.where(allnan, np.nan, vals[np.arange(len(vals)), weakest_i])
    if wave is not None and wave in (nrr.index.names or []):
        units = [unit] if isinstance(unit, str) else list(unit)
        missing = [u for u in units if u not in nrr.index.names]
        if missing:
            raise DataError(f"priorities(): grouping columns {list(nrr.index.names)} lack {missing}")
        srt = nrr.sort_index(level=[*units, wave])
        diff = srt.groupby(level=units, sort=False).diff().reindex(nrr.index)
        d = diff.to_numpy(dtype=float)
        dn = np.all(np.isnan(d), axis=1)
        mi = np.nanargmax(np.where(np.isnan(d), -np.inf, np.abs(d)), axis=1)
        out["mover"] = np.where(dn, None, codes[mi])
        out["mover_label"] = [labels.get(c) if c else None for c in out["mover"]]
        out["mover_change"] = np.where(dn, np.nan, d[np.arange(len(d)), mi])
    return out


def ranking(result: IKMResult, wave: Any = None, wave_col: str = "wave", min_n: int = 1) -> pd.DataFrame:
    """City-wide ranking by IKM (rank 1 = highest; ties share the best rank) in one wave (default: the
    latest in the result); keeps n, mutu, the CI and, when a population was given, small_sample,
    so small samples stay visible in the table instead of being dropped."""
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
    """Wave-to-wave change of the IKM per unit with a z test against sampling noise."""

    table: pd.DataFrame
    alpha: float
    method: str


def change(result: IKMResult, unit: str | Sequence[str] = "unit_id", wave: str = "wave",
           alpha: float = 0.05) -> ChangeResult:
    """Change in IKM between consecutive waves of each unit and whether it exceeds sampling noise.

        diff = IKM_t - IKM_(t-1),  se_diff = sqrt(se_t^2 + se_(t-1)^2),  z = diff / se_diff

    two-sided p from the normal distribution, with the delta-method SEs of :func:`ikm` (independent
    respondent samples per wave). ``p_holm`` adjusts for testing every unit (Holm 1979);
    ``significant`` uses p_holm < alpha. Columns in IKM-unit points too (``diff_unit``).
    """
    s = result.summary
    units = [unit] if isinstance(unit, str) else list(unit)
    names = list(s.index.names or [])
    if wave not in names or any(u not in names for u in units):
        raise DataError(f"change() needs a result grouped by {units + [wave]}; it is grouped by {names}")
    t = s[["n", "ikm", "se", "mutu"]].reset_index().sort_values([*units, wave])
    prev = t.groupby(units, sort=False)[[wave, "ikm", "se", "n", "mutu"]].shift(1)
    t["wave_prev"], t["ikm_prev"], t["se_prev"], t["n_prev"], t["mutu_prev"] = (
        prev[wave], prev["ikm"], prev["se"], prev["n"], prev["mutu"])
    t = t[t["wave_prev"].notna()].copy()
    t["wave_prev"] = t["wave_prev"].astype(t[wave].dtype)
    t["n_prev"] = t["n_prev"].astype(int)
    t["diff"] = t["ikm"] - t["ikm_prev"]
    t["diff_unit"] = 25 * t["diff"]
    t["se_diff"] = np.sqrt(t["se"] ** 2 + t["se_prev"] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["z"] = t["diff"] / t["se_diff"]
    t["p_value"] = 2 * stats.norm.sf(np.abs(t["z"]))
    t["p_holm"] = _holm(t["p_value"].to_numpy())
    t["significant"] = t["p_holm"] < alpha
    cols = [*units, "wave_prev", wave, "n_prev", "n", "ikm_prev", "ikm", "diff", "diff_unit", "se_diff", "z",
            "p_value", "p_holm", "significant", "mutu_prev", "mutu"]
    return ChangeResult(table=t[cols].reset_index(drop=True), alpha=alpha,
                        method="z test, delta-method SEs, Holm-adjusted over all unit-wave pairs")


def _holm(p: np.ndarray) -> np.ndarray:
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
