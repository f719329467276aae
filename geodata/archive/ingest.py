"""Ingest police.uk street-level files into the partitioned GeoParquet archive, file by file.

Each file is read, checked and tidied by the same code as :func:`geodata.crime.read_police_uk`
(``read_street_file`` and ``tidy_rows``), so the two paths accept the same files and stop on
the same bad input with the same message (file, line, column). Only one file is held in
memory at a time, so memory is bounded by the largest police.uk file (a Metropolitan Police
month, ~100k rows), whatever the number of files. Cleaning that needs more than one file
(repeated Crime IDs) is left to the engines (:mod:`geodata.archive.engine`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import pyarrow as pa

from .._police_files import discover
from ..crime import read_street_file, tidy_rows
from ..report import LoadReport
from .layout import force_id, part_name, write_part

__all__ = ["IngestReport", "ingest_archive"]

_FILE_MONTH = re.compile(r"(?<!\d)(\d{4}-\d{2})(?!\d)")

PathLike_ = str | PathLike[str]


@dataclass
class IngestReport:
    """What an ingest wrote: files read, rows written, partitions touched, warnings."""

    files: int = 0
    rows: int = 0
    parts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "files": self.files,
            "rows": self.rows,
            "parts": len(self.parts),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }


def ingest_archive(
    paths: PathLike_ | Iterable[PathLike_],
    root: PathLike_,
    *,
    on_file: Callable[[int, int, str], None] | None = None,
) -> IngestReport:
    """Write police.uk street files (files, folders, zips) under ``root`` as GeoParquet parts.

    Parameters
    ----------
    paths
        As for :func:`geodata.crime.read_police_uk`: ``*-street.csv[.gz]`` files, folders
        searched recursively, or police.uk ``.zip`` archives (outcomes and stop-and-search
        files are skipped).
    root
        The archive folder; ``force=<id>/month=YYYY-MM/part-<file>.parquet`` is written under
        it. A file ingested again replaces its part.
    on_file
        Called after each file with (files done, files in all, file name), for progress bars.

    Raises
    ------
    MissingFileError, EmptyFileError, CorruptArchiveError, MissingColumnsError, InvalidValueError
        The same errors, with the same messages, as :func:`geodata.crime.read_police_uk`; files
        before the bad one are kept (each part is written atomically).
    """
    root = Path(root)
    scan = LoadReport(source="police.uk archive ingest")
    sources = discover(paths, scan)
    out = IngestReport(notes=list(scan.notes))
    for i, src in enumerate(sources, start=1):
        frame, _fmt = read_street_file(src)
        if frame.empty:
            month = _FILE_MONTH.search(src.short)
            out.warnings.append(
                f"{src.short}: header only, no rows"
                + (f" (month {month.group(1)} has no data)" if month else "")
            )
        else:
            tidy = tidy_rows(frame, _fmt, src)
            tidy["line"] = range(2, len(tidy) + 2)  # data row i is line i + 1; header is line 1
            names = tidy["force"].dropna()
            force = force_id(src.short, names.iloc[0] if len(names) else None)
            tidy = tidy.rename(columns={"force": "falls_within"})
            name = part_name(src.short)
            for month, rows in tidy.groupby("month", sort=True):
                table = pa.Table.from_pandas(rows.drop(columns=["month"]), preserve_index=False)
                path = root / f"force={force}" / f"month={month}" / name
                write_part(table, path)
                out.parts.append(str(path.relative_to(root)))
            out.rows += len(tidy)
        out.files += 1
        if on_file is not None:
            on_file(i, len(sources), src.short)
    return out
