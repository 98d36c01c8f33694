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

Modules: :mod:`.grades` (grade tables, weights, sample size), :mod:`.unsur` (the unsur and how they
are found in a file), :mod:`.index` (:func:`ikm`), :mod:`.compare` (publication table, priorities,
ranking, change), :mod:`.trend` (a score over waves).

>>> from survey import skm
>>> skm.krejcie_morgan(100)
80
"""
from __future__ import annotations

from .compare import ChangeResult, change, priorities, publication_table, ranking
from .grades import GRADE_TABLES, KINERJA, MUTU, grade, kinerja_label, krejcie_morgan, unsur_weights
from .index import IKMResult, SKMWarning, ikm
from .trend import TrendResult, trend
from .unsur import UNSUR_2004, UNSUR_2017, unsur_table

__all__ = [
    "UNSUR_2017", "UNSUR_2004", "GRADE_TABLES", "IKMResult", "ChangeResult", "TrendResult", "SKMWarning",
    "ikm", "grade", "kinerja_label", "unsur_weights", "krejcie_morgan", "publication_table",
    "priorities", "ranking", "change", "unsur_table", "trend",
]
