"""The ``sna`` command line: a thin shell over library calls, with progress bars and colour.

Each command turns its options into one library call; errors from the library are printed
as one clear line and exit with status 2 for a configuration error (the region TOML or the
server settings: the line names the file or setting, the key and the problem) and 1 for a
data error (bad input files, missing store or build). Warnings about the inputs (e.g.
police.uk months that are empty or missing) are printed after a prepare or build.
"""

from __future__ import annotations

import typer
from rich.table import Table

from ._common import EXIT_CODES, EXIT_CONFIG, EXIT_DATA, exit_code, library_errors, out
from .builds import audit_command, build, builds_app
from .data import data_app
from .outcomes import outcomes_command
from .outputs import evaluate, maps_command, priority_command, report_command
from .serve import serve

__all__ = ["EXIT_CODES", "EXIT_CONFIG", "EXIT_DATA", "app", "exit_code", "main"]

app = typer.Typer(
    help="Strategic needs assessment risk mapper for Violence Reduction Units.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")


def regions() -> None:
    """List the shipped region configurations."""
    from sna.config import available_regions, load_region

    table = Table("id", "name", "districts")
    for rid in available_regions():
        with library_errors():
            cfg = load_region(rid)
        table.add_row(rid, cfg.region.name, ", ".join(cfg.region.districts))
    out.print(table)


# registered in the order ``sna --help`` lists them (commands first, then groups)
app.command("regions")(regions)
app.command("build")(build)
app.command("audit")(audit_command)
app.add_typer(builds_app, name="builds")
app.command("serve")(serve)
app.command("maps")(maps_command)
app.command("report")(report_command)
app.command("priority")(priority_command)
app.command("evaluate")(evaluate)
app.command("outcomes")(outcomes_command)


def main() -> None:  # pragma: no cover - console script entry
    """Entry point for ``python -m cli`` (the console script is ``sna``)."""
    app()
