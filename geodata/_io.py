"""Shared low-level readers: CSV tables (plain, gzip, zip member), vector files, checks.

Loaders call these so that every source gets the same clear errors: the file, the row or
column, and the problem.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ._archive import check_file, read_bytes
from ._checks import check_rows
from .codes import GSS_PATTERN
from .errors import (
    CorruptArchiveError,
    CRSError,
    EmptyFileError,
    InvalidValueError,
    MissingColumnsError,
)

__all__ = [
    "BNG",
    "GSS_PATTERN",
    "read_csv",
    "require_columns",
    "check_codes",
    "read_vector",
    "to_bng",
    "sha256_file",
]

BNG = "EPSG:27700"

PathLike_ = str | PathLike[str]


def read_csv(
    path: PathLike_,
    *,
    member: str | None = None,
    usecols: Sequence[str] | None = None,
    dtype: type | str | dict | None = str,
    required: Iterable[str] | None = None,
    label: str | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Read a CSV (plain, ``.gz`` or a member of a ``.zip``) with clear errors.

    Tries UTF-8 (stripping a byte-order mark) and falls back to Latin-1, as ONS files vary.
    ``required`` columns are checked before ``usecols`` is applied, so a missing column is
    reported as missing rather than as a pandas ``ValueError``. ``label`` names the file in
    messages (e.g. ``archive.zip!member.csv``).
    """
    path = Path(path)
    name = label or (f"{path}!{member}" if member else str(path))
    data = read_bytes(path, member)
    if not data.strip():
        raise EmptyFileError(name, "file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    try:
        header = pd.read_csv(io.StringIO(text), nrows=0, **kwargs)
    except pd.errors.EmptyDataError as exc:
        raise EmptyFileError(name, "file has no header row") from exc
    except pd.errors.ParserError as exc:
        raise InvalidValueError(name, f"not a readable CSV ({exc})") from exc
    columns = [str(c).strip() for c in header.columns]
    if required is not None:
        require_columns(columns, required, name)
    if usecols is not None:
        require_columns(columns, usecols, name)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            usecols=list(usecols) if usecols is not None else None,
            dtype=dtype,
            keep_default_na=False,
            na_values=[""],
            **kwargs,
        )
    except pd.errors.ParserError as exc:
        raise InvalidValueError(name, f"not a readable CSV ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise EmptyFileError(name, "file has a header but no data rows")
    return frame


def require_columns(columns: Iterable[str], required: Iterable[str], name: PathLike_) -> None:
    """Raise :class:`MissingColumnsError` listing any ``required`` column not in ``columns``."""
    have = list(columns)
    missing = [c for c in required if c not in have]
    if missing:
        raise MissingColumnsError(
            name, f"missing column(s) {missing}; found {have[:20]}{'...' if len(have) > 20 else ''}"
        )


def check_codes(
    values: pd.Series,
    name: PathLike_,
    column: str,
    *,
    pattern: re.Pattern[str] = GSS_PATTERN,
    allow_missing: bool = False,
) -> None:
    """Check that every value is a GSS code (or matches ``pattern``); name the first bad row."""
    s = values.astype("string")
    missing = s.isna()
    if not allow_missing:
        check_rows(missing, name, "missing code", column=column)
    bad = ~missing & ~s.str.fullmatch(pattern.pattern).fillna(False)
    check_rows(bad, name, lambda i: f"{s.iloc[i]!r} is not a valid code", column=column)


def read_vector(
    path: PathLike_, *, layer: str | None = None, columns: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """Read GeoParquet, GeoPackage, GeoJSON or Shapefile; repair geometries; return EPSG:27700.

    GeoParquet goes through pyarrow, every other format through pyogrio. A file without a
    CRS is refused rather than guessed.
    """
    path = check_file(path)
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            gdf = gpd.read_parquet(path, columns=list(columns) + ["geometry"] if columns else None)
        else:
            gdf = gpd.read_file(path, layer=layer, columns=columns, engine="pyogrio")
    except (ValueError, KeyError) as exc:
        if columns:
            raise MissingColumnsError(path, f"cannot read columns {list(columns)}: {exc}") from exc
        raise InvalidValueError(path, f"not a readable vector file ({exc})") from exc
    except Exception as exc:  # pyogrio/pyarrow raise many types for unreadable files
        raise CorruptArchiveError(path, f"not a readable vector file ({exc})") from exc
    if columns:
        require_columns(gdf.columns, columns, path)
    if gdf.empty:
        raise EmptyFileError(path, "no features")
    gdf = to_bng(gdf, path)
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf.loc[invalid, "geometry"] = gdf.geometry[invalid].make_valid()
    return gdf


def to_bng(gdf: gpd.GeoDataFrame, name: PathLike_) -> gpd.GeoDataFrame:
    """Reproject to British National Grid, refusing frames with no CRS."""
    if gdf.crs is None:
        raise CRSError(name, f"no coordinate reference system; expected {BNG} or EPSG:4326")
    if gdf.crs.to_epsg() == 27700:
        return gdf
    if not gdf.crs.is_geographic and gdf.crs.to_epsg() is None:
        raise CRSError(name, f"unrecognised CRS {gdf.crs.to_string()!r}; expected {BNG}")
    return gdf.to_crs(BNG)


def sha256_file(path: PathLike_, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
