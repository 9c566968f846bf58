"""Jalali and Gregorian dates (siting.dates)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from persiantools.jdatetime import JalaliDate

from siting.dates import JALALI_YEAR_LIMIT, add_years, jalali_long, parse_date, to_jalali

SHAHRIVAR_7_1390 = dt.date(2011, 8, 29)


@pytest.mark.parametrize(
    "text",
    [
        "۱۳۹۰/۰۶/۰۷",  # Persian digits
        "١٣٩٠/٠٦/٠٧",  # Arabic-Indic digits
        "1390/06/07",
        "1390-06-07",
        "1390.6.7",
        " 1390 / 6 / 7 ",
        "2011-08-29",
        "2011/8/29",
        "29/08/2011",
        "29-8-2011",
    ],
)
def test_jalali_and_gregorian_spellings_agree(text):
    assert parse_date(text) == SHAHRIVAR_7_1390


def test_persian_jalali_equals_gregorian():
    assert parse_date("۱۳۹۰/۰۶/۰۷") == parse_date("1390-06-07") == parse_date("2011-08-29") == SHAHRIVAR_7_1390


@pytest.mark.parametrize("value", [None, "", "   ", float("nan"), np.nan, pd.NaT])
def test_empty_values_are_none(value):
    assert parse_date(value) is None


def test_dates_and_datetimes_pass_through():
    assert parse_date(SHAHRIVAR_7_1390) == SHAHRIVAR_7_1390
    assert parse_date(dt.datetime(2011, 8, 29, 13, 5)) == SHAHRIVAR_7_1390


def test_leap_years_as_persiantools_knows_them():
    leap = [year for year in range(1385, 1405) if JalaliDate.is_leap(year)]
    assert leap == [1387, 1391, 1395, 1399, 1403]
    assert not JalaliDate.is_leap(1390)


def test_invalid_jalali_date_names_the_rule_it_breaks():
    with pytest.raises(ValueError) as info:
        parse_date("1390/12/30")
    assert str(info.value) == "'1390/12/30' is not a valid Jalali date: day must be in 1..29"


def test_esfand_30_exists_only_in_leap_years():
    assert parse_date("1391/12/30") == dt.date(2013, 3, 20)  # 1391 is leap
    assert parse_date("1403/12/30") == dt.date(2025, 3, 20)
    with pytest.raises(ValueError, match="not a valid Jalali date"):
        parse_date("1390/12/30")  # 1390 is not leap


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1390/13/01", "not a valid Jalali date"),  # month 13
        ("1390/12/31", "not a valid Jalali date"),  # Esfand 1390 (non-leap) has 29 days
        ("1390/07/31", "not a valid Jalali date"),  # Mehr has 30 days
        ("1390/00/10", "not a valid Jalali date"),
        ("2011-02-29", "not a valid Gregorian date"),  # 2011 is not leap
        ("2011-13-01", "not a valid Gregorian date"),
        ("31/04/2011", "not a valid Gregorian date"),
        ("yesterday", "is not a date"),
        ("1390/06", "is not a date"),
        ("13900607", "is not a date"),
    ],
)
def test_invalid_dates_raise(text, reason):
    with pytest.raises(ValueError, match=reason) as info:
        parse_date(text)
    assert text in str(info.value)  # the message quotes the value


def test_to_jalali():
    assert to_jalali(SHAHRIVAR_7_1390) == "1390/06/07"
    assert to_jalali(SHAHRIVAR_7_1390, persian_digits=True) == "۱۳۹۰/۰۶/۰۷"
    assert to_jalali(dt.date(2024, 3, 19)) == "1402/12/29"
    assert to_jalali(dt.date(2024, 3, 20)) == "1403/01/01"  # Nowruz
    for empty in (None, float("nan"), pd.NaT):
        assert to_jalali(empty) == ""


def test_jalali_long():
    text = jalali_long(SHAHRIVAR_7_1390)
    assert "شهریور" in text and "۱۳۹۰" in text and "دوشنبه" in text
    latin = jalali_long(SHAHRIVAR_7_1390, locale="en")
    assert "Shahrivar" in latin and "1390" in latin


def test_add_years():
    assert add_years(dt.date(2011, 8, 29), 5) == dt.date(2016, 8, 29)
    assert add_years(dt.date(2016, 2, 29), 1) == dt.date(2017, 2, 28)
    assert add_years(dt.date(2016, 2, 29), 4) == dt.date(2020, 2, 29)


# Years read as Jalali are those below JALALI_YEAR_LIMIT: Gregorian 1700..2320 round-trip unambiguously.
_gregorian = st.dates(min_value=dt.date(1700, 1, 1), max_value=dt.date(2320, 12, 31))


@given(date=_gregorian, persian=st.booleans())
@settings(max_examples=300, deadline=None)
def test_round_trip_gregorian_jalali_gregorian(date, persian):
    text = to_jalali(date, persian_digits=persian)
    assert int(text[:4].translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))) < JALALI_YEAR_LIMIT
    assert parse_date(text) == date
    assert parse_date(date.isoformat()) == date
    assert parse_date(date.strftime("%d/%m/%Y")) == date


@given(date=_gregorian)
@settings(max_examples=300, deadline=None)
def test_round_trip_jalali_gregorian_jalali(date):
    jalali = JalaliDate(date)
    text = f"{jalali.year}-{jalali.month}-{jalali.day}"  # unpadded, dashes
    gregorian = parse_date(text)
    assert to_jalali(gregorian) == f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"
    # Consecutive Jalali days are consecutive Gregorian days.
    assert parse_date(to_jalali(gregorian + dt.timedelta(days=1))) - gregorian == dt.timedelta(days=1)
