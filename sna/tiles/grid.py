"""The tile grid every map tile is cut on: WebMercatorQuad and the tile sizes (which tiles
exist, :func:`check_tile`, is in the light :mod:`sna.tiles.specs`).

Shared by the raster (:mod:`sna.tiles.raster`) and vector (:mod:`sna.tiles.vector`) tiles.
"""

from __future__ import annotations

import morecantile

from sna.tiles.specs import MAX_ZOOM, check_tile

__all__ = ["TILE_SIZE", "EXTENT", "MAX_ZOOM", "WEB_MERCATOR", "check_tile"]

TILE_SIZE = 256
EXTENT = 4096
WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
