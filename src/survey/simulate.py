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
depends on the unit's mean latent managerial competence in that wave (slope b: the mediation chain
program -> managerial competence -> citizen satisfaction), so it rises with the program through managerial competence, plus a small direct
effect of adoption.

All data are synthetic; every file carries ``synthetic = true``. Same seed, same bytes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._choices import DEMO_SEED, SCALES  # noqa: F401  (re-exported: survey.simulate.SCALES, DEMO_SEED)
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
    """The work units, their kecamatan and population served, and the wave each adopts the
    program (staggered cohorts from wave 3 on, NA for the never-treated)."""
    counts = [max(1, int(round(share * n_units))) for *_, share in UNIT_TYPES]
    counts[0] += n_units - sum(counts)  # kelurahan absorb rounding
    kec_names = list(KECAMATAN)
    rows = []
    for (utype, sector, prefix, _), count in zip(UNIT_TYPES, counts):
        for k in range(1, count + 1):
            kec = kec_names[int(rng.integers(len(kec_names)))]
            name, kec, pop = _unit_identity(rng, utype, k, kec)
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


def _unit_identity(rng: np.random.Generator, utype: str, k: int, kec: str) -> tuple[str, str, int]:
    """The k-th unit of a type: its name, kecamatan (city-wide units have a fixed one) and the
    population it serves."""
    if utype == "kantor_lurah":
        return f"Kantor Lurah {k} {kec}", kec, int(rng.integers(2_000, 12_000))
    if utype == "kantor_camat":
        return f"Kantor Camat {kec}", kec, int(rng.integers(5_000, 25_000))
    if utype == "puskesmas":
        return f"Puskesmas {kec} {k}", kec, int(rng.integers(8_000, 40_000))
    if utype == "sekolah":
        name = f"SD Negeri 0{60800 + int(rng.integers(1, 999))} {kec}"
        return name, kec, int(rng.integers(300, 1_200))
    if utype == "rsud":
        kec = "Medan Petisah" if k == 1 else "Medan Labuhan"
        return RSUD_NAMES[(k - 1) % len(RSUD_NAMES)], kec, int(rng.integers(60_000, 150_000))
    return "Dinas Kependudukan dan Pencatatan Sipil", "Medan Kota", int(rng.integers(100_000, 300_000))


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


@dataclass(frozen=True)
class _Staff:
    """The employees: the unit each works in (row of ``units``), ids, NIPs, and the wave each
    completed leadership training (0: never)."""

    unit: np.ndarray
    ids: list[str]
    nips: list[str]
    trained_at: np.ndarray

    def __len__(self) -> int:
        return len(self.unit)


@dataclass(frozen=True)
class _Panel:
    """One row per employee and wave of the employee survey, as index arrays."""

    emp: np.ndarray
    wave: np.ndarray
    unit: np.ndarray
    adopted: np.ndarray  # the employee's unit has adopted the program by this wave
    trained: np.ndarray  # the employee has completed leadership training by this wave

    def __len__(self) -> int:
        return len(self.emp)


@dataclass(frozen=True)
class _UnitManagerial:
    """Unit-wave means of the latent managerial competence (deviation from its mean, index
    ``unit * waves + wave - 1``) with and without the program: citizen satisfaction follows them."""

    with_program: np.ndarray
    without_program: np.ndarray


def generate(out_dir: str | Path = "data/demo", seed: int = DEMO_SEED, scale: str = "small") -> DemoFiles:
    """Write the synthetic Kota Medan demo data set and ``truth.json`` to ``out_dir``.

    ``scale="small"`` lets the demo plan finish in about a minute; ``"full"`` is realistic
    (40 units, 2,000 employees, about 20,000 citizen responses). The same seed gives the same bytes:
    every part draws from one random stream in a fixed order, so the parts below must keep theirs.
    """
    cfg = _config(seed, scale)
    rng = np.random.default_rng(seed)
    waves = np.arange(1, cfg["waves"] + 1)
    units = _units(rng, cfg["n_units"], cfg["waves"])
    staff = _staff(rng, units, cfg["emp_per_unit"])
    records = _training_records(rng, units, staff, waves)
    employee_survey, effects, icc, unit_mc = _employee_survey(rng, units, staff, waves)
    reaction = _training_reaction(rng, records)
    learning, realised_gain = _learning_tests(rng, records)
    transfer = _training_transfer(rng, records, len(waves))
    skm, effects["ikm"] = _citizen_skm(rng, units, waves, cfg["skm_per_unit_wave"], unit_mc)
    needs = _competency_needs(rng, units, staff)
    truth = _truth(seed, scale, cfg, units, waves, effects, icc, realised_gain)
    frames = {
        "units": units,
        "employee_survey": employee_survey,
        "training_records": records[["employee_id", "unit_id", "sector", "program", "session_id", "wave", "jp",
                                     "synthetic"]],
        "training_reaction": reaction,
        "learning_tests": learning,
        "training_transfer": transfer,
        "skm": skm,
        "competency_needs": needs,
    }
    return _write_files(Path(out_dir), frames, truth)


def _config(seed: int, scale: str) -> dict:
    if scale not in SCALES:
        raise SurveyError(f"unknown scale {scale!r}; use one of: {', '.join(SCALES)}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SurveyError(f"seed must be a non-negative whole number, got {seed!r}")
    return SCALES[scale]


def _first_treated(units: pd.DataFrame) -> np.ndarray:
    """Each unit's adoption wave, 0 for never-treated units."""
    return units["first_treated"].fillna(0).astype(int).to_numpy()


def _staff(rng: np.random.Generator, units: pd.DataFrame, per_unit: int) -> _Staff:
    first = _first_treated(units)
    unit = np.repeat(np.arange(len(units)), per_unit)
    n = len(unit)
    ids = [f"E{k + 1:04d}" for k in range(n)]
    nips = _nip(rng, n)
    # who completes leadership training: a share of each treated unit's staff, at adoption
    trained_at = np.where((first[unit] > 0) & (rng.random(n) < SHARE_TRAINED), first[unit], 0)
    return _Staff(unit, ids, nips, trained_at)


def _session_id(program: str, wave: int, unit: int) -> str:
    # three parallel classes per program and wave; units are assigned round-robin
    return f"{PROGRAMS[program][0]}-{_wave_label(wave)}-{unit % 3 + 1}"


def _training_records(rng: np.random.Generator, units: pd.DataFrame, staff: _Staff,
                      waves: np.ndarray) -> pd.DataFrame:
    """Who attended which program in which wave: leadership training at adoption, the other
    programs by chance in every wave. ``unit`` (row of ``units``) is kept for the later parts."""
    rows = []
    for i in range(len(staff)):
        j = staff.unit[i]
        if staff.trained_at[i]:
            rows.append((staff.ids[i], j, "kepemimpinan", staff.trained_at[i]))
        for w in waves:
            for prog, p in (("manajemen_proyek", 0.04), ("layanan_digital", 0.10), ("teknis_sektor", 0.12)):
                if rng.random() < p:
                    rows.append((staff.ids[i], j, prog, int(w)))
    records = pd.DataFrame(rows, columns=["employee_id", "unit", "program", "wave"])
    records["unit_id"] = units["unit_id"].to_numpy()[records["unit"]]
    records["sector"] = units["sector"].to_numpy()[records["unit"]]
    records["session_id"] = [_session_id(p, w, u) for p, w, u in zip(records["program"], records["wave"], records["unit"])]
    records["jp"] = [PROGRAMS[p][1] for p in records["program"]]
    records["synthetic"] = True
    return records


def _panel(units: pd.DataFrame, staff: _Staff, waves: np.ndarray) -> tuple[_Panel, pd.DataFrame]:
    """The employee-wave rows and the survey's metadata columns (no random draws)."""
    first = _first_treated(units)
    emp = np.repeat(np.arange(len(staff)), len(waves))
    wave = np.tile(waves, len(staff))
    unit = staff.unit[emp]
    panel = _Panel(emp=emp, wave=wave, unit=unit,
                   adopted=(first[unit] > 0) & (wave >= first[unit]),
                   trained=(staff.trained_at[emp] > 0) & (wave >= staff.trained_at[emp]))
    frame = pd.DataFrame({
        "respondent_id": [f"{staff.ids[e]}-W{w}" for e, w in zip(emp, wave)],
        "employee_id": np.array(staff.ids)[emp],
        "nip": np.array(staff.nips)[emp],
        "unit_id": units["unit_id"].to_numpy()[unit],
        "sector": units["sector"].to_numpy()[unit],
        "kecamatan": units["kecamatan"].to_numpy()[unit],
        "wave": wave,
        "wave_label": [_wave_label(w) for w in wave],
        "first_treated": units["first_treated"].to_numpy()[unit],
        "treated": (first[unit] > 0).astype(int),
        "post": panel.adopted.astype(int),
        "trained": panel.trained.astype(int),
    })
    return panel, frame


def _employee_survey(rng: np.random.Generator, units: pd.DataFrame, staff: _Staff, waves: np.ndarray
                     ) -> tuple[pd.DataFrame, dict[str, dict], dict[str, float], _UnitManagerial]:
    """The employee survey waves, the realised effect and ICC of each construct, and the unit-wave
    managerial competence the citizen survey depends on."""
    panel, es = _panel(units, staff, waves)
    inst = load_instrument("employee_survey")
    straight = rng.random(len(panel)) < P_STRAIGHTLINE
    straight_value = rng.integers(3, 6, len(panel))
    n_cells = len(units) * len(waves)
    unit_mc = _UnitManagerial(np.zeros(n_cells), np.zeros(n_cells))
    effects: dict[str, dict] = {}
    icc: dict[str, float] = {}
    item_frames: dict[str, np.ndarray] = {}
    for cname, spec in EMPLOYEE_CONSTRUCTS.items():
        answers, effects[cname], icc[cname] = _construct_answers(
            rng, cname, spec, panel, len(units), len(staff), len(waves), inst, np.where(straight, straight_value, -1),
            unit_mc)
        item_frames.update(answers)
    for name in [it.name for it in inst.items if it.construct]:
        es[name] = item_frames[name]
    dur = np.exp(rng.normal(np.log(540), 0.35, len(es)))
    speed = rng.random(len(es)) < P_SPEEDER
    es["duration_sec"] = np.where(speed, rng.integers(40, 90, len(es)), np.rint(dur)).astype(int)
    es["synthetic"] = True
    return es, effects, icc, unit_mc


def _construct_answers(rng: np.random.Generator, cname: str, spec: tuple, panel: _Panel, n_units: int,
                       n_emp: int, n_waves: int, inst, straight: np.ndarray, unit_mc: _UnitManagerial
                       ) -> tuple[dict[str, np.ndarray], dict, float]:
    """One construct's item answers (keyed as asked, with straight-lining and item non-response),
    its realised ATT and its ICC. ``straight`` holds a straight-liner's answer, -1 for the others.
    For managerial competence, fills ``unit_mc`` in place."""
    items, mu, sd_u, sd_e, sd_eps, tau = spec
    u = rng.normal(0, sd_u, n_units)
    e = rng.normal(0, sd_e, n_emp)
    eps = rng.normal(0, sd_eps, len(panel))
    d = panel.trained if cname == "managerial" else panel.adopted
    theta0 = mu + u[panel.unit] + e[panel.emp] + WAVE_TREND * (panel.wave - 1) + eps
    theta1 = theta0 + tau * d
    if cname == "managerial":
        key = panel.unit * n_waves + (panel.wave - 1)
        m1 = pd.Series(theta1 - mu).groupby(key).mean()
        m0 = pd.Series(theta0 - mu).groupby(key).mean()
        unit_mc.with_program[m1.index.to_numpy()] = m1.to_numpy()
        unit_mc.without_program[m0.index.to_numpy()] = m0.to_numpy()
    offsets = rng.normal(0, 0.25, len(items))
    obs1, obs0 = [], []
    answers: dict[str, np.ndarray] = {}
    for k, name in enumerate(items):
        noise = rng.normal(0, ITEM_NOISE_SD, len(panel))
        a1 = _answers(theta1 + offsets[k], noise, 1, 5)
        a0 = _answers(theta0 + offsets[k], noise, 1, 5)
        obs1.append(a1)
        obs0.append(a0)
        answered = 6 - a1 if inst.item(name).reverse else a1
        answered = np.where(straight >= 0, straight, answered)  # straight-liners ignore keying
        answers[name] = _mess(rng, answered, MISSING_CODE)
    adopted = panel.adopted
    att = float(np.mean(np.mean(obs1, axis=0)[adopted] - np.mean(obs0, axis=0)[adopted]))
    effect = {
        "latent_shift": tau,
        "applies_to": "employees who completed leadership training" if cname == "managerial" else "all employees of an adopting unit",
        "att_observed": round(att, 6),
        "att_definition": "mean over employee-waves of adopting units after adoption of (observed construct score - counterfactual score); no item missingness",
    }
    icc = round(sd_u**2 / (sd_u**2 + sd_e**2 + sd_eps**2 + ITEM_NOISE_SD**2 / len(items)), 6)
    return answers, effect, icc


TRAINING_COMMENTS = [
    "Materi sangat relevan dengan pekerjaan saya.",
    "Waktu pelatihan terlalu singkat untuk praktik.",
    "Fasilitator menguasai materi & memberi contoh nyata.",
    "Mohon modul dikirim sebelum pelatihan <b>dimulai</b>.",
    "Terima kasih kepada Pak Budi Santoso, hubungi saya di 0812-3456-7890.",
    "Nama saya Siti Rahmawati, email siti.rahma@example.go.id, mohon sertifikat dikirim.",
    "Ruang kelas panas, AC tidak berfungsi.",
    "Perlu tindak lanjut berupa pendampingan di kantor.",
]
"""Free-text comments of the reaction questionnaire; some carry HTML, a name, a phone number or an
e-mail address on purpose, so the demo reports show escaping and scrubbing at work."""

PROGRAM_QUALITY = {"kepemimpinan": 0.35, "manajemen_proyek": 0.15, "layanan_digital": 0.25, "teknis_sektor": 0.0}


def _training_reaction(rng: np.random.Generator, records: pd.DataFrame) -> pd.DataFrame:
    """Level 1: one reaction questionnaire per training record, with free-text comments."""
    inst = load_instrument("training_reaction")
    rx = records[["employee_id", "unit_id", "sector", "program", "session_id", "wave"]].copy().reset_index(drop=True)
    rx.insert(0, "respondent_id", [f"R{k + 1:05d}" for k in range(len(rx))])
    base = 3.7 + rx["program"].map(PROGRAM_QUALITY).to_numpy() + rng.normal(0, 0.45, len(rx))
    # each construct has its own component beside the overall impression of the training
    specific = {c: rng.normal(0, 0.30, len(rx)) for c in inst.constructs}
    for it in inst.items:
        if not it.construct:
            continue
        lat = base + specific[it.construct] + rng.normal(0, 0.15)
        a = _answers(lat, rng.normal(0, REACTION_ITEM_SD, len(rx)), 1, 5)
        rx[it.name] = _mess(rng, 6 - a if it.reverse else a, MISSING_CODE)
    pick = rng.integers(0, len(TRAINING_COMMENTS), len(rx))
    has_comment = rng.random(len(rx)) < 0.35
    rx["comment"] = np.where(has_comment, np.array(TRAINING_COMMENTS, dtype=object)[pick], "")
    rx["synthetic"] = True
    return rx


def _learning_tests(rng: np.random.Generator, records: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Level 2: pre and post test scores (0-100) per training record, and the realised mean gain
    (from the unrounded scores, for ``truth.json``)."""
    lt = records[["employee_id", "unit_id", "program", "session_id"]].copy().reset_index(drop=True)
    pre = np.clip(rng.normal(LEARNING_PRE_MEAN, LEARNING_PRE_SD, len(lt)), 0, 100)
    gain = rng.normal(LEARNING_GAIN, LEARNING_GAIN_SD, len(lt))
    post = np.clip(pre + gain, 0, 100)
    lt["pre_score"] = np.round(pre, 1)
    lt["post_score"] = np.round(post, 1)
    lt["synthetic"] = True
    return lt, float(np.mean(post - pre))


def _training_transfer(rng: np.random.Generator, records: pd.DataFrame, n_waves: int) -> pd.DataFrame:
    """Level 3: the transfer follow-up, one wave after training (none after the last wave)."""
    inst = load_instrument("training_transfer")
    tr = records[records["wave"] < n_waves][["employee_id", "unit_id", "program", "session_id", "wave"]].copy().reset_index(drop=True)
    tr["wave"] = tr["wave"] + 1
    tr.insert(0, "respondent_id", [f"T{k + 1:05d}" for k in range(len(tr))])
    support = 3.4 + rng.normal(0, 0.6, len(tr))
    opportunity = 3.3 + rng.normal(0, 0.5, len(tr))
    application = 1.2 + 0.45 * support + 0.2 * opportunity + rng.normal(0, 0.4, len(tr))
    latent = {"application": application, "supervisor_support": support, "opportunity": opportunity}
    for it in inst.items:
        if not it.construct:
            continue
        a = _answers(latent[it.construct], rng.normal(0, REACTION_ITEM_SD, len(tr)), 1, 5)
        tr[it.name] = _mess(rng, 6 - a if it.reverse else a, MISSING_CODE)
    tr["synthetic"] = True
    return tr


# published questionnaire order: Sarana (U9) before Pengaduan (U8)
SKM_ORDER = ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U9", "U8"]


def _citizen_skm(rng: np.random.Generator, units: pd.DataFrame, waves: np.ndarray, per_unit_wave: int,
                 unit_mc: _UnitManagerial) -> tuple[pd.DataFrame, dict]:
    """Citizen SKM answers per service unit and wave, and the realised ATT on the IKM.

    Service units under PermenPANRB 14/2017 here: kantor camat, kantor lurah, puskesmas, RSUD,
    Disdukcapil (schools do not run an SKM).
    """
    W = len(waves)
    first = _first_treated(units)
    service = np.flatnonzero(units["unit_type"].isin(SKM_UNIT_TYPES).to_numpy())
    c_unit = np.repeat(service, W * per_unit_wave)
    c_wave = np.tile(np.repeat(waves, per_unit_wave), len(service))
    c_adopt = (first[c_unit] > 0) & (c_wave >= first[c_unit])
    u_skm = rng.normal(0, SKM_SD_UNIT, len(units))
    uw = c_unit * W + (c_wave - 1)
    base = SKM_MEAN + u_skm[c_unit] + 0.02 * (c_wave - 1) + rng.normal(0, SKM_SD_PERSON, len(c_unit))
    s0 = base + SKM_B_MANAGERIAL * unit_mc.without_program[uw]
    s1 = base + SKM_B_MANAGERIAL * unit_mc.with_program[uw] + SKM_DIRECT * c_adopt
    skm = _skm_respondents(rng, units, c_unit, c_wave)
    ikm1, ikm0 = [], []
    for code in SKM_ORDER:
        noise = rng.normal(0, SKM_ITEM_SD, len(skm))
        a1 = _answers(s1 + SKM_OFFSETS[code], noise, 1, 4)
        a0 = _answers(s0 + SKM_OFFSETS[code], noise, 1, 4)
        ikm1.append(a1)
        ikm0.append(a0)
        vals = a1.astype(float)
        vals[rng.random(len(skm)) < 0.01] = np.nan
        skm[code] = vals
    skm["synthetic"] = True
    return skm, _ikm_effect(np.mean(ikm1, axis=0) - np.mean(ikm0, axis=0), c_adopt, c_unit * W + c_wave)


def _skm_respondents(rng: np.random.Generator, units: pd.DataFrame, c_unit: np.ndarray,
                     c_wave: np.ndarray) -> pd.DataFrame:
    """One row per citizen: the unit and wave, and the respondent's age, sex and education codes."""
    n = len(c_unit)
    return pd.DataFrame({
        "respondent_id": [f"C{k + 1:06d}" for k in range(n)],
        "unit_id": units["unit_id"].to_numpy()[c_unit],
        "unit_type": units["unit_type"].to_numpy()[c_unit],
        "kecamatan": units["kecamatan"].to_numpy()[c_unit],
        "wave": c_wave,
        "wave_label": [_wave_label(w) for w in c_wave],
        "age": rng.integers(17, 75, n),
        "sex": rng.integers(1, 3, n),
        "education": rng.choice(np.arange(1, 7), n, p=[0.05, 0.1, 0.4, 0.15, 0.25, 0.05]),
    })


def _ikm_effect(d_person: np.ndarray, adopted: np.ndarray, unit_wave: np.ndarray) -> dict:
    """The realised ATT on the IKM (1-4 scale): per-citizen differences between the answers with
    and without the program, averaged per unit-wave, then over the adopting unit-waves."""
    d_ikm = pd.Series(d_person).groupby(unit_wave).mean()
    adopt_uw = pd.Series(adopted).groupby(unit_wave).first()
    att = round(float(d_ikm[adopt_uw].mean()), 6)
    return {
        "latent_shift": f"{SKM_B_MANAGERIAL} * (shift in the unit's mean latent managerial competence) + {SKM_DIRECT}",
        "applies_to": "citizen responses to adopting units after adoption",
        "att_observed": att,
        "att_definition": "mean over adopting unit-waves after adoption of (IKM - counterfactual IKM), IKM = mean of the 9 unsur NRR with exact weights, 1-4 scale",
        "att_observed_unit_scale": round(att * 25, 6),
    }


MEAN_GAP = {"DIGITAL": 1.3, "PELAYANAN": 0.5, "PROYEK": 0.9, "KEPEMIMPINAN": 0.7, "RS_MGT": 1.0,
            "KESMAS": 0.6, "METODE_AJAR": 0.8, "ADM_SEKOLAH": 0.6, "ADM_KEPEND": 0.7}
"""Mean gap (required - current level) of each competency where it is relevant."""
COMMON_COMPETENCIES = ("DIGITAL", "PELAYANAN", "PROYEK", "KEPEMIMPINAN")


def _competency_needs(rng: np.random.Generator, units: pd.DataFrame, staff: _Staff) -> pd.DataFrame:
    """Each employee's required and current level (1-5) of every competency."""
    n = len(staff)
    cn = pd.DataFrame({
        "respondent_id": [f"N{k + 1:04d}" for k in range(n)],
        "employee_id": staff.ids,
        "unit_id": units["unit_id"].to_numpy()[staff.unit],
        "sector": units["sector"].to_numpy()[staff.unit],
    })
    sectors = cn["sector"].to_numpy()
    for c in COMPETENCIES:
        relevant = np.array([c in SECTOR_COMPETENCIES[s] or c in COMMON_COMPETENCIES for s in sectors])
        req = np.where(relevant, rng.integers(3, 6, n), rng.integers(1, 3, n))
        gap = np.where(relevant, np.rint(rng.normal(MEAN_GAP[c], 0.8, n)), 0)
        cur = np.clip(req - np.maximum(gap, -1), 1, 5)
        cn[f"REQ_{c}"] = req
        cn[f"CUR_{c}"] = cur.astype(int)
    cn["synthetic"] = True
    return cn


def _truth(seed: int, scale: str, cfg: dict, units: pd.DataFrame, waves: np.ndarray, effects: dict,
           icc: dict, realised_gain: float) -> dict:
    """``truth.json``: the configuration, the true and realised effects, and every parameter."""
    tau_managerial = EMPLOYEE_CONSTRUCTS["managerial"][5]
    return {
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
            "a_latent": tau_managerial * SHARE_TRAINED,
            "b_latent": SKM_B_MANAGERIAL, "direct_latent": SKM_DIRECT,
            "indirect_latent": round(tau_managerial * SHARE_TRAINED * SKM_B_MANAGERIAL, 6),
            "a_observed_unit_att": effects["managerial"]["att_observed"],
        },
        "parameters": _parameters(),
    }


def _parameters() -> dict:
    """Every generating parameter, for ``truth.json``."""
    return {
        "employee_constructs": {k: dict(zip(["items", "mean", "sd_unit", "sd_employee", "sd_noise", "tau"], v))
                                for k, v in EMPLOYEE_CONSTRUCTS.items()},
        "item_noise_sd": ITEM_NOISE_SD, "reaction_item_sd": REACTION_ITEM_SD, "wave_trend": WAVE_TREND, "share_trained": SHARE_TRAINED,
        "skm": {"unit_types": list(SKM_UNIT_TYPES), "mean": SKM_MEAN, "sd_unit": SKM_SD_UNIT, "sd_person": SKM_SD_PERSON,
                "item_sd": SKM_ITEM_SD, "offsets": SKM_OFFSETS, "wave_trend": 0.02},
        "learning": {"pre_mean": LEARNING_PRE_MEAN, "pre_sd": LEARNING_PRE_SD},
        "mess": {"p_blank": P_BLANK, "p_missing_code": P_MISSING_CODE, "missing_code": MISSING_CODE,
                 "p_straightline": P_STRAIGHTLINE, "p_speeder": P_SPEEDER},
        "training_programs": {k: {"code": v[0], "jp": v[1]} for k, v in PROGRAMS.items()},
    }


def _write_files(out: Path, frames: dict[str, pd.DataFrame], truth: dict) -> DemoFiles:
    """Write each frame as ``<key>.csv`` and ``truth.json`` (whole-number float columns as integers,
    so answers print as 3, not 3.0)."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for key, frame in frames.items():
        frame = frame.copy()
        for col in frame.columns:
            if frame[col].dtype == float and frame[col].dropna().eq(frame[col].dropna().round()).all():
                frame[col] = frame[col].astype("Int64")
        _write_csv(frame, out / f"{key}.csv")
        written[key] = out / f"{key}.csv"
    _write_json(truth, out / "truth.json")
    written["truth"] = out / "truth.json"
    return DemoFiles(out, written, truth)
