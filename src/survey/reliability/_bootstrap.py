"""The row bootstrap of Cronbach's alpha, from sufficient statistics of each resample.

Resample ``b`` draws ``n`` rows with replacement: row ``b`` of
``numpy.random.default_rng(seed).integers(0, n, size=(n_boot, n))``. It is held as frequency
weights ``w = bincount(rows)``, so no resampled copy of the data is ever built, and every statistic
of the resample is a weighted sum over the original rows.

Complete data: ``raw_alpha`` needs the item variances and the variance of the row sum; for a
block of resamples that is one product ``W @ [x, sum x^2, s, s^2]``.

Missing data (pairwise covariances, psych's default): with ``M`` the observed mask, ``D = 1 - M``
and ``X`` the answers with missing entries set to 0, the pairwise covariance of items j and k in
a resample needs, over the rows answering both,

    n_jk   = (M'WM)_jk       = N - d_j - d_k + (D'WD)_jk     (N = sum w, d = D'w)
    sx_jk  = (X'WM)_jk       = (X'w)_j - (X'WD)_jk           (sum of item j where k is answered)
    sxx_jk = (X'WX)_jk                                       (missing entries contribute 0)

    C_jk = (sxx_jk - sx_jk sx_kj / n_jk) / (n_jk - 1)

``X'WX`` of every resample is one matrix product ``W @ Y`` with ``Y`` the rows' products
``x_j x_k`` (j <= k), done in row chunks; the ``D`` terms are sparse (a few missing answers) and
come from the rows missing each item only. Answers are shifted by a whole number per item (the
rounded mean) to keep the products small: with whole-number answers every sum in a chunk is then
an integer below 2^24 and the product runs exactly in single precision, at twice the speed of
double precision (a chunk whose bound would be exceeded, and any non-integer data, runs in double
precision).

Threading: blocks of resamples (complete data) or row chunks (missing data) run on the idle
cores as independent tasks with BLAS held to one thread (:mod:`survey._threads`), so a busy
machine is never slower than one thread; the random draws stay on the calling thread, in order,
so the numbers do not depend on the number of threads.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .._threads import map_blocks

# a block of resamples holds about this many frequencies (32 MB of float64)
_DRAW_BUDGET = 4_000_000
# frequencies of the missing-data path are kept for this many (resample, row) pairs at once (bytes)
_W_BUDGET = 1 << 27
_ROW_CHUNK = 4096
_EXACT_F32 = float(1 << 24)


def bootstrap_alphas(x: np.ndarray, n_boot: int, seed: int | None, use: str,
                     workers: int | None = None) -> np.ndarray:
    """``raw_alpha`` of ``n_boot`` row resamples of ``x`` (rows x items, NaN for missing).

    ``use="complete"`` drops a resample's incomplete rows (as the point estimate does); with
    ``use="pairwise"`` each resample gets its pairwise-complete covariance matrix. A resample in
    which some pair of items is answered together by fewer than 2 rows gives NaN.
    ``workers`` is the number of threads (default: the idle cores, see :mod:`survey._threads`).
    """
    rng = np.random.default_rng(seed)
    nrow, p = x.shape
    rows = np.arange(nrow)
    if use == "complete":
        rows = np.flatnonzero(~np.isnan(x).any(axis=1))
    xs = x[rows]
    block = max(1, min(n_boot, _DRAW_BUDGET // max(nrow, 1)))

    def draws(lo: int, hi: int) -> Iterator[tuple[int, np.ndarray]]:
        for start in range(lo, hi, block):
            yield start, rng.integers(0, nrow, size=(min(block, hi - start), nrow))

    if not np.isnan(xs).any():
        return _complete(xs, rows, nrow, draws(0, n_boot), n_boot, workers)
    return _pairwise(xs, rows, nrow, draws, n_boot, workers)


def _counts(idx: np.ndarray, nrow: int, rows: np.ndarray, dtype: type) -> np.ndarray:
    """Frequency of every kept row in each resample of the block (block x len(rows))."""
    w = np.empty((idx.shape[0], len(rows)), dtype=dtype)
    whole = len(rows) == nrow
    for i in range(idx.shape[0]):
        c = np.bincount(idx[i], minlength=nrow)
        w[i] = c if whole else c[rows]
    return w


def _complete(xs: np.ndarray, rows: np.ndarray, nrow: int, blocks: Iterator[tuple[int, np.ndarray]],
              n_boot: int, workers: int | None) -> np.ndarray:
    """Complete data: item variances and the variance of the row sum, per block one product."""
    p = xs.shape[1]
    # per resample: item sums (p columns), the sum of each row's squared answers (sum of item
    # variances) and the row total and its square (variance of the total)
    xc = xs - xs.mean(axis=0)
    s = xc.sum(axis=1)
    stacked = np.column_stack([xc, (xc**2).sum(axis=1), s, s**2])
    out = np.empty(n_boot)

    def work(item: tuple[int, np.ndarray]) -> None:
        start, idx = item
        w = _counts(idx, nrow, rows, np.float64)
        sums = w @ stacked
        nb = w.sum(axis=1)
        sum_item_var = (sums[:, p] - (sums[:, :p] ** 2).sum(axis=1) / nb) / (nb - 1)
        tot_var = (sums[:, p + 2] - sums[:, p + 1] ** 2 / nb) / (nb - 1)
        out[start:start + len(idx)] = (1 - sum_item_var / tot_var) * p / (p - 1)

    map_blocks(work, blocks, workers)
    return out


def _pairwise(xs: np.ndarray, rows: np.ndarray, nrow: int, draws, n_boot: int,
              workers: int | None) -> np.ndarray:
    """Missing data: per resample the pairwise covariance matrix from sufficient statistics."""
    n, p = xs.shape
    miss = np.isnan(xs)
    finite = xs[~miss]
    integer = bool(np.array_equal(finite, np.round(finite)))
    centre = np.nanmean(xs, axis=0)
    if integer:
        centre = np.round(centre)
    xf = np.where(miss, 0.0, xs - centre)
    big = float(np.abs(xf).max()) if xf.size else 0.0
    # every product of a chunk and its frequency-weighted sum stays below 2^24 in single precision
    # when (largest |y|) x (sum of the chunk's frequencies) does; checked per chunk below
    ymax = max(big * big, big, 1.0)
    iu0, iu1 = np.triu_indices(p)
    q = len(iu0)
    # the rows missing each item, with their answers and their missing pattern (the sparse terms)
    by_item = [np.flatnonzero(miss[:, k]) for k in range(p)]
    zk = [np.column_stack([xf[r], miss[r].astype(float)]) for r in by_item]

    group = max(1, min(n_boot, _W_BUDGET // max(n, 1)))
    out = np.empty(n_boot)
    for g0 in range(0, n_boot, group):
        g1 = min(n_boot, g0 + group)
        w = _frequencies(draws(g0, g1), g0, nrow, rows, g1 - g0, workers)
        out[g0:g1] = _group_alphas(w, xf, iu0, iu1, q, ymax, integer, by_item, zk, workers)
    return out


def _frequencies(blocks: Iterator[tuple[int, np.ndarray]], g0: int, nrow: int, rows: np.ndarray, size: int,
                 workers: int | None) -> np.ndarray:
    """All frequencies of the group of resamples starting at ``g0`` (size x len(rows)) as bytes (a
    quarter of float32's memory); in wider integers in the (practically impossible for more than
    255 rows) case that a row is drawn more than 255 times in one resample."""
    w = np.empty((size, len(rows)), dtype=np.uint8)
    wide: dict[int, np.ndarray] = {}

    def work(item: tuple[int, np.ndarray]) -> None:
        start, idx = item
        c = _counts(idx, nrow, rows, np.int64)
        if c.max() > 255:
            wide[start - g0] = c
        else:
            w[start - g0:start - g0 + len(idx)] = c

    map_blocks(work, blocks, workers)
    if wide:
        w = w.astype(np.int64)
        for at, c in wide.items():
            w[at:at + len(c)] = c
    return w


def _chunk_sums(wr: np.ndarray, xr: np.ndarray, q: int, dt: type) -> np.ndarray:
    """``wr @ [x_j x_k (j <= k), x_j, 1]`` over the chunk's rows (resamples x (q + p + 1))."""
    p = xr.shape[1]
    # the products item by item (rows of yt are contiguous, so this is fast), then the answers and
    # a row of ones (the resample's number of rows in the chunk)
    xt = np.ascontiguousarray(xr.T, dtype=dt)
    yt = np.empty((q + p + 1, len(xr)), dtype=dt)
    at = 0
    for j in range(p):
        np.multiply(xt[j], xt[j:], out=yt[at:at + p - j])
        at += p - j
    yt[q:q + p] = xt
    yt[-1] = 1.0
    return wr.astype(dt) @ yt.T


def _group_alphas(w: np.ndarray, xf: np.ndarray, iu0: np.ndarray, iu1: np.ndarray, q: int, ymax: float,
                  integer: bool, by_item: list[np.ndarray], zk: list[np.ndarray],
                  workers: int | None) -> np.ndarray:
    """raw_alpha of a group of resamples given their frequencies ``w`` (resamples x rows)."""
    b, n = w.shape
    p = xf.shape[1]
    chunks = [("rows", s) for s in range(0, n, _ROW_CHUNK)]
    sparse_tasks = [("items", k) for k in range(0, p, 8)]

    def work(task: tuple[str, int]) -> np.ndarray:
        kind, s = task
        if kind == "rows":
            wr = w[:, s:s + _ROW_CHUNK]
            xr = xf[s:s + _ROW_CHUNK]
            if integer:
                got = _chunk_sums(wr, xr, q, np.float32)
                # exact when every partial sum is an integer below 2^24: bounded by the largest
                # |product| times the chunk's total frequency (the last column, itself exact then)
                if float(got[:, -1].max()) * ymax < _EXACT_F32:
                    return got.astype(np.float64)
            return _chunk_sums(wr, xr, q, np.float64)
        res = np.zeros((b, 2 * p, p))
        for k in range(s, min(s + 8, p)):
            r = by_item[k]
            if len(r):
                res[:, :, k] = w[:, r].astype(np.float64) @ zk[k]
        return res

    parts = map_blocks(work, chunks + sparse_tasks, workers)
    dense, sparse = parts[0], parts[len(chunks)]
    for part in parts[1:len(chunks)]:  # in chunk order: the same sums whatever the threads
        dense += part
    for part in parts[len(chunks) + 1:]:
        sparse += part
    sxx = np.empty((b, p, p))
    sxx[:, iu0, iu1] = dense[:, :q]
    sxx[:, iu1, iu0] = dense[:, :q]
    s = dense[:, q:q + p]
    total = dense[:, -1]
    rx, both = sparse[:, :p, :], sparse[:, p:, :]  # [b, j, k]: over the rows missing k
    d = np.diagonal(both, axis1=1, axis2=2)        # rows missing item j
    nn = total[:, None, None] - d[:, :, None] - d[:, None, :] + both
    sx = s[:, :, None] - rx
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (sxx - sx * np.transpose(sx, (0, 2, 1)) / nn) / (nn - 1)
    c[nn < 2] = np.nan
    tr = np.trace(c, axis1=1, axis2=2)
    return (1 - tr / c.sum(axis=(1, 2))) * p / (p - 1)
