"""Polychoric correlations of ordinal items, as ``psych::polychoric``."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ._matrix import _as_matrix, _check_variance, _warn, cov2cor

__all__ = ["polychoric"]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)


def _bvn_cdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """P(X <= h, Y <= k) for a standard bivariate normal with correlation ``rho`` (finite h, k).

    Plackett's identity with r = sin(t): Phi(h) Phi(k) + 1/(2 pi) * integral from 0 to
    asin(rho) of exp(-(h^2 - 2 h k sin t + k^2) / (2 cos^2 t)) dt, by 64-point Gauss-Legendre
    (the integrand is smooth and bounded, so this is accurate to ~1e-12 for |rho| < 0.99).
    """
    h = np.asarray(h, float)[..., None]
    k = np.asarray(k, float)[..., None]
    b = np.arcsin(rho)
    t = b / 2 * (_GL_X + 1)
    st, ct2 = np.sin(t), np.cos(t) ** 2
    f = np.exp(-(h**2 - 2 * h * k * st + k**2) / (2 * ct2))
    integral = (f * _GL_W).sum(axis=-1) * b / 2
    return stats.norm.cdf(h[..., 0]) * stats.norm.cdf(k[..., 0]) + integral / (2 * np.pi)


def _cell_probs(rho: float, tr: np.ndarray, tc: np.ndarray) -> np.ndarray:
    """Cell probabilities of the discretised bivariate normal with thresholds ``tr``, ``tc``."""
    big = 40.0  # stands in for infinity: Phi(40) is 1 in double precision
    rr = np.r_[-big, np.clip(tr, -big, big), big]
    cc = np.r_[-big, np.clip(tc, -big, big), big]
    hh, kk = np.meshgrid(rr, cc, indexing="ij")
    f = _bvn_cdf(hh, kk, rho)
    return f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]


def _polyc(tab: np.ndarray, tr: np.ndarray, tc: np.ndarray) -> float:
    """The maximum-likelihood correlation of one pair's table (shares) given its thresholds."""
    from scipy.optimize import minimize_scalar

    def negll(rho):
        pr = _cell_probs(rho, tr, tc)
        ok = pr > 0
        return -float(np.sum(tab[ok] * np.log(pr[ok])))

    res = minimize_scalar(negll, bounds=(-0.9999, 0.9999), method="bounded", options={"xatol": 1e-10})
    return float(res.x)


def _cor_smooth(r: np.ndarray, eig_tol: float = 1e-12) -> tuple[np.ndarray, list[str]]:
    """``psych::cor.smooth``: when R has eigenvalues below ``eig_tol``, set them to 100 * eig_tol,
    rescale the eigenvalues to sum to p and rebuild a correlation matrix. Returns the matrix and
    the sentence saying so (none when R needed no smoothing)."""
    vals, vecs = np.linalg.eigh(r)
    if vals.min() >= eig_tol:
        return r, []
    vals = np.where(vals < eig_tol, 100 * eig_tol, vals)
    vals = vals * r.shape[0] / vals.sum()
    out = vecs @ np.diag(vals) @ vecs.T
    return cov2cor(out), ["polychoric: the matrix was not positive definite and was smoothed"]


def _polychoric(x: np.ndarray, cols: list[str], correct: float = 0.5) -> tuple[np.ndarray, list[str]]:
    """The polychoric matrix of item matrix ``x`` (NaN for missing) and the sentences for
    ``warnings`` (see :func:`polychoric`)."""
    _check_variance(x, cols, "polychoric")
    if np.any((x[~np.isnan(x)] % 1) != 0):
        raise DataError("polychoric: answers must be whole numbers (ordered categories)")
    lo = int(np.nanmin(x))
    xi = np.where(np.isnan(x), -1, x - lo).astype(int)
    k = int(xi.max()) + 1
    if k > 8:
        raise DataError(f"polychoric: items have {k} answer categories; polychoric correlations are meant "
                        "for ordinal items with at most 8 (use Pearson correlations)")
    p = len(cols)
    maxes = [int(xi[:, j].max()) for j in range(p)]
    global_tau = min(maxes) == max(maxes)
    taus = []
    for j in range(p):
        v = xi[:, j][xi[:, j] >= 0]
        freq = np.bincount(v, minlength=k) / v.size
        taus.append(stats.norm.ppf(np.cumsum(freq)[:-1]))
    rmat = np.eye(p)
    for i in range(1, p):
        for j in range(i):
            both = (xi[:, i] >= 0) & (xi[:, j] >= 0)
            tab = np.zeros((k, k))
            np.add.at(tab, (xi[both, i], xi[both, j]), 1)
            tot = tab.sum()
            if tot == 0:
                raise DataError(f"polychoric: items {cols[i]} and {cols[j]} are never answered together")
            tab = tab / tot
            if global_tau:
                tr, tc = taus[i], taus[j]
            else:
                tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
                if correct > 0:
                    tab[tab == 0] = correct / tot
                tr = stats.norm.ppf(np.cumsum(tab.sum(axis=1))[:-1])
                tc = stats.norm.ppf(np.cumsum(tab.sum(axis=0))[:-1])
            rmat[i, j] = rmat[j, i] = _polyc(tab, tr, tc)
    return _cor_smooth(rmat)


def polychoric(data: pd.DataFrame, correct: float = 0.5) -> pd.DataFrame:
    """Polychoric correlation matrix as ``psych::polychoric`` (two-step: thresholds from each
    item's answers, then the maximum-likelihood correlation of each pair's table).

    When every item uses the same answer range (psych's ``global=TRUE``) the thresholds are
    ``qnorm`` of each item's cumulative answer shares; otherwise (psych's ``global=FALSE``) each
    pair's thresholds come from its own table, empty rows and columns are dropped and empty cells
    set to ``correct / n``. A matrix that is not positive definite is smoothed as
    ``psych::cor.smooth``, with a ``UserWarning``. psych maximises with R's ``optimize``
    (tolerance about 1e-4), so its values agree with these to about 1e-4.

    Missing data: thresholds from each item's answers; each pair's table from the rows answering
    both. Reference: Olsson (1979) Psychometrika 44, 443-460.

    Examples
    --------
    >>> from survey import datasets
    >>> r = polychoric(datasets.load("factors")[["V1", "V2", "V3"]])
    >>> r.round(2).to_numpy().tolist()
    [[1.0, 0.51, 0.6], [0.51, 1.0, 0.47], [0.6, 0.47, 1.0]]
    """
    x, cols = _as_matrix(data, "polychoric")
    rmat, notes = _polychoric(x, cols, correct)
    _warn(notes)
    return pd.DataFrame(rmat, index=cols, columns=cols)
