"""The archive steps in embedded DuckDB: one month of every force at a time, memory-limited.

Each month's parts are read with hive partitioning into a temporary table, cleaned with a
window over (force, Crime ID), joined to the placement code table, and counted and binned by
``GROUP BY``. Only the rows the code table cannot place (split 2011 codes, rows without a
code) leave DuckDB for the point-in-polygon step and come back as a small table. Working one
month at a time keeps memory at one month of the archive (about half a million rows for
all 44 forces), whatever the number of months; ``memory_limit`` caps DuckDB itself.
"""

from __future__ import annotations

import time
from os import PathLike

import duckdb

from ..errors import MissingFileError
from .engine import ArchiveResult, Progress, RunOptions, tidy_counts, tidy_grid
from .layout import partitions
from .placement import Placement

__all__ = ["DuckDBEngine"]

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
        on_progress: Progress | None = None,
    ) -> ArchiveResult:
        """Clean, place, count and bin every month under ``root``."""
        t0 = time.perf_counter()
        by_month: dict[str, list[str]] = {}
        for part in partitions(root):
            if options.months and not options.months[0] <= part.month <= options.months[1]:
                continue
            by_month.setdefault(part.month, []).extend(part.files)
        if not by_month:
            raise MissingFileError(root, "no archive partitions (force=*/month=*) in the folder")
        con = self._connect()
        con.register("codes", placement.table)
        types = list(options.crime_types) if options.crime_types else None
        con.execute(
            "CREATE TEMP TABLE acc_counts (force VARCHAR, month VARCHAR, crime_type VARCHAR, "
            "lsoa21_code VARCHAR, count BIGINT)"
        )
        con.execute("CREATE TEMP TABLE acc_methods (lsoa21_method VARCHAR, n BIGINT)")
        con.execute(
            "CREATE TEMP TABLE acc_grid (force VARCHAR, cx BIGINT, cy BIGINT, count BIGINT)"
        )
        rows = {"read": 0, "duplicate Crime ID": 0, "crime type not requested": 0, "kept": 0}
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
            con.execute(
                "INSERT INTO acc_counts SELECT force, month, crime_type, lsoa21_code, count(*) "
                "FROM placed GROUP BY ALL"
            )
            con.execute(
                "INSERT INTO acc_methods SELECT lsoa21_method, count(*) FROM placed GROUP BY ALL"
            )
            con.execute(
                "INSERT INTO acc_grid SELECT force, CAST(floor(easting / $c) AS BIGINT), "
                "CAST(ceil(northing / $c) AS BIGINT), count(*) "
                "FROM placed WHERE has_coordinates GROUP BY ALL",
                {"c": cell},
            )
            if on_progress is not None:
                on_progress(i, len(by_month), month)
        count_frame = tidy_counts(con.execute("SELECT * FROM acc_counts").df())
        grid = con.execute(
            "SELECT force, cx, cy, sum(count) AS count FROM acc_grid GROUP BY ALL"
        ).df()
        method_frame = con.execute(
            "SELECT lsoa21_method, sum(n) AS n FROM acc_methods GROUP BY ALL"
        ).df()
        con.close()
        rows["kept"] = int(count_frame["count"].sum())
        method_frame = method_frame.set_index("lsoa21_method")["n"]
        return ArchiveResult(
            engine=self.name,
            counts=count_frame,
            grid=tidy_grid(grid),
            cell=cell,
            rows=rows,
            methods={str(k): int(v) for k, v in method_frame.items()},
            months_read=sorted(by_month),
            seconds=time.perf_counter() - t0,
        )
