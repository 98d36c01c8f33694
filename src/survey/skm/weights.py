"""Unsur weights of the IKM: the rule or mapping a user gives, and the weights each group ends up with."""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .._checks import check_choice
from ..errors import DataError, ParameterError
from .grades import unsur_weights


def base_weights(weighting: str | Mapping[str, float], codes: list[str]) -> str | dict[str, float]:
    """A weight rule name ("exact", "3dp", "2dp") as is, or a checked mapping in unsur order."""
    if isinstance(weighting, str):
        return check_choice("weighting", weighting, ("exact", "3dp", "2dp"))
    if not isinstance(weighting, Mapping):
        raise ParameterError("weighting must be 'exact', '3dp', '2dp' or a mapping unsur -> weight")
    w = {str(k): float(v) for k, v in weighting.items()}
    unknown = sorted(set(w) - set(codes))
    missing = [c for c in codes if c not in w]
    if unknown or missing:
        raise DataError(f"the weighting mapping must give every unsur a weight: unknown {unknown}, missing {missing}")
    if any(v < 0 or not math.isfinite(v) for v in w.values()):
        raise DataError(f"unsur weights must be non-negative numbers, got {w}")
    total = sum(w.values())
    if abs(total - 1) > 1e-6:
        raise DataError(f"unsur weights must sum to 1 (PermenPANRB 14/2017), they sum to {total:.6g}; "
                        "use weighting='3dp' or '2dp' to reproduce reports that used rounded 1/9 weights")
    return {c: w[c] for c in codes}  # in unsur order: the arrays below are indexed by position


def group_weights(incl: np.ndarray, base_w: str | dict[str, float]) -> np.ndarray:
    """Weights per group (G x k) after excluding unanswered unsur.

    An equal rule is re-read for the k unsur left (1/k, rounded as asked); a mapping is rescaled
    proportionally to sum to 1.
    """
    k = incl.sum(axis=-1)
    if isinstance(base_w, str):
        w = unsur_weights(k, base_w)
        return np.where(incl, np.asarray(w)[..., None], 0.0)
    bw = np.array(list(base_w.values()), dtype=float)
    tot = np.sum(np.where(incl, bw, 0.0), axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(incl, bw / tot, 0.0)
