"""Exploratory factor analysis and its companions, as R's ``psych``: sampling adequacy (KMO),
Bartlett's test of sphericity, minres and maximum-likelihood extraction with varimax, oblimin
(GPArotation) and promax rotations, psych's fit statistics, and Horn's parallel analysis."""
from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import DEFAULT_SEED, check_choice, check_positive_int
from ..errors import DataError, ParameterError
from ..results import Result
from ._matrix import _cor_from_data, _warn, cov2cor, smc
from ._optim import lbfgsb

__all__ = ["KMOResult", "kmo", "kmo_band", "BartlettResult", "bartlett", "EFAResult", "efa", "ParallelResult",
           "parallel_analysis"]


# -- KMO and Bartlett -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class KMOResult(Result):
    """Kaiser-Meyer-Olkin measure of sampling adequacy (see :func:`kmo`): the overall ``kmo``
    (``to_frame()`` gives it as one row) and ``msa`` per item."""

    main = None

    kmo: float
    msa: pd.Series


def kmo(data: pd.DataFrame) -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, as ``psych::KMO``.

    ``kmo = sum r_ij^2 / (sum r_ij^2 + sum q_ij^2)`` over i != j, where q are the partial
    correlations (from ``R^-1``); ``msa`` is the same per item (column sums). Kaiser (1974): .90s
    marvelous, .80s meritorious, .70s middling, .60s mediocre, .50s miserable, below unacceptable.

    Missing data: pairwise-complete correlations.

    Examples
    --------
    >>> from survey import datasets
    >>> round(kmo(datasets.load("factors")).kmo, 3)
    0.841
    """
    r, cols, _ = _cor_from_data(data, "kmo")
    try:
        q = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        raise DataError("kmo: the correlation matrix is singular (an item is a linear combination of "
                        "others, or there are more items than respondents); drop redundant items") from None
    q = cov2cor(q)
    np.fill_diagonal(q, 0)
    r0 = r.copy()
    np.fill_diagonal(r0, 0)
    r2, q2 = (r0**2), (q**2)
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    msa = pd.Series(r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0)), index=pd.Index(cols, name="item"), name="msa")
    return KMOResult(kmo=overall, msa=msa)


def kmo_band(value: float) -> str:
    """Kaiser's (1974) words for a KMO value: ``"marvelous"`` (>= .90), ``"meritorious"``
    (>= .80), ``"middling"`` (>= .70), ``"mediocre"`` (>= .60), ``"miserable"`` (>= .50) or
    ``"unacceptable"``.

    Examples
    --------
    >>> kmo_band(0.84)
    'meritorious'
    """
    if value is None or not np.isfinite(value):
        raise DataError(f"kmo_band: needs a finite KMO value, got {value!r}")
    for cut, name in ((0.9, "marvelous"), (0.8, "meritorious"), (0.7, "middling"), (0.6, "mediocre"), (0.5, "miserable")):
        if value >= cut:
            return name
    return "unacceptable"


@dataclasses.dataclass(frozen=True)
class BartlettResult(Result):
    """Bartlett's test of sphericity (see :func:`bartlett`); ``to_frame()`` gives its numbers as
    one row."""

    main = None

    chisq: float
    df: int
    pvalue: float
    n_obs: int


def bartlett(data: pd.DataFrame) -> BartlettResult:
    """Bartlett's (1951) test that the correlation matrix is an identity, as
    ``psych::cortest.bartlett`` on raw data.

    ``chisq = -ln|R| (n - 1 - (2p + 5)/6)`` with ``df = p(p - 1)/2``.

    Missing data: pairwise-complete correlations and n = all rows (as psych), which overstates
    the evidence a little when many answers are missing.

    Examples
    --------
    >>> from survey import datasets
    >>> b = bartlett(datasets.load("factors"))
    >>> round(b.chisq, 1), b.df
    (1218.5, 66)
    """
    r, cols, n = _cor_from_data(data, "bartlett")
    p = len(cols)
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        raise DataError("bartlett: the correlation matrix is singular or not positive definite; drop redundant items")
    chisq = float(-logdet * (n - 1 - (2 * p + 5) / 6))
    df = p * (p - 1) // 2
    return BartlettResult(chisq=chisq, df=df, pvalue=float(stats.chi2.sf(chisq, df)), n_obs=int(n))


# -- extraction and rotations ----------------------------------------------------------------------

def _minres(r: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-residual factor extraction as ``psych::fa(fm="minres")``: the uniquenesses that
    minimise the squared off-diagonal residuals; loadings are the first ``nf`` eigenvectors of the
    reduced matrix scaled by the root eigenvalues. Returns (loadings, uniquenesses)."""
    p = r.shape[0]
    s_smc = smc(r)
    upper = max(float(s_smc.max()), 1.0)
    low = np.tril_indices(p, -1)

    def loadings_of(psi):
        s = r.copy()
        np.fill_diagonal(s, 1 - psi)
        vals, vecs = np.linalg.eigh(s)
        vals, vecs = vals[::-1][:nf], vecs[:, ::-1][:, :nf]
        vals = np.where(vals < np.finfo(float).eps, 100 * np.finfo(float).eps, vals)
        return vecs * np.sqrt(vals)

    def f(psi):
        lam = loadings_of(psi)
        res = (r - lam @ lam.T)[low]
        return float(np.sum(res**2))

    def grad(psi):
        s = r - np.diag(psi)
        vals, vecs = np.linalg.eigh(s)
        vals, vecs = vals[::-1][:nf], vecs[:, ::-1][:, :nf]
        lam = vecs * np.sqrt(np.maximum(vals, 0))
        g = lam @ lam.T + np.diag(psi) - r
        return np.diag(g).copy()

    start = 1 - s_smc
    res = lbfgsb(f, start, grad, bounds=[(0.005, upper)] * p,
                 options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    psi = res.x
    s = r.copy()
    np.fill_diagonal(s, np.diag(r) - psi)
    vals, vecs = np.linalg.eigh(s)
    vals, vecs = vals[::-1][:nf], vecs[:, ::-1][:, :nf]
    lam = vecs * np.sqrt(np.maximum(vals, 0))
    return lam, psi


def _ml(r: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood extraction as ``psych::fa(fm="ml")`` (Joreskog's uniqueness
    parameterisation, the same as ``factanal``): minimise
    ``F(psi) = -sum_{j>nf}(log e_j - e_j) - nf + p`` over the eigenvalues ``e`` of
    ``Psi^-1/2 R Psi^-1/2``, from ``1 - SMC`` within [0.005, max(SMC, 1)]; loadings
    ``Psi^1/2 V sqrt(max(e - 1, 0))``. Returns (loadings, uniquenesses)."""
    p = r.shape[0]
    s_smc = smc(r)
    upper = max(float(s_smc.max()), 1.0)

    def parts(psi):
        sc = 1 / np.sqrt(psi)
        vals, vecs = np.linalg.eigh(r * np.outer(sc, sc))
        return vals[::-1], vecs[:, ::-1]

    def f(psi):
        vals, _ = parts(psi)
        e = vals[nf:]
        return -(np.sum(np.log(e) - e) - nf + p)

    def loadings_of(psi):
        vals, vecs = parts(psi)
        return np.sqrt(psi)[:, None] * vecs[:, :nf] * np.sqrt(np.maximum(vals[:nf] - 1, 0))

    def grad(psi):
        lam = loadings_of(psi)
        g = lam @ lam.T + np.diag(psi) - r
        return np.diag(g) / psi**2

    # a tight optimum: R's optim stops at its default factr (about 2e-8 relative), so psych's
    # loadings agree with these to about 1e-4
    res = lbfgsb(f, 1 - s_smc, grad, bounds=[(0.005, upper)] * p,
                 options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    return loadings_of(res.x), res.x


def _fa_stats(r: np.ndarray, lam: np.ndarray, phi: np.ndarray | None, n_obs: int) -> pd.Series:
    """psych's ``fa.stats``: the ML discrepancy of the model ``Lambda Phi Lambda'`` (unit
    diagonal) and the statistics built on it.

    ``F = tr(M^-1 R) - log|M^-1 R| - p``; ``chisq = F (n - 1 - (2p + 5)/6 - 2k/3)`` (Bartlett's
    correction) on ``df = p(p - 1)/2 - pk + k(k - 1)/2``; null model ``F0 = -log|R|``,
    ``baseline_chisq = F0 (n - 1 - (2p + 5)/6)``; ``tli = (M0 - Mm) / (M0 - 1/nm)`` with
    ``Mm = F/df``, ``M0 = F0/(p(p-1)/2)``, ``nm`` the corrected n; ``rmsea =
    sqrt(max(chisq/(df n) - 1/(n - 1), 0))`` with the 90% interval from the noncentral
    chi-square (``sqrt(ncp / (n - 1) / df)``); ``bic = chisq - df log(n)`` (psych's BIC of the
    chi-square, not lavaan's of the likelihood)."""
    from scipy.optimize import brentq

    from .polychoric import _cor_smooth

    p, k = lam.shape
    model = lam @ (phi if phi is not None else np.eye(k)) @ lam.T
    np.fill_diagonal(model, np.diag(r))
    model, _ = _cor_smooth(model)
    rs, _ = _cor_smooth(r)
    mr = np.linalg.solve(model, rs)
    obj = float(np.trace(mr) - np.linalg.slogdet(mr)[1] - p)
    df = p * (p - 1) / 2 - p * k + k * (k - 1) / 2
    nm = (n_obs - 1) - (2 * p + 5) / 6 - 2 * k / 3
    chisq = max(obj * nm, 0.0)
    f0 = float(np.trace(rs) - np.linalg.slogdet(rs)[1] - p)
    m0 = f0 * 2 / (p * (p - 1))
    tli = ((m0 - obj / df) / (m0 - 1 / nm)) if df > 0 else np.nan
    rmsea = lo = hi = pvalue = bic = np.nan
    if df > 0:
        pvalue = float(stats.chi2.sf(chisq, df))
        rmsea = float(np.sqrt(max(chisq / (df * n_obs) - 1 / (n_obs - 1), 0)))

        def bound(target):
            if stats.chi2.cdf(chisq, df) <= target:
                return 0.0
            top = max(n_obs, chisq) + 2 * n_obs
            ncp = brentq(lambda x: stats.ncx2.cdf(chisq, df, x) - target if x > 0 else
                         stats.chi2.cdf(chisq, df) - target, 0.0, top, xtol=1e-12)
            return float(np.sqrt(ncp / (n_obs - 1) / df))

        hi, lo = bound(0.05), bound(0.95)
        bic = chisq - df * np.log(n_obs)
    return pd.Series({"chisq": chisq, "df": df, "pvalue": pvalue, "objective": obj,
                      "baseline_chisq": f0 * ((n_obs - 1) - (2 * p + 5) / 6), "baseline_df": p * (p - 1) / 2,
                      "tli": tli, "rmsea": rmsea, "rmsea_ci_low": lo, "rmsea_ci_high": hi, "bic": bic,
                      "n_obs": n_obs}, dtype=float)


def _varimax(x: np.ndarray, normalize: bool = True, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """R's ``stats::varimax`` (Kaiser normalisation, same stopping rule). Returns (loadings, T)."""
    nc = x.shape[1]
    if nc < 2:
        return x, np.eye(nc)
    sc = np.sqrt((x**2).sum(axis=1)) if normalize else np.ones(x.shape[0])
    x = x / sc[:, None]
    p = x.shape[0]
    tt = np.eye(nc)
    d = 0.0
    for _ in range(1000):
        z = x @ tt
        b = x.T @ (z**3 - z @ np.diag((z**2).sum(axis=0)) / p)
        u, sv, vt = np.linalg.svd(b)
        tt = u @ vt
        dpast, d = d, sv.sum()
        if d < dpast * (1 + eps):
            break
    z = x @ tt
    return z * sc[:, None], tt


def _gpf_oblimin(a: np.ndarray, gam: float = 0.0, eps: float = 1e-5, maxit: int = 1000) -> tuple[np.ndarray, np.ndarray, bool]:
    """GPArotation's ``oblimin`` (gradient projection, Bernaards & Jennrich 2005), ported step
    for step (identity start, no normalisation, ``eps = 1e-5``) so that the solution is the one R
    finds. Returns (loadings, Phi, converged)."""
    k = a.shape[1]

    def vgq(lam):
        x = (lam**2) @ (1 - np.eye(k))
        if gam != 0:
            p = lam.shape[0]
            x = (np.eye(p) - gam / p) @ x
        return lam * x, float(np.sum(lam**2 * x) / 4)

    tmat = np.eye(k)
    al = 1.0
    lam = a @ np.linalg.inv(tmat).T
    gq, f = vgq(lam)
    g = -(lam.T @ gq @ np.linalg.inv(tmat)).T
    converged = False
    for _ in range(maxit + 1):
        gp = g - tmat @ np.diag((tmat * g).sum(axis=0))
        s = float(np.sqrt(np.sum(gp**2)))
        if s < eps:
            converged = True
            break
        al *= 2
        for _ in range(11):
            x = tmat - al * gp
            v = 1 / np.sqrt((x**2).sum(axis=0))
            tmatt = x @ np.diag(v)
            lam = a @ np.linalg.inv(tmatt).T
            gqt, ft = vgq(lam)
            if f - ft > 0.5 * s**2 * al:
                break
            al /= 2
        tmat = tmatt
        f = ft
        g = -(lam.T @ gqt @ np.linalg.inv(tmatt)).T
    return lam, tmat.T @ tmat, converged


def _promax(x: np.ndarray, m: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``psych::fa(rotate="promax")``: Kaiser-normalised rows, varimax, then Hendrickson & White's
    promax power ``m``; returns (loadings, Phi)."""
    h = np.sqrt((x**2).sum(axis=1))
    w = x / h[:, None]
    vx, rot = _varimax(w)
    q = vx * np.abs(vx) ** (m - 1)
    u = np.linalg.lstsq(vx, q, rcond=None)[0]
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u @ np.diag(np.sqrt(d))
    z = vx @ u
    u = rot @ u
    ui = np.linalg.inv(u)
    return z * h[:, None], ui @ ui.T


# -- exploratory factor analysis --------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class EFAResult(Result):
    """Exploratory factor analysis (see :func:`efa`); ``to_frame()`` gives the loadings."""

    main = "loadings"

    loadings: pd.DataFrame
    communalities: pd.DataFrame
    variance: pd.DataFrame
    phi: pd.DataFrame | None
    nfactors: int
    method: str
    rotation: str
    n_obs: int
    parallel: ParallelResult | None = None
    converged: bool = True
    fit: pd.Series | None = None


def _fa(r: np.ndarray, nf: int, rotation: str,
        method: str = "minres") -> tuple[np.ndarray, np.ndarray | None, np.ndarray, bool]:
    """psych's ``fa`` steps after the correlation matrix: extraction (``method`` "minres" or
    "ml"), column signs, rotation, signs again, order by variance accounted for. Returns
    (loadings, Phi, communality, converged)."""
    lam, _ = _ml(r, nf) if method == "ml" else _minres(r, nf)
    sgn = np.sign(lam.sum(axis=0))
    sgn[sgn == 0] = 1
    lam = lam * sgn
    communality = (lam**2).sum(axis=1)
    phi = None
    converged = True
    if nf > 1 and rotation != "none":
        if rotation == "varimax":
            lam, _ = _varimax(lam)
        elif rotation == "oblimin":
            lam, phi, converged = _gpf_oblimin(lam)
        else:
            lam, phi = _promax(lam)
    sgn = np.sign(lam.sum(axis=0))
    sgn[sgn == 0] = 1
    lam = lam * sgn
    if phi is not None:
        phi = phi * np.outer(sgn, sgn)
    if nf > 1:
        ev = np.diag(phi @ lam.T @ lam) if phi is not None else (lam**2).sum(axis=0)
        order = np.argsort(-ev, kind="stable")
        lam = lam[:, order]
        if phi is not None:
            phi = phi[np.ix_(order, order)]
    return lam, phi, communality, converged


def efa(
    data: pd.DataFrame,
    nfactors: int | None = None,
    method: Literal["minres", "ml"] = "minres",
    rotation: Literal["oblimin", "varimax", "promax", "none"] = "oblimin",
    n_iter: int = 20,
    seed: int | None = DEFAULT_SEED,
) -> EFAResult:
    """Exploratory factor analysis as ``psych::fa(x, nfactors, fm=method, rotate=rotation)``.

    Extraction from the pairwise Pearson correlation matrix R: ``"minres"`` (minimum residual,
    unweighted least squares, the default as in psych) or ``"ml"`` (maximum likelihood, psych's
    ``fm="ml"``: minimise ``log|Sigma| + tr(R Sigma^-1) - log|R| - p`` with
    ``Sigma = Lambda Lambda' + Psi``), both starting from ``1 - SMC`` uniquenesses; rotations
    ``"oblimin"`` (quartimin, GPArotation's gradient projection), ``"varimax"``
    (Kaiser-normalised, as ``stats::varimax``), ``"promax"`` (psych: Kaiser-normalised, power 4)
    or ``"none"``. Factor columns (``MR1``.. for minres, ``ML1``.. for ml) are signed to
    positive sums and ordered by variance accounted for, as psych does.

    ``nfactors=None`` takes the number suggested by :func:`parallel_analysis` (``n_iter``
    simulated data sets, ``seed``), attached as ``parallel``; when ``nfactors`` is given no
    parallel analysis is run (``parallel`` is None, ``n_iter`` and ``seed`` are unused).

    Returns ``loadings`` (pattern matrix), ``communalities`` (``h2``, ``u2``, ``com``: Hofmann's
    complexity), ``variance`` (psych's ``Vaccounted``: SS loadings, Proportion Var, Cumulative
    Var, Proportion Explained, Cumulative Proportion), ``phi`` (factor correlations, oblique
    rotations only) and ``fit``, psych's fit statistics for either method (``fa.stats``):
    ``chisq`` (psych's ``STATISTIC``: the ML discrepancy F times Bartlett's
    ``n - 1 - (2p + 5)/6 - 2k/3``), ``df``, ``pvalue``, ``objective`` (F), ``baseline_chisq``,
    ``baseline_df``, ``tli``, ``rmsea = sqrt(max(chisq/(df n) - 1/(n - 1), 0))`` with its 90%
    interval ``rmsea_ci_low``, ``rmsea_ci_high``, ``bic = chisq - df log n`` (psych's BIC,
    not lavaan's likelihood BIC) and ``n_obs``.

    Missing data: pairwise-complete correlations; n = all rows (as psych).
    References: Revelle, psych::fa; Lawley & Maxwell (1971) Factor Analysis as a Statistical
    Method; Tucker & Lewis (1973) Psychometrika 38, 1-10.

    Warns
    -----
    UserWarning when the oblimin rotation does not converge (also in ``warnings``).

    Examples
    --------
    >>> from survey import datasets
    >>> res = efa(datasets.load("factors"), 3)
    >>> res.loadings.loc[["V1", "V5", "V9"]].round(2)
          MR1   MR2   MR3
    item
    V1  -0.02  0.07  0.74
    V5   0.78 -0.04  0.06
    V9   0.02  0.75  0.01
    >>> ml = efa(datasets.load("factors"), 3, method="ml")
    >>> ml.fit[["chisq", "df", "tli", "rmsea"]].round(3).tolist()
    [31.902, 33.0, 1.002, 0.0]
    """
    check_choice("method", method, ("minres", "ml"))
    check_choice("rotation", rotation, ("oblimin", "varimax", "promax", "none"))
    r, cols, n = _cor_from_data(data, "efa", min_items=3)
    p = len(cols)
    par = None
    if nfactors is None:
        par = parallel_analysis(data, n_iter=n_iter, seed=seed)
        nfactors = max(1, par.nfactors)
    if not isinstance(nfactors, (int, np.integer)) or not 1 <= nfactors < p:
        raise ParameterError(f"efa: nfactors must be between 1 and {p - 1} for {p} items, got {nfactors}")
    lam, phi, communality, converged = _fa(r, nfactors, rotation, method)
    names = [f"{'ML' if method == 'ml' else 'MR'}{i + 1}" for i in range(nfactors)]
    idx = pd.Index(cols, name="item")
    loadings = pd.DataFrame(lam, index=idx, columns=names)
    com = (lam**2).sum(axis=1) ** 2 / (lam**4).sum(axis=1)
    communalities = pd.DataFrame({"h2": communality, "u2": 1 - communality, "com": com}, index=idx)
    vx = np.diag(phi @ lam.T @ lam) if phi is not None else (lam**2).sum(axis=0)
    vtotal = float(np.trace(r))
    variance = pd.DataFrame(
        [vx, vx / vtotal, np.cumsum(vx / vtotal), vx / vx.sum(), np.cumsum(vx / vx.sum())],
        index=["SS loadings", "Proportion Var", "Cumulative Var", "Proportion Explained", "Cumulative Proportion"],
        columns=names)
    phi_df = pd.DataFrame(phi, index=names, columns=names) if phi is not None else None
    notes = [] if converged else ["efa: the oblimin rotation did not converge in 1000 iterations; "
                                  "try rotation='promax'"]
    _warn(notes)
    return EFAResult(loadings=loadings, communalities=communalities, variance=variance, phi=phi_df,
                     nfactors=int(nfactors), method=method, rotation=rotation, n_obs=int(n), parallel=par,
                     converged=converged, fit=_fa_stats(r, lam, phi, int(n)), warnings=tuple(notes))


# -- parallel analysis ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ParallelResult(Result):
    """Horn's parallel analysis (see :func:`parallel_analysis`); ``to_frame()`` gives the
    observed and simulated eigenvalues."""

    main = "eigen"

    eigen: pd.DataFrame
    nfactors: int
    ncomponents: int
    n_iter: int


def _fa_values(r: np.ndarray) -> np.ndarray:
    """Eigenvalues of R with the one-factor minres communalities on the diagonal (psych's
    ``fa(r, 1)$values``, what ``fa.parallel`` compares)."""
    lam, _ = _minres(r, 1)
    s = r.copy()
    np.fill_diagonal(s, (lam**2).sum(axis=1))
    return np.sort(np.linalg.eigvalsh(s))[::-1]


def parallel_analysis(data: pd.DataFrame, n_iter: int = 20, seed: int | None = DEFAULT_SEED,
                      quantile: float | None = None) -> ParallelResult:
    """Horn's (1965) parallel analysis as ``psych::fa.parallel`` (simulated normal data).

    Observed eigenvalues (principal components: of R; factors: of R with one-factor minres
    communalities on the diagonal) are compared with the mean (or ``quantile``) of the same
    eigenvalues from ``n_iter`` normal data sets of the same size; the suggested number is the
    count of leading observed values above the simulated ones. The simulated values depend on
    ``seed`` (R's random numbers differ, so they agree with psych only in distribution).

    Missing data: pairwise-complete correlations; simulated data sets have n = all rows.

    Examples
    --------
    >>> from survey import datasets
    >>> pa = parallel_analysis(datasets.load("factors"))
    >>> pa.nfactors, pa.ncomponents
    (3, 3)
    """
    n_iter = check_positive_int("n_iter", n_iter)
    if quantile is not None and not 0 < quantile < 1:
        raise ParameterError(f"parallel_analysis: quantile={quantile!r} must lie strictly between 0 and 1 "
                             "(e.g. 0.95), or be None for the mean")
    r, cols, n = _cor_from_data(data, "parallel_analysis", min_items=3)
    p = len(cols)
    pc_obs = np.sort(np.linalg.eigvalsh(r))[::-1]
    fa_obs = _fa_values(r)
    rng = np.random.default_rng(seed)
    pc_sim = np.empty((n_iter, p))
    fa_sim = np.empty((n_iter, p))
    for i in range(n_iter):
        z = rng.standard_normal((n, p))
        rs = np.corrcoef(z, rowvar=False)
        pc_sim[i] = np.sort(np.linalg.eigvalsh(rs))[::-1]
        fa_sim[i] = _fa_values(rs)
    agg = (lambda a: np.quantile(a, quantile, axis=0)) if quantile is not None else (lambda a: a.mean(axis=0))
    pc_ref, fa_ref = agg(pc_sim), agg(fa_sim)

    def leading(obs, ref):
        above = obs > ref
        return int(p if above.all() else np.argmin(above))

    eig = pd.DataFrame({"pc_observed": pc_obs, "pc_simulated": pc_ref, "fa_observed": fa_obs, "fa_simulated": fa_ref},
                       index=pd.RangeIndex(1, p + 1, name="number"))
    return ParallelResult(eigen=eig, nfactors=leading(fa_obs, fa_ref), ncomponents=leading(pc_obs, pc_ref), n_iter=n_iter)

