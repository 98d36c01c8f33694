"""Plain functions behind the explorer and the start page: which files and instruments there are,
unit attributes, row filters and the reliability row. They take and return plain data and are
tested without a browser."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError
from ..instrument import Instrument, builtin_names, load_instrument
from .common import ALL

__all__ = ["guess_instrument", "data_files", "attach_units", "filter_rows", "reliability_row",
           "instrument_overview", "demo_overview", "trend_table", "trend_figure"]


def guess_instrument(path: str | Path) -> str | None:
    """The built-in instrument a demo-style file name points to (``skm.csv`` -> ``skm_2017``).

    >>> guess_instrument("data/demo/skm.csv"), guess_instrument("units.csv")
    ('skm_2017', None)
    """
    stem = Path(path).stem.lower()
    names = builtin_names()
    if stem in names:
        return stem
    starts = [n for n in names if n.startswith(stem + "_") or stem.startswith(n + "_")]
    return starts[0] if len(starts) == 1 else None


def data_files(folder: str | Path) -> list[Path]:
    """CSV/XLSX files in ``folder`` whose name points to a built-in instrument with constructs."""
    p = Path(folder)
    if not p.is_dir():
        return []
    out = []
    for f in sorted([*p.glob("*.csv"), *p.glob("*.xlsx")]):
        name = guess_instrument(f)
        if name and load_instrument(name).constructs:
            out.append(f)
    return out


def attach_units(df: pd.DataFrame, units: str | Path | pd.DataFrame | None) -> pd.DataFrame:
    """Add ``sector`` (and ``unit_type``) from a units table by ``unit_id`` when the data lack them."""
    if units is None or "unit_id" not in df.columns:
        return df
    if not isinstance(units, pd.DataFrame):
        if not Path(units).is_file():
            return df
        units = pd.read_csv(units, dtype=str, keep_default_na=False)
    add = [c for c in ("sector", "unit_type") if c in units.columns and c not in df.columns]
    if not add:
        return df
    lookup = units.drop_duplicates("unit_id").set_index("unit_id")[add]
    out = df.copy()
    for c in add:
        out[c] = out["unit_id"].astype(str).map(lookup[c]).astype("string")
    return out


def filter_rows(df: pd.DataFrame, **filters: Any) -> pd.DataFrame:
    """Rows where each given column equals its value; ``None`` or ``"__all__"`` means no filter.

    ``filter_rows(df, unit_id="KEL-01", wave=3)``. Values compare as text, so ``"3"`` selects the
    wave 3 of an integer column. A column the data lack raises :class:`DataError`.

    >>> df = pd.DataFrame({"unit_id": ["A", "B", "A"], "wave": [1, 2, 2]})
    >>> len(filter_rows(df, unit_id="A", wave="2"))
    1
    """
    mask = pd.Series(True, index=df.index)
    for col, value in filters.items():
        if value is None or value == ALL:
            continue
        if col not in df.columns:
            raise DataError(f"cannot filter by {col!r}: the data have no such column")
        mask &= (df[col].astype("string") == str(value)).fillna(False).astype(bool)
    return df[mask]


def reliability_row(df: pd.DataFrame, instrument: Instrument, construct: str) -> dict[str, Any]:
    """Alpha of one construct (Feldt 95% CI) as a flat dict: construct, n_items, n_obs, raw_alpha,
    ci_low, ci_high, band. Rows with no answer to the construct's items do not count."""
    from ..reliability import alpha_band, alpha_for

    names = [i.name for i in instrument.items_of(construct)]
    answered = df[names].notna().any(axis=1) if names else pd.Series(False, index=df.index)
    res = alpha_for(df[answered], instrument, construct, ci="feldt")
    s = res.summary
    return {"construct": construct, "n_items": int(s["n_items"]), "n_obs": int(s["n_obs"]),
            "raw_alpha": float(s["raw_alpha"]), "ci_low": float(s["ci_low"]), "ci_high": float(s["ci_high"]),
            "band": alpha_band(float(s["raw_alpha"]))}


def instrument_overview(lang: str = "id") -> pd.DataFrame:
    """The built-in instruments: id, version, title, number of items and the constructs."""
    rows = []
    for name in builtin_names():
        inst = load_instrument(name)
        rows.append({"instrument": name, "version": inst.version, "title": inst.text(inst.title, lang),
                     "items": len(inst.items),
                     "constructs": ", ".join(inst.label(c, lang) for c in inst.constructs) or "-"})
    return pd.DataFrame(rows)


def demo_overview(folder: str | Path) -> pd.DataFrame:
    """The data files in ``folder``: rows, columns, the instrument they match and whether they hold
    synthetic rows (:func:`survey.privacy.is_synthetic`: any demo row counts). Files are only read."""
    from ..privacy import is_synthetic

    rows = []
    for f in sorted(Path(folder).glob("*.csv")):
        head = pd.read_csv(f, dtype=str, keep_default_na=False)
        rows.append({"file": f.name, "rows": len(head), "columns": head.shape[1],
                     "instrument": guess_instrument(f) or "-", "synthetic": bool(is_synthetic(head) != "none")})
    return pd.DataFrame(rows, columns=["file", "rows", "columns", "instrument", "synthetic"])


def trend_table(df: pd.DataFrame, instrument: Instrument, construct: str, wave: str = "wave",
                level: float | None = None, *, confidence: float = 0.95) -> tuple[pd.DataFrame, str]:
    """Deprecated: use :func:`survey.skm.trend`, which returns a ``TrendResult``.

    Returns ``(result.table, result.measure)`` as before; ``level`` is the old name of
    ``confidence``.
    """
    from .._checks import renamed
    from ..skm import trend

    warnings.warn("widgets.trend_table() is deprecated; use survey.skm.trend(), which returns a TrendResult",
                  DeprecationWarning, stacklevel=2)
    confidence = renamed("trend_table", "level", level, "confidence", confidence, 0.95)
    res = trend(df, instrument, construct, wave=wave, confidence=confidence)
    return res.table, res.measure


def trend_figure(table: pd.DataFrame, title: str = "", ylabel: str = "", highlight: Any = None,
                 ylim: tuple[float, float] | None = None):
    """Deprecated: use :func:`survey.plots.trend.trend_figure`."""
    from ..plots.trend import trend_figure as figure

    warnings.warn("widgets.trend_figure() is deprecated; use survey.plots.trend.trend_figure()",
                  DeprecationWarning, stacklevel=2)
    return figure(table, title=title, ylabel=ylabel, highlight=None if highlight == ALL else highlight, ylim=ylim,
                  lang="en")
