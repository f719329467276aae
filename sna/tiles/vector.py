"""Vector tiles (Mapbox Vector Tile 2.1): the LSOA polygons and the map's bearings.

The polygons are projected to EPSG:3857 once, simplified once per zoom (tolerance one
tile-extent unit), clipped to each tile with a small buffer, and quantised to a 4096-unit
extent. :class:`OutlineTiles` does the same for the bearings drawn over them, from our own
boundary files: district and ward outlines (lines) and one name point per district, ward and
LSOA, each layer from the zoom at which it helps (:data:`LABEL_ZOOMS`).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import InitVar, dataclass, field
from typing import Any

import mapbox_vector_tile
import morecantile
import numpy as np
import shapely
from pyproj import Transformer

from sna.tiles.grid import EXTENT, TILE_SIZE, WEB_MERCATOR, check_tile

__all__ = ["AreaTiles", "VectorLayer", "OutlineTiles", "LABEL_ZOOMS", "outline_tiles"]

_TO_3857 = Transformer.from_crs("EPSG:27700", "EPSG:3857", always_xy=True)
_TO_4326 = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)


def _project(geoms: np.ndarray) -> np.ndarray:
    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = _TO_3857.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def _tile_frame(
    z: int, x: int, y: int, buffer: int
) -> tuple[tuple[float, float, float, float], tuple[float, float], float]:
    """``(clip box, (minx, maxy) origin, scale)`` of tile ``z/x/y`` in EPSG:3857.

    ``scale`` is extent units per metre; the clip box is the tile grown by ``buffer`` extent
    units, so that strokes at tile edges join up. Raises :class:`TileNotFound` for a tile
    that does not exist.
    """
    check_tile(z, x, y)
    minx, miny, maxx, maxy = WEB_MERCATOR.xy_bounds(morecantile.Tile(x, y, z))
    scale = EXTENT / (maxx - minx)
    pad = buffer / scale
    return (minx - pad, miny - pad, maxx + pad, maxy + pad), (minx, maxy), scale


@dataclass
class _Projected:
    """Geometries in EPSG:3857 with their spatial index, simplified once per zoom.

    One copy of what every vector layer needs, so :class:`AreaTiles` and
    :class:`VectorLayer` cut tiles the same way.
    """

    merc: np.ndarray
    tree: shapely.STRtree = field(init=False, repr=False)
    _simplified: dict[int, np.ndarray] = field(init=False, repr=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.tree = shapely.STRtree(self.merc)

    def at(self, z: int) -> np.ndarray:
        """The geometries simplified to one extent unit at zoom ``z`` (originals from 14)."""
        if z >= 14:
            return self.merc
        with self._lock:
            got = self._simplified.get(z)
            if got is None:
                tol = (WEB_MERCATOR.matrix(z).cellSize * TILE_SIZE) / EXTENT
                got = shapely.simplify(self.merc, tol, preserve_topology=True)
                self._simplified[z] = got
            return got

    def in_tile(
        self,
        z: int,
        clip: tuple[float, float, float, float],
        origin: tuple[float, float],
        scale: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Indices (ascending) of the geometries touching ``clip``, and their clipped copies
        in tile coordinates (y down from ``origin``, ``scale`` units per metre)."""
        idx = self.tree.query(shapely.box(*clip), predicate="intersects")
        if idx.size == 0:
            return idx, np.empty(0, dtype=object)
        idx.sort()
        clipped = shapely.clip_by_rect(self.at(z)[idx], *clip)
        minx, maxy = origin

        def to_tile(coords: np.ndarray) -> np.ndarray:
            out = np.empty_like(coords)
            out[:, 0] = np.round((coords[:, 0] - minx) * scale)
            out[:, 1] = np.round((maxy - coords[:, 1]) * scale)
            return out

        return idx, shapely.transform(clipped, to_tile)


@dataclass
class AreaTiles:
    """Vector tiles of polygons with attributes (MVT, one layer).

    Parameters
    ----------
    geometries
        Polygons in EPSG:27700 (projected to EPSG:3857 here, once; only the projected copy
        is kept: all England's polygons twice held about 50 MB more).
    properties
        The public attributes of each polygon, by position: a list of dicts, or any sequence
        (e.g. one that reads them from disk when a tile needs them); None leaves the polygon
        out of the tiles.
    layer_name
        Name of the MVT layer (``"lsoa"``).
    buffer
        Clip buffer in tile-extent units, so that strokes at tile edges join up.
    """

    geometries: InitVar[np.ndarray]
    properties: Sequence[dict[str, Any] | None]
    layer_name: str = "lsoa"
    buffer: int = 64
    _geo: _Projected = field(init=False, repr=False)

    def __post_init__(self, geometries: np.ndarray) -> None:
        self._geo = _Projected(shapely.make_valid(_project(np.asarray(geometries, dtype=object))))

    def sharing(self, properties: Sequence[dict[str, Any] | None]) -> AreaTiles:
        """Tiles of the same polygons with other attributes (None: left out), sharing this
        one's projected, simplified and indexed copy (a VRU view's tiles cut from its
        nation's polygons hold no geometry of their own)."""
        other = copy.copy(self)
        other.properties = properties
        return other

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The MVT bytes of tile ``z/x/y`` (empty bytes when no polygon touches it)."""
        clip, origin, scale = _tile_frame(z, x, y, self.buffer)
        idx, local = self._geo.in_tile(z, clip, origin, scale)
        features = []
        for i, g in zip(idx, local, strict=True):
            if g is None or g.is_empty or not g.area > 0:
                continue
            props = self.properties[int(i)]
            if props is not None:
                features.append({"geometry": g, "properties": props})
        if not features:
            return b""
        return mapbox_vector_tile.encode(
            {"name": self.layer_name, "features": features},
            default_options={"extents": EXTENT, "y_coord_down": True},
        )


#: The zoom from which each level's names are shown (districts always; LSOAs close up).
LABEL_ZOOMS: dict[str, int] = {"district": 0, "ward": 12, "lsoa": 15}
#: The zoom from which ward outlines are drawn (districts' are drawn at every zoom).
WARD_OUTLINE_ZOOM = 11


@dataclass
class VectorLayer:
    """One MVT layer of any geometry type (polygons, lines or points), shown from ``min_zoom``.

    Geometries are in EPSG:27700 and projected to EPSG:3857 once (only the projected copy
    is kept); lines and polygons are simplified once per zoom, as in :class:`AreaTiles`.
    """

    name: str
    geometries: InitVar[np.ndarray]
    properties: list[dict[str, Any]]
    min_zoom: int = 0
    _geo: _Projected = field(init=False, repr=False)

    def __post_init__(self, geometries: np.ndarray) -> None:
        if len(geometries) != len(self.properties):
            raise ValueError(
                f"vector layer {self.name!r}: {len(geometries)} geometries but "
                f"{len(self.properties)} property rows"
            )
        self._geo = _Projected(_project(np.asarray(geometries, dtype=object)))

    def features(
        self,
        z: int,
        clip: tuple[float, float, float, float],
        origin: tuple[float, float],
        scale: float,
    ) -> list[dict[str, Any]]:
        """The layer's features in tile coordinates (none below ``min_zoom``)."""
        if z < self.min_zoom:
            return []
        idx, local = self._geo.in_tile(z, clip, origin, scale)
        return [
            {"geometry": g, "properties": self.properties[i]}
            for i, g in zip(idx, local, strict=True)
            if g is not None and not g.is_empty
        ]

    def points_wgs84(self) -> list[dict[str, Any]]:
        """Each point's properties with its ``lon`` and ``lat`` (for a label list)."""
        merc = self._geo.merc
        wgs = _TO_4326.transform(shapely.get_x(merc), shapely.get_y(merc))
        return [
            {**props, "lon": round(float(lon), 6), "lat": round(float(lat), 6)}
            for props, lon, lat in zip(self.properties, *wgs, strict=True)
        ]


@dataclass
class OutlineTiles:
    """Several :class:`VectorLayer` in one MVT: the map's bearings (outlines and names)."""

    layers: Sequence[VectorLayer]
    buffer: int = 64

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The MVT bytes of tile ``z/x/y`` (empty bytes when nothing is drawn there)."""
        clip, origin, scale = _tile_frame(z, x, y, self.buffer)
        out = []
        for layer in self.layers:
            feats = layer.features(z, clip, origin, scale)
            if feats:
                out.append({"name": layer.name, "features": feats})
        if not out:
            return b""
        return mapbox_vector_tile.encode(
            out, default_options={"extents": EXTENT, "y_coord_down": True}
        )

    def layer(self, name: str) -> VectorLayer:
        """The layer called ``name`` (``KeyError`` if there is none)."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def labels(self) -> dict[str, Any]:
        """Name points per level with the zoom each is shown from, for the map page."""
        return {
            "zooms": dict(LABEL_ZOOMS),
            **{level: self.layer(f"{level}_labels").points_wgs84() for level in LABEL_ZOOMS},
        }


def outline_tiles(
    districts: tuple[Sequence[Any], Sequence[str], Sequence[str]],
    wards: tuple[Sequence[Any], Sequence[str], Sequence[str]],
    lsoas: tuple[Sequence[Any], Sequence[str], Sequence[str]],
) -> OutlineTiles:
    """Bearings from boundary polygons: ``(geometries, codes, names)`` per level, EPSG:27700.

    Layers: ``districts`` and ``wards`` (outlines, as lines: a polygon's boundary), and
    ``district_labels``, ``ward_labels``, ``lsoa_labels`` (one point inside each polygon,
    properties ``code`` and ``name``), each from the zoom in :data:`LABEL_ZOOMS`.
    """

    def lines(geoms: Sequence[Any]) -> np.ndarray:
        polys = shapely.make_valid(np.asarray(geoms, dtype=object))
        return shapely.boundary(polys)

    def points(geoms: Sequence[Any]) -> np.ndarray:
        polys = shapely.make_valid(np.asarray(geoms, dtype=object))
        return shapely.point_on_surface(polys)

    def props(codes: Sequence[str], names: Sequence[str]) -> list[dict[str, Any]]:
        return [
            {"code": str(c), "name": "" if n is None else str(n)}
            for c, n in zip(codes, names, strict=True)
        ]

    levels = {"district": districts, "ward": wards, "lsoa": lsoas}
    layers = [
        VectorLayer("districts", lines(districts[0]), props(*districts[1:])),
        VectorLayer("wards", lines(wards[0]), props(*wards[1:]), min_zoom=WARD_OUTLINE_ZOOM),
    ]
    for level, (geoms, codes, names) in levels.items():
        layers.append(
            VectorLayer(
                f"{level}_labels", points(geoms), props(codes, names), min_zoom=LABEL_ZOOMS[level]
            )
        )
    return OutlineTiles(layers)
