"""The plan's index page (for people) and a failed report's page.

The index groups reports in workflow order (instruments and reliability, training evaluation,
impact, service satisfaction, training needs), gives each its language, a short description, its
status and the few key figures an official reads, with human labels and units from the message
catalog (``survey/report/messages/index.yaml``). Every text is escaped where it is inserted, and
parameters are shown with identifiers replaced by their kind, so the index never repeats personal
data. Time per report is split into start-up (kernel and imports), execution and export.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..files import atomic_write_text
from ..report import NOTICE, format_int, format_interval, format_number, format_percent, format_pvalue, t

# notebook number -> group, in workflow order
GROUPS = (("instruments", ("00", "01", "02")), ("training", ("03",)), ("impact", ("04",)),
          ("service", ("05",)), ("needs", ("06",)), ("other", ()))
# the figures an official reads, per key: how to format them
FIGURES: dict[str, str] = {
    "instruments": "int", "data_files": "int", "items": "int", "constructs": "int", "problems": "int",
    "n": "int", "alpha_min": "3", "alpha": "3", "n_items_flagged": "int", "cfa_cfi": "3", "cfa_rmsea": "3",
    "n_learning": "int", "estimate": "2", "ci": "interval", "d_z": "2", "pvalue": "p", "n_clusters": "int",
    "pretrend_p": "p", "ikm_unit": "2", "mutu": "text", "kinerja": "text", "weakest_unsur": "text",
    "n_units": "int", "n_units_small_sample": "int", "n_high_priority": "int", "top_competency": "text",
    "share_below_jp_floor": "percent", "mean_jp_per_year": "1",
}
_STATUS_CLASS = {"ok": "ok", "cached": "ok", "failed": "failed", "timeout": "failed", "withheld": "failed",
                 "interrupted": "warn", "not run": "warn"}


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _redacted(text: str) -> str:
    from .._identifiers import find_identifiers

    out, pos = [], 0
    for kind, a, b, _ in find_identifiers(text):
        out += [text[pos:a], f"[{kind}]"]
        pos = b
    return "".join(out) + text[pos:]


def group_of(notebook: Path) -> str:
    num = notebook.name[:2]
    return next((g for g, nums in GROUPS if num in nums), "other")


def _lang(params: dict[str, Any]) -> str:
    return params.get("lang") if params.get("lang") in ("id", "en") else "id"


def _format(kind: str, value: Any, lang: str) -> str:
    if kind == "text":
        return str(value)
    if kind == "int":
        return format_int(value, lang)
    if kind == "percent":
        return format_percent(value, lang)
    if kind == "p":
        return format_pvalue(value, lang)
    return format_number(value, lang, int(kind))


def key_figures(results: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, formatted value) for the figures of FIGURES present in ``results``."""
    out = []
    res = dict(results)
    if isinstance(res.get("ci_low"), (int, float)) and isinstance(res.get("ci_high"), (int, float)):
        res["ci"] = (res["ci_low"], res["ci_high"])
    for key, kind in FIGURES.items():
        v = res.get(key)
        if v is None or isinstance(v, bool) or isinstance(v, (dict, list)):
            continue
        try:
            text = format_interval(*v, lang) if kind == "interval" else _format(kind, v, lang)
        except Exception:  # a figure of an unexpected type is left out rather than breaking the index
            continue
        out.append((t(f"index.fig_{key}", lang), text))
    return out


def _seconds(x: float, lang: str) -> str:
    return f"{format_number(x, lang, 1)} s"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin-bottom: 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } h2 { margin-top: 1.6em; font-size: 1.2em; }
.ok { color: #1e7d32; font-weight: bold; } .failed { color: #b71c1c; font-weight: bold; }
.warn { color: #8a5a00; font-weight: bold; } .desc { color: #555; font-size: 12px; }
.err { color: #b71c1c; font-size: 12px; max-width: 30em; } .time { font-size: 12px; color: #555; }
.notice { border-left: 6px solid #c0392b; background: #fdecea; padding: 8px 12px; }
dl { margin: 0; } dt { font-size: 12px; color: #555; } dd { margin: 0 0 4px 0; }
@media (max-width: 700px) { td, th { display: block; } thead { display: none; } }
"""


def _bi(key: str, **kw: Any) -> str:
    """A bilingual text: Indonesian / English."""
    a, b = t(key, "id", **kw), t(key, "en", **kw)
    return _e(a) if a == b else f"{_e(a)} / {_e(b)}"


def write_index(run, root: Path) -> Path:
    """The plan's index page (atomic write); every text escaped, identifiers never repeated."""
    from .runner import STATUS_CACHED, GOOD

    runs = run.runs
    synthetic = any(r.results.get("synthetic") for r in runs if r.status in GOOD)
    n_ok = sum(r.status in GOOD for r in runs)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f'<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8">'
             f'<meta name="viewport" content="width=device-width, initial-scale=1">'
             f"<title>{_bi('index.title')}: {_e(run.plan.name)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_bi('index.title')}: {_e(run.plan.name)}</h1>"]
    if synthetic:
        parts.append(f'<p class="notice">{_e(NOTICE["id"])}<br>{_e(NOTICE["en"])}</p>')
    if run.interrupted:
        parts.append(f'<p class="notice">{_e(t("index.interrupted", "id"))}<br>{_e(t("index.interrupted", "en"))}</p>')
    for lang in ("id", "en"):
        parts.append("<p>" + _e(t("index.summary", lang, ok=n_ok, n=len(runs),
                                  cached=sum(r.status == STATUS_CACHED for r in runs),
                                  plan=run.plan.path.name, stamp=stamp,
                                  seconds=format_number(run.seconds, lang, 0))) + "</p>")
    head = (f"<thead><tr><th>{_bi('index.col_report')}</th><th>{_bi('index.col_language')}</th>"
            f"<th>{_bi('index.col_status')}</th><th>{_bi('index.col_figures')}</th>"
            f"<th>{_bi('index.col_time')}</th></tr></thead>")
    for group, _nums in GROUPS:
        rows = [r for r in runs if group_of(r.spec.notebook) == group]
        if not rows:
            continue
        parts.append(f"<h2>{_bi('index.group_' + group)}</h2><table>{head}<tbody>")
        parts += [_row(r) for r in sorted(rows, key=lambda r: (r.spec.notebook.name, r.spec.name))]
        parts.append("</tbody></table>")
    parts.append(f'<p style="font-size:12px;color:#777">{_bi("index.footer")}</p></body></html>\n')
    # Last guard: the page is scanned like a report, and anything identifier-like left in it (a key
    # figure's text, an error line) is replaced by its kind; the index is shared with every report.
    page = _redacted("\n".join(parts))
    path = run.out_dir / "index.html"
    atomic_write_text(path, page)
    return path


def _row(r) -> str:
    lang = _lang(r.spec.parameters)
    name = _e(r.spec.name)
    href = _e(r.spec.name) + "/report.html"
    link = f'<a href="{href}">{name}</a>' if r.html_path.is_file() and r.status != "withheld" else name
    desc_key = f"index.desc_{r.spec.notebook.stem}"
    from ..report import has

    desc = f'<div class="desc">{_e(t(desc_key, lang))}</div>' if has(desc_key) else ""
    status_key = "index.status_" + r.status.replace(" ", "_")
    status = f'<span class="{_STATUS_CLASS.get(r.status, "warn")}">{_e(t(status_key, lang))}</span>'
    if r.status == "withheld":
        status += f'<div class="err">{_e(t("index.withheld_note", lang))}</div>'
    if r.status in ("failed", "timeout", "withheld") and r.error:
        status += f'<div class="err">{_e(_redacted(r.error))}</div>'
        if (r.out_dir / "notebook.ipynb").is_file() and r.status != "withheld":
            status += f'<div><a href="{href[:-len("report.html")]}notebook.ipynb">{_e(t("index.executed_notebook", lang))}</a></div>'
    if r.status in ("interrupted", "not run") and r.html_path.is_file():
        status += f'<div><a href="{href}">{_e(t("index.previous", lang))}</a></div>'
    figures = ""
    if r.status in ("ok", "cached"):
        items = key_figures(r.results, lang)
        figures = "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>" if items else ""
    tm = r.timing or {}
    time_text = _seconds(r.seconds, lang)
    if tm.get("execution") is not None:
        time_text += "<div class='time'>" + _e(t("index.time_split", lang, **{
            k: _seconds(float(tm.get(k, 0.0)), lang) for k in ("startup", "execution", "export")})) + "</div>"
    return (f"<tr><td>{link}{desc}</td><td>{_e(t('index.lang_' + lang, lang))}</td><td>{status}</td>"
            f"<td>{figures}</td><td>{time_text}</td></tr>")


def failure_page(name: str, status: str, error: str, detail: str | None, lang: str) -> str:
    """A failed report's own page, in its language: that it failed and why in one line; the
    technical details folded."""
    reason = t("index.failed_timeout", lang) if status == "timeout" else t("index.failed_reason", lang,
                                                                              reason=_redacted(error))
    details = (f"<details><summary>{_e(t('index.details', lang))}</summary><pre>{_e(_redacted(detail))}</pre>"
               "</details>") if detail else ""
    title = t("index.failed_title", lang, name=name)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>'
            f'<style>body{{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;padding:0 1em}}'
            f'pre{{white-space:pre-wrap;font-size:12px}}</style></head><body>'
            f"<h1>{_e(title)}</h1><p>{_e(reason)}</p><p>{_e(t('index.failed_hint', lang))}</p>{details}"
            "</body></html>\n")
