"""The ``sna`` command line: a thin shell over library calls, with progress bars and colour.

Each command turns its options into one library call; errors from the library are printed
as one clear line and exit with status 2 for a configuration error (the region TOML or the
server settings: the line names the file or setting, the key and the problem) and 1 for a
data error (bad input files, missing store or build). Warnings about the inputs (e.g.
police.uk months that are empty or missing) are printed after a prepare or build.
"""

from __future__ import annotations

import json
from typing import Annotated

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


def _districts_cell(row: dict) -> str:
    names = row["district_names"]
    more = f", +{len(names) - 3} more" if len(names) > 3 else ""
    return f"{len(names)}: {', '.join(names[:3])}{more}"


def _street_cell(row: dict) -> str:
    return "\n".join(
        f"{s['force']} {s['span'] or '(no files)'}"
        + (f" (trend of {', '.join(s['trend_only'])} only)" if s.get("trend_only") else "")
        for s in row["street_files"]
    )


def _partner_cell(row: dict) -> str:
    parts = list(row["partner_extracts"]) + (["directory"] if row["service_directory"] else [])
    return ", ".join(parts)


def regions(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the list as JSON (one object per region).")
    ] = False,
) -> None:
    """List the shipped regions and the generated view of every English police force area,
    with what data each has (street files and their months, partner extracts, directory)."""
    from sna.config.region_list import region_rows

    with library_errors():
        rows = region_rows()
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title="Regions and views")
    table.add_column("id", no_wrap=True)  # what --region takes: never broken across lines
    for col in ("kind", "VRU", "districts", "street files", "partner data"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            row["id"],
            row["kind"],
            row["vru"] or "-",
            _districts_cell(row),
            _street_cell(row) or "-",
            _partner_cell(row) or "-",
        )
    out.print(table)
    views = sum(1 for r in rows if r["view_of"])
    out.print(f"{len(rows)} regions, {views} of them views; `sna build --region <id>` builds one.")


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
