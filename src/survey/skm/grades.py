"""Grades (mutu, kinerja), unsur weights and the required sample size of the SKM."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_choice, check_lang, renamed
from ..errors import DataError, ParameterError

__all__ = ["GRADE_TABLES", "MUTU", "KINERJA", "grade", "kinerja_label", "unsur_weights", "krejcie_morgan"]

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
"""Published grade intervals of PermenPANRB 14/2017 and KepmenPAN 25/2004 on both scales."""

MUTU = ("D", "C", "B", "A")
KINERJA = {
    "id": {"A": "Sangat Baik", "B": "Baik", "C": "Kurang Baik", "D": "Tidak Baik"},
    "en": {"A": "Very good", "B": "Good", "C": "Poor", "D": "Very poor"},
}
_EDGE_TOL = 1e-9  # float noise only (3.0644 * 25 is 76.61000000000001); not a rounding rule


def grade(value: Any, regime: str = "2017", scale: str = "ikm") -> Any:
    """Mutu pelayanan (A-D) of an IKM value.

    Parameters
    ----------
    value : float or array-like
        IKM on the 1-4 scale (``scale="ikm"``) or IKM unit on the 25-100 scale (``scale="unit"``).
    regime : "2017" or "2004"
        PermenPANRB 14/2017 or KepmenPAN 25/2004 intervals.
    scale : "ikm" or "unit"

    Returns
    -------
    A letter for a scalar, an object array of letters for an array; NaN gives None.

    Notes
    -----
    A value belongs to the first grade whose published upper bound it does not exceed
    (D up to 2.5996 / 64.99, C up to 3.064 / 76.60, B up to 3.532 / 88.30, else A; 2004: D up to
    1.75 / 43.75, C up to 2.50 / 62.50, B up to 3.25 / 81.25). Every published edge lands in its
    published grade (64.99 is D, 65.00 is C, 76.60 is C, 76.61 is B...). Values between two
    published edges, which the tables leave open, go to the higher grade: 64.995 and 2.5998 are C,
    76.605 and 3.0642 are B, 1.755 and 43.755 are C. Because the upper bounds of the two scales
    correspond exactly (x 25) in both regimes, a value and its conversion always get the same grade;
    grading by the lower bounds would not (2004: 1.76 x 25 = 44.00, but the converted table starts C
    at 43.76).

    References
    ----------
    PermenPANRB 14/2017, Lampiran (nilai interval and nilai interval konversi); KepmenPAN 25/2004,
    Lampiran (interval IKM and interval konversi IKM).

    Examples
    --------
    >>> from survey import skm
    >>> skm.grade(76.60, scale="unit"), skm.grade(76.61, scale="unit")
    ('C', 'B')
    >>> skm.grade([2.5, 3.059, None], regime="2004")
    array(['C', 'B', None], dtype=object)
    """
    table = grade_table(regime)
    check_choice("scale", scale, ("ikm", "unit"))
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
    """Kinerja unit pelayanan of a mutu letter (A "Sangat Baik" ... D "Tidak Baik").

    The labels of PermenPANRB 14/2017 (Lampiran); None or a missing letter gives None.

    Examples
    --------
    >>> from survey import skm
    >>> skm.kinerja_label("B"), skm.kinerja_label("B", lang="en")
    ('Baik', 'Good')
    """
    labels = KINERJA[check_lang(lang)]
    if isinstance(mutu, str) or mutu is None:
        return labels.get(mutu) if mutu else None
    return np.array([labels.get(m) if isinstance(m, str) else None for m in mutu], dtype=object)


def grade_table(regime: str) -> dict[str, Any]:
    """The grade table of ``regime`` ("2017" or "2004"); a ``ParameterError`` for any other."""
    try:
        return GRADE_TABLES[str(regime)]
    except KeyError:
        raise ParameterError(f"regime must be '2017' (PermenPANRB 14/2017) or '2004' (KepmenPAN 25/2004), "
                             f"got {regime!r}") from None


def unsur_weights(k: int | np.ndarray, weighting: str = "exact", *, weights: str | None = None) -> Any:
    """Weight of each of ``k`` equally weighted unsur.

        w = 1 / k            ("exact"; PermenPANRB 14/2017: 1/9, KepmenPAN 25/2004: 1/14)

    ``"3dp"``: 1/k rounded half-up to 3 decimals (0.111 for 9, 0.071 for 14), ``"2dp"``: to 2
    decimals (0.11, 0.07), as old reports printed and used them; these weights do not sum to 1
    (9 x 0.11 = 0.99), which is exactly why such reports differ from the exact IKM. ``k = 0`` gives
    NaN. ``weighting`` was called ``weights``.

    Examples
    --------
    >>> from survey import skm
    >>> skm.unsur_weights(9, "3dp"), skm.unsur_weights(14, "3dp"), skm.unsur_weights(9, "2dp")
    (0.111, 0.071, 0.11)
    """
    weighting = renamed("unsur_weights", "weights", weights, "weighting", weighting, "exact")
    check_choice("weighting", weighting, ("exact", "3dp", "2dp"))
    k = np.asarray(k, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(k > 0, 1.0 / k, np.nan)
    if weighting == "exact":
        out = w
    else:
        d = 10 ** (3 if weighting == "3dp" else 2)
        out = np.floor(w * d + 0.5 + 1e-9) / d  # half-up, as a report writer rounds
    return out.item() if out.ndim == 0 else out


def krejcie_morgan(N: Any, chi2: float = 3.841, p: float = 0.5, d: float = 0.05) -> Any:
    """Required sample size for a population of ``N`` (Krejcie & Morgan 1970).

        s = chi2 * N * p * (1 - p) / (d^2 * (N - 1) + chi2 * p * (1 - p))

    rounded to the nearest integer (halves up). The defaults (chi2 of 1 df at 95%, p = 0.5, margin
    d = 0.05) reproduce the published table: N = 100 -> 80, 1,000 -> 278, 10,000 -> 370,
    1,000,000 -> 384 (the printed table rounds N = 100,000 up to 384 where the formula gives
    382.6 -> 383). PermenPANRB 14/2017 points to this table for the SKM sample.

    Missing data: NaN or missing N gives NaN (the unit's population is unknown); N < 1 is a
    ``DataError``.

    References
    ----------
    Krejcie, R. V. & Morgan, D. W. (1970). Determining sample size for research activities.
    Educational and Psychological Measurement 30, 607-610.

    Examples
    --------
    >>> from survey import skm
    >>> skm.krejcie_morgan(100)
    80
    >>> skm.krejcie_morgan([1000, 10000]).tolist()
    [278.0, 370.0]
    """
    n = np.asarray(N, dtype=float)
    if np.any(n[np.isfinite(n)] < 1):
        raise DataError(f"population N must be at least 1 (got {n[np.isfinite(n)].min():g}); "
                        "give the yearly number of service users of the unit")
    q = chi2 * p * (1 - p)
    s = q * n / (d * d * (n - 1) + q)
    out = np.floor(s + 0.5)
    return float(out) if out.ndim == 0 and not np.isfinite(out) else (int(out) if out.ndim == 0 else out)
