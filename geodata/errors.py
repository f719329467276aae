"""Typed errors for bad input files.

Every error names the file and, where known, the row or column, so an analyst can fix the
input without reading a traceback. Loaders raise these; the CLI prints ``str(error)`` and exits
non-zero; nothing is written to the store when one is raised.
"""

from __future__ import annotations

import re
from os import PathLike

__all__ = [
    "GeodataError",
    "InputFileError",
    "MissingFileError",
    "EmptyFileError",
    "CorruptArchiveError",
    "MissingColumnsError",
    "InvalidValueError",
    "CRSError",
]


_TEXT_FILE = re.compile(r"\.(csv|tsv|txt)(\.gz)?$", re.IGNORECASE)


class GeodataError(Exception):
    """Base class of every error raised by ``geodata``."""


class InputFileError(GeodataError):
    """A problem with one input file, located as precisely as we can.

    Parameters
    ----------
    path
        The file (or archive member, as ``archive.zip!member.csv``) with the problem.
    problem
        What is wrong, in plain words.
    row
        1-based data row number (header excluded) where known. For a delimited text file
        (``.csv``, ``.tsv``, ``.txt``, optionally gzipped) the message gives the file's line
        number instead, ``row + 1`` (line 1 is the header), so an editor can jump to it; for
        other files (GeoPackage, Parquet) it gives the row.
    column
        The column name where known.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.row = row
        self.column = column
        super().__init__(self._message())

    @property
    def line(self) -> int | None:
        """The file line of ``row`` in a text file with one header line, else None."""
        if self.row is None or not _TEXT_FILE.search(self.path.rsplit("!", 1)[-1]):
            return None
        return self.row + 1

    def _message(self) -> str:
        where = [self.path]
        if self.line is not None:
            where.append(f"line {self.line}")
        elif self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.problem}"


class MissingFileError(InputFileError):
    """The file or folder does not exist."""


class EmptyFileError(InputFileError):
    """The file exists but holds no data rows."""


class CorruptArchiveError(InputFileError):
    """A zip, 7z, gzip or wheel archive cannot be read."""


class MissingColumnsError(InputFileError):
    """Required columns are absent (the message lists them and the columns found)."""


class InvalidValueError(InputFileError):
    """A value has the wrong type, an unknown code, or is out of range."""


class CRSError(InputFileError):
    """A spatial file has no CRS, or one we cannot use (both CRSs are named)."""
