"""Models for nested and ordinal outcomes: linear mixed models that are checked for convergence,
and proportional-odds (or -probit) models for one Likert item."""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import check_choice, require_columns
from ..errors import DataError, ParameterError
from ..results import Result
from ._common import complete, confidence_level, formula_columns, two_sided
from ._formula import (instrument_items, model_frame, observation_weights, refuse_random, split_random)

__all__ = ["MixedResult", "mixed", "OrdinalResult", "ordinal"]

_OPTIMIZER_KW = {
    # tight tolerances: the defaults stop where the variance components are still 1e-4 off lme4
    "bfgs": {"gtol": 1e-10, "maxiter": 2000},
    "lbfgs": {"pgtol": 1e-10, "factr": 10.0, "maxiter": 5000},
    "cg": {"gtol": 1e-10, "maxiter": 5000},
    "powell": {"xtol": 1e-10, "ftol": 1e-12, "maxiter": 20000},
    "nm": {"xtol": 1e-10, "ftol": 1e-12, "maxiter": 20000},
}

DISTRIBUTIONS = ("logit", "probit")


@dataclasses.dataclass(frozen=True)
class MixedResult(Result):
    """A fitted linear mixed model. See :func:`mixed`."""

    main = "table"

    params: pd.Series
    bse: pd.Series
    cov_re: pd.DataFrame
    scale: float
    llf: float
    converged: bool
    icc: float
    method: str
    n: int
    n_groups: int
    n_dropped: int
    confidence: float
    table: pd.DataFrame
    model: Any = dataclasses.field(repr=False, compare=False, default=None)


def _fit_until_converged(model: Any, methods: Sequence[str], reml: bool, gtol: float) -> tuple[Any, list[str]]:
    """The first fit that converged with a small gradient (``None`` if none did) and a log of attempts."""
    attempts = []
    start = None
    for m in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if m == "default":
                    res = model.fit(reml=reml)
                else:
                    res = model.fit(reml=reml, method=[m], start_params=start, **_OPTIMIZER_KW.get(m, {}))
            except (np.linalg.LinAlgError, ValueError) as exc:
                attempts.append(f"{m}: failed ({exc})")
                continue
            try:
                grad = float(np.max(np.abs(model.score(res.params_object, profile_fe=True)))) / model.nobs
            except Exception:  # noqa: BLE001 - gradient unavailable: treat as not verified
                grad = float("inf")
        finite = bool(np.all(np.isfinite(res.fe_params))) and np.isfinite(res.scale)
        attempts.append(f"{m}: converged={res.converged}, max|gradient|/n={grad:.1e}")
        # scipy's BFGS reports "precision loss" (not converged) at an optimum it cannot improve
        # in floating point; a gradient 100 times below the tolerance is accepted then
        if finite and (grad < gtol if res.converged else grad < gtol / 100):
            return res, attempts
        # an attempt that converged but stopped early is a good start for a tighter optimizer
        start = res.params_object if (res.converged and finite and np.isfinite(grad)) else None
    return None, attempts


def _gls_bse(model: Any, res: Any) -> pd.Series:
    """sqrt(diag((sum_g X_g' V_g^-1 X_g)^-1)), V_g = Z_g cov_re Z_g' + scale I (lme4's vcov())."""
    fe = res.fe_params
    cr = res.cov_re.to_numpy()
    info = np.zeros((len(fe), len(fe)))
    sc = float(res.scale)
    q = cr.shape[0]
    for Xg, Zg in zip(model.exog_li, model.exog_re_li):
        # Woodbury, valid for a singular cov_re: V_g^-1 = (I - Z Psi (s I + Z'Z Psi)^-1 Z') / s,
        # so only q x q systems are solved (q = number of random effects)
        XZ = Xg.T @ Zg
        inner = np.linalg.solve(sc * np.eye(q) + (Zg.T @ Zg) @ cr, XZ.T)
        info += (Xg.T @ Xg - XZ @ cr @ inner) / sc
    return pd.Series(np.sqrt(np.diag(np.linalg.inv(info))), index=fe.index)


def _mixed_columns(data: pd.DataFrame, formula: str, re_formula: str | None, groups: str, where: str) -> list[str]:
    try:
        used = formula_columns(formula, data) + (formula_columns("_y ~ " + re_formula.lstrip("~ "), data)
                                                 if re_formula else [])
    except Exception as exc:  # patsy raises several types for a bad formula
        raise DataError(f"{where}: cannot read the formula {formula!r}: {exc}") from None
    return list(dict.fromkeys(used + [groups]))


def mixed(data: pd.DataFrame, formula: str, groups: str, re_formula: str | None = None,
          reml: bool = True, *, confidence: float = 0.95,
          methods: Sequence[str] = ("default", "bfgs", "lbfgs", "powell", "cg", "nm"),
          gtol: float = 1e-6, alpha: float | None = None) -> MixedResult:
    """Linear mixed model (statsmodels MixedLM) that never returns an unconverged fit.

    y = X b + Z u + e, u ~ N(0, cov_re) per group, e ~ N(0, scale) (REML by default, as lme4::lmer).
    The fit is tried with each optimizer in ``methods`` ("default" = statsmodels' own choice and
    tolerances; the others with tight tolerances, starting from the previous attempt when that one
    converged but stopped early) until one reports convergence and the gradient of the profile
    log-likelihood per observation, max |score| / n, is below ``gtol`` (scale-free, like the
    criterion statsmodels' optimizers use; a hundred times smaller when the optimizer reports
    precision loss instead of convergence); otherwise a DataError lists what each optimizer did.
    Standard errors of the fixed effects are the GLS ones, sqrt(diag((sum_g X_g' V_g^-1 X_g)^-1))
    with V_g = Z_g cov_re Z_g' + scale I, as lme4's ``vcov()`` (statsmodels' Hessian-based
    ``bse_fe`` differs by up to a few percent under REML); Wald z intervals. ``icc`` =
    var(intercept) / (var(intercept) + scale) from the random-intercept variance (with random
    slopes: the ICC at covariate value 0). Reference: Bates et al. (2015), J. Stat. Softw. 67(1).

    Missing data: rows missing any variable in the formulas or ``groups`` are dropped (``n_dropped``).

    Examples
    --------
    >>> from survey import datasets, impact
    >>> panel = datasets.load("impact_panel")
    >>> m = impact.mixed(panel, "y ~ x + D", "unit")
    >>> m.table[["coef", "se"]].round(2)
               coef    se
    Intercept  3.19  0.12
    x          0.46  0.04
    D          0.40  0.10
    >>> round(m.icc, 2), m.n_groups
    (0.28, 12)
    """
    import statsmodels.formula.api as smf

    where = "mixed"
    confidence = confidence_level(where, confidence, alpha)
    require_columns(data, [groups], where)
    used = _mixed_columns(data, formula, re_formula, groups, where)
    sub, dropped = complete(data, used)
    sub = model_frame(sub, used)
    if sub[groups].nunique() < 2:
        raise DataError(f"{where}: {groups!r} has fewer than 2 groups after dropping missing rows.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm(formula, sub, groups=sub[groups], re_formula=re_formula)
    res, attempts = _fit_until_converged(model, methods, reml, gtol)
    if res is None:
        raise DataError(f"{where}: no optimizer converged for {formula!r} with groups {groups!r}: "
                        + "; ".join(attempts) + ". Fix: rescale predictors, simplify re_formula, or "
                        "check that groups have more than one row.")
    fe = res.fe_params
    bse = _gls_bse(model, res)
    z = stats.norm.ppf(two_sided(confidence))
    table = pd.DataFrame({"coef": fe, "se": bse, "z": fe / bse, "pvalue": 2 * stats.norm.sf(np.abs(fe / bse)),
                          "ci_low": fe - z * bse, "ci_high": fe + z * bse})
    v0 = float(res.cov_re.to_numpy()[0, 0])
    return MixedResult(params=fe, bse=bse, cov_re=res.cov_re, scale=float(res.scale), llf=float(res.llf),
                       converged=True, icc=v0 / (v0 + float(res.scale)), method=attempts[-1].split(":")[0],
                       n=int(res.nobs), n_groups=len(model.group_labels), n_dropped=dropped,
                       confidence=confidence, table=table, model=res)


@dataclasses.dataclass(frozen=True)
class OrdinalResult(Result):
    """Proportional-odds (or -probit) model. See :func:`ordinal`."""

    main = "table"

    params: pd.Series
    bse: pd.Series
    cutpoints: pd.Series
    odds_ratios: pd.DataFrame
    llf: float
    n: int
    n_dropped: int
    distr: str
    confidence: float
    table: pd.DataFrame
    model: Any = dataclasses.field(repr=False, compare=False, default=None)


def _ordered_outcome(s: pd.Series, yname: str, where: str) -> tuple[pd.Series, list, tuple[str, ...]]:
    """The outcome as an ordered Categorical of its observed levels, the levels and any warning.

    The order is the Categorical's own (an ordered Categorical), or the numeric order of numbers;
    text with no known order is a DataError that says how to give one.
    """
    notes: tuple[str, ...] = ()
    if isinstance(s.dtype, pd.CategoricalDtype):
        if not s.cat.ordered:
            raise DataError(
                f"{where}: outcome {yname!r} is an unordered Categorical, so the order of its levels "
                f"{list(s.cat.categories)} is not known to be the answer order. Fix: "
                f"data[{yname!r}] = data[{yname!r}].cat.as_ordered() after setting the categories low to "
                f"high (.cat.reorder_categories([...])), or pass instrument= to order them by the item's scale.")
        unused = [c for c in s.cat.categories if not (s == c).any()]
        if unused:
            notes = (f"Outcome levels nobody chose were left out: {unused}; the model has one threshold fewer "
                     f"for each.",)
        s = s.cat.remove_unused_categories()
        return s, list(s.cat.categories), notes
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype(float)
    if pd.api.types.is_numeric_dtype(s.dtype):
        v = s.astype(float)
        levels = sorted(pd.unique(v))
        levels = [int(x) if float(x).is_integer() else x for x in levels]
        return pd.Series(pd.Categorical(v.map(lambda x: int(x) if float(x).is_integer() else x),
                                        categories=levels, ordered=True), index=s.index), levels, notes
    shown = sorted(map(str, pd.unique(s)))[:6]
    raise DataError(
        f"{where}: outcome {yname!r} is text with no known order (values {shown}); alphabetical order would "
        f"be wrong. Fix: pass instrument= (labels are ordered by the item's scale, see impact.ordered_item), "
        f"or make it an ordered Categorical: data[{yname!r}] = pd.Categorical(data[{yname!r}], "
        f"categories=[lowest, ..., highest], ordered=True).")


def _ordered_design(formula: str, data: pd.DataFrame, where: str, weights: str | None, instrument: Any
                    ) -> tuple[pd.Series, pd.DataFrame, list, int, np.ndarray | None, tuple[str, ...]]:
    """Ordered outcome, design without intercept, outcome levels, rows dropped, weights, warnings."""
    import patsy

    desc = patsy.ModelDesc.from_formula(formula)
    yname = desc.lhs_termlist[0].factors[0].name()
    require_columns(data, [yname] + ([weights] if weights else []), where)
    used = formula_columns(formula, data)
    sub, dropped = complete(data, used + ([weights] if weights else []))
    sub = model_frame(instrument_items(sub, used, instrument), used)
    w = observation_weights(sub, weights, where)
    y, levels, notes = _ordered_outcome(sub[yname], yname, where)
    if len(levels) < 3:
        raise DataError(f"{where}: {yname!r} has {len(levels)} observed levels; an ordinal model needs 3 "
                        f"or more (use a logistic model for two).")
    # build with the intercept so categorical predictors get treatment coding (k - 1 dummies),
    # then drop it: the cutpoints take its place
    X = patsy.dmatrix(formula.split("~", 1)[1], sub, return_type="dataframe")
    X = X.drop(columns=[c for c in X.columns if c == "Intercept"])
    if X.shape[1] == 0:
        raise DataError(f"{where}: the formula {formula!r} has no predictors.")
    return y, X, levels, dropped, w, notes


def _weighted_ordered_model(y: pd.Series, X: pd.DataFrame, distr: str, w: np.ndarray | None) -> Any:
    """OrderedModel, or (with weights) the same model whose log-likelihood is sum_i w_i l_i (polr's weights).

    statsmodels has no weights here; its score and Hessian are numerical derivatives of ``loglike``,
    so weighting ``loglike`` weights them too.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    if w is None:
        return OrderedModel(y, X, distr=distr)

    class _Weighted(OrderedModel):
        def loglike(self, params: np.ndarray) -> float:
            return float(np.sum(w * self.loglikeobs(params)))

        def score_obs_(self, params: np.ndarray) -> np.ndarray:  # pragma: no cover - unused by fit
            return w[:, None] * super().score_obs_(params)

    return _Weighted(y, X, distr=distr)


def _fit_ordered(mod: Any, formula: str, where: str) -> Any:
    """BFGS, and when that stops early Nelder-Mead then BFGS again; a DataError if still not converged."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mod.fit(method="bfgs", disp=False, maxiter=2000, gtol=1e-8)
    if not res.mle_retvals.get("converged", True):
        res = mod.fit(method="nm", disp=False, maxiter=20000, start_params=res.params)
        res = mod.fit(method="bfgs", disp=False, maxiter=2000, gtol=1e-8, start_params=res.params)
        if not res.mle_retvals.get("converged", True):
            raise DataError(f"{where}: the model {formula!r} did not converge (empty categories or "
                            "perfect separation?). Fix: merge sparse categories.")
    return res


def _threshold_se(res: Any, kx: int) -> np.ndarray:
    """Delta-method SEs of the cumulative thresholds from the (first, log-increment) parameterisation."""
    th = res.params.to_numpy()[kx:]
    J = np.zeros((len(th), len(th)))
    J[:, 0] = 1.0
    for i in range(1, len(th)):
        J[i:, i] = np.exp(th[i])
    cov_th = res.cov_params().to_numpy()[kx:, kx:]
    return np.sqrt(np.diag(J @ cov_th @ J.T))


def ordinal(data: pd.DataFrame, formula: str, distr: str = "logit", *, weights: str | None = None,
            instrument: Any = None, confidence: float = 0.95, alpha: float | None = None) -> OrdinalResult:
    """Cumulative-link model for one Likert item: P(Y <= k) = F(theta_k - x'b).

    statsmodels OrderedModel, parameterised as R's MASS::polr and ordinal::clm (same sign of b).
    The design has no constant (the cutpoints play its role; OrderedModel rejects one), so the
    formula's intercept is removed. ``cutpoints`` are the thresholds theta_1 < ... < theta_{K-1}
    labelled "k|k+1" as R prints them (statsmodels stores the first one and log increments).
    ``odds_ratios`` = exp(b) with Wald CIs (logit only).

    Order of the outcome: an ordered Categorical's own order (as R's ordered factor), or the numeric
    order of numbers. Text answers are ordered by the item's scale when ``instrument`` is given (see
    :func:`ordered_item`); text with no known order, or an unordered Categorical, is a ``DataError``
    (alphabetical order would silently be wrong). Levels nobody chose are left out, with a warning.
    Categorical predictors keep their order, the first category being the reference level; R uses
    polynomial contrasts for *ordered* factor predictors, here every Categorical gets treatment dummies
    (write ``C(x, Poly)`` for R's coding). ``weights`` names a column of case weights: the
    log-likelihood is sum_i w_i l_i, as ``polr(weights=)`` and ``clm(weights=)``.
    A random term ``( ... | g)`` is an error (not yet fitted here).
    Reference: McCullagh (1980), J. R. Stat. Soc. B 42:109.

    Missing data: rows missing the outcome, a predictor or the weight are dropped (``n_dropped``).

    Examples
    --------
    >>> from survey import datasets, impact
    >>> panel = datasets.load("impact_panel")
    >>> o = impact.ordinal(panel, "item ~ x + D")
    >>> o.odds_ratios.round(2)
       odds_ratio  ci_low  ci_high
    x        2.86    2.22     3.68
    D        3.29    1.83     5.92
    """
    where = "ordinal"
    confidence = confidence_level(where, confidence, alpha)
    check_choice("distr", distr, DISTRIBUTIONS)
    fixed, terms = split_random(formula)
    if terms:
        raise ParameterError(f"{where}: random terms ({', '.join(t.text for t in terms)}) are not fitted yet by "
                             f"ordinal(); fit the fixed-effects model without them, or a linear mixed model "
                             f"with impact.mixed().")
    y, X, levels, dropped, w, notes = _ordered_design(formula, data, where, weights, instrument)
    mod = _weighted_ordered_model(y, X, distr, w)
    res = _fit_ordered(mod, formula, where)
    kx = X.shape[1]
    beta = res.params.iloc[:kx]
    bse = res.bse.iloc[:kx]
    cuts = mod.transform_threshold_params(res.params.to_numpy())[1:-1]
    labels = [f"{levels[i]}|{levels[i + 1]}" for i in range(len(levels) - 1)]
    q = stats.norm.ppf(two_sided(confidence))
    table = pd.DataFrame({"coef": np.r_[beta.to_numpy(), cuts], "se": np.r_[bse.to_numpy(), _threshold_se(res, kx)]},
                         index=pd.Index(list(beta.index) + labels, name="term"))
    table["z"] = table["coef"] / table["se"]
    table["pvalue"] = 2 * stats.norm.sf(np.abs(table["z"]))
    orr = pd.DataFrame({"odds_ratio": np.exp(beta), "ci_low": np.exp(beta - q * bse),
                        "ci_high": np.exp(beta + q * bse)}) if distr == "logit" else pd.DataFrame()
    return OrdinalResult(params=beta, bse=bse, cutpoints=pd.Series(cuts, index=labels), odds_ratios=orr,
                         llf=float(res.llf), n=int(res.nobs), n_dropped=dropped, distr=distr,
                         confidence=confidence, table=table, model=res, warnings=notes)
