"""The archive's heavy steps behind one protocol, so the engine is a setting, not a rewrite.

Every engine runs the same steps over the partitions of an archive written by
:func:`geodata.archive.ingest_archive` and returns the same :class:`ArchiveResult`:

1. **clean**: within each force and month, the second and later rows with the same Crime ID
   are dropped (the first by file name, then line, is kept), as
   :func:`geodata.crime.read_police_uk` does; anti-social behaviour rows (no Crime ID) are
   never de-duplicated. Then rows of crime types not asked for are dropped. Months outside
   the requested window are not read at all.
2. **place** each row in an LSOA 2021 (:class:`geodata.archive.placement.Placement`).
3. **count** rows per force x month x crime type x LSOA21 (``lsoa21_code`` is ``<NA>`` for
   rows that could not be placed, so the counts add up to the rows kept).
4. **bin** the points with coordinates per force on a ``cell``-metre grid: the input of the
   per-force kernel density (:mod:`sna.build.archive_surfaces` convolves it).

The tables are written out as they are made, never gathered: a results folder ``out`` holds
``counts/force=<id>/month=YYYY-MM/part-0.parquet`` (``crime_type, lsoa21_code, count``, one
file per force-month, written when that month is counted) and
``grid/force=<id>/part-0.parquet`` (``cx, cy, count``), both written by
:func:`write_counts` and :func:`write_grid` whatever the engine. What an engine keeps in
memory is one month (DuckDB) or one force-month (Dask) of rows, the per-force grid (bounded by
the force's area, not by the number of months) and a table of one number per force-month.

Implementations: :class:`geodata.archive.duckdb_engine.DuckDBEngine` (embedded, one machine,
memory-limited; the default) and :class:`geodata.archive.dask_engine.DaskEngine` (the same
steps as a Dask dataframe graph, on any scheduler, from one process to a
``dask.distributed`` cluster). :func:`geodata.archive.factory.get_engine` picks one from the
settings.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..crime import check_crime_types, check_month_range
from .layout import partitions
from .placement import Placement

__all__ = [
    "COUNT_KEYS",
    "COUNTS_SCHEMA",
    "GRID_KEYS",
    "GRID_SCHEMA",
    "ArchiveResult",
    "Engine",
    "RunOptions",
    "prepare_out",
    "read_counts",
    "read_grid",
    "write_counts",
    "write_grid",
]

COUNT_KEYS = ["force", "month", "crime_type", "lsoa21_code"]
GRID_KEYS = ["force", "cx", "cy"]

#: Columns of a counts part (``force`` and ``month`` are the folder names).
COUNTS_SCHEMA = pa.schema(
    [("crime_type", pa.string()), ("lsoa21_code", pa.string()), ("count", pa.int64())]
)
#: Columns of a grid part (``force`` is the folder name).
GRID_SCHEMA = pa.schema([("cx", pa.int64()), ("cy", pa.int64()), ("count", pa.int64())])
PART = "part-0.parquet"

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RunOptions:
    """What to compute: crime types and months to keep (None: all), grid cell in metres."""

    crime_types: tuple[str, ...] | None = None
    months: tuple[str, str] | None = None
    cell: float = 100.0

    @classmethod
    def checked(
        cls,
        crime_types: Sequence[str] | None = None,
        months: tuple[str, str] | None = None,
        cell: float = 100.0,
    ) -> RunOptions:
        """Validated as :func:`geodata.crime.read_police_uk` validates its arguments."""
        types = check_crime_types(crime_types)
        window = check_month_range(months)
        if not cell > 0:
            raise ValueError(f"cell must be > 0 metres, got {cell}")
        return cls(tuple(types) if types is not None else None, window, float(cell))


@dataclass
class ArchiveResult:
    """Where an engine run wrote its tables, and the small figures it kept in memory.

    The counts and the grid are files under :attr:`out` (see the module docstring);
    :attr:`counts` and :attr:`grid` read them whole, which is for small archives and tests.
    For a large one read a force at a time (:meth:`force_grid`, :func:`read_counts`) or
    export with :meth:`export_counts` (DuckDB streams it to one file).
    """

    engine: str
    out: Path
    """The results folder: ``counts/force=/month=/part-0.parquet``, ``grid/force=/...``."""
    cell: float
    force_months: pd.DataFrame
    """``force, month, count``: rows kept per force-month (sorted; empty months absent)."""
    rows: dict[str, int] = field(default_factory=dict)
    """``read``, ``duplicate Crime ID``, ``crime type not requested``, ``kept``."""
    methods: dict[str, int] = field(default_factory=dict)
    """Rows kept per ``lsoa21_method`` (or reason for no LSOA21)."""
    months_read: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def counts(self) -> pd.DataFrame:
        """``force, month, crime_type, lsoa21_code, count``, read whole from :attr:`out`."""
        return read_counts(self.out)

    @property
    def grid(self) -> pd.DataFrame:
        """``force, cx, cy, count``: points per cell; the cell spans x in [cx, cx + 1) cells
        and y in (cy - 1, cy] cells (the binning of :func:`sna.stats.kde.bin_points`)."""
        return read_grid(self.out)

    def forces(self) -> list[str]:
        """Forces with a grid (at least one kept row with coordinates), sorted."""
        return sorted(p.name[6:] for p in (self.out / "grid").glob("force=*"))

    def force_grid(self, force: str) -> pd.DataFrame:
        """One force's grid counts (``force, cx, cy, count``)."""
        return read_grid(self.out, force)

    def force_month_counts(self) -> pd.Series:
        """Rows kept per (force, month): the figure both engines must agree on."""
        fm = self.force_months
        return fm.set_index(["force", "month"])["count"].sort_index()

    def export_counts(self, path: str | PathLike[str]) -> Path:
        """Write every count to one ``.parquet`` or ``.csv`` file, streamed through DuckDB."""
        import duckdb

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fmt = "csv" if path.suffix.lower() == ".csv" else "parquet"
        glob = str(self.out / "counts" / "force=*" / "month=*" / PART)
        con = duckdb.connect(":memory:")
        con.execute("SET memory_limit = '1GB'")
        con.execute("SET threads = 2")
        select = (
            "SELECT force, month, crime_type, lsoa21_code, count FROM read_parquet($g, "
            "hive_partitioning = true, hive_types = {'force': VARCHAR, 'month': VARCHAR}) "
            "ORDER BY force, month, crime_type, lsoa21_code NULLS LAST"
        )
        if self.force_months.empty:  # read_parquet fails on a glob matching nothing
            empty = read_counts(self.out)
            if fmt == "csv":
                empty.to_csv(path, index=False)
            else:
                empty.to_parquet(path, index=False)
            return path
        sql = select.replace("$g", _sql_str(glob))
        con.execute(f"COPY ({sql}) TO {_sql_str(str(path))} (FORMAT {fmt})")
        con.close()
        return path

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures (no tables); row numbers from the parquet footers."""
        counts = self.out / "counts"
        return {
            "engine": self.engine,
            "rows": dict(self.rows),
            "lsoa21_methods": dict(self.methods),
            "forces": int(self.force_months["force"].nunique()),
            "months": len(self.months_read),
            "count_rows": sum(
                pq.read_metadata(f).num_rows for f in counts.glob(f"force=*/month=*/{PART}")
            ),
            "grid_cells": sum(
                pq.read_metadata(f).num_rows for f in (self.out / "grid").glob(f"force=*/{PART}")
            ),
            "seconds": round(self.seconds, 3),
        }


class Engine(Protocol):
    """An engine runs the archive steps; both implementations return the same result."""

    name: str

    def run(
        self,
        root: str | PathLike[str],
        placement: Placement,
        options: RunOptions = RunOptions(),
        *,
        out: str | PathLike[str] | None = None,
        on_progress: Progress | None = None,
    ) -> ArchiveResult:
        """Clean, place, count and bin every partition under ``root``; write into ``out``."""
        ...


# --------------------------------------------------------------------------- shared pieces


def tidy_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """One canonical form of the counts table, whatever engine made it."""
    out = counts[COUNT_KEYS + ["count"]].copy()
    for col in COUNT_KEYS:
        out[col] = out[col].astype("string")
    out.loc[out["lsoa21_code"] == "", "lsoa21_code"] = pd.NA
    out["count"] = out["count"].astype("int64")
    out = out.loc[out["count"] > 0]
    return out.sort_values(COUNT_KEYS, na_position="last").reset_index(drop=True)


def prepare_out(out: str | PathLike[str] | None) -> Path:
    """The results folder, with no ``counts`` or ``grid`` left from an earlier run.

    ``None`` gives a new temporary folder (the caller removes it). Only the ``counts`` and
    ``grid`` subfolders are removed, so ``out`` may hold other files.
    """
    path = Path(tempfile.mkdtemp(prefix="sna-archive-")) if out is None else Path(out)
    for sub in ("counts", "grid"):
        shutil.rmtree(path / sub, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def write_counts(counts: pd.DataFrame, out: Path) -> list[tuple[str, str, int]]:
    """Write counts (``force, month, crime_type, lsoa21_code, count``) one file per force-month.

    The rows of a force-month must all be in ``counts`` (a part is replaced, not appended
    to). Returns ``(force, month, rows kept)`` for each part written.
    """
    tidy = tidy_counts(counts)
    done = []
    for (force, month), g in tidy.groupby(["force", "month"], sort=True):
        table = pa.Table.from_pandas(
            g[["crime_type", "lsoa21_code", "count"]], schema=COUNTS_SCHEMA, preserve_index=False
        )
        _write(table, out / "counts" / f"force={force}" / f"month={month}" / PART)
        done.append((str(force), str(month), int(g["count"].sum())))
    return done


def write_grid(grid: pd.DataFrame, out: Path, force: str) -> None:
    """Write one force's grid counts (``cx, cy, count``, summed per cell) as one file."""
    g = grid.groupby(["cx", "cy"], sort=True)["count"].sum().reset_index()
    g = g.astype({"cx": "int64", "cy": "int64", "count": "int64"})
    if len(g):
        table = pa.Table.from_pandas(g, schema=GRID_SCHEMA, preserve_index=False)
        _write(table, out / "grid" / f"force={force}" / PART)


def _iter_parts(folder: Path) -> Iterator[tuple[str, str, str]]:
    for p in partitions(folder):
        for f in p.files:
            yield p.force, p.month, f


def read_counts(out: str | PathLike[str], force: str | None = None) -> pd.DataFrame:
    """The counts under ``out`` (one force, or all), in :func:`tidy_counts` form."""
    frames = [
        pq.read_table(f).to_pandas().assign(force=fo, month=mo)
        for fo, mo, f in _iter_parts(Path(out) / "counts")
        if force is None or fo == force
    ]
    if not frames:
        frames = [pd.DataFrame({k: pd.Series(dtype="string") for k in COUNT_KEYS + ["count"]})]
    return tidy_counts(pd.concat(frames, ignore_index=True))


def read_grid(out: str | PathLike[str], force: str | None = None) -> pd.DataFrame:
    """The grid counts under ``out`` (one force, or all), in :func:`tidy_grid` form."""
    files = sorted((Path(out) / "grid").glob(f"force={force or '*'}/{PART}"))
    frames = [pq.read_table(f).to_pandas().assign(force=f.parent.name[6:]) for f in files]
    if not frames:
        frames = [pd.DataFrame({k: pd.Series(dtype="int64") for k in GRID_KEYS + ["count"]})]
    return tidy_grid(pd.concat(frames, ignore_index=True))


def force_month_frame(done: list[tuple[str, str, int]]) -> pd.DataFrame:
    """``force, month, count`` from :func:`write_counts`' returns, sorted."""
    fm = pd.DataFrame(done, columns=["force", "month", "count"])
    fm = fm.astype({"force": "string", "month": "string", "count": "int64"})
    return fm.sort_values(["force", "month"]).reset_index(drop=True)


def tidy_grid(grid: pd.DataFrame) -> pd.DataFrame:
    """One canonical form of the grid counts."""
    out = grid[GRID_KEYS + ["count"]].copy()
    out["force"] = out["force"].astype("string")
    out["cx"] = out["cx"].astype("int64")
    out["cy"] = out["cy"].astype("int64")
    out["count"] = out["count"].astype("int64")
    return out.sort_values(GRID_KEYS).reset_index(drop=True)


def cell_index(e: np.ndarray, n: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid cell of each point: ``floor(e / cell)``, ``ceil(n / cell)`` (see ArchiveResult)."""
    return np.floor(e / cell).astype(np.int64), np.ceil(n / cell).astype(np.int64)
