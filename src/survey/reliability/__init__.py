"""Scale reliability and structure: Cronbach's alpha with confidence intervals and item analysis,
omega, split-half coefficients, polychoric correlations, exploratory factor analysis (KMO,
Bartlett, parallel analysis, rotations, minres and ML with fit statistics), confirmatory factor
analysis (ML, MLR, and DWLS/WLSMV for ordered items), measurement invariance across groups and
the reliability of repeated measures (multilevel).

Everything here follows R's ``psych`` package (Revelle), and ``lavaan`` for CFA, so that a
reviewer can re-run the analysis in R and find the same numbers: names (``raw_alpha``,
``std_alpha``, ``r_drop`` ...; ``cfi``, ``tli``, ``rmsea``, ``srmr``), the handling of
reverse-keyed items (sign-flipped covariances), pairwise-complete covariances by default, and the
Feldt and Duhachek confidence intervals. Tests hold each number to ``psych`` 2.2.9,
``GPArotation`` 2022.10-2, ``lavaan`` 0.6-14 and ``lme4`` (nested variance components).

Functions take a DataFrame whose columns are items (answers as numbers; NA for missing) and return
a frozen :class:`~survey.results.Result` (``to_frame()``, ``to_dict()``, a ``warnings`` tuple).

Modules: :mod:`.alpha`, :mod:`.factor` (KMO, Bartlett, EFA, parallel analysis), :mod:`.omega`,
:mod:`.split_half`, :mod:`.polychoric`, :mod:`.cfa` (estimators and fit measures),
:mod:`.invariance`, :mod:`.multilevel`, :mod:`.lavaan` (the model syntax), :mod:`._sem` (the
parameter table, implied moments and their derivatives), :mod:`._ordinal` (thresholds,
polychorics and their asymptotic covariance for WLSMV) and :mod:`._matrix` (pairwise covariances
and correlations, SMCs). Every public name is re-exported here; import from
``survey.reliability`` (the functions ``alpha``, ``omega``, ``cfa``, ``polychoric``,
``split_half``, ``invariance`` and ``multilevel`` shadow their modules' names in this namespace).
"""
from __future__ import annotations

from .._checks import renamed_attribute

from ._matrix import cov2cor, pairwise_cor, pairwise_cov, smc
from .alpha import AlphaResult, alpha, alpha_band, alpha_for, feldt_ci, flag_items, raw_alpha
from .cfa import CFAResult, cfa, fit_meets_cutoffs
from .factor import (BartlettResult, EFAResult, KMOResult, ParallelResult, bartlett, efa, kmo, kmo_band,
                     parallel_analysis)
from .lavaan import CFAModel, ModelTerm, parse_model
from .invariance import InvarianceResult, invariance
from .multilevel import MultilevelResult, multilevel
from .omega import OmegaResult, OmegaTotalResult, omega, omega_total
from .polychoric import polychoric
from .split_half import SplitHalfResult, split_half

__all__ = [
    # alpha
    "AlphaResult", "alpha", "alpha_for", "alpha_band", "flag_items", "feldt_ci", "raw_alpha",
    # factor analysis
    "KMOResult", "kmo", "kmo_band", "BartlettResult", "bartlett", "EFAResult", "efa", "ParallelResult",
    "parallel_analysis",
    # omega and split-half
    "OmegaResult", "omega", "OmegaTotalResult", "omega_total", "SplitHalfResult", "split_half",
    # CFA
    "CFAResult", "cfa", "fit_meets_cutoffs", "CFAModel", "ModelTerm", "parse_model", "InvarianceResult", "invariance",
    # repeated measures
    "MultilevelResult", "multilevel",
    # correlation matrices
    "polychoric", "pairwise_cov", "pairwise_cor", "cov2cor", "smc",
]

# the result classes' names before they ended in "Result"; kept for one release
_RENAMED = {"Alpha": AlphaResult, "KMO": KMOResult, "Bartlett": BartlettResult, "EFA": EFAResult,
            "Parallel": ParallelResult, "Omega": OmegaResult, "OmegaTotal": OmegaTotalResult,
            "SplitHalf": SplitHalfResult, "CFA": CFAResult}


def __getattr__(name: str):
    return renamed_attribute(__name__, name, _RENAMED)
