"""Map tiles of a build: raster tiles of the kernel-density surfaces, vector tiles of LSOAs.

One import for the tile code, split by job:

- :mod:`sna.tile_grid`: the WebMercatorQuad grid, the tile sizes and :func:`check_tile`;
- :mod:`sna.surface_tiles`: colour scales and PNG tiles of the surfaces (partner data only
  as five classes);
- :mod:`sna.vector_tiles`: MVT tiles of the LSOA polygons and of the bearings (outlines and
  names).

This module re-exports them and holds :class:`TileCache`. It is pure library code: no web
framework. :class:`TileCache` is a small thread-safe LRU used by the API, keyed by build id
plus tile so that a new build never serves a stale tile.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from .errors import TileNotFound
from .surface_tiles import (
    CLASS_COLOURS,
    CLASS_LABELS,
    RAMP_COLOURS,
    SurfaceStyle,
    empty_png,
    render_surface_tile,
    surface_style,
)
from .tile_grid import EXTENT, MAX_ZOOM, TILE_SIZE, WEB_MERCATOR, check_tile
from .vector_tiles import LABEL_ZOOMS, AreaTiles, OutlineTiles, VectorLayer, outline_tiles

__all__ = [
    "TILE_SIZE",
    "EXTENT",
    "MAX_ZOOM",
    "WEB_MERCATOR",
    "CLASS_LABELS",
    "CLASS_COLOURS",
    "RAMP_COLOURS",
    "TileNotFound",
    "SurfaceStyle",
    "surface_style",
    "render_surface_tile",
    "empty_png",
    "check_tile",
    "AreaTiles",
    "VectorLayer",
    "OutlineTiles",
    "LABEL_ZOOMS",
    "outline_tiles",
    "TileCache",
]


class TileCache:
    """A thread-safe least-recently-used cache of tile bytes, bounded by entry count."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        """The cached bytes for ``key`` (marking them recently used), or None."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        """Store ``value``, evicting the least recently used entries beyond ``maxsize``."""
        if self.maxsize <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()
