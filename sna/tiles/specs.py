"""What a tile request is and how a surface is drawn, without the renderers.

The zoom and tile range check, :class:`SurfaceStyle` (a build's drawing instructions for one
surface) and :class:`TileCache` (a thread-safe LRU of tile bytes, keyed by build id plus tile
so that a new build never serves a stale tile). A module of its own, importing no raster or
vector stack, so the server loads a build and checks tile requests without rasterio: the
renderers in :mod:`sna.tiles.render` load on the first tile drawn.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sna.errors import TileNotFound

__all__ = ["MAX_ZOOM", "SurfaceStyle", "TileCache", "check_tile"]

MAX_ZOOM = 22


def check_tile(z: int, x: int, y: int, max_zoom: int = MAX_ZOOM) -> None:
    """Raise :class:`TileNotFound` unless ``0 <= z <= max_zoom`` and ``0 <= x, y < 2**z``."""
    if not 0 <= z <= max_zoom:
        raise TileNotFound(f"zoom {z} is outside 0..{max_zoom}")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise TileNotFound(f"tile {z}/{x}/{y} does not exist: x and y must be in 0..{n - 1}")


@dataclass(frozen=True)
class SurfaceStyle:
    """How one surface is drawn: continuous ramp up to ``vmax``, or five classes.

    Attributes
    ----------
    layer, path
        Layer id and GeoTIFF path.
    partner
        Partner data: drawn as classes split at ``breaks`` (never published).
    vmax
        Value mapped to the top of the ramp (99th percentile of positive cells).
    floor
        Cells at or below this value are transparent (no events nearby).
    breaks
        The four inner class boundaries (quintiles of positive cells) for partner layers.
    legend
        What the map key shows: ``[{"label", "colour"}]``; numbers only for open data.
    bounds
        Geographic bounds ``(west, south, east, north)`` of the surface.
    """

    layer: str
    path: Path
    partner: bool
    vmax: float
    floor: float
    breaks: tuple[float, ...] = ()
    legend: tuple[dict[str, str], ...] = ()
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    unit: str = "per km² per year"
    dataset: str = ""
    _memfile: Any = field(default=None, repr=False, compare=False)

    def public(self) -> dict[str, Any]:
        """The legend and drawing mode, safe to publish (no partner class boundaries)."""
        return {
            "mode": "classes" if self.partner else "ramp",
            "unit": None if self.partner else self.unit,
            "legend": [dict(x) for x in self.legend],
            "bounds": list(self.bounds),
        }


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
