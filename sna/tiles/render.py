"""Map tiles of a build: raster tiles of the kernel-density surfaces, vector tiles of LSOAs.

One import for the tile code, split by job:

- :mod:`sna.tiles.grid`: the WebMercatorQuad grid, the tile sizes and :func:`check_tile`;
- :mod:`sna.tiles.raster`: colour scales and PNG tiles of the surfaces (partner data only
  as five classes);
- :mod:`sna.tiles.vector`: MVT tiles of the LSOA polygons and of the bearings (outlines and
  names);
- :mod:`sna.tiles.specs`: what a tile request and a surface's drawing are, and
  :class:`TileCache`, with no raster or vector stack (the server loads a build with it).

This module re-exports them. It is pure library code: no web framework.
"""

from __future__ import annotations

from sna.errors import TileNotFound
from sna.tiles.grid import EXTENT, MAX_ZOOM, TILE_SIZE, WEB_MERCATOR, check_tile
from sna.tiles.raster import (
    CLASS_COLOURS,
    CLASS_LABELS,
    RAMP_COLOURS,
    SurfaceStyle,
    empty_png,
    render_surface_tile,
    surface_style,
)
from sna.tiles.specs import TileCache
from sna.tiles.vector import LABEL_ZOOMS, AreaTiles, OutlineTiles, VectorLayer, outline_tiles

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
