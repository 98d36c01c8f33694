"""Respondent bootstrap of the IKM for many groups at once.

Rows are sorted by group, so a group's answers and validity flags are one contiguous block
(rows x 2k). Replicate ``b`` of a group gives every respondent a Poisson(1) frequency; the
replicate's sums and valid counts per unsur are one product ``F @ [X, V]`` (single precision: the
frequencies, answers and sums are small integers, so the sums are exact).

Random numbers: each group has its own stream, ``survey._random.rng(seed, *group_key)``, so a
unit's interval does not depend on which other groups are in the data: the city report and the
unit's own report show the same interval. A replicate takes ``ceil(rows / 8)`` raw 64-bit words of
that stream (``bit_generator.random_raw``), read as bytes, one per respondent in row order; a
byte gives the frequency through a table of Poisson(1) rounded to 1/256 (see below). Whole words
per replicate: batches of replicates draw the same numbers as one block.

Threading: groups are independent tasks on the idle cores with BLAS held to one thread
(:mod:`survey._threads`), so a busy machine is never slower than one thread; the numbers do not
depend on the threads.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from .._random import rng
from .._threads import map_blocks
from .weights import group_weights

# Poisson(1) frequencies from 8-bit uniforms: P(0..5) = (95, 93, 47, 16, 4, 1) / 256, Poisson(1)'s
# probabilities (0.368, 0.368, 0.184, 0.061, 0.015, 0.004) rounded to 1/256 so that the mean is
# exactly 1 (variance 1.008). Two frequencies per table look-up: a 16-bit index (two uniforms)
# gives both as one complex64, i.e. two float32 side by side, ready for the product.
_P256 = np.array([95, 93, 47, 16, 4, 1])
_BYTE_TABLE = np.repeat(np.arange(len(_P256)), _P256).astype(np.float32)
_PAIR_TABLE = np.empty(65536, dtype=np.complex64)
_PAIR_TABLE.real = _BYTE_TABLE[np.arange(65536) & 255]  # little-endian: the first byte is the low one
_PAIR_TABLE.imag = _BYTE_TABLE[np.arange(65536) >> 8]
# frequencies per batch of one group: small enough that a batch's uniforms, frequencies and their
# float copy stay in the core's cache (a group larger than this draws in several batches)
_BUDGET = 1 << 16
_TASK_ROWS = 1 << 13  # rows of the groups handled by one task (a few hundred small groups)


def bootstrap_ci(gcode: np.ndarray, X0: np.ndarray, V: np.ndarray, incl: np.ndarray,
                 base_w: str | dict[str, float], n: np.ndarray, n_boot: int, confidence: float,
                 seed: int | None, keys: Sequence[tuple[Hashable, ...]],
                 workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval (lower, upper) of the IKM per group; NaN for groups under 2 respondents."""
    G = incl.shape[0]
    lo, hi = np.full(G, np.nan), np.full(G, np.nan)
    if n_boot < 2 or G == 0:
        return lo, hi
    order = np.argsort(gcode, kind="stable")
    sizes = np.bincount(gcode, minlength=G)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    XV = np.concatenate([X0, V], axis=1).astype(np.float32)[order]
    a = (1 - confidence) / 2
    groups = [g for g in range(G) if n[g] >= 2 and incl[g].any()]
    tasks, cur, rows = [], [], 0
    for g in groups:  # consecutive groups into tasks of about _TASK_ROWS rows
        cur.append(g)
        rows += int(sizes[g])
        if rows >= _TASK_ROWS:
            tasks.append(cur)
            cur, rows = [], 0
    if cur:
        tasks.append(cur)

    def work(task: list[int]) -> tuple[list[int], np.ndarray]:
        rep = np.stack([_group_sums(XV[starts[g]:starts[g] + sizes[g]], n_boot, rng(seed, *keys[g]))
                        for g in task])
        val = _replicate_ikm(rep, incl[task], base_w)
        # a replicate without any valid answer has no IKM (NaN); nanquantile only then (it is slower)
        quantile = np.nanquantile if np.isnan(val).any() else np.quantile
        return task, quantile(val, [a, 1 - a], axis=1)

    for task, q in map_blocks(work, tasks, workers):
        lo[task], hi[task] = q[0], q[1]
    return lo, hi


def poisson_frequencies(stream: np.random.Generator, n_rep: int, rows: int) -> np.ndarray:
    """The next ``n_rep`` replicates' frequencies for ``rows`` respondents (float32, n_rep x rows):
    per replicate ``ceil(rows / 8)`` raw 64-bit words, read as bytes in memory order, one byte per
    respondent, each mapped through the table above."""
    words = -(-rows // 8)
    pairs = stream.bit_generator.random_raw(n_rep * words).view(np.uint16)
    return np.take(_PAIR_TABLE, pairs).view(np.float32).reshape(n_rep, 8 * words)[:, :rows]


def _group_sums(xv: np.ndarray, n_boot: int, stream: np.random.Generator) -> np.ndarray:
    """Sums and valid counts per unsur of every replicate of one group (n_boot x 2k); ``xv`` is the
    group's rows x [answers, valid]."""
    m = xv.shape[0]
    per_batch = max(1, _BUDGET // max(m, 1))
    reps = [poisson_frequencies(stream, min(per_batch, n_boot - b0), m) @ xv
            for b0 in range(0, n_boot, per_batch)]
    return reps[0] if len(reps) == 1 else np.concatenate(reps)


def _replicate_ikm(rep: np.ndarray, incl: np.ndarray, base_w: str | dict[str, float]) -> np.ndarray:
    """IKM of bootstrap replicates from their sums and valid counts (groups x B x 2k)."""
    k = incl.shape[-1]
    Sb, Nb = rep[..., :k].astype(float), rep[..., k:].astype(float)
    inc = incl[:, None, :] & (Nb > 0.5)
    if inc.all():
        # the common case: every unsur answered in every replicate, one weight vector for all
        # (the same products and sums as below, so a group's numbers do not depend on its task)
        return np.sum((Sb / Nb) * group_weights(np.ones(k, dtype=bool), base_w), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        nrr = np.where(inc, Sb / np.where(Nb > 0.5, Nb, 1), 0.0)
    wts = group_weights(inc, base_w)
    return np.where(inc.any(-1), np.sum(wts * nrr, axis=-1), np.nan)
