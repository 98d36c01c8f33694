"""Program impact: did the training change what it was meant to change?

Estimators for the four Kirkpatrick levels, written for the data this project meets: survey waves,
20 to 40 work units (clusters), Likert outcomes, employees nested in units, programs that reach units
at different times. One module per task:

- ``effects``: :func:`prepost` - paired before/after (level 2 learning): paired t, Wilcoxon, d_z,
  d_av, Hedges' g; :func:`welch`, :func:`ancova` - two groups.
- ``did``: :func:`did`, :func:`twfe`, :func:`event_study` - difference in differences with
  classical, HC1, cluster (CR1, t with G - 1 df), CR2 (Bell-McCaffrey, Satterthwaite df) or wild
  cluster bootstrap inference.
- ``staggered``: :func:`staggered` - Callaway & Sant'Anna (2021) group-time ATTs and their
  aggregations.
- ``models``: :func:`mixed` - linear mixed models in lme4's formula syntax (crossed and nested
  random effects) with Satterthwaite t-tests; :func:`ordinal` - proportional odds, with one random
  intercept a cumulative link mixed model.
- ``mediation``: :func:`mediation` - indirect effects with bootstrap CIs.
- ``design``: :func:`mde`, :func:`clusters_needed` (Bloom's approximation), :func:`power` (exact
  noncentral t), :func:`icc` - design and power for cluster designs.
- ``panels``: :func:`unit_wave_means`, :func:`adoption_waves` - panels from employee answers and
  training records.
- :func:`ordered_item` - Likert answers read as label text, as an ordered Categorical in the order of
  the instrument's scale.

Formulas keep category order: an ordered Categorical outcome is modelled in its order, a Categorical
predictor keeps its first category as the reference level. ``weights`` is always a column of
observation weights (as R's ``lm(weights=)``).

Every function takes a DataFrame and returns a frozen :class:`~survey.results.Result`. Rows with a
missing value in any variable a model uses are dropped (listwise); the result reports how many
(``n_dropped``). Nothing returns NaN silently: impossible data raise :class:`~survey.errors.DataError`,
a bad option :class:`~survey.errors.ParameterError`.

>>> from survey import impact
>>> impact.FEW_CLUSTERS
30
"""
from __future__ import annotations

from .._checks import renamed_attribute

from ._common import FEW_CLUSTERS
from .design import ICCResult, PowerResult, clusters_needed, icc, mde, power
from .did import DiDResult, EventStudyResult, did, event_study, twfe
from ._formula import ordered_item
from .effects import AncovaResult, PrePostResult, WelchResult, ancova, prepost, welch
from .mediation import MediationResult, mediation
from .models import MixedResult, OrdinalResult, mixed, ordinal
from .panels import adoption_waves, unit_wave_means
from .staggered import StaggeredResult, staggered

__all__ = [
    "PrePostResult", "prepost", "AncovaResult", "ancova", "WelchResult", "welch", "DiDResult", "did",
    "twfe", "EventStudyResult", "event_study", "StaggeredResult", "staggered", "MixedResult", "mixed",
    "OrdinalResult", "ordinal", "MediationResult", "mediation", "mde", "clusters_needed", "power",
    "PowerResult", "ICCResult",
    "icc", "unit_wave_means", "adoption_waves", "ordered_item", "FEW_CLUSTERS",
]

# Old class names, importable for one more release.
_RENAMED = {
    "PrePost": PrePostResult, "Welch": WelchResult, "Ancova": AncovaResult, "DiD": DiDResult,
    "EventStudy": EventStudyResult, "Staggered": StaggeredResult, "Mixed": MixedResult,
    "Ordinal": OrdinalResult, "Mediation": MediationResult,
}


def __getattr__(name: str) -> type:
    return renamed_attribute(__name__, name, _RENAMED)
