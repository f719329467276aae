"""Finding the police.uk street-level files: in folders, zip archives, or named one by one.

:func:`discover` expands what the caller passes into the CSVs to read, each a
:class:`Source` (a plain or gzipped file, or a member of a zip); :func:`read_source` returns
one source's decompressed bytes through :mod:`geodata._archive`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from ._archive import read_bytes, zip_names
from .errors import EmptyFileError, MissingFileError
from .report import LoadReport

__all__ = ["Source", "discover", "read_source"]

_STREET_FILE = re.compile(r"-street\.csv(\.gz)?$", re.IGNORECASE)
_CSV_FILE = re.compile(r"\.csv(\.gz)?$", re.IGNORECASE)

PathLike_ = str | PathLike[str]


@dataclass(frozen=True)
class Source:
    """One CSV to read: a plain/gzip file, or a member of a zip archive."""

    path: Path
    member: str | None = None

    @property
    def label(self) -> str:
        """Name used in messages: the path, or ``archive.zip!member``."""
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def short(self) -> str:
        """Name kept in ``source_file``: the file name, or ``archive.zip!member``."""
        return f"{self.path.name}!{self.member}" if self.member else self.path.name


def _zip_members(path: Path, report: LoadReport) -> list[Source]:
    names = zip_names(path)
    street = sorted(n for n in names if _STREET_FILE.search(n))
    ignored = [n for n in names if _CSV_FILE.search(n) and n not in street]
    if ignored:
        report.notes.append(
            f"{path.name}: ignored {len(ignored)} non-street CSV(s) (outcomes, stop and search)"
        )
    if not street:
        raise EmptyFileError(path, "no street-level files (*-street.csv) in the zip archive")
    return [Source(path, n) for n in street]


def discover(paths: PathLike_ | Iterable[PathLike_], report: LoadReport) -> list[Source]:
    """Expand files, folders and zips into the street-level CSVs to read.

    A file named explicitly is read whatever its name (its header decides); inside folders and
    zip archives only ``*-street.csv[.gz]`` files are read, so the outcomes and stop-and-search
    files of a police.uk archive are skipped (and counted in the notes).
    """
    if isinstance(paths, str | PathLike):
        paths = [paths]
    sources: list[Source] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise MissingFileError(p, "file or folder not found")
        if p.is_dir():
            files = sorted(q for q in p.rglob("*") if q.is_file())
            street = [q for q in files if _STREET_FILE.search(q.name)]
            zips = [q for q in files if q.suffix.lower() == ".zip"]
            ignored = [q for q in files if _CSV_FILE.search(q.name) and q not in street]
            if ignored:
                report.notes.append(
                    f"{p}: ignored {len(ignored)} non-street CSV(s) (outcomes, stop and search)"
                )
            found = [Source(q) for q in street]
            for z in zips:
                found.extend(_zip_members(z, report))
            if not found:
                raise EmptyFileError(p, "no street-level files (*-street.csv) in the folder")
            sources.extend(found)
        elif p.suffix.lower() == ".zip":
            sources.extend(_zip_members(p, report))
        else:
            sources.append(Source(p))
    if not sources:
        raise ValueError("no police.uk files given")
    return sources


def read_source(src: Source) -> bytes:
    raw = read_bytes(src.path, src.member)
    if not raw.strip():
        raise EmptyFileError(src.label, "file is empty")
    return raw
