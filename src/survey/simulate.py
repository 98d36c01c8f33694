"""Synthetic Kota Medan with a known truth, for demos and for tests that estimators recover it.

``generate(out_dir, seed, scale)`` writes the demo data set (see README "Demo data"): work units
across the 21 kecamatan, employees nested in units, training programs that reach units in staggered
waves, employee-survey waves before and after, reaction and transfer questionnaires, pre/post
learning tests, citizen SKM responses per unit and wave, competency self-assessments, and
``truth.json`` with every generating parameter and the true effects.

The generating model, per outcome construct c (latent on the 1-5 answer scale)::

    theta_ijt = mu_c + u_j + e_i + delta * t + tau_c * D_ijt + eps_ijt
    answer_k  = clip(round(theta_ijt + b_k + nu_ijtk), 1, 5)     (reverse items: 6 - answer)

where D is the unit's adoption indicator (wave >= first_treated) for motivation and job
satisfaction, and the employee's own completed leadership training for managerial competence.
Because rounding and clipping bend the scale, ``truth.json`` gives both the latent shift tau and the
*realised* ATT on the observed construct score, computed from counterfactual answers drawn with
the same noise (the quantity an unbiased estimator recovers). Citizen satisfaction (SKM, 1-4)
depends on the unit's mean latent managerial competence in that wave (slope b, the mediation chain
of DOMAIN.md), so it rises with the program through managerial competence, plus a small direct
effect of adoption.

All data are synthetic; every file carries ``synthetic = true``. Same seed, same bytes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SurveyError
from .files import atomic_path, atomic_write_text
from .instrument import load_instrument

KECAMATAN = {
    "Medan Tuntungan": 9, "Medan Selayang": 6, "Medan Johor": 6, "Medan Amplas": 7, "Medan Denai": 6,
    "Medan Tembung": 7, "Medan Kota": 12, "Medan Area": 12, "Medan Baru": 6, "Medan Polonia": 5,
    "Medan Maimun": 6, "Medan Sunggal": 6, "Medan Helvetia": 7, "Medan Barat": 6, "Medan Petisah": 7,
    "Medan Timur": 11, "Medan Perjuangan": 9, "Medan Deli": 6, "Medan Labuhan": 6, "Medan Marelan": 5,
    "Medan Belawan": 6,
}
"""The 21 kecamatan of Kota Medan with their number of kelurahan (2009; 151 in all)."""

SCALES = {
     # name: units, employees per unit, waves, citizen responses per service unit and wave
    "small": dict(n_units=24, emp_per_unit=12, waves=5, skm_per_unit_wave=40),
    "full": dict(n_units=40, emp_per_unit=50, waves=6, skm_per_unit_wave=105),
}

# (unit_type, sector, prefix, share of units)
UNIT_TYPES = [
    ("kantor_lurah", "administrasi", "KEL", 0.30),
    ("puskesmas", "kesehatan", "PKM", 0.25),
    ("sekolah", "pendidikan", "SD", 0.20),
    ("kantor_camat", "administrasi", "CAM", 0.17),
    ("rsud", "kesehatan", "RSUD", 0.05),
    ("disdukcapil", "kependudukan", "DKCS", 0.03),
]
RSUD_NAMES = ["RSUD dr. Pirngadi", "RSUD H. Bachtiar Djafar"]
PROGRAMS = {
    # program: (session code, JP per session)
    "kepemimpinan": ("KPM", 40),
    "manajemen_proyek": ("MPR", 24),
    "layanan_digital": ("DIG", 16),
    "teknis_sektor": ("TEK", 12),
}
COMPETENCIES = ["DIGITAL", "PELAYANAN", "PROYEK", "KEPEMIMPINAN", "RS_MGT", "KESMAS",
                "METODE_AJAR", "ADM_SEKOLAH", "ADM_KEPEND"]
SECTOR_COMPETENCIES = {
    "kesehatan": ["RS_MGT", "KESMAS"], "pendidikan": ["METODE_AJAR", "ADM_SEKOLAH"],
    "kependudukan": ["ADM_KEPEND"], "administrasi": [],
}

# Generating parameters (latent, 1-5 scale for employees, 1-4 for citizens).
EMPLOYEE_CONSTRUCTS = {
    # construct: (items, mean, sd_unit, sd_employee, sd_wave_noise, tau)
    "motivation": (["MOT1", "MOT2", "MOT3", "MOT4", "MOT5"], 3.55, 0.22, 0.45, 0.30, 0.25),
    "job_satisfaction": (["JS1", "JS2", "JS3", "JS4", "JS5"], 3.40, 0.25, 0.45, 0.30, 0.20),
    "managerial": (["MC1", "MC2", "MC3", "MC4", "MC5", "MC6", "MC7", "MC8"], 3.30, 0.20, 0.40, 0.25, 0.50),
    "career_development": (["CD1", "CD2", "CD3", "CD4"], 3.20, 0.25, 0.45, 0.30, 0.0),
}
ITEM_NOISE_SD = 0.55
REACTION_ITEM_SD = 0.45      # reaction and transfer items: short scales, answered right away
WAVE_TREND = 0.03            # common change per wave
SHARE_TRAINED = 0.6          # share of a treated unit's employees who complete leadership training
SKM_UNIT_TYPES = ("kantor_lurah", "kantor_camat", "puskesmas", "rsud", "disdukcapil")
SKM_MEAN, SKM_SD_UNIT, SKM_SD_PERSON, SKM_ITEM_SD = 2.95, 0.22, 0.35, 0.45
SKM_B_MANAGERIAL = 0.40      # citizen satisfaction per point of unit mean managerial competence
SKM_DIRECT = 0.05            # direct effect of adoption on citizen satisfaction (not via managerial)
SKM_OFFSETS = {"U1": 0.05, "U2": -0.05, "U3": -0.20, "U4": 0.55, "U5": 0.0, "U6": 0.05,
               "U7": 0.15, "U8": -0.30, "U9": -0.10}
LEARNING_PRE_MEAN, LEARNING_PRE_SD, LEARNING_GAIN, LEARNING_GAIN_SD = 55.0, 12.0, 12.0, 8.0
P_BLANK, P_MISSING_CODE, P_STRAIGHTLINE, P_SPEEDER = 0.02, 0.01, 0.015, 0.02
MISSING_CODE = 9
SYNTHETIC_NOTE = "synthetic demo data (data sintetis), not real respondents"


@dataclass(frozen=True)
class DemoFiles:
    """Where ``generate`` wrote the demo data."""

    out_dir: Path
    files: dict[str, Path]
    truth: dict


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """Fixed float formatting and line ends, so the same seed gives the same bytes."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n", float_format="%.4f")


def _write_json(obj: dict, path: Path) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _answers(latent: np.ndarray, noise: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.rint(latent + noise), lo, hi).astype(int)


def _wave_label(w: int, start_year: int = 2024) -> str:
    return f"{start_year + (w - 1) // 2}-S{(w - 1) % 2 + 1}"


def _units(rng: np.random.Generator, n_units: int, waves: int) -> pd.DataFrame:
    counts = [max(1, int(round(share * n_units))) for *_, share in UNIT_TYPES]
    counts[0] += n_units - sum(counts)  # kelurahan absorb rounding
    kec_names = list(KECAMATAN)
    rows = []
    for (utype, sector, prefix, _), count in zip(UNIT_TYPES, counts):
        for k in range(1, count + 1):
            kec = kec_names[int(rng.integers(len(kec_names)))]
            if utype == "kantor_lurah":
                name = f"Kantor Lurah {k} {kec}"
                pop = int(rng.integers(2_000, 12_000))
            elif utype == "kantor_camat":
                name = f"Kantor Camat {kec}"
                pop = int(rng.integers(5_000, 25_000))
            elif utype == "puskesmas":
                name = f"Puskesmas {kec} {k}"
                pop = int(rng.integers(8_000, 40_000))
            elif utype == "sekolah":
                name = f"SD Negeri 0{60800 + int(rng.integers(1, 999))} {kec}"
                pop = int(rng.integers(300, 1_200))
            elif utype == "rsud":
                name = RSUD_NAMES[(k - 1) % len(RSUD_NAMES)]
                kec = "Medan Petisah" if k == 1 else "Medan Labuhan"
                pop = int(rng.integers(60_000, 150_000))
            else:
                name = "Dinas Kependudukan dan Pencatatan Sipil"
                kec = "Medan Kota"
                pop = int(rng.integers(100_000, 300_000))
            rows.append(dict(unit_id=f"{prefix}-{k:02d}" if prefix not in ("RSUD", "DKCS") else f"{prefix}-{k}",
                             unit_name=name, unit_type=utype, sector=sector, kecamatan=kec, population=pop))
    units = pd.DataFrame(rows)
    # staggered adoption: cohorts from wave 3 on, plus a never-treated group of the same size
    cohorts = list(range(3, waves)) + [0]
    order = rng.permutation(len(units))
    first = np.array([cohorts[i % len(cohorts)] for i in range(len(units))])
    units["first_treated"] = pd.array(np.where(first[np.argsort(order)] > 0, first[np.argsort(order)], np.nan)).astype("Int64")
    units["synthetic"] = True
    return units


def _nip(rng: np.random.Generator, n: int) -> list[str]:
    """Synthetic 18-digit NIP: birth date (8), appointment year-month (6), sex (1), sequence (3)."""
    out = []
    for k in range(n):
        by, bm, bd = int(rng.integers(1968, 1998)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        ay, am = by + int(rng.integers(22, 30)), int(rng.integers(1, 13))
        out.append(f"{by:04d}{bm:02d}{bd:02d}{ay:04d}{am:02d}{int(rng.integers(1, 3))}{(k % 999) + 1:03d}")
    return out


def _mess(rng: np.random.Generator, answers: np.ndarray, missing_code: int | None) -> np.ndarray:
    """Item non-response (blank) and missing codes, as floats with NaN for blanks."""
    out = answers.astype(float)
    r = rng.random(out.shape)
    out[r < P_BLANK] = np.nan
    if missing_code is not None:
        out[(r >= P_BLANK) & (r < P_BLANK + P_MISSING_CODE)] = missing_code
    return out


def generate(out_dir: str | Path = "data/demo", seed: int = 20261127, scale: str = "small") -> DemoFiles:
    """Write the synthetic Kota Medan demo data set and ``truth.json`` to ``out_dir``.

    ``scale="small"`` lets the demo plan finish in about a minute; ``"full"`` is realistic
    (40 units, 2,000 employees, about 20,000 citizen responses). The same seed gives the same bytes.
    """
    if scale not in SCALES:
        raise SurveyError(f"unknown scale {scale!r}; use one of: {', '.join(SCALES)}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SurveyError(f"seed must be a non-negative whole number, got {seed!r}")
    cfg = SCALES[scale]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    W = cfg["waves"]
    waves = np.arange(1, W + 1)

    units = _units(rng, cfg["n_units"], W)
    n_units = len(units)
    first = units["first_treated"].fillna(0).astype(int).to_numpy()

    # ---- employees -----------------------------------------------------------------------
    emp_unit = np.repeat(np.arange(n_units), cfg["emp_per_unit"])
    n_emp = len(emp_unit)
    emp_ids = [f"E{k + 1:04d}" for k in range(n_emp)]
    nips = _nip(rng, n_emp)
    # who completes leadership training: a share of each treated unit's staff, at adoption
    trained_at = np.where((first[emp_unit] > 0) & (rng.random(n_emp) < SHARE_TRAINED), first[emp_unit], 0)

    # ---- training records ----------------------------------------------------------------
    rec_rows = []

    def session_id(program: str, wave: int, unit: int) -> str:
        # three parallel classes per program and wave; units are assigned round-robin
        return f"{PROGRAMS[program][0]}-{_wave_label(wave)}-{unit % 3 + 1}"

    for i in range(n_emp):
        j = emp_unit[i]
        if trained_at[i]:
            rec_rows.append((emp_ids[i], j, "kepemimpinan", trained_at[i]))
        for w in waves:
            for prog, p in (("manajemen_proyek", 0.04), ("layanan_digital", 0.10), ("teknis_sektor", 0.12)):
                if rng.random() < p:
                    rec_rows.append((emp_ids[i], j, prog, int(w)))
    records = pd.DataFrame(rec_rows, columns=["employee_id", "unit", "program", "wave"])
    records["unit_id"] = units["unit_id"].to_numpy()[records["unit"]]
    records["sector"] = units["sector"].to_numpy()[records["unit"]]
    records["session_id"] = [session_id(p, w, u) for p, w, u in zip(records["program"], records["wave"], records["unit"])]
    records["jp"] = [PROGRAMS[p][1] for p in records["program"]]
    records["synthetic"] = True

    # ---- employee survey waves -----------------------------------------------------------
    rows_emp = np.repeat(np.arange(n_emp), W)
    rows_wave = np.tile(waves, n_emp)
    rows_unit = emp_unit[rows_emp]
    adopted = (first[rows_unit] > 0) & (rows_wave >= first[rows_unit])
    trained = (trained_at[rows_emp] > 0) & (rows_wave >= trained_at[rows_emp])
    es = pd.DataFrame({
        "respondent_id": [f"{emp_ids[e]}-W{w}" for e, w in zip(rows_emp, rows_wave)],
        "employee_id": np.array(emp_ids)[rows_emp],
        "nip": np.array(nips)[rows_emp],
        "unit_id": units["unit_id"].to_numpy()[rows_unit],
        "sector": units["sector"].to_numpy()[rows_unit],
        "kecamatan": units["kecamatan"].to_numpy()[rows_unit],
        "wave": rows_wave,
        "wave_label": [_wave_label(w) for w in rows_wave],
        "first_treated": units["first_treated"].to_numpy()[rows_unit],
        "treated": (first[rows_unit] > 0).astype(int),
        "post": adopted.astype(int),
        "trained": trained.astype(int),
    })
    inst_emp = load_instrument("employee_survey")
    effects: dict[str, dict] = {}
    icc: dict[str, float] = {}
    straight = rng.random(len(es)) < P_STRAIGHTLINE
    straight_value = rng.integers(3, 6, len(es))
    # unit-wave mean of the latent managerial competence (deviation from its mean), with and
    # without the program: citizens' satisfaction depends on it (the mediation chain)
    unit_mc1 = np.zeros(n_units * W)
    unit_mc0 = np.zeros(n_units * W)
    item_frames = {}
    for cname, (items, mu, sd_u, sd_e, sd_eps, tau) in EMPLOYEE_CONSTRUCTS.items():
        u = rng.normal(0, sd_u, n_units)
        e = rng.normal(0, sd_e, n_emp)
        eps = rng.normal(0, sd_eps, len(es))
        d = trained if cname == "managerial" else adopted
        theta0 = mu + u[rows_unit] + e[rows_emp] + WAVE_TREND * (rows_wave - 1) + eps
        theta1 = theta0 + tau * d
        if cname == "managerial":
            key = rows_unit * W + (rows_wave - 1)
            m1 = pd.Series(theta1 - mu).groupby(key).mean()
            m0 = pd.Series(theta0 - mu).groupby(key).mean()
            unit_mc1[m1.index.to_numpy()] = m1.to_numpy()
            unit_mc0[m0.index.to_numpy()] = m0.to_numpy()
        offsets = rng.normal(0, 0.25, len(items))
        obs1, obs0 = [], []
        for k, name in enumerate(items):
            noise = rng.normal(0, ITEM_NOISE_SD, len(es))
            a1 = _answers(theta1 + offsets[k], noise, 1, 5)
            a0 = _answers(theta0 + offsets[k], noise, 1, 5)
            obs1.append(a1)
            obs0.append(a0)
            reverse = inst_emp.item(name).reverse
            answered = 6 - a1 if reverse else a1
            answered = np.where(straight, straight_value, answered)  # straight-liners ignore keying
            item_frames[name] = _mess(rng, answered, MISSING_CODE)
        att = float(np.mean(np.mean(obs1, axis=0)[adopted] - np.mean(obs0, axis=0)[adopted]))
        effects[cname] = {
            "latent_shift": tau,
            "applies_to": "employees who completed leadership training" if cname == "managerial" else "all employees of an adopting unit",
            "att_observed": round(att, 6),
            "att_definition": "mean over employee-waves of adopting units after adoption of (observed construct score - counterfactual score); no item missingness",
        }
        icc[cname] = round(sd_u**2 / (sd_u**2 + sd_e**2 + sd_eps**2 + ITEM_NOISE_SD**2 / len(items)), 6)
    for name in [it.name for it in inst_emp.items if it.construct]:
        es[name] = item_frames[name]
    dur = np.exp(rng.normal(np.log(540), 0.35, len(es)))
    speed = rng.random(len(es)) < P_SPEEDER
    es["duration_sec"] = np.where(speed, rng.integers(40, 90, len(es)), np.rint(dur)).astype(int)
    es["synthetic"] = True

    # ---- training reaction (level 1) and learning tests (level 2) --------------------------
    inst_rx = load_instrument("training_reaction")
    program_quality = {"kepemimpinan": 0.35, "manajemen_proyek": 0.15, "layanan_digital": 0.25, "teknis_sektor": 0.0}
    rx = records[["employee_id", "unit_id", "sector", "program", "session_id", "wave"]].copy().reset_index(drop=True)
    rx.insert(0, "respondent_id", [f"R{k + 1:05d}" for k in range(len(rx))])
    base = 3.7 + rx["program"].map(program_quality).to_numpy() + rng.normal(0, 0.45, len(rx))
    # each construct has its own component beside the overall impression of the training
    specific = {c: rng.normal(0, 0.30, len(rx)) for c in inst_rx.constructs}
    for it in inst_rx.items:
        if not it.construct:
            continue
        lat = base + specific[it.construct] + rng.normal(0, 0.15)
        a = _answers(lat, rng.normal(0, REACTION_ITEM_SD, len(rx)), 1, 5)
        rx[it.name] = _mess(rng, 6 - a if it.reverse else a, MISSING_CODE)
    comments = [
        "Materi sangat relevan dengan pekerjaan saya.",
        "Waktu pelatihan terlalu singkat untuk praktik.",
        "Fasilitator menguasai materi & memberi contoh nyata.",
        "Mohon modul dikirim sebelum pelatihan <b>dimulai</b>.",
        "Terima kasih kepada Pak Budi Santoso, hubungi saya di 0812-3456-7890.",
        "Nama saya Siti Rahmawati, email siti.rahma@example.go.id, mohon sertifikat dikirim.",
        "Ruang kelas panas, AC tidak berfungsi.",
        "Perlu tindak lanjut berupa pendampingan di kantor.",
    ]
    pick = rng.integers(0, len(comments), len(rx))
    has_comment = rng.random(len(rx)) < 0.35
    rx["comment"] = np.where(has_comment, np.array(comments, dtype=object)[pick], "")
    rx["synthetic"] = True

    lt = records[["employee_id", "unit_id", "program", "session_id"]].copy().reset_index(drop=True)
    pre = np.clip(rng.normal(LEARNING_PRE_MEAN, LEARNING_PRE_SD, len(lt)), 0, 100)
    gain = rng.normal(LEARNING_GAIN, LEARNING_GAIN_SD, len(lt))
    post = np.clip(pre + gain, 0, 100)
    lt["pre_score"] = np.round(pre, 1)
    lt["post_score"] = np.round(post, 1)
    lt["synthetic"] = True

    # ---- transfer follow-up (level 3), one wave after training ------------------------------
    inst_tr = load_instrument("training_transfer")
    tr = records[records["wave"] < W][["employee_id", "unit_id", "program", "session_id", "wave"]].copy().reset_index(drop=True)
    tr["wave"] = tr["wave"] + 1
    tr.insert(0, "respondent_id", [f"T{k + 1:05d}" for k in range(len(tr))])
    support = 3.4 + rng.normal(0, 0.6, len(tr))
    opportunity = 3.3 + rng.normal(0, 0.5, len(tr))
    application = 1.2 + 0.45 * support + 0.2 * opportunity + rng.normal(0, 0.4, len(tr))
    for it in inst_tr.items:
        if not it.construct:
            continue
        lat = {"application": application, "supervisor_support": support, "opportunity": opportunity}[it.construct]
        a = _answers(lat, rng.normal(0, REACTION_ITEM_SD, len(tr)), 1, 5)
        tr[it.name] = _mess(rng, 6 - a if it.reverse else a, MISSING_CODE)
    tr["synthetic"] = True

    # ---- citizen SKM ---------------------------------------------------------------------
    n_cit = cfg["skm_per_unit_wave"]
    # SKM service units (DOMAIN.md): kantor camat, kantor lurah, puskesmas, RSUD, Disdukcapil
    service = np.flatnonzero(units["unit_type"].isin(SKM_UNIT_TYPES).to_numpy())
    c_unit = np.repeat(service, W * n_cit)
    c_wave = np.tile(np.repeat(waves, n_cit), len(service))
    c_adopt = (first[c_unit] > 0) & (c_wave >= first[c_unit])
    u_skm = rng.normal(0, SKM_SD_UNIT, n_units)
    uw = c_unit * W + (c_wave - 1)
    base = SKM_MEAN + u_skm[c_unit] + 0.02 * (c_wave - 1) + rng.normal(0, SKM_SD_PERSON, len(c_unit))
    s0 = base + SKM_B_MANAGERIAL * unit_mc0[uw]
    s1 = base + SKM_B_MANAGERIAL * unit_mc1[uw] + SKM_DIRECT * c_adopt
    skm = pd.DataFrame({
        "respondent_id": [f"C{k + 1:06d}" for k in range(len(c_unit))],
        "unit_id": units["unit_id"].to_numpy()[c_unit],
        "unit_type": units["unit_type"].to_numpy()[c_unit],
        "kecamatan": units["kecamatan"].to_numpy()[c_unit],
        "wave": c_wave,
        "wave_label": [_wave_label(w) for w in c_wave],
        "age": rng.integers(17, 75, len(c_unit)),
        "sex": rng.integers(1, 3, len(c_unit)),
        "education": rng.choice(np.arange(1, 7), len(c_unit), p=[0.05, 0.1, 0.4, 0.15, 0.25, 0.05]),
    })
    ikm1, ikm0 = [], []
    # published questionnaire order: Sarana (U9) before Pengaduan (U8)
    for code in ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U9", "U8"]:
        noise = rng.normal(0, SKM_ITEM_SD, len(skm))
        a1 = _answers(s1 + SKM_OFFSETS[code], noise, 1, 4)
        a0 = _answers(s0 + SKM_OFFSETS[code], noise, 1, 4)
        ikm1.append(a1)
        ikm0.append(a0)
        vals = a1.astype(float)
        vals[rng.random(len(skm)) < 0.01] = np.nan
        skm[code] = vals
    skm["synthetic"] = True
    # realised ATT on the IKM (1-4 scale), unit-wave IKMs averaged over adopting unit-waves
    d_ikm = pd.Series(np.mean(ikm1, axis=0) - np.mean(ikm0, axis=0)).groupby(c_unit * W + c_wave).mean()
    adopt_uw = pd.Series(c_adopt).groupby(c_unit * W + c_wave).first()
    effects["ikm"] = {
        "latent_shift": f"{SKM_B_MANAGERIAL} * (shift in the unit's mean latent managerial competence) + {SKM_DIRECT}",
        "applies_to": "citizen responses to adopting units after adoption",
        "att_observed": round(float(d_ikm[adopt_uw].mean()), 6),
        "att_definition": "mean over adopting unit-waves after adoption of (IKM - counterfactual IKM), IKM = mean of the 9 unsur NRR with exact weights, 1-4 scale",
    }
    effects["ikm"]["att_observed_unit_scale"] = round(effects["ikm"]["att_observed"] * 25, 6)

    # ---- competency needs ----------------------------------------------------------------
    cn = pd.DataFrame({
        "respondent_id": [f"N{k + 1:04d}" for k in range(n_emp)],
        "employee_id": emp_ids,
        "unit_id": units["unit_id"].to_numpy()[emp_unit],
        "sector": units["sector"].to_numpy()[emp_unit],
    })
    mean_gap = {"DIGITAL": 1.3, "PELAYANAN": 0.5, "PROYEK": 0.9, "KEPEMIMPINAN": 0.7, "RS_MGT": 1.0,
                "KESMAS": 0.6, "METODE_AJAR": 0.8, "ADM_SEKOLAH": 0.6, "ADM_KEPEND": 0.7}
    sectors = cn["sector"].to_numpy()
    for c in COMPETENCIES:
        relevant = np.array([c in SECTOR_COMPETENCIES[s] or c in ("DIGITAL", "PELAYANAN", "PROYEK", "KEPEMIMPINAN") for s in sectors])
        req = np.where(relevant, rng.integers(3, 6, n_emp), rng.integers(1, 3, n_emp))
        gap = np.where(relevant, np.rint(rng.normal(mean_gap[c], 0.8, n_emp)), 0)
        cur = np.clip(req - np.maximum(gap, -1), 1, 5)
        cn[f"REQ_{c}"] = req
        cn[f"CUR_{c}"] = cur.astype(int)
    cn["synthetic"] = True

    # ---- truth -------------------------------------------------------------------------------
    realised_gain = float(np.mean(post - pre))
    a = effects["managerial"]["att_observed"]
    truth = {
        "note": SYNTHETIC_NOTE,
        "seed": int(seed),
        "scale": scale,
        "config": cfg,
        "waves": {str(w): _wave_label(int(w)) for w in waves},
        "cohorts": {uid: (None if pd.isna(ft) else int(ft)) for uid, ft in zip(units["unit_id"], units["first_treated"])},
        "effects": effects,
        "icc": icc,
        "learning_gain": {"population_mean": LEARNING_GAIN, "population_sd": LEARNING_GAIN_SD,
                          "realised_mean": round(realised_gain, 6),
                          "note": "post_score - pre_score, both clipped to 0-100"},
        "transfer": {"application_on_support": 0.45, "application_on_opportunity": 0.2},
        "mediation": {
            "chain": "leadership training -> managerial competence (unit mean) -> citizen satisfaction",
            "a_latent": EMPLOYEE_CONSTRUCTS["managerial"][5] * SHARE_TRAINED,
            "b_latent": SKM_B_MANAGERIAL, "direct_latent": SKM_DIRECT,
            "indirect_latent": round(EMPLOYEE_CONSTRUCTS["managerial"][5] * SHARE_TRAINED * SKM_B_MANAGERIAL, 6),
            "a_observed_unit_att": a,
        },
        "parameters": {
            "employee_constructs": {k: dict(zip(["items", "mean", "sd_unit", "sd_employee", "sd_noise", "tau"], v))
                                    for k, v in EMPLOYEE_CONSTRUCTS.items()},
            "item_noise_sd": ITEM_NOISE_SD, "reaction_item_sd": REACTION_ITEM_SD, "wave_trend": WAVE_TREND, "share_trained": SHARE_TRAINED,
            "skm": {"unit_types": list(SKM_UNIT_TYPES), "mean": SKM_MEAN, "sd_unit": SKM_SD_UNIT, "sd_person": SKM_SD_PERSON,
                    "item_sd": SKM_ITEM_SD, "offsets": SKM_OFFSETS, "wave_trend": 0.02},
            "learning": {"pre_mean": LEARNING_PRE_MEAN, "pre_sd": LEARNING_PRE_SD},
            "mess": {"p_blank": P_BLANK, "p_missing_code": P_MISSING_CODE, "missing_code": MISSING_CODE,
                     "p_straightline": P_STRAIGHTLINE, "p_speeder": P_SPEEDER},
            "training_programs": {k: {"code": v[0], "jp": v[1]} for k, v in PROGRAMS.items()},
        },
    }

    files = {
        "units": (units, "units.csv"),
        "employee_survey": (es, "employee_survey.csv"),
        "training_records": (records.drop(columns=["unit"])[["employee_id", "unit_id", "sector", "program", "session_id", "wave", "jp", "synthetic"]], "training_records.csv"),
        "training_reaction": (rx, "training_reaction.csv"),
        "learning_tests": (lt, "learning_tests.csv"),
        "training_transfer": (tr, "training_transfer.csv"),
        "skm": (skm, "skm.csv"),
        "competency_needs": (cn, "competency_needs.csv"),
    }
    written: dict[str, Path] = {}
    for key, (frame, fname) in files.items():
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].dtype == float and frame[col].dropna().eq(frame[col].dropna().round()).all():
                frame[col] = frame[col].astype("Int64")  # answers print as 3, not 3.0
        _write_csv(frame, out / fname)
        written[key] = out / fname
    _write_json(truth, out / "truth.json")
    written["truth"] = out / "truth.json"
    return DemoFiles(out, written, truth)
