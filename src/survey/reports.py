"""Batch reports: plan YAML -> papermill (parallel) -> HTML with code hidden -> index page.

A plan (``notebooks/plans/*.yml``)::

    name: demo
    reports:
      - notebook: 02_reliability.ipynb        # relative to notebooks/
        parameters: {instrument: training_reaction, data: data/demo/training_reaction.csv}
        grid: {lang: [id, en]}               # optional: one report per combination

:func:`run_plan` checks the whole plan first (notebooks exist, parameter names are declared in the
notebook's ``parameters`` cell, values are JSON types) and runs nothing when it is wrong
(:class:`PlanError`). It then executes every report through papermill's Python API in a process
pool, exports each executed notebook to self-contained HTML in-process (code hidden, images
embedded, no script from the internet), and writes ``<out>/<plan>/index.html``. One failing report
never stops the others: its executed notebook and error stay beside the rest, marked failed.

The notebook helpers :func:`project_path` (from :mod:`survey.paths`), :func:`write_results`,
:func:`data_notice` and :func:`is_synthetic` (from :mod:`survey.report`) stay importable from here.
"""
from __future__ import annotations

import concurrent.futures as cf
import html
import itertools
import json
import os
import re
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import PlanError
from .files import atomic_write_text
from .paths import project_path, project_root  # noqa: F401  (re-exported)
from .report import NOTICE, data_notice, is_synthetic, write_results  # noqa: F401  (re-exported: notebooks import them from here)

KERNEL_NAME = "survey-workbench"
EXECUTION_TIMEOUT = 600  # seconds per cell
REPORT_TZ = "Asia/Jakarta"  # Kota Medan is on WIB; fixed so dates in reports do not depend on the host
PATH_KEYS = {"data", "out_dir", "units", "truth", "records", "mapping", "catalog"}
STATUS_OK, STATUS_FAILED = "ok", "failed"


# --------------------------------------------------------------------------------------------
# plans
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSpec:
    """One report of a plan, after grid expansion."""

    name: str
    notebook: Path
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    name: str
    path: Path
    reports: list[ReportSpec]


@dataclass
class ReportRun:
    spec: ReportSpec
    status: str
    out_dir: Path
    seconds: float
    error: str | None = None
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def html_path(self) -> Path:
        return self.out_dir / "report.html"


@dataclass
class PlanRun:
    plan: Plan
    out_dir: Path
    runs: list[ReportRun]
    seconds: float

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"

    @property
    def ok(self) -> bool:
        return all(r.status == STATUS_OK for r in self.runs)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


_SLUG_RE = re.compile(r"[^A-Za-z0-9_.-]+")


def _slug(text: str) -> str:
    return _SLUG_RE.sub("-", text).strip("-")[:80] or "report"


def _is_json_value(v: Any) -> bool:
    if v is None or isinstance(v, (str, bool, int, float)):
        return True
    if isinstance(v, list):
        return all(_is_json_value(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _is_json_value(x) for k, x in v.items())
    return False


def notebook_parameters(notebook: Path) -> dict[str, dict]:
    """Parameters declared in a notebook's ``parameters`` cell (name -> papermill's description)."""
    import papermill

    try:
        return dict(papermill.inspect_notebook(str(notebook)))
    except Exception as err:  # a damaged notebook file
        raise PlanError(f"{notebook}: cannot inspect the notebook ({type(err).__name__}: {err})") from None


def load_plan(path: str | Path, root: str | Path | None = None) -> Plan:
    """Read and check a plan; every problem is listed in one :class:`PlanError`."""
    p = Path(path)
    root = Path(root) if root else project_root(p.resolve().parent)
    if not p.is_file():
        raise PlanError(f"{p}: plan file not found; plans live in notebooks/plans/")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PlanError(f"{p}:{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    if not isinstance(data, dict):
        raise PlanError(f"{p}: a plan is a mapping with keys 'name' and 'reports'")
    problems: list[str] = []
    unknown = set(data) - {"name", "reports", "description"}
    if unknown:
        problems.append(f"unknown top-level key(s) {sorted(unknown)}; allowed: name, reports, description")
    name = data.get("name")
    if not isinstance(name, str) or not _SLUG_RE.sub("", name) == name or not name:
        problems.append(f"name: {name!r} must be a non-empty name of letters, digits, '-', '_' or '.'")
    entries = data.get("reports")
    if not isinstance(entries, list) or not entries:
        problems.append("reports: give a non-empty list of reports")
        entries = []
    specs: list[ReportSpec] = []
    inspected: dict[Path, dict] = {}
    for k, entry in enumerate(entries):
        where = f"reports[{k}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: each report is a mapping with 'notebook' and 'parameters'")
            continue
        bad_keys = set(entry) - {"notebook", "parameters", "grid", "name"}
        if bad_keys:
            problems.append(f"{where}: unknown key(s) {sorted(bad_keys)}; allowed: notebook, parameters, grid, name")
        nb_name = entry.get("notebook")
        if not isinstance(nb_name, str):
            problems.append(f"{where}.notebook: missing; give a notebook file name relative to notebooks/")
            continue
        nb = root / "notebooks" / nb_name
        if not nb.is_file():
            known = ", ".join(sorted(x.name for x in (root / "notebooks").glob("*.ipynb")))
            problems.append(f"{where}.notebook: {nb_name!r} not found in notebooks/ (known: {known})")
            continue
        if nb not in inspected:
            try:
                inspected[nb] = notebook_parameters(nb)
            except PlanError as err:
                problems.append(f"{where}.notebook: {err}")
                continue
        declared = inspected[nb]
        params = entry.get("parameters") or {}
        grid = entry.get("grid") or {}
        if not isinstance(params, dict) or not isinstance(grid, dict):
            problems.append(f"{where}: 'parameters' and 'grid' must be mappings")
            continue
        for key in [*params, *grid]:
            if key not in declared:
                problems.append(f"{where}: unknown parameter {key!r} for {nb_name} "
                                f"(declared: {', '.join(declared) or 'none'})")
            if key == "out_dir":
                problems.append(f"{where}: 'out_dir' is set by the runner; remove it from the plan")
        for key, v in params.items():
            if not _is_json_value(v):
                problems.append(f"{where}.parameters.{key}: {v!r} is not a JSON value (string, number, true/false, list)")
        for key, vals in grid.items():
            if not isinstance(vals, list) or not vals:
                problems.append(f"{where}.grid.{key}: give a non-empty list of values")
        if all(isinstance(v, list) and v for v in grid.values()):
            keys = list(grid)
            combos = itertools.product(*[grid[k] for k in keys]) if keys else [()]
            for combo in combos:
                values = {**params, **dict(zip(keys, combo))}
                label = entry.get("name") or Path(nb_name).stem
                suffix = "-".join(_slug(str(v)) if str(v) else "none" for v in combo)
                specs.append(ReportSpec(name=f"{label}-{suffix}" if suffix else str(label), notebook=nb,
                                        parameters=values))
    names = [s.name for s in specs]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"two reports would both be named {dup!r}; give them a distinct 'name'")
    # paths in parameters are relative to the project root
    checked: list[ReportSpec] = []
    for s in specs:
        params = {}
        for key, v in s.parameters.items():
            if isinstance(v, str) and v and (key in PATH_KEYS or "/" in v) and not v.startswith(("http:", "https:")):
                absolute = (root / v).resolve() if not Path(v).is_absolute() else Path(v)
                if key in PATH_KEYS or absolute.exists():
                    v = str(absolute)
            params[key] = v
        checked.append(ReportSpec(s.name, s.notebook, params))
    if problems:
        raise PlanError(f"{p}: the plan is wrong, nothing was run:\n" + "\n".join(f"  - {x}" for x in problems))
    return Plan(name=str(name), path=p, reports=checked)


# --------------------------------------------------------------------------------------------
# execution
# --------------------------------------------------------------------------------------------
def _kernel_name() -> str:
    """The project kernel when registered (``make`` does it), else the current interpreter's."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        if KERNEL_NAME in KernelSpecManager().find_kernel_specs():
            return KERNEL_NAME
    except Exception:
        pass
    return "python3"


def html_exporter():
    """nbconvert exporter for shared reports: code and prompts hidden, tagged cells removed."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.remove_cell_tags = ("remove_cell",)
    c.TagRemovePreprocessor.remove_input_tags = ("remove_input",)
    c.TagRemovePreprocessor.enabled = True
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    templates = str(resources.files("survey") / "templates")
    exporter = HTMLExporter(config=c, template_name="survey_report", extra_template_basedirs=[templates])
    exporter.register_preprocessor(TagRemovePreprocessor(config=c), enabled=True)
    return exporter


def export_html(notebook_path: Path, html_path: Path, title: str | None = None) -> None:
    """Export an executed notebook to self-contained HTML (atomic write)."""
    import nbformat

    nb = nbformat.read(str(notebook_path), as_version=4)
    # Saved widget state needs a live kernel; without it nbconvert draws an empty box. Dropping it
    # makes widget outputs fall back to their static text/html representation.
    nb.metadata.pop("widgets", None)
    if title:
        nb.metadata["title"] = title
    body, _ = html_exporter().from_notebook_node(nb)
    atomic_write_text(html_path, body)


def _run_one(spec: ReportSpec, out_dir: str, root: str, kernel: str) -> dict[str, Any]:
    """Execute one report in a worker process; returns a plain dict (picklable)."""
    import papermill

    os.environ.pop("MPLBACKEND", None)  # Agg would silently drop every inline figure
    os.environ["TZ"] = REPORT_TZ
    os.environ["SURVEY_PROJECT_ROOT"] = root
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("results.json", "error.txt", "report.html"):
        (out / stale).unlink(missing_ok=True)
    executed = out / "notebook.ipynb"
    params = {**spec.parameters, "out_dir": str(out)}
    t0 = time.perf_counter()
    status, error = STATUS_OK, None
    # The kernel inherits this worker's stderr; send its chatter to a log beside the report
    # instead of the user's terminal.
    log = open(out / "kernel.log", "w", encoding="utf-8")
    saved_stderr = os.dup(2)
    os.dup2(log.fileno(), 2)
    try:
        papermill.execute_notebook(
            str(spec.notebook), str(executed), parameters=params, kernel_name=kernel, cwd=root,
            execution_timeout=EXECUTION_TIMEOUT, request_save_on_cell_execute=False,
            progress_bar=False, log_output=False, start_timeout=120,
        )
    except Exception as err:  # the notebook failed; keep going and record why
        status = STATUS_FAILED
        error = _short_error(err)
        atomic_write_text(out / "error.txt", f"{type(err).__name__}: {err}\n\n{traceback.format_exc()}")
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        log.close()
    try:
        if executed.exists():
            export_html(executed, out / "report.html", title=spec.name)
    except Exception as err:
        status = STATUS_FAILED
        error = (error + "; " if error else "") + f"HTML export failed: {type(err).__name__}: {err}"
    results: dict[str, Any] = {}
    if (out / "results.json").exists():
        try:
            results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            results = {}
    if status == STATUS_OK and (out / "report.html").exists():
        leak = _scan_html(out / "report.html")
        if leak:
            status, error = STATUS_FAILED, f"personal data found in the report: {leak}"
    return dict(status=status, error=error, results=results, seconds=time.perf_counter() - t0)


def _scan_html(path: Path) -> str | None:
    """Name the first identifier-like text in a report, if any (see privacy.scan_for_identifiers)."""
    from .privacy import scan_for_identifiers

    found = scan_for_identifiers(path)
    if found.empty:
        return None
    first = found.iloc[0]
    return f"{len(found)} match(es), first a {first['kind']} at line {first['line']}"


def _short_error(err: Exception) -> str:
    name = getattr(err, "ename", None) or type(err).__name__
    value = getattr(err, "evalue", None) or str(err)
    cell = getattr(err, "exec_count", None)
    where = f" (cell {cell})" if cell else ""
    line = str(value).strip().splitlines()[0] if str(value).strip() else ""
    return f"{name}{where}: {line}"[:500]


def run_plan(plan: str | Path | Plan, out: str | Path | None = None, workers: int | None = None,
             root: str | Path | None = None) -> PlanRun:
    """Run every report of a plan; see the module docstring. Raises :class:`PlanError` when the
    plan is wrong (nothing runs)."""
    if not isinstance(plan, Plan):
        plan = load_plan(plan, root=root)
    root_path = Path(root) if root else project_root(plan.path.resolve().parent)
    base = Path(out) if out else root_path / "outputs"
    if not base.is_absolute():
        base = root_path / base
    plan_dir = base / plan.name
    plan_dir.mkdir(parents=True, exist_ok=True)
    if workers is not None and workers < 1:
        raise PlanError(f"--workers must be at least 1, got {workers}")
    workers = workers or max(1, min(os.cpu_count() or 1, len(plan.reports)))
    kernel = _kernel_name()
    t0 = time.perf_counter()
    runs: list[ReportRun | None] = [None] * len(plan.reports)
    with cf.ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(_run_one, spec, str(plan_dir / spec.name), str(root_path), kernel): k
            for k, spec in enumerate(plan.reports)
        }
        for fut in cf.as_completed(futures):
            k = futures[fut]
            spec = plan.reports[k]
            try:
                r = fut.result()
            except Exception as err:  # the worker itself died
                r = dict(status=STATUS_FAILED, error=f"{type(err).__name__}: {err}", results={}, seconds=0.0)
            runs[k] = ReportRun(spec=spec, status=r["status"], out_dir=plan_dir / spec.name,
                                seconds=r["seconds"], error=r["error"], results=r["results"])
    done = [r for r in runs if r is not None]
    result = PlanRun(plan=plan, out_dir=plan_dir, runs=done, seconds=time.perf_counter() - t0)
    write_index(result, root_path)
    return result


# --------------------------------------------------------------------------------------------
# index page
# --------------------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _params_text(params: dict[str, Any], root: Path) -> str:
    parts = []
    for k, v in params.items():
        if isinstance(v, str):
            try:
                v = str(Path(v).relative_to(root))
            except ValueError:
                pass
        parts.append(f"{k} = {v}")
    return "; ".join(parts)


def write_index(run: PlanRun, root: Path) -> Path:
    """The plan's index page: every report with status, parameters and key figures."""
    synthetic = any(r.results.get("synthetic") for r in run.runs)
    rows = []
    for r in sorted(run.runs, key=lambda x: x.spec.name):
        link = (f'<a href="{html.escape(r.spec.name)}/report.html">{html.escape(r.spec.name)}</a>'
                if r.html_path.exists() else html.escape(r.spec.name))
        figures = ", ".join(f"{html.escape(str(k))}: {html.escape(_fmt(v))}" for k, v in r.results.items()
                            if k != "synthetic" and isinstance(v, (int, float, str)) and not isinstance(v, bool))
        status = ('<span class="ok">ok</span>' if r.status == STATUS_OK else
                  f'<span class="failed">failed</span><div class="err">{html.escape(r.error or "")}</div>'
                  f'<div><a href="{html.escape(r.spec.name)}/notebook.ipynb">executed notebook</a></div>')
        rows.append(f"<tr><td>{link}</td><td>{html.escape(r.spec.notebook.name)}</td><td>{status}</td>"
                    f"<td class='params'>{html.escape(_params_text(r.spec.parameters, root))}</td>"
                    f"<td>{figures}</td><td>{r.seconds:.1f} s</td></tr>")
    n_ok = sum(r.status == STATUS_OK for r in run.runs)
    notice = (f'<p class="notice">{html.escape(NOTICE["id"])}<br>{html.escape(NOTICE["en"])}</p>' if synthetic else "")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>{html.escape(run.plan.name)}: Survey Workbench reports</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }}
.ok {{ color: #1e7d32; font-weight: bold; }} .failed {{ color: #b71c1c; font-weight: bold; }}
.err {{ color: #b71c1c; font-size: 12px; max-width: 30em; }} .params {{ font-size: 12px; color: #555; }}
.notice {{ border-left: 6px solid #c0392b; background: #fdecea; padding: 8px 12px; }}
</style></head><body>
<h1>Laporan / Reports: {html.escape(run.plan.name)}</h1>
{notice}
<p>{n_ok} of {len(run.runs)} reports succeeded; plan <code>{html.escape(str(run.plan.path.name))}</code>,
run {stamp} in {run.seconds:.0f} s.</p>
<table><thead><tr><th>Report</th><th>Notebook</th><th>Status</th><th>Parameters</th><th>Key figures</th><th>Time</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p style="font-size:12px;color:#777">Made with Survey Workbench.</p>
</body></html>
"""
    atomic_write_text(run.index, page)
    return run.index
