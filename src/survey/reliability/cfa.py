"""Confirmatory factor analysis by maximum likelihood, as ``lavaan::cfa``, with measurement
invariance across groups and Hu & Bentler's fit cut-offs."""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..results import Result
from ._matrix import _as_matrix, _check_variance, _warn
from .lavaan import CFAModel, parse_model
from .omega import _ml_one_factor

__all__ = ["CFAResult", "cfa", "fit_meets_cutoffs"]


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


class _Spec:
    """Index arrays mapping a free-parameter vector to each group's model matrices.

    Entry -1 is a fixed zero, -2 a fixed one (marker loadings), otherwise a parameter index;
    equal indices across groups are equality constraints."""

    def __init__(self, model: CFAModel, n_groups: int, equal: Sequence[str], meanstructure: bool):
        self.items = model.items
        self.factors = list(model.factors)
        p, m = len(self.items), len(self.factors)
        self.p, self.m, self.g = p, m, n_groups
        self.meanstructure = meanstructure
        self.names: list[str] = []
        pos = {v: i for i, v in enumerate(self.items)}
        fpos = {f: k for k, f in enumerate(self.factors)}
        self.lam, self.phi, self.theta, self.nu, self.alpha = [], [], [], [], []
        shared: dict[str, int] = {}

        def new(label: str, share_key: str | None) -> int:
            if share_key is not None and share_key in shared:
                return shared[share_key]
            self.names.append(label)
            idx = len(self.names) - 1
            if share_key is not None:
                shared[share_key] = idx
            return idx

        icov = [(a, b) for a, b in model.residual_covs if a in pos]
        for g in range(n_groups):
            sfx = f"[{g + 1}]" if n_groups > 1 else ""
            lam = np.full((p, m), -1, dtype=int)
            for f, its in model.factors.items():
                k = fpos[f]
                for j, it in enumerate(its):
                    lam[pos[it], k] = -2 if j == 0 else new(f"{f}=~{it}{sfx}", f"lam:{f}:{it}" if "loadings" in equal else None)
            phi = np.full((m, m), -1, dtype=int)
            for k in range(m):
                phi[k, k] = new(f"{self.factors[k]}~~{self.factors[k]}{sfx}", None)
            # factors covary freely (lavaan's cfa default); listed factor covariances change nothing
            for k in range(m):
                for l in range(k):
                    phi[k, l] = phi[l, k] = new(f"{self.factors[l]}~~{self.factors[k]}{sfx}", None)
            theta = np.full((p, p), -1, dtype=int)
            for i, it in enumerate(self.items):
                theta[i, i] = new(f"{it}~~{it}{sfx}", f"th:{it}" if "residuals" in equal else None)
            for a, b in icov:
                i, j = pos[a], pos[b]
                theta[i, j] = theta[j, i] = new(f"{a}~~{b}{sfx}", None)
            nu = np.full(p, -1, dtype=int)
            alpha = np.full(m, -1, dtype=int)
            if meanstructure:
                for i, it in enumerate(self.items):
                    nu[i] = new(f"{it}~1{sfx}", f"nu:{it}" if "intercepts" in equal else None)
                if "intercepts" in equal and g > 0:
                    for k in range(m):
                        alpha[k] = new(f"{self.factors[k]}~1{sfx}", None)
            self.lam.append(lam)
            self.phi.append(phi)
            self.theta.append(theta)
            self.nu.append(nu)
            self.alpha.append(alpha)
        self.npar = len(self.names)

    @staticmethod
    def _fill(idx: np.ndarray, x: np.ndarray) -> np.ndarray:
        out = np.where(idx >= 0, x[np.clip(idx, 0, None)], 0.0)
        return np.where(idx == -2, 1.0, out)

    def matrices(self, x: np.ndarray, g: int):
        lam = self._fill(self.lam[g], x)
        phi = self._fill(self.phi[g], x)
        theta = self._fill(self.theta[g], x)
        nu = self._fill(self.nu[g], x)
        alpha = self._fill(self.alpha[g], x)
        return lam, phi, theta, nu, alpha


def _implied(lam, phi, theta, nu, alpha):
    return lam @ phi @ lam.T + theta, nu + lam @ alpha


def _ml_objective(x: np.ndarray, spec: _Spec, S: list, M: list, w: np.ndarray) -> tuple[float, np.ndarray]:
    """sum_g w_g [log|Sigma| + tr(S Sigma^-1) - log|S| - p + (m - mu)' Sigma^-1 (m - mu)] and its
    gradient (w_g = N_g / N)."""
    f = 0.0
    grad = np.zeros_like(x)
    for g in range(spec.g):
        lam, phi, theta, nu, alpha = spec.matrices(x, g)
        sigma, mu = _implied(lam, phi, theta, nu, alpha)
        try:
            # Sigma must be positive definite: a positive determinant is not enough (two negative
            # eigenvalues give one) and lets the discrepancy run off to minus infinity
            chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return np.inf, np.zeros_like(x)
        logdet = 2 * np.sum(np.log(np.diag(chol)))
        inv = np.linalg.inv(sigma)
        d = (M[g] - mu) if spec.meanstructure else np.zeros(spec.p)
        s = S[g]
        _, logdet_s = np.linalg.slogdet(s)
        fg = logdet + np.trace(s @ inv) - logdet_s - spec.p + d @ inv @ d
        f += w[g] * fg
        wmat = inv @ (sigma - s - np.outer(d, d)) @ inv
        gmu = -2 * inv @ d
        g_lam = 2 * wmat @ lam @ phi + np.outer(gmu, alpha)
        g_phi = lam.T @ wmat @ lam
        g_phi = 2 * g_phi - np.diag(np.diag(g_phi))  # symmetric parameters count twice off the diagonal
        g_theta = 2 * wmat - np.diag(np.diag(wmat))
        g_alpha = lam.T @ gmu
        for idx, gm in ((spec.lam[g], g_lam), (spec.nu[g], gmu), (spec.alpha[g], g_alpha)):
            sel = idx >= 0
            np.add.at(grad, idx[sel], w[g] * gm[sel])
        for idx, gm in ((spec.phi[g], g_phi), (spec.theta[g], g_theta)):
            tri = np.tril(np.ones_like(idx, dtype=bool))
            sel = (idx >= 0) & tri
            np.add.at(grad, idx[sel], w[g] * gm[sel])
    return float(f), grad


def _start_values(spec: _Spec, model: CFAModel, S: list, M: list) -> np.ndarray:
    """Per factor, a one-factor ML fit of its indicators scaled to the marker; residual
    covariances and factor covariances start at zero; intercepts at the means."""
    x = np.zeros(spec.npar)
    pos = {v: i for i, v in enumerate(spec.items)}
    for g in range(spec.g):
        s = S[g]
        for k, (f, its) in enumerate(model.factors.items()):
            idx = [pos[i] for i in its]
            sub = s[np.ix_(idx, idx)]
            if len(idx) >= 3:
                lam1, psi1 = _ml_one_factor(sub)
            else:
                c = max(sub[0, 1], 0.05 * np.sqrt(sub[0, 0] * sub[1, 1]))
                lam1 = np.sqrt(np.array([c, c]))
                psi1 = np.diag(sub) - c
            scale = lam1[0] if abs(lam1[0]) > 1e-6 else 1.0
            for j, i in enumerate(idx):
                if spec.lam[g][i, k] >= 0:
                    x[spec.lam[g][i, k]] = lam1[j] / scale
                if spec.theta[g][i, i] >= 0:
                    x[spec.theta[g][i, i]] = max(psi1[j], 0.05 * s[i, i])
            x[spec.phi[g][k, k]] = scale**2
        if spec.meanstructure:
            for i in range(spec.p):
                x[spec.nu[g][i]] = M[g][i]
    return x


def _fit_model(model: CFAModel, groups: list[np.ndarray], equal: Sequence[str], meanstructure: bool) -> dict:
    from scipy.optimize import minimize

    spec = _Spec(model, len(groups), equal, meanstructure)
    ns = np.array([len(x) for x in groups], dtype=float)
    n = ns.sum()
    S = [np.cov(x, rowvar=False, bias=True) for x in groups]  # ML covariances (divisor N), as lavaan
    M = [x.mean(axis=0) for x in groups]
    w = ns / n
    x0 = _start_values(spec, model, S, M)
    res = minimize(_ml_objective, x0, args=(spec, S, M, w), jac=True, method="BFGS",
                   options={"gtol": 1e-9, "maxiter": 5000})
    if not res.success:
        res2 = minimize(_ml_objective, res.x, args=(spec, S, M, w), jac=True, method="L-BFGS-B",
                        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 20000})
        if res2.fun <= res.fun:
            res = res2
    x = res.x
    fmin = res.fun
    p, G = spec.p, spec.g
    chisq = n * fmin
    moments = G * (p * (p + 1) // 2 + (p if meanstructure else 0))
    df = moments - spec.npar
    # independence baseline: variances (and means) free in every group
    chisq_b = float(sum(ng * (np.sum(np.log(np.diag(s))) - np.linalg.slogdet(s)[1]) for ng, s in zip(ns, S)))
    df_b = G * p * (p - 1) // 2
    cfi_den = max(chisq - df, chisq_b - df_b, 0.0)
    cfi = 1 - max(chisq - df, 0.0) / cfi_den if cfi_den > 0 else 1.0
    tli = ((chisq_b / df_b) - (chisq / df)) / ((chisq_b / df_b) - 1) if df > 0 else np.nan
    if df > 0:
        rmsea = np.sqrt(max(chisq / n / df - 1 / n, 0.0)) * np.sqrt(G)
        lo, hi = _rmsea_ci(chisq, df, n, G)
        pvalue = float(stats.chi2.sf(chisq, df))
    else:
        rmsea, lo, hi, pvalue = 0.0, 0.0, 0.0, np.nan
    # SRMR (lavaan's Bentler version): residual correlations standardised by the observed SDs;
    # with a mean structure the standardised mean residuals count too; groups weighted by N_g
    srmr_g, logl = [], 0.0
    sigmas = []
    for g in range(G):
        lam, phi, theta, nu, alpha = spec.matrices(x, g)
        sigma, mu = _implied(lam, phi, theta, nu, alpha)
        sigmas.append((lam, phi, theta, sigma))
        sd = np.sqrt(np.diag(S[g]))
        resid = (S[g] - sigma) / np.outer(sd, sd)
        vals = list(resid[np.tril_indices(p)])
        if meanstructure:
            vals += list((M[g] - mu) / sd)
        srmr_g.append(np.sqrt(np.mean(np.square(vals))))
        inv = np.linalg.inv(sigma)
        d = (M[g] - mu) if meanstructure else np.zeros(p)
        logl += -ns[g] / 2 * (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1] + np.trace(S[g] @ inv) + d @ inv @ d)
    srmr = float(np.sum(w * np.array(srmr_g)))
    npar = spec.npar
    fit = pd.Series({
        "chisq": chisq, "df": int(df), "pvalue": pvalue, "cfi": cfi, "tli": tli, "rmsea": rmsea,
        "rmsea_ci_low": lo, "rmsea_ci_high": hi, "srmr": srmr,
        "aic": -2 * logl + 2 * npar, "bic": -2 * logl + npar * np.log(n), "logl": logl, "npar": npar,
        "baseline_chisq": chisq_b, "baseline_df": df_b, "n_obs": int(n),
    }, dtype=object)
    return dict(spec=spec, x=x, fit=fit, sigmas=sigmas, ns=ns,
                converged=bool(res.success or np.max(np.abs(res.jac)) < 1e-6))


def _standard_errors(x: np.ndarray, spec: _Spec, ns: np.ndarray) -> np.ndarray:
    """Standard errors from the expected information matrix, as lavaan's default
    (``se = "standard"``, ``information = "expected"``):
    ``I_ij = sum_g N_g [tr(Sigma^-1 dSigma_i Sigma^-1 dSigma_j) / 2 + dmu_i' Sigma^-1 dmu_j]`` and
    ``cov = I^-1``. Derivatives by central differences, which are exact here because every
    parameter enters Sigma and mu at most quadratically."""
    k = len(x)
    info = np.zeros((k, k))
    h = 1e-4
    for g in range(spec.g):
        sigma, mu = _implied(*spec.matrices(x, g))
        inv = np.linalg.inv(sigma)
        ds, dm = [], []
        for i in range(k):
            xp, xm = x.copy(), x.copy()
            xp[i] += h
            xm[i] -= h
            sp, mp = _implied(*spec.matrices(xp, g))
            sm, mm = _implied(*spec.matrices(xm, g))
            ds.append(inv @ ((sp - sm) / (2 * h)))
            dm.append((mp - mm) / (2 * h))
        for i in range(k):
            for j in range(i + 1):
                v = 0.5 * np.sum(ds[i] * ds[j].T)
                if spec.meanstructure:
                    v += dm[i] @ inv @ dm[j]
                info[i, j] += ns[g] * v
                if i != j:
                    info[j, i] += ns[g] * v
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full(k, np.nan)
    return np.sqrt(np.clip(np.diag(cov), 0, None))


def _rmsea_ci(chisq: float, df: int, n: float, G: int, confidence: float = 0.90) -> tuple[float, float]:
    """lavaan's RMSEA interval (90% by default): the noncentrality lambda with
    P(chi2(df, lambda) <= X2) equal to 0.95 and 0.05, turned into sqrt(lambda / (N df)) (times
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

    a = (1 - confidence) / 2
    lam_lo, lam_hi = ncp_for(1 - a), ncp_for(a)
    return float(np.sqrt(lam_lo / (n * df)) * np.sqrt(G)), float(np.sqrt(lam_hi / (n * df)) * np.sqrt(G))


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


def _invariance(model: CFAModel, groups: list[np.ndarray], configural: dict) -> pd.DataFrame:
    """Configural, metric (equal loadings) and scalar (equal loadings and intercepts) fits with
    the chi-square difference test and delta CFI against the previous model."""
    fits = {"configural": configural,
            "metric": _fit_model(model, groups, ("loadings",), True),
            "scalar": _fit_model(model, groups, ("loadings", "intercepts"), True)}
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


def _tables(model: CFAModel, base: dict, labels: list) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``estimates`` (with standard errors), ``std_loadings`` and ``reliability`` of a fit; with
    one group the ``group`` column is dropped and ``reliability`` is indexed by factor."""
    spec, xhat = base["spec"], base["x"]
    est_rows, std_rows, rel_rows = [], [], []
    for g in range(spec.g):
        lam, phi, theta, sigma = base["sigmas"][g]
        glab = labels[g]
        sd_item = np.sqrt(np.diag(sigma))
        for k, f in enumerate(spec.factors):
            its = model.factors[f]
            idx = [spec.items.index(i) for i in its]
            l = lam[idx, k]
            std = l * np.sqrt(phi[k, k]) / sd_item[idx]
            for it, li, si in zip(its, l, std):
                std_rows.append({"factor": f, "item": it, "group": glab, "est": li, "std_all": si})
            th = theta[np.ix_(idx, idx)]
            om = (l.sum() ** 2 * phi[k, k]) / (l.sum() ** 2 * phi[k, k] + th.sum())
            cr = std.sum() ** 2 / (std.sum() ** 2 + np.sum(1 - std**2))
            rel_rows.append({"factor": f, "group": glab, "omega": om, "cr": cr, "ave": float(np.mean(std**2))})
    se = _standard_errors(xhat, spec, base["ns"])
    for i, (name, v) in enumerate(zip(spec.names, xhat)):
        body, _, gtag = name.partition("[")
        g = int(gtag.rstrip("]")) - 1 if gtag else 0
        for op in ("=~", "~~", "~1"):
            if op in body:
                lhs, rhs = body.split(op)
                break
        z = float(v / se[i]) if se[i] > 0 else np.nan
        est_rows.append({"lhs": lhs, "op": op, "rhs": rhs, "group": labels[g], "est": float(v), "se": float(se[i]),
                         "z": z, "pvalue": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan})
    estimates = pd.DataFrame(est_rows)
    std_loadings = pd.DataFrame(std_rows)
    reliability = pd.DataFrame(rel_rows)
    if spec.g == 1:
        estimates = estimates.drop(columns="group")
        std_loadings = std_loadings.drop(columns="group")
        reliability = reliability.drop(columns="group").set_index("factor")
    return estimates, std_loadings, reliability


def cfa(model: str, data: pd.DataFrame, group: str | None = None, keys: Sequence[str] | None = None) -> CFAResult:
    """Confirmatory factor analysis by maximum likelihood, as ``lavaan::cfa(model, data)``.

    ``model`` uses lavaan syntax (see :func:`~survey.reliability.parse_model`):
    ``"relevance =~ REL1 + REL2 + REL3"`` (one line per factor; the first indicator's loading is
    fixed to 1, factor variances and covariances are free) and optional residual covariances
    ``"REL1 ~~ REL2"``.

    The discrepancy is lavaan's ``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p`` with S the
    covariance matrix with divisor N, ``chisq = N F``; ``cfi``, ``tli`` against the independence
    model; ``rmsea = sqrt(max(chisq/N/df - 1/N, 0))`` with lavaan's 90% interval;
    ``srmr`` as lavaan's (Bentler's) standardised root mean square residual; ``aic``, ``bic`` from
    the log-likelihood. ``keys`` names reverse-keyed items: they are sign-flipped before fitting
    (which changes only the sign of their loadings and covariances), so that loadings, ``omega``
    and ``cr`` describe the scale as scored; without keys their loadings come out negative and
    the reliabilities of their factors are understated.

    ``estimates`` lists every free parameter (lhs, op, rhs, group, est, se, z, pvalue; standard
    errors from the expected information matrix, as lavaan's default); ``std_loadings`` the
    completely standardized loadings (lavaan's ``std.all``); ``reliability`` per factor:
    ``omega`` (McDonald, ``(sum lambda)^2 phi / ((sum lambda)^2 phi + sum theta)``), ``cr``
    (composite reliability from standardized loadings, Fornell & Larcker 1981) and ``ave``.

    With ``group=`` the function fits configural, metric (equal loadings) and scalar (equal
    loadings and intercepts; latent means free after the first group) models with a mean
    structure, as lavaan's ``group.equal``; ``invariance`` holds their fit, the chi-square
    difference test against the previous model and delta CFI (Cheung & Rensvold 2002: a drop
    larger than 0.01 suggests non-invariance). ``fit`` is then the configural model's.

    A saturated model (``df = 0``, e.g. one factor with three indicators) fits perfectly by
    construction: ``chisq = 0``, ``cfi = 1``, ``rmsea = 0`` and ``pvalue``, ``tli`` are NaN
    because there is nothing to test.

    Missing data: rows with any missing indicator (or group) are dropped (lavaan's default
    listwise deletion); ``n_obs`` counts the rows used.

    Warns
    -----
    UserWarning when the optimiser does not converge (also in ``warnings``).

    Examples
    --------
    >>> from survey import datasets
    >>> model = "f1 =~ V1 + V2 + V3 + V4; f2 =~ V5 + V6 + V7 + V8; f3 =~ V9 + V10 + V11 + V12"
    >>> res = cfa(model, datasets.load("factors"))
    >>> res.fit[["chisq", "df", "cfi", "rmsea", "srmr"]].astype(float).round(3).tolist()
    [95.819, 51.0, 0.962, 0.054, 0.058]
    """
    spec_model = parse_model(model)
    groups, labels, keys = _groups(data, spec_model.items, group, keys)
    base = _fit_model(spec_model, groups, (), group is not None)
    invariance = _invariance(spec_model, groups, base) if group else None
    estimates, std_loadings, reliability = _tables(spec_model, base, labels)
    notes = [] if base["converged"] else ["cfa: the optimiser did not fully converge; check the model (enough "
                                          "indicators per factor? Heywood case?)"]
    _warn(notes)
    return CFAResult(fit=base["fit"], estimates=estimates, std_loadings=std_loadings, reliability=reliability,
                     invariance=invariance, n_obs=int(base["fit"].n_obs), converged=base["converged"],
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

