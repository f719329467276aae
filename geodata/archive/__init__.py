"""The police.uk archive: monthly force files as partitioned GeoParquet, processed by an engine.

:func:`ingest_archive` writes files (any number of forces and months) to
``force=<id>/month=YYYY-MM/part-*.parquet``; :func:`get_engine` returns the DuckDB (default)
or Dask engine, which cleans, places in LSOA 2021, counts and bins the rows
(:class:`ArchiveResult`). See ``docs/police-archive.md``.
"""

from .engine import ArchiveResult, Engine, RunOptions
from .factory import get_engine
from .ingest import IngestReport, ingest_archive
from .layout import Partition, partitions
from .placement import Placement, PlacementSpec, load_placement
from .settings import ArchiveSettings

__all__ = [
    "ArchiveResult",
    "ArchiveSettings",
    "Engine",
    "IngestReport",
    "Partition",
    "Placement",
    "PlacementSpec",
    "RunOptions",
    "get_engine",
    "ingest_archive",
    "load_placement",
    "partitions",
]
