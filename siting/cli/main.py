"""The ``amayesh`` command group."""

from __future__ import annotations

import click

from siting import __version__
from siting.cli.dashboard import dashboard
from siting.cli.batch import batch
from siting.cli.data import data
from siting.cli.export import export
from siting.cli.plan import plan
from siting.cli.score import score
from siting.cli.site import site


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amayesh")
def cli() -> None:
    """Amayesh (آمایش): spatial planning of Iran's government service counter offices.

    The data flows one way: data → score → plan → site → export.
    """


cli.add_command(data)
cli.add_command(score)
cli.add_command(plan)
cli.add_command(site)
cli.add_command(export)
cli.add_command(dashboard)
cli.add_command(batch)
