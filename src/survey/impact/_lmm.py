"""Linear mixed models as lme4 fits them: the profiled (RE)ML deviance of Bates et al. (2015),
minimised over the relative covariance factor theta, and lmerTest's Satterthwaite degrees of
freedom. Dense linear algebra: the q x q systems (q = number of random effects) are small for the
data this project meets (a few thousand random effects at most)."""
from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import linalg, optimize, sparse

from ..errors import DataError, ParameterError
from ._formula import RandomTerm

#: scipy optimizers tried in turn; the old statsmodels names map onto them
_OPTIMIZERS = {"lbfgs": "L-BFGS-B", "default": "L-BFGS-B", "bfgs": "L-BFGS-B", "cg": "L-BFGS-B",
               "nm": "Nelder-Mead", "powell": "Powell"}


@dataclasses.dataclass
class Block:
    """One random-effect term: n x p model matrix of its effects, the grouping codes and labels."""

    group: str
    effects: list[str]
    X: np.ndarray
    codes: np.ndarray
    levels: list

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def n_theta(self) -> int:
        return self.p * (self.p + 1) // 2


def expand_terms(terms: Sequence[RandomTerm]) -> list[tuple[str, list[str]]]:
    """(effects expression, grouping columns) per term; ``a/b`` becomes ``a`` and ``a:b`` as in lme4."""
    out = []
    for t in terms:
        parts = [p.strip() for p in t.group.split("/")]
        if any(not p for p in parts):
            raise ParameterError(f"the random term {t.text!r} has an empty grouping factor.")
        for i in range(len(parts)):
            cols = [c.strip() for p in parts[: i + 1] for c in p.split(":")]
            out.append((t.expr, cols))
    return out


def group_columns(terms: Sequence[RandomTerm]) -> list[str]:
    return list(dict.fromkeys(c for _, cols in expand_terms(terms) for c in cols))


def build_blocks(data: pd.DataFrame, terms: Sequence[RandomTerm], where: str) -> list[Block]:
    import patsy

    blocks = []
    for expr, cols in expand_terms(terms):
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise DataError(f"{where}: the grouping factor {missing[0]!r} of a random term is not a column.")
        key = data[cols[0]].astype(str) if len(cols) == 1 else data[cols].astype(str).agg(":".join, axis=1)
        codes, levels = pd.factorize(key, sort=True)
        try:
            Xr = patsy.dmatrix(expr or "1", data, return_type="dataframe")
        except Exception as exc:  # patsy raises several types for a bad term
            raise DataError(f"{where}: cannot read the random effects {expr!r}: {exc}") from None
        if Xr.shape[1] == 0:
            raise ParameterError(f"{where}: the random term ({expr} | {':'.join(cols)}) has no effects.")
        names = ["(Intercept)" if c == "Intercept" else c for c in Xr.columns]
        blocks.append(Block(":".join(cols), names, Xr.to_numpy(dtype=float), np.asarray(codes), list(levels)))
    return blocks


def _z_matrix(blocks: Sequence[Block], n: int) -> sparse.csr_matrix:
    """Z (n x q, sparse), columns ordered by term, then level, then effect (lme4's order within a term)."""
    cols = []
    for b in blocks:
        L = len(b.levels)
        rows = np.repeat(np.arange(n), b.p)
        cc = (b.codes[:, None] * b.p + np.arange(b.p)[None, :]).ravel()
        cols.append(sparse.csr_matrix((b.X.ravel(), (rows, cc)), shape=(n, L * b.p)))
    return sparse.hstack(cols, format="csr")


@dataclasses.dataclass
class LmmFit:
    """The fit at the optimum and the pieces lmerTest needs (internal; kept as ``result.model``)."""

    theta: np.ndarray
    beta: np.ndarray
    vcov: np.ndarray
    sigma: float
    deviance: float
    llf: float
    reml: bool
    blocks: list
    n: int
    p: int
    grad: float
    method: str
    devfun_vp: Callable[[np.ndarray], float] = dataclasses.field(repr=False)
    vcov_at: Callable[[np.ndarray], np.ndarray] = dataclasses.field(repr=False)


class _Criterion:
    """The profiled deviance of lme4 as a function of theta (cross-products computed once)."""

    def __init__(self, y: np.ndarray, X: np.ndarray, Z: np.ndarray, w: np.ndarray | None,
                 blocks: Sequence[Block], reml: bool):
        sw = np.ones(len(y)) if w is None else np.sqrt(w)
        self.y, self.X = y * sw, X * sw[:, None]
        self.Z = sparse.diags(sw) @ Z
        self.ldW = 0.0 if w is None else float(np.sum(np.log(w)))
        self.blocks, self.reml = list(blocks), reml
        self.n, self.p = X.shape
        self.q = Z.shape[1]
        self.ZtX, self.Zty = np.asarray(self.Z.T @ self.X), np.asarray(self.Z.T @ self.y)
        if len(self.blocks) == 1:
            # one term: Z'Z is block diagonal; keep its L blocks of p x p (never a q x q matrix)
            b = self.blocks[0]
            L, bp = len(b.levels), b.p
            Xs = b.X * sw[:, None]
            ZtZ = np.zeros((L, bp, bp))
            for i in range(bp):
                for j in range(bp):
                    ZtZ[:, i, j] = np.bincount(b.codes, weights=Xs[:, i] * Xs[:, j], minlength=L)
            self._one = (ZtZ, self.ZtX.reshape(L, bp, -1), self.Zty.reshape(L, bp))
        else:
            self.ZtZ = (self.Z.T @ self.Z).toarray()
        self.XtX, self.Xty = self.X.T @ self.X, self.X.T @ self.y
        lower = []
        for b in self.blocks:
            lower += [0.0 if i == j else -np.inf for j in range(b.p) for i in range(j, b.p)]
        self.lower = np.array(lower)

    def lam(self, theta: np.ndarray) -> sparse.csr_matrix:
        """Lambda_theta (sparse): block diagonal, I_L kron T per term, T lower triangular filled column-wise."""
        mats, k = [], 0
        for b in self.blocks:
            T = np.zeros((b.p, b.p))
            for j in range(b.p):
                for i in range(j, b.p):
                    T[i, j] = theta[k]
                    k += 1
            mats.append(sparse.kron(sparse.identity(len(b.levels)), T))
        return sparse.block_diag(mats, format="csr")

    def _solve_one_term(self, theta: np.ndarray) -> dict:
        """``solve`` for a single random term: A is block diagonal (one p x p block per level), so the
        work is L small Cholesky factors instead of one q x q factor."""
        b = self.blocks[0]
        p, L = b.p, len(b.levels)
        T = np.zeros((p, p))
        T[np.triu_indices(p)[::-1]] = theta  # column-wise lower triangle, as lam()
        ZtZ, ZtX, Zty = self._one
        A = np.einsum("ji,ljk,km->lim", T, ZtZ, T) + np.eye(p)[None]
        Lc = np.linalg.cholesky(A)
        cu = np.linalg.solve(Lc, np.einsum("ji,lj->li", T, Zty)[..., None])[..., 0]
        RZX = np.linalg.solve(Lc, np.einsum("ji,ljk->lik", T, ZtX))
        RZXf = RZX.reshape(L * p, -1)
        XtXs = self.XtX - RZXf.T @ RZXf
        RX = linalg.cholesky(XtXs, lower=True)
        beta = linalg.cho_solve((RX, True), self.Xty - RZXf.T @ cu.ravel())
        u = np.linalg.solve(np.swapaxes(Lc, 1, 2), (cu - (RZX @ beta))[..., None])[..., 0]
        bvec = (u @ T.T).ravel()
        r = self.y - self.X @ beta - self.Z @ bvec
        pwrss = float(r @ r + np.sum(u * u))
        return {"beta": beta, "pwrss": pwrss,
                "ldL2": 2 * float(np.sum(np.log(np.diagonal(Lc, axis1=1, axis2=2)))),
                "ldRX2": 2 * float(np.sum(np.log(np.diag(RX)))), "RX": RX}

    def solve(self, theta: np.ndarray) -> dict:
        if len(self.blocks) == 1:
            return self._solve_one_term(theta)
        lam = self.lam(theta)
        lt = lam.T.tocsr()
        # Lambda' Z'Z Lambda from sparse-times-dense products only (Z'Z is symmetric)
        A = np.asarray(lt @ np.asarray(lt @ self.ZtZ).T) + np.eye(self.q)
        L = linalg.cholesky(A, lower=True)
        cu = linalg.solve_triangular(L, lt @ self.Zty, lower=True)
        RZX = linalg.solve_triangular(L, np.asarray(lt @ self.ZtX), lower=True)
        XtXs = self.XtX - RZX.T @ RZX
        RX = linalg.cholesky(XtXs, lower=True)
        beta = linalg.cho_solve((RX, True), self.Xty - RZX.T @ cu)
        u = linalg.solve_triangular(L.T, cu - RZX @ beta, lower=False)
        r = self.y - self.X @ beta - self.Z @ (lam @ u)
        pwrss = float(r @ r + u @ u)
        return {"beta": beta, "pwrss": pwrss, "ldL2": 2 * float(np.sum(np.log(np.diag(L)))),
                "ldRX2": 2 * float(np.sum(np.log(np.diag(RX)))), "RX": RX}

    def deviance(self, theta: np.ndarray) -> float:
        try:
            s = self.solve(theta)
        except (linalg.LinAlgError, ValueError):
            return float("inf")
        n, p = self.n, self.p
        if self.reml:
            return s["ldL2"] + s["ldRX2"] + (n - p) * (1 + math.log(2 * math.pi * s["pwrss"] / (n - p))) - self.ldW
        return s["ldL2"] + n * (1 + math.log(2 * math.pi * s["pwrss"] / n)) - self.ldW

    def devfun_vp(self, varpar: np.ndarray) -> float:
        """The deviance at theta and sigma, not profiled over sigma (lmerTest's devfun_vp)."""
        theta, sigma2 = varpar[:-1], varpar[-1] ** 2
        s = self.solve(theta)
        dev = s["ldL2"] + s["pwrss"] / sigma2 + self.n * math.log(2 * math.pi * sigma2) - self.ldW
        if self.reml:
            dev += s["ldRX2"] - self.p * math.log(2 * math.pi * sigma2)
        return dev

    def vcov_at(self, varpar: np.ndarray) -> np.ndarray:
        """Covariance of the fixed effects at theta and sigma: sigma^2 (RX RX')^-1."""
        RX = self.solve(varpar[:-1])["RX"]
        return varpar[-1] ** 2 * linalg.cho_solve((RX, True), np.eye(self.p))


def _central_grad(f: Callable[[np.ndarray], float], x: np.ndarray, lower: np.ndarray) -> np.ndarray:
    g = np.empty_like(x)
    for i in range(len(x)):
        h = 1e-6 * max(1.0, abs(x[i]))
        e = np.zeros_like(x)
        e[i] = h
        if x[i] - h < lower[i]:  # one-sided at the boundary
            g[i] = (-3 * f(x) + 4 * f(x + e) - f(x + 2 * e)) / (2 * h)
        else:
            g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def fit_lmm(y: np.ndarray, X: np.ndarray, blocks: Sequence[Block], w: np.ndarray | None, reml: bool,
            methods: Sequence[str], gtol: float, where: str) -> LmmFit:
    """Minimise the profiled deviance over theta with each optimizer in turn until the projected
    gradient per observation is below ``gtol``; a DataError listing the attempts otherwise."""
    n = len(y)
    Z = _z_matrix(blocks, n)
    crit = _Criterion(y, X, Z, w, blocks, reml)
    lower = crit.lower
    theta = np.where(np.isfinite(lower), 1.0, 0.0)
    attempts = []
    best = None
    for m in methods:
        if m not in _OPTIMIZERS:
            raise ParameterError(f"{where}: methods holds {m!r}; use some of {', '.join(map(repr, _OPTIMIZERS))}.")
        meth = _OPTIMIZERS[m]
        bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if meth == "L-BFGS-B":
                res = optimize.minimize(crit.deviance, theta, method=meth, bounds=bounds,
                                        jac=lambda t: _central_grad(crit.deviance, t, lower),
                                        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000})
            elif meth == "Nelder-Mead":
                res = optimize.minimize(crit.deviance, theta, method=meth, bounds=bounds,
                                        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
            else:
                res = optimize.minimize(crit.deviance, theta, method=meth, bounds=bounds,
                                        options={"xtol": 1e-10, "ftol": 1e-14, "maxiter": 20000})
        th = np.maximum(res.x, lower)
        g = _central_grad(crit.deviance, th, lower)
        # projected gradient: at a zero variance the deviance may rise into the feasible side
        at_bound = (th <= lower + 1e-10) & (g > 0)
        pg = float(np.max(np.abs(np.where(at_bound, 0.0, g)))) / n if len(g) else 0.0
        attempts.append(f"{m}: max|gradient|/n={pg:.1e}")
        if np.isfinite(res.fun) and (best is None or res.fun < best[1]):
            best = (th, float(res.fun), pg, m)
        if np.isfinite(res.fun) and pg < gtol:
            break
        theta = th if np.isfinite(res.fun) else theta
    if best is None or best[2] >= gtol:
        raise DataError(f"{where}: no optimizer converged: " + "; ".join(attempts) + ". Fix: rescale "
                        "predictors, simplify the random terms, or check that groups have more than one row.")
    th, dev, pg, m = best
    s = crit.solve(th)
    denom = (n - crit.p) if reml else n
    sigma = math.sqrt(s["pwrss"] / denom)
    vcov = sigma ** 2 * linalg.cho_solve((s["RX"], True), np.eye(crit.p))
    return LmmFit(theta=th, beta=s["beta"], vcov=vcov, sigma=sigma, deviance=dev, llf=-dev / 2, reml=reml,
                  blocks=list(blocks), n=n, p=crit.p, grad=pg, method=m, devfun_vp=crit.devfun_vp,
                  vcov_at=crit.vcov_at)


def _hessian(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian with one Richardson step (errors O(h^4))."""
    k = len(x)

    def at(h: np.ndarray) -> np.ndarray:
        H = np.empty((k, k))
        f0 = f(x)
        for i in range(k):
            ei = np.zeros(k)
            ei[i] = h[i]
            H[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
            for j in range(i):
                ej = np.zeros(k)
                ej[j] = h[j]
                H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
        return H

    h = 1e-3 * np.maximum(np.abs(x), 0.1)
    return (4 * at(h / 2) - at(h)) / 3


def _jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    out = []
    for i in range(len(x)):
        h = 1e-3 * max(abs(x[i]), 0.1)

        def d(hh: float) -> np.ndarray:
            e = np.zeros(len(x))
            e[i] = hh
            return (f(x + e) - f(x - e)) / (2 * hh)

        out.append((4 * d(h / 2) - d(h)) / 3)
    return out


def satterthwaite(fit: LmmFit) -> np.ndarray:
    """lmerTest's Satterthwaite df for each fixed effect.

    varpar = (theta, sigma); A = 2 H^-1 with H the Hessian of the unprofiled deviance at the
    optimum; for coefficient j, g = d V_jj / d varpar and df = 2 V_jj^2 / (g' A g)
    (Kuznetsova, Brockhoff & Christensen 2017, J. Stat. Softw. 82(13), sec. 3).
    """
    vp = np.r_[fit.theta, fit.sigma]
    H = _hessian(fit.devfun_vp, vp)
    A = 2 * np.linalg.pinv(H)
    J = _jacobian(fit.vcov_at, vp)
    df = np.empty(fit.p)
    for j in range(fit.p):
        g = np.array([Ji[j, j] for Ji in J])
        var = float(g @ A @ g)
        df[j] = 2 * fit.vcov[j, j] ** 2 / var if var > 0 else float("nan")
    return df


def varcor(fit: LmmFit) -> pd.DataFrame:
    """Variance components as lme4's ``as.data.frame(VarCorr(m))``: grp, var1, var2, vcov, sdcor."""
    rows, k = [], 0
    for b in fit.blocks:
        T = np.zeros((b.p, b.p))
        for j in range(b.p):
            for i in range(j, b.p):
                T[i, j] = fit.theta[k]
                k += 1
        S = fit.sigma ** 2 * T @ T.T
        sd = np.sqrt(np.diag(S))
        for i in range(b.p):
            rows.append((b.group, b.effects[i], None, S[i, i], sd[i]))
        for j in range(b.p):
            for i in range(j + 1, b.p):
                corr = S[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else float("nan")
                rows.append((b.group, b.effects[j], b.effects[i], S[i, j], corr))
    rows.append(("Residual", None, None, fit.sigma ** 2, fit.sigma))
    return pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])


def block_cov(fit: LmmFit, index: int) -> pd.DataFrame:
    """Covariance matrix of the random effects of one term."""
    k = sum(b.n_theta for b in fit.blocks[:index])
    b = fit.blocks[index]
    T = np.zeros((b.p, b.p))
    for j in range(b.p):
        for i in range(j, b.p):
            T[i, j] = fit.theta[k]
            k += 1
    return pd.DataFrame(fit.sigma ** 2 * T @ T.T, index=b.effects, columns=b.effects)
