"""The report layer's catalogs and formatting: hand-written expectations for id_ID and en_GB."""
from __future__ import annotations

import datetime

import pytest

from survey import report
from survey.errors import ParameterError


def test_every_catalog_has_both_languages_and_valid_templates():
    for area in report.areas():
        catalog = report.load_catalog(area)
        assert catalog, area
        for key, texts in catalog.items():
            assert set(texts) == {"id", "en"}, (area, key)
            # the two languages ask for the same placeholders
            import string
            fields = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in ("id", "en")]
            assert fields[0] == fields[1], (area, key, fields)


def test_t_fills_and_names_what_is_missing():
    assert report.t("common.n_respondents", "id", n=report.format_int(1440, "id")) == "1.440 responden"
    with pytest.raises(ParameterError, match="needs the value 'n'"):
        report.t("common.n_respondents", "id")
    with pytest.raises(ParameterError, match="no message"):
        report.t("common.nope", "id")
    with pytest.raises(ParameterError, match="report language"):
        report.t("common.summary_title", "fr")


def test_bad_catalog_is_refused(tmp_path, monkeypatch):
    from survey.report import catalog

    (tmp_path / "bad.yaml").write_text("key:\n  id: satu\n", encoding="utf-8")
    monkeypatch.setattr(catalog, "MESSAGES_DIR", tmp_path)
    catalog.load_catalog.cache_clear()
    try:
        with pytest.raises(ParameterError, match="exactly"):
            catalog.load_catalog("bad")
    finally:
        catalog.load_catalog.cache_clear()


@pytest.mark.parametrize("func, args, id_text, en_text", [
    (report.format_number, (1234567.891, 2), "1.234.567,89", "1,234,567.89"),
    (report.format_number, (-0.004, 2), "0,00", "0.00"),
    (report.format_int, (288,), "288", "288"),
    (report.format_int, (15000,), "15.000", "15,000"),
    (report.format_percent, (0.6913, 1), "69,1%", "69.1%"),
    (report.format_pvalue, (0.0004,), "< 0,001", "< 0.001"),
    (report.format_pvalue, (0.05,), "0,050", "0.050"),
    (report.format_interval, (-0.25, 1.0, 2), "[-0,25; 1,00]", "[-0.25, 1.00]"),
    (report.format_date, (datetime.date(2024, 10, 17),), "17 Oktober 2024", "17 October 2024"),
])
def test_formatting_by_locale(func, args, id_text, en_text):
    # the language goes after the value(s): one value, or low and high for an interval
    k = 2 if func is report.format_interval else 1
    assert func(*args[:k], "id", *args[k:]) == id_text
    assert func(*args[:k], "en", *args[k:]) == en_text


def test_missing_values_show_a_dash():
    import pandas as pd

    assert report.format_number(pd.NA, "id") == report.MISSING
    assert report.format_pvalue(None, "en") == report.MISSING


def test_bad_digits_and_pvalues():
    with pytest.raises(ParameterError):
        report.format_number(1.0, "id", -1)
    with pytest.raises(ParameterError):
        report.format_pvalue(1.5, "id")
