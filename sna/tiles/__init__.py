"""Map tiles of a build, on the WebMercatorQuad grid.

- :mod:`~sna.tiles.specs`: what a tile request and a surface's drawing are, and the tile
  cache, with no raster or vector stack (the server loads a build with it);
- :mod:`~sna.tiles.grid`: the grid and the tile sizes;
- :mod:`~sna.tiles.raster`: PNG tiles of the kernel-density surfaces (partner data only as
  five classes); :mod:`~sna.tiles.vector`: MVT tiles of the LSOAs and the bearings;
- :mod:`~sna.tiles.render`: one import for all of it.
"""
