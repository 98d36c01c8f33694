"""Batch reports: plan YAML -> papermill (parallel, cached, bounded) -> HTML with code hidden -> index.

A plan (``notebooks/plans/*.yml``)::

    name: demo
    timeout: 1800                             # optional: seconds per report (default 30 minutes)
    reports:
      - notebook: 02_reliability.ipynb        # relative to notebooks/
        parameters: {instrument: training_reaction, data: data/demo/training_reaction.csv}
        grid: {lang: [id, en]}               # optional: one report per combination

The plan file may live anywhere (the shared ones are in ``notebooks/plans/``): notebook names are
looked up in the project's ``notebooks/`` folder only and path parameters are relative to the
project root. :func:`load_plan` checks the whole plan first (names, notebooks, parameter names and
declared types, grid size) and runs nothing when it is wrong (:class:`PlanError`).

:func:`run_plan` reuses every report whose inputs did not change, runs the others in a local
process pool or on a Dask cluster, each in a fresh kernel with a time limit, exports each to
self-contained HTML (code hidden, images embedded), withholds any report in which the identifier
scan finds personal data, and writes ``<out>/<plan>/index.html``. See :mod:`.runner`.

The notebook helpers :func:`project_path` (from :mod:`survey.paths`), :func:`write_results`,
:func:`data_notice` and :func:`is_synthetic` (from :mod:`survey.report`) stay importable from here.
"""
from __future__ import annotations

from ..paths import ROOT_ENV, find_project_root, project_path, project_root  # noqa: F401  (re-exported)
from .index import failure_page, write_index
from .plan import (MAX_REPORTS, NOTEBOOK_DIRS, PATH_KEYS, Plan, ReportSpec, declared_types, load_plan,
                   notebook_parameters, plan_root)
from .runner import (DEFAULT_TIMEOUT, KERNEL_NAME, STATUS_CACHED, STATUS_INTERRUPTED, STATUS_NOT_RUN, PlanRun,
                     ReportRun, _kernel_name, environment_fingerprint, run_plan)
from .worker import (REPORT_TZ, STATUS_FAILED, STATUS_OK, STATUS_TIMEOUT, STATUS_WITHHELD, WITHHELD, export_html,
                     html_exporter)

__all__ = ["DEFAULT_TIMEOUT", "KERNEL_NAME", "MAX_REPORTS", "NOTEBOOK_DIRS", "NOTICE", "PATH_KEYS", "Plan", "PlanRun",
           "REPORT_TZ", "ReportRun", "ReportSpec", "STATUS_CACHED", "STATUS_FAILED", "STATUS_INTERRUPTED",
           "STATUS_NOT_RUN", "STATUS_OK", "STATUS_TIMEOUT", "STATUS_WITHHELD", "WITHHELD", "data_notice",
           "declared_types", "environment_fingerprint", "export_html", "failure_page", "find_project_root",
           "html_exporter", "is_synthetic", "load_plan", "notebook_parameters", "plan_root", "project_path",
           "project_root", "run_plan", "write_index", "write_results"]


def __getattr__(name: str):
    # the report helpers notebooks import from here, loaded on first use (a cached run needs none)
    if name in ("NOTICE", "data_notice", "is_synthetic", "write_results"):
        from .. import report

        return getattr(report, name)
    raise AttributeError(f"module 'survey.reports' has no attribute {name!r}")
