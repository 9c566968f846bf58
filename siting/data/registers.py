"""The registers a planner brings: offices, licence applications, industrial parks, and the other networks.

The other networks (``other_offices``) are the parallel e-service offices the
1393 report says refuse to merge into the counter offices: Police+10
(``police10``), municipal e-service offices (``municipal``), rural ICT offices
(``rural_ict``) and post offices (``post``). They compete for the same visits,
and a conversion scenario can count them as counter offices.

No public data exists for them; :mod:`siting.data.synthetic` makes labelled
synthetic ones. Applicants' national ids are never kept in clear: a file may
carry ``national_id`` and it is replaced on load by a salted SHA-256 hash.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd

from siting.data import checks
from siting.data._read import Table
from siting.data.settlements import point_columns
from siting.errors import DataError, Problem
from siting.text import normalize_code, normalize_fa
from siting.dates import parse_date

OFFICE_STATUSES = ("active", "not_opened", "suspended", "cancelled")
SETTINGS = ("urban", "rural")
EDUCATION_LEVELS = ("none", "diploma", "associate", "bachelor", "master", "doctorate")
SALT_VARIABLE = "AMAYESH_ID_SALT"
OFFICE_COLUMNS = [
    "licence_id", "unit_code", "lon", "lat", "setting", "status", "issue_date", "opening_date",
    "transfer_dates", "last_renewal_date", "violations", "holder_hash", "is_municipal", "synthetic",
]
APPLICATION_COLUMNS = [
    "application_id", "applicant_hash", "unit_code", "lon", "lat", "setting", "application_date",
    "veteran", "education", "resident_unit_code", "synthetic",
]
PARK_COLUMNS = ["park_id", "name_fa", "name_en", "unit_code", "lon", "lat", "synthetic"]
NETWORKS = ("police10", "municipal", "rural_ict", "post")
OTHER_OFFICE_COLUMNS = ["office_id", "network", "services", "capacity", "unit_code", "lon", "lat", "synthetic"]


def hash_id(national_id: str, salt: str) -> str:
    """Salted SHA-256 of a national id (digits normalised), shortened to 20 hex digits."""
    digits = normalize_code(str(national_id)).replace("-", "")
    return hashlib.sha256(f"{salt}:{digits}".encode()).hexdigest()[:20]


def _location(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """``unit_code`` and/or ``lon``/``lat``: at least one per row."""
    frame = table.frame
    out = pd.DataFrame(index=frame.index)
    problems: list[Problem] = []
    if "unit_code" in frame:
        out["unit_code"], found = checks.codes(table, "unit_code", unique=False)
        problems += [p for p in found if p.message != "code is empty"]
    else:
        out["unit_code"] = None
    points, found = point_columns(table, required=False)
    problems += found
    out[["lon", "lat"]] = points
    if "unit_code" not in frame and "lon" not in frame and not ("geometry" in frame and frame["geometry"].notna().any()):
        problems.append(Problem(table.name, "needs a 'unit_code' column or 'lon'/'lat' columns (or point geometry)"))
        return out, problems
    nowhere = out["unit_code"].isna() & (out["lon"].isna() | out["lat"].isna())
    problems += checks._rows(table, nowhere, "unit_code", "row has neither a unit code nor coordinates")
    return out, problems


def _synthetic(table: Table) -> tuple[pd.Series, list[Problem]]:
    if "synthetic" not in table.frame:
        return pd.Series(False, index=table.frame.index), []
    return checks.booleans(table, "synthetic")


def parse_offices(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate the office register."""
    problems = checks.required_columns(table, ["licence_id", "setting", "status", "issue_date"])
    if problems:
        return pd.DataFrame(columns=OFFICE_COLUMNS), problems
    frame = table.frame
    out = pd.DataFrame(index=frame.index)
    out["licence_id"], found = checks.codes(table, "licence_id")
    problems += found
    location, found = _location(table)
    problems += found
    out[["unit_code", "lon", "lat"]] = location
    out["setting"], found = checks.choices(table, "setting", SETTINGS)
    problems += found
    out["status"], found = checks.choices(table, "status", OFFICE_STATUSES)
    problems += found
    out["issue_date"], found = checks.dates(table, "issue_date", required=True)
    problems += found
    for column in ("opening_date", "last_renewal_date"):
        if column in frame:
            out[column], found = checks.dates(table, column)
            problems += found
        else:
            out[column] = None
    out["transfer_dates"], found = _date_lists(table, "transfer_dates")
    problems += found
    if "violations" in frame:
        values, found = checks.numbers(table, "violations", integer=True, required=False)
        out["violations"] = values.fillna(0).astype(int)
        problems += found
    else:
        out["violations"] = 0
    out["holder_hash"] = frame["holder_hash"] if "holder_hash" in frame else None
    if "is_municipal" in frame:
        out["is_municipal"], found = checks.booleans(table, "is_municipal")
        problems += found
    else:
        out["is_municipal"] = False
    out["synthetic"], found = _synthetic(table)
    problems += found
    opened_before_issue = day_ordinals(out["opening_date"]) < day_ordinals(out["issue_date"])
    problems += checks._rows(table, opened_before_issue, "opening_date", "office opened before its licence was issued")
    return out[OFFICE_COLUMNS].reset_index(drop=True), problems


def _date_lists(table: Table, column: str) -> tuple[pd.Series, list[Problem]]:
    """A column of ';'-separated dates as tuples of dates."""
    if column not in table.frame:
        return pd.Series([()] * len(table.frame), index=table.frame.index, dtype=object), []
    parsed, messages = [], {}
    for position, value in enumerate(table.frame[column].tolist()):
        items = [] if not isinstance(value, str) else [v for v in value.split(";") if v.strip()]
        try:
            parsed.append(tuple(sorted(parse_date(v) for v in items)))
        except ValueError as exc:
            parsed.append(())
            messages[position] = str(exc)
            continue
        if parsed[-1] and checks.after_today(parsed[-1][-1]):
            messages[position] = f"{checks.future_message()} ({value})"
    return (pd.Series(parsed, index=table.frame.index, dtype=object),
            checks.row_messages(table, column, messages, "dates that do not parse or lie after today"))


def parse_applications(table: Table, salt: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate licence applications; clear national ids are hashed and dropped."""
    frame = table.frame
    id_column = "applicant_hash" if "applicant_hash" in frame else "national_id"
    problems = checks.required_columns(table, ["application_id", id_column, "application_date"])
    if problems:
        return pd.DataFrame(columns=APPLICATION_COLUMNS), problems
    out = pd.DataFrame(index=frame.index)
    out["application_id"], found = checks.codes(table, "application_id")
    problems += found
    if id_column == "national_id":
        salt = salt if salt is not None else os.environ.get(SALT_VARIABLE)
        if not salt:
            raise DataError([Problem(table.name, f"holds national ids in clear: set the {SALT_VARIABLE} environment "
                                     "variable to a secret salt so they are hashed on load", None, "national_id")])
        out["applicant_hash"] = frame["national_id"].map(lambda v: hash_id(v, salt) if isinstance(v, str) else None)
    else:
        out["applicant_hash"] = frame["applicant_hash"].map(normalize_code)
    problems += checks._rows(table, out["applicant_hash"].isna(), id_column, "applicant id is missing")
    location, found = _location(table)
    problems += found
    out[["unit_code", "lon", "lat"]] = location
    if "setting" in frame:
        out["setting"], found = checks.choices(table, "setting", SETTINGS, required=False)
        problems += found
    else:
        out["setting"] = None
    out["application_date"], found = checks.dates(table, "application_date", required=True)
    problems += found
    if "veteran" in frame:
        out["veteran"], found = checks.booleans(table, "veteran")
        problems += found
    else:
        out["veteran"] = False
    if "education" in frame:
        out["education"], found = checks.choices(table, "education", EDUCATION_LEVELS, required=False)
        problems += found
    else:
        out["education"] = None
    if "resident_unit_code" in frame:
        out["resident_unit_code"], found = checks.codes(table, "resident_unit_code", unique=False)
        problems += [p for p in found if p.message != "code is empty"]
    else:
        out["resident_unit_code"] = None
    out["synthetic"], found = _synthetic(table)
    problems += found
    return out[APPLICATION_COLUMNS].reset_index(drop=True), problems


def parse_parks(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate the industrial parks (شهرک صنعتی) list."""
    problems = checks.required_columns(table, ["park_id", "name_fa"])
    if problems:
        return pd.DataFrame(columns=PARK_COLUMNS), problems
    frame = table.frame
    out = pd.DataFrame(index=frame.index)
    out["park_id"], found = checks.codes(table, "park_id")
    problems += found
    out["name_fa"] = frame["name_fa"].map(normalize_fa)
    out["name_en"] = frame["name_en"] if "name_en" in frame else None
    problems += _located_and_flagged(table, out)
    return out[PARK_COLUMNS].reset_index(drop=True), problems


def parse_other_offices(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate the register of the other networks' offices (:data:`NETWORKS`).

    ``services`` is free text (e.g. ``"vehicle;passport"``); ``capacity``, when
    given, is the visits a day the office can serve (kept for the capacitated
    models; the market-share models give every office the same attractiveness).
    """
    problems = checks.required_columns(table, ["office_id", "network"])
    if problems:
        return pd.DataFrame(columns=OTHER_OFFICE_COLUMNS), problems
    frame = table.frame
    out = pd.DataFrame(index=frame.index)
    out["office_id"], found = checks.codes(table, "office_id")
    problems += found
    out["network"], found = checks.choices(table, "network", NETWORKS)
    problems += found
    out["services"] = frame["services"].map(normalize_fa) if "services" in frame else None
    if "capacity" in frame:
        out["capacity"], found = checks.numbers(table, "capacity", required=False)
        problems += found + checks._rows(table, out["capacity"] == 0, "capacity", "capacity must be positive (leave it blank when unknown)")
    else:
        out["capacity"] = np.nan
    problems += _located_and_flagged(table, out)
    return out[OTHER_OFFICE_COLUMNS].reset_index(drop=True), problems


def _located_and_flagged(table: Table, out: pd.DataFrame) -> list[Problem]:
    """Fill ``unit_code``, ``lon``, ``lat`` and ``synthetic`` of a point register in ``out``; return the problems."""
    location, problems = _location(table)
    out[["unit_code", "lon", "lat"]] = location
    out["synthetic"], found = _synthetic(table)
    return problems + found


def unknown_units(table: Table, codes: pd.Series, known: set[str], column: str = "unit_code") -> list[Problem]:
    """Rows naming a unit code that the geography does not have."""
    return checks._rows(table, codes.notna() & ~codes.isin(known), column, "unit code is not in the geography", codes)


def day_ordinals(dates: pd.Series) -> np.ndarray:
    """Dates as day ordinals (NaN where missing), for vectorised comparisons."""
    return np.array([d.toordinal() if d else np.nan for d in dates], dtype=float)
