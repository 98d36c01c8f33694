"""The training-needs report (notebook 06): competency gaps per sector and unit, priorities,
recommended trainings (leadership training by position level) and learning hours (JP).

:func:`describe_needs` writes the summary: the three largest gaps are the largest gaps (by mean
gap), and the top priority is named as the priority (mean gap x share of staff with a gap), never
the other way round.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .._checks import check_lang
from ..errors import DataError
from ._base import ReportBase
from .catalog import has, t
from .display import (Fragment, figure, header, heading, heat_table, methods, note, paragraph, summary,
                      table)
from .formatting import format_int, format_number, format_percent

__all__ = ["NeedsReport", "describe_needs", "sector_name", "LEADERSHIP_LEVELS"]

LEADERSHIP_LEVELS: dict[str, str] = {"KPM-PKP": "pengawas", "KPM-PKA": "administrator", "KPM-PKN2": "jpt_pratama"}
"""The position level each leadership program of the built-in catalogue is for (PKP: pengawas,
PKA: administrator, PKN II: JPT pratama)."""


def sector_name(code: Any, lang: str) -> str:
    """A sector's name for a reader.

    >>> sector_name("kesehatan", "en"), sector_name("all", "id")
    ('Health', 'semua sektor')
    """
    if code == "all":
        return t("common.all_sectors", lang)
    key = f"common.sector_{code}"
    return t(key, lang) if has(key) else str(code)


def describe_needs(summary_table: pd.DataFrame, lang: str, *, labels: Mapping[str, str] | None = None,
                   jp_sentence: str | None = None) -> list[str]:
    """Summary sentences: the three largest gaps (by ``mean_gap``), the top priority (by
    ``priority_score``) named as priority, how many pairs are high priority, and the JP sentence.

    ``summary_table`` has columns sector, competency, mean_gap, share_gap, priority, priority_score.

    >>> s = pd.DataFrame({"sector": ["kesehatan", "kesehatan", "pendidikan"],
    ...                   "competency": ["A", "B", "C"], "mean_gap": [1.6, 1.2, 0.4],
    ...                   "share_gap": [0.3, 0.9, 0.2], "priority": ["medium", "high", "low"],
    ...                   "priority_score": [0.48, 1.08, 0.08]})
    >>> out = describe_needs(s, "en")
    >>> out[0].startswith("The three largest competency gaps: A in Health (mean 1.60")
    True
    >>> out[1]
    'Top priority (a large gap shared by many staff): **B** in Health.'
    """
    check_lang(lang)
    labels = labels or {}
    s = summary_table.dropna(subset=["mean_gap"])
    s = s[s["mean_gap"] > 0]
    if not len(s):
        return [t("needs.no_gap", lang)] + ([jp_sentence] if jp_sentence else [])
    largest = s.sort_values("mean_gap", ascending=False).head(3)
    items = [t("needs.gap_item", lang, c=labels.get(r["competency"], r["competency"]), s=sector_name(r["sector"], lang),
               g=format_number(r["mean_gap"], lang, 2), p=format_percent(r["share_gap"], lang, 0))
             for _, r in largest.iterrows()]
    out = [t("needs.top_gaps", lang, list="; ".join(items))]
    top = s.sort_values("priority_score", ascending=False).iloc[0]
    first = largest.iloc[0]
    if (top["sector"], top["competency"]) == (first["sector"], first["competency"]):
        out.append(t("needs.top_priority_same", lang))
    else:
        out.append(t("needs.top_priority", lang, c=labels.get(top["competency"], top["competency"]),
                     s=sector_name(top["sector"], lang)))
    n_high = int((s["priority"] == "high").sum())
    if n_high:
        out.append(t("needs.n_high", lang, k=format_int(n_high, lang)))
    if jp_sentence:
        out.append(jp_sentence)
    return out


@dataclass
class NeedsReport(ReportBase):
    """One training-needs report; build it with :meth:`load`, then display its sections."""

    lang: str
    df: pd.DataFrame
    res: Any
    res_view: Any
    cat: dict
    clabel: dict
    sector: str
    threshold: int
    mean_cut: float
    share_cut: float
    min_cell: int
    jp_floor: float
    catalog_name: str
    data_name: str
    records_name: str
    rec_df: pd.DataFrame | None
    jp_res: Any
    jp_complete: Any
    complete_years: list
    partial_years: list
    inst: Any
    agency: str
    synthetic: Any

    @classmethod
    def load(cls, data: str, instrument: str = "competency_needs", records: str = "", catalog: str = "",
             sector: str = "all", threshold: int = 1, mean_cut: float = 1.0, share_cut: float = 0.5,
             jp_floor: float = 20, first_year: int = 2024, waves_per_year: int = 2, min_cell: int = 5,
             lang: str = "id", agency: str = "") -> "NeedsReport":
        """Read the competency-needs file (and the training records), compute gaps per sector and JP."""
        import survey
        from .. import needs
        from ..paths import project_path
        from ..privacy import is_synthetic

        check_lang(lang)
        inst = survey.load_instrument(instrument)
        data_path = project_path(data)
        df = survey.read_responses(data_path, inst)
        if sector != "all":
            if sector not in set(df["sector"]):
                raise DataError(f"sector {sector!r} is not in {data_path.name}; sectors: {', '.join(sorted(df['sector'].unique()))}")
            df = df[df["sector"] == sector].copy()
        cat = needs.load_catalog(project_path(catalog) if catalog else None)
        clabel = {c: v[lang] for c, v in cat["competencies"].items()}
        res = needs.needs(df, by="sector", threshold=threshold, mean_cut=mean_cut, share_cut=share_cut, instrument=inst)
        res_view = _view(res, _relevant(res.summary, cat))
        rec_df = jp_res = jp_complete = None
        complete_years: list = []
        partial: list = []
        if records:
            rec_df = pd.read_csv(project_path(records))
            if sector != "all" and "sector" in rec_df.columns:
                rec_df = rec_df[rec_df["sector"] == sector]
            if "year" not in rec_df.columns:
                rec_df["year"] = first_year + (rec_df["wave"].astype(int) - 1) // waves_per_year
            waves_in_year = rec_df.groupby("year")["wave"].nunique() if "wave" in rec_df.columns else None
            staff = df[["employee_id", "unit_id", "sector"]].drop_duplicates("employee_id")
            rec_df = rec_df[rec_df["employee_id"].isin(staff["employee_id"])]
            jp_res = needs.jp_summary(rec_df, staff, period="year", floor=jp_floor)
            years = sorted(jp_res.per_employee["year"].unique())
            complete_years = [y for y in years if waves_in_year is None or waves_in_year.get(y, 0) >= waves_per_year]
            partial = [y for y in years if y not in complete_years]
            # the summary and the histogram count complete years only; the table marks the others
            jp_complete = needs.jp_summary(rec_df[rec_df["year"].isin(complete_years)], staff, period="year",
                                           floor=jp_floor) if complete_years else None
        return cls(lang=lang, df=df, res=res, res_view=res_view, cat=cat, clabel=clabel, sector=sector,
                   threshold=threshold, mean_cut=mean_cut, share_cut=share_cut, min_cell=int(min_cell), jp_floor=jp_floor,
                   catalog_name=Path(catalog).name if catalog else t("needs.builtin", lang), data_name=Path(data_path).name,
                   records_name=Path(records).name if records else "", rec_df=rec_df, jp_res=jp_res, jp_complete=jp_complete,
                   complete_years=complete_years, partial_years=partial, inst=inst, agency=agency,
                   synthetic=is_synthetic(df))

    def _jp_sentence(self) -> str | None:
        if self.jp_complete is None or not len(self.jp_complete.per_employee):
            return None
        return t("needs.jp_summary", self.lang, years=", ".join(map(str, self.complete_years)),
                 p=format_percent(self.jp_complete.share_below, self.lang, 0), f=format_number(self.jp_floor, self.lang, 0),
                 m=format_number(self.jp_complete.mean_jp, self.lang, 1))

    def header(self) -> Fragment:
        """Synthetic-data notice and the report header."""
        lang = self.lang
        sub = t("needs.subtitle", lang, n=format_int(len(self.df), lang), u=format_int(self.df["unit_id"].nunique(), lang),
                s=sector_name(self.sector, lang))
        notice = self.synthetic_notice()
        period = ", ".join(map(str, self.complete_years + self.partial_years)) or None
        return notice + header(t("needs.title", lang), lang, period=period, agency=self.agency or None, subtitle=sub)

    def summary(self) -> Fragment:
        """Largest gaps, top priority, JP against the floor."""
        s = self.res_view.summary.reset_index()
        return summary(describe_needs(s, self.lang, labels=self.clabel, jp_sentence=self._jp_sentence()), self.lang)

    def _prio(self, p: Any) -> str:
        return t(f"needs.prio_{p}", self.lang) if p in ("high", "medium", "low") else ""

    def sector_table(self) -> Fragment:
        """Gap per sector and competency (competencies the catalogue lists for the sector)."""
        lang = self.lang
        s = self.res_view.summary.reset_index()
        tab = pd.DataFrame({
            t("needs.sector", lang): s["sector"].map(lambda x: sector_name(x, lang)),
            t("needs.comp", lang): s["competency"].map(lambda c: self.clabel.get(c, c)), t("needs.n", lang): s["n"].astype(int),
            t("needs.req", lang): s["mean_req"], t("needs.cur", lang): s["mean_cur"], t("needs.gap", lang): s["mean_gap"],
            t("needs.share", lang): s["share_gap"].map(lambda v: format_percent(v, lang, 0)),
            t("needs.prio", lang): s["priority"].map(self._prio)})
        cap = t("needs.caption", lang, m=format_number(self.mean_cut, lang, 1), s=format_percent(self.share_cut, lang, 0))
        return heading(t("needs.sector_tab", lang)) + table(tab, lang, caption=cap, min_cell=self.min_cell,
                                                            count=t("needs.n", lang),
                                                            align_left=[t("needs.sector", lang), t("needs.comp", lang)])

    def figures(self) -> Fragment:
        """Gap per sector and competency as a heat table, and the priority matrix."""
        from ..plots.needs import priority_matrix

        lang = self.lang
        s = self.res_view.summary.reset_index()
        if not len(s):
            return Fragment("")
        top = s.sort_values("mean_gap", ascending=False).iloc[0]
        out = heading(t("needs.heat", lang))
        out += self._gap_table(self.res_view, lambda code: sector_name(code, lang),
                               t("needs.heat_caption", lang, c=self.clabel.get(top["competency"], top["competency"]),
                                 s=sector_name(top["sector"], lang), g=format_number(top["mean_gap"], lang, 2)))
        out += figure(priority_matrix(self.res_view, labels=self.clabel, lang=lang, title=t("needs.matrix", lang)), lang,
                      t("needs.matrix_alt", lang))
        return out

    def _gap_table(self, result: Any, row_name: Any, caption: str) -> Fragment:
        """Mean gap, groups (rows) by competencies (columns), coloured from 0 to the largest gap
        (at least 1.5 levels, so that small gaps stay pale)."""
        gap = result.summary["mean_gap"].unstack("competency")
        gap = gap[[c for c in result.competencies if c in gap.columns]]
        gap.columns = [self.clabel.get(c, c) for c in gap.columns]
        gap.index = [" / ".join(row_name(v) for v in i) if isinstance(i, tuple) else row_name(i) for i in gap.index]
        top = float(np.nanmax(gap.to_numpy(dtype=float))) if gap.notna().to_numpy().any() else 0.0
        return heat_table(gap, self.lang, cmap="Reds", vmin=0.0, vmax=max(1.5, top), caption=caption,
                          key=t("needs.gap_key", self.lang))

    def recommendations(self) -> Fragment:
        """Trainings from the catalogue for medium and high priorities; leadership by position level."""
        from .. import needs

        lang = self.lang
        rec = needs.recommend(self.res, catalog=self.cat, lang=lang)
        trainings = self.cat.get("trainings", {})
        rows = []
        for _, r in rec.iterrows():
            ids = [i.strip() for i in str(r.get("training_ids") or "").split(",") if i.strip()]
            names = []
            for i in ids:
                label = trainings.get(i, {}).get("label", {}).get(lang, i)
                level = LEADERSHIP_LEVELS.get(i)
                names.append(f"{label} – {t(f'needs.level_{level}', lang)}" if level else label)
            rows.append({t("needs.sector", lang): sector_name(r["sector"], lang), t("needs.comp", lang): r["competency_label"],
                         t("needs.gap", lang): float(r["mean_gap"]),
                         t("needs.prio", lang): r["priority_label"],
                         t("needs.trainings", lang): "; ".join(names),
                         t("needs.jp_first", lang): np.nan if pd.isna(r["jp_first"]) else int(r["jp_first"])})
        tab = pd.DataFrame(rows)
        return heading(t("needs.rec", lang)) + table(tab, lang, caption=t("needs.rec_caption", lang, cat=self.catalog_name),
                                                     align_left=[t("needs.sector", lang), t("needs.comp", lang), t("needs.trainings", lang)])

    def unit_heatmap(self) -> Fragment:
        """Gap per unit as a heat table, units with fewer than ``min_cell`` respondents left out and counted."""
        from .. import needs

        lang = self.lang
        res_unit = needs.needs(self.df, by="unit_id", threshold=self.threshold, mean_cut=self.mean_cut,
                               share_cut=self.share_cut, instrument=self.inst)
        n_unit = self.df.groupby("unit_id").size()
        keep = n_unit.index[n_unit >= self.min_cell]
        sub = _relevant(res_unit.summary, self.cat)
        sub = sub[sub.index.get_level_values("unit_id").isin(keep)]
        out = Fragment("")
        if len(sub):
            out += heading(t("needs.heat_unit", lang))
            out += self._gap_table(_view(res_unit, sub), str, t("needs.heat_unit_caption", lang, m=self.min_cell))
        if len(keep) < len(n_unit):
            out += note(t("needs.unit_note", lang, k=len(n_unit) - len(keep), m=self.min_cell))
        return out

    def jp_section(self) -> Fragment:
        """JP per employee-year against the floor: text, table per unit and year, histogram."""
        from ..plots.needs import jp_histogram

        lang = self.lang
        if self.jp_res is None:
            return note(t("needs.no_records", lang))
        out = heading(t("needs.jp", lang))
        sentence = self._jp_sentence()
        if sentence:
            out += paragraph(sentence)
        if self.partial_years:
            out += note(t("needs.jp_partial", lang, years=", ".join(map(str, self.partial_years))))
        bu = self.jp_res.by_unit.reset_index()
        bu = bu[bu["n_employees"] >= self.min_cell]
        ylab = {y: (str(y) if y in self.complete_years else t("needs.incomplete", lang, y=y)) for y in bu["year"].unique()}
        wide = bu.assign(year=bu["year"].map(ylab)).pivot(index="unit_id", columns="year", values="share_below")
        wide = wide.map(lambda v: format_percent(v, lang, 0)).reset_index().rename(columns={"unit_id": t("needs.unit", lang)})
        out += table(wide, lang, caption=t("needs.below_caption", lang, f=format_number(self.jp_floor, lang, 0)),
                     align_left=[t("needs.unit", lang)])
        if self.jp_complete is not None and len(self.jp_complete.per_employee):
            fig = jp_histogram(self.jp_complete, lang=lang, title=t("needs.jp", lang))
            out += figure(fig, lang, t("needs.jp_alt", lang, f=format_number(self.jp_floor, lang, 0),
                                       p=format_percent(self.jp_complete.share_below, lang, 0)))
        return out

    def methods(self) -> Fragment:
        lang = self.lang
        items = [t("needs.methods_data", lang, file=self.data_name, n=format_int(len(self.df), lang),
                   u=format_int(self.df["unit_id"].nunique(), lang), th=self.threshold),
                 t("needs.methods_priority", lang, m=format_number(self.mean_cut, lang, 1), s=format_percent(self.share_cut, lang, 0))]
        if self.jp_res is not None:
            items.append(t("needs.methods_jp", lang, file=self.records_name, f=format_number(self.jp_floor, lang, 0)))
        items.append(t("common.suppressed_note", lang, min_cell=self.min_cell))
        return methods(items, lang)

    def key_figures(self) -> dict:
        s = self.res_view.summary.reset_index()
        s = s.dropna(subset=["mean_gap"])
        out: dict[str, Any] = {"sector": self.sector, "n": int(len(self.df)), "n_units": int(self.df["unit_id"].nunique()),
                               "n_high_priority": int((s["priority"] == "high").sum())}
        if len(s):
            largest = s.sort_values("mean_gap", ascending=False).iloc[0]
            top = s.sort_values("priority_score", ascending=False).iloc[0]
            out.update({"largest_gap_competency": str(largest["competency"]), "largest_gap": round(float(largest["mean_gap"]), 3),
                        "top_priority_competency": str(top["competency"]), "top_priority_sector": str(top["sector"])})
        if self.jp_complete is not None and len(self.jp_complete.per_employee):
            out["share_below_jp_floor"] = round(self.jp_complete.share_below, 3)
            out["mean_jp_per_year"] = round(self.jp_complete.mean_jp, 1)
        return out


def _relevant(summary_table: pd.DataFrame, cat: Mapping) -> pd.DataFrame:
    """Rows whose competency the catalogue lists for the row's sector (and any it does not know)."""
    from .. import needs

    f = summary_table.reset_index()
    if "sector" not in f.columns:
        return summary_table
    keep = [c not in cat["competencies"] or c in needs.sector_competencies(cat, sec)
            for c, sec in zip(f["competency"], f["sector"])]
    return summary_table[np.array(keep, dtype=bool)]


def _view(result, summary_table):
    """The same result restricted to some summary rows (for tables and figures)."""
    comps = tuple(c for c in result.competencies if c in set(summary_table.index.get_level_values("competency")))
    return dataclasses.replace(result, summary=summary_table, competencies=comps)
