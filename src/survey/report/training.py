"""The training evaluation report (notebook 03): Kirkpatrick levels 1 (reaction), 2 (learning) and
3 (transfer) of one program.

:func:`describe_training` writes the summary; a transfer estimate whose interval includes zero is
said plainly to be weak evidence, never read as an effect.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .._checks import check_lang
from ..errors import DataError, SurveyError
from ._base import ReportBase
from .catalog import t
from .display import Fragment, estimate_table, figure, header, heading, methods, paragraph, summary, table
from .formatting import format_int, format_p, format_number, format_percent, format_pvalue
from .impact import program_name

__all__ = ["TrainingReport", "describe_training"]


def describe_training(lang: str, *, reaction: pd.DataFrame | None = None, labels: Mapping[str, str] | None = None,
                      learning: Any = None, transfer: pd.Series | None = None, application: pd.Series | None = None,
                      confidence: float = 0.95, true_gain: float | None = None) -> list[str]:
    """Summary sentences for levels 1-3.

    ``reaction``: :func:`survey.impact.training.construct_summary` table (mean, share_agree per
    construct); ``learning``: a :func:`survey.impact.prepost` result; ``transfer``: the
    supervisor-support row of the transfer model (``coef``, ``ci_low``, ``ci_high``);
    ``application``: the application row of the level 3 summary.

    >>> row = pd.Series({"coef": 0.08, "ci_low": -0.05, "ci_high": 0.21})
    >>> describe_training("en", transfer=row)[0][:60]
    'Transfer to the job: these data do not show that supervisor '
    """
    check_lang(lang)
    labels = labels or {}
    out = []
    if reaction is not None and len(reaction):
        r = reaction.dropna(subset=["mean"])
        hi, lo = r["mean"].idxmax(), r["mean"].idxmin()
        out.append(t("training.sum_reaction", lang, hi=labels.get(hi, hi), hv=format_number(r.loc[hi, "mean"], lang, 2),
                     ha=format_percent(r.loc[hi, "share_agree"], lang, 0), lo=labels.get(lo, lo),
                     lv=format_number(r.loc[lo, "mean"], lang, 2), la=format_percent(r.loc[lo, "share_agree"], lang, 0)))
    if learning is not None:
        vals = dict(g=format_number(learning.mean_diff, lang, 2), lo=format_number(learning.ci_low, lang, 2),
                    hi=format_number(learning.ci_high, lang, 2))
        if learning.ci_low > 0:
            out.append(t("training.sum_learning", lang, conf=format_percent(confidence, lang, 0),
                         n=format_int(learning.n, lang), **vals))
        else:
            out.append(t("training.sum_learning_none", lang, **vals))
    if transfer is not None:
        vals = dict(b=format_number(transfer["coef"], lang, 2), lo=format_number(transfer["ci_low"], lang, 2),
                    hi=format_number(transfer["ci_high"], lang, 2))
        strong = transfer["ci_low"] > 0
        out.append(t("training.sum_transfer_strong" if strong else "training.sum_transfer_weak", lang, **vals))
    if application is not None and pd.notna(application.get("mean", np.nan)):
        out.append(t("training.sum_application", lang, m=format_number(application["mean"], lang, 2),
                     a=format_percent(application["share_agree"], lang, 0)))
    if true_gain is not None:
        out.append(t("training.truth_line", lang, t=format_number(true_gain, lang, 2)))
    return out


@dataclass
class TrainingReport(ReportBase):
    """One training evaluation; build it with :meth:`load`, then display its sections."""

    lang: str
    program: str
    r_inst: Any
    react: pd.DataFrame
    reaction_sum: Any
    by_session: Any
    tests: pd.DataFrame | None
    pp: Any
    t_inst: Any
    tr: pd.DataFrame | None
    transfer_sum: Any
    tm: Any
    min_cell: int
    max_comments: int
    true_gain: float | None
    agency: str
    synthetic: Any
    reaction_name: str

    @classmethod
    def load(cls, reaction: str, learning: str = "", transfer: str = "", program: str = "kepemimpinan",
             min_cell: int = 5, max_comments: int = 40, truth: str = "", lang: str = "id",
             agency: str = "") -> "TrainingReport":
        import survey
        from .. import impact
        from ..impact.training import construct_summary
        from ..paths import project_path
        from ..privacy import is_synthetic

        check_lang(lang)
        r_inst = survey.load_instrument("training_reaction")
        react_all = survey.read_responses(project_path(reaction), r_inst)
        if program not in set(react_all["program"].astype(str)):
            raise DataError(f"program {program!r} is not in {Path(reaction).name}; present: "
                            f"{', '.join(sorted(react_all['program'].astype(str).unique()))}")
        react = survey.score(react_all[react_all["program"].astype(str) == program], r_inst)
        rc = list(r_inst.constructs)
        reaction_sum = construct_summary(react, rc)
        by_session = construct_summary(react, rc, by="session_id", min_cell=min_cell) if "session_id" in react else None
        tests = pp = None
        if learning:
            tests = pd.read_csv(project_path(learning))
            tests = tests[tests["program"].astype(str) == program]
            if len(tests.dropna(subset=["pre_score", "post_score"])) >= 2:
                pp = impact.prepost(tests, "pre_score", "post_score")
        t_inst = survey.load_instrument("training_transfer")
        tr = transfer_sum = tm = None
        if transfer:
            tr = survey.read_responses(project_path(transfer), t_inst)
            tr = survey.score(tr[tr["program"].astype(str) == program], t_inst)
            if len(tr):
                transfer_sum = construct_summary(tr, list(t_inst.constructs))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        tm = impact.mixed(tr, "application ~ supervisor_support + opportunity", "unit_id")
                    except (SurveyError, ValueError, np.linalg.LinAlgError):
                        tm = None
        truth_path = project_path(truth) if truth else Path(project_path(learning or reaction)).parent / "truth.json"
        true_gain = None
        if truth_path.is_file():
            true_gain = json.loads(truth_path.read_text(encoding="utf-8")).get("learning_gain", {}).get("population_mean")
        return cls(lang=lang, program=program, r_inst=r_inst, react=react, reaction_sum=reaction_sum, by_session=by_session,
                   tests=tests, pp=pp, t_inst=t_inst, tr=tr, transfer_sum=transfer_sum, tm=tm, min_cell=int(min_cell),
                   max_comments=int(max_comments), true_gain=true_gain, agency=agency, synthetic=is_synthetic(react_all),
                   reaction_name=Path(reaction).name)

    def _conf(self) -> str:
        return format_percent(0.95, self.lang, 0)

    def _support_row(self) -> pd.Series | None:
        if self.tm is None or "supervisor_support" not in self.tm.table.index:
            return None
        r = self.tm.table.loc["supervisor_support"]
        return pd.Series({"coef": float(r.get("coef", r.get("estimate", np.nan))), "ci_low": float(r["ci_low"]),
                          "ci_high": float(r["ci_high"])})

    def header(self) -> Fragment:
        lang = self.lang
        sub = t("training.subtitle", lang, n=format_int(len(self.react), lang), s=format_int(self.react["session_id"].nunique(), lang))
        notice = self.synthetic_notice()
        period = None
        if "wave_label" in self.react.columns:
            w = sorted(self.react["wave_label"].dropna().astype(str).unique())
            period = f"{w[0]}–{w[-1]}" if len(w) > 1 else (w[0] if w else None)
        return notice + header(t("training.title", lang, p=program_name(self.program, lang)), lang, period=period,
                               agency=self.agency or None, subtitle=sub)

    def summary(self) -> Fragment:
        lang = self.lang
        labels = {c: self.r_inst.label(c, lang) for c in self.r_inst.constructs}
        app = None
        if self.transfer_sum is not None and "application" in self.transfer_sum.table.index:
            app = self.transfer_sum.table.loc["application"]
        return summary(describe_training(lang, reaction=self.reaction_sum.table, labels=labels, learning=self.pp,
                                         transfer=self._support_row(), application=app, true_gain=self.true_gain), lang)

    def _construct_table(self, res, inst) -> Fragment:
        lang = self.lang
        tab = res.table.reset_index()
        shown = pd.DataFrame({t("training.construct", lang): [inst.label(c, lang) for c in tab["construct"]],
                              t("training.n", lang): tab["n"].astype(int), t("training.mean", lang): tab["mean"],
                              t("training.sd", lang): tab["sd"],
                              t("training.agree", lang): [format_percent(v, lang, 0) for v in tab["share_agree"]]})
        return table(shown, lang, min_cell=self.min_cell, count=t("training.n", lang), align_left=[t("training.construct", lang)])

    def reaction(self) -> Fragment:
        """Level 1: means and agreement per construct, and per session (small sessions left out)."""
        from ..plots.impact import means_heatmap

        lang = self.lang
        out = heading(t("training.reaction", lang)) + self._construct_table(self.reaction_sum, self.r_inst)
        if self.by_session is not None and len(self.by_session.table):
            wide = self.by_session.table["mean"].unstack("construct")
            wide = wide[[c for c in self.r_inst.constructs if c in wide.columns]]
            wide.columns = [self.r_inst.label(c, lang) for c in wide.columns]
            fig = means_heatmap(wide, title=t("training.by_session", lang, m=self.min_cell), cbar_label=t("training.scale", lang))
            out += figure(fig, lang, t("training.by_session_alt", lang))
        return out

    def learning(self) -> Fragment:
        """Level 2: pre and post test, gain with its interval, per session."""
        from .. import impact
        from ..plots.impact import prepost_plot

        lang = self.lang
        if self.pp is None:
            return Fragment("")
        pp = self.pp
        iv = lambda a, b: f"{format_number(a, lang, 2)} – {format_number(b, lang, 2)}"  # noqa: E731
        rows = [(t("training.pre", lang), format_number(pp.mean_before, lang, 2), ""),
                (t("training.post", lang), format_number(pp.mean_after, lang, 2), ""),
                (t("training.gain", lang), format_number(pp.mean_diff, lang, 2), iv(pp.ci_low, pp.ci_high)),
                (t("training.dz", lang), format_number(pp.d_z, lang, 2), iv(pp.d_z_ci_low, pp.d_z_ci_high))]
        tab = pd.DataFrame(rows, columns=[t("training.stat", lang), t("training.value", lang), t("training.ci", lang, conf=self._conf())])
        out = heading(t("training.learning", lang)) + table(tab, lang, align_left=[t("training.stat", lang)])
        fig = prepost_plot(self.tests, "pre_score", "post_score", title=t("training.pp_title", lang), lang=lang)
        out += figure(fig, lang, t("training.pp_alt", lang, a=format_number(pp.mean_before, lang, 1), b=format_number(pp.mean_after, lang, 1)))
        sess = []
        for sid, g in self.tests.groupby("session_id"):
            ok = g[["pre_score", "post_score"]].dropna()
            if len(ok) >= max(self.min_cell, 3) and (ok["post_score"] - ok["pre_score"]).std() > 0:
                r = impact.prepost(ok, "pre_score", "post_score")
                sess.append({"term": sid, "coef": r.mean_diff, "ci_low": r.ci_low, "ci_high": r.ci_high})
        if sess:
            # a dot on its interval's line per session, drawn as an HTML table (readable on a phone)
            sd = pd.DataFrame(sess)
            out += estimate_table(pd.Series(sd["coef"].to_numpy(dtype=float), index=[str(x) for x in sd["term"]]),
                                  sd["ci_low"], sd["ci_high"], lang, digits=2,
                                  marker=[(0.0, t("training.gain_zero", lang))],
                                  interval_key=t("training.gain_key", lang, conf=self._conf()),
                                  head=(t("training.session", lang), t("training.gain", lang)),
                                  caption=t("training.gain_session", lang))
        return out

    def transfer(self) -> Fragment:
        """Level 3: application, support and opportunity, and the mixed model."""
        lang = self.lang
        if self.transfer_sum is None:
            return Fragment("")
        out = heading(t("training.transfer", lang)) + self._construct_table(self.transfer_sum, self.t_inst)
        if self.tm is not None:
            tab = self.tm.table
            coef = tab["coef"] if "coef" in tab.columns else tab.iloc[:, 0]
            names = {k: (self.t_inst.label(k, lang) if k in self.t_inst.constructs else
                         t("training.intercept", lang) if k.lower() in ("intercept", "const") else k) for k in tab.index}
            keep = [k for k in tab.index if k in names and (k in self.t_inst.constructs or k.lower() in ("intercept", "const"))]
            shown = pd.DataFrame({t("training.term", lang): [names[k] for k in keep],
                                  t("training.estimate", lang): coef.loc[keep].to_numpy(),
                                  t("training.ci", lang, conf=self._conf()): [f"{format_number(a, lang, 3)} – {format_number(b, lang, 3)}"
                                                                             for a, b in zip(tab.loc[keep, "ci_low"], tab.loc[keep, "ci_high"])],
                                  t("training.p", lang): [format_pvalue(p, lang) for p in tab.loc[keep, "pvalue"]]})
            out += table(shown, lang, caption=t("training.tr_model", lang), digits=3, align_left=[t("training.term", lang)])
        return out

    def comments(self) -> Fragment:
        """Free-text comments, scrubbed of identifiers and escaped; repeated comments counted."""
        from .. import privacy

        lang = self.lang
        if "comment" not in self.react.columns:
            return Fragment("")
        com = self.react["comment"].dropna().astype(str).map(privacy.scrub_text)
        com = com[com.str.strip() != ""]
        out = heading(t("training.comments", lang))
        if not len(com):
            return out + paragraph(t("training.none", lang))
        counts = com.value_counts().head(self.max_comments)
        tab = pd.DataFrame({t("training.comment", lang): counts.index, t("training.count", lang): counts.to_numpy()})
        return out + table(tab, lang, align_left=[t("training.comment", lang)])

    def methods(self) -> Fragment:
        lang = self.lang
        items = [t("training.methods_reaction", lang)]
        if self.pp is not None:
            pp = self.pp
            items.append(t("training.methods_learning", lang, df=int(pp.df), t=format_number(pp.t, lang, 2),
                           p=format_p(pp.pvalue, lang), v=format_number(pp.wilcoxon_v, lang, 1),
                           wp=format_p(pp.wilcoxon_p, lang), dz=format_number(pp.d_z, lang, 2),
                           dzlo=format_number(pp.d_z_ci_low, lang, 2), dzhi=format_number(pp.d_z_ci_high, lang, 2),
                           dav=format_number(pp.d_av, lang, 2), gav=format_number(pp.g_av, lang, 2)))
        if self.tm is not None:
            items.append(t("training.methods_transfer", lang, n=format_int(len(self.tr), lang)))
        items.append(t("common.suppressed_note", lang, min_cell=self.min_cell))
        return methods(items, lang)

    def key_figures(self) -> dict:
        out: dict[str, Any] = {"program": self.program, "n_reaction": int(len(self.react))}
        for c, r in self.reaction_sum.table.iterrows():
            out[f"reaction_{c}"] = None if pd.isna(r["mean"]) else round(float(r["mean"]), 3)
        if self.pp is not None:
            out.update({"n_learning": int(self.pp.n), "estimate": round(self.pp.mean_diff, 4),
                        "ci_low": round(self.pp.ci_low, 4), "ci_high": round(self.pp.ci_high, 4), "d_z": round(self.pp.d_z, 4)})
            if self.true_gain is not None:
                out["true_effect"] = float(self.true_gain)
                out["truth_in_ci"] = bool(self.pp.ci_low <= self.true_gain <= self.pp.ci_high)
        sup = self._support_row()
        if sup is not None:
            out["supervisor_support_coef"] = round(float(sup["coef"]), 4)
        return out
