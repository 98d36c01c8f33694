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
from ._formula import RandomTerm, instrument_items, model_frame, observation_weights, refuse_random, split_random

__all__ = ["MixedResult", "mixed", "OrdinalResult", "ordinal"]

INFERENCE = ("satterthwaite", "normal")

DISTRIBUTIONS = ("logit", "probit")


@dataclasses.dataclass(frozen=True)
class MixedResult(Result):
    """A fitted linear mixed model. See :func:`mixed`.

    ``varcor`` lists the variance components as lme4's ``as.data.frame(VarCorr(m))`` (grp, var1,
    var2, vcov, sdcor); ``cov_re`` is the covariance matrix of the first random term.
    """

    main = "table"

    params: pd.Series
    bse: pd.Series
    cov_re: pd.DataFrame
    varcor: pd.DataFrame
    scale: float
    llf: float
    converged: bool
    icc: float
    method: str
    inference: str
    n: int
    n_groups: int
    n_dropped: int
    confidence: float
    table: pd.DataFrame
    model: Any = dataclasses.field(repr=False, compare=False, default=None)


def _mixed_terms(formula: str, groups: str | None, re_formula: str | None, where: str) -> tuple[str, list]:
    """The fixed formula and the random terms, from lme4 syntax or from the old groups/re_formula."""
    fixed, terms = split_random(formula)
    if re_formula is not None:
        refuse_random(re_formula, where)
        if groups is None:
            raise ParameterError(f"{where}: re_formula needs groups=; or write the term in the formula, "
                                 f"e.g. 'y ~ x + (1 + x | g)'.")
    if groups is not None and terms:
        # groups= naming the formula's one grouping factor says the same thing twice: accepted
        if re_formula is None and all(t.group == groups for t in terms):
            return fixed, terms
        raise ParameterError(f"{where}: give the random terms either in the formula ({terms[0].text}) or "
                             f"with groups=, not both.")
    if groups is not None:
        expr = (re_formula or "1").strip().lstrip("~").strip() or "1"
        terms = [RandomTerm(expr, groups, f"({expr} | {groups})")]
    if not terms:
        raise ParameterError(f"{where}: {formula!r} has no random term. Fix: add one in lme4 syntax, e.g. "
                             f"'y ~ x + (1 | unit)', or pass groups='unit'.")
    return fixed, terms


def mixed(data: pd.DataFrame, formula: str, groups: str | None = None, re_formula: str | None = None,
          reml: bool = True, *, weights: str | None = None, inference: str = "satterthwaite",
          instrument: Any = None, confidence: float = 0.95,
          methods: Sequence[str] = ("lbfgs", "nm", "powell"), gtol: float = 1e-6,
          alpha: float | None = None) -> MixedResult:
    """Linear mixed model fitted as lme4's ``lmer``, with lmerTest's Satterthwaite t-tests.

    y = X b + Z u + e, u ~ N(0, sigma^2 Lambda Lambda'), e ~ N(0, sigma^2 W^-1). Random terms are
    written as in lme4: ``(1 | g)`` random intercept, ``(x | g)`` or ``(1 + x | g)`` correlated
    intercept and slope, ``(0 + x | g)`` slope only, ``(1 | g1) + (1 | g2)`` crossed, ``(1 | a/b)``
    nested (= ``(1 | a) + (1 | a:b)``). The old form ``mixed(data, "y ~ x", groups="g",
    re_formula="~x")`` means ``y ~ x + (1 + x | g)``.

    Fitting minimises lme4's profiled deviance over the relative covariance factor theta (Bates et
    al. 2015, eqs. 34 and 41: REML by default, ML with ``reml=False``), trying the optimizers in
    ``methods`` ("lbfgs" = L-BFGS-B with central-difference gradients, "nm" = Nelder-Mead,
    "powell") until the largest projected gradient per observation is below ``gtol``; otherwise a
    DataError lists what each optimizer did: an unconverged fit is never returned. Fixed-effect
    covariance sigma^2 (X'V^-1X)^-1 as lme4's ``vcov()``; ``llf`` is lme4's ``logLik()``.

    Inference (``inference``): "satterthwaite" (default) gives t-tests and t intervals with the
    Satterthwaite df of lmerTest (the covariance of (theta, sigma) from the Hessian of the
    unprofiled deviance, Kuznetsova et al. 2017); "normal" gives Wald z. ``weights`` names a column
    of precision weights (residual variance sigma^2 / w_i), as ``lmer(weights=)``. Categorical
    predictors keep their order (the first category is the reference level); with ``instrument``,
    text answers of its items are ordered by their scales. ``icc`` = var(intercept of the first
    term) / (that + sigma^2) (with random slopes: at covariate value 0; NaN when the first term has
    no intercept). A ``|`` in ``re_formula`` is an error.
    References: Bates, Maechler, Bolker & Walker (2015), J. Stat. Softw. 67(1);
    Kuznetsova, Brockhoff & Christensen (2017), J. Stat. Softw. 82(13).

    Missing data: rows missing any variable of the formula, a grouping factor or the weight are
    dropped (``n_dropped``).

    Examples
    --------
    >>> from survey import datasets, impact
    >>> panel = datasets.load("impact_panel")
    >>> m = impact.mixed(panel, "y ~ x + D + (1 | unit)")
    >>> m.table[["coef", "se", "df"]].round(2)
               coef    se      df
    Intercept  3.19  0.12   12.07
    x          0.46  0.04  227.46
    D          0.40  0.10  235.86
    >>> round(m.icc, 2), m.n_groups
    (0.28, 12)
    """
    import patsy

    from ._lmm import block_cov, build_blocks, fit_lmm, group_columns, satterthwaite, varcor

    where = "mixed"
    confidence = confidence_level(where, confidence, alpha)
    check_choice("inference", inference, INFERENCE)
    fixed, terms = _mixed_terms(formula, groups, re_formula, where)
    gcols = group_columns(terms)
    require_columns(data, gcols + ([weights] if weights else []), where)
    try:
        used = formula_columns(fixed, data)
        for t in terms:
            used += formula_columns("_y ~ " + (t.expr or "1"), data)
    except Exception as exc:  # patsy raises several types for a bad formula
        raise DataError(f"{where}: cannot read the formula {formula!r}: {exc}") from None
    used = list(dict.fromkeys(used + gcols))
    sub, dropped = complete(data, used + ([weights] if weights else []))
    sub = model_frame(instrument_items(sub, used, instrument), used)
    w = observation_weights(sub, weights, where)
    if w is not None and not (w > 0).all():
        sub, w = sub.loc[w > 0], w[w > 0]  # lmer drops zero weights too
    yv, X = patsy.dmatrices(fixed, sub, return_type="dataframe")
    if yv.shape[1] != 1:
        raise DataError(f"{where}: the outcome of {formula!r} must be one numeric column.")
    blocks = build_blocks(sub, terms, where)
    for b in blocks:
        if len(b.levels) < 2:
            raise DataError(f"{where}: grouping factor {b.group!r} has fewer than 2 levels after dropping "
                            f"missing rows.")
    fit = fit_lmm(yv.iloc[:, 0].to_numpy(dtype=float), X.to_numpy(dtype=float), blocks, w, reml,
                  methods, gtol, where)
    names = list(X.columns)
    fe = pd.Series(fit.beta, index=names)
    bse = pd.Series(np.sqrt(np.diag(fit.vcov)), index=names)
    stat = fe / bse
    if inference == "satterthwaite":
        df = satterthwaite(fit)
        q = stats.t.ppf(two_sided(confidence), df)
        table = pd.DataFrame({"coef": fe, "se": bse, "df": df, "t": stat, "pvalue": 2 * stats.t.sf(np.abs(stat), df),
                              "ci_low": fe - q * bse, "ci_high": fe + q * bse})
        label = "t tests with Satterthwaite df (lmerTest)"
    else:
        z = stats.norm.ppf(two_sided(confidence))
        table = pd.DataFrame({"coef": fe, "se": bse, "z": stat, "pvalue": 2 * stats.norm.sf(np.abs(stat)),
                              "ci_low": fe - z * bse, "ci_high": fe + z * bse})
        label = "Wald z tests (normal approximation)"
    label = ("REML" if reml else "ML") + ", " + label + ("; weighted" if w is not None else "")
    cov_re = block_cov(fit, 0)
    sigma2 = fit.sigma ** 2
    vc = varcor(fit)
    zero = vc[(vc["var2"].isna()) & (vc["grp"] != "Residual") & (vc["vcov"] < 1e-8 * sigma2)]
    notes = tuple(f"Boundary (singular) fit: the variance of {v!r} in {g!r} is estimated as 0, as lme4 would "
                  f"report; consider dropping that random effect." for g, v in zip(zero["grp"], zero["var1"]))
    v0 = float(cov_re.iloc[0, 0]) if cov_re.index[0] == "(Intercept)" else float("nan")
    if inference == "satterthwaite" and not np.all(np.isfinite(table["df"])):
        notes += ("The Satterthwaite df of some coefficients could not be computed (a flat likelihood in the "
                  "variance parameters); their tests are missing. Use inference='normal' or simplify the "
                  "random terms.",)
    return MixedResult(params=fe, bse=bse, cov_re=cov_re, varcor=vc, scale=sigma2, llf=fit.llf,
                       converged=True, icc=v0 / (v0 + sigma2), method=fit.method, inference=label,
                       n=fit.n, n_groups=len(blocks[0].levels), n_dropped=dropped, confidence=confidence,
                       table=table, model=fit, warnings=notes)


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
    re_group: str | None = None
    re_var: float = float("nan")
    n_groups: int | None = None
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


def _ordered_design(formula: str, data: pd.DataFrame, where: str, weights: str | None, instrument: Any,
                    group: str | None = None,
                    ) -> tuple[pd.Series, pd.DataFrame, list, int, np.ndarray | None, tuple[str, ...], pd.DataFrame]:
    """Ordered outcome, design without intercept, outcome levels, rows dropped, weights, warnings
    and the rows used."""
    import patsy

    desc = patsy.ModelDesc.from_formula(formula)
    yname = desc.lhs_termlist[0].factors[0].name()
    extra = ([weights] if weights else []) + ([group] if group else [])
    require_columns(data, [yname] + extra, where)
    used = formula_columns(formula, data)
    sub, dropped = complete(data, used + extra)
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
    return y, X, levels, dropped, w, notes, sub


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

    One random intercept ``(1 | g)`` makes it a cumulative link mixed model,
    P(Y_i <= k | u_g) = F(theta_k - x_i'b - u_g), u_g ~ N(0, ``re_var``), fitted as ``ordinal::clmm``
    does by default: the Laplace approximation of the marginal likelihood (conditional modes of u by
    Newton's method), maximised by BFGS; standard errors from the numerical Hessian in
    (theta, b, log sd). Any other random term (slopes, several or nested factors) is a
    ``ParameterError`` naming it.
    References: McCullagh (1980), J. R. Stat. Soc. B 42:109; Christensen (2019), ordinal - regression
    models for ordinal data, R package vignette "clmm".

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
    group = _clmm_group(terms, where)
    y, X, levels, dropped, w, notes, sub = _ordered_design(fixed, data, where, weights, instrument, group)
    mod = _weighted_ordered_model(y, X, distr, w)
    res = _fit_ordered(mod, formula, where)
    kx = X.shape[1]
    beta = res.params.iloc[:kx]
    bse = res.bse.iloc[:kx]
    cuts = mod.transform_threshold_params(res.params.to_numpy())[1:-1]
    cut_se = _threshold_se(res, kx)
    labels = [f"{levels[i]}|{levels[i + 1]}" for i in range(len(levels) - 1)]
    re_var, n_groups, model = float("nan"), None, res
    if group is not None:
        from ._clmm import fit_clmm

        codes, glev = pd.factorize(sub[group], sort=True)
        if len(glev) < 2:
            raise DataError(f"{where}: the random intercept needs at least 2 groups of {group!r}.")
        model = fit_clmm(np.asarray(y.cat.codes), X.to_numpy(dtype=float), np.asarray(codes), len(glev),
                         len(levels), distr, w, np.asarray(cuts, dtype=float), beta.to_numpy(dtype=float), where)
        k = len(levels) - 1
        se_all = np.sqrt(np.diag(model.vcov))
        cuts, cut_se = model.theta, se_all[:k]
        beta = pd.Series(model.beta, index=X.columns)
        bse = pd.Series(se_all[k:k + kx], index=X.columns)
        re_var, n_groups = model.tau ** 2, len(glev)
        if re_var < 1e-6:
            notes = notes + (f"The random-intercept variance of {group!r} is estimated as (nearly) 0: the "
                             f"groups do not differ beyond the predictors; the fixed-effects model says the same.",)
    q = stats.norm.ppf(two_sided(confidence))
    table = pd.DataFrame({"coef": np.r_[beta.to_numpy(), cuts], "se": np.r_[bse.to_numpy(), cut_se]},
                         index=pd.Index(list(beta.index) + labels, name="term"))
    table["z"] = table["coef"] / table["se"]
    table["pvalue"] = 2 * stats.norm.sf(np.abs(table["z"]))
    orr = pd.DataFrame({"odds_ratio": np.exp(beta), "ci_low": np.exp(beta - q * bse),
                        "ci_high": np.exp(beta + q * bse)}) if distr == "logit" else pd.DataFrame()
    llf = float(res.llf) if group is None else model.llf
    return OrdinalResult(params=beta, bse=bse, cutpoints=pd.Series(cuts, index=labels), odds_ratios=orr,
                         llf=llf, n=int(res.nobs), n_dropped=dropped, distr=distr,
                         confidence=confidence, table=table, re_group=group, re_var=re_var, n_groups=n_groups,
                         model=model, warnings=notes)


def _clmm_group(terms: Sequence[RandomTerm], where: str) -> str | None:
    """The grouping column of the one random intercept ordinal() fits, or a ParameterError naming the term."""
    if not terms:
        return None
    bad = [t.text for t in terms if t.expr.replace(" ", "") != "1" or not t.group.isidentifier()]
    if bad or len(terms) > 1:
        shown = bad[0] if bad else terms[1].text
        raise ParameterError(f"{where}: {shown!r} is not fitted: ordinal() fits one random intercept "
                             f"(1 | group), a cumulative link mixed model. For random slopes, several or "
                             f"nested grouping factors use R's ordinal::clmm, or a linear model with "
                             f"impact.mixed().")
    return terms[0].group
