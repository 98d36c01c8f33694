"""The workbench in a real browser: JupyterLab with the widgets, and a shared HTML report.

Run with ``pytest -m browser``; ``make test`` runs them with everything else. Screenshots land in
outputs/ui/ (designer.png, explorer.png, report-*.png) for a human to look at.
"""
from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.browser


def open_notebook(page, server: dict, path: str, workspace: str) -> None:
    """Open a notebook in its own workspace (no tabs restored from another test) and wait for
    an idle kernel."""
    page.goto(f"{server['url']}/lab/workspaces/{workspace}/tree/{path}?reset&token={server['token']}")
    page.locator(".jp-NotebookPanel").first.wait_for(state="visible", timeout=90_000)
    # the status bar names the kernel once it is connected and idle; running before that makes
    # JupyterLab ask for a kernel
    # ("Python (Survey Workbench)" when `make` registered the kernel in .venv, "Survey Workbench"
    # when only the test's own kernelspec exists)
    page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"Survey Workbench\)? \| Idle")).first.wait_for(timeout=90_000)


def run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.get_by_text("Run All Cells", exact=True).click()


def test_designer_edits_a_label_and_saves_yaml(page, jupyter_lab, screenshots):
    root: Path = jupyter_lab["root"]
    target = root / "outputs" / "scratch" / "01_instrument_designer" / "training_reaction.yaml"
    assert not target.exists()
    open_notebook(page, jupyter_lab, "notebooks/01_instrument_designer.ipynb", "designer")
    run_all(page)
    label_en = page.locator(".survey-designer-label-en textarea")
    label_en.wait_for(state="visible", timeout=90_000)
    assert label_en.input_value().startswith("The content of this training matches")  # REL1 is selected
    status = page.locator(".survey-designer-status")
    assert "valid" in status.inner_text().lower()
    # the environment's JupyterLab settings (written by `make install`) keep the news prompt away
    assert page.get_by_text("official Jupyter news", exact=False).count() == 0

    # validation as you type: an empty English label is reported at once, by item and language
    label_en.fill("")
    problems = page.locator(".survey-designer-problems")
    problems.get_by_text("items[0] (REL1).label: missing the English (en) text").wait_for(timeout=20_000)

    new_label = f"Edited in the browser {secrets.token_hex(3)}"
    label_en.fill(new_label)
    page.wait_for_function("() => document.querySelector('.survey-designer-problems').innerText.trim() === ''",
                           timeout=20_000)
    page.locator("button.survey-designer-save").click()
    page.locator(".survey-designer-message", has_text="training_reaction.yaml").wait_for(timeout=20_000)
    page.locator(".survey-designer").screenshot(path=str(screenshots / "designer.png"))
    # the preview shows the questionnaire in the language asked for, with the edit
    page.locator(".survey-designer-tabs .lm-TabBar-tab", has_text="Pratinjau").click()
    page.locator(".survey-designer-preview-lang button", has_text="English").click()
    page.locator(".survey-designer-preview", has_text=new_label).wait_for(timeout=20_000)
    page.locator(".survey-designer").screenshot(path=str(screenshots / "designer-preview.png"))
    page.locator(".survey-designer-tabs .lm-TabBar-tab", has_text="Konstruk").click()
    assert page.locator(".survey-designer-construct-list option").all_inner_texts() == [
        "relevance", "applicability", "facilitator", "organisation"]
    page.locator(".survey-designer-tabs .lm-TabBar-tab", has_text="Skala").click()
    assert page.locator(".survey-designer-scale-options textarea").input_value().startswith(
        "1 | Sangat tidak setuju | Strongly disagree")
    page.locator(".survey-designer").screenshot(path=str(screenshots / "designer-scales.png"))

    saved = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert saved["items"][0]["name"] == "REL1"
    assert saved["items"][0]["label"]["en"] == new_label
    # the Indonesian label and every other item are as built in
    from survey import load_instrument

    builtin = load_instrument("training_reaction")
    assert saved["items"][0]["label"]["id"] == builtin.items[0].label["id"]
    assert [i["label"]["en"] for i in saved["items"][1:]] == [i.label["en"] for i in builtin.items[1:]]
    # the saved file is a valid instrument with the new label
    assert load_instrument(target).label("REL1", "en") == new_label
    jupyter_lab["shutdown_kernels"]()


def test_explorer_figure_follows_the_construct(page, jupyter_lab, screenshots):
    open_notebook(page, jupyter_lab, "notebooks/07_explore.ipynb", "explorer")
    run_all(page)
    img = page.locator(".survey-explorer-likert img, img.survey-explorer-likert").first
    img.wait_for(state="visible", timeout=90_000)
    page.wait_for_function(
        "() => { const i = document.querySelector('.survey-explorer-likert img, img.survey-explorer-likert');"
        " return i && i.complete && i.naturalWidth > 100; }", timeout=30_000)
    before_src = img.get_attribute("src")
    summary = page.locator(".survey-explorer-summary")
    before_summary = summary.inner_text()
    assert "Motivasi" in before_summary  # the first construct of employee_survey, in Indonesian

    trend = page.locator(".survey-explorer-trend img, img.survey-explorer-trend").first
    trend_src = trend.get_attribute("src")
    construct = page.locator(".survey-explorer-construct select")
    options = construct.locator("option").all_inner_texts()
    assert len(options) == 4, options
    construct.select_option(index=1)
    page.wait_for_function(
        "(old) => { const i = document.querySelector('.survey-explorer-likert img, img.survey-explorer-likert');"
        " return i && i.src !== old && i.complete && i.naturalWidth > 100; }", arg=before_src, timeout=30_000)
    summary.get_by_text(options[1]).wait_for(timeout=20_000)
    assert summary.inner_text() != before_summary
    # the trend follows too (it is drawn after the Likert chart)
    page.wait_for_function(
        "(old) => { const i = document.querySelector('.survey-explorer-trend img, img.survey-explorer-trend');"
        " return i && i.src !== old && i.complete && i.naturalWidth > 100; }", arg=trend_src, timeout=30_000)
    assert trend.is_visible()
    page.locator(".survey-explorer").screenshot(path=str(screenshots / "explorer.png"))
    jupyter_lab["shutdown_kernels"]()


@pytest.fixture(scope="module")
def batch_reports(ui_project, tmp_path_factory):
    """A small plan through the real batch runner: the start page, a reliability report and the
    explorer's report (its widget cell is left out; the view is static)."""
    from survey.reports import run_plan

    plan = ui_project / "notebooks" / "plans" / "ui-test.yml"
    plan.write_text(yaml.safe_dump({"name": "ui", "reports": [
        {"notebook": "00_start_here.ipynb", "name": "start", "parameters": {"lang": "en"}},
        {"notebook": "02_reliability.ipynb", "name": "reliability",
         "parameters": {"instrument": "training_reaction", "data": "data/demo/training_reaction.csv", "lang": "en"}},
        {"notebook": "07_explore.ipynb", "name": "explore",
         "parameters": {"data": "data/demo/skm.csv", "lang": "id"}},
    ]}, sort_keys=False))
    run = run_plan(plan, out=tmp_path_factory.mktemp("reports"), root=ui_project, workers=2)
    assert run.ok, [(r.spec.name, r.error) for r in run.runs]
    return run


# the reliability report draws its answer charts as HTML tables (counted with the tables), no pictures
@pytest.mark.parametrize("name, code_marker, min_tables, min_images", [
    ("start", "demo_overview(", 3, 0), ("reliability", "alpha_for(", 10, 0), ("explore", "Explorer(", 1, 2)])
def test_batch_report_shows_tables_and_images_without_code(page, batch_reports, screenshots, name, code_marker,
                                                           min_tables, min_images):
    report = batch_reports.out_dir / name / "report.html"
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    assert page.locator("table").count() >= min_tables
    assert page.locator("img").count() >= min_images
    broken = page.evaluate("() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length")
    assert broken == 0
    # no code: no code input areas (markdown cells keep theirs), no prompts, no source text
    assert page.locator(".jp-CodeCell").count() >= 1
    assert page.locator(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-CodeMirrorEditor, .jp-CodeCell .highlight").count() == 0
    text = page.locator("body").inner_text()
    assert code_marker not in text and "import " not in text
    # widgets: never an empty box (widget cells are left out; the view is static HTML)
    empty = page.evaluate(
        "() => [...document.querySelectorAll('.jupyter-widgets, .widget-box, .lm-Widget')]"
        ".filter(e => e.innerText.trim() === '' && !e.querySelector('img')).length")
    assert empty == 0
    assert "SINTETIS" in text or "SYNTHETIC" in text
    page.screenshot(path=str(screenshots / f"report-{name}.png"), full_page=True)
    assert errors == []
