"""Persian text normalisation, applied at every join.

Planners' files mix Arabic and Persian letter forms (ي/ی, ك/ک), zero-width
non-joiners typed as spaces or not at all, and Persian or Arabic-Indic digits.
Two strings that a Persian reader takes as the same name must give the same
:func:`join_key`.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

_LETTERS = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh
        "ى": "ی",  # alef maksura
        "ك": "ک",  # Arabic kaf
        "ە": "ه",
        "ۀ": "ه",  # heh with yeh above, written either way
        "ة": "ه",
        "ٱ": "ا",
        "أ": "ا",
        "إ": "ا",
        "ـ": None,  # tatweel (kashida) is decoration
    }
)
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_TO_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# Harakat and other combining marks that do not change a name.
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
# ZWNJ, ZWJ, soft hyphen, LRM/RLM and other invisible format characters.
_INVISIBLE = re.compile("[\u200b-\u200f\u00ad\u2066-\u2069\u202a-\u202e\ufeff]")
_SPACES = re.compile(r"\s+")
_ZWNJ = "\u200c"


def normalize_digits(text: str) -> str:
    """Replace Persian and Arabic-Indic digits by ASCII digits."""
    return text.translate(_DIGITS)


def to_persian_digits(text: str) -> str:
    """Write ASCII digits as Persian digits (for display only)."""
    return text.translate(_TO_PERSIAN_DIGITS)


_PERSIAN_SEPARATORS = str.maketrans({",": "٬", ".": "٫"})


def number(value: float, decimals: int = 0, persian: bool = False) -> str:
    """A number with thousands separators, in Persian digits and separators when asked.

    Inside Persian (right-to-left) text a negative number shows its minus sign on the
    right, as Persian typesetting does (``۲-``).
    """
    if value != value:  # NaN
        return "–"
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    if persian:
        return to_persian_digits(text.translate(_PERSIAN_SEPARATORS))
    return text


def percent(share: float, persian: bool = False, decimals: int = 1) -> str:
    """A share (0–1) as a percentage: ``۴۵٫۲٪`` or ``45.2%``."""
    if share is None or share != share:
        return "–"
    text = number(100 * float(share), decimals, persian)
    return text + ("٪" if persian else "%")


def has_diacritics(text: str) -> bool:
    """Whether a text carries harakat (a vocalised spelling)."""
    return bool(_DIACRITICS.search(text))


def normalize_fa(text: object) -> object:
    """Normalise Persian text for display and storage.

    Arabic letter forms become Persian, diacritics and tatweel are dropped,
    digits become ASCII, runs of spaces collapse, and a ZWNJ typed next to a
    space is reduced to the ZWNJ. Non-strings (``None``, NaN) pass through.
    """
    if not isinstance(text, str):
        return text
    text = unicodedata.normalize("NFC", text)
    text = _DIACRITICS.sub("", text.translate(_LETTERS))
    text = normalize_digits(text)
    text = text.replace("\u200d", "").replace("\u00ad", "")
    text = re.sub(rf" *{_ZWNJ}[ {_ZWNJ}]*", _ZWNJ, text)
    return _SPACES.sub(" ", text).strip(" " + _ZWNJ)


def join_key(text: object) -> object:
    """Key under which two spellings of one name compare equal.

    On top of :func:`normalize_fa`, drops every space and invisible character
    (so ``میان دوآب``, ``میان‌دوآب`` and ``میاندوآب`` match) and lower-cases Latin.
    """
    if not isinstance(text, str):
        return text
    text = normalize_fa(text)
    return _SPACES.sub("", _INVISIBLE.sub("", text)).casefold()


def normalize_code(value: object) -> object:
    """Normalise an administrative code read from a file: digits to ASCII, trimmed."""
    if not isinstance(value, str):
        return value
    return normalize_digits(value).strip()


def normalize_series(series: pd.Series) -> pd.Series:
    """Apply :func:`normalize_fa` to a column of text."""
    return series.map(normalize_fa)
