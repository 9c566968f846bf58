"""The one errors module of Amayesh.

Every error a planner can cause derives from :class:`AmayeshError`; the CLI turns
them into a message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Problem:
    """One finding about an input file.

    ``row`` is the spreadsheet row for CSV files (the header is row 1, so the
    first record is row 2) and the feature number for GIS layers (the first
    feature is 1). ``None`` means the problem concerns the whole file or column.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    severity: str = "error"  # "error" stops loading; "warning" is reported only
    rows: int = 1  # how many rows this finding stands for (a summary of the rest of a long list stands for many)

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{self.severity.upper()}: {', '.join(where)}: {self.message}"


def error_rows(problems: Iterable[Problem]) -> int:
    """How many rows the errors among ``problems`` stand for (summaries count every row they summarise)."""
    return sum(p.rows for p in problems if p.severity == "error")


def _in_file_order(problems: Iterable[Problem]) -> list[Problem]:
    """Problems grouped by file (in the order the files were first named), then by row.

    Checks run one rule at a time; a planner mends a file top to bottom, so each
    file's findings are listed in row order (whole-file findings first), ties kept
    in the order they were found.
    """
    problems = list(problems)
    first_seen: dict[str, int] = {}
    for problem in problems:
        first_seen.setdefault(problem.file, len(first_seen))
    return sorted(problems, key=lambda p: (first_seen[p.file], -1 if p.row is None else p.row))


class AmayeshError(Exception):
    """Base class of every error Amayesh reports to a planner."""


class DataError(AmayeshError):
    """Input data failed validation; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = _in_file_order(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{error_rows(self.problems):,} problem(s) in the input data"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in errors))


class ScenarioError(AmayeshError):
    """A scenario file is invalid."""


class WeightsError(AmayeshError):
    """Weights cannot be derived (e.g. an inconsistent AHP matrix)."""


class InfeasibleError(AmayeshError):
    """A scenario has no feasible plan; ``diagnosis`` explains the conflict."""

    def __init__(self, message: str, diagnosis: object = None):
        super().__init__(message)
        self.diagnosis = diagnosis


class OutputExistsError(AmayeshError):
    """An output folder already holds results and overwriting was not asked for."""
