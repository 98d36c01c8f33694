"""Random streams that do not depend on row order or on which other groups are in the data.

A group's stream is derived from the seed and a stable key (its unit id and period, say), so the
interval of one unit is the same in a city report and in that unit's own report, and the same
seed gives the same numbers on every machine.
"""
from __future__ import annotations

import hashlib
from collections.abc import Hashable

import numpy as np

from ._checks import DEFAULT_SEED


def _key_words(key: tuple[Hashable, ...]) -> list[int]:
    # str() of the key parts: 5, 5.0 and "5" name the same unit in different files.
    text = "\x1f".join(str(k) for k in key).encode("utf-8")
    digest = hashlib.blake2b(text, digest_size=16).digest()
    return [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]


def rng(seed: int | None = DEFAULT_SEED, *key: Hashable) -> np.random.Generator:
    """A generator for ``seed`` and an optional stable ``key`` (``rng(seed, unit, period)``).

    ``seed=None`` gives fresh entropy (not reproducible); the key still separates groups.

    >>> float(rng(1, "RSUD-1", "2025").random()) == float(rng(1, "RSUD-1", "2025").random())
    True
    """
    if seed is None:
        return np.random.default_rng()
    entropy = [int(seed) & 0xFFFFFFFF, (int(seed) >> 32) & 0xFFFFFFFF]
    if key:
        entropy += _key_words(key)
    return np.random.default_rng(np.random.SeedSequence(entropy))
