"""Classed legends and the bilingual wording of numbers and dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from siting.errors import AmayeshError
from siting.report import labels as L
from siting.report.classes import classify, classify_all, parse_breaks

VALUES = pd.Series([0, 0, 0, 1, 2, 3, 4, 5, 8, 13, 21, 34, 55, 89, np.nan])


def test_quantiles_count_every_value_once():
    found = classify(VALUES, "new_licences", "quantiles", k=4)
    assert sum(found.counts) == 14
    assert (found.classes[:-1] >= 0).all() and found.classes[-1] == -1  # NaN is "no data"
    assert found.bins[-1] == 89 and list(found.bins) == sorted(found.bins)
    assert found.colour_of()[-1] == "#d9d9d9"


def test_natural_breaks_are_deterministic():
    first = classify(VALUES, "new_licences", "natural_breaks", k=4)
    second = classify(VALUES, "new_licences", "natural_breaks", k=4)
    assert first.bins == second.bins and len(first.bins) == 4


def test_user_breaks_and_labels():
    found = classify(VALUES, "new_licences", "user", breaks=[0, 2, 10])
    assert found.bins == (0.0, 2.0, 10.0, 89.0)
    assert found.counts == (3, 2, 4, 5)
    assert found.labels() == ["0", "1 – 2", "3 – 10", "11 – 89"]
    assert found.labels(persian_digits=True, separator=" تا ") == ["۰", "۱ تا ۲", "۳ تا ۱۰", "۱۱ تا ۸۹"]


def test_few_distinct_values_give_one_class_each():
    found = classify(pd.Series([0, 0, 1, 1, 2]), "new_licences", "quantiles", k=5)
    assert found.bins == (0.0, 1.0, 2.0)
    assert found.counts == (2, 2, 1)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: classify(VALUES, "new_licences", "jenks"), "unknown classification scheme"),
        (lambda: classify(VALUES, "nope"), "unknown map variable"),
        (lambda: classify(VALUES, "new_licences", "user"), "needs --breaks"),
        (lambda: classify(VALUES, "new_licences", "user", breaks=[2, 2]), "different numbers"),
        (lambda: parse_breaks(["pressure:1,x"]), "numbers separated by commas"),
        (lambda: parse_breaks(["bogus:1,2"]), "unknown map variable"),
    ],
)
def test_user_errors(call, message):
    with pytest.raises(AmayeshError, match=message):
        call()


def test_parse_breaks_defaults_to_new_licences():
    assert parse_breaks(["0,2,5", "pressure:1,2.5"]) == {"new_licences": [0, 2, 5], "pressure": [1, 2.5]}


def test_classify_all_falls_back_to_quantiles_without_user_breaks():
    frame = pd.DataFrame({"new_licences": VALUES, "score": VALUES / 100, "gap": VALUES - 5, "pressure": VALUES / 3})
    found = classify_all(frame, "user", {"new_licences": [0, 2, 10]})
    assert found["new_licences"].scheme == "user" and found["score"].scheme == "quantiles"


def test_numbers_in_persian():
    assert L.number(1234567) == "1,234,567"
    assert L.number(1234.5, 1, persian=True) == "۱٬۲۳۴٫۵"
    assert L.number(-2, persian=True) == "-۲"
    assert L.number(-0.01, 0) == "0"
    assert L.percent(0.452, persian=True) == "۴۵٫۲٪"
    assert L.number(float("nan")) == "–"


def test_dates_in_both_calendars():
    day = dt.date(2024, 4, 3)
    assert L.date_line_fa(day) == "تاریخ: چهارشنبه ۱۵ فروردین ۱۴۰۳ (۳ آوریل ۲۰۲۴)"
    assert L.date_line_fa(day, persian_digits=False) == "تاریخ: چهارشنبه 15 فروردین 1403 (3 آوریل 2024)"
    assert L.date_line_en(day) == "Date: 1403/01/15 AP (03 April 2024)"


def test_source_line_says_synthetic():
    fa, en = L.source_lines({"data": {"synthetic_registers": True}})
    assert "مصنوعی" in fa and "SYNTHETIC" in en and "1395" in en and "GeoNames" in en
    fa, en = L.source_lines({"data": {"synthetic_registers": False}})
    assert "SYNTHETIC" not in en


def test_source_line_names_another_population_source():
    fa, en = L.source_lines({"data": {"population_source": "GeoNames (CC BY 4.0), mixed years; not the census"}})
    assert "1395" not in en and "population: GeoNames" in en and "GeoNames" in fa
