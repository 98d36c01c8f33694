"""Polychoric correlations of ordinal items, as ``psych::polychoric``."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from ..errors import DataError
from ._matrix import _as_matrix, _check_variance, _warn, cov2cor

__all__ = ["polychoric"]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)
_BIG = 40.0  # stands in for an infinite threshold: Phi(40) is 1 in double precision
_EDGE = 0.9999  # the correlations searched: [-_EDGE, _EDGE]


def _bvn_cdf(h: np.ndarray, k: np.ndarray, rho: float) -> np.ndarray:
    """P(X <= h, Y <= k) for a standard bivariate normal with correlation ``rho`` (finite h, k).

    Plackett's identity with r = sin(t): Phi(h) Phi(k) + 1/(2 pi) * integral from 0 to
    asin(rho) of exp(-(h^2 - 2 h k sin t + k^2) / (2 cos^2 t)) dt, by 64-point Gauss-Legendre
    (the integrand is smooth and bounded, so this is accurate to ~1e-12 for |rho| < 0.99).
    ``ndtr`` directly: the scipy.stats wrappers cost more than the integral on these small grids.
    """
    h, k = np.asarray(h, float), np.asarray(k, float)
    return ndtr(h) * ndtr(k) + _plackett_term(h**2 + k**2, h * k, rho)


def _plackett_term(h2k2: np.ndarray, hk: np.ndarray, rho: float) -> np.ndarray:
    """The integral part of Plackett's identity at corners given by ``h^2 + k^2`` and ``h k``:
    1/(2 pi) * integral from 0 to asin(rho) of exp(-(h^2 + k^2 - 2 h k sin t) / (2 cos^2 t)) dt."""
    b = np.arcsin(rho)
    t = b / 2 * (_GL_X + 1)
    st, ct2 = np.sin(t), np.cos(t) ** 2
    f = np.exp(-(h2k2[..., None] - 2 * hk[..., None] * st) / (2 * ct2))
    return (f @ _GL_W) * b / 2 / (2 * np.pi)


class _PairLikelihood:
    """The log-likelihood ``l(rho) = sum n_ij log P_ij(rho)`` of one pair's table (shares) given
    its thresholds, with its first two derivatives, for the Newton search of :func:`_polyc`.

    ``P_ij`` is the bivariate normal probability of cell (i, j): F at its four corners, F from
    Plackett's identity as :func:`_bvn_cdf`. Only the inner corners need the integral: at a corner
    on the +-40 border its integrand is below exp(-800), which is 0 in double precision, so F there
    is Phi(h) Phi(k) exactly. ``dF/drho`` is the bivariate normal density phi2 (Plackett), 0 on the
    border, and ``d phi2/drho = phi2 (rho/s + (h k s - rho Q)/s^2)`` with ``s = 1 - rho^2``,
    ``Q = h^2 - 2 rho h k + k^2``. Cells with ``P_ij <= 0`` are left out, as in the
    likelihood psych maximises with ``optimize``. Everything that does not depend on rho (the
    corner grid, Phi at the thresholds) is computed once.
    """

    def __init__(self, tab: np.ndarray, tr: np.ndarray, tc: np.ndarray):
        self.tab = tab
        h = np.clip(tr, -_BIG, _BIG)[:, None]
        k = np.clip(tc, -_BIG, _BIG)[None, :]
        self.hk = h * k
        self.h2k2 = h**2 + k**2
        base = np.zeros((len(tr) + 2, len(tc) + 2))
        base[1:, 1:] = np.outer(np.r_[ndtr(h[:, 0]), 1.0], np.r_[ndtr(k[0]), 1.0])
        # Phi(h) Phi(k) at every corner, the borders included, differenced into cells
        self.base_cells = base[1:, 1:] - base[:-1, 1:] - base[1:, :-1] + base[:-1, :-1]
        self.corner = np.zeros_like(base)  # the rho-dependent part; its border stays 0

    def _cells(self, inner: np.ndarray) -> np.ndarray:
        """Cell values from the inner-corner values of a function that is 0 on the border."""
        g = self.corner
        g[1:-1, 1:-1] = inner
        return g[1:, 1:] - g[:-1, 1:] - g[1:, :-1] + g[:-1, :-1]

    def probs(self, rho: float) -> np.ndarray:
        """The cell probabilities ``P_ij(rho)``."""
        return self.base_cells + self._cells(_plackett_term(self.h2k2, self.hk, rho))

    def loglik(self, rho: float) -> float:
        p = self.probs(rho)
        ok = p > 0
        return float(np.sum(self.tab[ok] * np.log(p[ok])))

    def derivatives(self, rho: float) -> tuple[float, float]:
        """``(l'(rho), l''(rho))``."""
        p = self.probs(rho)
        s = 1 - rho**2
        q = self.h2k2 - 2 * rho * self.hk
        phi2 = np.exp(-q / (2 * s)) / (2 * np.pi * np.sqrt(s))
        d1 = self._cells(phi2)
        d2 = self._cells(phi2 * (rho / s + (self.hk * s - rho * q) / s**2))
        ok = (p > 0) & (self.tab > 0)
        w = self.tab[ok] / p[ok]
        r1 = d1[ok]
        return float(w @ r1), float(w @ d2[ok] - (w * r1) @ (r1 / p[ok]))


def _start(tab: np.ndarray) -> float:
    """Pearson correlation of the category numbers in a table of shares, as a starting value."""
    i = np.arange(tab.shape[0], dtype=float)
    j = np.arange(tab.shape[1], dtype=float)
    pi, pj = tab.sum(axis=1), tab.sum(axis=0)
    mi, mj = pi @ i, pj @ j
    cov = (i - mi) @ tab @ (j - mj)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt((pi @ (i - mi) ** 2) * (pj @ (j - mj) ** 2))
    return float(np.clip(r, -0.95, 0.95)) if np.isfinite(r) else 0.0


def _polyc(tab: np.ndarray, tr: np.ndarray, tc: np.ndarray) -> float:
    """The maximum-likelihood correlation of one pair's table (shares) given its thresholds,
    within [-0.9999, 0.9999].

    Newton's method on the score ``l'(rho)`` from the Pearson correlation of the categories,
    kept inside the bracket of the points already evaluated (bisection when a Newton step leaves
    it or the likelihood is not concave there); an unevaluated end of the interval is tried
    itself and returned when the likelihood still rises towards it. Converges to ~1e-15 in five to
    seven evaluations; a bounded Brent search (psych's ``optimize``, tolerance ~1e-4) needs more
    than fifteen and only locates the maximum to about 1e-8, as the likelihood is flat there.

    The bounded search is still used when Newton's method does not settle, and when an item has a
    single category in the rows answering both: the likelihood then does not depend on rho (it
    is not identified), and the search gives the value it always gave.
    """
    like = _PairLikelihood(tab, tr, tc)
    if len(tr) and len(tc):
        rho = _newton(like, _start(tab))
        if rho is not None:
            return rho
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda r: -like.loglik(r), bounds=(-_EDGE, _EDGE), method="bounded",
                          options={"xatol": 1e-10})
    return float(res.x)


def _newton(like: _PairLikelihood, rho: float) -> float | None:
    """The maximum of ``like`` within [-_EDGE, _EDGE] from ``rho`` (see :func:`_polyc`); None
    when 200 steps do not settle it."""
    lo, hi = -_EDGE, _EDGE
    lo_seen = hi_seen = False  # whether the score is known at lo and hi
    for _ in range(200):
        d1, d2 = like.derivatives(rho)
        if d1 == 0:
            return rho
        if d1 > 0:
            if rho == _EDGE:
                return rho  # the likelihood rises up to the end of the interval
            lo, lo_seen = rho, True
        else:
            if rho == -_EDGE:
                return rho
            hi, hi_seen = rho, True
        step = -d1 / d2 if d2 < 0 else np.nan
        if lo < rho + step < hi:
            if abs(step) < 1e-9:
                # Newton's error is about the square of its step: this one lands within ~1e-17
                return rho + step
            rho += step
        elif rho + step >= hi and not hi_seen:
            rho = hi
        elif rho + step <= lo and not lo_seen:
            rho = lo
        else:  # outside the bracket, or not concave here (NaN): halve the bracket
            rho = (lo + hi) / 2
            if hi - lo < 1e-12:
                return rho
    return None


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
        taus.append(ndtri(np.cumsum(freq)[:-1]))
    rmat = np.eye(p)
    for i in range(1, p):
        for j in range(i):
            both = (xi[:, i] >= 0) & (xi[:, j] >= 0)
            tab = np.bincount(xi[both, i] * k + xi[both, j], minlength=k * k).reshape(k, k).astype(float)
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
                tr = ndtri(np.cumsum(tab.sum(axis=1))[:-1])
                tc = ndtri(np.cumsum(tab.sum(axis=0))[:-1])
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
