"""Ordered indicators as lavaan fits them (``ordered=``, estimators ``"DWLS"`` and ``"WLSMV"``):
thresholds and polychoric correlations in two steps, their asymptotic covariance matrix
(Muthen 1984, lavaan's ``muthen1984``), the diagonally weighted least squares fit in the delta
parameterisation, robust standard errors and the mean-and-variance adjusted (scaled and
shifted) test."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import ndtr

from ..errors import DataError
from ._sem import Spec
from .lavaan import CFAModel
from .polychoric import _BIG, _bvn_cdf

_SQ2PI = np.sqrt(2 * np.pi)


def _npdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * np.square(x)) / _SQ2PI


def _phi2(a: np.ndarray, b: np.ndarray, rho: float) -> np.ndarray:
    """Standard bivariate normal density (0 at infinite arguments)."""
    s = 1 - rho**2
    with np.errstate(over="ignore", invalid="ignore"):
        v = np.exp(-(a**2 - 2 * rho * a * b + b**2) / (2 * s)) / (2 * np.pi * np.sqrt(s))
    return np.where(np.isfinite(a) & np.isfinite(b), v, 0.0)


def _ext(t: np.ndarray) -> np.ndarray:
    return np.r_[-np.inf, t, np.inf]


def _cells(rho: float, t1: np.ndarray, t2: np.ndarray):
    """Cell probabilities P (K1 x K2) of the discretised bivariate normal and their derivatives
    with respect to rho (K1 x K2) and to the thresholds of each variable (K1 x K2 x (K-1))."""
    a, b = _ext(t1), _ext(t2)
    ac, bc = np.clip(a, -_BIG, _BIG), np.clip(b, -_BIG, _BIG)
    hh, kk = np.meshgrid(ac, bc, indexing="ij")
    f = _bvn_cdf(hh, kk, rho)
    p = f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]
    ha, kb = np.meshgrid(a, b, indexing="ij")
    d = _phi2(ha, kb, rho)
    dr = d[1:, 1:] - d[:-1, 1:] - d[1:, :-1] + d[:-1, :-1]
    s = np.sqrt(1 - rho**2)
    k1, k2 = len(t1) + 1, len(t2) + 1
    # dF(a, b)/da = phi(a) Phi((b - rho a)/s): a cell's probability moves with its two bounds
    g1 = _npdf(t1)[:, None] * ndtr((bc[None, :] - rho * t1[:, None]) / s)  # (K1-1) x (K2+1)
    col = g1[:, 1:] - g1[:, :-1]  # (K1-1) x K2
    d1 = np.zeros((k1, k2, k1 - 1))
    for t in range(k1 - 1):
        d1[t, :, t] += col[t]
        d1[t + 1, :, t] -= col[t]
    g2 = _npdf(t2)[:, None] * ndtr((ac[None, :] - rho * t2[:, None]) / s)
    row = g2[:, 1:] - g2[:, :-1]
    d2 = np.zeros((k1, k2, k2 - 1))
    for t in range(k2 - 1):
        d2[:, t, t] += row[t]
        d2[:, t + 1, t] -= row[t]
    return p, dr, d1, d2


def _polycor(tab: np.ndarray, t1: np.ndarray, t2: np.ndarray, start: float = 0.0) -> float:
    """Maximum-likelihood correlation of one table given the thresholds (lavaan's step 2), by
    Fisher scoring ``rho += score / information`` from ``start``, halving a step that lowers
    the likelihood; a bounded search when scoring does not settle."""
    ok = tab > 0
    n = tab.sum()
    a, b = _ext(t1), _ext(t2)
    hh, kk = np.meshgrid(np.clip(a, -_BIG, _BIG), np.clip(b, -_BIG, _BIG), indexing="ij")
    ha, kb = np.meshgrid(a, b, indexing="ij")  # the grids do not depend on rho: built once

    def probs(r):
        f = _bvn_cdf(hh, kk, r)
        d = _phi2(ha, kb, r)
        return (np.maximum(f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1], 1e-300),
                d[1:, 1:] - d[:-1, 1:] - d[1:, :-1] + d[:-1, :-1])

    rho = float(np.clip(start, -0.95, 0.95))
    best_rho, best_f, step = rho, np.inf, 0.0
    for _ in range(200):
        pr, dr = probs(rho)
        f = -float(np.sum(tab[ok] * np.log(pr[ok])))
        if f > best_f + 1e-12:  # overshot: halve the step from the best point
            step /= 2
            if abs(step) < 1e-13:
                return best_rho
            rho = float(np.clip(best_rho + step, -0.9999, 0.9999))
            continue
        best_rho, best_f = rho, f
        step = float(np.sum(tab[ok] * dr[ok] / pr[ok])) / (n * float(np.sum(dr**2 / pr)))
        if abs(step) < 1e-12:
            return rho
        rho = float(np.clip(rho + step, -0.9999, 0.9999))
    from scipy.optimize import minimize_scalar

    def negll(r):
        return -float(np.sum(tab[ok] * np.log(probs(r)[0][ok])))

    return float(minimize_scalar(negll, bounds=(-0.9999, 0.9999), method="bounded",
                                 options={"xatol": 1e-12}).x)


class SampleStats:
    """Thresholds, polychoric correlations and their asymptotic covariance (``gamma``, N times
    the covariance of the estimates) of one group, as lavaan's ``muthen1984``."""

    def __init__(self, codes: np.ndarray, ncat: Sequence[int]):
        n, p = codes.shape
        self.n, self.p = n, p
        self.ncat = list(ncat)
        self.tau, sc_th, self.th_index = [], [], []
        start = 0
        for j in range(p):
            k = self.ncat[j]
            freq = np.bincount(codes[:, j], minlength=k)
            if (freq == 0).any():
                raise DataError(f"cfa: an ordered item has an empty answer category in a group ({k} categories "
                                "expected); merge rare categories before fitting")
            t = stats.norm.ppf(np.cumsum(freq)[:-1] / n)
            self.tau.append(t)
            # univariate scores: d log P(c) / d tau_t = phi(tau_t)/P(c) [c == t] - phi(tau_t)/P(c) [c == t+1]
            pc = freq / n
            dens = _npdf(t)
            sc = np.zeros((n, k - 1))
            c = codes[:, j]
            up = c < k - 1
            sc[np.flatnonzero(up), c[up]] = dens[c[up]] / pc[c[up]]
            lo = c > 0
            sc[np.flatnonzero(lo), c[lo] - 1] = -dens[c[lo] - 1] / pc[c[lo]]
            sc_th.append(sc)
            self.th_index.append(np.arange(start, start + k - 1))
            start += k - 1
        self.ntau = start
        sc_th = np.hstack(sc_th)
        pairs = [(i, j) for j in range(p - 1) for i in range(j + 1, p)]  # lavaan's vech order
        self.pairs = pairs
        self.cor = np.eye(p)
        sc_cor = np.zeros((n, len(pairs)))
        a21 = np.zeros((len(pairs), self.ntau))
        start_r = np.corrcoef(codes, rowvar=False)
        for q, (i, j) in enumerate(pairs):
            ki, kj = self.ncat[i], self.ncat[j]
            cell = codes[:, i] * kj + codes[:, j]
            tab = np.bincount(cell, minlength=ki * kj).reshape(ki, kj).astype(float)
            if ki == 2 and kj == 2 and (tab == 0).any():
                tab[tab == 0] = 0.5  # lavaan's zero.add for 2 x 2 tables
            rho = _polycor(tab, self.tau[i], self.tau[j], start=start_r[i, j])
            self.cor[i, j] = self.cor[j, i] = rho
            pr, dr, d1, d2 = _cells(rho, self.tau[i], self.tau[j])
            pr = np.maximum(pr, 1e-300)
            s_cell = dr / pr  # a case's score depends only on its cell
            sc_cor[:, q] = s_cell.ravel()[cell]
            # A21 = sum over cases of score_rho * d log P / d tau, summed cell by cell
            wcell = tab * s_cell / pr
            a21[q, self.th_index[i]] = np.einsum("cd,cdt->t", wcell, d1)
            a21[q, self.th_index[j]] = np.einsum("cd,cdt->t", wcell, d2)
        sc = np.hstack([sc_th, sc_cor])
        inner = sc.T @ sc
        a11_inv = np.zeros((self.ntau, self.ntau))
        for idx in self.th_index:
            a11_inv[np.ix_(idx, idx)] = np.linalg.inv(inner[np.ix_(idx, idx)])
        a22_inv = 1.0 / np.einsum("ij,ij->j", sc_cor, sc_cor)
        b_inv = np.zeros((self.ntau + len(pairs), self.ntau + len(pairs)))
        b_inv[:self.ntau, :self.ntau] = a11_inv
        b_inv[self.ntau:, :self.ntau] = -(a22_inv[:, None] * a21) @ a11_inv
        b_inv[self.ntau:, self.ntau:] = np.diag(a22_inv)
        self.gamma = n * (b_inv @ inner @ b_inv.T)
        self.s = np.r_[np.concatenate(self.tau), [self.cor[i, j] for i, j in pairs]]


def _codes(x: np.ndarray, levels: list[np.ndarray]) -> np.ndarray:
    out = np.empty(x.shape, dtype=int)
    for j in range(x.shape[1]):
        out[:, j] = np.searchsorted(levels[j], x[:, j])
    return out


class _Model:
    """sigma(theta) = (thresholds, off-diagonal correlations of the latent responses) of each
    group and its Jacobian Delta."""

    def __init__(self, spec: Spec, stats_: list[SampleStats]):
        self.spec, self.ss = spec, stats_
        p = spec.p
        self.pairs = stats_[0].pairs
        self.rows = np.array([i for i, _ in self.pairs]), np.array([j for _, j in self.pairs])
        self.tau_pos = []
        for g in range(spec.G):
            pos = {}
            for e in spec.by_group[g]:
                if e.mat == "tau":
                    pos[(e.i, e.j)] = stats_[g].th_index[e.i][e.j]
            self.tau_pos.append(pos)
        self.p = p

    def sigma(self, x: np.ndarray, g: int) -> np.ndarray:
        """(thresholds, correlations) of the latent responses: with scale factors delta,
        ``tau* = delta (tau - mu)`` and ``rho*_ij = delta_i delta_j Sigma_ij``."""
        imp = self.spec.implied(x, g)
        dl = imp["delta"][:, 0]
        tau = np.zeros(self.ss[g].ntau)
        mu = imp["mu"]
        for e in self.spec.by_group[g]:
            if e.mat == "tau":
                tau[self.tau_pos[g][(e.i, e.j)]] = dl[e.i] * ((x[e.free] if e.free >= 0 else e.value) - mu[e.i])
        i, j = self.rows
        return np.r_[tau, dl[i] * dl[j] * imp["sigma"][i, j]]

    def delta(self, x: np.ndarray, g: int) -> np.ndarray:
        imp = self.spec.implied(x, g)
        ds, dm = self.spec.jacobian(x, g, imp)
        dl = imp["delta"][:, 0]
        nt = self.ss[g].ntau
        i, j = self.rows
        d = np.zeros((nt + len(self.pairs), self.spec.npar))
        d[nt:] = (ds[:, i, j] * (dl[i] * dl[j])).T
        taus = {}
        for e in self.spec.by_group[g]:
            if e.mat == "tau":
                taus[(e.i, e.j)] = x[e.free] if e.free >= 0 else e.value
        for (it, t), pos in self.tau_pos[g].items():
            d[pos] -= dl[it] * dm[:, it]
        for e in self.spec.free_by_group[g]:
            if e.mat == "tau":
                d[self.tau_pos[g][(e.i, e.j)], e.free] += dl[e.i]
            elif e.mat == "delta":
                k = e.i
                for (it, t), pos in self.tau_pos[g].items():
                    if it == k:
                        d[pos, e.free] += taus[(it, t)] - imp["mu"][it]
                sel_i, sel_j = i == k, j == k
                d[nt + np.flatnonzero(sel_i), e.free] += dl[j[sel_i]] * imp["sigma"][k, j[sel_i]]
                d[nt + np.flatnonzero(sel_j), e.free] += dl[i[sel_j]] * imp["sigma"][i[sel_j], k]
        return d


def fit_ordinal(model: CFAModel, groups: list[np.ndarray], estimator: str, *, std_lv: bool = False,
                group_equal: Sequence[str] = (), group_partial: Sequence[str] = (),
                ordinal: dict[str, int]) -> dict:
    """DWLS / WLSMV fit of ordered indicators (delta parameterisation, as lavaan's default)."""
    from .cfa import _start_values

    items = model.items
    x_all = np.vstack(groups)
    levels = [np.unique(x_all[:, j]) for j in range(len(items))]
    ncat = [len(v) for v in levels]
    G = len(groups)
    ords = {it: ncat[j] - 1 for j, it in enumerate(items)}
    spec = Spec(model, G, meanstructure=True, std_lv=std_lv, group_equal=group_equal, group_partial=group_partial,
                ordinal=ords)
    sst = [SampleStats(_codes(xg, levels), ncat) for xg in groups]
    spec.tau_start = [[list(s.tau[j]) for j in range(len(items))] for s in sst]
    mdl = _Model(spec, sst)
    n_rows = sum(len(xg) for xg in groups)
    # lavaan weights the groups by N_g / N, and counts N - 1 for the categorical statistics,
    # standard errors and RMSEA
    w = np.array([len(xg) for xg in groups], dtype=float) / n_rows
    ns = np.array([len(xg) - 1 for xg in groups], dtype=float)  # chisq = sum_g (N_g - 1) F_g
    n = float(ns.sum())
    wv = [1.0 / np.diag(s.gamma) for s in sst]  # DWLS weights: the diagonal of Gamma, inverted
    x = _start_values(spec, [s.cor for s in sst], [np.zeros(spec.p) for _ in sst])
    x, converged = _gauss_newton(x, spec, mdl, sst, w, wv)
    # lavaan's DWLS statistic: (N_g - 1) times each group's weighted sum of squares
    chisq = float(sum(ns[g] * np.sum(wv[g] * (sst[g].s - mdl.sigma(x, g)) ** 2) for g in range(G)))
    ndat = sum(s.ntau + len(s.pairs) for s in sst)
    df = ndat - spec.npar
    # expected information Delta' W Delta and the sandwich pieces
    a = np.zeros((spec.npar, spec.npar))
    deltas = [mdl.delta(x, g) for g in range(G)]
    for g in range(G):
        a += w[g] * deltas[g].T @ (wv[g][:, None] * deltas[g])
    a_inv = np.linalg.inv(a)
    if estimator == "DWLS":
        cov = a_inv / n
    else:
        b = sum(w[g] * deltas[g].T @ (wv[g][:, None] * sst[g].gamma * wv[g][None, :]) @ deltas[g] for g in range(G))
        cov = a_inv @ b @ a_inv / n
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    # independence baseline: thresholds reproduced exactly, correlations zero
    chisq_b = float(sum(ns[g] * np.sum(wv[g][sst[g].ntau:] * sst[g].s[sst[g].ntau:] ** 2) for g in range(G)))
    df_b = sum(len(s.pairs) for s in sst)
    out = {"chisq": chisq, "df": int(df), "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan}
    if estimator == "WLSMV" and df > 0:
        out.update(_wlsmv_scaled(chisq, df, chisq_b, df_b, deltas, a_inv, sst, w, wv))
    _add_fit_indices(out, chisq, df, chisq_b, df_b, n, G)
    imps, srmr = _implied_and_srmr(x, spec, mdl, sst, w)
    out.update({"srmr": srmr, "npar": spec.npar, "n_obs": int(n_rows)})
    thresholds = pd.DataFrame([{"item": items[j], "threshold": f"t{t + 1}", "sample": sst[0].tau[j][t]}
                               for j in range(len(items)) for t in range(ncat[j] - 1)])
    return dict(spec=spec, x=x, se=se, fit=pd.Series(out, dtype=object), imps=imps, ns=ns, converged=converged,
                thresholds=thresholds, levels=levels,
                wls=dict(deltas=deltas, info=a, weights=wv, gammas=[s_.gamma for s_ in sst], fg=w))


def _dwls_objective(xx: np.ndarray, mdl: _Model, sst: list[SampleStats], w: np.ndarray,
                    wv: list[np.ndarray]) -> float:
    """The DWLS discrepancy sum_g f_g sum(W_g r_g^2); infinite where an implied matrix cannot be
    formed, so the line search steps back from it."""
    f = 0.0
    for g in range(len(sst)):
        try:
            r = sst[g].s - mdl.sigma(xx, g)
        except np.linalg.LinAlgError:
            return np.inf
        f += w[g] * np.sum(wv[g] * r * r)
    return f


def _gauss_newton(x: np.ndarray, spec: Spec, mdl: _Model, sst: list[SampleStats], w: np.ndarray,
                  wv: list[np.ndarray]) -> tuple[np.ndarray, bool]:
    """Minimise the DWLS discrepancy from ``x``; returns the estimate and whether it converged."""
    G = len(sst)
    converged = False
    f = _dwls_objective(x, mdl, sst, w, wv)
    for _ in range(200):  # Gauss-Newton with step halving: the DWLS fit is a weighted least squares
        jtj = np.zeros((spec.npar, spec.npar))
        jtr = np.zeros(spec.npar)
        for g in range(G):
            d = mdl.delta(x, g)
            r = sst[g].s - mdl.sigma(x, g)
            jtj += w[g] * d.T @ (wv[g][:, None] * d)
            jtr += w[g] * d.T @ (wv[g] * r)
        step = np.linalg.solve(jtj, jtr)
        t = 1.0
        while t > 1e-8:
            fn = _dwls_objective(x + t * step, mdl, sst, w, wv)
            if fn <= f + 1e-15:
                break
            t /= 2
        x = x + t * step
        f_old, f = f, _dwls_objective(x, mdl, sst, w, wv)
        if np.max(np.abs(jtr)) < 1e-12 or (abs(f_old - f) < 1e-16 and np.max(np.abs(t * step)) < 1e-10):
            converged = True
            break
    return x, converged


def _ug_traces(dlist: list[np.ndarray], ainv: np.ndarray, sst: list[SampleStats], w: np.ndarray,
               wv: list[np.ndarray]) -> tuple[float, float]:
    """tr(U Gamma) and tr((U Gamma)^2) over all groups at once (lavaan's approach):
    V = bdiag(f_g W_g), Gamma = bdiag(Gamma_g / f_g), U = V - V D (D'VD)^-1 D' V."""
    from scipy.linalg import block_diag

    G = len(sst)
    v = block_diag(*[w[g] * np.diag(wv[g]) for g in range(G)])
    gam = block_diag(*[sst[g].gamma / w[g] for g in range(G)])
    dall = np.vstack(dlist)
    vd = v @ dall
    ug = (v - vd @ ainv @ vd.T) @ gam
    return float(np.trace(ug)), float(np.sum(ug * ug.T))


def _wlsmv_scaled(chisq: float, df: int, chisq_b: float, df_b: int, deltas: list[np.ndarray], a_inv: np.ndarray,
                  sst: list[SampleStats], w: np.ndarray, wv: list[np.ndarray]) -> dict[str, float]:
    """The mean-and-variance adjusted (scaled and shifted) statistics of the model and of the
    independence baseline, as lavaan reports them for WLSMV."""
    G = len(sst)
    tr1, tr2 = _ug_traces(deltas, a_inv, sst, w, wv)
    sa = np.sqrt(df / tr2)
    shift = df - sa * tr1
    xs = sa * chisq + shift
    # the baseline's parameters are each group's own thresholds
    nts = [s_.ntau for s_ in sst]
    db, col = [], 0
    for g in range(G):
        d0 = np.zeros((sst[g].ntau + len(sst[g].pairs), sum(nts)))
        d0[:nts[g], col:col + nts[g]] = np.eye(nts[g])
        col += nts[g]
        db.append(d0)
    a0 = sum(w[g] * db[g].T @ (wv[g][:, None] * db[g]) for g in range(G))
    t1b, t2b = _ug_traces(db, np.linalg.inv(a0), sst, w, wv)
    sab = np.sqrt(df_b / t2b)
    shift_b = df_b - sab * t1b
    xsb = sab * chisq_b + shift_b
    return {"chisq_scaled": xs, "df_scaled": int(df), "pvalue_scaled": float(stats.chi2.sf(xs, df)),
            "chisq_scaling_factor": 1 / sa, "chisq_shift": shift, "baseline_chisq_scaled": xsb,
            "baseline_chisq_scaling_factor": 1 / sab}


def _add_fit_indices(out: dict, chisq: float, df: int, chisq_b: float, df_b: int, n: float, G: int) -> None:
    """Add CFI, TLI and RMSEA to ``out`` (in place, keeping lavaan's key order), and their scaled
    versions when ``out`` already holds the scaled statistic."""
    from .cfa import _cfi, _rmsea_ci, _tli

    out.update({"baseline_chisq": chisq_b, "baseline_df": df_b, "cfi": _cfi(chisq, df, chisq_b, df_b),
                "tli": _tli(chisq, df, chisq_b, df_b)})
    if "chisq_scaled" in out:
        out.update({"cfi_scaled": _cfi(out["chisq_scaled"], df, out["baseline_chisq_scaled"], df_b),
                    "tli_scaled": _tli(out["chisq_scaled"], df, out["baseline_chisq_scaled"], df_b)})
    rmsea = np.sqrt(max(chisq / n / df - 1 / n, 0.0)) * np.sqrt(G) if df > 0 else 0.0
    lo, hi = _rmsea_ci(chisq, df, n, G)
    out.update({"rmsea": rmsea, "rmsea_ci_low": lo, "rmsea_ci_high": hi})
    if "chisq_scaled" in out:
        xs = out["chisq_scaled"]
        lo_s, hi_s = _rmsea_ci(xs, df, n, G)
        out.update({"rmsea_scaled": np.sqrt(max(xs / n / df - 1 / n, 0.0)) * np.sqrt(G),
                    "rmsea_ci_low_scaled": lo_s, "rmsea_ci_high_scaled": hi_s})


def _implied_and_srmr(x: np.ndarray, spec: Spec, mdl: _Model, sst: list[SampleStats],
                      w: np.ndarray) -> tuple[list, float]:
    """Each group's implied moments and the SRMR for ordered data: lavaan's srmr_bentler_nomean,
    the root mean square of the residual polychoric correlations over the p(p+1)/2 entries of the
    lower triangle (diagonal 0), weighted by the group shares."""
    imps, srmr = [], 0.0
    for g in range(len(sst)):
        imp = spec.implied(x, g)
        imps.append(imp)
        model_cor = np.eye(spec.p)
        model_cor[mdl.rows] = model_cor[mdl.rows[::-1]] = mdl.sigma(x, g)[sst[g].ntau:]
        res = sst[g].cor - model_cor
        srmr += w[g] * np.sqrt(np.mean(res[np.tril_indices(spec.p)] ** 2))
    return imps, srmr


def satorra2000(m1: dict, m0: dict, t1: float, t0: float, df1: int, df0: int) -> tuple[float, float]:
    """lavaan's ``lav_test_diff_Satorra2000`` (scaled and shifted, ``A.method = "delta"``): the
    difference test of a restricted model m0 against m1 for WLSMV. The constraints are found
    from the Jacobians (``H = Delta1^+ Delta0``, A its orthogonal complement); with
    ``P = (Delta1' V Delta1)^-1``, ``U = V Delta1 P A'(A P A')^-1 A P Delta1' V``:
    ``T = a (T0 - T1) + b``, ``a = sqrt(m / tr((U Gamma)^2))``, ``b = m - a tr(U Gamma)``.
    Returns (T, df)."""
    from scipy.linalg import block_diag

    m = df0 - df1
    d1 = np.vstack(m1["deltas"])
    d0 = np.vstack(m0["deltas"])
    h = np.linalg.pinv(d1) @ d0
    q, r = np.linalg.qr(h, mode="complete")
    rank = int(np.sum(np.abs(np.diag(r)) > 1e-8 * max(1.0, np.abs(np.diag(r)).max())))
    a = q[:, rank:].T
    p_inv = np.linalg.inv(m1["info"])
    apa = a @ p_inv @ a.T
    paap = p_inv @ a.T @ np.linalg.pinv(apa) @ a @ p_inv
    fg = m1["fg"]
    v = block_diag(*[fg[g] * np.diag(w_) for g, w_ in enumerate(m1["weights"])])
    gam = block_diag(*[gm / fg[g] for g, gm in enumerate(m1["gammas"])])
    ug = v @ d1 @ paap @ d1.T @ v @ gam
    tr1, tr2 = float(np.trace(ug)), float(np.sum(ug * ug.T))
    sa = np.sqrt(m / tr2)
    return float((t0 - t1) * sa + (m - sa * tr1)), float(m)
