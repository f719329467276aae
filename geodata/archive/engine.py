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
   per-force kernel density (:mod:`sna.archive_surfaces` convolves it).

Implementations: :class:`geodata.archive.duckdb_engine.DuckDBEngine` (embedded, one machine,
memory-limited; the default) and :class:`geodata.archive.dask_engine.DaskEngine` (the same
steps as a Dask dataframe graph, on any scheduler, from one process to a
``dask.distributed`` cluster). :func:`get_engine` picks one from the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..crime import _check_months, _check_types
from .placement import Placement

__all__ = [
    "COUNT_KEYS",
    "GRID_KEYS",
    "ArchiveResult",
    "Engine",
    "RunOptions",
    "get_engine",
]

COUNT_KEYS = ["force", "month", "crime_type", "lsoa21_code"]
GRID_KEYS = ["force", "cx", "cy"]

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
        types = _check_types(crime_types)
        window = _check_months(months)
        if not cell > 0:
            raise ValueError(f"cell must be > 0 metres, got {cell}")
        return cls(tuple(types) if types is not None else None, window, float(cell))


@dataclass
class ArchiveResult:
    """Counts, grid counts and the row accounting of one engine run."""

    engine: str
    counts: pd.DataFrame
    """``force, month, crime_type, lsoa21_code, count``; sorted; zero counts absent."""
    grid: pd.DataFrame
    """``force, cx, cy, count``: points per cell; the cell spans x in [cx, cx + 1) cells and
    y in (cy - 1, cy] cells (the binning of :func:`sna.surfaces.bin_points`)."""
    cell: float
    rows: dict[str, int] = field(default_factory=dict)
    """``read``, ``duplicate Crime ID``, ``crime type not requested``, ``kept``."""
    methods: dict[str, int] = field(default_factory=dict)
    """Rows kept per ``lsoa21_method`` (or reason for no LSOA21)."""
    months_read: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def force_month_counts(self) -> pd.Series:
        """Rows kept per (force, month): the figure both engines must agree on."""
        return self.counts.groupby(["force", "month"])["count"].sum().sort_index()

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures (no tables)."""
        return {
            "engine": self.engine,
            "rows": dict(self.rows),
            "lsoa21_methods": dict(self.methods),
            "forces": int(self.counts["force"].nunique()),
            "months": len(self.months_read),
            "count_rows": int(len(self.counts)),
            "grid_cells": int(len(self.grid)),
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
        on_progress: Progress | None = None,
    ) -> ArchiveResult:
        """Clean, place, count and bin every partition under ``root``."""
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


def get_engine(name: str | None = None, **settings: Any) -> Engine:
    """The engine named (default: the ``SNA_ARCHIVE_ENGINE`` setting), built from settings.

    ``settings`` override :class:`geodata.archive.settings.ArchiveSettings` fields.
    """
    from .settings import ArchiveSettings

    cfg = ArchiveSettings(**({"engine": name} if name else {}), **settings)
    if cfg.engine == "duckdb":
        from .duckdb_engine import DuckDBEngine

        return DuckDBEngine(
            memory_limit=cfg.duckdb_memory_limit,
            threads=cfg.threads,
            temp_directory=cfg.duckdb_temp_directory,
        )
    from .dask_engine import DaskEngine

    return DaskEngine(
        scheduler=cfg.dask_scheduler, workers=cfg.dask_workers, memory_limit=cfg.dask_memory_limit
    )
