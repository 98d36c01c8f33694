"""The linear-model engine behind did, twfe and event_study: OLS with classical, HC1, cluster
(CR1), CR2 (Bell-McCaffrey) or restricted wild cluster bootstrap inference."""
from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import check_choice
from .._random import rng
from ..errors import DataError, ParameterError
from ._common import cluster_codes, group_sum, two_sided

SE_TYPES = ("classical", "hc1", "cluster", "cr2", "wild")
WILD_WEIGHTS = ("auto", "webb", "rademacher", "mammen")


@dataclasses.dataclass
class Fit:
    """Plain container for the engine's output (internal; kept as ``result.model``)."""

    names: list[str]
    beta: np.ndarray
    vcov: np.ndarray
    se: np.ndarray
    df: np.ndarray
    n: int
    k_total: int
    n_clusters: int | None
    inference: str
    resid: np.ndarray
    se_type: str = ""
    wild: dict | None = None


def default_se(se: str | None, cluster: str | None) -> str:
    """The inference a call asked for: cluster-robust when a cluster is given, else HC1."""
    if se is None:
        return "cluster" if cluster is not None else "hc1"
    return check_choice("se", se, SE_TYPES)


def ols(y: np.ndarray, X: np.ndarray, names: list[str], se: str, clusters: np.ndarray | None,
        k_absorbed: int = 0, target: int | None = None, confidence: float = 0.95,
        n_boot: int = 9999, seed: int | None = None, boot_weights: str = "auto",
        w: np.ndarray | None = None, units: np.ndarray | None = None) -> Fit:
    """OLS (WLS with observation weights ``w``) of y on X with the requested inference.

    ``k_absorbed`` counts fixed effects removed from X beforehand by (weighted) within-transformation;
    they enter the degrees of freedom (as lm with dummies does) and ``units`` holds their codes (CR2
    with weights needs them). Cluster-robust types need those fixed effects nested within the
    clusters. ``target`` is the coefficient the wild bootstrap tests.

    With weights every estimator is lm(weights = w)'s: the fit, classical, HC1 and CR1 are OLS of
    sqrt(w) y on sqrt(w) X; CR2 follows clubSandwich (working variance I, weights W).
    """
    n, k = X.shape
    Xo, e_orig = X, None
    if w is not None:
        sw = np.sqrt(w)
        y, X = y * sw, X * sw[:, None]
    M = _inverse_gram(X, names)
    beta = M @ (X.T @ y)
    e = y - X @ beta
    K = k + k_absorbed
    if n - K <= 0:
        raise DataError(f"Only {n} complete rows for {K} parameters; add data or drop controls.")
    # clusters are counted whatever the inference, so the few-cluster warning also reaches
    # classical and HC1 fits of clustered data (where it matters most)
    codes, G = cluster_codes(clusters) if clusters is not None else (None, None)
    if w is not None and se == "cr2":
        e_orig = e / np.sqrt(w)
    V, df, label = _vcov(se, X, e, M, n, K, codes, G, weighted=(Xo, e_orig, w, units))
    bse = np.sqrt(np.diag(V))
    if w is not None:
        label += "; weighted (WLS)"
    fit = Fit(names=list(names), beta=beta, vcov=V, se=bse, df=df, n=n, k_total=K, n_clusters=G,
              inference=label, resid=e if w is None else e / np.sqrt(w), se_type=se)
    if se == "wild":
        if target is None:
            raise ParameterError("se='wild' needs the coefficient to test.")
        kind = _wild_kind(boot_weights, G)
        fit.wild = _wild(y, X, M, codes, G, target, confidence, n_boot, seed, kind,
                         float(beta[target]), float(bse[target]))
        fit.inference = (f"wild cluster bootstrap-t, restricted (WCR), {kind} weights, "
                         f"{fit.wild['draws']} draws ({G} clusters); CI by test inversion"
                         + ("; weighted (WLS)" if w is not None else ""))
    return fit


def _inverse_gram(X: np.ndarray, names: list[str]) -> np.ndarray:
    """(X'X)^-1, or a DataError naming the columns when the design is collinear."""
    k = X.shape[1]
    XtX = X.T @ X
    try:
        M = np.linalg.inv(XtX)
    except np.linalg.LinAlgError:
        M = None
    if M is None or np.linalg.matrix_rank(XtX) < k:
        raise DataError(
            f"The design is collinear (rank {np.linalg.matrix_rank(XtX)} < {k} columns: {names}). "
            f"Fix: drop a control that is constant or duplicates the fixed effects.")
    return M


def _vcov(se: str, X: np.ndarray, e: np.ndarray, M: np.ndarray, n: int, K: int,
          codes: np.ndarray | None, G: int | None, weighted: tuple = (None, None, None, None),
          ) -> tuple[np.ndarray, np.ndarray, str]:
    """Variance of the coefficients, their degrees of freedom and a label of the inference."""
    k = X.shape[1]
    if se == "classical":
        V = (e @ e / (n - K)) * M
        return V, np.full(k, float(n - K)), "classical OLS, t with n - k df"
    if se == "hc1":
        meat = (X * e[:, None] ** 2).T @ X
        return n / (n - K) * M @ meat @ M, np.full(k, float(n - K)), "HC1 robust, t with n - k df"
    if se not in ("cluster", "wild", "cr2"):
        raise ParameterError(f"se={se!r} is not allowed; use one of {', '.join(map(repr, SE_TYPES))}")
    if codes is None:
        raise ParameterError(f"se={se!r} needs a cluster column; pass cluster='unit_id' (or similar).")
    if G < 2:
        raise DataError(f"se={se!r} needs at least 2 clusters; the data have {G}.")
    if se == "cr2":
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(G + 1))
        idx = [order[bounds[g]:bounds[g + 1]] for g in range(G)]
        Xo, eo, w, units = weighted
        V, df = _cr2(X, e, M, idx) if w is None else _cr2_weighted(Xo, eo, w, units, idx)
        return V, df, f"CR2 Bell-McCaffrey ({G} clusters), Satterthwaite df"
    scores = group_sum(X * e[:, None], codes, G)
    adj = G / (G - 1) * (n - 1) / (n - K)
    V = adj * M @ (scores.T @ scores) @ M
    return V, np.full(k, float(G - 1)), f"cluster-robust CR1 ({G} clusters), t with G - 1 = {G - 1} df"


def _inv_sqrt_psd(a: np.ndarray) -> np.ndarray:
    """Symmetric (pseudo-)inverse square root, as clubSandwich for singular I - H_gg."""
    w, v = np.linalg.eigh(a)
    tol = max(a.shape) * np.finfo(float).eps * max(1.0, float(np.abs(w).max()))
    inv = np.where(w > tol, 1 / np.sqrt(np.clip(w, tol, None)), 0.0)
    return (v * inv) @ v.T


def _cr2(X: np.ndarray, e: np.ndarray, M: np.ndarray, idx: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """CR2 variance (Bell & McCaffrey 2002) and Satterthwaite df per coefficient.

    A_g = (I - H_gg)^(-1/2); V = M (sum_g X_g' A_g e_g e_g' A_g X_g) M. For a contrast c the
    working model Phi = I gives p_g = A_g X_g M c, u_g = (I - H)_{., g} p_g and
    df = (sum_g u_g'u_g)^2 / sum_{g,h} (u_g'u_h)^2 (Pustejovsky & Tipton 2018, as
    clubSandwich::coef_test(vcov = "CR2", test = "Satterthwaite") for lm fits).
    """
    k = X.shape[1]
    meat = np.zeros((k, k))
    A = []
    for ix in idx:
        Xg = X[ix]
        Ag = _inv_sqrt_psd(np.eye(len(ix)) - Xg @ M @ Xg.T)
        A.append(Ag)
        s = Xg.T @ (Ag @ e[ix])
        meat += np.outer(s, s)
    V = M @ meat @ M
    XtX = X.T @ X
    df = np.empty(k)
    for j in range(k):
        Mc = M[:, j]
        P = [A[g] @ (X[ix] @ Mc) for g, ix in enumerate(idx)]
        # u_g = E_g p_g - X q_g with q_g = M X_g' p_g; Gram matrix of u in k dimensions.
        R = np.array([X[ix].T @ P[g] for g, ix in enumerate(idx)])            # G x k  (X_g' p_g)
        Q = R @ M                                                              # G x k  (M X_g' p_g)
        pp = np.array([P[g] @ P[g] for g in range(len(idx))])
        gram = -R @ Q.T - Q @ R.T + Q @ XtX @ Q.T
        gram[np.diag_indices_from(gram)] += pp
        df[j] = np.trace(gram) ** 2 / np.sum(gram ** 2)
    return V, df


def _cr2_weighted(X: np.ndarray, e: np.ndarray, w: np.ndarray, units: np.ndarray | None,
                  idx: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """CR2 variance and Satterthwaite df of a weighted fit, as clubSandwich for lm(weights = w).

    clubSandwich takes the working variance Phi = I (not 1/w) and the weights W: with the full hat
    matrix H = U (U'WU)^-1 U'W, G_g = I - H_gg - H_gg' + (H H')_gg, A_g = G_g^(+1/2) and
    V = M (sum_g X_g'W_g A_g e_g e_g'A_g W_g X_g) M, M = (X'WX)^-1. ``X`` and ``e`` are on the
    original scale; X is within-transformed (weighted) when unit fixed effects are absorbed, and
    their part of H, P_D = D (D'WD)^-1 D'W, is block-diagonal within the clusters (units nested in
    clusters), so everything is computed cluster by cluster. Satterthwaite df for coefficient j:
    v_g = (I - H)' a_g with a_g = A_g W_g X_g M e_j, P_gh = v_g'v_h, df = tr(P)^2 / sum(P^2)
    (clubSandwich's get_P_array with Phi = I). Reference: Pustejovsky & Tipton (2018), JBES 36:672.
    """
    w = w / w.mean()  # clubSandwich's scaling; the results do not depend on it
    k = X.shape[1]
    WX = X * w[:, None]
    M = np.linalg.inv(X.T @ WX)
    XW2X = WX.T @ WX
    Om = M @ XW2X @ M
    meat = np.zeros((k, k))
    A, PD = [], []
    for ix in idx:
        ng = len(ix)
        Xg, wg = X[ix], w[ix]
        Hx = Xg @ M @ WX[ix].T
        P = np.zeros((ng, ng))
        if units is not None:
            ug = units[ix]
            for u in np.unique(ug):
                m = ug == u
                P[np.ix_(m, m)] = wg[m][None, :] / wg[m].sum()
        H = P + Hx
        # (H H')_gg = P P' + P W X M X' + X M X' W P' + X M X'W^2X M X' (blocks of cluster g)
        cross = P @ (WX[ix] @ M @ Xg.T)
        Gg = np.eye(ng) - H - H.T + P @ P.T + cross + cross.T + Xg @ Om @ Xg.T
        Ag = _inv_sqrt_psd((Gg + Gg.T) / 2)
        A.append(Ag)
        PD.append(P)
        s = WX[ix].T @ (Ag @ e[ix])
        meat += np.outer(s, s)
    V = M @ meat @ M
    df = np.empty(k)
    for j in range(k):
        mj = M[:, j]
        C, R, Q = [], [], []
        for g, ix in enumerate(idx):
            a = A[g] @ (WX[ix] @ mj)
            c = a - PD[g].T @ a
            C.append(c @ c)
            R.append(WX[ix].T @ c)
            Q.append(M @ (X[ix].T @ a))
        R, Q = np.array(R), np.array(Q)
        gram = -R @ Q.T - Q @ R.T + Q @ XW2X @ Q.T
        gram[np.diag_indices_from(gram)] += np.array(C)
        df[j] = np.trace(gram) ** 2 / np.sum(gram ** 2)
    return V, df


def _wild_kind(weights: str, G: int) -> str:
    check_choice("boot_weights", weights, WILD_WEIGHTS)
    if weights == "auto":
        # Rademacher has only 2^G distinct draws; Webb's six-point weights fix that for few clusters
        # (Webb 2023). 2^12 = 4096 < 9,999 draws.
        return "webb" if G <= 12 else "rademacher"
    return weights


def _draws(kind: str, G: int, n_boot: int, seed: int | None) -> np.ndarray:
    """G x n_boot matrix of wild weights. Rademacher with 2^G <= n_boot enumerates all sign vectors."""
    if kind == "rademacher" and 2 ** G <= n_boot:
        return np.array(list(itertools.product([-1.0, 1.0], repeat=G))).T
    gen = rng(seed)
    if kind == "rademacher":
        return gen.choice([-1.0, 1.0], size=(G, n_boot))
    if kind == "mammen":
        # Mammen (1993): -(sqrt5 - 1)/2 with probability (sqrt5 + 1)/(2 sqrt5), else (sqrt5 + 1)/2
        r5 = math.sqrt(5.0)
        low = gen.random((G, n_boot)) < (r5 + 1) / (2 * r5)
        return np.where(low, -(r5 - 1) / 2, (r5 + 1) / 2)
    vals = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
    return vals[gen.integers(0, 6, size=(G, n_boot))]


def _wild(y: np.ndarray, X: np.ndarray, M: np.ndarray, codes: np.ndarray, G: int, j: int,
          confidence: float, n_boot: int, seed: int | None, kind: str, beta_j: float, se_j: float) -> dict:
    """Restricted wild cluster bootstrap-t for H0: beta_j = r, and its inversion into a CI.

    Two-sided symmetric p-value P(|t*| >= |t|); the CI collects the r with p(r) > 1 - confidence
    (bisection on each side of the estimate).
    """
    p_of, draws = _wild_pvalue(y, X, M, codes, G, j, n_boot, seed, kind, beta_j, se_j)
    alpha = 1.0 - confidence
    lo = _invert(p_of, beta_j, se_j, -1.0, alpha)
    hi = _invert(p_of, beta_j, se_j, 1.0, alpha)
    return {"pvalue": p_of(0.0), "ci_low": lo, "ci_high": hi, "draws": draws, "weights": kind}


def _wild_pvalue(y: np.ndarray, X: np.ndarray, M: np.ndarray, codes: np.ndarray, G: int, j: int,
                 n_boot: int, seed: int | None, kind: str, beta_j: float,
                 se_j: float) -> tuple[Callable[[float], float], int]:
    """The bootstrap p-value as a function of the null value r, and the number of draws.

    Bootstrap samples y* = X b~(r) + v_g e~_g(r), b~ and e~ the estimates under beta_j = r.
    With w = M e_j and s_g = X_g' e~_g, the numerator is b*_j - r = sum_g v_g w's_g and the
    bootstrap cluster scores are (C v)_g, C = diag(w's) - [w' X_g'X_g M s_h]_{g,h}
    (the algebra of Roodman et al. 2019), so each draw costs O(G^2). t* uses the same CR1
    correction as the observed t, so the correction cancels.
    """
    k = X.shape[1]
    others = [i for i in range(k) if i != j]
    Xo = X[:, others]
    xj = X[:, j]
    if others:
        Mo = np.linalg.pinv(Xo.T @ Xo)
        e0 = y - Xo @ (Mo @ (Xo.T @ y))
        e1 = xj - Xo @ (Mo @ (Xo.T @ xj))
    else:
        e0, e1 = y.copy(), xj.copy()
    # e~(r) = e0 - r e1
    w = M[:, j]
    S0 = group_sum(X * e0[:, None], codes, G)
    S1 = group_sum(X * e1[:, None], codes, G)
    XtXg = np.zeros((G, k, k))
    for a in range(k):
        for b in range(a, k):
            XtXg[:, a, b] = XtXg[:, b, a] = np.bincount(codes, weights=X[:, a] * X[:, b], minlength=G)
    Wg = XtXg @ w                                   # G x k: X_g'X_g w
    a0, a1 = S0 @ w, S1 @ w
    C0 = np.diag(a0) - Wg @ M @ S0.T
    C1 = np.diag(a1) - Wg @ M @ S1.T
    V = _draws(kind, G, n_boot, seed)
    C0V, C1V = C0 @ V, C1 @ V
    a0V, a1V = a0 @ V, a1 @ V
    # a draw's squared denominator sum_g (C0V - r C1V)_g^2 is a quadratic in r: its three
    # coefficients are summed over the clusters once, so that each of the ~125 values of r the
    # interval's search tries costs O(draws), not O(clusters x draws)
    q00 = np.einsum("gb,gb->b", C0V, C0V)
    q01 = np.einsum("gb,gb->b", C0V, C1V)
    q11 = np.einsum("gb,gb->b", C1V, C1V)
    # se_j contains the CR1 factor adj; the bootstrap denominators above do not.
    adj = se_j ** 2 / max(1e-300, _cr1_raw_var(X, y - X @ (M @ (X.T @ y)), M, codes, G, j))
    t_scale = math.sqrt(adj)

    def p_of(r: float) -> float:
        t_obs = (beta_j - r) / se_j
        num = a0V - r * a1V
        den = t_scale * np.sqrt(np.maximum(q00 - 2.0 * r * q01 + r * r * q11, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            tb = np.abs(num / den)
        tb = np.where(np.isfinite(tb), tb, 0.0)
        return float(np.mean(tb >= abs(t_obs)))

    return p_of, V.shape[1]


def _invert(p_of: Callable[[float], float], beta_j: float, se_j: float, sign: float, alpha: float) -> float:
    """The end of the set {r: p(r) > alpha} on one side of the estimate (doubling, then bisection)."""
    inside = beta_j
    step = max(se_j, 1e-8)
    outside = beta_j + sign * 2 * step
    tries = 0
    while p_of(outside) > alpha and tries < 60:
        inside = outside
        step *= 2
        outside = beta_j + sign * 2 * step
        tries += 1
    for _ in range(60):
        mid = (inside + outside) / 2
        if p_of(mid) > alpha:
            inside = mid
        else:
            outside = mid
    return (inside + outside) / 2


def _cr1_raw_var(X: np.ndarray, e: np.ndarray, M: np.ndarray, codes: np.ndarray, G: int, j: int) -> float:
    scores = group_sum(X * e[:, None], codes, G)
    s = scores @ M[:, j]
    return float(s @ s)


def coef_table(fit: Fit, confidence: float) -> pd.DataFrame:
    """Coefficients with t-based p-values and intervals, one row per term."""
    t = fit.beta / fit.se
    q = stats.t.ppf(two_sided(confidence), fit.df)
    return pd.DataFrame({"coef": fit.beta, "se": fit.se, "t": t, "df": fit.df,
                         "pvalue": 2 * stats.t.sf(np.abs(t), fit.df),
                         "ci_low": fit.beta - q * fit.se, "ci_high": fit.beta + q * fit.se},
                        index=pd.Index(fit.names, name="term"))
