"""Helpers the notebooks call: the synthetic-data banner and ``results.json``.

Each notebook writes its key figures with :func:`write_results`; the batch runner's index page reads
them. :func:`data_notice` puts a banner at the top of a report made from synthetic demo data.
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from .._checks import check_lang
from ..errors import ParameterError
from ..files import atomic_write_text
from ..paths import project_path

NOTICE = {
    "id": "DATA SINTETIS: laporan ini dibuat dari data demo sintetis (bukan responden nyata) "
          "untuk menunjukkan cara kerja Survey Workbench. Angka-angkanya tidak menggambarkan Kota Medan.",
    "en": "SYNTHETIC DATA: this report was made from synthetic demo data (not real respondents) to "
          "show how Survey Workbench works. Its numbers do not describe Kota Medan.",
}

_NOTICE_STYLE = "border-left:6px solid #c0392b;background:#fdecea;padding:8px 12px;margin:8px 0"


def _says_synthetic(synthetic: bool | str) -> bool:
    """Whether a report must be labelled synthetic: any demo row is enough (``"all"`` or ``"some"``)."""
    from ..privacy import SyntheticRows  # privacy needs pandas; the index page needs only NOTICE

    if isinstance(synthetic, str):
        if synthetic not in {r.value for r in SyntheticRows}:
            raise ParameterError(f"synthetic={synthetic!r}: give True/False or what is_synthetic() "
                                 "returned ('all', 'some' or 'none')")
        return synthetic != SyntheticRows.NONE
    return bool(synthetic)


def write_results(out_dir: str | Path, results: dict[str, Any], synthetic: bool | str | None = None) -> Path:
    """Write a notebook's key figures to ``out_dir/results.json`` (JSON types only, atomic).

    ``synthetic`` takes what :func:`is_synthetic` returned (or a bool): any demo row records
    ``"synthetic": true``, and the index page then says the figures come from synthetic data.
    ``None`` leaves the key out.
    """
    from ..results import to_jsonable

    data = to_jsonable(dict(results))
    if synthetic is not None:
        data["synthetic"] = _says_synthetic(synthetic)
    path = project_path(out_dir) / "results.json"
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    return path


def notice_html(lang: str = "id") -> str:
    """The synthetic-data banner as an HTML fragment (text escaped)."""
    text = NOTICE[check_lang(lang)]
    return f'<div class="survey-notice" style="{_NOTICE_STYLE}"><b>{html.escape(text)}</b></div>'


def data_notice(df, lang: str = "id"):
    """An HTML banner for the top of a report when any row of ``df`` is synthetic, else empty HTML.

    ``df`` may be ``None`` (no data loaded: no banner).
    """
    from IPython.display import HTML

    from ..privacy import SyntheticRows, is_synthetic

    check_lang(lang)
    if is_synthetic(df) == SyntheticRows.NONE:
        return HTML("")
    return HTML(notice_html(lang))
