"""Matrix helpers shared by the reliability modules: item columns as a float matrix, the checks
every analysis makes on them, pairwise-complete covariances and correlations, squared multiple
correlations and the sign vector of reverse-keyed items."""
from __future__ import annotations

import functools
import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["pairwise_cov", "pairwise_cor", "cov2cor", "smc"]


def _as_matrix(data: pd.DataFrame, what: str, min_items: int = 2, min_rows: int = 3) -> tuple[np.ndarray, list[str]]:
    """Item columns as a float matrix with NaN for missing; checks the shape and the types."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what}: expected a pandas DataFrame of item columns, got {type(data).__name__}")
    cols = [str(c) for c in data.columns]
    dtypes = list(data.dtypes)
    bad = [c for c, dt in zip(cols, dtypes) if not _is_number(dt)]
    if bad:
        raise DataError(
            f"{what}: column(s) {', '.join(bad)} are not numeric; pass only the item columns "
            "(e.g. df[instrument_items]) with answers as numbers")
    if len(cols) < min_items:
        raise DataError(f"{what}: needs at least {min_items} items, got {len(cols)} ({', '.join(cols) or 'none'})")
    if data.shape[0] < min_rows:
        raise DataError(f"{what}: needs at least {min_rows} rows (respondents), got {data.shape[0]}")
    if all(isinstance(dt, np.dtype) and dt.kind in "fiub" for dt in dtypes):
        x = data.to_numpy(dtype=float)  # plain numpy columns: one copy, no per-column work
    else:
        # nullable (Int64, Float64, boolean) columns: NA becomes NaN, in one call (a column at a
        # time through .iloc costs ten times as much); C order as the analyses expect
        x = np.ascontiguousarray(data.to_numpy(dtype=float, na_value=np.nan))
    return x, cols


@functools.lru_cache(maxsize=64)
def _is_number(dtype: Any) -> bool:
    """Whether a column of this dtype holds numbers (or booleans). Cached: pandas' checks cost
    more than the rest of a small analysis's set-up, and a frame's dtypes are few and repeated."""
    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def _check_variance(x: np.ndarray, cols: list[str], what: str) -> None:
    """A ``DataError`` naming items with fewer than 2 answers or the same answer in every row."""
    nan = np.isnan(x)
    if nan.any():
        counts = np.sum(~nan, axis=0)
        empty = [c for c, k in zip(cols, counts) if k < 2]
        if empty:
            raise DataError(f"{what}: item(s) {', '.join(empty)} have fewer than 2 answers; drop them from the analysis")
        sd = np.nanstd(x, axis=0)
    else:
        sd = x.std(axis=0)
    const = [c for c, s in zip(cols, sd) if not s > 0]
    if const:
        raise DataError(
            f"{what}: item(s) {', '.join(const)} have the same answer in every row (no variance), so they "
            "cannot correlate with anything; drop them from the analysis")


def _key_signs(keys: Sequence[str] | None, cols: list[str], what: str) -> tuple[list[str], np.ndarray]:
    """``keys`` as a list of str and the sign vector (-1 for a reverse-keyed item, else +1);
    a ``DataError`` for a key that is not among the items."""
    keys = [str(k) for k in (keys or [])]
    unknown = [k for k in keys if k not in cols]
    if unknown:
        raise DataError(f"{what}: key(s) {', '.join(unknown)} are not among the items ({', '.join(cols)})")
    return keys, np.array([-1.0 if c in keys else 1.0 for c in cols])


def pairwise_cov(x: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Covariance matrix from pairwise-complete observations, as R's ``cov(use="pairwise")``.

    For each pair (j, k) only rows where both are present count; the means are those of that
    subset. ``weights`` are integer frequency weights (a bootstrap resample as counts).

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [4.0, 4.0]])
    >>> pairwise_cov(x).round(4).tolist()
    [[1.6667, 1.8333], [1.8333, 2.3333]]
    """
    nan = np.isnan(x)
    if weights is None and not nan.any():
        xc = x - x.mean(axis=0)
        return (xc.T @ xc) / (x.shape[0] - 1)
    m = (~nan).astype(float)
    # centring first keeps the sums small, so the one-pass formula below stays accurate
    x0 = np.where(m > 0, x - np.nanmean(x, axis=0), 0.0)
    if weights is None:
        mw, x0w = m, x0
    else:
        mw, x0w = m * weights[:, None], x0 * weights[:, None]
    n = mw.T @ m
    sx = x0w.T @ m  # sx[j, k] = sum of x_j over rows where x_k is present
    sxx = x0w.T @ x0
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (sxx - sx * sx.T / n) / (n - 1)
    c[n < 2] = np.nan
    return c


def pairwise_cor(x: np.ndarray) -> np.ndarray:
    """Pearson correlations from pairwise-complete observations, as R's ``cor(use="pairwise")``:
    for each pair, means and SDs are those of the rows answering both (this differs from
    ``cov2cor`` of the pairwise covariance matrix, which ``psych::alpha`` uses).

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [4.0, 4.0]])
    >>> round(float(pairwise_cor(x)[0, 1]), 4)
    0.7857
    """
    m = (~np.isnan(x)).astype(float)
    x0 = np.where(m > 0, x - np.nanmean(x, axis=0), 0.0)
    n = m.T @ m
    sx = x0.T @ m  # sum of x_j where x_k present
    sxx = (x0**2).T @ m  # sum of x_j^2 where x_k present
    sxy = x0.T @ x0
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / n
        vj = sxx - sx**2 / n
        r = cov / np.sqrt(vj * vj.T)
    r[n < 2] = np.nan
    np.fill_diagonal(r, 1.0)
    return r


def _complete_cov(x: np.ndarray) -> np.ndarray:
    """Covariance matrix of the rows with every item present (``cov(use="complete")``)."""
    keep = ~np.isnan(x).any(axis=1)
    return np.cov(x[keep], rowvar=False)


def cov2cor(c: np.ndarray) -> np.ndarray:
    """A covariance matrix scaled to correlations, as R's ``cov2cor``.

    Examples
    --------
    >>> cov2cor(np.array([[4.0, 2.0], [2.0, 9.0]])).round(4).tolist()
    [[1.0, 0.3333], [0.3333, 1.0]]
    """
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)`` as ``psych::smc`` (pseudo-inverse,
    results clipped to [0, 1]).

    Examples
    --------
    >>> smc(np.array([[1.0, 0.5], [0.5, 1.0]])).tolist()
    [0.25, 0.25]
    """
    inv = np.linalg.pinv(r, rcond=np.sqrt(np.finfo(float).eps), hermitian=True)
    return np.clip(1 - 1 / np.diag(inv), 0.0, 1.0)


def _first_pc_signs(r: np.ndarray) -> np.ndarray:
    """Signs of the loadings on the first principal component, oriented so that most load
    positively (as ``psych::principal``)."""
    vals, vecs = np.linalg.eigh(r)
    v = vecs[:, -1]
    if v.sum() < 0:
        v = -v
    return np.sign(v)


def _cor_from_data(data: pd.DataFrame, what: str, min_items: int = 2,
                   via_cov: bool = False) -> tuple[np.ndarray, list[str], int]:
    """Pairwise-complete Pearson correlations (as ``cor(x, use="pairwise")``; with ``via_cov``
    as ``cov2cor(cov(x, use="pairwise"))``), item names and the number of rows (all rows, as
    psych counts n)."""
    x, cols = _as_matrix(data, what, min_items=min_items)
    _check_variance(x, cols, what)
    r = cov2cor(pairwise_cov(x)) if via_cov else pairwise_cor(x)
    if not np.isfinite(r).all():
        j, k = np.argwhere(~np.isfinite(r))[0]
        raise DataError(
            f"{what}: items {cols[j]} and {cols[k]} are answered together by too few respondents (or one "
            "of them is constant where the other is answered), so their correlation is unknown; drop one of them")
    return r, cols, x.shape[0]


def _warn(notes: Sequence[str], stacklevel: int = 3) -> None:
    """Each sentence of a result's ``warnings`` as a ``UserWarning`` too, pointing at the caller of
    the public function (``stacklevel=3``: this helper, the public function, its caller)."""
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=stacklevel)
