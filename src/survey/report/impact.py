"""The program impact report (notebook 04): difference in differences over survey waves.

:class:`ImpactReport` computes the estimators once (TWFE with CR1, CR2 and wild bootstrap
inference, Callaway-Sant'Anna, a mixed model, an event study, optionally the impact chain through
managerial competence) and returns one section per method. The conclusion sentences come from
:func:`describe_impact` and :func:`pretrend_verdict`, tested on constructed cases: the pre-trend
verdict reads every estimator shown, and an IKM effect is also given in 25-100 IKM points.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._checks import check_choice, check_lang
from ..errors import SurveyError
from ._base import ReportBase
from .catalog import has, t
from .display import Fragment, estimate_table, figure, header, heading, methods, note, paragraph, summary, table
from .formatting import format_int, format_p, format_interval, format_number, format_percent, format_pvalue

__all__ = ["ImpactReport", "describe_impact", "pretrend_verdict", "program_name", "IKM_POINTS"]

IKM_POINTS = 25
"""One point of the 1-4 IKM is 25 points of the 25-100 unit IKM (PermenPANRB 14/2017)."""


def program_name(program: str, lang: str) -> str:
    """A program's name for a reader (from the catalog), else its id as given.

    >>> program_name("kepemimpinan", "id"), program_name("kursus_baru", "en")
    ('Pelatihan Kepemimpinan', 'kursus_baru')
    """
    check_lang(lang)
    key = f"common.program_{program}"
    return t(key, lang) if has(key) else str(program)


def pretrend_verdict(lang: str, *, lead_pvalue: float | None = None,
                     pre_intervals: Sequence[tuple[Any, float, float]] = (), cutoff: float = 0.10,
                     confidence: float = 0.95) -> tuple[bool | None, str]:
    """Whether trends were parallel before the program, judged on every estimator shown.

    ``lead_pvalue`` is the joint test of the TWFE event-study leads; ``pre_intervals`` are the
    Callaway-Sant'Anna pre-period effects as ``(event_time, ci_low, ci_high)``. The verdict is
    "different" when the lead test is below ``cutoff`` **or** any pre-period interval excludes zero,
    and names what flagged it; ``None`` when there is nothing to test.

    >>> ok, text = pretrend_verdict("en", lead_pvalue=0.6, pre_intervals=[(-2, 0.02, 0.30)])
    >>> ok, "period -2" in text
    (False, True)
    >>> pretrend_verdict("en", lead_pvalue=0.6, pre_intervals=[(-2, -0.1, 0.2)])[0]
    True
    """
    check_lang(lang)
    flags = []
    tested = False
    if lead_pvalue is not None and np.isfinite(lead_pvalue):
        tested = True
        if lead_pvalue < cutoff:
            flags.append(t("impact.pre_lead_test", lang, p=format_p(lead_pvalue, lang)))
    for k, lo, hi in pre_intervals:
        if not (np.isfinite(lo) and np.isfinite(hi)):
            continue
        tested = True
        if lo > 0 or hi < 0:
            flags.append(t("impact.pre_cs_period", lang, k=k, ci=format_interval(lo, hi, lang, 2)))
    if not tested:
        return None, t("impact.pre_none", lang)
    if flags:
        return False, t("impact.pre_bad", lang, which="; ".join(flags))
    return True, t("impact.pre_ok", lang, checks=t("impact.pre_checks_all", lang))


def describe_impact(estimate: float, ci_low: float, ci_high: float, lang: str, *, program: str, outcome: str,
                    scale: str, ikm: bool = False, confidence: float = 0.95, pretrend: str | None = None,
                    n_units: int | None = None, true_effect: float | None = None) -> list[str]:
    """The summary sentences of an impact estimate: the effect with its interval in plain words, in
    IKM points 25-100 too when the outcome is the IKM (1-4 effect x 25), whether the interval
    excludes zero, the pre-trend verdict (from :func:`pretrend_verdict`), and for synthetic data
    whether the true effect is inside.

    >>> s = describe_impact(0.16, 0.10, 0.22, "id", program="Pelatihan Kepemimpinan", outcome="IKM",
    ...                     scale="1-4", ikm=True)
    >>> s[1]
    'Pada skala IKM unit 25-100 yang dipakai dalam laporan SKM, ini berarti **4,00 poin IKM** (interval 2,50 sampai 5,50).'
    """
    check_lang(lang)
    conf = format_percent(confidence, lang, 0)
    out = [t("impact.effect", lang, p=program, o=outcome, e=format_number(estimate, lang, 2), scale=scale, conf=conf,
             lo=format_number(ci_low, lang, 2), hi=format_number(ci_high, lang, 2))]
    if out[0][:1].islower():
        out[0] = out[0][0].upper() + out[0][1:]
    if ikm:
        out.append(t("impact.effect_ikm_points", lang, e=format_number(estimate * IKM_POINTS, lang, 2),
                     lo=format_number(ci_low * IKM_POINTS, lang, 2), hi=format_number(ci_high * IKM_POINTS, lang, 2)))
    out.append(t("impact.sig_yes" if (ci_low > 0 or ci_high < 0) else "impact.sig_no", lang))
    if pretrend:
        out.append(pretrend)
    if true_effect is not None:
        inside = ci_low <= true_effect <= ci_high
        out.append(t("impact.truth_line", lang, t=format_number(true_effect * (IKM_POINTS if ikm else 1), lang, 2),
                     inside=t("impact.inside" if inside else "impact.outside", lang)))
    return out


@dataclass
class ImpactReport(ReportBase):
    """One impact report; build it with :meth:`load`, then display its sections."""

    lang: str
    program: str
    outcome: str
    outcome_label: str
    design: str
    se: str
    analysis: pd.DataFrame
    panel: pd.DataFrame
    first: pd.Series
    estimates: pd.DataFrame
    head_key: str | None
    es: Any
    cs: Any
    mx: Any
    med: Any
    true_att: float | None
    n_boot: int
    seed: int
    confidence: float
    agency: str
    data_name: str
    synthetic: Any
    inference: dict = field(default_factory=dict)
    leads: int = 2
    lags: int = 2
    wave_labels: dict = field(default_factory=dict)

    @property
    def is_ikm(self) -> bool:
        return self.outcome == "ikm"

    @classmethod
    def load(cls, data: str, skm: str = "", instrument: str = "employee_survey", outcome: str = "managerial",
             program: str = "kepemimpinan", records: str = "", design: str = "staggered", se: str = "cr2",
             leads: int = 2, lags: int = 2, n_boot: int = 9999, seed: int = 20171, truth: str = "",
             lang: str = "id", agency: str = "", confidence: float = 0.95) -> "ImpactReport":
        """Read the data, build the unit-wave panel and compute every estimator shown."""
        import survey
        from .. import impact
        from ..paths import project_path
        from ..privacy import is_synthetic

        check_lang(lang)
        check_choice("design", design, ["did", "event_study", "staggered"])
        check_choice("se", se, ["cluster", "cr2", "wild"])
        inst = survey.load_instrument(instrument)
        data_path = project_path(data)
        emp = survey.read_responses(data_path, inst)
        unit, wave = "unit_id", "wave"
        first = _adoption_waves(emp, program, records, unit, wave)
        analysis, y, label, shown = _outcome_data(emp, inst, outcome, skm, lang, unit, wave)
        analysis["first_treated"] = analysis[unit].map(first).astype(float)
        analysis["D"] = ((analysis["first_treated"] > 0) & (analysis[wave] >= analysis["first_treated"])).astype(float)
        panel = impact.unit_wave_means(analysis, y, unit, wave, keep=("first_treated",))
        rows, inference, cs, mx, es = _fit_estimators(analysis, panel, y, unit, wave, se=se, n_boot=n_boot, seed=seed,
                                                      leads=leads, lags=lags, confidence=confidence)
        est = pd.DataFrame(rows, index=["estimate", "ci_low", "ci_high", "pvalue"]).T.astype(float) if rows else \
            pd.DataFrame(columns=["estimate", "ci_low", "ci_high", "pvalue"])
        # an estimator whose interval cannot be computed (no comparison units) is not a result
        est = est[np.isfinite(est["estimate"])] if len(est) else est
        head_key = _headline_key(est, first, design, se)
        med = None
        if outcome == "ikm" and "managerial" in inst.constructs and head_key is not None:
            med = _mediation(emp, inst, analysis, y, unit, wave, seed=seed, confidence=confidence)
        true_att = _true_att(truth, data_path, first, outcome)
        src = project_path(skm) if outcome == "ikm" else data_path
        return cls(lang=lang, program=program, outcome=outcome, outcome_label=label, design=design, se=se,
                   analysis=analysis, panel=panel, first=first, estimates=est, head_key=head_key, es=es, cs=cs, mx=mx,
                   med=med, true_att=true_att, n_boot=n_boot, seed=seed, confidence=confidence, agency=agency,
                   data_name=Path(src).name, synthetic=is_synthetic(shown), inference=inference, leads=leads, lags=lags,
                   wave_labels=(shown.drop_duplicates(wave).set_index(wave)["wave_label"].astype(str).to_dict()
                                if "wave_label" in shown.columns else {}))

    # ------------------------------------------------------------------ pieces
    def _conf(self) -> str:
        return format_percent(self.confidence, self.lang, 0)

    def _scale(self) -> str:
        return "1-4" if self.is_ikm else "1-5"

    def _pre(self) -> tuple[bool | None, str]:
        lead_p = float(self.es.pretrend_p) if self.es is not None and self.es.pretrend_df1 > 0 else None
        pre = []
        if self.cs is not None:
            d = self.cs.dynamic
            pre = [(int(r["event_time"]), float(r["ci_low"]), float(r["ci_high"]))
                   for _, r in d[d["event_time"].between(-self.leads, -1)].iterrows()]
        return pretrend_verdict(self.lang, lead_pvalue=lead_p, pre_intervals=pre, confidence=self.confidence)

    def n_units(self) -> int:
        return int(self.panel["unit_id"].nunique())

    def header(self) -> Fragment:
        """Synthetic-data notice and the report header."""
        lang = self.lang
        waves = [self.wave_labels.get(w, str(w)) for w in sorted(self.panel["wave"].unique())]
        sub = t("impact.subtitle", lang, o=self.outcome_label, u=format_int(self.n_units(), lang),
                w=format_int(len(waves), lang))
        notice = self.synthetic_notice()
        period = f"{waves[0]}–{waves[-1]}" if waves else None
        return notice + header(t("impact.title", lang, p=program_name(self.program, lang)), lang,
                               period=period, agency=self.agency or None, subtitle=sub)

    def summary(self) -> Fragment:
        """The effect in plain words (and in IKM points), whether it is real, whether trends were parallel."""
        lang = self.lang
        if self.head_key is None:
            return summary([t("impact.no_untreated", lang)], lang)
        h = self.estimates.loc[self.head_key]
        outcome = self.outcome_label if self.is_ikm else self.outcome_label[0].lower() + self.outcome_label[1:]
        sentences = describe_impact(h["estimate"], h["ci_low"], h["ci_high"], lang,
                                    program=program_name(self.program, lang), outcome=outcome, scale=self._scale(),
                                    ikm=self.is_ikm, confidence=self.confidence, pretrend=self._pre()[1],
                                    true_effect=self.true_att)
        return summary(sentences, lang)

    def adoption_table(self) -> Fragment:
        """How many units started the program in each wave."""
        lang = self.lang
        cohorts = self.first.reindex(sorted(self.panel["unit_id"].unique())).fillna(0).astype(int).value_counts().sort_index()
        tab = pd.DataFrame({t("impact.cohort", lang): [t("impact.never", lang) if g == 0 else str(g) for g in cohorts.index],
                            t("impact.units", lang): cohorts.to_numpy()})
        return table(tab, lang, caption=t("impact.adoption", lang), align_left=[t("impact.cohort", lang)])

    def estimates_table(self) -> Fragment:
        """The effect by each estimator, the headline in bold (inference details go to the methods)."""
        lang = self.lang
        if not len(self.estimates):
            return note(t("impact.no_untreated", lang))
        est = self.estimates
        tab = pd.DataFrame({
            t("impact.estimator", lang): [("**" + t(f"impact.{k}", lang) + "**") if k == self.head_key else t(f"impact.{k}", lang)
                                         for k in est.index],
            t("impact.estimate", lang): est["estimate"].to_numpy(),
            t("impact.ci", lang, conf=self._conf()): [format_interval(a, b, lang, 3) for a, b in zip(est["ci_low"], est["ci_high"])],
            t("impact.p", lang): [format_pvalue(p, lang) for p in est["pvalue"]],
        })
        frag = table(tab, lang, caption=t("impact.estimates_caption", lang), digits=3,
                     align_left=[t("impact.estimator", lang)])
        # the one markup allowed: bold for the headline row, applied after escaping
        html = frag.html.replace("**", "")
        if self.head_key is not None:
            name = t(f"impact.{self.head_key}", lang)
            from .display import escape

            html = html.replace(f'<td class="txt">{escape(name)}</td>', f'<td class="txt"><strong>{escape(name)}</strong></td>', 1)
        return heading(t("impact.estimates", lang)) + Fragment(html)

    def coef_figure(self) -> Fragment:
        """The estimators side by side: each estimate as a dot on its interval's line, with zero (and,
        on synthetic data, the true effect) marked, drawn as an HTML table
        (:func:`~survey.report.display.estimate_table`: the methods' names stay readable on a phone)."""
        lang = self.lang
        if not len(self.estimates):
            return Fragment("")
        est = self.estimates
        marks = [(0.0, t("impact.coef_zero", lang))]
        if self.true_att is not None:
            marks.append((float(self.true_att), t("impact.coef_truth", lang, v=format_number(self.true_att, lang, 2))))
        values = pd.Series(est["estimate"].to_numpy(dtype=float), index=[t(f"impact.{k}", lang) for k in est.index])
        return estimate_table(values, est["ci_low"], est["ci_high"], lang, marker=marks,
                              interval_key=t("impact.coef_key", lang, conf=self._conf(), y=self.outcome_label),
                              head=(t("impact.estimator", lang), t("impact.estimate", lang)),
                              caption=t("impact.coef_title", lang, conf=self._conf()))

    def event_study(self) -> Fragment:
        """Effects by period relative to the start, TWFE and Callaway-Sant'Anna, and the pre-trend verdict."""
        from ..plots.impact import event_study_plot

        lang = self.lang
        if self.es is None:
            return Fragment("")
        overlay = self.cs.dynamic[self.cs.dynamic["event_time"].between(-self.leads, self.lags)] if self.cs is not None else None
        fig = event_study_plot(self.es.table, overlay=overlay, title=t("impact.es_title", lang), ylabel=self.outcome_label, lang=lang)
        return (heading(t("impact.es_title", lang)) + figure(fig, lang, t("impact.es_alt", lang))
                + paragraph(t("impact.es_text", lang), self._pre()[1]))

    def mediation(self) -> Fragment:
        """IKM outcome: how much of the effect runs through managerial competence."""
        lang = self.lang
        if self.med is None:
            return Fragment("")
        names = {"a": "med_a", "b": "med_b", "indirect": "med_indirect", "direct": "med_direct", "total": "med_total"}
        m = self.med.table
        tab = pd.DataFrame({t("impact.path", lang): [t(f"impact.{names.get(k, k)}", lang) if k in names else str(k) for k in m.index],
                            t("impact.estimate", lang): m["estimate"].to_numpy(),
                            t("impact.ci", lang, conf=self._conf()): [format_interval(a, b, lang, 3) for a, b in zip(m["ci_low"], m["ci_high"])]})
        ind = m.loc["indirect"]
        text = t("impact.mediation_text", lang, tot=format_number(self.med.total, lang, 3), ind=format_number(ind["estimate"], lang, 3),
                 lo=format_number(ind["ci_low"], lang, 3), hi=format_number(ind["ci_high"], lang, 3))
        return heading(t("impact.mediation_title", lang)) + table(tab, lang, digits=3, align_left=[t("impact.path", lang)]) + paragraph(text)

    def planning(self) -> Fragment:
        """Employee outcomes: the minimum detectable effect of the next study."""
        from .. import impact

        lang = self.lang
        if self.is_ikm or self.mx is None or self.head_key is None:
            return Fragment("")
        y = self.outcome
        sd_y = float(self.analysis[y].astype(float).std(ddof=1))
        m_size = float(self.analysis.groupby(["unit_id", "wave"]).size().mean())
        icc = float(self.mx.icc)
        if not (np.isfinite(icc) and sd_y > 0):
            return Fragment("")
        mde_sd = impact.mde(self.n_units(), m_size, icc)
        effect_sd = abs(float(self.estimates.loc[self.head_key, "estimate"])) / sd_y
        need = impact.clusters_needed(effect_sd, m_size, icc) if effect_sd > 0 else None
        return heading(t("impact.design_title", lang)) + paragraph(t(
            "impact.design_text", lang, g=self.n_units(), m=format_number(m_size, lang, 1), icc=format_number(icc, lang, 3),
            mde=format_number(mde_sd, lang, 2), mde_pts=format_number(mde_sd * sd_y, lang, 2),
            eff=format_number(effect_sd, lang, 2), need=format_int(need, lang) if need is not None else "–"))

    def methods(self) -> Fragment:
        """Estimators, inference, pre-trend tests and data, for analysts."""
        lang = self.lang
        head = t(f"impact.{self.head_key}", lang) if self.head_key else "–"
        out = [t("impact.level_unit" if self.is_ikm else "impact.level_emp", lang, f=self.data_name),
               t("impact.methods_design", lang, head=head, n=format_int(len(self.panel), lang), g=format_int(self.n_units(), lang))]
        if self.inference:
            words = []
            for k, v in self.inference.items():
                g = v.split("|")[1] or str(self.n_units())
                words.append(t(f"impact.inf_{k}", lang, g=g, df=int(g) - 1 if g.isdigit() else "–",
                               b=format_int(self.n_boot, lang), seed=self.seed))
            out.append(t("impact.methods_inference", lang, list="; ".join(words)))
        if self.cs is not None:
            out.append(t("impact.methods_cs", lang))
        if self.mx is not None:
            out.append(t("impact.methods_mixed", lang) + " " + t("impact.mixed_icc", lang, icc=format_number(self.mx.icc, lang, 3)))
        if self.es is not None and self.es.pretrend_df1 > 0:
            out.append(t("impact.methods_pretrend", lang, q=self.es.pretrend_df1, df2=format_number(self.es.pretrend_df2, lang, 1),
                         f=format_number(self.es.pretrend_f, lang, 2), p=format_p(self.es.pretrend_p, lang)))
        if self.med is not None:
            out.append(t("impact.methods_mediation", lang, g=self.n_units(), b=format_int(self.med.n_boot, lang)))
        return methods(out, lang)

    def key_figures(self) -> dict:
        """The figures for ``results.json``."""
        out: dict[str, Any] = {"outcome": self.outcome, "program": self.program, "design": self.design,
                               "estimator": self.head_key}
        if self.head_key is not None:
            h = self.estimates.loc[self.head_key]
            out.update({"estimate": round(float(h["estimate"]), 4), "ci_low": round(float(h["ci_low"]), 4),
                        "ci_high": round(float(h["ci_high"]), 4), "pvalue": round(float(h["pvalue"]), 4)})
            if self.is_ikm:
                out["estimate_ikm_points"] = round(float(h["estimate"]) * IKM_POINTS, 2)
        out["n_clusters"] = self.n_units()
        for k in ("twfe_cr2", "cs"):
            if k in self.estimates.index:
                out["twfe_cr2" if k == "twfe_cr2" else "cs_att"] = round(float(self.estimates.loc[k, "estimate"]), 4)
        if self.es is not None and np.isfinite(self.es.pretrend_p):
            out["pretrend_p"] = round(float(self.es.pretrend_p), 4)
        out["parallel_trends"] = self._pre()[0]
        if self.med is not None:
            out["mediation_indirect"] = round(float(self.med.indirect), 4)
            ind = self.med.table.loc["indirect"]
            out["mediation_indirect_ci"] = [round(float(ind["ci_low"]), 4), round(float(ind["ci_high"]), 4)]
        if self.true_att is not None and self.head_key is not None:
            h = self.estimates.loc[self.head_key]
            out["true_effect"] = float(self.true_att)
            out["truth_in_ci"] = bool(h["ci_low"] <= self.true_att <= h["ci_high"])
        return out


def _adoption_waves(emp: pd.DataFrame, program: str, records: str, unit: str, wave: str) -> pd.Series:
    """Each unit's first treated wave (0 or NaN for never): from the survey itself when it carries
    the demo's ``first_treated`` column, otherwise from the training records."""
    from .. import impact
    from ..paths import project_path

    if program == "kepemimpinan" and "first_treated" in emp.columns:
        first = pd.to_numeric(emp.groupby(unit)["first_treated"].first())
    else:
        first = impact.adoption_waves(pd.read_csv(project_path(records)), program, unit=unit, time=wave)
    return first.reindex(sorted(emp[unit].unique()))


def _outcome_data(emp: pd.DataFrame, inst: Any, outcome: str, skm: str, lang: str, unit: str,
                  wave: str) -> tuple[pd.DataFrame, str, str, pd.DataFrame]:
    """The analysis rows, outcome column, its label and the responses the report describes: the
    IKM per unit and wave from the SKM file, or a construct score of the employee survey."""
    import survey
    from ..paths import project_path
    from ..skm import ikm as ikm_index

    if outcome == "ikm":
        sk = survey.read_responses(project_path(skm), "skm_2017")
        ik = ikm_index(sk, by=[unit, wave], ci=None).summary.reset_index()
        analysis = ik[[unit, wave, "ikm", "n"]].copy()
        return analysis, "ikm", t("impact.ikm", lang), sk
    inst.items_of(outcome)  # a clear error for an unknown construct
    analysis = survey.score(emp, inst, constructs=[outcome])
    return analysis, outcome, inst.label(outcome, lang), emp


def _fit_estimators(analysis: pd.DataFrame, panel: pd.DataFrame, y: str, unit: str, wave: str, *, se: str,
                    n_boot: int, seed: int, leads: int, lags: int, confidence: float,
                    ) -> tuple[dict[str, tuple], dict[str, str], Any, Any, Any]:
    """Every estimator the report compares: (rows of estimate, ci_low, ci_high, pvalue by key,
    inference words by key, Callaway-Sant'Anna, mixed model, event study). An estimator that
    cannot be fitted on these data is left out (None) rather than failing the whole report."""
    from .. import impact

    rows: dict[str, tuple] = {}
    inference: dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, s in (("twfe_cr1", "cluster"), ("twfe_cr2", "cr2"), ("twfe_wild", "wild")):
            try:
                r = impact.twfe(analysis, y, unit, wave, "D", cluster=unit, se=s, n_boot=n_boot, seed=seed,
                                confidence=confidence)
                rows[key] = (r.att, r.ci_low, r.ci_high, r.pvalue)
                # the report's own words for the inference (the result's text is English)
                inference[key] = key + (f"|{r.n_clusters}" if hasattr(r, "n_clusters") else "|")
            except (SurveyError, ValueError, np.linalg.LinAlgError):
                pass
        try:
            cs = impact.staggered(panel, y, unit, wave, "first_treated", control="never", confidence=confidence)
            rows["cs"] = (cs.att, cs.ci_low, cs.ci_high, cs.pvalue)
        except (SurveyError, ValueError):
            cs = None
        try:
            mx = impact.mixed(analysis.assign(wave_f=analysis[wave].astype(str)), f"{y} ~ D + C(wave_f)", unit,
                              confidence=confidence)
            rows["mixed"] = (float(mx.params["D"]), float(mx.table.loc["D", "ci_low"]),
                             float(mx.table.loc["D", "ci_high"]), float(mx.table.loc["D", "pvalue"]))
        except (SurveyError, ValueError, KeyError, np.linalg.LinAlgError):
            mx = None
        try:
            es = impact.event_study(analysis, y, unit, wave, "first_treated", leads=leads, lags=lags, cluster=unit,
                                    se="cr2" if se == "cr2" else "cluster", confidence=confidence)
        except (SurveyError, ValueError, np.linalg.LinAlgError):
            es = None
    return rows, inference, cs, mx, es


def _headline_key(est: pd.DataFrame, first: pd.Series, design: str, se: str) -> str | None:
    """The estimator the summary leads with, or None when it has no result or the data offer no
    comparison."""
    head_key = "cs" if design == "staggered" else {"cluster": "twfe_cr1", "cr2": "twfe_cr2", "wild": "twfe_wild"}[se]
    if head_key not in est.index:
        head_key = None
    never = int((first.fillna(0) == 0).sum())
    if never == 0 and first.nunique() <= 1:
        head_key = None  # everyone adopts at once and nobody stays out: nothing to compare with
    return head_key


def _mediation(emp: pd.DataFrame, inst: Any, analysis: pd.DataFrame, y: str, unit: str, wave: str, *,
               seed: int, confidence: float) -> Any:
    """How much of the program's effect on the IKM runs through the managerial score (None when
    the model cannot be fitted)."""
    import survey
    from .. import impact

    mc = (survey.score(emp, inst, constructs=["managerial"]).groupby([unit, wave])["managerial"].mean()
          .rename("managerial_mean").reset_index())
    md = analysis.merge(mc, on=[unit, wave])
    # unit and wave fixed effects enter the mediation models as dummies
    fe = pd.get_dummies(md[unit], prefix="unit", drop_first=True, dtype=float).join(
        pd.get_dummies(md[wave], prefix="wave", drop_first=True, dtype=float))
    try:
        return impact.mediation(md.join(fe), "D", "managerial_mean", y, controls=list(fe.columns), cluster=unit,
                                n_boot=2000, seed=seed, confidence=confidence)
    except (SurveyError, ValueError, np.linalg.LinAlgError):
        return None


def _true_att(truth: str, data_path: Any, first: pd.Series, outcome: str) -> Any:
    """The simulated true effect for synthetic data (``truth.json`` beside the data unless given),
    only when the data were generated with the same adoption schedule as the one analysed."""
    from ..paths import project_path

    truth_path = project_path(truth) if truth else Path(data_path).parent / "truth.json"
    if not truth_path.is_file():
        return None
    tj = json.loads(truth_path.read_text(encoding="utf-8"))
    # the true effects belong to the adoption schedule the data were generated with
    gen = {u: (0 if v is None else int(v)) for u, v in tj.get("cohorts", {}).items()}
    ours = {u: (0 if pd.isna(v) else int(v)) for u, v in first.items()}
    if gen and gen == ours:
        return tj.get("effects", {}).get(outcome, {}).get("att_observed")
    return None
