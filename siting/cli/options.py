"""Options shared by subcommands, and the error handling every command uses."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import click

from siting.errors import AmayeshError, DataError, error_rows

if TYPE_CHECKING:
    from siting.scenario import Scenario

data_option = click.option(
    "--data",
    "data",
    default="embedded",
    show_default=True,
    metavar="PATH",
    help="Data source: 'embedded' (GeoNames default, built on first use, no network), a folder in the official "
    "layout of shared/data/iran, or a folder in the data contract (docs/data-contract.md), optionally with "
    "registers (offices, applications, industrial_parks) and an amayesh.yaml manifest.",
)
vintage_option = click.option(
    "--vintage",
    type=click.Choice(["1395", "1400"]),
    default="1395",
    show_default=True,
    help="County boundaries: 1395 census counties, or current 1400 counties with 1395 figures apportioned by area "
    "(estimates; official layout only).",
)
out_option = click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder. It must not exist or be empty; it is written completely or not at all.",
)
replace_option = click.option(
    "--replace",
    is_flag=True,
    help="Replace a non-empty output folder; the old one is kept beside it as NAME.previous-<time>.",
)

scenario_option = click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Scenario YAML (default: data/scenarios/default.yaml). Fields are documented in the README.",
)
data_override_option = click.option(
    "--data",
    "data",
    default=None,
    metavar="PATH",
    help="Data source, overriding the scenario's 'data': 'embedded' (default), an official folder, or a data-contract "
    "folder with optional registers (see 'amayesh data check --help').",
)


def scenario_run_options(command: Callable) -> Callable:
    """The options every scenario run shares: --scenario, --data, --vintage, --out, --replace."""
    for option in (replace_option, out_option, vintage_option, data_override_option, scenario_option):
        command = option(command)
    return command


def reports_errors(command: Callable) -> Callable:
    """Turn Amayesh errors into messages on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DataError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(f"amayesh: {error_rows(exc.problems):,} problem(s) in the input data; nothing was written.", err=True)
            sys.exit(2)
        except AmayeshError as exc:
            click.echo(f"amayesh: {exc}", err=True)
            sys.exit(1)

    return wrapper


def with_options(scenario: Scenario, options: dict[str, object]) -> tuple[Scenario, str | None]:
    """The scenario with the command line's options (dotted fields; ``None`` = not given), validated.

    Returns the scenario and, when an option changed it, the YAML text the run folder keeps
    as scenario.yaml (``None``: the scenario file is kept as it is), so the folder records the
    scenario that actually ran.
    """
    from siting.scenario import apply_overrides, scenario_yaml

    given = {field: value for field, value in options.items() if value is not None}
    if not given:
        return scenario, None
    scenario = apply_overrides(scenario, given, "command-line options")
    return scenario, scenario_yaml(scenario)
