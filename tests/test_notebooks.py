"""Every notebook of the demo plan, run by the real batch runner on small demo data.

The plan's ``data/demo/...`` paths are pointed at demo data generated for the test session, and the
retargeted plan is written to pytest's temporary folder (the runner resolves its notebooks against
the project's notebooks/ folder), so the test never depends on, or writes into, the checkout.
The committed-notebook checks only read files; the plan run starts kernels (``slow``).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_carry_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name}: strip outputs before committing"
            assert cell.execution_count is None, f"{path.name}: strip execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_is_first_code_cell_with_comments(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), f"{path.name}: first code cell must be tagged parameters"
    for line in code[0].source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert "#" in line, f"{path.name}: parameter line without a comment: {line!r}"


def _retargeted_plan(root: Path, demo_dir: Path, tmp: Path) -> Path:
    plan = yaml.safe_load((root / "notebooks" / "plans" / "demo.yml").read_text())

    def fix(v):
        if isinstance(v, str) and v.startswith("data/demo/"):
            return str(demo_dir / v[len("data/demo/"):])
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    for rep in plan["reports"]:
        rep["parameters"] = {k: fix(v) for k, v in (rep.get("parameters") or {}).items()}
        if rep.get("grid"):
            rep["grid"] = {k: fix(v) for k, v in rep["grid"].items()}
    target = tmp / "demo.yml"
    target.write_text(yaml.safe_dump(plan, sort_keys=False))
    return target


@pytest.fixture(scope="module")
def demo_run(root, demo_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plan")
    plan = _retargeted_plan(root, demo_dir, tmp)
    proc = subprocess.run([sys.executable, "-m", "survey.cli", "run", str(plan), "--out", str(tmp / "out")],
                          capture_output=True, text=True, cwd=root, timeout=900)
    return proc, tmp / "out" / "demo"


@pytest.mark.slow
def test_demo_plan_succeeds(demo_run):
    proc, out = demo_run
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert (out / "index.html").exists()


@pytest.mark.slow
def test_every_report_is_shareable(demo_run):
    proc, out = demo_run
    reports = sorted(out.glob("*/report.html"))
    assert reports, "no report written"
    index = (out / "index.html").read_text()
    for rep in reports:
        html = rep.read_text()
        name = rep.parent.name
        assert f'href="{name}/report.html"' in index
        assert "<table" in html, f"{name}: no table"
        assert "data:image/png;base64," in html, f"{name}: no embedded figure"
        # markdown cells render inside jp-InputArea too; code shows as an editor block with highlighting
        assert 'class="jp-CodeMirrorEditor' not in html and 'class="highlight' not in html, f"{name}: code shown"
        assert "import survey" not in html and "from survey" not in html, f"{name}: code shown"
        assert "DATA SINTETIS" in html or "SYNTHETIC DATA" in html, f"{name}: no synthetic-data notice"
        assert not re.search(r"<script[^>]+src=\"https?://", html), f"{name}: loads a script from the internet"
        assert "Traceback" not in html, f"{name}: shows a traceback"
        # warnings printed to stderr are for analysts, not for the officials who read the report
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html, f"{name}: shows stderr output"
        results = json.loads((rep.parent / "results.json").read_text())
        assert results.get("synthetic") is True, f"{name}: results.json does not say the data are synthetic"


@pytest.mark.slow
def test_reliability_report_content(demo_run):
    proc, out = demo_run
    html_id = (out / "reliability-reaction-id" / "report.html").read_text()
    html_en = (out / "reliability-reaction-en" / "report.html").read_text()
    # labels follow lang, taken from the instrument
    assert "Relevansi" in html_id and "Relevance" in html_en
    res = json.loads((out / "reliability-reaction-id" / "results.json").read_text())
    assert 0.6 < res["alpha_relevance"] < 0.95


@pytest.mark.slow
def test_start_here_runs_and_shows_no_raw_paths(root, demo_dir, tmp_path):
    """Notebook 00 is not part of the demo plan; run it on its own. No cell may show a Python repr
    such as ``PosixPath('...')`` to a reader."""
    import papermill

    from survey.reports import _kernel_name

    executed = tmp_path / "00.ipynb"
    papermill.execute_notebook(str(root / "notebooks" / "00_start_here.ipynb"), str(executed),
                               parameters={"data_dir": str(demo_dir), "out_dir": str(tmp_path / "out")},
                               kernel_name=_kernel_name(), cwd=str(root), progress_bar=False,
                               request_save_on_cell_execute=False, execution_timeout=300)
    nb = nbformat.read(executed, as_version=4)
    shown = json.dumps([c.get("outputs", []) for c in nb.cells if c.cell_type == "code"])
    assert "PosixPath" not in shown and "WindowsPath" not in shown
    assert json.loads((tmp_path / "out" / "results.json").read_text())["synthetic"] is True


REPORT_NOTEBOOKS = [p for p in NOTEBOOKS if p.name[:2] in {"02", "03", "04", "05", "06"}]


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.name)
def test_report_notebooks_are_thin(path):
    """Parameters, load, one package call per section, display: no statistics, wording or
    formatting in cells (those live in survey.report and are tested there)."""
    import ast

    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code[1:]:
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), \
                f"{path.name}: a cell defines a function or class; move it to src/survey"
            assert not isinstance(node, (ast.For, ast.While, ast.ListComp, ast.DictComp, ast.GeneratorExp)), \
                f"{path.name}: a cell loops; move the computation to src/survey"
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                assert not keys & {"id", "en"}, f"{path.name}: a translation table in a cell; use the catalogs"
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert ".replace(" not in node.value
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not any(n.split(".")[0] in {"pandas", "numpy", "scipy", "statsmodels", "html", "IPython"}
                               for n in names), f"{path.name}: a cell imports {names}; cells only call survey"
        assert "Markdown(" not in cell.source and "HTML(" not in cell.source, \
            f"{path.name}: hand-built HTML/Markdown; use survey.report's escaping helpers"
    body = sum(len(c.source.splitlines()) for c in code[1:])
    assert body <= 40, f"{path.name}: {body} lines of code besides the parameters"


# English words an Indonesian report must not show, and Indonesian words an English one must not
ENGLISH_WORDS = ["coef", "pvalue", "ci_low", "ci_high", "Intercept", "cluster-robust", "draws", "weights", "all",
                 "pairwise", "Summary", "Methods", "respondents", "estimate", "wave", "sector"]
INDONESIAN_WORDS = ["Ringkasan", "Metode", "Rerata", "Periode", "Gelombang", "responden", "Tanggal",
                    "Diterbitkan", "Konstruk", "sampai", "Unsur"]


def _visible_text(html: str) -> str:
    import html as _h

    html = re.sub(r"(?s)<(script|style)[^>]*>.*?</\1>", " ", html)
    return _h.unescape(re.sub(r"(?s)<[^>]+>", " ", html))


@pytest.mark.slow
def test_reports_speak_their_language_and_open_with_a_summary(demo_run):
    proc, out = demo_run
    for rep in sorted(out.glob("*/report.html")):
        name = rep.parent.name
        if name.startswith("explore"):
            continue  # the explorer's view is the widgets' own
        html = rep.read_text()
        lang = re.search(r'<html lang="(\w+)"', html).group(1)
        text = _visible_text(html)
        words = ENGLISH_WORDS if lang == "id" else INDONESIAN_WORDS
        found = [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
        assert not found, f"{name} ({lang}): {found}"
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        assert name not in title, f"{name}: the page title is the report's slug"
        assert 'class="survey-summary"' in html and 'class="survey-methods"' in html, name
        # the summary comes right after the notice and the header
        assert html.index('class="survey-summary"') < html.index("<table"), name
        assert "No description has been provided" not in html, name
        assert re.search(r"<h1>.*</h1>", html) and ("BKPSDM Kota Medan" in html), name
