"""Static maps of a build (overview, districts, hotspots, protective gap), HTML or printed.

Folium and matplotlib are imported only when a map is made, so ``import maps`` stays light.
"""

from .printing import write_print_maps
from .static import MAX_BYTES, build_maps, district_filename, write_maps

__all__ = ["MAX_BYTES", "build_maps", "district_filename", "write_maps", "write_print_maps"]
