"""Confirmatory factor analysis as ``lavaan::cfa``: maximum likelihood (``"ML"``), ML with
robust (Huber-White) standard errors and the Yuan-Bentler scaled test (``"MLR"``), and for
ordinal items diagonally weighted least squares on thresholds and polychoric correlations
(``"DWLS"``, ``"WLSMV"``); Hu & Bentler's fit cut-offs."""
from __future__ import annotations

import dataclasses
import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import check_choice
from ..errors import DataError, ParameterError
from ..results import Result
from ._matrix import _as_matrix, _check_variance, _warn, cov2cor, smc
from ._sem import Spec, ml_objective
from .lavaan import CFAModel, parse_model

__all__ = ["CFAResult", "cfa", "fit_meets_cutoffs", "ESTIMATORS"]

ESTIMATORS = ("ML", "MLR", "DWLS", "WLSMV")

MISSING_RULE = {
    "ML": "listwise: rows with any missing indicator (or group) are dropped, lavaan's default "
          "missing='listwise' for ML",
    "MLR": "listwise: rows with any missing indicator (or group) are dropped, lavaan's default "
           "missing='listwise' for MLR",
    "DWLS": "listwise: rows with any missing indicator (or group) are dropped, lavaan's default "
            "missing='listwise' for categorical data",
    "WLSMV": "listwise: rows with any missing indicator (or group) are dropped, lavaan's default "
             "missing='listwise' for categorical data",
}


@dataclasses.dataclass(frozen=True)
class CFAResult(Result):
    """Confirmatory factor analysis (see :func:`cfa`); ``to_frame()`` gives the fit measures as
    one row."""

    main = "fit"

    fit: pd.Series
    estimates: pd.DataFrame
    std_loadings: pd.DataFrame
    reliability: pd.DataFrame
    invariance: pd.DataFrame | None
    n_obs: int
    converged: bool
    estimator: str = "ML"
    missing: str = MISSING_RULE["ML"]
    thresholds: pd.DataFrame | None = None


# -- data --------------------------------------------------------------------------------------------

def _groups(data: pd.DataFrame, items: list[str], group: str | None,
            keys: Sequence[str] | None) -> tuple[list[np.ndarray], list, list[str]]:
    """The complete rows of the indicators (keyed items sign-flipped), split by ``group``:
    ``(one matrix per group, group labels, keys)``; a single unlabelled group without ``group``."""
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise DataError(f"cfa: the data have no column(s) {', '.join(missing)} named in the model")
    cols = items + ([group] if group else [])
    if group and group not in data.columns:
        raise DataError(f"cfa: group column {group!r} is not in the data")
    frame = data[cols].dropna()
    x_all, _ = _as_matrix(frame[items], "cfa", min_items=2, min_rows=3)
    _check_variance(x_all, items, "cfa")
    keys = [str(k) for k in (keys or [])]
    unknown = [k for k in keys if k not in items]
    if unknown:
        raise DataError(f"cfa: key(s) {', '.join(unknown)} are not indicators in the model")
    x_all = x_all * np.array([-1.0 if i in keys else 1.0 for i in items])
    if not group:
        if len(x_all) <= len(items):
            raise DataError(f"cfa: {len(x_all)} complete rows for {len(items)} items; need more rows than items")
        return [x_all], [None], keys
    labels = list(pd.unique(frame[group]))
    if len(labels) < 2:
        raise DataError(f"cfa: group column {group!r} has only one value among complete rows")
    groups = [x_all[(frame[group] == lab).to_numpy()] for lab in labels]
    small = [str(lab) for lab, xg in zip(labels, groups) if len(xg) <= len(items)]
    if small:
        raise DataError(f"cfa: group(s) {', '.join(small)} have no more complete rows than items ({len(items)}); "
                        "merge groups or collect more data")
    return groups, labels, keys


# -- estimation --------------------------------------------------------------------------------------

def _start_values(spec: Spec, S: list, M: list) -> np.ndarray:
    """Per factor, a one-factor ML fit of its indicators scaled to the marker (or to unit
    variance with ``std_lv``); regressions, residual and factor covariances start at zero,
    intercepts at the means."""
    x = np.zeros(spec.npar)
    set_ = np.zeros(spec.npar, dtype=bool)

    def put(e, v):
        if e.free >= 0 and not set_[e.free]:
            x[e.free] = v
            set_[e.free] = True

    for g in range(spec.G):
        s = S[g]
        eg = spec.by_group[g]
        lam_s = np.zeros((spec.p, spec.m))
        psi_s = np.zeros(spec.m)
        th_s = np.diag(s) * 0.5
        for k in range(spec.m):
            ents = [e for e in eg if e.mat == "lambda" and e.j == k]
            idx = [e.i for e in ents]
            sub = s[np.ix_(idx, idx)]
            if len(idx) >= 3:
                # principal axis with SMC communalities: close enough to start from, and without
                # an optimisation of its own
                d = np.diag(sub)
                psi0 = d * (1 - smc(cov2cor(sub)))
                vals, vecs = np.linalg.eigh(sub - np.diag(psi0))
                lam1 = vecs[:, -1] * np.sqrt(max(vals[-1], 1e-6))
                if lam1.sum() < 0:
                    lam1 = -lam1
                psi1 = np.maximum(d - lam1**2, 0.05 * d)
            else:
                c = max(abs(sub[0, 1]), 0.05 * np.sqrt(sub[0, 0] * sub[1, 1]))
                lam1 = np.sqrt(np.array([c, c])) * np.sign([1.0, sub[0, 1] or 1.0])
                psi1 = np.diag(sub) - c
            fixed = [(n, e.value) for n, e in enumerate(ents) if e.free < 0 and e.value != 0]
            var_e = [e for e in eg if e.mat == "psi" and e.i == k and e.j == k][0]
            if fixed:
                n0, v0 = fixed[0]
                scale = lam1[n0] / v0 if abs(lam1[n0]) > 1e-6 else 1.0
            elif var_e.free < 0 and var_e.value > 0:
                scale = 1.0 / np.sqrt(var_e.value)
            else:
                scale = 1.0
            for n, i in enumerate(idx):
                lam_s[i, k] = lam1[n] / scale
                th_s[i] = min(th_s[i], max(psi1[n], 0.05 * s[i, i])) if lam_s[i].any() else th_s[i]
            psi_s[k] = scale**2
        for e in eg:
            if e.mat == "lambda":
                put(e, lam_s[e.i, e.j])
            elif e.mat == "theta":
                put(e, th_s[e.i] if e.i == e.j else 0.0)
            elif e.mat == "psi":
                put(e, psi_s[e.i] if e.i == e.j else 0.0)
            elif e.mat == "nu":
                put(e, M[g][e.i])
            elif e.mat == "tau":
                put(e, spec.tau_start[g][e.i][e.j])
            elif e.mat == "delta":
                put(e, 1.0)
    return x


def _expected_info(spec: Spec, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Expected information of the normal likelihood per observation:
    ``sum_g w_g [tr(Sigma^-1 dSigma_i Sigma^-1 dSigma_j) / 2 + dmu_i' Sigma^-1 dmu_j]``."""
    info = np.zeros((spec.npar, spec.npar))
    for g in range(spec.G):
        imp = spec.implied(x, g)
        inv = np.linalg.inv(imp["sigma"])
        ds, dm = spec.jacobian(x, g, imp)
        xs = inv @ ds
        # tr(X_k X_l) as one matrix product (an einsum over k, l, a, b is five times slower)
        v = 0.5 * (xs.reshape(spec.npar, -1) @ xs.transpose(0, 2, 1).reshape(spec.npar, -1).T)
        if spec.meanstructure:
            v += dm @ inv @ dm.T
        info += w[g] * v
    return info


def _scoring(spec: Spec, x: np.ndarray, S: list, M: list, w: np.ndarray,
             steps: int = 50) -> tuple[np.ndarray, bool]:
    """Fisher scoring ``x -= (2 I(x))^-1 grad F(x)`` (``I`` the expected information) with step
    halving, until the gradient vanishes (max |g| < 1e-10): ``(x, whether it did)``."""
    f, g = ml_objective(x, spec, S, M, w)
    for _ in range(steps):
        if not np.isfinite(f):
            return x, False
        if np.max(np.abs(g)) < 1e-10:
            return x, True
        try:
            step = np.linalg.solve(2 * _expected_info(spec, x, w), g)
        except np.linalg.LinAlgError:
            return x, False
        t = 1.0
        while t > 1e-6:
            fn, gn = ml_objective(x - t * step, spec, S, M, w)  # the accepted point's gradient is the next one's
            if fn <= f + 1e-14:
                break
            t /= 2
        if t <= 1e-6:
            return x, False
        x, f, g = x - t * step, fn, gn
    return x, False


def _fit_ml(spec: Spec, S: list, M: list, w: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Minimise the ML discrepancy by Fisher scoring from the start values until the gradient
    vanishes (on the reliability report's four-factor model 17 steps, where the quasi-Newton
    search used before took 42 iterations and then scoring steps as well). When scoring does not
    settle within 30 steps, a quasi-Newton search (BFGS) from the start values, then scoring steps
    until the gradient vanishes, so that the optimum is tight either way."""
    from scipy.optimize import minimize

    x0 = _start_values(spec, S, M)
    x, done = _scoring(spec, x0, S, M, w, steps=30)
    if not done:
        res = minimize(ml_objective, x0, args=(spec, S, M, w), jac=True, method="BFGS",
                       options={"gtol": 1e-7, "maxiter": 5000})
        x = res.x if np.isfinite(res.fun) else x0
        x, _ = _scoring(spec, x, S, M, w)
    f, g = ml_objective(x, spec, S, M, w)
    return x, f, bool(np.max(np.abs(g)) < 1e-5)


def _h0_scores(spec: Spec, x: np.ndarray, xg: np.ndarray, g: int, mean: np.ndarray,
               chunk: int = 4096) -> np.ndarray:
    """B0 of group ``g``: the mean outer product of the casewise scores of the normal
    log-likelihood, ``s_i = d/dtheta [-(log|Sigma| + z' Sigma^-1 z)/2]`` with ``z = x_i - mu``
    (``mu`` the sample mean without a mean structure), summed in chunks of rows."""
    imp = spec.implied(x, g)
    inv = np.linalg.inv(imp["sigma"])
    ds, dm = spec.jacobian(x, g, imp)
    p = spec.p
    iu = np.triu_indices(p)
    wvec = np.where(iu[0] == iu[1], 1.0, 2.0)
    dsv = ds[:, iu[0], iu[1]] * wvec  # u' D u = sum over the upper triangle, off-diagonal twice
    trace = np.einsum("ab,kba->k", inv, ds)
    mu = imp["mu"] if spec.meanstructure else mean
    b0 = np.zeros((spec.npar, spec.npar))
    for lo in range(0, len(xg), chunk):
        u = (xg[lo:lo + chunk] - mu) @ inv
        s = 0.5 * ((u[:, iu[0]] * u[:, iu[1]]) @ dsv.T - trace)
        if spec.meanstructure:
            s += u @ dm.T
        b0 += s.T @ s
    return b0 / len(xg)


def _observed_info(spec: Spec, x: np.ndarray, S: list, M: list, w: np.ndarray) -> np.ndarray:
    """lavaan's observed information (``observed.information = "hessian"``): the Hessian of
    half the ML discrepancy, by central differences of the analytic gradient."""
    k = spec.npar
    h = np.empty((k, k))
    for i in range(k):
        step = 1e-6 * max(1.0, abs(x[i]))
        xp, xm = x.copy(), x.copy()
        xp[i] += step
        xm[i] -= step
        h[:, i] = (ml_objective(xp, spec, S, M, w)[1] - ml_objective(xm, spec, S, M, w)[1]) / (2 * step)
    return 0.25 * (h + h.T)


def _h1_trace(xg: np.ndarray, mean_part: bool) -> float:
    """tr(B1 A1^-1) of the unrestricted normal model at the sample moments (Yuan-Bentler's h1
    part): with ``d_i = z_i' S^-1 z_i`` it is ``mean(d^2)/2 - p/2`` for the covariances, plus
    ``p`` for the means."""
    z = xg - xg.mean(axis=0)
    s = z.T @ z / len(xg)
    d = np.einsum("ij,ij->i", z @ np.linalg.inv(s), z)
    p = xg.shape[1]
    return float(0.5 * np.mean(d**2) - 0.5 * p + (p if mean_part else 0))


def _rmsea_ci(chisq: float, df: float, n: float, G: int, confidence: float = 0.90,
              c_hat: float = 1.0) -> tuple[float, float]:
    """lavaan's RMSEA interval (90% by default): the noncentrality lambda with
    P(chi2(df, lambda) <= X2) equal to 0.95 and 0.05, turned into sqrt(c lambda / (N df)) (times
    sqrt(G) with groups)."""
    from scipy.optimize import brentq

    def ncp_for(target):
        fn = lambda lam: stats.ncx2.cdf(chisq, df, lam) - target if lam > 0 else stats.chi2.cdf(chisq, df) - target
        if fn(0.0) < 0:
            return 0.0
        hi = max(chisq, 1.0)
        while fn(hi) > 0:
            hi *= 2
        return brentq(fn, 0.0, hi, xtol=1e-12)

    if df < 1:
        return 0.0, 0.0
    a = (1 - confidence) / 2
    lam_lo, lam_hi = ncp_for(1 - a), ncp_for(a)
    return (float(np.sqrt(c_hat * lam_lo / (n * df)) * np.sqrt(G)),
            float(np.sqrt(c_hat * lam_hi / (n * df)) * np.sqrt(G)))


def _cfi(x2, df, x2b, dfb, c=1.0, cb=1.0):
    t1 = max(x2 - c * df, 0.0)
    t2 = max(x2 - c * df, x2b - cb * dfb, 0.0)
    return 1.0 if np.isclose(t1, 0) and np.isclose(t2, 0) else 1 - t1 / t2


def _tli(x2, df, x2b, dfb, c=1.0, cb=1.0):
    if df <= 0:
        return np.nan
    t1 = (x2 - c * df) * dfb
    t2 = (x2b - cb * dfb) * df
    return 1 - t1 / t2 if abs(t2) > 0 else 1.0


def _fit_continuous(spec: Spec, groups: list[np.ndarray], estimator: str) -> dict:
    """ML or MLR: estimates, standard errors and lavaan's fit measures."""
    ns = np.array([len(x) for x in groups], dtype=float)
    n = ns.sum()
    w = ns / n
    S = [np.cov(x, rowvar=False, bias=True) for x in groups]  # ML covariances (divisor N), as lavaan
    M = [x.mean(axis=0) for x in groups]
    x, fmin, converged = _fit_ml(spec, S, M, w)
    p, G = spec.p, spec.G
    chisq = n * fmin
    moments = G * (p * (p + 1) // 2 + (p if spec.meanstructure else 0))
    df = moments - spec.npar
    # independence baseline: variances (and means) free in every group
    chisq_b = float(sum(ng * (np.sum(np.log(np.diag(s))) - np.linalg.slogdet(s)[1]) for ng, s in zip(ns, S)))
    df_b = G * p * (p - 1) // 2
    info = _expected_info(spec, x, w)
    out = {"chisq": chisq, "df": int(df), "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan}
    if estimator == "ML":
        try:
            cov = np.linalg.inv(info) / n
        except np.linalg.LinAlgError:
            cov = np.full((spec.npar, spec.npar), np.nan)
    else:
        e_obs = _observed_info(spec, x, S, M, w)
        e_inv = np.linalg.inv(e_obs)
        b0 = [_h0_scores(spec, x, groups[g], g, M[g]) for g in range(G)]
        b0_tot = sum(w[g] * b0[g] for g in range(G))
        cov = e_inv @ b0_tot @ e_inv / n
        # Yuan-Bentler (Mplus variant): c = [sum_g tr(B1 A1^-1) - sum_g w_g tr(B0_g E^-1)] / df
        tr_h1 = sum(_h1_trace(groups[g], spec.meanstructure) for g in range(G))
        tr_h0 = sum(w[g] * np.sum(b0[g] * e_inv.T) for g in range(G))
        c = (tr_h1 - tr_h0) / df if df > 0 else np.nan
        # the baseline's own factor: variances (and means) only, observed = expected information
        cb_num = 0.0
        for g in range(G):
            z = groups[g] - M[g]
            v = np.diag(S[g])
            zz = z**2 / v
            # tr(B0 E^-1): the variance scores (z^2/v - 1)/(2v) against the information 1/(2 v^2)
            tr0 = float(np.sum(np.mean((zz - 1) ** 2, axis=0) / 2))
            if spec.meanstructure:
                tr0 += p  # the means: score z/v, information 1/v
            cb_num += _h1_trace(groups[g], spec.meanstructure) - tr0
        cb = cb_num / df_b
        out.update({"chisq_scaled": chisq / c, "df_scaled": int(df),
                    "pvalue_scaled": float(stats.chi2.sf(chisq / c, df)) if df > 0 else np.nan,
                    "chisq_scaling_factor": c, "baseline_chisq_scaled": chisq_b / cb,
                    "baseline_chisq_scaling_factor": cb})
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    out.update({"baseline_chisq": chisq_b, "baseline_df": df_b,
                "cfi": _cfi(chisq, df, chisq_b, df_b), "tli": _tli(chisq, df, chisq_b, df_b)})
    if estimator == "MLR":
        c, cb = out["chisq_scaling_factor"], out["baseline_chisq_scaling_factor"]
        out.update({"cfi_scaled": _cfi(chisq / c, df, chisq_b / cb, df_b),
                    "tli_scaled": _tli(chisq / c, df, chisq_b / cb, df_b),
                    "cfi_robust": _cfi(chisq, df, chisq_b, df_b, c, cb),
                    "tli_robust": _tli(chisq, df, chisq_b, df_b, c, cb)})
    rmsea = np.sqrt(max(chisq / n / df - 1 / n, 0.0)) * np.sqrt(G) if df > 0 else 0.0
    lo, hi = _rmsea_ci(chisq, df, n, G)
    out.update({"rmsea": rmsea, "rmsea_ci_low": lo, "rmsea_ci_high": hi})
    if estimator == "MLR":
        c = out["chisq_scaling_factor"]
        xs = chisq / c
        lo_s, hi_s = _rmsea_ci(xs, df, n, G)
        lo_r, hi_r = _rmsea_ci(xs, df, n, G, c_hat=c)
        out.update({"rmsea_scaled": np.sqrt(max(xs / n / df - 1 / n, 0.0)) * np.sqrt(G) if df > 0 else 0.0,
                    "rmsea_ci_low_scaled": lo_s, "rmsea_ci_high_scaled": hi_s,
                    "rmsea_robust": np.sqrt(max(chisq / n / df - c / n, 0.0)) * np.sqrt(G) if df > 0 else 0.0,
                    "rmsea_ci_low_robust": lo_r, "rmsea_ci_high_robust": hi_r})
    # SRMR (lavaan's Bentler version): residual correlations standardised by the observed SDs;
    # with a mean structure the standardised mean residuals count too; groups weighted by N_g
    srmr_g, logl = [], 0.0
    imps = []
    for g in range(G):
        imp = spec.implied(x, g)
        imps.append(imp)
        sigma, mu = imp["sigma"], imp["mu"]
        sd = np.sqrt(np.diag(S[g]))
        resid = (S[g] - sigma) / np.outer(sd, sd)
        vals = list(resid[np.tril_indices(p)])
        if spec.meanstructure:
            vals += list((M[g] - mu) / sd)
        srmr_g.append(np.sqrt(np.mean(np.square(vals))))
        inv = np.linalg.inv(sigma)
        d = (M[g] - mu) if spec.meanstructure else np.zeros(p)
        logl += -ns[g] / 2 * (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1] + np.trace(S[g] @ inv) + d @ inv @ d)
    npar = spec.npar
    out.update({"srmr": float(np.sum(w * np.array(srmr_g))), "aic": -2 * logl + 2 * npar,
                "bic": -2 * logl + npar * np.log(n), "logl": logl, "npar": npar, "n_obs": int(n)})
    if df == 0:
        out.update({"cfi": 1.0, "tli": np.nan, "rmsea": 0.0, "pvalue": np.nan})
    return dict(spec=spec, x=x, se=se, fit=pd.Series(out, dtype=object), imps=imps, ns=ns, converged=converged)


# -- tables ------------------------------------------------------------------------------------------

def _tables(spec: Spec, base: dict, labels: list) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``estimates`` (with standard errors), ``std_loadings`` and ``reliability`` of a fit; with
    one group the ``group`` column is dropped and ``reliability`` is indexed by factor."""
    model = spec.model
    xhat, se = base["x"], base["se"]
    est_rows, std_rows, rel_rows = [], [], []
    for g in range(spec.G):
        imp = base["imps"][g]
        lam, theta, sigma = imp["lambda"], imp["theta"], imp["sigma"]
        var_lv = np.diag(imp["A"] @ imp["psi"] @ imp["A"].T)
        glab = labels[g]
        sd_item = np.sqrt(np.diag(sigma))
        for k, f in enumerate(spec.lv):
            its = model.factors[f]
            idx = [spec.ov.index(i) for i in its]
            l = lam[idx, k]
            std = l * np.sqrt(var_lv[k]) / sd_item[idx]
            for it, li, si in zip(its, l, std):
                std_rows.append({"factor": f, "item": it, "group": glab, "est": li, "std_all": si})
            th = theta[np.ix_(idx, idx)]
            om = (l.sum() ** 2 * var_lv[k]) / (l.sum() ** 2 * var_lv[k] + th.sum())
            cr = std.sum() ** 2 / (std.sum() ** 2 + np.sum(1 - std**2))
            rel_rows.append({"factor": f, "group": glab, "omega": om, "cr": cr, "ave": float(np.mean(std**2))})
        for e in spec.free_by_group[g]:
            v, s = float(xhat[e.free]), float(se[e.free])
            z = v / s if s > 0 else np.nan
            est_rows.append({"lhs": e.lhs, "op": e.op, "rhs": e.rhs, "group": glab, "est": v, "se": s, "z": z,
                             "pvalue": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan})
    estimates = pd.DataFrame(est_rows)
    std_loadings = pd.DataFrame(std_rows)
    reliability = pd.DataFrame(rel_rows)
    if spec.G == 1:
        estimates = estimates.drop(columns="group")
        std_loadings = std_loadings.drop(columns="group")
        reliability = reliability.drop(columns="group").set_index("factor")
    return estimates, std_loadings, reliability


def _ordinal_setup(data: pd.DataFrame, items: list[str], ordered: Sequence[str] | bool | None) -> dict[str, int]:
    """The ordered indicators and their numbers of thresholds (categories seen - 1); ``True``
    declares every indicator ordered."""
    if ordered is None or ordered is False:
        return {}
    names = list(items) if ordered is True else [str(o) for o in ([ordered] if isinstance(ordered, str) else ordered)]
    unknown = [o for o in names if o not in items]
    if unknown:
        raise ParameterError(f"cfa: ordered item(s) {', '.join(unknown)} are not indicators in the model")
    if names and len(names) < len(items):
        raise ParameterError("cfa: mixing ordered and continuous indicators is not supported; declare every "
                             "indicator ordered (ordered=True) or none")
    out = {}
    for o in names:
        if o not in data.columns:
            raise DataError(f"cfa: the data have no column {o!r} named in ordered")
        v = pd.to_numeric(data[o], errors="coerce").dropna()
        if (v % 1 != 0).any():
            raise DataError(f"cfa: ordered item {o} has answers that are not whole numbers")
        k = v.nunique()
        if k < 2:
            raise DataError(f"cfa: ordered item {o} has fewer than 2 answer categories")
        out[o] = int(k - 1)
    return out


def _fit_spec(model: CFAModel, groups: list[np.ndarray], estimator: str, *, std_lv: bool = False,
              group_equal: Sequence[str] = (), group_partial: Sequence[str] = (),
              meanstructure: bool | None = None, ordinal: dict[str, int] | None = None) -> dict:
    if ordinal:
        from ._ordinal import fit_ordinal

        return fit_ordinal(model, groups, estimator, std_lv=std_lv, group_equal=group_equal,
                           group_partial=group_partial, ordinal=ordinal)
    ms = len(groups) > 1 if meanstructure is None else meanstructure
    spec = Spec(model, len(groups), meanstructure=ms, std_lv=std_lv, group_equal=group_equal,
                group_partial=group_partial)
    return _fit_continuous(spec, groups, estimator)


def _invariance(model: CFAModel, groups: list[np.ndarray], configural: dict) -> pd.DataFrame:
    """Configural, metric (equal loadings) and scalar (equal loadings and intercepts) ML fits with
    the chi-square difference test and delta CFI against the previous model."""
    fits = {"configural": configural,
            "metric": _fit_spec(model, groups, "ML", group_equal=("loadings",)),
            "scalar": _fit_spec(model, groups, "ML", group_equal=("loadings", "intercepts"))}
    recs, prev = [], None
    for name, r in fits.items():
        f = r["fit"]
        rec = {"model": name, "chisq": f.chisq, "df": f.df, "pvalue": f.pvalue, "cfi": f.cfi, "tli": f.tli,
               "rmsea": f.rmsea, "srmr": f.srmr, "aic": f.aic, "bic": f.bic,
               "delta_chisq": np.nan, "delta_df": np.nan, "delta_pvalue": np.nan, "delta_cfi": np.nan}
        if prev is not None:
            dchi = f.chisq - prev.chisq
            ddf = f.df - prev.df
            rec.update(delta_chisq=dchi, delta_df=ddf, delta_pvalue=float(stats.chi2.sf(dchi, ddf)),
                       delta_cfi=f.cfi - prev.cfi)
        recs.append(rec)
        prev = f
    return pd.DataFrame(recs).set_index("model")


def _resolve_args(data, model, what: str):
    """Accept ``(data, model)`` and, for one release, the old ``(model, data)`` order."""
    if isinstance(data, str) and isinstance(model, pd.DataFrame):
        warnings.warn(f"{what}(model, data) is deprecated; call {what}(data, model) (data first, as every "
                      "other analysis); the old order will stop working in the next release",
                      DeprecationWarning, stacklevel=3)
        data, model = model, data
    if not isinstance(model, str):
        raise ParameterError(f"{what}: model must be a lavaan model string such as 'f =~ x1 + x2 + x3', "
                             f"got {type(model).__name__}")
    return data, model


def cfa(data: pd.DataFrame, model: str, *, ordered: Sequence[str] | bool | None = None,
        estimator: str | None = None, group: str | None = None, keys: Sequence[str] | None = None,
        std_lv: bool = False, group_equal: Sequence[str] = (), group_partial: Sequence[str] = ()) -> CFAResult:
    """Confirmatory factor analysis as ``lavaan::cfa(model, data, ...)``.

    ``model`` uses lavaan syntax (see :func:`~survey.reliability.parse_model`):
    ``"relevance =~ REL1 + REL2 + REL3"`` (one line per factor; the first indicator's loading is
    fixed to 1 unless ``std_lv=True``, which fixes factor variances to 1 instead), residual
    covariances ``"REL1 ~~ REL2"``, regressions among factors ``"F2 ~ F1"`` and the modifiers
    ``1*x``, ``NA*x`` and labels ``a*x`` (equal parameters).

    ``estimator``:

    * ``"ML"`` (default for continuous items): ``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p``
      with S the covariance matrix with divisor N, ``chisq = N F``; standard errors from the
      expected information.
    * ``"MLR"``: the ML estimates with Huber-White standard errors
      (``E^-1 B E^-1 / N``, E the observed information, B the mean outer product of the casewise
      scores) and the Yuan-Bentler test in its Mplus form (lavaan's ``yuan.bentler.mplus``):
      ``chisq_scaled = chisq / c`` with ``c = [tr(B1 A1^-1) - tr(B E^-1)] / df``;
      ``cfi_scaled``, ``tli_scaled``, ``rmsea_scaled`` from the scaled statistics and
      ``cfi_robust``, ``tli_robust``, ``rmsea_robust`` as Brosseau-Liard & Savalei (2014) and
      Brosseau-Liard, Savalei & Li (2012), as lavaan 0.6-14.
    * ``"WLSMV"`` (default when ``ordered`` is given; ``ordered=True`` declares every indicator
      ordinal) and ``"DWLS"``: thresholds ``qnorm`` of the cumulative answer shares, polychoric
      correlations by maximum likelihood given the thresholds, their asymptotic covariance
      Gamma (Muthen 1984); the model for the latent responses in lavaan's delta
      parameterisation (unit variances) is fitted by minimising
      ``(s - sigma)' W (s - sigma)`` with ``W = diag(Gamma)^-1``; ``chisq = (N - 1) F`` as
      lavaan. DWLS: standard errors from ``(Delta' W Delta)^-1``. WLSMV: robust standard errors
      ``(D'WD)^-1 D'W Gamma W D (D'WD)^-1 / (N - 1)`` and the scaled and shifted test
      ``chisq_scaled = chisq / c + shift`` (Asparouhov & Muthen 2010; ``chisq_scaling_factor``
      c, ``chisq_shift``), with ``cfi_scaled``, ``tli_scaled``, ``rmsea_scaled`` from it; the
      ``srmr`` of ordered data is lavaan's (``srmr_bentler_nomean``: residual polychoric
      correlations only). ``thresholds`` lists the sample thresholds (of the first group).
      With ``group=``, each group has its own sample statistics, groups weigh ``N_g / N`` in
      the fit and ``chisq = sum_g (N_g - 1) F_g``, as lavaan.

    Fit measures (``fit``, one spelling: lavaan's names with ``_`` for ``.``): ``chisq``,
    ``df``, ``pvalue``, ``baseline_chisq``, ``baseline_df``, ``cfi``, ``tli``, ``rmsea`` with
    its 90% interval ``rmsea_ci_low``/``rmsea_ci_high`` (lavaan's ``rmsea.ci.lower/upper``),
    ``srmr``, ``aic``, ``bic``, ``logl``, ``npar``, ``n_obs``; with a robust estimator also
    ``chisq_scaled``, ``df_scaled``, ``pvalue_scaled``, ``chisq_scaling_factor``,
    ``baseline_chisq_scaled``, ``baseline_chisq_scaling_factor`` and the ``_scaled``/``_robust``
    indices above.

    ``keys`` names reverse-keyed items: they are sign-flipped before fitting (which changes only
    the sign of their loadings and covariances), so that loadings, ``omega`` and ``cr``
    describe the scale as scored.

    ``estimates`` lists every free parameter (lhs, op, rhs, group, est, se, z, pvalue);
    ``std_loadings`` the completely standardized loadings (lavaan's ``std.all``);
    ``reliability`` per factor: ``omega`` (``(sum lambda)^2 var(F) / ((sum lambda)^2 var(F) +
    sum theta)``), ``cr`` (composite reliability from standardized loadings, Fornell & Larcker
    1981) and ``ave``.

    With ``group=`` the model gets a mean structure and is fitted in every group; parameters
    named in ``group_equal`` (lavaan's words: ``"loadings"``, ``"intercepts"``, ``"residuals"``,
    ``"residual.covariances"``, ``"lv.variances"``, ``"lv.covariances"``, ``"regressions"``,
    ``"means"``) are held equal across groups except those in ``group_partial`` (lavaan's
    spelling, e.g. ``"f1=~V2"``, ``"V3~1"``). Without ``group_equal``, ``invariance`` holds
    configural, metric and scalar fits (see :func:`~survey.reliability.invariance` for the full
    sequence with robust tests).

    A saturated model (``df = 0``) fits perfectly by construction: ``chisq = 0``, ``cfi = 1``,
    ``rmsea = 0`` and ``pvalue``, ``tli`` are NaN because there is nothing to test.

    Missing data: rows with any missing indicator (or group) are dropped (lavaan's default
    ``missing = "listwise"`` for every estimator here); the rule is in ``missing``, ``n_obs``
    counts the rows used. References: Bollen (1989) Structural Equations with Latent
    Variables; Yuan & Bentler (2000) Sociological Methodology 30, 165-200; Rosseel (2012) JSS 48.

    Warns
    -----
    UserWarning when the optimiser does not converge (also in ``warnings``);
    DeprecationWarning for the old argument order ``cfa(model, data)``.

    Examples
    --------
    >>> from survey import datasets
    >>> model = "f1 =~ V1 + V2 + V3 + V4; f2 =~ V5 + V6 + V7 + V8; f3 =~ V9 + V10 + V11 + V12"
    >>> res = cfa(datasets.load("factors"), model)
    >>> res.fit[["chisq", "df", "cfi", "rmsea", "srmr"]].astype(float).round(3).tolist()
    [95.819, 51.0, 0.962, 0.054, 0.058]
    >>> rob = cfa(datasets.load("factors"), model, estimator="MLR")
    >>> rob.fit[["chisq_scaled", "chisq_scaling_factor", "cfi_robust"]].astype(float).round(3).tolist()
    [94.595, 1.013, 0.962]
    """
    data, model = _resolve_args(data, model, "cfa")
    spec_model = parse_model(model)
    if estimator is not None:
        estimator = check_choice("estimator", str(estimator).upper(), ESTIMATORS)
    ordinal = _ordinal_setup(data, spec_model.items, ordered)
    estimator = estimator or ("WLSMV" if ordinal else "ML")
    if bool(ordinal) != (estimator in ("DWLS", "WLSMV")):
        raise ParameterError(f"cfa: estimator={estimator!r} does not fit {'ordered' if ordinal else 'continuous'} "
                             f"items; use {'DWLS or WLSMV' if ordinal else 'ML or MLR (or give ordered=)'}")
    groups, labels, keys = _groups(data, spec_model.items, group, keys)
    base = _fit_spec(spec_model, groups, estimator, std_lv=std_lv, group_equal=group_equal,
                     group_partial=group_partial, ordinal=ordinal)
    invariance = None
    if group and not group_equal and not group_partial and estimator == "ML" and not std_lv:
        invariance = _invariance(spec_model, groups, base)
    estimates, std_loadings, reliability = _tables(base["spec"], base, labels)
    notes = [] if base["converged"] else ["cfa: the optimiser did not fully converge; check the model (enough "
                                          "indicators per factor? Heywood case?)"]
    _warn(notes)
    return CFAResult(fit=base["fit"], estimates=estimates, std_loadings=std_loadings, reliability=reliability,
                     invariance=invariance, n_obs=int(base["fit"].n_obs), converged=base["converged"],
                     estimator=estimator, missing=MISSING_RULE[estimator], thresholds=base.get("thresholds"),
                     warnings=tuple(notes))


def fit_meets_cutoffs(fit: pd.Series, cfi: float = 0.95, tli: float = 0.95, rmsea: float = 0.06,
                      srmr: float = 0.08) -> dict[str, bool]:
    """Which of Hu & Bentler's (1999) cut-offs a :func:`cfa` fit meets: ``cfi`` and ``tli`` at
    least 0.95, ``rmsea`` at most 0.06, ``srmr`` at most 0.08 (rules of thumb, not tests), plus
    ``all``.

    Examples
    --------
    >>> fit_meets_cutoffs(pd.Series({"cfi": 0.97, "tli": 0.96, "rmsea": 0.07, "srmr": 0.05}))
    {'cfi': True, 'tli': True, 'rmsea': False, 'srmr': True, 'all': False}
    """
    if fit.get("df", 1) == 0:
        raise DataError("fit_meets_cutoffs: the model is saturated (df = 0), so its fit cannot be judged")
    out = {"cfi": bool(fit["cfi"] >= cfi), "tli": bool(fit["tli"] >= tli),
           "rmsea": bool(fit["rmsea"] <= rmsea), "srmr": bool(fit["srmr"] <= srmr)}
    out["all"] = all(out.values())
    return out
