"""The archive's on-disk layout: hive partitions ``force=<id>/month=YYYY-MM/part-*.parquet``.

Each part is a GeoParquet 1.0 file (a WKB ``geometry`` column in EPSG:27700 and the ``geo``
metadata) holding the rows of one police.uk file for one force and month. The partition
values live in the folder names only, so DuckDB, Dask and pyarrow all read them as columns
``force`` and ``month``. A part is named after the police.uk file it came from
(``part-2021-05-bedfordshire-street.parquet``), so ingesting a re-published month replaces
it rather than adding its rows twice.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import CRS

__all__ = [
    "PART_SCHEMA",
    "Partition",
    "force_id",
    "part_name",
    "partitions",
    "write_part",
]

#: Columns of every part file (``force`` and ``month`` are the folder names).
PART_SCHEMA = pa.schema(
    [
        ("crime_id", pa.string()),
        ("falls_within", pa.string()),
        ("crime_type", pa.string()),
        ("easting", pa.float64()),
        ("northing", pa.float64()),
        ("lsoa_code_file", pa.string()),
        ("location", pa.string()),
        ("last_outcome", pa.string()),
        ("source_file", pa.string()),
        ("format", pa.string()),
        ("line", pa.int64()),
        ("has_coordinates", pa.bool_()),
        ("geometry", pa.binary()),
    ]
)

_FILE = re.compile(r"(?:^|[/!])(\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-street\.csv(\.gz)?$", re.I)
_PROJJSON = CRS.from_epsg(27700).to_json_dict()


def force_id(source_short: str, falls_within: str | None) -> str:
    """The force's police.uk id (``bedfordshire``, ``metropolitan``, ``btp``).

    Taken from the file name police.uk gives every force file (``YYYY-MM-<force>-street.csv``);
    a file named otherwise falls back to the ``Falls within`` name, lower-cased and hyphenated.
    """
    m = _FILE.search(source_short)
    if m:
        return m.group("force").lower()
    name = (falls_within or "unknown").lower().removesuffix(" police")
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-") or "unknown"


def part_name(source_short: str) -> str:
    """``part-<file name without .csv[.gz]>.parquet``: one part per police.uk file."""
    base = re.split(r"[/!]", source_short)[-1]
    base = re.sub(r"\.csv(\.gz)?$", "", base, flags=re.I)
    return "part-" + re.sub(r"[^A-Za-z0-9._-]+", "_", base) + ".parquet"


@dataclass(frozen=True)
class Partition:
    """One ``force=<id>/month=YYYY-MM`` folder and its part files."""

    force: str
    month: str
    files: tuple[str, ...]


def partitions(root: str | os.PathLike[str]) -> list[Partition]:
    """Every partition under ``root``, sorted by force then month (empty list if none)."""
    root = Path(root)
    out = []
    for fdir in sorted(root.glob("force=*")):
        for mdir in sorted(fdir.glob("month=*")):
            files = tuple(str(p) for p in sorted(mdir.glob("part-*.parquet")))
            if files:
                out.append(Partition(fdir.name[6:], mdir.name[6:], files))
    return out


def _geo_metadata(x: np.ndarray, y: np.ndarray) -> bytes:
    ok = np.isfinite(x) & np.isfinite(y)
    bbox = (
        [float(x[ok].min()), float(y[ok].min()), float(x[ok].max()), float(y[ok].max())]
        if ok.any()
        else []
    )
    col = {"encoding": "WKB", "geometry_types": ["Point"], "crs": _PROJJSON}
    if bbox:
        col["bbox"] = bbox
    return json.dumps(
        {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": col}}
    ).encode()


def write_part(table: pa.Table, path: Path) -> None:
    """Write one part atomically (temporary file, then rename), with WKB points and ``geo``.

    ``table`` has every :data:`PART_SCHEMA` column but ``geometry``, which is made here from
    ``easting``/``northing`` (null where the row has no coordinates).
    """
    x = table.column("easting").to_numpy(zero_copy_only=False)
    y = table.column("northing").to_numpy(zero_copy_only=False)
    has = table.column("has_coordinates").to_numpy(zero_copy_only=False)
    wkb = np.full(len(x), None, dtype=object)
    if has.any():
        wkb[has] = shapely.to_wkb(shapely.points(x[has], y[has]))
    table = table.append_column("geometry", pa.array(wkb, type=pa.binary()))
    table = table.select(PART_SCHEMA.names).cast(PART_SCHEMA)
    table = table.replace_schema_metadata({b"geo": _geo_metadata(x, y)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
