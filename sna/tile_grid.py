"""The tile grid every map tile is cut on: WebMercatorQuad, the tile sizes, which tiles exist.

Shared by the raster (:mod:`sna.surface_tiles`) and vector (:mod:`sna.vector_tiles`) tiles.
"""

from __future__ import annotations

import morecantile

from .errors import TileNotFound

__all__ = ["TILE_SIZE", "EXTENT", "MAX_ZOOM", "WEB_MERCATOR", "check_tile"]

TILE_SIZE = 256
EXTENT = 4096
MAX_ZOOM = 22
WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")


def check_tile(z: int, x: int, y: int, max_zoom: int = MAX_ZOOM) -> None:
    """Raise :class:`TileNotFound` unless ``0 <= z <= max_zoom`` and ``0 <= x, y < 2**z``."""
    if not 0 <= z <= max_zoom:
        raise TileNotFound(f"zoom {z} is outside 0..{max_zoom}")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise TileNotFound(f"tile {z}/{x}/{y} does not exist: x and y must be in 0..{n - 1}")
