"""What every command shares: the consoles, the common options and library errors as exits.

A library error is printed as one clear line and exits with status 2 for a configuration error
(the region TOML or the server settings: the line names the file or setting, the key and the
problem) and 1 for a data error (bad input files, missing store or build).
"""

from __future__ import annotations

import errno
import os
import sqlite3
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
    "os_error_line",
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


#: What to do about the operating system's refusals, by errno.
_OS_ADVICE = {
    errno.ENOSPC: (
        "no space left on the device",
        "free space there, or point --data-dir (or SNA_DATA_DIR) at a disk with room",
    ),
    errno.EDQUOT: (
        "disk quota exceeded",
        "free space there, or point --data-dir (or SNA_DATA_DIR) at a disk with room",
    ),
    errno.EROFS: (
        "read-only file system",
        "point --data-dir (or SNA_DATA_DIR) at a writable directory",
    ),
    errno.EACCES: (
        "permission denied",
        "run as a user who may write there, or point --data-dir (or SNA_DATA_DIR) elsewhere",
    ),
    errno.EPERM: (
        "operation not permitted",
        "run as a user who may write there, or point --data-dir (or SNA_DATA_DIR) elsewhere",
    ),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n 4096) and run it again"),
    errno.ENFILE: (
        "too many open files on this machine",
        "close other programs or raise the system's limit, and run it again",
    ),
}


def _where(exc: OSError, data_dir: Path | None) -> str:
    if exc.filename:
        return str(exc.filename)
    from sna.settings import data_dir as default_data_dir

    return (
        f"the data directory ({data_dir or os.environ.get('SNA_DATA_DIR') or default_data_dir()})"
    )


def os_error_line(exc: OSError | sqlite3.Error, data_dir: Path | None = None) -> str | None:
    """One line for the operating system's refusals (full or read-only disk, permissions, open
    files), naming the path and what to do; None for any other error.

    SQLite reports a full or read-only disk as its own ``OperationalError`` with no errno.
    """
    code = getattr(exc, "errno", None)
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        code = (
            errno.ENOSPC
            if "disk is full" in text
            else errno.EROFS
            if "readonly" in text or "read-only" in text
            else None
        )
        where = _where(OSError(), data_dir)
    else:
        where = _where(exc, data_dir)
    if code not in _OS_ADVICE:
        return None
    what, todo = _OS_ADVICE[code]
    return f"{what} writing {where}: {todo}. The current build is unchanged."


@contextmanager
def library_errors(data_dir: Path | None = None) -> Iterator[None]:
    """Turn a library error raised inside the block into one line and its exit status; the
    operating system's refusals (:func:`os_error_line`, naming ``data_dir`` when the error
    names no file) too, as data errors."""
    try:
        yield
    except (SnaError, GeodataError) as exc:
        fail(exc)
    except (OSError, sqlite3.Error) as exc:
        line = os_error_line(exc, data_dir)
        if line is None:
            raise
        console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
        raise typer.Exit(code=EXIT_DATA) from None


def warn(warnings: list[str]) -> None:
    """Print input warnings, one line each, on stderr."""
    for w in warnings:
        console.print(f"[bold yellow]warning:[/] {escape(w)}", soft_wrap=True)


def with_progress(run, first: str, **kwargs):
    """Call ``run(progress=step, **kwargs)`` under a rich progress bar of its steps.

    Library errors become one clear line and their exit status (:data:`EXIT_CODES`).
    """
    bar = progress_bar(28)
    with library_errors(kwargs.get("data_dir")), bar:
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
