"""Every report notebook on adverse and hostile data, through the real batch runner, read in Chromium.

One batch run (module fixture) feeds every assertion. The data are small copies of the demo data
with what goes wrong in the field: items under ``min_r_drop``, an unsur nobody answered at one
unit, a single wave, a program without comparison units, a unit with 2 respondents, a CFA on too few
rows; and hostile strings (script and ``onerror`` markup) in an item label, an instrument title, a
unit's id, name and kecamatan, and the ``program`` parameter. Each report must end ok (or say
clearly in the report what it could not do), run no injected script, show the hostile text
literally, and fit an A4 page and a 390 px phone screen.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IMG = "<img src=x onerror=window.__xss=1>"
SCRIPT = "<script>window.__xss=1</script>"
HOSTILE_UNIT = "KEL-01" + IMG
HOSTILE_PROGRAM = "prog" + SCRIPT

# English words an Indonesian report must not show, and Indonesian words an English one must not
ENGLISH = ["coef", "pvalue", "ci_low", "ci_high", "Intercept", "cluster-robust", "draws", "weights", "all",
           "pairwise", "Summary", "Methods", "respondents", "estimate", "wave", "sector"]
INDONESIAN = ["Ringkasan", "Metode", "Rerata", "Periode", "Gelombang", "responden", "Tanggal",
              "Diterbitkan", "Konstruk", "sampai", "Unsur"]


def _adverse(demo: Path, out: Path) -> dict[str, str]:
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    # instrument with a hostile title and item label
    from survey.instrument import load_instrument  # noqa: F401  (the YAML must stay loadable)
    src = Path(__file__).resolve().parents[2] / "src" / "survey" / "instruments" / "training_reaction.yaml"
    inst = yaml.safe_load(src.read_text(encoding="utf-8"))
    inst["title"] = {lang: text + " " + SCRIPT for lang, text in inst["title"].items()}
    first = inst["items"][0]
    first["label"] = {lang: text + " " + IMG for lang, text in first["label"].items()}
    (out / "reaction_hostile.yaml").write_text(yaml.safe_dump(inst, allow_unicode=True, sort_keys=False), encoding="utf-8")
    files["instrument"] = str(out / "reaction_hostile.yaml")
    # reaction: few rows (too few for a CFA of four factors), the program renamed to a hostile text
    react = pd.read_csv(demo / "training_reaction.csv")
    react.head(40).to_csv(out / "reaction_tiny.csv", index=False)
    files["reaction_tiny"] = str(out / "reaction_tiny.csv")
    for name in ("training_reaction", "training_transfer", "learning_tests"):
        d = pd.read_csv(demo / f"{name}.csv")
        d["program"] = d["program"].replace({"kepemimpinan": HOSTILE_PROGRAM})
        if name == "training_reaction" and "comment" in d.columns:
            d.loc[d.index[:3], "comment"] = SCRIPT + " komentar"
        d.to_csv(out / f"{name}.csv", index=False)
        files[name] = str(out / f"{name}.csv")
    # employee survey: a single wave
    emp = pd.read_csv(demo / "employee_survey.csv")
    emp[emp["wave"] == emp["wave"].min()].to_csv(out / "employee_one_wave.csv", index=False)
    files["employee_one_wave"] = str(out / "employee_one_wave.csv")
    files["employee"] = str(demo / "employee_survey.csv")
    # training records where every unit attends one program in the first wave: no comparison units
    rec = pd.read_csv(demo / "training_records.csv")
    units = emp[["employee_id", "unit_id", "sector"]].drop_duplicates("unit_id")
    allatonce = units.assign(program="serentak", session_id="S-1", wave=1, jp=8, synthetic=True)
    pd.concat([rec, allatonce[rec.columns]]).to_csv(out / "records.csv", index=False)
    files["records"] = str(out / "records.csv")
    # SKM: a hostile unit id/name/kecamatan, an unsur nobody answered at one unit, a unit of 2
    skm = pd.read_csv(demo / "skm.csv")
    skm["unit_id"] = skm["unit_id"].replace({"KEL-01": HOSTILE_UNIT})
    skm.loc[skm["unit_id"] == "KEL-03", "U4"] = pd.NA
    small = skm[skm["unit_id"] == "KEL-02"].groupby("wave").head(2)
    skm = pd.concat([skm[skm["unit_id"] != "KEL-02"], small])
    skm.to_csv(out / "skm.csv", index=False)
    files["skm"] = str(out / "skm.csv")
    u = pd.read_csv(demo / "units.csv")
    u["unit_id"] = u["unit_id"].replace({"KEL-01": HOSTILE_UNIT})
    u.loc[u["unit_id"] == HOSTILE_UNIT, "unit_name"] = "Kantor " + SCRIPT
    u.loc[u["unit_id"] == HOSTILE_UNIT, "kecamatan"] = "Medan " + IMG
    u.to_csv(out / "units.csv", index=False)
    files["units"] = str(out / "units.csv")
    # competency needs: a unit of 2 employees
    cn = pd.read_csv(demo / "competency_needs.csv")
    first_unit = cn["unit_id"].iloc[0]
    cn = pd.concat([cn[cn["unit_id"] != first_unit], cn[cn["unit_id"] == first_unit].head(2)])
    cn.to_csv(out / "competency_needs.csv", index=False)
    files["needs"] = str(out / "competency_needs.csv")
    return files


@pytest.fixture(scope="module")
def matrix(demo_dir, tmp_path_factory, root):
    from survey.reports import run_plan

    tmp = tmp_path_factory.mktemp("matrix")
    f = _adverse(demo_dir, tmp / "data")
    reports = [
        {"notebook": "02_reliability.ipynb", "name": "rel-adverse", "grid": {"lang": ["id", "en"]},
         "parameters": {"data": f["reaction_tiny"], "instrument": f["instrument"], "min_r_drop": 0.9,
                        "factor_analysis": True}},
        {"notebook": "02_reliability.ipynb", "name": "rel-one-wave",
         "parameters": {"data": f["employee_one_wave"], "instrument": "employee_survey", "lang": "id"}},
        {"notebook": "03_training_evaluation.ipynb", "name": "training-hostile",
         "parameters": {"reaction": f["training_reaction"], "learning": f["learning_tests"],
                        "transfer": f["training_transfer"], "program": HOSTILE_PROGRAM, "lang": "id"}},
        {"notebook": "04_program_impact.ipynb", "name": "impact-no-controls",
         "parameters": {"data": f["employee"], "records": f["records"], "program": "serentak",
                        "outcome": "managerial", "design": "did", "n_boot": 199, "lang": "en"}},
        {"notebook": "05_service_satisfaction.ipynb", "name": "skm-hostile-unit",
         "parameters": {"data": f["skm"], "units": f["units"], "unit": HOSTILE_UNIT, "ci": "delta", "lang": "id"}},
        {"notebook": "05_service_satisfaction.ipynb", "name": "skm-small-unit", "grid": {"lang": ["id", "en"]},
         "parameters": {"data": f["skm"], "units": f["units"], "unit": "KEL-02", "ci": "delta"}},
        {"notebook": "05_service_satisfaction.ipynb", "name": "skm-city-adverse",
         "parameters": {"data": f["skm"], "units": f["units"], "unit": "all", "ci": "delta", "lang": "id"}},
        {"notebook": "06_training_needs.ipynb", "name": "needs-small-unit",
         "parameters": {"data": f["needs"], "records": f["records"], "lang": "en"}},
    ]
    plan = tmp / "matrix.yml"
    plan.write_text(yaml.safe_dump({"name": "matrix", "reports": reports}, sort_keys=False, allow_unicode=True))
    run = run_plan(plan, out=tmp / "out", root=root, workers=2)
    return run


def _reports(run) -> dict[str, Path]:
    return {r.spec.name: r.html_path for r in run.runs}


def _visible_text(html: str) -> str:
    html = re.sub(r"(?s)<(script|style)[^>]*>.*?</\1>", " ", html)
    html = re.sub(r"(?s)<[^>]+>", " ", html)
    import html as _h

    return _h.unescape(html)


def test_every_adverse_report_ends_ok(matrix):
    failed = [(r.spec.name, r.status, str(r.error)[-800:]) for r in matrix.runs if r.status not in ("ok", "cached")]
    assert not failed, failed
    for name, path in _reports(matrix).items():
        html = path.read_text(encoding="utf-8")
        assert "Traceback" not in html and "Error" not in _visible_text(html), name


def test_reports_speak_one_language(matrix):
    for name, path in _reports(matrix).items():
        html = path.read_text(encoding="utf-8")
        lang = re.search(r'<html lang="(\w+)"', html).group(1)
        text = _visible_text(html)
        for hostile in (IMG, SCRIPT):
            text = text.replace(hostile, " ")
        words = ENGLISH if lang == "id" else INDONESIAN
        found = [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
        assert not found, f"{name} ({lang}): {found}"
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        assert name not in title and len(title) > 10, f"{name}: title {title!r}"


def test_small_groups_are_not_shown(matrix):
    reports = _reports(matrix)
    unit_id = _visible_text(reports["skm-small-unit-id"].read_text(encoding="utf-8"))
    assert "hanya memiliki 2 responden" in unit_id and "Tabel pengolahan" not in unit_id
    unit_en = _visible_text(reports["skm-small-unit-en"].read_text(encoding="utf-8"))
    assert "only 2 respondents" in unit_en
    city = _visible_text(reports["skm-city-adverse"].read_text(encoding="utf-8"))
    assert "KEL-02" not in city and "kurang dari 5 responden" in city
    needs = _visible_text(reports["needs-small-unit"].read_text(encoding="utf-8"))
    assert "fewer than 5" in needs


def test_adverse_messages_are_in_the_report(matrix):
    reports = _reports(matrix)
    rel = _visible_text(reports["rel-adverse-en"].read_text(encoding="utf-8"))
    assert "should be reviewed" in rel  # items under min_r_drop = 0.9, no crash
    assert "could not be completed" in rel or "saturated" in rel or "It used" in rel
    impact = _visible_text(reports["impact-no-controls"].read_text(encoding="utf-8"))
    assert "no unit that has not yet or never taken the program" in impact
    city = _visible_text(reports["skm-city-adverse"].read_text(encoding="utf-8"))
    assert "Tidak ada jawaban untuk unsur berikut" in city


def test_no_injected_script_runs_and_text_is_literal(matrix, browser):
    for name, path in _reports(matrix).items():
        context = browser.new_context(viewport={"width": 1000, "height": 900})
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__xss") is None, name
        assert dialogs == [] and requests == [], (name, dialogs, requests)
        body = page.locator("body").inner_text()
        if name in ("skm-hostile-unit", "skm-city-adverse"):
            assert IMG in body, name
        if name == "training-hostile":
            assert SCRIPT in body, name
        if name.startswith("rel-adverse"):
            assert SCRIPT in body and IMG in body, name
        context.close()


def test_pages_fit_a4_and_a_phone(matrix, browser):
    for name, path in _reports(matrix).items():
        context = browser.new_context(viewport={"width": 794, "height": 1123})
        page = context.new_page()
        page.goto(path.as_uri())
        page.emulate_media(media="print")
        too_wide = page.evaluate(
            "() => { const W = document.documentElement.clientWidth; return [...document.querySelectorAll("
            "'table, img, figure, svg, pre')].filter(e => e.getBoundingClientRect().right > W + 1)"
            ".map(e => e.tagName + ' ' + Math.round(e.getBoundingClientRect().right)); }")
        assert too_wide == [], (name, too_wide)
        lang = page.evaluate("() => document.documentElement.lang")
        assert lang in ("id", "en"), name
        alts = page.evaluate("() => [...document.images].map(i => i.alt)")
        assert all(a and "No description" not in a for a in alts), (name, alts)
        context.close()
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(path.as_uri())
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, name
        summary = page.locator(".survey-summary")
        assert summary.count() == 1, name
        box = summary.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, name
        context.close()
