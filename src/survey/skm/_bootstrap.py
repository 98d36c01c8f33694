"""Respondent bootstrap of the IKM for many groups at once.

Groups are sorted by size and processed in chunks; each chunk is a padded array (groups x rows x 2k)
of answers and validity flags; Poisson(1) frequencies (groups x replicates x rows) multiply it into
replicate sums and valid counts per unsur (padding rows are zero), one batched matrix product per
chunk.

Each group draws its frequencies from its own random stream, derived from the seed and the group's
key (``survey._random.rng(seed, unit, wave)``), so a unit's interval does not depend on which other
groups are in the data: the city report and the unit's own report show the same interval.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from scipy import stats

from .._random import rng
from .weights import group_weights

# lookup table: a uniform 16-bit integer -> a Poisson(1) frequency (its quantile function)
_POISSON_TABLE = np.searchsorted(
    np.cumsum(stats.poisson.pmf(np.arange(20), 1.0)) * 65536, np.arange(65536) + 0.5).astype(np.float32)
_BUDGET = 1 << 23  # frequencies per chunk (32 MB of float32)


def bootstrap_ci(gcode: np.ndarray, X0: np.ndarray, V: np.ndarray, incl: np.ndarray,
                 base_w: str | dict[str, float], n: np.ndarray, n_boot: int, confidence: float,
                 seed: int | None, keys: Sequence[tuple[Hashable, ...]]) -> tuple[np.ndarray, np.ndarray]:
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
    groups = [g for g in np.argsort(sizes, kind="stable") if n[g] >= 2 and incl[g].any()]
    for chunk in _chunks(groups, sizes, n_boot):
        val = _chunk_replicates(chunk, sizes, starts, XV, incl, base_w, n_boot, seed, keys)
        q = np.nanquantile(val, [a, 1 - a], axis=1)
        lo[chunk], hi[chunk] = q[0], q[1]
    return lo, hi


def _chunks(groups: list[int], sizes: np.ndarray, n_boot: int) -> list[np.ndarray]:
    """Consecutive groups (sorted by size) whose frequencies fit the budget; a larger group alone."""
    out, i = [], 0
    while i < len(groups):
        j = i
        while j < len(groups) and (j - i + 1) * n_boot * max(sizes[groups[j]], 1) <= _BUDGET:
            j += 1
        j = max(j, i + 1)
        out.append(np.asarray(groups[i:j]))
        i = j
    return out


def _chunk_replicates(ch: np.ndarray, sizes: np.ndarray, starts: np.ndarray, XV: np.ndarray, incl: np.ndarray,
                      base_w: str | dict[str, float], n_boot: int, seed: int | None,
                      keys: Sequence[tuple[Hashable, ...]]) -> np.ndarray:
    """IKM of every replicate of the chunk's groups (groups x n_boot)."""
    m = int(sizes[ch[-1]])
    # padded (groups x rows x 2k) block by one gather; rows past a group's size are zero
    pos = np.arange(m)
    inside = pos[None, :] < sizes[ch][:, None]
    pad = XV[np.where(inside, starts[ch][:, None] + pos[None, :], 0)] * inside[..., None]
    # Several groups share a chunk only when all their replicates fit at once (per_batch >= n_boot);
    # a group larger than the budget (e.g. the whole city as one group) is alone and draws its
    # replicates in batches sized by its own row count. Either way a group's draws depend only on
    # its own key and size.
    per_batch = max(1, _BUDGET // (len(ch) * max(m, 1)))
    streams = [rng(seed, *keys[g]) for g in ch]
    vals = []
    for b0 in range(0, n_boot, per_batch):
        nb = min(per_batch, n_boot - b0)
        u = np.zeros((len(ch), nb, m), dtype=np.uint16)
        for k, g in enumerate(ch):
            u[k, :, :sizes[g]] = streams[k].integers(0, 65536, size=(nb, int(sizes[g])), dtype=np.uint16)
        rep = np.matmul(_POISSON_TABLE[u], pad)                       # chunk x B x 2k
        vals.append(_replicate_ikm(rep, incl[ch], base_w))
    return np.concatenate(vals, axis=1)


def _replicate_ikm(rep: np.ndarray, incl: np.ndarray, base_w: str | dict[str, float]) -> np.ndarray:
    """IKM of bootstrap replicates from their sums and valid counts (groups x B x 2k)."""
    k = incl.shape[-1]
    Sb, Nb = rep[..., :k].astype(float), rep[..., k:].astype(float)
    inc = incl[:, None, :] & (Nb > 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        nrr = np.where(inc, Sb / np.where(Nb > 0.5, Nb, 1), 0.0)
    wts = group_weights(inc, base_w)
    return np.where(inc.any(-1), np.sum(wts * nrr, axis=-1), np.nan)
