"""Persian text normalisation (siting.text) and joins that rely on it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.text import (
    has_diacritics,
    join_key,
    normalize_code,
    normalize_digits,
    normalize_fa,
    normalize_series,
    to_persian_digits,
)

ZWNJ = "\u200c"
ARABIC_YEH, PERSIAN_YEH = "ي", "ی"
ARABIC_KAF, PERSIAN_KAF = "ك", "ک"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"


# --- normalize_fa -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("كرمانشاه", "کرمانشاه"),  # Arabic kaf
        ("ري", "ری"),  # Arabic yeh
        ("موسى", "موسی"),  # alef maksura
        ("يزد و كرج", "یزد و کرج"),
        ("خانۀ", "خانه"),  # heh with yeh above
        ("تـــهران", "تهران"),  # tatweel
        ("تَهْران", "تهران"),  # harakat
        ("شهر ۱۲", "شهر 12"),  # Persian digits
        ("شهر ١٢", "شهر 12"),  # Arabic-Indic digits
        ("  میان   دوآب  ", "میان دوآب"),  # runs of spaces, trimmed
        (f"می {ZWNJ} روم", f"می{ZWNJ}روم"),  # ZWNJ typed next to spaces
        (f"{ZWNJ}تهران{ZWNJ}", "تهران"),  # stray ZWNJ at the ends
        ("سا\u200dری", "ساری"),  # zero-width joiner
    ],
)
def test_normalize_fa(raw, expected):
    assert normalize_fa(raw) == expected


def test_normalize_fa_keeps_a_zwnj_inside_a_word():
    assert normalize_fa(f"میان{ZWNJ}دوآب") == f"میان{ZWNJ}دوآب"


@pytest.mark.parametrize("value", [None, 12, 3.5])
def test_non_strings_pass_through(value):
    assert normalize_fa(value) == value
    assert join_key(value) == value
    assert normalize_code(value) == value


def test_nan_passes_through():
    assert math.isnan(normalize_fa(float("nan")))
    assert math.isnan(join_key(np.nan))


def test_normalize_series():
    series = pd.Series(["كرج", None, "ري"])
    result = normalize_series(series)
    assert result[0] == "کرج" and result[2] == "ری"
    assert pd.isna(result[1])


# --- digits -------------------------------------------------------------------------------------


def test_digits_persian_and_arabic_indic_to_ascii():
    assert normalize_digits(PERSIAN_DIGITS) == "0123456789"
    assert normalize_digits(ARABIC_INDIC_DIGITS) == "0123456789"
    assert normalize_digits("۱۳۹۰/۰۶/۰۷") == "1390/06/07"
    assert normalize_digits("abc") == "abc"


def test_to_persian_digits_round_trip():
    assert to_persian_digits("1390/06/07") == "۱۳۹۰/۰۶/۰۷"
    assert normalize_digits(to_persian_digits("0123456789")) == "0123456789"


@pytest.mark.parametrize(("raw", "expected"), [("۰۰۰۱", "0001"), (" 2301 ", "2301"), ("٢٣٠١", "2301"), ("00-001", "00-001")])
def test_normalize_code_keeps_leading_zeros(raw, expected):
    assert normalize_code(raw) == expected


def test_has_diacritics():
    assert has_diacritics("تَهران")
    assert not has_diacritics("تهران")


# --- join_key -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spellings",
    [
        ("میان دوآب", f"میان{ZWNJ}دوآب", "میاندوآب", f"میان {ZWNJ}دوآب"),
        ("کرمانشاه", "كرمانشاه"),
        ("ری", "ري", "رى"),
        ("کهگیلویه و بویراحمد", "كهگيلويه و بويراحمد", f"کهگیلویه و بویر{ZWNJ}احمد"),
        ("قم ۱", "قم 1", "قم ١", "قم1"),
        ("Tehran", "TEHRAN", " tehran "),
        ("تهران", "تـهران", "تَهران", f"تهران{ZWNJ}"),
    ],
)
def test_join_key_equalities(spellings):
    keys = {join_key(s) for s in spellings}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(("a", "b"), [("تهران", "تهرانی"), ("کرج", "کرد"), ("قم 1", "قم 2"), ("ری", "رع")])
def test_join_key_keeps_different_names_apart(a, b):
    assert join_key(a) != join_key(b)


_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_VARIANTS = {PERSIAN_YEH: [ARABIC_YEH, "ى"], PERSIAN_KAF: [ARABIC_KAF], " ": [ZWNJ, "", f" {ZWNJ}", "  "]}
_VARIANTS.update({str(d): [PERSIAN_DIGITS[d], ARABIC_INDIC_DIGITS[d]] for d in range(10)})
_text = st.text(alphabet=_LETTERS + " 0123456789", min_size=1, max_size=30)


@given(text=_text, data=st.data())
@settings(max_examples=200, deadline=None)
def test_join_key_ignores_letter_digit_and_space_variants(text, data):
    variant = "".join(data.draw(st.sampled_from([ch, *_VARIANTS.get(ch, [])])) for ch in text)
    assert join_key(variant) == join_key(text)


@given(text=st.text(alphabet=_LETTERS + ARABIC_YEH + ARABIC_KAF + " " + ZWNJ + PERSIAN_DIGITS + "\u064e", max_size=30))
@settings(max_examples=200, deadline=None)
def test_normalisation_is_idempotent(text):
    once = normalize_fa(text)
    assert normalize_fa(once) == once
    assert join_key(join_key(text)) == join_key(text)
    assert ARABIC_YEH not in once and ARABIC_KAF not in once
    assert not any(ch in once for ch in PERSIAN_DIGITS)


# --- joins of files whose names differ only in those variants -----------------------------------


def _variant(name: object) -> object:
    """The same name typed with Arabic letter forms and a ZWNJ for every space."""
    if not isinstance(name, str):
        return name
    return name.replace(PERSIAN_YEH, ARABIC_YEH).replace(PERSIAN_KAF, ARABIC_KAF).replace(" ", ZWNJ)


def test_seat_join_survives_spelling_variants(official_copy, official_dataset):
    """iran_cities_post.csv joins to counties and places by name: variant spellings give the same seats."""
    from siting.data import load_dataset

    folder = official_copy("iran_counties.geojson", "iran_cities.csv", "iran_cities_post.csv")
    post = pd.read_csv(folder / "iran_cities_post.csv", dtype=str, keep_default_na=False)
    changed = post["name_fa"].map(_variant)
    assert (changed != post["name_fa"]).sum() > 500  # the rewrite touches most names
    post["name_fa"] = changed
    post["county_code_1395"] = post["county_code_1395"].map(to_persian_digits)  # codes in Persian digits too
    post.to_csv(folder / "iran_cities_post.csv", index=False)

    variant = load_dataset(folder)

    expected = official_dataset.level("county").set_index("unit_code")[["seat_lon", "seat_lat"]]
    got = variant.level("county").set_index("unit_code")[["seat_lon", "seat_lat"]]
    pd.testing.assert_frame_equal(got, expected)
    seats = official_dataset.settlements.set_index("settlement_code")["is_county_seat"]
    assert seats.sum() > 300  # the name join matters: hundreds of places are county seats
    pd.testing.assert_series_equal(variant.settlements.set_index("settlement_code")["is_county_seat"], seats)


def test_join_key_merges_two_tables():
    left = pd.DataFrame({"name": ["كرمانشاه", "میان دوآب", "ري"], "left": [1, 2, 3]})
    right = pd.DataFrame({"name": ["کرمانشاه", f"میان{ZWNJ}دوآب", "ری"], "right": [10, 20, 30]})
    merged = left.assign(key=left["name"].map(join_key)).merge(right.assign(key=right["name"].map(join_key)), on="key")
    assert merged[["left", "right"]].values.tolist() == [[1, 10], [2, 20], [3, 30]]
