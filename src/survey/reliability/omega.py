"""McDonald's omega: hierarchical and total from a Schmid-Leiman solution (as ``psych::omega``),
and omega total of one scale from a one-factor model (as a one-factor ``lavaan::cfa``)."""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pandas as pd

from .._checks import DEFAULT_SEED, check_choice
from ..errors import DataError, ParameterError
from ..results import Result
from ._matrix import _as_matrix, _check_variance, _cor_from_data, _key_signs, _warn, cov2cor, pairwise_cov, smc
from ._optim import lbfgsb
from .factor import _fa, _gpf_oblimin, _minres, _ml, _promax, parallel_analysis

__all__ = ["OmegaResult", "omega", "OmegaTotalResult", "omega_total"]


@dataclasses.dataclass(frozen=True)
class OmegaResult(Result):
    """McDonald's omega from a Schmid-Leiman solution (see :func:`omega`); ``to_frame()`` gives
    the ``summary`` as one row."""

    main = "summary"

    summary: pd.Series
    loadings: pd.DataFrame
    groups: pd.DataFrame
    nfactors: int
    fm: str = "minres"
    rotate: str = "oblimin"
    parallel: object | None = None


def omega(data: pd.DataFrame, nfactors: int | None = 3, keys: Sequence[str] | None = None,
          fm: str = "minres", rotate: str = "oblimin", n_iter: int = 20,
          seed: int | None = DEFAULT_SEED) -> OmegaResult:
    """Omega hierarchical and omega total as ``psych::omega(x, nfactors, fm=fm, rotate=rotate)``
    (defaults as psych: minres, oblimin, Schmid-Leiman).

    Steps as psych: an EFA with varimax (``fm`` "minres" or "ml", see :func:`efa`); an oblique
    rotation of those loadings (``rotate`` "oblimin", GPArotation's quartimin, or "promax",
    psych's Kaiser-normalised Promax); a general factor from a one-factor analysis (same ``fm``)
    of the factor correlations (with 2 factors both
    general loadings are set to ``sqrt(phi_12)``, psych's ``option="equal"``); the
    Schmid-Leiman transformation. With ``V`` the sum of the (keyed) correlation matrix:
    ``omega_h = (sum g)^2 / V``, ``omega_total = (V - sum u2) / V``,
    ``omega_limit = (sum g)^2 / (V - sum u2)``, ``ecv`` = general share of the common variance.
    Items loading negatively on g are flipped (psych's ``flip=TRUE``) unless ``keys`` are given.
    ``nfactors=None`` takes the number suggested by :func:`parallel_analysis` (``n_iter``,
    ``seed``; attached as ``parallel``, at least 2); a given ``nfactors`` runs no parallel
    analysis.

    ``summary``: omega_h, omega_total, omega_limit, std_alpha (standardized alpha, psych's
    ``alpha`` here), g6, ecv, n_obs, n_items;
    ``loadings``: g, F1*..Fk*, h2, u2, p2; ``groups``: psych's ``omega.group`` (total, general,
    group) for g and each group factor (NaN for a group factor on which no item loads most, as
    psych's NA).

    Missing data: pairwise-complete correlations. References: McDonald (1999) Test Theory;
    Zinbarg, Revelle, Yovel & Li (2005) Psychometrika 70, 123-133.

    Warns
    -----
    UserWarning when the oblimin rotation does not converge (also in ``warnings``).

    Examples
    --------
    >>> from survey import datasets
    >>> o = omega(datasets.load("factors"), 3)
    >>> o.summary[["omega_h", "omega_total"]].astype(float).round(3).tolist()
    [0.539, 0.881]
    """
    check_choice("fm", fm, ("minres", "ml"))
    check_choice("rotate", rotate, ("oblimin", "promax"))
    r, cols, n = _cor_from_data(data, "omega", min_items=3)
    p = len(cols)
    par = None
    if nfactors is None:
        par = parallel_analysis(data, n_iter=n_iter, seed=seed)
        nfactors = min(max(2, par.nfactors), p - 1)
    if not 2 <= nfactors < p:
        raise ParameterError(f"omega: nfactors must be between 2 and {p - 1} for {p} items, got {nfactors}; "
                             "for one factor use omega_total()")
    keys, ksign = _key_signs(keys, cols, "omega")
    flip = not keys
    m = r * np.outer(ksign, ksign)

    orth, _, _, _ = _fa(m, nfactors, "varimax", fm)
    if rotate == "promax":
        fload, phi = _promax(orth)
        converged = True
    else:
        fload, phi, converged = _gpf_oblimin(orth)
    if nfactors > 2:
        gl, _ = _ml(phi, 1) if fm == "ml" else _minres(phi, 1)
        gload = gl[:, 0] * (1 if gl.sum() >= 0 else -1)
    else:
        g12 = np.sqrt(abs(phi[0, 1]))
        gload = np.array([g12, np.sign(phi[0, 1]) * g12])
    g = fload @ gload
    h2 = (orth**2).sum(axis=1)
    u2 = 1 - h2
    uniq2 = np.clip(fload**2 - (fload * gload) ** 2, 0, None)
    sm = np.sign(fload) * np.sqrt(uniq2)
    p2 = g**2 / h2
    if flip:
        fs = np.sign(g)
        fs[fs == 0] = 1
        if (fs < 0).any():
            m = m * np.outer(fs, fs)
            g, sm = g * fs, sm * fs[:, None]
            ksign = ksign * fs
    vt = m.sum()
    gsq = g.sum() ** 2
    om_tot = (vt - u2.sum()) / vt
    ev = np.r_[(g**2).sum(), (sm**2).sum(axis=0)]
    fnames = [f"F{i + 1}*" for i in range(nfactors)]
    sl = pd.DataFrame(np.column_stack([g, sm, h2, u2, p2]), index=pd.Index(cols, name="item"),
                      columns=["g", *fnames, "h2", "u2", "p2"])
    sl["reversed"] = ksign < 0
    # omega per group factor: items assigned to the group factor they load most on
    sub = np.argmax(np.abs(sm), axis=1)
    rows, grs = {}, 0.0
    for j in range(nfactors):
        idx = np.flatnonzero(sub == j)
        if idx.size == 0:
            rows[fnames[j]] = (np.nan, np.nan, np.nan)
            continue
        vgr = m[np.ix_(idx, idx)].sum()
        gr = sm[idx, j].sum()
        grs += gr**2
        gg = g[idx].sum() ** 2
        rows[fnames[j]] = ((gr**2 + gg) / vgr, gg / vgr, gr**2 / vgr)
    groups = pd.DataFrame({"g": (om_tot, gsq / vt, grs / vt), **rows}, index=["total", "general", "group"]).T
    summary = pd.Series({
        "omega_h": gsq / vt, "omega_total": om_tot, "omega_limit": gsq / (vt - u2.sum()),
        "std_alpha": (vt - np.trace(m)) / vt * p / (p - 1),
        "g6": (vt + smc(m).sum() - np.trace(m)) / vt,
        "ecv": ev[0] / ev.sum(), "n_obs": int(n), "n_items": p,
    }, dtype=object)
    notes = [] if converged else ["omega: the oblimin rotation did not converge"]
    _warn(notes)
    return OmegaResult(summary=summary, loadings=sl, groups=groups, nfactors=int(nfactors), fm=fm, rotate=rotate,
                       parallel=par, warnings=tuple(notes))


@dataclasses.dataclass(frozen=True)
class OmegaTotalResult(Result):
    """Omega total of one scale from a one-factor model (see :func:`omega_total`);
    ``to_frame()`` gives ``omega_total`` and ``n_obs`` as one row."""

    main = None

    omega_total: float
    loadings: pd.Series
    residuals: pd.Series
    std_loadings: pd.Series
    n_obs: int
    keys: tuple[str, ...] = ()


def _ml_one_factor(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood one-factor model of a covariance matrix (Joreskog's uniqueness
    parameterisation, as psych's ``fm="ml"``). Returns (loadings, residual variances)."""
    p = s.shape[0]
    d = np.diag(s)

    def parts(psi):
        sc = 1 / np.sqrt(psi)
        ss = s * np.outer(sc, sc)
        vals, vecs = np.linalg.eigh(ss)
        return vals[::-1], vecs[:, ::-1]

    def f(psi):
        vals, _ = parts(psi)
        e = vals[1:]
        return -(np.sum(np.log(e) - e) - 1 + p)

    def grad(psi):
        vals, vecs = parts(psi)
        lam = vecs[:, :1] * np.sqrt(max(vals[0] - 1, 0))
        lam = np.sqrt(psi)[:, None] * lam
        gmat = lam @ lam.T + np.diag(psi) - s
        return np.diag(gmat) / psi**2

    start = d * (1 - smc(cov2cor(s)))
    res = lbfgsb(f, start, grad, bounds=[(0.005 * di, di) for di in d],
                 options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    psi = res.x
    vals, vecs = parts(psi)
    lam = np.sqrt(psi) * vecs[:, 0] * np.sqrt(max(vals[0] - 1, 0))
    if lam.sum() < 0:
        lam = -lam
    return lam, psi


def omega_total(data: pd.DataFrame, keys: Sequence[str] | None = None) -> OmegaTotalResult:
    """McDonald's omega total of a unit-weighted scale score from a one-factor model fitted by
    maximum likelihood to the item covariances (a one-factor CFA, as lavaan's
    ``cfa("f =~ x1 + ... + xk", std.lv = TRUE)``):

    ``omega = (sum lambda)^2 / ((sum lambda)^2 + sum theta)``

    with reverse-keyed items (``keys``) sign-flipped first. This is the reliability the
    notebook reports beside alpha: unlike alpha it does not assume equal loadings.

    Missing data: pairwise-complete covariances (lavaan's default listwise deletion and its
    FIML both give slightly different estimates when answers are missing); n = all rows.
    Reference: McDonald (1999) Test Theory, ch. 6.

    Examples
    --------
    >>> from survey import datasets
    >>> df = datasets.load("reaction")
    >>> round(omega_total(df[["REL1", "REL2", "REL3", "REL4"]], keys=["REL4"]).omega_total, 3)
    0.808
    """
    x, cols = _as_matrix(data, "omega_total", min_items=3)
    _check_variance(x, cols, "omega_total")
    keys, sign = _key_signs(keys, cols, "omega_total")
    c = pairwise_cov(x)
    if np.isnan(c).any():
        raise DataError("omega_total: some pair of items is never answered together; drop one of them")
    c = c * np.outer(sign, sign)
    lam, psi = _ml_one_factor(c)
    om = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    idx = pd.Index(cols, name="item")
    return OmegaTotalResult(omega_total=float(om), loadings=pd.Series(lam, idx, name="lambda"),
                            residuals=pd.Series(psi, idx, name="theta"),
                            std_loadings=pd.Series(lam / np.sqrt(np.diag(c)), idx, name="std_lambda"),
                            n_obs=int(x.shape[0]), keys=tuple(keys))

