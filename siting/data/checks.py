"""Validation checks on loaded tables; each returns the problems it finds.

Checks never stop at the first problem: a planner fixing a file wants every
bad row at once. Long lists are cut to :data:`MAX_ROWS_REPORTED` per check
with a count of the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import shapely

from siting.data._read import Table
from siting.errors import Problem
from siting.text import normalize_code

MAX_ROWS_REPORTED = 20


def _rows(table: Table, mask: np.ndarray | pd.Series, column: str | None, message: str,
          values: pd.Series | None = None) -> list[Problem]:
    """One problem per flagged row, the first :data:`MAX_ROWS_REPORTED` by name, the rest summarised.

    With ``values`` (e.g. the rows' codes) each message quotes its row's value and the
    summary lists the distinct values of the rows it stands for.
    """
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    column = table.label(column)
    shown = [np.asarray(values)[p] for p in positions] if values is not None else None
    problems = [Problem(table.name, message if shown is None else f"{message} ({shown[i]!s})", table.row(p), column)
                for i, p in enumerate(positions[:MAX_ROWS_REPORTED])]
    rest = len(positions) - MAX_ROWS_REPORTED
    if rest > 0:
        # problems are listed in row order, so the summary carries its rule and sits at the first row it stands for
        text = f"... and {rest:,} more rows like this from here on: {message}"
        if shown is not None:
            distinct = list(dict.fromkeys(str(v) for v in shown[MAX_ROWS_REPORTED:]))
            listed = ", ".join(distinct[:10]) + (", …" if len(distinct) > 10 else "")
            text += f", with {len(distinct):,} distinct value(s): {listed}"
        problems.append(Problem(table.name, text, table.row(positions[MAX_ROWS_REPORTED]), column, rows=rest))
    return problems


def required_columns(table: Table, columns: Iterable[str]) -> list[Problem]:
    """Missing columns, with the closest present name as a hint for misnamed ones."""
    import difflib

    present = list(table.frame.columns)
    problems = []
    for column in columns:
        if column not in present:
            close = difflib.get_close_matches(column, present, n=1, cutoff=0.6)
            hint = f" (found '{close[0]}': misnamed?)" if close else ""
            problems.append(Problem(table.name, f"required column is missing{hint}", None, table.label(column)))
    return problems


def codes(table: Table, column: str, width: int | Sequence[int] | None = None, unique: bool = True) -> tuple[pd.Series, list[Problem]]:
    """Administrative codes as normalised text; flags numbers, wrong widths, blanks and duplicates."""
    raw = table.frame[column]
    problems: list[Problem] = []
    if pd.api.types.is_numeric_dtype(raw):
        problems.append(
            Problem(
                table.name,
                "codes are stored as numbers, so leading zeros are lost (e.g. '0001' becomes 1): store them as text",
                None,
                table.label(column),
            )
        )
        values = raw.map(lambda v: None if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v))
    else:
        values = raw.map(normalize_code)
    blank = values.isna() | (values.astype(str) == "")
    problems += _rows(table, blank, column, "code is empty")
    if width is not None:
        widths = (width,) if isinstance(width, int) else tuple(width)
        bad_width = ~blank & ~values.astype(str).str.len().isin(widths)
        hint = " (leading zeros lost?)"
        problems += _rows(
            table, bad_width, column, f"code should have {' or '.join(map(str, widths))} characters{hint}"
        )
        not_digits = ~blank & ~values.astype(str).str.fullmatch(r"[0-9A-Za-z\-]+")
        problems += _rows(table, not_digits, column, "code has characters other than digits, letters and '-'")
    if unique:
        duplicated = ~blank & values.duplicated(keep=False)
        for code, group in values[duplicated].groupby(values[duplicated]):
            rows = ", ".join(str(table.row(p)) for p in np.flatnonzero(values.eq(code).to_numpy()))
            problems.append(
                Problem(table.name, f"duplicate code '{code}' (rows {rows})", table.row(group.index[-1]), table.label(column))
            )
    return values.astype(object), problems


#: A number whose commas group thousands (``1,234,567.5``); other commas are decimal commas or typos.
_THOUSANDS = r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?"


def numbers(
    table: Table,
    column: str,
    *,
    integer: bool = False,
    non_negative: bool = True,
    required: bool = True,
    low: float | None = None,
    high: float | None = None,
) -> tuple[pd.Series, list[Problem]]:
    """A numeric column, with the rows that are not numbers or out of range."""
    raw = table.frame[column]
    text = raw.astype(object).map(lambda v: normalize_code(str(v)).replace("٫", ".").replace("٬", ",") if isinstance(v, str) else v)
    is_text = text.map(lambda v: isinstance(v, str))
    grouped = text.where(is_text, "").str.fullmatch(_THOUSANDS)
    comma = text.where(is_text, "").str.contains(",", regex=False) & ~grouped
    text = text.map(lambda v: v.replace(",", "") if isinstance(v, str) else v)
    values = pd.to_numeric(text, errors="coerce").astype(float)
    values[comma] = np.nan
    blank = raw.isna() | raw.astype(str).str.strip().eq("")
    problems = _rows(table, comma, column, "value has a comma that does not group thousands (decimals take a point: 51.42)",
                     values=raw)
    problems += _rows(table, values.isna() & ~blank & ~comma, column, "value is not a number")
    if required:
        problems += _rows(table, blank, column, "value is missing")
    if non_negative:
        problems += _rows(table, values < 0, column, "value is negative")
    if integer:
        problems += _rows(table, values.notna() & (values != np.round(values)), column, "value is not a whole number")
    if low is not None:
        problems += _rows(table, values < low, column, f"value is below {low}")
    if high is not None:
        problems += _rows(table, values > high, column, f"value is above {high}")
    return values, problems


def totals_add_up(
    table: Table, total: pd.Series, parts: Sequence[pd.Series], total_column: str, part_columns: Sequence[str], tolerance: float = 0.5
) -> list[Problem]:
    """Rows where ``total`` differs from the sum of ``parts``."""
    difference = total - sum(parts)
    return _rows(
        table,
        difference.abs() > tolerance,
        total_column,
        f"{total_column} does not equal {' + '.join(part_columns)}",
    )


def parents_exist(table: Table, parent_codes: pd.Series, known: Iterable[str], column: str, what: str) -> list[Problem]:
    """Rows whose parent code names no known unit."""
    known_set = set(known)
    return _rows(table, ~parent_codes.isin(known_set) & parent_codes.notna(), column, f"{what} code is not a known {what}")


def geometries(table: Table, max_area_change: float = 0.01, codes: pd.Series | None = None) -> tuple[pd.Series, list[Problem]]:
    """Refuse non-polygons; repair invalid polygons where that is safe, refuse them otherwise.

    Units are areas: a Point, a line or a collection is refused (``codes``, when
    given, are quoted with each row). ``make_valid`` is safe when the repaired
    polygon keeps its area within ``max_area_change`` (a self-touching ring, a
    duplicated vertex); a bow-tie that loses half its area is refused.
    """
    frame = table.frame
    geometry = frame.geometry
    problems: list[Problem] = []
    missing = geometry.isna() | geometry.is_empty
    problems += _rows(table, missing, "geometry", "geometry is missing or empty", codes)
    kind = geometry.geom_type
    not_polygon = ~missing & ~kind.isin(["Polygon", "MultiPolygon"])
    if not_polygon.any():
        labels = "found " + kind.astype(str) + (", code " + codes.astype(str) if codes is not None else "")
        problems += _rows(table, not_polygon, "geometry", "a unit must be a Polygon or MultiPolygon", labels)
    invalid = ~missing & ~not_polygon & ~geometry.is_valid
    if invalid.any():
        # make_valid may return a collection with stray lines or points: keep the polygonal part.
        repaired = shapely.make_valid(geometry[invalid].to_numpy())
        polys = np.array([_polygonal_part(g) for g in repaired], dtype=object)
        before = shapely.area(geometry[invalid].to_numpy())
        after = shapely.area(polys)
        change = np.abs(after - np.abs(before)) / np.maximum(np.abs(before), 1e-12)
        safe = change <= max_area_change
        geometry = geometry.copy()
        geometry.loc[geometry.index[invalid][safe]] = polys[safe]
        reasons = shapely.is_valid_reason(frame.geometry[invalid].to_numpy())
        for position, ok, reason, delta, area_before in zip(np.flatnonzero(invalid.to_numpy()), safe, reasons, change, before):
            if ok:
                problems.append(Problem(table.name, f"invalid geometry ({reason}) repaired", table.row(position), "geometry", "warning"))
            else:
                problems.append(
                    Problem(
                        table.name,
                        f"invalid geometry ({reason}); "
                        + ("its rings cancel out to zero area (a bow-tie?)" if abs(area_before) < 1e-12 else f"repairing it would change its area by {delta:.0%}")
                        + ": fix it in the source",
                        table.row(position),
                        "geometry",
                    )
                )
    return geometry, problems


def _polygonal_part(geometry: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geometry)
    polygons = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.unary_union(polygons) if polygons else shapely.Polygon()


def dates(table: Table, column: str, required: bool = False) -> tuple[pd.Series, list[Problem]]:
    """Parse Jalali or Gregorian dates; rows that don't parse, or lie after today, are reported.

    A register date after today is a typo (1410 for 1401); left in, it would become the
    registers' reference date and age every audit by years.
    """
    from siting.dates import parse_date

    parsed: list[object] = []
    messages: dict[int, str] = {}
    for position, value in enumerate(table.frame[column].tolist()):
        try:
            parsed.append(parse_date(value))
        except ValueError as exc:
            parsed.append(None)
            messages[position] = str(exc)
    problems = row_messages(table, column, messages, "dates that do not parse")
    values = pd.Series(parsed, index=table.frame.index, dtype=object)
    problems += _rows(table, values.map(after_today), column, future_message(), values=table.frame[column])
    if required:
        problems += _rows(table, values.isna() & ~np.isin(np.arange(len(values)), list(messages)), column, "date is missing")
    return values, problems


def after_today(date: object) -> bool:
    """``date`` (a ``datetime.date`` or None) lies after today's date on this machine."""
    return date is not None and date > dt.date.today()


def future_message() -> str:
    """The message of a register date after today, naming today in Jalali."""
    from siting.dates import to_jalali

    return f"date is after today ({to_jalali(dt.date.today())})"


def row_messages(table: Table, column: str, messages: dict[int, str], what: str) -> list[Problem]:
    """One problem per row position with its own message, the first :data:`MAX_ROWS_REPORTED` by row, the rest summarised."""
    positions = sorted(messages)
    problems = [Problem(table.name, messages[p], table.row(p), table.label(column)) for p in positions[:MAX_ROWS_REPORTED]]
    rest = len(positions) - MAX_ROWS_REPORTED
    if rest > 0:
        problems.append(Problem(table.name, f"... and {rest:,} more rows like this from here on: {what}",
                                table.row(positions[MAX_ROWS_REPORTED]), table.label(column), rows=rest))
    return problems


def choices(table: Table, column: str, allowed: Iterable[str], required: bool = True) -> tuple[pd.Series, list[Problem]]:
    """A categorical text column, lower-cased and checked against ``allowed``."""
    allowed_set = set(allowed)
    values = table.frame[column].map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    blank = values.isna()
    problems = _rows(table, ~blank & ~values.isin(allowed_set), column, f"value must be one of {sorted(allowed_set)}")
    if required:
        problems += _rows(table, blank, column, "value is missing")
    return values.astype(object), problems


def booleans(table: Table, column: str) -> tuple[pd.Series, list[Problem]]:
    """Yes/no columns written as true/false, 1/0, yes/no, بله/خیر."""
    truthy = {"true", "1", "yes", "y", "t", "بله", "آری", "دارد"}
    falsy = {"false", "0", "no", "n", "f", "خیر", "ندارد", ""}
    raw = table.frame[column]
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype(bool), []
    text = raw.map(lambda v: normalize_code(str(v)).lower() if not (v is None or (isinstance(v, float) and np.isnan(v))) else "")
    problems = _rows(table, ~text.isin(truthy | falsy), column, "value must be true/false (or 1/0, yes/no, بله/خیر)")
    return text.isin(truthy), problems
