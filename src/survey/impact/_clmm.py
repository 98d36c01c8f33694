"""Cumulative link mixed model with one random intercept, by the Laplace approximation of
``ordinal::clmm`` (Christensen 2019): P(Y_i <= k | u_g) = F(theta_k - x_i'b - tau u_g), u_g ~ N(0, 1)."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import optimize, special, stats

from ..errors import DataError
from ._lmm import _hessian


@dataclasses.dataclass
class ClmmFit:
    """Estimates at the optimum (internal; kept as ``result.model``)."""

    theta: np.ndarray
    beta: np.ndarray
    tau: float
    llf: float
    vcov: np.ndarray       # of (theta, beta, log tau)
    modes: np.ndarray      # conditional modes tau * u_g of the random intercepts
    converged: bool
    grad: float


def _cdf(eta: np.ndarray, distr: str) -> np.ndarray:
    return special.expit(eta) if distr == "logit" else special.ndtr(eta)


def _pdf_and_slope(eta: np.ndarray, distr: str) -> tuple[np.ndarray, np.ndarray]:
    """Density f(eta) and its derivative f'(eta); both 0 at +-inf."""
    fin = np.isfinite(eta)
    e = np.where(fin, eta, 0.0)
    if distr == "logit":
        F = special.expit(e)
        f = F * (1 - F)
        d = f * (1 - 2 * F)
    else:
        f = stats.norm.pdf(e)
        d = -e * f
    return np.where(fin, f, 0.0), np.where(fin, d, 0.0)


def _prob(lo: np.ndarray, hi: np.ndarray, distr: str) -> np.ndarray:
    """F(hi) - F(lo), computed from the upper tail when both are large (no cancellation)."""
    upper = lo > 0
    a = _cdf(hi, distr) - _cdf(lo, distr)
    b = _cdf(-lo, distr) - _cdf(-hi, distr)
    return np.maximum(np.where(upper, b, a), 1e-300)


class _Laplace:
    def __init__(self, y: np.ndarray, X: np.ndarray, g: np.ndarray, G: int, K: int, distr: str,
                 w: np.ndarray | None):
        self.y, self.X, self.g, self.G, self.K, self.distr = y, X, g, G, K, distr
        self.w = np.ones(len(y)) if w is None else w
        self.p = X.shape[1]
        self.u = np.zeros(G)

    def _eta(self, theta: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cuts = np.r_[-np.inf, theta, np.inf]
        xb = self.X @ beta
        return cuts[self.y] - xb, cuts[self.y + 1] - xb

    def loglik(self, theta: np.ndarray, beta: np.ndarray, tau: float) -> float:
        """Laplace log-likelihood: sum_g [h_g(u_g) - log(-h_g''(u_g)) / 2] at the conditional modes."""
        lo0, hi0 = self._eta(theta, beta)
        u = self.u.copy()
        w, g, G = self.w, self.g, self.G
        for _ in range(200):
            lo, hi = lo0 - tau * u[g], hi0 - tau * u[g]
            p = _prob(lo, hi, self.distr)
            f_hi, d_hi = _pdf_and_slope(hi, self.distr)
            f_lo, d_lo = _pdf_and_slope(lo, self.distr)
            r = (f_hi - f_lo) / p
            grad = np.bincount(g, weights=w * (-tau * r), minlength=G) - u
            hess = np.bincount(g, weights=w * tau ** 2 * ((d_hi - d_lo) / p - r ** 2), minlength=G) - 1.0
            step = np.clip(-grad / hess, -5.0, 5.0)
            u = u + step
            if np.max(np.abs(step)) < 1e-12:
                break
        lo, hi = lo0 - tau * u[g], hi0 - tau * u[g]
        p = _prob(lo, hi, self.distr)
        f_hi, d_hi = _pdf_and_slope(hi, self.distr)
        f_lo, d_lo = _pdf_and_slope(lo, self.distr)
        r = (f_hi - f_lo) / p
        hess = np.bincount(g, weights=w * tau ** 2 * ((d_hi - d_lo) / p - r ** 2), minlength=G) - 1.0
        self.u = u  # warm start for the next call
        hg = np.bincount(g, weights=w * np.log(p), minlength=G) - u ** 2 / 2
        return float(np.sum(hg - 0.5 * np.log(-hess)))

    def unpack(self, par: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """(first threshold, log increments, b, log tau) to (theta, b, tau)."""
        k = self.K - 1
        theta = par[0] + np.r_[0.0, np.cumsum(np.exp(par[1:k]))]
        return theta, par[k:k + self.p], math.exp(par[-1])


def fit_clmm(y: np.ndarray, X: np.ndarray, g: np.ndarray, G: int, K: int, distr: str, w: np.ndarray | None,
             start_theta: np.ndarray, start_beta: np.ndarray, where: str) -> ClmmFit:
    """Maximise the Laplace log-likelihood (BFGS on ordered thresholds and log tau, then a
    Nelder-Mead polish when BFGS stops early); covariance from the numerical Hessian in the
    parameters (theta, b, log tau), as clmm's ``vcov()``."""
    lap = _Laplace(y, X, g, G, K, distr, w)
    k = K - 1
    par0 = np.r_[start_theta[0], np.log(np.maximum(np.diff(start_theta), 1e-3)), start_beta, 0.0]

    def nll(par: np.ndarray) -> float:
        theta, beta, tau = lap.unpack(par)
        if not np.all(np.isfinite(par)) or tau > 1e3:
            return float("inf")
        return -lap.loglik(theta, beta, tau)

    def grad(par: np.ndarray) -> np.ndarray:
        out = np.empty_like(par)
        for i in range(len(par)):
            e = np.zeros_like(par)
            e[i] = 1e-6 * max(1.0, abs(par[i]))
            out[i] = (nll(par + e) - nll(par - e)) / (2 * e[i])
        return out

    res = optimize.minimize(nll, par0, jac=grad, method="BFGS", options={"gtol": 1e-8, "maxiter": 2000})
    gmax = float(np.max(np.abs(grad(res.x))))
    if gmax > 1e-6:
        res = optimize.minimize(nll, res.x, method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 40000})
        res = optimize.minimize(nll, res.x, jac=grad, method="BFGS", options={"gtol": 1e-8, "maxiter": 2000})
        gmax = float(np.max(np.abs(grad(res.x))))
    if not np.isfinite(res.fun) or gmax > 1e-4:
        raise DataError(f"{where}: the cumulative link mixed model did not converge (max |gradient| "
                        f"{gmax:.1e}). Fix: merge sparse answer categories or check that groups vary.")
    theta, beta, tau = lap.unpack(res.x)

    def nll_natural(q: np.ndarray) -> float:
        th = q[:k]
        if np.any(np.diff(th) <= 0):
            return float("inf")
        return -lap.loglik(th, q[k:k + lap.p], math.exp(q[-1]))

    q = np.r_[theta, beta, math.log(tau)]
    H = _hessian(nll_natural, q)
    try:
        vcov = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        raise DataError(f"{where}: the information matrix is singular (a random-intercept variance of zero, "
                        f"or a predictor that does not vary?). Fix: fit without the random term.") from None
    llf = lap.loglik(theta, beta, tau)
    return ClmmFit(theta=theta, beta=beta, tau=tau, llf=llf, vcov=vcov, modes=tau * lap.u, converged=True,
                   grad=gmax)
