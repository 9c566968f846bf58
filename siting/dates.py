"""Jalali and Gregorian dates, as planners write them.

Registers carry dates as ``۱۳۹۰/۰۶/۰۷``, ``1390-06-07``, ``2011-08-29`` or
``29/08/2011``. A year before 1700 is read as Jalali (Solar Hijri); later years
as Gregorian. Internally every date is a ``datetime.date`` (Gregorian).
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from persiantools.jdatetime import JalaliDate

from siting.text import normalize_digits, to_persian_digits

_YMD = re.compile(r"^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*$")
_DMY = re.compile(r"^\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})\s*$")
JALALI_YEAR_LIMIT = 1700


def parse_date(value: object) -> dt.date | None:
    """Parse a Jalali or Gregorian date; ``None`` for an empty value.

    Raises
    ------
    ValueError
        If the value is not empty and is not a valid date.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = normalize_digits(str(value)).strip()
    if not text:
        return None
    match = _YMD.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DMY.match(text)
        if not match:
            raise ValueError(f"'{value}' is not a date (expected YYYY/MM/DD, Jalali or Gregorian)")
        day, month, year = (int(g) for g in match.groups())
    if year < JALALI_YEAR_LIMIT:
        try:
            return JalaliDate(year, month, day).to_gregorian()
        except ValueError as exc:
            # persiantools puts the value beside the rule ('day must be in 1..29', 30): keep the rule
            reason = exc.args[0] if exc.args else str(exc)
            raise ValueError(f"'{value}' is not a valid Jalali date: {reason}") from None
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a valid Gregorian date: {exc}") from None


def to_jalali(date: dt.date | None, persian_digits: bool = False) -> str:
    """Format a date as Jalali ``YYYY/MM/DD`` (empty string for ``None``)."""
    if date is None or (isinstance(date, float) and pd.isna(date)) or date is pd.NaT:
        return ""
    text = JalaliDate(date).strftime("%Y/%m/%d")
    if persian_digits:
        return to_persian_digits(text)
    return text


def jalali_long(date: dt.date, locale: str = "fa") -> str:
    """A reader's date such as ``جمعه ۰۶ آذر ۱۴۰۵`` (``locale='en'`` for Latin)."""
    return JalaliDate(date).strftime("%A %d %B %Y", locale=locale)


def add_years(date: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (28 Feb for 29 Feb in a common year)."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)
