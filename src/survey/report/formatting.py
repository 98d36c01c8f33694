"""Numbers, percentages, p-values, intervals and dates in the report's language, through Babel.

One locale per report language: ``id`` is Babel's ``id_ID`` (decimal comma, thousands dot:
``1.234,57``), ``en`` is ``en_GB`` (decimal point, thousands comma: ``1,234.57``; dates day-month-year
as in Indonesian, so that the two versions of a report read alike). Every table, sentence and figure of
a report formats numbers with these functions, so a number looks the same wherever it appears.

A missing value (``None``, NaN, ``pd.NA``) is shown as an en dash.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import functools
import math
import sys
from numbers import Real

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal as _babel_decimal_raw
from babel.numbers import format_percent as _babel_percent_raw

from .._checks import check_lang
from ..errors import ParameterError

LOCALES: dict[str, str] = {"id": "id_ID", "en": "en_GB"}
"""Babel locale of each report language."""

MISSING = "\u2013"
"""What a missing number shows (an en dash)."""


def _babel_decimal(value, **kw):
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_HALF_UP  # published tables round half up (69,125 -> 69,13)
        return _babel_decimal_raw(value, **kw)


def _babel_percent(value, **kw):
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_HALF_UP
        return _babel_percent_raw(value, **kw)


def locale_of(lang: str) -> str:
    """The Babel locale of a report language.

    >>> locale_of("id")
    'id_ID'
    """
    return LOCALES[check_lang(lang)]


def _is_missing(x: object) -> bool:
    if x is None:
        return True
    pd = sys.modules.get("pandas")  # a value can be pandas' NA only once pandas is loaded: no import here
    if pd is not None and (x is pd.NA or x is pd.NaT):
        return True
    return isinstance(x, Real) and math.isnan(float(x))


def _decimal(value: float) -> decimal.Decimal:
    """``value`` as the decimal a reader sees (``repr``), so 69.125 rounds to 69.13 as by hand.

    Babel rounds with the current decimal context; reports round half up, as published SKM tables do.
    """
    return decimal.Decimal(repr(value))


def _digits(digits: int) -> int:
    if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 10:
        raise ParameterError(f"digits={digits!r}: give a whole number from 0 to 10")
    return digits


def _pattern(digits: int, suffix: str = "") -> str:
    return "#,##0" + ("." + "0" * digits if digits else "") + suffix


def format_number(x: object, lang: str, digits: int = 2) -> str:
    """``x`` with ``digits`` decimals and thousands separators of ``lang``.

    >>> format_number(1234.5678, "id"), format_number(1234.5678, "en"), format_number(-0.5, "id", 1)
    ('1.234,57', '1,234.57', '-0,5')
    >>> format_number(float("nan"), "id")
    '–'
    """
    locale = locale_of(lang)
    if _is_missing(x):
        return MISSING
    return _number(float(x), locale, _digits(digits))  # type: ignore[arg-type]


# A report formats the same few thousand numbers again and again (tick labels at every draw,
# tables, sentences); Babel parses the pattern and the locale on each call, so remember results.
@functools.lru_cache(maxsize=65536)
def _number(value: float, locale: str, digits: int) -> str:
    out = _babel_decimal(_decimal(value), format=_pattern(digits), locale=locale)
    # Babel keeps the sign of a value that rounds to zero ("-0,00"); a reader sees a negative zero
    return out[1:] if out.startswith("-") and float(round(value, digits)) == 0 else out


def format_int(x: object, lang: str) -> str:
    """A count with the thousands separator of ``lang``.

    >>> format_int(1440, "id"), format_int(1440, "en"), format_int(12, "id")
    ('1.440', '1,440', '12')
    """
    return format_number(x, lang, 0)


def format_percent(x: object, lang: str, digits: int = 1) -> str:
    """A proportion (0.123) as a percentage (``12,3%`` in ``id``).

    >>> format_percent(0.1234, "id"), format_percent(0.1234, "en", 0), format_percent(1, "id", 0)
    ('12,3%', '12%', '100%')
    """
    locale = locale_of(lang)
    if _is_missing(x):
        return MISSING
    return _percent(float(x), locale, _digits(digits))  # type: ignore[arg-type]


@functools.lru_cache(maxsize=16384)
def _percent(value: float, locale: str, digits: int) -> str:
    return _babel_percent(_decimal(value), format=_pattern(digits, "%"), locale=locale)


def format_pvalue(p: object, lang: str, digits: int = 3) -> str:
    """A p-value: below ``10**-digits`` it is ``< 0,001`` (``id``) or ``< 0.001`` (``en``).

    >>> format_pvalue(0.00002, "id"), format_pvalue(0.0421, "id"), format_pvalue(0.0421, "en")
    ('< 0,001', '0,042', '0.042')
    """
    if _is_missing(p):
        locale_of(lang)
        return MISSING
    value = float(p)  # type: ignore[arg-type]
    if not 0 <= value <= 1:
        raise ParameterError(f"p-value {value!r} is outside 0-1")
    floor = 10.0 ** -_digits(digits)
    if value < floor:
        return "< " + format_number(floor, lang, digits)
    return format_number(value, lang, digits)


def format_p(p: object, lang: str, digits: int = 3) -> str:
    """A p-value with its relation sign, for a sentence: ``p < 0,001`` or ``p = 0,042``.

    >>> format_p(0.00002, "id"), format_p(0.0421, "en")
    ('p < 0,001', 'p = 0.042')
    """
    text = format_pvalue(p, lang, digits)
    return "p " + text if text.startswith("<") else "p = " + text


def format_interval(low: object, high: object, lang: str, digits: int = 2) -> str:
    """A confidence interval as ``[low; high]`` (``id``: the comma is the decimal mark) or ``[low, high]``.

    >>> format_interval(0.1234, 1.5, "id"), format_interval(0.1234, 1.5, "en")
    ('[0,12; 1,50]', '[0.12, 1.50]')
    """
    sep = "; " if check_lang(lang) == "id" else ", "
    return f"[{format_number(low, lang, digits)}{sep}{format_number(high, lang, digits)}]"


def format_date(d: object, lang: str, fmt: str = "long") -> str:
    """A date in words (``1 Desember 2026`` / ``1 December 2026``); ``fmt`` is a Babel format.

    Accepts a :class:`datetime.date`, a datetime, a pandas Timestamp or an ISO text (``"2026-12-01"``).

    >>> import datetime
    >>> format_date(datetime.date(2026, 12, 1), "id"), format_date("2026-12-01", "en")
    ('1 Desember 2026', '1 December 2026')
    """
    locale = locale_of(lang)
    if _is_missing(d):
        return MISSING
    if isinstance(d, str):
        try:
            d = _dt.date.fromisoformat(d[:10])
        except ValueError:
            raise ParameterError(f"date {d!r}: give an ISO date such as 2026-12-01") from None
    if isinstance(d, _dt.datetime):
        d = d.date()
    if not isinstance(d, _dt.date):
        raise ParameterError(f"date {d!r}: give a date, a datetime or an ISO text")
    return _babel_date(d, format=fmt, locale=locale)
