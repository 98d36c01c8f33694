"""The structural-equation engine behind :func:`~survey.reliability.cfa`: lavaan's parameter
table for a parsed model (defaults of ``lavaan::cfa``, ``std.lv``, ``group.equal``,
``group.partial``, labels), the implied moments of the LISREL "all-y" model

    Sigma = Lambda A Psi A' Lambda' + Theta,  mu = nu + Lambda A alpha,  A = (I - B)^-1,

their analytic derivatives with respect to the free parameters, and the maximum-likelihood
discrepancy with its gradient. Estimators and tests live in :mod:`.cfa`."""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ParameterError
from .lavaan import CFAModel

# lavaan's group.equal words and the parameter kinds they hold equal across groups
GROUP_EQUAL = ("loadings", "intercepts", "means", "thresholds", "regressions", "residuals",
               "residual.covariances", "lv.variances", "lv.covariances")


@dataclasses.dataclass
class Entry:
    """One parameter of one group: matrix ``mat`` at (i, j), lavaan's (lhs, op, rhs), its index
    in the free vector (``-1`` when fixed) and its fixed value."""

    mat: str
    i: int
    j: int
    lhs: str
    op: str
    rhs: str
    group: int
    free: int
    value: float
    kind: str


def _written_terms(model: CFAModel) -> dict[tuple, Any]:
    """The model's own terms by (lhs, op, rhs); a covariance is found under either order."""
    written = {}
    for t in model.terms:
        written[(t.lhs, t.op, t.rhs)] = t
        if t.op == "~~":
            written[(t.rhs, t.op, t.lhs)] = t
    return written


class Spec:
    """The parameter table of a model fitted to ``n_groups`` groups.

    ``ordinal`` marks indicators declared ordinal: they get thresholds (``tau``), intercepts fixed
    at 0 and, in lavaan's delta parameterisation, no free residual variance (it is
    ``1 - explained`` so that the latent response has unit variance)."""

    def __init__(self, model: CFAModel, n_groups: int, *, meanstructure: bool, std_lv: bool = False,
                 group_equal: Sequence[str] = (), group_partial: Sequence[str] = (),
                 ordinal: dict[str, int] | None = None):
        self.model = model
        self.ov = model.items
        self.lv = list(model.factors)
        self.p, self.m, self.G = len(self.ov), len(self.lv), n_groups
        self.meanstructure = meanstructure
        self.ordinal = dict(ordinal or {})  # item -> number of thresholds
        self.ord_mask = np.array([v in self.ordinal for v in self.ov])
        bad = [w for w in group_equal if w not in GROUP_EQUAL]
        if bad:
            raise ParameterError(f"cfa: group_equal {bad[0]!r} is not one of {', '.join(GROUP_EQUAL)}")
        self.group_equal = tuple(group_equal)
        self.group_partial = {_norm(p) for p in group_partial}
        self.entries: list[Entry] = []
        self.names: list[str] = []
        keys: dict[tuple, int] = {}  # what makes two entries one free parameter -> its index
        written = _written_terms(model)
        add = functools.partial(self._add_entry, keys, written)
        for g in range(n_groups):
            self._add_paths(add, g, std_lv)
            self._add_latent_and_means(add, g, std_lv, written)
        self.npar = len(self.names)
        self.by_group = [[e for e in self.entries if e.group == g] for g in range(n_groups)]
        self.free_by_group = [[e for e in eg if e.free >= 0] for eg in self.by_group]
        self.ntau = [sum(1 for e in eg if e.mat == "tau") for eg in self.by_group]
        self._check_identified()

    def _add_entry(self, keys: dict[tuple, int], written: dict[tuple, Any], mat: str, i: int, j: int, lhs: str,
                   op: str, rhs: str, g: int, kind: str, default_free: bool, default_value: float) -> None:
        """Append one entry, free or fixed by lavaan's default unless the model writes it otherwise.
        Free entries share an index when they carry one label, or when ``group_equal`` holds their
        kind equal across groups (and ``group_partial`` does not free them)."""
        t = written.get((lhs, op, rhs))
        free, value, label = default_free, default_value, None
        if t is not None:  # a written term keeps the default unless its modifier says otherwise
            if t.fixed is not None:
                free, value = False, t.fixed
            elif t.free:
                free = True
            elif t.label is not None:
                label = t.label
        idx = -1
        if free:
            if label is not None:
                key = ("label", label)
            elif kind in self._equal_kinds() and _norm(f"{lhs}{op}{rhs}") not in self.group_partial:
                key = ("equal", mat, i, j)
            else:
                key = ("own", mat, i, j, g)
            if key not in keys:
                keys[key] = len(self.names)
                self.names.append(f"{lhs}{op}{rhs}")
            idx = keys[key]
        self.entries.append(Entry(mat, i, j, lhs, op, rhs, g, idx, float(value), kind))

    def _add_paths(self, add: Callable[..., None], g: int, std_lv: bool) -> None:
        """Group ``g``'s loadings, regressions, residual variances and residual covariances."""
        model = self.model
        ovi = {v: i for i, v in enumerate(self.ov)}
        lvi = {f: k for k, f in enumerate(self.lv)}
        for f, its in model.factors.items():
            for n, it in enumerate(its):
                marker = n == 0 and not std_lv
                add("lambda", ovi[it], lvi[f], f, "=~", it, g, "marker" if marker else "loadings",
                    not marker, 1.0 if marker else 0.0)
        for a, b in model.regressions:
            add("beta", lvi[a], lvi[b], a, "~", b, g, "regressions", True, 0.0)
        for i, v in enumerate(self.ov):
            if v in self.ordinal:
                continue  # delta parameterisation: no free residual variance
            add("theta", i, i, v, "~~", v, g, "residuals", True, 0.0)
        seen = set()
        for a, b in model.residual_covs:
            if (a, b) in seen or (b, a) in seen or a in lvi:
                continue
            seen.add((a, b))
            i, j = sorted((ovi[a], ovi[b]), reverse=True)
            add("theta", i, j, a, "~~", b, g, "residual.covariances", True, 0.0)

    def _add_latent_and_means(self, add: Callable[..., None], g: int, std_lv: bool,
                              written: dict[tuple, Any]) -> None:
        """Group ``g``'s factor variances and covariances, scale factors of ordinal items, and
        (with a mean structure) intercepts, thresholds and factor means."""
        endo = {a for a, _ in self.model.regressions}
        exo_var_fixed = std_lv
        # std_lv with equal loadings: the factor variances are free after the first group
        if std_lv and "loadings" in self.group_equal and g > 0:
            exo_var_fixed = False
        for k, f in enumerate(self.lv):
            add("psi", k, k, f, "~~", f, g, "lv.variances", not exo_var_fixed, 1.0 if exo_var_fixed else 0.0)
        for k in range(self.m):
            for l in range(k):
                fk, fl = self.lv[k], self.lv[l]
                user = (fl, "~~", fk) in written
                auto = fk not in endo and fl not in endo
                if user or auto:
                    add("psi", k, l, fl, "~~", fk, g, "lv.covariances", True, 0.0)
        for i, v in enumerate(self.ov):
            if v in self.ordinal:
                # lavaan's scale factors (~*~, delta parameterisation): 1 in the first group,
                # free in the others once thresholds are held equal
                add("delta", i, 0, v, "~*~", v, g, "delta", g > 0 and "thresholds" in self.group_equal, 1.0)
        if self.meanstructure:
            for i, v in enumerate(self.ov):
                ordv = v in self.ordinal
                add("nu", i, 0, v, "~1", "", g, "intercepts", not ordv, 0.0)
                if ordv:
                    for t in range(self.ordinal[v]):
                        add("tau", i, t, v, "|", f"t{t + 1}", g, "thresholds", True, 0.0)
            free_means = g > 0 and (("intercepts" in self.group_equal and not self.ordinal)
                                    or ("thresholds" in self.group_equal and bool(self.ordinal)))
            for k, f in enumerate(self.lv):
                add("alpha", k, 0, f, "~1", "", g, "means", free_means, 0.0)

    def knows(self, name: str) -> bool:
        """Whether ``name`` (lavaan's spelling, e.g. ``"f1=~x2"``, ``"x3~1"``) is a parameter."""
        return _norm(name) in {_norm(f"{e.lhs}{e.op}{e.rhs}") for e in self.entries}

    def _equal_kinds(self) -> set[str]:
        return set(self.group_equal) if self.G > 1 else set()

    def _check_identified(self) -> None:
        for k, f in enumerate(self.lv):
            lam = [e for e in self.by_group[0] if e.mat == "lambda" and e.j == k]
            var = [e for e in self.by_group[0] if e.mat == "psi" and e.i == k and e.j == k][0]
            if all(e.free >= 0 for e in lam) and var.free >= 0:
                raise ParameterError(f"cfa: factor {f} has no scale: every loading and its variance are free; "
                                     f"fix one (e.g. '{f} =~ 1*{lam[0].rhs}' or '{f} ~~ 1*{f}') or use std_lv=True")

    def matrices(self, x: np.ndarray, g: int) -> dict[str, np.ndarray]:
        p, m = self.p, self.m
        mats = {"lambda": np.zeros((p, m)), "theta": np.zeros((p, p)), "psi": np.zeros((m, m)),
                "beta": np.zeros((m, m)), "nu": np.zeros((p, 1)), "alpha": np.zeros((m, 1)),
                "tau": np.zeros((p, max([0, *self.ordinal.values()]))), "delta": np.ones((p, 1))}
        for e in self.by_group[g]:
            v = x[e.free] if e.free >= 0 else e.value
            mats[e.mat][e.i, e.j] = v
            if e.mat in ("theta", "psi") and e.i != e.j:
                mats[e.mat][e.j, e.i] = v
        return mats

    def implied(self, x: np.ndarray, g: int) -> dict[str, np.ndarray]:
        """Sigma, mu and the pieces the derivatives reuse. For ordinal items the residual
        variance is set so that the latent response has variance 1 (delta parameterisation)."""
        mt = self.matrices(x, g)
        a = np.linalg.inv(np.eye(self.m) - mt["beta"])
        la = mt["lambda"] @ a
        mm = a @ mt["psi"] @ a.T
        lm = mt["lambda"] @ mm
        sigma = lm @ mt["lambda"].T + mt["theta"]
        if self.ordinal:
            d = np.flatnonzero(self.ord_mask)
            sigma[d, d] = 1.0
            mt["theta"][d, d] = 1.0 - (lm @ mt["lambda"].T)[d, d]
        aa = a @ mt["alpha"][:, 0]
        mu = mt["nu"][:, 0] + la @ aa
        return {"sigma": sigma, "mu": mu, "A": a, "LA": la, "LM": lm, "Aa": aa, **mt}

    def jacobian(self, x: np.ndarray, g: int, imp: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """dSigma (npar, p, p) and dmu (npar, p) of group ``g`` (zero for parameters of other
        groups); shared parameters sum their entries. With ordinal items the diagonal of Sigma
        stays 1, so its derivatives are zero there."""
        imp = imp or self.implied(x, g)
        p = self.p
        ds = np.zeros((self.npar, p, p))
        dm = np.zeros((self.npar, p))
        la, lm, aa = imp["LA"], imp["LM"], imp["Aa"]
        for e in self.free_by_group[g]:
            k, i, j = e.free, e.i, e.j
            if e.mat == "lambda":
                v = lm[:, j]
                ds[k, i, :] += v
                ds[k, :, i] += v
                dm[k, i] += aa[j]
            elif e.mat == "psi":
                d = np.outer(la[:, i], la[:, j])
                ds[k] += d if i == j else d + d.T
            elif e.mat == "theta":
                ds[k, i, j] += 1.0
                if i != j:
                    ds[k, j, i] += 1.0
            elif e.mat == "beta":
                d = np.outer(la[:, i], lm[:, j])
                ds[k] += d + d.T
                dm[k] += la[:, i] * aa[j]
            elif e.mat == "nu":
                dm[k, i] += 1.0
            elif e.mat == "alpha":
                dm[k] += la[:, i]
        if self.ordinal:
            d = np.flatnonzero(self.ord_mask)
            ds[:, d, d] = 0.0
        return ds, dm


def _norm(s: str) -> str:
    return "".join(s.split())


def ml_objective(x: np.ndarray, spec: Spec, S: list, M: list, w: np.ndarray) -> tuple[float, np.ndarray]:
    """sum_g w_g [log|Sigma| + tr(S Sigma^-1) - log|S| - p + (m - mu)' Sigma^-1 (m - mu)] and its
    gradient (``w_g = N_g / N``; ``chisq = N F``); +inf outside the positive definite region."""
    f = 0.0
    grad = np.zeros(spec.npar)
    for g in range(spec.G):
        imp = spec.implied(x, g)
        sigma = imp["sigma"]
        try:
            # Sigma must be positive definite: a positive determinant is not enough (two negative
            # eigenvalues give one) and lets the discrepancy run off to minus infinity
            chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return np.inf, grad
        logdet = 2 * np.sum(np.log(np.diag(chol)))
        inv = np.linalg.inv(sigma)
        d = (M[g] - imp["mu"]) if spec.meanstructure else np.zeros(spec.p)
        s = S[g]
        fg = logdet + np.sum(s * inv) - np.linalg.slogdet(s)[1] - spec.p + d @ inv @ d
        f += w[g] * fg
        wmat = inv - inv @ (s + np.outer(d, d)) @ inv
        ds, dm = spec.jacobian(x, g, imp)
        grad += w[g] * (ds.reshape(spec.npar, -1) @ wmat.ravel() - 2 * dm @ (inv @ d))
    return float(f), grad
