"""Map tiles of a build: raster tiles of the kernel-density surfaces, vector tiles of LSOAs.

Raster tiles are read with rio-tiler's :class:`~rio_tiler.io.Reader` on the WebMercatorQuad
grid of morecantile, then coloured with a lookup table and written as paletted PNGs. The
build's GeoTIFFs are in EPSG:27700; each is warped once, when the build is loaded, to an
in-memory EPSG:3857 copy that the reader tiles. (Reading the British National Grid file
directly makes rio-tiler set up an OSGB36-to-WGS84 PROJ pipeline for every tile, about 100 ms
a tile; the warped copy tiles in a few milliseconds.) Surfaces built from partner data are
shown only as five equal-count classes (:data:`CLASS_LABELS`), never as a continuous ramp, so
no exact partner rate can be read off the map; the legend of such a layer carries class names,
not numbers.

Vector tiles (Mapbox Vector Tile 2.1) carry LSOA polygons and their public attributes. The
polygons are projected to EPSG:3857 once, simplified once per zoom (tolerance one tile-extent
unit), clipped to each tile with a small buffer, and quantised to a 4096-unit extent.
:class:`OutlineTiles` does the same for the bearings drawn over them, from our own boundary
files: district and ward outlines (lines) and one name point per district, ward and LSOA, each
layer from the zoom at which it helps (:data:`LABEL_ZOOMS`).

This module is pure library code: no web framework. :class:`TileCache` is a small
thread-safe LRU used by the API, keyed by build id plus tile so that a new build never serves
a stale tile.
"""

from __future__ import annotations

import io
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import morecantile
import numpy as np
import rasterio
import shapely
from PIL import Image
from pyproj import Transformer
from rasterio.io import MemoryFile
from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds
from rio_tiler.io import Reader

from .errors import TileNotFound
from .tile_specs import MAX_ZOOM, SurfaceStyle, TileCache, check_tile  # noqa: F401 (re-exported)

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

TILE_SIZE = 256
EXTENT = 4096
WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")

#: Class names of partner-data surfaces, lowest first (the legend shows these, not numbers).
CLASS_LABELS: tuple[str, ...] = ("Lowest", "Low", "Medium", "High", "Highest")
#: RGBA colours of the five classes (ColorBrewer YlOrRd-5, lowest class half transparent).
CLASS_COLOURS: tuple[tuple[int, int, int, int], ...] = (
    (255, 255, 178, 110),
    (254, 204, 92, 170),
    (253, 141, 60, 200),
    (240, 59, 32, 220),
    (189, 0, 38, 235),
)
#: Stops of the continuous ramp (YlOrRd), low to high.
RAMP_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 255, 204),
    (255, 237, 160),
    (254, 217, 118),
    (254, 178, 76),
    (253, 141, 60),
    (252, 78, 42),
    (227, 26, 28),
    (189, 0, 38),
    (128, 0, 38),
)


def _ramp_lut() -> np.ndarray:
    """A 256 x 4 RGBA lookup table: index 0 transparent, 1..255 along :data:`RAMP_COLOURS`."""
    stops = np.array(RAMP_COLOURS, float)
    pos = np.linspace(0, 1, len(stops))
    t = np.linspace(0, 1, 255)
    lut = np.zeros((256, 4), np.uint8)
    for ch in range(3):
        lut[1:, ch] = np.round(np.interp(t, pos, stops[:, ch]))
    # Low densities fade in so that the base map (or the LSOA layer) shows through.
    lut[1:, 3] = np.round(np.interp(t, [0, 0.25, 1], [60, 190, 235]))
    return lut


def _class_lut() -> np.ndarray:
    lut = np.zeros((256, 4), np.uint8)
    for i, rgba in enumerate(CLASS_COLOURS, start=1):
        lut[i] = rgba
    return lut


_RAMP_LUT = _ramp_lut()
_CLASS_LUT = _class_lut()


def _hex(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


def _warp_to_web_mercator(path: Path) -> MemoryFile:
    """An in-memory, tiled EPSG:3857 copy of a surface (bilinear, nodata kept)."""
    with rasterio.open(path) as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:3857", src.width, src.height, *src.bounds
        )
        nodata = src.nodata if src.nodata is not None else np.nan
        profile = {
            "driver": "GTiff",
            "dtype": "float32",
            "count": 1,
            "crs": "EPSG:3857",
            "transform": transform,
            "width": width,
            "height": height,
            "nodata": nodata,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
        }
        mem = MemoryFile()
        with mem.open(**profile) as dst:
            reproject(
                rasterio.band(src, 1),
                rasterio.band(dst, 1),
                src_nodata=src.nodata,
                dst_nodata=nodata,
                resampling=Resampling.bilinear,
            )
    return mem


def surface_style(path: Path, layer: str, *, partner: bool) -> SurfaceStyle:
    """Read a surface once and derive its colour scale.

    Open-data surfaces use a continuous ramp from ``floor`` to ``vmax`` (the 99th
    percentile of positive cells, so a few extreme cells do not wash out the rest).
    Partner surfaces use five equal-count classes of the positive cells: the boundaries are
    the 20th, 40th, 60th and 80th percentiles, and only the class names are published.
    """
    with rasterio.open(path) as src:
        data = src.read(1, masked=True).astype("float64")
        bounds = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    values = data.compressed()
    values = values[np.isfinite(values)]
    positive = values[values > 0]
    if positive.size == 0:
        positive = np.array([1.0])
    # Kernel-density tails are tiny but positive everywhere: below 1% of the top value is
    # treated as "no events nearby" and left transparent.
    vmax = float(np.percentile(positive, 99)) or 1.0
    floor = vmax * 0.01
    shown = positive[positive > floor]
    if partner:
        if shown.size == 0:
            shown = positive
        breaks = tuple(float(b) for b in np.percentile(shown, [20, 40, 60, 80]))
        legend = tuple(
            {"label": lab, "colour": _hex(rgba)}
            for lab, rgba in zip(CLASS_LABELS, CLASS_COLOURS, strict=True)
        )
    else:
        breaks = ()
        stops = np.linspace(floor, vmax, 5)
        idx = np.linspace(1, 255, 5).astype(int)
        legend = tuple(
            {"label": f"{v:.3g}", "colour": _hex(_RAMP_LUT[i])}
            for v, i in zip(stops, idx, strict=True)
        )
    mem = _warp_to_web_mercator(Path(path))
    style = SurfaceStyle(
        layer,
        Path(path),
        partner,
        vmax,
        floor,
        breaks,
        legend,
        tuple(bounds),
        dataset=mem.name,
        _memfile=mem,
    )
    weakref.finalize(style, mem.close)
    return style


def _png(idx: np.ndarray, lut: np.ndarray) -> bytes:
    """A paletted PNG of lookup-table indices, with per-entry alpha (tRNS)."""
    img = Image.fromarray(idx, mode="P")
    img.putpalette(lut[:, :3].tobytes())
    buf = io.BytesIO()
    img.save(buf, "PNG", transparency=lut[:, 3].tobytes(), compress_level=6)
    return buf.getvalue()


@lru_cache(maxsize=4)
def empty_png(tilesize: int = TILE_SIZE) -> bytes:
    """A fully transparent PNG tile (for tiles outside a surface)."""
    return _png(np.zeros((tilesize, tilesize), np.uint8), _CLASS_LUT)


def _classify(values: np.ndarray, style: SurfaceStyle) -> np.ndarray:
    """Lookup-table indices: 0 transparent, 1..5 classes or 1..255 along the ramp."""
    if style.partner:
        idx = np.digitize(values, style.breaks) + 1
    else:
        span = max(style.vmax - style.floor, 1e-12)
        idx = np.clip(np.round((values - style.floor) / span * 254) + 1, 1, 255)
    idx = np.where(np.isfinite(values) & (values > style.floor), idx, 0)
    return idx.astype(np.uint8)


def render_surface_tile(
    style: SurfaceStyle, z: int, x: int, y: int, tilesize: int = TILE_SIZE
) -> bytes:
    """One PNG tile of a surface on the WebMercatorQuad grid.

    Cells outside the region (nodata) and cells with no events nearby are transparent;
    tiles that do not touch the surface are the shared :func:`empty_png`.

    Raises
    ------
    TileNotFound
        When the tile index does not exist at zoom ``z``.
    """
    check_tile(z, x, y)
    with Reader(style.dataset or str(style.path), tms=WEB_MERCATOR) as src:
        if not src.tile_exists(x, y, z):
            return empty_png(tilesize)
        img = src.tile(x, y, z, tilesize=tilesize, resampling_method="bilinear")
    band = img.array[0]
    values = np.ma.filled(band.astype("float64"), np.nan)
    idx = _classify(values, style)
    if not idx.any():
        return empty_png(tilesize)
    return _png(idx, _CLASS_LUT if style.partner else _RAMP_LUT)


_TO_3857 = Transformer.from_crs("EPSG:27700", "EPSG:3857", always_xy=True)
_TO_4326 = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)


def _project(geoms: np.ndarray) -> np.ndarray:
    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = _TO_3857.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


@dataclass
class AreaTiles:
    """Vector tiles of polygons with attributes (MVT, one layer).

    Parameters
    ----------
    geometries
        Polygons in EPSG:27700 (projected to EPSG:3857 here, once).
    properties
        One dict of public attributes per polygon.
    layer_name
        Name of the MVT layer (``"lsoa"``).
    buffer
        Clip buffer in tile-extent units, so that strokes at tile edges join up.
    """

    geometries: np.ndarray
    properties: list[dict[str, Any]]
    layer_name: str = "lsoa"
    buffer: int = 64
    _merc: np.ndarray = field(init=False, repr=False)
    _tree: shapely.STRtree = field(init=False, repr=False)
    _simplified: dict[int, np.ndarray] = field(init=False, repr=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._merc = shapely.make_valid(_project(np.asarray(self.geometries, dtype=object)))
        self._tree = shapely.STRtree(self._merc)

    def _geoms_at(self, z: int) -> np.ndarray:
        """Polygons simplified to one extent unit at zoom ``z`` (originals from zoom 14)."""
        if z >= 14:
            return self._merc
        with self._lock:
            got = self._simplified.get(z)
            if got is None:
                tol = (WEB_MERCATOR.matrix(z).cellSize * TILE_SIZE) / EXTENT
                got = shapely.simplify(self._merc, tol, preserve_topology=True)
                self._simplified[z] = got
            return got

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The MVT bytes of tile ``z/x/y`` (empty bytes when no polygon touches it)."""
        check_tile(z, x, y)
        minx, miny, maxx, maxy = WEB_MERCATOR.xy_bounds(morecantile.Tile(x, y, z))
        scale = EXTENT / (maxx - minx)
        pad = self.buffer / scale
        clip = (minx - pad, miny - pad, maxx + pad, maxy + pad)
        idx = self._tree.query(shapely.box(*clip), predicate="intersects")
        if idx.size == 0:
            return b""
        idx.sort()
        clipped = shapely.clip_by_rect(self._geoms_at(z)[idx], *clip)

        def to_tile(coords: np.ndarray) -> np.ndarray:
            out = np.empty_like(coords)
            out[:, 0] = np.round((coords[:, 0] - minx) * scale)
            out[:, 1] = np.round((maxy - coords[:, 1]) * scale)
            return out

        local = shapely.transform(clipped, to_tile)
        features = [
            {"geometry": g, "properties": self.properties[i]}
            for i, g in zip(idx, local, strict=True)
            if g is not None and not g.is_empty and g.area > 0
        ]
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

    Geometries are in EPSG:27700 and projected to EPSG:3857 once; lines and polygons are
    simplified once per zoom, as in :class:`AreaTiles`.
    """

    name: str
    geometries: np.ndarray
    properties: list[dict[str, Any]]
    min_zoom: int = 0
    _merc: np.ndarray = field(init=False, repr=False)
    _tree: shapely.STRtree = field(init=False, repr=False)
    _simplified: dict[int, np.ndarray] = field(init=False, repr=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if len(self.geometries) != len(self.properties):
            raise ValueError(
                f"vector layer {self.name!r}: {len(self.geometries)} geometries but "
                f"{len(self.properties)} property rows"
            )
        self._merc = _project(np.asarray(self.geometries, dtype=object))
        self._tree = shapely.STRtree(self._merc)

    def _geoms_at(self, z: int) -> np.ndarray:
        if z >= 14:
            return self._merc
        with self._lock:
            got = self._simplified.get(z)
            if got is None:
                tol = (WEB_MERCATOR.matrix(z).cellSize * TILE_SIZE) / EXTENT
                got = shapely.simplify(self._merc, tol, preserve_topology=True)
                self._simplified[z] = got
            return got

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
        idx = self._tree.query(shapely.box(*clip), predicate="intersects")
        if idx.size == 0:
            return []
        idx.sort()
        clipped = shapely.clip_by_rect(self._geoms_at(z)[idx], *clip)
        minx, maxy = origin

        def to_tile(coords: np.ndarray) -> np.ndarray:
            out = np.empty_like(coords)
            out[:, 0] = np.round((coords[:, 0] - minx) * scale)
            out[:, 1] = np.round((maxy - coords[:, 1]) * scale)
            return out

        local = shapely.transform(clipped, to_tile)
        return [
            {"geometry": g, "properties": self.properties[i]}
            for i, g in zip(idx, local, strict=True)
            if g is not None and not g.is_empty
        ]

    def points_wgs84(self) -> list[dict[str, Any]]:
        """Each point's properties with its ``lon`` and ``lat`` (for a label list)."""
        wgs = _TO_4326.transform(shapely.get_x(self._merc), shapely.get_y(self._merc))
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
        check_tile(z, x, y)
        minx, miny, maxx, maxy = WEB_MERCATOR.xy_bounds(morecantile.Tile(x, y, z))
        scale = EXTENT / (maxx - minx)
        pad = self.buffer / scale
        clip = (minx - pad, miny - pad, maxx + pad, maxy + pad)
        out = []
        for layer in self.layers:
            feats = layer.features(z, clip, (minx, maxy), scale)
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
