"""Static Folium maps of a build (overview, districts, hotspots, protective gap).

Folium is imported only when a map is made, so ``import maps`` stays light.
"""

from .static import MAX_BYTES, build_maps, district_filename, write_maps

__all__ = ["MAX_BYTES", "build_maps", "district_filename", "write_maps"]
