"""The SKM report (notebook 05): a city report (``unit="all"``) or the report of one service unit.

:class:`SKMReport` loads the data once and returns one section per method, each an escaped
:class:`~survey.report.display.Fragment`; a section that does not apply (a city section in a unit
report, anything about a unit with fewer than ``min_cell`` respondents) returns an empty fragment or a
plain message, so sections can be reordered or deleted in the notebook. The conclusion sentences come
from :func:`describe_ikm` and :func:`describe_city`, tested on constructed cases.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_choice, check_lang
from ..errors import DataError, ParameterError
from ._base import ReportBase
from .catalog import t
from .display import Fragment, bar_table, bullets, figure, header, heading, key_values, methods, note, paragraph, summary, table
from .formatting import format_int, format_p, format_number, format_percent

__all__ = ["SKMReport", "describe_ikm", "describe_city", "parse_waves"]


def parse_waves(w: Any) -> list[int] | None:
    """``"all"``, a list, or a list that arrived as a text (``"[4, 5]"``, ``"4,5"``) -> list of ints or None.

    >>> parse_waves("all"), parse_waves("[4, 5]"), parse_waves("4,5"), parse_waves(3)
    (None, [4, 5], [4, 5], [3])
    """
    if w is None or w == "all" or w == "":
        return None
    if isinstance(w, str):
        try:
            w = json.loads(w)
        except json.JSONDecodeError:
            w = [x for x in w.replace(";", ",").split(",") if x.strip()]
    if isinstance(w, (int, float)):
        w = [w]
    try:
        return [int(x) for x in w]
    except (TypeError, ValueError):
        raise ParameterError(f"waves={w!r}: give 'all' or a list of wave numbers such as [4, 5]") from None


def describe_ikm(row: pd.Series, lang: str, *, name: str, wave: str, previous: pd.Series | None = None,
                 prev_wave: str | None = None, significant: bool | None = None,
                 weakest: list[tuple[str, float]] = (), min_cell: int = 5) -> list[str]:
    """The summary sentences of one unit's IKM: value on 25-100 with mutu and kinerja, its interval,
    the change since the previous wave, the weakest unsur, the sample size.

    ``row`` is a row of ``IKMResult.summary`` (``n``, ``ikm_unit``, ``mutu``, ``kinerja``,
    ``ci_low_unit``, ``ci_high_unit``, optionally ``n_required`` and ``population``). A unit with
    fewer than ``min_cell`` respondents gets one sentence saying why it is not reported.

    >>> row = pd.Series({"n": 40, "ikm_unit": 69.125, "mutu": "C", "kinerja": "Kurang Baik",
    ...                  "ci_low_unit": 66.1, "ci_high_unit": 72.3})
    >>> describe_ikm(row, "id", name="Kantor Lurah 1", wave="2026-S1")[0]
    'IKM Kantor Lurah 1 pada periode 2026-S1: **69,13** dari skala 25-100, mutu **C (Kurang Baik)**, berdasarkan 40 responden.'
    >>> describe_ikm(pd.concat([row.drop("n"), pd.Series({"n": 3})]), "en", name="X", wave="W")[0][:29]
    'X has only 3 respondents in W'
    """
    check_lang(lang)
    n = int(row["n"])
    if n < min_cell:
        return [t("skm.too_few", lang, name=name, n=format_int(n, lang), wave=wave, min_cell=min_cell)]
    out = [t("skm.headline", lang, name=name, wave=wave, ikm=format_number(row["ikm_unit"], lang, 2),
             mutu=row["mutu"], kinerja=row["kinerja"], n=format_int(n, lang))]
    lo, hi = row.get("ci_low_unit", np.nan), row.get("ci_high_unit", np.nan)
    if pd.notna(lo) and pd.notna(hi) and np.isfinite(lo):
        out.append(t("skm.headline_ci", lang, low=format_number(lo, lang, 2), high=format_number(hi, lang, 2)))
    if previous is not None and prev_wave is not None and pd.notna(previous.get("ikm_unit", np.nan)):
        diff = float(row["ikm_unit"]) - float(previous["ikm_unit"])
        verdict = t("skm.change_real" if significant else "skm.change_noise", lang)
        out.append(t("skm.headline_change", lang, prev=prev_wave, prev_ikm=format_number(previous["ikm_unit"], lang, 2),
                     direction=t("skm.up" if diff >= 0 else "skm.down", lang),
                     diff=format_number(abs(diff), lang, 2), verdict=verdict))
    if weakest:
        items = ", ".join(f"{u} (NRR {format_number(v, lang, 2)})" for u, v in weakest)
        out.append(t("skm.headline_weakest", lang, list=items))
    req = row.get("n_required", np.nan)
    if pd.notna(req) and n < req:
        out.append(t("skm.headline_small_sample", lang, n=format_int(n, lang), req=format_int(req, lang),
                     pop=format_int(row.get("population"), lang)))
    return out


def describe_city(pooled: pd.Series, units: pd.DataFrame, lang: str, *, wave: str, names: dict,
                  weakest_counts: pd.Series | None = None, labels: dict | None = None,
                  min_cell: int = 5) -> list[str]:
    """The summary sentences of a city report: pooled IKM with mutu, units per grade, best and worst
    unit (only units with at least ``min_cell`` respondents), the most frequent weakest unsur.

    >>> pooled = pd.Series({"n": 400, "ikm_unit": 72.5, "mutu": "C", "kinerja": "Kurang Baik"})
    >>> units = pd.DataFrame({"n": [40, 3, 40], "ikm_unit": [80.0, 99.0, 65.5], "mutu": ["B", "A", "C"]},
    ...                      index=["A1", "A2", "A3"])
    >>> s = describe_city(pooled, units, "en", wave="W5", names={"A1": "Unit A1", "A3": "Unit A3"})
    >>> s[2]
    'Highest IKM: Unit A1 (80.00); lowest: Unit A3 (65.50).'
    """
    check_lang(lang)
    shown = units[units["n"] >= min_cell]
    out = [t("skm.city_headline", lang, k=format_int(len(units), lang), wave=wave,
             ikm=format_number(pooled["ikm_unit"], lang, 2), mutu=pooled["mutu"], kinerja=pooled["kinerja"],
             n=format_int(pooled["n"], lang))]
    if len(shown):
        counts = shown["mutu"].value_counts()
        dist = ", ".join(f"{g}: {format_int(counts[g], lang)}" for g in ("A", "B", "C", "D") if g in counts)
        out.append(t("skm.city_grades", lang, dist=dist))
        best, worst = shown["ikm_unit"].idxmax(), shown["ikm_unit"].idxmin()
        out.append(t("skm.city_range", lang, best=names.get(best, best), best_ikm=format_number(shown.loc[best, "ikm_unit"], lang, 2),
                     worst=names.get(worst, worst), worst_ikm=format_number(shown.loc[worst, "ikm_unit"], lang, 2)))
    if weakest_counts is not None and len(weakest_counts):
        u = weakest_counts.index[0]
        label = f"{u} {labels.get(u, '')}".strip() if labels else u
        out.append(t("skm.city_weakest", lang, u=label, k=int(weakest_counts.iloc[0]), m=int(weakest_counts.sum())))
    return out


@dataclass
class SKMReport(ReportBase):
    """One SKM report, loaded once; each method returns one section.

    Build it with :meth:`load` from the notebook's parameters.
    """

    lang: str
    unit: str
    df: pd.DataFrame
    res_units: Any
    res_all: Any
    unit_info: pd.DataFrame
    wave_labels: dict
    last: int
    regime: str
    weighting: str
    ci: str
    n_boot: int
    seed: int
    confidence: float
    min_cell: int
    agency: str
    data_name: str
    synthetic: Any = None
    _cache: dict = field(default_factory=dict)

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, data: str, units: str = "", unit: str = "all", waves: Any = "all", regime: str = "2017",
             weights: str = "exact", instrument: str = "skm_2017", ci: str = "bootstrap", n_boot: int = 1000,
             seed: int = 20171, min_cell: int = 5, lang: str = "id", agency: str = "",
             confidence: float = 0.95) -> "SKMReport":
        """Read the SKM file and the unit list, keep the waves and unit asked for, compute the IKM
        per unit and wave (and pooled for the city report)."""
        import survey
        from .. import skm
        from ..paths import project_path
        from ..privacy import is_synthetic

        check_lang(lang)
        regime = check_choice("regime", str(regime), ["2017", "2004"])
        check_choice("ci", ci, ["bootstrap", "delta", "none"])
        data_path = project_path(data)
        if regime == "2017":
            inst = survey.load_instrument(instrument)
            df = survey.read_responses(data_path, inst)
        else:
            # the 14 unsur of 2004 are built into survey.skm; the file is read as it is and checked there
            df = pd.read_excel(data_path) if str(data_path).lower().endswith((".xlsx", ".xls")) else pd.read_csv(data_path)
            inst = None
        if "wave" not in df.columns:
            df["wave"] = 1
        wave_list = parse_waves(waves)
        if wave_list is not None:
            unknown = sorted(set(wave_list) - set(df["wave"].dropna().astype(int)))
            if unknown:
                raise DataError(f"waves {unknown} are not in {data_path.name}; waves present: {sorted(df['wave'].dropna().unique())}")
            df = df[df["wave"].isin(wave_list)].copy()
        unit_info = pd.DataFrame()
        population = None
        if units:
            unit_info = pd.read_csv(project_path(units), dtype={"unit_id": str}).set_index("unit_id")
            if "population" in unit_info.columns:
                population = unit_info["population"]
        for col in ("kecamatan", "unit_type"):
            if col not in df.columns and col in unit_info.columns:
                df[col] = df["unit_id"].map(unit_info[col])
        if unit != "all":
            if unit not in set(df["unit_id"]):
                raise DataError(f"unit {unit!r} is not in {data_path.name}; units: {', '.join(sorted(map(str, df['unit_id'].unique())))}")
            df = df[df["unit_id"] == unit].copy()
        wave_labels = (df.drop_duplicates("wave").set_index("wave")["wave_label"].astype(str).to_dict()
                       if "wave_label" in df.columns else {})
        opts = dict(regime=regime, weighting=weights, instrument=inst, ci=None if ci == "none" else ci,
                    n_boot=n_boot, seed=seed, lang=lang, confidence=confidence)
        with warnings.catch_warnings():
            # excluded unsur are reported in the report's words (excluded_note), not as a Python warning
            warnings.simplefilter("ignore", skm.SKMWarning)
            # the same call in the city and the unit report: each unit-wave has its own random stream,
            # so a unit's interval is the same in both
            res_units = skm.ikm(df, by=["unit_id", "wave"], population=population, **opts)
            res_all = res_units if unit != "all" else skm.ikm(df, by="wave", **opts)
        return cls(lang=lang, unit=unit, df=df, res_units=res_units, res_all=res_all, unit_info=unit_info,
                   wave_labels=wave_labels, last=int(df["wave"].max()), regime=regime, weighting=weights, ci=ci,
                   n_boot=n_boot, seed=seed, confidence=confidence, min_cell=int(min_cell), agency=agency,
                   data_name=Path(data_path).name, synthetic=is_synthetic(df))

    # ----------------------------------------------------------------- helpers
    def wl(self, w: Any) -> str:
        """The label of a wave (``2026-S1``), or its number."""
        return str(self.wave_labels.get(w, w))

    def unit_name(self, u: Any) -> str:
        """A unit's name (from the unit list) with its id."""
        if "unit_name" in self.unit_info.columns and u in self.unit_info.index:
            return f"{self.unit_info.loc[u, 'unit_name']} ({u})"
        return str(u)

    def type_name(self, code: Any) -> str:
        key = f"skm.type_{code}"
        from .catalog import has

        return t(key, self.lang) if isinstance(code, str) and has(key) else ("" if pd.isna(code) else str(code))

    @property
    def is_city(self) -> bool:
        return self.unit == "all"

    @property
    def group(self) -> Any:
        """The publication group of the last wave: ``(unit, wave)`` or ``wave``."""
        return self.last if self.is_city else (self.unit, self.last)

    @property
    def last_row(self) -> pd.Series:
        return self.res_all.summary.loc[self.group]

    @property
    def too_small(self) -> bool:
        """A unit report whose last wave has fewer than ``min_cell`` respondents."""
        return not self.is_city and int(self.last_row["n"]) < self.min_cell

    @property
    def labels(self) -> dict:
        return self.res_units.unsur[f"label_{self.lang}"].to_dict()

    def _pct(self) -> str:
        return format_percent(self.confidence, self.lang, 0)

    def _grade_bands(self, scale: str, lo: float, hi: float) -> list[tuple[str, float, float, str]]:
        """The regime's grade bands on ``scale`` ("ikm" or "unit") cut to ``lo``-``hi``, with their
        colours, for :func:`~survey.report.display.bar_table`; a sliver under 3 % of the range is left out."""
        from ..plots.skm import GRADE_COLOURS, grade_bounds

        cut = [(g, max(a, lo), min(b, hi)) for g, a, b in grade_bounds(self.regime, scale)]
        return [(g, a, b, GRADE_COLOURS[g]) for g, a, b in cut if b - a >= 0.03 * (hi - lo)]

    def _changes(self) -> pd.DataFrame:
        """:func:`survey.skm.change` of every unit's consecutive waves, computed once for the
        sections that quote it."""
        from .. import skm

        if "changes" not in self._cache:
            self._cache["changes"] = skm.change(self.res_units).table
        return self._cache["changes"]

    # ----------------------------------------------------------------- sections
    def title(self) -> str:
        return t("skm.title_city", self.lang) if self.is_city else t("skm.title_unit", self.lang, name=self.unit_name(self.unit))

    def header(self) -> Fragment:
        """Synthetic-data notice (when the data are demo rows) and the report header."""
        period = ", ".join(self.wl(w) for w in sorted(self.df["wave"].unique()))
        sub = t("skm.subtitle", self.lang, n=format_int(len(self.df), self.lang),
                k=format_int(self.df["unit_id"].nunique(), self.lang), regime=t(f"skm.regime_{self.regime}", self.lang))
        notice = self.synthetic_notice()
        return notice + header(self.title(), self.lang, period=period, agency=self.agency or None, subtitle=sub)

    def summary(self) -> Fragment:
        """The summary for an official: IKM 25-100 with mutu and kinerja, interval, change, weakest unsur."""
        lang = self.lang
        if self.is_city:
            from .. import skm

            s = self.res_units.summary.xs(self.last, level="wave")
            pr = skm.priorities(self.res_units).xs(self.last, level="wave")
            names = {u: self.unit_name(u) for u in s.index}
            weak = pr.loc[[u for u in pr.index if s.loc[u, "n"] >= self.min_cell], "weakest"].value_counts()
            sentences = describe_city(self.last_row, s, lang, wave=self.wl(self.last), names=names,
                                      weakest_counts=weak, labels=self.labels, min_cell=self.min_cell)
            return summary(sentences, lang)
        return summary(self._unit_sentences(), lang)

    def _unit_sentences(self) -> list[str]:
        s = self.res_units.summary.droplevel("unit_id")
        row = s.loc[self.last]
        prev = prev_label = sig = None
        earlier = [w for w in s.index if w < self.last]
        if earlier:
            prev = s.loc[max(earlier)]
            prev_label = self.wl(max(earlier))
            ch = self._changes()
            ch = ch[ch["wave"] == self.last]
            sig = bool(ch["significant"].iloc[0]) if len(ch) else False
            if int(prev["n"]) < self.min_cell:
                prev = None
        nrr = self.res_units.nrr.loc[(self.unit, self.last)].sort_values()
        weakest = [(f"{c} {self.labels[c]}", float(v)) for c, v in nrr.head(3).items() if pd.notna(v)]
        return describe_ikm(row, self.lang, name=self.unit_name(self.unit), wave=self.wl(self.last), previous=prev,
                            prev_wave=prev_label, significant=sig, weakest=weakest, min_cell=self.min_cell)

    def _too_small_note(self) -> Fragment:
        return note(*self._unit_sentences()[:1]) if self.too_small else Fragment("")

    def excluded_note(self) -> Fragment:
        """Which unsur nobody answered (they are left out and the weights spread over the others)."""
        s = self.res_units.summary
        ex = s[s["excluded_unsur"] != ""]
        if not len(ex) or self.too_small:
            return Fragment("")
        lines = [f"{self.unit_name(u)} / {self.wl(w)}: {v}" for (u, w), v in ex["excluded_unsur"].items()]
        return paragraph(t("skm.excluded", self.lang)) + bullets(lines[:30])

    def processing_table(self) -> Fragment:
        """The regulation's processing table, one row per unsur, and the result (IKM, mutu, kinerja)."""
        from .. import skm

        if self.too_small:
            return self._too_small_note()
        lang = self.lang
        tab = skm.publication_table(self.res_all, group=self.group, lang=lang)
        unsur_cols = [c for c in tab.columns if c != "IKM"]
        codes = list(self.res_all.unsur.index)
        rows = []
        for code, col in zip(codes, unsur_cols):
            v = tab[col]
            rows.append({t("skm.col_unsur", lang): f"{code} {self.labels.get(code, '')}",
                         t("skm.col_sum", lang): _int_or_nan(v.iloc[0]), t("skm.col_valid", lang): _int_or_nan(v.iloc[1]),
                         t("skm.col_nrr", lang): float(v.iloc[2]), t("skm.col_weight", lang): float(v.iloc[3]),
                         t("skm.col_wnrr", lang): float(v.iloc[4])})
        long = pd.DataFrame(rows)
        r = self.last_row
        heading_text = t("skm.city_pub" if self.is_city else "skm.pub", lang, wave=self.wl(self.last))
        digits = {t("skm.col_nrr", lang): 3, t("skm.col_weight", lang): 4, t("skm.col_wnrr", lang): 4}
        result = key_values([(t("skm.ikm_sum", lang), format_number(r["ikm"], lang, 4)),
                             (t("skm.ikm_unit", lang), format_number(r["ikm_unit"], lang, 2)),
                             (t("skm.mutu", lang), r["mutu"]), (t("skm.kinerja", lang), r["kinerja"]),
                             (t("skm.respondents", lang), format_int(r["n"], lang))], lang,
                            caption=t("skm.total_caption", lang))
        return (heading(heading_text) + table(long, lang, caption=t("skm.pub_caption", lang), digits=digits,
                                               align_left=[t("skm.col_unsur", lang)]) + result)

    def unsur_figure(self) -> Fragment:
        """The headline chart: NRR per unsur as bars over the grade bands, the IKM (1-4) as a dashed
        line, drawn as an HTML table (:func:`~survey.report.display.bar_table`): its labels stay
        readable on a phone and in print."""
        from ..plots.skm import GRADE_COLOURS
        from ..skm import grade

        if self.too_small:
            return Fragment("")
        lang = self.lang
        nrr = self.res_all.nrr.loc[self.group]
        if not nrr.notna().any():
            return note(t("skm.no_unsur_answered", lang))
        grades = grade(nrr.to_numpy(dtype=float), self.regime, "ikm")
        bands = self._grade_bands("ikm", 1.0, 4.0)
        ikm = float(self.res_all.summary.loc[self.group, "ikm"])
        values = pd.Series(nrr.to_numpy(dtype=float), index=[f"{c} {self.labels[c]}" for c in nrr.index])
        return bar_table(values, lang, lo=1.0, hi=4.0, digits=2, ticks=[1, 2, 3, 4],
                         colours=[GRADE_COLOURS.get(g, "#cccccc") if g else "#cccccc" for g in grades],
                         bands=bands, marker=(ikm, t("skm.bars_marker", lang, ikm=format_number(ikm, lang, 2))),
                         extra=pd.Series([g or "" for g in grades], name=t("skm.bars_grade", lang)),
                         head=(t("skm.col_unsur", lang), t("skm.col_nrr", lang)),
                         caption=t("skm.bars", lang, wave=self.wl(self.last)))

    def waves_table(self) -> Fragment:
        """Unit report: IKM, interval, mutu and change per wave (waves under ``min_cell`` blanked)."""
        if self.is_city or self.too_small:
            return Fragment("")
        lang = self.lang
        s = self.res_units.summary.droplevel("unit_id")
        ch = self._changes().set_index("wave") if s.shape[0] > 1 else pd.DataFrame()
        rows = []
        for w, r in s.iterrows():
            c = ch.loc[w] if w in ch.index else None
            small = int(r["n"]) < self.min_cell
            rows.append({
                t("skm.wave", lang): self.wl(w), t("skm.n", lang): int(r["n"]),
                t("skm.n_req", lang): _int_or_nan(r.get("n_required", np.nan)),
                "IKM": np.nan if small else float(r["ikm_unit"]),
                t("skm.ci_col", lang, p=self._pct()): "" if small or not np.isfinite(r["ci_low_unit"]) else
                f"{format_number(r['ci_low_unit'], lang, 2)} – {format_number(r['ci_high_unit'], lang, 2)}",
                t("skm.mutu", lang): "" if small else r["mutu"], t("skm.kinerja", lang): "" if small else r["kinerja"],
                t("skm.diff", lang): np.nan if c is None or small else float(c["diff_unit"]),
                t("skm.sig", lang): "" if c is None or small else t("common.yes" if bool(c["significant"]) else "common.no", lang),
            })
        tab = pd.DataFrame(rows)
        return heading(t("skm.waves_tab", lang)) + table(tab, lang, min_cell=self.min_cell, count=t("skm.n", lang),
                                                         align_left=[t("skm.wave", lang)])

    def trend_figure(self) -> Fragment:
        """Unit report: the IKM unit (25-100) of each wave as a dot on its confidence interval's line,
        over the grade bands, waves in time order (:meth:`_ikm_chart`)."""
        if self.is_city or self.too_small:
            return Fragment("")
        s = self.res_units.summary.droplevel("unit_id")
        s = s[s["n"] >= self.min_cell]
        if len(s) < 2:
            return Fragment("")
        return self._ikm_chart(s, [self.wl(w) for w in s.index], t("skm.wave", self.lang), t("skm.trend", self.lang))

    def _ikm_chart(self, rows: pd.DataFrame, labels: list[str], head: str, caption: str) -> Fragment:
        """IKM unit of ``rows`` (columns ikm_unit, ci_low_unit, ci_high_unit, mutu), one row each, as
        dots on their confidence intervals' lines over the grade bands, drawn as an HTML table
        (:func:`~survey.report.display.bar_table`: readable on a phone, sharp in print). The scale
        runs over the values and their intervals with five points to spare, in steps of five."""
        from matplotlib.ticker import MaxNLocator

        from ..plots.skm import GRADE_COLOURS

        lang = self.lang
        low, high = rows["ci_low_unit"].fillna(rows["ikm_unit"]), rows["ci_high_unit"].fillna(rows["ikm_unit"])
        lo = max(25.0, 5 * np.floor((float(low.min()) - 5) / 5))
        hi = min(100.0, 5 * np.ceil((float(high.max()) + 5) / 5))
        bands = self._grade_bands("unit", lo, hi)
        ticks = [x for x in MaxNLocator(nbins=4, steps=[1, 2, 5, 10]).tick_values(lo, hi) if lo <= x <= hi]
        has_ci = bool(rows["ci_low_unit"].notna().any())
        key = t("skm.trend_key_ci" if has_ci else "skm.trend_key", lang, p=self._pct())
        return bar_table(pd.Series(rows["ikm_unit"].to_numpy(dtype=float), index=labels), lang,
                         lo=lo, hi=hi, digits=2, ticks=ticks, bands=bands,
                         colours=[GRADE_COLOURS.get(g, "#cccccc") for g in rows["mutu"]],
                         intervals=(rows["ci_low_unit"], rows["ci_high_unit"]), interval_key=key,
                         extra=pd.Series(list(rows["mutu"]), name=t("skm.bars_grade", lang)),
                         head=(head, "IKM"), caption=caption)

    def priorities(self) -> Fragment:
        """Unit report: the three weakest unsur and the one that moved most."""
        from .. import skm

        if self.is_city or self.too_small:
            return Fragment("")
        lang = self.lang
        pr = skm.priorities(self.res_units).loc[(self.unit, self.last)]
        nrr = self.res_units.nrr.loc[(self.unit, self.last)].sort_values()
        lines = [f"**{c}** {self.labels[c]}: NRR {format_number(v, lang, 2)}" for c, v in nrr.head(3).items() if pd.notna(v)]
        mover = (t("skm.mover", lang, u=f"{pr['mover']} {self.labels[pr['mover']]}", d=format_number(pr["mover_change"], lang, 2))
                 if isinstance(pr.get("mover"), str) else t("skm.no_mover", lang))
        return heading(t("skm.prio", lang)) + paragraph(t("skm.weak", lang, wave=self.wl(self.last))) + bullets(lines) + paragraph(mover)

    def ranking(self) -> Fragment:
        """City report: units ranked by IKM (units under ``min_cell`` left out and counted)."""
        from .. import skm

        if not self.is_city:
            return Fragment("")
        lang = self.lang
        rk = skm.ranking(self.res_units, wave=self.last, min_n=self.min_cell)
        n_hidden = int((self.res_units.summary.xs(self.last, level="wave")["n"] < self.min_cell).sum())
        pr = skm.priorities(self.res_units).xs(self.last, level="wave")
        ch = self._changes()
        ch = ch[ch["wave"] == self.last].set_index("unit_id")
        rows = []
        for u, r in rk.iterrows():
            info = self.unit_info.loc[u] if u in self.unit_info.index else pd.Series(dtype=object)
            c = ch.loc[u] if u in ch.index else None
            small = bool(r.get("small_sample")) if pd.notna(r.get("small_sample", np.nan)) else False
            diff = "" if c is None else format_number(c["diff_unit"], lang, 2) + (" *" if bool(c["significant"]) else "")
            rows.append({
                t("skm.rank_col", lang): int(r["rank"]), t("skm.unit", lang): self.unit_name(u),
                # the kecamatan is in the heat table below: one column less keeps the table on A4
                t("skm.type", lang): self.type_name(info.get("unit_type", "")), t("skm.n", lang): int(r["n"]),
                "IKM": float(r["ikm_unit"]), t("skm.mutu_col", lang): r["mutu"],
                t("skm.weakest", lang): pr.loc[u, "weakest"] if u in pr.index else "",
                t("skm.diff", lang): diff, t("skm.small", lang): t("common.yes", lang) if small else "",
            })
        out = heading(t("skm.rank", lang, wave=self.wl(self.last)))
        out += table(pd.DataFrame(rows), lang, caption=t("skm.rank_caption", lang),
                     align_left=[t("skm.unit", lang), t("skm.type", lang)])
        if n_hidden:
            out += note(t("skm.suppressed", lang, k=n_hidden, m=self.min_cell))
        if len(rk):
            chart = rk.sort_values("ikm_unit", ascending=False)
            out += self._ikm_chart(chart, [self.unit_name(u) for u in chart.index], t("skm.unit", lang),
                                   t("skm.rank", lang, wave=self.wl(self.last)))
        return out

    def kecamatan_heat(self) -> Fragment:
        """City report: IKM per kecamatan and wave (cells under ``min_cell`` left empty)."""
        from .. import skm
        from ..plots.skm import heat_table

        if not self.is_city or "kecamatan" not in self.df.columns:
            return Fragment("")
        lang = self.lang
        opts = dict(regime=self.regime, weighting=self.weighting, ci=None, lang=lang)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", skm.SKMWarning)
            res = skm.ikm(self.df, by=["kecamatan", "wave"], **opts)
        tab = res.summary["ikm_unit"].where(res.summary["n"] >= self.min_cell).unstack("wave")
        fig = heat_table(tab, regime=self.regime, lang=lang, title=t("skm.heat", lang), fmt="{:.1f}",
                         col_labels=self.wave_labels)
        return figure(fig, lang, t("skm.heat_alt", lang, m=self.min_cell))

    def type_trend(self) -> Fragment:
        """City report: IKM per type of service unit and wave (groups under ``min_cell`` left out)."""
        from .. import skm
        from ..plots.skm import ikm_trend

        if not self.is_city or "unit_type" not in self.df.columns:
            return Fragment("")
        lang = self.lang
        d = self.df.assign(unit_type=self.df["unit_type"].map(self.type_name))
        sizes = d.groupby(["unit_type", "wave"]).size()
        small = sizes[sizes < self.min_cell].index
        d = d[~d.set_index(["unit_type", "wave"]).index.isin(small)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", skm.SKMWarning)
            res = skm.ikm(d, by=["unit_type", "wave"], regime=self.regime, weighting=self.weighting, ci="delta", lang=lang)
        fig = ikm_trend(res, by="unit_type", wave_labels=self.wave_labels, lang=lang, title=t("skm.type_trend", lang))
        return figure(fig, lang, t("skm.type_trend_alt", lang))

    def changes(self) -> Fragment:
        """City report: the units whose IKM changed beyond sampling noise in the last wave."""
        if not self.is_city:
            return Fragment("")
        lang = self.lang
        chg = self._changes()
        s = self.res_units.summary
        chg = chg[(chg["wave"] == self.last) & chg["significant"]]
        chg = chg[[s.loc[(u, self.last), "n"] >= self.min_cell for u in chg["unit_id"]]] if len(chg) else chg
        out = heading(t("skm.changes", lang, wave=self.wl(self.last)))
        if not len(chg):
            return out + paragraph(t("skm.no_changes", lang))
        lines = [t("skm.change_line", lang, u=self.unit_name(r["unit_id"]), d=format_number(r["diff_unit"], lang, 2),
                   prev=r["mutu_prev"], now=r["mutu"], p=format_p(r["p_holm"], lang)) for _, r in chg.iterrows()]
        return out + bullets(lines)

    def methods(self) -> Fragment:
        """Methods: data, formula, weights, intervals, grade edges, change test, small cells."""
        lang = self.lang
        regime = t(f"skm.regime_{self.regime}", lang)
        w = t(f"skm.weights_{self.weighting}", lang) if self.weighting in ("exact", "3dp", "2dp") else str(self.weighting)
        ci = {"bootstrap": t("skm.methods_ci_bootstrap", lang, p=self._pct(), b=format_int(self.n_boot, lang), seed=self.seed),
              "delta": t("skm.methods_ci_delta", lang, p=self._pct()), "none": t("skm.methods_ci_none", lang)}[self.ci]
        return methods([
            t("skm.methods_data", lang, file=self.data_name, n=format_int(len(self.df), lang),
              k=format_int(self.df["unit_id"].nunique(), lang),
              waves=", ".join(self.wl(x) for x in sorted(self.df["wave"].unique()))),
            t("skm.methods_formula", lang, regime=regime, w=w), ci, t("skm.methods_grades", lang, regime=regime),
            t("skm.methods_change", lang), t("skm.methods_min_cell", lang, m=self.min_cell)], lang)

    def key_figures(self) -> dict:
        """The figures for ``results.json`` (nothing about a unit under ``min_cell`` but its size)."""
        r = self.last_row
        out: dict[str, Any] = {"unit": self.unit, "regime": self.regime, "weights": self.weighting,
                               "wave": self.wl(self.last), "n": int(r["n"])}
        if not self.too_small:
            out.update({"ikm": round(float(r["ikm"]), 4), "ikm_unit": round(float(r["ikm_unit"]), 2),
                        "mutu": r["mutu"], "kinerja": r["kinerja"],
                        "ci_low_unit": None if not np.isfinite(r["ci_low_unit"]) else round(float(r["ci_low_unit"]), 2),
                        "ci_high_unit": None if not np.isfinite(r["ci_high_unit"]) else round(float(r["ci_high_unit"]), 2),
                        "weakest_unsur": str(self.res_all.nrr.loc[self.group].idxmin())})
        if self.is_city:
            out["n_units"] = int(self.df["unit_id"].nunique())
        return out


def _int_or_nan(v: Any) -> float | int:
    return int(v) if pd.notna(v) else np.nan
