"""The scale reliability report (notebook 02): alpha, omega and item analysis per construct,
optionally factor analysis, and for repeated waves per-wave alpha and multilevel reliability.

Repeated waves of the same persons are never pooled as if they were other persons: the headline
uses one row per person (their latest answer), alpha is also given per wave, and :func:`survey.reliability.multilevel` gives
the coefficients of repeated measures. :func:`describe_reliability` writes the summary: which scales
can be used, which items to review, and a sentence on the factor analysis only when it ran.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .._checks import check_choice, check_lang
from ..errors import SurveyError
from ._base import ReportBase
from .catalog import t
from .display import (Fragment, bullets, header, heading, heat_table, methods, note, paragraph,
                      stacked_bar_table, summary, table)
from .formatting import format_int, format_interval, format_number, format_percent, format_pvalue

__all__ = ["ReliabilityReport", "describe_invariance", "describe_reliability", "invariance_caution", "usable"]


def usable(alpha: float) -> str:
    """``"yes"`` (alpha >= 0.70), ``"caution"`` (0.60-0.70, usual for 3-4 item scales) or ``"no"``.

    >>> usable(0.82), usable(0.65), usable(0.41), usable(float("nan"))
    ('yes', 'caution', 'no', 'no')
    """
    if alpha is None or not np.isfinite(alpha):
        return "no"
    return "yes" if alpha >= 0.70 else "caution" if alpha >= 0.60 else "no"


def describe_reliability(alphas: Mapping[str, float], lang: str, *, flagged: Mapping[str, list[str]] | None = None,
                         n_persons: int, waves: int = 1, last_wave: str | None = None,
                         factor_fit: Mapping[str, bool] | None = None) -> list[str]:
    """Summary sentences: scales usable / with caution / not yet (with alpha), items to review,
    how many persons (and that waves were analysed per wave), the factor analysis verdict only
    when ``factor_fit`` (from :func:`survey.reliability.fit_meets_cutoffs`) is given.

    >>> s = describe_reliability({"Relevansi": 0.81, "Aplikabilitas": 0.55}, "id", n_persons=120)
    >>> s[0], s[1]
    ('Dapat dipakai (α ≥ 0,70): Relevansi (0,81).', 'Belum dapat dipakai sebagai skor tunggal (α < 0,60): Aplikabilitas (0,55).')
    >>> any("faktor" in x for x in s)
    False
    """
    check_lang(lang)
    groups: dict[str, list[str]] = {"yes": [], "caution": [], "no": []}
    for label, a in alphas.items():
        groups[usable(a)].append(f"{label} ({format_number(a, lang, 2)})")
    out = []
    for key, msg in (("yes", "usable"), ("caution", "caution"), ("no", "not_usable")):
        if groups[key]:
            out.append(t(f"reliability.{msg}", lang, list=", ".join(groups[key])))
    items = [f"{i} ({c})" for c, names in (flagged or {}).items() for i in names]
    out.append(t("reliability.flagged", lang, k=len(items), list=", ".join(items)) if items
               else t("reliability.none_flagged", lang))
    if waves > 1:
        out.append(t("reliability.per_wave", lang, w=waves, wave=last_wave, n=format_int(n_persons, lang)))
    else:
        out.append(t("reliability.single", lang, n=format_int(n_persons, lang)))
    if factor_fit is not None:
        if factor_fit.get("all"):
            out.append(t("reliability.factor_supports", lang))
        else:
            missed = ", ".join(k.upper() for k, v in factor_fit.items() if k != "all" and not v)
            out.append(t("reliability.factor_partly", lang, which=missed))
    return out


@dataclass
class ReliabilityReport(ReportBase):
    """One reliability report; build it with :meth:`load`, then display its sections."""

    lang: str
    inst: Any
    df: pd.DataFrame
    head_df: pd.DataFrame
    constructs: list
    results: dict
    omegas: dict
    ordinal: dict
    flags: dict
    ci: str
    min_r_drop: float
    min_cell: int
    seed: int
    agency: str
    data_name: str
    synthetic: Any
    wave_col: str | None
    id_col: str | None
    waves: list
    last_wave: Any
    factor_analysis: bool
    notes: list = field(default_factory=list)
    wave_labels: dict = field(default_factory=dict)
    failed: list = field(default_factory=list)
    group: str = ""

    @classmethod
    def load(cls, data: str, instrument: str, construct: str = "all", ci: str = "feldt", min_r_drop: float = 0.30,
             seed: int = 20261127, factor_analysis: bool = False, min_cell: int = 5, lang: str = "id",
             agency: str = "", id: str = "employee_id", wave: str = "wave", group: str = "") -> "ReliabilityReport":
        """Read the answers; with repeated waves of the same persons keep the latest wave as the headline."""
        import survey
        from ..paths import project_path
        from ..privacy import is_synthetic
        from ..reliability import alpha_for, flag_items, omega_total

        check_lang(lang)
        check_choice("ci", ci, ["feldt", "duhachek", "bootstrap"])
        inst = survey.load_instrument(instrument)
        data_path = project_path(data)
        df = survey.read_responses(data_path, inst)
        constructs = list(inst.constructs) if construct == "all" else [construct]
        if not constructs:
            raise survey.InstrumentError(f"instrument {inst.id!r} defines no constructs, so there is no scale whose "
                                         "reliability could be analysed; use an instrument with constructs")
        for c in constructs:
            inst.items_of(c)  # a clear error for an unknown construct
        wave_col = wave if wave in df.columns and df[wave].nunique() > 1 else None
        id_col = id if id in df.columns else None
        repeated = wave_col is not None and id_col is not None and df.duplicated(id_col).any()
        waves = sorted(df[wave_col].dropna().unique()) if repeated else []
        last = waves[-1] if waves else None
        # one row per person, so no person counts twice: each person's latest answer (for a panel
        # where everyone answers every wave this is the latest wave)
        head_df = df.sort_values(wave_col, kind="stable").drop_duplicates(id_col, keep="last") if repeated else df
        labels = (df.drop_duplicates(wave_col).set_index(wave_col)["wave_label"].astype(str).to_dict()
                  if repeated and "wave_label" in df.columns else {})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the results keep their sentences in .warnings
            results, failed = {}, []
            for c in constructs:
                try:
                    results[c] = alpha_for(head_df, inst, c, ci=ci, seed=seed)
                except (SurveyError, ValueError, np.linalg.LinAlgError):
                    failed.append(c)  # too few complete answers: said in the report, not a crash
            omegas, ordinal = {}, {}
            for c in results:
                items = [i.name for i in inst.items_of(c)]
                try:
                    omegas[c] = omega_total(head_df[items], keys=inst.reverse_items(c))
                except (SurveyError, ValueError, np.linalg.LinAlgError):
                    omegas[c] = None
                try:
                    ordinal[c] = alpha_for(head_df, inst, c, cor="polychoric")
                except (SurveyError, ValueError, np.linalg.LinAlgError):
                    ordinal[c] = None
        notes = sorted({w for r in [*results.values(), *omegas.values(), *ordinal.values()] if r is not None for w in r.warnings})
        flags = {c: flag_items(results[c], min_r_drop=min_r_drop) for c in results}
        return cls(lang=lang, inst=inst, df=df, head_df=head_df, constructs=constructs, results=results, omegas=omegas,
                   ordinal=ordinal, flags=flags, ci=ci, min_r_drop=min_r_drop, min_cell=int(min_cell), seed=seed,
                   agency=agency, data_name=Path(data_path).name, synthetic=is_synthetic(df), wave_col=wave_col if repeated else None,
                   id_col=id_col, waves=waves, last_wave=last, factor_analysis=bool(factor_analysis), notes=notes,
                   wave_labels=labels, failed=failed, group=str(group or "").strip())

    # ------------------------------------------------------------------ helpers
    @property
    def repeated(self) -> bool:
        return self.wave_col is not None

    def wl(self, w: Any) -> str:
        return str(self.wave_labels.get(w, w))

    def n_persons(self) -> int:
        if self.id_col:
            return int(self.head_df[self.id_col].nunique())
        return int(len(self.head_df))

    def label(self, c: str) -> str:
        return self.inst.label(c, self.lang)

    def _flagged_items(self) -> dict[str, list[str]]:
        return {self.label(c): list(f.index[f["flagged"]]) for c, f in self.flags.items() if f["flagged"].any()}

    def _conf(self) -> str:
        return format_percent(0.95, self.lang, 0)

    # ------------------------------------------------------------------ sections
    def header(self) -> Fragment:
        lang = self.lang
        inst_title = self.inst.text(self.inst.title, lang)
        if self.repeated:
            sub = t("reliability.subtitle_waves", lang, n=format_int(self.df[self.id_col].nunique(), lang),
                    w=len(self.waves), k=len(self.constructs))
            period = f"{self.wl(self.waves[0])}–{self.wl(self.waves[-1])}"
        else:
            sub = t("reliability.subtitle", lang, n=format_int(self.n_persons(), lang), k=len(self.constructs))
            period = None
        notice = self.synthetic_notice()
        return notice + header(t("reliability.title", lang, inst=inst_title), lang, period=period,
                               agency=self.agency or None, subtitle=sub)

    def summary(self) -> Fragment:
        """Which scales can be used, which items to review, how many persons."""
        fit = self._cfa_fit_flags() if self.factor_analysis else None
        sentences = describe_reliability({self.label(c): r.raw_alpha for c, r in self.results.items()}, self.lang,
                                         flagged=self._flagged_items(), n_persons=self.n_persons(),
                                         waves=len(self.waves) if self.repeated else 1,
                                         last_wave=self.wl(self.last_wave) if self.repeated else None, factor_fit=fit)
        if self.failed:
            sentences.insert(0, t("reliability.failed", self.lang, list=", ".join(self.label(c) for c in self.failed),
                                  n=format_int(self.n_persons(), self.lang)))
        inv = self._invariance().get("result") if self.group else None
        if inv is not None:
            sentences.append(invariance_caution(inv, self.lang, group=self.group))
        return summary(sentences, self.lang)

    def analysis_notes(self) -> Fragment:
        """The results' own warnings (e.g. an item correlating negatively with its scale)."""
        if not self.notes:
            return Fragment("")
        if self.lang != "en":
            # the analysis modules word their notes in English: the report points to the methods
            return note(t("reliability.warn_see_methods", self.lang, k=len(self.notes)))
        return note(t("reliability.warn", self.lang)) + bullets(self.notes)

    def construct_table(self) -> Fragment:
        """Alpha, its interval, omega, ordinal alpha and the verdict per construct."""
        from ..reliability import alpha_band

        lang = self.lang
        rows = []
        for c, res in self.results.items():
            s = res.summary
            om, od = self.omegas.get(c), self.ordinal.get(c)
            rows.append({
                t("reliability.construct", lang): self.label(c), t("reliability.items_n", lang): int(s.n_items),
                t("reliability.n", lang): int(s.n_obs), t("reliability.alpha", lang): float(s.raw_alpha),
                t("reliability.ci", lang, conf=self._conf()): format_interval(s.ci_low, s.ci_high, lang, 2),
                t("reliability.omega", lang): float(om.omega_total) if om is not None else np.nan,
                t("reliability.ord_alpha", lang): float(od.raw_alpha) if od is not None else np.nan,
                t("reliability.band", lang): t(f"reliability.band_{alpha_band(s.raw_alpha)}", lang),
                t("reliability.verdict", lang): t(f"reliability.verdict_{usable(s.raw_alpha)}", lang),
            })
        m = t(f"reliability.ci_{self.ci}", lang)
        cap = (t("reliability.summary_caption", lang, wave=self.wl(self.last_wave), m=m) if self.repeated
               else t("reliability.summary_caption_single", lang, m=m))
        return heading(t("reliability.summary_tab", lang)) + table(
            pd.DataFrame(rows), lang, caption=cap, min_cell=self.min_cell, count=t("reliability.n", lang),
            align_left=[t("reliability.construct", lang), t("reliability.band", lang), t("reliability.verdict", lang)])

    def waves_table(self) -> Fragment:
        """Repeated waves: alpha of each construct per wave (waves under ``min_cell`` persons left out)."""
        # only raw alpha is shown: the full item analysis of each wave would be computed to be dropped
        from ..reliability import raw_alpha
        from ..reliability._matrix import _as_matrix

        if not self.repeated:
            return Fragment("")
        lang = self.lang
        # each construct's answers as one float frame (NA as NaN, the numbers alpha itself reads),
        # checked once: a wave is then a row selection of it, not a selection and conversion of
        # the whole table per wave and construct
        scales: dict[str, tuple[pd.DataFrame, list[str]] | None] = {}
        for c in self.constructs:
            try:
                items = [i.name for i in self.inst.items_of(c)]
                scales[c] = (pd.DataFrame(_as_matrix(self.df[items], "alpha")[0], columns=items),
                             self.inst.reverse_items(c))
            except (SurveyError, ValueError, TypeError, KeyError):
                scales[c] = None
        rows = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for w in self.waves:
                in_wave = (self.df[self.wave_col] == w).to_numpy(dtype=bool, na_value=False)
                n = int(in_wave.sum())
                row: dict[str, Any] = {t("reliability.wave", lang): self.wl(w), t("reliability.n", lang): n}
                for c in self.constructs:
                    scale = scales[c]
                    try:
                        row[self.label(c)] = (raw_alpha(scale[0][in_wave], keys=scale[1])
                                              if scale is not None and n >= self.min_cell else np.nan)
                    except (SurveyError, ValueError, TypeError, KeyError):
                        row[self.label(c)] = np.nan
                rows.append(row)
        return heading(t("reliability.waves_tab", lang)) + table(
            pd.DataFrame(rows), lang, caption=t("reliability.waves_caption", lang, m=self.min_cell), min_cell=self.min_cell,
            count=t("reliability.n", lang), align_left=[t("reliability.wave", lang)])

    def multilevel_table(self) -> Fragment:
        """Repeated waves: RkR and Rc per construct (psych's multilevel.reliability)."""
        if not self.repeated:
            return Fragment("")
        try:
            from ..reliability import multilevel
        except ImportError:  # an older workbench without multilevel reliability
            return Fragment("")
        lang = self.lang
        rows, n_used = [], None
        who = self.df[[self.id_col, self.wave_col]]
        twice = who[who.duplicated(keep=False)][self.id_col].nunique()
        if twice:
            # a person who answered twice in one wave (after two trainings) has no single answer for
            # that wave; the coefficients need one, and choosing one would be the analyst's decision
            return heading(t("reliability.multilevel_tab", lang)) + note(
                t("reliability.ml_twice", lang, n=format_int(twice, lang)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for c in self.constructs:
                items = [i.name for i in self.inst.items_of(c)]
                if len(items) < 2:
                    continue
                scale = self.inst.scale_of(self.inst.item(items[0]))
                x = self.df[items].to_numpy(dtype=float, na_value=np.nan)
                keyed = [items.index(i) for i in self.inst.reverse_items(c)]
                # reversed first, as psych expects: (min + max) - x
                x[:, keyed] = (scale.min + scale.max) - x[:, keyed]
                d = pd.concat([who, pd.DataFrame(x, columns=items, index=self.df.index)], axis=1)
                try:
                    r = multilevel(d, id=self.id_col, time=self.wave_col, items=items)
                except (SurveyError, ValueError, np.linalg.LinAlgError):
                    continue
                if r.n_obs < self.min_cell:
                    continue
                n_used = r.n_obs if n_used is None else n_used
                rows.append({t("reliability.construct", lang): self.label(c), t("reliability.ml_persons", lang): int(r.n_obs),
                             t("reliability.ml_rkr", lang): float(r.summary.get("RkR", np.nan)),
                             t("reliability.ml_rc", lang): float(r.summary.get("Rc", np.nan))})
        if not rows:
            return Fragment("")
        return (heading(t("reliability.multilevel_tab", lang))
                + paragraph(t("reliability.multilevel_text", lang, n=format_int(n_used or 0, lang), w=len(self.waves)))
                + table(pd.DataFrame(rows), lang, align_left=[t("reliability.construct", lang)]))

    def item_analysis(self) -> Fragment:
        """Per construct: the item table (flags explained) and the answer distribution."""
        from ..plots.reliability import likert_shares

        lang = self.lang
        out = Fragment("")
        first = next(iter(self.results), None)
        for c, res in self.results.items():
            it, f = res.items, self.flags[c]
            notes = []
            for name in it.index:
                parts = []
                if f.loc[name, "low_r_drop"]:
                    parts.append(t("reliability.flag_low", lang, m=format_number(self.min_r_drop, lang, 2)))
                if f.loc[name, "alpha_rises"]:
                    parts.append(t("reliability.flag_rise", lang))
                notes.append("; ".join(parts))
            tab = pd.DataFrame({
                t("reliability.item", lang): list(it.index),
                t("reliability.statement", lang): [self.inst.label(i, lang) for i in it.index],
                t("reliability.reversed", lang): [t("common.yes", lang) if r else "" for r in it["reversed"]],
                t("reliability.n", lang): it["n"].astype(int).to_numpy(), t("reliability.mean", lang): it["mean"].to_numpy(),
                t("reliability.sd", lang): it["sd"].to_numpy(), t("reliability.r_drop", lang): it["r_drop"].to_numpy(),
                t("reliability.alpha_drop", lang): it["raw_alpha_drop"].to_numpy(), t("reliability.note", lang): notes})
            out += heading(t("reliability.items_title", lang, c=self.label(c)))
            out += table(tab, lang, caption=t("reliability.items_caption", lang),
                         align_left=[t("reliability.item", lang), t("reliability.statement", lang), t("reliability.note", lang)])
            # long statements: a chart drawn in HTML keeps them readable on a phone
            sh = likert_shares(self.head_df, list(it.index), instrument=self.inst, lang=lang, label_width=None)
            shares = sh.percent.set_axis([str(sh.options[v]) for v in sh.percent.columns], axis=1)
            shares.index = [sh.labels[i] for i in sh.percent.index]
            out += stacked_bar_table(shares, lang, colours=sh.colours, offset=sh.left.set_axis(shares.index),
                                     legend_title=t("reliability.dist_values", lang) if sh.legend_title else None,
                                     head=t("reliability.item", lang),
                                     caption=t("reliability.dist_title", lang, c=self.label(c)))
            if c == first:  # how to read the chart, under the first one
                out += paragraph(t("reliability.dist_note", lang), cls="survey-caption")
        return out

    def correlations(self) -> Fragment:
        """Inter-item correlations (pairwise-complete Pearson), the lower triangle as a heat table
        with a line between constructs."""
        from ..plots.reliability import lower_correlations

        lang = self.lang
        items = [i.name for c in self.results for i in self.inst.items_of(c)]
        if len(items) < 2:
            return Fragment("")
        lower = lower_correlations(self.head_df, items)
        labels = {i: i + (" (R)" if self.inst.item(i).reverse else "") for i in items}
        lower = lower.rename(index=labels, columns=labels)
        groups = {labels[i]: self.inst.item(i).construct for i in items}
        return heading(t("reliability.heat_title", lang)) + heat_table(
            lower, lang, cmap="RdBu_r", vmin=-1.0, vmax=1.0, center=0.0, caption=t("reliability.heat_caption", lang),
            key=t("reliability.heat_key", lang), groups=groups)

    # factor analysis, computed once on first use
    def _factor(self) -> dict:
        if "_fa" in self.__dict__:
            return self.__dict__["_fa"]
        from ..reliability import bartlett, cfa, efa, kmo

        out: dict[str, Any] = {}
        items = [i.name for c in self.constructs for i in self.inst.items_of(c)]
        d = self.head_df[items]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out["kmo"], out["bartlett"] = kmo(d), bartlett(d)
                out["efa"] = efa(d, nfactors=len(self.constructs) if len(self.constructs) > 1 else None,
                                 rotation="oblimin", seed=self.seed)
            except (SurveyError, ValueError, np.linalg.LinAlgError) as exc:
                out["efa_error"] = str(exc)
            model = "\n".join(f"{c} =~ " + " + ".join(i.name for i in self.inst.items_of(c))
                              for c in self.constructs if len(self.inst.items_of(c)) >= 2)
            try:
                res = cfa(self.head_df, model, keys=[k for c in self.constructs for k in self.inst.reverse_items(c)])
                if not res.converged:
                    out["cfa_error"] = "no convergence" if self.lang == "en" else "tidak konvergen"
                else:
                    out["cfa"] = res
            except (SurveyError, ValueError, np.linalg.LinAlgError) as exc:
                out["cfa_error"] = str(exc)
        self.__dict__["_fa"] = out
        return out

    def _cfa_fit_flags(self) -> dict | None:
        from ..reliability import fit_meets_cutoffs

        res = self._factor().get("cfa")
        if res is None or not res.fit.get("df", 0) > 0:
            return None
        return fit_meets_cutoffs(res.fit)

    def factor_analysis_section(self) -> Fragment:
        """EFA (factors named after the construct their items belong to) and CFA (rows used, AVE read)."""
        from ..reliability import kmo_band

        if not self.factor_analysis or not self.results:
            return Fragment("")
        lang = self.lang
        fa = self._factor()
        out = Fragment("")
        if "efa" in fa and np.isfinite(fa["kmo"].kmo) and np.isfinite(fa["bartlett"].chisq):
            e, k, b = fa["efa"], fa["kmo"], fa["bartlett"]
            p = format_pvalue(b.pvalue, lang)
            p = p if p.startswith("<") else "= " + p
            load = e.loadings.copy()
            names = _factor_names(load, {i.name: self.label(i.construct) for c in self.constructs for i in self.inst.items_of(c)}, lang)
            load.columns = names
            load[t("reliability.h2", lang)] = e.communalities["h2"]
            load.index = [i + (" (R)" if self.inst.item(i).reverse else "") for i in load.index]
            tab = load.reset_index().rename(columns={"index": t("reliability.item", lang)})
            out += heading(t("reliability.fa_title", lang)) + paragraph(t(
                "reliability.fa_intro", lang, k=len(e.loadings), f=e.nfactors, kmo=format_number(k.kmo, lang, 2),
                kmo_band=t(f"reliability.kmo_{kmo_band(k.kmo)}", lang), df=b.df, chi=format_number(b.chisq, lang, 1), p=p))
            out += table(tab, lang, caption=t("reliability.fa_loadings", lang), align_left=[t("reliability.item", lang)])
        out += heading(t("reliability.cfa_title", lang))
        if "cfa" not in fa:
            return out + note(t("reliability.cfa_failed", lang, why=fa.get("cfa_error", "")))
        res = fa["cfa"]
        wave_note = t("reliability.cfa_wave_note", lang) if self.repeated else ""
        out += paragraph(t("reliability.cfa_intro", lang, n=format_int(res.n_obs, lang), total=format_int(len(self.head_df), lang),
                           wave_note=wave_note))
        f = res.fit
        if not f.get("df", 0) > 0:
            return out + note(t("reliability.cfa_saturated", lang))
        fit = pd.DataFrame([{"χ²": float(f.chisq), "df": int(f.df), "p": format_pvalue(f.pvalue, lang), "CFI": float(f.cfi),
                             "TLI": float(f.tli), "RMSEA": float(f.rmsea), "SRMR": float(f.srmr)}])
        out += table(fit, lang, caption=t("reliability.cfa_fit", lang), digits={"χ²": 1, "CFI": 3, "TLI": 3, "RMSEA": 3, "SRMR": 3})
        rel = res.reliability.copy()
        rel.index = [self.label(c) if c in self.inst.constructs else c for c in rel.index]
        rel = rel.rename(columns={"omega": "ω", "cr": t("reliability.cr", lang), "ave": t("reliability.ave", lang)})
        out += table(rel.reset_index().rename(columns={"index": t("reliability.factor", lang)}), lang,
                     caption=t("reliability.cfa_rel", lang), align_left=[t("reliability.factor", lang)])
        if "ave" in res.reliability.columns:
            ave = res.reliability["ave"]
            ok = [self.label(c) for c, v in ave.items() if v >= 0.5 and c in self.inst.constructs]
            low = [self.label(c) for c, v in ave.items() if v < 0.5 and c in self.inst.constructs]
            out += paragraph(t("reliability.ave_ok", lang, list=", ".join(ok)) if ok else "",
                             t("reliability.ave_low", lang, list=", ".join(low)) if low else "")
        return out

    # measurement invariance across the groups of ``group``, computed once on first use
    def _invariance(self) -> dict:
        if "_inv" in self.__dict__:
            return self.__dict__["_inv"]
        from ..reliability import invariance

        out: dict[str, Any] = {}
        self.__dict__["_inv"] = out
        if not self.group:
            return out
        if self.group not in self.head_df.columns:
            out["error"] = "no_column"
            return out
        constructs = [c for c in self.constructs if len(self.inst.items_of(c)) >= 2]
        items = [i.name for c in constructs for i in self.inst.items_of(c)]
        if not items:
            out["error"] = "no_model"
            return out
        model = "\n".join(f"{c} =~ " + " + ".join(i.name for i in self.inst.items_of(c)) for c in constructs)
        keys = [k for c in constructs for k in self.inst.reverse_items(c)]
        ordinal = _likert(self.inst, items)
        out["estimator"] = "WLSMV" if ordinal else "ML"
        d = self.head_df[[*items, self.group]].dropna()
        d = d.assign(**{self.group: d[self.group].astype(str)})
        # a group needs min_cell persons (small-cell rule) and more complete rows than items (to fit)
        min_n = max(int(self.min_cell), len(items) + 1)
        out["min_n"] = min_n
        sizes = d[self.group].value_counts()
        small = [str(g) for g in sizes.index if sizes[g] < min_n]
        out["dropped"] = sorted(small)
        d = d[~d[self.group].isin(small)]
        if d[self.group].nunique() < 2:
            out["error"] = "too_few"
            out["n_groups"] = int(d[self.group].nunique())
            return out
        if ordinal:
            d, out["merged"] = _merge_empty_categories(d, items, self.group)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-convergence is kept in the result's warnings
            try:
                out["result"] = invariance(d, model, self.group, ordered=True if ordinal else None,
                                           estimator=out["estimator"], keys=keys)
            except (SurveyError, ValueError, np.linalg.LinAlgError) as exc:
                out["error"] = "failed"
                out["why"] = str(exc)
        return out

    def invariance_section(self) -> Fragment:
        """Configural, metric, scalar (and strict) invariance of the construct model across ``group``:
        one row per level, one verdict sentence per level; small groups left out and said so."""
        if not self.group:
            return Fragment("")
        lang = self.lang
        inv = self._invariance()
        out = heading(t("reliability.inv_title", lang, group=self.group))
        if inv.get("dropped"):
            out += note(t("reliability.inv_dropped", lang, m=format_int(inv["min_n"], lang), list=", ".join(inv["dropped"])))
        err = inv.get("error")
        if err == "no_column":
            return out + note(t("reliability.inv_no_column", lang, group=self.group))
        if err == "no_model":
            return out + note(t("reliability.inv_no_model", lang))
        if err == "too_few":
            return out + note(t("reliability.inv_too_few", lang, group=self.group, k=inv.get("n_groups", 0),
                                m=format_int(inv["min_n"], lang)))
        if err == "failed":
            return out + note(t("reliability.inv_failed", lang, why=inv.get("why", "")))
        res = inv["result"]
        groups = ", ".join(f"{g} ({format_int(n, lang)})" for g, n in _group_sizes(self, res).items())
        out += paragraph(t("reliability.inv_intro", lang, group=self.group, k=len(res.groups), list=groups,
                           n=format_int(res.n_obs, lang)))
        out += table(invariance_table(res, lang), lang, caption=t("reliability.inv_caption", lang),
                     digits={"χ²": 1, "Δχ²": 1, "CFI": 3, "RMSEA": 3, "ΔCFI": 3, t("reliability.inv_df", lang): 0,
                             t("reliability.inv_ddf", lang): 0},
                     align_left=[t("reliability.inv_level", lang), t("reliability.inv_verdict", lang)])
        return out + bullets(describe_invariance(res, lang))

    def methods(self) -> Fragment:
        lang = self.lang
        items = [t("reliability.methods_alpha", lang, conf=self._conf(), m=t(f"reliability.ci_{self.ci}", lang),
                   r=format_number(self.min_r_drop, lang, 2))]
        if self.repeated:
            items.append(t("reliability.methods_waves", lang, w=len(self.waves), n=format_int(self.df[self.id_col].nunique(), lang)))
        items.append(t("reliability.methods_corr", lang))
        if self.factor_analysis:
            items += [t("reliability.methods_efa", lang), t("reliability.methods_cfa", lang)]
        if self.group:
            inv = self._invariance()
            res = inv.get("result")
            if res is not None or inv.get("estimator"):
                est = res.estimator if res is not None else inv["estimator"]
                items.append(t(f"reliability.methods_inv_{'wlsmv' if est == 'WLSMV' else 'ml'}", lang,
                               group=self.group, m=inv.get("min_n", self.min_cell), min_cell=self.min_cell))
                if inv.get("merged"):
                    items.append(t("reliability.methods_inv_merged", lang, list=", ".join(inv["merged"])))
        items.append(t("common.suppressed_note", lang, min_cell=self.min_cell))
        if self.notes and lang != "en":
            items.append(t("reliability.warn_english", lang) + " " + " ".join(self.notes))
        return methods(items, lang)

    def key_figures(self) -> dict:
        out: dict[str, Any] = {"instrument": self.inst.id, "lang": self.lang, "n": self.n_persons(), "ci_method": self.ci}
        if self.repeated:
            out["waves"] = len(self.waves)
            out["wave"] = self.wl(self.last_wave)
        for c, res in self.results.items():
            out[f"alpha_{c}"] = round(float(res.raw_alpha), 3)
            if self.omegas.get(c) is not None:
                out[f"omega_{c}"] = round(float(self.omegas[c].omega_total), 3)
        if self.results:
            out["alpha_min"] = round(min(float(r.raw_alpha) for r in self.results.values()), 3)
        out["n_items_flagged"] = int(sum(int(f["flagged"].sum()) for f in self.flags.values()))
        if self.group and self._invariance().get("result") is not None:
            v = self._invariance()["result"].table["verdict"]
            held = [lv for lv in v.index if v[lv] == "holds"]
            out["invariance_group"] = self.group
            out["invariance_level"] = held[-1] if held else "none"
        if self.factor_analysis and "cfa" in self._factor():
            out["cfa_cfi"] = round(float(self._factor()["cfa"].fit.cfi), 3)
            out["cfa_rmsea"] = round(float(self._factor()["cfa"].fit.rmsea), 3)
        return out


INVARIANCE_LEVELS = ("configural", "metric", "scalar", "strict")


def _level_verdict(res: Any) -> list[tuple[str, str]]:
    """``(level, verdict)`` pairs of an :class:`~survey.reliability.InvarianceResult`'s table."""
    return [(str(lv), str(v)) for lv, v in res.table["verdict"].items()]


def describe_invariance(res: Any, lang: str) -> list[str]:
    """One plain sentence per invariance level of ``res`` (an
    :class:`~survey.reliability.InvarianceResult` or anything with its ``table``): what holding
    (or not holding) that level means; levels after a failed one are "not assessed".

    >>> from types import SimpleNamespace
    >>> tab = pd.DataFrame({"verdict": ["holds", "holds", "does not hold"]}, index=["configural", "metric", "scalar"])
    >>> s = describe_invariance(SimpleNamespace(table=tab), "en")
    >>> s[1]
    'Metric invariance holds: the items measure the construct with the same weights in every group.'
    >>> s[2].startswith("Scalar invariance does not hold")
    True
    """
    check_lang(lang)
    out = []
    for lv, verdict in _level_verdict(res):
        check_choice("level", lv, INVARIANCE_LEVELS)
        if verdict == "holds":
            out.append(t(f"reliability.inv_holds_{lv}", lang))
        elif verdict == "does not hold":
            out.append(t(f"reliability.inv_fails_{lv}", lang))
        else:
            out.append(t("reliability.inv_not_reached", lang, level=t(f"reliability.inv_name_{lv}", lang)))
    return out


def invariance_caution(res: Any, lang: str, *, group: str = "") -> str:
    """The summary sentence when an invariance level does not hold: which comparisons across the
    groups are then not safe (from the first level that fails); ``""`` when every level holds.

    >>> from types import SimpleNamespace
    >>> ok = pd.DataFrame({"verdict": ["holds", "holds"]}, index=["configural", "metric"])
    >>> invariance_caution(SimpleNamespace(table=ok), "id")
    ''
    """
    check_lang(lang)
    for lv, verdict in _level_verdict(res):
        if verdict == "does not hold":
            return t(f"reliability.inv_caution_{lv}", lang, group=group)
    return ""


def invariance_table(res: Any, lang: str) -> pd.DataFrame:
    """The invariance table for the report: level, chi-square, df, CFI, RMSEA (the scaled or robust
    versions named by ``res.cfi_column``), the difference test against the previous level (statistic,
    df, p-value through :func:`format_pvalue`), delta CFI and the verdict, with headers and level
    names from the catalog in ``lang``."""
    check_lang(lang)
    tab = res.table
    cfi = res.cfi_column
    suffix = cfi[len("cfi"):]
    chisq = "chisq_scaled" if suffix and "chisq_scaled" in tab.columns else "chisq"
    rmsea = f"rmsea{suffix}" if f"rmsea{suffix}" in tab.columns else "rmsea"
    verdicts = {"holds": "inv_v_holds", "does not hold": "inv_v_fails"}
    rows = []
    for lv, r in tab.iterrows():
        dp = r.get("delta_pvalue", np.nan)
        rows.append({
            t("reliability.inv_level", lang): t(f"reliability.inv_level_{lv}", lang),
            "χ²": float(r[chisq]), t("reliability.inv_df", lang): float(r["df"]),
            "CFI": float(r[cfi]), "RMSEA": float(r[rmsea]),
            "Δχ²": float(r.get("delta_chisq", np.nan)), t("reliability.inv_ddf", lang): float(r.get("delta_df", np.nan)),
            t("reliability.inv_p", lang): format_pvalue(dp, lang) if dp is not None and np.isfinite(dp) else np.nan,
            "ΔCFI": float(r.get("delta_cfi", np.nan)),
            t("reliability.inv_verdict", lang): t(f"reliability.{verdicts.get(r['verdict'], 'inv_v_not_reached')}", lang),
        })
    return pd.DataFrame(rows)


def _group_sizes(rep: "ReliabilityReport", res: Any) -> dict:
    """Complete rows per group used by the invariance fits, in the result's group order."""
    d = rep.head_df[[i.name for c in rep.constructs if len(rep.inst.items_of(c)) >= 2 for i in rep.inst.items_of(c)]
                    + [rep.group]].dropna()
    counts = d[rep.group].astype(str).value_counts()
    return {str(g): int(counts.get(str(g), 0)) for g in res.groups}


def _likert(inst: Any, items: list[str]) -> bool:
    """True when every item is answered on an ordered response scale (select_one with a scale)."""
    for name in items:
        item = inst.item(name)
        if getattr(item, "type", "select_one") != "select_one":
            return False
        try:
            if inst.scale_of(item) is None:
                return False
        except (SurveyError, KeyError, AttributeError):
            return False
    return True


def _merge_empty_categories(d: pd.DataFrame, items: list[str], group: str) -> tuple[pd.DataFrame, list[str]]:
    """Ordered items need every answer category in every group (equal thresholds): per item, a
    category some group never used is merged into its neighbour (towards the middle of the scale,
    else the rarer neighbour) until every group uses every remaining category. Returns the data
    and the items whose categories were merged.

    >>> d = pd.DataFrame({"x": [1, 2, 3, 3, 2, 2, 3, 3], "g": list("aaaabbbb")})
    >>> m, merged = _merge_empty_categories(d, ["x"], "g")
    >>> sorted(int(v) for v in m["x"].unique()), merged
    ([2, 3], ['x'])
    """
    d = d.copy()
    merged = []
    for item in items:
        changed = False
        while True:
            tab = pd.crosstab(d[group], d[item])
            if tab.shape[1] <= 2 or not (tab == 0).any().any():
                break
            cats = list(tab.columns)
            j = next(k for k, c in enumerate(cats) if (tab[c] == 0).any())
            if j == 0:
                into = cats[1]
            elif j == len(cats) - 1:
                into = cats[-2]
            else:
                into = cats[j - 1] if tab[cats[j - 1]].sum() <= tab[cats[j + 1]].sum() else cats[j + 1]
            d[item] = d[item].where(d[item] != cats[j], into)
            changed = True
        if changed:
            merged.append(item)
    return d, merged


def _factor_names(loadings: pd.DataFrame, construct_of: Mapping[str, str], lang: str) -> list[str]:
    """Name each factor after the construct most of whose items load on it most (|loading| >= 0.30),
    when that construct is clear (a majority) and not already taken; else "Factor i".

    >>> L = pd.DataFrame({"MR1": [0.8, 0.7, 0.1], "MR2": [0.1, 0.2, 0.9]}, index=["a", "b", "c"])
    >>> _factor_names(L, {"a": "Relevansi", "b": "Relevansi", "c": "Aplikabilitas"}, "id")
    ['Relevansi', 'Aplikabilitas']
    """
    names, used = [], set()
    main = loadings.abs().idxmax(axis=1)
    for i, col in enumerate(loadings.columns, start=1):
        mine = [it for it in loadings.index if main[it] == col and abs(loadings.loc[it, col]) >= 0.30]
        counts = pd.Series([construct_of.get(it, "") for it in mine]).value_counts()
        if len(counts) and counts.iloc[0] > len(mine) / 2 and counts.index[0] and counts.index[0] not in used:
            names.append(counts.index[0])
            used.add(counts.index[0])
        else:
            names.append(t("reliability.factor_n", lang, i=i))
    return names
