"""The archive steps in embedded DuckDB: one month of every force at a time, memory-limited.

Each month's parts are read with hive partitioning into a temporary table, cleaned with a
window over (force, Crime ID), joined to the placement code table, and counted and binned by
``GROUP BY``. Only the rows the code table cannot place (split 2011 codes, rows without a
code) leave DuckDB for the point-in-polygon step and come back as a small table. Each
month's counts are written out (one file per force-month, :func:`write_counts`) before the
next month is read, so no count table accumulates. The month's grid counts go into a DuckDB
table that is summed per cell every :data:`COMPACT_EVERY` months, so it stays at the number
of occupied cells (bounded by the area of England and Wales, not by the months); at the end
it is written one force at a time. Working one month at a time keeps memory at one month of
the archive (about half a million rows for all 44 forces), whatever the number of months;
``memory_limit`` caps DuckDB itself.
"""

from __future__ import annotations

import time
from os import PathLike

import duckdb

from ..errors import MissingFileError
from .engine import (
    ArchiveResult,
    Progress,
    RunOptions,
    force_month_frame,
    prepare_out,
    write_counts,
    write_grid,
)
from .layout import partitions
from .placement import Placement

__all__ = ["COMPACT_EVERY", "DuckDBEngine"]

#: Months of grid counts added before the grid table is summed per cell again.
COMPACT_EVERY = 6

_READ = """
CREATE OR REPLACE TEMP TABLE clean AS
WITH raw AS (
    SELECT force, month, crime_id, crime_type, easting, northing, lsoa_code_file,
           has_coordinates, source_file, line
    FROM read_parquet($files, hive_partitioning = true,
                      hive_types = {'force': VARCHAR, 'month': VARCHAR})
), ranked AS (
    SELECT *, crime_id IS NOT NULL AND row_number() OVER (
        PARTITION BY force, crime_id ORDER BY source_file, line) > 1 AS dup
    FROM raw
)
SELECT r.*, k.lsoa21, k.method
FROM ranked r LEFT JOIN codes k ON k.code = r.lsoa_code_file
"""


class DuckDBEngine:
    """Embedded DuckDB: the default engine on one machine."""

    name = "duckdb"

    def __init__(
        self, memory_limit: str = "2GB", threads: int = 2, temp_directory: str | None = None
    ) -> None:
        self.memory_limit = memory_limit
        self.threads = threads
        self.temp_directory = temp_directory

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:")
        con.execute(f"SET memory_limit = '{self.memory_limit}'")
        con.execute(f"SET threads = {int(self.threads)}")
        con.execute("SET preserve_insertion_order = false")
        if self.temp_directory:
            con.execute(f"SET temp_directory = '{self.temp_directory}'")
        return con

    def run(
        self,
        root: str | PathLike[str],
        placement: Placement,
        options: RunOptions = RunOptions(),
        *,
        out: str | PathLike[str] | None = None,
        on_progress: Progress | None = None,
    ) -> ArchiveResult:
        """Clean, place, count and bin every month under ``root``; write into ``out``.

        ``out`` (default: a new temporary folder) receives ``counts/`` and ``grid/``.
        """
        t0 = time.perf_counter()
        by_month: dict[str, list[str]] = {}
        for part in partitions(root):
            if options.months and not options.months[0] <= part.month <= options.months[1]:
                continue
            by_month.setdefault(part.month, []).extend(part.files)
        if not by_month:
            raise MissingFileError(root, "no archive partitions (force=*/month=*) in the folder")
        folder = prepare_out(out)
        con = self._connect()
        con.register("codes", placement.table)
        types = list(options.crime_types) if options.crime_types else None
        con.execute(
            "CREATE TEMP TABLE acc_grid (force VARCHAR, cx BIGINT, cy BIGINT, count BIGINT)"
        )
        rows = {"read": 0, "duplicate Crime ID": 0, "crime type not requested": 0, "kept": 0}
        methods: dict[str, int] = {}
        done: list[tuple[str, str, int]] = []
        cell = options.cell
        for i, (month, files) in enumerate(sorted(by_month.items()), start=1):
            con.execute(_READ, {"files": files})
            stats = con.execute("SELECT count(*), count(*) FILTER (dup) FROM clean").fetchone()
            rows["read"] += int(stats[0])
            rows["duplicate Crime ID"] += int(stats[1])
            con.execute("DELETE FROM clean WHERE dup")
            if types is not None:
                gone = con.execute(
                    "DELETE FROM clean "
                    "WHERE crime_type IS NULL OR NOT list_contains($t, crime_type)",
                    {"t": types},
                ).fetchone()
                rows["crime type not requested"] += int(gone[0])
            rest = con.execute(
                "SELECT force, source_file, line, lsoa_code_file, easting, northing "
                "FROM clean WHERE lsoa21 IS NULL"
            ).df()
            lsoa, meth = placement.place_by_point(
                rest["lsoa_code_file"].to_numpy(dtype=object),
                rest["easting"].to_numpy(dtype=float),
                rest["northing"].to_numpy(dtype=float),
            )
            pipped = rest[["force", "source_file", "line"]].assign(p_lsoa21=lsoa, p_method=meth)
            con.register("pipped", pipped)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE placed AS "
                "SELECT c.force, c.month, c.crime_type, c.easting, c.northing, c.has_coordinates, "
                "coalesce(c.lsoa21, p.p_lsoa21) AS lsoa21_code, "
                "coalesce(c.method, p.p_method) AS lsoa21_method "
                "FROM clean c LEFT JOIN pipped p USING (force, source_file, line)"
            )
            con.unregister("pipped")
            month_counts = con.execute(
                "SELECT force, month, crime_type, lsoa21_code, count(*) AS count "
                "FROM placed GROUP BY ALL"
            ).df()
            done.extend(write_counts(month_counts, folder))
            del month_counts
            for k, n in con.execute(
                "SELECT lsoa21_method, count(*) FROM placed GROUP BY ALL"
            ).fetchall():
                methods[str(k)] = methods.get(str(k), 0) + int(n)
            con.execute(
                "INSERT INTO acc_grid SELECT force, CAST(floor(easting / $c) AS BIGINT), "
                "CAST(ceil(northing / $c) AS BIGINT), count(*) "
                "FROM placed WHERE has_coordinates GROUP BY ALL",
                {"c": cell},
            )
            if i % COMPACT_EVERY == 0:
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE acc_grid AS "
                    "SELECT force, cx, cy, sum(count)::BIGINT AS count FROM acc_grid GROUP BY ALL"
                )
            if on_progress is not None:
                on_progress(i, len(by_month), month)
        con.execute("DROP TABLE IF EXISTS clean")
        con.execute("DROP TABLE IF EXISTS placed")
        forces = [f for (f,) in con.execute("SELECT DISTINCT force FROM acc_grid").fetchall()]
        for force in sorted(forces):
            grid = con.execute(
                "SELECT cx, cy, sum(count)::BIGINT AS count FROM acc_grid WHERE force = $f "
                "GROUP BY ALL",
                {"f": force},
            ).df()
            write_grid(grid, folder, force)
        con.close()
        force_months = force_month_frame(done)
        rows["kept"] = int(force_months["count"].sum())
        return ArchiveResult(
            engine=self.name,
            out=folder,
            cell=cell,
            force_months=force_months,
            rows=rows,
            methods=methods,
            months_read=sorted(by_month),
            seconds=time.perf_counter() - t0,
        )
