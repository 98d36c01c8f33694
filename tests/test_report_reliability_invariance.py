"""The measurement-invariance section of the reliability report (notebook 02, parameter ``group``):
the verdict sentences on constructed tables, the catalog, the section on demo data in id and en,
and one notebook run through papermill."""
from __future__ import annotations

import html
import json
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from survey.report import load_catalog
from survey.report.reliability import (ReliabilityReport, _merge_empty_categories, describe_invariance,
                                       invariance_caution, invariance_table)

LEVELS = ["configural", "metric", "scalar", "strict"]


def _result(verdicts, estimator="ML"):
    """An InvarianceResult-like object: a table indexed by level with fit columns and a verdict."""
    n = len(verdicts)
    tab = pd.DataFrame({
        "chisq": [100.0 + 10 * i for i in range(n)], "df": [50 + 5 * i for i in range(n)],
        "chisq_scaled": [90.0 + 9 * i for i in range(n)],
        "cfi": [0.97 - 0.005 * i for i in range(n)], "rmsea": [0.04] * n,
        "cfi_scaled": [0.96 - 0.02 * i for i in range(n)], "rmsea_scaled": [0.05] * n,
        "delta_chisq": [np.nan] + [8.0] * (n - 1), "delta_df": [np.nan] + [5.0] * (n - 1),
        "delta_pvalue": [np.nan] + [0.0001] * (n - 1), "delta_cfi": [np.nan] + [-0.02] * (n - 1),
        "verdict": verdicts}, index=pd.Index(LEVELS[:n], name="level"))
    cfi = "cfi_scaled" if estimator == "WLSMV" else "cfi"
    return SimpleNamespace(table=tab, cfi_column=cfi, estimator=estimator, groups=("a", "b"), n_obs=200)


# ------------------------------------------------------------------ the verdict sentences

def test_every_level_holds():
    res = _result(["holds"] * 4)
    en = describe_invariance(res, "en")
    assert len(en) == 4
    assert en[1] == "Metric invariance holds: the items measure the construct with the same weights in every group."
    assert all(" holds" in s for s in en)
    idn = describe_invariance(res, "id")
    assert idn[1] == ("Invariansi metrik terpenuhi: butir-butir mengukur konstruk dengan bobot yang sama pada "
                      "semua kelompok.")
    assert all("terpenuhi" in s and "tidak terpenuhi" not in s for s in idn)
    # nothing fails: no summary sentence
    assert invariance_caution(res, "id", group="sex") == "" and invariance_caution(res, "en") == ""


def test_fails_at_scalar_then_strict_not_reached():
    res = _result(["holds", "holds", "does not hold", "not reached"])
    en = describe_invariance(res, "en")
    assert en[0].startswith("Configural invariance holds")
    assert en[1].startswith("Metric invariance holds")
    assert en[2].startswith("Scalar invariance does not hold")
    assert en[3].startswith("Strict invariance is not assessed")
    idn = describe_invariance(res, "id")
    assert idn[2].startswith("Invariansi skalar tidak terpenuhi")
    assert idn[3].startswith("Invariansi ketat tidak dinilai")
    # the summary says which comparison is not safe: means (not relations)
    c_en = invariance_caution(res, "en", group="sex")
    assert "mean scores cannot safely be compared" in c_en and "sex" in c_en
    c_id = invariance_caution(res, "id", group="sex")
    assert "rerata skor belum aman dibandingkan" in c_id and "sex" in c_id


def test_fails_at_configural_nothing_later_assessed():
    res = _result(["does not hold", "not reached", "not reached"])
    en = describe_invariance(res, "en")
    assert en[0].startswith("Configural invariance does not hold")
    assert en[1].startswith("Metric invariance is not assessed") and en[2].startswith("Scalar invariance is not")
    assert "in any way" in invariance_caution(res, "en")
    assert "dalam bentuk apa pun" in invariance_caution(res, "id")


def test_metric_failure_warns_about_relations_too():
    res = _result(["holds", "does not hold", "not reached"])
    assert "correlations, regressions" in invariance_caution(res, "en")
    assert "korelasi, regresi" in invariance_caution(res, "id")


def test_unknown_level_or_language_is_refused():
    from survey.errors import ParameterError

    with pytest.raises(ParameterError):
        describe_invariance(_result(["holds"]), "fr")
    bad = SimpleNamespace(table=pd.DataFrame({"verdict": ["holds"]}, index=["weak"]))
    with pytest.raises(ParameterError):
        describe_invariance(bad, "en")


def test_table_headers_levels_and_numbers_follow_the_language():
    res = _result(["holds", "holds", "does not hold"], estimator="WLSMV")
    idt, ent = invariance_table(res, "id"), invariance_table(res, "en")
    assert list(idt.columns) == ["Tingkat", "χ²", "db", "CFI", "RMSEA", "Δχ²", "Δdb", "p (uji selisih)", "ΔCFI",
                                 "Kesimpulan"]
    assert list(ent.columns) == ["Level", "χ²", "df", "CFI", "RMSEA", "Δχ²", "Δdf", "p (difference test)", "ΔCFI",
                                 "Verdict"]
    assert list(idt["Tingkat"]) == ["Konfigural", "Metrik", "Skalar"]
    assert list(ent["Verdict"]) == ["holds", "holds", "does not hold"]
    assert list(idt["Kesimpulan"]) == ["terpenuhi", "terpenuhi", "tidak terpenuhi"]
    # WLSMV: the scaled chi-square and CFI are shown
    assert ent["χ²"].tolist() == [90.0, 99.0, 108.0] and ent["CFI"].tolist() == pytest.approx([0.96, 0.94, 0.92])
    # the p-value through the Babel formatter
    assert idt["p (uji selisih)"].iloc[0] != idt["p (uji selisih)"].iloc[0]  # NaN for configural
    assert idt["p (uji selisih)"].iloc[1] == "< 0,001" and ent["p (difference test)"].iloc[1] == "< 0.001"


def test_catalog_has_every_invariance_key_in_both_languages():
    cat = load_catalog("reliability")
    keys = [f"inv_{k}_{lv}" for k in ("level", "name", "holds", "fails") for lv in LEVELS]
    keys += [f"inv_caution_{lv}" for lv in LEVELS]
    keys += ["inv_title", "inv_intro", "inv_caption", "inv_level", "inv_df", "inv_ddf", "inv_p", "inv_verdict",
             "inv_v_holds", "inv_v_fails", "inv_v_not_reached", "inv_not_reached", "inv_dropped", "inv_too_few",
             "inv_no_column", "inv_no_model", "inv_failed", "methods_inv_wlsmv", "methods_inv_ml",
             "methods_inv_merged"]
    for k in keys:
        assert k in cat, k
        assert cat[k].get("id", "").strip() and cat[k].get("en", "").strip(), k
        assert cat[k]["id"] != cat[k]["en"] or k in ("inv_title",), k


def test_empty_categories_are_merged_towards_the_middle():
    d = pd.DataFrame({"x": [1, 2, 3, 4, 2, 3, 3, 4], "y": [1, 2, 3, 4, 1, 2, 3, 4], "g": list("aaaabbbb")})
    m, merged = _merge_empty_categories(d, ["x", "y"], "g")
    assert merged == ["x"] and sorted(m["x"].unique()) == [2, 3, 4]
    assert m["y"].tolist() == d["y"].tolist()
    assert (pd.crosstab(m["g"], m["x"]) > 0).all().all()


# ------------------------------------------------------------------ the section on demo data

# English words that must not appear in the Indonesian section (CFI, RMSEA are international)
ENGLISH = re.compile(r"\b(chisq|cfi|rmsea|holds?|level|verdict|difference|df|groups?|not|metric|scalar|strict|"
                     r"configural|invariance|the|and|of)\b")


def _text(fragment) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment.html))


@pytest.fixture(scope="module")
def reaction(demo_dir):
    return demo_dir / "training_reaction.csv"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_section_on_demo_data(reaction, lang):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        rep = ReliabilityReport.load(str(reaction), "training_reaction", construct="relevance", lang=lang,
                                     group="sector", factor_analysis=lang == "en")
        if lang == "en":
            assert "cfa" in rep._factor()  # cfa(data, model): no DeprecationWarning
        frag = rep.invariance_section()
    inv = rep._invariance()
    res = inv["result"]
    assert res.estimator == "WLSMV"  # Likert items: ordered
    assert len(res.groups) >= 2
    heads = re.findall(r'<th scope="col">([^<]*)</th>', frag.html)
    heads = [html.unescape(h) for h in heads]
    if lang == "id":
        assert heads == ["Tingkat", "χ²", "db", "CFI", "RMSEA", "Δχ²", "Δdb", "p (uji selisih)", "ΔCFI", "Kesimpulan"]
    else:
        assert heads == ["Level", "χ²", "df", "CFI", "RMSEA", "Δχ²", "Δdf", "p (difference test)", "ΔCFI", "Verdict"]
    text = _text(frag)
    for s in describe_invariance(res, lang):
        assert s in text
    # the small kependudukan group is left out and the report says so
    if inv.get("dropped"):
        assert ("tidak diikutkan" if lang == "id" else "left out") in text
    methods = _text(rep.methods())
    assert "WLSMV" in methods and ("ordinal" in methods)
    summary = _text(rep.summary())
    caution = invariance_caution(res, lang, group="sector")
    assert (caution in summary) if caution else ("sector" not in summary)
    if lang == "id":
        # numbers through Babel (decimal comma) and no English words; the group column name is data
        assert re.search(r"\d,\d{3}", text)
        leaks = ENGLISH.findall(text.replace("sector", "").lower().replace("cfi", "").replace("rmsea", ""))
        assert not leaks, leaks
        assert not ENGLISH.findall(summary.replace("sector", "").lower())
        inv_methods = [p for p in re.findall(r"<p>(.*?)</p>", rep.methods().html) if "WLSMV" in p]
        assert inv_methods and not ENGLISH.findall(html.unescape(inv_methods[0]).replace("sector", "").lower())
    else:
        assert re.search(r"\d\.\d{3}", text)
    key = rep.key_figures()
    assert key["invariance_group"] == "sector" and key["invariance_level"] in ("none", *LEVELS)


def test_fewer_than_two_groups_is_a_message_not_a_crash(reaction):
    rep = ReliabilityReport.load(str(reaction), "training_reaction", construct="relevance", lang="id",
                                 group="sector", min_cell=200)
    text = _text(rep.invariance_section())
    assert "tidak dapat dilakukan" in text and "minimal 2 kelompok" in text and "tidak diikutkan" in text
    assert "sector" not in _text(rep.summary())  # no verdict without a test
    rep = ReliabilityReport.load(str(reaction), "training_reaction", construct="relevance", lang="en", group="sex")
    assert "no column sex" in _text(rep.invariance_section())
    rep = ReliabilityReport.load(str(reaction), "training_reaction", construct="relevance", lang="en")
    assert rep.invariance_section().html == ""


@pytest.mark.slow
def test_notebook_runs_with_a_group(demo_dir, tmp_path):
    import papermill as pm

    from survey.paths import project_root
    from survey.reports import _kernel_name

    root = project_root()
    out = tmp_path / "02_reliability.ipynb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm.execute_notebook(str(root / "notebooks" / "02_reliability.ipynb"), str(out),
                            parameters={"data": str(demo_dir / "training_reaction.csv"),
                                        "instrument": "training_reaction", "construct": "relevance",
                                        "group": "sector", "lang": "en", "out_dir": str(tmp_path / "out")},
                            kernel_name=_kernel_name(), cwd=str(root), progress_bar=False,
                            request_save_on_cell_execute=False, execution_timeout=300)
    nb = out.read_text(encoding="utf-8")
    assert "Measurement invariance across sector groups" in nb
    assert "DeprecationWarning" not in nb and "Traceback" not in nb
    res = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert res["invariance_group"] == "sector"


def test_waves_table_is_raw_alpha_of_each_wave_of_the_answers_as_read(reaction, monkeypatch):
    # the table reads each construct's answers once as floats; every alpha it shows must equal
    # raw_alpha of that wave's rows of the frame as read (nullable integers with NA)
    import survey.reliability as rel
    from survey.reliability import raw_alpha

    rep = ReliabilityReport.load(str(reaction), "training_reaction", lang="en", id="employee_id", wave="wave")
    assert rep.repeated and len(rep.waves) > 1
    seen = []
    monkeypatch.setattr(rel, "raw_alpha", lambda data, keys=None: seen.append(raw_alpha(data, keys=keys)) or seen[-1])
    rep.waves_table()
    expected = []
    for w in rep.waves:
        d = rep.df[rep.df[rep.wave_col] == w]
        for c in rep.constructs:
            items = [i.name for i in rep.inst.items_of(c)]
            assert d[items].dtypes.map(str).eq("Int64").all()
            expected.append(raw_alpha(d[items], keys=rep.inst.reverse_items(c)))
    assert seen == expected


def test_multilevel_table_fits_the_reversed_answers_of_each_construct(reaction, tmp_path, monkeypatch):
    # one row per person and wave in two waves, so that some persons are balanced and the table
    # has rows; each fit must get what the report always passed: the answers as floats with the
    # construct's reverse-keyed items reversed as (min + max) - x
    import survey.reliability as rel
    from survey.reliability import multilevel

    raw = pd.read_csv(reaction)
    raw = raw[raw["wave"] <= 2].drop_duplicates(["employee_id", "wave"], keep="last")
    path = tmp_path / "two_waves.csv"
    raw.to_csv(path, index=False)
    rep = ReliabilityReport.load(str(path), "training_reaction", lang="en", id="employee_id", wave="wave")
    fits = []
    monkeypatch.setattr(rel, "multilevel", lambda d, **kw: fits.append((d, kw)) or multilevel(d, **kw))
    frag = rep.multilevel_table()
    assert len(fits) == len(rep.constructs) and "RkR" in frag.html
    for c, (d, kw) in zip(rep.constructs, fits):
        items = [i.name for i in rep.inst.items_of(c)]
        old = rep.df[[rep.id_col, rep.wave_col, *items]].copy()
        scale = rep.inst.scale_of(rep.inst.item(items[0]))
        for i in rep.inst.reverse_items(c):
            old[i] = (scale.min + scale.max) - old[i]
        old[items] = old[items].astype(float)
        pd.testing.assert_frame_equal(d, old)


def test_multilevel_table_says_why_when_a_person_answered_twice_in_a_wave(reaction):
    # the demo's employees took several trainings in one wave: the coefficients need one answer per
    # person and wave, so the report says they are not computed and why, instead of leaving them out
    raw = pd.read_csv(reaction)
    twice = raw[raw.duplicated(["employee_id", "wave"], keep=False)]["employee_id"].nunique()
    assert twice > 0
    rep = ReliabilityReport.load(str(reaction), "training_reaction", lang="en", id="employee_id", wave="wave")
    html = rep.multilevel_table().html
    assert "Reliability of repeated measures" in html and "<table" not in html
    assert f"{twice} persons answered more than once in one wave" in html
