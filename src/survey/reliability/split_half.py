"""Split-half reliabilities (Guttman's lambda 4, Revelle's beta), as ``psych::splitHalf``."""
from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Sequence

import numpy as np
import pandas as pd

from .._checks import DEFAULT_SEED, check_positive_int
from ..results import Result
from ._matrix import _cor_from_data, _first_pc_signs, _key_signs, _warn, smc

__all__ = ["SplitHalfResult", "split_half"]


@dataclasses.dataclass(frozen=True)
class SplitHalfResult(Result):
    """Split-half reliabilities (see :func:`split_half`); ``to_frame()`` gives the coefficients
    as one row."""

    main = None

    lambda4: float
    beta: float
    mean_split: float
    std_alpha: float
    lambda2: float
    lambda6: float
    average_r: float
    median_r: float
    n_splits: int
    max_split: tuple[tuple[str, ...], tuple[str, ...]]
    min_split: tuple[tuple[str, ...], tuple[str, ...]]
    keys: tuple[str, ...] = ()


def split_half(data: pd.DataFrame, keys: Sequence[str] | None = None, check_keys: bool = True,
               n_sample: int = 10000, seed: int | None = DEFAULT_SEED) -> SplitHalfResult:
    """Split-half reliabilities as ``psych::splitHalf`` (standardized, from correlations).

    For a split into halves A and B, ``r_sb = 4 sum(R_AB) / sum(R)`` (the Guttman/Rulon
    reliability of the split). ``lambda4`` is the largest over splits, ``beta`` (Revelle's) the
    smallest, ``mean_split`` the mean (which equals standardized alpha when every split is
    counted). ``lambda2`` and ``lambda6`` are Guttman's (1945); ``std_alpha`` is standardized
    alpha (psych's ``alpha`` here; :func:`alpha` reports it as ``std_alpha`` too).
    Every split is counted when there are at most ``n_sample`` (psych's enumeration, which for
    an odd number of items visits half of them); otherwise ``n_sample`` random splits (``seed``).

    ``keys`` reverse items; without keys and with ``check_keys`` (psych's default) items loading
    negatively on the first principal component are reversed with a warning (the sentence is in
    ``warnings`` too, and the reversed items in ``keys``).

    Missing data: ``cov2cor`` of the pairwise-complete covariances (as psych and :func:`alpha`).
    Reference: Revelle & Zinbarg (2009) Psychometrika 74, 145-154.

    Examples
    --------
    >>> from survey import datasets
    >>> s = split_half(datasets.load("factors")[["V1", "V2", "V3", "V4", "V5", "V6"]])
    >>> round(s.lambda4, 3), round(s.beta, 3), s.n_splits
    (0.836, 0.636, 10)
    """
    n_sample = check_positive_int("n_sample", n_sample)
    # psych::splitHalf correlates through the pairwise covariance matrix, as alpha does
    r, cols, _ = _cor_from_data(data, "split_half", min_items=2, via_cov=True)
    n = len(cols)
    keys, sign = _key_signs(keys, cols, "split_half")
    notes = []
    if not keys and check_keys:
        neg = [c for c, s in zip(cols, _first_pc_signs(r)) if s < 0]
        if neg:
            notes.append(f"split_half: item(s) {', '.join(neg)} correlate negatively with the total and were "
                         "reversed; pass keys to say so explicitly")
            keys, sign = _key_signs(neg, cols, "split_half")
    r = r * np.outer(sign, sign)
    sumr = r.sum()
    off = r - np.diag(np.diag(r))
    sum_off = sumr - np.trace(r)
    alpha_std = sum_off / sumr * n / (n - 1)
    lambda6 = (sum_off + smc(r).sum()) / sumr
    lambda2 = (sum_off + np.sqrt((off**2).sum() * n / (n - 1))) / sumr
    low = r[np.tril_indices(n, -1)]
    m = n // 2
    count = math.comb(n, m) / 2

    def rab(a_idx):
        a = np.zeros(n)
        a[list(a_idx)] = 1
        return 4 * (a @ r @ (1 - a)) / sumr

    if count <= n_sample:
        n_visit = math.ceil(count) if count != int(count) else int(count)
        splits = list(itertools.islice(itertools.combinations(range(n), m), n_visit))
        denom = count
    else:
        rng = np.random.default_rng(seed)
        splits = [tuple(sorted(rng.choice(n, m, replace=False))) for _ in range(n_sample)]
        denom = n_sample
    vals = np.array([rab(s) for s in splits])
    imax, imin = int(np.argmax(vals)), int(np.argmin(vals))

    def halves(s):
        a = tuple(cols[i] for i in s)
        return a, tuple(c for c in cols if c not in a)

    _warn(notes)
    return SplitHalfResult(lambda4=float(vals[imax]), beta=float(vals[imin]), mean_split=float(vals.sum() / denom),
                           std_alpha=float(alpha_std), lambda2=float(lambda2), lambda6=float(lambda6),
                           average_r=float(low.mean()), median_r=float(np.median(low)), n_splits=len(splits),
                           max_split=halves(splits[imax]), min_split=halves(splits[imin]), keys=tuple(keys),
                           warnings=tuple(notes))

