"""Mediation: indirect, direct and total effects of linear models with bootstrap intervals."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .._checks import DEFAULT_SEED, check_positive_int, require_columns
from .._random import rng
from ..results import Result
from ._common import cluster_codes, complete, confidence_level, numeric
from ._formula import controls_matrix

__all__ = ["MediationResult", "mediation"]

EFFECTS = ("a", "b", "indirect", "direct", "total")


@dataclasses.dataclass(frozen=True)
class MediationResult(Result):
    """Indirect, direct and total effects. See :func:`mediation`.

    ``boot`` holds the bootstrap draws (n_boot x 5, columns in the order of ``table``'s rows:
    a, b, indirect, direct, total); ``boot_method`` says what was resampled.
    """

    main = "table"

    a: float
    b: float
    indirect: float
    direct: float
    total: float
    prop_mediated: float
    table: pd.DataFrame
    n: int
    n_dropped: int
    n_boot: int
    boot_method: str
    confidence: float
    boot: np.ndarray = dataclasses.field(repr=False, compare=False)


def _ols_beta(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


def _resample(estimate: Callable[[np.ndarray], tuple[float, float, float]], n: int, clusters: np.ndarray | None,
              n_boot: int, seed: int | None) -> np.ndarray:
    """n_boot x 3 draws of (a, b, c'): rows resampled, or whole clusters when ``clusters`` is given."""
    gen = rng(seed)
    draws = np.empty((n_boot, 3))
    if clusters is not None:
        codes, G = cluster_codes(clusters)
        members = [np.where(codes == g)[0] for g in range(G)]
        for i in range(n_boot):
            pick = gen.integers(0, G, G)
            draws[i] = estimate(np.concatenate([members[g] for g in pick]))
    else:
        for i in range(n_boot):
            draws[i] = estimate(gen.integers(0, n, n))
    return draws


def mediation(data: pd.DataFrame, treatment: str, mediator: str, outcome: str,
              controls: Sequence[str] = (), cluster: str | None = None, n_boot: int = 2000,
              seed: int | None = DEFAULT_SEED, *, confidence: float = 0.95,
              alpha: float | None = None) -> MediationResult:
    """Product-of-coefficients mediation (linear models) with percentile bootstrap CIs.

    mediator = i1 + a T + controls;  outcome = i2 + c' T + b M + controls.
    indirect = a b, direct = c', total = c' + a b (equals the coefficient of T in outcome ~ T +
    controls for OLS). With linear models and no T x M interaction this is the natural indirect
    effect of Imai, Keele & Tingley (2010), Psychol. Methods 15:309. CIs: percentile bootstrap
    with ``n_boot`` resamples of rows, or of whole clusters when ``cluster`` is given (employees
    nested in units), from ``seed``. ``controls`` may be numbers or categories (a Categorical keeps
    its order and its first category is the reference level; text is ordered as R's factor() does).

    Missing data: rows missing any variable are dropped (``n_dropped``).

    Examples
    --------
    >>> from survey import datasets, impact
    >>> panel = datasets.load("impact_panel")
    >>> me = impact.mediation(panel, "D", "x", "y", cluster="unit", n_boot=200)
    >>> round(me.indirect, 2), round(me.direct, 2), me.boot_method
    (0.28, 0.44, "cluster bootstrap (12 clusters of 'unit')")
    >>> me.boot.shape
    (200, 5)
    """
    where = "mediation"
    confidence = confidence_level(where, confidence, alpha)
    n_boot = check_positive_int("n_boot", n_boot, minimum=2)
    cols = [treatment, mediator, outcome, *controls] + ([cluster] if cluster else [])
    require_columns(data, cols, where)
    sub, dropped = complete(data, cols)
    t = numeric(sub, treatment, where).to_numpy()
    m = numeric(sub, mediator, where).to_numpy()
    y = numeric(sub, outcome, where).to_numpy()
    cm = controls_matrix(sub, controls, where)
    C = np.column_stack(list(cm.values())) if cm else np.empty((len(t), 0))
    one = np.ones(len(t))

    def estimate(ix: np.ndarray) -> tuple[float, float, float]:
        Xa = np.column_stack([one[ix], t[ix], C[ix]])
        Xb = np.column_stack([one[ix], t[ix], m[ix], C[ix]])
        bb = _ols_beta(Xb, y[ix])
        return _ols_beta(Xa, m[ix])[1], bb[2], bb[1]

    a, b, cp = estimate(np.arange(len(t)))
    draws = _resample(estimate, len(t), sub[cluster].to_numpy() if cluster else None, n_boot, seed)
    boot_method = (f"cluster bootstrap ({sub[cluster].nunique()} clusters of {cluster!r})" if cluster
                   else "row bootstrap")
    ind = draws[:, 0] * draws[:, 1]
    boot = np.column_stack([draws[:, 0], draws[:, 1], ind, draws[:, 2], draws[:, 2] + ind])
    lo, hi = 100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2
    table = pd.DataFrame({"estimate": [a, b, a * b, cp, cp + a * b],
                          "boot_se": np.std(boot, axis=0, ddof=1),
                          "ci_low": np.percentile(boot, lo, axis=0),
                          "ci_high": np.percentile(boot, hi, axis=0)},
                         index=pd.Index(list(EFFECTS), name="effect"))
    total = cp + a * b
    return MediationResult(a=float(a), b=float(b), indirect=float(a * b), direct=float(cp), total=float(total),
                           prop_mediated=float(a * b / total) if total != 0 else float("nan"), table=table,
                           n=len(t), n_dropped=dropped, n_boot=n_boot, boot_method=boot_method,
                           confidence=confidence, boot=boot)
