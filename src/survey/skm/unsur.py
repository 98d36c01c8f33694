"""The unsur (service elements) of both regimes and how they are found in a data file.

Unsur are identified by item name (``U1``..``U9``), by unsur name (``pengaduan``,
``sarana_dan_prasarana``...) or by an explicit ``columns`` mapping, never by column position: the
regulation lists Pengaduan 8th and Sarana 9th while its sample questionnaire (and many files) put
Sarana 8th.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, InstrumentError
from ..instrument import Instrument, load_instrument
from .grades import grade_table

__all__ = ["UNSUR_2017", "UNSUR_2004", "unsur_table"]

# Names are the regulations' own words; ``aliases`` are the column names (normalised: lower case,
# non-alphanumerics as "_") that identify the unsur in a file.
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


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def unsur_table(regime: str = "2017", instrument: str | Instrument | None = None) -> pd.DataFrame:
    """The unsur of a regime (or of a custom instrument): code, label_id, label_en, scale min/max.

    For regime "2017" the codes and answer scales come from the instrument (default the built-in
    ``skm_2017``; the items of its ``ikm`` construct), so a unit that adds its own unsur uses its own
    instrument. Regime "2004" uses the 14 unsur of KepmenPAN 25/2004 defined in this module.

    Examples
    --------
    >>> from survey import skm
    >>> skm.unsur_table().loc["U8", "label_en"]
    'Handling of complaints, suggestions and feedback'
    >>> len(skm.unsur_table("2004"))
    14
    """
    grade_table(regime)
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


def resolve_columns(data: pd.DataFrame, unsur: pd.DataFrame,
                    columns: Mapping[str, str] | None) -> dict[str, str]:
    """Map each unsur code to its column: explicit mapping, else the code, else the unsur name.

    A ``DataError`` names every unsur without a column and the columns the data have.
    """
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
    absent = [c for c in unsur.index if out[c] is None]
    if absent:
        named = ", ".join(f"{c} ({unsur.loc[c, 'label_id']})" for c in absent)
        raise DataError(
            f"no column for unsur {named}; "
            f"name the columns {', '.join(unsur.index)} (or by unsur name) or pass columns={{'U1': '<column>', ...}}. "
            f"Columns present: {', '.join(map(str, data.columns[:30]))}")
    return out  # type: ignore[return-value]  # every value is a column name after the check above


def answers(data: pd.DataFrame, colmap: Mapping[str, str], unsur: pd.DataFrame,
            missing_codes: Sequence[int] | None) -> np.ndarray:
    """Answers as a float matrix (rows x unsur), NaN where not answered.

    Blanks (also blank strings) and missing codes are NaN; anything else outside the unsur's scale is
    a ``DataError`` naming row, respondent, column and value, with a ``report`` table of them all.
    """
    X = np.full((len(data), len(unsur)), np.nan)
    problems: list[dict[str, Any]] = []
    rid = data["respondent_id"].to_numpy() if "respondent_id" in data.columns else None
    for j, (code, row) in enumerate(unsur.iterrows()):
        col = colmap[code]
        miss = tuple(row["missing"]) if missing_codes is None else tuple(missing_codes)
        s, v, bad = _column_values(data[col], miss, np.asarray(row["values"], dtype=float))
        for pos in np.flatnonzero(bad)[:50]:
            where = f"row {pos + 1}" + (f" (respondent_id {rid[pos]})" if rid is not None else "")
            problems.append({"file": None, "row": pos + 1, "column": col, "value": s.iloc[pos],
                             "problem": f"{where}, column {col!r} (unsur {code} {row['label_id']}): value "
                                        f"{s.iloc[pos]!r} is not an answer; allowed {row['min']}-{row['max']}",
                             "fix": "correct the answer, leave it blank, or declare the code as missing "
                                    "(missing_codes=[...])"})
        X[:, j] = np.where(bad, np.nan, v)
    if problems:
        _raise_answer_problems(pd.DataFrame(problems))
    return X


def _column_values(s: pd.Series, miss: tuple, allowed: np.ndarray) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(the column with blank strings as NA, its values as floats with missing codes as NaN, bad-value mask)."""
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        st = s.astype("string").str.strip()
        s = st.mask(st == "")
        num = pd.to_numeric(s, errors="coerce")
        not_num = (s.notna() & num.isna()).to_numpy()
    else:
        num = pd.to_numeric(s, errors="coerce")
        not_num = np.zeros(len(s), dtype=bool)
    v = num.to_numpy(dtype=float, na_value=np.nan)
    if miss:
        v = np.where(np.isin(v, miss), np.nan, v)
    bad = (np.isfinite(v) & ~np.isin(v, allowed)) | not_num
    return s, v, bad


def _raise_answer_problems(report: pd.DataFrame) -> None:
    head = "\n".join(f"  - {p}" for p in report["problem"].head(10))
    more = f"\n  ... and {len(report) - 10} more" if len(report) > 10 else ""
    raise DataError(f"{len(report)} SKM answer(s) out of range:\n{head}{more}\n"
                    "Fix: correct or blank these answers, or pass missing_codes=[9] when 9 means 'no answer'.",
                    report=report)
