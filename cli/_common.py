"""What every command shares: the consoles, the common options and library errors as exits.

A library error is printed as one clear line and exits with status 2 for a configuration error
(the region TOML or the server settings: the line names the file or setting, the key and the
problem) and 1 for a data error (bad input files, missing store or build).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from geodata.errors import GeodataError
from sna.errors import ConfigError, SnaError

__all__ = [
    "EXIT_CODES",
    "EXIT_CONFIG",
    "EXIT_DATA",
    "DataDirOpt",
    "RegionOpt",
    "console",
    "exit_code",
    "fail",
    "library_errors",
    "out",
    "progress_bar",
    "warn",
    "with_progress",
]

console = Console(stderr=True)
out = Console()

RegionOpt = Annotated[
    str, typer.Option("--region", "-r", help="Region id (e.g. west-midlands) or path to a TOML.")
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $SNA_DATA_DIR or ./data)."),
]


EXIT_DATA = 1
EXIT_CONFIG = 2
#: Exit status by error type, the most specific first: a configuration error is 2, a data
#: (or any other library) error 1. The one table every command goes through.
EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (ConfigError, EXIT_CONFIG),
    (SnaError, EXIT_DATA),
    (GeodataError, EXIT_DATA),
)


def exit_code(exc: Exception) -> int:
    """The exit status of a library error (:data:`EXIT_CODES`)."""
    return next((code for kind, code in EXIT_CODES if isinstance(exc, kind)), EXIT_DATA)


def fail(exc: Exception) -> None:
    """Print a library error as one unwrapped line (paths stay copy-pasteable) and exit."""
    line = " ".join(str(exc).split())
    console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
    raise typer.Exit(code=exit_code(exc))


@contextmanager
def library_errors() -> Iterator[None]:
    """Turn a library error raised inside the block into one line and its exit status."""
    try:
        yield
    except (SnaError, GeodataError) as exc:
        fail(exc)


def warn(warnings: list[str]) -> None:
    """Print input warnings, one line each, on stderr."""
    for w in warnings:
        console.print(f"[bold yellow]warning:[/] {escape(w)}", soft_wrap=True)


def with_progress(run, first: str, **kwargs):
    """Call ``run(progress=step, **kwargs)`` under a rich progress bar of its steps.

    Library errors become one clear line and their exit status (:data:`EXIT_CODES`).
    """
    bar = progress_bar(28)
    with library_errors(), bar:
        task = bar.add_task(first, total=1)

        def step(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        result = run(progress=step, **kwargs)
        bar.update(task, completed=bar.tasks[0].total)
    return result


def progress_bar(width: int = 34) -> Progress:
    """A rich progress bar on stderr, its label ``width`` characters (transient when stderr
    is not a terminal)."""
    return Progress(
        TextColumn(f"[bold blue]{{task.description:<{width}}}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=not sys.stderr.isatty(),
    )
