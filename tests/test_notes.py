"""The plan's notes: English and Persian written from the same numbers (siting.notes)."""

from __future__ import annotations

import re

import pytest

from optimizer.formulation import GROUP_TITLES
from siting.notes import GROUP_TITLES_FA, Note, _WRITERS, note_text

LATIN_DIGITS = re.compile(r"[0-9]")
PERSIAN_DIGITS = re.compile(r"[۰-۹]")

EXAMPLES = [
    Note("rural_share_off"),
    Note("converted", {"total": 1322, "networks": {"police10": 1200, "municipal": 122}, "urban": 840, "rural": 61}),
    Note("viability_residents", {"urban": 5000, "rural": 3000}),
    Note("viability_residents", {"urban": 0, "rural": 0}),
    Note("viability_visits", {"visits_per_resident": 1.5, "networks": ["police10", "municipal"], "decay": "exponential",
                              "cutoff_km": 12.5, "min_urban": 4000, "min_rural": 1500, "median_share": 0.734}),
    Note("scores_shifted"),
    Note("unspent", {"unspent": 120, "budget": 2000, "areas": 858, "capped": 700, "open": 158, "room": 75,
                     "tight": [{"group": "province_ceiling", "rows": 9, "labels": ["23", "07", "08", "09", "10", "11", "12", "13"]}]}),
    Note("unspent", {"unspent": 5, "budget": 2000, "areas": 858, "capped": 858, "open": 0, "room": 0, "tight": []}),
]


def test_every_kind_of_note_has_an_example():
    assert {note.kind for note in EXAMPLES} == set(_WRITERS)


@pytest.mark.parametrize("note", EXAMPLES, ids=lambda n: n.kind)
def test_persian_notes_carry_the_same_numbers_in_persian_digits(note):
    english, persian = note_text(note, "en"), note_text(note, "fa")
    assert not LATIN_DIGITS.search(persian.replace("z-score", "").replace("ICT", "")), persian
    to_latin = str.maketrans("۰۱۲۳۴۵۶۷۸۹٬٫", "0123456789,.")
    english_numbers = sorted(re.findall(r"\d[\d,.]*\d|\d", english.replace("1393", "")))
    persian_numbers = sorted(re.findall(r"\d[\d,.]*\d|\d", persian.translate(to_latin)))
    assert persian_numbers == english_numbers, (english, persian)


def test_english_notes_read_as_before():
    # the CLI and summary.json say what they always said (tests elsewhere match these words)
    assert note_text(EXAMPLES[2]) == "viability rule: residents (urban 5,000 residents per office, rural 3,000 residents per office)"
    assert note_text(EXAMPLES[3]) == "viability rule: residents (off)"
    assert note_text(EXAMPLES[4]).startswith("viability rule: visits (1.5 visit(s) per resident a year, after the police10, "
                                             "municipal offices take their Huff share with exponential decay to 12.5 km")
    assert note_text(EXAMPLES[7]) == ("5 of the 2,000 licences left unspent: all 858 areas are full under their saturation cap "
                                      "or minimum catchment; licences beyond these limits would only feed speculation")
    assert "province ceilings reached (9: 23, 07, 08, 09, 10, 11, 12, 13, …)" in note_text(EXAMPLES[6])
    assert "سقف استانی پر شد (۹: ۲۳، ۰۷، ۰۸، ۰۹، ۱۰، ۱۱، ۱۲، ۱۳، …)" in note_text(EXAMPLES[6], "fa")


def test_every_constraint_group_has_a_persian_title():
    assert set(GROUP_TITLES_FA) == set(GROUP_TITLES)
