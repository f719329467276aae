"""The tile grid every map tile is cut on: WebMercatorQuad and the tile sizes (which tiles
exist, :func:`check_tile`, is in the light :mod:`sna.tile_specs`).

Shared by the raster (:mod:`sna.surface_tiles`) and vector (:mod:`sna.vector_tiles`) tiles.
"""

from __future__ import annotations

import morecantile

from .tile_specs import MAX_ZOOM, check_tile

__all__ = ["TILE_SIZE", "EXTENT", "MAX_ZOOM", "WEB_MERCATOR", "check_tile"]

TILE_SIZE = 256
EXTENT = 4096
WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
