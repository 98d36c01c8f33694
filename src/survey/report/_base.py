"""What every report class shares: the synthetic-data banner and ``results.json``.

A report class (:class:`~survey.report.skm.SKMReport` and its siblings) is a dataclass with a
``lang``, a ``synthetic`` field holding what :func:`survey.privacy.is_synthetic` answered for its
data, and a ``key_figures()`` method; deriving from :class:`ReportBase` gives it the rest.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .display import Fragment


class ReportBase:
    """The methods every report class has in the same form (mixed into the report dataclasses)."""

    def key_figures(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must define key_figures()")

    def synthetic_notice(self) -> Fragment:
        """The synthetic-data banner when any row of the data is demo data, else nothing."""
        from .notebook import notice_html

        return Fragment(notice_html(self.lang)) if self.synthetic != "none" else Fragment("")  # type: ignore[attr-defined]

    def write_results(self, out_dir: str | Path) -> Path:
        """Write :meth:`key_figures` to ``out_dir/results.json``, marked synthetic when the data are."""
        from ..paths import project_path
        from .notebook import write_results

        return write_results(project_path(out_dir), self.key_figures(), synthetic=self.synthetic)  # type: ignore[attr-defined]
