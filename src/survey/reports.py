"""Batch reports: plan YAML -> papermill (parallel) -> HTML with code hidden -> index page.

A plan (``notebooks/plans/*.yml``)::

    name: demo
    reports:
      - notebook: 02_reliability.ipynb        # relative to notebooks/
        parameters: {instrument: training_reaction, data: data/demo/training_reaction.csv}
        grid: {lang: [id, en]}               # optional: one report per combination

The plan file may live anywhere (the shared ones are in ``notebooks/plans/``): notebook names are
looked up in the project's ``notebooks/`` folder and path parameters are relative to the project
root, never to the plan's folder.

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
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import yaml

from .errors import PlanError
from .files import atomic_write_text
from .paths import ROOT_ENV, find_project_root, project_path, project_root  # noqa: F401  (project_path re-exported)
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
    """A checked plan: its name (the output folder), its file, and its reports after grid expansion."""

    name: str
    path: Path
    reports: list[ReportSpec]


@dataclass
class ReportRun:
    """What running one report gave: status (``ok`` or ``failed``), its folder, time, error line
    and the figures of its ``results.json``."""

    spec: ReportSpec
    status: str
    out_dir: Path
    seconds: float
    error: str | None = None
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def html_path(self) -> Path:
        """The shared report (present only when the export succeeded)."""
        return self.out_dir / "report.html"


@dataclass
class PlanRun:
    """What running a plan gave: every report's run, the output folder and the total time."""

    plan: Plan
    out_dir: Path
    runs: list[ReportRun]
    seconds: float

    @property
    def index(self) -> Path:
        """The index page listing every report."""
        return self.out_dir / "index.html"

    @property
    def ok(self) -> bool:
        """True when every report succeeded."""
        return all(r.status == STATUS_OK for r in self.runs)

    @property
    def exit_code(self) -> int:
        """The command's exit code: 0 when every report succeeded, 1 when any failed."""
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


_TOP_KEYS = ("name", "reports", "description")
_ENTRY_KEYS = ("notebook", "parameters", "grid", "name")


def load_plan(path: str | Path, root: str | Path | None = None) -> Plan:
    """Read and check a plan; every problem is listed in one :class:`PlanError`.

    The plan file may live anywhere. Notebook names are resolved against the project's
    ``notebooks/`` folder and path parameters against the project root, never against the plan's
    folder; the project is ``root`` when given, else the project holding the plan, else
    :func:`survey.paths.project_root`.
    """
    p = Path(path)
    if not p.is_file():
        raise PlanError(f"{p}: plan file not found; plans live in notebooks/plans/")
    root_path = plan_root(p, root)
    data = _read_plan_yaml(p)
    problems: list[str] = []
    name, entries = _check_top_level(data, problems)
    specs: list[ReportSpec] = []
    inspected: dict[Path, dict] = {}
    for k, entry in enumerate(entries):
        specs += _entry_specs(f"reports[{k}]", entry, root_path, inspected, problems)
    names = [s.name for s in specs]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"two reports would both be named {dup!r}; give them a distinct 'name'")
    if problems:
        raise PlanError(f"{p}: the plan is wrong, nothing was run:\n" + "\n".join(f"  - {x}" for x in problems))
    reports = [ReportSpec(s.name, s.notebook, _absolute_paths(s.parameters, root_path)) for s in specs]
    return Plan(name=str(name), path=p, reports=reports)


def plan_root(plan_path: str | Path, root: str | Path | None = None) -> Path:
    """The project a plan runs in: ``root`` when given, else the project folder holding the plan,
    else :func:`project_root` (so a plan written to a temporary folder runs in the current project)."""
    if root:
        return Path(root)
    found = find_project_root(Path(plan_path).resolve().parent)
    return found if found is not None else project_root()


def _read_plan_yaml(p: Path) -> dict:
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PlanError(f"{p}:{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    if not isinstance(data, dict):
        raise PlanError(f"{p}: a plan is a mapping with keys 'name' and 'reports'")
    return data


def _check_top_level(data: dict, problems: list[str]) -> tuple[Any, list]:
    """The plan's name and report entries; problems are appended to ``problems``."""
    unknown = set(data) - set(_TOP_KEYS)
    if unknown:
        problems.append(f"unknown top-level key(s) {sorted(unknown)}; allowed: {', '.join(_TOP_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not _SLUG_RE.sub("", name) == name or not name:
        problems.append(f"name: {name!r} must be a non-empty name of letters, digits, '-', '_' or '.'")
    entries = data.get("reports")
    if not isinstance(entries, list) or not entries:
        problems.append("reports: give a non-empty list of reports")
        entries = []
    return name, entries


def _entry_specs(where: str, entry: Any, root: Path, inspected: dict[Path, dict],
                 problems: list[str]) -> list[ReportSpec]:
    """The reports one plan entry expands to (none when the entry is wrong)."""
    if not isinstance(entry, dict):
        problems.append(f"{where}: each report is a mapping with 'notebook' and 'parameters'")
        return []
    bad_keys = set(entry) - set(_ENTRY_KEYS)
    if bad_keys:
        problems.append(f"{where}: unknown key(s) {sorted(bad_keys)}; allowed: {', '.join(_ENTRY_KEYS)}")
    nb = _entry_notebook(where, entry.get("notebook"), root, problems)
    if nb is None:
        return []
    if nb not in inspected:
        try:
            inspected[nb] = notebook_parameters(nb)
        except PlanError as err:
            problems.append(f"{where}.notebook: {err}")
            return []
    params = entry.get("parameters") or {}
    grid = entry.get("grid") or {}
    if not isinstance(params, dict) or not isinstance(grid, dict):
        problems.append(f"{where}: 'parameters' and 'grid' must be mappings")
        return []
    _check_parameters(where, nb.name, params, grid, inspected[nb], problems)
    if not all(isinstance(v, list) and v for v in grid.values()):
        return []
    return _grid_specs(entry.get("name") or nb.stem, nb, params, grid)


def _entry_notebook(where: str, nb_name: Any, root: Path, problems: list[str]) -> Path | None:
    """The entry's notebook in the project's ``notebooks/`` folder, or None (with a problem)."""
    if not isinstance(nb_name, str):
        problems.append(f"{where}.notebook: missing; give a notebook file name relative to notebooks/")
        return None
    nb = root / "notebooks" / nb_name
    if not nb.is_file():
        known = ", ".join(sorted(x.name for x in (root / "notebooks").glob("*.ipynb")))
        problems.append(f"{where}.notebook: {nb_name!r} not found in notebooks/ (known: {known})")
        return None
    return nb


def _check_parameters(where: str, nb_name: str, params: dict, grid: dict, declared: dict,
                      problems: list[str]) -> None:
    """Names must be declared in the notebook's parameters cell, values must be JSON."""
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


def _grid_specs(label: Any, nb: Path, params: dict, grid: dict) -> list[ReportSpec]:
    """One report per combination of the grid's values, named ``label-value-value``."""
    keys = list(grid)
    combos = itertools.product(*[grid[k] for k in keys]) if keys else [()]
    specs = []
    for combo in combos:
        suffix = "-".join(_slug(str(v)) if str(v) else "none" for v in combo)
        specs.append(ReportSpec(name=f"{label}-{suffix}" if suffix else str(label), notebook=nb,
                                parameters={**params, **dict(zip(keys, combo))}))
    return specs


def _absolute_paths(params: dict[str, Any], root: Path) -> dict[str, Any]:
    """Root-relative paths made absolute: always for the known path parameters, and for any other
    string with a '/' when that file exists (a label such as "1/2" stays as it is)."""
    out = {}
    for key, v in params.items():
        if isinstance(v, str) and v and (key in PATH_KEYS or "/" in v) and not v.startswith(("http:", "https:")):
            absolute = (root / v).resolve() if not Path(v).is_absolute() else Path(v)
            if key in PATH_KEYS or absolute.exists():
                v = str(absolute)
        out[key] = v
    return out


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
    _prepare_worker(root)
    out = Path(out_dir)
    _clear_outputs(out)
    executed = out / "notebook.ipynb"
    t0 = time.perf_counter()
    status, error = _execute(spec, executed, out, root, kernel)
    try:
        if executed.exists():
            export_html(executed, out / "report.html", title=spec.name)
    except Exception as err:
        status = STATUS_FAILED
        error = (error + "; " if error else "") + f"HTML export failed: {type(err).__name__}: {err}"
    if status == STATUS_OK and (out / "report.html").exists():
        leak = _scan_html(out / "report.html")
        if leak:
            status, error = STATUS_FAILED, f"personal data found in the report: {leak}"
    return dict(status=status, error=error, results=_read_results(out), seconds=time.perf_counter() - t0)


def _prepare_worker(root: str) -> None:
    os.environ.pop("MPLBACKEND", None)  # Agg would silently drop every inline figure
    os.environ["TZ"] = REPORT_TZ
    os.environ[ROOT_ENV] = root  # the kernel's project_path() resolves against the plan's project
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _clear_outputs(out: Path) -> None:
    """Remove what an earlier run left, so a failed run never shows the previous run's report."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("results.json", "error.txt", "report.html"):
        (out / stale).unlink(missing_ok=True)


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send file descriptor 2 (which the kernel inherits) to ``path`` for the block: the kernel's
    chatter goes to a log beside the report instead of the user's terminal."""
    with open(path, "w", encoding="utf-8") as log:
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _execute(spec: ReportSpec, executed: Path, out: Path, root: str, kernel: str) -> tuple[str, str | None]:
    """Run the notebook through papermill; a failure is recorded in ``error.txt``, not raised."""
    import papermill

    params = {**spec.parameters, "out_dir": str(out)}
    with _stderr_to(out / "kernel.log"):
        try:
            papermill.execute_notebook(
                str(spec.notebook), str(executed), parameters=params, kernel_name=kernel, cwd=root,
                execution_timeout=EXECUTION_TIMEOUT, request_save_on_cell_execute=False,
                progress_bar=False, log_output=False, start_timeout=120,
            )
        except Exception as err:  # the notebook failed; keep going and record why
            atomic_write_text(out / "error.txt", f"{type(err).__name__}: {err}\n\n{traceback.format_exc()}")
            return STATUS_FAILED, _short_error(err)
    return STATUS_OK, None


def _read_results(out: Path) -> dict[str, Any]:
    """The report's ``results.json`` ({} when it wrote none or a broken one)."""
    try:
        return json.loads((out / "results.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


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
    plan is wrong (nothing runs, nothing is written)."""
    if not isinstance(plan, Plan):
        plan = load_plan(plan, root=root)
    if workers is not None and workers < 1:
        raise PlanError(f"--workers must be at least 1, got {workers}")
    root_path = plan_root(plan.path, root)
    plan_dir = _output_dir(out, root_path) / plan.name
    plan_dir.mkdir(parents=True, exist_ok=True)
    workers = workers or max(1, min(os.cpu_count() or 1, len(plan.reports)))
    t0 = time.perf_counter()
    runs = _run_reports(plan.reports, plan_dir, root_path, workers)
    result = PlanRun(plan=plan, out_dir=plan_dir, runs=runs, seconds=time.perf_counter() - t0)
    write_index(result, root_path)
    return result


def _output_dir(out: str | Path | None, root: Path) -> Path:
    """``out`` (relative to the project root), ``outputs/`` by default."""
    base = Path(out) if out else root / "outputs"
    return base if base.is_absolute() else root / base


def _run_reports(reports: list[ReportSpec], plan_dir: Path, root: Path, workers: int) -> list[ReportRun]:
    """Every report in a process pool, in plan order; a worker that dies fails only its report."""
    kernel = _kernel_name()
    runs: list[ReportRun | None] = [None] * len(reports)
    with cf.ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_run_one, spec, str(plan_dir / spec.name), str(root), kernel): k
                   for k, spec in enumerate(reports)}
        for fut in cf.as_completed(futures):
            k = futures[fut]
            spec = reports[k]
            try:
                r = fut.result()
            except Exception as err:  # the worker itself died
                r = dict(status=STATUS_FAILED, error=f"{type(err).__name__}: {err}", results={}, seconds=0.0)
            runs[k] = ReportRun(spec=spec, status=r["status"], out_dir=plan_dir / spec.name,
                                seconds=r["seconds"], error=r["error"], results=r["results"])
    return [r for r in runs if r is not None]


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


_INDEX_PAGE = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>{title}: Survey Workbench reports</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }}
.ok {{ color: #1e7d32; font-weight: bold; }} .failed {{ color: #b71c1c; font-weight: bold; }}
.err {{ color: #b71c1c; font-size: 12px; max-width: 30em; }} .params {{ font-size: 12px; color: #555; }}
.notice {{ border-left: 6px solid #c0392b; background: #fdecea; padding: 8px 12px; }}
</style></head><body>
<h1>Laporan / Reports: {title}</h1>
{notice}
<p>{n_ok} of {n} reports succeeded; plan <code>{plan_file}</code>,
run {stamp} in {seconds:.0f} s.</p>
<table><thead><tr><th>Report</th><th>Notebook</th><th>Status</th><th>Parameters</th><th>Key figures</th><th>Time</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p style="font-size:12px;color:#777">Made with Survey Workbench.</p>
</body></html>
"""


def write_index(run: PlanRun, root: Path) -> Path:
    """The plan's index page: every report with status, parameters and key figures. It carries the
    synthetic-data notice when any report's ``results.json`` says its data were synthetic."""
    synthetic = any(r.results.get("synthetic") for r in run.runs)
    rows = [_index_row(r, root) for r in sorted(run.runs, key=lambda x: x.spec.name)]
    notice = (f'<p class="notice">{html.escape(NOTICE["id"])}<br>{html.escape(NOTICE["en"])}</p>' if synthetic else "")
    page = _INDEX_PAGE.format(
        title=html.escape(run.plan.name), notice=notice, n_ok=sum(r.status == STATUS_OK for r in run.runs),
        n=len(run.runs), plan_file=html.escape(str(run.plan.path.name)),
        stamp=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), seconds=run.seconds,
        rows="\n".join(rows))
    atomic_write_text(run.index, page)
    return run.index


def _index_row(r: ReportRun, root: Path) -> str:
    """One table row; every text from the plan, the results or an error is escaped."""
    name = html.escape(r.spec.name)
    link = f'<a href="{name}/report.html">{name}</a>' if r.html_path.exists() else name
    figures = ", ".join(f"{html.escape(str(k))}: {html.escape(_fmt(v))}" for k, v in r.results.items()
                        if k != "synthetic" and isinstance(v, (int, float, str)) and not isinstance(v, bool))
    status = ('<span class="ok">ok</span>' if r.status == STATUS_OK else
              f'<span class="failed">failed</span><div class="err">{html.escape(r.error or "")}</div>'
              f'<div><a href="{name}/notebook.ipynb">executed notebook</a></div>')
    return (f"<tr><td>{link}</td><td>{html.escape(r.spec.notebook.name)}</td><td>{status}</td>"
            f"<td class='params'>{html.escape(_params_text(r.spec.parameters, root))}</td>"
            f"<td>{figures}</td><td>{r.seconds:.1f} s</td></tr>")
